/* Every allocation libgrowth makes may fail: for each step of a workload that touches every
 * module's create / fit / train / predict / search / save / load / serialize paths, the Nth
 * allocation is made to fail for N = 1, 2, ... (tests/c/alloc_fail.h; GROWTH_ALLOC_STRIDE
 * samples large sweeps). Every run must end with GROWTH_OK or GROWTH_ENOMEM, never a crash or a
 * hang; a failed constructor leaves *out NULL; a failed call on a handle leaves it exactly as
 * it was (same serialised bytes) and still working; nothing leaks (LeakSanitizer in the ASan
 * build). xgboost's and OpenBLAS's own allocations are not injected (they are not libgrowth's;
 * xgboost reports its failures through its C API, which libgrowth turns into a status). */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>

#include "alloc_fail.h"
#include "fm/fm_impl.h"
#include "growth/growth.h"
#define GROWTH_SYS_UNSTABLE /* the coordinated MCKP protocol */
#include "growth/sys/budget.h"
#include "gtest.h"
#include "net.pb-c.h"
#include "net_fixtures.h"

enum { NF_MLP_IN = 3, NF_MLP_OUT = 1 };

enum { N_FT = 6 };

/* ---- handle kinds: serialise (to compare states), deserialise, free ----------------------- */

typedef struct {
    int (*ser)(const void *h, uint8_t **buf, size_t *len);
    int (*des)(void **out, const uint8_t *buf, size_t len);
    void (*free)(void *h);
} kind;

#define KIND(name, T)                                                                                        \
    static int name##_ser(const void *h, uint8_t **b, size_t *n)                                             \
    {                                                                                                        \
        return growth_##name##_serialize((const T *)h, b, n);                                                \
    }                                                                                                        \
    static int name##_des(void **o, const uint8_t *b, size_t n)                                              \
    {                                                                                                        \
        return growth_##name##_deserialize((T **)o, b, n);                                                   \
    }                                                                                                        \
    static void name##_fr(void *h) { growth_##name##_free((T *)h); }                                         \
    static const kind K_##name = {name##_ser, name##_des, name##_fr};

KIND(ftrl, growth_ftrl)
KIND(forest, growth_forest)
KIND(calibrator, growth_calibrator)
KIND(bandit, growth_bandit)
KIND(index, growth_index)
KIND(text, growth_text_index)
KIND(bidder, growth_bidder)
KIND(net, growth_net)
KIND(fm, growth_fm)

/* FM models compare by their whole state read through fm_impl.h (factors, AdaGrad sums, linear
 * statistics, biases, head weights, touched bits, counters), which does not depend on the
 * persistence code. */
static int fm_state_ser(const void *h, uint8_t **buf, size_t *len)
{
    const growth_fm *m = h;
    const fm_cfg *c = fm_config_of(m);
    size_t slots = (size_t)1 << c->bits, V = (size_t)fm_vectors_per_slot(c), K = (size_t)c->k,
           H = (size_t)c->heads;
    size_t n = slots * (V * K * 2 + H * 2 + 1) + H * (2 + 2 * K) + 1;
    float *f = calloc(n, sizeof *f);
    if (!f) return GROWTH_ENOMEM;
    size_t p = 0;
    for (size_t s = 0; s < slots; s++) {
        for (size_t v = 0; v < V; v++, p += 2 * K) fm_get_vec(m, s, (int)v, f + p, f + p + K);
        for (size_t hh = 0; hh < H; hh++, p += 2) fm_get_lin(m, s, (int)hh, f + p, f + p + 1);
        f[p++] = fm_is_touched(m, s);
    }
    for (size_t hh = 0; hh < H; hh++, p += 2 + 2 * K) {
        fm_get_bias(m, (int)hh, f + p, f + p + 1);
        fm_get_head(m, (int)hh, f + p + 2, f + p + 2 + K);
    }
    f[p++] = (float)fm_examples(m);
    *buf = (uint8_t *)f;
    *len = n * sizeof *f;
    return GROWTH_OK;
}
static const kind K_fmst = {fm_state_ser, NULL, fm_fr};
KIND(uplift, growth_uplift)

/* ---- fixtures (made with injection off) ---------------------------------------------------- */

static float g_X[400 * N_FT], g_y[400];
static uint64_t g_indptr[401];
static uint32_t g_idx[400 * 4];
static uint8_t g_fld[400 * 4];

static void make_data(void)
{
    for (int i = 0; i < 400; i++) {
        for (int j = 0; j < N_FT; j++) g_X[i * N_FT + j] = (float)((i * 37 + j * 11) % 101) / 10.1f;
        g_y[i] = (float)(g_X[i * N_FT] + g_X[i * N_FT + 1] > 10.0f);
        g_indptr[i] = (uint64_t)i * 4;
        for (int j = 0; j < 4; j++) {
            g_idx[i * 4 + j] = (uint32_t)((i * 13 + j * 101) % 4096);
            g_fld[i * 4 + j] = (uint8_t)j;
        }
    }
    g_indptr[400] = 400 * 4;
}

static void *mk_ftrl(void)
{
    growth_ftrl *m = NULL;
    if (growth_ftrl_create(&m, "bits=12 heads=1") == 0)
        growth_ftrl_update_csr(m, g_indptr, g_idx, NULL, 200, g_y, NULL, NULL, 0);
    return m;
}

static void *mk_forest(void)
{
    growth_forest_data d = GROWTH_FOREST_DATA_INIT;
    d.nrows = 400;
    d.ncols = N_FT;
    d.dense = g_X;
    d.labels = g_y;
    growth_forest *f = NULL;
    growth_forest_train(&f, "num_rounds=4", "objective=binary:logistic max_depth=3", &d, NULL, NULL, NULL);
    return f;
}

static int32_t g_arm[400];

static int c_uplift_train_cfg(void **o, const char *cfg)
{
    for (int i = 0; i < 400; i++) g_arm[i] = i % 3;
    growth_uplift_data d = GROWTH_UPLIFT_DATA_INIT;
    d.nrows = 400;
    d.ncols = N_FT;
    d.dense = g_X;
    d.labels = g_y;
    d.treatment = g_arm;
    return growth_uplift_train((growth_uplift **)o, cfg, strstr(cfg, "ftrl") ? NULL : "max_depth=2", &d, NULL,
                               NULL);
}
static int c_uplift_train(void **o)
{
    return c_uplift_train_cfg(o, "method=x_learner treatments=2 base_config='num_rounds=3'");
}
static int c_uplift_train_ftrl(void **o)
{
    return c_uplift_train_cfg(o, "method=s_learner base=ftrl treatments=2 epochs=2");
}
static void *mk_uplift(void)
{
    void *u = NULL;
    c_uplift_train(&u);
    return u;
}
static int c_uplift_predict(void *h)
{
    static float out[400 * 3];
    int rc = growth_uplift_predict_dense(h, g_X, 400, N_FT, 0, out, 400 * 3);
    if (!rc) rc = growth_uplift_predict_dense(h, g_X, 400, N_FT, GROWTH_UPLIFT_RESPONSE, out, 400 * 3);
    return rc;
}
/* OPE bootstrap interval: two work arrays (events, resamples). */
static int c_bandit_ope_interval(void *unused)
{
    (void)unused;
    const uint32_t act[4] = {0, 1, 1, 0};
    const double rew[4] = {1, 0, 1, 0}, pr[4] = {0.5, 0.5, 0.5, 0.5}, tgt[8] = {1, 0, 0, 1, 0.5, 0.5, 1, 0};
    double v, lo, hi;
    return growth_bandit_ope_interval(4, 2, act, rew, pr, tgt, NULL, "estimator=dr resamples=20 seed=3", &v,
                                      &lo, &hi);
}

