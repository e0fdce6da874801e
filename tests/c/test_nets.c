/* Dense nets and DSSM: hand-computed tiny models, Wide&Deep pooling, batches vs single rows,
 * bad inputs, hostile files, save/load round trips, word hashing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "growth/growth.h"
#include "gtest.h"
#include "net.pb-c.h"
#include "net_fixtures.h"

/* ---- building model bytes with protobuf-c ---------------------------------------------------- */

static uint8_t *pack_dssm(const Growth__Dssm *msg, size_t *len)
{
    size_t plen = growth__dssm__get_packed_size(msg);
    uint8_t *p = malloc(plen + 1);
    growth__dssm__pack(msg, p);
    uint8_t *buf = envelope(GROWTH_KIND_DSSM, p, plen, len);
    free(p);
    return buf;
}

/* The tiny MLP: 2 -> dense -> relu -> dense -> 1, output sigmoid.
 * W1 = [[1, 2], [3, -4]] (torch layout: out x in), b1 = [0.5, -1]; W2 = [[1, -1]], b2 = [0.25] */
static float W1[] = {1, 2, 3, -4}, B1[] = {0.5f, -1}, W2[] = {1, -1}, B2[] = {0.25f};

static void tiny_msg(Growth__Net *msg)
{
    growth__net__init(msg);
    msg->dense_dim = 2;
    dense(0, 2, 2, W1, B1);
    act(1, "relu");
    dense(2, 2, 1, W2, B2);
    msg->n_layers = 3;
    msg->layers = LP_;
    msg->output = "sigmoid";
}

static growth_net *tiny_net(void)
{
    Growth__Net msg;
    tiny_msg(&msg);
    size_t len;
    uint8_t *buf = pack_net(&msg, GROWTH_KIND_NET, &len);
    growth_net *net = NULL;
    CHECK_OK(growth_net_deserialize(&net, buf, len));
    free(buf);
    return net;
}

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

static double tiny_ref(const float *x)
{
    double h0 = 1 * x[0] + 2 * x[1] + 0.5, h1 = 3 * x[0] - 4 * x[1] - 1;
    h0 = h0 > 0 ? h0 : 0;
    h1 = h1 > 0 ? h1 : 0;
    return sigmoid(h0 - h1 + 0.25);
}

