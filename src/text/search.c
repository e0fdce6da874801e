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
    const tx_post *p, *end;
    double idf;
} tx_cursor;

typedef struct {
    double s;
    int64_t id;
} tx_hit;

/* a ranks below b: lower score, or equal score and larger id (a total order: ids are unique). */
#define TX_HIT_WORSE(ctx, a, b) ((a).s < (b).s || ((a).s == (b).s && (a).id > (b).id))
GHEAP_DEFINE(tx_heap, tx_hit, const void *, TX_HIT_WORSE)

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
    tx_hit kstack[TX_STACK_K], *heap = kstack;
    growth_text_index *xm = (growth_text_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    if ((rc = query_terms(who, x, query, &v))) goto out;
    if (cap < k) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = k;
        rc = gerr(GROWTH_EBUFS, "%s: cap %zu < k %zu", who, cap, k);
        goto out;
    }
    if (v.n > TX_STACK_TERMS && !(cur = malloc(v.n * sizeof *cur))) {
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
    const double k1 = x->cfg.k1, bb = x->cfg.b;
    const double avgdl = x->live_docs ? (double)x->live_len / N : 1.0;
    const double kb0 = k1 * (1.0 - bb), kb1 = avgdl > 0 ? k1 * bb / avgdl : 0.0;
    size_t nc = 0;
    for (size_t i = 0; i < v.n; i++) {
        uint32_t t = tx_term_find(x, v.v[i]);
        if (t == UINT32_MAX || x->terms[t].df == 0) continue;
        const tx_term *tm = &x->terms[t];
        cur[nc].p = tm->p;
        cur[nc].end = tm->p + tm->n;
        cur[nc].idf = bm25_idf(N, tm->df);
        nc++;
    }
    size_t hn = 0;
    const size_t hk = k;
    for (;;) {
        uint32_t d = UINT32_MAX;
        for (size_t c = 0; c < nc; c++)
            if (cur[c].p < cur[c].end && cur[c].p->doc < d) d = cur[c].p->doc;
        if (d == UINT32_MAX) break;
        bool keep = x->alive[d] && filter_pass(filter, x->doc_id[d]);
        double s = 0.0;
        const double K = kb0 + kb1 * (double)x->doc_len[d];
        for (size_t c = 0; c < nc; c++)
            if (cur[c].p < cur[c].end && cur[c].p->doc == d) {
                if (keep) {
                    double tf = (double)cur[c].p->tf;
                    s += cur[c].idf * tf * (k1 + 1.0) / (tf + K);
                }
                cur[c].p++;
            }
        if (!keep) continue;
        tx_heap_offer(NULL, heap, &hn, hk, (tx_hit){s, x->doc_id[d]});
    }
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
            uint32_t lo = 0, hi = tm->n;
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (tm->p[mid].doc < d)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == tm->n || tm->p[lo].doc != d) continue;
            double tf = (double)tm->p[lo].tf;
            s += bm25_idf(N, tm->df) * tf * (k1 + 1.0) / (tf + K);
        }
        out[i] = (float)s;
    }
out:
    pthread_rwlock_unlock(&xm->rw);
    tx_hvec_free(&v);
    return rc;
}
