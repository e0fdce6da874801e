/* Bandit handle: configuration, creation, capacity, counters. The rest of the module, one file
 * a concern: arms.c (adding, removing, replacing arms; posterior constants), select.c (policies,
 * slates, propensities), reward.c (delayed rewards, forgetting, the sliding window),
 * persist.c (save / load), ope.c (off-policy evaluation, replay), sample.c (Beta / Gamma
 * samplers), sim.c (the simulator of growth/sys/bandit.h).
 *
 * Concurrency: selects share b->lock (read side) and take one stripe (a PRNG stream plus
 * scratch) with a try-lock sweep that starts at the stripe this thread used last; a thread
 * alone always gets stripe 0, so single-threaded call sequences are reproducible. Decision ids
 * come from an atomic counter; each select writes only its own ring entries. Rewards, arm
 * changes and snapshots hold b->lock exclusively, so they see every started select finished.
 *
 * Beta evidence under forgetting is stored inflated: effective = scale * stored, with scale
 * multiplied by `decay` at every applied reward (renormalised when tiny), so forgetting costs
 * O(1) per reward whatever the number of arms. */
#define _GNU_SOURCE /* rwlock kinds */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bandit_impl.h"
#include "sync.h"

const gcfg_opt bandit_opts[] = {
    {"policy", GCFG_ENUM, offsetof(bandit_cfg, policy), "thompson", 0, 0, POLICY_CHOICES, false},
    {"dim", GCFG_INT, offsetof(bandit_cfg, dim), "0", 0, 4096, NULL, false},
    {"seed", GCFG_INT, offsetof(bandit_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
    {"stream", GCFG_INT, offsetof(bandit_cfg, stream), "0", 0, 1023, NULL, false},
    {"streams", GCFG_INT, offsetof(bandit_cfg, streams), "4", 1, 256, NULL, false},
    {"prior_alpha", GCFG_DOUBLE, offsetof(bandit_cfg, prior_alpha), "1", 0, 1e12, NULL, true},
    {"prior_beta", GCFG_DOUBLE, offsetof(bandit_cfg, prior_beta), "1", 0, 1e12, NULL, true},
    {"epsilon", GCFG_DOUBLE, offsetof(bandit_cfg, epsilon), "0.1", 0, 1, NULL, false},
    {"epsilon_decay", GCFG_DOUBLE, offsetof(bandit_cfg, epsilon_decay), "0", 0, 1e12, NULL, false},
    {"epsilon_min", GCFG_DOUBLE, offsetof(bandit_cfg, epsilon_min), "0", 0, 1, NULL, false},
    {"ucb_c", GCFG_DOUBLE, offsetof(bandit_cfg, ucb_c), "1.4142135623730951", 0, 1e6, NULL, false},
    {"klucb_c", GCFG_DOUBLE, offsetof(bandit_cfg, klucb_c), "0", 0, 100, NULL, false},
    {"lambda", GCFG_DOUBLE, offsetof(bandit_cfg, lambda), "1", 0, 1e12, NULL, true},
    {"alpha", GCFG_DOUBLE, offsetof(bandit_cfg, alpha), "1", 0, 1e6, NULL, false},
    {"v", GCFG_DOUBLE, offsetof(bandit_cfg, v), "1", 0, 1e6, NULL, false},
    {"refresh", GCFG_INT, offsetof(bandit_cfg, refresh), "256", 1, 1e9, NULL, false},
    {"ts_scale", GCFG_DOUBLE, offsetof(bandit_cfg, ts_scale), "1", 0, 1e6, NULL, true},
    {"ts_max_count", GCFG_DOUBLE, offsetof(bandit_cfg, ts_max_count), "0", 0, 1e15, NULL, false},
    {"propensity_draws", GCFG_INT, offsetof(bandit_cfg, propensity_draws), "0", 0, 1e7, NULL, false},
    {"ttl", GCFG_INT, offsetof(bandit_cfg, ttl), "100000", 1, 16777216, NULL, false},
    {"ttl_seconds", GCFG_DOUBLE, offsetof(bandit_cfg, ttl_seconds), "0", 0, 1e9, NULL, false},
    {"decay", GCFG_DOUBLE, offsetof(bandit_cfg, decay), "1", 0, 1, NULL, true},
    {"window", GCFG_INT, offsetof(bandit_cfg, window), "0", 0, 1e8, NULL, false},
    {"max_arms", GCFG_INT, offsetof(bandit_cfg, max_arms), "1000000", 1, 16777216, NULL, false},
    GCFG_MAX_MEMORY(bandit_cfg, max_memory),
    {"bits", GCFG_INT, offsetof(bandit_cfg, bits), "18", 1, 30, NULL, false},
    {"nnz", GCFG_INT, offsetof(bandit_cfg, nnz), "64", 1, 4096, NULL, false},
    {"count_bits", GCFG_INT, offsetof(bandit_cfg, count_bits), "16", 1, 26, NULL, false},
    {"prior_count", GCFG_DOUBLE, offsetof(bandit_cfg, prior_count), "20", 0, 1e12, NULL, false},
};
const size_t bandit_nopts = sizeof bandit_opts / sizeof bandit_opts[0];
#define BANDIT_NOPTS bandit_nopts

int64_t bandit_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- capacity ---------------------------------------------------------------------------- */

/* Grows arms, hash and stripe scratch to hold `need` arms. Caller holds the lock exclusively. */
int bandit_reserve(growth_bandit *b, size_t need, const char *who)
{
    if (need <= b->cap) return GROWTH_OK;
    size_t cap = b->cap ? b->cap : 16;
    while (cap < need) cap *= 2;
    if (cap > (size_t)b->cfg.max_arms) cap = (size_t)b->cfg.max_arms;
    barm *na = realloc(b->arms, cap * sizeof *na);
    if (!na) return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu arms", who, cap);
    b->arms = na;
    for (size_t s = 0; s < b->nst; s++) {
        bstripe *st = &b->st[s];
        uint32_t *idx = realloc(st->idx, cap * sizeof *idx);
        if (idx) st->idx = idx;
        uint32_t *heap = realloc(st->heap, cap * sizeof *heap);
        if (heap) st->heap = heap;
        uint32_t *mark = realloc(st->mark, cap * sizeof *mark);
        if (mark) {
            memset(mark + b->cap, 0, (cap - b->cap) * sizeof *mark);
            st->mark = mark;
        }
        double *score = realloc(st->score, cap * sizeof *score);
        if (score) st->score = score;
        double *aux = realloc(st->aux, cap * sizeof *aux);
        if (aux) st->aux = aux;
        bpair *pair = realloc(st->pair, cap * sizeof *pair);
        if (pair) st->pair = pair;
        double *sd = realloc(st->sd, cap * sizeof *sd);
        if (sd) st->sd = sd;
        if (!idx || !heap || !mark || !score || !aux || !pair || !sd)
            return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu arms", who, cap);
    }
    int rc = gidmap_reserve(who, "the arm index", &b->index, cap, NULL, NULL);
    if (rc) return rc;
    b->cap = cap;
    return GROWTH_OK;
}

/* ---- creation ---------------------------------------------------------------------------- */

int bandit_check_cfg(const bandit_cfg *c, const char *who)
{
    bool lin = c->policy == POL_LINTS || c->policy == POL_LINUCB;
    if (lin && c->dim < 1)
        return gerr(GROWTH_EINVAL, "%s: config key 'dim' must be >= 1 for policy=%s", who,
                    c->policy == POL_LINTS ? "lints" : "linucb");
    if (!lin && c->dim != 0)
        return gerr(GROWTH_EINVAL, "%s: config key 'dim' must be 0 for a non-contextual policy", who);
    if (c->streams & (c->streams - 1))
        return gerr(GROWTH_EINVAL, "%s: config key 'streams' = %lld is not a power of two", who,
                    (long long)c->streams);
    if (c->decay < 1.0 && c->window > 0)
        return gerr(GROWTH_EINVAL, "%s: config keys 'decay' and 'window' exclude each other", who);
    if (c->decay < 1.0 && lin)
        return gerr(GROWTH_EINVAL,
                    "%s: config key 'decay' is for the Beta policies; use 'window' with linear policies",
                    who);
    bool logi = c->policy >= POL_LOGTS;
    if (logi && (c->decay < 1.0 || c->window > 0))
        return gerr(GROWTH_EINVAL,
                    "%s: config keys 'decay' and 'window' are not available for policy=logistic_*", who);
    if (c->epsilon_min > c->epsilon)
        return gerr(GROWTH_EINVAL, "%s: config key 'epsilon_min' exceeds 'epsilon'", who);
    return GROWTH_OK;
}

void bandit_destroy(growth_bandit *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->arms[i].name);
        free(b->arms[i].lin);
    }
    free(b->arms);
    gidmap_free(&b->index);
    if (b->st) {
        for (size_t s = 0; s < b->nst; s++) {
            bstripe *st = &b->st[s];
            pthread_mutex_destroy(&st->mu);
            free(st->idx);
            free(st->mark);
            free(st->heap);
            free(st->score);
            free(st->aux);
            free(st->sd);
            free(st->lps);
            free(st->lpv);
            free(st->pair);
            free(st->x);
            free(st->y);
        }
        free(b->st);
    }
    gtable_free(b->ring, b->ring_bytes);
    free(b->ring_t);
    free(b->ring_ctx);
    free(b->win_arm);
    free(b->win_uid);
    free(b->win_r);
    free(b->win_ctx);
    free(b->wscratch);
    blog_free(b);
    pthread_rwlock_destroy(&b->lock);
    free(b);
}

