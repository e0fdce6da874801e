/* growth train / growth predict: online training of FTRL and FM/FFM models from text files (VW,
 * LIBFFM, libsvm, CSV; plain or gzip) and batch scoring. Public API only (<growth/growth.h>).
 *
 * Pipeline: one parser thread reads and parses lines into CSR batches (BATCH_ROWS rows) that go
 * through a bounded queue of QUEUE_BATCHES reused batches to the main thread, which trains or
 * scores them; with --threads 1 the main thread parses and trains in turn. The buffers only grow
 * (to the largest batch seen): no allocation per batch in steady state.
 * Exit codes: 0 ok, 1 a library call failed (creating, loading or saving a model), 2 usage or
 * input error (bad option, unreadable or truncated file, unknown format, a malformed line with
 * --strict, a model file of the wrong kind). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef GROWTH_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

#include <growth/growth.h>

#include "cli.h"

#define BATCH_ROWS       4096
#define QUEUE_BATCHES    4
#define AUC_BINS         65536
#define MAX_SHOWN_ERRORS 20
#define MAX_FIELDS       256
#define ROW_HOLDOUT      1u
#define ROW_BAD          2u

enum { FMT_AUTO, FMT_VW, FMT_LIBFFM, FMT_LIBSVM, FMT_CSV };
static const char *const fmt_names[] = {"auto", "vw", "libffm", "libsvm", "csv"};
enum { MT_FTRL, MT_FM, MT_FFM };
static const char *const mt_names[] = {"ftrl", "fm", "ffm"};

typedef struct {
    int predict; /* 1 for growth predict */
    int format, model_type, model_type_set, strict, threads, train_threads, margin;
    const char *config, *model, *resume, *fields, *csv_label, *csv_weight, *csv_features, *csv_numeric;
    uint64_t passes, holdout_every, checkpoint, progress_every, hash_seed;
    const char **files;
    int nfiles;
} topts;

/* CPU seconds of a clock (CLOCK_PROCESS_CPUTIME_ID: every thread of the process). On a shared
 * machine the wall clock also counts other processes' time; the CPU time shows the work done. */
static double cpu_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- comma lists ------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    char **item;
    size_t n;
} strlist;

static int strlist_parse(const char *s, strlist *l)
{
    memset(l, 0, sizeof *l);
    if (!s || !*s) return 0;
    size_t n = 1;
    for (const char *c = s; *c; c++) n += *c == ',';
    l->buf = strdup(s);
    l->item = malloc(n * sizeof *l->item);
    if (!l->buf || !l->item) return -1;
    char *save = NULL;
    for (char *t = strtok_r(l->buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) l->item[l->n++] = t;
    return 0;
}

static void strlist_free(strlist *l)
{
    free(l->buf);
    free(l->item);
    memset(l, 0, sizeof *l);
}

static long strlist_find(const strlist *l, const char *s, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->item[i]) == len && memcmp(l->item[i], s, len) == 0) return (long)i;
    return -1;
}

/* ---- numbers ----------------------------------------------------------------------------- */

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parses the finite number in s[0..n) into *out (as strtod would: the correctly rounded double;
 * callers convert to float). Plain decimals take a fast path, anything else strtod. */
static int parse_num(const char *s, size_t n, double *out)
{
    if (n == 0) return -1;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') neg = s[i++] == '-';
    uint64_t m = 0;
    int digits = 0, frac = 0, dot = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (m == 0 && c == '0' && !dot) {
                digits += digits == 0; /* leading zeros */
                continue;
            }
            if (++digits > 18) break;
            m = m * 10 + (uint64_t)(c - '0');
            frac += dot;
        } else if (c == '.' && !dot) {
            dot = 1;
        } else {
            break;
        }
    }
    if (i == n && digits > 0 && digits <= 18 && frac <= 22) {
        double v = (double)m / pow10_tab[frac];
        *out = neg ? -v : v;
        return 0;
    }
    char tmp[64];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end = NULL;
    double v = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int parse_u32(const char *s, size_t n, uint32_t *out)
{
    if (n == 0 || n > 10) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX) return -1;
    *out = (uint32_t)v;
    return 0;
}

/* ---- input: plain or gzip, line by line ------------------------------------------------- */

/* Gzip input is inflated by ISA-L's igzip when the command is built with it (GROWTH_HAVE_ISAL:
 * several times zlib's speed, which makes inflating no longer the slowest stage of a gzip file),
 * else by zlib. Either reads a gzip file of several members (concatenated gzip files) as one
 * stream, checks every member's CRC and length, and tells a truncated stream from a corrupt one. */
#define READ_CHUNK (1u << 18)

typedef struct {
    const char *name;
    char *buf;
    size_t cap, beg, end;
    int eof;
#ifdef GROWTH_HAVE_ISAL
    int fd, gz, in_eof;
    uint8_t *in;
    size_t in_beg, in_end;
    struct inflate_state *st;
#else
    gzFile gz;
#endif
} reader;

#ifdef GROWTH_HAVE_ISAL
/* Moves what is left of the input buffer to its start and reads more; -1 on a read error. */
static int in_fill(reader *r)
{
    if (r->in_beg > 0) {
        memmove(r->in, r->in + r->in_beg, r->in_end - r->in_beg);
        r->in_end -= r->in_beg;
        r->in_beg = 0;
    }
    while (!r->in_eof && r->in_end < READ_CHUNK) {
        ssize_t got = read(r->fd, r->in + r->in_end, READ_CHUNK - r->in_end);
        if (got < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "growth: %s: cannot read: %s\n", r->name, strerror(errno));
            return -1;
        }
        if (got == 0) r->in_eof = 1;
        r->in_end += (size_t)got;
        if (r->gz) break; /* inflate what there is */
    }
    return 0;
}

static void gz_start_member(reader *r)
{
    isal_inflate_reset(r->st);
    r->st->crc_flag = ISAL_GZIP;
}
#endif

static int reader_open(reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    int is_stdin = strcmp(path, "-") == 0;
    r->name = is_stdin ? "<stdin>" : path;
    int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "growth: %s: cannot open: %s\n", r->name, strerror(errno));
        return -1;
    }
    r->cap = 1u << 20;
    r->buf = malloc(r->cap + 1);
#ifdef GROWTH_HAVE_ISAL
    r->fd = fd;
    r->in = malloc(READ_CHUNK);
    r->st = malloc(sizeof *r->st);
    if (!r->buf || !r->in || !r->st) {
        close(fd);
        free(r->buf);
        free(r->in);
        free(r->st);
        memset(r, 0, sizeof *r);
        fprintf(stderr, "growth: %s: out of memory\n", path);
        return -1;
    }
    if (in_fill(r)) {
        close(fd);
        free(r->buf);
        free(r->in);
        free(r->st);
        memset(r, 0, sizeof *r);
        return -1;
    }
    /* gzip by its magic bytes (a file shorter than two bytes is plain text) */
    r->gz = r->in_end >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
    if (r->gz) {
        isal_inflate_init(r->st);
        gz_start_member(r);
    }
#else
    r->gz = gzdopen(fd, "rb"); /* reads gzip (detected by its magic bytes) and plain text alike */
    if (!r->gz || !r->buf) {
        if (r->gz)
            gzclose(r->gz);
        else
            close(fd);
        free(r->buf);
        fprintf(stderr, "growth: %s: out of memory\n", r->name);
        return -1;
    }
    gzbuffer(r->gz, READ_CHUNK);
#endif
    return 0;
}

