/* table=exact for FM/FFM: features keyed by the full 64-bit key, with admission, expiry and a
 * memory cap (docs/exact-tables.md), on the collision-free table FTRL uses (src/core/xtable.c).
 *
 * Layout. The keyed table's record of a feature is one uint32: its slot in the model's ordinary
 * tables, which here are a slot arena rather than a hash space. A slot holds everything the
 * feature has: its vectors (one per field for ffm) with their AdaGrad sums and its linear FTRL
 * statistics of every head, at the positions fm_internal.h describes. So training and
 * prediction run the same code, SIMD kernels and prefetching as a hashed model on a row of slots,
 * and a shard of the keyed table copies 32-byte entries when it grows (a feature's block, 1 KiB
 * for a 32-field FFM with k=4, never moves). The arena's pages are mapped lazily, so memory
 * follows the slots in use: the highest slot ever used (freed slots are reused, from a stack,
 * before new ones are taken).
 *
 * Slots. A key admitted by the table takes a free slot (zero, untouched) and the slot remembers
 * its key; the first training step on it gives it the seeded factors of that key
 * (fm_first_touch with fmx_init_id: the factors slot `key` gets in a hashed model, so an exact
 * model without collisions trains exactly like a hashed one large enough to have none). A
 * record removed by expiry or eviction zeroes its slot (vectors, sums, linear statistics) and
 * clears its touched bit at once (a racing reader sees old values or zeros, as with FTRL's
 * records), and the slot becomes reusable after a grace period of the table's readers
 * (pending, then free): a prediction holds a read section from its key lookups to the end of
 * its pairwise sums, so it never reads a slot that has been given to another key.
 *
 * The arena has P slots and a zero slot: P = 2^bits - 1 without max_memory; with max_memory, as
 * many as the cap allows next to the keyed table's worst case (at most 2^bits - 1). At most
 * about 15/16 of P features are live (the rest is headroom for slots awaiting their grace
 * period); beyond, the least recently updated is evicted (the table's sampled LRU). The zero
 * slot is never trained: predictions read it for keys without a record.
 *
 * A key without a record adds nothing: it is left out of the row of slots, while the row's
 * normalisation r(x) still counts its value (fm_row.r), as a hashed model's untouched slot. */
#include <stdio.h>
#include <stdlib.h>

#include "fm_internal.h"
#include "xtable.h"

struct fm_exact {
    growth_fm *m;
    gxt *x;
    uint64_t pool;         /* slots of the arena in use at most; slot `pool` is the zero slot */
    _Atomic uint64_t bump; /* slots [bump, pool) never used (read by stats) */
    uint32_t *free_s;      /* reusable slots (a stack) */
    uint32_t *pend;        /* freed slots awaiting a grace period */
    uint64_t n_free, n_pend;
    uint64_t *slot_key; /* key of each slot in use */
    size_t stack_bytes, key_bytes;
    uint64_t load_slot; /* loading: the slot the next insert takes (UINT64_MAX: none) */
    double slot_bytes;  /* bytes of one slot's state */
    /* writer scratch: a training row's slots, fields and values */
    uint32_t *ridx;
    uint8_t *rfld;
    float *rval;
    size_t rcap;
};

bool fm_is_exact(const growth_fm *m) { return m->ex != NULL; }

uint64_t fmx_init_id(const growth_fm *m, uint64_t slot) { return m->ex->slot_key[slot]; }

/* ---- slots ------------------------------------------------------------------------------------- */

static void slot_clear(growth_fm *m, uint64_t slot)
{
    static const float zeros[FM_MAX_K];
    for (int f = 0; f < m->V; f++) fm_put_vec(m, slot, f, zeros, zeros);
    if (m->cfg.linear)
        for (int h = 0; h < m->H; h++) fm_put_lin(m, slot, h, 0.0f, 0.0f);
    uint64_t bit = UINT64_C(1) << (slot & 63), *w = &m->touched_bits[slot >> 6];
    if (*w & bit) {
        *w &= ~bit;
        atomic_store_explicit(&m->touched, atomic_load_explicit(&m->touched, memory_order_relaxed) - 1,
                              memory_order_relaxed);
    }
}

/* The table removes a record (expiry, eviction): its slot is cleared and waits for a grace period. */
static void on_remove(void *user, gxt_tab *t, uint64_t i)
{
    struct fm_exact *fx = user;
    uint32_t slot = atomic_load_explicit(&t->tu[i], memory_order_relaxed);
    slot_clear(fx->m, slot);
    fx->pend[fx->n_pend++] = slot;
}

