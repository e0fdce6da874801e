/* Vector index search: exact (flat) search of one query through the distance kernels, exact
 * batches as blocked sgemm with a top-k heap per query (threads=N), and the search entry points
 * that dispatch to HNSW and IVF. Readers share the rwlock. */
#define _GNU_SOURCE
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"

/* Copies (and for cosine normalises) a query; returns |q|^2 (l2) or 0. */
static float prep_query(const growth_index *x, const float *q, float *dst)
{
    memcpy(dst, q, x->dim * sizeof *dst);
    if (x->cfg.metric == IX_COSINE) ix_normalise(dst, x->dim);
    return x->cfg.metric == IX_L2 ? ix_k.dot(dst, dst, x->dim) : 0.0f;
}

/* Exact scan of every slot (or of the allow-list when it is short) for one prepared query. */
static int flat_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                       ix_scratch *sc, ix_hit *h, size_t *nh)
{
    const size_t d = x->dim;
    const bool l2 = x->cfg.metric == IX_L2;
    size_t m = 0;
    if (f && f->allow && f->n_allow * 4 < x->n) {
        for (size_t i = 0; i < f->n_allow; i++) {
            int64_t s = ix_map_get(x, f->allow[i]);
            if (s < 0 || !ix_pass(x, f, (uint32_t)s)) continue;
            float key = ix_k.dot(q, x->vec + (size_t)s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            ix_topk_offer(h, &m, k, key, (uint32_t)s);
        }
        *nh = m;
        return GROWTH_OK;
    }
    if (x->q8) { /* int8 first pass over rescore*k candidates, then float re-scoring */
        size_t kk = k * (size_t)x->cfg.rescore;
        if (ix_reserve("growth_index_search", (void **)&sc->c, &sc->ccap, kk, sizeof(ix_hit)) ||
            ix_reserve("growth_index_search", (void **)&sc->q8, &sc->q8cap, d, 1))
            return GROWTH_ENOMEM;
        float qs = ix_quantize(q, d, sc->q8);
        size_t mc = 0;
        float thr = -INFINITY;
        for (size_t s = 0; s < x->n; s++) {
            float key = qs * x->q8s[s] * (float)ix_k.dot8(sc->q8, x->q8 + s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            if (key > thr && ix_pass(x, f, (uint32_t)s)) {
                ix_topk_offer(sc->c, &mc, kk, key, (uint32_t)s);
                if (mc == kk) thr = sc->c[0].key;
            }
        }
        for (size_t i = 0; i < mc; i++) {
            uint32_t s = sc->c[i].slot;
            float key = ix_k.dot(q, x->vec + (size_t)s * d, d);
            if (l2) key = 2.0f * key - x->norm2[s];
            ix_topk_offer(h, &m, k, key, s);
        }
        *nh = m;
        return GROWTH_OK;
    }
    float thr = -INFINITY;
    const float *v = x->vec;
    for (size_t s = 0; s < x->n; s++, v += d) {
        float key = ix_k.dot(q, v, d);
        if (l2) key = 2.0f * key - x->norm2[s];
        if (key > thr && ix_pass(x, f, (uint32_t)s)) {
            ix_topk_offer(h, &m, k, key, (uint32_t)s);
            if (m == k) thr = h[0].key;
        }
    }
    *nh = m;
    return GROWTH_OK;
}

/* ---- filtered search ---------------------------------------------------------------------- */

size_t ix_filter_estimate(const growth_index *x, const growth_id_filter *f)
{
    size_t est = x->live;
    if (!f) return est;
    if (f->allow && f->n_allow < est) est = f->n_allow;
    if (f->bitmap) {
        uint64_t bits = f->bitmap_bits, full = bits / 64, cnt = 0;
        for (uint64_t w = 0; w < full && cnt < est; w++) {
            uint64_t v;
            memcpy(&v, f->bitmap + w * 8, 8);
            cnt += (uint64_t)__builtin_popcountll(v);
        }
        for (uint64_t b = full * 64; b < bits && cnt < est; b++) cnt += (f->bitmap[b >> 3] >> (b & 7)) & 1;
        if (cnt < est) est = (size_t)cnt;
    }
    if (f->fn && !f->allow && !f->bitmap && x->n) {
        /* a callback alone: estimate its share on IX_FILTER_SAMPLE slots spread over the index */
        size_t tried = 0, pass = 0;
        for (size_t i = 0; i < IX_FILTER_SAMPLE; i++) {
            size_t s = (size_t)(((double)i + 0.5) * (double)x->n / IX_FILTER_SAMPLE);
            if (s >= x->n || ix_dead(x, s)) continue;
            tried++;
            pass += f->fn(x->ids[s], f->user) != 0;
        }
        if (tried) {
            double e = ((double)pass + 1.0) / (double)tried * (double)x->live; /* leaning high */
            if (e < (double)est) est = (size_t)e;
        }
    }
    return est;
}

/* Exact key of slot s: from the float vector, or (compressed storage without float vectors)
 * from its reconstruction, decoded into buf. */
static inline void exact_offer(const growth_index *x, const float *q, uint32_t s, size_t k, ix_hit *out,
                               size_t *m, float *buf)
{
    float key;
    if (GROWTH_LIKELY(x->vec != NULL)) {
        key = ix_k.dot(q, x->vec + (size_t)s * x->dim, x->dim);
        if (x->cfg.metric == IX_L2) key = 2.0f * key - x->norm2[s];
    } else
        key = ix_code_key(x, q, s, buf);
    ix_topk_offer(out, m, k, key, s);
}

int ix_exact_allowed(const growth_index *x, const float *q, size_t k, const growth_id_filter *f, ix_hit *out,
                     size_t *nout)
{
    size_t m = 0;
    uint64_t nbits = f && f->bitmap ? f->bitmap_bits : UINT64_MAX;
    float *buf = NULL;
    if (!x->vec) {
        ix_scratch *sc = ix_scratch_get();
        if (!sc || ix_reserve("growth_index_search", (void **)&sc->dec, &sc->deccap, x->dim, sizeof(float)))
            return gerr(GROWTH_ENOMEM, "growth_index_search: out of memory");
        buf = sc->dec;
    }
    if (f && f->allow && f->n_allow < x->n) {
        for (size_t i = 0; i < f->n_allow; i++) { /* the allow-list is the shortest walk */
            int64_t s = ix_map_get(x, f->allow[i]);
            if (s >= 0 && ix_pass(x, f, (uint32_t)s)) exact_offer(x, q, (uint32_t)s, k, out, &m, buf);
        }
    } else if (f && f->bitmap && nbits / 8 < x->n) { /* the bitmap's set bits */
        uint64_t full = nbits / 64;
        for (uint64_t w = 0; w <= full; w++) {
            uint64_t v = 0;
            if (w < full)
                memcpy(&v, f->bitmap + w * 8, 8);
            else
                for (uint64_t b = full * 64; b < nbits; b++)
                    v |= (uint64_t)((f->bitmap[b >> 3] >> (b & 7)) & 1) << (b - full * 64);
            while (v) {
                int64_t id = (int64_t)(w * 64 + (uint64_t)__builtin_ctzll(v));
                v &= v - 1;
                int64_t s = ix_map_get(x, id);
                if (s >= 0 && ix_pass(x, f, (uint32_t)s)) exact_offer(x, q, (uint32_t)s, k, out, &m, buf);
            }
        }
    } else { /* every slot, the filter before the score */
        for (size_t s = 0; s < x->n; s++)
            if (ix_pass(x, f, (uint32_t)s)) exact_offer(x, q, (uint32_t)s, k, out, &m, buf);
    }
    *nout = m;
    return GROWTH_OK;
}

/* One prepared query through the index's kind; results sorted best first in h[0..*nh).
 *
 * The promise of a filtered search: min(k, items passing the filter) results. A filter that
 * keeps at most max(k, filter_exact x slots) items (slots: live and removed items not yet
 * compacted; the bound comes from the allow-list length, the bitmap's popcount or a sample of
 * the callback), or so few that the approximate search would cost more than scoring those
 * (HNSW: 8 max(ef, k) slots / kept > kept; IVF: k slots / kept > kept), is served by scoring
 * exactly the items it keeps (Lucene's fallback);
 * otherwise HNSW walks the graph with the filter applied during traversal (only passing nodes
 * enter the result list; every node may be stepped through) and gives up for the exact scorer
 * once it has scored more nodes than the filter keeps; IVF probes further lists until k have
 * passed. An approximate search that still ends with fewer than k results (a graph region cut
 * off by the filter or by tombstones) is redone exactly. */
static bool approx_goes_exact(const growth_index *x, size_t k, const growth_id_filter *f, size_t est)
{
    bool filtered = f || x->live < x->n; /* tombstones filter too */
    bool exact =
        filtered && x->cfg.kind != IX_FLAT && (est <= k || (double)est <= x->cfg.filter_exact * (double)x->n);
    if (filtered && !exact && est) {
        /* cost model: HNSW scores about 4 ef n / est nodes to find ef matching ones, each at
         * about twice the cost of an exactly scored item (graph rows, visited set); IVF scans
         * about k n / est items to find k; exact scoring costs est (measured on 100k x 64:
         * the switch near a 7% filter was the faster side on both sides of it) */
        double e = (double)est, n = (double)x->n,
               ef = (double)((size_t)x->cfg.ef > k ? (size_t)x->cfg.ef : k);
        if (x->cfg.kind == IX_HNSW && 8.0 * ef * n / e > e) exact = true;
        if (x->cfg.kind == IX_IVF && (double)k * n / e > e) exact = true;
    }
    return exact;
}

static int search_one(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                      ix_scratch *sc, ix_hit *h, size_t *nh)
{
    int rc;
    size_t est = f ? ix_filter_estimate(x, f) : x->live;
    bool filtered = f || x->live < x->n;
    bool exact = approx_goes_exact(x, k, f, est);
    if (f && x->cfg.kind == IX_FLAT && est < x->live / 4 && !(f->allow && f->n_allow * 4 < x->n))
        exact = true; /* selective bitmap or callback: enumerate, score only what passes */
    if (f && x->cs && x->cfg.kind == IX_FLAT && f->allow && f->n_allow * 4 < x->n)
        exact = true; /* a short allow-list: score its items */
    if (exact)
        rc = ix_exact_allowed(x, q, k, f, h, nh);
    else if (x->cs)
        rc = ix_codes_search(x, q, k, f, sc, h, nh);
    else if (x->cfg.kind == IX_HNSW) {
        bool over = false;
        rc = ix_hnsw_search(x, q, k, f, filtered ? est : 0, &over, sc, h, nh);
        if (!rc && (over || *nh < k)) rc = ix_exact_allowed(x, q, k, f, h, nh);
    } else if (x->cfg.kind == IX_IVF)
        rc = ix_ivf_search(x, q, k, f, sc, h, nh);
    else
        rc = flat_search(x, q, k, f, sc, h, nh);
    if (!rc) ix_minh_sort(NULL, h, *nh);
    return rc;
}

static void write_out(const growth_index *x, const ix_hit *h, size_t nh, size_t k, float qn2, int64_t *ids,
                      float *scores)
{
    for (size_t i = 0; i < k; i++) {
        if (i < nh) {
            ids[i] = x->ids[h[i].slot];
            if (scores) {
                float sc = h[i].key;
                if (x->cfg.metric == IX_L2) sc = fmaxf(qn2 - sc, 0.0f);
                scores[i] = sc;
            }
        } else {
            ids[i] = -1;
            if (scores) scores[i] = NAN;
        }
    }
}

/* Validates a search; the capacity is checked by the caller, after everything else. */
static int check_search(const char *who, const growth_index *x, const float *q, size_t nq, size_t k,
                        const growth_id_filter *f, const int64_t *ids)
{
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, q);
    GROWTH_CHECK_NULL(who, ids);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k is 0", who);
    if (nq && k > SIZE_MAX / nq) return gerr(GROWTH_EINVAL, "%s: k x nq overflows", who);
    int rc = ix_check_vectors(who, "q", q, nq, x->dim);
    if (rc) return rc;
    return gid_filter_check(who, f);
}

GROWTH_API int growth_index_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                                   int64_t *out_ids, float *out_scores, size_t cap, size_t *out_n)
{
    static const char *who = "growth_index_search";
    if (out_n) *out_n = 0;
    int rc = check_search(who, x, q, 1, k, f, out_ids);
    if (rc) return rc;
    ix_scratch *sc = ix_scratch_get();
    if (!sc) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    if (x->live == 0) {
        pthread_rwlock_unlock(&xm->rw);
        return gerr(GROWTH_ESTATE, "%s: the index is empty", who);
    }
    if (cap < k) { /* after every other check: a second call with *out_n succeeds */
        pthread_rwlock_unlock(&xm->rw);
        if (out_n) *out_n = k;
        return gerr(GROWTH_EBUFS, "%s: output capacity %zu is below k=%zu", who, cap, k);
    }
    if (k > x->live) k = x->live;
    size_t nh = 0;
    if (ix_reserve(who, (void **)&sc->f, &sc->fcap, x->dim, sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, k + 1, sizeof(ix_hit))) {
        pthread_rwlock_unlock(&xm->rw);
        return GROWTH_ENOMEM;
    }
    float qn2 = prep_query(x, q, sc->f);
    rc = search_one(x, sc->f, k, f, sc, sc->h, &nh);
    if (!rc) {
        write_out(x, sc->h, nh, nh, qn2, out_ids, out_scores);
        if (out_n) *out_n = nh;
    }
    pthread_rwlock_unlock(&xm->rw);
    return rc;
}

