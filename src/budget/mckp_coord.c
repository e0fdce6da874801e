/* The coordinator of a sharded MCKP solve (growth/sys/budget.h): the single-machine solver's
 * search (mckp.c) expressed over the replies of shards that run growth_mckp_shard_step().
 *
 * Every round the coordinator writes one request per shard (or none), the caller ships them,
 * runs growth_mckp_shard_step() where each shard lives and feeds the replies back. The rounds:
 *
 *   line search along k   HIST: each shard's level-0 histogram of hull-segment extents by the
 *                         top 16 bits of the slope (sparse; one pass over its users); the
 *                         coordinator merges them and finds the crossing bucket, as mckp.c.
 *                         SEG: each shard collects that bucket's segments once (one more pass,
 *                         kept in its handle) and answers refinements from them: a histogram of
 *                         the next 8 bits of the current bucket (no pass over users), until
 *                         the bucket holds at most MQ_SHIP segments, which are shipped and
 *                         walked steepest first: the same threshold slope as mckp.c.
 *   descent (K > 1)       EVAL: the dual part at the new prices after each round.
 *   polish (K > 1)        SCAN: fixed totals and the few undecided users' options; the
 *                         restricted LP runs here; PASSIGN assigns after an exact polish.
 *   assign                ASSIGN at the final prices (the plan stays on the shards).
 *   repair                REPAIR pages of drop candidates in repair()'s order.
 *   fill                  FILL1 pages of the crossing bucket's segments (one budget, from the
 *                         shards' kept segments), then FILL2 along the shards in order,
 *                         carrying what is left: fill()'s two phases.
 *
 * Plan changes decided here (drops, phase-1 upgrades, the LP's picks) travel as edits in the
 * next request to the shard. Sums are merged in shard order as mckp.c merges its threads'. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget_impl.h"

typedef struct {
    int64_t max_iter;
    double tol;
    bool fill;
} coord_cfg;

static const gcfg_opt coord_opts[] = {
    {"max_iter", GCFG_INT, offsetof(coord_cfg, max_iter), "200", 1, 1e9, NULL, false},
    {"tol", GCFG_DOUBLE, offsetof(coord_cfg, tol), "1e-10", 0, 1, NULL, false},
    {"fill", GCFG_BOOL, offsetof(coord_cfg, fill), "true", 0, 0, NULL, false},
};
#define COORD_NOPTS (sizeof coord_opts / sizeof coord_opts[0])

enum {
    PH_START,
    PH_HIST,
    PH_SEG_HIST,
    PH_SEG_SHIP,
    PH_EVAL,
    PH_SCAN,
    PH_PASSIGN,
    PH_ASSIGN,
    PH_REPAIR,
    PH_FILL1,
    PH_FILL2,
    PH_APPLY,
    PH_DONE,
    PH_FAILED
};

#define REPAIR_PAGE  1024
#define FILL_PAGE    4096
#define POLISH_STEPS 60

typedef struct {
    double *d;
    size_t n, cap;
} dvec;

static int dv_reserve(dvec *v, size_t n)
{
    if (n <= v->cap) return 0;
    size_t nc = v->cap ? v->cap : 64;
    while (nc < n) nc *= 2;
    double *nd = realloc(v->d, nc * sizeof *nd);
    if (!nd) return -1;
    v->d = nd;
    v->cap = nc;
    return 0;
}

static int dv_push(dvec *v, double x)
{
    if (dv_reserve(v, v->n + 1)) return -1;
    v->d[v->n++] = x;
    return 0;
}

struct growth_mckp_coord {
    coord_cfg cfg;
    size_t W, K;
    uint64_t n_users, n_opts;
    double B[MAX_BUDGETS];
    atomic_int cancel;
    uint64_t nonce, round;
    int phase, fail_rc;
    char fail_msg[512];
    /* per shard */
    dvec *req, *rep, *edit;
    bool *waiting;
    size_t outstanding;
    uint64_t *sh_users, *sh_opts, *sh_off, *sh_cnt;
    bool known;
    /* search */
    double lambda[MAX_BUDGETS], best_l[MAX_BUDGETS], best_d, prev;
    uint32_t iters;
    size_t ls_k;
    double ls_total, ls_above, ls_lam[MAX_BUDGETS];
    uint64_t ls_prefix, ls_b0, ls_count, lvl_cnt[4];
    int ls_shift;
    bool keep;
    int keep_shift;
    uint64_t keep_prefix;
    /* polish */
    double center[MAX_BUDGETS], delta, po_lambda[MAX_BUDGETS], po_lp;
    uint32_t pstep, shrink, po_frac;
    bool exact;
    /* plan */
    double spend[MAX_BUDGETS], value, dual, dbound, left[MAX_BUDGETS];
    uint64_t chosen, ties;
    bool over[MAX_BUDGETS];
    bool cur_has;
    double cur_a;
    uint64_t cur_u;
    size_t fill_shard;
    /* stats and the result */
    growth_mckp_coord_stats st;
    growth_mckp_result res;
};

static inline uint64_t ckey(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}

static inline double cfrom_key(uint64_t u)
{
    double x;
    memcpy(&x, &u, 8);
    return x;
}

static int oom(void) { return gerr(GROWTH_ENOMEM, "growth_mckp_coord_next: out of memory"); }

static int fill_start(growth_mckp_coord *c);

/* ---- requests ------------------------------------------------------------------------------ */

/* Starts shard w's request of `kind` with reply capacity `cap`; the body follows with body_*. */
static int rq_begin(growth_mckp_coord *c, size_t w, int kind, size_t cap)
{
    dvec *r = &c->req[w];
    r->n = 0;
    if (dv_reserve(r, RQ_BODY + mq_body_len(kind, c->K))) return -1;
    r->d[RQ_VER] = MQ_VER;
    r->d[RQ_KIND] = kind;
    r->d[RQ_ROUND] = (double)c->round;
    r->d[RQ_K] = (double)c->K;
    r->d[RQ_CAP] = (double)cap;
    r->d[RQ_NONCE] = (double)c->nonce;
    r->d[RQ_NEDIT] = 0;
    r->n = RQ_BODY;
    return 0;
}

static int rq_put(growth_mckp_coord *c, size_t w, const double *x, size_t n)
{
    dvec *r = &c->req[w];
    if (dv_reserve(r, r->n + n)) return -1;
    if (n) memcpy(r->d + r->n, x, n * sizeof *x); /* x may be NULL when there is nothing to add */
    r->n += n;
    return 0;
}

