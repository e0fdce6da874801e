/* xgboost model documents (JSON / UBJSON) -> flattened trees, and the forest's files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fjson.h"
#include "forest.pb-c.h"
#include "forest_impl.h"

#define FOREST_MAX_FILE ((size_t)1 << 31)

static const struct {
    const char *name;
    int transform;
    char base; /* base_score -> margin: 'i'dentity, 'l'ogit, 'g' log */
} objectives[] = {
    {"binary:logistic", TR_SIGMOID, 'l'},
    {"reg:logistic", TR_SIGMOID, 'l'},
    {"binary:logitraw", TR_IDENTITY, 'i'},
    {"binary:hinge", TR_HINGE, 'i'},
    {"reg:squarederror", TR_IDENTITY, 'i'},
    {"reg:linear", TR_IDENTITY, 'i'},
    {"reg:squaredlogerror", TR_IDENTITY, 'i'},
    {"reg:pseudohubererror", TR_IDENTITY, 'i'},
    {"reg:absoluteerror", TR_IDENTITY, 'i'},
    {"count:poisson", TR_EXP, 'g'},
    {"reg:gamma", TR_EXP, 'g'},
    {"reg:tweedie", TR_EXP, 'g'},
    {"survival:cox", TR_EXP, 'g'},
    {"multi:softprob", TR_SOFTMAX, 'i'},
    {"multi:softmax", TR_SOFTMAX, 'i'},
    {"rank:pairwise", TR_IDENTITY, 'i'},
    {"rank:ndcg", TR_IDENTITY, 'i'},
    {"rank:map", TR_IDENTITY, 'i'},
};
#define NOBJ (sizeof objectives / sizeof objectives[0])

int forest_objective_index(const char *name, size_t len)
{
    for (size_t i = 0; i < NOBJ; i++)
        if (strlen(objectives[i].name) == len && memcmp(objectives[i].name, name, len) == 0) return (int)i;
    return -1;
}

const char *forest_objective_list(void)
{
    return "binary:logistic, reg:logistic, binary:logitraw, binary:hinge, reg:squarederror, "
           "reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror, count:poisson, "
           "reg:gamma, reg:tweedie, survival:cox, multi:softprob, multi:softmax, rank:pairwise, "
           "rank:ndcg, rank:map";
}

void ftrees_free(ftrees *t)
{
    free(t->nodes);
    free(t->toff);
    free(t->tgroup);
    free(t->tdepth);
    free(t->gain);
    free(t->cover);
    free(t->fast);
    memset(t, 0, sizeof *t);
}

/* ---- document -> trees ------------------------------------------------------------------- */

static bool get_int(const fj_doc *d, uint32_t v, double lo, double hi, uint32_t *out)
{
    double x;
    if (!fj_number(d, v, &x) || !(x >= lo && x <= hi) || x != floor(x)) return false;
    *out = (uint32_t)x;
    return true;
}

/* Per-tree scratch: the arrays of one xgboost tree as doubles. */
enum { A_LEFT, A_RIGHT, A_SPLIT, A_COND, A_DLEFT, A_GAIN, A_HESS, A_PARENT, A_TYPE, A_N };
static const char *const arr_names[A_N] = {"left_children",    "right_children", "split_indices",
                                           "split_conditions", "default_left",   "loss_changes",
                                           "sum_hessian",      "parents",        "split_type"};
#define ROOT_PARENT 2147483647.0

#define BAD(...)                                                                                             \
    do {                                                                                                     \
        rc = gerr(GROWTH_EFORMAT, __VA_ARGS__);                                                              \
        goto done;                                                                                           \
    } while (0)

