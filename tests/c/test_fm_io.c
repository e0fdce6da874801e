/* FM/FFM persistence: growth_fm_save / load / serialize / deserialize and
 * growth_fm_import_libffm. The model state is set and read through the internal accessors of
 * src/fm/fm_impl.h (the contract between the compute and persistence sides), so every stored
 * value is checked bit for bit; LIBFFM files are written here byte by byte from LIBFFM's layout
 * (ffm_save_model in its ffm.cpp) as an independent reference of that format. */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"
#include "fm/fm_io.h"
#include "growth/growth.h"
#include "gtest.h"
#include "stored_config.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

static uint64_t rnd_state = 12345;
static double rnd(void)
{
    rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rnd_state >> 11) * 0x1.0p-53;
}

static int vectors(const growth_fm *m) { return fm_vectors_per_slot(fm_config_of(m)); }

/* Gives every third slot (and a few random others) random factors, sums, linear statistics;
 * random bias and head weights; an examples count. */
static void randomize(growth_fm *m)
{
    const fm_cfg *c = fm_config_of(m);
    const int M = vectors(m), K = (int)c->k, H = (int)c->heads;
    uint64_t n = (uint64_t)1 << c->bits;
    float v[FM_MAX_K], g[FM_MAX_K];
    for (uint64_t s = 0; s < n; s++) {
        if (s % 3 != 1 && rnd() > 0.1) continue;
        for (int f = 0; f < M; f++) {
            for (int d = 0; d < K; d++) {
                v[d] = (float)(rnd() * 2 - 1);
                g[d] = (float)(1 + rnd() * 20);
            }
            fm_put_vec(m, s, f, v, g);
        }
        if (c->linear)
            for (int h = 0; h < H; h++) fm_put_lin(m, s, h, (float)(rnd() * 4 - 2), (float)(rnd() * 3));
        fm_mark_touched(m, s);
    }
    for (int h = 0; h < H; h++) {
        if (c->bias) fm_put_bias(m, h, (float)(rnd() - 0.5), (float)rnd());
        for (int d = 0; d < K; d++) {
            v[d] = (float)(0.5 + rnd());
            g[d] = (float)(1 + rnd() * 5);
        }
        fm_put_head(m, h, v, g);
    }
    fm_set_examples(m, 1000 + (uint64_t)(rnd() * 1e6));
}

static growth_fm *make_model(const char *config)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, config));
    if (m) randomize(m);
    return m;
}

static bool same_floats(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* Every accessor value of a and b is bit-identical, and so are the configurations. */
static int same_model(const growth_fm *a, const growth_fm *b)
{
    int bad = 0;
    char ca[2048], cb[2048];
    CHECK_OK(growth_fm_config(a, ca, sizeof ca, NULL));
    CHECK_OK(growth_fm_config(b, cb, sizeof cb, NULL));
    if (strcmp(ca, cb) != 0) {
        fprintf(stderr, "  configs differ: '%s' vs '%s'\n", ca, cb);
        return 1;
    }
    const fm_cfg *c = fm_config_of(a);
    const int M = vectors(a), K = (int)c->k, H = (int)c->heads;
    uint64_t n = (uint64_t)1 << c->bits;
    float va[FM_MAX_K], ga[FM_MAX_K], vb[FM_MAX_K], gb[FM_MAX_K];
    for (uint64_t s = 0; s < n && bad < 5; s++) {
        if (fm_is_touched(a, s) != fm_is_touched(b, s)) bad++;
        for (int f = 0; f < M; f++) {
            fm_get_vec(a, s, f, va, ga);
            fm_get_vec(b, s, f, vb, gb);
            if (!same_floats(va, vb, (size_t)K) || !same_floats(ga, gb, (size_t)K)) {
                fprintf(stderr, "  slot %llu field %d differs\n", (unsigned long long)s, f);
                bad++;
            }
        }
        if (c->linear)
            for (int h = 0; h < H; h++) {
                float z1, s1, z2, s2;
                fm_get_lin(a, s, h, &z1, &s1);
                fm_get_lin(b, s, h, &z2, &s2);
                if (memcmp(&z1, &z2, 4) || memcmp(&s1, &s2, 4)) bad++;
            }
    }
    for (int h = 0; h < H; h++) {
        if (c->bias) {
            float z1, s1, z2, s2;
            fm_get_bias(a, h, &z1, &s1);
            fm_get_bias(b, h, &z2, &s2);
            if (memcmp(&z1, &z2, 4) || memcmp(&s1, &s2, 4)) bad++;
        }
        if (H > 1) {
            fm_get_head(a, h, va, ga);
            fm_get_head(b, h, vb, gb);
            if (!same_floats(va, vb, (size_t)K) || !same_floats(ga, gb, (size_t)K)) bad++;
        }
    }
    growth_fm_stats sa = GROWTH_FM_STATS_INIT, sb = GROWTH_FM_STATS_INIT;
    CHECK_OK(growth_fm_stats_get(a, &sa));
    CHECK_OK(growth_fm_stats_get(b, &sb));
    if (sa.examples != sb.examples || sa.touched != sb.touched) bad++;
    if (fm_examples(a) != fm_examples(b)) bad++;
    return bad;
}

static const char *configs[] = {
    "model=ffm fields=3 k=5 bits=6 heads=2 head_names=click|buy seed=7",
    "model=fm k=4 bits=7 linear=false bias=false seed=3",
    "model=ffm fields=4 k=1 bits=5 bias=false",
    "model=fm k=8 bits=6 heads=3 fields=5 init_scale=0.5 eta=0.1 lambda=0",
    "model=ffm fields=2 k=7 bits=4 heads=16 normalize=false",
    "model=ffm fields=3 k=4 bits=6 heads=2 precision=compact seed=11",
    "model=fm k=3 bits=6 precision=compact linear=true bias=true",
};
#define NCONFIGS (sizeof configs / sizeof *configs)

/* ---- round trips --------------------------------------------------------------------------- */

TEST(test_serialize_roundtrip_is_exact)
{
    for (size_t i = 0; i < NCONFIGS; i++) {
        growth_fm *a = make_model(configs[i]), *b = NULL;
        if (!a) continue;
        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK_OK(growth_fm_serialize(a, &buf, &len));
        CHECK_OK(growth_fm_deserialize(&b, buf, len));
        if (b) {
            int bad = same_model(a, b);
            if (bad) fprintf(stderr, "  config %s: %d differences\n", configs[i], bad);
            CHECK(bad == 0);
            /* and the bytes of the copy are the same bytes */
            uint8_t *buf2 = NULL;
            size_t len2 = 0;
            CHECK_OK(growth_fm_serialize(b, &buf2, &len2));
            CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
            growth_buffer_free(buf2);
        }
        growth_buffer_free(buf);
        growth_fm_free(a);
        growth_fm_free(b);
    }
}

TEST(test_save_load_roundtrip_is_exact)
{
    char path[512];
    gt_path(path, sizeof path, "fm_io_roundtrip.fm");
    for (size_t i = 0; i < NCONFIGS; i++) {
        growth_fm *a = make_model(configs[i]), *b = NULL;
        if (!a) continue;
        CHECK_OK(growth_fm_save(a, path));
        CHECK_OK(growth_fm_load(&b, path));
        int kind = 0;
        CHECK_OK(growth_model_kind(path, &kind, NULL));
        CHECK(kind == GROWTH_KIND_FM);
        if (b) CHECK(same_model(a, b) == 0);
        growth_fm_free(a);
        growth_fm_free(b);
    }
    remove(path);
}

/* Several blocks of slots (the block size lowered to a few slots), and an empty model. */
TEST(test_blocks_and_empty_model)
{
    size_t saved = fm_block_bytes;
    const size_t sizes[] = {1, 200, 1000, 5000};
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        fm_block_bytes = sizes[t];
        growth_fm *a = make_model(configs[0]), *b = NULL;
        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK_OK(growth_fm_serialize(a, &buf, &len));
        CHECK_OK(growth_fm_deserialize(&b, buf, len));
        if (b) CHECK(same_model(a, b) == 0);
        growth_buffer_free(buf);
        growth_fm_free(a);
        growth_fm_free(b);
    }
    fm_block_bytes = saved;
    growth_fm *e = NULL, *b = NULL;
    CHECK_OK(growth_fm_create(&e, "model=ffm fields=2 k=3 bits=3"));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_fm_serialize(e, &buf, &len));
    CHECK_OK(growth_fm_deserialize(&b, buf, len));
    if (b) {
        CHECK(same_model(e, b) == 0);
        growth_fm_stats st = GROWTH_FM_STATS_INIT;
        CHECK_OK(growth_fm_stats_get(b, &st));
        CHECK(st.touched == 0 && st.examples == 0);
    }
    growth_buffer_free(buf);
    growth_fm_free(e);
    growth_fm_free(b);
}

