/* Calibrator handle: configuration, the immutable fitted model, apply, persistence.
 *
 * A fitted model is a set of piecewise maps over one knot array (global map first, then the
 * fields' own maps) plus, for the field method, an open-addressing table from field id to
 * (map, multiplier). Applying a score finds its segment through a uniform grid over the map's
 * range (a short binary search inside one cell), so the cost hardly depends on the number of
 * knots; Platt and temperature scaling are one sigmoid. Nothing is allocated or locked on the
 * apply path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calib_impl.h"
#include "calibrator.pb-c.h"

static const gcfg_opt calib_opts[] = {
    {"method", GCFG_ENUM, offsetof(calib_cfg, method), "isotonic", 0, 0,
     "platt|temperature|isotonic|histogram|field", false},
    {"input", GCFG_ENUM, offsetof(calib_cfg, input), "probability", 0, 0, "probability|margin", false},
    {"bins", GCFG_INT, offsetof(calib_cfg, bins), "10", 1, 65536, NULL, false},
    {"binning", GCFG_ENUM, offsetof(calib_cfg, binning), "quantile", 0, 0, "quantile|uniform", false},
    {"buckets", GCFG_INT, offsetof(calib_cfg, buckets), "20", 1, 65536, NULL, false},
    {"min_bucket", GCFG_INT, offsetof(calib_cfg, min_bucket), "100", 1, 1e15, NULL, false},
    {"prior", GCFG_DOUBLE, offsetof(calib_cfg, prior), "30", 0, 1e15, NULL, false},
    {"max_iter", GCFG_INT, offsetof(calib_cfg, max_iter), "100", 1, 100000, NULL, false},
    GCFG_MAX_MEMORY(calib_cfg, max_memory),
};
#define CALIB_NOPTS (sizeof calib_opts / sizeof calib_opts[0])

static const char *const METHOD_NAMES[] = {"platt", "temperature", "isotonic", "histogram", "field"};

#define CALIB_MAX_FILE  ((size_t)1 << 34)
#define CALIB_MAX_CELLS ((uint32_t)1 << 24)

/* ---- the fitted model -------------------------------------------------------------------- */

void calib_model_free(calib_model *m)
{
    if (!m) return;
    free(m->kn);
    free(m->grid);
    free(m->maps);
    free(m->ftab);
    free(m);
}

static uint32_t cells_for(uint32_t n)
{
    if (n < 2) return 1;
    return n >= CALIB_MAX_CELLS / 4 ? CALIB_MAX_CELLS : 4 * n;
}

/* Fills knots, slopes and the search grid of one map whose knots are already in place. */
static void map_finish(calib_model *m, calib_map *mp)
{
    calib_knot *k = m->kn + mp->off;
    const uint32_t n = mp->n;
    for (uint32_t i = 0; i + 1 < n; i++) k[i].slope = (k[i + 1].y - k[i].y) / (k[i + 1].x - k[i].x);
    k[n - 1].slope = 0.0;
    mp->x0 = k[0].x;
    mp->inv = n > 1 ? (double)mp->cells / (k[n - 1].x - k[0].x) : 0.0;
    uint32_t *g = m->grid + mp->goff;
    memset(g, 0, ((size_t)mp->cells + 1) * sizeof *g);
    for (uint32_t i = 0; i < n; i++) {
        const double t = (k[i].x - mp->x0) * mp->inv;
        const uint32_t c = t < (double)mp->cells ? (uint32_t)t : mp->cells - 1;
        g[c + 1]++;
    }
    for (uint32_t c = 0; c < mp->cells; c++) g[c + 1] += g[c];
}

