/* A day of simulated auctions against a bidder: traffic over the day, true and predicted
 * conversion rates, a lognormal market, first- or second-price payment. Shared by the C tests,
 * the Python tests and the bench (through the public API). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bidding_impl.h"

enum { SIM_SECOND, SIM_FIRST };

typedef struct {
    int64_t impressions, seed;
    char traffic[GCFG_STRING_MAX];
    double traffic_noise, ctr, cvr, spread, overpredict, model_noise, market_median, market_sigma;
    int auction;
    bool reveal_price;
} sim_cfg;

static const gcfg_opt sim_opts[] = {
    {"impressions", GCFG_INT, offsetof(sim_cfg, impressions), "200000", 1, 1e10, NULL, false},
    {"traffic", GCFG_STRING, offsetof(sim_cfg, traffic), "", 0, 0, NULL, false},
    {"traffic_noise", GCFG_DOUBLE, offsetof(sim_cfg, traffic_noise), "0", 0, 2, NULL, false},
    {"ctr", GCFG_DOUBLE, offsetof(sim_cfg, ctr), "0.05", 0, 1, NULL, true},
    {"cvr", GCFG_DOUBLE, offsetof(sim_cfg, cvr), "0.1", 0, 1, NULL, true},
    {"spread", GCFG_DOUBLE, offsetof(sim_cfg, spread), "0.5", 0, 5, NULL, false},
    {"overpredict", GCFG_DOUBLE, offsetof(sim_cfg, overpredict), "1", 0, 100, NULL, true},
    {"model_noise", GCFG_DOUBLE, offsetof(sim_cfg, model_noise), "0", 0, 3, NULL, false},
    {"market_median", GCFG_DOUBLE, offsetof(sim_cfg, market_median), "0.5", 0, 1e12, NULL, true},
    {"market_sigma", GCFG_DOUBLE, offsetof(sim_cfg, market_sigma), "0.5", 0, 5, NULL, false},
    {"auction", GCFG_ENUM, offsetof(sim_cfg, auction), "second", 0, 0, "second|first", false},
    {"reveal_price", GCFG_BOOL, offsetof(sim_cfg, reveal_price), "true", 0, 0, NULL, false},
    {"seed", GCFG_INT, offsetof(sim_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
};
#define SIM_NOPTS (sizeof sim_opts / sizeof sim_opts[0])

enum { SIM_HOURS = 24 };

struct growth_bidder_sim {
    sim_cfg cfg;
    int nslots;
    double share[BID_MAX_SLOTS];
    double lctr, lcvr;
    grng rng;
};

GROWTH_API int growth_bidder_sim_create(growth_bidder_sim **out, const char *config)
{
    static const char *who = "growth_bidder_sim_create";
    GROWTH_CHECK_NULL(who, out);
    sim_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse(who, sim_opts, SIM_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (cfg.ctr >= 1 || cfg.cvr >= 1)
        return gerr(GROWTH_EINVAL, "%s: config keys 'ctr' and 'cvr' must be below 1", who);
    double w[BID_MAX_SLOTS];
    int n = 1;
    w[0] = 1;
    if (cfg.traffic[0] && (rc = bid_parse_curve(who, "traffic", cfg.traffic, w, BID_MAX_SLOTS, &n)))
        return rc;
    growth_bidder_sim *s = calloc(1, sizeof *s);
    if (!s) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    s->cfg = cfg;
    s->nslots = n;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += w[i];
    for (int i = 0; i < n; i++) s->share[i] = w[i] / sum;
    s->lctr = log(cfg.ctr / (1 - cfg.ctr));
    s->lcvr = log(cfg.cvr / (1 - cfg.cvr));
    grng_seed(&s->rng, (uint64_t)cfg.seed);
    *out = s;
    return GROWTH_OK;
}

GROWTH_API void growth_bidder_sim_free(growth_bidder_sim *s) { free(s); }

static inline double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

/* One impression's true rates and the model's raw predictions. */
static void draw_user(growth_bidder_sim *s, double *ctr, double *cvr, double *rctr, double *rcvr)
{
    const sim_cfg *c = &s->cfg;
    *ctr = sigm(s->lctr + c->spread * grng_normal(&s->rng));
    *cvr = sigm(s->lcvr + c->spread * grng_normal(&s->rng));
    double h = 0.5 * c->model_noise * c->model_noise;
    *rctr = fmin(1.0, *ctr * c->overpredict * exp(c->model_noise * grng_normal(&s->rng) - h));
    *rcvr = fmin(1.0, *cvr * c->overpredict * exp(c->model_noise * grng_normal(&s->rng) - h));
}

GROWTH_API int growth_bidder_sim_sample(growth_bidder_sim *s, size_t n, float *raw_ctr, float *raw_cvr,
                                        float *click, float *conv)
{
    static const char *who = "growth_bidder_sim_sample";
    GROWTH_CHECK_NULL(who, s);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, raw_ctr);
    GROWTH_CHECK_NULL(who, raw_cvr);
    GROWTH_CHECK_NULL(who, click);
    GROWTH_CHECK_NULL(who, conv);
    for (size_t i = 0; i < n; i++) {
        double ctr, cvr, rctr, rcvr;
        draw_user(s, &ctr, &cvr, &rctr, &rcvr);
        bool c = grng_uniform(&s->rng) < ctr;
        bool v = c && grng_uniform(&s->rng) < cvr;
        raw_ctr[i] = (float)rctr;
        raw_cvr[i] = (float)rcvr;
        click[i] = c ? 1.0f : 0.0f;
        conv[i] = v ? 1.0f : 0.0f;
    }
    return GROWTH_OK;
}

