/* Budget solving: MCKP against brute-force integer optima and a brute-force LP dual (every
 * candidate price), threads and shards agree, channels against a grid brute force, push
 * against exhaustive enumeration, cancellation, bad input. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core.h"
#include "growth/growth.h"
#define GROWTH_SYS_UNSTABLE /* the shard calls and the exact-LP polish */
#include "growth/sys/budget.h"
#include "gtest.h"

#define RP_K_TEST 3 /* the budget count in a shard reply (mckp_coord.c) */

typedef struct {
    size_t n, m, K;
    uint64_t *indptr;
    double *v, *c, B[4];
} inst;

static void make_inst(inst *I, size_t n, size_t m, size_t K, uint64_t seed, double frac)
{
    grng r;
    grng_seed(&r, seed);
    I->n = n;
    I->m = m;
    I->K = K;
    I->indptr = malloc((n + 1) * sizeof *I->indptr);
    I->v = malloc(n * m * sizeof(double));
    I->c = malloc(n * m * K * sizeof(double));
    size_t o = 0;
    double tot[4] = {0};
    I->indptr[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t mi = 1 + grng_below(&r, m); /* users differ in their number of options */
        for (size_t j = 0; j < mi; j++, o++) {
            for (size_t k = 0; k < K; k++) {
                I->c[o * K + k] = round(grng_uniform(&r) * 1000) / 100;
                tot[k] += I->c[o * K + k];
            }
            I->v[o] = round(grng_uniform(&r) * 500 * sqrt(I->c[o * K] + 0.1)) / 100;
        }
        I->indptr[i + 1] = o;
    }
    for (size_t k = 0; k < K; k++) I->B[k] = round(tot[k] * frac);
}

static void free_inst(inst *I)
{
    free(I->indptr);
    free(I->v);
    free(I->c);
}

/* Exhaustive integer optimum. */
static double brute_int(const inst *I)
{
    size_t n = I->n;
    int ch[16];
    for (size_t i = 0; i < n; i++) ch[i] = -1;
    double best = 0;
    for (;;) {
        double v = 0, sp[4] = {0};
        for (size_t i = 0; i < n; i++)
            if (ch[i] >= 0) {
                uint64_t o = I->indptr[i] + (uint64_t)ch[i];
                v += I->v[o];
                for (size_t k = 0; k < I->K; k++) sp[k] += I->c[o * I->K + k];
            }
        bool ok = true;
        for (size_t k = 0; k < I->K; k++) ok &= sp[k] <= I->B[k];
        if (ok && v > best) best = v;
        size_t i = 0;
        while (i < n) {
            int mi = (int)(I->indptr[i + 1] - I->indptr[i]);
            if (++ch[i] < mi) break;
            ch[i] = -1;
            i++;
        }
        if (i == n) break;
    }
    return best;
}

/* The LP optimum with one budget by brute force over its dual: D(t) = tB + sum_i max(0, max_j
 * v_ij - t c_ij) is convex piecewise linear; its minimum is at 0 or a price where two options
 * of a user (or an option and nothing) tie. */
static double dual_at(const inst *I, double t)
{
    double d = t * I->B[0];
    for (size_t i = 0; i < I->n; i++) {
        double b = 0;
        for (uint64_t o = I->indptr[i]; o < I->indptr[i + 1]; o++) b = fmax(b, I->v[o] - t * I->c[o]);
        d += b;
    }
    return d;
}

static double brute_lp1(const inst *I)
{
    double best = dual_at(I, 0);
    for (size_t i = 0; i < I->n; i++)
        for (uint64_t o = I->indptr[i]; o < I->indptr[i + 1]; o++) {
            if (I->c[o] > 0) best = fmin(best, dual_at(I, I->v[o] / I->c[o]));
            for (uint64_t q = I->indptr[i]; q < I->indptr[i + 1]; q++)
                if (I->c[q] > I->c[o] && I->v[q] > I->v[o])
                    best = fmin(best, dual_at(I, (I->v[q] - I->v[o]) / (I->c[q] - I->c[o])));
        }
    return best;
}

static void check_plan(const inst *I, const int32_t *ch, double value)
{
    double v = 0, sp[4] = {0};
    for (size_t i = 0; i < I->n; i++) {
        CHECK(ch[i] >= -1 && ch[i] < (int32_t)(I->indptr[i + 1] - I->indptr[i]));
        if (ch[i] < 0) continue;
        uint64_t o = I->indptr[i] + (uint64_t)ch[i];
        v += I->v[o];
        for (size_t k = 0; k < I->K; k++) sp[k] += I->c[o * I->K + k];
    }
    CHECK_NEAR(v, value, 1e-9 * (1 + v));
    for (size_t k = 0; k < I->K; k++) CHECK(sp[k] <= I->B[k] * (1 + 1e-12));
}

TEST(mckp_brute_force)
{
    growth_mckp *s;
    CHECK_OK(growth_mckp_create(&s, "threads=1"));
    for (int K = 1; K <= 2; K++)
        for (uint64_t seed = 1; seed <= 30; seed++) {
            inst I;
            make_inst(&I, 7, 3, (size_t)K, seed * 7 + (uint64_t)K, 0.15 + 0.02 * (double)(seed % 10));
            int32_t ch[7];
            CHECK_OK(growth_mckp_solve(s, I.indptr, I.n, I.v, I.c, I.K, I.B, ch, 7));
            growth_mckp_result r = {.struct_size = sizeof r};
            CHECK_OK(growth_mckp_result_get(s, &r));
            double opt = brute_int(&I);
            check_plan(&I, ch, r.value);
            CHECK(r.value <= opt + 1e-9);
            CHECK(opt - r.value <= r.gap + 1e-9);
            CHECK(r.dual_bound >= opt - 1e-9);
            if (K == 1) {
                double lp = brute_lp1(&I);
                CHECK_NEAR(r.lp_value, lp, 1e-9 * (1 + lp));
            }
            free_inst(&I);
        }
    growth_mckp_free(s);
}

