/* Dense networks: MLPs and Wide&Deep (embedding bags + deep stack + wide linear part). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nets_impl.h"

typedef struct {
    uint32_t rows, dim, off; /* off: position of the pooled vector in the deep input */
    bool mean;
    float *w; /* rows x dim */
} gemb;

struct growth_net {
    uint32_t dense_dim, in0; /* in0 = dense_dim + sum of embedding dims */
    size_t nfields;
    gemb *emb;
    gstack deep;
    uint32_t wide_rows;
    float *wide_w, *wide_b; /* rows x out; out or NULL */
    glayer_type output;
    size_t width; /* floats a row a workspace needs */
    char *desc;
};

static int net_describe(growth_net *m)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    int rc = gstr_append(&s, &len, &cap, "dense_dim=%u embeddings=", m->dense_dim);
    for (size_t f = 0; f < m->nfields && !rc; f++)
        rc = gstr_append(&s, &len, &cap, "%s%ux%u:%s", f ? "," : "", m->emb[f].rows, m->emb[f].dim,
                         m->emb[f].mean ? "mean" : "sum");
    if (!rc) rc = gstr_append(&s, &len, &cap, " layers=");
    if (!rc) rc = gstack_describe(&m->deep, &s, &len, &cap);
    if (!rc) rc = gstr_append(&s, &len, &cap, " wide=");
    if (!rc && m->wide_rows) rc = gstr_append(&s, &len, &cap, "%ux%u", m->wide_rows, m->deep.out);
    if (!rc) rc = gstr_append(&s, &len, &cap, " output=%s", gnet_layer_name(m->output));
    if (rc) {
        free(s);
        return rc;
    }
    m->desc = s;
    return GROWTH_OK;
}

GROWTH_API void growth_net_free(growth_net *m)
{
    if (!m) return;
    for (size_t f = 0; f < m->nfields; f++) free(m->emb[f].w);
    free(m->emb);
    gstack_free(&m->deep);
    free(m->wide_w);
    free(m->wide_b);
    free(m->desc);
    free(m);
}

static float *dup_floats(const float *p, size_t n)
{
    float *q = malloc((n ? n : 1) * sizeof *q);
    if (q && n) memcpy(q, p, n * sizeof *q);
    return q;
}

