/* The bad-input matrix: every public function of the modules below, called with NULL handles,
 * NULL buffers, zero and huge sizes, NaN/Inf and out-of-range values. Each call must return
 * the expected status with a message naming the function, and the handles must still work
 * afterwards (checked by a prediction that equals the one made before the bad calls). */
#include <stdint.h>

#include "bad_input.h"

TEST(test_common_functions)
{
    int kind;
    BAD(growth_model_kind(NULL, &kind, NULL), GROWTH_EINVAL, "growth_model_kind");
    BAD(growth_model_kind("/x", NULL, NULL), GROWTH_EINVAL, "growth_model_kind");
    BAD(growth_model_kind("", &kind, NULL), GROWTH_EIO, "growth_model_kind");
    CHECK(growth_strerror(INT32_MIN) != NULL && growth_model_kind_name(-1) != NULL);
    CHECK(growth_version() != NULL && strlen(growth_version()) > 0 && growth_last_error() != NULL);
    char other[512];
    bad_other_kind_file(other, sizeof other, 0);
    uint32_t fv = 0;
    CHECK_OK(growth_model_kind(other, &kind, &fv));
    CHECK(kind == GROWTH_KIND_FTRL && fv >= 1);
    bad_garbage_file(other, sizeof other);
    BAD(growth_model_kind(other, &kind, NULL), GROWTH_EFORMAT, NULL);
    CHECK(growth_hash64(NULL, 0, 1) == growth_hash64("", 0, 1));
}

TEST(test_feature_functions)
{
    uint32_t s;
    const char *f[2] = {"a", NULL}, *v[2] = {"x", "y"};
    BAD(growth_features_hash("a", "b", 0, 8, NULL), GROWTH_EINVAL, "growth_features_hash");
    BAD(growth_features_hash(NULL, "b", 0, 8, &s), GROWTH_EINVAL, "growth_features_hash");
    BAD(growth_features_hash("a", NULL, 0, 8, &s), GROWTH_EINVAL, "growth_features_hash");
    BAD(growth_features_hash("a", "b", 0, 0, &s), GROWTH_EINVAL, "bits");
    BAD(growth_features_hash("a", "b", 0, 4096, &s), GROWTH_EINVAL, "bits");
    BAD(growth_features_hash_cross(f, v, 2, 0, 8, &s), GROWTH_EINVAL, "growth_features_hash_cross");
    BAD(growth_features_hash_cross(NULL, v, 2, 0, 8, &s), GROWTH_EINVAL, "growth_features_hash_cross");
    BAD(growth_features_hash_cross(f, v, 0, 0, 8, &s), GROWTH_EINVAL, "growth_features_hash_cross");
    BAD(growth_features_hash_cross(f, v, SIZE_MAX, 0, 8, &s), GROWTH_EINVAL, "growth_features_hash_cross");
    BAD(growth_features_hash_cross(f, v, 2, 0, 8, NULL), GROWTH_EINVAL, "growth_features_hash_cross");
    uint64_t key;
    BAD(growth_features_key(NULL, "x", 0, &key), GROWTH_EINVAL, "growth_features_key");
    BAD(growth_features_key("a", NULL, 0, &key), GROWTH_EINVAL, "growth_features_key");
    BAD(growth_features_key("a", "x", 0, NULL), GROWTH_EINVAL, "growth_features_key");
    BAD(growth_features_key_cross(f, v, 2, 0, &key), GROWTH_EINVAL, "growth_features_key_cross");
    BAD(growth_features_key_cross(NULL, v, 2, 0, &key), GROWTH_EINVAL, "growth_features_key_cross");
    BAD(growth_features_key_cross(f, v, 1, 0, &key), GROWTH_EINVAL, "growth_features_key_cross");
    BAD(growth_features_key_cross(f, v, 17, 0, &key), GROWTH_EINVAL, "growth_features_key_cross");
    BAD(growth_features_key_cross(f, v, 2, 0, NULL), GROWTH_EINVAL, "growth_features_key_cross");

    growth_row *r = NULL;
    BAD(growth_row_create(NULL, ""), GROWTH_EINVAL, "growth_row_create");
    BAD(growth_row_create(&r, "bits=40"), GROWTH_EINVAL, "'bits'");
    BAD(growth_row_create(&r, "capacity=0"), GROWTH_EINVAL, "'capacity'");
    CHECK(r == NULL);
    CHECK_OK(growth_row_create(&r, "bits=8"));
    growth_row_add_cat(r, "a", "b");
    uint32_t first = growth_row_indices(r)[0];
    BAD(growth_row_add_cat(NULL, "a", "b"), GROWTH_EINVAL, "growth_row_add_cat");
    BAD(growth_row_add_cat(r, "a", NULL), GROWTH_EINVAL, "growth_row_add_cat");
    BAD(growth_row_add_num(r, NULL, 1), GROWTH_EINVAL, "growth_row_add_num");
    BAD(growth_row_add_num(r, "x", NAN), GROWTH_EINVAL, "growth_row_add_num");
    BAD(growth_row_add_num(r, "x", -INFINITY), GROWTH_EINVAL, "growth_row_add_num");
    BAD(growth_row_add_cross(r, f, v, 2), GROWTH_EINVAL, "growth_row_add_cross");
    BAD(growth_row_add_cross(NULL, f, v, 2), GROWTH_EINVAL, "growth_row_add_cross");
    BAD(growth_row_add_index(r, 256, 1), GROWTH_EINVAL, "growth_row_add_index");
    BAD(growth_row_add_index(r, UINT32_MAX, 1), GROWTH_EINVAL, "growth_row_add_index");
    BAD(growth_row_add_index(r, 3, NAN), GROWTH_EINVAL, "growth_row_add_index");
    BAD(growth_row_add_index(NULL, 3, 1), GROWTH_EINVAL, "growth_row_add_index");
    BAD(growth_row_config(NULL, NULL, 0, NULL), GROWTH_EINVAL, "growth_row_config");
    const char *fnames[2] = {"a", "a"};
    size_t fidx;
    BAD(growth_row_set_fields(NULL, fnames, 1), GROWTH_EINVAL, "growth_row_set_fields");
    BAD(growth_row_set_fields(r, fnames, 2), GROWTH_EINVAL, "twice");
    BAD(growth_row_set_fields(r, NULL, 1), GROWTH_EINVAL, "names");
    BAD(growth_row_field_index(NULL, "a", &fidx), GROWTH_EINVAL, "growth_row_field_index");
    BAD(growth_row_field_index(r, NULL, &fidx), GROWTH_EINVAL, "growth_row_field_index");
    BAD(growth_row_field_index(r, "a", NULL), GROWTH_EINVAL, "growth_row_field_index");
    BAD(growth_row_field_index(r, "a", &fidx), GROWTH_ENOTFOUND, "no field");
    BAD(growth_row_add_field_index(NULL, 0, 1, 1), GROWTH_EINVAL, "growth_row_add_field_index");
    BAD(growth_row_add_field_index(r, 0, 1, 1), GROWTH_EINVAL, "no fields");
    CHECK(growth_row_fields(NULL) == NULL && growth_row_fields(r) == NULL); /* no field list: NULL */
    char small[4];
    BAD(growth_row_config(r, small, sizeof small, NULL), GROWTH_EBUFS, "buffer");
    BAD(growth_row_config(r, NULL, 100, NULL), GROWTH_EBUFS, "buffer");
    CHECK(growth_row_size(r) == 1 && growth_row_indices(r)[0] == first);
    growth_row_clear(NULL);
    growth_row_free(NULL);
    CHECK(growth_row_values(NULL) == NULL);
    CHECK(growth_row_keys(NULL) == NULL);
    growth_row_free(r);
}