static int forest_trees_from_doc(const char *who, const fj_doc *d, ftrees *t)
{
    int rc = GROWTH_OK;
    double *a[A_N] = {0};
    uint32_t *order = NULL, *depth = NULL;
    uint8_t *seen = NULL;
    memset(t, 0, sizeof *t);

    uint32_t learner = fj_get(d, 0, "learner");
    uint32_t lmp = fj_get(d, learner, "learner_model_param");
    uint32_t gb = fj_get(d, learner, "gradient_booster");
    if (lmp == FJ_NONE || gb == FJ_NONE)
        BAD("%s: not an xgboost model (no learner.learner_model_param / gradient_booster)", who);
    uint32_t nf, ncls = 0, ntarget = 1;
    if (!get_int(d, fj_get(d, lmp, "num_feature"), 1, FOREST_MAX_FEATURES, &nf))
        BAD("%s: learner_model_param.num_feature is missing or not in 1..%u", who, FOREST_MAX_FEATURES);
    uint32_t v = fj_get(d, lmp, "num_class");
    if (v != FJ_NONE && !get_int(d, v, 0, FOREST_MAX_OUTPUTS, &ncls))
        BAD("%s: learner_model_param.num_class is not in 0..%d", who, FOREST_MAX_OUTPUTS);
    v = fj_get(d, lmp, "num_target");
    if (v != FJ_NONE && !get_int(d, v, 1, FOREST_MAX_OUTPUTS, &ntarget))
        BAD("%s: learner_model_param.num_target is not in 1..%d", who, FOREST_MAX_OUTPUTS);
    double base_score;
    if (!fj_number(d, fj_get(d, lmp, "base_score"), &base_score) || !isfinite(base_score))
        BAD("%s: learner_model_param.base_score is missing or not finite", who);

    const char *oname;
    size_t olen;
    if (!fj_string(d, fj_get(d, fj_get(d, learner, "objective"), "name"), &oname, &olen))
        BAD("%s: learner.objective.name is missing", who);
    int oi = forest_objective_index(oname, olen);
    if (oi < 0)
        BAD("%s: objective '%.*s' is not supported (supported: %s)", who, (int)(olen > 40 ? 40 : olen), oname,
            forest_objective_list());
    t->transform = objectives[oi].transform;
    snprintf(t->objective, sizeof t->objective, "%s", objectives[oi].name);
    if (t->transform == TR_SOFTMAX && ncls < 1)
        BAD("%s: objective %s needs num_class >= 1", who, t->objective);
    t->G = ncls >= 1 ? ncls : ntarget;
    t->nf = nf;
    float bs = (float)base_score;
    switch (objectives[oi].base) {
    case 'l':
        if (!(bs > 0.0f && bs < 1.0f))
            BAD("%s: base_score %g is not in (0, 1) for %s", who, base_score, t->objective);
        t->base = -logf(1.0f / bs - 1.0f) + 0.0f; /* + 0.0f: base_score 0.5 gives +0, not -0 */
        break;
    case 'g':
        if (!(bs > 0.0f)) BAD("%s: base_score %g is not > 0 for %s", who, base_score, t->objective);
        t->base = logf(bs);
        break;
    default: t->base = bs;
    }

    if (!fj_string_eq(d, fj_get(d, gb, "name"), "gbtree")) {
        const char *bn = "?";
        size_t bl = 1;
        fj_string(d, fj_get(d, gb, "name"), &bn, &bl);
        BAD("%s: booster '%.*s' is not supported (only gbtree)", who, (int)(bl > 40 ? 40 : bl), bn);
    }
    uint32_t model = fj_get(d, gb, "model");
    uint32_t mp = fj_get(d, model, "gbtree_model_param");
    uint32_t trees = fj_get(d, model, "trees"), tinfo = fj_get(d, model, "tree_info");
    uint32_t ntrees, npar = 1;
    if (!fj_is(d, trees, FJ_ARR) || !get_int(d, fj_get(d, mp, "num_trees"), 0, 1 << 22, &ntrees) ||
        fj_len(d, trees) != ntrees)
        BAD("%s: gbtree model has no trees array matching num_trees", who);
    v = fj_get(d, mp, "num_parallel_tree");
    if (v != FJ_NONE && !get_int(d, v, 1, 1 << 16, &npar))
        BAD("%s: num_parallel_tree is not in 1..65536", who);
    if (ntrees % ((uint64_t)npar * t->G) != 0)
        BAD("%s: %u trees is not a whole number of rounds of %u x %u trees", who, ntrees, npar, t->G);
    t->ntrees = ntrees;
    t->toff = malloc(((size_t)ntrees + 1) * sizeof *t->toff);
    t->tgroup = malloc(((size_t)ntrees + 1) * sizeof *t->tgroup);
    t->tdepth = malloc(((size_t)ntrees + 1) * sizeof *t->tdepth);
    double *info = malloc(((size_t)ntrees + 1) * sizeof *info);
    if (!t->toff || !t->tgroup || !t->tdepth || !info) {
        free(info);
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory for %u trees", who, ntrees);
        goto done;
    }
    bool info_ok = fj_numbers(d, tinfo, info, ntrees);
    for (uint32_t i = 0; info_ok && i < ntrees; i++)
        if (!(info[i] >= 0 && info[i] < t->G && info[i] == floor(info[i])))
            info_ok = false;
        else
            t->tgroup[i] = (uint32_t)info[i];
    free(info);
    if (!info_ok)
        BAD("%s: tree_info is missing, has the wrong length or an output outside 0..%u", who, t->G - 1);

    /* First pass: sizes; second: flatten. */
    size_t total = 0, cap = 0;
    uint32_t tr = d->v[trees].first;
    for (uint32_t i = 0; i < ntrees; i++, tr = d->v[tr].next) {
        uint32_t nn, id;
        uint32_t tp = fj_get(d, tr, "tree_param");
        if (!get_int(d, fj_get(d, tp, "num_nodes"), 1, FOREST_MAX_TREE_NODES, &nn))
            BAD("%s: tree %u: tree_param.num_nodes is missing or not in 1..%u", who, i,
                FOREST_MAX_TREE_NODES);
        v = fj_get(d, tp, "size_leaf_vector");
        uint32_t slv = 0;
        if (v != FJ_NONE && (!get_int(d, v, 0, 1 << 20, &slv) || slv > 1))
            BAD("%s: tree %u has vector leaves (size_leaf_vector), not supported", who, i);
        v = fj_get(d, tr, "id");
        if (v != FJ_NONE && (!get_int(d, v, 0, ntrees, &id) || id != i))
            BAD("%s: tree %u has id different from its position", who, i);
        uint32_t cn = fj_get(d, tr, "categories_nodes");
        if (cn != FJ_NONE && fj_len(d, cn) > 0)
            BAD("%s: tree %u has categorical splits, not supported", who, i);
        /* The node arrays must be there, num_nodes long, before num_nodes sizes anything: a
         * document cannot declare more nodes than it carries. */
        for (int k = 0; k < A_N; k++) {
            uint32_t arr = fj_get(d, tr, arr_names[k]);
            if (k == A_TYPE && arr == FJ_NONE) continue;
            if (fj_len(d, arr) != nn)
                BAD("%s: tree %u: %s is missing or not num_nodes = %u long", who, i, arr_names[k], nn);
        }
        total += nn;
        if (nn > cap) cap = nn;
    }
    if (total > FOREST_MAX_NODES) BAD("%s: %zu nodes exceed the limit of %u", who, total, FOREST_MAX_NODES);
    t->nodes = malloc((total ? total : 1) * sizeof *t->nodes);
    t->gain = malloc((total ? total : 1) * sizeof *t->gain);
    t->cover = malloc((total ? total : 1) * sizeof *t->cover);
    for (int k = 0; k < A_N; k++) a[k] = malloc((cap ? cap : 1) * sizeof(double));
    order = malloc((cap ? cap : 1) * sizeof *order);
    depth = malloc((cap ? cap : 1) * sizeof *depth);
    seen = malloc(cap ? cap : 1);
    bool oom = !t->nodes || !t->gain || !t->cover || !order || !depth || !seen;
    for (int k = 0; k < A_N; k++) oom |= !a[k];
    if (oom) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory for %zu nodes", who, total);
        goto done;
    }

    size_t base = 0;
    tr = d->v[trees].first;
    for (uint32_t i = 0; i < ntrees; i++, tr = d->v[tr].next) {
        uint32_t nn = 0;
        get_int(d, fj_get(d, fj_get(d, tr, "tree_param"), "num_nodes"), 1, FOREST_MAX_TREE_NODES, &nn);
        for (int k = 0; k < A_N; k++) {
            uint32_t arr = fj_get(d, tr, arr_names[k]);
            if (k == A_TYPE && arr == FJ_NONE) {
                for (uint32_t j = 0; j < nn; j++) a[k][j] = 0;
                continue;
            }
            if (!fj_numbers(d, arr, a[k], nn))
                BAD("%s: tree %u: %s is missing, not numeric or not %u long", who, i, arr_names[k], nn);
        }
        /* xgboost trusts every link of every node, reachable or not */
        for (uint32_t u = 0; u < nn; u++) {
            double l = a[A_LEFT][u], r = a[A_RIGHT][u], p = a[A_PARENT][u];
            if (!((l == -1 || (l >= 0 && l < nn)) && (r == -1 || (r >= 0 && r < nn)) &&
                  (u == 0 ? (p == ROOT_PARENT || p == -1) : (p >= 0 && p < nn)) && l == floor(l) &&
                  r == floor(r) && p == floor(p)))
                BAD("%s: tree %u node %u: a child or parent index is out of range", who, i, u);
        }
        memset(seen, 0, nn);
        seen[0] = 1;
        order[0] = 0;
        depth[0] = 0;
        uint32_t cnt = 1, maxd = 0;
        for (uint32_t j = 0; j < cnt; j++) {
            uint32_t u = order[j];
            fnode *p = &t->nodes[base + j];
            double l = a[A_LEFT][u], r = a[A_RIGHT][u];
            t->cover[base + j] = (float)a[A_HESS][u];
            if (l == -1 && r == -1) {
                if (!isfinite(a[A_COND][u])) BAD("%s: tree %u node %u: leaf value is not finite", who, i, u);
                p->v = (float)a[A_COND][u];
                p->w = 0;
                p->left = (uint32_t)(base + j);
                t->gain[base + j] = 0;
                continue;
            }
            if (!(l >= 1 && l < nn && r >= 1 && r < nn && l == floor(l) && r == floor(r) && l != r) ||
                seen[(uint32_t)l] || seen[(uint32_t)r])
                BAD("%s: tree %u node %u: children %g and %g are out of range or already used", who, i, u, l,
                    r);
            double f = a[A_SPLIT][u], dl = a[A_DLEFT][u];
            if (!(f >= 0 && f < nf && f == floor(f)))
                BAD("%s: tree %u node %u: split feature %g is not below num_feature %u", who, i, u, f, nf);
            if (a[A_TYPE][u] != 0) BAD("%s: tree %u node %u: categorical split, not supported", who, i, u);
            if (isnan(a[A_COND][u])) BAD("%s: tree %u node %u: split condition is NaN", who, i, u);
            if (dl != 0 && dl != 1) BAD("%s: tree %u node %u: default_left is %g", who, i, u, dl);
            p->v = (float)a[A_COND][u];
            p->w = (uint32_t)f | FOREST_INNER | (dl == 1 ? FOREST_DLEFT : 0);
            if (a[A_PARENT][(uint32_t)l] != u || a[A_PARENT][(uint32_t)r] != u)
                BAD("%s: tree %u node %u: its children name another parent", who, i, u);
            p->left = (uint32_t)(base + cnt);
            t->gain[base + j] = (float)a[A_GAIN][u];
            seen[(uint32_t)l] = seen[(uint32_t)r] = 1;
            depth[cnt] = depth[cnt + 1] = depth[j] + 1;
            if (depth[j] + 1 > maxd) maxd = depth[j] + 1;
            order[cnt++] = (uint32_t)l;
            order[cnt++] = (uint32_t)r;
        }
        t->toff[i] = (uint32_t)base;
        t->tdepth[i] = maxd;
        base += cnt; /* unreachable (deleted) nodes are dropped */
    }
    t->toff[ntrees] = (uint32_t)base;
    t->nnodes = (uint32_t)base;
    rc = forest_fast_build(t);
