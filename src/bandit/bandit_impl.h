/* Bandit internals shared by the files of src/bandit (this module only). */
#ifndef GROWTH_BANDIT_IMPL_H
#define GROWTH_BANDIT_IMPL_H

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core.h"
#include "growth/bandit.h"
#include "idmap.h"
#include "topk.h"
/* this module also implements the unstable interfaces of growth/sys/bandit.h */
#ifndef GROWTH_SYS_UNSTABLE
#define GROWTH_SYS_UNSTABLE
#endif
#include "growth/sys/bandit.h"

/* ---- samplers (sample.c) ---------------------------------------------------------------- */

/* Precomputed constants of a Gamma(shape) draw. */
typedef struct {
    double d, c, inv;
} bgamma_k;

void bsample_init(void); /* ziggurat tables; idempotent, thread-safe */
double bsample_normal(grng *r);
void bgamma_prep(double shape, bgamma_k *k);
double bsample_beta(grng *r, double a, double b); /* prepares the constants, then the inlined draw */

/* The ziggurat's layer edges and inner ratios (sample.c), for the inlined fast path. */
#define BZIG_N 128
extern double bzig_x[BZIG_N + 1], bzig_ratio[BZIG_N];
double bzig_slow(grng *r, uint64_t w);           /* the rest of one ziggurat draw given its word */
double bgamma_retry(grng *r, const bgamma_k *k); /* a fresh Marsaglia-Tsang draw (shape >= 1 part) */

/* Normal from a word already drawn: ~99% of words end here with one multiply and a compare. */
static inline double bzig_normal_w(grng *r, uint64_t w)
{
    unsigned i = (unsigned)(w & (BZIG_N - 1));
    double u = 2.0 * ((double)(w >> 11) * 0x1.0p-53) - 1.0;
    if (fabs(u) < bzig_ratio[i]) return u * bzig_x[i];
    return bzig_slow(r, w);
}

/* Marsaglia-Tsang Gamma from a normal word w and a uniform u in (0, 1) already drawn (the
 * acceptance test of one proposal; a rejected proposal restarts with fresh draws). */
static inline double bgamma_w(grng *r, const bgamma_k *k, uint64_t w, double u)
{
    double x = bzig_normal_w(r, w), v = 1.0 + k->c * x, g;
    if (v > 0.0) {
        v = v * v * v;
        double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + k->d * (1.0 - v + log(v))) {
            g = k->d * v;
            goto shape;
        }
    }
    g = bgamma_retry(r, k);
shape:
    if (k->inv != 0.0) { /* shape < 1: Gamma(a) = Gamma(a + 1) U^(1/a) */
        double uu = ((double)(grng_next(r) >> 11) + 0.5) * 0x1.0p-53;
        g *= pow(uu, k->inv);
    }
    return g;
}

/* Beta as a ratio of two gammas, their first proposals drawn from three words (two normals,
 * two 32-bit uniforms) so the common path is straight-line code for both. */
static inline double bsample_beta_fast(grng *r, const bgamma_k *ka, const bgamma_k *kb)
{
    uint64_t w1 = grng_next(r), w2 = grng_next(r), w3 = grng_next(r);
    double u1 = ((double)(w3 >> 32) + 0.5) * 0x1.0p-32;
    double u2 = ((double)(w3 & 0xffffffffu) + 0.5) * 0x1.0p-32;
    double x = bgamma_w(r, ka, w1, u1), y = bgamma_w(r, kb, w2, u2), s = x + y;
    return s > 0 ? x / s : (ka->d >= kb->d ? 1.0 : 0.0);
}

/* ---- the handle (bandit.c) -------------------------------------------------------------- */

enum {
    POL_THOMPSON,
    POL_EGREEDY,
    POL_UCB1,
    POL_KLUCB,
    POL_LINTS,
    POL_LINUCB,
    POL_LOGTS,
    POL_LOGUCB,
    POL_LOGGREEDY
};
#define POLICY_CHOICES "thompson|egreedy|ucb1|klucb|lints|linucb|logistic_ts|logistic_ucb|logistic_greedy"

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
    int64_t max_memory;            /* bytes the handle may take, 0 = no cap (gmem_reserve) */
    int64_t bits, nnz, count_bits; /* logistic policies: 2^bits weights, row width, 2^count_bits counts */
    double prior_count;            /* logistic policies: pseudo-count of a candidate's prior rate */
} bandit_cfg;

typedef struct {
    uint64_t id, uid;
    char *name;        /* NULL for integer ids */
    double pa, pb, ps; /* Beta prior; ps = explicit pseudo-count strength (0 = default) */
    double s, f;       /* evidence sums, stored / scale */
    bgamma_k ka, kb;   /* no-decay fast path: constants of the (reshaped) posterior */
    double *lin;       /* linear: A (d*d, upper), Ainv (d*d, upper), b (d), theta (d) */
    uint64_t updates;  /* linear: rank-1 updates since the last refactor */
    double count;      /* linear: applied updates */
} barm;

typedef struct {
    double s;
    uint32_t j;
} bpair;

/* A stripe: one PRNG stream plus scratch for one select at a time. */
typedef struct {
    pthread_mutex_t mu;
    grng rng;
    uint32_t *idx, *mark, *heap;
    double *score, *aux, *sd; /* scores; LinTS means and sds */
    bpair *pair;
    uint32_t stamp;
    double *x, *y; /* dim: the context as doubles, a temp */
    size_t lcap;   /* logistic policies: candidates the scratch above holds */
    uint32_t *lps; /* logistic_ts: slot drawn at each row position (nnz) in this decision, */
    double *lpv;   /* and its (m, sd, z) (3 x nnz): rows sharing a slot at a position reuse it */
    char pad[64];
} bstripe;

