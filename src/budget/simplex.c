/* A small dense tableau simplex for  max c.x  s.t.  A x <= b, x >= 0  with b >= 0, so the slack
 * basis is feasible and no phase 1 is needed. It serves the restricted LPs of the multi-budget
 * knapsack polish (a few hundred rows at most), where a dense tableau is simpler and faster
 * than anything sparse. Entering column: most negative reduced cost (Dantzig), switching to
 * Bland's smallest-index rule after a run of degenerate pivots so it cannot cycle. Leaving
 * row: minimum ratio, near-ties broken by the larger pivot element for stability. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

int gsimplex_solve(size_t m, size_t n, const double *A, const double *b, const double *c, size_t max_pivots,
                   double *x, double *y, double *obj)
{
    size_t w = n + m + 1; /* columns: variables, slacks, right-hand side */
    if (m == 0 || n == 0) {
        if (x) memset(x, 0, n * sizeof *x);
        if (y) memset(y, 0, m * sizeof *y);
        *obj = 0;
        return GSIMPLEX_OK;
    }
    double *T = calloc((m + 1) * w, sizeof *T);
    size_t *basis = malloc(m * sizeof *basis);
    if (!T || !basis) {
        free(T);
        free(basis);
        return GSIMPLEX_NOMEM;
    }
    double cmax = 0, amax = 0;
    for (size_t i = 0; i < m; i++) {
        double *row = T + i * w;
        for (size_t j = 0; j < n; j++) {
            row[j] = A[i * n + j];
            amax = fmax(amax, fabs(row[j]));
        }
        row[n + i] = 1;
        row[w - 1] = b[i];
        basis[i] = n + i;
    }
    double *z = T + m * w; /* reduced costs z_j - c_j; z[w-1] = objective */
    for (size_t j = 0; j < n; j++) {
        z[j] = -c[j];
        cmax = fmax(cmax, fabs(c[j]));
    }
    double eps_rc = 1e-11 * fmax(cmax, 1), eps_piv = 1e-10 * fmax(amax, 1);
    int status = GSIMPLEX_LIMIT;
    size_t degenerate = 0;
    for (size_t it = 0; it < max_pivots; it++) {
        bool bland = degenerate > 50;
        size_t e = w;
        double best = -eps_rc;
        for (size_t j = 0; j + 1 < w; j++) {
            if (z[j] < best) {
                e = j;
                if (bland) break;
                best = z[j];
            }
        }
        if (e == w) {
            status = GSIMPLEX_OK;
            break;
        }
        size_t r = m;
        double rmin = INFINITY, rpiv = 0;
        for (size_t i = 0; i < m; i++) {
            double a = T[i * w + e];
            if (a <= eps_piv) continue;
            double q = T[i * w + w - 1] / a;
            double tol = 1e-12 * fmax(1, fabs(rmin));
            bool take =
                r == m || q < rmin - tol || (q <= rmin + tol && (bland ? basis[i] < basis[r] : a > rpiv));
            if (take) {
                if (q < rmin) rmin = q;
                r = i;
                rpiv = a;
            }
        }
        if (r == m) {
            status = GSIMPLEX_UNBOUNDED;
            break;
        }
        degenerate = T[r * w + w - 1] <= 1e-14 ? degenerate + 1 : 0;
        double *pr = T + r * w, inv = 1.0 / pr[e];
        for (size_t j = 0; j < w; j++) pr[j] *= inv;
        pr[e] = 1;
        for (size_t i = 0; i <= m; i++) {
            if (i == r) continue;
            double *ri = T + i * w, f = ri[e];
            if (f == 0) continue;
            for (size_t j = 0; j < w; j++) ri[j] -= f * pr[j];
            ri[e] = 0;
            if (i < m && ri[w - 1] < 0) ri[w - 1] = 0; /* rounding below a feasible 0 */
        }
        basis[r] = e;
    }
    if (x) {
        memset(x, 0, n * sizeof *x);
        for (size_t i = 0; i < m; i++)
            if (basis[i] < n) x[basis[i]] = T[i * w + w - 1];
    }
    if (y)
        for (size_t i = 0; i < m; i++) y[i] = z[n + i] > 0 ? z[n + i] : 0;
    *obj = z[w - 1];
    free(T);
    free(basis);
    return status;
}