/* Blocked sgemm for exact batches: QB queries x BI items per product (large QB: the item
 * matrix streams from memory once per QB queries). */
enum { QB = 1024, BI = 512, SCAN = 16 }; /* few passes over the items; S = 2 MiB */

/* Whether any of SCAN scores (less n2 for l2) beats t: four-wide compares (GNU vector
 * extension: SSE on x86-64, lowered to scalar code elsewhere), one branch per chunk. */
typedef float scan_v4f __attribute__((vector_size(16)));
typedef int32_t scan_v4i __attribute__((vector_size(16)));

static inline bool scan_any(const float *row, const float *n2, float t)
{
    scan_v4f tv = {t, t, t, t};
    scan_v4i acc = {0, 0, 0, 0};
    for (size_t j = 0; j < SCAN; j += 4) {
        scan_v4f r;
        memcpy(&r, row + j, sizeof r);
        if (n2) {
            scan_v4f nn;
            memcpy(&nn, n2 + j, sizeof nn);
            r -= nn;
        }
        acc |= r > tv;
    }
    return (acc[0] | acc[1] | acc[2] | acc[3]) != 0;
}

static int flat_batch(const growth_index *x, const float *q, size_t nq, size_t k, const growth_id_filter *f,
                      int64_t *ids, float *scores, ix_scratch *sc)
{
    static const char *who = "growth_index_search_batch";
    const size_t d = x->dim;
    const bool l2 = x->cfg.metric == IX_L2;
    size_t kk = k < x->live ? k : x->live;
    if (ix_reserve(who, (void **)&sc->f, &sc->fcap, QB * d + QB * (size_t)BI + 2 * QB, sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, QB * (kk + 1), sizeof(ix_hit)))
        return GROWTH_ENOMEM;
    float *Q = sc->f, *S = Q + QB * d, *qn2 = S + QB * (size_t)BI, *thr = qn2 + QB;
    size_t cnt[QB];
    for (size_t q0 = 0; q0 < nq; q0 += QB) {
        size_t nb = nq - q0 < QB ? nq - q0 : QB;
        for (size_t r = 0; r < nb; r++) {
            qn2[r] = prep_query(x, q + (q0 + r) * d, Q + r * d);
            cnt[r] = 0;
            thr[r] = -INFINITY;
        }
        for (size_t i0 = 0; i0 < x->n; i0 += BI) {
            size_t bi = x->n - i0 < BI ? x->n - i0 : BI;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)bi, (int)d, l2 ? 2.0f : 1.0f,
                        Q, (int)d, x->vec + i0 * d, (int)d, 0.0f, S, (int)bi);
            for (size_t r = 0; r < nb; r++) {
                const float *row = S + r * bi;
                ix_hit *h = sc->h + r * (kk + 1);
                float t = thr[r];
                size_t m = cnt[r];
                const float *n2 = x->norm2 + i0;
                for (size_t j0 = 0; j0 < bi; j0 += SCAN) {
                    size_t je = bi - j0 < SCAN ? bi : j0 + SCAN;
                    if (je - j0 == SCAN && !scan_any(row + j0, l2 ? n2 + j0 : NULL, t))
                        continue; /* most chunks hold nothing above the k-th best */
                    for (size_t j = j0; j < je; j++) {
                        float key = row[j];
                        if (l2) key -= n2[j];
                        if (key > t && ix_pass(x, f, (uint32_t)(i0 + j))) {
                            ix_topk_offer(h, &m, kk, key, (uint32_t)(i0 + j));
                            if (m == kk) t = h[0].key;
                        }
                    }
                }
                thr[r] = t;
                cnt[r] = m;
            }
        }
        for (size_t r = 0; r < nb; r++) {
            ix_hit *h = sc->h + r * (kk + 1);
            ix_minh_sort(NULL, h, cnt[r]);
            write_out(x, h, cnt[r], k, qn2[r], ids + (q0 + r) * k, scores ? scores + (q0 + r) * k : NULL);
        }
    }
    return GROWTH_OK;
}