TEST(test_ftrl_functions)
{
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=10 heads=2"));
    uint32_t idx[3] = {1, 2, 3};
    float val[3] = {1, 1, 1}, y[2] = {1, 0}, p[2], before[2], w;
    for (int i = 0; i < 20; i++) CHECK_OK(growth_ftrl_update(m, idx, val, 3, y, 1));
    CHECK_OK(growth_ftrl_predict(m, idx, val, 3, 0, before, 2));
    /* set_config: only `threads`, in range; the model keeps its configuration on failure */
    char cfg_before[1024], cfg_after[1024];
    CHECK_OK(growth_ftrl_config(m, cfg_before, sizeof cfg_before, NULL));
    BAD(growth_ftrl_set_config(NULL, "threads=2"), GROWTH_EINVAL, "growth_ftrl_set_config");
    const char *bad_set[] = {"threads=0", "threads=65", "threads=x",
                             "bits=12",   "alpha=0.1",  "threads=2 threads=2"};
    for (size_t i = 0; i < sizeof bad_set / sizeof bad_set[0]; i++)
        BAD(growth_ftrl_set_config(m, bad_set[i]), GROWTH_EINVAL, "ftrl");
    CHECK_OK(growth_ftrl_config(m, cfg_after, sizeof cfg_after, NULL));
    CHECK(strcmp(cfg_before, cfg_after) == 0);
    CHECK_OK(growth_ftrl_set_config(m, "threads=3"));
    CHECK_OK(growth_ftrl_config(m, cfg_after, sizeof cfg_after, NULL));
    CHECK(strstr(cfg_after, " threads=3") != NULL);
    CHECK_OK(growth_ftrl_set_config(m, NULL)); /* the default */
    CHECK_OK(growth_ftrl_config(m, cfg_after, sizeof cfg_after, NULL));
    CHECK(strcmp(cfg_before, cfg_after) == 0);
    uint64_t ip[3] = {0, 3, 3};
    float labels[4] = {1, 0, 0, 1};

    const char *bad_cfg[] = {"alpha=0",
                             "alpha=nan",
                             "beta=-1",
                             "l1=-0.1",
                             "l2=1e400",
                             "bits=0",
                             "bits=33",
                             "heads=0",
                             "heads=17",
                             "bias=maybe",
                             "precision=half",
                             "seed=-1",
                             "heads=2 head_names=a",
                             "unknown=1",
                             "alpha",
                             "alpha=1 alpha=2",
                             "table=cuckoo",
                             "admit=2",
                             "expire=100",
                             "expire_seconds=5",
                             "admit_prob=0.5",
                             "table=exact admit=0",
                             "table=exact admit=256",
                             "table=exact admit_prob=0",
                             "table=exact admit_prob=2",
                             "table=exact admit_sketch=10",
                             "table=exact expire=-1",
                             "table=exact expire_seconds=nan",
                             "threads=0",
                             "threads=65"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof bad_cfg[0]; i++) {
        growth_ftrl *x = NULL;
        BAD(growth_ftrl_create(&x, bad_cfg[i]), GROWTH_EINVAL, "ftrl");
        CHECK(x == NULL);
    }
    BAD(growth_ftrl_create(NULL, ""), GROWTH_EINVAL, "growth_ftrl_create");
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT, st_zero = {0};
    BAD(growth_ftrl_stats_get(NULL, &st), GROWTH_EINVAL, "growth_ftrl_stats_get");
    BAD(growth_ftrl_stats_get(m, NULL), GROWTH_EINVAL, "growth_ftrl_stats_get");
    BAD(growth_ftrl_stats_get(m, &st_zero), GROWTH_EINVAL, "struct_size");
    /* The smallest accepted size is the first release's (up to `nonzero`). */
    st_zero.struct_size = (uint32_t)offsetof(growth_ftrl_stats, live) - 1;
    BAD(growth_ftrl_stats_get(m, &st_zero), GROWTH_EINVAL, "struct_size");
    CHECK(st_zero.heads == 0 && st_zero.examples == 0);
    size_t hidx = 42;
    BAD(growth_ftrl_head_index(NULL, "a", &hidx), GROWTH_EINVAL, "growth_ftrl_head_index");
    BAD(growth_ftrl_head_index(m, NULL, &hidx), GROWTH_EINVAL, "growth_ftrl_head_index");
    BAD(growth_ftrl_head_index(m, "a", NULL), GROWTH_EINVAL, "growth_ftrl_head_index");
    BAD(growth_ftrl_head_index(m, "nope", &hidx), GROWTH_ENOTFOUND, "growth_ftrl_head_index");
    CHECK(hidx == 42);
    BAD(growth_ftrl_config(NULL, NULL, 0, NULL), GROWTH_EINVAL, "growth_ftrl_config");
    BAD(growth_ftrl_config(m, NULL, 0, NULL), GROWTH_EBUFS, "buffer");
    {
        /* EBUFS protocol: *out_n = the exact size, the buffer untouched. */
        char cfg[8];
        size_t need = 0, got = 0;
        memset(cfg, 'x', sizeof cfg);
        BAD(growth_ftrl_config(m, cfg, sizeof cfg, &need), GROWTH_EBUFS, "buffer");
        CHECK(need > sizeof cfg && cfg[0] == 'x' && cfg[7] == 'x');
        char *big = malloc(need);
        CHECK_OK(growth_ftrl_config(m, big, need, &got));
        CHECK(got == need && strlen(big) + 1 == need);
        free(big);
    }

    BAD(growth_ftrl_predict(NULL, idx, val, 3, 0, p, 2), GROWTH_EINVAL, "growth_ftrl_predict");
    BAD(growth_ftrl_predict(m, NULL, val, 3, 0, p, 2), GROWTH_EINVAL, "growth_ftrl_predict");
    BAD(growth_ftrl_predict(m, idx, val, 3, 0, NULL, 2), GROWTH_EINVAL, "growth_ftrl_predict");
    BAD(growth_ftrl_predict(m, idx, val, 3, 0, p, 0), GROWTH_EBUFS, "growth_ftrl_predict");
    BAD(growth_ftrl_predict(m, idx, val, 3, GROWTH_PREDICT_MARGIN, p, 1), GROWTH_EBUFS,
        "growth_ftrl_predict");
    BAD(growth_ftrl_predict(NULL, idx, val, 3, GROWTH_PREDICT_MARGIN, p, 2), GROWTH_EINVAL,
        "growth_ftrl_predict");
    BAD(growth_ftrl_predict(m, idx, val, 3, 0x2u, p, 2), GROWTH_EINVAL, "flags");
    BAD(growth_ftrl_predict(m, idx, val, 3, 0xffffffffu, p, 2), GROWTH_EINVAL, "flags");
    idx[1] = 1024;
    BAD(growth_ftrl_predict(m, idx, val, 3, 0, p, 2), GROWTH_EINVAL, "growth_ftrl_predict");
    BAD(growth_ftrl_update(m, idx, val, 3, y, 1), GROWTH_EINVAL, "growth_ftrl_update");
    idx[1] = 2;
    val[2] = NAN;
    BAD(growth_ftrl_predict(m, idx, val, 3, 0, p, 2), GROWTH_EINVAL, "growth_ftrl_predict");
    BAD(growth_ftrl_predict_update(m, idx, val, 3, y, 1, p, 2), GROWTH_EINVAL, "growth_ftrl_update");
    val[2] = 1;
    float ybad[2] = {1, 0.5f};
    BAD(growth_ftrl_update(m, idx, val, 3, ybad, 1), GROWTH_EINVAL, "label");
    BAD(growth_ftrl_update(m, idx, val, 3, y, INFINITY), GROWTH_EINVAL, "weight");
    BAD(growth_ftrl_update(m, idx, val, 3, NULL, 1), GROWTH_EINVAL, "growth_ftrl_update");
    BAD(growth_ftrl_predict_update(m, idx, val, 3, y, 1, p, 1), GROWTH_EBUFS, "growth_ftrl_update");

    BAD(growth_ftrl_predict_csr(NULL, ip, idx, val, 2, 0, p, 4), GROWTH_EINVAL, "growth_ftrl_predict_csr");
    BAD(growth_ftrl_predict_csr(m, NULL, idx, val, 2, 0, p, 4), GROWTH_EINVAL, "growth_ftrl_predict_csr");
    BAD(growth_ftrl_predict_csr(m, ip, idx, val, 2, 0, p, 3), GROWTH_EBUFS, "growth_ftrl_predict_csr");
    BAD(growth_ftrl_predict_csr(m, ip, idx, val, 2, GROWTH_PREDICT_MARGIN, p, 3), GROWTH_EBUFS,
        "growth_ftrl_predict_csr");
    BAD(growth_ftrl_predict_csr(m, ip, idx, val, 2, 0x4u, p, 4), GROWTH_EINVAL, "flags");
    BAD(growth_ftrl_predict_csr(m, ip, idx, val, SIZE_MAX, 0, p, 4), GROWTH_EINVAL,
        "growth_ftrl_predict_csr");
    BAD(growth_ftrl_update_csr(m, ip, idx, val, SIZE_MAX, labels, NULL, NULL, 0), GROWTH_EINVAL,
        "growth_ftrl_update_csr");
    BAD(growth_ftrl_update_csr(m, ip, idx, val, 2, NULL, NULL, NULL, 0), GROWTH_EINVAL,
        "growth_ftrl_update_csr");
    BAD(growth_ftrl_update_csr(m, ip, NULL, val, 2, labels, NULL, NULL, 0), GROWTH_EINVAL,
        "growth_ftrl_update_csr");
    uint64_t ip_bad[3] = {0, 3, 1};
    BAD(growth_ftrl_update_csr(m, ip_bad, idx, val, 2, labels, NULL, NULL, 0), GROWTH_EINVAL, "indptr");

    BAD(growth_ftrl_weight(NULL, 0, 0, &w), GROWTH_EINVAL, "growth_ftrl_weight");
    BAD(growth_ftrl_weight(m, SIZE_MAX, 0, &w), GROWTH_EINVAL, "growth_ftrl_weight");
    BAD(growth_ftrl_weight(m, 0, 0, NULL), GROWTH_EINVAL, "growth_ftrl_weight");
    BAD(growth_ftrl_weight(m, 5, 0, &w), GROWTH_EINVAL, "growth_ftrl_weight");
    BAD(growth_ftrl_weight(m, 0, 4096, &w), GROWTH_EINVAL, "growth_ftrl_weight");

    uint64_t keys[3] = {1, UINT64_MAX, 3};
    BAD(growth_ftrl_predict_keys(NULL, keys, val, 3, 0, p, 2), GROWTH_EINVAL, "growth_ftrl_predict_keys");
    BAD(growth_ftrl_predict_keys(m, NULL, val, 3, 0, p, 2), GROWTH_EINVAL, "growth_ftrl_predict_keys");
    BAD(growth_ftrl_predict_keys(m, keys, val, 3, 0, NULL, 2), GROWTH_EINVAL, "growth_ftrl_predict_keys");
    BAD(growth_ftrl_predict_keys(m, keys, val, 3, 0, p, 1), GROWTH_EBUFS, "growth_ftrl_predict_keys");
    BAD(growth_ftrl_predict_keys(m, keys, val, 3, 0x2u, p, 2), GROWTH_EINVAL, "flags");
    BAD(growth_ftrl_update_keys(NULL, keys, val, 3, y, 1, NULL, 0), GROWTH_EINVAL, "growth_ftrl_update_keys");
    BAD(growth_ftrl_update_keys(m, NULL, val, 3, y, 1, NULL, 0), GROWTH_EINVAL, "growth_ftrl_update_keys");
    BAD(growth_ftrl_update_keys(m, keys, val, 3, NULL, 1, NULL, 0), GROWTH_EINVAL, "growth_ftrl_update_keys");
    BAD(growth_ftrl_update_keys(m, keys, val, 3, ybad, 1, NULL, 0), GROWTH_EINVAL, "label");
    BAD(growth_ftrl_update_keys(m, keys, val, 3, y, NAN, NULL, 0), GROWTH_EINVAL, "weight");
    BAD(growth_ftrl_update_keys(m, keys, val, 3, y, 1, p, 1), GROWTH_EBUFS, "growth_ftrl_update_keys");
    val[1] = INFINITY;
    BAD(growth_ftrl_predict_keys(m, keys, val, 3, 0, p, 2), GROWTH_EINVAL, "growth_ftrl_predict_keys");
    BAD(growth_ftrl_update_keys(m, keys, val, 3, y, 1, NULL, 0), GROWTH_EINVAL, "growth_ftrl_update_keys");
    val[1] = 1;
    {
        uint64_t kip[3] = {0, 2, 3}, kip_bad[3] = {0, 3, 1};
        float kp[4], ky[4] = {1, 0, 0, 1}; /* 2 rows x 2 heads */
        BAD(growth_ftrl_predict_keys_csr(NULL, kip, keys, val, 2, 0, kp, 4), GROWTH_EINVAL,
            "growth_ftrl_predict_keys_csr");
        BAD(growth_ftrl_predict_keys_csr(m, NULL, keys, val, 2, 0, kp, 4), GROWTH_EINVAL,
            "growth_ftrl_predict_keys_csr");
        BAD(growth_ftrl_predict_keys_csr(m, kip, NULL, val, 2, 0, kp, 4), GROWTH_EINVAL,
            "growth_ftrl_predict_keys_csr");
        BAD(growth_ftrl_predict_keys_csr(m, kip, keys, val, 2, 0, NULL, 4), GROWTH_EINVAL,
            "growth_ftrl_predict_keys_csr");
        BAD(growth_ftrl_predict_keys_csr(m, kip, keys, val, 2, 0, kp, 3), GROWTH_EBUFS,
            "growth_ftrl_predict_keys_csr");
        BAD(growth_ftrl_predict_keys_csr(m, kip_bad, keys, val, 2, 0, kp, 4), GROWTH_EINVAL, "indptr");
        BAD(growth_ftrl_predict_keys_csr(m, kip, keys, val, 2, 0x2u, kp, 4), GROWTH_EINVAL, "flags");
        BAD(growth_ftrl_predict_keys_csr(m, kip, keys, val, SIZE_MAX, 0, kp, 4), GROWTH_EINVAL,
            "growth_ftrl_predict_keys_csr");
        BAD(growth_ftrl_update_keys_csr(NULL, kip, keys, val, 2, ky, NULL, NULL, 0), GROWTH_EINVAL,
            "growth_ftrl_update_keys_csr");
        BAD(growth_ftrl_update_keys_csr(m, NULL, keys, val, 2, ky, NULL, NULL, 0), GROWTH_EINVAL,
            "growth_ftrl_update_keys_csr");
        BAD(growth_ftrl_update_keys_csr(m, kip, NULL, val, 2, ky, NULL, NULL, 0), GROWTH_EINVAL,
            "growth_ftrl_update_keys_csr");
        BAD(growth_ftrl_update_keys_csr(m, kip, keys, val, 2, NULL, NULL, NULL, 0), GROWTH_EINVAL,
            "growth_ftrl_update_keys_csr");
        BAD(growth_ftrl_update_keys_csr(m, kip_bad, keys, val, 2, ky, NULL, NULL, 0), GROWTH_EINVAL,
            "indptr");
        BAD(growth_ftrl_update_keys_csr(m, kip, keys, val, 2, ky, NULL, kp, 3), GROWTH_EBUFS,
            "growth_ftrl_update_keys_csr");
        float kyb[4] = {1, 0, 3, 1}, kw[2] = {1, -1};
        BAD(growth_ftrl_update_keys_csr(m, kip, keys, val, 2, kyb, NULL, NULL, 0), GROWTH_EINVAL, "label");
        BAD(growth_ftrl_update_keys_csr(m, kip, keys, val, 2, ky, kw, NULL, 0), GROWTH_EINVAL, "weight");
        val[1] = NAN;
        BAD(growth_ftrl_update_keys_csr(m, kip, keys, val, 2, ky, NULL, NULL, 0), GROWTH_EINVAL,
            "growth_ftrl_update_keys_csr");
        BAD(growth_ftrl_predict_keys_csr(m, kip, keys, val, 2, 0, kp, 4), GROWTH_EINVAL,
            "growth_ftrl_predict_keys_csr");
        val[1] = 1;
    }
    BAD(growth_ftrl_weight_key(NULL, 0, 1, &w), GROWTH_EINVAL, "growth_ftrl_weight_key");
    BAD(growth_ftrl_weight_key(m, 2, 1, &w), GROWTH_EINVAL, "growth_ftrl_weight_key");
    BAD(growth_ftrl_weight_key(m, 0, 1, NULL), GROWTH_EINVAL, "growth_ftrl_weight_key");
    {
        growth_ftrl *tiny = NULL;
        BAD(growth_ftrl_create(&tiny, "table=exact max_memory=4096"), GROWTH_ENOMEM, "max_memory");
        CHECK(tiny == NULL);
    }

    char path[512];
    gt_path(path, sizeof path, "bad_input.model");
    BAD(growth_ftrl_save(NULL, path), GROWTH_EINVAL, "growth_ftrl_save");
    BAD(growth_ftrl_save(m, NULL), GROWTH_EINVAL, "growth_ftrl_save");
    BAD(growth_ftrl_save(m, ""), GROWTH_EINVAL, "growth_ftrl_save");
    BAD(growth_ftrl_save(m, "/nonexistent-dir/x.model"), GROWTH_EIO, "growth_ftrl_save");
    BAD(growth_ftrl_export_weights(NULL, path), GROWTH_EINVAL, "growth_ftrl_export_weights");
    BAD(growth_ftrl_export_weights(m, "/nonexistent-dir/x.model"), GROWTH_EIO, "growth_ftrl_export_weights");
    growth_ftrl *x = NULL;
    BAD(growth_ftrl_load(NULL, path), GROWTH_EINVAL, "growth_ftrl_load");
    BAD(growth_ftrl_load(&x, "/nonexistent-dir/x.model"), GROWTH_EIO, "growth_ftrl_load");
    BAD(growth_ftrl_load(&x, gt_tmpdir()), GROWTH_EIO, "growth_ftrl_load");
    uint8_t *buf = NULL;
    size_t len = 0;
    BAD(growth_ftrl_serialize(NULL, &buf, &len), GROWTH_EINVAL, "growth_ftrl_serialize");
    BAD(growth_ftrl_serialize(m, NULL, &len), GROWTH_EINVAL, "growth_ftrl_serialize");
    BAD(growth_ftrl_serialize(m, &buf, NULL), GROWTH_EINVAL, "growth_ftrl_serialize");
    BAD(growth_ftrl_deserialize(NULL, (const uint8_t *)"x", 1), GROWTH_EINVAL, "growth_ftrl_deserialize");
    BAD(growth_ftrl_deserialize(&x, NULL, 10), GROWTH_EINVAL, "growth_ftrl_deserialize");
    BAD(growth_ftrl_deserialize(&x, (const uint8_t *)"", 0), GROWTH_EFORMAT, "growth_ftrl_deserialize");
    CHECK(x == NULL);
    growth_buffer_free(NULL);
    growth_ftrl_free(NULL);

    float out3[3] = {-5, -5, -5};
    BAD(growth_ftrl_esmm_predict(m, 0, NULL, 1, idx, val, 3, out3, 3), GROWTH_EINVAL,
        "growth_ftrl_esmm_predict");
    BAD(growth_ftrl_esmm_predict(NULL, 0, m, 1, idx, val, 3, out3, 3), GROWTH_EINVAL,
        "growth_ftrl_esmm_predict");
    BAD(growth_ftrl_esmm_predict(m, SIZE_MAX, m, 1, idx, val, 3, out3, 3), GROWTH_EINVAL, "ctr_head");
    BAD(growth_ftrl_esmm_predict(m, 0, m, 2, idx, val, 3, out3, 3), GROWTH_EINVAL, "cvr_head");
    BAD(growth_ftrl_esmm_predict(m, 0, m, 1, idx, val, 3, NULL, 3), GROWTH_EINVAL,
        "growth_ftrl_esmm_predict");
    BAD(growth_ftrl_esmm_predict(m, 0, m, 1, idx, val, 3, out3, 2), GROWTH_EBUFS, "growth_ftrl_esmm_predict");
    BAD(growth_ftrl_esmm_predict(m, 0, m, 1, idx, val, 3, out3, 0), GROWTH_EBUFS, "growth_ftrl_esmm_predict");
    CHECK(out3[0] == -5 && out3[1] == -5 && out3[2] == -5);
    BAD(growth_ftrl_esmm_update(NULL, 0, 1, idx, val, 3, 1, 0, 1), GROWTH_EINVAL, "growth_ftrl_esmm_update");
    BAD(growth_ftrl_esmm_update(m, 0, SIZE_MAX, idx, val, 3, 1, 0, 1), GROWTH_EINVAL, "cvr_head");
    BAD(growth_ftrl_esmm_update(m, 0, 1, idx, val, 3, 1, NAN, 1), GROWTH_EINVAL, "growth_ftrl_esmm_update");
    BAD(growth_ftrl_esmm_update(m, 0, 1, idx, val, 3, 1, 0, -1), GROWTH_EINVAL, "growth_ftrl_esmm_update");

    /* The model is unchanged and still works. */
    CHECK_OK(growth_ftrl_predict(m, idx, val, 3, 0, p, 2));
    CHECK(p[0] == before[0] && p[1] == before[1]);
    CHECK_OK(growth_ftrl_stats_get(m, &st));
    CHECK(st.heads == 2 && st.bits == 10 && st.examples == 20);
    CHECK_OK(growth_ftrl_update(m, idx, val, 3, y, 1));
    growth_ftrl_free(m);
}

