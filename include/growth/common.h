/**
 * @file common.h
 * @brief Status codes, error messages, versions and model files shared by every module.
 *
 * @defgroup common Common: status codes, errors, versions, model files
 * @{
 *
 * Every libgrowth function that can fail returns an `int`: ::GROWTH_OK (0) or one of the
 * negative codes below. The codes are part of the ABI and are never renumbered. After a failure,
 * growth_last_error() returns a message with context for the calling thread.
 *
 * @code
 * growth_ftrl *m = NULL;
 * int rc = growth_ftrl_create(&m, "alpha=0.05 beta=1 l1=1 l2=1 bits=24");
 * if (rc != GROWTH_OK)
 *     fprintf(stderr, "%s: %s\n", growth_strerror(rc), growth_last_error());
 * @endcode
 */
#ifndef GROWTH_COMMON_H
#define GROWTH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/**
 * @def GROWTH_API
 * @brief Marks a public function: exported (default visibility) when the library itself is
 *        built, nothing for users of the headers.
 */
#if defined(_WIN32) && defined(GROWTH_BUILDING)
#define GROWTH_API __declspec(dllexport)
#elif defined(GROWTH_BUILDING) && defined(__GNUC__)
#define GROWTH_API __attribute__((visibility("default")))
#else
#define GROWTH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @name Version of the headers (compare with growth_version_number() at run time). */
/** @{ */
#define GROWTH_VERSION_MAJOR 1 /**< major version of these headers (a change means a new SONAME) */
#define GROWTH_VERSION_MINOR 0 /**< minor version: new symbols in a new version node, nothing removed */
#define GROWTH_VERSION_PATCH 0 /**< patch version: fixes only, no ABI change */
/** major * 10000 + minor * 100 + patch */
#define GROWTH_VERSION_NUMBER                                                                                \
    (GROWTH_VERSION_MAJOR * 10000 + GROWTH_VERSION_MINOR * 100 + GROWTH_VERSION_PATCH)
/** @} */

/** @name Status codes (never renumbered) */
/** @{ */
#define GROWTH_OK        0  /**< success */
#define GROWTH_EINVAL    -1 /**< invalid argument: NULL, wrong size, NaN, bad configuration */
#define GROWTH_ENOMEM    -2 /**< out of memory, or a size limit would be exceeded */
#define GROWTH_EIO       -3 /**< reading or writing a file failed */
#define GROWTH_EFORMAT   -4 /**< a file or buffer is corrupted, truncated, or of another kind/version */
#define GROWTH_EBUFS     -5 /**< the caller's output buffer is too small */
#define GROWTH_ESTATE    -6 /**< the call is not valid in the handle's current state */
#define GROWTH_EDEP      -7 /**< a dependency (xgboost, BLAS, protobuf-c) failed */
#define GROWTH_ENOTFOUND -8 /**< an id, key or arm does not exist */
#define GROWTH_ECANCELED                                                                                     \
    -9 /**< a progress callback asked a long call to stop; the handle is as before the call */
/** @} */

/** @name Model kinds stored in the model-file envelope (never renumbered) */
/** @{ */
#define GROWTH_KIND_UNKNOWN      0  /**< not a libgrowth model file, or a kind this version does not know */
#define GROWTH_KIND_FTRL         1  /**< an FTRL model (growth_ftrl_save()) */
#define GROWTH_KIND_FTRL_WEIGHTS 2  /**< sparse export of an FTRL model's non-zero weights */
#define GROWTH_KIND_FOREST       3  /**< a gradient-boosted forest (growth_forest_save()) */
#define GROWTH_KIND_NET          4  /**< a dense net: MLP or Wide&Deep (growth_net_save()) */
#define GROWTH_KIND_DSSM         5  /**< a DSSM tower (growth_dssm_save()) */
#define GROWTH_KIND_CALIBRATOR   6  /**< a fitted calibrator (growth_calibrator_save()) */
#define GROWTH_KIND_BANDIT       7  /**< a bandit snapshot (growth_bandit_save()) */
#define GROWTH_KIND_INDEX        8  /**< a vector index (growth_index_save()) */
#define GROWTH_KIND_TEXT_INDEX   9  /**< a BM25 text index (growth_text_save()) */
#define GROWTH_KIND_BIDDER       10 /**< a bidder with its pacing state (growth_bidder_save()) */
#define GROWTH_KIND_FM           11 /**< a factorization machine, FM or FFM (growth_fm_save()) */
#define GROWTH_KIND_UPLIFT       12 /**< an uplift model (growth_uplift_save()) */
/** @} */

/**
 * @brief Static, human-readable name of a status code ("invalid argument", ...).
 * @return never NULL; "unknown status" for a code outside the set.
 * @since 1.0
 */
GROWTH_API const char *growth_strerror(int code);

/**
 * @brief Message describing the last failure in the calling thread, with context.
 *
 * Valid after a call returned a negative status; not cleared by successful calls.
 * @return never NULL (an empty string when nothing failed yet); thread-local storage owned by
 *         the library, valid until the next failing call in the same thread.
 * @since 1.0
 */
