/**
 * @file delayed.h
 * @brief Delayed feedback: online training of a conversion head whose label arrives after the
 *        impression (purchase days after the click), with fake-negative weighting.
 *
 * @defgroup delayed Delayed feedback (late conversions)
 * @{
 *
 * A ::growth_delayed wraps one head of a growth_ftrl (ctr.h) or growth_fm (fm.h) model and
 * trains it from two event streams: impressions (an event id, a time and the feature row) and
 * conversions (the impression's event id and the conversion's time). The model is borrowed, not
 * owned: it must outlive the handle, and the handle trains only its head (the other heads get
 * ::GROWTH_LABEL_MISSING). The formulas and references are in docs/delayed-feedback.md.
 *
 * A conversion counts when it comes at most `window` after its impression (the attribution
 * window; the true label of an impression is "converted within the window"). Methods (`method`):
 *
 * - `fnw` (default): fake negative weighting (Ktena et al., "Addressing delayed feedback for
 *   continuous training with neural networks in CTR prediction", RecSys 2019). The impression
 *   trains at once as a negative with weight (1 + p)(1 - p); when its conversion arrives (within
 *   the window) the example trains again as a positive with weight 1 + p, where p is the model's
 *   own prediction for the head at that moment (no gradient flows through it). The stream the
 *   model sees has b(1|x) = p(x) / (1 + p(x)); the weights p(y|x) / b(y|x) make its expected
 *   gradient the one of the true labels, so in a steady stream the model is calibrated on the
 *   true conversion rate. Requires `elapsed=0`.
 * - `naive`: the impression waits `elapsed`, then trains once with weight 1 and the label it has
 *   then (1 if its conversion arrived before, else 0); later conversions are counted and
 *   dropped. `elapsed=0` trains everything as a negative; `elapsed=window` is the oracle that
 *   waits for the whole window (right labels, trained a window late).
 *
 * Time: any unit (seconds by default: `window=604800` is 7 days), finite, never decreasing
 * across calls on one handle. Every call first moves the handle's clock to its `time`: waiting
 * impressions with t0 + elapsed < time are trained, pending ones with t0 + window < time expire
 * (their memory is released). A conversion at exactly t0 + window still counts.
 *
 * Configuration keys (growth_delayed_create_ftrl(), growth_delayed_create_fm()):
 * | key        | default | meaning |
 * |------------|---------|---------|
 * | method     | fnw     | `fnw` or `naive` (above) |
 * | window     | 604800  | attribution window, in the unit of the times (> 0) |
 * | elapsed    | 0       | wait before an impression trains (`naive`; 0 <= elapsed <= window; `fnw` needs 0) |
 * | max_memory | 0       | bytes the pending impressions may take (rows, records, id map), an integer; 0 = no cap. When a new impression would exceed it, the oldest pending ones are evicted (trained first if still waiting) and counted |
 *
 * Memory: each pending impression keeps a copy of its row (nnz x 8 bytes, + nnz with fields)
 * and a record of 48 bytes plus its id map cell, until its window ends (`fnw`: the row is
 * released as soon as the conversion has trained; the record stays to recognise a duplicate).
 * growth_delayed_stats::bytes is the total.
 *
 * Thread-safety: one writer. Calls on one handle must not run concurrently (the handle takes
 * no lock); they train the model through its own training calls, so other threads may predict
 * with the model at any time, and may train it too (other heads or other data) through the
 * model's API. Predictions for the head are read from the model itself (growth_ftrl_predict).
 * Validation happens before any change: a call that fails on its input leaves the handle and
 * the model as they were. The model's own training calls may run out of memory (their scratch
 * space): the examples trained before stay trained and the handle stays consistent (see the
 * functions' ::GROWTH_ENOMEM).
 *
 * Limitation: the pending impressions are not saved with the model; after a restart, the
 * conversions of impressions from before it are counted as unknown (`conversions_unknown`).
 *
 * @code
 * growth_ftrl *m;
 * growth_ftrl_create(&m, "bits=22 heads=2 head_names=click|buy");
 * growth_delayed *d;
 * growth_delayed_create_ftrl(&d, m, 1, "method=fnw window=604800");
 * growth_delayed_impression(d, click_id, t_click, idx, NULL, val, nnz); // trains a weighted negative
 * growth_delayed_conversion(d, click_id, t_buy);                       // trains the weighted positive
 * growth_delayed_advance(d, t_now);                                    // expires old impressions
 * growth_delayed_free(d);
 * growth_ftrl_free(m);
 * @endcode
 */
#ifndef GROWTH_DELAYED_H
#define GROWTH_DELAYED_H

#include "growth/common.h"
#include "growth/ctr.h"
#include "growth/fm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A delayed-feedback trainer of one head of a model (opaque). */
typedef struct growth_delayed growth_delayed;

/**
 * @brief Counters of a delayed-feedback trainer (growth_delayed_stats_get()).
 *
 * Initialise with ::GROWTH_DELAYED_STATS_INIT; members are only ever appended.
 */
