/* Vector index: storage, id map, exact (flat) search, filters, de-duplicating re-rank,
 * persistence. HNSW and IVF live in hnsw.c and ivf.c and share the storage kept here.
 *
 * Storage: slot i holds vector vec[i*dim ..] (normalised for cosine), id ids[i], a tombstone
 * flag dead[i] and, for l2, its squared norm. Similarity keys are "larger is better":
 * q.x for ip/cosine and 2 q.x - |x|^2 for l2 (= |q|^2 - |q-x|^2, so the squared distance is
 * |q|^2 - key).
 *
 * Exact batches run as blocked sgemm (QB queries x BI items at a time) with a top-k min-heap per
 * query; single queries stream the items through an AVX2 (or SSE2) dot kernel chosen at run
 * time. Locking: see recall.h (a writer-preferring rwlock; mutations in chunks). */
#define _GNU_SOURCE
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index.pb-c.h"
#include "recall_impl.h"
#include "sync.h"

static const gcfg_opt ix_opts[] = {
    {"dim", GCFG_INT, offsetof(ix_cfg, dim), "0", 0, IX_MAX_DIM, NULL, false},
    {"metric", GCFG_ENUM, offsetof(ix_cfg, metric), "ip", 0, 0, "ip|cosine|l2", false},
    {"kind", GCFG_ENUM, offsetof(ix_cfg, kind), "flat", 0, 0, "flat|hnsw|ivf", false},
    {"M", GCFG_INT, offsetof(ix_cfg, M), "16", 2, 128, NULL, false},
    {"ef_construction", GCFG_INT, offsetof(ix_cfg, ef_construction), "200", 1, 100000, NULL, false},
    {"ef", GCFG_INT, offsetof(ix_cfg, ef), "64", 1, 100000, NULL, false},
    {"nlist", GCFG_INT, offsetof(ix_cfg, nlist), "256", 1, 1048576, NULL, false},
    {"nprobe", GCFG_INT, offsetof(ix_cfg, nprobe), "8", 1, 1048576, NULL, false},
    {"iters", GCFG_INT, offsetof(ix_cfg, iters), "12", 1, 1000, NULL, false},
    {"threads", GCFG_INT, offsetof(ix_cfg, threads), "1", 1, 256, NULL, false},
    {"quantize", GCFG_ENUM, offsetof(ix_cfg, quantize), "none", 0, 0, "none|int8", false},
    {"rescore", GCFG_INT, offsetof(ix_cfg, rescore), "4", 1, 1000, NULL, false},
    {"seed", GCFG_INT, offsetof(ix_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
};
#define IX_NOPTS (sizeof ix_opts / sizeof ix_opts[0])

/* ---- kernels ----------------------------------------------------------------------------- */

/* Baseline (SSE2) kernels: GCC vector extensions with 4-wide vectors and several independent
 * accumulators. The CPU picks these or the AVX2 + FMA ones below at start-up. */
typedef float v4f __attribute__((vector_size(16)));

#define IX_KERNELS(SUFFIX, ATTR)                                                               \
    ATTR static float dot_##SUFFIX(const float *a, const float *b, size_t d)                   \
    {                                                                                          \
        v4f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0};    \
        size_t i = 0;                                                                          \
        for (; i + 32 <= d; i += 32) {                                                         \
            v4f a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;                \
            memcpy(&a0, a + i, 16); memcpy(&b0, b + i, 16);                                    \
            memcpy(&a1, a + i + 4, 16); memcpy(&b1, b + i + 4, 16);                            \
            memcpy(&a2, a + i + 8, 16); memcpy(&b2, b + i + 8, 16);                            \
            memcpy(&a3, a + i + 12, 16); memcpy(&b3, b + i + 12, 16);                          \
            memcpy(&a4, a + i + 16, 16); memcpy(&b4, b + i + 16, 16);                          \
            memcpy(&a5, a + i + 20, 16); memcpy(&b5, b + i + 20, 16);                          \
            memcpy(&a6, a + i + 24, 16); memcpy(&b6, b + i + 24, 16);                          \
            memcpy(&a7, a + i + 28, 16); memcpy(&b7, b + i + 28, 16);                          \
            s0 += a0 * b0; s1 += a1 * b1; s2 += a2 * b2; s3 += a3 * b3;                        \
            s4 += a4 * b4; s5 += a5 * b5; s6 += a6 * b6; s7 += a7 * b7;                        \
        }                                                                                      \
        for (; i + 4 <= d; i += 4) {                                                           \
            v4f a0, b0;                                                                        \
            memcpy(&a0, a + i, 16); memcpy(&b0, b + i, 16);                                    \
            s0 += a0 * b0;                                                                     \
        }                                                                                      \
        v4f s = (s0 + s1) + (s2 + s3) + ((s4 + s5) + (s6 + s7));                               \
        float r = (s[0] + s[1]) + (s[2] + s[3]);                                               \
        for (; i < d; i++) r += a[i] * b[i];                                                   \
        return r;                                                                              \
    }                                                                                          \
    ATTR static float l2sq_##SUFFIX(const float *a, const float *b, size_t d)                  \
    {                                                                                          \
        v4f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};                                            \
        size_t i = 0;                                                                          \
        for (; i + 16 <= d; i += 16) {                                                         \
            v4f a0, a1, a2, a3, b0, b1, b2, b3;                                                \
            memcpy(&a0, a + i, 16); memcpy(&b0, b + i, 16);                                    \
            memcpy(&a1, a + i + 4, 16); memcpy(&b1, b + i + 4, 16);                            \
            memcpy(&a2, a + i + 8, 16); memcpy(&b2, b + i + 8, 16);                            \
            memcpy(&a3, a + i + 12, 16); memcpy(&b3, b + i + 12, 16);                          \
            a0 -= b0; a1 -= b1; a2 -= b2; a3 -= b3;                                            \
            s0 += a0 * a0; s1 += a1 * a1; s2 += a2 * a2; s3 += a3 * a3;                        \
        }                                                                                      \
        v4f s = (s0 + s1) + (s2 + s3);                                                         \
        float r = (s[0] + s[1]) + (s[2] + s[3]);                                               \
        for (; i < d; i++) r += (a[i] - b[i]) * (a[i] - b[i]);                                 \
        return r;                                                                              \
    }                                                                                          \
    ATTR static int32_t dot8_##SUFFIX(const int8_t *a, const int8_t *b, size_t d)              \
    {                                                                                          \
        int32_t acc[8] = {0};                                                                  \
        size_t i = 0;                                                                          \
        for (; i + 8 <= d; i += 8)                                                             \
            for (int j = 0; j < 8; j++) acc[j] += (int32_t)a[i + j] * b[i + j];                \
        int32_t r = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])); \
        for (; i < d; i++) r += (int32_t)a[i] * b[i];                                          \
        return r;                                                                              \
    }

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* AVX2 + FMA versions (8 floats a vector, 4 accumulators), chosen at run time. */
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, size_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
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

/* ---- creation ---------------------------------------------------------------------------- */

