/* Peer audience: exact cosine similarity of every user to the seed.
 *
 * mode=max: blocks of users (normalised copies) times the normalised seed matrix through
 * cblas_sgemm, the row maximum of each block row; block rows are sized so a block of
 * similarities stays near 16 MiB. mode=centroid: one sgemv against the normalised mean of the
 * normalised seed vectors. Then the best n by a quickselect. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "audience_impl.h"

typedef struct {
    int mode; /* 0 max, 1 centroid */
    double min_sim;
    bool include_seed;
} peer_cfg;

static const gcfg_opt peer_opts[] = {
    {"mode", GCFG_ENUM, offsetof(peer_cfg, mode), "max", 0, 0, "max|centroid", false},
    {"min_similarity", GCFG_DOUBLE, offsetof(peer_cfg, min_sim), "-1", -1, 1, NULL, false},
    {"include_seed", GCFG_BOOL, offsetof(peer_cfg, include_seed), "false", 0, 0, NULL, false},
};

/* dst = src / |src| (0 for a zero vector), norms in double. */
static void normalise(float *dst, const float *src, size_t dim)
{
    double s = 0;
    for (size_t j = 0; j < dim; j++) s += (double)src[j] * src[j];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (size_t j = 0; j < dim; j++) dst[j] = src[j] * inv;
}

