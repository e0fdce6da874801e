/* Audience selection: every direction against a brute-force reference on small random data,
 * union, selection, top-N metrics and fusion against exhaustive references, the full pipeline
 * on a synthetic direct-marketing population (precision over random selection), bad input. */
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

/* Under LeakSanitizer: libxgboost 1.7 itself leaks parts of every trained booster (as in
 * test_forest.c); the audience module's own allocations never go through it and stay checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libxgboost.so\n"; }

/* ---- small random sparse data ------------------------------------------------------------ */

typedef struct {
    size_t nrows, ncols;
    uint8_t *dense; /* nrows x ncols truth */
    uint64_t *ptr;
    uint32_t *idx;
} mat;

/* Bernoulli(p_col) entries; rows come unsorted with occasional duplicates (the API must cope). */
static void make_mat(mat *m, size_t nrows, size_t ncols, double pmax, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    m->nrows = nrows;
    m->ncols = ncols;
    m->dense = calloc(nrows * ncols, 1);
    double *p = malloc(ncols * sizeof *p);
    for (size_t c = 0; c < ncols; c++) p[c] = pmax * grng_uniform(&r);
    size_t cap = nrows * ncols * 2 + 1;
    m->ptr = malloc((nrows + 1) * sizeof *m->ptr);
    m->idx = malloc(cap * sizeof *m->idx);
    size_t k = 0;
    m->ptr[0] = 0;
    for (size_t u = 0; u < nrows; u++) {
        size_t start = k;
        for (size_t c = 0; c < ncols; c++)
            if (grng_uniform(&r) < p[c]) {
                m->dense[u * ncols + c] = 1;
                m->idx[k++] = (uint32_t)c;
                if (grng_uniform(&r) < 0.05) m->idx[k++] = (uint32_t)c; /* duplicate */
            }
        for (size_t i = k; i > start + 1; i--) { /* shuffle the row */
            size_t j = start + (size_t)grng_below(&r, i - start);
            uint32_t t = m->idx[i - 1];
            m->idx[i - 1] = m->idx[j];
            m->idx[j] = t;
        }
        m->ptr[u + 1] = k;
    }
    free(p);
}

static void free_mat(mat *m)
{
    free(m->dense);
    free(m->ptr);
    free(m->idx);
}

static size_t make_seed(uint32_t *seed, size_t nusers, double p, uint64_t s)
{
    grng r;
    grng_seed(&r, s);
    size_t n = 0;
    for (size_t u = 0; u < nusers; u++)
        if (grng_uniform(&r) < p) seed[n++] = (uint32_t)u;
    if (n == 0) seed[n++] = 0;
    return n;
}

/* ---- interest ---------------------------------------------------------------------------- */

TEST(tgi_matches_brute_force)
{
    for (uint64_t trial = 0; trial < 5; trial++) {
        mat m;
        size_t nu = 300, na = 25;
        make_mat(&m, nu, na, 0.4, 100 + trial);
        uint32_t seed[300];
        size_t ns = make_seed(seed, nu, 0.15, 200 + trial);
        seed[ns] = seed[0]; /* a duplicate seed id counts once */
        double tgi[25], conc[25];
        uint64_t sc[25], pc[25];
        CHECK_OK(growth_audience_tgi(m.ptr, m.idx, nu, na, seed, ns + 1, tgi, conc, sc, pc, 25));
        uint8_t inseed[300] = {0};
        for (size_t i = 0; i < ns; i++) inseed[seed[i]] = 1;
        for (size_t a = 0; a < na; a++) {
            uint64_t s = 0, p = 0;
            for (size_t u = 0; u < nu; u++) {
                p += m.dense[u * na + a];
                s += m.dense[u * na + a] && inseed[u];
            }
            CHECK(sc[a] == s && pc[a] == p);
            double want = p ? ((double)s / ns) / ((double)p / nu) * 100.0 : 0.0;
            CHECK_NEAR(tgi[a], want, 1e-9 * (1 + want));
            CHECK_NEAR(conc[a], p ? (double)s / p : 0.0, 1e-12);
        }
        /* interest: attributes with TGI >= 130 and at least 3 seed users; users holding >= 2 */
        uint32_t attrs[25], users[300];
        size_t nat = 0, nus = 0;
        CHECK_OK(growth_audience_interest(m.ptr, m.idx, nu, na, seed, ns,
                                          "min_tgi=130 min_seed_count=3 min_match=2", attrs, 25, &nat, users,
                                          300, &nus));
        uint8_t keep[25] = {0};
        size_t want_nat = 0;
        for (size_t a = 0; a < na; a++)
            if (tgi[a] >= 130 && sc[a] >= 3) {
                keep[a] = 1;
                want_nat++;
            }
        CHECK(nat == want_nat);
        for (size_t i = 0; i < nat; i++) {
            CHECK(keep[attrs[i]]);
            if (i)
                CHECK(tgi[attrs[i - 1]] > tgi[attrs[i]] ||
                      (tgi[attrs[i - 1]] == tgi[attrs[i]] && attrs[i - 1] < attrs[i]));
        }
        size_t k = 0;
        for (size_t u = 0; u < nu; u++) {
            int h = 0;
            for (size_t a = 0; a < na; a++) h += keep[a] && m.dense[u * na + a];
            if (h >= 2 && !inseed[u]) {
                CHECK(k < nus && users[k] == u);
                k++;
            }
        }
        CHECK(k == nus);
        /* max_attrs keeps the best TGI, include_seed returns seed users too */
        size_t nat2 = 0, nus2 = 0;
        CHECK_OK(growth_audience_interest(m.ptr, m.idx, nu, na, seed, ns,
                                          "min_tgi=0 max_attrs=3 include_seed=true", attrs, 25, &nat2, users,
                                          300, &nus2));
        CHECK(nat2 == 3);
        free_mat(&m);
    }
}

/* ---- related brands ---------------------------------------------------------------------- */

TEST(jaccard_matches_brute_force)
{
    mat m;
    size_t nu = 400, nb = 30, k = 5;
    make_mat(&m, nu, nb, 0.2, 7);
    uint32_t q[3] = {0, 7, 29};
    uint32_t ob[15];
    double oj[15];
    CHECK_OK(growth_audience_similar_brands(m.ptr, m.idx, nu, nb, q, 3, k, ob, oj, 15));
    for (size_t qi = 0; qi < 3; qi++) {
        double J[30];
        for (size_t c = 0; c < nb; c++) {
            size_t inter = 0, uni = 0;
            for (size_t u = 0; u < nu; u++) {
                inter += m.dense[u * nb + q[qi]] && m.dense[u * nb + c];
                uni += m.dense[u * nb + q[qi]] || m.dense[u * nb + c];
            }
            J[c] = (c == q[qi] || inter == 0) ? -1 : (double)inter / uni;
        }
        for (size_t i = 0; i < k; i++) { /* the i-th best by (J desc, id asc) */
            size_t best = SIZE_MAX;
            for (size_t c = 0; c < nb; c++)
                if (J[c] >= 0 && (best == SIZE_MAX || J[c] > J[best])) best = c;
            if (best == SIZE_MAX) {
                CHECK(ob[qi * k + i] == UINT32_MAX && oj[qi * k + i] == 0);
                continue;
            }
            CHECK(ob[qi * k + i] == best);
            CHECK_NEAR(oj[qi * k + i], J[best], 1e-15);
            J[best] = -1;
        }
    }
    /* brand direction: buyers of the k most similar brands of brand 0, outside the seed */
    uint32_t seed[400], users[400];
    size_t ns = 0, nus = 0;
    for (size_t u = 0; u < nu; u++)
        if (m.dense[u * nb + 0]) seed[ns++] = (uint32_t)u;
    CHECK_OK(
        growth_audience_brand(m.ptr, m.idx, nu, nb, q, 1, seed, ns, "k=5 min_brands=2", users, 400, &nus));
    size_t kk = 0;
    for (size_t u = 0; u < nu; u++) {
        int h = 0;
        for (size_t i = 0; i < k; i++) h += ob[i] != UINT32_MAX && m.dense[u * nb + ob[i]];
        if (h >= 2 && !m.dense[u * nb + 0]) {
            CHECK(kk < nus && users[kk] == u);
            kk++;
        }
    }
    CHECK(kk == nus && nus > 0);
    free_mat(&m);
}

