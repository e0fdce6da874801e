/**
 * @file fm.h
 * @brief Factorization machines (FM) and field-aware factorization machines (FFM) on hashed
 *        sparse features, trained online, with several heads sharing the latent factors.
 *
 * @defgroup fm Factorization machines: FM and FFM
 * @{
 *
 * One model type, chosen by the `model` key:
 *
 * - `model=fm` (Rendle, ICDM 2010): every slot j has k latent factors v_j, and
 *   pairwise(x) = sum_{i<j} <v_i, v_j> x_i x_j, computed in O(nnz k).
 * - `model=ffm` (Juan et al., RecSys 2016, the formulation of LIBFFM): every slot j of field
 *   f_j has one k-vector per field, v_{j,f}, and
 *   pairwise(x) = sum_{i<j} <v_{i,f_j}, v_{j,f_i}> x_i x_j.
 *
 * The margin of head h is
 *
 *     margin_h(x) = b_h + sum_i w_{h,i} x_i + r(x) * sum_d u_{h,d} pairwise_d(x)
 *
 * where pairwise_d is the d-th factor's share of the pairwise sum (pairwise = sum_d pairwise_d),
 * r(x) = 1 / sum_i x_i^2 with `normalize=true` (LIBFFM's instance-wise normalisation; 1 for an
 * empty row or one whose values are all 0) and 1 otherwise, and p_h = sigmoid(margin_h) with the
 * margin clamped to [-35, 35] (as growth_ftrl; gradients use the clamped probability). Every head has its own bias b_h and
 * linear weights w_h (FTRL-Proximal, exactly as growth_ftrl: L1 gives exact zeros); the latent
 * factors are shared by all heads, which is what lets a sparse conversion head learn from the
 * click head's interactions. With one head u is fixed at 1 (a plain FM/FFM); with several heads
 * each head has a learned k-vector u_h (initialised to 1) that weighs the shared factors.
 *
 * Learning (one example at a time, in order). Let g_h = weight x (p_h - y_h) for each head h
 * with a label (0 for the others) and c_d = sum_h g_h u_{h,d} (= g with one head). An example
 * with weight 0 or no label changes no parameter (it is still counted in `examples`).
 * - Bias and linear part: FTRL-Proximal per head with gradient g_h (bias) and g_h x_i (slot
 *   i), `alpha beta l1 l2`, exactly as growth_ftrl (ctr.h): L1 applies to the bias too, and a
 *   slot repeated in a row gets one FTRL step per entry, each with the weight from before the
 *   row.
 * - Factors: AdaGrad as LIBFFM: per coordinate, G += q^2 and v -= eta q / sqrt(G), with G
 *   starting at 1. For `model=ffm` the pairs (i, j), i < j in row order, are visited in order and
 *   each pair updates its two vectors in place from their current values:
 *   q1_d = lambda v_{i,f_j,d} + c_d r x_i x_j v_{j,f_i,d}, q2_d = lambda v_{j,f_i,d} + c_d r x_i x_j v_{i,f_j,d}
 *   (both computed before either vector changes; r and c from the margins before the example;
 *   when both are the same vector, a slot repeated in one field, q1's step then q2's step apply).
 *   For `model=fm` every entry i is updated once, in row order, with
 *   q_d = lambda v_{i,d} + c_d r x_i (S_d - v_{i,d} x_i), S_d = sum_j v_{j,d} x_j, S and the
 *   v_{i,d} inside the bracket taken before the example (the lambda term uses the current value,
 *   which differs only for a slot repeated in the row).
 * - ESMM (growth_fm_esmm_update): g_ctr and g_cvr are the gradients of
 *   logloss(click, pCTR) + logloss(click x conversion, pCTR x pCVR) w.r.t. the two margins
 *   (the CTR head also receives the CTCVR term, as growth_ftrl_esmm_update), and every
 *   parameter then follows the rules above with these g.
 * - Head weights (heads > 1 only): after the factors, u_{h,d} for every labelled head follows
 *   AdaGrad (G from 1) with q = g_h r pairwise_d + lambda u_{h,d}, pairwise_d from before the
 *   example.
 * Initialisation is lazy: a new model's tables are all zero and cost no memory until used. The
 * first example that trains on a slot (before its margin is computed) gives every vector of that
 * slot its seeded factors, uniform in [0, init_scale / sqrt(k)) from a fixed function of
 * (`seed`, slot, field, factor): 24 bits of mix64(base + (d + 1) x 0x9e3779b97f4a7c15), with
 * base = mix64(mix64(seed ^ 0x666d2e696e69742e) ^ (slot << 8 | field)) and mix64 splitmix64's
 * finaliser, scaled in float32 (the same bits on every machine), and AdaGrad sums of 1. Until
 * then the tables hold 0 for the slot (growth_fm_factors() reads 0) and the `unseen` key says
 * what predictions use for it:
 * - `unseen=seeded` (the default): its seeded factors, exactly what it will start training
 *   from, so predictions are those of an eagerly initialised table (LIBFFM, PyTorch) without
 *   paying for one. Why this is the default: the bias and linear weights are learned on margins
 *   in which every slot seen for the first time brings its seeded factors (positive, E<v,w> =
 *   init_scale^2 / 4 per pair), so a prediction that drops them is biased low for rows with a
 *   feature training has not met. Measured on bench/fm_bench.py's log (1M rows): holdout
 *   logloss 0.51331 with `seeded` vs 0.51349 with `zero` (on the 3.8% of holdout rows with such a
 *   feature: 0.5410 vs 0.5456); rows without one are equal. Cost: a test of each entry's first
 *   factor (a cache line the kernels read anyway; the touched bitmap only when it is 0), about
 *   5% of prediction time with every slot touched (bench/fm_speed.c, FM_EXTRA=unseen=zero vs
 *   seeded, noisy shared machine: 2-8%); a row with an untouched slot also computes, in scalar
 *   code, the pairs involving it (a row of only new slots costs ~8x a normal one: a fresh
 *   model predicts the bench's rows at 0.41M rows/s, 3.3M with `zero`).
 * - `unseen=zero`: 0, so a feature training has never seen adds nothing to the pairwise term
 *   (what growth_fm_import_libffm() uses: LIBFFM ignores features beyond its model).
 * Progressive validation (growth_fm_predict_update) reports what growth_fm_predict() said just
 * before the example under either setting. Files store only touched slots.
 *
 * Configuration keys (growth_fm_create()):
 * | key        | default | meaning |
 * |------------|---------|---------|
 * | model      | ffm     | `fm` or `ffm` |
 * | k          | 4       | latent factors per vector, 1..64 |
 * | fields     | 0       | number of fields, 1..256 (required for `ffm`; for `fm` optional: when set, field ids are checked against it) |
 * | bits       | 20      | 2^bits slots, 1..32 |
 * | heads      | 1       | number of heads, 1..16 |
 * | head_names | ""      | optional names joined by '|' ("click|purchase") |
 * | eta        | 0.2     | AdaGrad learning rate of the factors and head weights (> 0; LIBFFM's `-r`) |
 * | lambda     | 2e-5    | L2 strength on the factors and head weights (>= 0; LIBFFM's `-l`) |
 * | init_scale | 1       | factors start uniform in [0, init_scale / sqrt(k)) (>= 0) |
 * | normalize  | true    | instance-wise normalisation of the pairwise term (LIBFFM's default; `--no-norm` is false) |
 * | linear     | true    | the FTRL linear part per head (false: bias and pairwise only, as LIBFFM) |
 * | bias       | true    | an FTRL intercept per head |
 * | alpha      | 0.05    | FTRL learning-rate scale of the linear part (> 0) |
 * | beta       | 1       | FTRL learning-rate smoothing (>= 0) |
 * | l1         | 1       | FTRL L1 strength of the linear part (>= 0) |
 * | l2         | 1       | FTRL L2 strength of the linear part (>= 0) |
 * | precision  | float   | `float`, or `compact`: factors and their AdaGrad sums as bfloat16 (stochastic rounding for the sums and updates), the linear part as growth_ftrl's compact mode; half the memory |
 * | seed       | 0       | seed of the initial factors and of stochastic rounding |
 * | unseen     | seeded  | what a slot training has not touched contributes to predictions: `seeded` (the factors it will start from) or `zero` (see above); with `table=exact` a feature without a record always adds 0 |
 * | max_memory | 0       | bytes the tables may take, an integer; 0 = no cap beyond the machine's physical memory. Checked at create and load time, before anything is allocated. With `table=exact`: the keyed table, sketch and feature slots stay under it (least recently updated features evicted) |
 * | table      | hashed  | `exact`: one record per admitted 64-bit feature key (no collisions; docs/exact-tables.md); `bits` then bounds the features live at once (2^bits) |
 * | admit      | 1       | table=exact: a key gets its record at its `admit`-th occurrence in a training row (1..255; count-min sketch) |
 * | admit_prob | 1       | table=exact: probability (0, 1] that an eligible occurrence admits the key (seeded by `seed`) |
 * | admit_sketch | 4194304 | table=exact: count-min sketch bytes, used when `admit` > 1 |
 * | expire     | 0       | table=exact: a feature not updated by the last `expire` examples trained on is removed |
 * | expire_seconds | 0   | table=exact: the same in wall-clock seconds |
 * | threads    | 1       | 1..64: growth_fm_update_csr() and growth_fm_fit() train a batch on this many threads at once (Hogwild, below); changeable with growth_fm_set_config(). `precision=compact` always trains on one thread |
 *
 * Memory: 2^bits x (fields for ffm, 1 for fm) x k' x 8 bytes of factors and AdaGrad sums
 * (4 when compact; k' is k rounded up for SIMD) plus, with `linear=true`, 2^bits x heads x 16
 * bytes of linear statistics (6 when compact); growth_fm_stats::bytes_per_slot says it exactly.
 * The tables are reserved at creation (and checked against `max_memory`), but their pages are
 * only used as training touches slots.
 *
 * Rows are sparse: `idx[i]` < 2^bits with value `val[i]` (finite; `val` may be NULL for all ones)
 * and field `fld[i]` < fields (a ::growth_row built with `fields=` gives them:
 * growth_row_fields()). `fld` may be NULL for `model=fm`; for `model=ffm` it is required.
 * Labels: one per head, 0 or 1, or ::GROWTH_LABEL_MISSING (ctr.h). Weights: finite, >= 0.
 *
 * Thread-safety: predictions (growth_fm_predict*, growth_fm_esmm_predict, growth_fm_weight,
 * growth_fm_factors, growth_fm_stats_get) take no lock, never allocate, and are safe from any
 * number of threads, also while one thread trains. Training calls (update, predict_update,
 * update_csr, esmm_update, fit) serialise on an internal mutex. A prediction racing an update
 * sees each parameter either before or after that update (Hogwild-style, as growth_ftrl).
 * Validation happens before any change: a failed call leaves the model as it was.
 *
 * Several cores (threads=N): with `threads` = N > 1 and float precision, growth_fm_update_csr()
 * (batches of at least 2 x 128 rows) and growth_fm_fit() (every epoch, in chunks of 16384 rows
 * between which the progress callback runs) train on min(N, rows / 128) threads started by the
 * call; thread t takes blocks t, t + N ... of 32 rows, each row predicted just before its update.
 * The threads update shared factors, AdaGrad sums and linear statistics without a lock
 * (Hogwild!, Niu et al. 2011): two threads updating one parameter at the same instant may lose
 * one update, so results are not bit-identical to threads=1 (the same progressive logloss within
 * noise: tests/c/test_fm_hogwild.c, bench/hogwild_bench.c). After its threads end, the call
 * re-derives the cached linear weights of the slots it trained and the bias weights from their
 * statistics (two threads' interleaved stores can leave a weight beside another step's
 * statistics), so the model and any file it writes predict alike. `examples` and `touched` stay exact
 * (touched bits are set with an atomic OR). Single-row calls and `precision=compact` (the
 * kernels share one stochastic-rounding stream) train on the calling thread. As for readers,
 * the float SIMD kernels store whole vectors with plain stores; ThreadSanitizer builds use the
 * scalar kernels, whose every access is a relaxed atomic.
 *
 * @code
 * growth_fm *m;
 * growth_fm_create(&m, "model=ffm k=4 fields=12 bits=22 heads=2 head_names=click|buy");
 * float labels[2] = {1, GROWTH_LABEL_MISSING}, p[2];
 * growth_fm_predict_update(m, idx, fld, NULL, nnz, labels, 1.0f, p, 2); // progressive validation
 * growth_fm_save(m, "ffm.model");
 * growth_fm_free(m);
 * @endcode
 */