done:
    for (int k = 0; k < A_N; k++) free(a[k]);
    free(order);
    free(depth);
    free(seen);
    if (rc) ftrees_free(t);
    return rc;
}

int forest_trees_from_bytes(const char *who, const uint8_t *buf, size_t len, bool ubj, ftrees *t)
{
    fj_doc d;
    bool ok = ubj ? fj_parse_ubjson(&d, buf, len) : fj_parse_json(&d, buf, len);
    int rc;
    if (!ok) {
        rc = gerr(strcmp(d.err, "out of memory") == 0 ? GROWTH_ENOMEM : GROWTH_EFORMAT,
                  "%s: not a valid xgboost %s model: %s", who, ubj ? "UBJSON" : "JSON", d.err);
    } else {
        rc = forest_trees_from_doc(who, &d, t);
    }
    fj_free(&d);
    return rc;
}

static bool trees_equal(const ftrees *a, const ftrees *b)
{
    if (a->nf != b->nf || a->G != b->G || a->ntrees != b->ntrees || a->nnodes != b->nnodes ||
        a->transform != b->transform || a->base != b->base || /* == : -0 equals +0 */
        strcmp(a->objective, b->objective) != 0)
        return false;
    size_t T = (size_t)a->ntrees, N = (size_t)a->nnodes;
    return memcmp(a->toff, b->toff, (T + 1) * sizeof *a->toff) == 0 &&
           memcmp(a->tgroup, b->tgroup, T * sizeof *a->tgroup) == 0 &&
           memcmp(a->nodes, b->nodes, N * sizeof *a->nodes) == 0 &&
           memcmp(a->gain, b->gain, N * sizeof *a->gain) == 0 &&
           memcmp(a->cover, b->cover, N * sizeof *a->cover) == 0;
}