/* ---- association rules ------------------------------------------------------------------- */

TEST(rules_match_brute_force)
{
    mat m;
    size_t nu = 500, nc = 15;
    make_mat(&m, nu, nc, 0.35, 11);
    const char *cfg = "min_support=0.03 min_confidence=0.2 min_lift=1.05";
    uint32_t A[300], B[300];
    double S[300], C[300], L[300];
    size_t n = 0;
    CHECK_OK(growth_audience_rules(m.ptr, m.idx, nu, nc, NULL, 0, cfg, A, B, S, C, L, 300, &n));
    size_t k = 0;
    for (size_t a = 0; a < nc; a++)
        for (size_t b = 0; b < nc; b++) {
            if (a == b) continue;
            size_t na = 0, nb = 0, nab = 0;
            for (size_t u = 0; u < nu; u++) {
                na += m.dense[u * nc + a];
                nb += m.dense[u * nc + b];
                nab += m.dense[u * nc + a] && m.dense[u * nc + b];
            }
            if (!na || !nb || !nab) continue;
            double s = (double)nab / nu, c = (double)nab / na, l = c / ((double)nb / nu);
            if (s < 0.03 || c < 0.2 || l < 1.05) continue;
            CHECK(k < n && A[k] == a && B[k] == b);
            if (k < n) {
                CHECK_NEAR(S[k], s, 1e-15);
                CHECK_NEAR(C[k], c, 1e-15);
                CHECK_NEAR(L[k], l, 1e-12);
            }
            k++;
        }
    CHECK(k == n && n > 0);
    /* only rules into category 3; category expansion = holders of their antecedents */
    uint32_t t = 3, A3[300], B3[300];
    size_t n3 = 0;
    CHECK_OK(growth_audience_rules(m.ptr, m.idx, nu, nc, &t, 1, cfg, A3, B3, NULL, NULL, NULL, 300, &n3));
    size_t want = 0;
    for (size_t i = 0; i < n; i++) want += B[i] == 3;
    CHECK(n3 == want);
    uint32_t seed[500], users[500];
    size_t ns = 0, nus = 0;
    for (size_t u = 0; u < nu; u++)
        if (m.dense[u * nc + 3]) seed[ns++] = (uint32_t)u;
    CHECK_OK(growth_audience_category(m.ptr, m.idx, nu, nc, &t, 1, seed, ns, cfg, users, 500, &nus));
    size_t kk = 0;
    for (size_t u = 0; u < nu; u++) {
        int h = 0;
        for (size_t i = 0; i < n3; i++) h += m.dense[u * nc + A3[i]];
        if (h >= 1 && !m.dense[u * nc + 3]) {
            CHECK(kk < nus && users[kk] == u);
            kk++;
        }
    }
    CHECK(kk == nus);
    /* EBUFS reports the size */
    size_t need = 0;
    CHECK_RC(growth_audience_rules(m.ptr, m.idx, nu, nc, NULL, 0, cfg, A, B, NULL, NULL, NULL, 1, &need),
             GROWTH_EBUFS);
    CHECK(need == n);
    free_mat(&m);
}

/* ---- peer -------------------------------------------------------------------------------- */

static double cosd(const float *a, const float *b, size_t d)
{
    double s = 0, na = 0, nb = 0;
    for (size_t j = 0; j < d; j++) {
        s += (double)a[j] * b[j];
        na += (double)a[j] * a[j];
        nb += (double)b[j] * b[j];
    }
    return na > 0 && nb > 0 ? s / sqrt(na * nb) : 0.0;
}

TEST(peer_matches_brute_force)
{
    size_t nu = 700, d = 12, n = 40;
    float *E = malloc(nu * d * sizeof *E);
    grng r;
    grng_seed(&r, 5);
    for (size_t i = 0; i < nu * d; i++) E[i] = (float)grng_normal(&r);
    for (size_t j = 0; j < d; j++) E[3 * d + j] = 0; /* a zero vector */
    uint32_t seed[700];
    size_t ns = make_seed(seed, nu, 0.03, 9);
    uint8_t inseed[700] = {0};
    for (size_t i = 0; i < ns; i++) inseed[seed[i]] = 1;
    for (int mode = 0; mode < 2; mode++) {
        double ref[700];
        float cen[12] = {0};
        if (mode == 1) {
            double c[12] = {0};
            for (size_t i = 0; i < ns; i++) {
                double nn = 0;
                for (size_t j = 0; j < d; j++) nn += (double)E[seed[i] * d + j] * E[seed[i] * d + j];
                for (size_t j = 0; j < d; j++) c[j] += nn > 0 ? E[seed[i] * d + j] / sqrt(nn) : 0;
            }
            for (size_t j = 0; j < d; j++) cen[j] = (float)c[j];
        }
        for (size_t u = 0; u < nu; u++) {
            if (mode == 0) {
                ref[u] = -2;
                for (size_t i = 0; i < ns; i++) {
                    double c = cosd(E + u * d, E + seed[i] * d, d);
                    if (c > ref[u]) ref[u] = c;
                }
            } else {
                ref[u] = cosd(E + u * d, cen, d);
            }
        }
        uint32_t out[40];
        float sim[40];
        size_t got = 0;
        CHECK_OK(growth_audience_peer(E, nu, d, seed, ns, n, mode ? "mode=centroid" : "mode=max", out, sim,
                                      40, &got));
        CHECK(got == n);
        /* reference ranking; allow swaps only within float rounding */
        for (size_t i = 0; i < got; i++) {
            CHECK(!inseed[out[i]]);
            CHECK_NEAR(sim[i], ref[out[i]], 2e-5);
            size_t better = 0;
            for (size_t u = 0; u < nu; u++)
                if (!inseed[u] && ref[u] > ref[out[i]] + 1e-5) better++;
            CHECK(better <= i);
        }
    }
    /* min_similarity trims the list */
    uint32_t out[40];
    size_t got = 0;
    CHECK_OK(growth_audience_peer(E, nu, d, seed, ns, 40, "min_similarity=0.9", out, NULL, 40, &got));
    CHECK(got < 40);
    free(E);
}

/* Peer audience through a vector index: a flat cosine index gives the brute-force users (the
 * same as growth_audience_peer(), ties aside); HNSW recalls >= 95% of them. */
