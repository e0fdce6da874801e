/* growth_features_hash_text(): a text's word-hashing n-grams as sorted distinct slots with counts.
 *
 * The n-grams are collected into scratch memory of this call (on the stack for ordinary texts),
 * sorted and counted there, so that on GROWTH_EBUFS the exact number of distinct slots is known
 * and the caller's buffers are not touched. */
#include <stdlib.h>

#include "core.h"
#include "growth/features.h"

#define HT_STACK 512 /* n-grams held on the stack; longer texts take a heap scratch */

typedef struct {
    uint32_t *slots;
    size_t cap, n;
} collect_ctx;

static void collect(void *ctx, uint32_t slot)
{
    collect_ctx *c = ctx;
    if (c->n < c->cap) c->slots[c->n] = slot;
    c->n++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

GROWTH_API int growth_features_hash_text(const char *text, uint32_t buckets, uint64_t seed, uint32_t *out_idx,
                                         float *out_val, size_t cap, size_t *out_n)
{
    static const char *who = "growth_features_hash_text";
    GROWTH_CHECK_NULL(who, out_n);
    *out_n = 0;
    GROWTH_CHECK_NULL(who, text);
    if (cap && (!out_idx || !out_val))
        return gerr(GROWTH_EINVAL, "%s: out_idx or out_val is NULL with cap=%zu", who, cap);
    if (buckets == 0) return gerr(GROWTH_EINVAL, "%s: buckets must be at least 1", who);
    uint32_t stack[HT_STACK];
    collect_ctx c = {stack, HT_STACK, 0};
    gtext_grams(text, buckets, seed, collect, &c);
    uint32_t *heap = NULL;
    if (c.n > HT_STACK) {
        /* A long text: the first pass counted its n-grams; collect them again into the heap. */
        if (c.n > SIZE_MAX / sizeof *heap || !(heap = malloc(c.n * sizeof *heap)))
            return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu n-grams", who, c.n);
        c = (collect_ctx){heap, c.n, 0};
        gtext_grams(text, buckets, seed, collect, &c);
    }
    uint32_t *g = c.slots;
    qsort(g, c.n, sizeof *g, cmp_u32);
    size_t distinct = 0;
    for (size_t i = 0; i < c.n; i++) distinct += i == 0 || g[i] != g[i - 1];
    if (distinct > cap) {
        free(heap);
        *out_n = distinct;
        return gerr(GROWTH_EBUFS, "%s: the text has %zu distinct slots, the buffers hold %zu", who, distinct,
                    cap);
    }
    size_t m = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (m && out_idx[m - 1] == g[i]) {
            out_val[m - 1] += 1.0f;
            continue;
        }
        out_idx[m] = g[i];
        out_val[m++] = 1.0f;
    }
    free(heap);
    *out_n = m;
    return GROWTH_OK;
}
