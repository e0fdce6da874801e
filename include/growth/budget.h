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
 * | max_memory | 0     | bytes one solve's working memory may take (about 40 bytes per option and 16 per user, plus 1 MiB and the widest user's hull per thread), an integer; 0 = no cap beyond the machine's physical memory. A solve (or a shard call) that would need more fails up front with ::GROWTH_ENOMEM naming the bytes |
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
 *     growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
 *     growth_mckp_result_get(s, &r);   // r.value, r.lp_value, r.gap, r.rel_gap
 * }
 * growth_mckp_free(s);
 * @endcode
 *
 * **Shards.** The per-shard kernels of a distributed solve (evaluate and assign a shard of users
 * at given prices, the exact-LP polish's scan and restricted LP) are unstable interfaces in
 * growth/sys/budget.h; the supported driver is the Python package's `growth.distributed`.
 * The single-machine solver runs the same per-user kernels on thread shards.
 *
 * **Channels.** growth_channels_* allocate a total budget over channels with concave response
 * curves (`a*(1-exp(-b*x))`, `a*log(1+b*x)` or piecewise-linear from measured points), with
 * weights and min/max spend, and give the marginal value of one more unit of budget.
 * growth_channels_fit() fits such a curve to logged (spend, outcome) pairs; growth_response_*
 * allocate over placements with several outcomes each (installs, logins, retained users), with
 * ratio constraints (a minimum login rate), per-group (platform) budgets and min/max spend.
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
 * @brief Summary of the last solve. Initialise with ::GROWTH_MCKP_RESULT_INIT; fields are only
 *        ever added at the end.
 * @since 1.0
 */
typedef struct growth_mckp_result {
    uint32_t struct_size; /**< sizeof(growth_mckp_result), set by ::GROWTH_MCKP_RESULT_INIT */
    uint32_t n_budgets;   /**< K */
    double value;         /**< total value of the integer plan */
    double lp_value;      /**< LP optimum (exact; K > 1: coordinate descent, then a restricted-LP
                                 polish; only if that cannot finish, the best dual bound) */
    double dual_bound;    /**< certified upper bound D(lambda) on the integer optimum */
    double gap;           /**< dual_bound - value (>= 0 up to rounding) */
    double rel_gap;       /**< gap / max(dual_bound, 1e-300) */
    uint64_t n_users;     /**< users in the instance */
    uint64_t n_chosen;    /**< users with an option in the integer plan */
    uint32_t iterations;  /**< coordinate-descent rounds (1 with one budget) */
    uint32_t fractional;  /**< users split between two options in the LP solution found */
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

/**
 * @brief Effective configuration ("threads=1 max_iter=200 ...").
 * @param[out] buf  `cap` bytes for the NUL-terminated string (may be NULL to ask for the size).
 * @param[out] out_n may be NULL; on ::GROWTH_OK the bytes written including the NUL, on
 *                  ::GROWTH_EBUFS the capacity needed (nothing is written to `buf`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_EBUFS if `cap` is short.
 * @since 1.0
 */
GROWTH_API int growth_mckp_config(const growth_mckp *s, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Sets (or clears with fn = NULL) the progress callback of later solves. It is called
 *        from the solving thread with the stages "start", "descent" (once per coordinate-descent
 *        round), "polish" and "assign"; a non-zero return stops the solve with
 *        ::GROWTH_ECANCELED (the previous result stays). A last call with stage "done" and
 *        done = 1 reports a finished solve; its return value is ignored.
 * @param fn   the callback, or NULL.
 * @param user passed to `fn`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle.
 * @since 1.0
 */
GROWTH_API int growth_mckp_set_progress(growth_mckp *s, growth_progress_fn fn, void *user);

/**
 * @brief Asks a running solve on `s` to stop; safe from any thread. The solve returns
 *        ::GROWTH_ECANCELED at its next check; the next solve starts afresh (a cancel before a
 *        solve starts is therefore lost: it cancels a running solve only).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle.
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
 *         ::GROWTH_ENOMEM (also when the solve's working memory would exceed physical memory
 *         or `max_memory`: refused before allocating, the message names the bytes);
 *         ::GROWTH_ECANCELED if cancelled. On failure the previous result stays.
 * @since 1.0
 */
GROWTH_API int growth_mckp_solve(growth_mckp *s, const uint64_t *indptr, size_t n_users, const double *values,
                                 const double *costs, size_t n_budgets, const double *budgets,
                                 int32_t *out_choice, size_t choice_cap);

/**
 * @brief Summary of the last successful solve.
 * @param[in,out] out struct_size set by the caller (::GROWTH_MCKP_RESULT_INIT); the fields that
 *                fit in it are filled, struct_size is left as it was.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle or `out`, or a `struct_size` below the
 *         1.0 size; ::GROWTH_ESTATE if nothing was solved yet.
 * @since 1.0
 */
GROWTH_API int growth_mckp_result_get(const growth_mckp *s, growth_mckp_result *out);

/**
 * @brief Dual prices lambda_k (one per budget) and integer-plan spend per budget of the last
 *        solve. Either pointer may be NULL; each needs `cap` >= K.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_ESTATE if nothing was solved
 *         yet; ::GROWTH_EBUFS (`cap` < K).
 * @since 1.0
 */
GROWTH_API int growth_mckp_duals(const growth_mckp *s, double *out_lambda, double *out_spend, size_t cap);

/** A set of advertising channels with concave response curves (opaque). */
typedef struct growth_channels growth_channels;

/** Shape of a parametric response curve (growth_channels_add()). */
typedef enum growth_curve {
    GROWTH_CURVE_EXP = 1, /**< a * (1 - exp(-b * x)) */
    GROWTH_CURVE_LOG = 2  /**< a * log(1 + b * x) */
} growth_curve;

/**
 * @brief Creates an empty channel set. Configuration: `tol` (default 1e-12, relative
 *        accuracy of the spend split for parametric curves) and `max_memory` (default 0: bytes
 *        the set may hold, channels and their points; an add that would exceed it, or physical
 *        memory, is ::GROWTH_ENOMEM naming the bytes, the set unchanged).
 *
 * @code
 * growth_channels *c;
 * growth_channels_create(&c, "");
 * size_t installs, search;
 * growth_channels_add(c, GROWTH_CURVE_EXP, 5000, 1e-4, 1.0, 0, 1e5, &installs);
 * double xs[] = {0, 1e4, 3e4}, ys[] = {0, 800, 1500};
 * growth_channels_add_points(c, xs, ys, 3, 1.0, 2e3, 3e4, &search);
 * double spend[2], out[2], marginal, total;
 * growth_channels_allocate(c, 5e4, spend, out, 2, &total, &marginal);
 * @endcode
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL out, a bad key); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_channels_create(growth_channels **out, const char *config);

/** @brief Frees a channel set; NULL is allowed. @since 1.0 */
GROWTH_API void growth_channels_free(growth_channels *c);

/**
 * @brief Counters of a channel set (growth_channels_stats_get()). Initialise with
 *        ::GROWTH_CHANNELS_STATS_INIT; fields are only ever appended.
 * @since 1.0
 */
typedef struct growth_channels_stats {
    uint32_t struct_size; /**< sizeof(growth_channels_stats), set by ::GROWTH_CHANNELS_STATS_INIT */
    uint32_t reserved;    /**< 0 */
    uint64_t channels;    /**< channels added (their indexes are 0 .. channels-1) */
} growth_channels_stats;

/** Initialiser of ::growth_channels_stats (struct_size set, the rest zero). */
#define GROWTH_CHANNELS_STATS_INIT GROWTH_STRUCT_INIT(growth_channels_stats)

/**
 * @brief The channel set's counters.
 * @param[in,out] out struct_size set by the caller (::GROWTH_CHANNELS_STATS_INIT); the fields
 *                that fit in it are filled, struct_size is left as it was.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle or `out`, or a `struct_size` below the
 *         1.0 size.
 * @since 1.0
 */
GROWTH_API int growth_channels_stats_get(const growth_channels *c, growth_channels_stats *out);

/**
 * @brief Adds a parametric channel: outcome weight * curve(x) for spend x in [min, max].
 * @param kind ::GROWTH_CURVE_EXP or ::GROWTH_CURVE_LOG.
 * @param a, b the curve's parameters, finite and >= 0.
 * @param weight value of one outcome unit (finite, >= 0).
 * @param min_spend, max_spend 0 <= min <= max; max may be INFINITY.
 * @param[out] out_index the new channel's index (0, 1, ... in order of addition; the index of
 *             its spend in growth_channels_allocate()); may be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, a bad kind or parameter; the set is
 *         unchanged); ::GROWTH_ENOMEM (also past `max_memory`; the set is unchanged).
 * @since 1.0
 */
GROWTH_API int growth_channels_add(growth_channels *c, growth_curve kind, double a, double b, double weight,
                                   double min_spend, double max_spend, size_t *out_index);

/**
 * @brief Adds a piecewise-linear channel through measured points (x[0] = 0 < x[1] < ...),
 *        concave (slopes non-increasing) and non-decreasing; flat beyond the last point.
 * @param x, y   n >= 2 finite points (copied).
 * @param weight, min_spend, max_spend as in growth_channels_add().
 * @param[out] out_index the new channel's index; may be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming the offending point (the set is unchanged);
 *         ::GROWTH_ENOMEM (also past `max_memory`; the set is unchanged).
 * @since 1.0
 */
GROWTH_API int growth_channels_add_points(growth_channels *c, const double *x, const double *y, size_t n,
                                          double weight, double min_spend, double max_spend,
                                          size_t *out_index);

/**
 * @brief Optimal split of `budget` (the whole budget need not be spent when extra spend
 *        gains nothing).
 * @param[out] out_spend   spend per channel (cap >= channels).
 * @param[out] out_outcome weighted outcome per channel (may be NULL).
 * @param[out] out_total   total weighted outcome (may be NULL).
 * @param[out] out_marginal weighted outcome of one more unit of budget at the optimum (the best
 *             right-derivative among channels below their max; may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle or `out_spend`, budget < 0, NaN, Inf,
 *         or minimums that exceed the budget; ::GROWTH_ESTATE without channels;
 *         ::GROWTH_EBUFS (`cap` < channels).
 * @since 1.0
 */
GROWTH_API int growth_channels_allocate(const growth_channels *c, double budget, double *out_spend,
                                        double *out_outcome, size_t cap, double *out_total,
                                        double *out_marginal);

/**
 * @brief The whole budget -> outcome curve in one call: for each of `n` budgets the optimal
 *        total outcome and marginal value; out_spend (n x channels, may be NULL) the splits.
 * @param[out] out_total, out_marginal n entries each (out_marginal may be NULL).
 * @param spend_cap length of out_spend (>= n x channels when given).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, a bad budget); ::GROWTH_ESTATE
 *         without channels; ::GROWTH_EBUFS (`spend_cap` short).
 * @since 1.0
 */
GROWTH_API int growth_channels_curve(const growth_channels *c, const double *budgets, size_t n,
                                     double *out_total, double *out_marginal, double *out_spend,
                                     size_t spend_cap);

/**
 * @brief Goodness of fit and parameters of a response curve fitted by growth_channels_fit().
 *        Initialise with ::GROWTH_CHANNELS_FIT_RESULT_INIT; fields are only ever appended.
 * @since 1.0
 */
typedef struct growth_channels_fit_result {
    uint32_t struct_size; /**< sizeof(growth_channels_fit_result), set by ::GROWTH_CHANNELS_FIT_RESULT_INIT */
    int32_t family;       /**< ::GROWTH_CURVE_EXP, ::GROWTH_CURVE_LOG, or 0 for piecewise-linear (knots) */
    double a;             /**< the curve's `a` (0 for piecewise-linear) */
    double b;             /**< the curve's `b` (0 for piecewise-linear) */
    double r2;            /**< weighted R^2 = 1 - SSE / SST (1 when both are 0, 0 when only SST is) */
    double rmse;          /**< weighted root mean squared error, sqrt(SSE / sum of weights) */
    double spend_lo;      /**< smallest spend among the observations used (weight > 0) */
    double spend_hi;      /**< largest spend among the observations used */
    uint64_t n;           /**< observations used (weight > 0) */
    uint64_t knots;       /**< knots of a piecewise-linear fit (written to the knot arrays), else 0 */
} growth_channels_fit_result;

/** Initialiser of ::growth_channels_fit_result (struct_size set, the rest zero). */
#define GROWTH_CHANNELS_FIT_RESULT_INIT GROWTH_STRUCT_INIT(growth_channels_fit_result)

/**
 * @brief Fits a concave, non-decreasing response curve through the origin to logged
 *        (spend, outcome) observations by weighted least squares.
 *
 * Families (configuration key `family`):
 * - `exp`: `a*(1-exp(-b*x))`; `log`: `a*log(1+b*x)`. Non-linear least squares by variable
 *   projection: for a given `b` the best `a >= 0` is linear, and the profile SSE(b) is minimised
 *   over b in [1e-3 / max spend, 1e3 / min positive spend] by a log-spaced scan and a
 *   golden-section refinement (so the global minimum on that range, not a local one).
 * - `pwl`: the concave, non-decreasing piecewise-linear least-squares fit through the origin,
 *   flat beyond its last knot. Such a curve is a non-negative combination of hinges
 *   `min(x, t_j)` with knots t_j at the distinct spends (at most `knots` of them, quantiles when
 *   there are more), so the fit is a non-negative least-squares problem solved exactly by the
 *   Lawson-Hanson active-set method. The knots (x[0] = 0, y[0] = 0, then where the slope changes)
 *   go to `out_knot_x` / `out_knot_y`; they can be passed to growth_channels_add_points() or
 *   growth_response_set_points() as they are.
 * - `auto` (default): the family with the smallest BIC, N log(SSE / sum w) + k log N with k = 2
 *   for exp and log and k = the hinges used for pwl (ties go to exp, then log; a mean squared
 *   error below 1e-20 of the mean squared outcome counts as 0, so exact data keep their family).
 *
 * | key    | default | meaning |
 * |--------|---------|---------|
 * | family | auto    | auto, exp, log or pwl |
 * | knots  | 32      | most knots of a piecewise-linear fit (2..1024) |
 *
 * @param spend   n spends, finite and >= 0 (at least two distinct positive ones with weight > 0).
 * @param outcome n outcomes (installs, logins, ...), finite and >= 0.
 * @param weight  n weights, finite and >= 0, or NULL for all 1.
 * @param config  "key=value ..." (above), NULL or "" for the defaults.
 * @param[in,out] out_result struct_size set by the caller; the fields that fit in it are filled.
 * @param[out] out_knot_x, out_knot_y the knots of a piecewise-linear fit (`cap` entries each;
 *             may be NULL when `cap` is 0). A parametric fit writes none.
 * @param cap   entries of each knot array; `knots + 1` always suffices.
 * @param[out] out_n knots written (0 for a parametric fit); on ::GROWTH_EBUFS the capacity needed.
 *             May be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL arrays, n < 2, NaN, Inf or negative values, fewer
 *         than two distinct positive spends, a bad key, `struct_size` below the 1.0 size);
 *         ::GROWTH_EBUFS (a piecewise-linear fit with more knots than `cap`; nothing written);
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_channels_fit(const double *spend, const double *outcome, const double *weight, size_t n,
                                   const char *config, growth_channels_fit_result *out_result,
                                   double *out_knot_x, double *out_knot_y, size_t cap, size_t *out_n);

/**
 * A response model: placements (channels) with one concave, non-decreasing response curve per
 * outcome (e.g. installs, logins, day-1 retained users), each placement in an optional group (a
 * platform) with its own budget (opaque). See growth_response_allocate().
 *
 * Thread-safety: growth_response_allocate() only reads the model (any number of threads may
 * allocate at once); growth_response_add(), _set_curve() and _set_points() must not race any
 * other call on the same model.
 */
typedef struct growth_response growth_response;

/**
 * @brief Creates an empty response model for `n_outcomes` outcomes per placement.
 *        Configuration: `tol` (default 1e-12, relative accuracy of the prices and multipliers),
 *        `max_memory` (default 0: bytes the model may hold; past it, or past physical memory, an
 *        add is ::GROWTH_ENOMEM naming the bytes).
 *
 * @code
 * growth_response *r;
 * growth_response_create(&r, 3, "");                 // installs, logins, retained
 * size_t p;
 * growth_response_add(r, 0, 1e3, 2e4, &p);           // platform 0, logged spend 1e3 .. 2e4
 * growth_response_set_curve(r, p, 0, GROWTH_CURVE_EXP, 5000, 1e-4);
 * growth_response_set_curve(r, p, 1, GROWTH_CURVE_EXP, 2000, 1.5e-4);
 * growth_response_set_curve(r, p, 2, GROWTH_CURVE_LOG, 300, 2e-4);
 * double budgets[] = {5e4}, w[] = {1, 0, 0}, ratio[] = {0, 0.4, 0}, spend[1], out[3];
 * growth_response_result res = GROWTH_RESPONSE_RESULT_INIT;
 * growth_response_allocate(r, budgets, 1, w, ratio, NULL, NULL, spend, out, 1, &res);
 * growth_response_free(r);
 * @endcode
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL out, n_outcomes not in 1..16, a bad key);
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_response_create(growth_response **out, size_t n_outcomes, const char *config);

/** @brief Frees a response model; NULL is allowed. @since 1.0 */
GROWTH_API void growth_response_free(growth_response *r);

/**
 * @brief Adds a placement whose curves are all zero until set.
 * @param group the placement's group (platform) >= 0, or -1 for none; group g's budget is
 *        `budgets[1 + g]` in growth_response_allocate().
 * @param spend_lo, spend_hi the spend range its curves were measured on (0 <= lo <= hi, hi may
 *        be INFINITY); a plan outside it is counted as extrapolated.
 * @param[out] out_index the placement's index (0, 1, ... in order of addition); may be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, a bad group or range; unchanged);
 *         ::GROWTH_ENOMEM (also past `max_memory`; unchanged).
 * @since 1.0
 */
GROWTH_API int growth_response_add(growth_response *r, int32_t group, double spend_lo, double spend_hi,
                                   size_t *out_index);

/**
 * @brief Sets one outcome's curve of a placement to a parametric curve.
 * @param kind ::GROWTH_CURVE_EXP or ::GROWTH_CURVE_LOG; `a`, `b` finite and >= 0.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, placement or outcome out of range, a bad
 *         kind or parameter; unchanged).
 * @since 1.0
 */
GROWTH_API int growth_response_set_curve(growth_response *r, size_t placement, size_t outcome,
                                         growth_curve kind, double a, double b);

/**
 * @brief Sets one outcome's curve of a placement to a piecewise-linear curve through `n >= 2`
 *        points (x[0] = 0 < x[1] < ..., concave, non-decreasing, flat beyond the last point),
 *        as growth_channels_add_points() takes them and growth_channels_fit() writes them.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming the offending point (unchanged);
 *         ::GROWTH_ENOMEM (also past `max_memory`; unchanged).
 * @since 1.0
 */
GROWTH_API int growth_response_set_points(growth_response *r, size_t placement, size_t outcome,
                                          const double *x, const double *y, size_t n);

/**
 * @brief Summary of growth_response_allocate(). Initialise with ::GROWTH_RESPONSE_RESULT_INIT;
 *        fields are only ever appended.
 * @since 1.0
 */
typedef struct growth_response_result {
    uint32_t struct_size;  /**< sizeof(growth_response_result), set by ::GROWTH_RESPONSE_RESULT_INIT */
    uint32_t reserved;     /**< 0 */
    double objective;      /**< sum over outcomes of weight x total outcome */
    double spend;          /**< total spend of the plan */
    double marginal;       /**< objective of one more unit of total budget : the Lagrangian's best
                               right-derivative among placements below their max in a group with
                               budget left, at most the budget's price; 0 when the total budget
                               does not bind */
    double price;          /**< the total budget's price (its Lagrange multiplier; 0 when it does not bind) */
    double multiplier[2];  /**< Lagrange multipliers of the (at most two) ratio constraints, in
                               the order of their outcomes */
    uint64_t extrapolated; /**< placements whose spend lies outside their measured range */
    double bound;          /**< Lagrangian dual bound: no plan within the constraints has a larger
                                objective (exact when every outcome weight of the Lagrangian is
                                >= 0; then bound - objective is only rounding) */
} growth_response_result;

/** Initialiser of ::growth_response_result (struct_size set, the rest zero). */
#define GROWTH_RESPONSE_RESULT_INIT GROWTH_STRUCT_INIT(growth_response_result)

/**
 * @brief Optimal spend per placement: maximise sum_k weights[k] x (total outcome k) subject to
 *        the total budget, the groups' budgets, per-placement min/max spend and ratio
 *        constraints (total outcome k) >= min_ratio[k] x (total outcome 0).
 *
 * Budgets: prices by bisection (a group's own price is found once and the total's price
 * raises it where it binds), each placement's spend being the maximiser of its Lagrangian on
 * [min, max], flat pieces filled up to the budgets. Ratio constraints (e.g. a login rate
 * logins / installs >= r) are linear in the outcomes, so they are handled exactly by their
 * Lagrangian: maximise weights . outcomes + lambda (outcome_k - r outcome_0) with a 1-D search
 * on lambda (nested for two constraints); where the plan jumps at lambda (piecewise-linear
 * curves) the two plans around it are mixed so that the constraint holds with equality. The
 * result is optimal whenever lambda stays in the range where every outcome's coefficient is
 * >= 0 (weights[0] >= sum lambda_k r_k). A stricter ratio needs a larger lambda, which
 * penalises outcome 0: each placement's Lagrangian is then maximised globally (ends, knots, a
 * grid of 96 points and a golden-section refinement), a budget is filled between a placement's
 * two maximisers where its spend jumps, and the plan may fall short of the optimum by at most
 * `bound - objective` (reported; 0 up to rounding in most cases, as the Lagrangian's
 * non-concavity comes only from the curves of two outcomes having different shapes). A ratio
 * that no plan within the spend limits reaches is ::GROWTH_EINVAL naming the best ratio found.
 * Cost: a few hundred evaluations per placement and price step; one constraint about 1 ms for
 * ten placements, two binding constraints past the concave range up to about a second.
 * @param budgets   n_budgets >= 1 entries: budgets[0] the total (finite, >= 0), budgets[1 + g]
 *                  group g's (>= 0, INFINITY for none); groups past n_budgets - 1 have no limit.
 * @param weights   n_outcomes weights, finite and >= 0.
 * @param min_ratio NULL, or n_outcomes entries: min_ratio[0] = 0, min_ratio[k] >= 0 (0 = no
 *                  constraint), at most two non-zero.
 * @param min_spend, max_spend NULL (0 / INFINITY) or one per placement, 0 <= min <= max.
 * @param[out] out_spend    spend per placement (`cap` >= placements).
 * @param[out] out_outcomes NULL, or placements x n_outcomes (row-major): each outcome's value.
 * @param cap               placements the outputs hold.
 * @param[in,out] out_result NULL, or the summary (struct_size set by the caller).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, NaN, Inf, negative values,
 *         minimums above a budget, a ratio that cannot be reached, `struct_size` below the 1.0
 *         size); ::GROWTH_ESTATE without placements; ::GROWTH_EBUFS (`cap` < placements);
 *         ::GROWTH_ENOMEM. On failure nothing is written.
 * @since 1.0
 */
GROWTH_API int growth_response_allocate(const growth_response *r, const double *budgets, size_t n_budgets,
                                        const double *weights, const double *min_ratio,
                                        const double *min_spend, const double *max_spend, double *out_spend,
                                        double *out_outcomes, size_t cap, growth_response_result *out_result);

/**
 * @brief Summary of a push allocation. Initialise with ::GROWTH_BUDGET_PUSH_RESULT_INIT; fields
 *        only grow at the end.
 * @since 1.0
 */
typedef struct growth_budget_push_result {
    uint32_t struct_size; /**< sizeof(growth_budget_push_result), set by ::GROWTH_BUDGET_PUSH_RESULT_INIT */
    uint32_t iterations;  /**< coordinate-descent rounds */
    double value;         /**< expected opens of the integer plan (sum of chosen values) */
    double lp_value;      /**< best dual bound found (the LP optimum at convergence) */
    double gap;           /**< lp_value - value */
    uint64_t sent;        /**< pushes in the integer plan */
} growth_budget_push_result;

/** Initialiser of ::growth_budget_push_result (struct_size set, the rest zero). */
#define GROWTH_BUDGET_PUSH_RESULT_INIT GROWTH_STRUCT_INIT(growth_budget_push_result)

/**
 * @brief Push allocation: choose (user, message) pairs maximising the sum of predicted open
 *        values under per-user caps, per-category count quotas and a global volume limit.
 *
 * Configuration: `max_iter` (300) coordinate-descent rounds, `tol` (1e-12), `cap` (default
 * per-user cap when `caps` is NULL, 1).
 * @param user_ptr  n_users + 1 offsets: user u's candidate pairs are user_ptr[u] .. user_ptr[u+1]
 * @param values    value (e.g. predicted open rate) per pair, finite, >= 0.
 * @param category  category per pair in [0, n_categories).
 * @param caps      per-user cap (>= 0) or NULL for the configured `cap`.
 * @param cat_min, cat_max  per-category minimum / maximum number of pushes (may be NULL:
 *                  0 / unlimited); minimums that cannot be met are ::GROWTH_EINVAL.
 * @param volume    global limit on pushes (INFINITY for none), >= 0.
 * @param hours     NULL, or n_users x 24 open-rate profile by hour: each sent push of a user
 *                  gets a distinct hour, the best hours going to its best pushes.
 * @param config    "key=value ..." (above), NULL or "" for the defaults.
 * @param[out] out_send  one byte per pair: 1 = send.
 * @param[out] out_hour  NULL, or one int8 per pair: the send hour (0..23), -1 if not sent.
 * @param cap       length of out_send/out_hour (>= pairs).
 * @param[in,out] out_result summary, or NULL; struct_size set by the caller
 *                  (::GROWTH_BUDGET_PUSH_RESULT_INIT), the fields that fit in it are filled.
 * @param progress  NULL, or called after every coordinate-descent round with stage "round" and
 *                  done = rounds / max_iter; a non-zero return stops the call.
 * @param progress_user passed to `progress`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL arrays, bad values, a bad key, infeasible
 *         minimums, `out_result->struct_size` below the 1.0 size); ::GROWTH_EBUFS (`cap` <
 *         pairs); ::GROWTH_ENOMEM; ::GROWTH_ECANCELED when `progress` stopped the call. On any
 *         failure `out_send`, `out_hour` and `out_result` are not written.
 * @since 1.0
 */
GROWTH_API int growth_budget_allocate_push(const uint64_t *user_ptr, size_t n_users, const double *values,
                                           const int32_t *category, const int32_t *caps, size_t n_categories,
                                           const double *cat_min, const double *cat_max, double volume,
                                           const double *hours, const char *config, uint8_t *out_send,
                                           int8_t *out_hour, size_t cap,
                                           growth_budget_push_result *out_result, growth_progress_fn progress,
                                           void *progress_user);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_BUDGET_H */
