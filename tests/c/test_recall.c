/* Vector index: exact search against a double-precision brute force, filters, HNSW / IVF /
 * int8 recall, removal and compaction, de-duplication and MMR, persistence, corrupted files,
 * bad input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"
#include "stored_config.h"
#include "index.pb-c.h"
#include "recall/recall_impl.h" /* ix_procrustes (OPQ) against NumPy */

_Static_assert(offsetof(growth_index_stats, code_bytes) == 40, "1.0 growth_index_stats ends at memory_bytes");
_Static_assert(sizeof(growth_index_stats) == 56, "growth_index_stats with code_bytes, bytes_per_vector");

static const char *METRICS[3] = {"ip", "cosine", "l2"};

static float *rand_vecs(size_t n, size_t d, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    float *v = malloc(n * d * sizeof *v);
    for (size_t i = 0; i < n * d; i++) v[i] = (float)grng_normal(&r);
    return v;
}

/* Clustered data (like real embeddings): 20 centres plus noise. */
static float *clustered(size_t n, size_t d, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    float *c = rand_vecs(20, d, seed + 7), *v = malloc(n * d * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)grng_below(&r, 20);
        for (size_t j = 0; j < d; j++) v[i * d + j] = c[k * d + j] + 0.5f * (float)grng_normal(&r);
    }
    free(c);
    return v;
}

/* Brute-force score in double: ip, cosine, or squared L2 distance. */
static double ref_score(int metric, const float *q, const float *x, size_t d)
{
    double qx = 0, qq = 0, xx = 0, l2 = 0;
    for (size_t j = 0; j < d; j++) {
        qx += (double)q[j] * x[j];
        qq += (double)q[j] * q[j];
        xx += (double)x[j] * x[j];
        l2 += ((double)q[j] - x[j]) * ((double)q[j] - x[j]);
    }
    if (metric == 0) return qx;
    if (metric == 1) return qq > 0 && xx > 0 ? qx / sqrt(qq * xx) : 0;
    return l2;
}

typedef bool (*keep_fn)(int64_t id);

/* Reference top-k ids (ids[i] = id of row i) among rows passing `keep` (NULL: all). */
static size_t ref_topk(int metric, const float *x, const int64_t *ids, size_t n, size_t d, const float *q,
                       size_t k, keep_fn keep, int64_t *out, double *out_s)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (keep && !keep(ids[i])) continue;
        double s = ref_score(metric, q, x + i * d, d);
        bool better_than_last = m < k || (metric == 2 ? s < out_s[m - 1] : s > out_s[m - 1]);
        if (!better_than_last) continue;
        size_t p = m < k ? m++ : k - 1;
        while (p > 0 && (metric == 2 ? s < out_s[p - 1] : s > out_s[p - 1])) {
            out_s[p] = out_s[p - 1];
            out[p] = out[p - 1];
            p--;
        }
        out_s[p] = s;
        out[p] = ids[i];
    }
    return m;
}

static double overlap(const int64_t *a, const int64_t *b, size_t k)
{
    size_t hit = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            if (a[i] == b[j] && a[i] >= 0) {
                hit++;
                break;
            }
    return (double)hit / (double)k;
}

static uint64_t live_count(const growth_index *ix)
{
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    growth_index_stats_get(ix, &st);
    return st.count;
}

TEST(test_create_and_config)
{
    growth_index *ix = NULL;
    CHECK_RC(growth_index_create(&ix, "metric=ip"), GROWTH_EINVAL);
    CHECK_MSG("dim");
    CHECK_RC(growth_index_create(&ix, "dim=8 bogus=1"), GROWTH_EINVAL);
    CHECK_MSG("bogus");
    CHECK_RC(growth_index_create(&ix, "dim=8 metric=hamming"), GROWTH_EINVAL);
    CHECK_MSG("metric");
    CHECK_RC(growth_index_create(&ix, "dim=8 kind=hnsw M=1"), GROWTH_EINVAL);
    CHECK_MSG("M");
    CHECK_RC(growth_index_create(&ix, "dim=0"), GROWTH_EINVAL);
    CHECK_RC(growth_index_create(NULL, "dim=8"), GROWTH_EINVAL);
    CHECK(ix == NULL);
    CHECK_OK(growth_index_create(&ix, "dim=8 metric=cosine kind=hnsw M=8 ef=50"));
    char buf[512];
    size_t need = 0;
    CHECK_OK(growth_index_config(ix, buf, sizeof buf, &need));
    CHECK(strstr(buf, "dim=8") && strstr(buf, "metric=cosine") && strstr(buf, "kind=hnsw") &&
          strstr(buf, "M=8"));
    CHECK_RC(growth_index_config(ix, buf, 4, &need), GROWTH_EBUFS);
    CHECK(need == strlen(buf) + 1);
    CHECK_OK(growth_index_set_config(ix, "ef=99"));
    CHECK_OK(growth_index_config(ix, buf, sizeof buf, NULL));
    CHECK(strstr(buf, "ef=99") != NULL);
    CHECK_RC(growth_index_set_config(ix, "M=4"), GROWTH_EINVAL);
    CHECK_MSG("M");
    growth_index_free(ix);
    growth_index_free(NULL);
}

/* Flat search equals brute force for every metric, single and batched, 1 and 3 threads. */
TEST(test_flat_exact)
{
    const size_t n = 3000, d = 37, nq = 40, k = 10; /* odd dim: kernel tails */
    float *x = rand_vecs(n, d, 1), *q = rand_vecs(nq, d, 2);
    int64_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (int64_t)(i * 7 + 3);
    for (int m = 0; m < 3; m++) {
        for (int threads = 1; threads <= 3; threads += 2) {
            char cfg[128];
            snprintf(cfg, sizeof cfg, "dim=%zu metric=%s threads=%d", d, METRICS[m], threads);
            growth_index *ix = NULL;
            CHECK_OK(growth_index_create(&ix, cfg));
            CHECK_OK(growth_index_add(ix, x, n / 2, ids));
            CHECK_OK(growth_index_add(ix, x + (n / 2) * d, n - n / 2, ids + n / 2));
            int64_t bid[nq * k], rid[k], sid[k];
            float bs[nq * k], ss[k];
            double rs[k];
            CHECK_OK(growth_index_search_batch(ix, q, nq, k, NULL, bid, bs, nq * k));
            int bad = 0;
            for (size_t i = 0; i < nq; i++) {
                size_t found = 0;
                CHECK_OK(growth_index_search(ix, q + i * d, k, NULL, sid, ss, k, &found));
                CHECK(found == k);
                ref_topk(m, x, ids, n, d, q + i * d, k, NULL, rid, rs);
                for (size_t j = 0; j < k; j++) {
                    if (sid[j] != rid[j] || bid[i * k + j] != rid[j]) bad++;
                    double tol = 1e-4 * (fabs(rs[j]) + 1);
                    if (fabs(ss[j] - rs[j]) > tol || fabs(bs[i * k + j] - rs[j]) > tol) bad++;
                }
            }
            if (bad) fprintf(stderr, "  metric %s threads %d: %d mismatches\n", METRICS[m], threads, bad);
            CHECK(bad == 0);
            growth_index_free(ix);
        }
    }
    free(x);
    free(q);
    free(ids);
}