TEST(tiny_mlp_matches_hand_computation)
{
    growth_net *net = tiny_net();
    growth_net_workspace *ws = NULL;
    CHECK_OK(growth_net_workspace_create(&ws, net, "batch=3"));
    float x[2] = {1, 1}, y = 0;
    CHECK_OK(growth_net_predict(net, ws, x, 2, &y, 1));
    CHECK_NEAR(y, sigmoid(3.75), 1e-6); /* h = [3.5, -2] -> relu [3.5, 0] -> 3.75 */
    float x2[2] = {2, -1};              /* h = [0.5, 9] -> 0.5 - 9 + 0.25 */
    CHECK_OK(growth_net_predict(net, ws, x2, 2, &y, 1));
    CHECK_NEAR(y, sigmoid(-8.25), 1e-7);
    /* A batch of 10 rows through chunks of 3 equals the single rows and the reference. */
    float X[20], Y[10], y1;
    for (int i = 0; i < 20; i++) X[i] = (float)((i * 7) % 11) - 5.0f + 0.25f * (float)i;
    CHECK_OK(growth_net_predict_dense(net, ws, X, 10, 2, Y, 10));
    for (int r = 0; r < 10; r++) {
        CHECK_OK(growth_net_predict(net, ws, X + 2 * r, 2, &y1, 1));
        CHECK_NEAR(Y[r], y1, 1e-7);
        CHECK_NEAR(Y[r], tiny_ref(X + 2 * r), 1e-6);
    }
    growth_net_stats st = GROWTH_NET_STATS_INIT;
    CHECK_OK(growth_net_stats_get(net, &st));
    CHECK(st.dense_dim == 2 && st.fields == 0 && st.wide_rows == 0 && st.out_dim == 1);
    CHECK(st.struct_size == sizeof st && st.reserved == 0);
    /* The struct_size rule: 0 and short sizes are refused; a newer caller's larger struct gets
     * the known members and keeps its tail. */
    growth_net_stats z;
    memset(&z, 0, sizeof z);
    CHECK_RC(growth_net_stats_get(net, &z), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    z.struct_size = (uint32_t)offsetof(growth_net_stats, out_dim);
    CHECK_RC(growth_net_stats_get(net, &z), GROWTH_EINVAL);
    CHECK(z.dense_dim == 0);
    struct {
        growth_net_stats s;
        uint64_t tail[2];
    } big;
    memset(&big, 0, sizeof big);
    big.s.struct_size = (uint32_t)sizeof big;
    big.tail[0] = 9;
    CHECK_OK(growth_net_stats_get(net, &big.s));
    CHECK(big.s.dense_dim == 2 && big.s.out_dim == 1 && big.tail[0] == 9 && big.tail[1] == 0);
    CHECK_RC(growth_net_stats_get(NULL, &st), GROWTH_EINVAL);
    CHECK_RC(growth_net_stats_get(net, NULL), GROWTH_EINVAL);
    char cfg[256];
    CHECK_OK(growth_net_config(net, cfg, sizeof cfg, NULL));
    CHECK(strcmp(cfg, "dense_dim=2 embeddings= layers=dense:2x2,relu,dense:2x1 wide= output=sigmoid") == 0);
    growth_net_workspace_free(ws);
    growth_net_free(net);
}

TEST(wider_layers_and_batches_agree)
{
    /* 37 -> 70 (tanh) -> 33 (sigmoid) -> 5: single rows (own loops) vs batch (sgemm) vs double. */
    enum { I = 37, H1 = 70, H2 = 33, O = 5, N = 50 };
    static float w1[H1 * I], b1[H1], w2[H2 * H1], b2[H2], w3[O * H2], b3[O], X[N * I], Y[N * O];
    grng r;
    grng_seed(&r, 7);
    for (int i = 0; i < H1 * I; i++) w1[i] = (float)(grng_uniform(&r) - 0.5);
    for (int i = 0; i < H2 * H1; i++) w2[i] = (float)(grng_uniform(&r) - 0.5);
    for (int i = 0; i < O * H2; i++) w3[i] = (float)(grng_uniform(&r) - 0.5);
    for (int i = 0; i < H1; i++) b1[i] = (float)(grng_uniform(&r) - 0.5);
    for (int i = 0; i < H2; i++) b2[i] = (float)(grng_uniform(&r) - 0.5);
    for (int i = 0; i < O; i++) b3[i] = (float)(grng_uniform(&r) - 0.5);
    for (int i = 0; i < N * I; i++) X[i] = i % 5 == 0 ? 0.0f : (float)grng_normal(&r);
    Growth__Net msg;
    growth__net__init(&msg);
    msg.dense_dim = I;
    dense(0, I, H1, w1, b1);
    act(1, "tanh");
    dense(2, H1, H2, w2, b2);
    act(3, "sigmoid");
    dense(4, H2, O, w3, b3);
    act(5, "identity");
    msg.n_layers = 6;
    msg.layers = LP_;
    size_t len;
    uint8_t *buf = pack_net(&msg, GROWTH_KIND_NET, &len);
    growth_net *net = NULL;
    growth_net_workspace *ws = NULL;
    CHECK_OK(growth_net_deserialize(&net, buf, len));
    CHECK_OK(growth_net_workspace_create(&ws, net, "batch=16"));
    CHECK_OK(growth_net_predict_dense(net, ws, X, N, I, Y, N * O));
    for (int n = 0; n < N; n++) {
        double h1[H1], h2[H2];
        for (int j = 0; j < H1; j++) {
            double s = b1[j];
            for (int i = 0; i < I; i++) s += (double)w1[j * I + i] * X[n * I + i];
            h1[j] = tanh(s);
        }
        for (int j = 0; j < H2; j++) {
            double s = b2[j];
            for (int i = 0; i < H1; i++) s += (double)w2[j * H1 + i] * h1[i];
            h2[j] = sigmoid(s);
        }
        float y1[O];
        CHECK_OK(growth_net_predict(net, ws, X + n * I, I, y1, O));
        for (int j = 0; j < O; j++) {
            double s = b3[j];
            for (int i = 0; i < H2; i++) s += (double)w3[j * H2 + i] * h2[i];
            CHECK_NEAR(Y[n * O + j], s, 1e-5);
            CHECK_NEAR(y1[j], s, 1e-5);
        }
    }
    growth_net_workspace_free(ws);
    growth_net_free(net);
    free(buf);
}

TEST(wide_and_deep_pools_embeddings_and_adds_wide)
{
    growth_net *net = wd_net();
    growth_net_workspace *ws = NULL;
    CHECK_OK(growth_net_workspace_create(&ws, net, NULL));
    /* x = 0.5; field 0 ids {0, 2} -> mean([1,2],[5,6]) = [3,4]; field 1 ids {1, 1} -> 40;
     * wide: slot 1 x 2 + slot 4 x 1 (val NULL = 1 only in the second call). */
    float x = 0.5f, y = 0;
    uint32_t cf[] = {0, 1, 0, 1}, ci[] = {0, 1, 2, 1}, wi[] = {1, 4};
    float wv[] = {2, 1};
    CHECK_OK(growth_net_predict_wide_deep(net, ws, &x, 1, cf, ci, 4, wi, wv, 2, &y, 1));
    CHECK_NEAR(y, 0.5 + 3 + 4 + 40 + (-1 * 2 + 3 * 1) + 0.125, 1e-5);
    CHECK_OK(growth_net_predict_wide_deep(net, ws, &x, 1, cf, ci, 4, wi, NULL, 2, &y, 1));
    CHECK_NEAR(y, 0.5 + 3 + 4 + 40 + (-1 + 3) + 0.125, 1e-5);
    /* No ids: empty pools are 0; the wide bias stays. */
    CHECK_OK(growth_net_predict(net, ws, &x, 1, &y, 1));
    CHECK_NEAR(y, 0.5 + 0.125, 1e-6);
    /* Batch of 3 rows in CSR form equals the single rows. */
    float X[3] = {0.5f, -1, 2}, Y[3];
    uint64_t cp[] = {0, 4, 4, 5}, wp[] = {0, 2, 3, 3};
    uint32_t cf2[] = {0, 1, 0, 1, 0}, ci2[] = {0, 1, 2, 1, 1}, wi2[] = {1, 4, 2};
    float wv2[] = {2, 1, 7};
    CHECK_OK(growth_net_predict_wide_deep_csr(net, ws, X, 3, 1, cp, cf2, ci2, wp, wi2, wv2, Y, 3));
    CHECK_NEAR(Y[0], 0.5 + 3 + 4 + 40 + 1 + 0.125, 1e-5);
    CHECK_NEAR(Y[1], -1 + 14 + 0.125, 1e-5);
    CHECK_NEAR(Y[2], 2 + 3 + 4 + 0.125, 1e-5);
    /* Bad ids. */
    uint32_t badf[] = {2}, badi[] = {3}, zero[] = {0}, badw[] = {5};
    CHECK_RC(growth_net_predict_wide_deep(net, ws, &x, 1, badf, zero, 1, NULL, NULL, 0, &y, 1),
             GROWTH_EINVAL);
    CHECK_MSG("names field 2");
    CHECK_RC(growth_net_predict_wide_deep(net, ws, &x, 1, zero, badi, 1, NULL, NULL, 0, &y, 1),
             GROWTH_EINVAL);
    CHECK_MSG("outside its 3 embedding rows");
    CHECK_RC(growth_net_predict_wide_deep(net, ws, &x, 1, NULL, NULL, 0, badw, NULL, 1, &y, 1),
             GROWTH_EINVAL);
    CHECK_MSG("wide slot 5");
    float nanv[] = {NAN};
    CHECK_RC(growth_net_predict_wide_deep(net, ws, &x, 1, NULL, NULL, 0, wi, nanv, 1, &y, 1), GROWTH_EINVAL);
    CHECK_MSG("NaN");
    uint64_t dec[] = {0, 4, 2, 5};
    CHECK_RC(growth_net_predict_wide_deep_csr(net, ws, X, 3, 1, dec, cf2, ci2, NULL, NULL, NULL, Y, 3),
             GROWTH_EINVAL);
    CHECK_MSG("decreases");
    char cfg[256];
    CHECK_OK(growth_net_config(net, cfg, sizeof cfg, NULL));
    CHECK(strcmp(cfg, "dense_dim=1 embeddings=3x2:mean,2x1:sum layers=dense:4x1 wide=5x1 output=identity") ==
          0);
    /* Round trip keeps everything. */
    uint8_t *bytes = NULL;
    size_t blen = 0;
    CHECK_OK(growth_net_serialize(net, &bytes, &blen));
    growth_net *net2 = NULL;
    CHECK_OK(growth_net_deserialize(&net2, bytes, blen));
    float Y2[3];
    CHECK_OK(growth_net_predict_wide_deep_csr(net2, ws, X, 3, 1, cp, cf2, ci2, wp, wi2, wv2, Y2, 3));
    CHECK(memcmp(Y, Y2, sizeof Y) == 0);
    growth_buffer_free(bytes);
    growth_net_free(net2);
    growth_net_workspace_free(ws);
    growth_net_free(net);
}

TEST(bad_inputs_are_rejected_with_messages)
{
    growth_net *net = tiny_net();
    growth_net_workspace *ws = NULL, *small = NULL;
    CHECK_OK(growth_net_workspace_create(&ws, net, NULL));
    float x[3] = {1, 2, 3}, y[2];
    CHECK_RC(growth_net_predict(net, ws, x, 3, y, 2), GROWTH_EINVAL);
    CHECK_MSG("input width 3");
    CHECK_RC(growth_net_predict_dense(net, ws, x, 1, 3, y, 2), GROWTH_EINVAL);
    CHECK_MSG("growth_net_predict_dense");
    float xn[2] = {1, NAN};
    CHECK_RC(growth_net_predict(net, ws, xn, 2, y, 2), GROWTH_EINVAL);
    CHECK_MSG("column 1 is NaN");
    CHECK_RC(growth_net_predict(net, ws, x, 2, y, 0), GROWTH_EBUFS);
    CHECK_RC(growth_net_predict_dense(net, ws, x, 2, 2, y, 1), GROWTH_EBUFS);
    CHECK_RC(growth_net_predict(NULL, ws, x, 2, y, 1), GROWTH_EINVAL);
    CHECK_RC(growth_net_predict(net, NULL, x, 2, y, 1), GROWTH_EINVAL);
    CHECK_MSG("ws is NULL");
    CHECK_RC(growth_net_predict(net, ws, NULL, 2, y, 1), GROWTH_EINVAL);
    CHECK_RC(growth_net_predict(net, ws, x, 2, NULL, 1), GROWTH_EINVAL);
    CHECK_RC(growth_net_predict_wide_deep(net, ws, x, 2, NULL, NULL, 0, (const uint32_t[]){0}, NULL, 1, y, 1),
             GROWTH_EINVAL);
    CHECK_MSG("no wide part");
    CHECK_RC(growth_net_workspace_create(&small, net, "batch=0"), GROWTH_EINVAL);
    CHECK_MSG("batch");
    CHECK_RC(growth_net_workspace_create(&small, net, "threads=2"), GROWTH_EINVAL);
    CHECK(small == NULL);
    /* A workspace made for a smaller model. */
    growth_net *wd = wd_net();
    CHECK_OK(growth_net_workspace_create(&small, net, NULL)); /* width 2, no fields */
    float xw = 1;
    CHECK_RC(growth_net_predict(wd, small, &xw, 1, y, 1), GROWTH_EINVAL);
    CHECK_MSG("workspace holds");
    char cfg[8];
    size_t need = 0;
    CHECK_RC(growth_net_config(net, cfg, sizeof cfg, &need), GROWTH_EBUFS);
    CHECK(need > sizeof cfg);
    growth_net_free(wd);
    growth_net_workspace_free(small);
    growth_net_workspace_free(ws);
    growth_net_free(net);
    growth_net_free(NULL);
    growth_net_workspace_free(NULL);
}

static int load_msg(Growth__Net *msg, uint32_t kind)
{
    size_t len;
    uint8_t *buf = pack_net(msg, kind, &len);
    growth_net *net = NULL;
    int rc = growth_net_deserialize(&net, buf, len);
    CHECK(rc == GROWTH_OK || net == NULL);
    growth_net_free(net);
    free(buf);
    return rc;
}

TEST(hostile_files_are_format_errors)
{
    Growth__Net msg;
    tiny_msg(&msg);
    CHECK_OK(load_msg(&msg, GROWTH_KIND_NET));
    CHECK_RC(load_msg(&msg, GROWTH_KIND_DSSM), GROWTH_EFORMAT);
    CHECK_MSG("expected 'net'");
    L_[1].type = "conv2d";
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    CHECK_MSG("unknown layer type 'conv2d'");
    L_[1].type = "relu";
    L_[2].n_weight = 1; /* truncated weights */
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    CHECK_MSG("has 1 weights");
    tiny_msg(&msg);
    float bad[] = {1, NAN, 3, 4};
    L_[0].weight = bad;
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    CHECK_MSG("NaN or Inf");
    bad[1] = INFINITY;
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    tiny_msg(&msg);
    msg.dense_dim = 3; /* first layer takes 2 */
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    CHECK_MSG("takes 2 inputs but receives 3");
    tiny_msg(&msg);
    L_[0].out_dim = 4000000000u; /* hostile declared size: rejected before allocating */
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    tiny_msg(&msg);
    L_[1].out_dim = 7; /* activation declaring a wrong width */
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    tiny_msg(&msg);
    msg.output = "softmax";
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    CHECK_MSG("output activation");
    tiny_msg(&msg);
    msg.n_layers = 0;
    CHECK_RC(load_msg(&msg, GROWTH_KIND_NET), GROWTH_EFORMAT);
    CHECK_MSG("no dense layer");
    /* Truncated and corrupted bytes of a valid file. */
    tiny_msg(&msg);
    size_t len;
    uint8_t *buf = pack_net(&msg, GROWTH_KIND_NET, &len);
    growth_net *net = NULL;
    for (size_t cut = 0; cut < len; cut += 3) {
        CHECK_RC(growth_net_deserialize(&net, buf, cut), GROWTH_EFORMAT);
        CHECK(net == NULL);
    }
    buf[len - 5] ^= 0x40;
    CHECK_RC(growth_net_deserialize(&net, buf, len), GROWTH_EFORMAT);
    /* A payload that does not decode, in a valid envelope. */
    uint8_t junk[] = {0x22, 0xff, 0xff, 0xff, 0x0f, 1, 2};
    size_t jl;
    uint8_t *jb = envelope(GROWTH_KIND_NET, junk, sizeof junk, &jl);
    CHECK_RC(growth_net_deserialize(&net, jb, jl), GROWTH_EFORMAT);
    CHECK_MSG("does not decode");
    free(jb);
    free(buf);
    char path[512];
    gt_path(path, sizeof path, "nets_missing.net");
    remove(path);
    CHECK_RC(growth_net_load(&net, path), GROWTH_EIO);
    CHECK_RC(growth_net_load(NULL, path), GROWTH_EINVAL);
}

TEST(save_load_round_trip)
{
    growth_net *net = tiny_net(), *back = NULL;
    char path[512];
    gt_path(path, sizeof path, "nets_tiny.net");
    CHECK_OK(growth_net_save(net, path));
    int kind = 0;
    CHECK_OK(growth_model_kind(path, &kind, NULL));
    CHECK(kind == GROWTH_KIND_NET);
    CHECK_OK(growth_net_load(&back, path));
    growth_net_workspace *ws = NULL;
    CHECK_OK(growth_net_workspace_create(&ws, back, NULL));
    float X[] = {1, 1, 2, -1, 0.3f, 0.7f}, A[3], B[3];
    CHECK_OK(growth_net_predict_dense(net, ws, X, 3, 2, A, 3));
    CHECK_OK(growth_net_predict_dense(back, ws, X, 3, 2, B, 3));
    CHECK(memcmp(A, B, sizeof A) == 0);
    char c1[256], c2[256];
    CHECK_OK(growth_net_config(net, c1, sizeof c1, NULL));
    CHECK_OK(growth_net_config(back, c2, sizeof c2, NULL));
    CHECK(strcmp(c1, c2) == 0);
    /* The DSSM loader refuses a net file. */
    growth_dssm *d = NULL;
    CHECK_RC(growth_dssm_load(&d, path), GROWTH_EFORMAT);
    CHECK_MSG("expected 'dssm'");
    growth_net_workspace_free(ws);
    growth_net_free(back);
    growth_net_free(net);
}

/* ---- DSSM ------------------------------------------------------------------------------------ */

static uint32_t slot_of(const char *gram, uint32_t buckets, uint64_t seed)
{
    return (uint32_t)(growth_hash64(gram, strlen(gram), seed) % buckets);
}

/* Sorted distinct slots with counts of a list of grams (the independent reference). */
static size_t ref_hash(const char *const *grams, size_t n, uint32_t buckets, uint64_t seed, uint32_t *idx,
                       float *val)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = slot_of(grams[i], buckets, seed);
        size_t j = 0;
        while (j < m && idx[j] != s) j++;
        if (j == m) {
            idx[m] = s;
            val[m++] = 0;
        }
        val[j] += 1;
    }
    for (size_t a = 0; a < m; a++) /* insertion sort */
        for (size_t b = a; b > 0 && idx[b - 1] > idx[b]; b--) {
            uint32_t t = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = t;
            float v = val[b];
            val[b] = val[b - 1];
            val[b - 1] = v;
        }
    return m;
}

