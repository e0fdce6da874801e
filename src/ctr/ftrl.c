/* FTRL-Proximal logistic regression with several heads over one hashed feature space.
 *
 * Per slot and head we keep z (the FTRL accumulator) and s = sqrt(n) (n = sum of squared
 * gradients). The weight is implicit:
 *     w = 0                                        if |z| <= l1
 *     w = (sign(z) * l1 - z) / ((beta + s) / alpha + l2)   otherwise
 * and an update with gradient g does
 *     s' = sqrt(s^2 + g^2);  z += g - (s' - s) / alpha * w;  s = s'.
 * Storing sqrt(n) instead of n saves a square root per feature on every prediction.
 *
 * Each (slot, head) record also holds w, rewritten by every update, so predictions read one
 * value and divide nothing, and the record is one cache line for both the prediction and the
 * update (hashed slots have no spatial locality: lines touched is what costs). Float mode:
 * [z, sqrt n, w, pad], 16 bytes per slot and head.
 *
 * precision=compact keeps z and s as bfloat16 with stochastic rounding (McMahan et al. 2013,
 * section 4.5: randomized rounding keeps the encoding unbiased) and w as bfloat16 rounded to
 * nearest: [z, sqrt n, w], 2 bytes per statistic, 6 bytes per slot and head.
 *
 * Tables are huge-page backed (gtable_alloc): with 2^24 slots and more, a TLB miss per
 * feature otherwise costs as much as the cache miss.
 *
 * Concurrency: one writer call at a time (m->lock); readers never lock. All shared statistics are
 * accessed with relaxed atomics, so concurrent reads see, per value, the old or the new one.
 * With threads=N (hashed tables) a batch call (growth_ftrl_update_csr) deals its rows in blocks
 * of 64 to the calling thread and the model's N-1 workers (kept between batches), which train
 * them at once, Hogwild-style (Niu et al. 2011):
 * no lock between them, so two threads updating one slot at the same instant may lose one of
 * the two updates (never tear a value). Each thread has its own row scratch and rounding stream;
 * the example counter is merged after the threads end. The non-zero-slot counter: a step that
 * changes a weight's zero-ness swaps the weight in (atomic exchange) and counts the change
 * against the value it replaced, so it is exact unless another thread flips the same slot
 * between a step's load and its plain store (nanoseconds; then off by one). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ftrl.pb-c.h"
#include "ftrl_impl.h"

static const gcfg_opt ftrl_opts[] = {
    {"alpha", GCFG_DOUBLE, offsetof(ftrl_cfg, alpha), "0.05", 0, 1e6, NULL, true},
    {"beta", GCFG_DOUBLE, offsetof(ftrl_cfg, beta), "1", 0, 1e6, NULL, false},
    {"l1", GCFG_DOUBLE, offsetof(ftrl_cfg, l1), "1", 0, 1e6, NULL, false},
    {"l2", GCFG_DOUBLE, offsetof(ftrl_cfg, l2), "1", 0, 1e6, NULL, false},
    {"bits", GCFG_INT, offsetof(ftrl_cfg, bits), "24", 1, 32, NULL, false},
    {"heads", GCFG_INT, offsetof(ftrl_cfg, heads), "1", 1, FTRL_MAX_HEADS, NULL, false},
    {"head_names", GCFG_STRING, offsetof(ftrl_cfg, head_names), "", 0, 0, NULL, false},
    {"bias", GCFG_BOOL, offsetof(ftrl_cfg, bias), "true", 0, 0, NULL, false},
    {"precision", GCFG_ENUM, offsetof(ftrl_cfg, precision), "float", 0, 0, "float|compact", false},
    {"seed", GCFG_INT, offsetof(ftrl_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
    GCFG_MAX_MEMORY(ftrl_cfg, max_memory),
    {"table", GCFG_ENUM, offsetof(ftrl_cfg, table), "hashed", 0, 0, "hashed|exact", false},
    {"admit", GCFG_INT, offsetof(ftrl_cfg, admit), "1", 1, 255, NULL, false},
    {"admit_prob", GCFG_DOUBLE, offsetof(ftrl_cfg, admit_prob), "1", 0, 1, NULL, true},
    {"admit_sketch", GCFG_INT, offsetof(ftrl_cfg, admit_sketch), "4194304", 1024, 1099511627776.0, NULL,
     false},
    {"expire", GCFG_INT, offsetof(ftrl_cfg, expire), "0", 0, 9007199254740992.0, NULL, false},
    {"expire_seconds", GCFG_INT, offsetof(ftrl_cfg, expire_seconds), "0", 0, 4294967295.0, NULL, false},
    {"threads", GCFG_INT, offsetof(ftrl_cfg, threads), "1", 1, FTRL_MAX_THREADS, NULL, false},
};
#define FTRL_NOPTS (sizeof ftrl_opts / sizeof ftrl_opts[0])

/* growth_ftrl_stats as 1.0 knew it (heads .. nonzero): the smallest struct_size accepted. */
#define FTRL_STATS_SIZE_1_0 offsetof(growth_ftrl_stats, live)

/* ---- statistics access ------------------------------------------------------------------- */

/* Record of (slot, head) wpos: float mode [z, sqrt n, w, pad] (16 bytes), compact mode
 * [z, sqrt n, w] as bfloat16 (6 bytes). */
#define FTRL_STRIDE(m) ((m)->tf ? (size_t)4 : (size_t)3)

static inline void load_stat(const growth_ftrl *m, size_t wpos, float *z, float *s)
{
    size_t pos = wpos * FTRL_STRIDE(m);
    if (m->tf) {
        *z = atomic_load_explicit(&m->tf[pos], memory_order_relaxed);
        *s = atomic_load_explicit(&m->tf[pos + 1], memory_order_relaxed);
    } else {
        *z = gbf16_to_f(atomic_load_explicit(&m->tc[pos], memory_order_relaxed));
        *s = gbf16_to_f(atomic_load_explicit(&m->tc[pos + 1], memory_order_relaxed));
    }
}

static inline float load_w(const growth_ftrl *m, size_t wpos)
{
    if (m->tf) return atomic_load_explicit(&m->tf[wpos * 4 + 2], memory_order_relaxed);
    return gbf16_to_f(atomic_load_explicit(&m->tc[wpos * 3 + 2], memory_order_relaxed));
}

/* Stores a slot's statistics and the weight they give. `rbits` drives stochastic rounding in
 * compact mode (0 with nearest = true gives round-to-nearest, used by loaders). The weight is
 * computed from the statistics as stored, so it always equals ftrl_weight_of(load_stat(...)). */
static inline __attribute__((always_inline)) void put_stat(growth_ftrl *m, size_t wpos, float z, float s,
                                                           uint64_t rbits, bool nearest)
{
    size_t pos = wpos * FTRL_STRIDE(m);
    if (m->tf) {
        atomic_store_explicit(&m->tf[pos], z, memory_order_relaxed);
        atomic_store_explicit(&m->tf[pos + 1], s, memory_order_relaxed);
        atomic_store_explicit(&m->tf[pos + 2], ftrl_weight_of(m, z, s), memory_order_relaxed);
    } else {
        uint16_t bz = nearest ? gf_to_bf16_nearest(z) : gf_to_bf16_sr(z, (uint32_t)rbits);
        uint16_t bs = nearest ? gf_to_bf16_nearest(s) : gf_to_bf16_sr(s, (uint32_t)(rbits >> 16));
        atomic_store_explicit(&m->tc[pos], bz, memory_order_relaxed);
        atomic_store_explicit(&m->tc[pos + 1], bs, memory_order_relaxed);
        float w = ftrl_weight_of(m, gbf16_to_f(bz), gbf16_to_f(bs));
        atomic_store_explicit(&m->tc[pos + 2], gf_to_bf16_nearest(w), memory_order_relaxed);
    }
}

static inline void put_bias(growth_ftrl *m, int h, float z, float s)
{
    atomic_store_explicit(&m->bias_z[h], z, memory_order_relaxed);
    atomic_store_explicit(&m->bias_s[h], s, memory_order_relaxed);
    atomic_store_explicit(&m->bias_w[h], ftrl_weight_of(m, z, s), memory_order_relaxed);
}

/* Whether slot `slot` has a non-zero weight in any head (what growth_ftrl_stats::nonzero counts). */
static inline bool slot_nonzero(const growth_ftrl *m, size_t slot)
{
    size_t base = slot * (size_t)m->H;
    for (int h = 0; h < m->H; h++)
        if (load_w(m, base + (size_t)h) != 0.0f) return true;
    return false;
}

/* Adds `delta` to the non-zero-slot counter; one writer at a time (m->lock, or a model being
 * built), so a plain relaxed read-modify-write. */
static inline void add_nonzero(growth_ftrl *m, int64_t delta)
{
    if (delta == 0) return;
    uint64_t v = atomic_load_explicit(&m->nonzero, memory_order_relaxed);
    atomic_store_explicit(&m->nonzero, v + (uint64_t)delta, memory_order_relaxed);
}

typedef struct ftrl_pool ftrl_pool;
static void ftrl_pool_free(ftrl_pool *p);

/* ---- creation ---------------------------------------------------------------------------- */

static void ftrl_init_common(growth_ftrl *m, const ftrl_cfg *cfg, char names[][FTRL_NAME_MAX])
{
    m->cfg = *cfg;
    m->H = (int)cfg->heads;
    m->nslots = UINT64_C(1) << cfg->bits;
    m->inv_alpha = (float)(1.0 / cfg->alpha);
    memcpy(m->names, names, sizeof m->names);
    for (int h = 0; h < FTRL_MAX_HEADS; h++) {
        atomic_init(&m->bias_z[h], 0.0f);
        atomic_init(&m->bias_s[h], 0.0f);
        atomic_init(&m->bias_w[h], 0.0f);
    }
    atomic_init(&m->examples, 0);
    atomic_init(&m->nonzero, 0);
    grng_seed(&m->rng, (uint64_t)cfg->seed);
}

/* table=exact: no slot table; the keyed table starts small and grows. */
static int ftrl_new_exact(growth_ftrl **out, const ftrl_cfg *cfg, const char *who,
                          char names[][FTRL_NAME_MAX])
{
    growth_ftrl *m = calloc(1, sizeof *m);
    if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    ftrl_init_common(m, cfg, names);
    int rc = fx_create(m, who);
    if (rc) {
        free(m);
        return rc;
    }
    pthread_mutex_init(&m->lock, NULL);
    *out = m;
    return GROWTH_OK;
}