static int ix_new(growth_index **out, const ix_cfg *cfg, const char *who)
{
    if (cfg->dim < 1)
        return gerr(GROWTH_EINVAL, "%s: config key 'dim' is required (1..%d)", who, IX_MAX_DIM);
    ix_kernels_init();
    growth_index *x = calloc(1, sizeof *x);
    if (!x) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    x->cfg = *cfg;
    x->dim = (size_t)cfg->dim;
    x->entry = -1;
    x->max_level = -1;
    grng_seed(&x->rng, (uint64_t)cfg->seed);
    grwlock_init(&x->rw);
    pthread_mutex_init(&x->wlock, NULL);
    *out = x;
    return GROWTH_OK;
}

GROWTH_API int growth_index_create(growth_index **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_index_create", out);
    ix_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse("index", ix_opts, IX_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    return ix_new(out, &cfg, "growth_index_create");
}

static void ix_storage_free(growth_index *x)
{
    free(x->vec);
    free(x->norm2);
    free(x->ids);
    free(x->dead);
    free(x->q8);
    free(x->q8s);
    free(x->assign);
    gidmap_free(&x->map);
    ix_hnsw_free(x);
    ix_ivf_free(x);
}

GROWTH_API void growth_index_free(growth_index *x)
{
    if (!x) return;
    ix_storage_free(x);
    pthread_rwlock_destroy(&x->rw);
    pthread_mutex_destroy(&x->wlock);
    free(x);
}

GROWTH_API int growth_index_config(const growth_index *x, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_index_config", x);
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw); /* growth_index_set_config() may change search keys */
    int rc = gcfg_format(ix_opts, IX_NOPTS, &x->cfg, buf, cap, out_n);
    pthread_rwlock_unlock(&xm->rw);
    return rc;
}

typedef struct {
    int64_t ef, nprobe, threads, rescore;
} ix_set_cfg;

static const gcfg_opt ix_set_opts[] = {
    {"ef", GCFG_INT, offsetof(ix_set_cfg, ef), "0", 0, 100000, NULL, false},
    {"nprobe", GCFG_INT, offsetof(ix_set_cfg, nprobe), "0", 0, 1048576, NULL, false},
    {"threads", GCFG_INT, offsetof(ix_set_cfg, threads), "0", 0, 256, NULL, false},
    {"rescore", GCFG_INT, offsetof(ix_set_cfg, rescore), "0", 0, 1000, NULL, false},
};

GROWTH_API int growth_index_set_config(growth_index *x, const char *config)
{
    static const char *who = "growth_index_set_config";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, config);
    ix_set_cfg s;
    int rc = gcfg_parse("growth_index_set_config", ix_set_opts, 4, config, &s, sizeof s);
    if (rc) return rc;
    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    if (s.ef) x->cfg.ef = s.ef;
    if (s.nprobe) x->cfg.nprobe = s.nprobe;
    if (s.threads) x->cfg.threads = s.threads;
    if (s.rescore) x->cfg.rescore = s.rescore;
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    return GROWTH_OK;
}

/* ---- storage ----------------------------------------------------------------------------- */

#define GROW(field, n) do { void *p_ = realloc(x->field, (n) * sizeof *x->field); if (!p_) goto nomem; x->field = p_; } while (0)

/* Grows every per-slot array to hold `need` slots (no change on failure beyond capacity). */
static int ix_reserve_slots(growth_index *x, size_t need, const char *who)
{
    if (need <= x->cap) return GROWTH_OK;
    if (need > IX_MAX_SLOTS) return gerr(GROWTH_ENOMEM, "%s: more than %zu vectors", who, IX_MAX_SLOTS);
    size_t ncap = x->cap ? x->cap : need; /* first add: exact; later: grow by half */
    while (ncap < need) ncap += ncap / 2 + 1;
    if (ncap > IX_MAX_SLOTS) ncap = IX_MAX_SLOTS;
    GROW(vec, ncap * x->dim);
    GROW(ids, ncap);
    GROW(dead, ncap);
    if (x->cfg.metric == IX_L2) GROW(norm2, ncap);
    if (x->cfg.quantize == IX_Q_INT8) {
        GROW(q8, ncap * x->dim);
        GROW(q8s, ncap);
    }
    if (x->cfg.kind == IX_IVF) GROW(assign, ncap);
    if (x->cfg.kind == IX_HNSW && ix_hnsw_alloc(x, ncap)) goto nomem;
    x->cap = ncap;
    return GROWTH_OK;
nomem:
    return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu vectors of dim %zu", who, ncap, x->dim);
}

static void normalise(float *v, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) s += (double)v[i] * v[i];
    if (s > 0) {
        float inv = (float)(1.0 / sqrt(s));
        for (size_t i = 0; i < d; i++) v[i] *= inv;
    }
}

/* Writes one vector into slot s (storage reserved). */
static void ix_store(growth_index *x, uint32_t s, const float *v, int64_t id)
{
    float *dst = x->vec + (size_t)s * x->dim;
    memcpy(dst, v, x->dim * sizeof *dst);
    if (x->cfg.metric == IX_COSINE) normalise(dst, x->dim);
    if (x->norm2) x->norm2[s] = ix_k.dot(dst, dst, x->dim);
    if (x->q8) x->q8s[s] = ix_quantize(dst, x->dim, x->q8 + (size_t)s * x->dim);
    x->ids[s] = id;
    x->dead[s] = 0;
}

