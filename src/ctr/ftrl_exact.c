/* table=exact: FTRL statistics keyed by the full 64-bit feature key, with admission, expiry and
 * a memory cap (Monolith's collision-free, expirable embeddings; McMahan et al. KDD 2013,
 * section 5.1, "probabilistic feature inclusion": count-based via a counting sketch, or Poisson).
 *
 * Layout. FX_SHARDS (256) open-addressing tables with linear probing, chosen by the top 8 bits
 * of gmix64(key); the position inside a shard by the low bits. Each shard grows (doubles) on its
 * own, so the writer's pause when a table grows is the copy of one shard, 1/256 of the model.
 * An entry is {key, stamp (example index of its last update), seconds of its last update,
 * state (empty / full / deleted)}; its statistics are H records of the same shape as the
 * hashed table's ([z, sqrt n, w, pad] floats or 3 bfloat16) in a parallel array.
 *
 * Concurrency. One writer (m->lock), lock-free readers. The writer publishes an entry by
 * writing its key, stamp and (zeroed) records, then storing state = full with release order;
 * a reader loads the state with acquire order, then the key. Deleting stores state = deleted
 * and zeroes the records: a racing reader sees the old statistics or zeros. Deleted entries
 * are tombstones the probe walks past; an insert reuses the first one on its path. Growing
 * (and the same-size rehash that drops tombstones, and shrinking) is copy-and-swap, RCU style:
 * the writer fills a new table while readers keep using the old one (no longer written),
 * stores the new pointer with release order, then waits for a grace period and frees the old
 * table. The grace period is the classic two-counter scheme (userspace RCU's): a reader
 * increments readers[epoch] before loading table pointers and decrements it after; the writer
 * flips the epoch and waits for the old counter to drain, twice. Readers never wait; the
 * writer waits for the predictions that were in flight when it swapped.
 *
 * Admission. admit=N > 1: a count-min sketch of 4 rows x (admit_sketch / 4) saturating 8-bit
 * counters with conservative update counts the occurrences of keys without a record; a key
 * gets its record at its N-th occurrence in a training row (and is trained on in that row).
 * After the first admit_sketch increments, each count is halved once per admit_sketch
 * increments (a cursor halves one counter per increment: no pause), so the counts of one-off keys age out instead of saturating the sketch. admit_prob=p: an eligible occurrence is admitted
 * with probability p (the model's seeded generator, so a replay of the same stream admits
 * the same keys). A key without a record contributes weight 0 and is not trained.
 *
 * Expiry. expire=N: an entry whose last update is N or more examples before the current one
 * (stamp + N < example index + 1, i.e. example - stamp > N) is expired: predictions treat it as
 * absent, training re-admits it fresh (through the sketch when admit > 1), and the writer's
 * sweep (a cursor advancing over every shard, 16 + 2 x capacity / expire entries per example)
 * deletes it and shrinks a shard below 1/8 occupancy, returning its memory. expire_seconds=S
 * does the same with the wall clock (CLOCK_REALTIME seconds, so it survives save / load).
 *
 * Memory cap. With max_memory > 0, the largest per-shard capacity C is the largest power of
 * two such that 257 shards of C entries (256 plus the transient copy of one being rebuilt) and
 * the sketch fit in max_memory; a shard at C keeps at most 0.7 C live entries and evicts
 * before inserting: the least recently updated of 16 live entries sampled from a per-shard
 * clock hand (Redis's sampled LRU; expired entries first). Entries updated by the current row
 * are never evicted by it. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ftrl_impl.h"

#define FX_SHARDS     256
#define FX_SHARD_BITS 8
#define FX_MIN_CAP    16
#define FX_EMPTY      0u
#define FX_FULL       1u
#define FX_DEAD       2u
#define FX_NONE       UINT64_MAX
#define FX_SAMPLE     16
#define FX_DEPTH      4

typedef struct {
    _Atomic uint64_t key;
    _Atomic uint64_t stamp; /* example index of the last update */
    _Atomic uint32_t secs;  /* wall-clock seconds of the last update (low 32 bits) */
    _Atomic uint32_t state;
} fx_ent;

typedef struct {
    uint64_t cap; /* power of two */
    fx_ent *ent;
    _Atomic float *tf;
    _Atomic uint16_t *tc;
    size_t bytes;
} fx_tab;

typedef struct {
    _Atomic(fx_tab *) t;
    uint64_t live, used; /* full entries; full + deleted entries (writer-only) */
    uint64_t hand;       /* eviction clock hand */
} fx_shard;

struct ftrl_exact {
    fx_shard sh[FX_SHARDS];
    _Atomic uint64_t epoch;
    _Atomic uint64_t readers[2];
    uint8_t *sketch; /* FX_DEPTH rows of sketch_w counters */
    uint64_t sketch_w, sketch_incs;
    bool sketch_aging;
    uint64_t cursor;  /* expiry sweep: shard << 40 | position */
    uint64_t cap_max; /* per-shard capacity limit (0: none) */
    size_t ent_bytes; /* bytes per entry: fx_ent + H records */
    _Atomic uint64_t live, admitted, evicted, expired, bytes;
    uint64_t *pos; /* writer scratch: shard << 56 | position, or FX_NONE */
    size_t pos_cap;
};

