/* The MCKP shard protocol (growth/sys/budget.h): a distributed driver evaluates duals, assigns,
 * scans a price box and solves the restricted LP shard by shard with these calls. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

GROWTH_API int growth_mckp_shard_eval(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *lambda, size_t n_points, double *out_spend,
                                      double *out_value, double *out_dual)
{
    static const char *who = "growth_mckp_shard_eval";
    GROWTH_CHECK_NULL(who, s);
    mckp_prob p;
    int rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if (n_points == 0 || n_points > ((size_t)1 << 20))
        return gerr(GROWTH_EINVAL, "%s: n_points = %zu, must be 1..2^20", who, n_points);
    if ((rc = mckp_validate_prices(who, lambda, n_points * n_budgets))) return rc;
    atomic_store(&s->cancel, 0);
    mckp_runner r;
    if ((rc = mckp_runner_init(&r, s, &p, n_points))) return rc;
    size_t K = n_budgets, w = K + 2;
    for (int t = 0; t < r.nt; t++) {
        r.tasks[t].mode = P_EVAL;
        r.tasks[t].np = n_points;
        r.tasks[t].lambda = lambda;
    }
    if ((rc = mckp_run_pass(&r, mckp_eval_worker)) == GROWTH_OK) {
        for (size_t q = 0; q < n_points; q++) {
            double acc[MAX_BUDGETS + 2] = {0};
            for (int t = 0; t < r.nt; t++)
                for (size_t l = 0; l < w; l++) acc[l] += r.tasks[t].acc[q * w + l];
            if (out_spend) memcpy(out_spend + q * K, acc, K * sizeof(double));
            if (out_value) out_value[q] = acc[K];
            if (out_dual) out_dual[q] = acc[K + 1];
        }
    }
    mckp_runner_free(&r);
    return rc;
}

GROWTH_API int growth_mckp_shard_assign(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                        const double *values, const double *costs, size_t n_budgets,
                                        const double *lambda, int32_t *out_choice, size_t choice_cap,
                                        double *out_spend, double *out_value)
{
    static const char *who = "growth_mckp_shard_assign";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out_choice);
    mckp_prob p;
    int rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if ((rc = mckp_validate_prices(who, lambda, n_budgets))) return rc;
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    atomic_store(&s->cancel, 0);
    mckp_runner r;
    if ((rc = mckp_runner_init(&r, s, &p, 1))) return rc;
    double spend[MAX_BUDGETS], value;
    uint64_t chosen, ties;
    rc = mckp_assign(&r, lambda, out_choice, spend, &value, NULL, &chosen, &ties);
    if (rc == GROWTH_OK) {
        if (out_spend) memcpy(out_spend, spend, n_budgets * sizeof(double));
        if (out_value) *out_value = value;
    }
    mckp_runner_free(&r);
    return rc;
}

static int validate_box(const char *who, const double *center, size_t K, double delta)
{
    int rc = mckp_validate_prices(who, center, K);
    if (rc) return rc;
    if (!(delta > 0 && delta <= DBL_MAX_SAFE))
        return gerr(GROWTH_EINVAL, "%s: delta is %g (must be finite and > 0)", who, delta);
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_shard_scan(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *center, double delta, int32_t *out_choice,
                                      size_t choice_cap, uint64_t *out_undecided, size_t undecided_cap,
                                      size_t *out_n_undecided, size_t *out_n_options, double *out_fixed)
{
    static const char *who = "growth_mckp_shard_scan";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out_choice);
    GROWTH_CHECK_NULL(who, out_n_undecided);
    GROWTH_CHECK_NULL(who, out_n_options);
    GROWTH_CHECK_NULL(who, out_fixed);
    if (undecided_cap > 0 && !out_undecided)
        return gerr(GROWTH_EINVAL, "%s: out_undecided is NULL with undecided_cap = %zu", who, undecided_cap);
    mckp_prob p;
    int rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if ((rc = validate_box(who, center, n_budgets, delta))) return rc;
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    return mckp_polish_scan(&p, center, delta, out_choice, out_undecided, undecided_cap, out_n_undecided,
                            out_n_options, out_fixed);
}

GROWTH_API int growth_mckp_restricted_lp(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                         const double *values, const double *costs, size_t n_budgets,
                                         const double *budgets, const double *fixed, const double *center,
                                         double delta, int32_t *out_pick, size_t pick_cap, double *out_lambda,
                                         double *out_lp_value, int *out_exact, uint32_t *out_fractional)
{
    static const char *who = "growth_mckp_restricted_lp";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, budgets);
    GROWTH_CHECK_NULL(who, fixed);
    GROWTH_CHECK_NULL(who, out_pick);
    GROWTH_CHECK_NULL(who, out_lambda);
    GROWTH_CHECK_NULL(who, out_lp_value);
    GROWTH_CHECK_NULL(who, out_exact);
    if (n_users > GROWTH_MCKP_LP_MAX_USERS)
        return gerr(GROWTH_EINVAL, "%s: %zu users; the dense LP takes at most %d", who, n_users,
                    GROWTH_MCKP_LP_MAX_USERS);
    mckp_prob p;
    int rc;
    if (n_users == 0) { /* nobody undecided: the LP has only the elastic columns */
        static const uint64_t zero = 0;
        static const double none = 0;
        if (n_budgets == 0 || n_budgets > MAX_BUDGETS)
            return gerr(GROWTH_EINVAL, "%s: n_budgets = %zu, must be 1..%d", who, n_budgets, MAX_BUDGETS);
        p = (mckp_prob){&zero, 0, n_budgets, &none, &none, 0};
    } else if ((rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p))) {
        return rc;
    }
    size_t n_opt = (size_t)(p.indptr[n_users] - p.indptr[0]);
    if (n_opt > GROWTH_MCKP_LP_MAX_OPTIONS)
        return gerr(GROWTH_EINVAL, "%s: %zu options; the dense LP takes at most %d", who, n_opt,
                    GROWTH_MCKP_LP_MAX_OPTIONS);
    if ((rc = validate_box(who, center, n_budgets, delta))) return rc;
    for (size_t l = 0; l <= n_budgets; l++) {
        if (l < n_budgets && !(budgets[l] >= 0 && budgets[l] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: budget %zu is %g (must be finite and >= 0)", who, l, budgets[l]);
        if (!(fixed[l] >= 0 && fixed[l] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: fixed[%zu] is %g (must be finite and >= 0)", who, l, fixed[l]);
    }
    if (pick_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_pick holds %zu entries, %zu users", who, pick_cap, n_users);
    /* the LP reads offsets from 0 */
    uint64_t *ip = malloc((n_users + 1) * sizeof *ip);
    double *x = malloc((n_opt ? n_opt : 1) * sizeof *x);
    if (!ip || !x) {
        free(ip);
        free(x);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    for (size_t i = 0; i <= n_users; i++) ip[i] = p.indptr[i] - p.indptr[0];
    mckp_prob sub = {ip, n_users, n_budgets, p.v + p.indptr[0], p.c + p.indptr[0] * n_budgets, 0};
    double lam[MAX_BUDGETS], lpv;
    bool exact;
    rc = mckp_restricted_lp(&sub, budgets, fixed, center, delta, x, lam, &lpv, &exact);
    if (rc == GROWTH_OK) {
        uint32_t frac = mckp_round_down(ip, n_users, x, out_pick);
        if (out_fractional) *out_fractional = frac;
        memcpy(out_lambda, lam, n_budgets * sizeof *lam);
        *out_lp_value = lpv;
        *out_exact = exact;
    }
    free(ip);
    free(x);
    return rc;
}
