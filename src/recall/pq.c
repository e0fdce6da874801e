/* Compressed vector storage: fp16 and product quantisation (Jegou, Douze & Schmid 2011).
 *
 * storage=fp16 keeps each vector as dim IEEE half floats (2 dim bytes) and scores them through
 * F16C conversions. storage=pq splits a vector into pq_m sub-vectors of dsub = dim / pq_m
 * floats and keeps, for each, the index of the nearest of 256 codewords (pq_m bytes a
 * vector). The codebooks are trained by k-means on a sample of at most pq_train vectors; in an
 * IVF index (IVF-PQ) on the residuals x - c of the vectors to their coarse centroid, as FAISS
 * does by default, so a vector is reconstructed as c + (codeword_1, ..., codeword_m).
 *
 * Search scores codes with asymmetric distance tables (ADC): the query is not quantised; per
 * query (IVF l2: per probed list) a table T[j][c] is filled for every sub-quantiser j and
 * codeword c, and a code's key is base + sum_j T[j][code_j], a run of table look-ups done by
 * ix_k.adc (AVX2 gathers of 8 sub-quantisers at once). Keys keep the index's convention,
 * larger is better:
 *   ip / cosine:  q.x^ = q.c + sum_j q_j . w_j           (T[j][c] = q_j . w_jc, base = q.c)
 *   l2:           |q|^2 - |q - x^|^2 = (2 q.c - |c|^2) + sum_j (2 u_j . w_jc - |w_jc|^2),
 *                 u = q - c                               (base: the centroid's own key)
 * with c = 0 in a flat index. With rerank=N the float vectors are kept as well, the codes give
 * a short list of max(N, k) candidates and those are re-scored exactly.
 *
 * opq=1 (Ge, He, Ke & Sun 2013, "Optimized product quantization", the non-parametric variant
 * FAISS's OPQMatrix implements): an orthogonal d x d rotation R is learnt on the training
 * sample (in IVF on the residuals) by alternating a few k-means iterations of the PQ codebooks
 * on the rotated sample with the orthogonal Procrustes solution R = argmin |X R^T - Y^|_F for the
 * reconstructions Y^ (ix_procrustes), then the codebooks are trained on the sample rotated by the
 * final R. Codes quantise R (x - c); R keeps dot products and distances, so the tables above
 * take the rotated query R q (and the rotated centroids R c) and the coarse quantiser, the
 * float vectors and the keys are unchanged. A reconstruction is c + R^T (w_1, ..., w_m). */
#define _GNU_SOURCE
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"

/* y[0..256) += a x[0..256): restrict lets GCC vectorise it at -O2. */
static inline void axpy256(float *restrict y, float a, const float *restrict x)
{
    for (size_t k = 0; k < IX_PQ_K; k++) y[k] += a * x[k];
}

size_t ix_code_size(const ix_cfg *c)
{
    if (c->storage == IX_S_FP16) return 2 * (size_t)c->dim;
    if (c->storage == IX_S_PQ) return (size_t)c->pq_m;
    return 0;
}

void ix_pq_free(growth_index *x)
{
    free(x->pq_cb);
    free(x->pq_cbt);
    free(x->pq_cn);
    free(x->pq_pre);
    free(x->pq_rot);
    free(x->pq_rc);
    x->pq_cb = x->pq_cbt = x->pq_cn = x->pq_pre = x->pq_rot = x->pq_rc = NULL;
}

#define IX_PQ_PRE_MAX ((size_t)512 << 20)

size_t ix_pq_pre_bytes(const ix_cfg *c)
{
    if (c->storage != IX_S_PQ || c->kind != IX_IVF || c->metric != IX_L2) return 0;
    double b = (double)c->nlist * (double)c->pq_m * IX_PQ_K * 4;
    return b <= (double)IX_PQ_PRE_MAX ? (size_t)b : 0;
}