/* ---- helpers ----------------------------------------------------------------------------- */

static inline size_t fx_stride(const growth_ftrl *m) { return m->cfg.precision == FTRL_FLOAT ? 4 : 3; }

static inline float rec_w(const growth_ftrl *m, const fx_tab *t, size_t wpos)
{
    if (t->tf) return atomic_load_explicit(&t->tf[wpos * 4 + 2], memory_order_relaxed);
    return gbf16_to_f(atomic_load_explicit(&t->tc[wpos * 3 + 2], memory_order_relaxed));
    (void)m;
}

static inline void rec_get(const fx_tab *t, size_t wpos, float *z, float *s)
{
    if (t->tf) {
        *z = atomic_load_explicit(&t->tf[wpos * 4], memory_order_relaxed);
        *s = atomic_load_explicit(&t->tf[wpos * 4 + 1], memory_order_relaxed);
    } else {
        *z = gbf16_to_f(atomic_load_explicit(&t->tc[wpos * 3], memory_order_relaxed));
        *s = gbf16_to_f(atomic_load_explicit(&t->tc[wpos * 3 + 1], memory_order_relaxed));
    }
}

static inline void rec_put(const growth_ftrl *m, fx_tab *t, size_t wpos, float z, float s, uint64_t rbits,
                           bool nearest)
{
    if (t->tf) {
        atomic_store_explicit(&t->tf[wpos * 4], z, memory_order_relaxed);
        atomic_store_explicit(&t->tf[wpos * 4 + 1], s, memory_order_relaxed);
        atomic_store_explicit(&t->tf[wpos * 4 + 2], ftrl_weight_of(m, z, s), memory_order_relaxed);
    } else {
        uint16_t bz = nearest ? gf_to_bf16_nearest(z) : gf_to_bf16_sr(z, (uint32_t)rbits);
        uint16_t bs = nearest ? gf_to_bf16_nearest(s) : gf_to_bf16_sr(s, (uint32_t)(rbits >> 16));
        atomic_store_explicit(&t->tc[wpos * 3], bz, memory_order_relaxed);
        atomic_store_explicit(&t->tc[wpos * 3 + 1], bs, memory_order_relaxed);
        float w = ftrl_weight_of(m, gbf16_to_f(bz), gbf16_to_f(bs));
        atomic_store_explicit(&t->tc[wpos * 3 + 2], gf_to_bf16_nearest(w), memory_order_relaxed);
    }
}

/* Copies entry i's records of table a into entry j of table b (same precision and H). */
static void rec_copy(const growth_ftrl *m, const fx_tab *a, uint64_t i, fx_tab *b, uint64_t j)
{
    size_t n = (size_t)m->H * fx_stride(m);
    for (size_t k = 0; k < n; k++) {
        if (a->tf)
            atomic_store_explicit(&b->tf[j * n + k],
                                  atomic_load_explicit(&a->tf[i * n + k], memory_order_relaxed),
                                  memory_order_relaxed);
        else
            atomic_store_explicit(&b->tc[j * n + k],
                                  atomic_load_explicit(&a->tc[i * n + k], memory_order_relaxed),
                                  memory_order_relaxed);
    }
}

static void rec_zero(const growth_ftrl *m, fx_tab *t, uint64_t i)
{
    size_t n = (size_t)m->H * fx_stride(m);
    for (size_t k = 0; k < n; k++) {
        if (t->tf)
            atomic_store_explicit(&t->tf[i * n + k], 0.0f, memory_order_relaxed);
        else
            atomic_store_explicit(&t->tc[i * n + k], 0, memory_order_relaxed);
    }
}

static inline uint64_t fx_hash(uint64_t key) { return gmix64(key + 0x9e3779b97f4a7c15ULL); }

static uint32_t fx_now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)ts.tv_sec;
}

/* Whether an entry with these stamps is expired at example `ex` (examples trained so far). */
static inline bool fx_expired(const growth_ftrl *m, uint64_t stamp, uint32_t secs, uint64_t ex, uint32_t now)
{
    if (m->cfg.expire > 0 && ex - stamp > (uint64_t)m->cfg.expire) return true;
    if (m->cfg.expire_seconds > 0 && (uint32_t)(now - secs) > (uint64_t)m->cfg.expire_seconds) return true;
    return false;
}

static fx_tab *tab_new(const growth_ftrl *m, uint64_t cap)
{
    fx_tab *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cap = cap;
    size_t nrec = (size_t)cap * (size_t)m->H * fx_stride(m);
    t->ent = calloc((size_t)cap, sizeof *t->ent);
    if (m->cfg.precision == FTRL_FLOAT)
        t->tf = calloc(nrec, sizeof(float));
    else
        t->tc = calloc(nrec, sizeof(uint16_t));
    if (!t->ent || (!t->tf && !t->tc)) {
        free(t->ent);
        free((void *)t->tf);
        free((void *)t->tc);
        free(t);
        return NULL;
    }
    t->bytes = (size_t)cap * m->ex->ent_bytes;
    return t;
}