/* IVF batches without a filter: blocks of queries through ix_ivf_search_batch (each probed list
 * read once a block); a query whose nprobe lists hold fewer than kk live items goes through
 * search_one, which probes further lists. kk = min(k, live). */
static int ivf_batch(const growth_index *x, const float *q, size_t nq, size_t kk, size_t k, int64_t *ids,
                     float *scores, ix_scratch *sc)
{
    static const char *who = "growth_index_search_batch";
    const size_t d = x->dim;
    const size_t np = x->cfg.nprobe < x->cfg.nlist ? (size_t)x->cfg.nprobe : (size_t)x->cfg.nlist;
    size_t qb = 4096; /* queries a block: at most 16 MiB of queries, 32 MiB of heaps, 4M probes */
    if (qb > ((size_t)4 << 20) / d) qb = ((size_t)4 << 20) / d;
    if (qb > ((size_t)4 << 20) / (kk + 1)) qb = ((size_t)4 << 20) / (kk + 1);
    if (qb > ((size_t)4 << 20) / (np + 1)) qb = ((size_t)4 << 20) / (np + 1);
    if (qb < 1) qb = 1;
    if (qb > nq) qb = nq;
    if (ix_reserve(who, (void **)&sc->f, &sc->fcap, qb * (d + 1), sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, qb * (kk + 1), sizeof(ix_hit)))
        return GROWTH_ENOMEM;
    size_t *cnt = malloc(qb * sizeof *cnt);
    if (!cnt) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    float *Q = sc->f, *qn2 = Q + qb * d;
    int rc = GROWTH_OK;
    for (size_t q0 = 0; q0 < nq && !rc; q0 += qb) {
        size_t nb = nq - q0 < qb ? nq - q0 : qb;
        for (size_t r = 0; r < nb; r++) qn2[r] = prep_query(x, q + (q0 + r) * d, Q + r * d);
        if ((rc = ix_ivf_search_batch(x, Q, nb, kk, sc, sc->h, cnt))) break;
        for (size_t r = 0; r < nb && !rc; r++) {
            ix_hit *h = sc->h + r * (kk + 1);
            size_t nh = cnt[r];
            if (nh < kk)
                rc = search_one(x, Q + r * d, kk, NULL, sc, h, &nh); /* sorted */
            else
                ix_minh_sort(NULL, h, nh);
            if (!rc)
                write_out(x, h, nh, k, qn2[r], ids + (q0 + r) * k, scores ? scores + (q0 + r) * k : NULL);
        }
    }
    free(cnt);
    return rc;
}

