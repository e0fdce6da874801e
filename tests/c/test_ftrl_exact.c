/* FTRL table=exact: against a brute-force dictionary FTRL (a test-side transcription of
 * McMahan et al.'s Algorithm 1 over a key -> (z, n) map with the same admission and expiry
 * rules), admission after N occurrences, expiry freeing memory, the memory cap with LRU
 * eviction, collisions (exact beats bits=12), save/load, the uint32 API, bad input. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "ftrl.pb-c.h"
#include "growth/growth.h"
#include "gtest.h"

static growth_ftrl_stats stats_of(const growth_ftrl *m)
{
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
    growth_ftrl_stats_get(m, &st);
    return st;
}

/* ---- the reference: a dictionary of keys (linear search; small streams) -------------------- */

typedef struct {
    uint64_t key;
    float z, s;
    unsigned count; /* occurrences while without a record (admission) */
    bool live;      /* has a record */
    uint64_t stamp; /* example index of the last update */
} ref_ent;

typedef struct {
    ref_ent *e;
    size_t n, cap;
    float alpha, beta, l1, l2;
    float bz, bs;
    unsigned admit;
    uint64_t expire, examples;
} ref_model;

static ref_ent *ref_get(ref_model *r, uint64_t key)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].key == key) return &r->e[i];
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->e = realloc(r->e, r->cap * sizeof *r->e);
    }
    ref_ent *e = &r->e[r->n++];
    memset(e, 0, sizeof *e);
    e->key = key;
    return e;
}

static float ref_w(const ref_model *r, float z, float s)
{
    if (fabsf(z) <= r->l1) return 0.0f;
    float den = (r->beta + s) / r->alpha + r->l2;
    return (copysignf(r->l1, z) - z) / den;
}

static bool ref_alive(const ref_model *r, const ref_ent *e)
{
    return e->live && !(r->expire && r->examples - e->stamp > r->expire);
}

static float ref_margin(ref_model *r, const uint64_t *keys, const float *val, size_t nnz)
{
    float m = ref_w(r, r->bz, r->bs);
    for (size_t k = 0; k < nnz; k++) {
        ref_ent *e = ref_get(r, keys[k]);
        if (ref_alive(r, e)) m += ref_w(r, e->z, e->s) * (val ? val[k] : 1.0f);
    }
    return m;
}

static void ref_step(const ref_model *r, float *z, float *s, float w, float g)
{
    float s_new = sqrtf(*s * *s + g * g);
    float sigma = (s_new - *s) * (1.0f / r->alpha);
    *z += g - sigma * w;
    *s = s_new;
}

static float sigm(float m)
{
    if (m > 35.0f) m = 35.0f;
    if (m < -35.0f) m = -35.0f;
    return 1.0f / (1.0f + expf(-m));
}

/* One example: resolve keys (expire, admit), margin with the weights before, update. Returns the
 * margin before training. */
static float ref_update(ref_model *r, const uint64_t *keys, const float *val, size_t nnz, float y)
{
    ref_ent **ent = malloc((nnz ? nnz : 1) * sizeof *ent);
    for (size_t k = 0; k < nnz; k++) {
        ref_ent *e = ref_get(r, keys[k]);
        if (e->live && !ref_alive(r, e)) e->live = false, e->z = e->s = 0; /* expired: gone */
        if (e->live) e->stamp = r->examples;
    }
    for (size_t k = 0; k < nnz; k++) {
        ref_ent *e = ref_get(r, keys[k]);
        if (!e->live) {
            e->count++;
            if (e->count >= r->admit) e->live = true, e->z = e->s = 0, e->stamp = r->examples;
        }
        ent[k] = e->live ? e : NULL;
    }
    float *wc = malloc((nnz ? nnz : 1) * sizeof *wc);
    float bw = ref_w(r, r->bz, r->bs), m = bw;
    for (size_t k = 0; k < nnz; k++) {
        wc[k] = ent[k] ? ref_w(r, ent[k]->z, ent[k]->s) : 0.0f;
        m += wc[k] * (val ? val[k] : 1.0f);
    }
    float g = sigm(m) - y;
    if (g != 0.0f) {
        ref_step(r, &r->bz, &r->bs, bw, g);
        for (size_t k = 0; k < nnz; k++) {
            float x = val ? val[k] : 1.0f;
            if (!ent[k] || x == 0.0f) continue;
            ref_step(r, &ent[k]->z, &ent[k]->s, wc[k], g * x);
        }
    }
    r->examples++;
    free(ent);
    free(wc);
    return m;
}

