/* Top-N metrics of a ranked audience (PredictTA precision, NewTA recall, lift) and score fusion
 * with weights chosen by top-N precision. Rankings use a quickselect over (score descending,
 * position ascending): O(n) per evaluation, so a fusion grid costs O(grid x n). */
#include <math.h>
#include <string.h>

#include "audience_impl.h"

static int check_sl(const char *who, const float *scores, const float *labels, size_t n, size_t topn)
{
    GROWTH_CHECK_NULL(who, scores);
    GROWTH_CHECK_NULL(who, labels);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: no users (n = 0)", who);
    if (topn == 0) return gerr(GROWTH_EINVAL, "%s: N is 0", who);
    for (size_t i = 0; i < n; i++) {
        if (!gfinite(scores[i]))
            return gerr(GROWTH_EINVAL, "%s: scores[%zu] is %g (scores must be finite)", who, i, (double)scores[i]);
        if (labels[i] != 0.0f && labels[i] != 1.0f)
            return gerr(GROWTH_EINVAL, "%s: labels[%zu] is %g (labels must be 0 or 1)", who, i, (double)labels[i]);
    }
    return GROWTH_OK;
}

/* Number of labels 1 among the topn best of the users not skipped; it has room for n items. */
static size_t hits_at(const float *scores, const float *labels, const uint8_t *skip, size_t n, size_t topn,
                      aud_item *it)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!skip || !skip[i]) it[m++] = (aud_item){scores[i], 0, i};
    if (topn > m) topn = m;
    aud_top_k(it, m, topn);
    size_t h = 0;
    for (size_t i = 0; i < topn; i++) h += labels[it[i].i] == 1.0f;
    return h;
}

GROWTH_API int growth_audience_topn_precision(const float *scores, const float *labels, size_t n,
                                              size_t topn, double *out_precision)
{
    static const char *who = "growth_audience_topn_precision";
    GROWTH_CHECK_NULL(who, out_precision);
    int rc = check_sl(who, scores, labels, n, topn);
    if (rc) return rc;
    if (topn > n) return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users)", who, topn, n);
    aud_item *it = malloc(n * sizeof *it);
    if (!it) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    *out_precision = (double)hits_at(scores, labels, NULL, n, topn, it) / (double)topn;
    free(it);
    return GROWTH_OK;
}

GROWTH_API int growth_audience_topn_recall(const float *scores, const float *labels,
                                           const uint8_t *known, size_t n, size_t topn,
                                           double *out_recall)
{
    static const char *who = "growth_audience_topn_recall";
    GROWTH_CHECK_NULL(who, out_recall);
    int rc = check_sl(who, scores, labels, n, topn);
    if (rc) return rc;
    size_t pool = 0, fresh = 0;
    for (size_t i = 0; i < n; i++)
        if (!known || !known[i]) {
            pool++;
            fresh += labels[i] == 1.0f;
        }
    if (topn > pool)
        return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users not known)", who, topn, pool);
    if (fresh == 0) return gerr(GROWTH_EINVAL, "%s: no new target user (no label 1 outside the known users)", who);
    aud_item *it = malloc(n * sizeof *it);
    if (!it) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    *out_recall = (double)hits_at(scores, labels, known, n, topn, it) / (double)fresh;
    free(it);
    return GROWTH_OK;
}

GROWTH_API int growth_audience_lift(const float *scores, const float *labels, size_t n,
                                    size_t topn, double *out_lift)
{
    static const char *who = "growth_audience_lift";
    GROWTH_CHECK_NULL(who, out_lift);
    int rc = check_sl(who, scores, labels, n, topn);
    if (rc) return rc;
    if (topn > n) return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users)", who, topn, n);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) pos += labels[i] == 1.0f;
    if (pos == 0) return gerr(GROWTH_EINVAL, "%s: no label is 1 (the base rate is 0)", who);
    aud_item *it = malloc(n * sizeof *it);
    if (!it) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    double prec = (double)hits_at(scores, labels, NULL, n, topn, it) / (double)topn;
    *out_lift = prec / ((double)pos / (double)n);
    free(it);
    return GROWTH_OK;
}

/* ---- fusion ------------------------------------------------------------------------------ */

