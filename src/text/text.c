/* Inverted text index with BM25 scoring (text.h): the index itself, here (configuration,
 * creation, the term and id tables, adding, removing, compaction, counters); tokenizer.c (term
 * hashes of UTF-8 text), search.c (BM25 search and scoring), persist.c (save / load).
 *
 * Terms are 64-bit hashes of their UTF-8 bytes, kept in an open-addressing table (hash ->
 * term number). Each term owns a postings array of (document number, tf) in ascending document
 * order: documents are numbered in the order they are added and never renumbered, so appending
 * keeps every list sorted. A flat forward index (the term numbers of each document) lets a
 * delete update document frequencies exactly; deleted documents are tombstoned (alive = 0) and
 * skipped by searches until compaction drops their postings in place (no allocation, so it can
 * run inside a delete when dead postings outnumber live ones).
 *
 * Search is document-at-a-time over the query terms' postings with a bounded min-heap of the k
 * best (score, id): no allocation for queries of up to TX_STACK_TERMS terms and k <= TX_STACK_K.
 *
 * Concurrency: one pthread rwlock (writer-preferring) and a writer mutex. Readers share the
 * rwlock; writers (the commit of an add, remove, compact, set_config, set_progress) first take
 * the writer mutex, then hold the rwlock exclusively only to publish. A compaction with a
 * progress callback builds aside holding only the mutex, so its callback may search without
 * deadlocking. Adds tokenise and validate outside both locks (in parallel), then reserve every
 * allocation they need before the first visible change (all or nothing). */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_impl.h"
#include "sync.h"

const gcfg_opt tx_opts[] = {
    {"k1", GCFG_DOUBLE, offsetof(tx_cfg, k1), "1.2", 0, 100, NULL, false},
    {"b", GCFG_DOUBLE, offsetof(tx_cfg, b), "0.75", 0, 1, NULL, false},
    {"ngram", GCFG_INT, offsetof(tx_cfg, ngram), "2", 1, 4, NULL, false},
    {"lowercase", GCFG_BOOL, offsetof(tx_cfg, lowercase), "true", 0, 0, NULL, false},
    {"search", GCFG_ENUM, offsetof(tx_cfg, search), "wand", 0, 0, "wand|exhaustive", false},
    GCFG_MAX_MEMORY(tx_cfg, max_memory),
};
const size_t tx_nopts = sizeof tx_opts / sizeof tx_opts[0];

/* ---- posting lists (see text_impl.h) ------------------------------------------------------- */

int tx_post_reserve(tx_term *t, uint64_t add)
{
    uint64_t nb = t->nbytes + add * TX_POST_MAXB;
    if (nb > t->bytes_cap) {
        uint64_t nc = t->bytes_cap + t->bytes_cap / 2;
        if (nc < nb) nc = nb;
        if (nc > SIZE_MAX) return -1;
        uint8_t *p = realloc(t->bytes, (size_t)nc);
        if (!p) return -1;
        t->bytes = p;
        t->bytes_cap = nc;
    }
    uint64_t blocks = ((uint64_t)t->n + add + TX_BLOCK - 1) / TX_BLOCK;
    if (blocks > t->blk_cap) {
        uint64_t nc = (uint64_t)t->blk_cap + t->blk_cap / 2;
        if (nc < blocks) nc = blocks;
        tx_blk *b = realloc(t->blk, (size_t)nc * sizeof *b);
        if (!b) return -1;
        t->blk = b;
        t->blk_cap = (uint32_t)nc;
    }
    return 0;
}

void tx_blk_open(tx_blk *b, uint64_t off, int64_t id)
{
    memset(b, 0, sizeof *b);
    b->off = off;
    b->min_id = id;
}

