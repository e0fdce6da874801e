/* Hybrid fusion of ranked candidate lists (reciprocal-rank fusion or weighted normalised
 * scores) and the linear coarse pre-ranker (rank.h). Both work on small candidate sets and
 * allocate per call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/rank.h"

typedef struct {
    int method; /* 0 rrf, 1 weighted */
    double rrf_k;
    int normalize; /* 0 minmax, 1 max, 2 none */
} fuse_cfg;

static const gcfg_opt fuse_opts[] = {
    {"method", GCFG_ENUM, offsetof(fuse_cfg, method), "rrf", 0, 0, "rrf|weighted", false},
    {"rrf_k", GCFG_DOUBLE, offsetof(fuse_cfg, rrf_k), "60", 0, 1e9, NULL, true},
    {"normalize", GCFG_ENUM, offsetof(fuse_cfg, normalize), "minmax", 0, 0, "minmax|max|none", false},
};

typedef struct {
    int64_t id;
    double s;
    uint32_t list;
    uint32_t rank;
} fz_ent;

static int cmp_ent_id(const void *a, const void *b)
{
    const fz_ent *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    if (x->list != y->list) return x->list < y->list ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank; /* best position of a list first */
}

typedef struct {
    int64_t id;
    double s;
} fz_out;

static int cmp_out_best(const void *a, const void *b)
{
    const fz_out *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

GROWTH_API int growth_rank_fuse_lists(const int64_t *const *ids, const float *const *scores,
                                      const size_t *lens, const double *weights, size_t n_lists, size_t k,
                                      const char *config, int64_t *out_ids, float *out_scores, size_t cap,
                                      size_t *out_n)
{
    static const char *who = "growth_rank_fuse_lists";
    if (out_n) *out_n = 0;
    fuse_cfg cfg;
    int rc = gcfg_parse(who, fuse_opts, sizeof fuse_opts / sizeof fuse_opts[0], config ? config : "", &cfg,
                        sizeof cfg);
    if (rc) return rc;
    if (n_lists == 0) return gerr(GROWTH_EINVAL, "%s: n_lists is 0", who);
    GROWTH_CHECK_NULL(who, ids);
    GROWTH_CHECK_NULL(who, lens);
    if (cap) GROWTH_CHECK_NULL(who, out_ids); /* NULL with cap 0: a sizing call */
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k is 0", who);
    size_t total = 0;
    for (size_t l = 0; l < n_lists; l++) {
        if (lens[l] && !ids[l])
            return gerr(GROWTH_EINVAL, "%s: ids[%zu] is NULL but lens[%zu] is %zu", who, l, l, lens[l]);
        if (lens[l] > UINT32_MAX) return gerr(GROWTH_EINVAL, "%s: list %zu is longer than 2^32 - 1", who, l);
        if (weights && (!gfinite(weights[l]) || weights[l] < 0))
            return gerr(GROWTH_EINVAL, "%s: weights[%zu] = %g is not finite and >= 0", who, l, weights[l]);
        const float *s = scores ? scores[l] : NULL;
        if (cfg.method == 1 && lens[l] && !s)
            return gerr(GROWTH_EINVAL, "%s: method=weighted needs the scores of list %zu", who, l);
        if (s && lens[l] && !gall_finite_f32(s, lens[l]))
            return gerr(GROWTH_EINVAL, "%s: scores of list %zu hold NaN or Inf", who, l);
        total += lens[l];
    }
    if (cap < k) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = k;
        return gerr(GROWTH_EBUFS, "%s: cap %zu < k %zu", who, cap, k);
    }
    fz_ent *e = malloc((total ? total : 1) * sizeof *e);
    fz_out *o = malloc((total ? total : 1) * sizeof *o);
    if (!e || !o) {
        free(e);
        free(o);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu candidates", who, total);
    }
    size_t m = 0;
    for (size_t l = 0; l < n_lists; l++) {
        if (!lens[l]) continue;
        double w = weights ? weights[l] : 1.0;
        const float *s = scores ? scores[l] : NULL;
        double lo = 0, hi = 0, amax = 0;
        if (cfg.method == 1) {
            lo = hi = s[0];
            for (size_t i = 0; i < lens[l]; i++) {
                if (s[i] < lo) lo = s[i];
                if (s[i] > hi) hi = s[i];
                if (fabs(s[i]) > amax) amax = fabs(s[i]);
            }
        }
        for (size_t i = 0; i < lens[l]; i++) {
            double c;
            if (cfg.method == 0) {
                c = w / (cfg.rrf_k + (double)(i + 1));
            } else {
                double v = s[i];
                if (cfg.normalize == 0)
                    v = hi > lo ? (v - lo) / (hi - lo) : 1.0; /* constant list: 1 */
                else if (cfg.normalize == 1)
                    v = amax > 0 ? v / amax : 0.0;
                c = w * v;
            }
            e[m].id = ids[l][i];
            e[m].s = c;
            e[m].list = (uint32_t)l;
            e[m].rank = (uint32_t)i;
            m++;
        }
    }
    qsort(e, m, sizeof *e, cmp_ent_id);
    size_t no = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        double s = 0;
        while (j < m && e[j].id == e[i].id) {
            /* the first entry of each list is its best position; later repeats are ignored */
            if (j == i || e[j].list != e[j - 1].list) s += e[j].s;
            j++;
        }
        o[no].id = e[i].id;
        o[no].s = s;
        no++;
        i = j;
    }
    qsort(o, no, sizeof *o, cmp_out_best);
    size_t nk = no < k ? no : k;
    for (size_t i = 0; i < nk; i++) {
        out_ids[i] = o[i].id;
        if (out_scores) out_scores[i] = (float)o[i].s;
    }
    if (out_n) *out_n = nk;
    free(e);
    free(o);
    return GROWTH_OK;
}