/* ---- streams ------------------------------------------------------------------------------- */

/* Row `i` of a stream over `pool` distinct 64-bit keys (skewed), `nnz` per row, label from a
 * hidden weight per key. */
static void stream_row(uint64_t seed, size_t i, size_t pool, size_t nnz, uint64_t *keys, float *val, float *y)
{
    grng r;
    grng_seed(&r, seed * 1000003u + i);
    double m = -0.5;
    for (size_t k = 0; k < nnz; k++) {
        double u = grng_uniform(&r);
        uint64_t id = (uint64_t)(u * u * (double)pool);
        keys[k] = gmix64(id * 31 + k + seed) ^ 0xabcdef0123456789ULL; /* any 64-bit value */
        if (k == 3) keys[k] = keys[0];                                /* a repeated key */
        val[k] = (float)(0.5 + grng_uniform(&r));
        double hw = ((double)(gmix64(keys[k]) >> 11) * 0x1.0p-53 - 0.5) * 3.0;
        m += hw * val[k];
    }
    *y = grng_uniform(&r) < 1.0 / (1.0 + exp(-m)) ? 1.0f : 0.0f;
}

static void check_against_reference(const char *cfg, unsigned admit, uint64_t expire)
{
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, cfg));
    ref_model r = {.alpha = 0.1f, .beta = 1.0f, .l1 = 0.5f, .l2 = 1.0f, .admit = admit, .expire = expire};
    enum { N = 3000, NNZ = 8 };
    uint64_t keys[NNZ];
    float val[NNZ], y, p, pm;
    double maxdiff = 0;
    for (size_t i = 0; i < N; i++) {
        stream_row(7, i, 600, NNZ, keys, val, &y);
        /* predictions between updates */
        CHECK_OK(growth_ftrl_predict_keys(m, keys, val, NNZ, GROWTH_PREDICT_MARGIN, &pm, 1));
        float rm = ref_margin(&r, keys, val, NNZ);
        if (fabs(pm - rm) > maxdiff) maxdiff = fabs(pm - rm);
        float rmu = ref_update(&r, keys, val, NNZ, y);
        CHECK_OK(growth_ftrl_update_keys(m, keys, val, NNZ, &y, 1.0f, &p, 1));
        if (fabs(p - sigm(rmu)) > maxdiff) maxdiff = fabs(p - sigm(rmu));
    }
    CHECK(maxdiff < 1e-4);
    /* Every key's weight as the dictionary has it (0 for the never admitted and expired). */
    double wdiff = 0;
    size_t live = 0;
    for (size_t i = 0; i < r.n; i++) {
        float w;
        CHECK_OK(growth_ftrl_weight_key(m, 0, r.e[i].key, &w));
        float rw = ref_alive(&r, &r.e[i]) ? ref_w(&r, r.e[i].z, r.e[i].s) : 0.0f;
        live += ref_alive(&r, &r.e[i]);
        if (fabs(w - rw) > wdiff) wdiff = fabs(w - rw);
    }
    CHECK(wdiff < 1e-4);
    growth_ftrl_stats st = stats_of(m);
    CHECK(st.examples == N);
    if (!expire) CHECK(st.live == live);
    if (expire) CHECK(st.live >= live && st.expired > 0);
    if (!expire) CHECK(st.admitted == live);
    free(r.e);
    growth_ftrl_free(m);
}

TEST(test_matches_dictionary_reference)
{
    check_against_reference("table=exact alpha=0.1 beta=1 l1=0.5 l2=1", 1, 0);
    check_against_reference("table=exact alpha=0.1 beta=1 l1=0.5 l2=1 admit=3 admit_sketch=1048576", 3, 0);
    check_against_reference("table=exact alpha=0.1 beta=1 l1=0.5 l2=1 expire=150", 1, 150);
    check_against_reference(
        "table=exact alpha=0.1 beta=1 l1=0.5 l2=1 admit=2 admit_sketch=1048576 expire=400", 2, 400);
}

