/**
 * @file nets.h
 * @brief Dense networks (MLP, Wide&Deep) and DSSM two-tower text encoders, served on cblas.
 *
 * @defgroup nets Dense nets and DSSM towers
 * @{
 *
 * Models are trained elsewhere (PyTorch; see `growth.export` in the Python package) and loaded
 * from a libgrowth model file (kinds `net` and `dssm`, schema `src/proto/net.proto`).
 *
 * **Net** (::growth_net): a stack of layers — `dense` (weights and bias, like torch.nn.Linear),
 * `relu`, `tanh`, `sigmoid`, `identity` — applied to the concatenation of a dense input of
 * `dense_dim` floats and, for each categorical field, the sum or mean of its embedding rows for
 * the ids the row carries (torch.nn.EmbeddingBag). An optional wide part (a linear model over
 * hashed sparse features, `rows` slots) is added to the deep output before the output activation
 * (Wide&Deep, Cheng et al. 2016):
 *
 *     out = output_activation(layers(concat(x, pool(E_0, ids_0), pool(E_1, ids_1) ...)) + W_wide^T v + b_wide)
 *
 * **DSSM** (::growth_dssm; Huang et al., CIKM 2013): text is word-hashed by
 * growth_features_hash_text() into `buckets` slots, then a query tower or an item tower (dense layers,
 * usually tanh) maps it to a vector, which is L2-normalised; the cosine of a query vector and an
 * item vector is their dot product.
 *
 * **Workspaces and threads.** Loaded models are read-only: any number of threads may run
 * inference on one model at once. Each thread needs its own workspace
 * (::growth_net_workspace, from growth_net_workspace_create() or growth_dssm_workspace_create()):
 * it holds every intermediate buffer, so inference allocates nothing per call. A workspace must
 * not be used by two threads at once; it may serve several models whose sizes it fits.
 * Single rows run on the library's own loops (no BLAS call, no BLAS threads); batches run
 * `cblas_sgemm` over chunks of `batch` rows. The library never changes OpenBLAS's thread count,
 * which is process-global: set `OPENBLAS_NUM_THREADS=1` (or call openblas_set_num_threads()
 * once) for a server that runs one batch per thread.
 *
 * Workspace configuration keys:
 * | key   | default | meaning |
 * |-------|---------|---------|
 * | batch | 256     | rows per sgemm chunk (1..65536); batch calls take any number of rows |
 * | max_memory | 0    | bytes the workspace may take (2 x batch x the model's widest layer floats), an integer; 0 = no cap beyond the machine's physical memory. A larger need is ::GROWTH_ENOMEM naming the bytes, before allocating |
 *
 * @code
 * growth_net *net = NULL;
 * growth_net_workspace *ws = NULL;
 * if (growth_net_load(&net, "ranker.net") != GROWTH_OK ||
 *     growth_net_workspace_create(&ws, net, "batch=256") != GROWTH_OK) {
 *     fprintf(stderr, "%s\n", growth_last_error());
 *     return 1;
 * }
 * float x[512], score;
 * growth_net_predict(net, ws, x, 512, &score, 1);          // one row, allocation-free
 * growth_net_workspace_free(ws);
 * growth_net_free(net);
 * @endcode
 */
#ifndef GROWTH_NETS_H
#define GROWTH_NETS_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded dense network (opaque, read-only after load). */
typedef struct growth_net growth_net;

/** A loaded DSSM model with a query tower and an item tower (opaque, read-only after load). */
typedef struct growth_dssm growth_dssm;

/** Per-thread scratch memory for inference (opaque). */
typedef struct growth_net_workspace growth_net_workspace;

/** The tower of a DSSM that growth_dssm_encode() runs. */
typedef enum growth_dssm_tower {
    GROWTH_DSSM_QUERY = 0, /**< the query tower */
    GROWTH_DSSM_ITEM = 1   /**< the item tower */
} growth_dssm_tower;