#ifndef GROWTH_FM_H
#define GROWTH_FM_H

#include "growth/common.h"
#include "growth/ctr.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A factorization machine (FM or FFM) with one or more heads (opaque). */
typedef struct growth_fm growth_fm;

/**
 * @brief Counters and sizes of a model (growth_fm_stats_get()).
 *
 * Initialise with ::GROWTH_FM_STATS_INIT; members are only ever appended.
 */
typedef struct growth_fm_stats {
    uint32_t struct_size; /**< sizeof(growth_fm_stats) (::GROWTH_FM_STATS_INIT sets it) */
    uint32_t reserved;    /**< 0 */
    uint64_t heads;       /**< number of heads */
    uint64_t bits;        /**< table size exponent (2^bits slots) */
    uint64_t fields;      /**< the `fields` key (0 when not set) */
    uint64_t k;           /**< latent factors per vector */
    uint64_t examples;    /**< examples trained on (a loaded model counts those it was saved with) */
    uint64_t touched;     /**< slots whose factors or linear weights training has changed */
    uint64_t bytes;       /**< bytes of model state in memory (tables, statistics, bookkeeping) */
    uint64_t
        bytes_per_slot; /**< state bytes per slot: factors, AdaGrad sums and linear statistics of all heads */
    /* appended after the first release: a struct_size up to `bytes_per_slot` is still accepted */
    uint64_t live;     /**< table=exact: features with a record; hashed: as `touched` */
    uint64_t admitted; /**< table=exact: features given a record since the model was created or loaded */
    uint64_t evicted;  /**< table=exact: records evicted to stay under `max_memory` or 2^bits features */
    uint64_t expired;  /**< table=exact: records removed by `expire` / `expire_seconds` */
    uint64_t
        table_bytes; /**< table=exact: bytes of the keyed table, admission sketch and slots in use; hashed: as `bytes` */
} growth_fm_stats;

