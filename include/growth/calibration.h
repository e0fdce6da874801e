/**
 * @file calibration.h
 * @brief Probability calibration: Platt scaling, temperature scaling, isotonic regression,
 *        histogram binning and field-aware piecewise-linear calibration (AdaCalib-style).
 *
 * @defgroup calibration Calibration of predicted probabilities
 * @{
 *
 * Bids are computed from probabilities (oCPX: bid = target CPA x pCTR x pCVR), so a score that
 * ranks well but is 30% too high burns budget. A calibrator maps raw scores to probabilities
 * that agree with observed rates. It is fitted once from (score, label[, weight][, field]) and
 * then applied read-only on the serving path.
 *
 * Methods (config key `method`):
 * - `platt`: p = sigmoid(a x + b) fitted by weighted log-loss with Platt's smoothed targets
 *   (positives (N+ + 1) / (N+ + 2), negatives 1 / (N- + 2), N = weighted counts), the same
 *   model as scikit-learn's sigmoid calibration (which writes it as 1 / (1 + exp(A x + B)),
 *   A = -a, B = -b).
 * - `temperature`: p = sigmoid(x / T) (b = 0, a = 1 / T) fitted by weighted log-loss on the
 *   plain labels.
 * - `isotonic`: weighted pool-adjacent-violators on the scores; tied scores are merged first
 *   (weighted mean label); predictions interpolate linearly between the fitted thresholds and
 *   are clipped outside the training range. Equals scikit-learn's
 *   `IsotonicRegression(out_of_bounds='clip')`, samples with zero weight dropped as there.
 * - `histogram`: `bins` bins of equal width over the training range or of equal weight
 *   (`binning=quantile`, tied scores never split); a score gets its bin's positive rate
 *   (an empty bin gets the overall rate). Bin k covers [edge_k, edge_k+1); scores below the
 *   first edge fall in the first bin, above the last in the last.
 * - `field`: field-aware piecewise-linear calibration. A global map is fitted first: up to
 *   `buckets` equal-weight buckets of the score (fewer when there are fewer than
 *   `min_bucket` samples per bucket), the positive rate of each bucket made monotone with
 *   weighted PAV, and a linear interpolation between the points (bucket mean score, rate).
 *   Then, for every value of the field with at least 2 x `min_bucket` samples, the same map
 *   is fitted on that value's samples alone with min(buckets, count / min_bucket) buckets,
 *   each bucket rate shrunk toward the global map: (sum w y + prior g(mean score)) /
 *   (sum w + prior). Rarer values keep the global map, scaled by their shrunk observed /
 *   expected ratio (sum w y + prior m) / (sum w g + prior m), m = their mean global
 *   prediction (result capped at 1). Values never seen in training use the global map.
 *
 * `x` is the score itself, except for `platt` and `temperature` with `input=probability`
 * (the default), where x = logit(score) with the score clipped to [1e-15, 1 - 1e-15]; use
 * `input=margin` when the scores already are logits or arbitrary real margins.
 *
 * Configuration keys (growth_calibrator_create()):
 * | key        | default     | meaning |
 * |------------|-------------|---------|
 * | method     | isotonic    | `platt`, `temperature`, `isotonic`, `histogram` or `field` |
 * | input      | probability | `probability` (scores in [0, 1]; Platt/temperature work on their logit) or `margin` |
 * | bins       | 10          | histogram bins, 1..65536 |
 * | binning    | quantile    | histogram bins of equal weight (`quantile`) or equal width (`uniform`) |
 * | buckets    | 20          | field method: most buckets per map, 1..65536 |
 * | min_bucket | 100         | field method: fewest samples per bucket, >= 1 |
 * | prior      | 30          | field method: pseudo-weight of the global map in a field's bucket rates and ratio, >= 0 |
 * | max_iter   | 100         | Newton iterations for Platt and temperature scaling |
 * | max_memory | 0           | bytes a fit's working memory may take (16 bytes a sample for platt, temperature and histogram, about 64 for isotonic and field), an integer; 0 = no cap beyond the machine's physical memory. A fit that would need more is ::GROWTH_ENOMEM naming the bytes, before allocating |
 *
 * Fitting input: scores finite (and within [0, 1] for Platt/temperature with
 * `input=probability`), labels within [0, 1] (soft labels allowed), weights finite and >= 0
 * (NULL = all 1), at least two samples of positive weight and both classes present (sum w y > 0
 * and sum w (1 - y) > 0). Field ids are any int64 values, required by `method=field` and
 * ignored by the other methods. Anything else is ::GROWTH_EINVAL naming the first bad entry.
 *
 * Applying: NaN scores are ::GROWTH_EINVAL; +-Inf clip like any score outside the training
 * range. A field id that was not seen in training (or `fields` = NULL) uses the global map.
 * Outputs are probabilities in [0, 1]; a double-precision batch path is provided for exact
 * comparisons (the float path rounds the same values to float).
 *
 * Thread-safety: the apply, config, summary, knots, save and serialize calls only read the
 * handle and are safe from any number of threads at once; they take no lock and allocate
 * nothing. growth_calibrator_fit() replaces the fitted state and needs exclusive access (no
 * other call on the same handle may run concurrently); on failure the previous fit stays.
 *
 * @code
 * growth_calibrator *cal;
 * growth_calibrator_create(&cal, "method=field buckets=20 min_bucket=200 prior=50");
 * growth_calibrator_fit(cal, scores, labels, NULL, channel_ids, n);   // offline
 * growth_calibrator_apply_batch(cal, raw, channel, m, calibrated, m); // serving, any thread
 * growth_calibrator_save(cal, "ctr.calibrator");
 * growth_calibrator_free(cal);
 * @endcode
 */
