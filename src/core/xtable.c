/* The collision-free keyed table behind `table=exact` (xtable.h): FTRL statistics
 * (src/ctr/ftrl_exact.c) and FM/FFM slots (src/fm/fm_exact.c) keyed by the full 64-bit feature
 * key, with admission, expiry and a memory cap (Monolith's collision-free, expirable embeddings;
 * McMahan et al. KDD 2013, section 5.1, "probabilistic feature inclusion": count-based via a
 * counting sketch, or Poisson).
 *
 * Layout. GXT_SHARDS (256) open-addressing tables with linear probing, chosen by the top 8 bits
 * of gmix64(key); the position inside a shard by the low bits. Each shard grows (doubles) on its
 * own, so the writer's pause when a table grows is the copy of one shard, 1/256 of the table.
 * An entry is {key, stamp (example index of its last update), seconds of its last update,
 * state (empty / full / deleted)}; its records (the owner's: nf floats, nh uint16, nu uint32)
 * live in parallel arrays.
 *
 * Concurrency. One writer (the owner's lock), lock-free readers. The writer publishes an entry
 * by writing its key, stamp and records, then storing state = full with release order; a
 * reader loads the state with acquire order, then the key. Deleting stores state = deleted and
 * zeroes the records: a racing reader sees the old records or zeros. Deleted entries are
 * tombstones the probe walks past; an insert reuses the first one on its path. Growing (and
 * the same-size rehash that drops tombstones, and shrinking) is copy-and-swap, RCU style: the
 * writer fills a new table while readers keep using the old one (no longer written), stores
 * the new pointer with release order, then waits for a grace period and frees the old table.
 * The grace period is the classic two-counter scheme (userspace RCU's): a reader increments
 * readers[epoch] before loading table pointers and decrements it after; the writer flips the
 * epoch and waits for the old counter to drain, twice. Readers never wait; the writer waits for
 * the readers that were in flight when it swapped.
 *
 * Admission. admit=N > 1: a count-min sketch of 4 rows x (admit_sketch / 4) saturating 8-bit
 * counters with conservative update counts the occurrences of keys without an entry; a key
 * gets its entry at its N-th occurrence in a training row. After the first admit_sketch
 * increments, each count is halved once per admit_sketch increments (a cursor halves one
 * counter per increment: no pause), so the counts of one-off keys age out instead of
 * saturating the sketch. admit_prob=p: an eligible occurrence is admitted with probability p
 * (the owner's seeded generator, so a replay of the same stream admits the same keys).
 *
 * Expiry. expire=N: an entry whose last update is more than N examples before the current one
 * (example - stamp > N) is expired: readers treat it as absent, training re-admits it fresh,
 * and the writer's sweep (a cursor advancing over every shard, 16 + 2 x capacity / expire
 * entries per example) deletes it and shrinks a shard below 1/8 occupancy, returning its
 * memory. expire_seconds=S does the same with the wall clock (CLOCK_REALTIME seconds, so it
 * survives save / load).
 *
 * Memory cap. With max_memory > 0, the largest per-shard capacity C is the largest power of
 * two such that 257 shards of C entries (256 plus the transient copy of one being rebuilt) and
 * the sketch fit in max_memory (with live_bytes per live entry outside the table: the C that
 * admits the most live entries, and a global limit on them); a shard at C keeps at most 0.7 C
 * live entries and evicts before inserting: the least recently updated of 16 live entries
 * sampled from a per-shard clock hand (Redis's sampled LRU; expired entries first). Entries
 * updated by the current row are never evicted by it. */
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xtable.h"

#define GXT_MIN_CAP 16
#define GXT_EMPTY   0u
#define GXT_FULL    1u
#define GXT_DEAD    2u
#define GXT_SAMPLE  16
#define GXT_DEPTH   4

typedef struct {
    _Atomic(gxt_tab *) t;
    uint64_t live, used; /* full entries; full + deleted entries (writer-only) */
    uint64_t hand;       /* eviction clock hand */
} gxt_shard;

struct gxt {
    gxt_params p;
    gxt_shard sh[GXT_SHARDS];
    _Atomic uint64_t epoch;
    _Atomic uint64_t readers[2];
    uint8_t *sketch; /* GXT_DEPTH rows of sketch_w counters */
    uint64_t sketch_w, sketch_incs;
    bool sketch_aging;
    uint64_t cursor;     /* expiry sweep: shard << 40 | position */
    uint64_t cap_max;    /* per-shard capacity limit (0: none) */
    uint64_t max_live;   /* global live limit (0: none) */
    uint64_t shard_hand; /* next shard to evict from when an insert's own shard has nothing to evict */
    size_t ent_bytes;    /* bytes per entry: gxt_ent + records */
    _Atomic uint64_t live, admitted, evicted, expired, bytes;
    uint64_t *pos; /* writer scratch: shard << 56 | position, or GXT_NONE */
    size_t pos_cap;
};

