/* IVF-flat: a coarse quantiser of nlist centroids (k-means, Lloyd iterations with the
 * assignment step as blocked sgemm); each vector is filed in the list of its nearest centroid
 * and a query scans the nprobe lists whose centroids score best. Lists hold slots; vectors stay
 * in the shared slot-ordered storage (4 bytes a vector on top of flat). A list holds its slots in
 * increasing order (ix_code relies on it).
 *
 * Assignment score: 2 x.c - |c|^2 for l2 (nearest centroid), x.c for ip and cosine (cosine
 * trains spherical k-means: centroids are renormalised after every update). */
#define _GNU_SOURCE
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"

enum { KB = 2048 }; /* points per sgemm block */

static bool ivf_l2(const growth_index *x) { return x->cfg.metric == IX_L2; }

/* Best centroid of each of n points (rows of v, already normalised if needed). */
static int assign_block(const growth_index *x, bool l2, const float *cent, const float *cn2, const float *v,
                        size_t n, uint32_t *out, float *S)
{
    const size_t d = x->dim, L = (size_t)x->cfg.nlist;
    for (size_t b = 0; b < n; b += KB) {
        size_t nb = n - b < KB ? n - b : KB;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)L, (int)d, l2 ? 2.0f : 1.0f,
                    v + b * d, (int)d, cent, (int)d, 0.0f, S, (int)L);
        for (size_t i = 0; i < nb; i++) {
            const float *row = S + i * L;
            size_t best = 0;
            float bk = -INFINITY;
            for (size_t c = 0; c < L; c++) {
                float k = l2 ? row[c] - cn2[c] : row[c];
                if (k > bk) {
                    bk = k;
                    best = c;
                }
            }
            out[b + i] = (uint32_t)best;
        }
    }
    return GROWTH_OK;
}

static void norms(const float *c, size_t L, size_t d, float *out)
{
    for (size_t i = 0; i < L; i++) out[i] = ix_k.dot(c + i * d, c + i * d, d);
}

static void normalise_rows(float *v, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        float s = ix_k.dot(v + i * d, v + i * d, d);
        if (s > 0) {
            float inv = 1.0f / sqrtf(s);
            for (size_t j = 0; j < d; j++) v[i * d + j] *= inv;
        }
    }
}

/* Installs x->cent: norms and empty lists, under the writer lock. */
static int install(growth_index *x, float *cent)
{
    const size_t L = (size_t)x->cfg.nlist;
    float *cn2 = malloc(L * sizeof *cn2);
    uint32_t **lists = calloc(L, sizeof *lists);
    uint32_t *len = calloc(L, sizeof *len), *cap = calloc(L, sizeof *cap);
    uint8_t **lcodes = x->cs ? calloc(L, sizeof *lcodes) : NULL;
    if (!cn2 || !lists || !len || !cap || (x->cs && !lcodes)) {
        free(lcodes);
        free(cn2);
        free(lists);
        free(len);
        free(cap);
        return gerr(GROWTH_ENOMEM, "ivf: out of memory for %zu lists", L);
    }
    norms(cent, L, x->dim, cn2);
    pthread_rwlock_wrlock(&x->rw);
    ix_ivf_free(x);
    x->cent = cent;
    x->cent_norm2 = cn2;
    x->lists = lists;
    x->list_len = len;
    x->list_cap = cap;
    x->lcodes = lcodes;
    pthread_rwlock_unlock(&x->rw);
    return GROWTH_OK;
}
/* One Lloyd update of k-means: each of the k centroids (rows of d floats in cent) becomes the
 * mean of the n points (rows of pts) assigned to it (as[i]); an empty cluster takes half of the
 * largest one (two slightly perturbed copies of its centroid, drawn from r). acc (k x d floats)
 * and cnt (k) are scratch; cnt ends as the cluster sizes. Used by IVF's coarse quantizer and
 * PQ's sub-quantizers. */