static int ftrl_new(growth_ftrl **out, const ftrl_cfg *cfg, const char *who)
{
    char names[FTRL_MAX_HEADS][FTRL_NAME_MAX];
    int rc = ghead_names(who, cfg->head_names, cfg->heads, FTRL_MAX_HEADS, names);
    if (rc) return rc;
    if (cfg->table == FTRL_HASHED) {
        static const char *const exact_only[] = {"admit", "admit_prob", "admit_sketch", "expire",
                                                 "expire_seconds"};
        bool set[5] = {cfg->admit != 1, cfg->admit_prob != 1.0, cfg->admit_sketch != 4194304,
                       cfg->expire != 0, cfg->expire_seconds != 0};
        for (int i = 0; i < 5; i++)
            if (set[i])
                return gerr(
                    GROWTH_EINVAL,
                    "%s: config key '%s' needs table=exact (the hashed table has no admission or expiry)",
                    who, exact_only[i]);
    } else {
        return ftrl_new_exact(out, cfg, who, names);
    }
    /* The table is mapped lazily: refuse here what could only fail (or wake the OOM killer)
     * on first touch. Double arithmetic: 2^32 x 16 x 16 bytes does not wrap. */
    double table = ldexp((double)cfg->heads * (cfg->precision == FTRL_FLOAT ? 16.0 : 6.0), (int)cfg->bits);
    char what[128];
    snprintf(what, sizeof what, "%s: table of 2^%lld slots x %lld heads (precision=%s)", who,
             (long long)cfg->bits, (long long)cfg->heads, cfg->precision == FTRL_FLOAT ? "float" : "compact");
    if ((rc = gmem_reserve(what, table, (uint64_t)cfg->max_memory))) return rc;
    growth_ftrl *m = calloc(1, sizeof *m);
    if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    m->cfg = *cfg;
    m->H = (int)cfg->heads;
    m->nslots = UINT64_C(1) << cfg->bits;
    m->inv_alpha = (float)(1.0 / cfg->alpha);
    memcpy(m->names, names, sizeof names);
    uint64_t count = m->nslots * (uint64_t)m->H * (cfg->precision == FTRL_FLOAT ? 4 : 3);
    m->table_bytes = (size_t)count * (cfg->precision == FTRL_FLOAT ? sizeof(float) : sizeof(uint16_t));
    if (cfg->precision == FTRL_FLOAT) {
        m->tf = gtable_alloc(m->table_bytes);
    } else {
        m->tc = gtable_alloc(m->table_bytes);
    }
    if (!m->tf && !m->tc) {
        gtable_free((void *)m->tf, m->table_bytes);
        gtable_free((void *)m->tc, m->table_bytes);
        free(m);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate the table of 2^%lld slots x %d heads (%.1f MiB)", who,
                    (long long)cfg->bits, (int)cfg->heads,
                    (double)count * 1.5 * (cfg->precision == FTRL_FLOAT ? 4 : 2) / 1048576.0);
    }
    for (int h = 0; h < FTRL_MAX_HEADS; h++) {
        atomic_init(&m->bias_z[h], 0.0f);
        atomic_init(&m->bias_s[h], 0.0f);
        atomic_init(&m->bias_w[h], 0.0f);
    }
    atomic_init(&m->examples, 0);
    atomic_init(&m->nonzero, 0);
    pthread_mutex_init(&m->lock, NULL);
    grng_seed(&m->rng, (uint64_t)cfg->seed);
    *out = m;
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_create(growth_ftrl **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_ftrl_create", out);
    ftrl_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse("ftrl", ftrl_opts, FTRL_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    return ftrl_new(out, &cfg, "ftrl");
}

GROWTH_API void growth_ftrl_free(growth_ftrl *m)
{
    if (!m) return;
    pthread_mutex_destroy(&m->lock);
    fx_free(m);
    gtable_free((void *)m->tf, m->table_bytes);
    gtable_free((void *)m->tc, m->table_bytes);
    free(m->scratch);
    ftrl_pool_free(m->pool);
    free(m);
}

/* The keys growth_ftrl_set_config() may change. */
typedef struct {
    int64_t threads;
} ftrl_set_cfg;
static const gcfg_opt ftrl_set_opts[] = {
    {"threads", GCFG_INT, offsetof(ftrl_set_cfg, threads), "1", 1, FTRL_MAX_THREADS, NULL, false},
};

GROWTH_API int growth_ftrl_set_config(growth_ftrl *m, const char *config)
{
    GROWTH_CHECK_NULL("growth_ftrl_set_config", m);
    ftrl_set_cfg c;
    memset(&c, 0, sizeof c);
    int rc = gcfg_parse("ftrl", ftrl_set_opts, 1, config ? config : "", &c, sizeof c);
    if (rc) return rc;
    pthread_mutex_lock(&m->lock);
    m->cfg.threads = c.threads;
    pthread_mutex_unlock(&m->lock);
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_stats_get(const growth_ftrl *m, growth_ftrl_stats *out)
{
    static const char *who = "growth_ftrl_stats_get";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    growth_ftrl_stats s = GROWTH_FTRL_STATS_INIT;
    s.heads = (uint64_t)m->H;
    s.bits = (uint64_t)m->cfg.bits;
    s.examples = atomic_load_explicit(&m->examples, memory_order_relaxed);
    s.nonzero = atomic_load_explicit(&m->nonzero, memory_order_relaxed);
    if (m->ex) {
        fx_stats(m, &s.live, &s.admitted, &s.evicted, &s.expired, &s.table_bytes);
    } else {
        s.live = atomic_load_explicit(&m->nonzero, memory_order_relaxed);
        s.table_bytes = m->table_bytes;
    }
    return gstruct_out(who, "stats", out, &s, FTRL_STATS_SIZE_1_0, sizeof s);
}

GROWTH_API int growth_ftrl_head_index(const growth_ftrl *m, const char *name, size_t *out_index)
{
    static const char *who = "growth_ftrl_head_index";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, name);
    GROWTH_CHECK_NULL(who, out_index);
    for (int h = 0; h < m->H; h++)
        if (strcmp(m->names[h], name) == 0) {
            *out_index = (size_t)h;
            return GROWTH_OK;
        }
    return gerr(GROWTH_ENOTFOUND, "%s: no head named '%s'", who, name);
}

GROWTH_API int growth_ftrl_config(const growth_ftrl *m, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_ftrl_config", m);
    return gcfg_format(ftrl_opts, FTRL_NOPTS, &m->cfg, buf, cap, out_n);
}

/* ---- validation -------------------------------------------------------------------------- */

/* True when every idx[0..nnz) names a slot of the table and every val is finite: the test of
 * ftrl_check_row without its message, cheap enough for the training threads to run on their
 * own rows (a branch-free OR over the indices: (a >> b) | (c >> b) == (a | c) >> b). */
static bool ftrl_span_ok(const growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz)
{
    if (m->cfg.bits < 32 && !m->ex) {
        uint32_t acc[8] = {0};
        size_t k = 0;
        for (; k + 8 <= nnz; k += 8)
            for (int i = 0; i < 8; i++) acc[i] |= idx[k + i];
        for (; k < nnz; k++) acc[0] |= idx[k];
        uint32_t all = (acc[0] | acc[1]) | (acc[2] | acc[3]) | (acc[4] | acc[5]) | (acc[6] | acc[7]);
        if (all >> m->cfg.bits) return false;
    }
    return !val || gall_finite_f32(val, nnz);
}

int ftrl_check_row(const growth_ftrl *m, const char *who, const uint32_t *idx, const float *val, size_t nnz)
{
    if (nnz > 0 && idx == NULL) return gerr(GROWTH_EINVAL, "%s: idx is NULL with nnz=%zu", who, nnz);
    if (ftrl_span_ok(m, idx, val, nnz)) return GROWTH_OK;
    if (m->cfg.bits < 32 && !m->ex)
        for (size_t k = 0; k < nnz; k++)
            if (idx[k] >> m->cfg.bits)
                return gerr(GROWTH_EINVAL, "%s: idx[%zu] = %u is not below 2^%d", who, k, idx[k],
                            (int)m->cfg.bits);
    for (size_t k = 0; k < nnz; k++)
        if (!gfinite(val[k])) return gerr(GROWTH_EINVAL, "%s: val[%zu] is not finite", who, k);
    return GROWTH_OK;
}

static int check_labels(const growth_ftrl *m, const char *who, const float *labels, size_t row)
{
    for (int h = 0; h < m->H; h++) {
        float y = labels[h];
        if (!(y == 0.0f || y == 1.0f || y == GROWTH_LABEL_MISSING))
            return gerr(GROWTH_EINVAL,
                        "%s: row %zu head %d: label %g is not 0, 1 or GROWTH_LABEL_MISSING (-1)", who, row, h,
                        (double)y);
    }
    return GROWTH_OK;
}

static int check_weight(const char *who, float w, size_t row)
{
    if (!(gfinite(w) && w >= 0.0f))
        return gerr(GROWTH_EINVAL, "%s: row %zu: weight %g is not finite and >= 0", who, row, (double)w);
    return GROWTH_OK;
}

/* Checks a batch's labels (nrows x heads) and optional weights. */
static int check_batch_labels(const growth_ftrl *m, const char *who, const float *labels,
                              const float *weights, size_t nrows)
{
    int rc = GROWTH_OK;
    for (size_t r = 0; !rc && r < nrows; r++) {
        rc = check_labels(m, who, labels + r * (size_t)m->H, r);
        if (!rc && weights) rc = check_weight(who, weights[r], r);
    }
    return rc;
}

/* The row pointers of a CSR batch (and idx present when there are entries). */
static int check_indptr(const char *who, const uint64_t *indptr, const uint32_t *idx, size_t nrows)
{
    GROWTH_CHECK_NULL(who, indptr);
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] < indptr[r]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, r);
    if (indptr[nrows] > (uint64_t)SIZE_MAX) return gerr(GROWTH_EINVAL, "%s: indptr too large", who);
    if (indptr[nrows] > indptr[0] && idx == NULL)
        return gerr(GROWTH_EINVAL, "%s: idx is NULL with nnz=%zu", who, (size_t)(indptr[nrows] - indptr[0]));
    return GROWTH_OK;
}

static int check_csr(const growth_ftrl *m, const char *who, const uint64_t *indptr, const uint32_t *idx,
                     const float *val, size_t nrows)
{
    int rc = check_indptr(who, indptr, idx, nrows);
    if (rc) return rc;
    /* Rows may start anywhere (a slice of a larger CSR matrix): check idx[indptr[0] .. indptr[nrows]). */
    size_t b = (size_t)indptr[0];
    return ftrl_check_row(m, who, idx ? idx + b : NULL, val ? val + b : NULL,
                          (size_t)(indptr[nrows] - indptr[0]));
}