typedef struct {
    int normalize; /* 0 rank, 1 minmax, 2 zscore, 3 none */
    double step;
} fuse_cfg;

static const gcfg_opt fuse_opts[] = {
    {"normalize", GCFG_ENUM, offsetof(fuse_cfg, normalize), "rank", 0, 0, "rank|minmax|zscore|none", false},
    {"step", GCFG_DOUBLE, offsetof(fuse_cfg, step), "0.1", 0, 1, NULL, true},
};

static int check_models(const char *who, const float *scores, size_t nmodels, size_t n)
{
    GROWTH_CHECK_NULL(who, scores);
    if (nmodels == 0) return gerr(GROWTH_EINVAL, "%s: no model (nmodels = 0)", who);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: no users (n = 0)", who);
    if (nmodels > SIZE_MAX / sizeof(double) / n) return gerr(GROWTH_EINVAL, "%s: nmodels x n is too large", who);
    for (size_t i = 0; i < nmodels * n; i++)
        if (!gfinite(scores[i]))
            return gerr(GROWTH_EINVAL, "%s: score of model %zu, user %zu is %g (scores must be finite)", who,
                        i / n, i % n, (double)scores[i]);
    return GROWTH_OK;
}

/* One model's normalised scores into z (n doubles); it is scratch of n items. */
static void normalise_scores(const float *s, size_t n, int how, double *z, aud_item *it)
{
    if (how == 0) {
        if (n == 1) { z[0] = 0.5; return; }
        /* ascending by score: reverse the descending order */
        for (size_t i = 0; i < n; i++) it[i] = (aud_item){s[i], 0, i};
        aud_sort(it, n);
        size_t i = 0;
        while (i < n) {
            size_t j = i;
            while (j + 1 < n && it[j + 1].s == it[i].s) j++;
            /* descending positions i..j are ascending ranks (1-based) n-j .. n-i */
            double avg = ((double)(n - j) + (double)(n - i)) / 2.0;
            for (size_t k = i; k <= j; k++) z[it[k].i] = (avg - 1.0) / (double)(n - 1);
            i = j + 1;
        }
    } else if (how == 1) {
        double lo = s[0], hi = s[0];
        for (size_t i = 1; i < n; i++) {
            if (s[i] < lo) lo = s[i];
            if (s[i] > hi) hi = s[i];
        }
        for (size_t i = 0; i < n; i++) z[i] = hi > lo ? ((double)s[i] - lo) / (hi - lo) : 0.0;
    } else if (how == 2) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++) mean += s[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) var += ((double)s[i] - mean) * ((double)s[i] - mean);
        double sd = sqrt(var / (double)n);
        for (size_t i = 0; i < n; i++) z[i] = sd > 0 ? ((double)s[i] - mean) / sd : 0.0;
    } else {
        for (size_t i = 0; i < n; i++) z[i] = s[i];
    }
}

static void combine(const double *Z, size_t nmodels, size_t n, const double *w, float *out)
{
    for (size_t i = 0; i < n; i++) {
        double f = 0;
        for (size_t m = 0; m < nmodels; m++) f += w[m] * Z[m * n + i];
        out[i] = (float)f;
    }
}

static int normalise_all(const char *who, const float *scores, size_t nmodels, size_t n, int how, double **Z)
{
    *Z = malloc(nmodels * n * sizeof **Z);
    aud_item *it = malloc(n * sizeof *it);
    if (!*Z || !it) {
        free(*Z);
        free(it);
        *Z = NULL;
        return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu x %zu scores", who, nmodels, n);
    }
    for (size_t m = 0; m < nmodels; m++) normalise_scores(scores + m * n, n, how, *Z + m * n, it);
    free(it);
    return GROWTH_OK;
}

