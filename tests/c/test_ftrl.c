/* FTRL-Proximal: against a literal double-precision transcription of McMahan et al.'s
 * Algorithm 1, multi-head equivalence, sparsity, persistence, ESMM, bad input. */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "ftrl.pb-c.h"
#include "growth/growth.h"
#include "gtest.h"
#include "stored_config.h"

/* ---- synthetic click log: 8 fields, each with a categorical value from a skewed
 * distribution, a hidden weight per (field, value), labels from the logistic truth ---------- */
enum { FIELDS = 8, VALUES = 50 };

typedef struct {
    size_t n;
    uint64_t *indptr;
    uint32_t *idx;
    float *val;
    float *y;
} dataset;

static void make_data(dataset *d, size_t n, unsigned bits, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    double truth[FIELDS][VALUES];
    for (int f = 0; f < FIELDS; f++)
        for (int v = 0; v < VALUES; v++) truth[f][v] = grng_normal(&r) * 0.8;
    grng_seed(&r, seed + 1);
    d->n = n;
    d->indptr = malloc((n + 1) * sizeof *d->indptr);
    d->idx = malloc(n * (FIELDS + 1) * sizeof *d->idx);
    d->val = malloc(n * (FIELDS + 1) * sizeof *d->val);
    d->y = malloc(n * sizeof *d->y);
    size_t k = 0;
    d->indptr[0] = 0;
    for (size_t i = 0; i < n; i++) {
        double margin = -1.5;
        for (int f = 0; f < FIELDS; f++) {
            double u = grng_uniform(&r);
            int v = (int)(VALUES * u * u); /* skewed: small ids are frequent */
            char field[16], value[16];
            snprintf(field, sizeof field, "f%d", f);
            snprintf(value, sizeof value, "v%d", v);
            growth_features_hash(field, value, 0, bits, &d->idx[k]);
            d->val[k] = 1.0f;
            k++;
            margin += truth[f][v];
        }
        /* one numeric feature */
        double x = grng_normal(&r);
        growth_features_hash("num", "", 0, bits, &d->idx[k]);
        d->val[k] = (float)x;
        k++;
        margin += 0.7 * x;
        d->y[i] = grng_uniform(&r) < 1.0 / (1.0 + exp(-margin)) ? 1.0f : 0.0f;
        d->indptr[i + 1] = k;
    }
}

/* The model's counters (growth_ftrl_stats_get must succeed). */
static growth_ftrl_stats stats_of(const growth_ftrl *m)
{
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
    CHECK_OK(growth_ftrl_stats_get(m, &st));
    return st;
}

/* Slots with a non-zero weight in any head, counted the way the removed growth_ftrl_stats()
 * did: a scan of the whole table through growth_ftrl_weight(). */
static uint64_t scan_nonzero(const growth_ftrl *m)
{
    growth_ftrl_stats st = stats_of(m);
    uint64_t nz = 0;
    for (uint64_t slot = 0; slot < (UINT64_C(1) << st.bits); slot++) {
        bool any = false;
        for (size_t h = 0; h < st.heads; h++) {
            float w = 0;
            CHECK_OK(growth_ftrl_weight(m, h, (uint32_t)slot, &w));
            any |= w != 0.0f;
        }
        nz += any;
    }
    return nz;
}

static void free_data(dataset *d)
{
    free(d->indptr);
    free(d->idx);
    free(d->val);
    free(d->y);
}

/* Literal Algorithm 1 of McMahan et al. 2013 in double precision, dense arrays, bias as an
 * extra coordinate 2^bits with value 1. */
typedef struct {
    double alpha, beta, l1, l2;
    size_t dim;
    double *z, *n;
} ref_ftrl;

static void ref_init(ref_ftrl *r, double alpha, double beta, double l1, double l2, unsigned bits)
{
    r->alpha = alpha;
    r->beta = beta;
    r->l1 = l1;
    r->l2 = l2;
    r->dim = ((size_t)1 << bits) + 1;
    r->z = calloc(r->dim, sizeof(double));
    r->n = calloc(r->dim, sizeof(double));
}

static double ref_w(const ref_ftrl *r, size_t i)
{
    double z = r->z[i];
    if (fabs(z) <= r->l1) return 0.0;
    double sgn = z < 0 ? -1.0 : 1.0;
    return -(z - sgn * r->l1) / ((r->beta + sqrt(r->n[i])) / r->alpha + r->l2);
}

static double ref_predict(const ref_ftrl *r, const uint32_t *idx, const float *val, size_t nnz)
{
    double m = ref_w(r, r->dim - 1);
    for (size_t k = 0; k < nnz; k++) m += ref_w(r, idx[k]) * val[k];
    return 1.0 / (1.0 + exp(-m));
}

static void ref_update(ref_ftrl *r, const uint32_t *idx, const float *val, size_t nnz, double y)
{
    double p = ref_predict(r, idx, val, nnz);
    double *w = malloc((nnz + 1) * sizeof *w);
    for (size_t k = 0; k < nnz; k++) w[k] = ref_w(r, idx[k]);
    w[nnz] = ref_w(r, r->dim - 1);
    for (size_t k = 0; k <= nnz; k++) {
        size_t i = k < nnz ? idx[k] : r->dim - 1;
        double x = k < nnz ? val[k] : 1.0;
        double g = (p - y) * x;
        double sigma = (sqrt(r->n[i] + g * g) - sqrt(r->n[i])) / r->alpha;
        r->z[i] += g - sigma * w[k];
        r->n[i] += g * g;
    }
    free(w);
}

