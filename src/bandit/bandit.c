/* Bandit handle: arms, policies, select, delayed rewards, forgetting, persistence.
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
#define _GNU_SOURCE /* rwlock kinds, strdup */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bandit.pb-c.h"
#include "bandit_impl.h"
#include "sync.h"

static const gcfg_opt bandit_opts[] = {
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
};
#define BANDIT_NOPTS (sizeof bandit_opts / sizeof bandit_opts[0])
#define NAME_MAX_LEN 1024
#define SCALE_FLOOR 1e-100

static inline bool is_linear(const growth_bandit *b)
{
    return b->cfg.policy == POL_LINTS || b->cfg.policy == POL_LINUCB;
}

int64_t bandit_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- capacity ---------------------------------------------------------------------------- */

/* Grows arms, hash and stripe scratch to hold `need` arms. Caller holds the lock exclusively. */
static int reserve(growth_bandit *b, size_t need, const char *who)
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
        if (mark) { memset(mark + b->cap, 0, (cap - b->cap) * sizeof *mark); st->mark = mark; }
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

static int check_cfg(const bandit_cfg *c, const char *who)
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
        return gerr(GROWTH_EINVAL, "%s: config key 'decay' is for the Beta policies; use 'window' with linear policies", who);
    if (c->epsilon_min > c->epsilon)
        return gerr(GROWTH_EINVAL, "%s: config key 'epsilon_min' exceeds 'epsilon'", who);
    return GROWTH_OK;
}

static void bandit_destroy(growth_bandit *b)
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
            free(st->idx); free(st->mark); free(st->heap);
            free(st->score); free(st->aux); free(st->sd); free(st->pair); free(st->x); free(st->y);
        }
        free(b->st);
    }
    gtable_free(b->ring, b->ring_bytes);
    free(b->ring_t);
    free(b->ring_ctx);
    free(b->win_arm); free(b->win_uid); free(b->win_r); free(b->win_ctx);
    free(b->wscratch);
    pthread_rwlock_destroy(&b->lock);
    free(b);
}

static int bandit_new(growth_bandit **out, const bandit_cfg *cfg, const char *who)
{
    int rc = check_cfg(cfg, who);
    if (rc) return rc;
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
            if (b->dim) ok = (b->st[s].x = calloc(b->dim, sizeof(double))) && (b->st[s].y = calloc(b->dim, sizeof(double)));
        }
    } else if (b->st) {
        for (size_t s = 0; s < b->nst; s++) pthread_mutex_init(&b->st[s].mu, NULL);
    }
    if (ok) ok = reserve(b, 16, who) == GROWTH_OK;
    if (!ok) {
        bandit_destroy(b);
        return gerr(GROWTH_ENOMEM, "%s: out of memory (ttl=%lld, dim=%lld)", who,
                    (long long)cfg->ttl, (long long)cfg->dim);
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

/* ---- per-arm posterior ------------------------------------------------------------------- */

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

static void refresh_k(const growth_bandit *b, barm *a)
{
    double x, y;
    posterior(b, a, &x, &y);
    reshape(b, &x, &y);
    bgamma_prep(x, &a->ka);
    bgamma_prep(y, &a->kb);
}

static inline double draw_ts(const growth_bandit *b, const barm *a, grng *r)
{
    if (b->cfg.decay >= 1.0) return bsample_beta_fast(r, &a->ka, &a->kb);
    double x, y;
    posterior(b, a, &x, &y);
    reshape(b, &x, &y);
    return bsample_beta(r, x, y);
}

static int check_prior(const growth_bandit *b, const char *who, double rate, double strength)
{
    if (!(gfinite(strength) && strength >= 0))
        return gerr(GROWTH_EINVAL, "%s: prior_strength %g is not finite and >= 0", who, strength);
    if (strength > 0 && is_linear(b))
        return gerr(GROWTH_EINVAL, "%s: priors from a rate are for the Beta policies, not linear ones (prior_strength must be 0)", who);
    if (strength > 0 && !(rate > 0 && rate < 1))
        return gerr(GROWTH_EINVAL, "%s: prior_rate %g is not in (0, 1)", who, rate);
    return GROWTH_OK;
}

/* Fills a fresh arm at index i (caller reserved space and holds the lock). */
static int init_arm(growth_bandit *b, barm *a, uint64_t id, char *name, double rate,
                    double strength, const char *who)
{
    memset(a, 0, sizeof *a);
    a->id = id;
    a->uid = b->next_uid;
    a->name = name;
    a->ps = strength;
    a->pa = strength > 0 ? rate * strength : b->cfg.prior_alpha;
    a->pb = strength > 0 ? (1.0 - rate) * strength : b->cfg.prior_beta;
    if (is_linear(b)) {
        size_t d = b->dim;
        a->lin = calloc(2 * d * d + 2 * d, sizeof(double));
        if (!a->lin) return gerr(GROWTH_ENOMEM, "%s: out of memory for a %zu x %zu arm", who, d, d);
        for (size_t i = 0; i < d; i++) {
            a->lin[i * d + i] = b->cfg.lambda;
            a->lin[d * d + i * d + i] = 1.0 / b->cfg.lambda;
        }
    }
    refresh_k(b, a);
    return GROWTH_OK;
}

static int add_arm(growth_bandit *b, const char *who, uint64_t id, const char *name, double rate,
                   double strength)
{
    int rc = check_prior(b, who, rate, strength);
    if (rc) return rc;
    char *nm = NULL;
    if (name) {
        size_t len = strlen(name);
        if (len == 0 || len > NAME_MAX_LEN)
            return gerr(GROWTH_EINVAL, "%s: arm name is empty or longer than %d bytes", who, NAME_MAX_LEN);
    }
    pthread_rwlock_wrlock(&b->lock);
    if (gidmap_get(&b->index, id) != UINT32_MAX) {
        rc = gerr(GROWTH_EINVAL, "%s: arm %llu already exists", who, (unsigned long long)id);
        goto out;
    }
    if (b->n >= (size_t)b->cfg.max_arms) {
        rc = gerr(GROWTH_ENOMEM, "%s: max_arms=%lld reached", who, (long long)b->cfg.max_arms);
        goto out;
    }
    if ((rc = reserve(b, b->n + 1, who))) goto out;
    if (name && !(nm = strdup(name))) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto out; }
    if ((rc = init_arm(b, &b->arms[b->n], id, nm, rate, strength, who))) { free(nm); goto out; }
    b->next_uid++;
    b->total_ps += strength;
    gidmap_put(&b->index, id, (uint32_t)b->n);
    b->n++;
out:
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_add_arm(growth_bandit *b, uint64_t id, double prior_rate,
                                     double prior_strength)
{
    static const char *who = "growth_bandit_add_arm";
    GROWTH_CHECK_NULL(who, b);
    if (id >> 63)
        return gerr(GROWTH_EINVAL, "%s: arm id %llu is not below 2^63 (named arms use growth_bandit_add_arm_named)",
                    who, (unsigned long long)id);
    return add_arm(b, who, id, NULL, prior_rate, prior_strength);
}

GROWTH_API uint64_t growth_bandit_name_id(const char *name)
{
    if (!name) return 0;
    return growth_hash64(name, strlen(name), 0x62616e646974ULL) | (UINT64_C(1) << 63);
}

GROWTH_API int growth_bandit_add_arm_named(growth_bandit *b, const char *name, double prior_rate,
                                           double prior_strength, uint64_t *out_id)
{
    static const char *who = "growth_bandit_add_arm_named";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, name);
    uint64_t id = growth_bandit_name_id(name);
    int rc = add_arm(b, who, id, name, prior_rate, prior_strength);
    if (!rc && out_id) *out_id = id;
    return rc;
}

