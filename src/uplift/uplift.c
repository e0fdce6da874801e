/* Uplift models on the library's own learners (public forest and FTRL APIs): T-, S- and
 * X-learners, class transformation and the transformed outcome, several treatments against one
 * control, inverse-propensity weighting. Persistence keeps every base model's own file image
 * inside one Uplift message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/ctr.h"
#include "growth/forest.h"
#include "growth/uplift.h"
#include "uplift.pb-c.h"

enum { M_T, M_S, M_X, M_CT, M_TO };
enum { B_FOREST, B_FTRL };

typedef struct {
    int method;
    int base;
    int64_t treatments;
    char base_config[GCFG_STRING_MAX];
    int64_t epochs;
} uplift_cfg;

static const gcfg_opt uplift_opts[] = {
    {"method", GCFG_ENUM, offsetof(uplift_cfg, method), "t_learner", 0, 0,
     "t_learner|s_learner|x_learner|class_transform|transformed_outcome", false},
    {"base", GCFG_ENUM, offsetof(uplift_cfg, base), "forest", 0, 0, "forest|ftrl", false},
    {"treatments", GCFG_INT, offsetof(uplift_cfg, treatments), "1", 1, 64, NULL, false},
    {"base_config", GCFG_STRING, offsetof(uplift_cfg, base_config), "", 0, 0, NULL, false},
    {"epochs", GCFG_INT, offsetof(uplift_cfg, epochs), "5", 1, 1000, NULL, false},
};
#define UPLIFT_NOPTS (sizeof uplift_opts / sizeof uplift_opts[0])

#define UPLIFT_DATA_SIZE_1_0  sizeof(growth_uplift_data)
#define UPLIFT_STATS_SIZE_1_0 sizeof(growth_uplift_stats)
#define UPLIFT_MAX_FILE       ((size_t)1 << 36)

struct growth_uplift {
    uplift_cfg cfg;
    size_t features, T, nmodels;
    growth_forest **forest; /* nmodels (base=forest) */
    growth_ftrl **ftrl;     /* nmodels (base=ftrl) */
    double *g;              /* x_learner: T weights of tau0 */
    uint64_t rows, control_rows;
};

/* Models held by a method with T treatments. */
static size_t models_for(int method, size_t T)
{
    switch (method) {
    case M_T: return T + 1;
    case M_S: return 1;
    case M_X: return 3 * T + 1;
    default: return T;
    }
}

/* Width of the rows a model of the S-learner sees (features + one-hot arm). */
static size_t s_width(const growth_uplift *u) { return u->features + u->T; }

/* FTRL slots the features need: x (ncols), S-learner: + arms (T) + arm x feature (T ncols). */
static uint64_t ftrl_slots(int method, size_t ncols, size_t T)
{
    return method == M_S ? (uint64_t)ncols * (T + 1) + T : (uint64_t)ncols;
}

static void uplift_free_models(growth_uplift *u)
{
    for (size_t m = 0; m < u->nmodels; m++) {
        if (u->forest) growth_forest_free(u->forest[m]);
        if (u->ftrl) growth_ftrl_free(u->ftrl[m]);
    }
    free(u->forest);
    free(u->ftrl);
    free(u->g);
}

GROWTH_API void growth_uplift_free(growth_uplift *u)
{
    if (!u) return;
    uplift_free_models(u);
    free(u);
}