void ix_kmeans_update(const float *pts, size_t n, size_t d, const uint32_t *as, size_t k, float *cent,
                      float *acc, size_t *cnt, grng *r)
{
    memset(acc, 0, k * d * sizeof *acc);
    memset(cnt, 0, k * sizeof *cnt);
    for (size_t i = 0; i < n; i++) {
        float *a = acc + (size_t)as[i] * d;
        const float *p = pts + i * d;
        for (size_t j = 0; j < d; j++) a[j] += p[j];
        cnt[as[i]]++;
    }
    for (size_t c = 0; c < k; c++)
        if (cnt[c]) {
            float inv = 1.0f / (float)cnt[c];
            for (size_t j = 0; j < d; j++) cent[c * d + j] = acc[c * d + j] * inv;
        }
    for (size_t c = 0; c < k; c++) {
        if (cnt[c]) continue;
        size_t big = 0;
        for (size_t b = 1; b < k; b++)
            if (cnt[b] > cnt[big]) big = b;
        for (size_t j = 0; j < d; j++) {
            float e = (float)(grng_uniform(r) - 0.5) * 2e-3f * (fabsf(cent[big * d + j]) + 1e-6f);
            cent[c * d + j] = cent[big * d + j] + e;
            cent[big * d + j] -= e;
        }
        cnt[c] = cnt[big] / 2;
        cnt[big] -= cnt[c];
    }
}

int ix_ivf_train(growth_index *x, const float *v, size_t n, bool normalise, const ix_progress *pg)
{
    if (!v) { /* centroids already in x->cent (load, compact) */
        float *c = x->cent;
        x->cent = NULL;
        int rc = install(x, c);
        if (rc) x->cent = c; /* still the index's: nothing changed (found by the alloc sweep) */
        return rc;
    }
    const size_t d = x->dim, L = (size_t)x->cfg.nlist;
    const bool sph = x->cfg.metric == IX_COSINE;
    size_t ns = n < L * 256 ? n : L * 256; /* at most 256 points a centroid, as usual */
    grng r;
    grng_seed(&r, (uint64_t)x->cfg.seed ^ 0x6976665f6b6dULL);
    float *pts = malloc(ns * d * sizeof *pts), *cent = malloc(L * d * sizeof *cent);
    float *acc = malloc(L * d * sizeof *acc), *cn2 = malloc(L * sizeof *cn2);
    float *S = malloc((size_t)KB * L * sizeof *S);
    uint32_t *as = malloc(ns * sizeof *as), *perm = malloc(n * sizeof *perm);
    size_t *cnt = malloc(L * sizeof *cnt);
    int rc = GROWTH_OK;
    if (!pts || !cent || !acc || !cn2 || !S || !as || !perm || !cnt) {
        rc = gerr(GROWTH_ENOMEM, "ivf: out of memory for k-means on %zu points", ns);
        goto done;
    }
    /* a random sample: partial Fisher-Yates */
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    for (size_t i = 0; i < ns; i++) {
        size_t j = i + (size_t)grng_below(&r, n - i);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        memcpy(pts + i * d, v + (size_t)perm[i] * d, d * sizeof *pts);
    }
    if (normalise) normalise_rows(pts, ns, d);
    for (size_t c = 0; c < L; c++) memcpy(cent + c * d, pts + c * d, d * sizeof *cent); /* sample is random */
    for (int64_t it = 0; it < x->cfg.iters; it++) {
        norms(cent, L, d, cn2);
        assign_block(x, !sph, cent, cn2, pts, ns, as, S); /* Lloyd: L2, or cosine when spherical */
        ix_kmeans_update(pts, ns, d, as, L, cent, acc, cnt, &r);
        if (sph) normalise_rows(cent, L, d);
        if (pg && pg->fn && pg->fn(pg->stage, (double)(it + 1) / (double)x->cfg.iters, pg->user)) {
            rc = gerr(GROWTH_ECANCELED,
                      "%s: canceled by the progress callback (k-means iteration %lld of %lld)", pg->who,
                      (long long)(it + 1), (long long)x->cfg.iters);
            goto done;
        }
    }
    if (!gall_finite_f32(cent, L * d)) {
        rc = gerr(GROWTH_EINVAL, "ivf: k-means diverged (training data too large in magnitude?)");
        goto done;
    }
    rc = install(x, cent);
    if (!rc) cent = NULL;
done:
    free(pts);
    free(cent);
    free(acc);
    free(cn2);
    free(S);
    free(as);
    free(perm);
    free(cnt);
    return rc;
}

