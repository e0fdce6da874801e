/* Concurrency: many threads search (single, batched with threads=2, filtered, dedup) while one
 * thread adds and removes vectors and another saves. Run under ThreadSanitizer in CI.
 * Every search must succeed with well-formed results, and the final index must equal one
 * built by the same calls without readers. */
#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum { N = 4000, D = 16, K = 8, READERS = 3, BATCH = 100 };

static float g_x[N * D];
static int64_t g_ids[N];
static growth_index *g_ix;
static atomic_int g_done;
static atomic_long g_bad, g_reads;
static int g_metric_l2;

static int odd_only(int64_t id, void *user)
{
    (void)user;
    return id & 1;
}

static int well_formed(const int64_t *ids, const float *sc, size_t n, bool need_odd)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= 10 * N) return 0;
        if (need_odd && !(ids[i] & 1)) return 0;
        if (i && (g_metric_l2 ? sc[i] < sc[i - 1] : sc[i] > sc[i - 1])) return 0;
    }
    return 1;
}

static void *reader(void *arg)
{
    grng r;
    grng_seed(&r, (uint64_t)(uintptr_t)arg);
    int64_t ids[4 * K], kept[K];
    float sc[4 * K];
    growth_id_filter f = {sizeof f, 0, NULL, 0, NULL, 0, odd_only, NULL};
    while (!atomic_load(&g_done)) {
        const float *q = g_x + (size_t)grng_below(&r, N - 4) * D; /* room for a batch of 4 */
        size_t found = 0, nk = 0;
        int rc = growth_index_search(g_ix, q, K, NULL, ids, sc, K, &found);
        if (rc == GROWTH_ESTATE) continue; /* not filled yet */
        if (rc != GROWTH_OK || !well_formed(ids, sc, found, false)) atomic_fetch_add(&g_bad, 1);
        rc = growth_index_search(g_ix, q, K, &f, ids, sc, K, &found);
        if (rc != GROWTH_OK || !well_formed(ids, sc, found, true)) atomic_fetch_add(&g_bad, 1);
        rc = growth_index_search_batch(g_ix, q, 4, K, NULL, ids, sc, 4 * K);
        if (rc != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        /* dedup may race a removal of one of the ids: ENOTFOUND is then the right answer */
        rc = growth_index_dedup(g_ix, ids, sc, K, 0.9f, kept, NULL, K, &nk);
        if (rc != GROWTH_OK && rc != GROWTH_ENOTFOUND) atomic_fetch_add(&g_bad, 1);
        growth_index_stats st = GROWTH_INDEX_STATS_INIT;
        if (growth_index_stats_get(g_ix, &st) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        atomic_fetch_add(&g_reads, 1);
    }
    return NULL;
}

static void *saver(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_done)) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (growth_index_serialize(g_ix, &buf, &len) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        growth_index *copy = NULL;
        if (growth_index_deserialize(&copy, buf, len) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        growth_index_free(copy);
        growth_buffer_free(buf);
        usleep(5000);
    }
    return NULL;
}

/* The writer's calls, replayed identically on the reference. */
static void mutate(growth_index *ix)
{
    for (size_t b = 0; b < N; b += BATCH) {
        if (growth_index_add(ix, g_x + b * D, BATCH, g_ids + b) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        if (b % (4 * BATCH) == 0 && b > 0) {
            int64_t rm[5] = {g_ids[b - 1], g_ids[b - 2], g_ids[b - 5], g_ids[b - 7], g_ids[b - 8]};
            growth_index_remove(ix, rm, 5, NULL);
        }
        if (b == N / 2) growth_index_set_config(ix, "ef=48");
    }
}

TEST(test_search_while_adding)
{
    grng r;
    grng_seed(&r, 3);
    for (size_t i = 0; i < N * D; i++) g_x[i] = (float)grng_normal(&r);
    for (size_t i = 0; i < N; i++) g_ids[i] = (int64_t)(3 * i + 1);
    const char *cfgs[3] = {"dim=16 metric=cosine kind=flat threads=2",
                           "dim=16 metric=l2 kind=hnsw M=8 ef_construction=40 threads=2",
                           "dim=16 metric=ip kind=ivf nlist=16 nprobe=4 threads=2"};
    for (int c = 0; c < 3; c++) {
        g_metric_l2 = c == 1;
        growth_index *ref = NULL;
        CHECK_OK(growth_index_create(&g_ix, cfgs[c]));
        CHECK_OK(growth_index_create(&ref, cfgs[c]));
        if (c == 2) { /* train both on the same sample */
            CHECK_OK(growth_index_train(g_ix, g_x, 1000));
            CHECK_OK(growth_index_train(ref, g_x, 1000));
        }
        atomic_store(&g_done, 0);
        atomic_store(&g_reads, 0);
        pthread_t th[READERS + 1];
        for (int t = 0; t < READERS; t++) pthread_create(&th[t], NULL, reader, (void *)(uintptr_t)(t + 1));
        pthread_create(&th[READERS], NULL, saver, NULL);
        mutate(g_ix);
        CHECK_OK(growth_index_compact(g_ix));
        usleep(20000);
        atomic_store(&g_done, 1);
        for (int t = 0; t <= READERS; t++) pthread_join(th[t], NULL);
        mutate(ref);
        CHECK_OK(growth_index_compact(ref));
        CHECK(atomic_load(&g_bad) == 0);
        CHECK(atomic_load(&g_reads) > 0);
        /* same calls, same index */
        int diff = 0;
        for (size_t i = 0; i < 50; i++) {
            int64_t a[K], b[K];
            float sa[K], sb[K];
            size_t fa = 0, fb = 0;
            CHECK_OK(growth_index_search(g_ix, g_x + i * 37 * D, K, NULL, a, sa, K, &fa));
            CHECK_OK(growth_index_search(ref, g_x + i * 37 * D, K, NULL, b, sb, K, &fb));
            diff += fa != fb || memcmp(a, b, fa * sizeof *a) != 0 || memcmp(sa, sb, fa * sizeof *sa) != 0;
        }
        CHECK(diff == 0);
        growth_index_free(g_ix);
        growth_index_free(ref);
    }
}

int main(void)
{
    /* BLAS threading is the application's choice (recall.h); OpenBLAS's own worker threads
     * synchronise in ways ThreadSanitizer cannot see, so this test keeps BLAS in the caller. */
    openblas_set_num_threads(1);
    RUN(test_search_while_adding);
    return GT_SUMMARY();
}
