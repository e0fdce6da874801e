/* Multi-outcome budget allocation over placements (growth_response_*).
 *
 * Placement c has one concave, non-decreasing curve f_ck per outcome k. For outcome coefficients
 * coef >= 0 the placement's value is g_c = sum_k coef_k f_ck (concave); the budgets are a total B
 * and per-group budgets B_g (a placement in at most one group), so the prices form a two-level
 * tree: at total price mu a placement of group g pays max(mu, pi_g) where pi_g is the price at
 * which its group alone spends B_g (found once by bisection, 0 when the group's budget does not
 * bind), and x_c(p) = argmax g_c(x) - p x on [min_c, max_c] is found by bisection on the right
 * derivative of g_c (snapped to a knot of a piecewise-linear curve). mu is found by bisection on
 * the total spend; what is left in the final price bracket is poured into placements whose
 * spend jumps there (flat pieces), within the group budgets.
 *
 * Ratio constraints sum_c f_ck >= r_k sum_c f_c0 are linear in the outcomes, so their Lagrangian
 * maximises weights . outcomes + lambda_k (f_k - r_k f_0): coefficients w + lambda_k e_k -
 * lambda_k r_k e_0, concave while w_0 >= sum lambda_k r_k. The constraint value of the plan is
 * non-decreasing in lambda_k, so lambda_k is found by bisection (nested for two constraints),
 * and a plan that jumps inside the final bracket is mixed from the two sides so that the
 * constraint holds with equality. Any such plan is optimal: for a feasible x,
 * obj(x) <= obj(x) + lambda . phi(x) <= L(x*, lambda) = obj(x*). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

#define RESP_MAX_OUTCOMES 16
#define RESP_MAX_RATIOS   2

typedef struct {
    int kind; /* GROWTH_CURVE_EXP / _LOG, 0 = points (n > 0) or zero (n = 0) */
    double a, b;
    size_t n;
    double *x, *y;
} rcurve;

typedef struct {
    int32_t group;
    double lo, hi; /* measured spend range */
    rcurve *cv;    /* K curves */
} rplace;

struct growth_response {
    size_t K;
    double tol;
    int64_t max_memory;
    size_t n, cap;
    rplace *pl;
    size_t points;
};

typedef struct {
    double tol;
    int64_t max_memory;
} resp_cfg;
static const gcfg_opt resp_opts[] = {
    {"tol", GCFG_DOUBLE, offsetof(resp_cfg, tol), "1e-12", 1e-15, 1e-3, NULL, true},
    GCFG_MAX_MEMORY(resp_cfg, max_memory),
};

GROWTH_API int growth_response_create(growth_response **out, size_t n_outcomes, const char *config)
{
    static const char *who = "growth_response_create";
    GROWTH_CHECK_NULL(who, out);
    *out = NULL;
    if (n_outcomes < 1 || n_outcomes > RESP_MAX_OUTCOMES)
        return gerr(GROWTH_EINVAL, "%s: n_outcomes = %zu must be in 1..%d", who, n_outcomes,
                    RESP_MAX_OUTCOMES);
    resp_cfg cfg;
    int rc = gcfg_parse(who, resp_opts, sizeof resp_opts / sizeof resp_opts[0], config, &cfg, sizeof cfg);
    if (rc) return rc;
    growth_response *r = calloc(1, sizeof *r);
    if (!r) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    r->K = n_outcomes;
    r->tol = cfg.tol;
    r->max_memory = cfg.max_memory;
    *out = r;
    return GROWTH_OK;
}

GROWTH_API void growth_response_free(growth_response *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t k = 0; k < r->K; k++) {
            free(r->pl[i].cv[k].x);
            free(r->pl[i].cv[k].y);
        }
        free(r->pl[i].cv);
    }
    free(r->pl);
    free(r);
}

static int resp_check_memory(const growth_response *r, const char *who, size_t new_places, size_t new_points)
{
    double cap = (double)(r->n + new_places > r->cap ? (r->cap ? 2 * r->cap : 8) : r->cap);
    double need = (double)sizeof *r + cap * (double)sizeof(rplace) +
                  (double)(r->n + new_places) * (double)r->K * (double)sizeof(rcurve) +
                  ((double)r->points + (double)new_points) * 16;
    return gmem_reserve(who, need, (uint64_t)r->max_memory);
}

