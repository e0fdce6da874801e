/* MCKP per-user geometry and the shard workers of every pass: the upper concave hull of a
 * user's options at the current prices, its segments (histogrammed by slope bits, then
 * collected), the best option at given prices, dual evaluation and assignment. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

static inline uint64_t dkey(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}

/* Upper hull from (0,0) to the highest point of (b_j, a_j); writes the vertices' option
 * offsets (-1 = none) into hv and returns their count; hb/ha get their coordinates. Few
 * options: a gift-wrapping walk (next vertex = steepest point up and to the right, the
 * farthest of collinear ones); many: sort by b, then a monotone chain. */
static int user_hull(const double *a, const double *b, int m, int32_t *si, int32_t *hv, double *hb,
                     double *ha)
{
    int h = 1;
    hv[0] = -1;
    hb[0] = 0;
    ha[0] = 0;
    if (m <= 16) {
        for (int j = 0; j < m; j++)
            if (b[j] == 0 && a[j] > ha[0]) {
                ha[0] = a[j];
                hv[0] = j;
            }
        double cb = 0, ca = ha[0];
        for (;;) {
            int best = -1;
            double bdb = 1, bda = 0;
            for (int j = 0; j < m; j++) {
                double db = b[j] - cb, da = a[j] - ca;
                if (!(db > 0 && da > 0)) continue;
                double l = da * bdb, r = bda * db; /* slope j vs best, as cross products */
                if (best < 0 || l > r || (l == r && db > bdb)) {
                    best = j;
                    bdb = db;
                    bda = da;
                }
            }
            if (best < 0) return h;
            cb = b[best];
            ca = a[best];
            hv[h] = best;
            hb[h] = cb;
            ha[h] = ca;
            h++;
        }
    }
    /* insertion sort of offsets by (b asc, a desc) */
    for (int j = 0; j < m; j++) {
        int x = j, q = j;
        while (q > 0) {
            int y = si[q - 1];
            if (b[y] > b[x] || (b[y] == b[x] && a[y] < a[x])) {
                si[q] = y;
                q--;
            } else
                break;
        }
        si[q] = x;
    }
    for (int q = 0; q < m; q++) {
        int j = si[q];
        double bj = b[j], aj = a[j];
        if (!(aj > ha[h - 1])) continue; /* no more value for at least as much cost */
        if (bj == hb[h - 1] && h == 1) {
            hv[0] = j;
            ha[0] = aj;
            continue;
        }
        while (h >= 2) {
            double b0 = hb[h - 2], a0 = ha[h - 2], b1 = hb[h - 1], a1 = ha[h - 1];
            /* pop (b1,a1) unless it lies strictly above the chord (b0,a0)-(bj,aj) */
            if ((a1 - a0) * (bj - b0) <= (aj - a0) * (b1 - b0))
                h--;
            else
                break;
        }
        hv[h] = j;
        hb[h] = bj;
        ha[h] = aj;
        h++;
    }
    return h;
}

/* Reduced values for coordinate k: a_j = v_j - sum_{l != k} lambda_l c_jl, b_j = c_jk. */
static inline void reduced_k(const mckp_prob *p, uint64_t o, int m, size_t k, const double *lambda, double *a,
                             double *b)
{
    size_t K = p->K;
    for (int j = 0; j < m; j++) {
        const double *c = p->c + (o + (uint64_t)j) * K;
        double r = p->v[o + j];
        for (size_t l = 0; l < K; l++)
            if (l != k) r -= lambda[l] * c[l];
        a[j] = r;
        b[j] = c[k];
    }
}

static int seg_push(mckp_task *t, const mckp_seg *s)
{
    if (t->nseg == t->capseg) {
        size_t nc = t->capseg ? t->capseg * 2 : 4096;
        mckp_seg *ns = realloc(t->segs, nc * sizeof *ns);
        if (!ns) return -1;
        t->segs = ns;
        t->capseg = nc;
    }
    t->segs[t->nseg++] = *s;
    return 0;
}

