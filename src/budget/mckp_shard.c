/* The MCKP shard protocol (growth/sys/budget.h): a distributed driver evaluates duals, assigns,
 * scans a price box and solves the restricted LP shard by shard with these calls. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

GROWTH_API int growth_mckp_shard_eval(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *lambda, size_t n_points, double *out_spend,
                                      double *out_value, double *out_dual)
{
    static const char *who = "growth_mckp_shard_eval";
    GROWTH_CHECK_NULL(who, s);
    mckp_prob p;
    int rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if (n_points == 0 || n_points > ((size_t)1 << 20))
        return gerr(GROWTH_EINVAL, "%s: n_points = %zu, must be 1..2^20", who, n_points);
    if ((rc = mckp_validate_prices(who, lambda, n_points * n_budgets))) return rc;
    atomic_store(&s->cancel, 0);
    mckp_runner r;
    if ((rc = mckp_runner_init(&r, s, &p, n_points))) return rc;
    size_t K = n_budgets, w = K + 2;
    for (int t = 0; t < r.nt; t++) {
        r.tasks[t].mode = P_EVAL;
        r.tasks[t].np = n_points;
        r.tasks[t].lambda = lambda;
    }
    if ((rc = mckp_run_pass(&r, mckp_eval_worker)) == GROWTH_OK) {
        for (size_t q = 0; q < n_points; q++) {
            double acc[MAX_BUDGETS + 2] = {0};
            for (int t = 0; t < r.nt; t++)
                for (size_t l = 0; l < w; l++) acc[l] += r.tasks[t].acc[q * w + l];
            if (out_spend) memcpy(out_spend + q * K, acc, K * sizeof(double));
            if (out_value) out_value[q] = acc[K];
            if (out_dual) out_dual[q] = acc[K + 1];
        }
    }
    mckp_runner_free(&r);
    return rc;
}

GROWTH_API int growth_mckp_shard_assign(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                        const double *values, const double *costs, size_t n_budgets,
                                        const double *lambda, int32_t *out_choice, size_t choice_cap,
                                        double *out_spend, double *out_value)
{
    static const char *who = "growth_mckp_shard_assign";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out_choice);
    mckp_prob p;
    int rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if ((rc = mckp_validate_prices(who, lambda, n_budgets))) return rc;
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    atomic_store(&s->cancel, 0);
    mckp_runner r;
    if ((rc = mckp_runner_init(&r, s, &p, 1))) return rc;
    double spend[MAX_BUDGETS], value;
    uint64_t chosen, ties;
    rc = mckp_assign(&r, lambda, out_choice, spend, &value, NULL, &chosen, &ties);
    if (rc == GROWTH_OK) {
        if (out_spend) memcpy(out_spend, spend, n_budgets * sizeof(double));
        if (out_value) *out_value = value;
    }
    mckp_runner_free(&r);
    return rc;
}

static int validate_box(const char *who, const double *center, size_t K, double delta)
{
    int rc = mckp_validate_prices(who, center, K);
    if (rc) return rc;
    if (!(delta > 0 && delta <= DBL_MAX_SAFE))
        return gerr(GROWTH_EINVAL, "%s: delta is %g (must be finite and > 0)", who, delta);
    return GROWTH_OK;
}

GROWTH_API int growth_mckp_shard_scan(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *center, double delta, int32_t *out_choice,
                                      size_t choice_cap, uint64_t *out_undecided, size_t undecided_cap,
                                      size_t *out_n_undecided, size_t *out_n_options, double *out_fixed)
{
    static const char *who = "growth_mckp_shard_scan";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, out_choice);
    GROWTH_CHECK_NULL(who, out_n_undecided);
    GROWTH_CHECK_NULL(who, out_n_options);
    GROWTH_CHECK_NULL(who, out_fixed);
    if (undecided_cap > 0 && !out_undecided)
        return gerr(GROWTH_EINVAL, "%s: out_undecided is NULL with undecided_cap = %zu", who, undecided_cap);
    mckp_prob p;
    int rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p);
    if (rc) return rc;
    if ((rc = validate_box(who, center, n_budgets, delta))) return rc;
    if (choice_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: out_choice holds %zu entries, %zu users", who, choice_cap, n_users);
    return mckp_polish_scan(&p, center, delta, out_choice, out_undecided, undecided_cap, out_n_undecided,
                            out_n_options, out_fixed);
}

GROWTH_API int growth_mckp_restricted_lp(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                         const double *values, const double *costs, size_t n_budgets,
                                         const double *budgets, const double *fixed, const double *center,
                                         double delta, int32_t *out_pick, size_t pick_cap, double *out_lambda,
                                         double *out_lp_value, int *out_exact, uint32_t *out_fractional)
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
    mckp_prob p;
    int rc;
    if (n_users == 0) { /* nobody undecided: the LP has only the elastic columns */
        static const uint64_t zero = 0;
        static const double none = 0;
        if (n_budgets == 0 || n_budgets > MAX_BUDGETS)
            return gerr(GROWTH_EINVAL, "%s: n_budgets = %zu, must be 1..%d", who, n_budgets, MAX_BUDGETS);
        p = (mckp_prob){&zero, 0, n_budgets, &none, &none, 0};
    } else if ((rc = mckp_validate(who, indptr, n_users, values, costs, n_budgets, &p))) {
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
    if (!ip || !x) {
        free(ip);
        free(x);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    for (size_t i = 0; i <= n_users; i++) ip[i] = p.indptr[i] - p.indptr[0];
    mckp_prob sub = {ip, n_users, n_budgets, p.v + p.indptr[0], p.c + p.indptr[0] * n_budgets, 0};
    double lam[MAX_BUDGETS], lpv;
    bool exact;
    rc = mckp_restricted_lp(&sub, budgets, fixed, center, delta, x, lam, &lpv, &exact);
    if (rc == GROWTH_OK) {
        uint32_t frac = mckp_round_down(ip, n_users, x, out_pick);
        if (out_fractional) *out_fractional = frac;
        memcpy(out_lambda, lam, n_budgets * sizeof *lam);
        *out_lp_value = lpv;
        *out_exact = exact;
    }
    free(ip);
    free(x);
    return rc;
}

/* ---- growth_mckp_shard_step: one request of a coordinated solve (mckp_coord.c) ------------ */

static inline uint64_t skey(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}

static inline uint64_t get_u64(const double *w) { return ((uint64_t)w[0] << 32) | (uint64_t)w[1]; }

static int cmp_seg_order(const void *x, const void *y)
{
    const mckp_seg *a = x, *b = y;
    if (a->slope != b->slope) return a->slope > b->slope ? -1 : 1;
    if (a->user != b->user) return a->user < b->user ? -1 : 1;
    return 0;
}

/* The shard's data, validated once per solve (the arrays must not change during a solve). */
static int step_data(growth_mckp *s, const char *who, uint64_t nonce, const uint64_t *indptr, size_t n,
                     const double *v, const double *c, size_t K, mckp_prob *p)
{
    mckp_shard_valid *sv = &s->sv;
    if (sv->ok && sv->nonce == nonce && sv->ip == indptr && sv->v == v && sv->c == c && sv->n == n &&
        sv->K == K) {
        *p = (mckp_prob){indptr, n, K, v, c, sv->maxm};
        return GROWTH_OK;
    }
    int rc = mckp_validate(who, indptr, n, v, c, K, p);
    if (rc) return rc;
    *sv = (mckp_shard_valid){nonce, indptr, v, c, n, K, p->maxm, true};
    return GROWTH_OK;
}

/* The segments of the level-0 bucket b0 of the line search along k at lambda, sorted steepest
 * first: from the handle's cache, else one pass over the users. */
static int step_cache(growth_mckp *s, const mckp_prob *p, uint64_t nonce, size_t k, const double *lambda,
                      uint64_t b0)
{
    mckp_shard_cache *sc = &s->sc;
    if (sc->ok && sc->nonce == nonce && sc->prefix == b0 && sc->k == k && sc->K == p->K &&
        sc->ip == p->indptr && sc->v == p->v && sc->c == p->c && sc->n == p->n &&
        memcmp(sc->lambda, lambda, p->K * sizeof(double)) == 0)
        return GROWTH_OK;
    sc->ok = false;
    mckp_runner r;
    int rc = mckp_runner_init(&r, s, p, 1);
    if (rc) return rc;
    for (int t = 0; t < r.nt; t++) {
        mckp_task *tk = &r.tasks[t];
        tk->k = k;
        tk->lambda = lambda;
        tk->mode = P_COLLECT;
        tk->level = 0;
        tk->prefix = b0;
        tk->nseg = 0;
    }
    if ((rc = mckp_run_pass(&r, mckp_line_worker)) == GROWTH_OK) {
        size_t n = 0;
        for (int t = 0; t < r.nt; t++) n += r.tasks[t].nseg;
        mckp_seg *all = malloc((n ? n : 1) * sizeof *all);
        if (!all)
            rc = gerr(GROWTH_ENOMEM, "growth_mckp_shard_step: out of memory for %zu segments", n);
        else {
            n = 0;
            for (int t = 0; t < r.nt; t++) {
                if (r.tasks[t].nseg) memcpy(all + n, r.tasks[t].segs, r.tasks[t].nseg * sizeof *all);
                n += r.tasks[t].nseg;
            }
            qsort(all, n, sizeof *all, cmp_seg_order);
            free(sc->segs);
            *sc = (mckp_shard_cache){nonce, b0, k, p->K, p->indptr, p->v, p->c, p->n, {0}, all, n, true};
            memcpy(sc->lambda, lambda, p->K * sizeof(double));
        }
    }
    mckp_runner_free(&r);
    return rc;
}

/* Sparse histogram out: (db sum, bucket * 2^36 + count) for every non-empty bucket. */
static size_t put_hist(double *out, const double *hist, const uint64_t *cnt, size_t nb)
{
    size_t q = 0;
    for (size_t b = 0; b < nb; b++) {
        if (!cnt[b]) continue;
        out[2 * q] = hist[b];
        out[2 * q + 1] = (double)b * MQ_PACK + (double)cnt[b];
        q++;
    }
    return q;
}

static int step_hist(growth_mckp *s, const mckp_prob *p, size_t k, const double *lambda, double *out,
                     size_t *len)
{
    mckp_runner r;
    int rc = mckp_runner_init(&r, s, p, 1);
    if (rc) return rc;
    size_t nb = (size_t)1 << lv_bits[0];
    for (int t = 0; t < r.nt && !rc; t++) {
        mckp_task *tk = &r.tasks[t];
        tk->hist = calloc(nb, sizeof(double));
        tk->cnt = calloc(nb, sizeof(uint64_t));
        if (!tk->hist || !tk->cnt) rc = gerr(GROWTH_ENOMEM, "growth_mckp_shard_step: out of memory");
        tk->k = k;
        tk->lambda = lambda;
        tk->mode = P_HIST;
        tk->level = 0;
        tk->prefix = 0;
        tk->total_db = 0;
    }
    if (!rc) rc = mckp_run_pass(&r, mckp_line_worker);
    if (!rc) {
        double total = 0;
        for (int t = 0; t < r.nt; t++) total += r.tasks[t].total_db;
        for (int t = 1; t < r.nt; t++)
            for (size_t b = 0; b < nb; b++) {
                r.tasks[0].hist[b] += r.tasks[t].hist[b];
                r.tasks[0].cnt[b] += r.tasks[t].cnt[b];
            }
        out[0] = total;
        size_t q = put_hist(out + 2, r.tasks[0].hist, r.tasks[0].cnt, nb);
        out[1] = (double)q;
        *len = 2 + 2 * q;
    }
    mckp_runner_free(&r);
    return rc;
}

/* Gksum (s, c) pairs out. */
static void put_ks(double *out, const gksum *ks, size_t n)
{
    for (size_t l = 0; l < n; l++) {
        out[2 * l] = ks[l].s;
        out[2 * l + 1] = ks[l].c;
    }
}

/* Spend, value (compensated) and chosen count of a plan, as plan_totals() in mckp.c. */
static uint64_t step_totals(const mckp_prob *p, const int32_t *choice, gksum *ks)
{
    memset(ks, 0, (p->K + 1) * sizeof *ks);
    uint64_t chosen = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (choice[i] < 0) continue;
        uint64_t o = p->indptr[i] + (uint64_t)choice[i];
        for (size_t l = 0; l < p->K; l++) gk_add(&ks[l], p->c[o * p->K + l]);
        gk_add(&ks[p->K], p->v[o]);
        chosen++;
    }
    return chosen;
}