int ix_pq_install(growth_index *x, float *cb, float *rot)
{
    const size_t m = (size_t)x->cfg.pq_m, ds = x->dim / m, d = x->dim, L = (size_t)x->cfg.nlist;
    float *cbt = malloc(m * ds * IX_PQ_K * sizeof *cbt), *cn = malloc(m * IX_PQ_K * sizeof *cn);
    size_t preb = x->cent ? ix_pq_pre_bytes(&x->cfg) : 0;
    float *pre = preb ? malloc(preb) : NULL;
    float *rc = rot && x->cent ? malloc(L * d * sizeof *rc) : NULL;
    if (!cbt || !cn || (preb && !pre) || (rot && x->cent && !rc)) {
        free(cbt);
        free(cn);
        free(pre);
        free(rc);
        return gerr(GROWTH_ENOMEM, "pq: out of memory for the codebooks");
    }
    if (rc) /* the rotated centroids R c: rows of C R^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)L, (int)d, (int)d, 1.0f, x->cent, (int)d,
                    rot, (int)d, 0.0f, rc, (int)d);
    for (size_t j = 0; j < m; j++)
        for (size_t c = 0; c < IX_PQ_K; c++) {
            const float *w = cb + (j * IX_PQ_K + c) * ds;
            float s = 0;
            for (size_t t = 0; t < ds; t++) {
                cbt[(j * ds + t) * IX_PQ_K + c] = w[t];
                s += w[t] * w[t];
            }
            cn[j * IX_PQ_K + c] = s;
        }
    /* IVF-PQ l2 (FAISS's precomputed tables): the part of a list's table that does not depend
     * on the query, |w_jk|^2 + 2 c_j . w_jk, so a probed list costs pq_m x 256 subtractions */
    for (size_t l = 0; pre && l < (size_t)x->cfg.nlist; l++) {
        const float *c = (rc ? rc : x->cent) + l * x->dim;
        float *p = pre + l * m * IX_PQ_K;
        for (size_t j = 0; j < m; j++) {
            float *pj = p + j * IX_PQ_K;
            for (size_t k = 0; k < IX_PQ_K; k++) pj[k] = cn[j * IX_PQ_K + k];
            for (size_t t = 0; t < ds; t++) {
                axpy256(pj, 2.0f * c[j * ds + t], cbt + (j * ds + t) * IX_PQ_K);
            }
        }
    }
    pthread_rwlock_wrlock(&x->rw);
    ix_pq_free(x);
    x->pq_cb = cb;
    x->pq_cbt = cbt;
    x->pq_cn = cn;
    x->pq_pre = pre;
    x->pq_rot = rot;
    x->pq_rc = rc;
    pthread_rwlock_unlock(&x->rw);
    return GROWTH_OK;
}

size_t ix_pq_bytes(const growth_index *x)
{
    if (!x->pq_cb) return 0;
    return x->dim * IX_PQ_K * 4 * 2 + (size_t)x->cfg.pq_m * IX_PQ_K * 4 +
           (x->pq_pre ? ix_pq_pre_bytes(&x->cfg) : 0) + (x->pq_rot ? x->dim * x->dim * 4 : 0) +
           (x->pq_rc ? (size_t)x->cfg.nlist * x->dim * 4 : 0);
}

/* Nearest codeword of sub-vector v (dsub floats) of sub-quantiser j: argmax 2 v.w - |w|^2,
 * over the transposed codebook (the inner loop runs over 256 contiguous codewords). */
static uint8_t nearest_code(const float *cbt, const float *cn, const float *v, size_t ds)
{
    float acc[IX_PQ_K];
    for (size_t c = 0; c < IX_PQ_K; c++) acc[c] = -cn[c];
    for (size_t t = 0; t < ds; t++) {
        const float a = 2.0f * v[t], *row = cbt + t * IX_PQ_K;
        for (size_t c = 0; c < IX_PQ_K; c++) acc[c] += a * row[c];
    }
    size_t best = 0;
    for (size_t c = 1; c < IX_PQ_K; c++)
        if (acc[c] > acc[best]) best = c;
    return (uint8_t)best;
}