void tx_blk_add(tx_blk *b, uint32_t tf32, uint32_t dl32, int64_t id)
{
    if (id < b->min_id) b->min_id = id;
    uint16_t tf = tf32 >= TX_TF_INF ? TX_TF_INF : (uint16_t)tf32;
    uint16_t dl = dl32 > UINT16_MAX ? UINT16_MAX : (uint16_t)dl32;
    unsigned n = b->nimp, w = 0;
    for (unsigned i = 0; i < n; i++)
        if (b->tf[i] >= tf && b->dl[i] <= dl) return; /* dominated */
    /* drop the points the new one dominates, insert it in tf order */
    uint16_t nt[TX_IMPACTS + 1], nd[TX_IMPACTS + 1];
    bool put = false;
    for (unsigned i = 0; i < n; i++) {
        if (b->tf[i] <= tf && b->dl[i] >= dl) continue;
        if (!put && b->tf[i] > tf) {
            nt[w] = tf;
            nd[w++] = dl;
            put = true;
        }
        nt[w] = b->tf[i];
        nd[w++] = b->dl[i];
    }
    if (!put) {
        nt[w] = tf;
        nd[w++] = dl;
    }
    if (w > TX_IMPACTS) { /* merge the two of largest tf: (larger tf, smaller length) */
        nd[w - 2] = nd[w - 1] < nd[w - 2] ? nd[w - 1] : nd[w - 2];
        nt[w - 2] = nt[w - 1];
        w--;
    }
    memcpy(b->tf, nt, w * sizeof *nt);
    memcpy(b->dl, nd, w * sizeof *nd);
    b->nimp = (uint16_t)w;
}

void tx_post_push(tx_term *t, uint32_t doc, uint32_t tf, uint32_t dl, int64_t id)
{
    uint32_t prev = t->n ? t->blk[t->nblk - 1].last : 0;
    if (t->n % TX_BLOCK == 0) tx_blk_open(&t->blk[t->nblk++], t->nbytes, id);
    tx_blk_add(&t->blk[t->nblk - 1], tf, dl, id);
    t->blk[t->nblk - 1].last = doc;
    uint8_t *p = t->bytes + t->nbytes;
    p = tx_varint_put(p, ((uint64_t)(doc - prev) << 1) | (tf == 1));
    if (tf != 1) p = tx_varint_put(p, tf);
    t->nbytes = (uint64_t)(p - t->bytes);
    t->n++;
}

void tx_post_shrink(tx_term *t)
{
    uint64_t want = t->nbytes + t->nbytes / 4 + 16;
    if (t->bytes_cap > want && t->nbytes) {
        uint8_t *p = realloc(t->bytes, (size_t)want);
        if (p) {
            t->bytes = p;
            t->bytes_cap = want;
        }
    }
    uint32_t wb = t->nblk + t->nblk / 4 + 1;
    if (t->blk_cap > wb && t->nblk) {
        tx_blk *b = realloc(t->blk, wb * sizeof *b);
        if (b) {
            t->blk = b;
            t->blk_cap = wb;
        }
    }
}

void tx_post_free(tx_term *t)
{
    free(t->bytes);
    free(t->blk);
    t->bytes = NULL;
    t->blk = NULL;
    t->n = t->nblk = t->blk_cap = 0;
    t->nbytes = t->bytes_cap = 0;
}

void tx_post_filter(const tx_term *src, const uint8_t *alive, const uint32_t *doc_len, const int64_t *doc_id,
                    uint8_t *dbytes, tx_blk *dblk, uint32_t *n, uint32_t *nblk, uint64_t *nbytes)
{
    tx_rd r;
    tx_rd_init(&r, src);
    uint8_t *w = dbytes;
    uint32_t k = 0, prev = 0;
    while (tx_rd_next(&r)) {
        if (!alive[r.doc]) continue;
        /* r.p is past this posting's bytes; w stays at or below the start of them */
        tx_blk *b = &dblk[k / TX_BLOCK];
        uint32_t dl = doc_len[r.doc];
        int64_t id = doc_id[r.doc];
        if (k % TX_BLOCK == 0) tx_blk_open(b, (uint64_t)(w - dbytes), id);
        tx_blk_add(b, r.tf, dl, id);
        b->last = r.doc;
        w = tx_varint_put(w, ((uint64_t)(r.doc - prev) << 1) | (r.tf == 1));
        if (r.tf != 1) w = tx_varint_put(w, r.tf);
        prev = r.doc;
        k++;
    }
    *n = k;
    *nblk = (k + TX_BLOCK - 1) / TX_BLOCK;
    *nbytes = (uint64_t)(w - dbytes);
}

/* ---- hash tables --------------------------------------------------------------------------- */

void tx_term_insert_slot(uint32_t *map, uint64_t cap, const tx_term *terms, uint32_t t)
{
    uint64_t mask = cap - 1;
    uint64_t i = gmix64(terms[t].hash) & mask;
    while (map[i]) i = (i + 1) & mask;
    map[i] = t + 1;
}

