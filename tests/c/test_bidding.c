/* Bidding and pacing: exact bid formulas, the plan, the controller's step, shading against the
 * true market curve, a simulated day (pacing within 5% of plan every hour and 1% of budget at
 * the end; cost per conversion within 5% of target when calibrated, missed by a model that
 * over-predicts by 20%), persistence and bad input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "bidder.pb-c.h"
#include "core.h"
#include "growth/growth.h"
#define GROWTH_SYS_UNSTABLE /* the auction simulator */
#include "growth/sys/bidding.h"
#include "gtest.h"
#include "stored_config.h"

/* The pacing state and counters through growth_bidder_stats_get(); any pointer may be NULL. */
static int bstats(const growth_bidder *b, double *multiplier, double *rate, double *spent,
                  uint64_t *auction_results)
{
    growth_bidder_stats st = GROWTH_BIDDER_STATS_INIT; /* zeros if the call fails */
    int rc = growth_bidder_stats_get(b, &st);
    if (multiplier) *multiplier = st.multiplier;
    if (rate) *rate = st.rate;
    if (spent) *spent = st.spent;
    if (auction_results) *auction_results = st.auction_results;
    return rc;
}

/* Planned spend at t and the spend so far. */
static int plan_spent(const growth_bidder *b, double t, double *planned, double *spent)
{
    int rc = bstats(b, NULL, NULL, spent, NULL);
    return rc ? rc : growth_bidder_plan(b, t, planned);
}

/* The win rate at a price and the number of auction results behind it. */
static int win_rate_obs(const growth_bidder *b, double price, double *rate, uint64_t *obs)
{
    int rc = bstats(b, NULL, NULL, NULL, obs);
    return rc ? rc : growth_bidder_win_rate(b, price, rate);
}

/* A diurnal traffic curve (hourly shares): low at night, peaks at noon and in the evening. */
#define DIURNAL "2|1.2|0.8|0.6|0.6|0.8|1.5|3|4.5|5.5|6|6.5|7|6.5|6|5.5|5.5|6|7|8.5|9.5|9|7|4"

static growth_bidder *mk(const char *cfg)
{
    growth_bidder *b = NULL;
    int rc = growth_bidder_create(&b, cfg);
    if (rc != GROWTH_OK) {
        fprintf(stderr, "  create '%s': %s\n", cfg, growth_last_error());
        gt_failed_checks++;
    }
    return b;
}

static growth_bidder_sim_result run_day(const char *bidder_cfg, const char *sim_cfg,
                                        const growth_calibrator *cc, const growth_calibrator *vc,
                                        double *spend, double *plan)
{
    growth_bidder_sim_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    growth_bidder *b = mk(bidder_cfg);
    growth_bidder_sim *s = NULL;
    CHECK_OK(growth_bidder_sim_create(&s, sim_cfg));
    if (b && s) CHECK_OK(growth_bidder_sim_run(s, b, cc, vc, &r, spend, plan, 24, NULL));
    growth_bidder_sim_free(s);
    growth_bidder_free(b);
    return r;
}

/* Spend of a day without pacing and without a binding budget. */
static double free_spend(const char *sim_cfg)
{
    growth_bidder_sim_result r =
        run_day("target_cpa=100 budget=1e12 controller=none", sim_cfg, NULL, NULL, NULL, NULL);
    return r.spend;
}

static void print_curve(const char *name, const double *spend, const double *plan)
{
    printf("  %s: hour spend/plan:", name);
    for (int h = 0; h < 24; h++) printf(" %.3f", spend[h] / plan[h]);
    printf("\n");
}

static void check_pacing(const char *name, const char *ctl, const char *plan_cfg, const char *sim_cfg)
{
    double s0 = free_spend(sim_cfg);
    double budget = 0.5 * s0;
    char cfg[512];
    snprintf(cfg, sizeof cfg, "target_cpa=100 budget=%.6f %s %s", budget, ctl, plan_cfg);
    double spend[24], plan[24];
    growth_bidder_sim_result r = run_day(cfg, sim_cfg, NULL, NULL, spend, plan);
    print_curve(name, spend, plan);
    printf("  %s: unpaced spend %.1f, budget %.1f, spent %.1f (%.3f%%), max hourly error %.2f%%\n", name, s0,
           budget, r.spend, 100 * (r.spend / budget - 1), 100 * r.max_plan_error);
    CHECK(s0 > 1.8 * budget); /* the budget binds: unpaced bidding would spend twice as much */
    CHECK(r.max_plan_error < 0.05);
    for (int h = 0; h < 24; h++) CHECK(fabs(spend[h] - plan[h]) <= 0.05 * plan[h]);
    CHECK(fabs(r.spend - budget) <= 0.01 * budget);
    CHECK_NEAR(plan[23], budget, 1e-6 * budget);
}

TEST(test_pacing_uniform_pid)
{
    check_pacing("uniform/pid", "controller=pid", "plan=uniform",
                 "impressions=300000 seed=1 traffic_noise=0.05 "
                 "traffic=1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1|1");
}

TEST(test_pacing_curve_pid)
{
    check_pacing("curve/pid", "controller=pid", "plan=curve curve=" DIURNAL,
                 "impressions=300000 seed=2 traffic_noise=0.1 traffic=" DIURNAL);
}

TEST(test_pacing_curve_throttle)
{
    check_pacing("curve/throttle", "controller=throttle", "plan=curve curve=" DIURNAL,
                 "impressions=300000 seed=3 traffic_noise=0.1 traffic=" DIURNAL);
}