/* Logistic policies: one weight's Gaussian posterior, mean m and precision lambda + dq, and its
 * standard deviation 1/sqrt(lambda + dq) kept as dsd = sd - 1/sqrt(lambda) for the sampler (so a
 * zeroed table is the prior). */
typedef struct {
    double m, dq;
    float dsd, pad;
} blw;

/* Pending row of a logistic decision: the candidate id, its prior logit (NaN = none), nnz. */
typedef struct {
    uint64_t cand;
    float prior_logit;
    uint32_t nnz;
} blpend;

/* Pending-decision ring entry: state in the low 2 bits of uid_state. */
typedef struct {
    uint64_t arm_id, uid_state;
} bpend;
enum { PEND_EMPTY = 0, PEND_PENDING = 1, PEND_REWARDED = 2 };

enum { CNT_APPLIED, CNT_UNKNOWN, CNT_EXPIRED, CNT_DUPLICATE, CNT_RETIRED, CNT_N };

struct growth_bandit {
    bandit_cfg cfg;
    size_t dim;
    pthread_rwlock_t lock; /* shared: selects; exclusive: rewards, arm changes, saves */
    barm *arms;
    size_t n, cap;
    gidmap index; /* arm id -> dense index */
    bstripe *st;
    size_t nst;
    bpend *ring;     /* indexed by decision id & rmask */
    int64_t *ring_t; /* monotonic ns of each decision (ttl_seconds > 0) */
    float *ring_ctx; /* dim floats per entry (linear policies) */
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
    double *wscratch; /* writer scratch: 3 d*d + 2 d */
    /* logistic policies (logistic.c): weight posterior, candidate counts, pending rows */
    blw *lw; /* 2^bits (mean, precision - lambda) */
    size_t lw_bytes;
    double *lcount;      /* 2^count_bits applied rewards per hashed candidate id */
    blpend *lring;       /* rcap pending-row headers */
    uint32_t *lring_idx; /* rcap x nnz slots */
    float *lring_val;    /* rcap x nnz values */
    size_t lring_bytes;
    uint64_t lupdates; /* applied logistic updates */
};

/* ---- shared by the files of the handle --------------------------------------------------- */

static inline bool is_linear(const growth_bandit *b)
{
    return b->cfg.policy == POL_LINTS || b->cfg.policy == POL_LINUCB;
}

static inline bool is_logistic(const growth_bandit *b) { return b->cfg.policy >= POL_LOGTS; }

/* logistic.c: allocation of the model tables at creation, the update of one reward. */
int blog_alloc(growth_bandit *b);
void blog_free(growth_bandit *b);
double blog_bytes(const bandit_cfg *c, double rcap);
void blog_apply(growth_bandit *b, size_t slot, double v);

/* bandit.c: the configuration schema, creation, destruction, capacity. */
extern const gcfg_opt bandit_opts[];
extern const size_t bandit_nopts;
int bandit_check_cfg(const bandit_cfg *c, const char *who);
int bandit_new(growth_bandit **out, const bandit_cfg *cfg, const char *who);
/* Bytes a bandit of configuration c holds with `arms` arms (checked against max_memory). */
double bandit_bytes(const bandit_cfg *c, double arms);
void bandit_destroy(growth_bandit *b);
/* Grows arms, hash and stripe scratch to hold `need` arms. Caller holds the lock exclusively. */
int bandit_reserve(growth_bandit *b, size_t need, const char *who);

/* arms.c: the Beta posterior of an arm (effective evidence = scale * stored sums), reshaped for
 * Thompson sampling (ts_max_count, ts_scale), and its precomputed Gamma constants. */
static inline void reshape(const growth_bandit *b, double *a, double *bb)
{
    double mc = b->cfg.ts_max_count;
    if (mc > 0 && *a + *bb > mc) {
        double f = mc / (*a + *bb);
        *a *= f;
        *bb *= f;
    }
    *a *= b->cfg.ts_scale;
    *bb *= b->cfg.ts_scale;
}

static inline void posterior(const growth_bandit *b, const barm *a, double *pa, double *pb)
{
    *pa = a->pa + b->scale * a->s;
    *pb = a->pb + b->scale * a->f;
}

/* One Thompson draw from the (reshaped) posterior of arm a. */
static inline double draw_ts(const growth_bandit *b, const barm *a, grng *r)
{
    if (b->cfg.decay >= 1.0) return bsample_beta_fast(r, &a->ka, &a->kb);
    double x, y;
    posterior(b, a, &x, &y);
    reshape(b, &x, &y);
    return bsample_beta(r, x, y);
}

void bandit_refresh_k(const growth_bandit *b, barm *a);

/* reward.c: a reward value is in [0, 1] for the Beta policies, finite for linear ones. */
int bandit_check_value(const growth_bandit *b, const char *who, double v, size_t i);

/* Shared-lock helpers used by replay (ope.c) and the simulator. */
int bandit_select_locked(growth_bandit *b, const char *who, const float *ctx, size_t dim,
                         const uint64_t *elig, size_t ne, const uint8_t *mask, size_t nm, size_t k,
                         uint64_t *dec, uint64_t *arms, double *props);
int64_t bandit_now_ns(void);

#endif