TEST(mckp_lp_large_and_threads_agree)
{
    inst I;
    make_inst(&I, 400, 6, 1, 99, 0.2);
    growth_mckp *s1, *s2;
    CHECK_OK(growth_mckp_create(&s1, "threads=1"));
    CHECK_OK(growth_mckp_create(&s2, "threads=2 fill=false"));
    int32_t *a = malloc(I.n * sizeof *a), *b = malloc(I.n * sizeof *b);
    CHECK_OK(growth_mckp_solve(s1, I.indptr, I.n, I.v, I.c, 1, I.B, a, I.n));
    CHECK_OK(growth_mckp_solve(s2, I.indptr, I.n, I.v, I.c, 1, I.B, b, I.n));
    growth_mckp_result r1 = {.struct_size = sizeof r1}, r2 = {.struct_size = sizeof r2};
    CHECK_OK(growth_mckp_result_get(s1, &r1));
    CHECK_OK(growth_mckp_result_get(s2, &r2));
    double lp = brute_lp1(&I);
    CHECK_NEAR(r1.lp_value, lp, 1e-10 * lp);
    CHECK_NEAR(r2.lp_value, lp, 1e-10 * lp);
    CHECK(r1.value >= r2.value); /* the greedy fill only adds */
    CHECK(r1.rel_gap < 1e-2 && r1.fractional == 1);
    check_plan(&I, a, r1.value);
    check_plan(&I, b, r2.value);
    /* shard evaluation at the final price reproduces the dual bound, split over two shards */
    double lam, spend, d0, d1, v0, v1, sp0, sp1;
    CHECK_OK(growth_mckp_duals(s1, &lam, &spend, 1));
    size_t h = I.n / 2;
    CHECK_OK(growth_mckp_shard_eval(s2, I.indptr, h, I.v, I.c, 1, &lam, 1, &sp0, &v0, &d0));
    CHECK_OK(growth_mckp_shard_eval(s2, I.indptr + h, I.n - h, I.v, I.c, 1, &lam, 1, &sp1, &v1, &d1));
    CHECK_NEAR(d0 + d1 + lam * I.B[0], r1.dual_bound, 1e-9 * r1.dual_bound);
    CHECK(sp0 + sp1 <= I.B[0] * (1 + 1e-12));
    CHECK_OK(growth_mckp_shard_assign(s2, I.indptr + h, I.n - h, I.v, I.c, 1, &lam, b, I.n, &sp1, &v1));
    for (size_t i = h; i < I.n; i++) CHECK(b[i - h] == a[i] || b[i - h] == -1 || a[i] != -1);
    free(a);
    free(b);
    growth_mckp_free(s1);
    growth_mckp_free(s2);
    free_inst(&I);
}

static int cancel_at_assign(const char *stage, double done, void *u)
{
    (void)done;
    ++*(int *)u;
    return strcmp(stage, "assign") == 0;
}

TEST(mckp_progress_cancel)
{
    inst I;
    make_inst(&I, 100, 4, 2, 5, 0.2);
    growth_mckp *s;
    CHECK_OK(growth_mckp_create(&s, "threads=2"));
    int calls = 0;
    CHECK_OK(growth_mckp_set_progress(s, cancel_at_assign, &calls));
    int32_t ch[100];
    CHECK_RC(growth_mckp_solve(s, I.indptr, I.n, I.v, I.c, 2, I.B, ch, 100), GROWTH_ECANCELED);
    CHECK_MSG("cancelled");
    CHECK(calls >= 2);
    growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
    CHECK_RC(growth_mckp_result_get(s, &r), GROWTH_ESTATE); /* nothing solved */
    CHECK_OK(growth_mckp_set_progress(s, NULL, NULL));
    CHECK_OK(growth_mckp_solve(s, I.indptr, I.n, I.v, I.c, 2, I.B, ch, 100));
    CHECK_OK(growth_mckp_result_get(s, &r));
    CHECK(r.n_budgets == 2 && r.iterations >= 1);
    growth_mckp_free(s);
    free_inst(&I);
}

/* The exact-LP polish through the public shard calls on two shards reproduces the solver's
 * prices and LP value; the LP value meets the certified dual bound (so it is the optimum). */
TEST(mckp_polish_shards_match_solver)
{
    inst I;
    make_inst(&I, 3000, 5, 3, 41, 0.1);
    growth_mckp *s;
    CHECK_OK(growth_mckp_create(&s, "threads=2 fill=false"));
    int32_t *ch = malloc(I.n * sizeof *ch), *ch2 = malloc(I.n * sizeof *ch2);
    CHECK_OK(growth_mckp_solve(s, I.indptr, I.n, I.v, I.c, 3, I.B, ch, I.n));
    growth_mckp_result r = {.struct_size = sizeof r};
    CHECK_OK(growth_mckp_result_get(s, &r));
    CHECK(fabs(r.dual_bound - r.lp_value) <= 1e-9 * r.lp_value);
    CHECK(r.lp_value >= r.value);
    double lam[3];
    CHECK_OK(growth_mckp_duals(s, lam, NULL, 3));
    /* scan two shards at the optimum's prices, then one restricted LP */
    size_t h = 1234, lens[2] = {h, I.n - h};
    double delta = GROWTH_MCKP_LP_DELTA0 * fmax(fmax(lam[0], lam[1]), lam[2]);
    double fixed[4] = {0}, v[GROWTH_MCKP_LP_MAX_OPTIONS], c[3 * GROWTH_MCKP_LP_MAX_OPTIONS];
    uint64_t und[GROWTH_MCKP_LP_MAX_USERS], sub_ip[GROWTH_MCKP_LP_MAX_USERS + 1] = {0};
    size_t nsub = 0, nopt = 0, base = 0;
    for (int sh = 0; sh < 2; sh++) {
        size_t nu, no;
        double f[4];
        CHECK_OK(growth_mckp_shard_scan(s, I.indptr + base, lens[sh], I.v, I.c, 3, lam, delta, ch2 + base,
                                        lens[sh], und + nsub, GROWTH_MCKP_LP_MAX_USERS - nsub, &nu, &no, f));
        CHECK(nsub + nu <= GROWTH_MCKP_LP_MAX_USERS);
        for (int l = 0; l < 4; l++) fixed[l] += f[l];
        for (size_t q = 0; q < nu; q++) {
            size_t i = base + (size_t)und[nsub + q];
            und[nsub + q] = i;
            for (uint64_t o = I.indptr[i]; o < I.indptr[i + 1]; o++, nopt++) {
                v[nopt] = I.v[o];
                memcpy(c + 3 * nopt, I.c + 3 * o, 3 * sizeof(double));
            }
            sub_ip[nsub + q + 1] = nopt;
        }
        nsub += nu;
        base += lens[sh];
    }
    CHECK(nsub >= 1); /* at the optimum some user sits on a tie */
    int32_t pick[GROWTH_MCKP_LP_MAX_USERS];
    double lam2[3], lpv;
    int exact = 0;
    uint32_t frac;
    CHECK_OK(growth_mckp_restricted_lp(s, sub_ip, nsub, v, c, 3, I.B, fixed, lam, delta, pick,
                                       GROWTH_MCKP_LP_MAX_USERS, lam2, &lpv, &exact, &frac));
    CHECK(exact == 1);
    CHECK_NEAR(lpv, r.lp_value, 1e-9 * r.lp_value);
    for (int l = 0; l < 3; l++) CHECK_NEAR(lam2[l], lam[l], 1e-9 * (lam[l] + 1));
    CHECK(frac <= 3); /* a basic solution splits at most K users */
    for (size_t q = 0; q < nsub; q++) ch2[und[q]] = pick[q];
    CHECK(memcmp(ch, ch2, I.n * sizeof *ch) == 0); /* the same rounded plan */
    /* nobody undecided and half of each budget left: the LP sells it at the box's floor, so
     * not exact, and the prices move down to center - delta */
    double none_fixed[4] = {I.B[0] / 2, I.B[1] / 2, I.B[2] / 2, 100};
    CHECK_OK(growth_mckp_restricted_lp(s, NULL, 0, NULL, NULL, 3, I.B, none_fixed, lam, delta, pick, 1, lam2,
                                       &lpv, &exact, NULL));
    CHECK(exact == 0);
    double sold = 100;
    for (int l = 0; l < 3; l++) {
        CHECK_NEAR(lam2[l], lam[l] - delta, 1e-12 * lam[l]);
        sold += (lam[l] - delta) * I.B[l] / 2;
    }
    CHECK_NEAR(lpv, sold, 1e-9 * sold);
    free(ch);
    free(ch2);
    growth_mckp_free(s);
    free_inst(&I);
}

