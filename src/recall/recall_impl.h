/* Internals of the vector index shared by its files: index.c (storage), kernels.c, flat.c,
 * rerank.c, persist.c, hnsw.c and ivf.c. Not installed. */
#ifndef GROWTH_RECALL_IMPL_H
#define GROWTH_RECALL_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "growth/recall.h"
#include "idmap.h"
#include "topk.h"

enum { IX_IP = 0, IX_COSINE = 1, IX_L2 = 2 };
enum { IX_FLAT = 0, IX_HNSW = 1, IX_IVF = 2 };
enum { IX_Q_NONE = 0, IX_Q_INT8 = 1 };
enum { IX_S_FLOAT = 0, IX_S_FP16 = 1, IX_S_PQ = 2 }; /* storage= */
#define IX_PQ_K 256                                  /* codewords per sub-quantiser (8-bit codes) */

#define IX_MAX_DIM 65536
/* sizeof(growth_index_stats) in 1.0 before code_bytes and bytes_per_vector were appended */
#define IX_STATS_SIZE_1_0 40
#define IX_MAX_SLOTS      ((size_t)UINT32_MAX - 1)
#define IX_MAX_LEVEL      32
#define IX_ADD_CHUNK      256
#define IX_FILTER_SAMPLE  256 /* slots a callback-only filter is tried on to estimate its share */

typedef struct {
    int64_t dim;
    int metric, kind;
    int64_t M, ef_construction, ef, nlist, nprobe, iters, threads;
    int quantize;
    int64_t rescore, seed;
    double filter_exact; /* filtered search scores the allowed items exactly below this share */
    int64_t max_memory;  /* bytes the index may hold, 0 = no cap (checked on create, add, load) */
    int storage;         /* IX_S_*: how vectors are kept for scanning */
    int64_t pq_m, pq_train, rerank;
    int64_t opq; /* 1: learn an OPQ rotation before the PQ codebooks */
} ix_cfg;

/* A scored candidate: larger key is better (similarity, or minus the squared distance). */
typedef struct {
    float key;
    uint32_t slot;
} ix_hit;

/* ---- shared by the files of the index (index.c) ----------------------------------------- */

extern const gcfg_opt ix_opts[];
extern const size_t ix_nopts;
#define IX_NOPTS ix_nopts

int ix_new(growth_index **out, const ix_cfg *cfg, const char *who);
/* Grows the slot arrays (and the HNSW graph) to hold `need` slots. */
int ix_reserve_slots(growth_index *x, size_t need, const char *who);
/* GROWTH_OK when the index may hold `n` slots and `ids` ids within physical memory and
 * max_memory; else GROWTH_ENOMEM naming the bytes (nothing changed). */
int ix_check_memory(const growth_index *x, size_t n, size_t ids, const char *who);
/* Scales v to unit length (cosine); a zero vector stays zero. */
void ix_normalise(float *v, size_t d);
/* EINVAL naming `what` when v (n x d) holds NaN or Inf. */
int ix_check_vectors(const char *who, const char *what, const float *v, size_t n, size_t d);

/* Distance kernels, picked once for the CPU (AVX2 or baseline SSE2). */
typedef struct {
    float (*dot)(const float *a, const float *b, size_t d);
    float (*l2sq)(const float *a, const float *b, size_t d);
    int32_t (*dot8)(const int8_t *a, const int8_t *b, size_t d);
    /* fp16 storage: q . h and |q - h|^2 with h as IEEE half floats */
    float (*dot16)(const float *q, const uint16_t *h, size_t d);
    float (*l2sq16)(const float *q, const uint16_t *h, size_t d);
    /* PQ asymmetric distance: out[i] = sum_j T[j * 256 + codes[i * m + j]] for n codes */
    void (*adc)(const float *T, const uint8_t *codes, size_t m, size_t n, float *out);
} ix_kernels;

extern ix_kernels ix_k;
/* IEEE half <-> float (round to nearest even; out-of-range values become +-Inf, so callers
 * check the range first). */
uint16_t ix_f2h(float f);
float ix_h2f(uint16_t h);
void ix_kernels_init(void);

