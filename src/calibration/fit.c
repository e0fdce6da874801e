/* Fitting: Platt and temperature scaling (Newton's method on the weighted log-loss), isotonic
 * regression (weighted PAV), histogram binning and the field-aware piecewise-linear map.
 *
 * The piecewise methods sort the samples by score with an LSD radix sort on 64-bit items whose
 * upper half is the score as an order-preserving key. With 0/1 labels and no fields, the lower
 * half carries the label bit and the weight's float bits, so the scan after the sort reads one
 * array sequentially; otherwise it carries the sample index. Samples of zero weight are left
 * out before sorting (as scikit-learn does). All sums are double. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib_impl.h"

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)

/* ---- input validation -------------------------------------------------------------------- */

typedef struct {
    size_t npos_w;     /* samples with positive weight */
    double w, wy, wny; /* sum w, sum w y, sum w (1 - y) */
    bool binary;       /* every label is 0 or 1 */
} fit_totals;

static int report_bad(const char *who, bool prob, const float *s, const float *y, const float *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!gfinite(s[i]))
            return gerr(GROWTH_EINVAL, "%s: scores[%zu] = %g is not finite", who, i, (double)s[i]);
        if (prob && !(s[i] >= 0.0f && s[i] <= 1.0f))
            return gerr(GROWTH_EINVAL,
                        "%s: scores[%zu] = %g is outside [0, 1] (use input=margin for margins)", who, i,
                        (double)s[i]);
        if (!(y[i] >= 0.0f && y[i] <= 1.0f))
            return gerr(GROWTH_EINVAL, "%s: labels[%zu] = %g is outside [0, 1]", who, i, (double)y[i]);
        if (w && !(w[i] >= 0.0f && w[i] <= FLT_MAX))
            return gerr(GROWTH_EINVAL, "%s: weights[%zu] = %g is not finite and >= 0", who, i, (double)w[i]);
    }
    return gerr(GROWTH_EINVAL, "%s: invalid input", who);
}

static int check_fit_input(const char *who, const calib_cfg *cfg, const float *s, const float *y,
                           const float *w, const int64_t *fields, size_t n, fit_totals *t)
{
    if (s == NULL) return gerr(GROWTH_EINVAL, "%s: scores is NULL", who);
    if (y == NULL) return gerr(GROWTH_EINVAL, "%s: labels is NULL", who);
    if (cfg->method == CAL_FIELD && fields == NULL)
        return gerr(GROWTH_EINVAL, "%s: method=field needs field ids (fields is NULL)", who);
    if (n < 2) return gerr(GROWTH_EINVAL, "%s: n = %zu; at least 2 samples are needed", who, n);
    if (n >= UINT32_MAX) return gerr(GROWTH_EINVAL, "%s: n = %zu is too large", who, n);
    const bool prob =
        (cfg->method == CAL_PLATT || cfg->method == CAL_TEMPERATURE) && cfg->input == CAL_IN_PROB;
    const float lo = prob ? 0.0f : -FLT_MAX, hi = prob ? 1.0f : FLT_MAX;
    unsigned bad = 0, nonbin = 0;
    size_t npos = 0;
    double sw = 0.0, swy = 0.0, swny = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float si = s[i], yi = y[i], wi = w ? w[i] : 1.0f;
        bad |= !(si >= lo) | !(si <= hi) | !(yi >= 0.0f) | !(yi <= 1.0f) | !(wi >= 0.0f) | !(wi <= FLT_MAX);
        nonbin |= (yi != 0.0f) & (yi != 1.0f);
        npos += wi > 0.0f;
        sw += wi;
        swy += (double)wi * yi;
        swny += (double)wi * (1.0 - (double)yi);
    }
    if (bad) return report_bad(who, prob, s, y, w, n);
    if (npos < 2)
        return gerr(GROWTH_EINVAL, "%s: %zu samples of positive weight; at least 2 are needed", who, npos);
    if (!(swy > 0.0) || !(swny > 0.0))
        return gerr(GROWTH_EINVAL, "%s: all labels are %s (one class); calibration is undefined", who,
                    swy > 0.0 ? "1" : "0");
    t->npos_w = npos;
    t->w = sw;
    t->wy = swy;
    t->wny = swny;
    t->binary = !nonbin;
    return GROWTH_OK;
}