TEST(test_matches_reference_algorithm)
{
    const unsigned bits = 12;
    dataset d;
    make_data(&d, 20000, bits, 11);
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "alpha=0.1 beta=1 l1=0.5 l2=0.1 bits=12"));
    ref_ftrl r;
    ref_init(&r, 0.1, 1, 0.5, 0.1, bits);
    double maxdiff = 0;
    for (size_t i = 0; i < d.n; i++) {
        size_t b = d.indptr[i], e = d.indptr[i + 1];
        float p;
        CHECK_OK(growth_ftrl_predict_update(m, d.idx + b, d.val + b, e - b, &d.y[i], 1.0f, &p, 1));
        double pr = ref_predict(&r, d.idx + b, d.val + b, e - b);
        ref_update(&r, d.idx + b, d.val + b, e - b, d.y[i]);
        if (fabs(p - pr) > maxdiff) maxdiff = fabs(p - pr);
    }
    CHECK(maxdiff < 2e-4); /* float32 state vs double reference over 20k updates */
    growth_ftrl_stats st = stats_of(m);
    uint64_t ex = st.examples, nz = st.nonzero;
    CHECK(ex == d.n);
    CHECK(st.heads == 1 && st.bits == bits && nz == scan_nonzero(m));
    size_t ref_nz = 0;
    for (size_t i = 0; i + 1 < r.dim; i++) ref_nz += ref_w(&r, i) != 0.0;
    CHECK(nz == ref_nz);
    /* Per-slot weights agree too, bias included. */
    for (uint32_t i = 0; i < (1u << bits); i += 7) {
        float w;
        CHECK_OK(growth_ftrl_weight(m, 0, i, &w));
        CHECK_NEAR(w, ref_w(&r, i), 1e-3);
    }
    float wb;
    CHECK_OK(growth_ftrl_weight(m, 0, UINT32_MAX, &wb));
    CHECK_NEAR(wb, ref_w(&r, r.dim - 1), 1e-3);
    free(r.z);
    free(r.n);
    growth_ftrl_free(m);
    free_data(&d);
}

static double logloss_of(const float *p, const float *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double q = p[i] < 1e-7 ? 1e-7 : p[i] > 1 - 1e-7 ? 1 - 1e-7 : p[i];
        s -= y[i] ? log(q) : log(1 - q);
    }
    return s / (double)n;
}

TEST(test_learns_and_batch_equals_sequential)
{
    dataset d;
    make_data(&d, 30000, 16, 3);
    growth_ftrl *a = NULL, *b = NULL;
    CHECK_OK(growth_ftrl_create(&a, "bits=16 alpha=0.1"));
    CHECK_OK(growth_ftrl_create(&b, "bits=16 alpha=0.1"));
    float *pa = malloc(d.n * sizeof *pa), *pb = malloc(d.n * sizeof *pb);
    CHECK_OK(growth_ftrl_update_csr(a, d.indptr, d.idx, d.val, d.n, d.y, NULL, pa, d.n));
    for (size_t i = 0; i < d.n; i++) {
        size_t s = d.indptr[i], e = d.indptr[i + 1];
        CHECK_OK(growth_ftrl_predict_update(b, d.idx + s, d.val + s, e - s, &d.y[i], 1.0f, &pb[i], 1));
    }
    CHECK(memcmp(pa, pb, d.n * sizeof *pa) == 0);
    /* Progressive logloss on the last third beats the base-rate logloss clearly. */
    size_t third = d.n / 3;
    double pos = 0;
    for (size_t i = 0; i < d.n; i++) pos += d.y[i];
    double base = pos / d.n;
    double base_ll = -(base * log(base) + (1 - base) * log(1 - base));
    double ll = logloss_of(pa + 2 * third, d.y + 2 * third, d.n - 2 * third);
    CHECK(ll < 0.85 * base_ll);
    /* predict_batch equals predict row by row. */
    CHECK_OK(growth_ftrl_predict_csr(a, d.indptr, d.idx, d.val, 1000, 0, pa, d.n));
    for (size_t i = 0; i < 1000; i++) {
        size_t s = d.indptr[i], e = d.indptr[i + 1];
        float p;
        CHECK_OK(growth_ftrl_predict(a, d.idx + s, d.val + s, e - s, 0, &p, 1));
        CHECK(p == pa[i]);
    }
    free(pa);
    free(pb);
    growth_ftrl_free(a);
    growth_ftrl_free(b);
    free_data(&d);
}

