/* Offline policy evaluation from logged (context, action, reward, propensity) events, and
 * replay evaluation of a learning bandit.
 *
 * The estimators follow Open Bandit Pipeline's definitions (Saito et al., "Open Bandit Dataset
 * and Pipeline", NeurIPS 2021 Datasets and Benchmarks; obp.ope.estimators): each is the mean
 * (or, for the self-normalised ones, the weighted mean) of per-event "round rewards", and the
 * bootstrap interval is OBP's estimate_confidence_interval_by_bootstrap (percentile interval of
 * resampled estimates), seeded. */
#define _GNU_SOURCE /* rwlock kinds, strdup */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bandit_impl.h"

enum { OPE_REPLAY, OPE_IPS, OPE_SNIPS, OPE_DR, OPE_DM, OPE_SWITCH_DR, OPE_DROS, OPE_N };
static const char *const ope_names[OPE_N] = {"replay", "ips", "snips", "dr", "dm", "switch_dr", "dros"};
#define OPE_LIST "replay|ips|snips|dr|dm|switch_dr|dros"

typedef struct {
    char estimator[GCFG_STRING_MAX];
    double lambda;
    int64_t resamples;
    double confidence;
    int64_t seed;
} ope_cfg;
/* growth_bandit_ope takes the first two keys, growth_bandit_ope_interval all five. */
static const gcfg_opt ope_opts[] = {
    {"estimator", GCFG_STRING, offsetof(ope_cfg, estimator), "", 0, 0, NULL, false},
    {"lambda", GCFG_DOUBLE, offsetof(ope_cfg, lambda), "1.7976931348623157e308", 0, DBL_MAX, NULL, false},
    {"resamples", GCFG_INT, offsetof(ope_cfg, resamples), "1000", 1, 10000000, NULL, false},
    {"confidence", GCFG_DOUBLE, offsetof(ope_cfg, confidence), "0.95", 0, 1, NULL, true},
    {"seed", GCFG_INT, offsetof(ope_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
};

/* The estimator is required, so it is a string option checked here (an enum option would need
 * a default). */
static int ope_config(const char *who, const char *config, size_t nopts, ope_cfg *cfg, int *out)
{
    memset(cfg, 0, sizeof *cfg);
    int rc = gcfg_parse(who, ope_opts, nopts, config, cfg, sizeof *cfg);
    if (rc) return rc;
    if (!cfg->estimator[0])
        return gerr(GROWTH_EINVAL, "%s: config key 'estimator' is required (" OPE_LIST ")", who);
    int e = -1;
    for (int i = 0; i < OPE_N; i++)
        if (strcmp(cfg->estimator, ope_names[i]) == 0) e = i;
    if (e < 0)
        return gerr(GROWTH_EINVAL, "%s: config key 'estimator': '%s' is not one of " OPE_LIST, who,
                    cfg->estimator);
    if ((e == OPE_REPLAY || e == OPE_DM) && cfg->lambda != DBL_MAX)
        return gerr(GROWTH_EINVAL, "%s: config key 'lambda' does not apply to estimator=%s", who,
                    ope_names[e]);
    if (nopts > 3 && !(cfg->confidence < 1))
        return gerr(GROWTH_EINVAL, "%s: config key 'confidence' = %g is not below 1", who, cfg->confidence);
    *out = e;
    return GROWTH_OK;
}

typedef struct {
    size_t n, k;
    const uint32_t *actions;
    const double *rewards, *propensities, *target, *q_hat;
} ope_data;

static int ope_check(const char *who, int est, const ope_data *d, double *out_value)
{
    size_t n = d->n, n_actions = d->k;
    if (n == 0 || n_actions == 0)
        return gerr(GROWTH_EINVAL, "%s: n=%zu and n_actions=%zu must be >= 1", who, n, n_actions);
    if (n > SIZE_MAX / sizeof(double) / n_actions) /* target holds n x n_actions doubles */
        return gerr(GROWTH_EINVAL, "%s: n=%zu x n_actions=%zu is too large", who, n, n_actions);
    const uint32_t *actions = d->actions;
    const double *rewards = d->rewards, *target = d->target, *propensities = d->propensities;
    GROWTH_CHECK_NULL(who, actions);
    GROWTH_CHECK_NULL(who, rewards);
    GROWTH_CHECK_NULL(who, target);
    GROWTH_CHECK_NULL(who, out_value);
    if (est != OPE_REPLAY && est != OPE_DM) GROWTH_CHECK_NULL(who, propensities);
    if (est == OPE_DM && !d->q_hat)
        return gerr(GROWTH_EINVAL, "%s: estimator=dm needs q_hat (the reward model's predictions)", who);
    for (size_t i = 0; i < n; i++) {
        if (d->actions[i] >= n_actions)
            return gerr(GROWTH_EINVAL, "%s: actions[%zu] = %u is not below n_actions=%zu", who, i,
                        d->actions[i], n_actions);
        if (!gfinite(d->rewards[i])) return gerr(GROWTH_EINVAL, "%s: rewards[%zu] is not finite", who, i);
        if (d->propensities && !(d->propensities[i] > 0 && d->propensities[i] <= 1))
            return gerr(GROWTH_EINVAL, "%s: propensities[%zu] = %g is not in (0, 1]", who, i,
                        d->propensities[i]);
        double sum = 0;
        for (size_t a = 0; a < n_actions; a++) {
            double p = d->target[i * n_actions + a];
            if (!(p >= 0 && p <= 1))
                return gerr(GROWTH_EINVAL, "%s: target[%zu][%zu] = %g is not a probability", who, i, a, p);
            sum += p;
            if (d->q_hat && !gfinite(d->q_hat[i * n_actions + a]))
                return gerr(GROWTH_EINVAL, "%s: q_hat[%zu][%zu] is not finite", who, i, a);
        }
        if (fabs(sum - 1.0) > 1e-6)
            return gerr(GROWTH_EINVAL, "%s: target row %zu sums to %.9g, not 1", who, i, sum);
    }
    return GROWTH_OK;
}

static bool ope_ratio(int est) { return est == OPE_REPLAY || est == OPE_SNIPS; }

/* Event i's round reward t and weight w: the estimate is sum t / sum w over the events (w = 1
 * for the mean estimators). With w_i = pi(a_i|x_i) / p_i, q_pi = sum_a pi(a|x_i) q(x_i, a) and
 * q_a = q(x_i, a_i):
 *   replay     t = pi(a_i|x_i) r_i,                    w = pi(a_i|x_i)
 *   ips        t = min(w_i, lambda) r_i
 *   snips      t = min(w_i, lambda) r_i,               w = min(w_i, lambda)
 *   dm         t = q_pi
 *   dr         t = q_pi + min(w_i, lambda) (r_i - q_a)
 *   switch_dr  t = q_pi + 1{w_i <= lambda} w_i (r_i - q_a)
 *   dros       t = q_pi + lambda w_i / (w_i^2 + lambda) (r_i - q_a)   (lambda = DBL_MAX: w_i) */
static void ope_term(const ope_data *d, int est, double lambda, size_t i, double *t, double *w)
{
    const double *pi = d->target + i * d->k;
    size_t a = d->actions[i];
    double r = d->rewards[i];
    *w = 1;
    if (est == OPE_REPLAY) {
        *w = pi[a];
        *t = pi[a] * r;
        return;
    }
    double iw = est == OPE_DM ? 0 : pi[a] / d->propensities[i];
    if (est == OPE_IPS || est == OPE_SNIPS) {
        double c = fmin(iw, lambda);
        *t = c * r;
        if (est == OPE_SNIPS) *w = c;
        return;
    }
    double qpi = 0, qa = 0;
    if (d->q_hat) {
        const double *q = d->q_hat + i * d->k;
        for (size_t k = 0; k < d->k; k++) qpi += pi[k] * q[k];
        qa = q[a];
    }
    double c;
    switch (est) {
    case OPE_DM: c = 0; break;
    case OPE_DR: c = fmin(iw, lambda); break;
    case OPE_SWITCH_DR: c = iw <= lambda ? iw : 0; break;
    default: /* OPE_DROS */
        if (lambda == 0)
            c = 0;
        else if (lambda == DBL_MAX)
            c = iw;
        else
            c = iw / (iw * (iw / lambda) + 1); /* = lambda w / (w^2 + lambda) without overflow */
        break;
    }
    *t = qpi + c * (r - qa);
}

GROWTH_API int growth_bandit_ope(size_t n, size_t n_actions, const uint32_t *actions, const double *rewards,
                                 const double *propensities, const double *target, const double *q_hat,
                                 const char *config, double *out_value, double *out_stderr)
{
    static const char *who = "growth_bandit_ope";
    int est;
    ope_cfg cfg;
    int rc = ope_config(who, config, 2, &cfg, &est);
    if (rc) return rc;
    ope_data d = {n, n_actions, actions, rewards, propensities, target, q_hat};
    if ((rc = ope_check(who, est, &d, out_value))) return rc;
    double value, se;
    if (ope_ratio(est)) {
        /* ratio estimator sum t / sum w with delta-method standard error */
        double sw = 0, st = 0, t, w;
        for (size_t i = 0; i < n; i++) {
            ope_term(&d, est, cfg.lambda, i, &t, &w);
            sw += w;
            st += t;
        }
        if (!(sw > 0))
            return gerr(GROWTH_ESTATE,
                        "%s: the target policy never takes a logged action (zero total weight)", who);
        value = st / sw;
        double v = 0;
        for (size_t i = 0; i < n; i++) {
            ope_term(&d, est, cfg.lambda, i, &t, &w);
            v += (t - w * value) * (t - w * value);
        }
        se = sqrt(v) / sw;
    } else {
        /* mean of per-event terms with the sample standard error */
        double mean = 0, m2 = 0, t, w;
        for (size_t i = 0; i < n; i++) {
            ope_term(&d, est, cfg.lambda, i, &t, &w);
            double delta = t - mean; /* Welford */
            mean += delta / (double)(i + 1);
            m2 += delta * (t - mean);
        }
        value = mean;
        se = n > 1 ? sqrt(m2 / (double)(n - 1) / (double)n) : NAN;
    }
    *out_value = value;
    if (out_stderr) *out_stderr = se;
    return GROWTH_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* NumPy's default (linear) percentile of sorted s[0..m-1] at quantile q. */
static double percentile_linear(const double *s, size_t m, double q)
{
    double h = (double)(m - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= m) return s[m - 1];
    double f = h - (double)lo;
    return s[lo] + f * (s[lo + 1] - s[lo]);
}

GROWTH_API int growth_bandit_ope_interval(size_t n, size_t n_actions, const uint32_t *actions,
                                          const double *rewards, const double *propensities,
                                          const double *target, const double *q_hat, const char *config,
                                          double *out_value, double *out_lower, double *out_upper)
{
    static const char *who = "growth_bandit_ope_interval";
    int est;
    ope_cfg cfg;
    int rc = ope_config(who, config, sizeof ope_opts / sizeof *ope_opts, &cfg, &est);
    if (rc) return rc;
    ope_data d = {n, n_actions, actions, rewards, propensities, target, q_hat};
    if ((rc = ope_check(who, est, &d, out_value))) return rc;
    GROWTH_CHECK_NULL(who, out_lower);
    GROWTH_CHECK_NULL(who, out_upper);
    size_t B = (size_t)cfg.resamples;
    if (n > SIZE_MAX / 2 / sizeof(double)) return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    double *tw = malloc(2 * n * sizeof *tw), *est_b = malloc(B * sizeof *est_b);
    if (!tw || !est_b) {
        free(tw);
        free(est_b);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu events and %zu resamples", who, n, B);
    }
    double st = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        ope_term(&d, est, cfg.lambda, i, &tw[2 * i], &tw[2 * i + 1]);
        st += tw[2 * i];
        sw += tw[2 * i + 1];
    }
    if (!(sw > 0)) {
        free(tw);
        free(est_b);
        return gerr(GROWTH_ESTATE, "%s: the target policy never takes a logged action (zero total weight)",
                    who);
    }
    /* Resample b draws n event indices uniformly with replacement (grng_below on one xoshiro256**
     * stream seeded with `seed`, resample after resample); a resample whose total weight is 0
     * (ratio estimators only) has no estimate and is left out of the percentiles. */
    grng r;
    grng_seed(&r, (uint64_t)cfg.seed);
    size_t m = 0;
    for (size_t b = 0; b < B; b++) {
        double bt = 0, bw = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t)grng_below(&r, n);
            bt += tw[2 * j];
            bw += tw[2 * j + 1];
        }
        if (bw > 0) est_b[m++] = bt / bw;
    }
    if (m == 0) {
        free(tw);
        free(est_b);
        return gerr(GROWTH_ESTATE, "%s: no resample gives the logged actions positive target weight", who);
    }
    qsort(est_b, m, sizeof *est_b, cmp_double);
    double q = (1 - cfg.confidence) / 2;
    *out_value = st / sw;
    *out_lower = percentile_linear(est_b, m, q);
    *out_upper = percentile_linear(est_b, m, 1 - q);
    free(tw);
    free(est_b);
    return GROWTH_OK;
}

