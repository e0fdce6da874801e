/* Text search: document-at-a-time BM25 over the query terms' postings with a bounded heap of
 * the k best (score, id), and scoring of given documents. Readers share the rwlock. */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "text_impl.h"
#include "topk.h"

static bool filter_pass(const growth_id_filter *f, int64_t id)
{
    if (!f) return true;
    if (f->allow) {
        size_t lo = 0, hi = f->n_allow;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (f->allow[mid] < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == f->n_allow || f->allow[lo] != id) return false;
    }
    if (f->bitmap) {
        if ((uint64_t)id >= f->bitmap_bits) return false;
        if (!((f->bitmap[(uint64_t)id >> 3] >> ((uint64_t)id & 7)) & 1)) return false;
    }
    if (f->fn && !f->fn(id, f->user)) return false;
    return true;
}

typedef struct {
    double s;
    int64_t id;
} tx_hit;

/* a ranks below b: lower score, or equal score and larger id (a total order: ids are unique). */
#define TX_HIT_WORSE(ctx, a, b) ((a).s < (b).s || ((a).s == (b).s && (a).id > (b).id))
GHEAP_DEFINE(tx_heap, tx_hit, const void *, TX_HIT_WORSE)

#define TX_END UINT32_MAX /* document number of an exhausted cursor (numbers stay below it) */

/* A query term's cursor: the current posting (doc, tf), the block holding it (b) and the block
 * the block-max bound was last taken from (sb >= b). */
typedef struct {
    const tx_blk *blk;
    const uint8_t *bytes, *p;
    uint32_t nblk, n, i; /* blocks, postings, postings decoded */
    uint32_t b, sb;
    uint32_t doc, tf;
    uint32_t q;      /* position of the term in the query (scores are summed in that order) */
    double idf, ub;  /* ub: the largest block bound of the term */
    uint32_t ub_blk; /* the block whose bound is cached in blk_w (UINT32_MAX: none) */
    double blk_w;
} tx_cursor;

/* The BM25 term weight: increases with tf, decreases with K (so with the document length); the
 * same expression serves scores and bounds, and rounding keeps that monotonicity. */
static inline double bm25_w(double idf, double tf, double k1, double K)
{
    return idf * tf * (k1 + 1.0) / (tf + K);
}

static inline void cur_next(tx_cursor *c)
{
    if (c->i >= c->n) {
        c->doc = TX_END;
        return;
    }
    tx_post_get(&c->p, &c->doc, &c->tf);
    c->b = c->i / TX_BLOCK;
    c->i++;
}

static void cur_init(tx_cursor *c, const tx_term *t)
{
    c->blk = t->blk;
    c->bytes = c->p = t->bytes;
    c->nblk = t->nblk;
    c->n = t->n;
    c->i = c->b = c->sb = 0;
    c->doc = 0;
    c->ub_blk = UINT32_MAX;
    cur_next(c);
}

/* Moves to the first posting with doc >= target, skipping whole blocks by their last doc. */
static void cur_seek(tx_cursor *c, uint32_t target)
{
    if (c->doc >= target) return;
    uint32_t b = c->b;
    if (c->blk[b].last < target) {
        /* gallop, then bisect, over the blocks' last documents */
        uint32_t lo = b + 1, step = 1, hi = lo;
        while (hi < c->nblk && c->blk[hi].last < target) {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        if (hi > c->nblk) hi = c->nblk;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (c->blk[mid].last < target)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo >= c->nblk) {
            c->doc = TX_END;
            c->i = c->n;
            return;
        }
        c->doc = c->blk[lo - 1].last;
        c->p = c->bytes + c->blk[lo].off;
        c->i = lo * TX_BLOCK;
    }
    /* the current block (or the one jumped to) holds a posting >= target: decode up to it */
    const uint8_t *p = c->p;
    uint32_t doc = c->doc, tf, i = c->i;
    do {
        uint64_t v = tx_varint_get(&p);
        doc += (uint32_t)(v >> 1);
        tf = (v & 1) ? 1u : (uint32_t)tx_varint_get(&p);
        i++;
    } while (doc < target);
    c->p = p;
    c->doc = doc;
    c->tf = tf;
    c->i = i;
    c->b = (i - 1) / TX_BLOCK;
}