void ix_encode(const growth_index *x, const float *v, uint32_t list, uint8_t *code)
{
    const size_t d = x->dim;
    if (x->cfg.storage == IX_S_FP16) {
        for (size_t i = 0; i < d; i++) {
            uint16_t h = ix_f2h(v[i]);
            memcpy(code + 2 * i, &h, 2);
        }
        return;
    }
    const size_t m = (size_t)x->cfg.pq_m, ds = d / m;
    const float *R = x->pq_rot;
    const float *c = x->cfg.kind == IX_IVF ? (R ? x->pq_rc : x->cent) + (size_t)list * d : NULL;
    float r[256]; /* a sub-vector (its residual in IVF): dsub <= 65536 / 1, so work in pieces */
    for (size_t j = 0; j < m; j++) {
        const float *sv = v + j * ds;
        if (R) { /* opq: component t of R (v - c) is R_t . v - (R c)_t, a piece at a time */
            float acc[IX_PQ_K];
            const float *cn = x->pq_cn + j * IX_PQ_K;
            for (size_t k = 0; k < IX_PQ_K; k++) acc[k] = -cn[k];
            for (size_t t0 = 0; t0 < ds; t0 += 256) {
                size_t te = ds - t0 < 256 ? ds : t0 + 256;
                for (size_t t = t0; t < te; t++)
                    r[t - t0] = ix_k.dot(R + (j * ds + t) * d, v, d) - (c ? c[j * ds + t] : 0.0f);
                for (size_t t = t0; t < te; t++) {
                    const float a = 2.0f * r[t - t0], *row = x->pq_cbt + (j * ds + t) * IX_PQ_K;
                    for (size_t k = 0; k < IX_PQ_K; k++) acc[k] += a * row[k];
                }
            }
            size_t best = 0;
            for (size_t k = 1; k < IX_PQ_K; k++)
                if (acc[k] > acc[best]) best = k;
            code[j] = (uint8_t)best;
        } else if (c || ds > 256) {
            /* residual (or a long sub-vector): score codewords piece by piece */
            float acc[IX_PQ_K];
            const float *cn = x->pq_cn + j * IX_PQ_K;
            for (size_t k = 0; k < IX_PQ_K; k++) acc[k] = -cn[k];
            for (size_t t0 = 0; t0 < ds; t0 += 256) {
                size_t te = ds - t0 < 256 ? ds : t0 + 256;
                for (size_t t = t0; t < te; t++) r[t - t0] = sv[t] - (c ? c[j * ds + t] : 0.0f);
                for (size_t t = t0; t < te; t++) {
                    const float a = 2.0f * r[t - t0], *row = x->pq_cbt + (j * ds + t) * IX_PQ_K;
                    for (size_t k = 0; k < IX_PQ_K; k++) acc[k] += a * row[k];
                }
            }
            size_t best = 0;
            for (size_t k = 1; k < IX_PQ_K; k++)
                if (acc[k] > acc[best]) best = k;
            code[j] = (uint8_t)best;
        } else
            code[j] = nearest_code(x->pq_cbt + j * ds * IX_PQ_K, x->pq_cn + j * IX_PQ_K, sv, ds);
    }
}

