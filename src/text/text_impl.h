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

typedef struct {
    double k1, b;
    int64_t ngram;
    bool lowercase;
    int64_t max_memory; /* bytes the index may hold, 0 = no cap (checked by adds and loads) */
} tx_cfg;

extern const gcfg_opt tx_opts[];
extern const size_t tx_nopts;
#define TX_NOPTS tx_nopts

#define TX_MAX_DOCS    ((uint64_t)UINT32_MAX - 1)
#define TX_MAX_FILE    ((size_t)1 << 36)
#define TX_STACK_TERMS 64
#define TX_STACK_K     256

typedef struct {
    uint32_t doc, tf;
} tx_post;

typedef struct {
    uint64_t hash;
    uint32_t df;     /* live documents holding the term */
    uint32_t n, cap; /* stored postings (live and dead) */
    tx_post *p;
} tx_term;

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
