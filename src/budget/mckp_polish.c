/* MCKP polish, the exact LP with several budgets.
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
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "budget_impl.h"

#define POLISH_STEPS 60

/* Best option of a user at lambda (-1 = none) and whether it stays best for every price
 * within delta of lambda (per coordinate, prices >= 0). */
static int user_box(const mckp_prob *p, uint64_t o, int m, const double *lambda, double delta, double *r_of,
                    bool *stable)
{
    size_t K = p->K;
    int bj = -1;
    double br = 0;
    for (int j = 0; j < m; j++) {
        const double *c = p->c + (o + (uint64_t)j) * K;
        double r = p->v[o + j];
        for (size_t l = 0; l < K; l++) r -= lambda[l] * c[l];
        r_of[j] = r;
        if (r > br) {
            br = r;
            bj = j;
        }
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
int mckp_polish_scan(const mckp_prob *p, const double *center, double delta, int32_t *choice, uint64_t *und,
                     size_t cap, size_t *n_und, size_t *n_opt, double *fixed)
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
int mckp_restricted_lp(const mckp_prob *sub, const double *budgets, const double *fixed, const double *center,
                       double delta, double *x_out, double *lambda, double *lp_value, bool *exact)
{
    size_t K = sub->K, nA = sub->n, cols = sub->indptr[nA] - sub->indptr[0];
    size_t rows = K + nA, ncol = cols + 2 * K;
    double *M = calloc(rows * ncol, sizeof *M), *bb = malloc(rows * sizeof *bb);
    double *cc = malloc(ncol * sizeof *cc), *x = malloc(ncol * sizeof *x);
    double *y = malloc(rows * sizeof *y);
    int rc = GROWTH_OK;
    if (!M || !bb || !cc || !x || !y) {
        rc = gerr(GROWTH_ENOMEM, "mckp: out of memory");
        goto out;
    }
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
    if (st == GSIMPLEX_NOMEM) {
        rc = gerr(GROWTH_ENOMEM, "mckp: out of memory");
        goto out;
    }
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
    free(M);
    free(bb);
    free(cc);
    free(x);
    free(y);
    return rc;
}

/* Rounds the restricted LP's users down: the option with x = 1, else none. Returns how many
 * were split between options. */
uint32_t mckp_round_down(const uint64_t *indptr, size_t nA, const double *x, int32_t *pick)
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

/* Copies the undecided users' options into their own CSR (indptr nA + 1, v, c). */
static int gather_sub(const mckp_prob *p, const uint64_t *und, size_t nA, size_t n_opt, mckp_prob *sub,
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
    *sub = (mckp_prob){*ip, nA, K, *v, *c, 0};
    return GROWTH_OK;
}

int mckp_lp_polish(const mckp_prob *p, const double *lambda0, const double *budgets, int32_t *choice,
                   polish_out *po, bool *ok)
{
    size_t K = p->K;
    *ok = false;
    uint64_t *und = malloc(GROWTH_MCKP_LP_MAX_USERS * sizeof *und);
    if (!und) return gerr(GROWTH_ENOMEM, "mckp: out of memory");
    double center[MAX_BUDGETS], lmax = 0, fixed[MAX_BUDGETS + 1];
    for (size_t l = 0; l < K; l++) {
        center[l] = lambda0[l];
        lmax = fmax(lmax, lambda0[l]);
    }
    double delta = GROWTH_MCKP_LP_DELTA0 * fmax(lmax, 1e-9);
    int rc = GROWTH_OK;
    for (uint32_t step = 0, shrink = 0; step < POLISH_STEPS; step++) {
        size_t nA, n_opt;
        if ((rc = mckp_polish_scan(p, center, delta, choice, und, GROWTH_MCKP_LP_MAX_USERS, &nA, &n_opt,
                                   fixed)))
            break;
        if (nA > GROWTH_MCKP_LP_MAX_USERS || n_opt > GROWTH_MCKP_LP_MAX_OPTIONS) {
            /* too many users near a tie: start with a smaller box, never shrink a moved one */
            if (step > 0 || ++shrink > 8) break;
            delta /= 8;
            step--;
            continue;
        }
        mckp_prob sub;
        uint64_t *ip = NULL;
        double *v = NULL, *c = NULL, *x = malloc((n_opt ? n_opt : 1) * sizeof *x), lam[MAX_BUDGETS], lpv;
        bool exact = false;
        if (!x) rc = gerr(GROWTH_ENOMEM, "mckp: out of memory");
        if (!rc) rc = gather_sub(p, und, nA, n_opt, &sub, &ip, &v, &c);
        if (!rc) rc = mckp_restricted_lp(&sub, budgets, fixed, center, delta, x, lam, &lpv, &exact);
        if (!rc && exact) {
            int32_t *pick = malloc((nA ? nA : 1) * sizeof *pick);
            if (!pick)
                rc = gerr(GROWTH_ENOMEM, "mckp: out of memory");
            else {
                po->fractional = mckp_round_down(ip, nA, x, pick);
                for (size_t a = 0; a < nA; a++) choice[und[a]] = pick[a];
                memcpy(po->lambda, lam, K * sizeof *lam);
                po->lp_value = lpv;
                *ok = true;
                free(pick);
            }
        }
        free(ip);
        free(v);
        free(c);
        free(x);
        if (rc == GROWTH_ESTATE) {
            rc = GROWTH_OK;
            break;
        } /* keep the descent's answer */
        if (rc || *ok) break;
        memcpy(center, lam, K * sizeof *lam);
        delta *= 2;
    }
    free(und);
    return rc;
}