void ix_decode(const growth_index *x, uint32_t s, float *out)
{
    const size_t d = x->dim;
    const uint8_t *code = ix_code(x, s);
    if (x->cfg.storage == IX_S_FP16) {
        for (size_t i = 0; i < d; i++) {
            uint16_t h;
            memcpy(&h, code + 2 * i, 2);
            out[i] = ix_h2f(h);
        }
        return;
    }
    const size_t m = (size_t)x->cfg.pq_m, ds = d / m;
    const float *c = x->cfg.kind == IX_IVF ? x->cent + (size_t)x->assign[s] * d : NULL;
    if (x->pq_rot) { /* c + R^T w = c + sum_t w_t R_t (rows of R), without a temporary */
        if (c)
            memcpy(out, c, d * sizeof *out);
        else
            memset(out, 0, d * sizeof *out);
        for (size_t j = 0; j < m; j++) {
            const float *w = x->pq_cb + ((size_t)j * IX_PQ_K + code[j]) * ds;
            for (size_t t = 0; t < ds; t++) {
                const float a = w[t], *Rt = x->pq_rot + (j * ds + t) * d;
                for (size_t i = 0; i < d; i++) out[i] += a * Rt[i];
            }
        }
        return;
    }
    for (size_t j = 0; j < m; j++) {
        const float *w = x->pq_cb + ((size_t)j * IX_PQ_K + code[j]) * ds;
        for (size_t t = 0; t < ds; t++) out[j * ds + t] = w[t] + (c ? c[j * ds + t] : 0.0f);
    }
}

float ix_code_key(const growth_index *x, const float *q, uint32_t s, float *buf)
{
    ix_decode(x, s, buf);
    float key = ix_k.dot(q, buf, x->dim);
    if (x->cfg.metric == IX_L2) key = 2.0f * key - ix_k.dot(buf, buf, x->dim);
    return key;
}

/* ---- training ----------------------------------------------------------------------------- */

enum { PB = 4096 }; /* points per sgemm block */

/* k-means with 256 centroids on n points of ds floats (rows of P), Lloyd iterations with the
 * assignment as sgemm; empty clusters split the largest. Writes 256 x ds centroids (starting from
 * those in cent when warm, else from the first 256 points) and leaves in `as` the assignment of
 * the last iteration. */
static void kmeans256(const float *P, size_t n, size_t ds, int64_t iters, grng *r, float *cent, float *acc,
                      float *cn, float *S, uint32_t *as, size_t *cnt, bool warm)
{
    for (size_t c = 0; !warm && c < IX_PQ_K; c++)
        memcpy(cent + c * ds, P + c * ds, ds * sizeof *cent); /* random sample */
    for (int64_t it = 0; it < iters; it++) {
        for (size_t c = 0; c < IX_PQ_K; c++) cn[c] = ix_k.dot(cent + c * ds, cent + c * ds, ds);
        for (size_t b = 0; b < n; b += PB) {
            size_t nb = n - b < PB ? n - b : PB;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, IX_PQ_K, (int)ds, 2.0f, P + b * ds,
                        (int)ds, cent, (int)ds, 0.0f, S, IX_PQ_K);
            for (size_t i = 0; i < nb; i++) {
                const float *row = S + i * IX_PQ_K;
                size_t best = 0;
                float bk = row[0] - cn[0];
                for (size_t c = 1; c < IX_PQ_K; c++) {
                    float k = row[c] - cn[c];
                    if (k > bk) {
                        bk = k;
                        best = c;
                    }
                }
                as[b + i] = (uint32_t)best;
            }
        }
        ix_kmeans_update(P, n, ds, as, IX_PQ_K, cent, acc, cnt, r);
    }
}

