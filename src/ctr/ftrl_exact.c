/* table=exact for FTRL: the statistics of each 64-bit feature key in the records of the shared
 * collision-free table (src/core/xtable.c: sharding, lock-free readers, admission, expiry, the
 * memory cap with sampled-LRU eviction; docs/exact-tables.md). An entry's records are H records
 * of the same shape as the hashed table's: [z, sqrt n, w, pad] floats (nf = 4H) or 3 bfloat16
 * (nh = 3H) with precision=compact. This file holds what is FTRL's: the record accessors, the
 * FTRL-Proximal step over a resolved row, the non-zero counter, snapshots and loading. */
#include <stdio.h>
#include <stdlib.h>

#include "ftrl_impl.h"
#include "xtable.h"

/* ---- records ----------------------------------------------------------------------------- */

static inline float rec_w(const gxt_tab *t, size_t wpos)
{
    if (t->tf) return atomic_load_explicit(&t->tf[wpos * 4 + 2], memory_order_relaxed);
    return gbf16_to_f(atomic_load_explicit(&t->tc[wpos * 3 + 2], memory_order_relaxed));
}

static inline void rec_get(const gxt_tab *t, size_t wpos, float *z, float *s)
{
    if (t->tf) {
        *z = atomic_load_explicit(&t->tf[wpos * 4], memory_order_relaxed);
        *s = atomic_load_explicit(&t->tf[wpos * 4 + 1], memory_order_relaxed);
    } else {
        *z = gbf16_to_f(atomic_load_explicit(&t->tc[wpos * 3], memory_order_relaxed));
        *s = gbf16_to_f(atomic_load_explicit(&t->tc[wpos * 3 + 1], memory_order_relaxed));
    }
}

static inline void rec_put(const growth_ftrl *m, gxt_tab *t, size_t wpos, float z, float s, uint64_t rbits,
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

static bool ent_nonzero(const growth_ftrl *m, const gxt_tab *t, uint64_t i)
{
    for (int h = 0; h < m->H; h++)
        if (rec_w(t, (size_t)i * (size_t)m->H + (size_t)h) != 0.0f) return true;
    return false;
}

static inline void cnt_add(_Atomic uint64_t *c, int64_t d)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + (uint64_t)d,
                          memory_order_relaxed);
}

/* The table removes an entry (expiry, eviction): the non-zero counter follows the records. */
static void on_remove(void *user, gxt_tab *t, uint64_t i)
{
    growth_ftrl *m = user;
    if (ent_nonzero(m, t, i)) cnt_add(&m->nonzero, -1);
}

/* ---- readers ----------------------------------------------------------------------------- */

void fx_margins(const growth_ftrl *m, const uint64_t *k64, const uint32_t *k32, const float *val, size_t nnz,
                float *margin)
{
    const int H = m->H;
    for (int h = 0; h < H; h++)
        margin[h] = m->cfg.bias ? atomic_load_explicit(&m->bias_w[h], memory_order_relaxed) : 0.0f;
    uint64_t ex = atomic_load_explicit(&m->examples, memory_order_relaxed);
    uint32_t now = gxt_now(m->ex);
    uint64_t e = gxt_enter(m->ex);
    for (size_t k = 0; k < nnz; k++) {
        const gxt_tab *t;
        uint64_t i = gxt_find(m->ex, k64 ? k64[k] : (uint64_t)k32[k], ex, now, &t);
        if (i == GXT_NONE) continue;
        float x = val ? val[k] : 1.0f;
        for (int h = 0; h < H; h++) margin[h] += rec_w(t, (size_t)i * (size_t)H + (size_t)h) * x;
    }
    gxt_leave(m->ex, e);
}

float fx_weight(const growth_ftrl *m, uint64_t key, int h)
{
    uint64_t ex = atomic_load_explicit(&m->examples, memory_order_relaxed);
    uint32_t now = gxt_now(m->ex);
    uint64_t e = gxt_enter(m->ex);
    const gxt_tab *t;
    uint64_t i = gxt_find(m->ex, key, ex, now, &t);
    float w = i == GXT_NONE ? 0.0f : rec_w(t, (size_t)i * (size_t)m->H + (size_t)h);
    gxt_leave(m->ex, e);
    return w;
}

