/* Channel budget allocation on concave response curves.
 *
 * Maximise sum_c w_c f_c(x_c) subject to sum x_c <= B, lo_c <= x_c <= hi_c, every f_c concave
 * and non-decreasing. KKT: there is a price mu >= 0 with x_c = argmax w_c f_c(x) - mu x on
 * [lo_c, hi_c]. x_c(mu) is non-increasing in mu: closed form for the parametric curves, a
 * segment walk for piecewise-linear ones (set-valued at a segment's slope). We bisect mu on the
 * total spend until the bracket is a few ulps wide, set every channel to its spend at the
 * upper end (the smaller spends), then pour what is left of the budget into the channels whose
 * spend jumps inside the bracket (flat pieces at exactly that slope). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

typedef struct {
    int kind; /* GROWTH_CURVE_EXP / GROWTH_CURVE_LOG / 0 = points */
    double a, b, w, lo, hi;
    size_t n;
    double *x, *y; /* points */
} channel;

struct growth_channels {
    double tol;
    size_t n, cap;
    channel *ch;
    int64_t max_memory; /* bytes the set may hold, 0 = no cap */
    size_t points;      /* points stored by growth_channels_add_points() */
};

typedef struct {
    double tol;
    int64_t max_memory;
} ch_cfg;
static const gcfg_opt ch_opts[] = {
    {"tol", GCFG_DOUBLE, offsetof(ch_cfg, tol), "1e-12", 0, 1e-3, NULL, true},
    GCFG_MAX_MEMORY(ch_cfg, max_memory),
};

/* Refuses an add of one channel with `npoints` points that would take the set past physical
 * memory or max_memory (the channel array doubles; each point is two doubles). */
static int ch_check_memory(const growth_channels *c, const char *who, size_t npoints)
{
    double cap = c->n < c->cap ? (double)c->cap : (c->cap ? 2.0 * (double)c->cap : 8.0);
    double need =
        (double)sizeof *c + cap * (double)sizeof(channel) + ((double)c->points + (double)npoints) * 16;
    return gmem_reserve(who, need, (uint64_t)c->max_memory);
}

GROWTH_API int growth_channels_create(growth_channels **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_channels_create", out);
    *out = NULL;
    ch_cfg cfg;
    int rc = gcfg_parse("growth_channels_create", ch_opts, sizeof ch_opts / sizeof ch_opts[0], config, &cfg,
                        sizeof cfg);
    if (rc) return rc;
    growth_channels *c = calloc(1, sizeof *c);
    if (!c) return gerr(GROWTH_ENOMEM, "growth_channels_create: out of memory");
    c->tol = cfg.tol;
    c->max_memory = cfg.max_memory;
    *out = c;
    return GROWTH_OK;
}

GROWTH_API void growth_channels_free(growth_channels *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->ch[i].x);
        free(c->ch[i].y);
    }
    free(c->ch);
    free(c);
}

GROWTH_API int growth_channels_stats_get(const growth_channels *c, growth_channels_stats *out)
{
    static const char *who = "growth_channels_stats_get";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, out);
    growth_channels_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    st.channels = c->n;
    return gstruct_out(who, "out", out, &st, sizeof st, sizeof st);
}

static int check_common(const char *who, double w, double lo, double hi)
{
    if (!(w >= 0 && w <= DBL_MAX))
        return gerr(GROWTH_EINVAL, "%s: weight %g must be finite and >= 0", who, w);
    if (!(lo >= 0 && lo <= DBL_MAX))
        return gerr(GROWTH_EINVAL, "%s: min_spend %g must be finite and >= 0", who, lo);
    if (!(hi >= lo)) return gerr(GROWTH_EINVAL, "%s: max_spend %g must be >= min_spend %g", who, hi, lo);
    return GROWTH_OK;
}

/* Appends a validated channel; on failure the set is unchanged (ch's arrays stay the caller's). */
static int push_channel(growth_channels *c, const char *who, const channel *ch, size_t *out_index)
{
    if (c->n >= INT32_MAX) return gerr(GROWTH_ENOMEM, "%s: too many channels", who);
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 8;
        channel *n = realloc(c->ch, nc * sizeof *n);
        if (!n) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        c->ch = n;
        c->cap = nc;
    }
    c->ch[c->n] = *ch;
    if (out_index) *out_index = c->n;
    c->n++;
    return GROWTH_OK;
}

GROWTH_API int growth_channels_add(growth_channels *c, growth_curve kind, double a, double b, double weight,
                                   double min_spend, double max_spend, size_t *out_index)
{
    static const char *who = "growth_channels_add";
    GROWTH_CHECK_NULL(who, c);
    if ((int)kind != GROWTH_CURVE_EXP && (int)kind != GROWTH_CURVE_LOG)
        return gerr(GROWTH_EINVAL, "%s: kind %d is not GROWTH_CURVE_EXP or GROWTH_CURVE_LOG", who, (int)kind);
    if (!(a >= 0 && a <= DBL_MAX)) return gerr(GROWTH_EINVAL, "%s: a = %g must be finite and >= 0", who, a);
    if (!(b >= 0 && b <= DBL_MAX)) return gerr(GROWTH_EINVAL, "%s: b = %g must be finite and >= 0", who, b);
    int rc = check_common(who, weight, min_spend, max_spend);
    if (rc) return rc;
    if ((rc = ch_check_memory(c, who, 0))) return rc;
    channel ch = {(int)kind, a, b, weight, min_spend, max_spend, 0, NULL, NULL};
    return push_channel(c, who, &ch, out_index);
}