int ix_pq_train(growth_index *x, const float *v, size_t n, bool normalise, const ix_progress *pg)
{
    const size_t d = x->dim, m = (size_t)x->cfg.pq_m, ds = d / m;
    size_t ns = n < (size_t)x->cfg.pq_train ? n : (size_t)x->cfg.pq_train;
    if (ns < IX_PQ_K)
        return gerr(GROWTH_EINVAL, "%s: storage=pq needs at least %d training vectors, got %zu",
                    pg ? pg->who : "pq", IX_PQ_K, ns);
    grng r;
    grng_seed(&r, (uint64_t)x->cfg.seed ^ 0x70715f6b6d65616eULL);
    float *pts = malloc(ns * d * sizeof *pts), *sub = malloc(ns * ds * sizeof *sub);
    float *cb = malloc(m * IX_PQ_K * ds * sizeof *cb), *acc = malloc(IX_PQ_K * ds * sizeof *acc);
    float *cn = malloc(IX_PQ_K * sizeof *cn), *S = malloc((size_t)PB * IX_PQ_K * sizeof *S);
    uint32_t *as = malloc(ns * sizeof *as), *perm = malloc(n * sizeof *perm), *lists = NULL;
    float *rot = NULL, *Y = NULL;
    size_t *cnt = malloc(IX_PQ_K * sizeof *cnt);
    int rc = GROWTH_OK;
    if (!pts || !sub || !cb || !acc || !cn || !S || !as || !perm || !cnt) {
        rc = gerr(GROWTH_ENOMEM, "pq: out of memory for k-means on %zu points", ns);
        goto done;
    }
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    for (size_t i = 0; i < ns; i++) { /* a random sample: partial Fisher-Yates */
        size_t j = i + (size_t)grng_below(&r, n - i);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        memcpy(pts + i * d, v + (size_t)perm[i] * d, d * sizeof *pts);
        if (normalise) ix_normalise(pts + i * d, d);
    }
    if (x->cfg.kind == IX_IVF) { /* residuals to the coarse centroids */
        lists = malloc(ns * sizeof *lists);
        if (!lists) {
            rc = gerr(GROWTH_ENOMEM, "pq: out of memory");
            goto done;
        }
        if ((rc = ix_ivf_assign(x, pts, ns, lists))) goto done; /* pts are normalised already */
        for (size_t i = 0; i < ns; i++) {
            const float *c = x->cent + (size_t)lists[i] * d;
            for (size_t t = 0; t < d; t++) pts[i * d + t] -= c[t];
        }
    }
    const int64_t outer = x->cfg.opq ? x->cfg.iters : 0; /* OPQ alternations */
    if (x->cfg.opq) {
        rot = malloc(d * d * sizeof *rot);
        Y = malloc(ns * d * sizeof *Y);
        if (!rot || !Y) {
            rc = gerr(GROWTH_ENOMEM, "pq: out of memory for the OPQ rotation");
            goto done;
        }
        memset(rot, 0, d * d * sizeof *rot);
        for (size_t i = 0; i < d; i++) rot[i * d + i] = 1.0f;
    }
    for (int64_t o = 0; o < outer; o++) {
        /* Y = X R^T, a few k-means iterations of every sub-quantiser on it (all of them the
         * first time), Y^ = the reconstructions, then R = argmin |X R^T - Y^| */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ns, (int)d, (int)d, 1.0f, pts, (int)d, rot,
                    (int)d, 0.0f, Y, (int)d);
        for (size_t j = 0; j < m; j++) {
            float *cj = cb + j * IX_PQ_K * ds;
            for (size_t i = 0; i < ns; i++) memcpy(sub + i * ds, Y + i * d + j * ds, ds * sizeof *sub);
            kmeans256(sub, ns, ds, o ? 4 : x->cfg.iters, &r, cj, acc, cn, S, as, cnt, o > 0);
            for (size_t i = 0; i < ns; i++)
                memcpy(Y + i * d + j * ds, cj + (size_t)as[i] * ds, ds * sizeof *Y);
        }
        if ((rc = ix_procrustes(pts, Y, ns, d, rot))) goto done;
        if (pg && pg->fn && pg->fn(pg->stage, (double)(o + 1) / (double)(outer + 1), pg->user)) {
            rc = gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback (OPQ iteration %lld of %lld)",
                      pg->who, (long long)(o + 1), (long long)outer);
            goto done;
        }
    }
    if (rot) /* the sample rotated by the final R trains the codebooks */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ns, (int)d, (int)d, 1.0f, pts, (int)d, rot,
                    (int)d, 0.0f, Y, (int)d);
    const float *P = rot ? Y : pts;
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < ns; i++) memcpy(sub + i * ds, P + i * d + j * ds, ds * sizeof *sub);
        kmeans256(sub, ns, ds, x->cfg.iters, &r, cb + j * IX_PQ_K * ds, acc, cn, S, as, cnt, rot != NULL);
        if (pg && pg->fn &&
            pg->fn(pg->stage, ((double)outer + (double)(j + 1) / (double)m) / (double)(outer + 1),
                   pg->user)) {
            rc = gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback (PQ sub-quantiser %zu of %zu)",
                      pg->who, j + 1, m);
            goto done;
        }
    }
    if (!gall_finite_f32(cb, m * IX_PQ_K * ds)) {
        rc = gerr(GROWTH_EINVAL, "pq: k-means diverged (training data too large in magnitude?)");
        goto done;
    }
    if (rot && !gall_finite_f32(rot, d * d)) {
        rc = gerr(GROWTH_EINVAL, "pq: the OPQ rotation diverged");
        goto done;
    }
    rc = ix_pq_install(x, cb, rot);
    if (!rc) cb = rot = NULL;