/* A handle with empty model slots for `cfg` and `features`. */
static int uplift_alloc(const char *who, const uplift_cfg *cfg, size_t features, growth_uplift **out)
{
    growth_uplift *u = calloc(1, sizeof *u);
    if (!u) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    u->cfg = *cfg;
    u->features = features;
    u->T = (size_t)cfg->treatments;
    u->nmodels = models_for(cfg->method, u->T);
    if (cfg->base == B_FOREST)
        u->forest = calloc(u->nmodels, sizeof *u->forest);
    else
        u->ftrl = calloc(u->nmodels, sizeof *u->ftrl);
    u->g = calloc(u->T, sizeof *u->g);
    if ((!u->forest && !u->ftrl) || !u->g) {
        growth_uplift_free(u);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    *out = u;
    return GROWTH_OK;
}

/* ---- FTRL rows: dense columns as slots ------------------------------------------------------------ */

/* CSR of rows `sel` (n of them; NULL = all) of X: slot j = column j (value x_j; zeros and NaN
 * left out). S-learner (arm >= 0 for every row via `arms`, or a constant `fixed_arm` when arms
 * is NULL): also slot ncols + t - 1 (value 1) and ncols + T + (t - 1) ncols + j (value x_j). */
typedef struct {
    uint64_t *indptr;
    uint32_t *idx;
    float *val;
} csr;

static void csr_free(csr *c)
{
    free(c->indptr);
    free(c->idx);
    free(c->val);
}

static int csr_build(const char *who, const float *X, size_t ncols, const size_t *sel, size_t n,
                     bool slearner, size_t T, const int32_t *arms, int32_t fixed_arm, csr *c)
{
    const size_t per = slearner ? 2 * ncols + 1 : ncols;
    memset(c, 0, sizeof *c);
    c->indptr = malloc((n + 1) * sizeof *c->indptr);
    c->idx = malloc((n * per + 1) * sizeof *c->idx);
    c->val = malloc((n * per + 1) * sizeof *c->val);
    if (!c->indptr || !c->idx || !c->val) {
        csr_free(c);
        return gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows for FTRL)", who, n);
    }
    uint64_t k = 0;
    for (size_t r = 0; r < n; r++) {
        const size_t i = sel ? sel[r] : r;
        const float *x = X + i * ncols;
        c->indptr[r] = k;
        const int32_t t = slearner ? (arms ? arms[i] : fixed_arm) : 0;
        for (size_t j = 0; j < ncols; j++)
            if (x[j] != 0.0f && x[j] == x[j]) c->idx[k] = (uint32_t)j, c->val[k++] = x[j];
        if (t > 0) {
            c->idx[k] = (uint32_t)(ncols + (size_t)t - 1), c->val[k++] = 1.0f;
            const size_t base = ncols + T + ((size_t)t - 1) * ncols;
            for (size_t j = 0; j < ncols; j++)
                if (x[j] != 0.0f && x[j] == x[j]) c->idx[k] = (uint32_t)(base + j), c->val[k++] = x[j];
        }
    }
    c->indptr[n] = k;
    return GROWTH_OK;
}

/* ---- training ------------------------------------------------------------------------------- */

typedef struct {
    growth_progress_fn fn;
    void *user;
    size_t k, total;
} prog;

static int prog_forest(const char *stage, double done, void *user)
{
    (void)stage;
    prog *p = user;
    return p->fn("train", ((double)p->k + done) / (double)p->total, p->user);
}

/* Trains one forest on rows `sel` (NULL = the first n rows of X as they are). */
static int fit_forest(const char *who, const growth_uplift *u, const char *params, const char *objective,
                      const float *X, size_t ncols, const size_t *sel, size_t n, const float *labels,
                      const float *weights, prog *pg, growth_forest **out)
{
    float *sub = NULL;
    const float *rows = X;
    if (sel) {
        sub = malloc(n * ncols * sizeof *sub);
        if (!sub) return gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows)", who, n);
        for (size_t r = 0; r < n; r++) memcpy(sub + r * ncols, X + sel[r] * ncols, ncols * sizeof *sub);
        rows = sub;
    }
    size_t plen = strlen(objective) + (params ? strlen(params) : 0) + 16;
    char *pstr = malloc(plen);
    if (!pstr) {
        free(sub);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    snprintf(pstr, plen, "objective=%s %s", objective, params ? params : "");
    growth_forest_data d = GROWTH_FOREST_DATA_INIT;
    d.nrows = n;
    d.ncols = ncols;
    d.dense = rows;
    d.labels = labels;
    d.weights = weights;
    int rc = growth_forest_train(out, u->cfg.base_config, pstr, &d, NULL, pg->fn ? prog_forest : NULL, pg);
    free(pstr);
    free(sub);
    if (rc == GROWTH_ECANCELED) return gerr(rc, "%s: canceled by the progress callback", who);
    if (rc) return gerr(rc, "%s: training a base forest failed: %s", who, gerr_cause(who));
    return GROWTH_OK;
}

/* The FTRL configuration: base_config plus the bits the slots need unless it sets them. */
static int ftrl_make(const char *who, const growth_uplift *u, growth_ftrl **out)
{
    const uint64_t slots = ftrl_slots(u->cfg.method, u->features, u->T);
    int bits = 1;
    while (bits < 32 && ((uint64_t)1 << bits) < slots) bits++;
    char cfg[GCFG_STRING_MAX + 32];
    if (strstr(u->cfg.base_config, "bits"))
        snprintf(cfg, sizeof cfg, "%s", u->cfg.base_config);
    else
        snprintf(cfg, sizeof cfg, "%s bits=%d", u->cfg.base_config, bits);
    int rc = growth_ftrl_create(out, cfg);
    if (rc) return gerr(rc, "%s: creating a base FTRL model failed: %s", who, gerr_cause(who));
    return GROWTH_OK;
}