GROWTH_API int growth_channels_add_points(growth_channels *c, const double *x, const double *y, size_t n,
                                          double weight, double min_spend, double max_spend,
                                          size_t *out_index)
{
    static const char *who = "growth_channels_add_points";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, y);
    if (n < 2) return gerr(GROWTH_EINVAL, "%s: %zu points, need at least 2", who, n);
    if (n > SIZE_MAX / sizeof(double)) /* no array of points is that long */
        return gerr(GROWTH_EINVAL, "%s: %zu points is too large", who, n);
    int rc = check_common(who, weight, min_spend, max_spend);
    if (rc) return rc;
    if (x[0] != 0) return gerr(GROWTH_EINVAL, "%s: x[0] = %g, the first point must be at spend 0", who, x[0]);
    double prev_slope = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!gfinite(x[i]) || !gfinite(y[i]))
            return gerr(GROWTH_EINVAL, "%s: point %zu (%g, %g) is not finite", who, i, x[i], y[i]);
        if (i == 0) continue;
        if (!(x[i] > x[i - 1])) return gerr(GROWTH_EINVAL, "%s: x[%zu] = %g does not increase", who, i, x[i]);
        double s = (y[i] - y[i - 1]) / (x[i] - x[i - 1]);
        if (s < 0) return gerr(GROWTH_EINVAL, "%s: y decreases at point %zu", who, i);
        if (s > prev_slope * (1 + 1e-12))
            return gerr(GROWTH_EINVAL, "%s: curve is not concave at point %zu (slope rises from %g to %g)",
                        who, i, prev_slope, s);
        prev_slope = s;
    }
    if ((rc = ch_check_memory(c, who, n))) return rc;
    channel ch = {
        0, 0, 0, weight, min_spend, max_spend, n, malloc(n * sizeof(double)), malloc(n * sizeof(double))};
    if (!ch.x || !ch.y) {
        free(ch.x);
        free(ch.y);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    memcpy(ch.x, x, n * sizeof(double));
    memcpy(ch.y, y, n * sizeof(double));
    rc = push_channel(c, who, &ch, out_index);
    if (rc) {
        free(ch.x);
        free(ch.y);
    } else
        c->points += n;
    return rc;
}

