/* The hot loops of FM/FFM: pairwise sums (prediction) and the AdaGrad factor updates (training),
 * in three versions chosen once per process (fm_kernels_default):
 *
 * - scalar: portable C, every table access a relaxed __atomic_load / __atomic_store (the path of
 *   non-x86 machines and of ThreadSanitizer builds, where it is the only one: see fm_internal.h);
 * - sse:    SSE2 intrinsics, 4 floats at a time (every x86-64 CPU has them);
 * - avx2:   AVX2 + FMA (selected at run time with __builtin_cpu_supports); a FFM pair update
 *           packs the two vectors of the pair into one 8-lane register, so each chunk of 4
 *           factors of a pair costs one vsqrtps and one vdivps.
 *
 * GROWTH_FM_KERNEL=scalar|sse|avx2 in the environment (read once, at the first model creation)
 * forces one; an unknown or unavailable name falls back to the default. Updates use exact
 * square roots and divisions (never rsqrt), so every path follows the float formulas of fm.h:
 * scalar and sse give identical updates; avx2 differs by the rounding of its fused
 * multiply-adds, and the pairwise sums of all three by summation order (1e-6 relative).
 *
 * Compact precision (bfloat16 tables) always runs the scalar code with conversions; updated
 * factors and sums are rounded stochastically with 16 bits of the model's rng each. */
#include <pthread.h>
#include <stdlib.h>

#include "fm_internal.h"

#if defined(__x86_64__) && !FM_TSAN
#define FM_X86 1
#include <immintrin.h>
#else
#define FM_X86 0
#endif

/* ---- scalar (and compact) ------------------------------------------------------------------- */

typedef struct {
    grng *r;
    uint64_t bits;
    int left;
} sr_bits;

static inline uint32_t sr16(sr_bits *b)
{
    if (!b->left) {
        b->bits = grng_next(b->r);
        b->left = 4;
    }
    uint32_t v = (uint32_t)(b->bits & 0xffffu);
    b->bits >>= 16;
    b->left--;
    return v;
}

static inline __attribute__((always_inline)) float ld_v(const growth_fm *m, size_t pos, bool compact)
{
    return compact ? gbf16_to_f(fm_ldh(m->vc + pos)) : fm_ldf(m->vf + pos);
}
static inline __attribute__((always_inline)) float ld_g(const growth_fm *m, size_t pos, bool compact)
{
    return compact ? gbf16_to_f(fm_ldh(m->gc + pos)) : fm_ldf(m->gf + pos);
}
static inline __attribute__((always_inline)) void st_v(growth_fm *m, size_t pos, float v, bool compact,
                                                       sr_bits *b)
{
    if (compact)
        fm_sth(m->vc + pos, gf_to_bf16_sr(v, sr16(b)));
    else
        fm_stf(m->vf + pos, v);
}
static inline __attribute__((always_inline)) void st_g(growth_fm *m, size_t pos, float g, bool compact,
                                                       sr_bits *b)
{
    if (compact)
        fm_sth(m->gc + pos, gf_to_bf16_sr(g, sr16(b)));
    else
        fm_stf(m->gf + pos, g);
}

static inline __attribute__((always_inline)) void g_ffm_pairwise(const growth_fm *m, const fm_row *row,
                                                                 float *P, bool compact)
{
    const size_t KP = (size_t)m->KP, VK = (size_t)m->V * KP, K = (size_t)m->K;
    for (size_t d = 0; d < KP; d++) P[d] = 0.0f;
    for (size_t i = 0; i < row->n; i++) {
        float xi = row->val ? row->val[i] : 1.0f;
        size_t bi = (size_t)row->idx[i] * VK, fi = (size_t)row->fld[i] * KP;
        for (size_t j = i + 1; j < row->n; j++) {
            float xx = row->val ? xi * row->val[j] : 1.0f;
            size_t a = bi + (size_t)row->fld[j] * KP, b = (size_t)row->idx[j] * VK + fi;
            for (size_t d = 0; d < K; d++) P[d] += ld_v(m, a + d, compact) * ld_v(m, b + d, compact) * xx;
        }
    }
}

