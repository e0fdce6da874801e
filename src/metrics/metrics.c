/* Metrics: exact (weighted) AUC and GAUC, log-loss, normalised entropy, calibration ratio.
 *
 * AUC sorts the examples by score with an LSD radix sort on 64-bit items that carry everything
 * the area needs, so no gather through an index array follows the sort:
 *
 *   bits 63..32  the score as an order-preserving unsigned key (-0 folded onto +0)
 *   bit  31      the label
 *   bits 30..0   the weight's float bits (weights are >= 0, so the sign bit is free)
 *
 * Ties are then adjacent and count one half (Mann-Whitney), which is the trapezoidal area under
 * the ROC curve that scikit-learn's roc_auc_score computes. GAUC sorts (group, item) pairs by
 * score and then, stably, by group, and runs the same scan within each group. All sums are
 * double. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/metrics.h"

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)

/* Clipping bound of the log-loss family (scikit-learn's historical eps). */
#define LOGLOSS_EPS 1e-15

/* ---- input validation -------------------------------------------------------------------- */

/* Totals gathered while validating: sum of weights and sum of weights of positive labels. */
typedef struct {
    double w, wpos;
} totals;

/* Finds the first invalid example and reports it; called only after the fast scan in
 * check_inputs() saw that one exists. */
static int report_bad(const char *fn, const char *what, bool prob, const float *x, const float *labels,
                      const float *weights, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float s = x[i], y = labels[i];
        if (!gfinite(s)) return gerr(GROWTH_EINVAL, "%s: %s[%zu] = %g is not finite", fn, what, i, (double)s);
        if (prob && (s < 0.0f || s > 1.0f))
            return gerr(GROWTH_EINVAL, "%s: %s[%zu] = %g is outside [0, 1]", fn, what, i, (double)s);
        if (y != 0.0f && y != 1.0f)
            return gerr(GROWTH_EINVAL, "%s: label[%zu] = %g is not 0 or 1", fn, i, (double)y);
        if (weights && (!gfinite(weights[i]) || weights[i] < 0.0f))
            return gerr(GROWTH_EINVAL, "%s: weight[%zu] = %g is not finite and >= 0", fn, i,
                        (double)weights[i]);
    }
    return gerr(GROWTH_EINVAL, "%s: invalid input", fn); /* not reached */
}

/* Checks pointers, n, every score (finite; within [0, 1] when `prob`), label (0 or 1) and
 * weight (finite, >= 0), and that the total weight is positive. `what` names the score array
 * in messages ("score" or "prob"). The scan is branch-free so random labels cost no
 * mispredictions; report_bad() finds the culprit afterwards. */
static int check_inputs(const char *fn, const char *what, bool prob, const float *x, const float *labels,
                        const float *weights, size_t n, const void *out, totals *t)
{
    if (x == NULL) return gerr(GROWTH_EINVAL, "%s: %ss is NULL", fn, what);
    GROWTH_CHECK_NULL(fn, labels);
    if (out == NULL) return gerr(GROWTH_EINVAL, "%s: output pointer is NULL", fn);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: n is 0 (no examples)", fn);
    if (n > SIZE_MAX / sizeof(double)) /* no array is that long (and n doubles would wrap) */
        return gerr(GROWTH_EINVAL, "%s: n = %zu is too large", fn, n);

    /* Finite: s - s is 0 (NaN otherwise). In range: comparisons are false for NaN. */
    const float lo = prob ? 0.0f : -FLT_MAX, hi = prob ? 1.0f : FLT_MAX;
    unsigned bad = 0;
    double w = 0.0, wpos = 0.0;
    if (weights == NULL) {
        size_t npos = 0;
        for (size_t i = 0; i < n; i++) {
            const float s = x[i], y = labels[i];
            bad |= !(s >= lo) | !(s <= hi) | ((y != 0.0f) & (y != 1.0f));
            npos += y == 1.0f;
        }
        w = (double)n;
        wpos = (double)npos;
    } else {
        for (size_t i = 0; i < n; i++) {
            const float s = x[i], y = labels[i], wi = weights[i];
            bad |= !(s >= lo) | !(s <= hi) | ((y != 0.0f) & (y != 1.0f)) | !(wi >= 0.0f) | !(wi <= FLT_MAX);
            w += wi;
            wpos += (double)(y * wi); /* exact: y is 0 or 1 when nothing is bad */
        }
    }
    if (bad) return report_bad(fn, what, prob, x, labels, weights, n);
    if (!(w > 0.0)) return gerr(GROWTH_EINVAL, "%s: the total weight is zero", fn);
    t->w = w;
    t->wpos = wpos;
    return GROWTH_OK;
}

