/* threads=N (Hogwild) training of FTRL: a batch call trains its rows on N threads without a lock
 * between them. Checks, against the same stream trained on one thread: the progressive logloss
 * within 0.5%, the example counter exact, the non-zero-slot counter equal to a brute-force count
 * of the weights (heads=1, float), table=exact unchanged by threads (it trains on one thread),
 * readers predicting while the threads train, and the configuration key's range. Run under
 * ThreadSanitizer in CI (suite 'concurrency'). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"
#include "ctr/ftrl_impl.h"
#include "growth/growth.h"
#include "gtest.h"

enum { ROWS = 60000, NNZ = 12, BITS = 16, BATCH = 2048 };

static uint32_t g_idx[ROWS * NNZ];
static uint64_t g_indptr[ROWS + 1];
static float g_y[ROWS * 2];
static float g_pred[ROWS * 2];
static growth_ftrl *g_model;
static atomic_int g_done;
static atomic_long g_bad;

static void make_data(void)
{
    grng r;
    grng_seed(&r, 7);
    double w[64];
    for (int k = 0; k < 64; k++) w[k] = grng_uniform(&r) * 2 - 1;
    for (size_t i = 0; i < ROWS; i++) {
        g_indptr[i] = i * NNZ;
        double z = 0;
        for (int k = 0; k < NNZ; k++) {
            /* Skewed ids: a few hot slots every thread updates, a long tail of rare ones. */
            double u = grng_uniform(&r);
            uint32_t id = (uint32_t)(pow(u, 3) * (1u << BITS));
            g_idx[i * NNZ + k] = id;
            z += w[id & 63];
        }
        g_y[2 * i] = grng_uniform(&r) < 1 / (1 + exp(-z / 3)) ? 1.0f : 0.0f;
        g_y[2 * i + 1] =
            grng_uniform(&r) < 0.2 ? GROWTH_LABEL_MISSING : (grng_uniform(&r) < 0.3 ? 1.0f : 0.0f);
    }
    g_indptr[ROWS] = (uint64_t)ROWS * NNZ;
}

/* Trains the stream in batches, returns the progressive logloss of head 0. */
static double train(growth_ftrl *m, int heads)
{
    static float y1[ROWS];
    const float *y = g_y;
    if (heads == 1) {
        for (size_t i = 0; i < ROWS; i++) y1[i] = g_y[2 * i];
        y = y1;
    }
    for (size_t i = 0; i < ROWS; i += BATCH) {
        size_t n = ROWS - i < BATCH ? ROWS - i : BATCH;
        CHECK_OK(growth_ftrl_update_csr(m, g_indptr + i, g_idx, NULL, n, y + (size_t)heads * i, NULL,
                                        g_pred + (size_t)heads * i, n * (size_t)heads));
    }
    double ll = 0;
    for (size_t i = 0; i < ROWS; i++) {
        double p = g_pred[(size_t)heads * i], t = g_y[2 * i];
        p = p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p;
        ll -= t > 0.5 ? log(p) : log(1 - p);
    }
    return ll / ROWS;
}

static uint64_t brute_nonzero(const growth_ftrl *m, int heads)
{
    uint64_t nz = 0;
    for (uint32_t s = 0; s < (1u << BITS); s++) {
        int any = 0;
        for (int h = 0; h < heads; h++) {
            float w;
            CHECK_OK(growth_ftrl_weight(m, (size_t)h, s, &w));
            any |= w != 0.0f;
        }
        nz += (uint64_t)any;
    }
    return nz;
}

