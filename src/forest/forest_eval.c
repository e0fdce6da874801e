/* The native evaluator: trees flattened into 12-byte nodes, children adjacent (breadth-first
 * numbering), leaves pointing at themselves. Every traversal is branch-free and runs exactly
 * `depth` steps, so several traversals (8 trees of one row, or 8 rows of one tree) proceed in
 * lockstep and the core overlaps their memory accesses instead of mispredicting branches.
 *
 * Exactness: like xgboost's CPU predictor, a row goes left when fvalue < threshold (float
 * compare), missing (NaN) goes the default way, and each output accumulates in float, starting
 * from the base margin and adding trees in model order; transforms use the same float
 * formulas. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "forest_impl.h"

#define LANES 8

static inline uint32_t step(const fnode *nd, uint32_t n, const float *x)
{
    const fnode *p = &nd[n];
    uint32_t w = p->w;
    float v = x[w & FOREST_FMASK];
    uint32_t right = !(v < p->v);              /* NaN compares false: right ... */
    uint32_t miss_left = (v != v) & (w >> 31); /* ... unless missing goes left */
    return p->left + (right & ~miss_left & (w >> 30) & 1u);
}

/* ---- the doubled-row path -------------------------------------------------------------- */

int forest_fast_build(ftrees *t)
{
    free(t->fast);
    t->fast = NULL;
    /* the substitutes must order like xgboost's NaN rule: -inf < every default-left threshold,
     * -inf < every leaf value; index 2 nf + 1 must fit the word */
    if ((uint64_t)t->nf * 2 + 1 > FOREST_FMASK) return GROWTH_OK;
    for (uint32_t i = 0; i < t->nnodes; i++)
        if (!(t->nodes[i].v > -INFINITY)) return GROWTH_OK;
    fnode *f = malloc((t->nnodes ? t->nnodes : 1) * sizeof *f);
    if (!f) return gerr(GROWTH_ENOMEM, "forest: out of memory for the evaluator's nodes");
    for (uint32_t i = 0; i < t->nnodes; i++) {
        const fnode *p = &t->nodes[i];
        f[i].v = p->v;
        f[i].left = p->left;
        if (!(p->w & FOREST_INNER))
            f[i].w = 2 * t->nf;
        else
            f[i].w = (p->w & FOREST_FMASK) + ((p->w & FOREST_DLEFT) ? 0 : t->nf);
    }
    t->fast = f;
    return GROWTH_OK;
}

static inline void double_row(const float *x, uint32_t nf, float *x2)
{
    for (uint32_t j = 0; j < nf; j++) {
        float v = x[j];
        bool m = v != v;
        x2[j] = m ? -INFINITY : v;
        x2[nf + j] = m ? INFINITY : v;
    }
    x2[2 * nf] = -INFINITY;
}

static inline uint32_t step2(const fnode *nd, uint32_t n, const float *x2)
{
    const fnode *p = &nd[n];
    return p->left + !(x2[p->w] < p->v);
}

#define FAST_LANES 8
#define ROW_STACK  2048 /* doubled rows of models up to this width live on the stack */

/* Leaves of trees t0 .. t0 + FAST_LANES - 1 for one doubled row, the lanes in lockstep. */
static inline __attribute__((always_inline)) void lanes_fast(const ftrees *t, const fnode *nd, uint32_t t0,
                                                             const float *x2, uint32_t n[FAST_LANES])
{
    uint32_t D = 0;
    for (int k = 0; k < FAST_LANES; k++) {
        n[k] = t->toff[t0 + k];
        D = t->tdepth[t0 + k] > D ? t->tdepth[t0 + k] : D;
    }
    for (uint32_t d = 0; d < D; d++) {
#pragma GCC unroll 32
        for (int k = 0; k < FAST_LANES; k++) n[k] = step2(nd, n[k], x2);
    }
}

static inline uint32_t leaf_fast(const ftrees *t, const fnode *nd, uint32_t tr, const float *x2)
{
    uint32_t n = t->toff[tr];
    for (uint32_t d = 0; d < t->tdepth[tr]; d++) n = step2(nd, n, x2);
    return n;
}

