/**
 * @file ctr.h
 * @brief CTR/CVR scoring: FTRL-Proximal logistic regression on hashed sparse features with
 *        several heads (visit, click, cart, purchase ...), and ESMM composition.
 *
 * @defgroup ftrl FTRL-Proximal online logistic regression
 * @{
 *
 * FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", KDD 2013) with
 * per-coordinate learning rates. One model holds `heads` logistic heads over one hashed feature
 * space of 2^bits slots (XFTRL-style multi-intent): one row updates every head whose label it
 * carries, touching each slot's statistics once.
 *
 * Configuration keys (growth_ftrl_create()):
 * | key        | default | meaning |
 * |------------|---------|---------|
 * | alpha      | 0.05    | learning-rate scale (> 0) |
 * | beta       | 1       | learning-rate smoothing (>= 0) |
 * | l1         | 1       | L1 strength (>= 0): weights with abs(z) <= l1 are exactly 0 |
 * | l2         | 1       | L2 strength (>= 0) |
 * | bits       | 24      | 2^bits slots per head, 1..32 |
 * | heads      | 1       | number of heads, 1..16 |
 * | head_names | ""      | optional names joined by '|' ("visit|click|cart|purchase") |
 * | bias       | true    | an unhashed intercept per head |
 * | precision  | float   | `float` (z, sqrt(n) and the weight in one 16-byte record per slot and head) or `compact` (bfloat16, z and sqrt(n) with stochastic rounding: 6 bytes per slot and head, 2 bytes per statistic) |
 * | seed       | 0       | seed of the stochastic rounding in compact mode |
 * | max_memory | 0       | bytes the table may take (2^bits x heads x 16, or x 6 when compact), an integer; 0 = no cap beyond the machine's physical memory. Checked at create and load time, before anything is allocated. With `table=exact`: the cap the keyed table (and the admission sketch) stays under while it grows; least recently updated features are evicted to stay under it |
 * | table      | hashed  | `hashed`: 2^bits slots, features collide; `exact`: a table keyed by the full 64-bit feature key that grows with the features it holds (no collisions; `bits` is then unused) |
 * | admit      | 1       | `table=exact`: a feature gets a record at its `admit`-th occurrence in a training row (1..255; counted by a count-min sketch); before, it has weight 0 and is not trained |
 * | admit_prob | 1       | `table=exact`: probability (0, 1] that an occurrence eligible for admission admits the feature (seeded by `seed`) |
 * | admit_sketch | 4194304 | `table=exact` with `admit` > 1: counters (bytes) of the count-min sketch, >= 1024 |
 * | expire     | 0       | `table=exact`: a feature not updated by the last `expire` examples trained on is removed (0 = never) |
 * | expire_seconds | 0   | `table=exact`: a feature not updated for `expire_seconds` seconds of wall-clock time (CLOCK_REALTIME) is removed (0 = never) |
 * | threads    | 1       | 1..64: growth_ftrl_update_csr() trains a batch on this many threads at once (Hogwild, below); changeable with growth_ftrl_set_config(). `table=exact` always trains on one thread |
 *
 * The keys `admit` .. `expire_seconds` with a value other than their default need `table=exact`.
 *
 * @par Collision-free tables (table=exact)
 * With `table=exact` the model keeps one record per distinct 64-bit feature key it admitted, in
 * 256 open-addressing shards that grow (and shrink after expiry) one at a time. Rows of 64-bit
 * keys go through growth_ftrl_predict_keys() / growth_ftrl_update_keys() (a key is any 64-bit
 * value, e.g. growth_hash64() of "field=value"); the uint32_t API keeps working on both kinds
 * (on an exact table a slot is the key of the same value). The uint64_t API also works on a
 * hashed table, which then uses the low `bits` bits of each key as its slot. A key without a
 * record (not admitted yet, expired or evicted) contributes weight 0 and is not trained; an
 * expired or evicted key that comes back starts afresh. Predictions stay lock-free: the writer
 * grows a shard by filling a copy and swapping a pointer, and frees the old table once the
 * predictions in flight have finished (an RCU grace period; readers never wait). The writer's
 * pause when a shard grows is the copy of 1/256 of the table. growth_ftrl_stats_get() reports
 * live, admitted, evicted and expired features and the table's bytes. See docs/exact-tables.md.
 *
 * Rows are sparse: `idx[k]` < 2^bits with value `val[k]` (finite; `val` may be NULL for all
 * ones). Labels: one per head, 0 or 1, or ::GROWTH_LABEL_MISSING when the row says nothing about
 * that head (e.g. no purchase label for an unclicked impression). Weights: finite, >= 0.
 *
 * Thread-safety: predictions (growth_ftrl_predict*, growth_ftrl_esmm_predict) take no lock and are
 * safe from any number of threads, also while one thread trains. Training calls serialise on an
 * internal mutex. Readers and the writer share statistics through relaxed atomic loads and
 * stores (Hogwild-style): a prediction racing an update sees, per slot, either the old or the
 * new statistics. Validation happens before any change: a failed call leaves the model as it was.
 *
 * @par Training on several cores (threads=N)
 * With `threads` = N > 1 and a hashed table, growth_ftrl_update_csr() trains a batch of at least
 * 2 x 256 rows on min(N, rows / 256) threads started by the call (smaller batches and the
 * single-row calls train on the calling thread, exactly as threads=1). Thread t takes blocks t,
 * t + N, t + 2N ... of 64 rows, so the threads move through the batch together and each row is
 * predicted (out_pred: progressive validation) just before its update, by a model that has seen
 * nearly every row before it. The threads update the shared statistics without a lock
 * (Hogwild!, Niu et al. 2011): when two threads update one slot at the same instant one of the
 * two updates may be lost; no value is ever torn, but the slot may predict, until its next
 * update, with the weight of one thread's step beside the statistics of the other's (the weight
 * is cached beside z and n). A save (serialize, save, export) re-derives every weight from the
 * statistics first, so a model and the file it wrote predict alike. The bias, which every row updates, is the
 * exception: each thread steps its own copy through the batch and the copies' moves are added
 * up at the end of the call (z by the sum of their changes, n by the sum of their squared
 * gradients), since one shared bias line bouncing between the cores on every row cost more than
 * the second thread gained (1.0x -> 1.45x on bench/hogwild_bench.c, idle 2 cores). The result is not bit-identical
 * to threads=1 nor from run to run, but its progressive logloss is the same within noise
 * (tests/c/test_ftrl_hogwild.c: within 0.5%; bench/hogwild_bench.c measures speed and loss).
 * Counters: `examples` counts every row exactly once. `nonzero` counts each step that makes a
 * weight zero or non-zero against the weight the thread read; two threads stepping one slot
 * within the same few nanoseconds can leave it off by one (bench/hogwild_bench.c: off by 1-20
 * in 126,000 after 3M rows x 40 features on 2 threads; a diagnostic, so no locked instruction
 * is spent on it). Saves (and loads) recount it exactly. The writer mutex still serialises whole
 * calls; predictions stay lock-free while the threads train. `table=exact` ignores `threads`
 * (its writer inserts, grows and evicts: one thread).
 *
 * @code
 * growth_ftrl *m;
 * growth_ftrl_create(&m, "alpha=0.05 beta=1 l1=1 l2=1 bits=24 heads=2 head_names=click|buy");
 * float labels[2] = {1, GROWTH_LABEL_MISSING}, p[2];
 * growth_ftrl_predict_update(m, idx, NULL, nnz, labels, 1.0f, p, 2);  // progressive validation
 * growth_ftrl_save(m, "ctr.model");
 * growth_ftrl_free(m);
 * @endcode
 */
