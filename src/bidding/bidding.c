/* oCPX bidding with budget pacing and first-price bid shading.
 *
 * The bid path reads a handful of relaxed atomics (multiplier, participation rate, budget
 * flag, the shading curve) and allocates nothing. Spend and auction feedback go through one
 * mutex: they update the plain writer state and publish the values the bid path reads.
 *
 * Pacing is a velocity-form PID on the logarithm of the multiplier (or participation rate):
 * the error is ln(wanted spend ratio / observed spend ratio) of the interval just ended, where
 * the wanted ratio makes up the lag behind the plan over the next `catchup` seconds. Working on
 * ratios makes the gains independent of the budget's scale and of the traffic level. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidder.pb-c.h"
#include "bidding_impl.h"

static const gcfg_opt bid_opts[] = {
    {"mode", GCFG_ENUM, offsetof(bid_cfg, mode), "cpa", 0, 0, "cpa|roi", false},
    {"billing", GCFG_ENUM, offsetof(bid_cfg, billing), "cpm", 0, 0, "cpm|cpc", false},
    {"target_cpa", GCFG_DOUBLE, offsetof(bid_cfg, target_cpa), "1", 0, 1e12, NULL, true},
    {"target_roi", GCFG_DOUBLE, offsetof(bid_cfg, target_roi), "1", 0, 1e12, NULL, true},
    {"bid_floor", GCFG_DOUBLE, offsetof(bid_cfg, bid_floor), "0", 0, 1e12, NULL, false},
    {"bid_cap", GCFG_DOUBLE, offsetof(bid_cfg, bid_cap), "0", 0, 1e12, NULL, false},
    {"auction", GCFG_ENUM, offsetof(bid_cfg, auction), "second", 0, 0, "second|first", false},
    {"shading", GCFG_BOOL, offsetof(bid_cfg, shading), "true", 0, 0, NULL, false},
    {"shade_buckets", GCFG_INT, offsetof(bid_cfg, shade_buckets), "64", 2, 1024, NULL, false},
    {"shade_min_price", GCFG_DOUBLE, offsetof(bid_cfg, shade_min_price), "0.01", 0, 1e12, NULL, true},
    {"shade_max_price", GCFG_DOUBLE, offsetof(bid_cfg, shade_max_price), "100", 0, 1e12, NULL, true},
    {"shade_min_obs", GCFG_INT, offsetof(bid_cfg, shade_min_obs), "1000", 1, 1e15, NULL, false},
    {"shade_floor", GCFG_DOUBLE, offsetof(bid_cfg, shade_floor), "0.3", 0, 1, NULL, true},
    {"budget", GCFG_DOUBLE, offsetof(bid_cfg, budget), "1000", 0, 1e15, NULL, true},
    {"plan", GCFG_ENUM, offsetof(bid_cfg, plan), "uniform", 0, 0, "uniform|curve", false},
    {"curve", GCFG_STRING, offsetof(bid_cfg, curve), "", 0, 0, NULL, false},
    {"day_seconds", GCFG_DOUBLE, offsetof(bid_cfg, day_seconds), "86400", 0, 1e9, NULL, true},
    {"controller", GCFG_ENUM, offsetof(bid_cfg, controller), "pid", 0, 0, "pid|throttle|none", false},
    {"interval", GCFG_DOUBLE, offsetof(bid_cfg, interval), "60", 0, 1e9, NULL, true},
    {"catchup", GCFG_DOUBLE, offsetof(bid_cfg, catchup), "1800", 0, 1e9, NULL, true},
    {"kp", GCFG_DOUBLE, offsetof(bid_cfg, kp), "0.2", 0, 100, NULL, false},
    {"ki", GCFG_DOUBLE, offsetof(bid_cfg, ki), "0.5", 0, 100, NULL, false},
    {"kd", GCFG_DOUBLE, offsetof(bid_cfg, kd), "0", 0, 100, NULL, false},
    {"initial_multiplier", GCFG_DOUBLE, offsetof(bid_cfg, initial_multiplier), "1", 0, 1e6, NULL, true},
    {"min_multiplier", GCFG_DOUBLE, offsetof(bid_cfg, min_multiplier), "0.01", 0, 1e6, NULL, true},
    {"max_multiplier", GCFG_DOUBLE, offsetof(bid_cfg, max_multiplier), "1", 0, 1e6, NULL, true},
    {"initial_rate", GCFG_DOUBLE, offsetof(bid_cfg, initial_rate), "1", 0, 1, NULL, true},
    {"min_rate", GCFG_DOUBLE, offsetof(bid_cfg, min_rate), "0.001", 0, 1, NULL, true},
    {"max_step", GCFG_DOUBLE, offsetof(bid_cfg, max_step), "2", 1, 1e6, NULL, true},
    GCFG_MAX_MEMORY(bid_cfg, max_memory),
};
#define BID_NOPTS (sizeof bid_opts / sizeof bid_opts[0])

#define BID_MAX_FILE ((size_t)1 << 26)

/* ---- configuration ----------------------------------------------------------------------- */

