/* Bandit selection: the stripes (PRNG stream plus scratch) that let selects run side by side
 * under the shared lock, eligibility, the policies' scores, slates (top-k with random
 * tie-breaking) and propensities. */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bandit_impl.h"

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
    if (is_logistic(b))
        return gerr(GROWTH_ESTATE, "%s: policy=logistic_* has no arms: use growth_bandit_select_csr()", who);
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
        if (kl_bern(mean, q) > bound)
            hi = q;
        else
            lo = q;
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
        if (v[j] > T)
            st->pair[g++] = (bpair){v[j], (uint32_t)j};
        else if (v[j] == T)
            st->heap[t++] = (uint32_t)j; /* heap reused as the tie list */
    }
    size_t need = k - g;
    /* Choose `need` of the t tied positions uniformly (partial Fisher-Yates). */
    for (size_t i = 0; i < need; i++) {
        size_t pick = i;
        if (need < t) pick = i + (size_t)grng_below(r, t - i);
        uint32_t tmp = st->heap[i];
        st->heap[i] = st->heap[pick];
        st->heap[pick] = tmp;
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
static void mc_propensity(growth_bandit *b, bstripe *st, const uint32_t *list, size_t m, size_t k, grng *r,
                          size_t draws, double *prop)
{
    for (size_t i = 0; i < k; i++) prop[i] = 0;
    for (size_t d = 0; d < draws; d++) {
        redraw(b, st, list, m, r);
        double T = kth_largest(st->score, m, k, st->heap);
        for (size_t i = 0; i < k; i++) prop[i] += st->score[st->pair[i].j] >= T;
    }
    for (size_t i = 0; i < k; i++) prop[i] = (prop[i] > 1 ? prop[i] : 1) / (double)draws;
}

static int check_context(const growth_bandit *b, const char *who, const float *ctx, size_t dim, size_t rows)
{
    if (dim != b->dim)
        return gerr(GROWTH_EINVAL, "%s: context width %zu, the bandit expects dim=%zu", who, dim, b->dim);
    if (b->dim == 0) {
        if (ctx) return gerr(GROWTH_EINVAL, "%s: this policy takes no context (pass NULL)", who);
        return GROWTH_OK;
    }
    if (!ctx) return gerr(GROWTH_EINVAL, "%s: context is NULL but dim=%zu", who, b->dim);
    for (size_t i = 0; i < rows * dim; i++)
        if (!gfinite(ctx[i])) return gerr(GROWTH_EINVAL, "%s: context[%zu] is not finite", who, i);
    return GROWTH_OK;
}

/* One decision of k arms. Caller holds b->lock shared and validated the context. */
int bandit_select_locked(growth_bandit *b, const char *who, const float *ctx, size_t dim,
                         const uint64_t *elig, size_t ne, const uint8_t *mask, size_t nm, size_t k,
                         uint64_t *dec, uint64_t *arms, double *props)
{
    bstripe *st = acquire_stripe(b);
    const uint32_t *list;
    size_t m;
    int rc = resolve(b, st, who, elig, ne, mask, nm, &list, &m);
    if (!rc && k > m) rc = gerr(GROWTH_EINVAL, "%s: k=%zu exceeds the %zu eligible arms", who, k, m);
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
            for (size_t j = 0; j < m; j++) {
                g += st->score[j] > T;
                t += st->score[j] == T;
            }
            /* sample k of m positions with Floyd's algorithm via the mark-free swap on aux */
            double *perm = st->aux;
            for (size_t j = 0; j < m; j++) perm[j] = (double)j;
            for (size_t i = 0; i < k; i++) {
                size_t p = i + (size_t)grng_below(r, m - i);
                double tmp = perm[i];
                perm[i] = perm[p];
                perm[p] = tmp;
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
            if (b->cfg.propensity_draws > 0)
                mc_propensity(b, st, list, m, k, r, (size_t)b->cfg.propensity_draws, prop);
            else
                for (size_t i = 0; i < k; i++) prop[i] = NAN;
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
                                      const uint64_t *eligible, size_t n_eligible, const uint8_t *mask,
                                      size_t n_mask, size_t k, uint64_t *out_decisions, uint64_t *out_arms,
                                      double *out_propensities, size_t cap)
{
    static const char *who = "growth_bandit_select_k";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_decisions);
    GROWTH_CHECK_NULL(who, out_arms);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k must be >= 1", who);
    if (cap < k) return gerr(GROWTH_EBUFS, "%s: cap %zu < k %zu", who, cap, k);
    if (mask == NULL && n_mask > 0)
        return gerr(GROWTH_EINVAL, "%s: mask is NULL with n_mask=%zu", who, n_mask);
    int rc = check_context(b, who, context, dim, 1);
    if (rc) return rc;
    pthread_rwlock_rdlock(&b->lock);
    rc = bandit_select_locked(b, who, context, dim, eligible, n_eligible, mask, n_mask, k, out_decisions,
                              out_arms, out_propensities);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_select(growth_bandit *b, const float *context, size_t dim,
                                    const uint64_t *eligible, size_t n_eligible, uint64_t *out_decision,
                                    uint64_t *out_arm, double *out_propensity)
{
    static const char *who = "growth_bandit_select";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_decision);
    GROWTH_CHECK_NULL(who, out_arm);
    int rc = check_context(b, who, context, dim, 1);
    if (rc) return rc;
    pthread_rwlock_rdlock(&b->lock);
    rc = bandit_select_locked(b, who, context, dim, eligible, n_eligible, NULL, 0, 1, out_decision, out_arm,
                              out_propensity);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_select_batch(growth_bandit *b, const float *contexts, size_t dim, size_t n,
                                          const uint64_t *eligible, size_t n_eligible,
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
        rc = bandit_select_locked(b, who, contexts ? contexts + i * dim : NULL, dim, eligible, n_eligible,
                                  NULL, 0, 1, out_decisions + i, out_arms + i,
                                  out_propensities ? out_propensities + i : NULL);
    pthread_rwlock_unlock(&b->lock);
    return rc; /* only the first decision can fail (eligibility is the same for all) */
}

GROWTH_API int growth_bandit_probabilities(const growth_bandit *bc, const float *context, size_t dim,
                                           const uint64_t *eligible, size_t n_eligible, size_t draws,
                                           uint64_t seed, double *out, size_t cap)
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
            double eps = pol == POL_EGREEDY
                             ? eps_at(b, atomic_load_explicit(&b->next_id, memory_order_relaxed) - 1)
                             : 0;
            for (size_t j = 0; j < m; j++)
                out[j] = (1 - eps) * (st->score[j] == T ? 1.0 / (double)t : 0.0) + eps / (double)m;
        }
    }
    pthread_mutex_unlock(&st->mu);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}
