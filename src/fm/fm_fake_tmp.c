/* TEMPORARY TEST DOUBLE of the compute side (branch fm-io only): DELETE WHEN MERGING WITH fm-core.
 *
 * A minimal stand-in for fm.c so that the persistence side (fm_persist.c, fm_libffm.c), its
 * tests, the CLI and the fuzz target build and run before the real compute side exists. It
 * implements the fm_impl.h contract with plain float arrays (compact precision is emulated by
 * rounding every put to bfloat16) and the few public calls the persistence tests use
 * (create, free, stats_get, config, factors, weight). Nothing outside this file may depend on
 * anything here beyond fm_impl.h and fm.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_impl.h"

/* TEMPORARY: the configuration table (the real one lives in fm.c). */
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
};
const size_t fm_nopts = sizeof fm_opts / sizeof fm_opts[0];

static int fake_cross_checks(const char *who, const fm_cfg *c)
{
    if (c->model == FM_MODEL_FFM && c->fields < 1)
        return gerr(GROWTH_EINVAL, "%s: config key 'fields': model=ffm needs fields (1..%d)", who,
                    FM_MAX_FIELDS);
    if (c->head_names[0]) {
        int n = 1;
        for (const char *p = c->head_names; *p; p++) n += *p == '|';
        if (n != c->heads)
            return gerr(GROWTH_EINVAL, "%s: config key 'head_names' lists %d names but heads=%lld", who, n,
                        (long long)c->heads);
    }
    return GROWTH_OK;
}

int fm_cfg_parse(const char *who, const char *config, fm_cfg *out)
{
    fm_cfg c;
    memset(&c, 0, sizeof c);
    int rc = gcfg_parse(who, fm_opts, fm_nopts, config, &c, sizeof c);
    if (!rc) rc = fake_cross_checks(who, &c);
    if (!rc) *out = c;
    return rc;
}

int fm_cfg_parse_stored(const char *who, const char *config, fm_cfg *out)
{
    fm_cfg c;
    memset(&c, 0, sizeof c);
    int rc = gcfg_parse_stored(who, fm_opts, fm_nopts, config, &c, sizeof c);
    if (!rc && (rc = fake_cross_checks(who, &c)))
        rc = gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, growth_last_error());
    if (!rc) *out = c;
    return rc;
}

/* TEMPORARY: plain arrays. */
struct growth_fm {
    fm_cfg cfg;
    int M, K, H;
    uint64_t nslots;
    float *v, *g;   /* nslots x M x K */
    float *lz, *ls; /* nslots x H */
    float bz[FM_MAX_HEADS], bs[FM_MAX_HEADS];
    float u[FM_MAX_HEADS * FM_MAX_K], ug[FM_MAX_HEADS * FM_MAX_K];
    uint64_t *bits; /* touched bitmap */
    uint64_t touched, examples;
    pthread_mutex_t lock;
};

static float fake_round(const growth_fm *m, float f)
{
    if (m->cfg.precision != FM_PREC_COMPACT) return f;
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t t = u + 0x7fffu + ((u >> 16) & 1u);
    if (((t >> 23) & 0xff) == 0xff) t = u;
    t &= 0xffff0000u;
    memcpy(&f, &t, 4);
    return f;
}

void fm_init_vec(const fm_cfg *cfg, uint64_t slot, int field, float *v)
{
    double scale = cfg->init_scale / sqrt((double)cfg->k);
    for (int64_t d = 0; d < cfg->k; d++) {
        uint64_t h =
            gmix64((uint64_t)cfg->seed ^ gmix64(slot * 0x9e3779b97f4a7c15ULL + (uint64_t)field * 131 +
                                                (uint64_t)d + 0x51ed270b27f1c3a5ULL));
        v[d] = (float)((double)(h >> 11) * 0x1.0p-53 * scale);
    }
}

