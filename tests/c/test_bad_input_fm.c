/* The bad-input matrix of fm.h: every public growth_fm_* function with NULL handles and buffers,
 * short buffers (EBUFS and its out_n), out-of-range slots, fields and heads, NaN/Inf values,
 * bad labels and weights, bad options and data sets. Each call must return the expected status
 * with a message naming the function, and the models must be exactly as before (every factor,
 * AdaGrad sum, linear statistic, bias, head weight and counter, read through fm_impl.h) and
 * still work. The persistence calls are covered for their NULL arguments here (their own tests
 * live with their implementation). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bad_input.h"
#include "fm/fm_impl.h"

/* Everything a model holds, as bytes (through the accessors of fm_impl.h). */
typedef struct {
    float *f;
    size_t n;
} fm_state;

static fm_state state_of(const growth_fm *m)
{
    const fm_cfg *c = fm_config_of(m);
    size_t slots = (size_t)1 << c->bits, V = (size_t)fm_vectors_per_slot(c), K = (size_t)c->k,
           H = (size_t)c->heads;
    fm_state s;
    s.n = slots * V * K * 2 + slots * H * 2 + H * (2 + 2 * K) + slots + 2;
    s.f = calloc(s.n, sizeof(float));
    size_t p = 0;
    fm_lock(m);
    for (size_t slot = 0; slot < slots; slot++) {
        for (size_t f = 0; f < V; f++) {
            fm_get_vec(m, slot, (int)f, s.f + p, s.f + p + K);
            p += 2 * K;
        }
        for (size_t h = 0; h < H; h++) {
            fm_get_lin(m, slot, (int)h, s.f + p, s.f + p + 1);
            p += 2;
        }
        s.f[p++] = fm_is_touched(m, slot) ? 1.0f : 0.0f;
    }
    for (size_t h = 0; h < H; h++) {
        fm_get_bias(m, (int)h, s.f + p, s.f + p + 1);
        fm_get_head(m, (int)h, s.f + p + 2, s.f + p + 2 + K);
        p += 2 + 2 * K;
    }
    s.f[p++] = (float)fm_examples(m);
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    growth_fm_stats_get(m, &st);
    s.f[p++] = (float)st.touched;
    fm_unlock(m);
    return s;
}

static void check_same(fm_state a, const growth_fm *m, int line)
{
    fm_state b = state_of(m);
    if (a.n != b.n || memcmp(a.f, b.f, a.n * sizeof(float)) != 0) {
        fprintf(stderr, "  test_bad_input_fm.c:%d: the model changed through the bad calls\n", line);
        gt_failed_checks++;
    }
    free(b.f);
}

static int stop_now(const char *stage, double done, void *user)
{
    (void)stage;
    (void)done;
    (void)user;
    return 1;
}

