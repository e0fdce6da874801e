/* HNSW graph (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor search using
 * Hierarchical Navigable Small World graphs", 2018): layer 0 holds every node with up to 2M
 * links, layer l > 0 a geometric sample (P = 1/M per layer) with up to M links. Links are
 * chosen by the paper's heuristic (Algorithm 4: keep a candidate only if it is closer to the
 * base than to every neighbour kept so far). Tombstoned nodes stay in the graph as stepping
 * stones and are never returned; growth_index_compact() rebuilds without them.
 *
 * Layout: links0 is one flat array of n x (1 + 2M) uint32 (count, then neighbours); upper
 * layers are a small array per node with level > 0. A search marks visited nodes in a
 * per-thread array of epoch tags (no clearing per query). With quantize=int8 the traversal
 * scores int8 copies and the final ef candidates are re-scored in float. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recall_impl.h"

static inline size_t m0(const growth_index *x) { return 2 * (size_t)x->cfg.M; }

static inline uint32_t *links_at(const growth_index *x, uint32_t s, int l)
{
    if (l == 0) return x->links0 + (size_t)s * (m0(x) + 1);
    return x->links_up[s] + (size_t)(l - 1) * ((size_t)x->cfg.M + 1);
}

int ix_hnsw_alloc(growth_index *x, size_t cap)
{
    uint8_t *lv = realloc(x->level, cap);
    if (!lv) return GROWTH_ENOMEM;
    x->level = lv;
    const size_t row = m0(x) + 1;
    uint32_t *l0 = realloc(x->links0, cap * row * sizeof *l0);
    if (!l0) return GROWTH_ENOMEM;
    /* New rows start zeroed: a row is saved whole, and the entries past its count would
     * otherwise carry uninitialised bytes into the file (found by valgrind). */
    if (cap > x->cap) memset(l0 + x->cap * row, 0, (cap - x->cap) * row * sizeof *l0);
    x->links0 = l0;
    uint32_t **up = realloc(x->links_up, cap * sizeof *up);
    if (!up) return GROWTH_ENOMEM;
    for (size_t i = x->cap; i < cap; i++) up[i] = NULL;
    x->links_up = up;
    return GROWTH_OK;
}

void ix_hnsw_free(growth_index *x)
{
    if (x->links_up)
        for (size_t s = 0; s < x->n; s++) free(x->links_up[s]);
    free(x->links_up);
    free(x->links0);
    free(x->level);
    x->links_up = NULL;
    x->links0 = NULL;
    x->level = NULL;
}

size_t ix_hnsw_bytes(const growth_index *x)
{
    if (!x->links0) return 0;
    size_t b = x->cap * (1 + sizeof(uint32_t *) + (m0(x) + 1) * sizeof(uint32_t));
    for (size_t s = 0; s < x->n; s++) b += (size_t)x->level[s] * ((size_t)x->cfg.M + 1) * 4;
    return b;
}

/* Query being searched: float vector, and its int8 copy when traversal is quantised. */
typedef struct {
    const float *q;
    const int8_t *q8;
    float qs;
} hq;

static inline float hkey(const growth_index *x, const hq *q, uint32_t s)
{
    if (q->q8) {
        float k = q->qs * x->q8s[s] * (float)ix_k.dot8(q->q8, x->q8 + (size_t)s * x->dim, x->dim);
        return x->norm2 ? 2.0f * k - x->norm2[s] : k;
    }
    float k = ix_k.dot(q->q, x->vec + (size_t)s * x->dim, x->dim);
    return x->norm2 ? 2.0f * k - x->norm2[s] : k;
}

static int visit_begin(const growth_index *x, ix_scratch *sc)
{
    if (sc->vcap < x->n) {
        size_t ncap = x->n + x->n / 2 + 1024;
        free(sc->visit);
        sc->visit = calloc(ncap, sizeof *sc->visit);
        if (!sc->visit) {
            sc->vcap = 0;
            return gerr(GROWTH_ENOMEM, "hnsw: out of memory for the visited set");
        }
        sc->vcap = ncap;
        sc->epoch = 0;
    }
    if (++sc->epoch == 0) {
        memset(sc->visit, 0, sc->vcap * sizeof *sc->visit);
        sc->epoch = 1;
    }
    return GROWTH_OK;
}