static bool keep_mod3(int64_t id) { return id % 3 == 0; }
static int cb_mod3(int64_t id, void *user)
{
    (*(int *)user)++;
    return id % 3 == 0;
}
static const int64_t *g_allow;
static size_t g_nallow;
static bool keep_allow(int64_t id)
{
    for (size_t i = 0; i < g_nallow; i++)
        if (g_allow[i] == id) return true;
    return false;
}

TEST(test_filters)
{
    const size_t n = 2000, d = 16, k = 8;
    float *x = rand_vecs(n, d, 3), *q = rand_vecs(4, d, 4);
    int64_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (int64_t)i;
    const char *kinds[3] = {"flat", "hnsw ef=400", "ivf nlist=16 nprobe=16"};
    uint8_t bitmap[n / 8];
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 0)
            bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
        else
            bitmap[i / 8] &= (uint8_t) ~(1u << (i % 8));
    }
    int64_t small_allow[5] = {5, 17, 400, 1999, 5000}, big_allow[1000];
    for (size_t i = 0; i < 1000; i++) big_allow[i] = (int64_t)(2 * i);
    for (int kd = 0; kd < 3; kd++) {
        char cfg[128];
        snprintf(cfg, sizeof cfg, "dim=%zu metric=l2 kind=%s", d, kinds[kd]);
        growth_index *ix = NULL;
        CHECK_OK(growth_index_create(&ix, cfg));
        CHECK_OK(growth_index_add(ix, x, n, ids));
        int64_t got[k], ref[k];
        double rs[k];
        size_t found;
        int calls = 0;
        growth_id_filter fb = {sizeof fb, 0, NULL, 0, bitmap, n, NULL, NULL};
        growth_id_filter fc = {sizeof fc, 0, NULL, 0, NULL, 0, cb_mod3, &calls};
        growth_id_filter fs = {sizeof fs, 0, small_allow, 5, NULL, 0, NULL, NULL};
        growth_id_filter fl = {sizeof fl, 0, big_allow, 1000, NULL, 0, NULL, NULL};
        for (int qi = 0; qi < 4; qi++) {
            const float *qq = q + qi * d;
            ref_topk(2, x, ids, n, d, qq, k, keep_mod3, ref, rs);
            CHECK_OK(growth_index_search(ix, qq, k, &fb, got, NULL, k, &found));
            CHECK(found == k && overlap(got, ref, k) >= (kd == 1 ? 0.85 : 1.0));
            CHECK_OK(growth_index_search(ix, qq, k, &fc, got, NULL, k, &found));
            CHECK(found == k && overlap(got, ref, k) >= (kd == 1 ? 0.85 : 1.0));
            for (size_t j = 0; j < found; j++) CHECK(got[j] % 3 == 0);
            g_allow = small_allow;
            g_nallow = 5;
            CHECK_OK(growth_index_search(ix, qq, k, &fs, got, NULL, k, &found));
            size_t nref = ref_topk(2, x, ids, n, d, qq, k, keep_allow, ref, rs);
            CHECK(found == 4 && nref == 4); /* 5000 is not in the index */
            if (kd != 1)
                for (size_t j = 0; j < 4; j++) CHECK(got[j] == ref[j]);
            g_allow = big_allow;
            g_nallow = 1000;
            CHECK_OK(growth_index_search(ix, qq, k, &fl, got, NULL, k, &found));
            ref_topk(2, x, ids, n, d, qq, k, keep_allow, ref, rs);
            CHECK(found == k && overlap(got, ref, k) >= (kd == 1 ? 0.85 : 1.0));
        }
        CHECK(calls > 0);
        /* bad filters */
        growth_id_filter bad = fs;
        bad.struct_size = 4;
        CHECK_RC(growth_index_search(ix, q, k, &bad, got, NULL, k, &found), GROWTH_EINVAL);
        CHECK_MSG("struct_size");
        int64_t unsorted[3] = {5, 3, 9};
        bad = fs;
        bad.allow = unsorted;
        bad.n_allow = 3;
        CHECK_RC(growth_index_search(ix, q, k, &bad, got, NULL, k, &found), GROWTH_EINVAL);
        CHECK_MSG("ascending");
        growth_index_free(ix);
    }
    free(x);
    free(q);
    free(ids);
}

/* Filtered search keeps its promise (issue 25): min(k, matching) results from every kind; a
 * selective filter (here 1 item in 250, under filter_exact) gives the exact top k. */
static const uint8_t *g_bits;
static bool keep_bits(int64_t id) { return (g_bits[id / 8] >> (id % 8)) & 1; }
static int cb_bits(int64_t id, void *user) { return (((const uint8_t *)user)[id / 8] >> (id % 8)) & 1; }

TEST(test_filter_promise)
{
    const size_t n = 5000, d = 12, k = 10;
    float *x = clustered(n, d, 21), *q = clustered(6, d, 22);
    int64_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (int64_t)i;
    uint8_t *bits = calloc(n / 8, 1);
    size_t n_allowed = 0;
    for (size_t i = 0; i < n; i += 250) {
        bits[i / 8] |= (uint8_t)(1u << (i % 8));
        n_allowed++;
    }
    g_bits = bits;
    const char *kinds[4] = {"hnsw M=6 ef_construction=20 ef=10",
                            "hnsw M=6 ef_construction=20 ef=10 quantize=int8", "ivf nlist=32 nprobe=1",
                            "flat quantize=int8"};
    for (int kd = 0; kd < 4; kd++) {
        char cfg[160];
        snprintf(cfg, sizeof cfg, "dim=%zu metric=l2 kind=%s", d, kinds[kd]);
        growth_index *ix = NULL;
        CHECK_OK(growth_index_create(&ix, cfg));
        CHECK_OK(growth_index_add(ix, x, n, ids));
        growth_id_filter fb = {sizeof fb, 0, NULL, 0, bits, n, NULL, NULL};
        growth_id_filter fc = {sizeof fc, 0, NULL, 0, NULL, 0, cb_bits, bits};
        for (int qi = 0; qi < 6; qi++) {
            int64_t got[10], ref[10];
            double rs[10];
            float gs[10];
            size_t found = 0, nref = ref_topk(2, x, ids, n, d, q + qi * d, k, keep_bits, ref, rs);
            CHECK(nref == k && n_allowed == 20);
            CHECK_OK(growth_index_search(ix, q + qi * d, k, &fb, got, gs, k, &found));
            CHECK(found == k);
            for (size_t j = 0; j < k; j++)
                CHECK(got[j] == ref[j] && fabs(gs[j] - rs[j]) < 1e-3 * (1 + rs[j]));
            CHECK_OK(growth_index_search(ix, q + qi * d, k, &fc, got, gs, k, &found));
            CHECK(found == k && overlap(got, ref, k) == 1.0);
        }
        /* fewer matching items than k: all of them, best first */
        int64_t few[3] = {7, 2500, 4999}, got[10];
        growth_id_filter ff = {sizeof ff, 0, few, 3, NULL, 0, NULL, NULL};
        size_t found = 0;
        CHECK_OK(growth_index_search(ix, q, k, &ff, got, NULL, k, &found));
        CHECK(found == 3);
        /* the threshold is a run-time key */
        CHECK_OK(growth_index_set_config(ix, "filter_exact=0.5"));
        CHECK_RC(growth_index_set_config(ix, "filter_exact=1.5"), GROWTH_EINVAL);
        CHECK_RC(growth_index_set_config(ix, "filter_exact=-0.5"), GROWTH_EINVAL);
        char buf[512];
        CHECK_OK(growth_index_config(ix, buf, sizeof buf, NULL));
        CHECK(strstr(buf, "filter_exact=0.5") != NULL);
        /* tombstones: 12 live items left in a graph of 5000 */
        int64_t *gone = malloc(n * sizeof *gone);
        for (size_t i = 0; i < n - 12; i++) gone[i] = (int64_t)i;
        CHECK_OK(growth_index_remove(ix, gone, n - 12, NULL));
        CHECK_OK(growth_index_search(ix, q, k, NULL, got, NULL, k, &found));
        CHECK(found == k);
        for (size_t j = 0; j < k; j++) CHECK(got[j] >= (int64_t)(n - 12));
        free(gone);
        growth_index_free(ix);
    }
    free(bits);
    free(x);
    free(q);
    free(ids);
}

