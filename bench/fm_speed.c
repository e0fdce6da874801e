/* Micro-benchmark of FM/FFM training and prediction speed (one thread).
 *
 * Synthetic click log: 12 categorical fields, field f has a vocabulary of 10^(1 + f % 5) values
 * drawn with a skew (value = floor(vocab * u^3), as real logs have a few very frequent values),
 * hashed into 2^20 slots; labels from a logistic model with pairwise effects. For each kernel
 * path (avx2, sse, scalar: those this CPU has) and model (ffm, fm; k=4, bits=20): the median of
 * 3 runs of one training epoch over the rows (growth_fm_update_csr, a fresh model each run: every
 * slot's first touch included), of a second epoch (slots touched) and of 3 prediction passes (growth_fm_predict_csr), as rates of the thread's CPU time and of the wall
 * clock. Usage: fm_speed [rows] [kernel...]; FM_BITS=n changes bits (cache-resident tables);
 * FM_MODEL=ffm|fm runs one model only; FM_EXTRA="key=value ..." adds configuration keys (e.g.
 * "unseen=zero"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fm/fm_internal.h"
#include "growth/growth.h"

enum { FIELDS = 12 };

static double clock_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
/* Thread CPU time: on a shared machine the wall clock also counts the time other processes
 * held the core; both are printed. */
static double now(void) { return clock_of(CLOCK_THREAD_CPUTIME_ID); }
static double wall(void) { return clock_of(CLOCK_MONOTONIC); }

static double median3(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b > c) b = c;
    return a > b ? a : b;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 1000000;
    const char *kernels[3] = {"avx2", "sse", "scalar"};
    int nk = 3;
    if (argc > 2) {
        nk = argc - 2 > 3 ? 3 : argc - 2;
        for (int i = 0; i < nk; i++) kernels[i] = argv[2 + i];
    }
    const unsigned bits = getenv("FM_BITS") ? (unsigned)atoi(getenv("FM_BITS")) : 20;
    uint64_t *indptr = malloc((n + 1) * sizeof *indptr);
    uint32_t *idx = malloc(n * FIELDS * sizeof *idx);
    uint8_t *fld = malloc(n * FIELDS);
    float *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    if (!indptr || !idx || !fld || !y || !p) return 1;
    grng r;
    grng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) {
        indptr[i] = (uint64_t)i * FIELDS;
        double margin = -1.0;
        uint64_t vals[FIELDS];
        for (int f = 0; f < FIELDS; f++) {
            double vocab = pow(10.0, 1 + f % 5), u = grng_uniform(&r);
            uint64_t v = (uint64_t)(vocab * u * u * u);
            vals[f] = v;
            idx[i * FIELDS + (size_t)f] = (uint32_t)(gmix64(((uint64_t)f << 40) ^ v) & ((1u << bits) - 1));
            fld[i * FIELDS + (size_t)f] = (uint8_t)f;
        }
        for (int f = 0; f + 1 < FIELDS; f += 2)
            margin += (double)((int64_t)(gmix64(vals[f] * 131 + vals[f + 1] + (uint64_t)f) % 201) - 100) / 100.0;
        y[i] = grng_uniform(&r) < 1.0 / (1.0 + exp(-margin)) ? 1.0f : 0.0f;
    }
    indptr[n] = (uint64_t)n * FIELDS;
    printf("fm_speed: %zu rows, %d fields, k=4, bits=%u, 1 thread (median of 3)\n", n, FIELDS, bits);
    char models[2][256];
    const char *extra = getenv("FM_EXTRA"); /* more config keys, e.g. "unseen=zero" */
    snprintf(models[0], sizeof models[0], "model=ffm k=4 fields=12 bits=%u %s", bits, extra ? extra : "");
    snprintf(models[1], sizeof models[1], "model=fm k=4 fields=12 bits=%u %s", bits, extra ? extra : "");
    const char *only = getenv("FM_MODEL"); /* "ffm" or "fm": only that model */
    for (int mi = 0; mi < 2; mi++)
        for (int ki = 0; ki < nk; ki++) {
            if (only && strcmp(only, mi ? "fm" : "ffm") != 0) continue;
            double tt[3], tp[3], wt[3], wp[3], t2[3];
            int ok = 1;
            for (int run = 0; run < 3 && ok; run++) {
                growth_fm *m = NULL;
                if (growth_fm_create(&m, models[mi]) != GROWTH_OK || fm_force_kernels(m, kernels[ki]) != 0) {
                    growth_fm_free(m);
                    ok = 0;
                    break;
                }
                double w0 = wall(), t0 = now();
                if (growth_fm_update_csr(m, indptr, idx, fld, NULL, n, y, NULL, NULL, 0) != GROWTH_OK) ok = 0;
                double w1 = wall(), t1 = now();
                if (growth_fm_predict_csr(m, indptr, idx, fld, NULL, n, 0, p, n) != GROWTH_OK) ok = 0;
                double w2 = wall(), t2_ = now();
                /* a second epoch: the slots are touched (seeded factors, pages mapped) */
                if (growth_fm_update_csr(m, indptr, idx, fld, NULL, n, y, NULL, NULL, 0) != GROWTH_OK) ok = 0;
                t2[run] = now() - t2_;
                tt[run] = t1 - t0;
                tp[run] = t2_ - t1;
                wt[run] = w1 - w0;
                wp[run] = w2 - w1;
                growth_fm_free(m);
            }
            if (!ok) {
                printf("  %-4s %-7s not available\n", mi ? "fm" : "ffm", kernels[ki]);
                continue;
            }
            double a = median3(tt[0], tt[1], tt[2]), b = median3(tp[0], tp[1], tp[2]);
            double a2 = median3(t2[0], t2[1], t2[2]);
            double c = median3(wt[0], wt[1], wt[2]), e = median3(wp[0], wp[1], wp[2]);
            printf("  %-4s %-7s train %6.3f M examples/s (epoch 2: %6.3f)   predict %6.3f M rows/s   (wall clock: "
                   "%6.3f / %6.3f)\n",
                   mi ? "fm" : "ffm", kernels[ki], (double)n / a / 1e6, (double)n / a2 / 1e6, (double)n / b / 1e6,
                   (double)n / c / 1e6, (double)n / e / 1e6);
            fflush(stdout);
        }
    free(indptr);
    free(idx);
    free(fld);
    free(y);
    free(p);
    return 0;
}