/* ---- helpers ----------------------------------------------------------------------------- */

static inline void cnt_add(_Atomic uint64_t *c, int64_t d)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + (uint64_t)d,
                          memory_order_relaxed);
}

/* Copies entry i's records of table a into entry j of table b. */
static void rec_copy(const gxt *x, const gxt_tab *a, uint64_t i, gxt_tab *b, uint64_t j)
{
    const size_t nf = x->p.nf, nh = x->p.nh, nu = x->p.nu;
    for (size_t k = 0; k < nf; k++)
        atomic_store_explicit(&b->tf[j * nf + k],
                              atomic_load_explicit(&a->tf[i * nf + k], memory_order_relaxed),
                              memory_order_relaxed);
    for (size_t k = 0; k < nh; k++)
        atomic_store_explicit(&b->tc[j * nh + k],
                              atomic_load_explicit(&a->tc[i * nh + k], memory_order_relaxed),
                              memory_order_relaxed);
    for (size_t k = 0; k < nu; k++)
        atomic_store_explicit(&b->tu[j * nu + k],
                              atomic_load_explicit(&a->tu[i * nu + k], memory_order_relaxed),
                              memory_order_relaxed);
}

static void rec_zero(const gxt *x, gxt_tab *t, uint64_t i)
{
    const size_t nf = x->p.nf, nh = x->p.nh, nu = x->p.nu;
    for (size_t k = 0; k < nf; k++) atomic_store_explicit(&t->tf[i * nf + k], 0.0f, memory_order_relaxed);
    for (size_t k = 0; k < nh; k++) atomic_store_explicit(&t->tc[i * nh + k], 0, memory_order_relaxed);
    for (size_t k = 0; k < nu; k++) atomic_store_explicit(&t->tu[i * nu + k], 0, memory_order_relaxed);
}

static inline uint64_t gxt_hash(uint64_t key) { return gmix64(key + 0x9e3779b97f4a7c15ULL); }

uint32_t gxt_now(const gxt *x)
{
    if (x->p.expire_seconds <= 0) return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)ts.tv_sec;
}

bool gxt_expiring(const gxt *x) { return x->p.expire > 0 || x->p.expire_seconds > 0; }

bool gxt_expired(const gxt *x, uint64_t stamp, uint32_t secs, uint64_t ex, uint32_t now)
{
    if (x->p.expire > 0 && ex - stamp > (uint64_t)x->p.expire) return true;
    if (x->p.expire_seconds > 0 && (uint32_t)(now - secs) > (uint64_t)x->p.expire_seconds) return true;
    return false;
}

static gxt_tab *tab_new(const gxt *x, uint64_t cap)
{
    gxt_tab *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cap = cap;
    const size_t c = (size_t)cap;
    t->ent = calloc(c, sizeof *t->ent);
    bool ok = t->ent != NULL;
    if (ok && x->p.nf) ok = (t->tf = calloc(c * x->p.nf, sizeof(float))) != NULL;
    if (ok && x->p.nh) ok = (t->tc = calloc(c * x->p.nh, sizeof(uint16_t))) != NULL;
    if (ok && x->p.nu) ok = (t->tu = calloc(c * x->p.nu, sizeof(uint32_t))) != NULL;
    if (!ok) {
        free(t->ent);
        free((void *)t->tf);
        free((void *)t->tc);
        free((void *)t->tu);
        free(t);
        return NULL;
    }
    t->bytes = c * x->ent_bytes;
    return t;
}

static void tab_free(gxt_tab *t)
{
    if (!t) return;
    free(t->ent);
    free((void *)t->tf);
    free((void *)t->tc);
    free((void *)t->tu);
    free(t);
}

/* Finds `key` in table t: its position, or GXT_NONE. Reader-safe. */
static inline uint64_t tab_find(const gxt_tab *t, uint64_t key, uint64_t h)
{
    uint64_t mask = t->cap - 1;
    for (uint64_t n = 0, i = h & mask; n < t->cap; n++, i = (i + 1) & mask) {
        uint32_t st = atomic_load_explicit(&t->ent[i].state, memory_order_acquire);
        if (st == GXT_EMPTY) return GXT_NONE;
        if (st == GXT_FULL && atomic_load_explicit(&t->ent[i].key, memory_order_relaxed) == key) return i;
    }
    return GXT_NONE;
}

/* ---- readers ----------------------------------------------------------------------------- */

uint64_t gxt_enter(const gxt *cx)
{
    gxt *x = (gxt *)cx;
    uint64_t e = atomic_load(&x->epoch) & 1;
    atomic_fetch_add(&x->readers[e], 1);
    return e;
}

void gxt_leave(const gxt *cx, uint64_t e) { atomic_fetch_sub(&((gxt *)cx)->readers[e], 1); }

