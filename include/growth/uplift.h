/**
 * @file uplift.h
 * @brief Uplift (treatment-effect) models learned from a randomised holdout, and the budgeted
 *        allocation of coupons on their incremental values.
 *
 * @defgroup uplift Uplift models and uplift-driven allocation
 * @{
 *
 * An uplift model estimates, per user and treatment (coupon type or amount), the change in the
 * conversion probability the treatment causes: tau_t(x) = P(y = 1 | x, t) - P(y = 1 | x, control).
 * It is trained on logged campaign data: features, the arm each user was given (0 = control,
 * 1 .. `treatments` = the treatments) and the outcome (0 or 1). The base learners are the
 * library's own: the forest (growth_forest_train(), xgboost) or FTRL (growth_ftrl_create(),
 * trained for `epochs` passes over the rows in order; dense column j is hashed-free slot j with
 * value x_j, zeros and NaN left out).
 *
 * Methods (`method`), with T the number of treatments, pairs = the rows of the control and of
 * arm t:
 * | method              | models | uplift of arm t |
 * |---------------------|--------|-----------------|
 * | t_learner           | T + 1 classifiers, one per arm on its own rows | mu_t(x) - mu_0(x) |
 * | s_learner           | 1 classifier on x plus the one-hot arm (FTRL: plus arm x feature interactions) | mu(x, t) - mu(x, 0) |
 * | x_learner           | the T-learner's T + 1, then per arm two regressions of the imputed effects: tau1_t on arm t's rows (y - mu_0(x)), tau0_t on the control rows (mu_t(x) - y) (Kuenzel et al., PNAS 2019) | g_t tau0_t(x) + (1 - g_t) tau1_t(x), g_t = the mean propensity of arm t within the pair |
 * | class_transform     | T classifiers of z = 1 when (treated and y = 1) or (control and y = 0), on the pairs, weighted by 1 / (2 e) (treated) and 1 / (2 (1 - e)) (control) so both arms weigh one half (Jaskowski and Jaroszewicz, 2012) | 2 P(z = 1 | x) - 1 |
 * | transformed_outcome | T regressions of y* = y (W - e) / (e (1 - e)) on the pairs (Athey and Imbens, 2015) | the regression's prediction |
 *
 * Here W = 1 for arm t and 0 for the control, and e = P(arm t | x, the row is in the pair) =
 * p_t / (p_t + p_0): from the per-row propensities when the training data carries them
 * (growth_uplift_data::propensity: non-uniform assignment, inverse-propensity weighting), else
 * the share of arm t's (weighted) rows in the pair. `x_learner` and `transformed_outcome` need
 * regressions: `base=forest` only. Predictions with ::GROWTH_UPLIFT_RESPONSE give the outcome
 * probability per arm (control first): t_learner, s_learner and x_learner (its first-stage
 * models).
 *
 * Configuration (`config` of growth_uplift_train()):
 * | key         | default   | meaning |
 * |-------------|-----------|---------|
 * | method      | t_learner | t_learner, s_learner, x_learner, class_transform, transformed_outcome (table above) |
 * | base        | forest    | forest or ftrl |
 * | treatments  | 1         | number of treatments T, 1..64; treatment ids are 0..T |
 * | base_config | ""        | configuration string of every base model: the forest's (`num_rounds`, `threads`, ...) or FTRL's (`alpha`, `l1`, ...; `bits` defaults to what the features need) |
 * | epochs      | 5         | FTRL passes over the data, 1..1000 |
 *
 * `params` of growth_uplift_train() are the forest's xgboost parameters ("max_depth=4 eta=0.1");
 * the objective is set by the method (binary:logistic or reg:squarederror) and may not be given.
 *
 * Thread-safety: a model is immutable after training or loading; predictions, stats,
 * configuration, saves and serialisation are safe from any number of threads.
 *
 * @code
 * growth_uplift_data d = GROWTH_UPLIFT_DATA_INIT;
 * d.nrows = n; d.ncols = 8; d.dense = X; d.labels = y; d.treatment = arm;   // arm: 0, 1 or 2
 * growth_uplift *u;
 * if (growth_uplift_train(&u, "method=t_learner treatments=2 base_config='num_rounds=80'",
 *                         "max_depth=4 eta=0.1", &d, NULL, NULL) != GROWTH_OK)
 *     fprintf(stderr, "%s\n", growth_last_error());
 * float tau[2];                                  // uplift of coupon 1 and coupon 2 for one user
 * growth_uplift_predict(u, x, 8, 0, tau, 2);
 * @endcode
 */
#ifndef GROWTH_UPLIFT_H
#define GROWTH_UPLIFT_H

#include "growth/budget.h"
#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An uplift model (opaque). */
typedef struct growth_uplift growth_uplift;

/** @name Prediction flags of the uplift model */
/** @{ */
#define GROWTH_UPLIFT_RESPONSE                                                                               \
    0x100u /**< outcome probabilities per arm (control first) instead of the uplift */
