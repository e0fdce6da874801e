/* Gradient-boosted trees through libxgboost's C API: training, the handle, predictions (native
 * and xgboost's reference predictor), importance and SHAP contributions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forest_impl.h"

static const gcfg_opt forest_opts[] = {
    {"threads", GCFG_INT, offsetof(forest_cfg, threads), "1", 1, 256, NULL, false},
    {"num_rounds", GCFG_INT, offsetof(forest_cfg, num_rounds), "100", 1, 1000000, NULL, false},
    {"early_stopping_rounds", GCFG_INT, offsetof(forest_cfg, early_stopping_rounds), "0", 0, 1000000, NULL,
     false},
    {"maximize", GCFG_ENUM, offsetof(forest_cfg, maximize), "auto", 0, 0, "auto|false|true", false},
    GCFG_MAX_MEMORY(forest_cfg, max_memory),
};
#define FOREST_NOPTS (sizeof forest_opts / sizeof forest_opts[0])

/* Serving options that growth_forest_set_config() may change. */
typedef struct {
    int64_t threads;
} forest_serve_cfg;
static const gcfg_opt serve_opts[] = {
    {"threads", GCFG_INT, offsetof(forest_serve_cfg, threads), "1", 1, 256, NULL, false},
};

#define ROW_STACK_FEATURES 4096 /* sparse single rows of models up to this width use the stack */
#define BLOCK_ROWS         64

/* ---- configuration and the handle -------------------------------------------------------- */

void forest_default_cfg(forest_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    gcfg_parse("forest", forest_opts, FOREST_NOPTS, "", cfg, sizeof *cfg);
}

int forest_parse_cfg(const char *who, const char *config, forest_cfg *cfg)
{
    (void)who;
    memset(cfg, 0, sizeof *cfg);
    return gcfg_parse("forest", forest_opts, FOREST_NOPTS, config ? config : "", cfg, sizeof *cfg);
}

static forest_cfg current_cfg(const growth_forest *f)
{
    forest_cfg c = f->cfg;
    c.threads = atomic_load_explicit(&((growth_forest *)f)->threads, memory_order_relaxed);
    return c;
}

int forest_format_cfg(const growth_forest *f, char **out)
{
    forest_cfg c = current_cfg(f);
    if (!(*out = gcfg_format_alloc(forest_opts, FOREST_NOPTS, &c)))
        return gerr(GROWTH_ENOMEM, "forest: out of memory");
    return GROWTH_OK;
}

/* xgboost's last error without its stack trace (first line only). */
const char *forest_xgb_error(void)
{
    static _Thread_local char buf[400];
    const char *e = XGBGetLastError();
    size_t n = e ? strcspn(e, "\n") : 0;
    if (n >= sizeof buf) n = sizeof buf - 1;
    if (n) memcpy(buf, e, n);
    buf[n] = 0;
    return buf;
}

/* xgboost's global configuration is thread-local: silence it in every calling thread. */
void forest_quiet(void) { XGBSetGlobalConfig("{\"verbosity\": 0}"); }

static int set_threads_param(const char *who, BoosterHandle bst, int threads)
{
    char v[16];
    snprintf(v, sizeof v, "%d", threads);
    if (XGBoosterSetParam(bst, "nthread", v) != 0 || XGBoosterSetParam(bst, "verbosity", "0") != 0)
        return gerr(GROWTH_EDEP, "%s: XGBoosterSetParam failed: %s", who, forest_xgb_error());
    return GROWTH_OK;
}

static int xgb_predict(const char *who, const growth_forest *f, int type, const float *X, size_t nrows,
                       const uint64_t *indptr, const uint32_t *idx, const float *val, float *out,
                       size_t expect);

/* xgboost configures a booster and fills per-tree caches (SHAP's node means) lazily, on the
 * first prediction: do it now, so later concurrent predictions only read. */
static int forest_warmup(const char *who, growth_forest *f)
{
    size_t nf = f->t.nf, G = f->t.G;
    float *x = malloc(nf * sizeof *x), *o = malloc(G * (nf + 1) * sizeof *o);
    int rc = GROWTH_OK;
    if (!x || !o) rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    for (size_t j = 0; !rc && j < nf; j++) x[j] = NAN;
    if (!rc) rc = xgb_predict(who, f, 1, x, 1, NULL, NULL, NULL, o, G);
    if (!rc) rc = xgb_predict(who, f, 2, x, 1, NULL, NULL, NULL, o, G * (nf + 1));
    free(x);
    free(o);
    return rc;
}

