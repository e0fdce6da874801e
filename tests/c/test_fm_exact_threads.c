/* Concurrency of FM/FFM table=exact: readers predict (keys and uint32 rows), read weights,
 * factors and stats while one thread trains on a stream that keeps growing the shards (fresh
 * keys), expires them (expire=) and shrinks them, and evicts under max_memory or 2^bits (freed
 * slots are cleared and reused after a grace period); another thread saves. Run under
 * ThreadSanitizer in CI (suite 'concurrency'). Readers must always see valid probabilities, and
 * the final model must equal a model trained without readers (the readers change nothing). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum { ROWS = 10000, NNZ = 10, READERS = 2 };

static uint64_t g_keys[ROWS * NNZ];
static uint8_t g_fld[NNZ] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
static float g_y[ROWS];
static growth_fm *g_model;
static atomic_int g_done, g_field; /* a field the model has */
static atomic_long g_bad, g_reads;

static void *reader(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    grng r;
    grng_seed(&r, seed);
    float p, w, f[8];
    uint32_t idx[NNZ];
    while (!atomic_load(&g_done)) {
        size_t row = (size_t)grng_below(&r, ROWS);
        if (growth_fm_predict_keys(g_model, g_keys + row * NNZ, g_fld, NULL, NNZ, 0, &p, 1) != GROWTH_OK ||
            !(p >= 0.0f && p <= 1.0f))
            atomic_fetch_add(&g_bad, 1);
        for (int k = 0; k < NNZ; k++) idx[k] = (uint32_t)g_keys[row * NNZ + k];
        if (growth_fm_predict(g_model, idx, g_fld, NULL, NNZ, 0, &p, 1) != GROWTH_OK ||
            !(p >= 0.0f && p <= 1.0f))
            atomic_fetch_add(&g_bad, 1);
        if (growth_fm_weight_key(g_model, 0, g_keys[row * NNZ], &w) != GROWTH_OK || w != w)
            atomic_fetch_add(&g_bad, 1);
        if (growth_fm_factors_key(g_model, g_keys[row * NNZ + 1], (size_t)atomic_load(&g_field), f, 8,
                                  NULL) != GROWTH_OK ||
            f[0] != f[0])
            atomic_fetch_add(&g_bad, 1);
        growth_fm_stats st = GROWTH_FM_STATS_INIT;
        if (growth_fm_stats_get(g_model, &st) != GROWTH_OK || st.heads != 1) atomic_fetch_add(&g_bad, 1);
        atomic_fetch_add(&g_reads, 1);
        usleep(20); /* two cores: leave the writer room */
    }
    return NULL;
}

static void *saver(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_done)) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (growth_fm_serialize(g_model, &buf, &len) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        growth_buffer_free(buf);
        usleep(5000);
    }
    return NULL;
}

TEST(test_readers_race_growing_expiring_writer)
{
    grng r;
    grng_seed(&r, 7);
    for (size_t i = 0; i < ROWS; i++) {
        for (int k = 0; k < NNZ; k++)
            g_keys[i * NNZ + k] = k < 3    ? gmix64(grng_below(&r, 200))              /* recurring */
                                  : k == 3 ? gmix64(5000000 + i / 20)                 /* 20 rows, then gone */
                                           : gmix64(i * NNZ + (uint64_t)k + 1000000); /* one-off */
        g_y[i] = (g_keys[i * NNZ] & 1) ? 1.0f : 0.0f;
    }
    const char *cfgs[3] = {
        "model=ffm fields=10 k=4 bits=16 table=exact expire=1500 admit=2 admit_sketch=65536",
        "model=ffm fields=10 k=4 bits=20 table=exact max_memory=4000000",
        "model=fm k=8 bits=14 table=exact precision=compact expire=2000 seed=3"};
    for (int c = 0; c < 3; c++) {
        growth_fm *ref = NULL;
        CHECK_OK(growth_fm_create(&g_model, cfgs[c]));
        CHECK_OK(growth_fm_create(&ref, cfgs[c]));
        atomic_store(&g_done, 0);
        atomic_store(&g_field, c == 2 ? 0 : 2);
        pthread_t th[READERS + 1];
        for (int t = 0; t < READERS; t++) pthread_create(&th[t], NULL, reader, (void *)(uintptr_t)(t + 1));
        pthread_create(&th[READERS], NULL, saver, NULL);
        for (size_t i = 0; i < ROWS; i++) {
            CHECK_OK(
                growth_fm_update_keys(g_model, g_keys + i * NNZ, g_fld, NULL, NNZ, &g_y[i], 1.0f, NULL, 0));
            if (i % 4096 == 0) usleep(1000); /* let the readers in */
        }
        atomic_store(&g_done, 1);
        for (int t = 0; t <= READERS; t++) pthread_join(th[t], NULL);
        for (size_t i = 0; i < ROWS; i++)
            CHECK_OK(growth_fm_update_keys(ref, g_keys + i * NNZ, g_fld, NULL, NNZ, &g_y[i], 1.0f, NULL, 0));
        CHECK(atomic_load(&g_bad) == 0);
        CHECK(atomic_load(&g_reads) > 0);
        growth_fm_stats a = GROWTH_FM_STATS_INIT, b = GROWTH_FM_STATS_INIT;
        growth_fm_stats_get(g_model, &a);
        growth_fm_stats_get(ref, &b);
        CHECK(a.live == b.live && a.admitted == b.admitted && a.evicted == b.evicted &&
              a.expired == b.expired);
        CHECK(c != 1 || a.evicted > 0);
        CHECK(c == 1 || a.expired > 0);
        /* The same model: equal predictions on every row. */
        size_t diff = 0;
        for (size_t i = 0; i < ROWS; i += 7) {
            float pa, pb;
            growth_fm_predict_keys(g_model, g_keys + i * NNZ, g_fld, NULL, NNZ, 0, &pa, 1);
            growth_fm_predict_keys(ref, g_keys + i * NNZ, g_fld, NULL, NNZ, 0, &pb, 1);
            diff += pa != pb;
        }
        CHECK(diff == 0);
        growth_fm_free(ref);
        growth_fm_free(g_model);
    }
    printf("  %ld reads\n", (long)atomic_load(&g_reads));
}

int main(void)
{
    RUN(test_readers_race_growing_expiring_writer);
    return GT_SUMMARY();
}
