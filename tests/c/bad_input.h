/* Shared pieces of the bad-input matrix (tests/c/test_bad_input*.c): the BAD() table row and a
 * few fixtures. BAD(expr, expect, sub) calls expr once and checks that it returns `expect`, that
 * the call itself recorded a message (the last error is reset to a sentinel first) and, when
 * `sub` is not NULL, that the message contains `sub` (usually the function's name). */
#ifndef GROWTH_BAD_INPUT_H
#define GROWTH_BAD_INPUT_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

static int n_cases;
static const char bad_sentinel[] = "(no message was recorded)";

static void bad_check(const char *what, int rc, int expect, const char *sub, const char *file, int line)
{
    n_cases++;
    const char *msg = growth_last_error();
    if (rc != expect) {
        fprintf(stderr, "  %s:%d: %s: returned %d (%s), expected %d; message: %s\n", file, line, what, rc,
                growth_strerror(rc), expect, msg);
        gt_failed_checks++;
        return;
    }
    if (expect != GROWTH_OK && (msg == NULL || *msg == 0 || strcmp(msg, bad_sentinel) == 0)) {
        fprintf(stderr, "  %s:%d: %s: returned %d without a message\n", file, line, what, rc);
        gt_failed_checks++;
        return;
    }
    if (sub && strstr(msg, sub) == NULL) {
        fprintf(stderr, "  %s:%d: %s: message '%s' does not name '%s'\n", file, line, what, msg, sub);
        gt_failed_checks++;
    }
}

#define BAD(expr, expect, sub)                                                                               \
    do {                                                                                                     \
        gerr(GROWTH_OK, "%s", bad_sentinel);                                                                 \
        int bad_rc_ = (expr);                                                                                \
        bad_check(#expr, bad_rc_, (expect), (sub), __FILE__, __LINE__);                                      \
    } while (0)

/* The serialized bytes of a handle, to prove that bad calls left it exactly as it was. */
typedef struct {
    uint8_t *buf;
    size_t len;
} bad_bytes;

static inline int bad_same_bytes(bad_bytes a, bad_bytes b)
{
    if (a.buf && b.buf && a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0) return 1;
    fprintf(stderr, "  serialized state differs: %zu bytes before, %zu after; first differences:", a.len,
            b.len);
    for (size_t i = 0, shown = 0; a.buf && b.buf && i < a.len && i < b.len && shown < 8; i++)
        if (a.buf[i] != b.buf[i]) {
            fprintf(stderr, " [%zu] %02x -> %02x", i, a.buf[i], b.buf[i]);
            shown++;
        }
    fprintf(stderr, "\n");
    return 0;
}

static inline void bad_bytes_free(bad_bytes *b)
{
    growth_buffer_free(b->buf);
    b->buf = NULL;
    b->len = 0;
}

/* Serialized bytes carry their creation time (seconds), so "the handle is exactly as before" is
 * checked by rebuilding the earlier state from its bytes and serializing it and the handle within
 * the same second: the two byte strings must then be identical. */
#define BAD_SAME_STATE(kind, type, h, before)                                                                \
    do {                                                                                                     \
        bad_bytes x_ = {0}, y_ = {0};                                                                        \
        for (int try_ = 0; try_ < 3; try_++) {                                                               \
            bad_bytes_free(&x_);                                                                             \
            bad_bytes_free(&y_);                                                                             \
            time_t t0_ = time(NULL);                                                                         \
            type *old_ = NULL;                                                                               \
            CHECK_OK(growth_##kind##_deserialize(&old_, (before).buf, (before).len));                        \
            if (old_) CHECK_OK(growth_##kind##_serialize(old_, &x_.buf, &x_.len));                           \
            CHECK_OK(growth_##kind##_serialize((h), &y_.buf, &y_.len));                                      \
            growth_##kind##_free(old_);                                                                      \
            if (time(NULL) == t0_) break;                                                                    \
        }                                                                                                    \
        if (!bad_same_bytes(x_, y_)) {                                                                       \
            fprintf(stderr, "  %s:%d: %s changed through the bad calls\n", __FILE__, __LINE__, #h);          \
            gt_failed_checks++;                                                                              \
        }                                                                                                    \
        bad_bytes_free(&x_);                                                                                 \
        bad_bytes_free(&y_);                                                                                 \
    } while (0)

/* A valid model file of another kind (FTRL, or a calibrator for the FTRL loader): every loader
 * must refuse it with GROWTH_EFORMAT. */
static inline void bad_other_kind_file(char *path, size_t cap, int for_ftrl)
{
    if (for_ftrl) {
        gt_path(path, cap, "bad_input_other_kind.calibrator");
        growth_calibrator *c = NULL;
        float s[4] = {0.1f, 0.3f, 0.6f, 0.9f}, y[4] = {0, 0, 1, 1};
        CHECK_OK(growth_calibrator_create(&c, "method=platt"));
        CHECK_OK(growth_calibrator_fit(c, s, y, NULL, NULL, 4));
        CHECK_OK(growth_calibrator_save(c, path));
        growth_calibrator_free(c);
    } else {
        gt_path(path, cap, "bad_input_other_kind.ftrl");
        growth_ftrl *m = NULL;
        CHECK_OK(growth_ftrl_create(&m, "bits=4"));
        CHECK_OK(growth_ftrl_save(m, path));
        growth_ftrl_free(m);
    }
}

/* A file that is not a model at all. */
static inline void bad_garbage_file(char *path, size_t cap)
{
    gt_path(path, cap, "bad_input_garbage.bin");
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("this is not a libgrowth model file, just some text of a plausible length.\n", f);
        fclose(f);
    }
}

#define BAD_SUMMARY(name) (printf("%s: %d cases\n", (name), n_cases), GT_SUMMARY())

#endif