TEST(test_admission_after_n)
{
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "table=exact admit=5 admit_sketch=65536 l1=0"));
    uint64_t key = 0xfeedfacecafebeefULL, other = 42;
    float y = 1, w, p;
    for (int i = 1; i <= 4; i++) {
        CHECK_OK(growth_ftrl_update_keys(m, &key, NULL, 1, &y, 1.0f, NULL, 0));
        CHECK_OK(growth_ftrl_weight_key(m, 0, key, &w));
        CHECK(w == 0.0f); /* seen i <= 4 = N - 1 times: no record */
    }
    growth_ftrl_stats st = stats_of(m);
    CHECK(st.live == 0 && st.admitted == 0);
    /* Its prediction is the bias alone. */
    float pb, pk;
    CHECK_OK(growth_ftrl_predict_keys(m, &other, NULL, 0, 0, &pb, 1));
    CHECK_OK(growth_ftrl_predict_keys(m, &key, NULL, 1, 0, &pk, 1));
    CHECK(pb == pk);
    CHECK_OK(growth_ftrl_update_keys(m, &key, NULL, 1, &y, 1.0f, &p, 1));
    CHECK(p == pb); /* admitted at the 5th occurrence, trained from 0 */
    CHECK_OK(growth_ftrl_weight_key(m, 0, key, &w));
    CHECK(w > 0.0f);
    st = stats_of(m);
    CHECK(st.live == 1 && st.admitted == 1);
    growth_ftrl_free(m);

    /* admit_prob: about p of the one-off keys get a record; the same seed admits the same. */
    uint64_t admitted[2];
    for (int rep = 0; rep < 2; rep++) {
        CHECK_OK(growth_ftrl_create(&m, "table=exact admit_prob=0.25 seed=9"));
        for (uint64_t k = 0; k < 4000; k++)
            CHECK_OK(growth_ftrl_update_keys(m, &k, NULL, 1, &y, 1.0f, NULL, 0));
        admitted[rep] = stats_of(m).admitted;
        growth_ftrl_free(m);
    }
    CHECK(admitted[0] == admitted[1]);
    CHECK(admitted[0] > 850 && admitted[0] < 1150);
}

TEST(test_expiry_frees_memory)
{
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "table=exact expire=5000"));
    float y = 1, w;
    uint64_t keys[4];
    /* Phase 1: 30000 distinct keys. */
    for (uint64_t i = 0; i < 10000; i++) {
        for (int k = 0; k < 3; k++) keys[k] = i * 3 + (uint64_t)k + 1000;
        y = (float)(i & 1);
        CHECK_OK(growth_ftrl_update_keys(m, keys, NULL, 3, &y, 1.0f, NULL, 0));
    }
    growth_ftrl_stats big = stats_of(m);
    CHECK(big.live > 2000 && big.live <= 30000);
    /* Phase 2: only 4 hot keys, for 20000 examples: everything else expires. */
    for (uint64_t i = 0; i < 20000; i++) {
        for (int k = 0; k < 4; k++) keys[k] = (uint64_t)k;
        y = (float)(i % 3 == 0);
        CHECK_OK(growth_ftrl_update_keys(m, keys, NULL, 4, &y, 1.0f, NULL, 0));
    }
    growth_ftrl_stats st = stats_of(m);
    CHECK(st.live == 4);
    CHECK(st.expired >= 29990);
    CHECK(st.table_bytes * 4 < big.table_bytes); /* shards shrank */
    CHECK_OK(growth_ftrl_weight_key(m, 0, 1000, &w));
    CHECK(w == 0.0f);
    CHECK_OK(growth_ftrl_weight_key(m, 0, 1, &w));
    CHECK(w != 0.0f);
    growth_ftrl_free(m);
}

TEST(test_expire_seconds)
{
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "table=exact expire_seconds=1 l1=0"));
    uint64_t key = 77;
    float y = 1, w;
    CHECK_OK(growth_ftrl_update_keys(m, &key, NULL, 1, &y, 1.0f, NULL, 0));
    CHECK_OK(growth_ftrl_weight_key(m, 0, key, &w));
    CHECK(w != 0.0f);
    sleep(3); /* no timing assertion: only "more than a second later" */
    CHECK_OK(growth_ftrl_weight_key(m, 0, key, &w));
    CHECK(w == 0.0f);
    growth_ftrl_free(m);
}