int forest_new_handle(growth_forest **out, const forest_cfg *cfg, ftrees *t, BoosterHandle bst, uint8_t *ubj,
                      size_t ubj_len, const char *params)
{
    const char *who = "forest";
    int rc = set_threads_param(who, bst, (int)cfg->threads);
    if (rc) return rc;
    growth_forest *f = calloc(1, sizeof *f);
    size_t plen = strlen(params ? params : "");
    char *p = malloc(plen + 1);
    if (p) memcpy(p, params ? params : "", plen + 1);
    if (!f || !p) {
        free(f);
        free(p);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    f->cfg = *cfg;
    atomic_init(&f->threads, (int)cfg->threads);
    f->t = *t;
    memset(t, 0, sizeof *t);
    f->bst = bst;
    f->ubj = ubj;
    f->ubj_len = ubj_len;
    f->params = p;
    f->best_iteration = -1;
    pthread_mutex_init(&f->lock, NULL);
    if ((rc = forest_warmup(who, f))) {
        f->bst = NULL; /* the caller still owns bst, ubj and the trees on failure */
        f->ubj = NULL;
        *t = f->t;
        memset(&f->t, 0, sizeof f->t);
        growth_forest_free(f);
        return rc;
    }
    *out = f;
    return GROWTH_OK;
}

/* Copies a model out of xgboost; the booster's buffer is reused by the next call, so calls on a
 * shared booster (f != NULL) hold the handle's lock. */
int forest_export(const char *who, growth_forest *f, BoosterHandle bst, const char *format, uint8_t **out,
                  size_t *out_len)
{
    char cfg[64];
    snprintf(cfg, sizeof cfg, "{\"format\": \"%s\"}", format);
    bst_ulong len = 0;
    const char *data = NULL;
    forest_quiet();
    if (f) pthread_mutex_lock(&f->lock);
    int rc = GROWTH_OK;
    if (XGBoosterSaveModelToBuffer(bst, cfg, &len, &data) != 0) {
        rc = gerr(GROWTH_EDEP, "%s: XGBoosterSaveModelToBuffer failed: %s", who, forest_xgb_error());
    } else if (!(*out = malloc(len ? (size_t)len : 1))) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory (%llu bytes)", who, (unsigned long long)len);
    } else {
        memcpy(*out, data, (size_t)len);
        *out_len = (size_t)len;
    }
    if (f) pthread_mutex_unlock(&f->lock);
    return rc;
}

GROWTH_API void growth_forest_free(growth_forest *f)
{
    if (!f) return;
    if (f->bst) XGBoosterFree(f->bst);
    ftrees_free(&f->t);
    pthread_mutex_destroy(&f->lock);
    free(f->ubj);
    free(f->params);
    free(f);
}

GROWTH_API int growth_forest_set_config(growth_forest *f, const char *config)
{
    static const char *who = "growth_forest_set_config";
    GROWTH_CHECK_NULL(who, f);
    forest_serve_cfg c;
    memset(&c, 0, sizeof c);
    int rc = gcfg_parse("forest", serve_opts, 1, config ? config : "", &c, sizeof c);
    if (rc) return rc;
    forest_quiet();
    int old = atomic_load_explicit(&f->threads, memory_order_relaxed);
    if ((rc = set_threads_param(who, f->bst, (int)c.threads))) return rc;
    if ((rc = forest_warmup(who, f))) {
        set_threads_param(who, f->bst, old); /* leave the forest as it was */
        return rc;
    }
    atomic_store_explicit(&f->threads, (int)c.threads, memory_order_relaxed);
    return GROWTH_OK;
}

GROWTH_API int growth_forest_config(const growth_forest *f, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_forest_config", f);
    forest_cfg c = current_cfg(f);
    return gcfg_format(forest_opts, FOREST_NOPTS, &c, buf, cap, out_n);
}

GROWTH_API int growth_forest_objective(const growth_forest *f, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_forest_objective", f);
    return gcopy_out("growth_forest_objective", f->t.objective, buf, cap, out_n);
}

GROWTH_API int growth_forest_stats_get(const growth_forest *f, growth_forest_stats *out)
{
    static const char *who = "growth_forest_stats_get";
    GROWTH_CHECK_NULL(who, f);
    GROWTH_CHECK_NULL(who, out);
    growth_forest_stats s = GROWTH_FOREST_STATS_INIT;
    s.features = f->t.nf;
    s.outputs = f->t.G;
    s.trees = f->t.ntrees;
    s.best_iteration = f->best_iteration >= 0 ? f->best_iteration : -1;
    s.best_score = f->best_iteration >= 0 ? f->best_score : NAN;
    return gstruct_out(who, "stats", out, &s, sizeof s, sizeof s);
}

/* ---- xgboost's predictor (reference path, contributions) --------------------------------- */

