/* threads=N (Hogwild) training of FM/FFM: growth_fm_update_csr and growth_fm_fit train a batch's
 * rows on N threads without a lock between them. Checks, against the same stream on one thread:
 * the progressive logloss within 0.5%, the example and touched-slot counters exact (touched
 * against a brute-force count of the distinct slots trained), compact precision unchanged by
 * threads (it trains on one thread), a fit's training logloss within 0.5%, readers predicting
 * while the threads train, and the configuration key's range. Run under ThreadSanitizer in CI
 * (suite 'concurrency'). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fm/fm_internal.h"
#include "growth/growth.h"
#include "gtest.h"

enum { ROWS = 24000, NNZ = 8, BITS = 14, BATCH = 2048 };

static uint32_t g_idx[ROWS * NNZ];
static uint8_t g_fld[ROWS * NNZ];
static uint64_t g_indptr[ROWS + 1];
static float g_y[ROWS];
static float g_pred[ROWS];
static growth_fm *g_model;
static atomic_int g_done;
static atomic_long g_bad;

static void make_data(void)
{
    grng r;
    grng_seed(&r, 11);
    for (size_t i = 0; i < ROWS; i++) {
        g_indptr[i] = i * NNZ;
        double z = 0;
        for (int k = 0; k < NNZ; k++) {
            uint32_t id = (uint32_t)(pow(grng_uniform(&r), 3) * (1u << BITS));
            g_idx[i * NNZ + k] = id;
            g_fld[i * NNZ + k] = (uint8_t)k;
            z += ((int)(id % 7) - 3) * 0.2 + ((id ^ g_idx[i * NNZ]) % 3 == 0 ? 0.3 : -0.1);
        }
        g_y[i] = grng_uniform(&r) < 1 / (1 + exp(-z)) ? 1.0f : 0.0f;
    }
    g_indptr[ROWS] = (uint64_t)ROWS * NNZ;
}

static double train(growth_fm *m, int ffm)
{
    for (size_t i = 0; i < ROWS; i += BATCH) {
        size_t n = ROWS - i < BATCH ? ROWS - i : BATCH;
        CHECK_OK(growth_fm_update_csr(m, g_indptr + i, g_idx, ffm ? g_fld : NULL, NULL, n, g_y + i, NULL,
                                      g_pred + i, n));
    }
    double ll = 0;
    for (size_t i = 0; i < ROWS; i++) {
        double p = g_pred[i];
        p = p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p;
        ll -= g_y[i] > 0.5f ? log(p) : log(1 - p);
    }
    return ll / ROWS;
}

static uint64_t distinct_slots(void)
{
    static uint8_t seen[1u << BITS];
    memset(seen, 0, sizeof seen);
    uint64_t n = 0;
    for (size_t k = 0; k < (size_t)ROWS * NNZ; k++)
        if (!seen[g_idx[k]]) {
            seen[g_idx[k]] = 1;
            n++;
        }
    return n;
}

TEST(test_two_threads_match_one)
{
    const char *base[2] = {"model=ffm fields=8 k=4 bits=14", "model=fm k=8 bits=14"};
    for (int c = 0; c < 2; c++) {
        char cfg[128];
        growth_fm *one = NULL, *two = NULL;
        CHECK_OK(growth_fm_create(&one, base[c]));
        snprintf(cfg, sizeof cfg, "%s threads=2", base[c]);
        CHECK_OK(growth_fm_create(&two, cfg));
        double l1 = train(one, c == 0);
        double l2 = train(two, c == 0);
        if (getenv("HW_VERBOSE"))
            printf("%s: logloss %.5f vs %.5f (%+.3f%%)\n", base[c], l1, l2, 100 * (l2 / l1 - 1));
        CHECK(fabs(l2 - l1) <= 0.005 * l1);
        growth_fm_stats s1 = GROWTH_FM_STATS_INIT, s2 = GROWTH_FM_STATS_INIT;
        CHECK_OK(growth_fm_stats_get(one, &s1));
        CHECK_OK(growth_fm_stats_get(two, &s2));
        uint64_t d = distinct_slots();
        CHECK(s1.examples == ROWS && s2.examples == ROWS);
        CHECK(s1.touched == d && s2.touched == d);
        /* The touched slots are those saved: a round trip keeps the model's predictions. */
        uint8_t *buf = NULL;
        size_t len = 0;
        growth_fm *back = NULL;
        CHECK_OK(growth_fm_serialize(two, &buf, &len));
        CHECK_OK(growth_fm_deserialize(&back, buf, len));
        static float pa[ROWS], pb[ROWS];
        CHECK_OK(growth_fm_predict_csr(two, g_indptr, g_idx, c == 0 ? g_fld : NULL, NULL, ROWS, 0, pa, ROWS));
        CHECK_OK(
            growth_fm_predict_csr(back, g_indptr, g_idx, c == 0 ? g_fld : NULL, NULL, ROWS, 0, pb, ROWS));
        CHECK(memcmp(pa, pb, sizeof pa) == 0);
        growth_buffer_free(buf);
        growth_fm_free(back);
        growth_fm_free(one);
        growth_fm_free(two);
    }
}

