/* A collision-free table of 64-bit feature keys with admission, expiry and a memory cap, shared by
 * the models that offer `table=exact` (FTRL in src/ctr/ftrl_exact.c, FM/FFM in src/fm/fm_exact.c).
 * Internal, not installed, not ABI. The design (sharding, lock-free readers with an RCU grace
 * period, count-min admission, the expiry sweep, sampled-LRU eviction) is described in
 * xtable.c and docs/exact-tables.md.
 *
 * Every entry carries a caller-defined record: `nf` floats, `nh` uint16 and `nu` uint32 (relaxed
 * atomics), in three parallel arrays of each shard table. Entry i's floats start at
 * t->tf[i * nf], and so on. A new entry's records are zero (unless the insert callback writes
 * them); a deleted entry's are zeroed after its state turns `deleted`.
 *
 * One writer at a time (the owner's lock) calls the writer functions; any number of readers call
 * gxt_enter / gxt_find / gxt_leave concurrently with it. */
#ifndef GROWTH_XTABLE_H
#define GROWTH_XTABLE_H

#include <stdatomic.h>

#include "core.h"

#define GXT_SHARDS     256
#define GXT_SHARD_BITS 8
#define GXT_NONE       UINT64_MAX

typedef struct {
    _Atomic uint64_t key;
    _Atomic uint64_t stamp; /* example index of the last update */
    _Atomic uint32_t secs;  /* wall-clock seconds of the last update (low 32 bits) */
    _Atomic uint32_t state;
} gxt_ent;

/* One shard's table (replaced as a whole when the shard grows, shrinks or is rehashed). */
typedef struct gxt_tab {
    uint64_t cap; /* power of two */
    gxt_ent *ent;
    _Atomic float *tf;    /* cap x nf */
    _Atomic uint16_t *tc; /* cap x nh */
    _Atomic uint32_t *tu; /* cap x nu */
    size_t bytes;
} gxt_tab;

typedef struct gxt gxt;

/* Called by the writer just before entry i is deleted (expiry, eviction); the records are
 * still intact. */
typedef void (*gxt_remove_fn)(void *user, gxt_tab *t, uint64_t i);
/* Called by the writer when key gets entry i, before readers can see it (records are zero);
 * returning false refuses the insert (the key is then not admitted). */
typedef bool (*gxt_insert_fn)(void *user, gxt_tab *t, uint64_t i, uint64_t key);

typedef struct {
    const char *name; /* the owner's name in messages ("ftrl", "fm") */
    uint32_t nf, nh, nu;
    int64_t admit;          /* occurrences before a key gets an entry (1: at once) */
    double admit_prob;      /* probability an eligible occurrence admits the key */
    int64_t admit_sketch;   /* count-min sketch bytes (used when admit > 1) */
    int64_t expire;         /* examples without an update before an entry expires (0: never) */
    int64_t expire_seconds; /* likewise in wall-clock seconds */
    int64_t max_memory;     /* bytes for the table (and the sketch and live_bytes); 0: no cap */
    double live_bytes;      /* bytes outside the table each live entry costs (counted in max_memory) */
    uint64_t max_live;      /* at most this many live entries (0: only max_memory limits) */
    gxt_remove_fn on_remove;
    gxt_insert_fn on_insert;
    void *user;
} gxt_params;

/* Creates an empty table (256 shards of 16 entries). GROWTH_ENOMEM when max_memory is too small
 * or memory runs out; `who` names the caller. */
int gxt_create(gxt **out, const gxt_params *p, const char *who);
void gxt_free(gxt *x);

/* Live entries the table admits at most (max_live, or what max_memory allows with live_bytes;
 * 0 = no limit). */
uint64_t gxt_max_live(const gxt *x);

/* Wall-clock seconds as the entries' `secs` (0 when expire_seconds is not used). */
uint32_t gxt_now(const gxt *x);
/* Whether expiry is on; whether an entry with these stamps is expired at example ex. */
bool gxt_expiring(const gxt *x);
bool gxt_expired(const gxt *x, uint64_t stamp, uint32_t secs, uint64_t ex, uint32_t now);

/* ---- readers (lock-free) ---- */

