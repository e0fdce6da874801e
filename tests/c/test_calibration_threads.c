/* Concurrency: many threads apply one fitted calibrator of every method at once (batch, f64
 * and single-score paths, field lookups) while another serialises it. Run under
 * ThreadSanitizer in CI (suite 'concurrency'). Every thread must reproduce the single-threaded
 * results exactly. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum { N = 20000, THREADS = 4, ROUNDS = 20 };

static float g_s[N], g_y[N], g_ref[N];
static double g_sd[N], g_refd[N];
static int64_t g_f[N];
static growth_calibrator *g_cal;
static atomic_long g_bad;

static void *worker(void *arg)
{
    (void)arg;
    float *out = malloc(N * sizeof *out);
    double *outd = malloc(N * sizeof *outd);
    for (int r = 0; r < ROUNDS; r++) {
        if (growth_calibrator_apply_batch(g_cal, g_s, g_f, N, out, N) != GROWTH_OK ||
            memcmp(out, g_ref, N * sizeof *out) != 0)
            atomic_fetch_add(&g_bad, 1);
        if (growth_calibrator_apply_batch_f64(g_cal, g_sd, g_f, N, outd, N) != GROWTH_OK ||
            memcmp(outd, g_refd, N * sizeof *outd) != 0)
            atomic_fetch_add(&g_bad, 1);
        for (int i = r; i < N; i += 97) {
            double p;
            if (growth_calibrator_apply(g_cal, g_sd[i], &g_f[i], &p) != GROWTH_OK || p != g_refd[i])
                atomic_fetch_add(&g_bad, 1);
        }
    }
    free(out);
    free(outd);
    return NULL;
}

static void *serializer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        char cfg[256];
        if (growth_calibrator_serialize(g_cal, &buf, &len) != GROWTH_OK ||
            growth_calibrator_config(g_cal, cfg, sizeof cfg, NULL) != GROWTH_OK)
            atomic_fetch_add(&g_bad, 1);
        growth_buffer_free(buf);
    }
    return NULL;
}

TEST(test_concurrent_apply)
{
    grng r;
    grng_seed(&r, 31);
    for (int i = 0; i < N; i++) {
        g_s[i] = (float)grng_uniform(&r);
        g_sd[i] = g_s[i];
        g_f[i] = (int64_t)grng_below(&r, 12);
        g_y[i] = grng_uniform(&r) < g_s[i] * (0.5 + 0.05 * (double)g_f[i]) ? 1.0f : 0.0f;
    }
    const char *cfgs[] = {"method=platt", "method=isotonic", "method=histogram bins=20",
                          "method=field min_bucket=100"};
    for (int c = 0; c < 4; c++) {
        CHECK_OK(growth_calibrator_create(&g_cal, cfgs[c]));
        CHECK_OK(growth_calibrator_fit(g_cal, g_s, g_y, NULL, g_f, N));
        CHECK_OK(growth_calibrator_apply_batch(g_cal, g_s, g_f, N, g_ref, N));
        CHECK_OK(growth_calibrator_apply_batch_f64(g_cal, g_sd, g_f, N, g_refd, N));
        pthread_t t[THREADS + 1];
        for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, NULL);
        pthread_create(&t[THREADS], NULL, serializer, NULL);
        for (int i = 0; i <= THREADS; i++) pthread_join(t[i], NULL);
        CHECK(atomic_load(&g_bad) == 0);
        growth_calibrator_free(g_cal);
    }
}

/* Fits of different handles in parallel give the same result as sequential fits. */
static void *fitter(void *arg)
{
    growth_calibrator *c = arg;
    if (growth_calibrator_fit(c, g_s, g_y, NULL, g_f, N) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
    return NULL;
}

TEST(test_parallel_fits_of_different_handles)
{
    growth_calibrator *c[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        CHECK_OK(growth_calibrator_create(&c[i], i % 2 ? "method=field min_bucket=50" : "method=isotonic"));
        pthread_create(&t[i], NULL, fitter, c[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK(atomic_load(&g_bad) == 0);
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    for (int i = 2; i < THREADS; i++) {
        CHECK_OK(growth_calibrator_apply_batch(c[i], g_s, g_f, N, a, N));
        CHECK_OK(growth_calibrator_apply_batch(c[i - 2], g_s, g_f, N, b, N));
        CHECK(memcmp(a, b, N * sizeof *a) == 0);
    }
    for (int i = 0; i < THREADS; i++) growth_calibrator_free(c[i]);
    free(a);
    free(b);
}

int main(void)
{
    RUN(test_concurrent_apply);
    RUN(test_parallel_fits_of_different_handles);
    return GT_SUMMARY();
}
