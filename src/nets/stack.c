/* Layer stacks shared by nets and DSSM towers: validation from protobuf, the single-row kernels
 * (own loops: no BLAS call, no BLAS threads, skips the zeros ReLU leaves), sgemm for batches,
 * and workspaces.
 *
 * Dense weights are kept as Wt = W^T (in x out, row-major): one row uses y = b + sum_i x_i Wt[i,:]
 * (contiguous axpys over the output, vectorisable, zeros skipped), and a batch is one
 * Y = X Wt + b sgemm with no transposition. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3") /* vectorise the axpy loops below (meson's default is -O2) */
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "nets_impl.h"

/* AVX2+FMA clones of the hot loops, chosen at load time (ifunc). Not under sanitizers: an ifunc
 * resolver runs before their runtimes start (ThreadSanitizer crashes there). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) &&                 \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define GNET_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GNET_CLONES
#endif

static const char *const layer_names[] = {"dense", "relu", "tanh", "sigmoid", "identity"};

int gnet_layer_type(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(name, layer_names[i]) == 0) return i;
    return -1;
}

const char *gnet_layer_name(glayer_type t) { return layer_names[t]; }

/* ---- kernels ------------------------------------------------------------------------------ */

/* tanh without a libm call, so that the loop over a layer vectorises (8 lanes with AVX2):
 *   tanh|x| = e / (e + 2),  e = expm1(y),  y = 2 min(|x|, 9)   (tanh 9 rounds to 1 in float)
 *   expm1(y) = 2^k (expm1(r) + 1) - 1 = 2^k expm1(r) + (2^k - 1),  k = round(y / ln 2),
 *   r = y - k ln 2 in [-ln2/2, ln2/2] (ln 2 split in two constants, Cody and Waite, so that
 *   k ln 2 is exact to float precision), and expm1(r) by its Taylor polynomial to degree 8
 *   (remainder < |r|^9 / 9! < 2e-10). For |x| < ln2/4 the result is that polynomial alone (k = 0),
 *   so small inputs keep full relative accuracy. k is read off the bits of y/ln2 + 1.5 x 2^23
 *   and the clamp is an integer min on the bits of |x| (monotone for non-negative floats): a
 *   float-to-int conversion or a float compare would stop GCC from vectorising the loop.
 *   Inputs are finite (validated at the API). Against tanh in double over [-10, 10]: within 3
 *   float ulps (tests/python/test_nets.py). glibc's expm1f in the loop took half of a DSSM
 *   tower's time (callgrind: 31% expm1f + 11% the loop, against 24% sgemm). */
static inline float tanh_vec(float x)
{
    uint32_t ab;
    memcpy(&ab, &x, sizeof ab);
    ab &= 0x7fffffffu;                        /* |x| */
    ab = ab < 0x41100000u ? ab : 0x41100000u; /* min(|x|, 9) */
    float a;
    memcpy(&a, &ab, sizeof a);
    const float y = 2.0f * a;
    const float t = y * 1.44269504088896341f + 12582912.0f; /* the low bits of t: round(y / ln 2) */
    const float kf = t - 12582912.0f;
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    const uint32_t sb = (tb - 0x4B400000u + 127u) << 23; /* 2^k */
    float two_k;
    memcpy(&two_k, &sb, sizeof two_k);
    const float r = (y - kf * 0.693145751953125f) - kf * 1.428606765330187e-06f;
    const float p =
        r * (1.0f +
             r * (0.5f + r * (1.66666667e-1f +
                              r * (4.16666667e-2f +
                                   r * (8.33333333e-3f +
                                        r * (1.38888889e-3f + r * (1.98412698e-4f + r * 2.48015873e-5f)))))));
    const float e = two_k * p + (two_k - 1.0f);
    return copysignf(e / (e + 2.0f), x);
}

GNET_CLONES
void gact(glayer_type t, const float *in, float *out, size_t n)
{
    switch (t) {
    case GL_RELU:
        for (size_t i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
        break;
    case GL_TANH:
        for (size_t i = 0; i < n; i++) out[i] = tanh_vec(in[i]);
        break;
    case GL_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            float v = in[i];
            if (v >= 0.0f)
                out[i] = 1.0f / (1.0f + expf(-v));
            else {
                float e = expf(v);
                out[i] = e / (1.0f + e);
            }
        }
        break;
    default:
        if (out != in) memmove(out, in, n * sizeof *out);
        break;
    }
}