static int rq_put1(growth_mckp_coord *c, size_t w, double x) { return rq_put(c, w, &x, 1); }

/* Appends shard w's pending edits and marks the request ready. */
static int rq_end(growth_mckp_coord *c, size_t w)
{
    dvec *e = &c->edit[w];
    if (rq_put(c, w, e->d, e->n)) return -1;
    c->req[w].d[RQ_NEDIT] = (double)(e->n / 2);
    e->n = 0;
    c->waiting[w] = true;
    c->outstanding++;
    c->st.requests++;
    c->st.doubles_to_shards += c->req[w].n;
    int kind = (int)c->req[w].d[RQ_KIND];
    if (kind != MQ_FILL1 && kind != MQ_APPLY && (kind != MQ_SEG || c->req[w].d[RQ_BODY + 1 + c->K + 3] == 48))
        c->st.shard_passes++;
    return 0;
}

static int add_edit(growth_mckp_coord *c, size_t w, uint64_t user, int32_t choice)
{
    if (dv_push(&c->edit[w], (double)user) || dv_push(&c->edit[w], (double)choice)) return -1;
    return 0;
}

static void round_start(growth_mckp_coord *c)
{
    c->round++;
    c->st.rounds++;
    for (size_t w = 0; w < c->W; w++) c->req[w].n = 0;
}

static void put_u64(double *w, uint64_t x)
{
    w[0] = (double)(x >> 32);
    w[1] = (double)(x & 0xffffffffu);
}

static int emit_hist(growth_mckp_coord *c)
{
    round_start(c);
    for (size_t w = 0; w < c->W; w++)
        if (rq_begin(c, w, MQ_HIST, RP_BODY + 2 + 2 * ((size_t)1 << lv_bits[0])) ||
            rq_put1(c, w, (double)c->ls_k) || rq_put(c, w, c->ls_lam, c->K) || rq_end(c, w))
            return oom();
    c->phase = PH_HIST;
    return GROWTH_OK;
}

/* SEG: mode 0 = histogram of the next bits of the current bucket, 1 = ship its segments. */
static int emit_seg(growth_mckp_coord *c, int ship)
{
    round_start(c);
    for (size_t w = 0; w < c->W; w++) {
        size_t cap =
            ship ? RP_BODY + 1 + 2 * (size_t)c->sh_cnt[w] : RP_BODY + 1 + 2 * ((size_t)1 << MQ_SUBBITS);
        double q[6];
        q[0] = (double)c->ls_b0;
        put_u64(q + 1, c->ls_prefix);
        q[3] = c->ls_shift;
        q[4] = ship;
        if (rq_begin(c, w, MQ_SEG, cap) || rq_put1(c, w, (double)c->ls_k) || rq_put(c, w, c->ls_lam, c->K) ||
            rq_put(c, w, q, 5) || rq_end(c, w))
            return oom();
    }
    c->phase = ship ? PH_SEG_SHIP : PH_SEG_HIST;
    return GROWTH_OK;
}

static int emit_prices(growth_mckp_coord *c, int kind, int phase, const double *lam, size_t cap)
{
    round_start(c);
    for (size_t w = 0; w < c->W; w++)
        if (rq_begin(c, w, kind, cap) || rq_put(c, w, lam, c->K) || rq_end(c, w)) return oom();
    c->phase = phase;
    return GROWTH_OK;
}

static int emit_scan(growth_mckp_coord *c)
{
    size_t K = c->K;
    size_t cap =
        RP_BODY + 2 * (K + 1) + 3 + 2 * GROWTH_MCKP_LP_MAX_USERS + GROWTH_MCKP_LP_MAX_OPTIONS * (1 + K);
    round_start(c);
    double q[3] = {c->delta, GROWTH_MCKP_LP_MAX_USERS, GROWTH_MCKP_LP_MAX_OPTIONS};
    for (size_t w = 0; w < c->W; w++)
        if (rq_begin(c, w, MQ_SCAN, cap) || rq_put(c, w, c->center, K) || rq_put(c, w, q, 3) || rq_end(c, w))
            return oom();
    c->phase = PH_SCAN;
    return GROWTH_OK;
}

static int emit_repair(growth_mckp_coord *c)
{
    size_t K = c->K;
    round_start(c);
    for (size_t w = 0; w < c->W; w++) {
        double ov[MAX_BUDGETS], q[4];
        for (size_t l = 0; l < K; l++) ov[l] = c->over[l];
        q[0] = c->cur_has;
        q[1] = c->cur_has ? c->cur_a : 0;
        q[2] = c->cur_has ? (double)c->cur_u - (double)c->sh_off[w] : 0;
        q[3] = REPAIR_PAGE;
        if (rq_begin(c, w, MQ_REPAIR, RP_BODY + 2 + REPAIR_PAGE * (3 + K)) || rq_put(c, w, c->best_l, K) ||
            rq_put(c, w, ov, K) || rq_put(c, w, c->B, K) || rq_put(c, w, q, 4) || rq_end(c, w))
            return oom();
    }
    c->phase = PH_REPAIR;
    return GROWTH_OK;
}

static int emit_fill1(growth_mckp_coord *c)
{
    round_start(c);
    for (size_t w = 0; w < c->W; w++) {
        double q[10];
        q[0] = (double)c->ls_b0;
        put_u64(q + 1, c->keep_prefix);
        q[3] = c->keep_shift;
        q[4] = c->best_l[0];
        q[5] = c->left[0];
        q[6] = c->cur_has;
        q[7] = c->cur_has ? c->cur_a : 0;
        q[8] = c->cur_has ? (double)c->cur_u - (double)c->sh_off[w] : 0;
        double zero = 0;
        if (rq_begin(c, w, MQ_FILL1, RP_BODY + 2 + FILL_PAGE * 7) || rq_put1(c, w, zero) ||
            rq_put(c, w, c->ls_lam, c->K) || rq_put(c, w, q, 9) || rq_end(c, w))
            return oom();
    }
    c->phase = PH_FILL1;
    return GROWTH_OK;
}

static int emit_fill2(growth_mckp_coord *c)
{
    size_t K = c->K, w = c->fill_shard;
    round_start(c);
    double q[2] = {c->value, (double)c->chosen};
    if (rq_begin(c, w, MQ_FILL2, RP_BODY + K + 2) || rq_put(c, w, c->left, K) || rq_put(c, w, q, 2) ||
        rq_end(c, w))
        return oom();
    c->phase = PH_FILL2;
    return GROWTH_OK;
}