static int calibrate(const growth_calibrator *cal, double raw, double *out)
{
    if (!cal) {
        *out = raw;
        return GROWTH_OK;
    }
    /* Calibrate the float the calibrator was fitted on (the training log is float). */
    return growth_calibrator_apply(cal, (double)(float)raw, NULL, out);
}

GROWTH_API int growth_bidder_sim_run(growth_bidder_sim *s, growth_bidder *b, const growth_calibrator *ctr_cal,
                                     const growth_calibrator *cvr_cal, growth_bidder_sim_result *out,
                                     double *out_spend_curve, double *out_plan_curve, size_t cap,
                                     size_t *out_n)
{
    static const char *who = "growth_bidder_sim_run";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, b);
    /* everything is checked before the day runs: a failed call changes neither the bidder nor
     * the outputs */
    if (out && out->struct_size < sizeof(growth_bidder_sim_result))
        return gerr(GROWTH_EINVAL,
                    "%s: out->struct_size is %u, expected at least %zu (initialise it with "
                    "GROWTH_BIDDER_SIM_RESULT_INIT)",
                    who, out->struct_size, sizeof(growth_bidder_sim_result));
    bool curves = out_spend_curve || out_plan_curve;
    if (curves && cap < SIM_HOURS) {
        if (out_n) *out_n = SIM_HOURS;
        return gerr(GROWTH_EBUFS, "%s: curves hold %zu entries, need %d", who, cap, SIM_HOURS);
    }
    /* an unusable calibrator (e.g. not fitted) fails here, before any draw or bid */
    const growth_calibrator *cals[2] = {ctr_cal, cvr_cal};
    for (int k = 0; k < 2; k++) {
        double probe;
        int rc = calibrate(cals[k], 0.5, &probe);
        if (rc) return gerr(rc, "%s: calibrating: %s", who, gerr_cause(who));
    }
    const sim_cfg *c = &s->cfg;
    const double day = b->cfg.day_seconds, slot_len = day / s->nslots;
    growth_bidder_sim_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = (uint32_t)sizeof r;
    double hour_spend[SIM_HOURS], hour_plan[SIM_HOURS];
    int hour = 0;
    uint64_t id = 0;
    /* Per-slot impression counts: the share times a lognormal traffic shock, rounded. */
    for (int sl = 0; sl < s->nslots; sl++) {
        double shock =
            exp(c->traffic_noise * grng_normal(&s->rng) - 0.5 * c->traffic_noise * c->traffic_noise);
        double want = (double)c->impressions * s->share[sl] * shock;
        uint64_t cnt = (uint64_t)want + (grng_uniform(&s->rng) < want - floor(want) ? 1 : 0);
        for (uint64_t j = 0; j < cnt; j++) {
            double t = ((double)sl + ((double)j + 0.5) / (double)cnt) * slot_len;
            while (hour < SIM_HOURS && t > day * (hour + 1) / SIM_HOURS) {
                hour_spend[hour] = r.spend;
                hour++;
            }
            double ctr, cvr, rctr, rcvr, pctr, pcvr, bid;
            draw_user(s, &ctr, &cvr, &rctr, &rcvr);
            int rc = calibrate(ctr_cal, rctr, &pctr);
            if (!rc) rc = calibrate(cvr_cal, rcvr, &pcvr);
            if (rc) return gerr(rc, "%s: calibrating: %s", who, gerr_cause(who));
            pctr = fmin(fmax(pctr, 0.0), 1.0);
            pcvr = fmin(fmax(pcvr, 0.0), 1.0);
            double ov = b->cfg.target_cpa * b->cfg.target_roi; /* roi mode: same value per conversion */
            if ((rc = growth_bidder_bid(b, pctr, pcvr, ov, id++, &bid))) return rc;
            if ((rc = growth_bidder_tick(b, t))) return rc;
            double market = c->market_median * exp(c->market_sigma * grng_normal(&s->rng));
            r.impressions++;
            if (!(bid > 0)) continue;
            r.bids++;
            bool won = bid > market;
            if (c->auction == SIM_FIRST) {
                if ((rc = growth_bidder_record_auction(b, bid, won, c->reveal_price ? market : NAN)))
                    return rc;
            }
            if (!won) continue;
            double price = c->auction == SIM_FIRST ? bid : market;
            if ((rc = growth_bidder_record_spend(b, t, price))) return rc;
            r.wins++;
            r.spend += price;
            double pconv = ctr * cvr;
            r.expected_conversions += pconv;
            r.value += b->cfg.target_cpa * pconv;
            if (grng_uniform(&s->rng) < ctr) {
                r.clicks++;
                if (grng_uniform(&s->rng) < cvr) r.conversions++;
            }
        }
    }
    while (hour < SIM_HOURS) hour_spend[hour++] = r.spend;
    r.budget = b->cfg.budget;
    r.cpa = r.conversions ? r.spend / (double)r.conversions : NAN;
    r.expected_cpa = r.expected_conversions > 0 ? r.spend / r.expected_conversions : NAN;
    for (int h = 0; h < SIM_HOURS; h++) {
        growth_bidder_plan(b, day * (h + 1) / SIM_HOURS, &hour_plan[h]);
        if (hour_plan[h] > 0) {
            double e = fabs(hour_spend[h] - hour_plan[h]) / hour_plan[h];
            if (e > r.max_plan_error) r.max_plan_error = e;
        }
    }
    if (out_spend_curve) memcpy(out_spend_curve, hour_spend, sizeof hour_spend);
    if (out_plan_curve) memcpy(out_plan_curve, hour_plan, sizeof hour_plan);
    if (out_n) *out_n = curves ? SIM_HOURS : 0;
    return out ? gstruct_out(who, "out", out, &r, sizeof r, sizeof r) : GROWTH_OK;
}