/* Makes room for `need` terms in the term array and map (rehashing: invisible to lookups). */
int tx_term_reserve(growth_text_index *x, uint64_t need, const char *who)
{
    if (need > UINT32_MAX - 1) return gerr(GROWTH_ENOMEM, "%s: more than 2^32 - 2 distinct terms", who);
    if (need > x->terms_cap) {
        uint64_t nc = x->terms_cap ? x->terms_cap : 1024;
        while (nc < need) nc += nc / 2;
        if (nc > UINT32_MAX - 1) nc = UINT32_MAX - 1;
        tx_term *t = realloc(x->terms, nc * sizeof *t);
        if (!t) return gerr(GROWTH_ENOMEM, "%s: out of memory for %llu terms", who, (unsigned long long)nc);
        x->terms = t;
        x->terms_cap = (uint32_t)nc;
    }
    if (need * 2 > x->tmap_cap) {
        uint64_t nc = x->tmap_cap ? x->tmap_cap : 2048;
        while (nc < need * 2) nc *= 2;
        uint32_t *m = calloc(nc, sizeof *m);
        if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory for the term table", who);
        for (uint32_t t = 0; t < x->nterms; t++) tx_term_insert_slot(m, nc, x->terms, t);
        free(x->tmap);
        x->tmap = m;
        x->tmap_cap = nc;
    }
    return GROWTH_OK;
}

/* Document number of `id` (live or dead), or UINT32_MAX. */
int tx_id_reserve(growth_text_index *x, uint64_t need, const char *who)
{
    return gidmap_reserve(who, "the id table", &x->imap, (size_t)need, NULL, NULL);
}

/* ---- creation ------------------------------------------------------------------------------ */

/* Per document its id, length, flag and forward offset; the open-addressing tables at their load
 * factor (id map cells of 12 bytes); per posting the most its varints take (TX_POST_MAXB; most
 * take 1 to 3 bytes, and spare capacity is given back after an add), its share of a block
 * header and its forward-index entry. Double arithmetic: no product can wrap. */
double tx_bytes(double docs, double ids, double terms, double postings)
{
    double icells = 64, tcells = 2048; /* the id map grows as gidmap_reserve does */
    while ((ids + 1) * 2 > icells) icells *= 2;
    while (tcells < 2 * terms) tcells *= 2;
    return (double)sizeof(growth_text_index) + docs * (8 + 4 + 1 + 8) + icells * 12 +
           terms * (double)sizeof(tx_term) + tcells * 4 +
           postings * (TX_POST_MAXB + (double)sizeof(tx_blk) / TX_BLOCK + 4);
}