/* Bytes a bandit of this configuration holds with `arms` arms (double: no product wraps): the
 * pending-decision ring (ttl, and dim floats a decision for the linear policies), the window,
 * the stripes, per arm its slot in every stripe's scratch and the id hash (capacity a power of
 * two), and the d x d matrices of each linear arm. Names (<= 1 KiB each) are not counted. */
double bandit_bytes(const bandit_cfg *c, double arms)
{
    const double d = (double)c->dim, nst = (double)c->streams;
    double rcap = 2;
    while (rcap <= (double)c->ttl) rcap *= 2;
    if (rcap < nst) rcap = nst;
    double cap = 16;
    while (cap < arms) cap *= 2;
    if (cap > (double)c->max_arms && arms <= (double)c->max_arms) cap = (double)c->max_arms;
    double b = (double)sizeof(growth_bandit) + nst * ((double)sizeof(bstripe) + 2 * d * 8);
    b += rcap * ((double)sizeof(bpend) + (c->ttl_seconds > 0 ? 8 : 0) + d * 4);
    b += (3 * d * d + 2 * d) * 8;
    b += (double)c->window * (8 + 8 + 8 + d * 4);
    b += cap * ((double)sizeof(barm) + nst * (3 * 4 + 3 * 8 + (double)sizeof(bpair)) + 4 * 12);
    if (c->policy == POL_LINTS || c->policy == POL_LINUCB) b += arms * (2 * d * d + 2 * d) * 8;
    if (c->policy >= POL_LOGTS) b += blog_bytes(c, rcap);
    return b;
}

