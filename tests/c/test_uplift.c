/* Uplift: metrics against brute-force evaluations of scikit-uplift's definitions, estimators
 * against the true effects of a seeded simulated campaign, save/load, the allocation against
 * exhaustive search, and the campaign: the uplift plan against the response-model plan. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/growth.h"
#include "uplift.pb-c.h"
#include "gtest.h"

_Static_assert(sizeof(growth_uplift_data) == 64, "growth_uplift_data layout");
_Static_assert(offsetof(growth_uplift_data, propensity) == 48, "growth_uplift_data layout");
_Static_assert(sizeof(growth_uplift_stats) == 48, "growth_uplift_stats layout");
_Static_assert(offsetof(growth_uplift_stats, control_rows) == 40, "growth_uplift_stats layout");

/* ---- brute force: a curve point is "all rows with score >= the threshold" ----------------------- */

/* Uplift (qini = 0) or Qini value over the rows whose score is >= thr. */
static double point(const float *s, const float *y, const int32_t *t, size_t n, float thr, int qini,
                    double *x)
{
    double nt = 0, nc = 0, yt = 0, yc = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= thr) {
            if (t[i])
                nt++, yt += y[i];
            else
                nc++, yc += y[i];
        }
    *x = nt + nc;
    if (qini) return yt - (nc ? yc * nt / nc : 0);
    return ((nt ? yt / nt : 0) - (nc ? yc / nc : 0)) * (nt + nc);
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

TEST(test_curves_match_brute_force)
{
    enum { N = 300 };
    static float s[N], y[N], sorted[N];
    static int32_t t[N];
    grng r;
    grng_seed(&r, 5);
    for (size_t i = 0; i < N; i++) {
        s[i] = (float)grng_below(&r, 40) / 8.0f; /* many ties */
        t[i] = (int32_t)grng_below(&r, 2);
        y[i] = grng_uniform(&r) < 0.3 + 0.3 * t[i] * (s[i] > 2.5f) ? 1.0f : 0.0f;
    }
    memcpy(sorted, s, sizeof s);
    qsort(sorted, N, sizeof *sorted, cmp_desc);
    for (int qini = 0; qini < 2; qini++) {
        double cx[N + 1], cy[N + 1];
        size_t m = 0;
        if (qini)
            CHECK_OK(growth_metrics_qini_curve(s, y, t, N, NULL, cx, cy, N + 1, &m));
        else
            CHECK_OK(growth_metrics_uplift_curve(s, y, t, N, NULL, cx, cy, N + 1, &m));
        CHECK(cx[0] == 0 && cy[0] == 0);
        size_t k = 1;
        double area = 0, px = 0, py = 0;
        for (size_t i = 0; i < N; i++) {
            if (i + 1 < N && sorted[i + 1] == sorted[i]) continue;
            double x, v = point(s, y, t, N, sorted[i], qini, &x);
            CHECK(k < m);
            if (k < m) {
                CHECK_NEAR(cx[k], x, 0);
                CHECK_NEAR(cy[k], v, 1e-9);
            }
            area += (x - px) * (v + py) / 2;
            px = x, py = v;
            k++;
        }
        CHECK(k == m);
        /* the perfect curve by brute force, then the normalised area */
        float ps[N];
        size_t cr = 0, tn = 0;
        for (size_t i = 0; i < N; i++) cr += !t[i] && y[i] == 1, tn += t[i] && y[i] == 0;
        for (size_t i = 0; i < N; i++)
            ps[i] =
                qini ? (t[i] ? y[i] : -y[i]) : 2.0f * (y[i] == (float)t[i]) + (cr > tn ? y[i] : (float)t[i]);
        float psorted[N];
        memcpy(psorted, ps, sizeof ps);
        qsort(psorted, N, sizeof *psorted, cmp_desc);
        double parea = 0, qx = 0, qy = 0;
        for (size_t i = 0; i < N; i++) {
            if (i + 1 < N && psorted[i + 1] == psorted[i]) continue;
            double x, v = point(ps, y, t, N, psorted[i], qini, &x);
            parea += (x - qx) * (v + qy) / 2;
            qx = x, qy = v;
        }
        const double base = qx * qy / 2, want = (area - base) / (parea - base);
        double got;
        if (qini)
            CHECK_OK(growth_metrics_qini_auc(s, y, t, N, NULL, &got));
        else
            CHECK_OK(growth_metrics_uplift_auc(s, y, t, N, NULL, &got));
        CHECK_NEAR(got, want, 1e-9);
    }
}