int bid_parse_curve(const char *who, const char *key, const char *s, double *w, int cap, int *n)
{
    int count = 0;
    double sum = 0;
    const char *p = s;
    while (1) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char tmp[64];
        if (len == 0 || len >= sizeof tmp)
            return gerr(GROWTH_EINVAL, "%s: config key '%s': weight %d is empty or too long", who, key,
                        count);
        if (count >= cap)
            return gerr(GROWTH_EINVAL, "%s: config key '%s': more than %d weights", who, key, cap);
        memcpy(tmp, p, len);
        tmp[len] = 0;
        char *end = NULL;
        double v = gstrtod(tmp, &end);
        if (end == tmp || *end != 0 || !gfinite(v) || v < 0)
            return gerr(GROWTH_EINVAL, "%s: config key '%s': weight %d '%s' is not a finite number >= 0", who,
                        key, count, tmp);
        w[count++] = v;
        sum += v;
        if (!bar) break;
        p = bar + 1;
    }
    if (!(sum > 0)) return gerr(GROWTH_EINVAL, "%s: config key '%s': the weights sum to 0", who, key);
    *n = count;
    return GROWTH_OK;
}

static int check_cfg(const char *who, const bid_cfg *c)
{
    if (c->shade_max_price <= c->shade_min_price)
        return gerr(GROWTH_EINVAL, "%s: config key 'shade_max_price': %g is not above shade_min_price=%g",
                    who, c->shade_max_price, c->shade_min_price);
    if (c->max_multiplier < c->min_multiplier)
        return gerr(GROWTH_EINVAL, "%s: config key 'max_multiplier': %g is below min_multiplier=%g", who,
                    c->max_multiplier, c->min_multiplier);
    if (c->controller == BID_CTL_PID &&
        (c->initial_multiplier < c->min_multiplier || c->initial_multiplier > c->max_multiplier))
        return gerr(
            GROWTH_EINVAL,
            "%s: config key 'initial_multiplier': %g is outside [min_multiplier, max_multiplier] = [%g, %g]",
            who, c->initial_multiplier, c->min_multiplier, c->max_multiplier);
    if (c->initial_rate < c->min_rate)
        return gerr(GROWTH_EINVAL, "%s: config key 'initial_rate': %g is below min_rate=%g", who,
                    c->initial_rate, c->min_rate);
    if (c->bid_cap > 0 && c->bid_cap < c->bid_floor)
        return gerr(GROWTH_EINVAL, "%s: config key 'bid_cap': %g is below bid_floor=%g", who, c->bid_cap,
                    c->bid_floor);
    if (c->plan == BID_PLAN_CURVE && c->curve[0] == 0)
        return gerr(GROWTH_EINVAL, "%s: config key 'curve' is required by plan=curve", who);
    if (c->plan == BID_PLAN_UNIFORM && c->curve[0] != 0)
        return gerr(GROWTH_EINVAL, "%s: config key 'curve' is given but plan=uniform (use plan=curve)", who);
    if (c->interval > c->day_seconds)
        return gerr(GROWTH_EINVAL, "%s: config key 'interval': %g is longer than day_seconds=%g", who,
                    c->interval, c->day_seconds);
    return GROWTH_OK;
}

static void bidder_destroy(growth_bidder *b)
{
    if (!b) return;
    pthread_mutex_destroy(&b->lock);
    free((void *)b->W);
    free(b->wins);
    free(b->trials);
    free(b->scratch);
    free(b->grid);
    free(b);
}

