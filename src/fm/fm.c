/* FM and FFM with several heads (fm.h): configuration, creation, the accessors of fm_impl.h,
 * validation, prediction and online training. The hot loops are in fm_kernels.c, the offline
 * fit in fm_fit.c, and the layout and concurrency rules in fm_internal.h.
 *
 * Training one example (fm_apply): the pairwise sums P_d and, for model=fm, S_d (kernels), the
 * linear margins with the weights cached (as growth_ftrl), the margins and the per-head
 * gradients g_h, then, when the example has weight > 0 and a label: the factor update with
 * c_d = sum_h g_h u_{h,d} (kernels), the head weights u (heads > 1), the FTRL bias and linear
 * steps (the formulas and summation order of ftrl.c, so with the pairwise part at zero the
 * linear part is growth_ftrl's bit for bit), and the touched bits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_internal.h"

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

const gcfg_opt fm_opts[] = {
    {"model", GCFG_ENUM, offsetof(fm_cfg, model), "ffm", 0, 0, "fm|ffm", false},
    {"k", GCFG_INT, offsetof(fm_cfg, k), "4", 1, FM_MAX_K, NULL, false},
    {"fields", GCFG_INT, offsetof(fm_cfg, fields), "0", 0, FM_MAX_FIELDS, NULL, false},
    {"bits", GCFG_INT, offsetof(fm_cfg, bits), "20", 1, 32, NULL, false},
    {"heads", GCFG_INT, offsetof(fm_cfg, heads), "1", 1, FM_MAX_HEADS, NULL, false},
    {"head_names", GCFG_STRING, offsetof(fm_cfg, head_names), "", 0, 0, NULL, false},
    {"eta", GCFG_DOUBLE, offsetof(fm_cfg, eta), "0.2", 0, 1e6, NULL, true},
    {"lambda", GCFG_DOUBLE, offsetof(fm_cfg, lambda), "2e-5", 0, 1e6, NULL, false},
    {"init_scale", GCFG_DOUBLE, offsetof(fm_cfg, init_scale), "1", 0, 1e6, NULL, false},
    {"normalize", GCFG_BOOL, offsetof(fm_cfg, normalize), "true", 0, 0, NULL, false},
    {"linear", GCFG_BOOL, offsetof(fm_cfg, linear), "true", 0, 0, NULL, false},
    {"bias", GCFG_BOOL, offsetof(fm_cfg, bias), "true", 0, 0, NULL, false},
    {"alpha", GCFG_DOUBLE, offsetof(fm_cfg, alpha), "0.05", 0, 1e6, NULL, true},
    {"beta", GCFG_DOUBLE, offsetof(fm_cfg, beta), "1", 0, 1e6, NULL, false},
    {"l1", GCFG_DOUBLE, offsetof(fm_cfg, l1), "1", 0, 1e6, NULL, false},
    {"l2", GCFG_DOUBLE, offsetof(fm_cfg, l2), "1", 0, 1e6, NULL, false},
    {"precision", GCFG_ENUM, offsetof(fm_cfg, precision), "float", 0, 0, "float|compact", false},
    {"seed", GCFG_INT, offsetof(fm_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
    GCFG_MAX_MEMORY(fm_cfg, max_memory),
    {"threads", GCFG_INT, offsetof(fm_cfg, threads), "1", 1, FM_MAX_THREADS, NULL, false},
    {"table", GCFG_ENUM, offsetof(fm_cfg, table), "hashed", 0, 0, "hashed|exact", false},
    {"admit", GCFG_INT, offsetof(fm_cfg, admit), "1", 1, 255, NULL, false},
    {"admit_prob", GCFG_DOUBLE, offsetof(fm_cfg, admit_prob), "1", 0, 1, NULL, true},
    {"admit_sketch", GCFG_INT, offsetof(fm_cfg, admit_sketch), "4194304", 1024, 1099511627776.0, NULL, false},
    {"expire", GCFG_INT, offsetof(fm_cfg, expire), "0", 0, 9007199254740992.0, NULL, false},
    {"expire_seconds", GCFG_INT, offsetof(fm_cfg, expire_seconds), "0", 0, 4294967295.0, NULL, false},
    {"unseen", GCFG_ENUM, offsetof(fm_cfg, unseen), "seeded", 0, 0, "zero|seeded", false},
};
const size_t fm_nopts = sizeof fm_opts / sizeof fm_opts[0];

/* growth_fm_stats as first released (up to bytes_per_slot): still accepted by growth_fm_stats_get. */
#define FM_STATS_SIZE_1_0 offsetof(growth_fm_stats, live)

/* ---- configuration ----------------------------------------------------------------------------- */

static int cfg_check(const char *who, const fm_cfg *c)
{
    if (c->model == FM_MODEL_FFM && c->fields == 0)
        return gerr(GROWTH_EINVAL, "%s: config key 'fields' is required for model=ffm (1..%d)", who,
                    FM_MAX_FIELDS);
    if (c->table == FM_TABLE_HASHED) {
        static const char *const exact_only[] = {"admit", "admit_prob", "admit_sketch", "expire",
                                                 "expire_seconds"};
        bool set[5] = {c->admit != 1, c->admit_prob != 1.0, c->admit_sketch != 4194304, c->expire != 0,
                       c->expire_seconds != 0};
        for (int i = 0; i < 5; i++)
            if (set[i])
                return gerr(
                    GROWTH_EINVAL,
                    "%s: config key '%s' needs table=exact (the hashed table has no admission or expiry)",
                    who, exact_only[i]);
    }
    char names[FM_MAX_HEADS][FM_NAME_MAX];
    return ghead_names(who, c->head_names, c->heads, FM_MAX_HEADS, names);
}

int fm_cfg_parse(const char *who, const char *config, fm_cfg *out)
{
    fm_cfg c;
    memset(&c, 0, sizeof c);
    int rc = gcfg_parse(who, fm_opts, fm_nopts, config, &c, sizeof c);
    if (!rc) rc = cfg_check(who, &c);
    if (!rc) *out = c;
    return rc;
}

int fm_cfg_parse_stored(const char *who, const char *config, fm_cfg *out)
{
    fm_cfg c;
    memset(&c, 0, sizeof c);
    int rc = gcfg_parse_stored(who, fm_opts, fm_nopts, config, &c, sizeof c);
    if (rc) return rc;
    if ((rc = cfg_check(who, &c)))
        return gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, gerr_cause(who));
    *out = c;
    return GROWTH_OK;
}

/* ---- sizes ------------------------------------------------------------------------------------- */

static int kp_of(int64_t k) { return (int)((k + 3) & ~(int64_t)3); }

static double vec_table_bytes(const fm_cfg *c)
{
    double v = c->model == FM_MODEL_FFM ? (double)c->fields : 1.0;
    return ldexp(v * kp_of(c->k) * (c->precision == FM_PREC_FLOAT ? 4.0 : 2.0), (int)c->bits);
}

static double lin_table_bytes(const fm_cfg *c)
{
    if (!c->linear) return 0.0;
    return ldexp((double)c->heads * (c->precision == FM_PREC_FLOAT ? 16.0 : 6.0), (int)c->bits);
}

static double touched_table_bytes(const fm_cfg *c)
{
    return ldexp(1.0, (int)c->bits) <= 64 ? 8.0 : ldexp(1.0, (int)c->bits - 3);
}

double fm_state_bytes(const fm_cfg *c)
{
    return 2.0 * (vec_table_bytes(c) + 64.0) + lin_table_bytes(c) + touched_table_bytes(c) +
           (double)sizeof(struct growth_fm);
}

static uint64_t bytes_per_slot(const growth_fm *m)
{
    uint64_t esz = m->vf ? 4 : 2;
    uint64_t b = 2 * (uint64_t)m->V * (uint64_t)m->KP * esz;
    if (m->cfg.linear) b += (uint64_t)m->H * (m->vf ? 16u : 6u);
    return b;
}

/* ---- initial factors ----------------------------------------------------------------------------- */

/* What fm_init_vec derives from the configuration alone (computed once per slot by
 * fm_first_touch, which seeds every vector of a slot at once). */
typedef struct {
    float sc;
    uint64_t seed_hash;
} fm_init_consts;

static inline fm_init_consts init_consts(const fm_cfg *cfg)
{
    fm_init_consts ic = {(float)(cfg->init_scale / sqrt((double)cfg->k)),
                         gmix64((uint64_t)cfg->seed ^ UINT64_C(0x666d2e696e69742e))};
    return ic;
}

static inline void init_vec_with(const fm_init_consts *ic, int64_t k, uint64_t slot, int field, float *v)
{
    /* uniform in [0, init_scale / sqrt(k)): 24 random bits of a hash of (seed, slot, field, d),
     * scaled in float (exact IEEE operations: the same bits on every machine) */
    const float sc = ic->sc;
    const uint64_t base = gmix64(ic->seed_hash ^ ((slot << 8) | (uint64_t)(unsigned)field));
    for (int64_t d = 0; d < k; d++) {
        uint64_t h = gmix64(base + (uint64_t)(d + 1) * UINT64_C(0x9e3779b97f4a7c15));
        float x = (float)(h >> 40) * 0x1p-24f * sc;
        if (x >= sc && sc > 0.0f) x = nextafterf(sc, 0.0f);
        v[d] = x;
    }
}

