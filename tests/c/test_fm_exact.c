/* FM/FFM table=exact: equivalence with a hashed model when there are no collisions (same seeded
 * factors: bit-identical progressive and final predictions, FM and FFM, one and two heads),
 * admission after N occurrences and with probability p against exact counting, expiry against
 * exact last-update bookkeeping, the memory cap with LRU eviction, the uint32 API on an exact
 * model, save / load / serialize round trips (and continued training), bad input. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "fm.pb-c.h"
#include "growth/growth.h"
#include "gtest.h"

static growth_fm_stats stats_of(const growth_fm *m)
{
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    growth_fm_stats_get(m, &st);
    return st;
}

/* A stream: rows of `nnz` entries, entry j of field j, key drawn from `vocab` values per field
 * (Zipf-ish: a squared uniform), label from a planted logit. Keys are below 2^16 so that a
 * hashed model with bits=16 has no collisions. */
typedef struct {
    uint64_t keys[8];
    uint32_t idx[8];
    uint8_t fld[8];
    float val[8];
    float y;
} row_t;

static void make_row(grng *r, int nnz, uint32_t vocab, bool values, row_t *out)
{
    float logit = -0.5f;
    for (int j = 0; j < nnz; j++) {
        double u = grng_uniform(r);
        uint32_t v = (uint32_t)(u * u * vocab);
        uint32_t key = (uint32_t)j * vocab + v; /* distinct across fields, < 2^16 for vocab <= 8000 */
        out->keys[j] = key;
        out->idx[j] = key;
        out->fld[j] = (uint8_t)j;
        out->val[j] = values ? (float)(0.5 + grng_uniform(r)) : 1.0f;
        logit += ((key * 2654435761u) >> 28) / 8.0f - 1.0f;
    }
    out->y = grng_uniform(r) < 1.0 / (1.0 + exp(-logit)) ? 1.0f : 0.0f;
}

static void check_equivalent(const char *cfg_hashed, const char *cfg_exact, int nnz, bool values, int heads)
{
    growth_fm *h = NULL, *x = NULL;
    /* an exact model predicts a feature without a record as 0: a hashed model with unseen=zero */
    char hc[256];
    snprintf(hc, sizeof hc, "%s unseen=zero", cfg_hashed);
    CHECK_OK(growth_fm_create(&h, hc));
    CHECK_OK(growth_fm_create(&x, cfg_exact));
    if (!h || !x) return;
    grng r;
    grng_seed(&r, 7);
    int diff = 0;
    for (int i = 0; i < 3000; i++) {
        row_t row;
        make_row(&r, nnz, 800, values, &row);
        float labels[2] = {row.y, (i % 3) ? GROWTH_LABEL_MISSING : 1.0f - row.y};
        float ph[2], px[2];
        CHECK_OK(growth_fm_predict_update(h, row.idx, row.fld, values ? row.val : NULL, (size_t)nnz, labels,
                                          1.0f, ph, 2));
        CHECK_OK(growth_fm_update_keys(x, row.keys, row.fld, values ? row.val : NULL, (size_t)nnz, labels,
                                       1.0f, px, 2));
        for (int k = 0; k < heads; k++) diff += ph[k] != px[k];
    }
    CHECK(diff == 0);
    /* final predictions, weights and factors */
    for (int i = 0; i < 200; i++) {
        row_t row;
        make_row(&r, nnz, 800, values, &row);
        float ph[2], px[2];
        CHECK_OK(growth_fm_predict(h, row.idx, row.fld, values ? row.val : NULL, (size_t)nnz, 0, ph, 2));
        CHECK_OK(
            growth_fm_predict_keys(x, row.keys, row.fld, values ? row.val : NULL, (size_t)nnz, 0, px, 2));
        for (int k = 0; k < heads; k++) diff += ph[k] != px[k];
        float wh, wx, fh[8], fx[8];
        CHECK_OK(growth_fm_weight(h, 0, row.idx[0], &wh));
        CHECK_OK(growth_fm_weight_key(x, 0, row.keys[0], &wx));
        diff += wh != wx;
        CHECK_OK(growth_fm_factors(h, row.idx[1], 0, fh, 8, NULL));
        CHECK_OK(growth_fm_factors_key(x, row.keys[1], 0, fx, 8, NULL));
        diff += memcmp(fh, fx, 4 * sizeof(float)) != 0;
    }
    CHECK(diff == 0);
    growth_fm_stats sh = stats_of(h), sx = stats_of(x);
    CHECK(sh.examples == sx.examples);
    CHECK(sh.touched == sx.touched);
    CHECK(sx.live >= sx.touched);
    CHECK(sx.admitted == sx.live);
    CHECK(sx.evicted == 0 && sx.expired == 0);
    CHECK(sh.live == sh.touched && sh.table_bytes == sh.bytes);
    growth_fm_free(h);
    growth_fm_free(x);
}

TEST(test_equivalent_to_hashed_without_collisions)
{
    check_equivalent("model=ffm fields=4 k=4 bits=16", "model=ffm fields=4 k=4 bits=16 table=exact", 4, false,
                     1);
    check_equivalent("model=ffm fields=5 k=6 bits=16 heads=2",
                     "model=ffm fields=5 k=6 bits=16 heads=2 table=exact", 5, true, 2);
    check_equivalent("model=fm k=8 bits=16", "model=fm k=8 bits=16 table=exact", 6, true, 1);
    check_equivalent("model=fm k=4 bits=16 precision=compact normalize=false",
                     "model=fm k=4 bits=16 precision=compact normalize=false table=exact", 5, false, 1);
}

