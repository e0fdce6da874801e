#define _POSIX_C_SOURCE 200809L
/* growth demo: an end-to-end campaign on built-in simulated data, through the public API only.
 *
 * Today it runs the CTR/CVR part of the loop: a simulated population of users and items with
 * hidden click and purchase propensities, an impression log hashed into sparse rows, FTRL with
 * a click head and a purchase head trained online (progressive validation), ESMM composition,
 * and the metrics report; then the CVR forest and calibration, coupon bandits, budgets, and
 * an uplift-valued red-packet campaign, and candidate recall over item titles (demo_steps.c,
 * demo_uplift.c, demo_recall.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <growth/growth.h>

#include "cli.h"
#include "demo.h"

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

const char *demo_report_dir;
static FILE *demo_summary;

int demo_out(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vprintf(fmt, ap);
    if (demo_summary) vfprintf(demo_summary, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    return n;
}

FILE *demo_report_open(const char *name)
{
    if (!demo_report_dir) return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", demo_report_dir, name);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "growth demo: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

/* Renders the report's figures and HTML page with Debian's Python (python3 -m growth.report). */
static void demo_render_report(const char *dir)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/usr/bin/python3", "python3", "-m", "growth.report", dir, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr,
                "growth demo: the CSV data is in %s; to draw the figures run\n"
                "  PYTHONPATH=<libgrowth>/bindings/python /usr/bin/python3 -m growth.report %s\n",
                dir, dir);
}

static double demo_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    long rows;
    long users, items;
    uint64_t seed;
    int bits;
    const char *save;
    const char *report;
    int quiet;
} demo_opts;

static void demo_usage(FILE *f)
{
    fprintf(f, "usage: growth demo [--rows N] [--users N] [--items N] [--seed S] [--bits B]\n"
               "                   [--save PATH] [--report DIR] [--quiet]\n\n"
               "Simulates an e-commerce impression log with hidden click and purchase\n"
               "propensities (and a latent user x item affinity), trains a two-head FTRL model\n"
               "(click, purchase) and a field-aware FM whose click and purchase heads share\n"
               "latent factors (ESMM) online, composes pCTCVR = pCTR x pCVR and prints AUC,\n"
               "GAUC, logloss, normalised entropy\n"
               "and calibration ratio; then a calibrated GBDT CVR model, coupon bandits (per\n"
               "coupon, and a shared logistic TS over user segment x coupon crosses),\n"
               "budgets, an uplift model of a randomised red-packet campaign spending the\n"
               "budget on the users a packet changes, and candidate recall over item titles\n"
               "(BM25, title vectors, fused)\n"
               "with recall@20 against the simulator's truth. Defaults: --rows 400000\n"
               "--users 20000 --items 3000 "
               "--seed 1 --bits 22. --report DIR also writes the demo's data (CSV), figures\n"
               "(PNG, drawn by python3 -m growth.report) and an HTML page into DIR.\n");
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int demo_parse(int argc, char **argv, demo_opts *o)
{
    o->rows = 400000;
    o->users = 20000;
    o->items = 3000;
    o->seed = 1;
    o->bits = 22;
    o->save = NULL;
    o->report = NULL;
    o->quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            demo_usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "growth demo: %s needs a value\n", a);
            return -1;
        }
        const char *val = argv[++i];
        if (!strcmp(a, "--rows") && !parse_long(val, 1000, 100000000, &v))
            o->rows = v;
        else if (!strcmp(a, "--users") && !parse_long(val, 10, 100000000, &v))
            o->users = v;
        else if (!strcmp(a, "--items") && !parse_long(val, 10, 100000000, &v))
            o->items = v;
        else if (!strcmp(a, "--seed") && !parse_long(val, 0, 2147483647L, &v))
            o->seed = (uint64_t)v;
        else if (!strcmp(a, "--bits") && !parse_long(val, 10, 30, &v))
            o->bits = (int)v;
        else if (!strcmp(a, "--save"))
            o->save = val;
        else if (!strcmp(a, "--report"))
            o->report = val;
        else {
            fprintf(stderr, "growth demo: bad option or value: %s %s\n", a, val);
            return -1;
        }
    }
    return 0;
}

/* Fields of the impression log, in the order the FFM numbers them. */
enum { DEMO_FIELDS = 8 };
static const char *const DEMO_FIELD_NAMES[DEMO_FIELDS] = {
    "user_id", "item_id", "user_city", "item_cat", "hour", "log_price", "user_persona", "item_brand"};