GROWTH_API int growth_bandit_arm_name(const growth_bandit *b, uint64_t id, char *buf, size_t cap,
                                      size_t *out_n)
{
    static const char *who = "growth_bandit_arm_name";
    GROWTH_CHECK_NULL(who, b);
    growth_bandit *m = (growth_bandit *)b;
    pthread_rwlock_rdlock(&m->lock);
    uint32_t i = gidmap_get(&b->index, id);
    int rc;
    if (i == UINT32_MAX) rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)id);
    else if (!b->arms[i].name) rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu has no name", who, (unsigned long long)id);
    else rc = gcopy_out(who, b->arms[i].name, buf, cap, out_n);
    pthread_rwlock_unlock(&m->lock);
    return rc;
}

/* Removes the evidence of arm i from the totals (the arm is leaving). */
static void forget_totals(growth_bandit *b, const barm *a)
{
    b->total -= a->s + a->f;
    if (b->total < 0) b->total = 0;
    b->total_ps -= a->ps;
    if (b->total_ps < 0) b->total_ps = 0;
}

GROWTH_API int growth_bandit_remove_arm(growth_bandit *b, uint64_t id)
{
    static const char *who = "growth_bandit_remove_arm";
    GROWTH_CHECK_NULL(who, b);
    pthread_rwlock_wrlock(&b->lock);
    uint32_t i = gidmap_get(&b->index, id);
    int rc = GROWTH_OK;
    if (i == UINT32_MAX) {
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)id);
    } else {
        barm *a = &b->arms[i];
        forget_totals(b, a);
        free(a->name);
        free(a->lin);
        gidmap_del(&b->index, id);
        b->n--;
        if (i != b->n) {
            b->arms[i] = b->arms[b->n];
            gidmap_put(&b->index, b->arms[i].id, i);
        }
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_replace_arm(growth_bandit *b, uint64_t old_id, uint64_t new_id,
                                         double prior_rate, double prior_strength)
{
    static const char *who = "growth_bandit_replace_arm";
    GROWTH_CHECK_NULL(who, b);
    if (new_id >> 63)
        return gerr(GROWTH_EINVAL, "%s: arm id %llu is not below 2^63", who, (unsigned long long)new_id);
    int rc = check_prior(b, who, prior_rate, prior_strength);
    if (rc) return rc;
    pthread_rwlock_wrlock(&b->lock);
    uint32_t i = gidmap_get(&b->index, old_id);
    if (i == UINT32_MAX) {
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)old_id);
    } else if (new_id != old_id && gidmap_get(&b->index, new_id) != UINT32_MAX) {
        rc = gerr(GROWTH_EINVAL, "%s: arm %llu already exists", who, (unsigned long long)new_id);
    } else {
        barm fresh;
        if (!(rc = init_arm(b, &fresh, new_id, NULL, prior_rate, prior_strength, who))) {
            barm *a = &b->arms[i];
            forget_totals(b, a);
            free(a->name);
            free(a->lin);
            gidmap_del(&b->index, old_id);
            *a = fresh;
            b->next_uid++;
            b->total_ps += prior_strength;
            gidmap_put(&b->index, new_id, i);
        }
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_arms(const growth_bandit *b, uint64_t *out_ids, size_t cap, size_t *out_n)
{
    static const char *who = "growth_bandit_arms";
    GROWTH_CHECK_NULL(who, b);
    growth_bandit *m = (growth_bandit *)b;
    pthread_rwlock_rdlock(&m->lock);
    int rc = GROWTH_OK;
    if (out_n) *out_n = b->n;
    if (cap < b->n || (b->n && !out_ids)) rc = gerr(GROWTH_EBUFS, "%s: cap %zu < %zu arms", who, cap, b->n);
    else for (size_t i = 0; i < b->n; i++) out_ids[i] = b->arms[i].id;
    pthread_rwlock_unlock(&m->lock);
    return rc;
}

GROWTH_API int growth_bandit_arm_stats_get(const growth_bandit *b, uint64_t id, growth_bandit_arm_stats *out)
{
    static const char *who = "growth_bandit_arm_stats_get";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out);
    /* the 1.0 size, checked first: a bad struct is EINVAL also for an unknown arm */
    if (out->struct_size < sizeof(growth_bandit_arm_stats))
        return gerr(GROWTH_EINVAL, "%s: out->struct_size is %u, expected at least %zu (initialise it with GROWTH_BANDIT_ARM_STATS_INIT)",
                    who, out->struct_size, sizeof(growth_bandit_arm_stats));
    growth_bandit_arm_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    growth_bandit *m = (growth_bandit *)b;
    pthread_rwlock_rdlock(&m->lock);
    uint32_t i = gidmap_get(&b->index, id);
    int rc = GROWTH_OK;
    if (i == UINT32_MAX) {
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)id);
    } else if (is_linear(b)) {
        st.evidence = b->arms[i].count;
        st.mean = NAN;
    } else {
        double pa, pb;
        posterior(b, &b->arms[i], &pa, &pb);
        st.alpha = pa;
        st.beta = pb;
        st.evidence = b->scale * (b->arms[i].s + b->arms[i].f);
        st.mean = pa / (pa + pb);
    }
    pthread_rwlock_unlock(&m->lock);
    if (rc) return rc;
    return gstruct_out(who, "out", out, &st, sizeof st, sizeof st);
}

/* ---- selection --------------------------------------------------------------------------- */

static _Thread_local unsigned stripe_hint;

static bstripe *acquire_stripe(growth_bandit *b)
{
    size_t S = b->nst, h = stripe_hint & (S - 1);
    for (size_t t = 0; t < S; t++) {
        size_t s = (h + t) & (S - 1);
        if (pthread_mutex_trylock(&b->st[s].mu) == 0) {
            stripe_hint = (unsigned)s;
            return &b->st[s];
        }
    }
    pthread_mutex_lock(&b->st[h].mu);
    return &b->st[h];
}