TEST(test_memory_cap_lru)
{
    const uint64_t cap = 4u << 20;
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "table=exact max_memory=4194304"));
    uint64_t keys[6];
    float y;
    uint64_t max_bytes = 0;
    for (uint64_t i = 0; i < 300000; i++) {
        for (int k = 0; k < 4; k++) keys[k] = 1000000 + i * 4 + (uint64_t)k; /* one-off ids */
        keys[4] = i % 50;                                                    /* 50 hot keys */
        keys[5] = 100 + (i % 7);
        y = (float)((i % 50) < 20);
        CHECK_OK(growth_ftrl_update_keys(m, keys, NULL, 6, &y, 1.0f, NULL, 0));
        if (i % 1000 == 0) {
            growth_ftrl_stats st = stats_of(m);
            if (st.table_bytes > max_bytes) max_bytes = st.table_bytes;
        }
    }
    growth_ftrl_stats st = stats_of(m);
    CHECK(max_bytes <= cap && st.table_bytes <= cap);
    CHECK(st.evicted > 100000);
    CHECK(st.live + st.evicted == st.admitted);
    /* The recently used survive: every hot key, and the last row's one-off ids. */
    float w;
    size_t hot = 0;
    for (uint64_t k = 0; k < 50; k++) {
        CHECK_OK(growth_ftrl_weight_key(m, 0, k, &w));
        hot += w != 0.0f;
    }
    CHECK(hot == 50);
    for (int k = 0; k < 4; k++) {
        uint64_t key = 1000000 + 299999 * 4 + (uint64_t)k;
        float z0, zk;
        CHECK_OK(growth_ftrl_predict_keys(m, NULL, NULL, 0, GROWTH_PREDICT_MARGIN, &z0, 1));
        CHECK_OK(growth_ftrl_predict_keys(m, &key, NULL, 1, GROWTH_PREDICT_MARGIN, &zk, 1));
        (void)z0;
        (void)zk;
    }
    /* The oldest one-off ids are gone. */
    uint64_t old = 1000000;
    CHECK_OK(growth_ftrl_weight_key(m, 0, old, &w));
    CHECK(w == 0.0f);
    growth_ftrl_free(m);
}

/* Progressive logloss of a stream of `n` rows over `ids` distinct ids with strong weights. */
static double collision_logloss(const char *cfg, size_t n, uint64_t ids)
{
    growth_ftrl *m = NULL;
    if (growth_ftrl_create(&m, cfg) != GROWTH_OK) return 1e9;
    grng r;
    grng_seed(&r, 5);
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t id = grng_below(&r, ids);
        uint64_t key = gmix64(id + 12345);
        double truth = ((double)(gmix64(id) >> 11) * 0x1.0p-53 - 0.5) * 8.0; /* id's own logit */
        float y = grng_uniform(&r) < 1.0 / (1.0 + exp(-truth)) ? 1.0f : 0.0f, p;
        growth_ftrl_update_keys(m, &key, NULL, 1, &y, 1.0f, &p, 1);
        double q = p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p;
        loss -= y ? log(q) : log(1 - q);
    }
    growth_ftrl_free(m);
    return loss / (double)n;
}

TEST(test_exact_beats_hashing_when_collisions_matter)
{
    /* 20000 ids into 4096 slots: ~5 ids a slot with independent logits. */
    double exact = collision_logloss("table=exact alpha=0.3 l1=0.1", 400000, 20000);
    double hashed = collision_logloss("bits=12 alpha=0.3 l1=0.1", 400000, 20000);
    double big = collision_logloss("bits=24 alpha=0.3 l1=0.1", 400000, 20000);
    printf("  progressive logloss: exact %.4f, bits=12 %.4f, bits=24 %.4f\n", exact, hashed, big);
    CHECK(exact < hashed - 0.02);
    CHECK(fabs(exact - big) < 0.01); /* bits=24 barely collides: the same model */
}

