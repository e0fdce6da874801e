/* The bad-input matrix, model modules: forests (forest.h), dense nets and DSSM (nets.h) and the
 * audience functions (audience.h). Every public function is called with NULL handles, NULL
 * buffers, zero and huge sizes, NaN/Inf and out-of-range values, and every loader with a file
 * of another kind; each call must return the expected status with a message, and each handle
 * must be exactly as before (same serialized bytes, same predictions) and still work. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bad_input.h"
#include "fm/fm_impl.h"
#include "net.pb-c.h"
#include "net_fixtures.h"

static const uint8_t junk[16] = "not a model....";

/* ---- forest ------------------------------------------------------------------------------- */

#define FR 40
#define FC 3

static int stop_now(const char *stage, double done, void *user)
{
    (void)stage;
    (void)done;
    (void)user;
    return 1;
}

TEST(test_forest_functions)
{
    static float X[FR * FC], y[FR];
    for (int i = 0; i < FR; i++) {
        for (int j = 0; j < FC; j++) X[i * FC + j] = (float)((i * (j + 3)) % 11) / 11.0f;
        y[i] = X[i * FC] + X[i * FC + 1] > 0.9f ? 1.0f : 0.0f;
    }
    growth_forest_data d = {.struct_size = sizeof d, .nrows = FR, .ncols = FC, .dense = X, .labels = y};
    const char *params = "objective=binary:logistic max_depth=2 eta=0.5";
    const char *bad_cfg[] = {"num_rounds=0", "threads=0", "maximize=perhaps", "colour=red",
                             "early_stopping_rounds=5"}; /* the last needs a validation set */
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_forest *x = NULL;
        BAD(growth_forest_train(&x, bad_cfg[i], params, &d, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    growth_forest *x = NULL;
    BAD(growth_forest_train(NULL, "num_rounds=2", params, &d, NULL, NULL, NULL), GROWTH_EINVAL,
        "forest_train");
    BAD(growth_forest_train(&x, "num_rounds=2", params, NULL, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
    growth_forest_data bd = d;
    bd.struct_size = 4;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &bd, NULL, NULL, NULL), GROWTH_EINVAL, "struct_size");
    bd = d;
    bd.nrows = 0;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &bd, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
    bd = d;
    bd.nrows = SIZE_MAX / 2;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &bd, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
    bd = d;
    bd.dense = NULL;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &bd, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
    bd = d;
    bd.labels = NULL;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &bd, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
    y[3] = NAN;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &d, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
    y[3] = y[3 + 1];
    float wneg[FR];
    for (int i = 0; i < FR; i++) wneg[i] = 1;
    wneg[7] = -1;
    bd = d;
    bd.weights = wneg;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &bd, NULL, NULL, NULL), GROWTH_EINVAL, NULL);
    growth_forest_data vd = d;
    vd.ncols = FC - 1;
    BAD(growth_forest_train(&x, "num_rounds=2", params, &d, &vd, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_forest_train(&x, "num_rounds=2", "objective=no:such", &d, NULL, NULL, NULL), GROWTH_EINVAL,
        "no:such");
    BAD(growth_forest_train(&x, "num_rounds=2", "max_depth=-3", &d, NULL, NULL, NULL), GROWTH_EDEP, NULL);
    {
        /* A larger struct (a newer caller) with members this library does not know set. */
        struct {
            growth_forest_data d;
            uint64_t tail;
        } big = {d, 1};
        big.d.struct_size = (uint32_t)sizeof big;
        BAD(growth_forest_train(&x, "num_rounds=2", params, &big.d, NULL, NULL, NULL), GROWTH_EINVAL,
            "does not know");
        BAD(growth_forest_train(&x, "num_rounds=2", params, &d, &big.d, NULL, NULL), GROWTH_EINVAL, "valid");
    }
    BAD(growth_forest_train(&x, "num_rounds=3", params, &d, NULL, stop_now, NULL), GROWTH_ECANCELED,
        "forest_train");
    CHECK(x == NULL);

    growth_forest *f = NULL;
    CHECK_OK(growth_forest_train(&f, "num_rounds=5", params, &d, NULL, NULL, NULL));
    float p0[FR], p[FR + 4], one0, one, imp[FC], shap[FR * (FC + 1)];
    CHECK_OK(growth_forest_predict_dense(f, X, FR, FC, 0, p0, FR));
    CHECK_OK(growth_forest_predict(f, X, FC, 0, &one0, 1));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_forest_serialize(f, &b0.buf, &b0.len));
    char buf[8];
    size_t need;

    BAD(growth_forest_set_config(NULL, "threads=2"), GROWTH_EINVAL, "forest_set_config");
    BAD(growth_forest_set_config(f, "threads=0"), GROWTH_EINVAL, NULL);
    BAD(growth_forest_set_config(f, "num_rounds=3"), GROWTH_EINVAL, NULL); /* training only */
    BAD(growth_forest_set_config(f, "bogus=1"), GROWTH_EINVAL, NULL);
    BAD(growth_forest_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "forest_config");
    BAD(growth_forest_config(f, buf, 2, &need), GROWTH_EBUFS, NULL);
    BAD(growth_forest_objective(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "forest_objective");
    BAD(growth_forest_objective(f, buf, 2, &need), GROWTH_EBUFS, NULL);
    {
        /* Config getters: EBUFS gives the exact size and leaves the buffer alone. */
        size_t exact = 0, got = 0;
        memset(buf, 'x', sizeof buf);
        BAD(growth_forest_objective(f, buf, 4, &exact), GROWTH_EBUFS, NULL);
        CHECK(exact == strlen("binary:logistic") + 1 && buf[0] == 'x');
        char obj[32];
        CHECK_OK(growth_forest_objective(f, obj, exact, &got));
        CHECK(got == exact && strcmp(obj, "binary:logistic") == 0);
    }
    growth_forest_stats fst = GROWTH_FOREST_STATS_INIT, fst0 = {0};
    BAD(growth_forest_stats_get(NULL, &fst), GROWTH_EINVAL, "forest_stats_get");
    BAD(growth_forest_stats_get(f, NULL), GROWTH_EINVAL, "forest_stats_get");
    BAD(growth_forest_stats_get(f, &fst0), GROWTH_EINVAL, "struct_size");
    fst0.struct_size = (uint32_t)sizeof fst0 - 8;
    BAD(growth_forest_stats_get(f, &fst0), GROWTH_EINVAL, "struct_size");
    CHECK(fst0.features == 0 && fst0.trees == 0);

    BAD(growth_forest_predict(NULL, X, FC, 0, &one, 1), GROWTH_EINVAL, "forest_predict");
    BAD(growth_forest_predict(f, NULL, FC, 0, &one, 1), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict(f, X, FC, 0, NULL, 1), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict(f, X, FC - 1, 0, &one, 1), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict(f, X, SIZE_MAX, 0, &one, 1), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict(f, X, FC, 0, &one, 0), GROWTH_EBUFS, NULL);
    BAD(growth_forest_predict(f, X, FC, 0x80u, &one, 1), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict(f, X, FC, 0x2u, &one, 1), GROWTH_EINVAL,
        "flags"); /* the old GROWTH_FOREST_REFERENCE */
    BAD(growth_forest_predict(f, X, FC, GROWTH_PREDICT_MARGIN | GROWTH_FOREST_REFERENCE, &one, 0),
        GROWTH_EBUFS, NULL);
    uint32_t si[2] = {0, 2}, si_bad[2] = {0, 3};
    float sv[2] = {0.5f, 0.25f};
    BAD(growth_forest_predict_sparse(NULL, si, sv, 2, 0, &one, 1), GROWTH_EINVAL, "forest_predict_sparse");
    BAD(growth_forest_predict_sparse(f, NULL, sv, 2, 0, &one, 1), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_sparse(f, si_bad, sv, 2, 0, &one, 1), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_sparse(f, si, sv, 2, 0, &one, 0), GROWTH_EBUFS, NULL);
    BAD(growth_forest_predict_sparse(f, si, sv, SIZE_MAX, 0, &one, 1), GROWTH_EINVAL, "too large");
    BAD(growth_forest_predict_dense(NULL, X, FR, FC, 0, p, FR), GROWTH_EINVAL, "forest_predict_dense");
    BAD(growth_forest_predict_dense(f, NULL, FR, FC, 0, p, FR), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_dense(f, X, FR, FC, 0, NULL, FR), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_dense(f, X, FR, FC + 1, 0, p, FR), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_dense(f, X, FR, FC, 0, p, FR - 1), GROWTH_EBUFS, NULL);
    BAD(growth_forest_predict_dense(f, X, SIZE_MAX, FC, 0, p, FR), GROWTH_EBUFS, NULL);
    BAD(growth_forest_predict_dense(f, X, SIZE_MAX / 2, FC, 0, p, SIZE_MAX), GROWTH_EINVAL,
        NULL); /* rows x cols overflows */
    uint64_t ip[3] = {0, 2, 4}, ip_bad[3] = {0, 3, 2};
    uint32_t ci[4] = {0, 1, 1, 2};
    float cv[4] = {1, 2, 3, 4};
    BAD(growth_forest_predict_csr(NULL, ip, ci, cv, 2, 0, p, 2), GROWTH_EINVAL, "forest_predict_csr");
    BAD(growth_forest_predict_csr(f, NULL, ci, cv, 2, 0, p, 2), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_csr(f, ip, NULL, cv, 2, 0, p, 2), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_csr(f, ip_bad, ci, cv, 2, 0, p, 2), GROWTH_EINVAL, NULL);
    BAD(growth_forest_predict_csr(f, ip, ci, cv, 2, 0, p, 1), GROWTH_EBUFS, NULL);
    BAD(growth_forest_predict_csr(f, ip, ci, cv, SIZE_MAX, 0, p, SIZE_MAX), GROWTH_EINVAL, NULL);
    ci[3] = FC;
    BAD(growth_forest_predict_csr(f, ip, ci, cv, 2, 0, p, 2), GROWTH_EINVAL, NULL);
    ci[3] = 2;
    BAD(growth_forest_importance(NULL, "type=gain", imp, FC), GROWTH_EINVAL, "forest_importance");
    BAD(growth_forest_importance(f, "type=99", imp, FC), GROWTH_EINVAL, "'type'");
    BAD(growth_forest_importance(f, "type=split", imp, FC), GROWTH_EINVAL, "'type'");
    BAD(growth_forest_importance(f, "normalize=true", imp, FC), GROWTH_EINVAL, "'normalize'");
    BAD(growth_forest_importance(f, "gain", imp, FC), GROWTH_EINVAL, "'gain'");
    BAD(growth_forest_importance(f, "type=gain", NULL, FC), GROWTH_EINVAL, NULL);
    BAD(growth_forest_importance(f, "type=gain", imp, FC - 1), GROWTH_EBUFS, NULL);
    BAD(growth_forest_contributions(NULL, X, 2, FC, shap, 2 * (FC + 1)), GROWTH_EINVAL,
        "forest_contributions");
    BAD(growth_forest_contributions(f, NULL, 2, FC, shap, 2 * (FC + 1)), GROWTH_EINVAL, NULL);
    BAD(growth_forest_contributions(f, X, 2, FC, NULL, 2 * (FC + 1)), GROWTH_EINVAL, NULL);
    BAD(growth_forest_contributions(f, X, 2, FC, shap, 2 * (FC + 1) - 1), GROWTH_EBUFS, NULL);
    BAD(growth_forest_contributions(f, X, 2, FC - 1, shap, 2 * (FC + 1)), GROWTH_EINVAL, NULL);
    BAD(growth_forest_contributions(f, X, SIZE_MAX / 2, FC, shap, SIZE_MAX), GROWTH_EINVAL, NULL);

    char path[512];
    gt_path(path, sizeof path, "bad_input.forest");
    BAD(growth_forest_save(NULL, path), GROWTH_EINVAL, "forest_save");
    BAD(growth_forest_save(f, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_forest_save(f, "/nonexistent-dir/x.json"), GROWTH_EIO, NULL);
    BAD(growth_forest_load(NULL, path), GROWTH_EINVAL, "forest_load");
    BAD(growth_forest_load(&x, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_forest_load(&x, "/nonexistent-dir/x.json"), GROWTH_EIO, NULL);
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_forest_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_forest_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_forest_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "forest_serialize");
    BAD(growth_forest_serialize(f, NULL, &b1.len), GROWTH_EINVAL, NULL);
    BAD(growth_forest_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "forest_deserialize");
    BAD(growth_forest_deserialize(&x, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_forest_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_forest_deserialize(&x, b0.buf, b0.len - 1), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);
    growth_forest_free(NULL);

    /* Unchanged and working. */
    BAD_SAME_STATE(forest, growth_forest, f, b0);
    CHECK_OK(growth_forest_predict_dense(f, X, FR, FC, 0, p, FR));
    CHECK(memcmp(p, p0, sizeof p0) == 0);
    CHECK_OK(growth_forest_predict(f, X, FC, 0, &one, 1));
    CHECK(one == one0 && one == p0[0]);
    CHECK_OK(growth_forest_stats_get(f, &fst));
    CHECK(fst.features == FC && fst.outputs == 1 && fst.trees == 5 && fst.best_iteration == -1 &&
          isnan(fst.best_score));
    CHECK_OK(growth_forest_importance(f, NULL, imp, FC));
    CHECK_OK(growth_forest_predict_sparse(f, si, sv, 2, 0, &one, 1));
    CHECK_OK(growth_forest_predict_csr(f, ip, ci, cv, 2, 0, p, 2));
    CHECK_OK(growth_forest_importance(f, "type=gain", imp, FC));
    CHECK_OK(growth_forest_contributions(f, X, 2, FC, shap, 2 * (FC + 1)));
    CHECK_OK(growth_forest_set_config(f, "threads=1"));
    CHECK_OK(growth_forest_config(f, NULL, 0, &need) == GROWTH_EBUFS ? GROWTH_OK : -99);
    CHECK_OK(growth_forest_objective(f, NULL, 0, &need) == GROWTH_EBUFS ? GROWTH_OK : -99);
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_forest_free(f);
}

/* ---- nets --------------------------------------------------------------------------------- */

TEST(test_net_functions)
{
    growth_net *net = wd_net(), *x = NULL;
    growth_net_workspace *ws = NULL, *w2 = NULL;
    CHECK_OK(growth_net_workspace_create(&ws, net, NULL));
    float xv[3] = {0.5f, -1, 2}, y0[3], y[4], one0, one;
    uint32_t cf[4] = {0, 1, 0, 1}, ci[4] = {0, 1, 2, 1}, wi[2] = {1, 4};
    float wv[2] = {2, 1};
    uint64_t cp[4] = {0, 4, 4, 4}, wp[4] = {0, 2, 2, 2};
    CHECK_OK(growth_net_predict_wide_deep(net, ws, xv, 1, cf, ci, 4, wi, wv, 2, &one0, 1));
    CHECK_OK(growth_net_predict_dense(net, ws, xv, 3, 1, y0, 3));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_net_serialize(net, &b0.buf, &b0.len));
    char buf[8];
    size_t need;
    growth_net_stats nst = GROWTH_NET_STATS_INIT, nst0 = {0};

    BAD(growth_net_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "net_config");
    BAD(growth_net_config(net, buf, sizeof buf, &need), GROWTH_EBUFS, NULL);
    BAD(growth_net_stats_get(NULL, &nst), GROWTH_EINVAL, "net_stats_get");
    BAD(growth_net_stats_get(net, NULL), GROWTH_EINVAL, "net_stats_get");
    BAD(growth_net_stats_get(net, &nst0), GROWTH_EINVAL, "struct_size");
    nst0.struct_size = 8;
    BAD(growth_net_stats_get(net, &nst0), GROWTH_EINVAL, "struct_size");
    CHECK(nst0.dense_dim == 0);
    {
        size_t exact = 0, got = 0;
        memset(buf, 'x', sizeof buf);
        BAD(growth_net_config(net, buf, sizeof buf, &exact), GROWTH_EBUFS, NULL);
        CHECK(exact > sizeof buf && buf[0] == 'x' && buf[sizeof buf - 1] == 'x');
        char *full = malloc(exact);
        CHECK_OK(growth_net_config(net, full, exact, &got));
        CHECK(got == exact && strlen(full) + 1 == exact);
        free(full);
    }
    BAD(growth_net_workspace_create(NULL, net, NULL), GROWTH_EINVAL, "net_workspace_create");
    BAD(growth_net_workspace_create(&w2, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_net_workspace_create(&w2, net, "batch=0"), GROWTH_EINVAL, "batch");
    BAD(growth_net_workspace_create(&w2, net, "bogus=1"), GROWTH_EINVAL, NULL);
    CHECK(w2 == NULL);

    BAD(growth_net_predict(NULL, ws, xv, 1, y, 1), GROWTH_EINVAL, "net_predict");
    BAD(growth_net_predict(net, NULL, xv, 1, y, 1), GROWTH_EINVAL, "ws is NULL");
    BAD(growth_net_predict(net, ws, NULL, 1, y, 1), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict(net, ws, xv, 1, NULL, 1), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict(net, ws, xv, 2, y, 1), GROWTH_EINVAL, "input width");
    BAD(growth_net_predict(net, ws, xv, SIZE_MAX, y, 1), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict(net, ws, xv, 1, y, 0), GROWTH_EBUFS, NULL);
    float nanv[1] = {NAN}, infv[1] = {INFINITY};
    BAD(growth_net_predict(net, ws, nanv, 1, y, 1), GROWTH_EINVAL, "NaN");
    BAD(growth_net_predict(net, ws, infv, 1, y, 1), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_dense(NULL, ws, xv, 3, 1, y, 3), GROWTH_EINVAL, "net_predict_dense");
    BAD(growth_net_predict_dense(net, ws, NULL, 3, 1, y, 3), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_dense(net, ws, xv, 3, 1, NULL, 3), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_dense(net, ws, xv, 3, 2, y, 3), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_dense(net, ws, xv, 3, 1, y, 2), GROWTH_EBUFS, NULL);
    BAD(growth_net_predict_dense(net, ws, xv, SIZE_MAX, 1, y, 3), GROWTH_EINVAL, "too large");
    BAD(growth_net_predict_dense(net, ws, xv, SIZE_MAX, 1, y, SIZE_MAX), GROWTH_EINVAL,
        NULL); /* rows x width overflows */
    uint32_t badf[1] = {2}, badi[1] = {3}, zero[1] = {0}, badw[1] = {5};
    BAD(growth_net_predict_wide_deep(NULL, ws, xv, 1, cf, ci, 4, wi, wv, 2, y, 1), GROWTH_EINVAL,
        "net_predict_wide_deep");
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, NULL, ci, 4, wi, wv, 2, y, 1), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, cf, ci, 4, NULL, wv, 2, y, 1), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, badf, zero, 1, NULL, NULL, 0, y, 1), GROWTH_EINVAL,
        "field 2");
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, zero, badi, 1, NULL, NULL, 0, y, 1), GROWTH_EINVAL,
        "embedding rows");
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, NULL, NULL, 0, badw, NULL, 1, y, 1), GROWTH_EINVAL,
        "wide slot 5");
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, NULL, NULL, 0, wi, nanv, 1, y, 1), GROWTH_EINVAL, "NaN");
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, cf, ci, SIZE_MAX, wi, wv, 2, y, 1), GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_wide_deep(net, ws, xv, 1, cf, ci, 4, wi, wv, 2, y, 0), GROWTH_EBUFS, NULL);
    uint64_t dec[4] = {0, 4, 2, 4}, huge[4] = {0, 4, 4, UINT64_MAX};
    BAD(growth_net_predict_wide_deep_csr(NULL, ws, xv, 3, 1, cp, cf, ci, wp, wi, wv, y, 3), GROWTH_EINVAL,
        "net_predict_wide_deep_csr");
    BAD(growth_net_predict_wide_deep_csr(net, ws, xv, 3, 1, dec, cf, ci, NULL, NULL, NULL, y, 3),
        GROWTH_EINVAL, "decreases");
    BAD(growth_net_predict_wide_deep_csr(net, ws, xv, 3, 1, huge, cf, ci, NULL, NULL, NULL, y, 3),
        GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_wide_deep_csr(net, ws, xv, 3, 1, cp, NULL, ci, wp, wi, wv, y, 3), GROWTH_EINVAL,
        NULL);
    BAD(growth_net_predict_wide_deep_csr(net, ws, xv, 3, 1, cp, cf, ci, wp, wi, wv, y, 2), GROWTH_EBUFS,
        NULL);
    BAD(growth_net_predict_wide_deep_csr(net, ws, xv, SIZE_MAX, 1, cp, cf, ci, wp, wi, wv, y, SIZE_MAX),
        GROWTH_EINVAL, NULL);
    BAD(growth_net_predict_wide_deep_csr(net, ws, xv, 3, 2, cp, cf, ci, wp, wi, wv, y, 3), GROWTH_EINVAL,
        NULL);

    char path[512];
    gt_path(path, sizeof path, "bad_input.net");
    BAD(growth_net_save(NULL, path), GROWTH_EINVAL, "net_save");
    BAD(growth_net_save(net, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_net_save(net, "/nonexistent-dir/x.net"), GROWTH_EIO, NULL);
    BAD(growth_net_load(NULL, path), GROWTH_EINVAL, "net_load");
    BAD(growth_net_load(&x, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_net_load(&x, "/nonexistent-dir/x.net"), GROWTH_EIO, NULL);
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_net_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_net_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_net_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "net_serialize");
    BAD(growth_net_serialize(net, &b1.buf, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_net_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "net_deserialize");
    BAD(growth_net_deserialize(&x, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_net_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_net_deserialize(&x, b0.buf, b0.len - 1), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);
    growth_net_free(NULL);
    growth_net_workspace_free(NULL);

    /* Unchanged and working. */
    BAD_SAME_STATE(net, growth_net, net, b0);
    CHECK_OK(growth_net_predict_wide_deep(net, ws, xv, 1, cf, ci, 4, wi, wv, 2, &one, 1));
    CHECK(one == one0);
    CHECK_NEAR(one, 0.5 + 3 + 4 + 40 + (-1 * 2 + 3 * 1) + 0.125, 1e-5);
    CHECK_OK(growth_net_predict_dense(net, ws, xv, 3, 1, y, 3));
    CHECK(memcmp(y, y0, sizeof y0) == 0);
    CHECK_OK(growth_net_predict(net, ws, xv, 1, y, 1));
    CHECK(y[0] == y0[0]);
    CHECK_OK(growth_net_predict_wide_deep_csr(net, ws, xv, 3, 1, cp, cf, ci, wp, wi, wv, y, 3));
    CHECK(y[0] == one0);
    CHECK_OK(growth_net_stats_get(net, &nst));
    CHECK(nst.dense_dim == 1 && nst.fields == 2 && nst.wide_rows == 5 && nst.out_dim == 1);
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_net_workspace_free(ws);
    growth_net_free(net);
}

static float QW[3 * 16], QB[3] = {0.1f, -0.2f, 0.3f}, IW[3 * 16], IB[3] = {0, 0.5f, -0.25f};

static growth_dssm *tiny_dssm(void)
{
    for (int i = 0; i < 48; i++) QW[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
    for (int i = 0; i < 48; i++) IW[i] = (float)((i * 11) % 13) / 13.0f - 0.5f;
    Growth__Dssm msg;
    growth__dssm__init(&msg);
    msg.buckets = 16;
    msg.seed = 5;
    dense(0, 16, 3, QW, QB);
    dense(1, 16, 3, IW, IB);
    msg.n_query = 1;
    msg.query = LP_;
    msg.n_item = 1;
    msg.item = LP_ + 1;
    size_t plen = growth__dssm__get_packed_size(&msg), len;
    uint8_t *pl = malloc(plen + 1);
    growth__dssm__pack(&msg, pl);
    uint8_t *buf = envelope(GROWTH_KIND_DSSM, pl, plen, &len);
    free(pl);
    growth_dssm *d = NULL;
    CHECK_OK(growth_dssm_deserialize(&d, buf, len));
    free(buf);
    return d;
}

TEST(test_dssm_functions)
{
    uint32_t idx[64];
    float val[64];
    size_t n;
    BAD(growth_features_hash_text(NULL, 16, 1, idx, val, 64, &n), GROWTH_EINVAL, "features_hash_text");
    BAD(growth_features_hash_text("abc", 0, 1, idx, val, 64, &n), GROWTH_EINVAL, NULL);
    BAD(growth_features_hash_text("abc", 16, 1, NULL, val, 64, &n), GROWTH_EINVAL, NULL);
    BAD(growth_features_hash_text("abc", 16, 1, idx, val, 64, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_features_hash_text("abc def ghi", 16, 1, idx, val, 1, &n), GROWTH_EBUFS, NULL);
    {
        /* EBUFS protocol: *out_n = the exact distinct count, buffers untouched. */
        uint32_t i2[64];
        float v2[64];
        size_t want = 0, need = 0;
        CHECK_OK(growth_features_hash_text("abc def ghi abc", 1024, 1, i2, v2, 64, &want));
        memset(i2, 0xab, sizeof i2);
        BAD(growth_features_hash_text("abc def ghi abc", 1024, 1, i2, v2, want - 1, &need), GROWTH_EBUFS,
            NULL);
        CHECK(need == want && i2[0] == 0xabababab && i2[want - 2] == 0xabababab);
        BAD(growth_features_hash_text("abc def ghi abc", 1024, 1, NULL, NULL, 0, &need), GROWTH_EBUFS, NULL);
        CHECK(need == want);
    }

    growth_dssm *d = tiny_dssm(), *x = NULL;
    growth_net_workspace *ws = NULL, *w2 = NULL;
    CHECK_OK(growth_dssm_workspace_create(&ws, d, NULL));
    const char *items[2] = {"red shoes", "blue mug"}, *bad_items[2] = {"ok", NULL};
    float e0[6], e[8], s0[2], s[4];
    CHECK_OK(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, items, 2, e0, 6));
    CHECK_OK(growth_dssm_score(d, ws, "red running shoes", items, 2, s0, 2));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_dssm_serialize(d, &b0.buf, &b0.len));
    char buf[8];
    size_t need;

    BAD(growth_dssm_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "dssm_config");
    BAD(growth_dssm_config(d, buf, 2, &need), GROWTH_EBUFS, NULL);
    growth_dssm_stats dst = GROWTH_DSSM_STATS_INIT, dst0 = {0};
    BAD(growth_dssm_stats_get(NULL, &dst), GROWTH_EINVAL, "dssm_stats_get");
    BAD(growth_dssm_stats_get(d, NULL), GROWTH_EINVAL, "dssm_stats_get");
    BAD(growth_dssm_stats_get(d, &dst0), GROWTH_EINVAL, "struct_size");
    dst0.struct_size = 16;
    BAD(growth_dssm_stats_get(d, &dst0), GROWTH_EINVAL, "struct_size");
    CHECK(dst0.dim == 0 && dst0.buckets == 0);
    BAD(growth_dssm_workspace_create(NULL, d, NULL), GROWTH_EINVAL, "dssm_workspace_create");
    BAD(growth_dssm_workspace_create(&w2, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_workspace_create(&w2, d, "batch=0"), GROWTH_EINVAL, NULL);
    CHECK(w2 == NULL);
    BAD(growth_dssm_encode(NULL, ws, GROWTH_DSSM_ITEM, items, 2, e, 8), GROWTH_EINVAL, "dssm_encode");
    BAD(growth_dssm_encode(d, NULL, GROWTH_DSSM_ITEM, items, 2, e, 8), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_encode(d, ws, (growth_dssm_tower)7, items, 2, e, 8), GROWTH_EINVAL, "tower 7");
    BAD(growth_dssm_encode(d, ws, (growth_dssm_tower)-1, items, 2, e, 8), GROWTH_EINVAL, "tower -1");
    BAD(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, NULL, 2, e, 8), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, bad_items, 2, e, 8), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, items, 2, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, items, 2, e, 5), GROWTH_EBUFS, NULL);
    BAD(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, items, SIZE_MAX, e, 8), GROWTH_EINVAL, "too large");
    BAD(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, items, SIZE_MAX / 2, e, SIZE_MAX), GROWTH_EINVAL,
        NULL); /* n x dim overflows */
    BAD(growth_dssm_score(NULL, ws, "q", items, 2, s, 4), GROWTH_EINVAL, "dssm_score");
    BAD(growth_dssm_score(d, NULL, "q", items, 2, s, 4), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_score(d, ws, NULL, items, 2, s, 4), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_score(d, ws, "q", NULL, 2, s, 4), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_score(d, ws, "q", bad_items, 2, s, 4), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_score(d, ws, "q", items, 2, s, 1), GROWTH_EBUFS, NULL);
    BAD(growth_dssm_score(d, ws, "q", items, 2, NULL, 4), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_score(d, ws, "q", items, SIZE_MAX, s, 4), GROWTH_EINVAL, "too large");

    char path[512];
    gt_path(path, sizeof path, "bad_input.dssm");
    BAD(growth_dssm_save(NULL, path), GROWTH_EINVAL, "dssm_save");
    BAD(growth_dssm_save(d, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_save(d, "/nonexistent-dir/x.dssm"), GROWTH_EIO, NULL);
    BAD(growth_dssm_load(NULL, path), GROWTH_EINVAL, "dssm_load");
    BAD(growth_dssm_load(&x, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_load(&x, "/nonexistent-dir/x.dssm"), GROWTH_EIO, NULL);
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_dssm_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_dssm_load(&x, path), GROWTH_EFORMAT, NULL);
    CHECK_OK(growth_dssm_save(d, path));
    growth_net *asnet = NULL;
    BAD(growth_net_load(&asnet, path), GROWTH_EFORMAT, NULL); /* a DSSM file is not a net */
    BAD(growth_dssm_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "dssm_serialize");
    BAD(growth_dssm_serialize(d, NULL, &b1.len), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "dssm_deserialize");
    BAD(growth_dssm_deserialize(&x, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_dssm_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_dssm_deserialize(&x, b0.buf, b0.len - 1), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);
    growth_dssm_free(NULL);

    /* Unchanged and working. */
    BAD_SAME_STATE(dssm, growth_dssm, d, b0);
    CHECK_OK(growth_dssm_encode(d, ws, GROWTH_DSSM_ITEM, items, 2, e, 8));
    CHECK(memcmp(e, e0, sizeof e0) == 0);
    CHECK_OK(growth_dssm_score(d, ws, "red running shoes", items, 2, s, 4));
    CHECK(s[0] == s0[0] && s[1] == s0[1]);
    CHECK_OK(growth_dssm_stats_get(d, &dst));
    CHECK(dst.dim == 3 && dst.buckets == 16 && dst.seed == 5);
    CHECK_OK(growth_features_hash_text("red shoes", dst.buckets, dst.seed, idx, val, 64, &n));
    CHECK(n >= 1);
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_net_workspace_free(ws);
    growth_dssm_free(d);
}

/* ---- audience ----------------------------------------------------------------------------- */

TEST(test_audience_functions)
{
    /* 6 users x 4 attributes (brands / categories): user u has the attributes in its CSR row. */
    uint64_t ip[7] = {0, 2, 3, 5, 6, 8, 9};
    uint32_t ix[9] = {0, 1, 1, 0, 2, 3, 1, 2, 0};
    uint64_t ip_bad[7] = {0, 2, 1, 5, 6, 8, 9};
    uint32_t seed[2] = {0, 2}, seed_bad[1] = {6};
    double tgi[4], conc[4], tgi0[4];
    uint64_t sc[4], pc[4];
    CHECK_OK(growth_audience_tgi(ip, ix, 6, 4, seed, 2, tgi0, conc, sc, pc, 4));
    BAD(growth_audience_tgi(NULL, ix, 6, 4, seed, 2, tgi, conc, sc, pc, 4), GROWTH_EINVAL, "audience_tgi");
    BAD(growth_audience_tgi(ip, NULL, 6, 4, seed, 2, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_tgi(ip, ix, 6, 4, NULL, 2, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_tgi(ip, ix, 6, 4, seed, 0, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_tgi(ip, ix, 6, 4, seed_bad, 1, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_tgi(ip_bad, ix, 6, 4, seed, 2, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_tgi(ip, ix, 6, 3, seed, 2, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL); /* attr 3 */
    BAD(growth_audience_tgi(ip, ix, 6, 4, seed, 2, tgi, conc, sc, pc, 3), GROWTH_EBUFS, NULL);
    BAD(growth_audience_tgi(ip, ix, SIZE_MAX, 4, seed, 2, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_tgi(ip, ix, 6, SIZE_MAX, seed, 2, tgi, conc, sc, pc, 4), GROWTH_EINVAL, "columns");
    BAD(growth_audience_tgi(ip, ix, 6, 4, seed, SIZE_MAX, tgi, conc, sc, pc, 4), GROWTH_EINVAL, NULL);

    uint32_t oa[4], ou[6];
    size_t na, nu, n;
    BAD(growth_audience_interest(NULL, ix, 6, 4, seed, 2, NULL, oa, 4, &na, ou, 6, &nu), GROWTH_EINVAL,
        "audience_interest");
    BAD(growth_audience_interest(ip, ix, 6, 4, seed, 2, "bogus=1", oa, 4, &na, ou, 6, &nu), GROWTH_EINVAL,
        NULL);
    BAD(growth_audience_interest(ip, ix, 6, 4, seed, 0, NULL, oa, 4, &na, ou, 6, &nu), GROWTH_EINVAL, NULL);
    BAD(growth_audience_interest(ip, ix, 6, 4, seed, 2, NULL, NULL, 4, &na, ou, 6, &nu), GROWTH_EINVAL, NULL);
    BAD(growth_audience_interest(ip_bad, ix, 6, 4, seed, 2, NULL, oa, 4, &na, ou, 6, &nu), GROWTH_EINVAL,
        NULL);
    BAD(growth_audience_interest(ip, ix, SIZE_MAX, 4, seed, 2, NULL, oa, 4, &na, ou, 6, &nu), GROWTH_EINVAL,
        NULL);

    uint32_t brands[1] = {1}, brands_bad[1] = {4}, ob[4];
    double oj[4];
    BAD(growth_audience_similar_brands(NULL, ix, 6, 4, brands, 1, 2, ob, oj, 4), GROWTH_EINVAL,
        "audience_similar_brands");
    BAD(growth_audience_similar_brands(ip, ix, 6, 4, NULL, 1, 2, ob, oj, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_similar_brands(ip, ix, 6, 4, brands_bad, 1, 2, ob, oj, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_similar_brands(ip, ix, 6, 4, brands, 1, 0, ob, oj, 4), GROWTH_EINVAL, NULL);
    BAD(growth_audience_similar_brands(ip, ix, 6, 4, brands, 1, 2, ob, oj, 1), GROWTH_EBUFS, NULL);
    BAD(growth_audience_similar_brands(ip, ix, 6, 4, brands, 1, SIZE_MAX, ob, oj, 4), GROWTH_EBUFS, NULL);
    BAD(growth_audience_similar_brands(ip, ix, 6, 4, brands, SIZE_MAX / 2, 4, ob, oj, SIZE_MAX), GROWTH_EBUFS,
        "nquery x k"); /* the product does not wrap */
    BAD(growth_audience_similar_brands(ip, ix, 6, 4, brands, 1, 2, NULL, oj, 4), GROWTH_EINVAL, NULL);

    BAD(growth_audience_brand(NULL, ix, 6, 4, brands, 1, seed, 2, NULL, ou, 6, &n), GROWTH_EINVAL,
        "audience_brand");
    BAD(growth_audience_brand(ip, ix, 6, 4, brands, 1, NULL, 2, NULL, ou, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_brand(ip, ix, 6, 4, brands, 1, seed, 0, NULL, ou, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_brand(ip, ix, 6, 4, brands_bad, 1, seed, 2, NULL, ou, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_brand(ip, ix, 6, 4, brands, 1, seed, 2, "bogus=1", ou, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_brand(ip, ix, 6, 4, brands, 1, seed, 2, NULL, NULL, 6, &n), GROWTH_EINVAL, NULL);

    uint32_t ra[8], rc[8], cons_bad[1] = {9};
    double rs[8], rcf[8], rl[8];
    BAD(growth_audience_rules(NULL, ix, 6, 4, NULL, 0, NULL, ra, rc, rs, rcf, rl, 8, &n), GROWTH_EINVAL,
        "audience_rules");
    BAD(growth_audience_rules(ip, ix, 6, 4, cons_bad, 1, NULL, ra, rc, rs, rcf, rl, 8, &n), GROWTH_EINVAL,
        NULL);
    BAD(growth_audience_rules(ip, ix, 6, 4, NULL, 0, "bogus=1", ra, rc, rs, rcf, rl, 8, &n), GROWTH_EINVAL,
        NULL);
    CHECK_OK(growth_audience_rules(ip, ix, 6, 4, NULL, 0, NULL, ra, rc, rs, rcf, rl, 8,
                                   NULL)); /* out_n may be NULL */
    BAD(growth_audience_rules(ip_bad, ix, 6, 4, NULL, 0, NULL, ra, rc, rs, rcf, rl, 8, &n), GROWTH_EINVAL,
        NULL);
    uint32_t tg[1] = {2}, tg_bad[1] = {4};
    BAD(growth_audience_category(NULL, ix, 6, 4, tg, 1, seed, 2, NULL, ou, 6, &n), GROWTH_EINVAL,
        "audience_category");
    BAD(growth_audience_category(ip, ix, 6, 4, NULL, 0, seed, 2, NULL, ou, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_category(ip, ix, 6, 4, tg_bad, 1, seed, 2, NULL, ou, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_category(ip, ix, 6, 4, tg, 1, seed, 2, "bogus=1", ou, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_category(ip, ix, 6, 4, tg, 1, seed_bad, 1, NULL, ou, 6, &n), GROWTH_EINVAL, NULL);

    float emb[12] = {1, 0, 0.9f, 0.1f, 0, 1, 0.1f, 0.9f, 0.5f, 0.5f, -1, 0}, osim[6];
    BAD(growth_audience_peer(NULL, 6, 2, seed, 2, 2, NULL, ou, osim, 6, &n), GROWTH_EINVAL, "audience_peer");
    BAD(growth_audience_peer(emb, 6, 0, seed, 2, 2, NULL, ou, osim, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer(emb, 6, 2, seed, 2, 0, NULL, ou, osim, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer(emb, 6, 2, seed, 2, 5, NULL, ou, osim, 6, &n), GROWTH_EINVAL,
        NULL); /* pool is 4 */
    BAD(growth_audience_peer(emb, 6, 2, seed, 2, 2, NULL, ou, osim, 1, &n), GROWTH_EBUFS, NULL);
    BAD(growth_audience_peer(emb, 6, 2, seed, 2, 2, "bogus=1", ou, osim, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer(emb, SIZE_MAX / 2, 4, seed, 2, 2, NULL, ou, osim, 6, &n), GROWTH_EINVAL,
        NULL); /* users x dim overflows */
    emb[5] = NAN;
    BAD(growth_audience_peer(emb, 6, 2, seed, 2, 2, NULL, ou, osim, 6, &n), GROWTH_EINVAL, NULL);
    emb[5] = 1;

    /* the same peers through a caller-built index (ids = user numbers) */
    growth_index *pix = NULL, *pl2 = NULL, *pempty = NULL;
    int64_t pids[6] = {0, 1, 2, 3, 4, 5};
    CHECK_OK(growth_index_create(&pix, "dim=2 metric=cosine kind=flat"));
    CHECK_OK(growth_index_add(pix, emb, 6, pids));
    CHECK_OK(growth_index_create(&pl2, "dim=2 metric=l2 kind=flat"));
    CHECK_OK(growth_index_add(pl2, emb, 6, pids));
    CHECK_OK(growth_index_create(&pempty, "dim=2 metric=cosine kind=flat"));
    uint32_t pu0[6], puu[6], pseed_bad[1] = {9};
    float ps0[6], pss[6];
    size_t pn0 = 0, pn = 0;
    CHECK_OK(growth_audience_peer_index(pix, seed, 2, 2, NULL, pu0, ps0, 6, &pn0));
    BAD(growth_audience_peer_index(NULL, seed, 2, 2, NULL, puu, pss, 6, &pn), GROWTH_EINVAL,
        "audience_peer_index");
    BAD(growth_audience_peer_index(pix, NULL, 2, 2, NULL, puu, pss, 6, &pn), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer_index(pix, seed, 0, 2, NULL, puu, pss, 6, &pn), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer_index(pix, seed, 2, 0, NULL, puu, pss, 6, &pn), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer_index(pix, seed, 2, 2, NULL, NULL, pss, 6, &pn), GROWTH_EINVAL, NULL);
    CHECK_OK(growth_audience_peer_index(pix, seed, 2, 2, NULL, puu, pss, 6, NULL)); /* out_n may be NULL */
    BAD(growth_audience_peer_index(pix, seed, 2, 2, NULL, puu, pss, 1, &pn), GROWTH_EBUFS, NULL);
    BAD(growth_audience_peer_index(pix, seed, 2, 2, "bogus=1", puu, pss, 6, &pn), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer_index(pix, pseed_bad, 1, 2, NULL, puu, pss, 6, &pn), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer_index(pix, seed, SIZE_MAX, 2, NULL, puu, pss, 6, &pn), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer_index(pl2, seed, 2, 2, NULL, puu, pss, 6, &pn), GROWTH_EINVAL, NULL);
    BAD(growth_audience_peer_index(pempty, seed, 2, 2, NULL, puu, pss, 6, &pn), GROWTH_ESTATE, NULL);
    CHECK_OK(growth_audience_peer_index(pix, seed, 2, 2, NULL, puu, pss, 6, &pn));
    CHECK(pn == pn0 && memcmp(puu, pu0, pn * sizeof *puu) == 0 && memcmp(pss, ps0, pn * sizeof *pss) == 0);
    growth_index_free(pix);
    growth_index_free(pl2);
    growth_index_free(pempty);

    uint32_t ev_u[4] = {0, 1, 1, 5}, ev_bad[1] = {6};
    int64_t ev_t[4] = {10, 20, 100, 30}, olast[6];
    BAD(growth_audience_lost(NULL, ev_t, 4, 6, NULL, ou, olast, 6, &n), GROWTH_EINVAL, "audience_lost");
    BAD(growth_audience_lost(ev_u, NULL, 4, 6, NULL, ou, olast, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_lost(ev_bad, ev_t, 1, 6, NULL, ou, olast, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_lost(ev_u, ev_t, 4, 6, "bogus=1", ou, olast, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_lost(ev_u, ev_t, 4, 6, NULL, NULL, olast, 6, &n), GROWTH_EINVAL, NULL);

    uint32_t l1[2] = {0, 3}, l2[2] = {3, 9}, odirs[6];
    const uint32_t *lists[2] = {l1, l2};
    size_t lens[2] = {2, 1}, lens_huge[2] = {2, SIZE_MAX};
    uint32_t dirs[2] = {GROWTH_AUDIENCE_INTEREST, GROWTH_AUDIENCE_PEER};
    BAD(growth_audience_union(NULL, lens, dirs, 2, 6, ou, odirs, 6, &n), GROWTH_EINVAL, "audience_union");
    BAD(growth_audience_union(lists, NULL, dirs, 2, 6, ou, odirs, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_union(lists, lens, dirs, 2, 6, NULL, odirs, 6, &n), GROWTH_EINVAL, NULL);
    lens[1] = 2; /* 9 >= nusers */
    BAD(growth_audience_union(lists, lens, dirs, 2, 6, ou, odirs, 6, &n), GROWTH_EINVAL, NULL);
    lens[1] = 1;
    BAD(growth_audience_union(lists, lens_huge, dirs, 2, 6, ou, odirs, 6, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_union(lists, lens, dirs, 2, 6, ou, odirs, 1, &n), GROWTH_EBUFS, NULL);
    CHECK_OK(growth_audience_union(lists, lens, dirs, 2, 6, ou, odirs, 6, NULL)); /* out_n may be NULL */

    float fval[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, pus[6];
    uint32_t pool[4] = {1, 3, 4, 5}, pool_bad[1] = {6};
    BAD(growth_audience_pu_score(NULL, ix, fval, 6, 4, seed, 2, pool, 4, NULL, pus, 6, NULL, NULL),
        GROWTH_EINVAL, "audience_pu_score");
    BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, NULL, 2, pool, 4, NULL, pus, 6, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, seed, 2, NULL, 4, NULL, pus, 6, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, seed, 2, pool_bad, 1, NULL, pus, 6, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, seed, 2, pool, 4, NULL, pus, 3, NULL, NULL),
        GROWTH_EBUFS, NULL);
    BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, seed, 2, pool, 4, "bogus=1", pus, 6, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, seed, 2, pool, 4, NULL, NULL, 6, NULL, NULL),
        GROWTH_EINVAL, NULL);
    fval[4] = INFINITY;
    BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, seed, 2, pool, 4, NULL, pus, 6, NULL, NULL),
        GROWTH_EINVAL, NULL);
    fval[4] = 1;

    uint32_t su[4] = {1, 3, 4, 5}, su_dup[2] = {1, 1}, ex[1] = {3}, so[4];
    float ss[4] = {0.9f, 0.8f, 0.1f, 0.5f}, sso[4];
    BAD(growth_audience_select(NULL, ss, 4, ex, 1, 0, 2, so, sso, 4, &n), GROWTH_EINVAL, "audience_select");
    BAD(growth_audience_select(su, NULL, 4, ex, 1, 0, 2, so, sso, 4, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_select(su_dup, ss, 2, NULL, 0, 0, 1, so, sso, 4, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_select(su, ss, 4, ex, 1, 0, 0, so, sso, 4, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_select(su, ss, 4, ex, 1, 0, 5, so, sso, 8, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_select(su, ss, 4, ex, 1, 0, 3, so, sso, 2, &n), GROWTH_EBUFS, NULL);
    BAD(growth_audience_select(su, ss, 4, ex, 1, NAN, 2, so, sso, 4, &n), GROWTH_EINVAL, NULL);
    BAD(growth_audience_select(su, ss, 4, ex, 1, 0, 2, NULL, sso, 4, &n), GROWTH_EINVAL, NULL);
    ss[2] = NAN;
    BAD(growth_audience_select(su, ss, 4, ex, 1, 0, 2, so, sso, 4, &n), GROWTH_EINVAL, NULL);
    ss[2] = 0.1f;

    float ps[4] = {0.9f, 0.1f, 0.8f, 0.3f}, pl[4] = {1, 0, 0, 1}, pl0[4] = {0, 0, 0, 0};
    uint8_t known[4] = {1, 0, 0, 0}, allk[4] = {1, 1, 1, 1};
    double prec, rec, lift;
    BAD(growth_metrics_topn_precision(NULL, pl, 4, 2, &prec), GROWTH_EINVAL, "metrics_topn_precision");
    BAD(growth_metrics_topn_precision(ps, pl, 4, 0, &prec), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_precision(ps, pl, 4, 5, &prec), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_precision(ps, pl, 4, 2, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_precision(ps, pl, 0, 1, &prec), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_recall(ps, pl, NULL, 4, 2, NULL), GROWTH_EINVAL, "metrics_topn_recall");
    BAD(growth_metrics_topn_recall(ps, pl, allk, 4, 1, &rec), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_recall(ps, pl0, known, 4, 2, &rec), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_lift(ps, pl0, 4, 2, &lift), GROWTH_EINVAL, "metrics_topn_lift");
    BAD(growth_metrics_topn_lift(ps, NULL, 4, 2, &lift), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_lift(ps, pl, 4, 9, &lift), GROWTH_EINVAL, NULL);
    ps[1] = NAN;
    BAD(growth_metrics_topn_precision(ps, pl, 4, 2, &prec), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_topn_lift(ps, pl, 4, 2, &lift), GROWTH_EINVAL, NULL);
    ps[1] = 0.1f;
    pl[1] = 0.5f;
    BAD(growth_metrics_topn_precision(ps, pl, 4, 2, &prec), GROWTH_EINVAL, NULL);
    pl[1] = 0;

    float fsc[8] = {0.9f, 0.1f, 0.8f, 0.3f, 0.2f, 0.7f, 0.6f, 0.4f}, fo[4];
    double fw[2] = {1, 0.5}, fwb[2] = {1, NAN}, ow[2];
    BAD(growth_rank_fuse_scores(NULL, 2, 4, fw, NULL, fo, 4), GROWTH_EINVAL, "rank_fuse_scores");
    BAD(growth_rank_fuse_scores(fsc, 2, 4, NULL, NULL, fo, 4), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_scores(fsc, 2, 4, fwb, NULL, fo, 4), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_scores(fsc, 0, 4, fw, NULL, fo, 4), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_scores(fsc, 2, 4, fw, NULL, fo, 3), GROWTH_EBUFS, NULL);
    BAD(growth_rank_fuse_scores(fsc, 2, 4, fw, "bogus=1", fo, 4), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_scores(fsc, SIZE_MAX / 2, 4, fw, NULL, fo, 4), GROWTH_EINVAL,
        NULL); /* models x n overflows */
    BAD(growth_rank_fuse_fit(NULL, 2, 4, pl, 2, NULL, ow, 2, &prec, NULL, NULL), GROWTH_EINVAL,
        "rank_fuse_fit");
    BAD(growth_rank_fuse_fit(fsc, 2, 4, NULL, 2, NULL, ow, 2, &prec, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_fit(fsc, 2, 4, pl, 0, NULL, ow, 2, &prec, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_fit(fsc, 2, 4, pl, 2, NULL, ow, 1, &prec, NULL, NULL), GROWTH_EBUFS, NULL);
    BAD(growth_rank_fuse_fit(fsc, 2, 4, pl, 2, "bogus=1", ow, 2, &prec, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_fit(fsc, 2, 4, pl, 2, NULL, NULL, 2, &prec, NULL, NULL), GROWTH_EINVAL, NULL);
    fsc[5] = NAN;
    BAD(growth_rank_fuse_scores(fsc, 2, 4, fw, NULL, fo, 4), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_fit(fsc, 2, 4, pl, 2, NULL, ow, 2, &prec, NULL, NULL), GROWTH_EINVAL, NULL);
    fsc[5] = 0.7f;

    /* EBUFS protocol for every audience call that reports a count: with cap 0 and NULL buffers
     * (a sizing call) and with one entry short, the count is the exact capacity needed and no
     * buffer is written; a second call with that capacity succeeds with that count. */
    {
        enum { G = 16 };
        uint32_t gu[G], gv[G];
        double gd[G];
        int64_t gl[G];
        float gf[G];
        size_t need = 0, got = 0;
#define GUARD()                                                                                              \
    (memset(gu, 0xab, sizeof gu), memset(gv, 0xab, sizeof gv), memset(gd, 0xab, sizeof gd),                  \
     memset(gl, 0xab, sizeof gl), memset(gf, 0xab, sizeof gf))
#define UNTOUCHED()                                                                                          \
    (gu[0] == 0xabababab && gv[0] == 0xabababab && gl[0] == (int64_t)0xababababababababULL &&                \
     memcmp(gd, (uint8_t[sizeof(double)]){0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab},                   \
            sizeof(double)) == 0)
        /* interest: two counts; either array short gives EBUFS and neither is written */
        size_t na2 = 99, nu2 = 99;
        BAD(growth_audience_interest(ip, ix, 6, 4, seed, 2, "min_tgi=0", NULL, 0, &na2, NULL, 0, &nu2),
            GROWTH_EBUFS, "audience_interest");
        CHECK(na2 > 0 && nu2 > 0);
        GUARD();
        size_t na3 = 0, nu3 = 0;
        BAD(growth_audience_interest(ip, ix, 6, 4, seed, 2, "min_tgi=0", gu, na2, &na3, gv, nu2 - 1, &nu3),
            GROWTH_EBUFS, NULL);
        CHECK(na3 == na2 && nu3 == nu2 && UNTOUCHED());
        BAD(growth_audience_interest(ip, ix, 6, 4, seed, 2, "min_tgi=0", gu, na2 - 1, &na3, gv, nu2, &nu3),
            GROWTH_EBUFS, NULL);
        CHECK(na3 == na2 && nu3 == nu2 && UNTOUCHED());
        CHECK_OK(growth_audience_interest(ip, ix, 6, 4, seed, 2, "min_tgi=0", gu, na2, &na3, gv, nu2, &nu3));
        CHECK(na3 == na2 && nu3 == nu2);
        na3 = nu3 = 99;
        BAD(growth_audience_interest(ip, ix, 6, 4, seed, 2, "bogus=1", gu, na2, &na3, gv, nu2, &nu3),
            GROWTH_EINVAL, NULL);
        CHECK(na3 == 0 && nu3 == 0);
        /* brand */
        BAD(growth_audience_brand(ip, ix, 6, 4, brands, 1, seed, 2, NULL, NULL, 0, &need), GROWTH_EBUFS,
            "audience_brand");
        CHECK(need > 0);
        GUARD();
        got = 0;
        BAD(growth_audience_brand(ip, ix, 6, 4, brands, 1, seed, 2, NULL, gu, need - 1, &got), GROWTH_EBUFS,
            NULL);
        CHECK(got == need && UNTOUCHED());
        CHECK_OK(growth_audience_brand(ip, ix, 6, 4, brands, 1, seed, 2, NULL, gu, need, &got));
        CHECK(got == need);
        /* rules (five arrays) */
        BAD(growth_audience_rules(ip, ix, 6, 4, NULL, 0, "min_support=0 min_confidence=0 min_lift=0", NULL,
                                  NULL, NULL, NULL, NULL, 0, &need),
            GROWTH_EBUFS, "audience_rules");
        CHECK(need > 1);
        GUARD();
        BAD(growth_audience_rules(ip, ix, 6, 4, NULL, 0, "min_support=0 min_confidence=0 min_lift=0", gu, gv,
                                  gd, gd, gd, need - 1, &got),
            GROWTH_EBUFS, NULL);
        CHECK(got == need && UNTOUCHED());
        CHECK_OK(growth_audience_rules(ip, ix, 6, 4, NULL, 0, "min_support=0 min_confidence=0 min_lift=0", gu,
                                       gv, gd, gd, gd, G, &got));
        CHECK(got == need);
        /* category */
        BAD(growth_audience_category(ip, ix, 6, 4, tg, 1, seed, 2,
                                     "min_support=0 min_confidence=0 min_lift=0", NULL, 0, &need),
            GROWTH_EBUFS, "audience_category");
        CHECK(need > 0);
        GUARD();
        BAD(growth_audience_category(ip, ix, 6, 4, tg, 1, seed, 2,
                                     "min_support=0 min_confidence=0 min_lift=0", gu, need - 1, &got),
            GROWTH_EBUFS, NULL);
        CHECK(got == need && UNTOUCHED());
        CHECK_OK(growth_audience_category(ip, ix, 6, 4, tg, 1, seed, 2,
                                          "min_support=0 min_confidence=0 min_lift=0", gu, need, &got));
        CHECK(got == need);
        /* peer and peer_index: cap >= n, the count on EBUFS is n */
        GUARD();
        BAD(growth_audience_peer(emb, 6, 2, seed, 2, 3, NULL, gu, gf, 2, &got), GROWTH_EBUFS,
            "audience_peer");
        CHECK(got == 3 && UNTOUCHED() && memcmp(gf, gf + 1, sizeof *gf) == 0);
        BAD(growth_audience_peer(emb, 6, 2, seed, 2, 3, NULL, NULL, NULL, 0, &got), GROWTH_EBUFS, NULL);
        CHECK(got == 3);
        BAD(growth_audience_peer(emb, 6, 2, seed, 2, 9, NULL, NULL, NULL, 0, &got), GROWTH_EINVAL,
            NULL); /* n > pool: first */
        CHECK(got == 0);
        growth_index *gix = NULL;
        CHECK_OK(growth_index_create(&gix, "dim=2 metric=cosine kind=flat"));
        CHECK_OK(growth_index_add(gix, emb, 6, pids));
        BAD(growth_audience_peer_index(gix, seed, 2, 3, NULL, gu, gf, 2, &got), GROWTH_EBUFS,
            "audience_peer_index");
        CHECK(got == 3 && UNTOUCHED());
        uint32_t missing[1] = {5};
        CHECK_OK(growth_index_remove(gix, (const int64_t[]){5}, 1, NULL));
        BAD(growth_audience_peer_index(gix, missing, 1, 3, NULL, gu, gf, 2, &got), GROWTH_EINVAL,
            "not in the index"); /* seed first */
        CHECK(got == 0);
        growth_index_free(gix);
        /* lost */
        BAD(growth_audience_lost(ev_u, ev_t, 4, 6, "now=100 inactive=5 window=100", NULL, NULL, 0, &need),
            GROWTH_EBUFS, "audience_lost");
        CHECK(need == 2); /* users 0 (last 10) and 5 (last 30); user 1 is active at 100 */
        GUARD();
        BAD(growth_audience_lost(ev_u, ev_t, 4, 6, "now=100 inactive=5 window=100", gu, gl, 1, &got),
            GROWTH_EBUFS, NULL);
        CHECK(got == 2 && UNTOUCHED());
        CHECK_OK(growth_audience_lost(ev_u, ev_t, 4, 6, "now=100 inactive=5 window=100", gu, gl, 2, &got));
        CHECK(got == 2 && gu[0] == 0 && gu[1] == 5 && gl[0] == 10 && gl[1] == 30);
        /* union */
        BAD(growth_audience_union(lists, lens, dirs, 2, 6, NULL, NULL, 0, &need), GROWTH_EBUFS,
            "audience_union");
        CHECK(need == 2);
        GUARD();
        BAD(growth_audience_union(lists, lens, dirs, 2, 6, gu, gv, 1, &got), GROWTH_EBUFS, NULL);
        CHECK(got == 2 && UNTOUCHED());
        /* select: cap >= n, the count on EBUFS is n */
        GUARD();
        BAD(growth_audience_select(su, ss, 4, ex, 1, 0, 3, gu, gf, 2, &got), GROWTH_EBUFS, "audience_select");
        CHECK(got == 3 && UNTOUCHED());
        BAD(growth_audience_select(su, ss, 4, ex, 1, 0, 3, NULL, NULL, 0, &got), GROWTH_EBUFS, NULL);
        CHECK(got == 3);
        BAD(growth_audience_select(su_dup, ss, 2, NULL, 0, 0, 1, gu, gf, 0, &got), GROWTH_EINVAL,
            "twice"); /* first */
        CHECK(got == 0);
        /* fixed capacities (no count): nothing written on EBUFS */
        GUARD();
        BAD(growth_audience_tgi(ip, ix, 6, 4, seed, 2, gd, NULL, NULL, NULL, 3), GROWTH_EBUFS, NULL);
        CHECK(UNTOUCHED());
        BAD(growth_audience_similar_brands(ip, ix, 6, 4, brands, 1, 2, gu, gd, 1), GROWTH_EBUFS, NULL);
        CHECK(UNTOUCHED());
        float pguard[6];
        memset(pguard, 0xab, sizeof pguard);
        BAD(growth_audience_pu_score(ip, ix, fval, 6, 4, seed, 2, pool, 4, NULL, pguard, 3, NULL, NULL),
            GROWTH_EBUFS, NULL);
        CHECK(memcmp(pguard, gf, sizeof pguard) == 0);
#undef GUARD
#undef UNTOUCHED
    }

    /* The good calls give the same answers after all the bad ones. */
    CHECK_OK(growth_audience_tgi(ip, ix, 6, 4, seed, 2, tgi, conc, sc, pc, 4));
    CHECK(memcmp(tgi, tgi0, sizeof tgi) == 0);
    CHECK_OK(growth_metrics_topn_precision(ps, pl, 4, 2, &prec));
    CHECK_NEAR(prec, 0.5, 1e-12); /* top 2 by score: users 0 (label 1) and 2 (label 0) */
    CHECK_OK(growth_metrics_topn_lift(ps, pl, 4, 2, &lift));
    CHECK_NEAR(lift, 0.5 / 0.5, 1e-12);
    CHECK_OK(growth_metrics_topn_recall(ps, pl, known, 4, 2, &rec));
    CHECK_OK(growth_audience_similar_brands(ip, ix, 6, 4, brands, 1, 2, ob, oj, 4));
    CHECK_OK(growth_audience_interest(ip, ix, 6, 4, seed, 2, NULL, oa, 4, &na, ou, 6, &nu));
    CHECK_OK(growth_audience_brand(ip, ix, 6, 4, brands, 1, seed, 2, NULL, ou, 6, &n));
    CHECK_OK(growth_audience_rules(ip, ix, 6, 4, NULL, 0, NULL, ra, rc, rs, rcf, rl, 8, &n));
    CHECK_OK(growth_audience_category(ip, ix, 6, 4, tg, 1, seed, 2, NULL, ou, 6, &n));
    CHECK_OK(growth_audience_peer(emb, 6, 2, seed, 2, 2, NULL, ou, osim, 6, &n));
    CHECK_OK(growth_audience_lost(ev_u, ev_t, 4, 6, NULL, ou, olast, 6, &n));
    CHECK_OK(growth_audience_union(lists, lens, dirs, 2, 6, ou, odirs, 6, &n));
    CHECK(n == 2 && ou[0] == 0 && ou[1] == 3 &&
          odirs[1] == (GROWTH_AUDIENCE_INTEREST | GROWTH_AUDIENCE_PEER));
    CHECK_OK(growth_audience_select(su, ss, 4, ex, 1, 0, 2, so, sso, 4, &n));
    CHECK(n == 2 && so[0] == 1 && so[1] == 5);
    CHECK_OK(growth_rank_fuse_scores(fsc, 2, 4, fw, NULL, fo, 4));
    CHECK_OK(growth_rank_fuse_fit(fsc, 2, 4, pl, 2, NULL, ow, 2, &prec, NULL, NULL));
}

/* ---- factorization machines: persistence (fm.h) ------------------------------------------- */

TEST(test_fm_persistence_functions)
{
    growth_fm *m = NULL, *x = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=2 k=3 bits=4 heads=2 seed=4"));
    if (!m) return;
    float v[3] = {0.5f, -0.25f, 0.125f}, g[3] = {1.5f, 2, 3};
    fm_put_vec(m, 3, 0, v, g); /* a touched slot has all its vectors (training's first touch) */
    fm_put_vec(m, 3, 1, v, g);
    fm_put_lin(m, 3, 1, 0.75f, 2.0f);
    fm_mark_touched(m, 3);
    fm_set_examples(m, 17);
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_fm_serialize(m, &b0.buf, &b0.len));

    char path[512], ffm[512];
    gt_path(path, sizeof path, "bad_input.fm");
    gt_path(ffm, sizeof ffm, "bad_input.libffm");
    BAD(growth_fm_save(NULL, path), GROWTH_EINVAL, "fm_save");
    BAD(growth_fm_save(m, NULL), GROWTH_EINVAL, "fm_save");
    BAD(growth_fm_save(m, ""), GROWTH_EINVAL, NULL);
    BAD(growth_fm_save(m, "/nonexistent-dir/x.fm"), GROWTH_EIO, "fm_save");
    BAD(growth_fm_save(m, gt_tmpdir()), GROWTH_EIO, NULL); /* a directory */
    BAD(growth_fm_load(NULL, path), GROWTH_EINVAL, "fm_load");
    BAD(growth_fm_load(&x, NULL), GROWTH_EINVAL, "fm_load");
    BAD(growth_fm_load(&x, "/nonexistent-dir/x.fm"), GROWTH_EIO, "fm_load");
    BAD(growth_fm_load(&x, gt_tmpdir()), GROWTH_EIO, NULL);
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_fm_load(&x, path), GROWTH_EFORMAT, "fm_load");
    bad_garbage_file(path, sizeof path);
    BAD(growth_fm_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_fm_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "fm_serialize");
    BAD(growth_fm_serialize(m, NULL, &b1.len), GROWTH_EINVAL, NULL);
    BAD(growth_fm_serialize(m, &b1.buf, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_fm_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "fm_deserialize");
    BAD(growth_fm_deserialize(&x, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_fm_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, "fm_deserialize");
    BAD(growth_fm_deserialize(&x, junk, 0), GROWTH_EFORMAT, NULL);
    BAD(growth_fm_deserialize(&x, b0.buf, b0.len - 1), GROWTH_EFORMAT, NULL);
    BAD(growth_fm_deserialize(&x, b0.buf, SIZE_MAX), GROWTH_EFORMAT, NULL);
    {
        growth_ftrl *f = NULL;
        bad_bytes fb = {0};
        CHECK_OK(growth_ftrl_create(&f, "bits=4"));
        CHECK_OK(growth_ftrl_serialize(f, &fb.buf, &fb.len));
        BAD(growth_fm_deserialize(&x, fb.buf, fb.len), GROWTH_EFORMAT, "ftrl");
        bad_bytes_free(&fb);
        growth_ftrl_free(f);
    }

    /* LIBFFM: a valid file (n=2 m=1 k=1, align=4: 13 + 2 x 8 floats), then broken ones */
    uint8_t lf[13 + 2 * 8 * 4] = {0};
    gput_u32(lf, 2);
    gput_u32(lf + 4, 1);
    gput_u32(lf + 8, 1);
    lf[12] = 1;
    for (int j = 0; j < 2; j++) {
        float one = 1.0f;
        uint32_t u;
        memcpy(&u, &one, 4);
        for (int s = 0; s < 4; s++) gput_u32(lf + 13 + (size_t)(j * 8 + 4 + s) * 4, u); /* the sums */
    }
    FILE *fp = fopen(ffm, "wb");
    fwrite(lf, 1, sizeof lf, fp);
    fclose(fp);
    CHECK_OK(growth_fm_import_libffm(&x, ffm, NULL));
    growth_fm_free(x);
    x = NULL;
    BAD(growth_fm_import_libffm(NULL, ffm, NULL), GROWTH_EINVAL, "fm_import_libffm");
    BAD(growth_fm_import_libffm(&x, NULL, NULL), GROWTH_EINVAL, "fm_import_libffm");
    BAD(growth_fm_import_libffm(&x, ffm, "align=2"), GROWTH_EINVAL, "align");
    BAD(growth_fm_import_libffm(&x, ffm, "colour=red"), GROWTH_EINVAL, "colour");
    BAD(growth_fm_import_libffm(&x, ffm, "eta=-1"), GROWTH_EINVAL, "eta");
    BAD(growth_fm_import_libffm(&x, ffm, "lambda=nan"), GROWTH_EINVAL, "lambda");
    BAD(growth_fm_import_libffm(&x, ffm, "k=4"), GROWTH_EINVAL, "'k'");
    BAD(growth_fm_import_libffm(&x, ffm, "seed=1 seed=2"), GROWTH_EINVAL, "seed");
    BAD(growth_fm_import_libffm(&x, ffm, "max_memory=10"), GROWTH_ENOMEM, "max_memory");
    BAD(growth_fm_import_libffm(&x, "/nonexistent-dir/x.ffm", NULL), GROWTH_EIO, "fm_import_libffm");
    BAD(growth_fm_import_libffm(&x, gt_tmpdir(), NULL), GROWTH_EIO, NULL);
    BAD(growth_fm_import_libffm(&x, ffm, "align=1"), GROWTH_EFORMAT, "align=4");
    CHECK_OK(growth_fm_save(m, path));
    BAD(growth_fm_import_libffm(&x, path, NULL), GROWTH_EFORMAT, "fm_import_libffm"); /* an FM file */
    BAD(growth_fm_load(&x, ffm), GROWTH_EFORMAT, "magic"); /* and the other way round */
    bad_garbage_file(path, sizeof path);
    BAD(growth_fm_import_libffm(&x, path, NULL), GROWTH_EFORMAT, NULL);
    fp = fopen(ffm, "wb");
    fwrite(lf, 1, sizeof lf - 1, fp);
    fclose(fp);
    BAD(growth_fm_import_libffm(&x, ffm, NULL), GROWTH_EFORMAT, "truncated");
    fp = fopen(ffm, "wb");
    fwrite(lf, 1, 7, fp);
    fclose(fp);
    BAD(growth_fm_import_libffm(&x, ffm, NULL), GROWTH_EFORMAT, "header");
    gput_u32(lf + 8, 65); /* k > 64 */
    fp = fopen(ffm, "wb");
    fwrite(lf, 1, sizeof lf, fp);
    fclose(fp);
    BAD(growth_fm_import_libffm(&x, ffm, NULL), GROWTH_EFORMAT, "k=65");
    CHECK(x == NULL);
    remove(ffm);
    remove(path);

    /* Unchanged and working. */
    BAD_SAME_STATE(fm, growth_fm, m, b0);
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    CHECK_OK(growth_fm_stats_get(m, &st));
    CHECK(st.touched == 1 && st.examples == 17);
    growth_fm_free(NULL);
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_fm_free(m);
}

/* ---- uplift (uplift.h) and the uplift metrics (metrics.h) ---------------------------------- */

#define UR 60

TEST(test_uplift_functions)
{
    static float X[UR * FC], y[UR], prop[UR * 2];
    static int32_t arm[UR];
    for (int i = 0; i < UR; i++) {
        for (int j = 0; j < FC; j++) X[i * FC + j] = (float)((i * (j + 3)) % 11) / 11.0f;
        arm[i] = i % 3;
        y[i] = (X[i * FC] > 0.5f) != (arm[i] == 1) ? 1.0f : 0.0f;
        prop[2 * i] = prop[2 * i + 1] = 0.3f;
    }
    growth_uplift_data d = {
        .struct_size = sizeof d, .nrows = UR, .ncols = FC, .dense = X, .labels = y, .treatment = arm};
    const char *cfg = "treatments=2 base_config='num_rounds=3'", *params = "max_depth=2";
    growth_uplift *x = NULL;
    const char *bad_cfg[] = {"treatments=0", "treatments=65", "method=r_learner",
                             "base=tree",    "epochs=0",      "method=x_learner base=ftrl treatments=2",
                             "colour=red"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++)
        BAD(growth_uplift_train(&x, bad_cfg[i], NULL, &d, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_train(NULL, cfg, params, &d, NULL, NULL), GROWTH_EINVAL, "growth_uplift_train");
    BAD(growth_uplift_train(&x, cfg, params, NULL, NULL, NULL), GROWTH_EINVAL, "growth_uplift_train");
    BAD(growth_uplift_train(&x, cfg, "objective=reg:squarederror", &d, NULL, NULL), GROWTH_EINVAL,
        "objective");
    BAD(growth_uplift_train(&x, "base=ftrl treatments=2", "max_depth=2", &d, NULL, NULL), GROWTH_EINVAL,
        "ftrl");
    BAD(growth_uplift_train(&x, "treatments=1", params, &d, NULL, NULL), GROWTH_EINVAL, "out of range");
    BAD(growth_uplift_train(&x, "treatments=3", params, &d, NULL, NULL), GROWTH_EINVAL, "one arm is missing");
    growth_uplift_data bd = d;
    bd.struct_size = 8;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "struct_size");
    bd = d;
    bd.dense = NULL;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "dense");
    bd = d;
    bd.labels = NULL;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "labels");
    bd = d;
    bd.treatment = NULL;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "treatment");
    bd = d;
    bd.nrows = 1;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "nrows");
    bd = d;
    bd.ncols = 0;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "ncols");
    bd = d;
    bd.nrows = SIZE_MAX / 2;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "too large");
    static float Xb[UR * FC], yb[UR], wb[UR], pb[UR * 2];
    static int32_t ab[UR];
    memcpy(Xb, X, sizeof X);
    Xb[7] = INFINITY;
    bd = d;
    bd.dense = Xb;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "infinite");
    memcpy(yb, y, sizeof y);
    yb[3] = 0.5f;
    bd = d;
    bd.labels = yb;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "labels[3]");
    memcpy(ab, arm, sizeof arm);
    ab[4] = -1;
    bd = d;
    bd.treatment = ab;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "treatment[4]");
    ab[4] = 3;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "out of range");
    for (int i = 0; i < UR; i++) ab[i] = arm[i] == 2 ? 1 : arm[i];
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "one arm is missing");
    for (int i = 0; i < UR; i++) ab[i] = arm[i] == 0 ? 1 : arm[i];
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "no control row");
    for (int i = 0; i < UR; i++) wb[i] = 1.0f;
    wb[5] = NAN;
    bd = d;
    bd.weights = wb;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "weights[5]");
    wb[5] = -1.0f;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "weights[5]");
    const float bad_p[] = {0.0f, 1.0f, -0.5f, 1.5f, NAN, INFINITY};
    bd = d;
    bd.propensity = pb;
    for (size_t k = 0; k < sizeof bad_p / sizeof *bad_p; k++) {
        memcpy(pb, prop, sizeof prop);
        pb[9] = bad_p[k];
        BAD(growth_uplift_train(&x, "method=class_transform treatments=2", params, &bd, NULL, NULL),
            GROWTH_EINVAL, "outside (0, 1)");
    }
    for (int i = 0; i < 2 * UR; i++) pb[i] = 0.5f;
    BAD(growth_uplift_train(&x, cfg, params, &bd, NULL, NULL), GROWTH_EINVAL, "control's share");
    BAD(growth_uplift_train(&x, cfg, params, &d, stop_now, NULL), GROWTH_ECANCELED, "canceled");
    CHECK(x == NULL);

    growth_uplift *u = NULL;
    CHECK_OK(growth_uplift_train(&u, cfg, params, &d, NULL, NULL));
    growth_uplift *ct = NULL;
    CHECK_OK(growth_uplift_train(&ct, "method=class_transform treatments=2 base_config='num_rounds=2'",
                                 params, &d, NULL, NULL));
    bad_bytes before = {0};
    CHECK_OK(growth_uplift_serialize(u, &before.buf, &before.len));
    float out[UR * 3], nanrow[FC] = {NAN, 1, 2}, infrow[FC] = {INFINITY, 1, 2};
    char buf[256];
    size_t n = 0;
    BAD(growth_uplift_predict(NULL, X, FC, 0, out, 2), GROWTH_EINVAL, "growth_uplift_predict");
    BAD(growth_uplift_predict(u, NULL, FC, 0, out, 2), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_predict(u, X, FC, 0, NULL, 2), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_predict(u, X, FC + 1, 0, out, 2), GROWTH_EINVAL, "features");
    BAD(growth_uplift_predict(u, X, FC, 0x4, out, 2), GROWTH_EINVAL, "flags");
    BAD(growth_uplift_predict(u, X, FC, 0, out, 1), GROWTH_EBUFS, NULL);
    BAD(growth_uplift_predict(u, X, FC, GROWTH_UPLIFT_RESPONSE, out, 2), GROWTH_EBUFS, NULL);
    BAD(growth_uplift_predict(u, infrow, FC, 0, out, 2), GROWTH_EINVAL, "infinite");
    BAD(growth_uplift_predict(ct, X, FC, GROWTH_UPLIFT_RESPONSE, out, 3), GROWTH_ESTATE, "class_transform");
    CHECK_OK(growth_uplift_predict(u, nanrow, FC, 0, out, 2));
    BAD(growth_uplift_predict_dense(NULL, X, UR, FC, 0, out, UR * 2), GROWTH_EINVAL,
        "growth_uplift_predict_dense");
    BAD(growth_uplift_predict_dense(u, NULL, UR, FC, 0, out, UR * 2), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_predict_dense(u, X, UR, FC, 0, NULL, UR * 2), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_predict_dense(u, X, UR, FC - 1, 0, out, UR * 2), GROWTH_EINVAL, "features");
    BAD(growth_uplift_predict_dense(u, X, SIZE_MAX / 4, FC, 0, out, UR * 2), GROWTH_EINVAL, "too large");
    BAD(growth_uplift_predict_dense(u, X, UR, FC, 0, out, UR * 2 - 1), GROWTH_EBUFS, NULL);
    BAD(growth_uplift_predict_dense(u, X, UR, FC, 0x1, out, UR * 2), GROWTH_EINVAL, "flags");
    BAD(growth_uplift_config(NULL, buf, sizeof buf, &n), GROWTH_EINVAL, "growth_uplift_config");
    BAD(growth_uplift_config(u, NULL, 8, &n), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_config(u, buf, 4, &n), GROWTH_EBUFS, NULL);
    CHECK(n > 4);
    growth_uplift_stats st = GROWTH_UPLIFT_STATS_INIT;
    BAD(growth_uplift_stats_get(NULL, &st), GROWTH_EINVAL, "growth_uplift_stats_get");
    BAD(growth_uplift_stats_get(u, NULL), GROWTH_EINVAL, NULL);
    st.struct_size = 8;
    BAD(growth_uplift_stats_get(u, &st), GROWTH_EINVAL, NULL);
    char path[512], other[512], garbage[512];
    gt_path(path, sizeof path, "bad_input_uplift.model");
    bad_other_kind_file(other, sizeof other, 0);
    bad_garbage_file(garbage, sizeof garbage);
    BAD(growth_uplift_save(NULL, path), GROWTH_EINVAL, "growth_uplift_save");
    BAD(growth_uplift_save(u, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_save(u, "/nonexistent-dir/x/u.model"), GROWTH_EIO, NULL);
    BAD(growth_uplift_load(NULL, path), GROWTH_EINVAL, "growth_uplift_load");
    BAD(growth_uplift_load(&x, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_load(&x, "/nonexistent-dir/u.model"), GROWTH_EIO, NULL);
    BAD(growth_uplift_load(&x, other), GROWTH_EFORMAT, NULL);
    BAD(growth_uplift_load(&x, garbage), GROWTH_EFORMAT, NULL);
    uint8_t *sb = NULL;
    size_t sl = 0;
    BAD(growth_uplift_serialize(NULL, &sb, &sl), GROWTH_EINVAL, "growth_uplift_serialize");
    BAD(growth_uplift_serialize(u, NULL, &sl), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_serialize(u, &sb, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_deserialize(NULL, before.buf, before.len), GROWTH_EINVAL, "growth_uplift_deserialize");
    BAD(growth_uplift_deserialize(&x, NULL, 10), GROWTH_EINVAL, NULL);
    BAD(growth_uplift_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_uplift_deserialize(&x, before.buf, before.len - 1), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);
    BAD_SAME_STATE(uplift, growth_uplift, u, before);
    CHECK_OK(growth_uplift_predict_dense(u, X, UR, FC, GROWTH_UPLIFT_RESPONSE, out, UR * 3));
    growth_uplift_free(NULL);
    bad_bytes_free(&before);

    /* growth_uplift_allocate */
    growth_mckp *s = NULL;
    CHECK_OK(growth_mckp_create(&s, ""));
    uint64_t ip[4] = {0, 2, 4, 6}, dec[4] = {0, 2, 1, 6};
    float up[6] = {0.1f, 0.2f, -0.1f, 0.3f, 0.05f, 0.0f}, pr[6] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    double co[6] = {1, 2, 1, 2, 1, 2};
    int32_t ch[3];
    BAD(growth_uplift_allocate(NULL, ip, 3, up, pr, co, 2.0, NULL, ch, 3), GROWTH_EINVAL,
        "growth_uplift_allocate");
    BAD(growth_uplift_allocate(s, NULL, 3, up, pr, co, 2.0, NULL, ch, 3), GROWTH_EINVAL, "indptr");
    BAD(growth_uplift_allocate(s, ip, 3, NULL, pr, co, 2.0, NULL, ch, 3), GROWTH_EINVAL, "uplift");
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, NULL, 2.0, NULL, ch, 3), GROWTH_EINVAL, "costs");
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, co, 2.0, NULL, NULL, 3), GROWTH_EINVAL, "out_choice");
    BAD(growth_uplift_allocate(s, ip, 0, up, pr, co, 2.0, NULL, ch, 3), GROWTH_EINVAL, "n_users");
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, co, 2.0, NULL, ch, 2), GROWTH_EBUFS, NULL);
    BAD(growth_uplift_allocate(s, dec, 3, up, pr, co, 2.0, NULL, ch, 3), GROWTH_EINVAL, "decreases");
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, co, -1.0, NULL, ch, 3), GROWTH_EINVAL, "budget");
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, co, NAN, NULL, ch, 3), GROWTH_EINVAL, "budget");
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, co, 2.0, "value=0", ch, 3), GROWTH_EINVAL, "value");
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, co, 2.0, "colour=red", ch, 3), GROWTH_EINVAL, "colour");
    float upb[6], prb[6];
    double cob[6];
    memcpy(upb, up, sizeof up);
    upb[2] = NAN;
    BAD(growth_uplift_allocate(s, ip, 3, upb, pr, co, 2.0, NULL, ch, 3), GROWTH_EINVAL, "uplift[2]");
    memcpy(prb, pr, sizeof pr);
    prb[1] = 1.5f;
    BAD(growth_uplift_allocate(s, ip, 3, up, prb, co, 2.0, NULL, ch, 3), GROWTH_EINVAL, "p_redeem[1]");
    memcpy(cob, co, sizeof co);
    cob[4] = -1;
    BAD(growth_uplift_allocate(s, ip, 3, up, pr, cob, 2.0, NULL, ch, 3), GROWTH_EINVAL, "costs[4]");
    CHECK_OK(growth_uplift_allocate(s, ip, 3, up, NULL, co, 2.0, "value=3 min_uplift=0", ch, 3));
    growth_mckp_free(s);

    /* uplift metrics */
    float sc[UR], ys[UR];
    int32_t ta[UR], t0[UR];
    double v, cx[UR + 1], cy[UR + 1];
    for (int i = 0; i < UR; i++) {
        sc[i] = (float)(i % 7);
        ys[i] = (float)(i % 2);
        ta[i] = i % 3;
        t0[i] = 0;
    }
    BAD(growth_metrics_uplift_at_k(NULL, ys, ta, UR, NULL, &v), GROWTH_EINVAL, "growth_metrics_uplift_at_k");
    BAD(growth_metrics_uplift_at_k(sc, NULL, ta, UR, NULL, &v), GROWTH_EINVAL, "labels");
    BAD(growth_metrics_uplift_at_k(sc, ys, NULL, UR, NULL, &v), GROWTH_EINVAL, "treatment");
    BAD(growth_metrics_uplift_at_k(sc, ys, ta, UR, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_uplift_at_k(sc, ys, ta, 0, NULL, &v), GROWTH_EINVAL, "n is 0");
    BAD(growth_metrics_uplift_at_k(sc, ys, t0, UR, NULL, &v), GROWTH_EINVAL, "one arm is missing");
    BAD(growth_metrics_uplift_at_k(sc, ys, ta, UR, "k=0", &v), GROWTH_EINVAL, "'k'");
    BAD(growth_metrics_uplift_at_k(sc, ys, ta, UR, "k=1", &v), GROWTH_EINVAL, "k = 1");
    BAD(growth_metrics_uplift_at_k(sc, ys, ta, UR, "count=60", &v), GROWTH_EINVAL, "count");
    BAD(growth_metrics_uplift_at_k(sc, ys, ta, UR, "strategy=best", &v), GROWTH_EINVAL, "strategy");
    BAD(growth_metrics_uplift_at_k(sc, ys, ta, UR, "k=0.01", &v), GROWTH_EINVAL, "top rows");
    BAD(growth_metrics_uplift_auc(NULL, ys, ta, UR, NULL, &v), GROWTH_EINVAL, "growth_metrics_uplift_auc");
    BAD(growth_metrics_uplift_auc(sc, ys, ta, UR, NULL, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_metrics_uplift_auc(sc, ys, ta, UR, "arm=5", &v), GROWTH_EINVAL, "one arm is missing");
    BAD(growth_metrics_uplift_auc(sc, ys, ta, UR, "arm=-1", &v), GROWTH_EINVAL, "arm");
    BAD(growth_metrics_qini_auc(NULL, ys, ta, UR, NULL, &v), GROWTH_EINVAL, "growth_metrics_qini_auc");
    BAD(growth_metrics_qini_auc(sc, ys, ta, UR, "negative_effect=maybe", &v), GROWTH_EINVAL,
        "negative_effect");
    float yz[UR] = {0}, scn[UR];
    memcpy(scn, sc, sizeof sc);
    scn[8] = INFINITY;
    BAD(growth_metrics_qini_auc(scn, ys, ta, UR, NULL, &v), GROWTH_EINVAL, "uplift[8]");
    BAD(growth_metrics_qini_auc(sc, yz, ta, UR, NULL, &v), GROWTH_EINVAL, "undefined");
    ta[9] = -2;
    BAD(growth_metrics_qini_auc(sc, ys, ta, UR, NULL, &v), GROWTH_EINVAL, "treatment[9]");
    ta[9] = 0;
    ys[10] = 2.0f;
    BAD(growth_metrics_uplift_auc(sc, ys, ta, UR, NULL, &v), GROWTH_EINVAL, "label[10]");
    ys[10] = 0.0f;
    BAD(growth_metrics_qini_curve(NULL, ys, ta, UR, NULL, cx, cy, UR + 1, &n), GROWTH_EINVAL,
        "growth_metrics_qini_curve");
    BAD(growth_metrics_qini_curve(sc, ys, ta, UR, NULL, NULL, cy, UR + 1, &n), GROWTH_EINVAL, "out_x");
    BAD(growth_metrics_qini_curve(sc, ys, ta, UR, NULL, cx, cy, 3, &n), GROWTH_EBUFS, NULL);
    CHECK(n == 8); /* 7 distinct scores + (0, 0) */
    BAD(growth_metrics_qini_curve(sc, ys, ta, UR, "perfect=maybe", cx, cy, UR + 1, &n), GROWTH_EINVAL,
        "perfect");
    BAD(growth_metrics_uplift_curve(NULL, ys, ta, UR, NULL, cx, cy, UR + 1, &n), GROWTH_EINVAL,
        "growth_metrics_uplift_curve");
    BAD(growth_metrics_uplift_curve(sc, ys, ta, UR, NULL, cx, NULL, UR + 1, &n), GROWTH_EINVAL, "out_y");
    BAD(growth_metrics_uplift_curve(sc, ys, t0, UR, NULL, cx, cy, UR + 1, &n), GROWTH_EINVAL,
        "one arm is missing");
    BAD(growth_metrics_uplift_curve(sc, ys, ta, UR, NULL, cx, cy, 0, &n), GROWTH_EBUFS, NULL);
    CHECK_OK(growth_metrics_uplift_curve(sc, ys, ta, UR, NULL, cx, cy, UR + 1, &n));
    growth_uplift_free(u);
    growth_uplift_free(ct);
    remove(other);
    remove(garbage);
}

/* ---- delayed feedback (delayed.h) -------------------------------------------------------------- */

static int delayed_same_stats(const growth_delayed_stats *a, const growth_delayed_stats *b)
{
    return memcmp(a, b, offsetof(growth_delayed_stats, time)) == 0 &&
           (a->time == b->time || (a->time != a->time && b->time != b->time));
}

TEST(test_delayed_functions)
{
    growth_ftrl *m = NULL;
    growth_fm *fm = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=6 heads=2"));
    CHECK_OK(growth_fm_create(&fm, "model=ffm fields=2 bits=6 k=2"));
    growth_delayed *d = NULL, *x = NULL;
    static const char *bad_cfg[] = {"method=esdfm9",    "window=0",   "window=-1",
                                    "elapsed=-1",       "elapsed=1",  "method=naive window=1 elapsed=2",
                                    "max_memory=-1",    "window=nan", "bogus=1",
                                    "window=1 window=2"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof bad_cfg[0]; i++)
        BAD(growth_delayed_create_ftrl(&x, m, 0, bad_cfg[i]), GROWTH_EINVAL, NULL);
    CHECK(x == NULL);
    BAD(growth_delayed_create_ftrl(NULL, m, 0, NULL), GROWTH_EINVAL, "growth_delayed_create_ftrl");
    BAD(growth_delayed_create_ftrl(&x, NULL, 0, NULL), GROWTH_EINVAL, "model");
    BAD(growth_delayed_create_ftrl(&x, m, 2, NULL), GROWTH_EINVAL, "head");
    BAD(growth_delayed_create_fm(NULL, fm, 0, NULL), GROWTH_EINVAL, "growth_delayed_create_fm");
    BAD(growth_delayed_create_fm(&x, NULL, 0, NULL), GROWTH_EINVAL, "model");
    BAD(growth_delayed_create_fm(&x, fm, 1, NULL), GROWTH_EINVAL, "head");
    BAD(growth_delayed_create_fm(&x, fm, 0, "window=0"), GROWTH_EINVAL, "window");
    CHECK(x == NULL);
    CHECK_OK(growth_delayed_create_ftrl(&d, m, 1, "window=10 max_memory=100000"));
    const uint32_t idx[3] = {1, 2, 3}, big[1] = {64};
    const float val[3] = {1, 0.5f, 2}, nanv[3] = {1, NAN, 2};
    const uint8_t fld[3] = {0, 1, 0}, badf[3] = {0, 2, 0};
    CHECK_OK(growth_delayed_impression(d, 1, 1.0, idx, NULL, val, 3));
    growth_delayed_stats before = GROWTH_DELAYED_STATS_INIT, after = GROWTH_DELAYED_STATS_INIT;
    CHECK_OK(growth_delayed_stats_get(d, &before));
    float p0[2], p1[2];
    CHECK_OK(growth_ftrl_predict(m, idx, val, 3, 0, p0, 2));
    BAD(growth_delayed_impression(NULL, 2, 2.0, idx, NULL, val, 3), GROWTH_EINVAL,
        "growth_delayed_impression");
    BAD(growth_delayed_impression(d, 2, 2.0, NULL, NULL, val, 3), GROWTH_EINVAL, "idx");
    BAD(growth_delayed_impression(d, 2, NAN, idx, NULL, val, 3), GROWTH_EINVAL, "finite");
    BAD(growth_delayed_impression(d, 2, INFINITY, idx, NULL, val, 3), GROWTH_EINVAL, "finite");
    BAD(growth_delayed_impression(d, 2, 0.5, idx, NULL, val, 3), GROWTH_EINVAL, "backwards");
    BAD(growth_delayed_impression(d, 1, 2.0, idx, NULL, val, 3), GROWTH_EINVAL, "already pending");
    BAD(growth_delayed_impression(d, 2, 2.0, big, NULL, NULL, 1), GROWTH_EINVAL, "bad row");
    BAD(growth_delayed_impression(d, 2, 2.0, idx, NULL, nanv, 3), GROWTH_EINVAL, "bad row");
    BAD(growth_delayed_impression(d, 2, 2.0, idx, fld, val, 3), GROWTH_EINVAL, "fld");
    BAD(growth_delayed_impression(d, 2, 2.0, idx, NULL, val, SIZE_MAX), GROWTH_EINVAL, "nnz");
    BAD(growth_delayed_conversion(NULL, 1, 2.0), GROWTH_EINVAL, "growth_delayed_conversion");
    BAD(growth_delayed_conversion(d, 1, NAN), GROWTH_EINVAL, "finite");
    BAD(growth_delayed_conversion(d, 1, 0.0), GROWTH_EINVAL, "backwards");
    BAD(growth_delayed_advance(NULL, 2.0), GROWTH_EINVAL, "growth_delayed_advance");
    BAD(growth_delayed_advance(d, -INFINITY), GROWTH_EINVAL, "finite");
    BAD(growth_delayed_advance(d, 0.0), GROWTH_EINVAL, "backwards");
    CHECK_OK(growth_delayed_stats_get(d, &after));
    CHECK(delayed_same_stats(&before, &after));
    CHECK_OK(growth_ftrl_predict(m, idx, val, 3, 0, p1, 2));
    CHECK(memcmp(p0, p1, sizeof p0) == 0);
    /* a row alone larger than max_memory */
    growth_delayed *small = NULL;
    CHECK_OK(growth_delayed_create_ftrl(&small, m, 0, "max_memory=64"));
    BAD(growth_delayed_impression(small, 1, 0.0, idx, NULL, val, 3), GROWTH_ENOMEM, "max_memory");
    growth_delayed_free(small);
    /* an unknown id is counted, not an error */
    BAD(growth_delayed_conversion(d, 77, 2.0), GROWTH_OK, NULL);
    CHECK_OK(growth_delayed_stats_get(d, &after));
    CHECK(after.conversions_unknown == 1);
    BAD(growth_delayed_stats_get(NULL, &after), GROWTH_EINVAL, "growth_delayed_stats_get");
    BAD(growth_delayed_stats_get(d, NULL), GROWTH_EINVAL, "out");
    growth_delayed_stats tiny = GROWTH_DELAYED_STATS_INIT;
    tiny.struct_size = 4;
    BAD(growth_delayed_stats_get(d, &tiny), GROWTH_EINVAL, "struct_size");
    char buf[8];
    size_t n = 0;
    BAD(growth_delayed_config(NULL, buf, sizeof buf, &n), GROWTH_EINVAL, "growth_delayed_config");
    BAD(growth_delayed_config(d, buf, sizeof buf, NULL), GROWTH_EINVAL, "out_n");
    BAD(growth_delayed_config(d, NULL, 4, &n), GROWTH_EINVAL, "buf");
    BAD(growth_delayed_config(d, buf, sizeof buf, &n), GROWTH_EBUFS, NULL);
    CHECK(n > sizeof buf);
    growth_delayed_free(d);
    growth_delayed_free(NULL);
    /* FM: fields checked against the model, required for ffm */
    CHECK_OK(growth_delayed_create_fm(&d, fm, 0, "method=naive elapsed=1"));
    BAD(growth_delayed_impression(d, 1, 0.0, idx, NULL, val, 3), GROWTH_EINVAL, "bad row");
    BAD(growth_delayed_impression(d, 1, 0.0, idx, badf, val, 3), GROWTH_EINVAL, "bad row");
    CHECK_OK(growth_delayed_impression(d, 1, 0.0, idx, fld, val, 3));
    CHECK_OK(growth_delayed_advance(d, 5.0));
    CHECK_OK(growth_delayed_stats_get(d, &after));
    CHECK(after.trained_negative == 1 && after.pending == 1);
    growth_delayed_free(d);
    growth_fm_free(fm);
    growth_ftrl_free(m);
}

int main(void)
{
    RUN(test_forest_functions);
    RUN(test_net_functions);
    RUN(test_dssm_functions);
    RUN(test_audience_functions);
    RUN(test_fm_persistence_functions);
    RUN(test_uplift_functions);
    RUN(test_delayed_functions);
    return BAD_SUMMARY("bad-input matrix (models)");
}