/* Admission after N occurrences: exact counting of each key's occurrences before its record. */
TEST(test_admission_after_n)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=3 k=4 bits=16 table=exact admit=3 admit_sketch=1048576"));
    if (!m) return;
    enum { NK = 3000 };
    static unsigned count[NK * 3];
    memset(count, 0, sizeof count);
    grng r;
    grng_seed(&r, 11);
    uint64_t admitted = 0;
    for (int i = 0; i < 4000; i++) {
        uint64_t keys[3];
        uint8_t fld[3] = {0, 1, 2};
        for (int j = 0; j < 3; j++) {
            double u = grng_uniform(&r);
            keys[j] = (uint64_t)j * NK + (uint64_t)(u * u * u * NK);
        }
        for (int j = 0; j < 3; j++)
            if (++count[keys[j]] == 3) admitted++;
        float y = (float)(i & 1);
        CHECK_OK(growth_fm_update_keys(m, keys, fld, NULL, 3, &y, 1.0f, NULL, 0));
    }
    growth_fm_stats st = stats_of(m);
    CHECK(st.admitted == admitted);
    CHECK(st.live == admitted);
    /* a key seen fewer than 3 times has no record: weight 0, factors 0, and it adds nothing */
    int checked = 0;
    for (uint64_t k = 0; k < NK * 3 && checked < 50; k++) {
        if (count[k] == 0 || count[k] >= 3) continue;
        float w = 1, f[4] = {1, 1, 1, 1};
        CHECK_OK(growth_fm_weight_key(m, 0, k, &w));
        CHECK_OK(growth_fm_factors_key(m, k, 1, f, 4, NULL));
        CHECK(w == 0.0f && f[0] == 0.0f && f[3] == 0.0f);
        checked++;
    }
    CHECK(checked == 50);
    growth_fm_free(m);

    /* admit_prob: with a seed, each new key's first occurrence admits it with probability p */
    CHECK_OK(growth_fm_create(&m, "model=fm k=4 bits=18 table=exact admit_prob=0.25 seed=3"));
    if (!m) return;
    for (uint64_t i = 0; i < 20000; i++) {
        uint64_t key = 1000003 * i + 17;
        float y = 1;
        CHECK_OK(growth_fm_update_keys(m, &key, NULL, NULL, 1, &y, 1.0f, NULL, 0));
    }
    st = stats_of(m);
    CHECK(st.admitted > 4700 && st.admitted < 5300); /* 5000 +- 5 sd */
    growth_fm_free(m);
}

/* Expiry after N examples: exact bookkeeping of each key's last update. */
TEST(test_expiry)
{
    growth_fm *m = NULL;
    const uint64_t E = 500;
    CHECK_OK(growth_fm_create(&m, "model=fm k=4 bits=16 table=exact expire=500"));
    if (!m) return;
    static uint64_t last[1 << 17];
    for (size_t i = 0; i < (1 << 17); i++) last[i] = UINT64_MAX;
    grng r;
    grng_seed(&r, 5);
    uint64_t n = 0;
    for (uint64_t i = 0; i < 20000; i++) {
        /* a recurring key (0), a slowly recurring one (1: every 700 examples, beyond expiry) and one-offs */
        uint64_t keys[3] = {0, (i % 700 == 0) ? 1 : 2 + i, 100000 + grng_below(&r, 1 << 14)};
        float y = (float)(grng_uniform(&r) < 0.3);
        float p;
        CHECK_OK(growth_fm_update_keys(m, keys, NULL, NULL, 3, &y, 1.0f, &p, 1));
        for (int j = 0; j < 3; j++) last[keys[j]] = n;
        n++;
    }
    /* the reference: live = keys whose last update is within E examples */
    uint64_t live_ref = 0;
    for (size_t k = 0; k < (1 << 17); k++)
        if (last[k] != UINT64_MAX && n - last[k] <= E) live_ref++;
    growth_fm_stats st = stats_of(m);
    CHECK(st.expired > 10000);
    CHECK(st.live >= live_ref);
    CHECK(st.live < live_ref + 600); /* unswept expired records: the sweep is gradual */
    /* key 0 is live; key 1 (last seen at example 19600, 400 ago) is live; key 2 + 19000 expired */
    float w;
    float f[4];
    CHECK_OK(growth_fm_factors_key(m, 0, 0, f, 4, NULL));
    CHECK(f[0] != 0.0f);
    CHECK_OK(growth_fm_factors_key(m, 2 + 19000, 0, f, 4, NULL));
    CHECK(f[0] == 0.0f && f[1] == 0.0f);
    CHECK_OK(growth_fm_weight_key(m, 0, 2 + 19000, &w));
    CHECK(w == 0.0f);
    /* a returning expired key starts afresh: its factors after one step equal a new model's */
    growth_fm *fresh = NULL;
    CHECK_OK(growth_fm_create(&fresh, "model=fm k=4 bits=16 table=exact"));
    uint64_t kk[1] = {2 + 100}; /* expired long ago */
    float y = 1, f1[4], f2[4];
    CHECK_OK(growth_fm_update_keys(m, kk, NULL, NULL, 1, &y, 1.0f, NULL, 0));
    CHECK_OK(growth_fm_update_keys(fresh, kk, NULL, NULL, 1, &y, 1.0f, NULL, 0));
    CHECK_OK(growth_fm_factors_key(m, kk[0], 0, f1, 4, NULL));
    CHECK_OK(growth_fm_factors_key(fresh, kk[0], 0, f2, 4, NULL));
    CHECK(memcmp(f1, f2, sizeof f1) == 0);
    growth_fm_free(fresh);
    growth_fm_free(m);

    CHECK_OK(growth_fm_create(&m, "model=fm k=4 bits=16 table=exact expire_seconds=3600"));
    uint64_t key = 42;
    CHECK_OK(growth_fm_update_keys(m, &key, NULL, NULL, 1, &y, 1.0f, NULL, 0));
    CHECK(stats_of(m).live == 1 && stats_of(m).expired == 0);
    growth_fm_free(m);
}

/* The memory cap: one-off keys stream through; the table stays under max_memory, the least
 * recently updated features go, recurring ones stay. Also 2^bits bounds the live features. */
