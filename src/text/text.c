/* Inverted text index with BM25 scoring (text.h).
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
#include <time.h>

#include "core.h"
#include "growth/text.h"
#include "idmap.h"
#include "topk.h"
#include "text_impl.h"
#include "sync.h"
#include "text_index.pb-c.h"

typedef struct {
    double k1, b;
    int64_t ngram;
    bool lowercase;
} tx_cfg;

static const gcfg_opt tx_opts[] = {
    {"k1", GCFG_DOUBLE, offsetof(tx_cfg, k1), "1.2", 0, 100, NULL, false},
    {"b", GCFG_DOUBLE, offsetof(tx_cfg, b), "0.75", 0, 1, NULL, false},
    {"ngram", GCFG_INT, offsetof(tx_cfg, ngram), "2", 1, 4, NULL, false},
    {"lowercase", GCFG_BOOL, offsetof(tx_cfg, lowercase), "true", 0, 0, NULL, false},
};
#define TX_NOPTS (sizeof tx_opts / sizeof tx_opts[0])

#define TX_MAX_DOCS ((uint64_t)UINT32_MAX - 1)
#define TX_MAX_FILE ((size_t)1 << 36)
#define TX_STACK_TERMS 64
#define TX_STACK_K 256

typedef struct { uint32_t doc, tf; } tx_post;

typedef struct {
    uint64_t hash;
    uint32_t df;      /* live documents holding the term */
    uint32_t n, cap;  /* stored postings (live and dead) */
    tx_post *p;
} tx_term;


struct growth_text_index {
    tx_cfg cfg;
    pthread_rwlock_t rw;
    pthread_mutex_t wlock;        /* serialises writers */
    growth_progress_fn progress;  /* set and read under wlock */
    void *progress_user;
    /* terms */
    tx_term *terms;
    uint32_t nterms, terms_cap;
    uint32_t *tmap; /* term number + 1; 0 = empty; tmap_cap a power of two */
    uint64_t tmap_cap;
    uint64_t live_terms;
    /* documents (numbers 0..ndocs-1, dead ones included) */
    int64_t *doc_id;
    uint32_t *doc_len;
    uint8_t *alive;
    uint64_t *fwd_off; /* ndocs + 1 offsets into fwd */
    uint32_t ndocs, docs_cap;
    uint32_t *fwd;
    uint64_t nfwd, fwd_cap;
    uint64_t live_docs, live_len, postings, dead_postings;
    /* external id -> latest document number (open addressing, never shrinks) */
    gidmap imap;
};

/* ---- tokenizer ----------------------------------------------------------------------------- */

/* Decodes one UTF-8 code point; UINT32_MAX for an invalid sequence. `end` bounds the read. */
static uint32_t utf8_decode(const unsigned char *s, const unsigned char *end, size_t *adv)
{
    uint32_t c = s[0];
    *adv = 1;
    if (c < 0x80) return c;
    size_t n;
    uint32_t min;
    if ((c & 0xe0) == 0xc0) { n = 2; c &= 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { n = 3; c &= 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { n = 4; c &= 0x07; min = 0x10000; }
    else return UINT32_MAX;
    if ((size_t)(end - s) < n) return UINT32_MAX;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return UINT32_MAX;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return UINT32_MAX;
    *adv = n;
    return c;
}

enum { TX_SEP, TX_WORD, TX_CJK };

static int tx_class(uint32_t c)
{
    if (c < 0x80) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return TX_WORD;
        return TX_SEP;
    }
    if (c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
        c == 0x2029 || c == 0x202f || c == 0x205f || (c >= 0x3000 && c <= 0x303f) ||
        (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) ||
        (c >= 0xff5b && c <= 0xff65) || c == 0xfeff)
        return TX_SEP;
    if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
        (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2ffff))
        return TX_CJK;
    return TX_WORD;
}

#define TX_TERM_SEED 0x746578742e746b31ULL /* "text.tk1" */

/* Term hash. The seed depends on the length: growth_hash64 folds the total length into the same
 * bits as the content of short tails, so strings of different lengths can collide
 * ("w1" / "w10", "w3" / "w32"); inputs of one length never do structurally. */
