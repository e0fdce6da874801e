#include <stdlib.h>
#include <string.h>

#include "idmap.h"

void gidmap_del(gidmap *m, uint64_t key)
{
    if (!m->cap) return;
    const size_t mask = m->cap - 1;
    size_t p = gidmap_home(m, key);
    while (m->keys[p] != key || m->vals[p] == GIDMAP_NONE) {
        if (m->vals[p] == GIDMAP_NONE) return;
        p = (p + 1) & mask;
    }
    /* Backward shift: an entry after the hole moves into it unless its home lies cyclically
     * in (hole, q], so that every probe chain stays unbroken. */
    size_t hole = p;
    for (size_t q = (p + 1) & mask; m->vals[q] != GIDMAP_NONE; q = (q + 1) & mask) {
        size_t home = gidmap_home(m, m->keys[q]);
        if (((q - home) & mask) >= ((q - hole) & mask)) {
            m->keys[hole] = m->keys[q];
            m->vals[hole] = m->vals[q];
            hole = q;
        }
    }
    m->vals[hole] = GIDMAP_NONE;
    m->count--;
}

int gidmap_reserve(const char *who, const char *what, gidmap *m, size_t want, gidmap *old, bool *grown)
{
    if (grown) *grown = false;
    if ((want + 1) * 2 <= m->cap) return GROWTH_OK;
    size_t ncap = m->cap ? m->cap : 64;
    while ((want + 1) * 2 > ncap) ncap *= 2;
    gidmap nm = {malloc(ncap * sizeof *nm.keys), malloc(ncap * sizeof *nm.vals), ncap, 0};
    if (!nm.keys || !nm.vals) {
        free(nm.keys);
        free(nm.vals);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for %s (%zu cells)", who, what, ncap);
    }
    memset(nm.vals, 0xff, ncap * sizeof *nm.vals);
    for (size_t i = 0; i < m->cap; i++)
        if (m->vals[i] != GIDMAP_NONE) gidmap_put(&nm, m->keys[i], m->vals[i]);
    if (old) {
        *old = *m;
        if (grown) *grown = true;
    } else {
        free(m->keys);
        free(m->vals);
    }
    *m = nm;
    return GROWTH_OK;
}

void gidmap_free(gidmap *m)
{
    free(m->keys);
    free(m->vals);
    *m = (gidmap){0};
}
