/**
 * @file sys/budget.h
 * @brief Unstable budget interfaces: the per-shard kernels of a distributed MCKP solve and the
 *        exact-LP polish (mirrored by the Python driver growth.distributed). Outside the stable
 *        ABI (symbol version node `GROWTH_SYS_1.0`): may change in any minor release; see
 *        @ref sys.
 *
 * growth_mckp_shard_eval() and growth_mckp_shard_assign() evaluate and assign one shard of users
 * at given prices: an engine that holds users on many machines searches the prices with them
 * (sum the shards' spends and dual parts) and assigns each shard at the end (docs/scaling.md).
 * growth_mckp_shard_scan() and growth_mckp_restricted_lp() are the two halves of the exact-LP
 * polish with several budgets, bounded by the GROWTH_MCKP_LP_* limits.
 *
 * @addtogroup sys
 * @{
 */
#ifndef GROWTH_SYS_UNSTABLE
#error "growth/sys/*.h is outside the stable ABI: define GROWTH_SYS_UNSTABLE before including it"
#endif

/** @cond */ /* the include guard (not part of the documentation) */
#ifndef GROWTH_SYS_BUDGET_H
#define GROWTH_SYS_BUDGET_H
/** @endcond */

#include "growth/budget.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Evaluates one shard of users at `n_points` price vectors (for a distributed search).
 *
 * For each point p (prices lambda[p * K .. p * K + K-1], each >= 0) every user takes its option
 * of largest reduced value v - lambda . c if positive (ties: the cheapest, so spend is the
 * right limit). Outputs per point: out_spend[p * K + k] spend in budget k, out_value[p] the
 * value of those choices, out_dual[p] = sum_i max(0, max_j v_ij - lambda . c_ij). The dual
 * bound at lambda is lambda . B + the sum of out_dual over all shards. Uses the solver's
 * threads. Any output pointer may be NULL. The handle is non-const only because the call
 * resets its cancel flag: use one solver per thread.
 * @param n_points 1 .. 2^20 price vectors.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, bad options, negative or
 *         non-finite prices); ::GROWTH_ENOMEM; ::GROWTH_ECANCELED (growth_mckp_cancel()).
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_shard_eval(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *lambda, size_t n_points, double *out_spend,
                                      double *out_value, double *out_dual);

/**
 * @brief Assigns one shard's users at final prices (one price vector): out_choice as in
 *        growth_mckp_solve(); out_spend (K, may be NULL) and out_value (may be NULL) total it.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, bad options or prices);
 *         ::GROWTH_EBUFS (`choice_cap` < n_users); ::GROWTH_ENOMEM; ::GROWTH_ECANCELED.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_shard_assign(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                        const double *values, const double *costs, size_t n_budgets,
                                        const double *lambda, int32_t *out_choice, size_t choice_cap,
                                        double *out_spend, double *out_value);

/** Most undecided users the exact-LP polish solves as one dense LP. */
#define GROWTH_MCKP_LP_MAX_USERS 400
/** Most options of those users in one dense LP. */
#define GROWTH_MCKP_LP_MAX_OPTIONS 4000
/** First trust-region half-width of the polish, relative to the largest price. */
#define GROWTH_MCKP_LP_DELTA0 1e-7

/**
 * @brief One shard's scan for the exact-LP polish with several budgets (see the module notes):
 *        users whose best option is the same for every price vector within `delta` of `center`
 *        (per budget, prices >= 0) are fixed to it; the others are "undecided".
 *
 * out_choice[i] gets the fixed option (-1 = none; undecided users also get -1). The first
 * `undecided_cap` undecided users' indices go to out_undecided (may be NULL when the cap is 0);
 * *out_n_undecided counts all of them and *out_n_options their options. out_fixed (K + 1)
 * gets the fixed users' spend per budget and, last, their value. A driver sums the shards'
 * out_fixed, gathers the undecided users' options (in user order) and calls
 * growth_mckp_restricted_lp(); see growth.distributed for the whole loop. The handle is not
 * used beyond the NULL check.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, bad options, a bad center or
 *         delta); ::GROWTH_EBUFS (`choice_cap` < n_users); ::GROWTH_ENOMEM.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_shard_scan(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *center, double delta, int32_t *out_choice,
                                      size_t choice_cap, uint64_t *out_undecided, size_t undecided_cap,
                                      size_t *out_n_undecided, size_t *out_n_options, double *out_fixed);

/**
 * @brief The polish's restricted LP over the undecided users (CSR over at most
 *        GROWTH_MCKP_LP_MAX_USERS users and GROWTH_MCKP_LP_MAX_OPTIONS options; 0 users is
 *        allowed): budgets less fixed[0..K-1], plus elastic columns that keep the duals within
 *        `delta` of `center`.
 *
 * Writes the duals (out_lambda, K), the LP value of the whole problem (restricted + fixed[K])
 * and *out_exact = 1 when no elastic column is used: then, if the scan was made at the same
 * center and delta, out_lambda are optimal prices and *out_lp_value the LP optimum; else move
 * the center to out_lambda, double delta and scan again. out_pick[u] rounds user u down (its
 * option with x = 1, else -1); *out_fractional (may be NULL) counts users split in the LP.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, more than the LP limits, bad
 *         values); ::GROWTH_EBUFS (`pick_cap` < n_users); ::GROWTH_ENOMEM; ::GROWTH_ESTATE if
 *         the simplex does not finish.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_restricted_lp(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                         const double *values, const double *costs, size_t n_budgets,
                                         const double *budgets, const double *fixed, const double *center,
                                         double delta, int32_t *out_pick, size_t pick_cap, double *out_lambda,
                                         double *out_lp_value, int *out_exact, uint32_t *out_fractional);

/** @} */

#ifdef __cplusplus
}
#endif

/** @cond */
#endif /* GROWTH_SYS_BUDGET_H */
/** @endcond */