TEST(test_two_threads_match_one)
{
    const char *base[3] = {"bits=16 alpha=0.1", "bits=16 alpha=0.1 heads=2",
                           "bits=16 alpha=0.1 precision=compact"};
    int heads[3] = {1, 2, 1};
    for (int c = 0; c < 3; c++) {
        char cfg[128];
        growth_ftrl *one = NULL, *two = NULL;
        CHECK_OK(growth_ftrl_create(&one, base[c]));
        snprintf(cfg, sizeof cfg, "%s threads=2", base[c]);
        CHECK_OK(growth_ftrl_create(&two, cfg));
        double l1 = train(one, heads[c]);
        double l2 = train(two, heads[c]);
        if (getenv("HW_VERBOSE"))
            printf("%s: logloss %.5f vs %.5f (%+.3f%%)\n", base[c], l1, l2, 100 * (l2 / l1 - 1));
        CHECK(fabs(l2 - l1) <= 0.005 * l1);
        growth_ftrl_stats s1 = GROWTH_FTRL_STATS_INIT, s2 = GROWTH_FTRL_STATS_INIT;
        CHECK_OK(growth_ftrl_stats_get(one, &s1));
        CHECK_OK(growth_ftrl_stats_get(two, &s2));
        CHECK(s1.examples == ROWS && s2.examples == ROWS);
        CHECK(s1.nonzero == brute_nonzero(one, heads[c]));
        /* Exact but for two threads flipping one slot's zero-ness within the same few
         * nanoseconds (off by one each time; never seen in bench/hogwild_bench.c's 1M rows). */
        uint64_t nz2 = brute_nonzero(two, heads[c]);
        CHECK(fabs((double)s2.nonzero - (double)nz2) <= 0.001 * (double)nz2 + 2);
        CHECK(fabs((double)s2.nonzero - (double)s1.nonzero) <= 0.05 * (double)s1.nonzero);
        /* The configuration says threads=2, and a saved model loads with it. */
        char buf[512];
        CHECK_OK(growth_ftrl_config(two, buf, sizeof buf, NULL));
        CHECK(strstr(buf, "threads=2") != NULL);
        uint8_t *ser = NULL;
        size_t len = 0;
        growth_ftrl *back = NULL;
        CHECK_OK(growth_ftrl_serialize(two, &ser, &len));
        /* A save re-derives every weight from its statistics (a weight two threads left beside
         * the other's statistics may change its zero-ness) and recounts: exact. */
        nz2 = brute_nonzero(two, heads[c]);
        CHECK_OK(growth_ftrl_stats_get(two, &s2));
        CHECK(s2.nonzero == nz2);
        CHECK_OK(growth_ftrl_deserialize(&back, ser, len));
        growth_ftrl_stats s3 = GROWTH_FTRL_STATS_INIT;
        CHECK_OK(growth_ftrl_stats_get(back, &s3));
        CHECK(s3.nonzero == nz2 && s3.examples == ROWS);
        CHECK_OK(growth_ftrl_config(back, buf, sizeof buf, NULL));
        CHECK(strstr(buf, "threads=2") != NULL);
        /* the model and its file predict alike (a save re-derives the weights) */
        static float pa[ROWS * 2], pb[ROWS * 2];
        CHECK_OK(growth_ftrl_predict_csr(two, g_indptr, g_idx, NULL, ROWS, 0, pa, ROWS * 2));
        CHECK_OK(growth_ftrl_predict_csr(back, g_indptr, g_idx, NULL, ROWS, 0, pb, ROWS * 2));
        CHECK(memcmp(pa, pb, (size_t)ROWS * (size_t)heads[c] * sizeof(float)) == 0);
        growth_buffer_free(ser);
        growth_ftrl_free(back);
        growth_ftrl_free(one);
        growth_ftrl_free(two);
    }
}

/* Without waiting for the race: a weight made stale by hand (as two threads' interleaved stores
 * can leave it) is re-derived from the statistics when a model that trained on several threads
 * is saved, so the model and its file predict alike; float and compact tables. */