calib_model *calib_model_build(int method, const double *gx, const double *gy, size_t ng,
                               const field_spec *fspec, size_t nf, const double *fx, const double *fy)
{
    calib_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->method = method;
    m->step = method == CAL_HISTOGRAM;
    size_t nown = 0, nkn = ng;
    for (size_t i = 0; i < nf; i++) {
        nkn += fspec[i].nknots;
        nown += fspec[i].nknots > 0;
    }
    m->nmaps = 1 + nown;
    m->nkn = nkn;
    m->maps = calloc(m->nmaps, sizeof *m->maps);
    m->kn = calloc(nkn ? nkn : 1, sizeof *m->kn);
    if (!m->maps || !m->kn) goto fail;
    /* Knots and map extents; grid sizes. */
    size_t off = 0, goff = 0, fo = 0, mi = 0;
    for (size_t i = 0; i <= nf; i++) {
        const double *x, *y;
        size_t cnt;
        if (i == 0) {
            x = gx;
            y = gy;
            cnt = ng;
        } else {
            cnt = fspec[i - 1].nknots;
            x = fx + fo;
            y = fy + fo;
            fo += cnt;
            if (cnt == 0) continue;
        }
        calib_map *mp = &m->maps[mi++];
        mp->off = (uint32_t)off;
        mp->n = (uint32_t)cnt;
        mp->cells = cells_for(mp->n);
        mp->goff = (uint32_t)goff;
        for (size_t k = 0; k < cnt; k++) {
            m->kn[off + k].x = x[k];
            m->kn[off + k].y = y[k];
        }
        off += cnt;
        goff += (size_t)mp->cells + 1;
    }
    m->ngrid = goff;
    m->grid = malloc(goff * sizeof *m->grid);
    if (!m->grid) goto fail;
    for (size_t i = 0; i < m->nmaps; i++) map_finish(m, &m->maps[i]);
    /* Field table: a power of two at least twice the number of fields. */
    if (nf) {
        size_t cap = 2;
        while (cap < 2 * nf) cap <<= 1;
        m->ftab = calloc(cap, sizeof *m->ftab);
        if (!m->ftab) goto fail;
        m->fmask = cap - 1;
        m->nfields = nf;
        uint32_t own = 1;
        for (size_t i = 0; i < nf; i++) {
            size_t h = (size_t)gmix64((uint64_t)fspec[i].id) & m->fmask;
            while (m->ftab[h].used) h = (h + 1) & m->fmask;
            calib_field *f = &m->ftab[h];
            f->used = 1;
            f->id = fspec[i].id;
            f->scale = fspec[i].scale;
            f->map = fspec[i].nknots ? own++ : 0;
        }
    }
    return m;
fail:
    calib_model_free(m);
    return NULL;
}

/* ---- handle ------------------------------------------------------------------------------ */

