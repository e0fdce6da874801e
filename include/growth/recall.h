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
 * Compressed storage (`storage=`, kinds `flat` and `ivf`): the vectors a search scans are kept as
 * - `float`: 4 dim bytes a vector (the default);
 * - `fp16`: IEEE half floats, 2 dim bytes (values beyond +-65504 are ::GROWTH_EINVAL unless
 *   metric=cosine), scored through F16C conversions; recall is that of float within rounding;
 * - `pq`: product quantisation (Jegou et al. 2011): `pq_m` sub-quantisers of 256 codewords each,
 *   one byte a sub-vector, `pq_m` bytes a vector. The codebooks are trained by k-means (`iters`
 *   iterations) on a random sample of at most `pq_train` vectors, by growth_index_train() or on
 *   the first add (at least 256 vectors). With kind=ivf (IVF-PQ) the codebooks quantise the
 *   residual x - c to the vector's coarse centroid, as FAISS's IndexIVFPQ does by default, and
 *   for metric=l2 the terms |w|^2 + 2 c.w of every list are precomputed (nlist x pq_m x 1 KiB,
 *   skipped above 512 MiB). Searches score codes with asymmetric distance tables (ADC: the query
 *   stays float; one table of pq_m x 256 entries per query, or per probed list for IVF l2),
 *   summed by an AVX2 gather kernel. Scores are those of the reconstructed vectors.
 * `rerank=N` (fp16, pq) also keeps the float vectors in memory: the codes select a short list of
 * max(N, k) candidates and those are re-scored exactly, so the scores and order are exact among
 * them. Without `rerank` no float vector is kept: growth_index_get() returns the reconstruction,
 * growth_index_dedup() and growth_index_mmr() compare reconstructions, and a filtered search
 * that falls back to exact scoring scores reconstructions. growth_index_stats::code_bytes and
 * growth_index_stats::bytes_per_vector report the cost. Compaction copies codes as they are
 * (no re-encoding; it reports no progress and cannot be canceled).
 *
 * `opq=1` (storage=pq) adds an OPQ rotation (Ge et al. 2013, the non-parametric variant of
 * FAISS's OPQMatrix): an orthogonal dim x dim matrix R learnt on the PQ training sample (IVF: on
 * the residuals) by `iters` alternations of four k-means iterations of the sub-quantisers on the
 * rotated sample with the orthogonal Procrustes solution for their reconstructions; the codes
 * then quantise R (x - c) and the distance tables take R q. R keeps distances and dot products,
 * so the coarse quantiser, the float vectors kept for `rerank` and the scores' meaning do not
 * change; growth_index_get() returns c + R^T (codewords). It lowers the quantisation error where
 * the variance is spread unevenly over the dimensions, costs a dim x dim matrix (plus nlist x dim
 * rotated centroids in IVF) and a dim x dim product per query and per encoded vector, is saved
 * with the index, and makes training several times longer.
 *
 * Memory of IVF-PQ: a vector costs its pq_m code bytes, an 8-byte id, a 4-byte list number, a
 * 4-byte slot in its list (lists keep about 1/8 growth slack), a tombstone bit and 2 to 4 cells
 * of 4 bytes in the id map (which stores slots only and reads the ids from the id array); the
 * lists, centroids, codebooks and precomputed tables are shared (growth_index_stats::bytes_per_vector
 * includes them).
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
 * | filter_exact    | 0.02    | filtered search scores the allowed items exactly when the filter keeps at most max(k, filter_exact x slots) items (see "Filters"), 0..1 |
 * | storage         | float   | `float`, `fp16` or `pq`: how vectors are kept for scanning (see "Compressed storage"); fp16 and pq are for kind=flat and ivf, not with quantize=int8 |
 * | pq_m            | 8       | pq: sub-quantisers (bytes a vector); must divide dim |
 * | pq_train        | 65536   | pq: at most this many vectors (a random sample of the training set) train the codebooks, >= 256 |
 * | rerank          | 0       | fp16, pq: keep the float vectors and re-score a short list of max(rerank, k) candidates exactly; 0 keeps codes only, 0..100000 |
 * | opq             | 0       | pq: 1 learns an OPQ rotation before the codebooks (see "Compressed storage"), 0 or 1 |
 * | max_memory      | 0       | bytes the index may hold (vectors, ids, graph, lists, id map, as growth_index_stats::memory_bytes counts them; HNSW upper layers and IVF list slack are estimated when an add is checked), an integer; 0 = no cap beyond the machine's physical memory |
 *
 * Search-time keys (`ef`, `nprobe`, `threads`, `rescore`, `filter_exact`, `rerank` on an index created
 * with rerank > 0) and `max_memory` can be changed with growth_index_set_config().
 *
 * Memory limits: growth_index_create() refuses a configuration whose fixed part (IVF: nlist x
 * dim centroids) exceeds physical memory or `max_memory`; every growth_index_add() computes the
 * memory the index will hold after it and refuses with ::GROWTH_ENOMEM (the message names the
 * bytes needed; the index is unchanged) an add that would exceed either; capacity grows with
 * slack only while the slack fits under `max_memory`. Loading checks the stored vectors and the
 * stored `max_memory` the same way before allocating them. growth_index_compact() builds a copy
 * beside the index, so it needs up to twice the memory of the live vectors for a moment.
 *
 * Filters: a filtered search returns min(k, matching live items) results, whatever the kind
 * (the same holds for the live items left among removed ones). Flat search is exact among the
 * matching items. HNSW and IVF first bound the number of matching items: the allow-list length,
 * the bitmap's popcount, or, for a callback alone, its share on 256 slots spread over the index
 * (the callback is called on them). When that bound is at most max(k, filter_exact x slots),
 * where slots counts live and not yet compacted removed items, or so small that the approximate
 * search is expected to cost more than scoring the items the filter keeps (HNSW:
 * 8 x max(ef, k) x slots / bound > bound; IVF: k x slots / bound > bound), the matching items
 * are scored exactly (Lucene's fallback), so the results are the exact top k. Otherwise HNSW
 * walks the graph
 * with the filter applied during the traversal (every node can be stepped through, only
 * matching nodes enter the ef-long result list), switches to exact scoring once it has scored
 * more nodes than the bound, and re-runs exactly when it ends with fewer than k results; IVF
 * scans the nprobe nearest lists and then further lists, nearest first, until k items have
 * matched. Ties at the k-th score may be broken either way.
 *
 * k: k = 0 is ::GROWTH_EINVAL. k larger than the number of (matching) live vectors is not an
 * error: growth_index_search() returns fewer results and says how many in `*out_n`;
 * growth_index_search_batch() pads each row with id -1 and score NaN. Searching an index with
 * no live vector is ::GROWTH_ESTATE.
 *
 * Output buffers and counts (the library-wide ::GROWTH_EBUFS rule): a call that fills a buffer
 * of `cap` entries and reports a count in `size_t *out_n` (which may be NULL) stores the number
 * of entries written on ::GROWTH_OK; when `cap` is too small it returns ::GROWTH_EBUFS, stores the
 * exact capacity that suffices in `*out_n` and writes nothing into the output buffers; on any
 * other failure `*out_n` is 0.
 *
 * Progress and cancellation: growth_index_set_progress() installs a ::growth_progress_fn that
 * growth_index_train() (stage "train": after each k-means iteration), growth_index_add() (stage
 * "train" when an IVF index trains on its first add, then "add": after each chunk of at most
 * 256 vectors, the last time with done = 1) and growth_index_compact() (stage "compact") call
 * from the calling thread, between steps, without holding the index's reader/writer lock (the
 * callback may search the index, but must not call a mutating function of the same index). A
 * non-zero return stops the call with ::GROWTH_ECANCELED and the index exactly as before the
 * call: same vectors, ids, graph, centroids, counters and memory (growth_index_stats_get()),
 * same next automatic id and the same random state (a later add gives the same graph as if the
 * canceled one had never run). Searches running beside a canceled add may have returned some of
 * its vectors before they were taken back. To make that possible an HNSW add with a callback
 * keeps an undo record of the graph rows of existing nodes it changes (each such row at most
 * once); if memory for that record runs out, the back-link that needed it is skipped (the graph
 * stays valid, slightly sparser) rather than failing.
 *
 * BLAS: exact batches and IVF training/assignment call OpenBLAS's sgemm, which follows the
 * process's own OpenBLAS thread setting (OPENBLAS_NUM_THREADS or openblas_set_num_threads());
 * with threads > 1 here, set it to 1 to avoid oversubscription. Single-query search does not
 * use BLAS.
 *
 * Thread-safety: searches, growth_index_get(), growth_index_dedup(), growth_index_mmr(),
 * growth_index_stats_get() and saves are read-only: any number of threads may run them at once (they
 * share a reader lock and never block each other; each thread keeps its own scratch, so the
 * search hot path does not allocate after a thread's first call). Mutating calls (add, remove,
 * compact, train, set_config, set_progress) may be called from any thread at any time: they serialise among
 * themselves and take the lock exclusively, in chunks of at most 256 vectors for adds, so
 * searches running beside a large add see the vectors added so far. Do not free the handle
 * while other threads use it.
 *
 * @code
 * growth_index *ix;
 * if (growth_index_create(&ix, "dim=128 metric=cosine kind=hnsw M=16 ef_construction=200") != GROWTH_OK)
 *     fprintf(stderr, "%s\n", growth_last_error());
 * growth_index_add(ix, item_vectors, n_items, item_ids);
 * int64_t ids[10]; float scores[10]; size_t n;
 * growth_index_search(ix, user_vector, 10, NULL, ids, scores, 10, &n);
 * growth_index_stats st = GROWTH_INDEX_STATS_INIT;
 * growth_index_stats_get(ix, &st);                 // st.count live vectors, st.memory_bytes ...
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
 * @brief Sizes of an index, filled by growth_index_stats_get(). Initialise with
 *        ::GROWTH_INDEX_STATS_INIT; members are only ever appended (a caller built with the
 *        first 1.0 layout, 40 bytes up to memory_bytes, gets those members).
 */