/* ---- Platt and temperature scaling ------------------------------------------------------- */

/* One pass over the data at (a, b): the weighted log-loss of targets t at margins a x + b
 * (computed stably), its gradient g = (d/da, d/db) and Hessian h = (aa, ab, bb). */
static double sig_eval(const double *x, const double *t, const float *w, size_t n, double a, double b,
                       double g[2], double h[3])
{
    double L = 0, ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (size_t i = 0; i < n; i++) {
        const double z = a * x[i] + b, e = exp(-fabs(z)), wi = w ? (double)w[i] : 1.0;
        const double p = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        L += wi * ((z >= 0 ? (1.0 - t[i]) * z : -t[i] * z) + log1p(e));
        const double gi = wi * (p - t[i]), hi = wi * p * (1.0 - p);
        ga += gi * x[i];
        gb += gi;
        haa += hi * x[i] * x[i];
        hab += hi * x[i];
        hbb += hi;
    }
    g[0] = ga;
    g[1] = gb;
    h[0] = haa;
    h[1] = hab;
    h[2] = hbb;
    return L;
}

/* The Newton direction d = -H^-1 g (temperature: d[1] = 0) and the Newton decrement g' H^-1 g,
 * twice the decrease the quadratic model predicts; NaN when the Hessian is not positive. */
static double newton_dir(const double g[2], const double h[3], bool with_b, double d[2])
{
    const double ridge = 1e-12 * (h[0] + h[2]) + 1e-300;
    if (with_b) {
        const double A = h[0] + ridge, D = h[2] + ridge, det = A * D - h[1] * h[1];
        if (!(det > 0)) return NAN;
        d[0] = -(D * g[0] - h[1] * g[1]) / det;
        d[1] = -(A * g[1] - h[1] * g[0]) / det;
    } else {
        if (!(h[0] + ridge > 0)) return NAN;
        d[0] = -g[0] / (h[0] + ridge);
        d[1] = 0.0;
    }
    return -(g[0] * d[0] + g[1] * d[1]);
}

/* Newton's method with backtracking on (a, b) (temperature: b fixed at 0), one pass over the
 * data per trial point. Away from the optimum a step must decrease the loss (Armijo). Near it
 * (decrement below 1e-8 of the loss scale) the decrease falls to the rounding level of the
 * summed loss, where comparing losses rejects good steps and accepts steps too small to move
 * (a, b); there a step is also taken when it leaves the loss unchanged to rounding and lowers
 * the decrement, which full Newton steps do by orders of magnitude (quadratic convergence).
 * Stops when the decrement is at rounding level (after a last full step) or no trial point
 * makes progress: typically 5-8 passes in all. */
static void sig_newton(const double *x, const double *t, const float *w, size_t n, bool with_b,
                       int64_t max_iter, double *pa, double *pb, double wsum)
{
    double a = *pa, b = *pb, g[2], h[3], d[2], gn[2], hn[3], dn[2];
    double L = sig_eval(x, t, w, n, a, b, g, h);
    double dec = newton_dir(g, h, with_b, d);
    for (int64_t it = 0; it < max_iter && dec >= 0; it++) {
        const double scale = wsum + fabs(L);
        if (dec <= 1e-22 * scale) {
            a += d[0];
            b += d[1];
            break;
        }
        const bool near = dec <= 1e-8 * scale;
        bool moved = false;
        double step = 1.0;
        for (int k = 0; k < (near ? 8 : 40) && !moved; k++, step *= 0.5) {
            const double an = a + step * d[0], bn = b + step * d[1];
            if (an == a && bn == b) break; /* the step no longer changes (a, b) */
            const double Ln = sig_eval(x, t, w, n, an, bn, gn, hn);
            const double decn = newton_dir(gn, hn, with_b, dn);
            const bool armijo = Ln < L && Ln <= L - 1e-4 * step * dec;
            const bool flat = near && Ln <= L + 1e-10 * scale && decn < dec;
            if (armijo || flat) {
                a = an;
                b = bn;
                L = Ln;
                dec = decn;
                memcpy(d, dn, sizeof d);
                moved = true;
            }
        }
        if (!moved) break; /* no progress at rounding level: converged */
    }
    *pa = a;
    *pb = b;
}