/* Resolves eligibility into (list, m): list NULL means all arms 0..n-1. */
static int resolve(growth_bandit *b, bstripe *st, const char *who, const uint64_t *elig, size_t ne,
                   const uint8_t *mask, size_t nm, const uint32_t **list, size_t *m)
{
    if (elig && mask) return gerr(GROWTH_EINVAL, "%s: pass an eligible list or a mask, not both", who);
    if (b->n == 0) return gerr(GROWTH_ESTATE, "%s: the bandit has no arms", who);
    if (mask) {
        if (nm != b->n)
            return gerr(GROWTH_EINVAL, "%s: mask has %zu entries but the bandit has %zu arms", who, nm, b->n);
        size_t c = 0;
        for (size_t i = 0; i < nm; i++)
            if (mask[i]) st->idx[c++] = (uint32_t)i;
        if (c == 0) return gerr(GROWTH_ENOTFOUND, "%s: no eligible arm (the mask is all zero)", who);
        *list = st->idx;
        *m = c;
        return GROWTH_OK;
    }
    if (!elig) {
        if (ne > 0) return gerr(GROWTH_EINVAL, "%s: eligible is NULL with n_eligible=%zu", who, ne);
        *list = NULL;
        *m = b->n;
        return GROWTH_OK;
    }
    if (ne == 0) return gerr(GROWTH_ENOTFOUND, "%s: no eligible arm (the eligible list is empty)", who);
    if (++st->stamp == 0) {
        memset(st->mark, 0, b->cap * sizeof *st->mark);
        st->stamp = 1;
    }
    for (size_t j = 0; j < ne; j++) {
        uint32_t i = gidmap_get(&b->index, elig[j]);
        if (i == UINT32_MAX)
            return gerr(GROWTH_ENOTFOUND, "%s: eligible[%zu] = %llu is not an arm", who, j,
                        (unsigned long long)elig[j]);
        if (st->mark[i] == st->stamp)
            return gerr(GROWTH_EINVAL, "%s: eligible lists arm %llu twice", who, (unsigned long long)elig[j]);
        st->mark[i] = st->stamp;
        st->idx[j] = i;
    }
    *list = st->idx;
    *m = ne;
    return GROWTH_OK;
}

static double kl_bern(double p, double q)
{
    const double e = 1e-15;
    p = p < e ? e : (p > 1 - e ? 1 - e : p);
    q = q < e ? e : (q > 1 - e ? 1 - e : q);
    return p * log(p / q) + (1 - p) * log((1 - p) / (1 - q));
}

/* Deterministic index of arm a (UCB1, KL-UCB, greedy mean). */
static double index_of(const growth_bandit *b, const barm *a, double logn, double loglogn)
{
    if (b->cfg.policy == POL_EGREEDY) {
        double pa, pb;
        posterior(b, a, &pa, &pb);
        return pa / (pa + pb);
    }
    double n = b->scale * (a->s + a->f) + a->ps;
    if (n <= 0) return INFINITY;
    double mean = (b->scale * a->s + (a->ps > 0 ? a->pa : 0)) / n;
    if (b->cfg.policy == POL_UCB1) return mean + b->cfg.ucb_c * sqrt(logn / n);
    double bound = (logn + b->cfg.klucb_c * loglogn) / n, lo = mean, hi = 1.0;
    if (bound <= 0) return mean;
    for (int it = 0; it < 40 && hi - lo > 1e-9; it++) {
        double q = 0.5 * (lo + hi);
        if (kl_bern(mean, q) > bound) hi = q;
        else lo = q;
    }
    return lo;
}

/* Scores eligible arms into st->score (and st->aux = sd for linear). Stochastic policies draw. */
static void score_all(growth_bandit *b, bstripe *st, const uint32_t *list, size_t m, grng *r)
{
    int pol = b->cfg.policy;
    double *sc = st->score;
    if (pol == POL_THOMPSON) {
        for (size_t j = 0; j < m; j++) sc[j] = draw_ts(b, &b->arms[list ? list[j] : j], r);
    } else if (pol == POL_LINTS || pol == POL_LINUCB) {
        size_t d = b->dim;
        const double *x = st->x;
        double *tmp = st->y;
        for (size_t j = 0; j < m; j++) {
            const barm *a = &b->arms[list ? list[j] : j];
            const double *Ainv = a->lin + d * d, *theta = a->lin + 2 * d * d + d;
            double mu = cblas_ddot((int)d, theta, 1, x, 1);
            cblas_dsymv(CblasRowMajor, CblasUpper, (int)d, 1.0, Ainv, (int)d, x, 1, 0.0, tmp, 1);
            double q = cblas_ddot((int)d, x, 1, tmp, 1);
            double sd = sqrt(q > 0 ? q : 0);
            if (pol == POL_LINUCB) {
                sc[j] = mu + b->cfg.alpha * sd;
            } else {
                st->aux[j] = mu;
                st->sd[j] = b->cfg.v * sd;
            }
        }
        if (pol == POL_LINTS)
            for (size_t j = 0; j < m; j++) sc[j] = st->aux[j] + st->sd[j] * bsample_normal(r);
    } else {
        double N = b->scale * b->total + b->total_ps;
        double logn = log(N > 1 ? N : 1), loglogn = logn > 1 ? log(logn) : 0;
        for (size_t j = 0; j < m; j++) sc[j] = index_of(b, &b->arms[list ? list[j] : j], logn, loglogn);
    }
}

/* Heap of positions into a score array, the lowest score at [0]. */
#define BSCORE_LOWER(v, a, b) ((v)[a] < (v)[b])
GHEAP_DEFINE(bscore_heap, uint32_t, const double *, BSCORE_LOWER)

/* The k-th largest value of v[0..m) (1 <= k <= m), using heap scratch of k entries. */
static double kth_largest(const double *v, size_t m, size_t k, uint32_t *heap)
{
    if (k == 1) {
        double best = v[0];
        for (size_t j = 1; j < m; j++)
            if (v[j] > best) best = v[j];
        return best;
    }
    size_t h = 0; /* min-heap of the k largest seen so far */
    for (size_t j = 0; j < m; j++) bscore_heap_offer(v, heap, &h, k, (uint32_t)j);
    return v[heap[0]];
}

static int cmp_pair_desc(const void *x, const void *y)
{
    const bpair *a = x, *b = y;
    if (a->s != b->s) return a->s > b->s ? -1 : 1;
    return a->j < b->j ? -1 : (a->j > b->j);
}

/* Top-k of st->score with uniform random tie-breaking at the threshold. Writes the chosen
 * positions (best first) to st->pair[0..k) and their inclusion probabilities given the scores
 * to prop[] (NULL allowed). */
