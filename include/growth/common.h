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
#define GROWTH_VERSION_NUMBER \
    (GROWTH_VERSION_MAJOR * 10000 + GROWTH_VERSION_MINOR * 100 + GROWTH_VERSION_PATCH)
/** @} */

/** @name Status codes (never renumbered) */
/** @{ */
#define GROWTH_OK 0       /**< success */
#define GROWTH_EINVAL -1  /**< invalid argument: NULL, wrong size, NaN, bad configuration */
#define GROWTH_ENOMEM -2  /**< out of memory, or a size limit would be exceeded */
#define GROWTH_EIO -3     /**< reading or writing a file failed */
#define GROWTH_EFORMAT -4 /**< a file or buffer is corrupted, truncated, or of another kind/version */
#define GROWTH_EBUFS -5   /**< the caller's output buffer is too small */
#define GROWTH_ESTATE -6  /**< the call is not valid in the handle's current state */
#define GROWTH_EDEP -7    /**< a dependency (xgboost, BLAS, protobuf-c) failed */
#define GROWTH_ENOTFOUND -8 /**< an id, key or arm does not exist */
/** @} */

/** @name Model kinds stored in the model-file envelope (never renumbered) */
/** @{ */
#define GROWTH_KIND_UNKNOWN 0 /**< not a libgrowth model file, or a kind this version does not know */
#define GROWTH_KIND_FTRL 1 /**< an FTRL model (growth_ftrl_save()) */
#define GROWTH_KIND_FTRL_WEIGHTS 2 /**< sparse export of an FTRL model's non-zero weights */
#define GROWTH_KIND_FOREST 3 /**< a gradient-boosted forest (growth_forest_save()) */
#define GROWTH_KIND_NET 4 /**< a dense net: MLP or Wide&Deep (growth_net_save()) */
#define GROWTH_KIND_DSSM 5 /**< a DSSM tower (growth_dssm_save()) */
#define GROWTH_KIND_CALIBRATOR 6 /**< a fitted calibrator (growth_calibrator_save()) */
#define GROWTH_KIND_BANDIT 7 /**< a bandit snapshot (growth_bandit_save()) */
#define GROWTH_KIND_INDEX 8 /**< a vector index (growth_index_save()) */
#define GROWTH_KIND_TEXT_INDEX 9 /**< a BM25 text index (growth_text_save()) */
#define GROWTH_KIND_BIDDER 10 /**< a bidder with its pacing state (growth_bidder_save()) */
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
GROWTH_API const char *growth_kind_name(int kind);

/**
 * @brief 64-bit hash of a byte string (the hash used for feature hashing and checksums).
 *
 * Stable across platforms and releases: the same bytes and seed give the same value everywhere,
 * so Python, Java and C compute the same feature indices.
 * @since 1.0
 */
GROWTH_API uint64_t growth_hash64(const void *data, size_t len, uint64_t seed);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_COMMON_H */