static inline __attribute__((always_inline)) void g_ffm_update(growth_fm *m, const fm_row *row,
                                                               const float *c, float r, bool compact)
{
    const size_t KP = (size_t)m->KP, VK = (size_t)m->V * KP, K = (size_t)m->K;
    const float lam = m->lambda, eta = m->eta;
    sr_bits b = {&m->rng, 0, 0};
    for (size_t i = 0; i < row->n; i++) {
        float xi = row->val ? row->val[i] : 1.0f;
        size_t bi = (size_t)row->idx[i] * VK, fi = (size_t)row->fld[i] * KP;
        for (size_t j = i + 1; j < row->n; j++) {
            float s = (row->val ? xi * row->val[j] : 1.0f) * r;
            size_t pa = bi + (size_t)row->fld[j] * KP, pb = (size_t)row->idx[j] * VK + fi;
            for (size_t d = 0; d < K; d++) {
                float w1 = ld_v(m, pa + d, compact), w2 = ld_v(m, pb + d, compact);
                float cc = c[d] * s;
                float q1 = lam * w1 + cc * w2, q2 = lam * w2 + cc * w1;
                float g1 = ld_g(m, pa + d, compact) + q1 * q1, g2 = ld_g(m, pb + d, compact) + q2 * q2;
                w1 -= eta * (q1 / sqrtf(g1));
                w2 -= eta * (q2 / sqrtf(g2));
                st_v(m, pa + d, w1, compact, &b);
                st_v(m, pb + d, w2, compact, &b);
                st_g(m, pa + d, g1, compact, &b);
                st_g(m, pb + d, g2, compact, &b);
            }
        }
    }
}

static inline __attribute__((always_inline)) void g_fm_pairwise(const growth_fm *m, const fm_row *row,
                                                                float *P, float *S, bool compact)
{
    const size_t KP = (size_t)m->KP, K = (size_t)m->K;
    float Q[FM_MAX_K];
    for (size_t d = 0; d < KP; d++) S[d] = Q[d] = 0.0f;
    for (size_t i = 0; i < row->n; i++) {
        float x = row->val ? row->val[i] : 1.0f;
        size_t p = (size_t)row->idx[i] * KP;
        for (size_t d = 0; d < K; d++) {
            float t = ld_v(m, p + d, compact) * x;
            S[d] += t;
            Q[d] += t * t;
        }
    }
    for (size_t d = 0; d < KP; d++) P[d] = 0.5f * (S[d] * S[d] - Q[d]);
}

static inline __attribute__((always_inline)) void g_fm_update(growth_fm *m, const fm_row *row, const float *c,
                                                              float r, const float *S, float *old,
                                                              bool compact)
{
    const size_t KP = (size_t)m->KP, K = (size_t)m->K;
    const float lam = m->lambda, eta = m->eta;
    sr_bits b = {&m->rng, 0, 0};
    /* the bracket uses every entry's vector as it was before the example */
    for (size_t i = 0; i < row->n; i++)
        for (size_t d = 0; d < K; d++) old[i * KP + d] = ld_v(m, (size_t)row->idx[i] * KP + d, compact);
    for (size_t i = 0; i < row->n; i++) {
        float x = row->val ? row->val[i] : 1.0f;
        float s = r * x;
        size_t p = (size_t)row->idx[i] * KP;
        for (size_t d = 0; d < K; d++) {
            float w = ld_v(m, p + d, compact);
            float cc = c[d] * s;
            float q = lam * w + cc * (S[d] - old[i * KP + d] * x);
            float g = ld_g(m, p + d, compact) + q * q;
            w -= eta * (q / sqrtf(g));
            st_v(m, p + d, w, compact, &b);
            st_g(m, p + d, g, compact, &b);
        }
    }
}