TEST(test_create_and_small_calls)
{
    const char *bad[] = {"colour=red",
                         "k=4 k=4",
                         "k",
                         "model=ffm",
                         "model=ffm fields=0",
                         "model=xfm fields=2",
                         "model=fm k=0",
                         "model=fm threads=0",
                         "model=fm threads=65",
                         "model=fm k=65",
                         "model=ffm fields=257",
                         "model=fm bits=0",
                         "model=fm bits=33",
                         "model=fm heads=0",
                         "model=fm heads=17",
                         "model=fm heads=2 head_names=a",
                         "model=fm heads=2 head_names=a|a",
                         "model=fm head_names=a|b",
                         "model=fm head_names=a.b",
                         "model=fm eta=0",
                         "model=fm eta=-1",
                         "model=fm eta=nan",
                         "model=fm lambda=-1",
                         "model=fm init_scale=-0.5",
                         "model=fm alpha=0",
                         "model=fm beta=-1",
                         "model=fm l1=-1",
                         "model=fm l2=-1",
                         "model=fm normalize=maybe",
                         "model=fm precision=half",
                         "model=fm seed=-1",
                         "model=fm max_memory=-5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        growth_fm *m = NULL;
        BAD(growth_fm_create(&m, bad[i]), GROWTH_EINVAL, "growth_fm_create");
        CHECK(m == NULL);
    }
    BAD(growth_fm_create(NULL, "model=fm"), GROWTH_EINVAL, "growth_fm_create");
    growth_fm *m = NULL;
    BAD(growth_fm_create(&m, "model=ffm fields=256 k=64 bits=32"), GROWTH_ENOMEM, "bytes");
    BAD(growth_fm_create(&m, "model=ffm fields=12 bits=20 max_memory=1000000"), GROWTH_ENOMEM, "max_memory");
    CHECK(m == NULL);
    BAD(growth_fm_create(&m, NULL), GROWTH_EINVAL, "fields"); /* the defaults are model=ffm */
    BAD(growth_fm_create(&m, ""), GROWTH_EINVAL, "fields");
    growth_fm_free(NULL);

    CHECK_OK(growth_fm_create(&m, "model=fm bits=6 heads=2 head_names=click|buy"));
    if (!m) return;
    fm_state before = state_of(m);
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    BAD(growth_fm_stats_get(NULL, &st), GROWTH_EINVAL, "growth_fm_stats_get");
    BAD(growth_fm_stats_get(m, NULL), GROWTH_EINVAL, "growth_fm_stats_get");
    st.struct_size = 8;
    BAD(growth_fm_stats_get(m, &st), GROWTH_EINVAL, "struct_size");
    size_t hi = 77;
    BAD(growth_fm_head_index(NULL, "buy", &hi), GROWTH_EINVAL, "growth_fm_head_index");
    BAD(growth_fm_head_index(m, NULL, &hi), GROWTH_EINVAL, "growth_fm_head_index");
    BAD(growth_fm_head_index(m, "buy", NULL), GROWTH_EINVAL, "growth_fm_head_index");
    BAD(growth_fm_head_index(m, "sell", &hi), GROWTH_ENOTFOUND, "sell");
    BAD(growth_fm_head_index(m, "", &hi), GROWTH_ENOTFOUND, "growth_fm_head_index");
    CHECK(hi == 77);
    char buf[8] = "xxxxxxx";
    size_t need = 0;
    BAD(growth_fm_config(NULL, buf, sizeof buf, &need), GROWTH_EINVAL, "growth_fm_config");
    BAD(growth_fm_config(m, buf, sizeof buf, &need), GROWTH_EBUFS, "growth_fm_config");
    CHECK(need > sizeof buf && strcmp(buf, "xxxxxxx") == 0);
    BAD(growth_fm_config(m, NULL, 0, &need), GROWTH_EBUFS, "growth_fm_config");
    BAD(growth_fm_config(m, NULL, 0, NULL), GROWTH_EBUFS, "growth_fm_config");
    BAD(growth_fm_set_progress(NULL, stop_now, NULL), GROWTH_EINVAL, "growth_fm_set_progress");
    BAD(growth_fm_set_config(NULL, "threads=2"), GROWTH_EINVAL, "growth_fm_set_config");
    const char *bad_set[] = {"threads=0", "threads=65", "threads=x",
                             "k=8",       "model=fm",   "threads=2 threads=2"};
    char cb[1024], ca[1024];
    CHECK_OK(growth_fm_config(m, cb, sizeof cb, NULL));
    for (size_t i = 0; i < sizeof bad_set / sizeof bad_set[0]; i++)
        BAD(growth_fm_set_config(m, bad_set[i]), GROWTH_EINVAL, "fm");
    CHECK_OK(growth_fm_config(m, ca, sizeof ca, NULL));
    CHECK(strcmp(cb, ca) == 0);
    CHECK_OK(growth_fm_set_config(m, "threads=4"));
    CHECK_OK(growth_fm_config(m, ca, sizeof ca, NULL));
    CHECK(strstr(ca, " threads=4") != NULL);
    CHECK_OK(growth_fm_set_config(m, ""));
    float w = 5.0f, v[8] = {0};
    size_t n = 99;
    BAD(growth_fm_weight(NULL, 0, 1, &w), GROWTH_EINVAL, "growth_fm_weight");
    BAD(growth_fm_weight(m, 0, 1, NULL), GROWTH_EINVAL, "growth_fm_weight");
    BAD(growth_fm_weight(m, 2, 1, &w), GROWTH_EINVAL, "head");
    BAD(growth_fm_weight(m, SIZE_MAX, 1, &w), GROWTH_EINVAL, "head");
    BAD(growth_fm_weight(m, 0, 64, &w), GROWTH_EINVAL, "index");
    CHECK(w == 5.0f);
    BAD(growth_fm_factors(NULL, 1, 0, v, 8, &n), GROWTH_EINVAL, "growth_fm_factors");
    BAD(growth_fm_factors(m, 1, 0, NULL, 8, &n), GROWTH_EINVAL, "growth_fm_factors");
    BAD(growth_fm_factors(m, 64, 0, v, 8, &n), GROWTH_EINVAL, "index");
    BAD(growth_fm_factors(m, 1, 1, v, 8, &n), GROWTH_EINVAL, "field");
    BAD(growth_fm_factors(m, 1, 0, v, 3, &n), GROWTH_EBUFS, "growth_fm_factors");
    CHECK(n == 4 && v[0] == 0.0f);
    BAD(growth_fm_factors(m, 1, 0, v, 0, NULL), GROWTH_EBUFS, "growth_fm_factors");
    check_same(before, m, __LINE__);
    free(before.f);
    growth_fm_free(m);

    growth_fm *nb = NULL;
    CHECK_OK(growth_fm_create(&nb, "model=ffm fields=3 bits=6 bias=false linear=false"));
    if (nb) {
        BAD(growth_fm_weight(nb, 0, UINT32_MAX, &w), GROWTH_EINVAL, "bias");
        BAD(growth_fm_weight(nb, 0, 3, &w), GROWTH_EINVAL, "linear");
        BAD(growth_fm_factors(nb, 1, 3, v, 8, &n), GROWTH_EINVAL, "field");
    }
    growth_fm_free(nb);
}