/* Greedy walk on layer l from *ep (one best node). */
static void greedy(const growth_index *x, const hq *q, int l, uint32_t *ep, float *epk)
{
    bool moved = true;
    while (moved) {
        moved = false;
        const uint32_t *ln = links_at(x, *ep, l);
        for (uint32_t i = 1; i <= ln[0]; i++) {
            float k = hkey(x, q, ln[i]);
            if (k > *epk) {
                *epk = k;
                *ep = ln[i];
                moved = true;
            }
        }
    }
}

/* Beam search on layer l from ep. Results (up to ef, min-heap, worst at [0]) go to sc->r;
 * only nodes passing the filter enter the results (all nodes are traversed) when `f_on`. */
static int search_layer(const growth_index *x, const hq *q, uint32_t ep, float epk, size_t ef, int l,
                        const growth_id_filter *f, bool f_on, size_t limit, bool *over, ix_scratch *sc,
                        size_t *nres)
{
    int rc = visit_begin(x, sc);
    if (rc) return rc;
    if (ix_reserve("hnsw", (void **)&sc->r, &sc->rcap, ef + 1, sizeof(ix_hit)) ||
        ix_reserve("hnsw", (void **)&sc->c, &sc->ccap, x->n + 1, sizeof(ix_hit)))
        return GROWTH_ENOMEM;
    ix_hit *R = sc->r, *C = sc->c;
    size_t nr = 0, nc = 0, nvis = 1;
    uint32_t *vis = sc->visit, ep_tag = sc->epoch;
    vis[ep] = ep_tag;
    ix_maxh_push(NULL, C, &nc, (ix_hit){epk, ep});
    if (!f_on || ix_pass(x, f, ep)) ix_minh_push(NULL, R, &nr, (ix_hit){epk, ep});
    while (nc) {
        ix_hit c = ix_maxh_pop(NULL, C, &nc);
        if (nr == ef && c.key < R[0].key) break;
        const uint32_t *ln = links_at(x, c.slot, l);
        uint32_t cnt = ln[0];
        for (uint32_t i = 1; i <= cnt; i++) {
            __builtin_prefetch(x->vec + (size_t)ln[i] * x->dim);
            __builtin_prefetch(&vis[ln[i]]);
        }
        for (uint32_t i = 1; i <= cnt; i++) {
            uint32_t e = ln[i];
            if (vis[e] == ep_tag) continue;
            vis[e] = ep_tag;
            if (limit && ++nvis > limit) { /* costlier than scoring the allowed items directly */
                *over = true;
                *nres = nr;
                return GROWTH_OK;
            }
            float k = hkey(x, q, e);
            if (nr < ef || k > R[0].key) {
                ix_maxh_push(NULL, C, &nc, (ix_hit){k, e});
                if (!f_on || ix_pass(x, f, e)) {
                    if (nr < ef)
                        ix_minh_push(NULL, R, &nr, (ix_hit){k, e});
                    else {
                        R[0] = (ix_hit){k, e};
                        ix_minh_down(NULL, R, nr, 0);
                    }
                }
            }
        }
    }
    *nres = nr;
    return GROWTH_OK;
}

/* True similarity between two stored nodes (dot, or minus the squared distance). */
static inline float sim_nodes(const growth_index *x, uint32_t a, uint32_t b)
{
    const float *va = x->vec + (size_t)a * x->dim, *vb = x->vec + (size_t)b * x->dim;
    return x->norm2 ? -ix_k.l2sq(va, vb, x->dim) : ix_k.dot(va, vb, x->dim);
}

/* Heuristic selection: cand[0..n) sorted best first by similarity to the base (true sim in
 * .key); keeps at most mmax in out, returns the count. */
static size_t select_heuristic(const growth_index *x, const ix_hit *cand, size_t n, size_t mmax,
                               uint32_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n && m < mmax; i++) {
        bool good = true;
        for (size_t j = 0; j < m && good; j++)
            if (sim_nodes(x, cand[i].slot, out[j]) > cand[i].key) good = false;
        if (good) out[m++] = cand[i].slot;
    }
    return m;
}

static int cmp_hit_desc(const void *a, const void *b)
{
    float x = ((const ix_hit *)a)->key, y = ((const ix_hit *)b)->key;
    return (x < y) - (x > y);
}

/* ---- undo record of a cancelable add ---------------------------------------------------- */