GROWTH_API int growth_response_add(growth_response *r, int32_t group, double spend_lo, double spend_hi,
                                   size_t *out_index)
{
    static const char *who = "growth_response_add";
    GROWTH_CHECK_NULL(who, r);
    if (group < -1) return gerr(GROWTH_EINVAL, "%s: group %d must be >= -1", who, (int)group);
    if (!(spend_lo >= 0 && spend_lo <= DBL_MAX))
        return gerr(GROWTH_EINVAL, "%s: spend_lo %g must be finite and >= 0", who, spend_lo);
    if (!(spend_hi >= spend_lo))
        return gerr(GROWTH_EINVAL, "%s: spend_hi %g must be >= spend_lo %g", who, spend_hi, spend_lo);
    if (r->n >= INT32_MAX) return gerr(GROWTH_ENOMEM, "%s: too many placements", who);
    int rc = resp_check_memory(r, who, 1, 0);
    if (rc) return rc;
    rcurve *cv = calloc(r->K, sizeof *cv);
    if (!cv) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    if (r->n == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 8;
        rplace *p = realloc(r->pl, nc * sizeof *p);
        if (!p) {
            free(cv);
            return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        }
        r->pl = p;
        r->cap = nc;
    }
    r->pl[r->n].group = group;
    r->pl[r->n].lo = spend_lo;
    r->pl[r->n].hi = spend_hi;
    r->pl[r->n].cv = cv;
    if (out_index) *out_index = r->n;
    r->n++;
    return GROWTH_OK;
}

static int check_slot(const growth_response *r, const char *who, size_t placement, size_t outcome)
{
    if (placement >= r->n)
        return gerr(GROWTH_EINVAL, "%s: placement %zu out of range (%zu placements)", who, placement, r->n);
    if (outcome >= r->K)
        return gerr(GROWTH_EINVAL, "%s: outcome %zu out of range (%zu outcomes)", who, outcome, r->K);
    return GROWTH_OK;
}

GROWTH_API int growth_response_set_curve(growth_response *r, size_t placement, size_t outcome,
                                         growth_curve kind, double a, double b)
{
    static const char *who = "growth_response_set_curve";
    GROWTH_CHECK_NULL(who, r);
    int rc = check_slot(r, who, placement, outcome);
    if (rc) return rc;
    if ((int)kind != GROWTH_CURVE_EXP && (int)kind != GROWTH_CURVE_LOG)
        return gerr(GROWTH_EINVAL, "%s: kind %d is not GROWTH_CURVE_EXP or GROWTH_CURVE_LOG", who, (int)kind);
    if (!(a >= 0 && a <= DBL_MAX)) return gerr(GROWTH_EINVAL, "%s: a = %g must be finite and >= 0", who, a);
    if (!(b >= 0 && b <= DBL_MAX)) return gerr(GROWTH_EINVAL, "%s: b = %g must be finite and >= 0", who, b);
    rcurve *c = &r->pl[placement].cv[outcome];
    r->points -= c->n;
    free(c->x);
    free(c->y);
    rcurve nc = {(int)kind, a, b, 0, NULL, NULL};
    *c = nc;
    return GROWTH_OK;
}

GROWTH_API int growth_response_set_points(growth_response *r, size_t placement, size_t outcome,
                                          const double *x, const double *y, size_t n)
{
    static const char *who = "growth_response_set_points";
    GROWTH_CHECK_NULL(who, r);
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, y);
    int rc = check_slot(r, who, placement, outcome);
    if (rc) return rc;
    if (n < 2) return gerr(GROWTH_EINVAL, "%s: %zu points, need at least 2", who, n);
    if (n > SIZE_MAX / 16) return gerr(GROWTH_EINVAL, "%s: %zu points is too large", who, n);
    if (x[0] != 0) return gerr(GROWTH_EINVAL, "%s: x[0] = %g, the first point must be at spend 0", who, x[0]);
    double prev = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!gfinite(x[i]) || !gfinite(y[i]))
            return gerr(GROWTH_EINVAL, "%s: point %zu (%g, %g) is not finite", who, i, x[i], y[i]);
        if (i == 0) {
            if (y[0] < 0) return gerr(GROWTH_EINVAL, "%s: y[0] = %g must be >= 0", who, y[0]);
            continue;
        }
        if (!(x[i] > x[i - 1])) return gerr(GROWTH_EINVAL, "%s: x[%zu] = %g does not increase", who, i, x[i]);
        double s = (y[i] - y[i - 1]) / (x[i] - x[i - 1]);
        if (s < 0) return gerr(GROWTH_EINVAL, "%s: y decreases at point %zu", who, i);
        if (s > prev * (1 + 1e-12) + 1e-300)
            return gerr(GROWTH_EINVAL, "%s: curve is not concave at point %zu (slope rises from %g to %g)",
                        who, i, prev, s);
        prev = s;
    }
    rcurve *c = &r->pl[placement].cv[outcome];
    if ((rc = resp_check_memory(r, who, 0, n > c->n ? n - c->n : 0))) return rc;
    double *nx = malloc(n * sizeof *nx), *ny = malloc(n * sizeof *ny);
    if (!nx || !ny) {
        free(nx);
        free(ny);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    memcpy(nx, x, n * sizeof *nx);
    memcpy(ny, y, n * sizeof *ny);
    r->points = r->points - c->n + n;
    free(c->x);
    free(c->y);
    rcurve nc = {0, 0, 0, n, nx, ny};
    *c = nc;
    return GROWTH_OK;
}