void fm_init_vec(const fm_cfg *cfg, uint64_t slot, int field, float *v)
{
    const fm_init_consts ic = init_consts(cfg);
    init_vec_with(&ic, cfg->k, slot, field, v);
}

/* ---- creation ---------------------------------------------------------------------------------- */

static void *aligned64(void *p) { return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

static void free_tables(growth_fm *m)
{
    gtable_free(m->v_raw, m->vec_bytes);
    gtable_free(m->g_raw, m->vec_bytes);
    gtable_free((void *)m->lf, m->lin_bytes);
    gtable_free((void *)m->lc, m->lin_bytes);
    gtable_free(m->touched_bits, m->touched_bytes);
}

int fm_new(growth_fm **out, const fm_cfg *cfg, const char *who)
{
    if (cfg->table == FM_TABLE_EXACT) return fmx_new(out, cfg, who);
    char names[FM_MAX_HEADS][FM_NAME_MAX];
    int rc = ghead_names(who, cfg->head_names, cfg->heads, FM_MAX_HEADS, names);
    if (rc) return rc;
    char what[160];
    snprintf(what, sizeof what, "%s: tables of 2^%lld slots x %d vectors x k=%lld (precision=%s)", who,
             (long long)cfg->bits, cfg->model == FM_MODEL_FFM ? (int)cfg->fields : 1, (long long)cfg->k,
             cfg->precision == FM_PREC_FLOAT ? "float" : "compact");
    if ((rc = gmem_reserve(what, fm_state_bytes(cfg), (uint64_t)cfg->max_memory))) return rc;
    growth_fm *m = calloc(1, sizeof *m);
    if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    m->cfg = *cfg;
    m->H = (int)cfg->heads;
    m->V = fm_vectors_per_slot(cfg);
    m->K = (int)cfg->k;
    m->KP = kp_of(cfg->k);
    m->nslots = UINT64_C(1) << cfg->bits;
    m->nvec = (size_t)m->nslots * (size_t)m->V;
    m->inv_alpha = (float)(1.0 / cfg->alpha);
    m->eta = (float)cfg->eta;
    m->lambda = (float)cfg->lambda;
    memcpy(m->names, names, sizeof names);
    const bool compact = cfg->precision == FM_PREC_COMPACT;
    const size_t esz = compact ? 2 : 4;
    m->vec_bytes = m->nvec * (size_t)m->KP * esz + 64;
    m->v_raw = gtable_alloc(m->vec_bytes);
    m->g_raw = m->v_raw ? gtable_alloc(m->vec_bytes) : NULL;
    m->touched_bytes = (size_t)((m->nslots + 63) / 64) * sizeof(uint64_t);
    m->touched_bits = m->g_raw ? gtable_alloc(m->touched_bytes) : NULL;
    bool ok = m->touched_bits != NULL;
    if (ok && cfg->linear) {
        m->lin_bytes =
            (size_t)m->nslots * (size_t)m->H * (compact ? 3 * sizeof(uint16_t) : 4 * sizeof(float));
        if (compact)
            ok = (m->lc = gtable_alloc(m->lin_bytes)) != NULL;
        else
            ok = (m->lf = gtable_alloc(m->lin_bytes)) != NULL;
    }
    if (!ok) {
        free_tables(m);
        free(m);
        return gerr(GROWTH_ENOMEM, "%s: cannot allocate the tables (%.1f MiB)", who,
                    fm_state_bytes(cfg) / 1048576.0);
    }
    if (compact) {
        m->vc = aligned64(m->v_raw);
        m->gc = aligned64(m->g_raw);
        m->kern = &fm_kernels_compact;
    } else {
        m->vf = aligned64(m->v_raw);
        m->gf = aligned64(m->g_raw);
        m->kern = fm_kernels_default();
    }
    /* The tables start at zero (fresh anonymous pages: creating a model touches no table memory);
     * training gives a slot its seeded factors and unit AdaGrad sums when it first touches it
     * (fm_first_touch), so memory in use follows the slots the data uses. */
    for (int h = 0; h < FM_MAX_HEADS; h++)
        for (int d = 0; d < FM_MAX_K; d++) {
            m->u[h][d] = d < m->K ? 1.0f : 0.0f;
            m->ug[h][d] = 1.0f;
        }
    atomic_init(&m->examples, 0);
    atomic_init(&m->touched, 0);
    pthread_mutex_init(&m->lock, NULL);
    grng_seed(&m->rng, (uint64_t)cfg->seed);
    *out = m;
    return GROWTH_OK;
}

int fm_force_kernels(growth_fm *m, const char *name)
{
    const fm_kernels *k = fm_kernels_named(name);
    if (!k) return gerr(GROWTH_EINVAL, "fm: kernels '%s' are not available here", name ? name : "(null)");
    if (m->cfg.precision == FM_PREC_COMPACT)
        return gerr(GROWTH_EINVAL, "fm: precision=compact always runs the compact kernels");
    m->kern = k;
    return GROWTH_OK;
}

GROWTH_API int growth_fm_create(growth_fm **out, const char *config)
{
    static const char *who = "growth_fm_create";
    GROWTH_CHECK_NULL(who, out);
    fm_cfg cfg;
    int rc = fm_cfg_parse(who, config, &cfg);
    if (rc) return rc;
    return fm_new(out, &cfg, who);
}

GROWTH_API void growth_fm_free(growth_fm *m)
{
    if (!m) return;
    fmx_free(m);
    pthread_mutex_destroy(&m->lock);
    free_tables(m);
    free(m->scratch);
    free(m);
}

/* ---- the contract of fm_impl.h ----------------------------------------------------------------- */

void fm_lock(const growth_fm *m) { pthread_mutex_lock(&((growth_fm *)m)->lock); }
void fm_unlock(const growth_fm *m) { pthread_mutex_unlock(&((growth_fm *)m)->lock); }
const fm_cfg *fm_config_of(const growth_fm *m) { return &m->cfg; }

void fm_get_vec(const growth_fm *m, uint64_t slot, int field, float *v, float *g)
{
    size_t pos = fm_vpos(m, slot, field);
    for (int d = 0; d < m->K; d++) {
        size_t p = pos + (size_t)d;
        if (v) v[d] = m->vf ? fm_ldf(m->vf + p) : gbf16_to_f(fm_ldh(m->vc + p));
        if (g) g[d] = m->gf ? fm_ldf(m->gf + p) : gbf16_to_f(fm_ldh(m->gc + p));
    }
}

void fm_put_vec(growth_fm *m, uint64_t slot, int field, const float *v, const float *g)
{
    size_t pos = fm_vpos(m, slot, field);
    for (int d = 0; d < m->K; d++) {
        size_t p = pos + (size_t)d;
        if (m->vf) {
            if (v) fm_stf(m->vf + p, v[d]);
            if (g) fm_stf(m->gf + p, g[d]);
        } else {
            if (v) fm_sth(m->vc + p, gf_to_bf16_nearest(v[d]));
            if (g) fm_sth(m->gc + p, gf_to_bf16_nearest(g[d]));
        }
    }
}

/* FTRL weight of statistics z, sqrt(n): the formula of growth_ftrl (ftrl.c weight_of). */
static inline float weight_of(const growth_fm *m, float z, float s)
{
    float l1 = (float)m->cfg.l1;
    float den = ((float)m->cfg.beta + s) * m->inv_alpha + (float)m->cfg.l2;
    float w = (copysignf(l1, z) - z) / (den > 0.0f ? den : 1.0f);
    return (fabsf(z) > l1 && den > 0.0f) ? w : 0.0f;
}

static inline float load_w(const growth_fm *m, size_t wpos)
{
    if (m->lf) return atomic_load_explicit(&m->lf[wpos * 4 + 2], memory_order_relaxed);
    return gbf16_to_f(atomic_load_explicit(&m->lc[wpos * 3 + 2], memory_order_relaxed));
}

static inline void load_stat(const growth_fm *m, size_t wpos, float *z, float *s)
{
    if (m->lf) {
        *z = atomic_load_explicit(&m->lf[wpos * 4], memory_order_relaxed);
        *s = atomic_load_explicit(&m->lf[wpos * 4 + 1], memory_order_relaxed);
    } else {
        *z = gbf16_to_f(atomic_load_explicit(&m->lc[wpos * 3], memory_order_relaxed));
        *s = gbf16_to_f(atomic_load_explicit(&m->lc[wpos * 3 + 1], memory_order_relaxed));
    }
}

static inline void put_stat(growth_fm *m, size_t wpos, float z, float s, uint64_t rbits, bool nearest)
{
    if (m->lf) {
        size_t pos = wpos * 4;
        atomic_store_explicit(&m->lf[pos], z, memory_order_relaxed);
        atomic_store_explicit(&m->lf[pos + 1], s, memory_order_relaxed);
        atomic_store_explicit(&m->lf[pos + 2], weight_of(m, z, s), memory_order_relaxed);
    } else {
        size_t pos = wpos * 3;
        uint16_t bz = nearest ? gf_to_bf16_nearest(z) : gf_to_bf16_sr(z, (uint32_t)rbits);
        uint16_t bs = nearest ? gf_to_bf16_nearest(s) : gf_to_bf16_sr(s, (uint32_t)(rbits >> 16));
        atomic_store_explicit(&m->lc[pos], bz, memory_order_relaxed);
        atomic_store_explicit(&m->lc[pos + 1], bs, memory_order_relaxed);
        float w = weight_of(m, gbf16_to_f(bz), gbf16_to_f(bs));
        atomic_store_explicit(&m->lc[pos + 2], gf_to_bf16_nearest(w), memory_order_relaxed);
    }
}

static inline void put_bias(growth_fm *m, int h, float z, float s)
{
    fm_stf(&m->bias_z[h], z);
    fm_stf(&m->bias_s[h], s);
    fm_stf(&m->bias_w[h], weight_of(m, z, s));
}

void fm_get_lin(const growth_fm *m, uint64_t slot, int head, float *z, float *s)
{
    float zz = 0.0f, ss = 0.0f;
    if (m->cfg.linear) load_stat(m, (size_t)slot * (size_t)m->H + (size_t)head, &zz, &ss);
    if (z) *z = zz;
    if (s) *s = ss;
}

float fm_slot_weight(const growth_fm *m, uint64_t slot, int head)
{
    return m->cfg.linear ? load_w(m, (size_t)slot * (size_t)m->H + (size_t)head) : 0.0f;
}

uint64_t fm_slots(const growth_fm *m) { return m->nslots; }

void fm_put_lin(growth_fm *m, uint64_t slot, int head, float z, float s)
{
    if (m->cfg.linear) put_stat(m, (size_t)slot * (size_t)m->H + (size_t)head, z, s, 0, true);
}

void fm_get_bias(const growth_fm *m, int head, float *z, float *s)
{
    if (z) *z = fm_ldf(&m->bias_z[head]);
    if (s) *s = fm_ldf(&m->bias_s[head]);
}

void fm_put_bias(growth_fm *m, int head, float z, float s) { put_bias(m, head, z, s); }

void fm_get_head(const growth_fm *m, int head, float *u, float *ug)
{
    for (int d = 0; d < m->K; d++) {
        if (u) u[d] = fm_ldf(&m->u[head][d]);
        if (ug) ug[d] = fm_ldf(&m->ug[head][d]);
    }
}

void fm_put_head(growth_fm *m, int head, const float *u, const float *ug)
{
    for (int d = 0; d < m->K; d++) {
        if (u) fm_stf(&m->u[head][d], u[d]);
        if (ug) fm_stf(&m->ug[head][d], ug[d]);
    }
}

bool fm_is_touched(const growth_fm *m, uint64_t slot)
{
    return (__atomic_load_n(&m->touched_bits[slot >> 6], __ATOMIC_RELAXED) >> (slot & 63)) & 1u;
}

void fm_mark_touched(growth_fm *m, uint64_t slot) { fm_touch(m, slot); }

uint64_t fm_next_touched(const growth_fm *m, uint64_t from)
{
    if (from >= m->nslots) return UINT64_MAX;
    size_t nw = (size_t)((m->nslots + 63) / 64);
    size_t w = (size_t)(from >> 6);
    uint64_t word = m->touched_bits[w] & (~UINT64_C(0) << (from & 63));
    while (1) {
        if (word) {
            uint64_t s = ((uint64_t)w << 6) + (uint64_t)__builtin_ctzll(word);
            return s < m->nslots ? s : UINT64_MAX;
        }
        if (++w >= nw) return UINT64_MAX;
        word = m->touched_bits[w];
    }
}

uint64_t fm_examples(const growth_fm *m) { return atomic_load_explicit(&m->examples, memory_order_relaxed); }
void fm_set_examples(growth_fm *m, uint64_t n)
{
    atomic_store_explicit(&m->examples, n, memory_order_relaxed);
}

/* ---- small public calls ------------------------------------------------------------------------ */

GROWTH_API int growth_fm_stats_get(const growth_fm *m, growth_fm_stats *out)
{
    static const char *who = "growth_fm_stats_get";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    growth_fm_stats s = GROWTH_FM_STATS_INIT;
    s.heads = (uint64_t)m->H;
    s.bits = (uint64_t)m->cfg.bits;
    s.fields = (uint64_t)m->cfg.fields;
    s.k = (uint64_t)m->K;
    s.examples = atomic_load_explicit(&m->examples, memory_order_relaxed);
    s.touched = atomic_load_explicit(&m->touched, memory_order_relaxed);
    /* the writer's scratch is not counted: it belongs to the trainer (reading its size here would
     * race the trainer) */
    s.bytes = (uint64_t)(2 * m->vec_bytes + m->lin_bytes + m->touched_bytes + sizeof *m);
    s.bytes_per_slot = bytes_per_slot(m);
    if (m->ex)
        fmx_stats(m, &s);
    else
        s.live = s.touched, s.table_bytes = s.bytes;
    return gstruct_out(who, "stats", out, &s, FM_STATS_SIZE_1_0, sizeof s);
}

GROWTH_API int growth_fm_head_index(const growth_fm *m, const char *name, size_t *out_index)
{
    static const char *who = "growth_fm_head_index";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, name);
    GROWTH_CHECK_NULL(who, out_index);
    for (int h = 0; h < m->H; h++)
        if (m->names[h][0] && strcmp(m->names[h], name) == 0) {
            *out_index = (size_t)h;
            return GROWTH_OK;
        }
    return gerr(GROWTH_ENOTFOUND, "%s: no head named '%s'", who, name);
}

