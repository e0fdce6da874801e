/* growth_fm_import_libffm: LIBFFM's binary model file (ffm_save_model in its ffm.cpp) into a
 * one-head model=ffm.
 *
 * Layout (native byte order, little-endian on every machine LIBFFM's SSE build runs on):
 *   int32 n (features), int32 m (fields), int32 k (latent factors), 1 byte normalization (a C++
 *   bool: 0 or 1), then n x m blocks, feature-major, of 2 x k_aligned floats each, where
 *   k_aligned = ceil(k / A) x A with A = 4 for a LIBFFM built with SSE (its Makefile's default,
 *   kALIGN = 16 bytes / 4) and A = 1 without. A block interleaves chunks of A factors with the
 *   A AdaGrad sums of the same factors: v_0..v_{A-1}, G_0..G_{A-1}, v_A..., so factor d sits at
 *   (d / A) x 2A + d % A and its sum A floats later. Factors d >= k are padding (LIBFFM writes
 *   0 there and 1 as their sums, and never changes them); they are checked to be finite and
 *   otherwise ignored.
 *
 * The file is read in chunks of whole features (a model may be many GiB); its size must be
 * exactly 13 + n x m x k_aligned x 8 bytes, checked before the model is created. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fm_io.h"

#define FFM_HEADER     13
#define FFM_CHUNK      ((size_t)1 << 20) /* bytes read at a time (at least one feature) */
#define FFM_WHO        "growth_fm_import_libffm"
#define FFM_N_PASSTHRU 5

/* The import options: `align` plus five keys of the model's own table (fm_opts), parsed into a
 * struct that starts with an fm_cfg so that those entries' offsets stay valid. */
typedef struct {
    fm_cfg cfg;
    int64_t align;
} ffm_options;

static const char *const ffm_passthru[FFM_N_PASSTHRU] = {"eta", "lambda", "precision", "max_memory", "seed"};

static int options_table(const char *who, gcfg_opt *t)
{
    t[0] = (gcfg_opt){"align", GCFG_INT, offsetof(ffm_options, align), "4", 1, 4, NULL, false};
    for (int i = 0; i < FFM_N_PASSTHRU; i++) {
        size_t j = 0;
        while (j < fm_nopts && strcmp(fm_opts[j].key, ffm_passthru[i]) != 0) j++;
        if (j == fm_nopts) return gerr(GROWTH_EINVAL, "%s: the model has no '%s' key", who, ffm_passthru[i]);
        t[1 + i] = fm_opts[j];
    }
    return GROWTH_OK;
}

/* Parses the options and formats the model keys among them ("eta=0.2 lambda=2e-05 ...") into
 * `keys` (malloc'ed). */
static int parse_options(const char *who, const char *config, int *align, char **keys)
{
    gcfg_opt t[1 + FFM_N_PASSTHRU];
    int rc = options_table(who, t);
    if (rc) return rc;
    ffm_options o;
    memset(&o, 0, sizeof o);
    if ((rc = gcfg_parse(who, t, 1 + FFM_N_PASSTHRU, config, &o, sizeof o))) return rc;
    if (o.align != 1 && o.align != 4)
        return gerr(GROWTH_EINVAL,
                    "%s: config key 'align': %lld is not 4 (LIBFFM built with SSE) or 1 (without)", who,
                    (long long)o.align);
    if (!(*keys = gcfg_format_alloc(t + 1, FFM_N_PASSTHRU, &o)))
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    *align = (int)o.align;
    return GROWTH_OK;
}

/* The model configuration for a LIBFFM header (fm_cfg_parse checks the option values too). */
static int model_config(const char *who, int64_t n, int m, int k, bool norm, const char *keys, fm_cfg *cfg)
{
    int bits = 1;
    while (bits < 32 && ((int64_t)1 << bits) < n) bits++;
    size_t cap = strlen(keys) + 160;
    char *s = malloc(cap);
    if (!s) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    snprintf(s, cap,
             "model=ffm heads=1 linear=false bias=false unseen=zero normalize=%s fields=%d k=%d bits=%d %s",
             norm ? "true" : "false", m, k, bits, keys);
    int rc = fm_cfg_parse(who, s, cfg);
    free(s);
    return rc;
}

