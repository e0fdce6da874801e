/* DSSM (Huang et al., CIKM 2013): word hashing of text, query and item towers, L2-normalised
 * outputs, cosine scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nets_impl.h"

struct growth_dssm {
    uint32_t buckets;
    uint64_t seed;
    gstack tower[2]; /* GROWTH_DSSM_QUERY, GROWTH_DSSM_ITEM */
    size_t width;    /* workspace floats a row */
    char *desc;
};

/* ---- model --------------------------------------------------------------------------------- */

GROWTH_API void growth_dssm_free(growth_dssm *d)
{
    if (!d) return;
    gstack_free(&d->tower[0]);
    gstack_free(&d->tower[1]);
    free(d->desc);
    free(d);
}

static int dssm_from_msg(const char *who, const Growth__Dssm *msg, growth_dssm **out)
{
    if (msg->buckets == 0 || msg->buckets > GNET_MAX_WIDTH)
        return gerr(GROWTH_EFORMAT, "%s: buckets %u is outside 1..%u", who, msg->buckets, GNET_MAX_WIDTH);
    Growth__NetLayer *const *ls[2] = {msg->query, msg->item};
    size_t ns[2] = {msg->n_query, msg->n_item};
    static const char *const names[2] = {"query tower", "item tower"};
    for (int t = 0; t < 2; t++)
        if (ns[t] == 0 || !ls[t][0] || gnet_layer_type(ls[t][0]->type) != GL_DENSE)
            return gerr(GROWTH_EFORMAT, "%s: the %s must start with a dense layer", who, names[t]);
    growth_dssm *d = calloc(1, sizeof *d);
    if (!d) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    int rc = GROWTH_OK;
    for (int t = 0; t < 2 && !rc; t++)
        rc = gstack_from_proto(who, names[t], ls[t], ns[t], msg->buckets, &d->tower[t]);
    if (!rc && d->tower[0].out != d->tower[1].out)
        rc = gerr(GROWTH_EFORMAT, "%s: the query tower gives %u dimensions, the item tower %u", who,
                  d->tower[0].out, d->tower[1].out);
    d->buckets = msg->buckets;
    d->seed = msg->seed;
    d->width = d->tower[0].maxw > d->tower[1].maxw ? d->tower[0].maxw : d->tower[1].maxw;
    size_t len = 0, cap = 0;
    if (!rc)
        rc = gstr_append(&d->desc, &len, &cap, "buckets=%u seed=%llu query=", d->buckets,
                         (unsigned long long)d->seed);
    if (!rc) rc = gstack_describe(&d->tower[0], &d->desc, &len, &cap);
    if (!rc) rc = gstr_append(&d->desc, &len, &cap, " item=");
    if (!rc) rc = gstack_describe(&d->tower[1], &d->desc, &len, &cap);
    if (rc) {
        growth_dssm_free(d);
        return rc;
    }
    *out = d;
    return GROWTH_OK;
}

static int dssm_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *out)
{
    (void)kind;
    Growth__Dssm *msg = growth__dssm__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "dssm payload");
    int rc = dssm_from_msg(who, msg, out);
    growth__dssm__free_unpacked(msg, &gpb_allocator);
    return rc;
}

GROWTH_API int growth_dssm_deserialize(growth_dssm **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_dssm_deserialize", buf, len, GROWTH_KIND_DSSM, dssm_from_payload, out);
}

GROWTH_API int growth_dssm_load(growth_dssm **out, const char *path)
{
    return gmodel_load("growth_dssm_load", path, GNET_MAX_FILE, GROWTH_KIND_DSSM, dssm_from_payload, out);
}

static int dssm_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    const growth_dssm *d = model;
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, d->desc);
    Growth__Dssm msg = GROWTH__DSSM__INIT;
    Growth__NetLayer **q = NULL, **it = NULL;
    int rc = gstack_to_proto(who, &d->tower[0], &q);
    if (!rc) rc = gstack_to_proto(who, &d->tower[1], &it);
    if (rc) goto done;
    msg.meta = &meta;
    msg.buckets = d->buckets;
    msg.seed = d->seed;
    msg.n_query = d->tower[0].n;
    msg.query = q;
    msg.n_item = d->tower[1].n;
    msg.item = it;
    rc = genv_pack(who, GROWTH_KIND_DSSM, &msg.base, out, out_len);
done:
    gstack_proto_free(q, d->tower[0].n);
    gstack_proto_free(it, d->tower[1].n);
    return rc;
}

GROWTH_API int growth_dssm_serialize(const growth_dssm *d, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_dssm_serialize", d, dssm_pack, out_buf, out_len);
}

GROWTH_API int growth_dssm_save(const growth_dssm *d, const char *path)
{
    return gmodel_save("growth_dssm_save", d, path, dssm_pack);
}

GROWTH_API int growth_dssm_config(const growth_dssm *d, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_dssm_config", d);
    return gcopy_out("growth_dssm_config", d->desc, buf, cap, out_n);
}

GROWTH_API int growth_dssm_stats_get(const growth_dssm *d, growth_dssm_stats *out)
{
    static const char *who = "growth_dssm_stats_get";
    GROWTH_CHECK_NULL(who, d);
    GROWTH_CHECK_NULL(who, out);
    growth_dssm_stats s = GROWTH_DSSM_STATS_INIT;
    s.buckets = d->buckets;
    s.dim = d->tower[0].out;
    s.seed = d->seed;
    return gstruct_out(who, "stats", out, &s, sizeof s, sizeof s);
}