typedef struct {
    double s;
    size_t row;
} pr_ent;

static int cmp_pr(const void *a, const void *b)
{
    const pr_ent *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

GROWTH_API int growth_rank_prerank(const float *features, size_t n, size_t d, const int64_t *ids,
                                   const float *weights, float bias, size_t top_n, int64_t *out_ids,
                                   float *out_scores, size_t cap, size_t *out_n)
{
    static const char *who = "growth_rank_prerank";
    if (out_n) *out_n = 0;
    if (d == 0) return gerr(GROWTH_EINVAL, "%s: d is 0", who);
    if (top_n == 0) return gerr(GROWTH_EINVAL, "%s: top_n is 0", who);
    GROWTH_CHECK_NULL(who, weights);
    if (cap) GROWTH_CHECK_NULL(who, out_ids); /* NULL with cap 0: a sizing call */
    if (n && !features) return gerr(GROWTH_EINVAL, "%s: features is NULL", who);
    if (n > SIZE_MAX / d) return gerr(GROWTH_EINVAL, "%s: n x d overflows", who);
    if (!gall_finite_f32(weights, d) || !gfinite(bias))
        return gerr(GROWTH_EINVAL, "%s: weights or bias hold NaN or Inf", who);
    size_t nk = n < top_n ? n : top_n;
    for (size_t i = 0; i < n; i++)
        if (!gall_finite_f32(features + i * d, d))
            return gerr(GROWTH_EINVAL, "%s: row %zu of features holds NaN or Inf", who, i);
    if (cap < nk) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = nk;
        return gerr(GROWTH_EBUFS, "%s: cap %zu < %zu results", who, cap, nk);
    }
    if (n == 0) return GROWTH_OK;
    pr_ent *e = malloc(n * sizeof *e);
    if (!e) return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu candidates", who, n);
    for (size_t i = 0; i < n; i++) {
        const float *x = features + i * d;
        double s = bias;
        for (size_t j = 0; j < d; j++) s += (double)weights[j] * x[j];
        e[i].s = s;
        e[i].row = i;
    }
    /* partial selection would be O(n); candidate sets are small, a sort keeps ties exact */
    qsort(e, n, sizeof *e, cmp_pr);
    for (size_t i = 0; i < nk; i++) {
        out_ids[i] = ids ? ids[e[i].row] : (int64_t)e[i].row;
        if (out_scores) out_scores[i] = (float)e[i].s;
    }
    if (out_n) *out_n = nk;
    free(e);
    return GROWTH_OK;
}
