/* Resource limits stated up front: configurations that ask for more memory than the machine
 * has (or than `max_memory` allows) fail at create time with GROWTH_ENOMEM naming the bytes,
 * quickly and without touching that memory; growth (index and text adds, arms, channels) stops
 * at `max_memory` leaving the handle unchanged; loaders refuse files that declare huge sizes
 * before allocating them (crafted with protobuf-c, or by patching a real file, and re-sealed). */
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

#include "bandit.pb-c.h"
#include "bidder.pb-c.h"
#include "calibrator.pb-c.h"
#include "ftrl.pb-c.h"
#include "index.pb-c.h"
#include "net.pb-c.h"
#include "text_index.pb-c.h"
#include "net_fixtures.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Resident and virtual size of this process, in bytes. */
static uint64_t statm_field(int i)
{
    unsigned long long v[2] = {0, 0};
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%llu %llu", &v[0], &v[1]) != 2) v[0] = v[1] = 0;
        fclose(f);
    }
    return (uint64_t)v[i] * (uint64_t)sysconf(_SC_PAGESIZE);
}
static uint64_t rss_bytes(void) { return statm_field(1); }

static uint64_t phys_bytes(void)
{
    return (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* While a hostile file is read, the address space may grow by at most 1 GiB: a loader that
 * allocated what the file declares (even untouched, lazily mapped memory) fails instead of
 * passing. Not under AddressSanitizer, whose allocator reports rather than returns NULL. */
#if defined(__SANITIZE_ADDRESS__)
#define GT_AS_LIMIT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GT_AS_LIMIT 0
#endif
#endif
#ifndef GT_AS_LIMIT
#define GT_AS_LIMIT 1
#endif

static struct rlimit as_saved;
static void as_limit_on(void)
{
    getrlimit(RLIMIT_AS, &as_saved);
    if (!GT_AS_LIMIT) return;
    struct rlimit r = as_saved;
    rlim_t want = (rlim_t)statm_field(0) + ((rlim_t)1 << 30);
    if (r.rlim_cur == RLIM_INFINITY || want < r.rlim_cur) r.rlim_cur = want;
    setrlimit(RLIMIT_AS, &r);
}
static void as_limit_off(void) { setrlimit(RLIMIT_AS, &as_saved); }

/* A refused call: the status, a message naming the bytes, fast, and no memory touched. */
#define CHECK_REFUSED(expr, rc_expected, msg_sub)                                                            \
    do {                                                                                                     \
        uint64_t rss0_ = rss_bytes();                                                                        \
        double t0_ = now_ms();                                                                               \
        as_limit_on();                                                                                       \
        int rc_ = (expr);                                                                                    \
        as_limit_off();                                                                                      \
        double dt_ = now_ms() - t0_;                                                                         \
        CHECK_RC(rc_, rc_expected);                                                                          \
        CHECK_MSG(msg_sub);                                                                                  \
        if (!(dt_ < 250)) {                                                                                  \
            fprintf(stderr, "  %s:%d: took %.1f ms\n", __FILE__, __LINE__, dt_);                             \
            gt_failed_checks++;                                                                              \
        }                                                                                                    \
        CHECK(rss_bytes() < rss0_ + ((uint64_t)16 << 20));                                                   \
    } while (0)

/* Packs a protobuf-c message into a sealed envelope of `kind` (checksums computed). */
static uint8_t *seal(uint32_t kind, const ProtobufCMessage *m, size_t *len)
{
    size_t plen = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(GENV_HEADER_SIZE + plen + 1);
    protobuf_c_message_pack(m, buf + GENV_HEADER_SIZE);
    genv_header(buf, kind, buf + GENV_HEADER_SIZE, plen);
    *len = GENV_HEADER_SIZE + plen;
    return buf;
}

static Growth__ModelMeta meta_of(const char *config)
{
    Growth__ModelMeta m = GROWTH__MODEL_META__INIT;
    m.library_version = "1.0.0";
    m.config = (char *)config;
    return m;
}

/* The `max_memory=` value in a configuration string, or -1. */
static long long cfg_max_memory(const char *cfg)
{
    const char *p = strstr(cfg, "max_memory=");
    return p ? atoll(p + 11) : -1;
}

static void fill_vectors(float *v, size_t n, size_t d, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    for (size_t i = 0; i < n * d; i++) v[i] = (float)grng_normal(&r);
}

/* ---- core -------------------------------------------------------------------------------- */

TEST(test_gmem_reserve_messages)
{
    CHECK_OK(gmem_reserve("t", 1000, 0));
    CHECK_OK(gmem_reserve("t", 1000, 1000));
    CHECK_RC(gmem_reserve("t: a table", 1001, 1000), GROWTH_ENOMEM);
    CHECK_MSG("t: a table: needs 1001 bytes");
    CHECK_MSG("more than max_memory (1000 bytes)");
    CHECK_RC(gmem_reserve("t", 1e30, 0), GROWTH_ENOMEM);
    CHECK_MSG("the machine's memory");
    CHECK_RC(gmem_reserve("t", NAN, 0), GROWTH_ENOMEM); /* never "fits" */
    /* a cap above physical memory: physical memory decides */
    CHECK_RC(gmem_reserve("t", (double)phys_bytes() * 2, UINT64_MAX), GROWTH_ENOMEM);
    CHECK_MSG("the machine's memory");
}

TEST(test_max_memory_key_is_plain_bytes)
{
    growth_ftrl *m = NULL;
    const char *bad[] = {"max_memory=-1",
                         "max_memory=1.5",
                         "max_memory=1G",
                         "max_memory=2k",
                         "max_memory=",
                         "max_memory=1e9",
                         "max_memory=18014398509481984"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(growth_ftrl_create(&m, bad[i]), GROWTH_EINVAL);
        CHECK_MSG("max_memory");
        CHECK(m == NULL);
    }
    CHECK_OK(growth_ftrl_create(&m, "bits=8 max_memory=9007199254740992"));
    growth_ftrl_free(m);
}

/* ---- FTRL -------------------------------------------------------------------------------- */

TEST(test_ftrl_terabyte_refused_at_create)
{
    if (phys_bytes() >= ((uint64_t)1 << 40)) return; /* a machine with a terabyte: not here */
    growth_ftrl *m = NULL;
    /* 2^32 slots x 16 heads x 16 bytes = 2^40 bytes */
    CHECK_REFUSED(growth_ftrl_create(&m, "bits=32 heads=16"), GROWTH_ENOMEM, "1099511627776 bytes");
    CHECK_MSG("2^32 slots x 16 heads");
    CHECK_MSG("the machine's memory");
    CHECK(m == NULL);
    /* compact: 6 bytes a slot and head */
    CHECK_REFUSED(growth_ftrl_create(&m, "bits=32 heads=16 precision=compact"), GROWTH_ENOMEM,
                  "412316860416 bytes");
    CHECK(m == NULL);
}

TEST(test_ftrl_max_memory)
{
    growth_ftrl *m = NULL;
    /* 2^20 x 16 = 16 MiB > 1 MB */
    CHECK_REFUSED(growth_ftrl_create(&m, "bits=20 max_memory=1000000"), GROWTH_ENOMEM, "16777216 bytes");
    CHECK_MSG("max_memory (1000000 bytes)");
    CHECK(m == NULL);
    /* exactly at the cap: 2^16 x 16 = 1 MiB */
    CHECK_OK(growth_ftrl_create(&m, "bits=16 heads=1 max_memory=1048576"));
    if (!m) return;
    uint32_t idx[3] = {1, 77, 65535};
    float y = 1, p[1], q[1];
    for (int i = 0; i < 20; i++) CHECK_OK(growth_ftrl_update(m, idx, NULL, 3, &y, 1.0f));
    CHECK_OK(growth_ftrl_predict(m, idx, NULL, 3, 0, p, 1));
    CHECK(p[0] > 0.5f);
    /* the configuration says it and round-trips */
    char cfg[512], cfg2[512];
    CHECK_OK(growth_ftrl_config(m, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 1048576);
    growth_ftrl *m2 = NULL;
    CHECK_OK(growth_ftrl_create(&m2, cfg));
    CHECK_OK(growth_ftrl_config(m2, cfg2, sizeof cfg2, NULL));
    CHECK(strcmp(cfg, cfg2) == 0);
    growth_ftrl_free(m2);
    /* and so does the model */
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_ftrl_serialize(m, &buf, &len));
    m2 = NULL;
    CHECK_OK(growth_ftrl_deserialize(&m2, buf, len));
    if (m2) {
        CHECK_OK(growth_ftrl_config(m2, cfg2, sizeof cfg2, NULL));
        CHECK(strcmp(cfg, cfg2) == 0);
        CHECK_OK(growth_ftrl_predict(m2, idx, NULL, 3, 0, q, 1));
        CHECK(q[0] == p[0]);
    }
    growth_ftrl_free(m2);
    growth_buffer_free(buf);
    growth_ftrl_free(m);
}

TEST(test_ftrl_loaders_refuse_huge_tables)
{
    Growth__ModelMeta meta = meta_of("bits=32 heads=16");
    Growth__FtrlState st = GROWTH__FTRL_STATE__INIT;
    st.meta = &meta;
    size_t len;
    uint8_t *buf = seal(GROWTH_KIND_FTRL, &st.base, &len);
    growth_ftrl *m = NULL;
    if (phys_bytes() < ((uint64_t)1 << 40)) {
        CHECK_REFUSED(growth_ftrl_deserialize(&m, buf, len), GROWTH_ENOMEM, "1099511627776 bytes");
        CHECK(m == NULL);
    }
    free(buf);
    Growth__FtrlWeights w = GROWTH__FTRL_WEIGHTS__INIT;
    w.meta = &meta;
    meta.config = "bits=30 heads=4 max_memory=1000000";
    buf = seal(GROWTH_KIND_FTRL_WEIGHTS, &w.base, &len);
    CHECK_REFUSED(growth_ftrl_deserialize(&m, buf, len), GROWTH_ENOMEM, "max_memory (1000000 bytes)");
    CHECK(m == NULL);
    /* through a file too */
    char path[512];
    gt_path(path, sizeof path, "limits_huge.ftrl");
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
        CHECK_REFUSED(growth_ftrl_load(&m, path), GROWTH_ENOMEM, "68719476736 bytes"); /* 2^30 x 4 x 16 */
        CHECK(m == NULL);
        unlink(path);
    }
    free(buf);
}

/* ---- vector index ------------------------------------------------------------------------ */

static growth_index_stats ix_stats(const growth_index *ix)
{
    growth_index_stats s = GROWTH_INDEX_STATS_INIT;
    growth_index_stats_get(ix, &s);
    return s;
}

TEST(test_index_create_refuses_huge_ivf)
{
    growth_index *ix = NULL;
    /* 2^20 centroids of 65536 floats: 256 GiB */
    CHECK_REFUSED(growth_index_create(&ix, "dim=65536 kind=ivf nlist=1048576"), GROWTH_ENOMEM, "bytes (256.");
    CHECK(ix == NULL);
    CHECK_REFUSED(growth_index_create(&ix, "dim=1024 kind=ivf nlist=1024 max_memory=100000"), GROWTH_ENOMEM,
                  "max_memory (100000 bytes)");
    CHECK(ix == NULL);
}

TEST(test_index_add_over_cap_leaves_index_unchanged)
{
    const char *cfgs[] = {"dim=16 kind=flat max_memory=200000", "dim=16 kind=hnsw M=8 max_memory=200000",
                          "dim=16 kind=ivf nlist=4 max_memory=200000",
                          "dim=16 kind=flat quantize=int8 metric=l2 max_memory=200000"};
    enum { N0 = 64, NBIG = 5000 };
    float *v = malloc(NBIG * 16 * sizeof *v);
    fill_vectors(v, NBIG, 16, 42);
    for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
        growth_index *ix = NULL;
        CHECK_OK(growth_index_create(&ix, cfgs[c]));
        if (!ix) continue;
        CHECK_OK(growth_index_add(ix, v, N0, NULL));
        growth_index_stats s0 = ix_stats(ix);
        CHECK(s0.count == N0 && s0.memory_bytes <= 200000);
        uint8_t *b0 = NULL, *b1 = NULL;
        size_t l0 = 0, l1 = 0;
        CHECK_OK(growth_index_serialize(ix, &b0, &l0));
        CHECK_RC(growth_index_add(ix, v, NBIG, NULL), GROWTH_ENOMEM);
        CHECK_MSG("growth_index_add: 5064 vectors of dim 16");
        CHECK_MSG("more than max_memory (200000 bytes)");
        growth_index_stats s1 = ix_stats(ix);
        CHECK(memcmp(&s0, &s1, sizeof s0) == 0);
        CHECK_OK(growth_index_serialize(ix, &b1, &l1));
        CHECK(l0 == l1 && b0 && b1 && memcmp(b0, b1, l0) == 0);
        /* a search still finds the first vectors, and a small add still fits */
        int64_t id = -1;
        float score;
        size_t got = 0;
        CHECK_OK(growth_index_search(ix, v + 3 * 16, 1, NULL, &id, &score, 1, &got));
        CHECK(got == 1);
        CHECK_OK(growth_index_add(ix, v + N0 * 16, 8, NULL));
        CHECK(ix_stats(ix).count == N0 + 8);
        /* the configuration round-trips with the cap */
        char cfg[512];
        CHECK_OK(growth_index_config(ix, cfg, sizeof cfg, NULL));
        CHECK(cfg_max_memory(cfg) == 200000);
        growth_buffer_free(b0);
        growth_buffer_free(b1);
        growth_index_free(ix);
    }
    free(v);
}

