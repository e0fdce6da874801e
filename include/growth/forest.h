/**
 * @file forest.h
 * @brief Gradient-boosted trees: trained and loaded through libxgboost's C API, served by a
 *        native forest evaluator.
 *
 * @defgroup forest Gradient-boosted trees (xgboost) with a native evaluator
 * @{
 *
 * A ::growth_forest holds one xgboost model (gbtree booster) twice: as an xgboost booster (for
 * training, SHAP contributions, xgboost's JSON/UBJSON files and the reference predictor) and as
 * flattened trees (split feature, float threshold, missing-goes-left flag, leaf values in
 * 12-byte nodes) evaluated without calling xgboost. The native evaluator agrees with xgboost's
 * own prediction to float rounding: a row goes left when `value < threshold`, a missing value
 * (NaN in a dense row, an absent index in a sparse row) follows the default direction, and
 * every output starts at `base_score` mapped to the margin and adds the trees in model order.
 *
 * Objectives: binary:logistic, reg:logistic, binary:logitraw, binary:hinge, reg:squarederror,
 * reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror, count:poisson, reg:gamma,
 * reg:tweedie, survival:cox, multi:softprob, multi:softmax, rank:pairwise / ndcg / map. Others
 * (survival:aft, gblinear and dart boosters, categorical splits, vector leaves) are refused.
 * Outputs per row: `num_class` for multi:* objectives, else 1. Probabilities of multi:softmax
 * are the softmax (the class is their argmax), like multi:softprob.
 *
 * libgrowth configuration keys (`config` of growth_forest_train(); growth_forest_set_config()
 * for `threads`):
 * | key                   | default | meaning |
 * |-----------------------|---------|---------|
 * | threads               | 1       | threads of batch predictions (native) and of xgboost's training and predictor, 1..256 |
 * | num_rounds            | 100     | boosting rounds, 1..1000000 |
 * | early_stopping_rounds | 0       | stop when the last validation metric has not improved for this many rounds (0: off; needs a validation set); the model keeps the best rounds |
 * | maximize              | auto    | whether the metric is maximised: auto (auc, aucpr, map, ndcg, pre), true, false |
 * | max_memory            | 0       | bytes training's copies of the data may take (estimated as 12 bytes a stored value plus 72 a row: xgboost's pages, histogram index, gradients), and the model when it is loaded again; an integer, 0 = no cap beyond the machine's physical memory |
 *
 * xgboost parameters (`params`, e.g. "objective=binary:logistic max_depth=6 eta=0.1
 * eval_metric=auc") are passed to XGBoosterSetParam unchanged: libgrowth checks their syntax
 * (whitespace-separated key=value, values in single or double quotes if they contain spaces), the
 * objective and the booster; xgboost judges the values, and its failures are ::GROWTH_EDEP
 * with xgboost's message. `verbosity` is forced to 0: libgrowth never prints (note that
 * xgboost's global configuration is per thread; libgrowth sets verbosity=0 in the threads that
 * call into xgboost through it).
 *
 * Files: growth_forest_save() writes a libgrowth model file (kind "forest": the xgboost model as
 * UBJSON plus the flattened trees), or xgboost's own JSON / UBJSON when the path ends in
 * `.json` / `.ubj`; growth_forest_load() and growth_forest_deserialize() read all three,
 * detected by content, including models saved by Python's xgboost 1.7. The loader parses
 * xgboost files with its own bounded reader and validates every index before xgboost sees them.
 *
 * Thread-safety: a forest is immutable after construction. Predictions (native and reference),
 * contributions, importance, serialisation and saves are safe from any number of threads at
 * once; the native single-row predictions allocate nothing. growth_forest_set_config() must not
 * run concurrently with other calls on the same forest.
 *
 * @code
 * growth_forest_data d = GROWTH_FOREST_DATA_INIT;
 * d.nrows = n; d.ncols = 50; d.dense = X; d.labels = y;          // NaN in X = missing
 * growth_forest *f;
 * if (growth_forest_train(&f, "num_rounds=300 threads=2",
 *                         "objective=binary:logistic max_depth=6 eta=0.1", &d, NULL,
 *                         NULL, NULL) != GROWTH_OK)                 // no progress callback
 *     fprintf(stderr, "%s\n", growth_last_error());
 * float p;
 * growth_forest_predict(f, row, 50, 0, &p, 1);                      // pCVR of one row
 * growth_forest_save(f, "cvr.json");                                // readable by xgboost
 * growth_forest_free(f);
 * @endcode
 */