static int net_from_msg(const char *who, const Growth__Net *msg, growth_net **out)
{
    if (msg->dense_dim > GNET_MAX_WIDTH)
        return gerr(GROWTH_EFORMAT, "%s: dense input width %u exceeds %u", who, msg->dense_dim,
                    GNET_MAX_WIDTH);
    if (msg->n_embeddings > GNET_MAX_FIELDS)
        return gerr(GROWTH_EFORMAT, "%s: %zu embedding fields (at most %d)", who, msg->n_embeddings,
                    GNET_MAX_FIELDS);
    uint64_t in0 = msg->dense_dim;
    for (size_t f = 0; f < msg->n_embeddings; f++) {
        const Growth__NetEmbedding *e = msg->embeddings[f];
        if (!e || e->rows == 0 || e->dim == 0 || e->dim > GNET_MAX_WIDTH)
            return gerr(GROWTH_EFORMAT, "%s: embedding %zu has an empty or too wide table", who, f);
        if (e->n_weight != (uint64_t)e->rows * e->dim)
            return gerr(GROWTH_EFORMAT, "%s: embedding %zu (%ux%u) has %zu weights", who, f, e->rows, e->dim,
                        e->n_weight);
        if (e->pooling && *e->pooling && strcmp(e->pooling, "sum") && strcmp(e->pooling, "mean"))
            return gerr(GROWTH_EFORMAT, "%s: embedding %zu has unknown pooling '%.40s'", who, f, e->pooling);
        if (!gall_finite_f32(e->weight, e->n_weight))
            return gerr(GROWTH_EFORMAT, "%s: embedding %zu holds NaN or Inf weights", who, f);
        in0 += e->dim;
    }
    if (in0 > GNET_MAX_WIDTH)
        return gerr(GROWTH_EFORMAT, "%s: deep input width %llu exceeds %u", who, (unsigned long long)in0,
                    GNET_MAX_WIDTH);
    int oact = (msg->output && *msg->output) ? gnet_layer_type(msg->output) : GL_IDENTITY;
    if (oact < 0 || oact == GL_DENSE)
        return gerr(GROWTH_EFORMAT, "%s: unknown output activation '%.40s'", who, msg->output);
    growth_net *m = calloc(1, sizeof *m);
    if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    int rc = gstack_from_proto(who, "net", msg->layers, msg->n_layers, (uint32_t)in0, &m->deep);
    if (rc) {
        free(m);
        return rc;
    }
    const Growth__NetWide *w = msg->wide;
    if (w) {
        if (w->rows == 0 || w->out_dim != m->deep.out) {
            rc = gerr(GROWTH_EFORMAT, "%s: wide part has %u rows x %u outputs, the deep part %u outputs", who,
                      w->rows, w->out_dim, m->deep.out);
        } else if (w->n_weight != (uint64_t)w->rows * w->out_dim || (w->n_bias && w->n_bias != w->out_dim)) {
            rc = gerr(GROWTH_EFORMAT, "%s: wide part (%ux%u) has %zu weights and %zu biases", who, w->rows,
                      w->out_dim, w->n_weight, w->n_bias);
        } else if (!gall_finite_f32(w->weight, w->n_weight) || !gall_finite_f32(w->bias, w->n_bias)) {
            rc = gerr(GROWTH_EFORMAT, "%s: wide part holds NaN or Inf weights", who);
        }
        if (rc) {
            growth_net_free(m);
            return rc;
        }
    }
    m->dense_dim = msg->dense_dim;
    m->in0 = (uint32_t)in0;
    m->output = (glayer_type)oact;
    m->emb = calloc(msg->n_embeddings ? msg->n_embeddings : 1, sizeof *m->emb);
    if (!m->emb) goto oom;
    m->nfields = msg->n_embeddings;
    uint32_t off = msg->dense_dim;
    for (size_t f = 0; f < m->nfields; f++) {
        const Growth__NetEmbedding *e = msg->embeddings[f];
        gemb *g = &m->emb[f];
        g->rows = e->rows;
        g->dim = e->dim;
        g->off = off;
        g->mean = e->pooling && strcmp(e->pooling, "mean") == 0;
        off += e->dim;
        if (!(g->w = dup_floats(e->weight, e->n_weight))) goto oom;
    }
    if (w) {
        m->wide_rows = w->rows;
        if (!(m->wide_w = dup_floats(w->weight, w->n_weight))) goto oom;
        if (w->n_bias && !(m->wide_b = dup_floats(w->bias, w->n_bias))) goto oom;
    }
    m->width = m->in0 > m->deep.maxw ? m->in0 : m->deep.maxw;
    if ((rc = net_describe(m))) {
        growth_net_free(m);
        return rc;
    }
    *out = m;
    return GROWTH_OK;
oom:
    growth_net_free(m);
    return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
}

static int net_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *out)
{
    (void)kind;
    Growth__Net *msg = growth__net__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "net payload");
    int rc = net_from_msg(who, msg, out);
    growth__net__free_unpacked(msg, &gpb_allocator);
    return rc;
}

GROWTH_API int growth_net_deserialize(growth_net **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_net_deserialize", buf, len, GROWTH_KIND_NET, net_from_payload, out);
}

GROWTH_API int growth_net_load(growth_net **out, const char *path)
{
    return gmodel_load("growth_net_load", path, GNET_MAX_FILE, GROWTH_KIND_NET, net_from_payload, out);
}

