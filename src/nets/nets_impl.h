/* Internal layer stacks shared by the Net and DSSM handles. Not installed. */
#ifndef GROWTH_NETS_IMPL_H
#define GROWTH_NETS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "growth/nets.h"
#include "net.pb-c.h"

#define GNET_MAX_WIDTH  ((uint32_t)1 << 24) /* any layer or input width */
#define GNET_MAX_LAYERS 1024
#define GNET_MAX_FIELDS 4096
#define GNET_MAX_FILE   ((size_t)1 << 36)

typedef enum { GL_DENSE, GL_RELU, GL_TANH, GL_SIGMOID, GL_IDENTITY } glayer_type;

typedef struct {
    glayer_type type;
    uint32_t in, out; /* widths (equal for activations) */
    float *wt;        /* dense: in x out, row-major (the transpose of torch's weight) */
    float *b;         /* dense: out */
} glayer;

typedef struct {
    glayer *l;
    size_t n;
    uint32_t in, out; /* input and output width of the stack */
    uint32_t maxw;    /* widest layer output */
} gstack;

struct growth_net_workspace {
    size_t batch;  /* rows per chunk */
    size_t width;  /* floats per row in a and b */
    size_t fields; /* entries of cnt */
    float *a, *b;  /* batch x width each */
    float *cnt;    /* per-field id counts (mean pooling) */
    float *q;      /* width floats: a held vector (DSSM query) */
};

/* Layer type by name, -1 if unknown; name of a type. */
int gnet_layer_type(const char *name);
const char *gnet_layer_name(glayer_type t);

/* Builds a stack from protobuf layers with input width `in`; validates types, widths, array
 * lengths and finiteness (GROWTH_EFORMAT naming `who` and `what`) before allocating. */
int gstack_from_proto(const char *who, const char *what, Growth__NetLayer *const *layers, size_t n,
                      uint32_t in, gstack *out);
/* protobuf layers with torch-layout weights (malloc'ed; free with gstack_proto_free). */
int gstack_to_proto(const char *who, const gstack *s, Growth__NetLayer ***out);
void gstack_proto_free(Growth__NetLayer **layers, size_t n);
void gstack_free(gstack *s);
/* Appends "dense:IxO,relu,..." to a malloc'ed string builder. */
int gstack_describe(const gstack *s, char **str, size_t *len, size_t *cap);
int gstr_append(char **str, size_t *len, size_t *cap, const char *fmt, ...) GROWTH_PRINTF(4, 5);

/* out[0..n) = activation(in[0..n)), in == out allowed. */
void gact(glayer_type t, const float *in, float *out, size_t n);

/* y[0..n) += a * w[0..n) */
void gaxpy(float *y, size_t n, float a, const float *w);

/* y = b + x Wt for one row (own loops, no BLAS). */
void gdense_row(const glayer *l, const float *x, float *y);

/* Runs layers [first, n) for `rows` rows starting from `x` (row stride ldx); uses the two
 * workspace buffers, never writes x. Returns the output (rows x s->out, contiguous), which is
 * one of ws->a / ws->b (or x itself if there is nothing to run and x is a buffer). */
float *gstack_run(const gstack *s, size_t first, size_t rows, const float *x, size_t ldx,
                  growth_net_workspace *ws);

/* Checks that ws fits a model: width floats per row and `fields` counters. */
int gws_check(const char *who, const growth_net_workspace *ws, size_t width, size_t fields);
int gws_create(const char *who, growth_net_workspace **out, size_t width, size_t fields, const char *config);

/* Metadata for a payload: library version, config, time. */

#endif
