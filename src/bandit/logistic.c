/* Shared-model contextual policies (policy=logistic_ts|logistic_ucb|logistic_greedy): one
 * logistic regression over 2^bits hashed slots whose weights carry a diagonal Gaussian posterior
 * (mean m_i, precision q_i = lambda + dq_i), as in Chapelle & Li, "An Empirical Evaluation of
 * Thompson Sampling" (NIPS 2011), Algorithm 3, updated online one reward at a time (a Laplace
 * step per observation).
 *
 * Selection scores K candidate rows given in CSR form. Thompson Sampling draws the touched
 * weights only: w_i = m_i + v z_i / sqrt(q_i) with z_i a standard normal that is a function of
 * (a per-decision key drawn from the stripe's PRNG, slot i), so a weight shared by several
 * candidates (the user's own features) has the same draw in all of them without a table, and
 * nothing is allocated per call (the stripe's scratch grows once to the largest K seen).
 *
 * The update of one reward y in [0, 1] for the chosen row x (margin offset o from a cold-start
 * prior) is the exact MAP of the posterior N(m, diag(q)^-1) times the logistic likelihood: the
 * minimiser w = m - c diag(q)^-1 x with c = sigmoid(s) - y, where the margin s = o + x'w solves
 * s = mu - v_x c(s), mu = o + x'm, v_x = sum x_i^2 / q_i (a scalar equation, safeguarded Newton).
 * Then m <- w and q_i <- q_i + x_i^2 p (1 - p), p = sigmoid(s) (the Laplace precision). */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bandit_impl.h"

static _Thread_local unsigned lstripe_hint;

double blog_bytes(const bandit_cfg *c, double rcap)
{
    double slots = ldexp(1.0, (int)c->bits), counts = ldexp(1.0, (int)c->count_bits);
    return slots * (double)sizeof(blw) + counts * 8.0 +
           rcap * ((double)sizeof(blpend) + (double)c->nnz * (4.0 + 4.0));
}

int blog_alloc(growth_bandit *b)
{
    size_t slots = (size_t)1 << b->cfg.bits, counts = (size_t)1 << b->cfg.count_bits;
    b->lw_bytes = slots * sizeof(blw);
    b->lring_bytes = b->rcap * (size_t)b->cfg.nnz;
    b->lw = gtable_alloc(b->lw_bytes);
    b->lcount = gtable_alloc(counts * sizeof(double));
    b->lring = gtable_alloc(b->rcap * sizeof(blpend));
    b->lring_idx = gtable_alloc(b->lring_bytes * sizeof(uint32_t));
    b->lring_val = gtable_alloc(b->lring_bytes * sizeof(float));
    if (!b->lw || !b->lcount || !b->lring || !b->lring_idx || !b->lring_val) return GROWTH_ENOMEM;
    return GROWTH_OK;
}

void blog_free(growth_bandit *b)
{
    if (b->lw) gtable_free(b->lw, b->lw_bytes);
    if (b->lcount) gtable_free(b->lcount, ((size_t)1 << b->cfg.count_bits) * sizeof(double));
    if (b->lring) gtable_free(b->lring, b->rcap * sizeof(blpend));
    if (b->lring_idx) gtable_free(b->lring_idx, b->lring_bytes * sizeof(uint32_t));
    if (b->lring_val) gtable_free(b->lring_val, b->lring_bytes * sizeof(float));
    b->lw = NULL;
    b->lcount = NULL;
    b->lring = NULL;
    b->lring_idx = NULL;
    b->lring_val = NULL;
}

__attribute__((noinline, cold)) static double hnormal_slow(uint64_t w)
{
    grng t;
    grng_seed(&t, w);
    return bzig_slow(&t, w);
}

/* The standard normal of (decision key, slot): a ziggurat draw from one hashed word (the rare
 * slow path continues from a PRNG seeded with that word, so it is a function of the pair too). */
static inline double hnormal(uint64_t key, uint32_t slot)
{
    uint64_t w = gmix64(key ^ ((uint64_t)slot * 0x9e3779b97f4a7c15ULL));
    unsigned i = (unsigned)(w & (BZIG_N - 1));
    double u = 2.0 * ((double)(w >> 11) * 0x1.0p-53) - 1.0; /* as bzig_slow() reads it */
    if (__builtin_expect(fabs(u) < bzig_ratio[i], 1)) return u * bzig_x[i];
    return hnormal_slow(w);
}

static inline double sigmoid(double s) { return s >= 0 ? 1.0 / (1.0 + exp(-s)) : exp(s) / (1.0 + exp(s)); }

