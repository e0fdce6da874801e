/* growth_features_hash_text(): a text's word-hashing n-grams as sorted distinct slots with counts. */
#include <stdlib.h>

#include "core.h"
#include "growth/features.h"

typedef struct { uint32_t *idx; size_t cap, n; } collect_ctx;

static void collect(void *ctx, uint32_t slot)
{
    collect_ctx *c = ctx;
    if (c->n < c->cap) c->idx[c->n] = slot;
    c->n++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

GROWTH_API int growth_features_hash_text(const char *text, uint32_t buckets, uint64_t seed,
                                     uint32_t *idx, float *val, size_t cap, size_t *out_n)
{
    static const char *who = "growth_features_hash_text";
    GROWTH_CHECK_NULL(who, text);
    GROWTH_CHECK_NULL(who, out_n);
    if (cap && (!idx || !val)) return gerr(GROWTH_EINVAL, "%s: idx or val is NULL with cap=%zu", who, cap);
    if (buckets == 0) return gerr(GROWTH_EINVAL, "%s: buckets must be at least 1", who);
    collect_ctx c = {idx, cap, 0};
    gtext_grams(text, buckets, seed, collect, &c);
    if (c.n > cap) {
        *out_n = c.n;
        return gerr(GROWTH_EBUFS, "%s: the text has %zu n-grams, the buffers hold %zu", who, c.n, cap);
    }
    qsort(idx, c.n, sizeof *idx, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (m && idx[m - 1] == idx[i]) { val[m - 1] += 1.0f; continue; }
        idx[m] = idx[i];
        val[m++] = 1.0f;
    }
    *out_n = m;
    return GROWTH_OK;
}