/** Initialiser of ::growth_fm_stats (struct_size set, the rest zero). */
#define GROWTH_FM_STATS_INIT GROWTH_STRUCT_INIT(growth_fm_stats)

/**
 * @brief A training or validation set in CSR form (growth_fm_fit()).
 *
 * Initialise with ::GROWTH_FM_DATA_INIT; members are only ever appended.
 */
typedef struct growth_fm_data {
    uint32_t struct_size;    /**< sizeof(growth_fm_data) */
    uint32_t reserved;       /**< 0 */
    size_t nrows;            /**< rows, >= 1 */
    const uint64_t *indptr;  /**< nrows + 1 non-decreasing offsets into indices/fields/values */
    const uint32_t *indices; /**< slots below 2^bits (keys on a `table=exact` model) */
    const uint8_t *fields;   /**< field of each entry (below `fields`); NULL only for model=fm */
    const float *values;     /**< finite values, or NULL for all ones */
    const float *labels;     /**< nrows x heads, row-major: 0, 1 or ::GROWTH_LABEL_MISSING */
    const float *weights;    /**< nrows weights (finite, >= 0), or NULL for all 1 */
} growth_fm_data;

/** Initialiser of ::growth_fm_data (struct_size set, the rest zero). */
#define GROWTH_FM_DATA_INIT GROWTH_STRUCT_INIT(growth_fm_data)