static void top_k(bstripe *st, size_t m, size_t k, grng *r, double *prop)
{
    const double *v = st->score;
    double T = kth_largest(v, m, k, st->heap);
    size_t g = 0, t = 0;
    for (size_t j = 0; j < m; j++) {
        if (v[j] > T) st->pair[g++] = (bpair){v[j], (uint32_t)j};
        else if (v[j] == T) st->heap[t++] = (uint32_t)j; /* heap reused as the tie list */
    }
    size_t need = k - g;
    /* Choose `need` of the t tied positions uniformly (partial Fisher-Yates). */
    for (size_t i = 0; i < need; i++) {
        size_t pick = i;
        if (need < t) pick = i + (size_t)grng_below(r, t - i);
        uint32_t tmp = st->heap[i]; st->heap[i] = st->heap[pick]; st->heap[pick] = tmp;
        st->pair[g + i] = (bpair){T, st->heap[i]};
    }
    if (k > 1) qsort(st->pair, g, sizeof *st->pair, cmp_pair_desc);
    if (prop)
        for (size_t i = 0; i < k; i++) prop[i] = i < g ? 1.0 : (double)need / (double)t;
}

static double eps_at(const growth_bandit *b, uint64_t t)
{
    double e = b->cfg.epsilon / (1.0 + b->cfg.epsilon_decay * (double)t);
    return e < b->cfg.epsilon_min ? b->cfg.epsilon_min : e;
}

/* Re-draws the stochastic scores of positions 0..m into st->score. */
static void redraw(growth_bandit *b, bstripe *st, const uint32_t *list, size_t m, grng *r)
{
    if (b->cfg.policy == POL_LINTS)
        for (size_t j = 0; j < m; j++) st->score[j] = st->aux[j] + st->sd[j] * bsample_normal(r);
    else
        for (size_t j = 0; j < m; j++) st->score[j] = draw_ts(b, &b->arms[list ? list[j] : j], r);
}

/* Monte Carlo inclusion probabilities of the chosen positions st->pair[0..k): the share of
 * `draws` fresh posterior draws whose top k contains the position, at least 1 / draws. */
static void mc_propensity(growth_bandit *b, bstripe *st, const uint32_t *list, size_t m, size_t k,
                          grng *r, size_t draws, double *prop)
{
    for (size_t i = 0; i < k; i++) prop[i] = 0;
    for (size_t d = 0; d < draws; d++) {
        redraw(b, st, list, m, r);
        double T = kth_largest(st->score, m, k, st->heap);
        for (size_t i = 0; i < k; i++) prop[i] += st->score[st->pair[i].j] >= T;
    }
    for (size_t i = 0; i < k; i++) prop[i] = (prop[i] > 1 ? prop[i] : 1) / (double)draws;
}

static int check_context(const growth_bandit *b, const char *who, const float *ctx, size_t dim,
                         size_t rows)
{
    if (dim != b->dim)
        return gerr(GROWTH_EINVAL, "%s: context width %zu, the bandit expects dim=%zu", who, dim, b->dim);
    if (b->dim == 0) {
        if (ctx) return gerr(GROWTH_EINVAL, "%s: this policy takes no context (pass NULL)", who);
        return GROWTH_OK;
    }
    if (!ctx) return gerr(GROWTH_EINVAL, "%s: context is NULL but dim=%zu", who, b->dim);
    for (size_t i = 0; i < rows * dim; i++)
        if (!gfinite(ctx[i]))
            return gerr(GROWTH_EINVAL, "%s: context[%zu] is not finite", who, i);
    return GROWTH_OK;
}

/* One decision of k arms. Caller holds b->lock shared and validated the context. */
int bandit_select_locked(growth_bandit *b, const char *who, const float *ctx, size_t dim,
                         const uint64_t *elig, size_t ne, const uint8_t *mask, size_t nm,
                         size_t k, uint64_t *dec, uint64_t *arms, double *props)
{
    bstripe *st = acquire_stripe(b);
    const uint32_t *list;
    size_t m;
    int rc = resolve(b, st, who, elig, ne, mask, nm, &list, &m);
    if (!rc && k > m)
        rc = gerr(GROWTH_EINVAL, "%s: k=%zu exceeds the %zu eligible arms", who, k, m);
    if (rc) {
        pthread_mutex_unlock(&st->mu);
        return rc;
    }
    grng *r = &st->rng;
    for (size_t i = 0; i < dim; i++) st->x[i] = ctx[i];
    score_all(b, st, list, m, r);
    int pol = b->cfg.policy;
    uint64_t id0 = atomic_fetch_add_explicit(&b->next_id, k, memory_order_relaxed);
    double pbuf[64], *prop = props ? props : (k <= 64 ? pbuf : NULL);
    if (pol == POL_EGREEDY) {
        double eps = eps_at(b, id0 - 1);
        top_k(st, m, k, r, prop); /* greedy choice and its inclusion probabilities */
        double u = grng_uniform(r);
        if (u < eps) {
            /* explore: k distinct positions uniformly; greedy inclusion of each from the scores */
            double T = kth_largest(st->score, m, k, st->heap);
            size_t g = 0, t = 0;
            for (size_t j = 0; j < m; j++) { g += st->score[j] > T; t += st->score[j] == T; }
            /* sample k of m positions with Floyd's algorithm via the mark-free swap on aux */
            double *perm = st->aux;
            for (size_t j = 0; j < m; j++) perm[j] = (double)j;
            for (size_t i = 0; i < k; i++) {
                size_t p = i + (size_t)grng_below(r, m - i);
                double tmp = perm[i]; perm[i] = perm[p]; perm[p] = tmp;
                uint32_t j = (uint32_t)perm[i];
                st->pair[i] = (bpair){st->score[j], j};
            }
            if (prop)
                for (size_t i = 0; i < k; i++) {
                    double v = st->pair[i].s;
                    double pg = v > T ? 1.0 : (v == T ? (double)(k - g) / (double)t : 0.0);
                    prop[i] = (1 - eps) * pg + eps * (double)k / (double)m;
                }
        } else if (prop) {
            for (size_t i = 0; i < k; i++) prop[i] = (1 - eps) * prop[i] + eps * (double)k / (double)m;
        }
    } else {
        top_k(st, m, k, r, prop);
        if (prop && (pol == POL_THOMPSON || pol == POL_LINTS)) {
            if (b->cfg.propensity_draws > 0) mc_propensity(b, st, list, m, k, r, (size_t)b->cfg.propensity_draws, prop);
            else for (size_t i = 0; i < k; i++) prop[i] = NAN;
        }
    }
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    for (size_t i = 0; i < k; i++) {
        const barm *a = &b->arms[list ? list[st->pair[i].j] : st->pair[i].j];
        uint64_t id = id0 + i;
        size_t slot = (size_t)id & (b->rcap - 1);
        b->ring[slot].arm_id = a->id;
        b->ring[slot].uid_state = a->uid << 2 | PEND_PENDING;
        if (b->ring_t) b->ring_t[slot] = now;
        if (b->dim) memcpy(b->ring_ctx + slot * b->dim, ctx, b->dim * sizeof *ctx);
        dec[i] = id;
        arms[i] = a->id;
    }
    pthread_mutex_unlock(&st->mu);
    return GROWTH_OK;
}

