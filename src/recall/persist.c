/* Vector index persistence: vectors, ids, tombstones, the HNSW graph or the IVF lists in a
 * GROWTH_KIND_INDEX envelope. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"

#include "index.pb-c.h"

#define IX_MAX_FILE ((size_t)1 << 36)

/* Snapshot under the read lock (searches go on; mutations wait). */
static int ix_pack(const char *who_called, const void *model, uint8_t **out, size_t *out_len)
{
    (void)who_called; /* messages name growth_index_save, as they always have */
    static const char *who = "growth_index_save";
    const growth_index *x = model;
    pthread_rwlock_rdlock(&((growth_index *)x)->rw);
    const size_t n = x->n, d = x->dim, M0 = 2 * (size_t)x->cfg.M + 1, Mu = (size_t)x->cfg.M + 1;
    char *cfgbuf = NULL;
    uint32_t *up = NULL;
    uint8_t *codes = NULL, *dead = NULL;
    int rc = GROWTH_OK;
    cfgbuf = gcfg_format_alloc(ix_opts, IX_NOPTS, &x->cfg);
    size_t nup = 0;
    if (x->cfg.kind == IX_HNSW)
        for (size_t s = 0; s < n; s++) nup += x->level[s] * Mu;
    up = malloc((nup ? nup : 1) * sizeof *up);
    if (x->cs && x->lcodes) codes = malloc(n ? n * x->cs : 1); /* IVF: codes back in slot order */
    dead = malloc(n ? n : 1);                                  /* the file keeps a byte a slot */
    if (!cfgbuf || !up || !dead || (x->cs && x->lcodes && !codes)) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__Index msg = GROWTH__INDEX__INIT;
    msg.meta = &meta;
    msg.n = n;
    msg.n_ids = n;
    msg.ids = x->ids;
    for (size_t s = 0; s < n; s++) dead[s] = ix_dead(x, s);
    msg.dead = (ProtobufCBinaryData){n, dead};
    msg.vectors = (ProtobufCBinaryData){x->vec ? n * d * sizeof(float) : 0, (uint8_t *)x->vec};
    if (x->cs) {
        if (codes)
            for (size_t s = 0; s < n; s++) memcpy(codes + s * x->cs, ix_code(x, (uint32_t)s), x->cs);
        msg.codes = (ProtobufCBinaryData){n * x->cs, codes ? codes : x->codes};
    }
    if (x->pq_cb) msg.pq_codebooks = (ProtobufCBinaryData){d * IX_PQ_K * sizeof(float), (uint8_t *)x->pq_cb};
    if (x->pq_rot) msg.opq_rotation = (ProtobufCBinaryData){d * d * sizeof(float), (uint8_t *)x->pq_rot};
    msg.next_id = x->next_id;
    msg.entry = x->entry;
    if (x->cfg.kind == IX_HNSW) {
        size_t j = 0;
        for (size_t s = 0; s < n; s++)
            if (x->level[s]) {
                if (x->level[s]) memcpy(up + j, x->links_up[s], x->level[s] * Mu * sizeof *up);
                j += x->level[s] * Mu;
            }
        msg.levels = (ProtobufCBinaryData){n, x->level};
        msg.links0 = (ProtobufCBinaryData){n * M0 * sizeof(uint32_t), (uint8_t *)x->links0};
        msg.links_up = (ProtobufCBinaryData){nup * sizeof(uint32_t), (uint8_t *)up};
    }
    if (x->cent) {
        msg.centroids = (ProtobufCBinaryData){(size_t)x->cfg.nlist * d * sizeof(float), (uint8_t *)x->cent};
        msg.assign = (ProtobufCBinaryData){n * sizeof(uint32_t), (uint8_t *)x->assign};
    }
    rc = genv_pack(who, GROWTH_KIND_INDEX, &msg.base, out, out_len);
done:
    pthread_rwlock_unlock(&((growth_index *)x)->rw);
    free(cfgbuf);
    free(up);
    free(codes);
    free(dead);
    return rc;
}

GROWTH_API int growth_index_serialize(const growth_index *x, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_index_serialize", x, ix_pack, out_buf, out_len);
}

GROWTH_API int growth_index_save(const growth_index *x, const char *path)
{
    return gmodel_save("growth_index_save", x, path, ix_pack);
}

#define BAD(...)                                                                                             \
    do {                                                                                                     \
        rc = gerr(GROWTH_EFORMAT, __VA_ARGS__);                                                              \
        goto done;                                                                                           \
    } while (0)

