/* Multiple-choice knapsack by Lagrangian duality.
 *
 * Dual: D(lambda) = lambda . B + sum_i max(0, max_j v_ij - lambda . c_ij), convex, piecewise
 * linear, an upper bound on the LP (and integer) optimum for every lambda >= 0.
 *
 * Line search along coordinate k (everything else fixed): with a_j = v_ij - sum_{l!=k}
 * lambda_l c_ijl and b_j = c_ijk, user i's term is the upper envelope of the lines a_j - t b_j
 * and 0. Its breakpoints are the slopes of the upper concave hull of the points (b_j, a_j) and
 * (0, 0), from b = 0 up to the highest point: at price t the user sits at the end of the hull
 * segments steeper than t. The derivative of D along t is B_k - S(t), S(t) = sum of the
 * b-extents of all segments steeper than t, so the minimiser t* is the slope at which the
 * cumulative b-extent of segments, taken steepest first, crosses B_k: a weighted selection.
 * We find it without sorting: a histogram of segment extents by the bits of the slope (a
 * positive double's bits order like its value), then the same within the crossing bucket, and
 * a sort of the few segments left. With one budget this is the exact LP optimum (greedy over
 * hull segments by incremental efficiency); with several it is one step of exact coordinate
 * descent.
 *
 * Every pass runs over user shards in `threads` threads with per-thread accumulators. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

typedef struct {
    int64_t threads, max_iter;
    double tol;
    bool fill;
    int64_t max_memory; /* bytes one solve's working memory may take, 0 = no cap */
} mckp_cfg;

static const gcfg_opt mckp_opts[] = {
    {"threads", GCFG_INT, offsetof(mckp_cfg, threads), "1", 1, 256, NULL, false},
    {"max_iter", GCFG_INT, offsetof(mckp_cfg, max_iter), "200", 1, 1e9, NULL, false},
    {"tol", GCFG_DOUBLE, offsetof(mckp_cfg, tol), "1e-10", 0, 1, NULL, false},
    {"fill", GCFG_BOOL, offsetof(mckp_cfg, fill), "true", 0, 0, NULL, false},
    GCFG_MAX_MEMORY(mckp_cfg, max_memory),
};
#define MCKP_NOPTS (sizeof mckp_opts / sizeof mckp_opts[0])
#define MAX_BUDGETS 64
#define DBL_MAX_SAFE DBL_MAX

struct growth_mckp {
    mckp_cfg cfg;
    growth_progress_fn progress;
    void *progress_data;
    atomic_int cancel;
    bool have;
    growth_mckp_result res;
    size_t k;
    double lambda[MAX_BUDGETS], spend[MAX_BUDGETS];
};

typedef struct {
    const uint64_t *indptr;
    size_t n, K;
    const double *v, *c;
    size_t maxm; /* most options of one user */
} prob;

/* A hull segment kept for the final selection / greedy fill. */
typedef struct {
    double slope, db, da;
    uint64_t user;
    int32_t from, to;
} seg;

/* Histogram levels over the 64 bits of a positive slope. */
static const int lv_shift[4] = {48, 32, 16, 0};
static const int lv_bits[4] = {16, 16, 16, 16};
#define COLLECT_LIMIT ((uint64_t)1 << 21)

enum { P_HIST, P_COLLECT, P_EVAL, P_ASSIGN };

typedef struct {
    const prob *p;
    atomic_int *cancel;
    size_t lo, hi;
    int mode;
    /* line search */
    size_t k;
    const double *lambda; /* K prices (eval: np * K) */
    int level;
    uint64_t prefix;      /* key >> (shift+bits) of the bucket being refined (or key>>shift to collect) */
    double *hist;
    uint64_t *cnt;
    double total_db;
    seg *segs;
    size_t nseg, capseg;
    /* eval / assign */
    size_t np;
    double *acc;          /* np * (K + 2): spend..., value, dual */
    gksum ks[MAX_BUDGETS + 2];
    int32_t *choice;
    uint64_t chosen, ties;
    /* scratch */
    double *sa, *sb;
    int32_t *si, *hv;
    int failed;
} task;

static inline uint64_t dkey(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}

/* Upper hull from (0,0) to the highest point of (b_j, a_j); writes the vertices' option
 * offsets (-1 = none) into hv and returns their count; hb/ha get their coordinates. Few
 * options: a gift-wrapping walk (next vertex = steepest point up and to the right, the
 * farthest of collinear ones); many: sort by b, then a monotone chain. */
static int user_hull(const double *a, const double *b, int m, int32_t *si, int32_t *hv,
                     double *hb, double *ha)
{
    int h = 1;
    hv[0] = -1; hb[0] = 0; ha[0] = 0;
    if (m <= 16) {
        for (int j = 0; j < m; j++)
            if (b[j] == 0 && a[j] > ha[0]) { ha[0] = a[j]; hv[0] = j; }
        double cb = 0, ca = ha[0];
        for (;;) {
            int best = -1;
            double bdb = 1, bda = 0;
            for (int j = 0; j < m; j++) {
                double db = b[j] - cb, da = a[j] - ca;
                if (!(db > 0 && da > 0)) continue;
                double l = da * bdb, r = bda * db; /* slope j vs best, as cross products */
                if (best < 0 || l > r || (l == r && db > bdb)) { best = j; bdb = db; bda = da; }
            }
            if (best < 0) return h;
            cb = b[best]; ca = a[best];
            hv[h] = best; hb[h] = cb; ha[h] = ca; h++;
        }
    }
    /* insertion sort of offsets by (b asc, a desc) */
    for (int j = 0; j < m; j++) {
        int x = j, q = j;
        while (q > 0) {
            int y = si[q - 1];
            if (b[y] > b[x] || (b[y] == b[x] && a[y] < a[x])) { si[q] = y; q--; }
            else break;
        }
        si[q] = x;
    }
    for (int q = 0; q < m; q++) {
        int j = si[q];
        double bj = b[j], aj = a[j];
        if (!(aj > ha[h - 1])) continue;      /* no more value for at least as much cost */
        if (bj == hb[h - 1] && h == 1) { hv[0] = j; ha[0] = aj; continue; }
        while (h >= 2) {
            double b0 = hb[h - 2], a0 = ha[h - 2], b1 = hb[h - 1], a1 = ha[h - 1];
            /* pop (b1,a1) unless it lies strictly above the chord (b0,a0)-(bj,aj) */
            if ((a1 - a0) * (bj - b0) <= (aj - a0) * (b1 - b0)) h--;
            else break;
        }
        hv[h] = j; hb[h] = bj; ha[h] = aj; h++;
    }
    return h;
}

