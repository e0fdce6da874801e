/**
 * @file features.h
 * @brief Hashed sparse features: (field, value) strings, numeric values and crosses -> indices.
 *
 * @defgroup features Features: hashing and row building
 * @{
 *
 * A feature is hashed into one of 2^bits slots. A categorical feature `(field, value)` becomes
 * slot `hash(value, seed = hash(field, seed))` with value 1; a numeric feature `field` becomes
 * slot `hash(field)` with the number as its value; a cross of several categorical features
 * hashes the ordered pairs together. The same strings give the same slots in C, Python and
 * Java, on every platform.
 *
 * A ::growth_row is a reusable builder: clear it per request, add features, pass its
 * indices/values to a scorer. Once it has grown to the largest row it sees, it never allocates.
 *
 * @code
 * growth_row *row = NULL;
 * growth_row_create(&row, "bits=24 seed=0");
 * growth_row_clear(row);
 * growth_row_add_cat(row, "user_city", "hangzhou");
 * growth_row_add_num(row, "price_log", 3.2f);
 * const char *f[] = {"user_city", "item_cat"}, *v[] = {"hangzhou", "shoes"};
 * growth_row_add_cross(row, f, v, 2);
 * growth_ftrl_predict(model, growth_row_indices(row), growth_row_values(row),
 *                     growth_row_size(row), 0, p, 1);
 * @endcode
 *
 * Thread-safety: a ::growth_row is used by one thread at a time; the free functions are pure.
 */
#ifndef GROWTH_FEATURES_H
#define GROWTH_FEATURES_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A reusable sparse-row builder (opaque). */
typedef struct growth_row growth_row;

/**
 * @brief Slot of a categorical feature `(field, value)` in a table of 2^bits slots.
 * @param[out] out_index slot in [0, 2^bits).
 * @param bits 1..32.
 * @return ::GROWTH_OK, or ::GROWTH_EINVAL for NULL strings or bits outside 1..32.
 * @since 1.0
 */
GROWTH_API int growth_features_hash(uint32_t *out_index, const char *field, const char *value,
                                   uint64_t seed, unsigned bits);

/**
 * @brief Slot of a cross of `n` categorical features (ordered: (a,b) differs from (b,a)).
 * @since 1.0
 */
GROWTH_API int growth_features_hash_cross(uint32_t *out_index, const char *const *fields,
                                         const char *const *values, size_t n, uint64_t seed,
                                         unsigned bits);

/**
 * @brief Creates a row builder. Config keys: `bits` (1..32, default 24), `seed` (default 0),
 *        `capacity` (initial number of entries, default 64), `dedup` (merge equal slots by
 *        adding their values when the row is read, default false).
 * @since 1.0
 */
GROWTH_API int growth_row_create(growth_row **out, const char *config);

/** @brief Frees a row builder; NULL is allowed. @since 1.0 */
GROWTH_API void growth_row_free(growth_row *row);

/** @brief Empties the row, keeping its memory. @since 1.0 */
GROWTH_API void growth_row_clear(growth_row *row);

/** @brief Adds categorical feature `(field, value)` with value 1. @since 1.0 */
GROWTH_API int growth_row_add_cat(growth_row *row, const char *field, const char *value);

/**
 * @brief Adds numeric feature `field` with value `x` (finite; NaN/Inf is ::GROWTH_EINVAL).
 * @since 1.0
 */
GROWTH_API int growth_row_add_num(growth_row *row, const char *field, float x);

/** @brief Adds the cross of `n` >= 2 categorical features with value 1. @since 1.0 */
GROWTH_API int growth_row_add_cross(growth_row *row, const char *const *fields,
                                    const char *const *values, size_t n);

/** @brief Adds an already-hashed slot (must be < 2^bits) with a finite value. @since 1.0 */
GROWTH_API int growth_row_add_index(growth_row *row, uint32_t index, float x);

/** @brief Number of entries in the row. @since 1.0 */
GROWTH_API size_t growth_row_size(const growth_row *row);

/** @brief Slots of the row (valid until the row is changed; NULL for a NULL row). @since 1.0 */
GROWTH_API const uint32_t *growth_row_indices(const growth_row *row);

/** @brief Values of the row, parallel to growth_row_indices(). @since 1.0 */
GROWTH_API const float *growth_row_values(const growth_row *row);

/** @brief Effective configuration of the row builder ("bits=24 seed=0 ..."). @since 1.0 */
GROWTH_API int growth_row_config(const growth_row *row, char *buf, size_t cap, size_t *needed);

/**
 * @brief Word hashing of a text into sorted, distinct slots with their counts.
 *
 * UTF-8 aware. ASCII letters are lower-cased; ASCII non-alphanumerics and Unicode spaces and CJK
 * punctuation separate words; invalid UTF-8 bytes count as separators. A word `w` gives the
 * letter trigrams (over code points) of `#w#`: `good` -> `#go goo ood od#`. CJK characters
 * (Han, kana, Hangul) give each character and each pair of adjacent characters. Each n-gram's
 * UTF-8 bytes go to slot `growth_hash64(bytes, len, seed) % buckets`.
 * @param text     NUL-terminated UTF-8.
 * @param buckets  number of slots, 1..2^31.
 * @param[out] idx ascending distinct slots (`cap` entries).
 * @param[out] val their counts (`cap` entries).
 * @param[out] out_n number of slots written; on ::GROWTH_EBUFS the capacity that suffices.
 * @since 1.0
 */
GROWTH_API int growth_features_hash_text(const char *text, uint32_t buckets, uint64_t seed,
                                     uint32_t *idx, float *val, size_t cap, size_t *out_n);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_FEATURES_H */
