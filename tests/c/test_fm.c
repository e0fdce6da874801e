/* FM/FFM (fm.h) against independent references: the O(n^2) pairwise margin from the public
 * getters, a double-precision transcription of fm.h's learning rule, finite-difference gradients,
 * growth_ftrl for the linear part (bit for bit) and ESMM, the kernel paths against each other,
 * compact against float, the fit (auto-stop, cancel), the accessors of fm_impl.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core.h"
#include "fm/fm_internal.h"
#include "growth/growth.h"
#include "gtest.h"

/* ---- random rows ------------------------------------------------------------------------------- */

enum { MAXN = 8 };

typedef struct {
    uint32_t idx[MAXN];
    uint8_t fld[MAXN];
    float val[MAXN];
    size_t n;
    bool ones; /* val not used (NULL) */
    float y[FM_MAX_HEADS];
    float w;
} trow;

static void rand_row(grng *r, trow *t, unsigned bits, int fields, int heads, bool missing, bool weights)
{
    t->n = (size_t)grng_below(r, MAXN + 1);
    t->ones = grng_uniform(r) < 0.4;
    for (size_t i = 0; i < t->n; i++) {
        t->idx[i] = (uint32_t)grng_below(r, (uint64_t)1 << bits);
        t->fld[i] = (uint8_t)grng_below(r, (uint64_t)fields);
        t->val[i] = (float)(grng_uniform(r) * 2.0 - 0.5);
    }
    for (int h = 0; h < heads; h++) {
        t->y[h] = grng_uniform(r) < 0.4 ? 1.0f : 0.0f;
        if (missing && grng_uniform(r) < 0.25) t->y[h] = GROWTH_LABEL_MISSING;
    }
    t->w = weights ? (grng_uniform(r) < 0.1 ? 0.0f : (float)(0.5 + grng_uniform(r))) : 1.0f;
}

static const float *tval(const trow *t) { return t->ones ? NULL : t->val; }

/* ---- the independent margin: public getters, O(n^2) pairs, double ------------------------------ */

/* A model whose every slot already has its seeded factors (as if training had touched them all:
 * the lazy initialisation done up front through fm_impl.h), so tests can read the factors a
 * training step starts from before training. */
static int create_seeded(growth_fm **out, const char *cfg)
{
    int rc = growth_fm_create(out, cfg);
    if (rc) return rc;
    const fm_cfg *c = fm_config_of(*out);
    float v[FM_MAX_K], g[FM_MAX_K];
    for (int d = 0; d < FM_MAX_K; d++) g[d] = 1.0f;
    for (uint64_t s = 0; s < ((uint64_t)1 << c->bits); s++) {
        for (int f = 0; f < fm_vectors_per_slot(c); f++) {
            fm_init_vec(c, s, f, v);
            fm_put_vec(*out, s, f, v, g);
        }
        fm_mark_touched(*out, s);
    }
    return GROWTH_OK;
}

static growth_fm_stats stats_of(const growth_fm *m)
{
    growth_fm_stats s = GROWTH_FM_STATS_INIT;
    CHECK_OK(growth_fm_stats_get(m, &s));
    return s;
}

static double getter_margin(const growth_fm *m, const trow *t, int head)
{
    const fm_cfg *c = fm_config_of(m);
    const bool ffm = c->model == FM_MODEL_FFM;
    const int K = (int)c->k;
    double b = 0.0, lin = 0.0, pw[FM_MAX_K] = {0};
    float w;
    if (c->bias) {
        CHECK_OK(growth_fm_weight(m, (size_t)head, UINT32_MAX, &w));
        b = w;
    }
    double norm = 0.0;
    for (size_t i = 0; i < t->n; i++) {
        double x = t->ones ? 1.0 : t->val[i];
        norm += x * x;
        if (c->linear) {
            CHECK_OK(growth_fm_weight(m, (size_t)head, t->idx[i], &w));
            lin += w * x;
        }
    }
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = i + 1; j < t->n; j++) {
            float a[FM_MAX_K], bb[FM_MAX_K];
            size_t got = 0;
            CHECK_OK(growth_fm_factors(m, t->idx[i], ffm ? t->fld[j] : 0, a, FM_MAX_K, &got));
            CHECK_OK(growth_fm_factors(m, t->idx[j], ffm ? t->fld[i] : 0, bb, FM_MAX_K, &got));
            CHECK(got == (size_t)K);
            double xx = (t->ones ? 1.0 : t->val[i]) * (t->ones ? 1.0 : t->val[j]);
            for (int d = 0; d < K; d++) pw[d] += (double)a[d] * bb[d] * xx;
        }
    double r = c->normalize && norm > 0 ? 1.0 / norm : 1.0;
    float u[FM_MAX_K], ug[FM_MAX_K];
    fm_get_head(m, head, u, ug);
    double p = 0.0;
    for (int d = 0; d < K; d++) p += (c->heads > 1 ? u[d] : 1.0) * pw[d];
    return b + lin + r * p;
}

/* ---- a double-precision transcription of fm.h's learning rule ---------------------------------- */

typedef struct {
    fm_cfg c;
    int V, K, H;
    size_t nslots;
    double *v, *g; /* (slot * V + f) * K + d */
    double *z, *n; /* FTRL, (slot * H + h) */
    double bz[FM_MAX_HEADS], bn[FM_MAX_HEADS];
    double u[FM_MAX_HEADS][FM_MAX_K], ug[FM_MAX_HEADS][FM_MAX_K];
} ref_fm;

/* Starts from the model's own state (seeded factors, sums 1, zeros). */
static void ref_init(ref_fm *R, const growth_fm *m)
{
    R->c = *fm_config_of(m);
    R->V = fm_vectors_per_slot(&R->c);
    R->K = (int)R->c.k;
    R->H = (int)R->c.heads;
    R->nslots = (size_t)1 << R->c.bits;
    size_t nv = R->nslots * (size_t)R->V * (size_t)R->K;
    R->v = calloc(nv, sizeof(double));
    R->g = calloc(nv, sizeof(double));
    R->z = calloc(R->nslots * (size_t)R->H, sizeof(double));
    R->n = calloc(R->nslots * (size_t)R->H, sizeof(double));
    float v[FM_MAX_K], g[FM_MAX_K];
    for (size_t s = 0; s < R->nslots; s++)
        for (int f = 0; f < R->V; f++) {
            fm_get_vec(m, s, f, v, g);
            for (int d = 0; d < R->K; d++) {
                R->v[(s * (size_t)R->V + (size_t)f) * (size_t)R->K + (size_t)d] = v[d];
                R->g[(s * (size_t)R->V + (size_t)f) * (size_t)R->K + (size_t)d] = g[d];
            }
        }
    for (int h = 0; h < R->H; h++) {
        R->bz[h] = R->bn[h] = 0.0;
        fm_get_head(m, h, v, g);
        for (int d = 0; d < R->K; d++) {
            R->u[h][d] = R->H > 1 ? v[d] : 1.0;
            R->ug[h][d] = g[d];
        }
    }
}

static void ref_free(ref_fm *R)
{
    free(R->v);
    free(R->g);
    free(R->z);
    free(R->n);
}

static double *rv(ref_fm *R, uint32_t slot, int f)
{
    return R->v + ((size_t)slot * (size_t)R->V + (size_t)f) * (size_t)R->K;
}
static double *rg(ref_fm *R, uint32_t slot, int f)
{
    return R->g + ((size_t)slot * (size_t)R->V + (size_t)f) * (size_t)R->K;
}