TEST(test_uplift_at_k_by_hand)
{
    /* scores 6..1 (rows 0..5), treatment 1 0 1 0 1 0, labels 1 0 1 1 0 0: top 3 (k = 0.5) are rows
     * 0, 1, 2: treated rate 2/2, control 0/1 -> 1. by_group k = 0.5: top 1 treated (row 0) and
     * top 1 control (row 1): 1 - 0. Ties: equal scores put the later row first. */
    float s[6] = {6, 5, 4, 3, 2, 1}, y[6] = {1, 0, 1, 1, 0, 0};
    int32_t t[6] = {1, 0, 1, 0, 1, 0};
    double v;
    CHECK_OK(growth_metrics_uplift_at_k(s, y, t, 6, "k=0.5", &v));
    CHECK_NEAR(v, 1.0, 1e-15);
    CHECK_OK(growth_metrics_uplift_at_k(s, y, t, 6, "k=0.5 strategy=by_group", &v));
    CHECK_NEAR(v, 1.0, 1e-15);
    float tie[6] = {1, 1, 1, 1, 1, 1};
    /* all tied: ranking is rows 5, 4, 3, ...: top 4 = rows 5..2: treated {4, 2} -> 1/2, control {5, 3} -> 1/2 */
    CHECK_OK(growth_metrics_uplift_at_k(tie, y, t, 6, "count=4", &v));
    CHECK_NEAR(v, 0.0, 1e-15);
    CHECK_OK(growth_metrics_uplift_at_k(tie, y, t, 6, "count=2", &v)); /* rows 5 (c, 0) and 4 (t, 0) */
    CHECK_NEAR(v, 0.0, 1e-15);
    CHECK_OK(growth_metrics_uplift_at_k(tie, y, t, 6, "count=3", &v)); /* + row 3 (c, 1): 0 - 1/2 */
    CHECK_NEAR(v, -0.5, 1e-15);
}

/* ---- a simulated randomised campaign ----------------------------------------------------------------- */

enum { NF = 6, TR = 2 };
static const double BASE[4] = {0.60, 0.05, 0.40, 0.02}, EFF[4] = {0.0, 0.35, -0.25, 0.0};

typedef struct {
    size_t n;
    float *X, *y;
    int32_t *t;
    double *P; /* n x (TR + 1) true conversion probabilities */
} campaign;

static void simulate(campaign *c, size_t n, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    c->n = n;
    c->X = malloc(n * NF * sizeof *c->X);
    c->y = malloc(n * sizeof *c->y);
    c->t = malloc(n * sizeof *c->t);
    c->P = malloc(n * (TR + 1) * sizeof *c->P);
    for (size_t i = 0; i < n; i++) {
        float *x = c->X + i * NF;
        for (int j = 0; j < NF; j++) x[j] = (float)grng_normal(&r);
        const int seg = (x[0] > 0) * 2 + (x[1] > 0);
        const double base = BASE[seg] + 0.02 * tanh(x[2]);
        c->P[i * (TR + 1)] = base;
        for (int a = 1; a <= TR; a++) {
            double p = base + EFF[seg] * (0.6 + 0.4 * a / TR);
            c->P[i * (TR + 1) + a] = p < 0.005 ? 0.005 : p > 0.995 ? 0.995 : p;
        }
        c->t[i] = (int32_t)grng_below(&r, TR + 1);
        c->y[i] = grng_uniform(&r) < c->P[i * (TR + 1) + c->t[i]] ? 1.0f : 0.0f;
    }
}

static void campaign_free(campaign *c)
{
    free(c->X);
    free(c->y);
    free(c->t);
    free(c->P);
}

static double corr(const float *a, size_t stride_a, const double *b, size_t n)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) ma += a[i * stride_a], mb += b[i];
    ma /= n, mb /= n;
    for (size_t i = 0; i < n; i++) {
        const double da = a[i * stride_a] - ma, db = b[i] - mb;
        sab += da * db, saa += da * da, sbb += db * db;
    }
    return sab / sqrt(saa * sbb);
}