/* Drives a coordinated solve over W in-process shards (contiguous user ranges) and returns the
 * global plan, result and prices; `fail_round` > 0 reports shard 1 failed in that round. */
static int coord_drive(const inst *I, size_t W, const char *config, const char *shard_config, int32_t *plan,
                       growth_mckp_result *res, double *lambda, growth_mckp_coord_stats *st, int fail_round)
{
    growth_mckp_coord *c;
    size_t nopt = (size_t)(I->indptr[I->n] - I->indptr[0]);
    CHECK_OK(growth_mckp_coord_create(&c, W, I->n, nopt, I->K, I->B, config));
    growth_mckp *sv[8];
    size_t lo[9];
    for (size_t w = 0; w <= W; w++) lo[w] = I->n * w / W;
    for (size_t w = 0; w < W; w++) CHECK_OK(growth_mckp_create(&sv[w], shard_config));
    double *req = NULL, *rep = NULL;
    size_t req_cap = 0, rep_cap = 0;
    int done = 0, rc, round = 0;
    while ((rc = growth_mckp_coord_next(c, &done)) == GROWTH_OK && !done) {
        round++;
        for (size_t w = 0; w < W; w++) {
            size_t n, m;
            rc = growth_mckp_coord_request(c, w, req, req_cap, &n);
            if (rc == GROWTH_EBUFS) {
                req = realloc(req, n * sizeof *req);
                req_cap = n;
                CHECK_OK(growth_mckp_coord_request(c, w, req, req_cap, &n));
            } else
                CHECK_OK(rc);
            if (n == 0) continue;
            if (round == fail_round && w == 1) {
                CHECK_OK(growth_mckp_coord_fail(c, w, GROWTH_ENOMEM, "worker lost"));
                continue;
            }
            const uint64_t *ip = I->indptr + lo[w];
            size_t nu = lo[w + 1] - lo[w];
            rc = growth_mckp_shard_step(sv[w], ip, nu, I->v, I->c, I->K, req, n, plan + lo[w], nu, rep,
                                        rep_cap, &m);
            if (rc == GROWTH_EBUFS) {
                rep = realloc(rep, m * sizeof *rep);
                rep_cap = m;
                rc = growth_mckp_shard_step(sv[w], ip, nu, I->v, I->c, I->K, req, n, plan + lo[w], nu, rep,
                                            rep_cap, &m);
            }
            CHECK_OK(rc);
            CHECK_OK(growth_mckp_coord_feed(c, w, rep, m));
        }
    }
    if (rc == GROWTH_OK) {
        CHECK_OK(growth_mckp_coord_result_get(c, res));
        CHECK_OK(growth_mckp_coord_duals(c, lambda, NULL, I->K));
        CHECK_OK(growth_mckp_coord_stats_get(c, st));
    } else {
        growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
        CHECK_RC(growth_mckp_coord_result_get(c, &r), GROWTH_ESTATE);
        CHECK_RC(growth_mckp_coord_next(c, &done), rc); /* the failure stands */
    }
    for (size_t w = 0; w < W; w++) growth_mckp_free(sv[w]);
    growth_mckp_coord_free(c);
    free(req);
    free(rep);
    return rc;
}

TEST(mckp_coord_equals_single_machine)
{
    static const struct {
        size_t n, m, K, W;
        uint64_t seed;
        double frac;
        const char *cfg;
    } cases[] = {
        {3000, 5, 1, 3, 1, 0.2, ""},   {5000, 4, 1, 4, 2, 0.05, ""}, {2000, 6, 1, 2, 3, 0.3, "fill=false"},
        {60000, 5, 1, 5, 4, 0.25, ""}, {1500, 4, 2, 3, 5, 0.2, ""},  {2500, 5, 2, 4, 6, 0.1, "fill=false"},
        {1200, 4, 3, 2, 7, 0.15, ""},  {800, 3, 1, 8, 8, 2.0, ""},   {800, 3, 2, 3, 9, 0.0, ""},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        inst I;
        make_inst(&I, cases[t].n, cases[t].m, cases[t].K, cases[t].seed, cases[t].frac);
        size_t K = I.K;
        growth_mckp *s;
        char cfg[64];
        snprintf(cfg, sizeof cfg, "threads=2 %s", cases[t].cfg);
        CHECK_OK(growth_mckp_create(&s, cfg));
        int32_t *a = malloc(I.n * sizeof *a), *b = malloc(I.n * sizeof *b);
        CHECK_OK(growth_mckp_solve(s, I.indptr, I.n, I.v, I.c, K, I.B, a, I.n));
        growth_mckp_result ref = GROWTH_MCKP_RESULT_INIT, got = GROWTH_MCKP_RESULT_INIT;
        double lam_ref[4], lam[4], sp_ref[4];
        CHECK_OK(growth_mckp_result_get(s, &ref));
        CHECK_OK(growth_mckp_duals(s, lam_ref, sp_ref, 4));
        growth_mckp_coord_stats st = GROWTH_MCKP_COORD_STATS_INIT;
        memset(b, 0x55, I.n * sizeof *b);
        CHECK_OK(coord_drive(&I, cases[t].W, cases[t].cfg, t % 2 ? "threads=2" : "", b, &got, lam, &st, 0));
        for (size_t l = 0; l < K; l++) CHECK(lam[l] == lam_ref[l]); /* the same prices, bit for bit */
        size_t diff = 0;
        for (size_t i = 0; i < I.n; i++) diff += a[i] != b[i];
        CHECK(diff == 0);
        CHECK_NEAR(got.value, ref.value, 1e-12 * fmax(ref.value, 1));
        CHECK_NEAR(got.dual_bound, ref.dual_bound, 1e-12 * fmax(ref.dual_bound, 1));
        CHECK_NEAR(got.lp_value, ref.lp_value, 1e-12 * fmax(ref.lp_value, 1));
        CHECK(got.n_chosen == ref.n_chosen && got.iterations == ref.iterations);
        CHECK(got.fractional == ref.fractional && got.n_users == I.n);
        check_plan(&I, b, got.value);
        CHECK(st.rounds > 0 && st.shard_passes > 0 && st.doubles_from_shards > 0);
        if (K == 1) CHECK(st.shard_passes <= 5 * cases[t].W); /* hist, collect, assign, repair, fill */
        free(a);
        free(b);
        growth_mckp_free(s);
        free_inst(&I);
    }
}

