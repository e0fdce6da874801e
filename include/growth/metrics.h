/**
 * @file metrics.h
 * @brief The metrics growth teams judge models by: AUC, GAUC, logloss, normalised entropy,
 *        calibration ratio (PCOC), ECE / MCE, Field-ECE / Field-RCE, reliability tables.
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
 * if (growth_metrics_auc(scores, labels, NULL, n, &auc) == GROWTH_OK) printf("AUC %.4f\n", auc);
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
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input (see above) and when only one class is
 *         present (AUC undefined); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_auc(const float *scores, const float *labels, const float *weights, size_t n,
                                  double *out_auc);

/**
 * @brief Group AUC: the AUC within each group (e.g. user), averaged with weights = the
 *        group's number (or total weight) of examples. Groups with only one class are skipped.
 * @param groups group id per example (any order; need not be sorted).
 * @param[out] out_groups_used number of groups that entered the average (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input (NULL `groups` included) and when no
 *         group has both classes; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_gauc(const float *scores, const float *labels, const float *weights,
                                   const int64_t *groups, size_t n, double *out_gauc,
                                   size_t *out_groups_used);

/**
 * @brief Mean (weighted) binary log-loss; probabilities are clipped to [1e-15, 1 - 1e-15];
 *        probabilities outside [0, 1] are ::GROWTH_EINVAL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input.
 * @since 1.0
 */
GROWTH_API int growth_metrics_logloss(const float *probs, const float *labels, const float *weights, size_t n,
                                      double *out_logloss);

/**
 * @brief Normalised entropy (He et al., 2014): log-loss divided by the entropy of the
 *        (weighted) base rate. Below 1 means better than predicting the base rate.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input and when the base rate is 0 or 1.
 * @since 1.0
 */
GROWTH_API int growth_metrics_normalized_entropy(const float *probs, const float *labels,
                                                 const float *weights, size_t n, double *out_ne);

/**
 * @brief Calibration ratio sum(w p) / sum(w y) (PCOC): 1 is calibrated, > 1 over-predicts.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input and when there is no positive label.
 * @since 1.0
 */
GROWTH_API int growth_metrics_pcoc(const float *probs, const float *labels, const float *weights, size_t n,
                                   double *out_pcoc);

/**
 * @brief Expected calibration error: sum over bins of (bin weight / total weight) x
 *        abs(mean probability - positive rate) = sum_b abs(sum w p - sum w y) / sum w.
 *
 * Binning (`config`, NULL or "" for the defaults):
 * | key     | default | meaning |
 * |---------|---------|---------|
 * | bins    | 10      | number of bins, 1..2^20 |
 * | binning | uniform | `uniform`: bins of equal width over [0, 1], bin = min(bins - 1, floor(p bins)); `quantile`: equal mass, a run of tied probabilities starts bin floor(weight before it x bins / total weight), ties never split, so fewer bins may result |
 *
 * (The histogram calibrator's own `binning` key defaults to `quantile`.)
 * @param config "bins=10 binning=uniform" style keys (table above).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input or a bad or unknown config key (named in
 *         the message); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_ece(const float *probs, const float *labels, const float *weights, size_t n,
                                  const char *config, double *out_ece);

/**
 * @brief Maximum calibration error: the largest abs(mean probability - positive rate) over
 *        the bins with positive weight (`config` as for growth_metrics_ece()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input or a bad config; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_mce(const float *probs, const float *labels, const float *weights, size_t n,
                                  const char *config, double *out_mce);

/**
 * @brief Reliability-diagram table: per bin the (weighted) mean probability, the positive rate
 *        and the total weight (the count when unweighted).
 *
 * With `binning=uniform` every one of the `bins` bins is reported in order, empty ones with
 * weight 0 and NaN mean and rate; with `binning=quantile` the non-empty bins are (at most
 * `bins`), so a capacity of `bins` always suffices.
 * @param config "bins=10 binning=uniform" style keys (as for growth_metrics_ece()).
 * @param[out] out_mean_prob, out_pos_rate, out_weight `cap` doubles each (may be NULL when
 *             `cap` is 0).
 * @param[out] out_n required: on ::GROWTH_OK the number of rows written; on ::GROWTH_EBUFS the
 *             exact number of rows of the table (the capacity that suffices; the arrays are
 *             then not written); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input, a bad config, a NULL `out_n` or NULL
 *         arrays with `cap` > 0; ::GROWTH_EBUFS when `cap` is below the number of rows;
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_reliability(const float *probs, const float *labels, const float *weights,
                                          size_t n, const char *config, double *out_mean_prob,
                                          double *out_pos_rate, double *out_weight, size_t cap,
                                          size_t *out_n);

/**
 * @brief Field-level expected calibration error (Pan et al., "Field-aware Calibration", WWW
 *        2020): (1 / sum w) x sum over field values z of abs(sum_{i in z} w (y - p)).
 * @param fields field value per example (any order).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input (NULL `fields` included); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_field_ece(const float *probs, const float *labels, const float *weights,
                                        const int64_t *fields, size_t n, double *out_ece);

/**
 * @brief Field-level relative calibration error (Pan et al., WWW 2020):
 *        sum over field values z of W_z abs(sum_{i in z} w (y - p)) / sum_{i in z} w y,
 *        divided by sum_z W_z (W_z = the value's total weight).
 *
 * Values without positive labels (relative error undefined) are left out of both sums.
 * @param[out] out_fields_used number of field values that entered (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input and when no field value has a positive
 *         label; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_field_rce(const float *probs, const float *labels, const float *weights,
                                        const int64_t *fields, size_t n, double *out_rce,
                                        size_t *out_fields_used);

/* ---- top-N metrics of a ranked audience ----------------------------------------------------------------------- */