TEST(test_heads_equal_separate_models_and_weights)
{
    /* A 2-head model with partially missing labels equals two 1-head models, each trained on
     * the rows that carry its label; a weight of 2 equals the gradient of a doubled example. */
    dataset d;
    make_data(&d, 5000, 14, 5);
    growth_ftrl *mh = NULL, *m0 = NULL, *m1 = NULL;
    CHECK_OK(growth_ftrl_create(&mh, "bits=14 heads=2 head_names=click|buy"));
    CHECK_OK(growth_ftrl_create(&m0, "bits=14"));
    CHECK_OK(growth_ftrl_create(&m1, "bits=14"));
    CHECK(stats_of(mh).heads == 2);
    size_t hi = 99;
    CHECK_OK(growth_ftrl_head_index(mh, "buy", &hi));
    CHECK(hi == 1);
    CHECK_OK(growth_ftrl_head_index(mh, "click", &hi));
    CHECK(hi == 0);
    CHECK_RC(growth_ftrl_head_index(mh, "cart", &hi), GROWTH_ENOTFOUND);
    CHECK(hi == 0); /* unchanged on failure */
    for (size_t i = 0; i < d.n; i++) {
        size_t s = d.indptr[i], e = d.indptr[i + 1];
        float lab[2] = {d.y[i], (i % 3 == 0) ? GROWTH_LABEL_MISSING : 1.0f - d.y[i]};
        float w = (i % 5 == 0) ? 2.0f : 1.0f;
        CHECK_OK(growth_ftrl_update(mh, d.idx + s, d.val + s, e - s, lab, w));
        CHECK_OK(growth_ftrl_update(m0, d.idx + s, d.val + s, e - s, &lab[0], w));
        if (lab[1] != GROWTH_LABEL_MISSING)
            CHECK_OK(growth_ftrl_update(m1, d.idx + s, d.val + s, e - s, &lab[1], w));
    }
    for (size_t i = 0; i < 200; i++) {
        size_t s = d.indptr[i], e = d.indptr[i + 1];
        float ph[2], p0, p1;
        CHECK_OK(growth_ftrl_predict(mh, d.idx + s, d.val + s, e - s, 0, ph, 2));
        CHECK_OK(growth_ftrl_predict(m0, d.idx + s, d.val + s, e - s, 0, &p0, 1));
        CHECK_OK(growth_ftrl_predict(m1, d.idx + s, d.val + s, e - s, 0, &p1, 1));
        CHECK(ph[0] == p0 && ph[1] == p1);
    }
    growth_ftrl_free(mh);
    growth_ftrl_free(m0);
    growth_ftrl_free(m1);
    free_data(&d);
}

TEST(test_l1_gives_sparsity)
{
    dataset d;
    make_data(&d, 10000, 16, 9);
    uint64_t nz[3];
    const char *cfgs[3] = {"bits=16 l1=0", "bits=16 l1=2", "bits=16 l1=20"};
    for (int c = 0; c < 3; c++) {
        growth_ftrl *m = NULL;
        CHECK_OK(growth_ftrl_create(&m, cfgs[c]));
        CHECK_OK(growth_ftrl_update_csr(m, d.indptr, d.idx, d.val, d.n, d.y, NULL, NULL, 0));
        nz[c] = stats_of(m).nonzero;
        CHECK(nz[c] == scan_nonzero(m));
        growth_ftrl_free(m);
    }
    CHECK(nz[0] > nz[1] && nz[1] > nz[2]);
    free_data(&d);
}

static void probe(const growth_ftrl *m, const dataset *d, float *out, size_t rows)
{
    CHECK_OK(growth_ftrl_predict_csr(m, d->indptr, d->idx, d->val, rows, 0, out,
                                     rows * (size_t)stats_of(m).heads));
}

