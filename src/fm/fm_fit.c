/* growth_fm_fit: epochs over a CSR training set, LIBFFM-style early stopping on a validation set.
 *
 * Design: both data sets are validated completely, then the writer lock is taken for the whole
 * fit and everything the fit needs is allocated before the first row is trained (scratch, the
 * row order, snapshots), so a failure is ENOMEM with the model untouched. Snapshots are full
 * copies of the model state (factor and sum tables, linear statistics, touched bits, biases,
 * head weights, counters and the rounding rng):
 * - with auto-stop, one taken before every epoch: when the epoch's validation logloss is higher
 *   than the best so far, the model goes back to it (the previous epoch) and the fit stops;
 * - with a progress callback installed, one taken before the first epoch: a non-zero return of
 *   the callback restores it, so a canceled fit leaves the model as it was before the call.
 * The copies are checked up front with gmem_reserve against max_memory (model + copies).
 * table=exact (indices are keys; one thread): the snapshots also copy the keyed table and the
 * slot arena's bookkeeping (fm_exact.c), and the copy from before the call is always kept, since
 * the keyed table may fail to grow in any epoch: the fit then restores it (GROWTH_ENOMEM, the
 * model as it was). Those copies are checked against physical memory (max_memory caps the
 * model itself).
 * Readers keep predicting during the fit (Hogwild); a restore is seen by them like training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_internal.h"

typedef struct {
    int64_t epochs;
    bool shuffle;
    int64_t seed;
    bool auto_stop;
} fit_cfg;

#define FIT_OPTS(auto_default)                                                                               \
    {                                                                                                        \
        {"epochs", GCFG_INT, offsetof(fit_cfg, epochs), "10", 1, 10000, NULL, false},                        \
            {"shuffle", GCFG_BOOL, offsetof(fit_cfg, shuffle), "true", 0, 0, NULL, false},                   \
            {"seed", GCFG_INT, offsetof(fit_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},            \
            {"auto_stop", GCFG_BOOL, offsetof(fit_cfg, auto_stop), auto_default, 0, 0, NULL, false},         \
    }
static const gcfg_opt fit_opts[] = FIT_OPTS("true");
/* the same with auto_stop=false by default: tells an explicit auto_stop=true from the default */
static const gcfg_opt fit_opts_explicit[] = FIT_OPTS("false");
#define FIT_NOPTS (sizeof fit_opts / sizeof fit_opts[0])

/* ---- snapshots --------------------------------------------------------------------------------- */

typedef struct {
    void *v, *g, *lin;
    uint64_t *bits;
    fmx_copy *x; /* table=exact: the keyed table and the arena's bookkeeping */
    float bias_z[FM_MAX_HEADS], bias_s[FM_MAX_HEADS], bias_w[FM_MAX_HEADS];
    float u[FM_MAX_HEADS][FM_MAX_K], ug[FM_MAX_HEADS][FM_MAX_K];
    uint64_t examples, touched;
    grng rng;
} fm_snap;

static size_t vec_data_bytes(const growth_fm *m) { return m->nvec * (size_t)m->KP * (m->vf ? 4 : 2); }
static void *vdata(const growth_fm *m) { return m->vf ? (void *)m->vf : (void *)m->vc; }
static void *gdata(const growth_fm *m) { return m->gf ? (void *)m->gf : (void *)m->gc; }
static void *ldata(const growth_fm *m) { return m->lf ? (void *)m->lf : (void *)m->lc; }

static void snap_free(fm_snap *s)
{
    fmx_copy_free(s->x);
    free(s->v);
    free(s->g);
    free(s->lin);
    free(s->bits);
    memset(s, 0, sizeof *s);
}

static int snap_alloc(const growth_fm *m, const char *who, fm_snap *s)
{
    memset(s, 0, sizeof *s);
    size_t vb = vec_data_bytes(m);
    s->v = malloc(vb);
    s->g = s->v ? malloc(vb) : NULL;
    s->lin = s->g && m->lin_bytes ? malloc(m->lin_bytes) : NULL;
    s->bits = s->g && (s->lin || !m->lin_bytes) ? malloc(m->touched_bytes) : NULL;
    if (!s->bits) {
        snap_free(s);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for a copy of the model (%.1f MiB)", who,
                    (2.0 * (double)vb + (double)m->lin_bytes + (double)m->touched_bytes) / 1048576.0);
    }
    return GROWTH_OK;
}

/* Takes a snapshot (allocated by snap_alloc); on a table=exact model also copies the keyed table
 * (allocated here: GROWTH_ENOMEM, the snapshot then unusable). */