static growth_uplift *train(const campaign *c, const char *cfg, const char *params)
{
    growth_uplift_data d = GROWTH_UPLIFT_DATA_INIT;
    d.nrows = c->n;
    d.ncols = NF;
    d.dense = c->X;
    d.labels = c->y;
    d.treatment = c->t;
    growth_uplift *u = NULL;
    CHECK_OK(growth_uplift_train(&u, cfg, params, &d, NULL, NULL));
    return u;
}

TEST(test_estimators_recover_the_effects)
{
    campaign tr, te;
    simulate(&tr, 6000, 11);
    simulate(&te, 2000, 12);
    const char *cfgs[] = {"method=t_learner",           "method=s_learner",
                          "method=x_learner",           "method=class_transform",
                          "method=transformed_outcome", "method=t_learner base=ftrl",
                          "method=s_learner base=ftrl", "method=class_transform base=ftrl"};
    double *truth = malloc(te.n * sizeof *truth);
    float *tau = malloc(te.n * TR * sizeof *tau);
    for (size_t k = 0; k < sizeof cfgs / sizeof *cfgs; k++) {
        char cfg[160];
        const int ftrl = strstr(cfgs[k], "ftrl") != NULL;
        snprintf(cfg, sizeof cfg, "%s treatments=2%s", cfgs[k], ftrl ? "" : " base_config='num_rounds=60'");
        growth_uplift *u = train(&tr, cfg, ftrl ? NULL : "max_depth=3 eta=0.1");
        if (!u) continue;
        CHECK_OK(growth_uplift_predict_dense(u, te.X, te.n, NF, 0, tau, te.n * TR));
        for (int a = 1; a <= TR; a++) {
            for (size_t i = 0; i < te.n; i++) truth[i] = te.P[i * 3 + a] - te.P[i * 3];
            const double r = corr(tau + a - 1, TR, truth, te.n);
            if (!(r > (ftrl ? 0.5 : 0.7))) fprintf(stderr, "  %s arm %d: correlation %.3f\n", cfg, a, r);
            CHECK(r > (ftrl ? 0.5 : 0.7));
        }
        /* one row equals the batch; save / load / deserialize give the same predictions */
        float one[TR];
        CHECK_OK(growth_uplift_predict(u, te.X + 7 * NF, NF, 0, one, TR));
        CHECK(one[0] == tau[7 * TR] && one[1] == tau[7 * TR + 1]);
        char path[512];
        gt_path(path, sizeof path, "test_uplift.model");
        CHECK_OK(growth_uplift_save(u, path));
        int kind = 0;
        CHECK_OK(growth_model_kind(path, &kind, NULL));
        CHECK(kind == GROWTH_KIND_UPLIFT && strcmp(growth_model_kind_name(kind), "uplift") == 0);
        growth_uplift *v = NULL;
        CHECK_OK(growth_uplift_load(&v, path));
        float two[TR] = {0, 0};
        if (v) CHECK_OK(growth_uplift_predict(v, te.X + 7 * NF, NF, 0, two, TR));
        CHECK(memcmp(one, two, sizeof one) == 0);
        growth_uplift_stats s = GROWTH_UPLIFT_STATS_INIT;
        CHECK_OK(growth_uplift_stats_get(v, &s));
        CHECK(s.features == NF && s.treatments == TR && s.rows == tr.n);
        growth_uplift_free(v);
        remove(path);
        growth_uplift_free(u);
    }
    free(truth);
    free(tau);
    campaign_free(&tr);
    campaign_free(&te);
}

/* `env` (an uplift envelope) re-packed in a fresh envelope with valid checksums (*out
 * malloc'ed): "base=forest" in its stored configuration replaced by `base` (NULL: unchanged),
 * base model `empty` replaced by zero bytes (-1: none). */
static int uplift_repack(const uint8_t *env, size_t len, const char *base, int empty, uint8_t **out,
                         size_t *out_len)
{
    Growth__Uplift *m =
        growth__uplift__unpack(&gpb_allocator, len - GENV_HEADER_SIZE, env + GENV_HEADER_SIZE);
    if (!m || !m->meta || !m->meta->config || (empty >= 0 && (size_t)empty >= m->n_models)) {
        if (m) growth__uplift__free_unpacked(m, &gpb_allocator);
        return GROWTH_EFORMAT;
    }
    char cfg[1024];
    const char *at = base ? strstr(m->meta->config, "base=forest") : NULL;
    if (at)
        snprintf(cfg, sizeof cfg, "%.*s%s%s", (int)(at - m->meta->config), m->meta->config, base,
                 at + strlen("base=forest"));
    char *keep = m->meta->config;
    if (at) m->meta->config = cfg;
    ProtobufCBinaryData model = {0, NULL};
    if (empty >= 0) {
        model = m->models[empty];
        m->models[empty].len = 0;
        m->models[empty].data = NULL;
    }
    int rc = base && !at ? GROWTH_EINVAL : genv_pack("test", GROWTH_KIND_UPLIFT, &m->base, out, out_len);
    m->meta->config = keep;
    if (empty >= 0) m->models[empty] = model;
    growth__uplift__free_unpacked(m, &gpb_allocator);
    return rc;
}

