/* Ranking items (score, position): selection of the best k and sorting, shared by the audience
 * ranking, the top-N metrics and score fusion. */
#include <stdlib.h>

#include "core.h"

/* Quickselect on the total order grank_before (positions make every item distinct). */
void grank_top_k(grank_item *a, size_t n, size_t k)
{
    if (k == 0 || k >= n) return;
    size_t lo = 0, hi = n - 1; /* the k-th item (index k - 1) lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        /* median of three into a[hi] as the pivot */
        if (grank_before(&a[mid], &a[lo])) {
            grank_item t = a[mid];
            a[mid] = a[lo];
            a[lo] = t;
        }
        if (grank_before(&a[hi], &a[lo])) {
            grank_item t = a[hi];
            a[hi] = a[lo];
            a[lo] = t;
        }
        if (grank_before(&a[mid], &a[hi])) {
            grank_item t = a[mid];
            a[mid] = a[hi];
            a[hi] = t;
        }
        grank_item p = a[hi];
        size_t s = lo;
        for (size_t j = lo; j < hi; j++)
            if (grank_before(&a[j], &p)) {
                grank_item t = a[j];
                a[j] = a[s];
                a[s] = t;
                s++;
            }
        {
            grank_item t = a[s];
            a[s] = a[hi];
            a[hi] = t;
        }
        if (s == k - 1) return;
        if (s > k - 1)
            hi = s - 1;
        else
            lo = s + 1;
    }
}

static int cmp_item(const void *x, const void *y)
{
    const grank_item *a = x, *b = y;
    return grank_before(a, b) ? -1 : grank_before(b, a) ? 1 : 0;
}

void grank_sort(grank_item *a, size_t n) { qsort(a, n, sizeof *a, cmp_item); }

size_t grank_hits(const float *scores, const float *labels, const uint8_t *skip, size_t n, size_t topn,
                  grank_item *it)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!skip || !skip[i]) it[m++] = (grank_item){scores[i], 0, i};
    if (topn > m) topn = m;
    grank_top_k(it, m, topn);
    size_t h = 0;
    for (size_t i = 0; i < topn; i++) h += labels[it[i].i] == 1.0f;
    return h;
}

int grank_check(const char *who, const float *scores, const float *labels, size_t n, size_t topn)
{
    GROWTH_CHECK_NULL(who, scores);
    GROWTH_CHECK_NULL(who, labels);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: no users (n = 0)", who);
    if (topn == 0) return gerr(GROWTH_EINVAL, "%s: N is 0", who);
    for (size_t i = 0; i < n; i++) {
        if (!gfinite(scores[i]))
            return gerr(GROWTH_EINVAL, "%s: scores[%zu] is %g (scores must be finite)", who, i,
                        (double)scores[i]);
        if (labels[i] != 0.0f && labels[i] != 1.0f)
            return gerr(GROWTH_EINVAL, "%s: labels[%zu] is %g (labels must be 0 or 1)", who, i,
                        (double)labels[i]);
    }
    return GROWTH_OK;
}