/**
 * @brief PredictTA TopN precision: the share of later-observed buyers (labels 1) among the
 *        `topn` best-scored users. Ties in score are ranked by position (earlier first).
 * @param scores, labels n finite scores and labels 0 or 1.
 * @param topn  1 .. n (::GROWTH_EINVAL when larger).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_topn_precision(const float *scores, const float *labels, size_t n, size_t topn,
                                             double *out_precision);

/**
 * @brief NewTA TopN recall: the share of newly added target users (labels 1 and not `known`)
 *        found among the `topn` best-scored users that are not known.
 * @param known n flags (non-zero: already in the target audience, e.g. the seed; skipped from
 *              the ranking and the new users), or NULL.
 * @param topn  1 .. number of users not known.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input and when there is no new target user;
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_topn_recall(const float *scores, const float *labels, const uint8_t *known,
                                          size_t n, size_t topn, double *out_recall);

/**
 * @brief Lift at N: top-N precision divided by the base rate (mean label).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input and when no label is 1; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_topn_lift(const float *scores, const float *labels, size_t n, size_t topn,
                                        double *out_lift);

/* ---- uplift metrics (scikit-uplift's definitions) --------------------------------------------------------- */

/**
 * @name Uplift metrics
 * Judge an uplift score (the predicted change in conversion a treatment causes) on a randomised
 * holdout, with the definitions of scikit-uplift 0.5 (`sklift.metrics`: `uplift_at_k`,
 * `uplift_curve`, `perfect_uplift_curve`, `uplift_auc_score`, `qini_curve`,
 * `perfect_qini_curve`, `qini_auc_score`; see docs/uplift.md):
 *
 * - rows are ranked by score descending; among equal scores the later row comes first (sklift's
 *   `np.argsort(uplift, kind="mergesort")[::-1]`);
 * - a curve has the point (0, 0) and then one point per run of equal scores, at x = rows ranked
 *   so far (N); with N_T, N_C treated and control rows and Y_T, Y_C their conversions among them:
 *   uplift curve (Y_T / N_T - Y_C / N_C) x N (a term is 0 when its group is empty), Qini curve
 *   Y_T - Y_C x N_T / N_C (0 for the second term when N_C = 0);
 * - the perfect curves rank by sklift's perfect scores; AUUC and the Qini coefficient are
 *   (area(actual) - area(random)) / (area(perfect) - area(random)), areas by the trapezoidal
 *   rule, "random" the straight line from (0, 0) to the perfect curve's last point.
 *
 * Inputs: `uplift` n finite scores, `labels` n values 0 or 1, `treatment` n ids: 0 is the
 * control, 1, 2, ... the treatments. Several treatments: the key `arm=t` (t >= 1) compares the
 * control with arm t only (rows of other arms are left out); `arm=0` (the default) pools every
 * treatment as "treated". A comparison without a control row or without a treated row is
 * ::GROWTH_EINVAL ("one arm is missing"). Functions are pure and thread-safe.
 */