TEST(test_rows_labels_weights)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=3 bits=6 heads=2 k=4"));
    if (!m) return;
    uint32_t idx[3] = {1, 2, 3};
    uint8_t fld[3] = {0, 1, 2};
    float val[3] = {1, 0.5f, 2}, y[2] = {1, 0}, out[4] = {-7, -7, -7, -7};
    CHECK_OK(growth_fm_update(m, idx, fld, val, 3, y, 1.0f)); /* a trained model */
    fm_state before = state_of(m);
    uint32_t bidx[3] = {1, 64, 3};
    uint8_t bfld[3] = {0, 3, 2};
    float nanv[3] = {1, NAN, 2}, infv[3] = {1, 2, INFINITY}, yb[2] = {0.5f, 0}, yn[2] = {NAN, 0},
          ym[2] = {-2, 1};

    BAD(growth_fm_predict(NULL, idx, fld, val, 3, 0, out, 2), GROWTH_EINVAL, "growth_fm_predict");
    BAD(growth_fm_predict(m, idx, fld, val, 3, 0, NULL, 2), GROWTH_EINVAL, "growth_fm_predict");
    BAD(growth_fm_predict(m, idx, fld, val, 3, 0, out, 1), GROWTH_EBUFS, "growth_fm_predict");
    BAD(growth_fm_predict(m, NULL, fld, val, 3, 0, out, 2), GROWTH_EINVAL, "idx");
    BAD(growth_fm_predict(m, idx, NULL, val, 3, 0, out, 2), GROWTH_EINVAL, "fld");
    BAD(growth_fm_predict(m, bidx, fld, val, 3, 0, out, 2), GROWTH_EINVAL, "idx[1]");
    BAD(growth_fm_predict(m, idx, bfld, val, 3, 0, out, 2), GROWTH_EINVAL, "fld[1]");
    BAD(growth_fm_predict(m, idx, fld, nanv, 3, 0, out, 2), GROWTH_EINVAL, "val[1]");
    BAD(growth_fm_predict(m, idx, fld, infv, 3, 0, out, 2), GROWTH_EINVAL, "val[2]");
    BAD(growth_fm_predict(m, idx, fld, val, 3, 0x2u, out, 2), GROWTH_EINVAL, "flags");
    BAD(growth_fm_predict(m, idx, fld, val, 3, 0x100u, out, 2), GROWTH_EINVAL, "flags");
    CHECK(out[0] == -7.0f && out[1] == -7.0f);
    CHECK_OK(growth_fm_predict(m, NULL, NULL, NULL, 0, 0, out, 2)); /* an empty row is fine */

    uint64_t ip[3] = {0, 2, 3}, dec[3] = {0, 2, 1};
    BAD(growth_fm_predict_csr(NULL, ip, idx, fld, val, 2, 0, out, 4), GROWTH_EINVAL, "growth_fm_predict_csr");
    BAD(growth_fm_predict_csr(m, NULL, idx, fld, val, 2, 0, out, 4), GROWTH_EINVAL, "indptr");
    BAD(growth_fm_predict_csr(m, dec, idx, fld, val, 2, 0, out, 4), GROWTH_EINVAL, "indptr");
    BAD(growth_fm_predict_csr(m, ip, idx, fld, val, 2, 0, NULL, 4), GROWTH_EINVAL, "growth_fm_predict_csr");
    BAD(growth_fm_predict_csr(m, ip, idx, fld, val, 2, 0, out, 3), GROWTH_EBUFS, "growth_fm_predict_csr");
    BAD(growth_fm_predict_csr(m, ip, bidx, fld, val, 2, 0, out, 4), GROWTH_EINVAL, "idx");
    BAD(growth_fm_predict_csr(m, ip, idx, NULL, val, 2, 0, out, 4), GROWTH_EINVAL, "fld");
    BAD(growth_fm_predict_csr(m, ip, idx, fld, nanv, 2, 0, out, 4), GROWTH_EINVAL, "val");
    BAD(growth_fm_predict_csr(m, ip, idx, fld, val, 2, 4u, out, 4), GROWTH_EINVAL, "flags");
    BAD(growth_fm_predict_csr(m, ip, idx, fld, val, SIZE_MAX / 2 + 1, 0, out, 4), GROWTH_EINVAL, "nrows");
    CHECK(out[0] == -7.0f || out[0] > 0.0f);
    CHECK_OK(growth_fm_predict_csr(m, NULL, NULL, NULL, NULL, 0, 0, NULL, 0)); /* nothing to do */

    BAD(growth_fm_update(NULL, idx, fld, val, 3, y, 1.0f), GROWTH_EINVAL, "growth_fm_update");
    BAD(growth_fm_update(m, idx, fld, val, 3, NULL, 1.0f), GROWTH_EINVAL, "labels");
    BAD(growth_fm_update(m, NULL, fld, val, 3, y, 1.0f), GROWTH_EINVAL, "idx");
    BAD(growth_fm_update(m, idx, NULL, val, 3, y, 1.0f), GROWTH_EINVAL, "fld");
    BAD(growth_fm_update(m, bidx, fld, val, 3, y, 1.0f), GROWTH_EINVAL, "idx[1]");
    BAD(growth_fm_update(m, idx, bfld, val, 3, y, 1.0f), GROWTH_EINVAL, "fld[1]");
    BAD(growth_fm_update(m, idx, fld, nanv, 3, y, 1.0f), GROWTH_EINVAL, "val[1]");
    BAD(growth_fm_update(m, idx, fld, val, 3, yb, 1.0f), GROWTH_EINVAL, "label");
    BAD(growth_fm_update(m, idx, fld, val, 3, yn, 1.0f), GROWTH_EINVAL, "label");
    BAD(growth_fm_update(m, idx, fld, val, 3, ym, 1.0f), GROWTH_EINVAL, "label");
    BAD(growth_fm_update(m, idx, fld, val, 3, y, -1.0f), GROWTH_EINVAL, "weight");
    BAD(growth_fm_update(m, idx, fld, val, 3, y, NAN), GROWTH_EINVAL, "weight");
    BAD(growth_fm_update(m, idx, fld, val, 3, y, INFINITY), GROWTH_EINVAL, "weight");

    BAD(growth_fm_predict_update(NULL, idx, fld, val, 3, y, 1.0f, out, 2), GROWTH_EINVAL,
        "growth_fm_predict_update");
    BAD(growth_fm_predict_update(m, idx, fld, val, 3, NULL, 1.0f, out, 2), GROWTH_EINVAL, "labels");
    BAD(growth_fm_predict_update(m, idx, fld, val, 3, y, 1.0f, out, 1), GROWTH_EBUFS,
        "growth_fm_predict_update");
    BAD(growth_fm_predict_update(m, bidx, fld, val, 3, y, 1.0f, out, 2), GROWTH_EINVAL, "idx[1]");
    BAD(growth_fm_predict_update(m, idx, NULL, val, 3, y, 1.0f, out, 2), GROWTH_EINVAL, "fld");
    BAD(growth_fm_predict_update(m, idx, fld, infv, 3, y, 1.0f, out, 2), GROWTH_EINVAL, "val[2]");
    BAD(growth_fm_predict_update(m, idx, fld, val, 3, yb, 1.0f, out, 2), GROWTH_EINVAL, "label");
    BAD(growth_fm_predict_update(m, idx, fld, val, 3, y, -0.5f, out, 2), GROWTH_EINVAL, "weight");

    float y2[4] = {1, 0, 0, 1}, y2b[4] = {1, 0, 0, 3}, wts[2] = {1, 1}, wbad[2] = {1, NAN}, o4[4];
    uint64_t ipb[3] = {0, 2, 3};
    uint32_t lastbad[3] = {1, 2, 99};
    BAD(growth_fm_update_csr(NULL, ip, idx, fld, val, 2, y2, wts, o4, 4), GROWTH_EINVAL,
        "growth_fm_update_csr");
    BAD(growth_fm_update_csr(m, ip, idx, fld, val, 2, NULL, wts, o4, 4), GROWTH_EINVAL, "labels");
    BAD(growth_fm_update_csr(m, NULL, idx, fld, val, 2, y2, wts, o4, 4), GROWTH_EINVAL, "indptr");
    BAD(growth_fm_update_csr(m, dec, idx, fld, val, 2, y2, wts, o4, 4), GROWTH_EINVAL, "indptr");
    BAD(growth_fm_update_csr(m, ip, idx, fld, val, 2, y2b, wts, o4, 4), GROWTH_EINVAL, "row 1");
    BAD(growth_fm_update_csr(m, ip, idx, fld, val, 2, y2, wbad, o4, 4), GROWTH_EINVAL, "row 1");
    BAD(growth_fm_update_csr(m, ipb, lastbad, fld, val, 2, y2, wts, o4, 4), GROWTH_EINVAL, "idx[2]");
    BAD(growth_fm_update_csr(m, ip, idx, NULL, val, 2, y2, wts, o4, 4), GROWTH_EINVAL, "fld");
    BAD(growth_fm_update_csr(m, ip, idx, fld, val, 2, y2, wts, o4, 3), GROWTH_EBUFS, "out_pred");
    BAD(growth_fm_update_csr(m, ip, idx, fld, val, SIZE_MAX / 2 + 1, y2, wts, o4, 4), GROWTH_EINVAL, "nrows");
    CHECK_OK(growth_fm_update_csr(m, ip, idx, fld, val, 0, NULL, NULL, NULL, 0)); /* nothing to do */

    float e3[3] = {-7, -7, -7};
    BAD(growth_fm_esmm_predict(NULL, 0, 1, idx, fld, val, 3, e3, 3), GROWTH_EINVAL, "growth_fm_esmm_predict");
    BAD(growth_fm_esmm_predict(m, 0, 1, idx, fld, val, 3, NULL, 3), GROWTH_EINVAL, "growth_fm_esmm_predict");
    BAD(growth_fm_esmm_predict(m, 0, 1, idx, fld, val, 3, e3, 2), GROWTH_EBUFS, "growth_fm_esmm_predict");
    BAD(growth_fm_esmm_predict(m, 2, 1, idx, fld, val, 3, e3, 3), GROWTH_EINVAL, "ctr_head");
    BAD(growth_fm_esmm_predict(m, 0, 5, idx, fld, val, 3, e3, 3), GROWTH_EINVAL, "cvr_head");
    BAD(growth_fm_esmm_predict(m, 0, 1, bidx, fld, val, 3, e3, 3), GROWTH_EINVAL, "idx[1]");
    BAD(growth_fm_esmm_predict(m, 0, 1, idx, NULL, val, 3, e3, 3), GROWTH_EINVAL, "fld");
    CHECK(e3[0] == -7.0f);
    BAD(growth_fm_esmm_update(NULL, 0, 1, idx, fld, val, 3, 1, 1, 1), GROWTH_EINVAL, "growth_fm_esmm_update");
    BAD(growth_fm_esmm_update(m, 0, 0, idx, fld, val, 3, 1, 1, 1), GROWTH_EINVAL, "both");
    BAD(growth_fm_esmm_update(m, 2, 1, idx, fld, val, 3, 1, 1, 1), GROWTH_EINVAL, "ctr_head");
    BAD(growth_fm_esmm_update(m, 0, 2, idx, fld, val, 3, 1, 1, 1), GROWTH_EINVAL, "cvr_head");
    BAD(growth_fm_esmm_update(m, 0, 1, idx, fld, val, 3, 2, 1, 1), GROWTH_EINVAL, "click");
    BAD(growth_fm_esmm_update(m, 0, 1, idx, fld, val, 3, NAN, 0, 1), GROWTH_EINVAL, "click");
    BAD(growth_fm_esmm_update(m, 0, 1, idx, fld, val, 3, 1, 0.5f, 1), GROWTH_EINVAL, "conversion");
    BAD(growth_fm_esmm_update(m, 0, 1, idx, fld, val, 3, 0, 1, 1), GROWTH_EINVAL, "funnel");
    BAD(growth_fm_esmm_update(m, 0, 1, idx, fld, val, 3, 1, 1, -1), GROWTH_EINVAL, "weight");
    BAD(growth_fm_esmm_update(m, 0, 1, bidx, fld, val, 3, 1, 1, 1), GROWTH_EINVAL, "idx[1]");
    BAD(growth_fm_esmm_update(m, 0, 1, idx, fld, nanv, 3, 1, 1, 1), GROWTH_EINVAL, "val[1]");

    check_same(before, m, __LINE__);
    free(before.f);
    /* still works */
    CHECK_OK(growth_fm_update(m, idx, fld, val, 3, y, 1.0f));
    CHECK_OK(growth_fm_predict(m, idx, fld, val, 3, 0, out, 2));
    CHECK(out[0] > 0.0f && out[0] < 1.0f);
    growth_fm_free(m);

    /* model=fm: fld may be NULL; with `fields` set, ids are checked */
    CHECK_OK(growth_fm_create(&m, "model=fm bits=6 fields=2"));
    if (m) {
        CHECK_OK(growth_fm_predict(m, idx, NULL, val, 3, 0, out, 1));
        BAD(growth_fm_predict(m, idx, fld, val, 3, 0, out, 1), GROWTH_EINVAL, "fld[2]");
    }
    growth_fm_free(m);
}

