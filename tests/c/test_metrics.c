/* Metrics: AUC and GAUC against brute-force pair counts, the log-loss family against direct
 * formulas, and every kind of bad input. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

/* ---- references -------------------------------------------------------------------------- */

/* Weighted Mann-Whitney over all positive-negative pairs, ties one half. Only examples with
 * index i where sel == NULL or sel[i] enter. Returns -1 when a class has no weight. */
static double brute_auc(const float *s, const float *y, const float *w, const bool *sel, size_t n)
{
    double num = 0.0, pos = 0.0, neg = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (sel && !sel[i]) continue;
        double wi = w ? w[i] : 1.0;
        if (y[i] == 1.0f)
            pos += wi;
        else
            neg += wi;
        if (y[i] != 1.0f) continue;
        for (size_t j = 0; j < n; j++) {
            if ((sel && !sel[j]) || y[j] != 0.0f) continue;
            double wj = w ? w[j] : 1.0;
            if (s[i] > s[j])
                num += wi * wj;
            else if (s[i] == s[j])
                num += 0.5 * wi * wj;
        }
    }
    return pos > 0 && neg > 0 ? num / (pos * neg) : -1.0;
}

/* Per-group brute force: average of group AUCs weighted by the group's total weight. */
static double brute_gauc(const float *s, const float *y, const float *w, const int64_t *g, size_t n,
                         size_t *used)
{
    bool *seen = calloc(n, 1), *sel = calloc(n, 1);
    double sum = 0.0, wsum = 0.0;
    *used = 0;
    for (size_t i = 0; i < n; i++) {
        if (seen[i]) continue;
        double wg = 0.0;
        for (size_t j = 0; j < n; j++) {
            sel[j] = g[j] == g[i];
            if (sel[j]) {
                seen[j] = true;
                wg += w ? w[j] : 1.0;
            }
        }
        double a = brute_auc(s, y, w, sel, n);
        if (a >= 0.0) {
            sum += wg * a;
            wsum += wg;
            (*used)++;
        }
    }
    free(seen);
    free(sel);
    return *used ? sum / wsum : -1.0;
}

/* Scores drawn from a few values so ties abound; kind 0: probabilities on a grid of 11 values,
 * 1: signed values including -0 and +0, 2: continuous over many orders of magnitude. */
static float random_score(grng *r, int kind)
{
    switch (kind) {
    case 0: return (float)grng_below(r, 11) / 10.0f;
    case 1: {
        static const float v[] = {-3.5f, -1.0f, -0.0f, 0.0f, 0.25f, 2.0f, 1e30f, -1e-30f};
        return v[grng_below(r, sizeof v / sizeof v[0])];
    }
    default: return (float)(grng_normal(r) * pow(10.0, (double)grng_below(r, 20) - 10.0));
    }
}

static void random_data(grng *r, size_t n, int kind, float *s, float *y, float *w)
{
    for (size_t i = 0; i < n; i++) {
        s[i] = random_score(r, kind);
        y[i] = grng_uniform(r) < 0.3 ? 1.0f : 0.0f;
        /* Weights include exact zeros and a spread of magnitudes. */
        double u = grng_uniform(r);
        w[i] = u < 0.1 ? 0.0f : (float)(u * 3.0);
    }
}

/* ---- AUC --------------------------------------------------------------------------------- */

TEST(test_auc_small_known)
{
    /* scikit-learn's roc_auc_score documentation example. */
    const float s[] = {0.1f, 0.4f, 0.35f, 0.8f}, y[] = {0, 0, 1, 1};
    double auc = -1;
    CHECK_OK(growth_metrics_auc(s, y, NULL, 4, &auc));
    CHECK_NEAR(auc, 0.75, 1e-15);

    /* All tied: one half. Perfect and reversed rankings: 1 and 0. */
    const float t[] = {0.5f, 0.5f, 0.5f, 0.5f};
    CHECK_OK(growth_metrics_auc(t, y, NULL, 4, &auc));
    CHECK_NEAR(auc, 0.5, 1e-15);
    const float up[] = {1, 2, 3, 4}, down[] = {4, 3, 2, 1};
    CHECK_OK(growth_metrics_auc(up, y, NULL, 4, &auc));
    CHECK_NEAR(auc, 1.0, 1e-15);
    CHECK_OK(growth_metrics_auc(down, y, NULL, 4, &auc));
    CHECK_NEAR(auc, 0.0, 1e-15);

    /* -0 and +0 tie. */
    const float z[] = {-0.0f, 0.0f}, yz[] = {1, 0};
    CHECK_OK(growth_metrics_auc(z, yz, NULL, 2, &auc));
    CHECK_NEAR(auc, 0.5, 1e-15);
}