int ix_ivf_assign(const growth_index *x, const float *v, size_t n, uint32_t *out)
{
    const size_t d = x->dim, L = (size_t)x->cfg.nlist;
    size_t nb = n < KB ? n : KB;
    float *S = malloc(nb * L * sizeof *S), *tmp = malloc(nb * d * sizeof *tmp);
    if (!S || !tmp) {
        free(S);
        free(tmp);
        return gerr(GROWTH_ENOMEM, "ivf: out of memory");
    }
    for (size_t b = 0; b < n; b += KB) {
        size_t m = n - b < KB ? n - b : KB;
        memcpy(tmp, v + b * d, m * d * sizeof *tmp);
        if (x->cfg.metric == IX_COSINE) normalise_rows(tmp, m, d);
        assign_block(x, ivf_l2(x), x->cent, x->cent_norm2, tmp, m, out + b, S);
    }
    free(S);
    free(tmp);
    return GROWTH_OK;
}

int ix_ivf_reserve(growth_index *x, const uint32_t *lists, size_t n)
{
    const size_t L = (size_t)x->cfg.nlist;
    size_t *extra = calloc(L, sizeof *extra);
    if (!extra) return gerr(GROWTH_ENOMEM, "ivf: out of memory");
    for (size_t i = 0; i < n; i++) extra[lists[i]]++;
    int rc = GROWTH_OK;
    for (size_t c = 0; c < L && !rc; c++) {
        size_t need = x->list_len[c] + extra[c];
        if (need <= x->list_cap[c]) continue;
        size_t ncap = need + need / 8 + 8; /* little slack: 1/8 of the list (adds reserve ahead) */
        uint32_t *p = realloc(x->lists[c], ncap * sizeof *p);
        if (!p)
            rc = gerr(GROWTH_ENOMEM, "ivf: out of memory for list %zu", c);
        else {
            x->lists[c] = p;
            if (x->lcodes) { /* codes in list order (compressed storage) */
                uint8_t *pc = realloc(x->lcodes[c], ncap * x->cs);
                if (!pc) {
                    rc = gerr(GROWTH_ENOMEM, "ivf: out of memory for the codes of list %zu", c);
                    break; /* list_cap stays: the larger slot array is harmless */
                }
                x->lcodes[c] = pc;
            }
            x->list_cap[c] = (uint32_t)ncap;
        }
    }
    free(extra);
    return rc;
}

int ix_ivf_append(growth_index *x, uint32_t list, uint32_t slot)
{
    if (x->list_len[list] == x->list_cap[list]) {
        size_t ncap = (size_t)x->list_cap[list] + x->list_cap[list] / 2 + 8;
        uint32_t *p = realloc(x->lists[list], ncap * sizeof *p);
        if (!p) return gerr(GROWTH_ENOMEM, "ivf: out of memory for list %u", list);
        x->lists[list] = p;
        if (x->lcodes) {
            uint8_t *pc = realloc(x->lcodes[list], ncap * x->cs);
            if (!pc) return gerr(GROWTH_ENOMEM, "ivf: out of memory for the codes of list %u", list);
            x->lcodes[list] = pc;
        }
        x->list_cap[list] = (uint32_t)ncap;
    }
    x->lists[list][x->list_len[list]++] = slot;
    return GROWTH_OK;
}