/* Untouched slots are not stored: the loaded model recreates them from the seed. */
TEST(test_untouched_slots_come_from_the_seed)
{
    growth_fm *a = make_model("model=ffm fields=3 k=6 bits=6 seed=99"), *b = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_fm_serialize(a, &buf, &len));
    CHECK_OK(growth_fm_deserialize(&b, buf, len));
    growth_fm *fresh = NULL;
    CHECK_OK(growth_fm_create(&fresh, "model=ffm fields=3 k=6 bits=6 seed=99"));
    if (b && fresh) {
        size_t untouched = 0;
        float v[FM_MAX_K], ref[FM_MAX_K], g[FM_MAX_K], out[FM_MAX_K];
        for (uint64_t s = 0; s < 64; s++) {
            if (fm_is_touched(b, s)) continue;
            untouched++;
            for (int f = 0; f < 3; f++) {
                /* untouched slots come back as in a fresh model: factors and sums 0 (lazy init) */
                fm_get_vec(b, s, f, v, g);
                fm_get_vec(fresh, s, f, ref, NULL);
                CHECK(same_floats(v, ref, 6));
                for (int d = 0; d < 6; d++) CHECK(v[d] == 0.0f && g[d] == 0.0f);
                size_t n = 0;
                CHECK_OK(growth_fm_factors(b, (uint32_t)s, (size_t)f, out, FM_MAX_K, &n));
                CHECK(n == 6 && same_floats(out, ref, 6));
            }
        }
        CHECK(untouched > 10);
        /* the stored file is smaller than a file of every slot would be */
        CHECK(len < 64 * 3 * 6 * 8);
    }
    growth_buffer_free(buf);
    growth_fm_free(a);
    growth_fm_free(b);
    growth_fm_free(fresh);
}

/* precision=compact: the accessors round to bfloat16 on the way in; the file keeps what the
 * model holds, so compact -> file -> compact is exact; the values are the nearest bfloat16 of
 * what was put. */
TEST(test_compact_values_are_nearest)
{
    growth_fm *a = NULL, *b = NULL;
    CHECK_OK(growth_fm_create(&a, "model=ffm fields=2 k=4 bits=3 precision=compact"));
    if (!a) return;
    float v[4] = {0.1f, -0.3333f, 1.0f / 3.0f, 12345.678f}, g[4] = {1.0f, 1.01f, 7.77f, 100.5f};
    float v0[4] = {0.5f, 0.25f, 0.125f, 0.0625f}, g0[4] = {1, 1, 1, 1};
    fm_put_vec(a, 5, 0, v0, g0); /* a touched slot has all its vectors (training's first touch) */
    fm_put_vec(a, 5, 1, v, g);
    fm_mark_touched(a, 5);
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_fm_serialize(a, &buf, &len));
    CHECK_OK(growth_fm_deserialize(&b, buf, len));
    if (b) {
        float vb[4], gb[4];
        fm_get_vec(b, 5, 1, vb, gb);
        for (int d = 0; d < 4; d++) {
            CHECK(fabsf(vb[d] - v[d]) <= fabsf(v[d]) * (1.0f / 256));
            CHECK(fabsf(gb[d] - g[d]) <= fabsf(g[d]) * (1.0f / 256));
            uint32_t u;
            memcpy(&u, &vb[d], 4);
            CHECK((u & 0xffff) == 0); /* a bfloat16 */
        }
        CHECK(same_model(a, b) == 0);
    }
    growth_buffer_free(buf);
    growth_fm_free(a);
    growth_fm_free(b);
}

