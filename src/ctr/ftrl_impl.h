/* FTRL internals shared by ftrl.c and esmm.c (the ctr module only). */
#ifndef GROWTH_FTRL_IMPL_H
#define GROWTH_FTRL_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core.h"
#include "growth/ctr.h"

#define FTRL_MAX_HEADS 16
#define FTRL_NAME_MAX  GHEAD_NAME_MAX

typedef struct {
    double alpha, beta, l1, l2;
    int64_t bits, heads;
    char head_names[GCFG_STRING_MAX];
    bool bias;
    int precision; /* 0 float, 1 compact */
    int64_t seed;
    int64_t max_memory; /* bytes the table may take, 0 = no cap (gmem_reserve) */
} ftrl_cfg;

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
    float inv_alpha;
};

/* Validates one row; `who` names the caller in messages. */
int ftrl_check_row(const growth_ftrl *m, const char *who, const uint32_t *idx, const float *val, size_t nnz);

/* Margins of every head for one row (no validation). */
void ftrl_margins(const growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz, float *margin);

/* Writer path, caller holds m->lock. Computes margins and caches the weights used, then calls
 * grad_fn(ctx, margins, grads) which fills per-head gradients of the loss w.r.t. the margins
 * (NaN = leave that head alone), then applies the FTRL-Proximal update. */
typedef void (*ftrl_grad_fn)(void *ctx, const float *margins, float *grads);
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

#endif