GROWTH_API int growth_bandit_select_k(growth_bandit *b, const float *context, size_t dim,
                                      const uint64_t *eligible, size_t n_eligible,
                                      const uint8_t *mask, size_t n_mask, size_t k,
                                      uint64_t *out_decisions, uint64_t *out_arms,
                                      double *out_propensities, size_t cap)
{
    static const char *who = "growth_bandit_select_k";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_decisions);
    GROWTH_CHECK_NULL(who, out_arms);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k must be >= 1", who);
    if (cap < k) return gerr(GROWTH_EBUFS, "%s: cap %zu < k %zu", who, cap, k);
    if (mask == NULL && n_mask > 0) return gerr(GROWTH_EINVAL, "%s: mask is NULL with n_mask=%zu", who, n_mask);
    int rc = check_context(b, who, context, dim, 1);
    if (rc) return rc;
    pthread_rwlock_rdlock(&b->lock);
    rc = bandit_select_locked(b, who, context, dim, eligible, n_eligible, mask, n_mask, k,
                              out_decisions, out_arms, out_propensities);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_select(growth_bandit *b, const float *context, size_t dim,
                                    const uint64_t *eligible, size_t n_eligible,
                                    uint64_t *out_decision, uint64_t *out_arm,
                                    double *out_propensity)
{
    static const char *who = "growth_bandit_select";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_decision);
    GROWTH_CHECK_NULL(who, out_arm);
    int rc = check_context(b, who, context, dim, 1);
    if (rc) return rc;
    pthread_rwlock_rdlock(&b->lock);
    rc = bandit_select_locked(b, who, context, dim, eligible, n_eligible, NULL, 0, 1,
                              out_decision, out_arm, out_propensity);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_select_batch(growth_bandit *b, const float *contexts, size_t dim,
                                          size_t n, const uint64_t *eligible, size_t n_eligible,
                                          uint64_t *out_decisions, uint64_t *out_arms,
                                          double *out_propensities, size_t cap)
{
    static const char *who = "growth_bandit_select_batch";
    GROWTH_CHECK_NULL(who, b);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, out_decisions);
    GROWTH_CHECK_NULL(who, out_arms);
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: cap %zu < n %zu", who, cap, n);
    int rc = check_context(b, who, contexts, dim, n);
    if (rc) return rc;
    pthread_rwlock_rdlock(&b->lock);
    for (size_t i = 0; i < n && !rc; i++)
        rc = bandit_select_locked(b, who, contexts ? contexts + i * dim : NULL, dim, eligible,
                                  n_eligible, NULL, 0, 1, out_decisions + i, out_arms + i,
                                  out_propensities ? out_propensities + i : NULL);
    pthread_rwlock_unlock(&b->lock);
    return rc; /* only the first decision can fail (eligibility is the same for all) */
}

GROWTH_API int growth_bandit_probabilities(const growth_bandit *bc, const float *context,
                                           size_t dim, const uint64_t *eligible,
                                           size_t n_eligible, size_t draws, uint64_t seed,
                                           double *out, size_t cap)
{
    static const char *who = "growth_bandit_probabilities";
    GROWTH_CHECK_NULL(who, bc);
    GROWTH_CHECK_NULL(who, out);
    growth_bandit *b = (growth_bandit *)bc;
    int pol = b->cfg.policy;
    bool mc = pol == POL_THOMPSON || pol == POL_LINTS;
    if (mc && draws == 0) return gerr(GROWTH_EINVAL, "%s: draws must be >= 1 for a sampling policy", who);
    int rc = check_context(b, who, context, dim, 1);
    if (rc) return rc;
    pthread_rwlock_rdlock(&b->lock);
    bstripe *st = acquire_stripe(b);
    const uint32_t *list;
    size_t m;
    rc = resolve(b, st, who, eligible, n_eligible, NULL, 0, &list, &m);
    if (!rc && cap < m) rc = gerr(GROWTH_EBUFS, "%s: cap %zu < %zu eligible arms", who, cap, m);
    if (!rc) {
        grng r;
        grng_seed(&r, seed);
        for (size_t i = 0; i < dim; i++) st->x[i] = context[i];
        score_all(b, st, list, m, &r);
        if (mc) {
            for (size_t j = 0; j < m; j++) out[j] = 0;
            for (size_t d = 0; d < draws; d++) {
                if (d) redraw(b, st, list, m, &r);
                size_t best = 0;
                for (size_t j = 1; j < m; j++)
                    if (st->score[j] > st->score[best]) best = j;
                out[best] += 1;
            }
            for (size_t j = 0; j < m; j++) out[j] /= (double)draws;
        } else {
            double T = kth_largest(st->score, m, 1, st->heap);
            size_t t = 0;
            for (size_t j = 0; j < m; j++) t += st->score[j] == T;
            double eps = pol == POL_EGREEDY ? eps_at(b, atomic_load_explicit(&b->next_id, memory_order_relaxed) - 1) : 0;
            for (size_t j = 0; j < m; j++)
                out[j] = (1 - eps) * (st->score[j] == T ? 1.0 / (double)t : 0.0) + eps / (double)m;
        }
    }
    pthread_mutex_unlock(&st->mu);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

/* ---- rewards ----------------------------------------------------------------------------- */

static int check_value(const growth_bandit *b, const char *who, double v, size_t i)
{
    if (!gfinite(v)) return gerr(GROWTH_EINVAL, "%s: reward[%zu] is not finite", who, i);
    if (!is_linear(b) && !(v >= 0 && v <= 1))
        return gerr(GROWTH_EINVAL, "%s: reward[%zu] = %g is outside [0, 1] (Bernoulli policy)", who, i, v);
    return GROWTH_OK;
}

/* Recomputes A^-1 from A (upper triangles) by Cholesky: A = U'U, A^-1 = U^-1 U^-T. */
static void refactor(growth_bandit *b, barm *a)
{
    size_t d = b->dim;
    double *A = a->lin, *Ai = a->lin + d * d, *U = b->wscratch, *Ui = U + d * d;
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) {
            double s = A[i * d + j];
            for (size_t k = 0; k < i; k++) s -= U[k * d + i] * U[k * d + j];
            if (i == j) U[i * d + i] = sqrt(s > 1e-300 ? s : 1e-300);
            else U[i * d + j] = s / U[i * d + i];
        }
    memset(Ui, 0, d * d * sizeof *Ui);
    for (size_t j = 0; j < d; j++) { /* Ui = U^-1, upper triangular, column by column */
        Ui[j * d + j] = 1.0 / U[j * d + j];
        for (size_t i = j; i-- > 0;) {
            double s = 0;
            for (size_t k = i + 1; k <= j; k++) s += U[i * d + k] * Ui[k * d + j];
            Ui[i * d + j] = -s / U[i * d + i];
        }
    }
    for (size_t i = 0; i < d; i++) /* Ai = Ui Ui' (upper) */
        for (size_t j = i; j < d; j++) {
            double s = 0;
            for (size_t k = j; k < d; k++) s += Ui[i * d + k] * Ui[j * d + k];
            Ai[i * d + j] = s;
        }
    a->updates = 0;
}

