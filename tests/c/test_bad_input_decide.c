/* The bad-input matrix, deciding modules: calibration, bandits, bidding and budget solving.
 * Every public function is called with NULL handles, NULL buffers, zero and huge sizes, NaN/Inf
 * and out-of-range values, and every loader with a file of another kind; each call must return
 * the expected status with a message, and each handle must be exactly as before (same
 * serialized bytes, or the same result as before the bad calls) and still work. */
#include <math.h>
#include <stdint.h>

#include "bad_input.h"
#define GROWTH_SYS_UNSTABLE /* the simulators, the Beta sampler and the MCKP shard calls */
#include "growth/sys/bandit.h"
#include "growth/sys/bidding.h"
#include "growth/sys/budget.h"

static const uint8_t junk[16] = "not a model....";

TEST(test_calibrator_functions)
{
    float s[8] = {0.05f, 0.1f, 0.2f, 0.3f, 0.5f, 0.6f, 0.8f, 0.9f}, y[8] = {0, 0, 1, 0, 0, 1, 1, 1};
    float w[8] = {1, 1, 1, 1, 1, 1, 1, 1}, out[8];
    double sd[2] = {0.2, 0.7}, outd[2], v, a, b, kx[64], ky[64];
    int64_t fld[8] = {1, 1, 1, 1, 2, 2, 2, 2}, f1 = 1;
    size_t n, need;
    char buf[256], path[512];

    const char *bad_cfg[] = {"method=spline", "bins=0",       "prior=-1",  "smoothing=3", "buckets=0",
                             "buckets=65537", "min_bucket=0", "prior=nan", "colour=red",  "method"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_calibrator *x = NULL;
        BAD(growth_calibrator_create(&x, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    BAD(growth_calibrator_create(NULL, ""), GROWTH_EINVAL, "calibrator_create");

    /* Not fitted yet: ESTATE, not a crash. */
    growth_calibrator *u = NULL;
    CHECK_OK(growth_calibrator_create(&u, "method=platt"));
    BAD(growth_calibrator_apply(u, 0.5, NULL, &v), GROWTH_ESTATE, NULL);
    BAD(growth_calibrator_apply_batch(u, s, NULL, 8, out, 8), GROWTH_ESTATE, NULL);
    BAD(growth_calibrator_sigmoid(u, &a, &b), GROWTH_ESTATE, NULL);
    growth_calibrator_free(u);

    growth_calibrator *c = NULL;
    CHECK_OK(growth_calibrator_create(&c, "method=isotonic"));
    CHECK_OK(growth_calibrator_fit(c, s, y, w, NULL, 8));
    float before[8];
    CHECK_OK(growth_calibrator_apply_batch(c, s, NULL, 8, before, 8));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_calibrator_serialize(c, &b0.buf, &b0.len));

    BAD(growth_calibrator_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "calibrator_config");
    BAD(growth_calibrator_config(c, buf, 4, &need), GROWTH_EBUFS, NULL);
    BAD(growth_calibrator_config(c, NULL, 100, NULL), GROWTH_EINVAL, "buf is NULL");
    BAD(growth_calibrator_summary(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "calibrator_summary");
    BAD(growth_calibrator_summary(c, buf, 1, NULL), GROWTH_EBUFS, NULL);

    BAD(growth_calibrator_fit(NULL, s, y, NULL, NULL, 8), GROWTH_EINVAL, "calibrator_fit");
    BAD(growth_calibrator_fit(c, NULL, y, NULL, NULL, 8), GROWTH_EINVAL, "calibrator_fit");
    BAD(growth_calibrator_fit(c, s, NULL, NULL, NULL, 8), GROWTH_EINVAL, "calibrator_fit");
    BAD(growth_calibrator_fit(c, s, y, NULL, NULL, 0), GROWTH_EINVAL, "calibrator_fit");
    BAD(growth_calibrator_fit(c, s, y, NULL, NULL, SIZE_MAX), GROWTH_EINVAL, "calibrator_fit");
    BAD(growth_calibrator_fit(c, s, y, NULL, NULL, SIZE_MAX / 2 + 2), GROWTH_EINVAL, "calibrator_fit");
    s[3] = NAN;
    BAD(growth_calibrator_fit(c, s, y, NULL, NULL, 8), GROWTH_EINVAL, NULL);
    s[3] = INFINITY;
    BAD(growth_calibrator_fit(c, s, y, NULL, NULL, 8), GROWTH_EINVAL, NULL);
    s[3] = 0.3f;
    y[2] = 1.5f; /* soft labels in [0, 1] are allowed */
    BAD(growth_calibrator_fit(c, s, y, NULL, NULL, 8), GROWTH_EINVAL, "labels[2]");
    y[2] = 1;
    w[4] = -1;
    BAD(growth_calibrator_fit(c, s, y, w, NULL, 8), GROWTH_EINVAL, NULL);
    w[4] = NAN;
    BAD(growth_calibrator_fit(c, s, y, w, NULL, 8), GROWTH_EINVAL, NULL);
    w[4] = 1;
    float y0[8] = {0};
    BAD(growth_calibrator_fit(c, s, y0, NULL, NULL, 8), GROWTH_EINVAL, NULL); /* one class only */

    BAD(growth_calibrator_apply(NULL, 0.5, NULL, &v), GROWTH_EINVAL, "calibrator_apply");
    BAD(growth_calibrator_apply(c, 0.5, NULL, NULL), GROWTH_EINVAL, "calibrator_apply");
    BAD(growth_calibrator_apply(c, NAN, NULL, &v), GROWTH_EINVAL, "calibrator_apply");
    BAD(growth_calibrator_apply_batch(NULL, s, NULL, 8, out, 8), GROWTH_EINVAL, "calibrator_apply_batch");
    BAD(growth_calibrator_apply_batch(c, NULL, NULL, 8, out, 8), GROWTH_EINVAL, "calibrator_apply_batch");
    BAD(growth_calibrator_apply_batch(c, s, NULL, 8, NULL, 8), GROWTH_EINVAL, "calibrator_apply_batch");
    BAD(growth_calibrator_apply_batch(c, s, NULL, 8, out, 7), GROWTH_EBUFS, "calibrator_apply_batch");
    BAD(growth_calibrator_apply_batch(c, s, NULL, SIZE_MAX, out, 8), GROWTH_EBUFS, "calibrator_apply_batch");
    s[5] = NAN;
    BAD(growth_calibrator_apply_batch(c, s, NULL, 8, out, 8), GROWTH_EINVAL, "calibrator_apply_batch");
    s[5] = 0.6f;
    BAD(growth_calibrator_apply_batch_f64(NULL, sd, NULL, 2, outd, 2), GROWTH_EINVAL,
        "calibrator_apply_batch_f64");
    BAD(growth_calibrator_apply_batch_f64(c, NULL, NULL, 2, outd, 2), GROWTH_EINVAL,
        "calibrator_apply_batch_f64");
    BAD(growth_calibrator_apply_batch_f64(c, sd, NULL, 2, NULL, 2), GROWTH_EINVAL,
        "calibrator_apply_batch_f64");
    BAD(growth_calibrator_apply_batch_f64(c, sd, NULL, 2, outd, 1), GROWTH_EBUFS,
        "calibrator_apply_batch_f64");
    sd[1] = NAN; /* +-Inf clip like any score; NaN is refused */
    BAD(growth_calibrator_apply_batch_f64(c, sd, NULL, 2, outd, 2), GROWTH_EINVAL,
        "calibrator_apply_batch_f64");
    sd[1] = 0.7;
    BAD(growth_calibrator_sigmoid(NULL, &a, &b), GROWTH_EINVAL, "calibrator_sigmoid");
    BAD(growth_calibrator_sigmoid(c, &a, &b), GROWTH_ESTATE, "calibrator_sigmoid"); /* isotonic */
    BAD(growth_calibrator_knots(NULL, NULL, kx, ky, 64, &n), GROWTH_EINVAL, "calibrator_knots");
    BAD(growth_calibrator_knots(c, NULL, NULL, ky, 64, &n), GROWTH_EINVAL, "calibrator_knots");
    BAD(growth_calibrator_knots(c, NULL, kx, ky, 0, &n), GROWTH_EBUFS, "calibrator_knots");
    BAD(growth_calibrator_knots(c, &f1, kx, ky, 64, NULL), GROWTH_EINVAL, "calibrator_knots");
    {
        /* EBUFS protocol: *out_n = the exact knot count, nothing written; 0 on other failures. */
        size_t want = 0, got = 99;
        CHECK_OK(growth_calibrator_knots(c, NULL, kx, ky, 64, &want));
        CHECK(want >= 2);
        kx[0] = ky[0] = -3;
        BAD(growth_calibrator_knots(c, NULL, kx, ky, want - 1, &got), GROWTH_EBUFS, "calibrator_knots");
        CHECK(got == want && kx[0] == -3 && ky[0] == -3);
        BAD(growth_calibrator_knots(c, NULL, NULL, NULL, 0, &got), GROWTH_EBUFS, "calibrator_knots");
        CHECK(got == want);
        BAD(growth_calibrator_knots(NULL, NULL, kx, ky, 64, &got), GROWTH_EINVAL, "calibrator_knots");
        CHECK(got == 0);
        CHECK_OK(growth_calibrator_knots(c, NULL, kx, ky, want, &got));
        CHECK(got == want);
        /* the string getters: the exact size (with the NUL) on EBUFS, the buffer untouched */
        char sbuf[4] = {'z', 'z', 'z', 'z'};
        size_t need1 = 0, need2 = 0;
        BAD(growth_calibrator_summary(c, sbuf, sizeof sbuf, &need1), GROWTH_EBUFS, NULL);
        BAD(growth_calibrator_config(c, sbuf, sizeof sbuf, &need2), GROWTH_EBUFS, NULL);
        CHECK(sbuf[0] == 'z' && sbuf[3] == 'z' && need1 > sizeof sbuf && need2 > sizeof sbuf);
        char *full = malloc(need1 > need2 ? need1 : need2);
        CHECK_OK(growth_calibrator_summary(c, full, need1, &got));
        CHECK(got == need1 && strlen(full) + 1 == need1);
        CHECK_OK(growth_calibrator_config(c, full, need2, &got));
        CHECK(got == need2 && strlen(full) + 1 == need2);
        free(full);
    }

    gt_path(path, sizeof path, "bad_input.calibrator");
    BAD(growth_calibrator_save(NULL, path), GROWTH_EINVAL, "calibrator_save");
    BAD(growth_calibrator_save(c, NULL), GROWTH_EINVAL, "calibrator_save");
    BAD(growth_calibrator_save(c, ""), GROWTH_EINVAL, "calibrator_save");
    BAD(growth_calibrator_save(c, "/nonexistent-dir/x.cal"), GROWTH_EIO, "calibrator_save");
    growth_calibrator *x = NULL;
    BAD(growth_calibrator_load(NULL, path), GROWTH_EINVAL, "calibrator_load");
    BAD(growth_calibrator_load(&x, NULL), GROWTH_EINVAL, "calibrator_load");
    BAD(growth_calibrator_load(&x, "/nonexistent-dir/x.cal"), GROWTH_EIO, "calibrator_load");
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_calibrator_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_calibrator_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_calibrator_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "calibrator_serialize");
    BAD(growth_calibrator_serialize(c, NULL, &b1.len), GROWTH_EINVAL, "calibrator_serialize");
    BAD(growth_calibrator_serialize(c, &b1.buf, NULL), GROWTH_EINVAL, "calibrator_serialize");
    BAD(growth_calibrator_deserialize(NULL, junk, sizeof junk), GROWTH_EINVAL, "calibrator_deserialize");
    BAD(growth_calibrator_deserialize(&x, NULL, 10), GROWTH_EINVAL, "calibrator_deserialize");
    BAD(growth_calibrator_deserialize(&x, junk, 0), GROWTH_EFORMAT, NULL);
    BAD(growth_calibrator_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_calibrator_deserialize(&x, b0.buf, b0.len - 1), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);

    /* field-aware: a field id array is required. */
    growth_calibrator *fc = NULL;
    CHECK_OK(growth_calibrator_create(&fc, "method=field min_bucket=1"));
    BAD(growth_calibrator_fit(fc, s, y, NULL, NULL, 8), GROWTH_EINVAL, "field");
    CHECK_OK(growth_calibrator_fit(fc, s, y, NULL, fld, 8));
    growth_calibrator_free(fc);
    growth_calibrator_free(NULL);

    /* Unchanged and working. */
    BAD_SAME_STATE(calibrator, growth_calibrator, c, b0);
    CHECK_OK(growth_calibrator_apply_batch(c, s, NULL, 8, out, 8));
    CHECK(memcmp(out, before, sizeof out) == 0);
    CHECK_OK(growth_calibrator_apply(c, s[6], NULL, &v));
    CHECK(v == before[6] || fabs(v - before[6]) < 1e-6);
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_calibrator_free(c);
}

TEST(test_bandit_logistic_functions)
{
    growth_bandit *b = NULL, *t = NULL;
    CHECK_OK(growth_bandit_create(&b, "policy=logistic_ts bits=8 nnz=3 seed=1"));
    CHECK_OK(growth_bandit_create(&t, "policy=thompson"));
    uint64_t ip[3] = {0, 2, 4}, ip_dec[3] = {0, 2, 1}, ip_long[2] = {0, 4}, ids[2] = {7, 8}, dec = 0;
    uint32_t ix[4] = {1, 2, 1, 3}, ix_bad[4] = {1, 256, 1, 3};
    float val_nan[4] = {1, NAN, 1, 1};
    double rates_bad[2] = {0.5, 1.0}, rates_nan[2] = {NAN, 0.1}, prop = 0, mean[4], prec[4];
    size_t j = 99;
    BAD(growth_bandit_select_csr(NULL, ip, ix, NULL, 2, NULL, NULL, &dec, &j, &prop), GROWTH_EINVAL,
        "bandit_select_csr");
    BAD(growth_bandit_select_csr(b, NULL, ix, NULL, 2, NULL, NULL, &dec, &j, &prop), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_csr(b, ip, NULL, NULL, 2, NULL, NULL, &dec, &j, &prop), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_csr(b, ip, ix, NULL, 2, NULL, NULL, NULL, &j, &prop), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_csr(b, ip, ix, NULL, 2, NULL, NULL, &dec, NULL, &prop), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_csr(b, ip, ix, NULL, 0, NULL, NULL, &dec, &j, &prop), GROWTH_ENOTFOUND, NULL);
    BAD(growth_bandit_select_csr(b, ip_dec, ix, NULL, 2, NULL, NULL, &dec, &j, &prop), GROWTH_EINVAL,
        "indptr");
    BAD(growth_bandit_select_csr(b, ip_long, ix, NULL, 1, NULL, NULL, &dec, &j, &prop), GROWTH_EINVAL, "nnz");
    BAD(growth_bandit_select_csr(b, ip, ix_bad, NULL, 2, NULL, NULL, &dec, &j, &prop), GROWTH_EINVAL, "bits");
    BAD(growth_bandit_select_csr(b, ip, ix, val_nan, 2, NULL, NULL, &dec, &j, &prop), GROWTH_EINVAL,
        "finite");
    BAD(growth_bandit_select_csr(b, ip, ix, NULL, 2, NULL, rates_bad, &dec, &j, &prop), GROWTH_EINVAL,
        "candidate_ids");
    BAD(growth_bandit_select_csr(b, ip, ix, NULL, 2, ids, rates_bad, &dec, &j, &prop), GROWTH_EINVAL,
        "prior_rates");
    BAD(growth_bandit_select_csr(b, ip, ix, NULL, 2, ids, rates_nan, &dec, &j, &prop), GROWTH_EINVAL,
        "prior_rates");
    BAD(growth_bandit_select_csr(t, ip, ix, NULL, 2, NULL, NULL, &dec, &j, &prop), GROWTH_ESTATE, NULL);
    CHECK(dec == 0 && j == 99);
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(b, &st));
    CHECK(st.decisions == 0);
    BAD(growth_bandit_add_arm(b, 1, 0, 0), GROWTH_EINVAL, "logistic");
    BAD(growth_bandit_select(b, NULL, 0, NULL, 0, &dec, &dec, &prop), GROWTH_ESTATE, NULL);
    BAD(growth_bandit_reward(b, 1, 1.5), GROWTH_EINVAL, NULL);
    CHECK_OK(growth_bandit_select_csr(b, ip, ix, NULL, 2, ids, NULL, &dec, &j, &prop));
    CHECK(dec == 1 && j < 2 && isnan(prop));
    CHECK_OK(growth_bandit_reward(b, dec, 1.0));

    uint32_t slots[2] = {1, 256};
    BAD(growth_bandit_weights(NULL, slots, 1, mean, prec, 4), GROWTH_EINVAL, "bandit_weights");
    BAD(growth_bandit_weights(b, NULL, 1, mean, prec, 4), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_weights(b, slots, 1, NULL, NULL, 4), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_weights(b, slots, 2, mean, prec, 4), GROWTH_EINVAL, "slots");
    BAD(growth_bandit_weights(b, slots, 1, mean, prec, 0), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_weights(t, slots, 1, mean, prec, 4), GROWTH_ESTATE, NULL);
    CHECK_OK(growth_bandit_weights(b, slots, 1, mean, NULL, 4));
    CHECK(mean[0] > 0);
    growth_bandit_free(b);
    growth_bandit_free(t);
}

TEST(test_bandit_functions)
{
    const char *bad_cfg[] = {"policy=softmax",
                             "streams=3",
                             "streams=0",
                             "prior_alpha=0",
                             "prior_beta=nan",
                             "epsilon=1.5",
                             "ttl=0",
                             "decay=0",
                             "decay=1.5",
                             "policy=lints",
                             "policy=linucb dim=0",
                             "lambda=0 policy=linucb dim=2",
                             "max_arms=0",
                             "colour=red",
                             "seed=x",
                             "ts_scale=-1",
                             "policy=logistic_ts window=5",
                             "policy=logistic_ucb decay=0.9",
                             "policy=logistic_ts dim=3",
                             "policy=logistic_ts bits=31",
                             "policy=logistic_ts nnz=0",
                             "policy=logistic_greedy count_bits=0",
                             "prior_count=-1"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_bandit *x = NULL;
        BAD(growth_bandit_create(&x, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    BAD(growth_bandit_create(NULL, ""), GROWTH_EINVAL, "bandit_create");

    growth_bandit *b = NULL;
    CHECK_OK(growth_bandit_create(&b, "policy=thompson seed=7 max_arms=4"));
    for (uint64_t i = 1; i <= 3; i++) CHECK_OK(growth_bandit_add_arm(b, i, 0.2 * (double)i, 10));
    uint64_t named = 0, dec, arm, decs[4], arms[4], ids[8];
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_add_arm_named(b, "coupon-a", 0.5, 2, &named));
    CHECK(named == growth_bandit_name_id("coupon-a"));
    CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &dec, &arm, NULL));
    CHECK_OK(growth_bandit_reward(b, dec, 1));
    growth_bandit_arm_stats stats0 = GROWTH_BANDIT_ARM_STATS_INIT, stats = GROWTH_BANDIT_ARM_STATS_INIT;
    double prop, props[4], probs[8], val, se;
    CHECK_OK(growth_bandit_arm_stats_get(b, 2, &stats0));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_bandit_serialize(b, &b0.buf, &b0.len));
    char buf[64];
    size_t need;

    BAD(growth_bandit_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "bandit_config");
    memset(buf, 'x', sizeof buf);
    need = 0;
    BAD(growth_bandit_config(b, buf, 2, &need), GROWTH_EBUFS, NULL);
    CHECK(need > 2 && buf[0] == 'x'); /* EBUFS: the size needed, nothing written */
    BAD(growth_bandit_add_arm(NULL, 9, 0.5, 1), GROWTH_EINVAL, "bandit_add_arm");
    BAD(growth_bandit_add_arm(b, 1, 0.5, 1), GROWTH_EINVAL, "bandit_add_arm"); /* duplicate */
    BAD(growth_bandit_add_arm(b, UINT64_MAX, 0.5, 1), GROWTH_EINVAL, "bandit_add_arm");
    BAD(growth_bandit_add_arm(b, 9, NAN, 1), GROWTH_EINVAL, "bandit_add_arm");
    BAD(growth_bandit_add_arm(b, 9, 1.5, 1), GROWTH_EINVAL, "bandit_add_arm");
    BAD(growth_bandit_add_arm(b, 9, 0.5, -1), GROWTH_EINVAL, "bandit_add_arm");
    BAD(growth_bandit_add_arm(b, 9, 0.5, INFINITY), GROWTH_EINVAL, "bandit_add_arm");
    BAD(growth_bandit_add_arm_named(NULL, "x", 0.5, 1, NULL), GROWTH_EINVAL, "bandit_add_arm_named");
    BAD(growth_bandit_add_arm_named(b, NULL, 0.5, 1, NULL), GROWTH_EINVAL, "bandit_add_arm_named");
    BAD(growth_bandit_add_arm_named(b, "coupon-a", 0.5, 1, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_add_arm_named(b, "x", NAN, 1, NULL), GROWTH_EINVAL, NULL);
    CHECK(growth_bandit_name_id("") != growth_bandit_name_id("coupon-a"));
    BAD(growth_bandit_arm_name(NULL, named, buf, sizeof buf, NULL), GROWTH_EINVAL, "bandit_arm_name");
    BAD(growth_bandit_arm_name(b, 1, buf, sizeof buf, NULL), GROWTH_ENOTFOUND, NULL);
    need = 0;
    BAD(growth_bandit_arm_name(b, named, buf, 3, &need), GROWTH_EBUFS, NULL);
    CHECK(need == sizeof "coupon-a" && buf[0] == 'x');
    BAD(growth_bandit_arm_name(b, named, NULL, 64, NULL), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_remove_arm(NULL, 1), GROWTH_EINVAL, "bandit_remove_arm");
    BAD(growth_bandit_remove_arm(b, 77), GROWTH_ENOTFOUND, NULL);
    BAD(growth_bandit_replace_arm(NULL, 1, 9, 0.5, 1), GROWTH_EINVAL, "bandit_replace_arm");
    BAD(growth_bandit_replace_arm(b, 77, 9, 0.5, 1), GROWTH_ENOTFOUND, NULL);
    BAD(growth_bandit_replace_arm(b, 1, 2, 0.5, 1), GROWTH_EINVAL, NULL); /* new id taken */
    BAD(growth_bandit_replace_arm(b, 1, 9, NAN, 1), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_arms(NULL, ids, 8, NULL), GROWTH_EINVAL, "bandit_arms");
    ids[0] = 12345;
    need = 0;
    BAD(growth_bandit_arms(b, ids, 2, &need), GROWTH_EBUFS, NULL);
    CHECK(need == 4 && ids[0] == 12345);
    BAD(growth_bandit_arms(b, NULL, 8, &need), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_arm_stats_get(NULL, 1, &stats), GROWTH_EINVAL, "bandit_arm_stats_get");
    BAD(growth_bandit_arm_stats_get(b, 1, NULL), GROWTH_EINVAL, "bandit_arm_stats_get");
    stats.struct_size = 0;
    BAD(growth_bandit_arm_stats_get(b, 1, &stats), GROWTH_EINVAL, "struct_size");
    stats.struct_size = (uint32_t)sizeof stats - 8; /* smaller than the 1.0 struct */
    BAD(growth_bandit_arm_stats_get(b, 1, &stats), GROWTH_EINVAL, "struct_size");
    BAD(growth_bandit_arm_stats_get(b, 77, &stats), GROWTH_EINVAL, "struct_size"); /* struct first */
    stats.struct_size = sizeof stats;
    BAD(growth_bandit_arm_stats_get(b, 77, &stats), GROWTH_ENOTFOUND, NULL);
    BAD(growth_bandit_stats_get(NULL, &st), GROWTH_EINVAL, "bandit_stats_get");
    BAD(growth_bandit_stats_get(b, NULL), GROWTH_EINVAL, "bandit_stats_get");
    st.struct_size = 0;
    BAD(growth_bandit_stats_get(b, &st), GROWTH_EINVAL, "struct_size");
    st.struct_size = (uint32_t)sizeof st - 8;
    BAD(growth_bandit_stats_get(b, &st), GROWTH_EINVAL, "struct_size");
    st.struct_size = sizeof st;

    float ctx[2] = {1, 2};
    uint64_t elig[3] = {1, 2, 2}, elig_bad[1] = {77};
    uint8_t mask[4] = {1, 1, 0, 0};
    BAD(growth_bandit_select(NULL, NULL, 0, NULL, 0, &dec, &arm, &prop), GROWTH_EINVAL, "bandit_select");
    BAD(growth_bandit_select(b, NULL, 0, NULL, 0, NULL, &arm, &prop), GROWTH_EINVAL, "bandit_select");
    BAD(growth_bandit_select(b, NULL, 0, NULL, 0, &dec, NULL, &prop), GROWTH_EINVAL, "bandit_select");
    BAD(growth_bandit_select(b, ctx, 2, NULL, 0, &dec, &arm, &prop), GROWTH_EINVAL, NULL);  /* no dim */
    BAD(growth_bandit_select(b, NULL, 0, elig, 3, &dec, &arm, &prop), GROWTH_EINVAL, NULL); /* duplicate */
    BAD(growth_bandit_select(b, NULL, 0, elig_bad, 1, &dec, &arm, &prop), GROWTH_ENOTFOUND, NULL);
    BAD(growth_bandit_select(b, NULL, 0, NULL, SIZE_MAX, &dec, &arm, &prop), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select(b, NULL, 0, elig, SIZE_MAX, &dec, &arm, &prop), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_k(NULL, NULL, 0, NULL, 0, NULL, 0, 2, decs, arms, props, 4), GROWTH_EINVAL,
        "bandit_select_k");
    BAD(growth_bandit_select_k(b, NULL, 0, NULL, 0, NULL, 0, 0, decs, arms, props, 4), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_k(b, NULL, 0, NULL, 0, NULL, 0, 5, decs, arms, props, 8), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_k(b, NULL, 0, NULL, 0, NULL, 0, SIZE_MAX, decs, arms, props, 4), GROWTH_EBUFS,
        NULL);
    BAD(growth_bandit_select_k(b, NULL, 0, NULL, 0, NULL, 0, 2, decs, arms, props, 1), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_select_k(b, NULL, 0, NULL, 0, NULL, 0, 2, NULL, arms, props, 4), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_k(b, NULL, 0, NULL, 0, mask, 3, 1, decs, arms, props, 4), GROWTH_EINVAL,
        NULL); /* mask length */
    BAD(growth_bandit_select_k(b, NULL, 0, elig, 2, mask, 4, 1, decs, arms, props, 4), GROWTH_EINVAL,
        NULL); /* both */
    BAD(growth_bandit_select_batch(NULL, NULL, 0, 2, NULL, 0, decs, arms, props, 4), GROWTH_EINVAL,
        "bandit_select_batch");
    BAD(growth_bandit_select_batch(b, NULL, 0, 2, NULL, 0, decs, arms, props, 1), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_select_batch(b, NULL, 0, SIZE_MAX, NULL, 0, decs, arms, props, 4), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_select_batch(b, NULL, 0, 2, NULL, 0, decs, NULL, props, 4), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_select_batch(b, ctx, 1, 2, NULL, 0, decs, arms, props, 4), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_probabilities(NULL, NULL, 0, NULL, 0, 100, 1, probs, 8), GROWTH_EINVAL,
        "bandit_probabilities");
    BAD(growth_bandit_probabilities(b, NULL, 0, NULL, 0, 100, 1, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_probabilities(b, NULL, 0, NULL, 0, 100, 1, probs, 2), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_probabilities(b, NULL, 0, NULL, 0, 0, 1, probs, 8), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_probabilities(b, NULL, 0, elig, 3, 100, 1, probs, 8), GROWTH_EINVAL, NULL);

    BAD(growth_bandit_reward(NULL, dec, 1), GROWTH_EINVAL, "bandit_reward");
    BAD(growth_bandit_reward(b, dec, NAN), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_reward(b, dec, 2), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_reward(b, dec, -INFINITY), GROWTH_EINVAL, NULL);
    uint64_t rdec[2] = {dec, 99};
    double rval[2] = {1, NAN};
    int rst[2];
    size_t applied = 7;
    BAD(growth_bandit_reward_batch(NULL, rdec, rval, 2, rst, &applied), GROWTH_EINVAL, "bandit_reward_batch");
    BAD(growth_bandit_reward_batch(b, NULL, rval, 2, rst, &applied), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_reward_batch(b, rdec, NULL, 2, rst, &applied), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_reward_batch(b, rdec, rval, 2, rst, &applied), GROWTH_EINVAL, NULL); /* NaN */
    BAD(growth_bandit_reward_batch(b, rdec, rval, SIZE_MAX, rst, &applied), GROWTH_EINVAL, NULL);

    double ba[2] = {1, 2}, bb[2] = {3, 0}, bo[2];
    BAD(growth_bandit_sample_beta(1, NULL, bb, 2, bo, 2), GROWTH_EINVAL, "bandit_sample_beta");
    BAD(growth_bandit_sample_beta(1, ba, bb, 2, NULL, 2), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_sample_beta(1, ba, bb, 2, bo, 1), GROWTH_EBUFS, NULL);
    BAD(growth_bandit_sample_beta(1, ba, bb, 2, bo, 2), GROWTH_EINVAL, NULL); /* b = 0 */
    bb[1] = NAN;
    BAD(growth_bandit_sample_beta(1, ba, bb, 2, bo, 2), GROWTH_EINVAL, NULL);
    bb[1] = INFINITY;
    BAD(growth_bandit_sample_beta(1, ba, bb, 2, bo, 2), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_sample_beta(1, ba, bb, SIZE_MAX, bo, 2), GROWTH_EBUFS, NULL);

    uint32_t act[2] = {0, 1};
    double rew[2] = {1, 0}, pr[2] = {0.5, 0.5}, tgt[4] = {1, 0, 0, 1}, q[4] = {0};
    BAD(growth_bandit_ope(2, 2, NULL, rew, pr, tgt, NULL, "estimator=ips", &val, &se), GROWTH_EINVAL,
        "bandit_ope");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, NULL, "estimator=ips", NULL, &se), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_ope(0, 2, act, rew, pr, tgt, NULL, "estimator=ips", &val, &se), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_ope(2, 0, act, rew, pr, tgt, NULL, "estimator=ips", &val, &se), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_ope(2, SIZE_MAX, act, rew, pr, tgt, NULL, "estimator=ips", &val, &se), GROWTH_EINVAL,
        NULL);
    BAD(growth_bandit_ope(SIZE_MAX / 2, 4, act, rew, pr, tgt, NULL, "estimator=ips", &val, &se),
        GROWTH_EINVAL, NULL);
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "estimator=softmax", &val, &se), GROWTH_EINVAL,
        "'estimator'");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, NULL, &val, &se), GROWTH_EINVAL,
        "'estimator' is required");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "", &val, &se), GROWTH_EINVAL,
        "'estimator' is required");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "estimator=dr clip=5", &val, &se), GROWTH_EINVAL,
        "'clip'");
    BAD(growth_bandit_ope(2, 2, act, rew, NULL, tgt, q, "estimator=ips", &val, &se), GROWTH_EINVAL,
        "propensities");
    act[1] = 2;
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, NULL, "estimator=ips", &val, &se), GROWTH_EINVAL, NULL);
    act[1] = 1;
    pr[0] = 0;
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, NULL, "estimator=ips", &val, &se), GROWTH_EINVAL, NULL);
    pr[0] = 0.5;
    rew[1] = NAN;
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, NULL, "estimator=snips", &val, &se), GROWTH_EINVAL, NULL);
    rew[1] = 0;
    tgt[1] = 0.5; /* row sums to 1.5 */
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "estimator=dr", &val, &se), GROWTH_EINVAL, NULL);
    tgt[1] = 0;
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, NULL, "estimator=dm", &val, &se), GROWTH_EINVAL, "q_hat");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "estimator=dm lambda=2", &val, &se), GROWTH_EINVAL,
        "'lambda'");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "estimator=dros lambda=-1", &val, &se), GROWTH_EINVAL,
        "'lambda'");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "estimator=dros lambda=nan", &val, &se), GROWTH_EINVAL,
        "'lambda'");
    BAD(growth_bandit_ope(2, 2, act, rew, NULL, tgt, q, "estimator=switch_dr", &val, &se), GROWTH_EINVAL,
        "propensities");
    BAD(growth_bandit_ope(2, 2, act, rew, pr, tgt, q, "estimator=dr resamples=10", &val, &se), GROWTH_EINVAL,
        "'resamples'");
    double lo, hi;
    BAD(growth_bandit_ope_interval(2, 2, NULL, rew, pr, tgt, q, "estimator=dr", &val, &lo, &hi),
        GROWTH_EINVAL, "bandit_ope_interval");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=dr", &val, NULL, &hi),
        GROWTH_EINVAL, "out_lower");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=dr", &val, &lo, NULL),
        GROWTH_EINVAL, "out_upper");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=dr", NULL, &lo, &hi), GROWTH_EINVAL,
        NULL);
    BAD(growth_bandit_ope_interval(0, 2, act, rew, pr, tgt, q, "estimator=dr", &val, &lo, &hi), GROWTH_EINVAL,
        NULL);
    BAD(growth_bandit_ope_interval(SIZE_MAX / 2, 4, act, rew, pr, tgt, q, "estimator=dr", &val, &lo, &hi),
        GROWTH_EINVAL, NULL);
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, NULL, &val, &lo, &hi), GROWTH_EINVAL,
        "'estimator' is required");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=dr resamples=0", &val, &lo, &hi),
        GROWTH_EINVAL, "'resamples'");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=dr confidence=1", &val, &lo, &hi),
        GROWTH_EINVAL, "'confidence'");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=dr confidence=0", &val, &lo, &hi),
        GROWTH_EINVAL, "'confidence'");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=dr seed=-1", &val, &lo, &hi),
        GROWTH_EINVAL, "'seed'");
    BAD(growth_bandit_ope_interval(2, 2, act, rew, NULL, tgt, q, "estimator=ips", &val, &lo, &hi),
        GROWTH_EINVAL, "propensities");
    pr[0] = NAN;
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=ips", &val, &lo, &hi),
        GROWTH_EINVAL, "propensities[0]");
    pr[0] = 0.5;
    tgt[0] = 0; /* the target never takes the logged actions: no self-normalised estimate */
    tgt[1] = 1;
    tgt[2] = 1;
    tgt[3] = 0;
    BAD(growth_bandit_ope_interval(2, 2, act, rew, pr, tgt, q, "estimator=snips", &val, &lo, &hi),
        GROWTH_ESTATE, "zero total weight");
    tgt[0] = 1;
    tgt[1] = 0;
    tgt[2] = 0;
    tgt[3] = 1;
    tgt[1] = 0.5;
    tgt[1] = 0;
    CHECK_OK(growth_bandit_ope(2, 2, act, rew, pr, tgt, NULL, "estimator=ips", &val, &se));
    CHECK_NEAR(val, (1 / 0.5 * 1 + 1 / 0.5 * 0) / 2, 1e-12);

    uint64_t larms[2] = {1, 2};
    double lrew[2] = {1, 0};
    size_t matched;
    BAD(growth_bandit_replay(NULL, NULL, 0, larms, lrew, 2, NULL, 0, &val, &matched), GROWTH_EINVAL,
        "bandit_replay");
    BAD(growth_bandit_replay(b, NULL, 0, NULL, lrew, 2, NULL, 0, &val, &matched), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_replay(b, NULL, 0, larms, NULL, 2, NULL, 0, &val, &matched), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_replay(b, NULL, 0, larms, lrew, 2, NULL, 0, NULL, &matched), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_replay(b, ctx, 2, larms, lrew, 1, NULL, 0, &val, &matched), GROWTH_EINVAL, NULL);
    lrew[1] = NAN;
    BAD(growth_bandit_replay(b, NULL, 0, larms, lrew, 2, NULL, 0, &val, &matched), GROWTH_EINVAL, NULL);

    char path[512];
    gt_path(path, sizeof path, "bad_input.bandit");
    BAD(growth_bandit_save(NULL, path), GROWTH_EINVAL, "bandit_save");
    BAD(growth_bandit_save(b, NULL), GROWTH_EINVAL, "bandit_save");
    BAD(growth_bandit_save(b, "/nonexistent-dir/x.bandit"), GROWTH_EIO, "bandit_save");
    growth_bandit *x = NULL;
    BAD(growth_bandit_load(NULL, path), GROWTH_EINVAL, "bandit_load");
    BAD(growth_bandit_load(&x, NULL), GROWTH_EINVAL, "bandit_load");
    BAD(growth_bandit_load(&x, "/nonexistent-dir/x.bandit"), GROWTH_EIO, "bandit_load");
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_bandit_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_bandit_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_bandit_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "bandit_serialize");
    BAD(growth_bandit_serialize(b, NULL, &b1.len), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "bandit_deserialize");
    BAD(growth_bandit_deserialize(&x, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_bandit_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_bandit_deserialize(&x, b0.buf, b0.len / 2), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);

    /* Simulator. */
    const char *bad_sim[] = {"arms=0",  "delay_dist=gamma", "rate_min=0.6 rate_max=0.5",
                             "batch=0", "rate_max=nan",     "colour=red"};
    for (size_t i = 0; i < sizeof bad_sim / sizeof *bad_sim; i++) {
        growth_bandit_sim *s = NULL;
        BAD(growth_bandit_sim_create(&s, bad_sim[i]), GROWTH_EINVAL, NULL);
        CHECK(s == NULL);
    }
    BAD(growth_bandit_sim_create(NULL, ""), GROWTH_EINVAL, "bandit_sim_create");
    growth_bandit_sim *sim = NULL;
    CHECK_OK(growth_bandit_sim_create(&sim, "arms=3 seed=2"));
    uint64_t sids[3];
    double srates[3], regret[4], total;
    BAD(growth_bandit_sim_rates(NULL, sids, srates, 3, NULL), GROWTH_EINVAL, "bandit_sim_rates");
    sids[0] = 777;
    need = 0;
    BAD(growth_bandit_sim_rates(sim, sids, srates, 2, &need), GROWTH_EBUFS, NULL);
    CHECK(need == 3 && sids[0] == 777);
    BAD(growth_bandit_sim_run(NULL, b, 10, regret, 4, &total), GROWTH_EINVAL, "bandit_sim_run");
    BAD(growth_bandit_sim_run(sim, NULL, 10, regret, 4, &total), GROWTH_EINVAL, "bandit_sim_run");
    BAD(growth_bandit_sim_run(sim, b, 10, regret, 4, &total), GROWTH_ESTATE, "without arms");
    growth_bandit *small = NULL;
    CHECK_OK(growth_bandit_create(&small, "max_arms=2"));
    BAD(growth_bandit_sim_run(sim, small, 10, regret, 4, &total), GROWTH_EINVAL, "max_arms");
    growth_bandit_stats sst = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(small, &sst));
    CHECK(sst.arms == 0 && sst.decisions == 0); /* nothing added */
    growth_bandit_free(small);
    growth_bandit *fresh = NULL;
    CHECK_OK(growth_bandit_create(&fresh, "seed=1"));
    CHECK_OK(growth_bandit_sim_run(sim, fresh, 100, regret, 4, &total));
    growth_bandit_stats fst = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(fresh, &fst));
    CHECK(regret[3] >= regret[0] && fst.arms == 3);
    growth_bandit_free(fresh);
    growth_bandit_sim_free(sim);
    growth_bandit_sim_free(NULL);
    growth_bandit_free(NULL);

    /* Unchanged and working. */
    CHECK_OK(growth_bandit_stats_get(b, &st));
    CHECK(st.arms == 4);
    BAD_SAME_STATE(bandit, growth_bandit, b, b0);
    CHECK_OK(growth_bandit_arm_stats_get(b, 2, &stats));
    CHECK(memcmp(&stats, &stats0, sizeof stats) == 0);
    /* Rewards for unknown or already rewarded decisions are refused and only counted. */
    BAD(growth_bandit_reward(b, dec, 1), GROWTH_ENOTFOUND, NULL); /* already rewarded */
    BAD(growth_bandit_reward(b, 123456789, 1), GROWTH_ENOTFOUND, NULL);
    BAD(growth_bandit_reward(b, 0, 1), GROWTH_ENOTFOUND, NULL);
    CHECK_OK(growth_bandit_stats_get(b, &st));
    CHECK(st.applied == 1 && st.unknown + st.expired + st.duplicate == 3);
    CHECK_OK(growth_bandit_arm_stats_get(b, 2, &stats));
    CHECK(memcmp(&stats, &stats0, sizeof stats) == 0);
    CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &dec, &arm, &prop));
    CHECK_OK(growth_bandit_reward(b, dec, 0));
    CHECK_OK(growth_bandit_stats_get(b, &st));
    CHECK(st.decisions == 2 && st.applied == 2);
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_bandit_free(b);
}