int fm_new(growth_fm **out, const fm_cfg *cfg, const char *who)
{
    int M = fm_vectors_per_slot(cfg), K = (int)cfg->k, H = (int)cfg->heads;
    double per = (double)M * K * 8.0 + (cfg->linear ? (double)H * 8.0 : 0.0);
    int rc = gmem_reserve(who, ldexp(per, (int)cfg->bits), (uint64_t)cfg->max_memory);
    if (rc) return rc;
    growth_fm *m = calloc(1, sizeof *m);
    if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    m->cfg = *cfg;
    m->M = M;
    m->K = K;
    m->H = H;
    m->nslots = (uint64_t)1 << cfg->bits;
    size_t nv = (size_t)m->nslots * (size_t)M * (size_t)K,
           nl = cfg->linear ? (size_t)m->nslots * (size_t)H : 1;
    m->v = malloc(nv * sizeof(float));
    m->g = malloc(nv * sizeof(float));
    m->lz = calloc(nl, sizeof(float));
    m->ls = calloc(nl, sizeof(float));
    m->bits = calloc((size_t)(m->nslots + 63) / 64, sizeof(uint64_t));
    if (!m->v || !m->g || !m->lz || !m->ls || !m->bits) {
        free(m->v);
        free(m->g);
        free(m->lz);
        free(m->ls);
        free(m->bits);
        free(m);
        return gerr(GROWTH_ENOMEM, "%s: out of memory for the tables", who);
    }
    for (uint64_t s = 0; s < m->nslots; s++)
        for (int f = 0; f < M; f++) {
            float *v = m->v + ((size_t)s * (size_t)M + (size_t)f) * (size_t)K;
            fm_init_vec(cfg, s, f, v);
            for (int d = 0; d < K; d++) v[d] = fake_round(m, v[d]);
        }
    for (size_t i = 0; i < nv; i++) m->g[i] = 1.0f;
    for (int i = 0; i < FM_MAX_HEADS * FM_MAX_K; i++) m->u[i] = m->ug[i] = 1.0f;
    pthread_mutex_init(&m->lock, NULL);
    *out = m;
    return GROWTH_OK;
}

void fm_lock(const growth_fm *m) { pthread_mutex_lock(&((growth_fm *)m)->lock); }
void fm_unlock(const growth_fm *m) { pthread_mutex_unlock(&((growth_fm *)m)->lock); }
const fm_cfg *fm_config_of(const growth_fm *m) { return &m->cfg; }

static size_t vpos(const growth_fm *m, uint64_t slot, int field)
{
    return ((size_t)slot * (size_t)m->M + (size_t)field) * (size_t)m->K;
}

void fm_get_vec(const growth_fm *m, uint64_t slot, int field, float *v, float *g)
{
    size_t p = vpos(m, slot, field);
    if (v) memcpy(v, m->v + p, (size_t)m->K * sizeof(float));
    if (g) memcpy(g, m->g + p, (size_t)m->K * sizeof(float));
}

void fm_put_vec(growth_fm *m, uint64_t slot, int field, const float *v, const float *g)
{
    size_t p = vpos(m, slot, field);
    for (int d = 0; d < m->K; d++) {
        if (v) m->v[p + (size_t)d] = fake_round(m, v[d]);
        if (g) m->g[p + (size_t)d] = fake_round(m, g[d]);
    }
}

void fm_get_lin(const growth_fm *m, uint64_t slot, int head, float *z, float *s)
{
    size_t p = (size_t)slot * (size_t)m->H + (size_t)head;
    *z = m->lz[p];
    *s = m->ls[p];
}

void fm_put_lin(growth_fm *m, uint64_t slot, int head, float z, float s)
{
    size_t p = (size_t)slot * (size_t)m->H + (size_t)head;
    m->lz[p] = fake_round(m, z);
    m->ls[p] = fake_round(m, s);
}

void fm_get_bias(const growth_fm *m, int head, float *z, float *s)
{
    *z = m->bz[head];
    *s = m->bs[head];
}

void fm_put_bias(growth_fm *m, int head, float z, float s)
{
    m->bz[head] = z;
    m->bs[head] = s;
}

void fm_get_head(const growth_fm *m, int head, float *u, float *ug)
{
    if (u) memcpy(u, m->u + head * FM_MAX_K, (size_t)m->K * sizeof(float));
    if (ug) memcpy(ug, m->ug + head * FM_MAX_K, (size_t)m->K * sizeof(float));
}

void fm_put_head(growth_fm *m, int head, const float *u, const float *ug)
{
    if (u) memcpy(m->u + head * FM_MAX_K, u, (size_t)m->K * sizeof(float));
    if (ug) memcpy(m->ug + head * FM_MAX_K, ug, (size_t)m->K * sizeof(float));
}

bool fm_is_touched(const growth_fm *m, uint64_t slot) { return (m->bits[slot >> 6] >> (slot & 63)) & 1u; }

void fm_mark_touched(growth_fm *m, uint64_t slot)
{
    if (fm_is_touched(m, slot)) return;
    m->bits[slot >> 6] |= (uint64_t)1 << (slot & 63);
    m->touched++;
}