/* Distinct query term hashes (sorted); EINVAL for a query without tokens. */
static int query_terms(const char *who, const growth_text_index *x, const char *query, tx_hvec *v)
{
    size_t bad = 0;
    int rc = tx_tokenize((int)x->cfg.ngram, x->cfg.lowercase, query, strlen(query), v, &bad);
    if (rc) return tx_tok_error(who, rc, "query", 0, bad);
    if (v->n == 0) return gerr(GROWTH_EINVAL, "%s: the query has no terms (empty or only separators)", who);
    qsort(v->v, v->n, sizeof *v->v, tx_cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < v->n; i++)
        if (!w || v->v[i] != v->v[w - 1]) v->v[w++] = v->v[i];
    v->n = w;
    return GROWTH_OK;
}

static inline double bm25_idf(double N, double df) { return log(1.0 + (N - df + 0.5) / (df + 0.5)); }

/* Query-time constants: K(dl) = kb0 + kb1 * dl. */
typedef struct {
    double k1, kb0, kb1;
} tx_bm;

/* Every posting of every query term, document at a time (search=exhaustive). */
static size_t search_exhaustive(const growth_text_index *x, const tx_bm *m, tx_cursor *cur, size_t nc,
                                const growth_id_filter *filter, tx_hit *heap, size_t k)
{
    size_t hn = 0;
    for (;;) {
        uint32_t d = TX_END;
        for (size_t c = 0; c < nc; c++)
            if (cur[c].doc < d) d = cur[c].doc;
        if (d == TX_END) break;
        bool keep = x->alive[d] && filter_pass(filter, x->doc_id[d]);
        double s = 0.0;
        const double K = m->kb0 + m->kb1 * (double)x->doc_len[d];
        for (size_t c = 0; c < nc; c++)
            if (cur[c].doc == d) {
                if (keep) s += bm25_w(cur[c].idf, (double)cur[c].tf, m->k1, K);
                cur_next(&cur[c]);
            }
        if (keep) tx_heap_offer(NULL, heap, &hn, k, (tx_hit){s, x->doc_id[d]});
    }
    return hn;
}

/* The largest contribution of a term to a document of block bk: over its impacts (a stored
 * TX_TF_INF tf bounds by the limit idf (k1 + 1)). */
static inline double blk_ub(const tx_blk *bk, double idf, const tx_bm *m)
{
    double ub = 0.0;
    for (unsigned j = 0; j < bk->nimp; j++) {
        double w = bk->tf[j] == TX_TF_INF
                       ? idf * (m->k1 + 1.0)
                       : bm25_w(idf, (double)bk->tf[j], m->k1, m->kb0 + m->kb1 * (double)bk->dl[j]);
        if (w > ub) ub = w;
    }
    return ub;
}

/* Bounds are sums in another order than scores: they are compared with this much slack, so that
 * no document whose score could reach the k-th best (ties broken by id) is skipped. */
#define TX_UB_SLACK (1.0 + 1e-9)

/* The bound of cursor c's block holding document d (0 when no block reaches d), that block's
 * last document (*last; TX_END then) and its smallest id (lowers *min_id). */
static inline double cur_block_ub(tx_cursor *c, const tx_bm *m, uint32_t d, uint32_t *last, int64_t *min_id)
{
    if (c->sb < c->b) c->sb = c->b;
    while (c->sb < c->nblk && c->blk[c->sb].last < d) c->sb++;
    if (c->sb >= c->nblk) {
        *last = TX_END;
        return 0.0;
    }
    const tx_blk *bk = &c->blk[c->sb];
    *last = bk->last;
    if (bk->min_id < *min_id) *min_id = bk->min_id;
    if (c->ub_blk != c->sb) {
        c->ub_blk = c->sb;
        c->blk_w = blk_ub(bk, c->idf, m);
    }
    return c->blk_w;
}

/* Block-max WAND (Ding & Suel 2011). `ord` holds the cursors sorted by current document. A
 * document is scored only when the bounds of the terms it can hold reach the k-th best score
 * (theta); it then gets exactly the exhaustive scorer's score (the same terms summed in the same
 * order), so the top k (by score, then id) are the exhaustive scorer's. The block bounds are
 * summed in that same order, so a score never exceeds its bound even by rounding: a block whose
 * bound equals theta is skipped when its smallest id is above the k-th hit's (ties go to smaller
 * ids), which matters since short titles tie often. */
