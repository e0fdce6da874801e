/* Calibration: isotonic and Platt against scikit-learn goldens (tests/data), isotonic against
 * the min-max formula of isotonic regression, Platt/temperature at a stationary point of their
 * objectives (also at 200k samples, where the loss cannot resolve the last steps), histogram binning against a direct computation, the field-aware map on a log
 * miscalibrated differently per field, persistence, and bad input. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "calibrator.pb-c.h"
#include "core.h"
#include "growth/growth.h"
#include "gtest.h"
#include "stored_config.h"

static growth_calibrator *make(const char *cfg)
{
    growth_calibrator *c = NULL;
    int rc = growth_calibrator_create(&c, cfg);
    if (rc != GROWTH_OK) fprintf(stderr, "  create(%s): %s\n", cfg, growth_last_error());
    return c;
}

static double apply1(const growth_calibrator *c, double s, const int64_t *field)
{
    double p = NAN;
    if (growth_calibrator_apply(c, s, field, &p) != GROWTH_OK) return NAN;
    return p;
}

/* ---- scikit-learn goldens ---------------------------------------------------------------- */

TEST(test_sklearn_goldens)
{
    char path[1024];
    const char *root = getenv("GROWTH_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/tests/data/calibration_golden.txt", root ? root : ".");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    size_t n = 0, m = 0;
    CHECK(fscanf(f, "%zu %zu", &n, &m) == 2);
    float *s = malloc(n * sizeof *s), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    double *q = malloc(m * sizeof *q), *iso = malloc(m * sizeof *iso), *pl = malloc(m * sizeof *pl);
    for (size_t i = 0; i < n; i++) CHECK(fscanf(f, "%f %f %f", &s[i], &y[i], &w[i]) == 3);
    for (size_t i = 0; i < m; i++) {
        float qf; /* queries are float32 values, as scikit-learn saw them */
        CHECK(fscanf(f, "%f %lf %lf", &qf, &iso[i], &pl[i]) == 3);
        q[i] = qf;
    }
    fclose(f);

    growth_calibrator *ci = make("method=isotonic"), *cp = make("method=platt");
    CHECK_OK(growth_calibrator_fit(ci, s, y, w, NULL, n));
    CHECK_OK(growth_calibrator_fit(cp, s, y, w, NULL, n));
    double *out = malloc(m * sizeof *out);
    CHECK_OK(growth_calibrator_apply_batch_f64(ci, q, NULL, m, out, m));
    for (size_t i = 0; i < m; i++) CHECK_NEAR(out[i], iso[i], 1e-12);
    CHECK_OK(growth_calibrator_apply_batch_f64(cp, q, NULL, m, out, m));
    for (size_t i = 0; i < m; i++) CHECK_NEAR(out[i], pl[i], 1e-6);
    growth_calibrator_free(ci);
    growth_calibrator_free(cp);
    free(s);
    free(y);
    free(w);
    free(q);
    free(iso);
    free(pl);
    free(out);
}

/* ---- isotonic against the min-max formula ------------------------------------------------ */

/* Distinct scores (ascending) of the positive-weight samples with their total weight and
 * weighted label sum; returns how many. Quadratic, for small inputs. */
static size_t unique_groups(const float *s, const float *y, const float *w, size_t n, double *ux, double *uw,
                            double *uwy)
{
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi > 0)) continue;
        size_t k = 0;
        while (k < u && ux[k] != s[i]) k++;
        if (k == u) {
            ux[u] = s[i];
            uw[u] = 0;
            uwy[u] = 0;
            u++;
        }
        uw[k] += wi;
        uwy[k] += wi * y[i];
    }
    for (size_t i = 1; i < u; i++) /* insertion sort by score */
        for (size_t j = i; j > 0 && ux[j - 1] > ux[j]; j--) {
            double t;
            t = ux[j];
            ux[j] = ux[j - 1];
            ux[j - 1] = t;
            t = uw[j];
            uw[j] = uw[j - 1];
            uw[j - 1] = t;
            t = uwy[j];
            uwy[j] = uwy[j - 1];
            uwy[j - 1] = t;
        }
    return u;
}

/* Isotonic regression value at group i: max over j <= i of min over k >= i of the weighted mean
 * of groups j..k (Barlow et al.). Prefix sums make it O(u^2) per group. */
static double minmax_iso(const double *cw, const double *cwy, size_t u, size_t i)
{
    double best = -INFINITY;
    for (size_t j = 0; j <= i; j++) {
        double lo = INFINITY;
        for (size_t k = i; k < u; k++) {
            double mean = (cwy[k + 1] - cwy[j]) / (cw[k + 1] - cw[j]);
            if (mean < lo) lo = mean;
        }
        if (lo > best) best = lo;
    }
    return best;
}