/* Calibrators of the simulated model's raw pCTR / pCVR, fitted on a log of the same model. */
static void fit_calibrators(const char *sim_cfg, growth_calibrator **cc, growth_calibrator **vc)
{
    enum { N = 400000 };
    float *rc = malloc(N * sizeof *rc), *rv = malloc(N * sizeof *rv);
    float *click = malloc(N * sizeof *click), *conv = malloc(N * sizeof *conv);
    growth_bidder_sim *s = NULL;
    CHECK_OK(growth_bidder_sim_create(&s, sim_cfg));
    CHECK_OK(growth_bidder_sim_sample(s, N, rc, rv, click, conv));
    CHECK_OK(growth_calibrator_create(cc, "method=isotonic"));
    CHECK_OK(growth_calibrator_fit(*cc, rc, click, NULL, NULL, N));
    /* pCVR is a rate among clicks: fit on clicked impressions only. */
    size_t m = 0;
    for (size_t i = 0; i < N; i++)
        if (click[i] > 0) {
            rv[m] = rv[i];
            conv[m] = conv[i];
            m++;
        }
    CHECK_OK(growth_calibrator_create(vc, "method=isotonic"));
    CHECK_OK(growth_calibrator_fit(*vc, rv, conv, NULL, NULL, m));
    growth_bidder_sim_free(s);
    free(rc);
    free(rv);
    free(click);
    free(conv);
}

#define CPA_MARKET "ctr=0.1 cvr=0.2 spread=0.5 market_median=2 market_sigma=0.5 auction=first"

TEST(test_cpa_calibrated_vs_overpredicting)
{
    const char *bidder = "target_cpa=100 budget=1e12 auction=first shading=false";
    const char *model = "overpredict=1.2 model_noise=0.3 seed=11 " CPA_MARKET;
    growth_calibrator *cc = NULL, *vc = NULL;
    fit_calibrators(model, &cc, &vc);
    char sim[256];
    snprintf(sim, sizeof sim, "impressions=600000 overpredict=1.2 model_noise=0.3 seed=12 %s", CPA_MARKET);
    growth_bidder_sim_result cal = run_day(bidder, sim, cc, vc, NULL, NULL);
    growth_bidder_sim_result raw = run_day(bidder, sim, NULL, NULL, NULL, NULL);
    snprintf(sim, sizeof sim, "impressions=600000 seed=12 %s", CPA_MARKET);
    growth_bidder_sim_result truth = run_day(bidder, sim, NULL, NULL, NULL, NULL);
    printf("  CPA (target 100): true rates %.2f (expected %.2f, %llu conversions); calibrated %.2f "
           "(expected %.2f, %llu conv.); uncalibrated x1.2 %.2f (expected %.2f, %llu conv.)\n",
           truth.cpa, truth.expected_cpa, (unsigned long long)truth.conversions, cal.cpa, cal.expected_cpa,
           (unsigned long long)cal.conversions, raw.cpa, raw.expected_cpa,
           (unsigned long long)raw.conversions);
    CHECK(fabs(truth.cpa / 100 - 1) < 0.05 && fabs(truth.expected_cpa / 100 - 1) < 0.02);
    CHECK(fabs(cal.cpa / 100 - 1) < 0.05);
    CHECK(fabs(cal.expected_cpa / 100 - 1) < 0.05);
    CHECK(cal.conversions > 5000);
    CHECK(raw.cpa > 115 && raw.expected_cpa > 115); /* misses the target by far more than 5% */
    growth_calibrator_free(cc);
    growth_calibrator_free(vc);
}

/* Standard normal CDF. */
static double phi(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* Expected surplus per impression of the best possible shading, knowing the market's true
 * lognormal distribution: E_v max_b (v - b) P(market < b), by Monte Carlo over values and a
 * fine grid of bids. */
static double oracle_surplus(double ctr, double cvr, double spread, double med, double sigma)
{
    grng r;
    grng_seed(&r, 77);
    double lc = log(ctr / (1 - ctr)), lv = log(cvr / (1 - cvr)), total = 0;
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        double v =
            100.0 / (1 + exp(-(lc + spread * grng_normal(&r)))) / (1 + exp(-(lv + spread * grng_normal(&r))));
        double best = 0;
        for (int j = 1; j <= 400; j++) {
            double b = v * j / 400.0;
            double g = (v - b) * phi(log(b / med) / sigma);
            if (g > best) best = g;
        }
        total += best;
    }
    return total / n;
}