uint64_t fm_next_touched(const growth_fm *m, uint64_t from)
{
    if (from >= m->nslots) return UINT64_MAX;
    uint64_t w = from >> 6;
    uint64_t word = m->bits[w] & (~(uint64_t)0 << (from & 63));
    uint64_t nw = (m->nslots + 63) / 64;
    while (!word) {
        if (++w >= nw) return UINT64_MAX;
        word = m->bits[w];
    }
    uint64_t s = w * 64 + (uint64_t)__builtin_ctzll(word);
    return s < m->nslots ? s : UINT64_MAX;
}

uint64_t fm_examples(const growth_fm *m) { return m->examples; }
void fm_set_examples(growth_fm *m, uint64_t n) { m->examples = n; }

/* ---- TEMPORARY public calls used by the persistence tests and the CLI --------------------- */

GROWTH_API int growth_fm_create(growth_fm **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_fm_create", out);
    fm_cfg cfg;
    int rc = fm_cfg_parse("fm", config, &cfg);
    if (rc) return rc;
    return fm_new(out, &cfg, "fm");
}

GROWTH_API void growth_fm_free(growth_fm *m)
{
    if (!m) return;
    pthread_mutex_destroy(&m->lock);
    free(m->v);
    free(m->g);
    free(m->lz);
    free(m->ls);
    free(m->bits);
    free(m);
}

GROWTH_API int growth_fm_stats_get(const growth_fm *m, growth_fm_stats *out)
{
    GROWTH_CHECK_NULL("growth_fm_stats_get", m);
    GROWTH_CHECK_NULL("growth_fm_stats_get", out);
    growth_fm_stats s = GROWTH_FM_STATS_INIT;
    s.heads = (uint64_t)m->H;
    s.bits = (uint64_t)m->cfg.bits;
    s.fields = (uint64_t)m->cfg.fields;
    s.k = (uint64_t)m->K;
    s.examples = m->examples;
    s.touched = m->touched;
    bool compact = m->cfg.precision == FM_PREC_COMPACT;
    s.bytes_per_slot = (uint64_t)m->M * (uint64_t)m->K * (compact ? 4 : 8) +
                       (m->cfg.linear ? (uint64_t)m->H * (compact ? 6 : 16) : 0);
    s.bytes = s.bytes_per_slot * m->nslots;
    return gstruct_out("growth_fm_stats_get", "out", out, &s, sizeof s, sizeof s);
}

GROWTH_API int growth_fm_config(const growth_fm *m, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_fm_config", m);
    int rc = gcfg_format(fm_opts, fm_nopts, &m->cfg, buf, cap, out_n);
    return rc;
}

GROWTH_API int growth_fm_factors(const growth_fm *m, uint32_t index, size_t field, float *out, size_t cap,
                                 size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_fm_factors", m);
    GROWTH_CHECK_NULL("growth_fm_factors", out);
    if ((uint64_t)index >= m->nslots || field >= (size_t)m->M)
        return gerr(GROWTH_EINVAL, "growth_fm_factors: slot or field out of range");
    if (out_n) *out_n = (size_t)m->K;
    if (cap < (size_t)m->K) return gerr(GROWTH_EBUFS, "growth_fm_factors: cap %zu < k", cap);
    fm_get_vec(m, index, (int)field, out, NULL);
    return GROWTH_OK;
}

GROWTH_API int growth_fm_weight(const growth_fm *m, size_t head, uint32_t index, float *out)
{
    GROWTH_CHECK_NULL("growth_fm_weight", m);
    GROWTH_CHECK_NULL("growth_fm_weight", out);
    if (head >= (size_t)m->H) return gerr(GROWTH_EINVAL, "growth_fm_weight: head out of range");
    float z, s;
    if (index == UINT32_MAX) {
        if (!m->cfg.bias) return gerr(GROWTH_EINVAL, "growth_fm_weight: no bias");
        fm_get_bias(m, (int)head, &z, &s);
    } else {
        if (!m->cfg.linear || (uint64_t)index >= m->nslots)
            return gerr(GROWTH_EINVAL, "growth_fm_weight: no linear part or slot out of range");
        fm_get_lin(m, index, (int)head, &z, &s);
    }
    double l1 = m->cfg.l1;
    *out = fabs(z) <= l1 ? 0.0f
                         : (float)((copysign(l1, z) - z) / ((m->cfg.beta + s) / m->cfg.alpha + m->cfg.l2));
    return GROWTH_OK;
}
