/* Private declarations of the forest module (gradient-boosted trees through libxgboost, served
 * by a native evaluator). */
#ifndef GROWTH_FOREST_IMPL_H
#define GROWTH_FOREST_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <xgboost/c_api.h>

#include "core.h"
#include "growth/forest.h"

#define FOREST_INNER          (UINT32_C(1) << 30)
#define FOREST_DLEFT          (UINT32_C(1) << 31)
#define FOREST_FMASK          (FOREST_INNER - 1)
#define FOREST_MAX_FEATURES   (UINT32_C(1) << 28)
#define FOREST_MAX_NODES      (UINT32_C(1) << 28)
#define FOREST_MAX_TREE_NODES (UINT32_C(1) << 24)
#define FOREST_MAX_OUTPUTS    65536

enum { TR_IDENTITY, TR_SIGMOID, TR_EXP, TR_SOFTMAX, TR_HINGE };

/* One node: 12 bytes. Inner: v = threshold, left = absolute index of the left child (the right
 * one follows it). Leaf: v = leaf value, w = 0, left = its own index, so extra steps stay put. */
typedef struct {
    float v;
    uint32_t w; /* feature | FOREST_INNER | FOREST_DLEFT */
    uint32_t left;
} fnode;

/* The flattened ensemble. */
typedef struct {
    uint32_t nf, G, ntrees, nnodes;
    int transform;
    char objective[48];
    float base; /* base_score in the margin space */
    fnode *nodes;
    uint32_t *toff;   /* ntrees + 1 */
    uint32_t *tgroup; /* ntrees */
    uint32_t *tdepth; /* ntrees: longest root-to-leaf path in edges */
    float *gain, *cover;
    /* The evaluator's copy (forest_eval.c), NULL when unusable: w is an index into the row
     * "doubled" for missing values, [x with NaN -> -inf | x with NaN -> +inf | -inf], so a split
     * reads the half of its default direction and one compare decides; leaves read the last
     * slot and stay. */
    fnode *fast;
} ftrees;

typedef struct {
    int64_t threads;
    int64_t num_rounds;
    int64_t early_stopping_rounds;
    int maximize;       /* auto | false | true */
    int64_t max_memory; /* bytes training's data copies (and a loaded model) may take, 0 = no cap */
} forest_cfg;

struct growth_forest {
    forest_cfg cfg;
    atomic_int threads;
    ftrees t;
    BoosterHandle bst;
    uint8_t *ubj; /* the xgboost model as UBJSON (immutable after construction) */
    size_t ubj_len;
    char *params;
    int best_iteration;
    double best_score;
    pthread_mutex_t lock; /* xgboost calls that reuse a per-booster buffer */
};

/* forest_model.c */
void ftrees_free(ftrees *t);
int forest_objective_index(const char *name, size_t len);
const char *forest_objective_list(void);
int forest_trees_from_bytes(const char *who, const uint8_t *buf, size_t len, bool ubj, ftrees *t);
int forest_from_booster(const char *who, BoosterHandle bst, const forest_cfg *cfg, const char *params,
                        int best_it, double best_score, growth_forest **out);
int forest_from_any(const char *who, const uint8_t *buf, size_t len, void *out); /* growth_forest **out */
int forest_pack(const char *who, const void *f, uint8_t **out, size_t *out_len); /* const growth_forest *f */

/* forest.c */
void forest_default_cfg(forest_cfg *cfg);
int forest_parse_cfg(const char *who, const char *config, forest_cfg *cfg);
int forest_format_cfg(const growth_forest *f, char **out);
void forest_quiet(void);
const char *forest_xgb_error(void);
int forest_new_handle(growth_forest **out, const forest_cfg *cfg, ftrees *t, BoosterHandle bst, uint8_t *ubj,
                      size_t ubj_len, const char *params);
int forest_export(const char *who, growth_forest *f, BoosterHandle bst, const char *format, uint8_t **out,
                  size_t *out_len);

/* forest_eval.c */
void forest_eval_row(const ftrees *t, const float *x, float *acc);
void forest_eval_block(const ftrees *t, const float *X, size_t stride, size_t nr, float *acc);
void forest_transform(const ftrees *t, float *o, size_t nrows);
int forest_fast_build(ftrees *t); /* GROWTH_ENOMEM or OK (fast stays NULL if unusable) */

#endif