static void reader_close(reader *r)
{
#ifdef GROWTH_HAVE_ISAL
    if (r->in) close(r->fd);
    free(r->in);
    free(r->st);
#else
    if (r->gz) gzclose(r->gz);
#endif
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Reads up to `cap` bytes of the (decompressed) input into dst: the count, 0 at the end of the
 * input, -1 on a read error, a corrupt or truncated gzip stream (message printed). */
static long reader_read(reader *r, char *dst, size_t cap)
{
#ifdef GROWTH_HAVE_ISAL
    if (!r->gz) {
        if (r->in_end > r->in_beg) { /* what the format check read */
            size_t n = r->in_end - r->in_beg < cap ? r->in_end - r->in_beg : cap;
            memcpy(dst, r->in + r->in_beg, n);
            r->in_beg += n;
            return (long)n;
        }
        for (;;) {
            ssize_t got = read(r->fd, dst, cap);
            if (got >= 0) return (long)got;
            if (errno == EINTR) continue;
            fprintf(stderr, "growth: %s: cannot read: %s\n", r->name, strerror(errno));
            return -1;
        }
    }
    struct inflate_state *st = r->st;
    for (;;) {
        if (st->block_state == ISAL_BLOCK_FINISH) {
            /* A member ended: another follows, or the input ends (trailing bytes that are not a
             * gzip member are ignored, as zlib does). */
            if (r->in_end - r->in_beg < 2 && !r->in_eof && in_fill(r)) return -1;
            if (r->in_end - r->in_beg < 2 || r->in[r->in_beg] != 0x1f || r->in[r->in_beg + 1] != 0x8b)
                return 0;
            gz_start_member(r);
        }
        if (r->in_beg == r->in_end && !r->in_eof && in_fill(r)) return -1;
        st->next_in = r->in + r->in_beg;
        st->avail_in = (uint32_t)(r->in_end - r->in_beg);
        st->next_out = (uint8_t *)dst;
        st->avail_out = (uint32_t)cap;
        int ret = isal_inflate(st);
        r->in_beg = r->in_end - st->avail_in;
        if (ret < 0) {
            fprintf(stderr, "growth: %s: corrupt gzip stream (%s)\n", r->name,
                    ret == ISAL_INCORRECT_CHECKSUM ? "incorrect data check" : "invalid compressed data");
            return -1;
        }
        size_t produced = cap - st->avail_out;
        if (produced > 0) return (long)produced;
        if (st->block_state == ISAL_BLOCK_FINISH) continue;
        if (r->in_beg == r->in_end && r->in_eof) {
            fprintf(stderr, "growth: %s: truncated gzip stream (unexpected end of file)\n", r->name);
            return -1;
        }
    }
#else
    int got = gzread(r->gz, dst, (unsigned)cap);
    int err = Z_OK;
    const char *msg = gzerror(r->gz, &err);
    if (got < 0 || (got == 0 && err == Z_BUF_ERROR)) {
        if (err == Z_ERRNO)
            fprintf(stderr, "growth: %s: cannot read: %s\n", r->name, strerror(errno));
        else if (err == Z_BUF_ERROR)
            fprintf(stderr, "growth: %s: truncated gzip stream (%s)\n", r->name, msg);
        else
            fprintf(stderr, "growth: %s: corrupt gzip stream (%s)\n", r->name, msg);
        return -1;
    }
    return got;
#endif
}

/* Next line (NUL-terminated in place, without its line end) in *s, *n. Returns 1, 0 at the end of
 * the input, -1 on a read error, a corrupt or truncated gzip stream (message printed). */
static int reader_line(reader *r, char **s, size_t *n)
{
    for (;;) {
        char *b = r->buf + r->beg;
        char *nl = memchr(b, '\n', r->end - r->beg);
        if (nl || (r->eof && r->beg < r->end)) {
            char *e = nl ? nl : r->buf + r->end;
            r->beg = (size_t)(e - r->buf) + (nl != NULL);
            if (e > b && e[-1] == '\r') e--;
            *e = 0;
            *s = b;
            *n = (size_t)(e - b);
            return 1;
        }
        if (r->eof) return 0;
        if (r->beg > 0) {
            memmove(r->buf, r->buf + r->beg, r->end - r->beg);
            r->end -= r->beg;
            r->beg = 0;
        }
        if (r->end == r->cap) {
            if (r->cap >= (1u << 30)) {
                fprintf(stderr, "growth: %s: a line longer than 1 GiB\n", r->name);
                return -1;
            }
            char *nb = realloc(r->buf, 2 * r->cap + 1);
            if (!nb) {
                fprintf(stderr, "growth: %s: out of memory\n", r->name);
                return -1;
            }
            r->buf = nb;
            r->cap *= 2;
        }
        size_t room = r->cap - r->end;
        long got = reader_read(r, r->buf + r->end, room > READ_CHUNK ? READ_CHUNK : room);
        if (got < 0) return -1;
        if (got == 0) r->eof = 1;
        r->end += (size_t)got;
    }
}

/* ---- batches and the queue ---------------------------------------------------------------- */

typedef struct {
    size_t nrows, nnz, nnz_cap;
    uint64_t *indptr; /* BATCH_ROWS + 1 */
    uint32_t *idx;
    uint64_t *key; /* table=exact models: the entries' 64-bit keys (parallel to idx) */
    uint8_t *fld;
    float *val;
    float *label, *weight;
    uint8_t *flag; /* ROW_HOLDOUT, ROW_BAD */
    int end;       /* 0 data; 1 the end of the input; -1 a fatal input error (already reported) */
} batch;

static int batch_init(batch *b)
{
    memset(b, 0, sizeof *b);
    b->nnz_cap = (size_t)BATCH_ROWS * 64;
    b->indptr = calloc(BATCH_ROWS + 1, sizeof *b->indptr);
    b->idx = malloc(b->nnz_cap * sizeof *b->idx);
    b->key = malloc(b->nnz_cap * sizeof *b->key);
    b->fld = malloc(b->nnz_cap);
    b->val = malloc(b->nnz_cap * sizeof *b->val);
    b->label = malloc(BATCH_ROWS * sizeof *b->label);
    b->weight = malloc(BATCH_ROWS * sizeof *b->weight);
    b->flag = malloc(BATCH_ROWS);
    return b->indptr && b->idx && b->key && b->fld && b->val && b->label && b->weight && b->flag ? 0 : -1;
}

static void batch_free(batch *b)
{
    free(b->indptr);
    free(b->idx);
    free(b->key);
    free(b->fld);
    free(b->val);
    free(b->label);
    free(b->weight);
    free(b->flag);
}

static int batch_grow(batch *b)
{
    size_t cap = b->nnz_cap * 2;
    uint32_t *i = realloc(b->idx, cap * sizeof *i);
    if (i) b->idx = i;
    uint64_t *k = realloc(b->key, cap * sizeof *k);
    if (k) b->key = k;
    uint8_t *f = realloc(b->fld, cap);
    if (f) b->fld = f;
    float *v = realloc(b->val, cap * sizeof *v);
    if (v) b->val = v;
    if (!i || !k || !f || !v) return -1;
    b->nnz_cap = cap;
    return 0;
}

typedef struct {
    batch *item[QUEUE_BATCHES];
    size_t head, n;
} ring;

static void ring_push(ring *r, batch *b) { r->item[(r->head + r->n++) % QUEUE_BATCHES] = b; }

static batch *ring_pop(ring *r)
{
    batch *b = r->item[r->head];
    r->head = (r->head + 1) % QUEUE_BATCHES;
    r->n--;
    return b;
}

/* ---- the parser ------------------------------------------------------------------------- */

typedef struct pipeline pipeline;

typedef struct {
    const topts *o;
    pipeline *pl;
    unsigned bits;
    uint64_t slots; /* 2^bits */
    int fast_hash;  /* the slot of (field, value) is growth_hash64's documented composition */
    int want_fld;   /* field-aware model: every entry needs a field */
    int exact;      /* table=exact model: entries carry the full 64-bit key of their hash */
    size_t model_fields;
    strlist fields; /* --fields */
    /* the current file */
    const char *path;
    uint64_t line;
    int format;
    /* CSV: roles of the current file's columns */
    int csv_ready;
    char *csv_hdr;
    strlist csv_feat, csv_num;
    size_t ncols;
    char **cells, **colname;
    int *role; /* 0 ignored, 1 categorical, 2 numeric, 3 label, 4 weight */
    uint64_t *colhash;
    uint8_t *colfield;
    char *scratch; /* slow-path hashing (NUL-terminated copies) */
    size_t scratch_cap;
    /* counters */
    uint64_t pos_in_pass, bad_lines;
    unsigned shown;
    double parse_s;
    double parse_cpu; /* CPU time of the parser thread (--threads 2) */
} parser;

/* Reports a malformed line; returns 0 (skip it) or -1 when --strict makes it fatal. */
static int line_error(parser *p, const char *fmt, ...)
{
    p->bad_lines++;
    if (p->o->strict || p->shown < MAX_SHOWN_ERRORS) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "growth: %s:%llu: ", p->path, (unsigned long long)p->line);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (!p->o->strict && ++p->shown == MAX_SHOWN_ERRORS)
            fprintf(stderr, "growth: further malformed lines are counted, not shown\n");
    }
    return p->o->strict ? -1 : 0;
}

static int file_error(parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "growth: %s: ", p->path);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* growth_features_hash (hashed model) or growth_features_key (table=exact) on (field, value)
 * given as byte ranges. */
static int hash_slow(parser *p, const char *f, size_t fn, const char *v, size_t vn, uint32_t *out,
                     uint64_t *key)
{
    if (fn + vn + 2 > p->scratch_cap) {
        char *s = realloc(p->scratch, fn + vn + 2);
        if (!s) return -1;
        p->scratch = s;
        p->scratch_cap = fn + vn + 2;
    }
    memcpy(p->scratch, f, fn);
    p->scratch[fn] = 0;
    memcpy(p->scratch + fn + 1, v, vn);
    p->scratch[fn + 1 + vn] = 0;
    if (p->exact) {
        if (growth_features_key(p->scratch, p->scratch + fn + 1, p->o->hash_seed, key)) return -1;
        *out = (uint32_t)(*key >> 32);
        return 0;
    }
    if (growth_features_hash(p->scratch, p->scratch + fn + 1, p->o->hash_seed, p->bits, out)) return -1;
    *key = *out;
    return 0;
}