static void s_ffm_pairwise(const growth_fm *m, const fm_row *row, float *P)
{
    g_ffm_pairwise(m, row, P, false);
}
static void s_ffm_update(growth_fm *m, const fm_row *row, const float *c, float r)
{
    g_ffm_update(m, row, c, r, false);
}
static void s_fm_pairwise(const growth_fm *m, const fm_row *row, float *P, float *S)
{
    g_fm_pairwise(m, row, P, S, false);
}
static void s_fm_update(growth_fm *m, const fm_row *row, const float *c, float r, const float *S, float *old)
{
    g_fm_update(m, row, c, r, S, old, false);
}
static void c_ffm_pairwise(const growth_fm *m, const fm_row *row, float *P)
{
    g_ffm_pairwise(m, row, P, true);
}
static void c_ffm_update(growth_fm *m, const fm_row *row, const float *c, float r)
{
    g_ffm_update(m, row, c, r, true);
}
static void c_fm_pairwise(const growth_fm *m, const fm_row *row, float *P, float *S)
{
    g_fm_pairwise(m, row, P, S, true);
}
static void c_fm_update(growth_fm *m, const fm_row *row, const float *c, float r, const float *S, float *old)
{
    g_fm_update(m, row, c, r, S, old, true);
}

static const fm_kernels k_scalar = {"scalar", s_ffm_pairwise, s_ffm_update, s_fm_pairwise, s_fm_update};
const fm_kernels fm_kernels_compact = {"compact", c_ffm_pairwise, c_ffm_update, c_fm_pairwise, c_fm_update};

#if FM_X86
/* ---- SSE2 ------------------------------------------------------------------------------------ */

static void sse_ffm_pairwise(const growth_fm *m, const fm_row *row, float *P)
{
    const size_t KP = (size_t)m->KP, VK = (size_t)m->V * KP, n = row->n;
    const float *T = m->vf;
    const uint32_t *idx = row->idx;
    const uint8_t *fld = row->fld;
    for (size_t c = 0; c < KP; c += 4) {
        __m128 acc0 = _mm_setzero_ps(), acc1 = _mm_setzero_ps();
        for (size_t i = 0; i < n; i++) {
            const float *bi = T + (size_t)idx[i] * VK + c;
            const size_t fi = (size_t)fld[i] * KP + c;
            size_t j = i + 1;
            if (row->val) {
                const float xi = row->val[i];
                for (; j < n; j++) {
                    __m128 t = _mm_mul_ps(_mm_load_ps(bi + (size_t)fld[j] * KP),
                                          _mm_load_ps(T + (size_t)idx[j] * VK + fi));
                    acc0 = _mm_add_ps(acc0, _mm_mul_ps(t, _mm_set1_ps(xi * row->val[j])));
                }
            } else {
                for (; j + 1 < n; j += 2) {
                    acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_load_ps(bi + (size_t)fld[j] * KP),
                                                       _mm_load_ps(T + (size_t)idx[j] * VK + fi)));
                    acc1 = _mm_add_ps(acc1, _mm_mul_ps(_mm_load_ps(bi + (size_t)fld[j + 1] * KP),
                                                       _mm_load_ps(T + (size_t)idx[j + 1] * VK + fi)));
                }
                if (j < n)
                    acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_load_ps(bi + (size_t)fld[j] * KP),
                                                       _mm_load_ps(T + (size_t)idx[j] * VK + fi)));
            }
        }
        _mm_storeu_ps(P + c, _mm_add_ps(acc0, acc1));
    }
}