/* type: 0 value, 1 margin, 2 contributions. Copies xgboost's thread-local result to out. */
static int xgb_predict(const char *who, const growth_forest *f, int type, const float *X, size_t nrows,
                       const uint64_t *indptr, const uint32_t *idx, const float *val, float *out,
                       size_t expect)
{
    char arr[3][160], cfg[256];
    snprintf(cfg, sizeof cfg,
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
             "\"strict_shape\": true, \"cache_id\": 0, \"missing\": NaN}",
             type);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    float *ones = NULL;
    DMatrixHandle proxy = NULL;
    int rc = GROWTH_OK, x;
    forest_quiet();
    if (type == 2) {
        /* contributions are not an in-place prediction: through a DMatrix */
        if (XGDMatrixCreateFromMat(X, (bst_ulong)nrows, (bst_ulong)f->t.nf, NAN, &proxy) != 0)
            return gerr(GROWTH_EDEP, "%s: XGDMatrixCreateFromMat failed: %s", who, forest_xgb_error());
        snprintf(cfg, sizeof cfg,
                 "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, "
                 "\"iteration_end\": 0, \"strict_shape\": true}");
        x = XGBoosterPredictFromDMatrix(f->bst, proxy, cfg, &shape, &dim, &res);
    } else if (XGProxyDMatrixCreate(&proxy) != 0) {
        return gerr(GROWTH_EDEP, "%s: XGProxyDMatrixCreate failed: %s", who, forest_xgb_error());
    } else if (X) {
        snprintf(arr[0], sizeof arr[0],
                 "{\"data\": [%llu, true], \"shape\": [%zu, %u], \"typestr\": \"<f4\", \"version\": 3}",
                 (unsigned long long)(uintptr_t)X, nrows, f->t.nf);
        x = XGBoosterPredictFromDense(f->bst, arr[0], cfg, proxy, &shape, &dim, &res);
    } else {
        size_t nnz = (size_t)indptr[nrows];
        if (!val) {
            ones = malloc((nnz ? nnz : 1) * sizeof *ones);
            if (!ones) {
                XGDMatrixFree(proxy);
                return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            }
            for (size_t i = 0; i < nnz; i++) ones[i] = 1.0f;
            val = ones;
        }
        snprintf(arr[0], sizeof arr[0],
                 "{\"data\": [%llu, true], \"shape\": [%zu], \"typestr\": \"<u8\", \"version\": 3}",
                 (unsigned long long)(uintptr_t)indptr, nrows + 1);
        snprintf(arr[1], sizeof arr[1],
                 "{\"data\": [%llu, true], \"shape\": [%zu], \"typestr\": \"<u4\", \"version\": 3}",
                 (unsigned long long)(uintptr_t)idx, nnz);
        snprintf(arr[2], sizeof arr[2],
                 "{\"data\": [%llu, true], \"shape\": [%zu], \"typestr\": \"<f4\", \"version\": 3}",
                 (unsigned long long)(uintptr_t)val, nnz);
        x = XGBoosterPredictFromCSR(f->bst, arr[0], arr[1], arr[2], f->t.nf, cfg, proxy, &shape, &dim, &res);
    }
    if (x != 0) {
        rc = gerr(GROWTH_EDEP, "%s: xgboost's predictor failed: %s", who, forest_xgb_error());
    } else {
        size_t n = 1;
        for (bst_ulong i = 0; i < dim; i++) n *= (size_t)shape[i];
        if (n != expect)
            rc = gerr(GROWTH_EDEP, "%s: xgboost returned %zu values, expected %zu", who, n, expect);
        else
            memcpy(out, res, n * sizeof *out);
    }
    XGDMatrixFree(proxy);
    free(ones);
    return rc;
}

static int reference(const char *who, const growth_forest *f, unsigned flags, const float *X, size_t nrows,
                     const uint64_t *indptr, const uint32_t *idx, const float *val, float *out)
{
    if (nrows == 0) return GROWTH_OK;
    /* xgboost's multi:softmax "value" is the class index; ours is the softmax. */
    bool margin = (flags & GROWTH_PREDICT_MARGIN) || f->t.transform == TR_SOFTMAX;
    int rc = xgb_predict(who, f, margin ? 1 : 0, X, nrows, indptr, idx, val, out, nrows * f->t.G);
    if (!rc && margin && !(flags & GROWTH_PREDICT_MARGIN)) forest_transform(&f->t, out, nrows);
    return rc;
}

GROWTH_API int growth_forest_contributions(const growth_forest *f, const float *X, size_t nrows, size_t ncols,
                                           float *out, size_t cap)
{
    static const char *who = "growth_forest_contributions";
    GROWTH_CHECK_NULL(who, f);
    GROWTH_CHECK_NULL(who, out);
    if (nrows > 0) GROWTH_CHECK_NULL(who, X);
    if (ncols != f->t.nf)
        return gerr(GROWTH_EINVAL, "%s: rows have %zu features, the model has %u", who, ncols, f->t.nf);
    size_t per = (size_t)f->t.G * ((size_t)f->t.nf + 1);
    if (nrows > SIZE_MAX / per) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    if (cap < nrows * per)
        return gerr(GROWTH_EBUFS, "%s: out holds %zu floats, %zu needed", who, cap, nrows * per);
    if (nrows == 0) return GROWTH_OK;
    return xgb_predict(who, f, 2, X, nrows, NULL, NULL, NULL, out, nrows * per);
}

/* ---- native predictions ------------------------------------------------------------------ */

static int check_common(const char *who, const growth_forest *f, unsigned flags, float *out, size_t cap,
                        size_t nrows)
{
    GROWTH_CHECK_NULL(who, f);
    GROWTH_CHECK_NULL(who, out);
    if (flags & ~(GROWTH_PREDICT_MARGIN | GROWTH_FOREST_REFERENCE))
        return gerr(GROWTH_EINVAL, "%s: unknown flags 0x%x (GROWTH_PREDICT_MARGIN, GROWTH_FOREST_REFERENCE)",
                    who, flags);
    if (nrows > SIZE_MAX / f->t.G) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    if (cap < nrows * f->t.G)
        return gerr(GROWTH_EBUFS, "%s: out holds %zu floats, %zu needed (%zu rows x %u outputs)", who, cap,
                    nrows * f->t.G, nrows, f->t.G);
    return GROWTH_OK;
}

GROWTH_API int growth_forest_predict(const growth_forest *f, const float *x, size_t nfeat, unsigned flags,
                                     float *out, size_t cap)
{
    static const char *who = "growth_forest_predict";
    int rc = check_common(who, f, flags, out, cap, 1);
    if (rc) return rc;
    GROWTH_CHECK_NULL(who, x);
    if (nfeat != f->t.nf)
        return gerr(GROWTH_EINVAL, "%s: row has %zu features, the model has %u", who, nfeat, f->t.nf);
    if (flags & GROWTH_FOREST_REFERENCE) return reference(who, f, flags, x, 1, NULL, NULL, NULL, out);
    forest_eval_row(&f->t, x, out);
    if (!(flags & GROWTH_PREDICT_MARGIN)) forest_transform(&f->t, out, 1);
    return GROWTH_OK;
}