GROWTH_API int growth_fm_config(const growth_fm *m, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_fm_config", m);
    int rc = gcfg_format(fm_opts, fm_nopts, &m->cfg, buf, cap, out_n);
    if (rc == GROWTH_EBUFS)
        return gerr(GROWTH_EBUFS, "growth_fm_config: buffer of %zu bytes is too small%s", cap,
                    out_n ? " (out_n has the size needed)" : "");
    return rc;
}

/* The keys growth_fm_set_config() may change. */
typedef struct {
    int64_t threads;
} fm_set_cfg;
static const gcfg_opt fm_set_opts[] = {
    {"threads", GCFG_INT, offsetof(fm_set_cfg, threads), "1", 1, FM_MAX_THREADS, NULL, false},
};

GROWTH_API int growth_fm_set_config(growth_fm *m, const char *config)
{
    GROWTH_CHECK_NULL("growth_fm_set_config", m);
    fm_set_cfg c;
    memset(&c, 0, sizeof c);
    int rc = gcfg_parse("fm", fm_set_opts, 1, config ? config : "", &c, sizeof c);
    if (rc) return rc;
    pthread_mutex_lock(&m->lock);
    m->cfg.threads = c.threads;
    pthread_mutex_unlock(&m->lock);
    return GROWTH_OK;
}

GROWTH_API int growth_fm_set_progress(growth_fm *m, growth_progress_fn fn, void *user)
{
    GROWTH_CHECK_NULL("growth_fm_set_progress", m);
    pthread_mutex_lock(&m->lock); /* the fit reads it under this lock */
    m->progress = fn;
    m->progress_user = user;
    pthread_mutex_unlock(&m->lock);
    return GROWTH_OK;
}

/* ---- validation -------------------------------------------------------------------------------- */

/* The bitwise or of n slots and the largest of n field ids: the checks of every entry of a batch
 * (SSE2 on x86-64, where GCC's -O2 does not vectorise these loops). */
static uint32_t or_all_u32(const uint32_t *p, size_t n)
{
    uint32_t acc = 0;
    size_t k = 0;
#if defined(__x86_64__)
    __m128i a = _mm_setzero_si128(), b = _mm_setzero_si128();
    for (; k + 8 <= n; k += 8) {
        a = _mm_or_si128(a, _mm_loadu_si128((const __m128i *)(p + k)));
        b = _mm_or_si128(b, _mm_loadu_si128((const __m128i *)(p + k + 4)));
    }
    a = _mm_or_si128(a, b);
    a = _mm_or_si128(a, _mm_shuffle_epi32(a, 0x4e));
    a = _mm_or_si128(a, _mm_shuffle_epi32(a, 0xb1));
    acc = (uint32_t)_mm_cvtsi128_si32(a);
#endif
    for (; k < n; k++) acc |= p[k];
    return acc;
}

static unsigned max_u8(const uint8_t *p, size_t n)
{
    unsigned mx = 0;
    size_t k = 0;
#if defined(__x86_64__)
    __m128i a = _mm_setzero_si128();
    for (; k + 16 <= n; k += 16) a = _mm_max_epu8(a, _mm_loadu_si128((const __m128i *)(p + k)));
    uint8_t t[16];
    _mm_storeu_si128((__m128i *)t, a);
    for (int i = 0; i < 16; i++) mx = t[i] > mx ? t[i] : mx;
#endif
    for (; k < n; k++) mx = p[k] > mx ? p[k] : mx;
    return mx;
}

static void row_name(char *buf, size_t cap, size_t row)
{
    if (row == SIZE_MAX)
        buf[0] = 0;
    else
        snprintf(buf, cap, "row %zu: ", row);
}