/* ---- the search, driven by the replies ---------------------------------------------------- */

static const double *rp(const growth_mckp_coord *c, size_t w) { return c->rep[w].d + RP_BODY; }

static int ls_start(growth_mckp_coord *c, size_t k)
{
    c->ls_k = k;
    memcpy(c->ls_lam, c->lambda, c->K * sizeof(double));
    return emit_hist(c);
}

static void unpack(double packed, size_t *bucket, uint64_t *count)
{
    double b = floor(packed / MQ_PACK);
    *bucket = (size_t)b;
    *count = (uint64_t)(packed - b * MQ_PACK);
}

/* Per-shard counts of bucket `b` of a sparse histogram reply starting at body offset `at`. */
static void shard_counts(growth_mckp_coord *c, size_t at, size_t b)
{
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w);
        size_t nb = (size_t)h[at - 1];
        c->sh_cnt[w] = 0;
        for (size_t q = 0; q < nb; q++) {
            size_t bk;
            uint64_t ct;
            unpack(h[at + 2 * q + 1], &bk, &ct);
            if (bk == b) c->sh_cnt[w] = ct;
        }
    }
}

static int start_assign(growth_mckp_coord *c)
{
    size_t K = c->K;
    return emit_prices(c, MQ_ASSIGN, PH_ASSIGN, c->best_l, RP_BODY + 2 * (K + 2) + 2);
}

static int polish_start(growth_mckp_coord *c)
{
    double lmax = 0;
    for (size_t l = 0; l < c->K; l++) {
        c->center[l] = c->best_l[l];
        lmax = fmax(lmax, c->best_l[l]);
    }
    c->delta = GROWTH_MCKP_LP_DELTA0 * fmax(lmax, 1e-9);
    c->pstep = c->shrink = 0;
    return emit_scan(c);
}

static int ls_done(growth_mckp_coord *c, double t, bool collected)
{
    size_t K = c->K;
    c->lambda[c->ls_k] = t;
    if (K == 1) {
        c->keep = collected;
        if (collected) { /* mckp.c keeps the crossing bucket of the first level with <= 2^21 */
            int L = 0;
            while (L < 3 && c->lvl_cnt[L] != UINT64_MAX && c->lvl_cnt[L] > COLLECT_LIMIT) L++;
            c->keep_shift = 48 - 16 * L;
            c->keep_prefix = ckey(t) >> c->keep_shift;
        }
        memcpy(c->best_l, c->lambda, sizeof c->lambda);
        c->iters = 1;
        return start_assign(c);
    }
    if (c->ls_k + 1 < K) return ls_start(c, c->ls_k + 1);
    return emit_prices(c, MQ_EVAL, PH_EVAL, c->lambda, RP_BODY + 1);
}

static int after_hist(growth_mckp_coord *c)
{
    double total = 0, B = c->B[c->ls_k];
    for (size_t w = 0; w < c->W; w++) total += rp(c, w)[0];
    c->ls_total = total;
    if (total <= B) return ls_done(c, 0, false);
    size_t nb = (size_t)1 << lv_bits[0];
    double *hist = calloc(nb, sizeof *hist);
    uint64_t *cnt = calloc(nb, sizeof *cnt);
    if (!hist || !cnt) {
        free(hist);
        free(cnt);
        return oom();
    }
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w);
        for (size_t q = 0; q < (size_t)h[1]; q++) {
            size_t bk;
            uint64_t ct;
            unpack(h[3 + 2 * q], &bk, &ct);
            hist[bk] += h[2 + 2 * q];
            cnt[bk] += ct;
        }
    }
    size_t b = nb;
    double cum = 0;
    while (b > 0) {
        b--;
        if (cum + hist[b] > B) break;
        cum += hist[b];
    }
    c->ls_above = cum;
    c->ls_count = cnt[b];
    free(hist);
    free(cnt);
    c->ls_b0 = c->ls_prefix = b;
    c->ls_shift = 48;
    c->lvl_cnt[0] = c->ls_count;
    c->lvl_cnt[1] = c->lvl_cnt[2] = c->lvl_cnt[3] = UINT64_MAX;
    shard_counts(c, 2, b);
    return emit_seg(c, c->ls_count <= MQ_SHIP);
}

static int after_seg_hist(growth_mckp_coord *c)
{
    size_t nb = (size_t)1 << MQ_SUBBITS;
    double hist[1 << MQ_SUBBITS] = {0}, B = c->B[c->ls_k];
    uint64_t cnt[1 << MQ_SUBBITS] = {0};
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w);
        for (size_t q = 0; q < (size_t)h[0]; q++) {
            size_t bk;
            uint64_t ct;
            unpack(h[2 + 2 * q], &bk, &ct);
            hist[bk] += h[1 + 2 * q];
            cnt[bk] += ct;
        }
    }
    size_t b = nb;
    double cum = c->ls_above;
    while (b > 0) {
        b--;
        if (cum + hist[b] > B) break;
        cum += hist[b];
    }
    c->ls_above = cum;
    c->ls_count = cnt[b];
    c->ls_prefix = (c->ls_prefix << MQ_SUBBITS) | b;
    c->ls_shift -= MQ_SUBBITS;
    if (c->ls_shift % 16 == 0) c->lvl_cnt[(48 - c->ls_shift) / 16] = c->ls_count;
    shard_counts(c, 1, b);
    if (c->ls_shift == 0) return ls_done(c, c->ls_count ? cfrom_key(c->ls_prefix) : 0, true);
    return emit_seg(c, c->ls_count <= MQ_SHIP);
}

typedef struct {
    double a;
    uint64_t u;
    size_t w, at;
} crow;

static int cmp_desc(const void *x, const void *y) /* slope desc, then user asc */
{
    const crow *p = x, *q = y;
    if (p->a != q->a) return p->a > q->a ? -1 : 1;
    return p->u < q->u ? -1 : (p->u > q->u);
}

static int cmp_asc(const void *x, const void *y) /* score asc, then user asc */
{
    const crow *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return p->u < q->u ? -1 : (p->u > q->u);
}