static size_t search_wand(const growth_text_index *x, const tx_bm *m, tx_cursor *cur, tx_cursor **ord,
                          double *part, size_t nc, const growth_id_filter *filter, tx_hit *heap, size_t k)
{
    size_t hn = 0, na = nc;
    double theta = -1.0;          /* below every score until the heap holds k hits */
    int64_t worst_id = INT64_MAX; /* the id of the k-th hit */
    for (size_t c = 0; c < nc; c++) {
        ord[c] = &cur[c];
        part[c] = 0.0;
        double ub = 0.0;
        for (uint32_t b = 0; b < cur[c].nblk; b++) {
            const tx_blk *bk = &cur[c].blk[b];
            double w = blk_ub(bk, cur[c].idf, m);
            if (w > ub) ub = w;
        }
        cur[c].ub = ub;
    }
    for (;;) {
        /* insertion sort by document (few cursors move per round); exhausted ones drop off the end */
        for (size_t i = 1; i < na; i++) {
            tx_cursor *c = ord[i];
            size_t j = i;
            while (j > 0 && ord[j - 1]->doc > c->doc) {
                ord[j] = ord[j - 1];
                j--;
            }
            ord[j] = c;
        }
        while (na && ord[na - 1]->doc == TX_END) na--;
        if (!na) break;
        /* pivot: the first cursor where the bounds so far reach theta */
        double acc = 0.0;
        size_t p = 0;
        for (; p < na; p++) {
            acc += ord[p]->ub;
            if (acc * TX_UB_SLACK >= theta) break;
        }
        if (p == na) break;
        const uint32_t d = ord[p]->doc;
        while (p + 1 < na && ord[p + 1]->doc == d) p++;
        /* block-max check: the blocks holding d of the terms up to the pivot */
        uint32_t next = TX_END;
        int64_t min_id = INT64_MAX;
        for (size_t i = 0; i <= p; i++) {
            uint32_t last;
            part[ord[i]->q] = cur_block_ub(ord[i], m, d, &last, &min_id);
            if (last != TX_END && last + 1 < next) next = last + 1;
        }
        double bub = 0.0;
        for (size_t c = 0; c < nc; c++) {
            bub += part[c];
            part[c] = 0.0;
        }
        if (bub > theta || (bub == theta && min_id < worst_id)) {
            if (ord[0]->doc == d) {
                if (x->alive[d] && filter_pass(filter, x->doc_id[d])) {
                    const double K = m->kb0 + m->kb1 * (double)x->doc_len[d];
                    for (size_t i = 0; i <= p; i++)
                        part[ord[i]->q] = bm25_w(ord[i]->idf, (double)ord[i]->tf, m->k1, K);
                    double s = 0.0;
                    for (size_t c = 0; c < nc; c++) {
                        s += part[c];
                        part[c] = 0.0;
                    }
                    tx_heap_offer(NULL, heap, &hn, k, (tx_hit){s, x->doc_id[d]});
                    if (hn == k) {
                        theta = heap[0].s;
                        worst_id = heap[0].id;
                    }
                }
                for (size_t i = 0; i <= p; i++) cur_next(ord[i]);
            } else {
                for (size_t i = 0; i <= p && ord[i]->doc < d; i++) cur_seek(ord[i], d);
            }
        } else {
            /* no document before `next` (the end of the first of those blocks) or the next
             * cursor's document can reach theta */
            if (p + 1 < na && ord[p + 1]->doc < next) next = ord[p + 1]->doc;
            for (size_t i = 0; i <= p; i++) cur_seek(ord[i], next);
        }
    }
    return hn;
}