static double ftrl_w(const ref_fm *R, double z, double n)
{
    if (fabs(z) <= R->c.l1) return 0.0;
    double sgn = z < 0 ? -1.0 : 1.0;
    return -(z - sgn * R->c.l1) / ((R->c.beta + sqrt(n)) / R->c.alpha + R->c.l2);
}

static double xval(const trow *t, size_t i) { return t->ones ? 1.0 : t->val[i]; }

static double ref_r(const ref_fm *R, const trow *t)
{
    if (!R->c.normalize) return 1.0;
    double s = 0.0;
    for (size_t i = 0; i < t->n; i++) s += xval(t, i) * xval(t, i);
    return s > 0 ? 1.0 / s : 1.0;
}

static void ref_pairwise(ref_fm *R, const trow *t, double *P)
{
    bool ffm = R->c.model == FM_MODEL_FFM;
    for (int d = 0; d < R->K; d++) P[d] = 0.0;
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = i + 1; j < t->n; j++) {
            double *a = rv(R, t->idx[i], ffm ? t->fld[j] : 0), *b = rv(R, t->idx[j], ffm ? t->fld[i] : 0);
            for (int d = 0; d < R->K; d++) P[d] += a[d] * b[d] * xval(t, i) * xval(t, j);
        }
}

static void ref_margins(ref_fm *R, const trow *t, double *margin, double *P)
{
    ref_pairwise(R, t, P);
    double r = ref_r(R, t);
    for (int h = 0; h < R->H; h++) {
        double m = R->c.bias ? ftrl_w(R, R->bz[h], R->bn[h]) : 0.0;
        if (R->c.linear)
            for (size_t i = 0; i < t->n; i++)
                m += ftrl_w(R, R->z[(size_t)t->idx[i] * (size_t)R->H + (size_t)h],
                            R->n[(size_t)t->idx[i] * (size_t)R->H + (size_t)h]) *
                     xval(t, i);
        double p = 0.0;
        for (int d = 0; d < R->K; d++) p += R->u[h][d] * P[d];
        margin[h] = m + r * p;
    }
}

static double sig(double x)
{
    if (x > 35) x = 35;
    if (x < -35) x = -35;
    return 1.0 / (1.0 + exp(-x));
}

static void adagrad(double *v, double *g, double q, double eta)
{
    *g += q * q;
    *v -= eta * q / sqrt(*g);
}

/* One example with per-head gradients grad[h] (NAN: no label). */
static void ref_apply(ref_fm *R, const trow *t, const double *grad, double weight)
{
    double margin[FM_MAX_HEADS], P[FM_MAX_K];
    ref_margins(R, t, margin, P);
    bool any = false;
    for (int h = 0; h < R->H; h++) any |= !isnan(grad[h]);
    if (!(weight > 0) || !any) return;
    const double r = ref_r(R, t), eta = R->c.eta, lam = R->c.lambda;
    double c[FM_MAX_K] = {0};
    for (int h = 0; h < R->H; h++)
        if (!isnan(grad[h]))
            for (int d = 0; d < R->K; d++) c[d] += grad[h] * R->u[h][d];
    if (R->c.model == FM_MODEL_FFM) {
        for (size_t i = 0; i < t->n; i++)
            for (size_t j = i + 1; j < t->n; j++) {
                double *a = rv(R, t->idx[i], t->fld[j]), *b = rv(R, t->idx[j], t->fld[i]);
                double *ga = rg(R, t->idx[i], t->fld[j]), *gb = rg(R, t->idx[j], t->fld[i]);
                double s = r * xval(t, i) * xval(t, j);
                for (int d = 0; d < R->K; d++) {
                    /* both from the values before the pair; when the two are one vector (same slot
                     * and field twice in the row) it is updated once, as LIBFFM's stores do */
                    double q1 = lam * a[d] + c[d] * s * b[d], q2 = lam * b[d] + c[d] * s * a[d];
                    double a1 = a[d], g1 = ga[d], b1 = b[d], g2 = gb[d];
                    adagrad(&a1, &g1, q1, eta);
                    adagrad(&b1, &g2, q2, eta);
                    a[d] = a1;
                    ga[d] = g1;
                    b[d] = b1;
                    gb[d] = g2;
                }
            }
    } else {
        double S[FM_MAX_K] = {0}, old[MAXN][FM_MAX_K];
        for (size_t i = 0; i < t->n; i++)
            for (int d = 0; d < R->K; d++) {
                old[i][d] = rv(R, t->idx[i], 0)[d];
                S[d] += old[i][d] * xval(t, i);
            }
        for (size_t i = 0; i < t->n; i++) {
            double *a = rv(R, t->idx[i], 0), *ga = rg(R, t->idx[i], 0), x = xval(t, i);
            for (int d = 0; d < R->K; d++) {
                double q = lam * a[d] + c[d] * r * x * (S[d] - old[i][d] * x);
                adagrad(&a[d], &ga[d], q, eta);
            }
        }
    }
    if (R->H > 1)
        for (int h = 0; h < R->H; h++) {
            if (isnan(grad[h])) continue;
            for (int d = 0; d < R->K; d++)
                adagrad(&R->u[h][d], &R->ug[h][d], grad[h] * r * P[d] + lam * R->u[h][d], eta);
        }
    /* FTRL: weights of before the row, statistics sequential */
    double wb[FM_MAX_HEADS], wl[MAXN][FM_MAX_HEADS];
    for (int h = 0; h < R->H; h++) {
        wb[h] = ftrl_w(R, R->bz[h], R->bn[h]);
        for (size_t i = 0; i < t->n; i++)
            wl[i][h] = ftrl_w(R, R->z[(size_t)t->idx[i] * (size_t)R->H + (size_t)h],
                              R->n[(size_t)t->idx[i] * (size_t)R->H + (size_t)h]);
    }
    for (int h = 0; h < R->H; h++) {
        if (isnan(grad[h]) || grad[h] == 0.0) continue;
        if (R->c.bias) {
            double gg = grad[h], sigma = (sqrt(R->bn[h] + gg * gg) - sqrt(R->bn[h])) / R->c.alpha;
            R->bz[h] += gg - sigma * wb[h];
            R->bn[h] += gg * gg;
        }
        if (R->c.linear)
            for (size_t i = 0; i < t->n; i++) {
                size_t p = (size_t)t->idx[i] * (size_t)R->H + (size_t)h;
                double gg = grad[h] * xval(t, i),
                       sigma = (sqrt(R->n[p] + gg * gg) - sqrt(R->n[p])) / R->c.alpha;
                R->z[p] += gg - sigma * wl[i][h];
                R->n[p] += gg * gg;
            }
    }
}

static void ref_train(ref_fm *R, const trow *t)
{
    double margin[FM_MAX_HEADS], P[FM_MAX_K], grad[FM_MAX_HEADS];
    ref_margins(R, t, margin, P);
    for (int h = 0; h < R->H; h++)
        grad[h] = t->y[h] == GROWTH_LABEL_MISSING ? NAN : (sig(margin[h]) - t->y[h]) * t->w;
    ref_apply(R, t, grad, t->w);
}

