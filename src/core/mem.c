#define _DEFAULT_SOURCE
#include <stdatomic.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core.h"

/* Large zeroed tables (hash-feature tables, indexes) are mapped anonymously and marked for
 * transparent huge pages: random access over hundreds of MiB otherwise pays a TLB miss per
 * access. Pages are zero and untouched until first written, so a 2^26-slot table costs only
 * what is used. Small tables use calloc. */
#define GBIG (4u << 20)

void *gtable_alloc(size_t bytes)
{
    if (bytes < GBIG) return calloc(1, bytes ? bytes : 1);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void gtable_free(void *p, size_t bytes)
{
    if (!p) return;
    if (bytes < GBIG)
        free(p);
    else
        munmap(p, bytes);
}

GROWTH_API void growth_buffer_free(void *buf) { free(buf); }

static uint64_t phys_bytes(void)
{
    /* Asked once (glibc answers _SC_PHYS_PAGES with a sysinfo() call): growth checks run on
     * every add of an index or an arm. */
    static _Atomic uint64_t cached;
    uint64_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v) return v;
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    v = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
    return v;
}

int gmem_reserve(const char *who, double bytes, uint64_t max_memory)
{
    /* Refuse up front what cannot fit: a table that would only fail on first touch (mmap
     * reserves lazily) would otherwise bring in the OOM killer much later. */
    uint64_t cap = phys_bytes();
    const char *what = "the machine's memory";
    if (max_memory && max_memory < cap) {
        cap = max_memory;
        what = "max_memory";
    }
    if (!(bytes <= (double)cap))
        return gerr(GROWTH_ENOMEM, "%s: needs %.0f bytes (%.2f GiB), more than %s (%llu bytes)", who, bytes,
                    bytes / 1073741824.0, what, (unsigned long long)cap);
    return GROWTH_OK;
}

/* protobuf-c's decoder allocates through libgrowth's own malloc (and so through the test
 * harness's allocation-failure injection, tests/c/alloc_fail.h) instead of its default. */
static _Thread_local bool gpb_oom; /* an allocation of the decoder failed on this thread */

static void *gpb_alloc(void *data, size_t size)
{
    (void)data;
    void *p = malloc(size ? size : 1);
    if (!p) gpb_oom = true;
    return p;
}

int gpb_unpack_error(const char *who, const char *what)
{
    bool oom = gpb_oom;
    gpb_oom = false;
    if (oom) return gerr(GROWTH_ENOMEM, "%s: out of memory decoding the %s", who, what);
    return gerr(GROWTH_EFORMAT, "%s: %s does not decode (truncated or corrupted)", who, what);
}

static void gpb_free(void *data, void *p)
{
    (void)data;
    free(p);
}

ProtobufCAllocator gpb_allocator = {gpb_alloc, gpb_free, NULL};
