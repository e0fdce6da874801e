/* The library behaves identically under every locale: configs with decimals are read, configs,
 * summaries and messages are written, models are trained, serialised and loaded the same
 * bit for bit under de_DE.UTF-8 and fr_FR.UTF-8 (decimal comma) as under the C locale, whether
 * the locale is process-wide (setlocale, as a JVM sets it) or the calling thread's (uselocale).
 * The locales are made by scripts/setup-debian; without them the test fails and says so. */
#define _GNU_SOURCE
#include <locale.h>
#include <pthread.h>
#include <stdint.h>

#include "growth/growth.h"
#include "gtest.h"

/* A transcript of everything the workload produced, compared byte for byte across locales. */
typedef struct {
    uint8_t *b;
    size_t n, cap;
} transcript;

static void put(transcript *t, const void *p, size_t n)
{
    if (t->n + n > t->cap) {
        t->cap = (t->n + n) * 2 + 4096;
        t->b = realloc(t->b, t->cap);
    }
    memcpy(t->b + t->n, p, n);
    t->n += n;
}
static void puts_(transcript *t, const char *s) { put(t, s, strlen(s) + 1); }

static void put_error(transcript *t, int rc)
{
    put(t, &rc, sizeof rc);
    puts_(t, growth_last_error());
}

#define CFG_OUT(fn, h)                                                                                       \
    do {                                                                                                     \
        char cb_[4096];                                                                                      \
        size_t need_ = 0;                                                                                    \
        CHECK_OK(fn(h, cb_, sizeof cb_, &need_));                                                            \
        puts_(t, cb_);                                                                                       \
    } while (0)
#define SER_OUT(fn, h)                                                                                       \
    do {                                                                                                     \
        uint8_t *sb_ = NULL;                                                                                 \
        size_t sl_ = 0;                                                                                      \
        CHECK_OK(fn(h, &sb_, &sl_));                                                                         \
        put(t, sb_, sl_);                                                                                    \
        growth_buffer_free(sb_);                                                                             \
    } while (0)

