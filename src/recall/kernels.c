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

#if defined(__x86_64__) && defined(__GNUC__)
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
#endif
IX_KERNELS(base, )

ix_kernels ix_k = {dot_base, l2sq_base, dot8_base};
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
    free(s);
}

static void ix_init_once(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        ix_k = (ix_kernels){dot_avx2, l2sq_avx2, dot8_avx2};
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
