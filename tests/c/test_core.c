/* Core services: status codes, errors, versions, configuration, PRNG, hash, files, envelope. */
#include <float.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

TEST(test_version)
{
    CHECK(growth_version_number() == GROWTH_VERSION_NUMBER);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", GROWTH_VERSION_MAJOR, GROWTH_VERSION_MINOR,
             GROWTH_VERSION_PATCH);
    CHECK(strcmp(growth_version(), expect) == 0);
}

TEST(test_strerror)
{
    int codes[] = {GROWTH_OK,    GROWTH_EINVAL, GROWTH_ENOMEM, GROWTH_EIO,      GROWTH_EFORMAT,
                   GROWTH_EBUFS, GROWTH_ESTATE, GROWTH_EDEP,   GROWTH_ENOTFOUND};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = growth_strerror(codes[i]);
        CHECK(s != NULL && strcmp(s, "unknown status") != 0);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(s, growth_strerror(codes[j])) != 0);
    }
    CHECK(strcmp(growth_strerror(-999), "unknown status") == 0);
    CHECK(strcmp(growth_model_kind_name(GROWTH_KIND_FTRL), "ftrl") == 0);
    CHECK(strcmp(growth_model_kind_name(12345), "unknown") == 0);
}

static void *other_thread(void *arg)
{
    (void)arg;
    gerr(GROWTH_EIO, "message from the other thread");
    return NULL;
}

TEST(test_last_error_is_thread_local)
{
    CHECK(growth_last_error() != NULL);
    CHECK(gerr(GROWTH_EINVAL, "main %d", 42) == GROWTH_EINVAL);
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    CHECK(strcmp(growth_last_error(), "main 42") == 0);
}

TEST(test_error_cause)
{
    /* a cause from a call made with the same name loses its "name: " once */
    gerr(GROWTH_EINVAL, "f_load: config key 'x' is unknown");
    CHECK(gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", "f_load", gerr_cause("f_load")) ==
          GROWTH_EFORMAT);
    CHECK(strcmp(growth_last_error(), "f_load: stored configuration is invalid: config key 'x' is unknown") ==
          0);
    /* another caller's name, a longer name that starts the same, and no name stay whole */
    gerr(GROWTH_EINVAL, "g: bad");
    CHECK(strcmp(gerr_cause("f"), "g: bad") == 0);
    gerr(GROWTH_EINVAL, "f_loader: bad");
    CHECK(strcmp(gerr_cause("f_load"), "f_loader: bad") == 0);
    CHECK(strcmp(gerr_cause(NULL), "f_loader: bad") == 0);
    CHECK(strcmp(gerr_cause(""), "f_loader: bad") == 0);
    gerr(GROWTH_EINVAL, "f_load:no space");
    CHECK(strcmp(gerr_cause("f_load"), "f_load:no space") == 0);
}

typedef struct {
    double alpha;
    int64_t bits;
    bool flag;
    int mode;
    char name[GCFG_STRING_MAX];
} cfg_t;

static const gcfg_opt cfg_opts[] = {
    {"alpha", GCFG_DOUBLE, offsetof(cfg_t, alpha), "0.05", 0, 1e9, NULL, true},
    {"bits", GCFG_INT, offsetof(cfg_t, bits), "24", 1, 32, NULL, false},
    {"flag", GCFG_BOOL, offsetof(cfg_t, flag), "false", 0, 0, NULL, false},
    {"mode", GCFG_ENUM, offsetof(cfg_t, mode), "fast", 0, 0, "fast|exact|compact", false},
    {"name", GCFG_STRING, offsetof(cfg_t, name), "", 0, 0, NULL, false},
};
#define NOPTS (sizeof cfg_opts / sizeof cfg_opts[0])

