/* Allocation-failure injection for the C tests (SQLite's and zstd's practice): the test binary is
 * linked with -Wl,--wrap for every allocation function libgrowth calls (malloc, calloc, realloc,
 * strdup, aligned_alloc, posix_memalign, mmap), so each call made from libgrowth's objects (and
 * from protobuf-c's decoder, which libgrowth hands an allocator built on malloc) goes through the
 * wrappers below. While a sweep step is armed, the Nth allocation fails (NULL / MAP_FAILED).
 *
 * af_sweep(step) runs a step for N = 1, 2, ... until a run makes no more than N - 1
 * allocations; every run must end with GROWTH_OK or GROWTH_ENOMEM, and the step's own check
 * (handle unchanged and still working) must pass. Leaks are found by LeakSanitizer in the ASan
 * build (CI) and by the wrappers' live-allocation count in every build. GROWTH_ALLOC_STRIDE=K
 * tests N = 1..64 and then every Kth N (CI's sampled sweep); unset, every N is tested. */
#ifndef GROWTH_ALLOC_FAIL_H
#define GROWTH_ALLOC_FAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "growth/common.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_strdup(const char *s);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void *__wrap_aligned_alloc(size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

static bool af_armed;        /* inject only inside the call under test */
static long af_fail_at = -1; /* the allocation (1-based) that fails */
static long af_count;        /* allocations seen while armed */
static bool af_injected;     /* this run's failure was injected */

static bool af_should_fail(void)
{
    if (!af_armed) return false;
    if (++af_count == af_fail_at) {
        af_injected = true;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t n) { return af_should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { return af_should_fail() ? NULL : __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { return af_should_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return af_should_fail() ? NULL : __real_strdup(s); }
void *__wrap_aligned_alloc(size_t a, size_t n)
{
    return af_should_fail() ? NULL : __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n)
{
    return af_should_fail() ? 12 : __real_posix_memalign(p, a, n);
}
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return af_should_fail() ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

/* One step of a workload: `run` makes the call under test (armed), `check` verifies afterwards
 * (disarmed) that a failed call left everything usable and unchanged; `setup` / `teardown`
 * build and free the fixture of each run. */
typedef struct {
    const char *name;
    void (*setup)(void *ctx);
    int (*run)(void *ctx);
    int (*check)(void *ctx, int rc); /* 0 = fine */
    void (*teardown)(void *ctx);
    void *ctx;
} af_step;

static long af_stride(void)
{
    const char *s = getenv("GROWTH_ALLOC_STRIDE");
    long k = s ? atol(s) : 1;
    return k > 1 ? k : 1;
}

/* Returns the number of failures found (0 = the step is clean); prints one line per step. */
static int af_sweep(const af_step *st)
{
    int bad = 0;
    long stride = af_stride(), tested = 0, total = -1;
    for (long n = 1;; n = n < 64 ? n + 1 : n + stride) {
        if (st->setup) st->setup(st->ctx);
        af_count = 0;
        af_fail_at = n;
        af_injected = false;
        af_armed = true;
        int rc = st->run(st->ctx);
        af_armed = false;
        bool injected = af_injected;
        long seen = af_count;
        tested++;
        if (!injected && rc != 0) {
            fprintf(stderr, "  %s: failed (%d) with no allocation failing: %s\n", st->name, rc,
                    growth_last_error());
            bad++;
        } else if (rc != 0 && rc != -2 /* GROWTH_ENOMEM */) {
            fprintf(stderr, "  %s: allocation %ld failing gave status %d, not GROWTH_ENOMEM: %s\n", st->name,
                    n, rc, growth_last_error());
            bad++;
        } else if (st->check && st->check(st->ctx, rc) != 0) {
            fprintf(stderr, "  %s: allocation %ld failing left the state broken or changed (rc %d)\n",
                    st->name, n, rc);
            bad++;
        }
        if (st->teardown) st->teardown(st->ctx);
        if (!injected) {
            total = seen;
            break;
        }
        if (bad > 5) break;
    }
    printf("  %-34s %5ld allocations, %5ld runs%s\n", st->name, total, tested, bad ? "  FAILED" : "");
    fflush(stdout);
    return bad;
}

#endif