static void tab_free(fx_tab *t)
{
    if (!t) return;
    free(t->ent);
    free((void *)t->tf);
    free((void *)t->tc);
    free(t);
}

/* Finds `key` in table t: its position, or FX_NONE. Reader-safe. */
static inline uint64_t tab_find(const fx_tab *t, uint64_t key, uint64_t h)
{
    uint64_t mask = t->cap - 1;
    for (uint64_t n = 0, i = h & mask; n < t->cap; n++, i = (i + 1) & mask) {
        uint32_t st = atomic_load_explicit(&t->ent[i].state, memory_order_acquire);
        if (st == FX_EMPTY) return FX_NONE;
        if (st == FX_FULL && atomic_load_explicit(&t->ent[i].key, memory_order_relaxed) == key) return i;
    }
    return FX_NONE;
}

/* ---- readers ----------------------------------------------------------------------------- */

static inline uint64_t fx_enter(const growth_ftrl *m)
{
    ftrl_exact *x = m->ex;
    uint64_t e = atomic_load(&x->epoch) & 1;
    atomic_fetch_add(&x->readers[e], 1);
    return e;
}

static inline void fx_leave(const growth_ftrl *m, uint64_t e) { atomic_fetch_sub(&m->ex->readers[e], 1); }

/* Waits until every reader that may hold a pointer loaded before now has left. */
static void fx_synchronize(ftrl_exact *x)
{
    for (int phase = 0; phase < 2; phase++) {
        uint64_t e = atomic_load(&x->epoch) & 1;
        atomic_store(&x->epoch, e ^ 1);
        while (atomic_load(&x->readers[e]) != 0) sched_yield();
    }
}

/* Weight of key in head h at example `ex` (0 when absent or expired), inside a read section. */
static inline float fx_lookup_w(const growth_ftrl *m, uint64_t key, int h, uint64_t ex, uint32_t now)
{
    uint64_t hh = fx_hash(key);
    const fx_tab *t = atomic_load_explicit(&m->ex->sh[hh >> (64 - FX_SHARD_BITS)].t, memory_order_acquire);
    uint64_t i = tab_find(t, key, hh);
    if (i == FX_NONE) return 0.0f;
    if ((m->cfg.expire > 0 || m->cfg.expire_seconds > 0) &&
        fx_expired(m, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                   atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now))
        return 0.0f;
    return rec_w(m, t, (size_t)i * (size_t)m->H + (size_t)h);
}

void fx_margins(const growth_ftrl *m, const uint64_t *k64, const uint32_t *k32, const float *val, size_t nnz,
                float *margin)
{
    const int H = m->H;
    for (int h = 0; h < H; h++)
        margin[h] = m->cfg.bias ? atomic_load_explicit(&m->bias_w[h], memory_order_relaxed) : 0.0f;
    uint64_t ex = atomic_load_explicit(&m->examples, memory_order_relaxed);
    uint32_t now = m->cfg.expire_seconds > 0 ? fx_now_secs() : 0;
    uint64_t e = fx_enter(m);
    for (size_t k = 0; k < nnz; k++) {
        uint64_t key = k64 ? k64[k] : (uint64_t)k32[k];
        uint64_t hh = fx_hash(key);
        const fx_tab *t =
            atomic_load_explicit(&m->ex->sh[hh >> (64 - FX_SHARD_BITS)].t, memory_order_acquire);
        uint64_t i = tab_find(t, key, hh);
        if (i == FX_NONE) continue;
        if ((m->cfg.expire > 0 || m->cfg.expire_seconds > 0) &&
            fx_expired(m, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                       atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now))
            continue;
        float x = val ? val[k] : 1.0f;
        for (int h = 0; h < H; h++) margin[h] += rec_w(m, t, (size_t)i * (size_t)H + (size_t)h) * x;
    }
    fx_leave(m, e);
}

float fx_weight(const growth_ftrl *m, uint64_t key, int h)
{
    uint64_t ex = atomic_load_explicit(&m->examples, memory_order_relaxed);
    uint32_t now = m->cfg.expire_seconds > 0 ? fx_now_secs() : 0;
    uint64_t e = fx_enter(m);
    float w = fx_lookup_w(m, key, h, ex, now);
    fx_leave(m, e);
    return w;
}

void fx_stats(const growth_ftrl *m, uint64_t *live, uint64_t *admitted, uint64_t *evicted, uint64_t *expired,
              uint64_t *bytes)
{
    const ftrl_exact *x = m->ex;
    *live = atomic_load_explicit(&x->live, memory_order_relaxed);
    *admitted = atomic_load_explicit(&x->admitted, memory_order_relaxed);
    *evicted = atomic_load_explicit(&x->evicted, memory_order_relaxed);
    *expired = atomic_load_explicit(&x->expired, memory_order_relaxed);
    *bytes = atomic_load_explicit(&x->bytes, memory_order_relaxed);
}

/* ---- writer: table maintenance ----------------------------------------------------------- */

static inline void cnt_add(_Atomic uint64_t *c, int64_t d)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + (uint64_t)d,
                          memory_order_relaxed);
}