void ix_ivf_free(growth_index *x)
{
    if (x->lists)
        for (int64_t c = 0; c < x->cfg.nlist; c++) free(x->lists[c]);
    if (x->lcodes)
        for (int64_t c = 0; c < x->cfg.nlist; c++) free(x->lcodes[c]);
    free(x->lcodes);
    x->lcodes = NULL;
    free(x->lists);
    free(x->list_len);
    free(x->list_cap);
    free(x->cent);
    free(x->cent_norm2);
    x->lists = NULL;
    x->list_len = x->list_cap = NULL;
    x->cent = x->cent_norm2 = NULL;
}

size_t ix_ivf_bytes(const growth_index *x)
{
    if (!x->cent) return 0;
    size_t L = (size_t)x->cfg.nlist, b = L * (x->dim * 4 + 4 + 8 + 8);
    for (size_t c = 0; c < L; c++) b += (size_t)x->list_cap[c] * (4 + x->cs);
    return b;
}

/* Asks for every cache line of a stored row (the lists hold slots: rows are scattered). */
static inline void prefetch_row(const float *v, size_t d)
{
    const char *p = (const char *)v;
    for (size_t b = 0; b < d * sizeof *v; b += 64) __builtin_prefetch(p + b);
}

enum { IVF_AHEAD = 4 }; /* rows prefetched ahead of the one being scored */