TEST(mckp_coord_failures)
{
    inst I;
    make_inst(&I, 400, 4, 1, 11, 0.2);
    int32_t *plan = malloc(I.n * sizeof *plan);
    growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
    growth_mckp_coord_stats st = GROWTH_MCKP_COORD_STATS_INIT;
    double lam[1];
    /* a shard failing mid-solve: the solve ends with its code and message */
    CHECK_RC(coord_drive(&I, 3, "", "", plan, &r, lam, &st, 2), GROWTH_ENOMEM);
    CHECK(strstr(growth_last_error(), "shard 1") && strstr(growth_last_error(), "worker lost"));
    /* wrong state, wrong shapes, NaN */
    growth_mckp_coord *c;
    size_t nopt = (size_t)I.indptr[I.n];
    CHECK_OK(growth_mckp_coord_create(&c, 2, I.n, nopt, 1, I.B, ""));
    double rep[16] = {0}, req[64];
    size_t n, m;
    int done;
    CHECK_RC(growth_mckp_coord_feed(c, 0, rep, 8), GROWTH_ESTATE); /* before next */
    CHECK_OK(growth_mckp_coord_next(c, &done));
    CHECK(!done);
    CHECK_RC(growth_mckp_coord_next(c, &done), GROWTH_ESTATE); /* replies outstanding */
    CHECK_OK(growth_mckp_coord_request(c, 0, req, 64, &n));
    growth_mckp *s;
    CHECK_OK(growth_mckp_create(&s, ""));
    double *big = malloc(200000 * sizeof *big);
    /* a shard with two budgets gets a one-budget request */
    CHECK_RC(growth_mckp_shard_step(s, I.indptr, 200, I.v, I.c, 2, req, n, plan, I.n, big, 200000, &m),
             GROWTH_EINVAL);
    CHECK(strstr(growth_last_error(), "budgets") != NULL);
    CHECK_OK(growth_mckp_shard_step(s, I.indptr, 200, I.v, I.c, 1, req, n, plan, I.n, big, 200000, &m));
    big[RP_K_TEST] = 2; /* a reply claiming another budget count */
    CHECK_RC(growth_mckp_coord_feed(c, 0, big, m), GROWTH_EINVAL);
    big[RP_K_TEST] = 1;
    big[m - 1] = NAN;
    CHECK_RC(growth_mckp_coord_feed(c, 0, big, m), GROWTH_EINVAL);
    CHECK(strstr(growth_last_error(), "NaN") != NULL);
    CHECK_OK(growth_mckp_shard_step(s, I.indptr, 200, I.v, I.c, 1, req, n, plan, I.n, big, 200000, &m));
    CHECK_OK(growth_mckp_coord_feed(c, 0, big, m));
    CHECK_RC(growth_mckp_coord_feed(c, 0, big, m), GROWTH_ESTATE); /* twice */
    /* shard 1 holds fewer users than the problem says: caught when the round is complete */
    CHECK_OK(growth_mckp_shard_step(s, I.indptr + 200, 150, I.v, I.c, 1, req, n, plan, I.n, big, 200000, &m));
    CHECK_OK(growth_mckp_coord_feed(c, 1, big, m));
    CHECK_RC(growth_mckp_coord_next(c, &done), GROWTH_EINVAL);
    CHECK(strstr(growth_last_error(), "users") != NULL);
    CHECK_RC(growth_mckp_coord_next(c, &done), GROWTH_EINVAL);
    growth_mckp_coord_free(c);
    /* cancel */
    CHECK_OK(growth_mckp_coord_create(&c, 2, I.n, nopt, 1, I.B, ""));
    CHECK_OK(growth_mckp_coord_next(c, &done));
    CHECK_OK(growth_mckp_coord_cancel(c));
    CHECK_OK(growth_mckp_shard_step(s, I.indptr, 200, I.v, I.c, 1, req, n, plan, I.n, big, 200000, &m));
    CHECK_OK(growth_mckp_coord_feed(c, 0, big, m));
    CHECK_OK(growth_mckp_shard_step(s, I.indptr + 200, 200, I.v, I.c, 1, req, n, plan, I.n, big, 200000, &m));
    CHECK_OK(growth_mckp_coord_feed(c, 1, big, m));
    CHECK_RC(growth_mckp_coord_next(c, &done), GROWTH_ECANCELED);
    CHECK_RC(growth_mckp_coord_duals(c, lam, NULL, 1), GROWTH_ESTATE);
    growth_mckp_coord_free(c);
    growth_mckp_free(s);
    free(big);
    free(plan);
    free_inst(&I);
}