/* Adds (sign = +1) or removes (sign = -1) one observation from an arm. */
static void arm_update(growth_bandit *b, barm *a, double v, const float *ctx, double sign)
{
    if (!is_linear(b)) {
        if (sign > 0 && b->cfg.decay < 1.0) {
            b->scale *= b->cfg.decay;
            if (b->scale < SCALE_FLOOR) { /* renormalise: fold the scale into the sums */
                for (size_t i = 0; i < b->n; i++) { b->arms[i].s *= b->scale; b->arms[i].f *= b->scale; }
                b->total *= b->scale;
                b->scale = 1.0;
            }
        }
        double w = 1.0 / b->scale;
        a->s += sign * v * w;
        a->f += sign * (1.0 - v) * w;
        b->total += sign * w;
        if (sign < 0) { /* the window subtracts exactly what it added; guard rounding */
            if (a->s < 0) a->s = 0;
            if (a->f < 0) a->f = 0;
            if (b->total < 0) b->total = 0;
        }
        if (b->cfg.decay >= 1.0) refresh_k(b, a);
        return;
    }
    size_t d = b->dim;
    double *A = a->lin, *Ai = A + d * d, *bv = Ai + d * d, *th = bv + d;
    double *x = b->wscratch + 2 * d * d, *u = x + d;
    for (size_t i = 0; i < d; i++) x[i] = ctx[i];
    cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, sign, x, 1, A, (int)d);
    cblas_daxpy((int)d, sign * v, x, 1, bv, 1);
    cblas_dsymv(CblasRowMajor, CblasUpper, (int)d, 1.0, Ai, (int)d, x, 1, 0.0, u, 1);
    double den = 1.0 + sign * cblas_ddot((int)d, x, 1, u, 1);
    a->count += sign;
    if (++a->updates >= (uint64_t)b->cfg.refresh || !(den > 1e-12)) refactor(b, a);
    else cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, -sign / den, u, 1, Ai, (int)d);
    cblas_dsymv(CblasRowMajor, CblasUpper, (int)d, 1.0, Ai, (int)d, bv, 1, 0.0, th, 1);
}

/* Applies the reward of one decision; caller holds the lock exclusively. */
static int apply_one(growth_bandit *b, const char *who, uint64_t id, double v, int64_t now)
{
    uint64_t next = atomic_load_explicit(&b->next_id, memory_order_relaxed);
    if (id == 0 || id >= next) {
        b->cnt[CNT_UNKNOWN]++;
        return gerr(GROWTH_ENOTFOUND, "%s: decision %llu is unknown (never issued)", who, (unsigned long long)id);
    }
    size_t slot = (size_t)id & (b->rcap - 1);
    bpend *e = &b->ring[slot];
    if (next - id > (uint64_t)b->cfg.ttl ||
        (b->ring_t && (double)(now - b->ring_t[slot]) > b->cfg.ttl_seconds * 1e9)) {
        b->cnt[CNT_EXPIRED]++;
        return gerr(GROWTH_ENOTFOUND, "%s: decision %llu has expired", who, (unsigned long long)id);
    }
    if ((e->uid_state & 3) == PEND_REWARDED) {
        b->cnt[CNT_DUPLICATE]++;
        return gerr(GROWTH_ENOTFOUND, "%s: decision %llu was already rewarded", who, (unsigned long long)id);
    }
    uint32_t i = gidmap_get(&b->index, e->arm_id);
    if (i == UINT32_MAX || b->arms[i].uid != e->uid_state >> 2) {
        b->cnt[CNT_RETIRED]++;
        e->uid_state = (e->uid_state & ~(uint64_t)3) | PEND_REWARDED;
        return gerr(GROWTH_ENOTFOUND, "%s: the arm of decision %llu was removed", who, (unsigned long long)id);
    }
    const float *ctx = b->dim ? b->ring_ctx + slot * b->dim : NULL;
    if (b->cfg.window > 0) {
        size_t W = (size_t)b->cfg.window;
        if (b->win_len == W) { /* slide: forget the oldest applied reward */
            size_t o = b->win_head;
            uint32_t oi = gidmap_get(&b->index, b->win_arm[o]);
            if (oi != UINT32_MAX && b->arms[oi].uid == b->win_uid[o])
                arm_update(b, &b->arms[oi], b->win_r[o], b->win_ctx ? b->win_ctx + o * b->dim : NULL, -1.0);
            b->win_head = (o + 1) % W;
            b->win_len--;
        }
        size_t p = (b->win_head + b->win_len) % W;
        b->win_arm[p] = e->arm_id;
        b->win_uid[p] = e->uid_state >> 2;
        b->win_r[p] = v;
        if (b->dim) memcpy(b->win_ctx + p * b->dim, ctx, b->dim * sizeof *ctx);
        b->win_len++;
    }
    arm_update(b, &b->arms[i], v, ctx, 1.0);
    e->uid_state = (e->uid_state & ~(uint64_t)3) | PEND_REWARDED;
    b->cnt[CNT_APPLIED]++;
    return GROWTH_OK;
}

