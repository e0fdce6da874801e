/* From scored users to the coupon plan: the multiple-choice knapsack of incremental values
 * (value x uplift) and expected costs (cost x P(redeem)), options without positive uplift
 * dropped, solved by the caller's growth_mckp. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/uplift.h"

typedef struct {
    double value;
    double min_uplift;
} alloc_cfg;

static const gcfg_opt alloc_opts[] = {
    {"value", GCFG_DOUBLE, offsetof(alloc_cfg, value), "1", 0, 1e300, NULL, true},
    {"min_uplift", GCFG_DOUBLE, offsetof(alloc_cfg, min_uplift), "0", -1e300, 1e300, NULL, false},
};

GROWTH_API int growth_uplift_allocate(growth_mckp *solver, const uint64_t *indptr, size_t n_users,
                                      const float *uplift, const float *p_redeem, const double *costs,
                                      double budget, const char *config, int32_t *out_choice,
                                      size_t choice_cap)
{
    static const char *who = "growth_uplift_allocate";
    GROWTH_CHECK_NULL(who, solver);
    GROWTH_CHECK_NULL(who, indptr);
    GROWTH_CHECK_NULL(who, uplift);
    GROWTH_CHECK_NULL(who, costs);
    GROWTH_CHECK_NULL(who, out_choice);
    alloc_cfg cfg;
    int rc = gcfg_parse(who, alloc_opts, sizeof alloc_opts / sizeof alloc_opts[0], config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (n_users == 0) return gerr(GROWTH_EINVAL, "%s: no users (n_users = 0)", who);
    if (n_users >= SIZE_MAX / sizeof *indptr / 2)
        return gerr(GROWTH_EINVAL, "%s: n_users = %zu is too large", who, n_users);
    if (!gfinite(budget) || budget < 0)
        return gerr(GROWTH_EINVAL, "%s: budget = %g must be finite and >= 0", who, budget);
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    for (size_t i = 0; i < n_users; i++)
        if (indptr[i + 1] < indptr[i]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at user %zu", who, i);
    const uint64_t o0 = indptr[0], o1 = indptr[n_users];
    if (o1 - o0 > SIZE_MAX / (2 * sizeof(double)))
        return gerr(GROWTH_EINVAL, "%s: %llu options is too large", who, (unsigned long long)(o1 - o0));
    size_t kept = 0;
    for (uint64_t o = o0; o < o1; o++) {
        const size_t j = (size_t)(o - o0);
        if (!gfinite(uplift[o]))
            return gerr(GROWTH_EINVAL, "%s: uplift[%zu] = %g is not finite", who, j, (double)uplift[o]);
        if (p_redeem && !(p_redeem[o] >= 0.0f && p_redeem[o] <= 1.0f))
            return gerr(GROWTH_EINVAL, "%s: p_redeem[%zu] = %g is outside [0, 1]", who, j,
                        (double)p_redeem[o]);
        if (!gfinite(costs[o]) || costs[o] < 0)
            return gerr(GROWTH_EINVAL, "%s: costs[%zu] = %g must be finite and >= 0", who, j, costs[o]);
        kept += (double)uplift[o] > cfg.min_uplift;
    }
    /* The compact instance: kept options only; map[k] = the option's offset within its user. */
    uint64_t *ip = malloc((n_users + 1) * sizeof *ip);
    double *v = malloc((kept ? kept : 1) * sizeof *v), *c = malloc((kept ? kept : 1) * sizeof *c);
    int32_t *map = malloc((kept ? kept : 1) * sizeof *map), *ch = malloc(n_users * sizeof *ch);
    if (!ip || !v || !c || !map || !ch) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory (%zu users, %zu options)", who, n_users, kept);
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_users; i++) {
        ip[i] = k;
        for (uint64_t o = indptr[i]; o < indptr[i + 1]; o++) {
            if (!((double)uplift[o] > cfg.min_uplift)) continue;
            v[k] = cfg.value * (double)uplift[o];
            if (v[k] < 0) v[k] = 0; /* min_uplift < 0 keeps harmful options: worth nothing */
            c[k] = costs[o] * (p_redeem ? (double)p_redeem[o] : 1.0);
            map[k] = (int32_t)(o - indptr[i]);
            k++;
        }
    }
    ip[n_users] = k;
    rc = growth_mckp_solve(solver, ip, n_users, v, c, 1, &budget, ch, n_users);
    if (rc) {
        rc = gerr(rc, "%s: %s", who, gerr_cause(who));
        goto done;
    }
    for (size_t i = 0; i < n_users; i++) out_choice[i] = ch[i] < 0 ? -1 : map[ip[i] + (size_t)ch[i]];
done:
    free(ip);
    free(v);
    free(c);
    free(map);
    free(ch);
    return rc;
}