GROWTH_API int growth_bandit_replay(growth_bandit *b, const float *contexts, size_t dim, const uint64_t *arms,
                                    const double *rewards, size_t n, const uint64_t *eligible,
                                    size_t n_eligible, double *out_value, size_t *out_matched)
{
    static const char *who = "growth_bandit_replay";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_value);
    if (n > 0) {
        GROWTH_CHECK_NULL(who, arms);
        GROWTH_CHECK_NULL(who, rewards);
    }
    if (dim != b->dim)
        return gerr(GROWTH_EINVAL, "%s: context width %zu, the bandit expects dim=%zu", who, dim, b->dim);
    if (b->dim && n > 0) GROWTH_CHECK_NULL(who, contexts);
    if (!b->dim && contexts) return gerr(GROWTH_EINVAL, "%s: this policy takes no context (pass NULL)", who);
    if (b->dim && !gall_finite_f32(contexts, n * dim))
        return gerr(GROWTH_EINVAL, "%s: contexts hold NaN or Inf", who);
    bool lin = b->cfg.policy == POL_LINTS || b->cfg.policy == POL_LINUCB;
    for (size_t i = 0; i < n; i++)
        if (!gfinite(rewards[i]) || (!lin && !(rewards[i] >= 0 && rewards[i] <= 1)))
            return gerr(GROWTH_EINVAL, "%s: rewards[%zu] = %g is not finite%s", who, i, rewards[i],
                        lin ? "" : " in [0, 1]");
    size_t matched = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t dec, arm;
        int rc = growth_bandit_select(b, contexts ? contexts + i * dim : NULL, dim, eligible, n_eligible,
                                      &dec, &arm, NULL);
        if (rc) return rc;
        if (arm != arms[i]) continue;
        if ((rc = growth_bandit_reward(b, dec, rewards[i]))) return rc;
        matched++;
        sum += rewards[i];
    }
    *out_value = matched ? sum / (double)matched : NAN;
    if (out_matched) *out_matched = matched;
    return GROWTH_OK;
}