/* ---- handles from bytes ------------------------------------------------------------------ */

/* An xgboost model (JSON or UBJSON bytes), validated by our reader first. If `expect` is given,
 * the trees must equal it. On success *out owns a copy of the model as UBJSON. */
static int from_xgboost(const char *who, const uint8_t *buf, size_t len, bool ubj, const ftrees *expect,
                        const forest_cfg *cfg, const char *params, int best_it, double best_score,
                        growth_forest **out)
{
    ftrees a, b;
    int rc = forest_trees_from_bytes(who, buf, len, ubj, &a);
    if (rc) return rc;
    memset(&b, 0, sizeof b);
    /* The handle's memory before xgboost builds its booster: the model bytes twice (ours and
     * xgboost's buffer), the flattened and evaluator nodes and xgboost's own tree nodes. */
    char what[128];
    snprintf(what, sizeof what, "%s: a model of %u trees and %u nodes", who, a.ntrees, a.nnodes);
    if ((rc = gmem_reserve(what, 2 * (double)len + (double)a.nnodes * 96 + (double)a.ntrees * 256,
                           (uint64_t)cfg->max_memory))) {
        ftrees_free(&a);
        return rc;
    }
    if (expect && !trees_equal(&a, expect)) {
        ftrees_free(&a);
        return gerr(GROWTH_EFORMAT, "%s: the stored trees do not match the xgboost model", who);
    }
    forest_quiet();
    BoosterHandle bst = NULL;
    uint8_t *canon = NULL;
    size_t clen = 0;
    if (XGBoosterCreate(NULL, 0, &bst) != 0) {
        rc = gerr(GROWTH_EDEP, "%s: XGBoosterCreate failed: %s", who, forest_xgb_error());
        goto fail;
    }
    if (XGBoosterLoadModelFromBuffer(bst, buf, (bst_ulong)len) != 0) {
        rc = gerr(GROWTH_EFORMAT, "%s: xgboost cannot load the model: %s", who, forest_xgb_error());
        goto fail;
    }
    /* What xgboost holds must be what we parsed. */
    if ((rc = forest_export(who, NULL, bst, "ubj", &canon, &clen))) goto fail;
    if ((rc = forest_trees_from_bytes(who, canon, clen, true, &b))) goto fail;
    if (!trees_equal(&a, &b)) {
        rc = gerr(GROWTH_EFORMAT, "%s: xgboost reads the model differently from libgrowth's reader", who);
        goto fail;
    }
    ftrees_free(&b);
    rc = forest_new_handle(out, cfg, &a, bst, canon, clen, params);
    if (rc) goto fail;
    (*out)->best_iteration = best_it;
    (*out)->best_score = best_score;
    return GROWTH_OK;
fail:
    if (rc == GROWTH_EDEP) { /* xgboost took the bytes but cannot use them: a bad model */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", growth_last_error());
        rc = gerr(GROWTH_EFORMAT, "%s (the model is unusable)", msg);
    }
    if (bst) XGBoosterFree(bst);
    free(canon);
    ftrees_free(&a);
    ftrees_free(&b);
    return rc;
}