static int check_vectors(const char *who, const char *what, const float *v, size_t n, size_t d)
{
    /* n x d floats must fit in memory: a larger count cannot be the caller's array (and n * d
     * would wrap around). */
    if (d && n > SIZE_MAX / sizeof *v / d)
        return gerr(GROWTH_EINVAL, "%s: %zu vectors of dimension %zu is too large", who, n, d);
    if (gall_finite_f32(v, n * d)) return GROWTH_OK;
    for (size_t i = 0; i < n * d; i++)
        if (!gfinite(v[i]))
            return gerr(GROWTH_EINVAL, "%s: %s[%zu][%zu] is not finite", who, what, i / d, i % d);
    return GROWTH_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

GROWTH_API int growth_index_set_progress(growth_index *x, growth_progress_fn fn, void *user)
{
    GROWTH_CHECK_NULL("growth_index_set_progress", x);
    pthread_mutex_lock(&x->wlock); /* mutating calls read it under this lock */
    x->progress = fn;
    x->progress_user = user;
    pthread_mutex_unlock(&x->wlock);
    return GROWTH_OK;
}

GROWTH_API int growth_index_train(growth_index *x, const float *v, size_t n)
{
    static const char *who = "growth_index_train";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, v);
    if (x->cfg.kind != IX_IVF) return gerr(GROWTH_ESTATE, "%s: only kind=ivf is trained", who);
    int rc = check_vectors(who, "x", v, n, x->dim);
    if (rc) return rc;
    pthread_mutex_lock(&x->wlock);
    if (x->n > 0) rc = gerr(GROWTH_ESTATE, "%s: the index already holds vectors", who);
    else if (n < (size_t)x->cfg.nlist)
        rc = gerr(GROWTH_EINVAL, "%s: %zu training vectors for nlist=%lld lists", who, n, (long long)x->cfg.nlist);
    else {
        ix_progress pg = {x->progress, x->progress_user, "train", who, false};
        rc = ix_ivf_train(x, v, n, x->cfg.metric == IX_COSINE, &pg); /* builds aside, swaps under the lock */
    }
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

/* What an add changes, to take it back (cancel, or a failure after the first change). */
typedef struct {
    size_t n0, live0, cap0;
    int64_t next_id0, entry0;
    int max_level0;
    grng rng0;
    gidmap map_old;      /* the id map's arrays before it grew */
    bool map_grown;
    bool trained;        /* this add trained the IVF quantiser */
    uint32_t *list_cap0; /* IVF list capacities before the add */
} ix_add_undo;

#define SHRINK(field, cnt)                                                                   \
    do {                                                                                     \
        if (x->field) {                                                                      \
            if ((cnt) == 0) {                                                                \
                free(x->field);                                                              \
                x->field = NULL;                                                             \
            } else {                                                                         \
                void *p_ = realloc(x->field, (cnt) * sizeof *x->field);                      \
                if (p_) x->field = p_; /* a failed shrink keeps the larger block */          \
            }                                                                                \
        }                                                                                    \
    } while (0)

/* Gives back the per-slot memory above cap0 slots (what ix_reserve_slots took). */
static void ix_shrink_slots(growth_index *x, size_t cap0)
{
    if (x->cap == cap0) return;
    const size_t row = 2 * (size_t)x->cfg.M + 1;
    SHRINK(vec, cap0 * x->dim);
    SHRINK(norm2, cap0);
    SHRINK(ids, cap0);
    SHRINK(dead, cap0);
    SHRINK(q8, cap0 * x->dim);
    SHRINK(q8s, cap0);
    SHRINK(assign, cap0);
    SHRINK(level, cap0);
    SHRINK(links0, cap0 * row);
    SHRINK(links_up, cap0);
    x->cap = cap0;
}

/* Puts the index back as it was before the add (caller holds the writer lock). */
static void ix_add_rollback(growth_index *x, ix_add_undo *u)
{
    if (u->map_grown) {
        gidmap_free(&x->map);
        x->map = u->map_old;
        u->map_grown = false;
    } else {
        /* the old keys never moved: the new ones went into cells that were empty before */
        for (size_t s = u->n0; s < x->n; s++) gidmap_del(&x->map, (uint64_t)x->ids[s]);
    }
    if (x->cfg.kind == IX_HNSW) {
        ix_hnsw_undo_apply(x);
        const size_t row = 2 * (size_t)x->cfg.M + 1;
        for (size_t s = u->n0; s < x->n; s++) {
            free(x->links_up[s]);
            x->links_up[s] = NULL;
        }
        size_t end = x->n < u->cap0 ? x->n : u->cap0; /* rows above n are zero, as before */
        if (end > u->n0) memset(x->links0 + u->n0 * row, 0, (end - u->n0) * row * sizeof *x->links0);
        x->entry = u->entry0;
        x->max_level = u->max_level0;
    }
    if (x->cfg.kind == IX_IVF) {
        if (u->trained) {
            ix_ivf_free(x);
        } else if (x->lists) {
            for (size_t s = u->n0; s < x->n; s++) x->list_len[x->assign[s]]--;
            for (int64_t c = 0; u->list_cap0 && c < x->cfg.nlist; c++) {
                uint32_t c0 = u->list_cap0[c];
                if (x->list_cap[c] == c0) continue;
                if (c0 == 0) {
                    free(x->lists[c]);
                    x->lists[c] = NULL;
                } else {
                    uint32_t *p = realloc(x->lists[c], (size_t)c0 * sizeof *p);
                    if (p) x->lists[c] = p;
                }
                x->list_cap[c] = c0;
            }
        }
    }
    x->rng = u->rng0;
    x->n = u->n0;
    x->live = u->live0;
    x->next_id = u->next_id0;
    ix_shrink_slots(x, u->cap0);
}

/* Adds n validated vectors (caller holds wlock). A failure or a cancel after the first change
 * takes the whole add back. */
static int ix_add_locked(growth_index *x, const float *v, size_t n, const int64_t *ids, const ix_progress *pg)
{
    const char *who = pg->who;
    int rc = GROWTH_OK;
    int64_t *sorted = NULL;
    uint32_t *lists = NULL;
    bool changed = false;
    ix_add_undo u;
    memset(&u, 0, sizeof u);
    u.n0 = x->n;
    u.live0 = x->live;
    u.cap0 = x->cap;
    u.next_id0 = x->next_id;
    u.entry0 = x->entry;
    u.max_level0 = x->max_level;
    u.rng0 = x->rng;
    if (ids) {
        sorted = malloc(n * sizeof *sorted);
        if (!sorted) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
        memcpy(sorted, ids, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, cmp_i64);
        if (sorted[0] < 0) { rc = gerr(GROWTH_EINVAL, "%s: id %lld is negative", who, (long long)sorted[0]); goto done; }
        for (size_t i = 1; i < n; i++)
            if (sorted[i] == sorted[i - 1]) {
                rc = gerr(GROWTH_EINVAL, "%s: id %lld appears twice in the batch", who, (long long)sorted[i]);
                goto done;
            }
        if (sorted[n - 1] == INT64_MAX) { rc = gerr(GROWTH_EINVAL, "%s: id INT64_MAX is reserved", who); goto done; }
        for (size_t i = 0; i < n; i++)
            if (ix_map_get(&x->map, ids[i]) >= 0) {
                rc = gerr(GROWTH_EINVAL, "%s: duplicate id %lld (already in the index)", who, (long long)ids[i]);
                goto done;
            }
    } else if (x->next_id > INT64_MAX - (int64_t)n) {
        rc = gerr(GROWTH_EINVAL, "%s: automatic ids would overflow", who);
        goto done;
    }
    if (x->cfg.kind == IX_IVF && !x->cent) {
        if (n < (size_t)x->cfg.nlist) {
            rc = gerr(GROWTH_ESTATE, "%s: the IVF index is not trained and this batch of %zu vectors is smaller than nlist=%lld (call growth_index_train)",
                      who, n, (long long)x->cfg.nlist);
            goto done;
        }
        ix_progress tp = *pg;
        tp.stage = "train";
        if ((rc = ix_ivf_train(x, v, n, x->cfg.metric == IX_COSINE, &tp))) goto done;
        u.trained = true;
        changed = true;
    }
    if (x->cfg.kind == IX_IVF) {
        lists = malloc(n * sizeof *lists);
        if (!u.trained) u.list_cap0 = malloc((size_t)x->cfg.nlist * sizeof *u.list_cap0);
        if (!lists || (!u.trained && !u.list_cap0)) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
        if (u.list_cap0) memcpy(u.list_cap0, x->list_cap, (size_t)x->cfg.nlist * sizeof *u.list_cap0);
        if ((rc = ix_ivf_assign(x, v, n, lists))) goto done;
    }
    ix_scratch *sc = ix_scratch_get();
    if (!sc) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    if (x->cfg.kind == IX_HNSW) {
        /* after these, an insert cannot fail */
        if ((rc = ix_hnsw_reserve_scratch(x, sc, x->n + n))) goto done;
        if (pg->fn && !pg->fresh && (rc = ix_hnsw_undo_begin(x))) goto done;
    }
    changed = true;
    pthread_rwlock_wrlock(&x->rw);
    rc = ix_reserve_slots(x, x->n + n, who);
    if (!rc) rc = gidmap_reserve(who, "the id map", &x->map, x->map.count + n, &u.map_old, &u.map_grown);
    if (!rc && lists) rc = ix_ivf_reserve(x, lists, n); /* room up front: no failure midway */
    pthread_rwlock_unlock(&x->rw);
    if (rc) goto done;
    for (size_t b = 0; b < n; b += IX_ADD_CHUNK) {
        size_t e = b + IX_ADD_CHUNK < n ? b + IX_ADD_CHUNK : n;
        pthread_rwlock_wrlock(&x->rw);
        for (size_t i = b; i < e; i++) {
            uint32_t s = (uint32_t)x->n;
            int64_t id = ids ? ids[i] : x->next_id;
            ix_store(x, s, v + i * x->dim, id);
            gidmap_put(&x->map, (uint64_t)id, s);
            if (id >= x->next_id) x->next_id = id + 1;
            x->n++;
            x->live++;
            if (x->cfg.kind == IX_HNSW) rc = ix_hnsw_insert(x, s, sc);
            else if (x->cfg.kind == IX_IVF) {
                x->assign[s] = lists[i];
                ix_ivf_append(x, lists[i], s);
            }
            if (rc) break; /* not expected: the scratch was reserved */
        }
        pthread_rwlock_unlock(&x->rw);
        if (rc) break;
        /* between chunks, without the reader/writer lock: the callback may search */
        if (pg->fn && pg->fn(pg->stage, (double)e / (double)n, pg->user)) {
            rc = gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback after %zu of %zu vectors", who, e, n);
            break;
        }
    }
done:
    if (rc && changed) {
        pthread_rwlock_wrlock(&x->rw);
        ix_add_rollback(x, &u);
        pthread_rwlock_unlock(&x->rw);
    }
    if (u.map_grown) { /* committed: the old map is no longer needed */
        gidmap_free(&u.map_old);
    }
    ix_hnsw_undo_end(x);
    free(u.list_cap0);
    free(sorted);
    free(lists);
    return rc;
}

GROWTH_API int growth_index_add(growth_index *x, const float *v, size_t n, const int64_t *ids)
{
    static const char *who = "growth_index_add";
    GROWTH_CHECK_NULL(who, x);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, v);
    int rc = check_vectors(who, "x", v, n, x->dim);
    if (rc) return rc;
    pthread_mutex_lock(&x->wlock);
    ix_progress pg = {x->progress, x->progress_user, "add", who, false};
    rc = ix_add_locked(x, v, n, ids, &pg);
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

GROWTH_API int growth_index_remove(growth_index *x, const int64_t *ids, size_t n, size_t *out_removed)
{
    static const char *who = "growth_index_remove";
    GROWTH_CHECK_NULL(who, x);
    if (n) GROWTH_CHECK_NULL(who, ids);
    size_t removed = 0;
    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    for (size_t i = 0; i < n; i++) {
        int64_t s = ix_map_get(&x->map, ids[i]);
        if (s < 0) continue;
        x->dead[s] = 1;
        gidmap_del(&x->map, (uint64_t)ids[i]);
        x->live--;
        removed++;
    }
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    if (out_removed) *out_removed = removed;
    return GROWTH_OK;
}

GROWTH_API int growth_index_compact(growth_index *x)
{
    static const char *who = "growth_index_compact";
    GROWTH_CHECK_NULL(who, x);
    pthread_mutex_lock(&x->wlock);
    int rc = GROWTH_OK;
    if (x->live == x->n) goto out;
    /* Build a fresh index with the live vectors, then swap its storage in. */
    growth_index *y = NULL;
    if ((rc = ix_new(&y, &x->cfg, who))) goto out;
    size_t live = x->live;
    float *v = malloc((live ? live : 1) * x->dim * sizeof *v);
    int64_t *ids = malloc((live ? live : 1) * sizeof *ids);
    if (!v || !ids) rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    size_t j = 0;
    for (size_t s = 0; !rc && s < x->n; s++)
        if (!x->dead[s]) {
            memcpy(v + j * x->dim, x->vec + s * x->dim, x->dim * sizeof *v);
            ids[j++] = x->ids[s];
        }
    if (!rc && x->cent) { /* keep the trained quantiser */
        y->cent = malloc((size_t)x->cfg.nlist * x->dim * sizeof *y->cent);
        if (!y->cent) rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        else {
            memcpy(y->cent, x->cent, (size_t)x->cfg.nlist * x->dim * sizeof *y->cent);
            rc = ix_ivf_train(y, NULL, 0, false, NULL);
        }
    }
    if (!rc && live) { /* y is private: a cancel just drops it */
        ix_progress pg = {x->progress, x->progress_user, "compact", who, true};
        rc = ix_add_locked(y, v, live, ids, &pg);
    }
    free(v);
    free(ids);
    if (!rc) {
        y->next_id = x->next_id;
        pthread_rwlock_wrlock(&x->rw);
        growth_index tmp = *x;
        /* swap everything but the locks, the configuration and the callback */
        x->n = y->n; x->cap = y->cap; x->live = y->live; x->vec = y->vec; x->norm2 = y->norm2;
        x->ids = y->ids; x->dead = y->dead; x->q8 = y->q8; x->q8s = y->q8s; x->map = y->map;
        x->level = y->level; x->links0 = y->links0; x->links_up = y->links_up;
        x->entry = y->entry; x->max_level = y->max_level; x->cent = y->cent;
        x->cent_norm2 = y->cent_norm2; x->assign = y->assign; x->lists = y->lists;
        x->list_len = y->list_len; x->list_cap = y->list_cap;
        pthread_rwlock_unlock(&x->rw);
        y->n = tmp.n; y->cap = tmp.cap; y->vec = tmp.vec; y->norm2 = tmp.norm2; y->ids = tmp.ids;
        y->dead = tmp.dead; y->q8 = tmp.q8; y->q8s = tmp.q8s; y->map = tmp.map; y->level = tmp.level;
        y->links0 = tmp.links0; y->links_up = tmp.links_up; y->cent = tmp.cent;
        y->cent_norm2 = tmp.cent_norm2; y->assign = tmp.assign; y->lists = tmp.lists;
        y->list_len = tmp.list_len; y->list_cap = tmp.list_cap;
    }
    growth_index_free(y);
out:
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

/* ---- search ------------------------------------------------------------------------------ */

/* Copies (and for cosine normalises) a query; returns |q|^2 (l2) or 0. */
static float prep_query(const growth_index *x, const float *q, float *dst)
{
    memcpy(dst, q, x->dim * sizeof *dst);
    if (x->cfg.metric == IX_COSINE) normalise(dst, x->dim);
    return x->cfg.metric == IX_L2 ? ix_k.dot(dst, dst, x->dim) : 0.0f;
}

/* Exact scan of every slot (or of the allow-list when it is short) for one prepared query. */
static int flat_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                       ix_scratch *sc, ix_hit *h, size_t *nh)
{
    const size_t d = x->dim;
    const bool l2 = x->cfg.metric == IX_L2;
    size_t m = 0;
    if (f && f->allow && f->n_allow * 4 < x->n) {
        for (size_t i = 0; i < f->n_allow; i++) {
            int64_t s = ix_map_get(&x->map, f->allow[i]);
            if (s < 0 || !ix_pass(x, f, (uint32_t)s)) continue;
            float key = ix_k.dot(q, x->vec + (size_t)s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            ix_topk_offer(h, &m, k, key, (uint32_t)s);
        }
        *nh = m;
        return GROWTH_OK;
    }
    if (x->q8) { /* int8 first pass over rescore*k candidates, then float re-scoring */
        size_t kk = k * (size_t)x->cfg.rescore;
        if (ix_reserve("growth_index_search", (void **)&sc->c, &sc->ccap, kk, sizeof(ix_hit)) ||
            ix_reserve("growth_index_search", (void **)&sc->q8, &sc->q8cap, d, 1))
            return GROWTH_ENOMEM;
        float qs = ix_quantize(q, d, sc->q8);
        size_t mc = 0;
        float thr = -INFINITY;
        for (size_t s = 0; s < x->n; s++) {
            float key = qs * x->q8s[s] * (float)ix_k.dot8(sc->q8, x->q8 + s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            if (key > thr && ix_pass(x, f, (uint32_t)s)) {
                ix_topk_offer(sc->c, &mc, kk, key, (uint32_t)s);
                if (mc == kk) thr = sc->c[0].key;
            }
        }
        for (size_t i = 0; i < mc; i++) {
            uint32_t s = sc->c[i].slot;
            float key = ix_k.dot(q, x->vec + (size_t)s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            ix_topk_offer(h, &m, k, key, s);
        }
        *nh = m;
        return GROWTH_OK;
    }
    float thr = -INFINITY;
    const float *v = x->vec;
    for (size_t s = 0; s < x->n; s++, v += d) {
        float key = ix_k.dot(q, v, d);
        if (l2) key = 2.0f * key - x->norm2[s];
        if (key > thr && ix_pass(x, f, (uint32_t)s)) {
            ix_topk_offer(h, &m, k, key, (uint32_t)s);
            if (m == k) thr = h[0].key;
        }
    }
    *nh = m;
    return GROWTH_OK;
}

/* One prepared query through the index's kind; results sorted best first in h[0..*nh). */
static int search_one(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                      ix_scratch *sc, ix_hit *h, size_t *nh)
{
    int rc;
    if (x->cfg.kind == IX_HNSW) rc = ix_hnsw_search(x, q, k, f, sc, h, nh);
    else if (x->cfg.kind == IX_IVF) rc = ix_ivf_search(x, q, k, f, sc, h, nh);
    else rc = flat_search(x, q, k, f, sc, h, nh);
    if (!rc) ix_minh_sort(NULL, h, *nh);
    return rc;
}

static void write_out(const growth_index *x, const ix_hit *h, size_t nh, size_t k, float qn2,
                      int64_t *ids, float *scores)
{
    for (size_t i = 0; i < k; i++) {
        if (i < nh) {
            ids[i] = x->ids[h[i].slot];
            if (scores) {
                float sc = h[i].key;
                if (x->cfg.metric == IX_L2) sc = fmaxf(qn2 - sc, 0.0f);
                scores[i] = sc;
            }
        } else {
            ids[i] = -1;
            if (scores) scores[i] = NAN;
        }
    }
}

/* Validates a search; the capacity is checked by the caller, after everything else. */
static int check_search(const char *who, const growth_index *x, const float *q, size_t nq, size_t k,
                        const growth_id_filter *f, const int64_t *ids)
{
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, q);
    GROWTH_CHECK_NULL(who, ids);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k is 0", who);
    if (nq && k > SIZE_MAX / nq) return gerr(GROWTH_EINVAL, "%s: k x nq overflows", who);
    int rc = check_vectors(who, "q", q, nq, x->dim);
    if (rc) return rc;
    return gid_filter_check(who, f);
}

GROWTH_API int growth_index_search(const growth_index *x, const float *q, size_t k,
                                   const growth_id_filter *f, int64_t *out_ids, float *out_scores,
                                   size_t cap, size_t *out_n)
{
    static const char *who = "growth_index_search";
    if (out_n) *out_n = 0;
    int rc = check_search(who, x, q, 1, k, f, out_ids);
    if (rc) return rc;
    ix_scratch *sc = ix_scratch_get();
    if (!sc) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    if (x->live == 0) {
        pthread_rwlock_unlock(&xm->rw);
        return gerr(GROWTH_ESTATE, "%s: the index is empty", who);
    }
    if (cap < k) { /* after every other check: a second call with *out_n succeeds */
        pthread_rwlock_unlock(&xm->rw);
        if (out_n) *out_n = k;
        return gerr(GROWTH_EBUFS, "%s: output capacity %zu is below k=%zu", who, cap, k);
    }
    if (k > x->live) k = x->live;
    size_t nh = 0;
    if (ix_reserve(who, (void **)&sc->f, &sc->fcap, x->dim, sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, k + 1, sizeof(ix_hit))) {
        pthread_rwlock_unlock(&xm->rw);
        return GROWTH_ENOMEM;
    }
    float qn2 = prep_query(x, q, sc->f);
    rc = search_one(x, sc->f, k, f, sc, sc->h, &nh);
    if (!rc) {
        write_out(x, sc->h, nh, nh, qn2, out_ids, out_scores);
        if (out_n) *out_n = nh;
    }
    pthread_rwlock_unlock(&xm->rw);
    return rc;
}

/* Blocked sgemm for exact batches: QB queries x BI items per product (large QB: the item
 * matrix streams from memory once per QB queries). */
enum { QB = 1024, BI = 512, SCAN = 16 }; /* few passes over the items; S = 2 MiB */

/* Whether any of SCAN scores (less n2 for l2) beats t: four-wide compares (GNU vector
 * extension: SSE on x86-64, lowered to scalar code elsewhere), one branch per chunk. */
typedef float scan_v4f __attribute__((vector_size(16)));
typedef int32_t scan_v4i __attribute__((vector_size(16)));

static inline bool scan_any(const float *row, const float *n2, float t)
{
    scan_v4f tv = {t, t, t, t};
    scan_v4i acc = {0, 0, 0, 0};
    for (size_t j = 0; j < SCAN; j += 4) {
        scan_v4f r;
        memcpy(&r, row + j, sizeof r);
        if (n2) {
            scan_v4f nn;
            memcpy(&nn, n2 + j, sizeof nn);
            r -= nn;
        }
        acc |= r > tv;
    }
    return (acc[0] | acc[1] | acc[2] | acc[3]) != 0;
}

static int flat_batch(const growth_index *x, const float *q, size_t nq, size_t k,
                      const growth_id_filter *f, int64_t *ids, float *scores, ix_scratch *sc)
{
    static const char *who = "growth_index_search_batch";
    const size_t d = x->dim;
    const bool l2 = x->cfg.metric == IX_L2;
    size_t kk = k < x->live ? k : x->live;
    if (ix_reserve(who, (void **)&sc->f, &sc->fcap, QB * d + QB * (size_t)BI + 2 * QB, sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, QB * (kk + 1), sizeof(ix_hit)))
        return GROWTH_ENOMEM;
    float *Q = sc->f, *S = Q + QB * d, *qn2 = S + QB * (size_t)BI, *thr = qn2 + QB;
    size_t cnt[QB];
    for (size_t q0 = 0; q0 < nq; q0 += QB) {
        size_t nb = nq - q0 < QB ? nq - q0 : QB;
        for (size_t r = 0; r < nb; r++) {
            qn2[r] = prep_query(x, q + (q0 + r) * d, Q + r * d);
            cnt[r] = 0;
            thr[r] = -INFINITY;
        }
        for (size_t i0 = 0; i0 < x->n; i0 += BI) {
            size_t bi = x->n - i0 < BI ? x->n - i0 : BI;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)bi, (int)d, l2 ? 2.0f : 1.0f,
                        Q, (int)d, x->vec + i0 * d, (int)d, 0.0f, S, (int)bi);
            for (size_t r = 0; r < nb; r++) {
                const float *row = S + r * bi;
                ix_hit *h = sc->h + r * (kk + 1);
                float t = thr[r];
                size_t m = cnt[r];
                const float *n2 = x->norm2 + i0;
                for (size_t j0 = 0; j0 < bi; j0 += SCAN) {
                    size_t je = bi - j0 < SCAN ? bi : j0 + SCAN;
                    if (je - j0 == SCAN && !scan_any(row + j0, l2 ? n2 + j0 : NULL, t))
                        continue; /* most chunks hold nothing above the k-th best */
                    for (size_t j = j0; j < je; j++) {
                        float key = row[j];
                        if (l2) key -= n2[j];
                        if (key > t && ix_pass(x, f, (uint32_t)(i0 + j))) {
                            ix_topk_offer(h, &m, kk, key, (uint32_t)(i0 + j));
                            if (m == kk) t = h[0].key;
                        }
                    }
                }
                thr[r] = t;
                cnt[r] = m;
            }
        }
        for (size_t r = 0; r < nb; r++) {
            ix_hit *h = sc->h + r * (kk + 1);
            ix_minh_sort(NULL, h, cnt[r]);
            write_out(x, h, cnt[r], k, qn2[r], ids + (q0 + r) * k, scores ? scores + (q0 + r) * k : NULL);
        }
    }
    return GROWTH_OK;
}

typedef struct {
    const growth_index *x;
    const float *q;
    size_t nq, k;
    const growth_id_filter *f;
    int64_t *ids;
    float *scores;
    int rc;
} batch_job;

static void *batch_run(void *arg)
{
    static const char *who = "growth_index_search_batch";
    batch_job *j = arg;
    const growth_index *x = j->x;
    ix_scratch *sc = ix_scratch_get();
    if (!sc) { j->rc = GROWTH_ENOMEM; return NULL; }
    bool exact = x->cfg.kind == IX_FLAT && !x->q8 && !(j->f && j->f->allow && j->f->n_allow * 4 < x->n);
    if (exact && j->nq > 1) {
        j->rc = flat_batch(x, j->q, j->nq, j->k, j->f, j->ids, j->scores, sc);
        return NULL;
    }
    size_t kk = j->k < x->live ? j->k : x->live;
    if (ix_reserve(who, (void **)&sc->f, &sc->fcap, x->dim, sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, kk + 1, sizeof(ix_hit))) {
        j->rc = GROWTH_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < j->nq; i++) {
        size_t nh = 0;
        float qn2 = prep_query(x, j->q + i * x->dim, sc->f);
        int rc = search_one(x, sc->f, kk, j->f, sc, sc->h, &nh);
        if (rc) { j->rc = rc; return NULL; }
        write_out(x, sc->h, nh, j->k, qn2, j->ids + i * j->k, j->scores ? j->scores + i * j->k : NULL);
    }
    j->rc = GROWTH_OK;
    return NULL;
}

GROWTH_API int growth_index_search_batch(const growth_index *x, const float *q, size_t nq, size_t k,
                                         const growth_id_filter *f, int64_t *ids, float *scores,
                                         size_t cap)
{
    static const char *who = "growth_index_search_batch";
    int rc = check_search(who, x, q, nq, k, f, ids);
    if (rc) return rc;
    if (cap < k * nq)
        return gerr(GROWTH_EBUFS, "%s: output capacity %zu is below %zu (k x queries)", who, cap, k * nq);
    if (nq == 0) return GROWTH_OK;
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    if (x->live == 0) {
        pthread_rwlock_unlock(&xm->rw);
        return gerr(GROWTH_ESTATE, "%s: the index is empty", who);
    }
    size_t T = (size_t)x->cfg.threads;
    if (T > nq) T = nq;
    batch_job jobs[256];
    pthread_t th[256];
    bool started[256] = {false};
    size_t per = (nq + T - 1) / T;
    for (size_t t = 0; t < T; t++) {
        size_t a = t * per, b = a + per < nq ? a + per : nq;
        if (a > b) a = b;
        jobs[t] = (batch_job){x, q + a * x->dim, b - a, k, f, ids + a * k, scores ? scores + a * k : NULL, GROWTH_OK};
        if (t > 0 && b > a) started[t] = pthread_create(&th[t], NULL, batch_run, &jobs[t]) == 0;
        if (t > 0 && b > a && !started[t]) batch_run(&jobs[t]); /* no thread: do it here */
    }
    batch_run(&jobs[0]);
    for (size_t t = 1; t < T; t++)
        if (started[t]) pthread_join(th[t], NULL);
    pthread_rwlock_unlock(&xm->rw);
    for (size_t t = 0; t < T; t++)
        if (jobs[t].rc) return gerr(jobs[t].rc, "%s: a search thread failed: %s", who, growth_strerror(jobs[t].rc));
    return GROWTH_OK;
}

/* ---- re-ranking -------------------------------------------------------------------------- */

static float cosine_of(const growth_index *x, const float *a, const float *b)
{
    float ab = ix_k.dot(a, b, x->dim);
    if (x->cfg.metric == IX_COSINE) return ab;
    float na = ix_k.dot(a, a, x->dim), nb = ix_k.dot(b, b, x->dim);
    return na > 0 && nb > 0 ? ab / sqrtf(na * nb) : 0.0f;
}

static int lookup_all(const char *who, const growth_index *x, const int64_t *ids, size_t n, uint32_t *slots)
{
    for (size_t i = 0; i < n; i++) {
        int64_t s = ix_map_get(&x->map, ids[i]);
        if (s < 0) return gerr(GROWTH_ENOTFOUND, "%s: id %lld is not in the index", who, (long long)ids[i]);
        slots[i] = (uint32_t)s;
    }
    return GROWTH_OK;
}

GROWTH_API int growth_index_dedup(const growth_index *x, const int64_t *ids, const float *scores,
                                  size_t n, float max_cos, int64_t *out_ids, float *out_scores,
                                  size_t cap, size_t *out_n)
{
    static const char *who = "growth_index_dedup";
    if (out_n) *out_n = 0;
    GROWTH_CHECK_NULL(who, x);
    if (n) GROWTH_CHECK_NULL(who, ids);
    if (cap) GROWTH_CHECK_NULL(who, out_ids);
    if (!(max_cos >= -1.0f && max_cos <= 1.0f)) return gerr(GROWTH_EINVAL, "%s: max_cos %g is not in [-1, 1]", who, (double)max_cos);
    if (n > SIZE_MAX / sizeof(int64_t)) return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    uint32_t *slots = malloc((n ? n : 1) * sizeof *slots), *kept = malloc((n ? n : 1) * sizeof *kept);
    if (!slots || !kept) { free(slots); free(kept); return gerr(GROWTH_ENOMEM, "%s: out of memory", who); }
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    int rc = lookup_all(who, x, ids, n, slots);
    if (!rc && cap < n) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = n;
        rc = gerr(GROWTH_EBUFS, "%s: capacity %zu is below n=%zu", who, cap, n);
    }
    size_t m = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const float *v = x->vec + (size_t)slots[i] * x->dim;
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++)
            dup = cosine_of(x, v, x->vec + (size_t)slots[kept[j]] * x->dim) > max_cos;
        if (dup) continue;
        kept[m++] = (uint32_t)i;
    }
    pthread_rwlock_unlock(&xm->rw);
    if (!rc) {
        for (size_t j = 0; j < m; j++) {
            out_ids[j] = ids[kept[j]];
            if (out_scores && scores) out_scores[j] = scores[kept[j]];
        }
        if (out_n) *out_n = m;
    }
    free(slots);
    free(kept);
    return rc;
}