static void check_isotonic_minmax(const float *s, const float *y, const float *w, size_t n)
{
    double *ux = malloc(n * sizeof *ux), *uw = malloc(n * sizeof *uw), *uwy = malloc(n * sizeof *uwy);
    double *cw = calloc(n + 1, sizeof *cw), *cwy = calloc(n + 1, sizeof *cwy), *f = malloc(n * sizeof *f);
    size_t u = unique_groups(s, y, w, n, ux, uw, uwy);
    for (size_t k = 0; k < u; k++) {
        cw[k + 1] = cw[k] + uw[k];
        cwy[k + 1] = cwy[k] + uwy[k];
    }
    for (size_t k = 0; k < u; k++) f[k] = minmax_iso(cw, cwy, u, k);
    growth_calibrator *c = make("method=isotonic");
    CHECK_OK(growth_calibrator_fit(c, s, y, w, NULL, n));
    double worst = 0;
    for (size_t k = 0; k < u; k++) {
        worst = fmax(worst, fabs(apply1(c, ux[k], NULL) - f[k]));
        if (k + 1 < u) { /* linear between neighbouring training scores */
            double xm = ux[k] + 0.3 * (ux[k + 1] - ux[k]);
            worst = fmax(worst, fabs(apply1(c, xm, NULL) - (f[k] + 0.3 * (f[k + 1] - f[k]))));
        }
    }
    CHECK(worst < 1e-12);
    CHECK_NEAR(apply1(c, ux[0] - 5, NULL), f[0], 1e-12); /* clipped below */
    CHECK_NEAR(apply1(c, -INFINITY, NULL), f[0], 1e-12);
    CHECK_NEAR(apply1(c, ux[u - 1] + 5, NULL), f[u - 1], 1e-12); /* and above */
    CHECK_NEAR(apply1(c, INFINITY, NULL), f[u - 1], 1e-12);
    growth_calibrator_free(c);
    free(ux);
    free(uw);
    free(uwy);
    free(cw);
    free(cwy);
    free(f);
}

TEST(test_isotonic_vs_minmax)
{
    grng r;
    grng_seed(&r, 11);
    enum { N = 20000 };
    float *s = malloc(N * sizeof *s), *y = malloc(N * sizeof *y), *w = malloc(N * sizeof *w);
    for (int round = 0; round < 4; round++) {
        size_t n = round < 2 ? 80 : N;
        int levels = round < 2 ? 25 : 300;
        for (size_t i = 0; i < n; i++) {
            s[i] = (float)(grng_below(&r, (uint64_t)levels)) / (float)levels - 0.3f; /* ties, negatives */
            double p = 1.0 / (1.0 + exp(-4.0 * s[i]));
            y[i] = round == 1 ? (float)(0.25 * (double)grng_below(&r, 5)) /* soft labels */
                              : (grng_uniform(&r) < p ? 1.0f : 0.0f);
            w[i] = grng_uniform(&r) < 0.1 ? 0.0f : (float)(0.1 + 2.0 * grng_uniform(&r));
        }
        check_isotonic_minmax(s, y, w, n);                    /* weighted (incl. zero weights) */
        if (round != 1) check_isotonic_minmax(s, y, NULL, n); /* unweighted, packed path */
    }
    free(s);
    free(y);
    free(w);
}

TEST(test_isotonic_knots_are_trimmed_thresholds)
{
    /* Scores 1..6, labels make a violation pooled over 3 and 4. */
    const float s[] = {1, 2, 3, 4, 5, 6, 6}, y[] = {0, 0, 1, 0, 1, 1, 0};
    growth_calibrator *c = make("method=isotonic");
    CHECK_OK(growth_calibrator_fit(c, s, y, NULL, NULL, 7));
    double x[16], v[16];
    size_t k = 0;
    CHECK_OK(growth_calibrator_knots(c, NULL, x, v, 16, &k));
    /* Blocks: {1,2}->0, {3,4}->0.5, {5,6}: (1 + 1 + 0) / 3 = 2/3. Knots at block ends. */
    CHECK(k == 6);
    const double ex[] = {1, 2, 3, 4, 5, 6}, ev[] = {0, 0, 0.5, 0.5, 2.0 / 3, 2.0 / 3};
    for (size_t i = 0; i < 6 && i < k; i++) {
        CHECK_NEAR(x[i], ex[i], 0);
        CHECK_NEAR(v[i], ev[i], 1e-15);
    }
    CHECK_RC(growth_calibrator_knots(c, NULL, x, v, 3, &k), GROWTH_EBUFS);
    CHECK(k == 6);
    growth_calibrator_free(c);
}

/* ---- Platt and temperature: the gradient of their objectives vanishes -------------------- */