static int fit_ftrl(const char *who, const growth_uplift *u, const float *X, const size_t *sel, size_t n,
                    const int32_t *arms, const float *labels, const float *weights, prog *pg,
                    growth_ftrl **out)
{
    csr c;
    int rc = csr_build(who, X, u->features, sel, n, u->cfg.method == M_S, u->T, arms, 0, &c);
    if (rc) return rc;
    growth_ftrl *m = NULL;
    rc = ftrl_make(who, u, &m);
    for (int64_t e = 0; !rc && e < u->cfg.epochs; e++) {
        rc = growth_ftrl_update_csr(m, c.indptr, c.idx, c.val, n, labels, weights, NULL, 0);
        if (rc)
            rc = gerr(rc, "%s: training a base FTRL model failed: %s", who, gerr_cause(who));
        else if (pg->fn &&
                 pg->fn("train",
                        ((double)pg->k + (double)(e + 1) / (double)u->cfg.epochs) / (double)pg->total,
                        pg->user))
            rc = gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback", who);
    }
    csr_free(&c);
    if (rc) {
        growth_ftrl_free(m);
        return rc;
    }
    *out = m;
    return GROWTH_OK;
}

/* Predicts model m on rows `sel` of X (NULL = all n rows) into out (n floats); S-learner rows get
 * arm `arm`. Forest: probabilities or regression values; FTRL: probabilities. */
static int predict_model(const char *who, const growth_uplift *u, size_t m, const float *X, const size_t *sel,
                         size_t n, int32_t arm, float *out)
{
    const size_t nc = u->features;
    int rc;
    if (u->forest) {
        const bool s = u->cfg.method == M_S;
        const size_t w = s ? s_width(u) : nc;
        float *rows = NULL;
        if (s || sel) {
            rows = malloc((n ? n : 1) * w * sizeof *rows);
            if (!rows) return gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows)", who, n);
            for (size_t r = 0; r < n; r++) {
                float *d = rows + r * w;
                memcpy(d, X + (sel ? sel[r] : r) * nc, nc * sizeof *d);
                if (s)
                    for (size_t t = 0; t < u->T; t++) d[nc + t] = (int32_t)t + 1 == arm ? 1.0f : 0.0f;
            }
        }
        rc = growth_forest_predict_dense(u->forest[m], rows ? rows : X, n, w, 0, out, n);
        free(rows);
    } else {
        csr c;
        rc = csr_build(who, X, nc, sel, n, u->cfg.method == M_S, u->T, NULL, arm, &c);
        if (rc) return rc;
        rc = growth_ftrl_predict_csr(u->ftrl[m], c.indptr, c.idx, c.val, n, 0, out, n);
        csr_free(&c);
    }
    if (rc) return gerr(rc, "%s: predicting with a base model failed: %s", who, gerr_cause(who));
    return GROWTH_OK;
}