TEST(test_memory_cap_lru)
{
    const int64_t cap = 4 << 20;
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=4 k=4 bits=24 table=exact max_memory=4194304"));
    if (!m) return;
    grng r;
    grng_seed(&r, 9);
    uint64_t max_bytes = 0;
    for (uint64_t i = 0; i < 60000; i++) {
        uint64_t keys[4] = {i % 10, 1000 + i % 50, (grng_next(&r) | 1) << 1, (grng_next(&r) | 1) << 1};
        uint8_t fld[4] = {0, 1, 2, 3};
        float y = (float)(i % 3 == 0);
        CHECK_OK(growth_fm_update_keys(m, keys, fld, NULL, 4, &y, 1.0f, NULL, 0));
        if (i % 1000 == 0) {
            growth_fm_stats st = stats_of(m);
            if (st.bytes > max_bytes) max_bytes = st.bytes;
        }
    }
    growth_fm_stats st = stats_of(m);
    CHECK(st.evicted > 50000);
    CHECK(st.bytes <= (uint64_t)cap && max_bytes <= (uint64_t)cap);
    CHECK(st.live + st.evicted == st.admitted);
    for (uint64_t k = 0; k < 10; k++) {
        float f[4];
        CHECK_OK(growth_fm_factors_key(m, k, 1, f, 4, NULL));
        CHECK(f[0] != 0.0f); /* recurring: never the least recently used */
    }
    growth_fm_free(m);

    /* bits=8: at most 240 features live (2^8 less the headroom for slots awaiting reuse) */
    CHECK_OK(growth_fm_create(&m, "model=fm k=4 bits=8 table=exact"));
    for (uint64_t i = 0; i < 5000; i++) {
        uint64_t keys[2] = {7, 100 + i};
        float y = 1;
        CHECK_OK(growth_fm_update_keys(m, keys, NULL, NULL, 2, &y, 1.0f, NULL, 0));
    }
    st = stats_of(m);
    CHECK(st.live <= 240 && st.live > 200); /* 2^8 - 1 usable, less 1/16 headroom */
    CHECK(st.evicted > 4000);
    float f[4];
    CHECK_OK(growth_fm_factors_key(m, 7, 0, f, 4, NULL));
    CHECK(f[0] != 0.0f);
    growth_fm_free(m);

    CHECK_RC(growth_fm_create(&m, "model=fm k=4 table=exact max_memory=100000"), GROWTH_ENOMEM);
}

/* The uint32 API on an exact model: idx values are keys (any value, not only below 2^bits). */
TEST(test_uint32_api_on_exact)
{
    growth_fm *a = NULL, *b = NULL;
    CHECK_OK(growth_fm_create(&a, "model=ffm fields=2 k=4 bits=10 table=exact l1=0"));
    CHECK_OK(growth_fm_create(&b, "model=ffm fields=2 k=4 bits=10 table=exact l1=0"));
    if (!a || !b) return;
    uint64_t indptr[4] = {0, 2, 4, 6};
    uint32_t idx[6] = {5, 4000000000u, 7, 4000000000u, 5, 123456};
    uint64_t keys[6] = {5, 4000000000u, 7, 4000000000u, 5, 123456};
    uint8_t fld[6] = {0, 1, 0, 1, 0, 1};
    float y[3] = {1, 0, 1}, pa[3], pb[3];
    CHECK_OK(growth_fm_update_csr(a, indptr, idx, fld, NULL, 3, y, NULL, pa, 3));
    for (int rr = 0; rr < 3; rr++)
        CHECK_OK(growth_fm_update_keys(b, keys + 2 * rr, fld + 2 * rr, NULL, 2, &y[rr], 1.0f, &pb[rr], 1));
    CHECK(memcmp(pa, pb, sizeof pa) == 0);
    CHECK_OK(growth_fm_predict_csr(a, indptr, idx, fld, NULL, 3, 0, pa, 3));
    for (int rr = 0; rr < 3; rr++)
        CHECK_OK(growth_fm_predict_keys(b, keys + 2 * rr, fld + 2 * rr, NULL, 2, 0, &pb[rr], 1));
    CHECK(memcmp(pa, pb, sizeof pa) == 0);
    float w1, w2;
    CHECK_OK(growth_fm_weight(a, 0, 123456, &w1));
    CHECK_OK(growth_fm_weight_key(b, 0, 123456, &w2));
    CHECK(w1 == w2 && w1 != 0.0f);
    growth_fm_free(a);
    growth_fm_free(b);
}

/* CSR batches of key rows: the same as row-by-row calls, on an exact and on a hashed model. */
TEST(test_key_csr_batches)
{
    const char *cfgs[2] = {"model=ffm fields=4 k=4 bits=12 table=exact admit=2 expire=500",
                           "model=ffm fields=4 k=4 bits=12"};
    for (int c = 0; c < 2; c++) {
        growth_fm *a = NULL, *b = NULL;
        CHECK_OK(growth_fm_create(&a, cfgs[c]));
        CHECK_OK(growth_fm_create(&b, cfgs[c]));
        if (!a || !b) return;
        enum { R = 600 };
        static uint64_t keys[R * 4], indptr[R + 1];
        static uint8_t fld[R * 4];
        static float val[R * 4], y[R], w[R], pa[R], pb[R];
        grng r;
        grng_seed(&r, 21);
        for (int i = 0; i < R; i++) {
            row_t row;
            make_row(&r, 4, 800, true, &row);
            memcpy(keys + 4 * i, row.keys, sizeof row.keys[0] * 4);
            memcpy(fld + 4 * i, row.fld, 4);
            memcpy(val + 4 * i, row.val, 4 * sizeof(float));
            y[i] = row.y;
            w[i] = (float)(i % 3);
            indptr[i + 1] = (uint64_t)(4 * (i + 1)) - (uint64_t)(i % 5 == 0); /* some rows of 3 */
        }
        indptr[0] = 0;
        CHECK_OK(growth_fm_update_keys_csr(a, indptr, keys, fld, val, R, y, w, pa, R));
        for (int i = 0; i < R; i++)
            CHECK_OK(growth_fm_update_keys(b, keys + indptr[i], fld + indptr[i], val + indptr[i],
                                           (size_t)(indptr[i + 1] - indptr[i]), &y[i], w[i], &pb[i], 1));
        CHECK(memcmp(pa, pb, sizeof pa) == 0);
        CHECK_OK(growth_fm_predict_keys_csr(a, indptr, keys, fld, val, R, GROWTH_PREDICT_MARGIN, pa, R));
        for (int i = 0; i < R; i++)
            CHECK_OK(growth_fm_predict_keys(b, keys + indptr[i], fld + indptr[i], val + indptr[i],
                                            (size_t)(indptr[i + 1] - indptr[i]), GROWTH_PREDICT_MARGIN,
                                            &pb[i], 1));
        CHECK(memcmp(pa, pb, sizeof pa) == 0);
        CHECK_OK(growth_fm_update_keys_csr(a, indptr, keys, fld, val, 0, NULL, NULL, NULL, 0));
        CHECK_OK(growth_fm_predict_keys_csr(a, indptr, keys, fld, val, 0, 0, NULL, 0));
        growth_fm_free(a);
        growth_fm_free(b);
    }
}