/* A saved uplift model whose content training would refuse is a damaged file, EFORMAT: a stored
 * configuration breaking the training rule that method=x_learner needs base=forest, and a base
 * model (forest or FTRL) that does not load for any reason (here an empty one, which the inner
 * deserializer refuses as EINVAL). */
TEST(test_stored_content_is_eformat)
{
    campaign c;
    simulate(&c, 600, 21);
    growth_uplift *x = train(&c, "method=x_learner treatments=2 base_config='num_rounds=3'", "max_depth=2");
    growth_uplift *t = train(&c, "method=t_learner treatments=2 base=ftrl", NULL);
    growth_uplift *models[2] = {x, t};
    for (int k = 0; k < 2; k++) {
        uint8_t *buf = NULL, *out = NULL;
        size_t len = 0, olen = 0;
        if (!models[k]) continue;
        CHECK_OK(growth_uplift_serialize(models[k], &buf, &len));
        growth_uplift *v = NULL;
        CHECK_OK(uplift_repack(buf, len, NULL, -1, &out, &olen)); /* re-packed unchanged: still loads */
        CHECK_OK(growth_uplift_deserialize(&v, out, olen));
        growth_uplift_free(v);
        v = NULL;
        free(out);
        if (k == 0) { /* the training rule, as a caller's configuration and as a stored one */
            growth_uplift_data d = GROWTH_UPLIFT_DATA_INIT;
            d.nrows = c.n;
            d.ncols = NF;
            d.dense = c.X;
            d.labels = c.y;
            d.treatment = c.t;
            CHECK_RC(growth_uplift_train(&v, "method=x_learner treatments=2 base=ftrl", NULL, &d, NULL, NULL),
                     GROWTH_EINVAL);
            CHECK_OK(uplift_repack(buf, len, "base=ftrl", -1, &out, &olen));
            CHECK_RC(growth_uplift_deserialize(&v, out, olen), GROWTH_EFORMAT);
            CHECK_MSG("stored configuration");
            CHECK(v == NULL);
            free(out);
        }
        CHECK_OK(uplift_repack(buf, len, NULL, 1, &out, &olen));
        CHECK_RC(growth_uplift_deserialize(&v, out, olen), GROWTH_EFORMAT);
        CHECK_MSG("base model 1");
        CHECK(v == NULL);
        free(out);
        growth_buffer_free(buf);
    }
    growth_uplift_free(x);
    growth_uplift_free(t);
    campaign_free(&c);
}

TEST(test_allocate_matches_exhaustive_search)
{
    grng r;
    grng_seed(&r, 3);
    growth_mckp *s = NULL;
    CHECK_OK(growth_mckp_create(&s, ""));
    for (int trial = 0; trial < 30; trial++) {
        enum { U = 5, O = 2 };
        uint64_t ip[U + 1];
        float up[U * O], pr[U * O];
        double co[U * O];
        for (int i = 0; i <= U; i++) ip[i] = (uint64_t)i * O;
        for (int j = 0; j < U * O; j++) {
            up[j] = (float)(grng_uniform(&r) * 0.3 - 0.1);
            pr[j] = (float)(0.1 + 0.8 * grng_uniform(&r));
            co[j] = j % 2 ? 5.0 : 2.0;
        }
        const double B = 1 + 6 * grng_uniform(&r);
        int32_t ch[U];
        CHECK_OK(growth_uplift_allocate(s, ip, U, up, pr, co, B, "value=10", ch, U));
        double val = 0, spend = 0;
        for (int i = 0; i < U; i++)
            if (ch[i] >= 0) {
                CHECK(up[i * O + ch[i]] > 0);
                val += 10.0 * up[i * O + ch[i]], spend += co[i * O + ch[i]] * pr[i * O + ch[i]];
            }
        CHECK(spend <= B + 1e-9);
        double best = 0;
        for (int code = 0; code < 243; code++) { /* 3^5 plans */
            double v = 0, sp = 0;
            int c = code, ok = 1;
            for (int i = 0; i < U; i++, c /= 3) {
                const int o = c % 3 - 1;
                if (o < 0) continue;
                if (!(up[i * O + o] > 0)) ok = 0;
                v += 10.0 * up[i * O + o], sp += co[i * O + o] * pr[i * O + o];
            }
            if (ok && sp <= B + 1e-12 && v > best) best = v;
        }
        growth_mckp_result res = GROWTH_MCKP_RESULT_INIT;
        CHECK_OK(growth_mckp_result_get(s, &res));
        CHECK_NEAR(res.value, val, 1e-9);
        CHECK(res.dual_bound >= best - 1e-9); /* certified bound over the true optimum */
        CHECK(val >= best - res.gap - 1e-9);
    }
    growth_mckp_free(s);
}