GROWTH_API int growth_index_mmr(const growth_index *x, const float *q, const int64_t *ids, size_t n,
                                float lambda, size_t k, int64_t *out_ids, float *out_scores,
                                size_t cap, size_t *out_n)
{
    static const char *who = "growth_index_mmr";
    if (out_n) *out_n = 0;
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, q);
    if (n) GROWTH_CHECK_NULL(who, ids);
    if (cap) GROWTH_CHECK_NULL(who, out_ids);
    if (!(lambda >= 0.0f && lambda <= 1.0f)) return gerr(GROWTH_EINVAL, "%s: lambda %g is not in [0, 1]", who, (double)lambda);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k is 0", who);
    if (n > SIZE_MAX / sizeof(float)) return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    int rc = check_vectors(who, "q", q, 1, x->dim);
    if (rc) return rc;
    size_t want = k < n ? k : n;
    uint32_t *slots = malloc((n ? n : 1) * sizeof *slots);
    float *rel = malloc((n ? n : 1) * sizeof *rel), *red = malloc((n ? n : 1) * sizeof *red);
    uint8_t *taken = calloc(n ? n : 1, 1);
    if (!slots || !rel || !red || !taken) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    rc = lookup_all(who, x, ids, n, slots);
    if (!rc && cap < want) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = want;
        rc = gerr(GROWTH_EBUFS, "%s: capacity %zu is below min(k, n)=%zu", who, cap, want);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        rel[i] = cosine_of(x, q, x->vec + (size_t)slots[i] * x->dim);
        red[i] = -INFINITY;
    }
    for (size_t j = 0; !rc && j < want; j++) {
        size_t best = n;
        float bv = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (taken[i]) continue;
            float r = red[i] == -INFINITY ? 0.0f : red[i];
            float val = lambda * rel[i] - (1.0f - lambda) * r;
            if (best == n || val > bv) { bv = val; best = i; }
        }
        taken[best] = 1;
        out_ids[j] = ids[best];
        if (out_scores) out_scores[j] = bv;
        const float *bvv = x->vec + (size_t)slots[best] * x->dim;
        for (size_t i = 0; i < n; i++)
            if (!taken[i]) {
                float c = cosine_of(x, x->vec + (size_t)slots[i] * x->dim, bvv);
                if (c > red[i]) red[i] = c;
            }
    }
    pthread_rwlock_unlock(&xm->rw);
    if (!rc && out_n) *out_n = want;