typedef struct growth_index_stats {
    uint32_t struct_size;  /**< sizeof(growth_index_stats) (::GROWTH_INDEX_STATS_INIT sets it) */
    uint32_t reserved;     /**< 0 */
    uint64_t count;        /**< live vectors */
    uint64_t deleted;      /**< removed vectors whose slots growth_index_compact() has not freed yet */
    uint64_t dim;          /**< vector dimension */
    uint64_t memory_bytes; /**< bytes of memory the index holds (vectors, codes, ids, graph, lists, id map) */
    uint64_t
        code_bytes; /**< bytes of a vector's scanned form: 4 dim (float), 2 dim (fp16), pq_m (pq) (since 1.0, appended) */
    uint64_t
        bytes_per_vector; /**< memory_bytes / count rounded up, everything included; 0 when empty (since 1.0, appended) */
} growth_index_stats;

/** Initialiser of ::growth_index_stats. */
#define GROWTH_INDEX_STATS_INIT GROWTH_STRUCT_INIT(growth_index_stats)

/**
 * @brief Creates an empty index from a configuration string (see the table above).
 * @param[out] out the new handle.
 * @param config  e.g. "dim=128 metric=cosine kind=hnsw M=16 ef_construction=200 ef=64".
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming a missing, unknown or bad key; ::GROWTH_ENOMEM
 *         (also when the IVF centroids alone exceed physical memory or `max_memory`).
 * @since 1.0
 */