/* Weighted outcome at spend x. */
static double ch_value(const channel *c, double x)
{
    if (c->kind == GROWTH_CURVE_EXP) return c->w * c->a * -expm1(-c->b * x);
    if (c->kind == GROWTH_CURVE_LOG) return c->w * c->a * log1p(c->b * x);
    if (x >= c->x[c->n - 1]) return c->w * c->y[c->n - 1];
    size_t lo = 0, hi = c->n - 1; /* x[lo] <= x < x[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (c->x[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    double t = (x - c->x[lo]) / (c->x[hi] - c->x[lo]);
    return c->w * (c->y[lo] + t * (c->y[hi] - c->y[lo]));
}

/* Right derivative of the weighted outcome at x. */
static double ch_deriv(const channel *c, double x)
{
    if (c->kind == GROWTH_CURVE_EXP) return c->w * c->a * c->b * exp(-c->b * x);
    if (c->kind == GROWTH_CURVE_LOG) return c->w * c->a * c->b / (1 + c->b * x);
    for (size_t i = 0; i + 1 < c->n; i++)
        if (x < c->x[i + 1]) return c->w * (c->y[i + 1] - c->y[i]) / (c->x[i + 1] - c->x[i]);
    return 0;
}

/* Spend at price mu: the largest maximiser of w f(x) - mu x on [lo, hi] if `upper`, else the
 * smallest (they differ only on a linear piece of slope exactly mu). */
static double ch_spend(const channel *c, double mu, int upper)
{
    double x;
    double g = c->w * c->a * c->b; /* derivative at 0 (parametric) */
    if (c->kind == GROWTH_CURVE_EXP) {
        x = (g > mu && c->b > 0) ? log(g / mu) / c->b : 0;
        if (mu <= 0 && g > 0) x = INFINITY;
    } else if (c->kind == GROWTH_CURVE_LOG) {
        x = (g > mu && c->b > 0) ? (g / mu - 1) / c->b : 0;
        if (mu <= 0 && g > 0) x = INFINITY;
    } else {
        x = 0;
        for (size_t i = 0; i + 1 < c->n; i++) {
            double s = c->w * (c->y[i + 1] - c->y[i]) / (c->x[i + 1] - c->x[i]);
            if (s > mu || (upper && s == mu && s > 0))
                x = c->x[i + 1];
            else
                break;
        }
    }
    return fmin(fmax(x, c->lo), c->hi);
}

static double total_spend(const growth_channels *c, double mu, int upper)
{
    double s = 0;
    for (size_t i = 0; i < c->n; i++) s += ch_spend(&c->ch[i], mu, upper);
    return s;
}

static int solve_one(const growth_channels *c, double budget, double *spend, double *total, double *marginal)
{
    double mu_hi = 0;
    if (total_spend(c, 0, 1) > budget) {
        /* bracket: at mu_hi the channels spend at most the budget */
        mu_hi = 1;
        while (total_spend(c, mu_hi, 1) > budget && mu_hi < DBL_MAX / 4) mu_hi *= 4;
        double mu_lo = 0;
        for (int it = 0; it < 2000 && mu_hi - mu_lo > c->tol * mu_hi; it++) {
            double mid = 0.5 * (mu_lo + mu_hi);
            if (mid <= mu_lo || mid >= mu_hi) break;
            if (total_spend(c, mid, 1) > budget)
                mu_lo = mid;
            else
                mu_hi = mid;
        }
        double left = budget;
        for (size_t i = 0; i < c->n; i++) {
            spend[i] = ch_spend(&c->ch[i], mu_hi, 0);
            left -= spend[i];
        }
        /* pour the rest into channels whose spend grows inside the bracket, steepest first */
        for (int pass = 0; pass < 2 && left > 0; pass++)
            for (size_t i = 0; i < c->n && left > 0; i++) {
                double more = ch_spend(&c->ch[i], pass == 0 ? mu_hi : mu_lo, 1) - spend[i];
                if (more <= 0) continue;
                if (more > left) more = left;
                spend[i] += more;
                left -= more;
            }
    } else {
        for (size_t i = 0; i < c->n; i++) spend[i] = ch_spend(&c->ch[i], 0, 1);
        for (size_t i = 0; i < c->n; i++) /* flat tails: spend nothing more than needed */
            if (isinf(spend[i])) spend[i] = c->ch[i].lo;
    }
    double t = 0, m = 0;
    for (size_t i = 0; i < c->n; i++) {
        t += ch_value(&c->ch[i], spend[i]);
        if (spend[i] < c->ch[i].hi) m = fmax(m, ch_deriv(&c->ch[i], spend[i]));
    }
    if (total) *total = t;
    if (marginal) *marginal = m;
    return GROWTH_OK;
}

static int check_budget(const growth_channels *c, const char *who, double budget)
{
    if (!(budget >= 0 && budget <= DBL_MAX))
        return gerr(GROWTH_EINVAL, "%s: budget %g must be finite and >= 0", who, budget);
    double mins = 0;
    for (size_t i = 0; i < c->n; i++) mins += c->ch[i].lo;
    if (mins > budget)
        return gerr(GROWTH_EINVAL, "%s: infeasible minimums: min_spend totals %g > budget %g", who, mins,
                    budget);
    return GROWTH_OK;
}

GROWTH_API int growth_channels_allocate(const growth_channels *c, double budget, double *out_spend,
                                        double *out_outcome, size_t cap, double *out_total,
                                        double *out_marginal)
{
    static const char *who = "growth_channels_allocate";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, out_spend);
    if (c->n == 0) return gerr(GROWTH_ESTATE, "%s: no channels added", who);
    if (cap < c->n) return gerr(GROWTH_EBUFS, "%s: cap %zu < %zu channels", who, cap, c->n);
    int rc = check_budget(c, who, budget);
    if (rc) return rc;
    solve_one(c, budget, out_spend, out_total, out_marginal);
    if (out_outcome)
        for (size_t i = 0; i < c->n; i++) out_outcome[i] = ch_value(&c->ch[i], out_spend[i]);
    return GROWTH_OK;
}

GROWTH_API int growth_channels_curve(const growth_channels *c, const double *budgets, size_t n,
                                     double *out_total, double *out_marginal, double *out_spend,
                                     size_t spend_cap)
{
    static const char *who = "growth_channels_curve";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, budgets);
    GROWTH_CHECK_NULL(who, out_total);
    if (c->n == 0) return gerr(GROWTH_ESTATE, "%s: no channels added", who);
    if (out_spend && spend_cap / c->n < n)
        return gerr(GROWTH_EBUFS, "%s: spend_cap %zu < %zu budgets x %zu channels", who, spend_cap, n, c->n);
    for (size_t q = 0; q < n; q++) {
        int rc = check_budget(c, who, budgets[q]);
        if (rc) return rc;
    }
    double *tmp = malloc(c->n * sizeof(double));
    if (!tmp) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    for (size_t q = 0; q < n; q++) {
        double *sp = out_spend ? out_spend + q * c->n : tmp;
        solve_one(c, budgets[q], sp, &out_total[q], out_marginal ? &out_marginal[q] : NULL);
    }
    free(tmp);
    return GROWTH_OK;
}