/* The table admits `key`: it takes a free slot (false when none: not admitted). */
static bool on_insert(void *user, gxt_tab *t, uint64_t i, uint64_t key)
{
    struct fm_exact *fx = user;
    uint64_t slot;
    if (fx->load_slot != UINT64_MAX) {
        slot = fx->load_slot;
    } else {
        uint64_t bump = atomic_load_explicit(&fx->bump, memory_order_relaxed);
        if (fx->n_free == 0 && bump == fx->pool && fx->n_pend > 0) {
            gxt_synchronize(fx->x); /* no reader still holds a pending slot */
            memcpy(fx->free_s, fx->pend, fx->n_pend * sizeof *fx->pend);
            fx->n_free = fx->n_pend;
            fx->n_pend = 0;
        }
        if (fx->n_free > 0)
            slot = fx->free_s[--fx->n_free];
        else if (bump < fx->pool)
            atomic_store_explicit(&fx->bump, (slot = bump) + 1, memory_order_relaxed);
        else
            return false;
    }
    atomic_store_explicit(&t->tu[i], (uint32_t)slot, memory_order_relaxed);
    fx->slot_key[slot] = key;
    return true;
}

/* ---- creation ---------------------------------------------------------------------------------- */

static void fx_release(struct fm_exact *fx)
{
    if (!fx) return;
    gxt_free(fx->x);
    gtable_free(fx->free_s, fx->stack_bytes);
    gtable_free(fx->pend, fx->stack_bytes);
    gtable_free(fx->slot_key, fx->key_bytes);
    free(fx->ridx);
    free(fx->rfld);
    free(fx->rval);
    free(fx);
}

void fmx_free(growth_fm *m)
{
    fx_release(m->ex);
    m->ex = NULL;
}

static uint64_t headroom(uint64_t live) { return live / 16 > 0 ? live / 16 : 1; }

int fmx_new(growth_fm **out, const fm_cfg *cfg, const char *who)
{
    const bool compact = cfg->precision == FM_PREC_COMPACT;
    const double V = fm_vectors_per_slot(cfg), KP = (double)((cfg->k + 3) & ~(int64_t)3);
    /* a slot: factors and sums, linear statistics, its key, two stack entries and a touched bit */
    double slot_bytes = 2.0 * V * KP * (compact ? 2.0 : 4.0) +
                        (cfg->linear ? (double)cfg->heads * (compact ? 6.0 : 16.0) : 0.0) + 8.0 + 8.0 + 0.125;
    struct fm_exact *fx = calloc(1, sizeof *fx);
    if (!fx) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    fx->load_slot = UINT64_MAX;
    fx->slot_bytes = slot_bytes;
    /* 2^bits slots, the last one the zero slot predictions give keys without a record */
    const uint64_t by_bits = (UINT64_C(1) << cfg->bits) - 1;
    gxt_params p = {0};
    p.name = "fm";
    p.nu = 1;
    p.admit = cfg->admit;
    p.admit_prob = cfg->admit_prob;
    p.admit_sketch = cfg->admit_sketch;
    p.expire = cfg->expire;
    p.expire_seconds = cfg->expire_seconds;
    p.max_live = by_bits - headroom(by_bits);
    if (p.max_live == 0) p.max_live = 1;
    if (cfg->max_memory > 0) {
        /* the model's fixed part comes off the cap; each live feature pays for its slot and its
         * share of the headroom */
        double fixed = (double)sizeof(growth_fm) + (double)sizeof *fx;
        p.max_memory = cfg->max_memory - (int64_t)fixed;
        if (p.max_memory <= 0) p.max_memory = 1;
        p.live_bytes = slot_bytes * 17.0 / 16.0;
    }
    p.on_remove = on_remove;
    p.on_insert = on_insert;
    p.user = fx;
    int rc = gxt_create(&fx->x, &p, who);
    if (rc) {
        free(fx);
        return rc;
    }
    uint64_t live = gxt_max_live(fx->x);
    uint64_t pool = live + headroom(live);
    if (pool > by_bits) pool = by_bits;
    fx->pool = pool;
    /* the arena: a hashed model's tables of 2^bits' >= pool slots (mapped lazily; only the first
     * `pool` slots are ever used), checked against the machine's memory (max_memory is the
     * keyed table's business) */
    fm_cfg c2 = *cfg;
    c2.table = FM_TABLE_HASHED;
    c2.max_memory = 0;
    c2.bits = 1;
    while ((UINT64_C(1) << c2.bits) < pool + 1) c2.bits++;
    growth_fm *m = NULL;
    if ((rc = fm_new(&m, &c2, who))) {
        fx_release(fx);
        return rc;
    }
    m->cfg = *cfg;
    fx->m = m;
    fx->stack_bytes = (size_t)pool * sizeof(uint32_t);
    fx->key_bytes = (size_t)pool * sizeof(uint64_t);
    fx->free_s = gtable_alloc(fx->stack_bytes);
    fx->pend = fx->free_s ? gtable_alloc(fx->stack_bytes) : NULL;
    fx->slot_key = fx->pend ? gtable_alloc(fx->key_bytes) : NULL;
    if (!fx->slot_key) {
        fx_release(fx);
        growth_fm_free(m);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for the slot arena of table=exact", who);
    }
    m->ex = fx;
    *out = m;
    return GROWTH_OK;
}