done:
    free(slots);
    free(rel);
    free(red);
    free(taken);
    return rc;
}

GROWTH_API int growth_index_get(const growth_index *x, int64_t id, float *out, size_t cap)
{
    static const char *who = "growth_index_get";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, out);
    if (cap < x->dim) return gerr(GROWTH_EBUFS, "%s: capacity %zu is below dim=%zu", who, cap, x->dim);
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    int64_t s = ix_map_get(&x->map, id);
    if (s >= 0) memcpy(out, x->vec + (size_t)s * x->dim, x->dim * sizeof *out);
    pthread_rwlock_unlock(&xm->rw);
    if (s < 0) return gerr(GROWTH_ENOTFOUND, "%s: id %lld is not in the index", who, (long long)id);
    return GROWTH_OK;
}

GROWTH_API int growth_index_stats_get(const growth_index *x, growth_index_stats *out)
{
    static const char *who = "growth_index_stats_get";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, out);
    growth_index_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    st.count = x->live;
    st.deleted = x->n - x->live;
    st.dim = x->dim;
    size_t per = x->dim * sizeof(float) + sizeof(int64_t) + 1 + (x->norm2 ? 4 : 0) +
                 (x->q8 ? x->dim + 4 : 0) + (x->assign ? 4 : 0);
    st.memory_bytes = sizeof *x + x->cap * per + x->map.cap * 12 + ix_hnsw_bytes(x) + ix_ivf_bytes(x);
    pthread_rwlock_unlock(&xm->rw);
    return gstruct_out(who, "stats", out, &st, sizeof st, sizeof st);
}