static int step_eval_dual(growth_mckp *s, const mckp_prob *p, const double *lambda, double *dual)
{
    mckp_runner r;
    int rc = mckp_runner_init(&r, s, p, 1);
    if (rc) return rc;
    for (int t = 0; t < r.nt; t++) {
        r.tasks[t].mode = P_EVAL;
        r.tasks[t].np = 1;
        r.tasks[t].lambda = lambda;
    }
    if ((rc = mckp_run_pass(&r, mckp_eval_worker)) == GROWTH_OK) {
        double d = 0;
        for (int t = 0; t < r.nt; t++) d += r.tasks[t].acc[p->K + 1];
        *dual = d;
    }
    mckp_runner_free(&r);
    return rc;
}

typedef struct {
    double score;
    uint64_t user;
    uint64_t o;
} step_drop;

static int cmp_step_drop(const void *x, const void *y)
{
    const step_drop *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    return a->user < b->user ? -1 : (a->user > b->user);
}

static int step_repair(const mckp_prob *p, const int32_t *plan, const double *body, double *out, size_t *len)
{
    size_t K = p->K, lim = (size_t)body[3 * K + 3];
    const double *lambda = body, *budgets = body + 2 * K;
    bool over[MAX_BUDGETS];
    for (size_t l = 0; l < K; l++) over[l] = body[K + l] != 0;
    bool cursor = body[3 * K] != 0;
    double cs = body[3 * K + 1], cu = body[3 * K + 2];
    size_t n = 0, cap = 1024;
    step_drop *d = malloc(cap * sizeof *d);
    if (!d) return gerr(GROWTH_ENOMEM, "growth_mckp_shard_step: out of memory");
    for (size_t i = 0; i < p->n; i++) {
        if (plan[i] < 0) continue;
        uint64_t o = p->indptr[i] + (uint64_t)plan[i];
        double score;
        if (!mckp_drop_score(p, o, lambda, over, budgets, &score)) continue;
        if (cursor && (score < cs || (score == cs && (double)i <= cu))) continue;
        if (n == cap) {
            step_drop *nd = realloc(d, 2 * cap * sizeof *nd);
            if (!nd) {
                free(d);
                return gerr(GROWTH_ENOMEM, "growth_mckp_shard_step: out of memory");
            }
            d = nd;
            cap *= 2;
        }
        d[n++] = (step_drop){score, i, o};
    }
    qsort(d, n, sizeof *d, cmp_step_drop);
    out[1] = n > lim;
    if (n > lim) n = lim;
    out[0] = (double)n;
    double *row = out + 2;
    for (size_t q = 0; q < n; q++, row += 3 + K) {
        row[0] = d[q].score;
        row[1] = (double)d[q].user;
        row[2] = p->v[d[q].o];
        memcpy(row + 3, p->c + d[q].o * K, K * sizeof(double));
    }
    *len = 2 + n * (3 + K);
    free(d);
    return GROWTH_OK;
}

