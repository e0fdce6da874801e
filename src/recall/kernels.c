/* Vector index kernels: dot, squared L2 and int8 dot products (baseline SSE2 through GCC vector
 * extensions, AVX2 + FMA picked at start-up), the per-thread search scratch, int8
 * quantisation. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"

/* Baseline (SSE2) kernels: GCC vector extensions with 4-wide vectors and several independent
 * accumulators. The CPU picks these or the AVX2 + FMA ones below at start-up. */
typedef float v4f __attribute__((vector_size(16)));

#define IX_KERNELS(SUFFIX, ATTR)                                                                             \
    ATTR static float dot_##SUFFIX(const float *a, const float *b, size_t d)                                 \
    {                                                                                                        \
        v4f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0};                  \
        size_t i = 0;                                                                                        \
        for (; i + 32 <= d; i += 32) {                                                                       \
            v4f a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;                              \
            memcpy(&a0, a + i, 16);                                                                          \
            memcpy(&b0, b + i, 16);                                                                          \
            memcpy(&a1, a + i + 4, 16);                                                                      \
            memcpy(&b1, b + i + 4, 16);                                                                      \
            memcpy(&a2, a + i + 8, 16);                                                                      \
            memcpy(&b2, b + i + 8, 16);                                                                      \
            memcpy(&a3, a + i + 12, 16);                                                                     \
            memcpy(&b3, b + i + 12, 16);                                                                     \
            memcpy(&a4, a + i + 16, 16);                                                                     \
            memcpy(&b4, b + i + 16, 16);                                                                     \
            memcpy(&a5, a + i + 20, 16);                                                                     \
            memcpy(&b5, b + i + 20, 16);                                                                     \
            memcpy(&a6, a + i + 24, 16);                                                                     \
            memcpy(&b6, b + i + 24, 16);                                                                     \
            memcpy(&a7, a + i + 28, 16);                                                                     \
            memcpy(&b7, b + i + 28, 16);                                                                     \
            s0 += a0 * b0;                                                                                   \
            s1 += a1 * b1;                                                                                   \
            s2 += a2 * b2;                                                                                   \
            s3 += a3 * b3;                                                                                   \
            s4 += a4 * b4;                                                                                   \
            s5 += a5 * b5;                                                                                   \
            s6 += a6 * b6;                                                                                   \
            s7 += a7 * b7;                                                                                   \
        }                                                                                                    \
        for (; i + 4 <= d; i += 4) {                                                                         \
            v4f a0, b0;                                                                                      \
            memcpy(&a0, a + i, 16);                                                                          \
            memcpy(&b0, b + i, 16);                                                                          \
            s0 += a0 * b0;                                                                                   \
        }                                                                                                    \
        v4f s = (s0 + s1) + (s2 + s3) + ((s4 + s5) + (s6 + s7));                                             \
        float r = (s[0] + s[1]) + (s[2] + s[3]);                                                             \
        for (; i < d; i++) r += a[i] * b[i];                                                                 \
        return r;                                                                                            \
    }                                                                                                        \
    ATTR static float l2sq_##SUFFIX(const float *a, const float *b, size_t d)                                \
    {                                                                                                        \
        v4f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};                                                          \
        size_t i = 0;                                                                                        \
        for (; i + 16 <= d; i += 16) {                                                                       \
            v4f a0, a1, a2, a3, b0, b1, b2, b3;                                                              \
            memcpy(&a0, a + i, 16);                                                                          \
            memcpy(&b0, b + i, 16);                                                                          \
            memcpy(&a1, a + i + 4, 16);                                                                      \
            memcpy(&b1, b + i + 4, 16);                                                                      \
            memcpy(&a2, a + i + 8, 16);                                                                      \
            memcpy(&b2, b + i + 8, 16);                                                                      \
            memcpy(&a3, a + i + 12, 16);                                                                     \
            memcpy(&b3, b + i + 12, 16);                                                                     \
            a0 -= b0;                                                                                        \
            a1 -= b1;                                                                                        \
            a2 -= b2;                                                                                        \
            a3 -= b3;                                                                                        \
            s0 += a0 * a0;                                                                                   \
            s1 += a1 * a1;                                                                                   \
            s2 += a2 * a2;                                                                                   \
            s3 += a3 * a3;                                                                                   \
        }                                                                                                    \
        v4f s = (s0 + s1) + (s2 + s3);                                                                       \
        float r = (s[0] + s[1]) + (s[2] + s[3]);                                                             \
        for (; i < d; i++) r += (a[i] - b[i]) * (a[i] - b[i]);                                               \
        return r;                                                                                            \
    }                                                                                                        \
    ATTR static int32_t dot8_##SUFFIX(const int8_t *a, const int8_t *b, size_t d)                            \
    {                                                                                                        \
        int32_t acc[8] = {0};                                                                                \
        size_t i = 0;                                                                                        \
        for (; i + 8 <= d; i += 8)                                                                           \
            for (int j = 0; j < 8; j++) acc[j] += (int32_t)a[i + j] * b[i + j];                              \
        int32_t r = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));       \
        for (; i < d; i++) r += (int32_t)a[i] * b[i];                                                        \
        return r;                                                                                            \
    }