int fm_check_row(const growth_fm *m, const char *who, const uint32_t *idx, const uint8_t *fld,
                 const float *val, size_t nnz, size_t row)
{
    char rn[48];
    if (nnz > 0 && idx == NULL) {
        row_name(rn, sizeof rn, row);
        return gerr(GROWTH_EINVAL, "%s: %sidx is NULL with nnz=%zu", who, rn, nnz);
    }
    if (nnz > 0 && fld == NULL && m->cfg.model == FM_MODEL_FFM) {
        row_name(rn, sizeof rn, row);
        return gerr(GROWTH_EINVAL, "%s: %sfld is NULL (model=ffm needs the field of every entry)", who, rn);
    }
    if (m->cfg.bits < 32 && !m->ex) { /* table=exact: idx values are keys */
        if (or_all_u32(idx, nnz) >> m->cfg.bits)
            for (size_t k = 0; k < nnz; k++)
                if (idx[k] >> m->cfg.bits) {
                    row_name(rn, sizeof rn, row);
                    return gerr(GROWTH_EINVAL, "%s: %sidx[%zu] = %u is not below 2^%d", who, rn, k, idx[k],
                                (int)m->cfg.bits);
                }
    }
    if (fld && m->cfg.fields > 0 && m->cfg.fields < 256) {
        if (max_u8(fld, nnz) >= (unsigned)m->cfg.fields)
            for (size_t k = 0; k < nnz; k++)
                if (fld[k] >= m->cfg.fields) {
                    row_name(rn, sizeof rn, row);
                    return gerr(GROWTH_EINVAL, "%s: %sfld[%zu] = %u is not below fields=%lld", who, rn, k,
                                fld[k], (long long)m->cfg.fields);
                }
    }
    if (val && !gall_finite_f32(val, nnz))
        for (size_t k = 0; k < nnz; k++)
            if (!gfinite(val[k])) {
                row_name(rn, sizeof rn, row);
                return gerr(GROWTH_EINVAL, "%s: %sval[%zu] is not finite", who, rn, k);
            }
    return GROWTH_OK;
}

int fm_check_labels(const growth_fm *m, const char *who, const float *labels, size_t row)
{
    for (int h = 0; h < m->H; h++) {
        float y = labels[h];
        if (!(y == 0.0f || y == 1.0f || y == GROWTH_LABEL_MISSING))
            return gerr(GROWTH_EINVAL,
                        "%s: row %zu head %d: label %g is not 0, 1 or GROWTH_LABEL_MISSING (-1)", who, row, h,
                        (double)y);
    }
    return GROWTH_OK;
}

int fm_check_weight(const char *who, float w, size_t row)
{
    if (!(gfinite(w) && w >= 0.0f))
        return gerr(GROWTH_EINVAL, "%s: row %zu: weight %g is not finite and >= 0", who, row, (double)w);
    return GROWTH_OK;
}

static int check_flags(const char *who, unsigned flags)
{
    if (flags & ~GROWTH_PREDICT_MARGIN)
        return gerr(GROWTH_EINVAL, "%s: unknown flags 0x%x (only GROWTH_PREDICT_MARGIN)", who, flags);
    return GROWTH_OK;
}

static int check_out(const char *who, const char *name, float *out, size_t cap, size_t need)
{
    if (!out) return gerr(GROWTH_EINVAL, "%s: %s is NULL", who, name);
    if (cap < need)
        return gerr(GROWTH_EBUFS, "%s: %s has room for %zu floats, need %zu", who, name, cap, need);
    return GROWTH_OK;
}

static int check_csr(const growth_fm *m, const char *who, const uint64_t *indptr, const uint32_t *idx,
                     const uint8_t *fld, const float *val, size_t nrows)
{
    GROWTH_CHECK_NULL(who, indptr);
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] < indptr[r]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at row %zu", who, r);
    if (indptr[nrows] > (uint64_t)SIZE_MAX / 4) return gerr(GROWTH_EINVAL, "%s: indptr too large", who);
    size_t b = (size_t)indptr[0], n = (size_t)(indptr[nrows] - indptr[0]);
    return fm_check_row(m, who, idx ? idx + b : NULL, fld ? fld + b : NULL, val ? val + b : NULL, n,
                        SIZE_MAX);
}

/* ---- prediction -------------------------------------------------------------------------------- */

static inline float row_r(const growth_fm *m, const fm_row *row)
{
    if (!m->cfg.normalize) return 1.0f;
    if (row->r > 0.0f) return row->r;
    float s = 0.0f;
    if (!row->val)
        s = (float)row->n;
    else
        for (size_t i = 0; i < row->n; i++) s += row->val[i] * row->val[i];
    return s > 0.0f ? 1.0f / s : 1.0f;
}

/* Pairwise sums of the row (P, and S for model=fm). */
static inline void pairwise(const growth_fm *m, const fm_row *row, float *P, float *S)
{
    if (m->cfg.model == FM_MODEL_FFM)
        m->kern->ffm_pairwise(m, row, P);
    else
        m->kern->fm_pairwise(m, row, P, S);
}

/* ---- untouched slots under unseen=seeded ------------------------------------------------------- */

/* Touched bit of a slot, read without the lock (the writer stores the word with a relaxed atomic
 * store after giving the slot its factors). */
static inline bool touched_relaxed(const growth_fm *m, uint64_t slot)
{
    return (__atomic_load_n(&m->touched_bits[slot >> 6], __ATOMIC_RELAXED) >> (slot & 63)) & 1u;
}

/* The factors vector (slot, f) would have after its first touch: fm_init_vec, rounded as the
 * table stores it (bfloat16 in compact mode). */
static void seeded_vec(const growth_fm *m, uint64_t slot, int f, float *v)
{
    fm_init_vec(&m->cfg, slot, f, v);
    if (m->vc)
        for (int d = 0; d < m->K; d++) v[d] = gbf16_to_f(gf_to_bf16_nearest(v[d]));
}

/* With unseen=seeded, makes P (and S for model=fm) what they would be if every untouched slot of
 * the row had its seeded factors, as LIBFFM's and PyTorch's eagerly initialised tables have
 * (fm.h). Scalar and only for rows with an untouched slot (rare once training has seen the
 * data); no allocation. The kernels read an untouched slot's table as it is (zeros, or a first
 * touch in progress): model=ffm adds, for every pair with an untouched side, the effective
 * product minus the product the kernel read; model=fm recomputes the sums. */