/* id -> slot map of the live ids: open addressing with linear probing on gmix64 of the id and
 * backward-shift deletion, like gidmap, but a cell holds only the slot (4 bytes): the id of a
 * cell is ids[slot], which the index keeps anyway. The map must be given the current ids array. */
typedef struct {
    uint32_t *vals; /* cap cells, GIDMAP_NONE = free */
    size_t cap, count;
} ix_idmap;

static inline uint32_t ix_idmap_get(const ix_idmap *m, const int64_t *ids, int64_t id)
{
    if (!m->cap) return GIDMAP_NONE;
    const size_t mask = m->cap - 1;
    for (size_t i = (size_t)gmix64((uint64_t)id) & mask;; i = (i + 1) & mask) {
        uint32_t v = m->vals[i];
        if (v == GIDMAP_NONE || ids[v] == id) return v;
    }
}
/* Files slot `slot` under its id ids[slot] (the id must not be in the map; room reserved). */
static inline void ix_idmap_put(ix_idmap *m, const int64_t *ids, uint32_t slot)
{
    const size_t mask = m->cap - 1;
    size_t i = (size_t)gmix64((uint64_t)ids[slot]) & mask;
    while (m->vals[i] != GIDMAP_NONE) i = (i + 1) & mask;
    m->vals[i] = slot;
    m->count++;
}
void ix_idmap_del(ix_idmap *m, const int64_t *ids, int64_t id);
/* Grows the map so that `want` ids keep it at most half full (64 cells at least); a failure
 * leaves it as it was. With `old` set the replaced array is handed back in *old and *grown
 * says whether the map grew. */
int ix_idmap_reserve(const char *who, ix_idmap *m, const int64_t *ids, size_t want, ix_idmap *old,
                     bool *grown);
void ix_idmap_free(ix_idmap *m);

/* Undo record of an HNSW add that may be canceled: the graph rows of nodes that existed before
 * the add (slots < n0), each saved once before its first change. Records in `log`: node, kind
 * (0: its layer-0 row, 1: its block of upper-layer rows), word count, then the words. */
typedef struct {
    size_t n0;
    uint8_t *saved; /* n0 flags: bit 0 layer-0 row saved, bit 1 upper rows saved */
    uint32_t *log;
    size_t len, cap;
} ix_undo;

/* The progress callback of one mutating call (fn may be NULL). */
typedef struct {
    growth_progress_fn fn;
    void *user;
    const char *stage;
    const char *who; /* public function, for messages */
    bool fresh;      /* the index is private to the call (compact): no undo record needed */
} ix_progress;

struct growth_index {
    ix_cfg cfg;
    size_t dim;
    pthread_rwlock_t rw;   /* readers: searches; writer: each chunk of a mutation */
    pthread_mutex_t wlock; /* serialises mutating calls */
    size_t n, cap, live;   /* slots used (live + dead), allocated, live */
    float *vec;            /* cap x dim */
    float *norm2;          /* cap squared norms (l2) */
    int64_t *ids;          /* cap */
    uint8_t *dead;         /* ceil(cap / 8): tombstones, one bit a slot (ix_dead) */
    int8_t *q8;            /* cap x dim when quantize=int8 */
    float *q8s;            /* cap scales */
    ix_idmap map;          /* id -> slot of the live ids (keys read from ids[]) */
    int64_t next_id;
    /* HNSW */
    uint8_t *level;      /* cap */
    uint32_t *links0;    /* cap x (1 + 2M) */
    uint32_t **links_up; /* cap pointers; level x (1 + M) each, NULL for level 0 */
    int64_t entry;       /* slot or -1 */
    int max_level;
    grng rng;
    /* IVF */
    float *cent;       /* nlist x dim, NULL until trained */
    float *cent_norm2; /* nlist */
    uint32_t *assign;  /* cap: list of each slot */
    uint32_t **lists;  /* nlist arrays of slots */
    uint32_t *list_len, *list_cap;
    /* progress callback (set and read under wlock) */
    growth_progress_fn progress;
    void *progress_user;
    /* undo record of the HNSW add in progress, or NULL (owned by that add, under wlock) */
    ix_undo *undo;
    /* compressed storage (storage=fp16|pq): cs code bytes a vector; vec is NULL unless rerank > 0 */
    size_t cs;
    uint8_t *codes;   /* flat: cap x cs, slot order */
    uint8_t **lcodes; /* ivf: nlist arrays of list_cap x cs, in list order */
    float *pq_cb;     /* pq: pq_m x 256 x (dim / pq_m) codebooks, NULL until trained */
    float *pq_cbt;    /* the same transposed per sub-quantiser: pq_m x dsub x 256 */
    float *pq_cn;     /* pq_m x 256 squared norms of the codewords */
    float *pq_pre;    /* IVF-PQ l2: nlist x pq_m x 256 terms |w|^2 + 2 c_j . w (NULL when too large) */
    float *pq_rot;    /* opq=1: the orthogonal rotation R (dim x dim, row-major), codes quantise R x */
    float *pq_rc;     /* opq=1 and IVF: the rotated centroids R c (nlist x dim) */
};