TEST(test_save_rederives_weights)
{
    /* the Hogwild kinds: several heads, compact precision (one float head trains sharded) */
    const char *cfgs[2] = {"bits=16 threads=2 heads=2", "bits=16 threads=2 precision=compact"};
    for (int c = 0; c < 2; c++) {
        const size_t H = c == 0 ? 2 : 1;
        growth_ftrl *m = NULL;
        CHECK_OK(growth_ftrl_create(&m, cfgs[c]));
        CHECK_OK(growth_ftrl_update_csr(m, g_indptr, g_idx, NULL, BATCH, g_y, NULL, NULL, 0));
        uint32_t s = g_idx[0];
        if (m->tf)
            atomic_store_explicit(&m->tf[(size_t)s * H * 4 + 2], 50.0f, memory_order_relaxed);
        else
            atomic_store_explicit(&m->tc[(size_t)s * 3 + 2], gf_to_bf16_nearest(50.0f), memory_order_relaxed);
        float p[2] = {0, 0};
        CHECK_OK(growth_ftrl_predict_csr(m, g_indptr, g_idx, NULL, 1, 0, p, 2));
        CHECK(p[0] > 0.999f); /* the stale weight is what predictions use until the save */
        uint8_t *ser = NULL;
        size_t len = 0;
        growth_ftrl *back = NULL;
        CHECK_OK(growth_ftrl_serialize(m, &ser, &len));
        CHECK_OK(growth_ftrl_deserialize(&back, ser, len));
        float pa[128], pb[128];
        CHECK_OK(growth_ftrl_predict_csr(m, g_indptr, g_idx, NULL, 64, 0, pa, 128));
        CHECK_OK(growth_ftrl_predict_csr(back, g_indptr, g_idx, NULL, 64, 0, pb, 128));
        CHECK(memcmp(pa, pb, 64 * H * sizeof(float)) == 0);
        CHECK(pa[0] < 0.999f);
        growth_buffer_free(ser);
        growth_ftrl_free(back);
        growth_ftrl_free(m);
    }
}

/* Small calls (fewer than 2 x 256 rows) run on the calling thread: bit-identical to threads=1. */
TEST(test_small_batches_single_threaded)
{
    growth_ftrl *one = NULL, *two = NULL;
    CHECK_OK(growth_ftrl_create(&one, "bits=16"));
    CHECK_OK(growth_ftrl_create(&two, "bits=16 threads=4"));
    static float p1[ROWS], p2[ROWS], y[ROWS];
    for (size_t i = 0; i < ROWS; i++) y[i] = g_y[2 * i];
    for (size_t i = 0; i < 20000; i += 500) {
        CHECK_OK(growth_ftrl_update_csr(one, g_indptr + i, g_idx, NULL, 500, y + i, NULL, p1 + i, 500));
        CHECK_OK(growth_ftrl_update_csr(two, g_indptr + i, g_idx, NULL, 500, y + i, NULL, p2 + i, 500));
    }
    CHECK(memcmp(p1, p2, 20000 * sizeof(float)) == 0);
    growth_ftrl_free(one);
    growth_ftrl_free(two);
}

/* table=exact trains on one thread whatever `threads` says: the same model as threads=1. */
TEST(test_exact_table_ignores_threads)
{
    growth_ftrl *one = NULL, *two = NULL;
    CHECK_OK(growth_ftrl_create(&one, "table=exact"));
    CHECK_OK(growth_ftrl_create(&two, "table=exact threads=2"));
    double l1 = train(one, 1);
    static float p1[ROWS];
    memcpy(p1, g_pred, sizeof p1);
    double l2 = train(two, 1);
    CHECK(l1 == l2);
    CHECK(memcmp(p1, g_pred, sizeof p1) == 0);
    growth_ftrl_stats s1 = GROWTH_FTRL_STATS_INIT, s2 = GROWTH_FTRL_STATS_INIT;
    CHECK_OK(growth_ftrl_stats_get(one, &s1));
    CHECK_OK(growth_ftrl_stats_get(two, &s2));
    CHECK(s1.examples == s2.examples && s1.nonzero == s2.nonzero && s1.live == s2.live);
    growth_ftrl_free(one);
    growth_ftrl_free(two);
}