/* Asks the memory system for the statistics of idx[b..e) ahead of use. */
#define ftrl_prefetch_w(m, idx, b, e)                                                                        \
    do {                                                                                                     \
        const size_t H_ = (size_t)(m)->H;                                                                    \
        if ((m)->tf)                                                                                         \
            for (size_t k_ = (b); k_ < (e); k_++)                                                            \
                __builtin_prefetch((const void *)&(m)->tf[(size_t)(idx)[k_] * H_ * 4], 0);                   \
        else                                                                                                 \
            for (size_t k_ = (b); k_ < (e); k_++)                                                            \
                __builtin_prefetch((const void *)&(m)->tc[(size_t)(idx)[k_] * H_ * 3], 0);                   \
    } while (0)

#define ftrl_prefetch_all(m, idx, b, e)                                                                      \
    do {                                                                                                     \
        const size_t H_ = (size_t)(m)->H;                                                                    \
        for (size_t k_ = (b); k_ < (e); k_++) {                                                              \
            size_t w_ = (size_t)(idx)[k_] * H_;                                                              \
            if ((m)->tf) {                                                                                   \
                __builtin_prefetch((const void *)&(m)->tf[w_ * 4], 1);                                       \
            } else {                                                                                         \
                __builtin_prefetch((const void *)&(m)->tc[w_ * 3], 1);                                       \
            }                                                                                                \
        }                                                                                                    \
    } while (0)

/* ---- prediction -------------------------------------------------------------------------- */

void ftrl_margins(const growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz, float *margin)
{
    if (m->ex) {
        fx_margins(m, NULL, idx, val, nnz, margin);
        return;
    }
    const int H = m->H;
    for (int h = 0; h < H; h++)
        margin[h] = m->cfg.bias ? atomic_load_explicit(&m->bias_w[h], memory_order_relaxed) : 0.0f;
    if (H == 1) {
        /* The hot path: a gather over the weight array, four independent accumulators. */
        float a0 = margin[0], a1 = 0, a2 = 0, a3 = 0;
        size_t k = 0;
        if (m->tf && !val) {
            for (; k + 4 <= nnz; k += 4) {
                a0 += atomic_load_explicit(&m->tf[(size_t)idx[k] * 4 + 2], memory_order_relaxed);
                a1 += atomic_load_explicit(&m->tf[(size_t)idx[k + 1] * 4 + 2], memory_order_relaxed);
                a2 += atomic_load_explicit(&m->tf[(size_t)idx[k + 2] * 4 + 2], memory_order_relaxed);
                a3 += atomic_load_explicit(&m->tf[(size_t)idx[k + 3] * 4 + 2], memory_order_relaxed);
            }
        } else {
            for (; k + 4 <= nnz; k += 4) {
                float x0 = val ? val[k] : 1.0f, x1 = val ? val[k + 1] : 1.0f;
                float x2 = val ? val[k + 2] : 1.0f, x3 = val ? val[k + 3] : 1.0f;
                a0 += val ? load_w(m, idx[k]) * x0 : load_w(m, idx[k]);
                a1 += val ? load_w(m, idx[k + 1]) * x1 : load_w(m, idx[k + 1]);
                a2 += val ? load_w(m, idx[k + 2]) * x2 : load_w(m, idx[k + 2]);
                a3 += val ? load_w(m, idx[k + 3]) * x3 : load_w(m, idx[k + 3]);
            }
        }
        for (; k < nnz; k++) {
            float w = load_w(m, idx[k]);
            a0 += val ? w * val[k] : w;
        }
        margin[0] = (a0 + a1) + (a2 + a3);
        return;
    }
    /* Several heads: the same summation order as the one-head path (entry k goes to
     * accumulator k mod 4 while four remain), so a head's margin does not depend on how many
     * heads share the model. */
    float acc[4][FTRL_MAX_HEADS];
    for (int h = 0; h < H; h++) {
        acc[0][h] = margin[h];
        acc[1][h] = acc[2][h] = acc[3][h] = 0.0f;
    }
    size_t full = nnz & ~(size_t)3;
    for (size_t k = 0; k < nnz; k++) {
        size_t base = (size_t)idx[k] * (size_t)H;
        float x = val ? val[k] : 1.0f;
        float *a = acc[k < full ? (k & 3) : 0];
        for (int h = 0; h < H; h++) {
            float w = load_w(m, base + (size_t)h);
            a[h] += val ? w * x : w;
        }
    }
    for (int h = 0; h < H; h++) margin[h] = (acc[0][h] + acc[1][h]) + (acc[2][h] + acc[3][h]);
}