done:
    free(rot);
    free(Y);
    free(pts);
    free(sub);
    free(cb);
    free(acc);
    free(cn);
    free(S);
    free(as);
    free(perm);
    free(lists);
    free(cnt);
    return rc;
}

/* ---- search ------------------------------------------------------------------------------- */

/* T[j][c] for vector u: u_j . w_jc (ip, cosine, or l2 = false) or 2 u_j . w_jc - |w_jc|^2 (l2). */
static void pq_table(const growth_index *x, const float *u, float *T, bool l2)
{
    const size_t m = (size_t)x->cfg.pq_m, ds = x->dim / m;
    for (size_t j = 0; j < m; j++) {
        float *t = T + j * IX_PQ_K;
        const float *cn = x->pq_cn + j * IX_PQ_K;
        if (l2)
            for (size_t c = 0; c < IX_PQ_K; c++) t[c] = -cn[c];
        else
            memset(t, 0, IX_PQ_K * sizeof *t);
        for (size_t s = 0; s < ds; s++) {
            axpy256(t, (l2 ? 2.0f : 1.0f) * u[j * ds + s], x->pq_cbt + (j * ds + s) * IX_PQ_K);
        }
    }
}

/* T = 2 T3 - P (n floats). */
static void list_table(float *restrict T, const float *restrict T3, const float *restrict P, size_t n)
{
    for (size_t i = 0; i < n; i++) T[i] = 2.0f * T3[i] - P[i];
}

enum { RUN = 256 }; /* codes scored per kernel call */

/* Scores the n codes (contiguous) of slots `slots` (NULL: slots first..first+n) and offers
 * those above the heap's threshold. */
static void scan_run(const growth_index *x, const float *q, float qn2, const float *T, float base,
                     const uint8_t *codes, const uint32_t *slots, uint32_t first, size_t n,
                     const growth_id_filter *f, float *ks, ix_hit *H, size_t *m, size_t kk, float *thr)
{
    const bool l2 = x->cfg.metric == IX_L2;
    for (size_t b = 0; b < n; b += RUN) {
        size_t nb = n - b < RUN ? n - b : RUN;
        const uint8_t *cb = codes + b * x->cs;
        if (T)
            ix_k.adc(T, cb, x->cs, nb, ks);
        else
            for (size_t i = 0; i < nb; i++) {
                const uint16_t *h = (const uint16_t *)(const void *)(cb + i * x->cs);
                ks[i] = l2 ? qn2 - ix_k.l2sq16(q, h, x->dim) : ix_k.dot16(q, h, x->dim);
            }
        for (size_t i = 0; i < nb; i++) {
            float key = ks[i] + base;
            if (key > *thr) {
                uint32_t s = slots ? slots[b + i] : first + (uint32_t)(b + i);
                if (!ix_pass(x, f, s)) continue;
                ix_topk_offer(H, m, kk, key, s);
                if (*m == kk) *thr = H[0].key;
            }
        }
    }
}