TEST(test_fit)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=2 bits=6 k=4"));
    if (!m) return;
    uint64_t ip[4] = {0, 2, 4, 5};
    uint32_t idx[5] = {1, 2, 3, 4, 5};
    uint8_t fld[5] = {0, 1, 0, 1, 1};
    float y[3] = {1, 0, 1}, w[3] = {1, 2, 1};
    growth_fm_data d = GROWTH_FM_DATA_INIT;
    d.nrows = 3;
    d.indptr = ip;
    d.indices = idx;
    d.fields = fld;
    d.labels = y;
    d.weights = w;
    CHECK_OK(growth_fm_fit(m, &d, NULL, "epochs=2", NULL));
    fm_state before = state_of(m);
    growth_fm_fit_result res = GROWTH_FM_FIT_RESULT_INIT;
    res.epochs = 1234;
    BAD(growth_fm_fit(NULL, &d, NULL, "", &res), GROWTH_EINVAL, "growth_fm_fit");
    BAD(growth_fm_fit(m, NULL, NULL, "", &res), GROWTH_EINVAL, "growth_fm_fit");
    const char *opts[] = {"epochs=0", "epochs=10001", "shuffle=sometimes", "seed=-1", "colour=red", "epochs"};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        BAD(growth_fm_fit(m, &d, NULL, opts[i], &res), GROWTH_EINVAL, "growth_fm_fit");
    BAD(growth_fm_fit(m, &d, NULL, "auto_stop=true", &res), GROWTH_EINVAL, "auto_stop");
    growth_fm_fit_result small = res;
    small.struct_size = 8;
    BAD(growth_fm_fit(m, &d, NULL, "", &small), GROWTH_EINVAL, "struct_size");
    growth_fm_data b = d;
    b.struct_size = 4;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "struct_size");
    struct {
        growth_fm_data d;
        uint64_t extra;
    } big = {d, 7};
    big.d.struct_size = sizeof big;
    BAD(growth_fm_fit(m, &big.d, NULL, "", &res), GROWTH_EINVAL, "does not know");
    b = d;
    b.nrows = 0;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "rows");
    b = d;
    b.indptr = NULL;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "indptr");
    b = d;
    b.labels = NULL;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "labels");
    b = d;
    b.indices = NULL;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "idx");
    b = d;
    b.fields = NULL;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "fld");
    uint64_t dec[4] = {0, 2, 1, 5};
    b = d;
    b.indptr = dec;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "indptr");
    uint32_t bidx[5] = {1, 2, 3, 4, 64};
    b = d;
    b.indices = bidx;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "idx[4]");
    uint8_t bfld[5] = {0, 1, 0, 1, 2};
    b = d;
    b.fields = bfld;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "fld[4]");
    float nanv[5] = {1, 1, 1, 1, NAN};
    b = d;
    b.values = nanv;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "val[4]");
    float yb[3] = {1, 0, 0.5f}, wb[3] = {1, 1, -1};
    b = d;
    b.labels = yb;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "row 2");
    b = d;
    b.weights = wb;
    BAD(growth_fm_fit(m, &b, NULL, "", &res), GROWTH_EINVAL, "row 2");
    b = d;
    b.labels = yb;
    BAD(growth_fm_fit(m, &d, &b, "", &res), GROWTH_EINVAL, "valid");
    b = d;
    b.indices = bidx;
    BAD(growth_fm_fit(m, &d, &b, "", &res), GROWTH_EINVAL, "valid");
    CHECK(res.epochs == 1234);
    /* a canceled fit leaves the model as it was */
    CHECK_OK(growth_fm_set_progress(m, stop_now, NULL));
    BAD(growth_fm_fit(m, &d, &d, "epochs=3", &res), GROWTH_ECANCELED, "growth_fm_fit");
    CHECK_OK(growth_fm_set_progress(m, NULL, NULL));
    CHECK(res.epochs == 1234);
    check_same(before, m, __LINE__);
    free(before.f);
    CHECK_OK(growth_fm_fit(m, &d, &d, "epochs=3", &res));
    CHECK(res.epochs >= 1);
    growth_fm_free(m);

    /* auto-stop keeps a copy of the tables: refused up front when max_memory has no room */
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=2 bits=12 k=4 max_memory=400000"));
    if (m) {
        before = state_of(m);
        BAD(growth_fm_fit(m, &d, &d, "epochs=2", &res), GROWTH_ENOMEM, "max_memory");
        check_same(before, m, __LINE__);
        free(before.f);
        CHECK_OK(growth_fm_fit(m, &d, &d, "epochs=2 auto_stop=false", &res));
    }
    growth_fm_free(m);
}