/* ---- damaged input ------------------------------------------------------------------------- */

static uint8_t *envelope(const uint8_t *payload, size_t plen, size_t *len)
{
    uint8_t *buf = malloc(GENV_HEADER_SIZE + plen + 1);
    memcpy(buf + GENV_HEADER_SIZE, payload, plen);
    genv_header(buf, GROWTH_KIND_FM, buf + GENV_HEADER_SIZE, plen);
    *len = GENV_HEADER_SIZE + plen;
    return buf;
}

TEST(test_truncation_at_every_length)
{
    size_t saved = fm_block_bytes;
    fm_block_bytes = 300; /* several blocks, so cuts fall between blocks too */
    growth_fm *a = make_model("model=ffm fields=2 k=3 bits=4 heads=2 seed=5");
    fm_block_bytes = saved;
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_fm_serialize(a, &buf, &len));
    char path[512];
    gt_path(path, sizeof path, "fm_io_trunc.fm");
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        growth_fm *b = NULL;
        int rc = growth_fm_deserialize(&b, buf, cut);
        if (rc != GROWTH_EFORMAT || b) bad++;
        growth_fm_free(b);
        /* the same cut of the payload in an envelope that is itself valid */
        if (cut >= GENV_HEADER_SIZE) {
            size_t elen = 0;
            uint8_t *e = envelope(buf + GENV_HEADER_SIZE, cut - GENV_HEADER_SIZE, &elen);
            rc = growth_fm_deserialize(&b, e, elen);
            if (rc != GROWTH_EFORMAT || b) {
                fprintf(stderr, "  payload cut at %zu: rc %d (%s)\n", cut - GENV_HEADER_SIZE, rc,
                        growth_last_error());
                bad++;
            }
            growth_fm_free(b);
            b = NULL;
            free(e);
        }
        if (cut % 7 == 0) { /* and as a file */
            FILE *f = fopen(path, "wb");
            fwrite(buf, 1, cut, f);
            fclose(f);
            rc = growth_fm_load(&b, path);
            if (rc != GROWTH_EFORMAT || b) bad++;
            growth_fm_free(b);
        }
    }
    CHECK(bad == 0);
    remove(path);
    growth_buffer_free(buf);
    growth_fm_free(a);
}

TEST(test_byte_flips)
{
    growth_fm *a = make_model("model=ffm fields=2 k=3 bits=4 heads=2 seed=5");
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_fm_serialize(a, &buf, &len));
    uint8_t *copy = malloc(len);
    int bad = 0, loaded = 0;
    for (int trial = 0; trial < 4000; trial++) {
        memcpy(copy, buf, len);
        int flips = 1 + (int)(rnd() * 3);
        for (int i = 0; i < flips; i++) copy[(size_t)(rnd() * (double)len)] ^= (uint8_t)(1 + rnd() * 255);
        if (memcmp(copy, buf, len) == 0) continue;
        growth_fm *b = NULL;
        /* with the checksums: always refused */
        int rc = growth_fm_deserialize(&b, copy, len);
        if (rc != GROWTH_EFORMAT || b) bad++;
        growth_fm_free(b);
        b = NULL;
        /* re-enveloped: refused, or a valid model that works */
        size_t elen = 0;
        uint8_t *e = envelope(copy + GENV_HEADER_SIZE, len - GENV_HEADER_SIZE, &elen);
        rc = growth_fm_deserialize(&b, e, elen);
        if (rc == GROWTH_OK) {
            loaded++;
            growth_fm_stats st = GROWTH_FM_STATS_INIT;
            if (growth_fm_stats_get(b, &st) != GROWTH_OK || st.touched > 16) bad++;
            uint8_t *again = NULL;
            size_t alen = 0;
            if (growth_fm_serialize(b, &again, &alen) != GROWTH_OK) bad++;
            growth_buffer_free(again);
        } else if (rc == GROWTH_ENOMEM && !b && strstr(growth_last_error(), "more than max_memory")) {
            /* a flip inside the stored configuration's max_memory value: the file asks for a cap
             * its own tables exceed, refused before anything is allocated */
        } else if (rc != GROWTH_EFORMAT || b ||
                   strstr(growth_last_error(), "growth_fm_deserialize") == NULL) {
            fprintf(stderr, "  flip: rc %d: %s\n", rc, growth_last_error());
            bad++;
        }
        growth_fm_free(b);
        free(e);
    }
    CHECK(bad == 0);
    CHECK(loaded > 0); /* flips inside float values still give valid models */
    free(copy);
    growth_buffer_free(buf);
    growth_fm_free(a);
}

/* Payloads that decode but break a rule, built with protobuf-c: each must be EFORMAT. */
#include "fm.pb-c.h"

static int deserialize_state(Growth__FmState *st, Growth__FmSlots **blocks, size_t nblocks)
{
    st->n_blocks = nblocks;
    st->blocks = blocks;
    size_t plen = protobuf_c_message_get_packed_size(&st->base);
    uint8_t *pl = malloc(plen + 1);
    protobuf_c_message_pack(&st->base, pl);
    size_t len = 0;
    uint8_t *e = envelope(pl, plen, &len);
    growth_fm *m = NULL;
    int rc = growth_fm_deserialize(&m, e, len);
    if (rc == GROWTH_OK && !m) rc = -1000;
    growth_fm_free(m);
    free(pl);
    free(e);
    return rc;
}