/**
 * @brief What growth_fm_fit() did.
 *
 * Initialise with ::GROWTH_FM_FIT_RESULT_INIT; members are only ever appended.
 */
typedef struct growth_fm_fit_result {
    uint32_t struct_size; /**< sizeof(growth_fm_fit_result) */
    uint32_t reserved;    /**< 0 */
    uint64_t epochs;      /**< epochs trained (including one undone by auto-stop) */
    uint64_t best_epoch;  /**< the epoch whose model was kept (1-based; = epochs without auto-stop) */
    double train_logloss; /**< mean progressive logloss of the kept epoch's training pass */
    double valid_logloss; /**< mean validation logloss of the kept model (NaN without a validation set) */
} growth_fm_fit_result;

/** Initialiser of ::growth_fm_fit_result (struct_size set, the rest zero). */
#define GROWTH_FM_FIT_RESULT_INIT GROWTH_STRUCT_INIT(growth_fm_fit_result)

/**
 * @brief Creates a model from a configuration string (see the table above).
 * @param[out] out the new model (unchanged on failure).
 * @param config   "key=value ...", NULL or "" for the defaults (`model=ffm` then needs `fields`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `out`, a bad, unknown or repeated key, or
 *         `model=ffm` without `fields` (the message names the key); ::GROWTH_ENOMEM when the
 *         tables are larger than the machine's physical memory or `max_memory` (refused up
 *         front, nothing allocated; the message names the bytes needed) or cannot be allocated.
 * @since 1.0
 */
GROWTH_API int growth_fm_create(growth_fm **out, const char *config);