static void predict_many(const growth_fm *m, int seed, float *out, int n)
{
    grng r;
    grng_seed(&r, (uint64_t)seed);
    for (int i = 0; i < n; i++) {
        row_t row;
        make_row(&r, 4, 800, true, &row);
        growth_fm_predict_keys(m, row.keys, row.fld, row.val, 4, 0, &out[i], 1);
    }
}

static void train_some(growth_fm *m, int seed, int n)
{
    grng r;
    grng_seed(&r, (uint64_t)seed);
    for (int i = 0; i < n; i++) {
        row_t row;
        make_row(&r, 4, 800, true, &row);
        growth_fm_update_keys(m, row.keys, row.fld, row.val, 4, &row.y, 1.0f, NULL, 0);
    }
}

TEST(test_save_load_round_trip)
{
    growth_fm *m = NULL, *l = NULL, *d = NULL;
    /* (the generator is not saved, as growth_ftrl's: continued training is exact without
     * admit_prob; admit=N's sketch is saved: test_resume_continues_admission) */
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* serialised bytes compare across saves */
    const char *cfg = "model=ffm fields=4 k=4 bits=12 table=exact expire=3000";
    CHECK_OK(growth_fm_create(&m, cfg));
    if (!m) return;
    train_some(m, 1, 8000);
    char dir[512], path[600];
    const char *tmp = getenv("GROWTH_TEST_TMPDIR");
    snprintf(dir, sizeof dir, "%s", tmp ? tmp : "/tmp");
    snprintf(path, sizeof path, "%s/fm_exact.model", dir);
    CHECK_OK(growth_fm_save(m, path));
    CHECK_OK(growth_fm_load(&l, path));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_fm_serialize(m, &buf, &len));
    CHECK_OK(growth_fm_deserialize(&d, buf, len));
    if (!l || !d) return;
    float pm[300], pl[300], pd[300];
    predict_many(m, 2, pm, 300);
    predict_many(l, 2, pl, 300);
    predict_many(d, 2, pd, 300);
    CHECK(memcmp(pm, pl, sizeof pm) == 0);
    CHECK(memcmp(pm, pd, sizeof pm) == 0);
    growth_fm_stats sm = stats_of(m), sl = stats_of(l);
    CHECK(sm.live == sl.live && sm.touched == sl.touched && sm.examples == sl.examples);
    char c1[2048], c2[2048];
    CHECK_OK(growth_fm_config(m, c1, sizeof c1, NULL));
    CHECK_OK(growth_fm_config(l, c2, sizeof c2, NULL));
    CHECK(strcmp(c1, c2) == 0);
    CHECK(strstr(c1, "table=exact") != NULL);
    /* the same bytes again from the loaded model, and training continues alike */
    uint8_t *buf2 = NULL;
    size_t len2 = 0;
    CHECK_OK(growth_fm_serialize(l, &buf2, &len2));
    CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
    train_some(m, 3, 4000);
    train_some(l, 3, 4000);
    predict_many(m, 4, pm, 300);
    predict_many(l, 4, pl, 300);
    CHECK(memcmp(pm, pl, sizeof pm) == 0);
    growth_buffer_free(buf);
    growth_buffer_free(buf2);
    unlink(path);
    /* with admission and eviction (bits=11: at most 1919 features live): the loaded model predicts alike */
    growth_fm *e = NULL, *el = NULL;
    CHECK_OK(growth_fm_create(&e, "model=ffm fields=4 k=4 bits=11 table=exact admit=2"));
    if (e) {
        train_some(e, 5, 8000);
        CHECK(stats_of(e).evicted > 0);
        CHECK_OK(growth_fm_serialize(e, &buf, &len));
        CHECK_OK(growth_fm_deserialize(&el, buf, len));
        growth_buffer_free(buf);
        if (el) {
            predict_many(e, 6, pm, 300);
            predict_many(el, 6, pl, 300);
            CHECK(memcmp(pm, pl, sizeof pm) == 0);
            CHECK(stats_of(e).live == stats_of(el).live);
        }
        growth_fm_free(e);
        growth_fm_free(el);
    }
    growth_fm_free(m);
    growth_fm_free(l);
    growth_fm_free(d);
}

/* ---- growth_fm_fit and ESMM on table=exact ------------------------------------------------- */

typedef struct {
    uint64_t *indptr;
    uint32_t *idx;
    uint8_t *fld;
    float *val, *y;
    size_t n;
} dataset;

static void make_set(dataset *d, uint64_t seed, size_t n, int nnz, int heads)
{
    grng r;
    grng_seed(&r, seed);
    d->n = n;
    d->indptr = malloc((n + 1) * sizeof *d->indptr);
    d->idx = malloc(n * (size_t)nnz * sizeof *d->idx);
    d->fld = malloc(n * (size_t)nnz);
    d->val = malloc(n * (size_t)nnz * sizeof *d->val);
    d->y = malloc(n * (size_t)heads * sizeof *d->y);
    d->indptr[0] = 0;
    for (size_t i = 0; i < n; i++) {
        row_t row;
        make_row(&r, nnz, 300, true, &row);
        memcpy(d->idx + i * (size_t)nnz, row.idx, (size_t)nnz * sizeof *row.idx);
        memcpy(d->fld + i * (size_t)nnz, row.fld, (size_t)nnz);
        memcpy(d->val + i * (size_t)nnz, row.val, (size_t)nnz * sizeof *row.val);
        for (int h = 0; h < heads; h++) d->y[i * (size_t)heads + (size_t)h] = h ? 1.0f - row.y : row.y;
        d->indptr[i + 1] = (i + 1) * (size_t)nnz;
    }
}