TEST(test_rule_violations_are_eformat)
{
    /* model=ffm fields=2 k=2 bits=3 heads=2 (linear, bias): M=2 K=2 H=2 */
    char cfg[] = "model=ffm fields=2 k=2 bits=3 heads=2";
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    meta.config = cfg;
    float bz[2] = {0.1f, 0.2f}, bs[2] = {1, 2}, hu[4] = {1, 1, 1, 1}, hg[4] = {1, 2, 3, 4};
    uint32_t slots[2] = {1, 6};
    float fac[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}, sums[8] = {1, 1, 1, 1, 2, 2, 2, 2};
    float lz[4] = {0.5f, -0.5f, 1, 2}, ls[4] = {1, 1, 1, 1};
#define RESET()                                                                                              \
    Growth__FmState st = GROWTH__FM_STATE__INIT;                                                             \
    Growth__FmSlots blk = GROWTH__FM_SLOTS__INIT;                                                            \
    Growth__FmSlots *bl[1] = {&blk};                                                                         \
    st.meta = &meta;                                                                                         \
    st.examples = 10;                                                                                        \
    st.vectors = 2;                                                                                          \
    st.k = 2;                                                                                                \
    st.heads = 2;                                                                                            \
    st.touched = 2;                                                                                          \
    st.n_bias_z = st.n_bias_sqrt_n = 2;                                                                      \
    st.bias_z = bz;                                                                                          \
    st.bias_sqrt_n = bs;                                                                                     \
    st.n_head_u = st.n_head_g = 4;                                                                           \
    st.head_u = hu;                                                                                          \
    st.head_g = hg;                                                                                          \
    blk.n_slots = 2;                                                                                         \
    blk.slots = slots;                                                                                       \
    blk.n_factors = blk.n_sums = 8;                                                                          \
    blk.factors = fac;                                                                                       \
    blk.sums = sums;                                                                                         \
    blk.n_lin_z = blk.n_lin_sqrt_n = 4;                                                                      \
    blk.lin_z = lz;                                                                                          \
    blk.lin_sqrt_n = ls
    {
        RESET();
        CHECK_OK(deserialize_state(&st, bl, 1)); /* the valid one */
    }
    {
        RESET();
        st.vectors = 3;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        CHECK_MSG("do not match");
    }
    {
        RESET();
        st.k = 4;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        st.heads = 1;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        st.touched = 3;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        CHECK_MSG("touched");
    }
    {
        RESET();
        CHECK_RC(deserialize_state(&st, bl, 0), GROWTH_EFORMAT); /* blocks missing */
    }
    {
        RESET();
        meta.config = NULL;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        meta.config = cfg;
    }
    {
        RESET();
        char bad[] = "model=ffm fields=2 k=2 bits=3 heads=2 colour=red";
        meta.config = bad;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        CHECK_MSG("colour");
        meta.config = cfg;
    }
    {
        RESET();
        st.meta = NULL;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        st.n_bias_z = 1;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        st.n_head_u = st.n_head_g = 2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        uint32_t s2[2] = {6, 1};
        blk.slots = s2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        CHECK_MSG("ascending");
    }
    {
        RESET();
        uint32_t s2[2] = {1, 1};
        blk.slots = s2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        uint32_t s2[2] = {1, 8};
        blk.slots = s2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        CHECK_MSG("outside");
    }
    {
        RESET(); /* ascending within each block but not across them */
        Growth__FmSlots b2 = blk;
        uint32_t s1[1] = {6}, s2[1] = {1};
        blk.n_slots = b2.n_slots = 1;
        blk.slots = s1;
        b2.slots = s2;
        blk.n_factors = blk.n_sums = b2.n_factors = b2.n_sums = 4;
        blk.n_lin_z = blk.n_lin_sqrt_n = b2.n_lin_z = b2.n_lin_sqrt_n = 2;
        Growth__FmSlots *two[2] = {&blk, &b2};
        (void)bl;
        CHECK_RC(deserialize_state(&st, two, 2), GROWTH_EFORMAT);
        s1[0] = 1;
        s2[0] = 6;
        CHECK_OK(deserialize_state(&st, two, 2));
        Growth__FmSlots empty = GROWTH__FM_SLOTS__INIT;
        Growth__FmSlots *three[3] = {&blk, &empty, &b2};
        CHECK_RC(deserialize_state(&st, three, 3), GROWTH_EFORMAT);
    }
    {
        RESET();
        blk.n_factors = 6;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        blk.n_sums = 6;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        blk.n_lin_z = 2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    const float nasty[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        {
            RESET();
            float f2[8];
            memcpy(f2, fac, sizeof f2);
            f2[5] = nasty[i];
            blk.factors = f2;
            CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        }
        {
            RESET();
            float s2[8];
            memcpy(s2, sums, sizeof s2);
            s2[7] = nasty[i];
            blk.sums = s2;
            CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        }
        {
            RESET();
            float l2[4] = {0, 0, nasty[i], 0};
            blk.lin_z = l2;
            CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        }
        {
            RESET();
            float b2[2] = {0, nasty[i]};
            st.bias_z = b2;
            CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        }
        {
            RESET();
            float u2[4] = {1, nasty[i], 1, 1};
            st.head_u = u2;
            CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        }
    }
    {
        RESET();
        float s2[8] = {1, 1, 1, 0, 1, 1, 1, 1}; /* an AdaGrad sum of 0 */
        blk.sums = s2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
        s2[3] = -1;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        float l2[4] = {1, -1, 1, 1}; /* a negative sqrt(n) */
        blk.lin_sqrt_n = l2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        float g2[4] = {1, 0, 1, 1};
        st.head_g = g2;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_EFORMAT);
    }
    {
        RESET();
        char huge[] = "model=ffm fields=256 k=2 bits=32 heads=2"; /* 16 TiB */
        meta.config = huge;
        st.vectors = 256;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_ENOMEM); /* refused up front */
        CHECK_MSG("bytes");
        meta.config = cfg;
    }
    {
        RESET();
        char capped[] = "model=ffm fields=2 k=2 bits=20 heads=2 max_memory=1000";
        meta.config = capped;
        CHECK_RC(deserialize_state(&st, bl, 1), GROWTH_ENOMEM);
        CHECK_MSG("max_memory");
        meta.config = cfg;
    }