TEST(test_auc_vs_brute_force)
{
    grng r;
    grng_seed(&r, 7);
    const size_t sizes[] = {2, 3, 17, 300, 1500};
    for (int kind = 0; kind < 3; kind++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            float *s = malloc(n * sizeof *s), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
            random_data(&r, n, kind, s, y, w);
            y[0] = 1.0f; /* both classes, with weight */
            y[1] = 0.0f;
            w[0] = w[1] = 1.0f;
            double auc = -1, ref = brute_auc(s, y, NULL, NULL, n);
            CHECK_OK(growth_metrics_auc(s, y, NULL, n, &auc));
            CHECK_NEAR(auc, ref, 1e-12);
            ref = brute_auc(s, y, w, NULL, n);
            CHECK_OK(growth_metrics_auc(s, y, w, n, &auc));
            CHECK_NEAR(auc, ref, 1e-12);

            /* Negating the scores reflects the AUC. */
            for (size_t i = 0; i < n; i++) s[i] = -s[i];
            CHECK_OK(growth_metrics_auc(s, y, w, n, &auc));
            CHECK_NEAR(auc, 1.0 - ref, 1e-12);
            free(s);
            free(y);
            free(w);
        }
    }
}

TEST(test_auc_larger_input)
{
    /* Enough examples for every radix digit to vary; the brute force is still quick. */
    grng r;
    grng_seed(&r, 11);
    size_t n = 6000;
    float *s = malloc(n * sizeof *s), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    random_data(&r, n, 2, s, y, w);
    for (size_t i = 0; i < n; i += 3) s[i] = s[i / 2]; /* ties between distant examples */
    double auc = -1;
    CHECK_OK(growth_metrics_auc(s, y, w, n, &auc));
    CHECK_NEAR(auc, brute_auc(s, y, w, NULL, n), 1e-12);
    free(s);
    free(y);
    free(w);
}

/* ---- GAUC -------------------------------------------------------------------------------- */

TEST(test_gauc_small_known)
{
    /* Group 5: AUC 1 (weight 2); group -1: AUC 0 (weight 3); group 9 has one class only. */
    const float s[] = {0.9f, 0.2f, 0.7f, 0.1f, 0.3f, 0.5f, 0.6f};
    const float y[] = {1, 1, 0, 0, 0, 1, 0};
    const int64_t g[] = {-1, 5, -1, 5, 9, -1, 9};
    /* group -1: scores 0.9(1) 0.7(0) 0.5(1): pairs (0.9>0.7)=1, (0.5<0.7)=0 -> 0.5 */
    double gauc = -1;
    size_t used = 0;
    CHECK_OK(growth_metrics_gauc(s, y, NULL, g, 7, &gauc, &used));
    CHECK(used == 2);
    CHECK_NEAR(gauc, (3 * 0.5 + 2 * 1.0) / 5.0, 1e-15);
    CHECK_OK(growth_metrics_gauc(s, y, NULL, g, 7, &gauc, NULL)); /* out_groups_used may be NULL */
}

