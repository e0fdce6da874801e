/* Feature hashing and the row builder. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

TEST(test_hash_is_stable_and_in_range)
{
    uint32_t a, b;
    for (unsigned bits = 1; bits <= 32; bits++) {
        CHECK_OK(growth_features_hash("user_city", "hangzhou", 0, bits, &a));
        CHECK(bits == 32 || a < (1u << bits));
        /* Fewer bits keep the high bits of the same hash: a prefix of the wider slot. */
        CHECK_OK(growth_features_hash("user_city", "hangzhou", 0, 32, &b));
        CHECK(a == b >> (32 - bits));
    }
    /* Pinned values: Python and Java tests check the same numbers. */
    CHECK_OK(growth_features_hash("user_city", "hangzhou", 0, 24, &a));
    CHECK(a == 0x86c9afu);
    const char *f[2] = {"user_city", "item_cat"}, *v[2] = {"hangzhou", "shoes"};
    CHECK_OK(growth_features_hash_cross(f, v, 2, 0, 24, &a));
    CHECK(a == 0xd7321bu);
    /* Field, value, seed and order all matter. */
    CHECK_OK(growth_features_hash("user_city", "hangzhou", 0, 32, &a));
    CHECK_OK(growth_features_hash("user_city", "beijing", 0, 32, &b));
    CHECK(a != b);
    CHECK_OK(growth_features_hash("item_city", "hangzhou", 0, 32, &b));
    CHECK(a != b);
    CHECK_OK(growth_features_hash("user_city", "hangzhou", 1, 32, &b));
    CHECK(a != b);
    /* ("ab","c") and ("a","bc") do not collide by concatenation. */
    CHECK_OK(growth_features_hash("ab", "c", 0, 32, &a));
    CHECK_OK(growth_features_hash("a", "bc", 0, 32, &b));
    CHECK(a != b);
    const char *f2[2] = {"item_cat", "user_city"}, *v2[2] = {"shoes", "hangzhou"};
    CHECK_OK(growth_features_hash_cross(f, v, 2, 0, 32, &a));
    CHECK_OK(growth_features_hash_cross(f2, v2, 2, 0, 32, &b));
    CHECK(a != b);
}

TEST(test_hash_spreads_values)
{
    /* 100k distinct values into 2^20 slots: collisions close to the birthday expectation. */
    enum { N = 100000, BITS = 20 };
    uint8_t *seen = calloc((size_t)1 << BITS, 1);
    int coll = 0;
    char val[32];
    for (int i = 0; i < N; i++) {
        snprintf(val, sizeof val, "%d", i);
        uint32_t s;
        growth_features_hash("item_id", val, 0, BITS, &s);
        coll += seen[s];
        seen[s] = 1;
    }
    double m = (double)(1 << BITS);
    double expect = N - m * (1 - exp(-N / m));
    CHECK(coll > expect * 0.85 && coll < expect * 1.15);
    free(seen);
}

TEST(test_row_builder)
{
    growth_row *r = NULL;
    CHECK_OK(growth_row_create(&r, "bits=20 seed=5 capacity=1"));
    growth_row_clear(r);
    CHECK_OK(growth_row_add_cat(r, "user_city", "hangzhou"));
    CHECK_OK(growth_row_add_num(r, "price", 2.5f));
    const char *f[2] = {"user_city", "item_cat"}, *v[2] = {"hangzhou", "shoes"};
    CHECK_OK(growth_row_add_cross(r, f, v, 2));
    CHECK_OK(growth_row_add_index(r, 7, -1.0f));
    CHECK(growth_row_size(r) == 4);
    uint32_t e0, e1, e2;
    growth_features_hash("user_city", "hangzhou", 5, 20, &e0);
    growth_features_hash("price", "", 5, 20, &e1);
    growth_features_hash_cross(f, v, 2, 5, 20, &e2);
    const uint32_t *idx = growth_row_indices(r);
    const float *val = growth_row_values(r);
    CHECK(idx[0] == e0 && idx[1] == e1 && idx[2] == e2 && idx[3] == 7);
    CHECK(val[0] == 1.0f && val[1] == 2.5f && val[2] == 1.0f && val[3] == -1.0f);
    /* Bad input leaves the row as it was. */
    CHECK_RC(growth_row_add_num(r, "price", NAN), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_num(r, "price", INFINITY), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_index(r, 1u << 20, 1), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_cat(r, NULL, "x"), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_cross(r, f, v, 1), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_cat(NULL, "a", "b"), GROWTH_EINVAL);
    CHECK(growth_row_size(r) == 4);
    growth_row_clear(r);
    CHECK(growth_row_size(r) == 0);
    char cfg[128];
    CHECK_OK(growth_row_config(r, cfg, sizeof cfg, NULL));
    CHECK(strcmp(cfg, "bits=20 seed=5 capacity=1 dedup=false") == 0);
    growth_row_free(r);
    growth_row_free(NULL);
    CHECK(growth_row_size(NULL) == 0 && growth_row_indices(NULL) == NULL);

    /* dedup merges repeated slots by summing values. */
    CHECK_OK(growth_row_create(&r, "bits=8 dedup=true"));
    growth_row_add_index(r, 3, 1.0f);
    growth_row_add_index(r, 5, 2.0f);
    growth_row_add_index(r, 3, 0.5f);
    CHECK(growth_row_size(r) == 2);
    CHECK(growth_row_indices(r)[0] == 3 && growth_row_values(r)[0] == 1.5f);
    CHECK(growth_row_indices(r)[1] == 5 && growth_row_values(r)[1] == 2.0f);
    growth_row_free(r);
    CHECK_RC(growth_row_create(&r, "bits=0"), GROWTH_EINVAL);
    CHECK_RC(growth_row_create(&r, "bitz=8"), GROWTH_EINVAL);
    CHECK_RC(growth_row_create(NULL, ""), GROWTH_EINVAL);
    uint32_t s = 777;
    CHECK_RC(growth_features_hash("a", "b", 0, 0, &s), GROWTH_EINVAL);
    CHECK(s == 777); /* the output is unchanged on failure */
    const char *cf[2] = {"a", "b"}, *cv[2] = {"x", NULL};
    CHECK_RC(growth_features_hash_cross(cf, cv, 2, 0, 8, &s), GROWTH_EINVAL);
    CHECK(s == 777);
    CHECK_RC(growth_features_hash("a", "b", 0, 33, &s), GROWTH_EINVAL);
    CHECK_RC(growth_features_hash("a", "b", 0, 8, NULL), GROWTH_EINVAL);
}

