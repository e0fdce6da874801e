/**
 * @file sys/bidding.h
 * @brief Unstable bidding interfaces: the auction simulator shared by the tests, the bindings and
 *        the bench. Outside the stable ABI (symbol version node `GROWTH_SYS_1.0`): may change in
 *        any minor release; see @ref sys.
 *
 * @addtogroup sys
 * @{
 */
#ifndef GROWTH_SYS_UNSTABLE
#error "growth/sys/*.h is outside the stable ABI: define GROWTH_SYS_UNSTABLE before including it"
#endif

/** @cond */ /* the include guard (not part of the documentation) */
#ifndef GROWTH_SYS_BIDDING_H
#define GROWTH_SYS_BIDDING_H
/** @endcond */

#include "growth/bidding.h"
#include "growth/calibration.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief A day of simulated auctions (opaque), shared by the tests and the bench.
 *
 * Impressions arrive over the day with slot shares `traffic=w0|w1|..` (empty: uniform), each
 * slot's count scaled by a lognormal factor of sd `traffic_noise`; times are spread evenly
 * within a slot. The true pCTR and pCVR are logit-normal around `ctr` and `cvr` with sd `spread`
 * on the logit scale; the model predicts true x `overpredict` x exp(`model_noise` z) (clipped to
 * 1), independently for each. The highest competing bid is lognormal with median
 * `market_median` and log-sd `market_sigma`; the bidder wins when its bid exceeds it and pays it
 * (`auction=second`) or its bid (`auction=first`); the exchange reveals the market price to the
 * bidder when `reveal_price=true`. Clicks and conversions are drawn from the true rates. With a
 * `mode=roi` bidder every order is worth target_cpa x target_roi.
 *
 * Keys: impressions (200000), traffic (""), traffic_noise (0), ctr (0.05), cvr (0.1),
 * spread (0.5), overpredict (1), model_noise (0), market_median (0.5), market_sigma (0.5),
 * auction (second), reveal_price (true), seed (0).
 */
typedef struct growth_bidder_sim growth_bidder_sim;

/** Totals of one simulated day (growth_bidder_sim_run()). Grows only at the end. */
typedef struct growth_bidder_sim_result {
    uint32_t struct_size; /**< sizeof(growth_bidder_sim_result), set by ::GROWTH_BIDDER_SIM_RESULT_INIT */
    uint32_t reserved;    /**< 0 */
    uint64_t impressions; /**< impressions offered */
    uint64_t bids;        /**< impressions with a bid > 0 */
    uint64_t wins;        /**< auctions won */
    uint64_t clicks;      /**< clicks drawn on won impressions */
    uint64_t conversions; /**< conversions drawn on won impressions */
    double spend;         /**< total cost */
    double budget;        /**< the bidder's budget */
    double expected_conversions; /**< sum of true pCTR x pCVR over won impressions */
    double value;                /**< sum of true value (target x true pCTR x pCVR) won */
    double cpa;                  /**< spend / conversions (NaN without conversions) */
    double expected_cpa;         /**< spend / expected_conversions */
    double max_plan_error;       /**< max over hour ends h of |spend(h) - plan(h)| / plan(h) */
} growth_bidder_sim_result;

/** Initialiser of ::growth_bidder_sim_result (struct_size set, the rest zero). */
#define GROWTH_BIDDER_SIM_RESULT_INIT GROWTH_STRUCT_INIT(growth_bidder_sim_result)

/**
 * @brief Creates a simulator (keys above).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming a bad key; ::GROWTH_ENOMEM.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_bidder_sim_create(growth_bidder_sim **out, const char *config);

/** @brief Frees a simulator; NULL is allowed. @since 1.0 (unstable) */
GROWTH_API void growth_bidder_sim_free(growth_bidder_sim *s);

/**
 * @brief A training log of the simulated model: raw predicted pCTR and pCVR, and drawn clicks
 *        and conversions (a conversion needs a click), for fitting calibrators.
 * @param[out] raw_ctr, raw_cvr, click, conv n entries each.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays).
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_bidder_sim_sample(growth_bidder_sim *s, size_t n, float *raw_ctr, float *raw_cvr,
                                        float *click, float *conv);

/**
 * @brief Runs one day against a bidder (it reports spend, ticks every impression and, in
 *        first-price auctions, gives win/loss feedback), optionally calibrating the model's
 *        raw predictions first. The bidder's day is not reset: call growth_bidder_new_day()
 *        for the next day.
 * @param ctr_cal, cvr_cal calibrators of the raw pCTR / pCVR, or NULL (use raw predictions).
 * @param[in,out] out totals, or NULL; struct_size set by the caller
 *             (::GROWTH_BIDDER_SIM_RESULT_INIT), the fields that fit in it are filled.
 * @param[out] out_spend_curve, out_plan_curve if not NULL, cumulative spend and plan at the end
 *             of each hour (24 equal parts of the day), `cap` entries each.
 * @param[out] out_n may be NULL; on ::GROWTH_OK the entries written to each curve (24, or 0
 *             when both curves are NULL), on ::GROWTH_EBUFS the capacity needed (24; nothing is
 *             written and nothing is run).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handles, `out->struct_size` below the 1.0 size);
 *         ::GROWTH_EBUFS (a curve with `cap` < 24); the status of a failing calibrator (e.g.
 *         ::GROWTH_ESTATE for an unfitted one). All are found before the day runs: a failed
 *         call changes neither the bidder, the simulator nor the outputs.
 * @since 1.0 (unstable)
 */
GROWTH_API int growth_bidder_sim_run(growth_bidder_sim *s, growth_bidder *b, const growth_calibrator *ctr_cal,
                                     const growth_calibrator *cvr_cal, growth_bidder_sim_result *out,
                                     double *out_spend_curve, double *out_plan_curve, size_t cap,
                                     size_t *out_n);

/** @} */

#ifdef __cplusplus
}
#endif

/** @cond */
#endif /* GROWTH_SYS_BIDDING_H */
/** @endcond */