static int check_data(const char *who, const uplift_cfg *cfg, const growth_uplift_data *d)
{
    GROWTH_CHECK_NULL(who, d);
    int rc = gstruct_in(who, "train", d, UPLIFT_DATA_SIZE_1_0);
    if (rc) return rc;
    if (d->reserved) return gerr(GROWTH_EINVAL, "%s: train->reserved must be 0", who);
    if (d->nrows < 2) return gerr(GROWTH_EINVAL, "%s: train->nrows = %zu (at least 2 rows)", who, d->nrows);
    if (d->ncols == 0) return gerr(GROWTH_EINVAL, "%s: train->ncols is 0", who);
    if (d->ncols > UINT32_MAX / 130 || d->nrows > SIZE_MAX / sizeof(float) / d->ncols / 4)
        return gerr(GROWTH_EINVAL, "%s: %zu x %zu rows is too large", who, d->nrows, d->ncols);
    if (!d->dense) return gerr(GROWTH_EINVAL, "%s: train->dense is NULL", who);
    if (!d->labels) return gerr(GROWTH_EINVAL, "%s: train->labels is NULL", who);
    if (!d->treatment) return gerr(GROWTH_EINVAL, "%s: train->treatment is NULL", who);
    const size_t n = d->nrows, T = (size_t)cfg->treatments;
    for (size_t i = 0; i < n * d->ncols; i++)
        if (isinf(d->dense[i]))
            return gerr(GROWTH_EINVAL, "%s: dense[%zu] (row %zu, column %zu) is infinite", who, i,
                        i / d->ncols, i % d->ncols);
    uint64_t arm_rows[65] = {0};
    for (size_t i = 0; i < n; i++) {
        if (d->labels[i] != 0.0f && d->labels[i] != 1.0f)
            return gerr(GROWTH_EINVAL, "%s: labels[%zu] = %g is not 0 or 1", who, i, (double)d->labels[i]);
        if (d->treatment[i] < 0 || (size_t)d->treatment[i] > T)
            return gerr(GROWTH_EINVAL,
                        "%s: treatment[%zu] = %d is out of range (0 = control, 1..%zu treatments)", who, i,
                        (int)d->treatment[i], T);
        if (d->weights && (!gfinite(d->weights[i]) || d->weights[i] < 0.0f))
            return gerr(GROWTH_EINVAL, "%s: weights[%zu] = %g is not finite and >= 0", who, i,
                        (double)d->weights[i]);
        arm_rows[d->treatment[i]]++;
    }
    for (size_t t = 0; t <= T; t++)
        if (arm_rows[t] == 0) {
            if (t == 0)
                return gerr(GROWTH_EINVAL, "%s: no control row (treatment 0): one arm is missing", who);
            return gerr(GROWTH_EINVAL, "%s: no row of treatment %zu (of %zu): one arm is missing", who, t, T);
        }
    if (d->propensity) {
        for (size_t i = 0; i < n; i++) {
            double sum = 0;
            for (size_t t = 0; t < T; t++) {
                const float p = d->propensity[i * T + t];
                if (!(p > 0.0f && p < 1.0f))
                    return gerr(GROWTH_EINVAL,
                                "%s: propensity[%zu] (row %zu, treatment %zu) = %g is outside (0, 1)", who,
                                i * T + t, i, t + 1, (double)p);
                sum += p;
            }
            if (!(sum < 1.0))
                return gerr(
                    GROWTH_EINVAL,
                    "%s: propensities of row %zu sum to %g: the control's share 1 - sum must be in (0, 1)",
                    who, i, sum);
        }
    }
    return GROWTH_OK;
}

GROWTH_API int growth_uplift_train(growth_uplift **out, const char *config, const char *params,
                                   const growth_uplift_data *train, growth_progress_fn progress,
                                   void *progress_user)
{
    static const char *who = "growth_uplift_train";
    GROWTH_CHECK_NULL(who, out);
    uplift_cfg cfg;
    int rc = gcfg_parse(who, uplift_opts, UPLIFT_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (cfg.base == B_FTRL && (cfg.method == M_X || cfg.method == M_TO))
        return gerr(GROWTH_EINVAL, "%s: method=%s needs regressions: use base=forest", who,
                    cfg.method == M_X ? "x_learner" : "transformed_outcome");
    if (params && strstr(params, "objective"))
        return gerr(GROWTH_EINVAL, "%s: params may not set the objective (the method sets it): '%s'", who,
                    params);
    if (cfg.base == B_FTRL && params && params[0])
        return gerr(GROWTH_EINVAL, "%s: params (xgboost parameters) must be empty with base=ftrl: '%s'", who,
                    params);
    rc = check_data(who, &cfg, train);
    if (rc) return rc;

    const size_t n = train->nrows, nc = train->ncols, T = (size_t)cfg.treatments;
    const float *X = train->dense, *y = train->labels, *wts = train->weights;
    const int32_t *arm = train->treatment;
    growth_uplift *u = NULL;
    rc = uplift_alloc(who, &cfg, nc, &u);
    if (rc) return rc;
    u->rows = n;
    for (size_t i = 0; i < n; i++) u->control_rows += arm[i] == 0;

    prog pg = {progress, progress_user, 0, u->nmodels};
    size_t *sel = malloc(n * sizeof *sel);
    float *lab = malloc(n * sizeof *lab), *wv = malloc(n * sizeof *wv), *pred = malloc(n * sizeof *pred);
    float *aux = NULL;
    if (!sel || !lab || !wv || !pred) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows)", who, n);
        goto fail;
    }
    const bool forest = cfg.base == B_FOREST;