/* Tombstone bit of slot s. */
static inline bool ix_dead(const growth_index *x, size_t s) { return (x->dead[s >> 3] >> (s & 7)) & 1; }
static inline void ix_set_dead(growth_index *x, size_t s, bool d)
{
    uint8_t b = (uint8_t)(1u << (s & 7));
    x->dead[s >> 3] = d ? (uint8_t)(x->dead[s >> 3] | b) : (uint8_t)(x->dead[s >> 3] & ~b);
}

/* Per-thread scratch (grown on demand, freed at thread exit). */
typedef struct {
    float *f;
    size_t fcap;
    ix_hit *h;
    size_t hcap;
    ix_hit *c;
    size_t ccap;
    ix_hit *r;
    size_t rcap;
    uint32_t *visit;
    size_t vcap;
    uint32_t epoch;
    int8_t *q8;
    size_t q8cap;
    float *dec; /* a decoded vector (compressed storage) */
    size_t deccap;
    float *tab; /* PQ distance table, pq_m x 256 */
    size_t tabcap;
    float *ks; /* scores of a run of codes */
    size_t kscap;
    float *rq; /* the rotated query (opq) */
    size_t rqcap;
    float *bq; /* batches with opq: a chunk of prepared queries and their rotations */
    size_t bqcap;
    const float *qrot; /* set by a batch: the current query already rotated (opq), else NULL */
    uint32_t *u;       /* IVF batches: probed lists and the queries of each list */
    size_t ucap;
} ix_scratch;

ix_scratch *ix_scratch_get(void);
int ix_reserve(const char *who, void **p, size_t *cap, size_t need, size_t elem);

/* Slot of a live id, or -1. */
static inline int64_t ix_map_get(const growth_index *x, int64_t id)
{
    uint32_t s = ix_idmap_get(&x->map, x->ids, id);
    return s == GIDMAP_NONE ? -1 : (int64_t)s;
}

/* Heaps of ix_hit: ix_minh keeps the worst at [0] (top-k results), ix_maxh the best (HNSW
 * candidate queue). */
#define IX_HIT_LOWER(ctx, a, b)  ((a).key < (b).key)
#define IX_HIT_HIGHER(ctx, a, b) ((a).key > (b).key)
GHEAP_DEFINE(ix_minh, ix_hit, const void *, IX_HIT_LOWER)
GHEAP_DEFINE(ix_maxh, ix_hit, const void *, IX_HIT_HIGHER)

/* Offers a candidate to a top-k min-heap of capacity k. */
static inline void ix_topk_offer(ix_hit *h, size_t *n, size_t k, float key, uint32_t slot)
{
    ix_minh_offer(NULL, h, n, k, (ix_hit){key, slot});
}

/* ---- compressed storage (pq.c) ---------------------------------------------------------- */

