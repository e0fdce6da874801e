/* Text module internals shared by text.c (the index), tokenizer.c, search.c and persist.c
 * (src/text only). */
#ifndef GROWTH_TEXT_IMPL_H
#define GROWTH_TEXT_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "growth/text.h"
#include "idmap.h"

/* ---- the tokenizer (tokenizer.c) ---------------------------------------------------------- */

/* A growable vector of term hashes; may start on a caller's stack buffer (heap = false). */
typedef struct {
    uint64_t *v;
    size_t n, cap;
    bool heap;
} tx_hvec;

void tx_hvec_free(tx_hvec *v);

enum { TX_TOK_UTF8 = 1, TX_TOK_NUL = 2, TX_TOK_NOMEM = 3 };

/* Appends the term hashes of text[0..len) (see text.h for the rules) to `out`. Returns 0, or
 * TX_TOK_UTF8 / TX_TOK_NUL with *bad = byte offset, or TX_TOK_NOMEM. */
int tx_tokenize(int ngram, bool lowercase, const char *text, size_t len, tx_hvec *out, size_t *bad);

int tx_cmp_u64(const void *a, const void *b);
int tx_cmp_i64(const void *a, const void *b);
/* The message of a tokenizer failure (rc from tx_tokenize) for text `i` ("text") or the query. */
int tx_tok_error(const char *who, int rc, const char *what, size_t i, size_t bad);

/* ---- the index (text.c) -------------------------------------------------------------------- */

enum { TX_SEARCH_WAND = 0, TX_SEARCH_EXHAUSTIVE = 1 };

typedef struct {
    double k1, b;
    int64_t ngram;
    bool lowercase;
    int search;         /* TX_SEARCH_WAND (block-max WAND) or TX_SEARCH_EXHAUSTIVE (every posting) */
    int64_t max_memory; /* bytes the index may hold, 0 = no cap (checked by adds and loads) */
} tx_cfg;

extern const gcfg_opt tx_opts[];
extern const size_t tx_nopts;
#define TX_NOPTS tx_nopts

#define TX_MAX_DOCS    ((uint64_t)UINT32_MAX - 1)
#define TX_MAX_FILE    ((size_t)1 << 36)
#define TX_STACK_TERMS 64
#define TX_STACK_K     256

/* Posting lists. A term's postings (document number ascending, tf) are one stream of varints:
 * v = (doc - previous doc) * 2 + (tf == 1), then tf itself when tf > 1 (the first posting's
 * previous doc is 0). The stream is cut into blocks of TX_BLOCK postings (the last one may be
 * shorter); per block: the byte offset where it starts, its last document, its smallest external id,
 * and a few (tf, length) "impacts" dominating its postings, which bound the BM25 contribution of
 * the term to any document of the block (the contribution grows with tf and falls with the
 * length) whatever N, df, avgdl, k1 and b are at search time. Appending keeps both valid; removals leave them as valid (looser) bounds;
 * compaction rewrites stream and blocks in place (a merged delta never takes more bytes than the
 * postings it replaces). */
#define TX_BLOCK     128
#define TX_POST_MAXB 10 /* bytes one posting may take: a 33-bit and a 32-bit varint */

#define TX_IMPACTS 4          /* (tf, length) pairs a block keeps */
#define TX_TF_INF  UINT16_MAX /* a stored tf this large stands for any tf >= it */

typedef struct {
    uint64_t off;   /* byte offset of the block's first posting */
    int64_t min_id; /* smallest external id in it (ties at the k-th score are broken by id) */
    uint32_t last;  /* its last document number */
    uint16_t nimp;  /* impacts in use */
    uint16_t pad;
    /* Impacts: (tf, length) pairs such that every posting of the block has a tf <= and a
     * document length >= those of one pair (a Pareto front of the postings, tf ascending; when
     * more than TX_IMPACTS points, the two of largest tf merge into (larger tf, smaller
     * length)). Lengths above 65535 are kept as 65535, tfs of TX_TF_INF and more as TX_TF_INF. */
    uint16_t tf[TX_IMPACTS], dl[TX_IMPACTS];
} tx_blk;

/* Opens block b (no impacts) / adds a posting's (tf, length) to its impacts. */
void tx_blk_open(tx_blk *b, uint64_t off, int64_t id);
void tx_blk_add(tx_blk *b, uint32_t tf, uint32_t dl, int64_t id);

