/* libFuzzer target: the model-file envelope reader on arbitrary bytes, and the same bytes
 * wrapped as the payload of a valid envelope of each kind the library loads today. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/growth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t kind = 0;
    const uint8_t *pl = NULL;
    size_t plen = 0;
    (void)genv_open("fuzz", data, size, GROWTH_KIND_UNKNOWN, &kind, &pl, &plen);

    /* Raw bytes as a whole file. */
    growth_ftrl *m = NULL;
    if (growth_ftrl_deserialize(&m, data, size) == GROWTH_OK) growth_ftrl_free(m);

    /* The same bytes as the payload of a valid FTRL state / weights envelope: this reaches the
     * protobuf decoder and the loader's own checks. */
    uint8_t *buf = malloc(GENV_HEADER_SIZE + size + 1);
    if (!buf) return 0;
    memcpy(buf + GENV_HEADER_SIZE, data, size);
    static const uint32_t kinds[] = {GROWTH_KIND_FTRL, GROWTH_KIND_FTRL_WEIGHTS};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        genv_header(buf, kinds[k], buf + GENV_HEADER_SIZE, size);
        m = NULL;
        if (growth_ftrl_deserialize(&m, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) {
            float p[16];
            uint32_t idx = 0;
            if (growth_ftrl_predict(m, &idx, NULL, 1, 0, p, 16) != GROWTH_OK) abort();
            growth_ftrl_free(m);
        }
    }
    /* Calibrator payloads. */
    genv_header(buf, GROWTH_KIND_CALIBRATOR, buf + GENV_HEADER_SIZE, size);
    growth_calibrator *c = NULL;
    if (growth_calibrator_deserialize(&c, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) {
        double p = 0;
        int64_t field = 0;
        (void)growth_calibrator_apply(c, 0.3, &field, &p);
        growth_calibrator_free(c);
    }
    /* Bandit snapshots: a loaded bandit must still select and take rewards. */
    genv_header(buf, GROWTH_KIND_BANDIT, buf + GENV_HEADER_SIZE, size);
    growth_bandit *b = NULL;
    if (growth_bandit_deserialize(&b, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) {
        uint64_t decision = 0, arm = 0;
        double prop = 0;
        float ctx[8] = {0};
        if (growth_bandit_select(b, ctx, 8, NULL, 0, &decision, &arm, &prop) == GROWTH_OK)
            (void)growth_bandit_reward(b, decision, 1.0);
        growth_bandit_free(b);
    }
    /* Dense nets: a loaded net must run one prediction of its declared input width. */
    genv_header(buf, GROWTH_KIND_NET, buf + GENV_HEADER_SIZE, size);
    growth_net *net = NULL;
    if (growth_net_deserialize(&net, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) {
        growth_net_stats st = GROWTH_NET_STATS_INIT;
        growth_net_workspace *ws = NULL;
        int ok = growth_net_stats_get(net, &st) == GROWTH_OK;
        size_t dense = (size_t)st.dense_dim, outd = (size_t)st.out_dim;
        if (ok && st.fields == 0 && st.wide_rows == 0 && dense <= 4096 && outd <= 4096 &&
            growth_net_workspace_create(&ws, net, "batch=4") == GROWTH_OK) {
            float *x = calloc(dense ? dense : 1, sizeof *x), *o = malloc((outd ? outd : 1) * sizeof *o);
            if (x && o) (void)growth_net_predict(net, ws, x, dense, o, outd);
            free(x);
            free(o);
        }
        growth_net_workspace_free(ws);
        growth_net_free(net);
    }
    genv_header(buf, GROWTH_KIND_DSSM, buf + GENV_HEADER_SIZE, size);
    growth_dssm *dssm = NULL;
    if (growth_dssm_deserialize(&dssm, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) growth_dssm_free(dssm);
    /* Bidder state: a loaded bidder must bid. */
    genv_header(buf, GROWTH_KIND_BIDDER, buf + GENV_HEADER_SIZE, size);
    growth_bidder *bid = NULL;
    if (growth_bidder_deserialize(&bid, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) {
        double v = 0;
        (void)growth_bidder_bid(bid, 0.05, 0.1, 100.0, 7, &v);
        growth_bidder_free(bid);
    }
    /* Text indexes: a loaded index must answer a query. */
    genv_header(buf, GROWTH_KIND_TEXT_INDEX, buf + GENV_HEADER_SIZE, size);
    growth_text_index *tx = NULL;
    if (growth_text_deserialize(&tx, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) {
        int64_t ids[8];
        float sc[8];
        size_t found = 0;
        (void)growth_text_search(tx, "red shoes \xe7\xba\xa2\xe9\x9e\x8b", 8, NULL, ids, sc, 8, &found);
        growth_text_free(tx);
    }
    free(buf);
    return 0;
}