static inline uint64_t tx_term_hash(const unsigned char *p, size_t len)
{
    return growth_hash64(p, len, TX_TERM_SEED ^ gmix64((uint64_t)len + 1));
}

static int hv_push(tx_hvec *v, uint64_t h)
{
    if (v->n == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 64;
        uint64_t *p = v->heap ? realloc(v->v, ncap * sizeof *p) : malloc(ncap * sizeof *p);
        if (!p) return -1;
        if (!v->heap && v->n) memcpy(p, v->v, v->n * sizeof *p);
        v->v = p;
        v->cap = ncap;
        v->heap = true;
    }
    v->v[v->n++] = h;
    return 0;
}

void tx_hvec_free(tx_hvec *v)
{
    if (v->heap) free(v->v);
    v->v = NULL;
    v->n = v->cap = 0;
    v->heap = false;
}

/* Appends the tokens' hashes of text[0..len) to `out`. Returns 0; TX_TOK_UTF8 / TX_TOK_NUL with
 * *bad = byte offset; TX_TOK_NOMEM. */
int tx_tokenize(int ngram, bool lowercase, const char *text, size_t len, tx_hvec *out, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)text, *end = s + len, *p = s;
    unsigned char lbuf[256];
    unsigned char *word = lbuf;
    size_t wcap = sizeof lbuf;
    const unsigned char *wstart = NULL; /* current word */
    const unsigned char *cstart = NULL; /* current CJK run */
    const unsigned char *starts[4];     /* starts of the last `ngram` CJK characters */
    size_t ccount = 0;
    int rc = 0;
    for (;;) {
        uint32_t c = 0;
        size_t adv = 0;
        int cls = TX_SEP;
        if (p < end) {
            if (*p == 0) { *bad = (size_t)(p - s); rc = TX_TOK_NUL; goto done; }
            c = utf8_decode(p, end, &adv);
            if (c == UINT32_MAX) { *bad = (size_t)(p - s); rc = TX_TOK_UTF8; goto done; }
            cls = tx_class(c);
        }
        if (wstart && cls != TX_WORD) { /* a word ends */
            size_t wl = (size_t)(p - wstart);
            const unsigned char *src = wstart;
            if (lowercase) {
                if (wl > wcap) {
                    unsigned char *nw = word == lbuf ? malloc(wl) : realloc(word, wl);
                    if (!nw) { rc = TX_TOK_NOMEM; goto done; }
                    word = nw;
                    wcap = wl;
                }
                for (size_t i = 0; i < wl; i++) {
                    unsigned char ch = wstart[i];
                    word[i] = (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch + 32) : ch;
                }
                src = word;
            }
            if (hv_push(out, tx_term_hash(src, wl))) { rc = TX_TOK_NOMEM; goto done; }
            wstart = NULL;
        }
        if (cstart && cls != TX_CJK) { /* a CJK run ends */
            if (ccount < (size_t)ngram &&
                hv_push(out, tx_term_hash(cstart, (size_t)(p - cstart)))) {
                rc = TX_TOK_NOMEM;
                goto done;
            }
            cstart = NULL;
        }
        if (p >= end) break;
        if (cls == TX_WORD) {
            if (!wstart) wstart = p;
        } else if (cls == TX_CJK) {
            if (!cstart) { cstart = p; ccount = 0; }
            starts[ccount % 4] = p;
            ccount++;
            if (ccount >= (size_t)ngram) {
                const unsigned char *g = starts[(ccount - (size_t)ngram) % 4];
                if (hv_push(out, tx_term_hash(g, (size_t)(p + adv - g)))) {
                    rc = TX_TOK_NOMEM;
                    goto done;
                }
            }
        }
        p += adv;
    }
done:
    if (word != lbuf) free(word);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int tok_error(const char *who, int rc, const char *what, size_t i, size_t bad)
{
    if (rc == TX_TOK_NOMEM) return gerr(GROWTH_ENOMEM, "%s: out of memory while tokenising", who);
    if (rc == TX_TOK_NUL)
        return gerr(GROWTH_EINVAL, "%s: %s %zu holds a NUL byte at byte %zu", who, what, i, bad);
    return gerr(GROWTH_EINVAL, "%s: %s %zu is not valid UTF-8 at byte %zu", who, what, i, bad);
}