/* ---- curves ------------------------------------------------------------------------------- */

static double cv_value(const rcurve *c, double x)
{
    if (c->kind == GROWTH_CURVE_EXP) return c->a * -expm1(-c->b * x);
    if (c->kind == GROWTH_CURVE_LOG) return c->a * log1p(c->b * x);
    if (c->n == 0) return 0;
    if (x >= c->x[c->n - 1]) return c->y[c->n - 1];
    size_t lo = 0, hi = c->n - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (c->x[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    double t = (x - c->x[lo]) / (c->x[hi] - c->x[lo]);
    return c->y[lo] + t * (c->y[hi] - c->y[lo]);
}

static double cv_deriv(const rcurve *c, double x)
{
    if (c->kind == GROWTH_CURVE_EXP) return c->a * c->b * exp(-c->b * x);
    if (c->kind == GROWTH_CURVE_LOG) return c->a * c->b / (1 + c->b * x);
    for (size_t i = 0; i + 1 < c->n; i++)
        if (x < c->x[i + 1]) return (c->y[i + 1] - c->y[i]) / (c->x[i + 1] - c->x[i]);
    return 0;
}

static double pl_deriv(const rplace *p, size_t K, const double *coef, double x)
{
    double d = 0;
    for (size_t k = 0; k < K; k++)
        if (coef[k] > 0) d += coef[k] * cv_deriv(&p->cv[k], x);
    return d;
}

/* The largest (upper) or smallest maximiser of g(x) - price x on [lo, hi]. */
static double pl_spend(const rplace *p, size_t K, const double *coef, double price, int upper, double lo,
                       double hi)
{
#define PRED(xx) (d = pl_deriv(p, K, coef, (xx)), d > price || (upper && d >= price && d > 0))
    double d;
    if (!(hi > lo)) return lo;
    if (!PRED(lo)) return lo;
    double a = lo, b;
    if (hi <= DBL_MAX) {
        if (PRED(hi)) return hi;
        b = hi;
    } else {
        b = fmax(2 * lo, 1.0);
        while (PRED(b)) {
            a = b;
            b *= 2;
            if (b > 1e300) return INFINITY;
        }
    }
    for (int it = 0; it < 200; it++) {
        double mid = a + 0.5 * (b - a);
        if (mid <= a || mid >= b || b - a <= 1e-15 * b) break;
        if (PRED(mid))
            a = mid;
        else
            b = mid;
    }
#undef PRED
    /* snap to a knot of a piecewise-linear curve inside the bracket */
    for (size_t k = 0; k < K; k++) {
        const rcurve *c = &p->cv[k];
        if (coef[k] <= 0 || c->kind || !c->n) continue;
        for (size_t i = 0; i < c->n; i++)
            if (c->x[i] >= a && c->x[i] <= b) return c->x[i];
    }
    return b;
}

static double pl_value(const rplace *p, size_t K, const double *coef, double x)
{
    double v = 0;
    for (size_t k = 0; k < K; k++)
        if (coef[k] != 0) v += coef[k] * cv_value(&p->cv[k], x);
    return v;
}

/* A maximiser of g(x) - price x on [lo, hi] for any coefficients. With a negative coefficient
 * g is not concave: the maximiser lies below the point where the positive part's derivative
 * falls to the price (pl_spend() ignores negative coefficients), and it is searched globally
 * there: the ends, every knot, a grid of 96 points, then a golden-section refinement around the
 * best grid point. */
static double pl_spend_any(const rplace *p, size_t K, const double *coef, double price, int upper, double lo,
                           double hi)
{
    int concave = 1;
    for (size_t k = 0; k < K; k++)
        if (coef[k] < 0) concave = 0;
    if (concave) return pl_spend(p, K, coef, price, upper, lo, hi);
    double top = pl_spend(p, K, coef, price, 1, lo, hi);
    if (!(top > lo) || isinf(top)) return top > lo ? top : lo;
    enum { GRID = 96 }; /* documented in budget.h */
    double bx = lo, bv = pl_value(p, K, coef, lo) - price * lo;
    double scale = fabs(bv) + 1;
#define CAND(xx)                                                                                             \
    do {                                                                                                     \
        double x_ = (xx), v_ = pl_value(p, K, coef, x_) - price * x_;                                        \
        scale = fmax(scale, fabs(v_) + 1);                                                                   \
        if (v_ > bv + 1e-13 * scale || (upper && v_ >= bv - 1e-13 * scale && x_ > bx) ||                     \
            (!upper && v_ >= bv - 1e-13 * scale && x_ < bx))                                                 \
            bv = fmax(bv, v_), bx = x_;                                                                      \
    } while (0)
    int bi = -1;
    for (int i = 1; i <= GRID; i++) {
        double before = bx;
        CAND(lo + (top - lo) * i / GRID);
        if (bx != before) bi = i;
    }
    if (bi >= 0) { /* refine around the best grid point */
        double l = lo + (top - lo) * (bi - 1) / GRID, h = lo + (top - lo) * fmin(bi + 1, GRID) / GRID;
        const double gr = 0.6180339887498949;
        for (int it = 0; it < 80 && h - l > 1e-14 * h; it++) {
            double c = h - gr * (h - l), d = l + gr * (h - l);
            if (pl_value(p, K, coef, c) - price * c >= pl_value(p, K, coef, d) - price * d)
                h = d;
            else
                l = c;
        }
        CAND(0.5 * (l + h));
    }
    for (size_t k = 0; k < K; k++) {
        const rcurve *c = &p->cv[k];
        if (coef[k] == 0 || c->kind || !c->n) continue;
        for (size_t i = 0; i < c->n; i++)
            if (c->x[i] > lo && c->x[i] < top) CAND(c->x[i]);
    }
#undef CAND
    return bx;
}

/* ---- the budget solve for fixed coefficients ----------------------------------------------- */

typedef struct {
    const growth_response *r;
    double B;
    const double *lo, *hi; /* per placement */
    size_t ng;             /* groups */
    const double *gbud;    /* ng budgets (INFINITY = none) */
    double *gfl, *gfh;     /* ng: price bracket of each group alone */
    double *gleft;         /* ng */
    double tol;
    double mu_lo, mu_hi; /* last solve's total price bracket */
} solver;

static inline int pgroup(const solver *s, size_t c)
{
    int32_t g = s->r->pl[c].group;
    return (g >= 0 && (size_t)g < s->ng) ? g : -1;
}

static double group_spend(const solver *s, const double *coef, int g, double price, int upper)
{
    double t = 0;
    for (size_t c = 0; c < s->r->n; c++)
        if (pgroup(s, c) == g)
            t += pl_spend_any(&s->r->pl[c], s->r->K, coef, price, upper, s->lo[c], s->hi[c]);
    return t;
}

static double eff_price(const solver *s, size_t c, double mu, int hi_side)
{
    int g = pgroup(s, c);
    if (g < 0) return mu;
    return fmax(mu, hi_side ? s->gfh[g] : s->gfl[g]);
}

/* A group whose own budget binds at total price mu spends exactly its budget (its flat pieces
 * at its own price are filled up to it). */
static int group_binds(const solver *s, int g, double mu)
{
    return g >= 0 && s->gfh[g] > 0 && mu <= s->gfl[g];
}

static double total_spend(const solver *s, const double *coef, double mu, int upper)
{
    double t = 0;
    for (size_t g = 0; g < s->ng; g++)
        if (group_binds(s, (int)g, mu)) t += s->gbud[g];
    for (size_t c = 0; c < s->r->n; c++)
        if (!group_binds(s, pgroup(s, c), mu))
            t += pl_spend_any(&s->r->pl[c], s->r->K, coef, eff_price(s, c, mu, 1), upper, s->lo[c], s->hi[c]);
    return t;
}

/* Bisection of a price on a non-increasing spend: [*plo, *phi] with spend(phi) <= budget. */
#define PRICE_BISECT(SPEND, budget, plo, phi)                                                                \
    do {                                                                                                     \
        double lo_ = 0, hi_ = 1;                                                                             \
        while ((SPEND(hi_)) > (budget) && hi_ < DBL_MAX / 4) hi_ *= 4;                                       \
        for (int it_ = 0; it_ < 3000 && hi_ - lo_ > s->tol * hi_; it_++) {                                   \
            double mid_ = 0.5 * (lo_ + hi_);                                                                 \
            if (mid_ <= lo_ || mid_ >= hi_) break;                                                           \
            if ((SPEND(mid_)) > (budget))                                                                    \
                lo_ = mid_;                                                                                  \
            else                                                                                             \
                hi_ = mid_;                                                                                  \
        }                                                                                                    \
        *(plo) = lo_;                                                                                        \
        *(phi) = hi_;                                                                                        \
    } while (0)

static void solve_budget(solver *s, const double *coef, double *x)
{
    const growth_response *r = s->r;
    for (size_t g = 0; g < s->ng; g++) {
        s->gfl[g] = s->gfh[g] = 0;
        if (!(s->gbud[g] <= DBL_MAX)) continue;
#define GSPEND(p) group_spend(s, coef, (int)g, (p), 1)
        if (GSPEND(0) <= s->gbud[g]) continue;
        PRICE_BISECT(GSPEND, s->gbud[g], &s->gfl[g], &s->gfh[g]);
#undef GSPEND
    }
    double mu_lo = 0, mu_hi = 0;
#define TSPEND(p) total_spend(s, coef, (p), 1)
    if (TSPEND(0) > s->B) PRICE_BISECT(TSPEND, s->B, &mu_lo, &mu_hi);
#undef TSPEND
    s->mu_lo = mu_lo, s->mu_hi = mu_hi;
    double left = s->B;
    for (size_t g = 0; g < s->ng; g++) s->gleft[g] = s->gbud[g];
    for (size_t c = 0; c < r->n; c++) {
        x[c] = pl_spend_any(&r->pl[c], r->K, coef, eff_price(s, c, mu_hi, 1), 0, s->lo[c], s->hi[c]);
        left -= x[c];
        int g = pgroup(s, c);
        if (g >= 0) s->gleft[g] -= x[c];
    }
    /* groups whose own budget binds: fill their flat pieces at their own price first */
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < r->n && left > 0; c++) {
            int g = pgroup(s, c);
            if (g < 0 || !(mu_hi < s->gfh[g])) continue;
            double p = pass == 0 ? s->gfh[g] : s->gfl[g];
            double more = pl_spend_any(&r->pl[c], r->K, coef, p, 1, s->lo[c], s->hi[c]) - x[c];
            if (more > left) more = left;
            if (more > s->gleft[g]) more = s->gleft[g];
            if (!(more > 0)) continue;
            x[c] += more;
            left -= more;
            s->gleft[g] -= more;
        }
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < r->n && left > 0; c++) {
            int g = pgroup(s, c);
            double p = pass == 0 ? eff_price(s, c, mu_hi, 1) : eff_price(s, c, mu_lo, 0);
            double more = pl_spend_any(&r->pl[c], r->K, coef, p, 1, s->lo[c], s->hi[c]) - x[c];
            if (!(more > 0)) continue;
            if (more > left) more = left;
            if (g >= 0 && more > s->gleft[g]) more = s->gleft[g];
            if (!(more > 0)) continue;
            x[c] += more;
            left -= more;
            if (g >= 0) s->gleft[g] -= more;
        }
    for (size_t c = 0; c < r->n; c++)
        if (isinf(x[c])) x[c] = s->lo[c]; /* cannot happen with a binding budget; kept safe */
}

