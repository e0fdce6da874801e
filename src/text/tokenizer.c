/* Text tokenizer: UTF-8 decoding, character classes, lowercasing, word n-grams hashed to
 * 64-bit term hashes (rules in text.h); the sort helpers and tokenizer messages of the module. */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "text_impl.h"

enum { TX_SEP, TX_WORD, TX_CJK };

static int tx_class(uint32_t c)
{
    if (c < 0x80) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return TX_WORD;
        return TX_SEP;
    }
    if (c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
        c == 0x202f || c == 0x205f || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xff0f) ||
        (c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65) ||
        c == 0xfeff)
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
            if (*p == 0) {
                *bad = (size_t)(p - s);
                rc = TX_TOK_NUL;
                goto done;
            }
            c = gutf8_decode(p, (size_t)(end - p), &adv);
            if (c == UINT32_MAX) {
                *bad = (size_t)(p - s);
                rc = TX_TOK_UTF8;
                goto done;
            }
            cls = tx_class(c);
        }
        if (wstart && cls != TX_WORD) { /* a word ends */
            size_t wl = (size_t)(p - wstart);
            const unsigned char *src = wstart;
            if (lowercase) {
                if (wl > wcap) {
                    unsigned char *nw = word == lbuf ? malloc(wl) : realloc(word, wl);
                    if (!nw) {
                        rc = TX_TOK_NOMEM;
                        goto done;
                    }
                    word = nw;
                    wcap = wl;
                }
                for (size_t i = 0; i < wl; i++) {
                    unsigned char ch = wstart[i];
                    word[i] = (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch + 32) : ch;
                }
                src = word;
            }
            if (hv_push(out, tx_term_hash(src, wl))) {
                rc = TX_TOK_NOMEM;
                goto done;
            }
            wstart = NULL;
        }
        if (cstart && cls != TX_CJK) { /* a CJK run ends */
            if (ccount < (size_t)ngram && hv_push(out, tx_term_hash(cstart, (size_t)(p - cstart)))) {
                rc = TX_TOK_NOMEM;
                goto done;
            }
            cstart = NULL;
        }
        if (p >= end) break;
        if (cls == TX_WORD) {
            if (!wstart) wstart = p;
        } else if (cls == TX_CJK) {
            if (!cstart) {
                cstart = p;
                ccount = 0;
            }
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

int tx_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int tx_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int tx_tok_error(const char *who, int rc, const char *what, size_t i, size_t bad)
{
    if (rc == TX_TOK_NOMEM) return gerr(GROWTH_ENOMEM, "%s: out of memory while tokenising", who);
    if (rc == TX_TOK_NUL)
        return gerr(GROWTH_EINVAL, "%s: %s %zu holds a NUL byte at byte %zu", who, what, i, bad);
    return gerr(GROWTH_EINVAL, "%s: %s %zu is not valid UTF-8 at byte %zu", who, what, i, bad);
}
