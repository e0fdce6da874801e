/* Parallel-for over user shards with plain pthreads (started only when threads > 1). */
#include <pthread.h>
#include <stdlib.h>

#include "budget_impl.h"

typedef struct {
    void (*fn)(void *);
    void *arg;
} gpar_job;

static void *gpar_tramp(void *p)
{
    gpar_job *j = p;
    j->fn(j->arg);
    return NULL;
}

int gpar_run(int n, void (*fn)(void *), void *tasks, size_t stride)
{
    if (n <= 1) {
        if (n == 1) fn(tasks);
        return GROWTH_OK;
    }
    pthread_t th[256];
    gpar_job jobs[256];
    int started[256] = {0};
    int rc = GROWTH_OK;
    for (int t = 1; t < n && t < 256; t++) {
        jobs[t].fn = fn;
        jobs[t].arg = (char *)tasks + (size_t)t * stride;
        if (pthread_create(&th[t], NULL, gpar_tramp, &jobs[t]) == 0) started[t] = 1;
    }
    fn(tasks);
    for (int t = 1; t < n && t < 256; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else {
            fn((char *)tasks + (size_t)t * stride);
            rc = GROWTH_ENOMEM;
        }
    }
    return rc == GROWTH_ENOMEM ? GROWTH_OK : rc; /* complete either way */
}

size_t gpar_split(const uint64_t *indptr, size_t n_users, int t, int n)
{
    if (t <= 0) return 0;
    if (t >= n) return n_users;
    uint64_t total = indptr[n_users] - indptr[0] + n_users;
    uint64_t want = (uint64_t)((double)total * t / n);
    size_t lo = 0, hi = n_users; /* first i with weight(i) >= want */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (indptr[mid] - indptr[0] + mid < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