/* ---- ratio constraints ---------------------------------------------------------------------- */

typedef struct {
    solver *s;
    const double *w;
    size_t m; /* ratio constraints */
    size_t rk[RESP_MAX_RATIOS];
    double rr[RESP_MAX_RATIOS];
    double lambda[RESP_MAX_RATIOS];
    double *work; /* per level: 3 plans of n placements */
    double best_ratio;
} ratio_ctx;

static void make_coef(const ratio_ctx *q, double *coef)
{
    size_t K = q->s->r->K;
    for (size_t k = 0; k < K; k++) coef[k] = q->w[k];
    for (size_t j = 0; j < q->m; j++) {
        coef[q->rk[j]] += q->lambda[j];
        coef[0] -= q->lambda[j] * q->rr[j];
    }
    if (coef[0] < 0 && coef[0] > -1e-12 * q->w[0]) coef[0] = 0; /* rounding at the concave range's end */
}

static double total_outcome(const growth_response *r, const double *x, size_t k)
{
    gksum t = {0, 0};
    for (size_t c = 0; c < r->n; c++) gk_add(&t, cv_value(&r->pl[c].cv[k], x[c]));
    return gk_val(&t);
}

/* phi_j(x) >= 0 with a relative slack */
static double phi(const ratio_ctx *q, size_t j, const double *x, double *scale)
{
    double num = total_outcome(q->s->r, x, q->rk[j]), den = total_outcome(q->s->r, x, 0);
    if (scale) *scale = fabs(num) + q->rr[j] * fabs(den);
    return num - q->rr[j] * den;
}