static void free_set(dataset *d) { free(d->indptr), free(d->idx), free(d->fld), free(d->val), free(d->y); }

static growth_fm_data data_of(const dataset *d)
{
    growth_fm_data g = GROWTH_FM_DATA_INIT;
    g.nrows = d->n;
    g.indptr = d->indptr;
    g.indices = d->idx;
    g.fields = d->fld;
    g.values = d->val;
    g.labels = d->y;
    return g;
}

/* Differences between a hashed model h and an exact model x on the rows of d (predictions of
 * every head, linear weights, factors). */
static int model_diff(const growth_fm *h, const growth_fm *x, const dataset *d, int nnz, int heads)
{
    int diff = 0;
    for (size_t i = 0; i < d->n; i++) {
        const uint32_t *idx = d->idx + i * (size_t)nnz;
        const uint8_t *fld = d->fld + i * (size_t)nnz;
        const float *val = d->val + i * (size_t)nnz;
        float ph[2], px[2];
        CHECK_OK(growth_fm_predict(h, idx, fld, val, (size_t)nnz, 0, ph, 2));
        CHECK_OK(growth_fm_predict(x, idx, fld, val, (size_t)nnz, 0, px, 2)); /* idx values as keys */
        for (int k = 0; k < heads; k++) diff += ph[k] != px[k];
        float wh, wx, fh[8], fx[8];
        CHECK_OK(growth_fm_weight(h, 0, idx[1], &wh));
        CHECK_OK(growth_fm_weight_key(x, 0, idx[1], &wx));
        diff += wh != wx;
        CHECK_OK(growth_fm_factors(h, idx[0], 0, fh, 8, NULL));
        CHECK_OK(growth_fm_factors_key(x, idx[0], 0, fx, 8, NULL));
        diff += memcmp(fh, fx, 4 * sizeof(float)) != 0;
    }
    return diff;
}

static int cancel_after(const char *stage, double done, void *user)
{
    (void)stage;
    return done >= *(const double *)user;
}

/* growth_fm_fit on table=exact equals the same fit of a hashed model with unseen=zero and no
 * collisions (keys < 2^16 = its slots), bit for bit: epochs, auto-stop (which restores the epoch
 * before, keyed table included), the fit result, predictions, weights and factors; a canceled
 * fit leaves the exact model as it was, its keyed table included. */
TEST(test_fit_on_exact)
{
    const char *cfgs[2][2] = {{"model=ffm fields=4 k=4 bits=16 unseen=zero eta=0.5",
                               "model=ffm fields=4 k=4 bits=16 table=exact eta=0.5"},
                              {"model=fm k=4 bits=16 heads=2 unseen=zero eta=0.5",
                               "model=fm k=4 bits=16 heads=2 table=exact eta=0.5"}};
    for (int c = 0; c < 2; c++) {
        const int heads = c ? 2 : 1;
        dataset tr, va;
        make_set(&tr, 1, 1500, 4, heads);
        make_set(&va, 2, 400, 4, heads);
        growth_fm_data dt = data_of(&tr), dv = data_of(&va);
        growth_fm *h = NULL, *x = NULL;
        CHECK_OK(growth_fm_create(&h, cfgs[c][0]));
        CHECK_OK(growth_fm_create(&x, cfgs[c][1]));
        if (!h || !x) return;
        growth_fm_fit_result rh = GROWTH_FM_FIT_RESULT_INIT, rx = GROWTH_FM_FIT_RESULT_INIT;
        CHECK_OK(growth_fm_fit(h, &dt, &dv, "epochs=40 seed=3", &rh));
        CHECK_OK(growth_fm_fit(x, &dt, &dv, "epochs=40 seed=3", &rx));
        printf("  %s: %llu epochs, best %llu, valid logloss %.5f\n", c ? "fm" : "ffm",
               (unsigned long long)rx.epochs, (unsigned long long)rx.best_epoch, rx.valid_logloss);
        CHECK(rh.epochs == rx.epochs && rh.best_epoch == rx.best_epoch);
        CHECK(rx.epochs == rx.best_epoch + 1); /* auto-stop undid an epoch */
        CHECK(rh.train_logloss == rx.train_logloss && rh.valid_logloss == rx.valid_logloss);
        CHECK(model_diff(h, x, &va, 4, heads) == 0);
        CHECK(model_diff(h, x, &tr, 4, heads) == 0);
        growth_fm_stats sh = stats_of(h), sx = stats_of(x);
        CHECK(sh.examples == sx.examples && sh.touched == sx.touched && sx.live == sx.admitted);
        /* online training after the fit stays equal */
        for (size_t i = 0; i < 300; i++) {
            float ph[2], px[2];
            CHECK_OK(growth_fm_predict_update(h, va.idx + i * 4, va.fld + i * 4, va.val + i * 4, 4,
                                              va.y + i * (size_t)heads, 1.0f, ph, 2));
            CHECK_OK(growth_fm_update_keys(
                x, (uint64_t[]){va.idx[i * 4], va.idx[i * 4 + 1], va.idx[i * 4 + 2], va.idx[i * 4 + 3]},
                va.fld + i * 4, va.val + i * 4, 4, va.y + i * (size_t)heads, 1.0f, px, 2));
            for (int k = 0; k < heads; k++) CHECK(ph[k] == px[k]);
        }
        /* a canceled fit (with admission and expiry at work) leaves the model as it was */
        growth_fm *a = NULL;
        char acfg[160];
        snprintf(acfg, sizeof acfg, "%s admit=2 admit_sketch=65536 expire=700", cfgs[c][1]);
        CHECK_OK(growth_fm_create(&a, acfg));
        CHECK_OK(growth_fm_fit(a, &dt, NULL, "epochs=2", NULL));
        growth_fm_stats before = stats_of(a);
        float *p0 = malloc(va.n * 2 * sizeof *p0), *p1 = malloc(va.n * 2 * sizeof *p1);
        CHECK_OK(growth_fm_predict_csr(a, va.indptr, va.idx, va.fld, va.val, va.n, 0, p0, va.n * 2));
        double stop_at = 0.6;
        CHECK_OK(growth_fm_set_progress(a, cancel_after, &stop_at));
        CHECK(growth_fm_fit(a, &dt, &dv, "epochs=5 auto_stop=false", NULL) == GROWTH_ECANCELED);
        CHECK_OK(growth_fm_predict_csr(a, va.indptr, va.idx, va.fld, va.val, va.n, 0, p1, va.n * 2));
        CHECK(memcmp(p0, p1, va.n * (size_t)heads * sizeof *p0) == 0);
        growth_fm_stats after = stats_of(a);
        CHECK(after.live == before.live && after.admitted == before.admitted &&
              after.expired == before.expired && after.examples == before.examples &&
              after.touched == before.touched && after.table_bytes == before.table_bytes);
        /* and trains on as the same model never canceled would */
        growth_fm *b = NULL;
        CHECK_OK(growth_fm_create(&b, acfg));
        CHECK_OK(growth_fm_fit(b, &dt, NULL, "epochs=2", NULL));
        CHECK_OK(growth_fm_set_progress(a, NULL, NULL));
        CHECK_OK(growth_fm_fit(a, &dt, NULL, "epochs=1 seed=9", NULL));
        CHECK_OK(growth_fm_fit(b, &dt, NULL, "epochs=1 seed=9", NULL));
        CHECK_OK(growth_fm_predict_csr(a, va.indptr, va.idx, va.fld, va.val, va.n, 0, p0, va.n * 2));
        CHECK_OK(growth_fm_predict_csr(b, va.indptr, va.idx, va.fld, va.val, va.n, 0, p1, va.n * 2));
        CHECK(memcmp(p0, p1, va.n * (size_t)heads * sizeof *p0) == 0);
        CHECK(stats_of(a).live == stats_of(b).live);
        free(p0), free(p1);
        growth_fm_free(a);
        growth_fm_free(b);
        growth_fm_free(h);
        growth_fm_free(x);
        free_set(&tr);
        free_set(&va);
    }
}