static void *reader(void *arg)
{
    (void)arg;
    grng r;
    grng_seed(&r, 3);
    while (!atomic_load(&g_done)) {
        size_t row = (size_t)grng_below(&r, ROWS);
        float p[2];
        if (growth_ftrl_predict(g_model, g_idx + row * NNZ, NULL, NNZ, 0, p, 2) != GROWTH_OK ||
            !(p[0] >= 0.0f && p[0] <= 1.0f) || !(p[1] >= 0.0f && p[1] <= 1.0f))
            atomic_fetch_add(&g_bad, 1);
    }
    return NULL;
}

/* Readers predict while two threads train (ThreadSanitizer: no data race). */
TEST(test_readers_during_hogwild)
{
    CHECK_OK(growth_ftrl_create(&g_model, "bits=16 heads=2 threads=2"));
    atomic_store(&g_done, 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader, NULL) == 0);
    train(g_model, 2);
    atomic_store(&g_done, 1);
    pthread_join(th, NULL);
    CHECK(atomic_load(&g_bad) == 0);
    growth_ftrl_free(g_model);
}

TEST(test_threads_key_range)
{
    const char *bad[] = {"threads=0",   "threads=65",  "threads=-1",
                         "threads=two", "threads=1.5", "threads=1 threads=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        growth_ftrl *m = NULL;
        CHECK_RC(growth_ftrl_create(&m, bad[i]), GROWTH_EINVAL);
        CHECK(m == NULL);
        CHECK(strstr(growth_last_error(), "threads") != NULL);
    }
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "threads=64 bits=10"));
    growth_ftrl_free(m);
}

/* With several threads, each checks the indices and values of its own rows before any trains:
 * a bad entry in any thread's rows (blocks of 64 rows alternate between the threads) fails the
 * whole batch with the entry named, and the model is left exactly as it was. */
TEST(test_bad_entry_in_any_thread_trains_nothing)
{
    static float before[ROWS], after[ROWS], val[BATCH * NNZ];
    static uint32_t idx[BATCH * NNZ];
    const char *cfgs[] = {"bits=16 threads=2", "bits=16 threads=4"};
    /* rows in thread 0's blocks (0-63, 128-191, ...) and in the others' */
    const size_t bad_rows[] = {10, 100, 1100, 1500, 2047};
    for (size_t c = 0; c < 2; c++)
        for (size_t b = 0; b < sizeof bad_rows / sizeof bad_rows[0]; b++)
            for (int kind = 0; kind < 2; kind++) {
                growth_ftrl *m = NULL;
                CHECK_OK(growth_ftrl_create(&m, cfgs[c]));
                CHECK_OK(growth_ftrl_update_csr(m, g_indptr, g_idx, NULL, BATCH, g_y, NULL, NULL, 0));
                CHECK_OK(growth_ftrl_predict_csr(m, g_indptr, g_idx, NULL, ROWS, 0, before, ROWS));
                growth_ftrl_stats s0 = GROWTH_FTRL_STATS_INIT, s1 = GROWTH_FTRL_STATS_INIT;
                CHECK_OK(growth_ftrl_stats_get(m, &s0));
                /* the next batch (rows BATCH .. 2 BATCH of the stream), one entry spoilt */
                memcpy(idx, g_idx + BATCH * NNZ, sizeof idx);
                for (size_t k = 0; k < BATCH * NNZ; k++) val[k] = 1.0f;
                size_t k = bad_rows[b] * NNZ + 5;
                if (kind == 0)
                    idx[k] = 1u << 16;
                else
                    val[k] = NAN;
                CHECK_RC(growth_ftrl_update_csr(m, g_indptr, idx, kind ? val : NULL, BATCH, g_y + BATCH, NULL,
                                                NULL, 0),
                         GROWTH_EINVAL);
                char want[64];
                snprintf(want, sizeof want, kind ? "val[%zu] is not finite" : "idx[%zu] = 65536", k);
                CHECK(strstr(growth_last_error(), want) != NULL);
                CHECK_OK(growth_ftrl_predict_csr(m, g_indptr, g_idx, NULL, ROWS, 0, after, ROWS));
                CHECK(memcmp(before, after, sizeof before) == 0);
                CHECK_OK(growth_ftrl_stats_get(m, &s1));
                CHECK(s1.examples == s0.examples && s1.nonzero == s0.nonzero);
                /* the same batch unspoilt trains */
                memcpy(idx, g_idx + BATCH * NNZ, sizeof idx);
                val[k] = 1.0f;
                CHECK_OK(growth_ftrl_update_csr(m, g_indptr, idx, kind ? val : NULL, BATCH, g_y + BATCH, NULL,
                                                NULL, 0));
                CHECK_OK(growth_ftrl_stats_get(m, &s1));
                CHECK(s1.examples == s0.examples + BATCH);
                growth_ftrl_free(m);
            }
}