static int64_t ref_rank_ok(const uint32_t *out, const float *sim, size_t got, const double *ref,
                           const uint8_t *inseed, size_t nu, bool include_seed)
{
    for (size_t i = 0; i < got; i++) {
        if (!include_seed && inseed[out[i]]) return -1;
        if (fabs(sim[i] - ref[out[i]]) > 2e-5) return -2;
        size_t better = 0;
        for (size_t u = 0; u < nu; u++)
            if ((include_seed || !inseed[u]) && ref[u] > ref[out[i]] + 1e-5) better++;
        if (better > i) return -3;
    }
    return 0;
}

static void peer_refs(const float *E, size_t nu, size_t d, const uint32_t *seed, size_t ns, int mode,
                      double *ref)
{
    float *cen = calloc(d, sizeof *cen);
    if (mode == 1) {
        double *c = calloc(d, sizeof *c);
        for (size_t i = 0; i < ns; i++) {
            double nn = 0;
            for (size_t j = 0; j < d; j++) nn += (double)E[seed[i] * d + j] * E[seed[i] * d + j];
            for (size_t j = 0; j < d; j++) c[j] += nn > 0 ? E[seed[i] * d + j] / sqrt(nn) : 0;
        }
        for (size_t j = 0; j < d; j++) cen[j] = (float)c[j];
        free(c);
    }
    for (size_t u = 0; u < nu; u++) {
        if (mode == 0) {
            ref[u] = -2;
            for (size_t i = 0; i < ns; i++) {
                double c = cosd(E + u * d, E + seed[i] * d, d);
                if (c > ref[u]) ref[u] = c;
            }
        } else {
            ref[u] = cosd(E + u * d, cen, d);
        }
    }
    free(cen);
}

TEST(peer_index_matches_brute_force)
{
    size_t nu = 700, d = 12, n = 40;
    float *E = malloc(nu * d * sizeof *E);
    double *ref = malloc(nu * sizeof *ref);
    grng r;
    grng_seed(&r, 15);
    for (size_t i = 0; i < nu * d; i++) E[i] = (float)grng_normal(&r);
    for (size_t j = 0; j < d; j++) E[5 * d + j] = 0; /* a zero vector */
    uint32_t seed[700];
    size_t ns = make_seed(seed, nu, 0.03, 19);
    seed[ns] = seed[0]; /* a repeated seed user counts once */
    uint8_t inseed[700] = {0};
    for (size_t i = 0; i < ns; i++) inseed[seed[i]] = 1;
    growth_index *ix = NULL;
    CHECK_OK(growth_index_create(&ix, "dim=12 metric=cosine kind=flat"));
    CHECK_OK(growth_index_add(ix, E, nu, NULL)); /* ids 0 .. nu-1 = user ids */
    for (int mode = 0; mode < 2; mode++)
        for (int incl = 0; incl < 2; incl++) {
            char cfg[64];
            snprintf(cfg, sizeof cfg, "mode=%s include_seed=%s", mode ? "centroid" : "max",
                     incl ? "true" : "false");
            peer_refs(E, nu, d, seed, ns, mode, ref);
            uint32_t out[40], o2[40];
            float sim[40], s2[40];
            size_t got = 0, got2 = 0;
            CHECK_OK(growth_audience_peer_index(ix, seed, ns + 1, n, cfg, out, sim, 40, &got));
            CHECK(got == n);
            CHECK(ref_rank_ok(out, sim, got, ref, inseed, nu, incl) == 0);
            /* the same users as the matrix version, ties aside */
            CHECK_OK(growth_audience_peer(E, nu, d, seed, ns + 1, n, cfg, o2, s2, 40, &got2));
            CHECK(got2 == got);
            for (size_t i = 0; i < got; i++) {
                CHECK_NEAR(sim[i], s2[i], 1e-5);
                if (out[i] != o2[i]) CHECK(fabs(ref[out[i]] - ref[o2[i]]) <= 1e-5);
            }
        }
    /* min_similarity trims the list as in growth_audience_peer() */
    uint32_t out[40], o2[40];
    size_t got = 0, got2 = 0;
    CHECK_OK(growth_audience_peer_index(ix, seed, ns, 40, "min_similarity=0.9", out, NULL, 40, &got));
    CHECK_OK(growth_audience_peer(E, nu, d, seed, ns, 40, "min_similarity=0.9", o2, NULL, 40, &got2));
    CHECK(got < 40 && got == got2);
    growth_index_free(ix);

    /* ip over unit-length vectors equals cosine; user ids need not be dense */
    float *U = malloc(nu * d * sizeof *U);
    int64_t *ids = malloc(nu * sizeof *ids);
    for (size_t u = 0; u < nu; u++) {
        double nn = 0;
        for (size_t j = 0; j < d; j++) nn += (double)E[u * d + j] * E[u * d + j];
        for (size_t j = 0; j < d; j++) U[u * d + j] = nn > 0 ? (float)(E[u * d + j] / sqrt(nn)) : 0.0f;
        ids[u] = (int64_t)(3 * u + 1);
    }
    CHECK_OK(growth_index_create(&ix, "dim=12 metric=ip kind=flat"));
    CHECK_OK(growth_index_add(ix, U, nu, ids));
    uint32_t sid[700];
    for (size_t i = 0; i < ns; i++) sid[i] = (uint32_t)(3 * seed[i] + 1);
    peer_refs(E, nu, d, seed, ns, 0, ref);
    float sim[40];
    CHECK_OK(growth_audience_peer_index(ix, sid, ns, n, NULL, out, sim, 40, &got));
    CHECK(got == n);
    for (size_t i = 0; i < got; i++) {
        CHECK(out[i] % 3 == 1);
        out[i] = (out[i] - 1) / 3;
    }
    CHECK(ref_rank_ok(out, sim, got, ref, inseed, nu, false) == 0);
    growth_index_free(ix);
    free(U);
    free(ids);
    free(E);
    free(ref);
}

TEST(peer_index_hnsw_recall)
{
    size_t nu = 4000, d = 16, n = 100;
    float *E = malloc(nu * d * sizeof *E);
    grng r;
    grng_seed(&r, 23);
    /* clustered users, as embeddings are */
    float C[8 * 16];
    for (size_t i = 0; i < 8 * d; i++) C[i] = (float)grng_normal(&r);
    for (size_t u = 0; u < nu; u++) {
        size_t c = (size_t)(grng_uniform(&r) * 8) % 8;
        for (size_t j = 0; j < d; j++) E[u * d + j] = C[c * d + j] + 0.8f * (float)grng_normal(&r);
    }
    uint32_t *seed = malloc(nu * sizeof *seed);
    size_t ns = make_seed(seed, nu, 0.005, 29);
    growth_index *ix = NULL;
    CHECK_OK(
        growth_index_create(&ix, "dim=16 metric=cosine kind=hnsw M=16 ef_construction=200 ef=64 seed=3"));
    CHECK_OK(growth_index_add(ix, E, nu, NULL));
    for (int mode = 0; mode < 2; mode++) {
        const char *cfg = mode ? "mode=centroid" : "mode=max";
        uint32_t out[100], exact[100];
        size_t got = 0, gx = 0;
        CHECK_OK(growth_audience_peer_index(ix, seed, ns, n, cfg, out, NULL, 100, &got));
        CHECK_OK(growth_audience_peer(E, nu, d, seed, ns, n, cfg, exact, NULL, 100, &gx));
        CHECK(gx == n && got <= n);
        size_t hits = 0;
        for (size_t i = 0; i < got; i++)
            for (size_t j = 0; j < gx; j++) hits += out[i] == exact[j];
        printf("  peer via HNSW (%s): recall %.3f of %zu, %zu seed users\n", cfg, (double)hits / n, n, ns);
        CHECK((double)hits / (double)n >= 0.95);
    }
    growth_index_free(ix);
    free(seed);
    free(E);
}