GROWTH_API int growth_audience_fuse(const float *scores, size_t nmodels, size_t n,
                                    const double *weights, const char *config, float *out,
                                    size_t cap)
{
    static const char *who = "growth_audience_fuse";
    GROWTH_CHECK_NULL(who, weights);
    GROWTH_CHECK_NULL(who, out);
    fuse_cfg cfg;
    int rc = gcfg_parse("growth_audience_fuse", fuse_opts, 1, config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    rc = check_models(who, scores, nmodels, n);
    if (rc) return rc;
    for (size_t m = 0; m < nmodels; m++)
        if (!gfinite(weights[m])) return gerr(GROWTH_EINVAL, "%s: weights[%zu] is %g (must be finite)", who, m, weights[m]);
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: cap %zu is below n = %zu", who, cap, n);
    double *Z;
    rc = normalise_all(who, scores, nmodels, n, cfg.normalize, &Z);
    if (rc) return rc;
    combine(Z, nmodels, n, weights, out);
    free(Z);
    return GROWTH_OK;
}

#define FUSE_MAX_GRID 100000

GROWTH_API int growth_audience_fuse_fit(const float *scores, size_t nmodels, size_t n,
                                        const float *labels, size_t topn, const char *config,
                                        double *out_weights, size_t cap, double *out_precision)
{
    static const char *who = "growth_audience_fuse_fit";
    GROWTH_CHECK_NULL(who, out_weights);
    fuse_cfg cfg;
    int rc = gcfg_parse("growth_audience_fuse_fit", fuse_opts, sizeof fuse_opts / sizeof fuse_opts[0],
                        config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    rc = check_models(who, scores, nmodels, n);
    if (rc) return rc;
    rc = check_sl(who, scores, labels, n, topn);
    if (rc) return rc;
    if (topn > n) return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the validation set (%zu users)", who, topn, n);
    if (cap < nmodels) return gerr(GROWTH_EBUFS, "%s: cap %zu is below nmodels = %zu", who, cap, nmodels);
    double kd = 1.0 / cfg.step;
    size_t K = (size_t)llround(kd);
    if (K < 1 || fabs(kd - (double)K) > 1e-6 * kd)
        return gerr(GROWTH_EINVAL, "%s: step = %g does not divide 1 (1 / step must be an integer)", who, cfg.step);
    /* grid size C(K + m - 1, m - 1), bounded */
    double grid = 1;
    for (size_t j = 1; j < nmodels && grid <= FUSE_MAX_GRID; j++) grid = grid * (double)(K + j) / (double)j;
    if (grid > FUSE_MAX_GRID + 0.5)
        return gerr(GROWTH_EINVAL, "%s: the weight grid has more than %d points (%zu models, step %g): use a larger step",
                    who, FUSE_MAX_GRID, nmodels, cfg.step);
    double *Z = NULL, *w = malloc(nmodels * sizeof *w), *best = malloc(nmodels * sizeof *best);
    size_t *k = calloc(nmodels, sizeof *k);
    float *f = malloc(n * sizeof *f);
    aud_item *it = malloc(n * sizeof *it);
    if (!w || !best || !k || !f || !it) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    rc = normalise_all(who, scores, nmodels, n, cfg.normalize, &Z);
    if (rc) goto done;
    k[0] = K;
    size_t best_hits = 0;
    double best_dist = INFINITY, uni = 1.0 / (double)nmodels;
    for (;;) {
        double dist = 0;
        for (size_t m = 0; m < nmodels; m++) {
            w[m] = (double)k[m] / (double)K;
            dist += (w[m] - uni) * (w[m] - uni);
        }
        combine(Z, nmodels, n, w, f);
        size_t h = hits_at(f, labels, NULL, n, topn, it);
        if (best_dist == INFINITY || h > best_hits || (h == best_hits && dist < best_dist - 1e-12)) {
            best_hits = h;
            best_dist = dist;
            memcpy(best, w, nmodels * sizeof *w);
        }
        /* next composition in reverse lexicographic order */
        size_t j = nmodels >= 2 ? nmodels - 1 : 0, rest = 0;
        bool found = false;
        while (j > 0) {
            j--;
            if (k[j] > 0) { found = true; break; }
        }
        if (!found) break;
        for (size_t t = j + 1; t < nmodels; t++) {
            rest += k[t];
            k[t] = 0;
        }
        k[j]--;
        k[j + 1] = rest + 1;
    }
    memcpy(out_weights, best, nmodels * sizeof *best);
    if (out_precision) *out_precision = (double)best_hits / (double)topn;
done:
    free(Z);
    free(w);
    free(best);
    free(k);
    free(f);
    free(it);
    return rc;
}
