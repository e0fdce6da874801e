/**
 * @file recall.h
 * @brief Semantic recall: exact and approximate top-K vector index over float32 embeddings with
 *        integer ids, filters, and a de-duplicating re-rank.
 *
 * @defgroup recall Recall: top-K vector index (flat, HNSW, IVF), filters, de-duplication
 * @{
 *
 * One handle holds vectors of `dim` floats, each with a caller id (int64, >= 0, unique among
 * the live vectors). Three kinds share the API:
 * - `flat`: exact search; batches run as blocked sgemm (OpenBLAS) with a top-K heap per query.
 * - `hnsw`: hierarchical navigable small-world graph (Malkov & Yashunin 2018): incremental add,
 *   delete by id (tombstones, growth_index_compact() rebuilds without them).
 * - `ivf`: IVF-flat: a k-means coarse quantiser of `nlist` centroids; a query scans the `nprobe`
 *   nearest lists. Trained by growth_index_train() or, if not trained, on the first add.
 *
 * Scores: `metric=ip` returns the inner product and `cosine` the cosine similarity (vectors and
 * queries are L2-normalised; a zero vector scores 0), best first (descending); `l2` returns the
 * squared Euclidean distance, best first (ascending).
 *
 * Configuration keys (growth_index_create()):
 * | key             | default | meaning |
 * |-----------------|---------|---------|
 * | dim             | (required) | vector dimension, 1..65536 |
 * | metric          | ip      | `ip`, `cosine` or `l2` |
 * | kind            | flat    | `flat`, `hnsw` or `ivf` |
 * | M               | 16      | HNSW: links per node on upper layers (2*M on layer 0), 2..128 |
 * | ef_construction | 200     | HNSW: candidate list size while building, 1..100000 |
 * | ef              | 64      | HNSW: candidate list size while searching (max(ef, k) is used) |
 * | nlist           | 256     | IVF: number of lists (k-means centroids), 1..1048576 |
 * | nprobe          | 8       | IVF: lists scanned per query |
 * | iters           | 12      | IVF: k-means iterations |
 * | threads         | 1       | threads of growth_index_search_batch() (queries are split among them) |
 * | quantize        | none    | `none` or `int8`: flat and HNSW score candidates on int8 copies of the vectors (4x less memory traffic) and re-score the best with float |
 * | rescore         | 4       | int8: flat re-scores rescore*k candidates in float; HNSW re-scores its ef candidates |
 * | seed            | 0       | seed of HNSW levels and k-means initialisation |
 *
 * Search-time keys (`ef`, `nprobe`, `threads`, `rescore`) can be changed with growth_index_set_config().
 *
 * Filters: flat search is exact among the matching items (a short allow-list is scored
 * directly); HNSW walks the whole graph but only matching items enter the result list (very
 * selective filters make it slower, not wrong); IVF returns matches from the probed lists only.
 *
 * k: k = 0 is ::GROWTH_EINVAL. k larger than the number of (matching) live vectors is not an
 * error: growth_index_search() returns fewer results and says how many in `*found`;
 * growth_index_search_batch() pads each row with id -1 and score NaN. Searching an index with
 * no live vector is ::GROWTH_ESTATE.
 *
 * BLAS: exact batches and IVF training/assignment call OpenBLAS's sgemm, which follows the
 * process's own OpenBLAS thread setting (OPENBLAS_NUM_THREADS or openblas_set_num_threads());
 * with threads > 1 here, set it to 1 to avoid oversubscription. Single-query search does not
 * use BLAS.
 *
 * Thread-safety: searches, growth_index_get(), growth_index_dedup(), growth_index_mmr(),
 * growth_index_stats() and saves are read-only: any number of threads may run them at once (they
 * share a reader lock and never block each other; each thread keeps its own scratch, so the
 * search hot path does not allocate after a thread's first call). Mutating calls (add, remove,
 * compact, train, set) may be called from any thread at any time: they serialise among
 * themselves and take the lock exclusively, in chunks of at most 256 vectors for adds, so
 * searches running beside a large add see the vectors added so far. Do not free the handle
 * while other threads use it.
 *
 * @code
 * growth_index *ix;
 * if (growth_index_create(&ix, "dim=128 metric=cosine kind=hnsw M=16 ef_construction=200") != GROWTH_OK)
 *     fprintf(stderr, "%s\n", growth_last_error());
 * growth_index_add(ix, item_vectors, n_items, item_ids);
 * int64_t ids[10]; float scores[10]; size_t found;
 * growth_index_search(ix, user_vector, 10, NULL, ids, scores, 10, &found);
 * growth_index_save(ix, "items.index");
 * growth_index_free(ix);
 * @endcode
 */