/* Reduced values for coordinate k: a_j = v_j - sum_{l != k} lambda_l c_jl, b_j = c_jk. */
static inline void reduced_k(const prob *p, uint64_t o, int m, size_t k, const double *lambda,
                             double *a, double *b)
{
    size_t K = p->K;
    for (int j = 0; j < m; j++) {
        const double *c = p->c + (o + (uint64_t)j) * K;
        double r = p->v[o + j];
        for (size_t l = 0; l < K; l++)
            if (l != k) r -= lambda[l] * c[l];
        a[j] = r;
        b[j] = c[k];
    }
}

static int seg_push(task *t, const seg *s)
{
    if (t->nseg == t->capseg) {
        size_t nc = t->capseg ? t->capseg * 2 : 4096;
        seg *ns = realloc(t->segs, nc * sizeof *ns);
        if (!ns) return -1;
        t->segs = ns;
        t->capseg = nc;
    }
    t->segs[t->nseg++] = *s;
    return 0;
}

static void line_worker(void *arg)
{
    task *t = arg;
    const prob *p = t->p;
    double *hb = t->sb + p->maxm + 1, *ha = t->sa + p->maxm + 1;
    int sh = lv_shift[t->level], bits = lv_bits[t->level];
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    for (size_t i = t->lo; i < t->hi; i++) {
        if ((i & 0xffff) == 0 && atomic_load_explicit(t->cancel, memory_order_relaxed)) return;
        uint64_t o = p->indptr[i];
        int m = (int)(p->indptr[i + 1] - o);
        if (m == 0) continue;
        reduced_k(p, o, m, t->k, t->lambda, t->sa, t->sb);
        int h = user_hull(t->sa, t->sb, m, t->si, t->hv, hb, ha);
        for (int e = 0; e + 1 < h; e++) {
            double db = hb[e + 1] - hb[e], da = ha[e + 1] - ha[e];
            double slope = da / db;
            uint64_t key = dkey(slope);
            if (t->mode == P_HIST) {
                t->total_db += db;
                if (t->level > 0 && (key >> (sh + bits)) != t->prefix) continue;
                size_t bk = (size_t)((key >> sh) & mask);
                t->hist[bk] += db;
                t->cnt[bk]++;
            } else if ((key >> sh) == t->prefix) {
                seg s = {slope, db, da, i, t->hv[e], t->hv[e + 1]};
                if (seg_push(t, &s)) { t->failed = 1; return; }
            }
        }
    }
}

/* Best option of user at prices lambda: offset or -1, with ties to the cheapest (sum of
 * costs). *best gets the reduced value (0 for none); *tie whether another option ties. */
static inline int best_option(const prob *p, uint64_t o, int m, const double *lambda,
                              double *best, int *tie)
{
    size_t K = p->K;
    int bj = -1;
    double br = 0, bc = 0;
    *tie = 0;
    for (int j = 0; j < m; j++) {
        const double *c = p->c + (o + (uint64_t)j) * K;
        double r = p->v[o + j], cs = 0;
        for (size_t l = 0; l < K; l++) { r -= lambda[l] * c[l]; cs += c[l]; }
        if (r > br) { bj = j; br = r; bc = cs; *tie = 0; }
        else if (r == br) { *tie = 1; if (cs < bc) { bj = j; bc = cs; } }
    }
    *best = br;
    return bj;
}

static void eval_worker(void *arg)
{
    task *t = arg;
    const prob *p = t->p;
    size_t K = p->K, np = t->np;
    for (size_t i = t->lo; i < t->hi; i++) {
        if ((i & 0xffff) == 0 && atomic_load_explicit(t->cancel, memory_order_relaxed)) return;
        uint64_t o = p->indptr[i];
        int m = (int)(p->indptr[i + 1] - o), tie;
        for (size_t q = 0; q < np; q++) {
            double r;
            int j = best_option(p, o, m, t->lambda + q * K, &r, &tie);
            if (t->mode == P_ASSIGN) {
                t->choice[i] = j;
                t->ties += (uint64_t)tie;
            }
            if (j < 0) continue;
            double *acc = t->acc + q * (K + 2);
            const double *c = p->c + (o + (uint64_t)j) * K;
            if (t->mode == P_ASSIGN) {
                for (size_t l = 0; l < K; l++) gk_add(&t->ks[l], c[l]);
                gk_add(&t->ks[K], p->v[o + j]);
                gk_add(&t->ks[K + 1], r);
                t->chosen++;
            } else {
                for (size_t l = 0; l < K; l++) acc[l] += c[l];
                acc[K] += p->v[o + j];
                acc[K + 1] += r;
            }
        }
    }
}

/* ---- the pass driver --------------------------------------------------------------------- */

typedef struct {
    growth_mckp *s;
    const prob *p;
    int nt;
    task *tasks;
} runner;

static void runner_free(runner *r)
{
    if (!r->tasks) return;
    for (int t = 0; t < r->nt; t++) {
        free(r->tasks[t].hist); free(r->tasks[t].cnt); free(r->tasks[t].segs);
        free(r->tasks[t].acc); free(r->tasks[t].sa); free(r->tasks[t].sb);
        free(r->tasks[t].si); free(r->tasks[t].hv);
    }
    free(r->tasks);
    r->tasks = NULL;
}

static int runner_init(runner *r, growth_mckp *s, const prob *p, size_t np)
{
    r->s = s; r->p = p;
    r->nt = (int)s->cfg.threads;
    if ((size_t)r->nt > p->n) r->nt = (int)p->n;
    if (r->nt < 1) r->nt = 1;
    /* Working memory of one solve, refused up front: per thread the hull scratch of the widest
     * user, the price accumulators and the slope histogram; the hull segments (up to one per
     * option) and the repair list (one per user). */
    double nt = (double)r->nt, opts = (double)(p->indptr[p->n] - p->indptr[0]);
    double need = nt * ((double)(p->maxm + 1) * 40 + (double)np * (double)(p->K + 2) * 8 + 65536.0 * 16) +
                  opts * (double)sizeof(seg) + (double)p->n * 16.0; /* a (score, user) pair */
    char what[128];
    snprintf(what, sizeof what, "mckp: a solve over %zu users and %.0f options (threads=%d)", p->n, opts, r->nt);
    int rc = gmem_reserve(what, need, (uint64_t)s->cfg.max_memory);
    if (rc) { r->tasks = NULL; return rc; }
    r->tasks = calloc((size_t)r->nt, sizeof *r->tasks);
    if (!r->tasks) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    for (int t = 0; t < r->nt; t++) {
        task *k = &r->tasks[t];
        k->p = p; k->cancel = &s->cancel;
        k->lo = gpar_split(p->indptr, p->n, t, r->nt);
        k->hi = gpar_split(p->indptr, p->n, t + 1, r->nt);
        size_t m2 = 2 * (p->maxm + 1);
        k->sa = malloc(m2 * sizeof(double)); k->sb = malloc(m2 * sizeof(double));
        k->si = malloc((p->maxm + 1) * sizeof(int32_t)); k->hv = malloc((p->maxm + 1) * sizeof(int32_t));
        k->acc = calloc(np * (p->K + 2), sizeof(double));
        if (!k->sa || !k->sb || !k->si || !k->hv || !k->acc) {
            runner_free(r);
            return gerr(GROWTH_ENOMEM, "mckp: out of memory");
        }
    }
    return GROWTH_OK;
}