TEST(test_bidder_functions)
{
    const char *bad_cfg[] = {"budget=0",
                             "budget=-1",
                             "budget=nan",
                             "target_cpa=0",
                             "mode=cpc",
                             "billing=cpx",
                             "auction=third",
                             "shade_buckets=1",
                             "shade_buckets=1025",
                             "shade_min_price=2 shade_max_price=1",
                             "shade_floor=0",
                             "plan=curve",
                             "plan=uniform curve=1|2",
                             "plan=curve curve=0|0",
                             "plan=curve curve=1|nan",
                             "controller=magic",
                             "interval=0",
                             "max_step=1",
                             "day_seconds=inf",
                             "colour=red"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_bidder *x = NULL;
        BAD(growth_bidder_create(&x, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    BAD(growth_bidder_create(NULL, ""), GROWTH_EINVAL, "bidder_create");

    growth_bidder *b = NULL;
    CHECK_OK(growth_bidder_create(&b, "target_cpa=50 budget=100 day_seconds=1000 interval=10"));
    CHECK_OK(growth_bidder_record_spend(b, 10, 1.5));
    CHECK_OK(growth_bidder_tick(b, 20));
    double bid0, bid, pc[2] = {0.1, 0.2}, pv[2] = {0.5, 0.5}, outb[2], r, plan;
    CHECK_OK(growth_bidder_bid(b, 0.1, 0.2, 0, 42, &bid0));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_bidder_serialize(b, &b0.buf, &b0.len));
    char buf[16];
    size_t need;
    growth_bidder_stats bst = GROWTH_BIDDER_STATS_INIT;

    BAD(growth_bidder_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "bidder_config");
    memset(buf, 'x', sizeof buf);
    need = 0;
    BAD(growth_bidder_config(b, buf, sizeof buf, &need), GROWTH_EBUFS, NULL);
    CHECK(need > sizeof buf && buf[0] == 'x');
    BAD(growth_bidder_bid(NULL, 0.1, 0.2, 0, 1, &bid), GROWTH_EINVAL, "bidder_bid");
    BAD(growth_bidder_bid(b, 0.1, 0.2, 0, 1, NULL), GROWTH_EINVAL, "bidder_bid");
    BAD(growth_bidder_bid(b, NAN, 0.2, 0, 1, &bid), GROWTH_EINVAL, "bidder_bid");
    BAD(growth_bidder_bid(b, 0.1, 1.5, 0, 1, &bid), GROWTH_EINVAL, "bidder_bid");
    BAD(growth_bidder_bid(b, -0.1, 0.2, 0, 1, &bid), GROWTH_EINVAL, "bidder_bid");
    BAD(growth_bidder_bid(b, INFINITY, 0.2, 0, 1, &bid), GROWTH_EINVAL, "bidder_bid");
    BAD(growth_bidder_bid_batch(NULL, pc, pv, NULL, NULL, 2, outb, 2), GROWTH_EINVAL, "bidder_bid_batch");
    BAD(growth_bidder_bid_batch(b, NULL, pv, NULL, NULL, 2, outb, 2), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_bid_batch(b, pc, NULL, NULL, NULL, 2, outb, 2), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_bid_batch(b, pc, pv, NULL, NULL, 2, NULL, 2), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_bid_batch(b, pc, pv, NULL, NULL, 2, outb, 1), GROWTH_EBUFS, NULL);
    BAD(growth_bidder_bid_batch(b, pc, pv, NULL, NULL, SIZE_MAX, outb, 2), GROWTH_EBUFS, NULL);
    pv[1] = NAN;
    BAD(growth_bidder_bid_batch(b, pc, pv, NULL, NULL, 2, outb, 2), GROWTH_EINVAL, NULL);
    pv[1] = 0.5;
    BAD(growth_bidder_stats_get(NULL, &bst), GROWTH_EINVAL, "bidder_stats_get");
    BAD(growth_bidder_stats_get(b, NULL), GROWTH_EINVAL, "bidder_stats_get");
    bst.struct_size = 0;
    BAD(growth_bidder_stats_get(b, &bst), GROWTH_EINVAL, "struct_size");
    bst.struct_size = (uint32_t)sizeof bst - 8;
    BAD(growth_bidder_stats_get(b, &bst), GROWTH_EINVAL, "struct_size");
    bst.struct_size = sizeof bst;
    BAD(growth_bidder_record_spend(NULL, 1, 1), GROWTH_EINVAL, "bidder_record_spend");
    BAD(growth_bidder_record_spend(b, NAN, 1), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_spend(b, -1, 1), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_spend(b, 1e9, 1), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_spend(b, 30, -1), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_spend(b, 30, INFINITY), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_tick(NULL, 1), GROWTH_EINVAL, "bidder_tick");
    BAD(growth_bidder_tick(b, NAN), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_tick(b, -INFINITY), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_auction(NULL, 1, 1, NAN), GROWTH_EINVAL, "bidder_record_auction");
    BAD(growth_bidder_record_auction(b, 0, 1, NAN), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_auction(b, NAN, 1, NAN), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_auction(b, 1, 2, NAN), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_record_auction(b, 1, 1, -5), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_win_rate(NULL, 1, &r), GROWTH_EINVAL, "bidder_win_rate");
    BAD(growth_bidder_win_rate(b, 1, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_win_rate(b, NAN, &r), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_win_rate(b, 0, &r), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_plan(NULL, 1, &plan), GROWTH_EINVAL, "bidder_plan");
    BAD(growth_bidder_plan(b, 1, NULL), GROWTH_EINVAL, "bidder_plan");
    BAD(growth_bidder_plan(b, NAN, &plan), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_new_day(NULL), GROWTH_EINVAL, "bidder_new_day");

    char path[512];
    gt_path(path, sizeof path, "bad_input.bidder");
    BAD(growth_bidder_save(NULL, path), GROWTH_EINVAL, "bidder_save");
    BAD(growth_bidder_save(b, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_save(b, "/nonexistent-dir/x.bidder"), GROWTH_EIO, NULL);
    growth_bidder *x = NULL;
    BAD(growth_bidder_load(NULL, path), GROWTH_EINVAL, "bidder_load");
    BAD(growth_bidder_load(&x, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_load(&x, "/nonexistent-dir/x.bidder"), GROWTH_EIO, NULL);
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_bidder_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_bidder_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_bidder_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "bidder_serialize");
    BAD(growth_bidder_serialize(b, &b1.buf, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "bidder_deserialize");
    BAD(growth_bidder_deserialize(&x, NULL, 4), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_bidder_deserialize(&x, b0.buf, b0.len - 3), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);

    const char *bad_sim[] = {"ctr=1.5",         "impressions=0", "traffic=1|nan",
                             "market_sigma=-1", "auction=third", "colour=red"};
    for (size_t i = 0; i < sizeof bad_sim / sizeof *bad_sim; i++) {
        growth_bidder_sim *s = NULL;
        BAD(growth_bidder_sim_create(&s, bad_sim[i]), GROWTH_EINVAL, NULL);
        CHECK(s == NULL);
    }
    BAD(growth_bidder_sim_create(NULL, ""), GROWTH_EINVAL, "bidder_sim_create");
    growth_bidder_sim *sim = NULL;
    CHECK_OK(growth_bidder_sim_create(&sim, "impressions=50 seed=3"));
    float rc[4], rv[4], ck[4], cv[4];
    BAD(growth_bidder_sim_sample(NULL, 4, rc, rv, ck, cv), GROWTH_EINVAL, "bidder_sim_sample");
    BAD(growth_bidder_sim_sample(sim, 4, NULL, rv, ck, cv), GROWTH_EINVAL, NULL);
    BAD(growth_bidder_sim_sample(sim, 4, rc, rv, ck, NULL), GROWTH_EINVAL, NULL);
    growth_bidder_sim_result res = GROWTH_BIDDER_SIM_RESULT_INIT;
    double sc[24], pl[24];
    size_t slots = 99;
    BAD(growth_bidder_sim_run(NULL, b, NULL, NULL, &res, sc, pl, 24, &slots), GROWTH_EINVAL,
        "bidder_sim_run");
    BAD(growth_bidder_sim_run(sim, NULL, NULL, NULL, &res, sc, pl, 24, &slots), GROWTH_EINVAL, NULL);
    CHECK(slots == 99); /* out_n is written on OK and EBUFS only */
    sc[0] = pl[0] = -7;
    BAD(growth_bidder_sim_run(sim, b, NULL, NULL, &res, sc, pl, 23, &slots), GROWTH_EBUFS, NULL);
    CHECK(slots == 24 && sc[0] == -7 && pl[0] == -7 &&
          res.impressions == 0); /* nothing written, nothing run */
    BAD(growth_bidder_sim_run(sim, b, NULL, NULL, NULL, NULL, pl, 0, NULL), GROWTH_EBUFS, NULL);
    res.struct_size = 2;
    BAD(growth_bidder_sim_run(sim, b, NULL, NULL, &res, sc, pl, 24, &slots), GROWTH_EINVAL, "struct_size");
    res.struct_size = 0;
    BAD(growth_bidder_sim_run(sim, b, NULL, NULL, &res, sc, pl, 24, &slots), GROWTH_EINVAL, "struct_size");
    res.struct_size = (uint32_t)sizeof res - 8;
    BAD(growth_bidder_sim_run(sim, b, NULL, NULL, &res, sc, pl, 24, &slots), GROWTH_EINVAL, "struct_size");
    growth_calibrator *unfit = NULL;
    CHECK_OK(growth_calibrator_create(&unfit, ""));
    res.struct_size = sizeof res;
    BAD(growth_bidder_sim_run(sim, b, unfit, NULL, &res, sc, pl, 24, &slots), GROWTH_ESTATE, NULL);
    growth_calibrator_free(unfit);
    growth_bidder_sim_free(NULL);
    growth_bidder_free(NULL);

    /* Unchanged and working. */
    BAD_SAME_STATE(bidder, growth_bidder, b, b0);
    CHECK_OK(growth_bidder_bid(b, 0.1, 0.2, 0, 42, &bid));
    CHECK(bid == bid0);
    CHECK_OK(growth_bidder_plan(b, 500, &plan));
    CHECK_OK(growth_bidder_stats_get(b, &bst));
    CHECK(bst.spent == 1.5 && bst.auction_results == 0);
    CHECK_OK(growth_bidder_win_rate(b, 1, &r));
    CHECK_OK(growth_bidder_sim_sample(sim, 4, rc, rv, ck, cv));
    CHECK_OK(growth_bidder_new_day(b));
    CHECK_OK(growth_bidder_sim_run(sim, b, NULL, NULL, &res, sc, pl, 24, &slots));
    CHECK(slots == 24 && res.impressions == 50);
    CHECK_OK(growth_bidder_sim_run(sim, b, NULL, NULL, NULL, NULL, NULL, 0, &slots));
    CHECK(slots == 0); /* no curve asked for: none written */
    growth_bidder_sim_free(sim);
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_bidder_free(b);
}

static int stop_now(const char *stage, double done, void *user)
{
    (void)stage;
    (void)done;
    (*(int *)user)++;
    return 1;
}

TEST(test_mckp_functions)
{
    const char *bad_cfg[] = {"threads=0", "threads=257", "max_iter=0", "tol=-1",
                             "tol=nan",   "fill=maybe",  "bogus=1"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_mckp *x = NULL;
        BAD(growth_mckp_create(&x, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    BAD(growth_mckp_create(NULL, ""), GROWTH_EINVAL, "mckp_create");

    /* 3 users with 2, 1, 2 options; one budget. */
    uint64_t ip[4] = {0, 2, 3, 5};
    double val[5] = {3, 5, 4, 2, 6}, cost[5] = {1, 3, 2, 1, 4}, budget = 5, lam = 1;
    int32_t choice[3], choice0[3];
    growth_mckp *s = NULL;
    CHECK_OK(growth_mckp_create(&s, "threads=1"));
    growth_mckp_result r0 = GROWTH_MCKP_RESULT_INIT, r = GROWTH_MCKP_RESULT_INIT;
    BAD(growth_mckp_result_get(s, &r), GROWTH_ESTATE, NULL);
    CHECK_OK(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, choice0, 3));
    CHECK_OK(growth_mckp_result_get(s, &r0));
    char buf[8];
    size_t need;
    double dl[2], ds[2], sp[2], sv[2], sd[2];

    BAD(growth_mckp_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "mckp_config");
    memset(buf, 'x', sizeof buf);
    need = 0;
    BAD(growth_mckp_config(s, buf, sizeof buf, &need), GROWTH_EBUFS, "mckp_config");
    CHECK(need > sizeof buf && buf[0] == 'x');
    BAD(growth_mckp_config(s, NULL, 0, &need), GROWTH_EBUFS, NULL); /* asks for the size */
    BAD(growth_mckp_set_progress(NULL, stop_now, NULL), GROWTH_EINVAL, "mckp_set_progress");
    BAD(growth_mckp_cancel(NULL), GROWTH_EINVAL, "mckp_cancel");
    BAD(growth_mckp_solve(NULL, ip, 3, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, "mckp_solve");
    BAD(growth_mckp_solve(s, NULL, 3, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 3, NULL, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 3, val, NULL, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, NULL, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, NULL, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 0, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 0, &budget, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 65, &budget, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, choice, 2), GROWTH_EBUFS, NULL);
    BAD(growth_mckp_solve(s, ip, SIZE_MAX, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, "too large");
    BAD(growth_mckp_solve(s, ip, SIZE_MAX, val, cost, 1, &budget, choice, SIZE_MAX), GROWTH_EINVAL,
        "too large");
    BAD(growth_mckp_solve(s, ip, SIZE_MAX / 8, val, cost, 1, &budget, choice, SIZE_MAX), GROWTH_EINVAL,
        "too large");
    uint64_t ip_bad[4] = {0, 2, 1, 5}, ip_huge[4] = {0, 2, 3, UINT64_MAX / 2};
    BAD(growth_mckp_solve(s, ip_bad, 3, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_solve(s, ip_huge, 3, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    double bad_budget = NAN;
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &bad_budget, choice, 3), GROWTH_EINVAL, NULL);
    bad_budget = -1;
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &bad_budget, choice, 3), GROWTH_EINVAL, NULL);
    val[2] = NAN;
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    val[2] = -4;
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    val[2] = 4;
    cost[4] = INFINITY;
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, choice, 3), GROWTH_EINVAL, NULL);
    cost[4] = 4;
    int calls = 0;
    CHECK_OK(growth_mckp_set_progress(s, stop_now, &calls));
    BAD(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, choice, 3), GROWTH_ECANCELED, NULL);
    CHECK(calls >= 1);
    CHECK_OK(growth_mckp_set_progress(s, NULL, NULL));
    BAD(growth_mckp_result_get(NULL, &r), GROWTH_EINVAL, "mckp_result_get");
    BAD(growth_mckp_result_get(s, NULL), GROWTH_EINVAL, NULL);
    growth_mckp_result tiny = {.struct_size = 2};
    BAD(growth_mckp_result_get(s, &tiny), GROWTH_EINVAL, "struct_size");
    tiny.struct_size = 0;
    BAD(growth_mckp_result_get(s, &tiny), GROWTH_EINVAL, "struct_size");
    tiny.struct_size = (uint32_t)sizeof tiny - 8; /* smaller than the 1.0 struct */
    BAD(growth_mckp_result_get(s, &tiny), GROWTH_EINVAL, "struct_size");
    BAD(growth_mckp_duals(NULL, dl, ds, 2), GROWTH_EINVAL, "mckp_duals");
    BAD(growth_mckp_duals(s, dl, ds, 0), GROWTH_EBUFS, NULL);
    BAD(growth_mckp_shard_eval(NULL, ip, 3, val, cost, 1, &lam, 1, sp, sv, sd), GROWTH_EINVAL,
        "mckp_shard_eval");
    BAD(growth_mckp_shard_eval(s, NULL, 3, val, cost, 1, &lam, 1, sp, sv, sd), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_eval(s, ip, 3, val, cost, 1, NULL, 1, sp, sv, sd), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_eval(s, ip, 3, val, cost, 1, &lam, 0, sp, sv, sd), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_eval(s, ip, 3, val, cost, 0, &lam, 1, sp, sv, sd), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_eval(s, ip, 3, val, cost, 1, &lam, SIZE_MAX, sp, sv, sd), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_eval(s, ip, 3, val, cost, SIZE_MAX / 2 + 1, &lam, 2, sp, sv, sd), GROWTH_EINVAL,
        NULL);
    double nlam = -1;
    BAD(growth_mckp_shard_eval(s, ip, 3, val, cost, 1, &nlam, 1, sp, sv, sd), GROWTH_EINVAL, NULL);
    nlam = NAN;
    BAD(growth_mckp_shard_eval(s, ip, 3, val, cost, 1, &nlam, 1, sp, sv, sd), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_assign(NULL, ip, 3, val, cost, 1, &lam, choice, 3, sp, sv), GROWTH_EINVAL,
        "mckp_shard_assign");
    BAD(growth_mckp_shard_assign(s, ip, 3, val, cost, 1, &lam, NULL, 3, sp, sv), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_assign(s, ip, 3, val, cost, 1, &lam, choice, 2, sp, sv), GROWTH_EBUFS, NULL);
    BAD(growth_mckp_shard_assign(s, ip, 3, val, cost, 1, &nlam, choice, 3, sp, sv), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_assign(s, ip_bad, 3, val, cost, 1, &lam, choice, 3, sp, sv), GROWTH_EINVAL, NULL);
    /* the exact-LP polish's shard calls */
    uint64_t und[3];
    size_t nu, no;
    double fx[2] = {0, 0}, pl, big_fx[2] = {0, NAN};
    int exact;
    int32_t pick[3];
    BAD(growth_mckp_shard_scan(NULL, ip, 3, val, cost, 1, &lam, 0.1, choice, 3, und, 3, &nu, &no, fx),
        GROWTH_EINVAL, "mckp_shard_scan");
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &lam, 0.1, NULL, 3, und, 3, &nu, &no, fx),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &lam, 0.1, choice, 3, NULL, 3, &nu, &no, fx),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &lam, 0.1, choice, 3, und, 3, NULL, &no, fx),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &lam, 0.1, choice, 3, und, 3, &nu, &no, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &lam, 0, choice, 3, und, 3, &nu, &no, fx),
        GROWTH_EINVAL, "delta");
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &lam, NAN, choice, 3, und, 3, &nu, &no, fx),
        GROWTH_EINVAL, "delta");
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &nlam, 0.1, choice, 3, und, 3, &nu, &no, fx),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_scan(s, ip, 3, val, cost, 1, &lam, 0.1, choice, 2, und, 3, &nu, &no, fx),
        GROWTH_EBUFS, NULL);
    BAD(growth_mckp_shard_scan(s, ip, SIZE_MAX, val, cost, 1, &lam, 0.1, choice, SIZE_MAX, und, 3, &nu, &no,
                               fx),
        GROWTH_EINVAL, "too large");
    BAD(growth_mckp_restricted_lp(NULL, ip, 3, val, cost, 1, &budget, fx, &lam, 0.1, pick, 3, &pl, &pl,
                                  &exact, NULL),
        GROWTH_EINVAL, "mckp_restricted_lp");
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, NULL, fx, &lam, 0.1, pick, 3, &pl, &pl, &exact,
                                  NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, &budget, NULL, &lam, 0.1, pick, 3, &pl, &pl, &exact,
                                  NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, &budget, fx, &lam, 0.1, NULL, 3, &pl, &pl, &exact,
                                  NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, &budget, fx, &lam, 0.1, pick, 3, &pl, &pl, NULL,
                                  NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, &budget, fx, &lam, -1, pick, 3, &pl, &pl, &exact,
                                  NULL),
        GROWTH_EINVAL, "delta");
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, &budget, big_fx, &lam, 0.1, pick, 3, &pl, &pl,
                                  &exact, NULL),
        GROWTH_EINVAL, "fixed");
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, &bad_budget, fx, &lam, 0.1, pick, 3, &pl, &pl,
                                  &exact, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 1, &budget, fx, &lam, 0.1, pick, 2, &pl, &pl, &exact,
                                  NULL),
        GROWTH_EBUFS, NULL);
    BAD(growth_mckp_restricted_lp(s, ip, 3, val, cost, 0, &budget, fx, &lam, 0.1, pick, 3, &pl, &pl, &exact,
                                  NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_restricted_lp(s, ip, GROWTH_MCKP_LP_MAX_USERS + 1, val, cost, 1, &budget, fx, &lam, 0.1,
                                  pick, 3, &pl, &pl, &exact, NULL),
        GROWTH_EINVAL, NULL);
    growth_mckp_free(NULL);

    /* The last good result stays, and the solver still solves. */
    CHECK_OK(growth_mckp_result_get(s, &r));
    CHECK(r.value == r0.value && r.dual_bound == r0.dual_bound && r.n_users == 3);
    CHECK_OK(growth_mckp_duals(s, dl, ds, 1));
    CHECK_OK(growth_mckp_cancel(s));
    CHECK_OK(growth_mckp_solve(s, ip, 3, val, cost, 1, &budget, choice, 3));
    CHECK(memcmp(choice, choice0, sizeof choice) == 0);
    CHECK_OK(growth_mckp_shard_eval(s, ip, 3, val, cost, 1, &lam, 1, sp, sv, sd));
    CHECK_OK(growth_mckp_shard_assign(s, ip, 3, val, cost, 1, &lam, choice, 3, sp, sv));
    CHECK_NEAR(sv[0], 3 + 4 + 6, 1e-12); /* at lambda = 1: reduced values 2|2 (tie: cheaper), 2, 1|2 */

    /* The coordinated protocol: coordinator and shard step. */
    growth_mckp_coord *co = NULL;
    double bud2[2] = {1, 1}, nb = NAN;
    BAD(growth_mckp_coord_create(NULL, 2, 3, 6, 1, &budget, ""), GROWTH_EINVAL, "mckp_coord_create");
    BAD(growth_mckp_coord_create(&co, 0, 3, 6, 1, &budget, ""), GROWTH_EINVAL, "n_shards");
    BAD(growth_mckp_coord_create(&co, 2, 0, 6, 1, &budget, ""), GROWTH_EINVAL, "n_users");
    BAD(growth_mckp_coord_create(&co, 2, 3, 6, 0, &budget, ""), GROWTH_EINVAL, "n_budgets");
    BAD(growth_mckp_coord_create(&co, 2, 3, 6, 65, bud2, ""), GROWTH_EINVAL, "n_budgets");
    BAD(growth_mckp_coord_create(&co, 2, 3, 6, 1, NULL, ""), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_create(&co, 2, 3, 6, 1, &nb, ""), GROWTH_EINVAL, "budget 0");
    BAD(growth_mckp_coord_create(&co, 2, 3, 6, 1, &budget, "fill=maybe"), GROWTH_EINVAL, "fill");
    BAD(growth_mckp_coord_create(&co, 2, 3, 6, 1, &budget, "threads=2"), GROWTH_EINVAL, "threads");
    CHECK(co == NULL);
    CHECK_OK(growth_mckp_coord_create(&co, 1, 3, (size_t)ip[3], 1, &budget, "max_iter=5"));
    int done = 0;
    double rq[64], rp[64];
    size_t nrq = 0, nrp = 0;
    growth_mckp_coord_stats cst = GROWTH_MCKP_COORD_STATS_INIT, cbad = {.struct_size = 4};
    BAD(growth_mckp_coord_next(NULL, &done), GROWTH_EINVAL, "mckp_coord_next");
    BAD(growth_mckp_coord_next(co, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_feed(co, 0, rp, 8), GROWTH_ESTATE, "not started");
    BAD(growth_mckp_coord_result_get(co, &r), GROWTH_ESTATE, "not finished");
    BAD(growth_mckp_coord_duals(co, dl, ds, 1), GROWTH_ESTATE, NULL);
    CHECK_OK(growth_mckp_coord_next(co, &done));
    BAD(growth_mckp_coord_request(NULL, 0, rq, 64, &nrq), GROWTH_EINVAL, "mckp_coord_request");
    BAD(growth_mckp_coord_request(co, 1, rq, 64, &nrq), GROWTH_EINVAL, "shard 1");
    BAD(growth_mckp_coord_request(co, 0, rq, 64, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_request(co, 0, rq, 2, &nrq), GROWTH_EBUFS, NULL);
    CHECK(nrq > 2);
    CHECK_OK(growth_mckp_coord_request(co, 0, rq, 64, &nrq));
    double *rbig = malloc(200000 * sizeof *rbig);
    int32_t plan[3];
    BAD(growth_mckp_shard_step(NULL, ip, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 200000, &nrp),
        GROWTH_EINVAL, "mckp_shard_step");
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, NULL, nrq, plan, 3, rbig, 200000, &nrp), GROWTH_EINVAL,
        NULL);
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, NULL, 3, rbig, 200000, &nrp), GROWTH_EINVAL,
        NULL);
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 200000, NULL), GROWTH_EINVAL,
        NULL);
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, 3, plan, 3, rbig, 200000, &nrp), GROWTH_EINVAL,
        "request");
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq - 1, plan, 3, rbig, 200000, &nrp),
        GROWTH_EINVAL, "request");
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 2, rq, nrq, plan, 3, rbig, 200000, &nrp), GROWTH_EINVAL,
        "budgets");
    BAD(growth_mckp_shard_step(s, ip_bad, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 200000, &nrp),
        GROWTH_EINVAL, NULL);
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, plan, 2, rbig, 200000, &nrp), GROWTH_EBUFS,
        NULL);
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 4, &nrp), GROWTH_EBUFS, NULL);
    CHECK(nrp > 4);
    double keep_rq = rq[1];
    rq[1] = NAN;
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 200000, &nrp), GROWTH_EINVAL,
        "NaN");
    rq[1] = 99;
    BAD(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 200000, &nrp), GROWTH_EINVAL,
        "kind");
    rq[1] = keep_rq;
    CHECK_OK(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 200000, &nrp));
    BAD(growth_mckp_coord_feed(NULL, 0, rbig, nrp), GROWTH_EINVAL, "mckp_coord_feed");
    BAD(growth_mckp_coord_feed(co, 0, NULL, nrp), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_feed(co, 1, rbig, nrp), GROWTH_EINVAL, "shard 1");
    BAD(growth_mckp_coord_feed(co, 0, rbig, 3), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_feed(co, 0, rbig, nrp - 1), GROWTH_EINVAL, NULL);
    rbig[nrp - 1] = INFINITY;
    BAD(growth_mckp_coord_feed(co, 0, rbig, nrp), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_fail(NULL, 0, GROWTH_EIO, "x"), GROWTH_EINVAL, "mckp_coord_fail");
    BAD(growth_mckp_coord_fail(co, 1, GROWTH_EIO, "x"), GROWTH_EINVAL, "shard 1");
    BAD(growth_mckp_coord_fail(co, 0, 0, "x"), GROWTH_EINVAL, "code");
    BAD(growth_mckp_coord_fail(co, 0, 5, "x"), GROWTH_EINVAL, "code");
    BAD(growth_mckp_coord_cancel(NULL), GROWTH_EINVAL, "mckp_coord_cancel");
    BAD(growth_mckp_coord_result_get(NULL, &r), GROWTH_EINVAL, "mckp_coord_result_get");
    BAD(growth_mckp_coord_result_get(co, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_result_get(co, &tiny), GROWTH_EINVAL, "struct_size");
    BAD(growth_mckp_coord_duals(NULL, dl, ds, 1), GROWTH_EINVAL, "mckp_coord_duals");
    BAD(growth_mckp_coord_stats_get(NULL, &cst), GROWTH_EINVAL, "mckp_coord_stats_get");
    BAD(growth_mckp_coord_stats_get(co, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_mckp_coord_stats_get(co, &cbad), GROWTH_EINVAL, "struct_size");
    CHECK_OK(growth_mckp_coord_stats_get(co, &cst));
    CHECK(cst.rounds == 1 && cst.requests == 1);
    /* the coordinator still works after the rejected calls: drive it to the end */
    CHECK_OK(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nrq, plan, 3, rbig, 200000, &nrp));
    CHECK_OK(growth_mckp_coord_feed(co, 0, rbig, nrp));
    BAD(growth_mckp_coord_feed(co, 0, rbig, nrp), GROWTH_ESTATE, "no request");
    for (int it = 0; it < 100; it++) {
        CHECK_OK(growth_mckp_coord_next(co, &done));
        if (done) break;
        size_t nq;
        CHECK_OK(growth_mckp_coord_request(co, 0, rbig, 200000, &nq));
        memcpy(rq, rbig, nq * sizeof *rq);
        CHECK_OK(growth_mckp_shard_step(s, ip, 3, val, cost, 1, rq, nq, plan, 3, rbig, 200000, &nrp));
        CHECK_OK(growth_mckp_coord_feed(co, 0, rbig, nrp));
    }
    CHECK(done);
    growth_mckp_result rc0 = GROWTH_MCKP_RESULT_INIT;
    CHECK_OK(growth_mckp_coord_result_get(co, &rc0));
    CHECK(rc0.value == r0.value && memcmp(plan, choice0, sizeof plan) == 0);
    BAD(growth_mckp_coord_duals(co, dl, ds, 0), GROWTH_EBUFS, NULL);
    BAD(growth_mckp_coord_fail(co, 0, GROWTH_EIO, "late"), GROWTH_ESTATE, "finished");
    growth_mckp_coord_free(co);
    growth_mckp_coord_free(NULL);
    free(rbig);
    growth_mckp_free(s);
}