/* ESMM on table=exact equals ESMM on a hashed unseen=zero model without collisions, bit for bit. */
TEST(test_esmm_on_exact)
{
    const char *cfgs[2][2] = {{"model=ffm fields=4 k=4 bits=16 heads=2 unseen=zero",
                               "model=ffm fields=4 k=4 bits=16 heads=2 table=exact"},
                              {"model=fm k=4 bits=16 heads=3 unseen=zero precision=compact",
                               "model=fm k=4 bits=16 heads=3 table=exact precision=compact"}};
    for (int c = 0; c < 2; c++) {
        growth_fm *h = NULL, *x = NULL;
        CHECK_OK(growth_fm_create(&h, cfgs[c][0]));
        CHECK_OK(growth_fm_create(&x, cfgs[c][1]));
        if (!h || !x) return;
        grng r;
        grng_seed(&r, 17);
        int diff = 0;
        size_t cvr = c ? 2 : 1;
        for (int i = 0; i < 3000; i++) {
            row_t row;
            make_row(&r, 4, 800, true, &row);
            float click = row.y, conv = click > 0 && grng_uniform(&r) < 0.3 ? 1.0f : 0.0f;
            float oh[3], ox[3];
            CHECK_OK(growth_fm_esmm_predict(h, 0, cvr, row.idx, row.fld, row.val, 4, oh, 3));
            CHECK_OK(growth_fm_esmm_predict(x, 0, cvr, row.idx, row.fld, row.val, 4, ox, 3));
            diff += memcmp(oh, ox, sizeof oh) != 0;
            CHECK_OK(growth_fm_esmm_update(h, 0, cvr, row.idx, row.fld, row.val, 4, click, conv, 1.0f));
            CHECK_OK(growth_fm_esmm_update(x, 0, cvr, row.idx, row.fld, row.val, 4, click, conv, 1.0f));
        }
        CHECK(diff == 0);
        growth_fm_stats sh = stats_of(h), sx = stats_of(x);
        CHECK(sh.examples == sx.examples && sh.touched == sx.touched && sx.live > 0);
        growth_fm_free(h);
        growth_fm_free(x);
    }
    /* admission applies: a key seen once with admit=2 has no record after one ESMM update */
    growth_fm *x = NULL;
    CHECK_OK(growth_fm_create(&x, "model=fm k=4 bits=10 heads=2 table=exact admit=2 admit_sketch=65536"));
    uint32_t key = 777;
    CHECK_OK(growth_fm_esmm_update(x, 0, 1, &key, NULL, NULL, 1, 1.0f, 1.0f, 1.0f));
    CHECK(stats_of(x).live == 0);
    CHECK_OK(growth_fm_esmm_update(x, 0, 1, &key, NULL, NULL, 1, 1.0f, 0.0f, 1.0f));
    CHECK(stats_of(x).live == 1);
    growth_fm_free(x);
}

/* ---- the admission sketch in the file ------------------------------------------------------ */

/* Serialises m, lets edit() change the decoded FmState, re-packs it in a valid envelope and
 * deserialises that. */
static int reload_edited(const growth_fm *m, void (*edit)(Growth__FmState *), growth_fm **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (growth_fm_serialize(m, &buf, &len) != GROWTH_OK) return -100;
    Growth__FmState *msg =
        growth__fm_state__unpack(&gpb_allocator, len - GENV_HEADER_SIZE, buf + GENV_HEADER_SIZE);
    growth_buffer_free(buf);
    if (!msg) return -101;
    ProtobufCBinaryData orig = msg->admit_sketch;
    edit(msg);
    size_t plen = growth__fm_state__get_packed_size(msg);
    uint8_t *pl = malloc(GENV_HEADER_SIZE + plen);
    growth__fm_state__pack(msg, pl + GENV_HEADER_SIZE);
    msg->admit_sketch = orig;
    genv_header(pl, GROWTH_KIND_FM, pl + GENV_HEADER_SIZE, plen);
    growth__fm_state__free_unpacked(msg, &gpb_allocator);
    *out = NULL;
    int rc = growth_fm_deserialize(out, pl, GENV_HEADER_SIZE + plen);
    free(pl);
    return rc;
}

