/* libFuzzer target: the CLI's CSV reader (cli/csv.c), as the operator commands use it.
 * Whatever parses must keep its invariants (every row as wide as the header, source lines
 * increasing, cells inside the buffer), convert its cells with csv_num() without crashing, and
 * survive a round trip: writing the table back with every field quoted and parsing that gives
 * the same header and cells. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *quote_table(const csv_table *t, size_t *len)
{
    size_t cap = 16;
    for (size_t c = 0; c < t->ncols; c++) cap += 2 * strlen(t->header[c]) + 3;
    for (size_t i = 0; i < t->nrows * t->ncols; i++) cap += 2 * strlen(t->cells[i]) + 3;
    char *out = malloc(cap), *w = out;
    if (!out) return NULL;
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? t->header[c] : t->cells[(r - 1) * t->ncols + c];
            if (c) *w++ = ',';
            *w++ = '"';
            for (; *s; s++) {
                if (*s == '"') *w++ = '"';
                *w++ = *s;
            }
            *w++ = '"';
        }
        *w++ = '\n';
    }
    *w = 0;
    *len = (size_t)(w - out);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    csv_set_errors(sink); /* error messages are expected; keep the fuzzer's output readable */
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    csv_table t;
    if (csv_parse("fuzz.csv", buf, size, &t) != 0) return 0; /* csv_parse freed buf */
    if (t.ncols == 0 || !t.header) abort();
    for (size_t r = 0; r < t.nrows; r++) {
        if (t.line[r] < 2 || (r > 0 && t.line[r] <= t.line[r - 1])) abort();
        for (size_t c = 0; c < t.ncols; c++) {
            const char *s = csv_cell(&t, r, (int)c);
            if (s < t.buf || s > t.buf + size) abort();
            double v;
            if (csv_num(&t, r, (int)c, &v) == 0 && !(v - v == 0)) abort(); /* finite */
        }
    }
    if (csv_col(&t, t.header[0]) != 0) abort();
    size_t len = 0;
    char *again = quote_table(&t, &len);
    if (again) {
        csv_table u;
        if (csv_parse("again.csv", again, len, &u) != 0) abort();
        if (u.ncols != t.ncols || u.nrows != t.nrows) abort();
        for (size_t c = 0; c < t.ncols; c++)
            if (strcmp(u.header[c], t.header[c])) abort();
        for (size_t i = 0; i < t.nrows * t.ncols; i++)
            if (strcmp(u.cells[i], t.cells[i])) abort();
        csv_free(&u);
    }
    csv_free(&t);
    return 0;
}