static void eval_row_fast(const ftrees *t, const float *x, float *acc)
{
    const fnode *nd = t->fast;
    float x2[2 * ROW_STACK + 1];
    double_row(x, t->nf, x2);
    uint32_t T = t->ntrees, t0 = 0, n[FAST_LANES];
    if (t->G == 1) {
        /* one output: the sum stays in a register (same order of float additions as
         * xgboost, without a store-to-load round trip per tree) */
        float sum = t->base;
        for (; t0 + FAST_LANES <= T; t0 += FAST_LANES) {
            lanes_fast(t, nd, t0, x2, n);
            for (int k = 0; k < FAST_LANES; k++) sum += nd[n[k]].v;
        }
        for (; t0 < T; t0++) sum += nd[leaf_fast(t, nd, t0, x2)].v;
        acc[0] = sum;
        return;
    }
    for (uint32_t g = 0; g < t->G; g++) acc[g] = t->base;
    for (; t0 + FAST_LANES <= T; t0 += FAST_LANES) {
        lanes_fast(t, nd, t0, x2, n);
        for (int k = 0; k < FAST_LANES; k++) acc[t->tgroup[t0 + k]] += nd[n[k]].v;
    }
    for (; t0 < T; t0++) acc[t->tgroup[t0]] += nd[leaf_fast(t, nd, t0, x2)].v;
}

void forest_eval_row(const ftrees *t, const float *x, float *acc)
{
    if (t->fast && t->nf <= ROW_STACK) {
        eval_row_fast(t, x, acc);
        return;
    }
    const fnode *nd = t->nodes;
    for (uint32_t g = 0; g < t->G; g++) acc[g] = t->base;
    uint32_t T = t->ntrees, t0 = 0;
    for (; t0 + LANES <= T; t0 += LANES) {
        uint32_t n[LANES], D = 0;
        for (int k = 0; k < LANES; k++) {
            n[k] = t->toff[t0 + k];
            D = t->tdepth[t0 + k] > D ? t->tdepth[t0 + k] : D;
        }
        for (uint32_t d = 0; d < D; d++)
            for (int k = 0; k < LANES; k++) n[k] = step(nd, n[k], x);
        for (int k = 0; k < LANES; k++) acc[t->tgroup[t0 + k]] += nd[n[k]].v;
    }
    for (; t0 < T; t0++) {
        uint32_t n = t->toff[t0];
        for (uint32_t d = 0; d < t->tdepth[t0]; d++) n = step(nd, n, x);
        acc[t->tgroup[t0]] += nd[n].v;
    }
}

void forest_eval_block(const ftrees *t, const float *X, size_t stride, size_t nr, float *acc)
{
    const fnode *nd = t->nodes;
    const size_t G = t->G;
    for (size_t i = 0; i < nr * G; i++) acc[i] = t->base;
    for (uint32_t tr = 0; tr < t->ntrees; tr++) {
        const uint32_t root = t->toff[tr], D = t->tdepth[tr], g = t->tgroup[tr];
        size_t r = 0;
        for (; r + LANES <= nr; r += LANES) {
            uint32_t n[LANES];
            const float *x = X + r * stride;
            for (int k = 0; k < LANES; k++) n[k] = root;
            for (uint32_t d = 0; d < D; d++)
                for (int k = 0; k < LANES; k++) n[k] = step(nd, n[k], x + (size_t)k * stride);
            for (int k = 0; k < LANES; k++) acc[(r + (size_t)k) * G + g] += nd[n[k]].v;
        }
        for (; r < nr; r++) {
            uint32_t n = root;
            for (uint32_t d = 0; d < D; d++) n = step(nd, n, X + r * stride);
            acc[r * G + g] += nd[n].v;
        }
    }
}

/* The same formulas as xgboost 1.7 (common::Sigmoid, common::Softmax), in float. */
static inline float sigmoidf(float x)
{
    float e = fminf(-x, 88.7f);
    return 1.0f / (expf(e) + 1.0f + 1e-16f);
}

void forest_transform(const ftrees *t, float *o, size_t nrows)
{
    const size_t G = t->G, n = nrows * G;
    switch (t->transform) {
    case TR_SIGMOID:
        for (size_t i = 0; i < n; i++) o[i] = sigmoidf(o[i]);
        break;
    case TR_EXP:
        for (size_t i = 0; i < n; i++) o[i] = expf(o[i]);
        break;
    case TR_HINGE:
        for (size_t i = 0; i < n; i++) o[i] = o[i] > 0.0f ? 1.0f : 0.0f;
        break;
    case TR_SOFTMAX:
        for (size_t r = 0; r < nrows; r++) {
            float *p = o + r * G, mx = p[0], sum = 0.0f;
            for (size_t g = 1; g < G; g++) mx = p[g] > mx ? p[g] : mx;
            for (size_t g = 0; g < G; g++) {
                p[g] = expf(p[g] - mx);
                sum += p[g];
            }
            for (size_t g = 0; g < G; g++) p[g] /= sum;
        }
        break;
    default: break;
    }
}