static void check_hash(const char *text, const char *const *grams, size_t n)
{
    uint32_t idx[64], ridx[64];
    float val[64], rval[64];
    size_t got = 0;
    CHECK_OK(growth_features_hash_text(text, 1u << 20, 42, idx, val, 64, &got));
    size_t want = ref_hash(grams, n, 1u << 20, 42, ridx, rval);
    CHECK(got == want);
    for (size_t i = 0; i < got && i < want; i++) {
        CHECK(idx[i] == ridx[i]);
        CHECK(val[i] == rval[i]);
    }
}

TEST(word_hashing_letter_trigrams_and_cjk)
{
    check_hash("good", (const char *const[]){"#go", "goo", "ood", "od#"}, 4);
    check_hash("  GooD!! ", (const char *const[]){"#go", "goo", "ood", "od#"}, 4);
    check_hash("a bb", (const char *const[]){"#a#", "#bb", "bb#"}, 3);
    check_hash("good good", (const char *const[]){"#go", "goo", "ood", "od#", "#go", "goo", "ood", "od#"}, 8);
    /* Code points, not bytes: é is two bytes. */
    check_hash("café", (const char *const[]){"#ca", "caf", "afé", "fé#"}, 4);
    /* CJK: characters and adjacent pairs; Latin words around them hash as words. */
    check_hash("北京大学", (const char *const[]){"北", "京", "北京", "大", "京大", "学", "大学"}, 7);
    check_hash("nike跑鞋", (const char *const[]){"#ni", "nik", "ike", "ke#", "跑", "鞋", "跑鞋"}, 7);
    check_hash("跑，鞋", (const char *const[]){"跑", "鞋"}, 2); /* CJK punctuation separates */
    check_hash("", NULL, 0);
    check_hash("a\xff"
               "b",
               (const char *const[]){"#a#", "#b#"}, 2); /* invalid byte separates */
    uint32_t idx[2];
    float val[2];
    size_t n = 0;
    CHECK_RC(growth_features_hash_text("good", 1u << 20, 0, idx, val, 2, &n), GROWTH_EBUFS);
    CHECK(n == 4);
    CHECK_RC(growth_features_hash_text("good", 0, 0, idx, val, 2, &n), GROWTH_EINVAL);
    CHECK(n == 0);
    CHECK_RC(growth_features_hash_text(NULL, 10, 0, idx, val, 2, &n), GROWTH_EINVAL);
}

