/* The bad-input matrix, retrieval modules: the vector index (recall.h) and the text index
 * (text.h). Every public function is called with NULL handles, NULL buffers, zero and huge
 * sizes, NaN/Inf and out-of-range values, and every loader with a file of another kind; each
 * call must return the expected status with a message, and each index must be exactly as
 * before (same serialized bytes, same search results) and still work. */
#include <math.h>
#include <stdint.h>

#include "bad_input.h"

static const uint8_t junk[16] = "not a model....";

#define DIM 4
#define NV  6

TEST(test_index_functions)
{
    const char *bad_cfg[] = {
        "dim=0", "metric=ip", "dim=8 metric=hamming", "dim=8 kind=hnsw M=1", "dim=8 bogus=1", "dim=-3",
        "dim=99999999999", "dim=8 kind=ivf nlist=0", "dim=8 kind=tree", "dim=8 ef=0 kind=hnsw", "dim",
        /* compressed storage: pq_m must divide dim; hnsw, int8 and float storage do not combine */
        "dim=8 storage=pq pq_m=3", "dim=8 storage=pq pq_m=0", "dim=8 storage=pq pq_train=255",
        "dim=8 storage=bf16", "dim=8 kind=hnsw storage=fp16", "dim=8 storage=pq pq_m=2 quantize=int8",
        "dim=8 rerank=10", "dim=8 storage=fp16 rerank=-1",
        /* opq: 0 or 1, storage=pq only */
        "dim=8 storage=pq pq_m=2 opq=2", "dim=8 storage=pq pq_m=2 opq=-1", "dim=8 opq=1",
        "dim=8 storage=fp16 opq=1"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_index *x = NULL;
        BAD(growth_index_create(&x, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    BAD(growth_index_create(NULL, "dim=4"), GROWTH_EINVAL, "index_create");

    float v[NV * DIM];
    int64_t id[NV];
    for (int i = 0; i < NV; i++) {
        id[i] = 10 + i;
        for (int j = 0; j < DIM; j++) v[i * DIM + j] = (float)((i * 7 + j * 3) % 5) - 1.5f + 0.1f * (float)i;
    }
    growth_index *h = NULL;
    CHECK_OK(growth_index_create(&h, "dim=4 metric=cosine kind=hnsw M=8"));
    CHECK_OK(growth_index_add(h, v, NV, id));
    float q[DIM] = {1, 0.5f, -0.25f, 2}, sc0[3], sc[8], g[DIM];
    int64_t ids0[3], ids[8];
    size_t found0, found, removed;
    CHECK_OK(growth_index_search(h, q, 3, NULL, ids0, sc0, 3, &found0));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_index_serialize(h, &b0.buf, &b0.len));
    char buf[8];
    size_t need;
    growth_id_filter flt = {.struct_size = sizeof flt};

    BAD(growth_index_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "index_config");
    BAD(growth_index_config(h, buf, sizeof buf, &need), GROWTH_EBUFS, NULL);
    BAD(growth_index_set_config(NULL, "ef=10"), GROWTH_EINVAL, "index_set_config");
    BAD(growth_index_set_config(h, "dim=8"), GROWTH_EINVAL, NULL);
    BAD(growth_index_set_config(h, "bogus=1"), GROWTH_EINVAL, NULL);
    BAD(growth_index_set_config(h, "filter_exact=nan"), GROWTH_EINVAL, NULL);
    BAD(growth_index_set_config(h, "filter_exact=2"), GROWTH_EINVAL, NULL);
    BAD(growth_index_set_config(h, "filter_exact=-0.25"), GROWTH_EINVAL, "filter_exact");
    BAD(growth_index_train(NULL, v, NV), GROWTH_EINVAL, "index_train");
    BAD(growth_index_train(h, NULL, NV), GROWTH_EINVAL, NULL);

    float bad[DIM] = {1, NAN, 0, 0};
    int64_t nid[2] = {100, 100}, neg[1] = {-5}, one[1] = {100};
    BAD(growth_index_add(NULL, v, 1, one), GROWTH_EINVAL, "index_add");
    BAD(growth_index_add(h, NULL, 1, one), GROWTH_EINVAL, NULL);
    BAD(growth_index_add(h, bad, 1, one), GROWTH_EINVAL, NULL);
    bad[1] = INFINITY;
    BAD(growth_index_add(h, bad, 1, one), GROWTH_EINVAL, NULL);
    BAD(growth_index_add(h, v, 2, nid), GROWTH_EINVAL, NULL); /* duplicate among themselves */
    BAD(growth_index_add(h, v, 1, id), GROWTH_EINVAL, NULL);  /* already live */
    BAD(growth_index_add(h, v, 1, neg), GROWTH_EINVAL, NULL);
    BAD(growth_index_add(h, v, SIZE_MAX, id), GROWTH_EINVAL, "too large");
    BAD(growth_index_add(h, v, SIZE_MAX / DIM + 1, id), GROWTH_EINVAL, "too large");
    BAD(growth_index_add(h, v, SIZE_MAX / DIM + 1, NULL), GROWTH_EINVAL, "too large");
    BAD(growth_index_remove(NULL, id, 1, &removed), GROWTH_EINVAL, "index_remove");
    BAD(growth_index_remove(h, NULL, 1, &removed), GROWTH_EINVAL, NULL);
    BAD(growth_index_compact(NULL), GROWTH_EINVAL, "index_compact");

    BAD(growth_index_search(NULL, q, 3, NULL, ids, sc, 8, &found), GROWTH_EINVAL, "index_search");
    BAD(growth_index_search(h, NULL, 3, NULL, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_search(h, q, 3, NULL, NULL, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_search(h, q, 0, NULL, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_search(h, q, 3, NULL, ids, sc, 2, &found), GROWTH_EBUFS, NULL);
    CHECK(found == 3);
    BAD(growth_index_search(h, q, SIZE_MAX, NULL, ids, sc, 8, &found), GROWTH_EBUFS, NULL);
    CHECK(found == SIZE_MAX);
    BAD(growth_index_search(h, bad, 3, NULL, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    flt.struct_size = 0;
    BAD(growth_index_search(h, q, 3, &flt, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    flt.struct_size = sizeof flt;
    int64_t unsorted[2] = {12, 11};
    flt.allow = unsorted;
    flt.n_allow = 2;
    BAD(growth_index_search(h, q, 3, &flt, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    flt.allow = NULL; /* n_allow without the list */
    BAD(growth_index_search(h, q, 3, &flt, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    flt.n_allow = 0;
    flt.bitmap_bits = 64; /* bits without the bitmap */
    BAD(growth_index_search(h, q, 3, &flt, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    flt.bitmap_bits = 0;
    BAD(growth_index_search_batch(NULL, q, 1, 3, NULL, ids, sc, 8), GROWTH_EINVAL, "index_search_batch");
    BAD(growth_index_search_batch(h, NULL, 1, 3, NULL, ids, sc, 8), GROWTH_EINVAL, NULL);
    BAD(growth_index_search_batch(h, q, 1, 3, NULL, NULL, sc, 8), GROWTH_EINVAL, NULL);
    BAD(growth_index_search_batch(h, q, 1, 0, NULL, ids, sc, 8), GROWTH_EINVAL, NULL);
    BAD(growth_index_search_batch(h, v, 2, 5, NULL, ids, sc, 8), GROWTH_EBUFS,
        NULL); /* 2 queries: v holds NV */
    BAD(growth_index_search_batch(h, q, SIZE_MAX / 2 + 1, 2, NULL, ids, sc, 8), GROWTH_EINVAL,
        NULL); /* nq * k overflows */
    BAD(growth_index_search_batch(h, q, SIZE_MAX / 4, 4, NULL, ids, sc, SIZE_MAX), GROWTH_EINVAL,
        NULL); /* nq * dim overflows */
    BAD(growth_index_search_batch(h, bad, 1, 3, NULL, ids, sc, 8), GROWTH_EINVAL, NULL);

    int64_t cand[3] = {10, 11, 12}, cand_bad[2] = {10, 999}, oids[8];
    float cs[3] = {0.9f, 0.8f, 0.7f}, os[8];
    BAD(growth_index_dedup(NULL, cand, cs, 3, 0.9f, oids, os, 8, &found), GROWTH_EINVAL, "index_dedup");
    BAD(growth_index_dedup(h, NULL, cs, 3, 0.9f, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_dedup(h, cand, cs, 3, 0.9f, NULL, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_dedup(h, cand, cs, 3, 0.9f, oids, os, 2, &found), GROWTH_EBUFS, NULL);
    BAD(growth_index_dedup(h, cand, cs, 3, NAN, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_dedup(h, cand, cs, 3, 1.5f, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_dedup(h, cand_bad, cs, 2, 0.9f, oids, os, 8, &found), GROWTH_ENOTFOUND, "999");
    BAD(growth_index_dedup(h, cand, cs, SIZE_MAX, 0.9f, oids, os, 8, &found), GROWTH_EINVAL, "too large");
    BAD(growth_index_mmr(NULL, q, cand, 3, 0.5f, 2, oids, os, 8, &found), GROWTH_EINVAL, "index_mmr");
    BAD(growth_index_mmr(h, NULL, cand, 3, 0.5f, 2, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_mmr(h, q, NULL, 3, 0.5f, 2, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_mmr(h, q, cand, 3, 0.5f, 2, NULL, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_mmr(h, q, cand, 3, NAN, 2, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_mmr(h, q, cand, 3, 1.5f, 2, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_mmr(h, q, cand, 3, 0.5f, 0, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_mmr(h, q, cand, 3, 0.5f, 3, oids, os, 2, &found), GROWTH_EBUFS, NULL);
    BAD(growth_index_mmr(h, bad, cand, 3, 0.5f, 2, oids, os, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_index_mmr(h, q, cand_bad, 2, 0.5f, 2, oids, os, 8, &found), GROWTH_ENOTFOUND, "999");
    BAD(growth_index_get(NULL, 10, g, DIM), GROWTH_EINVAL, "index_get");
    BAD(growth_index_get(h, 10, NULL, DIM), GROWTH_EINVAL, NULL);
    BAD(growth_index_get(h, 10, g, DIM - 1), GROWTH_EBUFS, NULL);
    BAD(growth_index_get(h, 999, g, DIM), GROWTH_ENOTFOUND, NULL);
    BAD(growth_index_get(h, -1, g, DIM), GROWTH_ENOTFOUND, "-1");
    int64_t minus1[1] = {-1};
    BAD(growth_index_dedup(h, minus1, cs, 1, 0.9f, oids, os, 8, &found), GROWTH_ENOTFOUND, "-1");
    BAD(growth_index_mmr(h, q, minus1, 1, 0.5f, 1, oids, os, 8, &found), GROWTH_ENOTFOUND, "-1");
    CHECK_OK(growth_index_remove(h, minus1, 1, &removed));
    CHECK(removed == 0);
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    BAD(growth_index_stats_get(NULL, &st), GROWTH_EINVAL, "index_stats_get");
    BAD(growth_index_stats_get(h, NULL), GROWTH_EINVAL, "index_stats_get");
    st.struct_size = 0;
    BAD(growth_index_stats_get(h, &st), GROWTH_EINVAL, "struct_size");
    st.struct_size = 8; /* struct_size and reserved only: below the 1.0 size */
    BAD(growth_index_stats_get(h, &st), GROWTH_EINVAL, "struct_size");
    st.struct_size = offsetof(growth_index_stats, code_bytes) - 1; /* below the 1.0 size (40 bytes) */
    BAD(growth_index_stats_get(h, &st), GROWTH_EINVAL, "struct_size");
    /* a caller built before code_bytes / bytes_per_vector were appended gets the prefix it knows */
    memset(&st, 0x5a, sizeof st);
    st.struct_size = offsetof(growth_index_stats, code_bytes);
    CHECK_OK(growth_index_stats_get(h, &st));
    CHECK(st.dim > 0);
    CHECK(st.code_bytes == 0x5a5a5a5a5a5a5a5aULL && st.bytes_per_vector == 0x5a5a5a5a5a5a5a5aULL);
    st = (growth_index_stats)GROWTH_INDEX_STATS_INIT;
    CHECK_OK(growth_index_stats_get(h, &st));
    CHECK(st.code_bytes == st.dim * sizeof(float) && st.bytes_per_vector > 0);
    BAD(growth_index_set_progress(NULL, NULL, NULL), GROWTH_EINVAL, "index_set_progress");

    /* EBUFS protocol: *out_n is the capacity needed, the buffers are not written. */
    int64_t guard_ids[8];
    float guard_sc[8];
    memset(guard_ids, 0x5a, sizeof guard_ids);
    memset(guard_sc, 0x5a, sizeof guard_sc);
    int64_t gi0 = guard_ids[0];
    float gs0 = guard_sc[0];
    found = 99;
    BAD(growth_index_search(h, q, 3, NULL, guard_ids, guard_sc, 2, &found), GROWTH_EBUFS, NULL);
    CHECK(found == 3 && guard_ids[0] == gi0 && guard_ids[1] == gi0 &&
          memcmp(&guard_sc[0], &gs0, sizeof gs0) == 0);
    found = 99;
    BAD(growth_index_search(h, q, 5, NULL, NULL, guard_sc, 0, &found), GROWTH_EINVAL,
        NULL); /* ids are required */
    CHECK(found == 0);
    found = 99;
    BAD(growth_index_search(h, q, 100, NULL, guard_ids, guard_sc, 8, &found), GROWTH_EBUFS,
        NULL); /* k > live: cap >= k still */
    CHECK(found == 100 && guard_ids[7] == gi0);
    BAD(growth_index_search(h, q, 3, NULL, guard_ids, guard_sc, 2, NULL), GROWTH_EBUFS,
        NULL); /* out_n may be NULL */
    found = 99;
    BAD(growth_index_dedup(h, cand, cs, 3, 0.9f, guard_ids, guard_sc, 2, &found), GROWTH_EBUFS, NULL);
    CHECK(found == 3 && guard_ids[0] == gi0 && memcmp(&guard_sc[0], &gs0, sizeof gs0) == 0);
    found = 99;
    BAD(growth_index_dedup(h, cand, cs, 3, 0.9f, NULL, NULL, 0, &found), GROWTH_EBUFS,
        NULL); /* sizing call */
    CHECK(found == 3);
    found = 99;
    BAD(growth_index_mmr(h, q, cand, 3, 0.5f, 2, guard_ids, guard_sc, 1, &found), GROWTH_EBUFS, NULL);
    CHECK(found == 2 && guard_ids[0] == gi0 && memcmp(&guard_sc[0], &gs0, sizeof gs0) == 0);
    found = 99;
    BAD(growth_index_mmr(h, q, cand, 3, 0.5f, 5, NULL, NULL, 0, &found), GROWTH_EBUFS,
        NULL); /* min(k, n) = 3 */
    CHECK(found == 3);
    found = 99;
    BAD(growth_index_mmr(h, q, cand_bad, 2, 0.5f, 2, guard_ids, guard_sc, 1, &found), GROWTH_ENOTFOUND,
        NULL); /* validated first */
    CHECK(found == 0 && guard_ids[0] == gi0);
    BAD(growth_index_search_batch(h, v, 2, 5, NULL, guard_ids, guard_sc, 8), GROWTH_EBUFS, NULL);
    CHECK(guard_ids[0] == gi0 && guard_ids[7] == gi0 && memcmp(&guard_sc[7], &gs0, sizeof gs0) == 0);

    char path[512];
    gt_path(path, sizeof path, "bad_input.index");
    BAD(growth_index_save(NULL, path), GROWTH_EINVAL, "index_save");
    BAD(growth_index_save(h, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_index_save(h, "/nonexistent-dir/x.index"), GROWTH_EIO, NULL);
    growth_index *x = NULL;
    BAD(growth_index_load(NULL, path), GROWTH_EINVAL, "index_load");
    BAD(growth_index_load(&x, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_index_load(&x, "/nonexistent-dir/x.index"), GROWTH_EIO, NULL);
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_index_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_index_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_index_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "index_serialize");
    BAD(growth_index_serialize(h, NULL, &b1.len), GROWTH_EINVAL, NULL);
    BAD(growth_index_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "index_deserialize");
    BAD(growth_index_deserialize(&x, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_index_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_index_deserialize(&x, b0.buf, b0.len - 1), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);

    /* IVF before training: adding or searching is a state error. */
    growth_index *iv = NULL;
    CHECK_OK(growth_index_create(&iv, "dim=4 kind=ivf nlist=4"));
    BAD(growth_index_search(iv, q, 3, NULL, ids, sc, 8, &found), GROWTH_ESTATE, NULL);
    BAD(growth_index_train(iv, v, 2), GROWTH_EINVAL, "nlist"); /* fewer vectors than lists */
    BAD(growth_index_add(iv, v, 2, NULL), GROWTH_ESTATE, "not trained");
    v[5] = NAN;
    BAD(growth_index_train(iv, v, NV), GROWTH_EINVAL, NULL);
    v[5] = 0.5f;
    growth_index_free(iv);
    growth_index_free(NULL);

    /* PQ before training: too few vectors for 256 codewords; fp16 out of range; rerank set
     * on an index that keeps no float vectors. The index stays empty and usable. */
    growth_index *pq = NULL;
    CHECK_OK(growth_index_create(&pq, "dim=4 storage=pq pq_m=2"));
    BAD(growth_index_train(pq, v, NV), GROWTH_EINVAL, "256");
    BAD(growth_index_add(pq, v, NV, NULL), GROWTH_ESTATE, "256");
    BAD(growth_index_set_config(pq, "rerank=10"), GROWTH_EINVAL, "rerank");
    BAD(growth_index_search(pq, q, 3, NULL, ids, sc, 8, &found), GROWTH_ESTATE, NULL);
    growth_index_stats pst = GROWTH_INDEX_STATS_INIT;
    CHECK_OK(growth_index_stats_get(pq, &pst));
    CHECK(pst.count == 0 && pst.code_bytes == 2 && pst.bytes_per_vector == 0);
    growth_index_free(pq);
    CHECK_OK(growth_index_create(&pq, "dim=4 storage=fp16"));
    BAD(growth_index_train(pq, v, NV), GROWTH_ESTATE, "trained");
    float huge[DIM] = {1e5f, 0, 0, 0};
    BAD(growth_index_add(pq, huge, 1, NULL), GROWTH_EINVAL, "fp16");
    CHECK_OK(growth_index_stats_get(pq, &pst));
    CHECK(pst.count == 0 && pst.code_bytes == 2 * DIM);
    CHECK_OK(growth_index_add(pq, v, NV, NULL));
    growth_index_free(pq);

    /* Unchanged and working. */
    BAD_SAME_STATE(index, growth_index, h, b0);
    CHECK_OK(growth_index_search(h, q, 3, NULL, ids, sc, 8, &found));
    CHECK(found == found0 && memcmp(ids, ids0, sizeof ids0) == 0 && memcmp(sc, sc0, sizeof sc0) == 0);
    st = (growth_index_stats)GROWTH_INDEX_STATS_INIT;
    CHECK_OK(growth_index_stats_get(h, &st));
    CHECK(st.count == NV && st.deleted == 0 && st.dim == DIM && st.memory_bytes > NV * DIM * sizeof(float));
    /* a caller built against a newer header: a larger struct whose unknown tail is left alone */
    struct {
        growth_index_stats s;
        uint64_t newer[2];
    } big;
    memset(&big, 0, sizeof big);
    big.s.struct_size = sizeof big;
    big.newer[1] = 77;
    CHECK_OK(growth_index_stats_get(h, &big.s));
    CHECK(big.s.struct_size == sizeof big && big.s.count == st.count &&
          big.s.memory_bytes == st.memory_bytes && big.newer[0] == 0 && big.newer[1] == 77);
    CHECK_OK(growth_index_set_progress(h, NULL, NULL));
    CHECK_OK(growth_index_get(h, 11, g, DIM));
    CHECK(memcmp(g, v + DIM, sizeof g) == 0 ||
          fabsf(g[0] * g[0] + g[1] * g[1] + g[2] * g[2] + g[3] * g[3] - 1) < 1e-5f);
    CHECK_OK(growth_index_remove(h, cand, 1, &removed));
    CHECK(removed == 1);
    CHECK_OK(growth_index_compact(h));
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_index_free(h);
}

TEST(test_text_functions)
{
    const char *bad_cfg[] = {"k1=-1",   "k1=101",          "b=1.5",           "b=nan",
                             "ngram=0", "ngram=5",         "lowercase=maybe", "stem=yes",
                             "search=", "search=maxscore", "search=1"};
    for (size_t i = 0; i < sizeof bad_cfg / sizeof *bad_cfg; i++) {
        growth_text_index *x = NULL;
        BAD(growth_text_create(&x, bad_cfg[i]), GROWTH_EINVAL, NULL);
        CHECK(x == NULL);
    }
    BAD(growth_text_create(NULL, ""), GROWTH_EINVAL, "text_create");

    growth_text_index *t = NULL;
    CHECK_OK(growth_text_create(&t, ""));
    int64_t id[4] = {1, 2, 3, 4};
    const char *docs[4] = {"red running shoes", "blue running shirt", "red coffee mug", "红色 跑鞋"};
    CHECK_OK(growth_text_add(t, id, docs, 4));
    int64_t ids0[4], ids[8];
    float sc0[4], sc[8];
    size_t found0, found;
    CHECK_OK(growth_text_search(t, "red running", 4, NULL, ids0, sc0, 4, &found0));
    bad_bytes b0 = {0}, b1 = {0};
    CHECK_OK(growth_text_serialize(t, &b0.buf, &b0.len));
    char buf[8];
    size_t need;

    BAD(growth_text_config(NULL, buf, sizeof buf, NULL), GROWTH_EINVAL, "text_config");
    BAD(growth_text_config(t, buf, sizeof buf, &need), GROWTH_EBUFS, NULL);
    BAD(growth_text_set_config(NULL, "k1=1"), GROWTH_EINVAL, "text_set_config");
    BAD(growth_text_set_config(t, "k1=nan"), GROWTH_EINVAL, NULL);
    BAD(growth_text_set_config(t, "ngram=3"), GROWTH_EINVAL, NULL); /* not changeable */
    BAD(growth_text_set_config(t, "b=2"), GROWTH_EINVAL, NULL);
    BAD(growth_text_set_config(t, "search=bogus"), GROWTH_EINVAL, "search");
    BAD(growth_text_set_config(t, "k1=1.5 search=bogus"), GROWTH_EINVAL, "search"); /* k1 unchanged too */

    int64_t nid[2] = {10, 10}, neg[1] = {-1}, live[1] = {2}, newid[1] = {10};
    const char *two[2] = {"a b", "c d"}, *badutf[1] = {"caf\xc3"}, *nulltext[1] = {NULL};
    BAD(growth_text_add(NULL, newid, two, 1), GROWTH_EINVAL, "text_add");
    BAD(growth_text_add(t, NULL, two, 1), GROWTH_EINVAL, NULL);
    BAD(growth_text_add(t, newid, NULL, 1), GROWTH_EINVAL, NULL);
    BAD(growth_text_add(t, newid, nulltext, 1), GROWTH_EINVAL, NULL);
    BAD(growth_text_add(t, nid, two, 2), GROWTH_EINVAL, NULL);
    BAD(growth_text_add(t, neg, two, 1), GROWTH_EINVAL, NULL);
    BAD(growth_text_add(t, live, two, 1), GROWTH_EINVAL, NULL);
    BAD(growth_text_add(t, newid, badutf, 1), GROWTH_EINVAL, NULL);
    BAD(growth_text_add(t, newid, two, SIZE_MAX), GROWTH_EINVAL, NULL);
    const char data[] = "one two"
                        "three\0four";
    uint64_t off[3] = {0, 7, 17}, off_dec[3] = {0, 7, 3}, off_big[3] = {0, 7, UINT64_MAX};
    int64_t pid[2] = {20, 21};
    BAD(growth_text_add_packed(NULL, pid, data, off, 2), GROWTH_EINVAL, "text_add_packed");
    BAD(growth_text_add_packed(t, pid, NULL, off, 2), GROWTH_EINVAL, NULL);
    BAD(growth_text_add_packed(t, pid, data, NULL, 2), GROWTH_EINVAL, NULL);
    BAD(growth_text_add_packed(t, pid, data, off, 2), GROWTH_EINVAL, "NUL");
    BAD(growth_text_add_packed(t, pid, data, off_dec, 2), GROWTH_EINVAL, NULL);
    BAD(growth_text_add_packed(t, pid, data, off_big, 2), GROWTH_EINVAL, "beyond");
    BAD(growth_text_add_packed(t, pid, data, off, SIZE_MAX), GROWTH_EINVAL, NULL);
    int64_t gone[3] = {77, -1, 77};
    size_t removed = 9;
    BAD(growth_text_remove(NULL, id, 1, &removed), GROWTH_EINVAL, "text_remove");
    CHECK(removed == 0);
    BAD(growth_text_remove(t, NULL, 1, &removed), GROWTH_EINVAL, NULL);
    CHECK_OK(growth_text_remove(t, gone, 3, &removed)); /* absent ids: not an error, nothing removed */
    CHECK(removed == 0);
    BAD(growth_text_compact(NULL), GROWTH_EINVAL, "text_compact");
    BAD(growth_text_set_progress(NULL, NULL, NULL), GROWTH_EINVAL, "text_set_progress");
    growth_text_stats st = GROWTH_TEXT_STATS_INIT;
    BAD(growth_text_stats_get(NULL, &st), GROWTH_EINVAL, "text_stats_get");
    BAD(growth_text_stats_get(t, NULL), GROWTH_EINVAL, "text_stats_get");
    st.struct_size = 0;
    BAD(growth_text_stats_get(t, &st), GROWTH_EINVAL, "struct_size");
    st.struct_size = sizeof st - 8; /* the last member missing: below the 1.0 size */
    BAD(growth_text_stats_get(t, &st), GROWTH_EINVAL, "struct_size");

    growth_id_filter flt = {.struct_size = sizeof flt};
    BAD(growth_text_search(NULL, "red", 3, NULL, ids, sc, 8, &found), GROWTH_EINVAL, "text_search");
    BAD(growth_text_search(t, NULL, 3, NULL, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_text_search(t, "red", 3, NULL, NULL, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_text_search(t, "", 3, NULL, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_text_search(t, " ,;. ", 3, NULL, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_text_search(t,
                           "r\xff"
                           "ed",
                           3, NULL, ids, sc, 8, &found),
        GROWTH_EINVAL, NULL);
    BAD(growth_text_search(t, "red", 0, NULL, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_text_search(t, "red", 3, NULL, ids, sc, 2, &found), GROWTH_EBUFS, NULL);
    CHECK(found == 3);
    BAD(growth_text_search(t, "red", SIZE_MAX, NULL, ids, sc, 8, &found), GROWTH_EBUFS, NULL);
    CHECK(found == SIZE_MAX);
    { /* EBUFS protocol: *out_n = k, the buffers are not written; other errors come first */
        int64_t gi[4] = {-3, -3, -3, -3};
        float gs[4] = {-3, -3, -3, -3};
        found = 99;
        BAD(growth_text_search(t, "red running", 4, NULL, gi, gs, 3, &found), GROWTH_EBUFS, NULL);
        CHECK(found == 4 && gi[0] == -3 && gi[2] == -3 && gs[0] == -3);
        BAD(growth_text_search(t, "red running", 4, NULL, gi, gs, 3, NULL), GROWTH_EBUFS, NULL);
        found = 99;
        BAD(growth_text_search(t, ". .", 4, NULL, gi, gs, 3, &found), GROWTH_EINVAL, NULL);
        CHECK(found == 0 && gi[0] == -3);
    }
    flt.struct_size = 0;
    BAD(growth_text_search(t, "red", 3, &flt, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    flt.struct_size = sizeof flt;
    int64_t unsorted[2] = {3, 1};
    flt.allow = unsorted;
    flt.n_allow = 2;
    BAD(growth_text_search(t, "red", 3, &flt, ids, sc, 8, &found), GROWTH_EINVAL, NULL);
    int64_t sid[2] = {1, 99};
    float so[2];
    BAD(growth_text_score(NULL, "red", sid, 1, so, 2), GROWTH_EINVAL, "text_score");
    BAD(growth_text_score(t, NULL, sid, 1, so, 2), GROWTH_EINVAL, NULL);
    BAD(growth_text_score(t, "red", NULL, 1, so, 2), GROWTH_EINVAL, NULL);
    BAD(growth_text_score(t, "red", sid, 1, NULL, 2), GROWTH_EINVAL, NULL);
    BAD(growth_text_score(t, "red", sid, 2, so, 1), GROWTH_EBUFS, NULL);
    BAD(growth_text_score(t, "red", sid, SIZE_MAX, so, 2), GROWTH_EBUFS, NULL);
    BAD(growth_text_score(t, "red", sid, 2, so, 2), GROWTH_ENOTFOUND, "99");
    BAD(growth_text_score(t, "", sid, 1, so, 2), GROWTH_EINVAL, NULL);

    char path[512];
    gt_path(path, sizeof path, "bad_input.text");
    BAD(growth_text_save(NULL, path), GROWTH_EINVAL, "text_save");
    BAD(growth_text_save(t, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_text_save(t, "/nonexistent-dir/x.text"), GROWTH_EIO, NULL);
    growth_text_index *x = NULL;
    BAD(growth_text_load(NULL, path), GROWTH_EINVAL, "text_load");
    BAD(growth_text_load(&x, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_text_load(&x, "/nonexistent-dir/x.text"), GROWTH_EIO, NULL);
    bad_other_kind_file(path, sizeof path, 0);
    BAD(growth_text_load(&x, path), GROWTH_EFORMAT, NULL);
    bad_garbage_file(path, sizeof path);
    BAD(growth_text_load(&x, path), GROWTH_EFORMAT, NULL);
    BAD(growth_text_serialize(NULL, &b1.buf, &b1.len), GROWTH_EINVAL, "text_serialize");
    BAD(growth_text_serialize(t, &b1.buf, NULL), GROWTH_EINVAL, NULL);
    BAD(growth_text_deserialize(NULL, b0.buf, b0.len), GROWTH_EINVAL, "text_deserialize");
    BAD(growth_text_deserialize(&x, NULL, 8), GROWTH_EINVAL, NULL);
    BAD(growth_text_deserialize(&x, junk, sizeof junk), GROWTH_EFORMAT, NULL);
    BAD(growth_text_deserialize(&x, b0.buf, b0.len - 1), GROWTH_EFORMAT, NULL);
    CHECK(x == NULL);

    /* Fusion and the pre-ranker: pure functions over caller arrays. */
    int64_t l1[3] = {1, 2, 3}, l2[2] = {3, 4}, fo[8];
    float s1[3] = {3, 2, 1}, s2[2] = {5, NAN}, fs[8];
    const int64_t *lists[2] = {l1, l2};
    const float *scores[2] = {s1, s2};
    size_t lens[2] = {3, 2}, lens_huge[2] = {3, SIZE_MAX};
    double w[2] = {1, 1}, wbad[2] = {1, -1};
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, "method=magic", fo, fs, 8, &found),
        GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, "rrf_k=0", fo, fs, 8, &found), GROWTH_EINVAL,
        NULL);
    BAD(growth_rank_fuse_lists(NULL, scores, lens, w, 2, 3, NULL, fo, fs, 8, &found), GROWTH_EINVAL,
        "rank_fuse_lists");
    BAD(growth_rank_fuse_lists(lists, scores, NULL, w, 2, 3, NULL, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, NULL, NULL, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 0, NULL, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, NULL, fo, fs, 2, &found), GROWTH_EINVAL,
        NULL); /* NaN first */
    BAD(growth_rank_fuse_lists(lists, NULL, lens, w, 2, 3, NULL, fo, fs, 2, &found), GROWTH_EBUFS, NULL);
    CHECK(found == 3);
    BAD(growth_rank_fuse_lists(lists, NULL, lens, w, 2, 3, "normalize=max", fo, fs, 2, &found), GROWTH_EBUFS,
        NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, "norm=max", fo, fs, 8, &found), GROWTH_EINVAL,
        "norm");
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, "normalize=zscore", fo, fs, 8, &found),
        GROWTH_EINVAL, "normalize");
    { /* EBUFS protocol: *out_n = k, buffers untouched; a NaN (weighted) is reported first */
        int64_t gi[3] = {-3, -3, -3};
        float gs[3] = {-3, -3, -3};
        found = 99;
        BAD(growth_rank_fuse_lists(lists, NULL, lens, w, 2, 3, NULL, gi, gs, 2, &found), GROWTH_EBUFS, NULL);
        CHECK(found == 3 && gi[0] == -3 && gi[1] == -3 && gs[0] == -3);
        found = 99;
        BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, "method=weighted", gi, gs, 2, &found),
            GROWTH_EINVAL, NULL);
        CHECK(found == 0 && gi[0] == -3);
        found = 99;
        BAD(growth_rank_fuse_lists(lists, NULL, lens, w, 2, 3, NULL, NULL, NULL, 0, &found), GROWTH_EBUFS,
            NULL); /* sizing call */
        CHECK(found == 3);
    }
    BAD(growth_rank_fuse_lists(lists, scores, lens, wbad, 2, 3, NULL, fo, fs, 8, &found), GROWTH_EINVAL,
        NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens_huge, w, 2, 3, NULL, fo, fs, 8, &found), GROWTH_EINVAL,
        NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, 2, 3, "method=weighted", fo, fs, 8, &found),
        GROWTH_EINVAL, NULL); /* NaN score */
    BAD(growth_rank_fuse_lists(lists, NULL, lens, w, 2, 3, "method=weighted", fo, fs, 8, &found),
        GROWTH_EINVAL, NULL);
    BAD(growth_rank_fuse_lists(lists, scores, lens, w, SIZE_MAX, 3, NULL, fo, fs, 8, &found), GROWTH_EINVAL,
        NULL);
    float feat[6] = {1, 2, 3, 4, 5, 6}, fw[2] = {1, -1};
    int64_t pids[3] = {7, 8, 9};
    BAD(growth_rank_prerank(NULL, 3, 2, pids, fw, 0, 2, fo, fs, 8, &found), GROWTH_EINVAL, "rank_prerank");
    BAD(growth_rank_prerank(feat, 3, 2, pids, NULL, 0, 2, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_prerank(feat, 3, 2, pids, fw, 0, 2, NULL, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_prerank(feat, 3, 0, pids, fw, 0, 2, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_prerank(feat, 3, 2, pids, fw, 0, 0, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_prerank(feat, 3, 2, pids, fw, NAN, 2, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    BAD(growth_rank_prerank(feat, 3, 2, pids, fw, 0, 3, fo, fs, 2, &found), GROWTH_EBUFS, NULL);
    CHECK(found == 3);
    {
        int64_t gi[2] = {-3, -3};
        float gs[2] = {-3, -3};
        found = 99;
        BAD(growth_rank_prerank(feat, 3, 2, pids, fw, 0, 9, gi, gs, 2, &found), GROWTH_EBUFS,
            NULL); /* min(top_n, n) */
        CHECK(found == 3 && gi[0] == -3 && gi[1] == -3 && gs[1] == -3);
        found = 99;
        BAD(growth_rank_prerank(feat, 3, 2, pids, fw, 0, 9, NULL, NULL, 0, &found), GROWTH_EBUFS, NULL);
        CHECK(found == 3);
    }
    BAD(growth_rank_prerank(feat, SIZE_MAX / 2 + 1, 2, pids, fw, 0, 2, fo, fs, 8, &found), GROWTH_EINVAL,
        NULL); /* n * d overflows */
    feat[3] = INFINITY;
    BAD(growth_rank_prerank(feat, 3, 2, pids, fw, 0, 2, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    feat[3] = 4;
    fw[1] = NAN;
    BAD(growth_rank_prerank(feat, 3, 2, pids, fw, 0, 2, fo, fs, 8, &found), GROWTH_EINVAL, NULL);
    fw[1] = -1;
    CHECK_OK(growth_rank_prerank(feat, 3, 2, pids, fw, 0.5f, 2, fo, fs, 8, &found));
    CHECK(found == 2 && fs[0] == -0.5f && fs[1] == -0.5f); /* all rows score 1 - 2 + 0.5 */
    growth_text_free(NULL);

    /* Unchanged and working. */
    BAD_SAME_STATE(text, growth_text_index, t, b0);
    CHECK_OK(growth_text_search(t, "red running", 4, NULL, ids, sc, 8, &found));
    CHECK(found == found0 && memcmp(ids, ids0, found0 * sizeof *ids) == 0 &&
          memcmp(sc, sc0, found0 * sizeof *sc) == 0);
    st = (growth_text_stats)GROWTH_TEXT_STATS_INIT;
    CHECK_OK(growth_text_stats_get(t, &st));
    CHECK(st.docs == 4 && st.terms > 0 && st.postings >= st.terms);
    struct {
        growth_text_stats s;
        uint32_t newer[4];
    } big;
    memset(&big, 0, sizeof big);
    big.s.struct_size = sizeof big;
    big.newer[3] = 7;
    CHECK_OK(growth_text_stats_get(t, &big.s));
    CHECK(big.s.docs == st.docs && big.s.postings == st.postings && big.newer[0] == 0 && big.newer[3] == 7);
    CHECK_OK(growth_text_set_progress(t, NULL, NULL));
    CHECK_OK(growth_text_score(t, "red", sid, 1, so, 2));
    CHECK_OK(growth_text_remove(t, id, 1, &removed));
    CHECK(removed == 1);
    CHECK_OK(growth_text_compact(t));
    bad_bytes_free(&b0);
    bad_bytes_free(&b1);
    growth_text_free(t);
}

int main(void)
{
    RUN(test_index_functions);
    RUN(test_text_functions);
    return BAD_SUMMARY("bad-input matrix (search)");
}