TEST(test_platt_temperature_stationary)
{
    grng r;
    grng_seed(&r, 5);
    enum { N = 5000 };
    float s[N], y[N], w[N];
    double sy = 0, sny = 0;
    for (int i = 0; i < N; i++) {
        double z = grng_normal(&r);
        s[i] = (float)(1.0 / (1.0 + exp(-z)));
        y[i] = grng_uniform(&r) < 1.0 / (1.0 + exp(-(0.6 * z - 0.8))) ? 1.0f : 0.0f;
        w[i] = (float)(0.5 + grng_uniform(&r));
        sy += w[i] * y[i];
        sny += w[i] * (1 - y[i]);
    }
    growth_calibrator *cp = make("method=platt"), *ct = make("method=temperature input=probability");
    CHECK_OK(growth_calibrator_fit(cp, s, y, w, NULL, N));
    CHECK_OK(growth_calibrator_fit(ct, s, y, w, NULL, N));
    double a, b, at, bt;
    CHECK_OK(growth_calibrator_sigmoid(cp, &a, &b));
    CHECK_OK(growth_calibrator_sigmoid(ct, &at, &bt));
    CHECK_NEAR(a, 0.6, 0.1); /* the generating slope and intercept */
    CHECK_NEAR(b, -0.8, 0.1);
    CHECK(bt == 0.0);
    double ga = 0, gb = 0, gt = 0, W = 0;
    const double thi = (sy + 1) / (sy + 2), tlo = 1 / (sny + 2);
    for (int i = 0; i < N; i++) {
        double x = log((double)s[i]) - log1p(-(double)s[i]);
        double t = y[i] == 1.0f ? thi : tlo;
        double p = 1 / (1 + exp(-(a * x + b))), pt = 1 / (1 + exp(-at * x));
        ga += w[i] * (p - t) * x;
        gb += w[i] * (p - t);
        gt += w[i] * (pt - y[i]) * x;
        W += w[i];
        CHECK_NEAR(apply1(cp, s[i], NULL), p, 1e-12);
    }
    CHECK(fabs(ga) / W < 1e-9);
    CHECK(fabs(gb) / W < 1e-9);
    CHECK(fabs(gt) / W < 1e-9);
    growth_calibrator_free(cp);
    growth_calibrator_free(ct);
}

/* At 200k samples the loss (~1e5) no longer resolves the last Newton steps' decrease; the fit
 * must still reach the optimum (it used to stall there with a mean gradient of ~3e-9, at the
 * cost of thousands of passes). The gradient is summed in long double. */
TEST(test_platt_temperature_converge_200k)
{
    enum { N = 200000 };
    float *s = malloc(N * sizeof *s), *y = malloc(N * sizeof *y), *w = malloc(N * sizeof *w);
    CHECK(s && y && w);
    if (!s || !y || !w) goto out;
    for (int weighted = 0; weighted < 2; weighted++) {
        grng r;
        grng_seed(&r, 11 + (uint64_t)weighted);
        double sy = 0, sny = 0;
        for (int i = 0; i < N; i++) {
            const double z = 1.5 * grng_normal(&r);
            s[i] = (float)(1.0 / (1.0 + exp(-z)));
            y[i] = grng_uniform(&r) < 1.0 / (1.0 + exp(-(0.7 * z - 1.0))) ? 1.0f : 0.0f;
            w[i] = weighted ? (float)(0.2 + 2.8 * grng_uniform(&r)) : 1.0f;
            sy += w[i] * y[i];
            sny += w[i] * (1 - y[i]);
        }
        growth_calibrator *cp = make("method=platt"), *ct = make("method=temperature");
        CHECK_OK(growth_calibrator_fit(cp, s, y, weighted ? w : NULL, NULL, N));
        CHECK_OK(growth_calibrator_fit(ct, s, y, weighted ? w : NULL, NULL, N));
        double a = NAN, b = NAN, at = NAN, bt = NAN;
        CHECK_OK(growth_calibrator_sigmoid(cp, &a, &b));
        CHECK_OK(growth_calibrator_sigmoid(ct, &at, &bt));
        const double thi = (sy + 1) / (sy + 2), tlo = 1 / (sny + 2);
        long double ga = 0, gb = 0, gt = 0, W = 0;
        for (int i = 0; i < N; i++) {
            const double x = log((double)s[i]) - log1p(-(double)s[i]);
            const double t = y[i] == 1.0f ? thi : tlo;
            const double p = 1 / (1 + exp(-(a * x + b))), pt = 1 / (1 + exp(-at * x));
            ga += (long double)w[i] * (p - t) * x;
            gb += (long double)w[i] * (p - t);
            gt += (long double)w[i] * (pt - y[i]) * x;
            W += w[i];
        }
        CHECK(fabsl(ga) / W < 1e-12L);
        CHECK(fabsl(gb) / W < 1e-12L);
        CHECK(fabsl(gt) / W < 1e-12L);
        CHECK_NEAR(a, 0.7, 0.02);
        CHECK_NEAR(b, -1.0, 0.02);
        growth_calibrator_free(cp);
        growth_calibrator_free(ct);
    }
out:
    free(s);
    free(y);
    free(w);
}

/* ---- histogram binning against a direct computation -------------------------------------- */

