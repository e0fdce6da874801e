/* PU-learning target model: positives = the seed, negatives sampled from the unlabelled users,
 * corrected by the spy technique (Liu et al., ICML 2002) or the class-prior constant of Elkan &
 * Noto (KDD 2008); trained with the forest (libxgboost) or FTRL modules through their public
 * API (growth/forest.h, growth/ctr.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "audience_impl.h"
#include "growth/ctr.h"
#include "growth/forest.h"

typedef struct {
    int learner;   /* 0 forest, 1 ftrl */
    int method;    /* 0 spy, 1 prior, 2 naive */
    int unlabeled; /* 0 population, 1 pool */
    double negatives, spy_fraction, spy_quantile;
    int64_t rounds, max_depth;
    double eta;
    int64_t epochs;
    double alpha, l1, l2;
    int64_t threads, seed;
} pu_cfg;

static const gcfg_opt pu_opts[] = {
    {"learner", GCFG_ENUM, offsetof(pu_cfg, learner), "forest", 0, 0, "forest|ftrl", false},
    {"method", GCFG_ENUM, offsetof(pu_cfg, method), "spy", 0, 0, "spy|prior|naive", false},
    {"unlabeled", GCFG_ENUM, offsetof(pu_cfg, unlabeled), "population", 0, 0, "population|pool", false},
    {"negatives", GCFG_DOUBLE, offsetof(pu_cfg, negatives), "2", 0, 1e6, NULL, true},
    {"spy_fraction", GCFG_DOUBLE, offsetof(pu_cfg, spy_fraction), "0.15", 0, 0.999, NULL, true},
    {"spy_quantile", GCFG_DOUBLE, offsetof(pu_cfg, spy_quantile), "0.05", 0, 1, NULL, false},
    {"rounds", GCFG_INT, offsetof(pu_cfg, rounds), "100", 1, 100000, NULL, false},
    {"max_depth", GCFG_INT, offsetof(pu_cfg, max_depth), "4", 1, 30, NULL, false},
    {"eta", GCFG_DOUBLE, offsetof(pu_cfg, eta), "0.1", 0, 1, NULL, true},
    {"epochs", GCFG_INT, offsetof(pu_cfg, epochs), "5", 1, 10000, NULL, false},
    {"alpha", GCFG_DOUBLE, offsetof(pu_cfg, alpha), "0.1", 0, 1e6, NULL, true},
    {"l1", GCFG_DOUBLE, offsetof(pu_cfg, l1), "0.1", 0, 1e6, NULL, false},
    {"l2", GCFG_DOUBLE, offsetof(pu_cfg, l2), "1", 0, 1e6, NULL, false},
    {"threads", GCFG_INT, offsetof(pu_cfg, threads), "1", 1, 256, NULL, false},
    {"seed", GCFG_INT, offsetof(pu_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
};

static const char *who = "growth_audience_pu_score";

/* The caller's feature matrix. */
typedef struct {
    const uint64_t *ptr;
    const uint32_t *idx;
    const float *val;
    size_t nusers, nfeat;
} feats;

/* Rows `ids` gathered into a fresh CSR with ascending, unique indices per row. */
typedef struct {
    uint64_t *ptr;
    uint32_t *idx;
    float *val;
} rows;

static void rows_free(rows *r)
{
    free(r->ptr);
    free(r->idx);
    free(r->val);
}

static int gather(const feats *X, const uint32_t *ids, size_t n, rows *out)
{
    size_t nnz = 0;
    for (size_t i = 0; i < n; i++) nnz += (size_t)(X->ptr[ids[i] + 1] - X->ptr[ids[i]]);
    out->ptr = malloc((n + 1) * sizeof *out->ptr);
    out->idx = malloc((nnz ? nnz : 1) * sizeof *out->idx);
    out->val = malloc((nnz ? nnz : 1) * sizeof *out->val);
    if (!out->ptr || !out->idx || !out->val) {
        rows_free(out);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu rows", who, n);
    }
    size_t w = 0;
    out->ptr[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t start = w;
        for (uint64_t k = X->ptr[ids[i]]; k < X->ptr[ids[i] + 1]; k++) {
            uint32_t c = X->idx[k];
            float v = X->val ? X->val[k] : 1.0f;
            /* insertion into the sorted row; a repeated index keeps its first value */
            size_t p = w;
            while (p > start && out->idx[p - 1] > c) p--;
            if (p > start && out->idx[p - 1] == c) continue;
            memmove(out->idx + p + 1, out->idx + p, (w - p) * sizeof *out->idx);
            memmove(out->val + p + 1, out->val + p, (w - p) * sizeof *out->val);
            out->idx[p] = c;
            out->val[p] = v;
            w++;
        }
        out->ptr[i + 1] = w;
    }
    return GROWTH_OK;
}

/* Progress of the learner fits: fit `i` of `n` (0-based), reported as done = (i + f) / n. */
typedef struct {
    growth_progress_fn fn;
    void *user;
    int i, n;
} pu_progress;

static int pu_report(const pu_progress *p, double f)
{
    if (!p->fn) return GROWTH_OK;
    double done = ((double)p->i + f) / (double)p->n;
    if (done > 1) done = 1;
    if (p->fn("fit", done, p->user))
        return gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback (fit %d of %d, %.0f%% done)",
                    who, p->i + 1 < p->n ? p->i + 1 : p->n, p->n, 100.0 * done);
    return GROWTH_OK;
}

static int learner_failed(int rc, const char *what)
{
    char msg[512];
    aud_last_error(msg, sizeof msg);
    return gerr(rc, "%s: %s failed: %s", who, what, msg);
}

/* Trains on rows train[0..ntrain) with labels y, scores rows score[0..nscore) into out. */
static int fit_score(const pu_cfg *cfg, const feats *X, const uint32_t *train, const float *y, size_t ntrain,
                     const uint32_t *score, size_t nscore, float *out, uint64_t salt, pu_progress *pg)
{
    rows T = {0}, S = {0};
    int rc = pu_report(pg, 0.0); /* before the fit */
    if (rc) return rc;
    rc = gather(X, train, ntrain, &T);
    if (rc) return rc;
    rc = gather(X, score, nscore, &S);
    if (rc) {
        rows_free(&T);
        return rc;
    }
    if (cfg->learner == 0) {
        growth_forest_data d = {sizeof d, 0, ntrain, X->nfeat, NULL, T.ptr, T.idx, T.val, y, NULL};
        char c[128], p[256];
        snprintf(c, sizeof c, "num_rounds=%lld threads=%lld", (long long)cfg->rounds,
                 (long long)cfg->threads);
        gsnprintf(p, sizeof p, "objective=binary:logistic max_depth=%lld eta=%.17g seed=%llu",
                  (long long)cfg->max_depth, cfg->eta,
                  (unsigned long long)((uint64_t)cfg->seed + salt) % 2147483647ULL);
        growth_forest *f = NULL;
        rc = growth_forest_train(&f, c, p, &d, NULL, NULL, NULL);
        if (rc) {
            rc = learner_failed(rc, "training the forest");
            goto done;
        }
        rc = growth_forest_predict_csr(f, S.ptr, S.idx, S.val, nscore, 0, out, nscore);
        if (rc) rc = learner_failed(rc, "scoring with the forest");
        growth_forest_free(f);
    } else {
        int bits = 1;
        while (bits < 32 && ((uint64_t)1 << bits) < X->nfeat) bits++;
        char c[256];
        gsnprintf(c, sizeof c, "alpha=%.17g beta=1 l1=%.17g l2=%.17g bits=%d", cfg->alpha, cfg->l1, cfg->l2,
                  bits);
        growth_ftrl *m = NULL;
        rc = growth_ftrl_create(&m, c);
        if (rc) {
            rc = learner_failed(rc, "creating the FTRL model");
            goto done;
        }
        size_t *order = malloc((ntrain ? ntrain : 1) * sizeof *order);
        if (!order) {
            growth_ftrl_free(m);
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        grng r;
        grng_seed(&r, (uint64_t)cfg->seed ^ gmix64(salt + 0x5eed));
        for (size_t i = 0; i < ntrain; i++) order[i] = i;
        for (int64_t e = 0; e < cfg->epochs && rc == GROWTH_OK; e++) {
            for (size_t i = ntrain; i > 1; i--) {
                size_t j = (size_t)grng_below(&r, i);
                size_t t = order[i - 1];
                order[i - 1] = order[j];
                order[j] = t;
            }
            for (size_t i = 0; i < ntrain && rc == GROWTH_OK; i++) {
                size_t q = order[i];
                rc = growth_ftrl_update(m, T.idx + T.ptr[q], T.val + T.ptr[q],
                                        (size_t)(T.ptr[q + 1] - T.ptr[q]), &y[q], 1.0f);
            }
            if (rc == GROWTH_OK && e + 1 < cfg->epochs &&
                (rc = pu_report(pg, (double)(e + 1) / (double)cfg->epochs))) {
                free(order);
                growth_ftrl_free(m);
                goto done; /* canceled between epochs */
            }
        }
        if (rc)
            rc = learner_failed(rc, "training the FTRL model");
        else if ((rc = growth_ftrl_predict_csr(m, S.ptr, S.idx, S.val, nscore, 0, out, nscore)) != GROWTH_OK)
            rc = learner_failed(rc, "scoring with the FTRL model");
        free(order);
        growth_ftrl_free(m);
    }
done:
    rows_free(&T);
    rows_free(&S);
    pg->i++;
    return rc;
}

static void shuffle_u32(grng *r, uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)grng_below(r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

GROWTH_API int growth_audience_pu_score(const uint64_t *indptr, const uint32_t *indices, const float *values,
                                        size_t nusers, size_t nfeat, const uint32_t *seed, size_t nseed,
                                        const uint32_t *pool, size_t npool, const char *config,
                                        float *out_scores, size_t cap, growth_progress_fn progress,
                                        void *progress_user)
{
    pu_cfg cfg;
    int rc =
        gcfg_parse(who, pu_opts, sizeof pu_opts / sizeof pu_opts[0], config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    GROWTH_CHECK_NULL(who, out_scores);
    rc = aud_check_csr(who, indptr, indices, nusers, nfeat, "user x feature matrix");
    if (rc) return rc;
    if (values && !gall_finite_f32(values, (size_t)indptr[nusers]))
        return gerr(GROWTH_EINVAL, "%s: the feature values hold NaN or Inf", who);
    if (npool == 0) return gerr(GROWTH_EINVAL, "%s: the pool is empty", who);
    GROWTH_CHECK_NULL(who, pool);
    for (size_t i = 0; i < npool; i++)
        if (pool[i] >= nusers)
            return gerr(GROWTH_EINVAL, "%s: pool[%zu] = %u is out of range (ids must be below %zu)", who, i,
                        pool[i], nusers);
    uint8_t *mask = NULL;
    size_t np = 0;
    rc = aud_id_mask(who, "seed", seed, nseed, nusers, &mask, &np);
    if (rc) return rc;
    if (cfg.method != 2 && np < 2) {
        free(mask);
        return gerr(GROWTH_EINVAL, "%s: method=%s needs at least 2 distinct seed users, the seed has %zu",
                    who, cfg.method == 0 ? "spy" : "prior", np);
    }
    if (cap < npool) {
        free(mask);
        return gerr(GROWTH_EBUFS, "%s: cap %zu is below npool = %zu", who, cap, npool);
    }
    /* every fit writes into scratch; out_scores is written once, after the last report */
    pu_progress pg = {progress, progress_user, 0, cfg.method == 0 ? 2 : 1};
    feats X = {indptr, indices, values, nusers, nfeat};
    uint32_t *P = malloc(np * sizeof *P), *cand = NULL, *train = NULL, *sc_ids = NULL;
    float *y = NULL, *s1 = NULL;
    uint8_t *inpool = NULL;
    grng r;
    grng_seed(&r, (uint64_t)cfg.seed);
    if (!P) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    {
        size_t k = 0;
        for (size_t u = 0; u < nusers; u++)
            if (mask[u]) P[k++] = (uint32_t)u;
    }
    /* negative candidates: outside the seed, in the population or the pool (distinct) */
    size_t nc = 0;
    cand = malloc((cfg.unlabeled == 0 ? nusers : npool) * sizeof *cand);
    if (!cand) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    if (cfg.unlabeled == 0) {
        for (size_t u = 0; u < nusers; u++)
            if (!mask[u]) cand[nc++] = (uint32_t)u;
    } else {
        inpool = calloc(nusers, 1);
        if (!inpool) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        for (size_t i = 0; i < npool; i++)
            if (!mask[pool[i]] && !inpool[pool[i]]) {
                inpool[pool[i]] = 1;
                cand[nc++] = pool[i];
            }
    }
    if (nc == 0) {
        rc = gerr(GROWTH_EINVAL, "%s: no user outside the seed in the %s to sample negatives from", who,
                  cfg.unlabeled == 0 ? "population" : "pool");
        goto done;
    }
    double want = ceil(cfg.negatives * (double)np);
    size_t nn = want >= (double)nc ? nc : (size_t)want;
    if (nn == 0) nn = 1;
    /* partial Fisher-Yates: the first nn candidates become a uniform sample */
    for (size_t i = 0; i < nn; i++) {
        size_t j = i + (size_t)grng_below(&r, nc - i);
        uint32_t t = cand[i];
        cand[i] = cand[j];
        cand[j] = t;
    }
    shuffle_u32(&r, P, np);
    size_t nmax = np + nn;
    train = malloc(nmax * sizeof *train);
    y = malloc(nmax * sizeof *y);
    size_t nsc = nmax > npool + np ? nmax : npool + np;
    sc_ids = malloc(nsc * sizeof *sc_ids);
    s1 = malloc(nsc * sizeof *s1);
    if (!train || !y || !sc_ids || !s1) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }

    if (cfg.method == 2) { /* naive: P vs sample */
        size_t t = 0;
        for (size_t i = 0; i < np; i++) {
            train[t] = P[i];
            y[t++] = 1.0f;
        }
        for (size_t i = 0; i < nn; i++) {
            train[t] = cand[i];
            y[t++] = 0.0f;
        }
        rc = fit_score(&cfg, &X, train, y, t, pool, npool, s1, 1, &pg);
    } else if (cfg.method == 0) { /* spy */
        size_t ns = (size_t)llround(cfg.spy_fraction * (double)np);
        if (ns < 1) ns = 1;
        if (ns > np - 1) ns = np - 1;
        /* step 1: P \ S against sample + S; spies are P[0..ns) */
        size_t t = 0;
        for (size_t i = ns; i < np; i++) {
            train[t] = P[i];
            y[t++] = 1.0f;
        }
        for (size_t i = 0; i < ns; i++) {
            train[t] = P[i];
            y[t++] = 0.0f;
        }
        for (size_t i = 0; i < nn; i++) {
            train[t] = cand[i];
            y[t++] = 0.0f;
        }
        for (size_t i = 0; i < ns; i++) sc_ids[i] = P[i];
        for (size_t i = 0; i < nn; i++) sc_ids[ns + i] = cand[i];
        rc = fit_score(&cfg, &X, train, y, t, sc_ids, ns + nn, s1, 1, &pg);
        if (rc) goto done;
        float *spy = malloc(ns * sizeof *spy);
        if (!spy) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        memcpy(spy, s1, ns * sizeof *spy);
        qsort(spy, ns, sizeof *spy, cmp_float);
        size_t qi = (size_t)floor(cfg.spy_quantile * (double)ns);
        if (qi >= ns) qi = ns - 1;
        float thr = spy[qi];
        free(spy);
        /* step 2: P against the reliable negatives (sample scoring below thr) */
        t = 0;
        for (size_t i = 0; i < np; i++) {
            train[t] = P[i];
            y[t++] = 1.0f;
        }
        size_t nrn = 0;
        for (size_t i = 0; i < nn; i++)
            if (s1[ns + i] < thr) {
                train[t] = cand[i];
                y[t++] = 0.0f;
                nrn++;
            }
        if (nrn == 0) { /* no sampled user scores below the spies: keep the lower half */
            grank_item *it = malloc(nn * sizeof *it);
            if (!it) {
                rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
                goto done;
            }
            for (size_t i = 0; i < nn; i++) it[i] = (grank_item){-s1[ns + i], cand[i], i};
            size_t half = nn / 2 ? nn / 2 : 1;
            grank_top_k(it, nn, half);
            for (size_t i = 0; i < half; i++) {
                train[t] = it[i].id;
                y[t++] = 0.0f;
            }
            free(it);
        }
        rc = fit_score(&cfg, &X, train, y, t, pool, npool, s1, 2, &pg); /* step 1's scores are used up */
    } else { /* prior: Elkan & Noto, c = mean score of held-out positives */
        size_t nh = (size_t)llround(cfg.spy_fraction * (double)np);
        if (nh < 1) nh = 1;
        if (nh > np - 1) nh = np - 1;
        size_t t = 0;
        for (size_t i = nh; i < np; i++) {
            train[t] = P[i];
            y[t++] = 1.0f;
        }
        for (size_t i = 0; i < nn; i++) {
            train[t] = cand[i];
            y[t++] = 0.0f;
        }
        for (size_t i = 0; i < nh; i++) sc_ids[i] = P[i];
        memcpy(sc_ids + nh, pool, npool * sizeof *pool);
        rc = fit_score(&cfg, &X, train, y, t, sc_ids, nh + npool, s1, 3, &pg);
        if (rc == GROWTH_OK) {
            double c = 0;
            for (size_t i = 0; i < nh; i++) c += s1[i];
            c /= (double)nh;
            if (c < 1e-6) c = 1e-6;
            /* not clipped to 1: clipping would tie the best users and lose their order; the
             * pool's scores move to the front of s1 (reads stay ahead of writes) */
            for (size_t i = 0; i < npool; i++) s1[i] = (float)(s1[nh + i] / c);
        }
    }
    if (rc == GROWTH_OK) {
        pg.i = pg.n; /* done = 1: the last chance to cancel */
        rc = pu_report(&pg, 0.0);
    }
    if (rc == GROWTH_OK) memcpy(out_scores, s1, npool * sizeof *out_scores);
done:
    free(P);
    free(cand);
    free(train);
    free(y);
    free(sc_ids);
    free(s1);
    free(inpool);
    free(mask);
    return rc;
}
