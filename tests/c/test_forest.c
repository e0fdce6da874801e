/* Gradient-boosted trees: the native evaluator against python3-xgboost's predictions (fixtures)
 * and against xgboost's C API on trained models; training, early stopping, persistence in the
 * three formats, importance against XGBoosterFeatureScore, SHAP sums, bad input and a loader
 * fuzz. */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include <xgboost/c_api.h>

#include "core.h"
#include "forest.pb-c.h"
#include "growth/growth.h"
#include "gtest.h"
#include "stored_config.h"

/* Under LeakSanitizer: libxgboost 1.7 itself leaks a booster's trees after XGBoosterSlice
 * (early stopping); our own allocations never go through it, so they are still checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libxgboost.so\n"; }

static char fixture_dir[1024];

static const char *fixture(const char *name)
{
    static char buf[1200];
    snprintf(buf, sizeof buf, "%s/%s", fixture_dir, name);
    return buf;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* ---- fixtures: rows and python3-xgboost's outputs ---------------------------------------- */
enum { FROWS = 64, FCOLS = 6, FVALS = 14 };
static float frows[FROWS][FVALS];

static int read_rows(void)
{
    FILE *f = fopen(fixture("rows.txt"), "r");
    if (!f) return 0;
    char line[4096];
    int r = 0;
    while (r < FROWS && fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        char *p = line;
        for (int j = 0; j < FVALS; j++) frows[r][j] = strtof(p, &p);
        r++;
    }
    fclose(f);
    return r;
}

/* The forest's sizes (growth_forest_stats_get must succeed). */
static growth_forest_stats fstats(const growth_forest *f)
{
    growth_forest_stats st = GROWTH_FOREST_STATS_INIT;
    CHECK_OK(growth_forest_stats_get(f, &st));
    return st;
}

/* Every prediction path of `f` on the fixture rows against the expected columns. */
static void check_fixture_model(growth_forest *f, int margin_col, int prob_col, int G)
{
    CHECK(fstats(f).features == FCOLS);
    CHECK(fstats(f).outputs == (uint64_t)G);
    float X[FROWS * FCOLS], batch[FROWS * 3], batch_m[FROWS * 3], csr_out[FROWS * 3];
    uint64_t indptr[FROWS + 1];
    uint32_t idx[FROWS * FCOLS];
    float val[FROWS * FCOLS];
    size_t k = 0;
    indptr[0] = 0;
    for (int r = 0; r < FROWS; r++) {
        for (int j = 0; j < FCOLS; j++) {
            X[r * FCOLS + j] = frows[r][j];
            if (!isnan(frows[r][j])) {
                idx[k] = (uint32_t)j;
                val[k++] = frows[r][j];
            }
        }
        indptr[r + 1] = k;
    }
    CHECK_OK(growth_forest_predict_dense(f, X, FROWS, FCOLS, 0, batch, sizeof batch / 4));
    CHECK_OK(
        growth_forest_predict_dense(f, X, FROWS, FCOLS, GROWTH_PREDICT_MARGIN, batch_m, sizeof batch_m / 4));
    CHECK_OK(growth_forest_predict_csr(f, indptr, idx, val, FROWS, 0, csr_out, sizeof csr_out / 4));
    int bad = 0;
    for (int r = 0; r < FROWS; r++) {
        float one[3], onem[3], sp[3];
        CHECK_OK(growth_forest_predict(f, X + r * FCOLS, FCOLS, 0, one, 3));
        CHECK_OK(growth_forest_predict(f, X + r * FCOLS, FCOLS, GROWTH_PREDICT_MARGIN, onem, 3));
        CHECK_OK(growth_forest_predict_sparse(f, idx + indptr[r], val + indptr[r], indptr[r + 1] - indptr[r],
                                              0, sp, 3));
        for (int g = 0; g < G; g++) {
            float em = frows[r][margin_col + g], ep = frows[r][prob_col + g];
            bad += fabsf(one[g] - ep) > 1e-6f || fabsf(onem[g] - em) > 1e-6f;
            bad += batch[r * G + g] != one[g] || batch_m[r * G + g] != onem[g];
            bad += csr_out[r * G + g] != one[g] || sp[g] != one[g];
        }
    }
    CHECK(bad == 0);
}

TEST(python_fixtures_json_and_ubjson)
{
    CHECK(read_rows() == FROWS);
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_load(&f, fixture("binary.json")));
    if (f) {
        check_fixture_model(f, FCOLS, FCOLS + 1, 1);
        CHECK(fstats(f).trees == 20);
        char obj[64];
        CHECK_OK(growth_forest_objective(f, obj, sizeof obj, NULL));
        CHECK(strcmp(obj, "binary:logistic") == 0);
    }
    growth_forest_free(f);
    f = NULL;
    CHECK_OK(growth_forest_load(&f, fixture("binary.ubj")));
    if (f) check_fixture_model(f, FCOLS, FCOLS + 1, 1);
    growth_forest_free(f);
    f = NULL;
    CHECK_OK(growth_forest_load(&f, fixture("multi.json")));
    if (f) {
        check_fixture_model(f, FCOLS + 2, FCOLS + 5, 3);
        CHECK(fstats(f).trees == 24);
    }
    growth_forest_free(f);
}

/* ---- synthetic data ---------------------------------------------------------------------- */
typedef struct {
    size_t n, d;
    float *X, *y, *w;
} dataset;

/* Dense rows with ~10% missing values; labels by kind: 'b' binary, 'r' regression, 'm' 3
 * classes, 'p' counts. */
