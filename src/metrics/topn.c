/* Top-N metrics of a ranked list (PredictTA precision, NewTA recall, lift). Rankings use a
 * quickselect over (score descending, position ascending): O(n) per evaluation. */
#include <stdlib.h>

#include "core.h"
#include "growth/metrics.h"

GROWTH_API int growth_metrics_topn_precision(const float *scores, const float *labels, size_t n, size_t topn,
                                             double *out_precision)
{
    static const char *who = "growth_metrics_topn_precision";
    GROWTH_CHECK_NULL(who, out_precision);
    int rc = grank_check(who, scores, labels, n, topn);
    if (rc) return rc;
    if (topn > n) return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users)", who, topn, n);
    grank_item *it = malloc(n * sizeof *it);
    if (!it) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    *out_precision = (double)grank_hits(scores, labels, NULL, n, topn, it) / (double)topn;
    free(it);
    return GROWTH_OK;
}

GROWTH_API int growth_metrics_topn_recall(const float *scores, const float *labels, const uint8_t *known,
                                          size_t n, size_t topn, double *out_recall)
{
    static const char *who = "growth_metrics_topn_recall";
    GROWTH_CHECK_NULL(who, out_recall);
    int rc = grank_check(who, scores, labels, n, topn);
    if (rc) return rc;
    size_t pool = 0, fresh = 0;
    for (size_t i = 0; i < n; i++)
        if (!known || !known[i]) {
            pool++;
            fresh += labels[i] == 1.0f;
        }
    if (topn > pool)
        return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users not known)", who, topn,
                    pool);
    if (fresh == 0)
        return gerr(GROWTH_EINVAL, "%s: no new target user (no label 1 outside the known users)", who);
    grank_item *it = malloc(n * sizeof *it);
    if (!it) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    *out_recall = (double)grank_hits(scores, labels, known, n, topn, it) / (double)fresh;
    free(it);
    return GROWTH_OK;
}

GROWTH_API int growth_metrics_topn_lift(const float *scores, const float *labels, size_t n, size_t topn,
                                        double *out_lift)
{
    static const char *who = "growth_metrics_topn_lift";
    GROWTH_CHECK_NULL(who, out_lift);
    int rc = grank_check(who, scores, labels, n, topn);
    if (rc) return rc;
    if (topn > n) return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users)", who, topn, n);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) pos += labels[i] == 1.0f;
    if (pos == 0) return gerr(GROWTH_EINVAL, "%s: no label is 1 (the base rate is 0)", who);
    grank_item *it = malloc(n * sizeof *it);
    if (!it) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    double prec = (double)grank_hits(scores, labels, NULL, n, topn, it) / (double)topn;
    *out_lift = prec / ((double)pos / (double)n);
    free(it);
    return GROWTH_OK;
}
