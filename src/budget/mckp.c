/* Multiple-choice knapsack by Lagrangian duality: the driver, here (configuration, the passes
 * over user shards, coordinate line searches, the greedy fill and repair, growth_mckp_solve).
 * mckp_hull.c holds the per-user hulls and the shard workers, mckp_polish.c the exact LP polish
 * with several budgets, mckp_shard.c the shard protocol of growth/sys/budget.h.
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

static const gcfg_opt mckp_opts[] = {
    {"threads", GCFG_INT, offsetof(mckp_cfg, threads), "1", 1, 256, NULL, false},
    {"max_iter", GCFG_INT, offsetof(mckp_cfg, max_iter), "200", 1, 1e9, NULL, false},
    {"tol", GCFG_DOUBLE, offsetof(mckp_cfg, tol), "1e-10", 0, 1, NULL, false},
    {"fill", GCFG_BOOL, offsetof(mckp_cfg, fill), "true", 0, 0, NULL, false},
    GCFG_MAX_MEMORY(mckp_cfg, max_memory),
};
#define MCKP_NOPTS (sizeof mckp_opts / sizeof mckp_opts[0])

/* ---- the pass driver --------------------------------------------------------------------- */

void mckp_runner_free(mckp_runner *r)
{
    if (!r->tasks) return;
    for (int t = 0; t < r->nt; t++) {
        free(r->tasks[t].hist);
        free(r->tasks[t].cnt);
        free(r->tasks[t].segs);
        free(r->tasks[t].acc);
        free(r->tasks[t].sa);
        free(r->tasks[t].sb);
        free(r->tasks[t].si);
        free(r->tasks[t].hv);
    }
    free(r->tasks);
    r->tasks = NULL;
}