static void make_data(dataset *s, size_t n, size_t d, char kind, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    s->n = n;
    s->d = d;
    s->X = malloc(n * d * sizeof(float));
    s->y = malloc(n * sizeof(float));
    s->w = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        double z = 0;
        for (size_t j = 0; j < d; j++) {
            double v = grng_normal(&r);
            s->X[i * d + j] = grng_uniform(&r) < 0.1 ? NAN : (float)v;
            if (j < 4) z += (j % 2 ? -0.8 : 1.0) * v;
        }
        z += 0.5 * (s->X[i * d] > 0.3f);
        s->w[i] = (float)(0.5 + grng_uniform(&r));
        switch (kind) {
        case 'b': s->y[i] = grng_uniform(&r) < 1 / (1 + exp(-z)) ? 1.0f : 0.0f; break;
        case 'r': s->y[i] = (float)(z + 0.3 * grng_normal(&r)); break;
        case 'm': s->y[i] = z < -0.5 ? 0.0f : z < 0.5 ? 1.0f : 2.0f; break;
        default: s->y[i] = (float)floor(exp(0.3 * z) * 2 * grng_uniform(&r) + 0.5); break;
        }
    }
}

static void free_data(dataset *s)
{
    free(s->X);
    free(s->y);
    free(s->w);
}

static growth_forest_data as_data(const dataset *s, size_t from, size_t n)
{
    growth_forest_data d = {sizeof d, 0,    n,    s->d,        s->X + from * s->d,
                            NULL,     NULL, NULL, s->y + from, s->w + from};
    return d;
}

/* Native vs xgboost's predictor (reference flag): every row, margin and transformed. */
static void check_against_reference(growth_forest *f, const dataset *s, double tol)
{
    size_t G = (size_t)fstats(f).outputs, n = s->n;
    float *a = malloc(n * G * 4), *b = malloc(n * G * 4);
    for (unsigned flags = 0; flags <= GROWTH_PREDICT_MARGIN; flags++) {
        CHECK_OK(growth_forest_predict_dense(f, s->X, n, s->d, flags, a, n * G));
        CHECK_OK(growth_forest_predict_dense(f, s->X, n, s->d, flags | GROWTH_FOREST_REFERENCE, b, n * G));
        double worst = 0;
        for (size_t i = 0; i < n * G; i++) worst = fmax(worst, fabs((double)a[i] - b[i]));
        CHECK(worst <= tol);
        if (worst > tol) fprintf(stderr, "  flags %u: worst difference %g\n", flags, worst);
        /* single rows, native and reference */
        for (size_t r = 0; r<n; r += n> 3000 ? 7 : 1) { /* the doubled-row path of single rows */
            float o[8], oref[8];
            CHECK_OK(growth_forest_predict(f, s->X + r * s->d, s->d, flags, o, 8));
            CHECK_OK(
                growth_forest_predict(f, s->X + r * s->d, s->d, flags | GROWTH_FOREST_REFERENCE, oref, 8));
            for (size_t g = 0; g < G; g++) {
                CHECK(o[g] == a[r * G + g]);
                CHECK_NEAR(o[g], oref[g], tol);
            }
        }
    }
    free(a);
    free(b);
}