typedef struct {
    const growth_index *x;
    const float *q;
    size_t nq, k;
    const growth_id_filter *f;
    int64_t *ids;
    float *scores;
    int rc;
} batch_job;

/* Queries rotated together per chunk (opq). */
#define OPQ_CHUNK 32

/* A batch on an index with an OPQ rotation: the queries of a chunk are prepared, then rotated a
 * row of R at a time for all of them, so R (d x d: 2.4 MB at 784 dimensions) is read once per
 * chunk instead of once per query; each rotation is the same dot product ix_codes_search
 * computes, so results equal single searches bit for bit. */
static int opq_batch(const growth_index *x, const batch_job *j, size_t kk, ix_scratch *sc)
{
    static const char *who = "growth_index_search_batch";
    const size_t d = x->dim;
    if (ix_reserve(who, (void **)&sc->bq, &sc->bqcap, 2 * OPQ_CHUNK * d, sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, kk + 1, sizeof(ix_hit)))
        return GROWTH_ENOMEM;
    float *P = sc->bq, *RQ = sc->bq + OPQ_CHUNK * d, qn2[OPQ_CHUNK];
    for (size_t i0 = 0; i0 < j->nq; i0 += OPQ_CHUNK) {
        const size_t n = j->nq - i0 < OPQ_CHUNK ? j->nq - i0 : OPQ_CHUNK;
        for (size_t t = 0; t < n; t++) qn2[t] = prep_query(x, j->q + (i0 + t) * d, P + t * d);
        for (size_t r = 0; r < d; r++)
            for (size_t t = 0; t < n; t++) RQ[t * d + r] = ix_k.dot(x->pq_rot + r * d, P + t * d, d);
        for (size_t t = 0; t < n; t++) {
            size_t nh = 0;
            sc->qrot = RQ + t * d;
            int rc = search_one(x, P + t * d, kk, j->f, sc, sc->h, &nh);
            sc->qrot = NULL;
            if (rc) return rc;
            const size_t i = i0 + t;
            write_out(x, sc->h, nh, j->k, qn2[t], j->ids + i * j->k, j->scores ? j->scores + i * j->k : NULL);
        }
    }
    return GROWTH_OK;
}