static int feasible(const ratio_ctx *q, size_t j, const double *x)
{
    double sc, v = phi(q, j, x, &sc);
    return v >= -1e-10 * sc;
}

static int solve_level(ratio_ctx *q, size_t level, double *x)
{
    const growth_response *r = q->s->r;
    size_t n = r->n;
    if (level == q->m) {
        double coef[RESP_MAX_OUTCOMES];
        make_coef(q, coef);
        solve_budget(q->s, coef, x);
        return GROWTH_OK;
    }
    double *xlo = q->work + level * 3 * n, *xhi = xlo + n, *xm = xhi + n;
    q->lambda[level] = 0;
    int rc = solve_level(q, level + 1, x);
    if (rc) return rc;
    if (feasible(q, level, x)) return GROWTH_OK;
    memcpy(xlo, x, n * sizeof *x);
    double used = 0;
    for (size_t j = 0; j < level; j++) used += q->lambda[j] * q->rr[j];
    /* up to (w0 - used) / r every outcome weight stays >= 0 (a concave Lagrangian); beyond it
     * outcome 0 is penalised and the placements' maximisers are searched globally */
    double lmax = (q->w[0] - used) / q->rr[level];
    if (!(lmax > 0)) lmax = 1 / q->rr[level];
    double lo = 0, flo = phi(q, level, xlo, NULL), fhi = 0;
    for (int grow = 0;; grow++) {
        q->lambda[level] = lmax;
        rc = solve_level(q, level + 1, xhi);
        if (rc == GROWTH_OK && feasible(q, level, xhi)) break;
        if (grow == 30) break;
        if (rc == GROWTH_OK) {
            lo = lmax;
            flo = phi(q, level, xhi, NULL);
            memcpy(xlo, xhi, n * sizeof *xhi);
        }
        lmax *= 2;
    }
    const double *xbest = rc == GROWTH_OK ? xhi : xlo;
    if (rc == GROWTH_OK && !feasible(q, level, xhi)) rc = GROWTH_EINVAL;
    if (rc) {
        double den = total_outcome(r, xbest, 0);
        q->best_ratio = den > 0 ? total_outcome(r, xbest, q->rk[level]) / den : 0;
        q->lambda[level] = 0;
        return gerr(GROWTH_EINVAL,
                    "growth_response_allocate: min_ratio[%zu] = %g cannot be met within the spend limits "
                    "(the best plan found reaches %g)",
                    q->rk[level], q->rr[level], q->best_ratio);
    }
    double hi = lmax;
    fhi = phi(q, level, xhi, NULL);
    /* lambda by the Illinois variant of regula falsi (every third step a bisection), to a
     * relative 1e-9 or until the constraint binds to 1e-10; phi(lambda) is non-decreasing */
    int side = 0;
    for (int it = 0; it < 200 && hi - lo > fmax(q->s->tol, 1e-9) * hi; it++) {
        double mid = (it % 3 == 2 || !(fhi > flo)) ? 0.5 * (lo + hi) : hi - fhi * (hi - lo) / (fhi - flo);
        if (!(mid > lo && mid < hi)) mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        q->lambda[level] = mid;
        rc = solve_level(q, level + 1, xm);
        if (rc) return rc;
        double sc, f = phi(q, level, xm, &sc);
        if (f >= -1e-10 * sc) {
            hi = mid, fhi = f;
            memcpy(xhi, xm, n * sizeof *xm);
            if (side == 1) flo *= 0.5;
            side = 1;
            if (f <= 1e-10 * sc) break;
        } else {
            lo = mid, flo = f;
            memcpy(xlo, xm, n * sizeof *xm);
            if (side == -1) fhi *= 0.5;
            side = -1;
        }
    }
    q->lambda[level] = hi;
    /* a jump of the plan inside [lo, hi] (flat pieces): mix the two sides to phi = 0 */
    double tl = 0, th = 1;
    for (size_t c = 0; c < n; c++) x[c] = xhi[c];
    for (int it = 0; it < 60; it++) {
        double t = 0.5 * (tl + th);
        for (size_t c = 0; c < n; c++) xm[c] = (1 - t) * xlo[c] + t * xhi[c];
        int ok = 1;
        for (size_t j = level; j < q->m; j++) ok &= feasible(q, j, xm); /* the inner ones too */
        if (ok) {
            th = t;
            memcpy(x, xm, n * sizeof *xm);
        } else
            tl = t;
    }
    return GROWTH_OK;
}