void fmx_stats(const growth_fm *m, growth_fm_stats *s)
{
    const struct fm_exact *fx = m->ex;
    uint64_t tb;
    gxt_stats(fx->x, &s->live, &s->admitted, &s->evicted, &s->expired, &tb);
    s->table_bytes =
        tb + (uint64_t)((double)atomic_load_explicit(&fx->bump, memory_order_relaxed) * fx->slot_bytes);
    s->bytes = s->table_bytes + sizeof(growth_fm) + sizeof *fx;
}

/* ---- rows -------------------------------------------------------------------------------------- */

/* r(x) of the full row (fm.c row_r's arithmetic), so that dropped keys still count in it. */
static float full_r(const float *val, size_t nnz)
{
    float s = 0.0f;
    if (!val)
        s = (float)nnz;
    else
        for (size_t i = 0; i < nnz; i++) s += val[i] * val[i];
    return s > 0.0f ? 1.0f / s : 1.0f;
}

static inline uint64_t key_at(const uint64_t *k64, const uint32_t *k32, size_t k)
{
    return k64 ? k64[k] : (uint64_t)k32[k];
}

/* Margins of one row of keys (lock-free): the slots of the keys, in a read section that lasts
 * until the pairwise sums are done. bi holds nnz entries. */
static void margins_keys(const growth_fm *m, const uint64_t *k64, const uint32_t *k32, const uint8_t *fld,
                         const float *val, size_t nnz, uint32_t *bi, float *margin)
{
    const struct fm_exact *fx = m->ex;
    const uint64_t ex = fm_examples(m);
    const uint32_t now = gxt_now(fx->x);
    uint64_t e = gxt_enter(fx->x);
    for (size_t k = 0; k < nnz; k++) {
        const gxt_tab *t;
        uint64_t i = gxt_find(fx->x, key_at(k64, k32, k), ex, now, &t);
        /* a key without a record reads the zero slot: the same sums, in the same order, as a
         * hashed model's untouched slot */
        bi[k] = i == GXT_NONE ? (uint32_t)fx->pool : atomic_load_explicit(&t->tu[i], memory_order_relaxed);
    }
    fm_row row = {bi, m->cfg.model == FM_MODEL_FFM ? fld : NULL, val, nnz, 0.0f};
    fm_margins(m, &row, margin);
    gxt_leave(fx->x, e);
}

/* Predictions of nrows rows of keys (k64, or k32 when NULL), validated by the caller. */
static int predict_rows(const growth_fm *m, const char *who, const uint64_t *indptr, const uint64_t *k64,
                        const uint32_t *k32, const uint8_t *fld, const float *val, size_t nrows,
                        unsigned flags, float *out)
{
    size_t longest = 0;
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] - indptr[r] > longest) longest = (size_t)(indptr[r + 1] - indptr[r]);
    uint32_t si[256], *bi = si;
    if (longest > 256 && !(bi = malloc(longest * sizeof *bi)))
        return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu keys", who, longest);
    const int H = m->H;
    for (size_t r = 0; r < nrows; r++) {
        size_t b = (size_t)indptr[r], e = (size_t)indptr[r + 1];
        float *o = out + r * (size_t)H;
        margins_keys(m, k64 ? k64 + b : NULL, k64 ? NULL : k32 + b, fld ? fld + b : NULL,
                     val ? val + b : NULL, e - b, bi, o);
        if (!(flags & GROWTH_PREDICT_MARGIN))
            for (int h = 0; h < H; h++) o[h] = fm_sigmoid(o[h]);
    }
    if (bi != si) free(bi);
    return GROWTH_OK;
}

int fmx_predict_csr(const growth_fm *m, const char *who, const uint64_t *indptr, const uint32_t *idx,
                    const uint8_t *fld, const float *val, size_t nrows, unsigned flags, float *out)
{
    return predict_rows(m, who, indptr, NULL, idx, fld, val, nrows, flags, out);
}

/* Makes the writer scratch hold rows of nnz entries (lock held). */
static int reserve_rows(growth_fm *m, const char *who, size_t nnz)
{
    struct fm_exact *fx = m->ex;
    int rc = fm_reserve_scratch(m, who, nnz);
    if (rc || nnz <= fx->rcap) return rc;
    size_t cap = nnz < 256 ? 256 : nnz * 2;
    uint32_t *ni = realloc(fx->ridx, cap * sizeof *ni);
    if (ni) fx->ridx = ni;
    uint8_t *nf = ni ? realloc(fx->rfld, cap) : NULL;
    if (nf) fx->rfld = nf;
    float *nv = nf ? realloc(fx->rval, cap * sizeof *nv) : NULL;
    if (!nv) return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu entries", who, nnz);
    fx->rval = nv;
    fx->rcap = cap;
    return GROWTH_OK;
}