static bstripe *lacquire(growth_bandit *b)
{
    size_t S = b->nst, h = lstripe_hint & (S - 1);
    for (size_t t = 0; t < S; t++) {
        size_t s = (h + t) & (S - 1);
        if (pthread_mutex_trylock(&b->st[s].mu) == 0) {
            lstripe_hint = (unsigned)s;
            return &b->st[s];
        }
    }
    pthread_mutex_lock(&b->st[h].mu);
    return &b->st[h];
}

/* Grows a stripe's score scratch to k candidates (once; later calls of that size allocate
 * nothing). */
static int lgrow(growth_bandit *b, bstripe *st, size_t k, const char *who)
{
    if (b->cfg.policy == POL_LOGTS && !st->lps) {
        size_t nnz = (size_t)b->cfg.nnz;
        uint32_t *lps = malloc(nnz * sizeof *lps);
        double *lpv = malloc(3 * nnz * sizeof *lpv);
        if (!lps || !lpv) {
            free(lps);
            free(lpv);
            return gerr(GROWTH_ENOMEM, "%s: out of memory for the draw cache (nnz=%zu)", who, nnz);
        }
        st->lps = lps;
        st->lpv = lpv;
    }
    size_t have = st->lcap > b->cap ? st->lcap : b->cap;
    if (k <= have) return GROWTH_OK;
    size_t cap = have ? have : 16;
    while (cap < k) cap *= 2;
    double *score = realloc(st->score, cap * sizeof *score);
    if (score) st->score = score;
    double *aux = realloc(st->aux, cap * sizeof *aux);
    if (aux) st->aux = aux;
    uint32_t *heap = realloc(st->heap, cap * sizeof *heap);
    if (heap) st->heap = heap;
    if (!score || !aux || !heap) return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu candidates", who, k);
    st->lcap = cap;
    return GROWTH_OK;
}

/* Validation reductions of growth_bandit_select_csr, vectorised (integer or: exact). */
#pragma GCC push_options
#pragma GCC optimize("O3")
static uint32_t lor_u32(const uint32_t *a, size_t n)
{
    uint32_t m = 0;
    for (size_t k = 0; k < n; k++) m |= a[k];
    return m;
}

static uint32_t lnonfinite(const float *v, size_t n)
{
    const uint32_t *bits = (const uint32_t *)(const void *)v; /* IEEE-754 binary32 */
    uint32_t bad = 0;
    for (size_t k = 0; k < n; k++) bad |= (uint32_t)((bits[k] & 0x7f800000u) == 0x7f800000u);
    return bad;
}
#pragma GCC pop_options

/* Cold-start offset of a candidate: its prior logit weighted by s / (s + n), n the rewards
 * applied to its (hashed) id so far. */
static inline double loffset(const growth_bandit *b, uint64_t cand, double prior_logit)
{
    double s = b->cfg.prior_count;
    if (!(s > 0)) return 0.0;
    double n = b->lcount[gmix64(cand) & (((uint64_t)1 << b->cfg.count_bits) - 1)];
    return prior_logit * s / (s + n);
}

/* Scores all candidates into st->score with the decision key `key` (TS) and returns the index of
 * the largest (ties broken uniformly from r, their number in *ties). The rows were validated. */