static int net_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    const growth_net *m = model;
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, m->desc);
    Growth__Net msg = GROWTH__NET__INIT;
    Growth__NetWide wide = GROWTH__NET_WIDE__INIT;
    Growth__NetEmbedding *embs = calloc(m->nfields ? m->nfields : 1, sizeof *embs);
    Growth__NetEmbedding **eptr = calloc(m->nfields ? m->nfields : 1, sizeof *eptr);
    Growth__NetLayer **layers = NULL;
    int rc = GROWTH_OK;
    if (!embs || !eptr) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    if ((rc = gstack_to_proto(who, &m->deep, &layers))) goto done;
    msg.meta = &meta;
    msg.dense_dim = m->dense_dim;
    for (size_t f = 0; f < m->nfields; f++) {
        growth__net_embedding__init(&embs[f]);
        embs[f].rows = m->emb[f].rows;
        embs[f].dim = m->emb[f].dim;
        embs[f].pooling = m->emb[f].mean ? "mean" : "sum";
        embs[f].n_weight = (size_t)m->emb[f].rows * m->emb[f].dim;
        embs[f].weight = m->emb[f].w;
        eptr[f] = &embs[f];
    }
    msg.n_embeddings = m->nfields;
    msg.embeddings = eptr;
    msg.n_layers = m->deep.n;
    msg.layers = layers;
    if (m->wide_rows) {
        wide.rows = m->wide_rows;
        wide.out_dim = m->deep.out;
        wide.n_weight = (size_t)m->wide_rows * m->deep.out;
        wide.weight = m->wide_w;
        wide.n_bias = m->wide_b ? m->deep.out : 0;
        wide.bias = m->wide_b;
        msg.wide = &wide;
    }
    msg.output = (char *)gnet_layer_name(m->output);
    rc = genv_pack(who, GROWTH_KIND_NET, &msg.base, out, out_len);
done:
    free(embs);
    free(eptr);
    gstack_proto_free(layers, m->deep.n);
    return rc;
}

GROWTH_API int growth_net_serialize(const growth_net *net, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_net_serialize", net, net_pack, out_buf, out_len);
}

GROWTH_API int growth_net_save(const growth_net *net, const char *path)
{
    return gmodel_save("growth_net_save", net, path, net_pack);
}

GROWTH_API int growth_net_config(const growth_net *net, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_net_config", net);
    return gcopy_out("growth_net_config", net->desc, buf, cap, out_n);
}

GROWTH_API int growth_net_stats_get(const growth_net *net, growth_net_stats *out)
{
    static const char *who = "growth_net_stats_get";
    GROWTH_CHECK_NULL(who, net);
    GROWTH_CHECK_NULL(who, out);
    growth_net_stats s = GROWTH_NET_STATS_INIT;
    s.dense_dim = net->dense_dim;
    s.fields = net->nfields;
    s.wide_rows = net->wide_rows;
    s.out_dim = net->deep.out;
    return gstruct_out(who, "stats", out, &s, sizeof s, sizeof s);
}

GROWTH_API int growth_net_workspace_create(growth_net_workspace **out, const growth_net *net,
                                           const char *config)
{
    static const char *who = "growth_net_workspace_create";
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, net);
    return gws_create(who, out, net->width, net->nfields, config);
}

/* ---- inference ---------------------------------------------------------------------------- */

typedef struct {
    const float *x; /* nrows x ncols */
    size_t nrows, ncols;
    const uint64_t *cat_ptr; /* NULL: no pairs (cat_n pairs for a single row when nrows = 1) */
    const uint32_t *cat_field, *cat_id;
    const uint64_t *wide_ptr;
    const uint32_t *wide_idx;
    const float *wide_val;
} net_input;

static int check_ptr(const char *who, const char *name, const uint64_t *ptr, size_t nrows)
{
    for (size_t r = 0; r < nrows; r++)
        if (ptr[r + 1] < ptr[r]) return gerr(GROWTH_EINVAL, "%s: %s decreases at row %zu", who, name, r);
    return GROWTH_OK;
}

