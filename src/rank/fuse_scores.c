/* Score-level fusion of several models over the same users (per-model normalisation and a
 * weighted sum), and the weights chosen by top-N precision on a grid. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/rank.h"

/* ---- score fusion ------------------------------------------------------------------------------ */

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
    if (nmodels > SIZE_MAX / sizeof(double) / n)
        return gerr(GROWTH_EINVAL, "%s: nmodels x n is too large", who);
    for (size_t i = 0; i < nmodels * n; i++)
        if (!gfinite(scores[i]))
            return gerr(GROWTH_EINVAL, "%s: score of model %zu, user %zu is %g (scores must be finite)", who,
                        i / n, i % n, (double)scores[i]);
    return GROWTH_OK;
}

/* One model's normalised scores into z (n doubles); it is scratch of n items. */
static void normalise_scores(const float *s, size_t n, int how, double *z, grank_item *it)
{
    if (how == 0) {
        if (n == 1) {
            z[0] = 0.5;
            return;
        }
        /* ascending by score: reverse the descending order */
        for (size_t i = 0; i < n; i++) it[i] = (grank_item){s[i], 0, i};
        grank_sort(it, n);
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
    grank_item *it = malloc(n * sizeof *it);
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

GROWTH_API int growth_rank_fuse_scores(const float *scores, size_t nmodels, size_t n, const double *weights,
                                       const char *config, float *out, size_t cap)
{
    static const char *who = "growth_rank_fuse_scores";
    GROWTH_CHECK_NULL(who, weights);
    GROWTH_CHECK_NULL(who, out);
    fuse_cfg cfg;
    int rc = gcfg_parse("growth_rank_fuse_scores", fuse_opts, 1, config ? config : "", &cfg,
                        sizeof cfg); /* step is fit-only */
    if (rc) return rc;
    rc = check_models(who, scores, nmodels, n);
    if (rc) return rc;
    for (size_t m = 0; m < nmodels; m++)
        if (!gfinite(weights[m]))
            return gerr(GROWTH_EINVAL, "%s: weights[%zu] is %g (must be finite)", who, m, weights[m]);
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: cap %zu is below n = %zu", who, cap, n);
    double *Z;
    rc = normalise_all(who, scores, nmodels, n, cfg.normalize, &Z);
    if (rc) return rc;
    combine(Z, nmodels, n, weights, out);
    free(Z);
    return GROWTH_OK;
}

#define FUSE_MAX_GRID 100000

GROWTH_API int growth_rank_fuse_fit(const float *scores, size_t nmodels, size_t n, const float *labels,
                                    size_t topn, const char *config, double *out_weights, size_t cap,
                                    double *out_precision, growth_progress_fn progress, void *progress_user)
{
    static const char *who = "growth_rank_fuse_fit";
    GROWTH_CHECK_NULL(who, out_weights);
    fuse_cfg cfg;
    int rc = gcfg_parse("growth_rank_fuse_fit", fuse_opts, sizeof fuse_opts / sizeof fuse_opts[0],
                        config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    rc = check_models(who, scores, nmodels, n);
    if (rc) return rc;
    rc = grank_check(who, scores, labels, n, topn);
    if (rc) return rc;
    if (topn > n)
        return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the validation set (%zu users)", who, topn, n);
    if (cap < nmodels) return gerr(GROWTH_EBUFS, "%s: cap %zu is below nmodels = %zu", who, cap, nmodels);
    double kd = 1.0 / cfg.step;
    size_t K = (size_t)llround(kd);
    if (K < 1 || fabs(kd - (double)K) > 1e-6 * kd)
        return gerr(GROWTH_EINVAL, "%s: step = %g does not divide 1 (1 / step must be an integer)", who,
                    cfg.step);
    /* grid size C(K + m - 1, m - 1), bounded */
    double grid = 1;
    for (size_t j = 1; j < nmodels && grid <= FUSE_MAX_GRID; j++) grid = grid * (double)(K + j) / (double)j;
    if (grid > FUSE_MAX_GRID + 0.5)
        return gerr(GROWTH_EINVAL,
                    "%s: the weight grid has more than %d points (%zu models, step %g): use a larger step",
                    who, FUSE_MAX_GRID, nmodels, cfg.step);
    grid = floor(grid + 0.5); /* C(K + m - 1, m - 1), an integer */
    double *Z = NULL, *w = malloc(nmodels * sizeof *w), *best = malloc(nmodels * sizeof *best);
    size_t *k = calloc(nmodels, sizeof *k);
    float *f = malloc(n * sizeof *f);
    grank_item *it = malloc(n * sizeof *it);
    if (!w || !best || !k || !f || !it) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    rc = normalise_all(who, scores, nmodels, n, cfg.normalize, &Z);
    if (rc) goto done;
    k[0] = K;
    size_t best_hits = 0;
    double best_dist = INFINITY, uni = 1.0 / (double)nmodels;
    /* progress after each chunk of grid points worth about 2^20 user scores */
    size_t chunk = ((size_t)1 << 20) / (n * nmodels), done_pts = 0;
    if (chunk < 1) chunk = 1;
    for (;;) {
        double dist = 0;
        for (size_t m = 0; m < nmodels; m++) {
            w[m] = (double)k[m] / (double)K;
            dist += (w[m] - uni) * (w[m] - uni);
        }
        combine(Z, nmodels, n, w, f);
        size_t h = grank_hits(f, labels, NULL, n, topn, it);
        if (best_dist == INFINITY || h > best_hits || (h == best_hits && dist < best_dist - 1e-12)) {
            best_hits = h;
            best_dist = dist;
            memcpy(best, w, nmodels * sizeof *w);
        }
        if (++done_pts % chunk == 0 && progress && (double)done_pts < grid &&
            progress("grid", (double)done_pts / grid, progress_user)) {
            rc = gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback after %zu of %.0f grid points",
                      who, done_pts, grid);
            goto done;
        }
        /* next composition in reverse lexicographic order */
        size_t j = nmodels >= 2 ? nmodels - 1 : 0, rest = 0;
        bool found = false;
        while (j > 0) {
            j--;
            if (k[j] > 0) {
                found = true;
                break;
            }
        }
        if (!found) break;
        for (size_t t = j + 1; t < nmodels; t++) {
            rest += k[t];
            k[t] = 0;
        }
        k[j]--;
        k[j + 1] = rest + 1;
    }
    if (progress && progress("grid", 1.0, progress_user)) { /* the last report precedes the outputs */
        rc = gerr(GROWTH_ECANCELED,
                  "%s: canceled by the progress callback after the last of %.0f grid points", who, grid);
        goto done;
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