static int check_cancel(growth_mckp *s, const char *stage, double done)
{
    if (s->progress && s->progress(stage, done, s->progress_data) != 0) atomic_store(&s->cancel, 1);
    if (atomic_load(&s->cancel)) return gerr(GROWTH_ECANCELED, "mckp: cancelled during %s", stage);
    return GROWTH_OK;
}

static int run_pass(runner *r, void (*fn)(void *))
{
    gpar_run(r->nt, fn, r->tasks, sizeof(task));
    if (atomic_load(&r->s->cancel)) return gerr(GROWTH_ECANCELED, "mckp: cancelled");
    for (int t = 0; t < r->nt; t++)
        if (r->tasks[t].failed) return gerr(GROWTH_ENOMEM, "mckp: out of memory collecting segments");
    return GROWTH_OK;
}

static int cmp_seg_desc(const void *x, const void *y)
{
    const seg *a = x, *b = y;
    if (a->slope != b->slope) return a->slope > b->slope ? -1 : 1;
    if (a->user != b->user) return a->user < b->user ? -1 : 1;
    return 0;
}

/* Minimises D along coordinate k: returns t* >= 0 in *out_t. If keep != NULL, the segments of
 * the crossing bucket (sorted, steepest first) are handed over in *keep / *nkeep. */
static int line_search(runner *r, size_t k, const double *lambda, double budget, double *out_t,
                       seg **keep, size_t *nkeep)
{
    int rc;
    uint64_t prefix = 0;
    double above = 0; /* extent of segments in buckets above the current one */
    int level = 0;
    size_t nb = (size_t)1 << lv_bits[0];
    for (int t = 0; t < r->nt; t++) {
        task *tk = &r->tasks[t];
        if (!tk->hist) {
            tk->hist = malloc(nb * sizeof(double));
            tk->cnt = malloc(nb * sizeof(uint64_t));
            if (!tk->hist || !tk->cnt) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
        }
        tk->k = k; tk->lambda = lambda;
    }
    for (;;) {
        size_t nbl = (size_t)1 << lv_bits[level];
        for (int t = 0; t < r->nt; t++) {
            task *tk = &r->tasks[t];
            memset(tk->hist, 0, nbl * sizeof(double));
            memset(tk->cnt, 0, nbl * sizeof(uint64_t));
            tk->mode = P_HIST; tk->level = level; tk->prefix = prefix; tk->total_db = 0;
        }
        if ((rc = run_pass(r, line_worker))) return rc;
        double total = 0;
        for (int t = 0; t < r->nt; t++) total += r->tasks[t].total_db;
        if (level == 0 && total <= budget) { /* the budget is not binding at t = 0 */
            *out_t = 0;
            if (keep) { *keep = NULL; *nkeep = 0; }
            return GROWTH_OK;
        }
        /* merge into task 0's histogram, then find the crossing bucket from the top */
        for (int t = 1; t < r->nt; t++)
            for (size_t b = 0; b < nbl; b++) {
                r->tasks[0].hist[b] += r->tasks[t].hist[b];
                r->tasks[0].cnt[b] += r->tasks[t].cnt[b];
            }
        size_t b = nbl;
        double cum = above;
        while (b > 0) {
            b--;
            if (cum + r->tasks[0].hist[b] > budget) break;
            cum += r->tasks[0].hist[b];
        }
        above = cum;
        uint64_t cnt = r->tasks[0].cnt[b];
        prefix = (level == 0 ? 0 : prefix << lv_bits[level]) | b;
        if (cnt <= COLLECT_LIMIT || level == 3) break;
        level++;
    }
    /* collect the crossing bucket's segments */
    for (int t = 0; t < r->nt; t++) {
        task *tk = &r->tasks[t];
        tk->mode = P_COLLECT; tk->level = level; tk->prefix = prefix; tk->nseg = 0;
    }
    if ((rc = run_pass(r, line_worker))) return rc;
    size_t n = 0;
    for (int t = 0; t < r->nt; t++) n += r->tasks[t].nseg;
    seg *all = malloc((n ? n : 1) * sizeof *all);
    if (!all) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    n = 0;
    for (int t = 0; t < r->nt; t++) {
        memcpy(all + n, r->tasks[t].segs, r->tasks[t].nseg * sizeof *all);
        n += r->tasks[t].nseg;
    }
    qsort(all, n, sizeof *all, cmp_seg_desc);
    double cum = above, ts = 0;
    size_t q = 0;
    for (; q < n; q++) {
        if (cum + all[q].db > budget) break;
        cum += all[q].db;
    }
    ts = q < n ? all[q].slope : (n ? all[n - 1].slope : 0); /* q == n only by rounding */
    *out_t = ts;
    if (keep) { *keep = all; *nkeep = n; }
    else free(all);
    return GROWTH_OK;
}

/* One eval pass at lambda: D(lambda) - lambda.B part (sum of positive reduced values). */
static int eval_dual(runner *r, const double *lambda, double *out_dual)
{
    size_t K = r->p->K;
    for (int t = 0; t < r->nt; t++) {
        task *tk = &r->tasks[t];
        tk->mode = P_EVAL; tk->np = 1; tk->lambda = lambda;
        memset(tk->acc, 0, (K + 2) * sizeof(double));
    }
    int rc = run_pass(r, eval_worker);
    if (rc) return rc;
    double d = 0;
    for (int t = 0; t < r->nt; t++) d += r->tasks[t].acc[K + 1];
    *out_dual = d;
    return GROWTH_OK;
}

static int assign(runner *r, const double *lambda, int32_t *choice, double *spend,
                  double *value, double *dual, uint64_t *chosen, uint64_t *ties)
{
    size_t K = r->p->K;
    for (int t = 0; t < r->nt; t++) {
        task *tk = &r->tasks[t];
        tk->mode = P_ASSIGN; tk->np = 1; tk->lambda = lambda; tk->choice = choice;
        tk->chosen = tk->ties = 0;
        memset(tk->ks, 0, sizeof tk->ks);
    }
    int rc = run_pass(r, eval_worker);
    if (rc) return rc;
    gksum tot[MAX_BUDGETS + 2];
    memset(tot, 0, sizeof tot);
    *chosen = *ties = 0;
    for (int t = 0; t < r->nt; t++) {
        for (size_t l = 0; l < K + 2; l++) {
            gk_add(&tot[l], r->tasks[t].ks[l].s);
            gk_add(&tot[l], r->tasks[t].ks[l].c);
        }
        *chosen += r->tasks[t].chosen;
        *ties += r->tasks[t].ties;
    }
    for (size_t l = 0; l < K; l++) spend[l] = gk_val(&tot[l]);
    if (value) *value = gk_val(&tot[K]);
    if (dual) *dual = gk_val(&tot[K + 1]);
    return GROWTH_OK;
}