/* The row of a row of keys' admitted slots (lock held, scratch reserved): admission runs here,
 * so the caller trains on *row and then calls gxt_advance(fx->x, ex + 1, now). */
static int admitted_row(growth_fm *m, const uint64_t *k64, const uint32_t *k32, const uint8_t *fld,
                        const float *val, size_t nnz, uint64_t ex, uint32_t now, fm_row *row)
{
    struct fm_exact *fx = m->ex;
    const uint64_t *pos;
    int rc = gxt_resolve(fx->x, k64, k32, nnz, ex, now, &m->rng, &pos);
    if (rc) return rc;
    size_t n = 0;
    for (size_t k = 0; k < nnz; k++) {
        if (pos[k] == GXT_NONE) continue;
        uint64_t i;
        gxt_tab *t = gxt_at(fx->x, pos[k], &i);
        fx->ridx[n] = atomic_load_explicit(&t->tu[i], memory_order_relaxed);
        if (fld) fx->rfld[n] = fld[k];
        if (val) fx->rval[n] = val[k];
        n++;
    }
    *row = (fm_row){fx->ridx, m->cfg.model == FM_MODEL_FFM ? fx->rfld : NULL, val ? fx->rval : NULL, n,
                    full_r(val, nnz)};
    return GROWTH_OK;
}

/* Trains on one row of keys (lock held, scratch reserved): admission, then the hashed model's
 * training step on the row of the admitted keys' slots. */
static int train_row(growth_fm *m, const uint64_t *k64, const uint32_t *k32, const uint8_t *fld,
                     const float *val, size_t nnz, const float *labels, float weight, float *margins_out)
{
    const uint64_t ex = fm_examples(m);
    const uint32_t now = gxt_now(m->ex->x);
    fm_row row;
    int rc = admitted_row(m, k64, k32, fld, val, nnz, ex, now, &row);
    if (rc) return rc;
    fm_train_logistic(m, &row, labels, weight, margins_out);
    gxt_advance(m->ex->x, ex + 1, now);
    return GROWTH_OK;
}

