/* Simulator: Bernoulli arms with drift, retiring arms, delayed and batched feedback. */
#define _GNU_SOURCE /* rwlock kinds, strdup */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bandit_impl.h"

typedef struct {
    int64_t arms;
    double rate_min, rate_max, drift;
    int64_t retire_every, delay;
    int delay_dist;
    int64_t batch, seed;
} sim_cfg;

static const gcfg_opt sim_opts[] = {
    {"arms", GCFG_INT, offsetof(sim_cfg, arms), "10", 1, 1000000, NULL, false},
    {"rate_min", GCFG_DOUBLE, offsetof(sim_cfg, rate_min), "0.01", 0, 1, NULL, false},
    {"rate_max", GCFG_DOUBLE, offsetof(sim_cfg, rate_max), "0.1", 0, 1, NULL, false},
    {"drift", GCFG_DOUBLE, offsetof(sim_cfg, drift), "0", 0, 10, NULL, false},
    {"retire_every", GCFG_INT, offsetof(sim_cfg, retire_every), "0", 0, 1e15, NULL, false},
    {"delay", GCFG_INT, offsetof(sim_cfg, delay), "1", 0, 1e9, NULL, false},
    {"delay_dist", GCFG_ENUM, offsetof(sim_cfg, delay_dist), "fixed", 0, 0, "fixed|exponential", false},
    {"batch", GCFG_INT, offsetof(sim_cfg, batch), "1", 1, 1e9, NULL, false},
    {"seed", GCFG_INT, offsetof(sim_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
};
#define SIM_NOPTS (sizeof sim_opts / sizeof sim_opts[0])

typedef struct {
    uint64_t due, decision;
    double reward;
} sim_ev;

struct growth_bandit_sim {
    sim_cfg cfg;
    grng rng; /* rewards and delays */
    grng env; /* arm rates, drift, new arms: the same path whatever the policy */
    size_t k;
    uint64_t *ids; /* active arms, oldest first */
    double *logit;
    uint64_t next_arm, step;
    const growth_bandit *attached;
    sim_ev *heap; /* pending rewards, min-heap by due step */
    size_t nh, hcap;
    uint64_t *out_dec;
    double *out_val;
    size_t nout;
};

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

static double fresh_logit(growth_bandit_sim *s)
{
    double p = s->cfg.rate_min + (s->cfg.rate_max - s->cfg.rate_min) * grng_uniform(&s->env);
    p = p < 1e-9 ? 1e-9 : (p > 1 - 1e-9 ? 1 - 1e-9 : p);
    return log(p / (1 - p));
}

GROWTH_API int growth_bandit_sim_create(growth_bandit_sim **out, const char *config)
{
    static const char *who = "growth_bandit_sim_create";
    GROWTH_CHECK_NULL(who, out);
    sim_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse("bandit_sim", sim_opts, SIM_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (cfg.rate_min > cfg.rate_max)
        return gerr(GROWTH_EINVAL, "bandit_sim: config key 'rate_min' exceeds 'rate_max'");
    growth_bandit_sim *s = calloc(1, sizeof *s);
    if (!s) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    s->cfg = cfg;
    s->k = (size_t)cfg.arms;
    s->ids = malloc(s->k * sizeof *s->ids);
    s->logit = malloc(s->k * sizeof *s->logit);
    s->hcap = 1024;
    s->heap = malloc(s->hcap * sizeof *s->heap);
    s->out_dec = malloc((size_t)(cfg.batch < 4096 ? cfg.batch : 4096) * sizeof *s->out_dec);
    s->out_val = malloc((size_t)(cfg.batch < 4096 ? cfg.batch : 4096) * sizeof *s->out_val);
    if (!s->ids || !s->logit || !s->heap || !s->out_dec || !s->out_val) {
        growth_bandit_sim_free(s);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    grng_seed(&s->env, (uint64_t)cfg.seed);
    s->rng = s->env;
    grng_jump(&s->rng);
    bsample_init();
    for (size_t i = 0; i < s->k; i++) {
        s->ids[i] = ++s->next_arm;
        s->logit[i] = fresh_logit(s);
    }
    *out = s;
    return GROWTH_OK;
}

GROWTH_API void growth_bandit_sim_free(growth_bandit_sim *s)
{
    if (!s) return;
    free(s->ids);
    free(s->logit);
    free(s->heap);
    free(s->out_dec);
    free(s->out_val);
    free(s);
}

static int heap_push(growth_bandit_sim *s, sim_ev e)
{
    if (s->nh == s->hcap) {
        sim_ev *nh = realloc(s->heap, 2 * s->hcap * sizeof *nh);
        if (!nh) return gerr(GROWTH_ENOMEM, "growth_bandit_sim_run: out of memory");
        s->heap = nh;
        s->hcap *= 2;
    }
    size_t c = s->nh++;
    s->heap[c] = e;
    while (c > 0 && s->heap[(c - 1) / 2].due > s->heap[c].due) {
        sim_ev t = s->heap[c];
        s->heap[c] = s->heap[(c - 1) / 2];
        s->heap[(c - 1) / 2] = t;
        c = (c - 1) / 2;
    }
    return GROWTH_OK;
}

static sim_ev heap_pop(growth_bandit_sim *s)
{
    sim_ev top = s->heap[0];
    s->heap[0] = s->heap[--s->nh];
    size_t c = 0;
    for (;;) {
        size_t l = 2 * c + 1, m = c;
        if (l < s->nh && s->heap[l].due < s->heap[m].due) m = l;
        if (l + 1 < s->nh && s->heap[l + 1].due < s->heap[m].due) m = l + 1;
        if (m == c) break;
        sim_ev t = s->heap[c];
        s->heap[c] = s->heap[m];
        s->heap[m] = t;
        c = m;
    }
    return top;
}

static int flush(growth_bandit_sim *s, growth_bandit *b)
{
    if (!s->nout) return GROWTH_OK;
    int rc = growth_bandit_reward_batch(b, s->out_dec, s->out_val, s->nout, NULL, NULL);
    s->nout = 0;
    return rc;
}

GROWTH_API int growth_bandit_sim_run(growth_bandit_sim *s, growth_bandit *b, uint64_t steps,
                                     double *out_regret, size_t n_points, double *out_total_reward)
{
    static const char *who = "growth_bandit_sim_run";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, b);
    if (out_regret && n_points == 0)
        return gerr(GROWTH_EINVAL, "%s: n_points must be >= 1 with out_regret", who);
    if (b->dim)
        return gerr(GROWTH_EINVAL, "%s: the simulator has no contexts; use a non-contextual policy", who);
    if (!s->attached) {
        pthread_rwlock_rdlock(&b->lock);
        size_t arms = b->n;
        pthread_rwlock_unlock(&b->lock);
        if (arms != 0) return gerr(GROWTH_ESTATE, "%s: the bandit must start without arms", who);
        if ((size_t)b->cfg.max_arms < s->k) /* checked first: a failed run adds no arm */
            return gerr(GROWTH_EINVAL, "%s: the bandit's max_arms=%lld is below the simulator's %zu arms",
                        who, (long long)b->cfg.max_arms, s->k);
        for (size_t i = 0; i < s->k; i++) {
            int rc = growth_bandit_add_arm(b, s->ids[i], 0, 0);
            if (rc) { /* a failed run leaves the bandit without arms, as it found it */
                char msg[1024];
                snprintf(msg, sizeof msg, "%s", growth_last_error());
                while (i-- > 0) growth_bandit_remove_arm(b, s->ids[i]);
                return gerr(rc, "%s", msg);
            }
        }
        s->attached = b;
    } else if (s->attached != b) {
        return gerr(GROWTH_ESTATE, "%s: the simulator is attached to another bandit", who);
    }
    size_t batch_cap = (size_t)(s->cfg.batch < 4096 ? s->cfg.batch : 4096);
    double regret = 0, total = 0;
    size_t point = 0;
    for (uint64_t t = 0; t < steps; t++) {
        uint64_t now = s->step++;
        /* deliver due rewards */
        while (s->nh && s->heap[0].due <= now) {
            sim_ev e = heap_pop(s);
            s->out_dec[s->nout] = e.decision;
            s->out_val[s->nout++] = e.reward;
            if (s->nout == batch_cap) {
                int rc = flush(s, b);
                if (rc) return rc;
            }
        }
        if (s->cfg.retire_every && now > 0 && now % (uint64_t)s->cfg.retire_every == 0) {
            int rc = growth_bandit_remove_arm(b, s->ids[0]);
            if (rc) return rc;
            memmove(s->ids, s->ids + 1, (s->k - 1) * sizeof *s->ids);
            memmove(s->logit, s->logit + 1, (s->k - 1) * sizeof *s->logit);
            s->ids[s->k - 1] = ++s->next_arm;
            s->logit[s->k - 1] = fresh_logit(s);
            if ((rc = growth_bandit_add_arm(b, s->ids[s->k - 1], 0, 0))) return rc;
        }
        if (s->cfg.drift > 0)
            for (size_t i = 0; i < s->k; i++) s->logit[i] += s->cfg.drift * bsample_normal(&s->env);
        uint64_t dec, arm;
        int rc = growth_bandit_select(b, NULL, 0, NULL, 0, &dec, &arm, NULL);
        if (rc) return rc;
        double best = -INFINITY, chosen = 0;
        for (size_t i = 0; i < s->k; i++) {
            if (s->logit[i] > best) best = s->logit[i];
            if (s->ids[i] == arm) chosen = s->logit[i];
        }
        double pc = sigm(chosen);
        regret += sigm(best) - pc;
        double r = grng_uniform(&s->rng) < pc ? 1.0 : 0.0;
        total += r;
        uint64_t delay = (uint64_t)(s->cfg.delay > 0 ? s->cfg.delay : 1);
        if (s->cfg.delay_dist == 1) {
            double u = grng_uniform(&s->rng);
            delay = (uint64_t)ceil(-(double)delay * log(u > 0 ? u : 0x1.0p-60));
            if (delay < 1) delay = 1;
        }
        if ((rc = heap_push(s, (sim_ev){now + delay, dec, r}))) return rc;
        if (out_regret)
            while (point < n_points && (t + 1) * n_points >= steps * (point + 1))
                out_regret[point++] = regret;
    }
    int rc = flush(s, b);
    if (rc) return rc;
    if (out_total_reward) *out_total_reward = total;
    return GROWTH_OK;
}

GROWTH_API int growth_bandit_sim_rates(const growth_bandit_sim *s, uint64_t *out_ids, double *out_rates,
                                       size_t cap, size_t *out_n)
{
    static const char *who = "growth_bandit_sim_rates";
    GROWTH_CHECK_NULL(who, s);
    if (out_n) *out_n = s->k;
    if (cap < s->k) return gerr(GROWTH_EBUFS, "%s: cap %zu < %zu arms", who, cap, s->k);
    for (size_t i = 0; i < s->k; i++) {
        if (out_ids) out_ids[i] = s->ids[i];
        if (out_rates) out_rates[i] = sigm(s->logit[i]);
    }
    return GROWTH_OK;
}