static void sse_ffm_update(growth_fm *m, const fm_row *row, const float *cvec, float r)
{
    const size_t KP = (size_t)m->KP, VK = (size_t)m->V * KP, n = row->n;
    float *restrict W = m->vf, *restrict G = m->gf;
    const __m128 lam = _mm_set1_ps(m->lambda), eta = _mm_set1_ps(m->eta);
    for (size_t i = 0; i < n; i++) {
        const float xi = row->val ? row->val[i] : 1.0f;
        const size_t bi = (size_t)row->idx[i] * VK, fi = (size_t)row->fld[i] * KP;
        for (size_t j = i + 1; j < n; j++) {
            const __m128 s = _mm_set1_ps((row->val ? xi * row->val[j] : 1.0f) * r);
            const size_t pa = bi + (size_t)row->fld[j] * KP, pb = (size_t)row->idx[j] * VK + fi;
            for (size_t c = 0; c < KP; c += 4) {
                __m128 w1 = _mm_load_ps(W + pa + c), w2 = _mm_load_ps(W + pb + c);
                __m128 g1 = _mm_load_ps(G + pa + c), g2 = _mm_load_ps(G + pb + c);
                __m128 kv = _mm_mul_ps(_mm_loadu_ps(cvec + c), s);
                __m128 q1 = _mm_add_ps(_mm_mul_ps(lam, w1), _mm_mul_ps(kv, w2));
                __m128 q2 = _mm_add_ps(_mm_mul_ps(lam, w2), _mm_mul_ps(kv, w1));
                g1 = _mm_add_ps(g1, _mm_mul_ps(q1, q1));
                g2 = _mm_add_ps(g2, _mm_mul_ps(q2, q2));
                w1 = _mm_sub_ps(w1, _mm_mul_ps(eta, _mm_div_ps(q1, _mm_sqrt_ps(g1))));
                w2 = _mm_sub_ps(w2, _mm_mul_ps(eta, _mm_div_ps(q2, _mm_sqrt_ps(g2))));
                _mm_store_ps(W + pa + c, w1);
                _mm_store_ps(W + pb + c, w2);
                _mm_store_ps(G + pa + c, g1);
                _mm_store_ps(G + pb + c, g2);
            }
        }
    }
}

static void sse_fm_pairwise(const growth_fm *m, const fm_row *row, float *P, float *S)
{
    const size_t KP = (size_t)m->KP;
    const float *T = m->vf;
    for (size_t c = 0; c < KP; c += 4) {
        __m128 s = _mm_setzero_ps(), q = _mm_setzero_ps();
        for (size_t i = 0; i < row->n; i++) {
            __m128 t = _mm_load_ps(T + (size_t)row->idx[i] * KP + c);
            if (row->val) t = _mm_mul_ps(t, _mm_set1_ps(row->val[i]));
            s = _mm_add_ps(s, t);
            q = _mm_add_ps(q, _mm_mul_ps(t, t));
        }
        _mm_storeu_ps(S + c, s);
        _mm_storeu_ps(P + c, _mm_mul_ps(_mm_set1_ps(0.5f), _mm_sub_ps(_mm_mul_ps(s, s), q)));
    }
}

static void sse_fm_update(growth_fm *m, const fm_row *row, const float *cvec, float r, const float *S,
                          float *old)
{
    const size_t KP = (size_t)m->KP, n = row->n;
    float *restrict W = m->vf, *restrict G = m->gf;
    const __m128 lam = _mm_set1_ps(m->lambda), eta = _mm_set1_ps(m->eta);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < KP; c += 4)
            _mm_storeu_ps(old + i * KP + c, _mm_load_ps(W + (size_t)row->idx[i] * KP + c));
    for (size_t i = 0; i < n; i++) {
        const float x = row->val ? row->val[i] : 1.0f;
        const __m128 s = _mm_set1_ps(r * x), xv = _mm_set1_ps(x);
        const size_t p = (size_t)row->idx[i] * KP;
        for (size_t c = 0; c < KP; c += 4) {
            __m128 w = _mm_load_ps(W + p + c), g = _mm_load_ps(G + p + c);
            __m128 kv = _mm_mul_ps(_mm_loadu_ps(cvec + c), s);
            __m128 br = _mm_sub_ps(_mm_loadu_ps(S + c), _mm_mul_ps(_mm_loadu_ps(old + i * KP + c), xv));
            __m128 q = _mm_add_ps(_mm_mul_ps(lam, w), _mm_mul_ps(kv, br));
            g = _mm_add_ps(g, _mm_mul_ps(q, q));
            w = _mm_sub_ps(w, _mm_mul_ps(eta, _mm_div_ps(q, _mm_sqrt_ps(g))));
            _mm_store_ps(W + p + c, w);
            _mm_store_ps(G + p + c, g);
        }
    }
}

