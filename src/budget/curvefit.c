/* Fitting a concave, non-decreasing response curve through the origin to logged (spend, outcome)
 * pairs by weighted least squares (growth_channels_fit).
 *
 * exp / log: variable projection. For fixed b the model a*g_b(x) is linear in a, so the best
 * a >= 0 is sum(w g y) / sum(w g^2) and the profile SSE(b) = sum(w y^2) - (sum w g y)^2 / sum w g^2
 * (when that a is positive). SSE(b) is minimised over log b by a scan of 400 points and a
 * golden-section refinement around the best one.
 *
 * pwl: a concave, non-decreasing piecewise-linear f with f(0) = 0, flat beyond its last knot, is
 * sum_j u_j min(x, t_j) with u_j >= 0 (u_j = the drop of slope at knot t_j), so the fit is a
 * non-negative least-squares problem in u, solved exactly by Lawson-Hanson's active set (the
 * normal equations of the passive set by Cholesky in long double; columns scaled to
 * min(x / t_j, 1)). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

enum { FAM_AUTO = 0, FAM_EXP = 1, FAM_LOG = 2, FAM_PWL = 3 };

typedef struct {
    int family;
    int64_t knots;
} fit_cfg;
static const gcfg_opt fit_opts[] = {
    {"family", GCFG_ENUM, offsetof(fit_cfg, family), "auto", 0, 0, "auto|exp|log|pwl", false},
    {"knots", GCFG_INT, offsetof(fit_cfg, knots), "32", 2, 1024, NULL, false},
};

typedef struct {
    const double *x, *y, *w; /* compacted observations with w > 0 */
    size_t n;
    double sw, swyy, ybar, sst;
} obs;

static double basis(int fam, double b, double x) { return fam == FAM_EXP ? -expm1(-b * x) : log1p(b * x); }

/* Profile: best a >= 0 for this b and its SSE. */
static double profile_sse(const obs *o, int fam, double b, double *a_out)
{
    double sgy = 0, sgg = 0;
    for (size_t i = 0; i < o->n; i++) {
        double g = basis(fam, b, o->x[i]);
        sgy += o->w[i] * g * o->y[i];
        sgg += o->w[i] * g * g;
    }
    double a = (sgg > 0 && sgy > 0) ? sgy / sgg : 0;
    /* the SSE computed directly (the closed form cancels badly when the fit is good) */
    double sse = 0;
    for (size_t i = 0; i < o->n; i++) {
        double e = o->y[i] - a * basis(fam, b, o->x[i]);
        sse += o->w[i] * e * e;
    }
    if (a_out) *a_out = a;
    return sse;
}

