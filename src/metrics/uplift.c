/* Uplift metrics with scikit-uplift's definitions (sklift.metrics 0.5): uplift at k, the uplift
 * and Qini curves, their perfect curves, and the normalised areas (AUUC = uplift_auc_score, Qini
 * coefficient = qini_auc_score).
 *
 * Rows are ranked by score descending; among equal scores the later row comes first, which is
 * what sklift's `np.argsort(uplift, kind="mergesort")[::-1]` does. The curves have one point per
 * run of equal scores (their value does not depend on the order inside a run), plus (0, 0) in
 * front. Several treatments: `arm=t` keeps the control rows (treatment 0) and those of arm t;
 * `arm=0` (the default) pools every treatment id > 0 as "treated". All sums are double. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/metrics.h"

typedef struct {
    int64_t arm;
    bool perfect;
    bool negative_effect;
    double k;
    int64_t count;
    int strategy; /* 0 overall, 1 by_group */
} uplift_cfg;

static const gcfg_opt curve_opts[] = {
    {"arm", GCFG_INT, offsetof(uplift_cfg, arm), "0", 0, 2147483647.0, NULL, false},
    {"perfect", GCFG_BOOL, offsetof(uplift_cfg, perfect), "false", 0, 0, NULL, false},
};
static const gcfg_opt qini_auc_opts[] = {
    {"arm", GCFG_INT, offsetof(uplift_cfg, arm), "0", 0, 2147483647.0, NULL, false},
    {"negative_effect", GCFG_BOOL, offsetof(uplift_cfg, negative_effect), "true", 0, 0, NULL, false},
};
static const gcfg_opt qini_curve_opts[] = {
    {"arm", GCFG_INT, offsetof(uplift_cfg, arm), "0", 0, 2147483647.0, NULL, false},
    {"perfect", GCFG_BOOL, offsetof(uplift_cfg, perfect), "false", 0, 0, NULL, false},
    {"negative_effect", GCFG_BOOL, offsetof(uplift_cfg, negative_effect), "true", 0, 0, NULL, false},
};
static const gcfg_opt auuc_opts[] = {
    {"arm", GCFG_INT, offsetof(uplift_cfg, arm), "0", 0, 2147483647.0, NULL, false},
};
static const gcfg_opt at_k_opts[] = {
    {"arm", GCFG_INT, offsetof(uplift_cfg, arm), "0", 0, 2147483647.0, NULL, false},
    {"k", GCFG_DOUBLE, offsetof(uplift_cfg, k), "0.3", 0, 1, NULL, true},
    {"count", GCFG_INT, offsetof(uplift_cfg, count), "0", 0, 9007199254740992.0, NULL, false},
    {"strategy", GCFG_ENUM, offsetof(uplift_cfg, strategy), "overall", 0, 0, "overall|by_group", false},
};
#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

/* One selected row: score, label, treated flag, original index (tie-break). */
typedef struct {
    double s;
    size_t i;
    float y;
    uint8_t t;
} urow;

/* Score descending, then index descending (sklift's reversed stable ascending sort). */
static int urow_cmp(const void *pa, const void *pb)
{
    const urow *a = pa, *b = pb;
    if (a->s > b->s) return -1;
    if (a->s < b->s) return 1;
    return (a->i < b->i) - (a->i > b->i);
}

/* The rows of the comparison (control + arm, or control + every treatment), validated. */
typedef struct {
    urow *r;
    size_t n, n_t, n_c;
    double y_t, y_c; /* sums of labels by group */
} uset;