/* ---- hash tables --------------------------------------------------------------------------- */

static uint32_t term_find(const growth_text_index *x, uint64_t h)
{
    if (!x->tmap_cap) return UINT32_MAX;
    uint64_t mask = x->tmap_cap - 1;
    for (uint64_t i = gmix64(h) & mask;; i = (i + 1) & mask) {
        uint32_t s = x->tmap[i];
        if (!s) return UINT32_MAX;
        if (x->terms[s - 1].hash == h) return s - 1;
    }
}

static void term_insert_slot(uint32_t *map, uint64_t cap, const tx_term *terms, uint32_t t)
{
    uint64_t mask = cap - 1;
    uint64_t i = gmix64(terms[t].hash) & mask;
    while (map[i]) i = (i + 1) & mask;
    map[i] = t + 1;
}

/* Makes room for `need` terms in the term array and map (rehashing: invisible to lookups). */
static int term_reserve(growth_text_index *x, uint64_t need, const char *who)
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
        for (uint32_t t = 0; t < x->nterms; t++) term_insert_slot(m, nc, x->terms, t);
        free(x->tmap);
        x->tmap = m;
        x->tmap_cap = nc;
    }
    return GROWTH_OK;
}

/* Document number of `id` (live or dead), or UINT32_MAX. */
static uint32_t live_doc(const growth_text_index *x, int64_t id)
{
    uint32_t d = gidmap_get(&x->imap, (uint64_t)id);
    return (d != GIDMAP_NONE && x->alive[d]) ? d : UINT32_MAX;
}

static int id_reserve(growth_text_index *x, uint64_t need, const char *who)
{
    return gidmap_reserve(who, "the id table", &x->imap, (size_t)need, NULL, NULL);
}

/* ---- creation ------------------------------------------------------------------------------ */

static int tx_new(growth_text_index **out, const tx_cfg *cfg, const char *who)
{
    growth_text_index *x = calloc(1, sizeof *x);
    if (!x) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    x->cfg = *cfg;
    x->fwd_off = calloc(1, sizeof *x->fwd_off);
    if (!x->fwd_off) { free(x); return gerr(GROWTH_ENOMEM, "%s: out of memory", who); }
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
    for (uint32_t t = 0; t < x->nterms; t++) free(x->terms[t].p);
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

typedef struct { char k1[GCFG_STRING_MAX], b[GCFG_STRING_MAX]; } tx_set_cfg;

static const gcfg_opt tx_set_opts[] = {
    {"k1", GCFG_STRING, offsetof(tx_set_cfg, k1), "", 0, 0, NULL, false},
    {"b", GCFG_STRING, offsetof(tx_set_cfg, b), "", 0, 0, NULL, false},
};

GROWTH_API int growth_text_set_config(growth_text_index *x, const char *config)
{
    static const char *who = "growth_text_set_config";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, config);
    tx_set_cfg s;
    int rc = gcfg_parse(who, tx_set_opts, 2, config, &s, sizeof s);
    if (rc) return rc;
    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    char full[4 * GCFG_STRING_MAX];
    char k1[64], b[64];
    gsnprintf(k1, sizeof k1, "%.17g", x->cfg.k1);
    gsnprintf(b, sizeof b, "%.17g", x->cfg.b);
    snprintf(full, sizeof full, "k1='%s' b='%s' ngram=%lld lowercase=%s", s.k1[0] ? s.k1 : k1,
             s.b[0] ? s.b : b, (long long)x->cfg.ngram, x->cfg.lowercase ? "true" : "false");
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

#define TX_REPORT_DOCS 1024
#define TX_REPORT_TERMS 4096

static int batch_build(const char *who, int ngram, bool lower, tx_text_fn get, const void *src,
                       size_t n, tx_batch *b, growth_progress_fn fn, void *user)
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
    if (!b->off || !b->len || !b->h || !b->tf) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto fail; }
    b->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0, bad = 0;
        const char *t = get(src, i, &len);
        v.n = 0;
        int trc = tx_tokenize(ngram, lower, t, len, &v, &bad);
        if (trc) { rc = tok_error(who, trc, "text", i, bad); goto fail; }
        if (v.n > UINT32_MAX) { rc = gerr(GROWTH_EINVAL, "%s: text %zu has more than 2^32 - 1 tokens", who, i); goto fail; }
        b->len[i] = (uint32_t)v.n;
        qsort(v.v, v.n, sizeof *v.v, cmp_u64);
        if (b->npairs + v.n > cap) {
            while (cap < b->npairs + v.n) cap *= 2;
            uint64_t *nh = realloc(b->h, cap * sizeof *nh);
            if (nh) b->h = nh;
            uint32_t *nt = realloc(b->tf, cap * sizeof *nt);
            if (nt) b->tf = nt;
            if (!nh || !nt) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto fail; }
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
    tx_post *fresh; /* postings array for a new term (allocated before commit) */
    bool used;
} tx_bent;