static void workload(transcript *t)
{
    /* FTRL: decimals in the config, training, predictions, config and bytes. */
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "alpha=0.05 beta=1.5 l1=0.25 l2=1e-3 bits=10 heads=2"));
    if (m) {
        CFG_OUT(growth_ftrl_config, m);
        for (uint32_t i = 0; i < 200; i++) {
            uint32_t idx[3] = {i % 17, 100 + i % 5, 300 + (i * 7) % 11};
            float val[3] = {1.0f, 0.5f, 0.25f}, y[2] = {(float)(i % 3 == 0), (float)(i % 5 == 0)};
            CHECK_OK(growth_ftrl_update(m, idx, val, 3, y, 1.0f));
        }
        uint32_t q[2] = {3, 102};
        float p[2];
        CHECK_OK(growth_ftrl_predict(m, q, NULL, 2, 0, p, 2));
        put(t, p, sizeof p);
        SER_OUT(growth_ftrl_serialize, m);
        growth_ftrl_free(m);
    }
    put_error(t, growth_ftrl_create(&m, "alpha=0,05")); /* refused everywhere alike */
    put_error(t, growth_ftrl_create(&m, "alpha=-0.5"));

    /* Calibrator: summary prints the fitted doubles. */
    growth_calibrator *c = NULL;
    CHECK_OK(growth_calibrator_create(&c, "method=platt"));
    if (c) {
        float s[64], y[64];
        for (int i = 0; i < 64; i++) {
            s[i] = 0.01f + 0.015f * (float)i;
            y[i] = (float)(i % 4 == 1 || i > 50);
        }
        CHECK_OK(growth_calibrator_fit(c, s, y, NULL, NULL, 64));
        char sum[1024];
        size_t need = 0;
        CHECK_OK(growth_calibrator_summary(c, sum, sizeof sum, &need));
        puts_(t, sum);
        CFG_OUT(growth_calibrator_config, c);
        SER_OUT(growth_calibrator_serialize, c);
        growth_calibrator_free(c);
    }

    /* Bidder: a '|'-separated list of decimal weights. */
    growth_bidder *b = NULL;
    CHECK_OK(growth_bidder_create(
        &b, "target_cpa=2.5 budget=1234.75 plan=curve curve=0.5|1.25|2.5 shade_floor=0.35"));
    if (b) {
        CFG_OUT(growth_bidder_config, b);
        SER_OUT(growth_bidder_serialize, b);
        growth_bidder_free(b);
    }

    /* Text index: k1 and b are written with %.17g into the saved file. */
    growth_text_index *x = NULL;
    CHECK_OK(growth_text_create(&x, "k1=1.35 b=0.62"));
    if (x) {
        int64_t ids[2] = {1, 2};
        const char *texts[2] = {"red running shoes", "blue shoes 0.5 litre"};
        CHECK_OK(growth_text_add(x, ids, texts, 2));
        CFG_OUT(growth_text_config, x);
        SER_OUT(growth_text_serialize, x);
        growth_text_free(x);
    }

    /* Vector index and bandit configs with decimals. */
    growth_index *ix = NULL;
    CHECK_OK(growth_index_create(&ix, "dim=4 metric=cosine"));
    if (ix) {
        CFG_OUT(growth_index_config, ix);
        growth_index_free(ix);
    }
    growth_bandit *bd = NULL;
    CHECK_OK(growth_bandit_create(&bd, "policy=egreedy epsilon=0.125 seed=7"));
    if (bd) {
        CFG_OUT(growth_bandit_config, bd);
        SER_OUT(growth_bandit_serialize, bd);
        growth_bandit_free(bd);
    }

    /* Forest: xgboost parameters with decimals; JSON written by xgboost and read by our parser. */
    enum { R = 200, C = 3 };
    static float X[R * C], Y[R];
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < C; j++) X[i * C + j] = (float)((i * 31 + j * 17) % 97) / 9.7f;
        Y[i] = (float)(X[i * C] + 0.5f * X[i * C + 1] > 7.5f);
    }
    growth_forest_data d = {.struct_size = sizeof d, .nrows = R, .ncols = C, .dense = X, .labels = Y};
    growth_forest *f = NULL;
    CHECK_OK(growth_forest_train(
        &f, "num_rounds=5",
        "objective=binary:logistic max_depth=3 eta=0.35 subsample=1.0 lambda=1.5 base_score=0.45", &d, NULL,
        NULL, NULL));
    if (f) {
        float p[R];
        CHECK_OK(growth_forest_predict_dense(f, X, R, C, 0, p, R));
        put(t, p, sizeof p);
        CFG_OUT(growth_forest_config, f);
        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK_OK(growth_forest_serialize(f, &buf, &len));
        growth_forest *g = NULL;
        CHECK_OK(growth_forest_deserialize(&g, buf, len));
        if (g) {
            CHECK_OK(growth_forest_predict_dense(g, X, R, C, 0, p, R));
            put(t, p, sizeof p);
            growth_forest_free(g);
        }
        growth_buffer_free(buf);
        growth_forest_free(f);
    }
    /* Error messages that print numbers. */
    put_error(t, growth_calibrator_create(&c, "method=platt bins=0.5"));
}

static transcript run_in(const char *loc)
{
    transcript t = {0};
    if (loc) {
        if (!setlocale(LC_ALL, loc)) {
            fprintf(stderr, "  locale %s is not installed: run scripts/setup-debian\n", loc);
            gt_failed_checks++;
            return t;
        }
        char buf[32];
        snprintf(buf, sizeof buf, "%.1f", 0.5);
        if (strcmp(loc, "C") != 0) CHECK(strcmp(buf, "0,5") == 0); /* the locale really bites */
    }
    workload(&t);
    setlocale(LC_ALL, "C");
    return t;
}