static __attribute__((noinline)) void seeded_correction(const growth_fm *m, const fm_row *row, float *P,
                                                        float *S, size_t first)
{
    const size_t n = row->n;
    const int K = m->K;
    float a[FM_MAX_K], b[FM_MAX_K], at[FM_MAX_K], bt[FM_MAX_K];
    if (m->cfg.model == FM_MODEL_FM) {
        float s[FM_MAX_K] = {0}, q[FM_MAX_K] = {0};
        for (size_t i = 0; i < n; i++) {
            float x = row->val ? row->val[i] : 1.0f;
            if (touched_relaxed(m, row->idx[i]))
                fm_get_vec(m, row->idx[i], 0, a, NULL);
            else
                seeded_vec(m, row->idx[i], 0, a);
            for (int d = 0; d < K; d++) {
                float vx = a[d] * x;
                s[d] += vx;
                q[d] += vx * vx;
            }
        }
        for (int d = 0; d < K; d++) {
            S[d] = s[d];
            P[d] = 0.5f * (s[d] * s[d] - q[d]);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const uint64_t si = row->idx[i];
        const bool ti = i < first || touched_relaxed(m, si);
        const float xi = row->val ? row->val[i] : 1.0f;
        for (size_t j = i + 1; j < n; j++) {
            const uint64_t sj = row->idx[j];
            const bool tj = j < first || touched_relaxed(m, sj);
            if (ti && tj) continue;
            const float xx = xi * (row->val ? row->val[j] : 1.0f);
            fm_get_vec(m, si, row->fld[j], at, NULL);
            fm_get_vec(m, sj, row->fld[i], bt, NULL);
            if (ti)
                memcpy(a, at, (size_t)K * sizeof(float));
            else
                seeded_vec(m, si, row->fld[j], a);
            if (tj)
                memcpy(b, bt, (size_t)K * sizeof(float));
            else
                seeded_vec(m, sj, row->fld[i], b);
            for (int d = 0; d < K; d++) P[d] += (a[d] * b[d] - at[d] * bt[d]) * xx;
        }
    }
}

/* Pairwise sums as predictions see them (pairwise plus, with unseen=seeded, the seeded factors of
 * untouched slots). Finding the untouched slots: the table of an untouched slot holds zeros, so
 * a non-zero first factor (in a cache line the kernels have just read) answers "touched" without
 * the bitmap; a zero one (an untouched slot, or rarely a touched one) asks the bitmap. */
static inline void pairwise_pred(const growth_fm *m, const fm_row *row, float *P, float *S)
{
    pairwise(m, row, P, S);
    /* table=exact: a feature without a record (not admitted, expired, evicted) adds 0, as the
     * issue's admission asks; its row entry reads the arena's zero slot */
    if (m->cfg.unseen != FM_UNSEEN_SEEDED || m->ex) return;
    /* the table's base and stride hoisted out of the loop (atomic loads keep the compiler from
     * doing it) */
    const size_t stride = (size_t)m->V * (size_t)m->KP, n = row->n;
    const uint32_t *idx = row->idx;
    if (m->vf) {
        const float *vf = m->vf;
        for (size_t i = 0; i < n; i++)
            if (fm_ldf(vf + (size_t)idx[i] * stride) == 0.0f && !touched_relaxed(m, idx[i])) {
                seeded_correction(m, row, P, S, i); /* rows with an untouched slot only */
                return;
            }
    } else {
        const uint16_t *vc = m->vc;
        for (size_t i = 0; i < n; i++)
            if ((fm_ldh(vc + (size_t)idx[i] * stride) & 0x7fffu) == 0 && !touched_relaxed(m, idx[i])) {
                seeded_correction(m, row, P, S, i);
                return;
            }
    }
}

/* margin_h = (bias + linear, in growth_ftrl's summation orders) + r * sum_d u_{h,d} P_d. Training
 * passes wc (n x H): the linear weights read are cached there. */
static void margins_from(const growth_fm *m, const fm_row *row, const float *P, float r, float *margin,
                         float *wc)
{
    const int H = m->H;
    const size_t n = row->n;
    for (int h = 0; h < H; h++) margin[h] = m->cfg.bias ? fm_ldf(&m->bias_w[h]) : 0.0f;
    if (m->cfg.linear && wc && H == 1 && !row->val && m->lf) {
        /* training, one head, binary features: the loop below without its head and value loops */
        const _Atomic float *lf = m->lf;
        const uint32_t *idx = row->idx;
        float a = margin[0];
        for (size_t k = 0; k < n; k++) {
            float w = atomic_load_explicit(&lf[(size_t)idx[k] * 4 + 2], memory_order_relaxed);
            wc[k] = w;
            a += w;
        }
        margin[0] = a;
    } else if (m->cfg.linear && wc) {
        /* training: one accumulator, as ftrl_apply */
        for (size_t k = 0; k < n; k++) {
            size_t base = (size_t)row->idx[k] * (size_t)H;
            for (int h = 0; h < H; h++) {
                float w = load_w(m, base + (size_t)h);
                wc[k * (size_t)H + (size_t)h] = w;
                margin[h] += w * (row->val ? row->val[k] : 1.0f);
            }
        }
    } else if (m->cfg.linear && H == 1 && !row->val && m->lf) {
        /* prediction, one head, binary features: the loop below without its head and value loops
         * (the same four accumulators, in the same order) */
        const _Atomic float *lf = m->lf;
        const uint32_t *idx = row->idx;
        float a0 = margin[0], a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        size_t k = 0;
        for (; k + 4 <= n; k += 4) {
            a0 += atomic_load_explicit(&lf[(size_t)idx[k] * 4 + 2], memory_order_relaxed);
            a1 += atomic_load_explicit(&lf[(size_t)idx[k + 1] * 4 + 2], memory_order_relaxed);
            a2 += atomic_load_explicit(&lf[(size_t)idx[k + 2] * 4 + 2], memory_order_relaxed);
            a3 += atomic_load_explicit(&lf[(size_t)idx[k + 3] * 4 + 2], memory_order_relaxed);
        }
        for (; k < n; k++) a0 += atomic_load_explicit(&lf[(size_t)idx[k] * 4 + 2], memory_order_relaxed);
        margin[0] = (a0 + a1) + (a2 + a3);
    } else if (m->cfg.linear) {
        /* prediction: four accumulators, as ftrl_margins */
        float acc[4][FM_MAX_HEADS];
        for (int h = 0; h < H; h++) {
            acc[0][h] = margin[h];
            acc[1][h] = acc[2][h] = acc[3][h] = 0.0f;
        }
        size_t full = n & ~(size_t)3;
        for (size_t k = 0; k < n; k++) {
            size_t base = (size_t)row->idx[k] * (size_t)H;
            float *a = acc[k < full ? (k & 3) : 0];
            for (int h = 0; h < H; h++) {
                float w = load_w(m, base + (size_t)h);
                a[h] += row->val ? w * row->val[k] : w;
            }
        }
        for (int h = 0; h < H; h++) margin[h] = (acc[0][h] + acc[1][h]) + (acc[2][h] + acc[3][h]);
    }
    if (H == 1) {
        float pw = 0.0f;
        for (int d = 0; d < m->K; d++) pw += P[d];
        margin[0] += r * pw;
        return;
    }
    for (int h = 0; h < H; h++) {
        float pw = 0.0f;
        for (int d = 0; d < m->K; d++) pw += fm_ldf(&m->u[h][d]) * P[d];
        margin[h] += r * pw;
    }
}

void fm_margins(const growth_fm *m, const fm_row *row, float *margin)
{
    float P[FM_MAX_K] __attribute__((aligned(32))), S[FM_MAX_K] __attribute__((aligned(32)));
    pairwise_pred(m, row, P, S);
    margins_from(m, row, P, row_r(m, row), margin, NULL);
}

#ifndef FM_PREFETCH_ROWS
#define FM_PREFETCH_ROWS 1
#endif

/* Asks the memory system for the vectors (and sums and linear records when training) of a row. */
#define FM_PF(p, train)                                                                                      \
    do {                                                                                                     \
        if (train)                                                                                           \
            __builtin_prefetch((p), 1);                                                                      \
        else                                                                                                 \
            __builtin_prefetch((p), 0);                                                                      \
    } while (0)

static void prefetch_row(const growth_fm *m, const uint32_t *idx, size_t b, size_t e, bool train)
{
    const size_t esz = m->vf ? 4 : 2, blk = (size_t)m->V * (size_t)m->KP * esz;
    const char *V = m->vf ? (const char *)m->vf : (const char *)m->vc;
    const char *G = m->gf ? (const char *)m->gf : (const char *)m->gc;
    for (size_t k = b; k < e; k++) {
        size_t off = (size_t)idx[k] * blk;
        for (size_t o = 0; o < blk; o += 64) {
            FM_PF(V + off + o, train);
            if (train) __builtin_prefetch(G + off + o, 1);
        }
        if (blk > 64 && ((off + blk - 1) >> 6) != ((off + ((blk - 1) & ~(size_t)63)) >> 6)) {
            FM_PF(V + off + blk - 1, train);
            if (train) __builtin_prefetch(G + off + blk - 1, 1);
        }
        if (m->cfg.linear) {
            size_t w = (size_t)idx[k] * (size_t)m->H;
            if (m->lf)
                FM_PF((const void *)&m->lf[w * 4], train);
            else
                FM_PF((const void *)&m->lc[w * 3], train);
        }
    }
}

static inline fm_row make_row(const growth_fm *m, const uint32_t *idx, const uint8_t *fld, const float *val,
                              size_t n)
{
    fm_row r = {idx, m->cfg.model == FM_MODEL_FFM ? fld : NULL, val, n, 0.0f};
    return r;
}

GROWTH_API int growth_fm_predict(const growth_fm *m, const uint32_t *idx, const uint8_t *fld,
                                 const float *val, size_t nnz, unsigned flags, float *out, size_t cap)
{
    static const char *who = "growth_fm_predict";
    GROWTH_CHECK_NULL(who, m);
    int rc = check_flags(who, flags);
    if (!rc) rc = check_out(who, "out", out, cap, (size_t)m->H);
    if (!rc) rc = fm_check_row(m, who, idx, fld, val, nnz, SIZE_MAX);
    if (rc) return rc;
    if (m->ex) return fmx_predict_csr(m, who, (const uint64_t[2]){0, nnz}, idx, fld, val, 1, flags, out);
    fm_row row = make_row(m, idx, fld, val, nnz);
    fm_margins(m, &row, out);
    if (!(flags & GROWTH_PREDICT_MARGIN))
        for (int h = 0; h < m->H; h++) out[h] = fm_sigmoid(out[h]);
    return GROWTH_OK;
}

GROWTH_API int growth_fm_predict_csr(const growth_fm *m, const uint64_t *indptr, const uint32_t *idx,
                                     const uint8_t *fld, const float *val, size_t nrows, unsigned flags,
                                     float *out, size_t cap)
{
    static const char *who = "growth_fm_predict_csr";
    GROWTH_CHECK_NULL(who, m);
    int rc = check_flags(who, flags);
    if (rc) return rc;
    if (nrows == 0) return GROWTH_OK;
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    rc = check_out(who, "out", out, cap, nrows * (size_t)m->H);
    if (!rc) rc = check_csr(m, who, indptr, idx, fld, val, nrows);
    if (rc) return rc;
    if (m->ex) return fmx_predict_csr(m, who, indptr, idx, fld, val, nrows, flags, out);
    const int H = m->H;
    for (size_t r = 0; r < nrows; r++) {
        size_t b = (size_t)indptr[r], e = (size_t)indptr[r + 1];
        if (r + FM_PREFETCH_ROWS < nrows)
            prefetch_row(m, idx, (size_t)indptr[r + FM_PREFETCH_ROWS],
                         (size_t)indptr[r + FM_PREFETCH_ROWS + 1], false);
        fm_row row = make_row(m, idx + b, fld ? fld + b : NULL, val ? val + b : NULL, e - b);
        float *o = out + r * (size_t)H;
        fm_margins(m, &row, o);
        if (!(flags & GROWTH_PREDICT_MARGIN))
            for (int h = 0; h < H; h++) o[h] = fm_sigmoid(o[h]);
    }
    return GROWTH_OK;
}

/* ---- training ---------------------------------------------------------------------------------- */

int fm_reserve_scratch(growth_fm *m, const char *who, size_t nnz)
{
    size_t per = (size_t)m->H + (size_t)m->KP;
    if (nnz > SIZE_MAX / sizeof(float) / per / 2) return gerr(GROWTH_ENOMEM, "%s: row too long", who);
    size_t need = nnz * per;
    if (need <= m->scratch_cap) return GROWTH_OK;
    size_t cap = need < 1024 ? 1024 : need * 2;
    float *ns = realloc(m->scratch, cap * sizeof *ns);
    if (!ns) return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu entries", who, nnz);
    m->scratch = ns;
    m->scratch_cap = cap;
    return GROWTH_OK;
}

static inline void ftrl_step(const growth_fm *m, float *z, float *s, float w, float g)
{
    float s_new = sqrtf(*s * *s + g * g);
    float sigma = (s_new - *s) * m->inv_alpha;
    *z += g - sigma * w;
    *s = s_new;
}

/* Gives an untouched slot its seeded factors and unit AdaGrad sums (padding lanes: factor 0, sum 1)
 * in every vector, and marks it touched. Writer only (lock held). */
static void fm_first_touch(growth_fm *m, uint64_t slot)
{
    if (fm_is_touched(m, slot)) return;
    float v[FM_MAX_K] __attribute__((aligned(16)));
    const size_t KP = (size_t)m->KP;
    const bool compact = m->vc != NULL;
    const uint16_t one16 = gf_to_bf16_nearest(1.0f);
    const fm_init_consts ic = init_consts(&m->cfg);
    const uint64_t id = m->ex ? fmx_init_id(m, slot) : slot;
    for (size_t d = (size_t)m->K; d < KP; d++) v[d] = 0.0f;
    for (int f = 0; f < m->V; f++) {
        size_t pos = fm_vpos(m, slot, f);
        init_vec_with(&ic, m->cfg.k, id, f, v);
#if defined(__x86_64__) && !FM_TSAN
        if (!compact) {
            /* 16-byte stores, as the SIMD kernels write the table (fm_internal.h) */
            for (size_t d = 0; d < KP; d += 4) {
                _mm_store_ps(&m->vf[pos + d], _mm_load_ps(&v[d]));
                _mm_store_ps(&m->gf[pos + d], _mm_set1_ps(1.0f));
            }
            continue;
        }
#endif
        for (size_t d = 0; d < KP; d++) {
            if (compact) {
                fm_sth(&m->gc[pos + d], one16);
                fm_sth(&m->vc[pos + d], gf_to_bf16_nearest(v[d]));
            } else {
                fm_stf(&m->gf[pos + d], 1.0f);
                fm_stf(&m->vf[pos + d], v[d]);
            }
        }
    }
    fm_touch(m, slot);
}

/* Per-head gradients of the loss w.r.t. the margins (NaN: the head has no label). */
typedef void (*fm_grad_fn)(void *ctx, const float *margins, float *grads);

/* The state of one training thread: its row scratch (m->scratch on the calling thread), its
 * rounding stream and the examples it trained (merged by the caller, which holds the lock). */
typedef struct {
    float *scratch;
    grng *rng;
    uint64_t dex;
} fm_wk;

/* Trains on one row (caller holds the lock and reserved the scratch for it). */
static void fm_apply(growth_fm *m, fm_wk *wk, const fm_row *row, float weight, bool trains,
                     fm_grad_fn grad_fn, void *ctx, float *margins_out)
{
    const int H = m->H;
    const size_t n = row->n, KP = (size_t)m->KP;
    float P[FM_MAX_K] __attribute__((aligned(32))), S[FM_MAX_K] __attribute__((aligned(32)));
    bool fresh = false;
    if (trains)
        for (size_t k = 0; k < n && !fresh; k++) fresh = !fm_is_touched(m, row->idx[k]);
    if (fresh) {
        /* Progressive validation reports what growth_fm_predict says now (untouched slots add
         * nothing with unseen=zero, their seeded factors with unseen=seeded); training then
         * starts from the slots' seeded factors. */
        if (margins_out) {
            float *wc0 = wk->scratch;
            pairwise_pred(m, row, P, S);
            margins_from(m, row, P, row_r(m, row), margins_out, wc0);
        }
        for (size_t k = 0; k < n; k++) fm_first_touch(m, row->idx[k]);
    }
    float *wc = wk->scratch, *old = wk->scratch + n * (size_t)H;
    float c[FM_MAX_K] __attribute__((aligned(32)));
    float margin[FM_MAX_HEADS], grad[FM_MAX_HEADS], bw[FM_MAX_HEADS];
    if (trains && m->gf) {
        /* the update reads the row's AdaGrad sums after the pairwise pass: ask for them now */
        const size_t blk = (size_t)m->V * KP * sizeof(float);
        const char *G = (const char *)m->gf;
        for (size_t k = 0; k < n; k++) {
            for (size_t o = 0; o < blk; o += 64) __builtin_prefetch(G + (size_t)row->idx[k] * blk + o, 1);
            if (m->lf) __builtin_prefetch((const void *)&m->lf[(size_t)row->idx[k] * (size_t)H * 4], 1);
        }
    }
    if (trains)
        pairwise(m, row, P, S); /* every slot of the row is touched now */
    else
        pairwise_pred(m, row, P, S); /* nothing changes: the margins are a prediction's */
    const float r = row_r(m, row);
    margins_from(m, row, P, r, margin, wc);
    for (int h = 0; h < H; h++) bw[h] = m->cfg.bias ? fm_ldf(&m->bias_w[h]) : 0.0f;
    if (margins_out && !fresh) memcpy(margins_out, margin, (size_t)H * sizeof(float));
    grad_fn(ctx, margin, grad);
    bool active = false;
    for (int h = 0; h < H; h++) active |= !isnan(grad[h]);
    if (!(weight > 0.0f) || !active) goto done;

    /* factors */
    for (size_t d = 0; d < KP; d++) c[d] = 0.0f;
    for (int h = 0; h < H; h++) {
        if (isnan(grad[h])) continue;
        for (int d = 0; d < m->K; d++) c[d] += grad[h] * (H == 1 ? 1.0f : fm_ldf(&m->u[h][d]));
    }
    if (m->cfg.model == FM_MODEL_FFM)
        m->kern->ffm_update(m, row, c, r);
    else
        m->kern->fm_update(m, row, c, r, S, old);

    /* head weights, from the pairwise sums before the example */
    if (H > 1)
        for (int h = 0; h < H; h++) {
            if (isnan(grad[h])) continue;
            float gr = grad[h] * r;
            for (int d = 0; d < m->K; d++) {
                float u = fm_ldf(&m->u[h][d]);
                float q = gr * P[d] + m->lambda * u;
                float g = fm_ldf(&m->ug[h][d]) + q * q;
                fm_stf(&m->ug[h][d], g);
                fm_stf(&m->u[h][d], u - m->eta * (q / sqrtf(g)));
            }
        }

    /* FTRL bias and linear part (ftrl.c's ftrl_apply, pass 2) */
    for (int h = 0; h < H; h++) {
        if (isnan(grad[h]) || grad[h] == 0.0f || !m->cfg.bias) continue;
        float z = fm_ldf(&m->bias_z[h]), sn = fm_ldf(&m->bias_s[h]);
        ftrl_step(m, &z, &sn, bw[h], grad[h]);
        put_bias(m, h, z, sn);
    }
    if (m->cfg.linear) {
        if (H == 1 && m->lf) {
            float g0 = grad[0];
            if (!(isnan(g0) || g0 == 0.0f))
                for (size_t k = 0; k < n; k++) {
                    float g = row->val ? g0 * row->val[k] : g0;
                    size_t pos = (size_t)row->idx[k] * 4;
                    float z = atomic_load_explicit(&m->lf[pos], memory_order_relaxed);
                    float sn = atomic_load_explicit(&m->lf[pos + 1], memory_order_relaxed);
                    ftrl_step(m, &z, &sn, wc[k], g);
                    atomic_store_explicit(&m->lf[pos], z, memory_order_relaxed);
                    atomic_store_explicit(&m->lf[pos + 1], sn, memory_order_relaxed);
                    atomic_store_explicit(&m->lf[pos + 2], weight_of(m, z, sn), memory_order_relaxed);
                }
        } else {
            for (size_t k = 0; k < n; k++) {
                size_t base = (size_t)row->idx[k] * (size_t)H;
                float x = row->val ? row->val[k] : 1.0f;
                if (x == 0.0f) continue;
                for (int h = 0; h < H; h++) {
                    if (isnan(grad[h]) || grad[h] == 0.0f) continue;
                    float z, sn;
                    size_t wpos = base + (size_t)h;
                    load_stat(m, wpos, &z, &sn);
                    ftrl_step(m, &z, &sn, wc[k * (size_t)H + (size_t)h], grad[h] * x);
                    uint64_t rbits = m->lc ? grng_next(wk->rng) : 0;
                    put_stat(m, wpos, z, sn, rbits, false);
                }
            }
        }
    }
    /* a training row first-touched (and so marked) every slot above */
    if (!trains)
        for (size_t k = 0; k < n; k++) fm_touch(m, row->idx[k]);
done:
    wk->dex++;
}

/* Adds a thread's examples to the counter (one writer call at a time: the lock). */
static void fm_merge(growth_fm *m, const fm_wk *wk)
{
    atomic_store_explicit(&m->examples, atomic_load_explicit(&m->examples, memory_order_relaxed) + wk->dex,
                          memory_order_relaxed);
}

typedef struct {
    const float *labels;
    float weight;
    int H;
} logistic_ctx;

static void logistic_grad(void *vctx, const float *margins, float *grads)
{
    const logistic_ctx *c = vctx;
    for (int h = 0; h < c->H; h++) {
        float y = c->labels[h];
        grads[h] = y == GROWTH_LABEL_MISSING ? NAN : (fm_sigmoid(margins[h]) - y) * c->weight;
    }
}

static void fm_logistic_wk(growth_fm *m, fm_wk *wk, const fm_row *row, const float *labels, float weight,
                           float *margins_out)
{
    logistic_ctx ctx = {labels, weight, m->H};
    bool labelled = false;
    for (int h = 0; h < m->H; h++) labelled |= labels[h] != GROWTH_LABEL_MISSING;
    fm_apply(m, wk, row, weight, weight > 0.0f && labelled, logistic_grad, &ctx, margins_out);
}

void fm_train_logistic(growth_fm *m, const fm_row *row, const float *labels, float weight, float *margins_out)
{
    fm_wk wk = {m->scratch, &m->rng, 0};
    fm_logistic_wk(m, &wk, row, labels, weight, margins_out);
    fm_merge(m, &wk);
}

/* ---- threads=N: one batch on several threads (Hogwild) ---------------------------------------- */

/* Items below which a batch is not worth a thread (starting one costs tens of microseconds). */
#define FM_MIN_ROWS_PER_THREAD 128
/* Items a thread takes at a time: threads move through the batch together, so an item's
 * prediction has seen the updates of nearly every item before it, as on one thread. */
#define FM_BLOCK_ROWS 32

typedef struct {
    growth_fm *m;
    fm_wk wk;
    grng rng;
    fm_item_fn item;
    const void *ctx;
    size_t n, t, T;
} fm_job;

static void *fm_job_run(void *arg)
{
    fm_job *j = arg;
    growth_fm *m = j->m;
    const size_t step = FM_BLOCK_ROWS * j->T;
    for (size_t b0 = FM_BLOCK_ROWS * j->t; b0 < j->n; b0 += step) {
        size_t b1 = b0 + FM_BLOCK_ROWS < j->n ? b0 + FM_BLOCK_ROWS : j->n;
        for (size_t r = b0; r < b1; r++) {
            size_t nx = r + 1 < b1 ? r + 1 : b0 + step; /* this thread's next item */
            fm_item it;
            if (nx < j->n) {
                j->item(m, j->ctx, nx, &it);
                prefetch_row(m, it.row.idx, 0, it.row.n, true);
            }
            j->item(m, j->ctx, r, &it);
            fm_logistic_wk(m, &j->wk, &it.row, it.labels, it.weight, it.margins);
        }
    }
    return NULL;
}

/* Threads that train: cfg.threads, 1 with compact precision (the kernels share the model's
 * rounding stream). */
static size_t fm_threads(const growth_fm *m) { return m->vf && !m->ex ? (size_t)m->cfg.threads : 1; }

int fm_batch_scratch(const growth_fm *m, const char *who, size_t longest, float **out)
{
    size_t T = fm_threads(m);
    size_t per = (longest ? longest : 1) * ((size_t)m->H + (size_t)m->KP);
    *out = NULL;
    if (T > 1 && (per > SIZE_MAX / sizeof(float) / (T - 1) || !(*out = malloc((T - 1) * per * sizeof **out))))
        return gerr(GROWTH_ENOMEM, "%s: out of memory for the row scratch of %zu threads", who, T);
    return GROWTH_OK;
}

/* Threads store a slot's FTRL state (z, n) and its cached weight as separate relaxed stores, so
 * two threads updating one slot can leave the cache holding one thread's weight beside the other's
 * state (a file then loads a slightly different model). After the threads joined, the caller
 * recomputes the cache of the bias and of every linear slot the batch touched. */
static void fm_resync_weights(growth_fm *m, size_t n, fm_item_fn item, const void *ctx)
{
    for (int h = 0; h < m->H; h++)
        fm_stf(&m->bias_w[h], weight_of(m, fm_ldf(&m->bias_z[h]), fm_ldf(&m->bias_s[h])));
    if (!m->cfg.linear || !m->lf) return;
    const size_t H = (size_t)m->H;
    for (size_t r = 0; r < n; r++) {
        fm_item it;
        item(m, ctx, r, &it);
        for (size_t k = 0; k < it.row.n; k++)
            for (size_t h = 0; h < H; h++) {
                size_t pos = ((size_t)it.row.idx[k] * H + h) * 4;
                float z = atomic_load_explicit(&m->lf[pos], memory_order_relaxed);
                float sn = atomic_load_explicit(&m->lf[pos + 1], memory_order_relaxed);
                atomic_store_explicit(&m->lf[pos + 2], weight_of(m, z, sn), memory_order_relaxed);
            }
    }
}

int fm_train_batch(growth_fm *m, const char *who, size_t n, size_t longest, fm_item_fn item, const void *ctx,
                   float *extra)
{
    size_t T = fm_threads(m);
    if (T > n / FM_MIN_ROWS_PER_THREAD) T = n / FM_MIN_ROWS_PER_THREAD;
    if (T < 1) T = 1;
    size_t per = (longest ? longest : 1) * ((size_t)m->H + (size_t)m->KP);
    float *own = NULL;
    if (T > 1 && !extra) {
        int rc = fm_batch_scratch(m, who, longest, &own);
        if (rc) return rc;
        extra = own;
    }
    fm_job jobs[FM_MAX_THREADS];
    for (size_t t = 0; t < T; t++) {
        fm_job *j = &jobs[t];
        memset(j, 0, sizeof *j);
        j->m = m;
        j->item = item;
        j->ctx = ctx;
        j->n = n;
        j->t = t;
        j->T = T;
        if (t == 0) {
            j->wk.scratch = m->scratch;
            j->wk.rng = &m->rng;
        } else {
            j->wk.scratch = extra + (t - 1) * per;
            grng_seed(&j->rng, grng_next(&m->rng));
            j->wk.rng = &j->rng;
        }
    }
    pthread_t tid[FM_MAX_THREADS];
    bool started[FM_MAX_THREADS] = {false};
    for (size_t t = 1; t < T; t++) started[t] = pthread_create(&tid[t], NULL, fm_job_run, &jobs[t]) == 0;
    fm_job_run(&jobs[0]);
    for (size_t t = 1; t < T; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fm_job_run(&jobs[t]); /* a thread that cannot start leaves its rows to this one */
    }
    for (size_t t = 0; t < T; t++) fm_merge(m, &jobs[t].wk);
    if (T > 1) fm_resync_weights(m, n, item, ctx);
    free(own);
    return GROWTH_OK;
}

GROWTH_API int growth_fm_predict_update(growth_fm *m, const uint32_t *idx, const uint8_t *fld,
                                        const float *val, size_t nnz, const float *labels, float weight,
                                        float *out, size_t cap)
{
    static const char *who = "growth_fm_predict_update";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, labels);
    int rc = out ? check_out(who, "out", out, cap, (size_t)m->H) : GROWTH_OK;
    if (!rc) rc = fm_check_row(m, who, idx, fld, val, nnz, SIZE_MAX);
    if (!rc) rc = fm_check_labels(m, who, labels, 0);
    if (!rc) rc = fm_check_weight(who, weight, 0);
    if (rc) return rc;
    if (m->ex)
        return fmx_update_csr(m, who, (const uint64_t[2]){0, nnz}, idx, fld, val, 1, labels, &weight, out);
    fm_row row = make_row(m, idx, fld, val, nnz);
    float margins[FM_MAX_HEADS];
    pthread_mutex_lock(&m->lock);
    rc = fm_reserve_scratch(m, who, nnz);
    if (!rc) fm_train_logistic(m, &row, labels, weight, margins);
    pthread_mutex_unlock(&m->lock);
    if (!rc && out)
        for (int h = 0; h < m->H; h++) out[h] = fm_sigmoid(margins[h]);
    return rc;
}

