/* Feature hashing and the reusable row builder (features.h). */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/features.h"

/* Slot derivation (part of the model format: never change):
 *   field_hash = growth_hash64(field, seed)
 *   categorical (field, value): growth_hash64(value, field_hash)
 *   numeric field:              growth_hash64("", field_hash) -- the field alone
 *   cross of n pairs:           h = seed; for each pair: h = gmix64(h ^ hash(value, hash(field, seed)))
 *                               then growth_hash64(&h_le, 8, seed ^ CROSS_TAG)
 *   slot = (hash >> (64 - bits)) -- the high bits, which mix best.
 * The 64-bit hash itself is the feature's key (growth_features_key, growth_row_keys): the slot of
 * a key is its top `bits` bits, so a collision-free table keyed by it (table=exact) and a hashed
 * table of 2^bits slots see the same features. */
#define CROSS_TAG 0x63726f7373000000ULL /* "cross" */

static inline uint32_t slot_of(uint64_t h, unsigned bits) { return (uint32_t)(h >> (64 - bits)); }

static inline uint64_t pair_hash(const char *field, const char *value, uint64_t seed)
{
    uint64_t fh = growth_hash64(field, strlen(field), seed);
    return growth_hash64(value, strlen(value), fh);
}

static uint64_t cross_hash(const char *const *fields, const char *const *values, size_t n, uint64_t seed)
{
    uint64_t h = seed;
    for (size_t i = 0; i < n; i++) h = gmix64(h ^ pair_hash(fields[i], values[i], seed));
    uint8_t le[8];
    gput_u64(le, h);
    return growth_hash64(le, 8, seed ^ CROSS_TAG);
}

static int check_bits(const char *who, unsigned bits)
{
    if (bits < 1 || bits > 32) return gerr(GROWTH_EINVAL, "%s: bits=%u is outside 1..32", who, bits);
    return GROWTH_OK;
}

GROWTH_API int growth_features_hash(const char *field, const char *value, uint64_t seed, unsigned bits,
                                    uint32_t *out_index)
{
    static const char *who = "growth_features_hash";
    GROWTH_CHECK_NULL(who, out_index);
    GROWTH_CHECK_NULL(who, field);
    GROWTH_CHECK_NULL(who, value);
    int rc = check_bits(who, bits);
    if (rc) return rc;
    *out_index = slot_of(pair_hash(field, value, seed), bits);
    return GROWTH_OK;
}

static int check_cross(const char *who, const char *const *fields, const char *const *values, size_t n)
{
    GROWTH_CHECK_NULL(who, fields);
    GROWTH_CHECK_NULL(who, values);
    if (n < 2 || n > 16) return gerr(GROWTH_EINVAL, "%s: a cross needs 2..16 fields, got %zu", who, n);
    for (size_t i = 0; i < n; i++)
        if (!fields[i] || !values[i]) return gerr(GROWTH_EINVAL, "%s: field or value %zu is NULL", who, i);
    return GROWTH_OK;
}

GROWTH_API int growth_features_key(const char *field, const char *value, uint64_t seed, uint64_t *out_key)
{
    static const char *who = "growth_features_key";
    GROWTH_CHECK_NULL(who, field);
    GROWTH_CHECK_NULL(who, value);
    GROWTH_CHECK_NULL(who, out_key);
    *out_key = pair_hash(field, value, seed);
    return GROWTH_OK;
}

GROWTH_API int growth_features_key_cross(const char *const *fields, const char *const *values, size_t n,
                                         uint64_t seed, uint64_t *out_key)
{
    static const char *who = "growth_features_key_cross";
    int rc = check_cross(who, fields, values, n);
    if (rc) return rc;
    GROWTH_CHECK_NULL(who, out_key);
    *out_key = cross_hash(fields, values, n, seed);
    return GROWTH_OK;
}

GROWTH_API int growth_features_hash_cross(const char *const *fields, const char *const *values, size_t n,
                                          uint64_t seed, unsigned bits, uint32_t *out_index)
{
    static const char *who = "growth_features_hash_cross";
    GROWTH_CHECK_NULL(who, out_index);
    int rc = check_cross(who, fields, values, n);
    if (!rc) rc = check_bits(who, bits);
    if (rc) return rc;
    *out_index = slot_of(cross_hash(fields, values, n, seed), bits);
    return GROWTH_OK;
}

/* ---- row builder ------------------------------------------------------------------------- */

typedef struct {
    int64_t bits;
    int64_t seed;
    int64_t capacity;
    bool dedup;
} row_cfg;