static size_t lscore(const growth_bandit *b, bstripe *st, const uint64_t *indptr, const uint32_t *idx,
                     const float *val, size_t n, const double *off, uint64_t key, grng *r, size_t *ties)
{
    const blw *W = b->lw;
    const double lam = b->cfg.lambda, v = b->cfg.v, alpha = b->cfg.alpha;
    const float sd0 = (float)(1.0 / sqrt(lam));
    int pol = b->cfg.policy;
    double *sc = st->score;
    size_t plen = 0; /* positions of the draw cache filled for this key (logistic_ts) */
    for (size_t j = 0; j < n; j++) {
        double s = off ? off[j] : 0.0, var = 0.0;
        uint64_t e = indptr[j + 1];
        if (pol == POL_LOGTS) {
            /* Two chains each; the draws times v once. A slot at the same position as in the
             * previous row (the user's features, laid out alike in every candidate) reuses that
             * row's (m, sd, z): the same numbers, without the table read and the normal. */
            double t0 = 0.0, t1 = 0.0, s1 = 0.0;
            const uint64_t b0 = indptr[j];
            uint64_t k = b0;
            uint32_t *ps = st->lps;
            double *pv = st->lpv;
#define LTS_GET(p, i, m_, sd_, z_)                                                                           \
    do {                                                                                                     \
        if ((p) < plen && ps[p] == (i)) {                                                                    \
            m_ = pv[3 * (p)];                                                                                \
            sd_ = pv[3 * (p) + 1];                                                                           \
            z_ = pv[3 * (p) + 2];                                                                            \
        } else {                                                                                             \
            m_ = W[i].m;                                                                                     \
            sd_ = (double)(sd0 + W[i].dsd);                                                                  \
            z_ = hnormal(key, i);                                                                            \
            ps[p] = (i);                                                                                     \
            pv[3 * (p)] = m_;                                                                                \
            pv[3 * (p) + 1] = sd_;                                                                           \
            pv[3 * (p) + 2] = z_;                                                                            \
        }                                                                                                    \
    } while (0)
            for (; k + 1 < e; k += 2) {
                uint32_t i0 = idx[k], i1 = idx[k + 1];
                size_t p0 = (size_t)(k - b0), p1 = p0 + 1;
                double x0 = val ? val[k] : 1.0, x1 = val ? val[k + 1] : 1.0;
                double m0, sd0v, z0, m1, sd1v, z1;
                LTS_GET(p0, i0, m0, sd0v, z0);
                LTS_GET(p1, i1, m1, sd1v, z1);
                s += x0 * m0;
                s1 += x1 * m1;
                t0 += x0 * sd0v * z0;
                t1 += x1 * sd1v * z1;
            }
            if (k < e) {
                uint32_t i = idx[k];
                size_t p = (size_t)(k - b0);
                double x = val ? val[k] : 1.0, m, sdv, z;
                LTS_GET(p, i, m, sdv, z);
                s += x * m;
                t0 += x * sdv * z;
            }
#undef LTS_GET
            plen = (size_t)(e - b0);
            s += s1 + v * (t0 + t1);
        } else if (pol == POL_LOGUCB) {
            for (uint64_t k = indptr[j]; k < e; k++) {
                uint32_t i = idx[k];
                double x = val ? val[k] : 1.0;
                s += x * W[i].m;
                var += x * x / (lam + W[i].dq);
            }
            s += alpha * sqrt(var);
        } else {
            for (uint64_t k = indptr[j]; k < e; k++) s += (val ? val[k] : 1.0) * W[idx[k]].m;
        }
        sc[j] = s;
    }
    double best = sc[0];
    for (size_t j = 1; j < n; j++)
        if (sc[j] > best) best = sc[j];
    size_t t = 0;
    for (size_t j = 0; j < n; j++)
        if (sc[j] == best) st->heap[t++] = (uint32_t)j;
    *ties = t;
    return st->heap[t > 1 && r ? grng_below(r, t) : 0];
}

