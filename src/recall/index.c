/* Vector index: configuration, creation, storage (add, remove, compact, get, counters). The
 * rest of the module, one file a concern: kernels.c (distance kernels picked for the CPU,
 * per-thread scratch, int8 quantisation), flat.c (exact search, single and batched, and the
 * search entry points), rerank.c (de-duplicating re-rank and MMR), persist.c (save / load),
 * hnsw.c and ivf.c (the approximate indexes, sharing the storage kept here).
 *
 * Storage: slot i holds vector vec[i*dim ..] (normalised for cosine), id ids[i], a tombstone
 * bit (ix_dead) and, for l2, its squared norm; the id map holds slots only (its keys are ids[]). Similarity keys are "larger is better":
 * q.x for ip/cosine and 2 q.x - |x|^2 for l2 (= |q|^2 - |q-x|^2, so the squared distance is
 * |q|^2 - key).
 *
 * Exact batches run as blocked sgemm (QB queries x BI items at a time) with a top-k min-heap per
 * query; single queries stream the items through an AVX2 (or SSE2) dot kernel chosen at run
 * time. Locking: see recall.h (a writer-preferring rwlock; mutations in chunks). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"
#include "sync.h"

const gcfg_opt ix_opts[] = {
    {"dim", GCFG_INT, offsetof(ix_cfg, dim), "0", 0, IX_MAX_DIM, NULL, false},
    {"metric", GCFG_ENUM, offsetof(ix_cfg, metric), "ip", 0, 0, "ip|cosine|l2", false},
    {"kind", GCFG_ENUM, offsetof(ix_cfg, kind), "flat", 0, 0, "flat|hnsw|ivf", false},
    {"M", GCFG_INT, offsetof(ix_cfg, M), "16", 2, 128, NULL, false},
    {"ef_construction", GCFG_INT, offsetof(ix_cfg, ef_construction), "200", 1, 100000, NULL, false},
    {"ef", GCFG_INT, offsetof(ix_cfg, ef), "64", 1, 100000, NULL, false},
    {"nlist", GCFG_INT, offsetof(ix_cfg, nlist), "256", 1, 1048576, NULL, false},
    {"nprobe", GCFG_INT, offsetof(ix_cfg, nprobe), "8", 1, 1048576, NULL, false},
    {"iters", GCFG_INT, offsetof(ix_cfg, iters), "12", 1, 1000, NULL, false},
    {"threads", GCFG_INT, offsetof(ix_cfg, threads), "1", 1, 256, NULL, false},
    {"quantize", GCFG_ENUM, offsetof(ix_cfg, quantize), "none", 0, 0, "none|int8", false},
    {"rescore", GCFG_INT, offsetof(ix_cfg, rescore), "4", 1, 1000, NULL, false},
    {"seed", GCFG_INT, offsetof(ix_cfg, seed), "0", 0, 9007199254740992.0, NULL, false},
    {"filter_exact", GCFG_DOUBLE, offsetof(ix_cfg, filter_exact), "0.02", 0, 1, NULL, false},
    GCFG_MAX_MEMORY(ix_cfg, max_memory),
    {"storage", GCFG_ENUM, offsetof(ix_cfg, storage), "float", 0, 0, "float|fp16|pq", false},
    {"pq_m", GCFG_INT, offsetof(ix_cfg, pq_m), "8", 1, IX_MAX_DIM, NULL, false},
    {"pq_train", GCFG_INT, offsetof(ix_cfg, pq_train), "65536", IX_PQ_K, 1e9, NULL, false},
    {"rerank", GCFG_INT, offsetof(ix_cfg, rerank), "0", 0, 100000, NULL, false},
    {"opq", GCFG_INT, offsetof(ix_cfg, opq), "0", 0, 1, NULL, false},
};
const size_t ix_nopts = sizeof ix_opts / sizeof ix_opts[0];

/* ---- id map ------------------------------------------------------------------------------ */

void ix_idmap_del(ix_idmap *m, const int64_t *ids, int64_t id)
{
    if (!m->cap) return;
    const size_t mask = m->cap - 1;
    size_t p = (size_t)gmix64((uint64_t)id) & mask;
    for (;; p = (p + 1) & mask) {
        if (m->vals[p] == GIDMAP_NONE) return;
        if (ids[m->vals[p]] == id) break;
    }
    /* backward shift, as gidmap_del */
    size_t hole = p;
    for (size_t q = (p + 1) & mask; m->vals[q] != GIDMAP_NONE; q = (q + 1) & mask) {
        size_t home = (size_t)gmix64((uint64_t)ids[m->vals[q]]) & mask;
        if (((q - home) & mask) >= ((q - hole) & mask)) {
            m->vals[hole] = m->vals[q];
            hole = q;
        }
    }
    m->vals[hole] = GIDMAP_NONE;
    m->count--;
}

int ix_idmap_reserve(const char *who, ix_idmap *m, const int64_t *ids, size_t want, ix_idmap *old,
                     bool *grown)
{
    if (grown) *grown = false;
    if ((want + 1) * 2 <= m->cap) return GROWTH_OK;
    size_t ncap = m->cap ? m->cap : 64;
    while ((want + 1) * 2 > ncap) ncap *= 2;
    ix_idmap nm = {malloc(ncap * sizeof *nm.vals), ncap, 0};
    if (!nm.vals) return gerr(GROWTH_ENOMEM, "%s: out of memory for the id map (%zu cells)", who, ncap);
    memset(nm.vals, 0xff, ncap * sizeof *nm.vals);
    for (size_t i = 0; i < m->cap; i++)
        if (m->vals[i] != GIDMAP_NONE) ix_idmap_put(&nm, ids, m->vals[i]);
    if (old) {
        *old = *m;
        if (grown) *grown = true;
    } else
        free(m->vals);
    *m = nm;
    return GROWTH_OK;
}

