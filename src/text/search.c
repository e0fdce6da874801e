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

#define TX_END       UINT32_MAX /* document number of an exhausted cursor (numbers stay below it) */
#define TX_STACK_CUR 16         /* cursors on the stack (a decoded block each); more are allocated */

/* A query term's cursor. WAND reads whole blocks: block b is decoded into docs / tfs and the
 * current posting is docs[j] / tfs[j] (copied into doc / tf); sb (>= b) is the block the block-max
 * bound was last taken from. The exhaustive scorer reads the stream one posting at a time
 * (p, i), as simply as it can. */
typedef struct {
    const tx_blk *blk;
    const uint8_t *bytes;
    uint32_t nblk, n; /* blocks, postings */
    uint32_t b, j, bn, sb;
    bool lazy; /* block b is not decoded yet: doc is only a lower bound of the next posting */
    uint32_t doc, tf;
    uint32_t q;      /* position of the term in the query (scores are summed in that order) */
    double idf, ub;  /* ub: the largest block bound of the term */
    uint32_t ub_blk; /* the block whose bound is cached in blk_w (UINT32_MAX: none) */
    double blk_w;
    const uint8_t *p; /* exhaustive reader: next posting's bytes, postings read */
    uint32_t i;
    uint32_t docs[TX_BLOCK], tfs[TX_BLOCK];
} tx_cursor;

/* The BM25 term weight: increases with tf, decreases with K (so with the document length); the
 * same expression serves scores and bounds, and rounding keeps that monotonicity. */
static inline double bm25_w(double idf, double tf, double k1, double K)
{
    return idf * tf * (k1 + 1.0) / (tf + K);
}

/* ---- the exhaustive scorer's reader ---- */

static inline void seq_next(tx_cursor *c)
{
    if (c->i >= c->n) {
        c->doc = TX_END;
        return;
    }
    tx_post_get(&c->p, &c->doc, &c->tf);
    c->i++;
}

static void seq_init(tx_cursor *c, const tx_term *t)
{
    c->p = t->bytes;
    c->n = t->n;
    c->i = 0;
    c->doc = 0;
    seq_next(c);
}

/* ---- WAND's block reader ---- */

/* Decodes block b and moves to its first posting. */
static void cur_load(tx_cursor *c, uint32_t b)
{
    const uint8_t *p = c->bytes + c->blk[b].off;
    uint32_t doc = b ? c->blk[b - 1].last : 0;
    uint32_t n = c->n - b * TX_BLOCK;
    if (n > TX_BLOCK) n = TX_BLOCK;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = *p;
        if ((v & 0x81) == 0x01) { /* one byte, tf = 1: the common case */
            p++;
            doc += v >> 1;
            c->tfs[i] = 1;
        } else {
            uint64_t w = tx_varint_get(&p);
            doc += (uint32_t)(w >> 1);
            c->tfs[i] = (w & 1) ? 1u : (uint32_t)tx_varint_get(&p);
        }
        c->docs[i] = doc;
    }
    c->b = b;
    c->bn = n;
    c->j = 0;
    c->lazy = false;
    c->doc = c->docs[0];
    c->tf = c->tfs[0];
}

/* Decodes a lazy cursor's block and moves to its first posting >= the bound it held. */
static void cur_fill(tx_cursor *c)
{
    uint32_t target = c->doc;
    cur_load(c, c->b);
    uint32_t j = 0;
    while (c->docs[j] < target) j++; /* the block's last document is >= target */
    c->j = j;
    c->doc = c->docs[j];
    c->tf = c->tfs[j];
}

static void cur_init(tx_cursor *c, const tx_term *t)
{
    c->blk = t->blk;
    c->bytes = t->bytes;
    c->nblk = t->nblk;
    c->n = t->n;
    c->sb = 0;
    c->ub_blk = UINT32_MAX;
    c->b = 0;
    c->bn = 0;
    c->j = 0;
    c->lazy = true;
    c->doc = 0;
}