void gxt_synchronize(gxt *x)
{
    for (int phase = 0; phase < 2; phase++) {
        uint64_t e = atomic_load(&x->epoch) & 1;
        atomic_store(&x->epoch, e ^ 1);
        while (atomic_load(&x->readers[e]) != 0) sched_yield();
    }
}

uint64_t gxt_find(const gxt *x, uint64_t key, uint64_t ex, uint32_t now, const gxt_tab **tp)
{
    uint64_t hh = gxt_hash(key);
    const gxt_tab *t = atomic_load_explicit(&x->sh[hh >> (64 - GXT_SHARD_BITS)].t, memory_order_acquire);
    uint64_t i = tab_find(t, key, hh);
    if (i == GXT_NONE) return GXT_NONE;
    if (gxt_expiring(x) && gxt_expired(x, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                                       atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now))
        return GXT_NONE;
    *tp = t;
    return i;
}

void gxt_stats(const gxt *x, uint64_t *live, uint64_t *admitted, uint64_t *evicted, uint64_t *expired,
               uint64_t *bytes)
{
    *live = atomic_load_explicit(&x->live, memory_order_relaxed);
    *admitted = atomic_load_explicit(&x->admitted, memory_order_relaxed);
    *evicted = atomic_load_explicit(&x->evicted, memory_order_relaxed);
    *expired = atomic_load_explicit(&x->expired, memory_order_relaxed);
    *bytes = atomic_load_explicit(&x->bytes, memory_order_relaxed);
}

uint64_t gxt_max_live(const gxt *x) { return x->max_live; }

/* ---- writer: table maintenance ----------------------------------------------------------- */

/* Rebuilds shard s into a table of `cap` entries (grow, same-size rehash, shrink). Content-
 * preserving: on ENOMEM nothing changed. */
static int gxt_rebuild(gxt *x, int s, uint64_t cap)
{
    gxt_shard *sh = &x->sh[s];
    gxt_tab *old = atomic_load_explicit(&sh->t, memory_order_relaxed);
    gxt_tab *t = tab_new(x, cap);
    if (!t)
        return gerr(GROWTH_ENOMEM, "%s: out of memory growing a table=exact shard to %llu entries", x->p.name,
                    (unsigned long long)cap);
    uint64_t mask = cap - 1, live = 0;
    for (uint64_t i = 0; i < old->cap; i++) {
        if (atomic_load_explicit(&old->ent[i].state, memory_order_relaxed) != GXT_FULL) continue;
        uint64_t key = atomic_load_explicit(&old->ent[i].key, memory_order_relaxed);
        uint64_t j = gxt_hash(key) & mask;
        while (atomic_load_explicit(&t->ent[j].state, memory_order_relaxed) != GXT_EMPTY) j = (j + 1) & mask;
        atomic_store_explicit(&t->ent[j].key, key, memory_order_relaxed);
        atomic_store_explicit(&t->ent[j].stamp,
                              atomic_load_explicit(&old->ent[i].stamp, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&t->ent[j].secs, atomic_load_explicit(&old->ent[i].secs, memory_order_relaxed),
                              memory_order_relaxed);
        rec_copy(x, old, i, t, j);
        atomic_store_explicit(&t->ent[j].state, GXT_FULL, memory_order_relaxed);
        live++;
    }
    atomic_store_explicit(&sh->t, t, memory_order_release);
    gxt_synchronize(x);
    cnt_add(&x->bytes, (int64_t)t->bytes - (int64_t)old->bytes);
    tab_free(old);
    sh->live = sh->used = live;
    sh->hand = 0;
    return GROWTH_OK;
}

/* Makes room in shard s for `need` more inserts (content-preserving; ENOMEM leaves it as it was). */
static int gxt_reserve(gxt *x, int s, uint64_t need)
{
    gxt_shard *sh = &x->sh[s];
    for (;;) {
        gxt_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
        uint64_t cap = t->cap;
        bool at_max = x->cap_max && cap >= x->cap_max;
        if (!at_max && (sh->live + need) * 10 > cap * 7) {
            int rc = gxt_rebuild(x, s, cap * 2);
            if (rc) return rc;
            continue;
        }
        if ((sh->used + need) * 10 > cap * 9) {
            if (sh->used == sh->live) return GROWTH_OK; /* nothing to drop: inserts beyond are refused */
            return gxt_rebuild(x, s, cap);
        }
        return GROWTH_OK;
    }
}

/* Removes entry i of shard s (the owner's callback, then state, then the records). */
static void gxt_remove(gxt *x, int s, gxt_tab *t, uint64_t i, _Atomic uint64_t *counter)
{
    if (x->p.on_remove) x->p.on_remove(x->p.user, t, i);
    atomic_store_explicit(&t->ent[i].state, GXT_DEAD, memory_order_release);
    rec_zero(x, t, i);
    x->sh[s].live--;
    cnt_add(&x->live, -1);
    cnt_add(counter, 1);
}

/* Evicts the least recently updated of GXT_SAMPLE live entries from the hand (expired ones
 * first); entries stamped `ex` (this row's) are spared. Returns whether one was evicted. */
static bool gxt_evict(gxt *x, int s, uint64_t ex, uint32_t now)
{
    gxt_shard *sh = &x->sh[s];
    gxt_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
    uint64_t mask = t->cap - 1, best = GXT_NONE, best_stamp = UINT64_MAX;
    int seen = 0;
    for (uint64_t n = 0; n < t->cap && seen < GXT_SAMPLE; n++) {
        uint64_t i = (sh->hand + n) & mask;
        if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) != GXT_FULL) continue;
        uint64_t st = atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed);
        if (st == ex) continue;
        seen++;
        if (gxt_expired(x, st, atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now)) {
            best = i;
            break;
        }
        if (st < best_stamp) best_stamp = st, best = i;
    }
    sh->hand = (sh->hand + GXT_SAMPLE) & mask;
    if (best == GXT_NONE) return false;
    gxt_remove(x, s, t, best, &x->evicted);
    return true;
}