/* A freshly trained booster: its model goes through the same checked path as a file, into a
 * new booster that holds no training state. The caller keeps ownership of bst. */
int forest_from_booster(const char *who, BoosterHandle bst, const forest_cfg *cfg, const char *params,
                        int best_it, double best_score, growth_forest **out)
{
    uint8_t *ubj = NULL;
    size_t len = 0;
    int rc = forest_export(who, NULL, bst, "ubj", &ubj, &len);
    if (rc) return rc;
    rc = from_xgboost(who, ubj, len, true, NULL, cfg, params, best_it, best_score, out);
    free(ubj);
    return rc;
}

static int forest_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *out)
{
    (void)kind;
    int rc;
    Growth__ForestModel *m = growth__forest_model__unpack(&gpb_allocator, plen, pl);
    if (!m) return gpb_unpack_error(who, "forest payload");
    forest_cfg cfg;
    ftrees s;
    memset(&s, 0, sizeof s);
    if (!m->meta || !m->meta->config) {
        rc = gerr(GROWTH_EFORMAT, "%s: stored configuration is missing", who);
        goto done;
    }
    if ((rc = forest_parse_cfg(who, m->meta->config, &cfg)) != GROWTH_OK) {
        if (rc != GROWTH_ENOMEM)
            rc = gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, gerr_cause(who));
        goto done;
    }
    size_t T = m->n_tree_group, N = m->n_node_value;
    if (m->xgboost_ubjson.len == 0 || m->n_tree_offset != T + 1 || m->n_node_word != N ||
        m->n_node_left != N || m->n_node_gain != N || m->n_node_cover != N || T > (1u << 22) ||
        N > FOREST_MAX_NODES || m->objective == NULL) {
        rc = gerr(GROWTH_EFORMAT, "%s: forest payload has inconsistent array sizes", who);
        goto done;
    }
    /* The stored trees, in memory form: the xgboost model rebuilt by from_xgboost must equal
     * them (so they need no validation of their own beyond sizes). */
    s.nf = m->num_feature;
    s.G = m->num_outputs;
    s.ntrees = (uint32_t)T;
    s.nnodes = (uint32_t)N;
    s.base = m->base_margin;
    snprintf(s.objective, sizeof s.objective, "%s", m->objective);
    int oi = forest_objective_index(m->objective, strlen(m->objective));
    s.transform = oi >= 0 ? objectives[oi].transform : -1;
    s.toff = malloc((T + 1) * sizeof *s.toff);
    s.tgroup = malloc((T + 1) * sizeof *s.tgroup);
    s.tdepth = calloc(T + 1, sizeof *s.tdepth);
    s.nodes = malloc((N + 1) * sizeof *s.nodes);
    s.gain = malloc((N + 1) * sizeof *s.gain);
    s.cover = malloc((N + 1) * sizeof *s.cover);
    if (!s.toff || !s.tgroup || !s.tdepth || !s.nodes || !s.gain || !s.cover) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    memcpy(s.toff, m->tree_offset, (T + 1) * sizeof *s.toff);
    memcpy(s.tgroup, m->tree_group, T * sizeof *s.tgroup);
    for (size_t i = 0; i < N; i++) {
        s.nodes[i].v = m->node_value[i];
        s.nodes[i].w = m->node_word[i];
        s.nodes[i].left = m->node_left[i];
        s.gain[i] = m->node_gain[i];
        s.cover[i] = m->node_cover[i];
    }
    /* node_left is tree-relative in the file; depths are not stored (they follow from the
     * structure, and trees_equal ignores them). */
    for (size_t i = 0; i < T; i++) {
        if (s.toff[i] > s.toff[i + 1] || s.toff[i + 1] > N) {
            rc = gerr(GROWTH_EFORMAT, "%s: forest payload has bad tree offsets", who);
            goto done;
        }
        for (uint32_t j = s.toff[i]; j < s.toff[i + 1]; j++) s.nodes[j].left += s.toff[i];
    }
    rc = from_xgboost(who, m->xgboost_ubjson.data, m->xgboost_ubjson.len, true, &s, &cfg,
                      m->params ? m->params : "", m->best_iteration, m->best_score, out);