static inline void cur_next(tx_cursor *c)
{
    if (c->lazy) cur_fill(c);
    if (++c->j < c->bn) {
        c->doc = c->docs[c->j];
        c->tf = c->tfs[c->j];
    } else if (c->b + 1 < c->nblk) { /* the next block, shallow */
        c->doc = c->blk[c->b].last + 1;
        c->b++;
        c->lazy = true;
    } else {
        c->j = c->bn;
        c->doc = TX_END;
    }
}

/* Moves to the first posting with doc >= target, skipping whole blocks by their last doc
 * (only the block landed in is decoded). */
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
            c->b = c->nblk - 1;
            c->j = c->bn;
            c->lazy = false;
            c->doc = TX_END;
            return;
        }
        /* shallow: the block is decoded only when a posting of it is needed */
        c->b = lo;
        c->lazy = true;
        c->doc = target;
        return;
    }
    if (c->lazy) {
        c->doc = target;
        return;
    }
    /* the block holds a posting >= target (its last document) */
    uint32_t j = c->j + 1;
    while (c->docs[j] < target) j++;
    c->j = j;
    c->doc = c->docs[j];
    c->tf = c->tfs[j];
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
                seq_next(&cur[c]);
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

/* Threshold seeding: before the document-at-a-time pass, the documents of the rarest query
 * terms (whole lists while they fit in TX_SEED_DOCS, then the blocks of best bound of the next
 * list) are scored exactly (every query term probed, summed in query order) and offered to the
 * heap. The k-th of them is a lower bound of the final k-th best, so the pass starts with a
 * threshold near its final value instead of climbing from nothing through the postings of the
 * frequent terms. `seen` (sorted) holds the seeded documents: the pass must not offer them twice. */
#define TX_SEED_DOCS 512

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Appends the documents of block b of cursor c's list to out. */
static size_t blk_docs(const tx_cursor *c, uint32_t b, uint32_t *out)
{
    const uint8_t *p = c->bytes + c->blk[b].off;
    uint32_t doc = b ? c->blk[b - 1].last : 0, tf, n = c->n - b * TX_BLOCK;
    if (n > TX_BLOCK) n = TX_BLOCK;
    for (uint32_t i = 0; i < n; i++) {
        tx_post_get(&p, &doc, &tf);
        out[i] = doc;
    }
    return n;
}