static int check_out(const growth_ftrl *m, const char *who, float *out, size_t cap, size_t need)
{
    GROWTH_CHECK_NULL(who, out);
    if (cap < need) return gerr(GROWTH_EBUFS, "%s: out has room for %zu floats, need %zu", who, cap, need);
    (void)m;
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_predict(const growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz,
                                   unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_ftrl_predict";
    GROWTH_CHECK_NULL(who, m);
    int rc = ftrl_check_flags(who, flags);
    if (!rc) rc = check_out(m, who, out, cap, (size_t)m->H);
    if (!rc) rc = ftrl_check_row(m, who, idx, val, nnz);
    if (rc) return rc;
    ftrl_margins(m, idx, val, nnz, out);
    if (!(flags & GROWTH_PREDICT_MARGIN))
        for (int h = 0; h < m->H; h++) out[h] = ftrl_sigmoid(out[h]);
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_predict_csr(const growth_ftrl *m, const uint64_t *indptr, const uint32_t *idx,
                                       const float *val, size_t nrows, unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_ftrl_predict_csr";
    GROWTH_CHECK_NULL(who, m);
    int rc = ftrl_check_flags(who, flags);
    if (rc) return rc;
    if (nrows == 0) return GROWTH_OK;
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    rc = check_out(m, who, out, cap, nrows * (size_t)m->H);
    if (!rc) rc = check_csr(m, who, indptr, idx, val, nrows);
    if (rc) return rc;
    const int H = m->H;
    const bool margin = (flags & GROWTH_PREDICT_MARGIN) != 0;
    for (size_t r = 0; r < nrows; r++) {
        size_t b = (size_t)indptr[r], e = (size_t)indptr[r + 1];
        /* Prefetch the next row's slots: the table is far larger than the caches. */
        if (r + 1 < nrows && !m->ex) ftrl_prefetch_w(m, idx, e, (size_t)indptr[r + 2]);
        float *o = out + r * (size_t)H;
        ftrl_margins(m, idx + b, val ? val + b : NULL, e - b, o);
        if (!margin)
            for (int h = 0; h < H; h++) o[h] = ftrl_sigmoid(o[h]);
    }
    return GROWTH_OK;
}

/* ---- training ---------------------------------------------------------------------------- */

static inline void ftrl_step(const growth_ftrl *m, float *z, float *s, float w, float g)
{
    float s_new = sqrtf(*s * *s + g * g);
    float sigma = (s_new - *s) * m->inv_alpha;
    *z += g - sigma * w;
    *s = s_new;
}

/* The state one training thread keeps: the weight cache of a row (m->scratch on the calling
 * thread), the stochastic rounding stream and the changes of the counters (merged by the caller:
 * one writer call at a time holds m->lock). `hogwild`: other threads train at the same time. */
typedef struct {
    float *scratch;
    grng *rng;
    int64_t dnz;
    uint64_t dex;
    bool hogwild;
    /* hogwild: the thread's own copy of the bias statistics for the batch (every row updates
     * the bias: shared, its cache line would bounce between the cores on every row), merged
     * into the model's by ftrl_merge_bias; z0/n0 the values at the start of the batch */
    float bz[FTRL_MAX_HEADS], bs[FTRL_MAX_HEADS], bw[FTRL_MAX_HEADS];
    /* the indices of the row this thread trains next, whose records ftrl_row asks the memory
     * system for while it trains the current one (npf = 0: none) */
    const uint32_t *pf;
    size_t npf;
} ftrl_wk;

/* Trains one row with wk->scratch holding at least nnz x H floats (hashed tables only). */
static void ftrl_row(growth_ftrl *m, ftrl_wk *wk, const uint32_t *idx, const float *val, size_t nnz,
                     ftrl_grad_fn grad_fn, void *ctx, float *margins_out)
{
    const int H = m->H;
    const bool fast = H == 1 && m->tf; /* one head, float statistics: see pass 2 */
    /* The next row's records are requested one per entry of the fast path's pass 2 (where the
     * step's arithmetic leaves the memory system idle), the rest when the row ends; all at once
     * here on the other paths. Requested in one burst at the start of a row, most of them
     * missing every cache, they filled the core's miss buffers and stalled it: spreading them
     * trains 15-20% more rows per second on one thread and on two (bench/hogwild_bench.c). */
    size_t pfk = 0;
    if (!fast) {
        ftrl_prefetch_all(m, wk->pf, 0, wk->npf);
        pfk = wk->npf;
    }
    /* Pass 1: the weights in force before this example (cached: a slot repeated in the row
     * updates with the weight it had before the row, as in Algorithm 1) and the margins. */
    float *wc = wk->scratch;
    float margin[FTRL_MAX_HEADS], grad[FTRL_MAX_HEADS], bw[FTRL_MAX_HEADS];
    for (int h = 0; h < H; h++) {
        bw[h] = !m->cfg.bias  ? 0.0f
                : wk->hogwild ? wk->bw[h]
                              : atomic_load_explicit(&m->bias_w[h], memory_order_relaxed);
        margin[h] = bw[h];
    }
    for (size_t k = 0; k < nnz; k++) {
        size_t base = (size_t)idx[k] * (size_t)H;
        float x = val ? val[k] : 1.0f;
        for (int h = 0; h < H; h++) {
            float w = load_w(m, base + (size_t)h);
            wc[k * (size_t)H + (size_t)h] = w;
            margin[h] += w * x;
        }
    }
    if (margins_out) memcpy(margins_out, margin, (size_t)H * sizeof(float));
    grad_fn(ctx, margin, grad);

    /* Pass 2: the FTRL-Proximal step on every (slot, head) with a gradient. */
    for (int h = 0; h < H; h++) {
        if (isnan(grad[h]) || grad[h] == 0.0f || !m->cfg.bias) continue;
        if (wk->hogwild) {
            ftrl_step(m, &wk->bz[h], &wk->bs[h], bw[h], grad[h]);
            wk->bw[h] = ftrl_weight_of(m, wk->bz[h], wk->bs[h]);
            continue;
        }
        float z = atomic_load_explicit(&m->bias_z[h], memory_order_relaxed);
        float sn = atomic_load_explicit(&m->bias_s[h], memory_order_relaxed);
        ftrl_step(m, &z, &sn, bw[h], grad[h]);
        put_bias(m, h, z, sn);
    }
    uint64_t rbits = 0;
    /* Change of the non-zero-slot count, from the stored weights before and after each slot's
     * step (a slot repeated in the row steps from its updated statistics). */
    int64_t dnz = 0;
    if (fast) {
        /* The common case, without the per-head loop: one head, float statistics. */
        float g0 = grad[0];
        if (isnan(g0) || g0 == 0.0f) goto done;
        for (size_t k = 0; k < nnz; k++) {
            if (pfk < wk->npf) __builtin_prefetch((const void *)&m->tf[(size_t)wk->pf[pfk++] * 4], 1);
            float g = val ? g0 * val[k] : g0;
            size_t pos = (size_t)idx[k] * 4;
            float z = atomic_load_explicit(&m->tf[pos], memory_order_relaxed);
            float sn = atomic_load_explicit(&m->tf[pos + 1], memory_order_relaxed);
            float w_old = atomic_load_explicit(&m->tf[pos + 2], memory_order_relaxed);
            ftrl_step(m, &z, &sn, wc[k], g);
            float w_new = ftrl_weight_of(m, z, sn);
            atomic_store_explicit(&m->tf[pos], z, memory_order_relaxed);
            atomic_store_explicit(&m->tf[pos + 1], sn, memory_order_relaxed);
            /* With other threads training (hogwild) the change of zero-ness is counted against
             * the weight this thread read: a plain store, as in the multi-head path below. An
             * atomic exchange here (counting against the value actually replaced) was a locked
             * instruction on about one step in 100 and drained the store buffer each time: 3% of
             * a two-thread row (docs/thread-safety.md, "Counters"). */
            atomic_store_explicit(&m->tf[pos + 2], w_new, memory_order_relaxed);
            dnz += (int64_t)(w_new != 0.0f) - (int64_t)(w_old != 0.0f);
        }
        goto done;
    }
    bool any_grad = false;
    for (int h = 0; h < H; h++) any_grad |= !(isnan(grad[h]) || grad[h] == 0.0f);
    for (size_t k = 0; any_grad && k < nnz; k++) {
        size_t base = (size_t)idx[k] * (size_t)H;
        float x = val ? val[k] : 1.0f;
        if (x == 0.0f) continue;
        bool nz_before = slot_nonzero(m, idx[k]);
        for (int h = 0; h < H; h++) {
            if (isnan(grad[h]) || grad[h] == 0.0f) continue;
            float z, sn;
            size_t wpos = base + (size_t)h;
            load_stat(m, wpos, &z, &sn);
            ftrl_step(m, &z, &sn, wc[k * (size_t)H + (size_t)h], grad[h] * x);
            if (m->tc) rbits = grng_next(wk->rng);
            put_stat(m, wpos, z, sn, rbits, false);
        }
        dnz += (int64_t)slot_nonzero(m, idx[k]) - (int64_t)nz_before;
    }
done:
    if (pfk < wk->npf) ftrl_prefetch_all(m, wk->pf, pfk, wk->npf);
    wk->dnz += dnz;
    wk->dex++;
}

/* Grows the calling thread's row scratch to `need` floats (caller holds m->lock). */
static int ftrl_reserve(growth_ftrl *m, const char *who, size_t need, size_t nnz)
{
    if (need <= m->scratch_cap) return GROWTH_OK;
    size_t cap = need < 256 ? 256 : need * 2;
    float *ns = realloc(m->scratch, cap * sizeof *ns);
    if (!ns) return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu entries", who, nnz);
    m->scratch = ns;
    m->scratch_cap = cap;
    return GROWTH_OK;
}

/* Merges a thread's counter changes into the model (one writer call at a time: m->lock). */
static void ftrl_merge(growth_ftrl *m, const ftrl_wk *wk)
{
    add_nonzero(m, wk->dnz);
    atomic_store_explicit(&m->examples, atomic_load_explicit(&m->examples, memory_order_relaxed) + wk->dex,
                          memory_order_relaxed);
}

int ftrl_apply(growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz, ftrl_grad_fn grad_fn,
               void *ctx, float *margins_out)
{
    if (m->ex) return fx_apply(m, NULL, idx, val, nnz, grad_fn, ctx, margins_out);
    int rc = ftrl_reserve(m, "ftrl", nnz * (size_t)m->H, nnz);
    if (rc) return rc;
    ftrl_wk wk = {.scratch = m->scratch, .rng = &m->rng};
    ftrl_row(m, &wk, idx, val, nnz, grad_fn, ctx, margins_out);
    ftrl_merge(m, &wk);
    return GROWTH_OK;
}

typedef struct {
    const float *labels;
    float weight;
    int H;
} logistic_ctx;

static void logistic_grad(void *vctx, const float *margins, float *grads)
{
    const logistic_ctx *c = vctx;
    for (int h = 0; h < c->H; h++) {
        float y = c->labels[h];
        grads[h] = y == GROWTH_LABEL_MISSING ? NAN : (ftrl_sigmoid(margins[h]) - y) * c->weight;
    }
}

GROWTH_API int growth_ftrl_predict_update(growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz,
                                          const float *labels, float weight, float *out, size_t cap)
{
    static const char *who = "growth_ftrl_update";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, labels);
    int rc = out ? check_out(m, who, out, cap, (size_t)m->H) : GROWTH_OK;
    if (!rc) rc = ftrl_check_row(m, who, idx, val, nnz);
    if (!rc) rc = check_labels(m, who, labels, 0);
    if (!rc) rc = check_weight(who, weight, 0);
    if (rc) return rc;
    logistic_ctx ctx = {labels, weight, m->H};
    pthread_mutex_lock(&m->lock);
    rc = ftrl_apply(m, idx, val, nnz, logistic_grad, &ctx, out);
    pthread_mutex_unlock(&m->lock);
    if (!rc && out)
        for (int h = 0; h < m->H; h++) out[h] = ftrl_sigmoid(out[h]);
    return rc;
}

GROWTH_API int growth_ftrl_update(growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz,
                                  const float *labels, float weight)
{
    return growth_ftrl_predict_update(m, idx, val, nnz, labels, weight, NULL, 0);
}

/* Rows below which a batch is not worth a thread (starting one costs tens of microseconds). */
#define FTRL_MIN_ROWS_PER_THREAD 256
/* Rows a thread takes at a time: thread t of T trains blocks t, t + T, t + 2T ... of this many
 * rows, so all threads move through the batch together (a row's prediction has seen the
 * updates of nearly every row before it, as in one thread) and two threads write the same line
 * of the prediction output only at block edges. */
#define FTRL_BLOCK_ROWS 64

/* Where the threads of one batch meet after checking their rows and before training any: the
 * batch is trained by all of them or by none. `expected` is the number of threads that will
 * arrive (SIZE_MAX until the caller has started them all). */
typedef struct {
    _Atomic size_t arrived, expected;
    _Atomic bool bad;
    _Alignas(64) _Atomic size_t next_check; /* the next chunk of rows nobody has checked */
    _Alignas(64) _Atomic size_t next_block; /* the next block of rows nobody has taken */
} ftrl_gate;

/* The rows of a batch one thread of growth_ftrl_update_csr trains. Cache-line aligned: a
 * thread writes its counters (wk) on every row, and jobs sit side by side in an array. */
typedef struct {
    _Alignas(64) growth_ftrl *m;
    ftrl_gate *gate; /* several threads: what they share (NULL: one thread) */
    bool checked;    /* a job without a worker: the threads that run check every row */
    ftrl_wk wk;
    grng rng;
    const uint64_t *indptr;
    const uint32_t *idx;
    const float *val, *labels, *weights;
    float *out;
    size_t nrows;
} ftrl_job;

/* Rows checked at a time: a contiguous span (read as one stream) taken as needed, so a thread
 * that starts late checks less and the threads reach the gate together. */
#define FTRL_CHECK_ROWS 512

/* Checks the indices and values of the batch's chunks of rows this thread takes, until none is
 * left; a bad one sets gate->bad. */
static void ftrl_job_check(const ftrl_job *j, ftrl_gate *gate)
{
    bool ok = true;
    for (;;) {
        size_t r0 = atomic_fetch_add_explicit(&gate->next_check, 1, memory_order_relaxed) * FTRL_CHECK_ROWS;
        if (r0 >= j->nrows) break;
        size_t r1 = r0 + FTRL_CHECK_ROWS < j->nrows ? r0 + FTRL_CHECK_ROWS : j->nrows;
        size_t b = (size_t)j->indptr[r0], e = (size_t)j->indptr[r1];
        ok &= ftrl_span_ok(j->m, j->idx + b, j->val ? j->val + b : NULL, e - b);
    }
    if (!ok) atomic_store_explicit(&gate->bad, true, memory_order_relaxed);
}

static void *ftrl_job_run(void *arg)
{
    ftrl_job *j = arg;
    growth_ftrl *m = j->m;
    const int H = m->H;
    const uint64_t *indptr = j->indptr;
    if (j->gate && !j->checked) {
        /* Check chunks of the batch with the other threads (the validation pass runs on every
         * thread instead of before them: it reads the whole batch from memory), then wait for
         * the others: every chunk has then been checked. */
        ftrl_job_check(j, j->gate);
        atomic_fetch_add_explicit(&j->gate->arrived, 1, memory_order_acq_rel);
        for (unsigned spin = 0; atomic_load_explicit(&j->gate->arrived, memory_order_acquire) <
                                atomic_load_explicit(&j->gate->expected, memory_order_acquire);
             spin++) {
            if (spin > 1000) sched_yield();
        }
        if (atomic_load_explicit(&j->gate->bad, memory_order_relaxed)) return NULL;
    }
    /* Blocks of rows in order: with several threads each takes the next untaken block when it
     * needs one (a thread slowed down or descheduled does not hold the others up at the end);
     * alone, all of them. The next block is taken at the last row of the current one, so its
     * first row can be prefetched. */
    ftrl_gate *g = j->gate;
    size_t nblocks = (j->nrows + FTRL_BLOCK_ROWS - 1) / FTRL_BLOCK_ROWS;
    size_t cur = g ? atomic_fetch_add_explicit(&g->next_block, 1, memory_order_relaxed) : 0;
    while (cur < nblocks) {
        size_t b0 = cur * FTRL_BLOCK_ROWS,
               b1 = b0 + FTRL_BLOCK_ROWS < j->nrows ? b0 + FTRL_BLOCK_ROWS : j->nrows;
        size_t next = cur + 1;
        for (size_t r = b0; r < b1; r++) {
            size_t b = (size_t)indptr[r], e = (size_t)indptr[r + 1];
            if (r + 1 == b1 && g) next = atomic_fetch_add_explicit(&g->next_block, 1, memory_order_relaxed);
            size_t nx = r + 1 < b1 ? r + 1 : next * FTRL_BLOCK_ROWS; /* this thread's next row */
            j->wk.pf = nx < j->nrows ? j->idx + indptr[nx] : NULL;
            j->wk.npf = nx < j->nrows ? (size_t)(indptr[nx + 1] - indptr[nx]) : 0;
            logistic_ctx ctx = {j->labels + r * (size_t)H, j->weights ? j->weights[r] : 1.0f, H};
            float *o = j->out ? j->out + r * (size_t)H : NULL;
            ftrl_row(m, &j->wk, j->idx + b, j->val ? j->val + b : NULL, e - b, logistic_grad, &ctx, o);
            if (o)
                for (int h = 0; h < H; h++) o[h] = ftrl_sigmoid(o[h]);
        }
        cur = next;
    }
    return NULL;
}

/* ---- the model's training threads (threads=N) ------------------------------------------------
 *
 * Starting a thread for every batch cost about 85 us here (measured: the second thread's job
 * began on average 85 us after the call, in a VM that has to wake an idle virtual CPU), and its
 * join as much again: 10-15% of a 4096-row batch on two threads. The model keeps its N-1
 * workers between batches instead. After a batch a worker spins for FTRL_POOL_SPIN_NS (a
 * stream's next batch usually comes sooner), then sleeps on a condition variable until the next
 * batch or the end. The workers start with the first batch that needs them and stop when the
 * model is freed or its `threads` changes; a child process after fork() has none of its
 * parent's threads, so a pool started by another process is dropped (not joined) and a new one
 * started. Workers run with every signal blocked. */

#define FTRL_POOL_SPIN_NS 200000
#define FTRL_POOL_STACK   (1u << 20)

typedef struct ftrl_pool ftrl_pool;
typedef struct {
    ftrl_pool *p;
    size_t w; /* runs job w + 1 of a batch */
} ftrl_worker_arg;

struct ftrl_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic uint64_t seq; /* batches handed out; a worker waits for the next number */
    _Atomic size_t done;  /* workers finished with the current batch */
    _Atomic int sleepers; /* workers waiting on cv */
    _Atomic bool stop;
    ftrl_job *jobs; /* the current batch's jobs (published by seq) */
    size_t njobs;
    size_t n; /* workers running */
    pid_t pid;
    pthread_t tid[FTRL_MAX_THREADS];
    ftrl_worker_arg arg[FTRL_MAX_THREADS];
};

