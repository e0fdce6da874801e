/* Concurrency of fm.h: readers predict (single rows, CSR batches, ESMM, weights, factors, stats)
 * while one thread trains (online updates, then a fit with auto-stop, which may restore a copy).
 * Run under ThreadSanitizer in CI (suite 'concurrency'): the TSan build uses the scalar kernels
 * with relaxed atomics (src/fm/fm_internal.h), so it must report nothing. Readers must always see
 * valid probabilities, and the final model must equal one trained without readers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum { ROWS = 6000, NNZ = 8, BITS = 10, READERS = 2 };

static uint32_t g_idx[ROWS * NNZ];
static uint8_t g_fld[ROWS * NNZ];
static uint64_t g_indptr[ROWS + 1];
static float g_y[ROWS * 2], g_flip[ROWS * 2];
static growth_fm *g_model;
static atomic_int g_done;
static atomic_long g_bad, g_reads;

static void *reader(void *arg)
{
    grng r;
    grng_seed(&r, (uint64_t)(uintptr_t)arg);
    float p[2], batch[8], e[3], v[8];
    while (!atomic_load(&g_done)) {
        size_t row = (size_t)grng_below(&r, ROWS);
        const uint32_t *idx = g_idx + row * NNZ;
        const uint8_t *fld = g_fld + row * NNZ;
        if (growth_fm_predict(g_model, idx, fld, NULL, NNZ, 0, p, 2) != GROWTH_OK ||
            !(p[0] >= 0.0f && p[0] <= 1.0f) || !(p[1] >= 0.0f && p[1] <= 1.0f))
            atomic_fetch_add(&g_bad, 1);
        if (growth_fm_predict_csr(g_model, g_indptr, g_idx, g_fld, NULL, 4, 0, batch, 8) != GROWTH_OK)
            atomic_fetch_add(&g_bad, 1);
        if (growth_fm_esmm_predict(g_model, 0, 1, idx, fld, NULL, NNZ, e, 3) != GROWTH_OK || !(e[2] <= e[0]))
            atomic_fetch_add(&g_bad, 1);
        float w;
        size_t n;
        if (growth_fm_weight(g_model, 1, idx[0], &w) != GROWTH_OK || !isfinite(w))
            atomic_fetch_add(&g_bad, 1);
        if (growth_fm_factors(g_model, idx[1], fld[0], v, 8, &n) != GROWTH_OK || (n != 4 && n != 6))
            atomic_fetch_add(&g_bad, 1);
        growth_fm_stats st = GROWTH_FM_STATS_INIT;
        if (growth_fm_stats_get(g_model, &st) != GROWTH_OK || st.heads != 2) atomic_fetch_add(&g_bad, 1);
        atomic_fetch_add(&g_reads, 1);
    }
    return NULL;
}

static void train(growth_fm *m)
{
    for (size_t i = 0; i < ROWS / 2; i += 100)
        CHECK_OK(growth_fm_update_csr(m, g_indptr + i, g_idx, g_fld, NULL, 100, g_y + 2 * i, NULL, NULL, 0));
    for (size_t i = 0; i < 200; i++) {
        size_t b = (size_t)g_indptr[i];
        float click = g_y[2 * i], conv = click * g_y[2 * i + 1];
        CHECK_OK(growth_fm_esmm_update(m, 0, 1, g_idx + b, g_fld + b, NULL, NNZ, click, conv, 1.0f));
    }
    growth_fm_data tr = GROWTH_FM_DATA_INIT, va = GROWTH_FM_DATA_INIT;
    tr.nrows = ROWS / 2;
    tr.indptr = g_indptr;
    tr.indices = g_idx;
    tr.fields = g_fld;
    tr.labels = g_y;
    /* validation: the training rows with flipped labels, so auto-stop restores the copy taken
     * before epoch 2 while the readers run */
    va = tr;
    va.labels = g_flip;
    growth_fm_fit_result res = GROWTH_FM_FIT_RESULT_INIT;
    CHECK_OK(growth_fm_fit(m, &tr, &va, "epochs=4 seed=3", &res));
    CHECK(res.epochs == res.best_epoch + 1);
}

TEST(test_predict_while_training)
{
    grng r;
    grng_seed(&r, 99);
    for (size_t i = 0; i < ROWS; i++) {
        g_indptr[i] = i * NNZ;
        for (int k = 0; k < NNZ; k++) {
            g_idx[i * NNZ + k] = (uint32_t)grng_below(&r, 1u << BITS);
            g_fld[i * NNZ + k] = (uint8_t)k;
        }
        g_y[2 * i] = (g_idx[i * NNZ] & 1) ? 1.0f : 0.0f;
        g_y[2 * i + 1] = grng_uniform(&r) < 0.3 ? 1.0f : 0.0f;
    }
    g_indptr[ROWS] = (uint64_t)ROWS * NNZ;
    for (size_t i = 0; i < ROWS * 2; i++) g_flip[i] = 1.0f - g_y[i];
    const char *cfgs[3] = {"model=ffm fields=8 bits=10 heads=2 eta=0.3",
                           "model=fm bits=10 heads=2 fields=8 precision=compact seed=4",
                           "model=ffm fields=8 bits=10 heads=2 k=6 precision=compact"};
    for (int c = 0; c < 3; c++) {
        growth_fm *ref = NULL;
        CHECK_OK(growth_fm_create(&g_model, cfgs[c]));
        CHECK_OK(growth_fm_create(&ref, cfgs[c]));
        if (!g_model || !ref) return;
        atomic_store(&g_done, 0);
        atomic_store(&g_bad, 0);
        pthread_t th[READERS];
        for (int t = 0; t < READERS; t++) pthread_create(&th[t], NULL, reader, (void *)(uintptr_t)(t + 1));
        train(g_model);
        atomic_store(&g_done, 1);
        for (int t = 0; t < READERS; t++) pthread_join(th[t], NULL);
        CHECK(atomic_load(&g_bad) == 0);
        CHECK(atomic_load(&g_reads) > 0);
        train(ref);
        static float pa[ROWS * 2], pb[ROWS * 2];
        CHECK_OK(growth_fm_predict_csr(g_model, g_indptr, g_idx, g_fld, NULL, ROWS, 0, pa, ROWS * 2));
        CHECK_OK(growth_fm_predict_csr(ref, g_indptr, g_idx, g_fld, NULL, ROWS, 0, pb, ROWS * 2));
        CHECK(memcmp(pa, pb, sizeof pa) == 0);
        growth_fm_stats sa = GROWTH_FM_STATS_INIT, sb = GROWTH_FM_STATS_INIT;
        CHECK_OK(growth_fm_stats_get(g_model, &sa));
        CHECK_OK(growth_fm_stats_get(ref, &sb));
        CHECK(sa.examples == sb.examples && sa.touched == sb.touched);
        growth_fm_free(g_model);
        growth_fm_free(ref);
    }
}

int main(void)
{
    RUN(test_predict_while_training);
    return GT_SUMMARY();
}