static const fm_kernels k_sse = {"sse", sse_ffm_pairwise, sse_ffm_update, sse_fm_pairwise, sse_fm_update};

/* ---- AVX2 + FMA ------------------------------------------------------------------------------ */

#define FM_AVX2 __attribute__((target("avx2,fma")))

FM_AVX2 static void avx2_ffm_pairwise(const growth_fm *m, const fm_row *row, float *P)
{
    const size_t KP = (size_t)m->KP, VK = (size_t)m->V * KP, n = row->n;
    const float *T = m->vf;
    const uint32_t *idx = row->idx;
    const uint8_t *fld = row->fld;
    for (size_t c = 0; c < KP; c += 4) {
        __m128 acc0 = _mm_setzero_ps(), acc1 = _mm_setzero_ps(), acc2 = _mm_setzero_ps(),
               acc3 = _mm_setzero_ps();
        for (size_t i = 0; i < n; i++) {
            const float *bi = T + (size_t)idx[i] * VK + c;
            const size_t fi = (size_t)fld[i] * KP + c;
            size_t j = i + 1;
            if (row->val) {
                const float xi = row->val[i];
                for (; j < n; j++) {
                    __m128 t = _mm_mul_ps(_mm_load_ps(bi + (size_t)fld[j] * KP),
                                          _mm_load_ps(T + (size_t)idx[j] * VK + fi));
                    acc0 = _mm_fmadd_ps(t, _mm_set1_ps(xi * row->val[j]), acc0);
                }
            } else {
                for (; j + 3 < n; j += 4) {
                    acc0 = _mm_fmadd_ps(_mm_load_ps(bi + (size_t)fld[j] * KP),
                                        _mm_load_ps(T + (size_t)idx[j] * VK + fi), acc0);
                    acc1 = _mm_fmadd_ps(_mm_load_ps(bi + (size_t)fld[j + 1] * KP),
                                        _mm_load_ps(T + (size_t)idx[j + 1] * VK + fi), acc1);
                    acc2 = _mm_fmadd_ps(_mm_load_ps(bi + (size_t)fld[j + 2] * KP),
                                        _mm_load_ps(T + (size_t)idx[j + 2] * VK + fi), acc2);
                    acc3 = _mm_fmadd_ps(_mm_load_ps(bi + (size_t)fld[j + 3] * KP),
                                        _mm_load_ps(T + (size_t)idx[j + 3] * VK + fi), acc3);
                }
                for (; j < n; j++)
                    acc0 = _mm_fmadd_ps(_mm_load_ps(bi + (size_t)fld[j] * KP),
                                        _mm_load_ps(T + (size_t)idx[j] * VK + fi), acc0);
            }
        }
        _mm_storeu_ps(P + c, _mm_add_ps(_mm_add_ps(acc0, acc1), _mm_add_ps(acc2, acc3)));
    }
}