static int check_indices(const char *who, const growth_forest *f, const uint32_t *idx, size_t nnz)
{
    if (nnz > 0 && !idx) return gerr(GROWTH_EINVAL, "%s: idx is NULL with nnz=%zu", who, nnz);
    if (nnz > SIZE_MAX / sizeof(float)) /* no array of indices and values is that long */
        return gerr(GROWTH_EINVAL, "%s: nnz=%zu is too large", who, nnz);
    uint32_t mx = 0;
    for (size_t k = 0; k < nnz; k++) mx = idx[k] > mx ? idx[k] : mx;
    if (nnz > 0 && mx >= f->t.nf) {
        for (size_t k = 0; k < nnz; k++)
            if (idx[k] >= f->t.nf)
                return gerr(GROWTH_EINVAL, "%s: idx[%zu] = %u is not below the model's %u features", who, k,
                            idx[k], f->t.nf);
    }
    return GROWTH_OK;
}

static inline float sparse_lookup(const uint32_t *idx, const float *val, size_t nnz, uint32_t j)
{
    size_t lo = 0, hi = nnz;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (idx[mid] < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nnz && idx[lo] == j ? (val ? val[lo] : 1.0f) : NAN;
}

/* Wide models: no dense row; each split looks its feature up (indices ascending). */
static void eval_sorted(const ftrees *t, const uint32_t *idx, const float *val, size_t nnz, float *acc)
{
    for (uint32_t g = 0; g < t->G; g++) acc[g] = t->base;
    for (uint32_t tr = 0; tr < t->ntrees; tr++) {
        uint32_t n = t->toff[tr];
        const fnode *p = &t->nodes[n];
        while (p->w & FOREST_INNER) {
            float v = sparse_lookup(idx, val, nnz, p->w & FOREST_FMASK);
            bool left = isnan(v) ? (p->w & FOREST_DLEFT) != 0 : v < p->v;
            p = &t->nodes[p->left + !left];
        }
        acc[t->tgroup[tr]] += p->v;
    }
}

GROWTH_API int growth_forest_predict_sparse(const growth_forest *f, const uint32_t *idx, const float *val,
                                            size_t nnz, unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_forest_predict_sparse";
    int rc = check_common(who, f, flags, out, cap, 1);
    if (!rc) rc = check_indices(who, f, idx, nnz);
    if (rc) return rc;
    if (flags & GROWTH_FOREST_REFERENCE) {
        uint64_t ip[2] = {0, nnz};
        return reference(who, f, flags, NULL, 1, ip, idx, val, out);
    }
    const uint32_t nf = f->t.nf;
    if (nf <= ROW_STACK_FEATURES) {
        float x[ROW_STACK_FEATURES];
        for (uint32_t j = 0; j < nf; j++) x[j] = NAN;
        for (size_t k = 0; k < nnz; k++) x[idx[k]] = val ? val[k] : 1.0f;
        forest_eval_row(&f->t, x, out);
    } else {
        for (size_t k = 1; k < nnz; k++)
            if (idx[k] <= idx[k - 1])
                return gerr(GROWTH_EINVAL,
                            "%s: idx must be strictly ascending for models with more than %d features "
                            "(idx[%zu] = %u after %u)",
                            who, ROW_STACK_FEATURES, k, idx[k], idx[k - 1]);
        eval_sorted(&f->t, idx, val, nnz, out);
    }
    if (!(flags & GROWTH_PREDICT_MARGIN)) forest_transform(&f->t, out, 1);
    return GROWTH_OK;
}

/* A batch split across threads: rows [r0, r1) of a dense matrix or of a CSR matrix. */
typedef struct {
    const ftrees *t;
    const float *X;
    const uint64_t *indptr;
    const uint32_t *idx;
    const float *val;
    size_t r0, r1;
    float *out;
    bool margin;
    int rc;
} batch_job;

static void *batch_run(void *arg);
static void *batch_run(void *arg)
{
    batch_job *j = arg;
    const ftrees *t = j->t;
    const size_t nf = t->nf, G = t->G;
    float *scratch = NULL;
    size_t brows = BLOCK_ROWS;
    if (!j->X) {
        /* CSR rows are scattered into dense rows of NaN; only the written entries are reset. */
        size_t limit = ((size_t)1 << 20) / nf;
        brows = limit < 1 ? 1 : limit < BLOCK_ROWS ? limit : BLOCK_ROWS;
        scratch = malloc(brows * nf * sizeof *scratch);
        if (!scratch) {
            j->rc = GROWTH_ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < brows * nf; i++) scratch[i] = NAN;
    }
    for (size_t r = j->r0; r < j->r1; r += brows) {
        size_t nb = j->r1 - r < brows ? j->r1 - r : brows;
        float *o = j->out + r * G;
        if (j->X) {
            forest_eval_block(t, j->X + r * nf, nf, nb, o);
        } else {
            for (size_t i = 0; i < nb; i++) {
                float *x = scratch + i * nf;
                for (uint64_t k = j->indptr[r + i]; k < j->indptr[r + i + 1]; k++)
                    x[j->idx[k]] = j->val ? j->val[k] : 1.0f;
            }
            forest_eval_block(t, scratch, nf, nb, o);
            for (size_t i = 0; i < nb; i++) {
                float *x = scratch + i * nf;
                for (uint64_t k = j->indptr[r + i]; k < j->indptr[r + i + 1]; k++) x[j->idx[k]] = NAN;
            }
        }
        if (!j->margin) forest_transform(t, o, nb);
    }
    free(scratch);
    return NULL;
}

static int run_batch(const char *who, const growth_forest *f, batch_job proto, size_t nrows)
{
    int threads = atomic_load_explicit(&((growth_forest *)f)->threads, memory_order_relaxed);
    size_t blocks = (nrows + BLOCK_ROWS - 1) / BLOCK_ROWS;
    if ((size_t)threads > blocks) threads = blocks ? (int)blocks : 1;
    batch_job jobs[256];
    pthread_t tid[256];
    bool started[256] = {false};
    size_t per = (blocks + (size_t)threads - 1) / (size_t)threads * BLOCK_ROWS;
    for (int i = 0; i < threads; i++) {
        jobs[i] = proto;
        jobs[i].r0 = (size_t)i * per < nrows ? (size_t)i * per : nrows;
        jobs[i].r1 = (size_t)(i + 1) * per < nrows ? (size_t)(i + 1) * per : nrows;
        jobs[i].rc = GROWTH_OK;
    }
    for (int i = 1; i < threads; i++) started[i] = pthread_create(&tid[i], NULL, batch_run, &jobs[i]) == 0;
    batch_run(&jobs[0]);
    for (int i = 1; i < threads; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            batch_run(&jobs[i]); /* could not start a thread: do its share here */
    }
    for (int i = 0; i < threads; i++)
        if (jobs[i].rc) return gerr(jobs[i].rc, "%s: out of memory for the row scratch", who);
    return GROWTH_OK;
}

GROWTH_API int growth_forest_predict_dense(const growth_forest *f, const float *X, size_t nrows, size_t ncols,
                                           unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_forest_predict_dense";
    int rc = check_common(who, f, flags, out, cap, nrows);
    if (rc) return rc;
    if (nrows > 0) GROWTH_CHECK_NULL(who, X);
    if (ncols != f->t.nf)
        return gerr(GROWTH_EINVAL, "%s: rows have %zu features, the model has %u", who, ncols, f->t.nf);
    if (ncols && nrows > SIZE_MAX / sizeof(float) / ncols) /* nrows x ncols would wrap around */
        return gerr(GROWTH_EINVAL, "%s: nrows=%zu is too large", who, nrows);
    if (nrows == 0) return GROWTH_OK;
    if (flags & GROWTH_FOREST_REFERENCE) return reference(who, f, flags, X, nrows, NULL, NULL, NULL, out);
    batch_job j = {&f->t, X, NULL, NULL, NULL, 0, 0, out, (flags & GROWTH_PREDICT_MARGIN) != 0, 0};
    return run_batch(who, f, j, nrows);
}

GROWTH_API int growth_forest_predict_csr(const growth_forest *f, const uint64_t *indptr, const uint32_t *idx,
                                         const float *val, size_t nrows, unsigned flags, float *out,
                                         size_t cap)
{
    static const char *who = "growth_forest_predict_csr";
    int rc = check_common(who, f, flags, out, cap, nrows);
    if (rc) return rc;
    GROWTH_CHECK_NULL(who, indptr);
    if (nrows >= SIZE_MAX / sizeof *indptr) /* indptr holds nrows + 1 offsets */
        return gerr(GROWTH_EINVAL, "%s: nrows=%zu is too large", who, nrows);
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] < indptr[r]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, r);
    if (indptr[nrows] > (uint64_t)SIZE_MAX / sizeof(float))
        return gerr(GROWTH_EINVAL, "%s: indptr too large", who);
    size_t b = (size_t)indptr[0], nnz = (size_t)(indptr[nrows] - indptr[0]);
    if ((rc = check_indices(who, f, idx ? idx + b : NULL, nnz))) return rc;
    if (nrows == 0) return GROWTH_OK;
    if (flags & GROWTH_FOREST_REFERENCE) return reference(who, f, flags, NULL, nrows, indptr, idx, val, out);
    batch_job j = {&f->t, NULL, indptr, idx, val, 0, 0, out, (flags & GROWTH_PREDICT_MARGIN) != 0, 0};
    return run_batch(who, f, j, nrows);
}