GROWTH_API int growth_bandit_select_csr(growth_bandit *b, const uint64_t *indptr, const uint32_t *indices,
                                        const float *values, size_t n_candidates,
                                        const uint64_t *candidate_ids, const double *prior_rates,
                                        uint64_t *out_decision, size_t *out_candidate, double *out_propensity)
{
    static const char *who = "growth_bandit_select_csr";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, indptr);
    GROWTH_CHECK_NULL(who, out_decision);
    GROWTH_CHECK_NULL(who, out_candidate);
    if (!is_logistic(b))
        return gerr(GROWTH_ESTATE,
                    "%s: candidate rows are scored by policy=logistic_ts|logistic_ucb|logistic_greedy", who);
    if (n_candidates == 0) return gerr(GROWTH_ENOTFOUND, "%s: no candidate (n_candidates = 0)", who);
    if (prior_rates && !candidate_ids)
        return gerr(GROWTH_EINVAL,
                    "%s: prior_rates need candidate_ids (the prior decays with each id's feedback)", who);
    const uint64_t nslots = (uint64_t)1 << b->cfg.bits, maxrow = (uint64_t)b->cfg.nnz;
    if (indptr[n_candidates] > indptr[0] && !indices) return gerr(GROWTH_EINVAL, "%s: indices is NULL", who);
    for (size_t j = 0; j < n_candidates; j++) {
        if (indptr[j + 1] < indptr[j]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, j);
        if (indptr[j + 1] - indptr[j] > maxrow)
            return gerr(GROWTH_EINVAL, "%s: row %zu has %llu entries, more than nnz=%lld", who, j,
                        (unsigned long long)(indptr[j + 1] - indptr[j]), (long long)b->cfg.nnz);
        if (prior_rates && prior_rates[j] != 0 && !(prior_rates[j] > 0 && prior_rates[j] < 1))
            return gerr(GROWTH_EINVAL, "%s: prior_rates[%zu] = %g is not 0 (none) or in (0, 1)", who, j,
                        prior_rates[j]);
    }
    /* Branch-free reductions first (vectorised); the slow loop below only names the culprit. */
    size_t nent = (size_t)(indptr[n_candidates] - indptr[0]);
    /* 2^bits slots: an index is in range iff it has no bit at or above `bits` */
    uint32_t ior = nent ? lor_u32(indices + indptr[0], nent) : 0;
    uint32_t nonfinite = values && nent ? lnonfinite(values + indptr[0], nent) : 0;
    if ((uint64_t)ior >= nslots || nonfinite)
        for (uint64_t k = indptr[0]; k < indptr[n_candidates]; k++) {
            if (indices[k] >= nslots)
                return gerr(GROWTH_EINVAL, "%s: indices[%llu] = %u is not below 2^bits = %llu", who,
                            (unsigned long long)k, indices[k], (unsigned long long)nslots);
            if (values && !gfinite(values[k]))
                return gerr(GROWTH_EINVAL, "%s: values[%llu] is not finite", who, (unsigned long long)k);
        }
    pthread_rwlock_rdlock(&b->lock);
    bstripe *st = lacquire(b);
    int rc = lgrow(b, st, n_candidates, who);
    if (rc) goto out;
    grng *r = &st->rng;
    const double *off = NULL;
    if (prior_rates) {
        for (size_t j = 0; j < n_candidates; j++) {
            double p = prior_rates[j];
            st->aux[j] = p > 0 ? loffset(b, candidate_ids[j], log(p / (1 - p))) : 0.0;
        }
        off = st->aux;
    }
    int pol = b->cfg.policy;
    uint64_t id = atomic_fetch_add_explicit(&b->next_id, 1, memory_order_relaxed);
    size_t ties, pick = lscore(b, st, indptr, indices, values, n_candidates, off, grng_next(r), r, &ties);
    double prop = 1.0 / (double)ties;
    if (pol == POL_LOGGREEDY) {
        double eps = b->cfg.epsilon / (1.0 + b->cfg.epsilon_decay * (double)(id - 1));
        if (eps < b->cfg.epsilon_min) eps = b->cfg.epsilon_min;
        double greedy_best = st->score[pick];
        if (grng_uniform(r) < eps) pick = (size_t)grng_below(r, n_candidates);
        prop = (1 - eps) * (st->score[pick] == greedy_best ? 1.0 / (double)ties : 0.0) +
               eps / (double)n_candidates;
    } else if (pol == POL_LOGTS && out_propensity) {
        size_t D = (size_t)b->cfg.propensity_draws, hits = 0;
        if (D == 0) {
            prop = NAN;
        } else {
            /* The chosen candidate's scores were overwritten by the redraws: count the share of
             * D fresh draws (same prior offsets) whose argmax is it. */
            for (size_t d = 0; d < D; d++) {
                size_t t2,
                    p2 = lscore(b, st, indptr, indices, values, n_candidates, off, grng_next(r), NULL, &t2);
                hits += p2 == pick || (t2 > 1 && st->score[pick] == st->score[p2]);
            }
            prop = (double)(hits ? hits : 1) / (double)D;
        }
    }
    /* record the decision and its row (equal slots merged) for the delayed reward */
    size_t slot = (size_t)id & (b->rcap - 1);
    uint64_t cand = candidate_ids ? candidate_ids[pick] : 0;
    b->ring[slot].arm_id = cand;
    b->ring[slot].uid_state = PEND_PENDING;
    if (b->ring_t) b->ring_t[slot] = bandit_now_ns();
    blpend *lp = &b->lring[slot];
    uint32_t *ri = b->lring_idx + slot * maxrow;
    float *rv = b->lring_val + slot * maxrow;
    size_t m = 0;
    for (uint64_t k = indptr[pick]; k < indptr[pick + 1]; k++) {
        uint32_t i = indices[k];
        float x = values ? values[k] : 1.0f;
        size_t p = m; /* insertion into the sorted prefix */
        while (p > 0 && ri[p - 1] > i) p--;
        if (p > 0 && ri[p - 1] == i) {
            rv[p - 1] += x;
            continue;
        }
        memmove(ri + p + 1, ri + p, (m - p) * sizeof *ri);
        memmove(rv + p + 1, rv + p, (m - p) * sizeof *rv);
        ri[p] = i;
        rv[p] = x;
        m++;
    }
    lp->cand = cand;
    lp->nnz = (uint32_t)m | (candidate_ids ? 0x80000000u : 0);
    lp->prior_logit =
        prior_rates && prior_rates[pick] > 0 ? (float)log(prior_rates[pick] / (1 - prior_rates[pick])) : NAN;
    *out_decision = id;
    *out_candidate = pick;
    if (out_propensity) *out_propensity = prop;