int tx_new(growth_text_index **out, const tx_cfg *cfg, const char *who)
{
    growth_text_index *x = calloc(1, sizeof *x);
    if (!x) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    x->cfg = *cfg;
    x->fwd_off = calloc(1, sizeof *x->fwd_off);
    if (!x->fwd_off) {
        free(x);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    grwlock_init(&x->rw);
    pthread_mutex_init(&x->wlock, NULL);
    *out = x;
    return GROWTH_OK;
}

GROWTH_API int growth_text_create(growth_text_index **out, const char *config)
{
    static const char *who = "growth_text_create";
    GROWTH_CHECK_NULL(who, out);
    tx_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse(who, tx_opts, TX_NOPTS, config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    return tx_new(out, &cfg, who);
}

GROWTH_API void growth_text_free(growth_text_index *x)
{
    if (!x) return;
    for (uint32_t t = 0; t < x->nterms; t++) tx_post_free(&x->terms[t]);
    free(x->terms);
    free(x->tmap);
    free(x->doc_id);
    free(x->doc_len);
    free(x->alive);
    free(x->fwd_off);
    free(x->fwd);
    gidmap_free(&x->imap);
    pthread_rwlock_destroy(&x->rw);
    pthread_mutex_destroy(&x->wlock);
    free(x);
}

GROWTH_API int growth_text_config(const growth_text_index *x, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_text_config", x);
    if (!buf && cap) return gerr(GROWTH_EINVAL, "growth_text_config: buf is NULL but cap is %zu", cap);
    growth_text_index *xm = (growth_text_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    tx_cfg c = x->cfg;
    pthread_rwlock_unlock(&xm->rw);
    int rc = gcfg_format(tx_opts, TX_NOPTS, &c, buf, cap, out_n);
    if (rc) return gerr(rc, "growth_text_config: buffer of %zu bytes is too small", cap);
    return GROWTH_OK;
}

typedef struct {
    char k1[GCFG_STRING_MAX], b[GCFG_STRING_MAX], max_memory[GCFG_STRING_MAX], search[GCFG_STRING_MAX];
} tx_set_cfg;

static const gcfg_opt tx_set_opts[] = {
    {"k1", GCFG_STRING, offsetof(tx_set_cfg, k1), "", 0, 0, NULL, false},
    {"b", GCFG_STRING, offsetof(tx_set_cfg, b), "", 0, 0, NULL, false},
    {"max_memory", GCFG_STRING, offsetof(tx_set_cfg, max_memory), "", 0, 0, NULL, false},
    {"search", GCFG_STRING, offsetof(tx_set_cfg, search), "", 0, 0, NULL, false},
};

GROWTH_API int growth_text_set_config(growth_text_index *x, const char *config)
{
    static const char *who = "growth_text_set_config";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, config);
    tx_set_cfg s;
    int rc = gcfg_parse(who, tx_set_opts, sizeof tx_set_opts / sizeof tx_set_opts[0], config, &s, sizeof s);
    if (rc) return rc;
    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    char full[5 * GCFG_STRING_MAX];
    char k1[64], b[64], mm[32];
    gsnprintf(k1, sizeof k1, "%.17g", x->cfg.k1);
    gsnprintf(b, sizeof b, "%.17g", x->cfg.b);
    snprintf(mm, sizeof mm, "%lld", (long long)x->cfg.max_memory);
    snprintf(full, sizeof full, "k1='%s' b='%s' ngram=%lld lowercase=%s search='%s' max_memory='%s'",
             s.k1[0] ? s.k1 : k1, s.b[0] ? s.b : b, (long long)x->cfg.ngram,
             x->cfg.lowercase ? "true" : "false",
             s.search[0] ? s.search : (x->cfg.search == TX_SEARCH_EXHAUSTIVE ? "exhaustive" : "wand"),
             s.max_memory[0] ? s.max_memory : mm);
    tx_cfg c;
    rc = gcfg_parse(who, tx_opts, TX_NOPTS, full, &c, sizeof c);
    if (!rc) x->cfg = c;
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

GROWTH_API int growth_text_set_progress(growth_text_index *x, growth_progress_fn fn, void *user)
{
    GROWTH_CHECK_NULL("growth_text_set_progress", x);
    pthread_mutex_lock(&x->wlock);
    x->progress = fn;
    x->progress_user = user;
    pthread_mutex_unlock(&x->wlock);
    return GROWTH_OK;
}

/* ---- adding -------------------------------------------------------------------------------- */

/* Tokenised batch: per document its distinct (hash, tf) pairs, sorted by hash. */
typedef struct {
    uint64_t *h;
    uint32_t *tf;
    uint64_t *off; /* n + 1 */
    uint32_t *len;
    size_t n, npairs;
} tx_batch;

static void batch_free(tx_batch *b)
{
    free(b->h);
    free(b->tf);
    free(b->off);
    free(b->len);
}

typedef const char *(*tx_text_fn)(const void *src, size_t i, size_t *len);

/* Reports progress (fn may be NULL); GROWTH_ECANCELED with a message when it asks to stop. */
static int tx_report(const char *who, growth_progress_fn fn, void *user, const char *stage, double done)
{
    if (fn && fn(stage, done, user))
        return gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback (%s, %.0f%% done)", who, stage,
                    100.0 * done);
    return GROWTH_OK;
}

#define TX_REPORT_DOCS  1024
#define TX_REPORT_TERMS 4096

static int batch_build(const char *who, int ngram, bool lower, tx_text_fn get, const void *src, size_t n,
                       tx_batch *b, growth_progress_fn fn, void *user)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->off = malloc((n + 1) * sizeof *b->off);
    b->len = malloc((n ? n : 1) * sizeof *b->len);
    size_t cap = 1024;
    b->h = malloc(cap * sizeof *b->h);
    b->tf = malloc(cap * sizeof *b->tf);
    tx_hvec v = {0};
    int rc = GROWTH_OK;
    if (!b->off || !b->len || !b->h || !b->tf) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto fail;
    }
    b->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0, bad = 0;
        const char *t = get(src, i, &len);
        v.n = 0;
        int trc = tx_tokenize(ngram, lower, t, len, &v, &bad);
        if (trc) {
            rc = tx_tok_error(who, trc, "text", i, bad);
            goto fail;
        }
        if (v.n > UINT32_MAX) {
            rc = gerr(GROWTH_EINVAL, "%s: text %zu has more than 2^32 - 1 tokens", who, i);
            goto fail;
        }
        b->len[i] = (uint32_t)v.n;
        if (v.n > 1) qsort(v.v, v.n, sizeof *v.v, tx_cmp_u64);
        if (b->npairs + v.n > cap) {
            while (cap < b->npairs + v.n) cap *= 2;
            uint64_t *nh = realloc(b->h, cap * sizeof *nh);
            if (nh) b->h = nh;
            uint32_t *nt = realloc(b->tf, cap * sizeof *nt);
            if (nt) b->tf = nt;
            if (!nh || !nt) {
                rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
                goto fail;
            }
        }
        for (size_t j = 0; j < v.n;) {
            size_t e = j + 1;
            while (e < v.n && v.v[e] == v.v[j]) e++;
            b->h[b->npairs] = v.v[j];
            b->tf[b->npairs] = (uint32_t)(e - j);
            b->npairs++;
            j = e;
        }
        b->off[i + 1] = b->npairs;
        if ((i + 1) % TX_REPORT_DOCS == 0 || i + 1 == n) {
            /* the last report (done = 1) comes before anything is published */
            if ((rc = tx_report(who, fn, user, "add", (double)(i + 1) / (double)n))) goto fail;
        }
    }
    tx_hvec_free(&v);
    return GROWTH_OK;