#define FIT_CLS(m, selp, cnt, labels_, weights_)                                                             \
    (forest ? fit_forest(who, u, params, "binary:logistic", X, nc, selp, cnt, labels_, weights_, &pg,        \
                         &u->forest[m])                                                                      \
            : fit_ftrl(who, u, X, selp, cnt, arm, labels_, weights_, &pg, &u->ftrl[m]))

    if (cfg.method == M_S) {
        if (forest) {
            const size_t w = nc + T;
            aux = malloc(n * w * sizeof *aux);
            if (!aux) {
                rc = gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows)", who, n);
                goto fail;
            }
            for (size_t i = 0; i < n; i++) {
                memcpy(aux + i * w, X + i * nc, nc * sizeof *aux);
                for (size_t t = 0; t < T; t++) aux[i * w + nc + t] = (size_t)arm[i] == t + 1 ? 1.0f : 0.0f;
            }
            rc = fit_forest(who, u, params, "binary:logistic", aux, w, NULL, n, y, wts, &pg, &u->forest[0]);
        } else {
            rc = fit_ftrl(who, u, X, NULL, n, arm, y, wts, &pg, &u->ftrl[0]);
        }
        if (rc) goto fail;
    } else if (cfg.method == M_T || cfg.method == M_X) {
        /* Outcome models per arm. */
        for (size_t t = 0; t <= T; t++, pg.k++) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++)
                if ((size_t)arm[i] == t) {
                    sel[k] = i;
                    lab[k] = y[i];
                    if (wts) wv[k] = wts[i];
                    k++;
                }
            rc = FIT_CLS(t, sel, k, lab, wts ? wv : NULL);
            if (rc) goto fail;
        }
    }
    if (cfg.method == M_X || cfg.method == M_CT || cfg.method == M_TO) {
        for (size_t t = 1; t <= T; t++) {
            /* The pair (control, arm t): rows, the conditional propensity e of each row. */
            size_t k = 0;
            double wt = 0, wc = 0, esum = 0;
            for (size_t i = 0; i < n; i++)
                if (arm[i] == 0 || (size_t)arm[i] == t) {
                    sel[k++] = i;
                    const double w = wts ? wts[i] : 1.0;
                    if (arm[i])
                        wt += w;
                    else
                        wc += w;
                }
            if (!(wt > 0 && wc > 0)) {
                rc = gerr(GROWTH_EINVAL,
                          "%s: the %s rows of the pair (control, treatment %zu) have zero total weight", who,
                          wt > 0 ? "control" : "treated", t);
                goto fail;
            }
            const double share = wt / (wt + wc);
            for (size_t r = 0; r < k; r++) {
                const size_t i = sel[r];
                double e = share;
                if (train->propensity) {
                    double pc = 1.0;
                    for (size_t s = 0; s < T; s++) pc -= train->propensity[i * T + s];
                    const double pt = train->propensity[i * T + t - 1];
                    e = pt / (pt + pc);
                }
                esum += e;
                pred[r] = (float)e; /* e of the pair's row r, used below */
            }
            if (cfg.method == M_X) {
                u->g[t - 1] = esum / (double)k;
                /* tau1_t on arm t's rows: y - mu_0(x); tau0_t on the control rows: mu_t(x) - y. */
                for (int side = 1; side >= 0; side--) {
                    size_t m = 0;
                    for (size_t r = 0; r < k; r++)
                        if ((arm[sel[r]] != 0) == side) sel[m++] = sel[r];
                    /* sel[0..m) are now this side's rows; the pair is rebuilt for the other side. */
                    rc = predict_model(who, u, side ? 0 : t, X, sel, m, 0, pred);
                    if (rc) goto fail;
                    for (size_t r = 0; r < m; r++) {
                        const size_t i = sel[r];
                        lab[r] = side ? y[i] - pred[r] : pred[r] - y[i];
                        if (wts) wv[r] = wts[i];
                    }
                    rc = fit_forest(who, u, params, "reg:squarederror", X, nc, sel, m, lab, wts ? wv : NULL,
                                    &pg, &u->forest[side ? T + t : 2 * T + t]);
                    pg.k++;
                    if (rc) goto fail;
                    /* Rebuild the pair for the next side. */
                    k = 0;
                    for (size_t i = 0; i < n; i++)
                        if (arm[i] == 0 || (size_t)arm[i] == t) sel[k++] = i;
                }
                continue;
            }
            for (size_t r = 0; r < k; r++) {
                const size_t i = sel[r];
                const double e = pred[r], w = wts ? wts[i] : 1.0, W = arm[i] != 0;
                if (cfg.method == M_CT) {
                    lab[r] = (W == 1.0) == (y[i] == 1.0f) ? 1.0f : 0.0f;
                    wv[r] = (float)(w * (W == 1.0 ? 0.5 / e : 0.5 / (1.0 - e)));
                } else {
                    lab[r] = (float)(y[i] * (W - e) / (e * (1.0 - e)));
                    wv[r] = (float)w;
                }
            }
            if (cfg.method == M_CT)
                rc = FIT_CLS(t - 1, sel, k, lab, wv);
            else
                rc = fit_forest(who, u, params, "reg:squarederror", X, nc, sel, k, lab, wts ? wv : NULL, &pg,
                                &u->forest[t - 1]);
            pg.k++;
            if (rc) goto fail;
        }
    }