/* Largest |model - reference| over every factor, sum, head weight and linear weight. */
static double ref_diff(ref_fm *R, const growth_fm *m, double *out_rel)
{
    double worst = 0.0, rel = 0.0;
    float v[FM_MAX_K], g[FM_MAX_K];
    for (size_t s = 0; s < R->nslots; s++)
        for (int f = 0; f < R->V; f++) {
            fm_get_vec(m, s, f, v, g);
            for (int d = 0; d < R->K; d++) {
                double a = fabs(v[d] - rv(R, (uint32_t)s, f)[d]), b = fabs(g[d] - rg(R, (uint32_t)s, f)[d]);
                worst = fmax(worst, a);
                rel = fmax(rel, b / fabs(rg(R, (uint32_t)s, f)[d]));
            }
        }
    for (int h = 0; h < R->H; h++) {
        fm_get_head(m, h, v, g);
        if (R->H > 1)
            for (int d = 0; d < R->K; d++) worst = fmax(worst, fabs(v[d] - R->u[h][d]));
        float w;
        if (R->c.linear)
            for (size_t s = 0; s < R->nslots; s++) {
                CHECK_OK(growth_fm_weight(m, (size_t)h, (uint32_t)s, &w));
                worst = fmax(worst, fabs(w - ftrl_w(R, R->z[s * (size_t)R->H + (size_t)h],
                                                    R->n[s * (size_t)R->H + (size_t)h])));
            }
        if (R->c.bias) {
            CHECK_OK(growth_fm_weight(m, (size_t)h, UINT32_MAX, &w));
            worst = fmax(worst, fabs(w - ftrl_w(R, R->bz[h], R->bn[h])));
        }
    }
    if (out_rel) *out_rel = rel;
    return worst;
}

/* ---- tests ------------------------------------------------------------------------------------- */

static const char *g_cfgs[] = {
    "model=ffm fields=3 bits=5 k=4",
    "model=ffm fields=4 bits=5 k=7 heads=2 normalize=false l1=0.1 eta=0.3 lambda=0.01",
    "model=ffm fields=2 bits=4 k=13 heads=3 linear=false",
    "model=fm bits=5 k=4",
    "model=fm bits=5 k=6 heads=2 fields=4 lambda=0.001 normalize=false l1=0",
    "model=fm bits=4 k=16 heads=2 bias=false init_scale=0.5",
};
#define NCFG (sizeof g_cfgs / sizeof *g_cfgs)

TEST(test_predict_is_the_pairwise_sum)
{
    for (size_t ci = 0; ci < NCFG; ci++) {
        growth_fm *m = NULL;
        CHECK_OK(create_seeded(&m, g_cfgs[ci]));
        if (!m) continue;
        growth_fm_stats st = stats_of(m);
        grng r;
        grng_seed(&r, 11 + ci);
        trow t;
        for (int i = 0; i < 300; i++) {
            rand_row(&r, &t, (unsigned)st.bits, st.fields ? (int)st.fields : 4, (int)st.heads, true, true);
            CHECK_OK(growth_fm_update(m, t.idx, t.fld, tval(&t), t.n, t.y, t.w));
        }
        for (int i = 0; i < 100; i++) {
            rand_row(&r, &t, (unsigned)st.bits, st.fields ? (int)st.fields : 4, (int)st.heads, false, false);
            float mg[FM_MAX_HEADS], p[FM_MAX_HEADS];
            CHECK_OK(
                growth_fm_predict(m, t.idx, t.fld, tval(&t), t.n, GROWTH_PREDICT_MARGIN, mg, FM_MAX_HEADS));
            CHECK_OK(growth_fm_predict(m, t.idx, t.fld, tval(&t), t.n, 0, p, FM_MAX_HEADS));
            for (size_t h = 0; h < st.heads; h++) {
                double want = getter_margin(m, &t, (int)h);
                CHECK_NEAR(mg[h], want, 1e-5 * (1.0 + fabs(want)));
                CHECK_NEAR(p[h], sig(want), 1e-6);
            }
        }
        growth_fm_free(m);
    }
}

TEST(test_training_follows_the_reference)
{
    for (size_t ci = 0; ci < NCFG; ci++) {
        growth_fm *m = NULL;
        CHECK_OK(create_seeded(&m, g_cfgs[ci]));
        if (!m) continue;
        growth_fm_stats st = stats_of(m);
        ref_fm R;
        ref_init(&R, m);
        grng r;
        grng_seed(&r, 5 + ci);
        trow t;
        for (int i = 0; i < 400; i++) {
            rand_row(&r, &t, (unsigned)st.bits, st.fields ? (int)st.fields : 4, (int)st.heads, true, true);
            float p[FM_MAX_HEADS];
            CHECK_OK(growth_fm_predict_update(m, t.idx, t.fld, tval(&t), t.n, t.y, t.w, p, FM_MAX_HEADS));
            ref_train(&R, &t);
        }
        double rel = 0.0, d = ref_diff(&R, m, &rel);
        if (!(d < 2e-5 && rel < 1e-5))
            fprintf(stderr, "  config '%s': max diff %g, sums rel %g\n", g_cfgs[ci], d, rel);
        CHECK(d < 2e-5);
        CHECK(rel < 1e-5);
        CHECK(stats_of(m).examples == 400);
        ref_free(&R);
        growth_fm_free(m);
    }
}

/* The change of a factor over one update with a tiny eta, from a sum G: -eta q / sqrt(G + q^2),
 * q = lambda v + dL/dv with dL/dv by central differences of the reference margin. */
static double loss_of(ref_fm *R, const trow *t)
{
    double margin[FM_MAX_HEADS], P[FM_MAX_K], L = 0.0;
    ref_margins(R, t, margin, P);
    for (int h = 0; h < R->H; h++) {
        if (t->y[h] == GROWTH_LABEL_MISSING) continue;
        double p = 1.0 / (1.0 + exp(-margin[h]));
        L -= t->w * (t->y[h] == 1.0f ? log(p) : log(1.0 - p));
    }
    return L;
}

TEST(test_factor_gradient_by_finite_differences)
{
    /* distinct fields (a FFM vector in two pairs of the row is updated twice) */
    const char *cfgs[] = {"model=ffm fields=4 bits=4 k=4 eta=0.05 lambda=0.01 init_scale=2",
                          "model=fm bits=4 k=5 eta=0.05 lambda=0.01 init_scale=2",
                          "model=ffm fields=4 bits=4 k=3 heads=2 eta=0.05 lambda=0 init_scale=2"};
    for (size_t ci = 0; ci < 3; ci++) {
        growth_fm *m = NULL;
        CHECK_OK(create_seeded(&m, cfgs[ci]));
        if (!m) continue;
        growth_fm_stats st = stats_of(m);
        trow t = {.idx = {1, 5, 9, 12},
                  .fld = {0, 1, 2, 3},
                  .val = {1.0f, 0.5f, -1.5f, 2.0f},
                  .n = 4,
                  .ones = false,
                  .y = {1.0f, 0.0f},
                  .w = 1.5f};
        ref_fm R;
        ref_init(&R, m);
        const int V = R.V, K = R.K;
        double lam = R.c.lambda, eta = R.c.eta;
        double worst = 0.0;
        int checked = 0;
        float before[16 * 4 * FM_MAX_K];
        for (uint32_t s = 0; s < 16; s++)
            for (int f = 0; f < V; f++)
                fm_get_vec(m, s, f, before + ((size_t)s * (size_t)V + (size_t)f) * (size_t)K, NULL);
        CHECK_OK(growth_fm_update(m, t.idx, t.fld, t.val, t.n, t.y, t.w));
        for (uint32_t s = 0; s < 16; s++)
            for (int f = 0; f < V; f++) {
                float after[FM_MAX_K];
                fm_get_vec(m, s, f, after, NULL);
                for (int d = 0; d < K; d++) {
                    double *p = rv(&R, s, f) + d, v0 = *p, h = 1e-5;
                    *p = v0 + h;
                    double lp = loss_of(&R, &t);
                    *p = v0 - h;
                    double lm = loss_of(&R, &t);
                    *p = v0;
                    double dl = (lp - lm) / (2 * h);
                    double dv =
                        after[d] - before[((size_t)s * (size_t)V + (size_t)f) * (size_t)K + (size_t)d];
                    bool used = dl != 0.0;
                    if (!used) {
                        CHECK(dv == 0.0 || lam > 0); /* untouched vectors of the row move by lambda only */
                        continue;
                    }
                    double q = lam * v0 + dl;
                    double want = -eta * q / sqrt(1.0 + q * q);
                    worst = fmax(worst, fabs(dv - want) / fabs(want));
                    checked++;
                }
            }
        if (worst >= 2e-3)
            fprintf(stderr, "  '%s': worst relative error %g over %d\n", cfgs[ci], worst, checked);
        CHECK(worst < 2e-3);
        CHECK(checked >= 3 * K);
        (void)st;
        ref_free(&R);
        growth_fm_free(m);
    }
}