/* The EBUFS protocol of growth_features_hash_text: *out_n is the exact number of distinct slots
 * (not the n-gram count), and the caller's buffers are not written, for short texts (stack
 * scratch) and long ones (heap scratch). */
static void check_hash_ebufs(const char *text, uint32_t buckets)
{
    enum { BIG = 8192 };
    static uint32_t idx[BIG], idx2[BIG];
    static float val[BIG], val2[BIG];
    size_t n = 0;
    CHECK_OK(growth_features_hash_text(text, buckets, 7, idx, val, BIG, &n));
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        total += val[i];
        if (i) CHECK(idx[i - 1] < idx[i]);
    }
    if (n == 0) return;
    for (size_t cap = 0; cap < n; cap += 1 + n / 7) {
        for (size_t i = 0; i < BIG; i++) {
            idx2[i] = 0xdeadbeefu;
            val2[i] = -1.0f;
        }
        size_t need = 12345;
        CHECK_RC(
            growth_features_hash_text(text, buckets, 7, cap ? idx2 : NULL, cap ? val2 : NULL, cap, &need),
            GROWTH_EBUFS);
        CHECK(need == n);
        for (size_t i = 0; i < BIG; i++) CHECK(idx2[i] == 0xdeadbeefu && val2[i] == -1.0f);
    }
    /* The exact count suffices and gives the same result. */
    size_t m = 0;
    CHECK_OK(growth_features_hash_text(text, buckets, 7, idx2, val2, n, &m));
    CHECK(m == n && memcmp(idx, idx2, n * sizeof *idx) == 0 && memcmp(val, val2, n * sizeof *val) == 0);
    CHECK(total >= (double)n);
}

