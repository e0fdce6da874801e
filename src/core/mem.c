#define _DEFAULT_SOURCE
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
    if (bytes < GBIG) free(p);
    else munmap(p, bytes);
}

GROWTH_API void growth_buffer_free(void *buf) { free(buf); }