static tx_bent *bmap_get(tx_bent *m, uint64_t cap, uint64_t h)
{
    uint64_t mask = cap - 1;
    uint64_t i = gmix64(h) & mask;
    while (m[i].used && m[i].hash != h) i = (i + 1) & mask;
    return &m[i];
}

static int grow_docs(growth_text_index *x, uint64_t need, const char *who)
{
    if (need <= x->docs_cap) return GROWTH_OK;
    uint64_t nc = x->docs_cap ? x->docs_cap : 1024;
    while (nc < need) nc += nc / 2;
    if (nc > TX_MAX_DOCS) nc = TX_MAX_DOCS;
#define TX_GROW(f, cnt) do { void *p_ = realloc(x->f, (cnt) * sizeof *x->f); if (!p_) goto nomem; x->f = p_; } while (0)
    TX_GROW(doc_id, nc);
    TX_GROW(doc_len, nc);
    TX_GROW(alive, nc);
    TX_GROW(fwd_off, nc + 1);
    x->docs_cap = (uint32_t)nc;
    return GROWTH_OK;
nomem:
    return gerr(GROWTH_ENOMEM, "%s: out of memory for %llu documents", who, (unsigned long long)nc);
}

static int tx_add(growth_text_index *x, const char *who, const int64_t *ids, tx_text_fn get,
                  const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0) return gerr(GROWTH_EINVAL, "%s: ids[%zu] = %lld is negative", who, i, (long long)ids[i]);
    if (n == 0) return GROWTH_OK;
    int64_t *sorted = malloc(n * sizeof *sorted);
    if (!sorted) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    memcpy(sorted, ids, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_i64);
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
    if (!bm) { batch_free(&b); return gerr(GROWTH_ENOMEM, "%s: out of memory", who); }

    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    uint64_t n_new = 0;
    for (size_t i = 0; i < n; i++)
        if (live_doc(x, ids[i]) != UINT32_MAX) {
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
            e->term = term_find(x, b.h[j]);
            if (e->term == UINT32_MAX) n_new++;
        }
        e->count++;
    }
    /* Reserve everything before the first visible change. */
    if ((rc = grow_docs(x, (uint64_t)x->ndocs + n, who))) goto out;
    if ((rc = id_reserve(x, x->imap.count + n, who))) goto out;
    if ((rc = term_reserve(x, (uint64_t)x->nterms + n_new, who))) goto out;
    if (x->nfwd + b.npairs > x->fwd_cap) {
        uint64_t nc = x->fwd_cap ? x->fwd_cap : 4096;
        while (nc < x->nfwd + b.npairs) nc += nc / 2;
        uint32_t *f = realloc(x->fwd, nc * sizeof *f);
        if (!f) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory for the forward index", who); goto out; }
        x->fwd = f;
        x->fwd_cap = nc;
    }
    for (uint64_t i = 0; i < bcap; i++) {
        tx_bent *e = &bm[i];
        if (!e->used) continue;
        if (e->term != UINT32_MAX) {
            tx_term *t = &x->terms[e->term];
            uint64_t need = (uint64_t)t->n + e->count;
            if (need > t->cap) {
                uint64_t nc = (uint64_t)t->cap + t->cap / 2;
                if (nc < need) nc = need;
                if (nc > UINT32_MAX) nc = UINT32_MAX;
                tx_post *p = realloc(t->p, nc * sizeof *p);
                if (!p) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory for postings", who); goto out; }
                t->p = p;
                t->cap = (uint32_t)nc;
            }
        } else {
            e->fresh = malloc(e->count * sizeof *e->fresh);
            if (!e->fresh) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory for postings", who); goto out; }
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
                t->hash = e->hash;
                t->df = 0;
                t->n = 0;
                t->cap = e->count;
                t->p = e->fresh;
                e->fresh = NULL;
                term_insert_slot(x->tmap, x->tmap_cap, x->terms, tn);
                e->term = tn;
            }
            tx_term *t = &x->terms[e->term];
            t->p[t->n].doc = d;
            t->p[t->n].tf = b.tf[j];
            t->n++;
            if (t->df++ == 0) x->live_terms++;
            x->fwd[x->nfwd++] = e->term;
        }
        x->fwd_off[d + 1] = x->nfwd;
        x->live_docs++;
        x->live_len += b.len[i];
    }
    x->postings += b.npairs;