GROWTH_API int growth_fm_update(growth_fm *m, const uint32_t *idx, const uint8_t *fld, const float *val,
                                size_t nnz, const float *labels, float weight)
{
    static const char *who = "growth_fm_update";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, labels);
    int rc = fm_check_row(m, who, idx, fld, val, nnz, SIZE_MAX);
    if (!rc) rc = fm_check_labels(m, who, labels, 0);
    if (!rc) rc = fm_check_weight(who, weight, 0);
    if (rc) return rc;
    if (m->ex)
        return fmx_update_csr(m, who, (const uint64_t[2]){0, nnz}, idx, fld, val, 1, labels, &weight, NULL);
    fm_row row = make_row(m, idx, fld, val, nnz);
    pthread_mutex_lock(&m->lock);
    rc = fm_reserve_scratch(m, who, nnz);
    if (!rc) fm_train_logistic(m, &row, labels, weight, NULL);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* The rows of a CSR batch as fm_train_batch items. */
typedef struct {
    const uint64_t *indptr;
    const uint32_t *idx;
    const uint8_t *fld;
    const float *val, *labels, *weights;
    float *out;
} csr_items;

static void csr_item(const growth_fm *m, const void *vctx, size_t r, fm_item *it)
{
    const csr_items *c = vctx;
    size_t b = (size_t)c->indptr[r], e = (size_t)c->indptr[r + 1];
    it->row = make_row(m, c->idx + b, c->fld ? c->fld + b : NULL, c->val ? c->val + b : NULL, e - b);
    it->labels = c->labels + r * (size_t)m->H;
    it->weight = c->weights ? c->weights[r] : 1.0f;
    it->margins = c->out ? c->out + r * (size_t)m->H : NULL;
}

