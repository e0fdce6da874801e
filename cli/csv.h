/* A small CSV reader for the operator commands: a header row, comma-separated fields, optional
 * double quotes ("" inside quotes is a quote). Errors name the file, line and column. */
#ifndef GROWTH_CLI_CSV_H
#define GROWTH_CLI_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *path;
    char *buf;     /* the whole file, fields NUL-terminated in place */
    char **cells;  /* nrows x ncols, row-major (header excluded) */
    char **header; /* ncols names */
    size_t *line;  /* source line of each row */
    size_t nrows, ncols;
} csv_table;

/* Loads PATH ("-" = standard input). On error prints "growth: PATH:LINE: ..." to stderr and
 * returns -1 (nothing to free). Every row must have as many fields as the header. */
int csv_load(const char *path, csv_table *t);
/* Parses BUF (LEN bytes plus a terminating NUL, malloc'ed; the table takes it over, also on
 * error) as the contents of PATH. A record ends at "\n", "\r\n" or a lone "\r"; blank lines
 * are skipped. On error prints the message, frees everything and returns -1. */
int csv_parse(const char *path, char *buf, size_t len, csv_table *t);
/* Where the error messages go (NULL: stderr). */
void csv_set_errors(FILE *f);
void csv_free(csv_table *t);

/* Index of column NAME, or -1 after printing "growth: PATH: no column 'NAME' (columns: ...)". */
int csv_col(const csv_table *t, const char *name);

static inline const char *csv_cell(const csv_table *t, size_t row, int col)
{
    return t->cells[row * t->ncols + (size_t)col];
}

/* Parses a finite number; on error prints "growth: PATH:LINE:COL (column 'NAME'): ..." and
 * returns -1. */
int csv_num(const csv_table *t, size_t row, int col, double *out);

#endif