fail:
    tx_hvec_free(&v);
    batch_free(b);
    memset(b, 0, sizeof *b);
    return rc;
}

/* Batch-local term table entry. */
typedef struct {
    uint64_t hash;
    uint32_t term;  /* existing term number, or UINT32_MAX for a new term */
    uint32_t count; /* postings this batch adds */
    tx_term fresh;  /* posting arrays of a new term (allocated before commit) */
    bool used;
} tx_bent;

static tx_bent *bmap_get(tx_bent *m, uint64_t cap, uint64_t h)
{
    uint64_t mask = cap - 1;
    uint64_t i = gmix64(h) & mask;
    while (m[i].used && m[i].hash != h) i = (i + 1) & mask;
    return &m[i];
}

int tx_grow_docs(growth_text_index *x, uint64_t need, const char *who)
{
    if (need <= x->docs_cap) return GROWTH_OK;
    uint64_t nc = x->docs_cap ? x->docs_cap : 1024;
    while (nc < need) nc += nc / 2;
    if (nc > TX_MAX_DOCS) nc = TX_MAX_DOCS;
#define TX_GROW(f, cnt)                                                                                      \
    do {                                                                                                     \
        void *p_ = realloc(x->f, (cnt) * sizeof *x->f);                                                      \
        if (!p_) goto nomem;                                                                                 \
        x->f = p_;                                                                                           \
    } while (0)
    TX_GROW(doc_id, nc);
    TX_GROW(doc_len, nc);
    TX_GROW(alive, nc);
    TX_GROW(fwd_off, nc + 1);
    x->docs_cap = (uint32_t)nc;
    return GROWTH_OK;
nomem:
    return gerr(GROWTH_ENOMEM, "%s: out of memory for %llu documents", who, (unsigned long long)nc);
}