GROWTH_API int growth_fm_update_csr(growth_fm *m, const uint64_t *indptr, const uint32_t *idx,
                                    const uint8_t *fld, const float *val, size_t nrows, const float *labels,
                                    const float *weights, float *out_pred, size_t cap)
{
    static const char *who = "growth_fm_update_csr";
    GROWTH_CHECK_NULL(who, m);
    if (nrows == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, labels);
    if (nrows > SIZE_MAX / (size_t)m->H) return gerr(GROWTH_EINVAL, "%s: nrows too large", who);
    const int H = m->H;
    int rc = out_pred ? check_out(who, "out_pred", out_pred, cap, nrows * (size_t)H) : GROWTH_OK;
    if (!rc) rc = check_csr(m, who, indptr, idx, fld, val, nrows);
    for (size_t r = 0; !rc && r < nrows; r++) {
        rc = fm_check_labels(m, who, labels + r * (size_t)H, r);
        if (!rc && weights) rc = fm_check_weight(who, weights[r], r);
    }
    if (rc) return rc;
    if (m->ex) return fmx_update_csr(m, who, indptr, idx, fld, val, nrows, labels, weights, out_pred);
    size_t longest = 0;
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] - indptr[r] > longest) longest = (size_t)(indptr[r + 1] - indptr[r]);
    csr_items ci = {indptr, idx, fld, val, labels, weights, out_pred};
    pthread_mutex_lock(&m->lock);
    /* the scratch for the longest row first: an allocation failure cannot leave the batch half done */
    rc = fm_reserve_scratch(m, who, longest);
    if (!rc) rc = fm_train_batch(m, who, nrows, longest, csr_item, &ci, NULL);
    pthread_mutex_unlock(&m->lock);
    if (!rc && out_pred)
        for (size_t i = 0; i < nrows * (size_t)H; i++) out_pred[i] = fm_sigmoid(out_pred[i]);
    return rc;
}

