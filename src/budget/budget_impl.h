/* Private helpers of the budget module: a tiny parallel-for over user shards. */
#ifndef GROWTH_BUDGET_IMPL_H
#define GROWTH_BUDGET_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "growth/budget.h"
/* this module also implements the unstable interfaces of growth/sys/budget.h */
#ifndef GROWTH_SYS_UNSTABLE
#define GROWTH_SYS_UNSTABLE
#endif
#include "growth/sys/budget.h"

/* Runs fn(task_t) for t = 0 .. n-1, tasks laid out every `stride` bytes from `tasks`; task 0
 * runs on the calling thread. Returns GROWTH_ENOMEM if a thread cannot be started (the work
 * is then done on the calling thread, so the result is still complete). */
int gpar_run(int n, void (*fn)(void *), void *tasks, size_t stride);

/* First user of shard t of n over CSR offsets, balancing options (+ one per user). */
size_t gpar_split(const uint64_t *indptr, size_t n_users, int t, int n);

/* Neumaier compensated sum. */
typedef struct { double s, c; } gksum;
static inline void gk_add(gksum *k, double x)
{
    double t = k->s + x;
    if ((k->s >= 0 ? k->s : -k->s) >= (x >= 0 ? x : -x)) k->c += (k->s - t) + x;
    else k->c += (x - t) + k->s;
    k->s = t;
}
static inline double gk_val(const gksum *k) { return k->s + k->c; }

/* Dense tableau simplex (simplex.c): max c.x s.t. A x <= b (A row-major m x n), x >= 0, b >= 0.
 * Writes the primal x (n), the row duals y (m) and the objective; returns a GSIMPLEX_ status. */
enum { GSIMPLEX_OK = 0, GSIMPLEX_LIMIT = 1, GSIMPLEX_UNBOUNDED = 2, GSIMPLEX_NOMEM = -1 };
int gsimplex_solve(size_t m, size_t n, const double *A, const double *b, const double *c,
                   size_t max_pivots, double *x, double *y, double *obj);

#endif