static const gcfg_opt row_opts[] = {
    {"bits", GCFG_INT, offsetof(row_cfg, bits), "24", 1, 32, NULL, false},
    {"seed", GCFG_INT, offsetof(row_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
    {"capacity", GCFG_INT, offsetof(row_cfg, capacity), "64", 1, 1 << 24, NULL, false},
    {"dedup", GCFG_BOOL, offsetof(row_cfg, dedup), "false", 0, 0, NULL, false},
};

/* Field names of a row (growth_row_set_fields): an open-addressing table keyed by the field
 * name's hash (the same growth_hash64(field, seed) the slot derivation computes anyway), so an
 * add costs one probe and one strcmp more. */
#define ROW_FIELDS_MAX 256
#define ROW_FTAB       512 /* power of two, > 2 x ROW_FIELDS_MAX */

typedef struct {
    size_t n;
    char **names;            /* n names, owned */
    uint64_t hash[ROW_FTAB]; /* field hash of the entry */
    int16_t slot[ROW_FTAB];  /* field index, -1 = empty */
} row_fields;

struct growth_row {
    row_cfg cfg;
    uint32_t *idx;
    uint64_t *key; /* 64-bit key of each entry (growth_row_keys) */
    float *val;
    uint8_t *fld; /* field of each entry (meaningful when fields != NULL) */
    size_t n, cap;
    bool dirty; /* dedup pending */
    row_fields *fields;
};

GROWTH_API int growth_row_create(growth_row **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_row_create", out);
    row_cfg cfg;
    int rc = gcfg_parse("row", row_opts, sizeof row_opts / sizeof row_opts[0], config, &cfg, sizeof cfg);
    if (rc) return rc;
    growth_row *r = calloc(1, sizeof *r);
    if (!r) return gerr(GROWTH_ENOMEM, "growth_row_create: out of memory");
    r->cfg = cfg;
    r->cap = (size_t)cfg.capacity;
    r->idx = malloc(r->cap * sizeof *r->idx);
    r->key = malloc(r->cap * sizeof *r->key);
    r->val = malloc(r->cap * sizeof *r->val);
    r->fld = malloc(r->cap * sizeof *r->fld);
    if (!r->idx || !r->key || !r->val || !r->fld) {
        growth_row_free(r);
        return gerr(GROWTH_ENOMEM, "growth_row_create: out of memory");
    }
    *out = r;
    return GROWTH_OK;
}

static void fields_free(row_fields *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) free(f->names[i]);
    free(f->names);
    free(f);
}

/* Index of field `name` (whose hash with the row's seed is `fh`), or -1. */
static int fields_find(const row_fields *f, const char *name, uint64_t fh)
{
    for (size_t p = (size_t)fh & (ROW_FTAB - 1);; p = (p + 1) & (ROW_FTAB - 1)) {
        int k = f->slot[p];
        if (k < 0) return -1;
        if (f->hash[p] == fh && strcmp(f->names[k], name) == 0) return k;
    }
}

GROWTH_API void growth_row_free(growth_row *row)
{
    if (!row) return;
    free(row->idx);
    free(row->key);
    free(row->val);
    free(row->fld);
    fields_free(row->fields);
    free(row);
}

GROWTH_API void growth_row_clear(growth_row *row)
{
    if (row) {
        row->n = 0;
        row->dirty = false;
    }
}

/* Appends an entry: slot `index`, 64-bit key `key`, value `x`, field `field`. */
static int row_push(growth_row *r, uint32_t index, uint64_t key, float x, int field)
{
    if (r->n == r->cap) {
        size_t ncap = r->cap * 2;
        uint32_t *ni = realloc(r->idx, ncap * sizeof *ni);
        if (!ni) return gerr(GROWTH_ENOMEM, "growth_row: out of memory growing to %zu", ncap);
        r->idx = ni;
        uint64_t *nk = realloc(r->key, ncap * sizeof *nk);
        if (!nk) return gerr(GROWTH_ENOMEM, "growth_row: out of memory growing to %zu", ncap);
        r->key = nk;
        float *nv = realloc(r->val, ncap * sizeof *nv);
        if (!nv) return gerr(GROWTH_ENOMEM, "growth_row: out of memory growing to %zu", ncap);
        r->val = nv;
        uint8_t *nf = realloc(r->fld, ncap * sizeof *nf);
        if (!nf) return gerr(GROWTH_ENOMEM, "growth_row: out of memory growing to %zu", ncap);
        r->fld = nf;
        r->cap = ncap;
    }
    r->idx[r->n] = index;
    r->key[r->n] = key;
    r->val[r->n] = x;
    r->fld[r->n] = (uint8_t)field;
    r->n++;
    r->dirty = r->cfg.dedup;
    return GROWTH_OK;
}

/* Field index of `field` (hash `fh`) for an add: 0 when the row has no fields, -1 (with the
 * error set) when the row has fields and `field` is not one of them. */
static int field_of(const growth_row *r, const char *who, const char *field, uint64_t fh)
{
    if (!r->fields) return 0;
    int k = fields_find(r->fields, field, fh);
    if (k < 0)
        gerr(GROWTH_EINVAL, "%s: field '%s' is not one of the row's %zu fields", who, field, r->fields->n);
    return k;
}

static int add_pair(growth_row *r, const char *who, const char *field, const char *value, float x)
{
    uint64_t seed = (uint64_t)r->cfg.seed;
    uint64_t fh = growth_hash64(field, strlen(field), seed);
    int k = field_of(r, who, field, fh);
    if (k < 0) return GROWTH_EINVAL;
    uint64_t h = growth_hash64(value, strlen(value), fh);
    return row_push(r, slot_of(h, (unsigned)r->cfg.bits), h, x, k);
}

GROWTH_API int growth_row_add_cat(growth_row *row, const char *field, const char *value)
{
    static const char *who = "growth_row_add_cat";
    GROWTH_CHECK_NULL(who, row);
    GROWTH_CHECK_NULL(who, field);
    GROWTH_CHECK_NULL(who, value);
    return add_pair(row, who, field, value, 1.0f);
}

GROWTH_API int growth_row_add_num(growth_row *row, const char *field, float x)
{
    static const char *who = "growth_row_add_num";
    GROWTH_CHECK_NULL(who, row);
    GROWTH_CHECK_NULL(who, field);
    if (!gfinite(x)) return gerr(GROWTH_EINVAL, "%s: value of field '%s' is not finite", who, field);
    return add_pair(row, who, field, "", x);
}

GROWTH_API int growth_row_add_cross(growth_row *row, const char *const *fields, const char *const *values,
                                    size_t n)
{
    static const char *who = "growth_row_add_cross";
    GROWTH_CHECK_NULL(who, row);
    int rc = check_cross(who, fields, values, n);
    if (rc) return rc;
    uint64_t seed = (uint64_t)row->cfg.seed;
    int k = field_of(row, who, fields[0], growth_hash64(fields[0], strlen(fields[0]), seed));
    if (k < 0) return GROWTH_EINVAL;
    uint64_t h = cross_hash(fields, values, n, seed);
    return row_push(row, slot_of(h, (unsigned)row->cfg.bits), h, 1.0f, k);
}

GROWTH_API int growth_row_add_index(growth_row *row, uint32_t index, float x)
{
    static const char *who = "growth_row_add_index";
    GROWTH_CHECK_NULL(who, row);
    if (row->cfg.bits < 32 && index >> row->cfg.bits)
        return gerr(GROWTH_EINVAL, "%s: index %u is not below 2^%d", who, index, (int)row->cfg.bits);
    if (!gfinite(x)) return gerr(GROWTH_EINVAL, "%s: value is not finite", who);
    if (row->fields)
        return gerr(GROWTH_EINVAL, "%s: the row has fields: add hashed slots with growth_row_add_field_index",
                    who);
    return row_push(row, index, index, x, 0);
}

GROWTH_API int growth_row_add_field_index(growth_row *row, size_t field, uint32_t index, float x)
{
    static const char *who = "growth_row_add_field_index";
    GROWTH_CHECK_NULL(who, row);
    if (!row->fields) return gerr(GROWTH_EINVAL, "%s: the row has no fields (growth_row_set_fields)", who);
    if (field >= row->fields->n)
        return gerr(GROWTH_EINVAL, "%s: field %zu is not below the row's %zu fields", who, field,
                    row->fields->n);
    if (row->cfg.bits < 32 && index >> row->cfg.bits)
        return gerr(GROWTH_EINVAL, "%s: index %u is not below 2^%d", who, index, (int)row->cfg.bits);
    if (!gfinite(x)) return gerr(GROWTH_EINVAL, "%s: value is not finite", who);
    return row_push(row, index, index, x, (int)field);
}

GROWTH_API int growth_row_set_fields(growth_row *row, const char *const *names, size_t n)
{
    static const char *who = "growth_row_set_fields";
    GROWTH_CHECK_NULL(who, row);
    if (n > ROW_FIELDS_MAX) return gerr(GROWTH_EINVAL, "%s: %zu fields, at most %d", who, n, ROW_FIELDS_MAX);
    if (n > 0) GROWTH_CHECK_NULL(who, names);
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) return gerr(GROWTH_EINVAL, "%s: name %zu is NULL", who, i);
        if (!names[i][0]) return gerr(GROWTH_EINVAL, "%s: name %zu is empty", who, i);
    }
    row_fields *f = NULL;
    if (n > 0) {
        f = calloc(1, sizeof *f);
        if (f) f->names = calloc(n, sizeof *f->names);
        if (!f || !f->names) {
            fields_free(f);
            return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        }
        for (size_t p = 0; p < ROW_FTAB; p++) f->slot[p] = -1;
        uint64_t seed = (uint64_t)row->cfg.seed;
        for (size_t i = 0; i < n; i++) {
            uint64_t fh = growth_hash64(names[i], strlen(names[i]), seed);
            if (fields_find(f, names[i], fh) >= 0) {
                fields_free(f);
                return gerr(GROWTH_EINVAL, "%s: field '%s' appears twice", who, names[i]);
            }
            size_t len = strlen(names[i]) + 1;
            f->names[i] = malloc(len);
            if (f->names[i]) memcpy(f->names[i], names[i], len);
            if (!f->names[i]) {
                fields_free(f);
                return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            }
            f->n = i + 1;
            size_t p = (size_t)fh & (ROW_FTAB - 1);
            while (f->slot[p] >= 0) p = (p + 1) & (ROW_FTAB - 1);
            f->hash[p] = fh;
            f->slot[p] = (int16_t)i;
        }
    }
    fields_free(row->fields);
    row->fields = f;
    growth_row_clear(row);
    return GROWTH_OK;
}