#ifndef GROWTH_FOREST_H
#define GROWTH_FOREST_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A gradient-boosted tree ensemble (opaque). */
typedef struct growth_forest growth_forest;

/** @name Prediction flags of the forest (with the common ::GROWTH_PREDICT_MARGIN) */
/** @{ */
#define GROWTH_FOREST_REFERENCE 0x100u /**< use xgboost's predictor instead of the native one */
/** @} */

/**
 * @brief Sizes and early-stopping result of a forest (growth_forest_stats_get()).
 *
 * Initialise with ::GROWTH_FOREST_STATS_INIT; members are only ever appended.
 */
typedef struct growth_forest_stats {
    uint32_t struct_size;   /**< sizeof(growth_forest_stats) (::GROWTH_FOREST_STATS_INIT sets it) */
    uint32_t reserved;      /**< 0 */
    uint64_t features;      /**< features per row */
    uint64_t outputs;       /**< outputs per row (num_class for multi:*, else 1) */
    uint64_t trees;         /**< number of trees */
    int64_t best_iteration; /**< 0-based boosting round kept last by early stopping, -1 without */
    double best_score;      /**< its validation metric, NaN without early stopping */
} growth_forest_stats;

/** Initialiser of ::growth_forest_stats (struct_size set, the rest zero). */
#define GROWTH_FOREST_STATS_INIT GROWTH_STRUCT_INIT(growth_forest_stats)

/**
 * @brief A training or validation set: dense rows or CSR, labels, optional weights.
 *
 * Initialise with ::GROWTH_FOREST_DATA_INIT; members are only ever appended. The library
 * accepts any `struct_size` from the 1.0 size up (members it does not know must be zero).
 */
typedef struct growth_forest_data {
    uint32_t struct_size;    /**< sizeof(growth_forest_data) */
    uint32_t reserved;       /**< 0 */
    size_t nrows;            /**< rows, >= 1 */
    size_t ncols;            /**< features, >= 1 */
    const float *dense;      /**< nrows x ncols row-major, NaN = missing; NULL for CSR */
    const uint64_t *indptr;  /**< CSR (when dense is NULL): nrows + 1 offsets into indices/values */
    const uint32_t *indices; /**< CSR column indices (< ncols); absent columns are missing */
    const float *values;     /**< CSR values, or NULL for all ones */
    const float *labels;     /**< nrows finite labels (class index for multi:*) */
    const float *weights;    /**< nrows finite weights >= 0, or NULL */
} growth_forest_data;

/** Initialiser of ::growth_forest_data (struct_size set, the rest zero). */
#define GROWTH_FOREST_DATA_INIT GROWTH_STRUCT_INIT(growth_forest_data)

/**
 * @brief Trains a model with xgboost and builds its native evaluator.
 * @param[out] out    the new forest (unchanged on failure).
 * @param config      libgrowth options (table above), NULL or "" for defaults.
 * @param params      xgboost parameters passed through, NULL or "" for xgboost's defaults.
 * @param train       training set.
 * @param valid       validation set (same ncols) or NULL; its last metric drives early stopping.
 * @param progress    NULL, or called after every boosting round from the calling thread, with
 *                    stage "round" and done = rounds trained / num_rounds; a non-zero return
 *                    stops the training.
 * @param progress_user passed to `progress`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad options, data (NaN labels, negative weights,
 *         wrong sizes, a `struct_size` below the 1.0 size or unknown members set) or an
 *         unsupported objective; ::GROWTH_EDEP when xgboost fails; ::GROWTH_ECANCELED when
 *         `progress` stopped the training (no forest is created); ::GROWTH_ENOMEM, also before
 *         anything is copied when the data's copies would exceed physical memory or
 *         `max_memory` (the message names the bytes).
 * @since 1.0
 */