TEST(test_shading_learns_market_and_surplus)
{
    const char *sim_rev = "impressions=200000 seed=21 reveal_price=true " CPA_MARKET;
    const char *sim_cens = "impressions=200000 seed=21 reveal_price=false " CPA_MARKET;
    double oracle = oracle_surplus(0.1, 0.2, 0.5, 2, 0.5);
    growth_bidder_sim_result none =
        run_day("target_cpa=100 budget=1e12 auction=first shading=false", sim_rev, NULL, NULL, NULL, NULL);
    growth_bidder_sim_result rev =
        run_day("target_cpa=100 budget=1e12 auction=first", sim_rev, NULL, NULL, NULL, NULL);
    growth_bidder_sim_result cens =
        run_day("target_cpa=100 budget=1e12 auction=first", sim_cens, NULL, NULL, NULL, NULL);
    double s_none = (none.value - none.spend) / none.impressions;
    double s_rev = (rev.value - rev.spend) / rev.impressions;
    double s_cens = (cens.value - cens.spend) / cens.impressions;
    printf("  surplus per impression: oracle %.4f, unshaded %.4f, shaded (prices revealed) %.4f "
           "(%.1f%% of oracle), shaded (win/loss only) %.4f (%.1f%%)\n",
           oracle, s_none, s_rev, 100 * s_rev / oracle, s_cens, 100 * s_cens / oracle);
    CHECK(fabs(s_none) < 1e-9 * none.spend + 1e-9); /* paying the value leaves nothing */
    CHECK(s_rev > 0.93 * oracle);
    CHECK(s_cens > 0.80 * oracle);

    /* The learnt curve is the market's distribution: with revealed prices, every grid price's
     * win rate is the empirical CDF there, close to the true lognormal CDF. */
    growth_bidder *b = mk("target_cpa=100 budget=1e12 auction=first");
    growth_bidder_sim *s = NULL;
    CHECK_OK(growth_bidder_sim_create(&s, sim_rev));
    CHECK_OK(growth_bidder_sim_run(s, b, NULL, NULL, NULL, NULL, NULL, 0, NULL));
    double maxdiff = 0;
    for (double p = 0.5; p <= 8; p *= 1.3) {
        double w;
        uint64_t obs;
        CHECK_OK(win_rate_obs(b, p, &w, &obs));
        CHECK(obs > 100000);
        double d = fabs(w - phi(log(p / 2) / 0.5));
        if (d > maxdiff) maxdiff = d;
    }
    printf("  win-rate curve vs true market CDF: max |diff| %.4f\n", maxdiff);
    CHECK(maxdiff < 0.03); /* grid interpolation error included */
    growth_bidder_sim_free(s);
    growth_bidder_free(b);
}

TEST(test_win_rate_is_empirical_cdf_at_grid)
{
    /* Grid prices 1, 2, 4, 8 (min 1, max 8, 4 buckets); market prices revealed. */
    growth_bidder *b =
        mk("auction=first shade_buckets=4 shade_min_price=1 shade_max_price=8 shade_min_obs=5");
    const double market[5] = {0.5, 1.5, 3, 3, 10};
    for (int i = 0; i < 5; i++) CHECK_OK(growth_bidder_record_auction(b, 5, market[i] < 5, market[i]));
    const double want[4] = {1 / 5.0, 2 / 5.0, 4 / 5.0, 4 / 5.0};
    for (int k = 0; k < 4; k++) {
        double w;
        CHECK_OK(growth_bidder_win_rate(b, (double)(1 << k), &w));
        CHECK_NEAR(w, want[k], 1e-12);
    }
    double w;
    CHECK_OK(growth_bidder_win_rate(b, sqrt(2.0) * 2, &w)); /* halfway in log price */
    CHECK_NEAR(w, 0.6, 1e-12);
    /* Shaded bid for value 8: best of (8 - b) W(b) over b in [2.4, 8]; W(4) = 0.8 gives 3.2,
     * and a brute-force search over the same 64 candidates agrees. */
    double bid;
    growth_bidder_free(b);
    b = mk("auction=first target_cpa=8 shade_buckets=4 shade_min_price=1 shade_max_price=8 shade_min_obs=5");
    for (int i = 0; i < 5; i++) CHECK_OK(growth_bidder_record_auction(b, 5, market[i] < 5, market[i]));
    CHECK_OK(growth_bidder_bid(b, 1, 1, 0, 0, &bid));
    double best = 0, best_b = 8;
    for (int j = 0; j < 63; j++) {
        double c = 8 * (0.3 + 0.7 * j / 63.0);
        CHECK_OK(growth_bidder_win_rate(b, c, &w));
        if ((8 - c) * w > best) {
            best = (8 - c) * w;
            best_b = c;
        }
    }
    CHECK_NEAR(bid, best_b, 1e-9);
    CHECK(bid > 3.5 && bid < 4.5);
    /* Isotonic: losses at a higher price than wins are pooled (no price revealed). */
    growth_bidder *c = mk("auction=first shade_buckets=4 shade_min_price=1 shade_max_price=8");
    CHECK_OK(growth_bidder_record_auction(c, 2, 1, NAN));
    CHECK_OK(growth_bidder_record_auction(c, 4, 0, NAN));
    CHECK_OK(growth_bidder_record_auction(c, 4, 0, NAN));
    CHECK_OK(growth_bidder_record_auction(c, 4, 1, NAN));
    double w1, w2, w0;
    CHECK_OK(growth_bidder_win_rate(c, 1, &w0));
    CHECK_OK(growth_bidder_win_rate(c, 2, &w1));
    CHECK_OK(growth_bidder_win_rate(c, 4, &w2));
    CHECK_NEAR(w0, 0, 0);       /* below the first observed price: pessimistic 0 */
    CHECK_NEAR(w1, 0.5, 1e-12); /* (1 + 1) / (1 + 3) pooled */
    CHECK_NEAR(w2, 0.5, 1e-12);
    growth_bidder_free(c);
    growth_bidder_free(b);
}