TEST(test_histogram_bins)
{
    grng r;
    grng_seed(&r, 9);
    enum { N = 3000, B = 7 };
    float s[N], y[N], w[N];
    float lo = INFINITY, hi = -INFINITY;
    double W = 0, Wy = 0;
    for (int i = 0; i < N; i++) {
        s[i] = (float)grng_below(&r, 400) / 400.0f;
        y[i] = grng_uniform(&r) < s[i] ? 1.0f : 0.0f;
        w[i] = (float)(0.5 + grng_uniform(&r));
        lo = fminf(lo, s[i]);
        hi = fmaxf(hi, s[i]);
        W += w[i];
        Wy += w[i] * y[i];
    }
    /* Equal width: bin = largest k with lo + (hi - lo) k / B <= s. */
    growth_calibrator *cu = make("method=histogram binning=uniform bins=7");
    CHECK_OK(growth_calibrator_fit(cu, s, y, w, NULL, N));
    double bw[B] = {0}, bwy[B] = {0};
    int bin[N];
    for (int i = 0; i < N; i++) {
        int k = 0;
        while (k + 1 < B && lo + (hi - lo) * ((double)(k + 1) / B) <= s[i]) k++;
        bin[i] = k;
        bw[k] += w[i];
        bwy[k] += w[i] * y[i];
    }
    for (int i = 0; i < N; i++) CHECK_NEAR(apply1(cu, s[i], NULL), bwy[bin[i]] / bw[bin[i]], 1e-12);
    CHECK_NEAR(apply1(cu, -3, NULL), bwy[0] / bw[0], 1e-12);
    CHECK_NEAR(apply1(cu, 3, NULL), bwy[B - 1] / bw[B - 1], 1e-12);

    /* Equal weight: every bin's weight within one tie run of W / B; every sample gets its
     * bin's rate; bins never split a tie. */
    growth_calibrator *cq = make("method=histogram bins=7");
    CHECK_OK(growth_calibrator_fit(cq, s, y, w, NULL, N));
    double ex[64], ev[64];
    size_t nk = 0;
    CHECK_OK(growth_calibrator_knots(cq, NULL, ex, ev, 64, &nk));
    CHECK(nk == B);
    double qw[64] = {0}, qwy[64] = {0}, maxtie = 0;
    for (int i = 0; i < N; i++) {
        size_t k = 0;
        while (k + 1 < nk && ex[k + 1] <= s[i]) k++;
        qw[k] += w[i];
        qwy[k] += w[i] * y[i];
        double tie = 0;
        for (int j = 0; j < N; j++) tie += s[j] == s[i] ? w[j] : 0;
        maxtie = fmax(maxtie, tie);
    }
    for (size_t k = 0; k < nk; k++) {
        CHECK(fabs(qw[k] - W / B) <= maxtie + 1e-9);
        CHECK_NEAR(ev[k], qwy[k] / qw[k], 1e-12);
    }
    for (int i = 0; i < N; i += 37) {
        size_t k = 0;
        while (k + 1 < nk && ex[k + 1] <= s[i]) k++;
        CHECK_NEAR(apply1(cq, s[i], NULL), qwy[k] / qw[k], 1e-12);
    }
    (void)Wy;
    growth_calibrator_free(cu);
    growth_calibrator_free(cq);
}

/* ---- field-aware calibration ------------------------------------------------------------- */

enum { NFIELD = 50 };

/* A log where the base model's logit is off by a per-field slope and shift. Field f has a
 * share of traffic that falls with f; its true probability is sigmoid(z), the base score
 * sigmoid(slope_f z + shift_f). */
static void make_field_log(size_t n, uint64_t seed, float *s, float *y, int64_t *g)
{
    grng r;
    grng_seed(&r, 1234); /* the same miscalibration for train and test */
    double slope[NFIELD], shift[NFIELD];
    for (int f = 0; f < NFIELD; f++) {
        slope[f] = 0.6 + 0.9 * grng_uniform(&r);
        shift[f] = 1.6 * grng_uniform(&r) - 0.8;
    }
    grng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double u = grng_uniform(&r);
        int f = (int)(NFIELD * u * u);
        double z = -2.0 + 0.04 * f + 1.1 * grng_normal(&r);
        y[i] = grng_uniform(&r) < 1.0 / (1.0 + exp(-z)) ? 1.0f : 0.0f;
        s[i] = (float)(1.0 / (1.0 + exp(-(slope[f] * z + shift[f]))));
        g[i] = 1000 + 7 * f;
    }
}

