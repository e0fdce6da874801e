#define _POSIX_C_SOURCE 200809L
/* growth demo, uplift step: a randomised red-packet campaign, an uplift model trained on it, and
 * the budget spent on the users a red packet changes (public API only).
 *
 * Users come in four hidden kinds, told apart by two of their features: sure things (buy anyway),
 * persuadables (buy mostly with a packet), sleeping dogs (a packet puts them off) and lost causes.
 * A campaign gives each of 2 packets (5 and 10 yuan) or none at random; a T-learner (one forest
 * per arm) learns the conversion of each arm. On a fresh population the same expected budget is
 * spent twice: by a knapsack on the uplift (growth_uplift_allocate) and by the usual knapsack on
 * the response model's P(buy | packet). The simulator's truth scores both plans. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <growth/growth.h>

#include "cli.h"
#include "demo.h"

enum { UP_FEAT = 6, UP_T = 2 };

static const double up_base[4] = {0.60, 0.05, 0.40, 0.02};    /* P(buy | no packet) by kind */
static const double up_effect[4] = {0.00, 0.35, -0.25, 0.00}; /* change a full-strength packet causes */
static const double up_face[UP_T] = {5, 10};

/* Draws n users: features X (n x UP_FEAT), the true conversion probability of every arm
 * P (n x (UP_T + 1), control first), a random arm and the outcome under it. */
static void up_simulate(demo_rng *r, size_t n, float *X, double *P, int32_t *arm, float *y)
{
    for (size_t i = 0; i < n; i++) {
        float *x = X + i * UP_FEAT;
        for (int j = 0; j < UP_FEAT; j++) x[j] = (float)demo_norm(r);
        int kind = (x[0] > 0) * 2 + (x[1] > 0);
        double base = up_base[kind] + 0.02 * tanh(x[2]);
        double *p = P + i * (UP_T + 1);
        p[0] = base;
        for (int a = 1; a <= UP_T; a++)
            p[a] = fmin(0.995, fmax(0.005, base + up_effect[kind] * (0.6 + 0.4 * a / UP_T)));
        arm[i] = (int32_t)(demo_next(r) % (UP_T + 1));
        y[i] = demo_unif(r) < p[arm[i]] ? 1.0f : 0.0f;
    }
}

/* Expected incremental conversions of a plan (choice -1: no packet) under the truth. */
static double up_true_gain(const int32_t *choice, const double *P, size_t n)
{
    double g = 0;
    for (size_t i = 0; i < n; i++)
        if (choice[i] >= 0) g += P[i * (UP_T + 1) + 1 + choice[i]] - P[i * (UP_T + 1)];
    return g;
}

