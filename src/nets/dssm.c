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

/* ---- word hashing -------------------------------------------------------------------------- */

enum { C_SEP, C_WORD, C_CJK };

/* Decodes one UTF-8 code point; returns UINT32_MAX for an invalid sequence (*adv = 1). */
static uint32_t utf8_next(const unsigned char *s, size_t *adv)
{
    uint32_t c = s[0];
    *adv = 1;
    if (c < 0x80) return c;
    size_t n;
    uint32_t min;
    if ((c & 0xe0) == 0xc0) { n = 2; c &= 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { n = 3; c &= 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { n = 4; c &= 0x07; min = 0x10000; }
    else return UINT32_MAX;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return UINT32_MAX; /* also stops at the NUL */
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return UINT32_MAX;
    *adv = n;
    return c;
}

static int char_class(uint32_t c)
{
    if (c < 0x80) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return C_WORD;
        return C_SEP;
    }
    if (c == UINT32_MAX || c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
        c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || (c >= 0x3000 && c <= 0x303f) ||
        (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) ||
        (c >= 0xff5b && c <= 0xff65) || c == 0xfeff)
        return C_SEP;
    if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
        (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2ffff))
        return C_CJK;
    return C_WORD;
}

typedef void (*gram_fn)(void *ctx, uint32_t slot);

typedef struct {
    uint32_t buckets;
    uint64_t seed;
    gram_fn fn;
    void *ctx;
    size_t count;
} gram_sink;

static void emit(gram_sink *g, const unsigned char *bytes, size_t len)
{
    g->fn(g->ctx, (uint32_t)(growth_hash64(bytes, len, g->seed) % g->buckets));
    g->count++;
}

/* Sliding window of the last three code points of "#word#" (UTF-8 bytes). */
typedef struct { unsigned char b[3][4]; size_t len[3]; int n; } trigram_win;

static void win_push(trigram_win *w, gram_sink *g, const unsigned char *cp, size_t len)
{
    if (w->n == 3) {
        memmove(w->b[0], w->b[1], sizeof w->b[0] * 2);
        w->len[0] = w->len[1];
        w->len[1] = w->len[2];
        w->n = 2;
    }
    memcpy(w->b[w->n], cp, len);
    w->len[w->n++] = len;
    if (w->n == 3) {
        unsigned char t[12];
        size_t l = 0;
        for (int i = 0; i < 3; i++) { memcpy(t + l, w->b[i], w->len[i]); l += w->len[i]; }
        emit(g, t, l);
    }
}

static size_t text_grams(const char *text, gram_sink *g)
{
    static const unsigned char hash_mark = '#';
    const unsigned char *s = (const unsigned char *)text;
    trigram_win w = {.n = 0};
    bool in_word = false, have_prev = false;
    unsigned char prev[4];
    size_t prev_len = 0;
    g->count = 0;
    while (*s) {
        size_t adv;
        uint32_t c = utf8_next(s, &adv);
        int cls = char_class(c);
        unsigned char cp[4];
        memcpy(cp, s, adv);
        if (adv == 1 && c >= 'A' && c <= 'Z') cp[0] = (unsigned char)(c + 32);
        if (cls != C_WORD && in_word) { win_push(&w, g, &hash_mark, 1); in_word = false; }
        if (cls == C_WORD) {
            if (!in_word) { w.n = 0; win_push(&w, g, &hash_mark, 1); in_word = true; }
            win_push(&w, g, cp, adv);
            have_prev = false;
        } else if (cls == C_CJK) {
            emit(g, cp, adv);
            if (have_prev) {
                unsigned char t[8];
                memcpy(t, prev, prev_len);
                memcpy(t + prev_len, cp, adv);
                emit(g, t, prev_len + adv);
            }
            memcpy(prev, cp, adv);
            prev_len = adv;
            have_prev = true;
        } else {
            have_prev = false;
        }
        s += adv;
    }
    if (in_word) win_push(&w, g, &hash_mark, 1);
    return g->count;
}

typedef struct { uint32_t *idx; size_t cap, n; } collect_ctx;