GROWTH_API int growth_audience_peer(const float *emb, size_t nusers, size_t dim, const uint32_t *seed,
                                    size_t nseed, size_t n, const char *config, uint32_t *out_users,
                                    float *out_sim, size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_peer";
    if (out_n) *out_n = 0;
    if (cap) GROWTH_CHECK_NULL(who, out_users);
    peer_cfg cfg;
    int rc = gcfg_parse("growth_audience_peer", peer_opts, sizeof peer_opts / sizeof peer_opts[0],
                        config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    GROWTH_CHECK_NULL(who, emb);
    if (nusers == 0 || nusers > AUD_MAX_IDS)
        return gerr(GROWTH_EINVAL, "%s: nusers = %zu is not in 1..%zu", who, nusers, AUD_MAX_IDS);
    if (dim == 0 || dim > 65536) return gerr(GROWTH_EINVAL, "%s: dim = %zu is not in 1..65536", who, dim);
    if (nusers > SIZE_MAX / sizeof(float) / dim)
        return gerr(GROWTH_EINVAL, "%s: embedding matrix is too large", who);
    for (size_t i = 0; i < nusers * dim; i++)
        if (!gfinite(emb[i]))
            return gerr(GROWTH_EINVAL, "%s: embedding of user %zu has %g at dimension %zu (must be finite)",
                        who, i / dim, (double)emb[i], i % dim);
    uint8_t *mask = NULL;
    size_t ns = 0;
    rc = aud_id_mask(who, "seed", seed, nseed, nusers, &mask, &ns);
    if (rc) return rc;
    if (ns > (size_t)2147483647) {
        free(mask);
        return gerr(GROWTH_EINVAL, "%s: %zu seed users, at most 2^31 - 1 (sgemm dimensions are int)", who,
                    ns);
    }
    size_t pool = cfg.include_seed ? nusers : nusers - ns;
    if (n == 0) {
        free(mask);
        return gerr(GROWTH_EINVAL, "%s: N is 0", who);
    }
    if (n > pool) {
        free(mask);
        return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users%s)", who, n, pool,
                    cfg.include_seed ? "" : " outside the seed");
    }
    if (cap < n) { /* after every other check: a second call with *out_n succeeds */
        free(mask);
        if (out_n) *out_n = n;
        return gerr(GROWTH_EBUFS, "%s: cap %zu is below N = %zu", who, cap, n);
    }

    /* distinct seed users, normalised */
    float *S = malloc(ns * dim * sizeof *S), *sim = malloc(nusers * sizeof *sim);
    float *blk = NULL, *out = NULL;
    grank_item *it = malloc(pool * sizeof *it);
    if (!S || !sim || !it) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    {
        size_t r = 0;
        for (size_t u = 0; u < nusers; u++)
            if (mask[u]) normalise(S + r++ * dim, emb + u * dim, dim);
    }
    if (cfg.mode == 1) {
        float *c = calloc(dim, sizeof *c);
        blk = malloc(dim * sizeof *blk);
        if (!c || !blk) {
            free(c);
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        for (size_t r = 0; r < ns; r++)
            for (size_t j = 0; j < dim; j++) c[j] += S[r * dim + j];
        normalise(blk, c, dim);
        free(c);
        for (size_t u = 0; u < nusers; u++) {
            double s = 0, q = 0;
            const float *x = emb + u * dim;
            for (size_t j = 0; j < dim; j++) {
                s += (double)x[j] * blk[j];
                q += (double)x[j] * x[j];
            }
            sim[u] = q > 0 ? (float)(s / sqrt(q)) : 0.0f;
        }
    } else {
        size_t B = (4u << 20) / (ns ? ns : 1);
        if (B < 1) B = 1;
        if (B > 1024) B = 1024;
        blk = malloc(B * dim * sizeof *blk);
        out = malloc(B * ns * sizeof *out);
        if (!blk || !out) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        for (size_t u0 = 0; u0 < nusers; u0 += B) {
            size_t b = nusers - u0 < B ? nusers - u0 : B;
            for (size_t i = 0; i < b; i++) normalise(blk + i * dim, emb + (u0 + i) * dim, dim);
            /* the block stays within 2^31 elements per dimension: B <= 1024, ns < 2^32 */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)ns, (int)dim, 1.0f, blk,
                        (int)dim, S, (int)dim, 0.0f, out, (int)ns);
            for (size_t i = 0; i < b; i++) {
                float mx = -INFINITY;
                for (size_t r = 0; r < ns; r++) mx = out[i * ns + r] > mx ? out[i * ns + r] : mx;
                sim[u0 + i] = mx;
            }
        }
    }
    size_t m = 0;
    for (size_t u = 0; u < nusers; u++) {
        if (!cfg.include_seed && mask[u]) continue;
        float s = sim[u] > 1.0f ? 1.0f : sim[u] < -1.0f ? -1.0f : sim[u];
        if ((double)s < cfg.min_sim) continue;
        it[m++] = (grank_item){s, (uint32_t)u, u};
    }
    size_t k = m < n ? m : n;
    grank_top_k(it, m, k);
    grank_sort(it, k);
    for (size_t i = 0; i < k; i++) {
        out_users[i] = it[i].id;
        if (out_sim) out_sim[i] = it[i].s;
    }
    if (out_n) *out_n = k;
done:
    free(S);
    free(sim);
    free(blk);
    free(out);
    free(it);
    free(mask);
    return rc;
}

/* ---- peer audience through a vector index ---------------------------------------------------
 *
 * The caller's index holds the users' embeddings under their user ids. mode=centroid is one
 * search for the normalised mean of the normalised seed vectors. mode=max searches each seed
 * vector for its n nearest (excluding the seed unless include_seed), in batches of seeds, and
 * keeps the n best users by their highest similarity: a user in the true top n whose maximum
 * is reached at seed s has fewer than n pool users above it for s (each of them would beat it
 * overall), so it is in s's list with that maximum; pruning the running set to the n best after
 * each batch keeps every such user, so with an exact (flat) index the result is exact. */

typedef struct {
    const uint32_t *seed; /* distinct seed ids, ascending */
    size_t ns;
} peer_excl;