TEST(word_hashing_ebufs_is_exact)
{
    check_hash_ebufs("good good good", 1u << 20);            /* 12 n-grams, 4 distinct slots */
    check_hash_ebufs("a fairly ordinary product title", 64); /* collisions in 64 buckets */
    check_hash_ebufs("北京大学 北京", 1000);
    /* Over the stack scratch: 2000 words, repeated words and collisions. */
    static char long_text[2000 * 8];
    size_t pos = 0;
    for (int w = 0; w < 2000; w++)
        pos += (size_t)snprintf(long_text + pos, sizeof long_text - pos, "w%dx ", w % 700);
    check_hash_ebufs(long_text, 1u << 20);
    check_hash_ebufs(long_text, 300);
}

/* buckets 16; query: dense 16 -> 3, tanh; item: dense 16 -> 2, tanh, dense 2 -> 3. */
static float QW[3 * 16], QB[3] = {0.1f, -0.2f, 0.3f}, IW[2 * 16], IB[2] = {0, 0.5f},
                         IW2[3 * 2] = {1, 0, 0, 1, 1, 1}, IB2[3] = {0, 0, -0.25f};

static void dssm_msg(Growth__Dssm *msg)
{
    for (int i = 0; i < 48; i++) QW[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
    for (int i = 0; i < 32; i++) IW[i] = (float)((i * 11) % 13) / 13.0f - 0.5f;
    growth__dssm__init(msg);
    msg->buckets = 16;
    msg->seed = 5;
    dense(0, 16, 3, QW, QB);
    act(1, "tanh");
    dense(2, 16, 2, IW, IB);
    act(3, "tanh");
    dense(4, 2, 3, IW2, IB2);
    msg->n_query = 2;
    msg->query = LP_;
    msg->n_item = 3;
    msg->item = LP_ + 2;
}

static growth_dssm *tiny_dssm(void)
{
    Growth__Dssm msg;
    dssm_msg(&msg);
    size_t len;
    uint8_t *buf = pack_dssm(&msg, &len);
    growth_dssm *d = NULL;
    CHECK_OK(growth_dssm_deserialize(&d, buf, len));
    free(buf);
    return d;
}

/* Reference tower outputs from the hashed counts, in double, normalised. */
static void ref_query(const char *text, double *v)
{
    uint32_t idx[64];
    float val[64];
    size_t n = 0;
    CHECK_OK(growth_features_hash_text(text, 16, 5, idx, val, 64, &n));
    double ss = 0;
    for (int o = 0; o < 3; o++) {
        double s = QB[o];
        for (size_t k = 0; k < n; k++) s += val[k] * QW[o * 16 + idx[k]];
        v[o] = tanh(s);
        ss += v[o] * v[o];
    }
    for (int o = 0; o < 3; o++) v[o] /= sqrt(ss);
}

static void ref_item(const char *text, double *v)
{
    uint32_t idx[64];
    float val[64];
    size_t n = 0;
    CHECK_OK(growth_features_hash_text(text, 16, 5, idx, val, 64, &n));
    double h[2], ss = 0;
    for (int o = 0; o < 2; o++) {
        double s = IB[o];
        for (size_t k = 0; k < n; k++) s += val[k] * IW[o * 16 + idx[k]];
        h[o] = tanh(s);
    }
    for (int o = 0; o < 3; o++) {
        v[o] = IB2[o] + IW2[o * 2] * h[0] + IW2[o * 2 + 1] * h[1];
        ss += v[o] * v[o];
    }
    for (int o = 0; o < 3; o++) v[o] /= sqrt(ss);
}

TEST(dssm_towers_match_reference_and_score_cosines)
{
    growth_dssm *d = tiny_dssm();
    growth_net_workspace *ws = NULL;
    CHECK_OK(growth_dssm_workspace_create(&ws, d, "batch=2"));
    const char *texts[] = {"running shoes", "跑步鞋 nike", "", "good good good", "wireless earbuds"};
    float Q[15], I[15], one[3], s[5];
    CHECK_OK(growth_dssm_encode(d, ws, GROWTH_DSSM_QUERY, texts, 5, Q, 15));
    CHECK_OK(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, texts, 5, I, 15));
    for (int t = 0; t < 5; t++) {
        double rq[3], ri[3];
        ref_query(texts[t], rq);
        ref_item(texts[t], ri);
        for (int o = 0; o < 3; o++) {
            CHECK_NEAR(Q[t * 3 + o], rq[o], 1e-6);
            CHECK_NEAR(I[t * 3 + o], ri[o], 1e-6);
        }
        CHECK_OK(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, texts + t, 1, one, 3));
        for (int o = 0; o < 3; o++) CHECK_NEAR(one[o], I[t * 3 + o], 1e-7);
    }
    CHECK_OK(growth_dssm_score(d, ws, texts[0], texts, 5, s, 5));
    for (int t = 0; t < 5; t++)
        CHECK_NEAR(s[t], Q[0] * I[t * 3] + Q[1] * I[t * 3 + 1] + Q[2] * I[t * 3 + 2], 1e-6);
    growth_dssm_stats st = GROWTH_DSSM_STATS_INIT;
    CHECK_OK(growth_dssm_stats_get(d, &st));
    CHECK(st.dim == 3 && st.buckets == 16 && st.seed == 5 && st.struct_size == sizeof st);
    growth_dssm_stats z;
    memset(&z, 0, sizeof z);
    CHECK_RC(growth_dssm_stats_get(d, &z), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    z.struct_size = (uint32_t)offsetof(growth_dssm_stats, seed);
    CHECK_RC(growth_dssm_stats_get(d, &z), GROWTH_EINVAL);
    CHECK(z.dim == 0 && z.buckets == 0);
    struct {
        growth_dssm_stats s;
        uint64_t tail;
    } big = {{.struct_size = (uint32_t)sizeof big}, 0};
    CHECK_OK(growth_dssm_stats_get(d, &big.s));
    CHECK(big.s.dim == 3 && big.s.seed == 5 && big.s.struct_size == sizeof big && big.tail == 0);
    char cfg[256];
    CHECK_OK(growth_dssm_config(d, cfg, sizeof cfg, NULL));
    CHECK(strcmp(cfg, "buckets=16 seed=5 query=dense:16x3,tanh item=dense:16x2,tanh,dense:2x3") == 0);
    /* Bad input. */
    CHECK_RC(growth_dssm_encode(d, ws, (growth_dssm_tower)7, texts, 1, one, 3), GROWTH_EINVAL);
    CHECK_MSG("tower 7");
    CHECK_RC(growth_dssm_encode(d, ws, GROWTH_DSSM_QUERY, texts, 2, one, 3), GROWTH_EBUFS);
    const char *withnull[] = {"a", NULL};
    CHECK_RC(growth_dssm_encode(d, ws, GROWTH_DSSM_QUERY, withnull, 2, Q, 15), GROWTH_EINVAL);
    CHECK_MSG("text 1 is NULL");
    CHECK_RC(growth_dssm_score(d, ws, NULL, texts, 2, s, 5), GROWTH_EINVAL);
    CHECK_RC(growth_dssm_score(d, ws, "q", texts, 5, s, 4), GROWTH_EBUFS);
    /* Round trip through a file. */
    char path[512];
    gt_path(path, sizeof path, "nets_tiny.dssm");
    CHECK_OK(growth_dssm_save(d, path));
    growth_dssm *back = NULL;
    CHECK_OK(growth_dssm_load(&back, path));
    float Q2[15];
    CHECK_OK(growth_dssm_encode(back, ws, GROWTH_DSSM_QUERY, texts, 5, Q2, 15));
    CHECK(memcmp(Q, Q2, sizeof Q) == 0);
    growth_net *n = NULL;
    CHECK_RC(growth_net_load(&n, path), GROWTH_EFORMAT);
    CHECK_MSG("expected 'net'");
    growth_dssm_free(back);
    growth_net_workspace_free(ws);
    growth_dssm_free(d);
    growth_dssm_free(NULL);
}

