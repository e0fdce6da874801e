/* Model-building helpers shared by the C tests of nets (protobuf-c messages packed into
 * libgrowth envelopes) and a small Wide&Deep fixture. Include after gtest.h and net.pb-c.h. */
#ifndef GROWTH_TEST_NET_FIXTURES_H
#define GROWTH_TEST_NET_FIXTURES_H

#include <stdlib.h>
#include <string.h>

#include "core.h"

static Growth__NetLayer L_[16];
static Growth__NetLayer *LP_[16];

static inline Growth__NetLayer *dense(int k, uint32_t in, uint32_t out, float *w, float *b)
{
    growth__net_layer__init(&L_[k]);
    L_[k].type = "dense";
    L_[k].in_dim = in;
    L_[k].out_dim = out;
    L_[k].n_weight = (size_t)in * out;
    L_[k].weight = w;
    L_[k].n_bias = out;
    L_[k].bias = b;
    return LP_[k] = &L_[k];
}

static inline Growth__NetLayer *act(int k, const char *type)
{
    growth__net_layer__init(&L_[k]);
    L_[k].type = (char *)type;
    return LP_[k] = &L_[k];
}

static inline uint8_t *envelope(uint32_t kind, const uint8_t *payload, size_t plen, size_t *len)
{
    uint8_t *buf = malloc(GENV_HEADER_SIZE + plen);
    memcpy(buf + GENV_HEADER_SIZE, payload, plen);
    genv_header(buf, kind, buf + GENV_HEADER_SIZE, plen);
    *len = GENV_HEADER_SIZE + plen;
    return buf;
}

static inline uint8_t *pack_net(const Growth__Net *msg, uint32_t kind, size_t *len)
{
    size_t plen = growth__net__get_packed_size(msg);
    uint8_t *p = malloc(plen + 1);
    growth__net__pack(msg, p);
    uint8_t *buf = envelope(kind, p, plen, len);
    free(p);
    return buf;
}

/* Wide&Deep: dense_dim 1; field 0: 3x2 mean; field 1: 2x1 sum; dense 4 -> 1; wide 5 x 1 + bias. */
static float E0[] = {1, 2, 3, 4, 5, 6}, E1[] = {10, 20}, WD[] = {1, 1, 1, 1}, BD[] = {0};
static float WW[] = {0.5f, -1, 2, 0, 3}, BW[] = {0.125f};

static inline growth_net *wd_net(void)
{
    static Growth__NetEmbedding e[2];
    static Growth__NetEmbedding *ep[2];
    static Growth__NetWide wide;
    Growth__Net msg;
    growth__net__init(&msg);
    msg.dense_dim = 1;
    for (int i = 0; i < 2; i++) {
        growth__net_embedding__init(&e[i]);
        ep[i] = &e[i];
    }
    e[0].rows = 3;
    e[0].dim = 2;
    e[0].pooling = "mean";
    e[0].n_weight = 6;
    e[0].weight = E0;
    e[1].rows = 2;
    e[1].dim = 1;
    e[1].pooling = "sum";
    e[1].n_weight = 2;
    e[1].weight = E1;
    msg.n_embeddings = 2;
    msg.embeddings = ep;
    dense(0, 4, 1, WD, BD);
    msg.n_layers = 1;
    msg.layers = LP_;
    growth__net_wide__init(&wide);
    wide.rows = 5;
    wide.out_dim = 1;
    wide.n_weight = 5;
    wide.weight = WW;
    wide.n_bias = 1;
    wide.bias = BW;
    msg.wide = &wide;
    size_t len;
    uint8_t *buf = pack_net(&msg, GROWTH_KIND_NET, &len);
    growth_net *net = NULL;
    CHECK_OK(growth_net_deserialize(&net, buf, len));
    free(buf);
    return net;
}

#endif