static double fit_param(const obs *o, int fam, double xmin_pos, double xmax, double *a_out, double *b_out)
{
    enum { SCAN = 400 };
    double lo = log(1e-3 / xmax), hi = log(1e3 / xmin_pos);
    double best = INFINITY, best_t = lo;
    for (int i = 0; i <= SCAN; i++) {
        double t = lo + (hi - lo) * i / SCAN;
        double s = profile_sse(o, fam, exp(t), NULL);
        if (s < best) best = s, best_t = t;
    }
    double step = (hi - lo) / SCAN;
    double l = fmax(lo, best_t - step), h = fmin(hi, best_t + step);
    const double gr = 0.6180339887498949;
    double c = h - gr * (h - l), d = l + gr * (h - l);
    double fc = profile_sse(o, fam, exp(c), NULL), fd = profile_sse(o, fam, exp(d), NULL);
    for (int it = 0; it < 200 && h - l > 1e-13 * fmax(1.0, fabs(h)); it++) {
        if (fc <= fd) {
            h = d, d = c, fd = fc;
            c = h - gr * (h - l);
            fc = profile_sse(o, fam, exp(c), NULL);
        } else {
            l = c, c = d, fc = fd;
            d = l + gr * (h - l);
            fd = profile_sse(o, fam, exp(d), NULL);
        }
    }
    double t = fc <= fd ? c : d, a;
    double s = profile_sse(o, fam, exp(t), &a);
    if (best < s) { /* the scan point stays (a flat profile) */
        t = best_t;
        s = profile_sse(o, fam, exp(t), &a);
    }
    *a_out = a;
    *b_out = exp(t);
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Cholesky solve of the p x p system G z = c (long double); returns 0 if G is not positive
 * definite enough. */
static int chol_solve(long double *G, size_t p, long double *z)
{
    for (size_t j = 0; j < p; j++) {
        long double d = G[j * p + j];
        for (size_t k = 0; k < j; k++) d -= G[j * p + k] * G[j * p + k];
        if (!(d > 1e-30L)) return 0;
        d = sqrtl(d);
        G[j * p + j] = d;
        for (size_t i = j + 1; i < p; i++) {
            long double s = G[i * p + j];
            for (size_t k = 0; k < j; k++) s -= G[i * p + k] * G[j * p + k];
            G[i * p + j] = s / d;
        }
    }
    for (size_t i = 0; i < p; i++) {
        long double s = z[i];
        for (size_t k = 0; k < i; k++) s -= G[i * p + k] * z[k];
        z[i] = s / G[i * p + i];
    }
    for (size_t i = p; i-- > 0;) {
        long double s = z[i];
        for (size_t k = i + 1; k < p; k++) s -= G[k * p + i] * z[k];
        z[i] = s / G[i * p + i];
    }
    return 1;
}

/* Lawson-Hanson NNLS in Gram form: min u'Gu - 2 c'u, u >= 0 (m unknowns). Scratch: ws. */
static void nnls_gram(const long double *G, const long double *c, size_t m, double *u, unsigned char *passive,
                      long double *ws)
{
    long double *Gp = ws, *z = ws + m * m, *grad = z + m;
    size_t *idx = (size_t *)(grad + m);
    memset(passive, 0, m);
    for (size_t j = 0; j < m; j++) u[j] = 0;
    long double cmax = 0;
    for (size_t j = 0; j < m; j++) cmax = fmaxl(cmax, fabsl(c[j]));
    long double tol = 1e-13L * (cmax > 0 ? cmax : 1);
    for (size_t outer = 0; outer < 4 * m + 10; outer++) {
        for (size_t j = 0; j < m; j++) {
            long double g = c[j];
            for (size_t k = 0; k < m; k++) g -= G[j * m + k] * u[k];
            grad[j] = g;
        }
        size_t t = m;
        long double gbest = tol;
        for (size_t j = 0; j < m; j++)
            if (!passive[j] && grad[j] > gbest) gbest = grad[j], t = j;
        if (t == m) break;
        passive[t] = 1;
        for (size_t inner = 0; inner < 4 * m + 10; inner++) {
            size_t p = 0;
            for (size_t j = 0; j < m; j++)
                if (passive[j]) idx[p++] = j;
            for (size_t a = 0; a < p; a++) {
                z[a] = c[idx[a]];
                for (size_t b = 0; b < p; b++) Gp[a * p + b] = G[idx[a] * m + idx[b]];
            }
            if (!chol_solve(Gp, p, z)) { /* dependent column: drop the one just added */
                passive[t] = 0;
                break;
            }
            int allpos = 1;
            for (size_t a = 0; a < p; a++)
                if (z[a] <= 0) allpos = 0;
            if (allpos) {
                for (size_t a = 0; a < p; a++) u[idx[a]] = (double)z[a];
                break;
            }
            long double alpha = 1;
            for (size_t a = 0; a < p; a++)
                if (z[a] <= 0) {
                    long double den = u[idx[a]] - z[a];
                    long double r = den > 0 ? u[idx[a]] / den : 0;
                    if (r < alpha) alpha = r;
                }
            for (size_t a = 0; a < p; a++) {
                u[idx[a]] += (double)(alpha * (z[a] - u[idx[a]]));
                if (u[idx[a]] <= 1e-15 * (double)fabsl(z[a]) || u[idx[a]] <= 0) {
                    u[idx[a]] = 0;
                    passive[idx[a]] = 0;
                }
            }
        }
    }
}

/* Piecewise-linear fit; writes the hinge knots t (m) and weights u (m, scaled: f(x) = sum
 * u_j min(x / t_j, 1)); returns the SSE or -1 when out of memory. */
static double fit_pwl(const obs *o, size_t max_knots, double **t_out, double **u_out, size_t *m_out)
{
    double *xs = malloc(o->n * sizeof *xs);
    if (!xs) return -1;
    size_t nd = 0;
    for (size_t i = 0; i < o->n; i++)
        if (o->x[i] > 0) xs[nd++] = o->x[i];
    qsort(xs, nd, sizeof *xs, cmp_double);
    size_t d = 0;
    for (size_t i = 0; i < nd; i++)
        if (d == 0 || xs[i] > xs[d - 1]) xs[d++] = xs[i];
    size_t m = d < max_knots ? d : max_knots;
    double *t = malloc(m * sizeof *t), *u = malloc(m * sizeof *u);
    long double *G = calloc(m * m, sizeof *G), *c = calloc(m, sizeof *c);
    long double *ws = malloc((m * m + 2 * m) * sizeof(long double) + m * sizeof(size_t) + 16);
    unsigned char *passive = malloc(m);
    if (!t || !u || !G || !c || !ws || !passive) {
        free(xs), free(t), free(u), free(G), free(c), free(ws), free(passive);
        return -1;
    }
    for (size_t j = 0; j < m; j++)
        t[j] = m == d ? xs[j] : xs[(size_t)llround((double)j * (double)(d - 1) / (double)(m - 1))];
    free(xs);
    for (size_t i = 0; i < o->n; i++) {
        double x = o->x[i], w = o->w[i];
        for (size_t j = 0; j < m; j++) {
            long double hj = fminl((long double)x / t[j], 1.0L);
            if (hj == 0) continue;
            c[j] += (long double)w * hj * o->y[i];
            for (size_t k = j; k < m; k++) {
                long double hk = fminl((long double)x / t[k], 1.0L);
                G[j * m + k] += (long double)w * hj * hk;
            }
        }
    }
    for (size_t j = 0; j < m; j++)
        for (size_t k = 0; k < j; k++) G[j * m + k] = G[k * m + j];
    nnls_gram(G, c, m, u, passive, ws);
    free(G), free(c), free(ws), free(passive);
    double sse = 0;
    for (size_t i = 0; i < o->n; i++) {
        double f = 0;
        for (size_t j = 0; j < m; j++) f += u[j] * fmin(o->x[i] / t[j], 1.0);
        double e = o->y[i] - f;
        sse += o->w[i] * e * e;
    }
    *t_out = t;
    *u_out = u;
    *m_out = m;
    return sse;
}

GROWTH_API int growth_channels_fit(const double *spend, const double *outcome, const double *weight, size_t n,
                                   const char *config, growth_channels_fit_result *out_result,
                                   double *out_knot_x, double *out_knot_y, size_t cap, size_t *out_n)
{
    static const char *who = "growth_channels_fit";
    GROWTH_CHECK_NULL(who, spend);
    GROWTH_CHECK_NULL(who, outcome);
    GROWTH_CHECK_NULL(who, out_result);
    if (cap && (!out_knot_x || !out_knot_y))
        return gerr(GROWTH_EINVAL, "%s: out_knot_x or out_knot_y is NULL with cap %zu", who, cap);
    if (n < 2) return gerr(GROWTH_EINVAL, "%s: %zu observations, need at least 2", who, n);
    if (n > SIZE_MAX / (3 * sizeof(double))) return gerr(GROWTH_EINVAL, "%s: n = %zu is too large", who, n);
    if (out_result->struct_size < sizeof *out_result)
        return gerr(
            GROWTH_EINVAL,
            "%s: out_result->struct_size is %u, expected at least %zu (initialise it with its _INIT macro)",
            who, out_result->struct_size, sizeof *out_result);
    fit_cfg cfg;
    int rc = gcfg_parse(who, fit_opts, sizeof fit_opts / sizeof fit_opts[0], config, &cfg, sizeof cfg);
    if (rc) return rc;
    size_t used = 0;
    double xmin_pos = INFINITY, xmax = 0, lo = INFINITY, hi = 0;
    for (size_t i = 0; i < n; i++) {
        double w = weight ? weight[i] : 1.0;
        if (!(spend[i] >= 0 && spend[i] <= DBL_MAX))
            return gerr(GROWTH_EINVAL, "%s: spend[%zu] = %g must be finite and >= 0", who, i, spend[i]);
        if (!(outcome[i] >= 0 && outcome[i] <= DBL_MAX))
            return gerr(GROWTH_EINVAL, "%s: outcome[%zu] = %g must be finite and >= 0", who, i, outcome[i]);
        if (!(w >= 0 && w <= DBL_MAX))
            return gerr(GROWTH_EINVAL, "%s: weight[%zu] = %g must be finite and >= 0", who, i, w);
        if (w == 0) continue;
        used++;
        lo = fmin(lo, spend[i]);
        hi = fmax(hi, spend[i]);
        if (spend[i] > 0) xmin_pos = fmin(xmin_pos, spend[i]);
        xmax = fmax(xmax, spend[i]);
    }
    if (!(xmax > xmin_pos))
        return gerr(GROWTH_EINVAL, "%s: need at least two distinct positive spends with weight > 0", who);

    double *buf = malloc(3 * used * sizeof(double));
    if (!buf) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    double *x = buf, *y = buf + used, *w = buf + 2 * used;
    obs o = {x, y, w, used, 0, 0, 0, 0};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = weight ? weight[i] : 1.0;
        if (wi == 0) continue;
        x[k] = spend[i], y[k] = outcome[i], w[k] = wi;
        o.sw += wi;
        o.ybar += wi * outcome[i];
        k++;
    }
    o.ybar /= o.sw;
    for (size_t i = 0; i < used; i++) o.sst += w[i] * (y[i] - o.ybar) * (y[i] - o.ybar);

    double sse_best = INFINITY, crit_best = INFINITY, a_best = 0, b_best = 0;
    int fam_best = 0;
    double *t = NULL, *u = NULL;
    size_t m = 0;
    double N = (double)used;
    for (int fam = FAM_EXP; fam <= FAM_PWL; fam++) {
        if (cfg.family != FAM_AUTO && cfg.family != fam) continue;
        double sse, a = 0, b = 0, kpar = 2;
        if (fam == FAM_PWL) {
            sse = fit_pwl(&o, (size_t)cfg.knots, &t, &u, &m);
            if (sse < 0) {
                free(buf);
                return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            }
            kpar = 0;
            for (size_t j = 0; j < m; j++) kpar += u[j] > 0;
        } else
            sse = fit_param(&o, fam, xmin_pos, xmax, &a, &b);
        /* errors below 1e-10 of the outcomes' scale count as exact fits (then the simplest wins) */
        double floor_mse = fmax(1e-20 * (o.sst / o.sw + o.ybar * o.ybar), 1e-300);
        double crit = N * log(fmax(sse / o.sw, floor_mse)) + kpar * log(N);
        if (crit < crit_best) { crit_best = crit, sse_best = sse, fam_best = fam, a_best = a, b_best = b; }
    }
    free(buf);

    size_t nk = 0;
    if (fam_best == FAM_PWL) {
        nk = 1;
        for (size_t j = 0; j < m; j++) nk += u[j] > 0;
        if (nk < 2) nk = 2;
        if (cap < nk) {
            free(t), free(u);
            if (out_n) *out_n = nk;
            return gerr(GROWTH_EBUFS, "%s: cap %zu < %zu knots", who, cap, nk);
        }
        out_knot_x[0] = 0, out_knot_y[0] = 0;
        size_t q = 1;
        for (size_t j = 0; j < m; j++) {
            if (!(u[j] > 0)) continue;
            double f = 0;
            for (size_t l = 0; l < m; l++) f += u[l] * fmin(t[j] / t[l], 1.0);
            out_knot_x[q] = t[j], out_knot_y[q] = f;
            q++;
        }
        if (q < 2) out_knot_x[1] = t[m - 1], out_knot_y[1] = 0;
    }
    free(t), free(u);
    growth_channels_fit_result res;
    memset(&res, 0, sizeof res);
    res.struct_size = (uint32_t)sizeof res;
    res.family = fam_best == FAM_PWL ? 0 : fam_best;
    res.a = a_best;
    res.b = b_best;
    res.r2 = o.sst > 0 ? 1 - sse_best / o.sst : (sse_best > 0 ? 0 : 1);
    res.rmse = sqrt(sse_best / o.sw);
    res.spend_lo = lo;
    res.spend_hi = hi;
    res.n = used;
    res.knots = nk;
    if (out_n) *out_n = nk;
    return gstruct_out(who, "out_result", out_result, &res, sizeof res, sizeof res);
}