/* ---- validation -------------------------------------------------------------------------- */

static int validate(const char *who, const uint64_t *indptr, size_t n, const double *v,
                    const double *c, size_t K, prob *p)
{
    GROWTH_CHECK_NULL(who, indptr);
    GROWTH_CHECK_NULL(who, v);
    GROWTH_CHECK_NULL(who, c);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: no users (n_users = 0)", who);
    if (K == 0 || K > MAX_BUDGETS)
        return gerr(GROWTH_EINVAL, "%s: n_budgets = %zu, must be 1..%d", who, K, MAX_BUDGETS);
    /* indptr holds n + 1 offsets: a count near SIZE_MAX cannot be the length of an array. */
    if (n >= SIZE_MAX / sizeof *indptr)
        return gerr(GROWTH_EINVAL, "%s: n_users = %zu is too large", who, n);
    size_t maxm = 0;
    for (size_t i = 0; i < n; i++) {
        if (indptr[i + 1] < indptr[i])
            return gerr(GROWTH_EINVAL, "%s: indptr decreases at user %zu", who, i);
        uint64_t m = indptr[i + 1] - indptr[i];
        if (m > (uint64_t)INT32_MAX - 1)
            return gerr(GROWTH_EINVAL, "%s: user %zu has too many options", who, i);
        if (m > maxm) maxm = (size_t)m;
    }
    uint64_t o0 = indptr[0], o1 = indptr[n];
    if (o1 > SIZE_MAX / sizeof *c / K)
        return gerr(GROWTH_EINVAL, "%s: indptr[n_users] = %llu options is too large", who,
                    (unsigned long long)o1);
    for (uint64_t o = o0; o < o1; o++)
        if (!(v[o] >= 0 && v[o] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: value of option %llu is %g (must be finite and >= 0)",
                        who, (unsigned long long)(o - o0), v[o]);
    for (uint64_t o = o0 * K; o < o1 * K; o++)
        if (!(c[o] >= 0 && c[o] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: cost of option %llu in budget %llu is %g (must be finite and >= 0)",
                        who, (unsigned long long)(o / K - o0), (unsigned long long)(o % K), c[o]);
    p->indptr = indptr; p->n = n; p->K = K; p->v = v; p->c = c; p->maxm = maxm;
    return GROWTH_OK;
}

static int validate_prices(const char *who, const double *lambda, size_t count)
{
    GROWTH_CHECK_NULL(who, lambda);
    for (size_t i = 0; i < count; i++)
        if (!(lambda[i] >= 0 && lambda[i] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: price %zu is %g (must be finite and >= 0)", who, i, lambda[i]);
    return GROWTH_OK;
}

/* ---- public API -------------------------------------------------------------------------- */

GROWTH_API int growth_mckp_create(growth_mckp **out, const char *config)
{
    GROWTH_CHECK_NULL("growth_mckp_create", out);
    *out = NULL;
    mckp_cfg cfg;
    int rc = gcfg_parse("growth_mckp_create", mckp_opts, MCKP_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    growth_mckp *s = calloc(1, sizeof *s);
    if (!s) return gerr(GROWTH_ENOMEM, "growth_mckp_create: out of memory");
    s->cfg = cfg;
    atomic_init(&s->cancel, 0);
    *out = s;
    return GROWTH_OK;
}

GROWTH_API void growth_mckp_free(growth_mckp *s) { free(s); }

GROWTH_API int growth_mckp_config(const growth_mckp *s, char *buf, size_t cap, size_t *out_n)
{
    GROWTH_CHECK_NULL("growth_mckp_config", s);
    int rc = gcfg_format(mckp_opts, MCKP_NOPTS, &s->cfg, buf, cap, out_n);
    if (rc) return gerr(rc, "growth_mckp_config: buffer of %zu bytes is too small", cap);
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_set_progress(growth_mckp *s, growth_progress_fn fn, void *user)
{
    GROWTH_CHECK_NULL("growth_mckp_set_progress", s);
    s->progress = fn;
    s->progress_data = user;
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_cancel(growth_mckp *s)
{
    GROWTH_CHECK_NULL("growth_mckp_cancel", s);
    atomic_store(&s->cancel, 1);
    return GROWTH_OK;
}

/* Greedy fill of what is left of the budgets: first the segments next to the threshold
 * (steepest first, each only if its user sits at the segment's start), then one pass over
 * all users taking the most valuable upgrade that fits. */
static void fill(const prob *p, int32_t *choice, double *left, const seg *segs, size_t nseg,
                 double t_star, double *value, uint64_t *chosen)
{
    size_t K = p->K;
    for (size_t q = 0; q < nseg && K == 1; q++) {
        const seg *s = &segs[q];
        if (s->slope > t_star || choice[s->user] != s->from) continue;
        if (s->db <= left[0]) {
            choice[s->user] = s->to;
            left[0] -= s->db;
            *value += s->da;
            if (s->from < 0) (*chosen)++;
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        uint64_t o = p->indptr[i];
        int m = (int)(p->indptr[i + 1] - o), cur = choice[i], best = -1;
        double v0 = cur >= 0 ? p->v[o + cur] : 0, bestv = v0;
        const double *c0 = cur >= 0 ? p->c + (o + (uint64_t)cur) * K : NULL;
        for (int j = 0; j < m; j++) {
            if (!(p->v[o + j] > bestv)) continue;
            const double *c = p->c + (o + (uint64_t)j) * K;
            size_t l = 0;
            for (; l < K; l++)
                if (c[l] - (c0 ? c0[l] : 0) > left[l]) break;
            if (l == K) { best = j; bestv = p->v[o + j]; }
        }
        if (best < 0) continue;
        const double *c = p->c + (o + (uint64_t)best) * K;
        for (size_t l = 0; l < K; l++) left[l] -= c[l] - (c0 ? c0[l] : 0);
        *value += bestv - v0;
        if (cur < 0) (*chosen)++;
        choice[i] = best;
    }
}

typedef struct { double score; uint64_t user; } drop_c;

static int cmp_drop(const void *x, const void *y)
{
    const drop_c *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    return a->user < b->user ? -1 : (a->user > b->user);
}

/* Makes the plan feasible: while some budget is over, drops the users of least reduced value
 * per share of the over-spent budgets. */
static int repair(const prob *p, const double *lambda, const double *budgets, int32_t *choice,
                  double *spend, double *value, uint64_t *chosen, uint64_t *dropped)
{
    size_t K = p->K;
    bool over[MAX_BUDGETS], any = false;
    for (size_t l = 0; l < K; l++) { over[l] = spend[l] > budgets[l]; any |= over[l]; }
    *dropped = 0;
    if (!any) return GROWTH_OK;
    size_t n = 0, cap = 1024;
    drop_c *d = malloc(cap * sizeof *d);
    if (!d) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    for (size_t i = 0; i < p->n; i++) {
        if (choice[i] < 0) continue;
        uint64_t o = p->indptr[i] + (uint64_t)choice[i];
        const double *c = p->c + o * K;
        double share = 0, r = p->v[o];
        for (size_t l = 0; l < K; l++) {
            r -= lambda[l] * c[l];
            if (over[l] && c[l] > 0) share += budgets[l] > 0 ? c[l] / budgets[l] : INFINITY;
        }
        if (share == 0) continue;
        if (n == cap) {
            drop_c *nd = realloc(d, 2 * cap * sizeof *nd);
            if (!nd) { free(d); return gerr(GROWTH_ENOMEM, "mckp: out of memory"); }
            d = nd; cap *= 2;
        }
        d[n].score = isinf(share) ? -INFINITY : r / share;
        d[n].user = i;
        n++;
    }
    qsort(d, n, sizeof *d, cmp_drop);
    for (size_t q = 0; q < n && any; q++) {
        size_t i = (size_t)d[q].user;
        uint64_t o = p->indptr[i] + (uint64_t)choice[i];
        const double *c = p->c + o * K;
        bool helps = false;
        for (size_t l = 0; l < K; l++) helps |= over[l] && spend[l] > budgets[l] && c[l] > 0;
        if (!helps) continue;
        for (size_t l = 0; l < K; l++) spend[l] -= c[l];
        *value -= p->v[o];
        choice[i] = -1;
        (*chosen)--;
        (*dropped)++;
        any = false;
        for (size_t l = 0; l < K; l++) any |= spend[l] > budgets[l];
    }
    free(d);
    return GROWTH_OK;
}

/* ---- the exact LP with several budgets ---------------------------------------------------
 *
 * Coordinate descent can stop at a kink of the dual where no single price moves downhill, a
 * little above the LP optimum. The polish finishes the job exactly, as a trust region on the
 * prices: inside a box |lambda - center| <= delta, every user whose best option (or none) is
 * the same at every price of the box contributes a fixed linear term to D, so only the few
 * "undecided" users whose choice can change there need an LP. That restricted LP (the K
 * budgets less the fixed users' spend, one "at most one option" row per user) gets elastic
 * columns that buy budget at price center + delta and sell it at center - delta, which keeps
 * its duals in the box; a dense simplex solves it. If no elastic column is used, the
 * restricted solution plus the fixed users is feasible with value equal to min over the box
 * of D, hence (D convex) the LP optimum itself; otherwise the box moves to the new prices and
 * grows. The scan and the restricted LP are also public shard calls (a distributed driver
 * runs the same loop). */
#define POLISH_STEPS 60

/* Best option of a user at lambda (-1 = none) and whether it stays best for every price
 * within delta of lambda (per coordinate, prices >= 0). */
static int user_box(const prob *p, uint64_t o, int m, const double *lambda, double delta,
                    double *r_of, bool *stable)
{
    size_t K = p->K;
    int bj = -1;
    double br = 0;
    for (int j = 0; j < m; j++) {
        const double *c = p->c + (o + (uint64_t)j) * K;
        double r = p->v[o + j];
        for (size_t l = 0; l < K; l++) r -= lambda[l] * c[l];
        r_of[j] = r;
        if (r > br) { br = r; bj = j; }
    }
    const double *cb = bj >= 0 ? p->c + (o + (uint64_t)bj) * K : NULL;
    bool st = true;
    for (int j = -1; j < m && st; j++) {
        if (j == bj) continue;
        const double *cj = j >= 0 ? p->c + (o + (uint64_t)j) * K : NULL;
        double dist = 0, gap = br - (j >= 0 ? r_of[j] : 0);
        for (size_t l = 0; l < K; l++) dist += fabs((cb ? cb[l] : 0) - (cj ? cj[l] : 0));
        /* the margin covers rounding in the reduced values as well as the box */
        st = gap > delta * dist + 1e-12 * (fabs(br) + 1e-300);
    }
    *stable = st;
    return bj;
}

/* Fixes the stable users (choice[i], totals in fixed[0..K-1] spend and fixed[K] value) and
 * lists the undecided ones (choice -1): the first `cap` in und[], all counted in *n_und, their
 * options in *n_opt. */
static int polish_scan(const prob *p, const double *center, double delta, int32_t *choice,
                       uint64_t *und, size_t cap, size_t *n_und, size_t *n_opt, double *fixed)
{
    size_t K = p->K, nu = 0, no = 0;
    double *r_of = malloc((p->maxm + 1) * sizeof *r_of);
    if (!r_of) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    gksum ks[MAX_BUDGETS + 1];
    memset(ks, 0, sizeof ks);
    for (size_t i = 0; i < p->n; i++) {
        uint64_t o = p->indptr[i];
        int m = (int)(p->indptr[i + 1] - o);
        bool stable;
        int bj = user_box(p, o, m, center, delta, r_of, &stable);
        if (!stable) {
            if (nu < cap) und[nu] = i;
            nu++;
            no += (size_t)m;
            choice[i] = -1;
            continue;
        }
        choice[i] = bj;
        if (bj < 0) continue;
        for (size_t l = 0; l < K; l++) gk_add(&ks[l], p->c[(o + (uint64_t)bj) * K + l]);
        gk_add(&ks[K], p->v[o + bj]);
    }
    for (size_t l = 0; l <= K; l++) fixed[l] = gk_val(&ks[l]);
    *n_und = nu;
    *n_opt = no;
    free(r_of);
    return GROWTH_OK;
}

/* The restricted LP over the undecided users `sub` (their own CSR) with elastic budget
 * columns. Writes x (one entry per option of sub), the duals lambda (K) and the LP value of
 * the whole problem (restricted + fixed[K]); *exact = no elastic column used. Returns
 * GROWTH_ESTATE if the simplex does not finish. */
static int restricted_lp(const prob *sub, const double *budgets, const double *fixed,
                         const double *center, double delta, double *x_out, double *lambda,
                         double *lp_value, bool *exact)
{
    size_t K = sub->K, nA = sub->n, cols = sub->indptr[nA] - sub->indptr[0];
    size_t rows = K + nA, ncol = cols + 2 * K;
    double *M = calloc(rows * ncol, sizeof *M), *bb = malloc(rows * sizeof *bb);
    double *cc = malloc(ncol * sizeof *cc), *x = malloc(ncol * sizeof *x);
    double *y = malloc(rows * sizeof *y);
    int rc = GROWTH_OK;
    if (!M || !bb || !cc || !x || !y) { rc = gerr(GROWTH_ENOMEM, "mckp: out of memory"); goto out; }
    uint64_t o0 = sub->indptr[0];
    for (size_t a = 0; a < nA; a++) {
        for (uint64_t o = sub->indptr[a]; o < sub->indptr[a + 1]; o++) {
            size_t col = (size_t)(o - o0);
            for (size_t l = 0; l < K; l++) M[l * ncol + col] = sub->c[o * K + l];
            M[(K + a) * ncol + col] = 1;
            cc[col] = sub->v[o];
        }
        bb[K + a] = 1;
    }
    double constant = fixed[K], extra[MAX_BUDGETS];
    for (size_t l = 0; l < K; l++) {
        double left = budgets[l] - fixed[l];
        extra[l] = left < 0 ? -left : 0; /* bought for sure: the fixed users overspend */
        double hi = center[l] + delta, lo = fmax(center[l] - delta, 0);
        bb[l] = left + extra[l];
        constant -= hi * extra[l];
        M[l * ncol + cols + l] = -1;
        cc[cols + l] = -hi;
        M[l * ncol + cols + K + l] = lo > 0 ? 1 : 0;
        cc[cols + K + l] = lo > 0 ? lo : -1; /* without a floor above 0 the sale is idle */
    }
    double obj;
    int st = gsimplex_solve(rows, ncol, M, bb, cc, 50 * (rows + ncol) + 1000, x, y, &obj);
    if (st == GSIMPLEX_NOMEM) { rc = gerr(GROWTH_ENOMEM, "mckp: out of memory"); goto out; }
    if (st != GSIMPLEX_OK) {
        rc = gerr(GROWTH_ESTATE, "mckp: the restricted LP did not finish (%s)",
                  st == GSIMPLEX_LIMIT ? "pivot limit" : "unbounded");
        goto out;
    }
    bool el = false;
    for (size_t l = 0; l < K; l++) {
        double tol = 1e-12 * fmax(budgets[l], 1e-300);
        el |= extra[l] > 0 || x[cols + l] > tol || x[cols + K + l] > tol;
    }
    memcpy(x_out, x, cols * sizeof *x);
    memcpy(lambda, y, K * sizeof *y);
    *lp_value = obj + constant;
    *exact = !el;
out:
    free(M); free(bb); free(cc); free(x); free(y);
    return rc;
}

/* Rounds the restricted LP's users down: the option with x = 1, else none. Returns how many
 * were split between options. */
static uint32_t round_down(const uint64_t *indptr, size_t nA, const double *x, int32_t *pick)
{
    uint32_t frac = 0;
    for (size_t a = 0; a < nA; a++) {
        int32_t best = -1;
        double mass = 0;
        for (uint64_t o = indptr[a]; o < indptr[a + 1]; o++) {
            mass += x[o - indptr[0]];
            if (x[o - indptr[0]] >= 1 - 1e-9) best = (int32_t)(o - indptr[a]);
        }
        pick[a] = best;
        frac += best < 0 && mass > 1e-9;
    }
    return frac;
}

typedef struct {
    double lambda[MAX_BUDGETS];
    double lp_value;
    uint32_t fractional;
} polish_out;

/* Copies the undecided users' options into their own CSR (indptr nA + 1, v, c). */
static int gather_sub(const prob *p, const uint64_t *und, size_t nA, size_t n_opt, prob *sub,
                      uint64_t **ip, double **v, double **c)
{
    size_t K = p->K;
    *ip = malloc((nA + 1) * sizeof **ip);
    *v = malloc((n_opt ? n_opt : 1) * sizeof **v);
    *c = malloc((n_opt ? n_opt : 1) * K * sizeof **c);
    if (!*ip || !*v || !*c) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    uint64_t q = 0;
    (*ip)[0] = 0;
    for (size_t a = 0; a < nA; a++) {
        for (uint64_t o = p->indptr[und[a]]; o < p->indptr[und[a] + 1]; o++, q++) {
            (*v)[q] = p->v[o];
            memcpy(*c + q * K, p->c + o * K, K * sizeof(double));
        }
        (*ip)[a + 1] = q;
    }
    *sub = (prob){*ip, nA, K, *v, *c, 0};
    return GROWTH_OK;
}

static int lp_polish(const prob *p, const double *lambda0, const double *budgets, int32_t *choice,
                     polish_out *po, bool *ok)
{
    size_t K = p->K;
    *ok = false;
    uint64_t *und = malloc(GROWTH_MCKP_LP_MAX_USERS * sizeof *und);
    if (!und) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    double center[MAX_BUDGETS], lmax = 0, fixed[MAX_BUDGETS + 1];
    for (size_t l = 0; l < K; l++) { center[l] = lambda0[l]; lmax = fmax(lmax, lambda0[l]); }
    double delta = GROWTH_MCKP_LP_DELTA0 * fmax(lmax, 1e-9);
    int rc = GROWTH_OK;
    for (uint32_t step = 0, shrink = 0; step < POLISH_STEPS; step++) {
        size_t nA, n_opt;
        if ((rc = polish_scan(p, center, delta, choice, und, GROWTH_MCKP_LP_MAX_USERS, &nA, &n_opt, fixed)))
            break;
        if (nA > GROWTH_MCKP_LP_MAX_USERS || n_opt > GROWTH_MCKP_LP_MAX_OPTIONS) {
            /* too many users near a tie: start with a smaller box, never shrink a moved one */
            if (step > 0 || ++shrink > 8) break;
            delta /= 8;
            step--;
            continue;
        }
        prob sub;
        uint64_t *ip = NULL;
        double *v = NULL, *c = NULL, *x = malloc((n_opt ? n_opt : 1) * sizeof *x), lam[MAX_BUDGETS], lpv;
        bool exact = false;
        if (!x) rc = gerr(GROWTH_ENOMEM, "mckp: out of memory");
        if (!rc) rc = gather_sub(p, und, nA, n_opt, &sub, &ip, &v, &c);
        if (!rc) rc = restricted_lp(&sub, budgets, fixed, center, delta, x, lam, &lpv, &exact);
        if (!rc && exact) {
            int32_t *pick = malloc((nA ? nA : 1) * sizeof *pick);
            if (!pick) rc = gerr(GROWTH_ENOMEM, "mckp: out of memory");
            else {
                po->fractional = round_down(ip, nA, x, pick);
                for (size_t a = 0; a < nA; a++) choice[und[a]] = pick[a];
                memcpy(po->lambda, lam, K * sizeof *lam);
                po->lp_value = lpv;
                *ok = true;
                free(pick);
            }
        }
        free(ip); free(v); free(c); free(x);
        if (rc == GROWTH_ESTATE) { rc = GROWTH_OK; break; } /* keep the descent's answer */
        if (rc || *ok) break;
        memcpy(center, lam, K * sizeof *lam);
        delta *= 2;
    }
    free(und);
    return rc;
}

/* Spend, value and chosen count of a plan. */
static void plan_totals(const prob *p, const int32_t *choice, double *spend, double *value,
                        uint64_t *chosen)
{
    gksum ks[MAX_BUDGETS + 1];
    memset(ks, 0, sizeof ks);
    *chosen = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (choice[i] < 0) continue;
        uint64_t o = p->indptr[i] + (uint64_t)choice[i];
        for (size_t l = 0; l < p->K; l++) gk_add(&ks[l], p->c[o * p->K + l]);
        gk_add(&ks[p->K], p->v[o]);
        (*chosen)++;
    }
    for (size_t l = 0; l < p->K; l++) spend[l] = gk_val(&ks[l]);
    *value = gk_val(&ks[p->K]);
}

GROWTH_API int growth_mckp_solve(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                 const double *values, const double *costs, size_t n_budgets,
                                 const double *budgets, int32_t *out_choice, size_t choice_cap)
{
    static const char *who = "growth_mckp_solve";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, budgets);
    GROWTH_CHECK_NULL(who, out_choice);
    prob p;
    int rc = validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    size_t K = n_budgets;
    for (size_t l = 0; l < K; l++)
        if (!(budgets[l] >= 0 && budgets[l] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: budget %zu is %g (must be finite and >= 0)", who, l, budgets[l]);
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    atomic_store(&s->cancel, 0);
    runner r;
    if ((rc = runner_init(&r, s, &p, 1))) return rc;
    double lambda[MAX_BUDGETS] = {0}, best_l[MAX_BUDGETS] = {0};
    double dual = 0, best_d = INFINITY;
    seg *keep = NULL;
    size_t nkeep = 0;
    uint32_t iters = 0;
    if ((rc = check_cancel(s, "start", 0))) goto out;
    if (K == 1) {
        if ((rc = line_search(&r, 0, lambda, budgets[0], &lambda[0], &keep, &nkeep))) goto out;
        iters = 1;
        memcpy(best_l, lambda, sizeof lambda);
    } else {
        /* exact coordinate descent; the first round starts from the budgets one by one */
        double prev = INFINITY;
        for (iters = 0; iters < (uint32_t)s->cfg.max_iter; iters++) {
            for (size_t k = 0; k < K; k++)
                if ((rc = line_search(&r, k, lambda, budgets[k], &lambda[k], NULL, NULL))) goto out;
            if ((rc = eval_dual(&r, lambda, &dual))) goto out;
            double d = dual;
            for (size_t l = 0; l < K; l++) d += lambda[l] * budgets[l];
            if (d < best_d) { best_d = d; memcpy(best_l, lambda, sizeof lambda); }
            if ((rc = check_cancel(s, "descent", (double)(iters + 1) / (double)s->cfg.max_iter))) goto out;
            if (prev - d <= s->cfg.tol * fabs(d)) { iters++; break; }
            prev = d;
        }
    }
    polish_out po;
    bool exact = false;
    if (K > 1) {
        if ((rc = check_cancel(s, "polish", 0.8))) goto out;
        if ((rc = lp_polish(&p, best_l, budgets, out_choice, &po, &exact))) goto out;
    }
    if ((rc = check_cancel(s, "assign", 0.9))) goto out;
    double spend[MAX_BUDGETS], value;
    uint64_t chosen, ties = 0, dropped = 0;
    if (exact) {
        memcpy(best_l, po.lambda, K * sizeof(double));
        if ((rc = eval_dual(&r, best_l, &dual))) goto out;
        plan_totals(&p, out_choice, spend, &value, &chosen);
    } else if ((rc = assign(&r, best_l, out_choice, spend, &value, &dual, &chosen, &ties))) {
        goto out;
    }
    double dbound = dual;
    for (size_t l = 0; l < K; l++) dbound += best_l[l] * budgets[l];
    if ((rc = repair(&p, best_l, budgets, out_choice, spend, &value, &chosen, &dropped))) goto out;
    if (s->cfg.fill) {
        double left[MAX_BUDGETS];
        for (size_t l = 0; l < K; l++) left[l] = budgets[l] - spend[l];
        fill(&p, out_choice, left, keep, nkeep, best_l[0], &value, &chosen);
        for (size_t l = 0; l < K; l++) spend[l] = budgets[l] - left[l];
    }
    memset(&s->res, 0, sizeof s->res);
    s->res.struct_size = sizeof s->res;
    s->res.n_budgets = (uint32_t)K;
    s->res.value = value;
    s->res.lp_value = exact ? fmin(po.lp_value, dbound) : dbound;
    s->res.dual_bound = dbound;
    s->res.gap = dbound - value;
    s->res.rel_gap = s->res.gap / fmax(fabs(dbound), 1e-300);
    s->res.n_users = n_users;
    s->res.n_chosen = chosen;
    s->res.iterations = iters;
    s->res.fractional = K == 1 ? (best_l[0] > 0 ? 1u : 0u)
                        : exact ? po.fractional : (uint32_t)(ties < UINT32_MAX ? ties : UINT32_MAX);
    s->k = K;
    memcpy(s->lambda, best_l, K * sizeof(double));
    memcpy(s->spend, spend, K * sizeof(double));
    s->have = true;
    if (s->progress) s->progress("done", 1.0, s->progress_data);
out:
    free(keep);
    runner_free(&r);
    return rc;
}

GROWTH_API int growth_mckp_result_get(const growth_mckp *s, growth_mckp_result *out)
{
    static const char *who = "growth_mckp_result_get";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out);
    /* the struct is checked first: a bad struct_size is EINVAL also before the first solve */
    if (out->struct_size < sizeof(growth_mckp_result))
        return gerr(GROWTH_EINVAL, "%s: out->struct_size is %u, expected at least %zu (initialise it with GROWTH_MCKP_RESULT_INIT)",
                    who, out->struct_size, sizeof(growth_mckp_result));
    if (!s->have) return gerr(GROWTH_ESTATE, "%s: nothing solved yet", who);
    return gstruct_out(who, "out", out, &s->res, sizeof s->res, sizeof s->res);
}

GROWTH_API int growth_mckp_duals(const growth_mckp *s, double *out_lambda, double *out_spend, size_t cap)
{
    GROWTH_CHECK_NULL("growth_mckp_duals", s);
    if (!s->have) return gerr(GROWTH_ESTATE, "growth_mckp_duals: nothing solved yet");
    if (cap < s->k) return gerr(GROWTH_EBUFS, "growth_mckp_duals: cap %zu < %zu budgets", cap, s->k);
    if (out_lambda) memcpy(out_lambda, s->lambda, s->k * sizeof(double));
    if (out_spend) memcpy(out_spend, s->spend, s->k * sizeof(double));
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_shard_eval(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs,
                                      size_t n_budgets, const double *lambda, size_t n_points,
                                      double *out_spend, double *out_value, double *out_dual)
{
    static const char *who = "growth_mckp_shard_eval";
    GROWTH_CHECK_NULL(who, s);
    prob p;
    int rc = validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if (n_points == 0 || n_points > ((size_t)1 << 20))
        return gerr(GROWTH_EINVAL, "%s: n_points = %zu, must be 1..2^20", who, n_points);
    if ((rc = validate_prices(who, lambda, n_points * n_budgets))) return rc;
    atomic_store(&s->cancel, 0);
    runner r;
    if ((rc = runner_init(&r, s, &p, n_points))) return rc;
    size_t K = n_budgets, w = K + 2;
    for (int t = 0; t < r.nt; t++) {
        r.tasks[t].mode = P_EVAL; r.tasks[t].np = n_points; r.tasks[t].lambda = lambda;
    }
    if ((rc = run_pass(&r, eval_worker)) == GROWTH_OK) {
        for (size_t q = 0; q < n_points; q++) {
            double acc[MAX_BUDGETS + 2] = {0};
            for (int t = 0; t < r.nt; t++)
                for (size_t l = 0; l < w; l++) acc[l] += r.tasks[t].acc[q * w + l];
            if (out_spend) memcpy(out_spend + q * K, acc, K * sizeof(double));
            if (out_value) out_value[q] = acc[K];
            if (out_dual) out_dual[q] = acc[K + 1];
        }
    }
    runner_free(&r);
    return rc;
}

GROWTH_API int growth_mckp_shard_assign(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                        const double *values, const double *costs,
                                        size_t n_budgets, const double *lambda,
                                        int32_t *out_choice, size_t choice_cap,
                                        double *out_spend, double *out_value)
{
    static const char *who = "growth_mckp_shard_assign";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out_choice);
    prob p;
    int rc = validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if ((rc = validate_prices(who, lambda, n_budgets))) return rc;
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    atomic_store(&s->cancel, 0);
    runner r;
    if ((rc = runner_init(&r, s, &p, 1))) return rc;
    double spend[MAX_BUDGETS], value;
    uint64_t chosen, ties;
    rc = assign(&r, lambda, out_choice, spend, &value, NULL, &chosen, &ties);
    if (rc == GROWTH_OK) {
        if (out_spend) memcpy(out_spend, spend, n_budgets * sizeof(double));
        if (out_value) *out_value = value;
    }
    runner_free(&r);
    return rc;
}

static int validate_box(const char *who, const double *center, size_t K, double delta)
{
    int rc = validate_prices(who, center, K);
    if (rc) return rc;
    if (!(delta > 0 && delta <= DBL_MAX_SAFE))
        return gerr(GROWTH_EINVAL, "%s: delta is %g (must be finite and > 0)", who, delta);
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_shard_scan(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs,
                                      size_t n_budgets, const double *center, double delta,
                                      int32_t *out_choice, size_t choice_cap,
                                      uint64_t *out_undecided, size_t undecided_cap,
                                      size_t *out_n_undecided, size_t *out_n_options,
                                      double *out_fixed)
{
    static const char *who = "growth_mckp_shard_scan";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out_choice);
    GROWTH_CHECK_NULL(who, out_n_undecided);
    GROWTH_CHECK_NULL(who, out_n_options);
    GROWTH_CHECK_NULL(who, out_fixed);
    if (undecided_cap > 0 && !out_undecided)
        return gerr(GROWTH_EINVAL, "%s: out_undecided is NULL with undecided_cap = %zu", who, undecided_cap);
    prob p;
    int rc = validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if ((rc = validate_box(who, center, n_budgets, delta))) return rc;
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    return polish_scan(&p, center, delta, out_choice, out_undecided, undecided_cap, out_n_undecided,
                       out_n_options, out_fixed);
}

GROWTH_API int growth_mckp_restricted_lp(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                         const double *values, const double *costs,
                                         size_t n_budgets, const double *budgets,
                                         const double *fixed, const double *center, double delta,
                                         int32_t *out_pick, size_t pick_cap, double *out_lambda,
                                         double *out_lp_value, int *out_exact,
                                         uint32_t *out_fractional)
{
    static const char *who = "growth_mckp_restricted_lp";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, budgets);
    GROWTH_CHECK_NULL(who, fixed);
    GROWTH_CHECK_NULL(who, out_pick);
    GROWTH_CHECK_NULL(who, out_lambda);
    GROWTH_CHECK_NULL(who, out_lp_value);
    GROWTH_CHECK_NULL(who, out_exact);
    if (n_users > GROWTH_MCKP_LP_MAX_USERS)
        return gerr(GROWTH_EINVAL, "%s: %zu users; the dense LP takes at most %d", who, n_users,
                    GROWTH_MCKP_LP_MAX_USERS);
    prob p;
    int rc;
    if (n_users == 0) { /* nobody undecided: the LP has only the elastic columns */
        static const uint64_t zero = 0;
        static const double none = 0;
        if (n_budgets == 0 || n_budgets > MAX_BUDGETS)
            return gerr(GROWTH_EINVAL, "%s: n_budgets = %zu, must be 1..%d", who, n_budgets, MAX_BUDGETS);
        p = (prob){&zero, 0, n_budgets, &none, &none, 0};
    } else if ((rc = validate(who, indptr, n_users, values, costs, n_budgets, &p))) {
        return rc;
    }
    size_t n_opt = (size_t)(p.indptr[n_users] - p.indptr[0]);
    if (n_opt > GROWTH_MCKP_LP_MAX_OPTIONS)
        return gerr(GROWTH_EINVAL, "%s: %zu options; the dense LP takes at most %d", who, n_opt,
                    GROWTH_MCKP_LP_MAX_OPTIONS);
    if ((rc = validate_box(who, center, n_budgets, delta))) return rc;
    for (size_t l = 0; l <= n_budgets; l++) {
        if (l < n_budgets && !(budgets[l] >= 0 && budgets[l] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: budget %zu is %g (must be finite and >= 0)", who, l, budgets[l]);
        if (!(fixed[l] >= 0 && fixed[l] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: fixed[%zu] is %g (must be finite and >= 0)", who, l, fixed[l]);
    }
    if (pick_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_pick holds %zu entries, %zu users", who, pick_cap, n_users);
    /* the LP reads offsets from 0 */
    uint64_t *ip = malloc((n_users + 1) * sizeof *ip);
    double *x = malloc((n_opt ? n_opt : 1) * sizeof *x);
    if (!ip || !x) { free(ip); free(x); return gerr(GROWTH_ENOMEM, "%s: out of memory", who); }
    for (size_t i = 0; i <= n_users; i++) ip[i] = p.indptr[i] - p.indptr[0];
    prob sub = {ip, n_users, n_budgets, p.v + p.indptr[0], p.c + p.indptr[0] * n_budgets, 0};
    double lam[MAX_BUDGETS], lpv;
    bool exact;
    rc = restricted_lp(&sub, budgets, fixed, center, delta, x, lam, &lpv, &exact);
    if (rc == GROWTH_OK) {
        uint32_t frac = round_down(ip, n_users, x, out_pick);
        if (out_fractional) *out_fractional = frac;
        memcpy(out_lambda, lam, n_budgets * sizeof *lam);
        *out_lp_value = lpv;
        *out_exact = exact;
    }
    free(ip);
    free(x);
    return rc;
}