#undef RESET
}

/* A saved model whose stored configuration has keys that each parse but do not go together is a
 * damaged file, EFORMAT, not the EINVAL growth_fm_create gives a caller: the cross-key check
 * re-run on the stored configuration (model=ffm without fields, an admission key on the hashed
 * table) and a creation-time check (more head names than heads). */
TEST(test_stored_config_cross_keys)
{
    growth_fm *a = make_model("model=ffm fields=2 k=2 bits=3 heads=2");
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_fm_serialize(a, &buf, &len));
    static const char *const cfgs[] = {
        "model=ffm fields=2 k=2 bits=3 heads=2", /* the unchanged configuration: still loads */
        "model=ffm k=2 bits=3 heads=2",
        "model=ffm fields=2 k=2 bits=3 heads=2 admit=2",
        "model=ffm fields=2 k=2 bits=3 heads=2 head_names=a|b|c",
    };
    for (size_t t = 0; t < sizeof cfgs / sizeof cfgs[0]; t++) {
        growth_fm *c = NULL;
        CHECK_RC(growth_fm_create(&c, cfgs[t]), t ? GROWTH_EINVAL : GROWTH_OK); /* as a caller's */
        growth_fm_free(c);
        uint8_t *out = NULL;
        size_t olen = 0;
        CHECK_OK(gt_with_config(buf, len, &growth__fm_state__descriptor, cfgs[t], &out, &olen));
        if (!out) break;
        growth_fm *b = NULL;
        if (t == 0) {
            CHECK_OK(growth_fm_deserialize(&b, out, olen));
            CHECK(b && same_model(a, b) == 0);
            growth_fm_free(b);
        } else {
            CHECK_RC(growth_fm_deserialize(&b, out, olen), GROWTH_EFORMAT);
            CHECK_MSG("config key");
            CHECK(b == NULL);
        }
        free(out);
    }
    growth_buffer_free(buf);
    growth_fm_free(a);
}

TEST(test_wire_format_garbage)
{
    /* payloads that are not protobuf at all, in valid envelopes */
    const uint8_t p1[] = {0x00};                   /* field 0 */
    const uint8_t p2[] = {0x5a, 0x80};             /* blocks, length varint cut */
    const uint8_t p3[] = {0x5a, 0x10, 0x01};       /* blocks, length past the end */
    const uint8_t p4[] = {0x58, 0x01};             /* blocks as a varint */
    const uint8_t p5[] = {0x0b, 0x0c};             /* a group */
    const uint8_t p6[] = {0x5a, 0x02, 0x08, 0x01}; /* a block before any configuration */
    const uint8_t p7[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t *ps[] = {p1, p2, p3, p4, p5, p6, p7};
    const size_t ls[] = {sizeof p1, sizeof p2, sizeof p3, sizeof p4, sizeof p5, sizeof p6, sizeof p7};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        size_t len = 0;
        uint8_t *e = envelope(ps[i], ls[i], &len);
        growth_fm *m = NULL;
        CHECK_RC(growth_fm_deserialize(&m, e, len), GROWTH_EFORMAT);
        CHECK(m == NULL);
        free(e);
    }
    size_t len = 0;
    uint8_t *e = envelope(p1, 0, &len); /* an empty payload: no configuration */
    growth_fm *m = NULL;
    CHECK_RC(growth_fm_deserialize(&m, e, len), GROWTH_EFORMAT);
    CHECK_MSG("configuration");
    free(e);
}

TEST(test_other_kind_is_eformat)
{
    char path[512];
    gt_path(path, sizeof path, "fm_io_other.ftrl");
    growth_ftrl *f = NULL;
    CHECK_OK(growth_ftrl_create(&f, "bits=4"));
    CHECK_OK(growth_ftrl_save(f, path));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_ftrl_serialize(f, &buf, &len));
    growth_ftrl_free(f);
    growth_fm *m = NULL;
    CHECK_RC(growth_fm_load(&m, path), GROWTH_EFORMAT);
    CHECK_MSG("ftrl");
    CHECK_RC(growth_fm_deserialize(&m, buf, len), GROWTH_EFORMAT);
    CHECK(m == NULL);
    growth_buffer_free(buf);
    /* and an FM file is no FTRL model */
    growth_fm *a = make_model("model=fm k=2 bits=3");
    CHECK_OK(growth_fm_save(a, path));
    growth_ftrl *x = NULL;
    CHECK_RC(growth_ftrl_load(&x, path), GROWTH_EFORMAT);
    growth_fm_free(a);
    remove(path);
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A failed save leaves the previous file intact and no temporary file behind. */
TEST(test_failed_save_keeps_old_file)
{
    char dir[512], path[600];
    gt_path(dir, sizeof dir, "fm_io_ro");
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/model.fm", dir);
    growth_fm *old = make_model("model=ffm fields=2 k=2 bits=4 seed=1"),
              *neu = make_model("model=fm k=3 bits=5");
    CHECK_OK(growth_fm_save(old, path));
    /* the directory cannot be written (as root: from a child that gave up root) */
    pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        } else if (chmod(dir, 0555) != 0) {
            _exit(3);
        }
        int rc = growth_fm_save(neu, path);
        _exit(rc == GROWTH_EIO && strstr(growth_last_error(), "growth_fm_save") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    chmod(dir, 0755);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the target is a directory: rename fails after the temporary file was written */
    char sub[640];
    snprintf(sub, sizeof sub, "%s/adir", dir);
    mkdir(sub, 0755);
    CHECK_RC(growth_fm_save(neu, sub), GROWTH_EIO);
    CHECK(count_entries(dir) == 2); /* model.fm and adir: no temporary file left */
    growth_fm *back = NULL;
    CHECK_OK(growth_fm_load(&back, path));
    if (back) CHECK(same_model(old, back) == 0);
    growth_fm_free(back);
    growth_fm_free(old);
    growth_fm_free(neu);
    rmdir(sub);
    remove(path);
    rmdir(dir);
}