/* ---- persistence ------------------------------------------------------------------------- */

#define IX_MAX_FILE ((size_t)1 << 36)

/* Snapshot under the read lock (searches go on; mutations wait). */
static int ix_pack(const char *who_called, const void *model, uint8_t **out, size_t *out_len)
{
    (void)who_called; /* messages name growth_index_save, as they always have */
    static const char *who = "growth_index_save";
    const growth_index *x = model;
    pthread_rwlock_rdlock(&((growth_index *)x)->rw);
    const size_t n = x->n, d = x->dim, M0 = 2 * (size_t)x->cfg.M + 1, Mu = (size_t)x->cfg.M + 1;
    char *cfgbuf = NULL;
    uint32_t *up = NULL;
    int rc = GROWTH_OK;
    cfgbuf = gcfg_format_alloc(ix_opts, IX_NOPTS, &x->cfg);
    size_t nup = 0;
    if (x->cfg.kind == IX_HNSW)
        for (size_t s = 0; s < n; s++) nup += x->level[s] * Mu;
    up = malloc((nup ? nup : 1) * sizeof *up);
    if (!cfgbuf || !up) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__Index msg = GROWTH__INDEX__INIT;
    msg.meta = &meta;
    msg.n = n;
    msg.n_ids = n;
    msg.ids = x->ids;
    msg.dead = (ProtobufCBinaryData){n, x->dead};
    msg.vectors = (ProtobufCBinaryData){n * d * sizeof(float), (uint8_t *)x->vec};
    msg.next_id = x->next_id;
    msg.entry = x->entry;
    if (x->cfg.kind == IX_HNSW) {
        size_t j = 0;
        for (size_t s = 0; s < n; s++)
            if (x->level[s]) {
                memcpy(up + j, x->links_up[s], x->level[s] * Mu * sizeof *up);
                j += x->level[s] * Mu;
            }
        msg.levels = (ProtobufCBinaryData){n, x->level};
        msg.links0 = (ProtobufCBinaryData){n * M0 * sizeof(uint32_t), (uint8_t *)x->links0};
        msg.links_up = (ProtobufCBinaryData){nup * sizeof(uint32_t), (uint8_t *)up};
    }
    if (x->cent) {
        msg.centroids = (ProtobufCBinaryData){(size_t)x->cfg.nlist * d * sizeof(float), (uint8_t *)x->cent};
        msg.assign = (ProtobufCBinaryData){n * sizeof(uint32_t), (uint8_t *)x->assign};
    }
    rc = genv_pack(who, GROWTH_KIND_INDEX, &msg.base, out, out_len);
done:
    pthread_rwlock_unlock(&((growth_index *)x)->rw);
    free(cfgbuf);
    free(up);
    return rc;
}