static void collect(void *ctx, uint32_t slot)
{
    collect_ctx *c = ctx;
    if (c->n < c->cap) c->idx[c->n] = slot;
    c->n++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

GROWTH_API int growth_dssm_hash_text(const char *text, uint32_t buckets, uint64_t seed,
                                     uint32_t *idx, float *val, size_t cap, size_t *out_n)
{
    static const char *who = "growth_dssm_hash_text";
    GROWTH_CHECK_NULL(who, text);
    GROWTH_CHECK_NULL(who, out_n);
    if (cap && (!idx || !val)) return gerr(GROWTH_EINVAL, "%s: idx or val is NULL with cap=%zu", who, cap);
    if (buckets == 0) return gerr(GROWTH_EINVAL, "%s: buckets must be at least 1", who);
    collect_ctx c = {idx, cap, 0};
    gram_sink g = {buckets, seed, collect, &c, 0};
    text_grams(text, &g);
    if (c.n > cap) {
        *out_n = c.n;
        return gerr(GROWTH_EBUFS, "%s: the text has %zu n-grams, the buffers hold %zu", who, c.n, cap);
    }
    qsort(idx, c.n, sizeof *idx, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (m && idx[m - 1] == idx[i]) { val[m - 1] += 1.0f; continue; }
        idx[m] = idx[i];
        val[m++] = 1.0f;
    }
    *out_n = m;
    return GROWTH_OK;
}

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
    for (int t = 0; t < 2 && !rc; t++) rc = gstack_from_proto(who, names[t], ls[t], ns[t], msg->buckets, &d->tower[t]);
    if (!rc && d->tower[0].out != d->tower[1].out)
        rc = gerr(GROWTH_EFORMAT, "%s: the query tower gives %u dimensions, the item tower %u", who,
                  d->tower[0].out, d->tower[1].out);
    d->buckets = msg->buckets;
    d->seed = msg->seed;
    d->width = d->tower[0].maxw > d->tower[1].maxw ? d->tower[0].maxw : d->tower[1].maxw;
    size_t len = 0, cap = 0;
    if (!rc) rc = gstr_append(&d->desc, &len, &cap, "buckets=%u seed=%llu query=", d->buckets, (unsigned long long)d->seed);
    if (!rc) rc = gstack_describe(&d->tower[0], &d->desc, &len, &cap);
    if (!rc) rc = gstr_append(&d->desc, &len, &cap, " item=");
    if (!rc) rc = gstack_describe(&d->tower[1], &d->desc, &len, &cap);
    if (rc) { growth_dssm_free(d); return rc; }
    *out = d;
    return GROWTH_OK;
}

static int dssm_from_envelope(const char *who, const uint8_t *buf, size_t len, growth_dssm **out)
{
    const uint8_t *pl = NULL;
    size_t plen = 0;
    int rc = genv_open(who, buf, len, GROWTH_KIND_DSSM, NULL, &pl, &plen);
    if (rc) return rc;
    Growth__Dssm *msg = growth__dssm__unpack(NULL, plen, pl);
    if (!msg) return gerr(GROWTH_EFORMAT, "%s: dssm payload does not decode (truncated or corrupted)", who);
    rc = dssm_from_msg(who, msg, out);
    growth__dssm__free_unpacked(msg, NULL);
    return rc;
}

GROWTH_API int growth_dssm_deserialize(growth_dssm **out, const uint8_t *buf, size_t len)
{
    static const char *who = "growth_dssm_deserialize";
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, buf);
    return dssm_from_envelope(who, buf, len, out);
}

GROWTH_API int growth_dssm_load(growth_dssm **out, const char *path)
{
    static const char *who = "growth_dssm_load";
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, path);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = gfile_read_all(who, path, GNET_MAX_FILE, &buf, &len);
    if (rc) return rc;
    rc = dssm_from_envelope(who, buf, len, out);
    free(buf);
    return rc;
}

static int dssm_pack(const char *who, const growth_dssm *d, uint8_t **out, size_t *out_len)
{
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gnet_meta(&meta, d->desc);
    Growth__Dssm msg = GROWTH__DSSM__INIT;
    Growth__NetLayer **q = NULL, **it = NULL;
    uint8_t *buf = NULL;
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
    size_t plen = growth__dssm__get_packed_size(&msg);
    buf = malloc(GENV_HEADER_SIZE + plen);
    if (!buf) { rc = gerr(GROWTH_ENOMEM, "%s: out of memory (%zu bytes)", who, plen); goto done; }
    growth__dssm__pack(&msg, buf + GENV_HEADER_SIZE);
    genv_header(buf, GROWTH_KIND_DSSM, buf + GENV_HEADER_SIZE, plen);
    *out = buf;
    *out_len = GENV_HEADER_SIZE + plen;
done:
    gstack_proto_free(q, d->tower[0].n);
    gstack_proto_free(it, d->tower[1].n);
    return rc;
}