/* The slot of (field, value) at the model's bits and its key: for a table=exact model the full
 * 64-bit hash (growth_features_key: two values whose slots collide keep distinct keys), for a
 * hashed model the slot itself (unused: hashed models train on the slots). */
static int hash_fv(parser *p, uint64_t fh, const char *f, size_t fn, const char *v, size_t vn, uint32_t *out,
                   uint64_t *key)
{
    if (p->fast_hash) {
        uint64_t h = growth_hash64(v, vn, fh);
        *out = (uint32_t)(h >> (64 - p->bits));
        *key = p->exact ? h : *out;
        return 0;
    }
    return hash_slow(p, f, fn, v, vn, out, key);
}

static inline int push(batch *b, uint32_t slot, uint64_t key, uint8_t f, float v)
{
    if (b->nnz == b->nnz_cap && batch_grow(b)) return -1;
    b->idx[b->nnz] = slot;
    b->key[b->nnz] = key;
    b->fld[b->nnz] = f;
    b->val[b->nnz] = v;
    b->nnz++;
    return 0;
}

static int oom(parser *p) { return file_error(p, "out of memory"); }

/* A label as the logistic loss takes it: 1 -> 1, 0 or -1 -> 0. */
static int label_of(parser *p, const char *s, size_t n, float *out)
{
    double v;
    if (parse_num(s, n, &v)) return line_error(p, "label '%.*s' is not a number", (int)n, s) - 1;
    if (v == 1.0)
        *out = 1.0f;
    else if (v == 0.0 || v == -1.0)
        *out = 0.0f;
    else
        return line_error(p, "label %.*s is outside the logistic loss's domain {1, 0, -1}", (int)n, s) - 1;
    return 0;
}

static int weight_of(parser *p, const char *s, size_t n, float *out)
{
    double v;
    if (parse_num(s, n, &v) || v < 0 || !isfinite((float)v))
        return line_error(p, "importance weight '%.*s' is not a finite number >= 0", (int)n, s) - 1;
    *out = (float)v;
    return 0;
}

/* Return codes of the line parsers: 1 a row was added, 0 the line was skipped (reported), -1
 * fatal (reported). The field helpers return 0, or line_error() - 1 (-1 skip, -2 fatal), which
 * their callers turn into the line's code with + 1. */

static inline int is_sp(char c) { return c == ' ' || c == '\t'; }

/* Character classes of the VW scanner (lines are NUL-terminated, so NUL ends every token). */
enum { C_SP = 1, C_BAR = 2, C_COLON = 4, C_END = 8 };
static const unsigned char vw_cls[256] = {
    [0] = C_END, [' '] = C_SP, ['\t'] = C_SP, ['|'] = C_BAR, [':'] = C_COLON};
#define VW_SCAN(q, stop)                                                                                     \
    while (!(vw_cls[(unsigned char)*(q)] & (stop))) (q)++

/* VW text: [label [importance]] ['tag]|ns[:weight] feature[:value] ... |ns2 ... */
static int parse_vw(parser *p, batch *b, char *s, char *e)
{
    float label = 0.0f, weight = 1.0f;
    int have_label = 0, rc;
    char *bar = memchr(s, '|', (size_t)(e - s));
    if (!bar) return line_error(p, "no '|': not a VW example");
    int nnum = 0;
    for (char *h = s; h < bar;) {
        while (h < bar && is_sp(*h)) h++;
        if (h >= bar) break;
        char *t = h;
        while (h < bar && !is_sp(*h)) h++;
        if (*t == '\'' || (h == bar && nnum > 0)) continue; /* the tag */
        if (nnum == 0) {
            if (!p->o->predict && (rc = label_of(p, t, (size_t)(h - t), &label))) return rc + 1;
            have_label = 1;
        } else if (nnum == 1) {
            if ((rc = weight_of(p, t, (size_t)(h - t), &weight))) return rc + 1;
        } else {
            return line_error(p, "unexpected '%.*s' before '|' (only label, weight and 'tag)", (int)(h - t),
                              t);
        }
        nnum++;
    }
    if (!have_label && !p->o->predict) return line_error(p, "no label");
    char *q = bar;
    while (q < e) {
        q++; /* past '|' */
        char *ns = q;
        VW_SCAN(q, C_SP | C_BAR | C_COLON | C_END);
        size_t nslen = (size_t)(q - ns);
        double nsw = 1.0;
        if (q < e && *q == ':') {
            char *w = ++q;
            VW_SCAN(q, C_SP | C_BAR | C_END);
            if (parse_num(w, (size_t)(q - w), &nsw))
                return line_error(p, "namespace weight '%.*s' is not a number", (int)(q - w), w);
        }
        uint8_t field = 0;
        if (p->want_fld) {
            long f = strlist_find(&p->fields, ns, nslen);
            if (f < 0) return line_error(p, "namespace '%.*s' is not in --fields", (int)nslen, ns);
            field = (uint8_t)f;
        }
        uint64_t nsh = growth_hash64(ns, nslen, p->o->hash_seed);
        for (;;) {
            while (vw_cls[(unsigned char)*q] & C_SP) q++;
            if (q >= e || *q == '|') break;
            char *f = q;
            VW_SCAN(q, C_SP | C_BAR | C_COLON | C_END);
            char *fe = q;
            double v = 1.0;
            if (q < e && *q == ':') {
                char *vs = ++q;
                VW_SCAN(q, C_SP | C_BAR | C_END);
                if (parse_num(vs, (size_t)(q - vs), &v) || !isfinite((float)(v * nsw)))
                    return line_error(p, "feature '%.*s': value '%.*s' is not a finite number", (int)(fe - f),
                                      f, (int)(q - vs), vs);
            }
            if (fe == f) return line_error(p, "a feature without a name");
            uint32_t slot;
            uint64_t key;
            if (hash_fv(p, nsh, ns, nslen, f, (size_t)(fe - f), &slot, &key) ||
                push(b, slot, key, field, (float)(v * nsw)))
                return oom(p);
        }
    }
    b->label[b->nrows] = label;
    b->weight[b->nrows] = weight;
    return 1;
}

/* LIBFFM (label field:feature:value ...) and libsvm (label index:value ...). */
static int parse_ffm_svm(parser *p, batch *b, char *s, char *e, int ffm)
{
    float label = 0.0f;
    int rc;
    char *q = s;
    while (q < e && is_sp(*q)) q++;
    char *t = q;
    while (q < e && !is_sp(*q)) q++;
    if (memchr(t, ':', (size_t)(q - t))) { /* no label */
        if (!p->o->predict) return line_error(p, "no label");
        q = t;
    } else if (!p->o->predict && (rc = label_of(p, t, (size_t)(q - t), &label))) {
        return rc + 1;
    }
    for (;;) {
        while (q < e && is_sp(*q)) q++;
        if (q >= e) break;
        t = q;
        while (q < e && !is_sp(*q)) q++;
        char *c1 = memchr(t, ':', (size_t)(q - t));
        char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(q - c1 - 1)) : NULL;
        uint32_t field = 0, slot;
        double v;
        const char *want = ffm ? "field:feature:value" : "index:value";
        if (!c1 || (ffm && !c2) || (!ffm && c2))
            return line_error(p, "'%.*s' is not %s", (int)(q - t), t, want);
        char *fs = ffm ? c1 + 1 : t, *fe = ffm ? c2 : c1, *vs = (ffm ? c2 : c1) + 1;
        if ((ffm && parse_u32(t, (size_t)(c1 - t), &field)) || parse_u32(fs, (size_t)(fe - fs), &slot) ||
            parse_num(vs, (size_t)(q - vs), &v) || !isfinite((float)v))
            return line_error(p, "'%.*s' is not %s (non-negative integers, a finite value)", (int)(q - t), t,
                              want);
        if ((uint64_t)slot >= p->slots)
            return line_error(p, "feature %u is outside the model's 2^%u slots", slot, p->bits);
        if (p->want_fld && field >= p->model_fields)
            return line_error(p, "field %u is outside the model's %zu fields", field, p->model_fields);
        if (!p->want_fld && field >= MAX_FIELDS) return line_error(p, "field %u is above 255", field);
        if (push(b, slot, slot, (uint8_t)field, (float)v)) return oom(p);
    }
    b->label[b->nrows] = label;
    b->weight[b->nrows] = 1.0f;
    return 1;
}

/* Splits one CSV record (no line breaks inside quotes) into p->cells, unquoting in place.
 * Returns the number of fields or -1 on a quote error. */