TEST(trained_objectives_match_xgboost)
{
    static const struct {
        char kind;
        const char *params;
        int G;
    } cases[] = {
        {'b', "objective=binary:logistic max_depth=6 eta=0.3", 1},
        {'r', "objective=reg:squarederror max_depth=5 base_score=0.7", 1},
        {'m', "objective=multi:softprob num_class=3 max_depth=4", 3},
        {'m', "objective=multi:softmax num_class=3 max_depth=3", 3},
        {'p', "objective=count:poisson max_depth=4", 1},
        {'b', "objective=binary:logitraw max_depth=3 tree_method=exact", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dataset s;
        make_data(&s, 3000, 12, cases[c].kind, 11 + c);
        growth_forest_data d = as_data(&s, 0, s.n);
        growth_forest *f = NULL;
        CHECK_OK(growth_forest_train(&f, "num_rounds=30", cases[c].params, &d, NULL, NULL, NULL));
        if (!f) {
            free_data(&s);
            continue;
        }
        growth_forest_stats st = fstats(f);
        CHECK(st.outputs == (uint64_t)cases[c].G && st.features == 12);
        CHECK(st.trees == 30 * (uint64_t)cases[c].G);
        CHECK(st.best_iteration == -1 && isnan(st.best_score));
        check_against_reference(f, &s, 1e-6);
        growth_forest_free(f);
        free_data(&s);
    }
}

TEST(csr_training_and_sparse_rows)
{
    dataset s;
    make_data(&s, 2000, 10, 'b', 5);
    /* CSR of the same matrix: missing entries absent; weights used */
    uint64_t *indptr = malloc((s.n + 1) * 8);
    uint32_t *idx = malloc(s.n * s.d * 4);
    float *val = malloc(s.n * s.d * 4);
    size_t k = 0;
    indptr[0] = 0;
    for (size_t i = 0; i < s.n; i++) {
        for (size_t j = 0; j < s.d; j++)
            if (!isnan(s.X[i * s.d + j])) {
                idx[k] = (uint32_t)j;
                val[k++] = s.X[i * s.d + j];
            }
        indptr[i + 1] = k;
    }
    growth_forest_data dense = as_data(&s, 0, s.n);
    growth_forest_data csr = dense;
    csr.dense = NULL;
    csr.indptr = indptr;
    csr.indices = idx;
    csr.values = val;
    growth_forest *fd = NULL, *fc = NULL;
    const char *params = "objective=binary:logistic max_depth=4 tree_method=exact";
    CHECK_OK(growth_forest_train(&fd, "num_rounds=20", params, &dense, NULL, NULL, NULL));
    CHECK_OK(growth_forest_train(&fc, "num_rounds=20", params, &csr, NULL, NULL, NULL));
    if (fd && fc) {
        float *a = malloc(s.n * 4), *b = malloc(s.n * 4), *c = malloc(s.n * 4);
        CHECK_OK(growth_forest_predict_dense(fd, s.X, s.n, s.d, 0, a, s.n));
        CHECK_OK(growth_forest_predict_csr(fc, indptr, idx, val, s.n, 0, b, s.n));
        CHECK_OK(growth_forest_predict_csr(fc, indptr, idx, val, s.n, GROWTH_FOREST_REFERENCE, c, s.n));
        int bad = 0;
        for (size_t i = 0; i < s.n; i++) bad += fabsf(a[i] - b[i]) > 1e-6f || fabsf(b[i] - c[i]) > 1e-6f;
        CHECK(bad == 0);
        /* a slice of the CSR matrix (indptr[0] != 0) and values NULL (all ones) */
        CHECK_OK(growth_forest_predict_csr(fc, indptr + 100, idx, val, 50, 0, c, 50));
        for (size_t i = 0; i < 50; i++) CHECK(c[i] == b[100 + i]);
        float o1, o2;
        CHECK_OK(growth_forest_predict_csr(fc, indptr + 7, idx, NULL, 1, 0, &o1, 1));
        CHECK_OK(growth_forest_predict_csr(fc, indptr + 7, idx, NULL, 1, GROWTH_FOREST_REFERENCE, &o2, 1));
        CHECK_NEAR(o1, o2, 1e-6);
        free(a);
        free(b);
        free(c);
    }
    growth_forest_free(fd);
    growth_forest_free(fc);
    free(indptr);
    free(idx);
    free(val);
    free_data(&s);
}

TEST(early_stopping_keeps_best_rounds)
{
    dataset s;
    make_data(&s, 3000, 8, 'b', 21);
    growth_forest_data tr = as_data(&s, 0, 2000), va = as_data(&s, 2000, 1000);
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_train(&f, "num_rounds=400 early_stopping_rounds=10",
                                 "objective=binary:logistic max_depth=6 eta=0.5 eval_metric=logloss", &tr,
                                 &va, NULL, NULL));
    if (f) {
        growth_forest_stats st = fstats(f);
        int64_t best = st.best_iteration;
        double score = st.best_score;
        CHECK(best >= 0 && best < 390);
        CHECK(st.trees == (uint64_t)best + 1);
        CHECK(score > 0.2 && score < 0.7);
        check_against_reference(f, &s, 1e-6);
    }
    growth_forest_free(f);
    f = NULL;
    /* auc is maximised */
    CHECK_OK(growth_forest_train(&f, "num_rounds=200 early_stopping_rounds=5",
                                 "objective=binary:logistic max_depth=6 eta=0.5 eval_metric=auc", &tr, &va,
                                 NULL, NULL));
    if (f) {
        growth_forest_stats st = fstats(f);
        CHECK(st.best_iteration >= 0 && st.best_score > 0.7 && st.best_score <= 1.0);
        /* The early-stopping result survives a save and a load. */
        uint8_t *buf = NULL;
        size_t len = 0;
        growth_forest *g = NULL;
        CHECK_OK(growth_forest_serialize(f, &buf, &len));
        CHECK_OK(growth_forest_deserialize(&g, buf, len));
        if (g) {
            growth_forest_stats sg = fstats(g);
            CHECK(sg.best_iteration == st.best_iteration && sg.best_score == st.best_score);
            CHECK(sg.trees == st.trees && sg.features == st.features);
        }
        growth_forest_free(g);
        growth_buffer_free(buf);
    }
    growth_forest_free(f);
    free_data(&s);
}

TEST(threads_give_identical_batches)
{
    dataset s;
    make_data(&s, 5000, 20, 'm', 3);
    growth_forest_data d = as_data(&s, 0, s.n);
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_train(&f, "num_rounds=10 threads=2", "objective=multi:softprob num_class=3", &d,
                                 NULL, NULL, NULL));
    if (f) {
        float *a = malloc(s.n * 3 * 4), *b = malloc(s.n * 3 * 4);
        CHECK_OK(growth_forest_predict_dense(f, s.X, s.n, s.d, 0, a, s.n * 3));
        CHECK_OK(growth_forest_set_config(f, "threads=1"));
        CHECK_OK(growth_forest_predict_dense(f, s.X, s.n, s.d, 0, b, s.n * 3));
        CHECK(memcmp(a, b, s.n * 3 * 4) == 0);
        char cfg[256];
        CHECK_OK(growth_forest_config(f, cfg, sizeof cfg, NULL));
        CHECK(strstr(cfg, "threads=1") && strstr(cfg, "num_rounds=10"));
        CHECK_RC(growth_forest_set_config(f, "threads=0"), GROWTH_EINVAL);
        CHECK_RC(growth_forest_set_config(f, "num_rounds=3"), GROWTH_EINVAL);
        free(a);
        free(b);
    }
    growth_forest_free(f);
    free_data(&s);
}

static void same_predictions(growth_forest *a, growth_forest *b, const dataset *s)
{
    growth_forest_stats sa = fstats(a), sb = fstats(b);
    size_t G = (size_t)sa.outputs;
    CHECK(sb.outputs == G && sa.trees == sb.trees && sa.features == sb.features);
    CHECK(sa.best_iteration == sb.best_iteration);
    float *pa = malloc(s->n * G * 4), *pb = malloc(s->n * G * 4);
    CHECK_OK(growth_forest_predict_dense(a, s->X, s->n, s->d, 0, pa, s->n * G));
    CHECK_OK(growth_forest_predict_dense(b, s->X, s->n, s->d, 0, pb, s->n * G));
    CHECK(memcmp(pa, pb, s->n * G * 4) == 0);
    free(pa);
    free(pb);
}