static int load_dssm_msg(Growth__Dssm *msg)
{
    size_t len;
    uint8_t *buf = pack_dssm(msg, &len);
    growth_dssm *d = NULL;
    int rc = growth_dssm_deserialize(&d, buf, len);
    growth_dssm_free(d);
    free(buf);
    return rc;
}

TEST(dssm_hostile_files)
{
    Growth__Dssm msg;
    dssm_msg(&msg);
    CHECK_OK(load_dssm_msg(&msg));
    msg.query = LP_ + 1; /* starts with tanh */
    msg.n_query = 1;
    CHECK_RC(load_dssm_msg(&msg), GROWTH_EFORMAT);
    CHECK_MSG("must start with a dense layer");
    dssm_msg(&msg);
    msg.n_item = 2; /* item tower gives 2 dimensions, the query tower 3 */
    CHECK_RC(load_dssm_msg(&msg), GROWTH_EFORMAT);
    CHECK_MSG("the item tower 2");
    dssm_msg(&msg);
    msg.buckets = 17;
    CHECK_RC(load_dssm_msg(&msg), GROWTH_EFORMAT);
    dssm_msg(&msg);
    msg.buckets = 0;
    CHECK_RC(load_dssm_msg(&msg), GROWTH_EFORMAT);
    dssm_msg(&msg);
    QB[1] = NAN;
    CHECK_RC(load_dssm_msg(&msg), GROWTH_EFORMAT);
    CHECK_MSG("NaN");
    QB[1] = -0.2f;
}

int main(void)
{
    RUN(tiny_mlp_matches_hand_computation);
    RUN(wider_layers_and_batches_agree);
    RUN(wide_and_deep_pools_embeddings_and_adds_wide);
    RUN(bad_inputs_are_rejected_with_messages);
    RUN(hostile_files_are_format_errors);
    RUN(save_load_round_trip);
    RUN(word_hashing_letter_trigrams_and_cjk);
    RUN(word_hashing_ebufs_is_exact);
    RUN(dssm_towers_match_reference_and_score_cosines);
    RUN(dssm_hostile_files);
    return GT_SUMMARY();
}