#undef FIT_CLS
    free(sel);
    free(lab);
    free(wv);
    free(pred);
    free(aux);
    *out = u;
    return GROWTH_OK;
fail:
    free(sel);
    free(lab);
    free(wv);
    free(pred);
    free(aux);
    growth_uplift_free(u);
    return rc;
}

/* ---- prediction ----------------------------------------------------------------------------- */

static int predict_rows(const char *who, const growth_uplift *u, const float *X, size_t n, unsigned flags,
                        float *out)
{
    const size_t T = u->T;
    const bool resp = flags & GROWTH_UPLIFT_RESPONSE;
    const size_t w = resp ? T + 1 : T;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    int rc = GROWTH_OK;
    if (!a || !b || !c) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows)", who, n);
        goto done;
    }
    switch (u->cfg.method) {
    case M_T:
    case M_X:
    case M_S: {
        if (resp || u->cfg.method != M_X) {
            /* a = control response; then each arm's response. */
            rc = predict_model(who, u, 0, X, NULL, n, 0, a);
            if (rc) goto done;
            if (resp)
                for (size_t i = 0; i < n; i++) out[i * w] = a[i];
            for (size_t t = 1; t <= T; t++) {
                rc = predict_model(who, u, u->cfg.method == M_S ? 0 : t, X, NULL, n, (int32_t)t, b);
                if (rc) goto done;
                for (size_t i = 0; i < n; i++) out[i * w + (resp ? t : t - 1)] = resp ? b[i] : b[i] - a[i];
            }
            break;
        }
        for (size_t t = 1; t <= T; t++) {
            rc = predict_model(who, u, T + t, X, NULL, n, 0, b);
            if (!rc) rc = predict_model(who, u, 2 * T + t, X, NULL, n, 0, c);
            if (rc) goto done;
            const double g = u->g[t - 1];
            for (size_t i = 0; i < n; i++) out[i * w + t - 1] = (float)(g * c[i] + (1.0 - g) * b[i]);
        }
        break;
    }
    default:
        for (size_t t = 1; t <= T; t++) {
            rc = predict_model(who, u, t - 1, X, NULL, n, 0, b);
            if (rc) goto done;
            for (size_t i = 0; i < n; i++)
                out[i * w + t - 1] = u->cfg.method == M_CT ? 2.0f * b[i] - 1.0f : b[i];
        }
    }
done:
    free(a);
    free(b);
    free(c);
    return rc;
}

static int check_predict(const char *who, const growth_uplift *u, const float *X, size_t nrows, size_t ncols,
                         unsigned flags, const float *out, size_t cap)
{
    GROWTH_CHECK_NULL(who, u);
    GROWTH_CHECK_NULL(who, X);
    GROWTH_CHECK_NULL(who, out);
    if (flags & ~GROWTH_UPLIFT_RESPONSE) return gerr(GROWTH_EINVAL, "%s: unknown flags 0x%x", who, flags);
    if (ncols != u->features)
        return gerr(GROWTH_EINVAL, "%s: rows have %zu features, the model %zu", who, ncols, u->features);
    if ((flags & GROWTH_UPLIFT_RESPONSE) && (u->cfg.method == M_CT || u->cfg.method == M_TO))
        return gerr(GROWTH_ESTATE, "%s: method=%s has no outcome models (GROWTH_UPLIFT_RESPONSE)", who,
                    u->cfg.method == M_CT ? "class_transform" : "transformed_outcome");
    const size_t w = (flags & GROWTH_UPLIFT_RESPONSE) ? u->T + 1 : u->T;
    if (nrows > SIZE_MAX / sizeof(float) / (ncols > w ? ncols : w) / 2)
        return gerr(GROWTH_EINVAL, "%s: nrows = %zu is too large", who, nrows);
    for (size_t i = 0; i < nrows * ncols; i++)
        if (isinf(X[i])) return gerr(GROWTH_EINVAL, "%s: X[%zu] is infinite", who, i);
    if (cap < nrows * w)
        return gerr(GROWTH_EBUFS, "%s: cap = %zu, %zu rows need %zu floats", who, cap, nrows, nrows * w);
    return GROWTH_OK;
}

