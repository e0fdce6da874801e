/* Bandit internals shared by the files of src/bandit (this module only). */
#ifndef GROWTH_BANDIT_IMPL_H
#define GROWTH_BANDIT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core.h"
#include "growth/bandit.h"

/* ---- samplers (sample.c) ---------------------------------------------------------------- */

/* Precomputed constants of a Gamma(shape) draw. */
typedef struct { double d, c, inv; } bgamma_k;

void bsample_init(void); /* ziggurat tables; idempotent, thread-safe */
double bsample_normal(grng *r);
void bgamma_prep(double shape, bgamma_k *k);
double bsample_gamma_k(grng *r, const bgamma_k *k);
double bsample_beta_k(grng *r, const bgamma_k *ka, const bgamma_k *kb);
double bsample_beta(grng *r, double a, double b);

/* ---- the handle (bandit.c) -------------------------------------------------------------- */

enum { POL_THOMPSON, POL_EGREEDY, POL_UCB1, POL_KLUCB, POL_LINTS, POL_LINUCB };
#define POLICY_CHOICES "thompson|egreedy|ucb1|klucb|lints|linucb"

typedef struct {
    int policy;
    int64_t dim, seed, stream, streams;
    double prior_alpha, prior_beta;
    double epsilon, epsilon_decay, epsilon_min, ucb_c, klucb_c;
    double lambda, alpha, v;
    int64_t refresh;
    double ts_scale, ts_max_count;
    int64_t propensity_draws, ttl;
    double ttl_seconds, decay;
    int64_t window, max_arms;
} bandit_cfg;

typedef struct {
    uint64_t id, uid;
    char *name;              /* NULL for integer ids */
    double pa, pb, ps;       /* Beta prior; ps = explicit pseudo-count strength (0 = default) */
    double s, f;             /* evidence sums, stored / scale */
    bgamma_k ka, kb;         /* no-decay fast path: constants of the (reshaped) posterior */
    double *lin;             /* linear: A (d*d, upper), Ainv (d*d, upper), b (d), theta (d) */
    uint64_t updates;        /* linear: rank-1 updates since the last refactor */
    double count;            /* linear: applied updates */
} barm;

typedef struct { double s; uint32_t j; } bpair;

/* A stripe: one PRNG stream plus scratch for one select at a time. */
typedef struct {
    pthread_mutex_t mu;
    grng rng;
    uint32_t *idx, *mark, *heap;
    double *score, *aux, *sd;  /* scores; LinTS means and sds */
    bpair *pair;
    uint32_t stamp;
    double *x, *y;           /* dim: the context as doubles, a temp */
    char pad[64];
} bstripe;

/* Pending-decision ring entry: state in the low 2 bits of uid_state. */
typedef struct { uint64_t arm_id, uid_state; } bpend;
enum { PEND_EMPTY = 0, PEND_PENDING = 1, PEND_REWARDED = 2 };

enum { CNT_APPLIED, CNT_UNKNOWN, CNT_EXPIRED, CNT_DUPLICATE, CNT_RETIRED, CNT_N };

struct growth_bandit {
    bandit_cfg cfg;
    size_t dim;
    pthread_rwlock_t lock;   /* shared: selects; exclusive: rewards, arm changes, saves */
    barm *arms;
    size_t n, cap;
    uint64_t *hkey;          /* id -> dense index, open addressing; hval UINT32_MAX = empty */
    uint32_t *hval;
    size_t hcap;
    bstripe *st;
    size_t nst;
    bpend *ring;             /* indexed by decision id & rmask */
    int64_t *ring_t;         /* monotonic ns of each decision (ttl_seconds > 0) */
    float *ring_ctx;         /* dim floats per entry (linear policies) */
    size_t rcap, ring_bytes;
    _Atomic uint64_t next_id;
    uint64_t next_uid;
    double scale, total, total_ps;
    /* sliding window of applied rewards */
    uint64_t *win_arm, *win_uid;
    double *win_r;
    float *win_ctx;
    size_t win_head, win_len;
    uint64_t cnt[CNT_N];
    double *wscratch;        /* writer scratch: 3 d*d + 2 d */
};

/* Shared-lock helpers used by replay (ope.c) and the simulator. */
int bandit_select_locked(growth_bandit *b, const char *who, const float *ctx, size_t dim,
                         const uint64_t *elig, size_t ne, const uint8_t *mask, size_t nm,
                         size_t k, uint64_t *dec, uint64_t *arms, double *props);
int64_t bandit_now_ns(void);

#endif