static long csv_split(parser *p, char *s, char *e)
{
    long nf = 0;
    char *w = s;
    for (;;) {
        char *start = w;
        if (s < e && *s == '"') {
            s++;
            for (;;) {
                if (s >= e) return -1;
                if (*s == '"') {
                    if (s + 1 < e && s[1] == '"') {
                        *w++ = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                *w++ = *s++;
            }
            if (s < e && *s != ',') return -1;
        } else {
            while (s < e && *s != ',') *w++ = *s++;
        }
        int more = s < e;
        *w = 0;
        if ((size_t)nf < p->ncols) p->cells[nf] = start;
        nf++;
        if (!more) break;
        s++;
        w = s;
    }
    return nf;
}

static void csv_reset(parser *p)
{
    free(p->csv_hdr);
    free(p->cells);
    free(p->colname);
    free(p->role);
    free(p->colhash);
    free(p->colfield);
    p->csv_hdr = NULL;
    p->cells = NULL;
    p->colname = NULL;
    p->role = NULL;
    p->colhash = NULL;
    p->colfield = NULL;
    p->csv_ready = 0;
    p->ncols = 0;
}

static int csv_header(parser *p, char *s, char *e)
{
    const topts *o = p->o;
    if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) s += 3;
    size_t n = 1;
    for (char *c = s; c < e; c++) n += *c == ',';
    p->csv_hdr = malloc((size_t)(e - s) + 1);
    p->cells = malloc(n * sizeof *p->cells);
    p->colname = malloc(n * sizeof *p->colname);
    p->role = calloc(n, sizeof *p->role);
    p->colhash = calloc(n, sizeof *p->colhash);
    p->colfield = calloc(n, 1);
    if (!p->csv_hdr || !p->cells || !p->colname || !p->role || !p->colhash || !p->colfield) return oom(p);
    p->ncols = n;
    memcpy(p->csv_hdr, s, (size_t)(e - s));
    p->csv_hdr[e - s] = 0;
    if (csv_split(p, p->csv_hdr, p->csv_hdr + (e - s)) != (long)n)
        return file_error(p, "unterminated or misplaced quote in the CSV header");
    memcpy(p->colname, p->cells, n * sizeof *p->cells);
    const char *need[4] = {o->csv_label, o->csv_weight, NULL, NULL};
    for (int k = 0; k < 2; k++) {
        if (!need[k]) continue;
        size_t c = 0;
        while (c < n && strcmp(p->cells[c], need[k]) != 0) c++;
        if (c == n) {
            if (k == 0 && o->predict) continue; /* predict needs no label */
            return file_error(p, "no column '%s' (%s)", need[k], k ? "--csv-weight" : "--csv-label");
        }
        p->role[c] = 3 + k;
    }
    for (int k = 0; k < 2; k++) {
        const strlist *l = k ? &p->csv_num : &p->csv_feat;
        for (size_t i = 0; i < l->n; i++) {
            size_t c = 0;
            while (c < n && strcmp(p->cells[c], l->item[i]) != 0) c++;
            if (c == n)
                return file_error(p, "no column '%s' (%s)", l->item[i],
                                  k ? "--csv-numeric" : "--csv-features");
            p->role[c] = k ? 2 : 1;
        }
    }
    if (!o->csv_features) /* every other column is a categorical feature */
        for (size_t c = 0; c < n; c++)
            if (p->role[c] == 0) p->role[c] = 1;
    size_t next_field = 0;
    for (int pass = 1; pass <= 2; pass++) /* default field ids: categorical, then numeric columns */
        for (size_t c = 0; c < n; c++) {
            if (p->role[c] != pass) continue;
            p->colhash[c] = growth_hash64(p->cells[c], strlen(p->cells[c]), o->hash_seed);
            size_t f = next_field++;
            if (p->fields.n) {
                long k = strlist_find(&p->fields, p->cells[c], strlen(p->cells[c]));
                if (k < 0 && p->want_fld) return file_error(p, "column '%s' is not in --fields", p->cells[c]);
                f = k < 0 ? 0 : (size_t)k;
            }
            if (p->want_fld && f >= p->model_fields)
                return file_error(p, "column '%s' would be field %zu; the model has %zu fields", p->cells[c],
                                  f, p->model_fields);
            p->colfield[c] = (uint8_t)(f < MAX_FIELDS ? f : 0);
        }
    p->csv_ready = 1;
    return 0;
}

static int parse_csv(parser *p, batch *b, char *s, char *e)
{
    long nf = csv_split(p, s, e);
    if (nf < 0) return line_error(p, "unterminated or misplaced quote");
    if ((size_t)nf != p->ncols) return line_error(p, "%ld fields, the header has %zu", nf, p->ncols);
    float label = 0.0f, weight = 1.0f;
    int have_label = 0, rc;
    for (size_t c = 0; c < p->ncols; c++) {
        const char *cell = p->cells[c];
        size_t len = strlen(cell);
        int role = p->role[c];
        if (role == 3 && !p->o->predict) {
            if ((rc = label_of(p, cell, len, &label))) return rc + 1;
            have_label = 1;
        } else if (role == 4) {
            if ((rc = weight_of(p, cell, len, &weight))) return rc + 1;
        } else if ((role == 1 || role == 2) && len > 0) { /* an empty cell is a missing feature */
            double v = 1.0;
            uint32_t slot;
            uint64_t key;
            if (role == 2 && (parse_num(cell, len, &v) || !isfinite((float)v)))
                return line_error(p, "column '%s': '%s' is not a finite number", p->colname[c], cell);
            const char *col = p->colname[c];
            if (hash_fv(p, p->colhash[c], col, strlen(col), role == 1 ? cell : "", role == 1 ? len : 0, &slot,
                        &key) ||
                push(b, slot, key, p->colfield[c], (float)v))
                return oom(p);
        }
    }
    if (!have_label && !p->o->predict) return line_error(p, "no label");
    b->label[b->nrows] = label;
    b->weight[b->nrows] = weight;
    return 1;
}

/* The format of a file from its first non-blank line (--format auto). */
static int detect_format(const char *s, const char *e)
{
    if (memchr(s, '|', (size_t)(e - s))) return FMT_VW;
    const char *q = s;
    while (q < e && is_sp(*q)) q++;
    while (q < e && !is_sp(*q)) q++; /* the label */
    int colons = -1, ok = 1, any = 0;
    while (q < e && ok) {
        while (q < e && is_sp(*q)) q++;
        if (q >= e) break;
        int c = 0;
        for (; q < e && !is_sp(*q); q++) c += *q == ':';
        if (c < 1 || c > 2 || (colons >= 0 && c != colons)) ok = 0;
        colons = c;
        any = 1;
    }
    if (ok && any) return colons == 2 ? FMT_LIBFFM : FMT_LIBSVM;
    if (memchr(s, ',', (size_t)(e - s))) return FMT_CSV;
    return FMT_AUTO;
}

/* ---- the pipeline ----------------------------------------------------------------------- */

typedef struct {
    double loss, wsum;
    uint64_t n;
    double *pos, *neg; /* AUC histogram: weights of positives / negatives per probability bin */
} lossacc;

typedef struct {
    int type;
    growth_ftrl *ftrl;
    growth_fm *fm;
    unsigned bits;
    int exact; /* table=exact: trained and scored through the key calls */
    size_t heads, fields;
    int train_threads; /* the model's `threads` key */
} model;

struct pipeline {
    const topts *o;
    parser p;
    model m;
    batch batches[QUEUE_BATCHES];
    size_t nbatches;
    pthread_mutex_t mu;
    pthread_cond_t cv_free, cv_full;
    ring freeq, fullq;
    int threaded, stop;
    int status; /* exit code of the consumer */
    /* training */
    float *pred;
    size_t pred_cap;
    lossacc prog, hold;
    uint64_t examples, trained, held, next_progress;
    double train_s, t0, cpu0;
    /* predict */
    FILE *out;
};

static int consume(pipeline *pl, batch *b);

static batch *acquire(pipeline *pl)
{
    if (!pl->threaded) return &pl->batches[0];
    pthread_mutex_lock(&pl->mu);
    while (!pl->stop && pl->freeq.n == 0) pthread_cond_wait(&pl->cv_free, &pl->mu);
    batch *b = pl->stop ? NULL : ring_pop(&pl->freeq);
    pthread_mutex_unlock(&pl->mu);
    if (b) {
        b->nrows = b->nnz = 0;
        b->indptr[0] = 0;
        b->end = 0;
    }
    return b;
}

/* Hands a batch to the trainer; returns -1 when the trainer has stopped. */
static int emit(pipeline *pl, batch *b)
{
    if (!pl->threaded) {
        int rc = b->end ? 0 : consume(pl, b);
        b->nrows = b->nnz = 0;
        b->indptr[0] = 0;
        if (rc) pl->stop = 1;
        return rc ? -1 : 0;
    }
    pthread_mutex_lock(&pl->mu);
    int stopped = pl->stop;
    if (!stopped) {
        ring_push(&pl->fullq, b);
        pthread_cond_signal(&pl->cv_full);
    }
    pthread_mutex_unlock(&pl->mu);
    return stopped ? -1 : 0;
}

/* Parses every pass over every file; ends with a batch whose `end` is 1 (done) or -1 (fatal). */
static void *parse_all(void *arg)
{
    pipeline *pl = arg;
    parser *p = &pl->p;
    const topts *o = pl->o;
    double t_start = now_s(), t_wait = 0;
    int fatal = 0;
    batch *b = acquire(pl);
    for (uint64_t pass = 0; pass < o->passes && b && !fatal; pass++) {
        p->pos_in_pass = 0;
        for (int fi = 0; fi < o->nfiles && b && !fatal; fi++) {
            reader rd;
            if (reader_open(&rd, o->files[fi])) {
                fatal = 1;
                break;
            }
            p->path = rd.name;
            p->line = 0;
            p->format = o->format;
            csv_reset(p);
            char *s;
            size_t n;
            int r;
            while ((r = reader_line(&rd, &s, &n)) > 0) {
                p->line++;
                char *e = s + n;
                size_t blank = 0;
                while (blank < n && is_sp(s[blank])) blank++;
                if (blank == n) continue;
                if (p->format == FMT_AUTO && (p->format = detect_format(s, e)) == FMT_AUTO) {
                    file_error(p, "cannot tell the format from line %llu; use --format vw|libffm|libsvm|csv",
                               (unsigned long long)p->line);
                    fatal = 1;
                    break;
                }
                if (p->format == FMT_CSV && !p->csv_ready) {
                    if (csv_header(p, s, e)) {
                        fatal = 1;
                        break;
                    }
                    continue;
                }
                int k;
                switch (p->format) {
                case FMT_VW: k = parse_vw(p, b, s, e); break;
                case FMT_LIBFFM: k = parse_ffm_svm(p, b, s, e, 1); break;
                case FMT_LIBSVM: k = parse_ffm_svm(p, b, s, e, 0); break;
                default: k = parse_csv(p, b, s, e); break;
                }
                if (k < 0) {
                    fatal = 1;
                    break;
                }
                if (k == 0) {
                    b->nnz = b->indptr[b->nrows]; /* drop the partial row */
                    if (!o->predict) continue;
                    b->label[b->nrows] = 0; /* predict keeps one output line per input line */
                    b->weight[b->nrows] = 1;
                    b->flag[b->nrows] = ROW_BAD;
                } else {
                    p->pos_in_pass++;
                    b->flag[b->nrows] =
                        o->holdout_every && p->pos_in_pass % o->holdout_every == 0 ? ROW_HOLDOUT : 0;
                }
                b->indptr[++b->nrows] = b->nnz;
                if (b->nrows == BATCH_ROWS) {
                    double tw = now_s();
                    int er = emit(pl, b);
                    b = er ? NULL : acquire(pl);
                    t_wait += now_s() - tw;
                    if (!b) break;
                }
            }
            if (r < 0) fatal = 1;
            reader_close(&rd);
        }
    }
    p->parse_s = now_s() - t_start - t_wait;
    p->parse_cpu = cpu_s(CLOCK_THREAD_CPUTIME_ID);
    if (b) {
        if (b->nrows > 0 && !fatal && emit(pl, b) == 0) b = acquire(pl);
        if (b) {
            b->end = fatal ? -1 : 1;
            emit(pl, b);
        }
    }
    if (!pl->threaded && fatal) pl->status = CLI_EXIT_USAGE;
    return NULL;
}

/* ---- models ----------------------------------------------------------------------------- */

static int model_update(model *m, const batch *b, size_t r, size_t n, float *pred)
{
    if (m->exact && m->type == MT_FTRL)
        return growth_ftrl_update_keys_csr(m->ftrl, b->indptr + r, b->key, b->val, n, b->label + r,
                                           b->weight + r, pred, n);
    if (m->exact)
        return growth_fm_update_keys_csr(m->fm, b->indptr + r, b->key, m->type == MT_FFM ? b->fld : NULL,
                                         b->val, n, b->label + r, b->weight + r, pred, n);
    if (m->type == MT_FTRL)
        return growth_ftrl_update_csr(m->ftrl, b->indptr + r, b->idx, b->val, n, b->label + r, b->weight + r,
                                      pred, n);
    return growth_fm_update_csr(m->fm, b->indptr + r, b->idx, m->type == MT_FFM ? b->fld : NULL, b->val, n,
                                b->label + r, b->weight + r, pred, n);
}

static int model_predict(const model *m, const batch *b, size_t r, size_t n, unsigned flags, float *out,
                         size_t cap)
{
    if (m->exact && m->type == MT_FTRL)
        return growth_ftrl_predict_keys_csr(m->ftrl, b->indptr + r, b->key, b->val, n, flags, out, cap);
    if (m->exact)
        return growth_fm_predict_keys_csr(m->fm, b->indptr + r, b->key, m->type == MT_FFM ? b->fld : NULL,
                                          b->val, n, flags, out, cap);
    if (m->type == MT_FTRL)
        return growth_ftrl_predict_csr(m->ftrl, b->indptr + r, b->idx, b->val, n, flags, out, cap);
    return growth_fm_predict_csr(m->fm, b->indptr + r, b->idx, m->type == MT_FFM ? b->fld : NULL, b->val, n,
                                 flags, out, cap);
}

static int model_save(const model *m, const char *path)
{
    if (m->type != MT_FTRL) return growth_fm_save(m->fm, path);
    return growth_ftrl_save(m->ftrl, path);
}

static void model_free(model *m)
{
    growth_ftrl_free(m->ftrl);
    growth_fm_free(m->fm);
    memset(m, 0, sizeof *m);
}

/* The `threads` key of the model's configuration (1 when it cannot be read). */
static int model_threads(const model *m)
{
    char buf[4096];
    size_t n = 0;
    int rc = m->type == MT_FTRL ? growth_ftrl_config(m->ftrl, buf, sizeof buf, &n)
                                : growth_fm_config(m->fm, buf, sizeof buf, &n);
    const char *t = rc == GROWTH_OK ? strstr(buf, "threads=") : NULL;
    while (t && t != buf && t[-1] != ' ') t = strstr(t + 1, "threads=");
    return t ? atoi(t + 8) : 1;
}

/* 1 for a table=exact model: it is fed the full 64-bit keys of the features (growth_features_key,
 * the key calls), so two values whose 32-bit slots collide keep separate records. The integer
 * features of LIBFFM and libsvm lines are their own keys (checked against 2^32, as 32 bits). */
static int model_exact(const model *m)
{
    char cfg[4096];
    int rc = m->type == MT_FTRL ? growth_ftrl_config(m->ftrl, cfg, sizeof cfg, NULL)
                                : growth_fm_config(m->fm, cfg, sizeof cfg, NULL);
    const char *t = rc == GROWTH_OK ? strstr(cfg, "table=exact") : NULL;
    while (t && t != cfg && t[-1] != ' ') t = strstr(t + 1, "table=exact");
    return t != NULL;
}

static int model_describe(model *m)
{
    if (m->type == MT_FTRL) {
        growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
        int rc = growth_ftrl_stats_get(m->ftrl, &st);
        m->exact = model_exact(m);
        m->bits = m->exact ? 32u : (unsigned)st.bits;
        m->heads = (size_t)st.heads;
        m->train_threads = model_threads(m);
        return rc;
    }
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    int rc = growth_fm_stats_get(m->fm, &st);
    m->exact = model_exact(m);
    m->bits = m->exact ? 32u : (unsigned)st.bits;
    m->heads = (size_t)st.heads;
    m->fields = (size_t)st.fields;
    m->train_threads = model_threads(m);
    return rc;
}

/* Loads PATH as the model type wanted (-1: whatever it holds). Returns 0, or an exit code. */
static int model_load(model *m, const char *path, int want, const char *cmd)
{
    int kind = 0;
    uint32_t ver = 0;
    memset(m, 0, sizeof *m);
    int rc = growth_model_kind(path, &kind, &ver);
    if (rc != GROWTH_OK) return cli_fail(cmd, rc);
    int type = kind == GROWTH_KIND_FTRL || kind == GROWTH_KIND_FTRL_WEIGHTS ? MT_FTRL
               : kind == GROWTH_KIND_FM                                     ? MT_FM
                                                                            : -1;
    if (type < 0 || (want >= 0 && (want == MT_FTRL) != (type == MT_FTRL))) {
        fprintf(stderr, "growth %s: %s holds a %s model, not %s\n", cmd, path, growth_model_kind_name(kind),
                want >= 0 ? mt_names[want] : "an ftrl, fm or ffm model");
        return CLI_EXIT_USAGE;
    }
    if (type == MT_FTRL) {
        if ((rc = growth_ftrl_load(&m->ftrl, path)) != GROWTH_OK) return cli_fail(cmd, rc);
        if (kind == GROWTH_KIND_FTRL_WEIGHTS && !strcmp(cmd, "train"))
            fprintf(stderr,
                    "growth train: %s holds exported weights only: training restarts the "
                    "per-coordinate learning rates\n",
                    path);
    } else {
        if ((rc = growth_fm_load(&m->fm, path)) != GROWTH_OK) return cli_fail(cmd, rc);
        char cfg[4096];
        growth_fm_config(m->fm, cfg, sizeof cfg, NULL);
        type = strstr(cfg, "model=ffm") ? MT_FFM : MT_FM;
        if (want >= 0 && want != type) {
            fprintf(stderr, "growth %s: %s holds a model=%s model, not %s\n", cmd, path, mt_names[type],
                    mt_names[want]);
            model_free(m);
            return CLI_EXIT_USAGE;
        }
    }
    m->type = type;
    if ((rc = model_describe(m)) != GROWTH_OK) return cli_fail(cmd, rc);
    return 0;
}

static int model_create(model *m, const topts *o, size_t nfields)
{
    memset(m, 0, sizeof *m);
    m->type = o->model_type;
    const char *ucfg = o->config ? o->config : "";
    int rc;
    /* --train-threads N: the model's `threads` key (a repeated key in --config is an error) */
    size_t cap = strlen(ucfg) + 96;
    char *cfg = malloc(cap), *full = malloc(cap);
    if (!cfg || !full) {
        free(cfg);
        free(full);
        return cli_fail("train", GROWTH_ENOMEM);
    }
    if (o->train_threads)
        snprintf(cfg, cap, "threads=%d %s", o->train_threads, ucfg);
    else
        snprintf(cfg, cap, "%s", ucfg);
    if (m->type == MT_FTRL) {
        rc = growth_ftrl_create(&m->ftrl, cfg);
    } else {
        if (m->type == MT_FFM && nfields > 0 && !strstr(cfg, "fields="))
            snprintf(full, cap, "model=ffm fields=%zu %s", nfields, cfg);
        else
            snprintf(full, cap, "model=%s %s", mt_names[m->type], cfg);
        rc = growth_fm_create(&m->fm, full);
    }
    free(cfg);
    free(full);
    if (rc != GROWTH_OK) return cli_fail("train", rc);
    if ((rc = model_describe(m)) != GROWTH_OK) return cli_fail("train", rc);
    return 0;
}

/* ---- training: progressive validation, holdout, checkpoints, progress ---------------------- */

static void acc_add(lossacc *a, float p, float y, float w)
{
    double q = p < 1e-15f ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : (double)p;
    a->loss += w * -(y > 0.5f ? log(q) : log1p(-q));
    a->wsum += w;
    a->n++;
    size_t bin = (size_t)(p * AUC_BINS);
    if (bin >= AUC_BINS) bin = AUC_BINS - 1;
    (y > 0.5f ? a->pos : a->neg)[bin] += w;
}

/* AUC from the histogram: pairs in one bin count as ties (half). */
static double acc_auc(const lossacc *a)
{
    double P = 0, N = 0, s = 0;
    for (size_t i = 0; i < AUC_BINS; i++) {
        s += a->pos[i] * (N + 0.5 * a->neg[i]);
        P += a->pos[i];
        N += a->neg[i];
    }
    return P > 0 && N > 0 ? s / (P * N) : NAN;
}

static double acc_loss(const lossacc *a) { return a->wsum > 0 ? a->loss / a->wsum : NAN; }

static void progress_line(pipeline *pl)
{
    double el = now_s() - pl->t0;
    fprintf(stderr, "growth train: %llu examples, %.0f examples/s, progressive logloss %.6f AUC %.5f",
            (unsigned long long)pl->examples, el > 0 ? pl->examples / el : 0.0, acc_loss(&pl->prog),
            acc_auc(&pl->prog));
    if (pl->held)
        fprintf(stderr, ", holdout logloss %.6f AUC %.5f (%llu)", acc_loss(&pl->hold), acc_auc(&pl->hold),
                (unsigned long long)pl->held);
    fputc('\n', stderr);
}

static int save_model(pipeline *pl)
{
    double t = now_s();
    int rc = model_save(&pl->m, pl->o->model);
    pl->train_s += now_s() - t;
    if (rc != GROWTH_OK) {
        pl->status = cli_fail("train: saving the model", rc);
        return -1;
    }
    return 0;
}

static int train_batch(pipeline *pl, batch *b)
{
    const topts *o = pl->o;
    size_t n = b->nrows;
    if (pl->pred_cap < n) {
        free(pl->pred);
        pl->pred = malloc(BATCH_ROWS * sizeof *pl->pred);
        if (!pl->pred) return pl->status = cli_fail("train", GROWTH_ENOMEM), -1;
        pl->pred_cap = BATCH_ROWS;
    }
    double t = now_s();
    for (size_t r = 0; r < n;) {
        int rc;
        if (b->flag[r] & ROW_HOLDOUT) {
            if ((rc = model_predict(&pl->m, b, r, 1, 0, pl->pred + r, 1)) != GROWTH_OK) goto fail;
            acc_add(&pl->hold, pl->pred[r], b->label[r], b->weight[r]);
            pl->held++;
            r++;
            continue;
        }
        size_t e = r;
        while (e < n && !(b->flag[e] & ROW_HOLDOUT)) e++;
        if (o->checkpoint) {
            uint64_t left = o->checkpoint - pl->trained % o->checkpoint;
            if (e - r > left) e = r + (size_t)left;
        }
        if ((rc = model_update(&pl->m, b, r, e - r, pl->pred + r)) != GROWTH_OK) goto fail;
        for (size_t i = r; i < e; i++) acc_add(&pl->prog, pl->pred[i], b->label[i], b->weight[i]);
        pl->trained += e - r;
        r = e;
        if (o->checkpoint && o->model && pl->trained % o->checkpoint == 0) {
            pl->train_s += now_s() - t;
            if (save_model(pl)) return -1;
            t = now_s();
        }
        continue;
    fail:
        pl->train_s += now_s() - t;
        pl->status = cli_fail("train", rc);
        return -1;
    }
    pl->train_s += now_s() - t;
    pl->examples += n;
    if (o->progress_every && pl->examples >= pl->next_progress) {
        progress_line(pl);
        while (pl->next_progress <= pl->examples) pl->next_progress += o->progress_every;
    }
    return 0;
}

static int predict_batch(pipeline *pl, batch *b)
{
    size_t n = b->nrows, h = pl->m.heads;
    if (pl->pred_cap < (size_t)BATCH_ROWS * h) {
        free(pl->pred);
        pl->pred = malloc((size_t)BATCH_ROWS * h * sizeof *pl->pred);
        if (!pl->pred) return pl->status = cli_fail("predict", GROWTH_ENOMEM), -1;
        pl->pred_cap = (size_t)BATCH_ROWS * h;
    }
    double t = now_s();
    int rc = model_predict(&pl->m, b, 0, n, pl->o->margin ? GROWTH_PREDICT_MARGIN : 0, pl->pred, n * h);
    pl->train_s += now_s() - t;
    if (rc != GROWTH_OK) return pl->status = cli_fail("predict", rc), -1;
    for (size_t r = 0; r < n; r++) {
        for (size_t k = 0; k < h; k++) {
            if (k) fputc(' ', pl->out);
            if (b->flag[r] & ROW_BAD)
                fputs("nan", pl->out);
            else
                fprintf(pl->out, "%.9g", pl->pred[r * h + k]);
        }
        fputc('\n', pl->out);
    }
    pl->examples += n;
    if (ferror(pl->out)) {
        fprintf(stderr, "growth predict: cannot write the output: %s\n", strerror(errno));
        pl->status = CLI_EXIT_FAILED;
        return -1;
    }
    return 0;
}

static int consume(pipeline *pl, batch *b)
{
    return pl->o->predict ? predict_batch(pl, b) : train_batch(pl, b);
}

/* Runs the parser and the trainer; returns the exit code so far (0 when all input went through). */
static int run_pipeline(pipeline *pl)
{
    pl->threaded = pl->o->threads > 1;
    pl->nbatches = pl->threaded ? QUEUE_BATCHES : 1;
    for (size_t i = 0; i < pl->nbatches; i++)
        if (batch_init(&pl->batches[i])) return cli_fail(pl->o->predict ? "predict" : "train", GROWTH_ENOMEM);
    pl->t0 = now_s();
    pl->cpu0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    if (!pl->threaded) {
        parse_all(pl);
        return pl->status;
    }
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv_free, NULL);
    pthread_cond_init(&pl->cv_full, NULL);
    for (size_t i = 0; i < pl->nbatches; i++) ring_push(&pl->freeq, &pl->batches[i]);
    pthread_t th;
    if (pthread_create(&th, NULL, parse_all, pl) != 0) {
        fprintf(stderr, "growth: cannot start the parser thread\n");
        return CLI_EXIT_FAILED;
    }
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (pl->fullq.n == 0) pthread_cond_wait(&pl->cv_full, &pl->mu);
        batch *b = ring_pop(&pl->fullq);
        pthread_mutex_unlock(&pl->mu);
        int end = b->end, rc = end ? 0 : consume(pl, b);
        if (end < 0) pl->status = CLI_EXIT_USAGE;
        pthread_mutex_lock(&pl->mu);
        if (rc) pl->stop = 1;
        ring_push(&pl->freeq, b);
        pthread_cond_broadcast(&pl->cv_free);
        pthread_mutex_unlock(&pl->mu);
        if (end || rc) break;
    }
    pthread_join(th, NULL);
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv_free);
    pthread_cond_destroy(&pl->cv_full);
    return pl->status;
}