GROWTH_API int growth_index_create(growth_index **out, const char *config);

/** @brief Frees an index; NULL is allowed. @since 1.0 */
GROWTH_API void growth_index_free(growth_index *h);

/**
 * @brief Effective configuration ("dim=128 metric=cosine kind=hnsw ...").
 * @param[out] buf   `cap` bytes, NUL-terminated.
 * @param[out] out_n length + 1 (bytes including the NUL), also on ::GROWTH_EBUFS (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_EBUFS when `cap` is below
 *         `*out_n` (nothing written).
 * @since 1.0
 */
GROWTH_API int growth_index_config(const growth_index *h, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Changes search-time settings: any of `ef`, `nprobe`, `threads`, `rescore`, `filter_exact`,
 *        `rerank` (1..100000, only for an index created with rerank > 0: the others keep no float
 *        vectors) and `max_memory` (0 removes the cap; a cap below the memory held refuses later
 *        adds only).
 * @param config e.g. "ef=128"; other keys are ::GROWTH_EINVAL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, unknown key, bad value; nothing changed).
 * @since 1.0
 */
GROWTH_API int growth_index_set_config(growth_index *h, const char *config);

/**
 * @brief Installs (or with fn = NULL removes) the progress callback of growth_index_train(),
 *        growth_index_add() and growth_index_compact() (see "Progress and cancellation" above).
 * @param fn   called as fn(stage, done, user); a non-zero return cancels the running call.
 * @param user passed to `fn`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle.
 * @since 1.0
 */
GROWTH_API int growth_index_set_progress(growth_index *h, growth_progress_fn fn, void *user);