TEST(test_save_load_and_warm_start)
{
    dataset d;
    make_data(&d, 8000, 15, 21);
    size_t half = d.n / 2;
    const char *cfg = "bits=15 heads=2 alpha=0.08 l1=0.3 l2=0.5 head_names=a|b";
    growth_ftrl *full = NULL, *first = NULL, *resumed = NULL;
    CHECK_OK(growth_ftrl_create(&full, cfg));
    CHECK_OK(growth_ftrl_create(&first, cfg));
    float *lab = malloc(d.n * 2 * sizeof *lab);
    for (size_t i = 0; i < d.n; i++) {
        lab[2 * i] = d.y[i];
        lab[2 * i + 1] = i % 2 ? d.y[i] : GROWTH_LABEL_MISSING;
    }
    CHECK_OK(growth_ftrl_update_csr(full, d.indptr, d.idx, d.val, d.n, lab, NULL, NULL, 0));
    CHECK_OK(growth_ftrl_update_csr(first, d.indptr, d.idx, d.val, half, lab, NULL, NULL, 0));
    char path[512];
    gt_path(path, sizeof path, "ftrl_state.model");
    CHECK_OK(growth_ftrl_save(first, path));
    int kind = 0;
    CHECK_OK(growth_model_kind(path, &kind, NULL));
    CHECK(kind == GROWTH_KIND_FTRL);
    CHECK_OK(growth_ftrl_load(&resumed, path));
    char c1[512], c2[512];
    CHECK_OK(growth_ftrl_config(first, c1, sizeof c1, NULL));
    CHECK_OK(growth_ftrl_config(resumed, c2, sizeof c2, NULL));
    CHECK(strcmp(c1, c2) == 0);
    size_t hb = 0;
    CHECK_OK(growth_ftrl_head_index(resumed, "b", &hb));
    CHECK(hb == 1);
    CHECK(stats_of(resumed).nonzero == stats_of(first).nonzero);
    CHECK(stats_of(resumed).nonzero == scan_nonzero(resumed));
    /* Continue training the loaded model on the second half: exactly the uninterrupted run. */
    uint64_t off = d.indptr[half];
    uint64_t *ip2 = malloc((d.n - half + 1) * sizeof *ip2);
    for (size_t i = half; i <= d.n; i++) ip2[i - half] = d.indptr[i] - off;
    CHECK_OK(growth_ftrl_update_csr(resumed, ip2, d.idx + off, d.val + off, d.n - half, lab + 2 * half, NULL,
                                    NULL, 0));
    float *pf = malloc(2000 * 2 * sizeof *pf), *pr = malloc(2000 * 2 * sizeof *pr);
    probe(full, &d, pf, 2000);
    probe(resumed, &d, pr, 2000);
    CHECK(memcmp(pf, pr, 2000 * 2 * sizeof *pf) == 0);
    uint64_t e1 = stats_of(full).examples, e2 = stats_of(resumed).examples;
    CHECK(e1 == e2 && e1 == d.n);
    CHECK(stats_of(resumed).nonzero == scan_nonzero(resumed));

    /* In-memory serialisation round trip. */
    uint8_t *buf = NULL;
    size_t len = 0;
    growth_ftrl *copy = NULL;
    CHECK_OK(growth_ftrl_serialize(full, &buf, &len));
    CHECK_OK(growth_ftrl_deserialize(&copy, buf, len));
    probe(copy, &d, pr, 2000);
    CHECK(memcmp(pf, pr, 2000 * 2 * sizeof *pf) == 0);
    /* Corrupt one payload byte: EFORMAT; truncate: EFORMAT. */
    buf[len / 2] ^= 1;
    growth_ftrl *bad = NULL;
    CHECK_RC(growth_ftrl_deserialize(&bad, buf, len), GROWTH_EFORMAT);
    buf[len / 2] ^= 1;
    CHECK_RC(growth_ftrl_deserialize(&bad, buf, len - 3), GROWTH_EFORMAT);
    CHECK(bad == NULL);
    growth_buffer_free(buf);

    /* Sparse weights export predicts the same probabilities and is smaller than the state. */
    char wpath[512];
    gt_path(wpath, sizeof wpath, "ftrl_weights.model");
    CHECK_OK(growth_ftrl_export_weights(full, wpath));
    CHECK_OK(growth_model_kind(wpath, &kind, NULL));
    CHECK(kind == GROWTH_KIND_FTRL_WEIGHTS);
    growth_ftrl *served = NULL;
    CHECK_OK(growth_ftrl_load(&served, wpath));
    probe(served, &d, pr, 2000);
    double maxdiff = 0;
    for (size_t i = 0; i < 4000; i++) maxdiff = fmax(maxdiff, fabs(pf[i] - pr[i]));
    CHECK(maxdiff < 1e-6);
    uint8_t *f1 = NULL, *f2 = NULL;
    size_t l1 = 0, l2 = 0;
    CHECK_OK(gfile_read_all("t", path, 1 << 30, &f1, &l1));
    CHECK_OK(gfile_read_all("t", wpath, 1 << 30, &f2, &l2));
    CHECK(l2 < l1);
    free(f1);
    free(f2);

    growth_ftrl_free(full);
    growth_ftrl_free(first);
    growth_ftrl_free(resumed);
    growth_ftrl_free(copy);
    growth_ftrl_free(served);
    free(lab);
    free(ip2);
    free(pf);
    free(pr);
    unlink(path);
    unlink(wpath);
    free_data(&d);
}

TEST(test_compact_precision)
{
    /* bfloat16 statistics with stochastic rounding: accuracy close to float32. */
    dataset d;
    make_data(&d, 40000, 16, 17);
    growth_ftrl *f = NULL, *c = NULL;
    CHECK_OK(growth_ftrl_create(&f, "bits=16 alpha=0.1"));
    CHECK_OK(growth_ftrl_create(&c, "bits=16 alpha=0.1 precision=compact seed=3"));
    float *pf = malloc(d.n * sizeof *pf), *pc = malloc(d.n * sizeof *pc);
    CHECK_OK(growth_ftrl_update_csr(f, d.indptr, d.idx, d.val, d.n, d.y, NULL, pf, d.n));
    CHECK_OK(growth_ftrl_update_csr(c, d.indptr, d.idx, d.val, d.n, d.y, NULL, pc, d.n));
    double llf = logloss_of(pf, d.y, d.n), llc = logloss_of(pc, d.y, d.n);
    CHECK(llc < llf * 1.01);
    /* Round trip of a compact model is exact. */
    uint8_t *buf = NULL;
    size_t len = 0;
    growth_ftrl *c2 = NULL;
    CHECK_OK(growth_ftrl_serialize(c, &buf, &len));
    CHECK_OK(growth_ftrl_deserialize(&c2, buf, len));
    probe(c, &d, pf, 1000);
    probe(c2, &d, pc, 1000);
    CHECK(memcmp(pf, pc, 1000 * sizeof *pf) == 0);
    growth_buffer_free(buf);
    growth_ftrl_free(f);
    growth_ftrl_free(c);
    growth_ftrl_free(c2);
    free(pf);
    free(pc);
    free_data(&d);
}