GROWTH_API int growth_calibrator_create(growth_calibrator **out, const char *config)
{
    static const char who[] = "growth_calibrator_create";
    GROWTH_CHECK_NULL(who, out);
    calib_cfg cfg;
    int rc = gcfg_parse("calibrator", calib_opts, CALIB_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    growth_calibrator *c = calloc(1, sizeof *c);
    if (!c) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    c->cfg = cfg;
    *out = c;
    return GROWTH_OK;
}

GROWTH_API void growth_calibrator_free(growth_calibrator *c)
{
    if (!c) return;
    calib_model_free(c->m);
    free(c);
}

GROWTH_API int growth_calibrator_config(const growth_calibrator *c, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_calibrator_config", c);
    if (buf == NULL && cap > 0)
        return gerr(GROWTH_EINVAL, "growth_calibrator_config: buf is NULL but cap is %zu", cap);
    int rc = gcfg_format(calib_opts, CALIB_NOPTS, &c->cfg, buf, cap, out_n);
    if (rc == GROWTH_EBUFS)
        return gerr(GROWTH_EBUFS, "growth_calibrator_config: buffer of %zu bytes is too small", cap);
    return rc;
}

GROWTH_API int growth_calibrator_summary(const growth_calibrator *c, char *buf, size_t cap, size_t *out_n)
{
    static const char who[] = "growth_calibrator_summary";
    GROWTH_CHECK_NULL(who, c);
    if (buf == NULL && cap > 0) return gerr(GROWTH_EINVAL, "%s: buf is NULL but cap is %zu", who, cap);
    char s[512];
    const calib_model *m = c->m;
    if (!m) {
        snprintf(s, sizeof s, "method=%s fitted=0", METHOD_NAMES[c->cfg.method]);
    } else {
        int len = gsnprintf(s, sizeof s, "method=%s fitted=1 samples=%llu weight=%.17g positives=%.17g",
                            METHOD_NAMES[m->method], (unsigned long long)m->samples, m->wsum, m->ysum);
        if (m->method == CAL_PLATT || m->method == CAL_TEMPERATURE)
            gsnprintf(s + len, sizeof s - (size_t)len, " a=%.17g b=%.17g", m->a, m->b);
        else {
            size_t own = m->nmaps - 1, scaled = m->nfields - own;
            len += gsnprintf(s + len, sizeof s - (size_t)len, " knots=%u", m->maps[0].n);
            if (m->method == CAL_FIELD)
                gsnprintf(s + len, sizeof s - (size_t)len,
                          " fields=%zu own_maps=%zu scaled=%zu total_knots=%zu", m->nfields, own, scaled,
                          m->nkn);
        }
    }
    return gcopy_out(who, s, buf, cap, out_n);
}

GROWTH_API int growth_calibrator_fit(growth_calibrator *c, const float *scores, const float *labels,
                                     const float *weights, const int64_t *fields, size_t n)
{
    static const char who[] = "growth_calibrator_fit";
    GROWTH_CHECK_NULL(who, c);
    calib_model *m = NULL;
    int rc = calib_fit(who, &c->cfg, scores, labels, weights, fields, n, &m);
    if (rc) return rc;
    calib_model_free(c->m);
    c->m = m;
    return GROWTH_OK;
}

/* ---- apply ------------------------------------------------------------------------------- */

static inline double sigmoid_apply(const calib_model *m, bool prob_input, double s)
{
    const double x = prob_input ? calib_logit(s) : s;
    return 1.0 / (1.0 + exp(-(m->a * x + m->b)));
}

/* Single-precision sigmoid for the float batch path (within 1e-6 of the double one): one logf
 * and one expf per score; scores of exactly 0 or 1 (clipped) take the double path. */
static inline float sigmoid_apply_f(const calib_model *m, bool prob_input, float s)
{
    float x = s;
    if (prob_input) {
        if (GROWTH_UNLIKELY(!(s > 0.0f && s < 1.0f))) return (float)sigmoid_apply(m, true, s);
        x = logf(s / (1.0f - s));
    }
    return 1.0f / (1.0f + expf(-((float)m->a * x + (float)m->b)));
}

static int apply_check(const char *who, const growth_calibrator *c, const void *scores, const void *out,
                       size_t n, size_t cap)
{
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, scores);
    GROWTH_CHECK_NULL(who, out);
    if (!c->m) return gerr(GROWTH_ESTATE, "%s: the calibrator is not fitted", who);
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: output capacity %zu < n = %zu", who, cap, n);
    return GROWTH_OK;
}

GROWTH_API int growth_calibrator_apply(const growth_calibrator *c, double score, const int64_t *field,
                                       double *out)
{
    static const char who[] = "growth_calibrator_apply";
    int rc = apply_check(who, c, &score, out, 1, 1);
    if (rc) return rc;
    if (isnan(score)) return gerr(GROWTH_EINVAL, "%s: score is NaN", who);
    const calib_model *m = c->m;
    if (m->method == CAL_PLATT || m->method == CAL_TEMPERATURE) {
        *out = sigmoid_apply(m, c->cfg.input == CAL_IN_PROB, score);
        return GROWTH_OK;
    }
    double scale;
    const calib_map *mp = calib_lookup(m, field, &scale);
    const double p = scale * calib_eval(m, mp, score);
    *out = p < 1.0 ? p : 1.0;
    return GROWTH_OK;
}

/* The batch loop, instantiated for float and double; NaN scores are counted branch-free and
 * reported after the loop. */
