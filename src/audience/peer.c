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

GROWTH_API int growth_audience_peer(const float *emb, size_t nusers, size_t dim,
                                    const uint32_t *seed, size_t nseed, size_t n,
                                    const char *config, uint32_t *out_users, float *out_sim,
                                    size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_peer";
    GROWTH_CHECK_NULL(who, out_n);
    GROWTH_CHECK_NULL(who, out_users);
    peer_cfg cfg;
    int rc = gcfg_parse("growth_audience_peer", peer_opts, sizeof peer_opts / sizeof peer_opts[0],
                        config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    GROWTH_CHECK_NULL(who, emb);
    if (nusers == 0 || nusers > AUD_MAX_IDS)
        return gerr(GROWTH_EINVAL, "%s: nusers = %zu is not in 1..%zu", who, nusers, AUD_MAX_IDS);
    if (dim == 0 || dim > 65536) return gerr(GROWTH_EINVAL, "%s: dim = %zu is not in 1..65536", who, dim);
    if (nusers > SIZE_MAX / sizeof(float) / dim) return gerr(GROWTH_EINVAL, "%s: embedding matrix is too large", who);
    for (size_t i = 0; i < nusers * dim; i++)
        if (!gfinite(emb[i]))
            return gerr(GROWTH_EINVAL, "%s: embedding of user %zu has %g at dimension %zu (must be finite)", who,
                        i / dim, (double)emb[i], i % dim);
    uint8_t *mask = NULL;
    size_t ns = 0;
    rc = aud_id_mask(who, "seed", seed, nseed, nusers, &mask, &ns);
    if (rc) return rc;
    if (ns > (size_t)2147483647) {
        free(mask);
        return gerr(GROWTH_EINVAL, "%s: %zu seed users, at most 2^31 - 1 (sgemm dimensions are int)", who, ns);
    }
    size_t pool = cfg.include_seed ? nusers : nusers - ns;
    if (n == 0) { free(mask); return gerr(GROWTH_EINVAL, "%s: N is 0", who); }
    if (n > pool) {
        free(mask);
        return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users%s)", who, n, pool,
                    cfg.include_seed ? "" : " outside the seed");
    }
    if (cap < n) { free(mask); return gerr(GROWTH_EBUFS, "%s: cap %zu is below N = %zu", who, cap, n); }

    /* distinct seed users, normalised */
    float *S = malloc(ns * dim * sizeof *S), *sim = malloc(nusers * sizeof *sim);
    float *blk = NULL, *out = NULL;
    aud_item *it = malloc(pool * sizeof *it);
    if (!S || !sim || !it) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    {
        size_t r = 0;
        for (size_t u = 0; u < nusers; u++)
            if (mask[u]) normalise(S + r++ * dim, emb + u * dim, dim);
    }
    if (cfg.mode == 1) {
        float *c = calloc(dim, sizeof *c);
        blk = malloc(dim * sizeof *blk);
        if (!c || !blk) { free(c); rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
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
        if (!blk || !out) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
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
        it[m++] = (aud_item){s, (uint32_t)u, u};
    }
    size_t k = m < n ? m : n;
    aud_top_k(it, m, k);
    aud_sort(it, k);
    for (size_t i = 0; i < k; i++) {
        out_users[i] = it[i].id;
        if (out_sim) out_sim[i] = it[i].s;
    }
    *out_n = k;
done:
    free(S);
    free(sim);
    free(blk);
    free(out);
    free(it);
    free(mask);
    return rc;
}