/* Saves take the writer lock: a writer that changes 16 slots together under fm_lock (as a
 * trainer does within one update) is never seen half-way in a serialised model. */
typedef struct {
    growth_fm *m;
    atomic_bool stop;
} writer_ctx;

static void *writer(void *p)
{
    writer_ctx *w = p;
    float v[4], g[4];
    for (unsigned it = 1; !atomic_load(&w->stop); it++) {
        fm_lock(w->m);
        for (int d = 0; d < 4; d++) {
            v[d] = (float)it;
            g[d] = (float)it + 1;
        }
        for (uint64_t s = 0; s < 16; s++) {
            for (int f = 0; f < 2; f++) fm_put_vec(w->m, s * 3, f, v, g);
            fm_mark_touched(w->m, s * 3);
        }
        fm_set_examples(w->m, it);
        fm_unlock(w->m);
    }
    return NULL;
}

TEST(test_save_is_a_consistent_snapshot)
{
    writer_ctx w = {.m = NULL};
    CHECK_OK(growth_fm_create(&w.m, "model=ffm fields=2 k=4 bits=6"));
    if (!w.m) return;
    atomic_init(&w.stop, false);
    pthread_t t;
    pthread_create(&t, NULL, writer, &w);
    /* the writer has run at least once before the snapshots start (else, on a loaded machine,
     * every snapshot could come before its first write and test nothing) */
    while (fm_examples(w.m) == 0) sched_yield();
    int torn = 0, seen = 0;
    for (int i = 0; i < 300; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        growth_fm *b = NULL;
        CHECK_OK(growth_fm_serialize(w.m, &buf, &len));
        CHECK_OK(growth_fm_deserialize(&b, buf, len));
        if (b && fm_next_touched(b, 0) != UINT64_MAX) {
            seen++;
            float v0[4], v[4], g[4];
            fm_get_vec(b, 0, 0, v0, NULL);
            if (fm_examples(b) != (uint64_t)v0[0]) torn++;
            for (uint64_t s = 0; s < 16; s++)
                for (int f = 0; f < 2; f++) {
                    fm_get_vec(b, s * 3, f, v, g);
                    for (int d = 0; d < 4; d++) torn += v[d] != v0[0] || g[d] != v0[0] + 1;
                }
        }
        growth_buffer_free(buf);
        growth_fm_free(b);
    }
    atomic_store(&w.stop, true);
    pthread_join(t, NULL);
    CHECK(torn == 0);
    CHECK(seen > 0);
    growth_fm_free(w.m);
}

/* ---- LIBFFM -------------------------------------------------------------------------------- */

/* Writes a LIBFFM model file as ffm_save_model does for kALIGN = align: the factor of (j, f, d)
 * is ref_v(j, f, d), its AdaGrad sum ref_g(j, f, d); padding factors 0 and sums 1 (as LIBFFM's
 * init_model), or `pad` when not NULL. */
static float ref_v(int j, int f, int d) { return (float)(((j * 31 + f * 7 + d * 3) % 97) - 48) / 97.0f; }
static float ref_g(int j, int f, int d) { return 1.0f + (float)((j * 13 + f * 5 + d) % 50) / 7.0f; }

static void put_f32(FILE *fp, float x)
{
    uint8_t b[4];
    uint32_t u;
    memcpy(&u, &x, 4);
    gput_u32(b, u);
    fwrite(b, 1, 4, fp);
}

static void write_libffm(const char *path, int n, int m, int k, int norm, int align, const float *pad)
{
    FILE *fp = fopen(path, "wb");
    uint8_t h[13];
    gput_u32(h, (uint32_t)n);
    gput_u32(h + 4, (uint32_t)m);
    gput_u32(h + 8, (uint32_t)k);
    h[12] = (uint8_t)norm;
    fwrite(h, 1, 13, fp);
    int ka = (k + align - 1) / align * align;
    for (int j = 0; j < n; j++)
        for (int f = 0; f < m; f++)
            for (int d0 = 0; d0 < ka; d0 += align) {
                for (int s = 0; s < align; s++) {
                    int d = d0 + s;
                    put_f32(fp, d < k ? ref_v(j, f, d) : pad ? pad[0] : 0.0f);
                }
                for (int s = 0; s < align; s++) {
                    int d = d0 + s;
                    put_f32(fp, d < k ? ref_g(j, f, d) : pad ? pad[1] : 1.0f);
                }
            }
    fclose(fp);
}

