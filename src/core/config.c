#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define GCFG_MAX_LEN 65536

static bool is_sep(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ','; }

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static void list_keys(const gcfg_opt *opts, size_t n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", opts[i].key);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static bool parse_double(const char *s, double *out)
{
    if (*s == 0) return false;
    char *end = NULL;
    errno = 0;
    double v = gstrtod(s, &end);
    if (end == s || *end != 0 || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    return true;
}

static bool parse_int(const char *s, int64_t *out)
{
    if (*s == 0) return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != 0 || errno == ERANGE) return false;
    *out = (int64_t)v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_enum(const char *choices, const char *s, int *out)
{
    int idx = 0;
    size_t slen = strlen(s);
    const char *c = choices;
    while (*c) {
        const char *bar = strchr(c, '|');
        size_t clen = bar ? (size_t)(bar - c) : strlen(c);
        if (clen == slen && strncmp(c, s, clen) == 0) {
            *out = idx;
            return true;
        }
        idx++;
        if (!bar) break;
        c = bar + 1;
    }
    return false;
}

static const char *enum_name(const char *choices, int idx, size_t *len)
{
    const char *c = choices;
    for (int i = 0; i < idx; i++) {
        const char *bar = strchr(c, '|');
        if (!bar) {
            *len = 0;
            return "";
        }
        c = bar + 1;
    }
    const char *bar = strchr(c, '|');
    *len = bar ? (size_t)(bar - c) : strlen(c);
    return c;
}

static int set_value(const char *who, const gcfg_opt *o, const char *val, void *base)
{
    char *field = (char *)base + o->offset;
    switch (o->type) {
    case GCFG_DOUBLE: {
        double v;
        if (!parse_double(val, &v))
            return gerr(GROWTH_EINVAL, "%s: config key '%s': '%s' is not a finite number", who, o->key, val);
        if (v < o->min || v > o->max || (o->min_open && v == o->min))
            return gerr(GROWTH_EINVAL, "%s: config key '%s': %s is outside %s%g, %g]", who, o->key, val,
                        o->min_open ? "(" : "[", o->min, o->max);
        memcpy(field, &v, sizeof v);
        return GROWTH_OK;
    }
    case GCFG_INT: {
        int64_t v;
        if (!parse_int(val, &v))
            return gerr(GROWTH_EINVAL, "%s: config key '%s': '%s' is not an integer", who, o->key, val);
        if ((double)v < o->min || (double)v > o->max || (o->min_open && (double)v == o->min))
            return gerr(GROWTH_EINVAL, "%s: config key '%s': %s is outside %s%.0f, %.0f]", who, o->key, val,
                        o->min_open ? "(" : "[", o->min, o->max);
        memcpy(field, &v, sizeof v);
        return GROWTH_OK;
    }
    case GCFG_BOOL: {
        bool v;
        if (!parse_bool(val, &v))
            return gerr(GROWTH_EINVAL, "%s: config key '%s': '%s' is not a boolean (true/false)", who, o->key,
                        val);
        memcpy(field, &v, sizeof v);
        return GROWTH_OK;
    }
    case GCFG_ENUM: {
        int v;
        if (!parse_enum(o->choices, val, &v))
            return gerr(GROWTH_EINVAL, "%s: config key '%s': '%s' is not one of %s", who, o->key, val,
                        o->choices);
        memcpy(field, &v, sizeof v);
        return GROWTH_OK;
    }
    case GCFG_STRING: {
        size_t n = strlen(val);
        if (n >= GCFG_STRING_MAX)
            return gerr(GROWTH_EINVAL, "%s: config key '%s': value longer than %d bytes", who, o->key,
                        GCFG_STRING_MAX - 1);
        memcpy(field, val, n + 1);
        return GROWTH_OK;
    }
    }
    return gerr(GROWTH_EINVAL, "%s: config key '%s': bad schema type", who, o->key);
}

int gcfg_parse(const char *who, const gcfg_opt *opts, size_t nopts, const char *config, void *out,
               size_t struct_size)
{
    GROWTH_CHECK_NULL(who, out);
    if (config == NULL) config = "";
    size_t clen = strlen(config);
    if (clen > GCFG_MAX_LEN)
        return gerr(GROWTH_EINVAL, "%s: config string longer than %d bytes", who, GCFG_MAX_LEN);

    unsigned char *tmp = malloc(struct_size);
    char *work = malloc(clen + 1);
    bool *seen = calloc(nopts ? nopts : 1, sizeof *seen);
    int rc = GROWTH_OK;
    if (!tmp || !work || !seen) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    memcpy(tmp, out, struct_size);
    for (size_t i = 0; i < nopts; i++)
        if ((rc = set_value(who, &opts[i], opts[i].def, tmp)) != GROWTH_OK) goto done;

    memcpy(work, config, clen + 1);
    char *p = work;
    for (;;) {
        while (*p && is_sep(*p)) p++;
        if (!*p) break;
        char *key = p;
        while (*p && is_key_char(*p)) p++;
        if (p == key || *p != '=') {
            char *e = key;
            while (*e && !is_sep(*e)) e++;
            *e = 0;
            rc = gerr(GROWTH_EINVAL, "%s: config item '%s' is not of the form key=value", who, key);
            goto done;
        }
        *p++ = 0;
        char *val = p;
        if (*p == '"' || *p == '\'') {
            char q = *p++;
            val = p;
            while (*p && *p != q) p++;
            if (*p != q) {
                rc = gerr(GROWTH_EINVAL, "%s: config key '%s': unterminated quote", who, key);
                goto done;
            }
            *p++ = 0;
            if (*p && !is_sep(*p)) {
                rc = gerr(GROWTH_EINVAL, "%s: config key '%s': text after closing quote", who, key);
                goto done;
            }
        } else {
            while (*p && !is_sep(*p)) {
                if (*p == '"' || *p == '\'') {
                    rc = gerr(GROWTH_EINVAL, "%s: config key '%s': a quote inside an unquoted value", who,
                              key);
                    goto done;
                }
                p++;
            }
            if (*p) *p++ = 0;
        }
        size_t k = 0;
        while (k < nopts && strcmp(opts[k].key, key) != 0) k++;
        if (k == nopts) {
            char keys[768];
            list_keys(opts, nopts, keys, sizeof keys);
            rc = gerr(GROWTH_EINVAL, "%s: unknown config key '%s' (valid keys: %s)", who, key, keys);
            goto done;
        }
        if (seen[k]) {
            rc = gerr(GROWTH_EINVAL, "%s: config key '%s' given twice", who, key);
            goto done;
        }
        seen[k] = true;
        if ((rc = set_value(who, &opts[k], val, tmp)) != GROWTH_OK) goto done;
    }
    memcpy(out, tmp, struct_size);
done:
    free(tmp);
    free(work);
    free(seen);
    return rc;
}

int gcfg_parse_stored(const char *who, const gcfg_opt *opts, size_t nopts, const char *config, void *out,
                      size_t struct_size)
{
    int rc = gcfg_parse(who, opts, nopts, config, out, struct_size);
    if (rc == GROWTH_OK || rc == GROWTH_ENOMEM) return rc;
    return gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, gerr_cause(who));
}

static void format_double(char *buf, size_t cap, double v)
{
    gsnprintf(buf, cap, "%.15g", v);
    if (gstrtod(buf, NULL) != v) gsnprintf(buf, cap, "%.17g", v);
}

int gcfg_format(const gcfg_opt *opts, size_t nopts, const void *in, char *buf, size_t cap, size_t *needed)
{
    /* Two passes over the same writer: first measure, then write if it fits. */
    size_t len = 0;
    char item[GCFG_STRING_MAX + 96];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (needed) *needed = len + 1;
            if (buf == NULL || cap < len + 1)
                return gerr(GROWTH_EBUFS, "config: buffer of %zu bytes is too small, need %zu", cap, len + 1);
        }
        size_t pos = 0;
        for (size_t i = 0; i < nopts; i++) {
            const gcfg_opt *o = &opts[i];
            const char *field = (const char *)in + o->offset;
            char val[GCFG_STRING_MAX + 8];
            switch (o->type) {
            case GCFG_DOUBLE: {
                double v;
                memcpy(&v, field, sizeof v);
                format_double(val, sizeof val, v);
                break;
            }
            case GCFG_INT: {
                int64_t v;
                memcpy(&v, field, sizeof v);
                snprintf(val, sizeof val, "%lld", (long long)v);
                break;
            }
            case GCFG_BOOL: {
                bool v;
                memcpy(&v, field, sizeof v);
                snprintf(val, sizeof val, "%s", v ? "true" : "false");
                break;
            }
            case GCFG_ENUM: {
                int v;
                size_t nl;
                memcpy(&v, field, sizeof v);
                const char *nm = enum_name(o->choices, v, &nl);
                snprintf(val, sizeof val, "%.*s", (int)nl, nm);
                break;
            }
            case GCFG_STRING: {
                /* Quote when needed, with the quote character the value does not contain (the
                 * parser never produces a value holding both kinds). */
                bool plain = field[0] != 0, dq = false;
                for (const char *c = field; *c; c++) {
                    if (is_sep(*c) || *c == '"' || *c == '\'') plain = false;
                    if (*c == '"') dq = true;
                }
                snprintf(val, sizeof val, plain ? "%s" : dq ? "'%s'" : "\"%s\"", field);
                break;
            }
            }
            int w = snprintf(item, sizeof item, "%s%s=%s", i ? " " : "", o->key, val);
            if (w < 0) w = 0;
            if (pass == 1) memcpy(buf + pos, item, (size_t)w);
            pos += (size_t)w;
        }
        if (pass == 0)
            len = pos;
        else
            buf[pos] = 0;
    }
    return GROWTH_OK;
}

int gcopy_out(const char *who, const char *s, char *buf, size_t cap, size_t *needed)
{
    size_t n = strlen(s) + 1;
    if (needed) *needed = n;
    if (buf == NULL || cap < n)
        return gerr(GROWTH_EBUFS, "%s: buffer of %zu bytes is too small, need %zu", who, cap, n);
    memcpy(buf, s, n);
    return GROWTH_OK;
}

char *gcfg_format_alloc(const gcfg_opt *opts, size_t nopts, const void *in)
{
    size_t need = 0;
    gcfg_format(opts, nopts, in, NULL, 0, &need);
    char *s = malloc(need);
    if (s) gcfg_format(opts, nopts, in, s, need, NULL);
    return s;
}