static int bidder_new(growth_bidder **out, const bid_cfg *cfg, const char *who)
{
    int rc = check_cfg(who, cfg);
    if (rc) return rc;
    double w[BID_MAX_SLOTS];
    int n = 1;
    w[0] = 1;
    if (cfg->plan == BID_PLAN_CURVE && (rc = bid_parse_curve(who, "curve", cfg->curve, w, BID_MAX_SLOTS, &n)))
        return rc;
    /* the handle and its shading grid: W, wins, trials, grid and 3 K of scratch */
    if ((rc = gmem_reserve(who,
                           (double)sizeof(growth_bidder) + (double)cfg->shade_buckets * 7 * sizeof(double),
                           (uint64_t)cfg->max_memory)))
        return rc;
    growth_bidder *b = calloc(1, sizeof *b);
    if (!b) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    b->cfg = *cfg;
    b->K = (int)cfg->shade_buckets;
    b->W = malloc((size_t)b->K * sizeof *b->W);
    b->wins = calloc((size_t)b->K, sizeof *b->wins);
    b->trials = calloc((size_t)b->K, sizeof *b->trials);
    b->scratch = malloc((size_t)b->K * 3 * sizeof *b->scratch);
    b->grid = malloc((size_t)b->K * sizeof *b->grid);
    if (!b->W || !b->wins || !b->trials || !b->scratch || !b->grid) {
        free((void *)b->W);
        free(b->wins);
        free(b->trials);
        free(b->scratch);
        free(b->grid);
        free(b);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    b->nslots = n;
    double sum = 0;
    for (int s = 0; s < n; s++) sum += w[s];
    b->cum[0] = 0;
    for (int s = 0; s < n; s++) b->cum[s + 1] = b->cum[s] + w[s] / sum;
    b->cum[n] = 1.0;
    b->lmin = log(cfg->shade_min_price);
    b->lstep = (log(cfg->shade_max_price) - b->lmin) / (double)(b->K - 1);
    for (int k = 0; k < b->K; k++) b->grid[k] = exp(b->lmin + (double)k * b->lstep);
    for (int j = 0; j < BID_SHADE_STEPS; j++) {
        double s = cfg->shade_floor + (1.0 - cfg->shade_floor) * (double)j / (BID_SHADE_STEPS - 1);
        b->shade_r[j] = s;
        b->shade_x[j] = log(s) / b->lstep;
    }
    for (int k = 0; k < b->K; k++) atomic_init(&b->W[k], 0.0);
    atomic_init(&b->mult, cfg->initial_multiplier);
    atomic_init(&b->rate, cfg->controller == BID_CTL_THROTTLE ? cfg->initial_rate : 1.0);
    atomic_init(&b->spent_pub, 0.0);
    atomic_init(&b->exhausted, false);
    atomic_init(&b->obs, 0);
    pthread_mutex_init(&b->lock, NULL);
    *out = b;
    return GROWTH_OK;
}

GROWTH_API int growth_bidder_create(growth_bidder **out, const char *config)
{
    static const char *who = "growth_bidder_create";
    GROWTH_CHECK_NULL(who, out);
    bid_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse(who, bid_opts, BID_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    return bidder_new(out, &cfg, who);
}

GROWTH_API void growth_bidder_free(growth_bidder *b) { bidder_destroy(b); }

GROWTH_API int growth_bidder_config(const growth_bidder *b, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_bidder_config", b);
    return gcfg_format(bid_opts, BID_NOPTS, &b->cfg, buf, cap, out_n);
}

/* ---- plan -------------------------------------------------------------------------------- */

/* Planned fraction of the budget spent by time t. */
static double plan_fraction(const growth_bidder *b, double t)
{
    double day = b->cfg.day_seconds;
    if (!(t > 0)) return 0.0;
    if (t >= day) return 1.0;
    double x = t / day * (double)b->nslots;
    int s = (int)x;
    if (s >= b->nslots) return 1.0;
    return b->cum[s] + (x - (double)s) * (b->cum[s + 1] - b->cum[s]);
}

GROWTH_API int growth_bidder_plan(const growth_bidder *b, double t, double *out_planned)
{
    static const char *who = "growth_bidder_plan";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_planned);
    if (!gfinite(t)) return gerr(GROWTH_EINVAL, "%s: time %g is not finite", who, t);
    *out_planned = b->cfg.budget * plan_fraction(b, t);
    return GROWTH_OK;
}

/* ---- the bid path ------------------------------------------------------------------------ */

/* Win rate at grid coordinate x = (ln price - lmin) / lstep, interpolated linearly. */
static inline double win_rate_x(const growth_bidder *b, double x)
{
    if (!(x > 0)) return atomic_load_explicit(&b->W[0], memory_order_relaxed);
    if (x >= (double)(b->K - 1)) return atomic_load_explicit(&b->W[b->K - 1], memory_order_relaxed);
    int k = (int)x;
    double f = x - (double)k;
    double w0 = atomic_load_explicit(&b->W[k], memory_order_relaxed);
    double w1 = atomic_load_explicit(&b->W[k + 1], memory_order_relaxed);
    return w0 + f * (w1 - w0);
}

static inline double win_rate_at(const growth_bidder *b, double lp)
{
    return win_rate_x(b, (lp - b->lmin) / b->lstep);
}

/* The price among v x shade_r[j] (64 ratios evenly spaced in [shade_floor, 1]) that maximises
 * (v - b) W(b); v itself when no candidate has a positive expected surplus. */
static double shade(const growth_bidder *b, double v)
{
    if (!(v > 0)) return v;
    double x0 = (log(v) - b->lmin) / b->lstep, best = 0.0, best_bid = v;
    for (int j = 0; j < BID_SHADE_STEPS - 1; j++) {
        double bid = v * b->shade_r[j];
        double gain = (v - bid) * win_rate_x(b, x0 + b->shade_x[j]);
        if (gain > best) {
            best = gain;
            best_bid = bid;
        }
    }
    return best_bid;
}

static inline double bid_value(const growth_bidder *b, double pctr, double pcvr, double ov)
{
    double per_conv = b->cfg.mode == BID_MODE_CPA ? b->cfg.target_cpa : ov / b->cfg.target_roi;
    return b->cfg.billing == BID_BILL_CPM ? per_conv * pctr * pcvr : per_conv * pcvr;
}

static inline int check_inputs(const growth_bidder *b, const char *who, double pctr, double pcvr, double ov,
                               size_t i, bool batch)
{
    if (GROWTH_UNLIKELY(!(pctr >= 0.0 && pctr <= 1.0))) {
        if (batch)
            return gerr(GROWTH_EINVAL, "%s: pctr[%zu] = %g is not a probability in [0, 1]", who, i, pctr);
        return gerr(GROWTH_EINVAL, "%s: pctr = %g is not a probability in [0, 1]", who, pctr);
    }
    if (GROWTH_UNLIKELY(!(pcvr >= 0.0 && pcvr <= 1.0))) {
        if (batch)
            return gerr(GROWTH_EINVAL, "%s: pcvr[%zu] = %g is not a probability in [0, 1]", who, i, pcvr);
        return gerr(GROWTH_EINVAL, "%s: pcvr = %g is not a probability in [0, 1]", who, pcvr);
    }
    if (b->cfg.mode == BID_MODE_ROI && GROWTH_UNLIKELY(!(gfinite(ov) && ov >= 0.0))) {
        if (batch)
            return gerr(GROWTH_EINVAL, "%s: order_value[%zu] = %g is not finite and >= 0 (mode=roi)", who, i,
                        ov);
        return gerr(GROWTH_EINVAL, "%s: order_value = %g is not finite and >= 0 (mode=roi)", who, ov);
    }
    return GROWTH_OK;
}

static inline double bid_one(const growth_bidder *b, double pctr, double pcvr, double ov, uint64_t rid)
{
    if (atomic_load_explicit(&b->exhausted, memory_order_relaxed)) return 0.0;
    if (b->cfg.controller == BID_CTL_THROTTLE) {
        double q = atomic_load_explicit(&b->rate, memory_order_relaxed);
        double u = (double)(gmix64(rid ^ 0x9e3779b97f4a7c15ULL) >> 11) * 0x1.0p-53;
        if (u >= q) return 0.0;
    }
    double bid = bid_value(b, pctr, pcvr, ov) * atomic_load_explicit(&b->mult, memory_order_relaxed);
    if (b->cfg.auction == BID_AUCTION_FIRST && b->cfg.shading &&
        atomic_load_explicit(&b->obs, memory_order_relaxed) >= (uint64_t)b->cfg.shade_min_obs)
        bid = shade(b, bid);
    if (b->cfg.bid_cap > 0 && bid > b->cfg.bid_cap) bid = b->cfg.bid_cap;
    if (bid < b->cfg.bid_floor || !(bid > 0)) return 0.0;
    return bid;
}

GROWTH_API int growth_bidder_bid(const growth_bidder *b, double pctr, double pcvr, double order_value,
                                 uint64_t request_id, double *out_bid)
{
    static const char *who = "growth_bidder_bid";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_bid);
    int rc = check_inputs(b, who, pctr, pcvr, order_value, 0, false);
    if (rc) return rc;
    *out_bid = bid_one(b, pctr, pcvr, order_value, request_id);
    return GROWTH_OK;
}

