/* id -> slot map shared by the bandit (arm ids), the vector index and the text index (item and
 * document ids): open addressing with linear probing on gmix64 of the key, backward-shift
 * deletion (no tombstones). Lookups are inline: they sit on select / search / get paths. */
#ifndef GROWTH_IDMAP_H
#define GROWTH_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

#define GIDMAP_NONE UINT32_MAX /* "no such key"; as a stored value it marks a free cell */

/* keys[i] is meaningful only where vals[i] != GIDMAP_NONE. cap: a power of two, or 0 before the
 * first gidmap_reserve. count: keys held. A zeroed struct is an empty map. */
typedef struct {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, count;
} gidmap;

static inline size_t gidmap_home(const gidmap *m, uint64_t key) { return (size_t)gmix64(key) & (m->cap - 1); }

/* The value stored for key, or GIDMAP_NONE. */
static inline uint32_t gidmap_get(const gidmap *m, uint64_t key)
{
    if (!m->cap) return GIDMAP_NONE;
    const size_t mask = m->cap - 1;
    for (size_t i = gidmap_home(m, key);; i = (i + 1) & mask) {
        uint32_t v = m->vals[i];
        if (v == GIDMAP_NONE || m->keys[i] == key) return v;
    }
}

/* Inserts or overwrites; val != GIDMAP_NONE. The map must have room (gidmap_reserve first). */
static inline void gidmap_put(gidmap *m, uint64_t key, uint32_t val)
{
    const size_t mask = m->cap - 1;
    size_t i = gidmap_home(m, key);
    while (m->vals[i] != GIDMAP_NONE && m->keys[i] != key) i = (i + 1) & mask;
    if (m->vals[i] == GIDMAP_NONE) m->count++;
    m->keys[i] = key;
    m->vals[i] = val;
}

/* Removes key if present. */
void gidmap_del(gidmap *m, uint64_t key);

/* Grows the map so that `want` keys keep it at most half full (64 cells at least); rehashing
 * builds new arrays, so a failure leaves the map as it was. With `old` set, the replaced arrays
 * are handed back in *old instead of being freed and *grown says whether the map grew (an add
 * that is taken back restores them). `what` names the map in the ENOMEM message. */
int gidmap_reserve(const char *who, const char *what, gidmap *m, size_t want, gidmap *old, bool *grown);

void gidmap_free(gidmap *m);

#endif