static int tx_add(growth_text_index *x, const char *who, const int64_t *ids, tx_text_fn get, const void *src,
                  size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0)
            return gerr(GROWTH_EINVAL, "%s: ids[%zu] = %lld is negative", who, i, (long long)ids[i]);
    if (n == 0) return GROWTH_OK;
    int64_t *sorted = malloc(n * sizeof *sorted);
    if (!sorted) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    memcpy(sorted, ids, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, tx_cmp_i64);
    for (size_t i = 1; i < n; i++)
        if (sorted[i] == sorted[i - 1]) {
            int64_t d = sorted[i];
            free(sorted);
            return gerr(GROWTH_EINVAL, "%s: id %lld is listed twice", who, (long long)d);
        }
    free(sorted);

    /* Tokenising runs without any lock (adds from several threads tokenise in parallel);
     * ngram/lowercase never change. The callback is read under wlock. */
    int ngram = (int)x->cfg.ngram;
    bool lower = x->cfg.lowercase;
    pthread_mutex_lock(&x->wlock);
    growth_progress_fn fn = x->progress;
    void *user = x->progress_user;
    pthread_mutex_unlock(&x->wlock);
    tx_batch b;
    int rc = batch_build(who, ngram, lower, get, src, n, &b, fn, user);
    if (rc) return rc;

    tx_bent *bm = NULL;
    uint64_t bcap = 16;
    while (bcap < 2 * (uint64_t)b.npairs + 2) bcap *= 2;
    bm = calloc(bcap, sizeof *bm);
    if (!bm) {
        batch_free(&b);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }

    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    uint64_t n_new = 0;
    for (size_t i = 0; i < n; i++)
        if (tx_live_doc(x, ids[i]) != UINT32_MAX) {
            rc = gerr(GROWTH_EINVAL, "%s: id %lld is already in the index", who, (long long)ids[i]);
            goto out;
        }
    if ((uint64_t)x->ndocs + n > TX_MAX_DOCS) {
        rc = gerr(GROWTH_ENOMEM, "%s: more than %llu documents added in the index's life", who,
                  (unsigned long long)TX_MAX_DOCS);
        goto out;
    }
    /* Batch term table: which terms exist, how many postings each gains. */
    for (size_t j = 0; j < b.npairs; j++) {
        tx_bent *e = bmap_get(bm, bcap, b.h[j]);
        if (!e->used) {
            e->used = true;
            e->hash = b.h[j];
            e->term = tx_term_find(x, b.h[j]);
            if (e->term == UINT32_MAX) n_new++;
        }
        e->count++;
    }
    /* Memory after the add against physical memory and max_memory (nothing changed yet). */
    if ((rc = gmem_reserve(who,
                           tx_bytes((double)x->ndocs + n, (double)x->imap.count + n,
                                    (double)x->nterms + n_new, (double)x->nfwd + b.npairs),
                           (uint64_t)x->cfg.max_memory)))
        goto out;
    /* Reserve everything before the first visible change. */
    if ((rc = tx_grow_docs(x, (uint64_t)x->ndocs + n, who))) goto out;
    if ((rc = tx_id_reserve(x, x->imap.count + n, who))) goto out;
    if ((rc = tx_term_reserve(x, (uint64_t)x->nterms + n_new, who))) goto out;
    if (x->nfwd + b.npairs > x->fwd_cap) {
        uint64_t nc = x->fwd_cap ? x->fwd_cap : 4096;
        while (nc < x->nfwd + b.npairs) nc += nc / 2;
        uint32_t *f = realloc(x->fwd, nc * sizeof *f);
        if (!f) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory for the forward index", who);
            goto out;
        }
        x->fwd = f;
        x->fwd_cap = nc;
    }
    for (uint64_t i = 0; i < bcap; i++) {
        tx_bent *e = &bm[i];
        if (!e->used) continue;
        /* a failed reserve of an existing term leaves it valid (only capacity grew) */
        tx_term *t = e->term != UINT32_MAX ? &x->terms[e->term] : &e->fresh;
        if (tx_post_reserve(t, e->count)) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory for postings", who);
            goto out;
        }
    }
    /* Commit (cannot fail). */
    for (size_t i = 0; i < n; i++) {
        uint32_t d = x->ndocs++;
        x->doc_id[d] = ids[i];
        x->doc_len[d] = b.len[i];
        x->alive[d] = 1;
        x->fwd_off[d] = x->nfwd;
        gidmap_put(&x->imap, (uint64_t)ids[i], d);
        for (uint64_t j = b.off[i]; j < b.off[i + 1]; j++) {
            tx_bent *e = bmap_get(bm, bcap, b.h[j]);
            if (e->term == UINT32_MAX) {
                uint32_t tn = x->nterms++;
                tx_term *t = &x->terms[tn];
                *t = e->fresh;
                t->hash = e->hash;
                t->df = 0;
                memset(&e->fresh, 0, sizeof e->fresh);
                tx_term_insert_slot(x->tmap, x->tmap_cap, x->terms, tn);
                e->term = tn;
            }
            tx_term *t = &x->terms[e->term];
            tx_post_push(t, d, b.tf[j], b.len[i], ids[i]);
            if (t->df++ == 0) x->live_terms++;
            x->fwd[x->nfwd++] = e->term;
        }
        x->fwd_off[d + 1] = x->nfwd;
        x->live_docs++;
        x->live_len += b.len[i];
    }
    x->postings += b.npairs;
    for (uint64_t i = 0; i < bcap; i++)
        if (bm[i].used) tx_post_shrink(&x->terms[bm[i].term]);
out:
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    for (uint64_t i = 0; i < bcap; i++) tx_post_free(&bm[i].fresh);
    free(bm);
    batch_free(&b);
    return rc;
}

static const char *get_cstr(const void *src, size_t i, size_t *len)
{
    const char *t = ((const char *const *)src)[i];
    *len = strlen(t);
    return t;
}

typedef struct {
    const char *data;
    const uint64_t *off;
} tx_packed;

static const char *get_packed(const void *src, size_t i, size_t *len)
{
    const tx_packed *pk = src;
    *len = (size_t)(pk->off[i + 1] - pk->off[i]);
    return *len ? pk->data + pk->off[i] : "";
}