TEST(test_esmm)
{
    /* Bias-only funnel: CTR 0.2, CVR among clicks 0.3. ESMM training recovers both, and
     * growth_ftrl_esmm_predict composes pCTCVR = pCTR x pCVR. */
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=4 heads=2 alpha=0.5 l1=0 l2=0 head_names=ctr|cvr"));
    grng r;
    grng_seed(&r, 1);
    for (int i = 0; i < 200000; i++) {
        float click = grng_uniform(&r) < 0.2 ? 1.0f : 0.0f;
        float conv = click && grng_uniform(&r) < 0.3 ? 1.0f : 0.0f;
        CHECK_OK(growth_ftrl_esmm_update(m, 0, 1, NULL, NULL, 0, click, conv, 1.0f));
    }
    float out[3];
    CHECK_OK(growth_ftrl_esmm_predict(m, 0, m, 1, NULL, NULL, 0, out, 3));
    CHECK(stats_of(m).examples == 200000 && stats_of(m).nonzero == scan_nonzero(m));
    CHECK_NEAR(out[0], 0.2, 0.01);
    CHECK_NEAR(out[1], 0.3, 0.02);
    CHECK_NEAR(out[2], out[0] * out[1], 1e-7);
    /* Two models composed. */
    growth_ftrl *m2 = NULL;
    CHECK_OK(growth_ftrl_create(&m2, "bits=4"));
    float y1 = 1.0f;
    for (int i = 0; i < 50; i++) CHECK_OK(growth_ftrl_update(m2, NULL, NULL, 0, &y1, 1.0f));
    float p2;
    CHECK_OK(growth_ftrl_predict(m2, NULL, NULL, 0, 0, &p2, 1));
    CHECK_OK(growth_ftrl_esmm_predict(m, 0, m2, 0, NULL, NULL, 0, out, 3));
    CHECK(out[1] == p2);
    /* Bad input. */
    CHECK_RC(growth_ftrl_esmm_update(m, 0, 0, NULL, NULL, 0, 1, 1, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_esmm_update(m, 0, 2, NULL, NULL, 0, 1, 1, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_esmm_update(m, 0, 1, NULL, NULL, 0, 0, 1, 1), GROWTH_EINVAL);
    CHECK_MSG("without a click");
    CHECK_RC(growth_ftrl_esmm_update(m, 0, 1, NULL, NULL, 0, 0.5f, 0, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_esmm_predict(m, 0, m2, 1, NULL, NULL, 0, out, 3), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_esmm_predict(NULL, 0, m2, 0, NULL, NULL, 0, out, 3), GROWTH_EINVAL);
    /* A short output: EBUFS, nothing written. */
    float four[4] = {-7, -7, -7, -7};
    CHECK_RC(growth_ftrl_esmm_predict(m, 0, m, 1, NULL, NULL, 0, four, 2), GROWTH_EBUFS);
    CHECK(four[0] == -7 && four[1] == -7 && four[2] == -7);
    CHECK_OK(growth_ftrl_esmm_predict(m, 0, m, 1, NULL, NULL, 0, four, 4));
    CHECK(four[0] == out[0] && four[3] == -7);
    growth_ftrl_free(m);
    growth_ftrl_free(m2);
}

TEST(test_bad_input_leaves_model_unchanged)
{
    dataset d;
    make_data(&d, 2000, 12, 2);
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=12 heads=2"));
    float *lab = malloc(d.n * 2 * sizeof *lab);
    for (size_t i = 0; i < d.n * 2; i++) lab[i] = d.y[i / 2];
    CHECK_OK(growth_ftrl_update_csr(m, d.indptr, d.idx, d.val, d.n, lab, NULL, NULL, 0));
    float before[400], after[400];
    probe(m, &d, before, 200);
    growth_ftrl_stats st0 = stats_of(m);

    uint32_t idx[3] = {1, 2, 3};
    float val[3] = {1, 1, 1};
    float y2[2] = {1, 0};
    float p[2];
    /* Wrong configurations. */
    growth_ftrl *x = NULL;
    CHECK_RC(growth_ftrl_create(&x, "alpha=-1"), GROWTH_EINVAL);
    CHECK_MSG("'alpha'");
    CHECK_RC(growth_ftrl_create(&x, "bits=33"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&x, "heads=17"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&x, "heads=2 head_names=a"), GROWTH_EINVAL);
    CHECK_MSG("lists 1 names but heads=2");
    CHECK_RC(growth_ftrl_create(&x, "heads=2 head_names=a|a"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&x, "heads=1 head_names=a/b"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&x, "precision=double"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(&x, "learning_rate=1"), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_create(NULL, ""), GROWTH_EINVAL);
    CHECK(x == NULL);
    /* NaN / Inf values, out-of-range indices, bad labels and weights, NULLs, small buffers. */
    val[1] = NAN;
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, y2, 1), GROWTH_EINVAL);
    CHECK_MSG("val[1] is not finite");
    CHECK_RC(growth_ftrl_predict(m, idx, val, 3, 0, p, 2), GROWTH_EINVAL);
    val[1] = INFINITY;
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, y2, 1), GROWTH_EINVAL);
    val[1] = 1;
    idx[2] = 1u << 12;
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, y2, 1), GROWTH_EINVAL);
    CHECK_MSG("idx[2] = 4096 is not below 2^12");
    idx[2] = 3;
    y2[1] = 2;
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, y2, 1), GROWTH_EINVAL);
    CHECK_MSG("head 1: label 2");
    y2[1] = NAN;
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, y2, 1), GROWTH_EINVAL);
    y2[1] = 0;
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, y2, -1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, y2, NAN), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update(m, NULL, val, 3, y2, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update(m, idx, val, 3, NULL, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_update(NULL, idx, val, 3, y2, 1), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_predict(m, idx, val, 3, 0, p, 1), GROWTH_EBUFS);
    CHECK_RC(growth_ftrl_predict(m, idx, val, 3, 0, NULL, 2), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_predict(NULL, idx, val, 3, 0, p, 2), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_predict(m, idx, val, 3, 0x2u, p, 2), GROWTH_EINVAL);
    CHECK_MSG("flags");
    float w;
    CHECK_RC(growth_ftrl_weight(m, 2, 0, &w), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_weight(m, SIZE_MAX, 0, &w), GROWTH_EINVAL);
    CHECK_RC(growth_ftrl_weight(m, 0, 1u << 12, &w), GROWTH_EINVAL);
    /* A batch with one bad label in its last row changes nothing. */
    lab[2 * d.n - 1] = 0.5f;
    CHECK_RC(growth_ftrl_update_csr(m, d.indptr, d.idx, d.val, d.n, lab, NULL, NULL, 0), GROWTH_EINVAL);
    CHECK_MSG("row 1999");
    lab[2 * d.n - 1] = 0;
    float *wts = malloc(d.n * sizeof *wts);
    for (size_t i = 0; i < d.n; i++) wts[i] = 1;
    wts[d.n - 1] = -2;
    CHECK_RC(growth_ftrl_update_csr(m, d.indptr, d.idx, d.val, d.n, lab, wts, NULL, 0), GROWTH_EINVAL);
    free(wts);
    uint64_t bad_indptr[3] = {0, 5, 3};
    CHECK_RC(growth_ftrl_update_csr(m, bad_indptr, d.idx, d.val, 2, lab, NULL, NULL, 0), GROWTH_EINVAL);
    CHECK_MSG("indptr decreases");
    float small[3];
    CHECK_RC(growth_ftrl_update_csr(m, d.indptr, d.idx, d.val, 2, lab, NULL, small, 3), GROWTH_EBUFS);
    CHECK_RC(growth_ftrl_predict_csr(m, d.indptr, d.idx, d.val, 2, 0, small, 3), GROWTH_EBUFS);
    CHECK_RC(growth_ftrl_predict_csr(m, d.indptr, d.idx, d.val, 2, 0x100u, small, 4), GROWTH_EINVAL);

    probe(m, &d, after, 200);
    CHECK(memcmp(before, after, sizeof before) == 0);
    growth_ftrl_stats st1 = stats_of(m);
    CHECK(memcmp(&st0, &st1, sizeof st0) == 0);

    /* Files: wrong kind, corrupted, truncated, missing, not a model. */
    char path[512];
    gt_path(path, sizeof path, "ftrl_bad.model");
    CHECK_OK(genv_save("t", path, GROWTH_KIND_CALIBRATOR, "xyz", 3));
    CHECK_RC(growth_ftrl_load(&x, path), GROWTH_EFORMAT);
    CHECK_MSG("'calibrator'");
    CHECK_OK(genv_save("t", path, GROWTH_KIND_FTRL, "\xff\xff\xff", 3)); /* valid envelope, bad payload */
    CHECK_RC(growth_ftrl_load(&x, path), GROWTH_EFORMAT);
    CHECK_MSG("does not decode");
    CHECK_OK(growth_ftrl_save(m, path));
    uint8_t *good = NULL;
    size_t glen = 0;
    CHECK_OK(gfile_read_all("t", path, 1 << 30, &good, &glen));
    for (size_t cut = 0; cut < glen; cut += 1 + glen / 97) {
        CHECK_RC(growth_ftrl_deserialize(&x, good, cut), GROWTH_EFORMAT);
    }
    CHECK_RC(growth_ftrl_load(&x, "/nonexistent/ftrl.model"), GROWTH_EIO);
    CHECK_RC(growth_ftrl_load(&x, NULL), GROWTH_EINVAL);
    CHECK(x == NULL);
    free(good);
    unlink(path);
    growth_ftrl_free(m);
    free(lab);
    free_data(&d);
}