TEST(test_field_beats_global_isotonic)
{
    enum { N = 300000 };
    float *s = malloc(N * sizeof *s), *y = malloc(N * sizeof *y);
    float *ts = malloc(N * sizeof *ts), *ty = malloc(N * sizeof *ty);
    float *pi = malloc(N * sizeof *pi), *pf = malloc(N * sizeof *pf);
    int64_t *g = malloc(N * sizeof *g), *tg = malloc(N * sizeof *tg);
    make_field_log(N, 1, s, y, g);
    make_field_log(N, 2, ts, ty, tg);
    growth_calibrator *ci = make("method=isotonic");
    growth_calibrator *cf = make("method=field buckets=20 min_bucket=200 prior=50");
    CHECK_OK(growth_calibrator_fit(ci, s, y, NULL, NULL, N));
    CHECK_OK(growth_calibrator_fit(cf, s, y, NULL, g, N));
    CHECK_OK(growth_calibrator_apply_batch(ci, ts, NULL, N, pi, N));
    CHECK_OK(growth_calibrator_apply_batch(cf, ts, tg, N, pf, N));
    double rce_raw, rce_i, rce_f, auc_i, auc_f, ece_i, ece_f;
    size_t used;
    CHECK_OK(growth_metrics_field_rce(ts, ty, NULL, tg, N, &rce_raw, &used));
    CHECK_OK(growth_metrics_field_rce(pi, ty, NULL, tg, N, &rce_i, &used));
    CHECK_OK(growth_metrics_field_rce(pf, ty, NULL, tg, N, &rce_f, &used));
    CHECK(used == NFIELD);
    CHECK_OK(growth_metrics_auc(pi, ty, NULL, N, &auc_i));
    CHECK_OK(growth_metrics_auc(pf, ty, NULL, N, &auc_f));
    CHECK_OK(growth_metrics_field_ece(pi, ty, NULL, tg, N, &ece_i));
    CHECK_OK(growth_metrics_field_ece(pf, ty, NULL, tg, N, &ece_f));
    printf("     field-RCE raw %.4f isotonic %.4f field %.4f; AUC isotonic %.4f field %.4f; "
           "field-ECE %.5f vs %.5f\n",
           rce_raw, rce_i, rce_f, auc_i, auc_f, ece_i, ece_f);
    CHECK(rce_f * 2.0 <= rce_i);
    CHECK(auc_f >= auc_i);
    CHECK(ece_f < ece_i);

    /* Unknown field ids and NULL fields use the global map. */
    int64_t unknown = 42;
    for (int i = 0; i < 100; i++) CHECK(apply1(cf, ts[i], &unknown) == apply1(cf, ts[i], NULL));
    /* Every own map is monotone. */
    double x[64], v[64];
    size_t k;
    for (int f = 0; f < NFIELD; f++) {
        int64_t id = 1000 + 7 * f;
        CHECK_OK(growth_calibrator_knots(cf, &id, x, v, 64, &k));
        for (size_t i = 1; i < k; i++) CHECK(x[i] > x[i - 1] && v[i] >= v[i - 1]);
    }
    growth_calibrator_free(ci);
    growth_calibrator_free(cf);
    free(s);
    free(y);
    free(ts);
    free(ty);
    free(pi);
    free(pf);
    free(g);
    free(tg);
}

TEST(test_field_rare_values_back_off)
{
    /* Field 1: plenty of data (own map); field 2: 50 samples (< 2 x min_bucket): the global map
     * times (sum y + prior m) / (sum g + prior m). */
    enum { N = 6050 };
    static float s[N], y[N];
    static int64_t g[N];
    grng r;
    grng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        s[i] = (float)grng_uniform(&r);
        g[i] = i < 6000 ? 1 : 2;
        double p = i < 6000 ? s[i] : 0.5 * s[i];
        y[i] = grng_uniform(&r) < p ? 1.0f : 0.0f;
    }
    const double prior = 20;
    growth_calibrator *c = make("method=field buckets=10 min_bucket=100 prior=20");
    CHECK_OK(growth_calibrator_fit(c, s, y, NULL, g, N));
    double sy = 0, sg = 0;
    for (int i = 6000; i < N; i++) {
        sy += y[i];
        sg += apply1(c, s[i], NULL);
    }
    const double m = sg / 50, scale = (sy + prior * m) / (sg + prior * m);
    int64_t two = 2, one = 1;
    for (int i = 0; i < 20; i++) {
        double x = 0.05 * i;
        CHECK_NEAR(apply1(c, x, &two), fmin(1.0, scale * apply1(c, x, NULL)), 1e-12);
    }
    char buf[512];
    CHECK_OK(growth_calibrator_summary(c, buf, sizeof buf, NULL));
    CHECK(strstr(buf, "fields=2 own_maps=1 scaled=1") != NULL);
    double x[64], v[64];
    size_t k1 = 0;
    CHECK_OK(growth_calibrator_knots(c, &one, x, v, 64, &k1));
    CHECK(k1 >= 2 && k1 <= 10);
    growth_calibrator_free(c);
}

/* ---- apply paths ------------------------------------------------------------------------- */