/* A dataset for the comparisons with growth_ftrl. */
typedef struct {
    size_t n;
    uint64_t *indptr;
    uint32_t *idx;
    uint8_t *fld;
    float *val, *y, *w;
} tdata;

static void make_data(tdata *d, size_t n, unsigned bits, int fields, int heads, uint64_t seed, bool missing)
{
    grng r;
    grng_seed(&r, seed);
    d->n = n;
    d->indptr = malloc((n + 1) * sizeof *d->indptr);
    d->idx = malloc(n * (size_t)fields * sizeof *d->idx);
    d->fld = malloc(n * (size_t)fields);
    d->val = malloc(n * (size_t)fields * sizeof *d->val);
    d->y = malloc(n * (size_t)heads * sizeof *d->y);
    d->w = malloc(n * sizeof *d->w);
    size_t k = 0;
    d->indptr[0] = 0;
    for (size_t i = 0; i < n; i++) {
        double margin = -0.5;
        for (int f = 0; f < fields; f++) {
            if (grng_uniform(&r) < 0.15) continue;
            uint64_t v = grng_below(&r, 6);
            d->idx[k] = (uint32_t)(gmix64((uint64_t)f * 1000 + v) & ((UINT64_C(1) << bits) - 1));
            d->fld[k] = (uint8_t)f;
            d->val[k] = f == 0 ? (float)(grng_uniform(&r) * 2) : 1.0f;
            margin += ((int)(v + (uint64_t)f) % 3 - 1) * 0.8;
            k++;
        }
        d->indptr[i + 1] = k;
        for (int h = 0; h < heads; h++) {
            d->y[i * (size_t)heads + (size_t)h] =
                grng_uniform(&r) < 1.0 / (1.0 + exp(-margin - h)) ? 1.0f : 0.0f;
            if (missing && h > 0 && grng_uniform(&r) < 0.5)
                d->y[i * (size_t)heads + (size_t)h] = GROWTH_LABEL_MISSING;
        }
        d->w[i] = (float)(0.5 + grng_uniform(&r));
    }
}

static void free_data(tdata *d)
{
    free(d->indptr);
    free(d->idx);
    free(d->fld);
    free(d->val);
    free(d->y);
    free(d->w);
}

TEST(test_linear_part_is_growth_ftrl)
{
    tdata d;
    make_data(&d, 3000, 10, 6, 2, 3, true);
    const char *fcfg[2] = {"model=ffm fields=6 bits=10 heads=2 init_scale=0 alpha=0.1 beta=1 l1=0.5 l2=0.1",
                           "model=fm bits=10 k=8 heads=1 init_scale=0 alpha=0.1 beta=1 l1=0.5 l2=0.1"};
    const char *tcfg[2] = {"bits=10 heads=2 alpha=0.1 beta=1 l1=0.5 l2=0.1",
                           "bits=10 heads=1 alpha=0.1 beta=1 l1=0.5 l2=0.1"};
    for (int c = 0; c < 2; c++) {
        growth_fm *m = NULL;
        growth_ftrl *f = NULL;
        CHECK_OK(growth_fm_create(&m, fcfg[c]));
        CHECK_OK(growth_ftrl_create(&f, tcfg[c]));
        if (!m || !f) continue;
        size_t H = c == 0 ? 2 : 1;
        float *y = d.y;
        float *y1 = NULL;
        if (H == 1) {
            y1 = malloc(d.n * sizeof *y1);
            for (size_t i = 0; i < d.n; i++) y1[i] = d.y[2 * i];
            y = y1;
        }
        CHECK_OK(growth_fm_update_csr(m, d.indptr, d.idx, d.fld, d.val, d.n, y, d.w, NULL, 0));
        CHECK_OK(growth_ftrl_update_csr(f, d.indptr, d.idx, d.val, d.n, y, d.w, NULL, 0));
        int differ = 0;
        for (size_t h = 0; h < H; h++) {
            for (uint32_t s = 0; s < 1024; s++) {
                float a, b;
                CHECK_OK(growth_fm_weight(m, h, s, &a));
                CHECK_OK(growth_ftrl_weight(f, h, s, &b));
                differ += a != b;
            }
            float a, b;
            CHECK_OK(growth_fm_weight(m, h, UINT32_MAX, &a));
            CHECK_OK(growth_ftrl_weight(f, h, UINT32_MAX, &b));
            differ += a != b;
        }
        CHECK(differ == 0);
        float pa[2], pb[2];
        CHECK_OK(growth_fm_predict(m, d.idx, d.fld, d.val, 5, 0, pa, 2));
        CHECK_OK(growth_ftrl_predict(f, d.idx, d.val, 5, 0, pb, 2));
        CHECK(memcmp(pa, pb, H * sizeof(float)) == 0);
        /* the factors never moved from 0 */
        float v[FM_MAX_K];
        CHECK_OK(growth_fm_factors(m, d.idx[0], 0, v, FM_MAX_K, NULL));
        CHECK(v[0] == 0.0f);
        free(y1);
        growth_fm_free(m);
        growth_ftrl_free(f);
    }
    free_data(&d);
}

