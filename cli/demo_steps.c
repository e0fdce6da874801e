/* The later steps of `growth demo`: the CVR forest and its calibration, coupon choice with a
 * bandit under delayed feedback, the red-packet knapsack and the channel budget. Public API
 * only; each step prints its part of the report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "cli.h"
#include "demo.h"

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

/* ---- CVR forest on downsampled negatives, then calibration --------------------------------- */

int demo_cvr_and_calibration(demo_world *w, demo_rng *r, int quiet)
{
    /* Clicked impressions: dense features an ad server has (noisy user and item purchase
     * histories, log price, city, category, hour); the label is the purchase. */
    const size_t n = (size_t)w->users * 4, F = 6;
    float *X = malloc(n * F * sizeof *X), *y = malloc(n * sizeof *y), *wt = malloc(n * sizeof *wt);
    double *truth = malloc(n * sizeof *truth);
    if (!X || !y || !wt || !truth) return CLI_EXIT_FAILED;
    for (size_t t = 0; t < n; t++) {
        long u = (long)(demo_next(r) % (uint64_t)w->users), i = (long)(demo_next(r) % (uint64_t)w->items);
        double m = demo_buy_margin(w, u, i);
        float *x = X + t * F;
        x[0] = (float)(w->u_buy[u] + 0.3 * demo_norm(r));
        x[1] = (float)(w->i_buy[i] + 0.3 * demo_norm(r));
        x[2] = (float)log(w->i_price[i]);
        x[3] = (float)w->u_city[u];
        x[4] = (float)w->i_cat[i];
        x[5] = (float)(demo_next(r) % 24);
        truth[t] = sigm(m);
        y[t] = demo_unif(r) < truth[t] ? 1.0f : 0.0f;
        wt[t] = 1.0f;
    }
    /* Train on the first half with negatives downsampled 1:4 (a common trick that inflates
     * the predicted rate), calibrate on the third quarter, evaluate on the last quarter. */
    size_t ntr = n / 2, ncal = n / 4, nte = n - ntr - ncal;
    float *Xtr = malloc(ntr * F * sizeof *Xtr), *ytr = malloc(ntr * sizeof *ytr);
    size_t m = 0;
    for (size_t t = 0; t < ntr; t++) {
        if (y[t] == 0.0f && demo_next(r) % 4 != 0) continue;
        memcpy(Xtr + m * F, X + t * F, F * sizeof *X);
        ytr[m++] = y[t];
    }
    growth_forest_data train = {sizeof train, 0, m, F, Xtr, NULL, NULL, NULL, ytr, NULL};
    growth_forest *f = NULL;
    int rc = growth_forest_train(&f, "num_rounds=60 threads=2",
                                 "objective=binary:logistic max_depth=4 eta=0.2 subsample=0.9", &train, NULL,
                                 NULL, NULL);
    if (rc) return cli_fail("demo: forest", rc);
    float *p = malloc((ncal + nte) * sizeof *p), *q = malloc(nte * sizeof *q);
    rc = growth_forest_predict_dense(f, X + ntr * F, ncal + nte, F, 0, p, ncal + nte);
    if (rc) return cli_fail("demo: forest predict", rc);
    growth_calibrator *cal = NULL;
    rc = growth_calibrator_create(&cal, "method=isotonic");
    if (!rc) rc = growth_calibrator_fit(cal, p, y + ntr, NULL, NULL, ncal);
    if (!rc) rc = growth_calibrator_apply_batch(cal, p + ncal, NULL, nte, q, nte);
    if (rc) return cli_fail("demo: calibrate", rc);
    const float *yte = y + ntr + ncal, *pte = p + ncal;
    double auc0, auc1, ll0, ll1, ece0, ece1, pc0, pc1;
    growth_metrics_auc(pte, yte, NULL, nte, &auc0);
    growth_metrics_auc(q, yte, NULL, nte, &auc1);
    growth_metrics_logloss(pte, yte, NULL, nte, &ll0);
    growth_metrics_logloss(q, yte, NULL, nte, &ll1);
    growth_metrics_ece(pte, yte, NULL, nte, "bins=20 binning=quantile", &ece0);
    growth_metrics_ece(q, yte, NULL, nte, "bins=20 binning=quantile", &ece1);
    growth_metrics_pcoc(pte, yte, NULL, nte, &pc0);
    growth_metrics_pcoc(q, yte, NULL, nte, &pc1);
    growth_forest_stats fst = GROWTH_FOREST_STATS_INIT;
    growth_forest_stats_get(f, &fst);
    demo_out("\nCVR: GBDT (%llu trees via libxgboost, native evaluator) on %zu clicks, negatives downsampled "
             "1:4\n",
             (unsigned long long)fst.trees, m);
    demo_out("  %-26s %8s %8s %8s %8s\n", "model", "AUC", "logloss", "ECE", "PCOC");
    demo_out("  %-26s %8.4f %8.4f %8.4f %8.3f\n", "pCVR raw", auc0, ll0, ece0, pc0);
    demo_out("  %-26s %8.4f %8.4f %8.4f %8.3f\n", "pCVR isotonic-calibrated", auc1, ll1, ece1, pc1);
    (void)quiet;
    FILE *rf = demo_report_open("calibration.csv");
    if (rf) {
        fprintf(rf, "raw,calibrated,label\n");
        size_t step = nte > 20000 ? nte / 20000 : 1;
        for (size_t t = 0; t < nte; t += step) fprintf(rf, "%.6g,%.6g,%g\n", pte[t], q[t], yte[t]);
        fclose(rf);
    }
    /* Keep the calibrated model's average rate for the budget step. */
    double s = 0;
    for (size_t t = 0; t < nte; t++) s += q[t];
    w->mean_pcvr = s / (double)nte;
    growth_calibrator_free(cal);
    growth_forest_free(f);
    free(X);
    free(y);
    free(wt);
    free(truth);
    free(Xtr);
    free(ytr);
    free(p);
    free(q);
    return CLI_EXIT_OK;
}