/** @} */

/**
 * @brief Logged campaign data: dense features, outcome, the arm of each row and optional
 *        propensities and weights.
 *
 * Initialise with ::GROWTH_UPLIFT_DATA_INIT; members are only ever appended. The library
 * accepts any `struct_size` from the 1.0 size up (members it does not know must be zero).
 */
typedef struct growth_uplift_data {
    uint32_t struct_size;     /**< sizeof(growth_uplift_data) */
    uint32_t reserved;        /**< 0 */
    size_t nrows;             /**< rows, >= 2 */
    size_t ncols;             /**< features, >= 1 */
    const float *dense;       /**< nrows x ncols row-major; NaN = missing (forest) / absent (FTRL); no Inf */
    const float *labels;      /**< nrows outcomes, 0 or 1 */
    const int32_t *treatment; /**< nrows arm ids: 0 = control, 1 .. treatments */
    const float *
        propensity; /**< NULL (randomised with constant shares), or nrows x treatments: P(arm t | x) for t = 1 .. T, each in (0, 1), row sums below 1 (the control's share is the rest) */
    const float *weights; /**< nrows finite weights >= 0, or NULL */
} growth_uplift_data;

/** Initialiser of ::growth_uplift_data (struct_size set, the rest zero). */
#define GROWTH_UPLIFT_DATA_INIT GROWTH_STRUCT_INIT(growth_uplift_data)

/**
 * @brief Sizes of an uplift model (growth_uplift_stats_get()).
 *
 * Initialise with ::GROWTH_UPLIFT_STATS_INIT; members are only ever appended.
 */
typedef struct growth_uplift_stats {
    uint32_t struct_size;  /**< sizeof(growth_uplift_stats) (::GROWTH_UPLIFT_STATS_INIT sets it) */
    uint32_t reserved;     /**< 0 */
    uint64_t features;     /**< features per row */
    uint64_t treatments;   /**< T: predictions give T uplifts per row (T + 1 responses) */
    uint64_t models;       /**< base models held */
    uint64_t rows;         /**< training rows */
    uint64_t control_rows; /**< training rows of the control */
} growth_uplift_stats;

/** Initialiser of ::growth_uplift_stats (struct_size set, the rest zero). */
#define GROWTH_UPLIFT_STATS_INIT GROWTH_STRUCT_INIT(growth_uplift_stats)

/**
 * @brief Trains an uplift model (see the tables above).
 * @param[out] out  the new model (unchanged on failure).
 * @param config    "key=value ..." (table above), NULL or "" for the defaults.
 * @param params    xgboost parameters of the forest's models (no `objective`); NULL or "" for
 *                  xgboost's defaults; must be empty with `base=ftrl`.
 * @param train     the data.
 * @param progress  NULL, or called from the calling thread with stage "train" and done = the
 *                  fraction of base-model training finished; a non-zero return stops the call.
 * @param progress_user passed to `progress`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad options or data, naming the problem: a label not
 *         0 or 1, a treatment id outside 0..T, an arm without rows ("one arm is missing"), a
 *         propensity outside (0, 1) or row sums of 1 or more, Inf features, bad weights, a
 *         regression method with `base=ftrl`, an `objective` in `params`; ::GROWTH_EDEP when
 *         xgboost fails; ::GROWTH_ECANCELED when `progress` stopped the training;
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_uplift_train(growth_uplift **out, const char *config, const char *params,
                                   const growth_uplift_data *train, growth_progress_fn progress,
                                   void *progress_user);

/** @brief Frees an uplift model; NULL is allowed. @since 1.0 */
GROWTH_API void growth_uplift_free(growth_uplift *u);

/**
 * @brief Effective configuration ("method=t_learner base=forest treatments=1 ...").
 * @param[out] buf   `cap` bytes, NUL-terminated (may be NULL when `cap` is 0).
 * @param[out] out_n if not NULL: on ::GROWTH_OK the bytes written including the NUL; on
 *                   ::GROWTH_EBUFS the capacity needed (buf is then not written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `u`; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_uplift_config(const growth_uplift *u, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Sizes of the model.
 * @param[out] out filled up to its `struct_size` (at least the 1.0 size of the struct).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `u` or `out`, or a `struct_size` below the
 *         1.0 size.
 * @since 1.0
 */
GROWTH_API int growth_uplift_stats_get(const growth_uplift *u, growth_uplift_stats *out);