static int after_seg_ship(growth_mckp_coord *c)
{
    size_t n = 0;
    for (size_t w = 0; w < c->W; w++) n += (size_t)rp(c, w)[0];
    crow *all = malloc((n ? n : 1) * sizeof *all);
    if (!all) return oom();
    n = 0;
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w);
        for (size_t q = 0; q < (size_t)h[0]; q++, n++) all[n] = (crow){h[1 + 2 * q], n, w, 2 + 2 * q};
    }
    qsort(all, n, sizeof *all, cmp_desc);
    double cum = c->ls_above, B = c->B[c->ls_k];
    size_t q = 0;
    for (; q < n; q++) {
        double db = rp(c, all[q].w)[all[q].at];
        if (cum + db > B) break;
        cum += db;
    }
    double t = q < n ? all[q].a : (n ? all[n - 1].a : 0);
    free(all);
    return ls_done(c, t, true);
}

static int after_eval(growth_mckp_coord *c)
{
    double dual = 0;
    for (size_t w = 0; w < c->W; w++) dual += rp(c, w)[0];
    double d = dual;
    for (size_t l = 0; l < c->K; l++) d += c->lambda[l] * c->B[l];
    if (d < c->best_d) {
        c->best_d = d;
        memcpy(c->best_l, c->lambda, sizeof c->lambda);
    }
    c->iters++;
    bool stop = c->prev - d <= c->cfg.tol * fabs(d);
    if (!stop) c->prev = d;
    if (stop || c->iters >= (uint32_t)c->cfg.max_iter) return polish_start(c);
    return ls_start(c, 0);
}

static void merge_ks(const growth_mckp_coord *c, size_t n, double *out)
{
    gksum tot[MAX_BUDGETS + 2];
    memset(tot, 0, sizeof tot);
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w);
        for (size_t l = 0; l < n; l++) {
            gk_add(&tot[l], h[2 * l]);
            gk_add(&tot[l], h[2 * l + 1]);
        }
    }
    for (size_t l = 0; l < n; l++) out[l] = gk_val(&tot[l]);
}

static int after_assign(growth_mckp_coord *c)
{
    size_t K = c->K;
    c->dbound = c->dual;
    for (size_t l = 0; l < K; l++) c->dbound += c->best_l[l] * c->B[l];
    bool any = false;
    for (size_t l = 0; l < K; l++) {
        c->over[l] = c->spend[l] > c->B[l];
        any |= c->over[l];
    }
    c->cur_has = false;
    if (any) return emit_repair(c);
    return fill_start(c);
}

static int after_scan(growth_mckp_coord *c)
{
    size_t K = c->K, nA = 0, nopt = 0;
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w) + 2 * (K + 1);
        nA += (size_t)h[0];
        nopt += (size_t)h[1];
    }
    if (nA > GROWTH_MCKP_LP_MAX_USERS || nopt > GROWTH_MCKP_LP_MAX_OPTIONS) {
        if (c->pstep > 0 || ++c->shrink > 8) return start_assign(c);
        c->delta /= 8;
        return emit_scan(c);
    }
    double fixed[MAX_BUDGETS + 1];
    merge_ks(c, K + 1, fixed);
    uint64_t *ip = malloc((nA + 1) * sizeof *ip);
    double *v = malloc((nopt ? nopt : 1) * sizeof *v), *cc = malloc((nopt ? nopt : 1) * K * sizeof *cc);
    double *x = malloc((nopt ? nopt : 1) * sizeof *x);
    int32_t *pick = malloc((nA ? nA : 1) * sizeof *pick);
    int rc = GROWTH_OK;
    if (!ip || !v || !cc || !x || !pick) {
        rc = oom();
        goto out;
    }
    ip[0] = 0;
    size_t a = 0, q = 0;
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w) + 2 * (K + 1);
        size_t nu = (size_t)h[0], no = (size_t)h[1];
        const double *cn = h + 3 + nu, *vv = cn + nu, *ck = vv + no;
        for (size_t u = 0; u < nu; u++, a++) ip[a + 1] = ip[a] + (uint64_t)cn[u];
        memcpy(v + q, vv, no * sizeof *v);
        memcpy(cc + q * K, ck, no * K * sizeof *cc);
        q += no;
    }
    mckp_prob sub = {ip, nA, K, v, cc, 0};
    double lam[MAX_BUDGETS], lpv;
    bool exact = false;
    rc = mckp_restricted_lp(&sub, c->B, fixed, c->center, c->delta, x, lam, &lpv, &exact);
    if (rc == GROWTH_ESTATE) { /* the simplex did not finish: the descent's answer stands */
        rc = start_assign(c);
        goto out;
    }
    if (rc) goto out;
    if (exact) {
        c->po_frac = mckp_round_down(ip, nA, x, pick);
        memcpy(c->po_lambda, lam, K * sizeof *lam);
        c->po_lp = lpv;
        c->exact = true;
        a = 0;
        for (size_t w = 0; w < c->W; w++) {
            const double *h = rp(c, w) + 2 * (K + 1);
            for (size_t u = 0; u < (size_t)h[0]; u++, a++)
                if (pick[a] >= 0 && add_edit(c, w, (uint64_t)h[3 + u], pick[a])) {
                    rc = oom();
                    goto out;
                }
        }
        round_start(c);
        for (size_t w = 0; w < c->W; w++)
            if (rq_begin(c, w, MQ_PASSIGN, RP_BODY + 2 * (K + 1) + 2) || rq_put(c, w, c->center, K) ||
                rq_put1(c, w, c->delta) || rq_put(c, w, c->po_lambda, K) || rq_end(c, w)) {
                rc = oom();
                goto out;
            }
        c->phase = PH_PASSIGN;
        goto out;
    }
    memcpy(c->center, lam, K * sizeof *lam);
    c->delta *= 2;
    rc = ++c->pstep < POLISH_STEPS ? emit_scan(c) : start_assign(c);
out:
    free(ip);
    free(v);
    free(cc);
    free(x);
    free(pick);
    return rc;
}

static int finish(growth_mckp_coord *c)
{
    size_t K = c->K;
    growth_mckp_result *r = &c->res;
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    r->n_budgets = (uint32_t)K;
    r->value = c->value;
    r->lp_value = c->exact ? fmin(c->po_lp, c->dbound) : c->dbound;
    r->dual_bound = c->dbound;
    r->gap = c->dbound - c->value;
    r->rel_gap = r->gap / fmax(fabs(c->dbound), 1e-300);
    r->n_users = c->n_users;
    r->n_chosen = c->chosen;
    r->iterations = c->iters;
    r->fractional = K == 1     ? (c->best_l[0] > 0 ? 1u : 0u)
                    : c->exact ? c->po_frac
                               : (uint32_t)(c->ties < UINT32_MAX ? c->ties : UINT32_MAX);
    c->phase = PH_DONE;
    return GROWTH_OK;
}