/* ---- importance -------------------------------------------------------------------------- */

/* Importance statistics (the `type` key of growth_forest_importance, as xgboost's get_score). */
enum { IMP_WEIGHT, IMP_GAIN, IMP_COVER, IMP_TOTAL_GAIN, IMP_TOTAL_COVER };
typedef struct {
    int type;
} importance_cfg;
static const gcfg_opt importance_opts[] = {
    {"type", GCFG_ENUM, offsetof(importance_cfg, type), "weight", 0, 0,
     "weight|gain|cover|total_gain|total_cover", false},
};

GROWTH_API int growth_forest_importance(const growth_forest *f, const char *config, float *out, size_t cap)
{
    static const char *who = "growth_forest_importance";
    GROWTH_CHECK_NULL(who, f);
    GROWTH_CHECK_NULL(who, out);
    importance_cfg ic = {0};
    int rc = gcfg_parse(who, importance_opts, 1, config ? config : "", &ic, sizeof ic);
    if (rc) return rc;
    const int type = ic.type;
    const ftrees *t = &f->t;
    if (cap < t->nf) return gerr(GROWTH_EBUFS, "%s: out holds %zu floats, %u needed", who, cap, t->nf);
    double *sum = calloc(t->nf, sizeof *sum), *cnt = calloc(t->nf, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum);
        free(cnt);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    for (uint32_t i = 0; i < t->nnodes; i++) {
        uint32_t w = t->nodes[i].w;
        if (!(w & FOREST_INNER)) continue;
        uint32_t j = w & FOREST_FMASK;
        cnt[j] += 1;
        sum[j] += (type == IMP_GAIN || type == IMP_TOTAL_GAIN) ? t->gain[i] : t->cover[i];
    }
    for (uint32_t j = 0; j < t->nf; j++) {
        double v = type == IMP_WEIGHT                        ? cnt[j]
                   : (type == IMP_GAIN || type == IMP_COVER) ? (cnt[j] > 0 ? sum[j] / cnt[j] : 0)
                                                             : sum[j];
        out[j] = (float)v;
    }
    free(sum);
    free(cnt);
    return GROWTH_OK;
}

