/* Bounded, non-recursive JSON / UBJSON reader (see fjson.h). */
#include "fjson.h"
#include "core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fail(fj_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return false;
}

void fj_free(fj_doc *d)
{
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}

static bool doc_init(fj_doc *d, const uint8_t *buf, size_t len)
{
    memset(d, 0, sizeof *d);
    d->buf = buf;
    d->len = len;
    if (len == 0) return fail(d, "empty document");
    if (len > FJ_MAX_INPUT) return fail(d, "document of %zu bytes is too large", len);
    return true;
}

/* Parser state shared by both syntaxes: the open containers and their last children. */
typedef struct {
    uint32_t node[FJ_MAX_DEPTH];
    uint32_t last[FJ_MAX_DEPTH];
    int64_t remaining[FJ_MAX_DEPTH]; /* UBJSON counted containers: elements left; -1 otherwise */
    int depth;
    uint32_t key_off, key_len;
} fj_stack;

static uint32_t add(fj_doc *d, fj_stack *st, uint8_t type)
{
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 1024;
        if (ncap > UINT32_MAX - 1) ncap = UINT32_MAX - 1;
        if (ncap <= d->n) return FJ_NONE;
        fj_val *nv = realloc(d->v, ncap * sizeof *nv);
        if (!nv) return FJ_NONE;
        d->v = nv;
        d->cap = ncap;
    }
    uint32_t i = (uint32_t)d->n++;
    fj_val *v = &d->v[i];
    memset(v, 0, sizeof *v);
    v->type = type;
    v->key_off = st->key_off;
    v->key_len = st->key_len;
    st->key_off = st->key_len = 0;
    if (st->depth > 0) {
        int t = st->depth - 1;
        fj_val *p = &d->v[st->node[t]];
        if (p->count == UINT32_MAX) return FJ_NONE;
        if (p->count == 0)
            p->first = i;
        else
            d->v[st->last[t]].next = i;
        p->count++;
        st->last[t] = i;
    }
    return i;
}

static bool push(fj_doc *d, fj_stack *st, uint32_t node, int64_t remaining)
{
    if (st->depth >= FJ_MAX_DEPTH) return fail(d, "nesting deeper than %d", FJ_MAX_DEPTH);
    st->node[st->depth] = node;
    st->last[st->depth] = 0;
    st->remaining[st->depth] = remaining;
    st->depth++;
    return true;
}

/* No object may repeat a key: xgboost keeps the last value of a repeated key and this reader
 * the first, so a model with repeated keys would be validated here and loaded differently there
 * (a fuzzed model with two "id"s in one tree crashed xgboost's saver). JSON keys must also be
 * unescaped (xgboost writes none), so two spellings of one key cannot slip through. */
typedef struct {
    uint64_t h;
    uint32_t node;
} key_ref;

static int cmp_key_ref(const void *a, const void *b)
{
    uint64_t x = ((const key_ref *)a)->h, y = ((const key_ref *)b)->h;
    return (x > y) - (x < y);
}

static bool same_key(const fj_doc *d, uint32_t a, uint32_t b)
{
    return d->v[a].key_len == d->v[b].key_len &&
           memcmp(d->buf + d->v[a].key_off, d->buf + d->v[b].key_off, d->v[a].key_len) == 0;
}

static bool unique_keys(fj_doc *d, bool json)
{
    key_ref small[16], *refs = NULL;
    for (size_t o = 0; o < d->n; o++) {
        if (d->v[o].type != FJ_OBJ || d->v[o].count == 0) continue;
        uint32_t k = d->v[o].count;
        key_ref *r = small;
        if (k > 16) {
            free(refs);
            if (!(refs = malloc((size_t)k * sizeof *refs))) return fail(d, "out of memory");
            r = refs;
        }
        uint32_t c = d->v[o].first;
        for (uint32_t i = 0; i < k; i++, c = d->v[c].next) {
            const uint8_t *key = d->buf + d->v[c].key_off;
            if (json && memchr(key, '\\', d->v[c].key_len)) {
                free(refs);
                return fail(d, "an object key has an escape sequence");
            }
            r[i].h = growth_hash64(key, d->v[c].key_len, 0);
            r[i].node = c;
        }
        qsort(r, k, sizeof *r, cmp_key_ref);
        for (uint32_t i = 1; i < k; i++)
            for (uint32_t j = i; j > 0 && r[j - 1].h == r[i].h; j--)
                if (same_key(d, r[j - 1].node, r[i].node)) {
                    free(refs);
                    return fail(d, "an object repeats a key");
                }
    }
    free(refs);
    return true;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static size_t skip_ws(const uint8_t *s, size_t n, size_t p)
{
    while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) p++;
    return p;
}