/* The last round: shards with pending plan edits apply them. */
static int finish_or_apply(growth_mckp_coord *c)
{
    bool any = false;
    for (size_t w = 0; w < c->W; w++) any |= c->edit[w].n > 0;
    if (!any) return finish(c);
    round_start(c);
    for (size_t w = 0; w < c->W; w++)
        if (c->edit[w].n && (rq_begin(c, w, MQ_APPLY, RP_BODY) || rq_end(c, w))) return oom();
    c->phase = PH_APPLY;
    return GROWTH_OK;
}

static int fill_start(growth_mckp_coord *c)
{
    if (!c->cfg.fill) return finish_or_apply(c);
    for (size_t l = 0; l < c->K; l++) c->left[l] = c->B[l] - c->spend[l];
    c->cur_has = false;
    if (c->K == 1 && c->keep) return emit_fill1(c);
    c->fill_shard = 0;
    return emit_fill2(c);
}

/* Rows of a paged reply (repair, fill phase 1), merged in order; *bound the last row that every
 * shard with more rows has reached (false: all rows are here). */
static int page_rows(growth_mckp_coord *c, size_t width, int (*cmp)(const void *, const void *), crow **out,
                     size_t *out_n, crow *bound, bool *has_bound)
{
    size_t n = 0;
    for (size_t w = 0; w < c->W; w++) n += (size_t)rp(c, w)[0];
    crow *all = malloc((n ? n : 1) * sizeof *all);
    if (!all) return oom();
    n = 0;
    *has_bound = false;
    for (size_t w = 0; w < c->W; w++) {
        const double *h = rp(c, w);
        size_t m = (size_t)h[0];
        for (size_t q = 0; q < m; q++) {
            size_t at = 2 + q * width;
            all[n++] = (crow){h[at], c->sh_off[w] + (uint64_t)h[at + 1], w, at};
        }
        if (h[1] != 0 && m > 0) {
            crow last = all[n - 1];
            if (!*has_bound || cmp(&last, bound) < 0) *bound = last;
            *has_bound = true;
        }
    }
    qsort(all, n, sizeof *all, cmp);
    *out = all;
    *out_n = n;
    return GROWTH_OK;
}

static int after_repair(growth_mckp_coord *c)
{
    size_t K = c->K, n;
    crow *all, bound;
    bool has_bound, any = true;
    int rc = page_rows(c, 3 + K, cmp_asc, &all, &n, &bound, &has_bound);
    if (rc) return rc;
    for (size_t q = 0; q < n && any; q++) {
        if (has_bound && cmp_asc(&all[q], &bound) > 0) break;
        const double *row = rp(c, all[q].w) + all[q].at, *cst = row + 3;
        bool helps = false;
        for (size_t l = 0; l < K; l++) helps |= c->over[l] && c->spend[l] > c->B[l] && cst[l] > 0;
        if (!helps) continue;
        for (size_t l = 0; l < K; l++) c->spend[l] -= cst[l];
        c->value -= row[2];
        c->chosen--;
        if (add_edit(c, all[q].w, (uint64_t)row[1], -1)) {
            free(all);
            return oom();
        }
        any = false;
        for (size_t l = 0; l < K; l++) any |= c->spend[l] > c->B[l];
    }
    free(all);
    if (any && has_bound) {
        c->cur_has = true;
        c->cur_a = bound.a;
        c->cur_u = bound.u;
        return emit_repair(c);
    }
    return fill_start(c);
}

static int cmp_user(const void *x, const void *y)
{
    const crow *p = x, *q = y;
    if (p->u != q->u) return p->u < q->u ? -1 : 1;
    return p->at < q->at ? -1 : (p->at > q->at);
}

static int after_fill1(growth_mckp_coord *c)
{
    size_t n;
    crow *all, bound;
    bool has_bound;
    int rc = page_rows(c, 7, cmp_desc, &all, &n, &bound, &has_bound);
    if (rc) return rc;
    /* a user's current choice within this page: one slot per user */
    crow *byu = malloc((n ? n : 1) * sizeof *byu);
    int32_t *cur = malloc((n ? n : 1) * sizeof *cur);
    size_t *slot = malloc((n ? n : 1) * sizeof *slot);
    if (!byu || !cur || !slot) {
        free(all), free(byu), free(cur), free(slot);
        return oom();
    }
    for (size_t q = 0; q < n; q++) byu[q] = (crow){0, all[q].u, q, 0}, byu[q].at = q;
    qsort(byu, n, sizeof *byu, cmp_user);
    for (size_t q = 0, lead = 0; q < n; q++) {
        if (q == 0 || byu[q].u != byu[q - 1].u) {
            lead = q;
            cur[lead] = (int32_t)rp(c, all[byu[q].w].w)[all[byu[q].w].at + 6];
        }
        slot[byu[q].w] = lead;
    }
    double t = c->best_l[0];
    for (size_t q = 0; q < n; q++) {
        if (has_bound && cmp_desc(&all[q], &bound) > 0) break;
        const double *row = rp(c, all[q].w) + all[q].at;
        int32_t from = (int32_t)row[4], to = (int32_t)row[5];
        if (row[0] > t || cur[slot[q]] != from) continue;
        if (row[2] <= c->left[0]) {
            cur[slot[q]] = to;
            if (add_edit(c, all[q].w, (uint64_t)row[1], to)) {
                rc = oom();
                break;
            }
            c->left[0] -= row[2];
            c->value += row[3];
            if (from < 0) c->chosen++;
        }
    }
    free(all), free(byu), free(cur), free(slot);
    if (rc) return rc;
    if (has_bound) {
        c->cur_has = true;
        c->cur_a = bound.a;
        c->cur_u = bound.u;
        return emit_fill1(c);
    }
    c->fill_shard = 0;
    return emit_fill2(c);
}