/* ---- fp16 and PQ kernels ----------------------------------------------------------------- */

uint16_t ix_f2h(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0)); /* Inf, NaN */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds beyond 65504: Inf */
    if (ax < 0x38800000u) {                                   /* subnormal half (or zero) */
        if (ax < 0x33000000u) return (uint16_t)sign;          /* below half the smallest subnormal */
        uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        int shift = 126 - (int)(ax >> 23); /* 14..24 */
        uint32_t r = m >> shift, lost = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (lost > half || (lost == half && (r & 1))) r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = ((ax - 0x38000000u) >> 13), lost = ax & 0x1fffu;
    if (lost > 0x1000u || (lost == 0x1000u && (r & 1))) r++;
    return (uint16_t)(sign | r);
}

float ix_h2f(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu, x;
    if (e == 0) {
        float f = (float)m * 5.9604644775390625e-8f; /* 2^-24 */
        return sign ? -f : f;
    }
    if (e == 31)
        x = sign | 0x7f800000u | (m << 13);
    else
        x = sign | ((e + 112) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static float dot16_base(const float *q, const uint16_t *h, size_t d)
{
    float s[8] = {0};
    size_t i = 0;
    for (; i + 8 <= d; i += 8)
        for (int j = 0; j < 8; j++) s[j] += q[i + j] * ix_h2f(h[i + j]);
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < d; i++) r += q[i] * ix_h2f(h[i]);
    return r;
}

static float l2sq16_base(const float *q, const uint16_t *h, size_t d)
{
    float s[8] = {0};
    size_t i = 0;
    for (; i + 8 <= d; i += 8)
        for (int j = 0; j < 8; j++) {
            float e = q[i + j] - ix_h2f(h[i + j]);
            s[j] += e * e;
        }
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < d; i++) {
        float e = q[i] - ix_h2f(h[i]);
        r += e * e;
    }
    return r;
}

/* Table look-ups of four codes at a time (independent chains for the out-of-order core). */
static void adc_base(const float *T, const uint8_t *codes, size_t m, size_t n, float *out)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint8_t *c0 = codes + i * m, *c1 = c0 + m, *c2 = c1 + m, *c3 = c2 + m;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const float *t = T;
        for (size_t j = 0; j < m; j++, t += IX_PQ_K) {
            s0 += t[c0[j]];
            s1 += t[c1[j]];
            s2 += t[c2[j]];
            s3 += t[c3[j]];
        }
        out[i] = s0;
        out[i + 1] = s1;
        out[i + 2] = s2;
        out[i + 3] = s3;
    }
    for (; i < n; i++) {
        const uint8_t *c = codes + i * m;
        float s = 0;
        for (size_t j = 0; j < m; j++) s += T[j * IX_PQ_K + c[j]];
        out[i] = s;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
/* AVX2 + FMA versions (8 floats a vector, 4 accumulators), chosen at run time. */
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, size_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
           s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    float r = _mm_cvtss_f32(h);
    for (; i < d; i++) r += a[i] * b[i];
    return r;
}

__attribute__((target("avx2,fma"))) static float l2sq_avx2(const float *a, const float *b, size_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        __m256 e0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 e1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        s0 = _mm256_fmadd_ps(e0, e0, s0);
        s1 = _mm256_fmadd_ps(e1, e1, s1);
    }
    for (; i + 8 <= d; i += 8) {
        __m256 e0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(e0, e0, s0);
    }
    __m256 s = _mm256_add_ps(s0, s1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    float r = _mm_cvtss_f32(h);
    for (; i < d; i++) r += (a[i] - b[i]) * (a[i] - b[i]);
    return r;
}

__attribute__((target("avx2,fma"))) static int32_t dot8_avx2(const int8_t *a, const int8_t *b, size_t d)
{
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) { /* sign-extend to int16, multiply-add pairs into int32 */
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        __m256i a1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i + 16)));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i + 16)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a0, b0));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(a1, b1));
    }
    __m256i s = _mm256_add_epi32(s0, s1);
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    int32_t r = _mm_cvtsi128_si32(h);
    for (; i < d; i++) r += (int32_t)a[i] * b[i];
    return r;
}

__attribute__((target("avx2,fma,f16c"))) static float dot16_avx2(const float *q, const uint16_t *h, size_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i + 8))), s1);
    }
    for (; i + 8 <= d; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))), s0);
    __m256 s = _mm256_add_ps(s0, s1);
    __m128 r4 = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    r4 = _mm_add_ps(r4, _mm_movehl_ps(r4, r4));
    r4 = _mm_add_ss(r4, _mm_movehdup_ps(r4));
    float r = _mm_cvtss_f32(r4);
    for (; i < d; i++) r += q[i] * ix_h2f(h[i]);
    return r;
}