FM_AVX2 static void avx2_ffm_update(growth_fm *m, const fm_row *row, const float *cvec, float r)
{
    const size_t KP = (size_t)m->KP, VK = (size_t)m->V * KP, n = row->n;
    float *restrict W = m->vf, *restrict G = m->gf;
    const __m256 lam = _mm256_set1_ps(m->lambda), eta = _mm256_set1_ps(m->eta);
    if (!row->val && KP == 4) {
        /* binary rows, k <= 4: every pair has the scale 1 * r, so c_d * r is one register for
         * the row; the loop below for this case */
        const __m128 kv4 = _mm_mul_ps(_mm_loadu_ps(cvec), _mm_set1_ps(1.0f * r));
        const __m256 kv = _mm256_set_m128(kv4, kv4);
        const uint32_t *idx = row->idx;
        const uint8_t *fld = row->fld;
        for (size_t i = 0; i < n; i++) {
            float *wi = W + (size_t)idx[i] * VK;
            const size_t fi = (size_t)fld[i] * 4;
            for (size_t j = i + 1; j < n; j++) {
                float *wa = wi + (size_t)fld[j] * 4, *wb = W + (size_t)idx[j] * VK + fi;
                float *ga = G + (wa - W), *gb = G + (wb - W);
                __m256 w = _mm256_set_m128(_mm_load_ps(wb), _mm_load_ps(wa));
                __m256 g = _mm256_set_m128(_mm_load_ps(gb), _mm_load_ps(ga));
                __m256 ws = _mm256_permute2f128_ps(w, w, 1);
                __m256 q = _mm256_fmadd_ps(lam, w, _mm256_mul_ps(kv, ws));
                g = _mm256_fmadd_ps(q, q, g);
                w = _mm256_fnmadd_ps(eta, _mm256_div_ps(q, _mm256_sqrt_ps(g)), w);
                _mm_store_ps(wa, _mm256_castps256_ps128(w));
                _mm_store_ps(wb, _mm256_extractf128_ps(w, 1));
                _mm_store_ps(ga, _mm256_castps256_ps128(g));
                _mm_store_ps(gb, _mm256_extractf128_ps(g, 1));
            }
        }
        return;
    }
    /* binary rows: every pair has the scale 1 * r, so c_d * r is computed once per row */
    float kr[FM_MAX_K] __attribute__((aligned(32)));
    if (!row->val)
        for (size_t c = 0; c < KP; c += 4)
            _mm_store_ps(kr + c, _mm_mul_ps(_mm_loadu_ps(cvec + c), _mm_set1_ps(1.0f * r)));
    for (size_t i = 0; i < n; i++) {
        const float xi = row->val ? row->val[i] : 1.0f;
        const size_t bi = (size_t)row->idx[i] * VK, fi = (size_t)row->fld[i] * KP;
        for (size_t j = i + 1; j < n; j++) {
            const __m128 s = _mm_set1_ps((row->val ? xi * row->val[j] : 1.0f) * r);
            float *wa = W + bi + (size_t)row->fld[j] * KP, *wb = W + (size_t)row->idx[j] * VK + fi;
            float *ga = G + (wa - W), *gb = G + (wb - W);
            for (size_t c = 0; c < KP; c += 4) {
                /* lanes 0-3: the vector v_{i,f_j}; lanes 4-7: v_{j,f_i} */
                __m256 w = _mm256_set_m128(_mm_load_ps(wb + c), _mm_load_ps(wa + c));
                __m256 g = _mm256_set_m128(_mm_load_ps(gb + c), _mm_load_ps(ga + c));
                __m128 kv4 = row->val ? _mm_mul_ps(_mm_loadu_ps(cvec + c), s) : _mm_load_ps(kr + c);
                __m256 kv = _mm256_set_m128(kv4, kv4);
                __m256 ws = _mm256_permute2f128_ps(w, w, 1);
                __m256 q = _mm256_fmadd_ps(lam, w, _mm256_mul_ps(kv, ws));
                g = _mm256_fmadd_ps(q, q, g);
                w = _mm256_fnmadd_ps(eta, _mm256_div_ps(q, _mm256_sqrt_ps(g)), w);
                _mm_store_ps(wa + c, _mm256_castps256_ps128(w));
                _mm_store_ps(wb + c, _mm256_extractf128_ps(w, 1));
                _mm_store_ps(ga + c, _mm256_castps256_ps128(g));
                _mm_store_ps(gb + c, _mm256_extractf128_ps(g, 1));
            }
        }
    }
}