out:
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    for (uint64_t i = 0; i < bcap; i++) free(bm[i].fresh);
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

typedef struct { const char *data; const uint64_t *off; } tx_packed;

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
        uint32_t w = 0;
        for (uint32_t i = 0; i < tm->n; i++)
            if (x->alive[tm->p[i].doc]) tm->p[w++] = tm->p[i];
        tm->n = w;
        if (w == 0) {
            free(tm->p);
            tm->p = NULL;
            tm->cap = 0;
        } else if (w < tm->cap / 2) {
            tx_post *p = realloc(tm->p, w * sizeof *p);
            if (p) { tm->p = p; tm->cap = w; }
        }
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
    tx_post **np = calloc(nt ? nt : 1, sizeof *np);
    uint32_t *nn = malloc((nt ? nt : 1) * sizeof *nn);
    int rc = GROWTH_OK;
    if (!np || !nn) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto fail; }
    for (uint32_t t = 0; t < nt; t++) {
        const tx_term *tm = &x->terms[t];
        uint32_t w = 0;
        for (uint32_t i = 0; i < tm->n; i++) w += x->alive[tm->p[i].doc];
        nn[t] = w;
        if (w) {
            if (!(np[t] = malloc(w * sizeof **np))) {
                rc = gerr(GROWTH_ENOMEM, "%s: out of memory for the postings of term %u", who, t);
                goto fail;
            }
            w = 0;
            for (uint32_t i = 0; i < tm->n; i++)
                if (x->alive[tm->p[i].doc]) np[t][w++] = tm->p[i];
        }
        if ((t + 1) % TX_REPORT_TERMS == 0 && t + 1 < nt &&
            (rc = tx_report(who, fn, user, "compact", (double)(t + 1) / (double)nt)))
            goto fail;
    }
    if ((rc = tx_report(who, fn, user, "compact", 1.0))) goto fail;
    pthread_rwlock_wrlock(&x->rw);
    for (uint32_t t = 0; t < nt; t++) {
        tx_term *tm = &x->terms[t];
        free(tm->p);
        tm->p = np[t];
        tm->n = tm->cap = nn[t];
    }
    tx_compact_fwd(x);
    pthread_rwlock_unlock(&x->rw);
    free(np);
    free(nn);
    return GROWTH_OK;
fail:
    for (uint32_t t = 0; np && t < nt; t++) free(np[t]);
    free(np);
    free(nn);
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
        uint32_t d = live_doc(x, ids[i]); /* absent, or listed before: nothing to do */
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
    pthread_rwlock_unlock(&xm->rw);
    return gstruct_out(who, "stats", out, &st, sizeof st, sizeof st);
}

/* ---- searching ----------------------------------------------------------------------------- */