static int peer_not_seed(int64_t id, void *user)
{
    const peer_excl *e = user;
    if (id < 0 || id > (int64_t)UINT32_MAX) return 1;
    uint32_t v = (uint32_t)id;
    size_t lo = 0, hi = e->ns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->seed[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return !(lo < e->ns && e->seed[lo] == v);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* by id, then the higher similarity first (so the first of each id is its maximum) */
static int cmp_item_id(const void *a, const void *b)
{
    const grank_item *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return (x->s < y->s) - (x->s > y->s);
}

/* metric of an index from its effective configuration: 0 ip, 1 cosine, 2 l2, -1 unknown */
static int index_metric(const growth_index *idx)
{
    char buf[512];
    size_t need = 0;
    if (growth_index_config(idx, buf, sizeof buf, &need) != GROWTH_OK) return -1;
    for (const char *p = buf; (p = strstr(p, "metric=")) != NULL; p += 7) {
        if (p != buf && p[-1] != ' ') continue;
        const char *v = p + 7;
        if (strncmp(v, "ip", 2) == 0 && (v[2] == ' ' || v[2] == 0)) return 0;
        if (strncmp(v, "cosine", 6) == 0 && (v[6] == ' ' || v[6] == 0)) return 1;
        if (strncmp(v, "l2", 2) == 0 && (v[2] == ' ' || v[2] == 0)) return 2;
        return -1;
    }
    return -1;
}

/* Keeps in it[0..*m) the distinct ids with their highest similarity, the best `n` of them. */
static void keep_best(grank_item *it, size_t *m, size_t n)
{
    size_t k = *m;
    if (k == 0) return;
    qsort(it, k, sizeof *it, cmp_item_id);
    size_t w = 0;
    for (size_t r = 0; r < k; r++)
        if (w == 0 || it[w - 1].id != it[r].id) it[w++] = it[r];
    if (w > n) grank_top_k(it, w, n), w = n;
    *m = w;
}

GROWTH_API int growth_audience_peer_index(const growth_index *idx, const uint32_t *seed, size_t nseed,
                                          size_t n, const char *config, uint32_t *out_users, float *out_sim,
                                          size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_peer_index";
    if (out_n) *out_n = 0;
    if (cap) GROWTH_CHECK_NULL(who, out_users);
    GROWTH_CHECK_NULL(who, idx);
    peer_cfg cfg;
    int rc = gcfg_parse(who, peer_opts, sizeof peer_opts / sizeof peer_opts[0], config ? config : "", &cfg,
                        sizeof cfg);
    if (rc) return rc;
    if (nseed == 0) return gerr(GROWTH_EINVAL, "%s: the seed is empty", who);
    if (nseed > (size_t)UINT32_MAX) return gerr(GROWTH_EINVAL, "%s: nseed = %zu is too large", who, nseed);
    GROWTH_CHECK_NULL(who, seed);
    int metric = index_metric(idx);
    if (metric < 0) return gerr(GROWTH_EINVAL, "%s: cannot read the index's metric", who);
    if (metric == 2)
        return gerr(GROWTH_EINVAL,
                    "%s: the index has metric=l2; peer similarity needs metric=cosine (or ip "
                    "over unit-length vectors)",
                    who);
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    rc = growth_index_stats_get(idx, &st);
    if (rc) return rc;
    uint64_t count = st.count, dim64 = st.dim;
    if (count == 0) return gerr(GROWTH_ESTATE, "%s: the index holds no vector", who);
    size_t dim = (size_t)dim64;

    uint32_t *sd = malloc(nseed * sizeof *sd);
    float *S = NULL, *q = NULL, *sims = NULL;
    int64_t *ids = NULL;
    grank_item *it = NULL;
    if (!sd) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    memcpy(sd, seed, nseed * sizeof *sd);
    qsort(sd, nseed, sizeof *sd, cmp_u32);
    size_t ns = 0;
    for (size_t i = 0; i < nseed; i++)
        if (ns == 0 || sd[ns - 1] != sd[i]) sd[ns++] = sd[i];
    if (ns > (size_t)count) { /* cannot all be in the index */
        rc = gerr(GROWTH_EINVAL, "%s: %zu distinct seed users but the index holds %llu vectors", who, ns,
                  (unsigned long long)count);
        goto done;
    }
    size_t pool = cfg.include_seed ? (size_t)count : (size_t)count - ns;
    if (n == 0) {
        rc = gerr(GROWTH_EINVAL, "%s: N is 0", who);
        goto done;
    }
    if (n > pool) {
        rc = gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users%s)", who, n, pool,
                  cfg.include_seed ? "" : " outside the seed");
        goto done;
    }
    if (ns > SIZE_MAX / sizeof(float) / dim) {
        rc = gerr(GROWTH_ENOMEM, "%s: seed too large", who);
        goto done;
    }

    /* the seed users' vectors, normalised (the index stores them normalised for cosine) */
    S = malloc(ns * dim * sizeof *S);
    q = malloc(dim * sizeof *q);
    if (!S || !q) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (size_t r = 0; r < ns; r++) {
        rc = growth_index_get(idx, (int64_t)sd[r], q, dim);
        if (rc == GROWTH_ENOTFOUND) {
            rc = gerr(GROWTH_EINVAL, "%s: seed user %u is not in the index", who, sd[r]);
            goto done;
        }
        if (rc) goto done;
        normalise(S + r * dim, q, dim);
    }
    if (cap < n) { /* after the seed is validated: a second call with *out_n succeeds */
        if (out_n) *out_n = n;
        rc = gerr(GROWTH_EBUFS, "%s: cap %zu is below N = %zu", who, cap, n);
        goto done;
    }
    peer_excl ex = {sd, ns};
    growth_id_filter filt = GROWTH_ID_FILTER_INIT;
    filt.fn = peer_not_seed;
    filt.user = &ex;
    const growth_id_filter *fp = cfg.include_seed ? NULL : &filt;

    /* queries per batch: about 1M results in flight */
    size_t C = 1;
    if (cfg.mode == 1) {
        double *c = calloc(dim, sizeof *c);
        if (!c) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        for (size_t r = 0; r < ns; r++)
            for (size_t j = 0; j < dim; j++) c[j] += S[r * dim + j];
        for (size_t j = 0; j < dim; j++) q[j] = (float)c[j];
        free(c);
        normalise(q, q, dim);
    } else {
        C = ((size_t)1 << 20) / n;
        if (C < 1) C = 1;
        if (C > ns) C = ns;
    }
    size_t per = C * n;
    ids = malloc(per * sizeof *ids);
    sims = malloc(per * sizeof *sims);
    it = malloc((n + per) * sizeof *it);
    if (!ids || !sims || !it) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    size_t m = 0;
    size_t nbatch = cfg.mode == 1 ? 1 : ns;
    for (size_t r0 = 0; r0 < nbatch; r0 += C) {
        size_t c = nbatch - r0 < C ? nbatch - r0 : C;
        const float *Q = cfg.mode == 1 ? q : S + r0 * dim;
        rc = growth_index_search_batch(idx, Q, c, n, fp, ids, sims, c * n);
        if (rc) goto done; /* the index's message stands */
        for (size_t e = 0; e < c * n; e++) {
            if (ids[e] < 0) continue; /* padding: fewer matches than n */
            if (ids[e] > (int64_t)UINT32_MAX - 1) {
                rc = gerr(GROWTH_EINVAL, "%s: index id %lld is not a user id (must be below 2^32 - 1)", who,
                          (long long)ids[e]);
                goto done;
            }
            float s = sims[e];
            if (metric == 1) s = s > 1.0f ? 1.0f : s < -1.0f ? -1.0f : s;
            it[m++] = (grank_item){s, (uint32_t)ids[e], (size_t)ids[e]};
        }
        keep_best(it, &m, n);
    }
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if ((double)it[i].s >= cfg.min_sim) it[k++] = it[i];
    grank_sort(it, k);
    for (size_t i = 0; i < k; i++) {
        out_users[i] = it[i].id;
        if (out_sim) out_sim[i] = it[i].s;
    }
    if (out_n) *out_n = k;
done:
    free(sd);
    free(S);
    free(q);
    free(ids);
    free(sims);
    free(it);
    return rc;
}