GROWTH_API int growth_text_search(const growth_text_index *x, const char *query, size_t k,
                                  const growth_id_filter *filter, int64_t *ids, float *scores, size_t cap,
                                  size_t *out_n)
{
    static const char *who = "growth_text_search";
    if (out_n) *out_n = 0;
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, query);
    GROWTH_CHECK_NULL(who, ids);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k is 0", who);
    int rc = gid_filter_check(who, filter);
    if (rc) return rc;
    uint64_t hstack[TX_STACK_TERMS];
    tx_hvec v = {hstack, 0, TX_STACK_TERMS, false};
    tx_cursor cstack[TX_STACK_TERMS], *cur = cstack;
    tx_cursor *ostack[TX_STACK_TERMS], **ord = ostack;
    double pstack[TX_STACK_TERMS], *part = pstack;
    tx_hit kstack[TX_STACK_K], *heap = kstack;
    growth_text_index *xm = (growth_text_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    if ((rc = query_terms(who, x, query, &v))) goto out;
    if (cap < k) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = k;
        rc = gerr(GROWTH_EBUFS, "%s: cap %zu < k %zu", who, cap, k);
        goto out;
    }
    if (v.n > TX_STACK_TERMS && (!(cur = malloc(v.n * sizeof *cur)) || !(ord = malloc(v.n * sizeof *ord)) ||
                                 !(part = malloc(v.n * sizeof *part)))) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto out;
    }
    if (k > TX_STACK_K) {
        size_t hk = k < x->live_docs ? k : (size_t)x->live_docs;
        if (hk > TX_STACK_K && !(heap = malloc(hk * sizeof *heap))) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto out;
        }
    }
    const double N = (double)x->live_docs;
    const double bb = x->cfg.b;
    const double avgdl = x->live_docs ? (double)x->live_len / N : 1.0;
    const tx_bm m = {x->cfg.k1, x->cfg.k1 * (1.0 - bb), avgdl > 0 ? x->cfg.k1 * bb / avgdl : 0.0};
    size_t nc = 0;
    for (size_t i = 0; i < v.n; i++) {
        uint32_t t = tx_term_find(x, v.v[i]);
        if (t == UINT32_MAX || x->terms[t].df == 0) continue;
        cur_init(&cur[nc], &x->terms[t]);
        cur[nc].idf = bm25_idf(N, x->terms[t].df);
        cur[nc].q = (uint32_t)nc;
        nc++;
    }
    size_t hn = x->cfg.search == TX_SEARCH_EXHAUSTIVE
                    ? search_exhaustive(x, &m, cur, nc, filter, heap, k)
                    : search_wand(x, &m, cur, ord, part, nc, filter, heap, k);
    tx_heap_sort(NULL, heap, hn);
    for (size_t i = 0; i < hn; i++) {
        ids[i] = heap[i].id;
        if (scores) scores[i] = (float)heap[i].s;
    }
    if (out_n) *out_n = hn;
out:
    pthread_rwlock_unlock(&xm->rw);
    tx_hvec_free(&v);
    if (cur != cstack) free(cur);
    if (ord != ostack) free(ord);
    if (part != pstack) free(part);
    if (heap != kstack) free(heap);
    return rc;
}

GROWTH_API int growth_text_score(const growth_text_index *x, const char *query, const int64_t *ids, size_t n,
                                 float *out, size_t cap)
{
    static const char *who = "growth_text_score";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, query);
    if (n && !ids) return gerr(GROWTH_EINVAL, "%s: ids is NULL", who);
    if (n && !out) return gerr(GROWTH_EINVAL, "%s: out is NULL", who);
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: cap %zu < n %zu", who, cap, n);
    uint64_t hstack[TX_STACK_TERMS];
    tx_hvec v = {hstack, 0, TX_STACK_TERMS, false};
    growth_text_index *xm = (growth_text_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    int rc = query_terms(who, x, query, &v);
    if (rc) goto out;
    for (size_t i = 0; i < n; i++)
        if (tx_live_doc(x, ids[i]) == UINT32_MAX) {
            rc = gerr(GROWTH_ENOTFOUND, "%s: id %lld is not in the index", who, (long long)ids[i]);
            goto out;
        }
    const double N = (double)x->live_docs;
    const double k1 = x->cfg.k1, bb = x->cfg.b;
    const double avgdl = x->live_docs ? (double)x->live_len / N : 1.0;
    for (size_t i = 0; i < n; i++) {
        uint32_t d = tx_live_doc(x, ids[i]);
        const double K = k1 * (1.0 - bb) + (avgdl > 0 ? k1 * bb * (double)x->doc_len[d] / avgdl : 0.0);
        double s = 0.0;
        for (size_t q = 0; q < v.n; q++) {
            uint32_t t = tx_term_find(x, v.v[q]);
            if (t == UINT32_MAX || x->terms[t].df == 0) continue;
            const tx_term *tm = &x->terms[t];
            uint32_t lo = 0, hi = tm->nblk; /* the block that would hold d */
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (tm->blk[mid].last < d)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == tm->nblk) continue;
            const uint8_t *p = tm->bytes + tm->blk[lo].off;
            uint32_t doc = lo ? tm->blk[lo - 1].last : 0, tfi = 0;
            do tx_post_get(&p, &doc, &tfi);
            while (doc < d);
            if (doc != d) continue;
            double tf = (double)tfi;
            s += bm25_idf(N, tm->df) * tf * (k1 + 1.0) / (tf + K);
        }
        out[i] = (float)s;
    }
out:
    pthread_rwlock_unlock(&xm->rw);
    tx_hvec_free(&v);
    return rc;
}
