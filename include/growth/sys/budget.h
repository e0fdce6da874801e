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

/**
 * @brief One request of a coordinated solve (growth_mckp_coord_create()) run on one shard of
 *        users: the shard's side of the protocol.
 *
 * `request` is what growth_mckp_coord_request() wrote for this shard; the reply goes to
 * `out_reply` and back to growth_mckp_coord_feed(). `plan` (n_users entries, caller-owned) is
 * the shard's share of the plan: the coordinator's requests write it (choices as in
 * growth_mckp_solve(), offsets within each user's options or -1) and it is final only when
 * growth_mckp_coord_next() reports the solve done; keep it, and the shard's arrays, unchanged
 * between the requests of one solve. The handle remembers the shard's validated data and the
 * hull segments of the current line search between requests (one handle per shard; a request
 * that reaches another handle recomputes them, correctly but with one more pass over the users).
 * Uses the handle's threads; growth_mckp_cancel() stops it.
 * @param request, request_n the request (doubles).
 * @param plan, plan_cap the shard's plan, `plan_cap` >= n_users.
 * @param[out] out_reply `reply_cap` doubles; the request fixes how many may be needed.
 * @param[out] out_n on ::GROWTH_OK the doubles written; on ::GROWTH_EBUFS the capacity needed
 *             (nothing is written and the plan is unchanged).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, bad shard data, a malformed
 *         request or one for another number of budgets); ::GROWTH_EBUFS (`plan_cap` or
 *         `reply_cap` short); ::GROWTH_ENOMEM; ::GROWTH_ECANCELED.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_shard_step(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *request, size_t request_n, int32_t *plan, size_t plan_cap,
                                      double *out_reply, size_t reply_cap, size_t *out_n);

/**
 * The coordinator of a sharded MCKP solve (opaque): the single-machine solver's search
 * (growth_mckp_solve()) as a state machine over the replies of shards, so that any engine that
 * can run a function where a shard lives and return a few numbers can drive the solve.
 *
 * @code
 * growth_mckp_coord *c;
 * growth_mckp_coord_create(&c, n_shards, n_users, n_options, K, budgets, "fill=true");
 * int done = 0;
 * while (growth_mckp_coord_next(c, &done) == GROWTH_OK && !done) {
 *     for (size_t w = 0; w < n_shards; w++) {        // in parallel, where shard w lives
 *         size_t n;
 *         growth_mckp_coord_request(c, w, req, req_cap, &n);  // n == 0: nothing for w
 *         if (n == 0) continue;
 *         growth_mckp_shard_step(solver[w], ..., req, n, plan[w], n_users[w], rep, rep_cap, &m);
 *         growth_mckp_coord_feed(c, w, rep, m);      // or growth_mckp_coord_fail(c, w, rc, msg)
 *     }
 * }
 * growth_mckp_coord_result_get(c, &result);          // and growth_mckp_coord_duals()
 * @endcode
 *
 * With the shards in user order (shard 0 holds the first users) the plan, prices and totals
 * equal growth_mckp_solve() on the whole problem (sums are merged in another order, so only a
 * threshold decided by the last bits of a sum could differ). Each round moves a constant
 * number of doubles per shard (a few hundred; the first histogram of a line search holds one
 * pair per non-empty bucket of the slopes' top 16 bits) plus, at most, the drop and fill
 * candidates of the repair and fill pages. A line search passes twice over each shard's users
 * (its histogram, then collecting the crossing bucket, which later refinements read from the
 * handle's memory); assign, fill and, with several budgets, the descent's dual evaluations and
 * the polish's scans pass once each.
 *
 * Configuration: `max_iter` (200), `tol` (1e-10) and `fill` (true) as growth_mckp_create().
 * Thread-safety: one thread at a time, except growth_mckp_coord_cancel().
 */
typedef struct growth_mckp_coord growth_mckp_coord;

/**
 * @brief Counters of a coordinated solve (growth_mckp_coord_stats_get()). Initialise with
 *        ::GROWTH_MCKP_COORD_STATS_INIT; fields are only ever appended.
 * @since 1.0 (unstable)
 */
typedef struct growth_mckp_coord_stats {
    uint32_t struct_size;         /**< sizeof(growth_mckp_coord_stats), set by the INIT macro */
    uint32_t reserved;            /**< 0 */
    uint64_t rounds;              /**< rounds of requests so far (round trips) */
    uint64_t requests;            /**< requests written (one per shard and round that had one) */
    uint64_t shard_passes;        /**< requests that pass over all users of their shard */
    uint64_t doubles_to_shards;   /**< doubles in all requests */
    uint64_t doubles_from_shards; /**< doubles in all replies fed */
} growth_mckp_coord_stats;