TEST(test_persistence_null_arguments)
{
    /* The persistence calls (fm_persist.c, fm_libffm.c) with NULL arguments. */
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=fm bits=4"));
    uint8_t *buf = NULL;
    size_t len = 0;
    char path[512];
    gt_path(path, sizeof path, "bad_input_fm.model");
    BAD(growth_fm_save(NULL, path), GROWTH_EINVAL, "growth_fm_save");
    BAD(growth_fm_save(m, NULL), GROWTH_EINVAL, "growth_fm_save");
    BAD(growth_fm_load(NULL, path), GROWTH_EINVAL, "growth_fm_load");
    growth_fm *x = NULL;
    BAD(growth_fm_load(&x, NULL), GROWTH_EINVAL, "growth_fm_load");
    BAD(growth_fm_serialize(NULL, &buf, &len), GROWTH_EINVAL, "growth_fm_serialize");
    BAD(growth_fm_serialize(m, NULL, &len), GROWTH_EINVAL, "growth_fm_serialize");
    BAD(growth_fm_serialize(m, &buf, NULL), GROWTH_EINVAL, "growth_fm_serialize");
    BAD(growth_fm_deserialize(NULL, (const uint8_t *)"x", 1), GROWTH_EINVAL, "growth_fm_deserialize");
    BAD(growth_fm_deserialize(&x, NULL, 10), GROWTH_EINVAL, "growth_fm_deserialize");
    BAD(growth_fm_import_libffm(NULL, path, ""), GROWTH_EINVAL, "growth_fm_import_libffm");
    BAD(growth_fm_import_libffm(&x, NULL, ""), GROWTH_EINVAL, "growth_fm_import_libffm");
    CHECK(x == NULL && buf == NULL);
    growth_fm_free(m);
}