TEST(test_index_memory_stays_under_cap)
{
    /* One vector at a time until the cap: memory_bytes (what the cap limits) never exceeds it,
     * because growth slack is only taken while it fits. */
    const uint64_t cap = 150000;
    growth_index *ix = NULL;
    CHECK_OK(growth_index_create(&ix, "dim=32 kind=flat max_memory=150000"));
    if (!ix) return;
    float v[32];
    size_t added = 0;
    for (int i = 0; i < 100000; i++) {
        fill_vectors(v, 1, 32, (uint64_t)i);
        int rc = growth_index_add(ix, v, 1, NULL);
        if (rc == GROWTH_ENOMEM) break;
        CHECK_OK(rc);
        added++;
        CHECK(ix_stats(ix).memory_bytes <= cap);
    }
    CHECK(added > 500 && added < 2000); /* 32 x 4 + 9 bytes a vector, plus the id map */
    CHECK_MSG("max_memory");
    /* the cap can be lifted (and set again) at run time */
    CHECK_OK(growth_index_set_config(ix, "max_memory=0"));
    CHECK_OK(growth_index_add(ix, v, 1, NULL));
    CHECK_OK(growth_index_set_config(ix, "max_memory=1000"));
    CHECK_RC(growth_index_add(ix, v, 1, NULL), GROWTH_ENOMEM);
    CHECK_RC(growth_index_set_config(ix, "max_memory=-2"), GROWTH_EINVAL);
    char cfg[512];
    CHECK_OK(growth_index_config(ix, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 1000);
    CHECK_OK(growth_index_set_config(ix, "ef=32")); /* other keys leave the cap alone */
    CHECK_OK(growth_index_config(ix, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 1000);
    growth_index_free(ix);
}

TEST(test_index_loader_refuses_huge_sizes)
{
    growth_index *ix = NULL;
    size_t len;
    /* a stored configuration with 256 GiB of centroids */
    Growth__ModelMeta meta = meta_of("dim=65536 kind=ivf nlist=1048576");
    Growth__Index msg = GROWTH__INDEX__INIT;
    msg.meta = &meta;
    uint8_t *buf = seal(GROWTH_KIND_INDEX, &msg.base, &len);
    CHECK_REFUSED(growth_index_deserialize(&ix, buf, len), GROWTH_ENOMEM, "bytes (256.");
    CHECK(ix == NULL);
    free(buf);
    /* 2^40 slots declared, none carried */
    meta.config = "dim=4";
    msg.n = (uint64_t)1 << 40;
    buf = seal(GROWTH_KIND_INDEX, &msg.base, &len);
    CHECK_REFUSED(growth_index_deserialize(&ix, buf, len), GROWTH_EFORMAT, "slots");
    CHECK(ix == NULL);
    free(buf);
    /* a real index whose stored cap is smaller than its vectors */
    CHECK_OK(growth_index_create(&ix, "dim=8 kind=hnsw max_memory=1000000"));
    float v[200 * 8];
    fill_vectors(v, 200, 8, 7);
    CHECK_OK(growth_index_add(ix, v, 200, NULL));
    uint8_t *real = NULL;
    CHECK_OK(growth_index_serialize(ix, &real, &len));
    growth_index_free(ix);
    ix = NULL;
    Growth__Index *m = growth__index__unpack(NULL, len - GENV_HEADER_SIZE, real + GENV_HEADER_SIZE);
    CHECK(m != NULL && m->meta && cfg_max_memory(m->meta->config) == 1000000);
    if (m && m->meta) {
        char *keep = m->meta->config;
        m->meta->config = "dim=8 kind=hnsw max_memory=10000";
        buf = seal(GROWTH_KIND_INDEX, &m->base, &len);
        m->meta->config = keep;
        CHECK_REFUSED(growth_index_deserialize(&ix, buf, len), GROWTH_ENOMEM, "200 vectors of dim 8");
        CHECK_MSG("max_memory (10000 bytes)");
        CHECK(ix == NULL);
        free(buf);
        growth__index__free_unpacked(m, NULL);
    }
    growth_buffer_free(real);
}

/* ---- text index -------------------------------------------------------------------------- */

static growth_text_stats tx_stats(const growth_text_index *ix)
{
    growth_text_stats s = GROWTH_TEXT_STATS_INIT;
    growth_text_stats_get(ix, &s);
    return s;
}

TEST(test_text_add_over_cap_leaves_index_unchanged)
{
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, "max_memory=60000"));
    if (!ix) return;
    int64_t ids[10];
    const char *texts[10];
    for (int i = 0; i < 10; i++) {
        ids[i] = i;
        texts[i] = i % 2 ? "red running shoes" : "blue rain jacket";
    }
    CHECK_OK(growth_text_add(ix, ids, texts, 10));
    growth_text_stats s0 = tx_stats(ix);
    uint8_t *b0 = NULL, *b1 = NULL;
    size_t l0 = 0, l1 = 0;
    CHECK_OK(growth_text_serialize(ix, &b0, &l0));
    /* 2000 documents of 5 distinct words each: 10000 new terms */
    enum { NB = 2000 };
    char(*words)[64] = malloc(NB * sizeof *words);
    const char **big = malloc(NB * sizeof *big);
    int64_t *bids = malloc(NB * sizeof *bids);
    for (int i = 0; i < NB; i++) {
        snprintf(words[i], sizeof words[i], "a%d b%d c%d d%d e%d", i, i, i, i, i);
        big[i] = words[i];
        bids[i] = 100 + i;
    }
    CHECK_RC(growth_text_add(ix, bids, big, NB), GROWTH_ENOMEM);
    CHECK_MSG("more than max_memory (60000 bytes)");
    growth_text_stats s1 = tx_stats(ix);
    CHECK(memcmp(&s0, &s1, sizeof s0) == 0);
    CHECK_OK(growth_text_serialize(ix, &b1, &l1));
    CHECK(l0 == l1 && b0 && b1 && memcmp(b0, b1, l0) == 0);
    int64_t hit_ids[4];
    float hit_scores[4];
    size_t got = 0;
    CHECK_OK(growth_text_search(ix, "shoes", 4, NULL, hit_ids, hit_scores, 4, &got));
    CHECK(got == 4);
    /* configuration: shown, round-trips, changeable */
    char cfg[512], cfg2[512];
    CHECK_OK(growth_text_config(ix, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 60000);
    growth_text_index *ix2 = NULL;
    CHECK_OK(growth_text_create(&ix2, cfg));
    CHECK_OK(growth_text_config(ix2, cfg2, sizeof cfg2, NULL));
    CHECK(strcmp(cfg, cfg2) == 0);
    growth_text_free(ix2);
    CHECK_OK(growth_text_set_config(ix, "k1=1.5"));
    CHECK_OK(growth_text_config(ix, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 60000);
    CHECK_RC(growth_text_set_config(ix, "max_memory=lots"), GROWTH_EINVAL);
    CHECK_OK(growth_text_set_config(ix, "max_memory=0"));
    CHECK_OK(growth_text_add(ix, bids, big, NB));
    CHECK(tx_stats(ix).docs == 10 + NB);
    /* the stored cap comes back with the index */
    CHECK_OK(growth_text_set_config(ix, "max_memory=123456789"));
    growth_buffer_free(b1);
    CHECK_OK(growth_text_serialize(ix, &b1, &l1));
    ix2 = NULL;
    CHECK_OK(growth_text_deserialize(&ix2, b1, l1));
    if (ix2) {
        CHECK_OK(growth_text_config(ix2, cfg2, sizeof cfg2, NULL));
        CHECK(cfg_max_memory(cfg2) == 123456789);
    }
    growth_text_free(ix2);
    growth_buffer_free(b0);
    growth_buffer_free(b1);
    free(words);
    free(big);
    free(bids);
    growth_text_free(ix);
}

TEST(test_text_loader_refuses_huge_sizes)
{
    growth_text_index *ix = NULL;
    size_t len;
    Growth__ModelMeta meta = meta_of("k1=1.2");
    Growth__TextIndex msg = GROWTH__TEXT_INDEX__INIT;
    int64_t doc_ids[1] = {5};
    uint64_t hashes[1] = {12345}, counts[1] = {(uint64_t)1 << 40};
    uint32_t pdoc[1] = {0}, ptf[1] = {1};
    msg.meta = &meta;
    msg.n_doc_ids = 1;
    msg.doc_ids = doc_ids;
    msg.n_term_hash = 1;
    msg.term_hash = hashes;
    msg.n_term_postings = 1;
    msg.term_postings = counts;
    msg.n_post_doc = 1;
    msg.post_doc = pdoc;
    msg.n_post_tf = 1;
    msg.post_tf = ptf;
    uint8_t *buf = seal(GROWTH_KIND_TEXT_INDEX, &msg.base, &len);
    CHECK_REFUSED(growth_text_deserialize(&ix, buf, len), GROWTH_EFORMAT, "postings");
    CHECK(ix == NULL);
    free(buf);
    /* consistent, but more than the stored cap */
    counts[0] = 1;
    meta.config = "max_memory=1000";
    buf = seal(GROWTH_KIND_TEXT_INDEX, &msg.base, &len);
    CHECK_REFUSED(growth_text_deserialize(&ix, buf, len), GROWTH_ENOMEM, "max_memory (1000 bytes)");
    CHECK(ix == NULL);
    free(buf);
    meta.config = "";
    buf = seal(GROWTH_KIND_TEXT_INDEX, &msg.base, &len);
    CHECK_OK(growth_text_deserialize(&ix, buf, len));
    growth_text_free(ix);
    free(buf);
}

/* ---- bandit ------------------------------------------------------------------------------ */

static growth_bandit_stats bd_stats(const growth_bandit *b)
{
    growth_bandit_stats s = GROWTH_BANDIT_STATS_INIT;
    growth_bandit_stats_get(b, &s);
    return s;
}

TEST(test_bandit_limits)
{
    growth_bandit *b = NULL;
    /* 2^25 pending decisions x 4096 floats of context: 512 GiB */
    CHECK_REFUSED(growth_bandit_create(&b, "policy=lints dim=4096 ttl=16777216"), GROWTH_ENOMEM, "bytes (5");
    CHECK_MSG("ttl=16777216 dim=4096");
    CHECK(b == NULL);
    CHECK_REFUSED(growth_bandit_create(&b, "policy=thompson max_memory=1000"), GROWTH_ENOMEM,
                  "max_memory (1000 bytes)");
    CHECK(b == NULL);
    /* linear arms of 2 x 64 x 64 doubles (64 KiB each) stop at the cap */
    CHECK_OK(growth_bandit_create(&b, "policy=linucb dim=64 ttl=1000 max_memory=800000"));
    if (!b) return;
    size_t added = 0;
    for (uint64_t id = 1; id <= 100; id++) {
        int rc = growth_bandit_add_arm(b, id, 0.5, 0);
        if (rc == GROWTH_ENOMEM) break;
        CHECK_OK(rc);
        added++;
    }
    CHECK(added >= 2 && added < 16);
    CHECK_MSG("max_memory (800000 bytes)");
    CHECK(bd_stats(b).arms == added);
    float ctx[64];
    for (int i = 0; i < 64; i++) ctx[i] = (float)i / 64;
    uint64_t dec, arm;
    CHECK_OK(growth_bandit_select(b, ctx, 64, NULL, 0, &dec, &arm, NULL));
    CHECK_OK(growth_bandit_reward(b, dec, 1.0));
    char cfg[2048], cfg2[2048];
    CHECK_OK(growth_bandit_config(b, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 800000);
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_bandit_serialize(b, &buf, &len));
    growth_bandit *c = NULL;
    CHECK_OK(growth_bandit_deserialize(&c, buf, len));
    if (c) {
        CHECK_OK(growth_bandit_config(c, cfg2, sizeof cfg2, NULL));
        CHECK(strcmp(cfg, cfg2) == 0);
        CHECK(bd_stats(c).arms == added);
        CHECK_RC(growth_bandit_add_arm(c, 1000, 0.5, 0), GROWTH_ENOMEM); /* the cap came back */
    }
    growth_bandit_free(c);
    growth_buffer_free(buf);
    growth_bandit_free(b);
}

TEST(test_bandit_loader_refuses_huge_config)
{
    Growth__ModelMeta meta = meta_of("policy=lints dim=4096 ttl=16777216");
    Growth__BanditState msg = GROWTH__BANDIT_STATE__INIT;
    msg.meta = &meta;
    size_t len;
    uint8_t *buf = seal(GROWTH_KIND_BANDIT, &msg.base, &len);
    growth_bandit *b = NULL;
    CHECK_REFUSED(growth_bandit_deserialize(&b, buf, len), GROWTH_ENOMEM, "ttl=16777216 dim=4096");
    CHECK(b == NULL);
    free(buf);
}

/* ---- budget: MCKP and channels ----------------------------------------------------------- */

TEST(test_mckp_max_memory)
{
    enum { U = 50, O = 3 };
    uint64_t indptr[U + 1];
    double v[U * O], c[U * O], budget = 20;
    int32_t choice[U];
    for (int i = 0; i <= U; i++) indptr[i] = (uint64_t)i * O;
    for (int j = 0; j < U * O; j++) {
        v[j] = 1 + (j % 7);
        c[j] = 1 + (j % 5);
    }
    growth_mckp *s = NULL;
    CHECK_OK(growth_mckp_create(&s, "max_memory=100000"));
    if (!s) return;
    for (int i = 0; i < U; i++) choice[i] = 99;
    CHECK_REFUSED(growth_mckp_solve(s, indptr, U, v, c, 1, &budget, choice, U), GROWTH_ENOMEM,
                  "mckp: a solve over 50 users and 150 options");
    CHECK_MSG("max_memory (100000 bytes)");
    CHECK(choice[0] == 99); /* nothing written */
    growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
    CHECK_RC(growth_mckp_result_get(s, &r), GROWTH_ESTATE);
    char cfg[256];
    CHECK_OK(growth_mckp_config(s, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 100000);
    growth_mckp_free(s);
    s = NULL;
    CHECK_OK(growth_mckp_create(&s, "threads=2 max_memory=100000000"));
    if (s) CHECK_OK(growth_mckp_solve(s, indptr, U, v, c, 1, &budget, choice, U));
    growth_mckp_free(s);
}

TEST(test_channels_max_memory)
{
    growth_channels *c = NULL;
    CHECK_OK(growth_channels_create(&c, "max_memory=4000"));
    if (!c) return;
    double x[300], y[300];
    for (int i = 0; i < 300; i++) {
        x[i] = i;
        y[i] = sqrt((double)i);
    }
    CHECK_OK(growth_channels_add_points(c, x, y, 100, 1, 0, 1e9, NULL));
    CHECK_RC(growth_channels_add_points(c, x, y, 200, 1, 0, 1e9, NULL), GROWTH_ENOMEM);
    CHECK_MSG("max_memory (4000 bytes)");
    growth_channels_stats st = GROWTH_CHANNELS_STATS_INIT;
    CHECK_OK(growth_channels_stats_get(c, &st));
    CHECK(st.channels == 1);
    CHECK_OK(growth_channels_add(c, GROWTH_CURVE_EXP, 10, 0.1, 1, 0, 100, NULL));
    CHECK_RC(growth_channels_create(NULL, ""), GROWTH_EINVAL);
    growth_channels_free(c);
    CHECK_RC(growth_channels_create(&c, "max_memory=-5"), GROWTH_EINVAL);
}

/* ---- bidder, calibrator, nets, forest ------------------------------------------------------ */

TEST(test_bidder_limits)
{
    growth_bidder *b = NULL;
    CHECK_REFUSED(growth_bidder_create(&b, "max_memory=100"), GROWTH_ENOMEM, "max_memory (100 bytes)");
    CHECK(b == NULL);
    CHECK_OK(growth_bidder_create(&b, "shade_buckets=1024 max_memory=1000000"));
    if (!b) return;
    char cfg[4096], cfg2[4096];
    CHECK_OK(growth_bidder_config(b, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 1000000);
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_bidder_serialize(b, &buf, &len));
    growth_bidder *c = NULL;
    CHECK_OK(growth_bidder_deserialize(&c, buf, len));
    if (c) {
        CHECK_OK(growth_bidder_config(c, cfg2, sizeof cfg2, NULL));
        CHECK(strcmp(cfg, cfg2) == 0);
    }
    growth_bidder_free(c);
    growth_buffer_free(buf);
    growth_bidder_free(b);
    /* the shading arrays must be as long as the stored grid */
    Growth__ModelMeta meta = meta_of("shade_buckets=1024");
    Growth__Bidder msg = GROWTH__BIDDER__INIT;
    msg.meta = &meta;
    msg.multiplier = 1;
    msg.rate = 1;
    buf = seal(GROWTH_KIND_BIDDER, &msg.base, &len);
    c = NULL;
    CHECK_REFUSED(growth_bidder_deserialize(&c, buf, len), GROWTH_EFORMAT, "shading counts");
    CHECK(c == NULL);
    free(buf);
}

TEST(test_calibrator_limits)
{
    enum { N = 100 };
    float s[N], y[N];
    for (int i = 0; i < N; i++) {
        s[i] = (float)(i + 0.5) / N;
        y[i] = (float)(i % 3 == 0);
    }
    growth_calibrator *c = NULL;
    CHECK_OK(growth_calibrator_create(&c, "method=isotonic max_memory=1000"));
    if (c) {
        CHECK_RC(growth_calibrator_fit(c, s, y, NULL, NULL, N), GROWTH_ENOMEM); /* 100 x 64 bytes */
        CHECK_MSG("needs 6400 bytes");
        double p;
        CHECK_RC(growth_calibrator_apply(c, 0.5, NULL, &p), GROWTH_ESTATE); /* nothing fitted */
        char cfg[512];
        CHECK_OK(growth_calibrator_config(c, cfg, sizeof cfg, NULL));
        CHECK(cfg_max_memory(cfg) == 1000);
    }
    growth_calibrator_free(c);
    c = NULL;
    CHECK_OK(growth_calibrator_create(&c, "method=platt max_memory=2000"));
    if (c) CHECK_OK(growth_calibrator_fit(c, s, y, NULL, NULL, N)); /* 100 x 16 bytes */
    growth_calibrator_free(c);
    /* a field that declares 2^31 knots the file does not carry */
    Growth__ModelMeta meta = meta_of("method=field");
    Growth__Calibrator msg = GROWTH__CALIBRATOR__INIT;
    double gx[2] = {0, 1}, gy[2] = {0.1, 0.9}, scale[1] = {1};
    int64_t fid[1] = {7};
    uint32_t fk[1] = {(uint32_t)1 << 31};
    msg.meta = &meta;
    msg.n_global_x = 2;
    msg.global_x = gx;
    msg.n_global_y = 2;
    msg.global_y = gy;
    msg.n_field_ids = 1;
    msg.field_ids = fid;
    msg.n_field_scale = 1;
    msg.field_scale = scale;
    msg.n_field_knots = 1;
    msg.field_knots = fk;
    size_t len;
    uint8_t *buf = seal(GROWTH_KIND_CALIBRATOR, &msg.base, &len);
    c = NULL;
    CHECK_REFUSED(growth_calibrator_deserialize(&c, buf, len), GROWTH_EFORMAT, "field 0");
    CHECK(c == NULL);
    free(buf);
}

TEST(test_net_limits)
{
    growth_net *net = wd_net();
    if (!net) return;
    growth_net_workspace *ws = NULL;
    CHECK_REFUSED(growth_net_workspace_create(&ws, net, "batch=65536 max_memory=100000"), GROWTH_ENOMEM,
                  "batch=65536 rows");
    CHECK_MSG("max_memory (100000 bytes)");
    CHECK(ws == NULL);
    CHECK_OK(growth_net_workspace_create(&ws, net, "batch=4 max_memory=100000"));
    growth_net_workspace_free(ws);
    growth_net_free(net);
    /* declared widths the file does not carry */
    size_t len;
    Growth__Net msg;
    growth__net__init(&msg);
    msg.dense_dim = 1u << 24;
    float w1[1] = {1}, b1[1] = {0};
    dense(0, 1u << 24, 1u << 24, w1, b1);
    L_[0].n_weight = 1;
    L_[0].n_bias = 1;
    msg.n_layers = 1;
    msg.layers = LP_;
    uint8_t *buf = seal(GROWTH_KIND_NET, &msg.base, &len);
    net = NULL;
    CHECK_REFUSED(growth_net_deserialize(&net, buf, len), GROWTH_EFORMAT, "expected 281474976710656");
    CHECK(net == NULL);
    free(buf);
    Growth__NetEmbedding e, *ep = &e;
    growth__net_embedding__init(&e);
    e.rows = UINT32_MAX;
    e.dim = 1u << 24;
    e.pooling = "sum";
    e.n_weight = 1;
    e.weight = w1;
    msg.dense_dim = 1;
    msg.n_embeddings = 1;
    msg.embeddings = &ep;
    buf = seal(GROWTH_KIND_NET, &msg.base, &len);
    CHECK_REFUSED(growth_net_deserialize(&net, buf, len), GROWTH_EFORMAT, "weights");
    CHECK(net == NULL);
    free(buf);
    Growth__Dssm d = GROWTH__DSSM__INIT;
    d.buckets = 1u << 24;
    dense(1, 1u << 24, 1u << 20, w1, b1);
    L_[1].n_weight = 1;
    L_[1].n_bias = 1;
    d.n_query = 1;
    d.query = &LP_[1];
    d.n_item = 1;
    d.item = &LP_[1];
    buf = seal(GROWTH_KIND_DSSM, &d.base, &len);
    growth_dssm *ds = NULL;
    CHECK_REFUSED(growth_dssm_deserialize(&ds, buf, len), GROWTH_EFORMAT, "weights");
    CHECK(ds == NULL);
    free(buf);
}

/* Replaces the first `from` (fl bytes) by `to` (tl bytes) in a malloc'ed copy of buf. */
static uint8_t *patch(const uint8_t *buf, size_t len, const void *from, size_t fl, const void *to, size_t tl,
                      size_t *out_len)
{
    for (size_t i = 0; i + fl <= len; i++)
        if (memcmp(buf + i, from, fl) == 0) {
            uint8_t *o = malloc(len - fl + tl);
            memcpy(o, buf, i);
            memcpy(o + i, to, tl);
            memcpy(o + i + tl, buf + i + fl, len - i - fl);
            *out_len = len - fl + tl;
            return o;
        }
    return NULL;
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

TEST(test_forest_limits)
{
    enum { R = 200, F = 3 };
    float X[R * F], y[R];
    grng r;
    grng_seed(&r, 3);
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < F; j++) X[i * F + j] = (float)grng_uniform(&r);
        y[i] = X[i * F] + X[i * F + 1] > 1 ? 1.0f : 0.0f;
    }
    growth_forest_data d = GROWTH_FOREST_DATA_INIT;
    d.nrows = R;
    d.ncols = F;
    d.dense = X;
    d.labels = y;
    growth_forest *f = NULL;
    /* 600 values x 12 + 200 rows x 72 = 21600 bytes */
    CHECK_REFUSED(growth_forest_train(&f, "num_rounds=2 max_memory=10000",
                                      "objective=binary:logistic max_depth=2", &d, NULL, NULL, NULL),
                  GROWTH_ENOMEM, "needs 21600 bytes");
    CHECK(f == NULL);
    CHECK_OK(growth_forest_train(&f, "num_rounds=2 max_memory=10000000",
                                 "objective=binary:logistic max_depth=2", &d, NULL, NULL, NULL));
    if (!f) return;
    char cfg[512];
    CHECK_OK(growth_forest_config(f, cfg, sizeof cfg, NULL));
    CHECK(cfg_max_memory(cfg) == 10000000);
    /* the xgboost documents: a tree that declares 2^24 - 1 nodes but carries 3 (or 7) */
    const char *exts[2] = {"json", "ubj"};
    for (int k = 0; k < 2; k++) {
        char path[512];
        gt_path(path, sizeof path, k ? "limits.ubj" : "limits.json");
        CHECK_OK(growth_forest_save(f, path));
        size_t len = 0, plen = 0;
        uint8_t *doc = read_file(path, &len);
        CHECK(doc != NULL);
        if (!doc) continue;
        growth_forest *g = NULL;
        CHECK_OK(growth_forest_deserialize(&g, doc, len));
        growth_forest_free(g);
        /* JSON: "num_nodes":"7"; UBJSON: key, then S, L and the string's length as a big-endian
         * int64, then the digits */
        uint8_t *bad = NULL;
        for (int nn = 1; nn < 64 && !bad; nn++) {
            char from[48], to[48];
            size_t fl, tl;
            if (k == 0) {
                fl = (size_t)snprintf(from, sizeof from, "\"num_nodes\":\"%d\"", nn);
                tl = (size_t)snprintf(to, sizeof to, "\"num_nodes\":\"16777215\"");
            } else {
                char v[8];
                int vl = snprintf(v, sizeof v, "%d", nn);
                memcpy(from, "num_nodesSL\0\0\0\0\0\0\0", 18);
                from[18] = (char)vl;
                memcpy(from + 19, v, (size_t)vl);
                fl = 19 + (size_t)vl;
                memcpy(to, from, 18);
                to[18] = 8;
                memcpy(to + 19, "16777215", 8);
                tl = 27;
            }
            bad = patch(doc, len, from, fl, to, tl, &plen);
        }
        CHECK(bad != NULL);
        if (bad) {
            g = NULL;
            CHECK_REFUSED(growth_forest_deserialize(&g, bad, plen), GROWTH_EFORMAT,
                          "num_nodes = 16777215 long");
            CHECK(g == NULL);
            free(bad);
        } else {
            fprintf(stderr, "  no num_nodes found in the %s export\n", exts[k]);
        }
        free(doc);
        if (getenv("GT_KEEP"))
            fprintf(stderr, "kept %s\n", path);
        else
            unlink(path);
    }
    growth_forest_free(f);
}

int main(void)
{
    setenv("SOURCE_DATE_EPOCH", "1600000000", 1); /* serialised bytes compare equal */
    RUN(test_gmem_reserve_messages);
    RUN(test_max_memory_key_is_plain_bytes);
    RUN(test_ftrl_terabyte_refused_at_create);
    RUN(test_ftrl_max_memory);
    RUN(test_ftrl_loaders_refuse_huge_tables);
    RUN(test_index_create_refuses_huge_ivf);
    RUN(test_index_add_over_cap_leaves_index_unchanged);
    RUN(test_index_memory_stays_under_cap);
    RUN(test_index_loader_refuses_huge_sizes);
    RUN(test_text_add_over_cap_leaves_index_unchanged);
    RUN(test_text_loader_refuses_huge_sizes);
    RUN(test_bandit_limits);
    RUN(test_bandit_loader_refuses_huge_config);
    RUN(test_mckp_max_memory);
    RUN(test_channels_max_memory);
    RUN(test_bidder_limits);
    RUN(test_calibrator_limits);
    RUN(test_net_limits);
    RUN(test_forest_limits);
    return GT_SUMMARY();
}