static const char *CITIES[] = {"hangzhou", "shanghai", "beijing", "shenzhen",
                               "chengdu",  "wuhan",    "xian",    "nanjing"};
static const char *CATS[] = {"shoes", "dress", "phone",  "snacks", "beauty",
                             "toys",  "home",  "sports", "books",  "tea"};
enum { NCITY = DEMO_NCITY, NCAT = DEMO_NCAT };

int cli_demo(int argc, char **argv)
{
    demo_opts o;
    int pr = demo_parse(argc, argv, &o);
    if (pr > 0) return CLI_EXIT_OK;
    if (pr < 0) {
        demo_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    double t0 = demo_seconds();
    if (o.report) {
        if (mkdir(o.report, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "growth demo: cannot create %s: %s\n", o.report, strerror(errno));
            return CLI_EXIT_FAILED;
        }
        demo_report_dir = o.report;
        demo_summary = demo_report_open("summary.txt");
        if (!demo_summary) return CLI_EXIT_FAILED;
    }
    demo_rng r = {o.seed * 0x2545f4914f6cdd1dULL + 7};

    /* Hidden world: per-user and per-item affinities, city x category tastes, price effects. */
    double *u_click = malloc((size_t)o.users * sizeof(double)),
           *u_buy = malloc((size_t)o.users * sizeof(double));
    int *u_city = malloc((size_t)o.users * sizeof(int));
    double *i_click = malloc((size_t)o.items * sizeof(double)),
           *i_buy = malloc((size_t)o.items * sizeof(double));
    double *i_price = malloc((size_t)o.items * sizeof(double));
    int *i_cat = malloc((size_t)o.items * sizeof(int));
    double *u_vec = malloc((size_t)o.users * DEMO_LATENT * sizeof(double)),
           *i_vec = malloc((size_t)o.items * DEMO_LATENT * sizeof(double));
    double taste[NCITY][NCAT];
    if (!u_click || !u_buy || !u_city || !i_click || !i_buy || !i_price || !i_cat || !u_vec || !i_vec) {
        fprintf(stderr, "growth demo: out of memory\n");
        return CLI_EXIT_FAILED;
    }
    for (long u = 0; u < o.users; u++) {
        u_click[u] = 0.6 * demo_norm(&r);
        u_buy[u] = 0.6 * demo_norm(&r);
        u_city[u] = (int)(demo_next(&r) % NCITY);
    }
    for (long i = 0; i < o.items; i++) {
        i_click[i] = 0.5 * demo_norm(&r);
        i_buy[i] = 0.5 * demo_norm(&r);
        i_cat[i] = (int)(demo_next(&r) % NCAT);
        i_price[i] = exp(2.5 + 1.0 * demo_norm(&r));
    }
    for (int c = 0; c < NCITY; c++)
        for (int k = 0; k < NCAT; k++) taste[c][k] = 0.7 * demo_norm(&r);
    /* Latent tastes come from a user's persona and an item's brand, which the log records as
     * fields: the linear heads see each alone, the field-aware FM can learn how they combine. */
    double p_vec[DEMO_NPERSONA][DEMO_LATENT], b_vec[DEMO_NBRAND][DEMO_LATENT];
    for (int q = 0; q < DEMO_NPERSONA; q++)
        for (int d = 0; d < DEMO_LATENT; d++) p_vec[q][d] = 0.75 * demo_norm(&r);
    for (int q = 0; q < DEMO_NBRAND; q++)
        for (int d = 0; d < DEMO_LATENT; d++) b_vec[q][d] = 0.75 * demo_norm(&r);
    for (long u = 0; u < o.users; u++)
        memcpy(u_vec + u * DEMO_LATENT, p_vec[demo_persona(u)], sizeof p_vec[0]);
    for (long i = 0; i < o.items; i++) memcpy(i_vec + i * DEMO_LATENT, b_vec[demo_brand(i)], sizeof b_vec[0]);
    demo_world w = {o.users, o.items, u_click, u_buy, i_click, i_buy, i_price,
                    u_city,  i_cat,   {{0}},   u_vec, i_vec,   0};
    memcpy(w.taste, taste, sizeof taste);

    growth_ftrl *m = NULL;
    char cfg[256];
    snprintf(cfg, sizeof cfg, "alpha=0.1 beta=1 l1=0.5 l2=1 bits=%d heads=2 head_names=click|purchase",
             o.bits);
    int rc = growth_ftrl_create(&m, cfg);
    if (rc) return cli_fail("demo: create FTRL", rc);
    /* The field-aware FM sees the same slots, with each feature's field: its click and
     * purchase heads share the latent factors and train the ESMM way. */
    growth_fm *fm = NULL;
    const int ffm_bits = o.bits < 18 ? o.bits : 18; /* 2^18 slots x 6 fields x k=4: 48 MiB of factors */
    snprintf(cfg, sizeof cfg,
             "model=ffm fields=%d k=4 bits=%d heads=2 head_names=click|purchase eta=0.1 normalize=false "
             "alpha=0.1 l1=0.5",
             DEMO_FIELDS, ffm_bits);
    if ((rc = growth_fm_create(&fm, cfg))) return cli_fail("demo: create FFM", rc);
    growth_row *row = NULL;
    snprintf(cfg, sizeof cfg, "bits=%d seed=0", o.bits);
    if ((rc = growth_row_create(&row, cfg))) return cli_fail("demo: create row", rc);
    if ((rc = growth_row_set_fields(row, DEMO_FIELD_NAMES, DEMO_FIELDS)))
        return cli_fail("demo: row fields", rc);

    size_t n = (size_t)o.rows;
    float *p_click = malloc(n * sizeof(float)), *y_click = malloc(n * sizeof(float));
    float *p_ctcvr = malloc(n * sizeof(float)), *y_buy = malloc(n * sizeof(float));
    int64_t *uid = malloc(n * sizeof(int64_t));
    float *p_buy_clicked = malloc(n * sizeof(float)), *y_buy_clicked = malloc(n * sizeof(float));
    float *p_oracle = malloc(n * sizeof(float));
    float *f_click = malloc(n * sizeof(float)), *f_ctcvr = malloc(n * sizeof(float));
    float *f_buy_clicked = malloc(n * sizeof(float));
    if (!p_oracle || !p_click || !y_click || !p_ctcvr || !y_buy || !uid || !p_buy_clicked || !y_buy_clicked ||
        !f_click || !f_ctcvr || !f_buy_clicked) {
        fprintf(stderr, "growth demo: out of memory\n");
        return CLI_EXIT_FAILED;
    }
    size_t nclicked = 0;
    if (!o.quiet)
        fprintf(stderr, "demo: %ld impressions, %ld users, %ld items, 2^%d slots, seed %llu\n", o.rows,
                o.users, o.items, o.bits, (unsigned long long)o.seed);
    char ubuf[32], ibuf[32], hbuf[8], pbuf[16], bbuf[16];
    for (size_t t = 0; t < n; t++) {
        /* Zipf-ish traffic: heavy users and popular items appear more. */
        double a = demo_unif(&r), b = demo_unif(&r);
        long u = (long)(o.users * a * a), i = (long)(o.items * b * b);
        int hour = (int)(demo_next(&r) % 24);
        double price = i_price[i];
        double mc = demo_click_margin(&w, u, i, hour);
        double mb = demo_buy_margin(&w, u, i);
        float click = demo_unif(&r) < sigm(mc) ? 1.0f : 0.0f;
        float buy = click && demo_unif(&r) < sigm(mb) ? 1.0f : 0.0f;

        growth_row_clear(row);
        snprintf(ubuf, sizeof ubuf, "%ld", u);
        snprintf(ibuf, sizeof ibuf, "%ld", i);
        snprintf(hbuf, sizeof hbuf, "%d", hour);
        growth_row_add_cat(row, "user_id", ubuf);
        growth_row_add_cat(row, "item_id", ibuf);
        growth_row_add_cat(row, "user_city", CITIES[u_city[u]]);
        growth_row_add_cat(row, "item_cat", CATS[i_cat[i]]);
        growth_row_add_cat(row, "hour", hbuf);
        snprintf(pbuf, sizeof pbuf, "p%d", demo_persona(u));
        growth_row_add_cat(row, "user_persona", pbuf);
        snprintf(bbuf, sizeof bbuf, "b%d", demo_brand(i));
        growth_row_add_cat(row, "item_brand", bbuf);
        const char *cf[2] = {"user_city", "item_cat"}, *cv[2] = {CITIES[u_city[u]], CATS[i_cat[i]]};
        growth_row_add_cross(row, cf, cv, 2);
        growth_row_add_num(row, "log_price", (float)(log(price) / 5.0));

        const uint32_t *idx = growth_row_indices(row);
        const float *val = growth_row_values(row);
        size_t nnz = growth_row_size(row);
        /* Progressive validation: predict, then learn. The purchase head learns pCVR from
         * clicked impressions only (its label is missing otherwise). */
        float esmm[3];
        rc = growth_ftrl_esmm_predict(m, 0, m, 1, idx, val, nnz, esmm, 3);
        if (rc) return cli_fail("demo: esmm predict", rc);
        float labels[2] = {click, click ? buy : GROWTH_LABEL_MISSING};
        rc = growth_ftrl_update(m, idx, val, nnz, labels, 1.0f);
        if (rc) return cli_fail("demo: update", rc);
        /* The FFM's table is smaller: a slot at fewer bits is the high bits of the same hash. */
        const uint8_t *fld = growth_row_fields(row);
        uint32_t fidx[16];
        for (size_t k = 0; k < nnz && k < 16; k++) fidx[k] = idx[k] >> (o.bits - ffm_bits);
        float fesmm[3];
        rc = growth_fm_esmm_predict(fm, 0, 1, fidx, fld, val, nnz, fesmm, 3);
        if (!rc) rc = growth_fm_esmm_update(fm, 0, 1, fidx, fld, val, nnz, click, buy, 1.0f);
        if (rc) return cli_fail("demo: FFM", rc);
        f_click[t] = fesmm[0];
        f_ctcvr[t] = fesmm[2];
        p_click[t] = esmm[0];
        p_oracle[t] = (float)sigm(mc);
        y_click[t] = click;
        p_ctcvr[t] = esmm[2];
        y_buy[t] = buy;
        uid[t] = u;
        if (click) {
            f_buy_clicked[nclicked] = fesmm[1];
            p_buy_clicked[nclicked] = esmm[1];
            y_buy_clicked[nclicked] = buy;
            nclicked++;
        }
        if (!o.quiet && (t + 1) % (n / 10) == 0)
            fprintf(stderr, "\rdemo: trained %3d%%", (int)((t + 1) * 100 / n));
    }
    if (!o.quiet) fprintf(stderr, "\n");

    /* Report on the second half (after warm-up), as progressive validation. */
    size_t h = n / 2;
    double auc_o = NAN, ll_o = NAN;
    growth_metrics_auc(p_oracle + h, y_click + h, NULL, n - h, &auc_o);
    growth_metrics_logloss(p_oracle + h, y_click + h, NULL, n - h, &ll_o);
    double auc_c, gauc_c, ll_c, ne_c, pcoc_c, auc_v = NAN, ll_v = NAN, auc_ctcvr = NAN, ll_ctcvr = NAN;
    size_t groups = 0;
    if ((rc = growth_metrics_auc(p_click + h, y_click + h, NULL, n - h, &auc_c)) ||
        (rc = growth_metrics_gauc(p_click + h, y_click + h, NULL, uid + h, n - h, &gauc_c, &groups)) ||
        (rc = growth_metrics_logloss(p_click + h, y_click + h, NULL, n - h, &ll_c)) ||
        (rc = growth_metrics_normalized_entropy(p_click + h, y_click + h, NULL, n - h, &ne_c)) ||
        (rc = growth_metrics_pcoc(p_click + h, y_click + h, NULL, n - h, &pcoc_c)))
        return cli_fail("demo: metrics", rc);
    size_t hc = nclicked / 2;
    if (nclicked > 100) {
        growth_metrics_auc(p_buy_clicked + hc, y_buy_clicked + hc, NULL, nclicked - hc, &auc_v);
        growth_metrics_logloss(p_buy_clicked + hc, y_buy_clicked + hc, NULL, nclicked - hc, &ll_v);
    }
    growth_metrics_auc(p_ctcvr + h, y_buy + h, NULL, n - h, &auc_ctcvr);
    growth_metrics_logloss(p_ctcvr + h, y_buy + h, NULL, n - h, &ll_ctcvr);
    double fauc_c = NAN, fll_c = NAN, fauc_v = NAN, fll_v = NAN, fauc_ctcvr = NAN, fll_ctcvr = NAN;
    growth_metrics_auc(f_click + h, y_click + h, NULL, n - h, &fauc_c);
    growth_metrics_logloss(f_click + h, y_click + h, NULL, n - h, &fll_c);
    if (nclicked > 100) {
        growth_metrics_auc(f_buy_clicked + hc, y_buy_clicked + hc, NULL, nclicked - hc, &fauc_v);
        growth_metrics_logloss(f_buy_clicked + hc, y_buy_clicked + hc, NULL, nclicked - hc, &fll_v);
    }
    growth_metrics_auc(f_ctcvr + h, y_buy + h, NULL, n - h, &fauc_ctcvr);
    growth_metrics_logloss(f_ctcvr + h, y_buy + h, NULL, n - h, &fll_ctcvr);
    growth_fm_stats fst = GROWTH_FM_STATS_INIT;
    growth_fm_stats_get(fm, &fst);
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
    growth_ftrl_stats_get(m, &st);
    uint64_t examples = st.examples, nonzero = st.nonzero;

    demo_out("libgrowth %s demo — progressive validation on the second half of %zu impressions\n",
             growth_version(), n);
    demo_out("  %-26s %8s %8s %8s %8s %8s\n", "model", "AUC", "GAUC", "logloss", "NE", "PCOC");
    demo_out("  %-26s %8.4f %8.4f %8.4f %8.4f %8.4f\n", "pCTR (FTRL click head)", auc_c, gauc_c, ll_c, ne_c,
             pcoc_c);
    demo_out("  %-26s %8.4f %8s %8.4f %8s %8s\n", "oracle pCTR (true rates)", auc_o, "-", ll_o, "-", "-");
    demo_out("  %-26s %8.4f %8s %8.4f %8s %8s\n", "pCVR (purchase | click)", auc_v, "-", ll_v, "-", "-");
    demo_out("  %-26s %8.4f %8s %8.4f %8s %8s\n", "pCTCVR = pCTR x pCVR", auc_ctcvr, "-", ll_ctcvr, "-", "-");
    demo_out("  %-26s %8.4f %8s %8.4f %8s %8s\n", "pCTR (FFM click head)", fauc_c, "-", fll_c, "-", "-");
    demo_out("  %-26s %8.4f %8s %8.4f %8s %8s\n", "pCVR (FFM, ESMM, shared)", fauc_v, "-", fll_v, "-", "-");
    demo_out("  %-26s %8.4f %8s %8.4f %8s %8s\n", "pCTCVR (FFM heads)", fauc_ctcvr, "-", fll_ctcvr, "-", "-");
    demo_out("  GAUC over %zu users; %llu examples; %llu non-zero slots of 2^%d\n", groups,
             (unsigned long long)examples, (unsigned long long)nonzero, o.bits);
    demo_out("  FFM: %d fields, k=4, heads click|purchase sharing factors; %llu slots touched, %llu bytes "
             "of state per slot\n",
             DEMO_FIELDS, (unsigned long long)fst.touched, (unsigned long long)fst.bytes_per_slot);
    if (o.save) {
        rc = growth_ftrl_export_weights(m, o.save);
        if (rc) return cli_fail("demo: save", rc);
        demo_out("  weights saved to %s (inspect with: growth inspect %s)\n", o.save, o.save);
    }

    int src;
    if (!o.quiet) fprintf(stderr, "demo: CVR forest and calibration...\n");
    if ((src = demo_cvr_and_calibration(&w, &r, o.quiet))) return src;
    if (!o.quiet) fprintf(stderr, "demo: coupon bandits...\n");
    if ((src = demo_bandit(&w, &r, o.quiet))) return src;
    if (!o.quiet) fprintf(stderr, "demo: budgets...\n");
    if ((src = demo_budget(&w, &r, o.quiet))) return src;
    if (!o.quiet) fprintf(stderr, "demo: uplift campaign...\n");
    if ((src = demo_uplift(&r, o.quiet))) return src;
    if (!o.quiet) fprintf(stderr, "demo: item titles and recall (BM25, vectors, fused)...\n");
    if ((src = demo_recall(&w, &r, o.quiet))) return src;
    demo_out("\ndemo finished in %.1f s\n", demo_seconds() - t0);
    if (demo_summary) {
        fclose(demo_summary);
        demo_summary = NULL;
        demo_render_report(o.report);
    }

    growth_row_free(row);
    growth_ftrl_free(m);
    growth_fm_free(fm);
    free(u_vec);
    free(i_vec);
    free(f_click);
    free(f_ctcvr);
    free(f_buy_clicked);
    free(u_click);
    free(u_buy);
    free(u_city);
    free(i_click);
    free(i_buy);
    free(i_price);
    free(i_cat);
    free(p_click);
    free(y_click);
    free(p_ctcvr);
    free(y_buy);
    free(uid);
    free(p_buy_clicked);
    free(y_buy_clicked);
    free(p_oracle);
    return CLI_EXIT_OK;
}