TEST(test_apply_paths_agree)
{
    enum { N = 4000 };
    static float s[N], y[N], fo[N], inplace[N];
    static double sd[N], dout[N];
    static int64_t g[N];
    grng r;
    grng_seed(&r, 17);
    for (int i = 0; i < N; i++) {
        s[i] = (float)grng_uniform(&r);
        y[i] = grng_uniform(&r) < s[i] ? 1.0f : 0.0f;
        g[i] = (int64_t)grng_below(&r, 4) - 2; /* negative ids too */
        sd[i] = s[i];
    }
    const char *cfgs[] = {"method=platt", "method=temperature", "method=isotonic",
                          "method=histogram binning=uniform bins=13", "method=field min_bucket=50 buckets=8"};
    for (int c = 0; c < 5; c++) {
        growth_calibrator *cal = make(cfgs[c]);
        CHECK_RC(growth_calibrator_apply_batch(cal, s, g, N, fo, N), GROWTH_ESTATE);
        CHECK_MSG("not fitted");
        CHECK_OK(growth_calibrator_fit(cal, s, y, NULL, g, N));
        CHECK_OK(growth_calibrator_apply_batch(cal, s, g, N, fo, N));
        CHECK_OK(growth_calibrator_apply_batch_f64(cal, sd, g, N, dout, N));
        memcpy(inplace, s, sizeof s);
        CHECK_OK(growth_calibrator_apply_batch(cal, inplace, g, N, inplace, N));
        int bad = 0;
        for (int i = 0; i < N; i++) {
            /* Platt / temperature compute the float path in single precision. */
            bad += c < 2 ? fabs(fo[i] - dout[i]) > 1e-6 : fo[i] != (float)dout[i];
            bad += inplace[i] != fo[i];
            bad += apply1(cal, s[i], &g[i]) != dout[i];
            bad += !(dout[i] >= 0 && dout[i] <= 1);
        }
        CHECK(bad == 0);
        CHECK_RC(growth_calibrator_apply_batch(cal, s, g, N, fo, N - 1), GROWTH_EBUFS);
        growth_calibrator_free(cal);
    }
}

/* ---- persistence ------------------------------------------------------------------------- */

TEST(test_save_load_round_trip)
{
    enum { N = 5000 };
    static float s[N], y[N], w[N], a[N], b[N];
    static int64_t g[N];
    grng r;
    grng_seed(&r, 23);
    for (int i = 0; i < N; i++) {
        s[i] = (float)grng_uniform(&r);
        y[i] = grng_uniform(&r) < s[i] * s[i] ? 1.0f : 0.0f;
        w[i] = (float)(0.5 + grng_uniform(&r));
        g[i] = (int64_t)grng_below(&r, 30) * 1000003;
    }
    const char *cfgs[] = {"method=platt input=margin", "method=temperature", "method=isotonic",
                          "method=histogram bins=12", "method=field min_bucket=40 prior=10"};
    char path[512], path2[512];
    gt_path(path, sizeof path, "calib_round_trip.model");
    gt_path(path2, sizeof path2, "calib_round_trip_ftrl.model");
    for (int c = 0; c < 5; c++) {
        growth_calibrator *cal = make(cfgs[c]), *back = NULL, *back2 = NULL;
        CHECK_RC(growth_calibrator_save(cal, path), GROWTH_ESTATE);
        CHECK_OK(growth_calibrator_fit(cal, s, y, w, g, N));
        CHECK_OK(growth_calibrator_save(cal, path));
        int kind = 0;
        CHECK_OK(growth_model_kind(path, &kind, NULL));
        CHECK(kind == GROWTH_KIND_CALIBRATOR);
        CHECK_OK(growth_calibrator_load(&back, path));
        if (!back) continue;
        CHECK_OK(growth_calibrator_apply_batch(cal, s, g, N, a, N));
        CHECK_OK(growth_calibrator_apply_batch(back, s, g, N, b, N));
        CHECK(memcmp(a, b, sizeof a) == 0);
        char c1[512], c2[512], s1[512], s2[512];
        CHECK_OK(growth_calibrator_config(cal, c1, sizeof c1, NULL));
        CHECK_OK(growth_calibrator_config(back, c2, sizeof c2, NULL));
        CHECK(strcmp(c1, c2) == 0);
        CHECK_OK(growth_calibrator_summary(cal, s1, sizeof s1, NULL));
        CHECK_OK(growth_calibrator_summary(back, s2, sizeof s2, NULL));
        CHECK(strcmp(s1, s2) == 0);

        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK_OK(growth_calibrator_serialize(cal, &buf, &len));
        CHECK_OK(growth_calibrator_deserialize(&back2, buf, len));
        CHECK_OK(growth_calibrator_apply_batch(back2, s, g, N, b, N));
        CHECK(memcmp(a, b, sizeof a) == 0);
        /* Every truncation and a flipped byte anywhere are EFORMAT, never a crash. */
        growth_calibrator *bad = NULL;
        int wrong = 0;
        for (size_t cut = 0; cut < len; cut += (len / 97) + 1)
            wrong += growth_calibrator_deserialize(&bad, buf, cut) != GROWTH_EFORMAT;
        for (size_t pos = 0; pos < len; pos += (len / 61) + 1) {
            buf[pos] ^= 0x5a;
            wrong += growth_calibrator_deserialize(&bad, buf, len) != GROWTH_EFORMAT;
            buf[pos] ^= 0x5a;
        }
        CHECK(wrong == 0);
        CHECK(bad == NULL);
        growth_buffer_free(buf);
        growth_calibrator_free(back);
        growth_calibrator_free(back2);
        growth_calibrator_free(cal);
    }
    /* A file of another kind. */
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=4"));
    CHECK_OK(growth_ftrl_save(m, path2));
    growth_ftrl_free(m);
    growth_calibrator *other = NULL;
    CHECK_RC(growth_calibrator_load(&other, path2), GROWTH_EFORMAT);
    CHECK_MSG("ftrl");
    CHECK_RC(growth_calibrator_load(&other, "/nonexistent/dir/x.model"), GROWTH_EIO);
    unlink(path);
    unlink(path2);
}