#ifndef GROWTH_RECALL_H
#define GROWTH_RECALL_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A vector index (opaque). */
typedef struct growth_index growth_index;

/**
 * @brief Creates an empty index from a configuration string (see the table above).
 * @param[out] out the new handle.
 * @param config  e.g. "dim=128 metric=cosine kind=hnsw M=16 ef_construction=200 ef=64".
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming a missing, unknown or bad key; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_index_create(growth_index **out, const char *config);

/** @brief Frees an index; NULL is allowed. @since 1.0 */
GROWTH_API void growth_index_free(growth_index *h);

/**
 * @brief Effective configuration ("dim=128 metric=cosine kind=hnsw ...").
 * @param[out] buf    `cap` bytes, NUL-terminated.
 * @param[out] needed length + 1 (may be NULL).
 * @return ::GROWTH_OK or ::GROWTH_EBUFS.
 * @since 1.0
 */
GROWTH_API int growth_index_config(const growth_index *h, char *buf, size_t cap, size_t *needed);

/**
 * @brief Changes search-time settings: any of `ef`, `nprobe`, `threads`, `rescore`.
 * @param config e.g. "ef=128"; other keys are ::GROWTH_EINVAL.
 * @since 1.0
 */
GROWTH_API int growth_index_set_config(growth_index *h, const char *config);

/**
 * @brief Trains the IVF coarse quantiser (k-means) on `n` >= nlist sample vectors.
 *
 * Only for kind=ivf (else ::GROWTH_ESTATE), and only while the index is empty (retraining a
 * filled index is ::GROWTH_ESTATE). Samples are not added.
 * @param x n x dim floats, row-major, finite.
 * @since 1.0
 */
GROWTH_API int growth_index_train(growth_index *h, const float *x, size_t n);

/**
 * @brief Adds `n` vectors.
 * @param x   n x dim floats, row-major; NaN or Inf is ::GROWTH_EINVAL.
 * @param ids n ids >= 0, unique among themselves and the live vectors (::GROWTH_EINVAL names a
 *            duplicate); NULL assigns 1 + the largest id seen (0 for the first).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL; ::GROWTH_ESTATE for an untrained IVF index given fewer
 *         than nlist vectors; ::GROWTH_ENOMEM. Validation precedes any change.
 * @since 1.0
 */
GROWTH_API int growth_index_add(growth_index *h, const float *x, size_t n, const int64_t *ids);

/**
 * @brief Deletes vectors by id (tombstones: they stop being returned at once).
 * @param[out] out_removed how many of the ids were present (may be NULL); absent ids are not
 *                         an error.
 * @since 1.0
 */
GROWTH_API int growth_index_remove(growth_index *h, const int64_t *ids, size_t n,
                                   size_t *out_removed);

/**
 * @brief Drops tombstoned vectors and frees their memory; HNSW rebuilds its graph.
 * @since 1.0
 */
GROWTH_API int growth_index_compact(growth_index *h);

/**
 * @brief The `k` best items for one query.
 * @param q       dim floats, finite.
 * @param k       >= 1; larger than the matching items gives fewer results (see `found`).
 * @param filter  NULL or a filter (see ::growth_id_filter).
 * @param[out] ids    best first; `cap` >= k entries.
 * @param[out] scores same order (may be NULL).
 * @param[out] found  number of results written (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL; ::GROWTH_EBUFS if cap < k; ::GROWTH_ESTATE if the index
 *         holds no live vector.
 * @since 1.0
 */
