/**
 * @file budget.h
 * @brief Budget solving: multiple-choice knapsack (coupons over millions of users) with one or
 *        several budgets, channel budgets on concave response curves, push allocation under
 *        per-user caps, category quotas and a volume limit.
 *
 * @defgroup budget Budget solving (MCKP, channels, push)
 * @{
 *
 * **MCKP.** User i picks at most one of its options j (or nothing) with value v_ij >= 0 and
 * costs c_ijk >= 0 in K budgets; maximise the total value with sum c_ijk <= B_k for every k.
 * Users and options come in CSR form: user i owns options indptr[i] .. indptr[i+1]; values are
 * `values[j]`, costs `costs[j * K + k]`. An ineligible option is simply absent. A cap on how
 * many coupons of a type may be handed out is one more budget whose cost is 1 for the options
 * of that type.
 *
 * The solver works on the Lagrangian dual D(lambda) = sum_k lambda_k B_k +
 * sum_i max(0, max_j v_ij - lambda . c_ij) (Zhang et al., "Solving Billion-Scale Knapsack
 * Problems", WWW 2020). With one budget it is exact: the minimising lambda is found among the
 * slopes of the per-user upper convex hulls by a histogram selection in O(options) (no sort),
 * D(lambda*) is the LP optimum, and the integer plan takes every hull segment steeper than
 * lambda* (the user on the threshold segment is rounded down), then fills the left-over
 * budget greedily. With K budgets lambda is found by exact coordinate descent (each coordinate
 * minimised with the same hull selection), which can stall at a kink of D a little above the
 * optimum; a trust-region polish then fixes every user whose choice cannot change near lambda
 * and solves the few others as a small LP (dense simplex), reaching the LP optimum exactly
 * (at most a few hundred undecided users; beyond that the descent's bound stands). D(lambda)
 * is an upper bound for any lambda >= 0, so the reported gap (dual bound - integer value) is
 * certified, whatever the convergence.
 *
 * Configuration keys (growth_mckp_create()):
 * | key      | default | meaning |
 * |----------|---------|---------|
 * | threads  | 1       | worker threads over user shards (1..256) |
 * | max_iter | 200     | coordinate-descent rounds with several budgets |
 * | tol      | 1e-10   | stop when a round improves the dual bound by less (relative) |
 * | fill     | true    | greedy fill of the budget left over after rounding |
 *
 * Thread-safety: a solver handle is used by one thread at a time, except growth_mckp_cancel(),
 * which may be called from any thread. Solves never keep the caller's arrays.
 *
 * @code
 * growth_mckp *s;
 * growth_mckp_create(&s, "threads=2");
 * double budget = 1e6;
 * int32_t *choice = malloc(n_users * sizeof *choice);
 * if (growth_mckp_solve(s, indptr, n_users, values, costs, 1, &budget, choice, n_users) == GROWTH_OK) {
 *     growth_mckp_result r = {.struct_size = sizeof r};
 *     growth_mckp_result_get(s, &r);   // r.value, r.lp_value, r.gap, r.rel_gap
 * }
 * growth_mckp_free(s);
 * @endcode
 *
 * **Shards.** growth_mckp_shard_eval() and growth_mckp_shard_assign() evaluate and assign one
 * shard of users at given prices: an engine that holds users on many machines searches the
 * prices with them (sum the shards' spends and dual parts) and assigns each shard at the end.
 * The single-machine solver runs the same per-user kernels on thread shards.
 *
 * **Channels.** growth_channels_* allocate a total budget over channels with concave response
 * curves (`a*(1-exp(-b*x))`, `a*log(1+b*x)` or piecewise-linear from measured points), with
 * weights and min/max spend, and give the marginal value of one more unit of budget.
 *
 * **Push.** growth_budget_allocate_push() picks (user, message) pairs under per-user caps, category
 * count quotas and a global volume limit by its LP dual, with a rounded integer plan and gap.
 */
#ifndef GROWTH_BUDGET_H
#define GROWTH_BUDGET_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A multiple-choice knapsack solver: configuration, callback and the last result (opaque). */
typedef struct growth_mckp growth_mckp;

/**
 * @brief Summary of the last solve. Set `struct_size = sizeof(growth_mckp_result)` first;
 *        fields are only ever added at the end.
 * @since 1.0
 */