static void *batch_run(void *arg)
{
    static const char *who = "growth_index_search_batch";
    batch_job *j = arg;
    const growth_index *x = j->x;
    ix_scratch *sc = ix_scratch_get();
    if (!sc) {
        j->rc = GROWTH_ENOMEM;
        return NULL;
    }
    bool exact =
        x->cfg.kind == IX_FLAT && !x->q8 && !x->cs && !(j->f && j->f->allow && j->f->n_allow * 4 < x->n);
    if (exact && j->nq > 1) {
        j->rc = flat_batch(x, j->q, j->nq, j->k, j->f, j->ids, j->scores, sc);
        return NULL;
    }
    size_t kk = j->k < x->live ? j->k : x->live;
    if (x->cfg.kind == IX_IVF && !x->cs && !j->f && j->nq > 1 && !approx_goes_exact(x, kk, NULL, x->live)) {
        j->rc = ivf_batch(x, j->q, j->nq, kk, j->k, j->ids, j->scores, sc);
        return NULL;
    }
    if (ix_reserve(who, (void **)&sc->f, &sc->fcap, x->dim, sizeof(float)) ||
        ix_reserve(who, (void **)&sc->h, &sc->hcap, kk + 1, sizeof(ix_hit))) {
        j->rc = GROWTH_ENOMEM;
        return NULL;
    }
    if (x->pq_rot && x->cs && j->nq > 1) {
        j->rc = opq_batch(x, j, kk, sc);
        return NULL;
    }
    for (size_t i = 0; i < j->nq; i++) {
        size_t nh = 0;
        float qn2 = prep_query(x, j->q + i * x->dim, sc->f);
        int rc = search_one(x, sc->f, kk, j->f, sc, sc->h, &nh);
        if (rc) {
            j->rc = rc;
            return NULL;
        }
        write_out(x, sc->h, nh, j->k, qn2, j->ids + i * j->k, j->scores ? j->scores + i * j->k : NULL);
    }
    j->rc = GROWTH_OK;
    return NULL;
}