TEST(test_bad_input_leaves_index_usable)
{
    const size_t d = 8;
    float *x = rand_vecs(100, d, 5);
    growth_index *ix = NULL;
    CHECK_OK(growth_index_create(&ix, "dim=8 metric=cosine kind=hnsw"));
    int64_t got[10];
    float sc[10];
    size_t found = 99;
    CHECK_RC(growth_index_search(ix, x, 5, NULL, got, sc, 10, &found), GROWTH_ESTATE);
    CHECK_MSG("empty");
    int64_t ids[100];
    for (int i = 0; i < 100; i++) ids[i] = 1000 + i;
    CHECK_OK(growth_index_add(ix, x, 50, ids));
    /* duplicates: within the batch, and against the index */
    int64_t dup[3] = {1, 2, 1};
    CHECK_RC(growth_index_add(ix, x + 50 * d, 3, dup), GROWTH_EINVAL);
    CHECK_MSG("twice");
    CHECK_RC(growth_index_add(ix, x + 50 * d, 1, &ids[3]), GROWTH_EINVAL);
    CHECK_MSG("1003");
    int64_t neg = -5;
    CHECK_RC(growth_index_add(ix, x, 1, &neg), GROWTH_EINVAL);
    CHECK_MSG("negative");
    float nanv[8] = {0, 1, 2, NAN, 4, 5, 6, 7};
    int64_t one = 7;
    CHECK_RC(growth_index_add(ix, nanv, 1, &one), GROWTH_EINVAL);
    CHECK_MSG("x[0][3]");
    CHECK_RC(growth_index_add(ix, NULL, 1, &one), GROWTH_EINVAL);
    CHECK(live_count(ix) == 50);
    /* searches */
    CHECK_RC(growth_index_search(ix, x, 0, NULL, got, sc, 10, &found), GROWTH_EINVAL);
    CHECK_MSG("k is 0");
    CHECK_RC(growth_index_search(ix, x, 10, NULL, got, sc, 5, &found), GROWTH_EBUFS);
    nanv[3] = INFINITY;
    CHECK_RC(growth_index_search(ix, nanv, 3, NULL, got, sc, 10, &found), GROWTH_EINVAL);
    CHECK_MSG("not finite");
    CHECK_RC(growth_index_search(NULL, x, 3, NULL, got, sc, 10, &found), GROWTH_EINVAL);
    CHECK_RC(growth_index_search(ix, NULL, 3, NULL, got, sc, 10, &found), GROWTH_EINVAL);
    CHECK_RC(growth_index_search_batch(ix, x, 2, 10, NULL, got, sc, 10), GROWTH_EBUFS);
    float big[2 * 8];
    memcpy(big, x, sizeof big);
    big[9] = NAN;
    int64_t bids[20];
    CHECK_RC(growth_index_search_batch(ix, big, 2, 5, NULL, bids, NULL, 20), GROWTH_EINVAL);
    CHECK_MSG("q[1][1]");
    /* still usable and unchanged */
    CHECK(live_count(ix) == 50);
    CHECK_OK(growth_index_search(ix, x + 3 * d, 1, NULL, got, sc, 10, &found));
    CHECK(found == 1 && got[0] == 1003);
    CHECK_NEAR(sc[0], 1.0, 1e-5);
    CHECK_OK(growth_index_add(ix, x + 50 * d, 50, ids + 50));
    CHECK(live_count(ix) == 100);
    /* IVF untrained with a too-small batch */
    growth_index *iv = NULL;
    CHECK_OK(growth_index_create(&iv, "dim=8 kind=ivf nlist=64"));
    CHECK_RC(growth_index_add(iv, x, 10, NULL), GROWTH_ESTATE);
    CHECK_MSG("nlist");
    CHECK_RC(growth_index_train(ix, x, 100), GROWTH_ESTATE);
    CHECK(live_count(iv) == 0);
    growth_index_free(iv);
    growth_index_free(ix);
    free(x);
}

TEST(test_k_larger_than_n_and_padding)
{
    float *x = rand_vecs(5, 4, 6);
    growth_index *ix = NULL;
    CHECK_OK(growth_index_create(&ix, "dim=4 metric=l2"));
    CHECK_OK(growth_index_add(ix, x, 5, NULL)); /* automatic ids 0..4 */
    int64_t got[20];
    float sc[20];
    size_t found = 0;
    CHECK_OK(growth_index_search(ix, x + 8, 10, NULL, got, sc, 10, &found));
    CHECK(found == 5 && got[0] == 2);
    CHECK_NEAR(sc[0], 0.0, 1e-6);
    for (size_t i = 1; i < found; i++) CHECK(sc[i] >= sc[i - 1]); /* l2: ascending distances */
    CHECK_OK(growth_index_search_batch(ix, x, 2, 10, NULL, got, sc, 20));
    CHECK(got[0] == 0 && got[10] == 1);
    for (int i = 5; i < 10; i++) CHECK(got[i] == -1 && isnan(sc[i]) && got[10 + i] == -1);
    int64_t more = 100;
    CHECK_OK(growth_index_add(ix, x, 1, &more));
    CHECK_OK(growth_index_add(ix, x + 4, 1, NULL)); /* automatic id continues after 100 */
    float v[4];
    CHECK_OK(growth_index_get(ix, 101, v, 4));
    CHECK(memcmp(v, x + 4, sizeof v) == 0);
    CHECK_RC(growth_index_get(ix, 55, v, 4), GROWTH_ENOTFOUND);
    CHECK_RC(growth_index_get(ix, 101, v, 3), GROWTH_EBUFS);
    growth_index_free(ix);
    free(x);
}