static int uset_build(const char *who, const float *uplift, const float *labels, const int32_t *treatment,
                      size_t n, int64_t arm, uset *u)
{
    if (uplift == NULL) return gerr(GROWTH_EINVAL, "%s: uplift is NULL", who);
    GROWTH_CHECK_NULL(who, labels);
    GROWTH_CHECK_NULL(who, treatment);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: n is 0 (no examples)", who);
    if (n > SIZE_MAX / sizeof(urow)) return gerr(GROWTH_EINVAL, "%s: n = %zu is too large", who, n);
    size_t nt = 0, nc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!gfinite(uplift[i]))
            return gerr(GROWTH_EINVAL, "%s: uplift[%zu] = %g is not finite", who, i, (double)uplift[i]);
        if (labels[i] != 0.0f && labels[i] != 1.0f)
            return gerr(GROWTH_EINVAL, "%s: label[%zu] = %g is not 0 or 1", who, i, (double)labels[i]);
        if (treatment[i] < 0)
            return gerr(GROWTH_EINVAL,
                        "%s: treatment[%zu] = %d is negative (0 is the control, 1.. the treatments)", who, i,
                        (int)treatment[i]);
        if (treatment[i] == 0)
            nc++;
        else if (arm == 0 || treatment[i] == arm)
            nt++;
    }
    if (nc == 0) return gerr(GROWTH_EINVAL, "%s: no control row (treatment 0): one arm is missing", who);
    if (nt == 0) {
        if (arm)
            return gerr(GROWTH_EINVAL, "%s: no row of arm %lld: one arm is missing", who, (long long)arm);
        return gerr(GROWTH_EINVAL, "%s: no treated row (treatment > 0): one arm is missing", who);
    }
    urow *r = malloc((nt + nc) * sizeof *r);
    if (!r) return gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows)", who, nt + nc);
    size_t m = 0;
    double yt = 0, yc = 0;
    for (size_t i = 0; i < n; i++) {
        const int32_t t = treatment[i];
        if (t != 0 && arm != 0 && t != arm) continue;
        r[m].s = uplift[i];
        r[m].i = i;
        r[m].y = labels[i];
        r[m].t = t != 0;
        if (t)
            yt += labels[i];
        else
            yc += labels[i];
        m++;
    }
    u->r = r;
    u->n = m;
    u->n_t = nt;
    u->n_c = nc;
    u->y_t = yt;
    u->y_c = yc;
    return GROWTH_OK;
}

/* Points of the uplift (qini = false) or Qini curve of rows already sorted; x, y hold n + 1
 * entries. Returns the number of points. */
static size_t curve_points(const urow *r, size_t n, bool qini, double *x, double *y)
{
    size_t m = 0;
    x[m] = 0;
    y[m] = 0;
    m++;
    double nt = 0, yt = 0, yc = 0;
    for (size_t j = 0; j < n; j++) {
        nt += r[j].t;
        if (r[j].t)
            yt += r[j].y;
        else
            yc += r[j].y;
        if (j + 1 < n && r[j + 1].s == r[j].s) continue;
        const double all = (double)(j + 1), nc = all - nt;
        double v;
        if (qini)
            v = yt - (nc != 0 ? yc * (nt / nc) : 0.0);
        else
            v = ((nt != 0 ? yt / nt : 0.0) - (nc != 0 ? yc / nc : 0.0)) * all;
        x[m] = all;
        y[m] = v;
        m++;
    }
    return m;
}

/* Replaces the scores by the perfect ranking's scores (sklift's perfect_uplift_curve /
 * perfect_qini_curve with negative_effect) and sorts. */
static void perfect_scores(uset *u, bool qini)
{
    if (qini) {
        for (size_t j = 0; j < u->n; j++) u->r[j].s = u->r[j].t ? u->r[j].y : -(double)u->r[j].y;
    } else {
        size_t cr = 0, tn = 0; /* control responders, treated non-responders */
        for (size_t j = 0; j < u->n; j++) {
            cr += !u->r[j].t && u->r[j].y == 1.0f;
            tn += u->r[j].t && u->r[j].y == 0.0f;
        }
        for (size_t j = 0; j < u->n; j++) {
            const double y = u->r[j].y, t = u->r[j].t;
            u->r[j].s = 2.0 * (y == t) + (cr > tn ? y : t);
        }
    }
}