static double ftrl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline void ftrl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *ftrl_worker(void *varg)
{
    ftrl_worker_arg *a = varg;
    ftrl_pool *p = a->p;
    uint64_t seen = 0; /* the pool was made at batch 0 */
    for (;;) {
        uint64_t s;
        double t0 = ftrl_now_ns();
        unsigned spins = 0;
        while ((s = atomic_load(&p->seq)) == seen && !atomic_load(&p->stop)) {
            ftrl_cpu_relax();
            if (++spins % 64) continue;
            if (ftrl_now_ns() - t0 < FTRL_POOL_SPIN_NS) {
                sched_yield(); /* let a thread waiting for this CPU (a parser) run */
                continue;
            }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while (atomic_load(&p->seq) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
            t0 = ftrl_now_ns();
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = s;
        if (a->w + 1 < p->njobs) ftrl_job_run(&p->jobs[a->w + 1]);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

/* Stops and joins the workers (when this process started them) and frees the pool. */
static void ftrl_pool_free(ftrl_pool *p)
{
    if (!p) return;
    if (p->pid == getpid()) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->stop, true);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (size_t w = 0; w < p->n; w++) pthread_join(p->tid[w], NULL);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    free(p);
}

/* The model's pool of `workers` threads (m->lock held): started now unless it runs already.
 * NULL when it cannot be allocated; it may hold fewer workers than asked if threads cannot be
 * started (the caller trains the other jobs itself). */
static ftrl_pool *ftrl_pool_get(growth_ftrl *m, size_t workers)
{
    ftrl_pool *p = m->pool;
    if (p && p->pid == getpid() && p->n == workers) return p;
    ftrl_pool_free(p);
    m->pool = NULL;
    p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->seq, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, false);
    p->pid = getpid();
    pthread_attr_t attr;
    bool attr_ok = pthread_attr_init(&attr) == 0;
    if (attr_ok) (void)pthread_attr_setstacksize(&attr, FTRL_POOL_STACK);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (size_t w = 0; w < workers; w++) {
        p->arg[w] = (ftrl_worker_arg){p, w};
        if (pthread_create(&p->tid[w], attr_ok ? &attr : NULL, ftrl_worker, &p->arg[w])) break;
        p->n = w + 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (attr_ok) pthread_attr_destroy(&attr);
    m->pool = p;
    return p;
}

/* Hands the batch's jobs 1 .. njobs-1 to the workers (worker w takes job w + 1). */
static void ftrl_pool_start(ftrl_pool *p, ftrl_job *jobs, size_t njobs)
{
    p->jobs = jobs;
    p->njobs = njobs;
    atomic_store(&p->done, 0);
    atomic_fetch_add(&p->seq, 1); /* publishes jobs (sequentially consistent, as sleepers below) */
    if (atomic_load(&p->sleepers)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Waits for every worker to finish the batch. */
static void ftrl_pool_wait(ftrl_pool *p)
{
    for (unsigned spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < p->n; spins++) {
        ftrl_cpu_relax();
        if (spins > 4096) sched_yield();
    }
}

/* The threads growth_ftrl_update_csr trains a batch of nrows rows on (hashed tables). */
static size_t ftrl_batch_threads(const growth_ftrl *m, size_t nrows)
{
    size_t T = (size_t)m->cfg.threads;
    if (T > nrows / FTRL_MIN_ROWS_PER_THREAD) T = nrows / FTRL_MIN_ROWS_PER_THREAD;
    return T < 1 ? 1 : T;
}

/* Hashed table, m->lock held, scratch of the calling thread reserved: trains rows [0, nrows)
 * on T = ftrl_batch_threads threads. With several, each thread checks the indices and values
 * of its rows first (the caller has checked everything else) and waits for the others: if any
 * is bad, nothing is trained and check_csr gives the message. GROWTH_ENOMEM (nothing trained) when the other
 * threads' scratch cannot be allocated. A thread that cannot be started leaves its rows to the
 * calling thread. */
static int ftrl_train_rows(growth_ftrl *m, const char *who, size_t T, const uint64_t *indptr,
                           const uint32_t *idx, const float *val, size_t nrows, const float *labels,
                           const float *weights, float *out, size_t row_floats)
{
    ftrl_gate gate;
    atomic_init(&gate.arrived, 0);
    atomic_init(&gate.expected, SIZE_MAX);
    atomic_init(&gate.bad, false);
    atomic_init(&gate.next_check, 0);
    atomic_init(&gate.next_block, 0);
    ftrl_job jobs[FTRL_MAX_THREADS];
    float *extra = NULL;
    if (T > 1) {
        size_t per = row_floats ? row_floats : 1;
        if (per > SIZE_MAX / sizeof(float) / (T - 1) || !(extra = malloc((T - 1) * per * sizeof *extra)))
            return gerr(GROWTH_ENOMEM, "%s: out of memory for the row scratch of %zu threads", who, T);
    }
    for (size_t t = 0; t < T; t++) {
        ftrl_job *j = &jobs[t];
        memset(j, 0, sizeof *j);
        j->m = m;
        j->indptr = indptr;
        j->idx = idx;
        j->val = val;
        j->labels = labels;
        j->weights = weights;
        j->out = out;
        j->nrows = nrows;
        j->wk.hogwild = T > 1;
        j->gate = T > 1 ? &gate : NULL;
        for (int h = 0; h < m->H; h++) {
            j->wk.bz[h] = atomic_load_explicit(&m->bias_z[h], memory_order_relaxed);
            j->wk.bs[h] = atomic_load_explicit(&m->bias_s[h], memory_order_relaxed);
            j->wk.bw[h] = atomic_load_explicit(&m->bias_w[h], memory_order_relaxed);
        }
        if (t == 0) {
            j->wk.scratch = m->scratch;
            j->wk.rng = &m->rng;
        } else {
            j->wk.scratch = extra + (t - 1) * (row_floats ? row_floats : 1);
            grng_seed(&j->rng, grng_next(&m->rng));
            j->wk.rng = &j->rng;
        }
    }
    /* jobs 1 .. T-1 go to the model's workers (the pool holds cfg.threads - 1 of them; a batch
     * may use fewer); the rows of a job without a worker are checked by the threads that run
     * (chunks taken as needed) and its blocks left to them */
    ftrl_pool *pool = T > 1 ? ftrl_pool_get(m, (size_t)m->cfg.threads - 1) : NULL;
    size_t workers = pool ? (pool->n < T - 1 ? pool->n : T - 1) : 0;
    for (size_t t = workers + 1; t < T; t++) jobs[t].checked = true;
    if (T > 1) atomic_store_explicit(&gate.expected, workers + 1, memory_order_release);
    if (pool) ftrl_pool_start(pool, jobs, T);
    ftrl_job_run(&jobs[0]);
    if (pool) ftrl_pool_wait(pool);
    for (size_t t = workers + 1; t < T; t++)
        if (!atomic_load_explicit(&gate.bad, memory_order_relaxed)) ftrl_job_run(&jobs[t]);
    if (atomic_load_explicit(&gate.bad, memory_order_relaxed)) {
        /* nothing was trained: the message of the first bad entry */
        free(extra);
        int rc = check_csr(m, who, indptr, idx, val, nrows);
        return rc ? rc : gerr(GROWTH_EINVAL, "%s: bad entries in the batch", who);
    }
    for (size_t t = 0; t < T; t++) ftrl_merge(m, &jobs[t].wk);
    if (T > 1) m->hogwild_stale = true;
    if (T > 1 && m->cfg.bias)
        /* The threads' bias steps, added up: z moves by the sum of their moves, n (= s^2) by the
         * sum of their squared gradients. */
        for (int h = 0; h < m->H; h++) {
            float z0 = atomic_load_explicit(&m->bias_z[h], memory_order_relaxed);
            float s0 = atomic_load_explicit(&m->bias_s[h], memory_order_relaxed);
            double z = z0, n = (double)s0 * s0;
            for (size_t t = 0; t < T; t++) {
                z += (double)jobs[t].wk.bz[h] - z0;
                n += (double)jobs[t].wk.bs[h] * jobs[t].wk.bs[h] - (double)s0 * s0;
            }
            put_bias(m, h, (float)z, (float)sqrt(n > 0 ? n : 0));
        }
    free(extra);
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_update_csr(growth_ftrl *m, const uint64_t *indptr, const uint32_t *idx,
                                      const float *val, size_t nrows, const float *labels,
                                      const float *weights, float *out_pred, size_t cap)
{
    static const char *who = "growth_ftrl_update_csr";
    GROWTH_CHECK_NULL(who, m);
    if (nrows == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, labels);
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    const int H = m->H;
    int rc = out_pred ? check_out(m, who, out_pred, cap, nrows * (size_t)H) : GROWTH_OK;
    /* Hashed tables: the indices and values are checked under the lock, where the number of
     * threads is known (several check their own rows before any trains: ftrl_train_rows). */
    if (!rc) rc = m->ex ? check_csr(m, who, indptr, idx, val, nrows) : check_indptr(who, indptr, idx, nrows);
    if (!rc) rc = check_batch_labels(m, who, labels, weights, nrows);
    if (rc) return rc;
    /* Make sure the scratch can hold the longest row before changing anything, so an
     * allocation failure cannot leave the batch half-applied. */
    size_t longest = 0;
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] - indptr[r] > longest) longest = (size_t)(indptr[r + 1] - indptr[r]);
    pthread_mutex_lock(&m->lock);
    if ((rc = ftrl_reserve(m, who, longest * (size_t)H, longest))) {
        pthread_mutex_unlock(&m->lock);
        return rc;
    }
    if (!m->ex) {
        /* Hashed: no row can fail once checked; threads=N splits the rows. */
        size_t T = ftrl_batch_threads(m, nrows);
        if (T == 1) rc = check_csr(m, who, indptr, idx, val, nrows);
        if (!rc)
            rc = ftrl_train_rows(m, who, T, indptr, idx, val, nrows, labels, weights, out_pred,
                                 longest * (size_t)H);
        pthread_mutex_unlock(&m->lock);
        return rc;
    }
    /* table=exact: one thread (its writer inserts, grows and evicts). */
    for (size_t r = 0; r < nrows; r++) {
        size_t b = (size_t)indptr[r], e = (size_t)indptr[r + 1];
        logistic_ctx ctx = {labels + r * (size_t)H, weights ? weights[r] : 1.0f, H};
        float *o = out_pred ? out_pred + r * (size_t)H : NULL;
        /* Only table=exact can fail here (a table that cannot grow): the rows before stay trained. */
        int rrc = ftrl_apply(m, idx + b, val ? val + b : NULL, e - b, logistic_grad, &ctx, o);
        if (rrc) {
            pthread_mutex_unlock(&m->lock);
            return rrc;
        }
        if (o)
            for (int h = 0; h < H; h++) o[h] = ftrl_sigmoid(o[h]);
    }
    pthread_mutex_unlock(&m->lock);
    return GROWTH_OK;
}

/* ---- inspection -------------------------------------------------------------------------- */

static bool slot_used(const growth_ftrl *m, uint64_t slot, bool weights_only)
{
    size_t base = (size_t)slot * (size_t)m->H;
    for (int h = 0; h < m->H; h++) {
        if (weights_only) {
            if (load_w(m, base + (size_t)h) != 0.0f) return true;
        } else {
            float z, s;
            load_stat(m, base + (size_t)h, &z, &s);
            if (z != 0.0f || s != 0.0f) return true;
        }
    }
    return false;
}

GROWTH_API int growth_ftrl_weight(const growth_ftrl *m, size_t head, uint32_t index, float *out)
{
    static const char *who = "growth_ftrl_weight";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    if (head >= (size_t)m->H)
        return gerr(GROWTH_EINVAL, "%s: head %zu does not exist (model has %d)", who, head, m->H);
    if (index == UINT32_MAX && (m->cfg.bits < 32 || m->cfg.bias)) {
        if (!m->cfg.bias) return gerr(GROWTH_EINVAL, "%s: the model has no bias (bias=false)", who);
        *out = atomic_load_explicit(&m->bias_w[head], memory_order_relaxed);
        return GROWTH_OK;
    }
    if (m->ex) {
        *out = fx_weight(m, index, (int)head);
        return GROWTH_OK;
    }
    if (m->cfg.bits < 32 && index >> m->cfg.bits)
        return gerr(GROWTH_EINVAL, "%s: index %u is not below 2^%d", who, index, (int)m->cfg.bits);
    *out = load_w(m, (size_t)index * (size_t)m->H + (size_t)head);
    return GROWTH_OK;
}

/* The slot of a 64-bit key in a hashed table: its low bits. */
static inline uint32_t key_slot(const growth_ftrl *m, uint64_t key)
{
    return (uint32_t)(key & (m->nslots - 1));
}

GROWTH_API int growth_ftrl_weight_key(const growth_ftrl *m, size_t head, uint64_t key, float *out)
{
    static const char *who = "growth_ftrl_weight_key";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    if (head >= (size_t)m->H)
        return gerr(GROWTH_EINVAL, "%s: head %zu does not exist (model has %d)", who, head, m->H);
    *out = m->ex ? fx_weight(m, key, (int)head)
                 : load_w(m, (size_t)key_slot(m, key) * (size_t)m->H + (size_t)head);
    return GROWTH_OK;
}

/* ---- 64-bit keys --------------------------------------------------------------------------- */

static int check_keys(const char *who, const uint64_t *keys, const float *val, size_t nnz)
{
    if (nnz > 0 && keys == NULL) return gerr(GROWTH_EINVAL, "%s: keys is NULL with nnz=%zu", who, nnz);
    if (val && !gall_finite_f32(val, nnz)) {
        for (size_t k = 0; k < nnz; k++)
            if (!gfinite(val[k])) return gerr(GROWTH_EINVAL, "%s: val[%zu] is not finite", who, k);
    }
    return GROWTH_OK;
}

/* A hashed model reached through the key API: the row's slots (keys' low bits) in scratch
 * the caller frees, or NULL with an error. */
static uint32_t *keys_to_slots(const growth_ftrl *m, const char *who, const uint64_t *keys, size_t nnz)
{
    uint32_t *idx = malloc((nnz ? nnz : 1) * sizeof *idx);
    if (!idx) {
        gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu keys", who, nnz);
        return NULL;
    }
    for (size_t k = 0; k < nnz; k++) idx[k] = key_slot(m, keys[k]);
    return idx;
}

GROWTH_API int growth_ftrl_predict_keys(const growth_ftrl *m, const uint64_t *keys, const float *val,
                                        size_t nnz, unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_ftrl_predict_keys";
    GROWTH_CHECK_NULL(who, m);
    int rc = ftrl_check_flags(who, flags);
    if (!rc) rc = check_out(m, who, out, cap, (size_t)m->H);
    if (!rc) rc = check_keys(who, keys, val, nnz);
    if (rc) return rc;
    if (m->ex) {
        fx_margins(m, keys, NULL, val, nnz, out);
    } else {
        uint32_t *idx = keys_to_slots(m, who, keys, nnz);
        if (!idx) return GROWTH_ENOMEM;
        ftrl_margins(m, idx, val, nnz, out);
        free(idx);
    }
    if (!(flags & GROWTH_PREDICT_MARGIN))
        for (int h = 0; h < m->H; h++) out[h] = ftrl_sigmoid(out[h]);
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_update_keys(growth_ftrl *m, const uint64_t *keys, const float *val, size_t nnz,
                                       const float *labels, float weight, float *out_pred, size_t cap)
{
    static const char *who = "growth_ftrl_update_keys";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, labels);
    int rc = out_pred ? check_out(m, who, out_pred, cap, (size_t)m->H) : GROWTH_OK;
    if (!rc) rc = check_keys(who, keys, val, nnz);
    if (!rc) rc = check_labels(m, who, labels, 0);
    if (!rc) rc = check_weight(who, weight, 0);
    if (rc) return rc;
    uint32_t *idx = NULL;
    if (!m->ex && !(idx = keys_to_slots(m, who, keys, nnz))) return GROWTH_ENOMEM;
    logistic_ctx ctx = {labels, weight, m->H};
    pthread_mutex_lock(&m->lock);
    if (m->ex)
        rc = fx_apply(m, keys, NULL, val, nnz, logistic_grad, &ctx, out_pred);
    else
        rc = ftrl_apply(m, idx, val, nnz, logistic_grad, &ctx, out_pred);
    pthread_mutex_unlock(&m->lock);
    free(idx);
    if (!rc && out_pred)
        for (int h = 0; h < m->H; h++) out_pred[h] = ftrl_sigmoid(out_pred[h]);
    return rc;
}

/* Checks a CSR batch of keys: indptr non-decreasing, keys present, values finite. */
static int check_keys_csr(const char *who, const uint64_t *indptr, const uint64_t *keys, const float *val,
                          size_t nrows, size_t *out_longest)
{
    GROWTH_CHECK_NULL(who, indptr);
    size_t longest = 0;
    for (size_t r = 0; r < nrows; r++) {
        if (indptr[r + 1] < indptr[r]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, r);
        if (indptr[r + 1] - indptr[r] > longest) longest = (size_t)(indptr[r + 1] - indptr[r]);
    }
    if (indptr[nrows] > (uint64_t)SIZE_MAX) return gerr(GROWTH_EINVAL, "%s: indptr too large", who);
    size_t b = (size_t)indptr[0];
    *out_longest = longest;
    return check_keys(who, keys ? keys + b : NULL, val ? val + b : NULL, (size_t)(indptr[nrows] - indptr[0]));
}

GROWTH_API int growth_ftrl_predict_keys_csr(const growth_ftrl *m, const uint64_t *indptr,
                                            const uint64_t *keys, const float *val, size_t nrows,
                                            unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_ftrl_predict_keys_csr";
    GROWTH_CHECK_NULL(who, m);
    int rc = ftrl_check_flags(who, flags);
    if (rc) return rc;
    if (nrows == 0) return GROWTH_OK;
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    size_t longest = 0;
    rc = check_out(m, who, out, cap, nrows * (size_t)m->H);
    if (!rc) rc = check_keys_csr(who, indptr, keys, val, nrows, &longest);
    if (rc) return rc;
    uint32_t *idx = NULL;
    if (!m->ex && !(idx = malloc((longest ? longest : 1) * sizeof *idx)))
        return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu keys", who, longest);
    const int H = m->H;
    for (size_t r = 0; r < nrows; r++) {
        size_t b = (size_t)indptr[r], n = (size_t)(indptr[r + 1] - indptr[r]);
        float *o = out + r * (size_t)H;
        const float *v = val ? val + b : NULL;
        if (m->ex) {
            fx_margins(m, keys + b, NULL, v, n, o);
        } else {
            for (size_t k = 0; k < n; k++) idx[k] = key_slot(m, keys[b + k]);
            ftrl_margins(m, idx, v, n, o);
        }
        if (!(flags & GROWTH_PREDICT_MARGIN))
            for (int h = 0; h < H; h++) o[h] = ftrl_sigmoid(o[h]);
    }
    free(idx);
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_update_keys_csr(growth_ftrl *m, const uint64_t *indptr, const uint64_t *keys,
                                           const float *val, size_t nrows, const float *labels,
                                           const float *weights, float *out_pred, size_t cap)
{
    static const char *who = "growth_ftrl_update_keys_csr";
    GROWTH_CHECK_NULL(who, m);
    if (nrows == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, labels);
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    const int H = m->H;
    size_t longest = 0;
    int rc = out_pred ? check_out(m, who, out_pred, cap, nrows * (size_t)H) : GROWTH_OK;
    if (!rc) rc = check_keys_csr(who, indptr, keys, val, nrows, &longest);
    if (!rc) rc = check_batch_labels(m, who, labels, weights, nrows);
    if (rc) return rc;
    uint32_t *idx = NULL;
    if (!m->ex && !(idx = malloc((longest ? longest : 1) * sizeof *idx)))
        return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu keys", who, longest);
    pthread_mutex_lock(&m->lock);
    /* The gradient scratch must hold the longest row before anything changes (hashed rows;
     * an exact table's rows use it too), so an allocation cannot fail half-way. */
    if ((rc = ftrl_reserve(m, who, longest * (size_t)H, longest))) {
        pthread_mutex_unlock(&m->lock);
        free(idx);
        return rc;
    }
    for (size_t r = 0; r < nrows && !rc; r++) {
        size_t b = (size_t)indptr[r], n = (size_t)(indptr[r + 1] - indptr[r]);
        logistic_ctx ctx = {labels + r * (size_t)H, weights ? weights[r] : 1.0f, H};
        float *o = out_pred ? out_pred + r * (size_t)H : NULL;
        const float *v = val ? val + b : NULL;
        if (m->ex) {
            /* Only a table that cannot grow fails here: the rows before stay trained. */
            rc = fx_apply(m, keys + b, NULL, v, n, logistic_grad, &ctx, o);
        } else {
            for (size_t k = 0; k < n; k++) idx[k] = key_slot(m, keys[b + k]);
            rc = ftrl_apply(m, idx, v, n, logistic_grad, &ctx, o);
        }
        if (!rc && o)
            for (int h = 0; h < H; h++) o[h] = ftrl_sigmoid(o[h]);
    }
    pthread_mutex_unlock(&m->lock);
    free(idx);
    return rc;
}

/* ---- persistence ------------------------------------------------------------------------- */

#define FTRL_MAX_FILE ((size_t)1 << 36)

static int fill_meta(const growth_ftrl *m, Growth__ModelMeta *meta, char **cfgbuf)
{
    if (!(*cfgbuf = gcfg_format_alloc(ftrl_opts, FTRL_NOPTS, &m->cfg)))
        return gerr(GROWTH_ENOMEM, "ftrl: out of memory");
    gmodel_meta(meta, *cfgbuf);
    return GROWTH_OK;
}

/* ftrl_pack_locked for table=exact: keys instead of slots. */
static int ftrl_pack_exact(const growth_ftrl *m, bool weights_only, uint8_t **out, size_t *out_len)
{
    const char *who = weights_only ? "growth_ftrl_export_weights" : "growth_ftrl_save";
    const size_t H = (size_t)m->H;
    uint64_t *keys = NULL, *stamps = NULL;
    float *a = NULL, *b = NULL;
    size_t n = 0;
    char *cfgbuf = NULL;
    float bias_a[FTRL_MAX_HEADS], bias_b[FTRL_MAX_HEADS];
    int rc = fx_snapshot(m, weights_only, &keys, &stamps, &a, &b, &n);
    if (rc) return rc;
    for (size_t h = 0; h < H; h++) {
        bias_a[h] = atomic_load_explicit(weights_only ? &m->bias_w[h] : &m->bias_z[h], memory_order_relaxed);
        bias_b[h] = atomic_load_explicit(&m->bias_s[h], memory_order_relaxed);
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    if ((rc = fill_meta(m, &meta, &cfgbuf))) goto done;
    if (weights_only) {
        Growth__FtrlWeights msg = GROWTH__FTRL_WEIGHTS__INIT;
        msg.meta = &meta;
        msg.examples = atomic_load_explicit(&m->examples, memory_order_relaxed);
        msg.n_keys = n;
        msg.keys = keys;
        msg.n_w = n * H;
        msg.w = a;
        msg.n_bias_w = m->cfg.bias ? H : 0;
        msg.bias_w = bias_a;
        rc = genv_pack(who, GROWTH_KIND_FTRL_WEIGHTS, &msg.base, out, out_len);
    } else {
        Growth__FtrlState msg = GROWTH__FTRL_STATE__INIT;
        msg.meta = &meta;
        msg.examples = atomic_load_explicit(&m->examples, memory_order_relaxed);
        msg.n_keys = msg.n_stamps = n;
        msg.keys = keys;
        msg.stamps = stamps;
        msg.n_z = msg.n_sqrt_n = n * H;
        msg.z = a;
        msg.sqrt_n = b;
        msg.n_bias_z = msg.n_bias_sqrt_n = m->cfg.bias ? H : 0;
        msg.bias_z = bias_a;
        msg.bias_sqrt_n = bias_b;
        const uint8_t *sk = NULL;
        size_t nsk = 0;
        bool aging = false;
        fx_sketch_get(m, &sk, &nsk, &msg.admit_sketch_cursor, &aging);
        msg.admit_sketch_aging = aging;
        msg.admit_sketch.len = nsk;
        msg.admit_sketch.data = (uint8_t *)sk;
        rc = genv_pack(who, GROWTH_KIND_FTRL, &msg.base, out, out_len);
    }
done:
    free(keys);
    free(stamps);
    free(a);
    free(b);
    free(cfgbuf);
    return rc;
}

/* Packs the model (full state or weights) into an envelope in memory; the caller holds m->lock
 * (a consistent snapshot with respect to training). */
static int ftrl_pack_locked(const growth_ftrl *m, bool weights_only, uint8_t **out, size_t *out_len)
{
    const char *who = weights_only ? "growth_ftrl_export_weights" : "growth_ftrl_save";
    const size_t H = (size_t)m->H;
    if (m->ex) return ftrl_pack_exact(m, weights_only, out, out_len);
    if (m->hogwild_stale) {
        /* Threads store a slot's statistics and its cached weight as separate stores, so two
         * threads stepping one slot at the same instant can leave the weight of one step beside
         * the statistics of the other (until the slot's next step). The file keeps statistics
         * only: every weight is re-derived from them first, so the model and its file predict
         * alike. A pass over the table the scan below makes anyway (m->lock held). */
        growth_ftrl *mm = (growth_ftrl *)m;
        for (size_t wpos = 0; wpos < (size_t)m->nslots * H; wpos++) {
            float z, sn;
            load_stat(m, wpos, &z, &sn);
            if (z != 0.0f || sn != 0.0f) put_stat(mm, wpos, z, sn, 0, true);
        }
        mm->hogwild_stale = false;
    }
    uint64_t used = 0, nz = 0;
    for (uint64_t s = 0; s < m->nslots; s++) {
        used += slot_used(m, s, weights_only);
        nz += slot_nonzero(m, s);
    }
    /* The scan recounts the non-zero slots: a save also corrects what concurrent training
     * threads (threads=N) may have miscounted (m->lock held: no writer runs). */
    atomic_store_explicit(&((growth_ftrl *)m)->nonzero, nz, memory_order_relaxed);
    uint32_t *slots = malloc((size_t)(used ? used : 1) * sizeof *slots);
    float *a = malloc((size_t)(used ? used : 1) * H * sizeof *a);
    float *b = weights_only ? NULL : malloc((size_t)(used ? used : 1) * H * sizeof *b);
    float bias_a[FTRL_MAX_HEADS], bias_b[FTRL_MAX_HEADS];
    char *cfgbuf = NULL;
    int rc = GROWTH_OK;
    if (!slots || !a || (!weights_only && !b)) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory for %llu slots", who, (unsigned long long)used);
        goto done;
    }
    size_t j = 0;
    for (uint64_t s = 0; s < m->nslots; s++) {
        if (!slot_used(m, s, weights_only)) continue;
        slots[j] = (uint32_t)s;
        for (size_t h = 0; h < H; h++) {
            size_t wpos = (size_t)s * H + h;
            if (weights_only) {
                a[j * H + h] = load_w(m, wpos);
            } else {
                float z, sn;
                load_stat(m, wpos, &z, &sn);
                a[j * H + h] = z;
                b[j * H + h] = sn;
            }
        }
        j++;
    }
    for (size_t h = 0; h < H; h++) {
        float z = atomic_load_explicit(&m->bias_z[h], memory_order_relaxed);
        float sn = atomic_load_explicit(&m->bias_s[h], memory_order_relaxed);
        bias_a[h] = weights_only ? atomic_load_explicit(&m->bias_w[h], memory_order_relaxed) : z;
        bias_b[h] = sn;
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    if ((rc = fill_meta(m, &meta, &cfgbuf))) goto done;
    if (weights_only) {
        Growth__FtrlWeights msg = GROWTH__FTRL_WEIGHTS__INIT;
        msg.meta = &meta;
        msg.examples = atomic_load_explicit(&m->examples, memory_order_relaxed);
        msg.n_slots = (size_t)used;
        msg.slots = slots;
        msg.n_w = (size_t)used * H;
        msg.w = a;
        msg.n_bias_w = m->cfg.bias ? H : 0;
        msg.bias_w = bias_a;
        rc = genv_pack(who, GROWTH_KIND_FTRL_WEIGHTS, &msg.base, out, out_len);
    } else {
        Growth__FtrlState msg = GROWTH__FTRL_STATE__INIT;
        msg.meta = &meta;
        msg.examples = atomic_load_explicit(&m->examples, memory_order_relaxed);
        msg.n_slots = (size_t)used;
        msg.slots = slots;
        msg.n_z = msg.n_sqrt_n = (size_t)used * H;
        msg.z = a;
        msg.sqrt_n = b;
        msg.n_bias_z = msg.n_bias_sqrt_n = m->cfg.bias ? H : 0;
        msg.bias_z = bias_a;
        msg.bias_sqrt_n = bias_b;
        rc = genv_pack(who, GROWTH_KIND_FTRL, &msg.base, out, out_len);
    }
done:
    free(slots);
    free(a);
    free(b);
    free(cfgbuf);
    return rc;
}

static int ftrl_pack(const growth_ftrl *m, bool weights_only, uint8_t **out, size_t *out_len)
{
    growth_ftrl *mm = (growth_ftrl *)m;
    pthread_mutex_lock(&mm->lock);
    int rc = ftrl_pack_locked(m, weights_only, out, out_len);
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

/* The gmodel_pack_fn of the two kinds (their messages name save / export_weights). */
static int ftrl_pack_state(const char *who, const void *m, uint8_t **out, size_t *out_len)
{
    (void)who;
    return ftrl_pack(m, false, out, out_len);
}

static int ftrl_pack_weights(const char *who, const void *m, uint8_t **out, size_t *out_len)
{
    (void)who;
    return ftrl_pack(m, true, out, out_len);
}

GROWTH_API int growth_ftrl_serialize(const growth_ftrl *m, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_ftrl_serialize", m, ftrl_pack_state, out_buf, out_len);
}

GROWTH_API int growth_ftrl_save(const growth_ftrl *m, const char *path)
{
    return gmodel_save("growth_ftrl_save", m, path, ftrl_pack_state);
}

GROWTH_API int growth_ftrl_export_weights(const growth_ftrl *m, const char *path)
{
    return gmodel_save("growth_ftrl_export_weights", m, path, ftrl_pack_weights);
}

static int check_slots(const char *who, const uint32_t *slots, size_t n, const growth_ftrl *m)
{
    for (size_t i = 0; i < n; i++) {
        if (m->cfg.bits < 32 && slots[i] >> m->cfg.bits)
            return gerr(GROWTH_EFORMAT, "%s: slot %u is outside the table of 2^%d", who, slots[i],
                        (int)m->cfg.bits);
        if (i > 0 && slots[i] <= slots[i - 1])
            return gerr(GROWTH_EFORMAT, "%s: slots are not strictly ascending at entry %zu", who, i);
    }
    return GROWTH_OK;
}

/* Sets the non-zero-slot counter of a freshly loaded model (its only slots: `slots`, distinct). */
static void count_nonzero(growth_ftrl *m, const uint32_t *slots, size_t n)
{
    uint64_t nz = 0;
    for (size_t i = 0; i < n; i++) nz += slot_nonzero(m, slots[i]);
    atomic_store_explicit(&m->nonzero, nz, memory_order_relaxed);
}

static int meta_config(const char *who, const Growth__ModelMeta *meta, ftrl_cfg *cfg)
{
    if (!meta || !meta->config) return gerr(GROWTH_EFORMAT, "%s: model has no configuration", who);
    memset(cfg, 0, sizeof *cfg);
    return gcfg_parse_stored(who, ftrl_opts, FTRL_NOPTS, meta->config, cfg, sizeof *cfg);
}

static int unpack_state(const char *who, const uint8_t *pl, size_t plen, growth_ftrl **out)
{
    Growth__FtrlState *msg = growth__ftrl_state__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "FTRL state payload");
    ftrl_cfg cfg;
    growth_ftrl *m = NULL;
    int rc = meta_config(who, msg->meta, &cfg);
    if (!rc) rc = ftrl_new(&m, &cfg, who);
    if (rc) {
        if (rc != GROWTH_ENOMEM && rc != GROWTH_EFORMAT)
            rc = gerr(GROWTH_EFORMAT, "%s: %s", who, gerr_cause(who));
        goto done;
    }
    const size_t H = (size_t)m->H;
    if (msg->n_z != (msg->n_slots + msg->n_keys) * H || msg->n_sqrt_n != (msg->n_slots + msg->n_keys) * H) {
        rc = gerr(GROWTH_EFORMAT, "%s: %zu slots x %zu heads but %zu z and %zu sqrt_n values", who,
                  msg->n_slots, H, msg->n_z, msg->n_sqrt_n);
        goto done;
    }
    size_t nb = m->cfg.bias ? H : 0;
    if (msg->n_bias_z != nb || msg->n_bias_sqrt_n != nb) {
        rc = gerr(GROWTH_EFORMAT, "%s: expected %zu bias values", who, nb);
        goto done;
    }
    if ((rc = check_slots(who, msg->slots, msg->n_slots, m))) goto done;
    if (m->ex ? (msg->n_slots != 0 || (msg->n_stamps != 0 && msg->n_stamps != msg->n_keys))
              : msg->n_keys != 0 || msg->n_stamps != 0) {
        rc = gerr(GROWTH_EFORMAT, "%s: %s model with %zu slots, %zu keys and %zu stamps", who,
                  m->ex ? "a table=exact" : "a hashed", msg->n_slots, msg->n_keys, msg->n_stamps);
        goto done;
    }
    if (m->ex && (msg->n_z != msg->n_keys * H || msg->n_sqrt_n != msg->n_keys * H)) {
        rc = gerr(GROWTH_EFORMAT, "%s: %zu keys x %zu heads but %zu z values", who, msg->n_keys, H, msg->n_z);
        goto done;
    }
    if (!gall_finite_f32(msg->z, msg->n_z) || !gall_finite_f32(msg->sqrt_n, msg->n_sqrt_n) ||
        !gall_finite_f32(msg->bias_z, nb) || !gall_finite_f32(msg->bias_sqrt_n, nb)) {
        rc = gerr(GROWTH_EFORMAT, "%s: model holds NaN or Inf statistics", who);
        goto done;
    }
    for (size_t i = 0; i < msg->n_sqrt_n; i++)
        if (msg->sqrt_n[i] < 0) {
            rc = gerr(GROWTH_EFORMAT, "%s: negative sqrt_n", who);
            goto done;
        }
    for (size_t i = 0; i < msg->n_slots; i++)
        for (size_t h = 0; h < H; h++)
            put_stat(m, (size_t)msg->slots[i] * H + h, msg->z[i * H + h], msg->sqrt_n[i * H + h], 0, true);
    for (size_t h = 0; h < nb; h++) put_bias(m, (int)h, msg->bias_z[h], msg->bias_sqrt_n[h]);
    if (m->ex) {
        for (size_t i = 0; i < msg->n_keys; i++) {
            uint64_t st = msg->n_stamps ? msg->stamps[i] : msg->examples;
            if (st > msg->examples) st = msg->examples;
            if ((rc = fx_load_entry(m, msg->keys[i], st, msg->z + i * H, msg->sqrt_n + i * H))) goto done;
        }
        if ((rc = fx_sketch_set(m, who, msg->admit_sketch.data, msg->admit_sketch.len,
                                msg->admit_sketch_cursor, msg->admit_sketch_aging)))
            goto done;
        fx_loaded(m);
    } else {
        if (msg->admit_sketch.len || msg->admit_sketch_cursor || msg->admit_sketch_aging) {
            rc = gerr(GROWTH_EFORMAT, "%s: a hashed model's file holds an admission sketch", who);
            goto done;
        }
        count_nonzero(m, msg->slots, msg->n_slots);
    }
    atomic_store_explicit(&m->examples, msg->examples, memory_order_relaxed);
done:
    growth__ftrl_state__free_unpacked(msg, &gpb_allocator);
    if (rc)
        growth_ftrl_free(m);
    else
        *out = m;
    return rc;
}

/* A weights file becomes a trainable model whose statistics give the same weights: every
 * exported slot gets sqrt(n) = 1 and the z that maps to its weight. */
static int unpack_weights(const char *who, const uint8_t *pl, size_t plen, growth_ftrl **out)
{
    Growth__FtrlWeights *msg = growth__ftrl_weights__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "FTRL weights payload");
    ftrl_cfg cfg;
    growth_ftrl *m = NULL;
    int rc = meta_config(who, msg->meta, &cfg);
    if (!rc) rc = ftrl_new(&m, &cfg, who);
    if (rc) {
        if (rc != GROWTH_ENOMEM && rc != GROWTH_EFORMAT)
            rc = gerr(GROWTH_EFORMAT, "%s: %s", who, gerr_cause(who));
        goto done;
    }
    const size_t H = (size_t)m->H;
    size_t nb = m->cfg.bias ? H : 0;
    if (msg->n_w != (msg->n_slots + msg->n_keys) * H || msg->n_bias_w != nb) {
        rc =
            gerr(GROWTH_EFORMAT, "%s: %zu slots x %zu heads but %zu weights", who, msg->n_slots, H, msg->n_w);
        goto done;
    }
    if ((rc = check_slots(who, msg->slots, msg->n_slots, m))) goto done;
    if (m->ex ? msg->n_slots != 0 || msg->n_w != msg->n_keys * H : msg->n_keys != 0) {
        rc = gerr(GROWTH_EFORMAT, "%s: %s model with %zu slots, %zu keys and %zu weights", who,
                  m->ex ? "a table=exact" : "a hashed", msg->n_slots, msg->n_keys, msg->n_w);
        goto done;
    }
    if (!gall_finite_f32(msg->w, msg->n_w) || !gall_finite_f32(msg->bias_w, nb)) {
        rc = gerr(GROWTH_EFORMAT, "%s: model holds NaN or Inf weights", who);
        goto done;
    }
    const double den = (m->cfg.beta + 1.0) / m->cfg.alpha + m->cfg.l2;
    if (m->ex) {
        float zs[FTRL_MAX_HEADS], ss[FTRL_MAX_HEADS];
        for (size_t i = 0; i < msg->n_keys; i++) {
            for (size_t h = 0; h < H; h++) {
                double w = msg->w[i * H + h];
                zs[h] = w == 0.0 ? 0.0f : (float)(-copysign(m->cfg.l1, w) - w * den);
                ss[h] = w == 0.0 ? 0.0f : 1.0f;
            }
            if ((rc = fx_load_entry(m, msg->keys[i], msg->examples, zs, ss))) goto done;
        }
        fx_loaded(m);
    }
    for (size_t i = 0; i <= msg->n_slots; i++)
        for (size_t h = 0; h < H; h++) {
            double w;
            if (i < msg->n_slots)
                w = msg->w[i * H + h];
            else if (nb)
                w = msg->bias_w[h];
            else
                continue;
            float z = w == 0.0 ? 0.0f : (float)(-copysign(m->cfg.l1, w) - w * den);
            float s = w == 0.0 ? 0.0f : 1.0f;
            if (i == msg->n_slots)
                put_bias(m, (int)h, z, s);
            else
                put_stat(m, (size_t)msg->slots[i] * H + h, z, s, 0, true);
        }
    if (!m->ex) count_nonzero(m, msg->slots, msg->n_slots);
    atomic_store_explicit(&m->examples, msg->examples, memory_order_relaxed);
done:
    growth__ftrl_weights__free_unpacked(msg, &gpb_allocator);
    if (rc)
        growth_ftrl_free(m);
    else
        *out = m;
    return rc;
}

/* Either kind loads: a weights file becomes a trainable model. */
static int ftrl_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *out)
{
    if (kind == GROWTH_KIND_FTRL) return unpack_state(who, pl, plen, out);
    if (kind == GROWTH_KIND_FTRL_WEIGHTS) return unpack_weights(who, pl, plen, out);
    return gerr(GROWTH_EFORMAT, "%s: file holds a '%s' model, expected 'ftrl' or 'ftrl_weights'", who,
                growth_model_kind_name((int)kind));
}

GROWTH_API int growth_ftrl_deserialize(growth_ftrl **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_ftrl_deserialize", buf, len, GROWTH_KIND_UNKNOWN, ftrl_from_payload,
                              out);
}

GROWTH_API int growth_ftrl_load(growth_ftrl **out, const char *path)
{
    return gmodel_load("growth_ftrl_load", path, FTRL_MAX_FILE, GROWTH_KIND_UNKNOWN, ftrl_from_payload, out);
}