/* Approximate kinds: recall@10 against brute force; IVF with nprobe = nlist is exact. */
TEST(test_hnsw_ivf_int8_recall)
{
    const size_t n = 6000, d = 24, nq = 100, k = 10;
    float *x = clustered(n + nq, d, 7), *q = x + n * d; /* queries from the same distribution */
    int64_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (int64_t)(n - i);
    const char *cfgs[] = {
        "kind=hnsw M=12 ef_construction=100 ef=80",
        "kind=hnsw M=12 ef=80 quantize=int8",
        "kind=ivf nlist=32 nprobe=32",
        "kind=ivf nlist=32 nprobe=6",
        "kind=flat quantize=int8 rescore=8",
    };
    const double need[] = {0.97, 0.93, 1.0, 0.85, 0.97};
    for (int m = 0; m < 3; m++)
        for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
            char cfg[160];
            snprintf(cfg, sizeof cfg, "dim=%zu metric=%s %s", d, METRICS[m], cfgs[c]);
            growth_index *ix = NULL;
            CHECK_OK(growth_index_create(&ix, cfg));
            /* incremental: three batches */
            CHECK_OK(growth_index_add(ix, x, 2500, ids));
            CHECK_OK(growth_index_add(ix, x + 2500 * d, 2500, ids + 2500));
            CHECK_OK(growth_index_add(ix, x + 5000 * d, n - 5000, ids + 5000));
            int64_t got[nq * k], ref[k];
            float sc[nq * k];
            double rs[k], rec = 0, maxerr = 0;
            CHECK_OK(growth_index_search_batch(ix, q, nq, k, NULL, got, sc, nq * k));
            for (size_t i = 0; i < nq; i++) {
                ref_topk(m, x, ids, n, d, q + i * d, k, NULL, ref, rs);
                rec += overlap(got + i * k, ref, k) / (double)nq;
                /* every returned score is the exact score of the returned id (re-scored) */
                for (size_t j = 0; j < k; j++) {
                    size_t row = (size_t)((int64_t)n - got[i * k + j]);
                    double e = fabs(sc[i * k + j] - ref_score(m, q + i * d, x + row * d, d));
                    if (e / (fabs(rs[0]) + 1) > maxerr) maxerr = e / (fabs(rs[0]) + 1);
                }
            }
            if (rec < need[c] - 1e-9 || maxerr > 1e-4)
                fprintf(stderr, "  %s: recall %.3f, max score error %g\n", cfg, rec, maxerr);
            CHECK(rec >= need[c] - 1e-9);
            CHECK(maxerr <= 1e-4);
            growth_index_stats st = GROWTH_INDEX_STATS_INIT;
            CHECK_OK(growth_index_stats_get(ix, &st));
            CHECK(st.count == n && st.deleted == 0 && st.dim == d && st.memory_bytes >= n * d * 4);
            growth_index_free(ix);
        }
    free(x);
    free(ids);
}

/* IVF batches read each probed list once for all the queries probing it: the same ids and
 * bit-identical scores as one query at a time (keys tied with a neighbour may swap places), with
 * short lists (queries that need further lists), tombstones and 2 threads; nprobe = nlist
 * against the brute force. */
TEST(test_ivf_batch_matches_single)
{
    const size_t n = 4000, d = 40, nq = 60; /* d not a multiple of 8: the kernels' tails */
    float *x = clustered(n + nq, d, 21), *q = x + n * d;
    int64_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (int64_t)(3 * i + 1);
    const char *cfgs[] = {"nlist=32 nprobe=3", "nlist=32 nprobe=32", "nlist=64 nprobe=1 threads=2",
                          "nlist=16 nprobe=4 threads=2"};
    const size_t ks[] = {1, 10, 150}; /* 150: more than one list holds, for nprobe=1 of 64 */
    for (int m = 0; m < 3; m++)
        for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++)
            for (int removed = 0; removed < 2; removed++) {
                char cfg[160];
                snprintf(cfg, sizeof cfg, "dim=%zu metric=%s kind=ivf %s", d, METRICS[m], cfgs[c]);
                growth_index *ix = NULL;
                CHECK_OK(growth_index_create(&ix, cfg));
                CHECK_OK(growth_index_add(ix, x, n, ids));
                if (removed) { /* every 9th id: too few for the exact fallback */
                    int64_t gone[n / 9 + 1];
                    size_t ng = 0, nr = 0;
                    for (size_t i = 0; i < n; i += 9) gone[ng++] = ids[i];
                    CHECK_OK(growth_index_remove(ix, gone, ng, &nr));
                    CHECK(nr == ng);
                }
                for (size_t ki = 0; ki < 3; ki++) {
                    size_t k = ks[ki];
                    int64_t *got = malloc(nq * k * sizeof *got), one[150], ref[150];
                    float *sc = malloc(nq * k * sizeof *sc), s1[150];
                    double rs[150];
                    CHECK_OK(growth_index_search_batch(ix, q, nq, k, NULL, got, sc, nq * k));
                    size_t bad = 0, badref = 0;
                    for (size_t i = 0; i < nq; i++) {
                        size_t found = 0;
                        CHECK_OK(growth_index_search(ix, q + i * d, k, NULL, one, s1, k, &found));
                        CHECK(found == k);
                        for (size_t j = 0; j < k; j++) {
                            const float *b = sc + i * k;
                            bool tied = (j > 0 && b[j - 1] == b[j]) || (j + 1 < k && b[j + 1] == b[j]);
                            if (memcmp(&b[j], &s1[j], sizeof(float)) || (!tied && got[i * k + j] != one[j]))
                                bad++;
                        }
                        if (c == 1 && !removed) { /* nprobe = nlist: exact */
                            ref_topk(m, x, ids, n, d, q + i * d, k, NULL, ref, rs);
                            for (size_t j = 0; j < k; j++)
                                if (fabs(sc[i * k + j] - rs[j]) > 1e-4 * (fabs(rs[0]) + 1)) badref++;
                        }
                    }
                    if (bad || badref)
                        fprintf(
                            stderr,
                            "  %s removed=%d k=%zu: %zu differ from single searches, %zu from brute force\n",
                            cfg, removed, k, bad, badref);
                    CHECK(bad == 0 && badref == 0);
                    free(got);
                    free(sc);
                }
                growth_index_free(ix);
            }
    free(x);
    free(ids);
}

static bool keep_odd(int64_t id) { return id % 2 == 1; }