/**
 * @brief Input and output sizes of a net (growth_net_stats_get()).
 *
 * Initialise with ::GROWTH_NET_STATS_INIT; members are only ever appended.
 */
typedef struct growth_net_stats {
    uint32_t struct_size; /**< sizeof(growth_net_stats) (::GROWTH_NET_STATS_INIT sets it) */
    uint32_t reserved;    /**< 0 */
    uint64_t dense_dim;   /**< width of the dense input */
    uint64_t fields;      /**< categorical fields with an embedding table */
    uint64_t wide_rows;   /**< slots of the wide part (0 without one) */
    uint64_t out_dim;     /**< outputs per row */
} growth_net_stats;

/** Initialiser of ::growth_net_stats (struct_size set, the rest zero). */
#define GROWTH_NET_STATS_INIT GROWTH_STRUCT_INIT(growth_net_stats)

/**
 * @brief Sizes and word-hashing parameters of a DSSM (growth_dssm_stats_get()).
 *
 * Initialise with ::GROWTH_DSSM_STATS_INIT; members are only ever appended.
 */
typedef struct growth_dssm_stats {
    uint32_t struct_size; /**< sizeof(growth_dssm_stats) (::GROWTH_DSSM_STATS_INIT sets it) */
    uint32_t buckets;     /**< word-hashing buckets (the `buckets` of growth_features_hash_text()) */
    uint64_t dim;         /**< embedding width */
    uint64_t seed;        /**< word-hashing seed (the `seed` of growth_features_hash_text()) */
} growth_dssm_stats;

/** Initialiser of ::growth_dssm_stats (struct_size set, the rest zero). */
#define GROWTH_DSSM_STATS_INIT GROWTH_STRUCT_INIT(growth_dssm_stats)

/* ---- Net ----------------------------------------------------------------------------------- */

/**
 * @brief Loads a net from a model file of kind `net`.
 *
 * Every dimension, layer type and array length is validated against the others before anything
 * is allocated from it; NaN or Inf weights are rejected.
 * @param[out] out the new net (unchanged on failure).
 * @param path     file written by growth_net_save() or the Python exporter.
 * @return ::GROWTH_OK; ::GROWTH_EIO if the file cannot be read; ::GROWTH_EFORMAT if it is not a
 *         valid net file (wrong kind, truncated, corrupted, unknown layer type, inconsistent
 *         widths, NaN/Inf weights); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_net_load(growth_net **out, const char *path);

/**
 * @brief Loads a net from the bytes of a model file (see growth_net_load()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EFORMAT for bytes that are
 *         not a valid net model; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_net_deserialize(growth_net **out, const uint8_t *buf, size_t len);

/**
 * @brief Saves a net atomically (temporary file, fsync, rename).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         written; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_net_save(const growth_net *net, const char *path);

/**
 * @brief The bytes of the model file in a malloc'ed buffer (release with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_net_serialize(const growth_net *net, uint8_t **out_buf, size_t *out_len);

/** @brief Frees a net; NULL is allowed. Workspaces stay valid for other nets. @since 1.0 */
GROWTH_API void growth_net_free(growth_net *net);

/**
 * @brief Describes the architecture, e.g.
 *        `dense_dim=512 embeddings= layers=dense:512x256,relu,dense:256x1 wide= output=sigmoid`.
 * @param[out] buf   `cap` bytes, NUL-terminated (may be NULL when `cap` is 0).
 * @param[out] out_n if not NULL: on ::GROWTH_OK the bytes written including the NUL; on
 *                   ::GROWTH_EBUFS the capacity needed (buf is then not written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `net`; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_net_config(const growth_net *net, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Input and output sizes of the net.
 * @code
 * growth_net_stats s = GROWTH_NET_STATS_INIT;
 * growth_net_stats_get(net, &s);   // rows of s.dense_dim floats give s.out_dim outputs
 * @endcode
 * @param[out] out filled up to its `struct_size` (at least the 1.0 size of the struct).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `net` or `out`, or a `struct_size` below the
 *         1.0 size.
 * @since 1.0
 */