/* ---- bad input --------------------------------------------------------------------------- */

/* A saved calibrator whose stored configuration parses key by key into a value outside its
 * range, a method or binning that does not exist, or an unknown key (the calibrator's options
 * have no cross-key rule) is a damaged file, EFORMAT, not the EINVAL growth_calibrator_create
 * gives a caller. */
TEST(test_stored_config_out_of_range)
{
    enum { N = 500 };
    static float s[N], y[N];
    grng r;
    grng_seed(&r, 29);
    for (int i = 0; i < N; i++) {
        s[i] = (float)grng_uniform(&r);
        y[i] = grng_uniform(&r) < s[i] ? 1.0f : 0.0f;
    }
    growth_calibrator *cal = make("method=histogram bins=12");
    uint8_t *buf = NULL;
    size_t len = 0;
    if (cal) CHECK_OK(growth_calibrator_fit(cal, s, y, NULL, NULL, N));
    if (cal) CHECK_OK(growth_calibrator_serialize(cal, &buf, &len));
    static const char *const cfgs[] = {
        "method=histogram bins=12", /* the unchanged configuration: still loads */
        "method=histogram bins=0",
        "method=histogram max_iter=0",
        "method=histogram prior=-1",
        "method=histogram binning=log",
        "method=spline",
        "method=histogram colour=red",
    };
    for (size_t t = 0; buf && t < sizeof cfgs / sizeof cfgs[0]; t++) {
        growth_calibrator *c = NULL;
        CHECK_RC(growth_calibrator_create(&c, cfgs[t]), t ? GROWTH_EINVAL : GROWTH_OK); /* as a caller's */
        growth_calibrator_free(c);
        uint8_t *out = NULL;
        size_t olen = 0;
        CHECK_OK(gt_with_config(buf, len, &growth__calibrator__descriptor, cfgs[t], &out, &olen));
        if (!out) break;
        growth_calibrator *b = NULL;
        if (t == 0) {
            CHECK_OK(growth_calibrator_deserialize(&b, out, olen));
            CHECK(b && apply1(b, 0.3, NULL) == apply1(cal, 0.3, NULL));
            growth_calibrator_free(b);
        } else {
            CHECK_RC(growth_calibrator_deserialize(&b, out, olen), GROWTH_EFORMAT);
            CHECK_MSG("stored configuration is invalid");
            CHECK(b == NULL);
        }
        free(out);
    }
    growth_buffer_free(buf);
    growth_calibrator_free(cal);
}