/* Code bytes of one vector: 0 (float), 2 dim (fp16), pq_m (pq). */
size_t ix_code_size(const ix_cfg *c);
/* Whether the scanned form needs training (pq codebooks) that has not happened yet. */
static inline bool ix_pq_untrained(const growth_index *x) { return x->cfg.storage == IX_S_PQ && !x->pq_cb; }
/* Code of slot s (compressed storage). */
static inline uint8_t *ix_code(const growth_index *x, uint32_t s)
{
    if (x->lcodes) {
        /* IVF: a list holds its slots in increasing order (adds append new, larger slots; load
         * and compact refill in slot order), so the position of s is found by bisection and no
         * per-slot position array is kept */
        const uint32_t c = x->assign[s], *ls = x->lists[c];
        size_t lo = 0, hi = x->list_len[c];
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (ls[mid] < s)
                lo = mid + 1;
            else
                hi = mid;
        }
        return x->lcodes[c] + lo * x->cs;
    }
    return x->codes + (size_t)s * x->cs;
}
/* Trains the PQ codebooks on up to pq_train of the n vectors v (normalised when `normalise`;
 * IVF: on their residuals to the trained centroids). Installs x->pq_cb on success. */
int ix_pq_train(growth_index *x, const float *v, size_t n, bool normalise, const ix_progress *p);
/* Encodes a prepared (normalised) vector filed in IVF list `list` (ignored for flat). */
void ix_encode(const growth_index *x, const float *v, uint32_t list, uint8_t *code);
/* Reconstruction of slot s into out (dim floats). */
void ix_decode(const growth_index *x, uint32_t s, float *out);
/* The vector of slot s: the stored float row, or its reconstruction written into buf. */
static inline const float *ix_vector(const growth_index *x, uint32_t s, float *buf)
{
    if (x->vec) return x->vec + (size_t)s * x->dim;
    ix_decode(x, s, buf);
    return buf;
}
/* Approximate top kk by the codes: flat scan, or the IVF lists (nprobe, then more until kk
 * pass). Then, with float vectors kept (rerank > 0), the exact top k of those kk. */
int ix_codes_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                    ix_scratch *sc, ix_hit *out, size_t *nout);
/* Key of slot s from its reconstruction (no float vectors kept). */
float ix_code_key(const growth_index *x, const float *q, uint32_t s, float *buf);
size_t ix_pq_bytes(const growth_index *x);
/* Bytes of the IVF-PQ l2 precomputed tables (0 when not used). */
size_t ix_pq_pre_bytes(const ix_cfg *c);
/* Installs codebooks cb (pq_m x 256 x dsub, taken over) and, with opq=1, the rotation rot (dim x
 * dim, taken over; NULL otherwise) with their derived tables. On failure nothing is taken over. */
int ix_pq_install(growth_index *x, float *cb, float *rot);
/* Orthogonal Procrustes: the rotation R (d x d, row-major) minimising |X R^T - Y|_F over the n
 * rows of X and Y (n x d each): with X^T Y = U S V^T, R = V U^T (LAPACK dgesvd in double, from
 * the linked OpenBLAS; directions with no singular value get LAPACK's orthonormal completion). */
int ix_procrustes(const float *X, const float *Y, size_t n, size_t d, float *R);
void ix_pq_free(growth_index *x);
/* Whether the index keeps float vectors (storage=float, or rerank > 0). */
static inline bool ix_keeps_vec(const ix_cfg *c) { return c->storage == IX_S_FLOAT || c->rerank > 0; }

/* Similarity key of a stored slot for a prepared query (normalised for cosine). */
static inline float ix_key(const growth_index *x, const float *q, uint32_t s)
{
    const float *v = x->vec + (size_t)s * x->dim;
    if (x->cfg.metric == IX_L2) return -ix_k.l2sq(q, v, x->dim);
    return ix_k.dot(q, v, x->dim);
}

/* Filter check (dead slots never pass). */
static inline bool ix_pass(const growth_index *x, const growth_id_filter *f, uint32_t s)
{
    if (ix_dead(x, s)) return false;
    if (!f) return true;
    int64_t id = x->ids[s];
    if (f->bitmap && ((uint64_t)id >= f->bitmap_bits || !((f->bitmap[id >> 3] >> (id & 7)) & 1)))
        return false;
    if (f->allow) {
        size_t lo = 0, hi = f->n_allow;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (f->allow[mid] < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == f->n_allow || f->allow[lo] != id) return false;
    }
    if (f->fn && !f->fn(id, f->user)) return false;
    return true;
}