FM_AVX2 static void avx2_fm_pairwise(const growth_fm *m, const fm_row *row, float *P, float *S)
{
    const size_t KP = (size_t)m->KP;
    const float *T = m->vf;
    for (size_t c = 0; c < KP; c += 4) {
        __m128 s = _mm_setzero_ps(), q = _mm_setzero_ps();
        for (size_t i = 0; i < row->n; i++) {
            __m128 t = _mm_load_ps(T + (size_t)row->idx[i] * KP + c);
            if (row->val) t = _mm_mul_ps(t, _mm_set1_ps(row->val[i]));
            s = _mm_add_ps(s, t);
            q = _mm_fmadd_ps(t, t, q);
        }
        _mm_storeu_ps(S + c, s);
        _mm_storeu_ps(P + c, _mm_mul_ps(_mm_set1_ps(0.5f), _mm_fmsub_ps(s, s, q)));
    }
}

FM_AVX2 static void avx2_fm_update(growth_fm *m, const fm_row *row, const float *cvec, float r,
                                   const float *S, float *old)
{
    const size_t KP = (size_t)m->KP, n = row->n;
    float *restrict W = m->vf, *restrict G = m->gf;
    const __m128 lam = _mm_set1_ps(m->lambda), eta = _mm_set1_ps(m->eta);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < KP; c += 4)
            _mm_storeu_ps(old + i * KP + c, _mm_load_ps(W + (size_t)row->idx[i] * KP + c));
    for (size_t i = 0; i < n; i++) {
        const float x = row->val ? row->val[i] : 1.0f;
        const __m128 s = _mm_set1_ps(r * x), xv = _mm_set1_ps(x);
        const size_t p = (size_t)row->idx[i] * KP;
        for (size_t c = 0; c < KP; c += 4) {
            __m128 w = _mm_load_ps(W + p + c), g = _mm_load_ps(G + p + c);
            __m128 kv = _mm_mul_ps(_mm_loadu_ps(cvec + c), s);
            __m128 br = _mm_fnmadd_ps(_mm_loadu_ps(old + i * KP + c), xv, _mm_loadu_ps(S + c));
            __m128 q = _mm_fmadd_ps(lam, w, _mm_mul_ps(kv, br));
            g = _mm_fmadd_ps(q, q, g);
            w = _mm_fnmadd_ps(eta, _mm_div_ps(q, _mm_sqrt_ps(g)), w);
            _mm_store_ps(W + p + c, w);
            _mm_store_ps(G + p + c, g);
        }
    }
}

static const fm_kernels k_avx2 = {"avx2", avx2_ffm_pairwise, avx2_ffm_update, avx2_fm_pairwise,
                                  avx2_fm_update};

static bool have_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

/* ---- dispatch -------------------------------------------------------------------------------- */

const fm_kernels *fm_kernels_named(const char *name)
{
    if (!name) return NULL;
    if (strcmp(name, "scalar") == 0) return &k_scalar;
#if FM_X86
    if (strcmp(name, "sse") == 0) return &k_sse;
    if (strcmp(name, "avx2") == 0) return have_avx2() ? &k_avx2 : NULL;
#endif
    return NULL;
}

static const fm_kernels *g_default;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void pick_default(void)
{
    const fm_kernels *k = fm_kernels_named(getenv("GROWTH_FM_KERNEL"));
#if FM_X86
    if (!k) k = have_avx2() ? &k_avx2 : &k_sse;
#else
    if (!k) k = &k_scalar;
#endif
    g_default = k;
}

const fm_kernels *fm_kernels_default(void)
{
    pthread_once(&g_once, pick_default);
    return g_default;
}