void ix_idmap_free(ix_idmap *m)
{
    free(m->vals);
    *m = (ix_idmap){0};
}

/* ---- memory limit (max_memory) ----------------------------------------------------------- */

/* Bytes the index holds with storage for `cap` slots, `n` of them used, and an id map for `ids`
 * ids, counted as growth_index_stats::memory_bytes counts them (HNSW upper layers: 1/(M-1)
 * levels a node on average; IVF lists with their growth slack). Double arithmetic: no product
 * can wrap. */
static double ix_bytes(const growth_index *x, double cap, double n, double ids)
{
    const double d = (double)x->dim, M = (double)x->cfg.M, cs = (double)x->cs;
    const bool fv = ix_keeps_vec(&x->cfg);
    double per = (fv ? d * 4 : 0) + 8 + 0.125 + (x->cfg.metric == IX_L2 && fv ? 4 : 0) +
                 (x->cfg.quantize == IX_Q_INT8 ? d + 4 : 0) + (x->cfg.kind == IX_IVF ? 0 : cs);
    double b = (double)sizeof *x;
    if (x->cfg.storage == IX_S_PQ)
        b += d * IX_PQ_K * 8 + (double)x->cfg.pq_m * IX_PQ_K * 4 + (double)ix_pq_pre_bytes(&x->cfg) +
             (x->cfg.opq ? d * d * 4 + (x->cfg.kind == IX_IVF ? (double)x->cfg.nlist * d * 4 : 0) : 0);
    if (x->cfg.kind == IX_HNSW) {
        per += 1 + (double)sizeof(uint32_t *) + (2 * M + 1) * 4;
        b += n * (M + 1) * 4 / (M - 1);
    }
    if (x->cfg.kind == IX_IVF) {
        per += 4;
        b += (double)x->cfg.nlist * (d * 4 + 4 + 8 + 8 + (cs ? 8 : 0) + 8 * (4 + cs)) + n * (4 + cs) * 1.125;
    }
    double cells = x->map.cap ? (double)x->map.cap : 64;
    while ((ids + 1) * 2 > cells) cells *= 2;
    return b + cap * per + cells * 4;
}

int ix_check_memory(const growth_index *x, size_t n, size_t ids, const char *who)
{
    char what[160];
    snprintf(what, sizeof what, "%s: %zu vectors of dim %zu (kind=%s)", who, n, x->dim,
             x->cfg.kind == IX_HNSW  ? "hnsw"
             : x->cfg.kind == IX_IVF ? "ivf"
                                     : "flat");
    double cap = n > x->cap ? (double)n : (double)x->cap;
    return gmem_reserve(what, ix_bytes(x, cap, (double)n, (double)ids), (uint64_t)x->cfg.max_memory);
}

/* ---- creation ---------------------------------------------------------------------------- */

int ix_new(growth_index **out, const ix_cfg *cfg, const char *who)
{
    if (cfg->dim < 1) return gerr(GROWTH_EINVAL, "%s: config key 'dim' is required (1..%d)", who, IX_MAX_DIM);
    if (cfg->storage != IX_S_FLOAT && cfg->kind == IX_HNSW)
        return gerr(GROWTH_EINVAL,
                    "%s: config key 'storage' is %s: compressed storage is for kind=flat and ivf", who,
                    cfg->storage == IX_S_PQ ? "pq" : "fp16");
    if (cfg->storage != IX_S_FLOAT && cfg->quantize != IX_Q_NONE)
        return gerr(GROWTH_EINVAL, "%s: config key 'quantize' is int8: it applies to storage=float only",
                    who);
    if (cfg->storage == IX_S_FLOAT && cfg->rerank)
        return gerr(GROWTH_EINVAL, "%s: config key 'rerank' is %lld: it applies to storage=fp16 and pq only",
                    who, (long long)cfg->rerank);
    if (cfg->opq && cfg->storage != IX_S_PQ)
        return gerr(GROWTH_EINVAL, "%s: config key 'opq' is 1: the OPQ rotation applies to storage=pq only",
                    who);
    if (cfg->storage == IX_S_PQ && cfg->dim % cfg->pq_m)
        return gerr(GROWTH_EINVAL, "%s: config key 'pq_m' is %lld: it must divide dim=%lld", who,
                    (long long)cfg->pq_m, (long long)cfg->dim);
    ix_kernels_init();
    growth_index *x = calloc(1, sizeof *x);
    if (!x) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    x->cfg = *cfg;
    x->dim = (size_t)cfg->dim;
    x->cs = ix_code_size(cfg);
    int rc = ix_check_memory(x, 0, 0, who); /* IVF centroids: nlist x dim */
    if (rc) {
        free(x);
        return rc;
    }
    x->entry = -1;
    x->max_level = -1;
    grng_seed(&x->rng, (uint64_t)cfg->seed);
    grwlock_init(&x->rw);
    pthread_mutex_init(&x->wlock, NULL);
    *out = x;
    return GROWTH_OK;
}

