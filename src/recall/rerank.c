/* Vector index re-ranking: de-duplication of a ranked list by cosine similarity and maximal
 * marginal relevance (MMR), over vectors looked up by id. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"

static float cosine_of(const growth_index *x, const float *a, const float *b)
{
    float ab = ix_k.dot(a, b, x->dim);
    if (x->cfg.metric == IX_COSINE) return ab;
    float na = ix_k.dot(a, a, x->dim), nb = ix_k.dot(b, b, x->dim);
    return na > 0 && nb > 0 ? ab / sqrtf(na * nb) : 0.0f;
}

/* Compressed storage without float vectors: the reconstructions of the n slots (normalised
 * for cosine) in a malloc'ed n x dim matrix; NULL with *rc = GROWTH_OK when the index keeps
 * float vectors. */
static float *decode_all(const char *who, const growth_index *x, const uint32_t *slots, size_t n, int *rc)
{
    *rc = GROWTH_OK;
    if (x->vec || !n) return NULL;
    if (n > SIZE_MAX / sizeof(float) / x->dim) {
        *rc = gerr(GROWTH_ENOMEM, "%s: %zu vectors of dim %zu is too large", who, n, x->dim);
        return NULL;
    }
    float *V = malloc(n * x->dim * sizeof *V);
    if (!V) {
        *rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        ix_decode(x, slots[i], V + i * x->dim);
        if (x->cfg.metric == IX_COSINE) ix_normalise(V + i * x->dim, x->dim);
    }
    return V;
}

#define ROW(i) (V ? V + (size_t)(i)*x->dim : x->vec + (size_t)slots[i] * x->dim)

static int lookup_all(const char *who, const growth_index *x, const int64_t *ids, size_t n, uint32_t *slots)
{
    for (size_t i = 0; i < n; i++) {
        int64_t s = ix_map_get(x, ids[i]);
        if (s < 0) return gerr(GROWTH_ENOTFOUND, "%s: id %lld is not in the index", who, (long long)ids[i]);
        slots[i] = (uint32_t)s;
    }
    return GROWTH_OK;
}

GROWTH_API int growth_index_dedup(const growth_index *x, const int64_t *ids, const float *scores, size_t n,
                                  float max_cos, int64_t *out_ids, float *out_scores, size_t cap,
                                  size_t *out_n)
{
    static const char *who = "growth_index_dedup";
    if (out_n) *out_n = 0;
    GROWTH_CHECK_NULL(who, x);
    if (n) GROWTH_CHECK_NULL(who, ids);
    if (cap) GROWTH_CHECK_NULL(who, out_ids);
    if (!(max_cos >= -1.0f && max_cos <= 1.0f))
        return gerr(GROWTH_EINVAL, "%s: max_cos %g is not in [-1, 1]", who, (double)max_cos);
    if (n > SIZE_MAX / sizeof(int64_t)) return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    uint32_t *slots = malloc((n ? n : 1) * sizeof *slots), *kept = malloc((n ? n : 1) * sizeof *kept);
    if (!slots || !kept) {
        free(slots);
        free(kept);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    int rc = lookup_all(who, x, ids, n, slots);
    if (!rc && cap < n) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = n;
        rc = gerr(GROWTH_EBUFS, "%s: capacity %zu is below n=%zu", who, cap, n);
    }
    float *V = rc ? NULL : decode_all(who, x, slots, n, &rc);
    size_t m = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const float *v = ROW(i);
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++) dup = cosine_of(x, v, ROW(kept[j])) > max_cos;
        if (dup) continue;
        kept[m++] = (uint32_t)i;
    }
    pthread_rwlock_unlock(&xm->rw);
    free(V);
    if (!rc) {
        for (size_t j = 0; j < m; j++) {
            out_ids[j] = ids[kept[j]];
            if (out_scores && scores) out_scores[j] = scores[kept[j]];
        }
        if (out_n) *out_n = m;
    }
    free(slots);
    free(kept);
    return rc;
}

GROWTH_API int growth_index_mmr(const growth_index *x, const float *q, const int64_t *ids, size_t n,
                                float lambda, size_t k, int64_t *out_ids, float *out_scores, size_t cap,
                                size_t *out_n)
{
    static const char *who = "growth_index_mmr";
    if (out_n) *out_n = 0;
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, q);
    if (n) GROWTH_CHECK_NULL(who, ids);
    if (cap) GROWTH_CHECK_NULL(who, out_ids);
    if (!(lambda >= 0.0f && lambda <= 1.0f))
        return gerr(GROWTH_EINVAL, "%s: lambda %g is not in [0, 1]", who, (double)lambda);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k is 0", who);
    if (n > SIZE_MAX / sizeof(float)) return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    int rc = ix_check_vectors(who, "q", q, 1, x->dim);
    if (rc) return rc;
    size_t want = k < n ? k : n;
    uint32_t *slots = malloc((n ? n : 1) * sizeof *slots);
    float *rel = malloc((n ? n : 1) * sizeof *rel), *red = malloc((n ? n : 1) * sizeof *red);
    uint8_t *taken = calloc(n ? n : 1, 1);
    if (!slots || !rel || !red || !taken) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    rc = lookup_all(who, x, ids, n, slots);
    if (!rc && cap < want) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = want;
        rc = gerr(GROWTH_EBUFS, "%s: capacity %zu is below min(k, n)=%zu", who, cap, want);
    }
    float *V = rc ? NULL : decode_all(who, x, slots, n, &rc);
    for (size_t i = 0; !rc && i < n; i++) {
        rel[i] = cosine_of(x, q, ROW(i));
        red[i] = -INFINITY;
    }
    for (size_t j = 0; !rc && j < want; j++) {
        size_t best = n;
        float bv = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (taken[i]) continue;
            float r = red[i] == -INFINITY ? 0.0f : red[i];
            float val = lambda * rel[i] - (1.0f - lambda) * r;
            if (best == n || val > bv) {
                bv = val;
                best = i;
            }
        }
        taken[best] = 1;
        out_ids[j] = ids[best];
        if (out_scores) out_scores[j] = bv;
        const float *bvv = ROW(best);
        for (size_t i = 0; i < n; i++)
            if (!taken[i]) {
                float c = cosine_of(x, ROW(i), bvv);
                if (c > red[i]) red[i] = c;
            }
    }
    pthread_rwlock_unlock(&xm->rw);
    free(V);
    if (!rc && out_n) *out_n = want;
done:
    free(slots);
    free(rel);
    free(red);
    free(taken);
    return rc;
}