/* Rebuilds shard s into a table of `cap` entries (grow, same-size rehash, shrink). Content-
 * preserving: on ENOMEM nothing changed. */
static int fx_rebuild(growth_ftrl *m, int s, uint64_t cap)
{
    ftrl_exact *x = m->ex;
    fx_shard *sh = &x->sh[s];
    fx_tab *old = atomic_load_explicit(&sh->t, memory_order_relaxed);
    fx_tab *t = tab_new(m, cap);
    if (!t)
        return gerr(GROWTH_ENOMEM, "ftrl: out of memory growing a table=exact shard to %llu entries",
                    (unsigned long long)cap);
    uint64_t mask = cap - 1, live = 0;
    for (uint64_t i = 0; i < old->cap; i++) {
        if (atomic_load_explicit(&old->ent[i].state, memory_order_relaxed) != FX_FULL) continue;
        uint64_t key = atomic_load_explicit(&old->ent[i].key, memory_order_relaxed);
        uint64_t j = fx_hash(key) & mask;
        while (atomic_load_explicit(&t->ent[j].state, memory_order_relaxed) != FX_EMPTY) j = (j + 1) & mask;
        atomic_store_explicit(&t->ent[j].key, key, memory_order_relaxed);
        atomic_store_explicit(&t->ent[j].stamp,
                              atomic_load_explicit(&old->ent[i].stamp, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&t->ent[j].secs, atomic_load_explicit(&old->ent[i].secs, memory_order_relaxed),
                              memory_order_relaxed);
        rec_copy(m, old, i, t, j);
        atomic_store_explicit(&t->ent[j].state, FX_FULL, memory_order_relaxed);
        live++;
    }
    atomic_store_explicit(&sh->t, t, memory_order_release);
    fx_synchronize(x);
    cnt_add(&x->bytes, (int64_t)t->bytes - (int64_t)old->bytes);
    tab_free(old);
    sh->live = sh->used = live;
    sh->hand = 0;
    return GROWTH_OK;
}

/* Makes room in shard s for `need` more inserts (content-preserving; ENOMEM leaves it as it was). */
static int fx_reserve(growth_ftrl *m, int s, uint64_t need)
{
    ftrl_exact *x = m->ex;
    fx_shard *sh = &x->sh[s];
    for (;;) {
        fx_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
        uint64_t cap = t->cap;
        bool at_max = x->cap_max && cap >= x->cap_max;
        if (!at_max && (sh->live + need) * 10 > cap * 7) {
            int rc = fx_rebuild(m, s, cap * 2);
            if (rc) return rc;
            continue;
        }
        if ((sh->used + need) * 10 > cap * 9) {
            if (sh->used == sh->live) return GROWTH_OK; /* nothing to drop: inserts beyond are refused */
            return fx_rebuild(m, s, cap);
        }
        return GROWTH_OK;
    }
}

/* Deletes entry i of shard s (state first, then the records). */
static void fx_delete(growth_ftrl *m, int s, fx_tab *t, uint64_t i)
{
    atomic_store_explicit(&t->ent[i].state, FX_DEAD, memory_order_release);
    rec_zero(m, t, i);
    m->ex->sh[s].live--;
    cnt_add(&m->ex->live, -1);
    /* the non-zero counter follows the records */
}

static bool ent_nonzero(const growth_ftrl *m, const fx_tab *t, uint64_t i)
{
    for (int h = 0; h < m->H; h++)
        if (rec_w(m, t, (size_t)i * (size_t)m->H + (size_t)h) != 0.0f) return true;
    return false;
}

static void fx_remove(growth_ftrl *m, int s, fx_tab *t, uint64_t i, _Atomic uint64_t *counter)
{
    if (ent_nonzero(m, t, i)) cnt_add(&m->nonzero, -1);
    fx_delete(m, s, t, i);
    cnt_add(counter, 1);
}

/* Evicts the least recently updated of FX_SAMPLE live entries from the hand (expired ones
 * first); entries stamped `ex` (this row's) are spared. Returns whether one was evicted. */
static bool fx_evict(growth_ftrl *m, int s, uint64_t ex, uint32_t now)
{
    fx_shard *sh = &m->ex->sh[s];
    fx_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
    uint64_t mask = t->cap - 1, best = FX_NONE, best_stamp = UINT64_MAX;
    int seen = 0;
    for (uint64_t n = 0; n < t->cap && seen < FX_SAMPLE; n++) {
        uint64_t i = (sh->hand + n) & mask;
        if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) != FX_FULL) continue;
        uint64_t st = atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed);
        if (st == ex && m->cfg.expire == 0 && m->cfg.expire_seconds == 0) continue;
        if (st == ex) continue;
        seen++;
        if (fx_expired(m, st, atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now)) {
            best = i;
            break;
        }
        if (st < best_stamp) best_stamp = st, best = i;
    }
    sh->hand = (sh->hand + FX_SAMPLE) & mask;
    if (best == FX_NONE) return false;
    fx_remove(m, s, t, best, &m->ex->evicted);
    return true;
}