/* ---- training ---------------------------------------------------------------------------- */

#define MAX_PARAMS    128
#define MAX_PARAM_LEN 512

typedef struct {
    char key[MAX_PARAMS][64];
    char val[MAX_PARAMS][MAX_PARAM_LEN];
    int n;
} param_list;

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':' || c == '.' || c == '-' || c == '@';
}

/* "k=v k2='v w'": whitespace-separated key=value pairs. Values are xgboost's to judge. */
static int parse_params(const char *who, const char *s, param_list *pl)
{
    pl->n = 0;
    if (!s) return GROWTH_OK;
    size_t p = 0, n = strlen(s);
    while (1) {
        while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) p++;
        if (p >= n) break;
        size_t k0 = p;
        while (p < n && key_char(s[p])) p++;
        size_t klen = p - k0;
        if (klen == 0 || p >= n || s[p] != '=')
            return gerr(GROWTH_EINVAL, "%s: params: expected key=value at offset %zu of \"%.60s\"", who, k0,
                        s);
        if (klen >= sizeof pl->key[0])
            return gerr(GROWTH_EINVAL, "%s: params: key at offset %zu is too long", who, k0);
        p++;
        size_t v0 = p, vlen;
        if (p < n && (s[p] == '\'' || s[p] == '"')) {
            char q = s[p++];
            v0 = p;
            while (p < n && s[p] != q) p++;
            if (p >= n)
                return gerr(GROWTH_EINVAL, "%s: params: unterminated quote for '%.*s'", who, (int)klen,
                            s + k0);
            vlen = p - v0;
            p++;
        } else {
            while (p < n && s[p] != ' ' && s[p] != '\t' && s[p] != '\n' && s[p] != '\r') p++;
            vlen = p - v0;
        }
        if (vlen == 0)
            return gerr(GROWTH_EINVAL, "%s: params: '%.*s' has an empty value", who, (int)klen, s + k0);
        if (vlen >= sizeof pl->val[0])
            return gerr(GROWTH_EINVAL, "%s: params: value of '%.*s' is too long", who, (int)klen, s + k0);
        if (pl->n >= MAX_PARAMS)
            return gerr(GROWTH_EINVAL, "%s: params: more than %d parameters", who, MAX_PARAMS);
        memcpy(pl->key[pl->n], s + k0, klen);
        pl->key[pl->n][klen] = 0;
        memcpy(pl->val[pl->n], s + v0, vlen);
        pl->val[pl->n][vlen] = 0;
        const char *key = pl->key[pl->n];
        for (size_t i = 0; i < FOREST_NOPTS; i++)
            if (strcmp(key, forest_opts[i].key) == 0)
                return gerr(GROWTH_EINVAL, "%s: params: '%s' is a libgrowth option: pass it in config", who,
                            key);
        for (int i = 0; i < pl->n; i++)
            if (strcmp(pl->key[i], key) == 0 && strcmp(key, "eval_metric") != 0)
                return gerr(GROWTH_EINVAL, "%s: params: '%s' is given twice", who, key);
        if (strcmp(key, "objective") == 0 && forest_objective_index(pl->val[pl->n], vlen) < 0)
            return gerr(GROWTH_EINVAL, "%s: objective '%s' is not supported (supported: %s)", who,
                        pl->val[pl->n], forest_objective_list());
        if (strcmp(key, "booster") == 0 && strcmp(pl->val[pl->n], "gbtree") != 0)
            return gerr(GROWTH_EINVAL, "%s: booster '%s' is not supported (only gbtree)", who,
                        pl->val[pl->n]);
        pl->n++;
    }
    return GROWTH_OK;
}

/* The size of growth_forest_data in libgrowth 1.0: a caller built against 1.0 passes this
 * much, whatever members later versions append (never compare with sizeof of this build). */
#define FOREST_DATA_SIZE_1_0 (offsetof(growth_forest_data, weights) + sizeof(const float *))