/* Both threads update the same few slots on every row (16 slots, 2 heads): the weights a model
 * predicts with are those its state implies, so a file round trip keeps every prediction. (Threads
 * store a slot's state and its cached weight separately; the batch re-derives the cache at its end.) */
TEST(test_hot_slots_round_trip)
{
    static uint32_t hot[ROWS * NNZ];
    static float y2[ROWS * 2];
    for (size_t k = 0; k < (size_t)ROWS * NNZ; k++) hot[k] = g_idx[k] & 15u;
    for (size_t i = 0; i < ROWS; i++) {
        y2[2 * i] = g_y[i];
        y2[2 * i + 1] = (i % 3 == 0) ? g_y[i] : GROWTH_LABEL_MISSING;
    }
    const char *cfgs[2] = {"model=fm k=4 bits=14 threads=2", "model=fm k=4 bits=14 heads=2 threads=2"};
    enum { STEP = 256, CHECKED = 64 };
    long differ = 0;
    for (int c = 0; c < 2; c++) {
        growth_fm *m = NULL;
        CHECK_OK(growth_fm_create(&m, cfgs[c]));
        for (size_t i = 0; i + STEP <= ROWS; i += STEP) {
            CHECK_OK(growth_fm_update_csr(m, g_indptr + i, hot, NULL, NULL, STEP, c ? y2 + 2 * i : g_y + i,
                                          NULL, NULL, 0));
            /* after every batch: a round trip predicts what the model predicts */
            uint8_t *buf = NULL;
            size_t len = 0;
            growth_fm *back = NULL;
            CHECK_OK(growth_fm_serialize(m, &buf, &len));
            CHECK_OK(growth_fm_deserialize(&back, buf, len));
            float pa[CHECKED * 2], pb[CHECKED * 2];
            CHECK_OK(growth_fm_predict_csr(m, g_indptr, hot, NULL, NULL, CHECKED, 0, pa, CHECKED * 2));
            CHECK_OK(growth_fm_predict_csr(back, g_indptr, hot, NULL, NULL, CHECKED, 0, pb, CHECKED * 2));
            differ += memcmp(pa, pb, (size_t)CHECKED * (c ? 2 : 1) * sizeof(float)) != 0;
            growth_buffer_free(buf);
            growth_fm_free(back);
        }
        growth_fm_free(m);
    }
    if (getenv("HW_VERBOSE")) printf("round trips that changed predictions: %ld\n", differ);
    CHECK(differ == 0);
}

/* The same property without waiting for the race: a linear slot's cached weight made stale by hand
 * (as a torn pair of stores would leave it) is re-derived from its state by the next batch on two
 * threads that touches the slot. */
TEST(test_batch_rederives_cached_weights)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=fm k=4 bits=14 threads=2"));
    CHECK_OK(growth_fm_update_csr(m, g_indptr, g_idx, NULL, NULL, BATCH, g_y, NULL, NULL, 0));
    uint32_t s = g_idx[0];
    CHECK(m->lf != NULL);
    atomic_store_explicit(&m->lf[(size_t)s * 4 + 2], 123.0f, memory_order_relaxed);
    float p = 0;
    CHECK_OK(growth_fm_predict_csr(m, g_indptr, g_idx, NULL, NULL, 1, 0, &p, 1));
    CHECK(p > 0.999f); /* the stale weight is what predictions use */
    /* a batch with weight 0 everywhere trains nothing but still runs on two threads */
    static float zero[BATCH];
    CHECK_OK(growth_fm_update_csr(m, g_indptr, g_idx, NULL, NULL, BATCH, g_y, zero, NULL, 0));
    uint8_t *buf = NULL;
    size_t len = 0;
    growth_fm *back = NULL;
    CHECK_OK(growth_fm_serialize(m, &buf, &len));
    CHECK_OK(growth_fm_deserialize(&back, buf, len));
    float pa[64], pb[64];
    CHECK_OK(growth_fm_predict_csr(m, g_indptr, g_idx, NULL, NULL, 64, 0, pa, 64));
    CHECK_OK(growth_fm_predict_csr(back, g_indptr, g_idx, NULL, NULL, 64, 0, pb, 64));
    CHECK(memcmp(pa, pb, sizeof pa) == 0);
    CHECK(pa[0] < 0.999f);
    growth_buffer_free(buf);
    growth_fm_free(back);
    growth_fm_free(m);
}