TEST(mckp_bad_input)
{
    growth_mckp *s = NULL;
    CHECK_RC(growth_mckp_create(&s, "threads=0"), GROWTH_EINVAL);
    CHECK_MSG("threads");
    CHECK_RC(growth_mckp_create(&s, "bogus=1"), GROWTH_EINVAL);
    CHECK_MSG("bogus");
    CHECK_OK(growth_mckp_create(&s, NULL));
    char cfg[128];
    CHECK_OK(growth_mckp_config(s, cfg, sizeof cfg, NULL));
    CHECK(strstr(cfg, "threads=1") != NULL);
    CHECK_RC(growth_mckp_config(s, cfg, 4, NULL), GROWTH_EBUFS);
    uint64_t ip[3] = {0, 2, 3};
    double v[3] = {1, 2, 3}, c[3] = {1, 2, 3}, B = 2;
    int32_t ch[2];
    CHECK_RC(growth_mckp_solve(s, NULL, 2, v, c, 1, &B, ch, 2), GROWTH_EINVAL);
    CHECK_MSG("indptr is NULL");
    CHECK_RC(growth_mckp_solve(s, ip, 0, v, c, 1, &B, ch, 2), GROWTH_EINVAL);
    CHECK_MSG("no users");
    CHECK_RC(growth_mckp_solve(s, ip, 2, v, c, 1, &B, ch, 1), GROWTH_EBUFS);
    CHECK_RC(growth_mckp_solve(s, ip, 2, v, c, 0, &B, ch, 2), GROWTH_EINVAL);
    CHECK_MSG("n_budgets");
    double nb = -1;
    CHECK_RC(growth_mckp_solve(s, ip, 2, v, c, 1, &nb, ch, 2), GROWTH_EINVAL);
    CHECK_MSG("budget 0 is -1");
    v[1] = NAN;
    CHECK_RC(growth_mckp_solve(s, ip, 2, v, c, 1, &B, ch, 2), GROWTH_EINVAL);
    CHECK_MSG("value of option 1");
    v[1] = 2;
    c[2] = -1;
    CHECK_RC(growth_mckp_solve(s, ip, 2, v, c, 1, &B, ch, 2), GROWTH_EINVAL);
    CHECK_MSG("cost of option 2");
    c[2] = INFINITY;
    CHECK_RC(growth_mckp_solve(s, ip, 2, v, c, 1, &B, ch, 2), GROWTH_EINVAL);
    c[2] = 3;
    uint64_t bad[3] = {0, 2, 1};
    CHECK_RC(growth_mckp_solve(s, bad, 2, v, c, 1, &B, ch, 2), GROWTH_EINVAL);
    CHECK_MSG("indptr decreases");
    double lam = -1;
    CHECK_RC(growth_mckp_shard_eval(s, ip, 2, v, c, 1, &lam, 1, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("price 0");
    CHECK_RC(growth_mckp_duals(s, &lam, NULL, 1), GROWTH_ESTATE);
    CHECK_OK(growth_mckp_solve(s, ip, 2, v, c, 1, &B, ch, 2));
    CHECK_RC(growth_mckp_duals(s, &lam, NULL, 0), GROWTH_EBUFS);
    growth_mckp_result r = {0};
    CHECK_RC(growth_mckp_result_get(s, &r), GROWTH_EINVAL);
    CHECK_OK(growth_mckp_cancel(s));
    growth_mckp_free(s);
    growth_mckp_free(NULL);
}

/* ---- channels ---------------------------------------------------------------------------- */

static double pwl(const double *x, const double *y, int n, double t)
{
    if (t >= x[n - 1]) return y[n - 1];
    int i = 0;
    while (t >= x[i + 1]) i++;
    return y[i] + (t - x[i]) * (y[i + 1] - y[i]) / (x[i + 1] - x[i]);
}

TEST(channels_grid_brute_force)
{
    double x0[] = {0, 10, 30, 60}, y0[] = {0, 50, 110, 140};
    double x1[] = {0, 20, 40}, y1[] = {0, 60, 90};
    double x2[] = {0, 5, 25, 50, 80}, y2[] = {0, 30, 110, 160, 180};
    double w[3] = {1, 1.5, 0.8}, lo[3] = {5, 0, 0}, hi[3] = {60, 30, 1e9};
    growth_channels *c;
    CHECK_OK(growth_channels_create(&c, ""));
    size_t idx[3] = {9, 9, 9};
    CHECK_OK(growth_channels_add_points(c, x0, y0, 4, w[0], lo[0], hi[0], &idx[0]));
    CHECK_OK(growth_channels_add_points(c, x1, y1, 3, w[1], lo[1], hi[1], &idx[1]));
    CHECK_OK(growth_channels_add_points(c, x2, y2, 5, w[2], lo[2], hi[2], &idx[2]));
    CHECK(idx[0] == 0 && idx[1] == 1 && idx[2] == 2);
    growth_channels_stats cs = GROWTH_CHANNELS_STATS_INIT;
    CHECK_OK(growth_channels_stats_get(c, &cs));
    CHECK(cs.channels == 3);
    double budgets[] = {5, 37, 64, 100, 250};
    double tot_curve[5], mar_curve[5];
    CHECK_OK(growth_channels_curve(c, budgets, 5, tot_curve, mar_curve, NULL, 0));
    for (int q = 0; q < 5; q++) {
        double B = budgets[q], best = -1;
        for (int a = (int)lo[0]; a <= 60 && a <= B; a++)
            for (int b = 0; b <= 30 && a + b <= B; b++) {
                int cc = (int)(B - a - b); /* outcomes never decrease: spend the rest */
                double t = w[0] * pwl(x0, y0, 4, a) + w[1] * pwl(x1, y1, 3, b) + w[2] * pwl(x2, y2, 5, cc);
                if (t > best) best = t;
            }
        double sp[3], out[3], tot, mar;
        CHECK_OK(growth_channels_allocate(c, B, sp, out, 3, &tot, &mar));
        CHECK_NEAR(tot, best, 1e-9);
        CHECK_NEAR(tot_curve[q], tot, 1e-12);
        CHECK(sp[0] + sp[1] + sp[2] <= B + 1e-9);
        for (int i = 0; i < 3; i++) CHECK(sp[i] >= lo[i] && sp[i] <= hi[i]);
        CHECK(mar >= 0);
    }
    double sp[3];
    CHECK_RC(growth_channels_allocate(c, 4, sp, NULL, 3, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("infeasible minimums");
    CHECK_RC(growth_channels_allocate(c, NAN, sp, NULL, 3, NULL, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_channels_allocate(c, 10, sp, NULL, 2, NULL, NULL), GROWTH_EBUFS);
    double bx[] = {0, 1, 2}, by[] = {0, 1, 3};
    size_t bad = 9;
    CHECK_RC(growth_channels_add_points(c, bx, by, 3, 1, 0, 10, &bad), GROWTH_EINVAL);
    CHECK_MSG("not concave");
    CHECK_RC(growth_channels_add(c, (growth_curve)7, 1, 1, 1, 0, 1, &bad), GROWTH_EINVAL);
    CHECK_RC(growth_channels_add(c, GROWTH_CURVE_EXP, -1, 1, 1, 0, 1, &bad), GROWTH_EINVAL);
    CHECK_RC(growth_channels_add(c, GROWTH_CURVE_LOG, 1, 1, 1, 2, 1, NULL), GROWTH_EINVAL);
    CHECK_MSG("max_spend");
    CHECK(bad == 9); /* a failed add writes no index and adds nothing */
    CHECK_OK(growth_channels_stats_get(c, &cs));
    CHECK(cs.channels == 3);
    growth_channels_free(c);
}

TEST(channels_parametric_marginal)
{
    growth_channels *c;
    CHECK_OK(growth_channels_create(&c, NULL));
    size_t i0 = 9, i1 = 9;
    CHECK_OK(growth_channels_add(c, GROWTH_CURVE_EXP, 1000, 0.02, 1, 0, INFINITY, &i0));
    CHECK_OK(growth_channels_add(c, GROWTH_CURVE_LOG, 300, 0.1, 2, 0, INFINITY, &i1));
    CHECK(i0 == 0 && i1 == 1);
    double sp[2], tot, mar, tot2;
    CHECK_OK(growth_channels_allocate(c, 100, sp, NULL, 2, &tot, &mar));
    /* KKT: equal marginal outcomes of both channels at the optimum */
    double d0 = 1000 * 0.02 * exp(-0.02 * sp[0]), d1 = 2 * 300 * 0.1 / (1 + 0.1 * sp[1]);
    CHECK_NEAR(d0, d1, 1e-8 * d0);
    CHECK_NEAR(mar, d0, 1e-8 * d0);
    CHECK_NEAR(sp[0] + sp[1], 100, 1e-9);
    CHECK_OK(growth_channels_allocate(c, 100.001, sp, NULL, 2, &tot2, NULL));
    CHECK_NEAR((tot2 - tot) / 0.001, mar, 1e-3 * mar);
    growth_channels_free(c);
}

/* ---- push -------------------------------------------------------------------------------- */

TEST(push_brute_force)
{
    grng r;
    grng_seed(&r, 42);
    for (int trial = 0; trial < 40; trial++) {
        enum { U = 4, PER = 3, NP = U * PER, NC = 2 };
        uint64_t ptr[U + 1];
        double v[NP], cmin[NC], cmax[NC];
        int32_t cat[NP], caps[U];
        for (int u = 0; u <= U; u++) ptr[u] = (uint64_t)(u * PER);
        for (int i = 0; i < NP; i++) {
            v[i] = round(grng_uniform(&r) * 100) / 100;
            cat[i] = (int32_t)grng_below(&r, NC);
        }
        for (int u = 0; u < U; u++) caps[u] = (int32_t)grng_below(&r, 3);
        cmin[0] = (double)grng_below(&r, 2);
        cmin[1] = 0;
        cmax[0] = 4;
        cmax[1] = 1 + (double)grng_below(&r, 3);
        double volume = 2 + (double)grng_below(&r, 4);
        double best = -1;
        for (uint32_t mask = 0; mask < (1u << NP); mask++) {
            int cu[U] = {0}, cc[NC] = {0}, tot = 0;
            double val = 0;
            for (int i = 0; i < NP; i++)
                if (mask >> i & 1) {
                    cu[i / PER]++;
                    cc[cat[i]]++;
                    tot++;
                    val += v[i];
                }
            bool ok = tot <= volume;
            for (int u = 0; u < U; u++) ok &= cu[u] <= caps[u];
            for (int c = 0; c < NC; c++) ok &= cc[c] >= cmin[c] && cc[c] <= cmax[c];
            if (ok && val > best) best = val;
        }
        uint8_t send[NP];
        growth_budget_push_result res = {.struct_size = sizeof res};
        int rc = growth_budget_allocate_push(ptr, U, v, cat, caps, NC, cmin, cmax, volume, NULL, "", send,
                                             NULL, NP, &res, NULL, NULL);
        if (best < 0) {
            CHECK_RC(rc, GROWTH_EINVAL);
            continue;
        }
        CHECK_OK(rc);
        int cu[U] = {0}, cc[NC] = {0}, tot = 0;
        double val = 0;
        for (int i = 0; i < NP; i++)
            if (send[i]) {
                cu[i / PER]++;
                cc[cat[i]]++;
                tot++;
                val += v[i];
            }
        CHECK(tot <= volume);
        for (int u = 0; u < U; u++) CHECK(cu[u] <= caps[u]);
        for (int c = 0; c < NC; c++) CHECK(cc[c] >= cmin[c] && cc[c] <= cmax[c]);
        CHECK_NEAR(val, res.value, 1e-9);
        CHECK(res.value <= best + 1e-9);
        CHECK(res.lp_value >= best - 1e-9); /* the LP bounds the integer optimum */
        CHECK(best - res.value <= res.gap + 1e-9);
    }
}

TEST(push_bad_input)
{
    uint64_t ptr[3] = {0, 2, 4};
    double v[4] = {0.1, 0.2, 0.3, 0.4}, cmin[2] = {3, 0}, cmax[2] = {5, 5};
    int32_t cat[4] = {0, 1, 0, 1};
    uint8_t send[4];
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, cmin, cmax, INFINITY, NULL, "cap=1", send,
                                         NULL, 4, NULL, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("infeasible minimums");
    cmin[0] = 1;
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, cmin, cmax, 0.5, NULL, "cap=2", send, NULL,
                                         4, NULL, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("infeasible minimums");
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "cap=-1", send, NULL,
                                         4, NULL, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("cap");
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, NAN, NULL, "", send, NULL, 4,
                                         NULL, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("volume");
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "", send, NULL, 3,
                                         NULL, NULL, NULL),
             GROWTH_EBUFS);
    cat[2] = 2;
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "", send, NULL, 4,
                                         NULL, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("category of pair 2");
    cat[2] = 0;
    v[3] = -0.5;
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "", send, NULL, 4,
                                         NULL, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("value of pair 3");
    v[3] = 0.4;
    CHECK_RC(growth_budget_allocate_push(ptr, 0, v, cat, NULL, 2, NULL, NULL, 3, NULL, "", send, NULL, 4,
                                         NULL, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("no users");
    CHECK_OK(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "cap=1", send, NULL, 4,
                                         NULL, NULL, NULL));
    CHECK(send[1] == 1 && send[3] == 1 && send[0] == 0 && send[2] == 0);
}

/* A push instance that needs several coordinate-descent rounds: 300 users x 6 pairs, 3
 * categories with binding maxima and minima, a binding volume. */
typedef struct {
    uint64_t ptr[301];
    double v[1800], hours[300 * 24], cmin[3], cmax[3];
    int32_t cat[1800], caps[300];
} push_inst;

static void make_push(push_inst *P)
{
    grng r;
    grng_seed(&r, 77);
    for (int u = 0; u <= 300; u++) P->ptr[u] = (uint64_t)u * 6;
    for (int i = 0; i < 1800; i++) {
        P->v[i] = grng_uniform(&r);
        P->cat[i] = (int32_t)grng_below(&r, 3);
    }
    for (int u = 0; u < 300; u++) P->caps[u] = 1 + (int32_t)grng_below(&r, 3);
    for (int i = 0; i < 300 * 24; i++) P->hours[i] = grng_uniform(&r);
    P->cmin[0] = 60, P->cmin[1] = 0, P->cmin[2] = 20;
    P->cmax[0] = 150, P->cmax[1] = 90, P->cmax[2] = 200;
}

typedef struct {
    int calls, stop_at;
    double last;
    bool ok;
} push_progress;

static int push_progress_fn(const char *stage, double done, void *user)
{
    push_progress *p = user;
    p->calls++;
    if (strcmp(stage, "round") != 0 || !(done > p->last && done <= 1)) p->ok = false;
    p->last = done;
    return p->stop_at && p->calls >= p->stop_at;
}

/* Progress once per coordinate-descent round; a non-zero return stops the call with
 * GROWTH_ECANCELED and leaves every output as it was; the callback does not change the plan. */
TEST(push_progress_and_cancel)
{
    static push_inst P;
    make_push(&P);
    static uint8_t send0[1800], send[1800];
    static int8_t hour0[1800], hour[1800];
    growth_budget_push_result r0 = GROWTH_BUDGET_PUSH_RESULT_INIT;
    CHECK_OK(growth_budget_allocate_push(P.ptr, 300, P.v, P.cat, P.caps, 3, P.cmin, P.cmax, 400, P.hours, "",
                                         send0, hour0, 1800, &r0, NULL, NULL));
    CHECK(r0.iterations >= 2 && r0.sent == 400);
    push_progress pp = {0, 0, 0, true};
    growth_budget_push_result r = GROWTH_BUDGET_PUSH_RESULT_INIT;
    CHECK_OK(growth_budget_allocate_push(P.ptr, 300, P.v, P.cat, P.caps, 3, P.cmin, P.cmax, 400, P.hours, "",
                                         send, hour, 1800, &r, push_progress_fn, &pp));
    CHECK(pp.ok && pp.calls == (int)r.iterations && pp.last == 1.0);
    CHECK(memcmp(send, send0, sizeof send) == 0 && memcmp(hour, hour0, sizeof hour) == 0);
    CHECK(r.value == r0.value && r.lp_value == r0.lp_value && r.iterations == r0.iterations);
    /* stop after the second round */
    memset(send, 0x77, sizeof send);
    memset(hour, 0x55, sizeof hour);
    growth_budget_push_result rc = {.struct_size = sizeof rc, .value = -5, .sent = 9};
    pp = (push_progress){0, 2, 0, true};
    CHECK_RC(growth_budget_allocate_push(P.ptr, 300, P.v, P.cat, P.caps, 3, P.cmin, P.cmax, 400, P.hours, "",
                                         send, hour, 1800, &rc, push_progress_fn, &pp),
             GROWTH_ECANCELED);
    CHECK_MSG("progress");
    CHECK(pp.calls == 2 && rc.value == -5 && rc.sent == 9 && rc.iterations == 0);
    bool untouched = true;
    for (int i = 0; i < 1800; i++) untouched &= send[i] == 0x77 && hour[i] == 0x55;
    CHECK(untouched);
    /* max_iter bounds the rounds, and the last one reports done = 1 */
    pp = (push_progress){0, 0, 0, true};
    CHECK_OK(growth_budget_allocate_push(P.ptr, 300, P.v, P.cat, P.caps, 3, P.cmin, P.cmax, 400, NULL,
                                         "max_iter=1", send, NULL, 1800, &r, push_progress_fn, &pp));
    CHECK(pp.ok && pp.calls == 1 && r.iterations == 1 && pp.last == 1.0);
    /* a failure found only after the descent (one user with cap 1 cannot meet the minimum of
     * both categories) also leaves the outputs alone */
    uint64_t one_ptr[2] = {0, 2};
    double one_v[2] = {0.5, 0.4}, one_min[2] = {1, 1};
    int32_t one_cat[2] = {0, 1};
    uint8_t one_send[2] = {0x77, 0x77};
    int8_t one_hour[2] = {0x55, 0x55};
    growth_budget_push_result one_r = {.struct_size = sizeof one_r, .value = -5};
    CHECK_RC(growth_budget_allocate_push(one_ptr, 1, one_v, one_cat, NULL, 2, one_min, NULL, INFINITY, NULL,
                                         "cap=1", one_send, one_hour, 2, &one_r, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("under the caps and volume");
    CHECK(one_send[0] == 0x77 && one_send[1] == 0x77 && one_hour[0] == 0x55 && one_r.value == -5);
}

/* The result structs follow the struct_size rule: 0 or below the 1.0 size is EINVAL (nothing
 * written), a newer caller's larger struct is filled up to this library's size. */
/* growth_channels_fit recovers exact curves; growth_response_allocate equals growth_channels_allocate
 * (an independent solver) on one weighted outcome, and a fine grid with a login-rate constraint. */
TEST(response_fit_and_allocate)
{
    _Static_assert(offsetof(growth_channels_fit_result, family) == 4, "fit result layout");
    _Static_assert(sizeof(growth_channels_fit_result) == 72, "fit result size");
    _Static_assert(offsetof(growth_response_result, objective) == 8, "response result layout");
    _Static_assert(sizeof(growth_response_result) == 72, "response result size");
    double x[30], ye[30], yl[30], kx[40], ky[40];
    for (int i = 0; i < 30; i++) {
        x[i] = 400 + 700.0 * i;
        ye[i] = 5000 * -expm1(-1e-4 * x[i]);
        yl[i] = 900 * log1p(8e-4 * x[i]);
    }
    growth_channels_fit_result fe = GROWTH_CHANNELS_FIT_RESULT_INIT, fl = GROWTH_CHANNELS_FIT_RESULT_INIT,
                               fp = GROWTH_CHANNELS_FIT_RESULT_INIT;
    size_t kn = 0;
    CHECK_OK(growth_channels_fit(x, ye, NULL, 30, "", &fe, NULL, NULL, 0, &kn));
    CHECK(fe.family == GROWTH_CURVE_EXP && kn == 0 && fe.n == 30);
    CHECK_NEAR(fe.a, 5000, 5e-3);
    CHECK_NEAR(fe.b, 1e-4, 1e-10);
    CHECK_NEAR(fe.r2, 1, 1e-12);
    CHECK_OK(growth_channels_fit(x, yl, NULL, 30, "family=log", &fl, NULL, NULL, 0, &kn));
    CHECK_NEAR(fl.a, 900, 1e-3);
    CHECK_NEAR(fl.b, 8e-4, 1e-9);
    CHECK_OK(growth_channels_fit(x, ye, NULL, 30, "family=pwl knots=8", &fp, kx, ky, 40, &kn));
    CHECK(fp.family == 0 && kn >= 2 && kn <= 9 && kx[0] == 0 && ky[0] == 0);
    for (size_t i = 2; i < kn; i++) /* concave, non-decreasing */
        CHECK((ky[i] - ky[i - 1]) / (kx[i] - kx[i - 1]) <=
              (ky[i - 1] - ky[i - 2]) / (kx[i - 1] - kx[i - 2]) + 1e-12);
    CHECK(fp.rmse < 60);

    /* one outcome: the same plan as growth_channels (another solver) */
    growth_response *r;
    growth_channels *c;
    CHECK_OK(growth_response_create(&r, 2, ""));
    CHECK_OK(growth_channels_create(&c, ""));
    CHECK_OK(growth_response_add(r, -1, 0, INFINITY, NULL));
    CHECK_OK(growth_response_add(r, -1, 0, INFINITY, NULL));
    CHECK_OK(growth_response_add(r, -1, 0, INFINITY, NULL));
    CHECK_OK(growth_response_set_curve(r, 0, 0, GROWTH_CURVE_EXP, fe.a, fe.b));
    CHECK_OK(growth_response_set_curve(r, 1, 0, GROWTH_CURVE_LOG, fl.a, fl.b));
    CHECK_OK(growth_response_set_points(r, 2, 0, kx, ky, kn));
    CHECK_OK(growth_channels_add(c, GROWTH_CURVE_EXP, fe.a, fe.b, 2.0, 0, INFINITY, NULL));
    CHECK_OK(growth_channels_add(c, GROWTH_CURVE_LOG, fl.a, fl.b, 2.0, 0, INFINITY, NULL));
    CHECK_OK(growth_channels_add_points(c, kx, ky, kn, 2.0, 0, INFINITY, NULL));
    /* outcome 1 = 0.5 x outcome 0 everywhere (so the login-rate check below is easy to grid) */
    CHECK_OK(growth_response_set_curve(r, 0, 1, GROWTH_CURVE_EXP, 0.3 * fe.a, fe.b));
    CHECK_OK(growth_response_set_curve(r, 1, 1, GROWTH_CURVE_LOG, 0.7 * fl.a, fl.b));
    double ky1[40];
    for (size_t i = 0; i < kn; i++) ky1[i] = 0.5 * ky[i];
    CHECK_OK(growth_response_set_points(r, 2, 1, kx, ky1, kn));
    double w[2] = {2, 0};
    for (double B = 1000; B <= 64000; B *= 4) {
        double sp[3], out[6], csp[3], cout[3], ctot, cmar;
        growth_response_result res = GROWTH_RESPONSE_RESULT_INIT;
        CHECK_OK(growth_response_allocate(r, &B, 1, w, NULL, NULL, NULL, sp, out, 3, &res));
        CHECK_OK(growth_channels_allocate(c, B, csp, cout, 3, &ctot, &cmar));
        CHECK_NEAR(res.objective, ctot, 1e-9 * ctot);
        CHECK_NEAR(res.marginal, cmar, 1e-6 * cmar + 1e-12);
        CHECK_NEAR(res.bound, res.objective, 1e-9 * ctot);
        for (int i = 0; i < 3; i++) CHECK_NEAR(sp[i], csp[i], 1e-6 * B);
    }
    /* a login rate of 0.5: placements 0 (0.3) and 1 (0.7) must balance; grid over the split */
    double B = 20000, wr[2] = {1, 0}, ratio[2] = {0, 0.5}, sp[3], out[6];
    growth_response_result res = GROWTH_RESPONSE_RESULT_INIT;
    CHECK_OK(growth_response_allocate(r, &B, 1, wr, ratio, NULL, NULL, sp, out, 3, &res));
    double best = 0;
    for (int i = 0; i <= 400; i++)
        for (int j = 0; i + j <= 400; j++) {
            double xs[3] = {B * i / 400, B * j / 400, B * (400 - i - j) / 400}, t0 = 0, t1 = 0;
            t0 = fe.a * -expm1(-fe.b * xs[0]) + fl.a * log1p(fl.b * xs[1]);
            t1 = 0.3 * fe.a * -expm1(-fe.b * xs[0]) + 0.7 * fl.a * log1p(fl.b * xs[1]);
            double p = xs[2] >= kx[kn - 1] ? ky[kn - 1] : 0;
            for (size_t k = 0; k + 1 < kn && xs[2] < kx[kn - 1]; k++)
                if (xs[2] < kx[k + 1]) {
                    p = ky[k] + (xs[2] - kx[k]) / (kx[k + 1] - kx[k]) * (ky[k + 1] - ky[k]);
                    break;
                }
            t0 += p;
            t1 += 0.5 * p;
            if (t1 >= 0.5 * t0 && t0 > best) best = t0;
        }
    double t0 = out[0] + out[2] + out[4], t1 = out[1] + out[3] + out[5];
    CHECK(t1 >= 0.5 * t0 * (1 - 1e-9));
    CHECK(res.objective >= best * (1 - 1e-9));
    CHECK(res.objective <= best * 1.002);
    CHECK(res.objective <= res.bound * (1 + 1e-12));
    growth_response_free(r);
    growth_channels_free(c);
}

TEST(result_struct_sizes)
{
    inst I;
    make_inst(&I, 50, 3, 1, 3, 0.3);
    growth_mckp *s;
    CHECK_OK(growth_mckp_create(&s, ""));
    int32_t ch[50];
    CHECK_OK(growth_mckp_solve(s, I.indptr, I.n, I.v, I.c, 1, I.B, ch, 50));
    growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
    CHECK_OK(growth_mckp_result_get(s, &r));
    growth_mckp_result z = {.struct_size = 0, .value = -1};
    CHECK_RC(growth_mckp_result_get(s, &z), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    z.struct_size = (uint32_t)offsetof(growth_mckp_result, fractional);
    CHECK_RC(growth_mckp_result_get(s, &z), GROWTH_EINVAL);
    CHECK(z.value == -1);
    struct {
        growth_mckp_result r;
        uint64_t tail[4];
    } big;
    memset(&big, 0, sizeof big);
    big.r.struct_size = sizeof big;
    CHECK_OK(growth_mckp_result_get(s, &big.r));
    CHECK(big.r.struct_size == sizeof big && big.r.value == r.value && big.r.n_users == 50);
    CHECK(big.tail[0] == 0 && big.tail[3] == 0);
    growth_mckp_free(s);
    free_inst(&I);

    uint64_t ptr[3] = {0, 2, 4};
    double v[4] = {0.1, 0.2, 0.3, 0.4};
    int32_t cat[4] = {0, 1, 0, 1};
    uint8_t send[4] = {7, 7, 7, 7};
    growth_budget_push_result pz = {.struct_size = 0};
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "cap=1", send, NULL, 4,
                                         &pz, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    pz.struct_size = (uint32_t)offsetof(growth_budget_push_result, sent);
    CHECK_RC(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "cap=1", send, NULL, 4,
                                         &pz, NULL, NULL),
             GROWTH_EINVAL);
    CHECK(send[0] == 7 && send[1] == 7);
    struct {
        growth_budget_push_result r;
        double tail[2];
    } pbig;
    memset(&pbig, 0, sizeof pbig);
    pbig.r.struct_size = sizeof pbig;
    CHECK_OK(growth_budget_allocate_push(ptr, 2, v, cat, NULL, 2, NULL, NULL, 3, NULL, "cap=1", send, NULL, 4,
                                         &pbig.r, NULL, NULL));
    CHECK(pbig.r.struct_size == sizeof pbig && pbig.r.sent == 2 && pbig.tail[0] == 0 && pbig.tail[1] == 0);

    /* growth_channels_stats_get counts what growth_channels_count() counted */
    growth_channels *c;
    CHECK_OK(growth_channels_create(&c, ""));
    growth_channels_stats cs = GROWTH_CHANNELS_STATS_INIT;
    CHECK_OK(growth_channels_stats_get(c, &cs));
    CHECK(cs.channels == 0 && cs.reserved == 0);
    size_t idx = 99;
    double xs[3] = {0, 1, 2}, ys[3] = {0, 1, 1.5};
    for (size_t k = 0; k < 5; k++) {
        CHECK_OK(k % 2 ? growth_channels_add_points(c, xs, ys, 3, 1, 0, 10, &idx)
                       : growth_channels_add(c, GROWTH_CURVE_LOG, 10, 0.5, 1, 0, INFINITY, &idx));
        CHECK(idx == k);
    }
    CHECK_OK(growth_channels_add(c, GROWTH_CURVE_EXP, 10, 0.5, 1, 0, INFINITY, NULL)); /* index not wanted */
    CHECK_OK(growth_channels_stats_get(c, &cs));
    CHECK(cs.channels == 6);
    cs.struct_size = 0;
    CHECK_RC(growth_channels_stats_get(c, &cs), GROWTH_EINVAL);
    struct {
        growth_channels_stats s;
        uint64_t tail;
    } cbig;
    memset(&cbig, 0, sizeof cbig);
    cbig.s.struct_size = sizeof cbig;
    CHECK_OK(growth_channels_stats_get(c, &cbig.s));
    CHECK(cbig.s.channels == 6 && cbig.tail == 0);
    growth_channels_free(c);
}

int main(void)
{
    RUN(mckp_brute_force);
    RUN(mckp_lp_large_and_threads_agree);
    RUN(mckp_progress_cancel);
    RUN(mckp_polish_shards_match_solver);
    RUN(mckp_coord_equals_single_machine);
    RUN(mckp_coord_failures);
    RUN(mckp_bad_input);
    RUN(channels_grid_brute_force);
    RUN(channels_parametric_marginal);
    RUN(push_brute_force);
    RUN(push_bad_input);
    RUN(push_progress_and_cancel);
    RUN(response_fit_and_allocate);
    RUN(result_struct_sizes);
    return GT_SUMMARY();
}