/* Consumes the replies of the current round and writes the next round's requests. */
static int advance(growth_mckp_coord *c)
{
    size_t K = c->K;
    if (c->phase != PH_START && !c->known) {
        uint64_t nu = 0, no = 0;
        for (size_t w = 0; w < c->W; w++) {
            c->sh_off[w] = nu;
            nu += c->sh_users[w];
            no += c->sh_opts[w];
        }
        if (nu != c->n_users || no != c->n_opts)
            return gerr(GROWTH_EINVAL,
                        "growth_mckp_coord_next: the shards hold %llu users and %llu options, the problem "
                        "has %llu users and %llu options",
                        (unsigned long long)nu, (unsigned long long)no, (unsigned long long)c->n_users,
                        (unsigned long long)c->n_opts);
        c->known = true;
    }
    switch (c->phase) {
    case PH_START:
        memset(c->lambda, 0, sizeof c->lambda);
        memset(c->best_l, 0, sizeof c->best_l);
        c->best_d = INFINITY;
        c->prev = INFINITY;
        c->iters = 0;
        return ls_start(c, 0);
    case PH_HIST: return after_hist(c);
    case PH_SEG_HIST: return after_seg_hist(c);
    case PH_SEG_SHIP: return after_seg_ship(c);
    case PH_EVAL: return after_eval(c);
    case PH_SCAN: return after_scan(c);
    case PH_PASSIGN: {
        double t[MAX_BUDGETS + 1];
        merge_ks(c, K + 1, t);
        memcpy(c->spend, t, K * sizeof(double));
        c->value = t[K];
        c->chosen = 0;
        c->dual = 0;
        for (size_t w = 0; w < c->W; w++) {
            c->chosen += (uint64_t)rp(c, w)[2 * (K + 1)];
            c->dual += rp(c, w)[2 * (K + 1) + 1];
        }
        c->ties = 0;
        memcpy(c->best_l, c->po_lambda, K * sizeof(double));
        return after_assign(c);
    }
    case PH_ASSIGN: {
        double t[MAX_BUDGETS + 2];
        merge_ks(c, K + 2, t);
        memcpy(c->spend, t, K * sizeof(double));
        c->value = t[K];
        c->dual = t[K + 1];
        c->chosen = c->ties = 0;
        for (size_t w = 0; w < c->W; w++) {
            c->chosen += (uint64_t)rp(c, w)[2 * (K + 2)];
            c->ties += (uint64_t)rp(c, w)[2 * (K + 2) + 1];
        }
        return after_assign(c);
    }
    case PH_REPAIR: return after_repair(c);
    case PH_FILL1: return after_fill1(c);
    case PH_FILL2: {
        const double *h = rp(c, c->fill_shard);
        memcpy(c->left, h, K * sizeof(double));
        c->value = h[K];
        c->chosen = (uint64_t)h[K + 1];
        if (++c->fill_shard < c->W) return emit_fill2(c);
        for (size_t l = 0; l < K; l++) c->spend[l] = c->B[l] - c->left[l];
        return finish(c);
    }
    case PH_APPLY: return finish(c);
    default: return gerr(GROWTH_ESTATE, "growth_mckp_coord_next: no solve in progress");
    }
}

/* ---- public API ---------------------------------------------------------------------------- */

GROWTH_API int growth_mckp_coord_create(growth_mckp_coord **out, size_t n_shards, size_t n_users,
                                        size_t n_options, size_t n_budgets, const double *budgets,
                                        const char *config)
{
    static const char *who = "growth_mckp_coord_create";
    GROWTH_CHECK_NULL(who, out);
    *out = NULL;
    GROWTH_CHECK_NULL(who, budgets);
    if (n_shards == 0 || n_shards > ((size_t)1 << 20))
        return gerr(GROWTH_EINVAL, "%s: n_shards = %zu, must be 1..2^20", who, n_shards);
    if (n_users == 0 || n_users > ((uint64_t)1 << 52))
        return gerr(GROWTH_EINVAL, "%s: n_users = %zu, must be 1..2^52", who, n_users);
    if (n_options > ((uint64_t)1 << 52))
        return gerr(GROWTH_EINVAL, "%s: n_options = %zu, must be at most 2^52", who, n_options);
    if (n_budgets == 0 || n_budgets > MAX_BUDGETS)
        return gerr(GROWTH_EINVAL, "%s: n_budgets = %zu, must be 1..%d", who, n_budgets, MAX_BUDGETS);
    for (size_t l = 0; l < n_budgets; l++)
        if (!(budgets[l] >= 0 && budgets[l] <= DBL_MAX_SAFE))
            return gerr(GROWTH_EINVAL, "%s: budget %zu is %g (must be finite and >= 0)", who, l, budgets[l]);
    coord_cfg cfg;
    int rc = gcfg_parse(who, coord_opts, COORD_NOPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    growth_mckp_coord *c = calloc(1, sizeof *c);
    if (!c) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    c->req = calloc(n_shards, sizeof *c->req);
    c->rep = calloc(n_shards, sizeof *c->rep);
    c->edit = calloc(n_shards, sizeof *c->edit);
    c->waiting = calloc(n_shards, sizeof *c->waiting);
    c->sh_users = malloc(n_shards * sizeof *c->sh_users);
    c->sh_opts = malloc(n_shards * sizeof *c->sh_opts);
    c->sh_off = calloc(n_shards, sizeof *c->sh_off);
    c->sh_cnt = calloc(n_shards, sizeof *c->sh_cnt);
    if (!c->req || !c->rep || !c->edit || !c->waiting || !c->sh_users || !c->sh_opts || !c->sh_off ||
        !c->sh_cnt) {
        growth_mckp_coord_free(c);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    for (size_t w = 0; w < n_shards; w++) c->sh_users[w] = c->sh_opts[w] = UINT64_MAX;
    c->cfg = cfg;
    c->W = n_shards;
    c->K = n_budgets;
    c->n_users = n_users;
    c->n_opts = n_options;
    memcpy(c->B, budgets, n_budgets * sizeof *budgets);
    atomic_init(&c->cancel, 0);
    static atomic_uint_fast64_t seq;
    uint64_t z = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)c << 7) ^
                 atomic_fetch_add(&seq, 1) * 0x9E3779B97F4A7C15ull;
    c->nonce = (z ^ (z >> 31)) & (((uint64_t)1 << 52) - 1);
    c->phase = PH_START;
    c->st.struct_size = sizeof c->st;
    *out = c;
    return GROWTH_OK;
}

GROWTH_API void growth_mckp_coord_free(growth_mckp_coord *c)
{
    if (!c) return;
    for (size_t w = 0; w < c->W; w++) {
        if (c->req) free(c->req[w].d);
        if (c->rep) free(c->rep[w].d);
        if (c->edit) free(c->edit[w].d);
    }
    free(c->req);
    free(c->rep);
    free(c->edit);
    free(c->waiting);
    free(c->sh_users);
    free(c->sh_opts);
    free(c->sh_off);
    free(c->sh_cnt);
    free(c);
}