int ix_hnsw_reserve_scratch(const growth_index *x, ix_scratch *sc, size_t n_final)
{
    if (sc->vcap < n_final) {
        size_t ncap = n_final + n_final / 2 + 1024;
        free(sc->visit);
        sc->visit = calloc(ncap, sizeof *sc->visit);
        if (!sc->visit) {
            sc->vcap = 0;
            return gerr(GROWTH_ENOMEM, "hnsw: out of memory for the visited set");
        }
        sc->vcap = ncap;
        sc->epoch = 0;
    }
    size_t efc = (size_t)x->cfg.ef_construction;
    if (efc < (size_t)x->cfg.M) efc = (size_t)x->cfg.M;
    if (ix_reserve("hnsw", (void **)&sc->r, &sc->rcap, efc + 1, sizeof(ix_hit)) ||
        ix_reserve("hnsw", (void **)&sc->c, &sc->ccap, n_final + 1, sizeof(ix_hit)))
        return GROWTH_ENOMEM;
    return GROWTH_OK;
}

int ix_hnsw_undo_begin(growth_index *x)
{
    ix_undo *u = calloc(1, sizeof *u);
    if (u) u->saved = calloc(x->n ? x->n : 1, 1);
    if (!u || !u->saved) {
        free(u);
        return gerr(GROWTH_ENOMEM, "hnsw: out of memory for the undo record of %zu nodes", x->n);
    }
    u->n0 = x->n;
    x->undo = u;
    return GROWTH_OK;
}

/* Saves node e's rows of layer l (l = 0: its layer-0 row; l > 0: its whole block of upper rows)
 * before their first change. False when the record cannot grow: the change must be skipped. */
static bool undo_note(growth_index *x, uint32_t e, int l)
{
    ix_undo *u = x->undo;
    if (!u || e >= u->n0) return true; /* no record kept, or a node of this add */
    uint8_t bit = l == 0 ? 1 : 2;
    if (u->saved[e] & bit) return true;
    size_t words = l == 0 ? m0(x) + 1 : (size_t)x->level[e] * ((size_t)x->cfg.M + 1);
    const uint32_t *src = l == 0 ? links_at(x, e, 0) : x->links_up[e];
    size_t need = u->len + 3 + words;
    if (need > u->cap) {
        size_t nc = u->cap ? u->cap : 4096;
        while (nc < need) nc *= 2;
        uint32_t *p = realloc(u->log, nc * sizeof *p);
        if (!p) return false;
        u->log = p;
        u->cap = nc;
    }
    u->log[u->len++] = e;
    u->log[u->len++] = l != 0;
    u->log[u->len++] = (uint32_t)words;
    memcpy(u->log + u->len, src, words * sizeof *src);
    u->len += words;
    u->saved[e] |= bit;
    return true;
}

void ix_hnsw_undo_apply(growth_index *x)
{
    ix_undo *u = x->undo;
    if (!u) return;
    for (size_t i = 0; i < u->len;) {
        uint32_t e = u->log[i], kind = u->log[i + 1], w = u->log[i + 2];
        uint32_t *dst = kind == 0 ? links_at(x, e, 0) : x->links_up[e];
        memcpy(dst, u->log + i + 3, (size_t)w * sizeof *dst);
        i += 3 + (size_t)w;
    }
}

void ix_hnsw_undo_end(growth_index *x)
{
    ix_undo *u = x->undo;
    if (!u) return;
    free(u->log);
    free(u->saved);
    free(u);
    x->undo = NULL;
}

/* Adds link e -> s on layer l, re-selecting e's neighbours when full. */
static void add_link(growth_index *x, uint32_t e, uint32_t s, int l)
{
    if (!undo_note(x, e, l)) return; /* out of memory for the undo record: skip this back-link */
    uint32_t *ln = links_at(x, e, l);
    size_t mmax = l == 0 ? m0(x) : (size_t)x->cfg.M;
    if (ln[0] < mmax) {
        ln[++ln[0]] = s;
        return;
    }
    ix_hit cand[2 * 128 + 1];
    size_t n = 0;
    for (uint32_t i = 1; i <= ln[0]; i++) cand[n++] = (ix_hit){sim_nodes(x, e, ln[i]), ln[i]};
    cand[n++] = (ix_hit){sim_nodes(x, e, s), s};
    qsort(cand, n, sizeof *cand, cmp_hit_desc);
    uint32_t out[2 * 128];
    size_t m = select_heuristic(x, cand, n, mmax, out);
    ln[0] = (uint32_t)m;
    memcpy(ln + 1, out, m * sizeof *out);
}