static int snap_take(const growth_fm *m, const char *who, fm_snap *s)
{
    if (m->ex) {
        fmx_copy_free(s->x);
        s->x = NULL;
        int rc = fmx_copy_take(m, who, &s->x);
        if (rc) return rc;
    }
    size_t vb = vec_data_bytes(m);
    memcpy(s->v, vdata(m), vb);
    memcpy(s->g, gdata(m), vb);
    if (m->lin_bytes) memcpy(s->lin, ldata(m), m->lin_bytes);
    memcpy(s->bits, m->touched_bits, m->touched_bytes);
    memcpy(s->bias_z, m->bias_z, sizeof s->bias_z);
    memcpy(s->bias_s, m->bias_s, sizeof s->bias_s);
    memcpy(s->bias_w, m->bias_w, sizeof s->bias_w);
    memcpy(s->u, m->u, sizeof s->u);
    memcpy(s->ug, m->ug, sizeof s->ug);
    s->examples = atomic_load_explicit(&m->examples, memory_order_relaxed);
    s->touched = atomic_load_explicit(&m->touched, memory_order_relaxed);
    s->rng = m->rng;
    return GROWTH_OK;
}

/* Copies `n` bytes over a table that readers may be reading: under ThreadSanitizer relaxed atomic
 * stores of the table's own units (4-byte floats, 2-byte bfloat16 or the 8-byte words of the
 * touched bitmap, which unseen=seeded predictions read; see fm_internal.h), memcpy
 * otherwise. */
static void restore_table(void *dst, const void *src, size_t n, size_t unit)
{
#if FM_TSAN
    if (unit == 8) {
        uint64_t *d = dst;
        const uint64_t *s = src;
        for (size_t i = 0; i < n / 8; i++) __atomic_store_n(d + i, s[i], __ATOMIC_RELAXED);
    } else if (unit == 4) {
        uint32_t *d = dst;
        const uint32_t *s = src;
        for (size_t i = 0; i < n / 4; i++) __atomic_store_n(d + i, s[i], __ATOMIC_RELAXED);
    } else {
        uint16_t *d = dst;
        const uint16_t *s = src;
        for (size_t i = 0; i < n / 2; i++) __atomic_store_n(d + i, s[i], __ATOMIC_RELAXED);
    }
#else
    (void)unit;
    memcpy(dst, src, n);
#endif
}

/* Puts a snapshot back (consumes a table=exact model's copy of the keyed table: one restore). */
static void snap_restore(growth_fm *m, fm_snap *s)
{
    if (s->x) {
        fmx_copy_restore(m, s->x);
        s->x = NULL;
    }
    size_t vb = vec_data_bytes(m);
    const size_t unit = m->vf ? 4 : 2;
    restore_table(vdata(m), s->v, vb, unit);
    restore_table(gdata(m), s->g, vb, unit);
    if (m->lin_bytes) restore_table(ldata(m), s->lin, m->lin_bytes, unit);
    restore_table(m->touched_bits, s->bits, m->touched_bytes, 8);
    for (int h = 0; h < FM_MAX_HEADS; h++) {
        fm_stf(&m->bias_z[h], s->bias_z[h]);
        fm_stf(&m->bias_s[h], s->bias_s[h]);
        fm_stf(&m->bias_w[h], s->bias_w[h]);
        for (int d = 0; d < FM_MAX_K; d++) {
            fm_stf(&m->u[h][d], s->u[h][d]);
            fm_stf(&m->ug[h][d], s->ug[h][d]);
        }
    }
    atomic_store_explicit(&m->examples, s->examples, memory_order_relaxed);
    atomic_store_explicit(&m->touched, s->touched, memory_order_relaxed);
    m->rng = s->rng;
}

/* ---- data -------------------------------------------------------------------------------------- */

/* The size of growth_fm_data in libgrowth 1.0 (a caller built against 1.0 passes this much). */
#define FM_DATA_SIZE_1_0       (offsetof(growth_fm_data, weights) + sizeof(const float *))
#define FM_FIT_RESULT_SIZE_1_0 (offsetof(growth_fm_fit_result, valid_logloss) + sizeof(double))