static int fit_sigmoid(const char *who, const calib_cfg *cfg, const float *s, const float *y, const float *w,
                       size_t n, const fit_totals *tot, calib_model *m)
{
    double *x = malloc(n * sizeof *x), *t = malloc(n * sizeof *t);
    if (!x || !t) {
        free(x);
        free(t);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate %zu samples", who, n);
    }
    const bool prob = cfg->input == CAL_IN_PROB;
    for (size_t i = 0; i < n; i++) x[i] = prob ? calib_logit(s[i]) : (double)s[i];
    double a, b;
    if (cfg->method == CAL_PLATT) {
        /* Platt's targets from the weighted class totals. */
        const double hi = (tot->wy + 1.0) / (tot->wy + 2.0), lo = 1.0 / (tot->wny + 2.0);
        for (size_t i = 0; i < n; i++) t[i] = (double)y[i] * hi + (1.0 - (double)y[i]) * lo;
        a = 0.0;
        b = log((tot->wy + 1.0) / (tot->wny + 1.0));
        sig_newton(x, t, w, n, true, cfg->max_iter, &a, &b, tot->w);
    } else {
        for (size_t i = 0; i < n; i++) t[i] = y[i];
        a = 1.0;
        b = 0.0;
        sig_newton(x, t, w, n, false, cfg->max_iter, &a, &b, tot->w);
    }
    free(x);
    free(t);
    if (!gfinite(a) || !gfinite(b))
        return gerr(GROWTH_EINVAL, "%s: the sigmoid fit diverged (separable data?)", who);
    m->a = a;
    m->b = b;
    return GROWTH_OK;
}

/* ---- sorting ------------------------------------------------------------------------------ */