TEST(test_config_and_bias_off)
{
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=10 bias=false"));
    char buf[512];
    size_t need = 0;
    CHECK_OK(growth_ftrl_config(m, buf, sizeof buf, &need));
    CHECK(strcmp(buf,
                 "alpha=0.05 beta=1 l1=1 l2=1 bits=10 heads=1 head_names=\"\" bias=false "
                 "precision=float seed=0 max_memory=0 table=hashed admit=1 admit_prob=1 admit_sketch=4194304 "
                 "expire=0 expire_seconds=0 threads=1") == 0);
    CHECK_RC(growth_ftrl_config(m, buf, 10, &need), GROWTH_EBUFS);
    CHECK(need ==
          strlen("alpha=0.05 beta=1 l1=1 l2=1 bits=10 heads=1 head_names=\"\" bias=false "
                 "precision=float seed=0 max_memory=0 table=hashed admit=1 admit_prob=1 admit_sketch=4194304 "
                 "expire=0 expire_seconds=0 threads=1") +
              1);
    /* Without bias an empty row always predicts 0.5, whatever it learns. */
    float y = 1, p;
    for (int i = 0; i < 10; i++) CHECK_OK(growth_ftrl_update(m, NULL, NULL, 0, &y, 1));
    CHECK_OK(growth_ftrl_predict(m, NULL, NULL, 0, 0, &p, 1));
    CHECK(p == 0.5f);
    float w;
    CHECK_RC(growth_ftrl_weight(m, 0, UINT32_MAX, &w), GROWTH_EINVAL);
    growth_ftrl_free(m);
    /* The config string parses back into an identical model configuration. */
    CHECK_OK(growth_ftrl_create(&m, buf));
    growth_ftrl_free(m);
}