/* int8 quantisation of one vector: symmetric, scale = max|v| / 127. */
float ix_quantize(const float *v, size_t d, int8_t *out);

/* HNSW (hnsw.c) */
int ix_hnsw_alloc(growth_index *x, size_t cap); /* grows graph arrays to cap */
int ix_hnsw_insert(growth_index *x, uint32_t s, ix_scratch *sc);
/* Filtered traversal: every node is walked, only nodes passing f enter the results. With
 * visit_limit > 0 the walk stops once it has scored that many nodes and sets *over (the caller
 * then scores the allowed items exactly). */
int ix_hnsw_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f,
                   size_t visit_limit, bool *over, ix_scratch *sc, ix_hit *out, size_t *nout);
/* Grows the scratch an insert needs for an index of up to n_final nodes, so that inserts
 * cannot fail afterwards. */
int ix_hnsw_reserve_scratch(const growth_index *x, ix_scratch *sc, size_t n_final);
/* Undo record: begin (n0 = nodes before the add), put the saved rows back, free. */
int ix_hnsw_undo_begin(growth_index *x);
void ix_hnsw_undo_apply(growth_index *x);
void ix_hnsw_undo_end(growth_index *x);
void ix_hnsw_free(growth_index *x);
size_t ix_hnsw_bytes(const growth_index *x);

/* IVF (ivf.c) */
/* Trains k-means on v (n x dim), or with v == NULL installs the centroids already in x->cent.
 * p (may be NULL) is told after each iteration; a non-zero answer gives GROWTH_ECANCELED and
 * installs nothing. */
int ix_ivf_train(growth_index *x, const float *v, size_t n, bool normalise, const ix_progress *p);
/* One Lloyd update of k-means (means of the assigned points; empty clusters split the largest). */
void ix_kmeans_update(const float *pts, size_t n, size_t d, const uint32_t *as, size_t k, float *cent,
                      float *acc, size_t *cnt, grng *r);
int ix_ivf_assign(const growth_index *x, const float *v, size_t n, uint32_t *out);
int ix_ivf_append(growth_index *x, uint32_t list, uint32_t slot);
int ix_ivf_reserve(growth_index *x, const uint32_t *lists, size_t n);
/* Scans the nprobe best lists, then (when fewer than k items passed the filter) further lists in
 * order of their centroids until k have passed or every list has been scanned. */
int ix_ivf_search(const growth_index *x, const float *q, size_t k, const growth_id_filter *f, ix_scratch *sc,
                  ix_hit *out, size_t *nout);
/* The same search for nq prepared queries (rows of Q) at once, unfiltered (tombstones are
 * skipped): each query's nprobe best lists are found, then every probed list is read once for all
 * the queries that probe it (in blocks of rows that stay in L1 while each of those queries scores
 * them). Keys are those of ix_ivf_search (the same kernel, the same operands); query i's top-k
 * min-heap is H[i * (k + 1)..] with cnt[i] entries, unsorted. A query that ends with fewer than k
 * (its nprobe lists hold fewer live items) is left for ix_ivf_search, which probes further. */
int ix_ivf_search_batch(const growth_index *x, const float *Q, size_t nq, size_t k, ix_scratch *sc, ix_hit *H,
                        size_t *cnt);
/* Filtered search (flat.c): an upper bound on the live items passing f (x->live when only a
 * callback filters), and the exact top k of the items passing f, enumerated from the
 * allow-list, the bitmap's set bits or all slots, whichever is shortest. */
size_t ix_filter_estimate(const growth_index *x, const growth_id_filter *f);
int ix_exact_allowed(const growth_index *x, const float *q, size_t k, const growth_id_filter *f, ix_hit *out,
                     size_t *nout);
void ix_ivf_free(growth_index *x);
size_t ix_ivf_bytes(const growth_index *x);

#endif
