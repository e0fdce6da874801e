/* Bandit persistence: the whole state (arms, PRNG streams, counters, pending decisions with
 * their contexts and ages, the reward window) in a GROWTH_KIND_BANDIT envelope. */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bandit.pb-c.h"
#include "bandit_impl.h"

#define BANDIT_MAX_FILE ((size_t)1 << 36)

/* Snapshot under the exclusive lock: every started select has finished. */
static int bandit_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    growth_bandit *b = (growth_bandit *)model;
    pthread_rwlock_wrlock(&b->lock);
    size_t d = b->dim, n = b->n;
    uint64_t next = atomic_load_explicit(&b->next_id, memory_order_relaxed);
    uint64_t lo = next > (uint64_t)b->cfg.ttl ? next - (uint64_t)b->cfg.ttl : 1;
    size_t np = 0;
    for (uint64_t id = lo; id < next; id++) np += (b->ring[id & (b->rcap - 1)].uid_state & 3) != 0;
    size_t nw = b->win_len;
    Growth__BanditArm *am = calloc(n ? n : 1, sizeof *am);
    Growth__BanditArm **ap = calloc(n ? n : 1, sizeof *ap);
    uint64_t *streams = malloc(b->nst * 4 * sizeof *streams);
    uint64_t *pid = malloc((np ? np : 1) * sizeof *pid), *parm = malloc((np ? np : 1) * sizeof *parm);
    uint64_t *puid = malloc((np ? np : 1) * sizeof *puid);
    uint32_t *pst = malloc((np ? np : 1) * sizeof *pst);
    int64_t *page = malloc((np ? np : 1) * sizeof *page);
    float *pctx = malloc((np * d > 0 ? np * d : 1) * sizeof *pctx);
    uint64_t *warm = malloc((nw ? nw : 1) * sizeof *warm), *wuid = malloc((nw ? nw : 1) * sizeof *wuid);
    double *wr = malloc((nw ? nw : 1) * sizeof *wr);
    float *wctx = malloc((nw * d > 0 ? nw * d : 1) * sizeof *wctx);
    char *cfgbuf = NULL;
    int rc = GROWTH_OK;
    /* logistic model: touched slots, counters, pending rows */
    bool logi = is_logistic(b);
    size_t nws = 0, ncs = 0, npr = 0, maxrow = logi ? (size_t)b->cfg.nnz : 0;
    size_t nslots = logi ? (size_t)1 << b->cfg.bits : 0, ncnt = logi ? (size_t)1 << b->cfg.count_bits : 0;
    for (size_t i = 0; i < nslots; i++) nws += b->lw[i].m != 0 || b->lw[i].dq != 0;
    for (size_t i = 0; i < ncnt; i++) ncs += b->lcount[i] != 0;
    if (logi)
        for (uint64_t id = lo; id < next; id++) {
            size_t slot = (size_t)id & (b->rcap - 1);
            if (b->ring[slot].uid_state & 3) npr += b->lring[slot].nnz & 0x7fffffffu;
        }
    uint32_t *wslot = malloc((nws ? nws : 1) * sizeof *wslot),
             *cslot = malloc((ncs ? ncs : 1) * sizeof *cslot);
    double *wmean = malloc((nws ? nws : 1) * sizeof *wmean), *wdq = malloc((nws ? nws : 1) * sizeof *wdq);
    double *cval = malloc((ncs ? ncs : 1) * sizeof *cval);
    uint32_t *pnnz = malloc((np ? np : 1) * sizeof *pnnz), *pslots = malloc((npr ? npr : 1) * sizeof *pslots);
    float *plogit = malloc((np ? np : 1) * sizeof *plogit), *pvals = malloc((npr ? npr : 1) * sizeof *pvals);
    if (!wslot || !cslot || !wmean || !wdq || !cval || !pnnz || !pslots || !plogit || !pvals) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    cfgbuf = gcfg_format_alloc(bandit_opts, bandit_nopts, &b->cfg);
    if (!am || !ap || !streams || !pid || !parm || !puid || !pst || !page || !pctx || !warm || !wuid || !wr ||
        !wctx || !cfgbuf) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__BanditState msg = GROWTH__BANDIT_STATE__INIT;
    msg.meta = &meta;
    msg.next_id = next;
    msg.next_uid = b->next_uid;
    msg.scale = b->scale;
    msg.total = b->total;
    for (size_t s = 0; s < b->nst; s++) memcpy(streams + 4 * s, b->st[s].rng.s, 4 * sizeof(uint64_t));
    msg.n_streams = b->nst * 4;
    msg.streams = streams;
    for (size_t i = 0; i < n; i++) {
        const barm *a = &b->arms[i];
        Growth__BanditArm *m = &am[i];
        growth__bandit_arm__init(m);
        m->id = a->id;
        m->name = a->name ? a->name : (char *)"";
        m->uid = a->uid;
        m->prior_a = a->pa;
        m->prior_b = a->pb;
        m->prior_s = a->ps;
        m->s = a->s;
        m->f = a->f;
        m->updates = a->updates;
        m->count = a->count;
        if (a->lin) {
            m->n_a = m->n_ainv = d * d;
            m->a = a->lin;
            m->ainv = a->lin + d * d;
            m->n_bvec = m->n_theta = d;
            m->bvec = a->lin + 2 * d * d;
            m->theta = a->lin + 2 * d * d + d;
        }
        ap[i] = m;
    }
    msg.n_arms = n;
    msg.arms = ap;
    msg.n_counters = CNT_N;
    msg.counters = b->cnt;
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    size_t j = 0;
    for (uint64_t id = lo; id < next; id++) {
        size_t slot = (size_t)id & (b->rcap - 1);
        const bpend *e = &b->ring[slot];
        if ((e->uid_state & 3) == 0) continue;
        pid[j] = id;
        parm[j] = e->arm_id;
        puid[j] = e->uid_state >> 2;
        pst[j] = (uint32_t)(e->uid_state & 3);
        page[j] = b->ring_t ? now - b->ring_t[slot] : 0;
        if (d) memcpy(pctx + j * d, b->ring_ctx + slot * d, d * sizeof *pctx);
        j++;
    }
    msg.n_pending_id = msg.n_pending_arm = msg.n_pending_uid = msg.n_pending_state = np;
    msg.pending_id = pid;
    msg.pending_arm = parm;
    msg.pending_uid = puid;
    msg.pending_state = pst;
    msg.n_pending_age_ns = b->ring_t ? np : 0;
    msg.pending_age_ns = page;
    msg.n_pending_context = np * d;
    msg.pending_context = pctx;
    for (size_t i = 0; i < nw; i++) {
        size_t p = (b->win_head + i) % (size_t)b->cfg.window;
        warm[i] = b->win_arm[p];
        wuid[i] = b->win_uid[p];
        wr[i] = b->win_r[p];
        if (d) memcpy(wctx + i * d, b->win_ctx + p * d, d * sizeof *wctx);
    }
    if (logi) {
        size_t q = 0, pr = 0;
        for (size_t i = 0; i < nslots; i++)
            if (b->lw[i].m != 0 || b->lw[i].dq != 0) {
                wslot[q] = (uint32_t)i;
                wmean[q] = b->lw[i].m;
                wdq[q++] = b->lw[i].dq;
            }
        q = 0;
        for (size_t i = 0; i < ncnt; i++)
            if (b->lcount[i] != 0) {
                cslot[q] = (uint32_t)i;
                cval[q++] = b->lcount[i];
            }
        q = 0;
        for (uint64_t id = lo; id < next; id++) {
            size_t slot = (size_t)id & (b->rcap - 1);
            if (!(b->ring[slot].uid_state & 3)) continue;
            const blpend *lp = &b->lring[slot];
            size_t m = lp->nnz & 0x7fffffffu;
            pnnz[q] = lp->nnz;
            plogit[q++] = lp->prior_logit;
            memcpy(pslots + pr, b->lring_idx + slot * maxrow, m * sizeof *pslots);
            memcpy(pvals + pr, b->lring_val + slot * maxrow, m * sizeof *pvals);
            pr += m;
        }
        msg.n_weight_slot = msg.n_weight_mean = msg.n_weight_dprec = nws;
        msg.weight_slot = wslot;
        msg.weight_mean = wmean;
        msg.weight_dprec = wdq;
        msg.n_count_slot = msg.n_count_value = ncs;
        msg.count_slot = cslot;
        msg.count_value = cval;
        msg.n_pending_nnz = msg.n_pending_prior_logit = np;
        msg.pending_nnz = pnnz;
        msg.pending_prior_logit = plogit;
        msg.n_pending_slots = msg.n_pending_values = npr;
        msg.pending_slots = pslots;
        msg.pending_values = pvals;
        msg.logistic_updates = b->lupdates;
    }
    msg.n_window_arm = msg.n_window_uid = msg.n_window_reward = nw;
    msg.window_arm = warm;
    msg.window_uid = wuid;
    msg.window_reward = wr;
    msg.n_window_context = nw * d;
    msg.window_context = wctx;
    rc = genv_pack(who, GROWTH_KIND_BANDIT, &msg.base, out, out_len);
