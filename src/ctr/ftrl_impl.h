/* FTRL internals shared by ftrl.c and esmm.c (the ctr module only). */
#ifndef GROWTH_FTRL_IMPL_H
#define GROWTH_FTRL_IMPL_H

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <stdatomic.h>

#include "core.h"
#include "growth/ctr.h"

#define FTRL_MAX_HEADS   16
#define FTRL_MAX_THREADS 64
#define FTRL_NAME_MAX    GHEAD_NAME_MAX

typedef struct {
    double alpha, beta, l1, l2;
    int64_t bits, heads;
    char head_names[GCFG_STRING_MAX];
    bool bias;
    int precision; /* 0 float, 1 compact */
    int64_t seed;
    int64_t max_memory;     /* bytes the table may take, 0 = no cap (gmem_reserve) */
    int table;              /* FTRL_HASHED or FTRL_EXACT */
    int64_t admit;          /* table=exact: occurrences before a feature gets a record */
    double admit_prob;      /* table=exact: probability of admission at each eligible occurrence */
    int64_t admit_sketch;   /* table=exact: count-min sketch counters (bytes) when admit > 1 */
    int64_t expire;         /* table=exact: examples without an update before a feature expires */
    int64_t expire_seconds; /* table=exact: seconds without an update before a feature expires */
    int64_t threads;        /* batch training calls split their rows over this many threads (hashed) */
} ftrl_cfg;

enum { FTRL_HASHED = 0, FTRL_EXACT = 1 };

typedef void (*ftrl_grad_fn)(void *ctx, const float *margins, float *grads);

/* The collision-free table (src/core/xtable.c, used by ftrl_exact.c). */
typedef struct gxt ftrl_exact;

enum { FTRL_FLOAT = 0, FTRL_COMPACT = 1 };

struct growth_ftrl {
    ftrl_cfg cfg;
    int H;
    uint64_t nslots; /* 2^bits */
    /* Records, slot-major: slot s, head h -> record (s * H + h) of z, sqrt(n) and the weight w
     * (always equal to the weight z and sqrt(n) give: every write keeps it so). */
    _Atomic float *tf;    /* precision=float: 4 floats a record (the 4th is padding) */
    _Atomic uint16_t *tc; /* precision=compact: 3 bfloat16 a record */
    size_t table_bytes;
    _Atomic float bias_z[FTRL_MAX_HEADS], bias_s[FTRL_MAX_HEADS], bias_w[FTRL_MAX_HEADS];
    char names[FTRL_MAX_HEADS][FTRL_NAME_MAX];
    _Atomic uint64_t examples;
    _Atomic uint64_t nonzero; /* slots with a non-zero weight in any head; kept by writers */
    pthread_mutex_t lock;     /* serialises writers */
    grng rng;                 /* stochastic rounding; used under lock */
    float *scratch;           /* writer-only weight cache, grows under lock */
    size_t scratch_cap;
    bool hogwild_stale; /* a batch trained on several threads since the last save (see ftrl_pack_locked) */
    struct ftrl_pool *pool; /* threads=N: the workers kept between batches (ftrl.c) */
    float inv_alpha;
    ftrl_exact *ex; /* table=exact: the keyed table (tf and tc are then NULL) */
};

/* ---- table=exact (ftrl_exact.c) ---- */

/* Creates the keyed table of a model whose cfg, H and precision are set. */
int fx_create(growth_ftrl *m, const char *who);
void fx_free(growth_ftrl *m);
/* Margins for a row of keys (k64) or of 32-bit keys (k32, when k64 is NULL); lock-free reader. */
void fx_margins(const growth_ftrl *m, const uint64_t *k64, const uint32_t *k32, const float *val, size_t nnz,
                float *margin);
/* Writer path (m->lock held), as ftrl_apply. */
int fx_apply(growth_ftrl *m, const uint64_t *k64, const uint32_t *k32, const float *val, size_t nnz,
             ftrl_grad_fn grad_fn, void *ctx, float *margins_out);
/* Weight of `key` in head `h` (0 when absent or expired); lock-free reader. */
float fx_weight(const growth_ftrl *m, uint64_t key, int h);
/* Counters for growth_ftrl_stats. */
void fx_stats(const growth_ftrl *m, uint64_t *live, uint64_t *admitted, uint64_t *evicted, uint64_t *expired,
              uint64_t *bytes);
/* Snapshot of live entries (m->lock held): malloc'ed keys, stamps (examples) and z / sqrt n (or
 * weights when weights_only) of n entries x H; returns GROWTH_OK or ENOMEM. */
int fx_snapshot(const growth_ftrl *m, bool weights_only, uint64_t **keys, uint64_t **stamps, float **a,
                float **b, size_t *n);
/* Inserts a loaded entry (model being built): GROWTH_EFORMAT for a repeated key, ENOMEM. */
int fx_load_entry(growth_ftrl *m, uint64_t key, uint64_t stamp, const float *z, const float *s);
/* After loading: the admitted / evicted / expired counters start at 0. */
void fx_loaded(growth_ftrl *m);
/* The admission sketch to save (n = 0 without one) / to restore on load (gxt_sketch_get/_set). */
void fx_sketch_get(const growth_ftrl *m, const uint8_t **counters, size_t *n, uint64_t *cursor, bool *aging);
int fx_sketch_set(growth_ftrl *m, const char *who, const uint8_t *counters, size_t n, uint64_t cursor,
                  bool aging);

/* Validates one row; `who` names the caller in messages. */
int ftrl_check_row(const growth_ftrl *m, const char *who, const uint32_t *idx, const float *val, size_t nnz);

/* Margins of every head for one row (no validation). */
void ftrl_margins(const growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz, float *margin);

/* Writer path, caller holds m->lock. Computes margins and caches the weights used, then calls
 * grad_fn(ctx, margins, grads) which fills per-head gradients of the loss w.r.t. the margins
 * (NaN = leave that head alone), then applies the FTRL-Proximal update. */
int ftrl_apply(growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz, ftrl_grad_fn grad_fn,
               void *ctx, float *margins_out);

/* Checks the flags of a prediction call (only GROWTH_PREDICT_MARGIN is known). */
static inline int ftrl_check_flags(const char *who, unsigned flags)
{
    if (flags & ~GROWTH_PREDICT_MARGIN)
        return gerr(GROWTH_EINVAL, "%s: unknown flags 0x%x (only GROWTH_PREDICT_MARGIN)", who, flags);
    return GROWTH_OK;
}

static inline float ftrl_sigmoid(float m)
{
    if (m > 35.0f) m = 35.0f;
    if (m < -35.0f) m = -35.0f;
    return 1.0f / (1.0f + expf(-m));
}

/* ---- record helpers (ftrl.c and ftrl_exact.c) ---- */

/* bfloat16 rounding: core.h (gbf16_to_f, gf_to_bf16_sr, gf_to_bf16_nearest). */

static inline float ftrl_weight_of(const growth_ftrl *m, float z, float s)
{
    /* Branch-free: whether |z| > l1 is data-dependent and would mispredict half the time. A
     * zero denominator (beta = l2 = 0 and no gradient yet) gives 0, never Inf. */
    float l1 = (float)m->cfg.l1;
    float den = ((float)m->cfg.beta + s) * m->inv_alpha + (float)m->cfg.l2;
    float w = (copysignf(l1, z) - z) / (den > 0.0f ? den : 1.0f);
    return (fabsf(z) > l1 && den > 0.0f) ? w : 0.0f;
}

#endif