/* Inserts key (not present) into shard s at example ex; returns its position or GXT_NONE when
 * the shard (or the live limit) is full or the owner refuses (the key is then not admitted). */
static uint64_t gxt_insert(gxt *x, int s, uint64_t key, uint64_t hh, uint64_t ex, uint32_t now)
{
    gxt_shard *sh = &x->sh[s];
    gxt_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
    if (x->cap_max && t->cap >= x->cap_max && sh->live * 10 >= t->cap * 7) gxt_evict(x, s, ex, now);
    if (x->max_live && atomic_load_explicit(&x->live, memory_order_relaxed) >= x->max_live) {
        /* at the live limit: evict in this shard, else in the next shard (from a rotating hand)
         * that has an entry this row has not updated */
        bool ok = gxt_evict(x, s, ex, now);
        for (int n = 0; !ok && n < GXT_SHARDS; n++) {
            int o = (int)(x->shard_hand++ % GXT_SHARDS);
            if (o != s && x->sh[o].live > 0) ok = gxt_evict(x, o, ex, now);
        }
        if (!ok || atomic_load_explicit(&x->live, memory_order_relaxed) >= x->max_live) return GXT_NONE;
    }
    uint64_t mask = t->cap - 1, i = hh & mask, dead = GXT_NONE;
    for (uint64_t n = 0; n < t->cap; n++, i = (i + 1) & mask) {
        uint32_t st = atomic_load_explicit(&t->ent[i].state, memory_order_relaxed);
        if (st == GXT_EMPTY) break;
        if (st == GXT_DEAD && dead == GXT_NONE) dead = i;
    }
    if (dead == GXT_NONE && (sh->used + 1) * 10 > t->cap * 9) return GXT_NONE;
    if (dead != GXT_NONE) i = dead;
    if (x->p.on_insert && !x->p.on_insert(x->p.user, t, i, key)) return GXT_NONE;
    if (dead == GXT_NONE) sh->used++;
    atomic_store_explicit(&t->ent[i].key, key, memory_order_relaxed);
    atomic_store_explicit(&t->ent[i].stamp, ex, memory_order_relaxed);
    atomic_store_explicit(&t->ent[i].secs, now, memory_order_relaxed);
    atomic_store_explicit(&t->ent[i].state, GXT_FULL, memory_order_release);
    sh->live++;
    cnt_add(&x->live, 1);
    cnt_add(&x->admitted, 1);
    return i;
}

/* Count-min sketch: counts one more occurrence of key, returns its (conservative) count. */
static unsigned gxt_sketch_count(gxt *x, uint64_t key)
{
    uint64_t h = gmix64(key ^ 0x5851f42d4c957f2dULL), idx[GXT_DEPTH];
    unsigned mn = 255;
    for (int d = 0; d < GXT_DEPTH; d++) {
        uint64_t hd = gmix64(h + (uint64_t)d * 0x9e3779b97f4a7c15ULL);
        idx[d] = (uint64_t)d * x->sketch_w + (hd % x->sketch_w);
        if (x->sketch[idx[d]] < mn) mn = x->sketch[idx[d]];
    }
    if (mn < 255) {
        for (int d = 0; d < GXT_DEPTH; d++)
            if (x->sketch[idx[d]] == mn) x->sketch[idx[d]] = (uint8_t)(mn + 1);
        mn++;
    }
    /* Aging without a pause: after the first (4 x sketch_w) increments, every call halves the
     * counter at a cursor, so each counter is halved once per (4 x sketch_w) increments. */
    if (x->sketch_aging) x->sketch[x->sketch_incs] >>= 1;
    if (++x->sketch_incs >= x->sketch_w * GXT_DEPTH) x->sketch_incs = 0, x->sketch_aging = true;
    return mn;
}

static bool gxt_admit(gxt *x, uint64_t key, grng *rng)
{
    if (x->p.admit > 1 && gxt_sketch_count(x, key) < (unsigned)x->p.admit) return false;
    if (x->p.admit_prob < 1.0) return grng_uniform(rng) < x->p.admit_prob;
    return true;
}