TEST(test_remove_and_compact)
{
    const size_t n = 3000, d = 16, k = 10, nq = 30;
    float *x = clustered(n, d, 9), *q = clustered(nq, d, 10);
    int64_t *ids = malloc(n * sizeof *ids), *rm = malloc(n * sizeof *rm);
    for (size_t i = 0; i < n; i++) ids[i] = (int64_t)i;
    size_t nrm = 0;
    for (size_t i = 0; i < n; i += 2) rm[nrm++] = (int64_t)i; /* remove every even id */
    const char *kinds[3] = {"flat", "hnsw ef=200", "ivf nlist=16 nprobe=16"};
    for (int kd = 0; kd < 3; kd++)
        for (int m = 0; m < 3; m++) {
            char cfg[128];
            snprintf(cfg, sizeof cfg, "dim=%zu metric=%s kind=%s", d, METRICS[m], kinds[kd]);
            growth_index *ix = NULL;
            CHECK_OK(growth_index_create(&ix, cfg));
            CHECK_OK(growth_index_add(ix, x, n, ids));
            size_t removed = 0;
            CHECK_OK(growth_index_remove(ix, rm, nrm, &removed));
            CHECK(removed == nrm);
            CHECK_OK(growth_index_remove(ix, rm, 3, &removed));
            CHECK(removed == 0);
            for (int pass = 0; pass < 2; pass++) {
                growth_index_stats st = GROWTH_INDEX_STATS_INIT;
                CHECK_OK(growth_index_stats_get(ix, &st));
                CHECK(st.count == n - nrm && st.deleted == (pass == 0 ? nrm : 0));
                double rec = 0;
                for (size_t i = 0; i < nq; i++) {
                    int64_t got[k], ref[k];
                    double rs[k];
                    size_t found;
                    CHECK_OK(growth_index_search(ix, q + i * d, k, NULL, got, NULL, k, &found));
                    for (size_t j = 0; j < found; j++) CHECK(got[j] % 2 == 1);
                    ref_topk(m, x, ids, n, d, q + i * d, k, keep_odd, ref, rs);
                    rec += overlap(got, ref, k) / (double)nq;
                }
                CHECK(rec >= (kd == 1 ? 0.95 : 1.0) - 1e-9);
                if (pass == 0) CHECK_OK(growth_index_compact(ix));
            }
            /* a removed id can come back */
            CHECK_OK(growth_index_add(ix, x, 1, &rm[0]));
            int64_t got[1];
            size_t found;
            CHECK_OK(growth_index_search(ix, x, 1, NULL, got, NULL, 1, &found));
            if (m != 0) CHECK(got[0] == 0);
            growth_index_free(ix);
        }
    free(x);
    free(q);
    free(ids);
    free(rm);
}

TEST(test_dedup_and_mmr)
{
    /* 0,1,2 nearly identical; 3 orthogonal-ish; 4 near 3 */
    float v[5 * 8] = {0};
    v[0 * 8 + 0] = 1;
    v[1 * 8 + 0] = 1;
    v[1 * 8 + 1] = 0.05f;
    v[2 * 8 + 0] = 1;
    v[2 * 8 + 2] = 0.05f;
    v[3 * 8 + 0] = 0.6f;
    v[3 * 8 + 3] = 1;
    v[4 * 8 + 0] = 0.6f;
    v[4 * 8 + 3] = 1;
    v[4 * 8 + 4] = 0.1f;
    growth_index *ix = NULL;
    CHECK_OK(growth_index_create(&ix, "dim=8 metric=ip"));
    int64_t ids[5] = {10, 11, 12, 13, 14};
    CHECK_OK(growth_index_add(ix, v, 5, ids));
    float q[8] = {1, 0, 0, 0.2f, 0, 0, 0, 0};
    int64_t got[5], kept[5];
    float sc[5], ks[5];
    size_t found = 0, nk = 0;
    CHECK_OK(growth_index_search(ix, q, 5, NULL, got, sc, 5, &found));
    CHECK(found == 5);
    CHECK_OK(growth_index_dedup(ix, got, sc, found, 0.95f, kept, ks, 5, &nk));
    CHECK(nk == 2);
    CHECK(kept[0] == got[0] && ks[0] == sc[0]);
    CHECK(kept[1] == 13 || kept[1] == 14);
    CHECK_OK(growth_index_dedup(ix, got, sc, found, 1.0f, kept, ks, 5, &nk));
    CHECK(nk == 5); /* nothing is more similar than 1 */
    CHECK_RC(growth_index_dedup(ix, got, sc, found, 1.5f, kept, ks, 5, &nk), GROWTH_EINVAL);
    CHECK_RC(growth_index_dedup(ix, got, sc, found, 0.9f, kept, ks, 2, &nk), GROWTH_EBUFS);
    int64_t missing[2] = {10, 99};
    CHECK_RC(growth_index_dedup(ix, missing, NULL, 2, 0.9f, kept, NULL, 5, &nk), GROWTH_ENOTFOUND);
    CHECK_MSG("99");
    /* MMR: lambda = 1 is the relevance (cosine) order; small lambda diversifies */
    CHECK_OK(growth_index_mmr(ix, q, ids, 5, 1.0f, 3, kept, ks, 5, &nk));
    CHECK(nk == 3 && ks[0] >= ks[1] && ks[1] >= ks[2]);
    CHECK(kept[0] == 10 || kept[0] == 11 || kept[0] == 12);
    CHECK(kept[1] == 10 || kept[1] == 11 || kept[1] == 12);
    CHECK_OK(growth_index_mmr(ix, q, ids, 5, 0.3f, 2, kept, ks, 5, &nk));
    CHECK(nk == 2 && (kept[0] == 10 || kept[0] == 11 || kept[0] == 12) && (kept[1] == 13 || kept[1] == 14));
    CHECK_RC(growth_index_mmr(ix, q, ids, 5, 2.0f, 2, kept, ks, 5, &nk), GROWTH_EINVAL);
    CHECK_RC(growth_index_mmr(ix, q, ids, 5, 0.5f, 0, kept, ks, 5, &nk), GROWTH_EINVAL);
    growth_index_free(ix);
}

static int same_results(growth_index *a, growth_index *b, const float *q, size_t nq, size_t d)
{
    int64_t ia[10], ib[10];
    float sa[10], sb[10];
    int bad = 0;
    for (size_t i = 0; i < nq; i++) {
        size_t fa = 0, fb = 0;
        if (growth_index_search(a, q + i * d, 10, NULL, ia, sa, 10, &fa) ||
            growth_index_search(b, q + i * d, 10, NULL, ib, sb, 10, &fb) || fa != fb)
            return 1;
        for (size_t j = 0; j < fa; j++) bad += ia[j] != ib[j] || sa[j] != sb[j];
    }
    return bad;
}