TEST(test_stats_struct)
{
    /* growth_ftrl_stats_get gives what the removed getters gave (heads, bits, the examples
     * count and a scan of the non-zero slots), in float and compact precision, after every kind
     * of training and after loading. */
    dataset d;
    make_data(&d, 3000, 12, 17);
    const char *cfgs[2] = {"bits=12 heads=3 l1=0.5", "bits=12 heads=3 l1=0.5 precision=compact"};
    for (int c = 0; c < 2; c++) {
        growth_ftrl *m = NULL;
        CHECK_OK(growth_ftrl_create(&m, cfgs[c]));
        growth_ftrl_stats st = stats_of(m);
        CHECK(st.struct_size == sizeof st && st.reserved == 0);
        CHECK(st.heads == 3 && st.bits == 12 && st.examples == 0 && st.nonzero == 0);
        float *lab = malloc(d.n * 3 * sizeof *lab);
        for (size_t i = 0; i < d.n; i++) {
            lab[3 * i] = d.y[i];
            lab[3 * i + 1] = i % 2 ? d.y[i] : GROWTH_LABEL_MISSING;
            lab[3 * i + 2] = GROWTH_LABEL_MISSING;
        }
        CHECK_OK(growth_ftrl_update_csr(m, d.indptr, d.idx, d.val, d.n, lab, NULL, NULL, 0));
        st = stats_of(m);
        CHECK(st.examples == d.n && st.nonzero > 0 && st.nonzero == scan_nonzero(m));
        /* A row repeating a slot, ESMM updates and single updates keep the counter exact. */
        uint32_t rep[4] = {5, 5, 9, 5};
        float y3[3] = {1, 0, 1};
        for (int i = 0; i < 30; i++) {
            CHECK_OK(growth_ftrl_update(m, rep, NULL, 4, y3, 1));
            CHECK_OK(growth_ftrl_esmm_update(m, 0, 2, rep, NULL, 3, 1, (float)(i % 2), 1));
        }
        st = stats_of(m);
        CHECK(st.examples == d.n + 60 && st.nonzero == scan_nonzero(m));
        /* Loaded copies (full state and weights only) count the same slots. */
        uint8_t *buf = NULL;
        size_t len = 0;
        growth_ftrl *copy = NULL;
        CHECK_OK(growth_ftrl_serialize(m, &buf, &len));
        CHECK_OK(growth_ftrl_deserialize(&copy, buf, len));
        growth_ftrl_stats sc = stats_of(copy);
        CHECK(memcmp(&sc, &st, sizeof st) == 0);
        growth_buffer_free(buf);
        growth_ftrl_free(copy);
        char path[512];
        gt_path(path, sizeof path, "ftrl_stats_weights.model");
        CHECK_OK(growth_ftrl_export_weights(m, path));
        CHECK_OK(growth_ftrl_load(&copy, path));
        sc = stats_of(copy);
        CHECK(sc.examples == st.examples && sc.nonzero == scan_nonzero(copy));
        growth_ftrl_free(copy);
        unlink(path);
        free(lab);

        /* The struct_size protocol. */
        growth_ftrl_stats z;
        memset(&z, 0, sizeof z);
        CHECK_RC(growth_ftrl_stats_get(m, &z), GROWTH_EINVAL);
        CHECK_MSG("struct_size");
        z.struct_size = (uint32_t)offsetof(growth_ftrl_stats, nonzero); /* one member short */
        CHECK_RC(growth_ftrl_stats_get(m, &z), GROWTH_EINVAL);
        CHECK(z.heads == 0);
        CHECK_RC(growth_ftrl_stats_get(NULL, &st), GROWTH_EINVAL);
        CHECK_MSG("growth_ftrl_stats_get");
        CHECK_RC(growth_ftrl_stats_get(m, NULL), GROWTH_EINVAL);
        /* A newer caller's larger struct: the known part is filled, the tail left alone. */
        struct {
            growth_ftrl_stats s;
            uint64_t tail[2];
        } big;
        memset(&big, 0, sizeof big);
        big.s.struct_size = (uint32_t)sizeof big;
        big.tail[1] = 77;
        CHECK_OK(growth_ftrl_stats_get(m, &big.s));
        CHECK(big.s.struct_size == sizeof big && big.s.heads == 3 && big.s.nonzero == st.nonzero);
        CHECK(big.tail[0] == 0 && big.tail[1] == 77);
        growth_ftrl_free(m);
    }
    free_data(&d);
}