__attribute__((target("avx2,fma,f16c"))) static float l2sq16_avx2(const float *q, const uint16_t *h, size_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        __m256 e0 =
            _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
        __m256 e1 = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8),
                                  _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i + 8))));
        s0 = _mm256_fmadd_ps(e0, e0, s0);
        s1 = _mm256_fmadd_ps(e1, e1, s1);
    }
    for (; i + 8 <= d; i += 8) {
        __m256 e0 =
            _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
        s0 = _mm256_fmadd_ps(e0, e0, s0);
    }
    __m256 s = _mm256_add_ps(s0, s1);
    __m128 r4 = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    r4 = _mm_add_ps(r4, _mm_movehl_ps(r4, r4));
    r4 = _mm_add_ss(r4, _mm_movehdup_ps(r4));
    float r = _mm_cvtss_f32(r4);
    for (; i < d; i++) {
        float e = q[i] - ix_h2f(h[i]);
        r += e * e;
    }
    return r;
}

/* ADC with AVX2 gathers: 8 sub-quantisers of one code per gather (their table rows are 256
 * floats apart), two codes interleaved; m not a multiple of 8 ends in scalar look-ups. */
__attribute__((target("avx2,fma"))) static void adc_avx2(const float *T, const uint8_t *codes, size_t m,
                                                         size_t n, float *out)
{
    const __m256i step = _mm256_setr_epi32(0, 256, 512, 768, 1024, 1280, 1536, 1792);
    const size_t m8 = m & ~(size_t)7;
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        const uint8_t *c0 = codes + i * m, *c1 = c0 + m;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (size_t j = 0; j < m8; j += 8) {
            int64_t b0, b1;
            memcpy(&b0, c0 + j, 8);
            memcpy(&b1, c1 + j, 8);
            __m256i i0 = _mm256_add_epi32(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(b0)), step);
            __m256i i1 = _mm256_add_epi32(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(b1)), step);
            const float *t = T + j * IX_PQ_K;
            a0 = _mm256_add_ps(a0, _mm256_i32gather_ps(t, i0, 4));
            a1 = _mm256_add_ps(a1, _mm256_i32gather_ps(t, i1, 4));
        }
        __m128 h0 = _mm_add_ps(_mm256_castps256_ps128(a0), _mm256_extractf128_ps(a0, 1));
        __m128 h1 = _mm_add_ps(_mm256_castps256_ps128(a1), _mm256_extractf128_ps(a1, 1));
        __m128 h = _mm_hadd_ps(h0, h1); /* a0: 0,1  a1: 2,3 */
        h = _mm_hadd_ps(h, h);          /* a0, a1 */
        float s0 = _mm_cvtss_f32(h), s1 = _mm_cvtss_f32(_mm_shuffle_ps(h, h, 1));
        for (size_t j = m8; j < m; j++) {
            s0 += T[j * IX_PQ_K + c0[j]];
            s1 += T[j * IX_PQ_K + c1[j]];
        }
        out[i] = s0;
        out[i + 1] = s1;
    }
    if (i < n) adc_base(T, codes + i * m, m, n - i, out + i);
}
#endif
IX_KERNELS(base, )

ix_kernels ix_k = {dot_base, l2sq_base, dot8_base, dot16_base, l2sq16_base, adc_base};
static pthread_once_t ix_once = PTHREAD_ONCE_INIT;
static pthread_key_t ix_tls_key;

static void scratch_free(void *p)
{
    ix_scratch *s = p;
    if (!s) return;
    free(s->f);
    free(s->h);
    free(s->c);
    free(s->r);
    free(s->visit);
    free(s->q8);
    free(s->dec);
    free(s->tab);
    free(s->ks);
    free(s->u);
    free(s->rq);
    free(s->bq);
    free(s);
}

static void ix_init_once(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        ix_k = (ix_kernels){dot_avx2, l2sq_avx2, dot8_avx2, dot16_base, l2sq16_base, adc_avx2};
        unsigned a, b, c, d;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C)) {
            ix_k.dot16 = dot16_avx2;
            ix_k.l2sq16 = l2sq16_avx2;
        }
    }
#endif
    pthread_key_create(&ix_tls_key, scratch_free);
}

void ix_kernels_init(void) { pthread_once(&ix_once, ix_init_once); }

static _Thread_local ix_scratch *ix_tls;

ix_scratch *ix_scratch_get(void)
{
    if (GROWTH_LIKELY(ix_tls != NULL)) return ix_tls;
    ix_scratch *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    ix_tls = s;
    pthread_setspecific(ix_tls_key, s);
    return s;
}

int ix_reserve(const char *who, void **p, size_t *cap, size_t need, size_t elem)
{
    if (GROWTH_LIKELY(need <= *cap)) return GROWTH_OK;
    size_t ncap = need + need / 2 + 16;
    void *q = realloc(*p, ncap * elem);
    if (!q) return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu bytes of scratch", who, ncap * elem);
    *p = q;
    *cap = ncap;
    return GROWTH_OK;
}

float ix_quantize(const float *v, size_t d, int8_t *out)
{
    float mx = 0.0f;
    for (size_t i = 0; i < d; i++) mx = fmaxf(mx, fabsf(v[i]));
    float scale = mx > 0.0f ? mx / 127.0f : 1.0f, inv = 1.0f / scale;
    for (size_t i = 0; i < d; i++) out[i] = (int8_t)lrintf(v[i] * inv);
    return scale;
}