int ix_ivf_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f, ix_scratch *sc,
                  ix_hit *out, size_t *nout)
{
    const size_t d = x->dim, L = (size_t)x->cfg.nlist;
    size_t np = (size_t)x->cfg.nprobe < L ? (size_t)x->cfg.nprobe : L;
    const bool l2 = ivf_l2(x);
    /* every centroid in a max-heap: the lists come out best first, as many as needed */
    if (ix_reserve("ivf", (void **)&sc->c, &sc->ccap, L + 1, sizeof(ix_hit))) return GROWTH_ENOMEM;
    ix_hit *C = sc->c;
    for (size_t c = 0; c < L; c++) {
        float key = ix_k.dot(q, x->cent + c * d, d);
        if (l2) key = 2.0f * key - x->cent_norm2[c];
        C[c] = (ix_hit){key, (uint32_t)c};
    }
    size_t nc = L;
    for (size_t i = L / 2; i-- > 0;) ix_maxh_down(NULL, C, nc, i);
    size_t m = 0;
    float thr = -INFINITY;
    for (size_t p = 0; nc && (p < np || m < k); p++) {
        uint32_t c = ix_maxh_pop(NULL, C, &nc).slot;
        const uint32_t *ls = x->lists[c];
        size_t len = x->list_len[c];
        for (size_t i = 0; i < len && i < IVF_AHEAD; i++) prefetch_row(x->vec + (size_t)ls[i] * d, d);
        for (size_t i = 0; i < len; i++) {
            uint32_t s = ls[i];
            if (i + IVF_AHEAD < len) prefetch_row(x->vec + (size_t)ls[i + IVF_AHEAD] * d, d);
            float key = ix_k.dot(q, x->vec + (size_t)s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            if (key > thr && ix_pass(x, f, s)) {
                ix_topk_offer(out, &m, k, key, s);
                if (m == k) thr = out[0].key;
            }
        }
    }
    *nout = m;
    return GROWTH_OK;
}

/* Bytes of rows (list items, or centroids) that every query of a group scores while they stay
 * in the L1 cache. */
enum { IVF_TILE = 32768 };

/* Scores rows ls[r0..re) of a list (len items) for one prepared query into its top-k heap h (m
 * entries, threshold *thr): the arithmetic of ix_ivf_search. `first`: the rows come from memory
 * (prefetch ahead); later queries of the group find them in the cache. */
static inline void scan_rows(const growth_index *x, bool l2, const float *q, const uint32_t *ls, size_t r0,
                             size_t re, size_t len, bool first, size_t k, ix_hit *h, size_t *m, float *thr)
{
    const size_t d = x->dim;
    float t = *thr;
    size_t mm = *m;
    for (size_t r = r0; r < re; r++) {
        uint32_t s = ls[r];
        if (first && r + IVF_AHEAD < len) prefetch_row(x->vec + (size_t)ls[r + IVF_AHEAD] * d, d);
        float key = ix_k.dot(q, x->vec + (size_t)s * d, d);
        if (l2) key = 2.0f * key - x->norm2[s];
        if (key > t && !ix_dead(x, s)) {
            ix_topk_offer(h, &mm, k, key, s);
            if (mm == k) t = h[0].key;
        }
    }
    *thr = t;
    *m = mm;
}

int ix_ivf_search_batch(const growth_index *x, const float *Q, size_t nq, size_t k, ix_scratch *sc, ix_hit *H,
                        size_t *cnt)
{
    static const char *who = "growth_index_search_batch";
    const size_t d = x->dim, L = (size_t)x->cfg.nlist, kh = k + 1;
    const size_t np = (size_t)x->cfg.nprobe < L ? (size_t)x->cfg.nprobe : L;
    const bool l2 = ivf_l2(x);
    const size_t tile = IVF_TILE / (d * sizeof(float)) ? IVF_TILE / (d * sizeof(float)) : 1;
    if (ix_reserve(who, (void **)&sc->c, &sc->ccap, nq * np, sizeof(ix_hit)) ||
        ix_reserve(who, (void **)&sc->u, &sc->ucap, L + 1 + nq * np, sizeof(uint32_t)) ||
        ix_reserve(who, (void **)&sc->ks, &sc->kscap, nq, sizeof(float)))
        return GROWTH_ENOMEM;
    /* 1. the np best centroids of every query (a min-heap of np each), a tile of centroids at a
     * time for all the queries */
    ix_hit *P = sc->c;
    for (size_t i = 0; i < nq; i++) cnt[i] = 0;
    for (size_t c0 = 0; c0 < L; c0 += tile) {
        size_t ce = L - c0 < tile ? L : c0 + tile;
        for (size_t i = 0; i < nq; i++) {
            const float *q = Q + i * d;
            ix_hit *p = P + i * np;
            size_t m = cnt[i];
            for (size_t c = c0; c < ce; c++) {
                float key = ix_k.dot(q, x->cent + c * d, d);
                if (l2) key = 2.0f * key - x->cent_norm2[c];
                ix_minh_offer(NULL, p, &m, np, (ix_hit){key, (uint32_t)c});
            }
            cnt[i] = m;
        }
    }
    /* 2. the queries of each list (counting sort): list c's are mem[off[c - 1]..off[c]) */
    uint32_t *off = sc->u, *mem = off + L + 1;
    memset(off, 0, (L + 1) * sizeof *off);
    for (size_t i = 0; i < nq; i++)
        for (size_t j = 0; j < cnt[i]; j++) off[P[i * np + j].slot + 1]++;
    for (size_t c = 0; c < L; c++) off[c + 1] += off[c];
    for (size_t i = 0; i < nq; i++)
        for (size_t j = 0; j < cnt[i]; j++) mem[off[P[i * np + j].slot]++] = (uint32_t)i;
    /* 3. each probed list read once: a tile of its rows, scored by each of its queries */
    float *thr = sc->ks;
    for (size_t i = 0; i < nq; i++) {
        cnt[i] = 0;
        thr[i] = -INFINITY;
    }
    for (size_t c = 0; c < L; c++) {
        size_t a = c ? off[c - 1] : 0, b = off[c], len = x->list_len[c];
        if (a == b || !len) continue;
        const uint32_t *ls = x->lists[c];
        for (size_t r = 0; r < len && r < IVF_AHEAD; r++) prefetch_row(x->vec + (size_t)ls[r] * d, d);
        for (size_t r0 = 0; r0 < len; r0 += tile) {
            size_t re = len - r0 < tile ? len : r0 + tile;
            for (size_t t = a; t < b; t++) {
                size_t i = mem[t];
                scan_rows(x, l2, Q + i * d, ls, r0, re, len, t == a, k, H + i * kh, &cnt[i], &thr[i]);
            }
        }
    }
    return GROWTH_OK;
}