TEST(test_uplift_plan_beats_the_response_plan)
{
    campaign tr, te;
    simulate(&tr, 12000, 5);
    simulate(&te, 6000, 6);
    growth_uplift *u =
        train(&tr, "method=t_learner treatments=2 base_config='num_rounds=80'", "max_depth=3 eta=0.1");
    const size_t n = te.n;
    float *tau = malloc(n * TR * sizeof *tau), *resp = malloc(n * (TR + 1) * sizeof *resp);
    float *pr = malloc(n * TR * sizeof *pr);
    double *co = malloc(n * TR * sizeof *co), *rv = malloc(n * TR * sizeof *rv),
           *rc = malloc(n * TR * sizeof *rc);
    uint64_t *ip = malloc((n + 1) * sizeof *ip);
    int32_t *ch_u = malloc(n * sizeof *ch_u), *ch_r = malloc(n * sizeof *ch_r);
    const double cost[TR] = {2.0, 4.0}, B = 1500.0;
    CHECK_OK(growth_uplift_predict_dense(u, te.X, n, NF, 0, tau, n * TR));
    CHECK_OK(growth_uplift_predict_dense(u, te.X, n, NF, GROWTH_UPLIFT_RESPONSE, resp, n * (TR + 1)));
    for (size_t i = 0; i <= n; i++) ip[i] = i * TR;
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < TR; a++) {
            pr[i * TR + a] = resp[i * (TR + 1) + a + 1];
            co[i * TR + a] = cost[a];
            rv[i * TR + a] = pr[i * TR + a];           /* response plan: value = P(buy | coupon) */
            rc[i * TR + a] = cost[a] * pr[i * TR + a]; /* same expected cost */
        }
    growth_mckp *s = NULL;
    CHECK_OK(growth_mckp_create(&s, ""));
    CHECK_OK(growth_uplift_allocate(s, ip, n, tau, pr, co, B, NULL, ch_u, n));
    CHECK_OK(growth_mckp_solve(s, ip, n, rv, rc, 1, &B, ch_r, n));
    double inc_u = 0, inc_r = 0, spend_u = 0;
    for (size_t i = 0; i < n; i++) {
        const double *P = te.P + i * (TR + 1);
        if (ch_u[i] >= 0) inc_u += P[ch_u[i] + 1] - P[0], spend_u += cost[ch_u[i]] * pr[i * TR + ch_u[i]];
        if (ch_r[i] >= 0) inc_r += P[ch_r[i] + 1] - P[0];
    }
    printf("  incremental conversions at budget %.0f: uplift plan %.1f, response plan %.1f (ratio %.2f)\n", B,
           inc_u, inc_r, inc_u / inc_r);
    CHECK(spend_u <= B + 1e-6);
    CHECK(inc_u >= 1.3 * inc_r);
    growth_mckp_free(s);
    growth_uplift_free(u);
    free(tau), free(resp), free(pr), free(co), free(rv), free(rc), free(ip), free(ch_u), free(ch_r);
    campaign_free(&tr);
    campaign_free(&te);
}

int main(void)
{
    RUN(test_curves_match_brute_force);
    RUN(test_uplift_at_k_by_hand);
    RUN(test_estimators_recover_the_effects);
    RUN(test_stored_content_is_eformat);
    RUN(test_allocate_matches_exhaustive_search);
    RUN(test_uplift_plan_beats_the_response_plan);
    return GT_SUMMARY();
}