/* Advances the expiry sweep by `steps` entries. */
static void gxt_sweep(gxt *x, uint64_t steps, uint64_t ex, uint32_t now)
{
    while (steps > 0) {
        int s = (int)(x->cursor >> 40);
        uint64_t i = x->cursor & ((UINT64_C(1) << 40) - 1);
        gxt_shard *sh = &x->sh[s];
        gxt_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
        for (; i < t->cap && steps > 0; i++, steps--) {
            if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) != GXT_FULL) continue;
            if (gxt_expired(x, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                            atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now))
                gxt_remove(x, s, t, i, &x->expired);
        }
        if (i >= t->cap) {
            /* End of a shard: give back memory when it is mostly empty (failure: keep it). */
            if (t->cap > GXT_MIN_CAP && sh->live * 8 < t->cap) {
                uint64_t c = t->cap;
                while (c > GXT_MIN_CAP && sh->live * 4 < c / 2) c /= 2;
                (void)gxt_rebuild(x, s, c);
            }
            x->cursor = (uint64_t)((s + 1) % GXT_SHARDS) << 40;
        } else {
            x->cursor = ((uint64_t)s << 40) | i;
        }
    }
}

void gxt_advance(gxt *x, uint64_t ex_next, uint32_t now)
{
    if (!gxt_expiring(x)) return;
    uint64_t total = atomic_load_explicit(&x->bytes, memory_order_relaxed) / x->ent_bytes;
    uint64_t steps = 16 + (x->p.expire > 0 ? 2 * total / (uint64_t)x->p.expire : 0);
    gxt_sweep(x, steps, ex_next, now);
}

gxt_tab *gxt_at(gxt *x, uint64_t pos, uint64_t *i)
{
    *i = pos & ((UINT64_C(1) << 56) - 1);
    return atomic_load_explicit(&x->sh[pos >> 56].t, memory_order_relaxed);
}

int gxt_resolve(gxt *x, const uint64_t *k64, const uint32_t *k32, size_t nnz, uint64_t ex, uint32_t now,
                grng *rng, const uint64_t **pos_out)
{
    if (nnz > x->pos_cap) {
        size_t cap = nnz < 256 ? 256 : nnz * 2;
        uint64_t *np = realloc(x->pos, cap * sizeof *np);
        if (!np) return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu entries", x->p.name, nnz);
        x->pos = np;
        x->pos_cap = cap;
    }
    const bool expiring = gxt_expiring(x);
    uint64_t *pos = x->pos;
    /* Find every key, and reserve room for the keys without a (live) entry, shard by shard:
     * content-preserving. The positions found stay valid unless a shard was rebuilt. */
    uint32_t missing[GXT_SHARDS] = {0};
    for (size_t k = 0; k < nnz; k++) {
        uint64_t key = k64 ? k64[k] : (uint64_t)k32[k], hh = gxt_hash(key);
        int s = (int)(hh >> (64 - GXT_SHARD_BITS));
        gxt_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        uint64_t i = tab_find(t, key, hh);
        pos[k] = i == GXT_NONE ? GXT_NONE : ((uint64_t)s << 56) | i;
        if (i == GXT_NONE) missing[s]++;
    }
    bool rebuilt = false;
    for (int s = 0; s < GXT_SHARDS; s++)
        if (missing[s]) {
            gxt_tab *before = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
            int rc = gxt_reserve(x, s, missing[s]);
            if (rc) return rc;
            rebuilt |= atomic_load_explicit(&x->sh[s].t, memory_order_relaxed) != before;
        }
    /* From here on nothing fails. Resolve every key: stamp the live ones first (so evictions
     * for this row's inserts spare them), then admit and insert the others. */
    for (size_t k = 0; k < nnz; k++) {
        int s;
        uint64_t i;
        if (rebuilt) {
            uint64_t key = k64 ? k64[k] : (uint64_t)k32[k], hh = gxt_hash(key);
            s = (int)(hh >> (64 - GXT_SHARD_BITS));
            i = tab_find(atomic_load_explicit(&x->sh[s].t, memory_order_relaxed), key, hh);
        } else {
            if (pos[k] == GXT_NONE) continue;
            s = (int)(pos[k] >> 56);
            i = pos[k] & ((UINT64_C(1) << 56) - 1);
        }
        gxt_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        pos[k] = GXT_NONE;
        if (i == GXT_NONE) continue;
        /* a key repeated in the row whose entry the first occurrence found expired */
        if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) != GXT_FULL) continue;
        if (expiring && gxt_expired(x, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                                    atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now)) {
            gxt_remove(x, s, t, i, &x->expired);
            continue;
        }
        atomic_store_explicit(&t->ent[i].stamp, ex, memory_order_relaxed);
        atomic_store_explicit(&t->ent[i].secs, now, memory_order_relaxed);
        pos[k] = ((uint64_t)s << 56) | i;
    }
    for (size_t k = 0; k < nnz; k++) {
        if (pos[k] != GXT_NONE) continue;
        uint64_t key = k64 ? k64[k] : (uint64_t)k32[k], hh = gxt_hash(key);
        int s = (int)(hh >> (64 - GXT_SHARD_BITS));
        gxt_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        uint64_t i = tab_find(t, key, hh); /* inserted earlier in this row? */
        if (i == GXT_NONE) {
            if (!gxt_admit(x, key, rng)) continue;
            i = gxt_insert(x, s, key, hh, ex, now);
            if (i == GXT_NONE) continue;
        }
        pos[k] = ((uint64_t)s << 56) | i;
    }
    *pos_out = pos;
    return GROWTH_OK;
}