/** @brief Frees a model; NULL is allowed. @since 1.0 */
GROWTH_API void growth_fm_free(growth_fm *m);

/**
 * @brief Counters and sizes of the model.
 *
 * Constant time; lock-free, safe while another thread trains (a recent snapshot then).
 * @param[out] out filled up to its `struct_size` (at least the 1.0 size of the struct).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m` or `out`, or a `struct_size` below the 1.0
 *         size.
 * @since 1.0
 */
GROWTH_API int growth_fm_stats_get(const growth_fm *m, growth_fm_stats *out);

/**
 * @brief Index of the head named `name` (from the `head_names` key).
 * @param[out] out_index the head's index, in [0, heads) (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOTFOUND when no head has
 *         that name.
 * @since 1.0
 */
GROWTH_API int growth_fm_head_index(const growth_fm *m, const char *name, size_t *out_index);

/**
 * @brief Effective configuration ("model=ffm k=4 fields=12 ...").
 * @param[out] buf   `cap` bytes, NUL-terminated (may be NULL when `cap` is 0).
 * @param[out] out_n if not NULL: on ::GROWTH_OK the bytes written including the NUL; on
 *                   ::GROWTH_EBUFS the capacity needed (buf is then not written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m`; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_fm_config(const growth_fm *m, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Changes run-time settings of a model: only `threads` (1..64; a key not given takes its
 *        default), e.g. after growth_fm_load() of a model saved with another value.
 *
 * Waits for a training call in progress; must not run concurrently with growth_fm_config()
 * on the same model (it reads the configuration without the lock).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m`, an unknown or unchangeable key or a bad
 *         value (the model is then unchanged).
 * @since 1.0
 */
GROWTH_API int growth_fm_set_config(growth_fm *m, const char *config);

/**
 * @brief Installs a progress callback for growth_fm_fit() (NULL removes it).
 *
 * The callback is called from the training thread with stage "epoch" and done = the fraction
 * of all epochs' rows trained so far; a non-zero return stops the fit with ::GROWTH_ECANCELED
 * and restores the model as it was before the call.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m`.
 * @since 1.0
 */
GROWTH_API int growth_fm_set_progress(growth_fm *m, growth_progress_fn fn, void *user);

/**
 * @brief Probabilities (or, with ::GROWTH_PREDICT_MARGIN, margins) of every head for one row.
 * @param idx   `nnz` slots below 2^bits (may be NULL when `nnz` is 0).
 * @param fld   `nnz` field ids below `fields`; may be NULL for `model=fm`.
 * @param val   `nnz` finite values, or NULL for all ones.
 * @param flags 0 or ::GROWTH_PREDICT_MARGIN; other bits are ::GROWTH_EINVAL.
 * @param[out] out `cap` >= heads floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments (including a NULL `fld` for
 *         `model=ffm`), a slot or field out of range, a non-finite value or unknown flags;
 *         ::GROWTH_EBUFS when `cap` < heads.
 * @since 1.0
 */
GROWTH_API int growth_fm_predict(const growth_fm *m, const uint32_t *idx, const uint8_t *fld,
                                 const float *val, size_t nnz, unsigned flags, float *out, size_t cap);

/**
 * @brief Probabilities (or margins) of every head for a batch of rows in CSR form.
 * @param indptr nrows + 1 non-decreasing offsets into idx/fld/val (indptr[0] need not be 0).
 * @param[out] out nrows x heads floats, row-major; `cap` is its length in floats.
 * @return ::GROWTH_OK (nothing is done for `nrows` = 0); ::GROWTH_EINVAL as growth_fm_predict()
 *         or for a decreasing `indptr`; ::GROWTH_EBUFS when `cap` < nrows x heads.
 * @since 1.0
 */
GROWTH_API int growth_fm_predict_csr(const growth_fm *m, const uint64_t *indptr, const uint32_t *idx,
                                     const uint8_t *fld, const float *val, size_t nrows, unsigned flags,
                                     float *out, size_t cap);

/**
 * @brief Trains on one example.
 * @param labels `heads` labels: 0, 1 or ::GROWTH_LABEL_MISSING.
 * @param weight example weight (finite, >= 0).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a bad slot, field, value, label or
 *         weight (the model is then unchanged).
 * @since 1.0
 */
GROWTH_API int growth_fm_update(growth_fm *m, const uint32_t *idx, const uint8_t *fld, const float *val,
                                size_t nnz, const float *labels, float weight);