TEST(test_missing_labels_and_zero_weights_change_nothing)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=3 bits=6 heads=2 head_names=click|buy k=4"));
    if (!m) return;
    size_t hi = 9;
    CHECK_OK(growth_fm_head_index(m, "buy", &hi));
    CHECK(hi == 1);
    CHECK_RC(growth_fm_head_index(m, "sell", &hi), GROWTH_ENOTFOUND);
    uint32_t idx[3] = {1, 2, 3};
    uint8_t fld[3] = {0, 1, 2};
    float miss[2] = {GROWTH_LABEL_MISSING, GROWTH_LABEL_MISSING}, one[2] = {1, GROWTH_LABEL_MISSING};
    float v0[FM_MAX_K], v1[FM_MAX_K], u0[FM_MAX_K], u1[FM_MAX_K], ug[FM_MAX_K];
    fm_get_vec(m, 1, 1, v0, NULL);
    CHECK_OK(growth_fm_update(m, idx, fld, NULL, 3, miss, 1.0f));
    CHECK_OK(growth_fm_update(m, idx, fld, NULL, 3, one, 0.0f));
    fm_get_vec(m, 1, 1, v1, NULL);
    CHECK(memcmp(v0, v1, 4 * sizeof(float)) == 0);
    growth_fm_stats st = stats_of(m);
    CHECK(st.examples == 2 && st.touched == 0);
    /* one labelled head: its own u and bias move, the other head's stay */
    fm_get_head(m, 1, u0, ug);
    CHECK_OK(growth_fm_update(m, idx, fld, NULL, 3, one, 1.0f));
    fm_get_head(m, 1, u1, ug);
    CHECK(memcmp(u0, u1, 4 * sizeof(float)) == 0);
    fm_get_head(m, 0, u1, ug);
    CHECK(u1[0] != 1.0f);
    float bz0, bz1, bs1;
    fm_get_bias(m, 0, &bz0, NULL);
    fm_get_bias(m, 1, &bz1, &bs1);
    CHECK(bz0 != 0.0f && bz1 == 0.0f && bs1 == 0.0f);
    fm_get_vec(m, 1, 1, v1, NULL);
    CHECK(memcmp(v0, v1, 4 * sizeof(float)) != 0);
    st = stats_of(m);
    CHECK(st.examples == 3 && st.touched == 3);
    uint64_t s = fm_next_touched(m, 0), n = 0;
    while (s != UINT64_MAX) {
        CHECK(fm_is_touched(m, s) && s >= 1 && s <= 3);
        n++;
        s = fm_next_touched(m, s + 1);
    }
    CHECK(n == 3);
    CHECK(fm_next_touched(m, 64) == UINT64_MAX);
    growth_fm_free(m);
}

TEST(test_esmm)
{
    /* the linear part against growth_ftrl_esmm_update (factors at 0) */
    tdata d;
    make_data(&d, 1500, 9, 5, 2, 8, false);
    growth_fm *m = NULL;
    growth_ftrl *f = NULL;
    CHECK_OK(growth_fm_create(&m, "model=fm bits=9 heads=2 init_scale=0 l1=0.2"));
    CHECK_OK(growth_ftrl_create(&f, "bits=9 heads=2 l1=0.2"));
    if (!m || !f) return;
    for (size_t i = 0; i < d.n; i++) {
        size_t b = d.indptr[i], n = d.indptr[i + 1] - b;
        float click = d.y[2 * i], conv = click * d.y[2 * i + 1];
        CHECK_OK(growth_fm_esmm_update(m, 0, 1, d.idx + b, d.fld + b, d.val + b, n, click, conv, d.w[i]));
        CHECK_OK(growth_ftrl_esmm_update(f, 0, 1, d.idx + b, d.val + b, n, click, conv, d.w[i]));
    }
    float a[3], b[3];
    int differ = 0;
    for (size_t i = 0; i < 50; i++) {
        size_t o = d.indptr[i], n = d.indptr[i + 1] - o;
        CHECK_OK(growth_fm_esmm_predict(m, 0, 1, d.idx + o, d.fld + o, d.val + o, n, a, 3));
        CHECK_OK(growth_ftrl_esmm_predict(f, 0, f, 1, d.idx + o, d.val + o, n, b, 3));
        differ += memcmp(a, b, sizeof a) != 0;
        CHECK_NEAR(a[2], a[0] * a[1], 1e-7);
    }
    CHECK(differ == 0);
    growth_fm_free(m);
    growth_ftrl_free(f);
    free_data(&d);

    /* the factors against the reference with the ESMM gradient */
    CHECK_OK(create_seeded(&m, "model=ffm fields=3 bits=5 heads=3 k=4 eta=0.1"));
    if (!m) return;
    ref_fm R;
    ref_init(&R, m);
    grng r;
    grng_seed(&r, 77);
    trow t;
    for (int i = 0; i < 300; i++) {
        rand_row(&r, &t, 5, 3, 3, false, true);
        float click = t.y[0], conv = click * t.y[1];
        CHECK_OK(growth_fm_esmm_update(m, 2, 0, t.idx, t.fld, tval(&t), t.n, click, conv, t.w));
        double margin[FM_MAX_HEADS], P[FM_MAX_K], grad[FM_MAX_HEADS] = {NAN, NAN, NAN};
        ref_margins(&R, &t, margin, P);
        double pctr = sig(margin[2]), pcvr = sig(margin[0]), p = pctr * pcvr, q = fmax(1.0 - p, 1e-7);
        double dd = (p - click * conv) / q;
        grad[2] = ((pctr - click) + dd * (1.0 - pctr)) * t.w;
        grad[0] = dd * (1.0 - pcvr) * t.w;
        ref_apply(&R, &t, grad, t.w);
    }
    double rel = 0, diff = ref_diff(&R, m, &rel);
    CHECK(diff < 2e-5);
    CHECK(rel < 1e-5);
    ref_free(&R);
    growth_fm_free(m);
}

TEST(test_kernel_paths_agree)
{
    const char *cfgs[] = {"model=ffm fields=5 bits=8 k=4", "model=ffm fields=5 bits=8 k=7 heads=2",
                          "model=ffm fields=5 bits=8 k=12 normalize=false", "model=fm bits=8 k=4",
                          "model=fm bits=8 k=9 heads=2"};
    const char *paths[] = {"scalar", "sse", "avx2"};
    tdata d;
    make_data(&d, 2000, 8, 5, 2, 21, true);
    for (size_t c = 0; c < 5; c++) {
        float *ref = NULL;
        size_t H = strstr(cfgs[c], "heads=2") ? 2 : 1;
        float *y = malloc(d.n * H * sizeof *y);
        for (size_t i = 0; i < d.n; i++)
            for (size_t h = 0; h < H; h++) y[i * H + h] = d.y[i * 2 + h];
        for (int p = 0; p < 3; p++) {
            growth_fm *m = NULL;
            CHECK_OK(create_seeded(&m, cfgs[c]));
            if (!m) continue;
            if (fm_force_kernels(m, paths[p]) != GROWTH_OK) {
                printf("  (kernels %s not available here)\n", paths[p]);
                growth_fm_free(m);
                continue;
            }
            float *pred = malloc(d.n * H * sizeof *pred);
            CHECK_OK(growth_fm_update_csr(m, d.indptr, d.idx, d.fld, d.val, d.n, y, d.w, NULL, 0));
            CHECK_OK(growth_fm_predict_csr(m, d.indptr, d.idx, d.fld, d.val, d.n, GROWTH_PREDICT_MARGIN, pred,
                                           d.n * H));
            if (!ref) {
                ref = pred;
            } else {
                double worst = 0;
                for (size_t i = 0; i < d.n * H; i++)
                    worst = fmax(worst, fabs(pred[i] - ref[i]) / (1 + fabs(ref[i])));
                if (worst >= 1e-5) fprintf(stderr, "  %s / %s: worst %g\n", cfgs[c], paths[p], worst);
                CHECK(worst < 1e-5);
                free(pred);
            }
            growth_fm_free(m);
        }
        free(ref);
        free(y);
    }
    free_data(&d);
}