/* ---- creation, snapshots, loading -------------------------------------------------------- */

int gxt_create(gxt **out, const gxt_params *p, const char *who)
{
    size_t ent_bytes =
        sizeof(gxt_ent) + p->nf * sizeof(float) + p->nh * sizeof(uint16_t) + p->nu * sizeof(uint32_t);
    uint64_t sketch_bytes = p->admit > 1 ? (uint64_t)p->admit_sketch : 0;
    uint64_t cap_max = 0, max_live = p->max_live;
    if (p->max_memory > 0) {
        double budget = (double)p->max_memory - (double)sketch_bytes - (double)sizeof(gxt);
        double one = (double)(GXT_SHARDS + 1) * (double)ent_bytes;
        double least = one * GXT_MIN_CAP + (p->live_bytes > 0 ? p->live_bytes : 0.0);
        if (budget < least)
            return gerr(
                GROWTH_ENOMEM,
                "%s: max_memory=%lld is too small for table=exact: at least %.0f bytes (257 shards of %d "
                "entries of %zu bytes%s%s)",
                who, (long long)p->max_memory, least + (double)sketch_bytes + sizeof(gxt), GXT_MIN_CAP,
                ent_bytes, sketch_bytes ? " and the admission sketch" : "",
                p->live_bytes > 0 ? " and one feature" : "");
        if (p->live_bytes <= 0) {
            cap_max = GXT_MIN_CAP;
            while ((double)cap_max * 2 * one <= budget) cap_max *= 2;
        } else {
            /* The shard capacity that lets the most features live: the table's worst case
             * (257 shards at C) plus live_bytes for each of at most 0.7 C x 256 live entries. */
            double best = 0;
            for (uint64_t c = GXT_MIN_CAP; (double)c * one <= budget; c *= 2) {
                double by_table = (double)(c * 7 / 10) * GXT_SHARDS;
                double by_bytes = floor((budget - (double)c * one) / p->live_bytes);
                double l = by_table < by_bytes ? by_table : by_bytes;
                if (l > best) best = l, cap_max = c;
            }
            if (best < 1 || cap_max == 0)
                return gerr(GROWTH_ENOMEM, "%s: max_memory=%lld is too small for table=exact", who,
                            (long long)p->max_memory);
            if (!max_live || (uint64_t)best < max_live) max_live = (uint64_t)best;
        }
    }
    char what[128];
    snprintf(what, sizeof what, "%s: table=exact (admission sketch and %d empty shards)", who, GXT_SHARDS);
    int rc = gmem_reserve(what, (double)sketch_bytes + (double)GXT_SHARDS * GXT_MIN_CAP * (double)ent_bytes,
                          (uint64_t)p->max_memory);
    if (rc) return rc;
    gxt *x = calloc(1, sizeof *x);
    if (!x) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    x->p = *p;
    x->ent_bytes = ent_bytes;
    x->cap_max = cap_max;
    x->max_live = max_live;
    if (sketch_bytes) {
        x->sketch_w = sketch_bytes / GXT_DEPTH;
        x->sketch = calloc((size_t)(x->sketch_w * GXT_DEPTH), 1);
        if (!x->sketch) goto oom;
    }
    uint64_t bytes = sketch_bytes;
    for (int s = 0; s < GXT_SHARDS; s++) {
        gxt_tab *t = tab_new(x, GXT_MIN_CAP);
        if (!t) goto oom;
        atomic_init(&x->sh[s].t, t);
        bytes += t->bytes;
    }
    atomic_init(&x->bytes, bytes);
    *out = x;
    return GROWTH_OK;
oom:
    gxt_free(x);
    return gerr(GROWTH_ENOMEM, "%s: out of memory for table=exact", who);
}

void gxt_free(gxt *x)
{
    if (!x) return;
    for (int s = 0; s < GXT_SHARDS; s++) tab_free(atomic_load_explicit(&x->sh[s].t, memory_order_relaxed));
    free(x->sketch);
    free(x->pos);
    free(x);
}