GROWTH_API int growth_forest_train(growth_forest **out, const char *config, const char *params,
                                   const growth_forest_data *train, const growth_forest_data *valid,
                                   growth_progress_fn progress, void *progress_user);

/** @brief Frees a forest; NULL is allowed. @since 1.0 */
GROWTH_API void growth_forest_free(growth_forest *f);

/**
 * @brief Changes serving options (only `threads`); not concurrently with other calls.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `f`, a bad value or a training-only or
 *         unknown key (the forest is then unchanged); ::GROWTH_EDEP when xgboost fails.
 * @since 1.0
 */
GROWTH_API int growth_forest_set_config(growth_forest *f, const char *config);

/**
 * @brief Effective libgrowth configuration ("threads=1 num_rounds=100 ...").
 * @param[out] buf   `cap` bytes, NUL-terminated (may be NULL when `cap` is 0).
 * @param[out] out_n if not NULL: on ::GROWTH_OK the bytes written including the NUL; on
 *                   ::GROWTH_EBUFS the capacity needed (buf is then not written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `f`; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_forest_config(const growth_forest *f, char *buf, size_t cap, size_t *out_n);

/**
 * @brief The objective's name ("binary:logistic").
 * @param[out] buf, out_n as for growth_forest_config().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `f`; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_forest_objective(const growth_forest *f, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Sizes of the forest (features, outputs, trees) and its early-stopping result.
 * @code
 * growth_forest_stats s = GROWTH_FOREST_STATS_INIT;
 * growth_forest_stats_get(f, &s);   // s.features floats per row, s.outputs per prediction
 * @endcode
 * @param[out] out filled up to its `struct_size` (at least the 1.0 size of the struct).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `f` or `out`, or a `struct_size` below the
 *         1.0 size.
 * @since 1.0
 */
GROWTH_API int growth_forest_stats_get(const growth_forest *f, growth_forest_stats *out);

/**
 * @brief Predicts one dense row (allocation-free on the native path).
 * @param x      `nfeat` values, NaN = missing.
 * @param nfeat  must equal the forest's `features` (growth_forest_stats_get()).
 * @param flags  0 (transformed outputs: probabilities ...), ::GROWTH_PREDICT_MARGIN (raw
 *               margins, before the objective's transform) and/or ::GROWTH_FOREST_REFERENCE.
 * @param[out] out `outputs` floats; `cap` is its length.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a wrong width or unknown flags;
 *         ::GROWTH_EBUFS when `cap` < outputs; ::GROWTH_EDEP when xgboost's predictor fails
 *         (reference path).
 * @since 1.0
 */
GROWTH_API int growth_forest_predict(const growth_forest *f, const float *x, size_t nfeat, unsigned flags,
                                     float *out, size_t cap);

/**
 * @brief Predicts one sparse row: features idx[k] (< features) with values val[k] (NULL:
 *        all ones); absent features and NaN values are missing. Models with more than 4096
 *        features need strictly ascending indices.
 * @param flags as for growth_forest_predict().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, an index out of range (or not
 *         ascending where required) or unknown flags; ::GROWTH_EBUFS when `cap` < outputs;
 *         ::GROWTH_ENOMEM; ::GROWTH_EDEP (reference path).
 * @since 1.0
 */
GROWTH_API int growth_forest_predict_sparse(const growth_forest *f, const uint32_t *idx, const float *val,
                                            size_t nnz, unsigned flags, float *out, size_t cap);