GROWTH_API int growth_dssm_serialize(const growth_dssm *d, uint8_t **out_buf, size_t *out_len)
{
    static const char *who = "growth_dssm_serialize";
    GROWTH_CHECK_NULL(who, d);
    GROWTH_CHECK_NULL(who, out_buf);
    GROWTH_CHECK_NULL(who, out_len);
    return dssm_pack(who, d, out_buf, out_len);
}

GROWTH_API int growth_dssm_save(const growth_dssm *d, const char *path)
{
    static const char *who = "growth_dssm_save";
    GROWTH_CHECK_NULL(who, d);
    GROWTH_CHECK_NULL(who, path);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = dssm_pack(who, d, &buf, &len);
    if (rc) return rc;
    rc = gfile_write_atomic(who, path, buf, len);
    free(buf);
    return rc;
}

GROWTH_API int growth_dssm_config(const growth_dssm *d, char *buf, size_t cap, size_t *needed)
{
    GROWTH_CHECK_NULL("growth_dssm_config", d);
    return gcopy_out("growth_dssm_config", d->desc, buf, cap, needed);
}

GROWTH_API int growth_dssm_dims(const growth_dssm *d, size_t *dim, uint32_t *buckets, uint64_t *seed)
{
    GROWTH_CHECK_NULL("growth_dssm_dims", d);
    if (dim) *dim = d->tower[0].out;
    if (buckets) *buckets = d->buckets;
    if (seed) *seed = d->seed;
    return GROWTH_OK;
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

typedef struct { float *y; const glayer *l; } first_ctx;

static void add_row(void *ctx, uint32_t slot)
{
    first_ctx *c = ctx;
    gaxpy(c->y, c->l->out, 1.0f, c->l->wt + (size_t)slot * c->l->out);
}

/* Unnormalised tower outputs of `rows` texts (rows x dim, in a workspace buffer). */
static float *dssm_chunk(const growth_dssm *d, growth_net_workspace *ws, int tower,
                         const char *const *texts, size_t rows)
{
    const gstack *s = &d->tower[tower];
    const glayer *l0 = &s->l[0];
    for (size_t r = 0; r < rows; r++) {
        first_ctx c = {ws->a + r * l0->out, l0};
        memcpy(c.y, l0->b, l0->out * sizeof *c.y);
        gram_sink g = {d->buckets, d->seed, add_row, &c, 0};
        text_grams(texts[r], &g);
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

static int dssm_check(const char *who, const growth_dssm *d, growth_net_workspace *ws, int tower,
                      const char *const *texts, size_t n, const float *out)
{
    GROWTH_CHECK_NULL(who, d);
    GROWTH_CHECK_NULL(who, ws);
    GROWTH_CHECK_NULL(who, out);
    if (tower != GROWTH_DSSM_QUERY && tower != GROWTH_DSSM_ITEM)
        return gerr(GROWTH_EINVAL, "%s: tower %d is neither GROWTH_DSSM_QUERY nor GROWTH_DSSM_ITEM", who, tower);
    if (n && !texts) return gerr(GROWTH_EINVAL, "%s: texts is NULL with n=%zu", who, n);
    if (n > SIZE_MAX / sizeof *texts) /* no array of pointers is that long */
        return gerr(GROWTH_EINVAL, "%s: n=%zu is too large", who, n);
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) return gerr(GROWTH_EINVAL, "%s: text %zu is NULL", who, i);
    return gws_check(who, ws, d->width, 0);
}

GROWTH_API int growth_dssm_encode(const growth_dssm *d, growth_net_workspace *ws, int tower,
                                  const char *const *texts, size_t n, float *out, size_t cap)
{
    static const char *who = "growth_dssm_encode";
    int rc = dssm_check(who, d, ws, tower, texts, n, out);
    if (rc) return rc;
    const size_t dim = d->tower[0].out;
    if (n > SIZE_MAX / dim || cap < n * dim)
        return gerr(GROWTH_EBUFS, "%s: output holds %zu floats, %zu texts x %zu dimensions need more", who, cap, n, dim);
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
            for (size_t j = 0; j < dim; j++) { dot += (double)ws->q[j] * v[j]; ss += (double)v[j] * v[j]; }
            out[r0 + r] = ss > 0 ? (float)(dot / sqrt(ss)) : 0.0f;
        }
    }
    return GROWTH_OK;
}