done:
    ftrees_free(&s);
    growth__forest_model__free_unpacked(m, &gpb_allocator);
    return rc;
}

static const uint8_t env_magic[4] = {0x89, 'G', 'R', 'W'};

int forest_from_any(const char *who, const uint8_t *buf, size_t len, void *out)
{
    if (len >= 4 && memcmp(buf, env_magic, 4) == 0)
        return gmodel_deserialize(who, buf, len, GROWTH_KIND_FOREST, forest_from_payload, out);
    size_t p = 0;
    while (p < len && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == '\n' || buf[p] == '\r')) p++;
    if (p < len && buf[p] == '{') {
        /* JSON: '{' then whitespace, '"' or '}'; UBJSON: '{' then a length marker of a key */
        size_t q = p + 1;
        bool json = q < len && (buf[q] == '"' || buf[q] == '}' || buf[q] == ' ' || buf[q] == '\n' ||
                                buf[q] == '\t' || buf[q] == '\r');
        forest_cfg cfg;
        forest_default_cfg(&cfg);
        return from_xgboost(who, buf, len, !json, NULL, &cfg, "", -1, 0.0, out);
    }
    return gerr(GROWTH_EFORMAT, "%s: neither a libgrowth model file nor an xgboost JSON/UBJSON model", who);
}