static int ref_cmp(const void *a, const void *b)
{
    uint64_t x = ((const gxt_ref *)a)->key, y = ((const gxt_ref *)b)->key;
    return (x > y) - (x < y);
}

int gxt_snapshot(const gxt *x, bool (*keep)(void *user, const gxt_tab *t, uint64_t i), void *user,
                 gxt_ref **refs, size_t *n)
{
    size_t cnt = 0;
    for (int s = 0; s < GXT_SHARDS; s++) {
        const gxt_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        for (uint64_t i = 0; i < t->cap; i++)
            if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) == GXT_FULL && keep(user, t, i))
                cnt++;
    }
    gxt_ref *ord = malloc((cnt ? cnt : 1) * sizeof *ord);
    if (!ord) return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu keys", x->p.name, cnt);
    size_t j = 0;
    for (int s = 0; s < GXT_SHARDS; s++) {
        const gxt_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        for (uint64_t i = 0; i < t->cap; i++)
            if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) == GXT_FULL && keep(user, t, i))
                ord[j++] = (gxt_ref){atomic_load_explicit(&t->ent[i].key, memory_order_relaxed), t, i};
    }
    qsort(ord, cnt, sizeof *ord, ref_cmp);
    *refs = ord;
    *n = cnt;
    return GROWTH_OK;
}

int gxt_load(gxt *x, uint64_t key, uint64_t stamp, gxt_tab **tp, uint64_t *ip)
{
    uint64_t hh = gxt_hash(key);
    int sh = (int)(hh >> (64 - GXT_SHARD_BITS));
    gxt_tab *t = atomic_load_explicit(&x->sh[sh].t, memory_order_relaxed);
    if (tab_find(t, key, hh) != GXT_NONE)
        return gerr(GROWTH_EFORMAT, "%s: key %llu appears twice", x->p.name, (unsigned long long)key);
    int rc = gxt_reserve(x, sh, 1);
    if (rc) return rc;
    *ip = gxt_insert(x, sh, key, hh, stamp, gxt_now(x));
    *tp = atomic_load_explicit(&x->sh[sh].t, memory_order_relaxed);
    return GROWTH_OK;
}

void gxt_loaded(gxt *x)
{
    atomic_store_explicit(&x->admitted, 0, memory_order_relaxed);
    atomic_store_explicit(&x->evicted, 0, memory_order_relaxed);
    atomic_store_explicit(&x->expired, 0, memory_order_relaxed);
}

void gxt_sketch_get(const gxt *x, const uint8_t **counters, size_t *n, uint64_t *cursor, bool *aging)
{
    *counters = x->sketch;
    *n = x->sketch ? (size_t)(x->sketch_w * GXT_DEPTH) : 0;
    *cursor = x->sketch ? x->sketch_incs : 0;
    *aging = x->sketch ? x->sketch_aging : false;
}

int gxt_sketch_set(gxt *x, const char *who, const uint8_t *counters, size_t n, uint64_t cursor, bool aging)
{
    size_t have = x->sketch ? (size_t)(x->sketch_w * GXT_DEPTH) : 0;
    if (n == 0 && cursor == 0 && !aging) return GROWTH_OK; /* no sketch saved: count afresh */
    if (!x->sketch)
        return gerr(GROWTH_EFORMAT,
                    "%s: the file holds an admission sketch of %zu counters but the model has none "
                    "(admit=%lld)",
                    who, n, (long long)x->p.admit);
    if (n != have)
        return gerr(GROWTH_EFORMAT,
                    "%s: the admission sketch holds %zu counters, the model's admit_sketch=%lld needs %zu "
                    "(truncated or damaged)",
                    who, n, (long long)x->p.admit_sketch, have);
    if (cursor >= have)
        return gerr(GROWTH_EFORMAT,
                    "%s: the admission sketch's aging cursor %llu is not below its %zu counters", who,
                    (unsigned long long)cursor, have);
    memcpy(x->sketch, counters, n);
    x->sketch_incs = cursor;
    x->sketch_aging = aging;
    return GROWTH_OK;
}

/* ---- copies (undo) ------------------------------------------------------------------------- */

struct gxt_copy {
    gxt_tab *t[GXT_SHARDS];
    uint64_t live[GXT_SHARDS], used[GXT_SHARDS], hand[GXT_SHARDS];
    uint8_t *sketch;
    uint64_t sketch_incs, cursor, shard_hand;
    bool sketch_aging;
    uint64_t n_live, admitted, evicted, expired;
};

void gxt_copy_free(gxt_copy *c)
{
    if (!c) return;
    for (int s = 0; s < GXT_SHARDS; s++) tab_free(c->t[s]);
    free(c->sketch);
    free(c);
}

uint64_t gxt_copy_bytes(const gxt *x)
{
    uint64_t b = x->sketch ? x->sketch_w * GXT_DEPTH : 0;
    for (int s = 0; s < GXT_SHARDS; s++) b += atomic_load_explicit(&x->sh[s].t, memory_order_relaxed)->bytes;
    return b;
}