static int update_rows(growth_fm *m, const char *who, const uint64_t *indptr, const uint64_t *k64,
                       const uint32_t *k32, const uint8_t *fld, const float *val, size_t nrows,
                       const float *labels, const float *weights, float *out_pred)
{
    size_t longest = 0;
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] - indptr[r] > longest) longest = (size_t)(indptr[r + 1] - indptr[r]);
    const int H = m->H;
    pthread_mutex_lock(&m->lock);
    /* the scratch for the longest row first; only the keyed table's growth can fail later (rows
     * before the failing one stay trained, as growth_ftrl_update_csr on table=exact) */
    int rc = reserve_rows(m, who, longest);
    for (size_t r = 0; !rc && r < nrows; r++) {
        size_t b = (size_t)indptr[r], e = (size_t)indptr[r + 1];
        float *o = out_pred ? out_pred + r * (size_t)H : NULL;
        rc = train_row(m, k64 ? k64 + b : NULL, k64 ? NULL : k32 + b, fld ? fld + b : NULL,
                       val ? val + b : NULL, e - b, labels + r * (size_t)H, weights ? weights[r] : 1.0f, o);
        if (!rc && o)
            for (int h = 0; h < H; h++) o[h] = fm_sigmoid(o[h]);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* ---- one row with any training step (growth_fm_fit, ESMM) ------------------------------------- */

int fmx_reserve(growth_fm *m, const char *who, size_t nnz) { return reserve_rows(m, who, nnz); }

int fmx_train_step(growth_fm *m, const uint32_t *idx, const uint8_t *fld, const float *val, size_t nnz,
                   fmx_step_fn step, void *ctx)
{
    const uint64_t ex = fm_examples(m);
    const uint32_t now = gxt_now(m->ex->x);
    fm_row row;
    int rc = admitted_row(m, NULL, idx, fld, val, nnz, ex, now, &row);
    if (rc) return rc;
    step(m, &row, ctx);
    gxt_advance(m->ex->x, ex + 1, now);
    return GROWTH_OK;
}

int fmx_margins(const growth_fm *m, const char *who, const uint32_t *idx, const uint8_t *fld,
                const float *val, size_t nnz, float *margin)
{
    const uint64_t indptr[2] = {0, nnz};
    return predict_rows(m, who, indptr, NULL, idx, fld, val, 1, GROWTH_PREDICT_MARGIN, margin);
}

/* ---- copies (growth_fm_fit's undo) ------------------------------------------------------------ */

struct fmx_copy {
    gxt_copy *x;
    uint32_t *free_s, *pend;
    uint64_t *slot_key;
    uint64_t n_free, n_pend, bump;
};

void fmx_copy_free(fmx_copy *c)
{
    if (!c) return;
    gxt_copy_free(c->x);
    free(c->free_s);
    free(c->pend);
    free(c->slot_key);
    free(c);
}

double fmx_copy_bytes(const growth_fm *m)
{
    const struct fm_exact *fx = m->ex;
    return (double)gxt_copy_bytes(fx->x) + (double)fx->pool * (2.0 * sizeof(uint32_t) + sizeof(uint64_t));
}

int fmx_copy_take(const growth_fm *m, const char *who, fmx_copy **out)
{
    const struct fm_exact *fx = m->ex;
    fmx_copy *c = calloc(1, sizeof *c);
    const uint64_t bump = atomic_load_explicit(&fx->bump, memory_order_relaxed);
    int rc = c ? gxt_copy_take(fx->x, who, &c->x) : GROWTH_ENOMEM;
    if (!rc) {
        c->free_s = malloc((fx->n_free ? fx->n_free : 1) * sizeof *c->free_s);
        c->pend = malloc((fx->n_pend ? fx->n_pend : 1) * sizeof *c->pend);
        c->slot_key = malloc((bump ? bump : 1) * sizeof *c->slot_key);
        if (!c->free_s || !c->pend || !c->slot_key) rc = GROWTH_ENOMEM;
    }
    if (rc) {
        fmx_copy_free(c);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for a copy of the keyed table", who);
    }
    memcpy(c->free_s, fx->free_s, fx->n_free * sizeof *c->free_s);
    memcpy(c->pend, fx->pend, fx->n_pend * sizeof *c->pend);
    memcpy(c->slot_key, fx->slot_key, bump * sizeof *c->slot_key);
    c->n_free = fx->n_free;
    c->n_pend = fx->n_pend;
    c->bump = bump;
    *out = c;
    return GROWTH_OK;
}

void fmx_copy_restore(growth_fm *m, fmx_copy *c)
{
    struct fm_exact *fx = m->ex;
    gxt_copy_restore(fx->x, c->x);
    c->x = NULL;
    memcpy(fx->free_s, c->free_s, c->n_free * sizeof *c->free_s);
    memcpy(fx->pend, c->pend, c->n_pend * sizeof *c->pend);
    memcpy(fx->slot_key, c->slot_key, c->bump * sizeof *c->slot_key);
    fx->n_free = c->n_free;
    fx->n_pend = c->n_pend;
    atomic_store_explicit(&fx->bump, c->bump, memory_order_relaxed);
    fmx_copy_free(c);
}

int fmx_update_csr(growth_fm *m, const char *who, const uint64_t *indptr, const uint32_t *idx,
                   const uint8_t *fld, const float *val, size_t nrows, const float *labels,
                   const float *weights, float *out_pred)
{
    return update_rows(m, who, indptr, NULL, idx, fld, val, nrows, labels, weights, out_pred);
}

/* ---- inspection -------------------------------------------------------------------------------- */

float fmx_weight(const growth_fm *m, uint64_t key, int head)
{
    const struct fm_exact *fx = m->ex;
    uint64_t e = gxt_enter(fx->x);
    const gxt_tab *t;
    uint64_t i = gxt_find(fx->x, key, fm_examples(m), gxt_now(fx->x), &t);
    float w =
        i == GXT_NONE ? 0.0f : fm_slot_weight(m, atomic_load_explicit(&t->tu[i], memory_order_relaxed), head);
    gxt_leave(fx->x, e);
    return w;
}

int fmx_factors(const growth_fm *m, uint64_t key, int field, float *out)
{
    const struct fm_exact *fx = m->ex;
    uint64_t e = gxt_enter(fx->x);
    const gxt_tab *t;
    uint64_t i = gxt_find(fx->x, key, fm_examples(m), gxt_now(fx->x), &t);
    if (i == GXT_NONE)
        memset(out, 0, (size_t)m->K * sizeof *out);
    else
        fm_get_vec(m, atomic_load_explicit(&t->tu[i], memory_order_relaxed), field, out, NULL);
    gxt_leave(fx->x, e);
    return GROWTH_OK;
}

/* ---- persistence (fm_persist.c) ---------------------------------------------------------------- */

static bool keep_all(void *user, const gxt_tab *t, uint64_t i)
{
    (void)user, (void)t, (void)i;
    return true;
}

int fmx_snapshot(const growth_fm *m, uint64_t **keys, uint64_t **stamps, uint32_t **slots, size_t *n)
{
    gxt_ref *ord;
    size_t cnt;
    int rc = gxt_snapshot(m->ex->x, keep_all, NULL, &ord, &cnt);
    if (rc) return rc;
    size_t c1 = cnt ? cnt : 1;
    *keys = malloc(c1 * sizeof **keys);
    *stamps = malloc(c1 * sizeof **stamps);
    *slots = malloc(c1 * sizeof **slots);
    if (!*keys || !*stamps || !*slots) {
        free(*keys), free(*stamps), free(*slots), free(ord);
        *keys = NULL, *stamps = NULL, *slots = NULL;
        return gerr(GROWTH_ENOMEM, "fm: out of memory for %zu keys", cnt);
    }
    for (size_t j = 0; j < cnt; j++) {
        (*keys)[j] = ord[j].key;
        (*stamps)[j] = atomic_load_explicit(&ord[j].t->ent[ord[j].i].stamp, memory_order_relaxed);
        (*slots)[j] = atomic_load_explicit(&ord[j].t->tu[ord[j].i], memory_order_relaxed);
    }
    free(ord);
    *n = cnt;
    return GROWTH_OK;
}

void fmx_sketch_get(const growth_fm *m, const uint8_t **counters, size_t *n, uint64_t *cursor, bool *aging)
{
    gxt_sketch_get(m->ex->x, counters, n, cursor, aging);
}

int fmx_sketch_set(const char *who, growth_fm *m, const uint8_t *counters, size_t n, uint64_t cursor,
                   bool aging)
{
    if (!m->ex) {
        if (n || cursor || aging)
            return gerr(GROWTH_EFORMAT, "%s: a hashed model's file holds an admission sketch", who);
        return GROWTH_OK;
    }
    return gxt_sketch_set(m->ex->x, who, counters, n, cursor, aging);
}

int fmx_load(const char *who, growth_fm *m, const uint64_t *keys, size_t n_keys, const uint64_t *stamps,
             size_t n_stamps, const uint32_t *slots, size_t n_slots)
{
    struct fm_exact *fx = m->ex;
    if (!fx) {
        if (n_keys || n_stamps || n_slots)
            return gerr(GROWTH_EFORMAT, "%s: a hashed model's file holds %zu feature keys", who, n_keys);
        return GROWTH_OK;
    }
    if (n_stamps != n_keys || n_slots != n_keys)
        return gerr(GROWTH_EFORMAT, "%s: %zu keys with %zu stamps and %zu slots", who, n_keys, n_stamps,
                    n_slots);
    uint64_t *used = calloc((size_t)(fx->pool + 63) / 64, sizeof *used);
    if (!used) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    int rc = GROWTH_OK;
    for (size_t j = 0; j < n_keys && !rc; j++) {
        uint64_t s = slots[j];
        if (s >= fx->pool)
            rc = gerr(GROWTH_EFORMAT, "%s: key %zu has slot %llu, outside the arena of %llu", who, j,
                      (unsigned long long)s, (unsigned long long)fx->pool);
        else if (used[s >> 6] >> (s & 63) & 1)
            rc = gerr(GROWTH_EFORMAT, "%s: slot %llu belongs to two keys", who, (unsigned long long)s);
        else
            used[s >> 6] |= UINT64_C(1) << (s & 63);
    }
    for (uint64_t s = fm_next_touched(m, 0); !rc && s != UINT64_MAX; s = fm_next_touched(m, s + 1))
        if (s >= fx->pool || !(used[s >> 6] >> (s & 63) & 1))
            rc = gerr(GROWTH_EFORMAT, "%s: stored slot %llu belongs to no key", who, (unsigned long long)s);
    for (size_t j = 0; j < n_keys && !rc; j++) {
        gxt_tab *t;
        uint64_t i;
        fx->load_slot = slots[j];
        rc = gxt_load(fx->x, keys[j], stamps[j], &t, &i);
        if (!rc && i == GXT_NONE) { /* beyond the cap: dropped */
            slot_clear(m, slots[j]);
            used[slots[j] >> 6] &= ~(UINT64_C(1) << (slots[j] & 63));
        }
    }
    fx->load_slot = UINT64_MAX;
    if (!rc) {
        /* the arena: slots up to the highest in use, the unused ones below it free */
        uint64_t top = 0;
        for (uint64_t s = 0; s < fx->pool; s++)
            if (used[s >> 6] >> (s & 63) & 1) top = s + 1;
        atomic_store_explicit(&fx->bump, top, memory_order_relaxed);
        fx->n_free = fx->n_pend = 0;
        for (uint64_t s = top; s-- > 0;)
            if (!(used[s >> 6] >> (s & 63) & 1)) fx->free_s[fx->n_free++] = (uint32_t)s;
        gxt_loaded(fx->x);
    }
    free(used);
    return rc;
}

/* ---- the key API ------------------------------------------------------------------------------- */

static int check_flags(const char *who, unsigned flags)
{
    if (flags & ~GROWTH_PREDICT_MARGIN)
        return gerr(GROWTH_EINVAL, "%s: unknown flags 0x%x (only GROWTH_PREDICT_MARGIN)", who, flags);
    return GROWTH_OK;
}

static int check_cap(const char *who, const char *name, size_t cap, size_t need)
{
    if (cap < need)
        return gerr(GROWTH_EBUFS, "%s: %s has room for %zu floats, need %zu", who, name, cap, need);
    return GROWTH_OK;
}

/* A row of keys: keys, fields and values (fm_check_row's rules; a key may be any value). On a
 * hashed model `slots` are the keys' slots; on a table=exact model fm_check_row reads no idx value,
 * only whether it is NULL. */
static int check_keys(const growth_fm *m, const char *who, const uint64_t *keys, const uint32_t *slots,
                      const uint8_t *fld, const float *val, size_t nnz)
{
    static const uint32_t any_slot;
    if (nnz > 0 && keys == NULL) return gerr(GROWTH_EINVAL, "%s: keys is NULL with nnz=%zu", who, nnz);
    return fm_check_row(m, who, nnz ? (slots ? slots : &any_slot) : NULL, fld, val, nnz, SIZE_MAX);
}

/* The slot of a key on a hashed model: its low `bits` bits. */
static inline uint64_t key_slot(const growth_fm *m, uint64_t key)
{
    return m->cfg.bits >= 32 ? key & UINT32_MAX : key & ((UINT64_C(1) << m->cfg.bits) - 1);
}

/* A hashed model reached through the key API: the row's slots (keys' low bits), malloc'ed. */
static uint32_t *keys_to_slots(const growth_fm *m, const char *who, const uint64_t *keys, size_t nnz)
{
    uint32_t *idx = malloc((nnz ? nnz : 1) * sizeof *idx);
    if (!idx) {
        gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu keys", who, nnz);
        return NULL;
    }
    for (size_t k = 0; k < nnz; k++) idx[k] = (uint32_t)key_slot(m, keys[k]);
    return idx;
}

GROWTH_API int growth_fm_predict_keys(const growth_fm *m, const uint64_t *keys, const uint8_t *fld,
                                      const float *val, size_t nnz, unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_fm_predict_keys";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    int rc = check_flags(who, flags);
    if (!rc) rc = check_cap(who, "out", cap, (size_t)m->H);
    if (!rc && nnz > 0 && keys == NULL) rc = gerr(GROWTH_EINVAL, "%s: keys is NULL with nnz=%zu", who, nnz);
    if (rc) return rc;
    if (m->ex) {
        if ((rc = check_keys(m, who, keys, NULL, fld, val, nnz))) return rc;
        return predict_rows(m, who, (const uint64_t[2]){0, nnz}, keys, NULL, fld, val, 1, flags, out);
    }
    uint32_t *idx = keys_to_slots(m, who, keys, nnz);
    if (!idx) return GROWTH_ENOMEM;
    rc = check_keys(m, who, keys, idx, fld, val, nnz);
    if (!rc) rc = growth_fm_predict(m, idx, fld, val, nnz, flags, out, cap);
    free(idx);
    return rc;
}

GROWTH_API int growth_fm_update_keys(growth_fm *m, const uint64_t *keys, const uint8_t *fld, const float *val,
                                     size_t nnz, const float *labels, float weight, float *out_pred,
                                     size_t cap)
{
    static const char *who = "growth_fm_update_keys";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, labels);
    int rc = out_pred ? check_cap(who, "out_pred", cap, (size_t)m->H) : GROWTH_OK;
    if (!rc && nnz > 0 && keys == NULL) rc = gerr(GROWTH_EINVAL, "%s: keys is NULL with nnz=%zu", who, nnz);
    if (!rc) rc = fm_check_labels(m, who, labels, 0);
    if (!rc) rc = fm_check_weight(who, weight, 0);
    if (rc) return rc;
    if (m->ex) {
        if ((rc = check_keys(m, who, keys, NULL, fld, val, nnz))) return rc;
        return update_rows(m, who, (const uint64_t[2]){0, nnz}, keys, NULL, fld, val, 1, labels, &weight,
                           out_pred);
    }
    uint32_t *idx = keys_to_slots(m, who, keys, nnz);
    if (!idx) return GROWTH_ENOMEM;
    rc = check_keys(m, who, keys, idx, fld, val, nnz);
    if (!rc && out_pred)
        rc = growth_fm_predict_update(m, idx, fld, val, nnz, labels, weight, out_pred, cap);
    else if (!rc)
        rc = growth_fm_update(m, idx, fld, val, nnz, labels, weight);
    free(idx);
    return rc;
}