static int ix_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_index **out = outp;
    int rc = GROWTH_OK;
    Growth__Index *msg = growth__index__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "index payload");
    growth_index *x = NULL;
    ix_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!msg->meta || !msg->meta->config) BAD("%s: index has no configuration", who);
    if ((rc = gcfg_parse_stored(who, ix_opts, IX_NOPTS, msg->meta->config, &cfg, sizeof cfg))) goto done;
    if (cfg.dim < 1) BAD("%s: stored configuration is invalid: no dim", who);
    if ((rc = ix_new(&x, &cfg, who))) {
        /* keys that are each valid but do not go together: the file is damaged */
        if (rc == GROWTH_EINVAL)
            rc = gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, gerr_cause(who));
        goto done;
    }
    const size_t n = msg->n, d = x->dim, M0 = 2 * (size_t)cfg.M + 1, Mu = (size_t)cfg.M + 1;
    const bool fv = ix_keeps_vec(&cfg);
    const size_t cs = x->cs;
    if (n > IX_MAX_SLOTS || msg->n_ids != n || msg->dead.len != n || n > SIZE_MAX / d / 4 ||
        msg->vectors.len != (fv ? n * d * sizeof(float) : 0) || msg->codes.len != n * cs)
        BAD("%s: %llu slots but %zu ids, %zu tombstone bytes, %zu vector bytes (dim %zu)", who,
            (unsigned long long)msg->n, msg->n_ids, msg->dead.len, msg->vectors.len, d);
    if (msg->next_id < 0) BAD("%s: negative next id", who);
    if (fv && !gall_finite_f32((const float *)msg->vectors.data, n * d))
        BAD("%s: vectors hold NaN or Inf", who);
    if (cfg.storage == IX_S_PQ &&
        (msg->pq_codebooks.len ? msg->pq_codebooks.len != d * IX_PQ_K * sizeof(float) : n > 0))
        BAD("%s: %zu bytes of PQ codebooks for %zu vectors of dim %zu", who, msg->pq_codebooks.len, n, d);
    if (cfg.storage != IX_S_PQ && msg->pq_codebooks.len) BAD("%s: PQ codebooks without storage=pq", who);
    if (msg->opq_rotation.len != (cfg.opq && msg->pq_codebooks.len ? d * d * sizeof(float) : 0))
        BAD("%s: %zu bytes of OPQ rotation for dim %zu (opq=%lld)", who, msg->opq_rotation.len, d,
            (long long)cfg.opq);
    if (msg->opq_rotation.len && !gall_finite_f32((const float *)msg->opq_rotation.data, d * d))
        BAD("%s: the OPQ rotation holds NaN or Inf", who);
    if (msg->pq_codebooks.len && !gall_finite_f32((const float *)msg->pq_codebooks.data, d * IX_PQ_K))
        BAD("%s: PQ codebooks hold NaN or Inf", who);
    if (cfg.storage == IX_S_FP16)
        for (size_t i = 0; i < n * d; i++)
            if ((((unsigned)msg->codes.data[2 * i + 1] << 8) & 0x7c00u) == 0x7c00u)
                BAD("%s: fp16 codes hold NaN or Inf", who);
    bool hnsw = cfg.kind == IX_HNSW, ivf = cfg.kind == IX_IVF;
    if (hnsw && (msg->levels.len != n || msg->links0.len != n * M0 * 4))
        BAD("%s: HNSW graph sizes do not match %zu nodes", who, n);
    if (ivf && msg->centroids.len &&
        (msg->centroids.len != (size_t)cfg.nlist * d * 4 || msg->assign.len != n * 4))
        BAD("%s: IVF sizes do not match", who);
    if (ivf && !msg->centroids.len && n) BAD("%s: IVF index with vectors but no centroids", who);
    if (ivf && msg->centroids.len &&
        !gall_finite_f32((const float *)msg->centroids.data, (size_t)cfg.nlist * d))
        BAD("%s: centroids hold NaN or Inf", who);
    if ((rc = ix_check_memory(x, n, n, who))) goto done; /* before any size-n allocation */
    if (ivf && msg->centroids.len) {
        x->cent = malloc(msg->centroids.len);
        if (!x->cent) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        if (msg->centroids.len) memcpy(x->cent, msg->centroids.data, msg->centroids.len);
        if ((rc = ix_ivf_train(x, NULL, 0, false, NULL))) goto done;
    }
    if (msg->pq_codebooks.len) {
        float *cb = malloc(msg->pq_codebooks.len);
        float *rot = msg->opq_rotation.len ? malloc(msg->opq_rotation.len) : NULL;
        if (!cb || (msg->opq_rotation.len && !rot)) {
            free(cb);
            free(rot);
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        memcpy(cb, msg->pq_codebooks.data, msg->pq_codebooks.len);
        if (rot) memcpy(rot, msg->opq_rotation.data, msg->opq_rotation.len);
        if ((rc = ix_pq_install(x, cb, rot))) {
            free(cb);
            free(rot);
            goto done;
        }
    }
    if ((n && (rc = ix_reserve_slots(x, n, who))) ||
        (rc = ix_idmap_reserve(who, &x->map, x->ids, n, NULL, NULL)))
        goto done;
    if (n && fv) memcpy(x->vec, msg->vectors.data, n * d * sizeof(float));
    if (n && x->codes) memcpy(x->codes, msg->codes.data, n * cs);
    size_t live = 0;
    for (size_t s = 0; s < n; s++) {
        if (msg->dead.data[s] > 1) BAD("%s: bad tombstone byte", who);
        if (msg->ids[s] < 0 || msg->ids[s] == INT64_MAX) BAD("%s: bad id %lld", who, (long long)msg->ids[s]);
        x->ids[s] = msg->ids[s];
        ix_set_dead(x, s, msg->dead.data[s]);
        if (fv) {
            const float *v = x->vec + s * d;
            if (x->norm2) x->norm2[s] = ix_k.dot(v, v, d);
            if (x->q8) x->q8s[s] = ix_quantize(v, d, x->q8 + s * d);
        }
        if (!msg->dead.data[s]) {
            if (ix_map_get(x, x->ids[s]) >= 0) BAD("%s: id %lld appears twice", who, (long long)x->ids[s]);
            ix_idmap_put(&x->map, x->ids, (uint32_t)s);
            live++;
        }
    }
    x->n = n;
    x->live = live;
    x->next_id = msg->next_id;
    if (ivf && n) {
        const uint8_t *a = msg->assign.data;
        for (size_t s = 0; s < n; s++) {
            uint32_t l = gget_u32(a + 4 * s);
            if (l >= (uint32_t)cfg.nlist) BAD("%s: list %u out of range", who, l);
            x->assign[s] = l;
        }
        if ((rc = ix_ivf_reserve(x, x->assign, n))) goto done; /* the lists' sizes up front */
        for (size_t s = 0; s < n; s++) {
            uint32_t l = x->assign[s];
            if ((rc = ix_ivf_append(x, l, (uint32_t)s))) goto done;
            if (cs) memcpy(ix_code(x, (uint32_t)s), msg->codes.data + s * cs, cs);
        }
    }
    if (hnsw) {
        if (msg->entry < -1 || msg->entry >= (int64_t)n || (n && msg->entry < 0))
            BAD("%s: bad entry point %lld", who, (long long)msg->entry);
        x->entry = msg->entry;
        const uint8_t *up = msg->links_up.data;
        size_t upn = msg->links_up.len / 4, j = 0;
        if (msg->links_up.len % 4) BAD("%s: bad upper links", who);
        if (n) memcpy(x->links0, msg->links0.data, n * M0 * 4); /* links0 is NULL for an empty index */
        for (size_t s = 0; s < n; s++) {
            uint32_t *l0 = x->links0 + s * M0;
            if (l0[0] > M0 - 1) BAD("%s: node %zu has %u layer-0 links", who, s, l0[0]);
            for (uint32_t i = 1; i <= l0[0]; i++)
                if (l0[i] >= n) BAD("%s: link out of range", who);
            int lv = msg->levels.data[s];
            if (lv >= IX_MAX_LEVEL) BAD("%s: node level %d too high", who, lv);
            x->level[s] = (uint8_t)lv;
            if (lv > x->max_level) x->max_level = lv;
            if (!lv) continue;
            if (j + (size_t)lv * Mu > upn) BAD("%s: upper links are truncated", who);
            x->links_up[s] = malloc((size_t)lv * Mu * 4);
            if (!x->links_up[s]) {
                rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
                goto done;
            }
            if (lv) memcpy(x->links_up[s], up + 4 * j, (size_t)lv * Mu * 4);
            j += (size_t)lv * Mu;
            for (int l = 0; l < lv; l++) {
                uint32_t *ll = x->links_up[s] + (size_t)l * Mu;
                if (ll[0] > Mu - 1) BAD("%s: bad upper link count", who);
                for (uint32_t i = 1; i <= ll[0]; i++)
                    if (ll[i] >= n || msg->levels.data[ll[i]] < l + 1)
                        BAD("%s: upper link out of range", who);
            }
        }
        if (j != upn) BAD("%s: %zu unused upper link words", who, upn - j);
        if (n && x->level[x->entry] != x->max_level) BAD("%s: entry point is not on the top layer", who);
        if (!n) x->max_level = -1;
    }
done:
    growth__index__free_unpacked(msg, &gpb_allocator);
    if (rc)
        growth_index_free(x);
    else
        *out = x;
    return rc;
}

GROWTH_API int growth_index_deserialize(growth_index **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_index_deserialize", buf, len, GROWTH_KIND_INDEX, ix_from_payload, out);
}

GROWTH_API int growth_index_load(growth_index **out, const char *path)
{
    return gmodel_load("growth_index_load", path, IX_MAX_FILE, GROWTH_KIND_INDEX, ix_from_payload, out);
}