int ix_codes_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                    ix_scratch *sc, ix_hit *out, size_t *nout)
{
    static const char *who = "growth_index_search";
    const size_t d = x->dim;
    const bool l2 = x->cfg.metric == IX_L2, pq = x->cfg.storage == IX_S_PQ, rr = x->vec != NULL;
    size_t kk = rr && (size_t)x->cfg.rerank > k ? (size_t)x->cfg.rerank : k;
    if (kk > x->live) kk = x->live;
    if (ix_reserve(who, (void **)&sc->ks, &sc->kscap, RUN, sizeof(float)) ||
        (pq &&
         ix_reserve(who, (void **)&sc->tab, &sc->tabcap, 2 * (size_t)x->cfg.pq_m * IX_PQ_K, sizeof(float))) ||
        (rr && ix_reserve(who, (void **)&sc->r, &sc->rcap, kk + 1, sizeof(ix_hit))) ||
        (x->pq_rot && ix_reserve(who, (void **)&sc->rq, &sc->rqcap, d, sizeof(float))) ||
        ix_reserve(who, (void **)&sc->dec, &sc->deccap, d, sizeof(float)))
        return GROWTH_ENOMEM;
    ix_hit *H = rr ? sc->r : out;
    float *T = pq ? sc->tab : NULL, thr = -INFINITY, qn2 = l2 ? ix_k.dot(q, q, d) : 0.0f;
    size_t m = 0;
    const float *qt = q; /* the query the PQ tables see: R q with opq */
    if (x->pq_rot && sc->qrot) {
        qt = sc->qrot; /* rotated by the batch, with the same dots */
    } else if (x->pq_rot) {
        for (size_t i = 0; i < d; i++) sc->rq[i] = ix_k.dot(x->pq_rot + i * d, q, d);
        qt = sc->rq;
    }
    if (x->cfg.kind == IX_FLAT) {
        if (pq) pq_table(x, qt, T, l2);
        scan_run(x, q, qn2, T, 0.0f, x->codes, NULL, 0, x->n, f, sc->ks, H, &m, kk, &thr);
    } else {
        const size_t L = (size_t)x->cfg.nlist;
        size_t np = (size_t)x->cfg.nprobe < L ? (size_t)x->cfg.nprobe : L;
        if (ix_reserve("ivf", (void **)&sc->c, &sc->ccap, L + 1, sizeof(ix_hit))) return GROWTH_ENOMEM;
        ix_hit *C = sc->c;
        for (size_t c = 0; c < L; c++) {
            float key = ix_k.dot(q, x->cent + c * d, d);
            if (l2) key = 2.0f * key - x->cent_norm2[c];
            C[c] = (ix_hit){key, (uint32_t)c};
        }
        size_t nc = L;
        for (size_t i = L / 2; i-- > 0;) ix_maxh_down(NULL, C, nc, i);
        /* ip / cosine: one table for every list; l2 with precomputed terms: q_j . w once, then
         * 2 q_j . w - (|w|^2 + 2 c_j . w) per list */
        float *T3 = pq ? T + (size_t)x->cfg.pq_m * IX_PQ_K : NULL;
        if (pq && !l2) pq_table(x, qt, T, false);
        if (pq && l2 && x->pq_pre) pq_table(x, qt, T3, false);
        float *u = sc->dec;
        for (size_t p = 0; nc && (p < np || m < kk); p++) {
            ix_hit top = ix_maxh_pop(NULL, C, &nc);
            uint32_t c = top.slot;
            size_t len = x->list_len[c];
            if (!len) continue;
            float base = 0.0f;
            if (pq) {
                base = top.key; /* q.c, or 2 q.c - |c|^2 */
                if (l2 && x->pq_pre) {
                    list_table(T, T3, x->pq_pre + (size_t)c * x->cs * IX_PQ_K, x->cs * IX_PQ_K);
                } else if (l2) {
                    const float *cv = (x->pq_rc ? x->pq_rc : x->cent) + (size_t)c * d;
                    for (size_t t = 0; t < d; t++) u[t] = qt[t] - cv[t];
                    pq_table(x, u, T, true);
                }
            }
            scan_run(x, q, qn2, T, base, x->lcodes[c], x->lists[c], 0, len, f, sc->ks, H, &m, kk, &thr);
        }
    }
    if (rr) { /* exact re-scoring of the short list */
        size_t mo = 0;
        size_t kr = k < m ? k : m;
        for (size_t i = 0; i < m; i++) {
            uint32_t s = H[i].slot;
            float key = ix_k.dot(q, x->vec + (size_t)s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            ix_topk_offer(out, &mo, kr, key, s);
        }
        m = mo;
    }
    *nout = m;
    return GROWTH_OK;
}

/* ---- OPQ: orthogonal Procrustes ------------------------------------------------------------ */

/* LAPACK's SVD, exported by the OpenBLAS the build links for cblas (libopenblas carries LAPACK;
 * no lapacke header is needed). Fortran convention: arguments by pointer, the hidden lengths of
 * the two character arguments last. */
extern void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
                    const int *lda, double *s, double *u, const int *ldu, double *vt, const int *ldvt,
                    double *work, const int *lwork, int *info, size_t jobu_len, size_t jobvt_len);