int ix_hnsw_insert(growth_index *x, uint32_t s, ix_scratch *sc)
{
    const double mL = 1.0 / log((double)x->cfg.M);
    double u = grng_uniform(&x->rng);
    int lv = (int)floor(-log(1.0 - u) * mL);
    if (lv > IX_MAX_LEVEL - 1) lv = IX_MAX_LEVEL - 1;
    x->links0[(size_t)s * (m0(x) + 1)] = 0;
    x->level[s] = 0;
    if (lv > 0) {
        x->links_up[s] = calloc((size_t)lv * ((size_t)x->cfg.M + 1), sizeof(uint32_t));
        if (!x->links_up[s]) lv = 0; /* out of memory: the node stays on layer 0 only */
    }
    x->level[s] = (uint8_t)lv;
    if (x->entry < 0) {
        x->entry = s;
        x->max_level = lv;
        return GROWTH_OK;
    }
    hq q = {x->vec + (size_t)s * x->dim, NULL, 0};
    const float qn2 = x->norm2 ? x->norm2[s] : 0.0f;
    uint32_t ep = (uint32_t)x->entry;
    float epk = hkey(x, &q, ep);
    for (int l = x->max_level; l > lv; l--) greedy(x, &q, l, &ep, &epk);
    size_t efc = (size_t)x->cfg.ef_construction;
    if (efc < (size_t)x->cfg.M) efc = (size_t)x->cfg.M;
    for (int l = lv < x->max_level ? lv : x->max_level; l >= 0; l--) {
        size_t nr = 0;
        int rc = search_layer(x, &q, ep, epk, efc, l, NULL, false, 0, NULL, sc, &nr);
        if (rc) return rc;
        ix_hit *R = sc->r;
        for (size_t i = 0; i < nr; i++) R[i].key -= qn2; /* keys -> true similarity */
        qsort(R, nr, sizeof *R, cmp_hit_desc);
        /* drop the node itself if it was reached */
        size_t w = 0;
        for (size_t i = 0; i < nr; i++)
            if (R[i].slot != s) R[w++] = R[i];
        nr = w;
        if (!nr) continue;
        ep = R[0].slot;
        epk = R[0].key + qn2;
        uint32_t sel[2 * 128];
        size_t m = select_heuristic(x, R, nr, (size_t)x->cfg.M, sel);
        uint32_t *ln = links_at(x, s, l);
        ln[0] = (uint32_t)m;
        memcpy(ln + 1, sel, m * sizeof *sel);
        for (size_t i = 0; i < m; i++) add_link(x, sel[i], s, l);
    }
    if (lv > x->max_level) {
        x->max_level = lv;
        x->entry = s;
    }
    return GROWTH_OK;
}

int ix_hnsw_search(const growth_index *x, const float *qf, size_t k, const growth_id_filter *f,
                   size_t visit_limit, bool *over, ix_scratch *sc, ix_hit *out, size_t *nout)
{
    *over = false;
    hq q = {qf, NULL, 0};
    if (x->q8) {
        if (ix_reserve("hnsw", (void **)&sc->q8, &sc->q8cap, x->dim, 1)) return GROWTH_ENOMEM;
        q.qs = ix_quantize(qf, x->dim, sc->q8);
        q.q8 = sc->q8;
    }
    uint32_t ep = (uint32_t)x->entry;
    float epk = hkey(x, &q, ep);
    for (int l = x->max_level; l > 0; l--) greedy(x, &q, l, &ep, &epk);
    size_t ef = (size_t)x->cfg.ef > k ? (size_t)x->cfg.ef : k;
    bool f_on = f != NULL || x->live < x->n;
    size_t nr = 0;
    int rc = search_layer(x, &q, ep, epk, ef, 0, f, f_on, visit_limit, over, sc, &nr);
    if (rc || *over) return rc;
    size_t m = 0;
    for (size_t i = 0; i < nr; i++) {
        float key = sc->r[i].key;
        if (q.q8) { /* re-score in float */
            hq qq = {qf, NULL, 0};
            key = hkey(x, &qq, sc->r[i].slot);
        }
        ix_topk_offer(out, &m, k, key, sc->r[i].slot);
    }
    *nout = m;
    return GROWTH_OK;
}