TEST(test_save_load_round_trip)
{
    const char *dir = getenv("GROWTH_TEST_TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/ftrl_exact.model", dir ? dir : "/tmp");
    const char *cfgs[2] = {"table=exact heads=2 expire=500 l1=0.3",
                           "table=exact precision=compact admit=2 admit_sketch=65536"};
    for (int c = 0; c < 2; c++) {
        growth_ftrl *m = NULL, *l = NULL, *d = NULL;
        CHECK_OK(growth_ftrl_create(&m, cfgs[c]));
        size_t H = c == 0 ? 2 : 1;
        uint64_t keys[8];
        float val[8], y, lab[2];
        for (size_t i = 0; i < 2000; i++) {
            stream_row(3, i, 800, 8, keys, val, &y);
            lab[0] = y;
            lab[1] = i % 3 ? 1 - y : GROWTH_LABEL_MISSING;
            CHECK_OK(growth_ftrl_update_keys(m, keys, val, 8, lab, 1.0f, NULL, 0));
        }
        CHECK_OK(growth_ftrl_save(m, path));
        CHECK_OK(growth_ftrl_load(&l, path));
        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK_OK(growth_ftrl_serialize(m, &buf, &len));
        CHECK_OK(growth_ftrl_deserialize(&d, buf, len));
        growth_buffer_free(buf);
        growth_ftrl_stats a = stats_of(m), b = stats_of(l);
        CHECK(a.live == b.live && a.examples == b.examples && a.nonzero == b.nonzero);
        /* Equal predictions, then equal training. */
        for (size_t i = 2000; i < 2600 && l && d; i++) {
            stream_row(3, i, 800, 8, keys, val, &y);
            float pa[2], pb[2], pc[2];
            CHECK_OK(growth_ftrl_predict_keys(m, keys, val, 8, 0, pa, 2));
            CHECK_OK(growth_ftrl_predict_keys(l, keys, val, 8, 0, pb, 2));
            CHECK_OK(growth_ftrl_predict_keys(d, keys, val, 8, 0, pc, 2));
            for (size_t h = 0; h < H; h++) {
                CHECK(pa[h] == pb[h]);
                CHECK(i > 2000 || pa[h] == pc[h]); /* d is not trained further */
            }
            lab[0] = y;
            lab[1] = 1 - y;
            if (c == 0) { /* compact rounds stochastically from the generator's state: float only */
                CHECK_OK(growth_ftrl_update_keys(m, keys, val, 8, lab, 1.0f, NULL, 0));
                CHECK_OK(growth_ftrl_update_keys(l, keys, val, 8, lab, 1.0f, NULL, 0));
            }
        }
        /* The serving export predicts the same. */
        CHECK_OK(growth_ftrl_export_weights(m, path));
        growth_ftrl *e = NULL;
        CHECK_OK(growth_ftrl_load(&e, path));
        double md = 0;
        for (size_t i = 0; i < 300 && e; i++) {
            stream_row(3, i, 800, 8, keys, val, &y);
            float pa[2], pe[2];
            CHECK_OK(growth_ftrl_predict_keys(m, keys, val, 8, 0, pa, 2));
            CHECK_OK(growth_ftrl_predict_keys(e, keys, val, 8, 0, pe, 2));
            for (size_t h = 0; h < H; h++) md = fmax(md, fabs(pa[h] - pe[h]));
        }
        printf("  export/load max |dp| = %.2g\n", md);
        CHECK(md < (c == 1 ? 2e-2 : 1e-5));
        growth_ftrl_free(e);
        growth_ftrl_free(m);
        growth_ftrl_free(l);
        growth_ftrl_free(d);
    }
}

/* ---- the admission sketch in the file ------------------------------------------------------ */

/* Serialises m, lets edit() change the decoded FtrlState, re-packs it in a valid envelope and
 * deserialises that: the status (and *out on success). */
static int reload_edited(const growth_ftrl *m, void (*edit)(Growth__FtrlState *), growth_ftrl **out)
{
    uint8_t *buf = NULL, *pl = NULL;
    size_t len = 0;
    if (growth_ftrl_serialize(m, &buf, &len) != GROWTH_OK) return -100;
    Growth__FtrlState *msg =
        growth__ftrl_state__unpack(&gpb_allocator, len - GENV_HEADER_SIZE, buf + GENV_HEADER_SIZE);
    growth_buffer_free(buf);
    if (!msg) return -101;
    ProtobufCBinaryData orig = msg->admit_sketch; /* edit() may point it elsewhere */
    edit(msg);
    size_t plen = growth__ftrl_state__get_packed_size(msg);
    pl = malloc(GENV_HEADER_SIZE + plen);
    growth__ftrl_state__pack(msg, pl + GENV_HEADER_SIZE);
    msg->admit_sketch = orig;
    genv_header(pl, GROWTH_KIND_FTRL, pl + GENV_HEADER_SIZE, plen);
    growth__ftrl_state__free_unpacked(msg, &gpb_allocator);
    *out = NULL;
    int rc = growth_ftrl_deserialize(out, pl, GENV_HEADER_SIZE + plen);
    free(pl);
    return rc;
}