TEST(save_load_round_trips)
{
    dataset s;
    make_data(&s, 1500, 9, 'm', 8);
    growth_forest_data d = as_data(&s, 0, s.n);
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_train(&f, "num_rounds=15 threads=2",
                                 "objective=multi:softprob num_class=3 max_depth=5", &d, NULL, NULL, NULL));
    if (!f) {
        free_data(&s);
        return;
    }
    const char *names[] = {"forest.model", "forest.json", "forest.ubj"};
    for (int i = 0; i < 3; i++) {
        char path[512];
        gt_path(path, sizeof path, names[i]);
        CHECK_OK(growth_forest_save(f, path));
        growth_forest *g = NULL;
        CHECK_OK(growth_forest_load(&g, path));
        if (g) same_predictions(f, g, &s);
        int kind = -1;
        if (i == 0) {
            CHECK_OK(growth_model_kind(path, &kind, NULL));
            CHECK(kind == GROWTH_KIND_FOREST);
            char cfg[256];
            CHECK_OK(growth_forest_config(g, cfg, sizeof cfg, NULL));
            CHECK(strstr(cfg, "threads=2") != NULL);
        } else {
            CHECK_RC(growth_model_kind(path, &kind, NULL), GROWTH_EFORMAT);
            /* xgboost itself reads what we wrote */
            BoosterHandle bst;
            XGBoosterCreate(NULL, 0, &bst);
            CHECK(XGBoosterLoadModel(bst, path) == 0);
            XGBoosterFree(bst);
        }
        growth_forest_free(g);
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_forest_serialize(f, &buf, &len));
    growth_forest *g = NULL;
    CHECK_OK(growth_forest_deserialize(&g, buf, len));
    if (g) same_predictions(f, g, &s);
    growth_forest_free(g);
    growth_buffer_free(buf);
    growth_forest_free(f);
    free_data(&s);
}

TEST(importance_matches_xgboost_feature_score)
{
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_load(&f, fixture("binary.json")));
    if (!f) return;
    BoosterHandle bst;
    XGBoosterCreate(NULL, 0, &bst);
    CHECK(XGBoosterLoadModel(bst, fixture("binary.json")) == 0);
    static const struct {
        const char *config;
        const char *name;
    } types[] = {{"type=weight", "weight"},
                 {"type=gain", "gain"},
                 {"type=cover", "cover"},
                 {"type=total_gain", "total_gain"},
                 {"type=total_cover", "total_cover"}};
    for (int t = 0; t < 5; t++) {
        float ours[FCOLS];
        CHECK_OK(growth_forest_importance(f, types[t].config, ours, FCOLS));
        char cfg[128];
        snprintf(cfg, sizeof cfg, "{\"importance_type\": \"%s\", \"feature_map\": \"\"}", types[t].name);
        bst_ulong nfeat = 0, dim = 0;
        const char **names = NULL;
        const bst_ulong *shape = NULL;
        const float *scores = NULL;
        CHECK(XGBoosterFeatureScore(bst, cfg, &nfeat, &names, &dim, &shape, &scores) == 0);
        float ref[FCOLS] = {0};
        for (bst_ulong i = 0; i < nfeat; i++) ref[atoi(names[i] + 1)] = scores[i];
        for (int j = 0; j < FCOLS; j++) CHECK_NEAR(ours[j], ref[j], 1e-5 * fmax(1.0, fabs(ref[j])));
    }
    XGBoosterFree(bst);
    float small[2];
    CHECK_RC(growth_forest_importance(f, "type=gain", small, 2), GROWTH_EBUFS);
    CHECK_RC(growth_forest_importance(f, "type=9", small, 2), GROWTH_EINVAL);
    growth_forest_free(f);
}

TEST(contributions_sum_to_margins)
{
    CHECK(read_rows() == FROWS);
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_load(&f, fixture("multi.json")));
    if (!f) return;
    float X[8 * FCOLS], contrib[8 * 3 * (FCOLS + 1)], margin[8 * 3];
    for (int r = 0; r < 8; r++)
        for (int j = 0; j < FCOLS; j++) X[r * FCOLS + j] = frows[r][j];
    CHECK_OK(growth_forest_contributions(f, X, 8, FCOLS, contrib, sizeof contrib / 4));
    CHECK_OK(growth_forest_predict_dense(f, X, 8, FCOLS, GROWTH_PREDICT_MARGIN, margin, 24));
    for (int r = 0; r < 8; r++)
        for (int g = 0; g < 3; g++) {
            double sum = 0;
            for (int j = 0; j <= FCOLS; j++) sum += contrib[(r * 3 + g) * (FCOLS + 1) + j];
            CHECK_NEAR(sum, margin[r * 3 + g], 1e-4);
        }
    CHECK_RC(growth_forest_contributions(f, X, 8, FCOLS, contrib, 10), GROWTH_EBUFS);
    CHECK_RC(growth_forest_contributions(f, X, 8, FCOLS + 1, contrib, sizeof contrib / 4), GROWTH_EINVAL);
    growth_forest_free(f);
}