static void edit_none(Growth__FmState *msg) { (void)msg; }
static void edit_drop_sketch(Growth__FmState *msg)
{
    msg->admit_sketch.len = 0;
    msg->admit_sketch_cursor = 0;
    msg->admit_sketch_aging = 0;
}
static void edit_truncate_sketch(Growth__FmState *msg) { msg->admit_sketch.len /= 2; }
static void edit_cursor_out_of_range(Growth__FmState *msg) { msg->admit_sketch_cursor = UINT64_MAX; }
static void edit_add_sketch(Growth__FmState *msg)
{
    static uint8_t counters[1024] = {1, 2, 3};
    msg->admit_sketch.data = counters;
    msg->admit_sketch.len = sizeof counters;
}

/* Resuming continues admission exactly (FM and FFM; sketch aging under way with
 * admit_sketch=1024); a key seen admit - 1 times before the save is admitted at its next
 * occurrence after the load; damaged sketches are refused; a file without one still loads. */
TEST(test_resume_continues_admission)
{
    const char *cfgs[2] = {"model=ffm fields=4 k=4 bits=14 table=exact admit=3 admit_sketch=1024",
                           "model=fm k=4 bits=14 table=exact admit=2 admit_sketch=1024"};
    for (int c = 0; c < 2; c++) {
        growth_fm *a = NULL, *b = NULL;
        CHECK_OK(growth_fm_create(&a, cfgs[c]));
        CHECK_OK(growth_fm_create(&b, cfgs[c]));
        grng r;
        grng_seed(&r, 5);
        int diff = 0;
        for (int i = 0; i < 2500 && a && b; i++) {
            if (i > 0 && i % 400 == 0) {
                uint8_t *buf = NULL;
                size_t len = 0;
                growth_fm *l = NULL;
                CHECK_OK(growth_fm_serialize(b, &buf, &len));
                CHECK_OK(growth_fm_deserialize(&l, buf, len));
                growth_buffer_free(buf);
                growth_fm_free(b);
                b = l;
                if (!b) break;
            }
            row_t row;
            make_row(&r, 4, 800, true, &row);
            float pa, pb;
            CHECK_OK(growth_fm_update_keys(a, row.keys, row.fld, row.val, 4, &row.y, 1.0f, &pa, 1));
            CHECK_OK(growth_fm_update_keys(b, row.keys, row.fld, row.val, 4, &row.y, 1.0f, &pb, 1));
            diff += pa != pb;
        }
        CHECK(diff == 0);
        CHECK(b && stats_of(a).live == stats_of(b).live && stats_of(a).live > 0);
        growth_fm_free(a);
        growth_fm_free(b);
    }
    /* The key seen admit - 1 times before a save is admitted at its next occurrence after it. */
    growth_fm *a = NULL, *b = NULL;
    CHECK_OK(growth_fm_create(&a, "model=ffm fields=4 k=4 bits=14 table=exact admit=3 admit_sketch=65536"));
    train_some(a, 3, 200);
    uint64_t key = 0x0123456789abcdefULL;
    uint8_t fld = 1;
    float one = 1.0f, w = 0;
    uint64_t live0 = stats_of(a).live;
    for (int k = 0; k < 2; k++) CHECK_OK(growth_fm_update_keys(a, &key, &fld, NULL, 1, &one, 1.0f, NULL, 0));
    CHECK_OK(growth_fm_weight_key(a, 0, key, &w));
    CHECK(w == 0.0f && stats_of(a).live == live0);
    CHECK(reload_edited(a, edit_none, &b) == GROWTH_OK && b);
    CHECK_OK(growth_fm_update_keys(b, &key, &fld, NULL, 1, &one, 1.0f, NULL, 0));
    CHECK_OK(growth_fm_weight_key(b, 0, key, &w));
    CHECK(stats_of(b).admitted == 1); /* it has a record now */
    growth_fm_free(b);
    b = NULL;
    CHECK(reload_edited(a, edit_drop_sketch, &b) == GROWTH_OK && b); /* a file written before 1.1 */
    CHECK_OK(growth_fm_update_keys(b, &key, &fld, NULL, 1, &one, 1.0f, NULL, 0));
    CHECK_OK(growth_fm_weight_key(b, 0, key, &w));
    CHECK(stats_of(b).admitted == 0);
    growth_fm_free(b);
    b = NULL;
    CHECK(reload_edited(a, edit_truncate_sketch, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "admission sketch holds 32768 counters") != NULL);
    CHECK(reload_edited(a, edit_cursor_out_of_range, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "aging cursor") != NULL);
    growth_fm_free(a);
    CHECK_OK(growth_fm_create(&a, "model=fm k=4 bits=10 table=exact"));
    train_some(a, 3, 20);
    CHECK(reload_edited(a, edit_add_sketch, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "the model has none") != NULL);
    growth_fm_free(a);
    CHECK_OK(growth_fm_create(&a, "model=fm k=4 bits=10"));
    train_some(a, 3, 20);
    CHECK(reload_edited(a, edit_add_sketch, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "hashed model's file holds an admission sketch") != NULL);
    growth_fm_free(a);
}