TEST(test_margin_flag)
{
    /* GROWTH_PREDICT_MARGIN gives the logit of the probability (the removed growth_ftrl_margin),
     * for one row and for CSR batches. */
    dataset d;
    make_data(&d, 4000, 14, 23);
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=14 heads=2 alpha=0.1"));
    float *lab = malloc(d.n * 2 * sizeof *lab);
    for (size_t i = 0; i < d.n; i++) {
        lab[2 * i] = d.y[i];
        lab[2 * i + 1] = 1 - d.y[i];
    }
    CHECK_OK(growth_ftrl_update_csr(m, d.indptr, d.idx, d.val, d.n, lab, NULL, NULL, 0));
    enum { R = 300 };
    float *pb = malloc(R * 2 * sizeof *pb), *mb = malloc(R * 2 * sizeof *mb);
    CHECK_OK(growth_ftrl_predict_csr(m, d.indptr, d.idx, d.val, R, 0, pb, R * 2));
    CHECK_OK(growth_ftrl_predict_csr(m, d.indptr, d.idx, d.val, R, GROWTH_PREDICT_MARGIN, mb, R * 2));
    double maxdiff = 0;
    for (size_t i = 0; i < R; i++) {
        size_t s = d.indptr[i], e = d.indptr[i + 1];
        float p[2], mg[2];
        CHECK_OK(growth_ftrl_predict(m, d.idx + s, d.val + s, e - s, 0, p, 2));
        CHECK_OK(growth_ftrl_predict(m, d.idx + s, d.val + s, e - s, GROWTH_PREDICT_MARGIN, mg, 2));
        for (int h = 0; h < 2; h++) {
            CHECK(p[h] == pb[i * 2 + h] && mg[h] == mb[i * 2 + h]);
            CHECK(p[h] == 1.0f / (1.0f + expf(-mg[h])));
            double logit = log((double)p[h] / (1.0 - (double)p[h]));
            if (fabs(logit - mg[h]) > maxdiff) maxdiff = fabs(logit - mg[h]);
        }
    }
    CHECK(maxdiff < 1e-3);
    /* Unknown flags are refused, by both calls, before anything is written. */
    float keep[2] = {-3, -3};
    CHECK_RC(growth_ftrl_predict(m, d.idx, d.val, 2, GROWTH_PREDICT_MARGIN | 0x100u, keep, 2), GROWTH_EINVAL);
    CHECK(keep[0] == -3 && keep[1] == -3);
    CHECK_RC(growth_ftrl_predict_csr(m, d.indptr, d.idx, d.val, 0, 0x80u, keep, 2), GROWTH_EINVAL);
    free(pb);
    free(mb);
    free(lab);
    growth_ftrl_free(m);
    free_data(&d);
}

/* A stored configuration whose keys each parse but do not go together (admission or expiry
 * keys on the hashed table, more head names than heads: ftrl_new's checks) is a damaged file,
 * EFORMAT, not the EINVAL growth_ftrl_create gives a caller; in the state and the weights
 * format alike (unpack_state, unpack_weights). */
TEST(test_stored_config_cross_keys)
{
    growth_ftrl *a = NULL;
    CHECK_OK(growth_ftrl_create(&a, "bits=12 heads=2"));
    const uint32_t idx[3] = {1, 7, 300};
    const float val[3] = {1, 1, 1}, lab[2] = {1, 0};
    CHECK_OK(growth_ftrl_update(a, idx, val, 3, lab, 1));
    uint8_t *env[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    CHECK_OK(growth_ftrl_serialize(a, &env[0], &len[0]));
    char wpath[512];
    gt_path(wpath, sizeof wpath, "ftrl_cross_keys.model");
    CHECK_OK(growth_ftrl_export_weights(a, wpath));
    CHECK_OK(gfile_read_all("t", wpath, 1 << 30, &env[1], &len[1]));
    /* the state (serialize) and the weights (export) format */
    const ProtobufCMessageDescriptor *desc[2] = {&growth__ftrl_state__descriptor,
                                                 &growth__ftrl_weights__descriptor};
    for (int w = 0; w < 2; w++) { /* the unchanged configuration re-packed still loads */
        uint8_t *out = NULL;
        size_t olen = 0;
        growth_ftrl *b = NULL;
        CHECK_OK(gt_with_config(env[w], len[w], desc[w], "bits=12 heads=2", &out, &olen));
        CHECK_OK(growth_ftrl_deserialize(&b, out, olen));
        growth_ftrl_free(b);
        free(out);
    }
    static const char *const bad[] = {"bits=12 heads=2 admit=2", "bits=12 heads=2 expire=100",
                                      "bits=12 heads=2 head_names=a|b|c"};
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        growth_ftrl *c = NULL;
        CHECK_RC(growth_ftrl_create(&c, bad[t]), GROWTH_EINVAL); /* as a caller's configuration */
        for (int w = 0; w < 2; w++) {
            uint8_t *out = NULL;
            size_t olen = 0;
            CHECK_OK(gt_with_config(env[w], len[w], desc[w], bad[t], &out, &olen));
            growth_ftrl *b = NULL;
            CHECK_RC(growth_ftrl_deserialize(&b, out, olen), GROWTH_EFORMAT);
            CHECK_MSG("config key");
            /* the loader's name once, not again in front of the cause */
            CHECK(strstr(growth_last_error(), "deserialize: growth_ftrl_deserialize") == NULL);
            CHECK(b == NULL);
            free(out);
        }
    }
    growth_buffer_free(env[0]);
    free(env[1]);
    unlink(wpath);
    growth_ftrl_free(a);
}

int main(void)
{
    RUN(test_matches_reference_algorithm);
    RUN(test_learns_and_batch_equals_sequential);
    RUN(test_heads_equal_separate_models_and_weights);
    RUN(test_l1_gives_sparsity);
    RUN(test_save_load_and_warm_start);
    RUN(test_compact_precision);
    RUN(test_esmm);
    RUN(test_bad_input_leaves_model_unchanged);
    RUN(test_config_and_bias_off);
    RUN(test_stats_struct);
    RUN(test_margin_flag);
    RUN(test_stored_config_cross_keys);
    return GT_SUMMARY();
}