/* A CSR batch of key rows: indptr, keys, fields and values (slots: as check_keys). */
static int check_key_csr(const growth_fm *m, const char *who, const uint64_t *indptr, const uint64_t *keys,
                         const uint32_t *slots, const uint8_t *fld, const float *val, size_t nrows)
{
    GROWTH_CHECK_NULL(who, indptr);
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] < indptr[r]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, r);
    if (indptr[nrows] > (uint64_t)SIZE_MAX / 16) return gerr(GROWTH_EINVAL, "%s: indptr too large", who);
    size_t b = (size_t)indptr[0], n = (size_t)(indptr[nrows] - indptr[0]);
    return check_keys(m, who, keys ? keys + b : NULL, slots ? slots + b : NULL, fld ? fld + b : NULL,
                      val ? val + b : NULL, n);
}

GROWTH_API int growth_fm_predict_keys_csr(const growth_fm *m, const uint64_t *indptr, const uint64_t *keys,
                                          const uint8_t *fld, const float *val, size_t nrows, unsigned flags,
                                          float *out, size_t cap)
{
    static const char *who = "growth_fm_predict_keys_csr";
    GROWTH_CHECK_NULL(who, m);
    int rc = check_flags(who, flags);
    if (rc || nrows == 0) return rc;
    GROWTH_CHECK_NULL(who, out);
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    if ((rc = check_cap(who, "out", cap, nrows * (size_t)m->H))) return rc;
    GROWTH_CHECK_NULL(who, indptr);
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] < indptr[r]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, r);
    if (indptr[nrows] > (uint64_t)SIZE_MAX / 16) return gerr(GROWTH_EINVAL, "%s: indptr too large", who);
    if (indptr[nrows] > indptr[0] && !keys) return gerr(GROWTH_EINVAL, "%s: keys is NULL", who);
    if (m->ex) {
        if ((rc = check_key_csr(m, who, indptr, keys, NULL, fld, val, nrows))) return rc;
        return predict_rows(m, who, indptr, keys, NULL, fld, val, nrows, flags, out);
    }
    uint32_t *idx = keys_to_slots(m, who, keys, (size_t)indptr[nrows]);
    if (!idx) return GROWTH_ENOMEM;
    rc = check_key_csr(m, who, indptr, keys, idx, fld, val, nrows);
    if (!rc) rc = growth_fm_predict_csr(m, indptr, idx, fld, val, nrows, flags, out, cap);
    free(idx);
    return rc;
}