GROWTH_API int growth_uplift_predict_dense(const growth_uplift *u, const float *X, size_t nrows, size_t ncols,
                                           unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_uplift_predict_dense";
    int rc = check_predict(who, u, X, nrows, ncols, flags, out, cap);
    if (rc || nrows == 0) return rc;
    const size_t w = (flags & GROWTH_UPLIFT_RESPONSE) ? u->T + 1 : u->T;
    float *tmp = malloc(nrows * w * sizeof *tmp); /* nothing is written to `out` on failure */
    if (!tmp) return gerr(GROWTH_ENOMEM, "%s: out of memory (%zu rows)", who, nrows);
    rc = predict_rows(who, u, X, nrows, flags, tmp);
    if (!rc) memcpy(out, tmp, nrows * w * sizeof *tmp);
    free(tmp);
    return rc;
}

GROWTH_API int growth_uplift_predict(const growth_uplift *u, const float *x, size_t nfeat, unsigned flags,
                                     float *out, size_t cap)
{
    static const char *who = "growth_uplift_predict";
    int rc = check_predict(who, u, x, 1, nfeat, flags, out, cap);
    if (rc) return rc;
    const size_t w = (flags & GROWTH_UPLIFT_RESPONSE) ? u->T + 1 : u->T;
    float tmp[65];
    rc = predict_rows(who, u, x, 1, flags, tmp);
    if (!rc) memcpy(out, tmp, w * sizeof *tmp);
    return rc;
}

/* ---- accessors ------------------------------------------------------------------------------ */

GROWTH_API int growth_uplift_config(const growth_uplift *u, char *buf, size_t cap, size_t *out_n)
{
    static const char *who = "growth_uplift_config";
    GROWTH_CHECK_NULL(who, u);
    if (cap > 0 && !buf) return gerr(GROWTH_EINVAL, "%s: buf is NULL with cap = %zu", who, cap);
    size_t need = 0;
    int rc = gcfg_format(uplift_opts, UPLIFT_NOPTS, &u->cfg, buf, cap, &need);
    if (out_n) *out_n = need;
    if (rc == GROWTH_EBUFS)
        return gerr(rc, "%s: cap = %zu, the configuration needs %zu bytes", who, cap, need);
    return rc;
}

GROWTH_API int growth_uplift_stats_get(const growth_uplift *u, growth_uplift_stats *out)
{
    static const char *who = "growth_uplift_stats_get";
    GROWTH_CHECK_NULL(who, u);
    GROWTH_CHECK_NULL(who, out);
    growth_uplift_stats s = GROWTH_UPLIFT_STATS_INIT;
    s.features = u->features;
    s.treatments = u->T;
    s.models = u->nmodels;
    s.rows = u->rows;
    s.control_rows = u->control_rows;
    return gstruct_out(who, "stats", out, &s, UPLIFT_STATS_SIZE_1_0, sizeof s);
}

/* ---- persistence ---------------------------------------------------------------------------- */

static int uplift_pack(const char *who, const void *model, uint8_t **buf, size_t *len)
{
    const growth_uplift *u = model;
    Growth__Uplift msg = GROWTH__UPLIFT__INIT;
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    char *cfg = gcfg_format_alloc(uplift_opts, UPLIFT_NOPTS, &u->cfg);
    ProtobufCBinaryData *mods = calloc(u->nmodels, sizeof *mods);
    int rc = GROWTH_OK;
    if (!cfg || !mods) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (size_t m = 0; m < u->nmodels; m++) {
        rc = u->forest ? growth_forest_serialize(u->forest[m], &mods[m].data, &mods[m].len)
                       : growth_ftrl_serialize(u->ftrl[m], &mods[m].data, &mods[m].len);
        if (rc) {
            rc = gerr(rc, "%s: serialising base model %zu failed: %s", who, m, gerr_cause(who));
            goto done;
        }
    }
    gmodel_meta(&meta, cfg);
    msg.meta = &meta;
    msg.features = u->features;
    msg.rows = u->rows;
    msg.control_rows = u->control_rows;
    msg.n_models = u->nmodels;
    msg.models = mods;
    msg.n_g = u->cfg.method == M_X ? u->T : 0;
    msg.g = u->g;
    rc = genv_pack(who, GROWTH_KIND_UPLIFT, &msg.base, buf, len);
done:
    if (mods)
        for (size_t m = 0; m < u->nmodels; m++) growth_buffer_free(mods[m].data);
    free(mods);
    free(cfg);
    return rc;
}