/* ---- options ---------------------------------------------------------------------------- */

static void train_usage(FILE *f)
{
    fprintf(
        f,
        "usage: growth train [--format auto|vw|libffm|libsvm|csv] [--model-type ftrl|fm|ffm]\n"
        "                    [--config \"key=value ...\"] [--passes N] [--holdout-every N]\n"
        "                    [--model OUT] [--checkpoint N] [--resume IN] [--strict] [--threads 1|2]\n"
        "                    [--train-threads N] [--fields a,b,c] [--hash-seed S] [--progress-every N]\n"
        "                    [--csv-label COL] [--csv-weight COL] [--csv-features a,b] [--csv-numeric x,y]\n"
        "                    [FILE ...]\n\n"
        "Trains a model online on the examples of the FILEs (standard input when none or '-'), in order,\n"
        "plain text or gzip (detected by its magic bytes). Formats (--format auto, the default, tells\n"
        "them apart by each file's first line):\n"
        "  vw      VW text: 'label [importance] ['tag]|ns[:w] feature[:value] ... |ns2 ...'; labels 1/-1\n"
        "          or 1/0; a feature's slot is growth_features_hash(namespace, feature) with the\n"
        "          --hash-seed at the model's bits, its value the given one (or 1) times the namespace's\n"
        "          weight. For ffm, --fields ns1,ns2,... gives the fields (field id = position).\n"
        "          A table=exact model gets the full 64-bit key of each feature instead of its slot\n"
        "          (growth_features_key: values whose slots collide stay apart).\n"
        "  libffm  'label field:feature:value ...' (integers): slot = feature, field = field.\n"
        "  libsvm  'label index:value ...': slot = index.\n"
        "  csv     a header row, then rows; --csv-label (default 'label', 0/1 or 1/-1), --csv-weight\n"
        "          (importance weights), --csv-numeric columns (slot of the column name, the number as\n"
        "          value), --csv-features categorical columns (slot of (column, cell); default: every\n"
        "          other column). Empty cells are missing features; ffm fields: --fields or the\n"
        "          order categorical then numeric columns.\n"
        "Models: --model-type ftrl (default; --config keys as growth_ftrl_create), fm or ffm (keys as\n"
        "growth_fm_create; ffm gets fields=N from --fields unless --config sets it). One label per\n"
        "example: the model must have one head.\n"
        "Training: each example is scored before it is trained on (progressive validation);\n"
        "--holdout-every N holds out the Nth, 2Nth ... example of every pass (scored, never trained on;\n"
        "the same examples in every pass). --passes N reads the files N times (not standard input).\n"
        "Progress on stderr every --progress-every examples (default 1000000, 0: none): examples/s,\n"
        "logloss and AUC so far (weighted by importance; the AUC from a 65536-bin histogram of the\n"
        "probabilities, ties within a bin counted half), then a summary with the parse/train split.\n"
        "--model OUT saves the model at the end and, with --checkpoint N, after every N trained\n"
        "examples (saves are atomic: a killed run leaves the last one intact). --resume IN continues\n"
        "training the model in IN (its kind must match --model-type, which defaults to IN's kind):\n"
        "training file A then resuming on file B equals training A and B in one run.\n"
        "--threads 2 (default) parses (and inflates gzip) on a thread of its own; 1 parses and trains\n"
        "in turn. --train-threads N (default: the model's `threads` key, 1) trains each batch on N\n"
        "threads at once, Hogwild-style (lock-free; FTRL with table=hashed and FM/FFM with\n"
        "precision=float): faster on several cores, the same loss within noise, not bit-identical to\n"
        "one thread. --threads 2 --train-threads 2 keeps two cores busy.\n"
        "Malformed lines are reported as FILE:LINE and skipped (the first 20 shown, all counted);\n"
        "with --strict the first one stops the run (exit 2).\n");
}