/* Inserts key (not present) into shard s at example ex; returns its position or FX_NONE when
 * the shard is full (the key is then not admitted). */
static uint64_t fx_insert(growth_ftrl *m, int s, uint64_t key, uint64_t hh, uint64_t ex, uint32_t now)
{
    ftrl_exact *x = m->ex;
    fx_shard *sh = &x->sh[s];
    fx_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
    if (x->cap_max && t->cap >= x->cap_max && sh->live * 10 >= t->cap * 7) fx_evict(m, s, ex, now);
    uint64_t mask = t->cap - 1, i = hh & mask, dead = FX_NONE;
    for (uint64_t n = 0; n < t->cap; n++, i = (i + 1) & mask) {
        uint32_t st = atomic_load_explicit(&t->ent[i].state, memory_order_relaxed);
        if (st == FX_EMPTY) break;
        if (st == FX_DEAD && dead == FX_NONE) dead = i;
    }
    if (dead == FX_NONE) {
        if ((sh->used + 1) * 10 > t->cap * 9) return FX_NONE;
        sh->used++;
    } else {
        i = dead;
    }
    atomic_store_explicit(&t->ent[i].key, key, memory_order_relaxed);
    atomic_store_explicit(&t->ent[i].stamp, ex, memory_order_relaxed);
    atomic_store_explicit(&t->ent[i].secs, now, memory_order_relaxed);
    atomic_store_explicit(&t->ent[i].state, FX_FULL, memory_order_release);
    sh->live++;
    cnt_add(&x->live, 1);
    cnt_add(&x->admitted, 1);
    return i;
}

/* Count-min sketch: counts one more occurrence of key, returns its (conservative) count. */
static unsigned fx_sketch_count(ftrl_exact *x, uint64_t key)
{
    uint64_t h = gmix64(key ^ 0x5851f42d4c957f2dULL), idx[FX_DEPTH];
    unsigned mn = 255;
    for (int d = 0; d < FX_DEPTH; d++) {
        uint64_t hd = gmix64(h + (uint64_t)d * 0x9e3779b97f4a7c15ULL);
        idx[d] = (uint64_t)d * x->sketch_w + (hd % x->sketch_w);
        if (x->sketch[idx[d]] < mn) mn = x->sketch[idx[d]];
    }
    if (mn < 255) {
        for (int d = 0; d < FX_DEPTH; d++)
            if (x->sketch[idx[d]] == mn) x->sketch[idx[d]] = (uint8_t)(mn + 1);
        mn++;
    }
    /* Aging without a pause: after the first (4 x sketch_w) increments, every call halves the
     * counter at a cursor, so each counter is halved once per (4 x sketch_w) increments. */
    if (x->sketch_aging) x->sketch[x->sketch_incs] >>= 1;
    if (++x->sketch_incs >= x->sketch_w * FX_DEPTH) x->sketch_incs = 0, x->sketch_aging = true;
    return mn;
}

static bool fx_admit(growth_ftrl *m, uint64_t key)
{
    ftrl_exact *x = m->ex;
    if (m->cfg.admit > 1 && fx_sketch_count(x, key) < (unsigned)m->cfg.admit) return false;
    if (m->cfg.admit_prob < 1.0) return grng_uniform(&m->rng) < m->cfg.admit_prob;
    return true;
}

/* Advances the expiry sweep by `steps` entries. */
static void fx_sweep(growth_ftrl *m, uint64_t steps, uint64_t ex, uint32_t now)
{
    ftrl_exact *x = m->ex;
    while (steps > 0) {
        int s = (int)(x->cursor >> 40);
        uint64_t i = x->cursor & ((UINT64_C(1) << 40) - 1);
        fx_shard *sh = &x->sh[s];
        fx_tab *t = atomic_load_explicit(&sh->t, memory_order_relaxed);
        for (; i < t->cap && steps > 0; i++, steps--) {
            if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) != FX_FULL) continue;
            if (fx_expired(m, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                           atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now))
                fx_remove(m, s, t, i, &x->expired);
        }
        if (i >= t->cap) {
            /* End of a shard: give back memory when it is mostly empty (failure: keep it). */
            if (t->cap > FX_MIN_CAP && sh->live * 8 < t->cap) {
                uint64_t c = t->cap;
                while (c > FX_MIN_CAP && sh->live * 4 < c / 2) c /= 2;
                (void)fx_rebuild(m, s, c);
            }
            x->cursor = (uint64_t)((s + 1) % FX_SHARDS) << 40;
        } else {
            x->cursor = ((uint64_t)s << 40) | i;
        }
    }
}

/* ---- writer: training -------------------------------------------------------------------- */

static inline void fx_step(const growth_ftrl *m, float *z, float *s, float w, float g)
{
    float s_new = sqrtf(*s * *s + g * g);
    float sigma = (s_new - *s) * m->inv_alpha;
    *z += g - sigma * w;
    *s = s_new;
}