GROWTH_API int growth_index_create(growth_index **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_index_create", out);
    ix_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gcfg_parse("index", ix_opts, IX_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    return ix_new(out, &cfg, "growth_index_create");
}

static void ix_storage_free(growth_index *x)
{
    free(x->vec);
    free(x->norm2);
    free(x->ids);
    free(x->dead);
    free(x->q8);
    free(x->q8s);
    free(x->assign);
    free(x->codes);
    ix_idmap_free(&x->map);
    ix_hnsw_free(x);
    ix_ivf_free(x);
    ix_pq_free(x);
}

GROWTH_API void growth_index_free(growth_index *x)
{
    if (!x) return;
    ix_storage_free(x);
    pthread_rwlock_destroy(&x->rw);
    pthread_mutex_destroy(&x->wlock);
    free(x);
}

GROWTH_API int growth_index_config(const growth_index *x, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_index_config", x);
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw); /* growth_index_set_config() may change search keys */
    int rc = gcfg_format(ix_opts, IX_NOPTS, &x->cfg, buf, cap, out_n);
    pthread_rwlock_unlock(&xm->rw);
    return rc;
}

typedef struct {
    int64_t ef, nprobe, threads, rescore, max_memory, rerank;
    double filter_exact;
} ix_set_cfg;

static const gcfg_opt ix_set_opts[] = {
    {"ef", GCFG_INT, offsetof(ix_set_cfg, ef), "0", 0, 100000, NULL, false},
    {"nprobe", GCFG_INT, offsetof(ix_set_cfg, nprobe), "0", 0, 1048576, NULL, false},
    {"threads", GCFG_INT, offsetof(ix_set_cfg, threads), "0", 0, 256, NULL, false},
    {"rescore", GCFG_INT, offsetof(ix_set_cfg, rescore), "0", 0, 1000, NULL, false},
    {"max_memory", GCFG_INT, offsetof(ix_set_cfg, max_memory), "-1", -1, 9007199254740992.0, NULL, false},
    {"filter_exact", GCFG_DOUBLE, offsetof(ix_set_cfg, filter_exact), "-1", -1, 1, NULL, false},
    {"rerank", GCFG_INT, offsetof(ix_set_cfg, rerank), "0", 0, 100000, NULL, false},
};

GROWTH_API int growth_index_set_config(growth_index *x, const char *config)
{
    static const char *who = "growth_index_set_config";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, config);
    ix_set_cfg s;
    int rc = gcfg_parse("growth_index_set_config", ix_set_opts, sizeof ix_set_opts / sizeof ix_set_opts[0],
                        config, &s, sizeof s);
    if (rc) return rc;
    if (s.filter_exact < 0 && s.filter_exact != -1) /* -1: the key was not given */
        return gerr(GROWTH_EINVAL, "%s: config key 'filter_exact' is %g, not in [0, 1]", who, s.filter_exact);
    if (s.rerank && !x->cfg.rerank)
        return gerr(
            GROWTH_EINVAL,
            "%s: config key 'rerank': the index was created without rerank, so it keeps no float vectors",
            who);
    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    if (s.ef) x->cfg.ef = s.ef;
    if (s.nprobe) x->cfg.nprobe = s.nprobe;
    if (s.threads) x->cfg.threads = s.threads;
    if (s.rescore) x->cfg.rescore = s.rescore;
    if (s.rerank) x->cfg.rerank = s.rerank;
    if (s.max_memory >= 0) x->cfg.max_memory = s.max_memory; /* later adds only */
    if (s.filter_exact >= 0) x->cfg.filter_exact = s.filter_exact;
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    return GROWTH_OK;
}

/* ---- storage ----------------------------------------------------------------------------- */

#define GROW(field, n)                                                                                       \
    do {                                                                                                     \
        void *p_ = realloc(x->field, (n) * sizeof *x->field);                                                \
        if (!p_) goto nomem;                                                                                 \
        x->field = p_;                                                                                       \
    } while (0)

/* Grows every per-slot array to hold `need` slots (no change on failure beyond capacity). */
int ix_reserve_slots(growth_index *x, size_t need, const char *who)
{
    if (need <= x->cap) return GROWTH_OK;
    if (need > IX_MAX_SLOTS) return gerr(GROWTH_ENOMEM, "%s: more than %zu vectors", who, IX_MAX_SLOTS);
    size_t ncap = x->cap ? x->cap : need; /* first add: exact; later: grow by half */
    while (ncap < need) ncap += ncap / 2 + 1;
    if (ncap > IX_MAX_SLOTS) ncap = IX_MAX_SLOTS;
    if (x->cfg.max_memory && ncap > need &&
        ix_bytes(x, (double)ncap, (double)need, (double)(x->map.count + (need - x->n))) >
            (double)x->cfg.max_memory)
        ncap = need; /* no growth slack beyond max_memory */
    const bool fv = ix_keeps_vec(&x->cfg);
    if (fv) GROW(vec, ncap * x->dim);
    GROW(ids, ncap);
    GROW(dead, (ncap + 7) / 8);
    memset(x->dead + (x->cap + 7) / 8, 0, (ncap + 7) / 8 - (x->cap + 7) / 8);
    if (x->cfg.metric == IX_L2 && fv) GROW(norm2, ncap);
    if (x->cs && x->cfg.kind == IX_FLAT) GROW(codes, ncap * x->cs);
    if (x->cfg.quantize == IX_Q_INT8) {
        GROW(q8, ncap * x->dim);
        GROW(q8s, ncap);
    }
    if (x->cfg.kind == IX_IVF) GROW(assign, ncap);
    if (x->cfg.kind == IX_HNSW && ix_hnsw_alloc(x, ncap)) goto nomem;
    x->cap = ncap;
    return GROWTH_OK;
nomem:
    return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu vectors of dim %zu", who, ncap, x->dim);
}