/**
 * @brief Trains the IVF coarse quantiser (k-means) on `n` >= nlist sample vectors and, with
 *        storage=pq, the PQ codebooks on at most `pq_train` of them (n >= 256; IVF-PQ: on their
 *        residuals to the new centroids).
 *
 * Only for kind=ivf or storage=pq, and only while the index is empty. Samples are not added.
 * Reports progress after each k-means iteration and each trained sub-quantiser (stage "train").
 * @param x n x dim floats, row-major, finite.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, NaN/Inf, n < nlist, n < 256 with storage=pq,
 *         k-means diverged); ::GROWTH_ESTATE (neither kind=ivf nor storage=pq, or the index
 *         already holds vectors); ::GROWTH_ENOMEM;
 *         ::GROWTH_ECANCELED (the progress callback stopped it; the index is as before).
 * @since 1.0
 */
GROWTH_API int growth_index_train(growth_index *h, const float *x, size_t n);

/**
 * @brief Adds `n` vectors.
 *
 * Validation precedes any change; a failed or canceled add leaves the index exactly as before.
 * @param x   n x dim floats, row-major; NaN or Inf is ::GROWTH_EINVAL.
 * @param ids n ids >= 0, unique among themselves and the live vectors (::GROWTH_EINVAL names a
 *            duplicate); NULL assigns 1 + the largest id seen (0 for the first).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (also a value beyond +-65504 with storage=fp16);
 *         ::GROWTH_ESTATE for an untrained IVF index given fewer than nlist vectors, or an
 *         untrained storage=pq index given fewer than 256; ::GROWTH_ENOMEM, also when the index would then hold more than
 *         physical memory or `max_memory` (the message names the bytes needed; the index is
 *         as before); ::GROWTH_ECANCELED (the progress callback stopped it; the index is as
 *         before).
 * @since 1.0
 */
GROWTH_API int growth_index_add(growth_index *h, const float *x, size_t n, const int64_t *ids);

/**
 * @brief Removes vectors by id (tombstones: they stop being returned at once).
 *
 * Absent ids (never added, already removed, negative) are not an error; an id listed twice is
 * removed once.
 * @param ids n ids (may be NULL when n = 0).
 * @param[out] out_removed how many vectors were removed (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, NULL ids with n > 0).
 * @since 1.0
 */
GROWTH_API int growth_index_remove(growth_index *h, const int64_t *ids, size_t n, size_t *out_removed);

/**
 * @brief Drops removed vectors and frees their memory; HNSW rebuilds its graph. The new
 *        storage is built aside and swapped in at the end (progress stage "compact").
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_ENOMEM;
 *         ::GROWTH_ECANCELED (the index is as before).
 * @since 1.0
 */
GROWTH_API int growth_index_compact(growth_index *h);