/* Validates everything before any output is written. */
static int net_validate(const char *who, const growth_net *m, growth_net_workspace *ws, const net_input *in,
                        float *out, size_t cap)
{
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, ws);
    GROWTH_CHECK_NULL(who, out);
    if (in->ncols != m->dense_dim)
        return gerr(GROWTH_EINVAL, "%s: input width %zu, the net takes %u dense inputs", who, in->ncols,
                    m->dense_dim);
    if (in->nrows && m->dense_dim && !in->x) return gerr(GROWTH_EINVAL, "%s: x is NULL", who);
    int rc = gws_check(who, ws, m->width, m->nfields);
    if (rc) return rc;
    /* nrows x ncols floats and nrows + 1 offsets must fit in memory (no wrap-around). */
    if (in->nrows >= SIZE_MAX / sizeof(uint64_t) ||
        (in->ncols && in->nrows > SIZE_MAX / sizeof(float) / in->ncols))
        return gerr(GROWTH_EINVAL, "%s: nrows=%zu is too large", who, in->nrows);
    if (in->nrows > SIZE_MAX / m->deep.out || cap < in->nrows * m->deep.out)
        return gerr(GROWTH_EBUFS, "%s: output holds %zu floats, %zu rows x %u outputs need more", who, cap,
                    in->nrows, m->deep.out);
    if (m->dense_dim && !gall_finite_f32(in->x, in->nrows * in->ncols)) {
        size_t i = 0;
        while (gfinite(in->x[i])) i++;
        return gerr(GROWTH_EINVAL, "%s: input row %zu column %zu is NaN or Inf", who, i / in->ncols,
                    i % in->ncols);
    }
    if (in->cat_ptr) {
        if ((rc = check_ptr(who, "cat_indptr", in->cat_ptr, in->nrows))) return rc;
        size_t a = (size_t)in->cat_ptr[0], b = (size_t)in->cat_ptr[in->nrows];
        if (b - a > SIZE_MAX / sizeof(uint64_t)) /* no id array is that long */
            return gerr(GROWTH_EINVAL, "%s: %zu categorical ids is too large", who, b - a);
        if (b > a && (!in->cat_field || !in->cat_id))
            return gerr(GROWTH_EINVAL, "%s: cat_field or cat_id is NULL with %zu ids", who, b - a);
        for (size_t k = a; k < b; k++) {
            uint32_t f = in->cat_field[k];
            if (f >= m->nfields)
                return gerr(GROWTH_EINVAL, "%s: categorical pair %zu names field %u, the net has %zu", who, k,
                            f, m->nfields);
            if (in->cat_id[k] >= m->emb[f].rows)
                return gerr(GROWTH_EINVAL, "%s: id %u of field %u is outside its %u embedding rows", who,
                            in->cat_id[k], f, m->emb[f].rows);
        }
    }
    if (in->wide_ptr) {
        if ((rc = check_ptr(who, "wide_indptr", in->wide_ptr, in->nrows))) return rc;
        size_t a = (size_t)in->wide_ptr[0], b = (size_t)in->wide_ptr[in->nrows];
        if (b - a > SIZE_MAX / sizeof(uint64_t)) /* no slot array is that long */
            return gerr(GROWTH_EINVAL, "%s: %zu wide slots is too large", who, b - a);
        if (b > a && !m->wide_rows)
            return gerr(GROWTH_EINVAL, "%s: %zu wide features but the net has no wide part", who, b - a);
        if (b > a && !in->wide_idx)
            return gerr(GROWTH_EINVAL, "%s: wide_idx is NULL with %zu features", who, b - a);
        for (size_t k = a; k < b; k++) {
            if (in->wide_idx[k] >= m->wide_rows)
                return gerr(GROWTH_EINVAL, "%s: wide slot %u is outside the wide part's %u rows", who,
                            in->wide_idx[k], m->wide_rows);
            if (in->wide_val && !gfinite(in->wide_val[k]))
                return gerr(GROWTH_EINVAL, "%s: wide value %zu is NaN or Inf", who, k);
        }
    }
    return GROWTH_OK;
}