done:
    pthread_rwlock_unlock(&b->lock);
    free(am);
    free(ap);
    free(streams);
    free(pid);
    free(parm);
    free(puid);
    free(pst);
    free(page);
    free(pctx);
    free(warm);
    free(wuid);
    free(wr);
    free(wctx);
    free(cfgbuf);
    free(wslot);
    free(cslot);
    free(wmean);
    free(wdq);
    free(cval);
    free(pnnz);
    free(pslots);
    free(plogit);
    free(pvals);
    return rc;
}

GROWTH_API int growth_bandit_serialize(const growth_bandit *bc, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_bandit_serialize", bc, bandit_pack, out_buf, out_len);
}

GROWTH_API int growth_bandit_save(const growth_bandit *bc, const char *path)
{
    return gmodel_save("growth_bandit_save", bc, path, bandit_pack);
}

static bool finite_all(const double *x, size_t n) { return gall_finite_f64(x, n); }

static int bandit_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_bandit **out = outp;
    Growth__BanditState *msg = growth__bandit_state__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "bandit payload");
    growth_bandit *b = NULL;
    bandit_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc;
#define BAD(...)                                                                                             \
    do {                                                                                                     \
        rc = gerr(GROWTH_EFORMAT, __VA_ARGS__);                                                              \
        goto done;                                                                                           \
    } while (0)
    if (!msg->meta || !msg->meta->config) BAD("%s: model has no configuration", who);
    if ((rc = gcfg_parse_stored(who, bandit_opts, bandit_nopts, msg->meta->config, &cfg, sizeof cfg)))
        goto done;
    if (bandit_check_cfg(&cfg, who)) BAD("%s: stored configuration is invalid: %s", who, gerr_cause(who));
    if ((rc = bandit_new(&b, &cfg, who))) goto done;
    size_t d = b->dim, n = msg->n_arms;
    if (n > (size_t)cfg.max_arms) BAD("%s: %zu arms exceed max_arms", who, n);
    if (msg->n_streams != b->nst * 4)
        BAD("%s: %zu stream words for %zu streams", who, msg->n_streams, b->nst);
    if (!(gfinite(msg->scale) && msg->scale > 0 && msg->scale <= 1) ||
        !(gfinite(msg->total) && msg->total >= 0))
        BAD("%s: bad scale or total", who);
    if (msg->next_id < 1 || msg->next_id > (UINT64_C(1) << 62) || msg->next_uid < 1)
        BAD("%s: bad decision or arm counters", who);
    if (msg->n_counters != CNT_N) BAD("%s: expected %d counters", who, CNT_N);
    if ((rc = gmem_reserve(who, bandit_bytes(&cfg, (double)n), (uint64_t)cfg.max_memory))) goto done;
    if ((rc = bandit_reserve(b, n, who))) goto done;
    for (size_t i = 0; i < n; i++) {
        const Growth__BanditArm *m = msg->arms[i];
        double pr[4] = {m->prior_a, m->prior_b, m->s, m->f};
        if (!finite_all(pr, 4) || !(m->prior_a > 0 && m->prior_b > 0 && m->s >= 0 && m->f >= 0) ||
            !(gfinite(m->prior_s) && m->prior_s >= 0) || !gfinite(m->count))
            BAD("%s: arm %zu has invalid statistics", who, i);
        if (gidmap_get(&b->index, m->id) != UINT32_MAX)
            BAD("%s: arm %llu appears twice", who, (unsigned long long)m->id);
        if (m->uid == 0 || m->uid >= msg->next_uid) BAD("%s: arm %zu has a bad serial", who, i);
        bool lin = is_linear(b);
        if (lin ? (m->n_a != d * d || m->n_ainv != d * d || m->n_bvec != d || m->n_theta != d)
                : (m->n_a || m->n_ainv || m->n_bvec || m->n_theta))
            BAD("%s: arm %zu has linear statistics of the wrong size", who, i);
        barm *a = &b->arms[i];
        memset(a, 0, sizeof *a);
        if (lin) {
            if (!finite_all(m->a, d * d) || !finite_all(m->ainv, d * d) || !finite_all(m->bvec, d) ||
                !finite_all(m->theta, d))
                BAD("%s: arm %zu holds NaN or Inf", who, i);
            if (!(a->lin = malloc((2 * d * d + 2 * d) * sizeof(double)))) {
                rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
                goto done;
            }
            memcpy(a->lin, m->a, d * d * sizeof(double));
            memcpy(a->lin + d * d, m->ainv, d * d * sizeof(double));
            memcpy(a->lin + 2 * d * d, m->bvec, d * sizeof(double));
            memcpy(a->lin + 2 * d * d + d, m->theta, d * sizeof(double));
        }
        if (m->name && m->name[0]) {
            if (growth_bandit_name_id(m->name) != m->id) {
                free(a->lin);
                BAD("%s: arm %zu name does not match its id", who, i);
            }
            if (!(a->name = strdup(m->name))) {
                free(a->lin);
                rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
                goto done;
            }
        }
        a->id = m->id;
        a->uid = m->uid;
        a->pa = m->prior_a;
        a->pb = m->prior_b;
        a->ps = m->prior_s;
        a->s = m->s;
        a->f = m->f;
        a->updates = m->updates;
        a->count = m->count;
        b->total_ps += a->ps;
        gidmap_put(&b->index, a->id, (uint32_t)i);
        b->n = i + 1;
    }
    b->scale = msg->scale;
    b->total = msg->total;
    b->next_uid = msg->next_uid;
    for (size_t i = 0; i < n; i++) bandit_refresh_k(b, &b->arms[i]);
    for (size_t s = 0; s < b->nst; s++) {
        memcpy(b->st[s].rng.s, msg->streams + 4 * s, 4 * sizeof(uint64_t));
        if ((b->st[s].rng.s[0] | b->st[s].rng.s[1] | b->st[s].rng.s[2] | b->st[s].rng.s[3]) == 0)
            BAD("%s: PRNG stream %zu is all zero", who, s);
    }
    memcpy(b->cnt, msg->counters, sizeof b->cnt);
    size_t np = msg->n_pending_id;
    if (msg->n_pending_arm != np || msg->n_pending_uid != np || msg->n_pending_state != np ||
        msg->n_pending_context != np * d || (msg->n_pending_age_ns != (b->ring_t ? np : 0)))
        BAD("%s: pending decisions have inconsistent sizes", who);
    uint64_t next = msg->next_id, lo = next > (uint64_t)cfg.ttl ? next - (uint64_t)cfg.ttl : 1;
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    for (size_t j = 0; j < np; j++) {
        uint64_t id = msg->pending_id[j];
        if (id < lo || id >= next || (j && id <= msg->pending_id[j - 1]) ||
            (msg->pending_state[j] != PEND_PENDING && msg->pending_state[j] != PEND_REWARDED) ||
            msg->pending_uid[j] >> 61)
            BAD("%s: pending decision %zu is invalid", who, j);
        if (d && !gall_finite_f32(msg->pending_context + j * d, d))
            BAD("%s: pending context %zu is not finite", who, j);
        size_t slot = (size_t)id & (b->rcap - 1);
        b->ring[slot].arm_id = msg->pending_arm[j];
        b->ring[slot].uid_state = msg->pending_uid[j] << 2 | msg->pending_state[j];
        if (b->ring_t) b->ring_t[slot] = now - msg->pending_age_ns[j];
        if (d) memcpy(b->ring_ctx + slot * d, msg->pending_context + j * d, d * sizeof(float));
    }
    if (is_logistic(b)) {
        size_t nws = msg->n_weight_slot, ncs = msg->n_count_slot, maxrow = (size_t)cfg.nnz;
        uint64_t nslots = (uint64_t)1 << cfg.bits, ncnt = (uint64_t)1 << cfg.count_bits;
        if (msg->n_weight_mean != nws || msg->n_weight_dprec != nws || msg->n_count_value != ncs ||
            msg->n_pending_nnz != np || msg->n_pending_prior_logit != np ||
            msg->n_pending_values != msg->n_pending_slots)
            BAD("%s: logistic model has inconsistent sizes", who);
        for (size_t q = 0; q < nws; q++) {
            uint32_t i = msg->weight_slot[q];
            if (i >= nslots || (q && i <= msg->weight_slot[q - 1]) || !gfinite(msg->weight_mean[q]) ||
                !(gfinite(msg->weight_dprec[q]) && msg->weight_dprec[q] >= 0))
                BAD("%s: logistic weight %zu is invalid", who, q);
            b->lw[i].m = msg->weight_mean[q];
            b->lw[i].dq = msg->weight_dprec[q];
            b->lw[i].dsd = (float)(1.0 / sqrt(cfg.lambda + b->lw[i].dq)) - (float)(1.0 / sqrt(cfg.lambda));
        }
        for (size_t q = 0; q < ncs; q++) {
            uint32_t i = msg->count_slot[q];
            if (i >= ncnt || (q && i <= msg->count_slot[q - 1]) ||
                !(gfinite(msg->count_value[q]) && msg->count_value[q] >= 0))
                BAD("%s: feedback counter %zu is invalid", who, q);
            b->lcount[i] = msg->count_value[q];
        }
        size_t pr = 0;
        for (size_t j = 0; j < np; j++) {
            size_t m = msg->pending_nnz[j] & 0x7fffffffu, slot = (size_t)msg->pending_id[j] & (b->rcap - 1);
            if (m > maxrow || m > msg->n_pending_slots - pr) BAD("%s: pending row %zu is invalid", who, j);
            for (size_t k = 0; k < m; k++)
                if (msg->pending_slots[pr + k] >= nslots || !gfinite(msg->pending_values[pr + k]))
                    BAD("%s: pending row %zu is invalid", who, j);
            memcpy(b->lring_idx + slot * maxrow, msg->pending_slots + pr, m * sizeof(uint32_t));
            memcpy(b->lring_val + slot * maxrow, msg->pending_values + pr, m * sizeof(float));
            b->lring[slot].cand = msg->pending_arm[j];
            b->lring[slot].nnz = msg->pending_nnz[j];
            b->lring[slot].prior_logit = msg->pending_prior_logit[j];
            pr += m;
        }
        if (pr != msg->n_pending_slots) BAD("%s: pending rows have inconsistent sizes", who);
        b->lupdates = msg->logistic_updates;
    } else if (msg->n_weight_slot || msg->n_count_slot || msg->n_pending_nnz || msg->n_pending_slots) {
        BAD("%s: logistic state in a bandit of another policy", who);
    }
    size_t nw = msg->n_window_arm;
    if (msg->n_window_uid != nw || msg->n_window_reward != nw || msg->n_window_context != nw * d ||
        nw > (size_t)cfg.window)
        BAD("%s: window has inconsistent sizes", who);
    for (size_t i = 0; i < nw; i++) {
        if (bandit_check_value(b, who, msg->window_reward[i], i))
            BAD("%s: window reward %zu is invalid", who, i);
        b->win_arm[i] = msg->window_arm[i];
        b->win_uid[i] = msg->window_uid[i];
        b->win_r[i] = msg->window_reward[i];
        if (d) memcpy(b->win_ctx + i * d, msg->window_context + i * d, d * sizeof(float));
    }
    b->win_head = 0;
    b->win_len = nw;
    atomic_store_explicit(&b->next_id, next, memory_order_relaxed);
    rc = GROWTH_OK;
#undef BAD
done:
    growth__bandit_state__free_unpacked(msg, &gpb_allocator);
    if (rc)
        bandit_destroy(b);
    else
        *out = b;
    return rc;
}

GROWTH_API int growth_bandit_deserialize(growth_bandit **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_bandit_deserialize", buf, len, GROWTH_KIND_BANDIT, bandit_from_payload,
                              out);
}

GROWTH_API int growth_bandit_load(growth_bandit **out, const char *path)
{
    return gmodel_load("growth_bandit_load", path, BANDIT_MAX_FILE, GROWTH_KIND_BANDIT, bandit_from_payload,
                       out);
}
