/**
 * @file bidding.h
 * @brief oCPX bidding and budget pacing: from calibrated pCTR x pCVR to a bid, first-price bid
 *        shading learnt from win/loss feedback, and a pacing controller that keeps the day's
 *        spend on a planned curve (the auction simulator for tests and benchmarks is an unstable
 *        interface in growth/sys/bidding.h).
 *
 * @defgroup bidding Bidding and budget pacing
 * @{
 *
 * A bidder turns calibrated probabilities into a bid per impression:
 * - `mode=cpa`, `billing=cpm` (oCPM): value = target_cpa x pCTR x pCVR;
 * - `mode=cpa`, `billing=cpc` (oCPC, a bid per click): value = target_cpa x pCVR;
 * - `mode=roi`: the target CPA is replaced by order_value / target_roi (value = pCTR x pCVR x
 *   order_value / target_roi with cpm billing, pCVR x order_value / target_roi with cpc).
 *
 * The bid is then `value x multiplier` (the pacing multiplier, see below), shaded in first-price
 * auctions, capped at `bid_cap` (when > 0), and 0 ("do not bid") when it is below `bid_floor`,
 * when the request is throttled, or when the day's budget is spent. Paying the bid (first price
 * without shading, or cpc billing) makes the cost per conversion equal the target in expectation
 * exactly when the probabilities are calibrated; in second-price auctions it is at most the target.
 *
 * Pacing. The day (`day_seconds`, times are seconds since the start of the day) has a spend
 * plan: `plan=uniform` spends budget x t / day; `plan=curve` follows slot weights `curve=w0|w1|..`
 * (e.g. 24 hourly traffic shares): the planned cumulative spend P(t) is piecewise linear, each
 * slot receiving budget x w_s / sum(w). Every `interval` seconds a controller step compares
 * spend with the plan:
 *   - r = spend in the interval just ended / planned spend in it (at least 0.05),
 *   - lag = (P(t) - spent) / planned spend over the next `catchup` seconds,
 *   - d = clamp(1 + lag, 0.25, 4), the spend ratio wanted next,
 *   - e = ln(d / r), and in velocity form
 *     ln u += kp (e - e') + ki e + kd (e - 2 e' + e''), the change limited to +-ln(max_step),
 * where u is the bid multiplier (`controller=pid`, clamped to [min_multiplier, max_multiplier])
 * or the participation probability (`controller=throttle`, clamped to [min_rate, 1]; a request
 * takes part when a hash of its id falls below the rate). `controller=none` bids the value
 * times initial_multiplier. When the spend reaches the budget the bidder stops bidding.
 *
 * Shading (`auction=first`, `shading=true`). Win/loss feedback is collected on a log-spaced grid
 * of `shade_buckets` prices in [shade_min_price, shade_max_price]: with the market price (the
 * highest other bid) known, every grid price p counts a win when p > market price; without it,
 * the observed bid counts at its nearest grid price. The win-rate curve W(p) is the weighted
 * isotonic (non-decreasing) fit of the grid rates, interpolated linearly in log price. Once
 * `shade_min_obs` results were seen, the bid for a value v (after the multiplier) is the price
 * b in [shade_floor x v, v] maximising the expected surplus (v - b) x W(b), searched over 64
 * evenly spaced ratios b / v; v itself when no candidate has a positive expected surplus.
 *
 * Configuration keys (growth_bidder_create()):
 * | key | default | meaning |
 * |-----|---------|---------|
 * | mode | cpa | `cpa` (target cost per conversion) or `roi` (target return on spend) |
 * | billing | cpm | `cpm` (bid per impression) or `cpc` (bid per click) |
 * | target_cpa | 1 | target cost per conversion, > 0 |
 * | target_roi | 1 | target order value / spend, > 0 (mode=roi) |
 * | bid_floor | 0 | bids below it become 0 (no bid), >= 0 |
 * | bid_cap | 0 | largest bid, >= 0 (0 = no cap) |
 * | auction | second | `second` or `first` (first price: shading applies) |
 * | shading | true | learn and apply bid shading in first-price auctions |
 * | shade_buckets | 64 | grid prices of the win-rate curve, 2..1024 |
 * | shade_min_price | 0.01 | lowest grid price, > 0 |
 * | shade_max_price | 100 | highest grid price, > shade_min_price |
 * | shade_min_obs | 1000 | results needed before shading starts, >= 1 |
 * | shade_floor | 0.3 | smallest bid / value ratio shading may choose, (0, 1] |
 * | budget | 1000 | the day's budget, > 0 |
 * | plan | uniform | `uniform` or `curve` |
 * | curve | "" | slot weights joined by '|' (>= 0, positive sum, at most 255 characters); required by plan=curve, refused by plan=uniform |
 * | day_seconds | 86400 | length of the day, > 0 |
 * | controller | pid | `pid` (bid multiplier), `throttle` (participation rate) or `none` |
 * | interval | 60 | seconds between controller steps, > 0 |
 * | catchup | 1800 | a lag behind (or ahead of) plan is made up over this many seconds, > 0 |
 * | kp, ki, kd | 0.2, 0.5, 0 | gains of the velocity-form PID on the log multiplier / rate |
 * | initial_multiplier | 1 | multiplier at creation (and of controller=none) |
 * | min_multiplier, max_multiplier | 0.01, 1 | bounds of the pacing multiplier |
 * | initial_rate | 1 | participation rate at creation (throttle) |
 * | min_rate | 0.001 | lowest participation rate (throttle) |
 * | max_step | 2 | largest factor the multiplier / rate changes by in one step, > 1 |
 * | max_memory | 0 | bytes the bidder may take (the handle and its shading grid: about 56 bytes per bucket, so at most ~60 KiB), an integer; 0 = no cap beyond the machine's physical memory |
 *
 * Thread-safety: growth_bidder_bid(), growth_bidder_bid_batch(), growth_bidder_stats_get(),
 * growth_bidder_win_rate() and growth_bidder_plan() take no lock and allocate nothing: any number
 * of threads may call them, also while another thread reports spend or auction results. They
 * read the multiplier, rate, budget flag and win-rate curve through relaxed atomics, so a bid
 * racing a controller step uses either the old or the new value of each. The mutating calls
 * (record_spend, tick, record_auction, new_day) and the persistence calls serialise on an
 * internal mutex. growth_bidder_stats_get() reads each field atomically, but the fields are not
 * one snapshot while another thread reports spend. Every call validates its input first: a
 * failed call leaves the bidder unchanged.
 *
 * @code
 * growth_bidder *b;
 * growth_bidder_create(&b, "target_cpa=80 budget=50000 plan=curve curve=1|1|1|1|1|2|3|4|5|5|5|5|"
 *                          "5|5|5|5|5|6|7|8|8|6|4|2 controller=pid");
 * double bid;
 * growth_bidder_bid(b, pctr, pcvr, 0, request_id, &bid);   // hot path, any thread
 * if (won) growth_bidder_record_spend(b, seconds_since_midnight, price);  // feedback thread
 * growth_bidder_save(b, "campaign42.bidder");
 * growth_bidder_free(b);
 * @endcode
 */