GROWTH_API int growth_bidder_bid_batch(const growth_bidder *b, const double *pctr, const double *pcvr,
                                       const double *order_value, const uint64_t *request_ids, size_t n,
                                       double *out, size_t cap)
{
    static const char *who = "growth_bidder_bid_batch";
    GROWTH_CHECK_NULL(who, b);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, pctr);
    GROWTH_CHECK_NULL(who, pcvr);
    GROWTH_CHECK_NULL(who, out);
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: out holds %zu bids, need %zu", who, cap, n);
    if (b->cfg.mode == BID_MODE_ROI && !order_value)
        return gerr(GROWTH_EINVAL, "%s: order_value is NULL but mode=roi needs it", who);
    for (size_t i = 0; i < n; i++) {
        double ov = order_value ? order_value[i] : 0.0;
        int rc = check_inputs(b, who, pctr[i], pcvr[i], ov, i, true);
        if (rc) return rc;
        out[i] = bid_one(b, pctr[i], pcvr[i], ov, request_ids ? request_ids[i] : (uint64_t)i);
    }
    return GROWTH_OK;
}

GROWTH_API int growth_bidder_stats_get(const growth_bidder *b, growth_bidder_stats *out)
{
    static const char *who = "growth_bidder_stats_get";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out);
    growth_bidder_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    st.multiplier = atomic_load_explicit(&b->mult, memory_order_relaxed);
    st.rate = atomic_load_explicit(&b->rate, memory_order_relaxed);
    st.spent = atomic_load_explicit(&b->spent_pub, memory_order_relaxed);
    st.auction_results = atomic_load_explicit(&b->obs, memory_order_relaxed);
    return gstruct_out(who, "out", out, &st, sizeof st, sizeof st);
}