#ifndef GROWTH_CTR_H
#define GROWTH_CTR_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Label value meaning "this row carries no label for this head". */
#define GROWTH_LABEL_MISSING (-1.0f)

/** An FTRL-Proximal model with one or more heads (opaque). */
typedef struct growth_ftrl growth_ftrl;

/**
 * @brief Counters and sizes of a model (growth_ftrl_stats_get()).
 *
 * Initialise with ::GROWTH_FTRL_STATS_INIT; members are only ever appended.
 */
typedef struct growth_ftrl_stats {
    uint32_t struct_size; /**< sizeof(growth_ftrl_stats) (::GROWTH_FTRL_STATS_INIT sets it) */
    uint32_t reserved;    /**< 0 */
    uint64_t heads;       /**< number of heads */
    uint64_t bits;        /**< table size exponent (2^bits slots per head) */
    uint64_t examples;    /**< examples trained on (a loaded model counts those it was saved with) */
    uint64_t nonzero;     /**< slots with a non-zero weight in any head (the bias not counted) */
    /* appended after the first release: a struct_size up to `nonzero` is still accepted */
    uint64_t live;        /**< table=exact: features with a record; hashed: as `nonzero` */
    uint64_t admitted;    /**< table=exact: features given a record since the model was created or loaded */
    uint64_t evicted;     /**< table=exact: records evicted to stay under `max_memory` */
    uint64_t expired;     /**< table=exact: records removed by `expire` / `expire_seconds` */
    uint64_t table_bytes; /**< bytes of the feature table (and admission sketch) */
} growth_ftrl_stats;