int fx_apply(growth_ftrl *m, const uint64_t *k64, const uint32_t *k32, const float *val, size_t nnz,
             ftrl_grad_fn grad_fn, void *ctx, float *margins_out)
{
    ftrl_exact *x = m->ex;
    const int H = m->H;
    /* Scratch first (nothing changes on failure). */
    size_t need = nnz * (size_t)H;
    if (need > m->scratch_cap) {
        size_t cap = need < 256 ? 256 : need * 2;
        float *ns = realloc(m->scratch, cap * sizeof *ns);
        if (!ns) return gerr(GROWTH_ENOMEM, "ftrl: out of memory for a row of %zu entries", nnz);
        m->scratch = ns;
        m->scratch_cap = cap;
    }
    if (nnz > x->pos_cap) {
        size_t cap = nnz < 256 ? 256 : nnz * 2;
        uint64_t *np = realloc(x->pos, cap * sizeof *np);
        if (!np) return gerr(GROWTH_ENOMEM, "ftrl: out of memory for a row of %zu entries", nnz);
        x->pos = np;
        x->pos_cap = cap;
    }
    const bool expiring = m->cfg.expire > 0 || m->cfg.expire_seconds > 0;
    const uint64_t ex = atomic_load_explicit(&m->examples, memory_order_relaxed);
    const uint32_t now = m->cfg.expire_seconds > 0 ? fx_now_secs() : 0;
    /* Reserve room for the keys without a (live) entry, shard by shard: content-preserving. */
    uint32_t missing[FX_SHARDS] = {0};
    for (size_t k = 0; k < nnz; k++) {
        uint64_t key = k64 ? k64[k] : (uint64_t)k32[k], hh = fx_hash(key);
        int s = (int)(hh >> (64 - FX_SHARD_BITS));
        fx_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        uint64_t i = tab_find(t, key, hh);
        if (i == FX_NONE) missing[s]++;
    }
    for (int s = 0; s < FX_SHARDS; s++)
        if (missing[s]) {
            int rc = fx_reserve(m, s, missing[s]);
            if (rc) return rc;
        }
    /* From here on nothing fails. Resolve every key: stamp the live ones first (so evictions
     * for this row's inserts spare them), then admit and insert the others. */
    uint64_t *pos = x->pos;
    for (size_t k = 0; k < nnz; k++) {
        uint64_t key = k64 ? k64[k] : (uint64_t)k32[k], hh = fx_hash(key);
        int s = (int)(hh >> (64 - FX_SHARD_BITS));
        fx_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        uint64_t i = tab_find(t, key, hh);
        pos[k] = FX_NONE;
        if (i == FX_NONE) continue;
        if (expiring && fx_expired(m, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                                   atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now)) {
            fx_remove(m, s, t, i, &x->expired);
            continue;
        }
        atomic_store_explicit(&t->ent[i].stamp, ex, memory_order_relaxed);
        atomic_store_explicit(&t->ent[i].secs, now, memory_order_relaxed);
        pos[k] = ((uint64_t)s << 56) | i;
    }
    for (size_t k = 0; k < nnz; k++) {
        if (pos[k] != FX_NONE) continue;
        uint64_t key = k64 ? k64[k] : (uint64_t)k32[k], hh = fx_hash(key);
        int s = (int)(hh >> (64 - FX_SHARD_BITS));
        fx_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        uint64_t i = tab_find(t, key, hh); /* inserted earlier in this row? */
        if (i == FX_NONE) {
            if (!fx_admit(m, key)) continue;
            i = fx_insert(m, s, key, hh, ex, now);
            if (i == FX_NONE) continue;
        }
        pos[k] = ((uint64_t)s << 56) | i;
    }
    /* Pass 1: the weights before this example, the margins, the gradients. */
    float *wc = m->scratch;
    float margin[FTRL_MAX_HEADS], grad[FTRL_MAX_HEADS], bw[FTRL_MAX_HEADS];
    for (int h = 0; h < H; h++) {
        bw[h] = m->cfg.bias ? atomic_load_explicit(&m->bias_w[h], memory_order_relaxed) : 0.0f;
        margin[h] = bw[h];
    }
    for (size_t k = 0; k < nnz; k++) {
        float xv = val ? val[k] : 1.0f;
        for (int h = 0; h < H; h++) {
            float w = 0.0f;
            if (pos[k] != FX_NONE) {
                fx_tab *t = atomic_load_explicit(&x->sh[pos[k] >> 56].t, memory_order_relaxed);
                w = rec_w(m, t, (size_t)(pos[k] & ((UINT64_C(1) << 56) - 1)) * (size_t)H + (size_t)h);
            }
            wc[k * (size_t)H + (size_t)h] = w;
            margin[h] += w * xv;
        }
    }
    if (margins_out) memcpy(margins_out, margin, (size_t)H * sizeof(float));
    grad_fn(ctx, margin, grad);
    for (int h = 0; h < H; h++) {
        if (isnan(grad[h]) || grad[h] == 0.0f || !m->cfg.bias) continue;
        float z = atomic_load_explicit(&m->bias_z[h], memory_order_relaxed);
        float sn = atomic_load_explicit(&m->bias_s[h], memory_order_relaxed);
        fx_step(m, &z, &sn, bw[h], grad[h]);
        atomic_store_explicit(&m->bias_z[h], z, memory_order_relaxed);
        atomic_store_explicit(&m->bias_s[h], sn, memory_order_relaxed);
        atomic_store_explicit(&m->bias_w[h], ftrl_weight_of(m, z, sn), memory_order_relaxed);
    }
    /* Pass 2: the FTRL-Proximal step on every admitted (key, head) with a gradient. */
    int64_t dnz = 0;
    for (size_t k = 0; k < nnz; k++) {
        if (pos[k] == FX_NONE) continue;
        float xv = val ? val[k] : 1.0f;
        if (xv == 0.0f) continue;
        fx_tab *t = atomic_load_explicit(&x->sh[pos[k] >> 56].t, memory_order_relaxed);
        uint64_t i = pos[k] & ((UINT64_C(1) << 56) - 1);
        bool before = ent_nonzero(m, t, i);
        for (int h = 0; h < H; h++) {
            if (isnan(grad[h]) || grad[h] == 0.0f) continue;
            size_t wpos = (size_t)i * (size_t)H + (size_t)h;
            float z, sn;
            rec_get(t, wpos, &z, &sn);
            fx_step(m, &z, &sn, wc[k * (size_t)H + (size_t)h], grad[h] * xv);
            rec_put(m, t, wpos, z, sn, t->tc ? grng_next(&m->rng) : 0, false);
        }
        dnz += (int64_t)ent_nonzero(m, t, i) - (int64_t)before;
    }
    cnt_add(&m->nonzero, dnz);
    atomic_store_explicit(&m->examples, ex + 1, memory_order_relaxed);
    if (expiring) {
        uint64_t total = atomic_load_explicit(&x->bytes, memory_order_relaxed) / x->ent_bytes;
        uint64_t steps = 16 + (m->cfg.expire > 0 ? 2 * total / (uint64_t)m->cfg.expire : 0);
        fx_sweep(m, steps, ex + 1, now);
    }
    return GROWTH_OK;
}