/**
 * @brief Progressive validation for one example: writes the probabilities predicted *before*
 *        training on it into `out` (heads floats: what growth_fm_predict() returned just
 *        before, slots not trained on yet counted as the `unseen` key says), then trains.
 * @param[out] out heads probabilities, or NULL (then this is growth_fm_update()).
 * @return as growth_fm_update(); also ::GROWTH_EBUFS when `cap` < heads (nothing trained).
 * @since 1.0
 */
GROWTH_API int growth_fm_predict_update(growth_fm *m, const uint32_t *idx, const uint8_t *fld,
                                        const float *val, size_t nnz, const float *labels, float weight,
                                        float *out, size_t cap);

/**
 * @brief Trains on a CSR batch, row by row in order.
 * @param labels  nrows x heads, row-major.
 * @param weights nrows weights, or NULL for all 1.
 * @param[out] out_pred if not NULL, nrows x heads progressive-validation probabilities (each
 *                      made before training on its row); `cap` is its length.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a bad argument anywhere in the batch (checked before
 *         any row is trained on: the model is then unchanged); ::GROWTH_EBUFS when `out_pred`
 *         is too short.
 * @since 1.0
 */
GROWTH_API int growth_fm_update_csr(growth_fm *m, const uint64_t *indptr, const uint32_t *idx,
                                    const uint8_t *fld, const float *val, size_t nrows, const float *labels,
                                    const float *weights, float *out_pred, size_t cap);

/**
 * @brief Offline training: several epochs over `train`, with early stopping on `valid`
 *        (LIBFFM's `-t`, `-p` and `--auto-stop`). Continues from the model's current state
 *        (a warm start when the model was trained or loaded before).
 *
 * Options (`config`): `epochs` (1..10000, default 10); `shuffle` (visit the rows of each epoch
 * in a random order, default true); `seed` (of the order, default 0); `auto_stop` (default
 * true when `valid` is given: after each epoch the validation logloss is measured, and when it
 * is higher than the best so far the model goes back to the previous epoch and the fit stops).
 * Auto-stop keeps one copy of the model's tables (checked against `max_memory` up front).
 * On a `table=exact` model the indices are keys (each row through admission, expiry and
 * eviction), the fit runs on one thread, and the copies include the keyed table (an exact
 * model always keeps the one from before the call, so a failure leaves it as it was).
 * @param train   the training set; @param valid a validation set, or NULL.
 * @param[out] out if not NULL, what the fit did (filled up to its `struct_size`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a bad option or a bad row, label or
 *         weight anywhere in either set (checked before training: the model is then unchanged);
 *         ::GROWTH_ECANCELED when the progress callback stopped it (the model is then as it was
 *         before the call); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_fm_fit(growth_fm *m, const growth_fm_data *train, const growth_fm_data *valid,
                             const char *config, growth_fm_fit_result *out);

/**
 * @brief Linear weight of slot `index` for `head` (0 for a slot with |z| <= l1).
 * @param index slot, or UINT32_MAX for the bias.
 * @param[out] out the weight.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a head or slot out of range, or the
 *         bias / linear weight of a model without one.
 * @since 1.0
 */
GROWTH_API int growth_fm_weight(const growth_fm *m, size_t head, uint32_t index, float *out);

/**
 * @brief The k latent factors of slot `index` towards field `field` (FFM's v_{index,field};
 *        `field` must be 0 for `model=fm`) as stored: zeros for a slot training has not touched
 *        yet (with `unseen=seeded` predictions use its seeded factors instead).
 * @param[out] out   `cap` >= k floats.
 * @param[out] out_n if not NULL: k on ::GROWTH_OK and on ::GROWTH_EBUFS.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a slot or field out of range;
 *         ::GROWTH_EBUFS when `cap` < k.
 * @since 1.0
 */
GROWTH_API int growth_fm_factors(const growth_fm *m, uint32_t index, size_t field, float *out, size_t cap,
                                 size_t *out_n);

/**
 * @brief pCTR, pCVR and pCTCVR for one row from two heads of the model.
 * @param[out] out pCTR, pCVR, pCTCVR in out[0], out[1], out[2]; `cap` >= 3.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a head out of range or a bad row;
 *         ::GROWTH_EBUFS when `cap` < 3.
 * @since 1.0
 */
GROWTH_API int growth_fm_esmm_predict(const growth_fm *m, size_t ctr_head, size_t cvr_head,
                                      const uint32_t *idx, const uint8_t *fld, const float *val, size_t nnz,
                                      float *out, size_t cap);