static int c_uplift_allocate(void *unused)
{
    (void)unused;
    uint64_t ip[101];
    float up[200], pr[200];
    double cost[200];
    int32_t ch[100];
    for (int i = 0; i <= 100; i++) ip[i] = (uint64_t)i * 2;
    for (int j = 0; j < 200; j++) {
        up[j] = (float)((j * 37) % 23) / 50.0f - 0.1f;
        pr[j] = 0.5f;
        cost[j] = 1.0 + j % 2;
    }
    growth_mckp *s = NULL;
    int rc = growth_mckp_create(&s, "");
    if (!rc) rc = growth_uplift_allocate(s, ip, 100, up, pr, cost, 20.0, "value=2", ch, 100);
    growth_mckp_free(s);
    return rc;
}
static int c_uplift_metrics(void *unused)
{
    (void)unused;
    float s[400];
    double x[401], y[401], v;
    size_t m;
    for (int i = 0; i < 400; i++) {
        s[i] = (float)((i * 29) % 40) / 40.0f;
        g_arm[i] = i % 3;
    }
    int rc = growth_metrics_qini_auc(s, g_y, g_arm, 400, "arm=1", &v);
    if (!rc) rc = growth_metrics_uplift_auc(s, g_y, g_arm, 400, NULL, &v);
    if (!rc) rc = growth_metrics_uplift_at_k(s, g_y, g_arm, 400, "strategy=by_group", &v);
    if (!rc) rc = growth_metrics_qini_curve(s, g_y, g_arm, 400, "perfect=true", x, y, 401, &m);
    if (!rc) rc = growth_metrics_uplift_curve(s, g_y, g_arm, 400, NULL, x, y, 401, &m);
    return rc;
}

static void *mk_calibrator(void)
{
    growth_calibrator *c = NULL;
    float s[400];
    for (int i = 0; i < 400; i++) s[i] = (float)i / 400.0f;
    if (growth_calibrator_create(&c, "method=isotonic") == 0)
        growth_calibrator_fit(c, s, g_y, NULL, NULL, 400);
    return c;
}

static void *mk_bandit(void)
{
    growth_bandit *b = NULL;
    if (growth_bandit_create(&b, "policy=thompson seed=3") == 0)
        for (uint64_t a = 1; a <= 8; a++) growth_bandit_add_arm(b, a, 0.1, 2);
    return b;
}

static void *mk_lin_bandit(void)
{
    growth_bandit *b = NULL;
    if (growth_bandit_create(&b, "policy=lints dim=4 seed=3") == 0)
        for (uint64_t a = 1; a <= 4; a++) growth_bandit_add_arm(b, a, 0, 0);
    return b;
}

static void *mk_index_kind(const char *cfg, bool train)
{
    growth_index *ix = NULL;
    if (growth_index_create(&ix, cfg) != 0) return NULL;
    if (train) growth_index_train(ix, g_X, 400);
    growth_index_add(ix, g_X, 200, NULL);
    return ix;
}
static void *mk_flat(void) { return mk_index_kind("dim=6 metric=cosine", false); }
static void *mk_hnsw(void)
{
    return mk_index_kind("dim=6 metric=l2 kind=hnsw M=8 ef_construction=32", false);
}
static void *mk_ivf(void) { return mk_index_kind("dim=6 kind=ivf nlist=8 nprobe=2 seed=1", true); }
static void *mk_flat_pq(void) { return mk_index_kind("dim=6 metric=l2 storage=pq pq_m=3 seed=1", true); }
static void *mk_ivf_pq(void)
{
    return mk_index_kind("dim=6 kind=ivf nlist=8 nprobe=2 storage=pq pq_m=2 rerank=20 seed=1", true);
}
static void *mk_ivf_opq(void) /* OPQ rotation, rotated centroids, codes kept with floats */
{
    return mk_index_kind("dim=6 kind=ivf nlist=8 nprobe=2 storage=pq pq_m=2 opq=1 iters=2 rerank=20 seed=1",
                         true);
}
static void *mk_flat_opq(void)
{
    return mk_index_kind("dim=6 metric=l2 storage=pq pq_m=3 opq=1 iters=2 seed=1", true);
}
static void *mk_ivf_fp16(void)
{
    return mk_index_kind("dim=6 kind=ivf nlist=8 nprobe=2 storage=fp16 seed=1", true);
}

static const char *g_texts[6] = {"red running shoes", "blue summer dress", "连衣裙 夏季 新款",
                                 "running socks",     "summer shoes sale", "男士 运动鞋"};
static void *mk_text(void)
{
    growth_text_index *x = NULL;
    int64_t ids[6] = {1, 2, 3, 4, 5, 6};
    if (growth_text_create(&x, "") == 0) growth_text_add(x, ids, g_texts, 6);
    return x;
}

static void *mk_bidder(void)
{
    growth_bidder *b = NULL;
    growth_bidder_create(&b, "target_cpa=2 budget=100 auction=first shade_min_obs=10");
    return b;
}

static float MW0[12] = {0.1f, -0.2f, 0.3f, 0.4f, 0.5f, -0.6f, 0.7f, 0.8f, -0.9f, 1.0f, 0.1f, 0.2f},
             MB0[4] = {0.1f, 0, -0.1f, 0.2f};
static float MW1[4] = {0.5f, -0.25f, 0.75f, 1.0f}, MB1[1] = {0.05f};

static void *mk_net(void)
{
    Growth__Net msg;
    growth__net__init(&msg);
    msg.dense_dim = NF_MLP_IN;
    dense(0, NF_MLP_IN, 4, MW0, MB0);
    act(1, "relu");
    dense(2, 4, NF_MLP_OUT, MW1, MB1);
    msg.n_layers = 3;
    msg.layers = LP_;
    size_t len = 0;
    uint8_t *buf = pack_net(&msg, GROWTH_KIND_NET, &len);
    growth_net *n = NULL;
    growth_net_deserialize(&n, buf, len);
    free(buf);
    return n;
}

/* An FFM with two heads and some touched slots (state set through fm_impl.h's accessors). */
static void *mk_fm_state(void)
{
    growth_fm *m = NULL;
    if (growth_fm_create(&m, "model=ffm fields=3 k=4 bits=6 heads=2") != 0) return NULL;
    float v[4] = {0.5f, -0.25f, 0.125f, 1}, g[4] = {1, 2, 3, 4};
    for (uint64_t s = 1; s < 64; s += 5) {
        for (int f = 0; f < 3; f++) fm_put_vec(m, s, f, v, g);
        fm_put_lin(m, s, 1, 0.5f, 1.5f);
        fm_mark_touched(m, s);
    }
    fm_put_head(m, 1, v, g);
    fm_set_examples(m, 99);
    return m;
}

/* ---- generic steps --------------------------------------------------------------------------- */

typedef struct {
    const kind *k;
    void *(*make)(void);
    int (*call)(void *h);    /* the call under test on a fixture handle */
    int (*ctor)(void **out); /* or: a constructor */
    bool ro;                 /* the call does not change the handle */
    void *h, *out;
    uint8_t *before;
    size_t nbefore;
} gstep;

static void g_setup(void *c)
{
    gstep *s = c;
    s->h = s->make ? s->make() : NULL;
    s->out = NULL;
    s->before = NULL;
    s->nbefore = 0;
    if (s->h && s->k) s->k->ser(s->h, &s->before, &s->nbefore);
}

static int g_run(void *c)
{
    gstep *s = c;
    if (s->make && !s->h) return -100; /* the fixture itself failed (injection is off there) */
    return s->ctor ? s->ctor(&s->out) : s->call(s->h);
}

static int g_check(void *c, int rc)
{
    gstep *s = c;
    if (s->ctor) return (rc == 0) == (s->out != NULL) ? 0 : 1;
    if (!s->k || rc == 0) return 0;
    /* failed: the handle must serialise to the same bytes and still work */
    uint8_t *after = NULL;
    size_t nafter = 0;
    if (s->k->ser(s->h, &after, &nafter) != 0) return 1;
    int bad = nafter != s->nbefore || memcmp(after, s->before, nafter) != 0;
    growth_buffer_free(after);
    if (!bad && !s->ro) bad = s->call(s->h) != 0; /* and the same call now succeeds */
    return bad;
}