static bool filter_pass(const growth_id_filter *f, int64_t id)
{
    if (!f) return true;
    if (f->allow) {
        size_t lo = 0, hi = f->n_allow;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (f->allow[mid] < id) lo = mid + 1;
            else hi = mid;
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

typedef struct { double s; int64_t id; } tx_hit;

/* a ranks below b: lower score, or equal score and larger id (a total order: ids are unique). */
#define TX_HIT_WORSE(ctx, a, b) ((a).s < (b).s || ((a).s == (b).s && (a).id > (b).id))
GHEAP_DEFINE(tx_heap, tx_hit, const void *, TX_HIT_WORSE)

/* Distinct query term hashes (sorted); EINVAL for a query without tokens. */
static int query_terms(const char *who, const growth_text_index *x, const char *query, tx_hvec *v)
{
    size_t bad = 0;
    int rc = tx_tokenize((int)x->cfg.ngram, x->cfg.lowercase, query, strlen(query), v, &bad);
    if (rc) return tok_error(who, rc, "query", 0, bad);
    if (v->n == 0) return gerr(GROWTH_EINVAL, "%s: the query has no terms (empty or only separators)", who);
    qsort(v->v, v->n, sizeof *v->v, cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < v->n; i++)
        if (!w || v->v[i] != v->v[w - 1]) v->v[w++] = v->v[i];
    v->n = w;
    return GROWTH_OK;
}

static inline double bm25_idf(double N, double df) { return log(1.0 + (N - df + 0.5) / (df + 0.5)); }

GROWTH_API int growth_text_search(const growth_text_index *x, const char *query, size_t k,
                                  const growth_id_filter *filter, int64_t *ids, float *scores,
                                  size_t cap, size_t *out_n)
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
    if (v.n > TX_STACK_TERMS && !(cur = malloc(v.n * sizeof *cur))) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto out; }
    if (k > TX_STACK_K) {
        size_t hk = k < x->live_docs ? k : (size_t)x->live_docs;
        if (hk > TX_STACK_K && !(heap = malloc(hk * sizeof *heap))) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto out; }
    }
    const double N = (double)x->live_docs;
    const double k1 = x->cfg.k1, bb = x->cfg.b;
    const double avgdl = x->live_docs ? (double)x->live_len / N : 1.0;
    const double kb0 = k1 * (1.0 - bb), kb1 = avgdl > 0 ? k1 * bb / avgdl : 0.0;
    size_t nc = 0;
    for (size_t i = 0; i < v.n; i++) {
        uint32_t t = term_find(x, v.v[i]);
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

GROWTH_API int growth_text_score(const growth_text_index *x, const char *query, const int64_t *ids,
                                 size_t n, float *out, size_t cap)
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
        if (live_doc(x, ids[i]) == UINT32_MAX) {
            rc = gerr(GROWTH_ENOTFOUND, "%s: id %lld is not in the index", who, (long long)ids[i]);
            goto out;
        }
    const double N = (double)x->live_docs;
    const double k1 = x->cfg.k1, bb = x->cfg.b;
    const double avgdl = x->live_docs ? (double)x->live_len / N : 1.0;
    for (size_t i = 0; i < n; i++) {
        uint32_t d = live_doc(x, ids[i]);
        const double K = k1 * (1.0 - bb) + (avgdl > 0 ? k1 * bb * (double)x->doc_len[d] / avgdl : 0.0);
        double s = 0.0;
        for (size_t q = 0; q < v.n; q++) {
            uint32_t t = term_find(x, v.v[q]);
            if (t == UINT32_MAX || x->terms[t].df == 0) continue;
            const tx_term *tm = &x->terms[t];
            uint32_t lo = 0, hi = tm->n;
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (tm->p[mid].doc < d) lo = mid + 1;
                else hi = mid;
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

/* ---- persistence --------------------------------------------------------------------------- */

/* Snapshot under the read lock (searches go on; writers wait). */
static int tx_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    const growth_text_index *x = model;
    pthread_rwlock_rdlock(&((growth_text_index *)x)->rw);
    int rc = GROWTH_OK;
    uint32_t *remap = malloc(((size_t)x->ndocs + 1) * sizeof *remap);
    int64_t *dids = malloc(((size_t)x->live_docs + 1) * sizeof *dids);
    uint64_t *th = malloc(((size_t)x->live_terms + 1) * sizeof *th);
    uint64_t *tp = malloc(((size_t)x->live_terms + 1) * sizeof *tp);
    uint64_t live_post = x->postings - x->dead_postings;
    uint32_t *pd = malloc(((size_t)live_post + 1) * sizeof *pd);
    uint32_t *pt = malloc(((size_t)live_post + 1) * sizeof *pt);
    char *cfgbuf = NULL;
    if (!remap || !dids || !th || !tp || !pd || !pt) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    uint32_t nd = 0;
    for (uint32_t d = 0; d < x->ndocs; d++) {
        remap[d] = nd;
        if (x->alive[d]) dids[nd++] = x->doc_id[d];
    }
    size_t nt = 0, np = 0;
    for (uint32_t t = 0; t < x->nterms; t++) {
        const tx_term *tm = &x->terms[t];
        if (!tm->df) continue;
        th[nt] = tm->hash;
        size_t before = np;
        for (uint32_t i = 0; i < tm->n; i++)
            if (x->alive[tm->p[i].doc]) {
                pd[np] = remap[tm->p[i].doc];
                pt[np] = tm->p[i].tf;
                np++;
            }
        tp[nt++] = np - before;
    }
    if (!(cfgbuf = gcfg_format_alloc(tx_opts, TX_NOPTS, &x->cfg))) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__TextIndex msg = GROWTH__TEXT_INDEX__INIT;
    msg.meta = &meta;
    msg.n_doc_ids = nd;
    msg.doc_ids = dids;
    msg.n_term_hash = nt;
    msg.term_hash = th;
    msg.n_term_postings = nt;
    msg.term_postings = tp;
    msg.n_post_doc = np;
    msg.post_doc = pd;
    msg.n_post_tf = np;
    msg.post_tf = pt;
    rc = genv_pack(who, GROWTH_KIND_TEXT_INDEX, &msg.base, out, out_len);
done:
    pthread_rwlock_unlock(&((growth_text_index *)x)->rw);
    free(cfgbuf);
    free(remap);
    free(dids);
    free(th);
    free(tp);
    free(pd);
    free(pt);
    return rc;
}

GROWTH_API int growth_text_serialize(const growth_text_index *x, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_text_serialize", x, tx_pack, out_buf, out_len);
}

GROWTH_API int growth_text_save(const growth_text_index *x, const char *path)
{
    return gmodel_save("growth_text_save", x, path, tx_pack);
}

static int tx_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_text_index **out = outp;
    Growth__TextIndex *msg = growth__text_index__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gerr(GROWTH_EFORMAT, "%s: text index payload does not decode", who);
    growth_text_index *x = NULL;
    int64_t *sorted = NULL;
    int rc = GROWTH_OK;
    tx_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!msg->meta || !msg->meta->config) { rc = gerr(GROWTH_EFORMAT, "%s: index has no configuration", who); goto done; }
    if (gcfg_parse(who, tx_opts, TX_NOPTS, msg->meta->config, &cfg, sizeof cfg)) {
        rc = gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, growth_last_error());
        goto done;
    }
    const size_t nd = msg->n_doc_ids, nt = msg->n_term_hash, np = msg->n_post_doc;
    if (nd > TX_MAX_DOCS || nt > UINT32_MAX - 1) { rc = gerr(GROWTH_EFORMAT, "%s: too many documents or terms", who); goto done; }
    if (msg->n_term_postings != nt || msg->n_post_tf != np) {
        rc = gerr(GROWTH_EFORMAT, "%s: %zu terms with %zu posting counts, %zu posting documents with %zu tfs",
                  who, nt, msg->n_term_postings, np, msg->n_post_tf);
        goto done;
    }
    uint64_t sum = 0;
    for (size_t t = 0; t < nt; t++) {
        if (msg->term_postings[t] == 0 || msg->term_postings[t] > nd) { rc = gerr(GROWTH_EFORMAT, "%s: term %zu has %llu postings", who, t, (unsigned long long)msg->term_postings[t]); goto done; }
        sum += msg->term_postings[t];
    }
    if (sum != np) { rc = gerr(GROWTH_EFORMAT, "%s: posting counts add up to %llu, not %zu", who, (unsigned long long)sum, np); goto done; }
    sorted = malloc((nd + 1) * sizeof *sorted);
    if (!sorted) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    if (nd) memcpy(sorted, msg->doc_ids, nd * sizeof *sorted);
    qsort(sorted, nd, sizeof *sorted, cmp_i64);
    for (size_t i = 0; i < nd; i++)
        if (sorted[i] < 0 || (i && sorted[i] == sorted[i - 1])) { rc = gerr(GROWTH_EFORMAT, "%s: document ids are negative or repeated", who); goto done; }
    if ((rc = tx_new(&x, &cfg, who))) goto done;
    if ((rc = grow_docs(x, nd, who)) || (rc = id_reserve(x, nd, who)) || (rc = term_reserve(x, nt, who))) goto done;
    x->fwd = malloc((np + 1) * sizeof *x->fwd);
    if (!x->fwd) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    x->fwd_cap = np + 1;
    /* Documents: lengths and forward-list sizes from the postings. */
    memset(x->fwd_off, 0, (nd + 1) * sizeof *x->fwd_off);
    uint64_t *dl = calloc(nd + 1, sizeof *dl);
    if (!dl) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    size_t j = 0;
    for (size_t t = 0; t < nt; t++) {
        for (uint64_t i = 0; i < msg->term_postings[t]; i++, j++) {
            uint32_t d = msg->post_doc[j], tf = msg->post_tf[j];
            if (d >= nd || tf == 0 || (i && d <= msg->post_doc[j - 1])) {
                free(dl);
                rc = gerr(GROWTH_EFORMAT, "%s: posting %zu (document %u, tf %u) is out of range or order", who, j, d, tf);
                goto done;
            }
            dl[d] += tf;
            x->fwd_off[d + 1]++;
        }
    }
    for (size_t d = 0; d < nd; d++) {
        if (dl[d] > UINT32_MAX) { free(dl); rc = gerr(GROWTH_EFORMAT, "%s: document %zu is too long", who, d); goto done; }
        x->doc_id[d] = msg->doc_ids[d];
        x->doc_len[d] = (uint32_t)dl[d];
        x->alive[d] = 1;
        x->fwd_off[d + 1] += x->fwd_off[d];
        x->live_len += dl[d];
        gidmap_put(&x->imap, (uint64_t)msg->doc_ids[d], (uint32_t)d);
    }
    free(dl);
    x->ndocs = (uint32_t)nd;
    x->live_docs = nd;
    j = 0;
    for (size_t t = 0; t < nt; t++) {
        if (term_find(x, msg->term_hash[t]) != UINT32_MAX) { rc = gerr(GROWTH_EFORMAT, "%s: term %zu is repeated", who, t); goto done; }
        uint32_t cnt = (uint32_t)msg->term_postings[t];
        tx_term *tm = &x->terms[x->nterms];
        tm->hash = msg->term_hash[t];
        tm->p = malloc(cnt * sizeof *tm->p);
        if (!tm->p) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory for postings", who); goto done; }
        tm->n = tm->cap = tm->df = cnt;
        for (uint32_t i = 0; i < cnt; i++, j++) {
            uint32_t d = msg->post_doc[j];
            tm->p[i].doc = d;
            tm->p[i].tf = msg->post_tf[j];
        }
        term_insert_slot(x->tmap, x->tmap_cap, x->terms, x->nterms);
        x->nterms++;
        x->live_terms++;
    }
    /* Forward lists: fill per document through a cursor copy of the offsets. */
    uint64_t *pos = malloc((nd + 1) * sizeof *pos);
    if (!pos) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who); goto done; }
    memcpy(pos, x->fwd_off, (nd + 1) * sizeof *pos);
    for (uint32_t t = 0; t < x->nterms; t++)
        for (uint32_t i = 0; i < x->terms[t].n; i++) x->fwd[pos[x->terms[t].p[i].doc]++] = t;
    free(pos);
    x->nfwd = np;
    x->postings = np;
done:
    free(sorted);
    growth__text_index__free_unpacked(msg, &gpb_allocator);
    if (rc) growth_text_free(x);
    else *out = x;
    return rc;
}

GROWTH_API int growth_text_deserialize(growth_text_index **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_text_deserialize", buf, len, GROWTH_KIND_TEXT_INDEX, tx_from_payload, out);
}

GROWTH_API int growth_text_load(growth_text_index **out, const char *path)
{
    return gmodel_load("growth_text_load", path, TX_MAX_FILE, GROWTH_KIND_TEXT_INDEX, tx_from_payload, out);
}