int ix_procrustes(const float *X, const float *Y, size_t n, size_t d, float *R)
{
    if (d > 46340) return gerr(GROWTH_EINVAL, "pq: OPQ rotation of dim %zu is too large", d);
    const int di = (int)d;
    float *A = malloc(d * d * sizeof *A);
    double *a = malloc(d * d * sizeof *a), *u = malloc(d * d * sizeof *u), *vt = malloc(d * d * sizeof *vt);
    double *sig = malloc(d * sizeof *sig), *work = NULL;
    int rc = GROWTH_OK;
    if (!A || !a || !u || !vt || !sig) {
        rc = gerr(GROWTH_ENOMEM, "pq: out of memory for the OPQ rotation (dim %zu)", d);
        goto done;
    }
    /* A = X^T Y (d x d, row-major): read column-major it is M = A^T */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, di, di, (int)n, 1.0f, X, di, Y, di, 0.0f, A, di);
    for (size_t i = 0; i < d * d; i++) a[i] = A[i];
    /* M = U' S V'^T, so A = V' S U'^T: the minimiser of |X R^T - Y|_F over orthogonal R is
     * R = V_A U_A^T = U' V'^T (Schoenemann 1966). A rank-deficient A still gets orthogonal U', V'^T
     * (LAPACK completes the bases), so R stays a rotation reaching the optimum. */
    int lwork = -1, info = 0;
    double wq = 0;
    dgesvd_("A", "A", &di, &di, a, &di, sig, u, &di, vt, &di, &wq, &lwork, &info, 1, 1);
    lwork = info == 0 && wq >= 1 && wq < 2e9 ? (int)wq : 5 * di + 64;
    if (!(work = malloc((size_t)lwork * sizeof *work))) {
        rc = gerr(GROWTH_ENOMEM, "pq: out of memory for the OPQ rotation (dim %zu)", d);
        goto done;
    }
    dgesvd_("A", "A", &di, &di, a, &di, sig, u, &di, vt, &di, work, &lwork, &info, 1, 1);
    if (info != 0) {
        rc = gerr(GROWTH_EDEP, "pq: the SVD of the OPQ step did not converge (LAPACK dgesvd info %d)", info);
        goto done;
    }
    /* C = U' V'^T (column-major in a); R row-major: R[i][j] = C(i, j) = a[i + j d] */
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, di, di, di, 1.0, u, di, vt, di, 0.0, a, di);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) R[i * d + j] = (float)a[i + j * d];
done:
    free(A);
    free(a);
    free(u);
    free(vt);
    free(sig);
    free(work);
    return rc;
}