/* Rows [r0, r0 + rows) of a validated input into out (rows x out_dim). */
static void net_chunk(const growth_net *m, growth_net_workspace *ws, const net_input *in, size_t r0,
                      size_t rows, float *out)
{
    const float *deep_in = in->x ? in->x + r0 * in->ncols : NULL;
    size_t ld = in->ncols;
    if (m->nfields) { /* build concat(x, pooled embeddings) in ws->a */
        float *A = ws->a;
        for (size_t r = 0; r < rows; r++) {
            float *row = A + r * m->in0;
            if (m->dense_dim) memcpy(row, in->x + (r0 + r) * in->ncols, m->dense_dim * sizeof *row);
            memset(row + m->dense_dim, 0, (m->in0 - m->dense_dim) * sizeof *row);
            if (!in->cat_ptr) continue;
            memset(ws->cnt, 0, m->nfields * sizeof *ws->cnt);
            for (uint64_t k = in->cat_ptr[r0 + r]; k < in->cat_ptr[r0 + r + 1]; k++) {
                const gemb *e = &m->emb[in->cat_field[k]];
                const float *src = e->w + (size_t)in->cat_id[k] * e->dim;
                float *dst = row + e->off;
                for (uint32_t j = 0; j < e->dim; j++) dst[j] += src[j];
                ws->cnt[in->cat_field[k]] += 1.0f;
            }
            for (size_t f = 0; f < m->nfields; f++) {
                const gemb *e = &m->emb[f];
                if (!e->mean || ws->cnt[f] <= 1.0f) continue;
                float *dst = row + e->off;
                for (uint32_t j = 0; j < e->dim; j++) dst[j] /= ws->cnt[f];
            }
        }
        deep_in = A;
        ld = m->in0;
    }
    float *y = gstack_run(&m->deep, 0, rows, deep_in, ld, ws);
    const size_t od = m->deep.out;
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * od;
        if (in->wide_ptr) {
            for (uint64_t k = in->wide_ptr[r0 + r]; k < in->wide_ptr[r0 + r + 1]; k++) {
                const float v = in->wide_val ? in->wide_val[k] : 1.0f;
                const float *w = m->wide_w + (size_t)in->wide_idx[k] * od;
                for (size_t j = 0; j < od; j++) yr[j] += v * w[j];
            }
        }
        if (m->wide_b)
            for (size_t j = 0; j < od; j++) yr[j] += m->wide_b[j];
        gact(m->output, yr, out + r * od, od);
    }
}

static int net_run(const char *who, const growth_net *m, growth_net_workspace *ws, const net_input *in,
                   float *out, size_t cap)
{
    int rc = net_validate(who, m, ws, in, out, cap);
    if (rc) return rc;
    for (size_t r0 = 0; r0 < in->nrows; r0 += ws->batch) {
        size_t rows = in->nrows - r0 < ws->batch ? in->nrows - r0 : ws->batch;
        net_chunk(m, ws, in, r0, rows, out + r0 * m->deep.out);
    }
    return GROWTH_OK;
}

GROWTH_API int growth_net_predict(const growth_net *net, growth_net_workspace *ws, const float *x, size_t n,
                                  float *out, size_t cap)
{
    net_input in = {x, 1, n, NULL, NULL, NULL, NULL, NULL, NULL};
    return net_run("growth_net_predict", net, ws, &in, out, cap);
}

GROWTH_API int growth_net_predict_dense(const growth_net *net, growth_net_workspace *ws, const float *x,
                                        size_t nrows, size_t ncols, float *out, size_t cap)
{
    net_input in = {x, nrows, ncols, NULL, NULL, NULL, NULL, NULL, NULL};
    return net_run("growth_net_predict_dense", net, ws, &in, out, cap);
}

GROWTH_API int growth_net_predict_wide_deep(const growth_net *net, growth_net_workspace *ws, const float *x,
                                            size_t n, const uint32_t *cat_field, const uint32_t *cat_id,
                                            size_t ncat, const uint32_t *wide_idx, const float *wide_val,
                                            size_t nwide, float *out, size_t cap)
{
    uint64_t cp[2] = {0, ncat}, wp[2] = {0, nwide};
    net_input in = {x, 1, n, cp, cat_field, cat_id, wp, wide_idx, wide_val};
    return net_run("growth_net_predict_wide_deep", net, ws, &in, out, cap);
}

GROWTH_API int growth_net_predict_wide_deep_csr(const growth_net *net, growth_net_workspace *ws,
                                                const float *x, size_t nrows, size_t ncols,
                                                const uint64_t *cat_indptr, const uint32_t *cat_field,
                                                const uint32_t *cat_id, const uint64_t *wide_indptr,
                                                const uint32_t *wide_idx, const float *wide_val, float *out,
                                                size_t cap)
{
    net_input in = {x, nrows, ncols, cat_indptr, cat_field, cat_id, wide_indptr, wide_idx, wide_val};
    return net_run("growth_net_predict_wide_deep_csr", net, ws, &in, out, cap);
}