/* A read section: table pointers and positions stay valid until gxt_leave. */
uint64_t gxt_enter(const gxt *x);
void gxt_leave(const gxt *x, uint64_t epoch);
/* The entry of key (not expired at example ex / second now): its position and table, or
 * GXT_NONE. Inside a read section (or by the writer). */
uint64_t gxt_find(const gxt *x, uint64_t key, uint64_t ex, uint32_t now, const gxt_tab **t);

/* ---- writer ---- */

/* Waits for every read section that began before the call (the writer's grace period). */
void gxt_synchronize(gxt *x);

/* Resolves a training row: the position of every key's entry (stamped ex / now), admitting and
 * inserting new keys (admission through the sketch and `rng`), or GXT_NONE for a key without
 * an entry. Room is made before anything changes: GROWTH_ENOMEM leaves the table as it was.
 * *pos points into the table's scratch (valid until the next writer call). Keys are k64[k], or
 * k32[k] when k64 is NULL. */
int gxt_resolve(gxt *x, const uint64_t *k64, const uint32_t *k32, size_t nnz, uint64_t ex, uint32_t now,
                grng *rng, const uint64_t **pos);
/* The table and index of a position from gxt_resolve. */
gxt_tab *gxt_at(gxt *x, uint64_t pos, uint64_t *i);
/* After a trained example (ex_next = examples trained so far): advances the expiry sweep. */
void gxt_advance(gxt *x, uint64_t ex_next, uint32_t now);

/* Counters: live entries, admitted / evicted / expired since creation (or loading), and bytes of
 * the table and sketch. */
void gxt_stats(const gxt *x, uint64_t *live, uint64_t *admitted, uint64_t *evicted, uint64_t *expired,
               uint64_t *bytes);

/* Snapshot of the full entries accepted by keep(user, t, i), in key order (so a file does not
 * depend on the table's layout). Writer (or no concurrent writer). *refs is malloc'ed. */
typedef struct {
    uint64_t key;
    const gxt_tab *t;
    uint64_t i;
} gxt_ref;
int gxt_snapshot(const gxt *x, bool (*keep)(void *user, const gxt_tab *t, uint64_t i), void *user,
                 gxt_ref **refs, size_t *n);

/* Inserts a loaded entry with its stamp (model being built): its table and position, or *i =
 * GXT_NONE when the cap drops it. GROWTH_EFORMAT for a repeated key, ENOMEM. */
int gxt_load(gxt *x, uint64_t key, uint64_t stamp, gxt_tab **t, uint64_t *i);
/* After loading: the admitted / evicted / expired counters start at 0. */
void gxt_loaded(gxt *x);

/* The admission sketch (admit > 1; else *n = 0): its GXT_DEPTH x width counters, the aging
 * cursor (the next counter halved) and whether aging has begun. Writer (or no concurrent writer). */
void gxt_sketch_get(const gxt *x, const uint8_t **counters, size_t *n, uint64_t *cursor, bool *aging);
/* Restores a saved sketch into a table being loaded, so admission continues exactly. n = 0
 * (a file without a sketch, or written before sketches were saved) leaves the sketch empty.
 * GROWTH_EFORMAT (naming `who`) when the table has no sketch, the sizes differ or the cursor is
 * not below the number of counters. */
int gxt_sketch_set(gxt *x, const char *who, const uint8_t *counters, size_t n, uint64_t cursor, bool aging);

/* A full copy of the table's state (every shard's table and position counters, the sketch, the
 * counters, the sweep cursor and hands), for a caller that must be able to undo training
 * (growth_fm_fit's auto-stop and cancel). Writer. GROWTH_ENOMEM (naming `who`). */
typedef struct gxt_copy gxt_copy;
int gxt_copy_take(const gxt *x, const char *who, gxt_copy **out);
/* Puts the copy back: its tables are published in place of the current ones (readers see either,
 * RCU as a shard rebuild: one grace period, then the replaced tables are freed); consumes c.
 * No callbacks run. Writer. */
void gxt_copy_restore(gxt *x, gxt_copy *c);
void gxt_copy_free(gxt_copy *c);
/* Bytes a copy takes now (its tables and sketch). */
uint64_t gxt_copy_bytes(const gxt *x);

#endif