GROWTH_API int growth_net_stats_get(const growth_net *net, growth_net_stats *out);

/**
 * @brief Creates a workspace sized for `net` (see the key table above).
 * @param[out] out the new workspace (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a bad or unknown key;
 *         ::GROWTH_ENOMEM (also when batch x width exceeds physical memory or `max_memory`).
 * @since 1.0
 */
GROWTH_API int growth_net_workspace_create(growth_net_workspace **out, const growth_net *net,
                                           const char *config);

/** @brief Frees a workspace; NULL is allowed. @since 1.0 */
GROWTH_API void growth_net_workspace_free(growth_net_workspace *ws);

/**
 * @brief Outputs of one row with a dense input only (categorical fields and the wide part, if
 *        the net has them, see no ids).
 * @param ws   a workspace that fits the net, used by this thread only.
 * @param x    `n` finite floats; `n` must equal the net's dense_dim.
 * @param[out] out `cap` >= out_dim floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULLs, a wrong width, NaN/Inf input or a workspace too
 *         small for the net; ::GROWTH_EBUFS if `cap` < out_dim.
 * @since 1.0
 */
GROWTH_API int growth_net_predict(const growth_net *net, growth_net_workspace *ws, const float *x, size_t n,
                                  float *out, size_t cap);

/**
 * @brief Outputs of `nrows` rows (row-major `nrows x ncols`, `ncols` = dense_dim), with sgemm
 *        over chunks of the workspace's `batch` rows.
 * @param[out] out nrows x out_dim floats, row-major; `cap` is its length in floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULLs, a wrong width, NaN/Inf input, sizes that
 *         overflow or a workspace too small for the net; ::GROWTH_EBUFS if `cap` < nrows x
 *         out_dim.
 * @since 1.0
 */
GROWTH_API int growth_net_predict_dense(const growth_net *net, growth_net_workspace *ws, const float *x,
                                        size_t nrows, size_t ncols, float *out, size_t cap);

/**
 * @brief Outputs of one Wide&Deep row: dense input, categorical ids and wide features.
 * @param x         dense input, `n` = dense_dim floats (may be NULL when dense_dim is 0).
 * @param cat_field `ncat` field numbers (< fields); pair k adds embedding row `cat_id[k]` of
 *                  field `cat_field[k]` to that field's pool. A field without ids pools to 0.
 * @param cat_id    `ncat` ids (< the field's rows).
 * @param wide_idx  `nwide` wide slots (< wide_rows); ignored (must be 0 pairs) without a wide part.
 * @param wide_val  `nwide` finite values, or NULL for all ones.
 * @param[out] out  `cap` >= out_dim floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULLs, a wrong width, NaN/Inf values, a field, id
 *         or slot out of range, or a workspace too small; ::GROWTH_EBUFS if `cap` < out_dim.
 * @since 1.0
 */
GROWTH_API int growth_net_predict_wide_deep(const growth_net *net, growth_net_workspace *ws, const float *x,
                                            size_t n, const uint32_t *cat_field, const uint32_t *cat_id,
                                            size_t ncat, const uint32_t *wide_idx, const float *wide_val,
                                            size_t nwide, float *out, size_t cap);

/**
 * @brief Batch form of growth_net_predict_wide_deep(): row r has dense input
 *        `x[r*ncols .. +ncols)`, categorical pairs `[cat_indptr[r], cat_indptr[r+1])` and wide
 *        pairs `[wide_indptr[r], wide_indptr[r+1])` (CSR; indptr arrays have nrows + 1 entries,
 *        non-decreasing; either indptr may be NULL for no pairs).
 * @param[out] out nrows x out_dim floats, row-major; `cap` is its length in floats.
 * @return as growth_net_predict_wide_deep(), also ::GROWTH_EINVAL for a decreasing indptr;
 *         ::GROWTH_EBUFS if `cap` < nrows x out_dim.
 * @since 1.0
 */