int bandit_new(growth_bandit **out, const bandit_cfg *cfg, const char *who)
{
    int rc = bandit_check_cfg(cfg, who);
    if (rc) return rc;
    char what[160];
    snprintf(what, sizeof what, "%s: ttl=%lld dim=%lld window=%lld", who, (long long)cfg->ttl,
             (long long)cfg->dim, (long long)cfg->window);
    if ((rc = gmem_reserve(what, bandit_bytes(cfg, 0), (uint64_t)cfg->max_memory))) return rc;
    bsample_init();
    growth_bandit *b = calloc(1, sizeof *b);
    if (!b) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    b->cfg = *cfg;
    b->dim = (size_t)cfg->dim;
    b->scale = 1.0;
    b->next_uid = 1;
    atomic_init(&b->next_id, 1);
    grwlock_init(&b->lock);
    b->nst = (size_t)cfg->streams;
    b->st = calloc(b->nst, sizeof *b->st);
    b->rcap = 2;
    while (b->rcap <= (size_t)cfg->ttl) b->rcap *= 2;
    if (b->rcap < b->nst) b->rcap = b->nst;
    b->ring_bytes = b->rcap * sizeof(bpend);
    b->ring = gtable_alloc(b->ring_bytes);
    bool ok = b->st && b->ring;
    if (ok && cfg->ttl_seconds > 0) ok = (b->ring_t = calloc(b->rcap, sizeof *b->ring_t)) != NULL;
    if (ok && b->dim) {
        ok = (b->ring_ctx = calloc(b->rcap * b->dim, sizeof *b->ring_ctx)) != NULL &&
             (b->wscratch = calloc(3 * b->dim * b->dim + 2 * b->dim, sizeof(double))) != NULL;
    }
    if (ok && cfg->window > 0) {
        size_t w = (size_t)cfg->window;
        ok = (b->win_arm = calloc(w, sizeof *b->win_arm)) && (b->win_uid = calloc(w, sizeof *b->win_uid)) &&
             (b->win_r = calloc(w, sizeof *b->win_r)) &&
             (!b->dim || (b->win_ctx = calloc(w * b->dim, sizeof *b->win_ctx)));
    }
    if (ok) {
        grng r;
        grng_seed(&r, (uint64_t)cfg->seed);
        for (int64_t j = 0; j < cfg->stream * cfg->streams; j++) grng_jump(&r);
        for (size_t s = 0; s < b->nst && ok; s++) {
            pthread_mutex_init(&b->st[s].mu, NULL);
            b->st[s].rng = r;
            grng_jump(&r);
            if (b->dim)
                ok = (b->st[s].x = calloc(b->dim, sizeof(double))) &&
                     (b->st[s].y = calloc(b->dim, sizeof(double)));
        }
    } else if (b->st) {
        for (size_t s = 0; s < b->nst; s++) pthread_mutex_init(&b->st[s].mu, NULL);
    }
    if (ok) ok = bandit_reserve(b, 16, who) == GROWTH_OK;
    if (ok && is_logistic(b)) ok = blog_alloc(b) == GROWTH_OK;
    if (!ok) {
        bandit_destroy(b);
        return gerr(GROWTH_ENOMEM, "%s: out of memory (ttl=%lld, dim=%lld)", who, (long long)cfg->ttl,
                    (long long)cfg->dim);
    }
    *out = b;
    return GROWTH_OK;
}