/* Scans a string starting at the opening quote; on success *end is past the closing quote. */
static bool scan_string(fj_doc *d, size_t p, size_t *end)
{
    const uint8_t *s = d->buf;
    for (size_t i = p + 1; i < d->len; i++) {
        if (s[i] == '"') {
            *end = i + 1;
            return true;
        }
        if (s[i] == '\\') {
            if (++i >= d->len) break;
            continue;
        }
        if (s[i] < 0x20) return fail(d, "control character in a string at byte %zu", i);
    }
    return fail(d, "unterminated string starting at byte %zu", p);
}

static bool parse_num_text(const char *txt, size_t n, double *out)
{
    char tmp[80];
    if (n == 0 || n >= sizeof tmp) return false;
    memcpy(tmp, txt, n);
    tmp[n] = 0;
    char *e = NULL;
    double v = gstrtod(tmp, &e); /* "." whatever the process's locale */
    if (e != tmp + n) return false;
    *out = v;
    return true;
}

static bool json_number(fj_doc *d, size_t p, size_t *end, double *out)
{
    const uint8_t *s = d->buf;
    size_t i = p, n = d->len;
    if (i < n && s[i] == '-') i++;
    size_t digits = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == digits) {
        /* xgboost writes NaN / Infinity for non-finite values */
        static const char *words[] = {"NaN", "Infinity"};
        for (int w = 0; w < 2; w++) {
            size_t wl = strlen(words[w]);
            if (n - i >= wl && memcmp(s + i, words[w], wl) == 0) {
                *out = w == 0 ? NAN : (s[p] == '-' ? -INFINITY : INFINITY);
                *end = i + wl;
                return true;
            }
        }
        return fail(d, "unexpected character at byte %zu", p);
    }
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == f) return fail(d, "bad number at byte %zu", p);
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == e) return fail(d, "bad number at byte %zu", p);
    }
    if (!parse_num_text((const char *)s + p, i - p, out)) return fail(d, "bad number at byte %zu", p);
    *end = i;
    return true;
}

bool fj_parse_json(fj_doc *d, const uint8_t *buf, size_t len)
{
    if (!doc_init(d, buf, len)) return false;
    const uint8_t *s = buf;
    fj_stack st;
    memset(&st, 0, sizeof st);
    size_t p = skip_ws(s, len, 0);
    for (;;) {
        /* --- a value is expected (preceded by a key inside an object) --- */
        if (st.depth > 0 && d->v[st.node[st.depth - 1]].type == FJ_OBJ) {
            p = skip_ws(s, len, p);
            if (p >= len || s[p] != '"') return fail(d, "expected a key at byte %zu", p);
            size_t e = 0;
            if (!scan_string(d, p, &e)) return false;
            st.key_off = (uint32_t)(p + 1);
            st.key_len = (uint32_t)(e - p - 2);
            p = skip_ws(s, len, e);
            if (p >= len || s[p] != ':') return fail(d, "expected ':' at byte %zu", p);
            p++;
        }
        p = skip_ws(s, len, p);
        if (p >= len) return fail(d, "truncated document");
        uint8_t c = s[p];
        uint32_t i;
        if (c == '{' || c == '[') {
            i = add(d, &st, c == '{' ? FJ_OBJ : FJ_ARR);
            if (i == FJ_NONE) return fail(d, "out of memory");
            if (!push(d, &st, i, -1)) return false;
            p = skip_ws(s, len, p + 1);
            if (p < len && s[p] == (c == '{' ? '}' : ']')) {
                st.depth--;
                p++;
            } else {
                continue;
            }
        } else if (c == '"') {
            size_t e = 0;
            if (!scan_string(d, p, &e)) return false;
            if ((i = add(d, &st, FJ_STR)) == FJ_NONE) return fail(d, "out of memory");
            d->v[i].first = (uint32_t)(p + 1);
            d->v[i].count = (uint32_t)(e - p - 2);
            p = e;
        } else if (c == 't' || c == 'f' || c == 'n') {
            const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
            size_t wl = strlen(w);
            if (len - p < wl || memcmp(s + p, w, wl) != 0)
                return fail(d, "unexpected character at byte %zu", p);
            if ((i = add(d, &st, c == 'n' ? FJ_NULL : FJ_BOOL)) == FJ_NONE) return fail(d, "out of memory");
            d->v[i].num = c == 't';
            p += wl;
        } else {
            double v = 0;
            size_t e = 0;
            if (!json_number(d, p, &e, &v)) return false;
            if ((i = add(d, &st, FJ_NUM)) == FJ_NONE) return fail(d, "out of memory");
            d->v[i].num = v;
            p = e;
        }
        /* --- after a value: a separator, closing brackets, or the end --- */
        for (;;) {
            p = skip_ws(s, len, p);
            if (st.depth == 0) {
                if (p != len) return fail(d, "extra bytes after the document at byte %zu", p);
                return unique_keys(d, true);
            }
            if (p >= len) return fail(d, "truncated document");
            uint8_t close = d->v[st.node[st.depth - 1]].type == FJ_OBJ ? '}' : ']';
            if (s[p] == ',') {
                p++;
                break;
            }
            if (s[p] != close) return fail(d, "expected ',' or '%c' at byte %zu", close, p);
            st.depth--;
            p++;
        }
    }
}

