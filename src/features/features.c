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
 *   slot = (hash >> (64 - bits)) -- the high bits, which mix best. */
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

struct growth_row {
    row_cfg cfg;
    uint32_t *idx;
    float *val;
    size_t n, cap;
    bool dirty; /* dedup pending */
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
    r->val = malloc(r->cap * sizeof *r->val);
    if (!r->idx || !r->val) {
        growth_row_free(r);
        return gerr(GROWTH_ENOMEM, "growth_row_create: out of memory");
    }
    *out = r;
    return GROWTH_OK;
}

GROWTH_API void growth_row_free(growth_row *row)
{
    if (!row) return;
    free(row->idx);
    free(row->val);
    free(row);
}

GROWTH_API void growth_row_clear(growth_row *row)
{
    if (row) {
        row->n = 0;
        row->dirty = false;
    }
}

static int row_push(growth_row *r, uint32_t index, float x)
{
    if (r->n == r->cap) {
        size_t ncap = r->cap * 2;
        uint32_t *ni = realloc(r->idx, ncap * sizeof *ni);
        if (!ni) return gerr(GROWTH_ENOMEM, "growth_row: out of memory growing to %zu", ncap);
        r->idx = ni;
        float *nv = realloc(r->val, ncap * sizeof *nv);
        if (!nv) return gerr(GROWTH_ENOMEM, "growth_row: out of memory growing to %zu", ncap);
        r->val = nv;
        r->cap = ncap;
    }
    r->idx[r->n] = index;
    r->val[r->n] = x;
    r->n++;
    r->dirty = r->cfg.dedup;
    return GROWTH_OK;
}

GROWTH_API int growth_row_add_cat(growth_row *row, const char *field, const char *value)
{
    static const char *who = "growth_row_add_cat";
    GROWTH_CHECK_NULL(who, row);
    GROWTH_CHECK_NULL(who, field);
    GROWTH_CHECK_NULL(who, value);
    return row_push(row, slot_of(pair_hash(field, value, (uint64_t)row->cfg.seed), (unsigned)row->cfg.bits),
                    1.0f);
}

GROWTH_API int growth_row_add_num(growth_row *row, const char *field, float x)
{
    static const char *who = "growth_row_add_num";
    GROWTH_CHECK_NULL(who, row);
    GROWTH_CHECK_NULL(who, field);
    if (!gfinite(x)) return gerr(GROWTH_EINVAL, "%s: value of field '%s' is not finite", who, field);
    return row_push(row, slot_of(pair_hash(field, "", (uint64_t)row->cfg.seed), (unsigned)row->cfg.bits), x);
}

GROWTH_API int growth_row_add_cross(growth_row *row, const char *const *fields, const char *const *values,
                                    size_t n)
{
    static const char *who = "growth_row_add_cross";
    GROWTH_CHECK_NULL(who, row);
    int rc = check_cross(who, fields, values, n);
    if (rc) return rc;
    return row_push(
        row, slot_of(cross_hash(fields, values, n, (uint64_t)row->cfg.seed), (unsigned)row->cfg.bits), 1.0f);
}

GROWTH_API int growth_row_add_index(growth_row *row, uint32_t index, float x)
{
    static const char *who = "growth_row_add_index";
    GROWTH_CHECK_NULL(who, row);
    if (row->cfg.bits < 32 && index >> row->cfg.bits)
        return gerr(GROWTH_EINVAL, "%s: index %u is not below 2^%d", who, index, (int)row->cfg.bits);
    if (!gfinite(x)) return gerr(GROWTH_EINVAL, "%s: value is not finite", who);
    return row_push(row, index, x);
}

/* Merges equal slots (summing values) in place, keeping first-appearance order. Quadratic for
 * small rows (typical: < 100 entries), which beats sorting and keeps the row allocation-free. */
static void row_dedup(growth_row *r)
{
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t j = 0;
        while (j < w && r->idx[j] != r->idx[i]) j++;
        if (j < w) {
            r->val[j] += r->val[i];
        } else {
            r->idx[w] = r->idx[i];
            r->val[w] = r->val[i];
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

GROWTH_API const float *growth_row_values(const growth_row *row)
{
    if (!row) return NULL;
    if (row->dirty) row_dedup((growth_row *)row);
    return row->val;
}

GROWTH_API int growth_row_config(const growth_row *row, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_row_config", row);
    return gcfg_format(row_opts, sizeof row_opts / sizeof row_opts[0], &row->cfg, buf, cap, out_n);
}