static int check_data(const char *who, const char *name, const growth_forest_data *d, size_t ncols)
{
    int rc = gstruct_in(who, name, d, FOREST_DATA_SIZE_1_0);
    if (rc) return rc;
    if (d->nrows == 0) return gerr(GROWTH_EINVAL, "%s: %s has no rows", who, name);
    if (d->ncols == 0 || d->ncols > FOREST_MAX_FEATURES)
        return gerr(GROWTH_EINVAL, "%s: %s->ncols = %zu is not in 1..%u", who, name, d->ncols,
                    FOREST_MAX_FEATURES);
    if (ncols && d->ncols != ncols)
        return gerr(GROWTH_EINVAL, "%s: %s has %zu features, the training set %zu", who, name, d->ncols,
                    ncols);
    if (d->nrows > SIZE_MAX / d->ncols / sizeof(float))
        return gerr(GROWTH_EINVAL, "%s: %s is too large", who, name);
    if (!d->labels) return gerr(GROWTH_EINVAL, "%s: %s->labels is NULL", who, name);
    for (size_t i = 0; i < d->nrows; i++)
        if (!gfinite(d->labels[i]))
            return gerr(GROWTH_EINVAL, "%s: %s->labels[%zu] is %g (labels must be finite)", who, name, i,
                        (double)d->labels[i]);
    if (d->weights)
        for (size_t i = 0; i < d->nrows; i++)
            if (!(gfinite(d->weights[i]) && d->weights[i] >= 0))
                return gerr(GROWTH_EINVAL, "%s: %s->weights[%zu] is %g (must be finite and >= 0)", who, name,
                            i, (double)d->weights[i]);
    if (d->dense) return GROWTH_OK;
    if (!d->indptr) return gerr(GROWTH_EINVAL, "%s: %s has neither dense nor indptr", who, name);
    for (size_t r = 0; r < d->nrows; r++)
        if (d->indptr[r + 1] < d->indptr[r])
            return gerr(GROWTH_EINVAL, "%s: %s->indptr decreases at row %zu", who, name, r);
    size_t b = (size_t)d->indptr[0], e = (size_t)d->indptr[d->nrows];
    if (e > b && !d->indices) return gerr(GROWTH_EINVAL, "%s: %s->indices is NULL", who, name);
    for (size_t k = b; k < e; k++)
        if (d->indices[k] >= d->ncols)
            return gerr(GROWTH_EINVAL, "%s: %s->indices[%zu] = %u is not below ncols %zu", who, name, k,
                        d->indices[k], d->ncols);
    return GROWTH_OK;
}

/* Stored values of a data set (dense: every cell, missing ones included: an upper bound). */
static double data_values(const growth_forest_data *d)
{
    if (!d) return 0;
    if (d->dense) return (double)d->nrows * (double)d->ncols;
    return (double)(d->indptr[d->nrows] - d->indptr[0]);
}

/* What training copies of the data, refused up front: xgboost's CSR pages (8 bytes a value),
 * its histogram index (up to 4 bytes a value) and per row labels, weights, gradients and
 * prediction caches (about 64 bytes); the native CSR conversion adds 8 bytes a row. */
static int check_train_memory(const char *who, const forest_cfg *cfg, const growth_forest_data *train,
                              const growth_forest_data *valid)
{
    double values = data_values(train) + data_values(valid);
    double rows = (double)train->nrows + (valid ? (double)valid->nrows : 0);
    char what[160];
    snprintf(what, sizeof what, "%s: training copies of %.0f rows and %.0f values", who, rows, values);
    return gmem_reserve(what, values * 12 + rows * 72, (uint64_t)cfg->max_memory);
}

static int make_dmatrix(const char *who, const char *name, const growth_forest_data *d, DMatrixHandle *out)
{
    int x;
    if (d->dense) {
        x = XGDMatrixCreateFromMat(d->dense, (bst_ulong)d->nrows, (bst_ulong)d->ncols, NAN, out);
    } else {
        size_t b = (size_t)d->indptr[0], nnz = (size_t)(d->indptr[d->nrows] - d->indptr[0]);
        size_t *ip = malloc((d->nrows + 1) * sizeof *ip);
        float *ones = d->values ? NULL : malloc((nnz ? nnz : 1) * sizeof *ones);
        if (!ip || (!d->values && !ones)) {
            free(ip);
            free(ones);
            return gerr(GROWTH_ENOMEM, "%s: out of memory for %s", who, name);
        }
        for (size_t r = 0; r <= d->nrows; r++) ip[r] = (size_t)(d->indptr[r] - d->indptr[0]);
        for (size_t k = 0; ones && k < nnz; k++) ones[k] = 1.0f;
        static const uint32_t none = 0;
        x = XGDMatrixCreateFromCSREx(ip, nnz ? d->indices + b : &none, d->values ? d->values + b : ones,
                                     d->nrows + 1, nnz, d->ncols, out);
        free(ip);
        free(ones);
    }
    if (x != 0)
        return gerr(GROWTH_EDEP, "%s: xgboost cannot build the %s matrix: %s", who, name, forest_xgb_error());
    if (XGDMatrixSetFloatInfo(*out, "label", d->labels, (bst_ulong)d->nrows) != 0 ||
        (d->weights && XGDMatrixSetFloatInfo(*out, "weight", d->weights, (bst_ulong)d->nrows) != 0)) {
        int rc = gerr(GROWTH_EDEP, "%s: xgboost rejects the %s labels or weights: %s", who, name,
                      forest_xgb_error());
        XGDMatrixFree(*out);
        *out = NULL;
        return rc;
    }
    return GROWTH_OK;
}