GROWTH_API int growth_index_search(const growth_index *h, const float *q, size_t k,
                                   const growth_id_filter *filter, int64_t *ids, float *scores,
                                   size_t cap, size_t *found);

/**
 * @brief The `k` best items for each of `nq` queries (row-major), on `threads` threads.
 * @param[out] ids    nq x k, row-major; rows with fewer results are padded with -1.
 * @param[out] scores nq x k (padding NaN), may be NULL.
 * @param cap     length of `ids` (and `scores`) in entries: >= nq * k.
 * @since 1.0
 */
GROWTH_API int growth_index_search_batch(const growth_index *h, const float *q, size_t nq,
                                         size_t k, const growth_id_filter *filter,
                                         int64_t *ids, float *scores, size_t cap);

/**
 * @brief De-duplicating re-rank: walks `ids` in order (best first) and drops each item whose
 *        cosine similarity with an item already kept exceeds `max_cos`.
 * @param scores  n scores carried along to `out_scores` (may be NULL).
 * @param max_cos threshold in [-1, 1], e.g. 0.95 drops near-duplicates.
 * @param[out] out_ids  kept ids in order; `cap` >= n.
 * @param[out] found    number kept.
 * @return ::GROWTH_ENOTFOUND naming an id that is not in the index.
 * @since 1.0
 */
GROWTH_API int growth_index_dedup(const growth_index *h, const int64_t *ids, const float *scores,
                                  size_t n, float max_cos, int64_t *out_ids, float *out_scores,
                                  size_t cap, size_t *found);

/**
 * @brief Maximal marginal relevance (Carbonell & Goldstein 1998): picks `k` of the `n`
 *        candidates greedily by  lambda * cos(q, x) - (1 - lambda) * max_{kept y} cos(x, y).
 * @param lambda in [0, 1]; 1 is pure relevance, 0 pure diversity.
 * @param[out] out_scores the MMR value of each pick at the time it was picked (may be NULL).
 * @param cap    >= min(k, n).
 * @since 1.0
 */
GROWTH_API int growth_index_mmr(const growth_index *h, const float *q, const int64_t *ids,
                                size_t n, float lambda, size_t k, int64_t *out_ids,
                                float *out_scores, size_t cap, size_t *found);

/**
 * @brief Copies the stored vector of `id` (normalised for metric=cosine) into `out` (cap >= dim).
 * @return ::GROWTH_ENOTFOUND if the id is not live.
 * @since 1.0
 */
GROWTH_API int growth_index_get(const growth_index *h, int64_t id, float *out, size_t cap);

/**
 * @brief Sizes: live vectors, tombstones, dimension, bytes of memory held.
 * @param[out] out_count live vectors (any out-parameter may be NULL).
 * @since 1.0
 */
GROWTH_API int growth_index_stats(const growth_index *h, uint64_t *out_count,
                                  uint64_t *out_deleted, uint64_t *out_dim,
                                  uint64_t *out_memory_bytes);

/** @brief Saves atomically (temp file, fsync, rename). @since 1.0 */
GROWTH_API int growth_index_save(const growth_index *h, const char *path);

/**
 * @brief Loads a file saved by growth_index_save().
 * @return ::GROWTH_EIO if unreadable; ::GROWTH_EFORMAT if truncated, corrupted, of another kind.
 * @since 1.0
 */
GROWTH_API int growth_index_load(growth_index **out, const char *path);

/** @brief Serialises into a malloc'ed buffer (free with growth_buffer_free()). @since 1.0 */
GROWTH_API int growth_index_serialize(const growth_index *h, uint8_t **out_buf, size_t *out_len);

/** @brief Rebuilds an index from growth_index_serialize() bytes. @since 1.0 */
GROWTH_API int growth_index_deserialize(growth_index **out, const uint8_t *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_RECALL_H */