TEST(test_gauc_vs_brute_force)
{
    grng r;
    grng_seed(&r, 13);
    static const int64_t ids[] = {INT64_MIN, -7, -1, 0, 1, 2, 3, 1000, (int64_t)1 << 40, INT64_MAX};
    const size_t nids = sizeof ids / sizeof ids[0];
    for (int kind = 0; kind < 3; kind++) {
        size_t n = 800;
        float *s = malloc(n * sizeof *s), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
        int64_t *g = malloc(n * sizeof *g);
        random_data(&r, n, kind, s, y, w);
        for (size_t i = 0; i < n; i++) g[i] = ids[grng_below(&r, nids)];
        /* Make group 3 single-class so that it is skipped. */
        for (size_t i = 0; i < n; i++)
            if (g[i] == 3) y[i] = 1.0f;
        size_t used = 0, ref_used = 0;
        double gauc = -1, ref = brute_gauc(s, y, NULL, g, n, &ref_used);
        CHECK_OK(growth_metrics_gauc(s, y, NULL, g, n, &gauc, &used));
        CHECK_NEAR(gauc, ref, 1e-12);
        CHECK(used == ref_used && used == nids - 1);
        ref = brute_gauc(s, y, w, g, n, &ref_used);
        CHECK_OK(growth_metrics_gauc(s, y, w, g, n, &gauc, &used));
        CHECK_NEAR(gauc, ref, 1e-12);
        CHECK(used == ref_used);

        /* One group for all: GAUC equals AUC. */
        for (size_t i = 0; i < n; i++) g[i] = 42;
        double auc = -1;
        CHECK_OK(growth_metrics_auc(s, y, w, n, &auc));
        CHECK_OK(growth_metrics_gauc(s, y, w, g, n, &gauc, &used));
        CHECK_NEAR(gauc, auc, 1e-12);
        CHECK(used == 1);
        free(s);
        free(y);
        free(w);
        free(g);
    }
}

/* ---- log-loss family --------------------------------------------------------------------- */

static double direct_logloss(const float *p, const float *y, const float *w, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = fmin(fmax((double)p[i], 1e-15), 1.0 - 1e-15);
        double wi = w ? w[i] : 1.0;
        num -= wi * (y[i] == 1.0f ? log(q) : log(1.0 - q));
        den += wi;
    }
    return num / den;
}

TEST(test_logloss_family_vs_formulas)
{
    grng r;
    grng_seed(&r, 17);
    size_t n = 1000;
    float *p = malloc(n * sizeof *p), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    random_data(&r, n, 0, p, y, w); /* probabilities on a grid, including exact 0 and 1 */
    y[0] = 1.0f;
    w[0] = 1.0f;
    for (int weighted = 0; weighted < 2; weighted++) {
        const float *wp = weighted ? w : NULL;
        double ll = -1, ne = -1, ratio = -1;
        CHECK_OK(growth_metrics_logloss(p, y, wp, n, &ll));
        CHECK_NEAR(ll, direct_logloss(p, y, wp, n), 1e-12);

        double sw = 0, swy = 0, swp = 0;
        for (size_t i = 0; i < n; i++) {
            double wi = wp ? wp[i] : 1.0;
            sw += wi;
            swy += wi * y[i];
            swp += wi * p[i];
        }
        double b = swy / sw, h = -(b * log(b) + (1 - b) * log(1 - b));
        CHECK_OK(growth_metrics_normalized_entropy(p, y, wp, n, &ne));
        CHECK_NEAR(ne, direct_logloss(p, y, wp, n) / h, 1e-12);
        CHECK_OK(growth_metrics_pcoc(p, y, wp, n, &ratio));
        CHECK_NEAR(ratio, swp / swy, 1e-12);
    }

    /* Predicting the base rate everywhere gives NE 1 and ratio 1. */
    const float yb[] = {1, 0, 0, 0}, pb[] = {0.25f, 0.25f, 0.25f, 0.25f};
    double ne = -1, ratio = -1, ll = -1;
    CHECK_OK(growth_metrics_normalized_entropy(pb, yb, NULL, 4, &ne));
    CHECK_NEAR(ne, 1.0, 1e-12);
    CHECK_OK(growth_metrics_pcoc(pb, yb, NULL, 4, &ratio));
    CHECK_NEAR(ratio, 1.0, 1e-12);

    /* Clipping: a certain wrong prediction costs -log(1e-15) (as computed in double). */
    const float y1[] = {1}, p0[] = {0};
    CHECK_OK(growth_metrics_logloss(p0, y1, NULL, 1, &ll));
    CHECK_NEAR(ll, -log(1e-15), 1e-9);
    free(p);
    free(y);
    free(w);
}

/* ---- bad input --------------------------------------------------------------------------- */