/* ---- coupons by user segment: the shared logistic TS over user x coupon crosses ------------- */

/* The redemption of a coupon depends on the user's segment (the best coupon differs by segment).
 * The shared logistic TS (policy=logistic_ts, Chapelle & Li 2011) scores each coupon's row of
 * hashed features (segment, coupon, segment x coupon, from the row builder); per-coupon Beta TS
 * sees no context. Regret is against the best coupon of each request's segment. Its own PRNG, so
 * the steps after it draw what they drew before. */
static int demo_bandit_contextual(void)
{
    enum { SEG = 4, CP = 6, STEPS = 40000, DELAY = 200, NNZ = 3 };
    static const double rate[SEG][CP] = {{0.060, 0.020, 0.030, 0.025, 0.015, 0.030},
                                         {0.020, 0.055, 0.030, 0.025, 0.020, 0.030},
                                         {0.025, 0.030, 0.020, 0.060, 0.020, 0.030},
                                         {0.030, 0.025, 0.035, 0.020, 0.015, 0.065}};
    static const char *const names[2] = {"shared logistic TS (crosses)", "per-coupon Beta TS"};
    uint64_t indptr[CP + 1];
    uint32_t idx[SEG][CP * NNZ];
    float val[SEG][CP * NNZ];
    growth_row *row = NULL;
    int rc = growth_row_create(&row, "bits=16 seed=0");
    for (int sg = 0; sg < SEG && !rc; sg++)
        for (int a = 0; a < CP && !rc; a++) {
            char sv[16], av[16];
            snprintf(sv, sizeof sv, "s%d", sg);
            snprintf(av, sizeof av, "c%d", a);
            const char *f[2] = {"segment", "coupon"}, *v[2] = {sv, av};
            growth_row_clear(row);
            rc = growth_row_add_cat(row, "segment", sv);
            if (!rc) rc = growth_row_add_cat(row, "coupon", av);
            if (!rc) rc = growth_row_add_cross(row, f, v, 2);
            if (!rc && growth_row_size(row) != NNZ) rc = GROWTH_ESTATE;
            if (!rc) {
                memcpy(idx[sg] + a * NNZ, growth_row_indices(row), NNZ * sizeof(uint32_t));
                memcpy(val[sg] + a * NNZ, growth_row_values(row), NNZ * sizeof(float));
            }
        }
    growth_row_free(row);
    if (rc) return cli_fail("demo: coupon rows", rc);
    for (int a = 0; a <= CP; a++) indptr[a] = (uint64_t)(a * NNZ);
    double best[SEG], regret[2] = {0, 0};
    long hits[2] = {0, 0};
    for (int sg = 0; sg < SEG; sg++) {
        best[sg] = 0;
        for (int a = 0; a < CP; a++) best[sg] = rate[sg][a] > best[sg] ? rate[sg][a] : best[sg];
    }
    for (int pi = 0; pi < 2; pi++) {
        demo_rng r = {2024}; /* the same users and redemption draws for both policies */
        growth_bandit *b = NULL;
        rc = growth_bandit_create(&b, pi == 0 ? "policy=logistic_ts seed=11 bits=16 ttl=100000"
                                              : "policy=thompson seed=11 ttl=100000");
        for (int a = 0; a < CP && !rc && pi == 1; a++) rc = growth_bandit_add_arm(b, (uint64_t)a, 0.04, 20);
        if (rc) return cli_fail("demo: contextual bandit", rc);
        uint64_t pend_d[DELAY];
        double pend_r[DELAY];
        for (long t = 0; t < STEPS; t++) {
            int sg = (int)(demo_unif(&r) * SEG);
            double u = demo_unif(&r);
            uint64_t d, arm;
            size_t j = 0;
            rc = pi == 0 ? growth_bandit_select_csr(b, indptr, idx[sg], val[sg], CP, NULL, NULL, &d, &j, NULL)
                         : growth_bandit_select(b, NULL, 0, NULL, 0, &d, &arm, NULL);
            if (rc) return cli_fail("demo: contextual bandit select", rc);
            int a = pi == 0 ? (int)j : (int)arm;
            regret[pi] += best[sg] - rate[sg][a];
            hits[pi] += rate[sg][a] == best[sg];
            size_t slot = (size_t)(t % DELAY);
            if (t >= DELAY) growth_bandit_reward(b, pend_d[slot], pend_r[slot]);
            pend_d[slot] = d;
            pend_r[slot] = u < rate[sg][a] ? 1.0 : 0.0;
        }
        growth_bandit_free(b);
    }
    demo_out("\nCoupons by user segment: %d segments x %d coupons, the best coupon differs by segment, %d "
             "requests, rewards %d late\n",
             SEG, CP, STEPS, DELAY);
    demo_out("  %-30s %10s %18s\n", "policy", "regret", "best-coupon share");
    for (int pi = 0; pi < 2; pi++)
        demo_out("  %-30s %10.1f %17.1f%%\n", names[pi], regret[pi], 100.0 * (double)hits[pi] / STEPS);
    return CLI_EXIT_OK;
}