GROWTH_API int growth_row_field_index(const growth_row *row, const char *name, size_t *out_index)
{
    static const char *who = "growth_row_field_index";
    GROWTH_CHECK_NULL(who, row);
    GROWTH_CHECK_NULL(who, name);
    GROWTH_CHECK_NULL(who, out_index);
    if (!row->fields) return gerr(GROWTH_ENOTFOUND, "%s: the row has no fields", who);
    int k = fields_find(row->fields, name, growth_hash64(name, strlen(name), (uint64_t)row->cfg.seed));
    if (k < 0) return gerr(GROWTH_ENOTFOUND, "%s: no field named '%s'", who, name);
    *out_index = (size_t)k;
    return GROWTH_OK;
}

/* Merges entries with equal keys (and fields; summing values) in place, keeping first-appearance
 * order. Equal keys have equal slots; two keys that only share a slot stay two entries, so the
 * keys remain collision-free (for a hashed model the two entries add up as one merged entry
 * would). Quadratic for small rows (typical: < 100 entries), which beats sorting and keeps the
 * row allocation-free. */
static void row_dedup(growth_row *r)
{
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t j = 0;
        while (j < w && (r->key[j] != r->key[i] || (r->fields && r->fld[j] != r->fld[i]))) j++;
        if (j < w) {
            r->val[j] += r->val[i];
        } else {
            r->idx[w] = r->idx[i];
            r->key[w] = r->key[i];
            r->val[w] = r->val[i];
            r->fld[w] = r->fld[i];
            w++;
        }
    }
    r->n = w;
    r->dirty = false;
}

GROWTH_API size_t growth_row_size(const growth_row *row)
{
    if (!row) return 0;
    if (row->dirty) row_dedup((growth_row *)row);
    return row->n;
}

GROWTH_API const uint32_t *growth_row_indices(const growth_row *row)
{
    if (!row) return NULL;
    if (row->dirty) row_dedup((growth_row *)row);
    return row->idx;
}

GROWTH_API const uint64_t *growth_row_keys(const growth_row *row)
{
    if (!row) return NULL;
    if (row->dirty) row_dedup((growth_row *)row);
    return row->key;
}

GROWTH_API const float *growth_row_values(const growth_row *row)
{
    if (!row) return NULL;
    if (row->dirty) row_dedup((growth_row *)row);
    return row->val;
}

GROWTH_API const uint8_t *growth_row_fields(const growth_row *row)
{
    if (!row || !row->fields) return NULL;
    if (row->dirty) row_dedup((growth_row *)row);
    return row->fld;
}

GROWTH_API int growth_row_config(const growth_row *row, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_row_config", row);
    return gcfg_format(row_opts, sizeof row_opts / sizeof row_opts[0], &row->cfg, buf, cap, out_n);
}