#ifndef GROWTH_BIDDING_H
#define GROWTH_BIDDING_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A bidder with its pacing controller and shading curve (opaque). */
typedef struct growth_bidder growth_bidder;

/**
 * @brief Creates a bidder from a configuration string (see the table above).
 * @param[out] out the new handle (free with growth_bidder_free()).
 * @param config "key=value ..." or NULL / "" for the defaults.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming a bad or unknown key (e.g. budget=0,
 *         target_cpa=-1, a bad curve); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_bidder_create(growth_bidder **out, const char *config);

/** @brief Frees a bidder; NULL is allowed. @since 1.0 */
GROWTH_API void growth_bidder_free(growth_bidder *b);

/**
 * @brief Effective configuration ("mode=cpa billing=cpm ...").
 * @param[out] buf  `cap` bytes for the NUL-terminated string (may be NULL to ask for the size).
 * @param[out] out_n may be NULL; on ::GROWTH_OK the bytes written including the NUL, on
 *                  ::GROWTH_EBUFS the capacity needed (nothing is written to `buf`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_EBUFS if `cap` is short.
 * @since 1.0
 */
GROWTH_API int growth_bidder_config(const growth_bidder *b, char *buf, size_t cap, size_t *out_n);

/**
 * @brief The bid for one impression (lock-free, allocation-free).
 * @param pctr        calibrated click probability in [0, 1] (ignored with billing=cpc, but
 *                    still validated).
 * @param pcvr        calibrated conversion probability given a click, in [0, 1].
 * @param order_value predicted order value (mode=roi: finite and >= 0; ignored with mode=cpa).
 * @param request_id  any id of the request; the throttle controller hashes it.
 * @param[out] out_bid the bid (0 = do not bid).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NaN or out-of-range inputs.
 * @since 1.0
 */
GROWTH_API int growth_bidder_bid(const growth_bidder *b, double pctr, double pcvr, double order_value,
                                 uint64_t request_id, double *out_bid);

/**
 * @brief Bids for `n` impressions (lock-free, allocation-free).
 * @param order_value n values or NULL (all 0; mode=roi needs them).
 * @param request_ids n ids or NULL (ids 0 .. n-1).
 * @param[out] out n bids; `cap` is its length (::GROWTH_EBUFS when < n).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming the first bad entry (out is then unspecified).
 * @since 1.0
 */