TEST(test_compact_close_to_float)
{
    tdata d;
    make_data(&d, 6000, 10, 6, 2, 4, false);
    const char *cf[2] = {"model=ffm fields=6 bits=10 heads=2", "model=fm bits=10 heads=2"};
    const char *cc[2] = {"model=ffm fields=6 bits=10 heads=2 precision=compact seed=3",
                         "model=fm bits=10 heads=2 precision=compact seed=3"};
    for (int c = 0; c < 2; c++) {
        growth_fm *a = NULL, *b = NULL;
        CHECK_OK(create_seeded(&a, cf[c]));
        CHECK_OK(create_seeded(&b, cc[c]));
        if (!a || !b) continue;
        growth_fm_stats sa = stats_of(a), sb = stats_of(b);
        CHECK(sb.bytes_per_slot * 2 <= sa.bytes_per_slot + 8);
        CHECK_OK(growth_fm_update_csr(a, d.indptr, d.idx, d.fld, d.val, d.n, d.y, NULL, NULL, 0));
        CHECK_OK(growth_fm_update_csr(b, d.indptr, d.idx, d.fld, d.val, d.n, d.y, NULL, NULL, 0));
        float *pa = malloc(d.n * 2 * sizeof *pa), *pb = malloc(d.n * 2 * sizeof *pb);
        CHECK_OK(growth_fm_predict_csr(a, d.indptr, d.idx, d.fld, d.val, d.n, 0, pa, d.n * 2));
        CHECK_OK(growth_fm_predict_csr(b, d.indptr, d.idx, d.fld, d.val, d.n, 0, pb, d.n * 2));
        double mad = 0, lla = 0, llb = 0;
        for (size_t i = 0; i < d.n * 2; i++) {
            mad += fabs(pa[i] - pb[i]);
            lla -= d.y[i] ? log(pa[i]) : log(1 - pa[i]);
            llb -= d.y[i] ? log(pb[i]) : log(1 - pb[i]);
        }
        mad /= (double)(d.n * 2);
        if (!(mad < 0.04)) fprintf(stderr, "  compact vs float: mean |dp| %g\n", mad);
        CHECK(mad < 0.04);
        CHECK(fabs(lla - llb) / lla < 0.02);
        free(pa);
        free(pb);
        growth_fm_free(a);
        growth_fm_free(b);
    }
    free_data(&d);
}

/* unseen=seeded (the default): a lazy model predicts as a model whose every slot already holds
 * its seeded factors (create_seeded), before and during training, for rows mixing trained and
 * never-trained slots; unseen=zero: a fresh model's pairwise term is 0. */
TEST(test_unseen_slots)
{
    static const char *cfgs[] = {
        "model=ffm fields=4 bits=7 k=5 seed=3 heads=2",
        "model=fm bits=7 k=3 seed=4",
        "model=ffm fields=3 bits=7 k=4 seed=5 precision=compact",
        "model=fm bits=7 k=6 seed=6 precision=compact normalize=false",
    };
    for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
        growth_fm *lazy = NULL, *eager = NULL, *zero = NULL;
        char zc[160];
        snprintf(zc, sizeof zc, "%s unseen=zero", cfgs[c]);
        CHECK_OK(growth_fm_create(&lazy, cfgs[c]));
        CHECK_OK(create_seeded(&eager, cfgs[c]));
        CHECK_OK(growth_fm_create(&zero, zc));
        if (!lazy || !eager || !zero) return;
        const int H = (int)stats_of(lazy).heads,
                  fields = stats_of(lazy).fields ? (int)stats_of(lazy).fields : 1;
        grng r;
        grng_seed(&r, 77 + c);
        double worst = 0.0;
        int untouched_rows = 0;
        for (int it = 0; it < 400; it++) {
            trow t;
            rand_row(&r, &t, 7, fields, H, false, false);
            float ml[FM_MAX_HEADS], me[FM_MAX_HEADS], mz[FM_MAX_HEADS];
            CHECK_OK(growth_fm_predict(lazy, t.idx, t.fld, tval(&t), t.n, GROWTH_PREDICT_MARGIN, ml,
                                       FM_MAX_HEADS));
            CHECK_OK(growth_fm_predict(eager, t.idx, t.fld, tval(&t), t.n, GROWTH_PREDICT_MARGIN, me,
                                       FM_MAX_HEADS));
            bool fresh = false;
            for (size_t i = 0; i < t.n; i++) fresh |= !fm_is_touched(lazy, t.idx[i]);
            untouched_rows += fresh;
            for (int h = 0; h < H; h++) {
                double d = fabs((double)ml[h] - (double)me[h]) / (1.0 + fabs((double)me[h]));
                if (d > worst) worst = d;
            }
            if (it < 50) { /* a fresh unseen=zero model: no pairwise term, no bias yet */
                CHECK_OK(growth_fm_predict(zero, t.idx, t.fld, tval(&t), t.n, GROWTH_PREDICT_MARGIN, mz,
                                           FM_MAX_HEADS));
                for (int h = 0; h < H; h++) CHECK(mz[h] == 0.0f);
            }
            /* progressive validation says what predict said; then both train the same way */
            float pl[FM_MAX_HEADS], pe[FM_MAX_HEADS];
            if (it % 3 == 0) {
                CHECK_OK(
                    growth_fm_predict_update(lazy, t.idx, t.fld, tval(&t), t.n, t.y, 1.0f, pl, FM_MAX_HEADS));
                CHECK_OK(growth_fm_predict_update(eager, t.idx, t.fld, tval(&t), t.n, t.y, 1.0f, pe,
                                                  FM_MAX_HEADS));
                for (int h = 0; h < H; h++) {
                    double d = fabs((double)pl[h] - 1.0 / (1.0 + exp(-(double)ml[h])));
                    if (d > worst) worst = d;
                }
            }
        }
        CHECK(untouched_rows > 100);
        CHECK(stats_of(lazy).touched > 20);
        CHECK_NEAR(worst, 0.0, 2e-5); /* lazy vs eager (float rounding of the summation order) */
        growth_fm_free(lazy);
        growth_fm_free(eager);
        growth_fm_free(zero);
    }
}

TEST(test_initial_factors)
{
    growth_fm *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(growth_fm_create(&a, "model=ffm fields=3 bits=6 k=5 seed=9 init_scale=2"));
    CHECK_OK(growth_fm_create(&b, "model=ffm fields=3 bits=6 k=5 seed=9 init_scale=2"));
    CHECK_OK(growth_fm_create(&c, "model=ffm fields=3 bits=6 k=5 seed=10 init_scale=2"));
    if (!a || !b || !c) return;
    const float top = (float)(2.0 / sqrt(5.0));
    double sum = 0;
    int same = 0, n = 0;
    /* lazy: a new model's factors are 0 and no slot is touched */
    for (uint32_t s = 0; s < 64; s++)
        for (size_t f = 0; f < 3; f++) {
            float va[8];
            CHECK_OK(growth_fm_factors(a, s, f, va, 8, NULL));
            for (int d = 0; d < 5; d++) CHECK(va[d] == 0.0f);
        }
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    CHECK_OK(growth_fm_stats_get(a, &st));
    CHECK(st.touched == 0);
    /* a one-entry row has no pair: training on it gives the slot its seeded factors and leaves
     * them as they are; a row without a label or with weight 0 touches nothing */
    float one = 1.0f, none = GROWTH_LABEL_MISSING;
    uint8_t f0 = 0;
    for (uint32_t s = 0; s < 64; s++) {
        CHECK_OK(growth_fm_update(a, &s, &f0, NULL, 1, &none, 1.0f));
        CHECK_OK(growth_fm_update(a, &s, &f0, NULL, 1, &one, 0.0f));
    }
    CHECK_OK(growth_fm_stats_get(a, &st));
    CHECK(st.touched == 0);
    for (uint32_t s = 0; s < 64; s++) {
        CHECK_OK(growth_fm_update(a, &s, &f0, NULL, 1, &one, 1.0f));
        CHECK_OK(growth_fm_update(b, &s, &f0, NULL, 1, &one, 1.0f));
        CHECK_OK(growth_fm_update(c, &s, &f0, NULL, 1, &one, 1.0f));
    }
    CHECK_OK(growth_fm_stats_get(a, &st));
    CHECK(st.touched == 64);
    for (uint32_t s = 0; s < 64; s++)
        for (size_t f = 0; f < 3; f++) {
            float va[8], vb[8], vc[8], vi[8];
            CHECK_OK(growth_fm_factors(a, s, f, va, 8, NULL));
            CHECK_OK(growth_fm_factors(b, s, f, vb, 8, NULL));
            CHECK_OK(growth_fm_factors(c, s, f, vc, 8, NULL));
            fm_init_vec(fm_config_of(a), s, (int)f, vi);
            CHECK(memcmp(va, vb, 5 * sizeof(float)) == 0);
            CHECK(memcmp(va, vi, 5 * sizeof(float)) == 0);
            for (int d = 0; d < 5; d++) {
                CHECK(va[d] >= 0.0f && va[d] < top);
                sum += va[d];
                same += va[d] == vc[d];
                n++;
            }
        }
    CHECK(same < 5);
    CHECK_NEAR(sum / n, top / 2, 0.05);
    /* the same bits on every machine: pinned values of fm_init_vec */
    fm_cfg cfg = *fm_config_of(a);
    float v[8];
    fm_init_vec(&cfg, 12345, 2, v);
    uint32_t bits0;
    memcpy(&bits0, &v[0], 4);
    printf("  fm_init_vec(seed=9, slot 12345, field 2)[0] = %.9g (0x%08x)\n", (double)v[0], bits0);
    CHECK(bits0 == 0x3eb78a5bu); /* pinned: a change here changes every model's initial factors */
    growth_fm_free(a);
    growth_fm_free(b);
    growth_fm_free(c);
}