#ifndef GROWTH_CALIBRATION_H
#define GROWTH_CALIBRATION_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A probability calibrator (opaque). */
typedef struct growth_calibrator growth_calibrator;

/**
 * @brief Creates an unfitted calibrator from a configuration string (see the table above).
 * @param[out] out the new handle (free with growth_calibrator_free()).
 * @param config "key=value ..." or NULL / "" for the defaults.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming a bad or unknown key; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_create(growth_calibrator **out, const char *config);

/** @brief Frees a calibrator; NULL is allowed. @since 1.0 */
GROWTH_API void growth_calibrator_free(growth_calibrator *c);

/**
 * @brief Effective configuration ("method=isotonic input=probability ...").
 * @param[out] buf   receives the NUL-terminated string (`cap` bytes; may be NULL when `cap` is 0).
 * @param[out] out_n if not NULL: on ::GROWTH_OK the bytes written including the NUL; on
 *                   ::GROWTH_EBUFS the capacity needed (buf is then not written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `c`, or a NULL `buf` with `cap` > 0;
 *         ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_config(const growth_calibrator *c, char *buf, size_t cap, size_t *out_n);

/**
 * @brief What was fitted: "method=platt fitted=1 samples=... a=... b=..." (fitted=0 before
 *        fitting); parameters per method: a, b (platt, temperature), knots (isotonic,
 *        histogram, field), fields, own_maps, scaled (field).
 * @param[out] buf, out_n as for growth_calibrator_config().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `c`, or a NULL `buf` with `cap` > 0;
 *         ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_summary(const growth_calibrator *c, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Fits the calibrator, replacing any previous fit.
 * @param scores  n raw scores (see the input rules above).
 * @param labels  n labels in [0, 1].
 * @param weights n weights (finite, >= 0), or NULL for all 1.
 * @param fields  n field ids (required by `method=field`, else ignored; may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input; ::GROWTH_ENOMEM, also when the fit's
 *         working memory would exceed physical memory or `max_memory` (on failure the previous
 *         fit, if any, stays).
 * @since 1.0
 */
GROWTH_API int growth_calibrator_fit(growth_calibrator *c, const float *scores, const float *labels,
                                     const float *weights, const int64_t *fields, size_t n);

/**
 * @brief Calibrates one score.
 * @param field pointer to the score's field id, or NULL (global map).
 * @param[out] out the calibrated probability.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL `c` or `out`, or a NaN score; ::GROWTH_ESTATE
 *         before fitting.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_apply(const growth_calibrator *c, double score, const int64_t *field,
                                       double *out);

/**
 * @brief Calibrates a batch of scores (float). `out` may be the same array as `scores`.
 * @param fields n field ids, or NULL (global map for all).
 * @param[out] out n probabilities; `cap` is its length (::GROWTH_EBUFS when < n).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a NaN score (the contents of
 *         `out` are then unspecified); ::GROWTH_ESTATE before fitting; ::GROWTH_EBUFS when
 *         `cap` < n (nothing written).
 * @since 1.0
 */
GROWTH_API int growth_calibrator_apply_batch(const growth_calibrator *c, const float *scores,
                                             const int64_t *fields, size_t n, float *out, size_t cap);

/**
 * @brief Calibrates a batch of scores in double precision (exact to the fitted map).
 * @param fields n field ids, or NULL (global map for all).
 * @param[out] out n probabilities; `cap` is its length; may be the same array as `scores`.
 * @return as growth_calibrator_apply_batch().
 * @since 1.0
 */
GROWTH_API int growth_calibrator_apply_batch_f64(const growth_calibrator *c, const double *scores,
                                                 const int64_t *fields, size_t n, double *out, size_t cap);

/**
 * @brief Sigmoid parameters of a Platt or temperature fit: p = sigmoid(a x + b).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ESTATE when not fitted or
 *         fitted with another method.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_sigmoid(const growth_calibrator *c, double *out_a, double *out_b);

/**
 * @brief Knots (x ascending, y) of a piecewise map: the isotonic thresholds, the histogram's
 *        lower bin edges and rates, or a field's map (its own, or the global one scaled).
 * @param field NULL for the global map, else a field id (unknown ids give the global map).
 * @param[out] out_x, out_y `cap` doubles each (may be NULL when `cap` is 0).
 * @param[out] out_n required: on ::GROWTH_OK the number of knots written; on ::GROWTH_EBUFS the
 *                   exact number of knots (out_x and out_y are then not written); 0 on other
 *                   failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `c` or `out_n`, or NULL arrays with `cap` >
 *         0; ::GROWTH_EBUFS when `cap` is below the number of knots; ::GROWTH_ESTATE for an
 *         unfitted or sigmoid calibrator.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_knots(const growth_calibrator *c, const int64_t *field, double *out_x,
                                       double *out_y, size_t cap, size_t *out_n);

/**
 * @brief Saves the fitted calibrator atomically (model kind ::GROWTH_KIND_CALIBRATOR).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ESTATE when not fitted;
 *         ::GROWTH_EIO when the file cannot be written; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_save(const growth_calibrator *c, const char *path);

/**
 * @brief Loads a calibrator saved by growth_calibrator_save().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO; ::GROWTH_EFORMAT for
 *         a corrupted or truncated file or a file of another kind; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_load(growth_calibrator **out, const char *path);

/**
 * @brief Serialises the fitted calibrator into a malloc'ed buffer (release with
 *        growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ESTATE when not fitted;
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_serialize(const growth_calibrator *c, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds a calibrator from growth_calibrator_serialize() bytes.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EFORMAT for bytes that are
 *         not a valid calibrator; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_calibrator_deserialize(growth_calibrator **out, const uint8_t *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_CALIBRATION_H */
