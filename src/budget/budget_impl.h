/* Private helpers of the budget module: a tiny parallel-for over user shards, the compensated
 * sum, the dense simplex, and the MCKP solver's types shared by its files. */
#ifndef GROWTH_BUDGET_IMPL_H
#define GROWTH_BUDGET_IMPL_H

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "growth/budget.h"
/* this module also implements the unstable interfaces of growth/sys/budget.h */
#ifndef GROWTH_SYS_UNSTABLE
#define GROWTH_SYS_UNSTABLE
#endif
#include "growth/sys/budget.h"

/* Runs fn(task_t) for t = 0 .. n-1, tasks laid out every `stride` bytes from `tasks`; mckp_task 0
 * runs on the calling thread. Returns GROWTH_ENOMEM if a thread cannot be started (the work
 * is then done on the calling thread, so the result is still complete). */
int gpar_run(int n, void (*fn)(void *), void *tasks, size_t stride);

/* First user of shard t of n over CSR offsets, balancing options (+ one per user). */
size_t gpar_split(const uint64_t *indptr, size_t n_users, int t, int n);

/* Neumaier compensated sum. */
typedef struct {
    double s, c;
} gksum;
static inline void gk_add(gksum *k, double x)
{
    double t = k->s + x;
    if ((k->s >= 0 ? k->s : -k->s) >= (x >= 0 ? x : -x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}
static inline double gk_val(const gksum *k) { return k->s + k->c; }

/* Dense tableau simplex (simplex.c): max c.x s.t. A x <= b (A row-major m x n), x >= 0, b >= 0.
 * Writes the primal x (n), the row duals y (m) and the objective; returns a GSIMPLEX_ status. */
enum { GSIMPLEX_OK = 0, GSIMPLEX_LIMIT = 1, GSIMPLEX_UNBOUNDED = 2, GSIMPLEX_NOMEM = -1 };
int gsimplex_solve(size_t m, size_t n, const double *A, const double *b, const double *c, size_t max_pivots,
                   double *x, double *y, double *obj);

/* ---- MCKP (mckp.c, mckp_hull.c, mckp_polish.c, mckp_shard.c) -------------------------------- */

typedef struct {
    int64_t threads, max_iter;
    double tol;
    bool fill;
    int64_t max_memory; /* bytes one solve's working memory may take, 0 = no cap */
} mckp_cfg;

#define MAX_BUDGETS  64
#define DBL_MAX_SAFE DBL_MAX

typedef struct {
    const uint64_t *indptr;
    size_t n, K;
    const double *v, *c;
    size_t maxm; /* most options of one user */
} mckp_prob;

/* A hull segment kept for the final selection / greedy fill. */
typedef struct {
    double slope, db, da;
    uint64_t user;
    int32_t from, to;
} mckp_seg;

/* What a handle remembers between the requests of one coordinated solve (mckp_shard.c): the
 * shard data it validated, and the hull segments of a line search's level-0 bucket. Both are
 * tagged with the solve's nonce and the data pointers; a mismatch recomputes. */
typedef struct {
    uint64_t nonce;
    const void *ip, *v, *c;
    size_t n, K, maxm;
    bool ok;
} mckp_shard_valid;
typedef struct {
    uint64_t nonce, prefix;
    size_t k, K;
    const void *ip, *v, *c;
    size_t n;
    double lambda[MAX_BUDGETS];
    mckp_seg *segs;
    size_t nseg;
    bool ok;
} mckp_shard_cache;

struct growth_mckp {
    mckp_cfg cfg;
    growth_progress_fn progress;
    void *progress_data;
    atomic_int cancel;
    bool have;
    growth_mckp_result res;
    size_t k;
    double lambda[MAX_BUDGETS], spend[MAX_BUDGETS];
    mckp_shard_valid sv;
    mckp_shard_cache sc;
};

/* Histogram levels over the 64 bits of a positive slope. */
static const int lv_shift[4] = {48, 32, 16, 0};
static const int lv_bits[4] = {16, 16, 16, 16};
#define COLLECT_LIMIT ((uint64_t)1 << 21)

enum { P_HIST, P_COLLECT, P_EVAL, P_ASSIGN };

typedef struct {
    const mckp_prob *p;
    atomic_int *cancel;
    size_t lo, hi;
    int mode;
    /* line search */
    size_t k;
    const double *lambda; /* K prices (eval: np * K) */
    int level;
    uint64_t prefix; /* key >> (shift+bits) of the bucket being refined (or key>>shift to collect) */
    double *hist;
    uint64_t *cnt;
    double total_db;
    mckp_seg *segs;
    size_t nseg, capseg;
    /* eval / assign */
    size_t np;
    double *acc; /* np * (K + 2): spend..., value, dual */
    gksum ks[MAX_BUDGETS + 2];
    int32_t *choice;
    uint64_t chosen, ties;
    /* scratch */
    double *sa, *sb;
    int32_t *si, *hv;
    int failed;
} mckp_task;

/* The passes over user shards (mckp.c). */
typedef struct {
    growth_mckp *s;
    const mckp_prob *p;
    int nt;
    mckp_task *tasks;
} mckp_runner;

/* mckp.c: the driver */
void mckp_runner_free(mckp_runner *r);
int mckp_runner_init(mckp_runner *r, growth_mckp *s, const mckp_prob *p, size_t np);
/* Runs fn on every mckp_task of r (the threads of the solver); ECANCELED, ENOMEM of a mckp_task. */
int mckp_run_pass(mckp_runner *r, void (*fn)(void *));
/* The plan at prices lambda (ties to the cheapest), its spend, value and dual. */
int mckp_assign(mckp_runner *r, const double *lambda, int32_t *choice, double *spend, double *value,
                double *dual, uint64_t *chosen, uint64_t *ties);
/* The CSR problem and the prices of every public MCKP call, checked. */
int mckp_validate(const char *who, const uint64_t *indptr, size_t n, const double *v, const double *c,
                  size_t K, mckp_prob *p);
int mckp_validate_prices(const char *who, const double *lambda, size_t count);

/* mckp_hull.c: the shard workers (run by mckp_run_pass; arg is a mckp_task) */
void mckp_line_worker(void *arg);
void mckp_eval_worker(void *arg);

/* mckp.c: fill()'s second phase (each user in order takes its most valuable upgrade that fits
 * what is left), shared by the single-machine solve and the shard protocol */
void mckp_fill_phase2(const mckp_prob *p, int32_t *choice, double *left, double *value, uint64_t *chosen);
/* repair()'s order: the score of dropping a user whose chosen option is o (least first); false
 * when the option costs nothing in an over-spent budget (never dropped). */
static inline bool mckp_drop_score(const mckp_prob *p, uint64_t o, const double *lambda, const bool *over,
                                   const double *budgets, double *score)
{
    size_t K = p->K;
    const double *c = p->c + o * K;
    double share = 0, r = p->v[o];
    for (size_t l = 0; l < K; l++) {
        r -= lambda[l] * c[l];
        if (over[l] && c[l] > 0) share += budgets[l] > 0 ? c[l] / budgets[l] : INFINITY;
    }
    if (share == 0) return false;
    *score = isinf(share) ? -INFINITY : r / share;
    return true;
}

/* ---- the coordinated protocol (mckp_coord.c, growth_mckp_shard_step in mckp_shard.c) ------ */
/* A request is doubles: a header, a body by kind, then n_edit (local user, choice) pairs that the
 * shard applies to its plan first (MQ_PASSIGN: after its scan). A reply: a header, a body. */
enum { MQ_VER = 1 };
enum {
    MQ_HIST = 1,
    MQ_SEG,
    MQ_EVAL,
    MQ_ASSIGN,
    MQ_SCAN,
    MQ_PASSIGN,
    MQ_REPAIR,
    MQ_FILL1,
    MQ_FILL2,
    MQ_APPLY,
    MQ_KINDS
};
enum { RQ_VER, RQ_KIND, RQ_ROUND, RQ_K, RQ_CAP, RQ_NONCE, RQ_NEDIT, RQ_BODY };
enum { RP_VER, RP_KIND, RP_ROUND, RP_K, RP_NUSERS, RP_NOPTS, RP_BODY };
#define MQ_PACK    68719476736.0 /* 2^36: a histogram bucket and its count share one double */
#define MQ_SUBBITS 8             /* bits of a refinement histogram */
#define MQ_SHIP    1024          /* segments of a bucket shipped to the coordinator at most */
/* The body length of a request of `kind` (without edits), or 0 for an unknown kind. */
static inline size_t mq_body_len(int kind, size_t K)
{
    switch (kind) {
    case MQ_HIST: return 1 + K;
    case MQ_SEG: return 1 + K + 5;
    case MQ_EVAL: return K;
    case MQ_ASSIGN: return K;
    case MQ_SCAN: return K + 3;
    case MQ_PASSIGN: return 2 * K + 1;
    case MQ_REPAIR: return 3 * K + 4;
    case MQ_FILL1: return 1 + K + 9;
    case MQ_FILL2: return K + 2;
    case MQ_APPLY: return 0;
    default: return 0;
    }
}

/* mckp_polish.c: the exact LP polish */
/* Fixes the stable users (choice[i], totals in fixed[0..K-1] spend and fixed[K] value) and
 * lists the undecided ones (choice -1): the first `cap` in und[], all counted in *n_und, their
 * options in *n_opt. */
int mckp_polish_scan(const mckp_prob *p, const double *center, double delta, int32_t *choice, uint64_t *und,
                     size_t cap, size_t *n_und, size_t *n_opt, double *fixed);
/* The restricted LP over the undecided users `sub` (their own CSR) with elastic budget
 * columns. Writes x (one entry per option of sub), the duals lambda (K) and the LP value of
 * the whole problem (restricted + fixed[K]); *exact = no elastic column used. Returns
 * GROWTH_ESTATE if the simplex does not finish. */
int mckp_restricted_lp(const mckp_prob *sub, const double *budgets, const double *fixed, const double *center,
                       double delta, double *x_out, double *lambda, double *lp_value, bool *exact);
/* Rounds the restricted LP's users down: the option with x = 1, else none. Returns how many
 * were split between options. */
uint32_t mckp_round_down(const uint64_t *indptr, size_t nA, const double *x, int32_t *pick);
typedef struct {
    double lambda[MAX_BUDGETS];
    double lp_value;
    uint32_t fractional;
} polish_out;
/* The trust-region polish from lambda0 to the LP optimum (see mckp_polish.c). */
int mckp_lp_polish(const mckp_prob *p, const double *lambda0, const double *budgets, int32_t *choice,
                   polish_out *po, bool *ok);

#endif