TEST(test_bad_input)
{
    growth_fm *m = NULL, *h = NULL;
    CHECK_RC(growth_fm_create(&m, "model=fm k=4 admit=2"), GROWTH_EINVAL);
    CHECK_RC(growth_fm_create(&m, "model=fm k=4 expire=10"), GROWTH_EINVAL);
    CHECK_RC(growth_fm_create(&m, "model=fm k=4 table=exact admit=0"), GROWTH_EINVAL);
    CHECK_RC(growth_fm_create(&m, "model=fm k=4 table=exact admit_prob=0"), GROWTH_EINVAL);
    CHECK_RC(growth_fm_create(&m, "model=fm k=4 table=cuckoo"), GROWTH_EINVAL);
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=2 k=4 bits=10 table=exact"));
    CHECK_OK(growth_fm_create(&h, "model=ffm fields=2 k=4 bits=10"));
    if (!m || !h) return;
    uint64_t keys[2] = {1, 2};
    uint8_t fld[2] = {0, 1}, badf[2] = {0, 2};
    float val[2] = {1, NAN}, y = 1, bad_y = 0.5f, out[2];
    growth_fm *mm[2] = {m, h};
    for (int i = 0; i < 2; i++) {
        growth_fm *x = mm[i];
        CHECK_RC(growth_fm_predict_keys(NULL, keys, fld, NULL, 2, 0, out, 1), GROWTH_EINVAL);
        CHECK_RC(growth_fm_predict_keys(x, NULL, fld, NULL, 2, 0, out, 1), GROWTH_EINVAL);
        CHECK_RC(growth_fm_predict_keys(x, keys, NULL, NULL, 2, 0, out, 1), GROWTH_EINVAL);
        CHECK_RC(growth_fm_predict_keys(x, keys, badf, NULL, 2, 0, out, 1), GROWTH_EINVAL);
        CHECK_RC(growth_fm_predict_keys(x, keys, fld, val, 2, 0, out, 1), GROWTH_EINVAL);
        CHECK_RC(growth_fm_predict_keys(x, keys, fld, NULL, 2, 0x100, out, 1), GROWTH_EINVAL);
        CHECK_RC(growth_fm_predict_keys(x, keys, fld, NULL, 2, 0, out, 0), GROWTH_EBUFS);
        CHECK_RC(growth_fm_predict_keys(x, keys, fld, NULL, 2, 0, NULL, 1), GROWTH_EINVAL);
        CHECK_RC(growth_fm_update_keys(x, keys, fld, NULL, 2, NULL, 1.0f, NULL, 0), GROWTH_EINVAL);
        CHECK_RC(growth_fm_update_keys(x, keys, fld, NULL, 2, &bad_y, 1.0f, NULL, 0), GROWTH_EINVAL);
        CHECK_RC(growth_fm_update_keys(x, keys, fld, NULL, 2, &y, NAN, NULL, 0), GROWTH_EINVAL);
        CHECK_RC(growth_fm_update_keys(x, keys, fld, NULL, 2, &y, -1.0f, NULL, 0), GROWTH_EINVAL);
        CHECK_RC(growth_fm_update_keys(x, keys, badf, NULL, 2, &y, 1.0f, NULL, 0), GROWTH_EINVAL);
        CHECK_RC(growth_fm_update_keys(x, keys, fld, NULL, 2, &y, 1.0f, out, 0), GROWTH_EBUFS);
        CHECK_RC(growth_fm_weight_key(x, 1, 5, out), GROWTH_EINVAL);
        CHECK_RC(growth_fm_weight_key(x, 0, 5, NULL), GROWTH_EINVAL);
        CHECK_RC(growth_fm_factors_key(x, 5, 2, out, 4, NULL), GROWTH_EINVAL);
        CHECK_RC(growth_fm_factors_key(x, 5, 0, out, 2, NULL), GROWTH_EBUFS);
        CHECK(stats_of(x).examples == 0); /* nothing trained by a failed call */
        CHECK_OK(growth_fm_predict_keys(x, NULL, NULL, NULL, 0, 0, out, 1));
    }
    /* growth_fm_fit and ESMM work on exact models (test_fit_on_exact, test_esmm_on_exact) and
     * check their input alike */
    CHECK_RC(growth_fm_esmm_predict(m, 0, 0, NULL, NULL, NULL, 0, out, 2), GROWTH_EBUFS);
    CHECK_RC(growth_fm_esmm_update(m, 0, 0, NULL, NULL, NULL, 0, 1.0f, 0.0f, 1.0f),
             GROWTH_EINVAL); /* one head */
    growth_fm_data d = GROWTH_FM_DATA_INIT;
    uint64_t ip[2] = {0, 0};
    d.nrows = 1;
    d.indptr = ip;
    d.labels = &y;
    CHECK_RC(growth_fm_fit(m, &d, NULL, "epochs=0", NULL), GROWTH_EINVAL);
    CHECK_RC(growth_fm_fit(m, &d, NULL, "auto_stop=true", NULL), GROWTH_EINVAL);
    /* a hashed model's file with keys, and an exact model's file without them */
    CHECK_OK(growth_fm_update_keys(m, keys, fld, NULL, 2, &y, 1.0f, NULL, 0));
    CHECK_OK(growth_fm_update_keys(h, keys, fld, NULL, 2, &y, 1.0f, NULL, 0));
    uint8_t *bx = NULL, *bh = NULL;
    size_t lx = 0, lh = 0;
    CHECK_OK(growth_fm_serialize(m, &bx, &lx));
    CHECK_OK(growth_fm_serialize(h, &bh, &lh));
    growth_fm_stats old = GROWTH_FM_STATS_INIT;
    old.struct_size = (uint32_t)offsetof(growth_fm_stats, live);
    CHECK_OK(growth_fm_stats_get(m, &old));
    CHECK(old.examples == 1);
    CHECK(old.live == 0); /* not written: beyond the caller's struct_size */
    growth_fm_stats tiny = GROWTH_FM_STATS_INIT;
    tiny.struct_size = (uint32_t)offsetof(growth_fm_stats, live) - 8;
    CHECK_RC(growth_fm_stats_get(m, &tiny), GROWTH_EINVAL);
    growth_buffer_free(bx);
    growth_buffer_free(bh);
    growth_fm_free(m);
    growth_fm_free(h);
}

_Static_assert(offsetof(growth_fm_stats, live) == 72, "1.0 growth_fm_stats ends at bytes_per_slot");
_Static_assert(offsetof(growth_fm_stats, table_bytes) == 104, "appended members");
_Static_assert(sizeof(growth_fm_stats) == 112, "growth_fm_stats size");

int main(void)
{
    RUN(test_equivalent_to_hashed_without_collisions);
    RUN(test_admission_after_n);
    RUN(test_expiry);
    RUN(test_memory_cap_lru);
    RUN(test_uint32_api_on_exact);
    RUN(test_key_csr_batches);
    RUN(test_save_load_round_trip);
    RUN(test_resume_continues_admission);
    RUN(test_fit_on_exact);
    RUN(test_esmm_on_exact);
    RUN(test_bad_input);
    return GT_SUMMARY();
}