TEST(test_save_load_roundtrip)
{
    const size_t n = 1500, d = 12;
    float *x = clustered(n, d, 11), *q = clustered(20, d, 12);
    const char *kinds[] = {"flat", "hnsw M=6", "ivf nlist=8 nprobe=3", "flat quantize=int8",
                           "hnsw quantize=int8"};
    char path[512];
    gt_path(path, sizeof path, "recall_roundtrip.index");
    for (size_t kd = 0; kd < 5; kd++)
        for (int m = 0; m < 3; m++) {
            char cfg[128];
            snprintf(cfg, sizeof cfg, "dim=%zu metric=%s kind=%s seed=3", d, METRICS[m], kinds[kd]);
            growth_index *a = NULL, *b = NULL, *c = NULL;
            CHECK_OK(growth_index_create(&a, cfg));
            CHECK_OK(growth_index_add(a, x, n, NULL));
            int64_t rm[3] = {4, 400, 1000};
            CHECK_OK(growth_index_remove(a, rm, 3, NULL));
            CHECK_OK(growth_index_save(a, path));
            CHECK_OK(growth_index_load(&b, path));
            CHECK(same_results(a, b, q, 20, d) == 0);
            uint8_t *buf = NULL;
            size_t len = 0;
            CHECK_OK(growth_index_serialize(a, &buf, &len));
            CHECK_OK(growth_index_deserialize(&c, buf, len));
            CHECK(same_results(a, c, q, 20, d) == 0);
            char ca[512], cb[512];
            growth_index_config(a, ca, sizeof ca, NULL);
            growth_index_config(c, cb, sizeof cb, NULL);
            CHECK(strcmp(ca, cb) == 0);
            growth_index_stats sa = GROWTH_INDEX_STATS_INIT, sb = GROWTH_INDEX_STATS_INIT;
            growth_index_stats_get(a, &sa);
            growth_index_stats_get(c, &sb);
            CHECK(sa.count == sb.count && sa.deleted == sb.deleted && sa.count == n - 3);
            /* loaded indexes keep growing the same way (same ids, graph) */
            CHECK_OK(growth_index_add(b, q, 5, NULL));
            CHECK_OK(growth_index_add(c, q, 5, NULL));
            CHECK(same_results(b, c, q, 20, d) == 0);
            growth_buffer_free(buf);
            growth_index_free(a);
            growth_index_free(b);
            growth_index_free(c);
        }
    unlink(path);
    free(x);
    free(q);
}

/* Truncations, bit flips, wrong kind, and mutations behind a valid envelope: EFORMAT, no crash. */
TEST(test_corrupted_files)
{
    const size_t n = 300, d = 6;
    float *x = clustered(n, d, 13);
    const char *kinds[] = {"flat", "hnsw M=4", "ivf nlist=4"};
    grng r;
    grng_seed(&r, 5);
    for (int kd = 0; kd < 3; kd++) {
        char cfg[128];
        snprintf(cfg, sizeof cfg, "dim=%zu kind=%s", d, kinds[kd]);
        growth_index *a = NULL, *b = NULL;
        CHECK_OK(growth_index_create(&a, cfg));
        CHECK_OK(growth_index_add(a, x, n, NULL));
        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK_OK(growth_index_serialize(a, &buf, &len));
        int bad = 0;
        for (size_t cut = 0; cut < len; cut += 1 + cut / 16) {
            int rc = growth_index_deserialize(&b, buf, cut);
            bad += rc != GROWTH_EFORMAT;
            if (rc == GROWTH_OK) growth_index_free(b);
        }
        CHECK(bad == 0);
        uint8_t *mut = malloc(len);
        int ok = 0, fmt = 0, other = 0;
        for (int t = 0; t < 1500; t++) {
            memcpy(mut, buf, len);
            int flips = 1 + (int)grng_below(&r, 4);
            for (int f = 0; f < flips; f++) {
                size_t p = GENV_HEADER_SIZE + (size_t)grng_below(&r, len - GENV_HEADER_SIZE);
                mut[p] = (uint8_t)grng_next(&r);
            }
            if (t % 2) { /* re-seal so the payload decoder and validators see it */
                genv_header(mut, GROWTH_KIND_INDEX, mut + GENV_HEADER_SIZE, len - GENV_HEADER_SIZE);
            }
            b = NULL;
            int rc = growth_index_deserialize(&b, mut, len);
            if (rc == GROWTH_OK) {
                ok++;
                /* whatever loaded must be searchable without crashing */
                int64_t got[5];
                size_t found;
                growth_index_search(b, x, 5, NULL, got, NULL, 5, &found);
                growth_index_free(b);
            } else if (rc == GROWTH_EFORMAT)
                fmt++;
            else
                other++;
        }
        CHECK(other == 0 && fmt > 700);
        free(mut);
        /* wrong kind */
        uint8_t *wk = malloc(len);
        memcpy(wk, buf, len);
        genv_header(wk, GROWTH_KIND_FTRL, wk + GENV_HEADER_SIZE, len - GENV_HEADER_SIZE);
        CHECK_RC(growth_index_deserialize(&b, wk, len), GROWTH_EFORMAT);
        free(wk);
        growth_buffer_free(buf);
        growth_index_free(a);
    }
    /* an FTRL model file and a missing file */
    char path[512];
    gt_path(path, sizeof path, "recall_wrong_kind.model");
    growth_ftrl *f = NULL;
    CHECK_OK(growth_ftrl_create(&f, "bits=4"));
    CHECK_OK(growth_ftrl_save(f, path));
    growth_ftrl_free(f);
    growth_index *b = NULL;
    CHECK_RC(growth_index_load(&b, path), GROWTH_EFORMAT);
    CHECK_MSG("growth_index_load");
    unlink(path);
    CHECK_RC(growth_index_load(&b, "/nonexistent/dir/x.index"), GROWTH_EIO);
    free(x);
}

/* ---- progress callback and cancellation ----------------------------------------------------- */

typedef struct {
    int calls, cancel_at; /* cancel (return 1) on call number cancel_at (1-based; 0 never) */
    char stage[32];
    double last_done;
    int monotone;
    const growth_index *search; /* when set, the callback searches this index (a reader) */
    int search_rc;
} prog_rec;

static int prog_cb(const char *stage, double done, void *user)
{
    prog_rec *r = user;
    r->calls++;
    if (strcmp(stage, r->stage) != 0) r->last_done = -1; /* a new stage starts over */
    if (done < r->last_done || done < 0 || done > 1) r->monotone = 0;
    snprintf(r->stage, sizeof r->stage, "%s", stage);
    r->last_done = done;
    if (r->search) {
        float q[8] = {1, 0, 0, 0, 0, 0, 0, 0};
        int64_t ids[3];
        size_t n;
        int rc = growth_index_search(r->search, q, 3, NULL, ids, NULL, 3, &n);
        if (rc != GROWTH_OK && rc != GROWTH_ESTATE) r->search_rc = rc;
    }
    return r->cancel_at && r->calls == r->cancel_at;
}

static void prog_reset(prog_rec *r, int cancel_at)
{
    memset(r, 0, sizeof *r);
    r->cancel_at = cancel_at;
    r->monotone = 1;
    r->last_done = -1;
}

/* Serialized bytes (deterministic: SOURCE_DATE_EPOCH is set by the test). */
static int index_bytes_equal(const growth_index *a, const growth_index *b)
{
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    if (growth_index_serialize(a, &x, &nx) || growth_index_serialize(b, &y, &ny)) return 0;
    int same = nx == ny && memcmp(x, y, nx) == 0;
    growth_buffer_free(x);
    growth_buffer_free(y);
    return same;
}

static int stats_equal(const growth_index_stats *a, const growth_index_stats *b)
{
    return a->count == b->count && a->deleted == b->deleted && a->dim == b->dim &&
           a->memory_bytes == b->memory_bytes;
}