/* "[3]\tvalid-logloss:0.5123\tvalid-auc:0.81" -> the last metric's name and value. */
static bool last_metric(const char *s, char *name, size_t cap, double *value)
{
    const char *tab = strrchr(s, '\t');
    if (!tab) return false;
    const char *m = tab + 1, *colon = strrchr(m, ':');
    if (strncmp(m, "valid-", 6) != 0 || !colon) return false;
    m += 6;
    size_t n = (size_t)(colon - m);
    if (n >= cap) n = cap - 1;
    memcpy(name, m, n);
    name[n] = 0;
    char *e;
    *value = gstrtod(colon + 1, &e);
    return e != colon + 1;
}

static bool metric_maximized(const char *name)
{
    static const char *const up[] = {"auc", "aucpr", "map", "ndcg", "pre"};
    size_t n = strcspn(name, "@");
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++)
        if (strlen(up[i]) == n && strncmp(name, up[i], n) == 0) return true;
    return false;
}

GROWTH_API int growth_forest_train(growth_forest **out, const char *config, const char *params,
                                   const growth_forest_data *train, const growth_forest_data *valid,
                                   growth_progress_fn progress, void *progress_user)
{
    static const char *who = "growth_forest_train";
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, train);
    forest_cfg cfg;
    int rc = forest_parse_cfg(who, config, &cfg);
    if (rc) return rc;
    param_list *pl = malloc(sizeof *pl);
    if (!pl) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    DMatrixHandle dm[2] = {NULL, NULL};
    BoosterHandle bst = NULL;
    if ((rc = parse_params(who, params, pl))) goto done;
    if ((rc = check_data(who, "train", train, 0))) goto done;
    if (valid && (rc = check_data(who, "valid", valid, train->ncols))) goto done;
    if (cfg.early_stopping_rounds > 0 && !valid) {
        rc = gerr(GROWTH_EINVAL, "%s: early_stopping_rounds=%lld needs a validation set", who,
                  (long long)cfg.early_stopping_rounds);
        goto done;
    }
    if ((rc = check_train_memory(who, &cfg, train, valid))) goto done;
    forest_quiet();
    if ((rc = make_dmatrix(who, "train", train, &dm[0]))) goto done;
    if (valid && (rc = make_dmatrix(who, "valid", valid, &dm[1]))) goto done;
    if (XGBoosterCreate(dm, valid ? 2 : 1, &bst) != 0) {
        rc = gerr(GROWTH_EDEP, "%s: XGBoosterCreate failed: %s", who, forest_xgb_error());
        goto done;
    }
    if ((rc = set_threads_param(who, bst, (int)cfg.threads))) goto done;
    for (int i = 0; i < pl->n; i++)
        if (XGBoosterSetParam(bst, pl->key[i], pl->val[i]) != 0) {
            rc = gerr(GROWTH_EDEP, "%s: xgboost rejects %s=%s: %s", who, pl->key[i], pl->val[i],
                      forest_xgb_error());
            goto done;
        }
    XGBoosterSetParam(bst, "verbosity", "0");
    int best_it = -1;
    double best = 0;
    bool maximize = cfg.maximize == 2;
    for (int it = 0; it < (int)cfg.num_rounds; it++) {
        if (XGBoosterUpdateOneIter(bst, it, dm[0]) != 0) {
            rc =
                gerr(GROWTH_EDEP, "%s: xgboost training failed at round %d: %s", who, it, forest_xgb_error());
            goto done;
        }
        if (progress && progress("round", (double)(it + 1) / (double)cfg.num_rounds, progress_user) != 0) {
            rc = gerr(GROWTH_ECANCELED, "%s: the progress callback stopped the training after round %d", who,
                      it);
            goto done;
        }
        if (!valid || cfg.early_stopping_rounds == 0) continue;
        const char *names[1] = {"valid"}, *res = NULL;
        if (XGBoosterEvalOneIter(bst, it, &dm[1], names, 1, &res) != 0) {
            rc = gerr(GROWTH_EDEP, "%s: xgboost evaluation failed at round %d: %s", who, it,
                      forest_xgb_error());
            goto done;
        }
        char metric[64];
        double score;
        if (!last_metric(res, metric, sizeof metric, &score)) {
            rc = gerr(GROWTH_EDEP, "%s: cannot read the validation metric from \"%.80s\"", who, res);
            goto done;
        }
        if (cfg.maximize == 0) maximize = metric_maximized(metric);
        if (best_it < 0 || (maximize ? score > best : score < best)) {
            best = score;
            best_it = it;
        } else if (it - best_it >= cfg.early_stopping_rounds) {
            break;
        }
    }
    if (best_it >= 0) {
        int rounds = 0;
        XGBoosterBoostedRounds(bst, &rounds);
        if (best_it + 1 < rounds) {
            BoosterHandle sliced = NULL;
            if (XGBoosterSlice(bst, 0, best_it + 1, 1, &sliced) != 0) {
                rc = gerr(GROWTH_EDEP, "%s: XGBoosterSlice failed: %s", who, forest_xgb_error());
                goto done;
            }
            XGBoosterFree(bst);
            bst = sliced;
        }
    }
    /* The forest gets its own booster from the exported model; the training one is ours to free. */
    rc = forest_from_booster(who, bst, &cfg, params ? params : "", best_it, best, out);
done:
    if (bst) XGBoosterFree(bst);
    if (dm[0]) XGDMatrixFree(dm[0]);
    if (dm[1]) XGDMatrixFree(dm[1]);
    free(pl);
    return rc;
}