/* The workers a model keeps between batches: a change of `threads` between batches restarts
 * them with the new count (and back to one thread), and a child process after fork() -- which
 * has none of its parent's threads -- trains on workers of its own. */
TEST(test_workers_follow_threads_and_fork)
{
    const size_t per[] = {2, 4, 1, 3};
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=16 threads=2"));
    uint64_t want = 0;
    for (size_t i = 0; i < 4; i++) {
        char cfg[32];
        snprintf(cfg, sizeof cfg, "threads=%zu", per[i]);
        CHECK_OK(growth_ftrl_set_config(m, cfg));
        for (size_t b = 0; b < 3; b++) {
            size_t r0 = (i * 3 + b) * BATCH;
            CHECK_OK(growth_ftrl_update_csr(m, g_indptr + r0, g_idx, NULL, BATCH, g_y + r0, NULL, NULL, 0));
            want += BATCH;
        }
        growth_ftrl_stats s = GROWTH_FTRL_STATS_INIT;
        CHECK_OK(growth_ftrl_stats_get(m, &s));
        CHECK(s.examples == want);
    }
#if !defined(__SANITIZE_THREAD__)
    CHECK_OK(growth_ftrl_set_config(m, "threads=2"));
    CHECK_OK(growth_ftrl_update_csr(m, g_indptr, g_idx, NULL, BATCH, g_y, NULL, NULL, 0));
    want += BATCH;
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* the child: train on threads again, then report through the exit status */
        int ok = growth_ftrl_update_csr(m, g_indptr + BATCH, g_idx, NULL, BATCH, g_y + BATCH, NULL, NULL,
                                        0) == GROWTH_OK;
        growth_ftrl_stats s = GROWTH_FTRL_STATS_INIT;
        ok = ok && growth_ftrl_stats_get(m, &s) == GROWTH_OK && s.examples == want + BATCH;
        growth_ftrl_free(m);
        _exit(ok ? 0 : 1);
    }
    /* a child waiting for workers it does not have would hang: give it 60 s */
    int status = 0;
    pid_t got = 0;
    for (int i = 0; i < 6000 && (got = waitpid(pid, &status, WNOHANG)) == 0; i++) usleep(10000);
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CHECK(got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the parent's workers still serve it */
    CHECK_OK(growth_ftrl_update_csr(m, g_indptr, g_idx, NULL, BATCH, g_y, NULL, NULL, 0));
    growth_ftrl_stats s = GROWTH_FTRL_STATS_INIT;
    CHECK_OK(growth_ftrl_stats_get(m, &s));
    CHECK(s.examples == want + BATCH);
#endif
    growth_ftrl_free(m);
}

int main(void)
{
    make_data();
    RUN(test_two_threads_match_one);
    RUN(test_save_rederives_weights);
    RUN(test_small_batches_single_threaded);
    RUN(test_exact_table_ignores_threads);
    RUN(test_readers_during_hogwild);
    RUN(test_threads_key_range);
    RUN(test_bad_entry_in_any_thread_trains_nothing);
    RUN(test_workers_follow_threads_and_fork);
    return GT_SUMMARY();
}