TEST(test_config_and_stats)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=fm k=6 bits=8 heads=3 head_names=a|b|c eta=0.1 precision=compact"));
    if (!m) return;
    char buf[1024];
    size_t need = 0;
    CHECK_RC(growth_fm_config(m, buf, 4, &need), GROWTH_EBUFS);
    CHECK(need > 20);
    size_t got = 0;
    CHECK_OK(growth_fm_config(m, buf, need, &got));
    CHECK(got == need && strlen(buf) + 1 == need);
    CHECK(strstr(buf, "model=fm") && strstr(buf, "k=6") && strstr(buf, "precision=compact") &&
          strstr(buf, "head_names=a|b|c") && strstr(buf, "lambda=2e-05") && strstr(buf, "fields=0"));
    growth_fm *m2 = NULL;
    CHECK_OK(growth_fm_create(&m2, buf));
    char buf2[1024];
    if (m2) CHECK_OK(growth_fm_config(m2, buf2, sizeof buf2, NULL));
    CHECK(m2 && strcmp(buf, buf2) == 0);
    fm_cfg parsed;
    CHECK_OK(fm_cfg_parse_stored("t", buf, &parsed));
    CHECK(parsed.k == 6 && parsed.heads == 3 && parsed.precision == FM_PREC_COMPACT);
    CHECK_RC(fm_cfg_parse_stored("t", "model=ffm", &parsed), GROWTH_EFORMAT);
    CHECK_RC(fm_cfg_parse("t", "model=ffm", &parsed), GROWTH_EINVAL);
    CHECK_MSG("fields");
    growth_fm_stats st = stats_of(m);
    CHECK(st.heads == 3 && st.bits == 8 && st.k == 6 && st.fields == 0 && st.examples == 0);
    CHECK(st.bytes_per_slot == 2 * 8 * 2 + 3 * 6); /* k=6 padded to 8, bfloat16; 3 compact FTRL records */
    CHECK(st.bytes >= st.bytes_per_slot * 256);
    growth_fm_free(m);
    growth_fm_free(m2);
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=12 k=4 bits=10 heads=2"));
    if (m) {
        st = stats_of(m);
        CHECK(st.bytes_per_slot == 12 * 4 * 8 + 2 * 16);
        CHECK(st.fields == 12);
    }
    growth_fm_free(m);
    CHECK_OK(growth_fm_create(&m, "model=fm bits=4 linear=false"));
    if (m) CHECK(stats_of(m).bytes_per_slot == 4 * 8);
    growth_fm_free(m);
}

/* ---- fit --------------------------------------------------------------------------------------- */

static growth_fm_data data_of(const tdata *d, size_t b, size_t n)
{
    growth_fm_data x = GROWTH_FM_DATA_INIT;
    x.nrows = n;
    x.indptr = d->indptr + b;
    x.indices = d->idx;
    x.fields = d->fld;
    x.values = d->val;
    x.labels = d->y + b;
    return x;
}

static void predictions(const growth_fm *m, const tdata *d, float *p)
{
    CHECK_OK(
        growth_fm_predict_csr(m, d->indptr, d->idx, d->fld, d->val, d->n, GROWTH_PREDICT_MARGIN, p, d->n));
}

TEST(test_fit_auto_stop_goes_back_one_epoch)
{
    tdata d;
    make_data(&d, 1200, 12, 6, 1, 31, false);
    /* noisy labels on a small training set: the validation loss turns up after a few epochs */
    grng r;
    grng_seed(&r, 2);
    for (size_t i = 0; i < d.n; i++)
        if (grng_uniform(&r) < 0.3) d.y[i] = 1.0f - d.y[i];
    growth_fm_data tr = data_of(&d, 0, 300), va = data_of(&d, 300, 900);
    const char *cfg = "model=ffm fields=6 bits=12 k=8 eta=0.1 lambda=0 init_scale=1";
    growth_fm *a = NULL, *b = NULL;
    CHECK_OK(growth_fm_create(&a, cfg));
    CHECK_OK(growth_fm_create(&b, cfg));
    if (!a || !b) return;
    growth_fm_fit_result res = GROWTH_FM_FIT_RESULT_INIT;
    CHECK_OK(growth_fm_fit(a, &tr, &va, "epochs=60 seed=5", &res));
    printf("  auto-stop: %llu epochs, kept %llu, train %.4f valid %.4f\n", (unsigned long long)res.epochs,
           (unsigned long long)res.best_epoch, res.train_logloss, res.valid_logloss);
    CHECK(res.epochs < 60 && res.best_epoch + 1 == res.epochs && res.best_epoch >= 1);
    CHECK(isfinite(res.train_logloss) && isfinite(res.valid_logloss));
    CHECK(stats_of(a).examples == res.best_epoch * 300);
    char opt[64];
    snprintf(opt, sizeof opt, "epochs=%llu seed=5 auto_stop=false", (unsigned long long)res.best_epoch);
    growth_fm_fit_result rb = GROWTH_FM_FIT_RESULT_INIT;
    CHECK_OK(growth_fm_fit(b, &tr, &va, opt, &rb));
    CHECK(rb.epochs == res.best_epoch && rb.best_epoch == res.best_epoch);
    CHECK(rb.valid_logloss == res.valid_logloss && rb.train_logloss == res.train_logloss);
    float *pa = malloc(d.n * sizeof *pa), *pb = malloc(d.n * sizeof *pb);
    predictions(a, &d, pa);
    predictions(b, &d, pb);
    CHECK(memcmp(pa, pb, d.n * sizeof *pa) == 0);
    CHECK(stats_of(a).touched == stats_of(b).touched);
    free(pa);
    free(pb);
    growth_fm_free(a);
    growth_fm_free(b);

    /* without shuffling, one epoch is update_csr over the rows in order */
    CHECK_OK(growth_fm_create(&a, cfg));
    CHECK_OK(growth_fm_create(&b, cfg));
    if (a && b) {
        growth_fm_data all = data_of(&d, 0, d.n);
        all.weights = d.w;
        CHECK_OK(growth_fm_fit(a, &all, NULL, "epochs=1 shuffle=false", &res));
        CHECK(res.epochs == 1 && res.best_epoch == 1 && isnan(res.valid_logloss));
        CHECK_OK(growth_fm_update_csr(b, d.indptr, d.idx, d.fld, d.val, d.n, d.y, d.w, NULL, 0));
        pa = malloc(d.n * sizeof *pa);
        pb = malloc(d.n * sizeof *pb);
        predictions(a, &d, pa);
        predictions(b, &d, pb);
        CHECK(memcmp(pa, pb, d.n * sizeof *pa) == 0);
        free(pa);
        free(pb);
    }
    growth_fm_free(a);
    growth_fm_free(b);
    free_data(&d);
}

