/* FM/FFM internals shared by the files of src/fm/ (not installed, not ABI).
 *
 * The contract between the compute side (fm.c, fm_kernels*.c, fm_fit.c) and the persistence
 * side (fm_persist.c, fm_libffm.c): persistence reads and writes a model only through the
 * accessors below, so the table layout, SIMD and atomics stay private to the compute side. */
#ifndef GROWTH_FM_IMPL_H
#define GROWTH_FM_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core.h"
#include "growth/fm.h"

#define FM_MAX_HEADS   16
#define FM_NAME_MAX    GHEAD_NAME_MAX
#define FM_MAX_K       64
#define FM_MAX_FIELDS  256
#define FM_MAX_THREADS 64

enum { FM_MODEL_FM = 0, FM_MODEL_FFM = 1 };        /* cfg.model: index into "fm|ffm" */
enum { FM_PREC_FLOAT = 0, FM_PREC_COMPACT = 1 };   /* cfg.precision: index into "float|compact" */
enum { FM_UNSEEN_ZERO = 0, FM_UNSEEN_SEEDED = 1 }; /* cfg.unseen: index into "zero|seeded" */

typedef struct {
    int model;
    int64_t k, fields, bits, heads;
    char head_names[GCFG_STRING_MAX];
    double eta, lambda, init_scale;
    bool normalize, linear, bias;
    double alpha, beta, l1, l2;
    int precision;
    int64_t seed;
    int64_t max_memory; /* 0 = no cap (gmem_reserve) */
    int64_t threads;    /* batch training calls split their rows over this many threads */
    /* table=exact (fm_exact.c): features keyed by the full 64-bit key, as growth_ftrl's */
    int table;              /* FM_TABLE_HASHED or FM_TABLE_EXACT */
    int64_t admit;          /* occurrences before a feature gets a record */
    double admit_prob;      /* probability of admission at each eligible occurrence */
    int64_t admit_sketch;   /* count-min sketch bytes when admit > 1 */
    int64_t expire;         /* examples without an update before a feature expires */
    int64_t expire_seconds; /* seconds without an update before a feature expires */
    int unseen;             /* FM_UNSEEN_*: what an untouched slot contributes to predictions */
} fm_cfg;

enum { FM_TABLE_HASHED = 0, FM_TABLE_EXACT = 1 }; /* cfg.table: index into "hashed|exact" */

/* The configuration table (fm.c) and its parser/formatter. */
extern const gcfg_opt fm_opts[];
extern const size_t fm_nopts;
/* Parses a user configuration (gcfg_parse) and checks the cross-key rules (model=ffm needs
 * fields, head_names vs heads). */
int fm_cfg_parse(const char *who, const char *config, fm_cfg *out);
/* Parses a configuration stored in a model file (gcfg_parse_stored) with the same checks. */
int fm_cfg_parse_stored(const char *who, const char *config, fm_cfg *out);

/* Number of vectors per slot: cfg.fields for ffm, 1 for fm. */
static inline int fm_vectors_per_slot(const fm_cfg *c)
{
    return c->model == FM_MODEL_FFM ? (int)c->fields : 1;
}

/* Creates a model for `cfg`: checks the memory (gmem_reserve against max_memory and physical
 * memory), allocates every table, sets every factor to its seeded initial value (fm_init_vec),
 * every AdaGrad sum to 1, the head weights u to 1 and every linear and bias statistic to 0.
 * Loaders then overwrite what the file holds. Returns GROWTH_OK or an error (nothing allocated
 * on failure). */
int fm_new(growth_fm **out, const fm_cfg *cfg, const char *who);

/* Opaque to persistence; defined in fm.c / fm_internal.h by the compute side. The accessors
 * below are not thread-safe against a concurrent writer: persistence calls them under the
 * model's writer lock (fm_lock/fm_unlock) or on a model no other thread sees yet. */
void fm_lock(const growth_fm *m);
void fm_unlock(const growth_fm *m);
const fm_cfg *fm_config_of(const growth_fm *m);

/* Factors and AdaGrad sums of vector (slot, field) (field 0 for model=fm): k floats each.
 * get: `v` and/or `g` may be NULL. put: exact in float mode, round-to-nearest in compact mode;
 * marks nothing (call fm_mark_touched). */
void fm_get_vec(const growth_fm *m, uint64_t slot, int field, float *v, float *g);
void fm_put_vec(growth_fm *m, uint64_t slot, int field, const float *v, const float *g);
/* The seeded initial factors of a vector (what fm_new puts there): k floats. */
void fm_init_vec(const fm_cfg *cfg, uint64_t slot, int field, float *v);

/* Linear FTRL statistics of (slot, head): z and sqrt(n) (the weight follows from them).
 * Only with cfg.linear. put rounds to nearest in compact mode. */
void fm_get_lin(const growth_fm *m, uint64_t slot, int head, float *z, float *s);
void fm_put_lin(growth_fm *m, uint64_t slot, int head, float z, float s);
/* Bias FTRL statistics of a head (only with cfg.bias). */
void fm_get_bias(const growth_fm *m, int head, float *z, float *s);
void fm_put_bias(growth_fm *m, int head, float z, float s);
/* Head weights u_h and their AdaGrad sums (k floats each; meaningful with heads > 1). */
void fm_get_head(const growth_fm *m, int head, float *u, float *ug);
void fm_put_head(growth_fm *m, int head, const float *u, const float *ug);

/* Touched slots: those training changed. Persistence saves only these (the others are at their
 * seeded initial state, which fm_new recreates). */
bool fm_is_touched(const growth_fm *m, uint64_t slot);
void fm_mark_touched(growth_fm *m, uint64_t slot); /* also counts it in stats.touched */
/* Next touched slot >= from, or UINT64_MAX when none (fast: scans a bitmap by words). */
uint64_t fm_next_touched(const growth_fm *m, uint64_t from);

/* table=exact (fm_exact.c): whether m has a keyed table; a snapshot of its entries in key order
 * (malloc'ed keys, stamps and slots; caller holds the writer lock); loading the entries of a file
 * after its blocks (GROWTH_EFORMAT for a repeated key or slot, a slot outside the table, or a
 * stored slot no key maps). */
bool fm_is_exact(const growth_fm *m);
int fmx_snapshot(const growth_fm *m, uint64_t **keys, uint64_t **stamps, uint32_t **slots, size_t *n);
/* The admission sketch to save (n = 0 without one) / to restore on load (gxt_sketch_get/_set;
 * a hashed model takes none). */
void fmx_sketch_get(const growth_fm *m, const uint8_t **counters, size_t *n, uint64_t *cursor, bool *aging);
int fmx_sketch_set(const char *who, growth_fm *m, const uint8_t *counters, size_t n, uint64_t cursor,
                   bool aging);
int fmx_load(const char *who, growth_fm *m, const uint64_t *keys, size_t n_keys, const uint64_t *stamps,
             size_t n_stamps, const uint32_t *slots, size_t n_slots);

/* Slots the tables hold (2^bits; on a table=exact model the slot arena, at most 2^bits). */
uint64_t fm_slots(const growth_fm *m);

/* The examples counter (stats.examples). */
uint64_t fm_examples(const growth_fm *m);
void fm_set_examples(growth_fm *m, uint64_t n);

#endif