GROWTH_API int growth_response_allocate(const growth_response *r, const double *budgets, size_t n_budgets,
                                        const double *weights, const double *min_ratio,
                                        const double *min_spend, const double *max_spend, double *out_spend,
                                        double *out_outcomes, size_t cap, growth_response_result *out_result)
{
    static const char *who = "growth_response_allocate";
    GROWTH_CHECK_NULL(who, r);
    GROWTH_CHECK_NULL(who, budgets);
    GROWTH_CHECK_NULL(who, weights);
    GROWTH_CHECK_NULL(who, out_spend);
    if (out_result && out_result->struct_size < sizeof *out_result)
        return gerr(
            GROWTH_EINVAL,
            "%s: out_result->struct_size is %u, expected at least %zu (initialise it with its _INIT macro)",
            who, out_result->struct_size, sizeof *out_result);
    if (r->n == 0) return gerr(GROWTH_ESTATE, "%s: no placements added", who);
    if (cap < r->n) return gerr(GROWTH_EBUFS, "%s: cap %zu < %zu placements", who, cap, r->n);
    if (n_budgets < 1) return gerr(GROWTH_EINVAL, "%s: n_budgets is 0, budgets[0] is the total", who);
    if (n_budgets > (size_t)INT32_MAX + 1)
        return gerr(GROWTH_EINVAL, "%s: n_budgets %zu too large", who, n_budgets);
    if (!(budgets[0] >= 0 && budgets[0] <= DBL_MAX))
        return gerr(GROWTH_EINVAL, "%s: budgets[0] = %g (the total) must be finite and >= 0", who,
                    budgets[0]);
    for (size_t g = 1; g < n_budgets; g++)
        if (!(budgets[g] >= 0))
            return gerr(GROWTH_EINVAL, "%s: budgets[%zu] = %g must be >= 0", who, g, budgets[g]);
    size_t K = r->K, m = 0, rk[RESP_MAX_RATIOS] = {0};
    double rr[RESP_MAX_RATIOS] = {0};
    for (size_t k = 0; k < K; k++)
        if (!(weights[k] >= 0 && weights[k] <= DBL_MAX))
            return gerr(GROWTH_EINVAL, "%s: weights[%zu] = %g must be finite and >= 0", who, k, weights[k]);
    if (min_ratio) {
        if (min_ratio[0] != 0)
            return gerr(GROWTH_EINVAL, "%s: min_ratio[0] = %g must be 0", who, min_ratio[0]);
        for (size_t k = 1; k < K; k++) {
            if (!(min_ratio[k] >= 0 && min_ratio[k] <= DBL_MAX))
                return gerr(GROWTH_EINVAL, "%s: min_ratio[%zu] = %g must be finite and >= 0", who, k,
                            min_ratio[k]);
            if (min_ratio[k] == 0) continue;
            if (m == RESP_MAX_RATIOS)
                return gerr(GROWTH_EINVAL, "%s: more than %d non-zero min_ratio entries", who,
                            RESP_MAX_RATIOS);
            rk[m] = k, rr[m] = min_ratio[k], m++;
        }
    }
    size_t n = r->n, ng = n_budgets - 1;
    for (size_t c = 0; c < n; c++) {
        double lo = min_spend ? min_spend[c] : 0, hi = max_spend ? max_spend[c] : INFINITY;
        if (!(lo >= 0 && lo <= DBL_MAX))
            return gerr(GROWTH_EINVAL, "%s: min_spend[%zu] = %g must be finite and >= 0", who, c, lo);
        if (!(hi >= lo))
            return gerr(GROWTH_EINVAL, "%s: max_spend[%zu] = %g must be >= min_spend %g", who, c, hi, lo);
    }
    /* minimums against the budgets */
    double mins = 0;
    for (size_t c = 0; c < n; c++) mins += min_spend ? min_spend[c] : 0;
    if (mins > budgets[0] * (1 + 1e-12))
        return gerr(GROWTH_EINVAL, "%s: infeasible minimums: min_spend totals %g > total budget %g", who,
                    mins, budgets[0]);
    for (size_t g = 0; g < ng && min_spend; g++) {
        double gm = 0;
        for (size_t c = 0; c < n; c++)
            if (r->pl[c].group == (int32_t)g) gm += min_spend[c];
        if (gm > budgets[1 + g] * (1 + 1e-12))
            return gerr(GROWTH_EINVAL,
                        "%s: infeasible minimums: min_spend of group %zu totals %g > its budget %g", who, g,
                        gm, budgets[1 + g]);
    }

    size_t nd = 4 * n + 3 * ng + 3 * RESP_MAX_RATIOS * n + n;
    double *work = malloc(nd * sizeof(double));
    if (!work) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    double *lo = work, *hi = lo + n, *x = hi + n, *outv = x + n, *gfl = outv + n, *gfh = gfl + ng,
           *gleft = gfh + ng, *levels = gleft + ng;
    for (size_t c = 0; c < n; c++) {
        lo[c] = min_spend ? min_spend[c] : 0;
        hi[c] = max_spend ? max_spend[c] : INFINITY;
    }
    solver s = {r, budgets[0], lo, hi, ng, budgets + 1, gfl, gfh, gleft, r->tol, 0, 0};
    ratio_ctx q;
    memset(&q, 0, sizeof q);
    q.s = &s;
    q.w = weights;
    q.m = m;
    for (size_t j = 0; j < m; j++) q.rk[j] = rk[j], q.rr[j] = rr[j];
    q.work = levels;
    int rc = solve_level(&q, 0, x);
    if (rc) {
        free(work);
        return rc;
    }
    /* summary: final coefficients, their prices (a solve at the final multipliers), the dual
     * bound, marginal, outcomes */
    double coef[RESP_MAX_OUTCOMES];
    make_coef(&q, coef);
    solve_budget(&s, coef, outv);
    double mu = s.mu_hi;
    gksum bound = {0, 0};
    gk_add(&bound, mu * budgets[0]);
    for (size_t g = 0; g < ng; g++)
        if (budgets[1 + g] <= DBL_MAX && s.gfh[g] > mu) gk_add(&bound, (s.gfh[g] - mu) * budgets[1 + g]);
    for (size_t c = 0; c < n; c++) {
        double pr = eff_price(&s, c, mu, 1);
        double xb = pl_spend_any(&r->pl[c], K, coef, pr, 1, lo[c], hi[c]);
        gk_add(&bound, isinf(xb) ? INFINITY : pl_value(&r->pl[c], K, coef, xb) - pr * xb);
    }
    double spent = 0, left, marg = 0;
    for (size_t g = 0; g < ng; g++) gleft[g] = budgets[1 + g];
    for (size_t c = 0; c < n; c++) {
        spent += x[c];
        int g = pgroup(&s, c);
        if (g >= 0) gleft[g] -= x[c];
    }
    left = budgets[0] - spent;
    if (left <= 1e-9 * fmax(budgets[0], 1e-300))
        for (size_t c = 0; c < n; c++) {
            int g = pgroup(&s, c);
            if (x[c] >= hi[c]) continue;
            if (g >= 0 && budgets[1 + g] <= DBL_MAX && gleft[g] <= 1e-9 * fmax(budgets[1 + g], 1e-300))
                continue;
            marg = fmax(marg, pl_deriv(&r->pl[c], K, coef, x[c]));
        }
    /* past the concave range a placement left at a jump can have a steeper right-derivative than
     * the budget's price, which is the objective's slope (envelope theorem) */
    if (marg > mu) marg = mu;
    uint64_t extra = 0;
    gksum obj = {0, 0};
    for (size_t c = 0; c < n; c++) {
        const rplace *p = &r->pl[c];
        if (x[c] > p->hi * (1 + 1e-9) || (x[c] > 0 && x[c] < p->lo * (1 - 1e-9))) extra++;
        for (size_t k = 0; k < K; k++) {
            double v = cv_value(&p->cv[k], x[c]);
            gk_add(&obj, weights[k] * v);
            if (out_outcomes) out_outcomes[c * K + k] = v;
        }
        out_spend[c] = x[c];
    }
    if (out_result) {
        growth_response_result res;
        memset(&res, 0, sizeof res);
        res.struct_size = (uint32_t)sizeof res;
        res.objective = gk_val(&obj);
        res.spend = spent;
        res.marginal = marg;
        res.price = mu;
        res.bound = fmax(gk_val(&bound), res.objective);
        for (size_t j = 0; j < m; j++) res.multiplier[j] = q.lambda[j];
        res.extrapolated = extra;
        gstruct_out(who, "out_result", out_result, &res, sizeof res, sizeof res);
    }
    free(work);
    return GROWTH_OK;
}