TEST(test_progress_and_cancel)
{
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    const size_t d = 8, na = 600, nb = 700;
    float *xa = clustered(na, d, 31), *xb = clustered(nb, d, 32);
    int64_t *ida = malloc(na * sizeof *ida), rm[5] = {3, 50, 51, 400, 599};
    for (size_t i = 0; i < na; i++) ida[i] = (int64_t)(2 * i + 1);
    for (int i = 0; i < 5; i++) rm[i] = ida[rm[i]];
    const char *cfgs[5] = {"dim=8 kind=flat", "dim=8 kind=hnsw M=8 ef_construction=40",
                           "dim=8 kind=ivf nlist=8 iters=5", "dim=8 kind=hnsw M=6 metric=l2 quantize=int8",
                           "dim=8 kind=flat metric=cosine quantize=int8"};
    for (int c = 0; c < 5; c++) {
        growth_index *ix = NULL;
        prog_rec r;
        CHECK_OK(growth_index_create(&ix, cfgs[c]));
        /* a first add reports each chunk of 256 (3 chunks), the last with done = 1 */
        prog_reset(&r, 0);
        r.search = ix; /* the callback may search the index it reports on */
        CHECK_OK(growth_index_set_progress(ix, prog_cb, &r));
        CHECK_OK(growth_index_add(ix, xa, na, ida));
        CHECK(strcmp(r.stage, "add") == 0 && r.last_done == 1.0 && r.monotone && r.search_rc == 0);
        CHECK(r.calls == (c == 2 ? 5 + 3 : 3)); /* IVF trains first: 5 k-means iterations */
        size_t removed = 0;
        CHECK_OK(growth_index_remove(ix, rm, 5, &removed));
        CHECK(removed == 5);
        growth_index_stats s0 = GROWTH_INDEX_STATS_INIT, s1 = GROWTH_INDEX_STATS_INIT;
        CHECK_OK(growth_index_stats_get(ix, &s0));
        uint8_t *b0 = NULL;
        size_t n0 = 0;
        CHECK_OK(growth_index_serialize(ix, &b0, &n0));
        /* the same history without a callback (a deserialized copy would start a new random
         * stream for HNSW levels) */
        growth_index *twin = NULL;
        CHECK_OK(growth_index_create(&twin, cfgs[c]));
        CHECK_OK(growth_index_add(twin, xa, na, ida));
        CHECK_OK(growth_index_remove(twin, rm, 5, &removed));
        CHECK(index_bytes_equal(ix, twin));

        /* cancel after the first chunk, in the middle, and after the last (done = 1) */
        int at[3] = {1, 2, 3};
        for (int t = 0; t < 3; t++) {
            prog_reset(&r, at[t]);
            CHECK_OK(growth_index_set_progress(ix, prog_cb, &r));
            CHECK_RC(growth_index_add(ix, xb, nb, NULL), GROWTH_ECANCELED);
            CHECK_MSG("growth_index_add: canceled");
            CHECK(r.calls == at[t]);
            CHECK_OK(growth_index_stats_get(ix, &s1));
            CHECK(stats_equal(&s0, &s1));
            CHECK(index_bytes_equal(ix, twin));
        }
        /* a cancel at the last chunk of a batch with given ids: the ids are free again */
        int64_t *idb = malloc(nb * sizeof *idb);
        for (size_t i = 0; i < nb; i++) idb[i] = (int64_t)(10000 + i);
        prog_reset(&r, 3);
        CHECK_OK(growth_index_set_progress(ix, prog_cb, &r));
        CHECK_RC(growth_index_add(ix, xb, nb, idb), GROWTH_ECANCELED);
        CHECK_OK(growth_index_stats_get(ix, &s1));
        CHECK(stats_equal(&s0, &s1) && index_bytes_equal(ix, twin));
        float g[8];
        CHECK_RC(growth_index_get(ix, 10000, g, 8), GROWTH_ENOTFOUND);
        /* then the same add succeeds and gives what the twin (never canceled) gives */
        CHECK_OK(growth_index_set_progress(ix, NULL, NULL));
        CHECK_OK(growth_index_add(ix, xb, nb, idb));
        CHECK_OK(growth_index_add(twin, xb, nb, idb));
        CHECK(index_bytes_equal(ix, twin));
        CHECK(live_count(ix) == na - 5 + nb);

        /* compact: canceled leaves the tombstones, completed drops them */
        CHECK_OK(growth_index_remove(ix, idb, 100, &removed));
        CHECK_OK(growth_index_remove(twin, idb, 100, &removed));
        CHECK_OK(growth_index_stats_get(ix, &s0));
        prog_reset(&r, 2);
        CHECK_OK(growth_index_set_progress(ix, prog_cb, &r));
        CHECK_RC(growth_index_compact(ix), GROWTH_ECANCELED);
        CHECK(strcmp(r.stage, "compact") == 0 && r.calls == 2);
        CHECK_OK(growth_index_stats_get(ix, &s1));
        CHECK(stats_equal(&s0, &s1) && s1.deleted == 105 && index_bytes_equal(ix, twin));
        prog_reset(&r, 0);
        CHECK_OK(growth_index_compact(ix));
        CHECK(strcmp(r.stage, "compact") == 0 && r.last_done == 1.0 && r.monotone);
        CHECK_OK(growth_index_stats_get(ix, &s1));
        CHECK(s1.deleted == 0 && s1.count == na - 5 + nb - 100);
        free(idb);
        growth_buffer_free(b0);
        growth_index_free(twin);
        growth_index_free(ix);
    }

    /* IVF training: canceled in growth_index_train and in the training of a first add */
    growth_index *iv = NULL;
    prog_rec r;
    CHECK_OK(growth_index_create(&iv, "dim=8 kind=ivf nlist=8 iters=6"));
    growth_index_stats e0 = GROWTH_INDEX_STATS_INIT, e1 = GROWTH_INDEX_STATS_INIT;
    CHECK_OK(growth_index_stats_get(iv, &e0));
    prog_reset(&r, 4);
    CHECK_OK(growth_index_set_progress(iv, prog_cb, &r));
    CHECK_RC(growth_index_train(iv, xa, na), GROWTH_ECANCELED);
    CHECK_MSG("growth_index_train: canceled");
    CHECK(r.calls == 4 && strcmp(r.stage, "train") == 0 && r.monotone);
    CHECK_OK(growth_index_stats_get(iv, &e1));
    CHECK(stats_equal(&e0, &e1));
    CHECK_RC(growth_index_add(iv, xa, 4, NULL), GROWTH_ESTATE); /* still untrained */
    prog_reset(&r, 2);
    CHECK_RC(growth_index_add(iv, xa, na, NULL), GROWTH_ECANCELED); /* in the training of the add */
    CHECK(strcmp(r.stage, "train") == 0);
    prog_reset(&r, 6 + 1); /* after training, the first chunk */
    CHECK_RC(growth_index_add(iv, xa, na, NULL), GROWTH_ECANCELED);
    CHECK(strcmp(r.stage, "add") == 0);
    CHECK_OK(growth_index_stats_get(iv, &e1));
    CHECK(stats_equal(&e0, &e1));
    CHECK_RC(growth_index_add(iv, xa, 4, NULL), GROWTH_ESTATE); /* the canceled add's training is gone too */
    prog_reset(&r, 0);
    CHECK_OK(growth_index_train(iv, xa, na));
    CHECK(r.calls == 6 && r.last_done == 1.0);
    CHECK_OK(growth_index_add(iv, xa, 4, NULL));
    growth_index_free(iv);
    CHECK_RC(growth_index_set_progress(NULL, prog_cb, &r), GROWTH_EINVAL);
    free(xa);
    free(xb);
    free(ida);
}

