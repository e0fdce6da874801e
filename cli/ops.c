/* Operator sub-commands on plain CSV input: eval, calibrate, budget knapsack, budget channels.
 * Public API only. Exit codes: 0 ok, 1 the operation failed, 2 usage or input error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "cli.h"
#include "csv.h"

/* ---- small option helpers ---------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char **value;
} opt_str;

/* Parses "--name value" pairs into `opts`; the one positional argument goes to *file.
 * Returns 0, 1 for --help, -1 on error (message printed). */
static int parse_opts(const char *cmd, int argc, char **argv, opt_str *opts, size_t nopts, const char **file)
{
    *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
        if (strncmp(argv[i], "--", 2) == 0) {
            size_t k = 0;
            while (k < nopts && strcmp(opts[k].name, argv[i]) != 0) k++;
            if (k == nopts) {
                fprintf(stderr, "growth %s: unknown option %s\n", cmd, argv[i]);
                return -1;
            }
            if (i + 1 >= argc) {
                fprintf(stderr, "growth %s: %s needs a value\n", cmd, argv[i]);
                return -1;
            }
            *opts[k].value = argv[++i];
        } else if (!*file) {
            *file = argv[i];
        } else {
            fprintf(stderr, "growth %s: unexpected argument '%s'\n", cmd, argv[i]);
            return -1;
        }
    }
    if (!*file) {
        fprintf(stderr, "growth %s: missing input FILE (use - for standard input)\n", cmd);
        return -1;
    }
    return 0;
}