/** Initialiser of ::growth_ftrl_stats (struct_size set, the rest zero). */
#define GROWTH_FTRL_STATS_INIT GROWTH_STRUCT_INIT(growth_ftrl_stats)

/**
 * @brief Creates an empty model from a configuration string (see the table above).
 * @param[out] out the new model (unchanged on failure).
 * @param config   "key=value ...", NULL or "" for the defaults.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `out` or a bad, unknown or repeated key (the
 *         message names it); ::GROWTH_ENOMEM when the table is larger than the machine's
 *         physical memory or `max_memory` (refused up front, nothing allocated; the message names
 *         the bytes needed: `bits=32 heads=16` asks for 1 TiB) or cannot be allocated.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_create(growth_ftrl **out, const char *config);

/** @brief Frees a model; NULL is allowed. @since 1.0 */
GROWTH_API void growth_ftrl_free(growth_ftrl *m);

/**
 * @brief Counters and sizes of the model: heads, bits, examples trained on and non-zero slots.
 *
 * Constant time (the counters are kept up to date by training); lock-free, safe while another
 * thread trains (the values are then a recent snapshot).
 * @code
 * growth_ftrl_stats s = GROWTH_FTRL_STATS_INIT;
 * if (growth_ftrl_stats_get(m, &s) == GROWTH_OK) printf("%llu heads\n", (unsigned long long)s.heads);
 * @endcode
 * @param[out] out filled up to its `struct_size` (at least the 1.0 size of the struct).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m` or `out`, or a `struct_size` below the 1.0
 *         size.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_stats_get(const growth_ftrl *m, growth_ftrl_stats *out);

/**
 * @brief Changes run-time settings of a model: only `threads` (1..64; a key not given takes its
 *        default), e.g. after growth_ftrl_load() of a model saved with another value.
 *
 * Waits for a training call in progress; must not run concurrently with growth_ftrl_config()
 * on the same model (it reads the configuration without the lock).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m`, an unknown or unchangeable key or a bad
 *         value (the model is then unchanged).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_set_config(growth_ftrl *m, const char *config);

/**
 * @brief Index of the head named `name` (from the `head_names` key).
 * @param[out] out_index the head's index, in [0, heads) (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOTFOUND when no head has
 *         that name.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_head_index(const growth_ftrl *m, const char *name, size_t *out_index);

/**
 * @brief Effective configuration ("alpha=0.05 beta=1 ...").
 * @param[out] buf   `cap` bytes, NUL-terminated (may be NULL when `cap` is 0).
 * @param[out] out_n if not NULL: on ::GROWTH_OK the bytes written including the NUL; on
 *                   ::GROWTH_EBUFS the capacity needed (buf is then not written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m`; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_config(const growth_ftrl *m, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Probabilities (or, with ::GROWTH_PREDICT_MARGIN, margins) of every head for one row.
 * @param idx   `nnz` slots below 2^bits (may be NULL when `nnz` is 0).
 * @param val   `nnz` finite values, or NULL for all ones.
 * @param flags 0 for probabilities, ::GROWTH_PREDICT_MARGIN for the margins (logits, before
 *              the sigmoid); other bits are ::GROWTH_EINVAL.
 * @param[out] out `cap` >= heads floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a slot outside the table, a
 *         non-finite value or unknown flags; ::GROWTH_EBUFS when `cap` < heads.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_predict(const growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz,
                                   unsigned flags, float *out, size_t cap);

/**
 * @brief Probabilities (or margins) of every head for a batch of rows in CSR form.
 * @param indptr  nrows + 1 offsets into idx/val, non-decreasing; row r is
 *                idx[indptr[r] .. indptr[r+1]). indptr[0] need not be 0, so a slice of a
 *                larger CSR matrix can be passed without copying.
 * @param val     may be NULL (all ones).
 * @param flags   0 or ::GROWTH_PREDICT_MARGIN, as for growth_ftrl_predict().
 * @param[out] out nrows x heads floats, row-major; `cap` is its length in floats.
 * @return ::GROWTH_OK (nothing is done for `nrows` = 0); ::GROWTH_EINVAL for NULL arguments, a
 *         decreasing `indptr`, a bad slot or value, or unknown flags; ::GROWTH_EBUFS when
 *         `cap` < nrows x heads.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_predict_csr(const growth_ftrl *m, const uint64_t *indptr, const uint32_t *idx,
                                       const float *val, size_t nrows, unsigned flags, float *out,
                                       size_t cap);

/**
 * @brief Trains on one example.
 * @param labels `heads` labels: 0, 1 or ::GROWTH_LABEL_MISSING.
 * @param weight example weight (finite, >= 0).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a bad slot, value, label or weight
 *         (the model is then unchanged); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_update(growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz,
                                  const float *labels, float weight);

/**
 * @brief Progressive validation for one example: writes the prediction made *before* training
 *        on it into `out` (heads floats), then trains.
 * @param[out] out heads probabilities, or NULL (then this is growth_ftrl_update()).
 * @return as growth_ftrl_update(); also ::GROWTH_EBUFS when `cap` < heads (nothing trained).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_predict_update(growth_ftrl *m, const uint32_t *idx, const float *val, size_t nnz,
                                          const float *labels, float weight, float *out, size_t cap);

/**
 * @brief Trains on a CSR batch, row by row in order.
 * @param labels  nrows x heads, row-major.
 * @param weights nrows weights, or NULL for all 1.
 * @param[out] out_pred if not NULL, nrows x heads progressive-validation predictions
 *                      (each made before training on its row); `cap` is its length.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a bad argument anywhere in the batch (checked before
 *         any row is trained on: the model is then unchanged); ::GROWTH_EBUFS when `out_pred`
 *         is too short; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_update_csr(growth_ftrl *m, const uint64_t *indptr, const uint32_t *idx,
                                      const float *val, size_t nrows, const float *labels,
                                      const float *weights, float *out_pred, size_t cap);

/**
 * @brief Current weight of slot `index` for `head` (0 for a slot with |z| <= l1).
 * @param head  head index, below the number of heads.
 * @param index slot, or UINT32_MAX for the bias.
 * @param[out] out the weight.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a head or slot out of range, or the
 *         bias of a model without one.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_weight(const growth_ftrl *m, size_t head, uint32_t index, float *out);

/**
 * @brief Saves the full training state (configuration and per-slot statistics of every used
 *        slot) atomically; growth_ftrl_load() resumes training from it (warm start).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         written (a previous file at `path` is then intact); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_save(const growth_ftrl *m, const char *path);

/**
 * @brief Saves only the non-zero weights (sparse, compact) for serving.
 *
 * A model loaded from such a file predicts the same probabilities; training it further starts
 * its per-coordinate learning rates afresh.
 * @return as growth_ftrl_save().
 * @since 1.0
 */