TEST(test_row_fields)
{
    growth_row *r = NULL, *plain = NULL;
    CHECK_OK(growth_row_create(&r, "bits=20 seed=3 dedup=true"));
    CHECK_OK(growth_row_create(&plain, "bits=20 seed=3"));
    CHECK(growth_row_fields(r) == NULL); /* no field list yet */
    size_t k = 99;
    CHECK_RC(growth_row_field_index(r, "user", &k), GROWTH_ENOTFOUND);
    const char *names[3] = {"user", "item", "price"};
    CHECK_OK(growth_row_set_fields(r, names, 3));
    CHECK_OK(growth_row_field_index(r, "item", &k));
    CHECK(k == 1);
    CHECK_RC(growth_row_field_index(r, "items", &k), GROWTH_ENOTFOUND);
    CHECK(k == 1);
    /* Entries record their field; slots are those of a row without a field list. */
    CHECK_OK(growth_row_add_cat(r, "item", "shoes"));
    CHECK_OK(growth_row_add_num(r, "price", 2.0f));
    CHECK_OK(growth_row_add_cat(r, "user", "u42"));
    const char *cf[2] = {"user", "item"}, *cv[2] = {"u42", "shoes"};
    CHECK_OK(growth_row_add_cross(r, cf, cv, 2));
    CHECK_OK(growth_row_add_field_index(r, 2, 77, 0.5f));
    CHECK_OK(growth_row_add_cat(plain, "item", "shoes"));
    CHECK_OK(growth_row_add_num(plain, "price", 2.0f));
    CHECK_OK(growth_row_add_cat(plain, "user", "u42"));
    CHECK_OK(growth_row_add_cross(plain, cf, cv, 2));
    CHECK_OK(growth_row_add_index(plain, 77, 0.5f));
    CHECK(growth_row_size(r) == 5 && growth_row_size(plain) == 5);
    const uint8_t *fld = growth_row_fields(r);
    CHECK(fld != NULL);
    CHECK(fld[0] == 1 && fld[1] == 2 && fld[2] == 0 && fld[3] == 0 && fld[4] == 2);
    for (size_t i = 0; i < 5; i++) CHECK(growth_row_indices(r)[i] == growth_row_indices(plain)[i]);
    /* Bad input leaves the row as it was. */
    CHECK_RC(growth_row_add_cat(r, "city", "x"), GROWTH_EINVAL);
    CHECK(strstr(growth_last_error(), "'city'") != NULL);
    CHECK_RC(growth_row_add_num(r, "city", 1), GROWTH_EINVAL);
    const char *bf[2] = {"city", "item"};
    CHECK_RC(growth_row_add_cross(r, bf, cv, 2), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_index(r, 5, 1), GROWTH_EINVAL); /* a row with fields needs the field */
    CHECK_RC(growth_row_add_field_index(r, 3, 5, 1), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_field_index(r, 0, 1u << 20, 1), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_field_index(r, 0, 5, NAN), GROWTH_EINVAL);
    CHECK_RC(growth_row_add_field_index(plain, 0, 5, 1), GROWTH_EINVAL); /* no field list */
    CHECK(growth_row_size(r) == 5);
    /* dedup merges equal (slot, field) pairs only. */
    CHECK_OK(growth_row_add_cat(r, "item", "shoes"));
    CHECK_OK(growth_row_add_field_index(r, 0, growth_row_indices(r)[0], 1.0f));
    CHECK(growth_row_size(r) == 6);
    CHECK(growth_row_values(r)[0] == 2.0f && growth_row_fields(r)[5] == 0);
    /* Bad lists are refused whole; a good one clears the row. */
    const char *dup[2] = {"a", "a"}, *empty[2] = {"a", ""}, *nul[2] = {"a", NULL};
    CHECK_RC(growth_row_set_fields(r, dup, 2), GROWTH_EINVAL);
    CHECK_RC(growth_row_set_fields(r, empty, 2), GROWTH_EINVAL);
    CHECK_RC(growth_row_set_fields(r, nul, 2), GROWTH_EINVAL);
    CHECK_RC(growth_row_set_fields(r, NULL, 2), GROWTH_EINVAL);
    CHECK_RC(growth_row_set_fields(NULL, names, 3), GROWTH_EINVAL);
    CHECK(growth_row_size(r) == 6 && growth_row_fields(r) != NULL);
    /* 256 fields work; 257 do not. */
    static char many[257][8];
    const char *mp[257];
    for (int i = 0; i < 257; i++) {
        snprintf(many[i], sizeof many[i], "f%d", i);
        mp[i] = many[i];
    }
    CHECK_RC(growth_row_set_fields(r, mp, 257), GROWTH_EINVAL);
    CHECK_OK(growth_row_set_fields(r, mp, 256));
    CHECK(growth_row_size(r) == 0);
    for (int i = 0; i < 256; i++) CHECK_OK(growth_row_add_cat(r, mp[i], "v"));
    for (int i = 0; i < 256; i++) CHECK(growth_row_fields(r)[i] == i);
    CHECK_OK(growth_row_field_index(r, "f255", &k));
    CHECK(k == 255);
    /* n = 0 removes the list. */
    CHECK_OK(growth_row_set_fields(r, NULL, 0));
    CHECK(growth_row_fields(r) == NULL);
    CHECK_OK(growth_row_add_cat(r, "anything", "v"));
    CHECK(growth_row_fields(NULL) == NULL);
    growth_row_free(r);
    growth_row_free(plain);
}