static int parse_double_opt(const char *cmd, const char *name, const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (!s[0] || *end || !isfinite(v)) {
        fprintf(stderr, "growth %s: %s: '%s' is not a finite number\n", cmd, name, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Reads a numeric column into a float array (malloc'ed). */
static float *read_col_f(const csv_table *t, int col)
{
    float *v = malloc((t->nrows ? t->nrows : 1) * sizeof *v);
    if (!v) return NULL;
    for (size_t r = 0; r < t->nrows; r++) {
        double d;
        if (csv_num(t, r, col, &d)) {
            free(v);
            return NULL;
        }
        v[r] = (float)d;
    }
    return v;
}

/* ---- growth eval ------------------------------------------------------------------------- */

static void eval_usage(FILE *f)
{
    fprintf(f, "usage: growth eval FILE [--score COL] [--label COL] [--group COL] [--weight COL]\n\n"
               "Judges a score file (CSV with a header): AUC, GAUC (with --group), logloss,\n"
               "normalised entropy, PCOC and ECE for probability scores, AUC alone otherwise.\n"
               "Defaults: --score score --label label.\n");
}

static void print_metrics(const char *title, const float *p, const float *y, const float *w, const int64_t *g,
                          size_t n)
{
    double auc = NAN, gauc = NAN, ll = NAN, ne = NAN, pcoc = NAN, ece = NAN;
    size_t groups = 0;
    int prob = 1;
    for (size_t i = 0; i < n; i++) prob &= p[i] >= 0.0f && p[i] <= 1.0f;
    growth_metrics_auc(p, y, w, n, &auc);
    if (g) growth_metrics_gauc(p, y, w, g, n, &gauc, &groups);
    if (prob) {
        growth_metrics_logloss(p, y, w, n, &ll);
        growth_metrics_normalized_entropy(p, y, w, n, &ne);
        growth_metrics_pcoc(p, y, w, n, &pcoc);
        growth_metrics_ece(p, y, w, n, "bins=20 binning=uniform", &ece);
    }
    printf("%-22s AUC %.5f", title, auc);
    if (g) printf("  GAUC %.5f (%zu groups)", gauc, groups);
    if (prob) printf("  logloss %.5f  NE %.5f  PCOC %.4f  ECE %.5f", ll, ne, pcoc, ece);
    printf("\n");
}

int cli_eval(int argc, char **argv)
{
    const char *file, *score = "score", *label = "label", *group = NULL, *weight = NULL;
    opt_str opts[] = {{"--score", &score}, {"--label", &label}, {"--group", &group}, {"--weight", &weight}};
    int pr = parse_opts("eval", argc, argv, opts, 4, &file);
    if (pr > 0) {
        eval_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (pr < 0) {
        eval_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    csv_table t;
    if (csv_load(file, &t)) return CLI_EXIT_USAGE;
    int rc = CLI_EXIT_USAGE;
    float *p = NULL, *y = NULL, *w = NULL;
    int64_t *g = NULL;
    int cs = csv_col(&t, score), cl = csv_col(&t, label);
    int cg = group ? csv_col(&t, group) : -2, cw = weight ? csv_col(&t, weight) : -2;
    if (cs < 0 || cl < 0 || cg == -1 || cw == -1) goto done;
    if (!(p = read_col_f(&t, cs)) || !(y = read_col_f(&t, cl))) goto done;
    if (cw >= 0 && !(w = read_col_f(&t, cw))) goto done;
    if (cg >= 0) {
        /* Group ids may be any strings: hash them. */
        g = malloc((t.nrows ? t.nrows : 1) * sizeof *g);
        if (!g) goto done;
        for (size_t r = 0; r < t.nrows; r++) {
            const char *s = csv_cell(&t, r, cg);
            g[r] = (int64_t)growth_hash64(s, strlen(s), 0);
        }
    }
    double probe;
    int status = growth_metrics_auc(p, y, w, t.nrows, &probe);
    if (status != GROWTH_OK) {
        rc = cli_fail("eval", status);
        goto done;
    }
    printf("%s: %zu rows\n", file, t.nrows);
    print_metrics("scores", p, y, w, g, t.nrows);
    rc = CLI_EXIT_OK;
done:
    free(p);
    free(y);
    free(w);
    free(g);
    csv_free(&t);
    return rc;
}

/* ---- growth calibrate -------------------------------------------------------------------- */

static void calibrate_usage(FILE *f)
{
    fprintf(f, "usage: growth calibrate FILE [--method platt|temperature|isotonic|histogram|field]\n"
               "                        [--score COL] [--label COL] [--field COL] [--weight COL]\n"
               "                        [--save MODEL] [--out CSV]\n\n"
               "Fits a calibrator on (score, label) rows and reports the metrics before and after.\n"
               "--field is required by --method field (integer field ids). --save writes the\n"
               "calibrator (load it with growth_calibrator_load); --out writes the rows with a\n"
               "'calibrated' column. Defaults: --method isotonic --score score --label label.\n");
}

int cli_calibrate(int argc, char **argv)
{
    const char *file, *method = "isotonic", *score = "score", *label = "label", *field = NULL, *weight = NULL,
                      *save = NULL, *out = NULL;
    opt_str opts[] = {{"--method", &method}, {"--score", &score}, {"--label", &label}, {"--field", &field},
                      {"--weight", &weight}, {"--save", &save},   {"--out", &out}};
    int pr = parse_opts("calibrate", argc, argv, opts, 7, &file);
    if (pr > 0) {
        calibrate_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (pr < 0) {
        calibrate_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    csv_table t;
    if (csv_load(file, &t)) return CLI_EXIT_USAGE;
    int rc = CLI_EXIT_USAGE;
    float *p = NULL, *y = NULL, *w = NULL, *q = NULL;
    int64_t *fid = NULL;
    growth_calibrator *c = NULL;
    int cs = csv_col(&t, score), cl = csv_col(&t, label);
    int cf = field ? csv_col(&t, field) : -2, cw = weight ? csv_col(&t, weight) : -2;
    if (cs < 0 || cl < 0 || cf == -1 || cw == -1) goto done;
    if (!(p = read_col_f(&t, cs)) || !(y = read_col_f(&t, cl))) goto done;
    if (cw >= 0 && !(w = read_col_f(&t, cw))) goto done;
    if (cf >= 0) {
        fid = malloc((t.nrows ? t.nrows : 1) * sizeof *fid);
        if (!fid) goto done;
        for (size_t r = 0; r < t.nrows; r++) {
            double d;
            if (csv_num(&t, r, cf, &d)) goto done;
            if (d != floor(d) || fabs(d) > 9e15) {
                fprintf(stderr, "growth: %s:%zu:%d (column '%s'): field ids must be integers\n", file,
                        t.line[r], cf + 1, field);
                goto done;
            }
            fid[r] = (int64_t)d;
        }
    }
    char cfg[128];
    snprintf(cfg, sizeof cfg, "method=%s", method);
    int status = growth_calibrator_create(&c, cfg);
    if (status) {
        rc = cli_fail("calibrate", status);
        goto done;
    }
    status = growth_calibrator_fit(c, p, y, w, fid, t.nrows);
    if (status) {
        rc = cli_fail("calibrate", status);
        goto done;
    }
    q = malloc((t.nrows ? t.nrows : 1) * sizeof *q);
    if (!q) goto done;
    status = growth_calibrator_apply_batch(c, p, fid, t.nrows, q, t.nrows);
    if (status) {
        rc = cli_fail("calibrate", status);
        goto done;
    }
    char summary[1024];
    growth_calibrator_summary(c, summary, sizeof summary, NULL);
    printf("%s: %zu rows; %s\n", file, t.nrows, summary);
    print_metrics("before", p, y, w, NULL, t.nrows);
    print_metrics("after (in-sample)", q, y, w, NULL, t.nrows);
    if (fid) {
        double fb = NAN, fa = NAN;
        size_t used = 0;
        growth_metrics_field_rce(p, y, w, fid, t.nrows, &fb, &used);
        growth_metrics_field_rce(q, y, w, fid, t.nrows, &fa, &used);
        printf("%-22s Field-RCE before %.5f  after %.5f  (%zu field values)\n", "", fb, fa, used);
    }
    if (save && (status = growth_calibrator_save(c, save))) {
        rc = cli_fail("calibrate --save", status);
        goto done;
    }
    if (out) {
        FILE *f = fopen(out, "w");
        if (!f) {
            fprintf(stderr, "growth calibrate: cannot write %s\n", out);
            rc = CLI_EXIT_FAILED;
            goto done;
        }
        fprintf(f, "%s,%s,calibrated\n", score, label);
        for (size_t r = 0; r < t.nrows; r++) fprintf(f, "%.9g,%g,%.9g\n", p[r], y[r], q[r]);
        if (fclose(f)) {
            fprintf(stderr, "growth calibrate: writing %s failed\n", out);
            rc = CLI_EXIT_FAILED;
            goto done;
        }
    }
    rc = CLI_EXIT_OK;
done:
    free(p);
    free(y);
    free(w);
    free(q);
    free(fid);
    growth_calibrator_free(c);
    csv_free(&t);
    return rc;
}

/* ---- growth budget knapsack / channels ----------------------------------------------------- */

static void budget_usage(FILE *f)
{
    fprintf(f, "usage: growth budget knapsack FILE --budget B [--user COL] [--value COL] [--cost COL]\n"
               "                              [--uplift COL [--redeem COL] [--conversion-value V]]\n"
               "                              [--threads N] [--out CSV]\n"
               "       growth budget channels FILE --budget B [--curve FROM:TO:STEPS]\n"
               "       growth budget channels --fit LOGS.csv --budget B [--curve FROM:TO:STEPS]\n"
               "                              [--family auto|exp|log|pwl] [--weights I,L,R]\n"
               "                              [--min-login-rate R] [--min-retention-rate R]\n"
               "                              [--platform-budget NAME=B]... [--min-spend PLACEMENT=X]...\n"
               "                              [--max-spend PLACEMENT=X]...\n\n"
               "knapsack: FILE has one row per (user, option): each user gets at most one option,\n"
               "  total cost <= B, total value maximal. Rows of a user must be consecutive.\n"
               "  Prints value, spend, LP bound and certified gap; --out writes the plan.\n"
               "  Defaults: --user user --value value --cost cost.\n"
               "  --uplift COL: value each option by its uplift (incremental conversion probability)\n"
               "  times --conversion-value (1); options with uplift <= 0 are never chosen; the\n"
               "  cost is paid only when redeemed: expected cost = cost x the --redeem column\n"
               "  (P(redeem | treated); without it the cost is always paid). --value is unused.\n"
               "channels: FILE has columns channel,kind,a,b[,weight,min,max] with kind exp\n"
               "  (a*(1-exp(-b*x))) or log (a*log(1+b*x)), or channel,kind,spend,outcome rows with\n"
               "  kind points (measured points of one channel, spend 0 first). Prints the split of\n"
               "  the budget, predicted outcomes and the marginal value of one more unit; --curve\n"
               "  prints the budget->outcome curve.\n"
               "channels --fit: LOGS.csv has one row per placement and day with columns\n"
               "  placement,day,spend,installs,logins,retained and optionally platform. Each\n"
               "  placement's curve per outcome is fitted (exp, log or concave piecewise-linear;\n"
               "  auto picks by BIC) and printed with R^2 and RMSE; the budget is split to maximise\n"
               "  the weighted sum of installs, logins and retained users (--weights, default 1,0,0)\n"
               "  subject to logins/installs >= --min-login-rate, retained/installs >=\n"
               "  --min-retention-rate, per-platform budgets and per-placement min/max spend. A\n"
               "  spend outside a placement's logged range prints an extrapolation warning.\n");
}

static int budget_knapsack(int argc, char **argv)
{
    const char *file, *budget_s = NULL, *user = "user", *value = "value", *cost = "cost", *threads = "1",
                      *out = NULL, *uplift = NULL, *redeem = NULL, *conv_value = "1";
    opt_str opts[] = {{"--budget", &budget_s}, {"--user", &user},       {"--value", &value},
                      {"--cost", &cost},       {"--threads", &threads}, {"--out", &out},
                      {"--uplift", &uplift},   {"--redeem", &redeem},   {"--conversion-value", &conv_value}};
    int pr = parse_opts("budget knapsack", argc, argv, opts, 9, &file);
    if (pr > 0) {
        budget_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (pr < 0) {
        budget_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    double B;
    if (!budget_s) {
        fprintf(stderr, "growth budget knapsack: --budget is required\n");
        return CLI_EXIT_USAGE;
    }
    if (parse_double_opt("budget knapsack", "--budget", budget_s, &B)) return CLI_EXIT_USAGE;
    csv_table t;
    if (csv_load(file, &t)) return CLI_EXIT_USAGE;
    int rc = CLI_EXIT_USAGE;
    double *v = NULL, *c = NULL;
    float *uf = NULL, *rf = NULL;
    uint64_t *indptr = NULL;
    int32_t *choice = NULL;
    growth_mckp *s = NULL;
    double conv = 1;
    if (parse_double_opt("budget knapsack", "--conversion-value", conv_value, &conv)) goto done;
    if (redeem && !uplift) {
        fprintf(stderr, "growth budget knapsack: --redeem needs --uplift\n");
        goto done;
    }
    int cu = csv_col(&t, user), cv = csv_col(&t, uplift ? uplift : value), cc = csv_col(&t, cost);
    int cr = redeem ? csv_col(&t, redeem) : -2;
    if (cu < 0 || cv < 0 || cc < 0 || cr == -1) goto done;
    size_t n = t.nrows ? t.nrows : 1;
    v = malloc(n * sizeof *v);
    c = malloc(n * sizeof *c);
    indptr = malloc((n + 1) * sizeof *indptr);
    if (!v || !c || !indptr) goto done;
    size_t users = 0;
    /* Users are runs of equal ids; a user seen again after another one is an input error
     * (open-addressing set of the ids' hashes, confirmed by string comparison). */
    size_t hcap = 16;
    while (hcap < 2 * n) hcap *= 2;
    size_t *seen = calloc(hcap, sizeof *seen); /* row index + 1 of each user's first row */
    if (!seen) goto done;
    for (size_t r = 0; r < t.nrows; r++) {
        if (csv_num(&t, r, cv, &v[r]) || csv_num(&t, r, cc, &c[r])) {
            free(seen);
            goto done;
        }
        const char *id = csv_cell(&t, r, cu);
        if (r > 0 && strcmp(id, csv_cell(&t, r - 1, cu)) == 0) continue;
        size_t h = (size_t)growth_hash64(id, strlen(id), 0) & (hcap - 1);
        while (seen[h] && strcmp(csv_cell(&t, seen[h] - 1, cu), id) != 0) h = (h + 1) & (hcap - 1);
        if (seen[h]) {
            fprintf(stderr,
                    "growth: %s:%zu: rows of user '%s' are not consecutive (first seen on line %zu)\n", file,
                    t.line[r], id, t.line[seen[h] - 1]);
            free(seen);
            goto done;
        }
        seen[h] = r + 1;
        indptr[users++] = r;
    }
    free(seen);
    indptr[users] = t.nrows;
    choice = malloc((users ? users : 1) * sizeof *choice);
    char cfg[64];
    snprintf(cfg, sizeof cfg, "threads=%s", threads);
    int status = growth_mckp_create(&s, cfg);
    if (status) {
        rc = cli_fail("budget knapsack", status);
        goto done;
    }
    if (uplift) {
        /* Incremental values and expected costs, built and solved by the library. */
        uf = malloc(n * sizeof *uf);
        rf = malloc(n * sizeof *rf);
        if (!uf || !rf) goto done;
        for (size_t r = 0; r < t.nrows; r++) {
            uf[r] = (float)v[r];
            double p = 1;
            if (cr >= 0 && csv_num(&t, r, cr, &p)) goto done;
            rf[r] = (float)p;
        }
        char acfg[64];
        snprintf(acfg, sizeof acfg, "value=%s", conv_value);
        status = growth_uplift_allocate(s, indptr, users, uf, cr >= 0 ? rf : NULL, c, B, acfg, choice, users);
        /* what the plan is judged by: value = conversion value x uplift, cost = expected cost */
        for (size_t r = 0; r < t.nrows; r++) {
            v[r] *= conv;
            if (cr >= 0) c[r] *= rf[r];
        }
    } else {
        status = growth_mckp_solve(s, indptr, users, v, c, 1, &B, choice, users);
    }
    if (status) {
        rc = cli_fail("budget knapsack", status);
        goto done;
    }
    growth_mckp_result res = GROWTH_MCKP_RESULT_INIT;
    growth_mckp_result_get(s, &res);
    double spend = 0;
    for (size_t u = 0; u < users; u++)
        if (choice[u] >= 0) spend += c[indptr[u] + (size_t)choice[u]];
    printf("%s: %zu users, %zu options, budget %.6g\n", file, users, t.nrows, B);
    printf("value %.6f  spend %.6f  LP bound %.6f  gap %.3g (relative %.3g)  users served %llu\n", res.value,
           spend, res.dual_bound, res.gap, res.rel_gap, (unsigned long long)res.n_chosen);
    if (out) {
        FILE *f = fopen(out, "w");
        if (!f) {
            fprintf(stderr, "growth budget knapsack: cannot write %s\n", out);
            rc = CLI_EXIT_FAILED;
            goto done;
        }
        if (uplift)
            fprintf(f, "%s,option,incremental_value,expected_cost\n", user);
        else
            fprintf(f, "%s,option,%s,%s\n", user, value, cost);
        for (size_t u = 0; u < users; u++) {
            if (choice[u] < 0) continue;
            size_t o = indptr[u] + (size_t)choice[u];
            fprintf(f, "%s,%d,%.9g,%.9g\n", csv_cell(&t, indptr[u], cu), choice[u], v[o], c[o]);
        }
        if (fclose(f)) {
            rc = CLI_EXIT_FAILED;
            goto done;
        }
    }
    rc = CLI_EXIT_OK;
done:
    free(uf);
    free(rf);
    free(v);
    free(c);
    free(indptr);
    free(choice);
    growth_mckp_free(s);
    csv_free(&t);
    return rc;
}

/* growth budget channels --fit LOGS.csv: response curves fitted from spend logs (one row per
 * placement and day: placement, day, spend, installs, logins, retained[, platform]), then the
 * multi-outcome allocation of growth_response_allocate(). */
typedef struct {
    const char *name, *value;
} kv_opt;

static int split_kv(const char *cmd, const char *opt, const char *s, kv_opt *out)
{
    const char *eq = strrchr(s, '=');
    if (!eq || eq == s || !eq[1]) {
        fprintf(stderr, "growth %s: %s wants NAME=VALUE, got '%s'\n", cmd, opt, s);
        return -1;
    }
    out->name = s;
    out->value = eq + 1;
    return 0;
}

static const char *const fit_outcomes[3] = {"installs", "logins", "retained"};

static int budget_channels_fit(int argc, char **argv)
{
    static const char *cmd = "budget channels";
    const char *logs = NULL, *budget_s = NULL, *curve = NULL, *family = "auto", *weights_s = "1,0,0";
    const char *login_s = NULL, *ret_s = NULL;
    kv_opt *pb = calloc((size_t)argc + 1, sizeof *pb), *mins = calloc((size_t)argc + 1, sizeof *mins),
           *maxs = calloc((size_t)argc + 1, sizeof *maxs);
    size_t npb = 0, nmin = 0, nmax = 0;
    int rc = CLI_EXIT_USAGE;
    csv_table t;
    int loaded = 0;
    growth_response *model = NULL;
    char **pnames = NULL, **plat_names = NULL;
    int32_t *pgroup = NULL;
    size_t *prow = NULL;
    double *vals = NULL, *xs = NULL, *ys = NULL, *kx = NULL, *ky = NULL, *spend = NULL, *outc = NULL,
           *lo = NULL, *hi = NULL, *budgets = NULL;
    if (!pb || !mins || !maxs) goto done;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            budget_usage(stdout);
            rc = CLI_EXIT_OK;
            goto done;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2) != 0) {
            fprintf(stderr,
                    strncmp(a, "--", 2)
                        ? "growth %s: unexpected argument '%s' (with --fit, curves come from the logs)\n"
                        : "growth %s: %s needs a value\n",
                    cmd, a);
            goto done;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--fit"))
            logs = v;
        else if (!strcmp(a, "--budget"))
            budget_s = v;
        else if (!strcmp(a, "--curve"))
            curve = v;
        else if (!strcmp(a, "--family"))
            family = v;
        else if (!strcmp(a, "--weights"))
            weights_s = v;
        else if (!strcmp(a, "--min-login-rate"))
            login_s = v;
        else if (!strcmp(a, "--min-retention-rate"))
            ret_s = v;
        else if (!strcmp(a, "--platform-budget")) {
            if (split_kv(cmd, a, v, &pb[npb++])) goto done;
        } else if (!strcmp(a, "--min-spend")) {
            if (split_kv(cmd, a, v, &mins[nmin++])) goto done;
        } else if (!strcmp(a, "--max-spend")) {
            if (split_kv(cmd, a, v, &maxs[nmax++])) goto done;
        } else {
            fprintf(stderr, "growth %s: unknown option %s\n", cmd, a);
            goto done;
        }
    }
    if (!budget_s && !curve) {
        fprintf(stderr, "growth %s: give --budget or --curve\n", cmd);
        goto done;
    }
    double B = 0, w[3], ratio[3] = {0, 0, 0};
    if (budget_s && parse_double_opt(cmd, "--budget", budget_s, &B)) goto done;
    if (login_s && parse_double_opt(cmd, "--min-login-rate", login_s, &ratio[1])) goto done;
    if (ret_s && parse_double_opt(cmd, "--min-retention-rate", ret_s, &ratio[2])) goto done;
    {
        char *end = NULL;
        const char *s = weights_s;
        for (int k = 0; k < 3; k++) {
            w[k] = strtod(s, &end);
            if (end == s || !isfinite(w[k]) || (k < 2 ? *end != ',' : *end != '\0')) {
                fprintf(stderr,
                        "growth %s: --weights wants INSTALLS,LOGINS,RETAINED (three numbers), got '%s'\n",
                        cmd, weights_s);
                goto done;
            }
            s = end + 1;
        }
    }
    double c0 = 0, c1 = 0;
    long steps = 0;
    if (curve && (sscanf(curve, "%lf:%lf:%ld", &c0, &c1, &steps) != 3 || steps < 2 || steps > 100000 ||
                  !(c0 >= 0) || !(c1 > c0))) {
        fprintf(stderr, "growth %s: --curve wants FROM:TO:STEPS with 0 <= FROM < TO, 2 <= STEPS\n", cmd);
        goto done;
    }
    if (strcmp(family, "auto") && strcmp(family, "exp") && strcmp(family, "log") && strcmp(family, "pwl")) {
        fprintf(stderr, "growth %s: --family '%s' is not auto, exp, log or pwl\n", cmd, family);
        goto done;
    }
    if (csv_load(logs, &t)) goto done;
    loaded = 1;
    int col[6];
    static const char *const need[6] = {"placement", "day", "spend", "installs", "logins", "retained"};
    for (int k = 0; k < 6; k++)
        if ((col[k] = csv_col(&t, need[k])) < 0) goto done;
    int cplat = -1;
    for (size_t k = 0; k < t.ncols; k++)
        if (!strcmp(t.header[k], "platform")) cplat = (int)k;
    size_t n = t.nrows;
    if (n == 0) {
        fprintf(stderr, "growth: %s:2: no data rows\n", logs);
        goto done;
    }
    vals = malloc(n * 4 * sizeof *vals);
    prow = malloc(n * sizeof *prow);
    pnames = calloc(n, sizeof *pnames);
    plat_names = calloc(n, sizeof *plat_names);
    pgroup = malloc(n * sizeof *pgroup);
    xs = malloc(n * sizeof *xs);
    ys = malloc(n * sizeof *ys);
    kx = malloc((n + 2) * sizeof *kx);
    ky = malloc((n + 2) * sizeof *ky);
    if (!vals || !prow || !pnames || !plat_names || !pgroup || !xs || !ys || !kx || !ky) goto done;
    size_t np = 0, nplat = 0;
    for (size_t r = 0; r < n; r++) {
        for (int k = 0; k < 4; k++) {
            double v;
            if (csv_num(&t, r, col[2 + k], &v)) goto done;
            if (v < 0) {
                fprintf(stderr, "growth: %s:%zu:%d (column '%s'): %g is negative\n", logs, t.line[r],
                        col[2 + k] + 1, need[2 + k], v);
                goto done;
            }
            vals[r * 4 + (size_t)k] = v;
        }
        const char *p = csv_cell(&t, r, col[0]), *d = csv_cell(&t, r, col[1]);
        if (!p[0] || !d[0]) {
            int c = p[0] ? 1 : 0;
            fprintf(stderr, "growth: %s:%zu:%d (column '%s'): empty %s\n", logs, t.line[r], col[c] + 1,
                    need[c], need[c]);
            goto done;
        }
        size_t i = 0;
        while (i < np && strcmp(pnames[i], p)) i++;
        const char *pf = cplat >= 0 ? csv_cell(&t, r, cplat) : NULL;
        if (pf && !pf[0]) {
            fprintf(stderr, "growth: %s:%zu:%d (column 'platform'): empty platform\n", logs, t.line[r],
                    cplat + 1);
            goto done;
        }
        int32_t g = -1;
        if (pf) {
            size_t j = 0;
            while (j < nplat && strcmp(plat_names[j], pf)) j++;
            if (j == nplat) plat_names[nplat++] = (char *)pf;
            g = (int32_t)j;
        }
        if (i == np) {
            pnames[np] = (char *)p;
            pgroup[np] = g;
            np++;
        } else if (pgroup[i] != g) {
            fprintf(stderr,
                    "growth: %s:%zu:%d (column 'platform'): placement '%s' is on platform '%s' in an earlier "
                    "row, here '%s'\n",
                    logs, t.line[r], cplat + 1, p, plat_names[pgroup[i]], pf);
            goto done;
        }
        prow[r] = i;
        for (size_t q = 0; q < r; q++) /* (placement, day) once */
            if (prow[q] == i && !strcmp(csv_cell(&t, q, col[1]), d)) {
                fprintf(stderr,
                        "growth: %s:%zu:%d (column 'day'): placement '%s' has day '%s' twice (line %zu)\n",
                        logs, t.line[r], col[1] + 1, p, d, t.line[q]);
                goto done;
            }
    }
    int status = growth_response_create(&model, 3, "");
    if (status) {
        rc = cli_fail(cmd, status);
        goto done;
    }
    char cfg[64];
    snprintf(cfg, sizeof cfg, "family=%s", family);
    printf("%s: %zu rows, %zu placements%s\n", logs, n, np, nplat ? "" : " (no platform column)");
    printf("%-20s %-9s %-6s %12s %12s %8s %12s %12s %12s\n", "placement", "outcome", "family", "a", "b", "r2",
           "rmse", "spend_lo", "spend_hi");
    for (size_t i = 0; i < np; i++) {
        size_t m = 0;
        double slo = INFINITY, shi = 0;
        for (size_t r = 0; r < n; r++)
            if (prow[r] == i) {
                slo = fmin(slo, vals[r * 4]);
                shi = fmax(shi, vals[r * 4]);
            }
        size_t idx;
        status = growth_response_add(model, pgroup[i], slo, shi, &idx);
        for (int k = 0; k < 3 && !status; k++) {
            m = 0;
            for (size_t r = 0; r < n; r++)
                if (prow[r] == i) {
                    xs[m] = vals[r * 4];
                    ys[m] = vals[r * 4 + 1 + (size_t)k];
                    m++;
                }
            growth_channels_fit_result fr = GROWTH_CHANNELS_FIT_RESULT_INIT;
            size_t nk = 0;
            status = growth_channels_fit(xs, ys, NULL, m, cfg, &fr, kx, ky, n + 2, &nk);
            if (status) {
                fprintf(stderr, "growth %s: placement '%s', %s: %s\n", cmd, pnames[i], fit_outcomes[k],
                        growth_last_error());
                rc = CLI_EXIT_FAILED;
                goto done;
            }
            const char *fam = fr.family == GROWTH_CURVE_EXP   ? "exp"
                              : fr.family == GROWTH_CURVE_LOG ? "log"
                                                              : "pwl";
            printf("%-20s %-9s %-6s %12.6g %12.6g %8.4f %12.6g %12.2f %12.2f\n", pnames[i], fit_outcomes[k],
                   fam, fr.a, fr.b, fr.r2, fr.rmse, fr.spend_lo, fr.spend_hi);
            status = fr.family ? growth_response_set_curve(model, idx, (size_t)k, (growth_curve)fr.family,
                                                           fr.a, fr.b)
                               : growth_response_set_points(model, idx, (size_t)k, kx, ky, nk);
        }
        if (status) {
            rc = cli_fail(cmd, status);
            goto done;
        }
    }
    /* budgets, min/max spend by name */
    budgets = malloc((nplat + 1) * sizeof *budgets);
    lo = calloc(np, sizeof *lo);
    hi = malloc(np * sizeof *hi);
    spend = malloc(np * sizeof *spend);
    outc = malloc(np * 3 * sizeof *outc);
    if (!budgets || !lo || !hi || !spend || !outc) goto done;
    for (size_t i = 0; i < np; i++) hi[i] = INFINITY;
    for (size_t j = 0; j <= nplat; j++) budgets[j] = INFINITY;
    for (size_t q = 0; q < npb; q++) {
        size_t len = (size_t)(strrchr(pb[q].name, '=') - pb[q].name), j = 0;
        while (j < nplat && (strlen(plat_names[j]) != len || strncmp(plat_names[j], pb[q].name, len))) j++;
        if (j == nplat) {
            fprintf(stderr, "growth %s: --platform-budget %s: no such platform in %s\n", cmd, pb[q].name,
                    logs);
            goto done;
        }
        if (parse_double_opt(cmd, "--platform-budget", pb[q].value, &budgets[1 + j])) goto done;
    }
    for (int which = 0; which < 2; which++) {
        kv_opt *o = which ? maxs : mins;
        for (size_t q = 0; q < (which ? nmax : nmin); q++) {
            size_t len = (size_t)(strrchr(o[q].name, '=') - o[q].name), i = 0;
            while (i < np && (strlen(pnames[i]) != len || strncmp(pnames[i], o[q].name, len))) i++;
            if (i == np) {
                fprintf(stderr, "growth %s: %s %s: no such placement in %s\n", cmd,
                        which ? "--max-spend" : "--min-spend", o[q].name, logs);
                goto done;
            }
            if (parse_double_opt(cmd, which ? "--max-spend" : "--min-spend", o[q].value,
                                 which ? &hi[i] : &lo[i]))
                goto done;
        }
    }
    growth_response_result res = GROWTH_RESPONSE_RESULT_INIT;
    if (budget_s) {
        budgets[0] = B;
        status = growth_response_allocate(model, budgets, nplat + 1, w, ratio, lo, hi, spend, outc, np, &res);
        if (status) {
            rc = cli_fail(cmd, status);
            goto done;
        }
        double tot[3] = {0, 0, 0};
        printf("\n%-20s %-10s %14s %12s %12s %12s\n", "placement", "platform", "spend", "installs", "logins",
               "retained");
        for (size_t i = 0; i < np; i++) {
            printf("%-20s %-10s %14.2f %12.2f %12.2f %12.2f\n", pnames[i],
                   pgroup[i] >= 0 ? plat_names[pgroup[i]] : "-", spend[i], outc[i * 3], outc[i * 3 + 1],
                   outc[i * 3 + 2]);
            for (int k = 0; k < 3; k++) tot[k] += outc[i * 3 + (size_t)k];
        }
        printf("%-20s %-10s %14.2f %12.2f %12.2f %12.2f\n", "total", "", res.spend, tot[0], tot[1], tot[2]);
        printf("objective %.6f  login rate %.6f  retention rate %.6f  marginal %.6g  bound %.6f\n",
               res.objective, tot[0] > 0 ? tot[1] / tot[0] : 0.0, tot[0] > 0 ? tot[2] / tot[0] : 0.0,
               res.marginal, res.bound);
        for (size_t i = 0; i < np; i++) {
            double slo = INFINITY, shi = 0;
            for (size_t r = 0; r < n; r++)
                if (prow[r] == i) slo = fmin(slo, vals[r * 4]), shi = fmax(shi, vals[r * 4]);
            if (spend[i] > shi * (1 + 1e-9) || (spend[i] > 0 && spend[i] < slo * (1 - 1e-9)))
                printf("warning: %s: spend %.2f is outside the logged spend range %.2f..%.2f: the prediction "
                       "extrapolates\n",
                       pnames[i], spend[i], slo, shi);
        }
    }
    if (curve) {
        printf("%sbudget,installs,logins,retained,objective,marginal,extrapolated\n", budget_s ? "\n" : "");
        for (long s = 0; s < steps; s++) {
            budgets[0] = c0 + (c1 - c0) * (double)s / (double)(steps - 1);
            status =
                growth_response_allocate(model, budgets, nplat + 1, w, ratio, lo, hi, spend, outc, np, &res);
            if (status) {
                rc = cli_fail(cmd, status);
                goto done;
            }
            double tot[3] = {0, 0, 0};
            for (size_t i = 0; i < np; i++)
                for (int k = 0; k < 3; k++) tot[k] += outc[i * 3 + (size_t)k];
            printf("%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%llu\n", budgets[0], tot[0], tot[1], tot[2], res.objective,
                   res.marginal, (unsigned long long)res.extrapolated);
        }
    }
    rc = CLI_EXIT_OK;
done:
    free(pb);
    free(mins);
    free(maxs);
    free(vals);
    free(prow);
    free(pnames);
    free(plat_names);
    free(pgroup);
    free(xs);
    free(ys);
    free(kx);
    free(ky);
    free(spend);
    free(outc);
    free(lo);
    free(hi);
    free(budgets);
    growth_response_free(model);
    if (loaded) csv_free(&t);
    return rc;
}

static int budget_channels(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--fit")) return budget_channels_fit(argc, argv);
    const char *file, *budget_s = NULL, *curve = NULL;
    opt_str opts[] = {{"--budget", &budget_s}, {"--curve", &curve}};
    int pr = parse_opts("budget channels", argc, argv, opts, 2, &file);
    if (pr > 0) {
        budget_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (pr < 0) {
        budget_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    double B = 0;
    if (!budget_s && !curve) {
        fprintf(stderr, "growth budget channels: give --budget or --curve\n");
        return CLI_EXIT_USAGE;
    }
    if (budget_s && parse_double_opt("budget channels", "--budget", budget_s, &B)) return CLI_EXIT_USAGE;
    double c0 = 0, c1 = 0;
    long steps = 0;
    if (curve && (sscanf(curve, "%lf:%lf:%ld", &c0, &c1, &steps) != 3 || steps < 2 || steps > 100000 ||
                  !(c0 >= 0) || !(c1 > c0))) {
        fprintf(stderr,
                "growth budget channels: --curve wants FROM:TO:STEPS with 0 <= FROM < TO, 2 <= STEPS\n");
        return CLI_EXIT_USAGE;
    }
    csv_table t;
    if (csv_load(file, &t)) return CLI_EXIT_USAGE;
    int rc = CLI_EXIT_USAGE;
    growth_channels *ch = NULL;
    char **names = calloc(t.nrows + 1, sizeof *names);
    double *xs = malloc((t.nrows + 1) * sizeof *xs), *ys = malloc((t.nrows + 1) * sizeof *ys);
    double *spend = NULL, *outc = NULL;
    int cn = csv_col(&t, "channel"), ck = csv_col(&t, "kind");
    if (cn < 0 || ck < 0 || !names || !xs || !ys) goto done;
    int ca = -1, cb = -1, cw = -1, cmin = -1, cmax = -1, cx = -1, cy = -1;
    for (size_t k = 0; k < t.ncols; k++) {
        const char *h = t.header[k];
        if (!strcmp(h, "a"))
            ca = (int)k;
        else if (!strcmp(h, "b"))
            cb = (int)k;
        else if (!strcmp(h, "weight"))
            cw = (int)k;
        else if (!strcmp(h, "min"))
            cmin = (int)k;
        else if (!strcmp(h, "max"))
            cmax = (int)k;
        else if (!strcmp(h, "spend"))
            cx = (int)k;
        else if (!strcmp(h, "outcome"))
            cy = (int)k;
    }
    int status = growth_channels_create(&ch, "");
    if (status) {
        rc = cli_fail("budget channels", status);
        goto done;
    }
    size_t nch = 0;
    for (size_t r = 0; r < t.nrows;) {
        const char *name = csv_cell(&t, r, cn), *kind = csv_cell(&t, r, ck);
        double wgt = 1, lo = 0, hi = INFINITY;
        if (cw >= 0 && csv_cell(&t, r, cw)[0] && csv_num(&t, r, cw, &wgt)) goto done;
        if (cmin >= 0 && csv_cell(&t, r, cmin)[0] && csv_num(&t, r, cmin, &lo)) goto done;
        if (cmax >= 0 && csv_cell(&t, r, cmax)[0] && csv_num(&t, r, cmax, &hi)) goto done;
        if (!strcmp(kind, "exp") || !strcmp(kind, "log")) {
            double a, b;
            if (ca < 0 || cb < 0) {
                fprintf(stderr, "growth: %s: exp/log channels need columns a and b\n", file);
                goto done;
            }
            if (csv_num(&t, r, ca, &a) || csv_num(&t, r, cb, &b)) goto done;
            status = growth_channels_add(ch, !strcmp(kind, "exp") ? GROWTH_CURVE_EXP : GROWTH_CURVE_LOG, a, b,
                                         wgt, lo, hi, NULL);
            r++;
        } else if (!strcmp(kind, "points")) {
            if (cx < 0 || cy < 0) {
                fprintf(stderr, "growth: %s: points channels need columns spend and outcome\n", file);
                goto done;
            }
            size_t np = 0;
            while (r < t.nrows && !strcmp(csv_cell(&t, r, cn), name) &&
                   !strcmp(csv_cell(&t, r, ck), "points")) {
                if (csv_num(&t, r, cx, &xs[np]) || csv_num(&t, r, cy, &ys[np])) goto done;
                np++, r++;
            }
            status = growth_channels_add_points(ch, xs, ys, np, wgt, lo, hi, NULL);
        } else {
            fprintf(stderr, "growth: %s:%zu:%d (column 'kind'): '%s' is not exp, log or points\n", file,
                    t.line[r], ck + 1, kind);
            goto done;
        }
        if (status) {
            rc = cli_fail("budget channels", status);
            goto done;
        }
        names[nch++] = (char *)name;
    }
    spend = malloc((nch ? nch : 1) * sizeof *spend);
    outc = malloc((nch ? nch : 1) * sizeof *outc);
    if (!spend || !outc) goto done;
    if (budget_s) {
        double total = 0, marginal = 0;
        status = growth_channels_allocate(ch, B, spend, outc, nch, &total, &marginal);
        if (status) {
            rc = cli_fail("budget channels", status);
            goto done;
        }
        printf("%-20s %14s %14s\n", "channel", "spend", "outcome");
        for (size_t i = 0; i < nch; i++) printf("%-20s %14.2f %14.2f\n", names[i], spend[i], outc[i]);
        printf("%-20s %14.2f %14.2f\nmarginal outcome of one more unit of budget: %.6g\n", "total", B, total,
               marginal);
    }
    if (curve) {
        double *bs = malloc((size_t)steps * sizeof *bs), *tot = malloc((size_t)steps * sizeof *tot),
               *mar = malloc((size_t)steps * sizeof *mar);
        if (!bs || !tot || !mar) {
            free(bs);
            free(tot);
            free(mar);
            goto done;
        }
        for (long i = 0; i < steps; i++) bs[i] = c0 + (c1 - c0) * (double)i / (double)(steps - 1);
        status = growth_channels_curve(ch, bs, (size_t)steps, tot, mar, NULL, 0);
        if (status) {
            free(bs);
            free(tot);
            free(mar);
            rc = cli_fail("budget channels", status);
            goto done;
        }
        printf("budget,outcome,marginal\n");
        for (long i = 0; i < steps; i++) printf("%.6g,%.6g,%.6g\n", bs[i], tot[i], mar[i]);
        free(bs);
        free(tot);
        free(mar);
    }
    rc = CLI_EXIT_OK;
done:
    free(names);
    free(xs);
    free(ys);
    free(spend);
    free(outc);
    growth_channels_free(ch);
    csv_free(&t);
    return rc;
}

int cli_budget(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "knapsack")) return budget_knapsack(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "channels")) return budget_channels(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        budget_usage(stdout);
        return CLI_EXIT_OK;
    }
    budget_usage(stderr);
    return CLI_EXIT_USAGE;
}
