/* FM/FFM compute-side internals (fm.c, fm_kernels.c, fm_fit.c): the model struct, the table
 * layout and the kernels. Persistence does not include this file: it goes through fm_impl.h.
 *
 * Layout. A slot has V vectors (V = fields for ffm, 1 for fm); vector (slot, f) starts at float
 * (slot * V + f) * KP of the factor table, KP = k rounded up to a multiple of 4, and the AdaGrad
 * sums live at the same position of a second table (prediction reads only the factors, so the
 * sums never cost it cache lines). Lanes k..KP-1 are padding: factor 0, sum 1, never changed.
 * Float mode: float tables, 64-byte aligned (gtable_alloc + rounding up: a k=4 FFM slot of 12 fields is exactly 3 cache lines). Compact mode: the same
 * positions as bfloat16. Linear FTRL statistics: record (slot * H + h), float [z, sqrt n, w, pad]
 * (16 bytes) or compact [z, sqrt n, w] bfloat16 (6 bytes), exactly as growth_ftrl.
 *
 * Concurrency: one writer (m->lock); readers never lock. The float SIMD kernels read and write
 * the tables with plain vector loads and stores: a prediction racing the writer may see a
 * vector half old and half new (each float is either; x86 does not tear aligned floats), which is
 * the documented Hogwild behaviour. Formally, in C11 such plain accesses racing a store are a
 * data race, so builds under ThreadSanitizer (__SANITIZE_THREAD__) use only the scalar kernels,
 * whose every table load and store is a relaxed __atomic_load / __atomic_store on the float or
 * uint16 (the scalar kernels always do this: they are also the portable path of non-x86
 * machines). The linear statistics, biases, head weights and counters are always accessed with
 * relaxed atomics. */
#ifndef GROWTH_FM_INTERNAL_H
#define GROWTH_FM_INTERNAL_H

#include <math.h>
#include <string.h>

#include "fm_impl.h"

#if defined(__SANITIZE_THREAD__)
#define FM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FM_TSAN 1
#endif
#endif
#ifndef FM_TSAN
#define FM_TSAN 0
#endif

/* One sparse row as the kernels see it (validated before). */
typedef struct {
    const uint32_t *idx;
    const uint8_t *fld; /* NULL for model=fm */
    const float *val;   /* NULL: all ones */
    size_t n;
    float r; /* > 0: the normalisation r(x) of the full row (table=exact drops entries without a record) */
} fm_row;

/* The hot loops of one instruction set (fm_kernels.c). P, S and c are KP floats. */
typedef struct fm_kernels {
    const char *name; /* "scalar", "sse", "avx2" */
    /* model=ffm: P[d] = sum_{i<j} v_{i,f_j,d} v_{j,f_i,d} x_i x_j (r not applied). */
    void (*ffm_pairwise)(const growth_fm *m, const fm_row *row, float *P);
    /* model=ffm: the in-place pair updates of fm.h with c[d] and r. */
    void (*ffm_update)(growth_fm *m, const fm_row *row, const float *c, float r);
    /* model=fm: S[d] = sum_i v_{i,d} x_i and P[d] = (S_d^2 - sum_i v_{i,d}^2 x_i^2) / 2. */
    void (*fm_pairwise)(const growth_fm *m, const fm_row *row, float *P, float *S);
    /* model=fm: the per-entry update; `old` is writer scratch of n x KP floats. */
    void (*fm_update)(growth_fm *m, const fm_row *row, const float *c, float r, const float *S, float *old);
} fm_kernels;

struct growth_fm {
    fm_cfg cfg;
    int H, V, K, KP;
    uint64_t nslots;
    size_t nvec; /* nslots * V */
    /* factor and AdaGrad tables (one pair is non-NULL: float or compact) */
    float *vf, *gf;
    uint16_t *vc, *gc;
    void *v_raw, *g_raw; /* what gtable_alloc returned (v/g are rounded up to 64 bytes) */
    size_t vec_bytes;    /* bytes of each of the two tables as allocated */
    /* linear FTRL statistics (cfg.linear) */
    _Atomic float *lf;
    _Atomic uint16_t *lc;
    size_t lin_bytes;
    /* touched slots: one bit a slot (set by training threads with an atomic OR: fm_touch) */
    uint64_t *touched_bits;
    size_t touched_bytes;
    float bias_z[FM_MAX_HEADS], bias_s[FM_MAX_HEADS], bias_w[FM_MAX_HEADS]; /* relaxed atomics */
    float u[FM_MAX_HEADS][FM_MAX_K], ug[FM_MAX_HEADS][FM_MAX_K];            /* relaxed atomics */
    char names[FM_MAX_HEADS][FM_NAME_MAX];
    _Atomic uint64_t examples, touched;
    pthread_mutex_t lock; /* serialises writers */
    grng rng;             /* stochastic rounding (compact); used under lock (compact trains on one thread) */
    growth_progress_fn progress;
    void *progress_user;
    float *scratch; /* writer-only: linear weight cache and FM pre-example vectors */
    size_t scratch_cap;
    float inv_alpha;
    float eta, lambda;
    const fm_kernels *kern;
    struct fm_exact *ex; /* table=exact: the keyed table and its slot arena (fm_exact.c); NULL when hashed */
};