typedef struct growth_mckp_result {
    uint32_t struct_size;   /**< sizeof(growth_mckp_result), set by the caller */
    uint32_t n_budgets;     /**< K */
    double value;           /**< total value of the integer plan */
    double lp_value;        /**< LP optimum (exact; K > 1: coordinate descent, then a restricted-LP
                                 polish; only if that cannot finish, the best dual bound) */
    double dual_bound;      /**< certified upper bound D(lambda) on the integer optimum */
    double gap;             /**< dual_bound - value (>= 0 up to rounding) */
    double rel_gap;         /**< gap / max(dual_bound, 1e-300) */
    uint64_t n_users;       /**< users in the instance */
    uint64_t n_chosen;      /**< users with an option in the integer plan */
    uint32_t iterations;    /**< coordinate-descent rounds (1 with one budget) */
    uint32_t fractional;    /**< users split between two options in the LP solution found */
} growth_mckp_result;

/** Initialiser of ::growth_mckp_result (struct_size set, the rest zero). */
#define GROWTH_MCKP_RESULT_INIT GROWTH_STRUCT_INIT(growth_mckp_result)

/**
 * @brief Creates a solver from a configuration string (see the table above).
 * @param[out] out the new solver.
 * @return ::GROWTH_OK, ::GROWTH_EINVAL naming a bad key or value, ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_mckp_create(growth_mckp **out, const char *config);

/** @brief Frees a solver; NULL is allowed. @since 1.0 */
GROWTH_API void growth_mckp_free(growth_mckp *s);

/** @brief Effective configuration ("threads=1 max_iter=200 ..."); EBUFS if cap is short. @since 1.0 */
GROWTH_API int growth_mckp_config(const growth_mckp *s, char *buf, size_t cap, size_t *needed);

/**
 * @brief Sets (or clears with fn = NULL) the progress callback of later solves.
 * @since 1.0
 */
GROWTH_API int growth_mckp_set_progress(growth_mckp *s, growth_progress_fn fn, void *user);

/**
 * @brief Asks a running solve on `s` to stop; safe from any thread. The solve returns
 *        ::GROWTH_ECANCELED at its next check; the next solve starts afresh.
 * @since 1.0
 */
GROWTH_API int growth_mckp_cancel(growth_mckp *s);

/**
 * @brief Solves an MCKP with K >= 1 budgets.
 * @param indptr    n_users + 1 non-decreasing offsets (indptr[0] may be > 0).
 * @param n_users   number of users (>= 1).
 * @param values    option values, finite and >= 0, indexed by option.
 * @param costs     option costs, finite and >= 0, option-major: costs[j * n_budgets + k].
 * @param n_budgets K (1..64).
 * @param budgets   K budgets, finite and >= 0.
 * @param[out] out_choice n_users entries: the option chosen for user i as an offset within
 *                  the user's options (0 .. indptr[i+1]-indptr[i]-1), or -1 for none.
 * @param choice_cap length of out_choice (>= n_users, else ::GROWTH_EBUFS).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input (message names the problem);
 *         ::GROWTH_ENOMEM; ::GROWTH_ECANCELED if cancelled. On failure the previous result stays.
 * @since 1.0
 */
GROWTH_API int growth_mckp_solve(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                 const double *values, const double *costs, size_t n_budgets,
                                 const double *budgets, int32_t *out_choice, size_t choice_cap);

/**
 * @brief Summary of the last successful solve.
 * @param[in,out] out struct_size set by the caller; that many bytes are filled.
 * @return ::GROWTH_ESTATE if nothing was solved yet.
 * @since 1.0
 */
GROWTH_API int growth_mckp_result_get(const growth_mckp *s, growth_mckp_result *out);

/**
 * @brief Dual prices lambda_k (one per budget) and integer-plan spend per budget of the last
 *        solve. Either pointer may be NULL; each needs `cap` >= K.
 * @since 1.0
 */
GROWTH_API int growth_mckp_duals(const growth_mckp *s, double *out_lambda, double *out_spend,
                                 size_t cap);