GNET_CLONES
static void axpy4(float *restrict y, size_t n, const float *restrict xv, const float *restrict w0,
                  const float *restrict w1, const float *restrict w2, const float *restrict w3)
{
    const float a0 = xv[0], a1 = xv[1], a2 = xv[2], a3 = xv[3];
    for (size_t o = 0; o < n; o++) y[o] += a0 * w0[o] + a1 * w1[o] + a2 * w2[o] + a3 * w3[o];
}

GNET_CLONES
static void axpy1(float *restrict y, size_t n, float a, const float *restrict w)
{
    for (size_t o = 0; o < n; o++) y[o] += a * w[o];
}

void gaxpy(float *y, size_t n, float a, const float *w) { axpy1(y, n, a, w); }

void gdense_row(const glayer *l, const float *x, float *y)
{
    const size_t in = l->in, out = l->out;
    const float *wt = l->wt;
    if (out == 1) { /* a dot product: 4 partial sums */
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        size_t i = 0;
        for (; i + 4 <= in; i += 4) {
            s0 += x[i] * wt[i];
            s1 += x[i + 1] * wt[i + 1];
            s2 += x[i + 2] * wt[i + 2];
            s3 += x[i + 3] * wt[i + 3];
        }
        for (; i < in; i++) s0 += x[i] * wt[i];
        y[0] = l->b[0] + ((s0 + s1) + (s2 + s3));
        return;
    }
    memcpy(y, l->b, out * sizeof *y);
    float xv[4];
    const float *wr[4];
    int k = 0;
    for (size_t i = 0; i < in; i++) {
        if (x[i] == 0.0f) continue;
        xv[k] = x[i];
        wr[k] = wt + i * out;
        if (++k == 4) {
            axpy4(y, out, xv, wr[0], wr[1], wr[2], wr[3]);
            k = 0;
        }
    }
    for (int j = 0; j < k; j++) axpy1(y, out, xv[j], wr[j]);
}

float *gstack_run(const gstack *s, size_t first, size_t rows, const float *x, size_t ldx,
                  growth_net_workspace *ws)
{
    const float *cur = x;
    size_t ld = ldx;
    for (size_t k = first; k < s->n; k++) {
        const glayer *l = &s->l[k];
        float *dst = cur == ws->a ? ws->b : ws->a;
        if (l->type == GL_DENSE) {
            if (rows == 1) {
                gdense_row(l, cur, dst);
            } else {
                for (size_t r = 0; r < rows; r++) memcpy(dst + r * l->out, l->b, l->out * sizeof *dst);
                if (l->out == 1) /* one output: a matrix-vector product */
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)l->in, 1.0f, cur, (int)ld, l->wt,
                                1, 1.0f, dst, 1);
                else
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)l->out, (int)l->in,
                                1.0f, cur, (int)ld, l->wt, (int)l->out, 1.0f, dst, (int)l->out);
            }
            cur = dst;
            ld = l->out;
        } else if (l->type == GL_IDENTITY) {
            continue;
        } else if ((cur == ws->a || cur == ws->b) && ld == l->out) {
            gact(l->type, cur, (float *)cur, rows * ld);
        } else {
            for (size_t r = 0; r < rows; r++) gact(l->type, cur + r * ld, dst + r * l->out, l->out);
            cur = dst;
            ld = l->out;
        }
    }
    return (float *)cur;
}

/* ---- building from / to protobuf ---------------------------------------------------------- */

