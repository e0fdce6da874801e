/* A small CSV reader for the operator commands: a header row, comma-separated fields, optional
 * double quotes ("" inside quotes is a quote). Errors name the file, line and column. */
#ifndef GROWTH_CLI_CSV_H
#define GROWTH_CLI_CSV_H

#include <stddef.h>

typedef struct {
    const char *path;
    char *buf;          /* the whole file, fields NUL-terminated in place */
    char **cells;       /* nrows x ncols, row-major (header excluded) */
    char **header;      /* ncols names */
    size_t *line;       /* source line of each row */
    size_t nrows, ncols;
} csv_table;

/* Loads PATH ("-" = standard input). On error prints "growth: PATH:LINE: ..." to stderr and
 * returns -1. Every row must have as many fields as the header. */
int csv_load(const char *path, csv_table *t);
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