typedef struct growth_delayed_stats {
    uint32_t struct_size; /**< sizeof(growth_delayed_stats) (::GROWTH_DELAYED_STATS_INIT sets it) */
    uint32_t reserved;    /**< 0 */
    uint64_t impressions; /**< impressions accepted */
    uint64_t conversions; /**< conversions matched to a pending impression within its window */
    uint64_t
        conversions_late; /**< of those, how many came after the impression had trained as a negative (`fnw`: trained again as positives; `naive`: dropped) */
    uint64_t
        conversions_unknown; /**< conversions of ids not pending: never seen, expired or evicted (not an error) */
    uint64_t conversions_duplicate; /**< a second conversion of the same impression (ignored) */
    uint64_t trained_negative;      /**< training calls with label 0 */
    uint64_t trained_positive;      /**< training calls with label 1 */
    uint64_t expired;               /**< pending impressions released at the end of their window */
    uint64_t evicted;               /**< pending impressions released early to respect `max_memory` */
    uint64_t pending;               /**< impressions held now */
    uint64_t bytes;                 /**< bytes held now for them (rows, records, id map) */
    double time;                    /**< the clock: the latest time seen (NaN before the first call) */
} growth_delayed_stats;

/** Initialiser of ::growth_delayed_stats (struct_size set, the rest zero). */
#define GROWTH_DELAYED_STATS_INIT GROWTH_STRUCT_INIT(growth_delayed_stats)

/**
 * @brief Creates a trainer of head `head` of an FTRL model.
 * @param[out] out the new handle (unchanged on failure).
 * @param model    the model to train (borrowed: it must outlive the handle).
 * @param head     head index, below the model's number of heads.
 * @param config   "key=value ...", NULL or "" for the defaults (see the table above).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL argument, a head out of range, or a bad,
 *         unknown or repeated key (the message names it); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_delayed_create_ftrl(growth_delayed **out, growth_ftrl *model, size_t head,
                                          const char *config);

/**
 * @brief Creates a trainer of head `head` of an FM/FFM model.
 * @param[out] out the new handle (unchanged on failure).
 * @param model    the model to train (borrowed: it must outlive the handle).
 * @param head     head index, below the model's number of heads.
 * @param config   "key=value ...", NULL or "" for the defaults.
 * @return as growth_delayed_create_ftrl().
 * @since 1.0
 */
GROWTH_API int growth_delayed_create_fm(growth_delayed **out, growth_fm *model, size_t head,
                                        const char *config);

/** @brief Frees a handle (not its model); NULL is allowed. @since 1.0 */
GROWTH_API void growth_delayed_free(growth_delayed *d);

/**
 * @brief Effective configuration ("method=fnw window=604800 ...").
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EBUFS (then `*out_n` is
 *         the capacity needed).
 * @since 1.0
 */
GROWTH_API int growth_delayed_config(const growth_delayed *d, char *buf, size_t cap, size_t *out_n);

/**
 * @brief An impression: the example enters now (`fnw`: trained as a weighted negative at once;
 *        `naive`: after `elapsed`) and is kept until its window ends for its conversion.
 * @param event_id the impression's id, which its conversion will name; not pending already.
 * @param time     finite, not before the handle's clock.
 * @param idx      `nnz` slots below the model's 2^bits.
 * @param fld      `nnz` fields (FM models; required for `model=ffm`); NULL for FTRL models.
 * @param val      `nnz` finite values, or NULL for all ones.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL argument, a non-finite time or one before the
 *         clock, an id that is pending, a bad slot, field or value, or fields given to an FTRL
 *         model (nothing changes); ::GROWTH_ENOMEM when out of memory or when this row alone
 *         is larger than `max_memory` (nothing changes), or when a training call of the model
 *         runs out of memory (the clock has moved and impressions whose wait ended may have
 *         trained, but this impression is not added: the same call may be made again).
 * @since 1.0
 */
GROWTH_API int growth_delayed_impression(growth_delayed *d, uint64_t event_id, double time,
                                         const uint32_t *idx, const uint8_t *fld, const float *val,
                                         size_t nnz);

/**
 * @brief A conversion of impression `event_id` at `time`: trains the correction (`fnw`: the
 *        example again as a weighted positive; `naive`: a waiting impression will train as a
 *        positive). An id that is not pending (never seen, expired, evicted) is counted in
 *        `conversions_unknown`, a repeated one in `conversions_duplicate`; neither is an error.
 * @param time finite, not before the handle's clock.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle, a non-finite time or one before the
 *         clock (nothing changes); ::GROWTH_ENOMEM when a training call of the model runs out
 *         of memory (impressions whose wait ended may have trained; the conversion is not
 *         recorded: the same call may be made again).
 * @since 1.0
 */
GROWTH_API int growth_delayed_conversion(growth_delayed *d, uint64_t event_id, double time);

/**
 * @brief Moves the clock to `time`: trains the waiting impressions whose wait is over and
 *        releases those whose window has ended.
 * @param time finite, not before the handle's clock.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle, a non-finite time or one before the
 *         clock (nothing changes); ::GROWTH_ENOMEM when a training call of the model runs out
 *         of memory (the impressions before it trained, the rest train at the next call).
 * @since 1.0
 */
GROWTH_API int growth_delayed_advance(growth_delayed *d, double time);

/**
 * @brief Counters (::growth_delayed_stats).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a `struct_size` below the first
 *         release's.
 * @since 1.0
 */
GROWTH_API int growth_delayed_stats_get(const growth_delayed *d, growth_delayed_stats *out);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