TEST(test_bid_formulas)
{
    double bid;
    growth_bidder *b = mk("target_cpa=80");
    CHECK_OK(growth_bidder_bid(b, 0.03, 0.2, 0, 1, &bid));
    CHECK_NEAR(bid, 80 * 0.03 * 0.2, 1e-12);
    growth_bidder_free(b);
    b = mk("target_cpa=80 billing=cpc");
    CHECK_OK(growth_bidder_bid(b, 0.03, 0.2, 0, 1, &bid));
    CHECK_NEAR(bid, 80 * 0.2, 1e-12);
    growth_bidder_free(b);
    b = mk("mode=roi target_roi=4");
    CHECK_OK(growth_bidder_bid(b, 0.03, 0.2, 250, 1, &bid));
    CHECK_NEAR(bid, 0.03 * 0.2 * 250 / 4, 1e-12);
    growth_bidder_free(b);
    b = mk("target_cpa=80 initial_multiplier=0.5 bid_floor=0.5 bid_cap=2");
    CHECK_OK(growth_bidder_bid(b, 0.03, 0.2, 0, 1, &bid));
    CHECK(bid == 0.0);                                    /* 0.48 x 0.5 = 0.24 is below the floor: no bid */
    CHECK_OK(growth_bidder_bid(b, 0.1, 0.2, 0, 1, &bid)); /* 1.6 x 0.5 = 0.8 */
    CHECK_NEAR(bid, 0.8, 1e-12);
    CHECK_OK(growth_bidder_bid(b, 0.5, 0.5, 0, 1, &bid)); /* 20 x 0.5 = 10 -> cap 2 */
    CHECK_NEAR(bid, 2, 0);
    CHECK_OK(growth_bidder_bid(b, 0.01, 0.2, 0, 1, &bid)); /* 0.16 x 0.5 < floor -> no bid */
    CHECK(bid == 0.0);
    double p[3] = {0.1, 0.5, 0.01}, v[3] = {0.2, 0.5, 0.2}, out[3];
    CHECK_OK(growth_bidder_bid_batch(b, p, v, NULL, NULL, 3, out, 3));
    CHECK(out[0] == 0.8 && out[1] == 2 && out[2] == 0);
    growth_bidder_free(b);
}

TEST(test_plan_and_controller_step)
{
    /* Uniform: budget x t / day. Curve: piecewise linear through the slot shares. */
    growth_bidder *b = mk("budget=2400 day_seconds=2400");
    double p, spent;
    CHECK_OK(plan_spent(b, 600, &p, &spent));
    CHECK_NEAR(p, 600, 1e-9);
    CHECK(spent == 0);
    growth_bidder_free(b);
    b = mk("budget=1000 day_seconds=300 plan=curve curve=1|3|1 interval=10");
    CHECK_OK(growth_bidder_plan(b, 100, &p));
    CHECK_NEAR(p, 200, 1e-9);
    CHECK_OK(growth_bidder_plan(b, 150, &p));
    CHECK_NEAR(p, 200 + 300, 1e-9);
    CHECK_OK(growth_bidder_plan(b, 300, &p));
    CHECK_NEAR(p, 1000, 1e-9);
    CHECK_OK(growth_bidder_plan(b, -5, &p));
    CHECK(p == 0);
    growth_bidder_free(b);

    /* One step by hand: interval 100 s, planned 100 per interval; 200 spent in the first:
     * r = 2, lag = (100 - 200) / 100 = -1, d = clamp(0, 0.25, 4) = 0.25, e1 = ln(0.125),
     * ln u += kp e1 + ki e1 = ln(0.125). Second interval: 50 spent, r = 0.5,
     * lag = (200 - 250) / 100 = -0.5, d = 0.5, e2 = 0: ln u += kp (0 - e1) = 0.5 ln 8. */
    b = mk("budget=2400 day_seconds=2400 interval=100 catchup=100 kp=0.5 ki=0.5 kd=0 max_step=100");
    double m, q;
    CHECK_OK(growth_bidder_record_spend(b, 50, 200));
    CHECK_OK(bstats(b, &m, &q, NULL, NULL));
    CHECK(m == 1 && q == 1); /* no step before t = 100 */
    CHECK_OK(growth_bidder_tick(b, 100));
    CHECK_OK(bstats(b, &m, NULL, NULL, NULL));
    CHECK_NEAR(m, 0.125, 1e-12);
    CHECK_OK(growth_bidder_record_spend(b, 150, 50));
    CHECK_OK(growth_bidder_tick(b, 200));
    CHECK_OK(bstats(b, &m, NULL, NULL, NULL));
    CHECK_NEAR(m, 0.125 * sqrt(8.0), 1e-12);
    /* kd adds the second difference; max_step bounds a step. */
    growth_bidder_free(b);
    b = mk("budget=2400 day_seconds=2400 interval=100 catchup=100 kp=0 ki=1 max_step=2");
    CHECK_OK(growth_bidder_record_spend(b, 50, 200));
    CHECK_OK(growth_bidder_tick(b, 100));
    CHECK_OK(bstats(b, &m, NULL, NULL, NULL));
    CHECK_NEAR(m, 0.5, 1e-12);
    /* Running out of budget stops bidding; a new day starts again with the multiplier kept. */
    double bid;
    CHECK_OK(growth_bidder_record_spend(b, 120, 2300));
    CHECK_OK(growth_bidder_bid(b, 0.5, 0.5, 0, 7, &bid));
    CHECK(bid == 0);
    CHECK_OK(bstats(b, NULL, NULL, &spent, NULL));
    CHECK_NEAR(spent, 2500, 1e-9);
    CHECK_OK(growth_bidder_new_day(b));
    CHECK_OK(growth_bidder_bid(b, 0.5, 0.5, 0, 7, &bid));
    CHECK_NEAR(bid, 0.25 * 0.5, 1e-12);
    CHECK_OK(bstats(b, NULL, NULL, &spent, NULL));
    CHECK(spent == 0);
    growth_bidder_free(b);
}

