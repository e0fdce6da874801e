/* Push allocation by its LP dual.
 *
 * Pairs (user u, message i) with value p_i and category c_i; at most cap_u pushes per user,
 * m_c <= (pushes of category c) <= M_c, at most V pushes in all. Prices: gamma for the volume,
 * mu_c for the maxima, nu_c for the minima; a pair's reduced value is p_i - s_{c_i} with
 * s_c = gamma + mu_c - nu_c, and each user takes its cap_u best pairs of positive reduced
 * value. D = gamma V + sum mu_c M_c - sum nu_c m_c + sum_u (top cap_u positive reduced values)
 * bounds the optimum for any prices >= 0; coordinate descent minimises it, each coordinate
 * exactly up to rounding (bisection on the count, a step function of that price).
 *
 * The constraint matrix (user caps, category counts, volume) is a flow network, so the LP has
 * integral optima: the integer plan is built greedily in order of reduced value at the final
 * prices (first each category's minimum, then everything that still fits), and its gap to the
 * dual bound is reported. */
#include <float.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

typedef struct {
    int64_t max_iter, cap;
    double tol;
} push_cfg;

static const gcfg_opt push_opts[] = {
    {"max_iter", GCFG_INT, offsetof(push_cfg, max_iter), "300", 1, 1e9, NULL, false},
    {"tol", GCFG_DOUBLE, offsetof(push_cfg, tol), "1e-12", 0, 1, NULL, false},
    {"cap", GCFG_INT, offsetof(push_cfg, cap), "1", 0, 1e9, NULL, false},
};
#define PUSH_NOPTS (sizeof push_opts / sizeof push_opts[0])

typedef struct {
    const uint64_t *ptr;
    size_t n, nc;
    const double *p;
    const int32_t *cat;
    const int32_t *caps;
    int64_t cap;
    double *top; /* scratch: current best reduced values of one user */
    int32_t *topi;
} pprob;

static inline int64_t ucap(const pprob *q, size_t u) { return q->caps ? q->caps[u] : q->cap; }

/* One pass at shifts s[c]: counts per category (cnt, nc entries), total count, and the sum of
 * selected reduced values. Each user takes its cap best pairs with reduced value > 0. */
static double pass(const pprob *q, const double *s, double *cnt, double *total)
{
    double sum = 0, tot = 0;
    memset(cnt, 0, q->nc * sizeof(double));
    for (size_t u = 0; u < q->n; u++) {
        int64_t cap = ucap(q, u);
        if (cap == 0) continue;
        int h = 0;
        for (uint64_t i = q->ptr[u]; i < q->ptr[u + 1]; i++) {
            double r = q->p[i] - s[q->cat[i]];
            if (!(r > 0)) continue;
            if (h == cap && !(r > q->top[h - 1])) continue;
            int k = h < cap ? h++ : h - 1;
            while (k > 0 && q->top[k - 1] < r) {
                q->top[k] = q->top[k - 1];
                q->topi[k] = q->topi[k - 1];
                k--;
            }
            q->top[k] = r;
            q->topi[k] = (int32_t)(i - q->ptr[u]);
        }
        for (int k = 0; k < h; k++) {
            sum += q->top[k];
            cnt[q->cat[q->ptr[u] + (uint64_t)q->topi[k]]] += 1;
        }
        tot += h;
    }
    *total = tot;
    return sum;
}

static void shifts(const double *lam, size_t nc, double *s)
{
    for (size_t c = 0; c < nc; c++) s[c] = lam[0] + lam[1 + c] - lam[1 + nc + c];
}

/* Pushes counted by coordinate k (the total for k = 0, else category c) with lam[k] = t. */
static double count_at(const pprob *q, double *lam, size_t k, size_t c, double t, double *s, double *cnt)
{
    double total;
    lam[k] = t;
    shifts(lam, q->nc, s);
    pass(q, s, cnt, &total);
    return k == 0 ? total : cnt[c];
}

typedef struct {
    double r, p;
    uint64_t i;
} cand;

static int cmp_cand(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->r != b->r) return a->r > b->r ? -1 : 1;
    if (a->p != b->p) return a->p > b->p ? -1 : 1;
    return a->i < b->i ? -1 : (a->i > b->i);
}

typedef struct {
    double v;
    int h;
} hv_t;
static int cmp_hv(const void *x, const void *y)
{
    const hv_t *a = x, *b = y;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return a->h - b->h;
}
static int cmp_desc(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    return a->p > b->p ? -1 : (a->p < b->p);
}