static inline uint32_t score_key(float s)
{
    uint32_t b;
    if (s == 0.0f) s = 0.0f; /* -0 ties with +0 */
    memcpy(&b, &s, sizeof b);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

static inline double key_score(uint32_t k)
{
    const uint32_t b = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float s;
    memcpy(&s, &b, sizeof s);
    return s;
}

static inline void hist_add(size_t *h, uint64_t it)
{
    h[(it >> 32) & 0x7ff]++;
    h[RADIX_SIZE + ((it >> 43) & 0x7ff)]++;
    h[2 * RADIX_SIZE + (it >> 54)]++;
}

/* LSD radix sort of items by their upper 32 bits, stable; returns the buffer holding them. */
static uint64_t *sort_hi32(uint64_t *a, uint64_t *tmp, size_t n, size_t *hist)
{
    static const unsigned shift[3] = {32, 43, 54};
    for (int p = 0; p < 3; p++) {
        size_t *off = hist + (size_t)p * RADIX_SIZE, sum = 0;
        bool trivial = false;
        for (unsigned b = 0; b < RADIX_SIZE; b++) {
            if (off[b] == n) trivial = true;
            const size_t c = off[b];
            off[b] = sum;
            sum += c;
        }
        if (trivial) continue;
        const unsigned sh = shift[p];
        for (size_t i = 0; i < n; i++) tmp[off[(a[i] >> sh) & 0x7ff]++] = a[i];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* Sorted samples: items hold key | (label bit, weight bits) when `packed`, else key | index. */
typedef struct {
    uint64_t *buf[2]; /* gtable_alloc'ed: huge pages keep the scatter passes' TLB misses low */
    size_t bytes;
    uint64_t *items;
    size_t n;
    bool packed;
    const float *y, *w;
} sorted_set;

static inline double item_x(uint64_t it) { return key_score((uint32_t)(it >> 32)); }

static inline void item_wy(const sorted_set *ss, uint64_t it, double *w, double *y)
{
    if (ss->packed) {
        const uint32_t wb = (uint32_t)it & 0x7fffffffu;
        float wf;
        memcpy(&wf, &wb, sizeof wf);
        *w = wf;
        *y = (double)((it >> 31) & 1u);
    } else {
        const uint32_t i = (uint32_t)it;
        *w = ss->w ? (double)ss->w[i] : 1.0;
        *y = ss->y[i];
    }
}

static void sorted_free(sorted_set *ss)
{
    gtable_free(ss->buf[0], ss->bytes);
    gtable_free(ss->buf[1], ss->bytes);
}

static int sort_samples(const char *who, const float *s, const float *y, const float *w, size_t n,
                        bool packed, sorted_set *ss)
{
    memset(ss, 0, sizeof *ss);
    ss->packed = packed;
    ss->y = y;
    ss->w = w;
    ss->bytes = n * sizeof(uint64_t);
    ss->buf[0] = gtable_alloc(ss->bytes);
    ss->buf[1] = gtable_alloc(ss->bytes);
    size_t *hist = calloc(3 * (size_t)RADIX_SIZE, sizeof *hist);
    if (!ss->buf[0] || !ss->buf[1] || !hist) {
        sorted_free(ss);
        free(hist);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate sort buffers for n = %zu", who, n);
    }
    uint64_t *a = ss->buf[0];
    size_t m = 0;
    if (packed) {
        for (size_t i = 0; i < n; i++) {
            const float wi = w ? w[i] : 1.0f;
            uint32_t wb;
            memcpy(&wb, &wi, sizeof wb);
            const uint64_t it =
                ((uint64_t)score_key(s[i]) << 32) | ((uint64_t)(y[i] == 1.0f) << 31) | (wb & 0x7fffffffu);
            a[m] = it;
            m += wi > 0.0f;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            a[m] = ((uint64_t)score_key(s[i]) << 32) | (uint32_t)i;
            m += !w || w[i] > 0.0f;
        }
    }
    for (size_t i = 0; i < m; i++) hist_add(hist, a[i]);
    ss->items = sort_hi32(a, ss->buf[1], m, hist);
    ss->n = m;
    free(hist);
    return GROWTH_OK;
}

/* ---- pool adjacent violators ------------------------------------------------------------- */

typedef struct {
    double w, wy, x0, x1;
} pav_block;

typedef struct {
    pav_block *b;
    size_t n, cap;
} pav_stack;

/* Appends one point (weight w > 0, weighted label sum wy, position x) and pools while the
 * previous block's mean is not below the new one's (ties are pooled, as scikit-learn does). */
static bool pav_push(pav_stack *st, double w, double wy, double x)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 256;
        pav_block *nb = realloc(st->b, cap * sizeof *nb);
        if (!nb) return false;
        st->b = nb;
        st->cap = cap;
    }
    pav_block cur = {w, wy, x, x};
    while (st->n > 0) {
        const pav_block *p = &st->b[st->n - 1];
        if (p->wy * cur.w < cur.wy * p->w) break; /* means in order (weights > 0) */
        cur.w += p->w;
        cur.wy += p->wy;
        cur.x0 = p->x0;
        st->n--;
    }
    st->b[st->n++] = cur;
    return true;
}

static bool kb_push(knot_buf *kb, double x, double y)
{
    if (kb->n == kb->cap) {
        size_t cap = kb->cap ? 2 * kb->cap : 64;
        double *nx = realloc(kb->x, cap * sizeof *nx);
        if (!nx) return false;
        kb->x = nx;
        double *ny = realloc(kb->y, cap * sizeof *ny);
        if (!ny) return false;
        kb->y = ny;
        kb->cap = cap;
    }
    kb->x[kb->n] = x;
    kb->y[kb->n] = y;
    kb->n++;
    return true;
}

/* Knots of a PAV result: each block's first and (if different) last position. */
static bool pav_knots(const pav_stack *st, knot_buf *kb)
{
    for (size_t i = 0; i < st->n; i++) {
        const pav_block *b = &st->b[i];
        double v = b->wy / b->w;
        v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
        if (!kb_push(kb, b->x0, v)) return false;
        if (b->x1 > b->x0 && !kb_push(kb, b->x1, v)) return false;
    }
    return true;
}

/* ---- isotonic and histogram -------------------------------------------------------------- */

static int fit_isotonic(const char *who, const sorted_set *ss, knot_buf *kb)
{
    pav_stack st = {0};
    size_t i = 0;
    bool ok = true;
    while (i < ss->n && ok) {
        const uint32_t key = (uint32_t)(ss->items[i] >> 32);
        double sw = 0.0, swy = 0.0;
        for (; i < ss->n && (uint32_t)(ss->items[i] >> 32) == key; i++) {
            double w, y;
            item_wy(ss, ss->items[i], &w, &y);
            sw += w;
            swy += w * y;
        }
        /* Tied scores merged: their weighted mean label at their total weight. */
        ok = pav_push(&st, sw, swy, key_score(key));
    }
    ok = ok && pav_knots(&st, kb);
    free(st.b);
    return ok ? GROWTH_OK : gerr(GROWTH_ENOMEM, "%s: out of memory", who);
}

static int fit_histogram(const char *who, const calib_cfg *cfg, const sorted_set *ss, double wtotal,
                         double base, knot_buf *kb)
{
    const size_t B = (size_t)cfg->bins;
    const double lo = item_x(ss->items[0]), hi = item_x(ss->items[ss->n - 1]);
    double *bw = calloc(B, sizeof *bw), *bwy = calloc(B, sizeof *bwy);
    double *edge = malloc(B * sizeof *edge);
    if (!bw || !bwy || !edge) {
        free(bw);
        free(bwy);
        free(edge);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    size_t nb = 0; /* bins in use */
    if (cfg->binning == CAL_BIN_UNIFORM) {
        nb = hi > lo ? B : 1;
        for (size_t k = 0; k < nb; k++) edge[k] = lo + (hi - lo) * ((double)k / (double)nb);
        size_t k = 0;
        for (size_t i = 0; i < ss->n; i++) {
            const double x = item_x(ss->items[i]);
            while (k + 1 < nb && edge[k + 1] <= x) k++;
            double w, y;
            item_wy(ss, ss->items[i], &w, &y);
            bw[k] += w;
            bwy[k] += w * y;
        }
    } else {
        /* Equal weight: a run of tied scores starts bin floor(weight before it * B / W). */
        double cum = 0.0;
        size_t target = 0;
        uint32_t prev = 0;
        for (size_t i = 0; i < ss->n; i++) {
            const uint32_t key = (uint32_t)(ss->items[i] >> 32);
            if (i == 0 || key != prev) {
                size_t t = (size_t)(cum * (double)B / wtotal);
                if (t > B - 1) t = B - 1;
                if (i == 0 || t > target) {
                    edge[nb++] = key_score(key);
                    target = t;
                }
                prev = key;
            }
            double w, y;
            item_wy(ss, ss->items[i], &w, &y);
            bw[nb - 1] += w;
            bwy[nb - 1] += w * y;
            cum += w;
        }
    }
    bool ok = true;
    for (size_t k = 0; k < nb && ok; k++) ok = kb_push(kb, edge[k], bw[k] > 0.0 ? bwy[k] / bw[k] : base);
    free(bw);
    free(bwy);
    free(edge);
    return ok ? GROWTH_OK : gerr(GROWTH_ENOMEM, "%s: out of memory", who);
}

/* ---- field-aware piecewise-linear -------------------------------------------------------- */

/* Value of the knots (x ascending) at v: linear inside, clipped outside. */
static double knots_eval(const double *x, const double *y, size_t n, double v)
{
    if (!(v > x[0])) return y[0];
    if (v >= x[n - 1]) return y[n - 1];
    size_t lo = 0, hi = n - 1; /* x[lo] <= v < x[hi] */
    while (hi - lo > 1) {
        const size_t mid = (lo + hi) / 2;
        if (x[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return y[lo] + (y[hi] - y[lo]) / (x[hi] - x[lo]) * (v - x[lo]);
}

typedef struct {
    double w, wy, wx, xmin, xmax;
} bucket;

/* Equal-weight buckets (ties never split) of sorted items it[0..cnt); returns how many. */
static size_t bucketize(const sorted_set *ss, const uint64_t *it, size_t cnt, double wtotal, size_t B,
                        bucket *bk)
{
    size_t nb = 0, target = 0;
    double cum = 0.0;
    uint32_t prev = 0;
    for (size_t i = 0; i < cnt; i++) {
        const uint32_t key = (uint32_t)(it[i] >> 32);
        const double x = key_score(key);
        if (i == 0 || key != prev) {
            size_t t = (size_t)(cum * (double)B / wtotal);
            if (t > B - 1) t = B - 1;
            if (i == 0 || t > target) {
                bk[nb++] = (bucket){0.0, 0.0, 0.0, x, x};
                target = t;
            }
            prev = key;
        }
        double w, y;
        item_wy(ss, it[i], &w, &y);
        bucket *b = &bk[nb - 1];
        b->w += w;
        b->wy += w * y;
        b->wx += w * x;
        b->xmax = x;
        cum += w;
    }
    return nb;
}

/* Monotone map through the buckets: rate (wy + prior g(mean)) / (w + prior), where g is the
 * global map (gx, gy, gn; gn = 0 for the global map itself, prior then unused), made monotone
 * by weighted PAV; knots are appended to kb. */
static bool bucket_map(const bucket *bk, size_t nb, double prior, const double *gx, const double *gy,
                       size_t gn, knot_buf *kb)
{
    pav_stack st = {0};
    bool ok = true;
    for (size_t b = 0; b < nb && ok; b++) {
        double mx = bk[b].wx / bk[b].w;
        mx = mx < bk[b].xmin ? bk[b].xmin : mx > bk[b].xmax ? bk[b].xmax : mx;
        const double pw = gn ? prior : 0.0, g = gn ? knots_eval(gx, gy, gn, mx) : 0.0;
        ok = pav_push(&st, bk[b].w + pw, bk[b].wy + pw * g, mx);
    }
    ok = ok && pav_knots(&st, kb);
    free(st.b);
    return ok;
}

static size_t bucket_count(const calib_cfg *cfg, size_t cnt)
{
    size_t B = cnt / (size_t)cfg->min_bucket;
    if (B > (size_t)cfg->buckets) B = (size_t)cfg->buckets;
    return B ? B : 1;
}

/* Growable open-addressing map from field id to a dense index. */
typedef struct {
    int64_t *id;
    uint32_t *val; /* dense index + 1; 0 = empty */
    size_t mask, n;
} id_map;

static bool idmap_grow(id_map *h)
{
    const size_t cap = h->id ? 2 * (h->mask + 1) : 1024;
    int64_t *id = malloc(cap * sizeof *id);
    uint32_t *val = calloc(cap, sizeof *val);
    if (!id || !val) {
        free(id);
        free(val);
        return false;
    }
    for (size_t i = 0; h->id && i <= h->mask; i++) {
        if (!h->val[i]) continue;
        size_t p = (size_t)gmix64((uint64_t)h->id[i]) & (cap - 1);
        while (val[p]) p = (p + 1) & (cap - 1);
        id[p] = h->id[i];
        val[p] = h->val[i];
    }
    free(h->id);
    free(h->val);
    h->id = id;
    h->val = val;
    h->mask = cap - 1;
    return true;
}

/* Dense index of `key`, inserting it; UINT32_MAX on ENOMEM. */
static uint32_t idmap_get(id_map *h, int64_t key, int64_t *ids_out)
{
    if (!h->id || 2 * (h->n + 1) > h->mask + 1)
        if (!idmap_grow(h)) return UINT32_MAX;
    size_t p = (size_t)gmix64((uint64_t)key) & h->mask;
    while (h->val[p]) {
        if (h->id[p] == key) return h->val[p] - 1;
        p = (p + 1) & h->mask;
    }
    h->id[p] = key;
    h->val[p] = (uint32_t)(++h->n);
    ids_out[h->n - 1] = key;
    return (uint32_t)(h->n - 1);
}

typedef struct {
    int64_t id;
    uint32_t dense;
} id_pair;

static int cmp_pair(const void *a, const void *b)
{
    const int64_t x = ((const id_pair *)a)->id, y = ((const id_pair *)b)->id;
    return (x > y) - (x < y);
}

static int fit_field(const char *who, const calib_cfg *cfg, const sorted_set *ss, const int64_t *fields,
                     size_t n, calib_model **out)
{
    int rc = GROWTH_OK;
    knot_buf gk = {0}, fk = {0};
    id_map hm = {0};
    int64_t *ids = malloc(n * sizeof *ids);
    uint32_t *dense = malloc(n * sizeof *dense);
    bucket *bk = malloc(((size_t)cfg->buckets + 1) * sizeof *bk);
    size_t *start = NULL;
    id_pair *order = NULL;
    field_spec *fs = NULL;
    uint64_t *grouped = NULL;
    if (!ids || !dense || !bk) goto nomem;
    /* Dense field indices, in order of first appearance. */
    for (size_t i = 0; i < n; i++) {
        const uint32_t d = idmap_get(&hm, fields[i], ids);
        if (d == UINT32_MAX) goto nomem;
        dense[i] = d;
    }
    const size_t nf_all = hm.n;
    /* The global map. */
    double W = 0.0;
    for (size_t i = 0; i < ss->n; i++) {
        double w, y;
        item_wy(ss, ss->items[i], &w, &y);
        W += w;
    }
    size_t nb = bucketize(ss, ss->items, ss->n, W, bucket_count(cfg, ss->n), bk);
    if (!bucket_map(bk, nb, 0.0, NULL, NULL, 0, &gk)) goto nomem;
    /* Stable counting sort of the score-sorted items by field. */
    start = calloc(nf_all + 1, sizeof *start);
    grouped = malloc((ss->n ? ss->n : 1) * sizeof *grouped);
    if (!start || !grouped) goto nomem;
    for (size_t i = 0; i < ss->n; i++) start[dense[(uint32_t)ss->items[i]] + 1]++;
    for (size_t f = 0; f < nf_all; f++) start[f + 1] += start[f];
    {
        size_t *pos = malloc((nf_all + 1) * sizeof *pos);
        if (!pos) goto nomem;
        memcpy(pos, start, (nf_all + 1) * sizeof *pos);
        for (size_t i = 0; i < ss->n; i++) grouped[pos[dense[(uint32_t)ss->items[i]]]++] = ss->items[i];
        free(pos);
    }
    /* Fields in id order; those without a sample of positive weight are left out. */
    order = malloc((nf_all + 1) * sizeof *order);
    fs = malloc((nf_all + 1) * sizeof *fs);
    if (!order || !fs) goto nomem;
    for (uint32_t f = 0; f < nf_all; f++) order[f] = (id_pair){ids[f], f};
    qsort(order, nf_all, sizeof *order, cmp_pair);
    size_t nf = 0;
    for (size_t q = 0; q < nf_all; q++) {
        const uint32_t f = order[q].dense;
        const uint64_t *it = grouped + start[f];
        const size_t cnt = start[f + 1] - start[f];
        if (cnt == 0) continue;
        field_spec *sp = &fs[nf++];
        sp->id = ids[f];
        sp->scale = 1.0;
        sp->nknots = 0;
        double fw = 0.0, fy = 0.0, fg = 0.0;
        for (size_t i = 0; i < cnt; i++) {
            double w, y;
            item_wy(ss, it[i], &w, &y);
            fw += w;
            fy += w * y;
            fg += w * knots_eval(gk.x, gk.y, gk.n, item_x(it[i]));
        }
        if (cnt >= 2 * (size_t)cfg->min_bucket) {
            const size_t before = fk.n;
            nb = bucketize(ss, it, cnt, fw, bucket_count(cfg, cnt), bk);
            if (!bucket_map(bk, nb, cfg->prior, gk.x, gk.y, gk.n, &fk)) goto nomem;
            sp->nknots = (uint32_t)(fk.n - before);
        } else {
            /* Rare value: the global map times its shrunk observed / expected ratio. */
            const double mean_g = fg / fw, den = fg + cfg->prior * mean_g;
            sp->scale = den > 0.0 ? (fy + cfg->prior * mean_g) / den : 1.0;
        }
    }
    calib_model *m = calib_model_build(CAL_FIELD, gk.x, gk.y, gk.n, fs, nf, fk.x, fk.y);
    if (!m) goto nomem;
    *out = m;
    goto done;
nomem:
    rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
done:
    free(gk.x);
    free(gk.y);
    free(fk.x);
    free(fk.y);
    free(hm.id);
    free(hm.val);
    free(ids);
    free(dense);
    free(bk);
    free(start);
    free(order);
    free(fs);
    free(grouped);
    return rc;
}

/* ---- entry ------------------------------------------------------------------------------- */

int calib_fit(const char *who, const calib_cfg *cfg, const float *scores, const float *labels,
              const float *weights, const int64_t *fields, size_t n, calib_model **out)
{
    fit_totals tot = {0};
    int rc = check_fit_input(who, cfg, scores, labels, weights, fields, n, &tot);
    if (rc) return rc;
    /* Working memory, refused up front: the sigmoid fits keep two doubles a sample, histogram
     * sorts 2 x 8 bytes a sample; isotonic may add a PAV block and a knot a sample, field the
     * per-sample field index and grouping: about 64 bytes a sample. */
    const double per =
        cfg->method == CAL_PLATT || cfg->method == CAL_TEMPERATURE || cfg->method == CAL_HISTOGRAM ? 16.0
                                                                                                   : 64.0;
    if ((rc = gmem_reserve(who, (double)n * per, (uint64_t)cfg->max_memory))) return rc;
    calib_model *m = NULL;
    if (cfg->method == CAL_PLATT || cfg->method == CAL_TEMPERATURE) {
        static const double zero = 0.0;
        m = calib_model_build(cfg->method, &zero, &zero, 1, NULL, 0, NULL, NULL);
        if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        rc = fit_sigmoid(who, cfg, scores, labels, weights, n, &tot, m);
    } else {
        sorted_set ss;
        const bool packed = tot.binary && cfg->method != CAL_FIELD;
        rc = sort_samples(who, scores, labels, weights, n, packed, &ss);
        if (rc) return rc;
        if (cfg->method == CAL_FIELD) {
            rc = fit_field(who, cfg, &ss, fields, n, &m);
        } else {
            knot_buf kb = {0};
            rc = cfg->method == CAL_ISOTONIC ? fit_isotonic(who, &ss, &kb)
                                             : fit_histogram(who, cfg, &ss, tot.w, tot.wy / tot.w, &kb);
            if (!rc) {
                m = calib_model_build(cfg->method, kb.x, kb.y, kb.n, NULL, 0, NULL, NULL);
                if (!m) rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            }
            free(kb.x);
            free(kb.y);
        }
        sorted_free(&ss);
    }
    if (rc) {
        calib_model_free(m);
        return rc;
    }
    m->samples = tot.npos_w;
    m->wsum = tot.w;
    m->ysum = tot.wy;
    *out = m;
    return GROWTH_OK;
}