GROWTH_API int growth_ftrl_export_weights(const growth_ftrl *m, const char *path);

/**
 * @brief Loads a model saved by growth_ftrl_save() or growth_ftrl_export_weights().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         read; ::GROWTH_EFORMAT for a file of another kind, a newer version, or a corrupted
 *         file; ::GROWTH_ENOMEM, also when the stored configuration's table exceeds physical
 *         memory or its `max_memory` (refused before allocating, as growth_ftrl_create()).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_load(growth_ftrl **out, const char *path);

/**
 * @brief Serialises the full state into a malloc'ed buffer (release with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_serialize(const growth_ftrl *m, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds a model from growth_ftrl_serialize() bytes.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EFORMAT for bytes that are
 *         not a valid FTRL model; ::GROWTH_ENOMEM (as growth_ftrl_load()).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_deserialize(growth_ftrl **out, const uint8_t *buf, size_t len);

/**
 * @brief Probabilities (or margins) of every head for one row of 64-bit feature keys.
 *
 * On a `table=exact` model every key is looked up exactly; a key without a record adds 0. On
 * a hashed model key k uses slot (k mod 2^bits). Lock-free, as growth_ftrl_predict().
 * @param keys  `nnz` keys (may be NULL when `nnz` is 0); repeated keys each count.
 * @param val   `nnz` finite values, or NULL for all ones.
 * @param flags 0 or ::GROWTH_PREDICT_MARGIN.
 * @param[out] out `cap` >= heads floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a non-finite value or unknown flags;
 *         ::GROWTH_EBUFS when `cap` < heads; ::GROWTH_ENOMEM (hashed model: the slot scratch).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_predict_keys(const growth_ftrl *m, const uint64_t *keys, const float *val,
                                        size_t nnz, unsigned flags, float *out, size_t cap);

/**
 * @brief Trains on one row of 64-bit feature keys, optionally writing the progressive-validation
 *        prediction made before training on it.
 *
 * On a `table=exact` model, keys without a record go through admission (`admit`,
 * `admit_prob`); admitted ones get a record (evicting the least recently updated feature when
 * the table is at `max_memory`) and are trained in this row; the others add 0 and are not
 * trained. Every record the row touches counts as updated for expiry.
 * @param labels `heads` labels: 0, 1 or ::GROWTH_LABEL_MISSING.
 * @param weight example weight (finite, >= 0).
 * @param[out] out_pred heads probabilities, or NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a bad value, label or weight;
 *         ::GROWTH_EBUFS when `out_pred` is not NULL and `cap` < heads; ::GROWTH_ENOMEM when
 *         the table cannot grow (the model is then unchanged).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_update_keys(growth_ftrl *m, const uint64_t *keys, const float *val, size_t nnz,
                                       const float *labels, float weight, float *out_pred, size_t cap);

/**
 * @brief Probabilities (or margins) of every head for a CSR batch of 64-bit key rows (row r is
 *        keys[indptr[r] .. indptr[r+1]), as growth_ftrl_predict_csr()); each row as
 *        growth_ftrl_predict_keys(). Lock-free.
 * @param[out] out nrows x heads floats, row-major; `cap` is its length.
 * @return ::GROWTH_OK (nothing done for `nrows` = 0); ::GROWTH_EINVAL for NULL arguments, a
 *         decreasing `indptr`, a non-finite value or unknown flags; ::GROWTH_EBUFS when `cap` <
 *         nrows x heads; ::GROWTH_ENOMEM (hashed model: the slot scratch).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_predict_keys_csr(const growth_ftrl *m, const uint64_t *indptr,
                                            const uint64_t *keys, const float *val, size_t nrows,
                                            unsigned flags, float *out, size_t cap);

/**
 * @brief Trains on a CSR batch of 64-bit key rows, row by row in order, each as
 *        growth_ftrl_update_keys() (admission, expiry and eviction on a `table=exact` model).
 * @param labels  nrows x heads, row-major; @param weights nrows weights, or NULL for all 1.
 * @param[out] out_pred if not NULL, nrows x heads progressive-validation predictions; `cap` is
 *                      its length.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a bad argument anywhere in the batch (checked before
 *         any row is trained on: the model is then unchanged); ::GROWTH_EBUFS when `out_pred` is
 *         too short; ::GROWTH_ENOMEM (the slot scratch, before any change; or a `table=exact`
 *         table that cannot grow, after the rows before it were trained).
 * @since 1.0
 */