static int check_imported(const growth_fm *m, int n, int fields, int k, int norm)
{
    int bad = 0;
    char cfg[2048];
    CHECK_OK(growth_fm_config(m, cfg, sizeof cfg, NULL));
    char want[256];
    int bits = 1;
    while ((1 << bits) < n) bits++;
    snprintf(want, sizeof want, "k=%d fields=%d bits=%d heads=1", k, fields, bits);
    if (!strstr(cfg, "model=ffm") || !strstr(cfg, want) ||
        !strstr(cfg, norm ? "normalize=true" : "normalize=false") || !strstr(cfg, "linear=false") ||
        !strstr(cfg, "bias=false")) {
        fprintf(stderr, "  imported config '%s' lacks '%s'\n", cfg, want);
        bad++;
    }
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    CHECK_OK(growth_fm_stats_get(m, &st));
    if (st.touched != (uint64_t)n || st.k != (uint64_t)k || st.fields != (uint64_t)fields || st.heads != 1)
        bad++;
    float v[FM_MAX_K], g[FM_MAX_K], out[FM_MAX_K];
    for (int j = 0; j < n; j++) {
        if (!fm_is_touched(m, (uint64_t)j)) bad++;
        for (int f = 0; f < fields; f++) {
            fm_get_vec(m, (uint64_t)j, f, v, g);
            size_t got = 0;
            CHECK_OK(growth_fm_factors(m, (uint32_t)j, (size_t)f, out, FM_MAX_K, &got));
            for (int d = 0; d < k; d++)
                if (v[d] != ref_v(j, f, d) || g[d] != ref_g(j, f, d) || out[d] != ref_v(j, f, d)) bad++;
        }
    }
    for (uint64_t s = (uint64_t)n; s < ((uint64_t)1 << bits); s++)
        if (fm_is_touched(m, s)) bad++;
    return bad;
}

TEST(test_libffm_import)
{
    char path[512];
    gt_path(path, sizeof path, "fm_io.libffm");
    const int ks[] = {1, 3, 4, 5, 8, 13};
    const int ns[] = {1, 2, 3, 17};
    for (int align = 1; align <= 4; align += 3)
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
            for (int norm = 0; norm <= 1; norm++) {
                int n = ns[(ki + (size_t)norm) % 4], fields = 1 + (int)ki % 4, k = ks[ki];
                write_libffm(path, n, fields, k, norm, align, NULL);
                growth_fm *m = NULL;
                char opt[64];
                snprintf(opt, sizeof opt, "align=%d", align);
                CHECK_OK(growth_fm_import_libffm(&m, path, align == 4 ? (norm ? NULL : "") : opt));
                if (!m) continue;
                int bad = check_imported(m, n, fields, k, norm);
                if (bad)
                    fprintf(stderr, "  align=%d n=%d m=%d k=%d norm=%d: %d bad\n", align, n, fields, k, norm,
                            bad);
                CHECK(bad == 0);
                /* an imported model saves and loads like any other */
                uint8_t *buf = NULL;
                size_t len = 0;
                growth_fm *b = NULL;
                CHECK_OK(growth_fm_serialize(m, &buf, &len));
                CHECK_OK(growth_fm_deserialize(&b, buf, len));
                if (b) CHECK(same_model(m, b) == 0);
                growth_buffer_free(buf);
                growth_fm_free(b);
                growth_fm_free(m);
            }
    /* options reach the model */
    write_libffm(path, 5, 2, 3, 1, 4, NULL);
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_import_libffm(&m, path,
                                     "eta=0.05 lambda=0.001 precision=compact seed=9 max_memory=100000"));
    if (m) {
        char cfg[2048];
        CHECK_OK(growth_fm_config(m, cfg, sizeof cfg, NULL));
        CHECK(strstr(cfg, "eta=0.05") && strstr(cfg, "lambda=0.001") && strstr(cfg, "precision=compact") &&
              strstr(cfg, "seed=9") && strstr(cfg, "max_memory=100000"));
        float v[3], g[3];
        fm_get_vec(m, 4, 1, v, g); /* compact: nearest bfloat16 */
        for (int d = 0; d < 3; d++) CHECK(fabsf(v[d] - ref_v(4, 1, d)) <= 1.0f / 256);
    }
    growth_fm_free(m);
    m = NULL;
    CHECK_RC(growth_fm_import_libffm(&m, path, "max_memory=10"), GROWTH_ENOMEM);
    CHECK(m == NULL);
    /* finite padding is ignored; non-finite padding is refused */
    float pad[2] = {0.75f, 3.0f};
    write_libffm(path, 4, 3, 5, 1, 4, pad);
    CHECK_OK(growth_fm_import_libffm(&m, path, NULL));
    if (m) CHECK(check_imported(m, 4, 3, 5, 1) == 0);
    growth_fm_free(m);
    m = NULL;
    pad[0] = NAN;
    write_libffm(path, 4, 3, 5, 1, 4, pad);
    CHECK_RC(growth_fm_import_libffm(&m, path, NULL), GROWTH_EFORMAT);
    pad[0] = 0;
    pad[1] = INFINITY;
    write_libffm(path, 4, 3, 5, 1, 4, pad);
    CHECK_RC(growth_fm_import_libffm(&m, path, NULL), GROWTH_EFORMAT);
    CHECK(m == NULL);
    remove(path);
}

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (n) fwrite(b, 1, n, fp);
    fclose(fp);
}

static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 16);
    *n = fread(b, 1, *n, fp);
    fclose(fp);
    return b;
}