static int fail_with(growth_mckp_coord *c, int rc)
{
    c->phase = PH_FAILED;
    c->fail_rc = rc;
    snprintf(c->fail_msg, sizeof c->fail_msg, "%s", growth_last_error());
    return rc;
}

GROWTH_API int growth_mckp_coord_next(growth_mckp_coord *c, int *out_done)
{
    static const char *who = "growth_mckp_coord_next";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, out_done);
    if (c->phase == PH_FAILED) return gerr(c->fail_rc, "%s", c->fail_msg);
    if (c->phase == PH_DONE) {
        *out_done = 1;
        return GROWTH_OK;
    }
    if (atomic_load(&c->cancel)) {
        gerr(GROWTH_ECANCELED, "%s: cancelled (growth_mckp_coord_cancel); the shards' plans are void", who);
        return fail_with(c, GROWTH_ECANCELED);
    }
    if (c->outstanding)
        return gerr(GROWTH_ESTATE, "%s: %zu of %zu shards have not replied to round %llu yet", who,
                    c->outstanding, c->W, (unsigned long long)c->round);
    int rc = advance(c);
    if (rc) return fail_with(c, rc);
    *out_done = c->phase == PH_DONE;
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_coord_request(const growth_mckp_coord *c, size_t shard, double *out_request,
                                         size_t cap, size_t *out_n)
{
    static const char *who = "growth_mckp_coord_request";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, out_n);
    if (shard >= c->W) return gerr(GROWTH_EINVAL, "%s: shard %zu of %zu", who, shard, c->W);
    size_t n = c->waiting[shard] && c->phase != PH_FAILED ? c->req[shard].n : 0;
    if (cap < n) {
        *out_n = n;
        return gerr(GROWTH_EBUFS, "%s: out_request holds %zu doubles, the request has %zu", who, cap, n);
    }
    if (n) {
        GROWTH_CHECK_NULL(who, out_request);
        memcpy(out_request, c->req[shard].d, n * sizeof(double));
    }
    *out_n = n;
    return GROWTH_OK;
}