/** @{ */

/**
 * @brief Uplift at k: conversion rate of the treated minus that of the control among the top
 *        rows (sklift's `uplift_at_k`).
 *
 * | key      | default | meaning |
 * |----------|---------|---------|
 * | arm      | 0       | treatment compared with the control (0: all treatments pooled) |
 * | k        | 0.3     | fraction in (0, 1): the top floor(k x rows) (`overall`) or the top floor(k x group size) of each group (`by_group`) |
 * | count    | 0       | if > 0, an absolute number of rows instead of `k` (below the rows compared) |
 * | strategy | overall | `overall`: the top rows of the ranking; `by_group`: the top rows of the treated and of the control ranked separately |
 * @param config "key=value ..." (table above), NULL or "" for the defaults.
 * @param[out] out_uplift the difference of the two conversion rates.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input (see above), a bad key, or top rows without
 *         a treated or a control row (the rate is undefined); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_uplift_at_k(const float *uplift, const float *labels, const int32_t *treatment,
                                          size_t n, const char *config, double *out_uplift);

/**
 * @brief Points of the uplift curve (sklift's `uplift_curve`), or with `perfect=true` of the
 *        perfect one (`perfect_uplift_curve`). Keys: `arm` (as above), `perfect` (false).
 * @param[out] out_x, out_y `cap` doubles each: x = rows ranked, y = the curve's value.
 * @param[out] out_n may be NULL; on ::GROWTH_OK the points written, on ::GROWTH_EBUFS the
 *                  capacity needed (at most the rows compared + 1).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input or a bad key; ::GROWTH_EBUFS when `cap`
 *         is short (nothing written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_uplift_curve(const float *uplift, const float *labels, const int32_t *treatment,
                                           size_t n, const char *config, double *out_x, double *out_y,
                                           size_t cap, size_t *out_n);

/**
 * @brief Points of the Qini curve (sklift's `qini_curve`), or with `perfect=true` of the
 *        perfect one (`perfect_qini_curve`). Keys: `arm`, `perfect` (false), `negative_effect`
 *        (true: the perfect ranking puts treated converters first and control converters
 *        last; false: sklift's three-point curve (0, 0), (r, r), (n, r) with r the random
 *        ranking's final value).
 * @param[out] out_x, out_y, out_n as growth_metrics_uplift_curve().
 * @return as growth_metrics_uplift_curve().
 * @since 1.0
 */
GROWTH_API int growth_metrics_qini_curve(const float *uplift, const float *labels, const int32_t *treatment,
                                         size_t n, const char *config, double *out_x, double *out_y,
                                         size_t cap, size_t *out_n);

/**
 * @brief AUUC: normalised area under the uplift curve (sklift's `uplift_auc_score`): 1 for the
 *        perfect ranking, 0 for a random one. Key: `arm`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input, a bad key, or a perfect curve without
 *         area over the random line (the ratio is undefined); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_metrics_uplift_auc(const float *uplift, const float *labels, const int32_t *treatment,
                                         size_t n, const char *config, double *out_auuc);

/**
 * @brief Qini coefficient: normalised area under the Qini curve (sklift's `qini_auc_score`).
 *        Keys: `arm`, `negative_effect` (true, as for growth_metrics_qini_curve()).
 * @return as growth_metrics_uplift_auc().
 * @since 1.0
 */
GROWTH_API int growth_metrics_qini_auc(const float *uplift, const float *labels, const int32_t *treatment,
                                       size_t n, const char *config, double *out_qini);

/** @} */

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_METRICS_H */