static size_t seed_threshold(const growth_text_index *x, const tx_bm *m, const tx_cursor *cur, size_t nc,
                             const growth_id_filter *filter, tx_hit *heap, size_t *hn, size_t k,
                             uint32_t *seen, double *part)
{
    if (nc > TX_STACK_TERMS) return 0;
    /* the query's terms by ascending list length */
    uint32_t order[TX_STACK_TERMS];
    const size_t no = nc;
    for (size_t i = 0; i < no; i++) {
        size_t j = i;
        while (j > 0 && cur[order[j - 1]].n > cur[i].n) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (uint32_t)i;
    }
    size_t ns = 0;
    for (size_t o = 0; o < no && ns + TX_BLOCK <= TX_SEED_DOCS; o++) {
        const tx_cursor *c = &cur[order[o]];
        if (ns + c->n <= TX_SEED_DOCS) {
            for (uint32_t b = 0; b < c->nblk; b++) ns += blk_docs(c, b, seen + ns);
            continue;
        }
        /* the blocks of largest bound that fit (the first of equal ones) */
        enum { NB = TX_SEED_DOCS / TX_BLOCK };
        size_t want = (TX_SEED_DOCS - ns) / TX_BLOCK, nb = 0;
        uint32_t bb[NB];
        double bw[NB];
        for (uint32_t b = 0; b < c->nblk; b++) {
            double w = blk_ub(&c->blk[b], c->idf, m);
            if (nb == want && w <= bw[nb - 1]) continue;
            size_t j = nb < want ? nb++ : nb - 1;
            while (j > 0 && bw[j - 1] < w) {
                bw[j] = bw[j - 1];
                bb[j] = bb[j - 1];
                j--;
            }
            bw[j] = w;
            bb[j] = b;
        }
        for (size_t j = 0; j < nb; j++) ns += blk_docs(c, bb[j], seen + ns);
        break;
    }
    if (!ns) return 0;
    qsort(seen, ns, sizeof *seen, cmp_u32);
    size_t w = 0;
    for (size_t i = 0; i < ns; i++)
        if (!w || seen[i] != seen[w - 1]) seen[w++] = seen[i];
    ns = w;
    /* exact scores: per term (in query order) one forward pass over the sorted documents,
     * adding its weight (or 0) to each document's sum, as the other scorers sum */
    double acc[TX_SEED_DOCS], K[TX_SEED_DOCS];
    for (size_t i = 0; i < ns; i++) {
        acc[i] = 0.0;
        K[i] = m->kb0 + m->kb1 * (double)x->doc_len[seen[i]];
    }
    for (size_t c = 0; c < no; c++) {
        const tx_cursor *t = &cur[c];
        uint32_t b = 0, doc = 0, tf = 0;
        const uint8_t *p = NULL; /* NULL: no block entered yet */
        for (size_t i = 0; i < ns; i++) {
            uint32_t d = seen[i];
            if (!p || doc < d) {
                if (!p || t->blk[b].last < d) {
                    while (b < t->nblk && t->blk[b].last < d) b++;
                    if (b == t->nblk) break; /* no later posting: the rest add nothing */
                    p = t->bytes + t->blk[b].off;
                    doc = b ? t->blk[b - 1].last : 0;
                }
                do tx_post_get(&p, &doc, &tf); /* block b's last document is >= d */
                while (doc < d);
            }
            acc[i] += doc == d ? bm25_w(t->idf, (double)tf, m->k1, K[i]) : 0.0;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        uint32_t d = seen[i];
        if (x->alive[d] && filter_pass(filter, x->doc_id[d]))
            tx_heap_offer(NULL, heap, hn, k, (tx_hit){acc[i], x->doc_id[d]});
    }
    return ns;
}

static bool seen_has(const uint32_t *seen, size_t ns, uint32_t d)
{
    size_t lo = 0, hi = ns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (seen[mid] < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ns && seen[lo] == d;
}

/* Block-max MaxScore (Turtle & Flood 1995, with block bounds as in Lucene's MaxScore scorer and
 * Ding & Suel's block-max WAND). The terms are ordered by their largest bound (ub); the longest
 * prefix whose bounds add up to less than the k-th best score (theta) is "non-essential": a
 * document holding none of the other ("essential") terms cannot enter the top k, so candidates
 * come from the essential lists only, which are few and short once theta is high (the seeding
 * makes it high from the start). At a candidate d:
 *   1. the block bounds at d of every term whose cursor is not past d (from block headers,
 *      nothing decoded; a term whose cursor is past d has no posting before the cursor) are
 *      summed in query order; when they cannot reach theta, every essential list jumps to the
 *      end of the first of those blocks or to the first such cursor (shallow: the block landed
 *      in is decoded only when needed);
 *   2. otherwise the essential terms' weights at d are added up, then the non-essential terms are
 *      probed by decreasing bound while the sum so far plus their remaining block bounds can
 *      still reach theta;
 *   3. a document probed through is scored exactly as the exhaustive scorer scores it (the same
 *      weights summed in query order) and offered to the heap.
 * Bounds summed in another order than scores are compared with TX_UB_SLACK; the block-max test
 * sums in query order, so it needs none and can also skip blocks whose bound only ties theta
 * when their smallest id is above the k-th hit's (ties go to smaller ids). */
static size_t search_maxscore(const growth_text_index *x, const tx_bm *m, tx_cursor *cur, tx_cursor **ord,
                              double *scratch, size_t nc, const growth_id_filter *filter, tx_hit *heap,
                              size_t k)
{
    double *part = scratch, *bw = scratch + nc, *pre = scratch + 2 * nc;
    size_t hn = 0;
    double theta = -1.0;          /* below every score until the heap holds k hits */
    int64_t worst_id = INT64_MAX; /* the id of the k-th hit */
    uint32_t seen[TX_SEED_DOCS];
    for (size_t c = 0; c < nc; c++) part[c] = bw[c] = 0.0;
    size_t ns = seed_threshold(x, m, cur, nc, filter, heap, &hn, k, seen, part);
    if (hn == k) {
        theta = heap[0].s;
        worst_id = heap[0].id;
    }
    /* terms by ascending bound; pre[i] = the bounds of the first i added up */
    for (size_t c = 0; c < nc; c++) {
        double ub = 0.0;
        for (uint32_t b = 0; b < cur[c].nblk; b++) {
            double w = blk_ub(&cur[c].blk[b], cur[c].idf, m);
            if (w > ub) ub = w;
        }
        cur[c].ub = ub;
        size_t j = c;
        while (j > 0 && ord[j - 1]->ub > ub) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = &cur[c];
    }
    pre[0] = 0.0;
    for (size_t i = 0; i < nc; i++) pre[i + 1] = pre[i] + ord[i]->ub;
    size_t ne = 0; /* ord[0..ne) are non-essential */
    for (;;) {
        while (ne < nc && pre[ne + 1] * TX_UB_SLACK < theta) ne++;
        if (ne == nc) break;
        if (ne + 1 == nc && !ord[ne]->lazy && ord[ne]->doc != TX_END) {
            /* one essential list: a tight pass over its decoded block drops the documents whose
             * weight plus every other term's bound cannot reach theta */
            tx_cursor *e = ord[ne];
            const double rest = pre[ne];
            uint32_t j = e->j;
            while (j < e->bn) {
                const uint32_t dj = e->docs[j];
                if (j + 8 < e->bn) __builtin_prefetch(&x->doc_len[e->docs[j + 8]]);
                const double w =
                    bm25_w(e->idf, (double)e->tfs[j], m->k1, m->kb0 + m->kb1 * (double)x->doc_len[dj]);
                if ((w + rest) * TX_UB_SLACK >= theta) break;
                j++;
            }
            if (j == e->bn) { /* the next block, shallow */
                if (e->b + 1 < e->nblk) {
                    e->doc = e->blk[e->b].last + 1;
                    e->b++;
                    e->lazy = true;
                } else {
                    e->j = e->bn;
                    e->doc = TX_END;
                }
                continue;
            }
            e->j = j;
            e->doc = e->docs[j];
            e->tf = e->tfs[j];
        }
        uint32_t d = TX_END;
        bool lazy = false;
        for (size_t i = ne; i < nc; i++)
            if (ord[i]->doc < d) {
                d = ord[i]->doc;
                lazy = ord[i]->lazy;
            } else if (ord[i]->doc == d) {
                lazy |= ord[i]->lazy;
            }
        if (d == TX_END) break;
        if (lazy) {
            /* 1. a list entered a new block: the block bounds at d */
            uint32_t next = TX_END;
            int64_t min_id = INT64_MAX;
            double bub = 0.0;
            for (size_t c = 0; c < nc; c++) {
                if (cur[c].doc > d) { /* no posting of the term before its cursor's document */
                    if (cur[c].doc < next) next = cur[c].doc;
                    continue;
                }
                uint32_t last;
                bub += cur_block_ub(&cur[c], m, d, &last, &min_id);
                if (last != TX_END && last + 1 < next) next = last + 1;
            }
            if (!(bub > theta || (bub == theta && min_id < worst_id))) {
                for (size_t i = ne; i < nc; i++) cur_seek(ord[i], next);
                continue;
            }
            /* the essential cursors' postings at d (a lazy one may turn out to be later) */
            bool moved = false;
            for (size_t i = ne; i < nc; i++)
                if (ord[i]->doc == d && ord[i]->lazy) {
                    cur_fill(ord[i]);
                    moved |= ord[i]->doc != d;
                }
            if (moved) continue;
        }
        /* 2. the essential weights; then the non-essential terms, by decreasing bound, while the
         * sum so far and their block bounds at d can reach theta */
        const double K = m->kb0 + m->kb1 * (double)x->doc_len[d];
        double est = 0.0, rem = 0.0;
        for (size_t i = ne; i < nc; i++)
            if (ord[i]->doc == d) {
                double w = bm25_w(ord[i]->idf, (double)ord[i]->tf, m->k1, K);
                part[ord[i]->q] = w;
                est += w;
                cur_next(ord[i]);
                /* the lengths of coming candidates: random reads, started early */
                if (ord[i]->j + 6 < ord[i]->bn) __builtin_prefetch(&x->doc_len[ord[i]->docs[ord[i]->j + 6]]);
            }
        /* (deleted and filtered documents are dropped after the bound: most fail it first) */
        bool live = (est + pre[ne]) * TX_UB_SLACK >= theta && x->alive[d] &&
                    (!filter || filter_pass(filter, x->doc_id[d]));
        if (live) {
            int64_t min_id = INT64_MAX;
            for (size_t i = 0; i < ne; i++) {
                tx_cursor *c = ord[i];
                uint32_t last;
                bw[c->q] = c->doc > d ? 0.0 : cur_block_ub(c, m, d, &last, &min_id);
                rem += bw[c->q];
            }
        }
        for (size_t i = ne; live && i-- > 0;) {
            if ((est + rem) * TX_UB_SLACK < theta) {
                live = false;
                break;
            }
            tx_cursor *c = ord[i];
            rem -= bw[c->q];
            cur_seek(c, d);
            if (c->doc == d && c->lazy) cur_fill(c);
            if (c->doc == d) {
                double w = bm25_w(c->idf, (double)c->tf, m->k1, K);
                part[c->q] = w;
                est += w;
            }
        }
        /* 3. the exact score */
        if (live) {
            double sc = 0.0;
            for (size_t c = 0; c < nc; c++) sc += part[c];
            tx_hit h = {sc, x->doc_id[d]};
            if ((hn < k || TX_HIT_WORSE(NULL, heap[0], h)) && !seen_has(seen, ns, d)) {
                tx_heap_offer(NULL, heap, &hn, k, h);
                if (hn == k) {
                    theta = heap[0].s;
                    worst_id = heap[0].id;
                }
            }
        }
        for (size_t c = 0; c < nc; c++) part[c] = 0.0;
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
    tx_cursor cstack[TX_STACK_CUR], *cur = cstack;
    tx_cursor *ostack[TX_STACK_TERMS], **ord = ostack;
    double pstack[3 * TX_STACK_TERMS + 1], *part = pstack;
    tx_hit kstack[TX_STACK_K], *heap = kstack;
    growth_text_index *xm = (growth_text_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    if ((rc = query_terms(who, x, query, &v))) goto out;
    if (cap < k) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = k;
        rc = gerr(GROWTH_EBUFS, "%s: cap %zu < k %zu", who, cap, k);
        goto out;
    }
    if ((v.n > TX_STACK_CUR && !(cur = malloc(v.n * sizeof *cur))) ||
        (v.n > TX_STACK_TERMS &&
         (!(ord = malloc(v.n * sizeof *ord)) || !(part = malloc((3 * v.n + 1) * sizeof *part))))) {
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
        if (x->cfg.search == TX_SEARCH_EXHAUSTIVE)
            seq_init(&cur[nc], &x->terms[t]);
        else
            cur_init(&cur[nc], &x->terms[t]);
        cur[nc].idf = bm25_idf(N, x->terms[t].df);
        cur[nc].q = (uint32_t)nc;
        nc++;
    }
    size_t hn = x->cfg.search == TX_SEARCH_EXHAUSTIVE
                    ? search_exhaustive(x, &m, cur, nc, filter, heap, k)
                    : search_maxscore(x, &m, cur, ord, part, nc, filter, heap, k);
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