/* precision=compact trains on one thread (the kernels share one rounding stream): bit-identical. */
TEST(test_compact_single_threaded)
{
    growth_fm *one = NULL, *two = NULL;
    CHECK_OK(growth_fm_create(&one, "model=ffm fields=8 bits=14 precision=compact"));
    CHECK_OK(growth_fm_create(&two, "model=ffm fields=8 bits=14 precision=compact threads=2"));
    train(one, 1);
    static float p1[ROWS];
    memcpy(p1, g_pred, sizeof p1);
    train(two, 1);
    CHECK(memcmp(p1, g_pred, sizeof p1) == 0);
    growth_fm_free(one);
    growth_fm_free(two);
}

TEST(test_fit_two_threads)
{
    growth_fm_data d = GROWTH_FM_DATA_INIT;
    d.nrows = ROWS;
    d.indptr = g_indptr;
    d.indices = g_idx;
    d.fields = g_fld;
    d.labels = g_y;
    growth_fm_fit_result r1 = GROWTH_FM_FIT_RESULT_INIT, r2 = GROWTH_FM_FIT_RESULT_INIT;
    growth_fm *one = NULL, *two = NULL;
    CHECK_OK(growth_fm_create(&one, "model=ffm fields=8 bits=14"));
    CHECK_OK(growth_fm_create(&two, "model=ffm fields=8 bits=14 threads=2"));
    CHECK_OK(growth_fm_fit(one, &d, NULL, "epochs=2 seed=3", &r1));
    CHECK_OK(growth_fm_fit(two, &d, NULL, "epochs=2 seed=3", &r2));
    CHECK(r1.epochs == 2 && r2.epochs == 2);
    CHECK(fabs(r2.train_logloss - r1.train_logloss) <= 0.005 * r1.train_logloss);
    growth_fm_stats s2 = GROWTH_FM_STATS_INIT;
    CHECK_OK(growth_fm_stats_get(two, &s2));
    CHECK(s2.examples == 2 * ROWS && s2.touched == distinct_slots());
    growth_fm_free(one);
    growth_fm_free(two);
}

static void *reader(void *arg)
{
    (void)arg;
    grng r;
    grng_seed(&r, 5);
    while (!atomic_load(&g_done)) {
        size_t row = (size_t)grng_below(&r, ROWS);
        float p;
        if (growth_fm_predict(g_model, g_idx + row * NNZ, g_fld + row * NNZ, NULL, NNZ, 0, &p, 1) !=
                GROWTH_OK ||
            !(p >= 0.0f && p <= 1.0f))
            atomic_fetch_add(&g_bad, 1);
    }
    return NULL;
}

TEST(test_readers_during_hogwild)
{
    CHECK_OK(growth_fm_create(&g_model, "model=ffm fields=8 bits=14 threads=2"));
    atomic_store(&g_done, 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader, NULL) == 0);
    train(g_model, 1);
    atomic_store(&g_done, 1);
    pthread_join(th, NULL);
    CHECK(atomic_load(&g_bad) == 0);
    growth_fm_free(g_model);
}

TEST(test_threads_key_range)
{
    const char *bad[] = {"model=fm threads=0", "model=fm threads=65", "model=fm threads=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        growth_fm *m = NULL;
        CHECK_RC(growth_fm_create(&m, bad[i]), GROWTH_EINVAL);
        CHECK(m == NULL);
        CHECK(strstr(growth_last_error(), "threads") != NULL);
    }
}

int main(void)
{
    make_data();
    RUN(test_two_threads_match_one);
    RUN(test_hot_slots_round_trip);
    RUN(test_batch_rederives_cached_weights);
    RUN(test_compact_single_threaded);
    RUN(test_fit_two_threads);
    RUN(test_readers_during_hogwild);
    RUN(test_threads_key_range);
    return GT_SUMMARY();
}