void fx_stats(const growth_ftrl *m, uint64_t *live, uint64_t *admitted, uint64_t *evicted, uint64_t *expired,
              uint64_t *bytes)
{
    gxt_stats(m->ex, live, admitted, evicted, expired, bytes);
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
    gxt *x = m->ex;
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
    const uint64_t ex = atomic_load_explicit(&m->examples, memory_order_relaxed);
    const uint32_t now = gxt_now(x);
    const uint64_t *pos;
    int rc = gxt_resolve(x, k64, k32, nnz, ex, now, &m->rng, &pos);
    if (rc) return rc;
    /* Pass 1: the weights before this example, the margins, the gradients. */
    float *wc = m->scratch;
    float margin[FTRL_MAX_HEADS], grad[FTRL_MAX_HEADS], bw[FTRL_MAX_HEADS];
    for (int h = 0; h < H; h++) {
        bw[h] = m->cfg.bias ? atomic_load_explicit(&m->bias_w[h], memory_order_relaxed) : 0.0f;
        margin[h] = bw[h];
    }
    for (size_t k = 0; k < nnz; k++) {
        float xv = val ? val[k] : 1.0f;
        gxt_tab *t = NULL;
        uint64_t i = 0;
        if (pos[k] != GXT_NONE) t = gxt_at(x, pos[k], &i);
        for (int h = 0; h < H; h++) {
            float w = t ? rec_w(t, (size_t)i * (size_t)H + (size_t)h) : 0.0f;
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
        if (pos[k] == GXT_NONE) continue;
        float xv = val ? val[k] : 1.0f;
        if (xv == 0.0f) continue;
        uint64_t i;
        gxt_tab *t = gxt_at(x, pos[k], &i);
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
    gxt_advance(x, ex + 1, now);
    return GROWTH_OK;
}

/* ---- creation, snapshots, loading -------------------------------------------------------- */

int fx_create(growth_ftrl *m, const char *who)
{
    const ftrl_cfg *c = &m->cfg;
    gxt_params p = {0};
    p.name = "ftrl";
    if (c->precision == FTRL_FLOAT)
        p.nf = 4 * (uint32_t)m->H;
    else
        p.nh = 3 * (uint32_t)m->H;
    p.admit = c->admit;
    p.admit_prob = c->admit_prob;
    p.admit_sketch = c->admit_sketch;
    p.expire = c->expire;
    p.expire_seconds = c->expire_seconds;
    p.max_memory = c->max_memory;
    p.on_remove = on_remove;
    p.user = m;
    return gxt_create(&m->ex, &p, who);
}

void fx_free(growth_ftrl *m)
{
    gxt_free(m->ex);
    m->ex = NULL;
}

typedef struct {
    const growth_ftrl *m;
    bool weights_only;
    uint64_t ex;
    uint32_t now;
} snap_ctx;

/* Whether a snapshot keeps entry i: a live record (the full state keeps expired ones not yet
 * swept, with their stamps, so a loaded model expires them alike); the weights export keeps
 * the non-zero weights in force (not expired). */
static bool snap_keep(void *user, const gxt_tab *t, uint64_t i)
{
    const snap_ctx *c = user;
    if (!c->weights_only) return true;
    if (gxt_expired(c->m->ex, atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed),
                    atomic_load_explicit(&t->ent[i].secs, memory_order_relaxed), c->ex, c->now))
        return false;
    return ent_nonzero(c->m, t, i);
}

int fx_snapshot(const growth_ftrl *m, bool weights_only, uint64_t **keys, uint64_t **stamps, float **a,
                float **b, size_t *n)
{
    const size_t H = (size_t)m->H;
    snap_ctx c = {m, weights_only, atomic_load_explicit(&m->examples, memory_order_relaxed), gxt_now(m->ex)};
    gxt_ref *ord;
    size_t cnt;
    int rc = gxt_snapshot(m->ex, snap_keep, &c, &ord, &cnt);
    if (rc) return rc;
    size_t c1 = cnt ? cnt : 1;
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
    for (size_t j = 0; j < cnt; j++) {
        const gxt_tab *t = ord[j].t;
        uint64_t i = ord[j].i;
        (*keys)[j] = ord[j].key;
        (*stamps)[j] = atomic_load_explicit(&t->ent[i].stamp, memory_order_relaxed);
        for (size_t h = 0; h < H; h++) {
            size_t wpos = (size_t)i * H + h;
            if (weights_only)
                (*a)[j * H + h] = rec_w(t, wpos);
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
    gxt_tab *t;
    uint64_t i;
    int rc = gxt_load(m->ex, key, stamp, &t, &i);
    if (rc || i == GXT_NONE) return rc; /* beyond the memory cap: dropped */
    for (int h = 0; h < m->H; h++) rec_put(m, t, (size_t)i * (size_t)m->H + (size_t)h, z[h], s[h], 0, true);
    if (ent_nonzero(m, t, i)) cnt_add(&m->nonzero, 1);
    return GROWTH_OK;
}

void fx_loaded(growth_ftrl *m) { gxt_loaded(m->ex); }

void fx_sketch_get(const growth_ftrl *m, const uint8_t **counters, size_t *n, uint64_t *cursor, bool *aging)
{
    gxt_sketch_get(m->ex, counters, n, cursor, aging);
}

int fx_sketch_set(growth_ftrl *m, const char *who, const uint8_t *counters, size_t n, uint64_t cursor,
                  bool aging)
{
    return gxt_sketch_set(m->ex, who, counters, n, cursor, aging);
}