/**
 * @brief Trains a CTR head and a CVR head the ESMM way on one impression (Ma et al., SIGIR
 *        2018): the CTR head on the click, the CVR head through the CTCVR loss
 *        logloss(click & conversion, pCTR x pCVR) over the entire impression space; both
 *        heads' gradients reach the shared factors, so the CVR head learns from clicks.
 * @param click 0 or 1; @param conversion 0 or 1 (0 when click is 0).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m`, equal or out-of-range heads, bad labels,
 *         weight or row (the model is then unchanged).
 * @since 1.0
 */
GROWTH_API int growth_fm_esmm_update(growth_fm *m, size_t ctr_head, size_t cvr_head, const uint32_t *idx,
                                     const uint8_t *fld, const float *val, size_t nnz, float click,
                                     float conversion, float weight);

/**
 * @brief Saves the full training state atomically (configuration, the factors, AdaGrad sums
 *        and linear statistics of every touched slot); growth_fm_load() resumes training from it.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         written (a previous file at `path` is then intact); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_fm_save(const growth_fm *m, const char *path);

/**
 * @brief Loads a model saved by growth_fm_save().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         read; ::GROWTH_EFORMAT for a file of another kind, a newer version, or a corrupted or
 *         truncated file; ::GROWTH_ENOMEM (also when the stored tables exceed physical memory
 *         or the stored `max_memory`).
 * @since 1.0
 */
GROWTH_API int growth_fm_load(growth_fm **out, const char *path);

/**
 * @brief Serialises the full state into a malloc'ed buffer (release with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_fm_serialize(const growth_fm *m, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds a model from growth_fm_serialize() bytes.
 * @return as growth_fm_load() (::GROWTH_EFORMAT for bytes that are not a valid FM model).
 * @since 1.0
 */
GROWTH_API int growth_fm_deserialize(growth_fm **out, const uint8_t *buf, size_t len);

/**
 * @brief Probabilities (or margins) of every head for one row of 64-bit feature keys.
 *
 * On a `table=exact` model every key is looked up exactly; a key without a record (not admitted,
 * expired or evicted) adds nothing: weight 0 and factors 0 (it still counts in the row's
 * normalisation). On a hashed model key k uses slot (k mod 2^bits). Lock-free, as
 * growth_fm_predict().
 * @param keys  `nnz` keys (may be NULL when `nnz` is 0); repeated keys each count.
 * @param fld   field of every entry (required for `model=ffm`, may be NULL for `model=fm`).
 * @param val   `nnz` finite values, or NULL for all ones.
 * @param flags 0 or ::GROWTH_PREDICT_MARGIN.
 * @param[out] out `cap` >= heads floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a field out of range, a non-finite
 *         value or unknown flags; ::GROWTH_EBUFS when `cap` < heads; ::GROWTH_ENOMEM (row scratch).
 * @since 1.0
 */
GROWTH_API int growth_fm_predict_keys(const growth_fm *m, const uint64_t *keys, const uint8_t *fld,
                                      const float *val, size_t nnz, unsigned flags, float *out, size_t cap);

/**
 * @brief Trains on one row of 64-bit feature keys, optionally writing the progressive-validation
 *        prediction made before training on it.
 *
 * On a `table=exact` model, keys without a record go through admission (`admit`, `admit_prob`);
 * an admitted key gets a record and a slot (evicting the least recently updated feature when the
 * model is at `max_memory` or 2^bits features) and is trained in this row, starting from the
 * seeded factors of slot `key` (the initialisation above with the key in place of the slot); the
 * others add nothing and are not trained. Every record the row touches counts as updated for
 * expiry. On a hashed model key k trains slot (k mod 2^bits).
 * @param labels `heads` labels: 0, 1 or ::GROWTH_LABEL_MISSING.
 * @param weight example weight (finite, >= 0).
 * @param[out] out_pred heads probabilities, or NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a bad field, value, label or weight;
 *         ::GROWTH_EBUFS when `out_pred` is not NULL and `cap` < heads; ::GROWTH_ENOMEM when the
 *         keyed table cannot grow (the model is then unchanged).
 * @since 1.0
 */
GROWTH_API int growth_fm_update_keys(growth_fm *m, const uint64_t *keys, const uint8_t *fld, const float *val,
                                     size_t nnz, const float *labels, float weight, float *out_pred,
                                     size_t cap);