TEST(test_throttle_rate)
{
    growth_bidder *b = mk("controller=throttle initial_rate=0.3");
    enum { N = 100000 };
    double *pc = malloc(N * sizeof *pc), *out = malloc(N * sizeof *out);
    for (int i = 0; i < N; i++) pc[i] = 0.5;
    CHECK_OK(growth_bidder_bid_batch(b, pc, pc, NULL, NULL, N, out, N));
    int bids = 0;
    for (int i = 0; i < N; i++) bids += out[i] > 0;
    CHECK(fabs(bids / (double)N - 0.3) < 0.01);
    /* Deterministic per request id. */
    double a, c;
    CHECK_OK(growth_bidder_bid(b, 0.5, 0.5, 0, 12345, &a));
    CHECK_OK(growth_bidder_bid(b, 0.5, 0.5, 0, 12345, &c));
    CHECK(a == c);
    free(pc);
    free(out);
    growth_bidder_free(b);
}

TEST(test_second_day_warm_start)
{
    /* Day 2 starts from day 1's multiplier and shading curve and stays on plan too. */
    const char *sim = "impressions=300000 seed=5 traffic=" DIURNAL;
    double budget = 0.5 * free_spend(sim);
    char cfg[512];
    snprintf(cfg, sizeof cfg, "target_cpa=100 budget=%.6f plan=curve curve=" DIURNAL, budget);
    growth_bidder *b = mk(cfg);
    growth_bidder_sim *s = NULL;
    CHECK_OK(growth_bidder_sim_create(&s, sim));
    growth_bidder_sim_result r1, r2;
    r1.struct_size = r2.struct_size = sizeof r1;
    CHECK_OK(growth_bidder_sim_run(s, b, NULL, NULL, &r1, NULL, NULL, 0, NULL));
    CHECK_OK(growth_bidder_new_day(b));
    CHECK_OK(growth_bidder_sim_run(s, b, NULL, NULL, &r2, NULL, NULL, 0, NULL));
    printf("  day 1 max hourly error %.2f%%, day 2 %.2f%%\n", 100 * r1.max_plan_error,
           100 * r2.max_plan_error);
    CHECK(r2.max_plan_error < 0.05);
    CHECK(fabs(r2.spend / budget - 1) < 0.01);
    growth_bidder_sim_free(s);
    growth_bidder_free(b);
}

static bool same_state(const growth_bidder *a, const growth_bidder *b)
{
    double ma, ra, mb, rb, pa, sa, pb, sb;
    bstats(a, &ma, &ra, NULL, NULL);
    bstats(b, &mb, &rb, NULL, NULL);
    plan_spent(a, 40000, &pa, &sa);
    plan_spent(b, 40000, &pb, &sb);
    bool ok = ma == mb && ra == rb && pa == pb && sa == sb;
    for (double p = 0.05; p < 50; p *= 1.7) {
        double wa, wb;
        uint64_t oa, ob;
        win_rate_obs(a, p, &wa, &oa);
        win_rate_obs(b, p, &wb, &ob);
        ok = ok && wa == wb && oa == ob;
    }
    char ca[2048], cb[2048];
    growth_bidder_config(a, ca, sizeof ca, NULL);
    growth_bidder_config(b, cb, sizeof cb, NULL);
    return ok && strcmp(ca, cb) == 0;
}

TEST(test_save_load_round_trip)
{
    growth_bidder *b = mk("target_cpa=100 budget=20000 auction=first plan=curve curve=" DIURNAL);
    growth_bidder_sim *s = NULL;
    CHECK_OK(growth_bidder_sim_create(&s, "impressions=60000 seed=8 auction=first reveal_price=false "
                                          "traffic=" DIURNAL));
    /* A small day (first price, win/loss feedback only): multiplier, spend, curve all set. */
    CHECK_OK(growth_bidder_sim_run(s, b, NULL, NULL, NULL, NULL, NULL, 0, NULL));
    char path[512];
    gt_path(path, sizeof path, "bidder.model");
    CHECK_OK(growth_bidder_save(b, path));
    int kind = 0;
    CHECK_OK(growth_model_kind(path, &kind, NULL));
    CHECK(kind == GROWTH_KIND_BIDDER);
    growth_bidder *l = NULL, *d = NULL;
    CHECK_OK(growth_bidder_load(&l, path));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_bidder_serialize(b, &buf, &len));
    CHECK_OK(growth_bidder_deserialize(&d, buf, len));
    CHECK(l && d && same_state(b, l) && same_state(b, d));
    /* The loaded bidders continue exactly like the original. */
    growth_bidder *all[3] = {b, l, d};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(growth_bidder_new_day(all[i]));
        for (int t = 0; t < 5000; t += 7) {
            CHECK_OK(growth_bidder_record_spend(all[i], t, 0.3 + 0.01 * (t % 13)));
            CHECK_OK(growth_bidder_record_auction(all[i], 0.5 + 0.001 * (t % 101), t % 3 == 0, NAN));
        }
    }
    CHECK(same_state(b, l) && same_state(b, d));
    double pc[4] = {0.01, 0.05, 0.2, 0.07}, pv[4] = {0.1, 0.3, 0.05, 0.2}, o1[4], o2[4];
    CHECK_OK(growth_bidder_bid_batch(b, pc, pv, NULL, NULL, 4, o1, 4));
    CHECK_OK(growth_bidder_bid_batch(l, pc, pv, NULL, NULL, 4, o2, 4));
    CHECK(memcmp(o1, o2, sizeof o1) == 0);

    /* Corrupted, truncated and wrong-kind files are EFORMAT; the output stays untouched. */
    growth_bidder *x = NULL;
    uint8_t *bad = malloc(len);
    memcpy(bad, buf, len);
    bad[len - 3] ^= 0x40;
    CHECK_RC(growth_bidder_deserialize(&x, bad, len), GROWTH_EFORMAT);
    CHECK_RC(growth_bidder_deserialize(&x, buf, len - 10), GROWTH_EFORMAT);
    CHECK_RC(growth_bidder_deserialize(&x, buf, 20), GROWTH_EFORMAT);
    CHECK(x == NULL);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, len / 2, f);
    fclose(f);
    CHECK_RC(growth_bidder_load(&x, path), GROWTH_EFORMAT);
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=4"));
    CHECK_OK(growth_ftrl_save(m, path));
    CHECK_RC(growth_bidder_load(&x, path), GROWTH_EFORMAT);
    CHECK_MSG("ftrl");
    CHECK(x == NULL);
    unlink(path);
    CHECK_RC(growth_bidder_load(&x, path), GROWTH_EIO);
    growth_ftrl_free(m);
    free(bad);
    growth_buffer_free(buf);
    growth_bidder_free(b);
    growth_bidder_free(l);
    growth_bidder_free(d);
    growth_bidder_sim_free(s);
}