GROWTH_API int growth_budget_allocate_push(const uint64_t *user_ptr, size_t n_users, const double *values,
                                           const int32_t *category, const int32_t *caps, size_t n_categories,
                                           const double *cat_min, const double *cat_max, double volume,
                                           const double *hours, const char *config, uint8_t *out_send,
                                           int8_t *out_hour, size_t cap,
                                           growth_budget_push_result *out_result, growth_progress_fn progress,
                                           void *progress_user)
{
    static const char *who = "growth_budget_allocate_push";
    push_cfg cfg;
    int rc = gcfg_parse(who, push_opts, PUSH_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    GROWTH_CHECK_NULL(who, user_ptr);
    GROWTH_CHECK_NULL(who, out_send);
    if (n_users == 0) return gerr(GROWTH_EINVAL, "%s: no users (n_users = 0)", who);
    /* user_ptr holds n_users + 1 offsets and hours n_users x 24 doubles: no larger count fits. */
    if (n_users >= SIZE_MAX / (24 * sizeof(double)))
        return gerr(GROWTH_EINVAL, "%s: n_users = %zu is too large", who, n_users);
    if (n_categories == 0 || n_categories > (1u << 20))
        return gerr(GROWTH_EINVAL, "%s: n_categories = %zu, must be 1..2^20", who, n_categories);
    if (out_result && out_result->struct_size < sizeof(growth_budget_push_result))
        return gerr(GROWTH_EINVAL,
                    "%s: out_result->struct_size is %u, expected at least %zu (initialise it with "
                    "GROWTH_BUDGET_PUSH_RESULT_INIT)",
                    who, out_result->struct_size, sizeof(growth_budget_push_result));
    uint64_t base = user_ptr[0];
    for (size_t u = 0; u < n_users; u++) {
        if (user_ptr[u + 1] < user_ptr[u])
            return gerr(GROWTH_EINVAL, "%s: user_ptr decreases at user %zu", who, u);
        if (caps && caps[u] < 0)
            return gerr(GROWTH_EINVAL, "%s: cap of user %zu is %d (must be >= 0)", who, u, (int)caps[u]);
    }
    size_t np = (size_t)(user_ptr[n_users] - base);
    if (np == 0) return gerr(GROWTH_EINVAL, "%s: no candidate pairs", who);
    GROWTH_CHECK_NULL(who, values);
    GROWTH_CHECK_NULL(who, category);
    if (cap < np) return gerr(GROWTH_EBUFS, "%s: output holds %zu pairs, %zu given", who, cap, np);
    const double *p = values + base;
    const int32_t *cat = category + base;
    for (size_t i = 0; i < np; i++) {
        if (!(p[i] >= 0 && p[i] <= DBL_MAX))
            return gerr(GROWTH_EINVAL, "%s: value of pair %zu is %g (must be finite and >= 0)", who, i, p[i]);
        if (cat[i] < 0 || (size_t)cat[i] >= n_categories)
            return gerr(GROWTH_EINVAL, "%s: category of pair %zu is %d, not in 0..%zu", who, i, (int)cat[i],
                        n_categories - 1);
    }
    if (!(volume >= 0))
        return gerr(GROWTH_EINVAL, "%s: volume %g must be >= 0 (INFINITY for no limit)", who, volume);
    double mins = 0;
    for (size_t c = 0; c < n_categories; c++) {
        double lo = cat_min ? cat_min[c] : 0, hi = cat_max ? cat_max[c] : INFINITY;
        if (!(lo >= 0 && lo <= DBL_MAX))
            return gerr(GROWTH_EINVAL, "%s: cat_min[%zu] = %g must be finite and >= 0", who, c, lo);
        if (!(hi >= lo))
            return gerr(GROWTH_EINVAL, "%s: infeasible quota: cat_max[%zu] = %g < cat_min = %g", who, c, hi,
                        lo);
        mins += lo;
    }
    if (mins > volume)
        return gerr(GROWTH_EINVAL, "%s: infeasible minimums: category minimums total %g > volume %g", who,
                    mins, volume);
    if (hours)
        for (size_t i = 0; i < n_users * 24; i++)
            if (!(hours[i] >= 0 && hours[i] <= DBL_MAX))
                return gerr(GROWTH_EINVAL, "%s: hours[%zu] = %g must be finite and >= 0", who, i, hours[i]);

    pprob q = {user_ptr, n_users, n_categories, values, category, caps, cfg.cap, NULL, NULL};
    int64_t maxcap = 0;
    for (size_t u = 0; u < n_users; u++) {
        int64_t cu = ucap(&q, u), m = (int64_t)(user_ptr[u + 1] - user_ptr[u]);
        if (cu > m) cu = m;
        if (cu > maxcap) maxcap = cu;
    }
    size_t K = 2 * n_categories + 1;
    double *lam = calloc(K, sizeof(double)), *best = calloc(K, sizeof(double));
    double *s = calloc(n_categories, sizeof(double)), *cnt = calloc(n_categories, sizeof(double));
    double *avail = calloc(n_categories, sizeof(double));
    q.top = malloc((size_t)(maxcap + 1) * sizeof(double));
    q.topi = malloc((size_t)(maxcap + 1) * sizeof(int32_t));
    cand *cd = malloc(np * sizeof *cd);
    int64_t *used = calloc(n_users, sizeof(int64_t));
    /* the plan is built here and copied to the caller's buffers only when the call succeeds */
    uint8_t *send = calloc(np, 1);
    int8_t *hour = out_hour ? malloc(np) : NULL;
    if (!lam || !best || !s || !cnt || !avail || !q.top || !q.topi || !cd || !used || !send ||
        (out_hour && !hour)) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto out;
    }
    /* the most pushes each category can get: per user min(cap, its pairs of that category) */
    for (size_t u = 0; u < n_users; u++) {
        for (uint64_t i = user_ptr[u]; i < user_ptr[u + 1]; i++) cnt[category[i]] += 1;
        for (uint64_t i = user_ptr[u]; i < user_ptr[u + 1]; i++) {
            int32_t c = category[i];
            if (cnt[c] > 0) {
                avail[c] += fmin(cnt[c], (double)ucap(&q, u));
                cnt[c] = 0;
            }
        }
    }
    for (size_t c = 0; c < n_categories; c++)
        if (cat_min && cat_min[c] > avail[c]) {
            rc = gerr(GROWTH_EINVAL,
                      "%s: infeasible minimums: category %zu needs %g pushes, at most %g possible", who, c,
                      cat_min[c], avail[c]);
            goto out;
        }

    double maxp = 0;
    for (size_t i = 0; i < np; i++) maxp = fmax(maxp, p[i]);
    /* coordinates: 0 = gamma, 1+c = mu_c, 1+nc+c = nu_c (only those with a finite bound) */
    double best_d = INFINITY, prev = INFINITY, total = 0;
    uint32_t it;
    for (it = 0; it < (uint32_t)cfg.max_iter; it++) {
        for (size_t k = 0; k < K; k++) {
            size_t c = k == 0 ? 0 : (k - 1) % n_categories;
            int is_min = k > n_categories;
            double bound = k == 0   ? volume
                           : is_min ? (cat_min ? cat_min[c] : 0)
                                    : (cat_max ? cat_max[c] : INFINITY);
            if (!is_min && isinf(bound)) continue;
            if (is_min && bound <= 0) continue;
                /* count(t) for this coordinate at lam[k] = t */
#define COUNT(t) count_at(&q, lam, k, c, (t), s, cnt)
            double lo = 0, hi;
            if (!is_min) {
                if (COUNT(0) <= bound) {
                    lam[k] = 0;
                    continue;
                }
                hi = maxp + 1;
                for (size_t l = 0; l < n_categories; l++) hi += lam[1 + n_categories + l];
                while (COUNT(hi) > bound && hi < 1e300) hi *= 2;
                for (int b = 0; b < 200 && hi - lo > 1e-15 * hi; b++) {
                    double mid = 0.5 * (lo + hi);
                    if (COUNT(mid) > bound)
                        lo = mid;
                    else
                        hi = mid;
                }
            } else {
                if (COUNT(0) >= bound) {
                    lam[k] = 0;
                    continue;
                }
                hi = maxp + 1 + lam[0] + lam[1 + c];
                while (COUNT(hi) < bound && hi < 1e300) hi *= 2;
                for (int b = 0; b < 200 && hi - lo > 1e-15 * hi; b++) {
                    double mid = 0.5 * (lo + hi);
                    if (COUNT(mid) < bound)
                        lo = mid;
                    else
                        hi = mid;
                }
            }
            lam[k] = hi;
#undef COUNT
        }
        shifts(lam, n_categories, s);
        double d = pass(&q, s, cnt, &total);
        if (isfinite(volume)) d += lam[0] * volume;
        for (size_t c = 0; c < n_categories; c++) {
            if (cat_max && isfinite(cat_max[c])) d += lam[1 + c] * cat_max[c];
            if (cat_min) d -= lam[1 + n_categories + c] * cat_min[c];
        }
        if (d < best_d) {
            best_d = d;
            memcpy(best, lam, K * sizeof(double));
        }
        bool last = prev - d <= cfg.tol * fabs(d) || it + 1 == (uint32_t)cfg.max_iter;
        if (progress &&
            progress("round", last ? 1.0 : (double)(it + 1) / (double)cfg.max_iter, progress_user)) {
            rc = gerr(GROWTH_ECANCELED, "%s: stopped by the progress callback after round %u", who, it + 1);
            goto out;
        }
        if (prev - d <= cfg.tol * fabs(d)) {
            it++;
            break;
        }
        prev = d;
    }
    /* integer plan: greedy by reduced value at the best prices, minimums first */
    memcpy(lam, best, K * sizeof(double));
    shifts(lam, n_categories, s);
    for (size_t i = 0; i < np; i++) {
        cd[i].r = p[i] - s[cat[i]];
        cd[i].p = p[i];
        cd[i].i = i;
    }
    qsort(cd, np, sizeof *cd, cmp_cand);
    memset(cnt, 0, n_categories * sizeof(double));
    /* user of each pair */
    size_t *owner = malloc(np * sizeof(size_t));
    if (!owner) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto out;
    }
    for (size_t u = 0; u < n_users; u++)
        for (uint64_t i = user_ptr[u]; i < user_ptr[u + 1]; i++) owner[i - base] = u;
    double sent = 0, value = 0;
    for (int phase = 0; phase < 2; phase++)
        for (size_t z = 0; z < np; z++) {
            size_t i = (size_t)cd[z].i, u = owner[i];
            int32_t c = cat[i];
            if (send[i] || used[u] >= ucap(&q, u) || sent >= volume) continue;
            if (cat_max && cnt[c] >= cat_max[c]) continue;
            if (phase == 0 && !(cat_min && cnt[c] < cat_min[c])) continue;
            if (phase == 1 && p[i] <= 0) continue;
            send[i] = 1;
            used[u]++;
            cnt[c] += 1;
            sent += 1;
            value += p[i];
        }
    free(owner);
    for (size_t c = 0; c < n_categories; c++)
        if (cat_min && cnt[c] < cat_min[c]) {
            rc = gerr(
                GROWTH_EINVAL,
                "%s: infeasible minimums: category %zu gets only %g of %g pushes under the caps and volume",
                who, c, cnt[c], cat_min[c]);
            goto out;
        }
    if (hour) {
        memset(hour, -1, np);
        if (hours) {
            hv_t hv[24];
            for (size_t u = 0; u < n_users; u++) {
                size_t k = 0;
                for (uint64_t i = user_ptr[u]; i < user_ptr[u + 1]; i++)
                    if (send[i - base]) {
                        cd[k].p = p[i - base];
                        cd[k].i = i - base;
                        k++;
                    }
                if (!k) continue;
                qsort(cd, k, sizeof *cd, cmp_desc);
                for (int h = 0; h < 24; h++) {
                    hv[h].v = hours[u * 24 + (size_t)h];
                    hv[h].h = h;
                }
                qsort(hv, 24, sizeof *hv, cmp_hv);
                for (size_t z = 0; z < k; z++) hour[cd[z].i] = (int8_t)(z < 24 ? hv[z].h : hv[z % 24].h);
            }
        }
    }
    memcpy(out_send, send, np);
    if (out_hour) memcpy(out_hour, hour, np);
    if (out_result) {
        growth_budget_push_result r;
        memset(&r, 0, sizeof r);
        r.struct_size = (uint32_t)sizeof r;
        r.iterations = it;
        r.value = value;
        r.lp_value = best_d;
        r.gap = best_d - value;
        r.sent = (uint64_t)sent;
        rc = gstruct_out(who, "out_result", out_result, &r, sizeof r, sizeof r);
    }
out:
    free(lam);
    free(best);
    free(s);
    free(cnt);
    free(avail);
    free(q.top);
    free(q.topi);
    free(cd);
    free(used);
    free(send);
    free(hour);
    return rc;
}
