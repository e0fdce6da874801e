/* Text module internals (src/text only). */
#ifndef GROWTH_TEXT_IMPL_H
#define GROWTH_TEXT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