/* ---- relaxed atomic scalars ------------------------------------------------------------------ */

static inline float fm_ldf(const float *p)
{
    float v;
    __atomic_load(p, &v, __ATOMIC_RELAXED);
    return v;
}
static inline void fm_stf(float *p, float v) { __atomic_store(p, &v, __ATOMIC_RELAXED); }
static inline uint16_t fm_ldh(const uint16_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void fm_sth(uint16_t *p, uint16_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static inline size_t fm_vpos(const growth_fm *m, uint64_t slot, int f)
{
    return ((size_t)slot * (size_t)m->V + (size_t)f) * (size_t)m->KP;
}

/* Marks a slot touched. Bits are only ever set: a relaxed load first (set bits cost no locked
 * operation), then an atomic OR, so threads training at once (threads=N) never lose a bit and
 * count each slot once. */
static inline void fm_touch(growth_fm *m, uint64_t slot)
{
    uint64_t bit = UINT64_C(1) << (slot & 63);
    uint64_t *w = &m->touched_bits[slot >> 6];
    if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit) && !(__atomic_fetch_or(w, bit, __ATOMIC_RELAXED) & bit))
        atomic_fetch_add_explicit(&m->touched, 1, memory_order_relaxed);
}

static inline float fm_sigmoid(float x)
{
    if (x > 35.0f) x = 35.0f;
    if (x < -35.0f) x = -35.0f;
    return 1.0f / (1.0f + expf(-x));
}

/* ---- kernels (fm_kernels.c) ------------------------------------------------------------------ */

/* The kernels of the process (GROWTH_FM_KERNEL=scalar|sse|avx2 read once; else the best the CPU
 * has; always scalar under ThreadSanitizer and on non-x86). */
const fm_kernels *fm_kernels_default(void);
/* The kernels named `name` ("scalar", "sse", "avx2"), or NULL when this build or CPU lacks them. */
const fm_kernels *fm_kernels_named(const char *name);
/* Compact precision always uses these (scalar, bfloat16 conversions, stochastic rounding). */
extern const fm_kernels fm_kernels_compact;

/* Internal, for tests and benchmarks: makes `m` use the kernels named `name` (float precision
 * only). GROWTH_OK, or GROWTH_EINVAL when they do not exist here. Not thread-safe against other
 * calls on `m`. */
int fm_force_kernels(growth_fm *m, const char *name);

/* ---- training core (fm.c), used by fm_fit.c ---------------------------------------------------- */

/* Validates one row of `m` (idx, fld, val) for `who`; `row` names the row in messages
 * (SIZE_MAX: a single-row call). */
int fm_check_row(const growth_fm *m, const char *who, const uint32_t *idx, const uint8_t *fld,
                 const float *val, size_t nnz, size_t row);
int fm_check_labels(const growth_fm *m, const char *who, const float *labels, size_t row);
int fm_check_weight(const char *who, float w, size_t row);
/* Makes the writer scratch hold rows of `nnz` entries (caller holds the lock). */
int fm_reserve_scratch(growth_fm *m, const char *who, size_t nnz);
/* Margins of every head of a row (lock-free). */
void fm_margins(const growth_fm *m, const fm_row *row, float *margin);
/* Trains on one row with logistic loss (caller holds the lock, scratch reserved); writes the
 * margins before the update into margins_out (may be NULL). */
void fm_train_logistic(growth_fm *m, const fm_row *row, const float *labels, float weight,
                       float *margins_out);

/* A batch for fm_train_batch: row t's features, labels and weight, and where its margins go
 * (H floats; NULL: nowhere). Called from the training threads. */
typedef struct {
    fm_row row;
    const float *labels;
    float weight;
    float *margins;
} fm_item;
typedef void (*fm_item_fn)(const growth_fm *m, const void *ctx, size_t t, fm_item *out);