int mckp_runner_init(mckp_runner *r, growth_mckp *s, const mckp_prob *p, size_t np)
{
    r->s = s;
    r->p = p;
    r->nt = (int)s->cfg.threads;
    if ((size_t)r->nt > p->n) r->nt = (int)p->n;
    if (r->nt < 1) r->nt = 1;
    /* Working memory of one solve, refused up front: per thread the hull scratch of the widest
     * user, the price accumulators and the slope histogram; the hull segments (up to one per
     * option) and the repair list (one per user). */
    double nt = (double)r->nt, opts = (double)(p->indptr[p->n] - p->indptr[0]);
    double need = nt * ((double)(p->maxm + 1) * 40 + (double)np * (double)(p->K + 2) * 8 + 65536.0 * 16) +
                  opts * (double)sizeof(mckp_seg) + (double)p->n * 16.0; /* a (score, user) pair */
    char what[128];
    snprintf(what, sizeof what, "mckp: a solve over %zu users and %.0f options (threads=%d)", p->n, opts,
             r->nt);
    int rc = gmem_reserve(what, need, (uint64_t)s->cfg.max_memory);
    if (rc) {
        r->tasks = NULL;
        return rc;
    }
    r->tasks = calloc((size_t)r->nt, sizeof *r->tasks);
    if (!r->tasks) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    for (int t = 0; t < r->nt; t++) {
        mckp_task *k = &r->tasks[t];
        k->p = p;
        k->cancel = &s->cancel;
        k->lo = gpar_split(p->indptr, p->n, t, r->nt);
        k->hi = gpar_split(p->indptr, p->n, t + 1, r->nt);
        size_t m2 = 2 * (p->maxm + 1);
        k->sa = malloc(m2 * sizeof(double));
        k->sb = malloc(m2 * sizeof(double));
        k->si = malloc((p->maxm + 1) * sizeof(int32_t));
        k->hv = malloc((p->maxm + 1) * sizeof(int32_t));
        k->acc = calloc(np * (p->K + 2), sizeof(double));
        if (!k->sa || !k->sb || !k->si || !k->hv || !k->acc) {
            mckp_runner_free(r);
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

int mckp_run_pass(mckp_runner *r, void (*fn)(void *))
{
    gpar_run(r->nt, fn, r->tasks, sizeof(mckp_task));
    if (atomic_load(&r->s->cancel)) return gerr(GROWTH_ECANCELED, "mckp: cancelled");
    for (int t = 0; t < r->nt; t++)
        if (r->tasks[t].failed) return gerr(GROWTH_ENOMEM, "mckp: out of memory collecting segments");
    return GROWTH_OK;
}

static int cmp_seg_desc(const void *x, const void *y)
{
    const mckp_seg *a = x, *b = y;
    if (a->slope != b->slope) return a->slope > b->slope ? -1 : 1;
    if (a->user != b->user) return a->user < b->user ? -1 : 1;
    return 0;
}

/* Minimises D along coordinate k: returns t* >= 0 in *out_t. If keep != NULL, the segments of
 * the crossing bucket (sorted, steepest first) are handed over in *keep / *nkeep. */
static int line_search(mckp_runner *r, size_t k, const double *lambda, double budget, double *out_t,
                       mckp_seg **keep, size_t *nkeep)
{
    int rc;
    uint64_t prefix = 0;
    double above = 0; /* extent of segments in buckets above the current one */
    int level = 0;
    size_t nb = (size_t)1 << lv_bits[0];
    for (int t = 0; t < r->nt; t++) {
        mckp_task *tk = &r->tasks[t];
        if (!tk->hist) {
            tk->hist = malloc(nb * sizeof(double));
            tk->cnt = malloc(nb * sizeof(uint64_t));
            if (!tk->hist || !tk->cnt) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
        }
        tk->k = k;
        tk->lambda = lambda;
    }
    for (;;) {
        size_t nbl = (size_t)1 << lv_bits[level];
        for (int t = 0; t < r->nt; t++) {
            mckp_task *tk = &r->tasks[t];
            memset(tk->hist, 0, nbl * sizeof(double));
            memset(tk->cnt, 0, nbl * sizeof(uint64_t));
            tk->mode = P_HIST;
            tk->level = level;
            tk->prefix = prefix;
            tk->total_db = 0;
        }
        if ((rc = mckp_run_pass(r, mckp_line_worker))) return rc;
        double total = 0;
        for (int t = 0; t < r->nt; t++) total += r->tasks[t].total_db;
        if (level == 0 && total <= budget) { /* the budget is not binding at t = 0 */
            *out_t = 0;
            if (keep) {
                *keep = NULL;
                *nkeep = 0;
            }
            return GROWTH_OK;
        }
        /* merge into mckp_task 0's histogram, then find the crossing bucket from the top */
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
        mckp_task *tk = &r->tasks[t];
        tk->mode = P_COLLECT;
        tk->level = level;
        tk->prefix = prefix;
        tk->nseg = 0;
    }
    if ((rc = mckp_run_pass(r, mckp_line_worker))) return rc;
    size_t n = 0;
    for (int t = 0; t < r->nt; t++) n += r->tasks[t].nseg;
    mckp_seg *all = malloc((n ? n : 1) * sizeof *all);
    if (!all) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    n = 0;
    for (int t = 0; t < r->nt; t++) {
        if (r->tasks[t].nseg) memcpy(all + n, r->tasks[t].segs, r->tasks[t].nseg * sizeof *all);
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
    if (keep) {
        *keep = all;
        *nkeep = n;
    } else
        free(all);
    return GROWTH_OK;
}

/* One eval pass at lambda: D(lambda) - lambda.B part (sum of positive reduced values). */
static int eval_dual(mckp_runner *r, const double *lambda, double *out_dual)
{
    size_t K = r->p->K;
    for (int t = 0; t < r->nt; t++) {
        mckp_task *tk = &r->tasks[t];
        tk->mode = P_EVAL;
        tk->np = 1;
        tk->lambda = lambda;
        memset(tk->acc, 0, (K + 2) * sizeof(double));
    }
    int rc = mckp_run_pass(r, mckp_eval_worker);
    if (rc) return rc;
    double d = 0;
    for (int t = 0; t < r->nt; t++) d += r->tasks[t].acc[K + 1];
    *out_dual = d;
    return GROWTH_OK;
}

int mckp_assign(mckp_runner *r, const double *lambda, int32_t *choice, double *spend, double *value,
                double *dual, uint64_t *chosen, uint64_t *ties)
{
    size_t K = r->p->K;
    for (int t = 0; t < r->nt; t++) {
        mckp_task *tk = &r->tasks[t];
        tk->mode = P_ASSIGN;
        tk->np = 1;
        tk->lambda = lambda;
        tk->choice = choice;
        tk->chosen = tk->ties = 0;
        memset(tk->ks, 0, sizeof tk->ks);
    }
    int rc = mckp_run_pass(r, mckp_eval_worker);
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

int mckp_validate(const char *who, const uint64_t *indptr, size_t n, const double *v, const double *c,
                  size_t K, mckp_prob *p)
{
    GROWTH_CHECK_NULL(who, indptr);
    GROWTH_CHECK_NULL(who, v);
    GROWTH_CHECK_NULL(who, c);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: no users (n_users = 0)", who);
    if (K == 0 || K > MAX_BUDGETS)
        return gerr(GROWTH_EINVAL, "%s: n_budgets = %zu, must be 1..%d", who, K, MAX_BUDGETS);
    /* indptr holds n + 1 offsets: a count near SIZE_MAX cannot be the length of an array. */
    if (n >= SIZE_MAX / sizeof *indptr) return gerr(GROWTH_EINVAL, "%s: n_users = %zu is too large", who, n);
    size_t maxm = 0;
    for (size_t i = 0; i < n; i++) {
        if (indptr[i + 1] < indptr[i]) return gerr(GROWTH_EINVAL, "%s: indptr decreases at user %zu", who, i);
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
            return gerr(GROWTH_EINVAL, "%s: value of option %llu is %g (must be finite and >= 0)", who,
                        (unsigned long long)(o - o0), v[o]);
    for (uint64_t o = o0 * K; o < o1 * K; o++)
        if (!(c[o] >= 0 && c[o] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL,
                        "%s: cost of option %llu in budget %llu is %g (must be finite and >= 0)", who,
                        (unsigned long long)(o / K - o0), (unsigned long long)(o % K), c[o]);
    p->indptr = indptr;
    p->n = n;
    p->K = K;
    p->v = v;
    p->c = c;
    p->maxm = maxm;
    return GROWTH_OK;
}

int mckp_validate_prices(const char *who, const double *lambda, size_t count)
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

GROWTH_API void growth_mckp_free(growth_mckp *s)
{
    if (!s) return;
    free(s->sc.segs);
    free(s);
}

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
static void fill(const mckp_prob *p, int32_t *choice, double *left, const mckp_seg *segs, size_t nseg,
                 double t_star, double *value, uint64_t *chosen)
{
    size_t K = p->K;
    for (size_t q = 0; q < nseg && K == 1; q++) {
        const mckp_seg *s = &segs[q];
        if (s->slope > t_star || choice[s->user] != s->from) continue;
        if (s->db <= left[0]) {
            choice[s->user] = s->to;
            left[0] -= s->db;
            *value += s->da;
            if (s->from < 0) (*chosen)++;
        }
    }
    mckp_fill_phase2(p, choice, left, value, chosen);
}

void mckp_fill_phase2(const mckp_prob *p, int32_t *choice, double *left, double *value, uint64_t *chosen)
{
    size_t K = p->K;
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
            if (l == K) {
                best = j;
                bestv = p->v[o + j];
            }
        }
        if (best < 0) continue;
        const double *c = p->c + (o + (uint64_t)best) * K;
        for (size_t l = 0; l < K; l++) left[l] -= c[l] - (c0 ? c0[l] : 0);
        *value += bestv - v0;
        if (cur < 0) (*chosen)++;
        choice[i] = best;
    }
}

typedef struct {
    double score;
    uint64_t user;
} drop_c;

static int cmp_drop(const void *x, const void *y)
{
    const drop_c *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    return a->user < b->user ? -1 : (a->user > b->user);
}

/* Makes the plan feasible: while some budget is over, drops the users of least reduced value
 * per share of the over-spent budgets. */
static int repair(const mckp_prob *p, const double *lambda, const double *budgets, int32_t *choice,
                  double *spend, double *value, uint64_t *chosen, uint64_t *dropped)
{
    size_t K = p->K;
    bool over[MAX_BUDGETS], any = false;
    for (size_t l = 0; l < K; l++) {
        over[l] = spend[l] > budgets[l];
        any |= over[l];
    }
    *dropped = 0;
    if (!any) return GROWTH_OK;
    size_t n = 0, cap = 1024;
    drop_c *d = malloc(cap * sizeof *d);
    if (!d) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    for (size_t i = 0; i < p->n; i++) {
        if (choice[i] < 0) continue;
        uint64_t o = p->indptr[i] + (uint64_t)choice[i];
        double score;
        if (!mckp_drop_score(p, o, lambda, over, budgets, &score)) continue;
        if (n == cap) {
            drop_c *nd = realloc(d, 2 * cap * sizeof *nd);
            if (!nd) {
                free(d);
                return gerr(GROWTH_ENOMEM, "mckp: out of memory");
            }
            d = nd;
            cap *= 2;
        }
        d[n].score = score;
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

/* Spend, value and chosen count of a plan. */
static void plan_totals(const mckp_prob *p, const int32_t *choice, double *spend, double *value,
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

GROWTH_API int growth_mckp_solve(growth_mckp *s, const uint64_t *indptr, size_t n_users, const double *values,
                                 const double *costs, size_t n_budgets, const double *budgets,
                                 int32_t *out_choice, size_t choice_cap)
{
    static const char *who = "growth_mckp_solve";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, budgets);
    GROWTH_CHECK_NULL(who, out_choice);
    mckp_prob p;
    int rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    size_t K = n_budgets;
    for (size_t l = 0; l < K; l++)
        if (!(budgets[l] >= 0 && budgets[l] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: budget %zu is %g (must be finite and >= 0)", who, l, budgets[l]);
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    atomic_store(&s->cancel, 0);
    mckp_runner r;
    if ((rc = mckp_runner_init(&r, s, &p, 1))) return rc;
    double lambda[MAX_BUDGETS] = {0}, best_l[MAX_BUDGETS] = {0};
    double dual = 0, best_d = INFINITY;
    mckp_seg *keep = NULL;
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
            if (d < best_d) {
                best_d = d;
                memcpy(best_l, lambda, sizeof lambda);
            }
            if ((rc = check_cancel(s, "descent", (double)(iters + 1) / (double)s->cfg.max_iter))) goto out;
            if (prev - d <= s->cfg.tol * fabs(d)) {
                iters++;
                break;
            }
            prev = d;
        }
    }
    polish_out po;
    bool exact = false;
    if (K > 1) {
        if ((rc = check_cancel(s, "polish", 0.8))) goto out;
        if ((rc = mckp_lp_polish(&p, best_l, budgets, out_choice, &po, &exact))) goto out;
    }
    if ((rc = check_cancel(s, "assign", 0.9))) goto out;
    double spend[MAX_BUDGETS], value;
    uint64_t chosen, ties = 0, dropped = 0;
    if (exact) {
        memcpy(best_l, po.lambda, K * sizeof(double));
        if ((rc = eval_dual(&r, best_l, &dual))) goto out;
        plan_totals(&p, out_choice, spend, &value, &chosen);
    } else if ((rc = mckp_assign(&r, best_l, out_choice, spend, &value, &dual, &chosen, &ties))) {
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
    s->res.fractional = K == 1  ? (best_l[0] > 0 ? 1u : 0u)
                        : exact ? po.fractional
                                : (uint32_t)(ties < UINT32_MAX ? ties : UINT32_MAX);
    s->k = K;
    memcpy(s->lambda, best_l, K * sizeof(double));
    memcpy(s->spend, spend, K * sizeof(double));
    s->have = true;
    if (s->progress) s->progress("done", 1.0, s->progress_data);
out:
    free(keep);
    mckp_runner_free(&r);
    return rc;
}

GROWTH_API int growth_mckp_result_get(const growth_mckp *s, growth_mckp_result *out)
{
    static const char *who = "growth_mckp_result_get";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out);
    /* the struct is checked first: a bad struct_size is EINVAL also before the first solve */
    if (out->struct_size < sizeof(growth_mckp_result))
        return gerr(
            GROWTH_EINVAL,
            "%s: out->struct_size is %u, expected at least %zu (initialise it with GROWTH_MCKP_RESULT_INIT)",
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