/* table=exact and the key calls (growth_fm_predict_keys, update_keys, weight_key, factors_key),
 * on an exact and on a hashed model: every bad call fails with the code and leaves the model's
 * bytes as they were. */
TEST(test_exact_and_keys)
{
    growth_fm *m = NULL;
    BAD(growth_fm_create(&m, "model=fm admit=2"), GROWTH_EINVAL, "table=exact");
    BAD(growth_fm_create(&m, "model=fm expire=5"), GROWTH_EINVAL, "table=exact");
    BAD(growth_fm_create(&m, "model=fm expire_seconds=5"), GROWTH_EINVAL, "table=exact");
    BAD(growth_fm_create(&m, "model=fm admit_prob=0.5"), GROWTH_EINVAL, "table=exact");
    BAD(growth_fm_create(&m, "model=fm admit_sketch=2048"), GROWTH_EINVAL, "table=exact");
    BAD(growth_fm_create(&m, "model=fm table=exact admit=256"), GROWTH_EINVAL, "admit");
    BAD(growth_fm_create(&m, "model=fm table=exact admit_prob=1.5"), GROWTH_EINVAL, "admit_prob");
    BAD(growth_fm_create(&m, "model=fm table=exact admit_sketch=10"), GROWTH_EINVAL, "admit_sketch");
    BAD(growth_fm_create(&m, "model=fm table=exact expire=-1"), GROWTH_EINVAL, "expire");
    BAD(growth_fm_create(&m, "model=fm table=btree"), GROWTH_EINVAL, "table");
    BAD(growth_fm_create(&m, "model=fm table=exact max_memory=1000"), GROWTH_ENOMEM, "max_memory");
    CHECK(m == NULL);
    const char *cfgs[2] = {"model=ffm fields=3 k=4 bits=8 table=exact admit=2 expire=100",
                           "model=ffm fields=3 k=4 bits=8"};
    for (int c = 0; c < 2; c++) {
        CHECK_OK(growth_fm_create(&m, cfgs[c]));
        if (!m) continue;
        uint64_t keys[3] = {1, UINT64_MAX, 1ull << 40};
        uint8_t fld[3] = {0, 1, 2}, badf[3] = {0, 3, 1};
        float val[3] = {1, 2, 3}, nanv[3] = {1, NAN, 1}, y = 1, bad_y = 2, p[2] = {0, 0}, v[8];
        size_t n = 0;
        for (int i = 0; i < 4; i++) CHECK_OK(growth_fm_update_keys(m, keys, fld, val, 3, &y, 1.0f, NULL, 0));
        uint8_t *before = NULL;
        size_t before_len = 0;
        CHECK_OK(growth_fm_serialize(m, &before, &before_len));
        BAD(growth_fm_predict_keys(NULL, keys, fld, val, 3, 0, p, 1), GROWTH_EINVAL,
            "growth_fm_predict_keys");
        BAD(growth_fm_predict_keys(m, NULL, fld, val, 3, 0, p, 1), GROWTH_EINVAL, "keys");
        BAD(growth_fm_predict_keys(m, keys, NULL, val, 3, 0, p, 1), GROWTH_EINVAL, "fld");
        BAD(growth_fm_predict_keys(m, keys, badf, val, 3, 0, p, 1), GROWTH_EINVAL, "fld[1]");
        BAD(growth_fm_predict_keys(m, keys, fld, nanv, 3, 0, p, 1), GROWTH_EINVAL, "val[1]");
        BAD(growth_fm_predict_keys(m, keys, fld, val, 3, 0x4u, p, 1), GROWTH_EINVAL, "flags");
        BAD(growth_fm_predict_keys(m, keys, fld, val, 3, 0, NULL, 1), GROWTH_EINVAL, "out");
        BAD(growth_fm_predict_keys(m, keys, fld, val, 3, 0, p, 0), GROWTH_EBUFS, "out");
        BAD(growth_fm_update_keys(NULL, keys, fld, val, 3, &y, 1.0f, NULL, 0), GROWTH_EINVAL,
            "growth_fm_update_keys");
        BAD(growth_fm_update_keys(m, NULL, fld, val, 3, &y, 1.0f, NULL, 0), GROWTH_EINVAL, "keys");
        BAD(growth_fm_update_keys(m, keys, fld, val, 3, NULL, 1.0f, NULL, 0), GROWTH_EINVAL, "labels");
        BAD(growth_fm_update_keys(m, keys, fld, val, 3, &bad_y, 1.0f, NULL, 0), GROWTH_EINVAL, "label");
        BAD(growth_fm_update_keys(m, keys, fld, val, 3, &y, -1.0f, NULL, 0), GROWTH_EINVAL, "weight");
        BAD(growth_fm_update_keys(m, keys, fld, val, 3, &y, INFINITY, NULL, 0), GROWTH_EINVAL, "weight");
        BAD(growth_fm_update_keys(m, keys, badf, val, 3, &y, 1.0f, NULL, 0), GROWTH_EINVAL, "fld[1]");
        BAD(growth_fm_update_keys(m, keys, fld, nanv, 3, &y, 1.0f, NULL, 0), GROWTH_EINVAL, "val[1]");
        BAD(growth_fm_update_keys(m, keys, NULL, val, 3, &y, 1.0f, NULL, 0), GROWTH_EINVAL, "fld");
        BAD(growth_fm_update_keys(m, keys, fld, val, 3, &y, 1.0f, p, 0), GROWTH_EBUFS, "out_pred");
        uint64_t ip[3] = {0, 2, 3}, bad_ip[3] = {0, 3, 2};
        float y2[2] = {1, 0}, w2[2] = {1, 1}, bad_w2[2] = {1, -1}, p2[2];
        BAD(growth_fm_predict_keys_csr(NULL, ip, keys, fld, val, 2, 0, p2, 2), GROWTH_EINVAL,
            "growth_fm_predict_keys_csr");
        BAD(growth_fm_predict_keys_csr(m, NULL, keys, fld, val, 2, 0, p2, 2), GROWTH_EINVAL, "indptr");
        BAD(growth_fm_predict_keys_csr(m, bad_ip, keys, fld, val, 2, 0, p2, 2), GROWTH_EINVAL, "indptr");
        BAD(growth_fm_predict_keys_csr(m, ip, NULL, fld, val, 2, 0, p2, 2), GROWTH_EINVAL, "keys");
        BAD(growth_fm_predict_keys_csr(m, ip, keys, badf, val, 2, 0, p2, 2), GROWTH_EINVAL, "fld[1]");
        BAD(growth_fm_predict_keys_csr(m, ip, keys, fld, nanv, 2, 0, p2, 2), GROWTH_EINVAL, "val[1]");
        BAD(growth_fm_predict_keys_csr(m, ip, keys, fld, val, 2, 0x4u, p2, 2), GROWTH_EINVAL, "flags");
        BAD(growth_fm_predict_keys_csr(m, ip, keys, fld, val, 2, 0, NULL, 2), GROWTH_EINVAL, "out");
        BAD(growth_fm_predict_keys_csr(m, ip, keys, fld, val, 2, 0, p2, 1), GROWTH_EBUFS, "out");
        BAD(growth_fm_update_keys_csr(NULL, ip, keys, fld, val, 2, y2, w2, NULL, 0), GROWTH_EINVAL,
            "growth_fm_update_keys_csr");
        BAD(growth_fm_update_keys_csr(m, NULL, keys, fld, val, 2, y2, w2, NULL, 0), GROWTH_EINVAL, "indptr");
        BAD(growth_fm_update_keys_csr(m, bad_ip, keys, fld, val, 2, y2, w2, NULL, 0), GROWTH_EINVAL,
            "indptr");
        BAD(growth_fm_update_keys_csr(m, ip, NULL, fld, val, 2, y2, w2, NULL, 0), GROWTH_EINVAL, "keys");
        BAD(growth_fm_update_keys_csr(m, ip, keys, fld, val, 2, NULL, w2, NULL, 0), GROWTH_EINVAL, "labels");
        BAD(growth_fm_update_keys_csr(m, ip, keys, fld, val, 2, y2, bad_w2, NULL, 0), GROWTH_EINVAL, "row 1");
        BAD(growth_fm_update_keys_csr(m, ip, keys, badf, val, 2, y2, w2, NULL, 0), GROWTH_EINVAL, "fld[1]");
        BAD(growth_fm_update_keys_csr(m, ip, keys, fld, nanv, 2, y2, w2, NULL, 0), GROWTH_EINVAL, "val[1]");
        BAD(growth_fm_update_keys_csr(m, ip, keys, fld, val, 2, y2, w2, p2, 1), GROWTH_EBUFS, "out_pred");
        BAD(growth_fm_weight_key(NULL, 0, 1, p), GROWTH_EINVAL, "growth_fm_weight_key");
        BAD(growth_fm_weight_key(m, 0, 1, NULL), GROWTH_EINVAL, "out");
        BAD(growth_fm_weight_key(m, 1, 1, p), GROWTH_EINVAL, "head");
        BAD(growth_fm_factors_key(NULL, 1, 0, v, 8, &n), GROWTH_EINVAL, "growth_fm_factors_key");
        BAD(growth_fm_factors_key(m, 1, 0, NULL, 8, &n), GROWTH_EINVAL, "out");
        BAD(growth_fm_factors_key(m, 1, 3, v, 8, &n), GROWTH_EINVAL, "field");
        BAD(growth_fm_factors_key(m, 1, 0, v, 3, &n), GROWTH_EBUFS, "growth_fm_factors_key");
        CHECK(n == 4);
        if (c == 0) { /* ESMM works on exact models and checks its input alike (the model stays unchanged) */
            BAD(growth_fm_esmm_predict(m, 0, 1, NULL, NULL, NULL, 0, p, 2), GROWTH_EBUFS, "out");
            BAD(growth_fm_esmm_predict(m, 0, 9, NULL, NULL, NULL, 0, p, 3), GROWTH_EINVAL, "cvr_head");
            BAD(growth_fm_esmm_update(m, 0, 0, NULL, NULL, NULL, 0, 1, 0, 1), GROWTH_EINVAL, "both 0");
            BAD(growth_fm_esmm_update(m, 0, 1, NULL, NULL, NULL, 0, 1, 0, 1), GROWTH_EINVAL, "cvr_head");
        }
        uint8_t *after = NULL;
        size_t after_len = 0;
        CHECK_OK(growth_fm_serialize(m, &after, &after_len));
        CHECK(after_len == before_len && memcmp(before, after, before_len) == 0);
        growth_buffer_free(before);
        growth_buffer_free(after);
        growth_fm_free(m);
        m = NULL;
    }
    growth_fm *nl = NULL;
    CHECK_OK(growth_fm_create(&nl, "model=fm k=4 bits=6 table=exact linear=false"));
    float w;
    if (nl) BAD(growth_fm_weight_key(nl, 0, 1, &w), GROWTH_EINVAL, "linear");
    growth_fm_free(nl);
}

int main(void)
{
    RUN(test_create_and_small_calls);
    RUN(test_rows_labels_weights);
    RUN(test_fit);
    RUN(test_persistence_null_arguments);
    RUN(test_exact_and_keys);
    return BAD_SUMMARY("bad_input_fm");
}