out:
    pthread_mutex_unlock(&st->mu);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

/* The margin equation s = mu - vx (sigmoid(s) - y): f(s) = s - mu + vx (sigmoid(s) - y) is
 * increasing (f' >= 1), its root lies within vx of mu; Newton steps kept inside the bracket. */
static double solve_margin(double mu, double vx, double y)
{
    double f0 = vx * (sigmoid(mu) - y);
    if (f0 == 0.0) return mu;
    double lo = f0 > 0 ? mu - vx : mu, hi = f0 > 0 ? mu : mu + vx, s = mu;
    for (int it = 0; it < 100; it++) {
        double p = sigmoid(s), f = s - mu + vx * (p - y);
        if (f > 0)
            hi = s;
        else if (f < 0)
            lo = s;
        else
            return s;
        double ns = s - f / (1.0 + vx * p * (1.0 - p));
        if (!(ns > lo && ns < hi)) ns = 0.5 * (lo + hi);
        if (fabs(ns - s) <= 1e-14 * (1.0 + fabs(s))) return ns;
        s = ns;
    }
    return s;
}

/* Applies reward v to the pending row in ring slot `slot`; caller holds the lock exclusively. */
void blog_apply(growth_bandit *b, size_t slot, double y)
{
    const blpend *lp = &b->lring[slot];
    size_t m = lp->nnz & 0x7fffffffu, maxrow = (size_t)b->cfg.nnz;
    const uint32_t *ri = b->lring_idx + slot * maxrow;
    const float *rv = b->lring_val + slot * maxrow;
    blw *W = b->lw;
    const double lam = b->cfg.lambda;
    double *cnt = (lp->nnz & 0x80000000u)
                      ? &b->lcount[gmix64(lp->cand) & (((uint64_t)1 << b->cfg.count_bits) - 1)]
                      : NULL;
    double mu = cnt && !isnan(lp->prior_logit) ? loffset(b, lp->cand, lp->prior_logit) : 0.0, vx = 0.0;
    for (size_t k = 0; k < m; k++) {
        double x = rv[k];
        mu += x * W[ri[k]].m;
        vx += x * x / (lam + W[ri[k]].dq);
    }
    double s = solve_margin(mu, vx, y), p = sigmoid(s), c = p - y, h = p * (1.0 - p);
    const float sd0 = (float)(1.0 / sqrt(lam));
    for (size_t k = 0; k < m; k++) {
        blw *w = &W[ri[k]];
        double x = rv[k];
        w->m -= c * x / (lam + w->dq);
        w->dq += x * x * h;
        w->dsd = (float)(1.0 / sqrt(lam + w->dq)) - sd0;
    }
    if (cnt) *cnt += 1.0;
    b->lupdates++;
}

GROWTH_API int growth_bandit_weights(const growth_bandit *bc, const uint32_t *slots, size_t n,
                                     double *out_mean, double *out_precision, size_t cap)
{
    static const char *who = "growth_bandit_weights";
    GROWTH_CHECK_NULL(who, bc);
    if (!is_logistic(bc))
        return gerr(GROWTH_ESTATE, "%s: only policy=logistic_* has a shared weight posterior", who);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, slots);
    if (!out_mean && !out_precision)
        return gerr(GROWTH_EINVAL, "%s: out_mean and out_precision are both NULL", who);
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: cap %zu < n %zu", who, cap, n);
    uint64_t nslots = (uint64_t)1 << bc->cfg.bits;
    for (size_t j = 0; j < n; j++)
        if (slots[j] >= nslots)
            return gerr(GROWTH_EINVAL, "%s: slots[%zu] = %u is not below 2^bits = %llu", who, j, slots[j],
                        (unsigned long long)nslots);
    growth_bandit *b = (growth_bandit *)bc;
    pthread_rwlock_rdlock(&b->lock);
    for (size_t j = 0; j < n; j++) {
        if (out_mean) out_mean[j] = b->lw[slots[j]].m;
        if (out_precision) out_precision[j] = b->cfg.lambda + b->lw[slots[j]].dq;
    }
    pthread_rwlock_unlock(&b->lock);
    return GROWTH_OK;
}