/* ---- lost -------------------------------------------------------------------------------- */

TEST(lost_matches_brute_force)
{
    size_t nu = 200, ne = 1500;
    uint32_t *u = malloc(ne * sizeof *u);
    int64_t *t = malloc(ne * sizeof *t);
    grng r;
    grng_seed(&r, 3);
    for (size_t i = 0; i < ne; i++) {
        u[i] = (uint32_t)grng_below(&r, nu - 10); /* the last 10 users have no event */
        t[i] = 1000 + (int64_t)grng_below(&r, 400);
    }
    uint32_t out[200];
    int64_t last[200];
    size_t n = 0;
    CHECK_OK(growth_audience_lost(u, t, ne, nu, "now=1350 inactive=30 window=200 min_events=6", out, last,
                                  200, &n));
    size_t k = 0;
    for (size_t v = 0; v < nu; v++) {
        int64_t lt = INT64_MIN;
        int cnt = 0;
        for (size_t i = 0; i < ne; i++)
            if (u[i] == v && t[i] <= 1350) {
                cnt++;
                if (t[i] > lt) lt = t[i];
            }
        if (cnt >= 6 && lt < 1350 - 30 && lt >= 1350 - 200) {
            CHECK(k < n && out[k] == v && last[k] == lt);
            k++;
        }
    }
    CHECK(k == n && n > 0);
    /* default now = latest event */
    CHECK_OK(growth_audience_lost(u, t, ne, nu, "inactive=10 window=100", out, NULL, 200, &n));
    CHECK_RC(growth_audience_lost(u, t, ne, nu, "inactive=10 window=5", out, NULL, 200, &n), GROWTH_EINVAL);
    CHECK_MSG("window");
    free(u);
    free(t);
}

/* ---- union and selection ----------------------------------------------------------------- */

TEST(union_and_select)
{
    uint32_t a[] = {5, 1, 9, 5}, b[] = {9, 2}, c[] = {7};
    const uint32_t *lists[] = {a, b, c};
    size_t lens[] = {4, 2, 1};
    uint32_t dirs[] = {GROWTH_AUDIENCE_INTEREST, GROWTH_AUDIENCE_PEER, GROWTH_AUDIENCE_LOST};
    uint32_t users[10], d[10];
    size_t n = 0;
    CHECK_OK(growth_audience_union(lists, lens, dirs, 3, 10, users, d, 10, &n));
    uint32_t wu[] = {1, 2, 5, 7, 9};
    uint32_t wd[] = {GROWTH_AUDIENCE_INTEREST, GROWTH_AUDIENCE_PEER, GROWTH_AUDIENCE_INTEREST,
                     GROWTH_AUDIENCE_LOST, GROWTH_AUDIENCE_INTEREST | GROWTH_AUDIENCE_PEER};
    CHECK(n == 5);
    for (size_t i = 0; i < 5 && i < n; i++) CHECK(users[i] == wu[i] && d[i] == wd[i]);
    CHECK_RC(growth_audience_union(lists, lens, dirs, 3, 10, users, d, 2, &n), GROWTH_EBUFS);
    CHECK(n == 5);
    CHECK_RC(growth_audience_union(lists, lens, dirs, 3, 8, users, d, 10, &n), GROWTH_EINVAL);
    CHECK_MSG("out of range");

    uint32_t pool[] = {10, 11, 12, 13, 14, 15};
    float s[] = {0.9f, 0.2f, 0.7f, 0.7f, 0.95f, 0.5f};
    uint32_t ex[] = {14};
    uint32_t top[6];
    float ts[6];
    CHECK_OK(growth_audience_select(pool, s, 6, ex, 1, 0.5f, 3, top, ts, 6, &n));
    CHECK(n == 3 && top[0] == 10 && top[1] == 12 && top[2] == 13 && ts[0] == 0.9f);
    CHECK_OK(growth_audience_select(pool, s, 6, ex, 1, 0.6f, 6, top, ts, 6, &n));
    CHECK(n == 3); /* 0.5 and 0.2 fall below the threshold, 14 is excluded */
    CHECK_RC(growth_audience_select(pool, s, 6, NULL, 0, 0.0f, 7, top, ts, 7, &n), GROWTH_EINVAL);
    CHECK_MSG("larger than the pool");
    pool[1] = 10;
    CHECK_RC(growth_audience_select(pool, s, 6, NULL, 0, 0.0f, 2, top, ts, 6, &n), GROWTH_EINVAL);
    CHECK_MSG("twice");
}

/* ---- metrics and fusion ------------------------------------------------------------------ */

/* top-n hits by a full selection sort (score desc, position asc). */
static size_t ref_hits(const float *s, const float *y, const uint8_t *skip, size_t n, size_t topn)
{
    uint8_t *taken = calloc(n, 1);
    size_t h = 0;
    for (size_t k = 0; k < topn; k++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && !(skip && skip[i]) && (best == SIZE_MAX || s[i] > s[best])) best = i;
        if (best == SIZE_MAX) break;
        taken[best] = 1;
        h += y[best] == 1.0f;
    }
    free(taken);
    return h;
}

TEST(topn_metrics_match_brute_force)
{
    size_t n = 500;
    float s[500], y[500];
    uint8_t known[500];
    grng r;
    grng_seed(&r, 21);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = grng_uniform(&r) < 0.2 ? 1.0f : 0.0f;
        s[i] = (float)floor((grng_uniform(&r) + 0.3 * y[i]) * 20) / 20; /* many ties */
        known[i] = grng_uniform(&r) < 0.2;
        pos += y[i] == 1.0f;
    }
    for (size_t topn = 1; topn <= n; topn += 37) {
        double p, rc, l;
        CHECK_OK(growth_metrics_topn_precision(s, y, n, topn, &p));
        CHECK_NEAR(p, (double)ref_hits(s, y, NULL, n, topn) / topn, 1e-15);
        CHECK_OK(growth_metrics_topn_lift(s, y, n, topn, &l));
        CHECK_NEAR(l, p / ((double)pos / n), 1e-12);
        size_t fresh = 0, pool = 0;
        for (size_t i = 0; i < n; i++)
            if (!known[i]) {
                pool++;
                fresh += y[i] == 1.0f;
            }
        if (topn <= pool) {
            CHECK_OK(growth_metrics_topn_recall(s, y, known, n, topn, &rc));
            CHECK_NEAR(rc, (double)ref_hits(s, y, known, n, topn) / fresh, 1e-15);
        }
    }
    double p;
    CHECK_RC(growth_metrics_topn_precision(s, y, n, n + 1, &p), GROWTH_EINVAL);
    CHECK_MSG("larger than the pool");
    s[3] = NAN;
    CHECK_RC(growth_metrics_topn_precision(s, y, n, 10, &p), GROWTH_EINVAL);
    CHECK_MSG("scores[3]");
    s[3] = 0;
    y[4] = 2;
    CHECK_RC(growth_metrics_topn_lift(s, y, n, 10, &p), GROWTH_EINVAL);
    CHECK_MSG("labels[4]");
}

