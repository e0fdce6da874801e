/* Concurrency: readers predict while one thread trains and another saves. Run under
 * ThreadSanitizer in CI (suite 'concurrency'). Readers must always see valid probabilities,
 * and the final model must equal a model trained without readers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum { ROWS = 20000, NNZ = 12, BITS = 14, READERS = 3 };

static uint32_t g_idx[ROWS * NNZ];
static uint64_t g_indptr[ROWS + 1];
static float g_y[ROWS * 2];
static growth_ftrl *g_model;
static atomic_int g_done;
static atomic_long g_bad, g_reads;

static void *reader(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    grng r;
    grng_seed(&r, seed);
    float p[2];
    while (!atomic_load(&g_done)) {
        size_t row = (size_t)grng_below(&r, ROWS);
        if (growth_ftrl_predict(g_model, g_idx + row * NNZ, NULL, NNZ, 0, p, 2) != GROWTH_OK ||
            !(p[0] >= 0.0f && p[0] <= 1.0f) || !(p[1] >= 0.0f && p[1] <= 1.0f))
            atomic_fetch_add(&g_bad, 1);
        float batch[8];
        if (growth_ftrl_predict_csr(g_model, g_indptr, g_idx, NULL, 4, 0, batch, 8) != GROWTH_OK)
            atomic_fetch_add(&g_bad, 1);
        growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
        if (growth_ftrl_stats_get(g_model, &st) != GROWTH_OK || st.heads != 2) atomic_fetch_add(&g_bad, 1);
        atomic_fetch_add(&g_reads, 1);
    }
    return NULL;
}

static void *saver(void *arg)
{
    (void)arg;
    char path[512];
    gt_path(path, sizeof path, "ftrl_threads.model");
    while (!atomic_load(&g_done)) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (growth_ftrl_serialize(g_model, &buf, &len) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        growth_buffer_free(buf);
        if (growth_ftrl_save(g_model, path) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        usleep(2000);
    }
    unlink(path);
    return NULL;
}

TEST(test_predict_while_training)
{
    grng r;
    grng_seed(&r, 99);
    for (size_t i = 0; i < ROWS; i++) {
        g_indptr[i] = i * NNZ;
        for (int k = 0; k < NNZ; k++) g_idx[i * NNZ + k] = (uint32_t)grng_below(&r, 1u << BITS);
        g_y[2 * i] = (g_idx[i * NNZ] & 1) ? 1.0f : 0.0f;
        g_y[2 * i + 1] = grng_uniform(&r) < 0.3 ? 1.0f : 0.0f;
    }
    g_indptr[ROWS] = (uint64_t)ROWS * NNZ;
    const char *cfgs[2] = {"bits=14 heads=2", "bits=14 heads=2 precision=compact seed=4"};
    for (int c = 0; c < 2; c++) {
        growth_ftrl *ref = NULL;
        CHECK_OK(growth_ftrl_create(&g_model, cfgs[c]));
        CHECK_OK(growth_ftrl_create(&ref, cfgs[c]));
        atomic_store(&g_done, 0);
        pthread_t th[READERS + 1];
        for (int t = 0; t < READERS; t++) pthread_create(&th[t], NULL, reader, (void *)(uintptr_t)(t + 1));
        pthread_create(&th[READERS], NULL, saver, NULL);
        for (size_t i = 0; i < ROWS; i += 100)
            CHECK_OK(
                growth_ftrl_update_csr(g_model, g_indptr + i, g_idx, NULL, 100, g_y + 2 * i, NULL, NULL, 0));
        atomic_store(&g_done, 1);
        for (int t = 0; t <= READERS; t++) pthread_join(th[t], NULL);
        CHECK(atomic_load(&g_bad) == 0);
        CHECK(atomic_load(&g_reads) > 0);
        /* Same training without readers gives the same model (readers change nothing). */
        for (size_t i = 0; i < ROWS; i += 100)
            CHECK_OK(growth_ftrl_update_csr(ref, g_indptr + i, g_idx, NULL, 100, g_y + 2 * i, NULL, NULL, 0));
        static float pa[ROWS * 2], pb[ROWS * 2];
        CHECK_OK(growth_ftrl_predict_csr(g_model, g_indptr, g_idx, NULL, ROWS, 0, pa, ROWS * 2));
        CHECK_OK(growth_ftrl_predict_csr(ref, g_indptr, g_idx, NULL, ROWS, 0, pb, ROWS * 2));
        CHECK(memcmp(pa, pb, sizeof pa) == 0);
        growth_ftrl_stats sa = GROWTH_FTRL_STATS_INIT, sb = GROWTH_FTRL_STATS_INIT;
        CHECK_OK(growth_ftrl_stats_get(g_model, &sa));
        CHECK_OK(growth_ftrl_stats_get(ref, &sb));
        CHECK(sa.examples == sb.examples && sa.nonzero == sb.nonzero);
        growth_ftrl_free(g_model);
        growth_ftrl_free(ref);
    }
}

int main(void)
{
    RUN(test_predict_while_training);
    return GT_SUMMARY();
}
