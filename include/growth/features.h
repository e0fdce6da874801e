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
 * Fields: field-aware models (fm.h) need each entry's field. growth_row_set_fields() gives the
 * row an ordered list of up to 256 field names; from then on every entry records the index of
 * its field in that list (growth_row_fields()): growth_row_add_cat() and growth_row_add_num()
 * that of their field, growth_row_add_cross() that of its first member, and an unknown field
 * name is ::GROWTH_EINVAL. Slots do not depend on the field list: the same strings give the
 * same slots with or without it, and the same field indices in C, Python and Java for the same
 * list.
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
 * @param field, value NUL-terminated strings (the value "" with a field gives the slot of a
 *                     numeric feature, as growth_row_add_num()).
 * @param seed  hashing seed (the `seed` of a row builder).
 * @param bits  1..32.
 * @param[out] out_index slot in [0, 2^bits) (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or bits outside 1..32.
 * @since 1.0
 */
GROWTH_API int growth_features_hash(const char *field, const char *value, uint64_t seed, unsigned bits,
                                    uint32_t *out_index);

/**
 * @brief Slot of a cross of `n` categorical features (ordered: (a,b) differs from (b,a)).
 * @param fields, values `n` NUL-terminated strings each.
 * @param n     2..16.
 * @param seed  hashing seed; @param bits 1..32.
 * @param[out] out_index slot in [0, 2^bits) (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arrays or entries, `n` outside 2..16 or bits
 *         outside 1..32.
 * @since 1.0
 */
GROWTH_API int growth_features_hash_cross(const char *const *fields, const char *const *values, size_t n,
                                          uint64_t seed, unsigned bits, uint32_t *out_index);

/**
 * @brief 64-bit key of categorical feature `(field, value)`: the full hash whose top `bits` bits
 *        are its slot (growth_features_hash()). Keys address collision-free tables
 *        (`table=exact`: growth_ftrl_update_keys(), growth_ftrl_update_keys_csr()).
 * @param field, value NUL-terminated strings ("" as the value: the key of a numeric feature).
 * @param seed  hashing seed (the `seed` of a row builder).
 * @param[out] out_key the key (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments.
 * @since 1.0
 */
GROWTH_API int growth_features_key(const char *field, const char *value, uint64_t seed, uint64_t *out_key);

/**
 * @brief 64-bit key of a cross of `n` categorical features (its top `bits` bits are the slot of
 *        growth_features_hash_cross()).
 * @param fields, values `n` NUL-terminated strings each; @param n 2..16; @param seed hashing seed.
 * @param[out] out_key the key (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arrays, entries or `out_key`, or `n` outside 2..16.
 * @since 1.0
 */
GROWTH_API int growth_features_key_cross(const char *const *fields, const char *const *values, size_t n,
                                         uint64_t seed, uint64_t *out_key);

/**
 * @brief Creates a row builder. Config keys: `bits` (1..32, default 24), `seed` (default 0),
 *        `capacity` (initial number of entries, default 64), `dedup` (merge entries with equal
 *        keys, growth_row_keys(), by adding their values when the row is read, default false).
 * @param[out] out the new row builder (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `out` or a bad or unknown key (named in the
 *         message); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_row_create(growth_row **out, const char *config);

/** @brief Frees a row builder; NULL is allowed. @since 1.0 */
GROWTH_API void growth_row_free(growth_row *row);

/** @brief Empties the row, keeping its memory; NULL is allowed. @since 1.0 */
GROWTH_API void growth_row_clear(growth_row *row);

/**
 * @brief Adds categorical feature `(field, value)` with value 1.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or, in a row with a field list, a
 *         field not in it; ::GROWTH_ENOMEM when the row cannot grow (the row is then unchanged).
 * @since 1.0
 */
GROWTH_API int growth_row_add_cat(growth_row *row, const char *field, const char *value);

/**
 * @brief Adds numeric feature `field` with value `x`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments, a NaN/Inf `x` or a field not in the
 *         row's field list; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_row_add_num(growth_row *row, const char *field, float x);

/**
 * @brief Adds the cross of `n` (2..16) categorical features with value 1 (in a row with a field
 *        list: in the field of `fields[0]`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments or entries, `n` outside 2..16 or a
 *         first field not in the row's field list; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_row_add_cross(growth_row *row, const char *const *fields, const char *const *values,
                                    size_t n);

/**
 * @brief Adds an already-hashed slot with a value (a row without a field list; see
 *        growth_row_add_field_index()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL row, a row with a field list, a slot not below
 *         2^bits or a NaN/Inf value; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_row_add_index(growth_row *row, uint32_t index, float x);

/**
 * @brief Gives the row an ordered list of field names (their indices are the field ids of the
 *        entries), or removes it (`n` = 0). Clears the row.
 * @param names `n` distinct, non-empty, NUL-terminated names (copied).
 * @param n     0..256.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL row, NULL `names` with `n` > 0, a NULL, empty
 *         or repeated name, or `n` > 256 (the row is then unchanged); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_row_set_fields(growth_row *row, const char *const *names, size_t n);

/**
 * @brief Index of field `name` in the row's field list.
 * @param[out] out_index the index, below the number of fields (unchanged on failure).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for NULL arguments; ::GROWTH_ENOTFOUND when the row has
 *         no field list or no field of that name.
 * @since 1.0
 */
GROWTH_API int growth_row_field_index(const growth_row *row, const char *name, size_t *out_index);

/**
 * @brief Adds an already-hashed slot with a value in field `field` (a row with a field list;
 *        growth_row_add_index() is for rows without one).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL row, a row without a field list, a field not
 *         below the number of fields, a slot not below 2^bits or a NaN/Inf value;
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_row_add_field_index(growth_row *row, size_t field, uint32_t index, float x);

/**
 * @brief Field ids of the row's entries, parallel to growth_row_indices().
 * @return `growth_row_size()` field indices, valid until the row is changed; NULL for a NULL row
 *         or a row without a field list.
 * @since 1.0
 */
GROWTH_API const uint8_t *growth_row_fields(const growth_row *row);

/**
 * @brief Number of entries in the row.
 * @return the count (0 for a NULL row); this accessor cannot fail.
 * @since 1.0
 */
GROWTH_API size_t growth_row_size(const growth_row *row);

/**
 * @brief Slots of the row.
 * @return `growth_row_size()` slots, valid until the row is changed; NULL for a NULL row.
 * @since 1.0
 */
GROWTH_API const uint32_t *growth_row_indices(const growth_row *row);

/**
 * @brief 64-bit keys of the row's entries, parallel to growth_row_indices(): for a hashed
 *        feature the full 64-bit hash (its slot is the top `bits` bits; growth_features_key()),
 *        for an entry added as a slot (growth_row_add_index(), growth_row_add_field_index())
 *        the slot itself. Feed them to a collision-free model (`table=exact`), which then
 *        tells apart features whose slots collide (a hashed model reached through the key
 *        API uses a key's low bits as its slot, not the row's slot: give a hashed model the
 *        row's indices). With `dedup`, entries merge when their keys (not only their slots)
 *        are equal.
 * @return `growth_row_size()` keys, valid until the row is changed; NULL for a NULL row.
 * @since 1.0
 */
GROWTH_API const uint64_t *growth_row_keys(const growth_row *row);

/**
 * @brief Values of the row, parallel to growth_row_indices().
 * @return `growth_row_size()` values, valid until the row is changed; NULL for a NULL row.
 * @since 1.0
 */
GROWTH_API const float *growth_row_values(const growth_row *row);

/**
 * @brief Effective configuration of the row builder ("bits=24 seed=0 ...").
 * @param[out] buf   `cap` bytes, NUL-terminated (may be NULL when `cap` is 0).
 * @param[out] out_n if not NULL: on ::GROWTH_OK the bytes written including the NUL; on
 *                   ::GROWTH_EBUFS the capacity needed (buf is then not written).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL row; ::GROWTH_EBUFS when `cap` is too small.
 * @since 1.0
 */
GROWTH_API int growth_row_config(const growth_row *row, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Word hashing of a text into sorted, distinct slots with their counts.
 *
 * UTF-8 aware. ASCII letters are lower-cased; ASCII non-alphanumerics and Unicode spaces and CJK
 * punctuation separate words; invalid UTF-8 bytes count as separators. A word `w` gives the
 * letter trigrams (over code points) of `#w#`: `good` -> `#go goo ood od#`. CJK characters
 * (Han, kana, Hangul) give each character and each pair of adjacent characters. Each n-gram's
 * UTF-8 bytes go to slot `growth_hash64(bytes, len, seed) % buckets`.
 *
 * `buckets` and `seed` of a DSSM model are in its ::growth_dssm_stats (growth_dssm_stats_get()).
 * @param text     NUL-terminated UTF-8.
 * @param buckets  number of slots, 1..2^31.
 * @param seed     hashing seed.
 * @param[out] out_idx ascending distinct slots (`cap` entries; may be NULL when `cap` is 0).
 * @param[out] out_val their counts (`cap` entries; may be NULL when `cap` is 0).
 * @param[out] out_n   required: on ::GROWTH_OK the number of slots written; on ::GROWTH_EBUFS the
 *                     exact number of distinct slots of the text (the capacity that suffices;
 *                     out_idx and out_val are then not written); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL `text` or `out_n`, NULL buffers with `cap` >
 *         0, or `buckets` = 0; ::GROWTH_EBUFS when `cap` is below the number of distinct slots;
 *         ::GROWTH_ENOMEM for a text too long for scratch memory.
 * @since 1.0
 */
GROWTH_API int growth_features_hash_text(const char *text, uint32_t buckets, uint64_t seed, uint32_t *out_idx,
                                         float *out_val, size_t cap, size_t *out_n);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_FEATURES_H */