GROWTH_API int growth_ftrl_update_keys_csr(growth_ftrl *m, const uint64_t *indptr, const uint64_t *keys,
                                           const float *val, size_t nrows, const float *labels,
                                           const float *weights, float *out_pred, size_t cap);

/**
 * @brief Current weight of 64-bit feature key `key` for `head` (0 when the key has no record,
 *        e.g. not admitted yet or expired; on a hashed model, slot key mod 2^bits).
 * @param[out] out the weight.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a head out of range.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_weight_key(const growth_ftrl *m, size_t head, uint64_t key, float *out);

/** @} */

/**
 * @defgroup esmm ESMM composition
 * @{
 * Entire-space multi-task composition (Ma et al., SIGIR 2018): pCTCVR = pCTR x pCVR.
 */

/**
 * @brief pCTR, pCVR and pCTCVR for one row from two heads of one model or of two models.
 * @param ctr_model, cvr_model may be the same model.
 * @param ctr_head  head of `ctr_model` giving pCTR; @param cvr_head head of `cvr_model` giving pCVR.
 * @param[out] out  pCTR, pCVR, pCTCVR in out[0], out[1], out[2]; `cap` >= 3.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a head out of range, a bad slot or
 *         value; ::GROWTH_EBUFS when `cap` < 3.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_esmm_predict(const growth_ftrl *ctr_model, size_t ctr_head,
                                        const growth_ftrl *cvr_model, size_t cvr_head, const uint32_t *idx,
                                        const float *val, size_t nnz, float *out, size_t cap);

/**
 * @brief Trains a CTR head and a CVR head the ESMM way on one impression: the CTR head on the
 *        click label, the CVR head through the CTCVR loss logloss(click & conversion,
 *        pCTR x pCVR) over the entire impression space.
 * @param ctr_head, cvr_head two different heads of `m`.
 * @param click 0 or 1; @param conversion 0 or 1 (must be 0 when click is 0).
 * @param weight example weight (finite, >= 0).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `m`, bad heads, labels, weight, slot or value
 *         (the model is then unchanged); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_ftrl_esmm_update(growth_ftrl *m, size_t ctr_head, size_t cvr_head, const uint32_t *idx,
                                       const float *val, size_t nnz, float click, float conversion,
                                       float weight);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_CTR_H */