GROWTH_API int growth_net_predict_wide_deep_csr(const growth_net *net, growth_net_workspace *ws,
                                                const float *x, size_t nrows, size_t ncols,
                                                const uint64_t *cat_indptr, const uint32_t *cat_field,
                                                const uint32_t *cat_id, const uint64_t *wide_indptr,
                                                const uint32_t *wide_idx, const float *wide_val, float *out,
                                                size_t cap);

/* ---- DSSM ---------------------------------------------------------------------------------- */

/**
 * @brief Loads a DSSM from a model file of kind `dssm` (validated like growth_net_load()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO if the file cannot be
 *         read; ::GROWTH_EFORMAT if it is not a valid DSSM file; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_dssm_load(growth_dssm **out, const char *path);

/**
 * @brief Loads a DSSM from the bytes of a model file.
 * @return as growth_dssm_load(), without ::GROWTH_EIO.
 * @since 1.0
 */
GROWTH_API int growth_dssm_deserialize(growth_dssm **out, const uint8_t *buf, size_t len);

/**
 * @brief Saves a DSSM atomically.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_EIO when the file cannot be
 *         written; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_dssm_save(const growth_dssm *d, const char *path);

/**
 * @brief The model-file bytes in a malloc'ed buffer (release with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_dssm_serialize(const growth_dssm *d, uint8_t **out_buf, size_t *out_len);

/** @brief Frees a DSSM; NULL is allowed. @since 1.0 */
GROWTH_API void growth_dssm_free(growth_dssm *d);

/**
 * @brief Describes the model: `buckets=30000 seed=0 query=dense:30000x300,tanh,... item=...`.
 * @param[out] buf, out_n as for growth_net_config().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `d`; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_dssm_config(const growth_dssm *d, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Embedding width and word-hashing parameters of the DSSM.
 * @param[out] out filled up to its `struct_size` (at least the 1.0 size of the struct).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `d` or `out`, or a `struct_size` below the
 *         1.0 size.
 * @since 1.0
 */
GROWTH_API int growth_dssm_stats_get(const growth_dssm *d, growth_dssm_stats *out);

/**
 * @brief Creates a workspace sized for `d` (keys as for growth_net_workspace_create()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or a bad or unknown key;
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_dssm_workspace_create(growth_net_workspace **out, const growth_dssm *d,
                                            const char *config);

/**
 * @brief L2-normalised embeddings of `n` texts through one tower.
 *
 * Texts are hashed on the fly (no allocation); the first layer adds the weight rows of the
 * hashed slots, later layers run one row at a time for n = 1 and with sgemm over chunks of the
 * workspace's `batch` rows otherwise. Batch-encode a catalogue with `tower` = ::GROWTH_DSSM_ITEM
 * to fill an embedding matrix for a vector index (cosine = inner product).
 * @param tower ::GROWTH_DSSM_QUERY or ::GROWTH_DSSM_ITEM (other values are ::GROWTH_EINVAL).
 * @param texts `n` NUL-terminated UTF-8 strings.
 * @param[out] out n x dim floats, row-major; `cap` is its length in floats.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULLs, an unknown tower or a workspace too small for
 *         the model; ::GROWTH_EBUFS if `cap` < n x dim.
 * @since 1.0
 */
GROWTH_API int growth_dssm_encode(const growth_dssm *d, growth_net_workspace *ws, growth_dssm_tower tower,
                                  const char *const *texts, size_t n, float *out, size_t cap);

/**
 * @brief Cosine similarity of one query and each of `n` items (query tower vs item tower).
 * @param[out] out `cap` >= n scores in [-1, 1].
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULLs or a workspace too small for the model;
 *         ::GROWTH_EBUFS if `cap` < n.
 * @since 1.0
 */
GROWTH_API int growth_dssm_score(const growth_dssm *d, growth_net_workspace *ws, const char *query,
                                 const char *const *items, size_t n, float *out, size_t cap);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_NETS_H */