TEST(test_bad_inputs)
{
    const float s[] = {0.1f, 0.4f, 0.35f, 0.8f}, y[] = {0, 0, 1, 1}, w[] = {1, 2, 0, 1};
    const int64_t g[] = {1, 1, 2, 2};
    double out;
    size_t used;

    /* NULL pointers and n = 0, for every function. */
    CHECK_RC(growth_metrics_auc(NULL, y, w, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: scores is NULL");
    CHECK_RC(growth_metrics_auc(s, NULL, w, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: labels is NULL");
    CHECK_RC(growth_metrics_auc(s, y, w, 4, NULL), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: output pointer is NULL");
    CHECK_RC(growth_metrics_auc(s, y, w, 0, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: n is 0");
    CHECK_RC(growth_metrics_gauc(s, y, w, NULL, 4, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: groups is NULL");
    CHECK_RC(growth_metrics_gauc(NULL, y, w, g, 4, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: scores is NULL");
    CHECK_RC(growth_metrics_gauc(s, y, w, g, 4, NULL, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: output pointer is NULL");
    CHECK_RC(growth_metrics_gauc(s, y, w, g, 0, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: n is 0");
    CHECK_RC(growth_metrics_logloss(NULL, y, w, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_logloss: probs is NULL");
    CHECK_RC(growth_metrics_logloss(s, y, w, 0, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_logloss: n is 0");
    CHECK_RC(growth_metrics_normalized_entropy(s, NULL, w, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_normalized_entropy: labels is NULL");
    CHECK_RC(growth_metrics_normalized_entropy(s, y, w, 4, NULL), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_normalized_entropy: output pointer is NULL");
    CHECK_RC(growth_metrics_pcoc(s, y, w, 0, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_pcoc: n is 0");
    CHECK_RC(growth_metrics_pcoc(NULL, y, w, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_pcoc: probs is NULL");

    /* Scores: NaN and infinities. */
    const float snan[] = {0.1f, NAN, 0.3f, 0.2f}, sinf[] = {0.1f, 0.2f, -INFINITY, 0.2f};
    CHECK_RC(growth_metrics_auc(snan, y, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: score[1] = nan is not finite");
    CHECK_RC(growth_metrics_auc(sinf, y, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: score[2] = -inf is not finite");
    CHECK_RC(growth_metrics_gauc(snan, y, NULL, g, 4, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: score[1]");
    CHECK_RC(growth_metrics_logloss(snan, y, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_logloss: prob[1] = nan is not finite");

    /* Probabilities outside [0, 1] for the log-loss family (AUC accepts any real score). */
    const float pbig[] = {0.1f, 0.2f, 0.3f, 1.5f}, pneg[] = {-0.1f, 0.2f, 0.3f, 0.5f};
    CHECK_OK(growth_metrics_auc(pbig, y, NULL, 4, &out));
    CHECK_RC(growth_metrics_logloss(pbig, y, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_logloss: prob[3] = 1.5 is outside [0, 1]");
    CHECK_RC(growth_metrics_normalized_entropy(pneg, y, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_normalized_entropy: prob[0] = -0.1 is outside [0, 1]");
    CHECK_RC(growth_metrics_pcoc(pbig, y, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_pcoc: prob[3]");

    /* Labels other than exactly 0 or 1. */
    const float y2[] = {0, 0, 1, 2}, yh[] = {0, 0.5f, 1, 1}, ynan[] = {0, 0, NAN, 1};
    CHECK_RC(growth_metrics_auc(s, y2, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: label[3] = 2 is not 0 or 1");
    CHECK_RC(growth_metrics_gauc(s, yh, NULL, g, 4, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: label[1] = 0.5 is not 0 or 1");
    CHECK_RC(growth_metrics_logloss(s, ynan, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_logloss: label[2] = nan is not 0 or 1");
    CHECK_RC(growth_metrics_normalized_entropy(s, y2, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("label[3]");
    CHECK_RC(growth_metrics_pcoc(s, y2, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("label[3]");

    /* Weights: negative, NaN, infinite, all zero. */
    const float wneg[] = {1, -1, 1, 1}, wnan[] = {1, 1, NAN, 1}, winf[] = {INFINITY, 1, 1, 1};
    const float wzero[] = {0, 0, 0, 0};
    CHECK_RC(growth_metrics_auc(s, y, wneg, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: weight[1] = -1");
    CHECK_RC(growth_metrics_gauc(s, y, wnan, g, 4, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: weight[2] = nan");
    CHECK_RC(growth_metrics_logloss(s, y, winf, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_logloss: weight[0] = inf");
    CHECK_RC(growth_metrics_auc(s, y, wzero, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: the total weight is zero");
    CHECK_RC(growth_metrics_gauc(s, y, wzero, g, 4, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("total weight is zero");
    CHECK_RC(growth_metrics_logloss(s, y, wzero, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_logloss: the total weight is zero");
    CHECK_RC(growth_metrics_normalized_entropy(s, y, wzero, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("total weight is zero");
    CHECK_RC(growth_metrics_pcoc(s, y, wzero, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("total weight is zero");

    /* Undefined metrics: one class for AUC (also when the other has weight 0), no group with
     * both classes for GAUC, base rate 0 or 1 for NE, no positives for the ratio. */
    const float yall1[] = {1, 1, 1, 1}, yall0[] = {0, 0, 0, 0}, wpos0[] = {1, 1, 0, 0};
    CHECK_RC(growth_metrics_auc(s, yall1, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: only one class");
    CHECK_RC(growth_metrics_auc(s, y, wpos0, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_auc: only one class");
    const int64_t gsplit[] = {1, 2, 3, 4};
    CHECK_RC(growth_metrics_gauc(s, y, NULL, gsplit, 4, &out, &used), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_gauc: no group has both classes");
    CHECK_RC(growth_metrics_normalized_entropy(s, yall1, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_normalized_entropy: the base rate is 1");
    CHECK_RC(growth_metrics_normalized_entropy(s, yall0, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_normalized_entropy: the base rate is 0");
    CHECK_RC(growth_metrics_pcoc(s, yall0, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_pcoc: no positive label");
    CHECK_RC(growth_metrics_pcoc(s, y, wpos0, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_pcoc: no positive label");

    /* A failed call leaves the output alone. */
    out = 123.0;
    CHECK_RC(growth_metrics_auc(s, y2, NULL, 4, &out), GROWTH_EINVAL);
    CHECK(out == 123.0);
}

/* ---- calibration metrics ----------------------------------------------------------------- */

TEST(test_calibration_metrics_small_known)
{
    const float p[] = {0.1f, 0.2f, 0.3f, 0.4f}, y[] = {0, 1, 0, 1};
    double ece, mce;
    /* Equal mass, 2 bins: {.1, .2} gap .35 and {.3, .4} gap .15. */
    CHECK_OK(growth_metrics_ece(p, y, NULL, 4, "bins=2 binning=quantile", &ece));
    CHECK_NEAR(ece, 0.25, 1e-7);
    CHECK_OK(growth_metrics_mce(p, y, NULL, 4, "bins=2 binning=quantile", &mce));
    CHECK_NEAR(mce, 0.35, 1e-7);
    /* Equal width, 2 bins: all four in [0, 0.5): mean .25 vs rate .5. */
    CHECK_OK(growth_metrics_ece(p, y, NULL, 4, "bins=2 binning=uniform", &ece));
    CHECK_NEAR(ece, 0.25, 1e-7);
    double mp[4], pr[4], wt[4];
    size_t nb = 0;
    CHECK_OK(growth_metrics_reliability(p, y, NULL, 4, "bins=2 binning=uniform", mp, pr, wt, 4, &nb));
    CHECK(nb == 2);
    CHECK_NEAR(mp[0], 0.25, 1e-7);
    CHECK_NEAR(pr[0], 0.5, 0);
    CHECK_NEAR(wt[0], 4, 0);
    CHECK(wt[1] == 0 && isnan(mp[1]) && isnan(pr[1]));
    /* Ties are never split: three tied probabilities share a bin. */
    const float pt[] = {0.2f, 0.2f, 0.2f, 0.9f}, yt[] = {0, 1, 0, 1};
    CHECK_OK(growth_metrics_reliability(pt, yt, NULL, 4, "bins=2 binning=quantile", mp, pr, wt, 4, &nb));
    CHECK(nb == 2);
    CHECK_NEAR(wt[0], 3, 0);
    CHECK_NEAR(pr[0], 1.0 / 3, 1e-15);
    CHECK_NEAR(mp[1], 0.9, 1e-7);
    /* Field-ECE and Field-RCE by hand: field 1 {.1:0, .2:1}, field 2 {.3:0, .4:1}. */
    const int64_t g[] = {1, 1, 2, 2};
    double fe, fr;
    size_t used;
    CHECK_OK(growth_metrics_field_ece(p, y, NULL, g, 4, &fe));
    CHECK_NEAR(fe, (0.7 + 0.3) / 4, 1e-7);
    CHECK_OK(growth_metrics_field_rce(p, y, NULL, g, 4, &fr, &used));
    CHECK_NEAR(fr, (2 * 0.7 / 1 + 2 * 0.3 / 1) / 4, 1e-7);
    CHECK(used == 2);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

TEST(test_calibration_metrics_vs_brute_force)
{
    grng r;
    grng_seed(&r, 77);
    enum { N = 3000, B = 9 };
    static float p[N], y[N], w[N], sorted[N];
    static int64_t g[N];
    for (int i = 0; i < N; i++) {
        p[i] = (float)grng_below(&r, 500) / 499.0f; /* ties */
        y[i] = grng_uniform(&r) < p[i] * 0.8 ? 1.0f : 0.0f;
        w[i] = (float)(0.2 + grng_uniform(&r));
        g[i] = (int64_t)grng_below(&r, 17) - 8;
    }
    double W = 0;
    for (int i = 0; i < N; i++) W += w[i];
    /* Equal width: bin k holds k/B <= p < (k+1)/B, p = 1 in the last bin. */
    double ece = 0, mce = 0;
    for (int k = 0; k < B; k++) {
        double sw = 0, sp = 0, sy = 0;
        for (int i = 0; i < N; i++) {
            double lo = (double)k / B, hi = (double)(k + 1) / B;
            if ((p[i] >= lo && p[i] < hi) || (k == B - 1 && p[i] >= hi)) {
                sw += w[i];
                sp += (double)w[i] * p[i];
                sy += w[i] * y[i];
            }
        }
        ece += fabs(sp - sy) / W;
        if (sw > 0) mce = fmax(mce, fabs(sp - sy) / sw);
    }
    double got;
    CHECK_OK(growth_metrics_ece(p, y, w, N, "bins=9 binning=uniform", &got));
    CHECK_NEAR(got, ece, 1e-12);
    CHECK_OK(growth_metrics_mce(p, y, w, N, "binning=uniform bins=9", &got));
    CHECK_NEAR(got, mce, 1e-12);
    /* Equal mass: distinct values in order; a value starts bin floor(weight below it B / W). */
    memcpy(sorted, p, sizeof p);
    qsort(sorted, N, sizeof *sorted, cmp_float);
    double bw[B] = {0}, bp[B] = {0}, by[B] = {0};
    int nb = 0, target = -1;
    for (int i = 0; i < N; i++) {
        if (i > 0 && sorted[i] == sorted[i - 1]) continue;
        double below = 0, sw = 0, sp = 0, sy = 0;
        for (int j = 0; j < N; j++) {
            if (p[j] < sorted[i]) below += w[j];
            if (p[j] == sorted[i]) {
                sw += w[j];
                sp += (double)w[j] * p[j];
                sy += w[j] * y[j];
            }
        }
        int t = (int)(below * B / W);
        if (t > B - 1) t = B - 1;
        if (t > target) {
            nb++;
            target = t;
        }
        bw[nb - 1] += sw;
        bp[nb - 1] += sp;
        by[nb - 1] += sy;
    }
    double mp[B], pr[B], wt[B];
    size_t got_nb = 0;
    CHECK_OK(growth_metrics_reliability(p, y, w, N, "bins=9 binning=quantile", mp, pr, wt, B, &got_nb));
    CHECK((int)got_nb == nb);
    ece = 0;
    for (int k = 0; k < nb && k < (int)got_nb; k++) {
        CHECK_NEAR(wt[k], bw[k], 1e-9);
        CHECK_NEAR(mp[k], bp[k] / bw[k], 1e-12);
        CHECK_NEAR(pr[k], by[k] / bw[k], 1e-12);
        ece += fabs(bp[k] - by[k]) / W;
    }
    CHECK_OK(growth_metrics_ece(p, y, w, N, "bins=9,binning=quantile", &got));
    CHECK_NEAR(got, ece, 1e-12);
    /* Field-ECE / Field-RCE by field value. */
    double fe = 0, fr = 0, fw = 0;
    size_t used_ref = 0;
    for (int64_t v = -8; v <= 8; v++) {
        double sw = 0, sp = 0, sy = 0;
        for (int i = 0; i < N; i++)
            if (g[i] == v) {
                sw += w[i];
                sp += (double)w[i] * p[i];
                sy += w[i] * y[i];
            }
        fe += fabs(sy - sp) / W;
        if (sy > 0) {
            fr += sw * fabs(sy - sp) / sy;
            fw += sw;
            used_ref++;
        }
    }
    size_t used = 0;
    CHECK_OK(growth_metrics_field_ece(p, y, w, g, N, &got));
    CHECK_NEAR(got, fe, 1e-12);
    CHECK_OK(growth_metrics_field_rce(p, y, w, g, N, &got, &used));
    CHECK_NEAR(got, fr / fw, 1e-12);
    CHECK(used == used_ref);
}

TEST(test_calibration_metrics_bad_inputs)
{
    const float p[] = {0.1f, 0.4f, 0.35f, 0.8f}, y[] = {0, 0, 1, 1}, y0[] = {0, 0, 0, 0};
    const float pbad[] = {0.1f, 1.4f, 0.35f, 0.8f}, pnan[] = {0.1f, NAN, 0.35f, 0.8f};
    const int64_t g[] = {1, 1, 2, 2};
    double out = 5, mp[4], pr[4], wt[4];
    size_t nb;
    CHECK_RC(growth_metrics_ece(p, y, NULL, 4, "bins=0 binning=uniform", &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_ece: config key 'bins'");
    CHECK_RC(growth_metrics_mce(p, y, NULL, 4, "bins=10 binning=7", &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_mce: config key 'binning'");
    CHECK_RC(growth_metrics_mce(p, y, NULL, 4, "bins=10 strategy=uniform", &out), GROWTH_EINVAL);
    CHECK_MSG("'strategy'");
    CHECK_RC(growth_metrics_ece(pbad, y, NULL, 4, "bins=10 binning=uniform", &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_ece: prob[1] = 1.4 is outside [0, 1]");
    CHECK_RC(growth_metrics_ece(pnan, y, NULL, 4, "bins=10 binning=quantile", &out), GROWTH_EINVAL);
    CHECK_MSG("not finite");
    CHECK_RC(growth_metrics_ece(p, y, NULL, 0, "bins=10 binning=uniform", &out), GROWTH_EINVAL);
    CHECK_RC(growth_metrics_ece(p, y, NULL, 4, "bins=10 binning=uniform", NULL), GROWTH_EINVAL);
    CHECK(out == 5);
    CHECK_RC(growth_metrics_reliability(p, y, NULL, 4, "bins=10 binning=uniform", mp, pr, wt, 4, &nb),
             GROWTH_EBUFS);
    CHECK_MSG("growth_metrics_reliability: the table has 10 rows, the arrays hold 4");
    CHECK(nb == 10);
    CHECK_RC(growth_metrics_reliability(p, y, NULL, 4, "bins=2 binning=uniform", NULL, pr, wt, 4, &nb),
             GROWTH_EINVAL);
    CHECK_RC(growth_metrics_field_ece(p, y, NULL, NULL, 4, &out), GROWTH_EINVAL);
    CHECK_MSG("growth_metrics_field_ece: fields is NULL");
    CHECK_RC(growth_metrics_field_rce(p, y0, NULL, g, 4, &out, &nb), GROWTH_EINVAL);
    CHECK_MSG("no field value has a positive label");
    CHECK_RC(growth_metrics_field_rce(pnan, y, NULL, g, 4, &out, &nb), GROWTH_EINVAL);
    CHECK(out == 5);
}

/* The config of ECE / MCE / reliability: defaults (bins=10 binning=uniform), NULL = "", each
 * key alone, and the result equal to the same binning given in full. */
TEST(test_binning_config)
{
    grng r;
    grng_seed(&r, 5);
    enum { N = 500 };
    static float p[N], y[N];
    for (int i = 0; i < N; i++) {
        p[i] = (float)grng_uniform(&r);
        y[i] = grng_uniform(&r) < p[i] ? 1.0f : 0.0f;
    }
    double a, b, c, d;
    CHECK_OK(growth_metrics_ece(p, y, NULL, N, NULL, &a));
    CHECK_OK(growth_metrics_ece(p, y, NULL, N, "", &b));
    CHECK_OK(growth_metrics_ece(p, y, NULL, N, "bins=10", &c));
    CHECK_OK(growth_metrics_ece(p, y, NULL, N, "bins=10 binning=uniform", &d));
    CHECK(a == b && b == c && c == d);
    CHECK_OK(growth_metrics_mce(p, y, NULL, N, "binning=quantile", &a));
    CHECK_OK(growth_metrics_mce(p, y, NULL, N, "bins=10 binning=quantile", &b));
    CHECK(a == b);
    CHECK_OK(growth_metrics_mce(p, y, NULL, N, "binning=uniform", &c));
    CHECK(a != c);
    /* Bad keys and values name the key; the output is untouched. */
    static const char *const bad[] = {"bins=0",        "bins=1048577", "bins=2.5", "binning=kmeans",
                                      "bins=3 bins=4", "n_bins=3",     "bins"};
    static const char *const key[] = {"'bins'", "'bins'",   "'bins'", "'binning'",
                                      "'bins'", "'n_bins'", "'bins'"};
    for (int i = 0; i < 7; i++) {
        double out = -1;
        CHECK_RC(growth_metrics_ece(p, y, NULL, N, bad[i], &out), GROWTH_EINVAL);
        CHECK_MSG(key[i]);
        CHECK(out == -1);
    }
}

/* The EBUFS protocol of growth_metrics_reliability: *out_n is the exact row count (all bins
 * with uniform binning, the non-empty ones with quantile binning) and nothing is written. */
TEST(test_reliability_ebufs_protocol)
{
    const float p[] = {0.2f, 0.2f, 0.2f, 0.2f, 0.9f, 0.9f}, y[] = {0, 1, 0, 1, 1, 1};
    double mp[8], pr[8], wt[8];
    size_t n = 99;
    /* quantile: 4 bins asked, ties merge them into 2 rows */
    CHECK_OK(growth_metrics_reliability(p, y, NULL, 6, "bins=4 binning=quantile", mp, pr, wt, 8, &n));
    CHECK(n == 2);
    for (int i = 0; i < 8; i++) mp[i] = pr[i] = wt[i] = -7;
    n = 99;
    CHECK_RC(growth_metrics_reliability(p, y, NULL, 6, "bins=4 binning=quantile", mp, pr, wt, 1, &n),
             GROWTH_EBUFS);
    CHECK(n == 2);
    for (int i = 0; i < 8; i++) CHECK(mp[i] == -7 && pr[i] == -7 && wt[i] == -7);
    n = 99;
    CHECK_RC(growth_metrics_reliability(p, y, NULL, 6, "bins=4 binning=quantile", NULL, NULL, NULL, 0, &n),
             GROWTH_EBUFS);
    CHECK(n == 2);
    CHECK_OK(growth_metrics_reliability(p, y, NULL, 6, "bins=4 binning=quantile", mp, pr, wt, 2, &n));
    CHECK(n == 2 && wt[0] == 4 && wt[1] == 2 && mp[2] == -7);
    /* uniform: every bin is a row */
    n = 99;
    CHECK_RC(growth_metrics_reliability(p, y, NULL, 6, "bins=5", NULL, NULL, NULL, 0, &n), GROWTH_EBUFS);
    CHECK(n == 5);
    CHECK_OK(growth_metrics_reliability(p, y, NULL, 6, "bins=5", mp, pr, wt, 5, &n));
    CHECK(n == 5 && wt[1] == 4 && wt[4] == 2 && wt[0] == 0);
    /* other failures: out_n = 0 */
    n = 99;
    CHECK_RC(growth_metrics_reliability(p, y, NULL, 6, "bins=0", mp, pr, wt, 8, &n), GROWTH_EINVAL);
    CHECK(n == 0);
    n = 99;
    CHECK_RC(growth_metrics_reliability(p, y, NULL, 6, NULL, NULL, pr, wt, 8, &n), GROWTH_EINVAL);
    CHECK(n == 0);
}

int main(void)
{
    RUN(test_auc_small_known);
    RUN(test_auc_vs_brute_force);
    RUN(test_auc_larger_input);
    RUN(test_gauc_small_known);
    RUN(test_gauc_vs_brute_force);
    RUN(test_logloss_family_vs_formulas);
    RUN(test_bad_inputs);
    RUN(test_calibration_metrics_small_known);
    RUN(test_calibration_metrics_vs_brute_force);
    RUN(test_binning_config);
    RUN(test_reliability_ebufs_protocol);
    RUN(test_calibration_metrics_bad_inputs);
    return GT_SUMMARY();
}
