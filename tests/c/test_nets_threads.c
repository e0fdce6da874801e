/* One shared net and DSSM, one workspace per thread: every thread gets the serial results.
 * Runs under ThreadSanitizer in CI (suite "concurrency"). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "growth/growth.h"
#include "gtest.h"
#include "net.pb-c.h"

enum { I = 24, H = 40, O = 3, N = 64, T = 4, B = 16 };
static float w1[H * I], b1[H], w2[O * H], b2[O], qw[H * B], X[N * I], expect[N * O], expect1[N * O],
    expect_q[4 * H];
static growth_net *net;
static growth_dssm *dssm;
static const char *texts[4] = {"running shoes", "跑步鞋", "wireless earbuds", "coffee"};

static uint8_t *wrap(uint32_t kind, const uint8_t *p, size_t plen, size_t *len)
{
    uint8_t *buf = malloc(GENV_HEADER_SIZE + plen);
    memcpy(buf + GENV_HEADER_SIZE, p, plen);
    genv_header(buf, kind, buf + GENV_HEADER_SIZE, plen);
    *len = GENV_HEADER_SIZE + plen;
    return buf;
}

static void build(void)
{
    grng r;
    grng_seed(&r, 3);
    for (size_t i = 0; i < sizeof w1 / 4; i++) w1[i] = (float)(grng_uniform(&r) - 0.5);
    for (size_t i = 0; i < sizeof w2 / 4; i++) w2[i] = (float)(grng_uniform(&r) - 0.5);
    for (size_t i = 0; i < sizeof qw / 4; i++) qw[i] = (float)(grng_uniform(&r) - 0.5);
    for (size_t i = 0; i < sizeof X / 4; i++) X[i] = (float)grng_normal(&r);
    Growth__NetLayer l[3], *lp[3] = {&l[0], &l[1], &l[2]};
    for (int k = 0; k < 3; k++) growth__net_layer__init(&l[k]);
    l[0].type = "dense";
    l[0].in_dim = I;
    l[0].out_dim = H;
    l[0].n_weight = H * I;
    l[0].weight = w1;
    l[0].n_bias = H;
    l[0].bias = b1;
    l[1].type = "relu";
    l[2].type = "dense";
    l[2].in_dim = H;
    l[2].out_dim = O;
    l[2].n_weight = O * H;
    l[2].weight = w2;
    l[2].n_bias = O;
    l[2].bias = b2;
    Growth__Net m = GROWTH__NET__INIT;
    m.dense_dim = I;
    m.n_layers = 3;
    m.layers = lp;
    size_t plen = growth__net__get_packed_size(&m), len;
    uint8_t *p = malloc(plen);
    growth__net__pack(&m, p);
    uint8_t *buf = wrap(GROWTH_KIND_NET, p, plen, &len);
    CHECK_OK(growth_net_deserialize(&net, buf, len));
    free(p);
    free(buf);
    /* DSSM: both towers dense B -> H, tanh */
    l[0].in_dim = B;
    l[0].out_dim = H;
    l[0].n_weight = H * B;
    l[0].weight = qw;
    l[1].type = "tanh";
    Growth__Dssm d = GROWTH__DSSM__INIT;
    d.buckets = B;
    d.n_query = d.n_item = 2;
    d.query = d.item = lp;
    plen = growth__dssm__get_packed_size(&d);
    p = malloc(plen);
    growth__dssm__pack(&d, p);
    buf = wrap(GROWTH_KIND_DSSM, p, plen, &len);
    CHECK_OK(growth_dssm_deserialize(&dssm, buf, len));
    free(p);
    free(buf);
}

static void *worker(void *arg)
{
    int *bad = arg;
    growth_net_workspace *ws = NULL, *wd = NULL;
    if (growth_net_workspace_create(&ws, net, "batch=8") || growth_dssm_workspace_create(&wd, dssm, NULL)) {
        *bad = 1000;
        return NULL;
    }
    float y[N * O], q[4 * H];
    for (int it = 0; it < 50; it++) {
        if (growth_net_predict_dense(net, ws, X, N, I, y, N * O) || memcmp(y, expect, sizeof y)) (*bad)++;
        for (int r = 0; r < N; r += 7)
            if (growth_net_predict(net, ws, X + r * I, I, y, O) || memcmp(y, expect1 + r * O, O * 4))
                (*bad)++;
        if (growth_dssm_encode(dssm, wd, GROWTH_DSSM_QUERY, texts, 4, q, 4 * H) ||
            memcmp(q, expect_q, sizeof q))
            (*bad)++;
    }
    growth_net_workspace_free(ws);
    growth_net_workspace_free(wd);
    return NULL;
}

TEST(shared_models_one_workspace_per_thread)
{
    build();
    growth_net_workspace *ws = NULL, *wd = NULL;
    CHECK_OK(growth_net_workspace_create(&ws, net, "batch=8"));
    CHECK_OK(growth_dssm_workspace_create(&wd, dssm, NULL));
    CHECK_OK(growth_net_predict_dense(net, ws, X, N, I, expect, N * O));
    for (int r = 0; r < N; r += 7) { /* single rows: own loops, equal to sgemm within rounding */
        CHECK_OK(growth_net_predict(net, ws, X + r * I, I, expect1 + r * O, O));
        for (int o = 0; o < O; o++) CHECK_NEAR(expect1[r * O + o], expect[r * O + o], 1e-5);
    }
    CHECK_OK(growth_dssm_encode(dssm, wd, GROWTH_DSSM_QUERY, texts, 4, expect_q, 4 * H));
    growth_net_workspace_free(ws);
    growth_net_workspace_free(wd);
    pthread_t th[T];
    int bad[T] = {0};
    for (int t = 0; t < T; t++) CHECK(pthread_create(&th[t], NULL, worker, &bad[t]) == 0);
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        CHECK(bad[t] == 0);
    }
    growth_net_free(net);
    growth_dssm_free(dssm);
}

int main(void)
{
    RUN(shared_models_one_workspace_per_thread);
    return GT_SUMMARY();
}
