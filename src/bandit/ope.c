/* Offline policy evaluation from logged (context, action, reward, propensity) events, and
 * replay evaluation of a learning bandit. */
#define _GNU_SOURCE /* rwlock kinds, strdup */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "bandit_impl.h"

enum { OPE_REPLAY, OPE_IPS, OPE_SNIPS, OPE_DR };

typedef struct {
    char estimator[GCFG_STRING_MAX];
} ope_cfg;
static const gcfg_opt ope_opts[] = {
    {"estimator", GCFG_STRING, offsetof(ope_cfg, estimator), "", 0, 0, NULL, false},
};

/* The estimator is required, so it is a string option checked here (an enum option would need
 * a default). */
static int ope_estimator(const char *who, const char *config, int *out)
{
    ope_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse(who, ope_opts, 1, config, &cfg, sizeof cfg);
    if (rc) return rc;
    static const char *const names[] = {"replay", "ips", "snips", "dr"};
    if (!cfg.estimator[0])
        return gerr(GROWTH_EINVAL, "%s: config key 'estimator' is required (replay|ips|snips|dr)", who);
    for (int i = 0; i < 4; i++)
        if (strcmp(cfg.estimator, names[i]) == 0) {
            *out = i;
            return GROWTH_OK;
        }
    return gerr(GROWTH_EINVAL, "%s: config key 'estimator': '%s' is not one of replay|ips|snips|dr", who,
                cfg.estimator);
}

GROWTH_API int growth_bandit_ope(size_t n, size_t n_actions, const uint32_t *actions, const double *rewards,
                                 const double *propensities, const double *target, const double *q_hat,
                                 const char *config, double *out_value, double *out_stderr)
{
    static const char *who = "growth_bandit_ope";
    int estimator;
    int rc = ope_estimator(who, config, &estimator);
    if (rc) return rc;
    if (n == 0 || n_actions == 0)
        return gerr(GROWTH_EINVAL, "%s: n=%zu and n_actions=%zu must be >= 1", who, n, n_actions);
    if (n > SIZE_MAX / sizeof(double) / n_actions) /* target holds n x n_actions doubles */
        return gerr(GROWTH_EINVAL, "%s: n=%zu x n_actions=%zu is too large", who, n, n_actions);
    GROWTH_CHECK_NULL(who, actions);
    GROWTH_CHECK_NULL(who, rewards);
    GROWTH_CHECK_NULL(who, target);
    GROWTH_CHECK_NULL(who, out_value);
    if (estimator != OPE_REPLAY) GROWTH_CHECK_NULL(who, propensities);
    for (size_t i = 0; i < n; i++) {
        if (actions[i] >= n_actions)
            return gerr(GROWTH_EINVAL, "%s: actions[%zu] = %u is not below n_actions=%zu", who, i, actions[i],
                        n_actions);
        if (!gfinite(rewards[i])) return gerr(GROWTH_EINVAL, "%s: rewards[%zu] is not finite", who, i);
        if (propensities && !(propensities[i] > 0 && propensities[i] <= 1))
            return gerr(GROWTH_EINVAL, "%s: propensities[%zu] = %g is not in (0, 1]", who, i,
                        propensities[i]);
        double sum = 0;
        for (size_t a = 0; a < n_actions; a++) {
            double p = target[i * n_actions + a];
            if (!(p >= 0 && p <= 1))
                return gerr(GROWTH_EINVAL, "%s: target[%zu][%zu] = %g is not a probability", who, i, a, p);
            sum += p;
            if (q_hat && !gfinite(q_hat[i * n_actions + a]))
                return gerr(GROWTH_EINVAL, "%s: q_hat[%zu][%zu] is not finite", who, i, a);
        }
        if (fabs(sum - 1.0) > 1e-6)
            return gerr(GROWTH_EINVAL, "%s: target row %zu sums to %.9g, not 1", who, i, sum);
    }
    double value, se;
    if (estimator == OPE_REPLAY || estimator == OPE_SNIPS) {
        /* ratio estimator sum w r / sum w with delta-method standard error */
        double sw = 0, swr = 0;
        for (size_t i = 0; i < n; i++) {
            double w = target[i * n_actions + actions[i]];
            if (estimator == OPE_SNIPS) w /= propensities[i];
            sw += w;
            swr += w * rewards[i];
        }
        if (!(sw > 0))
            return gerr(GROWTH_ESTATE,
                        "%s: the target policy never takes a logged action (zero total weight)", who);
        value = swr / sw;
        double v = 0;
        for (size_t i = 0; i < n; i++) {
            double w = target[i * n_actions + actions[i]];
            if (estimator == OPE_SNIPS) w /= propensities[i];
            v += w * w * (rewards[i] - value) * (rewards[i] - value);
        }
        se = sqrt(v) / sw;
    } else {
        /* mean of per-event terms with the sample standard error */
        double mean = 0, m2 = 0;
        for (size_t i = 0; i < n; i++) {
            size_t a = actions[i];
            double w = target[i * n_actions + a] / propensities[i], t;
            if (estimator == OPE_IPS || !q_hat) {
                t = w * rewards[i];
            } else {
                double dm = 0;
                for (size_t k = 0; k < n_actions; k++)
                    dm += target[i * n_actions + k] * q_hat[i * n_actions + k];
                t = dm + w * (rewards[i] - q_hat[i * n_actions + a]);
            }
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