/* A saved bidder whose stored configuration has keys that each parse but do not go together
 * (check_cfg's rules) or a curve bidder_new refuses is a damaged file, EFORMAT, not the EINVAL
 * growth_bidder_create gives a caller. */
TEST(test_stored_config_cross_keys)
{
    growth_bidder *a = mk("target_cpa=100 budget=2000");
    uint8_t *buf = NULL;
    size_t len = 0;
    if (a) CHECK_OK(growth_bidder_serialize(a, &buf, &len));
    static const char *const cfgs[] = {
        "target_cpa=100 budget=2000", /* the unchanged configuration: still loads */
        "target_cpa=100 budget=2000 shade_min_price=5 shade_max_price=1",
        "target_cpa=100 budget=2000 bid_floor=2 bid_cap=1",
        "target_cpa=100 budget=2000 min_multiplier=0.5 max_multiplier=0.2",
        "target_cpa=100 budget=2000 plan=curve",
        "target_cpa=100 budget=2000 curve=1|2",
        "target_cpa=100 budget=2000 plan=curve curve=0|0",
        "target_cpa=100 budget=2000 day_seconds=50 interval=100",
    };
    for (size_t t = 0; buf && t < sizeof cfgs / sizeof cfgs[0]; t++) {
        growth_bidder *c = NULL;
        CHECK_RC(growth_bidder_create(&c, cfgs[t]), t ? GROWTH_EINVAL : GROWTH_OK); /* as a caller's */
        growth_bidder_free(c);
        uint8_t *out = NULL;
        size_t olen = 0;
        CHECK_OK(gt_with_config(buf, len, &growth__bidder__descriptor, cfgs[t], &out, &olen));
        if (!out) break;
        growth_bidder *b = NULL;
        if (t == 0) {
            CHECK_OK(growth_bidder_deserialize(&b, out, olen));
            CHECK(b && same_state(a, b));
            growth_bidder_free(b);
        } else {
            CHECK_RC(growth_bidder_deserialize(&b, out, olen), GROWTH_EFORMAT);
            CHECK_MSG("stored configuration is invalid");
            CHECK(b == NULL);
        }
        free(out);
    }
    growth_buffer_free(buf);
    growth_bidder_free(a);
}