TEST(test_bad_input)
{
    growth_calibrator *c = NULL;
    CHECK_RC(growth_calibrator_create(NULL, ""), GROWTH_EINVAL);
    CHECK_RC(growth_calibrator_create(&c, "method=spline"), GROWTH_EINVAL);
    CHECK_MSG("method");
    CHECK_RC(growth_calibrator_create(&c, "bins=0"), GROWTH_EINVAL);
    CHECK_MSG("bins");
    CHECK_RC(growth_calibrator_create(&c, "prior=-1"), GROWTH_EINVAL);
    CHECK_MSG("prior");
    CHECK_RC(growth_calibrator_create(&c, "smoothing=3"), GROWTH_EINVAL);
    CHECK_MSG("smoothing");
    CHECK(c == NULL);
    growth_calibrator_free(NULL);

    c = make("method=isotonic");
    const float s[] = {0.1f, 0.4f, 0.35f, 0.8f}, y[] = {0, 0, 1, 1}, w[] = {1, 2, 1, 1};
    const int64_t g[] = {1, 1, 2, 2};
    double out;
    CHECK_RC(growth_calibrator_apply(c, 0.5, NULL, &out), GROWTH_ESTATE);
    CHECK_MSG("growth_calibrator_apply: the calibrator is not fitted");
    CHECK_RC(growth_calibrator_fit(NULL, s, y, w, NULL, 4), GROWTH_EINVAL);
    CHECK_RC(growth_calibrator_fit(c, NULL, y, w, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("scores is NULL");
    CHECK_RC(growth_calibrator_fit(c, s, NULL, w, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("labels is NULL");
    CHECK_OK(growth_calibrator_fit(c, s, y, w, NULL, 4));
    double before[3] = {apply1(c, 0.2, NULL), apply1(c, 0.37, NULL), apply1(c, 0.9, NULL)};

    const float snan[] = {0.1f, NAN, 0.3f, 0.2f}, sinf[] = {0.1f, INFINITY, 0.3f, 0.2f};
    const float ybad[] = {0, 1.5f, 1, 0}, yneg[] = {0, -0.5f, 1, 0};
    const float wnan[] = {1, 1, NAN, 1}, wneg[] = {1, -1, 1, 1}, wzero[] = {0, 0, 0, 1};
    const float yone[] = {1, 1, 1, 1}, yzero[] = {0, 0, 0, 0};
    CHECK_RC(growth_calibrator_fit(c, snan, y, w, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("growth_calibrator_fit: scores[1] = nan is not finite");
    CHECK_RC(growth_calibrator_fit(c, sinf, y, w, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("scores[1] = inf");
    CHECK_RC(growth_calibrator_fit(c, s, ybad, w, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("labels[1] = 1.5 is outside [0, 1]");
    CHECK_RC(growth_calibrator_fit(c, s, yneg, w, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("labels[1]");
    CHECK_RC(growth_calibrator_fit(c, s, y, wnan, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("weights[2] = nan");
    CHECK_RC(growth_calibrator_fit(c, s, y, wneg, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("weights[1] = -1");
    CHECK_RC(growth_calibrator_fit(c, s, y, wzero, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("1 samples of positive weight");
    CHECK_RC(growth_calibrator_fit(c, s, y, w, NULL, 1), GROWTH_EINVAL);
    CHECK_MSG("at least 2 samples");
    CHECK_RC(growth_calibrator_fit(c, s, yone, w, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("all labels are 1 (one class)");
    CHECK_RC(growth_calibrator_fit(c, s, yzero, NULL, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("all labels are 0");
    /* The previous fit is untouched and usable. */
    CHECK(apply1(c, 0.2, NULL) == before[0]);
    CHECK(apply1(c, 0.37, NULL) == before[1]);
    CHECK(apply1(c, 0.9, NULL) == before[2]);
    /* Apply: NaN scores, NULLs, short buffers. */
    CHECK_RC(growth_calibrator_apply(c, NAN, NULL, &out), GROWTH_EINVAL);
    CHECK_MSG("score is NaN");
    float fo[4];
    CHECK_RC(growth_calibrator_apply_batch(c, snan, NULL, 4, fo, 4), GROWTH_EINVAL);
    CHECK_MSG("growth_calibrator_apply_batch: scores[1] is NaN");
    CHECK_RC(growth_calibrator_apply_batch(c, s, NULL, 4, fo, 3), GROWTH_EBUFS);
    CHECK_RC(growth_calibrator_apply_batch(c, s, NULL, 4, NULL, 4), GROWTH_EINVAL);
    CHECK_RC(growth_calibrator_apply_batch(c, NULL, NULL, 4, fo, 4), GROWTH_EINVAL);
    CHECK_RC(growth_calibrator_apply(c, 0.5, NULL, NULL), GROWTH_EINVAL);
    CHECK_OK(growth_calibrator_apply_batch(c, s, NULL, 0, fo, 0));
    double a, b;
    CHECK_RC(growth_calibrator_sigmoid(c, &a, &b), GROWTH_ESTATE);
    CHECK_MSG("isotonic");
    char small[8];
    size_t need = 0;
    CHECK_RC(growth_calibrator_config(c, small, sizeof small, &need), GROWTH_EBUFS);
    CHECK(need > sizeof small);
    CHECK_RC(growth_calibrator_save(c, NULL), GROWTH_EINVAL);
    growth_calibrator_free(c);

    /* Method-specific rules. */
    c = make("method=field");
    CHECK_RC(growth_calibrator_fit(c, s, y, NULL, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("method=field needs field ids");
    CHECK_OK(growth_calibrator_fit(c, s, y, NULL, g, 4));
    growth_calibrator_free(c);
    c = make("method=platt");
    const float big[] = {0.1f, 2.0f, 0.3f, 0.2f};
    CHECK_RC(growth_calibrator_fit(c, big, y, NULL, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("scores[1] = 2 is outside [0, 1]");
    CHECK_RC(growth_calibrator_knots(c, NULL, NULL, NULL, 0, &need), GROWTH_ESTATE);
    growth_calibrator_free(c);
    c = make("method=platt input=margin");
    CHECK_OK(growth_calibrator_fit(c, big, y, NULL, NULL, 4));
    CHECK_RC(growth_calibrator_knots(c, NULL, NULL, NULL, 0, &need), GROWTH_ESTATE);
    CHECK_MSG("no knots");
    growth_calibrator_free(c);
}

int main(void)
{
    RUN(test_sklearn_goldens);
    RUN(test_isotonic_vs_minmax);
    RUN(test_isotonic_knots_are_trimmed_thresholds);
    RUN(test_platt_temperature_stationary);
    RUN(test_platt_temperature_converge_200k);
    RUN(test_histogram_bins);
    RUN(test_field_beats_global_isotonic);
    RUN(test_field_rare_values_back_off);
    RUN(test_apply_paths_agree);
    RUN(test_save_load_round_trip);
    RUN(test_stored_config_out_of_range);
    RUN(test_bad_input);
    return GT_SUMMARY();
}