/* The reply's body checked against its kind (lengths, counts, ranges, no NaN). */
static int check_reply(const growth_mckp_coord *c, size_t w, const double *r, size_t n)
{
    static const char *who = "growth_mckp_coord_feed";
    size_t K = c->K;
    int kind = (int)c->req[w].d[RQ_KIND];
    if (n < RP_BODY)
        return gerr(GROWTH_EINVAL, "%s: reply of shard %zu has %zu doubles, fewer than a header", who, w, n);
    for (size_t q = 0; q < n; q++) {
        if (isnan(r[q])) return gerr(GROWTH_EINVAL, "%s: reply of shard %zu: NaN at %zu", who, w, q);
        bool score = kind == MQ_REPAIR && q >= RP_BODY + 2 && (q - RP_BODY - 2) % (3 + K) == 0;
        if (isinf(r[q]) && !(score && r[q] < 0))
            return gerr(GROWTH_EINVAL, "%s: reply of shard %zu: %g at %zu", who, w, r[q], q);
    }
    if (r[RP_VER] != MQ_VER || r[RP_KIND] != kind || r[RP_ROUND] != (double)c->round)
        return gerr(GROWTH_EINVAL,
                    "%s: shard %zu's reply is to request kind %g of round %g, expected kind %d of round %llu",
                    who, w, r[RP_KIND], r[RP_ROUND], kind, (unsigned long long)c->round);
    if (r[RP_K] != (double)K)
        return gerr(GROWTH_EINVAL, "%s: shard %zu has %g budgets, the problem has %zu", who, w, r[RP_K], K);
    if (!(r[RP_NUSERS] >= 1 && r[RP_NUSERS] <= (double)c->n_users && r[RP_NOPTS] >= 0 &&
          r[RP_NOPTS] <= (double)c->n_opts))
        return gerr(GROWTH_EINVAL,
                    "%s: shard %zu reports %g users and %g options (the problem has %llu and %llu)", who, w,
                    r[RP_NUSERS], r[RP_NOPTS], (unsigned long long)c->n_users, (unsigned long long)c->n_opts);
    if (c->sh_users[w] != UINT64_MAX &&
        (r[RP_NUSERS] != (double)c->sh_users[w] || r[RP_NOPTS] != (double)c->sh_opts[w]))
        return gerr(GROWTH_EINVAL, "%s: shard %zu reports %g users and %g options, before %llu and %llu", who,
                    w, r[RP_NUSERS], r[RP_NOPTS], (unsigned long long)c->sh_users[w],
                    (unsigned long long)c->sh_opts[w]);
    const double *b = r + RP_BODY;
    size_t m = n - RP_BODY, want = 0, nu = (size_t)r[RP_NUSERS];
#define CNT(x, hi) ((x) >= 0 && (x) <= (double)(hi) && (x) == floor(x))
    switch (kind) {
    case MQ_HIST:
    case MQ_SEG: {
        bool ship = kind == MQ_SEG && c->phase == PH_SEG_SHIP;
        size_t at = kind == MQ_HIST ? 2 : 1;
        size_t nbk = kind == MQ_HIST ? ((size_t)1 << lv_bits[0]) : ((size_t)1 << MQ_SUBBITS);
        if (m < at || !CNT(b[at - 1], ship ? c->sh_cnt[w] : nbk)) break;
        want = at + 2 * (size_t)b[at - 1];
        if (m != want) break;
        for (size_t q = 0; q < (size_t)b[at - 1]; q++) {
            if (!(b[at + 2 * q] >= 0))
                return gerr(GROWTH_EINVAL, "%s: shard %zu: a negative cost sum", who, w);
            if (ship) continue;
            size_t bk;
            uint64_t ct;
            unpack(b[at + 2 * q + 1], &bk, &ct);
            if (!(b[at + 2 * q + 1] >= 0) || bk >= nbk || ct == 0)
                return gerr(GROWTH_EINVAL, "%s: shard %zu: histogram entry %zu is malformed", who, w, q);
        }
        return GROWTH_OK;
    }
    case MQ_EVAL: want = 1; break;
    case MQ_ASSIGN: want = 2 * (K + 2) + 2; break;
    case MQ_PASSIGN: want = 2 * (K + 1) + 2; break;
    case MQ_FILL2: want = K + 2; break;
    case MQ_APPLY: want = 0; break;
    case MQ_SCAN: {
        size_t h = 2 * (K + 1);
        if (m < h + 3 || !CNT(b[h], nu) || !CNT(b[h + 1], c->n_opts) || !CNT(b[h + 2], 1)) break;
        want = h + 3;
        size_t u = (size_t)b[h], o = (size_t)b[h + 1];
        if (b[h + 2] == 0) break;
        if (u > GROWTH_MCKP_LP_MAX_USERS || o > GROWTH_MCKP_LP_MAX_OPTIONS) break;
        want += 2 * u + o * (1 + K);
        if (m != want) break;
        size_t tot = 0;
        for (size_t a = 0; a < u; a++) {
            if (!CNT(b[h + 3 + a], nu - 1) || !CNT(b[h + 3 + u + a], o))
                return gerr(GROWTH_EINVAL, "%s: shard %zu: undecided user %zu is malformed", who, w, a);
            tot += (size_t)b[h + 3 + u + a];
        }
        if (tot != o)
            return gerr(GROWTH_EINVAL, "%s: shard %zu: undecided option counts sum to %zu, not %zu", who, w,
                        tot, o);
        for (size_t q = h + 3 + 2 * u; q < m; q++)
            if (b[q] < 0) return gerr(GROWTH_EINVAL, "%s: shard %zu: a negative value or cost", who, w);
        return GROWTH_OK;
    }
    case MQ_REPAIR:
    case MQ_FILL1: {
        size_t width = kind == MQ_REPAIR ? 3 + K : 7, lim = kind == MQ_REPAIR ? REPAIR_PAGE : FILL_PAGE;
        if (m < 2 || !CNT(b[0], lim) || !CNT(b[1], 1)) break;
        want = 2 + width * (size_t)b[0];
        if (m != want) break;
        for (size_t q = 0; q < (size_t)b[0]; q++)
            if (!CNT(b[2 + q * width + 1], nu - 1))
                return gerr(GROWTH_EINVAL, "%s: shard %zu: row %zu names user %g", who, w, q,
                            b[2 + q * width + 1]);
        return GROWTH_OK;
    }
    default: break;
    }
#undef CNT
    if (m != want)
        return gerr(GROWTH_EINVAL,
                    "%s: reply of shard %zu to a request of kind %d has %zu doubles, malformed", who, w, kind,
                    n);
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_coord_feed(growth_mckp_coord *c, size_t shard, const double *reply, size_t n)
{
    static const char *who = "growth_mckp_coord_feed";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, reply);
    if (shard >= c->W) return gerr(GROWTH_EINVAL, "%s: shard %zu of %zu", who, shard, c->W);
    if (c->phase == PH_FAILED || c->phase == PH_DONE || c->phase == PH_START)
        return gerr(GROWTH_ESTATE, "%s: no request is outstanding (the solve has %s)", who,
                    c->phase == PH_START  ? "not started: call growth_mckp_coord_next first"
                    : c->phase == PH_DONE ? "finished"
                                          : "failed");
    if (!c->waiting[shard])
        return gerr(GROWTH_ESTATE, "%s: shard %zu has no request outstanding in round %llu", who, shard,
                    (unsigned long long)c->round);
    int rc = check_reply(c, shard, reply, n);
    if (rc) return rc;
    dvec *r = &c->rep[shard];
    r->n = 0;
    if (dv_reserve(r, n)) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    memcpy(r->d, reply, n * sizeof *reply);
    r->n = n;
    c->sh_users[shard] = (uint64_t)reply[RP_NUSERS];
    c->sh_opts[shard] = (uint64_t)reply[RP_NOPTS];
    c->waiting[shard] = false;
    c->outstanding--;
    c->st.doubles_from_shards += n;
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_coord_fail(growth_mckp_coord *c, size_t shard, int code, const char *message)
{
    static const char *who = "growth_mckp_coord_fail";
    GROWTH_CHECK_NULL(who, c);
    if (shard >= c->W) return gerr(GROWTH_EINVAL, "%s: shard %zu of %zu", who, shard, c->W);
    if (code >= 0 || code < GROWTH_ECANCELED)
        return gerr(GROWTH_EINVAL, "%s: code %d is not a failure status", who, code);
    if (c->phase == PH_DONE) return gerr(GROWTH_ESTATE, "%s: the solve has finished", who);
    if (c->phase == PH_FAILED) return GROWTH_OK; /* the first failure stands */
    c->phase = PH_FAILED;
    c->fail_rc = code;
    snprintf(c->fail_msg, sizeof c->fail_msg, "growth_mckp_coord: shard %zu failed in round %llu: %s", shard,
             (unsigned long long)c->round, message ? message : growth_strerror(code));
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_coord_cancel(growth_mckp_coord *c)
{
    GROWTH_CHECK_NULL("growth_mckp_coord_cancel", c);
    atomic_store(&c->cancel, 1);
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_coord_result_get(const growth_mckp_coord *c, growth_mckp_result *out)
{
    static const char *who = "growth_mckp_coord_result_get";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, out);
    if (out->struct_size < sizeof(growth_mckp_result))
        return gerr(
            GROWTH_EINVAL,
            "%s: out->struct_size is %u, expected at least %zu (initialise it with GROWTH_MCKP_RESULT_INIT)",
            who, out->struct_size, sizeof(growth_mckp_result));
    if (c->phase != PH_DONE)
        return gerr(GROWTH_ESTATE, "%s: the solve has %s", who,
                    c->phase == PH_FAILED ? "failed" : "not finished");
    return gstruct_out(who, "out", out, &c->res, sizeof c->res, sizeof c->res);
}

GROWTH_API int growth_mckp_coord_duals(const growth_mckp_coord *c, double *out_lambda, double *out_spend,
                                       size_t cap)
{
    static const char *who = "growth_mckp_coord_duals";
    GROWTH_CHECK_NULL(who, c);
    if (c->phase != PH_DONE)
        return gerr(GROWTH_ESTATE, "%s: the solve has %s", who,
                    c->phase == PH_FAILED ? "failed" : "not finished");
    if (cap < c->K) return gerr(GROWTH_EBUFS, "%s: cap %zu < %zu budgets", who, cap, c->K);
    if (out_lambda) memcpy(out_lambda, c->best_l, c->K * sizeof(double));
    if (out_spend) memcpy(out_spend, c->spend, c->K * sizeof(double));
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_coord_stats_get(const growth_mckp_coord *c, growth_mckp_coord_stats *out)
{
    static const char *who = "growth_mckp_coord_stats_get";
    GROWTH_CHECK_NULL(who, c);
    GROWTH_CHECK_NULL(who, out);
    return gstruct_out(who, "out", out, &c->st, sizeof c->st, sizeof c->st);
}