static void transpose(const float *src, size_t rows, size_t cols, float *dst)
{
    const size_t B = 32; /* dst[c * rows + r] = src[r * cols + c], in cache-sized blocks */
    for (size_t r0 = 0; r0 < rows; r0 += B)
        for (size_t c0 = 0; c0 < cols; c0 += B)
            for (size_t r = r0; r < r0 + B && r < rows; r++)
                for (size_t c = c0; c < c0 + B && c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

int gstack_from_proto(const char *who, const char *what, Growth__NetLayer *const *layers, size_t n,
                      uint32_t in, gstack *out)
{
    memset(out, 0, sizeof *out);
    if (n > GNET_MAX_LAYERS)
        return gerr(GROWTH_EFORMAT, "%s: %s has %zu layers (at most %d)", who, what, n, GNET_MAX_LAYERS);
    if (in == 0 || in > GNET_MAX_WIDTH)
        return gerr(GROWTH_EFORMAT, "%s: %s input width %u is outside 1..%u", who, what, in, GNET_MAX_WIDTH);
    uint32_t w = in, maxw = 0;
    size_t dense = 0;
    for (size_t k = 0; k < n; k++) { /* validate everything before allocating */
        const Growth__NetLayer *p = layers[k];
        if (!p) return gerr(GROWTH_EFORMAT, "%s: %s layer %zu is missing", who, what, k);
        int t = gnet_layer_type(p->type);
        if (t < 0)
            return gerr(GROWTH_EFORMAT, "%s: %s layer %zu has unknown layer type '%.40s'", who, what, k,
                        p->type ? p->type : "");
        if (t == GL_DENSE) {
            if (p->in_dim != w)
                return gerr(GROWTH_EFORMAT, "%s: %s layer %zu (dense) takes %u inputs but receives %u", who,
                            what, k, p->in_dim, w);
            if (p->out_dim == 0 || p->out_dim > GNET_MAX_WIDTH)
                return gerr(GROWTH_EFORMAT, "%s: %s layer %zu (dense) output width %u is outside 1..%u", who,
                            what, k, p->out_dim, GNET_MAX_WIDTH);
            uint64_t nw = (uint64_t)p->in_dim * p->out_dim;
            if (p->n_weight != nw || p->n_bias != p->out_dim)
                return gerr(
                    GROWTH_EFORMAT,
                    "%s: %s layer %zu (dense %ux%u) has %zu weights and %zu biases, expected %llu and %u",
                    who, what, k, p->in_dim, p->out_dim, p->n_weight, p->n_bias, (unsigned long long)nw,
                    p->out_dim);
            if (!gall_finite_f32(p->weight, p->n_weight) || !gall_finite_f32(p->bias, p->n_bias))
                return gerr(GROWTH_EFORMAT, "%s: %s layer %zu (dense) holds NaN or Inf weights", who, what,
                            k);
            w = p->out_dim;
            dense++;
        } else {
            if ((p->in_dim && p->in_dim != w) || (p->out_dim && p->out_dim != w))
                return gerr(GROWTH_EFORMAT, "%s: %s layer %zu (%s) declares width %u/%u but receives %u", who,
                            what, k, layer_names[t], p->in_dim, p->out_dim, w);
            if (p->n_weight || p->n_bias)
                return gerr(GROWTH_EFORMAT, "%s: %s layer %zu (%s) carries weights", who, what, k,
                            layer_names[t]);
        }
        if (w > maxw) maxw = w;
    }
    if (dense == 0) return gerr(GROWTH_EFORMAT, "%s: %s has no dense layer", who, what);
    out->l = calloc(n, sizeof *out->l);
    if (!out->l) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    out->n = n;
    for (size_t k = 0; k < n; k++) {
        const Growth__NetLayer *p = layers[k];
        glayer *l = &out->l[k];
        l->type = (glayer_type)gnet_layer_type(p->type);
        if (l->type == GL_DENSE) {
            l->in = p->in_dim;
            l->out = p->out_dim;
            l->wt = malloc(p->n_weight * sizeof *l->wt);
            l->b = malloc(p->n_bias * sizeof *l->b);
            if (!l->wt || !l->b) {
                gstack_free(out);
                return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            }
            transpose(p->weight, p->out_dim, p->in_dim, l->wt);
            memcpy(l->b, p->bias, p->n_bias * sizeof *l->b);
        } else {
            l->in = l->out = k ? out->l[k - 1].out : in;
        }
    }
    out->in = in;
    out->out = w;
    out->maxw = maxw;
    return GROWTH_OK;
}

void gstack_free(gstack *s)
{
    if (!s) return;
    for (size_t k = 0; k < s->n; k++) {
        free(s->l[k].wt);
        free(s->l[k].b);
    }
    free(s->l);
    memset(s, 0, sizeof *s);
}

void gstack_proto_free(Growth__NetLayer **layers, size_t n)
{
    if (!layers) return;
    for (size_t k = 0; k < n; k++) {
        if (!layers[k]) continue;
        free(layers[k]->weight);
        free(layers[k]);
    }
    free(layers);
}

int gstack_to_proto(const char *who, const gstack *s, Growth__NetLayer ***out)
{
    Growth__NetLayer **ls = calloc(s->n ? s->n : 1, sizeof *ls);
    if (!ls) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    for (size_t k = 0; k < s->n; k++) {
        const glayer *l = &s->l[k];
        Growth__NetLayer *p = malloc(sizeof *p);
        if (!p) {
            gstack_proto_free(ls, s->n);
            return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        }
        growth__net_layer__init(p);
        ls[k] = p;
        p->type = (char *)layer_names[l->type];
        p->in_dim = l->in;
        p->out_dim = l->out;
        if (l->type == GL_DENSE) {
            size_t nw = (size_t)l->in * l->out;
            p->weight = malloc(nw * sizeof *p->weight);
            if (!p->weight) {
                gstack_proto_free(ls, s->n);
                return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            }
            transpose(l->wt, l->in, l->out, p->weight);
            p->n_weight = nw;
            p->bias = l->b; /* borrowed */
            p->n_bias = l->out;
        }
    }
    *out = ls;
    return GROWTH_OK;
}

int gstr_append(char **str, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return gerr(GROWTH_EINVAL, "nets: cannot format a description");
    if (*len + (size_t)n + 1 > *cap) {
        size_t nc = (*cap ? *cap * 2 : 128);
        while (nc < *len + (size_t)n + 1) nc *= 2;
        char *p = realloc(*str, nc);
        if (!p) return gerr(GROWTH_ENOMEM, "nets: out of memory");
        *str = p;
        *cap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(*str + *len, *cap - *len, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
    return GROWTH_OK;
}

int gstack_describe(const gstack *s, char **str, size_t *len, size_t *cap)
{
    int rc = GROWTH_OK;
    for (size_t k = 0; k < s->n && !rc; k++) {
        const glayer *l = &s->l[k];
        if (l->type == GL_DENSE)
            rc = gstr_append(str, len, cap, "%sdense:%ux%u", k ? "," : "", l->in, l->out);
        else
            rc = gstr_append(str, len, cap, "%s%s", k ? "," : "", layer_names[l->type]);
    }
    return rc;
}

/* ---- workspaces ---------------------------------------------------------------------------- */

typedef struct {
    int64_t batch, max_memory;
} ws_cfg;
static const gcfg_opt ws_opts[] = {
    {"batch", GCFG_INT, offsetof(ws_cfg, batch), "256", 1, 65536, NULL, false},
    GCFG_MAX_MEMORY(ws_cfg, max_memory),
};

int gws_create(const char *who, growth_net_workspace **out, size_t width, size_t fields, const char *config)
{
    ws_cfg cfg;
    int rc =
        gcfg_parse("net workspace", ws_opts, sizeof ws_opts / sizeof ws_opts[0], config, &cfg, sizeof cfg);
    if (rc) return rc;
    /* two batch x width activation buffers, one row of width, the per-field counts */
    char what[128];
    snprintf(what, sizeof what, "%s: batch=%lld rows of %zu floats", who, (long long)cfg.batch, width);
    double need = ((double)cfg.batch * (double)width * 2 + (double)width) * sizeof(float) +
                  (double)(fields ? fields : 1) * sizeof(float);
    if ((rc = gmem_reserve(what, need, (uint64_t)cfg.max_memory))) return rc;
    growth_net_workspace *ws = calloc(1, sizeof *ws);
    size_t n = (size_t)cfg.batch * width;
    if (ws) {
        ws->a = malloc(n * sizeof *ws->a);
        ws->b = malloc(n * sizeof *ws->b);
        ws->cnt = calloc(fields ? fields : 1, sizeof *ws->cnt);
        ws->q = malloc(width * sizeof *ws->q);
    }
    if (!ws || !ws->a || !ws->b || !ws->cnt || !ws->q) {
        growth_net_workspace_free(ws);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for %lld x %zu floats", who, (long long)cfg.batch,
                    width);
    }
    ws->batch = (size_t)cfg.batch;
    ws->width = width;
    ws->fields = fields;
    *out = ws;
    return GROWTH_OK;
}

int gws_check(const char *who, const growth_net_workspace *ws, size_t width, size_t fields)
{
    if (ws->width < width || ws->fields < fields)
        return gerr(GROWTH_EINVAL,
                    "%s: workspace holds %zu floats and %zu fields a row, the model needs %zu and %zu", who,
                    ws->width, ws->fields, width, fields);
    return GROWTH_OK;
}

GROWTH_API void growth_net_workspace_free(growth_net_workspace *ws)
{
    if (!ws) return;
    free(ws->a);
    free(ws->b);
    free(ws->cnt);
    free(ws->q);
    free(ws);
}