/**
 * @brief Predicts a batch of dense rows (row-major nrows x ncols), with `threads` threads.
 * @param flags as for growth_forest_predict().
 * @param[out] out nrows x outputs floats, row-major.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a wrong width, sizes that overflow
 *         or unknown flags; ::GROWTH_EBUFS when `cap` < nrows x outputs; ::GROWTH_ENOMEM;
 *         ::GROWTH_EDEP (reference path).
 * @since 1.0
 */
GROWTH_API int growth_forest_predict_dense(const growth_forest *f, const float *X, size_t nrows, size_t ncols,
                                           unsigned flags, float *out, size_t cap);

/**
 * @brief Predicts a batch of CSR rows: row r is idx/val[indptr[r] .. indptr[r+1]).
 * @param val may be NULL (all ones).
 * @param flags as for growth_forest_predict().
 * @param[out] out nrows x outputs floats, row-major.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a decreasing `indptr`, an index out
 *         of range or unknown flags; ::GROWTH_EBUFS when `cap` < nrows x outputs;
 *         ::GROWTH_ENOMEM; ::GROWTH_EDEP (reference path).
 * @since 1.0
 */
GROWTH_API int growth_forest_predict_csr(const growth_forest *f, const uint64_t *indptr, const uint32_t *idx,
                                         const float *val, size_t nrows, unsigned flags, float *out,
                                         size_t cap);

/**
 * @brief Feature importance from the trees (as xgboost's get_score; 0 for unused features).
 * @param config "type=weight|gain|cover|total_gain|total_cover" (NULL or "": weight):
 *               `weight` the number of splits on the feature, `gain` / `cover` the average
 *               loss reduction / sum of hessians of its splits, `total_gain` / `total_cover`
 *               their totals.
 * @param[out] out `features` floats (`cap` >= features).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a bad or unknown key (named in
 *         the message); ::GROWTH_EBUFS when `cap` < features; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_forest_importance(const growth_forest *f, const char *config, float *out, size_t cap);

/**
 * @brief Per-row feature contributions (SHAP values, through xgboost's C API): for each row and
 *        output, `features` contributions then the bias; they sum to the margin.
 * @param[out] out nrows x outputs x (features + 1) floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a wrong width or sizes that
 *         overflow; ::GROWTH_EBUFS when `cap` is too small; ::GROWTH_EDEP when xgboost fails.
 * @since 1.0
 */
GROWTH_API int growth_forest_contributions(const growth_forest *f, const float *X, size_t nrows, size_t ncols,
                                           float *out, size_t cap);

/**
 * @brief Saves atomically: xgboost JSON if the path ends in ".json", xgboost UBJSON if ".ubj",
 *        else a libgrowth model file.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         written; ::GROWTH_EDEP when xgboost cannot export the model; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_forest_save(const growth_forest *f, const char *path);

/**
 * @brief Loads a libgrowth forest file or an xgboost 1.7 JSON / UBJSON model (by content).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EFORMAT for a corrupted,
 *         truncated, other-kind or non-xgboost file, or a model that cannot be served
 *         (unsupported objective or booster), also a tree whose node arrays are shorter than its
 *         declared num_nodes (checked before num_nodes sizes anything); ::GROWTH_EIO when the
 *         file cannot be read; ::GROWTH_ENOMEM, also when the model would exceed physical
 *         memory or the stored `max_memory`.
 * @since 1.0
 */
GROWTH_API int growth_forest_load(growth_forest **out, const char *path);

/**
 * @brief Serialises into a libgrowth envelope in a malloc'ed buffer (release with
 *        growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_forest_serialize(const growth_forest *f, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds a forest from growth_forest_serialize() bytes or xgboost JSON / UBJSON bytes.
 * @return as growth_forest_load(), without ::GROWTH_EIO.
 * @since 1.0
 */
GROWTH_API int growth_forest_deserialize(growth_forest **out, const uint8_t *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_FOREST_H */