/* The curve of a set (actual scores or the perfect ranking) into fresh arrays. */
static int set_curve(const char *who, uset *u, bool qini, bool perfect, bool negative_effect, double **px,
                     double **py, size_t *pm)
{
    double *x = malloc((u->n + 1) * sizeof *x), *y = malloc((u->n + 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return gerr(GROWTH_ENOMEM, "%s: out of memory (%zu points)", who, u->n + 1);
    }
    if (qini && perfect && !negative_effect) {
        /* sklift: (0, 0), (r, r), (n, r) with r the random ranking's final Qini value. */
        const double r = u->y_t - (double)u->n_t * u->y_c / (double)u->n_c;
        x[0] = 0, y[0] = 0, x[1] = r, y[1] = r, x[2] = (double)u->n, y[2] = r;
        *pm = 3;
    } else {
        if (perfect) perfect_scores(u, qini);
        qsort(u->r, u->n, sizeof *u->r, urow_cmp);
        *pm = curve_points(u->r, u->n, qini, x, y);
    }
    *px = x;
    *py = y;
    return GROWTH_OK;
}

static double trapz(const double *x, const double *y, size_t m)
{
    double a = 0;
    for (size_t j = 1; j < m; j++) a += (x[j] - x[j - 1]) * (y[j] + y[j - 1]) * 0.5;
    return a;
}

static int curve_call(const char *who, const gcfg_opt *opts, size_t nopts, bool qini, const float *uplift,
                      const float *labels, const int32_t *treatment, size_t n, const char *config,
                      double *out_x, double *out_y, size_t cap, size_t *out_n)
{
    uplift_cfg cfg;
    int rc = gcfg_parse(who, opts, nopts, config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (!qini) cfg.negative_effect = true;
    if (cap > 0 && (out_x == NULL || out_y == NULL))
        return gerr(GROWTH_EINVAL, "%s: out_x or out_y is NULL with cap = %zu", who, cap);
    uset u;
    rc = uset_build(who, uplift, labels, treatment, n, cfg.arm, &u);
    if (rc) return rc;
    double *x = NULL, *y = NULL;
    size_t m = 0;
    rc = set_curve(who, &u, qini, cfg.perfect, cfg.negative_effect, &x, &y, &m);
    free(u.r);
    if (rc) return rc;
    if (out_n) *out_n = m;
    if (cap < m) {
        rc = gerr(GROWTH_EBUFS, "%s: cap = %zu, the curve has %zu points", who, cap, m);
    } else {
        memcpy(out_x, x, m * sizeof *x);
        memcpy(out_y, y, m * sizeof *y);
    }
    free(x);
    free(y);
    return rc;
}

GROWTH_API int growth_metrics_uplift_curve(const float *uplift, const float *labels, const int32_t *treatment,
                                           size_t n, const char *config, double *out_x, double *out_y,
                                           size_t cap, size_t *out_n)
{
    return curve_call("growth_metrics_uplift_curve", curve_opts, NOPTS(curve_opts), false, uplift, labels,
                      treatment, n, config, out_x, out_y, cap, out_n);
}

GROWTH_API int growth_metrics_qini_curve(const float *uplift, const float *labels, const int32_t *treatment,
                                         size_t n, const char *config, double *out_x, double *out_y,
                                         size_t cap, size_t *out_n)
{
    return curve_call("growth_metrics_qini_curve", qini_curve_opts, NOPTS(qini_curve_opts), true, uplift,
                      labels, treatment, n, config, out_x, out_y, cap, out_n);
}

/* (area(actual) - baseline) / (area(perfect) - baseline), baseline the straight line from (0, 0)
 * to the perfect curve's last point. */
static int normalized_area(const char *who, const gcfg_opt *opts, size_t nopts, bool qini,
                           const float *uplift, const float *labels, const int32_t *treatment, size_t n,
                           const char *config, double *out)
{
    uplift_cfg cfg;
    int rc = gcfg_parse(who, opts, nopts, config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (!qini) cfg.negative_effect = true;
    GROWTH_CHECK_NULL(who, out);
    uset u;
    rc = uset_build(who, uplift, labels, treatment, n, cfg.arm, &u);
    if (rc) return rc;
    double *x = NULL, *y = NULL, *px = NULL, *py = NULL;
    size_t m = 0, pm = 0;
    rc = set_curve(who, &u, qini, false, true, &x, &y, &m);
    if (!rc) rc = set_curve(who, &u, qini, true, cfg.negative_effect, &px, &py, &pm);
    free(u.r);
    if (!rc) {
        const double base = px[pm - 1] * py[pm - 1] * 0.5;
        const double perfect = trapz(px, py, pm) - base, actual = trapz(x, y, m) - base;
        if (!(fabs(perfect) > 0))
            rc = gerr(GROWTH_EINVAL,
                      "%s: the perfect curve's area over the random line is 0 (the labels carry no uplift "
                      "signal), so the normalised area is undefined",
                      who);
        else
            *out = actual / perfect;
    }
    free(x);
    free(y);
    free(px);
    free(py);
    return rc;
}

GROWTH_API int growth_metrics_uplift_auc(const float *uplift, const float *labels, const int32_t *treatment,
                                         size_t n, const char *config, double *out_auuc)
{
    return normalized_area("growth_metrics_uplift_auc", auuc_opts, NOPTS(auuc_opts), false, uplift, labels,
                           treatment, n, config, out_auuc);
}

GROWTH_API int growth_metrics_qini_auc(const float *uplift, const float *labels, const int32_t *treatment,
                                       size_t n, const char *config, double *out_qini)
{
    return normalized_area("growth_metrics_qini_auc", qini_auc_opts, NOPTS(qini_auc_opts), true, uplift,
                           labels, treatment, n, config, out_qini);
}

GROWTH_API int growth_metrics_uplift_at_k(const float *uplift, const float *labels, const int32_t *treatment,
                                          size_t n, const char *config, double *out_uplift)
{
    static const char *who = "growth_metrics_uplift_at_k";
    uplift_cfg cfg;
    int rc = gcfg_parse(who, at_k_opts, NOPTS(at_k_opts), config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (cfg.k >= 1.0) return gerr(GROWTH_EINVAL, "%s: k = %g must be in (0, 1)", who, cfg.k);
    GROWTH_CHECK_NULL(who, out_uplift);
    uset u;
    rc = uset_build(who, uplift, labels, treatment, n, cfg.arm, &u);
    if (rc) return rc;
    if (cfg.count > 0 && (uint64_t)cfg.count >= u.n) {
        free(u.r);
        return gerr(GROWTH_EINVAL, "%s: count = %lld must be below the number of rows compared (%zu)", who,
                    (long long)cfg.count, u.n);
    }
    qsort(u.r, u.n, sizeof *u.r, urow_cmp);
    double yt = 0, yc = 0;
    size_t nt = 0, nc = 0;
    if (cfg.strategy == 0) {
        const size_t top = cfg.count > 0 ? (size_t)cfg.count : (size_t)floor((double)u.n * cfg.k);
        for (size_t j = 0; j < top; j++) {
            if (u.r[j].t)
                nt++, yt += u.r[j].y;
            else
                nc++, yc += u.r[j].y;
        }
    } else {
        const size_t kt = cfg.count > 0 ? (size_t)cfg.count : (size_t)floor((double)u.n_t * cfg.k);
        const size_t kc = cfg.count > 0 ? (size_t)cfg.count : (size_t)floor((double)u.n_c * cfg.k);
        if (kt > u.n_t || kc > u.n_c) {
            free(u.r);
            return gerr(GROWTH_EINVAL, "%s: count = %lld exceeds a group (%zu treated, %zu control rows)",
                        who, (long long)cfg.count, u.n_t, u.n_c);
        }
        for (size_t j = 0; j < u.n; j++) {
            if (u.r[j].t && nt < kt)
                nt++, yt += u.r[j].y;
            else if (!u.r[j].t && nc < kc)
                nc++, yc += u.r[j].y;
        }
    }
    free(u.r);
    if (nt == 0 || nc == 0)
        return gerr(GROWTH_EINVAL, "%s: the top rows hold no %s row, so uplift at k is undefined (raise k)",
                    who, nt == 0 ? "treated" : "control");
    *out_uplift = yt / (double)nt - yc / (double)nc;
    return GROWTH_OK;
}