/* ---- saving ------------------------------------------------------------------------------ */

int forest_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    const growth_forest *f = model;
    const ftrees *t = &f->t;
    size_t T = t->ntrees, N = t->nnodes;
    char *cfgbuf = NULL;
    uint32_t *word = malloc((N + 1) * sizeof *word), *left = malloc((N + 1) * sizeof *left);
    float *val = malloc((N + 1) * sizeof *val);
    int rc = GROWTH_OK;
    if (!word || !left || !val) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    if ((rc = forest_format_cfg(f, &cfgbuf))) goto done;
    for (size_t i = 0; i < T; i++)
        for (uint32_t j = t->toff[i]; j < t->toff[i + 1]; j++) {
            val[j] = t->nodes[j].v;
            word[j] = t->nodes[j].w;
            left[j] = t->nodes[j].left - t->toff[i];
        }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__ForestModel m = GROWTH__FOREST_MODEL__INIT;
    m.meta = &meta;
    m.xgboost_ubjson.data = f->ubj;
    m.xgboost_ubjson.len = f->ubj_len;
    m.params = f->params;
    m.num_feature = t->nf;
    m.num_outputs = t->G;
    m.objective = (char *)t->objective;
    m.base_margin = t->base;
    m.best_iteration = f->best_iteration;
    m.best_score = f->best_score;
    m.n_tree_offset = T + 1;
    m.tree_offset = t->toff;
    m.n_tree_group = T;
    m.tree_group = t->tgroup;
    m.n_node_value = m.n_node_word = m.n_node_left = m.n_node_gain = m.n_node_cover = N;
    m.node_value = val;
    m.node_word = word;
    m.node_left = left;
    m.node_gain = t->gain;
    m.node_cover = t->cover;
    rc = genv_pack(who, GROWTH_KIND_FOREST, &m.base, out, out_len);
done:
    free(word);
    free(left);
    free(val);
    free(cfgbuf);
    return rc;
}

/* The xgboost JSON of a forest (growth_forest_save to a ".json" path). */
static int forest_pack_json(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    growth_forest *f = (growth_forest *)model;
    return forest_export(who, f, f->bst, "json", out, out_len);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    if (a < b) return false;
    for (size_t i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return false;
    }
    return true;
}

GROWTH_API int growth_forest_save(const growth_forest *f, const char *path)
{
    static const char *who = "growth_forest_save";
    GROWTH_CHECK_NULL(who, f);
    GROWTH_CHECK_NULL(who, path);
    if (ends_with(path, ".ubj")) return gfile_write_atomic(who, path, f->ubj, f->ubj_len);
    return gmodel_save(who, f, path, ends_with(path, ".json") ? forest_pack_json : forest_pack);
}

GROWTH_API int growth_forest_serialize(const growth_forest *f, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_forest_serialize", f, forest_pack, out_buf, out_len);
}

GROWTH_API int growth_forest_deserialize(growth_forest **out, const uint8_t *buf, size_t len)
{
    static const char *who = "growth_forest_deserialize";
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, buf);
    if (len > FOREST_MAX_FILE) return gerr(GROWTH_EFORMAT, "%s: %zu bytes is too large", who, len);
    return forest_from_any(who, buf, len, out);
}

GROWTH_API int growth_forest_load(growth_forest **out, const char *path)
{
    return gmodel_load_bytes("growth_forest_load", path, FOREST_MAX_FILE, forest_from_any, out);
}