TEST(test_response_functions)
{
    /* growth_channels_fit */
    double xs[6] = {1e3, 2e3, 4e3, 8e3, 1.6e4, 3.2e4}, ys[6] = {95, 180, 330, 550, 800, 950},
           wt[6] = {1, 1, 1, 1, 1, 1};
    double kx[8], ky[8], bad_v[6];
    size_t kn = 77;
    growth_channels_fit_result fr = GROWTH_CHANNELS_FIT_RESULT_INIT, fr0;
    CHECK_OK(growth_channels_fit(xs, ys, wt, 6, "family=pwl", &fr, kx, ky, 8, &kn));
    CHECK(fr.family == 0 && kn >= 2 && kn == fr.knots);
    fr0 = fr;
    kn = 77;
    BAD(growth_channels_fit(NULL, ys, wt, 6, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "channels_fit");
    BAD(growth_channels_fit(xs, NULL, wt, 6, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, NULL);
    BAD(growth_channels_fit(xs, ys, wt, 6, "", NULL, kx, ky, 8, &kn), GROWTH_EINVAL, NULL);
    BAD(growth_channels_fit(xs, ys, wt, 6, "", &fr, NULL, ky, 8, &kn), GROWTH_EINVAL, NULL);
    BAD(growth_channels_fit(xs, ys, wt, 1, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, NULL);
    BAD(growth_channels_fit(xs, ys, wt, SIZE_MAX, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, NULL);
    BAD(growth_channels_fit(xs, ys, wt, 6, "family=cubic", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "family");
    BAD(growth_channels_fit(xs, ys, wt, 6, "knots=1", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "knots");
    BAD(growth_channels_fit(xs, ys, wt, 6, "bogus=1", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, NULL);
    const double bads[] = {NAN, INFINITY, -1};
    for (int b = 0; b < 3; b++) {
        memcpy(bad_v, xs, sizeof bad_v);
        bad_v[2] = bads[b];
        BAD(growth_channels_fit(bad_v, ys, wt, 6, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "spend[2]");
        memcpy(bad_v, ys, sizeof bad_v);
        bad_v[3] = bads[b];
        BAD(growth_channels_fit(xs, bad_v, wt, 6, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "outcome[3]");
        memcpy(bad_v, wt, sizeof bad_v);
        bad_v[4] = bads[b];
        BAD(growth_channels_fit(xs, ys, bad_v, 6, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "weight[4]");
    }
    double same[6] = {5, 5, 5, 5, 5, 5};
    BAD(growth_channels_fit(same, ys, NULL, 6, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "distinct");
    fr.struct_size = 8;
    BAD(growth_channels_fit(xs, ys, wt, 6, "", &fr, kx, ky, 8, &kn), GROWTH_EINVAL, "struct_size");
    fr.struct_size = sizeof fr;
    CHECK(kn == 77); /* failed fits write no count */
    BAD(growth_channels_fit(xs, ys, wt, 6, "family=pwl", &fr, kx, ky, 1, &kn), GROWTH_EBUFS, NULL);
    CHECK(kn == fr0.knots);
    CHECK_OK(growth_channels_fit(xs, ys, NULL, 6, "family=pwl", &fr, kx, ky, 8, &kn));
    CHECK(fr.r2 == fr0.r2 && fr.rmse == fr0.rmse);

    /* growth_response_* */
    const char *bad_cfg[] = {"tol=0", "tol=nan", "bogus=1", "max_memory=-1"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_response *x = NULL;
        BAD(growth_response_create(&x, 3, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    growth_response *r = NULL;
    BAD(growth_response_create(NULL, 3, ""), GROWTH_EINVAL, "response_create");
    BAD(growth_response_create(&r, 0, ""), GROWTH_EINVAL, "n_outcomes");
    BAD(growth_response_create(&r, 17, ""), GROWTH_EINVAL, "n_outcomes");
    CHECK(r == NULL);
    CHECK_OK(growth_response_create(&r, 3, NULL));
    double budgets[2] = {2e4, 1.5e4}, w[3] = {1, 0, 0}, ratio[3] = {0, 0.3, 0}, sp[2], oc[6], sp0[2];
    growth_response_result rr = GROWTH_RESPONSE_RESULT_INIT, rr0;
    BAD(growth_response_allocate(r, budgets, 2, w, NULL, NULL, NULL, sp, oc, 2, &rr), GROWTH_ESTATE, NULL);
    size_t idx = 9;
    BAD(growth_response_add(NULL, 0, 0, 1e4, &idx), GROWTH_EINVAL, "response_add");
    BAD(growth_response_add(r, -2, 0, 1e4, &idx), GROWTH_EINVAL, "group");
    BAD(growth_response_add(r, 0, NAN, 1e4, &idx), GROWTH_EINVAL, "spend_lo");
    BAD(growth_response_add(r, 0, -1, 1e4, &idx), GROWTH_EINVAL, "spend_lo");
    BAD(growth_response_add(r, 0, 5, 1, &idx), GROWTH_EINVAL, "spend_hi");
    BAD(growth_response_add(r, 0, 0, NAN, &idx), GROWTH_EINVAL, "spend_hi");
    CHECK(idx == 9);
    CHECK_OK(growth_response_add(r, 0, 1e3, 1e4, &idx));
    CHECK(idx == 0);
    CHECK_OK(growth_response_add(r, -1, 0, INFINITY, &idx));
    CHECK(idx == 1);
    BAD(growth_response_set_curve(NULL, 0, 0, GROWTH_CURVE_EXP, 1, 1), GROWTH_EINVAL, "set_curve");
    BAD(growth_response_set_curve(r, 2, 0, GROWTH_CURVE_EXP, 1, 1), GROWTH_EINVAL, "placement");
    BAD(growth_response_set_curve(r, 0, 3, GROWTH_CURVE_EXP, 1, 1), GROWTH_EINVAL, "outcome");
    BAD(growth_response_set_curve(r, 0, 0, (growth_curve)9, 1, 1), GROWTH_EINVAL, "kind");
    BAD(growth_response_set_curve(r, 0, 0, GROWTH_CURVE_EXP, NAN, 1), GROWTH_EINVAL, NULL);
    BAD(growth_response_set_curve(r, 0, 0, GROWTH_CURVE_EXP, 1, -1), GROWTH_EINVAL, NULL);
    BAD(growth_response_set_curve(r, 0, 0, GROWTH_CURVE_LOG, INFINITY, 1), GROWTH_EINVAL, NULL);
    CHECK_OK(growth_response_set_curve(r, 0, 0, GROWTH_CURVE_EXP, 5000, 1e-4));
    CHECK_OK(growth_response_set_curve(r, 0, 1, GROWTH_CURVE_EXP, 2000, 1.2e-4));
    CHECK_OK(growth_response_set_curve(r, 1, 0, GROWTH_CURVE_LOG, 2000, 5e-4));
    CHECK_OK(growth_response_set_curve(r, 1, 1, GROWTH_CURVE_LOG, 500, 5e-4));
    double px[3] = {0, 1e4, 3e4}, py[3] = {0, 800, 1500}, pxb[3] = {0, 2e4, 1e4}, pyb[3] = {0, 100, 1500},
           pyn[3] = {0, NAN, 1}, px1[3] = {1, 2, 3};
    BAD(growth_response_set_points(NULL, 0, 2, px, py, 3), GROWTH_EINVAL, "set_points");
    BAD(growth_response_set_points(r, 0, 2, NULL, py, 3), GROWTH_EINVAL, NULL);
    BAD(growth_response_set_points(r, 0, 2, px, NULL, 3), GROWTH_EINVAL, NULL);
    BAD(growth_response_set_points(r, 0, 2, px, py, 1), GROWTH_EINVAL, NULL);
    BAD(growth_response_set_points(r, 0, 2, px, py, SIZE_MAX), GROWTH_EINVAL, NULL);
    BAD(growth_response_set_points(r, 5, 2, px, py, 3), GROWTH_EINVAL, "placement");
    BAD(growth_response_set_points(r, 0, 3, px, py, 3), GROWTH_EINVAL, "outcome");
    BAD(growth_response_set_points(r, 0, 2, pxb, py, 3), GROWTH_EINVAL, "increase");
    BAD(growth_response_set_points(r, 0, 2, px, pyb, 3), GROWTH_EINVAL, "concave");
    BAD(growth_response_set_points(r, 0, 2, px, pyn, 3), GROWTH_EINVAL, "finite");
    BAD(growth_response_set_points(r, 0, 2, px1, py, 3), GROWTH_EINVAL, "x[0]");
    CHECK_OK(growth_response_set_points(r, 0, 2, px, py, 3));
    CHECK_OK(growth_response_allocate(r, budgets, 2, w, ratio, NULL, NULL, sp0, oc, 2, &rr));
    rr0 = rr;
    double mins[2] = {1e3, 0}, maxs[2] = {INFINITY, 1e4};
    BAD(growth_response_allocate(NULL, budgets, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "response_allocate");
    BAD(growth_response_allocate(r, NULL, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL, NULL);
    BAD(growth_response_allocate(r, budgets, 0, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL, NULL);
    BAD(growth_response_allocate(r, budgets, 2, NULL, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        NULL);
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, mins, maxs, NULL, oc, 2, &rr), GROWTH_EINVAL, NULL);
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, mins, maxs, sp, oc, 1, &rr), GROWTH_EBUFS, NULL);
    double bb[2] = {NAN, 1}, bi[2] = {INFINITY, 1}, bn[2] = {-1, 1}, bg[2] = {2e4, NAN}, bgn[2] = {2e4, -1};
    BAD(growth_response_allocate(r, bb, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "budgets[0]");
    BAD(growth_response_allocate(r, bi, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "budgets[0]");
    BAD(growth_response_allocate(r, bn, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "budgets[0]");
    BAD(growth_response_allocate(r, bg, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "budgets[1]");
    BAD(growth_response_allocate(r, bgn, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "budgets[1]");
    double wn[3] = {1, NAN, 0}, wneg[3] = {1, -1, 0}, rn[3] = {0, NAN, 0}, r0[3] = {0.5, 0, 0},
           r3[3] = {0, -0.1, 0};
    BAD(growth_response_allocate(r, budgets, 2, wn, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "weights");
    BAD(growth_response_allocate(r, budgets, 2, wneg, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "weights");
    BAD(growth_response_allocate(r, budgets, 2, w, rn, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "min_ratio");
    BAD(growth_response_allocate(r, budgets, 2, w, r0, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "min_ratio");
    BAD(growth_response_allocate(r, budgets, 2, w, r3, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "min_ratio");
    double mn[2] = {NAN, 0}, mneg[2] = {-1, 0}, mbig[2] = {1.6e4, 0}, mall[2] = {1.5e4, 1e4},
           xlo[2] = {1e3, 0}, xn[2] = {NAN, 1e4}, xsm[2] = {10, 1e4};
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, mn, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "min_spend");
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, mneg, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "min_spend");
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, mbig, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "group 0");
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, mall, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "total");
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, xlo, xn, sp, oc, 2, &rr), GROWTH_EINVAL,
        "max_spend");
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, xlo, xsm, sp, oc, 2, &rr), GROWTH_EINVAL,
        "max_spend");
    double unreach[3] = {0, 0.99, 0}, two[3] = {0, 0.1, 0.1};
    BAD(growth_response_allocate(r, budgets, 2, w, unreach, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "cannot be met");
    (void)two;
    rr.struct_size = 4;
    BAD(growth_response_allocate(r, budgets, 2, w, ratio, mins, maxs, sp, oc, 2, &rr), GROWTH_EINVAL,
        "struct_size");
    rr.struct_size = sizeof rr;
    growth_response *r4 = NULL;
    CHECK_OK(growth_response_create(&r4, 4, ""));
    CHECK_OK(growth_response_add(r4, -1, 0, 1, NULL));
    double w4[4] = {1, 0, 0, 0}, three[4] = {0, 0.1, 0.1, 0.1};
    BAD(growth_response_allocate(r4, budgets, 1, w4, three, NULL, NULL, sp, NULL, 2, NULL), GROWTH_EINVAL,
        "more than 2");
    growth_response_free(r4);
    growth_response_free(NULL);
    /* the failed calls left the model as it was */
    CHECK_OK(growth_response_allocate(r, budgets, 2, w, ratio, NULL, NULL, sp, oc, 2, &rr));
    CHECK(sp[0] == sp0[0] && sp[1] == sp0[1] && rr.objective == rr0.objective);
    growth_response_free(r);
}

TEST(test_channels_functions)
{
    const char *bad_cfg[] = {"tol=0", "tol=nan", "tol=-1", "bogus=1"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_channels *x = NULL;
        BAD(growth_channels_create(&x, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    BAD(growth_channels_create(NULL, ""), GROWTH_EINVAL, "channels_create");
    growth_channels *c = NULL;
    CHECK_OK(growth_channels_create(&c, ""));
    double xs[3] = {0, 1e4, 3e4}, ys[3] = {0, 800, 1500};
    size_t idx = 9;
    CHECK_OK(growth_channels_add(c, GROWTH_CURVE_EXP, 5000, 1e-4, 1, 0, 1e5, &idx));
    CHECK(idx == 0);
    CHECK_OK(growth_channels_add_points(c, xs, ys, 3, 1, 2e3, 3e4, &idx));
    CHECK(idx == 1);
    idx = 9;
    double sp0[2], sp[2], oc[2], tot0, tot, mg0, mg;
    CHECK_OK(growth_channels_allocate(c, 5e4, sp0, oc, 2, &tot0, &mg0));

    growth_channels_stats cst = GROWTH_CHANNELS_STATS_INIT;
    BAD(growth_channels_stats_get(NULL, &cst), GROWTH_EINVAL, "channels_stats_get");
    BAD(growth_channels_stats_get(c, NULL), GROWTH_EINVAL, "channels_stats_get");
    cst.struct_size = 0;
    BAD(growth_channels_stats_get(c, &cst), GROWTH_EINVAL, "struct_size");
    cst.struct_size = (uint32_t)sizeof cst - 8;
    BAD(growth_channels_stats_get(c, &cst), GROWTH_EINVAL, "struct_size");
    cst.struct_size = sizeof cst;
    BAD(growth_channels_add(NULL, GROWTH_CURVE_EXP, 1, 1, 1, 0, 1, &idx), GROWTH_EINVAL, "channels_add");
    BAD(growth_channels_add(c, (growth_curve)7, 1, 1, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add(c, GROWTH_CURVE_LOG, NAN, 1, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add(c, GROWTH_CURVE_LOG, 1, -1, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add(c, GROWTH_CURVE_LOG, 1, 1, INFINITY, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add(c, GROWTH_CURVE_LOG, 1, 1, 1, 5, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add(c, GROWTH_CURVE_LOG, 1, 1, 1, -1, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add(c, GROWTH_CURVE_LOG, 1, 1, 1, 0, NAN, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add_points(NULL, xs, ys, 3, 1, 0, 1, &idx), GROWTH_EINVAL, "channels_add_points");
    BAD(growth_channels_add_points(c, NULL, ys, 3, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add_points(c, xs, NULL, 3, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add_points(c, xs, ys, 0, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_add_points(c, xs, ys, SIZE_MAX, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    double xb[3] = {0, 2e4, 1e4}, yb[3] = {0, 100, 1500}, yn[3] = {0, NAN, 1};
    BAD(growth_channels_add_points(c, xb, ys, 3, 1, 0, 1, &idx), GROWTH_EINVAL, NULL); /* x not increasing */
    BAD(growth_channels_add_points(c, xs, yb, 3, 1, 0, 1, &idx), GROWTH_EINVAL, NULL); /* convex */
    BAD(growth_channels_add_points(c, xs, yn, 3, 1, 0, 1, &idx), GROWTH_EINVAL, NULL);
    BAD(growth_channels_allocate(NULL, 5e4, sp, oc, 2, &tot, &mg), GROWTH_EINVAL, "channels_allocate");
    BAD(growth_channels_allocate(c, 5e4, NULL, oc, 2, &tot, &mg), GROWTH_EINVAL, NULL);
    BAD(growth_channels_allocate(c, 5e4, sp, oc, 1, &tot, &mg), GROWTH_EBUFS, NULL);
    BAD(growth_channels_allocate(c, -1, sp, oc, 2, &tot, &mg), GROWTH_EINVAL, NULL);
    BAD(growth_channels_allocate(c, NAN, sp, oc, 2, &tot, &mg), GROWTH_EINVAL, NULL);
    BAD(growth_channels_allocate(c, INFINITY, sp, oc, 2, &tot, &mg), GROWTH_EINVAL, NULL);
    BAD(growth_channels_allocate(c, 1e3, sp, oc, 2, &tot, &mg), GROWTH_EINVAL, NULL); /* min 2e3 */
    double bud[2] = {1e4, NAN}, ct[2], cm[2], cs[4];
    BAD(growth_channels_curve(NULL, bud, 1, ct, cm, cs, 4), GROWTH_EINVAL, "channels_curve");
    BAD(growth_channels_curve(c, NULL, 1, ct, cm, cs, 4), GROWTH_EINVAL, NULL);
    BAD(growth_channels_curve(c, bud, 1, NULL, cm, cs, 4), GROWTH_EINVAL, NULL);
    BAD(growth_channels_curve(c, bud, 2, ct, cm, cs, 4), GROWTH_EINVAL, NULL);
    BAD(growth_channels_curve(c, bud, 1, ct, cm, cs, 1), GROWTH_EBUFS, NULL);
    BAD(growth_channels_curve(c, bud, SIZE_MAX / 2 + 1, ct, cm, cs, 4), GROWTH_EBUFS, NULL);
    growth_channels *empty = NULL;
    CHECK_OK(growth_channels_create(&empty, NULL));
    BAD(growth_channels_allocate(empty, 5e4, sp, oc, 2, &tot, &mg), GROWTH_ESTATE, NULL);
    growth_channels_free(empty);
    growth_channels_free(NULL);

    CHECK(idx == 9); /* failed adds write no index */
    CHECK_OK(growth_channels_stats_get(c, &cst));
    CHECK(cst.channels == 2);
    CHECK_OK(growth_channels_allocate(c, 5e4, sp, oc, 2, &tot, &mg));
    CHECK(sp[0] == sp0[0] && sp[1] == sp0[1] && tot == tot0 && mg == mg0);
    CHECK_OK(growth_channels_curve(c, bud, 1, ct, cm, cs, 2));
    growth_channels_free(c);

    /* Push allocation: 2 users with 2 pairs each, 2 categories. */
    uint64_t up[3] = {0, 2, 4};
    double pv[4] = {0.5, 0.2, 0.4, 0.1}, hours[48];
    int32_t cat[4] = {0, 1, 0, 1}, caps[2] = {1, 1};
    uint8_t send[4];
    int8_t hr[4];
    growth_budget_push_result pr = {.struct_size = sizeof pr};
    for (int i = 0; i < 48; i++) hours[i] = 0.01 * (i % 24);
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, "bogus=1", send, hr,
                                    4, &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_budget_allocate_push(NULL, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, "budget_allocate_push");
    BAD(growth_budget_allocate_push(up, 2, NULL, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_budget_allocate_push(up, 2, pv, NULL, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, NULL, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 3,
                                    &pr, NULL, NULL),
        GROWTH_EBUFS, NULL);
    BAD(growth_budget_allocate_push(up, 0, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_budget_allocate_push(up, SIZE_MAX, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send,
                                    hr, 4, &pr, NULL, NULL),
        GROWTH_EINVAL, "too large");
    BAD(growth_budget_allocate_push(up, SIZE_MAX / 24, pv, cat, caps, 2, NULL, NULL, INFINITY, hours, NULL,
                                    send, hr, 4, &pr, NULL, NULL),
        GROWTH_EINVAL, "too large");
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 0, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 1, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL); /* category 1 */
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, NAN, NULL, NULL, send, hr, 4, &pr,
                                    NULL, NULL),
        GROWTH_EINVAL, NULL);
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, -1, NULL, NULL, send, hr, 4, &pr,
                                    NULL, NULL),
        GROWTH_EINVAL, NULL);
    double cmin[2] = {3, 0}, cmax[2] = {5, 5};
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, cmin, cmax, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL); /* unmeetable */
    caps[1] = -1;
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    caps[1] = 1;
    pv[3] = NAN;
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    pv[3] = 0.1;
    hours[5] = INFINITY;
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, hours, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, NULL);
    hours[5] = 0.05;
    pr.struct_size = 2;
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, "struct_size");
    pr.struct_size = 0;
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, "struct_size");
    pr.struct_size = (uint32_t)sizeof pr - 8;
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, NULL, NULL, send, hr, 4,
                                    &pr, NULL, NULL),
        GROWTH_EINVAL, "struct_size");
    pr.struct_size = sizeof pr;
    /* a progress callback that stops the call: GROWTH_ECANCELED, outputs not written */
    int calls = 0;
    memset(send, 0xAB, sizeof send);
    memset(hr, 0x5A, sizeof hr);
    BAD(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, hours, NULL, send, hr, 4,
                                    &pr, stop_now, &calls),
        GROWTH_ECANCELED, "budget_allocate_push");
    CHECK(calls == 1 && send[0] == 0xAB && send[3] == 0xAB && hr[0] == 0x5A && pr.sent == 0 &&
          pr.iterations == 0);
    CHECK_OK(growth_budget_allocate_push(up, 2, pv, cat, caps, 2, NULL, NULL, INFINITY, hours, NULL, send, hr,
                                         4, &pr, NULL, NULL));
    CHECK(send[0] == 1 && send[1] == 0 && send[2] == 1 && send[3] == 0 && pr.sent == 2);
    CHECK_NEAR(pr.value, 0.9, 1e-12);
}

int main(void)
{
    RUN(test_calibrator_functions);
    RUN(test_bandit_functions);
    RUN(test_bandit_logistic_functions);
    RUN(test_bidder_functions);
    RUN(test_mckp_functions);
    RUN(test_channels_functions);
    RUN(test_response_functions);
    return BAD_SUMMARY("bad-input matrix (decide)");
}