/**
 * @brief Uplift of every treatment for one dense row (or, with ::GROWTH_UPLIFT_RESPONSE, the
 *        outcome probability of every arm, control first).
 * @param x     `nfeat` values (NaN = missing).
 * @param nfeat must equal the model's `features`.
 * @param flags 0 or ::GROWTH_UPLIFT_RESPONSE.
 * @param[out] out T floats (T + 1 with ::GROWTH_UPLIFT_RESPONSE); `cap` is its length.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a wrong width, Inf values or unknown
 *         flags; ::GROWTH_ESTATE for ::GROWTH_UPLIFT_RESPONSE on a method without outcome
 *         models; ::GROWTH_EBUFS when `cap` is short; ::GROWTH_ENOMEM; ::GROWTH_EDEP.
 * @since 1.0
 */
GROWTH_API int growth_uplift_predict(const growth_uplift *u, const float *x, size_t nfeat, unsigned flags,
                                     float *out, size_t cap);

/**
 * @brief Uplift (or responses) of a batch of dense rows (row-major nrows x ncols).
 * @param flags as for growth_uplift_predict().
 * @param[out] out nrows x T floats (nrows x (T + 1) with ::GROWTH_UPLIFT_RESPONSE), row-major.
 * @return as growth_uplift_predict(); also ::GROWTH_EINVAL for sizes that overflow.
 * @since 1.0
 */
GROWTH_API int growth_uplift_predict_dense(const growth_uplift *u, const float *X, size_t nrows, size_t ncols,
                                           unsigned flags, float *out, size_t cap);

/**
 * @brief Saves the model (configuration, counts and every base model) atomically.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         written (a previous file at `path` is then intact); ::GROWTH_ENOMEM; ::GROWTH_EDEP.
 * @since 1.0
 */
GROWTH_API int growth_uplift_save(const growth_uplift *u, const char *path);

/**
 * @brief Loads a model saved by growth_uplift_save().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         read; ::GROWTH_EFORMAT for a file of another kind, a newer version, a corrupted file
 *         or base models that do not fit the stored configuration; ::GROWTH_ENOMEM;
 *         ::GROWTH_EDEP.
 * @since 1.0
 */
GROWTH_API int growth_uplift_load(growth_uplift **out, const char *path);

/**
 * @brief Serialises the model into a malloc'ed buffer (release with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOMEM; ::GROWTH_EDEP.
 * @since 1.0
 */
GROWTH_API int growth_uplift_serialize(const growth_uplift *u, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds a model from growth_uplift_serialize() bytes.
 * @return as growth_uplift_load(), without ::GROWTH_EIO.
 * @since 1.0
 */
GROWTH_API int growth_uplift_deserialize(growth_uplift **out, const uint8_t *buf, size_t len);

/**
 * @brief From scored users to the red-packet plan in one call: builds the multiple-choice
 *        knapsack of incremental values and expected costs and solves it with `solver`.
 *
 * User i's options are the entries indptr[i] .. indptr[i+1] (e.g. the coupon types); for entry
 * j the value is `value` x uplift[j] (expected incremental conversions, times the worth of one)
 * and the expected cost is costs[j] x p_redeem[j]: a coupon is paid only when redeemed, with
 * p_redeem the probability that the treated user converts (the model's
 * ::GROWTH_UPLIFT_RESPONSE output for that arm), or costs[j] when `p_redeem` is NULL. Options
 * with uplift <= `min_uplift` are never chosen (a sleeping dog costs conversions; a sure thing
 * costs money for nothing). Each user gets at most one option and the expected spend stays
 * within `budget`; the plan maximises the total incremental value (growth_mckp_solve(), whose
 * configuration, result (growth_mckp_result_get(): value = expected incremental value) and duals
 * then describe this solve).
 *
 * | key        | default | meaning |
 * |------------|---------|---------|
 * | value      | 1       | worth of one incremental conversion, > 0 |
 * | min_uplift | 0       | options with an uplift at or below it are dropped |
 * @param solver   a solver (growth_mckp_create()).
 * @param indptr   n_users + 1 non-decreasing offsets (indptr[0] may be > 0).
 * @param uplift   per entry, finite.
 * @param p_redeem per entry in [0, 1], or NULL (the cost is always paid).
 * @param costs    per entry, finite and >= 0: the coupon's cost when redeemed.
 * @param budget   finite, >= 0: the expected spend allowed.
 * @param config   "key=value ..." (table above), NULL or "" for the defaults.
 * @param[out] out_choice n_users entries: the chosen entry as an offset within the user's
 *                 options, or -1 for none.
 * @param choice_cap length of out_choice (>= n_users, else ::GROWTH_EBUFS).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for bad input (named in the message); ::GROWTH_EBUFS;
 *         ::GROWTH_ENOMEM; ::GROWTH_ECANCELED (the solver's progress callback or
 *         growth_mckp_cancel()). On failure `out_choice` is not written.
 * @since 1.0
 */
GROWTH_API int growth_uplift_allocate(growth_mckp *solver, const uint64_t *indptr, size_t n_users,
                                      const float *uplift, const float *p_redeem, const double *costs,
                                      double budget, const char *config, int32_t *out_choice,
                                      size_t choice_cap);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_UPLIFT_H */
