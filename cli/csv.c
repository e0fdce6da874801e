#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        char *nb = realloc(b, cap * 2 + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (f != stdin) fclose(f);
    if (b) b[n] = 0;
    *len = n;
    return b;
}

/* Splits one record starting at *p (ends at LF, CRLF, a lone CR or NUL). Fields are unquoted in
 * place. Returns the number of fields and advances *p past the record end; -1 on a quote error. */
static long split_record(char **p, char **fields, size_t maxf, size_t *line)
{
    char *s = *p, *w = s;
    long nf = 0;
    for (;;) {
        char *start = w;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == 0) return -1;
                if (*s == '"') {
                    if (s[1] == '"') {
                        *w++ = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                if (*s == '\n') (*line)++;
                *w++ = *s++;
            }
            if (*s != ',' && *s != '\n' && *s != '\r' && *s != 0) return -1;
        } else {
            while (*s && *s != ',' && *s != '\n' && *s != '\r') *w++ = *s++;
        }
        if ((size_t)nf < maxf) fields[nf] = start;
        nf++;
        char sep = *s;
        *w = 0;
        if (sep == ',') {
            s++;
            w = s;
            continue;
        }
        if (sep == '\r' && s[1] == '\n')
            s += 2; /* CRLF */
        else if (sep == '\r' || sep == '\n')
            s++; /* LF, or a lone CR */
        break;
    }
    *p = s;
    return nf;
}

static FILE *csv_err_stream;

void csv_set_errors(FILE *f) { csv_err_stream = f; }

static void csv_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(csv_err_stream ? csv_err_stream : stderr, fmt, ap);
    va_end(ap);
}

int csv_load(const char *path, csv_table *t)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    size_t len = 0;
    char *buf = read_all(path, &len);
    if (!buf) {
        csv_err("growth: %s: cannot read: %s\n", path, strerror(errno));
        return -1;
    }
    return csv_parse(path, buf, len, t);
}

static int csv_fail(csv_table *t, char ***tmp)
{
    free(*tmp);
    *tmp = NULL;
    csv_free(t);
    return -1;
}

int csv_parse(const char *path, char *buf, size_t len, csv_table *t)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->buf = buf;
    char **tmp = NULL;
    if (memchr(t->buf, 0, len)) {
        csv_err("growth: %s: not a text file (contains NUL bytes)\n", path);
        return csv_fail(t, &tmp);
    }
    /* Upper bound on fields (and so on rows): commas + record ends + 1. A record ends at a
     * newline, or at a carriage return not followed by one (old Mac line ends). */
    size_t maxcells = 1;
    for (size_t i = 0; i < len; i++) maxcells += t->buf[i] == ',' || t->buf[i] == '\n' || t->buf[i] == '\r';
    tmp = malloc(maxcells * sizeof *tmp);
    t->cells = malloc(maxcells * sizeof *t->cells);
    t->line = malloc(maxcells * sizeof *t->line);
    if (!tmp || !t->cells || !t->line) {
        csv_err("growth: %s: out of memory\n", path);
        return csv_fail(t, &tmp);
    }
    char *p = t->buf;
    size_t line = 1;
    /* header (skip a UTF-8 byte-order mark) */
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    long nf = split_record(&p, tmp, maxcells, &line);
    if (nf < 0) {
        csv_err("growth: %s:1: unterminated or misplaced quote in the header\n", path);
        return csv_fail(t, &tmp);
    }
    if (nf == 0 || (nf == 1 && tmp[0][0] == 0)) {
        csv_err("growth: %s:1: empty file or empty header\n", path);
        return csv_fail(t, &tmp);
    }
    t->ncols = (size_t)nf;
    t->header = malloc(t->ncols * sizeof *t->header);
    if (!t->header) {
        csv_err("growth: %s: out of memory\n", path);
        return csv_fail(t, &tmp);
    }
    memcpy(t->header, tmp, t->ncols * sizeof *tmp);
    size_t used = 0;
    while (*p) {
        line++;
        size_t row_line = line;
        if (*p == '\n' || *p == '\r') { /* blank line */
            p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
            continue;
        }
        nf = split_record(&p, tmp, maxcells, &line);
        if (nf < 0) {
            csv_err("growth: %s:%zu: unterminated or misplaced quote\n", path, row_line);
            return csv_fail(t, &tmp);
        }
        if ((size_t)nf != t->ncols) {
            csv_err("growth: %s:%zu: %ld fields, the header has %zu\n", path, row_line, nf, t->ncols);
            return csv_fail(t, &tmp);
        }
        memcpy(t->cells + used, tmp, t->ncols * sizeof *tmp);
        t->line[t->nrows] = row_line;
        used += t->ncols;
        t->nrows++;
    }
    free(tmp);
    return 0;
}

void csv_free(csv_table *t)
{
    free(t->buf);
    free(t->cells);
    free(t->header);
    free(t->line);
    memset(t, 0, sizeof *t);
}

int csv_col(const csv_table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->header[c], name) == 0) return (int)c;
    csv_err("growth: %s: no column '%s' (columns:", t->path, name);
    for (size_t c = 0; c < t->ncols; c++) csv_err(" %s", t->header[c]);
    csv_err(")\n");
    return -1;
}

int csv_num(const csv_table *t, size_t row, int col, double *out)
{
    const char *s = csv_cell(t, row, col);
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    while (end && (*end == ' ' || *end == '\t')) end++;
    /* overflow gives +-HUGE_VAL (not finite); an underflow to a tiny or zero value is accepted */
    if (s[0] == 0 || end == s || *end != 0 || !isfinite(v)) {
        csv_err("growth: %s:%zu:%d (column '%s'): '%s' is not a finite number\n", t->path, t->line[row],
                col + 1, t->header[col], s);
        return -1;
    }
    *out = v;
    return 0;
}