static int uplift_from_payload(const char *who, uint32_t kind, const uint8_t *payload, size_t len, void *out)
{
    (void)kind;
    Growth__Uplift *msg = growth__uplift__unpack(&gpb_allocator, len, payload);
    if (!msg) return gpb_unpack_error(who, "uplift model");
    int rc;
    growth_uplift *u = NULL;
    uplift_cfg cfg;
    if (!msg->meta || !msg->meta->config) {
        rc = gerr(GROWTH_EFORMAT, "%s: the uplift model has no configuration", who);
        goto done;
    }
    rc = gcfg_parse_stored(who, uplift_opts, UPLIFT_NOPTS, msg->meta->config, &cfg, sizeof cfg);
    if (rc) goto done;
    if (msg->features == 0 || msg->features > UINT32_MAX / 130) {
        rc = gerr(GROWTH_EFORMAT, "%s: stored features = %llu is invalid", who,
                  (unsigned long long)msg->features);
        goto done;
    }
    const size_t T = (size_t)cfg.treatments;
    if (msg->n_models != models_for(cfg.method, T) || (cfg.method == M_X ? msg->n_g != T : msg->n_g != 0) ||
        (cfg.base == B_FTRL && (cfg.method == M_X || cfg.method == M_TO))) {
        rc = gerr(GROWTH_EFORMAT, "%s: %zu base models and %zu weights do not fit the stored configuration",
                  who, msg->n_models, msg->n_g);
        goto done;
    }
    rc = uplift_alloc(who, &cfg, (size_t)msg->features, &u);
    if (rc) goto done;
    u->rows = msg->rows;
    u->control_rows = msg->control_rows;
    for (size_t t = 0; t < msg->n_g; t++) {
        if (!(msg->g[t] >= 0.0 && msg->g[t] <= 1.0)) {
            rc = gerr(GROWTH_EFORMAT, "%s: stored weight g[%zu] = %g is outside [0, 1]", who, t, msg->g[t]);
            goto done;
        }
        u->g[t] = msg->g[t];
    }
    const uint64_t need_w = cfg.method == M_S ? msg->features + T : msg->features;
    for (size_t m = 0; m < u->nmodels; m++) {
        const ProtobufCBinaryData *b = &msg->models[m];
        if (u->forest) {
            rc = growth_forest_deserialize(&u->forest[m], b->data, b->len);
            if (rc) {
                rc = gerr(rc == GROWTH_ENOMEM ? rc : GROWTH_EFORMAT, "%s: base model %zu: %s", who, m,
                          growth_last_error());
                goto done;
            }
            growth_forest_stats fs = GROWTH_FOREST_STATS_INIT;
            growth_forest_stats_get(u->forest[m], &fs);
            if (fs.features != need_w || fs.outputs != 1) {
                rc = gerr(GROWTH_EFORMAT,
                          "%s: base model %zu has %llu features and %llu outputs, expected %llu and 1", who,
                          m, (unsigned long long)fs.features, (unsigned long long)fs.outputs,
                          (unsigned long long)need_w);
                goto done;
            }
        } else {
            rc = growth_ftrl_deserialize(&u->ftrl[m], b->data, b->len);
            if (rc) {
                rc = gerr(rc == GROWTH_ENOMEM ? rc : GROWTH_EFORMAT, "%s: base model %zu: %s", who, m,
                          growth_last_error());
                goto done;
            }
            growth_ftrl_stats fs = GROWTH_FTRL_STATS_INIT;
            growth_ftrl_stats_get(u->ftrl[m], &fs);
            if (fs.heads != 1 ||
                (fs.bits < 32 && ((uint64_t)1 << fs.bits) < ftrl_slots(cfg.method, u->features, T))) {
                rc = gerr(GROWTH_EFORMAT, "%s: base FTRL model %zu does not fit the features", who, m);
                goto done;
            }
        }
    }
    *(growth_uplift **)out = u;
    u = NULL;
done:
    growth_uplift_free(u);
    growth__uplift__free_unpacked(msg, &gpb_allocator);
    return rc;
}

GROWTH_API int growth_uplift_save(const growth_uplift *u, const char *path)
{
    return gmodel_save("growth_uplift_save", u, path, uplift_pack);
}

GROWTH_API int growth_uplift_serialize(const growth_uplift *u, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_uplift_serialize", u, uplift_pack, out_buf, out_len);
}

GROWTH_API int growth_uplift_load(growth_uplift **out, const char *path)
{
    return gmodel_load("growth_uplift_load", path, UPLIFT_MAX_FILE, GROWTH_KIND_UPLIFT, uplift_from_payload,
                       out);
}

GROWTH_API int growth_uplift_deserialize(growth_uplift **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_uplift_deserialize", buf, len, GROWTH_KIND_UPLIFT, uplift_from_payload,
                              out);
}