TEST(test_config_defaults_and_values)
{
    cfg_t c;
    memset(&c, 0, sizeof c);
    CHECK_OK(gcfg_parse("t", cfg_opts, NOPTS, NULL, &c, sizeof c));
    CHECK(c.alpha == 0.05 && c.bits == 24 && !c.flag && c.mode == 0 && c.name[0] == 0);
    CHECK_OK(gcfg_parse("t", cfg_opts, NOPTS, "  alpha=0.5,bits=7\tflag=yes mode=compact name='a b'\n", &c,
                        sizeof c));
    CHECK(c.alpha == 0.5 && c.bits == 7 && c.flag && c.mode == 2 && strcmp(c.name, "a b") == 0);

    char buf[256];
    size_t need = 0;
    CHECK_OK(gcfg_format(cfg_opts, NOPTS, &c, buf, sizeof buf, &need));
    CHECK(strcmp(buf, "alpha=0.5 bits=7 flag=true mode=compact name=\"a b\"") == 0);
    CHECK(need == strlen(buf) + 1);
    CHECK_RC(gcfg_format(cfg_opts, NOPTS, &c, buf, 5, &need), GROWTH_EBUFS);
    CHECK(need == strlen("alpha=0.5 bits=7 flag=true mode=compact name=\"a b\"") + 1);

    /* Quotes of the other kind survive a round trip. */
    CHECK_OK(gcfg_parse("t", cfg_opts, NOPTS, "name='say \"hi\"'", &c, sizeof c));
    CHECK(strcmp(c.name, "say \"hi\"") == 0);
    CHECK_OK(gcfg_format(cfg_opts, NOPTS, &c, buf, sizeof buf, NULL));
    cfg_t q;
    CHECK_OK(gcfg_parse("t", cfg_opts, NOPTS, buf, &q, sizeof q));
    CHECK(strcmp(q.name, c.name) == 0);
    CHECK_OK(gcfg_parse("t", cfg_opts, NOPTS, "name=\"it's\"", &c, sizeof c));
    CHECK_OK(gcfg_format(cfg_opts, NOPTS, &c, buf, sizeof buf, NULL));
    CHECK_OK(gcfg_parse("t", cfg_opts, NOPTS, buf, &q, sizeof q));
    CHECK(strcmp(q.name, "it's") == 0);

    /* The formatted string parses back to the same values (round trip, incl. a double). */
    cfg_t d;
    c.alpha = 0.1 + 0.2;
    CHECK_OK(gcfg_format(cfg_opts, NOPTS, &c, buf, sizeof buf, NULL));
    CHECK_OK(gcfg_parse("t", cfg_opts, NOPTS, buf, &d, sizeof d));
    CHECK(d.alpha == c.alpha && d.bits == c.bits && d.mode == c.mode && strcmp(d.name, c.name) == 0);
}