TEST(test_bad_input)
{
    growth_bidder *b = NULL;
    struct {
        const char *cfg, *key;
    } bad[] = {
        {"target_cpa=-5", "target_cpa"},
        {"target_cpa=0", "target_cpa"},
        {"target_roi=-1", "target_roi"},
        {"budget=0", "budget"},
        {"budget=-100", "budget"},
        {"budget=nan", "budget"},
        {"bid_floor=-1", "bid_floor"},
        {"colour=red", "colour"},
        {"plan=curve", "curve"},
        {"curve=1|2", "curve"},
        {"plan=curve curve=1|x|2", "curve"},
        {"plan=curve curve=0|0", "curve"},
        {"plan=curve curve=1|-1", "curve"},
        {"controller=magic", "controller"},
        {"shade_min_price=5 shade_max_price=1", "shade_max_price"},
        {"min_multiplier=2 max_multiplier=1", "max_multiplier"},
        {"initial_multiplier=3", "initial_multiplier"},
        {"bid_floor=5 bid_cap=1", "bid_cap"},
        {"interval=100000", "interval"},
        {"max_step=1", "max_step"},
        {"shade_buckets=1", "shade_buckets"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(growth_bidder_create(&b, bad[i].cfg), GROWTH_EINVAL);
        CHECK_MSG(bad[i].key);
        CHECK_MSG("growth_bidder_create");
        CHECK(b == NULL);
    }
    CHECK_RC(growth_bidder_create(NULL, ""), GROWTH_EINVAL);

    b = mk("target_cpa=100 budget=500 interval=60");
    CHECK_OK(growth_bidder_record_spend(b, 30, 10));
    CHECK_OK(growth_bidder_record_auction(b, 1, 1, 0.5));
    double m0, r0, p0, s0, w0, bid = 42;
    uint64_t o0;
    bstats(b, &m0, &r0, NULL, NULL);
    plan_spent(b, 100, &p0, &s0);
    win_rate_obs(b, 0.7, &w0, &o0);

    CHECK_RC(growth_bidder_bid(b, NAN, 0.1, 0, 0, &bid), GROWTH_EINVAL);
    CHECK_MSG("growth_bidder_bid: pctr");
    CHECK(bid == 42);
    CHECK_RC(growth_bidder_bid(b, 0.1, NAN, 0, 0, &bid), GROWTH_EINVAL);
    CHECK_MSG("pcvr");
    CHECK_RC(growth_bidder_bid(b, 1.5, 0.1, 0, 0, &bid), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_bid(b, -0.1, 0.1, 0, 0, &bid), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_bid(b, 0.1, INFINITY, 0, 0, &bid), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_bid(b, 0.1, 0.1, 0, 0, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_bid(NULL, 0.1, 0.1, 0, 0, &bid), GROWTH_EINVAL);
    double pc[5] = {0.1, 0.1, 0.1, NAN, 0.1}, out[5];
    CHECK_RC(growth_bidder_bid_batch(b, pc, pc, NULL, NULL, 5, out, 5), GROWTH_EINVAL);
    CHECK_MSG("pctr[3]");
    CHECK_RC(growth_bidder_bid_batch(b, pc, pc, NULL, NULL, 5, out, 4), GROWTH_EBUFS);
    CHECK_RC(growth_bidder_record_spend(b, 100, -1), GROWTH_EINVAL);
    CHECK_MSG("cost");
    CHECK_RC(growth_bidder_record_spend(b, 100, NAN), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_record_spend(b, -1, 1), GROWTH_EINVAL);
    CHECK_MSG("time");
    CHECK_RC(growth_bidder_record_spend(b, 90000, 1), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_tick(b, NAN), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_record_auction(b, 0, 1, NAN), GROWTH_EINVAL);
    CHECK_MSG("bid");
    CHECK_RC(growth_bidder_record_auction(b, 1, 2, NAN), GROWTH_EINVAL);
    CHECK_MSG("won");
    CHECK_RC(growth_bidder_record_auction(b, 1, 1, -3), GROWTH_EINVAL);
    CHECK_MSG("market_price");
    CHECK_RC(growth_bidder_win_rate(b, -1, &w0), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_plan(b, NAN, &p0), GROWTH_EINVAL);
    char small[8];
    size_t need = 0;
    CHECK_RC(growth_bidder_config(b, small, sizeof small, &need), GROWTH_EBUFS);
    CHECK(need > sizeof small);
    CHECK_RC(growth_bidder_save(b, "/nonexistent-dir/x/bidder.model"), GROWTH_EIO);
    /* Nothing changed. */
    double m1, r1, p1, s1, w1;
    uint64_t o1;
    bstats(b, &m1, &r1, NULL, NULL);
    plan_spent(b, 100, &p1, &s1);
    win_rate_obs(b, 0.7, &w1, &o1);
    CHECK(m0 == m1 && r0 == r1 && p0 == p1 && s0 == s1 && w0 == w1 && o0 == o1);
    growth_bidder_free(b);

    b = mk("mode=roi target_roi=3");
    CHECK_RC(growth_bidder_bid(b, 0.1, 0.1, NAN, 0, &bid), GROWTH_EINVAL);
    CHECK_MSG("order_value");
    CHECK_RC(growth_bidder_bid(b, 0.1, 0.1, -5, 0, &bid), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_bid_batch(b, pc, pc, NULL, NULL, 2, out, 2), GROWTH_EINVAL);
    CHECK_MSG("order_value");
    growth_bidder_free(b);
    growth_bidder_free(NULL);

    growth_bidder_sim *s = NULL;
    CHECK_RC(growth_bidder_sim_create(&s, "ctr=1.5"), GROWTH_EINVAL);
    CHECK_MSG("ctr");
    CHECK_RC(growth_bidder_sim_create(&s, "impressions=0"), GROWTH_EINVAL);
    CHECK_RC(growth_bidder_sim_create(&s, "traffic=1|nan"), GROWTH_EINVAL);
    CHECK_MSG("traffic");
    CHECK(s == NULL);
    CHECK_OK(growth_bidder_sim_create(&s, "impressions=10"));
    b = mk("");
    double curve[10];
    CHECK_RC(growth_bidder_sim_run(s, b, NULL, NULL, NULL, curve, NULL, 10, NULL), GROWTH_EBUFS);
    growth_calibrator *unfitted = NULL;
    CHECK_OK(growth_calibrator_create(&unfitted, ""));
    CHECK_RC(growth_bidder_sim_run(s, b, unfitted, NULL, NULL, NULL, NULL, 0, NULL), GROWTH_ESTATE);
    CHECK_MSG("growth_bidder_sim_run");
    growth_calibrator_free(unfitted);
    growth_bidder_free(b);
    growth_bidder_sim_free(s);
}

static bool same_bytes(const growth_bidder *a, const uint8_t *buf, size_t len)
{
    uint8_t *now = NULL;
    size_t n = 0;
    CHECK_OK(growth_bidder_serialize(a, &now, &n));
    bool same = n == len && memcmp(now, buf, len) == 0;
    growth_buffer_free(now);
    return same;
}

/* growth_bidder_stats_get gives what growth_bidder_multiplier() (multiplier, rate),
 * growth_bidder_plan() (*out_spent) and growth_bidder_win_rate() (*out_obs) gave, and follows
 * the struct_size rule. */
TEST(test_stats_struct_matches_the_old_getters)
{
    growth_bidder *b = mk("budget=100 day_seconds=1000 interval=10 initial_multiplier=0.7 "
                          "controller=throttle initial_rate=0.5 auction=first");
    growth_bidder_stats st = GROWTH_BIDDER_STATS_INIT;
    CHECK_OK(growth_bidder_stats_get(b, &st));
    CHECK(st.struct_size == sizeof st && st.reserved == 0);
    CHECK(st.multiplier == 0.7 && st.rate == 0.5 && st.spent == 0 && st.auction_results == 0);
    CHECK_OK(growth_bidder_record_spend(b, 1, 1.25));
    CHECK_OK(growth_bidder_record_spend(b, 2, 0.5));
    for (int i = 0; i < 7; i++) CHECK_OK(growth_bidder_record_auction(b, 1.0 + i, i % 2, NAN));
    CHECK_OK(growth_bidder_stats_get(b, &st));
    CHECK(st.spent == 1.75 && st.auction_results == 7);
    CHECK(st.multiplier == 0.7 && st.rate == 0.5); /* no controller step yet (interval 10) */
    CHECK_OK(growth_bidder_tick(b, 500));          /* steps: spend far below plan */
    CHECK_OK(growth_bidder_stats_get(b, &st));
    CHECK(st.rate > 0.5 && st.rate <= 1 && st.multiplier == 0.7); /* throttle moves the rate */
    double planned = -1;
    CHECK_OK(growth_bidder_plan(b, 500, &planned));
    CHECK_NEAR(planned, 50, 1e-9);
    CHECK_OK(growth_bidder_new_day(b));
    CHECK_OK(growth_bidder_stats_get(b, &st));
    CHECK(st.spent == 0 && st.auction_results == 7); /* the shading curve carries over */

    /* struct_size 0 or below the 1.0 size: EINVAL, struct untouched; a larger struct is fine */
    growth_bidder_stats z = {.struct_size = 0, .spent = -3};
    CHECK_RC(growth_bidder_stats_get(b, &z), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    z.struct_size = (uint32_t)offsetof(growth_bidder_stats, auction_results);
    CHECK_RC(growth_bidder_stats_get(b, &z), GROWTH_EINVAL);
    CHECK(z.spent == -3);
    struct {
        growth_bidder_stats s;
        uint64_t tail[2];
    } big;
    memset(&big, 0, sizeof big);
    big.s.struct_size = sizeof big;
    CHECK_OK(growth_bidder_stats_get(b, &big.s));
    CHECK(big.s.struct_size == sizeof big && big.s.auction_results == 7 && big.tail[0] == 0 &&
          big.tail[1] == 0);
    growth_bidder_free(b);
}

/* The simulator's out_n follows the EBUFS rule and a refused run changes nothing. */
TEST(test_sim_run_out_n)
{
    growth_bidder *b = mk("budget=50");
    growth_bidder_sim *s = NULL;
    CHECK_OK(growth_bidder_sim_create(&s, "impressions=2000 seed=9"));
    uint8_t *before = NULL;
    size_t len = 0;
    CHECK_OK(growth_bidder_serialize(b, &before, &len));
    growth_bidder_sim_result r = GROWTH_BIDDER_SIM_RESULT_INIT;
    double spend[24], plan[24];
    for (int i = 0; i < 24; i++) spend[i] = plan[i] = -1;
    size_t n = 0;
    CHECK_RC(growth_bidder_sim_run(s, b, NULL, NULL, &r, spend, plan, 23, &n), GROWTH_EBUFS);
    CHECK(n == 24 && spend[0] == -1 && plan[0] == -1 && r.impressions == 0);
    r.struct_size = 4;
    n = 7;
    CHECK_RC(growth_bidder_sim_run(s, b, NULL, NULL, &r, spend, plan, 24, &n), GROWTH_EINVAL);
    CHECK(n == 7 && spend[0] == -1 && r.impressions == 0);
    r.struct_size = sizeof r;
    growth_calibrator *unfitted = NULL;
    CHECK_OK(growth_calibrator_create(&unfitted, ""));
    CHECK_RC(growth_bidder_sim_run(s, b, NULL, unfitted, &r, spend, plan, 24, &n), GROWTH_ESTATE);
    growth_calibrator_free(unfitted);
    CHECK(same_bytes(b, before, len)); /* none of the refused calls ran the day */
    CHECK_OK(growth_bidder_sim_run(s, b, NULL, NULL, &r, spend, plan, 24, &n));
    CHECK(n == 24 && r.impressions > 0 && spend[23] == r.spend && plan[23] > 0);
    CHECK(!same_bytes(b, before, len));
    /* the refused calls did not advance the simulator either: a fresh pair gives the same day */
    growth_bidder *b2 = mk("budget=50");
    growth_bidder_sim *s2 = NULL;
    CHECK_OK(growth_bidder_sim_create(&s2, "impressions=2000 seed=9"));
    growth_bidder_sim_result r2 = GROWTH_BIDDER_SIM_RESULT_INIT;
    CHECK_OK(growth_bidder_sim_run(s2, b2, NULL, NULL, &r2, NULL, NULL, 0, NULL));
    CHECK(r2.impressions == r.impressions && r2.wins == r.wins && r2.spend == r.spend);
    growth_bidder_free(b2);
    growth_bidder_sim_free(s2);
    growth_bidder_free(b);
    growth_bidder_sim_free(s);
    growth_buffer_free(before);
}

int main(void)
{
    RUN(test_plan_and_controller_step);
    RUN(test_throttle_rate);
    RUN(test_second_day_warm_start);
    RUN(test_save_load_round_trip);
    RUN(test_stored_config_cross_keys);
    RUN(test_bad_input);
    RUN(test_bid_formulas);
    RUN(test_win_rate_is_empirical_cdf_at_grid);
    RUN(test_pacing_uniform_pid);
    RUN(test_pacing_curve_pid);
    RUN(test_pacing_curve_throttle);
    RUN(test_cpa_calibrated_vs_overpredicting);
    RUN(test_shading_learns_market_and_surplus);
    RUN(test_stats_struct_matches_the_old_getters);
    RUN(test_sim_run_out_n);
    return GT_SUMMARY();
}