static void predict_usage(FILE *f)
{
    fprintf(f, "usage: growth predict --model IN [--format auto|vw|libffm|libsvm|csv] [--margin]\n"
               "                      [--fields a,b,c] [--hash-seed S] [--threads 1|2] [--strict]\n"
               "                      [--csv-features a,b] [--csv-numeric x,y] [--csv-label COL]\n"
               "                      [--csv-weight COL] [FILE ...]\n\n"
               "Writes one line per example to standard output: the probability of every head\n"
               "(space-separated), or with --margin the margins. Input as for 'growth train' (labels\n"
               "are read but not needed; --fields, --hash-seed and the CSV options must be those of\n"
               "training). A malformed line prints 'nan' (and is reported), so output line i is\n"
               "input example i; with --strict it stops the run (exit 2).\n");
}

static int parse_u64_opt(const char *cmd, const char *name, const char *s, uint64_t min, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!s[0] || *end || errno || s[0] == '-' || v < min) {
        fprintf(stderr, "growth %s: %s: '%s' is not an integer >= %llu\n", cmd, name, s,
                (unsigned long long)min);
        return -1;
    }
    *out = v;
    return 0;
}

static int pick(const char *cmd, const char *name, const char *s, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    fprintf(stderr, "growth %s: %s: unknown value '%s'\n", cmd, name, s);
    return -1;
}