TEST(test_config_rejects_bad_input)
{
    cfg_t c, orig;
    memset(&c, 0x5a, sizeof c);
    memcpy(&orig, &c, sizeof c);
    struct {
        const char *cfg;
        const char *msg;
    } bad[] = {
        {"gamma=1", "unknown config key 'gamma'"},
        {"alpha=0", "'alpha'"}, /* open lower bound */
        {"alpha=-1", "'alpha'"},
        {"alpha=abc", "not a finite number"},
        {"alpha=nan", "'alpha'"},
        {"alpha=inf", "'alpha'"},
        {"alpha=1e999", "'alpha'"},
        {"bits=33", "'bits'"},
        {"bits=2.5", "not an integer"},
        {"bits=", "'bits'"},
        {"flag=maybe", "not a boolean"},
        {"mode=slow", "not one of fast|exact|compact"},
        {"alpha=1 alpha=2", "given twice"},
        {"alpha", "not of the form key=value"},
        {"=3", "not of the form key=value"},
        {"name='open", "unterminated quote"},
        {"bits=8 alpha=-3", "'alpha'"},                  /* a later error leaves earlier keys unapplied */
        {"name=a\"b", "quote inside an unquoted value"}, /* found by fuzz_config */
        {"name=it's", "quote inside an unquoted value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(gcfg_parse("t", cfg_opts, NOPTS, bad[i].cfg, &c, sizeof c), GROWTH_EINVAL);
        CHECK_MSG(bad[i].msg);
        CHECK(memcmp(&c, &orig, sizeof c) == 0);
    }
    /* Every valid key is listed in the unknown-key message. */
    CHECK_RC(gcfg_parse("mod", cfg_opts, NOPTS, "x=1", &c, sizeof c), GROWTH_EINVAL);
    CHECK_MSG("mod: unknown config key 'x' (valid keys: alpha, bits, flag, mode, name)");
}

TEST(test_rng)
{
    grng a, b;
    grng_seed(&a, 7);
    grng_seed(&b, 7);
    for (int i = 0; i < 100; i++) CHECK(grng_next(&a) == grng_next(&b));
    grng_seed(&b, 8);
    CHECK(grng_next(&a) != grng_next(&b));

    /* Moments of the uniform, normal, bounded and beta generators (loose, deterministic seed). */
    grng_seed(&a, 123);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0, sb = 0;
    int counts[7] = {0};
    for (int i = 0; i < n; i++) {
        double u = grng_uniform(&a);
        CHECK(u >= 0 && u < 1);
        su += u;
        double z = grng_normal(&a);
        sn += z;
        sn2 += z * z;
        uint64_t k = grng_below(&a, 7);
        CHECK(k < 7);
        counts[k]++;
        sb += grng_beta(&a, 2.0, 5.0);
    }
    CHECK_NEAR(su / n, 0.5, 0.005);
    CHECK_NEAR(sn / n, 0.0, 0.01);
    CHECK_NEAR(sn2 / n, 1.0, 0.02);
    CHECK_NEAR(sb / n, 2.0 / 7.0, 0.005);
    for (int k = 0; k < 7; k++) CHECK_NEAR(counts[k] / (double)n, 1.0 / 7.0, 0.005);

    /* A jumped stream does not repeat the original one's next values. */
    grng_seed(&a, 5);
    grng_seed(&b, 5);
    grng_jump(&b);
    int same = 0;
    for (int i = 0; i < 1000; i++) same += grng_next(&a) == grng_next(&b);
    CHECK(same == 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(test_hash)
{
    /* Determinism, seed and length sensitivity, and the pinned value that Python and Java
     * tests check too (the hash is part of the model format: never change it). */
    const char *s = "user_city";
    CHECK(growth_hash64(s, 9, 0) == growth_hash64("user_city", 9, 0));
    CHECK(growth_hash64(s, 9, 0) != growth_hash64(s, 9, 1));
    CHECK(growth_hash64(s, 8, 0) != growth_hash64(s, 9, 0));
    CHECK(growth_hash64(NULL, 0, 0) == growth_hash64("", 0, 0));
    /* Every length 0..64 and every single-bit flip changes the hash (avalanche sanity). */
    uint8_t buf[64];
    for (int i = 0; i < 64; i++) buf[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 1; len <= 64; len++) {
        uint64_t h = growth_hash64(buf, len, 99);
        int flips_total = 0;
        for (size_t bit = 0; bit < len * 8; bit += 3) {
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            uint64_t h2 = growth_hash64(buf, len, 99);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            CHECK(h2 != h);
            flips_total += __builtin_popcountll(h ^ h2);
        }
        size_t trials = (len * 8 + 2) / 3;
        double mean_flips = flips_total / (double)trials;
        CHECK(mean_flips > 24 && mean_flips < 40);
    }
    /* Bucket uniformity of short keys into 1024 buckets (chi-square, 1023 dof). */
    enum { B = 1024, N = 200000 };
    static int bucket[B];
    memset(bucket, 0, sizeof bucket);
    char key[32];
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, "item%d", i);
        bucket[growth_hash64(key, (size_t)len, 0) & (B - 1)]++;
    }
    double chi = 0, e = (double)N / B;
    for (int i = 0; i < B; i++) chi += (bucket[i] - e) * (bucket[i] - e) / e;
    CHECK(chi < 1250); /* p ~ 1e-5 upper tail for 1023 dof */
    /* Every string of 0..3 bytes over 48 characters has its own hash (a length mixed into the
     * tail bits once made "w1" and "w10" collide). */
    {
        enum { A = 48 };
        size_t total = 1 + A + A * A + (size_t)A * A * A, k = 0;
        uint64_t *hs = malloc(total * sizeof *hs);
        uint8_t s3[3];
        hs[k++] = growth_hash64(s3, 0, 5);
        for (size_t len = 1; len <= 3; len++) {
            size_t count = len == 1 ? A : len == 2 ? A * A : (size_t)A * A * A;
            for (size_t c = 0; c < count; c++) {
                size_t x = c;
                for (size_t j = 0; j < len; j++) {
                    s3[j] = (uint8_t)('0' + x % A);
                    x /= A;
                }
                hs[k++] = growth_hash64(s3, len, 5);
            }
        }
        qsort(hs, total, sizeof *hs, cmp_u64);
        size_t dup = 0;
        for (size_t i = 1; i < total; i++) dup += hs[i] == hs[i - 1];
        CHECK(dup == 0);
        free(hs);
        CHECK(growth_hash64("w1", 2, 0) != growth_hash64("w10", 3, 0));
    }
    CHECK(growth_hash64("abc", 3, 0) == UINT64_C(0x48b581eadd05df7a));
    CHECK(growth_hash64("user_city", 9, 7) == UINT64_C(0xf22faf4ffbdaeb02));
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

TEST(test_envelope)
{
    char path[512];
    gt_path(path, sizeof path, "envelope_test.bin");
    const char payload[] = "pretend protobuf payload";
    CHECK_OK(genv_save("t", path, GROWTH_KIND_CALIBRATOR, payload, sizeof payload));
    int kind = -1;
    uint32_t ver = 0;
    CHECK_OK(growth_model_kind(path, &kind, &ver));
    CHECK(kind == GROWTH_KIND_CALIBRATOR && ver == GENV_FORMAT_VERSION);

    uint8_t *file = NULL;
    const uint8_t *pl = NULL;
    size_t plen = 0;
    CHECK_OK(genv_load("t", path, GROWTH_KIND_CALIBRATOR, &file, &pl, &plen));
    CHECK(plen == sizeof payload && memcmp(pl, payload, plen) == 0);
    free(file);
    CHECK_RC(genv_load("t", path, GROWTH_KIND_FTRL, &file, &pl, &plen), GROWTH_EFORMAT);
    CHECK_MSG("holds a 'calibrator' model, expected 'ftrl'");

    /* Read the good file, then damage copies of it in every way we can think of. */
    uint8_t *good = NULL;
    size_t glen = 0;
    CHECK_OK(gfile_read_all("t", path, 1 << 20, &good, &glen));
    CHECK(glen == GENV_HEADER_SIZE + sizeof payload);
    uint8_t bad[256];
    char bpath[512];
    gt_path(bpath, sizeof bpath, "envelope_bad.bin");

    /* Every truncation, including 0 bytes. */
    for (size_t cut = 0; cut < glen; cut++) {
        write_bytes(bpath, good, cut);
        CHECK_RC(growth_model_kind(bpath, &kind, NULL), GROWTH_EFORMAT);
    }
    /* Every single-byte corruption. */
    for (size_t i = 0; i < glen; i++) {
        memcpy(bad, good, glen);
        bad[i] ^= 0x40;
        write_bytes(bpath, bad, glen);
        CHECK_RC(growth_model_kind(bpath, &kind, NULL), GROWTH_EFORMAT);
    }
    /* Trailing garbage. */
    memcpy(bad, good, glen);
    bad[glen] = 0;
    write_bytes(bpath, bad, glen + 1);
    CHECK_RC(growth_model_kind(bpath, &kind, NULL), GROWTH_EFORMAT);
    CHECK_MSG("extra bytes");
    /* A future format version with a valid header checksum. */
    memcpy(bad, good, glen);
    gput_u32(bad + 8, GENV_FORMAT_VERSION + 1);
    gput_u64(bad + 32, growth_hash64(bad, 32, GENV_SEED));
    write_bytes(bpath, bad, glen);
    CHECK_RC(growth_model_kind(bpath, &kind, NULL), GROWTH_EFORMAT);
    CHECK_MSG("not supported");
    /* A hostile declared size with a valid header checksum. */
    memcpy(bad, good, glen);
    gput_u64(bad + 16, UINT64_C(1) << 62);
    gput_u64(bad + 32, growth_hash64(bad, 32, GENV_SEED));
    write_bytes(bpath, bad, glen);
    CHECK_RC(growth_model_kind(bpath, &kind, NULL), GROWTH_EFORMAT);
    /* Text that is not a model at all, a directory, a missing file, NULL arguments. */
    write_bytes(bpath, "hello world, not a model", 24);
    CHECK_RC(growth_model_kind(bpath, &kind, NULL), GROWTH_EFORMAT);
    CHECK_MSG("bad magic");
    CHECK_RC(growth_model_kind(gt_tmpdir(), &kind, NULL), GROWTH_EIO);
    CHECK_RC(growth_model_kind("/nonexistent/dir/model.bin", &kind, NULL), GROWTH_EIO);
    CHECK_RC(growth_model_kind(NULL, &kind, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_model_kind(path, NULL, NULL), GROWTH_EINVAL);
    free(good);
    unlink(bpath);
    unlink(path);
}

TEST(test_atomic_write_keeps_old_file_on_failure)
{
    char path[512];
    gt_path(path, sizeof path, "atomic_test.bin");
    CHECK_OK(gfile_write_atomic("t", path, "first", 5));
    /* Writing into a directory that does not exist fails and leaves nothing behind. */
    CHECK_RC(gfile_write_atomic("t", "/nonexistent/dir/x.bin", "x", 1), GROWTH_EIO);
    CHECK_OK(gfile_write_atomic("t", path, "second!", 7));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(gfile_read_all("t", path, 100, &buf, &len));
    CHECK(len == 7 && memcmp(buf, "second!", 7) == 0);
    free(buf);
    CHECK_RC(gfile_read_all("t", path, 3, &buf, &len), GROWTH_EFORMAT); /* over the limit */
    unlink(path);
}

TEST(test_finite_checks)
{
    float f[5] = {1, 2, 3, 4, 5};
    double d[3] = {1, -2, 0};
    CHECK(gall_finite_f32(f, 5) && gall_finite_f64(d, 3));
    f[3] = NAN;
    CHECK(!gall_finite_f32(f, 5));
    f[3] = -INFINITY;
    CHECK(!gall_finite_f32(f, 5));
    d[2] = INFINITY;
    CHECK(!gall_finite_f64(d, 3));
    CHECK(gall_finite_f32(NULL, 0));
    /* the eight-lane body and the tail: the extremes of the finite floats pass, NaN / +-Inf
     * anywhere fail */
    float g[37];
    for (int i = 0; i < 37; i++)
        g[i] = (i % 4 == 0) ? FLT_MAX : (i % 4 == 1) ? -FLT_MAX : (i % 4 == 2) ? 1e-45f : -0.0f;
    CHECK(gall_finite_f32(g, 37));
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < 37; i++) {
            float keep = g[i];
            g[i] = bad[b];
            CHECK(!gall_finite_f32(g, 37));
            CHECK(gall_finite_f32(g, (size_t)i)); /* everything before it */
            g[i] = keep;
        }
}

int main(void)
{
    RUN(test_version);
    RUN(test_strerror);
    RUN(test_last_error_is_thread_local);
    RUN(test_error_cause);
    RUN(test_config_defaults_and_values);
    RUN(test_config_rejects_bad_input);
    RUN(test_rng);
    RUN(test_hash);
    RUN(test_envelope);
    RUN(test_atomic_write_keeps_old_file_on_failure);
    RUN(test_finite_checks);
    return GT_SUMMARY();
}