TEST(test_metric_functions)
{
    float s[4] = {0.1f, 0.4f, 0.35f, 0.8f}, y[4] = {0, 0, 1, 1}, wts[4] = {1, 1, 1, 1};
    int64_t g[4] = {1, 1, 2, 2};
    double out;
    size_t used;
    BAD(growth_metrics_auc(NULL, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_auc");
    BAD(growth_metrics_auc(s, NULL, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_auc");
    BAD(growth_metrics_auc(s, y, NULL, 4, NULL), GROWTH_EINVAL, "growth_metrics_auc");
    BAD(growth_metrics_auc(s, y, NULL, 0, &out), GROWTH_EINVAL, "growth_metrics_auc");
    BAD(growth_metrics_gauc(s, y, NULL, NULL, 4, &out, &used), GROWTH_EINVAL, "growth_metrics_gauc");
    BAD(growth_metrics_gauc(s, y, NULL, g, 4, &out, &used), GROWTH_EINVAL,
        "growth_metrics_gauc"); /* no mixed group */
    BAD(growth_metrics_logloss(s, y, NULL, 0, &out), GROWTH_EINVAL, "growth_metrics_logloss");
    BAD(growth_metrics_normalized_entropy(s, y, NULL, 4, NULL), GROWTH_EINVAL,
        "growth_metrics_normalized_entropy");
    BAD(growth_metrics_pcoc(NULL, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_pcoc");
    BAD(growth_metrics_auc(s, y, NULL, SIZE_MAX, &out), GROWTH_EINVAL, "too large");
    BAD(growth_metrics_gauc(s, y, NULL, g, SIZE_MAX, &out, &used), GROWTH_EINVAL, "too large");
    BAD(growth_metrics_logloss(s, y, NULL, SIZE_MAX / 4, &out), GROWTH_EINVAL, "too large");
    s[2] = NAN;
    BAD(growth_metrics_auc(s, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_auc");
    BAD(growth_metrics_logloss(s, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_logloss");
    s[2] = INFINITY;
    BAD(growth_metrics_auc(s, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_auc");
    s[2] = 1.5f;
    BAD(growth_metrics_logloss(s, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_logloss");
    s[2] = 0.35f;
    y[1] = 2;
    BAD(growth_metrics_auc(s, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_auc");
    BAD(growth_metrics_pcoc(s, y, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_pcoc");
    y[1] = 0;
    wts[0] = -1;
    BAD(growth_metrics_auc(s, y, wts, 4, &out), GROWTH_EINVAL, "growth_metrics_auc");
    BAD(growth_metrics_logloss(s, y, wts, 4, &out), GROWTH_EINVAL, "growth_metrics_logloss");
    wts[0] = NAN;
    BAD(growth_metrics_normalized_entropy(s, y, wts, 4, &out), GROWTH_EINVAL,
        "growth_metrics_normalized_entropy");
    wts[0] = 1;

    /* Calibration metrics. */
    double mp[4], pr[4], bw[4];
    size_t nb;
    BAD(growth_metrics_ece(NULL, y, NULL, 4, "bins=2 binning=uniform", &out), GROWTH_EINVAL,
        "growth_metrics_ece");
    BAD(growth_metrics_ece(s, NULL, NULL, 4, "bins=2 binning=uniform", &out), GROWTH_EINVAL,
        "growth_metrics_ece");
    BAD(growth_metrics_ece(s, y, NULL, 4, "bins=2 binning=uniform", NULL), GROWTH_EINVAL,
        "growth_metrics_ece");
    BAD(growth_metrics_ece(s, y, NULL, 0, "bins=2 binning=uniform", &out), GROWTH_EINVAL,
        "growth_metrics_ece");
    BAD(growth_metrics_ece(s, y, NULL, 4, "bins=0 binning=uniform", &out), GROWTH_EINVAL, "bins");
    BAD(growth_metrics_ece(s, y, NULL, 4, "bins=1048577 binning=uniform", &out), GROWTH_EINVAL, "bins");
    BAD(growth_metrics_ece(s, y, NULL, 4, "bins=2 binning=7", &out), GROWTH_EINVAL, "growth_metrics_ece");
    BAD(growth_metrics_ece(s, y, NULL, SIZE_MAX, "bins=2 binning=uniform", &out), GROWTH_EINVAL, "too large");
    BAD(growth_metrics_mce(NULL, y, NULL, 4, "bins=2 binning=quantile", &out), GROWTH_EINVAL,
        "growth_metrics_mce");
    BAD(growth_metrics_mce(s, y, NULL, 4, "bins=-1 binning=quantile", &out), GROWTH_EINVAL, "bins");
    BAD(growth_metrics_mce(s, y, NULL, 4, "bins=2 binning=-1", &out), GROWTH_EINVAL, "growth_metrics_mce");
    BAD(growth_metrics_reliability(s, y, NULL, 4, "bins=4 binning=uniform", NULL, pr, bw, 4, &nb),
        GROWTH_EINVAL, "growth_metrics_reliability");
    mp[0] = pr[0] = bw[0] = -9;
    nb = 0;
    BAD(growth_metrics_reliability(s, y, NULL, 4, "bins=4 binning=uniform", mp, pr, bw, 3, &nb), GROWTH_EBUFS,
        "growth_metrics_reliability");
    CHECK(nb == 4 && mp[0] == -9 && pr[0] == -9 && bw[0] == -9); /* EBUFS: the exact count, nothing written */
    BAD(growth_metrics_reliability(s, y, NULL, 4, "bins=4", NULL, NULL, NULL, 0, &nb), GROWTH_EBUFS,
        "growth_metrics_reliability");
    CHECK(nb == 4);
    BAD(growth_metrics_reliability(s, y, NULL, 4, "bins=4 colour=red", mp, pr, bw, 4, &nb), GROWTH_EINVAL,
        "'colour'");
    CHECK(nb == 0);
    BAD(growth_metrics_ece(s, y, NULL, 4, "binning=equal", &out), GROWTH_EINVAL, "'binning'");
    BAD(growth_metrics_mce(s, y, NULL, 4, "bins=two", &out), GROWTH_EINVAL, "'bins'");
    BAD(growth_metrics_reliability(s, y, NULL, 4, "bins=4 binning=uniform", mp, pr, bw, 4, NULL),
        GROWTH_EINVAL, "growth_metrics_reliability");
    BAD(growth_metrics_reliability(s, y, NULL, 4, "bins=0 binning=uniform", mp, pr, bw, 4, &nb),
        GROWTH_EINVAL, "bins");
    BAD(growth_metrics_field_ece(s, y, NULL, NULL, 4, &out), GROWTH_EINVAL, "growth_metrics_field_ece");
    BAD(growth_metrics_field_ece(s, y, NULL, g, 0, &out), GROWTH_EINVAL, "growth_metrics_field_ece");
    BAD(growth_metrics_field_ece(s, y, NULL, g, 4, NULL), GROWTH_EINVAL, "growth_metrics_field_ece");
    BAD(growth_metrics_field_rce(s, y, NULL, NULL, 4, &out, &used), GROWTH_EINVAL,
        "growth_metrics_field_rce");
    BAD(growth_metrics_field_rce(s, y, NULL, g, 4, NULL, &used), GROWTH_EINVAL, "growth_metrics_field_rce");
    float y0[4] = {0, 0, 0, 0};
    BAD(growth_metrics_field_rce(s, y0, NULL, g, 4, &out, &used), GROWTH_EINVAL,
        "growth_metrics_field_rce"); /* no positives */
    s[1] = NAN;
    BAD(growth_metrics_ece(s, y, NULL, 4, "bins=2 binning=uniform", &out), GROWTH_EINVAL,
        "growth_metrics_ece");
    BAD(growth_metrics_mce(s, y, NULL, 4, "bins=2 binning=uniform", &out), GROWTH_EINVAL,
        "growth_metrics_mce");
    BAD(growth_metrics_reliability(s, y, NULL, 4, "bins=4 binning=uniform", mp, pr, bw, 4, &nb),
        GROWTH_EINVAL, "growth_metrics_reliability");
    BAD(growth_metrics_field_ece(s, y, NULL, g, 4, &out), GROWTH_EINVAL, "growth_metrics_field_ece");
    BAD(growth_metrics_field_rce(s, y, NULL, g, 4, &out, &used), GROWTH_EINVAL, "growth_metrics_field_rce");
    s[1] = 1.5f; /* a probability outside [0, 1] */
    BAD(growth_metrics_ece(s, y, NULL, 4, "bins=2 binning=uniform", &out), GROWTH_EINVAL,
        "growth_metrics_ece");
    BAD(growth_metrics_field_ece(s, y, NULL, g, 4, &out), GROWTH_EINVAL, "growth_metrics_field_ece");
    s[1] = 0.4f;
    wts[2] = -INFINITY;
    BAD(growth_metrics_ece(s, y, wts, 4, "bins=2 binning=uniform", &out), GROWTH_EINVAL,
        "growth_metrics_ece");
    BAD(growth_metrics_field_rce(s, y, wts, g, 4, &out, &used), GROWTH_EINVAL, "growth_metrics_field_rce");
    wts[2] = 1;

    CHECK_OK(growth_metrics_auc(s, y, NULL, 4, &out));
    CHECK_NEAR(out, 0.75, 1e-12);
    /* Two uniform bins: {0.1, 0.4, 0.35} with one positive, {0.8} positive. */
    CHECK_OK(growth_metrics_ece(s, y, NULL, 4, "bins=2 binning=uniform", &out));
    CHECK_NEAR(out, (fabs((0.1 + 0.4 + 0.35) - 1.0) + fabs(0.8 - 1.0)) / 4, 1e-6);
    CHECK_OK(growth_metrics_mce(s, y, NULL, 4, "bins=2 binning=uniform", &out));
    CHECK_NEAR(out, fmax(fabs((0.1 + 0.4 + 0.35) / 3 - 1.0 / 3), fabs(0.8 - 1.0)), 1e-6);
    CHECK_OK(growth_metrics_reliability(s, y, NULL, 4, "bins=2 binning=uniform", mp, pr, bw, 4, &nb));
    CHECK(nb == 2 && bw[0] == 3 && bw[1] == 1);
    CHECK_OK(growth_metrics_field_ece(s, y, NULL, g, 4, &out));
    CHECK_NEAR(out, (fabs(0 - 0.5) + fabs(2 - 1.15)) / 4, 1e-6);
    CHECK_OK(growth_metrics_field_rce(s, y, wts, g, 4, &out, &used));
    CHECK(used == 1);
}

int main(void)
{
    RUN(test_common_functions);
    RUN(test_feature_functions);
    RUN(test_ftrl_functions);
    RUN(test_metric_functions);
    return BAD_SUMMARY("bad-input matrix (core, features, ftrl, metrics)");
}