GROWTH_API int growth_dssm_workspace_create(growth_net_workspace **out, const growth_dssm *d,
                                            const char *config)
{
    static const char *who = "growth_dssm_workspace_create";
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, d);
    return gws_create(who, out, d->width, 0, config);
}

/* ---- encoding ------------------------------------------------------------------------------ */

typedef struct {
    float *y;
    const glayer *l;
} first_ctx;

static void add_row(void *ctx, uint32_t slot)
{
    first_ctx *c = ctx;
    gaxpy(c->y, c->l->out, 1.0f, c->l->wt + (size_t)slot * c->l->out);
}

/* Unnormalised tower outputs of `rows` texts (rows x dim, in a workspace buffer). */
static float *dssm_chunk(const growth_dssm *d, growth_net_workspace *ws, growth_dssm_tower tower,
                         const char *const *texts, size_t rows)
{
    const gstack *s = &d->tower[tower];
    const glayer *l0 = &s->l[0];
    for (size_t r = 0; r < rows; r++) {
        first_ctx c = {ws->a + r * l0->out, l0};
        memcpy(c.y, l0->b, l0->out * sizeof *c.y);
        gtext_grams(texts[r], d->buckets, d->seed, add_row, &c);
    }
    return gstack_run(s, 1, rows, ws->a, l0->out, ws);
}

static void l2_normalise(const float *y, size_t n, float *out)
{
    double ss = 0;
    for (size_t j = 0; j < n; j++) ss += (double)y[j] * y[j];
    const float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (size_t j = 0; j < n; j++) out[j] = y[j] * inv;
}

static int dssm_check(const char *who, const growth_dssm *d, growth_net_workspace *ws,
                      growth_dssm_tower tower, const char *const *texts, size_t n, const float *out)
{
    GROWTH_CHECK_NULL(who, d);
    GROWTH_CHECK_NULL(who, ws);
    GROWTH_CHECK_NULL(who, out);
    /* An enum parameter takes any int: check the value. */
    if ((int)tower != GROWTH_DSSM_QUERY && (int)tower != GROWTH_DSSM_ITEM)
        return gerr(GROWTH_EINVAL, "%s: tower %d is neither GROWTH_DSSM_QUERY nor GROWTH_DSSM_ITEM", who,
                    (int)tower);
    if (n && !texts) return gerr(GROWTH_EINVAL, "%s: texts is NULL with n=%zu", who, n);
    if (n > SIZE_MAX / sizeof *texts) /* no array of pointers is that long */
        return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) return gerr(GROWTH_EINVAL, "%s: text %zu is NULL", who, i);
    return gws_check(who, ws, d->width, 0);
}

GROWTH_API int growth_dssm_encode(const growth_dssm *d, growth_net_workspace *ws, growth_dssm_tower tower,
                                  const char *const *texts, size_t n, float *out, size_t cap)
{
    static const char *who = "growth_dssm_encode";
    int rc = dssm_check(who, d, ws, tower, texts, n, out);
    if (rc) return rc;
    const size_t dim = d->tower[0].out;
    if (n > SIZE_MAX / dim || cap < n * dim)
        return gerr(GROWTH_EBUFS, "%s: output holds %zu floats, %zu texts x %zu dimensions need more", who,
                    cap, n, dim);
    for (size_t r0 = 0; r0 < n; r0 += ws->batch) {
        size_t rows = n - r0 < ws->batch ? n - r0 : ws->batch;
        const float *y = dssm_chunk(d, ws, tower, texts + r0, rows);
        for (size_t r = 0; r < rows; r++) l2_normalise(y + r * dim, dim, out + (r0 + r) * dim);
    }
    return GROWTH_OK;
}

GROWTH_API int growth_dssm_score(const growth_dssm *d, growth_net_workspace *ws, const char *query,
                                 const char *const *items, size_t n, float *out, size_t cap)
{
    static const char *who = "growth_dssm_score";
    GROWTH_CHECK_NULL(who, query);
    int rc = dssm_check(who, d, ws, GROWTH_DSSM_ITEM, items, n, out);
    if (rc) return rc;
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: output holds %zu floats for %zu items", who, cap, n);
    const size_t dim = d->tower[0].out;
    l2_normalise(dssm_chunk(d, ws, GROWTH_DSSM_QUERY, &query, 1), dim, ws->q);
    for (size_t r0 = 0; r0 < n; r0 += ws->batch) {
        size_t rows = n - r0 < ws->batch ? n - r0 : ws->batch;
        const float *y = dssm_chunk(d, ws, GROWTH_DSSM_ITEM, items + r0, rows);
        for (size_t r = 0; r < rows; r++) {
            const float *v = y + r * dim;
            double dot = 0, ss = 0;
            for (size_t j = 0; j < dim; j++) {
                dot += (double)ws->q[j] * v[j];
                ss += (double)v[j] * v[j];
            }
            out[r0 + r] = ss > 0 ? (float)(dot / sqrt(ss)) : 0.0f;
        }
    }
    return GROWTH_OK;
}
