/* Concurrency of a forest: it is immutable after training or loading, so any number of threads
 * may predict (single rows, dense and CSR batches, sparse rows),
 * explain (contributions through xgboost), read importances and serialise at once. Every
 * result must equal the one computed before the threads started, bit for bit. Runs under
 * ThreadSanitizer in CI. */
#include <math.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum { NR = 300, NF = 8, NT = 3, ROUNDS = 2 };

static growth_forest *g_f;
static float g_X[NR * NF], g_single[NR], g_dense[NR], g_csr[NR], g_contrib[16 * (NF + 1)];
static float g_gain[NF];
static uint64_t g_ip[NR + 1];
static uint32_t g_idx[NR * NF];
static float g_val[NR * NF];
static uint8_t *g_bytes;
static size_t g_len;
static atomic_int g_bad;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    float *out = malloc(NR * sizeof *out), c[16 * (NF + 1)], gain[NF];
    for (int round = 0; round < ROUNDS && out; round++) {
        for (size_t i = (size_t)id; i < NR; i += 3) { /* single and sparse rows */
            float p, q;
            if (growth_forest_predict(g_f, g_X + i * NF, NF, 0, &p, 1) || p != g_single[i]) g_bad++;
            size_t o = g_ip[i], n = g_ip[i + 1] - o;
            if (growth_forest_predict_sparse(g_f, g_idx + o, g_val + o, n, 0, &q, 1) || q != g_single[i])
                g_bad++;
        }
        if (growth_forest_predict_dense(g_f, g_X, NR, NF, 0, out, NR) ||
            memcmp(out, g_dense, NR * sizeof *out))
            g_bad++;
        if (growth_forest_predict_csr(g_f, g_ip, g_idx, g_val, NR, 0, out, NR) ||
            memcmp(out, g_csr, NR * sizeof *out))
            g_bad++;
        if (growth_forest_contributions(g_f, g_X, 16, NF, c, sizeof c / sizeof *c) ||
            memcmp(c, g_contrib, sizeof c))
            g_bad++;
        if (growth_forest_importance(g_f, "type=gain", gain, NF) || memcmp(gain, g_gain, sizeof gain))
            g_bad++;
        uint8_t *buf = NULL;
        size_t len = 0;
        if (growth_forest_serialize(g_f, &buf, &len) || len != g_len || memcmp(buf, g_bytes, len)) g_bad++;
        growth_buffer_free(buf);
    }
    free(out);
    return NULL;
}

TEST(test_forest_shared_by_threads)
{
    grng r;
    grng_seed(&r, 3);
    float y[NR];
    size_t nnz = 0;
    for (size_t i = 0; i < NR; i++) {
        g_ip[i] = nnz;
        double z = 0;
        for (size_t j = 0; j < NF; j++) {
            float v = (float)grng_normal(&r);
            if (grng_uniform(&r) < 0.15) v = NAN; /* missing: absent from the CSR rows */
            g_X[i * NF + j] = v;
            if (!isnan(v)) {
                g_idx[nnz] = (uint32_t)j;
                g_val[nnz++] = v;
                z += (j + 1) * 0.3 * v;
            }
        }
        y[i] = grng_uniform(&r) < 1 / (1 + exp(-z)) ? 1.0f : 0.0f;
    }
    g_ip[NR] = nnz;
    growth_forest_data d = {sizeof d, 0, NR, NF, g_X, NULL, NULL, NULL, y, NULL};
    /* one thread: xgboost's OpenMP workers (training, contributions) are invisible to
     * ThreadSanitizer and would show as false races; the threads here are the callers' */
    CHECK_OK(growth_forest_train(&g_f, "num_rounds=30 threads=1",
                                 "objective=binary:logistic max_depth=5 eta=0.3", &d, NULL, NULL, NULL));
    if (!g_f) return;
    for (size_t i = 0; i < NR; i++)
        CHECK_OK(growth_forest_predict(g_f, g_X + i * NF, NF, 0, &g_single[i], 1));
    CHECK_OK(growth_forest_predict_dense(g_f, g_X, NR, NF, 0, g_dense, NR));
    CHECK_OK(growth_forest_predict_csr(g_f, g_ip, g_idx, g_val, NR, 0, g_csr, NR));
    for (size_t i = 0; i < NR; i++) CHECK(g_dense[i] == g_single[i] && g_csr[i] == g_single[i]);
    CHECK_OK(growth_forest_contributions(g_f, g_X, 16, NF, g_contrib, sizeof g_contrib / sizeof *g_contrib));
    CHECK_OK(growth_forest_importance(g_f, "type=gain", g_gain, NF));
    CHECK_OK(growth_forest_serialize(g_f, &g_bytes, &g_len));
    pthread_t th[NT];
    for (int t = 0; t < NT; t++) pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < NT; t++) pthread_join(th[t], NULL);
    CHECK(atomic_load(&g_bad) == 0);
    growth_buffer_free(g_bytes);
    growth_forest_free(g_f);
}

int main(int argc, char **argv)
{
    /* as in test_soak_threads.c: xgboost's OpenMP threads are invisible to ThreadSanitizer,
     * so the test runs itself again with one OpenMP thread */
    (void)argc;
    if (!getenv("OMP_NUM_THREADS")) {
        setenv("OMP_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
    /* serialised bytes are compared across threads: the creation time must not tick between them
     * (a slow ThreadSanitizer run crossed a second boundary) */
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    RUN(test_forest_shared_by_threads);
    return GT_SUMMARY();
}