TEST(bad_input)
{
    dataset s;
    make_data(&s, 200, 5, 'b', 1);
    growth_forest_data d = as_data(&s, 0, s.n);
    growth_forest *f = NULL;
    CHECK_RC(growth_forest_train(NULL, NULL, NULL, &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_forest_train(&f, NULL, NULL, NULL, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_forest_train(&f, "num_rounds=0", NULL, &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("num_rounds");
    CHECK_RC(growth_forest_train(&f, "trees=3", NULL, &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_forest_train(&f, NULL, "max_depth", &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("key=value");
    CHECK_RC(growth_forest_train(&f, NULL, "objective=survival:aft", &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("survival:aft");
    CHECK_RC(growth_forest_train(&f, NULL, "booster=gblinear", &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_forest_train(&f, NULL, "num_rounds=5", &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("config");
    CHECK_RC(growth_forest_train(&f, NULL, "max_depth=-3", &d, NULL, NULL, NULL), GROWTH_EDEP);
    CHECK_MSG("max_depth");
    CHECK_RC(growth_forest_train(&f, "early_stopping_rounds=3", NULL, &d, NULL, NULL, NULL), GROWTH_EINVAL);
    s.y[17] = NAN;
    CHECK_RC(growth_forest_train(&f, NULL, NULL, &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("labels[17]");
    s.y[17] = 1;
    s.w[3] = -1;
    CHECK_RC(growth_forest_train(&f, NULL, NULL, &d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("weights[3]");
    s.w[3] = 1;
    s.y[5] = 2; /* logistic labels must be in [0, 1]: xgboost says so */
    CHECK_RC(growth_forest_train(&f, NULL, "objective=binary:logistic", &d, NULL, NULL, NULL), GROWTH_EDEP);
    s.y[5] = 1;
    growth_forest_data bad = d;
    bad.struct_size = 8;
    CHECK_RC(growth_forest_train(&f, NULL, NULL, &bad, NULL, NULL, NULL), GROWTH_EINVAL);
    bad = d;
    bad.dense = NULL;
    CHECK_RC(growth_forest_train(&f, NULL, NULL, &bad, NULL, NULL, NULL), GROWTH_EINVAL);
    growth_forest_data v = d;
    v.ncols = 4;
    CHECK_RC(growth_forest_train(&f, NULL, NULL, &d, &v, NULL, NULL), GROWTH_EINVAL);
    CHECK(f == NULL);

    CHECK_OK(growth_forest_train(&f, "num_rounds=5", "objective=binary:logistic", &d, NULL, NULL, NULL));
    if (f) {
        float out[4], x[6] = {0};
        CHECK_RC(growth_forest_predict(f, x, 6, 0, out, 4), GROWTH_EINVAL);
        CHECK_MSG("6 features");
        CHECK_RC(growth_forest_predict(f, x, 4, 0, out, 4), GROWTH_EINVAL);
        CHECK_RC(growth_forest_predict(f, NULL, 5, 0, out, 4), GROWTH_EINVAL);
        CHECK_RC(growth_forest_predict(f, x, 5, 0, out, 0), GROWTH_EBUFS);
        CHECK_RC(growth_forest_predict(f, x, 5, 0x10, out, 4), GROWTH_EINVAL);
        CHECK_RC(growth_forest_predict_dense(f, s.X, 10, 5, 0, out, 4), GROWTH_EBUFS);
        CHECK_RC(growth_forest_predict_dense(f, s.X, 2, 6, 0, out, 4), GROWTH_EINVAL);
        uint32_t idx[2] = {1, 5};
        CHECK_RC(growth_forest_predict_sparse(f, idx, NULL, 2, 0, out, 4), GROWTH_EINVAL);
        CHECK_MSG("idx[1] = 5");
        CHECK_RC(growth_forest_predict_sparse(f, NULL, NULL, 2, 0, out, 4), GROWTH_EINVAL);
        CHECK_OK(growth_forest_predict_sparse(f, NULL, NULL, 0, 0, out, 4)); /* all missing */
        uint64_t ip[3] = {0, 2, 1};
        CHECK_RC(growth_forest_predict_csr(f, ip, idx, NULL, 2, 0, out, 4), GROWTH_EINVAL);
        CHECK_RC(growth_forest_save(f, NULL), GROWTH_EINVAL);
        CHECK_RC(growth_forest_save(f, "/nonexistent-dir/x.model"), GROWTH_EIO);
        char small[4];
        size_t need = 0;
        CHECK_RC(growth_forest_config(f, small, sizeof small, &need), GROWTH_EBUFS);
        CHECK(need > 4);
        growth_forest_stats st = GROWTH_FOREST_STATS_INIT;
        CHECK_RC(growth_forest_stats_get(NULL, &st), GROWTH_EINVAL);
    }
    growth_forest_free(f);
    growth_forest_free(NULL);
    free_data(&s);
}

static int load_bytes(const uint8_t *b, size_t n)
{
    growth_forest *f = NULL;
    int rc = growth_forest_deserialize(&f, b, n);
    if (rc == GROWTH_OK)
        CHECK(f != NULL);
    else
        CHECK(f == NULL);
    growth_forest_free(f);
    return rc;
}

/* Replaces the first occurrence of `from` in a JSON text by `to`. */
static uint8_t *json_replace(const uint8_t *src, size_t len, const char *from, const char *to,
                             size_t *out_len)
{
    char *s = malloc(len + 1);
    memcpy(s, src, len);
    s[len] = 0;
    char *p = strstr(s, from);
    size_t fl = strlen(from), tl = strlen(to);
    uint8_t *o = malloc(len + tl + 1);
    if (!p) {
        free(s);
        free(o);
        return NULL;
    }
    size_t pre = (size_t)(p - s);
    memcpy(o, s, pre);
    memcpy(o + pre, to, tl);
    memcpy(o + pre + tl, p + fl, len - pre - fl);
    *out_len = len - fl + tl;
    free(s);
    return o;
}

TEST(corrupted_and_foreign_files)
{
    size_t jl = 0, ul = 0;
    uint8_t *json = read_file(fixture("binary.json"), &jl);
    uint8_t *ubj = read_file(fixture("binary.ubj"), &ul);
    CHECK(json && ubj);
    if (!json || !ubj) return;
    CHECK_OK(load_bytes(json, jl));
    CHECK_OK(load_bytes(ubj, ul));
    /* truncations */
    CHECK_RC(load_bytes(json, jl / 2), GROWTH_EFORMAT);
    CHECK_RC(load_bytes(ubj, ul - 3), GROWTH_EFORMAT);
    CHECK_RC(load_bytes(json, 1), GROWTH_EFORMAT);
    CHECK_RC(load_bytes((const uint8_t *)"", 0), GROWTH_EFORMAT);
    /* valid JSON, not a model */
    const char *notmodel = "{\"learner\": {\"x\": [1, 2, 3]}}";
    CHECK_RC(load_bytes((const uint8_t *)notmodel, strlen(notmodel)), GROWTH_EFORMAT);
    CHECK_MSG("not an xgboost model");
    const char *garbage = "hello world";
    CHECK_RC(load_bytes((const uint8_t *)garbage, strlen(garbage)), GROWTH_EFORMAT);
    /* deep nesting is bounded */
    char deep[400];
    memset(deep, '[', sizeof deep);
    deep[0] = '{';
    CHECK_RC(load_bytes((const uint8_t *)deep, sizeof deep), GROWTH_EFORMAT);
    /* hostile edits of a real model */
    static const struct {
        const char *from, *to, *msg;
    } edits[] = {
        {"\"binary:logistic\"", "\"survival:aft\"", "not supported"},
        {"\"gbtree\"", "\"dart\"", "not supported"},
        {"\"left_children\":[1,", "\"left_children\":[9999,", "tree 0 node 0"},
        {"\"left_children\":[1,", "\"left_children\":[0,", "tree 0 node 0"},
        {"\"split_indices\":[", "\"split_indices\":[77,", "split_indices"},
        {"\"num_nodes\":\"", "\"num_nodes\":\"1", "left_children"},
        {"\"num_feature\":\"6\",\"num_target\"", "\"num_feature\":\"0\",\"num_target\"", "num_feature"},
        {"\"num_feature\":\"6\",\"num_target\"", "\"num_feature\":\"2\",\"num_target\"", "split feature"},
        {"\"num_trees\":\"20\"", "\"num_trees\":\"21\"", "num_trees"},
        {"\"num_parallel_tree\":\"1\"", "\"num_parallel_tree\":\"0\"", "num_parallel_tree"},
        {"\"tree_info\":[0,", "\"tree_info\":[3,", "tree_info"},
        {"\"base_score\":\"3E-1\"", "\"base_score\":\"3E0\"", "base_score"},
    };
    for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
        size_t nl = 0;
        uint8_t *m = json_replace(json, jl, edits[e].from, edits[e].to, &nl);
        CHECK(m != NULL);
        if (!m) {
            fprintf(stderr, "  edit %zu: '%s' not in the fixture\n", e, edits[e].from);
            continue;
        }
        CHECK_RC(load_bytes(m, nl), GROWTH_EFORMAT);
        CHECK_MSG(edits[e].msg);
        free(m);
    }
    /* envelope: round trip, truncated, corrupted, wrong kind */
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_deserialize(&f, json, jl));
    uint8_t *env = NULL;
    size_t el = 0;
    if (f) CHECK_OK(growth_forest_serialize(f, &env, &el));
    growth_forest_free(f);
    if (env) {
        CHECK_OK(load_bytes(env, el));
        CHECK_RC(load_bytes(env, el - 1), GROWTH_EFORMAT);
        env[el / 2] ^= 0x40;
        CHECK_RC(load_bytes(env, el), GROWTH_EFORMAT);
        CHECK_MSG("checksum");
        env[el / 2] ^= 0x40;
        char path[512];
        gt_path(path, sizeof path, "forest_ftrl.model");
        growth_ftrl *m = NULL;
        CHECK_OK(growth_ftrl_create(&m, "bits=4"));
        CHECK_OK(growth_ftrl_save(m, path));
        growth_ftrl_free(m);
        CHECK_RC(growth_forest_load(&f, path), GROWTH_EFORMAT);
        CHECK_MSG("'ftrl'");
        /* a valid envelope whose stored trees disagree with its xgboost model */
        uint8_t *payload = env + GENV_HEADER_SIZE;
        size_t pl = el - GENV_HEADER_SIZE;
        int detected = 0, tried = 0;
        for (size_t pos = pl - 200; pos < pl; pos += 13) {
            payload[pos] ^= 0x01;
            genv_header(env, GROWTH_KIND_FOREST, payload, pl);
            int rc = load_bytes(env, el);
            tried++;
            detected += rc == GROWTH_EFORMAT;
            CHECK(rc == GROWTH_OK || rc == GROWTH_EFORMAT);
            payload[pos] ^= 0x01;
        }
        CHECK(detected > tried / 2);
        growth_buffer_free(env);
    }
    char path[512];
    gt_path(path, sizeof path, "does-not-exist.json");
    CHECK_RC(growth_forest_load(&f, path), GROWTH_EIO);
    free(json);
    free(ubj);
}

/* A saved forest whose stored configuration parses key by key into a value outside its range
 * (the forest options have no cross-key rule) or holds an unknown key is a damaged file,
 * EFORMAT, not the EINVAL growth_forest_train gives a caller's configuration. */
TEST(stored_config_out_of_range)
{
    size_t jl = 0;
    uint8_t *json = read_file(fixture("binary.json"), &jl);
    CHECK(json != NULL);
    if (!json) return;
    growth_forest *f = NULL;
    uint8_t *env = NULL;
    size_t el = 0;
    CHECK_OK(growth_forest_deserialize(&f, json, jl));
    if (f) CHECK_OK(growth_forest_serialize(f, &env, &el));
    growth_forest_free(f);
    free(json);
    if (!env) return;
    static const char *const cfgs[] = {
        "threads=2 num_rounds=20", /* a valid configuration: still loads */
        "threads=0",
        "num_rounds=0",
        "early_stopping_rounds=-1",
        "maximize=sometimes",
        "colour=red",
    };
    for (size_t t = 0; t < sizeof cfgs / sizeof cfgs[0]; t++) {
        uint8_t *out = NULL;
        size_t olen = 0;
        CHECK_OK(gt_with_config(env, el, &growth__forest_model__descriptor, cfgs[t], &out, &olen));
        if (!out) break;
        if (t == 0) {
            CHECK_OK(load_bytes(out, olen));
        } else {
            CHECK_RC(load_bytes(out, olen), GROWTH_EFORMAT);
            CHECK_MSG("stored configuration is invalid");
        }
        free(out);
    }
    growth_buffer_free(env);
}

/* Random byte edits of JSON, UBJSON and envelope files: a clear status, never a crash. */
TEST(loader_fuzz)
{
    size_t lens[3] = {0};
    uint8_t *src[3];
    src[0] = read_file(fixture("binary.json"), &lens[0]);
    src[1] = read_file(fixture("multi.json"), &lens[1]);
    src[2] = read_file(fixture("binary.ubj"), &lens[2]);
    if (!src[0] || !src[1] || !src[2]) {
        CHECK(0);
        return;
    }
    grng r;
    const char *seed = getenv("FOREST_FUZZ_SEED"), *iters = getenv("FOREST_FUZZ_ITERS");
    grng_seed(&r, seed ? strtoull(seed, NULL, 10) : 99);
    int ok = 0, fmt = 0, other = 0, n_iter = iters ? atoi(iters) : 1500;
    for (int it = 0; it < n_iter; it++) {
        int which = (int)grng_below(&r, 3);
        size_t n = lens[which];
        uint8_t *b = malloc(n);
        memcpy(b, src[which], n);
        int edits = 1 + (int)grng_below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t pos = (size_t)grng_below(&r, n);
            switch (grng_below(&r, 3)) {
            case 0: b[pos] = (uint8_t)grng_next(&r); break;
            case 1: b[pos] = "0123456789-,[]{}\"eE."[grng_below(&r, 20)]; break;
            default: n = pos + 1; break; /* truncate */
            }
        }
        if (getenv("FOREST_FUZZ_DUMP")) {
            FILE *df = fopen(getenv("FOREST_FUZZ_DUMP"), "wb");
            fwrite(b, 1, n, df);
            fclose(df);
        }
        int rc = load_bytes(b, n);
        ok += rc == GROWTH_OK;
        fmt += rc == GROWTH_EFORMAT;
        if (rc != GROWTH_OK && rc != GROWTH_EFORMAT) {
            other++;
            fprintf(stderr, "  fuzz case %d: status %d: %s\n", it, rc, growth_last_error());
        }
        free(b);
    }
    CHECK(other == 0);
    CHECK(fmt > n_iter / 3);
    for (int i = 0; i < 3; i++) free(src[i]);
}

/* Each config of growth_forest_importance equals the statistic computed from the trees' split
 * statistics by hand (what GROWTH_FOREST_WEIGHT .. GROWTH_FOREST_TOTAL_COVER gave), the default
 * is `type=weight`, and bad configs are EINVAL naming the key, with `out` untouched. */
TEST(importance_config_keys)
{
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_load(&f, fixture("multi.json")));
    if (!f) return;
    float w[FCOLS], g[FCOLS], c[FCOLS], tg[FCOLS], tc[FCOLS], dflt[FCOLS], empty[FCOLS];
    CHECK_OK(growth_forest_importance(f, "type=weight", w, FCOLS));
    CHECK_OK(growth_forest_importance(f, "type=gain", g, FCOLS));
    CHECK_OK(growth_forest_importance(f, "type=cover", c, FCOLS));
    CHECK_OK(growth_forest_importance(f, "type=total_gain", tg, FCOLS));
    CHECK_OK(growth_forest_importance(f, "  type='total_cover' ", tc, FCOLS));
    CHECK_OK(growth_forest_importance(f, NULL, dflt, FCOLS));
    CHECK_OK(growth_forest_importance(f, "", empty, FCOLS));
    CHECK(memcmp(w, dflt, sizeof w) == 0 && memcmp(w, empty, sizeof w) == 0);
    double splits = 0;
    for (int j = 0; j < FCOLS; j++) {
        splits += w[j];
        /* averages x counts = totals */
        CHECK_NEAR((double)g[j] * w[j], tg[j], 1e-3 * fmax(1.0, tg[j]));
        CHECK_NEAR((double)c[j] * w[j], tc[j], 1e-3 * fmax(1.0, tc[j]));
        if (w[j] == 0) CHECK(g[j] == 0 && c[j] == 0 && tg[j] == 0 && tc[j] == 0);
    }
    CHECK(splits > 0);
    static const char *const bad[] = {"type=gains", "type=", "type=weight type=gain", "kind=gain", "type"};
    static const char *const names[] = {"'type'", "'type'", "'type'", "'kind'", "'type'"};
    for (int i = 0; i < 5; i++) {
        float out[FCOLS] = {-1, -1, -1, -1, -1, -1};
        CHECK_RC(growth_forest_importance(f, bad[i], out, FCOLS), GROWTH_EINVAL);
        CHECK_MSG(names[i]);
        CHECK(out[0] == -1 && out[FCOLS - 1] == -1);
    }
    growth_forest_free(f);
}

/* growth_forest_stats_get: values, the struct_size rule, NaN/-1 without early stopping. */
TEST(stats_struct)
{
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_load(&f, fixture("multi.json")));
    if (!f) return;
    growth_forest_stats st = fstats(f);
    CHECK(st.struct_size == sizeof st && st.reserved == 0);
    CHECK(st.features == FCOLS && st.outputs == 3 && st.trees == 24);
    CHECK(st.best_iteration == -1 && isnan(st.best_score));
    growth_forest_stats z;
    memset(&z, 0, sizeof z);
    CHECK_RC(growth_forest_stats_get(f, &z), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    z.struct_size = (uint32_t)offsetof(growth_forest_stats, best_score);
    CHECK_RC(growth_forest_stats_get(f, &z), GROWTH_EINVAL);
    CHECK(z.features == 0);
    CHECK_RC(growth_forest_stats_get(NULL, &st), GROWTH_EINVAL);
    CHECK_MSG("growth_forest_stats_get");
    CHECK_RC(growth_forest_stats_get(f, NULL), GROWTH_EINVAL);
    struct {
        growth_forest_stats s;
        double tail[2];
    } big;
    memset(&big, 0, sizeof big);
    big.s.struct_size = (uint32_t)sizeof big;
    big.tail[1] = 5.0;
    CHECK_OK(growth_forest_stats_get(f, &big.s));
    CHECK(big.s.struct_size == sizeof big && big.s.trees == 24 && big.s.best_iteration == -1);
    CHECK(big.tail[0] == 0 && big.tail[1] == 5.0);
    growth_forest_free(f);
}

typedef struct {
    int calls, stop_at;
    double last;
    int bad;
} progress_log;

static int on_round(const char *stage, double done, void *user)
{
    progress_log *p = user;
    p->calls++;
    if (strcmp(stage, "round") != 0 || !(done > p->last) || done > 1.0) p->bad++;
    p->last = done;
    return p->stop_at > 0 && p->calls >= p->stop_at;
}

/* The progress callback runs once per boosting round; a non-zero return cancels the training
 * (GROWTH_ECANCELED, no forest); growth_forest_data accepts a newer caller's larger struct
 * whose extra members are zero. */
TEST(train_progress_and_cancel)
{
    dataset s;
    make_data(&s, 600, 5, 'b', 4);
    growth_forest_data d = as_data(&s, 0, s.n);
    const char *params = "objective=binary:logistic max_depth=3";
    progress_log p = {0, 0, 0.0, 0};
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_train(&f, "num_rounds=12", params, &d, NULL, on_round, &p));
    CHECK(p.calls == 12 && p.bad == 0 && p.last == 1.0);
    if (f) CHECK(fstats(f).trees == 12);
    growth_forest_free(f);
    f = NULL;
    /* Cancel in round 4. */
    p = (progress_log){0, 4, 0.0, 0};
    CHECK_RC(growth_forest_train(&f, "num_rounds=12", params, &d, NULL, on_round, &p), GROWTH_ECANCELED);
    CHECK_MSG("progress");
    CHECK(f == NULL && p.calls == 4 && p.bad == 0);
    CHECK_NEAR(p.last, 4.0 / 12.0, 1e-12);
    /* With early stopping: once per round trained, fewer than num_rounds. */
    growth_forest_data tr = as_data(&s, 0, 400), va = as_data(&s, 400, 200);
    p = (progress_log){0, 0, 0.0, 0};
    CHECK_OK(growth_forest_train(&f, "num_rounds=500 early_stopping_rounds=3",
                                 "objective=binary:logistic max_depth=6 eta=0.9 eval_metric=logloss", &tr,
                                 &va, on_round, &p));
    if (f) {
        growth_forest_stats st = fstats(f);
        CHECK(st.best_iteration >= 0 && p.calls == st.best_iteration + 1 + 3 && p.calls < 500);
    }
    growth_forest_free(f);
    f = NULL;
    /* A larger growth_forest_data (a newer caller) with a zero tail is accepted, a set tail is not. */
    struct {
        growth_forest_data d;
        uint64_t tail[2];
    } big;
    memset(&big, 0, sizeof big);
    big.d = d;
    big.d.struct_size = (uint32_t)sizeof big;
    CHECK_OK(growth_forest_train(&f, "num_rounds=2", params, &big.d, NULL, NULL, NULL));
    growth_forest_free(f);
    f = NULL;
    big.tail[1] = 1;
    CHECK_RC(growth_forest_train(&f, "num_rounds=2", params, &big.d, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("does not know");
    CHECK(f == NULL);
    free_data(&s);
}

/* xgboost keeps the last value of a repeated JSON key, libgrowth's reader the first: a model
 * whose tree repeats "id" passed our checks and crashed xgboost's saver (found by fuzz_forest,
 * 10-minute run). Repeated keys are now refused before xgboost sees the bytes. */
TEST(repeated_keys_are_refused)
{
    char path[1200];
    const char *root = getenv("GROWTH_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/tests/fuzz/regressions/fuzz_forest-963bd539649a",
             root && *root ? root : ".");
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (!fp) return;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    growth_forest *f = NULL;
    CHECK_RC(growth_forest_deserialize(&f, buf, n), GROWTH_EFORMAT);
    CHECK_MSG("repeats a key");
    CHECK(f == NULL);
    const char *tiny = "{\"a\": 1, \"b\": {\"c\": 2, \"c\": 3}}";
    CHECK_RC(growth_forest_deserialize(&f, (const uint8_t *)tiny, strlen(tiny)), GROWTH_EFORMAT);
    CHECK_MSG("repeats a key");
    const char *esc = "{\"le\\u0061rner\": {}}";
    CHECK_RC(growth_forest_deserialize(&f, (const uint8_t *)esc, strlen(esc)), GROWTH_EFORMAT);
    CHECK_MSG("escape");
}

int main(void)
{
    const char *root = getenv("GROWTH_SOURCE_ROOT");
    snprintf(fixture_dir, sizeof fixture_dir, "%s/tests/data/forest", root && *root ? root : ".");
    RUN(python_fixtures_json_and_ubjson);
    RUN(trained_objectives_match_xgboost);
    RUN(csr_training_and_sparse_rows);
    RUN(early_stopping_keeps_best_rounds);
    RUN(threads_give_identical_batches);
    RUN(save_load_round_trips);
    RUN(importance_matches_xgboost_feature_score);
    RUN(importance_config_keys);
    RUN(stats_struct);
    RUN(train_progress_and_cancel);
    RUN(contributions_sum_to_margins);
    RUN(bad_input);
    RUN(corrupted_and_foreign_files);
    RUN(stored_config_out_of_range);
    RUN(loader_fuzz);
    RUN(repeated_keys_are_refused);
    return GT_SUMMARY();
}