void mckp_line_worker(void *arg)
{
    mckp_task *t = arg;
    const mckp_prob *p = t->p;
    double *hb = t->sb + p->maxm + 1, *ha = t->sa + p->maxm + 1;
    int sh = lv_shift[t->level], bits = lv_bits[t->level];
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    for (size_t i = t->lo; i < t->hi; i++) {
        if ((i & 0xffff) == 0 && atomic_load_explicit(t->cancel, memory_order_relaxed)) return;
        uint64_t o = p->indptr[i];
        int m = (int)(p->indptr[i + 1] - o);
        if (m == 0) continue;
        reduced_k(p, o, m, t->k, t->lambda, t->sa, t->sb);
        int h = user_hull(t->sa, t->sb, m, t->si, t->hv, hb, ha);
        for (int e = 0; e + 1 < h; e++) {
            double db = hb[e + 1] - hb[e], da = ha[e + 1] - ha[e];
            double slope = da / db;
            uint64_t key = dkey(slope);
            if (t->mode == P_HIST) {
                t->total_db += db;
                if (t->level > 0 && (key >> (sh + bits)) != t->prefix) continue;
                size_t bk = (size_t)((key >> sh) & mask);
                t->hist[bk] += db;
                t->cnt[bk]++;
            } else if ((key >> sh) == t->prefix) {
                mckp_seg s = {slope, db, da, i, t->hv[e], t->hv[e + 1]};
                if (seg_push(t, &s)) {
                    t->failed = 1;
                    return;
                }
            }
        }
    }
}

/* Best option of user at prices lambda: offset or -1, with ties to the cheapest (sum of
 * costs). *best gets the reduced value (0 for none); *tie whether another option ties. */
static inline int best_option(const mckp_prob *p, uint64_t o, int m, const double *lambda, double *best,
                              int *tie)
{
    size_t K = p->K;
    int bj = -1;
    double br = 0, bc = 0;
    *tie = 0;
    for (int j = 0; j < m; j++) {
        const double *c = p->c + (o + (uint64_t)j) * K;
        double r = p->v[o + j], cs = 0;
        for (size_t l = 0; l < K; l++) {
            r -= lambda[l] * c[l];
            cs += c[l];
        }
        if (r > br) {
            bj = j;
            br = r;
            bc = cs;
            *tie = 0;
        } else if (r == br) {
            *tie = 1;
            if (cs < bc) {
                bj = j;
                bc = cs;
            }
        }
    }
    *best = br;
    return bj;
}

void mckp_eval_worker(void *arg)
{
    mckp_task *t = arg;
    const mckp_prob *p = t->p;
    size_t K = p->K, np = t->np;
    for (size_t i = t->lo; i < t->hi; i++) {
        if ((i & 0xffff) == 0 && atomic_load_explicit(t->cancel, memory_order_relaxed)) return;
        uint64_t o = p->indptr[i];
        int m = (int)(p->indptr[i + 1] - o), tie;
        for (size_t q = 0; q < np; q++) {
            double r;
            int j = best_option(p, o, m, t->lambda + q * K, &r, &tie);
            if (t->mode == P_ASSIGN) {
                t->choice[i] = j;
                t->ties += (uint64_t)tie;
            }
            if (j < 0) continue;
            double *acc = t->acc + q * (K + 2);
            const double *c = p->c + (o + (uint64_t)j) * K;
            if (t->mode == P_ASSIGN) {
                for (size_t l = 0; l < K; l++) gk_add(&t->ks[l], c[l]);
                gk_add(&t->ks[K], p->v[o + j]);
                gk_add(&t->ks[K + 1], r);
                t->chosen++;
            } else {
                for (size_t l = 0; l < K; l++) acc[l] += c[l];
                acc[K] += p->v[o + j];
                acc[K + 1] += r;
            }
        }
    }
}