GROWTH_API int growth_bandit_reward(growth_bandit *b, uint64_t decision, double value)
{
    static const char *who = "growth_bandit_reward";
    GROWTH_CHECK_NULL(who, b);
    int rc = check_value(b, who, value, 0);
    if (rc) return rc;
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    pthread_rwlock_wrlock(&b->lock);
    rc = apply_one(b, who, decision, value, now);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_reward_batch(growth_bandit *b, const uint64_t *decisions,
                                          const double *values, size_t n, int *out_status,
                                          size_t *out_applied)
{
    static const char *who = "growth_bandit_reward_batch";
    GROWTH_CHECK_NULL(who, b);
    if (n > 0) {
        GROWTH_CHECK_NULL(who, decisions);
        GROWTH_CHECK_NULL(who, values);
    }
    for (size_t i = 0; i < n; i++) {
        int rc = check_value(b, who, values[i], i);
        if (rc) return rc;
    }
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    size_t applied = 0;
    pthread_rwlock_wrlock(&b->lock);
    for (size_t i = 0; i < n; i++) {
        int rc = apply_one(b, who, decisions[i], values[i], now);
        applied += rc == GROWTH_OK;
        if (out_status) out_status[i] = rc;
    }
    pthread_rwlock_unlock(&b->lock);
    if (out_applied) *out_applied = applied;
    return GROWTH_OK;
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

/* ---- persistence ------------------------------------------------------------------------- */

#define BANDIT_MAX_FILE ((size_t)1 << 36)

/* Snapshot under the exclusive lock: every started select has finished. */
static int bandit_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    growth_bandit *b = (growth_bandit *)model;
    pthread_rwlock_wrlock(&b->lock);
    size_t d = b->dim, n = b->n;
    uint64_t next = atomic_load_explicit(&b->next_id, memory_order_relaxed);
    uint64_t lo = next > (uint64_t)b->cfg.ttl ? next - (uint64_t)b->cfg.ttl : 1;
    size_t np = 0;
    for (uint64_t id = lo; id < next; id++) np += (b->ring[id & (b->rcap - 1)].uid_state & 3) != 0;
    size_t nw = b->win_len;
    Growth__BanditArm *am = calloc(n ? n : 1, sizeof *am);
    Growth__BanditArm **ap = calloc(n ? n : 1, sizeof *ap);
    uint64_t *streams = malloc(b->nst * 4 * sizeof *streams);
    uint64_t *pid = malloc((np ? np : 1) * sizeof *pid), *parm = malloc((np ? np : 1) * sizeof *parm);
    uint64_t *puid = malloc((np ? np : 1) * sizeof *puid);
    uint32_t *pst = malloc((np ? np : 1) * sizeof *pst);
    int64_t *page = malloc((np ? np : 1) * sizeof *page);
    float *pctx = malloc((np * d > 0 ? np * d : 1) * sizeof *pctx);
    uint64_t *warm = malloc((nw ? nw : 1) * sizeof *warm), *wuid = malloc((nw ? nw : 1) * sizeof *wuid);
    double *wr = malloc((nw ? nw : 1) * sizeof *wr);
    float *wctx = malloc((nw * d > 0 ? nw * d : 1) * sizeof *wctx);
    char *cfgbuf = NULL;
    int rc = GROWTH_OK;
    cfgbuf = gcfg_format_alloc(bandit_opts, BANDIT_NOPTS, &b->cfg);
    if (!am || !ap || !streams || !pid || !parm || !puid || !pst || !page || !pctx || !warm ||
        !wuid || !wr || !wctx || !cfgbuf) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__BanditState msg = GROWTH__BANDIT_STATE__INIT;
    msg.meta = &meta;
    msg.next_id = next;
    msg.next_uid = b->next_uid;
    msg.scale = b->scale;
    msg.total = b->total;
    for (size_t s = 0; s < b->nst; s++) memcpy(streams + 4 * s, b->st[s].rng.s, 4 * sizeof(uint64_t));
    msg.n_streams = b->nst * 4;
    msg.streams = streams;
    for (size_t i = 0; i < n; i++) {
        const barm *a = &b->arms[i];
        Growth__BanditArm *m = &am[i];
        growth__bandit_arm__init(m);
        m->id = a->id;
        m->name = a->name ? a->name : (char *)"";
        m->uid = a->uid;
        m->prior_a = a->pa;
        m->prior_b = a->pb;
        m->prior_s = a->ps;
        m->s = a->s;
        m->f = a->f;
        m->updates = a->updates;
        m->count = a->count;
        if (a->lin) {
            m->n_a = m->n_ainv = d * d;
            m->a = a->lin;
            m->ainv = a->lin + d * d;
            m->n_bvec = m->n_theta = d;
            m->bvec = a->lin + 2 * d * d;
            m->theta = a->lin + 2 * d * d + d;
        }
        ap[i] = m;
    }
    msg.n_arms = n;
    msg.arms = ap;
    msg.n_counters = CNT_N;
    msg.counters = b->cnt;
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    size_t j = 0;
    for (uint64_t id = lo; id < next; id++) {
        size_t slot = (size_t)id & (b->rcap - 1);
        const bpend *e = &b->ring[slot];
        if ((e->uid_state & 3) == 0) continue;
        pid[j] = id;
        parm[j] = e->arm_id;
        puid[j] = e->uid_state >> 2;
        pst[j] = (uint32_t)(e->uid_state & 3);
        page[j] = b->ring_t ? now - b->ring_t[slot] : 0;
        if (d) memcpy(pctx + j * d, b->ring_ctx + slot * d, d * sizeof *pctx);
        j++;
    }
    msg.n_pending_id = msg.n_pending_arm = msg.n_pending_uid = msg.n_pending_state = np;
    msg.pending_id = pid;
    msg.pending_arm = parm;
    msg.pending_uid = puid;
    msg.pending_state = pst;
    msg.n_pending_age_ns = b->ring_t ? np : 0;
    msg.pending_age_ns = page;
    msg.n_pending_context = np * d;
    msg.pending_context = pctx;
    for (size_t i = 0; i < nw; i++) {
        size_t p = (b->win_head + i) % (size_t)b->cfg.window;
        warm[i] = b->win_arm[p];
        wuid[i] = b->win_uid[p];
        wr[i] = b->win_r[p];
        if (d) memcpy(wctx + i * d, b->win_ctx + p * d, d * sizeof *wctx);
    }
    msg.n_window_arm = msg.n_window_uid = msg.n_window_reward = nw;
    msg.window_arm = warm;
    msg.window_uid = wuid;
    msg.window_reward = wr;
    msg.n_window_context = nw * d;
    msg.window_context = wctx;
    rc = genv_pack(who, GROWTH_KIND_BANDIT, &msg.base, out, out_len);
done:
    pthread_rwlock_unlock(&b->lock);
    free(am); free(ap); free(streams); free(pid); free(parm); free(puid); free(pst); free(page);
    free(pctx); free(warm); free(wuid); free(wr); free(wctx); free(cfgbuf);
    return rc;
}

GROWTH_API int growth_bandit_serialize(const growth_bandit *bc, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_bandit_serialize", bc, bandit_pack, out_buf, out_len);
}

GROWTH_API int growth_bandit_save(const growth_bandit *bc, const char *path)
{
    return gmodel_save("growth_bandit_save", bc, path, bandit_pack);
}

static bool finite_all(const double *x, size_t n) { return gall_finite_f64(x, n); }

static int bandit_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_bandit **out = outp;
    Growth__BanditState *msg = growth__bandit_state__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gerr(GROWTH_EFORMAT, "%s: bandit payload does not decode", who);
    growth_bandit *b = NULL;
    bandit_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc;
#define BAD(...) do { rc = gerr(GROWTH_EFORMAT, __VA_ARGS__); goto done; } while (0)
    if (!msg->meta || !msg->meta->config) BAD("%s: model has no configuration", who);
    if (gcfg_parse("bandit", bandit_opts, BANDIT_NOPTS, msg->meta->config, &cfg, sizeof cfg) ||
        check_cfg(&cfg, who))
        BAD("%s: stored configuration is invalid: %s", who, growth_last_error());
    if ((rc = bandit_new(&b, &cfg, who))) goto done;
    size_t d = b->dim, n = msg->n_arms;
    if (n > (size_t)cfg.max_arms) BAD("%s: %zu arms exceed max_arms", who, n);
    if (msg->n_streams != b->nst * 4) BAD("%s: %zu stream words for %zu streams", who, msg->n_streams, b->nst);
    if (!(gfinite(msg->scale) && msg->scale > 0 && msg->scale <= 1) || !(gfinite(msg->total) && msg->total >= 0))
        BAD("%s: bad scale or total", who);
    if (msg->next_id < 1 || msg->next_id > (UINT64_C(1) << 62) || msg->next_uid < 1) BAD("%s: bad decision or arm counters", who);
    if (msg->n_counters != CNT_N) BAD("%s: expected %d counters", who, CNT_N);
    if ((rc = reserve(b, n, who))) goto done;
    for (size_t i = 0; i < n; i++) {
        const Growth__BanditArm *m = msg->arms[i];
        double pr[4] = {m->prior_a, m->prior_b, m->s, m->f};
        if (!finite_all(pr, 4) || !(m->prior_a > 0 && m->prior_b > 0 && m->s >= 0 && m->f >= 0) ||
            !(gfinite(m->prior_s) && m->prior_s >= 0) || !gfinite(m->count))
            BAD("%s: arm %zu has invalid statistics", who, i);
        if (gidmap_get(&b->index, m->id) != UINT32_MAX) BAD("%s: arm %llu appears twice", who, (unsigned long long)m->id);
        if (m->uid == 0 || m->uid >= msg->next_uid) BAD("%s: arm %zu has a bad serial", who, i);
        bool lin = is_linear(b);
        if (lin ? (m->n_a != d * d || m->n_ainv != d * d || m->n_bvec != d || m->n_theta != d)
                : (m->n_a || m->n_ainv || m->n_bvec || m->n_theta))
            BAD("%s: arm %zu has linear statistics of the wrong size", who, i);
        barm *a = &b->arms[i];
        memset(a, 0, sizeof *a);
        if (lin) {
            if (!finite_all(m->a, d * d) || !finite_all(m->ainv, d * d) || !finite_all(m->bvec, d) || !finite_all(m->theta, d))
                BAD("%s: arm %zu holds NaN or Inf", who, i);
            if (!(a->lin = malloc((2 * d * d + 2 * d) * sizeof(double)))) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
            memcpy(a->lin, m->a, d * d * sizeof(double));
            memcpy(a->lin + d * d, m->ainv, d * d * sizeof(double));
            memcpy(a->lin + 2 * d * d, m->bvec, d * sizeof(double));
            memcpy(a->lin + 2 * d * d + d, m->theta, d * sizeof(double));
        }
        if (m->name && m->name[0]) {
            if (growth_bandit_name_id(m->name) != m->id) { free(a->lin); BAD("%s: arm %zu name does not match its id", who, i); }
            if (!(a->name = strdup(m->name))) { free(a->lin); rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
        }
        a->id = m->id;
        a->uid = m->uid;
        a->pa = m->prior_a;
        a->pb = m->prior_b;
        a->ps = m->prior_s;
        a->s = m->s;
        a->f = m->f;
        a->updates = m->updates;
        a->count = m->count;
        b->total_ps += a->ps;
        gidmap_put(&b->index, a->id, (uint32_t)i);
        b->n = i + 1;
    }
    b->scale = msg->scale;
    b->total = msg->total;
    b->next_uid = msg->next_uid;
    for (size_t i = 0; i < n; i++) refresh_k(b, &b->arms[i]);
    for (size_t s = 0; s < b->nst; s++) {
        memcpy(b->st[s].rng.s, msg->streams + 4 * s, 4 * sizeof(uint64_t));
        if ((b->st[s].rng.s[0] | b->st[s].rng.s[1] | b->st[s].rng.s[2] | b->st[s].rng.s[3]) == 0)
            BAD("%s: PRNG stream %zu is all zero", who, s);
    }
    memcpy(b->cnt, msg->counters, sizeof b->cnt);
    size_t np = msg->n_pending_id;
    if (msg->n_pending_arm != np || msg->n_pending_uid != np || msg->n_pending_state != np ||
        msg->n_pending_context != np * d || (msg->n_pending_age_ns != (b->ring_t ? np : 0)))
        BAD("%s: pending decisions have inconsistent sizes", who);
    uint64_t next = msg->next_id, lo = next > (uint64_t)cfg.ttl ? next - (uint64_t)cfg.ttl : 1;
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    for (size_t j = 0; j < np; j++) {
        uint64_t id = msg->pending_id[j];
        if (id < lo || id >= next || (j && id <= msg->pending_id[j - 1]) ||
            (msg->pending_state[j] != PEND_PENDING && msg->pending_state[j] != PEND_REWARDED) ||
            msg->pending_uid[j] >> 61)
            BAD("%s: pending decision %zu is invalid", who, j);
        if (d && !gall_finite_f32(msg->pending_context + j * d, d)) BAD("%s: pending context %zu is not finite", who, j);
        size_t slot = (size_t)id & (b->rcap - 1);
        b->ring[slot].arm_id = msg->pending_arm[j];
        b->ring[slot].uid_state = msg->pending_uid[j] << 2 | msg->pending_state[j];
        if (b->ring_t) b->ring_t[slot] = now - msg->pending_age_ns[j];
        if (d) memcpy(b->ring_ctx + slot * d, msg->pending_context + j * d, d * sizeof(float));
    }
    size_t nw = msg->n_window_arm;
    if (msg->n_window_uid != nw || msg->n_window_reward != nw || msg->n_window_context != nw * d ||
        nw > (size_t)cfg.window)
        BAD("%s: window has inconsistent sizes", who);
    for (size_t i = 0; i < nw; i++) {
        if (check_value(b, who, msg->window_reward[i], i)) BAD("%s: window reward %zu is invalid", who, i);
        b->win_arm[i] = msg->window_arm[i];
        b->win_uid[i] = msg->window_uid[i];
        b->win_r[i] = msg->window_reward[i];
        if (d) memcpy(b->win_ctx + i * d, msg->window_context + i * d, d * sizeof(float));
    }
    b->win_head = 0;
    b->win_len = nw;
    atomic_store_explicit(&b->next_id, next, memory_order_relaxed);
    rc = GROWTH_OK;
#undef BAD
done:
    growth__bandit_state__free_unpacked(msg, &gpb_allocator);
    if (rc) bandit_destroy(b);
    else *out = b;
    return rc;
}

GROWTH_API int growth_bandit_deserialize(growth_bandit **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_bandit_deserialize", buf, len, GROWTH_KIND_BANDIT, bandit_from_payload, out);
}

GROWTH_API int growth_bandit_load(growth_bandit **out, const char *path)
{
    return gmodel_load("growth_bandit_load", path, BANDIT_MAX_FILE, GROWTH_KIND_BANDIT, bandit_from_payload, out);
}