static void check_same(const transcript *a, const transcript *b, const char *what)
{
    CHECK(a->n > 1000);
    if (a->n != b->n || memcmp(a->b, b->b, a->n) != 0) {
        size_t i = 0;
        while (i < a->n && i < b->n && a->b[i] == b->b[i]) i++;
        fprintf(stderr, "  %s: transcript differs from the C locale's at byte %zu (sizes %zu, %zu)\n", what,
                i, a->n, b->n);
        gt_failed_checks++;
    }
}

static transcript ref;

TEST(process_locale_is_ignored)
{
    ref = run_in("C");
    const char *locs[] = {"de_DE.UTF-8", "fr_FR.UTF-8"};
    for (int i = 0; i < 2; i++) {
        transcript t = run_in(locs[i]);
        check_same(&ref, &t, locs[i]);
        free(t.b);
    }
}

static void *thread_body(void *arg)
{
    /* A C++ server may switch one thread with uselocale; the library must not see it. */
    locale_t de = newlocale(LC_ALL_MASK, "de_DE.UTF-8", (locale_t)0);
    transcript *t = arg;
    if (!de) return NULL;
    locale_t old = uselocale(de);
    workload(t);
    char buf[32];
    snprintf(buf, sizeof buf, "%.1f", 0.5);
    CHECK(strcmp(buf, "0,5") == 0); /* and the library left the thread's locale as it was */
    uselocale(old);
    freelocale(de);
    return NULL;
}

TEST(thread_locale_is_ignored)
{
    transcript t = {0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_body, &t) == 0);
    pthread_join(th, NULL);
    check_same(&ref, &t, "uselocale(de_DE.UTF-8)");
    free(t.b);
}

TEST(config_numbers_read_back)
{
    /* A config written under a comma locale reads back under the C locale and vice versa. */
    setlocale(LC_ALL, "fr_FR.UTF-8");
    growth_ftrl *m = NULL;
    char cfg[2048] = "";
    size_t need;
    CHECK_OK(growth_ftrl_create(&m, "alpha=0.0123456789012345 l1=3.5e-07"));
    if (m) {
        CHECK_OK(growth_ftrl_config(m, cfg, sizeof cfg, &need));
        growth_ftrl_free(m);
    }
    CHECK(strstr(cfg, "alpha=0.0123456789012345") != NULL);
    CHECK(strstr(cfg, "l1=3.5e-07") != NULL);
    setlocale(LC_ALL, "C");
    growth_ftrl *m2 = NULL;
    CHECK_OK(growth_ftrl_create(&m2, cfg));
    growth_ftrl_free(m2);
}

TEST(source_date_epoch_makes_bytes_reproducible)
{
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=8"));
    if (!m) return;
    uint8_t *a = NULL, *b = NULL, *c = NULL;
    size_t na = 0, nb = 0, nc = 0;
    setenv("SOURCE_DATE_EPOCH", "1600000000", 1);
    CHECK_OK(growth_ftrl_serialize(m, &a, &na));
    CHECK_OK(growth_ftrl_serialize(m, &b, &nb));
    setenv("SOURCE_DATE_EPOCH", "1600000001", 1);
    CHECK_OK(growth_ftrl_serialize(m, &c, &nc));
    CHECK(na == nb && memcmp(a, b, na) == 0);
    CHECK(na == nc && memcmp(a, c, na) != 0); /* the time is really recorded */
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    growth_buffer_free(a);
    growth_buffer_free(b);
    growth_buffer_free(c);
    growth_ftrl_free(m);
}

int main(void)
{
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* model files record their creation time */
    RUN(process_locale_is_ignored);
    RUN(thread_locale_is_ignored);
    RUN(config_numbers_read_back);
    RUN(source_date_epoch_makes_bytes_reproducible);
    free(ref.b);
    return GT_SUMMARY();
}
