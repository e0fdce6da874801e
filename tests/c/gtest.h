/* A tiny test harness for libgrowth's C tests: TEST(name) { ... } functions listed in main via
 * RUN(name); CHECK* macros record failures with file:line and keep going within the test. */
#ifndef GROWTH_GTEST_H
#define GROWTH_GTEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int gt_failed_checks;
static int gt_tests_passed, gt_tests_failed;

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                       \
            gt_failed_checks++;                                                                              \
        }                                                                                                    \
    } while (0)

#define CHECK_RC(expr, expected)                                                                             \
    do {                                                                                                     \
        int gt_rc_ = (expr);                                                                                 \
        if (gt_rc_ != (expected)) {                                                                          \
            fprintf(stderr, "  %s:%d: %s returned %d (%s), expected %d; last error: %s\n", __FILE__,         \
                    __LINE__, #expr, gt_rc_, growth_strerror(gt_rc_), (expected), growth_last_error());      \
            gt_failed_checks++;                                                                              \
        }                                                                                                    \
    } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, GROWTH_OK)

#define CHECK_NEAR(a, b, tol)                                                                                \
    do {                                                                                                     \
        double gt_a_ = (double)(a), gt_b_ = (double)(b);                                                     \
        if (!(fabs(gt_a_ - gt_b_) <= (tol))) {                                                               \
            fprintf(stderr, "  %s:%d: CHECK_NEAR failed: %s = %.10g, %s = %.10g, tol %g\n", __FILE__,        \
                    __LINE__, #a, gt_a_, #b, gt_b_, (double)(tol));                                          \
            gt_failed_checks++;                                                                              \
        }                                                                                                    \
    } while (0)

/* The last error message contains `sub`. */
#define CHECK_MSG(sub)                                                                                       \
    do {                                                                                                     \
        if (strstr(growth_last_error(), (sub)) == NULL) {                                                    \
            fprintf(stderr, "  %s:%d: last error '%s' does not mention '%s'\n", __FILE__, __LINE__,          \
                    growth_last_error(), (sub));                                                             \
            gt_failed_checks++;                                                                              \
        }                                                                                                    \
    } while (0)

#define TEST(name) static void name(void)

#define RUN(name)                                                                                            \
    do {                                                                                                     \
        int gt_before_ = gt_failed_checks;                                                                   \
        name();                                                                                              \
        if (gt_failed_checks == gt_before_) {                                                                \
            gt_tests_passed++;                                                                               \
            printf("ok   %s\n", #name);                                                                      \
        } else {                                                                                             \
            gt_tests_failed++;                                                                               \
            printf("FAIL %s\n", #name);                                                                      \
        }                                                                                                    \
        fflush(stdout);                                                                                      \
    } while (0)

#define GT_SUMMARY()                                                                                         \
    (printf("%d passed, %d failed\n", gt_tests_passed, gt_tests_failed), gt_tests_failed == 0 ? 0 : 1)

/* A scratch directory for files a test writes (meson passes GROWTH_TEST_TMPDIR). */
static inline const char *gt_tmpdir(void)
{
    const char *d = getenv("GROWTH_TEST_TMPDIR");
    return d && *d ? d : "/tmp";
}

static inline void gt_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", gt_tmpdir(), name);
}

#endif
