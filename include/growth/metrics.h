/**
 * @file metrics.h
 * @brief The metrics growth teams judge models by: AUC, GAUC, logloss, normalised entropy,
 *        calibration ratio.
 *
 * @defgroup metrics Metrics
 * @{
 *
 * All functions take caller arrays of length `n`: `scores` (probabilities for the log-loss
 * family, any real score for AUC), `labels` (0 or 1) and optional `weights` (NULL = all 1,
 * else finite and >= 0). NaN/Inf scores, labels other than 0/1 and n = 0 are ::GROWTH_EINVAL.
 * Functions are pure and thread-safe. Results agree with scikit-learn's `roc_auc_score` and
 * `log_loss` (which clips probabilities to [1e-15, 1 - 1e-15]).
 *
 * @code
 * double auc;
 * if (growth_auc(scores, labels, NULL, n, &auc) == GROWTH_OK) printf("AUC %.4f\n", auc);
 * @endcode
 */
#ifndef GROWTH_METRICS_H
#define GROWTH_METRICS_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Exact area under the ROC curve; tied scores count one half (Mann-Whitney).
 * @return ::GROWTH_EINVAL also when only one class is present (AUC undefined).
 * @since 1.0
 */
GROWTH_API int growth_auc(const float *scores, const float *labels, const float *weights,
                          size_t n, double *out_auc);

/**
 * @brief Group AUC: the AUC within each group (e.g. user), averaged with weights = the
 *        group's number (or total weight) of examples. Groups with only one class are skipped.
 * @param groups group id per example (any order; need not be sorted).
 * @param[out] out_groups_used number of groups that entered the average (may be NULL).
 * @return ::GROWTH_EINVAL when no group has both classes.
 * @since 1.0
 */
GROWTH_API int growth_gauc(const float *scores, const float *labels, const float *weights,
                           const int64_t *groups, size_t n, double *out_gauc,
                           size_t *out_groups_used);

/**
 * @brief Mean (weighted) binary log-loss; probabilities are clipped to [1e-15, 1 - 1e-15];
 *        probabilities outside [0, 1] are ::GROWTH_EINVAL.
 * @since 1.0
 */
GROWTH_API int growth_logloss(const float *probs, const float *labels, const float *weights,
                              size_t n, double *out_logloss);

/**
 * @brief Normalised entropy (He et al., 2014): log-loss divided by the entropy of the
 *        (weighted) base rate. Below 1 means better than predicting the base rate.
 * @return ::GROWTH_EINVAL when the base rate is 0 or 1.
 * @since 1.0
 */
GROWTH_API int growth_normalized_entropy(const float *probs, const float *labels,
                                         const float *weights, size_t n, double *out_ne);

/**
 * @brief Calibration ratio sum(w p) / sum(w y) (PCOC): 1 is calibrated, > 1 over-predicts.
 * @return ::GROWTH_EINVAL when there is no positive label.
 * @since 1.0
 */
GROWTH_API int growth_calibration_ratio(const float *probs, const float *labels,
                                        const float *weights, size_t n, double *out_ratio);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_METRICS_H */