/* Applies a request's edits to the plan. */
static void step_edits(int32_t *plan, const double *e, size_t n_edit)
{
    for (size_t q = 0; q < n_edit; q++) plan[(size_t)e[2 * q]] = (int32_t)e[2 * q + 1];
}

GROWTH_API int growth_mckp_shard_step(growth_mckp *s, const uint64_t *indptr, size_t n_users,
                                      const double *values, const double *costs, size_t n_budgets,
                                      const double *request, size_t request_n, int32_t *plan, size_t plan_cap,
                                      double *out_reply, size_t reply_cap, size_t *out_n)
{
    static const char *who = "growth_mckp_shard_step";
    GROWTH_CHECK_NULL(who, s);
    GROWTH_CHECK_NULL(who, request);
    GROWTH_CHECK_NULL(who, plan);
    GROWTH_CHECK_NULL(who, out_n);
    GROWTH_CHECK_NULL(who, indptr);
    if (request_n < RQ_BODY)
        return gerr(GROWTH_EINVAL, "%s: request of %zu doubles, a request has at least %d", who, request_n,
                    (int)RQ_BODY);
    for (size_t q = 0; q < request_n; q++)
        if (isnan(request[q]))
            return gerr(GROWTH_EINVAL, "%s: request[%zu] is NaN (not a request of growth_mckp_coord)", who,
                        q);
    if (request[RQ_VER] != MQ_VER)
        return gerr(GROWTH_EINVAL, "%s: request of protocol version %g, this library speaks %d", who,
                    request[RQ_VER], MQ_VER);
    int kind = request[RQ_KIND] >= 1 && request[RQ_KIND] < MQ_KINDS ? (int)request[RQ_KIND] : 0;
    if (kind == 0 || (double)kind != request[RQ_KIND])
        return gerr(GROWTH_EINVAL, "%s: unknown request kind %g", who, request[RQ_KIND]);
    if (request[RQ_K] != (double)n_budgets)
        return gerr(GROWTH_EINVAL, "%s: the request is for %g budgets, the shard has n_budgets = %zu", who,
                    request[RQ_K], n_budgets);
    if (n_budgets == 0 || n_budgets > MAX_BUDGETS)
        return gerr(GROWTH_EINVAL, "%s: n_budgets = %zu, must be 1..%d", who, n_budgets, MAX_BUDGETS);
    size_t K = n_budgets, body = mq_body_len(kind, K);
    double ne = request[RQ_NEDIT], capd = request[RQ_CAP];
    if (!(ne >= 0 && ne == floor(ne) && ne <= (double)(request_n / 2)) ||
        request_n != RQ_BODY + body + 2 * (size_t)ne)
        return gerr(GROWTH_EINVAL, "%s: request of %zu doubles, its header says %zu + %g edits", who,
                    request_n, RQ_BODY + body, ne);
    if (!(capd >= RP_BODY && capd <= 1e15))
        return gerr(GROWTH_EINVAL, "%s: reply capacity %g in the request is invalid", who, capd);
    size_t n_edit = (size_t)ne, need = (size_t)capd;
    const double *b = request + RQ_BODY, *edits = b + body;
    uint64_t nonce = (uint64_t)request[RQ_NONCE];
    for (size_t q = 0; q < n_edit; q++)
        if (!(edits[2 * q] >= 0 && edits[2 * q] < (double)n_users && edits[2 * q + 1] >= -1 &&
              edits[2 * q + 1] == floor(edits[2 * q + 1])))
            return gerr(GROWTH_EINVAL, "%s: edit %zu (user %g, option %g) is out of range for %zu users", who,
                        q, edits[2 * q], edits[2 * q + 1], n_users);
    mckp_prob p;
    int rc = step_data(s, who, nonce, indptr, n_users, values, costs, K, &p);
    if (rc) return rc;
    for (size_t q = 0; q < n_edit; q++)
        if (edits[2 * q + 1] >= (double)(indptr[(size_t)edits[2 * q] + 1] - indptr[(size_t)edits[2 * q]]))
            return gerr(
                GROWTH_EINVAL, "%s: edit %zu gives user %g option %g, it has %llu", who, q, edits[2 * q],
                edits[2 * q + 1],
                (unsigned long long)(indptr[(size_t)edits[2 * q] + 1] - indptr[(size_t)edits[2 * q]]));
    /* prices in the body must be finite and >= 0 */
    const double *prices = NULL;
    size_t np = 0;
    switch (kind) {
    case MQ_HIST:
    case MQ_SEG:
    case MQ_FILL1: prices = b + 1, np = K; break;
    case MQ_EVAL:
    case MQ_ASSIGN:
    case MQ_REPAIR: prices = b, np = K; break;
    case MQ_SCAN:
    case MQ_PASSIGN: prices = b, np = K + 1; break;
    default: break;
    }
    if (prices && (rc = mckp_validate_prices(who, prices, np))) return rc;
    if ((kind == MQ_HIST || kind == MQ_SEG || kind == MQ_FILL1) && !(b[0] >= 0 && b[0] < (double)K))
        return gerr(GROWTH_EINVAL, "%s: coordinate %g of the request is not a budget", who, b[0]);
    if (plan_cap < n_users)
        return gerr(GROWTH_EBUFS, "%s: plan holds %zu entries, %zu users", who, plan_cap, n_users);
    if (reply_cap < need) {
        *out_n = need;
        return gerr(GROWTH_EBUFS, "%s: out_reply holds %zu doubles, the request needs %zu", who, reply_cap,
                    need);
    }
    GROWTH_CHECK_NULL(who, out_reply);
    atomic_store(&s->cancel, 0);
    double *out = out_reply + RP_BODY;
    size_t len = 0;
    if (kind != MQ_PASSIGN) step_edits(plan, edits, n_edit);
    switch (kind) {
    case MQ_HIST: rc = step_hist(s, &p, (size_t)b[0], b + 1, out, &len); break;
    case MQ_SEG:
    case MQ_FILL1: {
        size_t k = (size_t)b[0];
        const double *q = b + 1 + K;
        rc = step_cache(s, &p, nonce, k, b + 1, (uint64_t)q[0]);
        if (rc) break;
        uint64_t prefix = get_u64(q + 1);
        int shift = (int)q[3];
        if (shift < 0 || shift > 48) {
            rc = gerr(GROWTH_EINVAL, "%s: shift %d out of range", who, shift);
            break;
        }
        const mckp_shard_cache *sc = &s->sc;
        if (kind == MQ_SEG && q[4] == 0) { /* histogram of the next bits */
            double hist[1 << MQ_SUBBITS] = {0};
            uint64_t cnt[1 << MQ_SUBBITS] = {0};
            int sub = shift - MQ_SUBBITS;
            for (size_t e = 0; e < sc->nseg; e++) {
                uint64_t key = skey(sc->segs[e].slope);
                if ((key >> shift) != prefix) continue;
                size_t bk = (size_t)((key >> sub) & ((1u << MQ_SUBBITS) - 1));
                hist[bk] += sc->segs[e].db;
                cnt[bk]++;
            }
            size_t nq = put_hist(out + 1, hist, cnt, (size_t)1 << MQ_SUBBITS);
            out[0] = (double)nq;
            len = 1 + 2 * nq;
        } else if (kind == MQ_SEG) { /* ship the bucket's (slope, db) */
            size_t nq = 0;
            for (size_t e = 0; e < sc->nseg; e++) {
                if ((skey(sc->segs[e].slope) >> shift) != prefix) continue;
                if (RP_BODY + 1 + 2 * nq + 2 > need) {
                    rc = gerr(GROWTH_EINVAL, "%s: more segments in the bucket than the request allows", who);
                    break;
                }
                out[1 + 2 * nq] = sc->segs[e].slope;
                out[2 + 2 * nq] = sc->segs[e].db;
                nq++;
            }
            out[0] = (double)nq;
            len = 1 + 2 * nq;
        } else { /* fill phase 1 candidates */
            double ts = q[4], left = q[5], cs = q[7], cu = q[8];
            bool cursor = q[6] != 0;
            size_t lim = need > RP_BODY + 2 ? (need - RP_BODY - 2) / 7 : 0, nq = 0;
            double more = 0;
            for (size_t e = 0; e < sc->nseg; e++) {
                const mckp_seg *g = &sc->segs[e];
                if ((skey(g->slope) >> shift) != prefix || g->slope > ts || g->db > left) continue;
                if (cursor && (g->slope > cs || (g->slope == cs && (double)g->user <= cu))) continue;
                if (nq == lim) {
                    more = 1;
                    break;
                }
                double *row = out + 2 + 7 * nq++;
                row[0] = g->slope;
                row[1] = (double)g->user;
                row[2] = g->db;
                row[3] = g->da;
                row[4] = g->from;
                row[5] = g->to;
                row[6] = plan[g->user];
            }
            out[0] = (double)nq;
            out[1] = more;
            len = 2 + 7 * nq;
        }
        break;
    }
    case MQ_EVAL:
        rc = step_eval_dual(s, &p, b, out);
        len = 1;
        break;
    case MQ_ASSIGN: {
        mckp_runner r;
        if ((rc = mckp_runner_init(&r, s, &p, 1))) break;
        for (int t = 0; t < r.nt; t++) {
            mckp_task *tk = &r.tasks[t];
            tk->mode = P_ASSIGN;
            tk->np = 1;
            tk->lambda = b;
            tk->choice = plan;
            tk->chosen = tk->ties = 0;
            memset(tk->ks, 0, sizeof tk->ks);
        }
        if ((rc = mckp_run_pass(&r, mckp_eval_worker)) == GROWTH_OK) {
            gksum tot[MAX_BUDGETS + 2];
            memset(tot, 0, sizeof tot);
            uint64_t chosen = 0, ties = 0;
            for (int t = 0; t < r.nt; t++) {
                for (size_t l = 0; l < K + 2; l++) {
                    gk_add(&tot[l], r.tasks[t].ks[l].s);
                    gk_add(&tot[l], r.tasks[t].ks[l].c);
                }
                chosen += r.tasks[t].chosen;
                ties += r.tasks[t].ties;
            }
            put_ks(out, tot, K + 2);
            out[2 * (K + 2)] = (double)chosen;
            out[2 * (K + 2) + 1] = (double)ties;
            len = 2 * (K + 2) + 2;
        }
        mckp_runner_free(&r);
        break;
    }
    case MQ_SCAN:
    case MQ_PASSIGN: {
        double delta = b[K];
        if (!(delta > 0 && delta <= DBL_MAX_SAFE)) {
            rc = gerr(GROWTH_EINVAL, "%s: delta is %g (must be finite and > 0)", who, delta);
            break;
        }
        size_t capu = kind == MQ_SCAN ? (size_t)b[K + 1] : 0, capo = kind == MQ_SCAN ? (size_t)b[K + 2] : 0;
        uint64_t *und = malloc((capu ? capu : 1) * sizeof *und);
        double fixed[MAX_BUDGETS + 1];
        size_t nu = 0, no = 0;
        if (!und) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
            break;
        }
        rc = mckp_polish_scan(&p, b, delta, plan, und, capu, &nu, &no, fixed);
        if (!rc && kind == MQ_SCAN) {
            gksum ks[MAX_BUDGETS + 1];
            /* the fixed totals again as compensated pairs: rescan them from the plan */
            step_totals(&p, plan, ks);
            put_ks(out, ks, K + 1);
            double *w = out + 2 * (K + 1);
            bool list = nu <= capu && no <= capo;
            w[0] = (double)nu;
            w[1] = (double)no;
            w[2] = list;
            len = 2 * (K + 1) + 3;
            if (list) {
                double *u = w + 3, *cn = u + nu, *vv = cn + nu, *cc = vv + no;
                size_t q = 0;
                for (size_t a = 0; a < nu; a++) {
                    uint64_t i = und[a], o0 = p.indptr[i], o1 = p.indptr[i + 1];
                    u[a] = (double)i;
                    cn[a] = (double)(o1 - o0);
                    for (uint64_t o = o0; o < o1; o++, q++) {
                        vv[q] = p.v[o];
                        memcpy(cc + q * K, p.c + o * K, K * sizeof(double));
                    }
                }
                len += 2 * nu + no * (1 + K);
            }
        } else if (!rc) { /* MQ_PASSIGN: the scan's choices, the LP's picks, totals and dual */
            step_edits(plan, edits, n_edit);
            gksum ks[MAX_BUDGETS + 1];
            uint64_t chosen = step_totals(&p, plan, ks);
            put_ks(out, ks, K + 1);
            out[2 * (K + 1)] = (double)chosen;
            rc = step_eval_dual(s, &p, b + K + 1, out + 2 * (K + 1) + 1);
            len = 2 * (K + 1) + 2;
        }
        free(und);
        break;
    }
    case MQ_REPAIR: rc = step_repair(&p, plan, b, out, &len); break;
    case MQ_FILL2: {
        double left[MAX_BUDGETS], value = b[K];
        uint64_t chosen = (uint64_t)b[K + 1];
        memcpy(left, b, K * sizeof(double));
        mckp_fill_phase2(&p, plan, left, &value, &chosen);
        memcpy(out, left, K * sizeof(double));
        out[K] = value;
        out[K + 1] = (double)chosen;
        len = K + 2;
        break;
    }
    default: break; /* MQ_APPLY: the edits only */
    }
    if (rc) return rc;
    if (atomic_load(&s->cancel)) return gerr(GROWTH_ECANCELED, "%s: cancelled", who);
    out_reply[RP_VER] = MQ_VER;
    out_reply[RP_KIND] = kind;
    out_reply[RP_ROUND] = request[RQ_ROUND];
    out_reply[RP_K] = (double)K;
    out_reply[RP_NUSERS] = (double)n_users;
    out_reply[RP_NOPTS] = (double)(indptr[n_users] - indptr[0]);
    *out_n = RP_BODY + len;
    return GROWTH_OK;
}