GROWTH_API int growth_index_serialize(const growth_index *x, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_index_serialize", x, ix_pack, out_buf, out_len);
}

GROWTH_API int growth_index_save(const growth_index *x, const char *path)
{
    return gmodel_save("growth_index_save", x, path, ix_pack);
}

#define BAD(...) do { rc = gerr(GROWTH_EFORMAT, __VA_ARGS__); goto done; } while (0)

static int ix_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_index **out = outp;
    int rc = GROWTH_OK;
    Growth__Index *msg = growth__index__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gerr(GROWTH_EFORMAT, "%s: index payload does not decode", who);
    growth_index *x = NULL;
    ix_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!msg->meta || !msg->meta->config) BAD("%s: index has no configuration", who);
    if (gcfg_parse("index", ix_opts, IX_NOPTS, msg->meta->config, &cfg, sizeof cfg) || cfg.dim < 1)
        BAD("%s: stored configuration is invalid: %s", who, growth_last_error());
    if ((rc = ix_new(&x, &cfg, who))) goto done;
    const size_t n = msg->n, d = x->dim, M0 = 2 * (size_t)cfg.M + 1, Mu = (size_t)cfg.M + 1;
    if (n > IX_MAX_SLOTS || msg->n_ids != n || msg->dead.len != n || n > SIZE_MAX / d / 4 ||
        msg->vectors.len != n * d * sizeof(float))
        BAD("%s: %llu slots but %zu ids, %zu tombstone bytes, %zu vector bytes (dim %zu)", who,
            (unsigned long long)msg->n, msg->n_ids, msg->dead.len, msg->vectors.len, d);
    if (msg->next_id < 0) BAD("%s: negative next id", who);
    if (!gall_finite_f32((const float *)msg->vectors.data, n * d)) BAD("%s: vectors hold NaN or Inf", who);
    bool hnsw = cfg.kind == IX_HNSW, ivf = cfg.kind == IX_IVF;
    if (hnsw && (msg->levels.len != n || msg->links0.len != n * M0 * 4))
        BAD("%s: HNSW graph sizes do not match %zu nodes", who, n);
    if (ivf && msg->centroids.len && (msg->centroids.len != (size_t)cfg.nlist * d * 4 || msg->assign.len != n * 4))
        BAD("%s: IVF sizes do not match", who);
    if (ivf && !msg->centroids.len && n) BAD("%s: IVF index with vectors but no centroids", who);
    if (ivf && msg->centroids.len && !gall_finite_f32((const float *)msg->centroids.data, (size_t)cfg.nlist * d))
        BAD("%s: centroids hold NaN or Inf", who);
    if (ivf && msg->centroids.len) {
        x->cent = malloc(msg->centroids.len);
        if (!x->cent) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
        memcpy(x->cent, msg->centroids.data, msg->centroids.len);
        if ((rc = ix_ivf_train(x, NULL, 0, false, NULL))) goto done;
    }
    if ((n && (rc = ix_reserve_slots(x, n, who))) || (rc = gidmap_reserve(who, "the id map", &x->map, n, NULL, NULL))) goto done;
    if (n) memcpy(x->vec, msg->vectors.data, n * d * sizeof(float));
    size_t live = 0;
    for (size_t s = 0; s < n; s++) {
        if (msg->dead.data[s] > 1) BAD("%s: bad tombstone byte", who);
        if (msg->ids[s] < 0 || msg->ids[s] == INT64_MAX) BAD("%s: bad id %lld", who, (long long)msg->ids[s]);
        x->ids[s] = msg->ids[s];
        x->dead[s] = msg->dead.data[s];
        const float *v = x->vec + s * d;
        if (x->norm2) x->norm2[s] = ix_k.dot(v, v, d);
        if (x->q8) x->q8s[s] = ix_quantize(v, d, x->q8 + s * d);
        if (!x->dead[s]) {
            if (ix_map_get(&x->map, x->ids[s]) >= 0) BAD("%s: id %lld appears twice", who, (long long)x->ids[s]);
            gidmap_put(&x->map, (uint64_t)x->ids[s], (uint32_t)s);
            live++;
        }
    }
    x->n = n;
    x->live = live;
    x->next_id = msg->next_id;
    if (ivf && n) {
        const uint8_t *a = msg->assign.data;
        for (size_t s = 0; s < n; s++) {
            uint32_t l = gget_u32(a + 4 * s);
            if (l >= (uint32_t)cfg.nlist) BAD("%s: list %u out of range", who, l);
            x->assign[s] = l;
            if ((rc = ix_ivf_append(x, l, (uint32_t)s))) goto done;
        }
    }
    if (hnsw) {
        if (msg->entry < -1 || msg->entry >= (int64_t)n || (n && msg->entry < 0))
            BAD("%s: bad entry point %lld", who, (long long)msg->entry);
        x->entry = msg->entry;
        const uint8_t *up = msg->links_up.data;
        size_t upn = msg->links_up.len / 4, j = 0;
        if (msg->links_up.len % 4) BAD("%s: bad upper links", who);
        memcpy(x->links0, msg->links0.data, n * M0 * 4);
        for (size_t s = 0; s < n; s++) {
            uint32_t *l0 = x->links0 + s * M0;
            if (l0[0] > M0 - 1) BAD("%s: node %zu has %u layer-0 links", who, s, l0[0]);
            for (uint32_t i = 1; i <= l0[0]; i++)
                if (l0[i] >= n) BAD("%s: link out of range", who);
            int lv = msg->levels.data[s];
            if (lv >= IX_MAX_LEVEL) BAD("%s: node level %d too high", who, lv);
            x->level[s] = (uint8_t)lv;
            if (lv > x->max_level) x->max_level = lv;
            if (!lv) continue;
            if (j + (size_t)lv * Mu > upn) BAD("%s: upper links are truncated", who);
            x->links_up[s] = malloc((size_t)lv * Mu * 4);
            if (!x->links_up[s]) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
            memcpy(x->links_up[s], up + 4 * j, (size_t)lv * Mu * 4);
            j += (size_t)lv * Mu;
            for (int l = 0; l < lv; l++) {
                uint32_t *ll = x->links_up[s] + (size_t)l * Mu;
                if (ll[0] > Mu - 1) BAD("%s: bad upper link count", who);
                for (uint32_t i = 1; i <= ll[0]; i++)
                    if (ll[i] >= n || msg->levels.data[ll[i]] < l + 1) BAD("%s: upper link out of range", who);
            }
        }
        if (j != upn) BAD("%s: %zu unused upper link words", who, upn - j);
        if (n && x->level[x->entry] != x->max_level) BAD("%s: entry point is not on the top layer", who);
        if (!n) x->max_level = -1;
    }
done:
    growth__index__free_unpacked(msg, &gpb_allocator);
    if (rc) growth_index_free(x);
    else *out = x;
    return rc;
}

GROWTH_API int growth_index_deserialize(growth_index **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_index_deserialize", buf, len, GROWTH_KIND_INDEX, ix_from_payload, out);
}

GROWTH_API int growth_index_load(growth_index **out, const char *path)
{
    return gmodel_load("growth_index_load", path, IX_MAX_FILE, GROWTH_KIND_INDEX, ix_from_payload, out);
}