/* ---- the source: a file or a buffer ------------------------------------------------------ */

typedef struct {
    int fd; /* -1 for a buffer */
    const uint8_t *mem;
    uint64_t size, at; /* total bytes, bytes read so far */
    const char *path;
} ffm_src;

/* Reads exactly n bytes (the size was checked, so a short read is an I/O error). */
static int src_read(const char *who, ffm_src *src, uint8_t *buf, size_t n)
{
    if (src->fd < 0) {
        if (n > src->size - src->at) return gerr(GROWTH_EFORMAT, "%s: LIBFFM model is truncated", who);
        memcpy(buf, src->mem + src->at, n);
        src->at += n;
        return GROWTH_OK;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(src->fd, buf + got, n - got > ((size_t)1 << 30) ? ((size_t)1 << 30) : n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return gerr(GROWTH_EIO, "%s: reading '%s' failed: %s", who, src->path, strerror(errno));
        if (r == 0)
            return gerr(GROWTH_EIO, "%s: '%s' ended early (it shrank while being read)", who, src->path);
        got += (size_t)r;
    }
    src->at += n;
    return GROWTH_OK;
}

static float get_f32(const uint8_t *p)
{
    uint32_t u = gget_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- the import --------------------------------------------------------------------------- */

static int import_src(const char *who, growth_fm **out, ffm_src *src, const char *config, double max_bytes)
{
    int align = 4;
    char *keys = NULL;
    fm_cfg cfg;
    /* The options first: a bad one is GROWTH_EINVAL whatever the file holds. */
    int rc = parse_options(who, config, &align, &keys);
    if (!rc) rc = model_config(who, 1, 1, 1, true, keys, &cfg);
    if (rc) {
        free(keys);
        return rc;
    }
    uint8_t hdr[FFM_HEADER];
    if (src->size < FFM_HEADER) {
        free(keys);
        return gerr(GROWTH_EFORMAT, "%s: LIBFFM model of %llu bytes is shorter than its %d-byte header", who,
                    (unsigned long long)src->size, FFM_HEADER);
    }
    if ((rc = src_read(who, src, hdr, FFM_HEADER))) {
        free(keys);
        return rc;
    }
    int32_t n = (int32_t)gget_u32(hdr), m = (int32_t)gget_u32(hdr + 4), k = (int32_t)gget_u32(hdr + 8);
    uint8_t norm = hdr[12];
    if (n <= 0 || m < 1 || m > FM_MAX_FIELDS || k < 1 || k > FM_MAX_K || norm > 1) {
        free(keys);
        return gerr(GROWTH_EFORMAT,
                    "%s: not a LIBFFM model this library can import: header n=%d m=%d k=%d normalization=%u "
                    "(needs n >= 1, 1 <= m <= %d, 1 <= k <= %d, normalization 0 or 1)",
                    who, (int)n, (int)m, (int)k, (unsigned)norm, FM_MAX_FIELDS, FM_MAX_K);
    }
    const uint64_t ka = (uint64_t)((k + align - 1) / align * align);
    const uint64_t expect = FFM_HEADER + (uint64_t)n * (uint64_t)m * ka * 8;
    if (src->size != expect) {
        int other = align == 4 ? 1 : 4;
        uint64_t ko = (uint64_t)((k + other - 1) / other * other);
        bool fits_other = src->size == FFM_HEADER + (uint64_t)n * (uint64_t)m * ko * 8;
        free(keys);
        return gerr(GROWTH_EFORMAT,
                    "%s: LIBFFM model with n=%d m=%d k=%d (align=%d) should be %llu bytes, the file has %llu "
                    "(%s)%s",
                    who, (int)n, (int)m, (int)k, align, (unsigned long long)expect,
                    (unsigned long long)src->size, src->size < expect ? "truncated" : "trailing bytes",
                    fits_other ? (other == 1 ? "; it matches align=1 (a LIBFFM built without SSE)"
                                             : "; it matches align=4 (a LIBFFM built with SSE)")
                               : "");
    }
    rc = model_config(who, n, m, k, norm == 1, keys, &cfg);
    free(keys);
    if (rc) return rc;
    if (max_bytes > 0 && !(fm_table_bytes(&cfg) <= max_bytes))
        return gerr(GROWTH_ENOMEM, "%s: the model's tables need %.0f bytes, more than the cap of %.0f", who,
                    fm_table_bytes(&cfg), max_bytes);
    growth_fm *model = NULL;
    if ((rc = fm_new(&model, &cfg, who))) return rc;

    const size_t A = (size_t)align, KA = (size_t)ka, K = (size_t)k, Mf = (size_t)m;
    const size_t row = Mf * KA * 8; /* bytes of one feature: m blocks of 2 x k_aligned floats */
    size_t rows = FFM_CHUNK / row;
    if (rows < 1) rows = 1;
    uint8_t *buf = malloc(rows * row);
    if (!buf) {
        growth_fm_free(model);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    float v[FM_MAX_K], g[FM_MAX_K];
    for (uint64_t j0 = 0; j0 < (uint64_t)n && rc == GROWTH_OK; j0 += rows) {
        size_t nr = (uint64_t)n - j0 < rows ? (size_t)((uint64_t)n - j0) : rows;
        if ((rc = src_read(who, src, buf, nr * row))) break;
        for (size_t r = 0; r < nr && rc == GROWTH_OK; r++) {
            uint64_t j = j0 + r;
            for (size_t f = 0; f < Mf && rc == GROWTH_OK; f++) {
                const uint8_t *blk = buf + r * row + f * KA * 8;
                for (size_t d = 0; d < KA; d++) {
                    size_t at = (d / A) * 2 * A + d % A;
                    float vd = get_f32(blk + at * 4), gd = get_f32(blk + (at + A) * 4);
                    if (!gfinite(vd) || !gfinite(gd)) {
                        rc = gerr(GROWTH_EFORMAT, "%s: feature %llu, field %zu: %s %zu is NaN or Inf", who,
                                  (unsigned long long)j, f, !gfinite(vd) ? "factor" : "AdaGrad sum", d);
                        break;
                    }
                    if (d >= K) continue; /* padding */
                    if (!(gd > 0.0f)) {
                        rc = gerr(GROWTH_EFORMAT,
                                  "%s: feature %llu, field %zu: AdaGrad sum %zu is %g, not > 0", who,
                                  (unsigned long long)j, f, d, (double)gd);
                        break;
                    }
                    v[d] = vd;
                    g[d] = gd;
                }
                if (rc == GROWTH_OK) fm_put_vec(model, j, (int)f, v, g);
            }
            if (rc == GROWTH_OK) fm_mark_touched(model, j);
        }
    }
    free(buf);
    if (rc) {
        growth_fm_free(model);
        return rc;
    }
    fm_set_examples(model, 0);
    *out = model;
    return GROWTH_OK;
}

int fm_import_libffm_buffer(const char *who, growth_fm **out, const uint8_t *buf, size_t len,
                            const char *config, double max_bytes)
{
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, buf);
    ffm_src src = {.fd = -1, .mem = buf, .size = len, .at = 0, .path = "(buffer)"};
    return import_src(who, out, &src, config, max_bytes);
}

GROWTH_API int growth_fm_import_libffm(growth_fm **out, const char *path, const char *config)
{
    GROWTH_CHECK_NULL(FFM_WHO, out);
    GROWTH_CHECK_NULL(FFM_WHO, path);
    /* Bad options are GROWTH_EINVAL before the file is looked at. */
    int align = 4;
    char *keys = NULL;
    int rc = parse_options(FFM_WHO, config, &align, &keys);
    free(keys);
    if (rc) return rc;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return gerr(GROWTH_EIO, "%s: cannot open '%s': %s", FFM_WHO, path, strerror(errno));
    struct stat st;
    errno = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        return gerr(GROWTH_EIO, "%s: '%s' is not a readable regular file%s%s", FFM_WHO, path, e ? ": " : "",
                    e ? strerror(e) : "");
    }
    ffm_src src = {.fd = fd, .mem = NULL, .size = (uint64_t)st.st_size, .at = 0, .path = path};
    rc = import_src(FFM_WHO, out, &src, config, 0);
    close(fd);
    return rc;
}