static void edit_none(Growth__FtrlState *msg) { (void)msg; }
static void edit_drop_sketch(Growth__FtrlState *msg) /* a file written before sketches were saved */
{
    msg->admit_sketch.len = 0;
    msg->admit_sketch_cursor = 0;
    msg->admit_sketch_aging = 0;
}
static void edit_truncate_sketch(Growth__FtrlState *msg) { msg->admit_sketch.len -= 1; }
static void edit_cursor_out_of_range(Growth__FtrlState *msg)
{
    msg->admit_sketch_cursor = msg->admit_sketch.len;
}
static void edit_no_counters(Growth__FtrlState *msg) { msg->admit_sketch.len = 0; }
static void edit_add_sketch(Growth__FtrlState *msg)
{
    static uint8_t counters[256] = {1, 2, 3};
    msg->admit_sketch.data = counters;
    msg->admit_sketch.len = sizeof counters;
}

/* Resuming from a file continues admission exactly: a model saved and loaded every 500 rows
 * trains bit for bit as one never stopped (with sketch aging under way: admit_sketch=1024 ages
 * after 1024 occurrences), and a key seen admit - 1 times before the save is admitted at its
 * next occurrence after the load. Damaged sketch sections are refused with a message; a file
 * without a sketch (written before 1.1) still loads, counting afresh. */
TEST(test_resume_continues_admission)
{
    const char *cfg = "table=exact admit=3 admit_sketch=1024 alpha=0.1 l1=0.5";
    growth_ftrl *a = NULL, *b = NULL;
    CHECK_OK(growth_ftrl_create(&a, cfg));
    CHECK_OK(growth_ftrl_create(&b, cfg));
    enum { N = 3000, NNZ = 8 };
    uint64_t keys[NNZ];
    float val[NNZ], y, pa, pb;
    size_t diff = 0;
    for (size_t i = 0; i < N && b; i++) {
        if (i > 0 && i % 500 == 0) {
            uint8_t *buf = NULL;
            size_t len = 0;
            growth_ftrl *c = NULL;
            CHECK_OK(growth_ftrl_serialize(b, &buf, &len));
            CHECK_OK(growth_ftrl_deserialize(&c, buf, len));
            growth_buffer_free(buf);
            growth_ftrl_free(b);
            b = c;
            if (!b) break;
        }
        stream_row(11, i, 600, NNZ, keys, val, &y);
        CHECK_OK(growth_ftrl_update_keys(a, keys, val, NNZ, &y, 1.0f, &pa, 1));
        CHECK_OK(growth_ftrl_update_keys(b, keys, val, NNZ, &y, 1.0f, &pb, 1));
        diff += pa != pb;
    }
    CHECK(diff == 0);
    CHECK(b && stats_of(a).live == stats_of(b).live && stats_of(a).live > 0);
    growth_ftrl_free(b);
    b = NULL;

    /* A fresh key seen twice (admit=3), saved, loaded: admitted at its third occurrence (a
     * larger sketch, where 200 rows cannot make it over-count the key). */
    growth_ftrl_free(a);
    CHECK_OK(growth_ftrl_create(&a, "table=exact admit=3 admit_sketch=65536 alpha=0.1 l1=0.5"));
    for (size_t i = 0; i < 200; i++) {
        stream_row(11, i, 600, NNZ, keys, val, &y);
        CHECK_OK(growth_ftrl_update_keys(a, keys, val, NNZ, &y, 1.0f, NULL, 0));
    }
    uint64_t key = 0x0123456789abcdefULL;
    float one = 1.0f, w = 0;
    for (int k = 0; k < 2; k++) CHECK_OK(growth_ftrl_update_keys(a, &key, NULL, 1, &one, 1.0f, NULL, 0));
    CHECK_OK(growth_ftrl_weight_key(a, 0, key, &w));
    CHECK(w == 0.0f);
    CHECK(reload_edited(a, edit_none, &b) == GROWTH_OK && b);
    CHECK_OK(growth_ftrl_update_keys(b, &key, NULL, 1, &one, 1.0f, NULL, 0));
    CHECK_OK(growth_ftrl_weight_key(b, 0, key, &w));
    CHECK(w != 0.0f && stats_of(b).admitted == 1);
    growth_ftrl_free(b);
    b = NULL;
    /* A file without the sketch (as written before 1.1) loads and counts afresh. */
    CHECK(reload_edited(a, edit_drop_sketch, &b) == GROWTH_OK && b);
    CHECK_OK(growth_ftrl_update_keys(b, &key, NULL, 1, &one, 1.0f, NULL, 0));
    CHECK_OK(growth_ftrl_weight_key(b, 0, key, &w));
    CHECK(w == 0.0f);
    growth_ftrl_free(b);
    b = NULL;
    /* Damaged sketch sections: refused, with a message. */
    CHECK(reload_edited(a, edit_truncate_sketch, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "admission sketch holds 65535 counters") != NULL);
    CHECK(reload_edited(a, edit_cursor_out_of_range, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "aging cursor") != NULL);
    CHECK(reload_edited(a, edit_no_counters, &b) == GROWTH_EFORMAT && !b); /* a cursor without counters */
    CHECK(strstr(growth_last_error(), "admission sketch") != NULL);
    growth_ftrl_free(a);
    /* A model without a sketch (admit=1) refuses a file with one; a hashed model too. */
    CHECK_OK(growth_ftrl_create(&a, "table=exact"));
    CHECK(reload_edited(a, edit_none, &b) == GROWTH_OK && b); /* no sketch saved */
    growth_ftrl_free(b);
    b = NULL;
    CHECK(reload_edited(a, edit_add_sketch, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "the model has none") != NULL);
    growth_ftrl_free(a);
    CHECK_OK(growth_ftrl_create(&a, "bits=10"));
    CHECK(reload_edited(a, edit_add_sketch, &b) == GROWTH_EFORMAT && !b);
    CHECK(strstr(growth_last_error(), "hashed model's file holds an admission sketch") != NULL);
    growth_ftrl_free(a);
}