/** Initialiser of ::growth_mckp_coord_stats (struct_size set, the rest zero). */
#define GROWTH_MCKP_COORD_STATS_INIT GROWTH_STRUCT_INIT(growth_mckp_coord_stats)

/**
 * @brief Creates a coordinator for a problem of `n_users` users and `n_options` options in
 *        total over `n_shards` shards, with K budgets.
 * @param n_shards 1 .. 2^20 shards, numbered in user order.
 * @param n_users, n_options totals over the shards (checked against the shards' replies).
 * @param n_budgets K (1..64); `budgets` K finite values >= 0.
 * @param config "max_iter=200 tol=1e-10 fill=true" (NULL or "" for the defaults).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL pointers, bad counts, budgets or keys);
 *         ::GROWTH_ENOMEM.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_create(growth_mckp_coord **out, size_t n_shards, size_t n_users,
                                        size_t n_options, size_t n_budgets, const double *budgets,
                                        const char *config);

/** @brief Frees a coordinator; NULL is allowed. @since 1.0 (unstable) */
GROWTH_API void growth_mckp_coord_free(growth_mckp_coord *c);

/**
 * @brief Advances the solve: consumes the replies of the last round and writes the next
 *        round's requests (growth_mckp_coord_request()), or finishes (*out_done = 1).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL pointers; shards whose users or options do not add
 *         up to the problem's); ::GROWTH_ESTATE while a shard has not replied (nothing
 *         changes); ::GROWTH_ECANCELED after growth_mckp_coord_cancel(); ::GROWTH_ENOMEM; a
 *         shard's failure reported with growth_mckp_coord_fail() (its code and message). Any
 *         status but ::GROWTH_ESTATE ends the solve: later calls return it again, no result
 *         is available and the shards' plans are void.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_next(growth_mckp_coord *c, int *out_done);

/**
 * @brief The current round's request for one shard (EBUFS protocol): *out_n = 0 when the shard
 *        has nothing to do this round (or has replied already).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL pointers, `shard` out of range); ::GROWTH_EBUFS.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_request(const growth_mckp_coord *c, size_t shard, double *out_request,
                                         size_t cap, size_t *out_n);

/**
 * @brief Feeds one shard's reply (growth_mckp_shard_step()) to the current round's request.
 *        The reply is checked (its kind, round, budgets, user and option counts, lengths; NaN
 *        or infinite sums) before it is kept; a rejected reply changes nothing.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL pointers, `shard` out of range, a malformed reply,
 *         a shard whose budget, user or option count disagrees); ::GROWTH_ESTATE (no request
 *         outstanding for the shard: fed twice, before growth_mckp_coord_next(), after the
 *         end); ::GROWTH_ENOMEM.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_feed(growth_mckp_coord *c, size_t shard, const double *reply, size_t n);

/**
 * @brief Reports that a shard failed (its status `code` < 0 and message, which may be NULL):
 *        the solve ends and growth_mckp_coord_next() returns `code` with a message naming the
 *        shard. A later failure does not replace the first.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, `shard` out of range, `code` not a
 *         failure status); ::GROWTH_ESTATE (the solve has finished).
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_fail(growth_mckp_coord *c, size_t shard, int code, const char *message);

/**
 * @brief Asks the solve to stop; safe from any thread. The next growth_mckp_coord_next()
 *        returns ::GROWTH_ECANCELED.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_cancel(growth_mckp_coord *c);

/**
 * @brief The finished solve's summary, as growth_mckp_result_get().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL pointers, a `struct_size` below the 1.0 size);
 *         ::GROWTH_ESTATE if the solve has not finished or failed.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_result_get(const growth_mckp_coord *c, growth_mckp_result *out);

/**
 * @brief The finished solve's prices and plan spend per budget (either may be NULL; `cap` >= K).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_ESTATE if the solve has not
 *         finished or failed; ::GROWTH_EBUFS (`cap` < K).
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_duals(const growth_mckp_coord *c, double *out_lambda, double *out_spend,
                                       size_t cap);

/**
 * @brief The coordinator's counters (round trips, passes, doubles moved).
 * @param[in,out] out struct_size set by the caller (::GROWTH_MCKP_COORD_STATS_INIT).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL pointers, a `struct_size` below the 1.0 size).
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_mckp_coord_stats_get(const growth_mckp_coord *c, growth_mckp_coord_stats *out);

/** @} */

#ifdef __cplusplus
}
#endif

/** @cond */
#endif /* GROWTH_SYS_BUDGET_H */
/** @endcond */