GROWTH_API int growth_bidder_win_rate(const growth_bidder *b, double price, double *out_rate)
{
    static const char *who = "growth_bidder_win_rate";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out_rate);
    if (!(gfinite(price) && price > 0))
        return gerr(GROWTH_EINVAL, "%s: price %g is not finite and > 0", who, price);
    *out_rate = win_rate_at(b, log(price));
    return GROWTH_OK;
}

/* ---- pacing ------------------------------------------------------------------------------ */

/* One controller step at the end of interval `step` (time T). */
static void control_step(growth_bidder *b)
{
    const bid_cfg *c = &b->cfg;
    double day = c->day_seconds;
    double T = fmin((double)(b->step + 1) * c->interval, day);
    double T0 = (double)b->step * c->interval;
    double planned_int = c->budget * (plan_fraction(b, T) - plan_fraction(b, T0));
    double planned_next = c->budget * (plan_fraction(b, fmin(T + c->catchup, day)) - plan_fraction(b, T));
    double tiny = c->budget * 1e-12;
    b->step++;
    double spent_int = b->interval_spent;
    b->interval_spent = 0;
    if (c->controller == BID_CTL_NONE || planned_int <= tiny || T >= day) return;
    double r = fmax(spent_int / planned_int, 0.05);
    double d = 1.0;
    if (planned_next > tiny) d = 1.0 + (c->budget * plan_fraction(b, T) - b->spent) / planned_next;
    d = fmin(fmax(d, 0.25), 4.0);
    double e = log(d / r);
    double delta = c->kp * (e - b->err1) + c->ki * e + c->kd * (e - 2.0 * b->err1 + b->err2);
    double lim = log(c->max_step);
    delta = fmin(fmax(delta, -lim), lim);
    b->err2 = b->err1;
    b->err1 = e;
    if (c->controller == BID_CTL_PID) {
        double u = atomic_load_explicit(&b->mult, memory_order_relaxed) * exp(delta);
        u = fmin(fmax(u, c->min_multiplier), c->max_multiplier);
        atomic_store_explicit(&b->mult, u, memory_order_relaxed);
    } else {
        double u = atomic_load_explicit(&b->rate, memory_order_relaxed) * exp(delta);
        u = fmin(fmax(u, c->min_rate), 1.0);
        atomic_store_explicit(&b->rate, u, memory_order_relaxed);
    }
}