/* ---- creation, snapshots, loading -------------------------------------------------------- */

int fx_create(growth_ftrl *m, const char *who)
{
    const ftrl_cfg *c = &m->cfg;
    size_t rec = c->precision == FTRL_FLOAT ? 16 : 6;
    size_t ent_bytes = sizeof(fx_ent) + rec * (size_t)m->H;
    uint64_t sketch_bytes = c->admit > 1 ? (uint64_t)c->admit_sketch : 0;
    uint64_t cap_max = 0;
    if (c->max_memory > 0) {
        double budget = (double)c->max_memory - (double)sketch_bytes - (double)sizeof(ftrl_exact);
        double one = (double)(FX_SHARDS + 1) * (double)ent_bytes;
        if (budget < one * FX_MIN_CAP)
            return gerr(
                GROWTH_ENOMEM,
                "%s: max_memory=%lld is too small for table=exact: at least %.0f bytes (257 shards of %d "
                "entries of %zu bytes%s)",
                who, (long long)c->max_memory, one * FX_MIN_CAP + (double)sketch_bytes + sizeof(ftrl_exact),
                FX_MIN_CAP, ent_bytes, sketch_bytes ? " and the admission sketch" : "");
        cap_max = FX_MIN_CAP;
        while ((double)cap_max * 2 * one <= budget) cap_max *= 2;
    }
    char what[128];
    snprintf(what, sizeof what, "%s: table=exact (admission sketch and %d empty shards)", who, FX_SHARDS);
    int rc = gmem_reserve(what, (double)sketch_bytes + (double)FX_SHARDS * FX_MIN_CAP * (double)ent_bytes,
                          (uint64_t)c->max_memory);
    if (rc) return rc;
    ftrl_exact *x = calloc(1, sizeof *x);
    if (!x) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    m->ex = x;
    x->ent_bytes = ent_bytes;
    x->cap_max = cap_max;
    if (sketch_bytes) {
        x->sketch_w = sketch_bytes / FX_DEPTH;
        x->sketch = calloc((size_t)(x->sketch_w * FX_DEPTH), 1);
        if (!x->sketch) goto oom;
    }
    uint64_t bytes = sketch_bytes;
    for (int s = 0; s < FX_SHARDS; s++) {
        fx_tab *t = tab_new(m, FX_MIN_CAP);
        if (!t) goto oom;
        atomic_init(&x->sh[s].t, t);
        bytes += t->bytes;
    }
    atomic_init(&x->bytes, bytes);
    return GROWTH_OK;
oom:
    fx_free(m);
    return gerr(GROWTH_ENOMEM, "%s: out of memory for table=exact", who);
}

void fx_free(growth_ftrl *m)
{
    ftrl_exact *x = m->ex;
    if (!x) return;
    for (int s = 0; s < FX_SHARDS; s++) tab_free(atomic_load_explicit(&x->sh[s].t, memory_order_relaxed));
    free(x->sketch);
    free(x->pos);
    free(x);
    m->ex = NULL;
}

/* Whether a snapshot keeps entry i: a live record (the full state keeps expired ones not yet
 * swept, with their stamps, so a loaded model expires them alike); the weights export keeps
 * the non-zero weights in force (not expired). */