GROWTH_API int growth_bidder_bid_batch(const growth_bidder *b, const double *pctr, const double *pcvr,
                                       const double *order_value, const uint64_t *request_ids, size_t n,
                                       double *out, size_t cap);

/**
 * @brief Pacing state and counters of a bidder (growth_bidder_stats_get()). Initialise with
 *        ::GROWTH_BIDDER_STATS_INIT; fields are only ever appended.
 * @since 1.0
 */
typedef struct growth_bidder_stats {
    uint32_t struct_size;     /**< sizeof(growth_bidder_stats), set by ::GROWTH_BIDDER_STATS_INIT */
    uint32_t reserved;        /**< 0 */
    double multiplier;        /**< pacing bid multiplier */
    double rate;              /**< participation rate (controller=throttle; 1 otherwise) */
    double spent;             /**< spend reported so far today */
    uint64_t auction_results; /**< win/loss results seen by the shading curve */
} growth_bidder_stats;

/** Initialiser of ::growth_bidder_stats (struct_size set, the rest zero). */
#define GROWTH_BIDDER_STATS_INIT GROWTH_STRUCT_INIT(growth_bidder_stats)

/**
 * @brief Current pacing state and counters (lock-free, relaxed reads: safe while other threads
 *        bid and report).
 * @param[in,out] out struct_size set by the caller (::GROWTH_BIDDER_STATS_INIT); the fields that
 *                fit in it are filled, struct_size is left as it was.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle or `out`, or a `struct_size` below the
 *         1.0 size.
 * @since 1.0
 */
GROWTH_API int growth_bidder_stats_get(const growth_bidder *b, growth_bidder_stats *out);

/**
 * @brief Reports spend: `cost` paid at time `t` (seconds since the start of the day), then
 *        runs the controller steps due up to `t`.
 * @param t    in [0, day_seconds]; earlier than the last step is allowed (the cost counts in
 *             the current interval).
 * @param cost finite, >= 0.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bidder unchanged).
 * @since 1.0
 */
GROWTH_API int growth_bidder_record_spend(growth_bidder *b, double t, double cost);

/**
 * @brief Runs the controller steps due up to time `t` without new spend.
 * @param t in [0, day_seconds] (seconds since the start of the day).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, `t` outside the day; bidder unchanged).
 * @since 1.0
 */
GROWTH_API int growth_bidder_tick(growth_bidder *b, double t);

/**
 * @brief Win/loss feedback of one first-price auction for the shading curve.
 * @param bid          the price bid (finite, > 0).
 * @param won          1 if the impression was won, else 0.
 * @param market_price the highest other bid if the exchange reveals it, else NaN.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL.
 * @since 1.0
 */
GROWTH_API int growth_bidder_record_auction(growth_bidder *b, double bid, int won, double market_price);

/**
 * @brief Learnt probability of winning at `price` (lock-free); NaN-free, in [0, 1]. The number
 *        of results behind it is growth_bidder_stats::auction_results.
 * @param price finite, > 0.
 * @param[out] out_rate the win rate.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or `out_rate`, a bad price).
 * @since 1.0
 */
GROWTH_API int growth_bidder_win_rate(const growth_bidder *b, double price, double *out_rate);

/**
 * @brief Planned cumulative spend at time `t` (lock-free). The spend so far is
 *        growth_bidder_stats::spent.
 * @param t seconds since the start of the day, finite (P(t) is 0 before the day, the budget after).
 * @param[out] out_planned the planned spend.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or `out_planned`, `t` not finite).
 * @since 1.0
 */
GROWTH_API int growth_bidder_plan(const growth_bidder *b, double t, double *out_planned);

/**
 * @brief Starts a new day: spend and controller clock back to 0; the multiplier, rate and
 *        shading curve carry over as a warm start.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle).
 * @since 1.0
 */
GROWTH_API int growth_bidder_new_day(growth_bidder *b);

/**
 * @brief Saves the full state atomically (model kind ::GROWTH_KIND_BIDDER).
 * @return ::GROWTH_OK; ::GROWTH_EIO.
 * @since 1.0
 */
GROWTH_API int growth_bidder_save(const growth_bidder *b, const char *path);

/**
 * @brief Loads a bidder saved by growth_bidder_save().
 * @return ::GROWTH_OK; ::GROWTH_EIO; ::GROWTH_EFORMAT for a corrupted, truncated or other-kind
 *         file.
 * @since 1.0
 */
GROWTH_API int growth_bidder_load(growth_bidder **out, const char *path);

/**
 * @brief Serialises the state into a malloc'ed buffer (free with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL argument); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_bidder_serialize(const growth_bidder *b, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds a bidder from growth_bidder_serialize() bytes.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL out or buf); ::GROWTH_EFORMAT for bytes that are
 *         corrupted, truncated or of another kind; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_bidder_deserialize(growth_bidder **out, const uint8_t *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_BIDDING_H */