GROWTH_API int growth_text_add(growth_text_index *x, const int64_t *ids, const char *const *texts, size_t n)
{
    static const char *who = "growth_text_add";
    GROWTH_CHECK_NULL(who, x);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, ids);
    GROWTH_CHECK_NULL(who, texts);
    if (n > SIZE_MAX / sizeof *texts) /* no array of pointers is that long */
        return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) return gerr(GROWTH_EINVAL, "%s: texts[%zu] is NULL", who, i);
    return tx_add(x, who, ids, get_cstr, texts, n);
}

GROWTH_API int growth_text_add_packed(growth_text_index *x, const int64_t *ids, const char *data,
                                      const uint64_t *offsets, size_t n)
{
    static const char *who = "growth_text_add_packed";
    GROWTH_CHECK_NULL(who, x);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, ids);
    GROWTH_CHECK_NULL(who, offsets);
    if (n >= SIZE_MAX / sizeof *offsets) /* offsets holds n + 1 entries */
        return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    if (!data && offsets[n] > offsets[0]) return gerr(GROWTH_EINVAL, "%s: data is NULL", who);
    /* No buffer reaches that far: data + offsets[n] would wrap around the address space. */
    if (offsets[n] > (uint64_t)PTRDIFF_MAX || (uintptr_t)data > UINTPTR_MAX - offsets[n])
        return gerr(GROWTH_EINVAL, "%s: offsets[%zu] = %llu is beyond any buffer", who, n,
                    (unsigned long long)offsets[n]);
    for (size_t i = 0; i < n; i++)
        if (offsets[i + 1] < offsets[i])
            return gerr(GROWTH_EINVAL, "%s: offsets decrease at entry %zu (%llu > %llu)", who, i,
                        (unsigned long long)offsets[i], (unsigned long long)offsets[i + 1]);
    tx_packed pk = {data, offsets};
    return tx_add(x, who, ids, get_packed, &pk, n);
}

/* ---- removing and compaction --------------------------------------------------------------- */

/* Drops the forward entries of dead documents in place (writer lock held). */
static void tx_compact_fwd(growth_text_index *x)
{
    uint64_t w = 0, prev = x->fwd_off[0];
    for (uint32_t d = 0; d < x->ndocs; d++) {
        uint64_t s = prev, e = x->fwd_off[d + 1];
        prev = e;
        x->fwd_off[d] = w;
        if (x->alive[d]) {
            memmove(x->fwd + w, x->fwd + s, (size_t)(e - s) * sizeof *x->fwd);
            w += e - s;
        }
    }
    x->fwd_off[x->ndocs] = w;
    x->nfwd = w;
    x->postings -= x->dead_postings;
    x->dead_postings = 0;
}

/* Drops postings and forward entries of dead documents in place (no allocation; writer lock
 * held). */
static void tx_compact(growth_text_index *x)
{
    if (!x->dead_postings) return;
    for (uint32_t t = 0; t < x->nterms; t++) {
        tx_term *tm = &x->terms[t];
        if (!tm->n) continue;
        tx_post_filter(tm, x->alive, x->doc_len, x->doc_id, tm->bytes, tm->blk, &tm->n, &tm->nblk,
                       &tm->nbytes);
        if (tm->n == 0)
            tx_post_free(tm);
        else
            tx_post_shrink(tm);
    }
    tx_compact_fwd(x);
}

/* Compaction that can be canceled: the live postings of every term are copied aside (no lock
 * but wlock: readers only read, no writer runs), with progress reports; the swap under the
 * writer lock follows the last report. */