TEST(test_libffm_bad_files)
{
    char path[512], other[512];
    gt_path(path, sizeof path, "fm_io_bad.libffm");
    gt_path(other, sizeof other, "fm_io_bad2.libffm");
    write_libffm(path, 6, 3, 5, 1, 4, NULL); /* 13 + 6*3*8*8 bytes */
    size_t len = 0;
    uint8_t *good = read_bytes(path, &len);
    CHECK(len == 13 + 6 * 3 * 8 * 8);
    growth_fm *m = NULL;
    int bad = 0;
    /* every truncation, and trailing bytes */
    for (size_t cut = 0; cut < len; cut++) {
        write_bytes(other, good, cut);
        if (growth_fm_import_libffm(&m, other, NULL) != GROWTH_EFORMAT || m) bad++;
        if (cut == len - 1) CHECK_MSG("truncated");
    }
    CHECK(bad == 0);
    uint8_t *longer = malloc(len + 4);
    memcpy(longer, good, len);
    memset(longer + len, 0, 4);
    write_bytes(other, longer, len + 1);
    CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
    CHECK_MSG("trailing");
    CHECK_MSG("1165"); /* names the expected size */
    free(longer);
    /* the wrong alignment: the sizes differ (k = 5), the message says which one fits */
    CHECK_RC(growth_fm_import_libffm(&m, path, "align=1"), GROWTH_EFORMAT);
    CHECK_MSG("align=4");
    write_libffm(other, 6, 3, 5, 1, 1, NULL);
    CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
    CHECK_MSG("align=1");
    CHECK_OK(growth_fm_import_libffm(&m, other, "align=1"));
    growth_fm_free(m);
    m = NULL;
    /* impossible headers */
    struct {
        int32_t n, m, k;
        uint8_t norm;
    } hdrs[] = {{0, 3, 5, 1}, {-4, 3, 5, 1}, {6, 0, 5, 1},  {6, -1, 5, 1}, {6, 257, 5, 1},
                {6, 3, 0, 1}, {6, 3, 65, 1}, {6, 3, -5, 1}, {6, 3, 5, 2},  {INT32_MIN, 3, 5, 1}};
    for (size_t i = 0; i < sizeof hdrs / sizeof *hdrs; i++) {
        uint8_t *b = malloc(len);
        memcpy(b, good, len);
        gput_u32(b, (uint32_t)hdrs[i].n);
        gput_u32(b + 4, (uint32_t)hdrs[i].m);
        gput_u32(b + 8, (uint32_t)hdrs[i].k);
        b[12] = hdrs[i].norm;
        write_bytes(other, b, len);
        CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
        CHECK(m == NULL);
        free(b);
    }
    /* a header declaring a huge model in a small file: a size mismatch, nothing allocated */
    uint8_t *b = malloc(len);
    memcpy(b, good, len);
    gput_u32(b, 0x7fffffffu);
    gput_u32(b + 4, 256);
    gput_u32(b + 8, 64);
    write_bytes(other, b, len);
    CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
    /* a non-finite or non-positive value in place */
    const float nasty[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        memcpy(b, good, len);
        uint32_t u;
        memcpy(&u, &nasty[i], 4);
        gput_u32(b + 13 + 4 * (2 * 8 + 1), u); /* feature 0, field 1, factor 1 */
        write_bytes(other, b, len);
        CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
        CHECK_MSG("feature 0, field 1");
        memcpy(b, good, len);
        gput_u32(b + 13 + 4 * (3 * 16 + 6), u); /* feature 1, field 0, sum 2 */
        write_bytes(other, b, len);
        CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
        CHECK_MSG("feature 1, field 0");
    }
    memcpy(b, good, len);
    gput_u32(b + 13 + 4 * 4, 0); /* sum 0 of (0, 0) is 0.0 */
    write_bytes(other, b, len);
    CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
    CHECK_MSG("not > 0");
    free(b);
    /* the buffer entry point (the fuzz target's) agrees */
    CHECK_OK(fm_import_libffm_buffer("t", &m, good, len, NULL, 0));
    growth_fm_free(m);
    m = NULL;
    CHECK_RC(fm_import_libffm_buffer("t", &m, good, len - 1, NULL, 0), GROWTH_EFORMAT);
    CHECK_RC(fm_import_libffm_buffer("t", &m, good, len, NULL, 100), GROWTH_ENOMEM);
    /* options: checked before the file is opened */
    const char *bad_opts[] = {"align=2",  "align=3", "align=0",   "align=8",          "colour=red",
                              "eta=0",    "eta=abc", "lambda=-1", "precision=double", "model=fm",
                              "fields=3", "k=4",     "seed=-1",   "max_memory=-5",    "align=4 align=4"};
    for (size_t i = 0; i < sizeof bad_opts / sizeof *bad_opts; i++) {
        CHECK_RC(growth_fm_import_libffm(&m, path, bad_opts[i]), GROWTH_EINVAL);
        CHECK_RC(growth_fm_import_libffm(&m, "/nonexistent-dir/x.ffm", bad_opts[i]), GROWTH_EINVAL);
        CHECK(m == NULL);
    }
    CHECK_RC(growth_fm_import_libffm(&m, "/nonexistent-dir/x.ffm", NULL), GROWTH_EIO);
    CHECK_RC(growth_fm_import_libffm(&m, gt_tmpdir(), NULL), GROWTH_EIO);
    CHECK_RC(growth_fm_import_libffm(NULL, path, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_fm_import_libffm(&m, NULL, NULL), GROWTH_EINVAL);
    /* an FM model file is not a LIBFFM file, nor the other way round */
    growth_fm *a = make_model("model=fm k=2 bits=3");
    CHECK_OK(growth_fm_save(a, other));
    CHECK_RC(growth_fm_import_libffm(&m, other, NULL), GROWTH_EFORMAT);
    CHECK_RC(growth_fm_load(&m, path), GROWTH_EFORMAT);
    growth_fm_free(a);
    free(good);
    remove(path);
    remove(other);
}

int main(void)
{
    RUN(test_serialize_roundtrip_is_exact);
    RUN(test_save_load_roundtrip_is_exact);
    RUN(test_blocks_and_empty_model);
    RUN(test_untouched_slots_come_from_the_seed);
    RUN(test_compact_values_are_nearest);
    RUN(test_truncation_at_every_length);
    RUN(test_byte_flips);
    RUN(test_rule_violations_are_eformat);
    RUN(test_stored_config_cross_keys);
    RUN(test_wire_format_garbage);
    RUN(test_other_kind_is_eformat);
    RUN(test_failed_save_keeps_old_file);
    RUN(test_save_is_a_consistent_snapshot);
    RUN(test_libffm_import);
    RUN(test_libffm_bad_files);
    return GT_SUMMARY();
}