TEST(fusion_matches_exhaustive_search)
{
    /* two models: one sees half of the positives, the other the rest, plus noise */
    size_t n = 2000, topn = 200;
    float *S = malloc(3 * n * sizeof *S), y[2000];
    grng r;
    grng_seed(&r, 8);
    for (size_t i = 0; i < n; i++) {
        y[i] = grng_uniform(&r) < 0.1 ? 1.0f : 0.0f;
        int half = grng_uniform(&r) < 0.5;
        S[i] = (float)(grng_normal(&r) + 2.0 * y[i] * half);
        S[n + i] = (float)(100 + 10 * (grng_normal(&r) + 1.5 * y[i] * !half)); /* other scale */
        S[2 * n + i] = (float)grng_normal(&r);                                 /* pure noise */
    }
    for (int norm = 0; norm < 3; norm++) {
        const char *nm[] = {"rank", "minmax", "zscore"};
        char cfg[64];
        snprintf(cfg, sizeof cfg, "normalize=%s step=0.1", nm[norm]);
        double w[3], prec = 0;
        CHECK_OK(growth_rank_fuse_fit(S, 3, n, y, topn, cfg, w, 3, &prec, NULL, NULL));
        CHECK_NEAR(w[0] + w[1] + w[2], 1.0, 1e-12);
        /* exhaustive: no grid point is better, and the fused scores reproduce the precision */
        float *f = malloc(n * sizeof *f);
        double best = 0;
        char cfg2[64];
        snprintf(cfg2, sizeof cfg2, "normalize=%s", nm[norm]);
        for (int a = 0; a <= 10; a++)
            for (int b = 0; a + b <= 10; b++) {
                double ww[3] = {a / 10.0, b / 10.0, (10 - a - b) / 10.0};
                CHECK_OK(growth_rank_fuse_scores(S, 3, n, ww, cfg2, f, n));
                double p;
                CHECK_OK(growth_metrics_topn_precision(f, y, n, topn, &p));
                if (p > best) best = p;
            }
        CHECK_NEAR(prec, best, 1e-12);
        CHECK_OK(growth_rank_fuse_scores(S, 3, n, w, cfg2, f, n));
        double p;
        CHECK_OK(growth_metrics_topn_precision(f, y, n, topn, &p));
        CHECK_NEAR(p, prec, 1e-12);
        CHECK(w[0] > 0 && w[1] > 0); /* both informative models are used */
        double p0, p1;
        CHECK_OK(growth_metrics_topn_precision(S, y, n, topn, &p0));
        CHECK_OK(growth_metrics_topn_precision(S + n, y, n, topn, &p1));
        CHECK(prec > p0 && prec > p1);
        free(f);
    }
    /* rank normalisation equals (average rank - 1) / (n - 1) */
    float s4[4] = {3, 1, 3, 2}, o4[4];
    double one = 1;
    CHECK_OK(growth_rank_fuse_scores(s4, 1, 4, &one, "normalize=rank", o4, 4));
    CHECK_NEAR(o4[0], 2.5 / 3, 1e-7);
    CHECK_NEAR(o4[1], 0, 1e-7);
    CHECK_NEAR(o4[3], 1.0 / 3, 1e-7);
    double w[3];
    CHECK_RC(growth_rank_fuse_fit(S, 3, n, y, topn, "step=0.3", w, 3, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("step");
    CHECK_RC(growth_rank_fuse_fit(S, 3, n, y, topn, "step=0.001", w, 3, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("grid");
    free(S);
}

/* ---- the pipeline on a synthetic direct-marketing population ----------------------------- */

enum { PN = 20000, PATTR = 60, PBRAND = 40, PCAT = 25, PDIM = 16 };

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

typedef struct {
    mat attr, brand, cat;
    float *emb;
    uint32_t *ev_user;
    int64_t *ev_time;
    size_t nev;
    uint8_t *seed, *later;
    uint64_t *fptr;
    uint32_t *fidx;
    size_t nfeat;
} population;

static void csr_from_dense(mat *m, size_t nrows, size_t ncols)
{
    m->nrows = nrows;
    m->ncols = ncols;
    size_t nnz = 0;
    for (size_t i = 0; i < nrows * ncols; i++) nnz += m->dense[i];
    m->ptr = malloc((nrows + 1) * sizeof *m->ptr);
    m->idx = malloc((nnz + 1) * sizeof *m->idx);
    size_t k = 0;
    m->ptr[0] = 0;
    for (size_t u = 0; u < nrows; u++) {
        for (size_t c = 0; c < ncols; c++)
            if (m->dense[u * ncols + c]) m->idx[k++] = (uint32_t)c;
        m->ptr[u + 1] = k;
    }
}

/* A hidden affinity z per user drives: 10 of 60 attributes, brands 1-5 (related to brand 0),
 * categories 1-3 (co-bought with the brand's category 0), a direction of the embedding, past
 * purchases of the brand (lost buyers) and buying: the seed (brand 0 buyers so far) and the
 * later buyers to predict. */
static void make_population(population *P, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    double *z = malloc(PN * sizeof *z);
    for (size_t u = 0; u < PN; u++) z[u] = grng_normal(&r);
    P->attr.dense = calloc(PN * PATTR, 1);
    P->brand.dense = calloc(PN * PBRAND, 1);
    P->cat.dense = calloc(PN * PCAT, 1);
    P->emb = malloc(PN * PDIM * sizeof *P->emb);
    P->seed = calloc(PN, 1);
    P->later = calloc(PN, 1);
    P->ev_user = malloc(PN * 4 * sizeof *P->ev_user);
    P->ev_time = malloc(PN * 4 * sizeof *P->ev_time);
    P->nev = 0;
    for (size_t u = 0; u < PN; u++) {
        for (size_t a = 0; a < PATTR; a++)
            P->attr.dense[u * PATTR + a] = grng_uniform(&r) < (a < 10 ? sigm(-2.0 + 1.2 * z[u]) : 0.12);
        for (size_t b = 1; b < PBRAND; b++)
            P->brand.dense[u * PBRAND + b] = grng_uniform(&r) < (b <= 5 ? sigm(-3.0 + 1.3 * z[u]) : 0.04);
        for (size_t c = 1; c < PCAT; c++)
            P->cat.dense[u * PCAT + c] = grng_uniform(&r) < (c <= 3 ? sigm(-2.2 + 1.0 * z[u]) : 0.1);
        for (size_t j = 0; j < PDIM; j++)
            P->emb[u * PDIM + j] = (float)(grng_normal(&r) + (j < 4 ? 0.8 * z[u] : 0.0));
        P->seed[u] = grng_uniform(&r) < sigm(-4.2 + 1.5 * z[u]);
        if (P->seed[u]) {
            P->brand.dense[u * PBRAND + 0] = 1;
            P->cat.dense[u * PCAT + 0] = 1;
        } else {
            P->later[u] = grng_uniform(&r) < sigm(-4.6 + 1.5 * z[u]);
            if (grng_uniform(&r) < sigm(-3.5 + 1.0 * z[u])) { /* bought long ago, lapsed */
                int64_t t = 1000 - 40 - (int64_t)grng_below(&r, 150);
                P->ev_user[P->nev] = (uint32_t)u;
                P->ev_time[P->nev++] = t;
            }
        }
        if (grng_uniform(&r) < 0.05) P->cat.dense[u * PCAT + 0] = 1;
        if (P->seed[u]) { /* recent purchases of the seed */
            P->ev_user[P->nev] = (uint32_t)u;
            P->ev_time[P->nev++] = 1000 - (int64_t)grng_below(&r, 30);
        }
    }
    csr_from_dense(&P->attr, PN, PATTR);
    csr_from_dense(&P->brand, PN, PBRAND);
    csr_from_dense(&P->cat, PN, PCAT);
    /* target-model features: attributes, brands 1.., categories 1.. (not the label columns) */
    P->nfeat = PATTR + PBRAND + PCAT;
    P->fptr = malloc((PN + 1) * sizeof *P->fptr);
    P->fidx = malloc(PN * P->nfeat * sizeof *P->fidx);
    size_t k = 0;
    P->fptr[0] = 0;
    for (size_t u = 0; u < PN; u++) {
        for (size_t a = 0; a < PATTR; a++)
            if (P->attr.dense[u * PATTR + a]) P->fidx[k++] = (uint32_t)a;
        for (size_t b = 1; b < PBRAND; b++)
            if (P->brand.dense[u * PBRAND + b]) P->fidx[k++] = (uint32_t)(PATTR + b);
        for (size_t c = 1; c < PCAT; c++)
            if (P->cat.dense[u * PCAT + c]) P->fidx[k++] = (uint32_t)(PATTR + PBRAND + c);
        P->fptr[u + 1] = k;
    }
    free(z);
}

static void free_population(population *P)
{
    free_mat(&P->attr);
    free_mat(&P->brand);
    free_mat(&P->cat);
    free(P->emb);
    free(P->ev_user);
    free(P->ev_time);
    free(P->seed);
    free(P->later);
    free(P->fptr);
    free(P->fidx);
}

static double precision_of(const uint32_t *users, size_t n, const uint8_t *later)
{
    size_t h = 0;
    for (size_t i = 0; i < n; i++) h += later[users[i]];
    return (double)h / (double)n;
}

TEST(pipeline_beats_random_selection)
{
    population P;
    make_population(&P, 2024);
    uint32_t *seed = malloc(PN * sizeof *seed);
    size_t ns = 0, nlater = 0;
    for (size_t u = 0; u < PN; u++) {
        if (P.seed[u]) seed[ns++] = (uint32_t)u;
        nlater += P.later[u];
    }
    double base = (double)nlater / (double)(PN - ns); /* expected precision of random selection */

    uint32_t *L[5];
    size_t len[5];
    for (int i = 0; i < 5; i++) L[i] = malloc(PN * sizeof *L[i]);
    uint32_t attrs[PATTR], brand0 = 0, cat0 = 0;
    size_t na = 0;
    CHECK_OK(growth_audience_interest(P.attr.ptr, P.attr.idx, PN, PATTR, seed, ns, "min_tgi=150 min_match=2",
                                      attrs, PATTR, &na, L[0], PN, &len[0]));
    CHECK_OK(growth_audience_brand(P.brand.ptr, P.brand.idx, PN, PBRAND, &brand0, 1, seed, ns, "k=5", L[1],
                                   PN, &len[1]));
    CHECK_OK(growth_audience_category(P.cat.ptr, P.cat.idx, PN, PCAT, &cat0, 1, seed, ns,
                                      "min_support=0.01 min_confidence=0.05 min_lift=1.2", L[2], PN,
                                      &len[2]));
    CHECK_OK(growth_audience_peer(P.emb, PN, PDIM, seed, ns, 3000, "mode=centroid", L[3], NULL, PN, &len[3]));
    CHECK_OK(growth_audience_lost(P.ev_user, P.ev_time, P.nev, PN, "now=1000 inactive=35 window=200", L[4],
                                  NULL, PN, &len[4]));
    const uint32_t *lists[5] = {L[0], L[1], L[2], L[3], L[4]};
    uint32_t dirs[5] = {GROWTH_AUDIENCE_INTEREST, GROWTH_AUDIENCE_BRAND, GROWTH_AUDIENCE_CATEGORY,
                        GROWTH_AUDIENCE_PEER, GROWTH_AUDIENCE_LOST};
    uint32_t *pool = malloc(PN * sizeof *pool), *pd = malloc(PN * sizeof *pd);
    size_t np = 0;
    CHECK_OK(growth_audience_union(lists, len, dirs, 5, PN, pool, pd, PN, &np));
    double pool_prec = precision_of(pool, np, P.later);
    printf("  population %d, seed %zu, later buyers %zu (random precision %.4f)\n", PN, ns, nlater, base);
    printf("  directions: interest %zu (%zu attrs), brand %zu, category %zu, peer %zu, lost %zu -> pool %zu "
           "(precision %.4f)\n",
           len[0], na, len[1], len[2], len[3], len[4], np, pool_prec);
    for (int i = 0; i < 5; i++) CHECK(len[i] > 0 && precision_of(L[i], len[i], P.later) > base);

    const size_t N = 500;
    float *sc = malloc(np * sizeof *sc);
    uint32_t top[500];
    const char *cfgs[] = {"learner=forest method=spy rounds=60 max_depth=3",
                          "learner=forest method=prior rounds=60 max_depth=3",
                          "learner=ftrl method=naive epochs=3"};
    double best = 0;
    for (int c = 0; c < 3; c++) {
        CHECK_OK(growth_audience_pu_score(P.fptr, P.fidx, NULL, PN, P.nfeat, seed, ns, pool, np, cfgs[c], sc,
                                          np, NULL, NULL));
        size_t nt = 0;
        CHECK_OK(growth_audience_select(pool, sc, np, seed, ns, 0.0f, N, top, NULL, N, &nt));
        CHECK(nt == N);
        double p = precision_of(top, nt, P.later);
        printf("  %-48s top-%zu precision %.4f = %.2fx random, %.2fx the unranked pool\n", cfgs[c], N, p,
               p / base, p / pool_prec);
        CHECK(p > 2.0 * base);
        CHECK(p > pool_prec);
        if (p > best) best = p;
    }
    printf("  AUDIENCE_LIFT_FACTOR %.2f\n", best / base);
    free(sc);
    free(pool);
    free(pd);
    for (int i = 0; i < 5; i++) free(L[i]);
    free(seed);
    free_population(&P);
}

/* ---- bad input --------------------------------------------------------------------------- */

TEST(bad_input)
{
    uint64_t ip[4] = {0, 2, 3, 5};
    uint32_t ix[5] = {0, 1, 1, 0, 2};
    uint32_t seed[2] = {0, 1}, out[8], attrs[3];
    double tgi[3];
    size_t n1 = 0, n2 = 0;
    CHECK_RC(growth_audience_tgi(ip, ix, 3, 3, seed, 0, tgi, NULL, NULL, NULL, 3), GROWTH_EINVAL);
    CHECK_MSG("growth_audience_tgi: the seed is empty");
    uint32_t bad[1] = {3};
    CHECK_RC(growth_audience_tgi(ip, ix, 3, 3, bad, 1, tgi, NULL, NULL, NULL, 3), GROWTH_EINVAL);
    CHECK_MSG("seed[0] = 3 is out of range");
    CHECK_RC(growth_audience_tgi(ip, ix, 3, 3, seed, 2, tgi, NULL, NULL, NULL, 2), GROWTH_EBUFS);
    CHECK_RC(growth_audience_tgi(ip, ix, 3, 2, seed, 2, tgi, NULL, NULL, NULL, 3), GROWTH_EINVAL);
    CHECK_MSG("row 2 has column 2");
    uint64_t ipd[4] = {0, 2, 1, 5};
    CHECK_RC(growth_audience_tgi(ipd, ix, 3, 3, seed, 2, tgi, NULL, NULL, NULL, 3), GROWTH_EINVAL);
    CHECK_MSG("decreases");
    CHECK_RC(growth_audience_interest(ip, ix, 3, 3, seed, 2, "min_tgi=abc", attrs, 3, &n1, out, 8, &n2),
             GROWTH_EINVAL);
    CHECK_MSG("min_tgi");
    CHECK_RC(growth_audience_interest(ip, ix, 3, 3, seed, 2, "colour=blue", attrs, 3, &n1, out, 8, &n2),
             GROWTH_EINVAL);
    CHECK_MSG("colour");
    CHECK_RC(growth_audience_interest(ip, ix, 3, 3, seed, 2, "min_tgi=0 include_seed=true", attrs, 3, &n1,
                                      out, 1, &n2),
             GROWTH_EBUFS);
    CHECK(n2 == 3);
    uint32_t b9 = 9, b0 = 0;
    uint32_t ob[2];
    CHECK_RC(growth_audience_similar_brands(ip, ix, 3, 3, &b9, 1, 2, ob, NULL, 2), GROWTH_EINVAL);
    CHECK_MSG("brands[0] = 9");
    CHECK_RC(growth_audience_similar_brands(ip, ix, 3, 3, &b0, 1, 3, ob, NULL, 2), GROWTH_EBUFS);
    CHECK_RC(growth_audience_brand(ip, ix, 3, 3, &b0, 1, NULL, 0, NULL, out, 8, &n1), GROWTH_EINVAL);
    CHECK_MSG("seed is empty");
    CHECK_RC(growth_audience_category(ip, ix, 3, 3, &b9, 1, seed, 2, NULL, out, 8, &n1), GROWTH_EINVAL);
    CHECK_MSG("target category list[0] = 9");
    CHECK_RC(growth_audience_rules(ip, ix, 3, 3, seed, 0, NULL, out, out, NULL, NULL, NULL, 8, &n1),
             GROWTH_EINVAL);
    float E[6] = {1, 0, 0, 1, 1, 1};
    float sim[3];
    CHECK_RC(growth_audience_peer(E, 3, 2, seed, 2, 2, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
    CHECK_MSG("N = 2 is larger than the pool (1 users outside the seed)");
    CHECK_RC(growth_audience_peer(E, 3, 2, seed, 0, 1, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
    CHECK_MSG("seed is empty");
    E[4] = NAN;
    CHECK_RC(growth_audience_peer(E, 3, 2, seed, 2, 1, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
    CHECK_MSG("user 2");
    E[4] = 1;
    CHECK_RC(growth_audience_peer(E, 3, 2, seed, 2, 1, "mode=median", out, sim, 3, &n1), GROWTH_EINVAL);
    CHECK_MSG("mode");
    {
        growth_index *gi = NULL, *l2 = NULL, *empty = NULL;
        CHECK_OK(growth_index_create(&gi, "dim=2 metric=cosine"));
        CHECK_OK(growth_index_add(gi, E, 3, NULL));
        CHECK_RC(growth_audience_peer_index(NULL, seed, 2, 1, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("idx is NULL");
        CHECK_RC(growth_audience_peer_index(gi, seed, 2, 2, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("N = 2 is larger than the pool (1 users outside the seed)");
        CHECK_RC(growth_audience_peer_index(gi, seed, 2, 0, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("N is 0");
        CHECK_RC(growth_audience_peer_index(gi, seed, 0, 1, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("seed is empty");
        CHECK_RC(growth_audience_peer_index(gi, NULL, 2, 1, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_RC(growth_audience_peer_index(gi, seed, 2, 1, NULL, out, sim, 0, &n1), GROWTH_EBUFS);
        CHECK_RC(growth_audience_peer_index(gi, seed, 2, 1, "mode=median", out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("mode");
        uint32_t far[2] = {0, 7};
        CHECK_RC(growth_audience_peer_index(gi, far, 2, 1, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("seed user 7 is not in the index");
        CHECK_OK(growth_index_create(&l2, "dim=2 metric=l2"));
        CHECK_OK(growth_index_add(l2, E, 3, NULL));
        CHECK_RC(growth_audience_peer_index(l2, seed, 2, 1, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("metric=l2");
        CHECK_OK(growth_index_create(&empty, "dim=2 metric=cosine kind=hnsw"));
        CHECK_RC(growth_audience_peer_index(empty, seed, 2, 1, NULL, out, sim, 3, &n1), GROWTH_ESTATE);
        int64_t big = (int64_t)UINT32_MAX + 5;
        CHECK_OK(growth_index_add(empty, E + 4, 1, &big)); /* an id that is no user id */
        int64_t small[2] = {0, 1};
        CHECK_OK(growth_index_add(empty, E, 2, small));
        uint32_t s0 = 0;
        n1 = 99;
        CHECK_RC(growth_audience_peer_index(empty, &s0, 1, 2, NULL, out, sim, 3, &n1), GROWTH_EINVAL);
        CHECK_MSG("not a user id");
        CHECK(n1 == 0); /* the count is 0 after a failure other than EBUFS */
        growth_index_free(gi);
        growth_index_free(l2);
        growth_index_free(empty);
    }
    uint32_t eu[2] = {0, 5};
    int64_t et[2] = {1, 2};
    CHECK_RC(growth_audience_lost(eu, et, 2, 3, NULL, out, NULL, 8, &n1), GROWTH_EINVAL);
    CHECK_MSG("users[1] = 5");
    float fs[3];
    uint32_t pool[2] = {2, 7};
    CHECK_RC(growth_audience_pu_score(ip, ix, NULL, 3, 3, seed, 2, pool, 2, NULL, fs, 3, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("pool[1] = 7");
    CHECK_RC(growth_audience_pu_score(ip, ix, NULL, 3, 3, seed, 0, pool, 1, NULL, fs, 3, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("growth_audience_pu_score: the seed is empty");
    uint32_t all[3] = {0, 1, 2};
    CHECK_RC(growth_audience_pu_score(ip, ix, NULL, 3, 3, all, 3, pool, 1, NULL, fs, 3, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("no user outside the seed");
    CHECK_RC(growth_audience_pu_score(ip, ix, NULL, 3, 3, seed, 2, pool, 1, "learner=svm", fs, 3, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("learner");
    float vals[5] = {1, 1, NAN, 1, 1};
    CHECK_RC(growth_audience_pu_score(ip, ix, vals, 3, 3, seed, 2, pool, 1, NULL, fs, 3, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("NaN");
    CHECK_RC(growth_audience_pu_score(ip, ix, NULL, 3, 3, seed, 1, pool, 1, "method=spy", fs, 3, NULL, NULL),
             GROWTH_EINVAL);
    CHECK_MSG("at least 2");
    double w[2];
    float S2[4] = {1, 2, 3, 4}, y2[2] = {0, 1};
    CHECK_RC(growth_rank_fuse_fit(S2, 2, 2, y2, 3, NULL, w, 2, NULL, NULL, NULL), GROWTH_EINVAL);
    CHECK_MSG("larger than the validation set");
    double wn[2] = {NAN, 1};
    CHECK_RC(growth_rank_fuse_scores(S2, 2, 2, wn, NULL, S2, 4), GROWTH_EINVAL);
    CHECK_MSG("weights[0]");
}

/* A small PU run through FTRL with values, prior correction and pool negatives. */
TEST(pu_variants_run)
{
    population P;
    make_population(&P, 77);
    uint32_t *seed = malloc(PN * sizeof *seed), *pool = malloc(PN * sizeof *pool);
    size_t ns = 0, np = 0;
    for (size_t u = 0; u < PN; u++) {
        if (P.seed[u])
            seed[ns++] = (uint32_t)u;
        else if (u % 4 == 0)
            pool[np++] = (uint32_t)u;
    }
    float *v = malloc(P.fptr[PN] * sizeof *v), *sc = malloc(np * sizeof *sc), *lab = malloc(np * sizeof *lab);
    for (size_t k = 0; k < P.fptr[PN]; k++) v[k] = 1.0f;
    for (size_t i = 0; i < np; i++) lab[i] = P.later[pool[i]];
    const char *cfgs[] = {"learner=ftrl method=prior epochs=2", "learner=ftrl method=spy unlabeled=pool",
                          "learner=forest method=naive unlabeled=pool rounds=30 threads=2"};
    for (int c = 0; c < 3; c++) {
        CHECK_OK(growth_audience_pu_score(P.fptr, P.fidx, v, PN, P.nfeat, seed, ns, pool, np, cfgs[c], sc, np,
                                          NULL, NULL));
        bool ok = true; /* method=prior divides by c and may exceed 1 */
        for (size_t i = 0; i < np; i++) ok = ok && sc[i] >= 0 && (c == 0 || sc[i] <= 1);
        CHECK(ok);
        double lift;
        CHECK_OK(growth_metrics_topn_lift(sc, lab, np, 200, &lift));
        printf("  %-56s lift@200 %.2f\n", cfgs[c], lift);
        CHECK(lift > 1.5);
    }
    free(v);
    free(sc);
    free(lab);
    free(seed);
    free(pool);
    free_population(&P);
}

/* ---- progress and cancellation: PU scoring and the fusion grid ---------------------------- */

typedef struct {
    int calls, cancel_at;
    char stages[8][16];
    double done[64];
} aprog;

static int aprog_cb(const char *stage, double done, void *user)
{
    aprog *a = user;
    if (a->calls < 8) snprintf(a->stages[a->calls], sizeof a->stages[0], "%s", stage);
    if (a->calls < 64) a->done[a->calls] = done;
    a->calls++;
    return a->cancel_at && a->calls == a->cancel_at;
}

static int done_ascending(const aprog *a)
{
    for (int i = 1; i < a->calls && i < 64; i++)
        if (a->done[i] < a->done[i - 1]) return 0;
    return a->calls > 0 && a->done[0] >= 0 && a->done[(a->calls < 64 ? a->calls : 64) - 1] == 1.0;
}

TEST(progress_and_cancel)
{
    population P;
    make_population(&P, 91);
    uint32_t *seed = malloc(PN * sizeof *seed), *pool = malloc(PN * sizeof *pool);
    size_t ns = 0, np = 0;
    for (size_t u = 0; u < PN; u++) {
        if (P.seed[u])
            seed[ns++] = (uint32_t)u;
        else if (u % 5 == 0)
            pool[np++] = (uint32_t)u;
    }
    float *sc = malloc(np * sizeof *sc), *ref = malloc(np * sizeof *ref);
    /* spy fits twice, naive and prior once; FTRL also reports after each epoch but the last */
    const struct {
        const char *cfg;
        int calls;
    } runs[] = {
        {"learner=forest method=spy rounds=10", 3},
        {"learner=forest method=naive rounds=10", 2},
        {"learner=ftrl method=prior epochs=3", 4},
        {"learner=ftrl method=spy epochs=2", 5},
    };
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        aprog a = {0};
        CHECK_OK(growth_audience_pu_score(P.fptr, P.fidx, NULL, PN, P.nfeat, seed, ns, pool, np, runs[r].cfg,
                                          ref, np, aprog_cb, &a));
        CHECK(a.calls == runs[r].calls && strcmp(a.stages[0], "fit") == 0 && done_ascending(&a));
        /* the same scores as without a callback */
        CHECK_OK(growth_audience_pu_score(P.fptr, P.fidx, NULL, PN, P.nfeat, seed, ns, pool, np, runs[r].cfg,
                                          sc, np, NULL, NULL));
        CHECK(memcmp(sc, ref, np * sizeof *sc) == 0);
        /* canceled at each report: ECANCELED, out_scores untouched */
        for (int at = 1; at <= runs[r].calls; at++) {
            aprog c = {0};
            c.cancel_at = at;
            for (size_t i = 0; i < np; i++) sc[i] = -7.0f;
            CHECK_RC(growth_audience_pu_score(P.fptr, P.fidx, NULL, PN, P.nfeat, seed, ns, pool, np,
                                              runs[r].cfg, sc, np, aprog_cb, &c),
                     GROWTH_ECANCELED);
            CHECK_MSG("growth_audience_pu_score: canceled");
            CHECK(c.calls == at);
            bool untouched = true;
            for (size_t i = 0; i < np; i++) untouched = untouched && sc[i] == -7.0f;
            CHECK(untouched);
        }
    }

    /* fusion weights: 3 models, step 0.01 = 5151 grid points over 3000 users: several chunks */
    size_t n = 3000;
    float *S = malloc(3 * n * sizeof *S), *y = malloc(n * sizeof *y);
    grng g;
    grng_seed(&g, 4);
    for (size_t i = 0; i < n; i++) {
        y[i] = grng_uniform(&g) < 0.1 ? 1.0f : 0.0f;
        for (int m = 0; m < 3; m++) S[m * n + i] = (float)(grng_normal(&g) + (m + 1) * 0.5 * y[i]);
    }
    double w0[3], p0 = 0, w[3] = {-1, -1, -1}, p = -1;
    aprog a = {0};
    CHECK_OK(growth_rank_fuse_fit(S, 3, n, y, 300, "step=0.01", w0, 3, &p0, aprog_cb, &a));
    CHECK(a.calls > 3 && strcmp(a.stages[0], "grid") == 0 && done_ascending(&a));
    CHECK_OK(growth_rank_fuse_fit(S, 3, n, y, 300, "step=0.01", w, 3, &p, NULL, NULL));
    CHECK(memcmp(w, w0, sizeof w) == 0 && p == p0);
    for (int at = 1; at <= a.calls; at += a.calls - 1) { /* the first and the last (done = 1) */
        aprog c = {0};
        c.cancel_at = at;
        double wc[3] = {-1, -1, -1}, pc = -1;
        CHECK_RC(growth_rank_fuse_fit(S, 3, n, y, 300, "step=0.01", wc, 3, &pc, aprog_cb, &c),
                 GROWTH_ECANCELED);
        CHECK_MSG("growth_rank_fuse_fit: canceled");
        CHECK(wc[0] == -1 && wc[1] == -1 && wc[2] == -1 && pc == -1);
    }
    free(S);
    free(y);
    free(sc);
    free(ref);
    free(seed);
    free(pool);
    free_population(&P);
}

int main(void)
{
    RUN(tgi_matches_brute_force);
    RUN(jaccard_matches_brute_force);
    RUN(rules_match_brute_force);
    RUN(peer_matches_brute_force);
    RUN(peer_index_matches_brute_force);
    RUN(peer_index_hnsw_recall);
    RUN(lost_matches_brute_force);
    RUN(union_and_select);
    RUN(topn_metrics_match_brute_force);
    RUN(fusion_matches_exhaustive_search);
    RUN(bad_input);
    RUN(pipeline_beats_random_selection);
    RUN(pu_variants_run);
    RUN(progress_and_cancel);
    return GT_SUMMARY();
}