/* ---- ESMM -------------------------------------------------------------------------------------- */

static int check_head(const growth_fm *m, const char *who, const char *name, size_t head)
{
    if (head >= (size_t)m->H)
        return gerr(GROWTH_EINVAL, "%s: %s %zu does not exist (model has %d heads)", who, name, head, m->H);
    return GROWTH_OK;
}

GROWTH_API int growth_fm_esmm_predict(const growth_fm *m, size_t ctr_head, size_t cvr_head,
                                      const uint32_t *idx, const uint8_t *fld, const float *val, size_t nnz,
                                      float *out, size_t cap)
{
    static const char *who = "growth_fm_esmm_predict";
    GROWTH_CHECK_NULL(who, m);
    int rc = check_out(who, "out", out, cap, 3);
    if (!rc) rc = check_head(m, who, "ctr_head", ctr_head);
    if (!rc) rc = check_head(m, who, "cvr_head", cvr_head);
    if (!rc) rc = fm_check_row(m, who, idx, fld, val, nnz, SIZE_MAX);
    if (rc) return rc;
    float margin[FM_MAX_HEADS];
    if (m->ex) { /* idx values are keys */
        if ((rc = fmx_margins(m, who, idx, fld, val, nnz, margin))) return rc;
    } else {
        fm_row row = make_row(m, idx, fld, val, nnz);
        fm_margins(m, &row, margin);
    }
    out[0] = fm_sigmoid(margin[ctr_head]);
    out[1] = fm_sigmoid(margin[cvr_head]);
    out[2] = out[0] * out[1];
    return GROWTH_OK;
}

typedef struct {
    size_t ctr, cvr;
    int H;
    float click, ctcvr, weight;
} esmm_ctx;

/* ESMM: the gradient of growth_ftrl_esmm_update (core.h gesmm_grads) on the two heads. */
static void esmm_grad(void *vctx, const float *margins, float *grads)
{
    const esmm_ctx *c = vctx;
    for (int h = 0; h < c->H; h++) grads[h] = NAN;
    gesmm_grads(fm_sigmoid(margins[c->ctr]), fm_sigmoid(margins[c->cvr]), c->click, c->ctcvr, c->weight,
                &grads[c->ctr], &grads[c->cvr]);
}

/* table=exact: the ESMM step on the row of the admitted keys' slots. */
static void esmm_step(growth_fm *m, const fm_row *row, void *vctx)
{
    const esmm_ctx *ctx = vctx;
    fm_wk wk = {m->scratch, &m->rng, 0};
    fm_apply(m, &wk, row, ctx->weight, ctx->weight > 0.0f, esmm_grad, (void *)ctx, NULL);
    fm_merge(m, &wk);
}

GROWTH_API int growth_fm_esmm_update(growth_fm *m, size_t ctr_head, size_t cvr_head, const uint32_t *idx,
                                     const uint8_t *fld, const float *val, size_t nnz, float click,
                                     float conversion, float weight)
{
    static const char *who = "growth_fm_esmm_update";
    GROWTH_CHECK_NULL(who, m);
    int rc = check_head(m, who, "ctr_head", ctr_head);
    if (!rc) rc = check_head(m, who, "cvr_head", cvr_head);
    if (!rc && ctr_head == cvr_head)
        rc = gerr(GROWTH_EINVAL, "%s: ctr_head and cvr_head are both %zu", who, ctr_head);
    if (!rc && !(click == 0.0f || click == 1.0f))
        rc = gerr(GROWTH_EINVAL, "%s: click %g is not 0 or 1", who, (double)click);
    if (!rc && !(conversion == 0.0f || conversion == 1.0f))
        rc = gerr(GROWTH_EINVAL, "%s: conversion %g is not 0 or 1", who, (double)conversion);
    if (!rc && click == 0.0f && conversion == 1.0f)
        rc = gerr(GROWTH_EINVAL, "%s: a conversion without a click is outside the ESMM funnel", who);
    if (!rc && !(gfinite(weight) && weight >= 0.0f))
        rc = gerr(GROWTH_EINVAL, "%s: weight %g is not finite and >= 0", who, (double)weight);
    if (!rc) rc = fm_check_row(m, who, idx, fld, val, nnz, SIZE_MAX);
    if (rc) return rc;
    esmm_ctx ctx = {ctr_head, cvr_head, m->H, click, click * conversion, weight};
    if (m->ex) { /* idx values are keys: admission, expiry, eviction, then the same step */
        pthread_mutex_lock(&m->lock);
        rc = fmx_reserve(m, who, nnz);
        if (!rc) rc = fmx_train_step(m, idx, fld, val, nnz, esmm_step, &ctx);
        pthread_mutex_unlock(&m->lock);
        return rc;
    }
    fm_row row = make_row(m, idx, fld, val, nnz);
    pthread_mutex_lock(&m->lock);
    rc = fm_reserve_scratch(m, who, nnz);
    if (!rc) {
        fm_wk wk = {m->scratch, &m->rng, 0};
        fm_apply(m, &wk, &row, weight, weight > 0.0f, esmm_grad, &ctx, NULL);
        fm_merge(m, &wk);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* ---- inspection -------------------------------------------------------------------------------- */

GROWTH_API int growth_fm_weight(const growth_fm *m, size_t head, uint32_t index, float *out)
{
    static const char *who = "growth_fm_weight";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    if (head >= (size_t)m->H)
        return gerr(GROWTH_EINVAL, "%s: head %zu does not exist (model has %d)", who, head, m->H);
    if (index == UINT32_MAX && (m->cfg.bits < 32 || m->cfg.bias)) {
        if (!m->cfg.bias) return gerr(GROWTH_EINVAL, "%s: the model has no bias (bias=false)", who);
        *out = fm_ldf(&m->bias_w[head]);
        return GROWTH_OK;
    }
    if (m->cfg.bits < 32 && index >> m->cfg.bits && !m->ex)
        return gerr(GROWTH_EINVAL, "%s: index %u is not below 2^%d", who, index, (int)m->cfg.bits);
    if (!m->cfg.linear) return gerr(GROWTH_EINVAL, "%s: the model has no linear part (linear=false)", who);
    if (m->ex) {
        *out = fmx_weight(m, index, (int)head);
        return GROWTH_OK;
    }
    *out = load_w(m, (size_t)index * (size_t)m->H + head);
    return GROWTH_OK;
}

int fm_factors_of(const growth_fm *m, const char *who, uint64_t id, size_t field, float *out, size_t cap,
                  size_t *out_n)
{
    if (field >= (size_t)m->V) {
        if (m->cfg.model == FM_MODEL_FM)
            return gerr(GROWTH_EINVAL, "%s: field %zu: model=fm has one vector a slot (field 0)", who, field);
        return gerr(GROWTH_EINVAL, "%s: field %zu is not below fields=%d", who, field, m->V);
    }
    if (out_n) *out_n = (size_t)m->K;
    if (cap < (size_t)m->K)
        return gerr(GROWTH_EBUFS, "%s: out has room for %zu floats, need k=%d", who, cap, m->K);
    if (m->ex) return fmx_factors(m, id, (int)field, out);
    fm_get_vec(m, id, (int)field, out, NULL);
    return GROWTH_OK;
}

GROWTH_API int growth_fm_factors(const growth_fm *m, uint32_t index, size_t field, float *out, size_t cap,
                                 size_t *out_n)
{
    static const char *who = "growth_fm_factors";
    GROWTH_CHECK_NULL(who, m);
    GROWTH_CHECK_NULL(who, out);
    if (m->cfg.bits < 32 && index >> m->cfg.bits && !m->ex)
        return gerr(GROWTH_EINVAL, "%s: index %u is not below 2^%d", who, index, (int)m->cfg.bits);
    return fm_factors_of(m, who, index, field, out, cap, out_n);
}