GROWTH_API int growth_fm_update_keys_csr(growth_fm *m, const uint64_t *indptr, const uint64_t *keys,
                                         const uint8_t *fld, const float *val, size_t nrows,
                                         const float *labels, const float *weights, float *out_pred,
                                         size_t cap)
{
    static const char *who = "growth_fm_update_keys_csr";
    GROWTH_CHECK_NULL(who, m);
    if (nrows == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, labels);
    GROWTH_CHECK_NULL(who, indptr);
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    const size_t H = (size_t)m->H;
    int rc = out_pred ? check_cap(who, "out_pred", cap, nrows * H) : GROWTH_OK;
    for (size_t r = 0; !rc && r < nrows; r++) {
        if (indptr[r + 1] < indptr[r]) rc = gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, r);
        if (!rc) rc = fm_check_labels(m, who, labels + r * H, r);
        if (!rc && weights) rc = fm_check_weight(who, weights[r], r);
    }
    if (!rc && indptr[nrows] > (uint64_t)SIZE_MAX / 16) rc = gerr(GROWTH_EINVAL, "%s: indptr too large", who);
    if (!rc && indptr[nrows] > indptr[0] && !keys) rc = gerr(GROWTH_EINVAL, "%s: keys is NULL", who);
    if (rc) return rc;
    if (m->ex) {
        if ((rc = check_key_csr(m, who, indptr, keys, NULL, fld, val, nrows))) return rc;
        return update_rows(m, who, indptr, keys, NULL, fld, val, nrows, labels, weights, out_pred);
    }
    uint32_t *idx = keys_to_slots(m, who, keys, (size_t)indptr[nrows]);
    if (!idx) return GROWTH_ENOMEM;
    rc = check_key_csr(m, who, indptr, keys, idx, fld, val, nrows);
    if (!rc) rc = growth_fm_update_csr(m, indptr, idx, fld, val, nrows, labels, weights, out_pred, cap);
    free(idx);
    return rc;
}

GROWTH_API int growth_fm_weight_key(const growth_fm *m, size_t head, uint64_t key, float *out)
{
    static const char *who = "growth_fm_weight_key";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    if (head >= (size_t)m->H)
        return gerr(GROWTH_EINVAL, "%s: head %zu does not exist (model has %d)", who, head, m->H);
    if (!m->cfg.linear) return gerr(GROWTH_EINVAL, "%s: the model has no linear part (linear=false)", who);
    if (m->ex) {
        *out = fmx_weight(m, key, (int)head);
        return GROWTH_OK;
    }
    *out = fm_slot_weight(m, key_slot(m, key), (int)head);
    return GROWTH_OK;
}

GROWTH_API int growth_fm_factors_key(const growth_fm *m, uint64_t key, size_t field, float *out, size_t cap,
                                     size_t *out_n)
{
    static const char *who = "growth_fm_factors_key";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    return fm_factors_of(m, who, m->ex ? key : key_slot(m, key), field, out, cap, out_n);
}