/* ---- coupons: Thompson Sampling under delayed feedback ------------------------------------- */

int demo_bandit(demo_world *w, demo_rng *r, int quiet)
{
    enum { COUPONS = 6, DELAY = 500 };
    const double rate[COUPONS] = {0.030, 0.042, 0.051, 0.047, 0.022, 0.038}; /* redemption */
    const long steps = 200000;
    double best = 0;
    for (int a = 0; a < COUPONS; a++) best = rate[a] > best ? rate[a] : best;
    const char *policies[3] = {"thompson", "ucb1", "egreedy"};
    enum { EVERY = 2000 };
    const size_t npts = (size_t)(steps / EVERY) + 1;
    double *curve = calloc(3 * npts, sizeof *curve);
    if (!curve) return CLI_EXIT_FAILED;
    demo_out("\nCoupons: %d red-packet types, %ld requests, rewards arrive %d requests late\n", COUPONS,
             steps, DELAY);
    demo_out("  %-10s %12s %14s\n", "policy", "regret", "best-arm share");
    for (int pi = 0; pi < 3; pi++) {
        growth_bandit *b = NULL;
        char cfg[128];
        snprintf(cfg, sizeof cfg, "policy=%s seed=11 ttl=100000", policies[pi]);
        int rc = growth_bandit_create(&b, cfg);
        for (int a = 0; a < COUPONS && !rc; a++) rc = growth_bandit_add_arm(b, (uint64_t)a, 0.04, 20);
        if (rc) return cli_fail("demo: bandit", rc);
        uint64_t pend_d[DELAY];
        double pend_r[DELAY];
        double regret = 0;
        long best_hits = 0;
        for (long t = 0; t < steps; t++) {
            uint64_t d, arm;
            double prop;
            rc = growth_bandit_select(b, NULL, 0, NULL, 0, &d, &arm, &prop);
            if (rc) return cli_fail("demo: bandit select", rc);
            regret += best - rate[arm];
            if ((t + 1) % EVERY == 0) curve[(size_t)pi * npts + (size_t)((t + 1) / EVERY)] = regret;
            best_hits += rate[arm] == best;
            size_t slot = (size_t)(t % DELAY);
            if (t >= DELAY) growth_bandit_reward(b, pend_d[slot], pend_r[slot]);
            pend_d[slot] = d;
            pend_r[slot] = demo_unif(r) < rate[arm] ? 1.0 : 0.0;
        }
        demo_out("  %-10s %12.1f %13.1f%%\n", policies[pi], regret,
                 100.0 * (double)best_hits / (double)steps);
        growth_bandit_free(b);
    }
    FILE *rf = demo_report_open("regret.csv");
    if (rf) {
        fprintf(rf, "step,thompson,ucb1,egreedy\n");
        for (size_t k = 0; k < npts; k++)
            fprintf(rf, "%zu,%.3f,%.3f,%.3f\n", k * EVERY, curve[k], curve[npts + k], curve[2 * npts + k]);
        fclose(rf);
    }
    free(curve);
    (void)w;
    (void)quiet;
    return demo_bandit_contextual();
}

