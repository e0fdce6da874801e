/* Public structs that carry `uint32_t struct_size` first (docs/api-conventions.md). */
#include <stddef.h>
#include <string.h>

#include "core.h"

int gstruct_in(const char *who, const char *what, const void *p, size_t known)
{
    uint32_t size = *(const uint32_t *)p;
    if (size > known + 65536) /* not a struct of any libgrowth: struct_size is garbage */
        return gerr(GROWTH_EINVAL,
                    "%s: %s->struct_size is %u, expected %zu (initialise it with its _INIT macro)", who, what,
                    size, known);
    if (size < known)
        return gerr(GROWTH_EINVAL,
                    "%s: %s->struct_size is %u, expected %zu (initialise it with its _INIT macro)", who, what,
                    size, known);
    /* A program built against a newer libgrowth may pass a larger struct: its extra members must
     * be zero (unused), since this library cannot honour them. */
    const unsigned char *b = p;
    for (size_t i = known; i < size; i++)
        if (b[i])
            return gerr(GROWTH_EINVAL, "%s: %s sets members this libgrowth (%s) does not know", who, what,
                        GROWTH_VERSION_STRING);
    return GROWTH_OK;
}

int gstruct_out(const char *who, const char *what, void *out, const void *src, size_t min, size_t known)
{
    uint32_t size = *(const uint32_t *)out;
    if (size < min)
        return gerr(GROWTH_EINVAL,
                    "%s: %s->struct_size is %u, expected at least %zu (initialise it with its _INIT macro)",
                    who, what, size, min);
    /* Fill what both sides know: an older caller's smaller struct gets its prefix. */
    size_t n = size < known ? size : known, h = sizeof(uint32_t);
    memcpy((unsigned char *)out + h, (const unsigned char *)src + h, n - h);
    return GROWTH_OK;
}

int gid_filter_check(const char *who, const growth_id_filter *f)
{
    if (!f) return GROWTH_OK;
    int rc = gstruct_in(who, "filter", f, sizeof *f);
    if (rc) return rc;
    if (f->n_allow && !f->allow)
        return gerr(GROWTH_EINVAL, "%s: filter->allow is NULL with n_allow=%zu", who, f->n_allow);
    for (size_t i = 1; i < f->n_allow; i++)
        if (f->allow[i] <= f->allow[i - 1])
            return gerr(GROWTH_EINVAL, "%s: filter->allow is not strictly ascending at %zu", who, i);
    if (f->bitmap_bits && !f->bitmap) return gerr(GROWTH_EINVAL, "%s: filter->bitmap is NULL", who);
    return GROWTH_OK;
}