#define DEFINE_APPLY(NAME, T)                                                                                \
    static size_t NAME(const growth_calibrator *c, const T *s, const int64_t *fields, size_t n, T *out)      \
    {                                                                                                        \
        const calib_model *m = c->m;                                                                         \
        size_t nan = 0;                                                                                      \
        if (m->method == CAL_PLATT || m->method == CAL_TEMPERATURE) {                                        \
            const bool prob = c->cfg.input == CAL_IN_PROB;                                                   \
            for (size_t i = 0; i < n; i++) {                                                                 \
                const double x = s[i];                                                                       \
                nan += x != x;                                                                               \
                out[i] = sizeof(T) == sizeof(float) ? (T)sigmoid_apply_f(m, prob, (float)x)                  \
                                                    : (T)sigmoid_apply(m, prob, x);                          \
            }                                                                                                \
            return nan;                                                                                      \
        }                                                                                                    \
        if (fields == NULL || m->nfields == 0) {                                                             \
            const calib_map *mp = &m->maps[0];                                                               \
            for (size_t i = 0; i < n; i++) {                                                                 \
                const double x = s[i];                                                                       \
                nan += x != x;                                                                               \
                out[i] = (T)calib_eval(m, mp, x);                                                            \
            }                                                                                                \
            return nan;                                                                                      \
        }                                                                                                    \
        for (size_t i = 0; i < n; i++) {                                                                     \
            double scale;                                                                                    \
            const calib_map *mp = calib_lookup(m, &fields[i], &scale);                                       \
            const double x = s[i];                                                                           \
            nan += x != x;                                                                                   \
            const double p = scale * calib_eval(m, mp, x);                                                   \
            out[i] = (T)(p < 1.0 ? p : 1.0);                                                                 \
        }                                                                                                    \
        return nan;                                                                                          \
    }

DEFINE_APPLY(apply_f32, float)
DEFINE_APPLY(apply_f64, double)

#define REPORT_NAN(who, s, n)                                                                                \
    do {                                                                                                     \
        for (size_t i_ = 0; i_ < (n); i_++)                                                                  \
            if (isnan((s)[i_])) return gerr(GROWTH_EINVAL, "%s: scores[%zu] is NaN", who, i_);               \
    } while (0)

GROWTH_API int growth_calibrator_apply_batch(const growth_calibrator *c, const float *scores,
                                             const int64_t *fields, size_t n, float *out, size_t cap)
{
    static const char who[] = "growth_calibrator_apply_batch";
    int rc = apply_check(who, c, scores, out, n, cap);
    if (rc) return rc;
    if (apply_f32(c, scores, fields, n, out)) REPORT_NAN(who, scores, n);
    return GROWTH_OK;
}

GROWTH_API int growth_calibrator_apply_batch_f64(const growth_calibrator *c, const double *scores,
                                                 const int64_t *fields, size_t n, double *out, size_t cap)
{
    static const char who[] = "growth_calibrator_apply_batch_f64";
    int rc = apply_check(who, c, scores, out, n, cap);
    if (rc) return rc;
    if (apply_f64(c, scores, fields, n, out)) REPORT_NAN(who, scores, n);
    return GROWTH_OK;
}

GROWTH_API int growth_calibrator_sigmoid(const growth_calibrator *c, double *out_a, double *out_b)
{
    static const char who[] = "growth_calibrator_sigmoid";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, out_a);
    GROWTH_CHECK_NULL(who, out_b);
    if (!c->m) return gerr(GROWTH_ESTATE, "%s: the calibrator is not fitted", who);
    if (c->m->method != CAL_PLATT && c->m->method != CAL_TEMPERATURE)
        return gerr(GROWTH_ESTATE, "%s: method '%s' has no sigmoid parameters", who,
                    METHOD_NAMES[c->m->method]);
    *out_a = c->m->a;
    *out_b = c->m->b;
    return GROWTH_OK;
}

GROWTH_API int growth_calibrator_knots(const growth_calibrator *c, const int64_t *field, double *out_x,
                                       double *out_y, size_t cap, size_t *out_n)
{
    static const char who[] = "growth_calibrator_knots";
    GROWTH_CHECK_NULL(who, out_n);
    *out_n = 0;
    GROWTH_CHECK_NULL(who, c);
    if ((out_x == NULL || out_y == NULL) && cap > 0)
        return gerr(GROWTH_EINVAL, "%s: out_x or out_y is NULL but cap is %zu", who, cap);
    const calib_model *m = c->m;
    if (!m) return gerr(GROWTH_ESTATE, "%s: the calibrator is not fitted", who);
    if (m->method == CAL_PLATT || m->method == CAL_TEMPERATURE)
        return gerr(GROWTH_ESTATE, "%s: method '%s' has no knots (see growth_calibrator_sigmoid)", who,
                    METHOD_NAMES[m->method]);
    double scale;
    const calib_map *mp = calib_lookup(m, field, &scale);
    *out_n = mp->n;
    if (cap < mp->n) return gerr(GROWTH_EBUFS, "%s: capacity %zu < %u knots", who, cap, mp->n);
    for (uint32_t i = 0; i < mp->n; i++) {
        out_x[i] = m->kn[mp->off + i].x;
        const double v = scale * m->kn[mp->off + i].y;
        out_y[i] = v < 1.0 ? v : 1.0;
    }
    return GROWTH_OK;
}