static int check_data(const growth_fm *m, const char *who, const char *name, const growth_fm_data *d)
{
    int rc = gstruct_in(who, name, d, FM_DATA_SIZE_1_0);
    if (rc) return rc;
    const size_t H = (size_t)m->H;
    if (d->nrows == 0) return gerr(GROWTH_EINVAL, "%s: %s has no rows (nrows = 0)", who, name);
    if (d->nrows > SIZE_MAX / H / sizeof(float) - 1)
        return gerr(GROWTH_EINVAL, "%s: %s is too large", who, name);
    if (!d->indptr) return gerr(GROWTH_EINVAL, "%s: %s->indptr is NULL", who, name);
    if (!d->labels) return gerr(GROWTH_EINVAL, "%s: %s->labels is NULL", who, name);
    for (size_t r = 0; r < d->nrows; r++)
        if (d->indptr[r + 1] < d->indptr[r])
            return gerr(GROWTH_EINVAL, "%s: %s->indptr decreases at row %zu", who, name, r);
    if (d->indptr[d->nrows] > (uint64_t)SIZE_MAX / 4)
        return gerr(GROWTH_EINVAL, "%s: %s->indptr is too large", who, name);
    size_t b = (size_t)d->indptr[0], n = (size_t)(d->indptr[d->nrows] - d->indptr[0]);
    char what[64];
    snprintf(what, sizeof what, "%s: %s", who, name);
    rc = fm_check_row(m, what, d->indices ? d->indices + b : NULL, d->fields ? d->fields + b : NULL,
                      d->values ? d->values + b : NULL, n, SIZE_MAX);
    for (size_t r = 0; !rc && r < d->nrows; r++) {
        rc = fm_check_labels(m, what, d->labels + r * H, r);
        if (!rc && d->weights) rc = fm_check_weight(what, d->weights[r], r);
    }
    return rc;
}

static inline fm_row data_row(const growth_fm *m, const growth_fm_data *d, size_t r)
{
    size_t b = (size_t)d->indptr[r], e = (size_t)d->indptr[r + 1];
    fm_row row = {d->indices ? d->indices + b : NULL,
                  m->cfg.model == FM_MODEL_FFM && d->fields ? d->fields + b : NULL,
                  d->values ? d->values + b : NULL, e - b, 0.0f};
    return row;
}

/* Adds the weighted logloss of the labelled heads. */
static void add_loss(const growth_fm *m, const float *margin, const float *labels, float w, double *sum,
                     double *wsum)
{
    for (int h = 0; h < m->H; h++) {
        float y = labels[h];
        if (y == GROWTH_LABEL_MISSING) continue;
        double p = fm_sigmoid(margin[h]);
        if (p < 1e-15) p = 1e-15;
        if (p > 1.0 - 1e-15) p = 1.0 - 1e-15;
        *sum += (double)w * -(y == 1.0f ? log(p) : log(1.0 - p));
        *wsum += (double)w;
    }
}

static double valid_loss(const growth_fm *m, const growth_fm_data *d)
{
    double sum = 0.0, wsum = 0.0;
    float margin[FM_MAX_HEADS];
    for (size_t r = 0; r < d->nrows; r++) {
        fm_row row = data_row(m, d, r);
        if (m->ex) { /* indices are keys (a row longer than 256 keys may fail: NaN) */
            if (fmx_margins(m, "growth_fm_fit", row.idx, d->fields ? d->fields + d->indptr[r] : NULL, row.val,
                            row.n, margin))
                return NAN;
        } else {
            fm_margins(m, &row, margin);
        }
        add_loss(m, margin, d->labels + r * (size_t)m->H, d->weights ? d->weights[r] : 1.0f, &sum, &wsum);
    }
    return wsum > 0.0 ? sum / wsum : NAN;
}

static void prefetch_data_row(const growth_fm *m, const growth_fm_data *d, size_t r)
{
    const size_t esz = m->vf ? 4 : 2, blk = (size_t)m->V * (size_t)m->KP * esz;
    const char *V = (const char *)vdata(m), *G = (const char *)gdata(m);
    for (uint64_t k = d->indptr[r]; k < d->indptr[r + 1]; k++) {
        size_t off = (size_t)d->indices[k] * blk;
        for (size_t o = 0; o < blk; o += 64) {
            __builtin_prefetch(V + off + o, 1);
            __builtin_prefetch(G + off + o, 1);
        }
        if (blk > 64) {
            __builtin_prefetch(V + off + blk - 1, 1);
            __builtin_prefetch(G + off + blk - 1, 1);
        }
    }
}

/* ---- the fit ----------------------------------------------------------------------------------- */

/* threads=N: an epoch goes through fm_train_batch in chunks of FIT_CHUNK rows (the progress
 * callback and the loss sums run between chunks, on the calling thread). */
#define FIT_CHUNK 16384

typedef struct {
    const growth_fm_data *d;
    const size_t *perm;
    size_t off;
    float *margins;
} fit_items;