TEST(test_row_keys)
{
    /* A key is the full hash: its top `bits` bits are the slot, for pairs, numbers and crosses;
     * a slot added directly is its own key. */
    growth_row *r = NULL;
    CHECK_OK(growth_row_create(&r, "bits=12 seed=7"));
    const char *f[2] = {"user_city", "item_cat"}, *v[2] = {"hangzhou", "shoes"};
    CHECK_OK(growth_row_add_cat(r, "user_city", "hangzhou"));
    CHECK_OK(growth_row_add_num(r, "price", 2.5f));
    CHECK_OK(growth_row_add_cross(r, f, v, 2));
    CHECK_OK(growth_row_add_index(r, 77, 1.0f));
    CHECK(growth_row_size(r) == 4);
    const uint64_t *k = growth_row_keys(r);
    const uint32_t *ix = growth_row_indices(r);
    uint64_t want[3];
    CHECK_OK(growth_features_key("user_city", "hangzhou", 7, &want[0]));
    CHECK_OK(growth_features_key("price", "", 7, &want[1]));
    CHECK_OK(growth_features_key_cross(f, v, 2, 7, &want[2]));
    for (int i = 0; i < 3; i++) {
        CHECK(k[i] == want[i]);
        CHECK(ix[i] == (uint32_t)(k[i] >> (64 - 12)));
        uint32_t s32;
        if (i < 2)
            CHECK_OK(growth_features_hash(i ? "price" : "user_city", i ? "" : "hangzhou", 7, 32, &s32));
        else
            CHECK_OK(growth_features_hash_cross(f, v, 2, 7, 32, &s32));
        CHECK(s32 == (uint32_t)(k[i] >> 32)); /* bits=32: the key's high half */
    }
    CHECK(k[3] == 77);
    growth_row_free(r);

    /* dedup merges equal keys only: with bits=1 most distinct features share a slot, and stay
     * apart; the same feature twice merges. */
    CHECK_OK(growth_row_create(&r, "bits=1 dedup=true"));
    char val[16];
    for (int i = 0; i < 20; i++) {
        snprintf(val, sizeof val, "%d", i % 10);
        CHECK_OK(growth_row_add_cat(r, "id", val));
    }
    CHECK(growth_row_size(r) == 10);
    k = growth_row_keys(r);
    const float *x = growth_row_values(r);
    for (int i = 0; i < 10; i++) {
        snprintf(val, sizeof val, "%d", i);
        CHECK_OK(growth_features_key("id", val, 0, &want[0]));
        CHECK(k[i] == want[0] && x[i] == 2.0f);
        CHECK(growth_row_indices(r)[i] == (uint32_t)(k[i] >> 63));
    }
    growth_row_free(r);
}

int main(void)
{
    RUN(test_hash_is_stable_and_in_range);
    RUN(test_hash_spreads_values);
    RUN(test_row_builder);
    RUN(test_row_fields);
    RUN(test_row_keys);
    return GT_SUMMARY();
}
