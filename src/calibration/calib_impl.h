/* Private layout of a calibrator, shared by calibration.c (handle, apply, persistence) and
 * fit.c (the fitting algorithms). */
#ifndef GROWTH_CALIB_IMPL_H
#define GROWTH_CALIB_IMPL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "growth/calibration.h"

enum { CAL_PLATT, CAL_TEMPERATURE, CAL_ISOTONIC, CAL_HISTOGRAM, CAL_FIELD };
enum { CAL_IN_PROB, CAL_IN_MARGIN };
enum { CAL_BIN_QUANTILE, CAL_BIN_UNIFORM };

typedef struct {
    int method, input, binning;
    int64_t bins, buckets, min_bucket, max_iter;
    double prior;
    int64_t max_memory; /* bytes a fit's working memory may take, 0 = no cap */
} calib_cfg;

/* One knot of a piecewise map; slope is (y[k+1] - y[k]) / (x[k+1] - x[k]) (0 for the last). */
typedef struct {
    double x, y, slope;
} calib_knot;

/* A piecewise map over knots kn[off .. off + n). Searches go through a grid of `cells` cells
 * of equal width over [x_first, x_last]: first[c] (grid[goff + c]) is the number of knots whose
 * cell is below c, so the last knot <= x lies in [first[c] - 1, first[c + 1] - 1]. */
typedef struct {
    uint32_t off, n, goff, cells;
    double x0, inv;
} calib_map;

/* A field value: which map it uses and the multiplier of that map. */
typedef struct {
    int64_t id;
    double scale;
    uint32_t map;
    uint32_t used; /* hash slot occupied */
} calib_field;

/* Everything a fit produces; immutable once built, replaced as a whole by a new fit. */
typedef struct {
    int method;
    bool step; /* histogram: piecewise constant */
    uint64_t samples;
    double wsum, ysum;
    double a, b;
    calib_knot *kn;
    size_t nkn;
    uint32_t *grid;
    size_t ngrid;
    calib_map *maps; /* maps[0] is the global map */
    size_t nmaps;
    calib_field *ftab; /* open addressing, (fmask + 1) slots */
    size_t fmask, nfields;
} calib_model;

struct growth_calibrator {
    calib_cfg cfg;
    calib_model *m; /* NULL until fitted */
};

/* Piecewise map under construction: knots appended per map. */
typedef struct {
    double *x, *y;
    size_t n, cap;
} knot_buf;

typedef struct {
    int64_t id;
    double scale;
    uint32_t nknots; /* 0: the global map */
} field_spec;

/* Builds the immutable model from knots: `gx/gy` (ng knots) is the global map, fields (sorted
 * by id) own consecutive runs of `fx/fy` (fspec[i].nknots each). Returns NULL on ENOMEM. */
calib_model *calib_model_build(int method, const double *gx, const double *gy, size_t ng,
                               const field_spec *fspec, size_t nf, const double *fx, const double *fy);
void calib_model_free(calib_model *m);

/* Fits `cfg`'s method on validated input; *out gets a new model. */
int calib_fit(const char *who, const calib_cfg *cfg, const float *scores, const float *labels,
              const float *weights, const int64_t *fields, size_t n, calib_model **out);

/* The map a field id uses and its multiplier (global map, 1 for unknown ids / NULL). */
static inline const calib_map *calib_lookup(const calib_model *m, const int64_t *field, double *scale)
{
    *scale = 1.0;
    if (field == NULL || m->nfields == 0) return &m->maps[0];
    size_t h = (size_t)gmix64((uint64_t)*field) & m->fmask;
    for (;;) {
        const calib_field *f = &m->ftab[h];
        if (!f->used) return &m->maps[0];
        if (f->id == *field) {
            *scale = f->scale;
            return &m->maps[f->map];
        }
        h = (h + 1) & m->fmask;
    }
}

/* Value of map `mp` at x (x not NaN; a NaN gives some knot's value). x is clipped to the knot
 * range; the last knot's slope is 0, so no end needs a branch. With 4 cells per knot the cell
 * almost always holds at most one knot, and the final step is branch-free. */
static inline double calib_eval(const calib_model *m, const calib_map *mp, double x)
{
    const calib_knot *k = m->kn + mp->off;
    const double lo_x = k[0].x, hi_x = k[mp->n - 1].x;
    x = x < lo_x ? lo_x : x;
    x = x > hi_x ? hi_x : x;
    const double t = (x - mp->x0) * mp->inv;
    const uint32_t c = t < (double)mp->cells ? (uint32_t)t : mp->cells - 1;
    const uint32_t *g = m->grid + mp->goff;
    const uint32_t g0 = g[c];
    uint32_t lo = g0 - (g0 > 0), hi = g[c + 1] - 1;
    while (hi - lo > 1) {
        const uint32_t mid = (lo + hi) >> 1;
        if (k[mid].x <= x)
            lo = mid;
        else
            hi = mid;
    }
    lo += (uint32_t)(k[hi].x <= x) & (uint32_t)(lo < hi);
    if (m->step) return k[lo].y;
    return k[lo].slope * (x - k[lo].x) + k[lo].y;
}

/* The logit used by Platt and temperature scaling with input=probability. */
static inline double calib_logit(double s)
{
    const double eps = 1e-15;
    if (s < eps) s = eps;
    if (s > 1.0 - eps) s = 1.0 - eps;
    return log(s) - log1p(-s);
}

#endif /* GROWTH_CALIB_IMPL_H */