GROWTH_API int growth_bandit_create(growth_bandit **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_bandit_create", out);
    bandit_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse("bandit", bandit_opts, BANDIT_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    return bandit_new(out, &cfg, "bandit");
}

GROWTH_API void growth_bandit_free(growth_bandit *b) { bandit_destroy(b); }

GROWTH_API int growth_bandit_config(const growth_bandit *b, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_bandit_config", b);
    return gcfg_format(bandit_opts, BANDIT_NOPTS, &b->cfg, buf, cap, out_n);
}

GROWTH_API int growth_bandit_stats_get(const growth_bandit *bc, growth_bandit_stats *out)
{
    static const char *who = "growth_bandit_stats_get";
    GROWTH_CHECK_NULL(who, bc);
    GROWTH_CHECK_NULL(who, out);
    growth_bandit_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    growth_bandit *b = (growth_bandit *)bc;
    pthread_rwlock_wrlock(&b->lock);
    uint64_t next = atomic_load_explicit(&b->next_id, memory_order_relaxed);
    uint64_t lo = next > (uint64_t)b->cfg.ttl ? next - (uint64_t)b->cfg.ttl : 1, pending = 0;
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    for (uint64_t id = lo; id < next; id++) {
        size_t slot = (size_t)id & (b->rcap - 1);
        if ((b->ring[slot].uid_state & 3) != PEND_PENDING) continue;
        if (b->ring_t && (double)(now - b->ring_t[slot]) > b->cfg.ttl_seconds * 1e9) continue;
        pending++;
    }
    st.decisions = next - 1;
    st.applied = b->cnt[CNT_APPLIED];
    st.unknown = b->cnt[CNT_UNKNOWN];
    st.expired = b->cnt[CNT_EXPIRED];
    st.duplicate = b->cnt[CNT_DUPLICATE];
    st.retired = b->cnt[CNT_RETIRED];
    st.pending = pending;
    st.arms = b->n;
    pthread_rwlock_unlock(&b->lock);
    return gstruct_out(who, "out", out, &st, sizeof st, sizeof st);
}