void ix_normalise(float *v, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) s += (double)v[i] * v[i];
    if (s > 0) {
        float inv = (float)(1.0 / sqrt(s));
        for (size_t i = 0; i < d; i++) v[i] *= inv;
    }
}

/* Writes one vector into slot s (storage reserved) but not its code; returns the prepared
 * (normalised) vector, in the float storage or in buf (dim floats). */
static const float *ix_store(growth_index *x, uint32_t s, const float *v, int64_t id, float *buf)
{
    float *dst = x->vec ? x->vec + (size_t)s * x->dim : buf;
    memcpy(dst, v, x->dim * sizeof *dst);
    if (x->cfg.metric == IX_COSINE) ix_normalise(dst, x->dim);
    if (x->norm2) x->norm2[s] = ix_k.dot(dst, dst, x->dim);
    if (x->q8) x->q8s[s] = ix_quantize(dst, x->dim, x->q8 + (size_t)s * x->dim);
    x->ids[s] = id;
    ix_set_dead(x, s, false);
    return dst;
}

int ix_check_vectors(const char *who, const char *what, const float *v, size_t n, size_t d)
{
    /* n x d floats must fit in memory: a larger count cannot be the caller's array (and n * d
     * would wrap around). */
    if (d && n > SIZE_MAX / sizeof *v / d)
        return gerr(GROWTH_EINVAL, "%s: %zu vectors of dimension %zu is too large", who, n, d);
    if (gall_finite_f32(v, n * d)) return GROWTH_OK;
    for (size_t i = 0; i < n * d; i++)
        if (!gfinite(v[i]))
            return gerr(GROWTH_EINVAL, "%s: %s[%zu][%zu] is not finite", who, what, i / d, i % d);
    return GROWTH_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

GROWTH_API int growth_index_set_progress(growth_index *x, growth_progress_fn fn, void *user)
{
    GROWTH_CHECK_NULL("growth_index_set_progress", x);
    pthread_mutex_lock(&x->wlock); /* mutating calls read it under this lock */
    x->progress = fn;
    x->progress_user = user;
    pthread_mutex_unlock(&x->wlock);
    return GROWTH_OK;
}

GROWTH_API int growth_index_train(growth_index *x, const float *v, size_t n)
{
    static const char *who = "growth_index_train";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, v);
    const bool ivf = x->cfg.kind == IX_IVF, pq = x->cfg.storage == IX_S_PQ;
    if (!ivf && !pq) return gerr(GROWTH_ESTATE, "%s: only kind=ivf or storage=pq is trained", who);
    int rc = ix_check_vectors(who, "x", v, n, x->dim);
    if (rc) return rc;
    pthread_mutex_lock(&x->wlock);
    float *old = NULL; /* IVF-PQ: the centroids before, put back if the PQ training fails */
    if (x->n > 0)
        rc = gerr(GROWTH_ESTATE, "%s: the index already holds vectors", who);
    else if (ivf && n < (size_t)x->cfg.nlist)
        rc = gerr(GROWTH_EINVAL, "%s: %zu training vectors for nlist=%lld lists", who, n,
                  (long long)x->cfg.nlist);
    else if (pq && n < IX_PQ_K)
        rc = gerr(GROWTH_EINVAL, "%s: %zu training vectors: storage=pq needs at least %d", who, n, IX_PQ_K);
    else if (ivf && pq && x->cent && !(old = malloc((size_t)x->cfg.nlist * x->dim * sizeof *old)))
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    else {
        if (old) memcpy(old, x->cent, (size_t)x->cfg.nlist * x->dim * sizeof *old);
        bool had = x->cent != NULL;
        ix_progress pg = {x->progress, x->progress_user, "train", who, false};
        if (ivf)
            rc = ix_ivf_train(x, v, n, x->cfg.metric == IX_COSINE,
                              &pg); /* builds aside, swaps under the lock */
        if (!rc && pq) {
            rc = ix_pq_train(x, v, n, x->cfg.metric == IX_COSINE, &pg);
            if (rc && ivf && !had) { /* untrained before: untrained again */
                pthread_rwlock_wrlock(&x->rw);
                ix_ivf_free(x);
                pthread_rwlock_unlock(&x->rw);
            } else if (rc && old) { /* the previous centroids */
                pthread_rwlock_wrlock(&x->rw);
                free(x->cent);
                x->cent = old;
                pthread_rwlock_unlock(&x->rw);
                if (!ix_ivf_train(x, NULL, 0, false, NULL))
                    old = NULL;
                else
                    x->cent = NULL;
            }
        }
    }
    free(old);
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

/* What an add changes, to take it back (cancel, or a failure after the first change). */
typedef struct {
    size_t n0, live0, cap0;
    int64_t next_id0, entry0;
    int max_level0;
    grng rng0;
    ix_idmap map_old; /* the id map's array before it grew */
    bool map_grown;
    bool trained;        /* this add trained the IVF quantiser and / or the PQ codebooks */
    uint32_t *list_cap0; /* IVF list capacities before the add */
} ix_add_undo;

#define SHRINK(field, cnt)                                                                                   \
    do {                                                                                                     \
        if (x->field) {                                                                                      \
            if ((cnt) == 0) {                                                                                \
                free(x->field);                                                                              \
                x->field = NULL;                                                                             \
            } else {                                                                                         \
                void *p_ = realloc(x->field, (cnt) * sizeof *x->field);                                      \
                if (p_) x->field = p_; /* a failed shrink keeps the larger block */                          \
            }                                                                                                \
        }                                                                                                    \
    } while (0)

/* Gives back the per-slot memory above cap0 slots (what ix_reserve_slots took). */
static void ix_shrink_slots(growth_index *x, size_t cap0)
{
    if (x->cap == cap0) return;
    const size_t row = 2 * (size_t)x->cfg.M + 1;
    SHRINK(vec, cap0 * x->dim);
    SHRINK(norm2, cap0);
    SHRINK(ids, cap0);
    SHRINK(dead, (cap0 + 7) / 8);
    SHRINK(q8, cap0 * x->dim);
    SHRINK(q8s, cap0);
    SHRINK(assign, cap0);
    SHRINK(codes, cap0 * x->cs);
    SHRINK(level, cap0);
    SHRINK(links0, cap0 * row);
    SHRINK(links_up, cap0);
    x->cap = cap0;
}

/* Puts the index back as it was before the add (caller holds the writer lock). */
static void ix_add_rollback(growth_index *x, ix_add_undo *u)
{
    if (u->map_grown) {
        ix_idmap_free(&x->map);
        x->map = u->map_old;
        u->map_grown = false;
    } else {
        /* the old keys never moved: the new ones went into cells that were empty before */
        for (size_t s = u->n0; s < x->n; s++) ix_idmap_del(&x->map, x->ids, x->ids[s]);
    }
    if (x->cfg.kind == IX_HNSW) {
        ix_hnsw_undo_apply(x);
        const size_t row = 2 * (size_t)x->cfg.M + 1;
        for (size_t s = u->n0; s < x->n; s++) {
            free(x->links_up[s]);
            x->links_up[s] = NULL;
        }
        size_t end = x->n < u->cap0 ? x->n : u->cap0; /* rows above n are zero, as before */
        if (end > u->n0) memset(x->links0 + u->n0 * row, 0, (end - u->n0) * row * sizeof *x->links0);
        x->entry = u->entry0;
        x->max_level = u->max_level0;
    }
    if (u->trained) ix_pq_free(x);
    if (x->cfg.kind == IX_IVF) {
        if (u->trained) {
            ix_ivf_free(x);
        } else if (x->lists) {
            for (size_t s = u->n0; s < x->n; s++) x->list_len[x->assign[s]]--;
            for (int64_t c = 0; u->list_cap0 && c < x->cfg.nlist; c++) {
                uint32_t c0 = u->list_cap0[c];
                if (x->list_cap[c] == c0) continue;
                if (c0 == 0) {
                    free(x->lists[c]);
                    x->lists[c] = NULL;
                    if (x->lcodes) {
                        free(x->lcodes[c]);
                        x->lcodes[c] = NULL;
                    }
                } else {
                    uint32_t *p = realloc(x->lists[c], (size_t)c0 * sizeof *p);
                    if (p) x->lists[c] = p;
                    if (x->lcodes) {
                        uint8_t *pc = realloc(x->lcodes[c], (size_t)c0 * x->cs);
                        if (pc) x->lcodes[c] = pc;
                    }
                }
                x->list_cap[c] = c0;
            }
        }
    }
    x->rng = u->rng0;
    x->n = u->n0;
    x->live = u->live0;
    x->next_id = u->next_id0;
    ix_shrink_slots(x, u->cap0);
}

/* Adds n validated vectors (caller holds wlock). A failure or a cancel after the first change
 * takes the whole add back. */
static int ix_add_locked(growth_index *x, const float *v, size_t n, const int64_t *ids, const ix_progress *pg)
{
    const char *who = pg->who;
    int rc = GROWTH_OK;
    int64_t *sorted = NULL;
    uint32_t *lists = NULL;
    bool changed = false;
    ix_add_undo u;
    memset(&u, 0, sizeof u);
    u.n0 = x->n;
    u.live0 = x->live;
    u.cap0 = x->cap;
    u.next_id0 = x->next_id;
    u.entry0 = x->entry;
    u.max_level0 = x->max_level;
    u.rng0 = x->rng;
    /* max_memory and physical memory: refused before anything changes */
    if ((rc = ix_check_memory(x, x->n + n, x->map.count + n, who))) goto done;
    if (ids) {
        sorted = malloc(n * sizeof *sorted);
        if (!sorted) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        memcpy(sorted, ids, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, cmp_i64);
        if (sorted[0] < 0) {
            rc = gerr(GROWTH_EINVAL, "%s: id %lld is negative", who, (long long)sorted[0]);
            goto done;
        }
        for (size_t i = 1; i < n; i++)
            if (sorted[i] == sorted[i - 1]) {
                rc = gerr(GROWTH_EINVAL, "%s: id %lld appears twice in the batch", who, (long long)sorted[i]);
                goto done;
            }
        if (sorted[n - 1] == INT64_MAX) {
            rc = gerr(GROWTH_EINVAL, "%s: id INT64_MAX is reserved", who);
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (ix_map_get(x, ids[i]) >= 0) {
                rc = gerr(GROWTH_EINVAL, "%s: duplicate id %lld (already in the index)", who,
                          (long long)ids[i]);
                goto done;
            }
    } else if (x->next_id > INT64_MAX - (int64_t)n) {
        rc = gerr(GROWTH_EINVAL, "%s: automatic ids would overflow", who);
        goto done;
    }
    if (x->cfg.kind == IX_IVF && !x->cent) {
        if (n < (size_t)x->cfg.nlist) {
            rc = gerr(GROWTH_ESTATE,
                      "%s: the IVF index is not trained and this batch of %zu vectors is smaller than "
                      "nlist=%lld (call growth_index_train)",
                      who, n, (long long)x->cfg.nlist);
            goto done;
        }
        if (ix_pq_untrained(x) && n < IX_PQ_K) {
            rc = gerr(GROWTH_ESTATE,
                      "%s: the PQ codebooks are not trained and this batch of %zu vectors is smaller than %d "
                      "(call growth_index_train)",
                      who, n, IX_PQ_K);
            goto done;
        }
        ix_progress tp = *pg;
        tp.stage = "train";
        if ((rc = ix_ivf_train(x, v, n, x->cfg.metric == IX_COSINE, &tp))) goto done;
        u.trained = true;
        changed = true;
    }
    if (ix_pq_untrained(x)) {
        if (n < IX_PQ_K) {
            rc = gerr(GROWTH_ESTATE,
                      "%s: the PQ codebooks are not trained and this batch of %zu vectors is smaller than %d "
                      "(call growth_index_train)",
                      who, n, IX_PQ_K);
            goto done;
        }
        ix_progress tp = *pg;
        tp.stage = "train";
        u.trained = true;
        changed = true;
        if ((rc = ix_pq_train(x, v, n, x->cfg.metric == IX_COSINE, &tp))) goto done;
    }
    if (x->cfg.kind == IX_IVF) {
        lists = malloc(n * sizeof *lists);
        if (!u.trained) u.list_cap0 = malloc((size_t)x->cfg.nlist * sizeof *u.list_cap0);
        if (!lists || (!u.trained && !u.list_cap0)) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            goto done;
        }
        if (u.list_cap0) memcpy(u.list_cap0, x->list_cap, (size_t)x->cfg.nlist * sizeof *u.list_cap0);
        if ((rc = ix_ivf_assign(x, v, n, lists))) goto done;
    }
    ix_scratch *sc = ix_scratch_get();
    if (!sc) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    if (ix_reserve(who, (void **)&sc->dec, &sc->deccap, x->dim, sizeof(float))) {
        rc = GROWTH_ENOMEM;
        goto done;
    }
    if (x->cfg.kind == IX_HNSW) {
        /* after these, an insert cannot fail */
        if ((rc = ix_hnsw_reserve_scratch(x, sc, x->n + n))) goto done;
        if (pg->fn && !pg->fresh && (rc = ix_hnsw_undo_begin(x))) goto done;
    }
    changed = true;
    pthread_rwlock_wrlock(&x->rw);
    rc = ix_reserve_slots(x, x->n + n, who);
    if (!rc) rc = ix_idmap_reserve(who, &x->map, x->ids, x->map.count + n, &u.map_old, &u.map_grown);
    if (!rc && lists) rc = ix_ivf_reserve(x, lists, n); /* room up front: no failure midway */
    pthread_rwlock_unlock(&x->rw);
    if (rc) goto done;
    for (size_t b = 0; b < n; b += IX_ADD_CHUNK) {
        size_t e = b + IX_ADD_CHUNK < n ? b + IX_ADD_CHUNK : n;
        pthread_rwlock_wrlock(&x->rw);
        for (size_t i = b; i < e; i++) {
            uint32_t s = (uint32_t)x->n;
            int64_t id = ids ? ids[i] : x->next_id;
            const float *pv = ix_store(x, s, v + i * x->dim, id, sc->dec);
            ix_idmap_put(&x->map, x->ids, s);
            if (id >= x->next_id) x->next_id = id + 1;
            x->n++;
            x->live++;
            if (x->cfg.kind == IX_HNSW)
                rc = ix_hnsw_insert(x, s, sc);
            else if (x->cfg.kind == IX_IVF) {
                x->assign[s] = lists[i];
                ix_ivf_append(x, lists[i], s);
            }
            if (x->cs) ix_encode(x, pv, x->cfg.kind == IX_IVF ? lists[i] : 0, ix_code(x, s));
            if (rc) break; /* not expected: the scratch was reserved */
        }
        pthread_rwlock_unlock(&x->rw);
        if (rc) break;
        /* between chunks, without the reader/writer lock: the callback may search */
        if (pg->fn && pg->fn(pg->stage, (double)e / (double)n, pg->user)) {
            rc = gerr(GROWTH_ECANCELED, "%s: canceled by the progress callback after %zu of %zu vectors", who,
                      e, n);
            break;
        }
    }
done:
    if (rc && changed) {
        pthread_rwlock_wrlock(&x->rw);
        ix_add_rollback(x, &u);
        pthread_rwlock_unlock(&x->rw);
    }
    if (u.map_grown) { /* committed: the old map is no longer needed */
        ix_idmap_free(&u.map_old);
    }
    ix_hnsw_undo_end(x);
    free(u.list_cap0);
    free(sorted);
    free(lists);
    return rc;
}

GROWTH_API int growth_index_add(growth_index *x, const float *v, size_t n, const int64_t *ids)
{
    static const char *who = "growth_index_add";
    GROWTH_CHECK_NULL(who, x);
    if (n == 0) return GROWTH_OK;
    GROWTH_CHECK_NULL(who, v);
    int rc = ix_check_vectors(who, "x", v, n, x->dim);
    if (rc) return rc;
    if (x->cfg.storage == IX_S_FP16 && x->cfg.metric != IX_COSINE)
        for (size_t i = 0; i < n * x->dim; i++)
            if (fabsf(v[i]) > 65504.0f)
                return gerr(GROWTH_EINVAL,
                            "%s: x[%zu][%zu] = %g is beyond the fp16 range (65504, storage=fp16)", who,
                            i / x->dim, i % x->dim, (double)v[i]);
    pthread_mutex_lock(&x->wlock);
    ix_progress pg = {x->progress, x->progress_user, "add", who, false};
    rc = ix_add_locked(x, v, n, ids, &pg);
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

GROWTH_API int growth_index_remove(growth_index *x, const int64_t *ids, size_t n, size_t *out_removed)
{
    static const char *who = "growth_index_remove";
    GROWTH_CHECK_NULL(who, x);
    if (n) GROWTH_CHECK_NULL(who, ids);
    size_t removed = 0;
    pthread_mutex_lock(&x->wlock);
    pthread_rwlock_wrlock(&x->rw);
    for (size_t i = 0; i < n; i++) {
        int64_t s = ix_map_get(x, ids[i]);
        if (s < 0) continue;
        ix_set_dead(x, (size_t)s, true);
        ix_idmap_del(&x->map, x->ids, ids[i]);
        x->live--;
        removed++;
    }
    pthread_rwlock_unlock(&x->rw);
    pthread_mutex_unlock(&x->wlock);
    if (out_removed) *out_removed = removed;
    return GROWTH_OK;
}

/* Compaction of compressed storage: the live slots' codes, ids (and float rows) are copied as
 * they are into y, which gets copies of the centroids and codebooks (re-encoding a
 * reconstruction could move it to another list or code). */
static int ix_compact_codes(growth_index *x, growth_index *y, const char *who)
{
    const size_t d = x->dim, live = x->live, L = (size_t)x->cfg.nlist;
    int rc = GROWTH_OK;
    if (x->cent) {
        y->cent = malloc(L * d * sizeof *y->cent);
        if (!y->cent) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        memcpy(y->cent, x->cent, L * d * sizeof *y->cent);
        if ((rc = ix_ivf_train(y, NULL, 0, false, NULL))) return rc;
    }
    if (x->pq_cb) {
        size_t nb = d * IX_PQ_K * sizeof(float), nr = x->pq_rot ? d * d * sizeof(float) : 0;
        float *cb = malloc(nb), *rot = nr ? malloc(nr) : NULL;
        if (!cb || (nr && !rot)) {
            free(cb);
            free(rot);
            return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        }
        memcpy(cb, x->pq_cb, nb);
        if (nr) memcpy(rot, x->pq_rot, nr);
        if ((rc = ix_pq_install(y, cb, rot))) {
            free(cb);
            free(rot);
            return rc;
        }
    }
    if (!live) return GROWTH_OK;
    if ((rc = ix_reserve_slots(y, live, who)) ||
        (rc = ix_idmap_reserve(who, &y->map, y->ids, live, NULL, NULL)))
        return rc;
    if (x->cfg.kind == IX_IVF) { /* the lists' exact sizes up front */
        uint32_t *ls = malloc(live * sizeof *ls);
        if (!ls) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        size_t j = 0;
        for (size_t s = 0; s < x->n; s++)
            if (!ix_dead(x, s)) ls[j++] = x->assign[s];
        rc = ix_ivf_reserve(y, ls, live);
        free(ls);
        if (rc) return rc;
    }
    for (size_t s = 0; s < x->n; s++) {
        if (ix_dead(x, s)) continue;
        uint32_t t = (uint32_t)y->n++;
        y->ids[t] = x->ids[s];
        ix_set_dead(y, t, false);
        if (x->vec) memcpy(y->vec + (size_t)t * d, x->vec + s * d, d * sizeof *y->vec);
        if (x->norm2) y->norm2[t] = x->norm2[s];
        if (x->cfg.kind == IX_IVF) {
            y->assign[t] = x->assign[s];
            if ((rc = ix_ivf_append(y, x->assign[s], t))) return rc;
        }
        memcpy(ix_code(y, t), ix_code(x, (uint32_t)s), x->cs);
        ix_idmap_put(&y->map, y->ids, t);
        y->live++;
    }
    return GROWTH_OK;
}

GROWTH_API int growth_index_compact(growth_index *x)
{
    static const char *who = "growth_index_compact";
    GROWTH_CHECK_NULL(who, x);
    pthread_mutex_lock(&x->wlock);
    int rc = GROWTH_OK;
    if (x->live == x->n) goto out;
    /* Build a fresh index with the live vectors, then swap its storage in. */
    growth_index *y = NULL;
    if ((rc = ix_new(&y, &x->cfg, who))) goto out;
    if (x->cs) {
        rc = ix_compact_codes(x, y, who);
        goto swap;
    }
    size_t live = x->live;
    float *v = malloc((live ? live : 1) * x->dim * sizeof *v);
    int64_t *ids = malloc((live ? live : 1) * sizeof *ids);
    if (!v || !ids) rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    size_t j = 0;
    for (size_t s = 0; !rc && s < x->n; s++)
        if (!ix_dead(x, s)) {
            memcpy(v + j * x->dim, x->vec + s * x->dim, x->dim * sizeof *v);
            ids[j++] = x->ids[s];
        }
    if (!rc && x->cent) { /* keep the trained quantiser */
        y->cent = malloc((size_t)x->cfg.nlist * x->dim * sizeof *y->cent);
        if (!y->cent)
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        else {
            memcpy(y->cent, x->cent, (size_t)x->cfg.nlist * x->dim * sizeof *y->cent);
            rc = ix_ivf_train(y, NULL, 0, false, NULL);
        }
    }
    if (!rc && live) { /* y is private: a cancel just drops it */
        ix_progress pg = {x->progress, x->progress_user, "compact", who, true};
        rc = ix_add_locked(y, v, live, ids, &pg);
    }
    free(v);
    free(ids);
swap:
    if (!rc) {
        y->next_id = x->next_id;
        pthread_rwlock_wrlock(&x->rw);
        growth_index tmp = *x;
        /* swap everything but the locks, the configuration and the callback */
        x->n = y->n;
        x->cap = y->cap;
        x->live = y->live;
        x->vec = y->vec;
        x->norm2 = y->norm2;
        x->ids = y->ids;
        x->dead = y->dead;
        x->q8 = y->q8;
        x->q8s = y->q8s;
        x->map = y->map;
        x->level = y->level;
        x->links0 = y->links0;
        x->links_up = y->links_up;
        x->entry = y->entry;
        x->max_level = y->max_level;
        x->cent = y->cent;
        x->cent_norm2 = y->cent_norm2;
        x->assign = y->assign;
        x->lists = y->lists;
        x->list_len = y->list_len;
        x->list_cap = y->list_cap;
        x->codes = y->codes;
        x->lcodes = y->lcodes;
        x->pq_cb = y->pq_cb;
        x->pq_cbt = y->pq_cbt;
        x->pq_cn = y->pq_cn;
        x->pq_pre = y->pq_pre;
        x->pq_rot = y->pq_rot;
        x->pq_rc = y->pq_rc;
        pthread_rwlock_unlock(&x->rw);
        y->n = tmp.n;
        y->cap = tmp.cap;
        y->vec = tmp.vec;
        y->norm2 = tmp.norm2;
        y->ids = tmp.ids;
        y->dead = tmp.dead;
        y->q8 = tmp.q8;
        y->q8s = tmp.q8s;
        y->map = tmp.map;
        y->level = tmp.level;
        y->links0 = tmp.links0;
        y->links_up = tmp.links_up;
        y->cent = tmp.cent;
        y->cent_norm2 = tmp.cent_norm2;
        y->assign = tmp.assign;
        y->lists = tmp.lists;
        y->list_len = tmp.list_len;
        y->list_cap = tmp.list_cap;
        y->codes = tmp.codes;
        y->lcodes = tmp.lcodes;
        y->pq_cb = tmp.pq_cb;
        y->pq_cbt = tmp.pq_cbt;
        y->pq_cn = tmp.pq_cn;
        y->pq_pre = tmp.pq_pre;
        y->pq_rot = tmp.pq_rot;
        y->pq_rc = tmp.pq_rc;
    }
    growth_index_free(y);
out:
    pthread_mutex_unlock(&x->wlock);
    return rc;
}

GROWTH_API int growth_index_get(const growth_index *x, int64_t id, float *out, size_t cap)
{
    static const char *who = "growth_index_get";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, out);
    if (cap < x->dim) return gerr(GROWTH_EBUFS, "%s: capacity %zu is below dim=%zu", who, cap, x->dim);
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    int64_t s = ix_map_get(x, id);
    if (s >= 0 && x->vec)
        memcpy(out, x->vec + (size_t)s * x->dim, x->dim * sizeof *out);
    else if (s >= 0)
        ix_decode(x, (uint32_t)s, out);
    pthread_rwlock_unlock(&xm->rw);
    if (s < 0) return gerr(GROWTH_ENOTFOUND, "%s: id %lld is not in the index", who, (long long)id);
    return GROWTH_OK;
}

GROWTH_API int growth_index_stats_get(const growth_index *x, growth_index_stats *out)
{
    static const char *who = "growth_index_stats_get";
    GROWTH_CHECK_NULL(who, x);
    GROWTH_CHECK_NULL(who, out);
    growth_index_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    growth_index *xm = (growth_index *)x;
    pthread_rwlock_rdlock(&xm->rw);
    st.count = x->live;
    st.deleted = x->n - x->live;
    st.dim = x->dim;
    size_t per = (x->vec ? x->dim * sizeof(float) : 0) + sizeof(int64_t) + (x->norm2 ? 4 : 0) +
                 (x->q8 ? x->dim + 4 : 0) + (x->assign ? 4 : 0) + (x->codes ? x->cs : 0);
    st.memory_bytes = sizeof *x + x->cap * per + (x->cap + 7) / 8 + x->map.cap * sizeof *x->map.vals +
                      ix_hnsw_bytes(x) + ix_ivf_bytes(x) + ix_pq_bytes(x);
    st.code_bytes = x->cs ? x->cs : x->dim * sizeof(float);
    st.bytes_per_vector = x->live ? (st.memory_bytes + x->live - 1) / x->live : 0;
    pthread_rwlock_unlock(&xm->rw);
    return gstruct_out(who, "stats", out, &st, IX_STATS_SIZE_1_0, sizeof st);
}