/**
 * @brief Evaluates one shard of users at `n_points` price vectors (for a distributed search).
 *
 * For each point p (prices lambda[p * K .. p * K + K-1], each >= 0) every user takes its option
 * of largest reduced value v - lambda . c if positive (ties: the cheapest, so spend is the
 * right limit). Outputs per point: out_spend[p * K + k] spend in budget k, out_value[p] the
 * value of those choices, out_dual[p] = sum_i max(0, max_j v_ij - lambda . c_ij). The dual
 * bound at lambda is lambda . B + the sum of out_dual over all shards. Uses the solver's
 * threads. Any output pointer may be NULL.
 * @since 1.0
 */
GROWTH_API int growth_mckp_shard_eval(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs,
                                      size_t n_budgets, const double *lambda, size_t n_points,
                                      double *out_spend, double *out_value, double *out_dual);

/**
 * @brief Assigns one shard's users at final prices (one price vector): out_choice as in
 *        growth_mckp_solve(); out_spend (K, may be NULL) and out_value (may be NULL) total it.
 * @since 1.0
 */
GROWTH_API int growth_mckp_shard_assign(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                        const double *values, const double *costs,
                                        size_t n_budgets, const double *lambda,
                                        int32_t *out_choice, size_t choice_cap,
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
 * growth_mckp_restricted_lp(); see growth.distributed for the whole loop.
 * @since 1.0
 */
GROWTH_API int growth_mckp_shard_scan(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs,
                                      size_t n_budgets, const double *center, double delta,
                                      int32_t *out_choice, size_t choice_cap,
                                      uint64_t *out_undecided, size_t undecided_cap,
                                      size_t *out_n_undecided, size_t *out_n_options,
                                      double *out_fixed);

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
 * GROWTH_ESTATE if the simplex does not finish.
 * @since 1.0
 */
GROWTH_API int growth_mckp_restricted_lp(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                         const double *values, const double *costs,
                                         size_t n_budgets, const double *budgets,
                                         const double *fixed, const double *center, double delta,
                                         int32_t *out_pick, size_t pick_cap, double *out_lambda,
                                         double *out_lp_value, int *out_exact,
                                         uint32_t *out_fractional);

/** A set of advertising channels with concave response curves (opaque). */
typedef struct growth_channels growth_channels;

/** @name Parametric response curves for growth_channels_add() */
/** @{ */
#define GROWTH_CURVE_EXP 1 /**< a * (1 - exp(-b * x)) */
#define GROWTH_CURVE_LOG 2 /**< a * log(1 + b * x) */
/** @} */

/**
 * @brief Creates an empty channel set. Configuration: `tol` (default 1e-12, relative
 *        accuracy of the spend split for parametric curves).
 *
 * @code
 * growth_channels *c;
 * growth_channels_create(&c, "");
 * growth_channels_add(c, GROWTH_CURVE_EXP, 5000, 1e-4, 1.0, 0, 1e5);     // installs
 * double xs[] = {0, 1e4, 3e4}, ys[] = {0, 800, 1500};
 * growth_channels_add_points(c, xs, ys, 3, 1.0, 2e3, 3e4);
 * double spend[2], out[2], marginal, total;
 * growth_channels_allocate(c, 5e4, spend, out, 2, &total, &marginal);
 * @endcode
 * @since 1.0
 */
GROWTH_API int growth_channels_create(growth_channels **out, const char *config);

/** @brief Frees a channel set; NULL is allowed. @since 1.0 */
GROWTH_API void growth_channels_free(growth_channels *c);

/** @brief Number of channels added. @since 1.0 */
GROWTH_API int growth_channels_count(const growth_channels *c);

/**
 * @brief Adds a parametric channel: outcome weight * curve(x) for spend x in [min, max].
 * @param kind ::GROWTH_CURVE_EXP or ::GROWTH_CURVE_LOG; a, b finite and >= 0.
 * @param weight value of one outcome unit (finite, >= 0).
 * @param min_spend, max_spend 0 <= min <= max; max may be INFINITY.
 * @return the channel's index (>= 0) or a negative status.
 * @since 1.0
 */
GROWTH_API int growth_channels_add(growth_channels *c, int kind, double a, double b,
                                   double weight, double min_spend, double max_spend);

/**
 * @brief Adds a piecewise-linear channel through measured points (x[0] = 0 < x[1] < ...),
 *        concave (slopes non-increasing) and non-decreasing; flat beyond the last point.
 * @return the channel's index (>= 0) or a negative status (EINVAL names the offending point).
 * @since 1.0
 */
GROWTH_API int growth_channels_add_points(growth_channels *c, const double *x, const double *y,
                                          size_t n, double weight, double min_spend,
                                          double max_spend);

/**
 * @brief Optimal split of `budget` (the whole budget need not be spent when extra spend
 *        gains nothing).
 * @param[out] out_spend   spend per channel (cap >= channels).
 * @param[out] out_outcome weighted outcome per channel (may be NULL).
 * @param[out] out_total   total weighted outcome (may be NULL).
 * @param[out] out_marginal weighted outcome of one more unit of budget at the optimum (the best
 *             right-derivative among channels below their max; may be NULL).
 * @return ::GROWTH_EINVAL for budget < 0, NaN, or minimums that exceed the budget.
 * @since 1.0
 */
GROWTH_API int growth_channels_allocate(const growth_channels *c, double budget,
                                        double *out_spend, double *out_outcome, size_t cap,
                                        double *out_total, double *out_marginal);

/**
 * @brief The whole budget -> outcome curve in one call: for each of `n` budgets the optimal
 *        total outcome and marginal value; out_spend (n x channels, may be NULL) the splits.
 * @since 1.0
 */
GROWTH_API int growth_channels_curve(const growth_channels *c, const double *budgets, size_t n,
                                     double *out_total, double *out_marginal, double *out_spend,
                                     size_t spend_cap);

/**
 * @brief Summary of a push allocation. Set `struct_size` first; fields only grow at the end.
 * @since 1.0
 */
typedef struct growth_budget_push_result {
    uint32_t struct_size;   /**< sizeof(growth_budget_push_result), set by the caller */
    uint32_t iterations;    /**< coordinate-descent rounds */
    double value;           /**< expected opens of the integer plan (sum of chosen values) */
    double lp_value;        /**< best dual bound found (the LP optimum at convergence) */
    double gap;             /**< lp_value - value */
    uint64_t sent;          /**< pushes in the integer plan */
} growth_budget_push_result;

/** Initialiser of ::growth_budget_push_result (struct_size set, the rest zero). */
#define GROWTH_BUDGET_PUSH_RESULT_INIT GROWTH_STRUCT_INIT(growth_budget_push_result)

/**
 * @brief Push allocation: choose (user, message) pairs maximising the sum of predicted open
 *        values under per-user caps, per-category count quotas and a global volume limit.
 *
 * Configuration: `max_iter` (300), `tol` (1e-12), `cap` (default per-user cap
 * when `caps` is NULL, 1).
 * @param user_ptr  n_users + 1 offsets: user u's candidate pairs are user_ptr[u] .. user_ptr[u+1]
 * @param values    value (e.g. predicted open rate) per pair, finite, >= 0.
 * @param category  category per pair in [0, n_categories).
 * @param caps      per-user cap (>= 0) or NULL for the configured `cap`.
 * @param cat_min, cat_max  per-category minimum / maximum number of pushes (may be NULL:
 *                  0 / unlimited); minimums that cannot be met are ::GROWTH_EINVAL.
 * @param volume    global limit on pushes (INFINITY for none), >= 0.
 * @param hours     NULL, or n_users x 24 open-rate profile by hour: each sent push of a user
 *                  gets a distinct hour, the best hours going to its best pushes.
 * @param[out] out_send  one byte per pair: 1 = send.
 * @param[out] out_hour  NULL, or one int8 per pair: the send hour (0..23), -1 if not sent.
 * @param cap       length of out_send/out_hour (>= pairs).
 * @param[in,out] out_result summary (may be NULL).
 * @since 1.0
 */
GROWTH_API int growth_budget_allocate_push(const char *config, const uint64_t *user_ptr,
                                    size_t n_users, const double *values,
                                    const int32_t *category, const int32_t *caps,
                                    size_t n_categories, const double *cat_min,
                                    const double *cat_max, double volume, const double *hours,
                                    uint8_t *out_send, int8_t *out_hour, size_t cap,
                                    growth_budget_push_result *out_result);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_BUDGET_H */