/* ---- UBJSON ------------------------------------------------------------------------------ */

static int elem_size(uint8_t m)
{
    switch (m) {
    case 'i':
    case 'U':
    case 'C': return 1;
    case 'I': return 2;
    case 'l':
    case 'd': return 4;
    case 'L':
    case 'D': return 8;
    default: return 0;
    }
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

static double decode(uint8_t m, const uint8_t *p)
{
    switch (m) {
    case 'i': return (double)(int8_t)p[0];
    case 'U':
    case 'C': return (double)p[0];
    case 'I': return (double)(int16_t)(uint16_t)be(p, 2);
    case 'l': return (double)(int32_t)(uint32_t)be(p, 4);
    case 'L': return (double)(int64_t)be(p, 8);
    case 'd': {
        uint32_t u = (uint32_t)be(p, 4);
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    case 'D': {
        uint64_t u = be(p, 8);
        double f;
        memcpy(&f, &u, 8);
        return f;
    }
    default: return NAN;
    }
}

/* A length: an integer marker and value, >= 0 and at most `limit`. */
static bool ub_length(fj_doc *d, size_t *p, uint64_t limit, uint64_t *out)
{
    if (*p >= d->len) return fail(d, "truncated length");
    uint8_t m = d->buf[*p];
    int sz = elem_size(m);
    if (sz == 0 || m == 'd' || m == 'D' || m == 'C')
        return fail(d, "bad length marker 0x%02x at byte %zu", m, *p);
    if (d->len - *p - 1 < (size_t)sz) return fail(d, "truncated length");
    double v = decode(m, d->buf + *p + 1);
    if (v < 0 || v > (double)limit) return fail(d, "length %.0f at byte %zu out of range", v, *p);
    *out = (uint64_t)v;
    *p += 1 + (size_t)sz;
    return true;
}

bool fj_parse_ubjson(fj_doc *d, const uint8_t *buf, size_t len)
{
    if (!doc_init(d, buf, len)) return false;
    const uint8_t *s = buf;
    fj_stack st;
    memset(&st, 0, sizeof st);
    size_t p = 0;
    for (;;) {
        /* end of containers: counted ones when their count is used up, others at '}' / ']' */
        while (st.depth > 0) {
            int t = st.depth - 1;
            if (st.remaining[t] == 0) {
                st.depth--;
                continue;
            }
            if (st.remaining[t] < 0) {
                while (p < len && s[p] == 'N') p++;
                if (p >= len) return fail(d, "truncated document");
                uint8_t close = d->v[st.node[t]].type == FJ_OBJ ? '}' : ']';
                if (s[p] == close) {
                    st.depth--;
                    p++;
                    continue;
                }
            }
            break;
        }
        if (st.depth == 0 && d->n > 0) {
            if (p != len) return fail(d, "extra bytes after the document at byte %zu", p);
            return unique_keys(d, false);
        }
        if (st.depth > 0) {
            int t = st.depth - 1;
            if (st.remaining[t] > 0) st.remaining[t]--;
            if (d->v[st.node[t]].type == FJ_OBJ) {
                uint64_t kl;
                if (!ub_length(d, &p, len, &kl)) return false;
                if (len - p < kl) return fail(d, "truncated key");
                st.key_off = (uint32_t)p;
                st.key_len = (uint32_t)kl;
                p += (size_t)kl;
            }
        }
        while (p < len && s[p] == 'N') p++;
        if (p >= len) return fail(d, "truncated document");
        uint8_t m = s[p++];
        uint32_t i;
        if (m == '{' || m == '[') {
            i = add(d, &st, m == '{' ? FJ_OBJ : FJ_ARR);
            if (i == FJ_NONE) return fail(d, "out of memory");
            uint8_t et = 0;
            int64_t count = -1;
            if (p < len && s[p] == '$') {
                if (p + 1 >= len) return fail(d, "truncated container type");
                et = s[p + 1];
                p += 2;
                if (p >= len || s[p] != '#') return fail(d, "typed container without a count at byte %zu", p);
            }
            if (p < len && s[p] == '#') {
                p++;
                uint64_t c;
                if (!ub_length(d, &p, UINT32_MAX - 1, &c)) return false;
                count = (int64_t)c;
            }
            if (et) {
                int sz = elem_size(et);
                if (m != '[' || sz == 0 || et == 'C')
                    return fail(d, "unsupported typed container '%c' at byte %zu", et, p);
                if ((uint64_t)count > (len - p) / (size_t)sz) return fail(d, "truncated typed array");
                d->v[i].type = FJ_TARR;
                d->v[i].etype = et;
                d->v[i].first = (uint32_t)p;
                d->v[i].count = (uint32_t)count;
                p += (size_t)count * (size_t)sz;
            } else {
                if (count > (int64_t)(len - p)) return fail(d, "container count larger than the document");
                if (!push(d, &st, i, count)) return false;
            }
        } else if (m == 'S' || m == 'H') {
            uint64_t sl;
            if (!ub_length(d, &p, len, &sl)) return false;
            if (len - p < sl) return fail(d, "truncated string");
            if (m == 'S') {
                if ((i = add(d, &st, FJ_STR)) == FJ_NONE) return fail(d, "out of memory");
                d->v[i].first = (uint32_t)p;
                d->v[i].count = (uint32_t)sl;
            } else {
                double v;
                if (!parse_num_text((const char *)s + p, (size_t)sl, &v))
                    return fail(d, "bad high-precision number");
                if ((i = add(d, &st, FJ_NUM)) == FJ_NONE) return fail(d, "out of memory");
                d->v[i].num = v;
            }
            p += (size_t)sl;
        } else if (m == 'Z' || m == 'T' || m == 'F') {
            if ((i = add(d, &st, m == 'Z' ? FJ_NULL : FJ_BOOL)) == FJ_NONE) return fail(d, "out of memory");
            d->v[i].num = m == 'T';
        } else {
            int sz = elem_size(m);
            if (sz == 0) return fail(d, "unknown marker 0x%02x at byte %zu", m, p - 1);
            if (len - p < (size_t)sz) return fail(d, "truncated number");
            if ((i = add(d, &st, m == 'C' ? FJ_STR : FJ_NUM)) == FJ_NONE) return fail(d, "out of memory");
            if (m == 'C') {
                d->v[i].first = (uint32_t)p;
                d->v[i].count = 1;
            } else {
                d->v[i].num = decode(m, s + p);
            }
            p += (size_t)sz;
        }
    }
}

/* ---- access ------------------------------------------------------------------------------ */

bool fj_is(const fj_doc *d, uint32_t v, int type) { return v < d->n && d->v[v].type == type; }

uint32_t fj_get(const fj_doc *d, uint32_t obj, const char *key)
{
    if (!fj_is(d, obj, FJ_OBJ)) return FJ_NONE;
    size_t kl = strlen(key);
    uint32_t c = d->v[obj].first;
    for (uint32_t k = 0; k < d->v[obj].count; k++, c = d->v[c].next) {
        const fj_val *v = &d->v[c];
        if (v->key_len == kl && memcmp(d->buf + v->key_off, key, kl) == 0) return c;
    }
    return FJ_NONE;
}

size_t fj_len(const fj_doc *d, uint32_t arr)
{
    if (fj_is(d, arr, FJ_ARR) || fj_is(d, arr, FJ_TARR)) return d->v[arr].count;
    return 0;
}

bool fj_number(const fj_doc *d, uint32_t v, double *out)
{
    if (v >= d->n) return false;
    const fj_val *x = &d->v[v];
    if (x->type == FJ_NUM || x->type == FJ_BOOL) {
        *out = x->num;
        return true;
    }
    if (x->type == FJ_STR) return parse_num_text((const char *)d->buf + x->first, x->count, out);
    return false;
}

bool fj_string(const fj_doc *d, uint32_t v, const char **s, size_t *n)
{
    if (!fj_is(d, v, FJ_STR)) return false;
    *s = (const char *)d->buf + d->v[v].first;
    *n = d->v[v].count;
    return true;
}

bool fj_string_eq(const fj_doc *d, uint32_t v, const char *s)
{
    const char *p;
    size_t n;
    return fj_string(d, v, &p, &n) && n == strlen(s) && memcmp(p, s, n) == 0;
}

bool fj_numbers(const fj_doc *d, uint32_t arr, double *out, size_t n)
{
    if (fj_len(d, arr) != n) return false;
    const fj_val *a = &d->v[arr];
    if (a->type == FJ_TARR) {
        int sz = elem_size(a->etype);
        for (size_t i = 0; i < n; i++) out[i] = decode(a->etype, d->buf + a->first + i * (size_t)sz);
        return true;
    }
    uint32_t c = a->first;
    for (size_t i = 0; i < n; i++, c = d->v[c].next) {
        const fj_val *x = &d->v[c];
        if (x->type != FJ_NUM && x->type != FJ_BOOL) return false;
        out[i] = x->num;
    }
    return true;
}