int demo_uplift(demo_rng *r, int quiet)
{
    const size_t n = 20000;
    float *X = malloc(2 * n * UP_FEAT * sizeof *X), *y = malloc(2 * n * sizeof *y);
    double *P = malloc(2 * n * (UP_T + 1) * sizeof *P);
    int32_t *arm = malloc(2 * n * sizeof *arm), *c_up = malloc(n * sizeof *c_up),
            *c_resp = malloc(n * sizeof *c_resp);
    float *out = malloc(n * (2 * UP_T + 1) * sizeof *out);
    double *val = malloc(n * UP_T * sizeof *val), *cost = malloc(n * UP_T * sizeof *cost);
    double *costs = malloc(n * UP_T * sizeof *costs);
    float *tau = malloc(n * UP_T * sizeof *tau), *redeem = malloc(n * UP_T * sizeof *redeem);
    uint64_t *indptr = malloc((n + 1) * sizeof *indptr);
    growth_uplift *u = NULL;
    growth_mckp *s = NULL;
    int rc = GROWTH_ENOMEM;
    if (!X || !y || !P || !arm || !c_up || !c_resp || !out || !val || !cost || !costs || !tau || !redeem ||
        !indptr)
        goto done;
    /* The campaign (training) and a fresh population (the plan, and its randomised holdout). */
    up_simulate(r, 2 * n, X, P, arm, y);
    growth_uplift_data d = GROWTH_UPLIFT_DATA_INIT;
    d.nrows = n;
    d.ncols = UP_FEAT;
    d.dense = X;
    d.labels = y;
    d.treatment = arm;
    rc = growth_uplift_train(&u, "method=t_learner treatments=2 base_config='num_rounds=50 threads=1'",
                             "max_depth=3 eta=0.1", &d, NULL, NULL);
    if (rc) goto done;
    const float *Xt = X + n * UP_FEAT;
    const double *Pt = P + n * (UP_T + 1);
    float *resp = out + n * UP_T;
    rc = growth_uplift_predict_dense(u, Xt, n, UP_FEAT, 0, tau, n * UP_T);
    if (!rc)
        rc = growth_uplift_predict_dense(u, Xt, n, UP_FEAT, GROWTH_UPLIFT_RESPONSE, resp, n * (UP_T + 1));
    if (rc) goto done;
    double all_cost = 0; /* expected spend of giving everyone the 10-yuan packet */
    for (size_t i = 0; i < n; i++) {
        indptr[i] = i * UP_T;
        for (int a = 0; a < UP_T; a++) {
            size_t e = i * UP_T + (size_t)a;
            double pr = resp[i * (UP_T + 1) + 1 + (size_t)a];
            redeem[e] = (float)pr;
            costs[e] = up_face[a];
            val[e] = pr; /* the response plan values a packet by P(buy | packet) */
            cost[e] = up_face[a] * pr;
        }
        all_cost += up_face[UP_T - 1] * resp[i * (UP_T + 1) + UP_T];
    }
    indptr[n] = n * UP_T;
    double budget = 0.15 * all_cost;
    rc = growth_mckp_create(&s, "threads=2");
    if (!rc) rc = growth_uplift_allocate(s, indptr, n, tau, redeem, costs, budget, "", c_up, n);
    if (!rc) rc = growth_mckp_solve(s, indptr, n, val, cost, 1, &budget, c_resp, n);
    if (rc) goto done;
    double g_up = up_true_gain(c_up, Pt, n), g_resp = up_true_gain(c_resp, Pt, n);
    size_t n_up = 0, n_resp = 0;
    for (size_t i = 0; i < n; i++) n_up += c_up[i] >= 0, n_resp += c_resp[i] >= 0;
    /* Qini coefficient of the 10-yuan packet's uplift on the fresh population's random arms. */
    float *tau10 = out; /* reuse: the first n floats */
    for (size_t i = 0; i < n; i++) tau10[i] = tau[i * UP_T + UP_T - 1];
    double qini = 0, auuc = 0;
    rc = growth_metrics_qini_auc(tau10, y + n, arm + n, n, "arm=2", &qini);
    if (!rc) rc = growth_metrics_uplift_auc(tau10, y + n, arm + n, n, "arm=2", &auuc);
    if (rc) goto done;
    demo_out("\nUplift: a randomised red-packet campaign (%zu users; packets of 5 and 10 yuan or none),\n"
             "  T-learner on forests; plans for %zu new users at an expected spend of %.0f yuan\n",
             n, n, budget);
    demo_out("  Qini coefficient %.4f, AUUC %.4f (10-yuan packet vs none, random holdout)\n", qini, auuc);
    demo_out("  %-34s %8s %12s\n", "plan (same budget)", "users", "incremental");
    demo_out("  %-34s %8zu %12.1f\n", "knapsack on uplift", n_up, g_up);
    demo_out("  %-34s %8zu %12.1f\n", "knapsack on P(buy | packet)", n_resp, g_resp);
    demo_out("  the uplift plan buys %.2fx the incremental conversions\n",
             g_resp > 0 ? g_up / g_resp : INFINITY);
    FILE *rf = demo_report_open("uplift.csv");
    if (rf) {
        fprintf(rf, "uplift,label,treatment\n");
        for (size_t i = 0; i < n; i++) fprintf(rf, "%.6g,%.0f,%d\n", tau10[i], y[n + i], arm[n + i]);
        fclose(rf);
    }
done:
    if (rc) rc = cli_fail("demo: uplift", rc);
    growth_mckp_free(s);
    growth_uplift_free(u);
    free(X);
    free(y);
    free(P);
    free(arm);
    free(c_up);
    free(c_resp);
    free(out);
    free(val);
    free(cost);
    free(costs);
    free(tau);
    free(redeem);
    free(indptr);
    (void)quiet;
    return rc;
}