static int g_calls;
static double g_last_done;
static int stop_after(const char *stage, double done, void *user)
{
    CHECK(strcmp(stage, "epoch") == 0);
    CHECK(done > g_last_done && done <= 1.0);
    g_last_done = done;
    return ++g_calls >= *(int *)user;
}

TEST(test_fit_cancel_restores_the_model)
{
    tdata d;
    make_data(&d, 40000, 12, 6, 2, 41, true);
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=6 bits=12 heads=2 k=4 precision=compact seed=3"));
    if (!m) return;
    CHECK_OK(growth_fm_update_csr(m, d.indptr, d.idx, d.fld, d.val, 1000, d.y, NULL, NULL, 0));
    float *p0 = malloc(d.n * 2 * sizeof *p0), *p1 = malloc(d.n * 2 * sizeof *p1);
    CHECK_OK(growth_fm_predict_csr(m, d.indptr, d.idx, d.fld, d.val, d.n, 0, p0, d.n * 2));
    growth_fm_stats s0 = stats_of(m);
    int limit = 3;
    CHECK_OK(growth_fm_set_progress(m, stop_after, &limit));
    growth_fm_data tr = GROWTH_FM_DATA_INIT;
    tr.nrows = d.n;
    tr.indptr = d.indptr;
    tr.indices = d.idx;
    tr.fields = d.fld;
    tr.values = d.val;
    tr.labels = d.y;
    growth_fm_fit_result res = GROWTH_FM_FIT_RESULT_INIT;
    g_calls = 0;
    g_last_done = 0;
    CHECK_RC(growth_fm_fit(m, &tr, NULL, "epochs=3", &res), GROWTH_ECANCELED);
    CHECK(g_calls == 3 && res.epochs == 0);
    CHECK_OK(growth_fm_predict_csr(m, d.indptr, d.idx, d.fld, d.val, d.n, 0, p1, d.n * 2));
    CHECK(memcmp(p0, p1, d.n * 2 * sizeof *p0) == 0);
    growth_fm_stats s1 = stats_of(m);
    CHECK(s1.examples == s0.examples && s1.touched == s0.touched);
    /* the model still trains the same as one that never saw the canceled fit */
    growth_fm *fresh = NULL;
    CHECK_OK(growth_fm_create(&fresh, "model=ffm fields=6 bits=12 heads=2 k=4 precision=compact seed=3"));
    if (fresh) {
        CHECK_OK(growth_fm_update_csr(fresh, d.indptr, d.idx, d.fld, d.val, 1000, d.y, NULL, NULL, 0));
        CHECK_OK(growth_fm_update_csr(fresh, d.indptr, d.idx, d.fld, d.val, 500, d.y, NULL, NULL, 0));
        CHECK_OK(growth_fm_update_csr(m, d.indptr, d.idx, d.fld, d.val, 500, d.y, NULL, NULL, 0));
        CHECK_OK(growth_fm_predict_csr(m, d.indptr, d.idx, d.fld, d.val, d.n, 0, p0, d.n * 2));
        CHECK_OK(growth_fm_predict_csr(fresh, d.indptr, d.idx, d.fld, d.val, d.n, 0, p1, d.n * 2));
        CHECK(memcmp(p0, p1, d.n * 2 * sizeof *p0) == 0);
    }
    /* a callback that never stops: called up to done = 1 */
    limit = 1 << 30;
    g_calls = 0;
    g_last_done = 0;
    CHECK_OK(growth_fm_fit(m, &tr, NULL, "epochs=2", &res));
    CHECK(g_last_done == 1.0 && res.epochs == 2);
    CHECK_OK(growth_fm_set_progress(m, NULL, NULL));
    growth_fm_free(fresh);
    growth_fm_free(m);
    free(p0);
    free(p1);
    free_data(&d);
}

TEST(test_accessors)
{
    growth_fm *m = NULL;
    CHECK_OK(growth_fm_create(&m, "model=ffm fields=2 bits=4 k=3 heads=2 precision=compact"));
    if (!m) return;
    float v[3] = {0.5f, -0.25f, 1.0f}, g[3] = {2.0f, 3.0f, 4.5f}, v2[3], g2[3];
    fm_lock(m);
    fm_put_vec(m, 7, 1, v, g);
    fm_get_vec(m, 7, 1, v2, g2);
    CHECK(memcmp(v, v2, sizeof v) == 0 && memcmp(g, g2, sizeof g) == 0);
    fm_put_lin(m, 7, 1, -3.0f, 2.0f);
    float z, s;
    fm_get_lin(m, 7, 1, &z, &s);
    CHECK(z == -3.0f && s == 2.0f);
    fm_put_bias(m, 1, 0.5f, 1.5f);
    fm_get_bias(m, 1, &z, &s);
    CHECK(z == 0.5f && s == 1.5f);
    fm_put_head(m, 1, v, g);
    fm_get_head(m, 1, v2, g2);
    CHECK(memcmp(v, v2, sizeof v) == 0);
    CHECK(!fm_is_touched(m, 7));
    fm_mark_touched(m, 7);
    fm_mark_touched(m, 7);
    CHECK(fm_is_touched(m, 7) && fm_next_touched(m, 0) == 7 && fm_next_touched(m, 8) == UINT64_MAX);
    fm_set_examples(m, 42);
    CHECK(fm_examples(m) == 42);
    fm_unlock(m);
    growth_fm_stats st = stats_of(m);
    CHECK(st.touched == 1 && st.examples == 42);
    float w;
    CHECK_OK(growth_fm_weight(m, 1, 7, &w)); /* the weight follows from z and sqrt(n) */
    CHECK_NEAR(w, (-1.0 - -3.0) / ((1.0 + 2.0) / 0.05 + 1.0), 1e-3);
    CHECK(fm_config_of(m)->k == 3);
    growth_fm_free(m);
}

int main(void)
{
    RUN(test_predict_is_the_pairwise_sum);
    RUN(test_training_follows_the_reference);
    RUN(test_factor_gradient_by_finite_differences);
    RUN(test_linear_part_is_growth_ftrl);
    RUN(test_missing_labels_and_zero_weights_change_nothing);
    RUN(test_esmm);
    RUN(test_kernel_paths_agree);
    RUN(test_compact_close_to_float);
    RUN(test_unseen_slots);
    RUN(test_initial_factors);
    RUN(test_config_and_stats);
    RUN(test_fit_auto_stop_goes_back_one_epoch);
    RUN(test_fit_cancel_restores_the_model);
    RUN(test_accessors);
    return GT_SUMMARY();
}