typedef struct {
    uint64_t hash;
    uint32_t df; /* live documents holding the term */
    uint32_t n;  /* stored postings (live and dead) */
    uint32_t nblk, blk_cap;
    uint64_t nbytes, bytes_cap;
    tx_blk *blk;
    uint8_t *bytes;
} tx_term;

/* Sequential reader of a posting stream. */
typedef struct {
    const uint8_t *p;
    uint32_t i, n; /* postings read, stored */
    uint32_t doc, tf;
} tx_rd;

static inline uint64_t tx_varint_get(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t v = *p++;
    if (v >= 0x80) {
        v &= 0x7f;
        unsigned sh = 7;
        uint64_t c;
        do {
            c = *p++;
            v |= (c & 0x7f) << sh;
            sh += 7;
        } while (c >= 0x80);
    }
    *pp = p;
    return v;
}

static inline uint8_t *tx_varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Decodes the next posting after `*doc` at *pp. */
static inline void tx_post_get(const uint8_t **pp, uint32_t *doc, uint32_t *tf)
{
    uint64_t v = tx_varint_get(pp);
    *doc += (uint32_t)(v >> 1);
    *tf = (v & 1) ? 1u : (uint32_t)tx_varint_get(pp);
}

static inline void tx_rd_init(tx_rd *r, const tx_term *t)
{
    r->p = t->bytes;
    r->i = 0;
    r->n = t->n;
    r->doc = 0;
    r->tf = 0;
}

/* Next posting into r->doc / r->tf; false at the end. */
static inline bool tx_rd_next(tx_rd *r)
{
    if (r->i >= r->n) return false;
    tx_post_get(&r->p, &r->doc, &r->tf);
    r->i++;
    return true;
}

/* Room to append `add` postings (bytes and blocks, worst case); -1 when out of memory
 * (nothing changed then). */
int tx_post_reserve(tx_term *t, uint64_t add);
/* Appends (doc, tf) of a document of length dl and id `id`; doc above every stored one; room
 * reserved. */
void tx_post_push(tx_term *t, uint32_t doc, uint32_t tf, uint32_t dl, int64_t id);
/* Gives back spare capacity beyond a quarter of what is used (a failed realloc keeps it). */
void tx_post_shrink(tx_term *t);
void tx_post_free(tx_term *t);
/* Writes the postings of `src` whose documents are alive into dbytes / dblk (which may be
 * src's own arrays: the writer never overtakes the reader; dbytes needs src->nbytes bytes at most,
 * dblk the blocks of the live postings) and sets *n, *nblk, *nbytes. */
void tx_post_filter(const tx_term *src, const uint8_t *alive, const uint32_t *doc_len, const int64_t *doc_id,
                    uint8_t *dbytes, tx_blk *dblk, uint32_t *n, uint32_t *nblk, uint64_t *nbytes);

struct growth_text_index {
    tx_cfg cfg;
    pthread_rwlock_t rw;
    pthread_mutex_t wlock;       /* serialises writers */
    growth_progress_fn progress; /* set and read under wlock */
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

/* Term number of hash h, or UINT32_MAX. */
static inline uint32_t tx_term_find(const growth_text_index *x, uint64_t h)
{
    if (!x->tmap_cap) return UINT32_MAX;
    uint64_t mask = x->tmap_cap - 1;
    for (uint64_t i = gmix64(h) & mask;; i = (i + 1) & mask) {
        uint32_t s = x->tmap[i];
        if (!s) return UINT32_MAX;
        if (x->terms[s - 1].hash == h) return s - 1;
    }
}

/* Document number of a live id, or UINT32_MAX. */
static inline uint32_t tx_live_doc(const growth_text_index *x, int64_t id)
{
    uint32_t d = gidmap_get(&x->imap, (uint64_t)id);
    return (d != GIDMAP_NONE && x->alive[d]) ? d : UINT32_MAX;
}

int tx_new(growth_text_index **out, const tx_cfg *cfg, const char *who);
/* Bytes an index of `docs` documents (numbers ever given, `ids` entries in the id table),
 * `terms` terms and `postings` stored postings holds (checked against max_memory). */
double tx_bytes(double docs, double ids, double terms, double postings);
/* Capacity for `need` documents / ids / terms (all or nothing: call before the first change). */
int tx_grow_docs(growth_text_index *x, uint64_t need, const char *who);
int tx_id_reserve(growth_text_index *x, uint64_t need, const char *who);
int tx_term_reserve(growth_text_index *x, uint64_t need, const char *who);
void tx_term_insert_slot(uint32_t *map, uint64_t cap, const tx_term *terms, uint32_t t);

#endif