/* ---- the red-packet knapsack and the channel budget ----------------------------------------- */

int demo_budget(demo_world *w, demo_rng *r, int quiet)
{
    /* Each user may get one of 3 red packets (5, 10, 20 yuan) or none. Value: the expected
     * extra order value (uplift grows with the face value, with diminishing returns);
     * cost: face value x redemption probability. */
    const size_t U = (size_t)w->users, J = 3;
    const double face[3] = {5, 10, 20};
    uint64_t *indptr = malloc((U + 1) * sizeof *indptr);
    double *v = malloc(U * J * sizeof *v), *c = malloc(U * J * sizeof *c);
    int32_t *choice = malloc(U * sizeof *choice);
    if (!indptr || !v || !c || !choice) return CLI_EXIT_FAILED;
    double base = w->mean_pcvr > 0 ? w->mean_pcvr : 0.1;
    for (size_t u = 0; u < U; u++) {
        indptr[u] = u * J;
        double sens = 0.5 + demo_unif(r), order = 80 * exp(0.4 * demo_norm(r));
        double p0 = base * sigm(w->u_buy[u]) * 2;
        for (size_t j = 0; j < J; j++) {
            double uplift = p0 * sens * 0.35 * log1p(face[j] / 5.0);
            double redeem = fmin(0.95, p0 + uplift);
            v[u * J + j] = uplift * order;
            c[u * J + j] = face[j] * redeem;
        }
    }
    indptr[U] = U * J;
    double total_cost_max = 0;
    for (size_t u = 0; u < U; u++) total_cost_max += c[u * J + 2];
    double B = 0.25 * total_cost_max;
    growth_mckp *s = NULL;
    int rc = growth_mckp_create(&s, "threads=2");
    if (!rc) rc = growth_mckp_solve(s, indptr, U, v, c, 1, &B, choice, U);
    if (rc) return cli_fail("demo: knapsack", rc);
    growth_mckp_result res = GROWTH_MCKP_RESULT_INIT;
    growth_mckp_result_get(s, &res);
    /* Baseline: the 10-yuan packet to users in order until the budget runs out. */
    double bv = 0, bc = 0;
    for (size_t u = 0; u < U && bc + c[u * J + 1] <= B; u++) bv += v[u * J + 1], bc += c[u * J + 1];
    demo_out(
        "\nRed packets: %zu users x %zu packets, budget %.0f yuan (25%% of giving everyone the largest)\n", U,
        J, B);
    demo_out("  knapsack plan: value %.0f, LP bound %.0f, certified gap %.2e (relative), %llu users served\n",
             res.value, res.dual_bound, res.rel_gap, (unsigned long long)res.n_chosen);
    demo_out("  same budget, 10-yuan packet first come first served: value %.0f (%.2fx less)\n", bv,
             res.value / bv);
    growth_mckp_free(s);
    free(indptr);
    free(v);
    free(c);
    free(choice);

    /* Channels: installs as a function of spend. */
    enum { NCH = 4 };
    static const double pts_x[4] = {0, 50000, 150000, 300000}, pts_y[4] = {0, 9000, 20000, 26000};
    static const struct {
        const char *name;
        growth_curve kind; /* GROWTH_CURVE_EXP, GROWTH_CURVE_LOG, or 0 for the measured points above */
        double a, b, min, max;
    } chs[NCH] = {
        {"app-store search", GROWTH_CURVE_EXP, 60000, 1.0 / 150000, 0, INFINITY},
        {"short-video feeds", GROWTH_CURVE_LOG, 14000, 1.0 / 20000, 10000, INFINITY},
        {"social", GROWTH_CURVE_EXP, 25000, 1.0 / 60000, 0, 150000},
        {"offline", (growth_curve)0, 0, 0, 0, INFINITY},
    };
    /* One set with every channel, and one set per channel for the equal split. */
    growth_channels *ch = NULL, *one[NCH] = {NULL};
    rc = growth_channels_create(&ch, "");
    for (int k = 0; k < NCH && !rc; k++) {
        growth_channels *sets[2] = {ch, NULL};
        rc = growth_channels_create(&one[k], "");
        sets[1] = one[k];
        for (int j = 0; j < 2 && !rc; j++) {
            rc = chs[k].kind ? growth_channels_add(sets[j], chs[k].kind, chs[k].a, chs[k].b, 1.0, chs[k].min,
                                                   chs[k].max, NULL)
                             : growth_channels_add_points(sets[j], pts_x, pts_y, 4, 1.0, chs[k].min,
                                                          chs[k].max, NULL);
        }
    }
    if (rc) {
        for (int k = 0; k < NCH; k++) growth_channels_free(one[k]);
        growth_channels_free(ch);
        return cli_fail("demo: channels", rc);
    }
    double budget = 600000, spend[NCH], out[NCH], total, marginal, eq_total = 0;
    rc = growth_channels_allocate(ch, budget, spend, out, NCH, &total, &marginal);
    for (int k = 0; k < NCH && !rc; k++) {
        double s1, o1;
        rc = growth_channels_allocate(one[k], budget / NCH, &s1, &o1, 1, NULL, NULL);
        eq_total += o1;
        growth_channels_free(one[k]);
    }
    if (rc) return cli_fail("demo: channels", rc);
    demo_out("\nChannels: %.0f yuan over %d channels (installs)\n", budget, NCH);
    for (int k = 0; k < NCH; k++)
        demo_out("  %-18s spend %9.0f  installs %8.0f\n", chs[k].name, spend[k], out[k]);
    demo_out("  total installs %.0f (equal split: %.0f); one more yuan buys %.4f installs\n", total, eq_total,
             marginal);
    FILE *rf = demo_report_open("channels.csv");
    if (rf) {
        enum { NB = 41 };
        double bs[NB], tot[NB], mar[NB];
        /* from the channels' minimum spend (10000) to twice the budget */
        for (int k = 0; k < NB; k++) bs[k] = 10000.0 + (2.0 * budget - 10000.0) * k / (NB - 1);
        if (growth_channels_curve(ch, bs, NB, tot, mar, NULL, 0) == GROWTH_OK) {
            fprintf(rf, "budget,installs,marginal\n");
            for (int k = 0; k < NB; k++) fprintf(rf, "%.6g,%.6g,%.6g\n", bs[k], tot[k], mar[k]);
        }
        fclose(rf);
    }
    growth_channels_free(ch);
    (void)quiet;
    return CLI_EXIT_OK;
}