/* OPQ's orthogonal Procrustes step against NumPy (tests/data/make_opq_golden.py): case 1 the
 * unique rotation, case 2 (X^T Y rank-deficient) an orthogonal R reaching NumPy's optimum. */
TEST(test_opq_procrustes_numpy)
{
    char path[1024];
    const char *root = getenv("GROWTH_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/tests/data/opq_procrustes_golden.txt", root ? root : ".");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    for (int cs = 0; cs < 2; cs++) {
        size_t n = 0, d = 0;
        CHECK(fscanf(f, "%zu %zu", &n, &d) == 2);
        float *X = malloc(n * d * sizeof *X), *Y = malloc(n * d * sizeof *Y), *R = malloc(d * d * sizeof *R);
        float *E = malloc(d * d * sizeof *E);
        for (size_t i = 0; i < n * d; i++) CHECK(fscanf(f, "%f", &X[i]) == 1);
        for (size_t i = 0; i < n * d; i++) CHECK(fscanf(f, "%f", &Y[i]) == 1);
        CHECK_OK(ix_procrustes(X, Y, n, d, R));
        double orth = 0, obj = 0;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double s = 0;
                for (size_t t = 0; t < d; t++) s += (double)R[i * d + t] * R[j * d + t];
                s -= i == j;
                if (fabs(s) > orth) orth = fabs(s);
            }
        CHECK(orth < 1e-5);
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < d; i++) {
                double s = -(double)Y[r * d + i];
                for (size_t t = 0; t < d; t++) s += (double)X[r * d + t] * R[i * d + t];
                obj += s * s;
            }
        if (cs == 0) {
            double worst = 0;
            for (size_t i = 0; i < d * d; i++) {
                CHECK(fscanf(f, "%f", &E[i]) == 1);
                if (fabs(E[i] - R[i]) > worst) worst = fabs(E[i] - R[i]);
            }
            CHECK(worst < 1e-4);
        } else {
            double opt = 0;
            CHECK(fscanf(f, "%lf", &opt) == 1);
            CHECK(obj <= opt * (1 + 1e-4) + 1e-4);
        }
        free(X);
        free(Y);
        free(R);
        free(E);
    }
    fclose(f);
}

/* A file whose OPQ rotation has the wrong size, holds NaN or is missing (behind a valid
 * envelope) is EFORMAT; the intact one loads. */
TEST(test_opq_file_checks)
{
    const size_t n = 400, d = 8;
    float *x = clustered(n, d, 21);
    growth_index *a = NULL, *b = NULL;
    CHECK_OK(growth_index_create(&a, "dim=8 metric=l2 storage=pq pq_m=2 opq=1 iters=2 seed=1"));
    CHECK_OK(growth_index_add(a, x, n, NULL));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_index_serialize(a, &buf, &len));
    CHECK_OK(growth_index_deserialize(&b, buf, len));
    growth_index_free(b);
    for (int t = 0; t < 3; t++) {
        Growth__Index *m =
            growth__index__unpack(&gpb_allocator, len - GENV_HEADER_SIZE, buf + GENV_HEADER_SIZE);
        CHECK(m != NULL && m->opq_rotation.len == d * d * sizeof(float));
        if (!m) break;
        float nan = NAN;
        if (t == 0) m->opq_rotation.len -= 4;
        if (t == 1) memcpy(m->opq_rotation.data + 8, &nan, 4);
        if (t == 2) m->opq_rotation.len = 0;
        uint8_t *out = NULL;
        size_t olen = 0;
        CHECK_OK(genv_pack("test", GROWTH_KIND_INDEX, &m->base, &out, &olen));
        b = NULL;
        CHECK_RC(growth_index_deserialize(&b, out, olen), GROWTH_EFORMAT);
        CHECK(b == NULL);
        free(out);
        growth__index__free_unpacked(m, &gpb_allocator);
    }
    growth_buffer_free(buf);
    growth_index_free(a);
    free(x);
}

/* A stored configuration whose keys are each valid but do not go together (ix_new's cross-key
 * rules: rerank or quantize with the wrong storage, compressed storage with HNSW, opq without
 * pq, pq_m not dividing dim) is a damaged file, EFORMAT, not the EINVAL of growth_index_create
 * (found by the index fuzzer, tests/fuzz/regressions/fuzz_index-rerank-with-float-storage). */
TEST(test_stored_config_cross_keys)
{
    const size_t n = 40, d = 8;
    float *x = clustered(n, d, 23);
    growth_index *a = NULL, *b = NULL;
    CHECK_OK(growth_index_create(&a, "dim=8"));
    CHECK_OK(growth_index_add(a, x, n, NULL));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_index_serialize(a, &buf, &len));
    static const char *const bad[] = {
        "dim=8 rerank=8 storage=float", "dim=8 quantize=int8 storage=fp16", "dim=8 kind=hnsw storage=fp16",
        "dim=8 opq=1 storage=float",    "dim=8 storage=pq pq_m=3",
    };
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        growth_index *c = NULL;
        CHECK_RC(growth_index_create(&c, bad[t]), GROWTH_EINVAL); /* as a caller's configuration */
        uint8_t *out = NULL;
        size_t olen = 0;
        CHECK_OK(gt_with_config(buf, len, &growth__index__descriptor, bad[t], &out, &olen));
        if (!out) break;
        b = NULL;
        CHECK_RC(growth_index_deserialize(&b, out, olen), GROWTH_EFORMAT);
        CHECK_MSG("stored configuration is invalid");
        CHECK(b == NULL);
        free(out);
    }
    growth_buffer_free(buf);
    growth_index_free(a);
    free(x);
}

int main(void)
{
    RUN(test_opq_procrustes_numpy);
    RUN(test_opq_file_checks);
    RUN(test_stored_config_cross_keys);
    RUN(test_create_and_config);
    RUN(test_flat_exact);
    RUN(test_filters);
    RUN(test_filter_promise);
    RUN(test_bad_input_leaves_index_usable);
    RUN(test_k_larger_than_n_and_padding);
    RUN(test_hnsw_ivf_int8_recall);
    RUN(test_ivf_batch_matches_single);
    RUN(test_remove_and_compact);
    RUN(test_dedup_and_mmr);
    RUN(test_save_load_roundtrip);
    RUN(test_corrupted_files);
    RUN(test_progress_and_cancel);
    return GT_SUMMARY();
}