GROWTH_API const char *growth_last_error(void);

/**
 * @brief Version string of the library that is running, e.g. "1.0.0".
 * @since 1.0
 */
GROWTH_API const char *growth_version(void);

/**
 * @brief Version of the running library as major * 10000 + minor * 100 + patch.
 *
 * Bindings check it at load time against the version they were written for.
 * @return the version number (never negative; compare with ::GROWTH_VERSION_NUMBER).
 * @since 1.0
 */
GROWTH_API int growth_version_number(void);

/**
 * @brief What a model file holds: validates the envelope (magic, version, length, checksum).
 *
 * @param path            file to inspect.
 * @param[out] out_kind   one of the GROWTH_KIND_* values.
 * @param[out] out_format_version  envelope format version of the file (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EIO if the file cannot be read; ::GROWTH_EFORMAT if it is not a
 *         libgrowth model file or is truncated or corrupted.
 * @since 1.0
 */
GROWTH_API int growth_model_kind(const char *path, int *out_kind, uint32_t *out_format_version);

/**
 * @brief Static name of a model kind ("ftrl", "forest", ...); "unknown" for other values.
 * @since 1.0
 */
GROWTH_API const char *growth_model_kind_name(int kind);

/**
 * @brief 64-bit hash of a byte string (the hash used for feature hashing and checksums).
 *
 * Stable across platforms and releases: the same bytes and seed give the same value everywhere,
 * so Python, Java and C compute the same feature indices.
 * @since 1.0
 */
GROWTH_API uint64_t growth_hash64(const void *data, size_t len, uint64_t seed);

/**
 * @brief Frees a buffer returned by any libgrowth serialiser (`growth_*_serialize`); NULL is
 *        allowed.
 * @since 1.0
 */
GROWTH_API void growth_buffer_free(void *buf);

/**
 * @def GROWTH_STRUCT_INIT
 * @brief Initialiser of a public struct `T` whose first member is `uint32_t struct_size`: sets
 *        it to `sizeof(T)` and every other member to zero. Each public struct has its own
 *        `GROWTH_<NAME>_INIT` built on it.
 */
#if defined(__cplusplus)
#define GROWTH_STRUCT_INIT(T)                                                                                \
    {                                                                                                        \
        static_cast<uint32_t>(sizeof(T))                                                                     \
    }
#else
#define GROWTH_STRUCT_INIT(T)                                                                                \
    {                                                                                                        \
        .struct_size = (uint32_t)sizeof(T)                                                                   \
    }
#endif

/** @name Flags of prediction calls (bits 0..7 are common; a module's own flags start at bit 8) */
/** @{ */
#define GROWTH_PREDICT_MARGIN 0x1u /**< raw margins (before the link function / the objective's transform) */
/** @} */

/**
 * @brief Filter callback: non-zero keeps the item `id`. Called from the thread that searches;
 *        `user` is growth_id_filter::user (the payload comes last in every libgrowth callback).
 */
typedef int (*growth_id_filter_fn)(int64_t id, void *user);

/**
 * @brief Restricts a search (vector index, text index) to some ids: an item is a candidate only
 *        if it passes every filter that is set (members NULL / 0: that filter is off).
 *
 * Initialise with ::GROWTH_ID_FILTER_INIT, then set what is needed:
 * @code
 * growth_id_filter f = GROWTH_ID_FILTER_INIT;
 * f.allow = in_stock_ids; f.n_allow = n_in_stock;          // strictly ascending
 * growth_index_search(ix, q, 10, &f, ids, scores, 10, &n);
 * @endcode
 */
typedef struct growth_id_filter {
    uint32_t struct_size;   /**< sizeof(growth_id_filter) (::GROWTH_ID_FILTER_INIT sets it) */
    uint32_t reserved;      /**< 0 */
    const int64_t *allow;   /**< allow-list of ids, strictly ascending (NULL: none) */
    size_t n_allow;         /**< length of `allow` */
    const uint8_t *bitmap;  /**< bit `id` (byte id/8, bit id%8, LSB first) must be 1 (NULL: none) */
    uint64_t bitmap_bits;   /**< bits in `bitmap`; ids at or above it are filtered out */
    growth_id_filter_fn fn; /**< callback (NULL: none) */
    void *user;             /**< passed to `fn` */
} growth_id_filter;

/** Initialiser of ::growth_id_filter: no filtering until members are set. */
#define GROWTH_ID_FILTER_INIT GROWTH_STRUCT_INIT(growth_id_filter)

/**
 * @brief Progress of a long call (solving, training, building), called from the working thread
 *        between steps.
 * @param stage short static name of the current stage ("hull", "round", "add" ...).
 * @param done  fraction done in [0, 1] (an estimate where the total is not known).
 * @param user  the pointer given with the callback (the payload comes last).
 * @return 0 to continue; anything else stops the call, which returns ::GROWTH_ECANCELED.
 */
typedef int (*growth_progress_fn)(const char *stage, double done, void *user);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_COMMON_H */