/* Runs the steps whose interval ends at or before t. */
static void advance(growth_bidder *b, double t)
{
    const bid_cfg *c = &b->cfg;
    double steps_total = ceil(c->day_seconds / c->interval);
    while ((double)b->step < steps_total && fmin((double)(b->step + 1) * c->interval, c->day_seconds) <= t)
        control_step(b);
    if (t > b->last_time) b->last_time = t;
}

static int check_time(const growth_bidder *b, const char *who, double t)
{
    if (!(gfinite(t) && t >= 0 && t <= b->cfg.day_seconds))
        return gerr(GROWTH_EINVAL, "%s: time %g is outside the day [0, %g]", who, t, b->cfg.day_seconds);
    return GROWTH_OK;
}

GROWTH_API int growth_bidder_record_spend(growth_bidder *b, double t, double cost)
{
    static const char *who = "growth_bidder_record_spend";
    GROWTH_CHECK_NULL(who, b);
    int rc = check_time(b, who, t);
    if (rc) return rc;
    if (!(gfinite(cost) && cost >= 0))
        return gerr(GROWTH_EINVAL, "%s: cost %g is not finite and >= 0", who, cost);
    pthread_mutex_lock(&b->lock);
    advance(b, t);
    b->spent += cost;
    b->interval_spent += cost;
    atomic_store_explicit(&b->spent_pub, b->spent, memory_order_relaxed);
    if (b->spent >= b->cfg.budget) atomic_store_explicit(&b->exhausted, true, memory_order_relaxed);
    pthread_mutex_unlock(&b->lock);
    return GROWTH_OK;
}

GROWTH_API int growth_bidder_tick(growth_bidder *b, double t)
{
    static const char *who = "growth_bidder_tick";
    GROWTH_CHECK_NULL(who, b);
    int rc = check_time(b, who, t);
    if (rc) return rc;
    pthread_mutex_lock(&b->lock);
    advance(b, t);
    pthread_mutex_unlock(&b->lock);
    return GROWTH_OK;
}

GROWTH_API int growth_bidder_new_day(growth_bidder *b)
{
    GROWTH_CHECK_NULL("growth_bidder_new_day", b);
    pthread_mutex_lock(&b->lock);
    b->spent = b->interval_spent = b->err1 = b->err2 = b->last_time = 0;
    b->step = 0;
    b->days++;
    atomic_store_explicit(&b->spent_pub, 0.0, memory_order_relaxed);
    atomic_store_explicit(&b->exhausted, false, memory_order_relaxed);
    pthread_mutex_unlock(&b->lock);
    return GROWTH_OK;
}

/* ---- shading ----------------------------------------------------------------------------- */

/* Weighted isotonic fit of the grid win rates (grid prices with results), linear interpolation
 * in between, 0 below the first observed price and flat above the last; then published. */