/* ---- persistence ------------------------------------------------------------------------- */

static int cmp_field(const void *a, const void *b)
{
    const calib_field *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int calib_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    const growth_calibrator *c = model;
    const calib_model *m = c->m;
    if (!m) return gerr(GROWTH_ESTATE, "%s: the calibrator is not fitted", who);
    int rc = GROWTH_OK;
    const calib_map *g = &m->maps[0];
    const size_t nf = m->nfields, nown_kn = m->nkn - g->n;
    double *gx = malloc((g->n + 1) * sizeof *gx), *gy = malloc((g->n + 1) * sizeof *gy);
    double *fx = malloc((nown_kn + 1) * sizeof *fx), *fy = malloc((nown_kn + 1) * sizeof *fy);
    calib_field *fs = malloc((nf + 1) * sizeof *fs);
    int64_t *ids = malloc((nf + 1) * sizeof *ids);
    double *scale = malloc((nf + 1) * sizeof *scale);
    uint32_t *fk = malloc((nf + 1) * sizeof *fk);
    char *cfgbuf = NULL;
    if (!gx || !gy || !fx || !fy || !fs || !ids || !scale || !fk) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (uint32_t i = 0; i < g->n; i++) {
        gx[i] = m->kn[g->off + i].x;
        gy[i] = m->kn[g->off + i].y;
    }
    size_t j = 0;
    for (size_t h = 0; nf && h <= m->fmask; h++)
        if (m->ftab[h].used) fs[j++] = m->ftab[h];
    qsort(fs, nf, sizeof *fs, cmp_field);
    size_t k = 0;
    for (size_t i = 0; i < nf; i++) {
        ids[i] = fs[i].id;
        scale[i] = fs[i].scale;
        fk[i] = fs[i].map ? m->maps[fs[i].map].n : 0;
        if (fs[i].map) {
            const calib_map *mp = &m->maps[fs[i].map];
            for (uint32_t q = 0; q < mp->n; q++, k++) {
                fx[k] = m->kn[mp->off + q].x;
                fy[k] = m->kn[mp->off + q].y;
            }
        }
    }
    if (!(cfgbuf = gcfg_format_alloc(calib_opts, CALIB_NOPTS, &c->cfg))) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__Calibrator msg = GROWTH__CALIBRATOR__INIT;
    msg.meta = &meta;
    msg.samples = m->samples;
    msg.weight_sum = m->wsum;
    msg.positive_sum = m->ysum;
    msg.a = m->a;
    msg.b = m->b;
    const bool sig = m->method == CAL_PLATT || m->method == CAL_TEMPERATURE;
    msg.n_global_x = msg.n_global_y = sig ? 0 : g->n;
    msg.global_x = gx;
    msg.global_y = gy;
    msg.n_field_ids = msg.n_field_scale = msg.n_field_knots = nf;
    msg.field_ids = ids;
    msg.field_scale = scale;
    msg.field_knots = fk;
    msg.n_field_x = msg.n_field_y = k;
    msg.field_x = fx;
    msg.field_y = fy;
    rc = genv_pack(who, GROWTH_KIND_CALIBRATOR, &msg.base, out, out_len);
done:
    free(gx);
    free(gy);
    free(fx);
    free(fy);
    free(fs);
    free(ids);
    free(scale);
    free(fk);
    free(cfgbuf);
    return rc;
}

GROWTH_API int growth_calibrator_serialize(const growth_calibrator *c, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_calibrator_serialize", c, calib_pack, out_buf, out_len);
}

GROWTH_API int growth_calibrator_save(const growth_calibrator *c, const char *path)
{
    return gmodel_save("growth_calibrator_save", c, path, calib_pack);
}