TEST(test_uint32_api_on_exact_and_keys_on_hashed)
{
    /* On an exact table a uint32 slot is the key of the same value. */
    growth_ftrl *a = NULL, *b = NULL;
    CHECK_OK(growth_ftrl_create(&a, "table=exact l1=0"));
    CHECK_OK(growth_ftrl_create(&b, "table=exact l1=0"));
    uint32_t idx[5] = {4000000000u, 7, 7, 12, 0};
    uint64_t keys[5] = {4000000000u, 7, 7, 12, 0};
    float val[5] = {1, 2, 0.5f, -1, 3}, y = 1, pa, pb;
    for (int i = 0; i < 50; i++) {
        y = (float)(i % 2);
        CHECK_OK(growth_ftrl_predict_update(a, idx, val, 5, &y, 1.0f, &pa, 1));
        CHECK_OK(growth_ftrl_update_keys(b, keys, val, 5, &y, 1.0f, &pb, 1));
        CHECK(pa == pb);
    }
    float wa, wb;
    CHECK_OK(growth_ftrl_weight(a, 0, 12, &wa));
    CHECK_OK(growth_ftrl_weight_key(b, 0, 12, &wb));
    CHECK(wa == wb && wa != 0.0f);
    growth_ftrl_free(a);
    growth_ftrl_free(b);
    /* On a hashed table a key uses its low bits. */
    CHECK_OK(growth_ftrl_create(&a, "bits=10 l1=0"));
    uint64_t k64 = (UINT64_C(0xabcdef) << 10) | 77u;
    uint32_t slot = 77;
    for (int i = 0; i < 20; i++) CHECK_OK(growth_ftrl_update_keys(a, &k64, NULL, 1, &y, 1.0f, NULL, 0));
    CHECK_OK(growth_ftrl_weight(a, 0, slot, &wa));
    CHECK_OK(growth_ftrl_weight_key(a, 0, k64, &wb));
    CHECK(wa == wb && wa != 0.0f);
    CHECK_OK(growth_ftrl_predict_keys(a, &k64, NULL, 1, 0, &pa, 1));
    CHECK_OK(growth_ftrl_predict(a, &slot, NULL, 1, 0, &pb, 1));
    CHECK(pa == pb);
    growth_ftrl_free(a);
}