static void refit_curve(growth_bidder *b)
{
    const int K = b->K;
    double *val = b->scratch, *wt = b->scratch + K, *len = b->scratch + 2 * K;
    int top = 0;
    for (int k = 0; k < K; k++) {
        if (!(b->trials[k] > 0)) continue;
        val[top] = b->wins[k] / b->trials[k];
        wt[top] = b->trials[k];
        len[top] = 1;
        top++;
        while (top > 1 && val[top - 2] > val[top - 1]) {
            double w = wt[top - 2] + wt[top - 1];
            val[top - 2] = (val[top - 2] * wt[top - 2] + val[top - 1] * wt[top - 1]) / w;
            wt[top - 2] = w;
            len[top - 2] += len[top - 1];
            top--;
        }
    }
    /* Expand the blocks back onto the observed grid indices, in order (reusing wt as the
     * per-index fitted value; observed indices are visited in increasing order). */
    int blk = 0, left = top > 0 ? (int)len[0] : 0, prev = -1;
    double prev_v = 0;
    for (int k = 0; k < K; k++) {
        if (!(b->trials[k] > 0)) continue;
        double v = val[blk];
        if (--left == 0 && blk + 1 < top) {
            blk++;
            left = (int)len[blk];
        }
        if (prev < 0) {
            for (int j = 0; j < k; j++) atomic_store_explicit(&b->W[j], 0.0, memory_order_relaxed);
        } else {
            for (int j = prev + 1; j < k; j++) {
                double f = (double)(j - prev) / (double)(k - prev);
                atomic_store_explicit(&b->W[j], prev_v + f * (v - prev_v), memory_order_relaxed);
            }
        }
        atomic_store_explicit(&b->W[k], v, memory_order_relaxed);
        prev = k;
        prev_v = v;
    }
    for (int j = prev + 1; j < K; j++)
        atomic_store_explicit(&b->W[j], prev < 0 ? 0.0 : prev_v, memory_order_relaxed);
}

GROWTH_API int growth_bidder_record_auction(growth_bidder *b, double bid, int won, double market_price)
{
    static const char *who = "growth_bidder_record_auction";
    GROWTH_CHECK_NULL(who, b);
    if (!(gfinite(bid) && bid > 0)) return gerr(GROWTH_EINVAL, "%s: bid %g is not finite and > 0", who, bid);
    if (won != 0 && won != 1) return gerr(GROWTH_EINVAL, "%s: won = %d is not 0 or 1", who, won);
    bool known = !isnan(market_price);
    if (known && !(gfinite(market_price) && market_price >= 0))
        return gerr(GROWTH_EINVAL, "%s: market_price %g is not finite and >= 0 (NaN = unknown)", who,
                    market_price);
    pthread_mutex_lock(&b->lock);
    if (known) {
        for (int k = 0; k < b->K; k++) {
            b->trials[k] += 1;
            b->wins[k] += b->grid[k] > market_price ? 1.0 : 0.0;
        }
    } else {
        double x = (log(bid) - b->lmin) / b->lstep;
        int k = x <= 0 ? 0 : x >= (double)(b->K - 1) ? b->K - 1 : (int)lround(x);
        b->trials[k] += 1;
        b->wins[k] += won;
    }
    refit_curve(b);
    atomic_fetch_add_explicit(&b->obs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&b->lock);
    return GROWTH_OK;
}

/* ---- persistence ------------------------------------------------------------------------- */

/* Snapshot under the bidder's lock. */
static int bidder_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    growth_bidder *b = (growth_bidder *)model;
    pthread_mutex_lock(&b->lock);
    char *cfgbuf = gcfg_format_alloc(bid_opts, BID_NOPTS, &b->cfg);
    if (!cfgbuf) {
        pthread_mutex_unlock(&b->lock);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__Bidder msg = GROWTH__BIDDER__INIT;
    msg.meta = &meta;
    msg.multiplier = atomic_load_explicit(&b->mult, memory_order_relaxed);
    msg.rate = atomic_load_explicit(&b->rate, memory_order_relaxed);
    msg.spent = b->spent;
    msg.step = b->step;
    msg.interval_spent = b->interval_spent;
    msg.err1 = b->err1;
    msg.err2 = b->err2;
    msg.exhausted = atomic_load_explicit(&b->exhausted, memory_order_relaxed);
    msg.days = b->days;
    msg.shade_obs = atomic_load_explicit(&b->obs, memory_order_relaxed);
    msg.n_shade_wins = msg.n_shade_trials = (size_t)b->K;
    msg.shade_wins = b->wins;
    msg.shade_trials = b->trials;
    msg.last_time = b->last_time;
    int rc = genv_pack(who, GROWTH_KIND_BIDDER, &msg.base, out, out_len);
    pthread_mutex_unlock(&b->lock);
    free(cfgbuf);
    return rc;
}