/**
 * @brief The `k` best items for one query.
 * @param q       dim floats, finite.
 * @param k       >= 1; larger than the matching items gives fewer results (see `out_n`).
 * @param filter  NULL or a filter (see ::growth_id_filter).
 * @param[out] out_ids    best first; `cap` >= k entries.
 * @param[out] out_scores same order (may be NULL).
 * @param cap     length of `out_ids` (and `out_scores`): at least k.
 * @param[out] out_n number of results written (<= k; may be NULL); on ::GROWTH_EBUFS: k, the
 *                   capacity the call needs (nothing is written then); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, k = 0, NaN/Inf, bad filter); ::GROWTH_EBUFS if
 *         cap < k; ::GROWTH_ESTATE if the index holds no live vector; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_index_search(const growth_index *h, const float *q, size_t k,
                                   const growth_id_filter *filter, int64_t *out_ids, float *out_scores,
                                   size_t cap, size_t *out_n);

/**
 * @brief The `k` best items for each of `nq` queries, on `threads` threads.
 *
 * Layout: `q` is nq x dim floats, row-major. Result row i (query i) is
 * `out_ids[i * k .. i * k + k)` (and the same range of `out_scores`), best first; a row with
 * fewer than k results is padded at its end with id -1 and score NaN. The required capacity
 * follows from the arguments (cap >= nq * k), so there is no count: ::GROWTH_EBUFS when cap is
 * smaller, and nothing is written then.
 * @param filter  NULL or a filter applied to every query.
 * @param[out] out_ids    nq x k ids, row-major.
 * @param[out] out_scores nq x k scores (may be NULL).
 * @param cap     length of `out_ids` (and `out_scores`) in entries: >= nq * k.
 * @return ::GROWTH_OK (nq = 0 too); ::GROWTH_EINVAL (NULL, k = 0, NaN/Inf, bad filter, nq x k or
 *         nq x dim overflowing); ::GROWTH_EBUFS if cap < nq * k; ::GROWTH_ESTATE if the index
 *         holds no live vector; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_index_search_batch(const growth_index *h, const float *q, size_t nq, size_t k,
                                         const growth_id_filter *filter, int64_t *out_ids, float *out_scores,
                                         size_t cap);

/**
 * @brief De-duplicating re-rank: walks `ids` in order (best first) and drops each item whose
 *        cosine similarity with an item already kept exceeds `max_cos`.
 * @param ids     n live ids (may be NULL when n = 0).
 * @param scores  n scores carried along to `out_scores` (may be NULL).
 * @param max_cos threshold in [-1, 1], e.g. 0.95 drops near-duplicates.
 * @param[out] out_ids    kept ids in order (may be NULL only when cap = 0).
 * @param[out] out_scores their scores (written only when both `scores` and `out_scores` are set).
 * @param cap  length of `out_ids` (and `out_scores`): at least n.
 * @param[out] out_n number kept (may be NULL); on ::GROWTH_EBUFS: n, the capacity the call
 *                   needs (nothing is written then); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL; ::GROWTH_ENOTFOUND naming an id that is not live in the
 *         index; ::GROWTH_EBUFS if cap < n (checked after the ids); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_index_dedup(const growth_index *h, const int64_t *ids, const float *scores, size_t n,
                                  float max_cos, int64_t *out_ids, float *out_scores, size_t cap,
                                  size_t *out_n);

/**
 * @brief Maximal marginal relevance (Carbonell & Goldstein 1998): picks `k` of the `n`
 *        candidates greedily by  lambda * cos(q, x) - (1 - lambda) * max_{kept y} cos(x, y).
 * @param q      dim floats, finite.
 * @param ids    n live candidate ids (may be NULL when n = 0).
 * @param lambda in [0, 1]; 1 is pure relevance, 0 pure diversity.
 * @param k      >= 1.
 * @param[out] out_ids    the picks in order.
 * @param[out] out_scores the MMR value of each pick at the time it was picked (may be NULL).
 * @param cap    length of `out_ids` (and `out_scores`): >= min(k, n).
 * @param[out] out_n min(k, n) picks written (may be NULL); on ::GROWTH_EBUFS min(k, n), the
 *                   capacity needed (nothing is written then); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL; ::GROWTH_EBUFS; ::GROWTH_ENOTFOUND naming an id that is
 *         not live; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_index_mmr(const growth_index *h, const float *q, const int64_t *ids, size_t n,
                                float lambda, size_t k, int64_t *out_ids, float *out_scores, size_t cap,
                                size_t *out_n);

/**
 * @brief Copies the stored vector of `id` (normalised for metric=cosine) into `out`; for
 *        storage=fp16|pq without rerank, its reconstruction from the code.
 * @param cap length of `out`: >= dim.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_EBUFS if cap < dim;
 *         ::GROWTH_ENOTFOUND if the id is not live.
 * @since 1.0
 */
GROWTH_API int growth_index_get(const growth_index *h, int64_t id, float *out, size_t cap);

/**
 * @brief Sizes of the index (see ::growth_index_stats).
 * @param[out] out a struct initialised with ::GROWTH_INDEX_STATS_INIT; a caller built against
 *                 an older header (smaller struct_size, at least the 1.0 size) gets the members
 *                 it knows; `struct_size` is left as the caller set it.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or `out`, struct_size below the 1.0 size).
 * @since 1.0
 */
GROWTH_API int growth_index_stats_get(const growth_index *h, growth_index_stats *out);

/**
 * @brief Saves atomically (temp file, fsync, rename); model kind ::GROWTH_KIND_INDEX.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_EIO; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_index_save(const growth_index *h, const char *path);

/**
 * @brief Loads a file saved by growth_index_save().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_EIO if unreadable; ::GROWTH_EFORMAT if
 *         truncated, corrupted or of another kind; ::GROWTH_ENOMEM, also when the stored vectors
 *         exceed physical memory or the stored `max_memory` (checked before allocating them).
 * @since 1.0
 */
GROWTH_API int growth_index_load(growth_index **out, const char *path);

/**
 * @brief Serialises into a malloc'ed buffer (free with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_index_serialize(const growth_index *h, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds an index from growth_index_serialize() bytes.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_EFORMAT; ::GROWTH_ENOMEM (as
 *         growth_index_load()).
 * @since 1.0
 */
GROWTH_API int growth_index_deserialize(growth_index **out, const uint8_t *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_RECALL_H */