GROWTH_API int growth_index_search_batch(const growth_index *x, const float *q, size_t nq, size_t k,
                                         const growth_id_filter *f, int64_t *ids, float *scores, size_t cap)
{
    static const char *who = "growth_index_search_batch";
    int rc = check_search(who, x, q, nq, k, f, ids);
    if (rc) return rc;
    if (cap < k * nq)
        return gerr(GROWTH_EBUFS, "%s: output capacity %zu is below %zu (k x queries)", who, cap, k * nq);
    if (nq == 0) return GROWTH_OK;
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    if (x->live == 0) {
        pthread_rwlock_unlock(&xm->rw);
        return gerr(GROWTH_ESTATE, "%s: the index is empty", who);
    }
    size_t T = (size_t)x->cfg.threads;
    if (T > nq) T = nq;
    batch_job jobs[256];
    pthread_t th[256];
    bool started[256] = {false};
    size_t per = (nq + T - 1) / T;
    for (size_t t = 0; t < T; t++) {
        size_t a = t * per, b = a + per < nq ? a + per : nq;
        if (a > b) a = b;
        jobs[t] = (batch_job){
            x, q + a * x->dim, b - a, k, f, ids + a * k, scores ? scores + a * k : NULL, GROWTH_OK};
        if (t > 0 && b > a) started[t] = pthread_create(&th[t], NULL, batch_run, &jobs[t]) == 0;
        if (t > 0 && b > a && !started[t]) batch_run(&jobs[t]); /* no thread: do it here */
    }
    batch_run(&jobs[0]);
    for (size_t t = 1; t < T; t++)
        if (started[t]) pthread_join(th[t], NULL);
    pthread_rwlock_unlock(&xm->rw);
    for (size_t t = 0; t < T; t++)
        if (jobs[t].rc)
            return gerr(jobs[t].rc, "%s: a search thread failed: %s", who, growth_strerror(jobs[t].rc));
    return GROWTH_OK;
}