/* Knots must be finite, x strictly ascending, y within [0, 1]. */
static bool knots_valid(const double *x, const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!gfinite(x[i]) || !(y[i] >= 0.0 && y[i] <= 1.0)) return false;
        if (i > 0 && !(x[i] > x[i - 1])) return false;
    }
    return true;
}

static int calib_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_calibrator **out = outp;
    int rc = GROWTH_OK;
    Growth__Calibrator *msg = growth__calibrator__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "calibrator payload");
    calib_cfg cfg;
    growth_calibrator *c = NULL;
    calib_model *m = NULL;
    if (!msg->meta || !msg->meta->config) {
        rc = gerr(GROWTH_EFORMAT, "%s: calibrator has no configuration", who);
        goto done;
    }
    if ((rc = gcfg_parse_stored(who, calib_opts, CALIB_NOPTS, msg->meta->config, &cfg, sizeof cfg))) {
        goto done;
    }
    const bool sig = cfg.method == CAL_PLATT || cfg.method == CAL_TEMPERATURE;
    const size_t nf = msg->n_field_ids;
    if (sig ? (msg->n_global_x != 0 || !gfinite(msg->a) || !gfinite(msg->b))
            : (msg->n_global_x == 0 || msg->n_global_x != msg->n_global_y ||
               msg->n_global_x >= UINT32_MAX / 4 ||
               !knots_valid(msg->global_x, msg->global_y, msg->n_global_x))) {
        rc = gerr(GROWTH_EFORMAT, "%s: invalid calibration map", who);
        goto done;
    }
    if ((nf && cfg.method != CAL_FIELD) || msg->n_field_scale != nf || msg->n_field_knots != nf ||
        msg->n_field_x != msg->n_field_y || nf >= UINT32_MAX / 4) {
        rc = gerr(GROWTH_EFORMAT, "%s: inconsistent field tables", who);
        goto done;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < nf; i++) {
        total += msg->field_knots[i];
        if ((i > 0 && msg->field_ids[i] <= msg->field_ids[i - 1]) ||
            !(msg->field_scale[i] >= 0.0 && msg->field_scale[i] < 1e300) || total > msg->n_field_x ||
            !knots_valid(msg->field_x + (total - msg->field_knots[i]),
                         msg->field_y + (total - msg->field_knots[i]), msg->field_knots[i])) {
            rc = gerr(GROWTH_EFORMAT, "%s: invalid field %zu", who, i);
            goto done;
        }
    }
    if (total != msg->n_field_x || total + msg->n_global_x >= UINT32_MAX / 4) {
        rc = gerr(GROWTH_EFORMAT, "%s: field knots do not add up", who);
        goto done;
    }
    field_spec *fs = malloc((nf + 1) * sizeof *fs);
    if (!fs) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        fs[i].id = msg->field_ids[i];
        fs[i].scale = msg->field_scale[i];
        fs[i].nknots = msg->field_knots[i];
    }
    static const double zero = 0.0;
    m = calib_model_build(cfg.method, sig ? &zero : msg->global_x, sig ? &zero : msg->global_y,
                          sig ? 1 : msg->n_global_x, fs, nf, msg->field_x, msg->field_y);
    free(fs);
    c = calloc(1, sizeof *c);
    if (!m || !c) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    m->samples = msg->samples;
    m->wsum = msg->weight_sum;
    m->ysum = msg->positive_sum;
    m->a = msg->a;
    m->b = msg->b;
    c->cfg = cfg;
    c->m = m;
    *out = c;
    c = NULL;
    m = NULL;
done:
    growth__calibrator__free_unpacked(msg, &gpb_allocator);
    calib_model_free(m);
    free(c);
    return rc;
}

GROWTH_API int growth_calibrator_deserialize(growth_calibrator **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_calibrator_deserialize", buf, len, GROWTH_KIND_CALIBRATOR,
                              calib_from_payload, out);
}

GROWTH_API int growth_calibrator_load(growth_calibrator **out, const char *path)
{
    return gmodel_load("growth_calibrator_load", path, CALIB_MAX_FILE, GROWTH_KIND_CALIBRATOR,
                       calib_from_payload, out);
}