static void fit_item(const growth_fm *m, const void *vctx, size_t t, fm_item *it)
{
    const fit_items *c = vctx;
    size_t r = c->perm ? c->perm[c->off + t] : c->off + t;
    it->row = data_row(m, c->d, r);
    it->labels = c->d->labels + r * (size_t)m->H;
    it->weight = c->d->weights ? c->d->weights[r] : 1.0f;
    it->margins = c->margins + t * (size_t)m->H;
}

/* table=exact: the logistic step on the row of the admitted keys' slots. */
typedef struct {
    const float *labels;
    float weight;
    float *margins;
} fit_step;

static void logistic_step(growth_fm *m, const fm_row *row, void *ctx)
{
    const fit_step *st = ctx;
    fm_train_logistic(m, row, st->labels, st->weight, st->margins);
}

GROWTH_API int growth_fm_fit(growth_fm *m, const growth_fm_data *train, const growth_fm_data *valid,
                             const char *config, growth_fm_fit_result *out)
{
    static const char *who = "growth_fm_fit";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, train);
    fit_cfg fc, fx;
    memset(&fc, 0, sizeof fc);
    memset(&fx, 0, sizeof fx);
    int rc = gcfg_parse(who, fit_opts, FIT_NOPTS, config, &fc, sizeof fc);
    if (!rc) rc = gcfg_parse(who, fit_opts_explicit, FIT_NOPTS, config, &fx, sizeof fx);
    if (rc) return rc;
    if (!valid && fx.auto_stop)
        return gerr(GROWTH_EINVAL, "%s: config key 'auto_stop': true needs a validation set (valid is NULL)",
                    who);
    if (out && out->struct_size < FM_FIT_RESULT_SIZE_1_0)
        return gerr(GROWTH_EINVAL,
                    "%s: out->struct_size is %u, expected at least %zu (initialise it with its _INIT macro)",
                    who, out->struct_size, (size_t)FM_FIT_RESULT_SIZE_1_0);
    if ((rc = check_data(m, who, "train", train))) return rc;
    if (valid && (rc = check_data(m, who, "valid", valid))) return rc;
    const bool autostop = valid && fc.auto_stop;
    const size_t n = train->nrows, H = (size_t)m->H;
    size_t longest = 0;
    for (size_t r = 0; r < n; r++)
        if (train->indptr[r + 1] - train->indptr[r] > longest)
            longest = (size_t)(train->indptr[r + 1] - train->indptr[r]);

    pthread_mutex_lock(&m->lock);
    growth_progress_fn progress = m->progress;
    void *puser = m->progress_user;
    /* a table=exact model always keeps the copy from before the call: its keyed table may fail to
     * grow in any epoch, and the fit then puts the model back as it was */
    const bool keep_pre = progress || m->ex;
    int copies = (keep_pre ? 1 : 0) + (autostop ? 1 : 0);
    size_t *perm = NULL;
    float *extra = NULL, *chunk_m = NULL;
    const bool threaded = m->cfg.threads > 1 && m->vf && !m->ex && n >= 2 * FIT_CHUNK / 64;
    double kept_tr = NAN, kept_va = NAN;
    uint64_t trained = 0, best_epoch = 0;
    fm_snap pre, ep;
    memset(&pre, 0, sizeof pre);
    memset(&ep, 0, sizeof ep);
    if (copies) {
        char what[96];
        snprintf(what, sizeof what, "%s: the model and %d cop%s of it (auto_stop / cancel)", who, copies,
                 copies == 1 ? "y" : "ies");
        if (m->ex) /* the copies of the arena and the keyed table (max_memory caps the model itself) */
            rc = gmem_reserve(what,
                              copies * (2.0 * (double)vec_data_bytes(m) + (double)m->lin_bytes +
                                        (double)m->touched_bytes + fmx_copy_bytes(m)),
                              0);
        else
            rc = gmem_reserve(what, fm_state_bytes(&m->cfg) * (1.0 + copies), (uint64_t)m->cfg.max_memory);
    }
    if (!rc) rc = m->ex ? fmx_reserve(m, who, longest) : fm_reserve_scratch(m, who, longest);
    if (!rc && fc.shuffle) {
        perm = malloc(n * sizeof *perm);
        if (!perm) rc = gerr(GROWTH_ENOMEM, "%s: out of memory for the order of %zu rows", who, n);
    }
    if (!rc && threaded) rc = fm_batch_scratch(m, who, longest, &extra);
    if (!rc && threaded && !(chunk_m = malloc((size_t)FIT_CHUNK * H * sizeof *chunk_m)))
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory for the margins of %d rows", who, FIT_CHUNK);
    if (!rc && keep_pre) rc = snap_alloc(m, who, &pre);
    if (!rc && autostop) rc = snap_alloc(m, who, &ep);
    if (!rc && keep_pre) rc = snap_take(m, who, &pre);
    if (rc) goto done;
    if (perm)
        for (size_t i = 0; i < n; i++) perm[i] = i;
    grng order;
    grng_seed(&order, (uint64_t)fc.seed);

    const double total = (double)fc.epochs * (double)n;
    double best_va = INFINITY;
    size_t done_rows = 0;
    float margin[FM_MAX_HEADS];
    for (int64_t e = 1; e <= fc.epochs; e++) {
        if (autostop && (rc = snap_take(m, who, &ep))) {
            if (keep_pre) snap_restore(m, &pre);
            goto done;
        }
        if (perm)
            for (size_t i = n - 1; i > 0; i--) {
                size_t j = (size_t)grng_below(&order, (uint64_t)i + 1);
                size_t t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        double sum = 0.0, wsum = 0.0;
        for (size_t t0 = 0; threaded && t0 < n; t0 += FIT_CHUNK) {
            size_t cn = n - t0 < FIT_CHUNK ? n - t0 : FIT_CHUNK;
            fit_items fi = {train, perm, t0, chunk_m};
            fm_train_batch(m, who, cn, longest, fit_item, &fi, extra); /* cannot fail: scratch given */
            for (size_t i = 0; i < cn; i++) {
                size_t r = perm ? perm[t0 + i] : t0 + i;
                add_loss(m, chunk_m + i * H, train->labels + r * H, train->weights ? train->weights[r] : 1.0f,
                         &sum, &wsum);
            }
            done_rows += cn;
            if (progress && progress("epoch", (double)done_rows / total, puser) != 0) {
                snap_restore(m, &pre);
                rc = gerr(GROWTH_ECANCELED, "%s: the progress callback stopped the fit in epoch %lld", who,
                          (long long)e);
                goto done;
            }
        }
        for (size_t t = 0; !threaded && t < n; t++) {
            size_t r = perm ? perm[t] : t;
            if (t + 1 < n && !m->ex) prefetch_data_row(m, train, perm ? perm[t + 1] : t + 1);
            fm_row row = data_row(m, train, r);
            float w = train->weights ? train->weights[r] : 1.0f;
            const float *y = train->labels + r * H;
            if (m->ex) { /* indices are keys: admission, expiry, eviction, then the same step */
                fit_step st = {y, w, margin};
                rc = fmx_train_step(m, row.idx, train->fields ? train->fields + train->indptr[r] : NULL,
                                    row.val, row.n, logistic_step, &st);
                if (rc) { /* the keyed table could not grow: back to the model before the call */
                    snap_restore(m, &pre);
                    goto done;
                }
            } else {
                fm_train_logistic(m, &row, y, w, margin);
            }
            add_loss(m, margin, y, w, &sum, &wsum);
            done_rows++;
            if (progress && ((done_rows & 16383) == 0 || t + 1 == n) &&
                progress("epoch", (double)done_rows / total, puser) != 0) {
                snap_restore(m, &pre);
                rc = gerr(GROWTH_ECANCELED, "%s: the progress callback stopped the fit in epoch %lld", who,
                          (long long)e);
                goto done;
            }
        }
        trained = (uint64_t)e;
        double tr = wsum > 0.0 ? sum / wsum : NAN;
        double va = valid ? valid_loss(m, valid) : NAN;
        if (autostop && va > best_va) {
            snap_restore(m, &ep); /* back to the previous epoch */
            break;
        }
        if (!(va >= best_va)) best_va = va;
        best_epoch = (uint64_t)e;
        kept_tr = tr;
        kept_va = va;
    }
done:
    pthread_mutex_unlock(&m->lock);
    free(perm);
    free(extra);
    free(chunk_m);
    snap_free(&pre);
    snap_free(&ep);
    if (rc) return rc;
    if (out) {
        growth_fm_fit_result res = GROWTH_FM_FIT_RESULT_INIT;
        res.epochs = trained;
        res.best_epoch = best_epoch;
        res.train_logloss = kept_tr;
        res.valid_logloss = valid ? kept_va : NAN;
        return gstruct_out(who, "out", out, &res, FM_FIT_RESULT_SIZE_1_0, sizeof res);
    }
    return GROWTH_OK;
}