/* Returns 0, 1 for --help, -1 on a usage error (printed). */
static int parse_topts(int argc, char **argv, topts *o)
{
    const char *cmd = o->predict ? "predict" : "train";
    o->passes = 1;
    o->threads = 2;
    o->progress_every = 1000000;
    o->csv_label = "label";
    o->files = calloc((size_t)argc + 1, sizeof *o->files);
    if (!o->files) return -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
        if (!strcmp(a, "--strict")) {
            o->strict = 1;
            continue;
        }
        if (o->predict && !strcmp(a, "--margin")) {
            o->margin = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || !strcmp(a, "-")) {
            o->files[o->nfiles++] = a;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "growth %s: %s needs a value (or is unknown)\n", cmd, a);
            return -1;
        }
        const char *v = argv[++i];
        uint64_t u = 0;
        int k = 0, bad = 0;
        if (!strcmp(a, "--format"))
            bad = pick(cmd, a, v, fmt_names, 5, &o->format);
        else if (!strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--fields"))
            o->fields = v;
        else if (!strcmp(a, "--hash-seed"))
            bad = parse_u64_opt(cmd, a, v, 0, &o->hash_seed);
        else if (!strcmp(a, "--threads")) {
            bad = parse_u64_opt(cmd, a, v, 1, &u) || u > 2;
            if (u > 2) fprintf(stderr, "growth %s: --threads is 1 or 2\n", cmd);
            o->threads = (int)u;
        } else if (!strcmp(a, "--csv-label"))
            o->csv_label = v;
        else if (!strcmp(a, "--csv-weight"))
            o->csv_weight = v;
        else if (!strcmp(a, "--csv-features"))
            o->csv_features = v;
        else if (!strcmp(a, "--csv-numeric"))
            o->csv_numeric = v;
        else if (o->predict) {
            fprintf(stderr, "growth predict: unknown option %s\n", a);
            return -1;
        } else if (!strcmp(a, "--model-type")) {
            bad = pick(cmd, a, v, mt_names, 3, &k);
            o->model_type = k;
            o->model_type_set = 1;
        } else if (!strcmp(a, "--config"))
            o->config = v;
        else if (!strcmp(a, "--train-threads")) {
            bad = parse_u64_opt(cmd, a, v, 1, &u) || u > 64;
            if (u > 64) fprintf(stderr, "growth %s: --train-threads is 1 to 64\n", cmd);
            o->train_threads = (int)u;
        } else if (!strcmp(a, "--passes"))
            bad = parse_u64_opt(cmd, a, v, 1, &o->passes);
        else if (!strcmp(a, "--holdout-every"))
            bad = parse_u64_opt(cmd, a, v, 2, &o->holdout_every);
        else if (!strcmp(a, "--checkpoint"))
            bad = parse_u64_opt(cmd, a, v, 1, &o->checkpoint);
        else if (!strcmp(a, "--progress-every"))
            bad = parse_u64_opt(cmd, a, v, 0, &o->progress_every);
        else if (!strcmp(a, "--resume"))
            o->resume = v;
        else {
            fprintf(stderr, "growth train: unknown option %s\n", a);
            return -1;
        }
        if (bad) return -1;
    }
    if (o->nfiles == 0) o->files[o->nfiles++] = "-";
    int n_stdin = 0;
    for (int i = 0; i < o->nfiles; i++) n_stdin += !strcmp(o->files[i], "-");
    if (n_stdin > 1) {
        fprintf(stderr, "growth %s: standard input ('-') can be read once\n", cmd);
        return -1;
    }
    if (o->predict && !o->model) {
        fprintf(stderr, "growth predict: --model IN is required\n");
        return -1;
    }
    if (!o->predict) {
        if (n_stdin && o->passes > 1) {
            fprintf(stderr,
                    "growth train: --passes %llu needs files: standard input cannot be read again "
                    "(save it to a file first)\n",
                    (unsigned long long)o->passes);
            return -1;
        }
        if (o->checkpoint && !o->model) {
            fprintf(stderr, "growth train: --checkpoint needs --model OUT\n");
            return -1;
        }
        if (o->resume && o->config) {
            fprintf(stderr, "growth train: --config makes a new model; a resumed model keeps its own\n");
            return -1;
        }
    }
    return 0;
}