/* Trains items 0 .. n-1 (rows of at most `longest` entries; caller holds the lock and reserved
 * the scratch for `longest`) with logistic loss on up to cfg.threads threads (Hogwild: threads
 * update shared statistics without a lock; precision=float only, compact trains on the calling
 * thread). Thread t of T takes blocks t, t + T, ... of FM_BLOCK_ROWS items. GROWTH_ENOMEM,
 * nothing trained, when the other threads' scratch cannot be allocated (`extra`: scratch from
 * fm_batch_scratch, or NULL to allocate it here). */
int fm_train_batch(growth_fm *m, const char *who, size_t n, size_t longest, fm_item_fn item, const void *ctx,
                   float *extra);
/* The other threads' scratch for fm_train_batch on rows of `longest` entries, allocated ahead
 * (a fit allocates everything before it trains): *out is NULL when one thread trains. GROWTH_OK
 * or GROWTH_ENOMEM. Free with free(). */
int fm_batch_scratch(const growth_fm *m, const char *who, size_t longest, float **out);

/* ---- table=exact (fm_exact.c), used by fm.c and fm_fit.c ------------------------------------- */

/* growth_fm_factors after its NULL and index checks: the field and capacity checks, then the k
 * factors of slot `id` (of key `id` on a table=exact model). */
int fm_factors_of(const growth_fm *m, const char *who, uint64_t id, size_t field, float *out, size_t cap,
                  size_t *out_n);
/* The linear weight of (slot, head) in force (0 with linear=false); lock-free. */
float fm_slot_weight(const growth_fm *m, uint64_t slot, int head);

/* Creates a table=exact model (fm_new calls it for cfg->table == FM_TABLE_EXACT). */
int fmx_new(growth_fm **out, const fm_cfg *cfg, const char *who);
void fmx_free(growth_fm *m);
/* The key of a slot of a table=exact model: fm_first_touch seeds the slot's factors with it (a
 * hashed model seeds with the slot), so a key gets the factors slot `key` gets in a hashed model. */
uint64_t fmx_init_id(const growth_fm *m, uint64_t slot);
/* Appended stats (live, admitted, evicted, expired, table_bytes) and the model's bytes. */
void fmx_stats(const growth_fm *m, growth_fm_stats *s);
/* The uint32 calls on a table=exact model (validated by the caller): idx values are keys. */
int fmx_predict_csr(const growth_fm *m, const char *who, const uint64_t *indptr, const uint32_t *idx,
                    const uint8_t *fld, const float *val, size_t nrows, unsigned flags, float *out);
int fmx_update_csr(growth_fm *m, const char *who, const uint64_t *indptr, const uint32_t *idx,
                   const uint8_t *fld, const float *val, size_t nrows, const float *labels,
                   const float *weights, float *out_pred);
float fmx_weight(const growth_fm *m, uint64_t key, int head);
int fmx_factors(const growth_fm *m, uint64_t key, int field, float *out);
/* One training row of keys (idx values are keys) with any step: admission, expiry and eviction,
 * then step(m, row of the admitted keys' slots, ctx) (caller holds the lock and reserved the
 * scratch with fmx_reserve). GROWTH_ENOMEM when the keyed table cannot grow (nothing trained). */
typedef void (*fmx_step_fn)(growth_fm *m, const fm_row *row, void *ctx);
int fmx_reserve(growth_fm *m, const char *who, size_t nnz);
int fmx_train_step(growth_fm *m, const uint32_t *idx, const uint8_t *fld, const float *val, size_t nnz,
                   fmx_step_fn step, void *ctx);
/* Margins of every head of one row of keys (lock-free; GROWTH_ENOMEM only for rows of more than
 * 256 keys). */
int fmx_margins(const growth_fm *m, const char *who, const uint32_t *idx, const uint8_t *fld,
                const float *val, size_t nnz, float *margin);
/* A copy of the keyed table and the arena's bookkeeping (growth_fm_fit's auto-stop / cancel; the
 * arena's tables are copied by the fit like a hashed model's): take (writer; GROWTH_ENOMEM),
 * restore (consumes the copy), free, and the bytes a copy takes. */
typedef struct fmx_copy fmx_copy;
int fmx_copy_take(const growth_fm *m, const char *who, fmx_copy **out);
void fmx_copy_restore(growth_fm *m, fmx_copy *c);
void fmx_copy_free(fmx_copy *c);
double fmx_copy_bytes(const growth_fm *m);

/* Bytes of the model state (tables and bookkeeping) and per slot. */
double fm_state_bytes(const fm_cfg *cfg);

#endif