/**
 * @brief Probabilities (or margins) of every head for a CSR batch of 64-bit key rows (row r is
 *        keys[indptr[r] .. indptr[r+1]) with its fields and values, as growth_fm_predict_csr());
 *        each row as growth_fm_predict_keys(). Lock-free.
 * @param[out] out nrows x heads floats, row-major; `cap` is its length.
 * @return ::GROWTH_OK (nothing done for `nrows` = 0); ::GROWTH_EINVAL for NULL arguments, a
 *         decreasing `indptr`, a field out of range, a non-finite value or unknown flags;
 *         ::GROWTH_EBUFS when `cap` < nrows x heads; ::GROWTH_ENOMEM (row scratch).
 * @since 1.0
 */
GROWTH_API int growth_fm_predict_keys_csr(const growth_fm *m, const uint64_t *indptr, const uint64_t *keys,
                                          const uint8_t *fld, const float *val, size_t nrows, unsigned flags,
                                          float *out, size_t cap);

/**
 * @brief Trains on a CSR batch of 64-bit key rows, row by row in order, each as
 *        growth_fm_update_keys() (admission, expiry and eviction on a `table=exact` model).
 * @param labels  nrows x heads, row-major; @param weights nrows weights, or NULL for all 1.
 * @param[out] out_pred if not NULL, nrows x heads progressive-validation predictions; `cap` is
 *                      its length.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a bad argument anywhere in the batch (checked before
 *         any row is trained on: the model is then unchanged); ::GROWTH_EBUFS when `out_pred` is
 *         too short; ::GROWTH_ENOMEM (the row scratch, before any change; or a `table=exact`
 *         table that cannot grow, after the rows before it were trained).
 * @since 1.0
 */
GROWTH_API int growth_fm_update_keys_csr(growth_fm *m, const uint64_t *indptr, const uint64_t *keys,
                                         const uint8_t *fld, const float *val, size_t nrows,
                                         const float *labels, const float *weights, float *out_pred,
                                         size_t cap);

/**
 * @brief Current linear weight of 64-bit feature key `key` for `head` (0 when the key has no
 *        record: not admitted yet, expired or evicted; on a hashed model, slot key mod 2^bits).
 * @param[out] out the weight.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a head out of range or `linear=false`.
 * @since 1.0
 */
GROWTH_API int growth_fm_weight_key(const growth_fm *m, size_t head, uint64_t key, float *out);

/**
 * @brief The k factors of 64-bit feature key `key` towards `field` (field 0 for `model=fm`):
 *        zeros when the key has no record or has not been trained yet.
 * @param[out] out   `cap` >= k floats.
 * @param[out] out_n k (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a field out of range;
 *         ::GROWTH_EBUFS when `cap` < k.
 * @since 1.0
 */
GROWTH_API int growth_fm_factors_key(const growth_fm *m, uint64_t key, size_t field, float *out, size_t cap,
                                     size_t *out_n);

/**
 * @brief Imports a model file written by LIBFFM's `ffm-train` (its binary format: n, m, k as
 *        int32, the normalisation flag as one byte, then n x m blocks of k factors and k
 *        AdaGrad sums, padded and interleaved as LIBFFM lays them out).
 *
 * The result is a one-head `model=ffm` with `fields` = m, `k` = k, `normalize` as stored,
 * `linear=false bias=false unseen=zero`, and bits = the smallest with 2^bits >= n (at least 1); slots 0..n-1
 * are touched, slots from n on untouched (factors 0, as LIBFFM ignores features >= n, until
 * training sees them); LIBFFM's feature j is
 * slot j and its field f is field f, so predictions equal `ffm-predict`'s (to float rounding)
 * for rows whose features and fields are inside the model, and training continues with LIBFFM's
 * AdaGrad state (LIBFFM built with SSE updates with an approximate reciprocal square root,
 * libgrowth with an exact one, so further training follows a slightly different path).
 * Options (`config`): `align` (4, the default: a LIBFFM built with SSE, as its
 * Makefile does; 1: built without), `eta`, `lambda`, `precision`, `max_memory`, `seed`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a bad option; ::GROWTH_EIO when the
 *         file cannot be read; ::GROWTH_EFORMAT when the header is impossible (n, m, k out of
 *         range, m > 256, k > 64) or the file's size does not match n x m x k under that
 *         alignment (truncated or padded); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_fm_import_libffm(growth_fm **out, const char *path, const char *config);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_FM_H */