static bool snap_keep(const growth_ftrl *m, const fx_tab *t, uint64_t i, bool weights_only, uint64_t ex,
                      uint32_t now)
{
    if (atomic_load_explicit(&t->ent[i].state, memory_order_relaxed) != FX_FULL) return false;
    if (!weights_only) return true;
    if (fx_expired(m, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                   atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), ex, now))
        return false;
    return ent_nonzero(m, t, i);
}

typedef struct {
    uint64_t key;
    const fx_tab *t;
    uint64_t i;
} snap_ref;

static int snap_cmp(const void *a, const void *b)
{
    uint64_t x = ((const snap_ref *)a)->key, y = ((const snap_ref *)b)->key;
    return (x > y) - (x < y);
}

int fx_snapshot(const growth_ftrl *m, bool weights_only, uint64_t **keys, uint64_t **stamps, float **a,
                float **b, size_t *n)
{
    const ftrl_exact *x = m->ex;
    const size_t H = (size_t)m->H;
    const uint64_t ex = atomic_load_explicit(&m->examples, memory_order_relaxed);
    const uint32_t now = m->cfg.expire_seconds > 0 ? fx_now_secs() : 0;
    size_t cnt = 0;
    for (int s = 0; s < FX_SHARDS; s++) {
        const fx_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        for (uint64_t i = 0; i < t->cap; i++)
            if (snap_keep(m, t, i, weights_only, ex, now)) cnt++;
    }
    size_t c1 = cnt ? cnt : 1;
    /* In key order, so a snapshot does not depend on where the table put its entries. */
    snap_ref *ord = malloc(c1 * sizeof *ord);
    if (!ord) return gerr(GROWTH_ENOMEM, "ftrl: out of memory for %zu keys", cnt);
    size_t j = 0;
    for (int s = 0; s < FX_SHARDS; s++) {
        const fx_tab *t = atomic_load_explicit(&x->sh[s].t, memory_order_relaxed);
        for (uint64_t i = 0; i < t->cap; i++)
            if (snap_keep(m, t, i, weights_only, ex, now))
                ord[j++] = (snap_ref){atomic_load_explicit(&t->ent[i].key, memory_order_relaxed), t, i};
    }
    qsort(ord, cnt, sizeof *ord, snap_cmp);
    *keys = malloc(c1 * sizeof **keys);
    *stamps = malloc(c1 * sizeof **stamps);
    *a = malloc(c1 * H * sizeof **a);
    *b = weights_only ? NULL : malloc(c1 * H * sizeof **b);
    if (!*keys || !*stamps || !*a || (!weights_only && !*b)) {
        free(*keys), free(*stamps), free(*a), free(*b);
        free(ord);
        *keys = NULL, *stamps = NULL, *a = NULL, *b = NULL;
        return gerr(GROWTH_ENOMEM, "ftrl: out of memory for %zu keys", cnt);
    }
    for (j = 0; j < cnt; j++) {
        const fx_tab *t = ord[j].t;
        uint64_t i = ord[j].i;
        (*keys)[j] = ord[j].key;
        (*stamps)[j] = atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed);
        for (size_t h = 0; h < H; h++) {
            size_t wpos = (size_t)i * H + h;
            if (weights_only)
                (*a)[j * H + h] = rec_w(m, t, wpos);
            else
                rec_get(t, wpos, &(*a)[j * H + h], &(*b)[j * H + h]);
        }
    }
    free(ord);
    *n = cnt;
    return GROWTH_OK;
}

int fx_load_entry(growth_ftrl *m, uint64_t key, uint64_t stamp, const float *z, const float *s)
{
    ftrl_exact *x = m->ex;
    uint64_t hh = fx_hash(key);
    int sh = (int)(hh >> (64 - FX_SHARD_BITS));
    fx_tab *t = atomic_load_explicit(&x->sh[sh].t, memory_order_relaxed);
    if (tab_find(t, key, hh) != FX_NONE)
        return gerr(GROWTH_EFORMAT, "ftrl: key %llu appears twice", (unsigned long long)key);
    int rc = fx_reserve(m, sh, 1);
    if (rc) return rc;
    uint64_t i = fx_insert(m, sh, key, hh, stamp, m->cfg.expire_seconds > 0 ? fx_now_secs() : 0);
    if (i == FX_NONE) return GROWTH_OK; /* beyond the memory cap: dropped */
    t = atomic_load_explicit(&x->sh[sh].t, memory_order_relaxed);
    for (int h = 0; h < m->H; h++) rec_put(m, t, (size_t)i * (size_t)m->H + (size_t)h, z[h], s[h], 0, true);
    if (ent_nonzero(m, t, i)) cnt_add(&m->nonzero, 1);
    return GROWTH_OK;
}

void fx_loaded(growth_ftrl *m)
{
    atomic_store_explicit(&m->ex->admitted, 0, memory_order_relaxed);
    atomic_store_explicit(&m->ex->evicted, 0, memory_order_relaxed);
    atomic_store_explicit(&m->ex->expired, 0, memory_order_relaxed);
}