/* ---- the commands ----------------------------------------------------------------------- */

/* The library's key of (field, value) is hash64(value, hash64(field, seed)), its slot the key's top
 * bits (features.h);
 * the parsers compute it with the field's hash cached. Checked here against growth_features_hash; if
 * a library ever differs, the parsers call growth_features_hash instead. */
static int fast_hash_ok(uint64_t seed, unsigned bits)
{
    static const char *const probe[][2] = {
        {"user", "u1"}, {"", "a"}, {"item_category_long_name", "x:y"}, {"n", ""}};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        uint32_t want = 0;
        if (growth_features_hash(probe[i][0], probe[i][1], seed, bits, &want)) return 0;
        uint64_t fh = growth_hash64(probe[i][0], strlen(probe[i][0]), seed);
        uint64_t h = growth_hash64(probe[i][1], strlen(probe[i][1]), fh), key = 0;
        if ((uint32_t)(h >> (64 - bits)) != want) return 0;
        if (growth_features_key(probe[i][0], probe[i][1], seed, &key) || key != h) return 0;
    }
    return 1;
}

static int setup_parser(pipeline *pl, const topts *o, const char *cmd)
{
    parser *p = &pl->p;
    p->o = o;
    p->pl = pl;
    p->bits = pl->m.bits;
    p->slots = (uint64_t)1 << p->bits;
    p->fast_hash = fast_hash_ok(o->hash_seed, p->bits);
    p->want_fld = pl->m.type == MT_FFM;
    p->exact = pl->m.exact;
    p->model_fields = pl->m.fields;
    if (strlist_parse(o->csv_features, &p->csv_feat) || strlist_parse(o->csv_numeric, &p->csv_num))
        return cli_fail(cmd, GROWTH_ENOMEM);
    if (pl->m.heads != 1 && !o->predict) {
        fprintf(stderr, "growth train: the model has %zu heads; the text formats carry one label (heads=1)\n",
                pl->m.heads);
        return CLI_EXIT_USAGE;
    }
    if (p->want_fld && p->fields.n > pl->m.fields) {
        fprintf(stderr, "growth %s: --fields names %zu fields; the model has %zu\n", cmd, p->fields.n,
                pl->m.fields);
        return CLI_EXIT_USAGE;
    }
    if (p->want_fld && (o->format == FMT_VW || o->format == FMT_LIBSVM) && !p->fields.n) {
        fprintf(stderr,
                "growth %s: an ffm model on %s input needs --fields (the namespaces in field order)\n", cmd,
                fmt_names[o->format]);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static void pipeline_free(pipeline *pl)
{
    for (size_t i = 0; i < pl->nbatches; i++) batch_free(&pl->batches[i]);
    csv_reset(&pl->p);
    strlist_free(&pl->p.fields);
    strlist_free(&pl->p.csv_feat);
    strlist_free(&pl->p.csv_num);
    free(pl->p.scratch);
    free(pl->pred);
    free(pl->prog.pos);
    free(pl->prog.neg);
    free(pl->hold.pos);
    free(pl->hold.neg);
    model_free(&pl->m);
}

int cli_train(int argc, char **argv)
{
    topts o;
    memset(&o, 0, sizeof o);
    int pr = parse_topts(argc, argv, &o);
    if (pr) {
        train_usage(pr > 0 ? stdout : stderr);
        free(o.files);
        return pr > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    pipeline *pl = calloc(1, sizeof *pl);
    int rc = CLI_EXIT_FAILED;
    if (!pl) goto out;
    pl->o = &o;
    if (strlist_parse(o.fields, &pl->p.fields)) goto out;
    if (pl->p.fields.n > MAX_FIELDS) {
        fprintf(stderr, "growth train: --fields names more than %d fields\n", MAX_FIELDS);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    rc = o.resume ? model_load(&pl->m, o.resume, o.model_type_set ? o.model_type : -1, "train")
                  : model_create(&pl->m, &o, pl->p.fields.n);
    if (rc) goto out;
    if (o.resume && o.train_threads) { /* the resumed model trains on --train-threads threads */
        char set[32];
        snprintf(set, sizeof set, "threads=%d", o.train_threads);
        int lrc = pl->m.type == MT_FTRL ? growth_ftrl_set_config(pl->m.ftrl, set)
                                        : growth_fm_set_config(pl->m.fm, set);
        if (lrc != GROWTH_OK) {
            rc = cli_fail("train", lrc);
            goto out;
        }
        pl->m.train_threads = o.train_threads;
    }
    if ((rc = setup_parser(pl, &o, "train"))) goto out;
    pl->prog.pos = calloc(AUC_BINS, sizeof(double));
    pl->prog.neg = calloc(AUC_BINS, sizeof(double));
    pl->hold.pos = calloc(AUC_BINS, sizeof(double));
    pl->hold.neg = calloc(AUC_BINS, sizeof(double));
    if (!pl->prog.pos || !pl->prog.neg || !pl->hold.pos || !pl->hold.neg) {
        rc = cli_fail("train", GROWTH_ENOMEM);
        goto out;
    }
    pl->next_progress = o.progress_every;
    rc = run_pipeline(pl);
    if (rc == 0 && o.model && save_model(pl)) rc = pl->status;
    double wall = now_s() - pl->t0, cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - pl->cpu0;
    fprintf(stderr,
            "growth train: %s: %llu examples in %llu pass%s: %llu trained, %llu held out, %llu malformed "
            "lines %s\n",
            rc ? "stopped" : "done", (unsigned long long)pl->examples, (unsigned long long)o.passes,
            o.passes > 1 ? "es" : "", (unsigned long long)pl->trained, (unsigned long long)pl->held,
            (unsigned long long)pl->p.bad_lines, o.strict ? "(--strict)" : "skipped");
    fprintf(stderr, "growth train: progressive logloss %.6f AUC %.5f", acc_loss(&pl->prog),
            acc_auc(&pl->prog));
    if (pl->held) fprintf(stderr, "; holdout logloss %.6f AUC %.5f", acc_loss(&pl->hold), acc_auc(&pl->hold));
    fputc('\n', stderr);
    fprintf(stderr,
            "growth train: wall %.3f s, %.0f examples/s; parse %.3f s, train %.3f s (%d thread%s: %s; %d "
            "training "
            "thread%s)\n",
            wall, wall > 0 ? pl->examples / wall : 0.0, pl->p.parse_s, pl->train_s, o.threads,
            o.threads > 1 ? "s" : "",
            o.threads > 1 ? "parser and trainer overlap" : "parse and train in turn", pl->m.train_threads,
            pl->m.train_threads > 1 ? "s" : "");
    if (o.threads > 1)
        fprintf(
            stderr,
            "growth train: CPU %.3f s, %.0f examples per CPU second; parser thread %.3f s, training %.3f s\n",
            cpu, cpu > 0 ? pl->examples / cpu : 0.0, pl->p.parse_cpu, cpu - pl->p.parse_cpu);
    else
        fprintf(stderr, "growth train: CPU %.3f s, %.0f examples per CPU second\n", cpu,
                cpu > 0 ? pl->examples / cpu : 0.0);
    if (rc == 0 && o.model) fprintf(stderr, "growth train: saved %s (%s)\n", o.model, mt_names[pl->m.type]);
out:
    if (pl) pipeline_free(pl);
    free(pl);
    free(o.files);
    return rc;
}

int cli_predict(int argc, char **argv)
{
    topts o;
    memset(&o, 0, sizeof o);
    o.predict = 1;
    int pr = parse_topts(argc, argv, &o);
    if (pr) {
        predict_usage(pr > 0 ? stdout : stderr);
        free(o.files);
        return pr > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    pipeline *pl = calloc(1, sizeof *pl);
    int rc = CLI_EXIT_FAILED;
    if (!pl) goto out;
    pl->o = &o;
    pl->out = stdout;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    if (strlist_parse(o.fields, &pl->p.fields)) goto out;
    if ((rc = model_load(&pl->m, o.model, -1, "predict"))) goto out;
    if ((rc = setup_parser(pl, &o, "predict"))) goto out;
    rc = run_pipeline(pl);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "growth predict: cannot write the output: %s\n", strerror(errno));
        rc = CLI_EXIT_FAILED;
    }
    if (pl->p.bad_lines)
        fprintf(stderr, "growth predict: %llu malformed lines (written as nan)\n",
                (unsigned long long)pl->p.bad_lines);
out:
    if (pl) pipeline_free(pl);
    free(pl);
    free(o.files);
    return rc;
}