int gxt_copy_take(const gxt *x, const char *who, gxt_copy **out)
{
    gxt_copy *c = calloc(1, sizeof *c);
    if (!c) return gerr(GROWTH_ENOMEM, "%s: out of memory for a copy of the keyed table", who);
    const size_t nf = x->p.nf, nh = x->p.nh, nu = x->p.nu;
    for (int s = 0; s < GXT_SHARDS; s++) {
        const gxt_tab *a = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        gxt_tab *t = tab_new(x, a->cap);
        if (!t) {
            gxt_copy_free(c);
            return gerr(GROWTH_ENOMEM, "%s: out of memory for a copy of the keyed table (%llu bytes)", who,
                        (unsigned long long)gxt_copy_bytes(x));
        }
        c->t[s] = t;
        for (uint64_t i = 0; i < a->cap; i++) {
            atomic_store_explicit(&t->ent[i].key, atomic_load_explicit(&a->ent[i].key, memory_order_relaxed),
                                  memory_order_relaxed);
            atomic_store_explicit(&t->ent[i].stamp,
                                  atomic_load_explicit(&a->ent[i].stamp, memory_order_relaxed),
                                  memory_order_relaxed);
            atomic_store_explicit(&t->ent[i].secs,
                                  atomic_load_explicit(&a->ent[i].secs, memory_order_relaxed),
                                  memory_order_relaxed);
            atomic_store_explicit(&t->ent[i].state,
                                  atomic_load_explicit(&a->ent[i].state, memory_order_relaxed),
                                  memory_order_relaxed);
        }
        for (size_t k = 0; k < (size_t)a->cap * nf; k++)
            atomic_store_explicit(&t->tf[k], atomic_load_explicit(&a->tf[k], memory_order_relaxed),
                                  memory_order_relaxed);
        for (size_t k = 0; k < (size_t)a->cap * nh; k++)
            atomic_store_explicit(&t->tc[k], atomic_load_explicit(&a->tc[k], memory_order_relaxed),
                                  memory_order_relaxed);
        for (size_t k = 0; k < (size_t)a->cap * nu; k++)
            atomic_store_explicit(&t->tu[k], atomic_load_explicit(&a->tu[k], memory_order_relaxed),
                                  memory_order_relaxed);
        c->live[s] = x->sh[s].live;
        c->used[s] = x->sh[s].used;
        c->hand[s] = x->sh[s].hand;
    }
    if (x->sketch) {
        size_t n = (size_t)(x->sketch_w * GXT_DEPTH);
        if (!(c->sketch = malloc(n))) {
            gxt_copy_free(c);
            return gerr(GROWTH_ENOMEM, "%s: out of memory for a copy of the admission sketch", who);
        }
        memcpy(c->sketch, x->sketch, n);
    }
    c->sketch_incs = x->sketch_incs;
    c->sketch_aging = x->sketch_aging;
    c->cursor = x->cursor;
    c->shard_hand = x->shard_hand;
    c->n_live = atomic_load_explicit(&x->live, memory_order_relaxed);
    c->admitted = atomic_load_explicit(&x->admitted, memory_order_relaxed);
    c->evicted = atomic_load_explicit(&x->evicted, memory_order_relaxed);
    c->expired = atomic_load_explicit(&x->expired, memory_order_relaxed);
    *out = c;
    return GROWTH_OK;
}

void gxt_copy_restore(gxt *x, gxt_copy *c)
{
    gxt_tab *old[GXT_SHARDS];
    uint64_t bytes = 0;
    for (int s = 0; s < GXT_SHARDS; s++) {
        old[s] = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        atomic_store_explicit(&x->sh[s].t, c->t[s], memory_order_release);
        bytes += c->t[s]->bytes;
        c->t[s] = NULL;
        x->sh[s].live = c->live[s];
        x->sh[s].used = c->used[s];
        x->sh[s].hand = c->hand[s];
    }
    gxt_synchronize(x);
    for (int s = 0; s < GXT_SHARDS; s++) tab_free(old[s]);
    if (x->sketch) {
        memcpy(x->sketch, c->sketch, (size_t)(x->sketch_w * GXT_DEPTH));
        bytes += x->sketch_w * GXT_DEPTH;
    }
    x->sketch_incs = c->sketch_incs;
    x->sketch_aging = c->sketch_aging;
    x->cursor = c->cursor;
    x->shard_hand = c->shard_hand;
    atomic_store_explicit(&x->live, c->n_live, memory_order_relaxed);
    atomic_store_explicit(&x->admitted, c->admitted, memory_order_relaxed);
    atomic_store_explicit(&x->evicted, c->evicted, memory_order_relaxed);
    atomic_store_explicit(&x->expired, c->expired, memory_order_relaxed);
    atomic_store_explicit(&x->bytes, bytes, memory_order_relaxed);
    gxt_copy_free(c);
}