GROWTH_API int growth_bidder_serialize(const growth_bidder *b, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_bidder_serialize", b, bidder_pack, out_buf, out_len);
}

GROWTH_API int growth_bidder_save(const growth_bidder *b, const char *path)
{
    return gmodel_save("growth_bidder_save", b, path, bidder_pack);
}

static int bidder_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_bidder **out = outp;
    int rc = GROWTH_OK;
    Growth__Bidder *msg = growth__bidder__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "bidder payload");
    growth_bidder *b = NULL;
    bid_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!msg->meta || !msg->meta->config) {
        rc = gerr(GROWTH_EFORMAT, "%s: file has no configuration", who);
        goto done;
    }
    if ((rc = gcfg_parse(who, bid_opts, BID_NOPTS, msg->meta->config, &cfg, sizeof cfg)) ||
        (rc = bidder_new(&b, &cfg, who))) {
        if (rc != GROWTH_ENOMEM)
            rc = gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, gerr_cause(who));
        goto done;
    }
    if (msg->n_shade_wins != (size_t)b->K || msg->n_shade_trials != (size_t)b->K) {
        rc = gerr(GROWTH_EFORMAT, "%s: %zu / %zu shading counts for %d grid prices", who, msg->n_shade_wins,
                  msg->n_shade_trials, b->K);
        goto done;
    }
    for (int k = 0; k < b->K; k++) {
        double w = msg->shade_wins[k], n = msg->shade_trials[k];
        if (!(gfinite(w) && gfinite(n) && w >= 0 && n >= w)) {
            rc = gerr(GROWTH_EFORMAT, "%s: shading counts at grid price %d are invalid", who, k);
            goto done;
        }
    }
    const bid_cfg *c = &b->cfg;
    double steps_total = ceil(c->day_seconds / c->interval);
    if (!(msg->multiplier >= c->min_multiplier && msg->multiplier <= c->max_multiplier) &&
        c->controller == BID_CTL_PID) {
        rc = gerr(GROWTH_EFORMAT, "%s: multiplier %g is outside the configured bounds", who, msg->multiplier);
        goto done;
    }
    if (!(gfinite(msg->multiplier) && msg->multiplier > 0 && msg->rate > 0 && msg->rate <= 1 &&
          gfinite(msg->spent) && msg->spent >= 0 && gfinite(msg->interval_spent) &&
          msg->interval_spent >= 0 && gfinite(msg->err1) && gfinite(msg->err2) && gfinite(msg->last_time) &&
          msg->last_time >= 0 && msg->last_time <= c->day_seconds && (double)msg->step <= steps_total)) {
        rc = gerr(GROWTH_EFORMAT, "%s: pacing state is invalid (NaN, negative or out of range)", who);
        goto done;
    }
    memcpy(b->wins, msg->shade_wins, (size_t)b->K * sizeof *b->wins);
    memcpy(b->trials, msg->shade_trials, (size_t)b->K * sizeof *b->trials);
    refit_curve(b);
    atomic_store_explicit(&b->obs, msg->shade_obs, memory_order_relaxed);
    atomic_store_explicit(&b->mult, msg->multiplier, memory_order_relaxed);
    atomic_store_explicit(&b->rate, msg->rate, memory_order_relaxed);
    atomic_store_explicit(&b->spent_pub, msg->spent, memory_order_relaxed);
    atomic_store_explicit(&b->exhausted, (bool)msg->exhausted, memory_order_relaxed);
    b->spent = msg->spent;
    b->step = msg->step;
    b->interval_spent = msg->interval_spent;
    b->err1 = msg->err1;
    b->err2 = msg->err2;
    b->days = msg->days;
    b->last_time = msg->last_time;
done:
    growth__bidder__free_unpacked(msg, &gpb_allocator);
    if (rc)
        bidder_destroy(b);
    else
        *out = b;
    return rc;
}

GROWTH_API int growth_bidder_deserialize(growth_bidder **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_bidder_deserialize", buf, len, GROWTH_KIND_BIDDER, bidder_from_payload,
                              out);
}

GROWTH_API int growth_bidder_load(growth_bidder **out, const char *path)
{
    return gmodel_load("growth_bidder_load", path, BID_MAX_FILE, GROWTH_KIND_BIDDER, bidder_from_payload,
                       out);
}