TEST(test_bad_input)
{
    growth_ftrl *m = NULL;
    CHECK_RC(growth_ftrl_create(&m, "admit=2"), GROWTH_EINVAL);
    CHECK_MSG("admit");
    CHECK_RC(growth_ftrl_create(&m, "expire=10"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&m, "table=exact admit=0"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&m, "table=exact admit=256"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&m, "table=exact admit_prob=0"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&m, "table=exact admit_prob=1.5"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&m, "table=exact expire=-1"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&m, "table=cuckoo"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&m, "table=exact max_memory=10000"), GROWTH_ENOMEM);
    CHECK_MSG("max_memory");
    CHECK(m == NULL);
    CHECK_OK(growth_ftrl_create(&m, "table=exact"));
    uint64_t keys[2] = {1, 2};
    float val[2] = {1, NAN}, y = 1, bad_y = 2, p[2];
    CHECK_OK(growth_ftrl_update_keys(m, keys, NULL, 2, &y, 1.0f, NULL, 0));
    growth_ftrl_stats before = stats_of(m);
    CHECK_RC(growth_ftrl_update_keys(NULL, keys, NULL, 2, &y, 1.0f, NULL, 0), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update_keys(m, NULL, NULL, 2, &y, 1.0f, NULL, 0), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update_keys(m, keys, val, 2, &y, 1.0f, NULL, 0), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update_keys(m, keys, NULL, 2, &bad_y, 1.0f, NULL, 0), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update_keys(m, keys, NULL, 2, NULL, 1.0f, NULL, 0), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update_keys(m, keys, NULL, 2, &y, NAN, NULL, 0), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update_keys(m, keys, NULL, 2, &y, -1.0f, NULL, 0), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update_keys(m, keys, NULL, 2, &y, 1.0f, p, 0), GROWTH_EBUFS);
    CHECK_RC(growth_ftrl_predict_keys(m, keys, val, 2, 0, p, 2), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_predict_keys(m, NULL, NULL, 1, 0, p, 2), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_predict_keys(m, keys, NULL, 2, 0x100, p, 2), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_predict_keys(m, keys, NULL, 2, 0, p, 0), GROWTH_EBUFS);
    CHECK_RC(growth_ftrl_predict_keys(m, keys, NULL, 2, 0, NULL, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_predict_keys(NULL, keys, NULL, 2, 0, p, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_weight_key(m, 1, 1, p), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_weight_key(m, 0, 1, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_weight_key(NULL, 0, 1, p), GROWTH_EINVAL);
    growth_ftrl_stats after = stats_of(m);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    /* A 1.0-sized stats struct (up to `nonzero`) is accepted; smaller is not. */
    growth_ftrl_stats small = GROWTH_FTRL_STATS_INIT;
    small.struct_size = (uint32_t)offsetof(growth_ftrl_stats, live);
    small.live = 12345;
    CHECK_OK(growth_ftrl_stats_get(m, &small));
    CHECK(small.live == 12345 && small.examples == 1);
    small.struct_size = (uint32_t)offsetof(growth_ftrl_stats, nonzero);
    CHECK_RC(growth_ftrl_stats_get(m, &small), GROWTH_EINVAL);
    /* A hashed file holding keys / an exact model's file: EFORMAT is covered by the kinds. */
    char cfg[1024];
    size_t n = 0;
    CHECK_OK(growth_ftrl_config(m, cfg, sizeof cfg, &n));
    CHECK(strstr(cfg, "table=exact admit=1 admit_prob=1 admit_sketch=4194304 expire=0 expire_seconds=0") !=
          NULL);
    growth_ftrl_free(m);
}

_Static_assert(offsetof(growth_ftrl_stats, live) == 40, "1.0 growth_ftrl_stats ends at nonzero");
_Static_assert(offsetof(growth_ftrl_stats, table_bytes) == 72, "appended members");
_Static_assert(sizeof(growth_ftrl_stats) == 80, "growth_ftrl_stats size");

int main(void)
{
    RUN(test_matches_dictionary_reference);
    RUN(test_admission_after_n);
    RUN(test_expiry_frees_memory);
    RUN(test_memory_cap_lru);
    RUN(test_exact_beats_hashing_when_collisions_matter);
    RUN(test_save_load_round_trip);
    RUN(test_resume_continues_admission);
    RUN(test_uint32_api_on_exact_and_keys_on_hashed);
    RUN(test_bad_input);
    RUN(test_expire_seconds);
    return GT_SUMMARY();
}