/* ---- sort items ---------------------------------------------------------------------------- */

/* Order-preserving map of a finite float to uint32 (negative: flip all bits; else set the
 * sign bit). -0 is folded onto +0 first so that they tie. */
static inline uint32_t score_key(float s)
{
    uint32_t b;
    if (s == 0.0f) s = 0.0f;
    memcpy(&b, &s, sizeof b);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

/* The 64-bit sort item of one example (layout at the top of the file). */
static inline uint64_t make_item(float s, float y, const float *weights, size_t i)
{
    uint32_t wbits = 0x3f800000u; /* 1.0f */
    if (weights) memcpy(&wbits, &weights[i], sizeof wbits);
    wbits &= 0x7fffffffu; /* -0 weight -> +0 */
    if (y == 1.0f) wbits |= 0x80000000u;
    return ((uint64_t)score_key(s) << 32) | wbits;
}

/* One radix digit: `bits` bits starting at `shift`. */
typedef struct {
    unsigned shift, bits;
} digit_spec;

static inline unsigned digit_of(uint64_t v, digit_spec d)
{
    return (unsigned)(v >> d.shift) & ((1u << d.bits) - 1u);
}

/* The score key (bits 63..32 of an item) in three digits, least significant first. */
static const digit_spec KEY_DIGITS[3] = {{32, 11}, {43, 11}, {54, 10}};
/* A 64-bit group id in six digits. */
static const digit_spec GROUP_DIGITS[6] = {{0, 11}, {11, 11}, {22, 11}, {33, 11}, {44, 11}, {55, 9}};

/* Turns a histogram into start offsets; false when one bucket holds all n (pass is a no-op). */
static bool hist_to_offsets(size_t *h, size_t n)
{
    size_t sum = 0;
    for (unsigned b = 0; b < RADIX_SIZE; b++) {
        if (h[b] == n) return false;
        size_t c = h[b];
        h[b] = sum;
        sum += c;
    }
    return true;
}

/* LSD radix sort of 64-bit items by their score key. `hist` holds the three digit histograms
 * (3 x RADIX_SIZE), filled by the caller. Returns the buffer (a or tmp) that holds the result. */
static uint64_t *sort_items(uint64_t *a, uint64_t *tmp, size_t n, size_t *hist)
{
    for (int p = 0; p < 3; p++) {
        size_t *off = hist + (size_t)p * RADIX_SIZE;
        if (!hist_to_offsets(off, n)) continue;
        const digit_spec d = KEY_DIGITS[p];
        for (size_t i = 0; i < n; i++) tmp[off[digit_of(a[i], d)]++] = a[i];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* A GAUC item: group id (sign bit flipped, so ids order as unsigned) and the AUC item. */
typedef struct {
    uint64_t g, item;
} gitem;

/* Stable LSD radix sort by (group, score key). `hist` holds 3 + 6 digit histograms. */
static gitem *sort_gitems(gitem *a, gitem *tmp, size_t n, size_t *hist)
{
    for (int p = 0; p < 9; p++) {
        size_t *off = hist + (size_t)p * RADIX_SIZE;
        if (!hist_to_offsets(off, n)) continue;
        if (p < 3) {
            const digit_spec d = KEY_DIGITS[p];
            for (size_t i = 0; i < n; i++) tmp[off[digit_of(a[i].item, d)]++] = a[i];
        } else {
            const digit_spec d = GROUP_DIGITS[p - 3];
            for (size_t i = 0; i < n; i++) tmp[off[digit_of(a[i].g, d)]++] = a[i];
        }
        gitem *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* Items of (group, score, label, weight) sorted by group, then score: one radix sort over both
 * keys. *block (2n items, the caller frees it) holds the items; *sorted points into it. */
static int sort_by_group(const char *fn, const float *scores, const float *labels, const float *weights,
                         const int64_t *groups, size_t n, gitem **block, const gitem **sorted)
{
    if (n > SIZE_MAX / (2 * sizeof(gitem))) return gerr(GROWTH_ENOMEM, "%s: n = %zu is too large", fn, n);
    gitem *a = malloc(2 * n * sizeof *a);
    size_t *hist = calloc(9 * (size_t)RADIX_SIZE, sizeof *hist);
    if (!a || !hist) {
        free(a);
        free(hist);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate sort buffers for n = %zu", fn, n);
    }
    for (size_t i = 0; i < n; i++) {
        gitem it = {(uint64_t)groups[i] ^ 0x8000000000000000u, make_item(scores[i], labels[i], weights, i)};
        a[i] = it;
        for (int p = 0; p < 3; p++) hist[(size_t)p * RADIX_SIZE + digit_of(it.item, KEY_DIGITS[p])]++;
        for (int p = 0; p < 6; p++) hist[(size_t)(p + 3) * RADIX_SIZE + digit_of(it.g, GROUP_DIGITS[p])]++;
    }
    *sorted = sort_gitems(a, a + n, n, hist);
    free(hist);
    *block = a;
    return GROWTH_OK;
}

/* ---- area under the curve from items sorted by ascending score ----------------------------- */

/* Running Mann-Whitney sums: weight of positives and negatives seen, the area numerator
 * (positive-negative pairs ranked correctly, ties one half) and the open tie block. */
typedef struct {
    double pos, neg, area, tie_pos, tie_neg;
    uint32_t key;
} auc_acc;

static inline void acc_reset(auc_acc *a, uint32_t first_key)
{
    memset(a, 0, sizeof *a);
    a->key = first_key;
}

static inline void acc_close_tie(auc_acc *a)
{
    a->area += a->tie_pos * (a->neg + 0.5 * a->tie_neg);
    a->pos += a->tie_pos;
    a->neg += a->tie_neg;
    a->tie_pos = a->tie_neg = 0.0;
}

static inline void acc_add(auc_acc *a, uint64_t item)
{
    const uint32_t key = (uint32_t)(item >> 32);
    if (key != a->key) {
        acc_close_tie(a);
        a->key = key;
    }
    /* Branch-free split of the weight by label: the label bit, spread to a mask, selects it. */
    const uint32_t wbits = (uint32_t)item & 0x7fffffffu;
    const uint32_t pbits = wbits & (0u - (uint32_t)((item >> 31) & 1u));
    float w, wp;
    memcpy(&w, &wbits, sizeof w);
    memcpy(&wp, &pbits, sizeof wp);
    a->tie_pos += wp;
    a->tie_neg += w - wp; /* exact: w - w or w - 0 */
}

/* ---- public functions -------------------------------------------------------------------- */

GROWTH_API int growth_metrics_auc(const float *scores, const float *labels, const float *weights, size_t n,
                                  double *out_auc)
{
    static const char fn[] = "growth_metrics_auc";
    totals t;
    int rc = check_inputs(fn, "score", false, scores, labels, weights, n, out_auc, &t);
    if (rc != GROWTH_OK) return rc;
    if (!(t.wpos > 0.0) || !(t.w - t.wpos > 0.0))
        return gerr(GROWTH_EINVAL, "%s: only one class has positive weight; AUC is undefined", fn);
    if (n > SIZE_MAX / (2 * sizeof(uint64_t))) return gerr(GROWTH_ENOMEM, "%s: n = %zu is too large", fn, n);

    uint64_t *a = malloc(n * sizeof *a), *tmp = malloc(n * sizeof *tmp);
    size_t *hist = calloc(3 * (size_t)RADIX_SIZE, sizeof *hist);
    if (!a || !tmp || !hist) {
        free(a);
        free(tmp);
        free(hist);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate sort buffers for n = %zu", fn, n);
    }
    for (size_t i = 0; i < n; i++) {
        const uint64_t it = make_item(scores[i], labels[i], weights, i);
        a[i] = it;
        hist[digit_of(it, KEY_DIGITS[0])]++;
        hist[RADIX_SIZE + digit_of(it, KEY_DIGITS[1])]++;
        hist[2 * RADIX_SIZE + digit_of(it, KEY_DIGITS[2])]++;
    }
    const uint64_t *s = sort_items(a, tmp, n, hist);

    auc_acc acc;
    acc_reset(&acc, (uint32_t)(s[0] >> 32));
    for (size_t i = 0; i < n; i++) acc_add(&acc, s[i]);
    acc_close_tie(&acc);
    free(a);
    free(tmp);
    free(hist);

    if (!(acc.pos > 0.0) || !(acc.neg > 0.0)) /* only if weights underflowed to 0 */
        return gerr(GROWTH_EINVAL, "%s: only one class has positive weight; AUC is undefined", fn);
    *out_auc = acc.area / (acc.pos * acc.neg);
    return GROWTH_OK;
}

GROWTH_API int growth_metrics_gauc(const float *scores, const float *labels, const float *weights,
                                   const int64_t *groups, size_t n, double *out_gauc, size_t *out_groups_used)
{
    static const char fn[] = "growth_metrics_gauc";
    GROWTH_CHECK_NULL(fn, groups);
    totals t;
    int rc = check_inputs(fn, "score", false, scores, labels, weights, n, out_gauc, &t);
    if (rc != GROWTH_OK) return rc;
    gitem *block = NULL;
    const gitem *s = NULL;
    rc = sort_by_group(fn, scores, labels, weights, groups, n, &block, &s);
    if (rc != GROWTH_OK) return rc;

    /* One AUC per run of equal group ids, weighted by the group's total weight. */
    double sum = 0.0, wsum = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < n;) {
        const uint64_t g = s[i].g;
        auc_acc acc;
        acc_reset(&acc, (uint32_t)(s[i].item >> 32));
        for (; i < n && s[i].g == g; i++) acc_add(&acc, s[i].item);
        acc_close_tie(&acc);
        if (acc.pos > 0.0 && acc.neg > 0.0) {
            const double wg = acc.pos + acc.neg;
            sum += wg * (acc.area / (acc.pos * acc.neg));
            wsum += wg;
            used++;
        }
    }
    free(block);

    if (used == 0)
        return gerr(GROWTH_EINVAL, "%s: no group has both classes with positive weight; GAUC is undefined",
                    fn);
    *out_gauc = sum / wsum;
    if (out_groups_used) *out_groups_used = used;
    return GROWTH_OK;
}

/* Weighted sum of the clipped binary log-loss; inputs already validated. */
static double logloss_sum(const float *probs, const float *labels, const float *weights, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double p = probs[i];
        if (p < LOGLOSS_EPS) p = LOGLOSS_EPS;
        if (p > 1.0 - LOGLOSS_EPS) p = 1.0 - LOGLOSS_EPS;
        const double l = labels[i] == 1.0f ? -log(p) : -log1p(-p);
        sum += weights ? (double)weights[i] * l : l;
    }
    return sum;
}

GROWTH_API int growth_metrics_logloss(const float *probs, const float *labels, const float *weights, size_t n,
                                      double *out_logloss)
{
    totals t;
    int rc = check_inputs("growth_metrics_logloss", "prob", true, probs, labels, weights, n, out_logloss, &t);
    if (rc != GROWTH_OK) return rc;
    *out_logloss = logloss_sum(probs, labels, weights, n) / t.w;
    return GROWTH_OK;
}

GROWTH_API int growth_metrics_normalized_entropy(const float *probs, const float *labels,
                                                 const float *weights, size_t n, double *out_ne)
{
    static const char fn[] = "growth_metrics_normalized_entropy";
    totals t;
    int rc = check_inputs(fn, "prob", true, probs, labels, weights, n, out_ne, &t);
    if (rc != GROWTH_OK) return rc;
    const double base = t.wpos / t.w;
    if (!(base > 0.0) || !(base < 1.0))
        return gerr(GROWTH_EINVAL, "%s: the base rate is %g; its entropy is zero", fn, base);
    const double h = -(base * log(base) + (1.0 - base) * log1p(-base));
    *out_ne = logloss_sum(probs, labels, weights, n) / t.w / h;
    return GROWTH_OK;
}

GROWTH_API int growth_metrics_pcoc(const float *probs, const float *labels, const float *weights, size_t n,
                                   double *out_pcoc)
{
    static const char fn[] = "growth_metrics_pcoc";
    totals t;
    int rc = check_inputs(fn, "prob", true, probs, labels, weights, n, out_pcoc, &t);
    if (rc != GROWTH_OK) return rc;
    if (!(t.wpos > 0.0)) return gerr(GROWTH_EINVAL, "%s: no positive label with positive weight", fn);
    double sp = 0.0;
    for (size_t i = 0; i < n; i++) sp += weights ? (double)weights[i] * probs[i] : probs[i];
    *out_pcoc = sp / t.wpos;
    return GROWTH_OK;
}

/* ---- calibration metrics: ECE, MCE, reliability table, Field-ECE, Field-RCE -------------- */

#define MAX_BINS (1 << 20)

/* Inverse of score_key() (the probability an item was made from). */
static inline double item_prob(uint64_t item)
{
    const uint32_t k = (uint32_t)(item >> 32);
    const uint32_t b = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float s;
    memcpy(&s, &b, sizeof s);
    return s;
}

static inline double item_weight(uint64_t item)
{
    const uint32_t wbits = (uint32_t)item & 0x7fffffffu;
    float w;
    memcpy(&w, &wbits, sizeof w);
    return w;
}

/* The binning of ECE, MCE and the reliability table: `config` keys bins= and binning=. */
enum { BINS_UNIFORM = 0, BINS_QUANTILE = 1 };
typedef struct {
    int64_t bins;
    int binning;
} bins_cfg;
static const gcfg_opt bins_opts[] = {
    {"bins", GCFG_INT, offsetof(bins_cfg, bins), "10", 1, MAX_BINS, NULL, false},
    {"binning", GCFG_ENUM, offsetof(bins_cfg, binning), "uniform", 0, 0, "uniform|quantile", false},
};

/* Per-bin sums of w, w p and w y. *out_nb gets the number of bins filled (all `bins` for
 * uniform binning, the non-empty ones for quantile binning). The three arrays are calloc'ed
 * (free them) with `bins` entries each. */
static int bin_sums(const char *fn, const float *probs, const float *labels, const float *weights, size_t n,
                    const char *config, const void *out, double **sw, double **swp, double **swy,
                    size_t *out_nb)
{
    totals t;
    int rc = check_inputs(fn, "prob", true, probs, labels, weights, n, out, &t);
    if (rc != GROWTH_OK) return rc;
    bins_cfg cfg = {0, 0};
    rc = gcfg_parse(fn, bins_opts, sizeof bins_opts / sizeof bins_opts[0], config, &cfg, sizeof cfg);
    if (rc != GROWTH_OK) return rc;
    const int binning = cfg.binning;
    const size_t B = (size_t)cfg.bins;
    double *a = calloc(B, sizeof *a), *b = calloc(B, sizeof *b), *c = calloc(B, sizeof *c);
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate %zu bins", fn, B);
    }
    if (binning == BINS_UNIFORM) {
        for (size_t i = 0; i < n; i++) {
            const double p = probs[i], w = weights ? (double)weights[i] : 1.0;
            size_t k = (size_t)(p * (double)B);
            if (k > B - 1) k = B - 1;
            a[k] += w;
            b[k] += w * p;
            c[k] += labels[i] == 1.0f ? w : 0.0;
        }
        *out_nb = B;
    } else {
        uint64_t *s = malloc(n * sizeof *s), *tmp = malloc(n * sizeof *tmp);
        size_t *hist = calloc(3 * (size_t)RADIX_SIZE, sizeof *hist);
        if (!s || !tmp || !hist) {
            free(s);
            free(tmp);
            free(hist);
            free(a);
            free(b);
            free(c);
            return gerr(GROWTH_ENOMEM, "%s: cannot allocate sort buffers for n = %zu", fn, n);
        }
        for (size_t i = 0; i < n; i++) {
            const uint64_t it = make_item(probs[i], labels[i], weights, i);
            s[i] = it;
            for (int p = 0; p < 3; p++) hist[(size_t)p * RADIX_SIZE + digit_of(it, KEY_DIGITS[p])]++;
        }
        const uint64_t *srt = sort_items(s, tmp, n, hist);
        size_t nb = 0, target = 0;
        double cum = 0.0;
        for (size_t i = 0; i < n; i++) {
            const uint64_t it = srt[i];
            if (i == 0 || (uint32_t)(it >> 32) != (uint32_t)(srt[i - 1] >> 32)) {
                size_t k = (size_t)(cum * (double)B / t.w);
                if (k > B - 1) k = B - 1;
                if (i == 0 || k > target) {
                    nb++;
                    target = k;
                }
            }
            const double w = item_weight(it);
            a[nb - 1] += w;
            b[nb - 1] += w * item_prob(it);
            c[nb - 1] += (it >> 31) & 1u ? w : 0.0;
            cum += w;
        }
        free(s);
        free(tmp);
        free(hist);
        *out_nb = nb;
    }
    *sw = a;
    *swp = b;
    *swy = c;
    return GROWTH_OK;
}

/* ECE (mce = false) or MCE (mce = true). */
static int ece_mce(const char *fn, bool mce, const float *probs, const float *labels, const float *weights,
                   size_t n, const char *config, double *out)
{
    double *sw, *swp, *swy;
    size_t nb;
    int rc = bin_sums(fn, probs, labels, weights, n, config, out, &sw, &swp, &swy, &nb);
    if (rc != GROWTH_OK) return rc;
    double total = 0.0, sum = 0.0, mx = 0.0;
    for (size_t k = 0; k < nb; k++) {
        total += sw[k];
        const double gap = fabs(swp[k] - swy[k]);
        sum += gap;
        if (sw[k] > 0.0 && gap / sw[k] > mx) mx = gap / sw[k];
    }
    free(sw);
    free(swp);
    free(swy);
    *out = mce ? mx : sum / total;
    return GROWTH_OK;
}

GROWTH_API int growth_metrics_ece(const float *probs, const float *labels, const float *weights, size_t n,
                                  const char *config, double *out_ece)
{
    return ece_mce("growth_metrics_ece", false, probs, labels, weights, n, config, out_ece);
}

GROWTH_API int growth_metrics_mce(const float *probs, const float *labels, const float *weights, size_t n,
                                  const char *config, double *out_mce)
{
    return ece_mce("growth_metrics_mce", true, probs, labels, weights, n, config, out_mce);
}

GROWTH_API int growth_metrics_reliability(const float *probs, const float *labels, const float *weights,
                                          size_t n, const char *config, double *out_mean_prob,
                                          double *out_pos_rate, double *out_weight, size_t cap, size_t *out_n)
{
    static const char fn[] = "growth_metrics_reliability";
    GROWTH_CHECK_NULL(fn, out_n);
    *out_n = 0;
    if (cap && (!out_mean_prob || !out_pos_rate || !out_weight))
        return gerr(GROWTH_EINVAL, "%s: an output array is NULL with cap=%zu", fn, cap);
    double *sw, *swp, *swy;
    size_t nb;
    int rc = bin_sums(fn, probs, labels, weights, n, config, out_n, &sw, &swp, &swy, &nb);
    if (rc != GROWTH_OK) return rc;
    if (nb > cap) {
        /* The exact number of rows is known only now (quantile bins that exist); nothing is
         * written but the count. */
        free(sw);
        free(swp);
        free(swy);
        *out_n = nb;
        return gerr(GROWTH_EBUFS, "%s: the table has %zu rows, the arrays hold %zu", fn, nb, cap);
    }
    for (size_t k = 0; k < nb; k++) {
        out_weight[k] = sw[k];
        out_mean_prob[k] = sw[k] > 0.0 ? swp[k] / sw[k] : NAN;
        out_pos_rate[k] = sw[k] > 0.0 ? swy[k] / sw[k] : NAN;
    }
    *out_n = nb;
    free(sw);
    free(swp);
    free(swy);
    return GROWTH_OK;
}

/* Field-ECE (relative = false) or Field-RCE: groups by sorting (field, probability) items. */
static int field_error(const char *fn, bool relative, const float *probs, const float *labels,
                       const float *weights, const int64_t *fields, size_t n, double *out, size_t *out_used)
{
    GROWTH_CHECK_NULL(fn, fields);
    totals t;
    int rc = check_inputs(fn, "prob", true, probs, labels, weights, n, out, &t);
    if (rc != GROWTH_OK) return rc;
    gitem *block = NULL;
    const gitem *s = NULL;
    rc = sort_by_group(fn, probs, labels, weights, fields, n, &block, &s);
    if (rc != GROWTH_OK) return rc;
    double num = 0.0, den = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < n;) {
        const uint64_t g = s[i].g;
        double wz = 0.0, wy = 0.0, wp = 0.0;
        for (; i < n && s[i].g == g; i++) {
            const double w = item_weight(s[i].item);
            wz += w;
            wp += w * item_prob(s[i].item);
            wy += (s[i].item >> 31) & 1u ? w : 0.0;
        }
        if (!relative) {
            num += fabs(wy - wp);
            den += wz;
            used++;
        } else if (wy > 0.0) {
            num += wz * fabs(wy - wp) / wy;
            den += wz;
            used++;
        }
    }
    free(block);
    if (relative && used == 0)
        return gerr(GROWTH_EINVAL,
                    "%s: no field value has a positive label; Field-RCE is "
                    "undefined",
                    fn);
    *out = num / den;
    if (out_used) *out_used = used;
    return GROWTH_OK;
}

GROWTH_API int growth_metrics_field_ece(const float *probs, const float *labels, const float *weights,
                                        const int64_t *fields, size_t n, double *out_ece)
{
    return field_error("growth_metrics_field_ece", false, probs, labels, weights, fields, n, out_ece, NULL);
}

GROWTH_API int growth_metrics_field_rce(const float *probs, const float *labels, const float *weights,
                                        const int64_t *fields, size_t n, double *out_rce,
                                        size_t *out_fields_used)
{
    return field_error("growth_metrics_field_rce", true, probs, labels, weights, fields, n, out_rce,
                       out_fields_used);
}