static void g_teardown(void *c)
{
    gstep *s = c;
    if (s->k && s->h) s->k->free(s->h);
    if (s->k && s->out) s->k->free(s->out);
    growth_buffer_free(s->before);
    s->h = s->out = NULL;
    s->before = NULL;
}

static int sweep(const char *name, gstep s)
{
    af_step st = {name, g_setup, g_run, g_check, g_teardown, &s};
    return af_sweep(&st);
}

/* Creates a handle by deserialising the fixture's bytes (the loader path). */
static const kind *g_des_kind;
static uint8_t *g_des_buf;
static size_t g_des_len;
static int des_ctor(void **out) { return g_des_kind->des(out, g_des_buf, g_des_len); }

static int sweep_roundtrip(const char *name, const kind *k, void *(*make)(void))
{
    int bad = 0;
    char nm[64];
    snprintf(nm, sizeof nm, "%s serialize", name);
    gstep ser = {.k = k, .make = make, .ro = true};
    /* serialize: run = serialise again (compared with the fixture's bytes by g_check) */
    (void)ser;
    void *h = make();
    if (!h) {
        fprintf(stderr, "  %s: fixture failed\n", name);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    k->ser(h, &buf, &len);
    g_des_kind = k;
    g_des_buf = buf;
    g_des_len = len;
    snprintf(nm, sizeof nm, "%s deserialize", name);
    bad += sweep(nm, (gstep){.k = k, .ctor = des_ctor});
    k->free(h);
    growth_buffer_free(buf);
    return bad;
}

/* ---- the calls --------------------------------------------------------------------------- */

static int c_ftrl_create(void **o) { return growth_ftrl_create((growth_ftrl **)o, "bits=14 heads=2"); }
static int c_ftrl_train(void *h)
{
    return growth_ftrl_update_csr(h, g_indptr, g_idx, NULL, 400, g_y, NULL, NULL, 0);
}
static int c_ftrl_predict(void *h)
{
    float p[400];
    return growth_ftrl_predict_csr(h, g_indptr, g_idx, NULL, 400, 0, p, 400);
}
static int c_ftrl_cfg(void *h)
{
    char b[2048];
    return growth_ftrl_config(h, b, sizeof b, NULL);
}
static char g_path[512];
static int c_ftrl_save(void *h) { return growth_ftrl_save(h, g_path); }
/* threads=2 on 1200 rows (the 400 fixture rows three times): the other thread's row scratch. */
static uint64_t g_indptr3[1201];
static uint32_t g_idx3[1200 * 4];
static uint8_t g_fld3[1200 * 4];
static float g_y3[1200];
static void make_data3(void)
{
    for (int i = 0; i < 1200; i++) {
        g_indptr3[i] = (uint64_t)i * 4;
        memcpy(g_idx3 + i * 4, g_idx + (i % 400) * 4, 4 * sizeof *g_idx3);
        memcpy(g_fld3 + i * 4, g_fld + (i % 400) * 4, 4 * sizeof *g_fld3);
        g_y3[i] = g_y[i % 400];
    }
    g_indptr3[1200] = 1200 * 4;
}
static void *mk_ftrl_threads(void)
{
    make_data3();
    growth_ftrl *m = NULL;
    if (growth_ftrl_create(&m, "bits=12 threads=2") == 0)
        growth_ftrl_update_csr(m, g_indptr, g_idx, NULL, 200, g_y, NULL, NULL, 0);
    return m;
}
static int c_ftrl_train_threads(void *h)
{
    static float p[1200];
    return growth_ftrl_update_csr(h, g_indptr3, g_idx3, NULL, 1200, g_y3, NULL, p, 1200);
}

/* table=exact: training on fresh keys grows the shards (every growth may fail, leaving the
 * model as it was), admission through the sketch, a memory cap with eviction. */
static uint64_t g_keys[400 * 4];
static int c_ftrlx_create(void **o)
{
    return growth_ftrl_create((growth_ftrl **)o, "table=exact admit=2 admit_sketch=4096 expire=150");
}
static void *mk_ftrlx(void)
{
    for (size_t i = 0; i < 400 * 4; i++) g_keys[i] = gmix64(i % 4 == 0 ? i % 40 : i);
    growth_ftrl *m = NULL;
    if (growth_ftrl_create(&m, "table=exact expire=300") == 0)
        for (size_t r = 0; r < 150; r++)
            growth_ftrl_update_keys(m, g_keys + r * 4, NULL, 4, &g_y[r], 1, NULL, 0);
    return m;
}
static int c_ftrlx_train(void *h)
{
    float p, y = 1;
    return growth_ftrl_update_keys(h, g_keys + 600, NULL, 1000, &y, 1, &p, 1); /* grows many shards */
}
static int c_ftrlx_predict(void *h)
{
    float p;
    for (size_t r = 0; r < 400; r++) {
        int rc = growth_ftrl_predict_keys(h, g_keys + r * 4, NULL, 4, 0, &p, 1);
        if (rc) return rc;
    }
    return GROWTH_OK;
}
/* 64-bit key rows on a hashed model (bits=14 heads=2): the slot scratch of the CSR key calls. */
static uint64_t g_kptr[101];
static int c_ftrl_train_keys_csr(void *h)
{
    for (size_t r = 0; r <= 100; r++) g_kptr[r] = r * 4;
    return growth_ftrl_update_keys_csr(h, g_kptr, g_keys, NULL, 100, g_y, NULL, NULL, 0);
}
static int c_ftrl_predict_keys_csr(void *h)
{
    float p[200];
    for (size_t r = 0; r <= 100; r++) g_kptr[r] = r * 4;
    return growth_ftrl_predict_keys_csr(h, g_kptr, g_keys, NULL, 100, 0, p, 200);
}
static int c_ftrl_load(void **o) { return growth_ftrl_load((growth_ftrl **)o, g_path); }

/* FM table=exact: creation (sketch, shards, slot arena), training on keys (admission, shards
 * growing, the row scratch), prediction on keys (long rows take a buffer) and a round trip. */
static int c_fmx_create(void **o)
{
    return growth_fm_create(
        (growth_fm **)o, "model=ffm fields=4 k=4 bits=12 table=exact admit=2 admit_sketch=4096 expire=150");
}
static void *mk_fmx(void)
{
    for (size_t i = 0; i < 400 * 4; i++) g_keys[i] = gmix64(i % 4 == 0 ? i % 40 : i);
    growth_fm *m = NULL;
    if (growth_fm_create(&m, "model=ffm fields=4 k=4 bits=12 table=exact expire=300") == 0)
        for (size_t r = 0; r < 150; r++)
            growth_fm_update_keys(m, g_keys + r * 4, g_fld + r * 4, NULL, 4, &g_y[r], 1, NULL, 0);
    return m;
}
static int c_fmx_train(void *h)
{
    float p, y = 1;
    return growth_fm_update_keys(h, g_keys + 600, g_fld + 600, NULL, 1000, &y, 1, &p, 1); /* grows shards */
}
static uint64_t g_fmx_ptr[101];
static int c_fmx_train_csr(void *h)
{
    for (size_t r = 0; r <= 100; r++) g_fmx_ptr[r] = r * 4;
    return growth_fm_update_keys_csr(h, g_fmx_ptr, g_keys + 800, g_fld, NULL, 100, g_y, NULL, NULL, 0);
}
static int c_fmx_predict(void *h)
{
    float p;
    for (size_t r = 0; r < 400; r++) {
        int rc = growth_fm_predict_keys(h, g_keys + r * 4, g_fld + r * 4, NULL, 4, 0, &p, 1);
        if (rc) return rc;
    }
    return growth_fm_predict_keys(h, g_keys, g_fld, NULL, 1000, 0, &p, 1); /* a long row: its buffer */
}

/* growth_fm_fit and ESMM on table=exact (indices are keys; fresh keys grow the shards) */
static void *mk_fmx_fit(void)
{
    growth_fm *m = NULL;
    growth_fm_create(&m, "model=ffm fields=4 k=4 bits=12 table=exact admit=2 admit_sketch=4096");
    return m;
}
static void *mk_fmx_esmm(void)
{
    growth_fm *m = NULL;
    growth_fm_create(&m, "model=fm k=4 bits=12 heads=2 table=exact");
    return m;
}
static int c_fm_fit(void *h);
static int c_fmx_esmm(void *h)
{
    uint32_t keys[64];
    for (uint32_t i = 0; i < 64; i++) keys[i] = 100000u + i * 7919u;
    return growth_fm_esmm_update(h, 0, 1, keys, NULL, NULL, 64, 1, 1, 1.0f);
}

static int c_fm_create(void **o)
{
    return growth_fm_create((growth_fm **)o, "model=ffm fields=4 bits=12 heads=2 head_names=click|buy");
}
static void *mk_fm(void)
{
    growth_fm *m = NULL;
    growth_fm_create(&m, "model=ffm fields=4 bits=12 heads=1");
    return m;
}
static void *mk_fm2(void)
{
    growth_fm *m = NULL;
    growth_fm_create(&m, "model=fm bits=12 heads=2 precision=compact");
    return m;
}
static int keep_going(const char *stage, double done, void *user)
{
    (void)stage;
    (void)done;
    (void)user;
    return 0;
}
static void *mk_fm_progress(void)
{
    growth_fm *m = mk_fm();
    if (m) growth_fm_set_progress(m, keep_going, NULL);
    return m;
}
static int c_fm_train(void *h)
{
    return growth_fm_update_csr(h, g_indptr, g_idx, g_fld, NULL, 400, g_y, NULL, NULL, 0);
}
static int c_fm_update(void *h)
{
    float y[2] = {1, 0};
    return growth_fm_update(h, g_idx, g_fld, NULL, 4, y, 1.0f);
}
static int c_fm_esmm(void *h) { return growth_fm_esmm_update(h, 0, 1, g_idx, g_fld, NULL, 4, 1, 0, 1.0f); }
static int c_fm_predict(void *h)
{
    float p[400];
    return growth_fm_predict_csr(h, g_indptr, g_idx, g_fld, NULL, 400, 0, p, 400);
}
static int c_fm_cfg(void *h)
{
    char b[2048];
    return growth_fm_config(h, b, sizeof b, NULL);
}
static int c_fm_fit(void *h)
{
    growth_fm_data tr = GROWTH_FM_DATA_INIT, va;
    tr.nrows = 300;
    tr.indptr = g_indptr;
    tr.indices = g_idx;
    tr.fields = g_fld;
    tr.labels = g_y;
    va = tr;
    va.nrows = 100;
    va.indptr = g_indptr + 300;
    va.labels = g_y + 300;
    growth_fm_fit_result r = GROWTH_FM_FIT_RESULT_INIT;
    return growth_fm_fit(h, &tr, &va, "epochs=3 seed=2", &r);
}

/* threads=2: 1200 rows (update_csr) and a fit over them (the other thread's scratch, the
 * margins of a chunk). */
static void *mk_fm_threads(void)
{
    make_data3();
    growth_fm *m = NULL;
    growth_fm_create(&m, "model=ffm fields=4 bits=12 threads=2");
    if (m) growth_fm_set_progress(m, keep_going, NULL);
    return m;
}
static int c_fm_train_threads(void *h)
{
    static float p[1200];
    return growth_fm_update_csr(h, g_indptr3, g_idx3, g_fld3, NULL, 1200, g_y3, NULL, p, 1200);
}
static int c_fm_fit_threads(void *h)
{
    growth_fm_data tr = GROWTH_FM_DATA_INIT, va;
    tr.nrows = 1200;
    tr.indptr = g_indptr3;
    tr.indices = g_idx3;
    tr.fields = g_fld3;
    tr.labels = g_y3;
    va = tr;
    va.nrows = 100;
    growth_fm_fit_result r = GROWTH_FM_FIT_RESULT_INIT;
    return growth_fm_fit(h, &tr, &va, "epochs=2 seed=2", &r);
}

static char g_fm_path[512], g_ffm_path[512];
static int c_fm_save(void *h) { return growth_fm_save(h, g_fm_path); }
static int c_fm_load(void **o) { return growth_fm_load((growth_fm **)o, g_fm_path); }
static int c_fm_import(void **o) { return growth_fm_import_libffm((growth_fm **)o, g_ffm_path, "eta=0.1"); }

/* A LIBFFM model file (n=40, m=3, k=5, align=4): 13 bytes of header, then n x m x 8 x 2 floats. */
static void write_libffm(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    uint8_t h[13];
    gput_u32(h, 40);
    gput_u32(h + 4, 3);
    gput_u32(h + 8, 5);
    h[12] = 1;
    fwrite(h, 1, 13, f);
    for (int b = 0; b < 40 * 3 * 2; b++) {
        float x[8];
        for (int i = 0; i < 4; i++) {
            x[i] = (float)((b * 4 + i) % 9) / 10.0f;
            x[4 + i] = 1.0f + (float)i;
        }
        fwrite(x, 4, 8, f); /* little-endian hosts, as LIBFFM */
    }
    fclose(f);
}

static int c_forest_train(void **o)
{
    growth_forest_data d = GROWTH_FOREST_DATA_INIT;
    d.nrows = 400;
    d.ncols = N_FT;
    d.dense = g_X;
    d.labels = g_y;
    return growth_forest_train((growth_forest **)o, "num_rounds=3", "objective=binary:logistic max_depth=3",
                               &d, NULL, NULL, NULL);
}
static int c_forest_predict(void *h)
{
    float p[400];
    return growth_forest_predict_dense(h, g_X, 400, N_FT, 0, p, 400);
}
static int c_forest_importance(void *h)
{
    float imp[N_FT];
    return growth_forest_importance(h, "type=gain", imp, N_FT);
}

static int c_cal_create(void **o)
{
    return growth_calibrator_create((growth_calibrator **)o, "method=histogram");
}
static int c_cal_fit(void *h)
{
    float s[400];
    for (int i = 0; i < 400; i++) s[i] = (float)((i * 7) % 400) / 400.0f;
    return growth_calibrator_fit(h, s, g_y, NULL, NULL, 400);
}
static int c_cal_apply(void *h)
{
    float s[64], o[64];
    for (int i = 0; i < 64; i++) s[i] = (float)i / 64.0f;
    return growth_calibrator_apply_batch(h, s, NULL, 64, o, 64);
}

static void *mk_log_bandit(void)
{
    growth_bandit *b = NULL;
    if (growth_bandit_create(&b, "policy=logistic_ts bits=10 ttl=64 propensity_draws=3 seed=3") == 0) {
        uint64_t ip[3] = {0, 2, 4}, dec;
        uint32_t ix[4] = {1, 2, 1, 3};
        size_t j;
        for (int t = 0; t < 4; t++)
            if (growth_bandit_select_csr(b, ip, ix, NULL, 2, NULL, NULL, &dec, &j, NULL) == 0 && t % 2)
                growth_bandit_reward(b, dec, 1.0);
    }
    return b;
}
static int c_logbandit(void *h)
{
    /* 40 candidates: more than the stripe scratch holds, so the call grows it */
    uint64_t ip[41], ids[40], dec;
    uint32_t ix[80];
    double rates[40], prop;
    size_t j;
    for (int c = 0; c <= 40; c++) ip[c] = 2 * (uint64_t)c;
    for (int c = 0; c < 40; c++) {
        ix[2 * c] = 5;
        ix[2 * c + 1] = (uint32_t)(100 + c);
        ids[c] = (uint64_t)c + 1;
        rates[c] = 0.01 * (c + 1);
    }
    int rc = growth_bandit_select_csr(h, ip, ix, NULL, 40, ids, rates, &dec, &j, &prop);
    if (rc) return rc;
    return growth_bandit_reward(h, dec, 1.0);
}
static int c_bandit_add(void *h) { return growth_bandit_add_arm(h, 99, 0.2, 3); }
static int c_bandit_select_reward(void *h)
{
    uint64_t dec, arm;
    double prop;
    int rc = growth_bandit_select(h, NULL, 0, NULL, 0, &dec, &arm, &prop);
    if (rc) return rc;
    return growth_bandit_reward(h, dec, 1.0);
}
static int c_linbandit(void *h)
{
    float ctx[4] = {0.1f, 0.5f, -0.2f, 1.0f};
    uint64_t dec, arm;
    double prop;
    int rc = growth_bandit_select(h, ctx, 4, NULL, 0, &dec, &arm, &prop);
    if (rc) return rc;
    return growth_bandit_reward(h, dec, 0.5);
}

static int c_index_add(void *h)
{
    int64_t ids[100];
    for (int i = 0; i < 100; i++) ids[i] = 1000 + i;
    return growth_index_add(h, g_X + 200 * N_FT, 100, ids);
}
static int c_index_search(void *h)
{
    int64_t ids[40];
    float sc[40];
    return growth_index_search_batch(h, g_X, 4, 10, NULL, ids, sc, 40);
}
static int c_index_remove(void *h)
{
    int64_t ids[3] = {1, 5, 9};
    return growth_index_remove(h, ids, 3, NULL);
}
static void *mk_hnsw_removed(void)
{
    void *h = mk_hnsw();
    if (h) c_index_remove(h);
    return h;
}
static int c_index_compact(void *h) { return growth_index_compact(h); }
static int c_ivfpq_create_train(void **o)
{
    int rc = growth_index_create((growth_index **)o, "dim=6 kind=ivf nlist=8 storage=pq pq_m=3 seed=1");
    if (rc) return rc;
    rc = growth_index_train(*o, g_X, 400);
    if (rc) {
        growth_index_free(*o);
        *o = NULL;
    }
    return rc;
}
static int c_pq_create_add(void **o) /* trained by its first add */
{
    int rc = growth_index_create((growth_index **)o, "dim=6 metric=cosine storage=pq pq_m=2 seed=1");
    if (rc) return rc;
    rc = growth_index_add(*o, g_X, 400, NULL);
    if (rc) {
        growth_index_free(*o);
        *o = NULL;
    }
    return rc;
}
static int c_opq_create_train(void **o)
{
    int rc = growth_index_create((growth_index **)o,
                                 "dim=6 kind=ivf nlist=8 storage=pq pq_m=3 opq=1 iters=2 seed=1");
    if (rc) return rc;
    rc = growth_index_train(*o, g_X, 400);
    if (rc) {
        growth_index_free(*o);
        *o = NULL;
    }
    return rc;
}
static void *mk_ivf_opq_removed(void)
{
    void *h = mk_ivf_opq();
    if (h) c_index_remove(h);
    return h;
}
static void *mk_ivf_pq_removed(void)
{
    void *h = mk_ivf_pq();
    if (h) c_index_remove(h);
    return h;
}
static int c_index_dedup_mmr(void *h)
{
    int64_t ids[4] = {0, 1, 2, 3}, out[4];
    size_t n;
    int rc = growth_index_dedup(h, ids, NULL, 4, 0.9f, out, NULL, 4, &n);
    if (rc) return rc;
    return growth_index_mmr(h, g_X, ids, 4, 0.5f, 2, out, NULL, 4, &n);
}
static int c_ivf_create_train(void **o)
{
    int rc = growth_index_create((growth_index **)o, "dim=6 kind=ivf nlist=8 nprobe=2 seed=1");
    if (rc) return rc;
    rc = growth_index_train(*o, g_X, 400);
    if (rc) {
        growth_index_free(*o);
        *o = NULL;
    }
    return rc;
}

static int c_text_add(void *h)
{
    int64_t ids[3] = {10, 11, 12};
    const char *t[3] = {"green dress long", "dress shoes leather", "夏季 凉鞋"};
    return growth_text_add(h, ids, t, 3);
}
static int c_text_search(void *h)
{
    int64_t ids[5];
    float sc[5];
    size_t n;
    return growth_text_search(h, "summer shoes 夏季", 5, NULL, ids, sc, 5, &n);
}
static int c_text_remove(void *h)
{
    int64_t ids[2] = {2, 4};
    return growth_text_remove(h, ids, 2, NULL);
}
static void *mk_text_removed(void)
{
    void *h = mk_text();
    if (h) c_text_remove(h);
    return h;
}
static int c_text_compact(void *h) { return growth_text_compact(h); }
/* 127 documents holding "shoes" (adds cross a posting block), searched exhaustively. */
static void *mk_text_block_cfg(const char *cfg)
{
    growth_text_index *x = NULL;
    if (growth_text_create(&x, cfg) != 0) return NULL;
    for (int64_t i = 100; i < 227; i++) {
        char t[64];
        snprintf(t, sizeof t, "shoes w%lld summer", (long long)i);
        const char *tp = t;
        growth_text_add(x, &i, &tp, 1);
    }
    return x;
}
static void *mk_text_block(void) { return mk_text_block_cfg("search=exhaustive"); }
static void *mk_text_block_wand(void) { return mk_text_block_cfg(""); }
static int c_text_search_wand_many(void *h)
{
    char q[1024] = "";
    for (int i = 0; i < 80; i++) snprintf(q + strlen(q), sizeof q - strlen(q), "w%d ", i);
    int64_t ids[300];
    float sc[300];
    size_t n;
    return growth_text_search(h, q, 300, NULL, ids, sc, 300, &n);
}
static int t_never_cancel(const char *stage, double done, void *user)
{
    (void)stage;
    (void)done;
    (void)user;
    return 0;
}
static void *mk_text_block_removed(void)
{
    growth_text_index *x = mk_text_block();
    int64_t ids[60];
    for (int i = 0; i < 60; i++) ids[i] = 100 + 2 * i;
    if (x) growth_text_remove(x, ids, 60, NULL);
    if (x) growth_text_set_progress(x, t_never_cancel, NULL);
    return x;
}

static int c_bidder_bid(void *h)
{
    double pctr[16], pcvr[16], out[16];
    for (int i = 0; i < 16; i++) {
        pctr[i] = 0.01 * (i + 1);
        pcvr[i] = 0.1;
    }
    int rc = growth_bidder_bid_batch(h, pctr, pcvr, NULL, NULL, 16, out, 16);
    for (int i = 0; i < 40 && rc == 0; i++) rc = growth_bidder_record_auction(h, 1.0 + 0.1 * i, i % 2, 0.8);
    return rc;
}

static int c_net_predict(void *h)
{
    growth_net_workspace *ws = NULL;
    int rc = growth_net_workspace_create(&ws, h, "batch=8");
    if (rc) return rc;
    float x[8 * NF_MLP_IN], y[8 * NF_MLP_OUT];
    for (int i = 0; i < 8 * NF_MLP_IN; i++) x[i] = (float)i / 10.0f;
    rc = growth_net_predict_dense(h, ws, x, 8, NF_MLP_IN, y, 8 * NF_MLP_OUT);
    growth_net_workspace_free(ws);
    return rc;
}

static int c_mckp(void *unused)
{
    (void)unused;
    growth_mckp *s = NULL;
    int rc = growth_mckp_create(&s, "threads=1");
    if (rc) return rc;
    uint64_t ip[101];
    double v[300], c[300], B = 120;
    for (int u = 0; u <= 100; u++) ip[u] = (uint64_t)u * 3;
    for (int i = 0; i < 300; i++) {
        v[i] = (double)((i * 17) % 23);
        c[i] = 1 + (i % 3);
    }
    int32_t ch[100];
    rc = growth_mckp_solve(s, ip, 100, v, c, 1, &B, ch, 100);
    growth_mckp_free(s);
    return rc;
}

/* A coordinated MCKP solve over two in-process shards, K = 1 and K = 2 (polish, fill chain). */
static int coord_run(size_t K)
{
    uint64_t ip[101];
    double v[300], c[600], B[2] = {120, 150};
    for (int u = 0; u <= 100; u++) ip[u] = (uint64_t)u * 3;
    for (int i = 0; i < 300; i++) {
        v[i] = (double)((i * 17) % 23);
        for (size_t k = 0; k < K; k++) c[i * K + k] = 1 + ((i + (int)k) % 3);
    }
    growth_mckp_coord *co = NULL;
    growth_mckp *sv[2] = {NULL, NULL};
    double *req = NULL, *rep = NULL;
    int32_t plan[100];
    int rc = growth_mckp_coord_create(&co, 2, 100, 300, K, B, "");
    for (int w = 0; w < 2 && !rc; w++) rc = growth_mckp_create(&sv[w], "");
    if (!rc) {
        req = malloc(8192 * sizeof *req);
        rep = malloc(300000 * sizeof *rep);
        if (!req || !rep) rc = GROWTH_ENOMEM;
    }
    int done = 0;
    while (!rc && !(rc = growth_mckp_coord_next(co, &done)) && !done) {
        for (size_t w = 0; w < 2 && !rc; w++) {
            size_t n, m;
            if ((rc = growth_mckp_coord_request(co, w, req, 8192, &n)) || n == 0) continue;
            int st = growth_mckp_shard_step(sv[w], ip + 50 * w, 50, v, c, K, req, n, plan + 50 * w, 50, rep,
                                            300000, &m);
            rc = st ? growth_mckp_coord_fail(co, w, st, growth_last_error())
                    : growth_mckp_coord_feed(co, w, rep, m);
        }
    }
    if (!rc) {
        growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
        rc = growth_mckp_coord_result_get(co, &r);
    }
    free(req);
    free(rep);
    growth_mckp_free(sv[0]);
    growth_mckp_free(sv[1]);
    growth_mckp_coord_free(co);
    return rc;
}

static int c_mckp_coord(void *unused)
{
    (void)unused;
    int rc = coord_run(1);
    return rc ? rc : coord_run(2);
}

static int c_response(void *unused)
{
    (void)unused;
    double xs[6] = {1e3, 2e3, 4e3, 8e3, 1.6e4, 3.2e4}, ys[6] = {95, 180, 330, 550, 800, 950}, kx[8], ky[8];
    size_t kn;
    growth_channels_fit_result fr = GROWTH_CHANNELS_FIT_RESULT_INIT;
    int rc = growth_channels_fit(xs, ys, NULL, 6, "family=auto", &fr, kx, ky, 8, &kn);
    if (rc) return rc;
    if (fr.family != 0) { /* keep the pwl knots for the model below */
        rc = growth_channels_fit(xs, ys, NULL, 6, "family=pwl", &fr, kx, ky, 8, &kn);
        if (rc) return rc;
    }
    growth_response *r = NULL;
    rc = growth_response_create(&r, 2, "");
    if (rc) return rc;
    size_t a, b;
    if (!rc) rc = growth_response_add(r, 0, 1e3, 3.2e4, &a);
    if (!rc) rc = growth_response_add(r, -1, 0, INFINITY, &b);
    if (!rc) rc = growth_response_set_points(r, a, 0, kx, ky, kn);
    if (!rc) rc = growth_response_set_curve(r, a, 1, GROWTH_CURVE_EXP, 500, 1e-4);
    if (!rc) rc = growth_response_set_curve(r, b, 0, GROWTH_CURVE_LOG, 800, 1e-3);
    if (!rc) rc = growth_response_set_curve(r, b, 1, GROWTH_CURVE_LOG, 300, 1e-3);
    double bud[2] = {3e4, 2e4}, w[2] = {1, 0}, ratio[2] = {0, 0.4}, sp[2], oc[4];
    growth_response_result res = GROWTH_RESPONSE_RESULT_INIT;
    if (!rc) rc = growth_response_allocate(r, bud, 2, w, ratio, NULL, NULL, sp, oc, 2, &res);
    growth_response_free(r);
    return rc;
}

static int c_channels(void *unused)
{
    (void)unused;
    growth_channels *c = NULL;
    int rc = growth_channels_create(&c, "");
    if (rc) return rc;
    if (!rc) rc = growth_channels_add(c, GROWTH_CURVE_EXP, 5000, 1e-4, 1, 0, 0, NULL);
    if (!rc) rc = growth_channels_add(c, GROWTH_CURVE_LOG, 800, 1e-3, 1, 0, 0, NULL);
    double sp[2], oc[2], tot, marg;
    if (!rc) rc = growth_channels_allocate(c, 30000, sp, oc, 2, &tot, &marg);
    growth_channels_free(c);
    return rc;
}

static int c_metrics(void *unused)
{
    (void)unused;
    double auc, gauc, ece;
    size_t used;
    int64_t groups[400];
    float s[400];
    for (int i = 0; i < 400; i++) {
        groups[i] = i % 17;
        s[i] = (float)((i * 29) % 400) / 400.0f;
    }
    int rc = growth_metrics_auc(s, g_y, NULL, 400, &auc);
    if (!rc) rc = growth_metrics_gauc(s, g_y, NULL, groups, 400, &gauc, &used);
    if (!rc) rc = growth_metrics_ece(s, g_y, NULL, 400, "bins=10 binning=quantile", &ece);
    if (!rc) rc = growth_metrics_topn_precision(s, g_y, 400, 40, &auc);
    return rc;
}

static int c_rank(void *unused)
{
    (void)unused;
    int64_t a[5] = {1, 2, 3, 4, 5}, b[4] = {4, 9, 1, 7};
    const int64_t *lists[2] = {a, b};
    size_t lens[2] = {5, 4}, n;
    int64_t out[6];
    float sc[6];
    int rc = growth_rank_fuse_lists(lists, NULL, lens, NULL, 2, 6, "method=rrf", out, sc, 6, &n);
    float scores[2 * 400];
    for (int i = 0; i < 800; i++) scores[i] = (float)((i * 31) % 97);
    double w[2];
    if (!rc) rc = growth_rank_fuse_fit(scores, 2, 400, g_y, 40, "step=0.25", w, 2, NULL, NULL, NULL);
    return rc;
}

static int c_features(void *unused)
{
    (void)unused;
    growth_row *r = NULL;
    int rc = growth_row_create(&r, "bits=16");
    if (!rc) rc = growth_row_add_cat(r, "city", "hangzhou");
    if (!rc) rc = growth_row_add_num(r, "price", 3.5f);
    const char *names[2] = {"city", "price"};
    if (!rc) rc = growth_row_set_fields(r, names, 2);
    if (!rc) rc = growth_row_add_cat(r, "city", "hangzhou");
    growth_row_free(r);
    uint32_t idx[64];
    float val[64];
    size_t n;
    if (!rc) rc = growth_features_hash_text("running shoes 连衣裙", 1u << 16, 7, idx, val, 64, &n);
    return rc;
}

static int c_audience(void *unused)
{
    (void)unused;
    float emb[50 * 4];
    for (int i = 0; i < 200; i++) emb[i] = (float)((i * 13) % 11) - 5.0f;
    uint32_t seed[3] = {1, 7, 20}, users[10];
    float sim[10];
    size_t n;
    int rc = growth_audience_peer(emb, 50, 4, seed, 3, 10, "mode=max", users, sim, 10, &n);
    uint32_t pool[50];
    float sc[50];
    for (int i = 0; i < 50; i++) {
        pool[i] = (uint32_t)i;
        sc[i] = (float)((i * 7) % 50);
    }
    if (!rc) rc = growth_audience_select(pool, sc, 50, seed, 3, 0.0f, 10, users, sim, 10, &n);
    return rc;
}

static int c_pu(void *unused)
{
    (void)unused;
    uint32_t seed[20], pool[100];
    for (int i = 0; i < 20; i++) seed[i] = (uint32_t)(i * 3);
    for (int i = 0; i < 100; i++) pool[i] = (uint32_t)(100 + i);
    float out[400];
    return growth_audience_pu_score(g_indptr, g_idx, NULL, 400, 4096, seed, 20, pool, 100,
                                    "learner=ftrl method=naive epochs=1", out, 400, NULL, NULL);
}

static int c_push(void *unused)
{
    (void)unused;
    uint64_t up[41];
    double v[80];
    int32_t cat[80];
    for (int u = 0; u <= 40; u++) up[u] = (uint64_t)u * 2;
    for (int i = 0; i < 80; i++) {
        v[i] = (double)((i * 7) % 10) / 10.0;
        cat[i] = i % 3;
    }
    double cmin[3] = {0, 0, 0}, cmax[3] = {10, 10, 10};
    uint8_t send[80];
    int8_t hour[80];
    growth_budget_push_result r = GROWTH_BUDGET_PUSH_RESULT_INIT;
    return growth_budget_allocate_push(up, 40, v, cat, NULL, 3, cmin, cmax, 30, NULL, "cap=1", send, hour, 80,
                                       &r, NULL, NULL);
}

/* Delayed feedback: create, enough impressions to grow the ring and the id map twice, late
 * conversions (FNW's second training), a memory cap's evictions and the expiry of everything.
 * An impression that fails for lack of memory must not have been added (delayed.h): checked
 * here by the counter and by making the same call again, which must then succeed (a broken
 * promise returns -1, which the sweep reports). */
static int c_delayed_cfg(const char *cfg)
{
    growth_ftrl *m = NULL;
    int rc = growth_ftrl_create(&m, "bits=12");
    if (rc) return rc;
    growth_delayed *d = NULL;
    rc = growth_delayed_create_ftrl(&d, m, 0, cfg);
    int failed = 0;
    for (int i = 0; !rc && i < 300; i++) {
        growth_delayed_stats a = GROWTH_DELAYED_STATS_INIT, b = GROWTH_DELAYED_STATS_INIT;
        if (growth_delayed_stats_get(d, &a)) return -1;
        rc = growth_delayed_impression(d, (uint64_t)i, (double)i, g_idx + 4 * i, NULL, NULL, 4);
        if (rc == GROWTH_ENOMEM) {
            failed = rc;
            if (growth_delayed_stats_get(d, &b) || b.impressions != a.impressions) return -1;
            rc = growth_delayed_impression(d, (uint64_t)i, (double)i, g_idx + 4 * i, NULL, NULL, 4);
            if (rc) rc = -1;
        }
        if (!rc && i % 3 == 0 && i >= 5)
            rc = growth_delayed_conversion(d, (uint64_t)(i - 5), (double)i + 0.5);
    }
    if (!rc) rc = growth_delayed_advance(d, 1e6);
    growth_delayed_free(d);
    growth_ftrl_free(m);
    return rc ? rc : failed;
}

static int c_delayed(void *unused)
{
    (void)unused;
    int rc = c_delayed_cfg("window=100");
    if (!rc) rc = c_delayed_cfg("method=naive elapsed=3 window=50 max_memory=4000");
    return rc;
}

/* ---- the sweep --------------------------------------------------------------------------- */

static int total_bad;
#define SWEEP(name, ...) total_bad += sweep(name, (gstep){__VA_ARGS__})

TEST(every_allocation_may_fail)
{
    int before = total_bad;
    SWEEP("ftrl create", .k = &K_ftrl, .ctor = c_ftrl_create);
    SWEEP("ftrl train (csr)", .k = &K_ftrl, .make = mk_ftrl, .call = c_ftrl_train);
    SWEEP("ftrl predict (csr)", .k = &K_ftrl, .make = mk_ftrl, .call = c_ftrl_predict, .ro = true);
    SWEEP("ftrl config", .k = &K_ftrl, .make = mk_ftrl, .call = c_ftrl_cfg, .ro = true);
    SWEEP("ftrl train (keys csr, hashed)", .k = &K_ftrl, .make = mk_ftrl, .call = c_ftrl_train_keys_csr);
    SWEEP("ftrl predict (keys csr, hashed)", .k = &K_ftrl, .make = mk_ftrl, .call = c_ftrl_predict_keys_csr,
          .ro = true);
    SWEEP("ftrl save", .k = &K_ftrl, .make = mk_ftrl, .call = c_ftrl_save, .ro = true);
    SWEEP("ftrl load", .k = &K_ftrl, .ctor = c_ftrl_load);
    SWEEP("ftrl train threads=2 (csr)", .k = &K_ftrl, .make = mk_ftrl_threads, .call = c_ftrl_train_threads);
    total_bad += sweep_roundtrip("ftrl", &K_ftrl, mk_ftrl);
    SWEEP("ftrl exact create", .k = &K_ftrl, .ctor = c_ftrlx_create);
    SWEEP("ftrl exact train (keys)", .k = &K_ftrl, .make = mk_ftrlx, .call = c_ftrlx_train);
    SWEEP("ftrl exact predict (keys)", .k = &K_ftrl, .make = mk_ftrlx, .call = c_ftrlx_predict, .ro = true);
    total_bad += sweep_roundtrip("ftrl exact", &K_ftrl, mk_ftrlx);

    SWEEP("fm create", .k = &K_fmst, .ctor = c_fm_create);
    SWEEP("fm train (csr)", .k = &K_fmst, .make = mk_fm, .call = c_fm_train);
    SWEEP("fm update", .k = &K_fmst, .make = mk_fm2, .call = c_fm_update);
    SWEEP("fm esmm update", .k = &K_fmst, .make = mk_fm2, .call = c_fm_esmm);
    SWEEP("fm predict (csr)", .k = &K_fmst, .make = mk_fm, .call = c_fm_predict, .ro = true);
    SWEEP("fm config", .k = &K_fmst, .make = mk_fm, .call = c_fm_cfg, .ro = true);
    SWEEP("fm fit (auto-stop, progress)", .k = &K_fmst, .make = mk_fm_progress, .call = c_fm_fit);
    SWEEP("fm train threads=2 (csr)", .k = &K_fmst, .make = mk_fm_threads, .call = c_fm_train_threads);
    SWEEP("fm fit threads=2", .k = &K_fmst, .make = mk_fm_threads, .call = c_fm_fit_threads);

    SWEEP("fm save", .k = &K_fm, .make = mk_fm_state, .call = c_fm_save, .ro = true);
    SWEEP("fm load", .k = &K_fm, .ctor = c_fm_load);
    SWEEP("fm import_libffm", .k = &K_fm, .ctor = c_fm_import);
    total_bad += sweep_roundtrip("fm", &K_fm, mk_fm_state);
    SWEEP("fm exact create", .k = &K_fm, .ctor = c_fmx_create);
    SWEEP("fm exact train (keys)", .k = &K_fm, .make = mk_fmx, .call = c_fmx_train);
    SWEEP("fm exact predict (keys)", .k = &K_fm, .make = mk_fmx, .call = c_fmx_predict, .ro = true);
    SWEEP("fm exact train (keys csr)", .k = &K_fm, .make = mk_fmx, .call = c_fmx_train_csr);
    total_bad += sweep_roundtrip("fm exact", &K_fm, mk_fmx);
    SWEEP("fm exact fit (auto-stop)", .k = &K_fm, .make = mk_fmx_fit, .call = c_fm_fit);
    SWEEP("fm exact esmm update", .k = &K_fm, .make = mk_fmx_esmm, .call = c_fmx_esmm);

    SWEEP("forest train", .k = &K_forest, .ctor = c_forest_train);
    SWEEP("forest predict (dense)", .k = &K_forest, .make = mk_forest, .call = c_forest_predict, .ro = true);
    SWEEP("forest importance", .k = &K_forest, .make = mk_forest, .call = c_forest_importance, .ro = true);
    total_bad += sweep_roundtrip("forest", &K_forest, mk_forest);

    SWEEP("calibrator create", .k = &K_calibrator, .ctor = c_cal_create);
    SWEEP("calibrator fit", .k = &K_calibrator, .make = mk_calibrator, .call = c_cal_fit);
    SWEEP("calibrator apply", .k = &K_calibrator, .make = mk_calibrator, .call = c_cal_apply, .ro = true);
    total_bad += sweep_roundtrip("calibrator", &K_calibrator, mk_calibrator);

    SWEEP("bandit add arm", .k = &K_bandit, .make = mk_bandit, .call = c_bandit_add);
    SWEEP("bandit select + reward", .k = &K_bandit, .make = mk_bandit, .call = c_bandit_select_reward);
    SWEEP("linear bandit select + reward", .k = &K_bandit, .make = mk_lin_bandit, .call = c_linbandit);
    total_bad += sweep_roundtrip("bandit", &K_bandit, mk_bandit);
    total_bad += sweep_roundtrip("linear bandit", &K_bandit, mk_lin_bandit);
    SWEEP("logistic bandit select_csr + reward", .k = &K_bandit, .make = mk_log_bandit, .call = c_logbandit);
    total_bad += sweep_roundtrip("logistic bandit", &K_bandit, mk_log_bandit);

    SWEEP("index add (flat)", .k = &K_index, .make = mk_flat, .call = c_index_add);
    SWEEP("index add (hnsw)", .k = &K_index, .make = mk_hnsw, .call = c_index_add);
    SWEEP("index add (ivf)", .k = &K_index, .make = mk_ivf, .call = c_index_add);
    SWEEP("index create + train (ivf)", .k = &K_index, .ctor = c_ivf_create_train);
    SWEEP("index search batch (hnsw)", .k = &K_index, .make = mk_hnsw, .call = c_index_search, .ro = true);
    SWEEP("index search batch (ivf)", .k = &K_index, .make = mk_ivf, .call = c_index_search, .ro = true);
    SWEEP("index remove (hnsw)", .k = &K_index, .make = mk_hnsw, .call = c_index_remove);
    SWEEP("index compact (hnsw)", .k = &K_index, .make = mk_hnsw_removed, .call = c_index_compact);
    SWEEP("index add (flat pq)", .k = &K_index, .make = mk_flat_pq, .call = c_index_add);
    SWEEP("index add (ivf pq rerank)", .k = &K_index, .make = mk_ivf_pq, .call = c_index_add);
    SWEEP("index add (ivf fp16)", .k = &K_index, .make = mk_ivf_fp16, .call = c_index_add);
    SWEEP("index create + train (ivf pq)", .k = &K_index, .ctor = c_ivfpq_create_train);
    SWEEP("index create + add trains pq (flat)", .k = &K_index, .ctor = c_pq_create_add);
    SWEEP("index search batch (ivf pq)", .k = &K_index, .make = mk_ivf_pq, .call = c_index_search,
          .ro = true);
    SWEEP("index search batch (flat pq)", .k = &K_index, .make = mk_flat_pq, .call = c_index_search,
          .ro = true);
    SWEEP("index dedup + mmr (flat pq)", .k = &K_index, .make = mk_flat_pq, .call = c_index_dedup_mmr,
          .ro = true);
    SWEEP("index compact (ivf pq)", .k = &K_index, .make = mk_ivf_pq_removed, .call = c_index_compact);
    SWEEP("index create + train (ivf opq)", .k = &K_index, .ctor = c_opq_create_train);
    SWEEP("index add (flat opq)", .k = &K_index, .make = mk_flat_opq, .call = c_index_add);
    SWEEP("index search batch (ivf opq)", .k = &K_index, .make = mk_ivf_opq, .call = c_index_search,
          .ro = true);
    SWEEP("index compact (ivf opq)", .k = &K_index, .make = mk_ivf_opq_removed, .call = c_index_compact);
    total_bad += sweep_roundtrip("index ivf opq", &K_index, mk_ivf_opq);
    total_bad += sweep_roundtrip("index ivf pq", &K_index, mk_ivf_pq);
    total_bad += sweep_roundtrip("index flat pq", &K_index, mk_flat_pq);
    total_bad += sweep_roundtrip("index (hnsw)", &K_index, mk_hnsw);
    total_bad += sweep_roundtrip("index (ivf)", &K_index, mk_ivf);

    SWEEP("text add", .k = &K_text, .make = mk_text, .call = c_text_add);
    SWEEP("text search", .k = &K_text, .make = mk_text, .call = c_text_search, .ro = true);
    SWEEP("text remove", .k = &K_text, .make = mk_text, .call = c_text_remove);
    SWEEP("text compact", .k = &K_text, .make = mk_text_removed, .call = c_text_compact);
    SWEEP("text add (across a posting block)", .k = &K_text, .make = mk_text_block, .call = c_text_add);
    SWEEP("text search (exhaustive)", .k = &K_text, .make = mk_text_block, .call = c_text_search, .ro = true);
    SWEEP("text search (wand, 80 terms, k=300)", .k = &K_text, .make = mk_text_block_wand,
          .call = c_text_search_wand_many, .ro = true);
    SWEEP("text compact (aside, blocks)", .k = &K_text, .make = mk_text_block_removed,
          .call = c_text_compact);
    total_bad += sweep_roundtrip("text", &K_text, mk_text);

    SWEEP("bidder bid + auctions", .k = &K_bidder, .make = mk_bidder, .call = c_bidder_bid);
    total_bad += sweep_roundtrip("bidder", &K_bidder, mk_bidder);

    SWEEP("net workspace + predict", .k = &K_net, .make = mk_net, .call = c_net_predict, .ro = true);
    total_bad += sweep_roundtrip("net", &K_net, mk_net);

    SWEEP("uplift train (x_learner, forest)", .k = &K_uplift, .ctor = c_uplift_train);
    SWEEP("uplift train (s_learner, ftrl)", .k = &K_uplift, .ctor = c_uplift_train_ftrl);
    SWEEP("uplift predict", .k = &K_uplift, .make = mk_uplift, .call = c_uplift_predict, .ro = true);
    total_bad += sweep_roundtrip("uplift", &K_uplift, mk_uplift);
    SWEEP("uplift allocate", .call = c_uplift_allocate);
    SWEEP("bandit ope interval", .call = c_bandit_ope_interval);
    SWEEP("uplift metrics", .call = c_uplift_metrics);

    SWEEP("mckp create + solve", .call = c_mckp);
    SWEEP("mckp coordinated solve", .call = c_mckp_coord);
    SWEEP("channels", .call = c_channels);
    SWEEP("response fit + allocate", .call = c_response);
    SWEEP("push allocation", .call = c_push);
    SWEEP("metrics", .call = c_metrics);
    SWEEP("rank fusion + fit", .call = c_rank);
    SWEEP("features and rows", .call = c_features);
    SWEEP("audience peer + select", .call = c_audience);
    SWEEP("audience pu_score (ftrl)", .call = c_pu);
    SWEEP("delayed feedback (fnw, naive with a memory cap)", .call = c_delayed);
    CHECK(total_bad == before);
}

int main(void)
{
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* serialised bytes compare across saves */
    make_data();
    gt_path(g_path, sizeof g_path, "alloc_fail.model");
    void *m = mk_ftrl();
    growth_ftrl_save(m, g_path);
    growth_ftrl_free(m);
    gt_path(g_fm_path, sizeof g_fm_path, "alloc_fail.fm");
    gt_path(g_ffm_path, sizeof g_ffm_path, "alloc_fail.libffm");
    m = mk_fm_state();
    growth_fm_save(m, g_fm_path);
    growth_fm_free(m);
    write_libffm(g_ffm_path);
    RUN(every_allocation_may_fail);
    remove(g_path);
    remove(g_fm_path);
    remove(g_ffm_path);
    return GT_SUMMARY();
}