static int tx_compact_aside(growth_text_index *x, const char *who)
{
    growth_progress_fn fn = x->progress;
    void *user = x->progress_user;
    if (!x->dead_postings) return tx_report(who, fn, user, "compact", 1.0);
    uint32_t nt = x->nterms;
    tx_term *np = calloc(nt ? nt : 1, sizeof *np); /* the compacted posting arrays */
    int rc = GROWTH_OK;
    if (!np) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto fail;
    }
    for (uint32_t t = 0; t < nt; t++) {
        const tx_term *tm = &x->terms[t];
        if (tm->n) {
            uint32_t w = 0;
            tx_rd r;
            tx_rd_init(&r, tm);
            while (tx_rd_next(&r)) w += x->alive[r.doc];
            if (w) {
                np[t].bytes_cap = tm->nbytes;
                np[t].blk_cap = (w + TX_BLOCK - 1) / TX_BLOCK;
                np[t].bytes = malloc((size_t)tm->nbytes);
                np[t].blk = malloc(np[t].blk_cap * sizeof *np[t].blk);
                if (!np[t].bytes || !np[t].blk) {
                    rc = gerr(GROWTH_ENOMEM, "%s: out of memory for the postings of term %u", who, t);
                    goto fail;
                }
                tx_post_filter(tm, x->alive, x->doc_len, x->doc_id, np[t].bytes, np[t].blk, &np[t].n,
                               &np[t].nblk, &np[t].nbytes);
                tx_post_shrink(&np[t]);
            }
        }
        if ((t + 1) % TX_REPORT_TERMS == 0 && t + 1 < nt &&
            (rc = tx_report(who, fn, user, "compact", (double)(t + 1) / (double)nt)))
            goto fail;
    }
    if ((rc = tx_report(who, fn, user, "compact", 1.0))) goto fail;
    pthread_rwlock_wrlock(&x->rw);
    for (uint32_t t = 0; t < nt; t++) {
        tx_term *tm = &x->terms[t];
        tx_post_free(tm);
        np[t].hash = tm->hash;
        np[t].df = tm->df;
        *tm = np[t];
    }
    tx_compact_fwd(x);
    pthread_rwlock_unlock(&x->rw);
    free(np);
    return GROWTH_OK;
fail:
    for (uint32_t t = 0; np && t < nt; t++) tx_post_free(&np[t]);
    free(np);
    return rc;
}

GROWTH_API int growth_text_remove(growth_text_index *x, const int64_t *ids, size_t n, size_t *out_removed)
{
    static const char *who = "growth_text_remove";
    if (out_removed) *out_removed = 0;
    GROWTH_CHECK_NULL(who, x);
    if (n) GROWTH_CHECK_NULL(who, ids);
    size_t removed = 0;
    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    for (size_t i = 0; i < n; i++) {
        uint32_t d = tx_live_doc(x, ids[i]); /* absent, or listed before: nothing to do */
        if (d == UINT32_MAX) continue;
        x->alive[d] = 0;
        x->live_docs--;
        x->live_len -= x->doc_len[d];
        for (uint64_t j = x->fwd_off[d]; j < x->fwd_off[d + 1]; j++)
            if (--x->terms[x->fwd[j]].df == 0) x->live_terms--;
        x->dead_postings += x->fwd_off[d + 1] - x->fwd_off[d];
        removed++;
    }
    if (x->dead_postings * 2 > x->postings) tx_compact(x);
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    if (out_removed) *out_removed = removed;
    return GROWTH_OK;
}

GROWTH_API int growth_text_compact(growth_text_index *x)
{
    static const char *who = "growth_text_compact";
    GROWTH_CHECK_NULL(who, x);
    int rc = GROWTH_OK;
    pthread_mutex_lock(&x->wlock);
    if (x->progress) {
        rc = tx_compact_aside(x, who);
    } else {
        pthread_rwlock_wrlock(&x->rw);
        tx_compact(x);
        pthread_rwlock_unlock(&x->rw);
    }
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

GROWTH_API int growth_text_stats_get(const growth_text_index *x, growth_text_stats *out)
{
    static const char *who = "growth_text_stats_get";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, out);
    growth_text_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    growth_text_index *xm = (growth_text_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    st.docs = x->live_docs;
    st.terms = x->live_terms;
    st.postings = x->postings;
    uint64_t pb = 0, pcap = 0;
    for (uint32_t t = 0; t < x->nterms; t++) {
        const tx_term *tm = &x->terms[t];
        pb += tm->nbytes + (uint64_t)tm->nblk * sizeof(tx_blk);
        pcap += tm->bytes_cap + (uint64_t)tm->blk_cap * sizeof(tx_blk);
    }
    st.posting_bytes = pb;
    st.memory_bytes = sizeof *x + (uint64_t)x->docs_cap * (sizeof *x->doc_id + sizeof *x->doc_len + 1) +
                      ((uint64_t)x->docs_cap + 1) * sizeof *x->fwd_off + x->fwd_cap * sizeof *x->fwd +
                      (uint64_t)x->imap.cap * (sizeof *x->imap.keys + sizeof *x->imap.vals) +
                      (uint64_t)x->terms_cap * sizeof *x->terms + x->tmap_cap * sizeof *x->tmap + pcap;
    pthread_rwlock_unlock(&xm->rw);
    return gstruct_out(who, "stats", out, &st, sizeof st, sizeof st);
}
