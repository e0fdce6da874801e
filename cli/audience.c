/* growth audience: the audience-selection pipeline from CSV files (public API only).
 * Seed -> expansion directions -> union -> PU target model -> top N, optionally judged against
 * later-observed buyers. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "cli.h"
#include "csv.h"

static void audience_usage(FILE *f)
{
    fprintf(
        f, "usage: growth audience --seed FILE [--attributes FILE] [--brands FILE --brand ID]\n"
           "                       [--categories FILE --category ID] [--embeddings FILE]\n"
           "                       [--events FILE] [--features FILE] [options]\n"
           "\n"
           "Expands a seed audience in several directions, scores the expanded pool with a\n"
           "PU-learning target model (positives = the seed) and writes the best N users as CSV\n"
           "(user,score,directions).\n"
           "\n"
           "Input files are CSV with a header row (any column names; columns are read in order);\n"
           "user ids are integers from 0. Directions run for the files given (at least one):\n"
           "  --seed FILE          user                 the seed audience (e.g. the brand's buyers)\n"
           "  --attributes FILE    user,attribute       interest: attributes with a high TGI\n"
           "  --brands FILE        user,brand           related brands by Jaccard (needs --brand)\n"
           "  --categories FILE    user,category        association rules (needs --category)\n"
           "  --embeddings FILE    user,x1,...,xd       peer: users nearest the seed\n"
           "  --events FILE        user,time            lost: users whose last event is in the window\n"
           "  --features FILE      user,feature[,value] target-model features (default: attributes)\n"
           "  --later FILE         user                 buyers observed later: prints top-N precision\n"
           "  --exclude FILE       user                 users already converted (default: the seed)\n"
           "\n"
           "options:\n"
           "  --brand ID           the campaign's brand in --brands\n"
           "  --category ID        the campaign's category in --categories\n"
           "  --users N            population size (default: 1 + the largest user id read)\n"
           "  --peers N            peer users to take (default 1000, at most the pool)\n"
           "  --interest CFG       growth_audience_interest options (default \"min_tgi=150\")\n"
           "  --brand-config CFG   growth_audience_brand options (default \"k=10\")\n"
           "  --rules CFG          growth_audience_category options (default \"min_lift=1.2\")\n"
           "  --peer-config CFG    growth_audience_peer options (default \"mode=centroid\")\n"
           "  --lost CFG           growth_audience_lost options (e.g. \"now=T inactive=S window=S\")\n"
           "  --model CFG          growth_audience_pu_score options (default \"learner=forest method=spy\")\n"
           "  -n, --top N          audience size (default 1000; at most the pool)\n"
           "  --threshold X        drop users scoring below X (default 0)\n"
           "  -o, --out FILE       write the audience here (default: standard output)\n"
           "  -q, --quiet          no summary on standard error\n"
           "\n"
           "Exit status: 0 success, 1 the pipeline failed (bad data or a library error), 2 usage.\n");
}

/* ---- CSV (through the CLI's shared reader: header row, errors with file, line, column) ---- */

typedef struct {
    size_t n, ncols, nint; /* rows, columns per row, leading integer columns */
    int64_t *iv;           /* n x nint */
    double *fv;            /* n x (ncols - nint) */
    size_t *line;          /* source line of each row */
} aud_csv;

static void aud_csv_free(aud_csv *c)
{
    free(c->iv);
    free(c->fv);
    free(c->line);
    memset(c, 0, sizeof *c);
}

/* Reads `path` (a header row, then min_cols..max_cols fields a row); the first `nint` columns
 * are integers >= 0, the rest finite numbers. */
static int read_csv(const char *path, size_t min_cols, size_t max_cols, size_t nint, aud_csv *out)
{
    memset(out, 0, sizeof *out);
    csv_table t;
    if (csv_load(path, &t)) return -1;
    int rc = -1;
    if (t.ncols < min_cols || t.ncols > max_cols) {
        if (min_cols == max_cols)
            fprintf(stderr, "growth: %s:1: %zu columns, expected %zu\n", path, t.ncols, min_cols);
        else
            fprintf(stderr, "growth: %s:1: %zu columns, expected %zu to %zu\n", path, t.ncols, min_cols,
                    max_cols);
        goto done;
    }
    if (t.nrows == 0) {
        fprintf(stderr, "growth: %s: no data rows after the header\n", path);
        goto done;
    }
    out->n = t.nrows;
    out->ncols = t.ncols;
    out->nint = nint;
    out->iv = malloc(t.nrows * nint * sizeof *out->iv);
    out->fv = malloc(t.nrows * (t.ncols - nint + 1) * sizeof *out->fv);
    out->line = malloc(t.nrows * sizeof *out->line);
    if (!out->iv || !out->fv || !out->line) {
        fprintf(stderr, "growth: %s: out of memory\n", path);
        goto done;
    }
    for (size_t r = 0; r < t.nrows; r++) {
        out->line[r] = t.line[r];
        for (size_t c = 0; c < t.ncols; c++) {
            double v;
            if (csv_num(&t, r, (int)c, &v)) goto done;
            if (c < nint) {
                if (v < 0 || v != floor(v) || v > 9007199254740992.0) {
                    fprintf(stderr, "growth: %s:%zu:%zu (column '%s'): '%s' is not an integer id >= 0\n",
                            path, t.line[r], c + 1, t.header[c], csv_cell(&t, r, (int)c));
                    goto done;
                }
                out->iv[r * nint + c] = (int64_t)v;
            } else {
                out->fv[r * (t.ncols - nint) + (c - nint)] = v;
            }
        }
    }
    rc = 0;
done:
    csv_free(&t);
    if (rc) aud_csv_free(out);
    return rc;
}

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct {
    uint64_t *ptr;
    uint32_t *idx;
    float *val;
    size_t ncols;
} sparse;

static void sparse_free(sparse *m)
{
    free(m->ptr);
    free(m->idx);
    free(m->val);
}

/* Largest id in the first column of c, also checked against a limit of 2^32 - 2. */
static int max_user(const char *path, const aud_csv *c, int64_t *mx)
{
    for (size_t i = 0; i < c->n; i++) {
        int64_t u = c->iv[i * c->nint];
        if (u >= (int64_t)UINT32_MAX) {
            fprintf(stderr, "growth: %s:%zu:1: user id %lld is too large\n", path, c->line[i], (long long)u);
            return -1;
        }
        if (u > *mx) *mx = u;
    }
    return 0;
}

static int check_users(const char *path, const aud_csv *c, size_t nusers)
{
    for (size_t i = 0; i < c->n; i++)
        if ((uint64_t)c->iv[i * c->nint] >= nusers) {
            fprintf(stderr, "growth: %s:%zu:1: user %lld is not below --users %zu\n", path, c->line[i],
                    (long long)c->iv[i * c->nint], nusers);
            return -1;
        }
    return 0;
}

/* CSR from (user, column[, value]) rows, grouped by user. */
static int to_sparse(const char *path, const aud_csv *c, size_t nusers, sparse *m)
{
    memset(m, 0, sizeof *m);
    int64_t mx = -1;
    for (size_t i = 0; i < c->n; i++) {
        int64_t col = c->iv[i * c->nint + 1];
        if (col >= (int64_t)UINT32_MAX) {
            fprintf(stderr, "growth: %s:%zu:2: id %lld is too large\n", path, c->line[i], (long long)col);
            return -1;
        }
        if (col > mx) mx = col;
    }
    m->ncols = (size_t)mx + 1;
    m->ptr = calloc(nusers + 1, sizeof *m->ptr);
    m->idx = malloc(c->n * sizeof *m->idx);
    m->val = c->ncols > 2 ? malloc(c->n * sizeof *m->val) : NULL;
    if (!m->ptr || !m->idx || (c->ncols > 2 && !m->val)) {
        sparse_free(m);
        fprintf(stderr, "growth audience: %s: out of memory\n", path);
        return -1;
    }
    for (size_t i = 0; i < c->n; i++) m->ptr[c->iv[i * c->nint] + 1]++;
    for (size_t u = 0; u < nusers; u++) m->ptr[u + 1] += m->ptr[u];
    uint64_t *fill = malloc((nusers + 1) * sizeof *fill);
    if (!fill) {
        sparse_free(m);
        return -1;
    }
    memcpy(fill, m->ptr, (nusers + 1) * sizeof *fill);
    for (size_t i = 0; i < c->n; i++) {
        uint64_t k = fill[c->iv[i * c->nint]]++;
        m->idx[k] = (uint32_t)c->iv[i * c->nint + 1];
        if (m->val) m->val[k] = (float)c->fv[i * (c->ncols - c->nint)];
    }
    free(fill);
    return 0;
}

static uint32_t *user_list(const aud_csv *c, size_t *n)
{
    uint32_t *u = malloc((c->n ? c->n : 1) * sizeof *u);
    if (!u) return NULL;
    for (size_t i = 0; i < c->n; i++) u[i] = (uint32_t)c->iv[i * c->nint];
    *n = c->n;
    return u;
}

static int parse_size(const char *opt, const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || *s == '-') {
        fprintf(stderr, "growth audience: %s: expected a non-negative integer, got '%s'\n", opt, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static void dir_names(uint32_t d, char *buf, size_t cap)
{
    static const char *names[] = {"interest", "brand", "category", "peer", "lost"};
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < 5; i++)
        if (d & (1u << i)) {
            int w = snprintf(buf + used, cap - used, "%s%s", used ? "|" : "", names[i]);
            if (w > 0 && (size_t)w < cap - used) used += (size_t)w;
        }
}

/* ---- the command --------------------------------------------------------------------------- */

enum { F_SEED, F_ATTR, F_BRANDS, F_CATS, F_EMB, F_EVENTS, F_FEATS, F_LATER, F_EXCL, F_COUNT };

int cli_audience(int argc, char **argv)
{
    const char *file[F_COUNT] = {0};
    const char *cfg_interest = "min_tgi=150", *cfg_brand = "k=10", *cfg_rules = "min_lift=1.2",
               *cfg_peer = "mode=centroid", *cfg_lost = "", *cfg_model = "learner=forest method=spy",
               *out_path = NULL;
    size_t nusers_opt = 0, peers = 1000, top = 1000, brand_id = SIZE_MAX, cat_id = SIZE_MAX;
    double threshold = 0;
    int quiet = 0;
    static const struct {
        const char *name;
        int slot;
    } fopts[] = {{"--seed", F_SEED},       {"--attributes", F_ATTR}, {"--brands", F_BRANDS},
                 {"--categories", F_CATS}, {"--embeddings", F_EMB},  {"--events", F_EVENTS},
                 {"--features", F_FEATS},  {"--later", F_LATER},     {"--exclude", F_EXCL}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            audience_usage(stdout);
            return CLI_EXIT_OK;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "growth audience: %s needs a value (or is unknown); see --help\n", a);
            return CLI_EXIT_USAGE;
        }
        const char *v = argv[++i];
        int done = 0;
        for (size_t k = 0; k < sizeof fopts / sizeof fopts[0]; k++)
            if (strcmp(a, fopts[k].name) == 0) {
                file[fopts[k].slot] = v;
                done = 1;
            }
        if (done) continue;
        int bad = 0;
        if (strcmp(a, "--brand") == 0)
            bad = parse_size(a, v, &brand_id);
        else if (strcmp(a, "--category") == 0)
            bad = parse_size(a, v, &cat_id);
        else if (strcmp(a, "--users") == 0)
            bad = parse_size(a, v, &nusers_opt);
        else if (strcmp(a, "--peers") == 0)
            bad = parse_size(a, v, &peers);
        else if (strcmp(a, "-n") == 0 || strcmp(a, "--top") == 0)
            bad = parse_size(a, v, &top);
        else if (strcmp(a, "--interest") == 0)
            cfg_interest = v;
        else if (strcmp(a, "--brand-config") == 0)
            cfg_brand = v;
        else if (strcmp(a, "--rules") == 0)
            cfg_rules = v;
        else if (strcmp(a, "--peer-config") == 0)
            cfg_peer = v;
        else if (strcmp(a, "--lost") == 0)
            cfg_lost = v;
        else if (strcmp(a, "--model") == 0)
            cfg_model = v;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0)
            out_path = v;
        else if (strcmp(a, "--threshold") == 0) {
            char *end;
            threshold = strtod(v, &end);
            if (end == v || *end || !isfinite(threshold)) {
                fprintf(stderr, "growth audience: --threshold: expected a number, got '%s'\n", v);
                bad = 1;
            }
        } else {
            fprintf(stderr, "growth audience: unknown option '%s'; see --help\n", a);
            return CLI_EXIT_USAGE;
        }
        if (bad) return CLI_EXIT_USAGE;
    }
    if (!file[F_SEED]) {
        fprintf(stderr, "growth audience: --seed FILE is required; see --help\n");
        return CLI_EXIT_USAGE;
    }
    if (!file[F_ATTR] && !file[F_BRANDS] && !file[F_CATS] && !file[F_EMB] && !file[F_EVENTS]) {
        fprintf(stderr, "growth audience: give at least one direction (--attributes, --brands, --categories, "
                        "--embeddings or --events)\n");
        return CLI_EXIT_USAGE;
    }
    if (file[F_BRANDS] && brand_id == SIZE_MAX) {
        fprintf(stderr, "growth audience: --brands needs --brand ID\n");
        return CLI_EXIT_USAGE;
    }
    if (file[F_CATS] && cat_id == SIZE_MAX) {
        fprintf(stderr, "growth audience: --categories needs --category ID\n");
        return CLI_EXIT_USAGE;
    }
    if (!file[F_FEATS] && !file[F_ATTR]) {
        fprintf(stderr, "growth audience: the target model needs --features (or --attributes)\n");
        return CLI_EXIT_USAGE;
    }
    if (top == 0) {
        fprintf(stderr, "growth audience: --top must be at least 1\n");
        return CLI_EXIT_USAGE;
    }

    int status = CLI_EXIT_FAILED, rc;
    aud_csv in[F_COUNT];
    memset(in, 0, sizeof in);
    sparse attr = {0}, brands = {0}, cats = {0}, feats = {0};
    uint32_t *seed = NULL, *excl = NULL, *lists[5] = {0}, *pool = NULL, *pdirs = NULL, *sel = NULL;
    float *emb = NULL, *scores = NULL, *sel_scores = NULL;
    uint32_t *ev_u = NULL;
    int64_t *ev_t = NULL;
    uint8_t *later = NULL, *excluded = NULL;
    size_t nseed = 0, nexcl = 0, lens[5] = {0};
    uint32_t dirs[5];
    size_t nlists = 0;
    FILE *out = NULL;

    /* read every file; the population size covers every user id seen */
    static const size_t shape[F_COUNT][3] = {{1, 1, 1}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {2, 65537, 1},
                                             {2, 2, 2}, {2, 3, 2}, {1, 1, 1}, {1, 1, 1}};
    int64_t mx = -1;
    for (int k = 0; k < F_COUNT; k++) {
        if (!file[k]) continue;
        if (read_csv(file[k], shape[k][0], shape[k][1], shape[k][2], &in[k]) ||
            max_user(file[k], &in[k], &mx))
            goto done;
    }
    size_t nusers = nusers_opt ? nusers_opt : (size_t)mx + 1;
    for (int k = 0; k < F_COUNT; k++)
        if (file[k] && check_users(file[k], &in[k], nusers)) goto done;

    seed = user_list(&in[F_SEED], &nseed);
    if (!seed) goto oom;
    if (file[F_ATTR] && to_sparse(file[F_ATTR], &in[F_ATTR], nusers, &attr)) goto done;
    if (file[F_BRANDS] && to_sparse(file[F_BRANDS], &in[F_BRANDS], nusers, &brands)) goto done;
    if (file[F_CATS] && to_sparse(file[F_CATS], &in[F_CATS], nusers, &cats)) goto done;
    if (file[F_FEATS] && to_sparse(file[F_FEATS], &in[F_FEATS], nusers, &feats)) goto done;

    if (file[F_ATTR]) {
        uint32_t *at = malloc(attr.ncols * sizeof *at);
        lists[nlists] = malloc(nusers * sizeof(uint32_t));
        size_t na = 0;
        if (!at || !lists[nlists]) {
            free(at);
            goto oom;
        }
        rc = growth_audience_interest(attr.ptr, attr.idx, nusers, attr.ncols, seed, nseed, cfg_interest, at,
                                      attr.ncols, &na, lists[nlists], nusers, &lens[nlists]);
        free(at);
        if (rc) {
            status = cli_fail("audience: interest", rc);
            goto done;
        }
        if (!quiet) fprintf(stderr, "interest: %zu attributes, %zu users\n", na, lens[nlists]);
        dirs[nlists++] = GROWTH_AUDIENCE_INTEREST;
    }
    if (file[F_BRANDS]) {
        uint32_t b = (uint32_t)brand_id;
        if (brand_id >= brands.ncols) {
            fprintf(stderr, "growth audience: --brand %zu does not occur in %s\n", brand_id, file[F_BRANDS]);
            goto done;
        }
        lists[nlists] = malloc(nusers * sizeof(uint32_t));
        if (!lists[nlists]) goto oom;
        rc = growth_audience_brand(brands.ptr, brands.idx, nusers, brands.ncols, &b, 1, seed, nseed,
                                   cfg_brand, lists[nlists], nusers, &lens[nlists]);
        if (rc) {
            status = cli_fail("audience: brand", rc);
            goto done;
        }
        if (!quiet) fprintf(stderr, "brand: %zu users\n", lens[nlists]);
        dirs[nlists++] = GROWTH_AUDIENCE_BRAND;
    }
    if (file[F_CATS]) {
        uint32_t c = (uint32_t)cat_id;
        if (cat_id >= cats.ncols) {
            fprintf(stderr, "growth audience: --category %zu does not occur in %s\n", cat_id, file[F_CATS]);
            goto done;
        }
        lists[nlists] = malloc(nusers * sizeof(uint32_t));
        if (!lists[nlists]) goto oom;
        rc = growth_audience_category(cats.ptr, cats.idx, nusers, cats.ncols, &c, 1, seed, nseed, cfg_rules,
                                      lists[nlists], nusers, &lens[nlists]);
        if (rc) {
            status = cli_fail("audience: category", rc);
            goto done;
        }
        if (!quiet) fprintf(stderr, "category: %zu users\n", lens[nlists]);
        dirs[nlists++] = GROWTH_AUDIENCE_CATEGORY;
    }
    if (file[F_EMB]) {
        const aud_csv *e = &in[F_EMB];
        size_t dim = e->ncols - 1;
        emb = calloc(nusers * dim, sizeof *emb);
        lists[nlists] = malloc((peers ? peers : 1) * sizeof(uint32_t));
        if (!emb || !lists[nlists]) goto oom;
        for (size_t i = 0; i < e->n; i++)
            for (size_t j = 0; j < dim; j++) emb[e->iv[i] * dim + j] = (float)e->fv[i * dim + j];
        rc = growth_audience_peer(emb, nusers, dim, seed, nseed, peers, cfg_peer, lists[nlists], NULL, peers,
                                  &lens[nlists]);
        if (rc) {
            status = cli_fail("audience: peer", rc);
            goto done;
        }
        if (!quiet) fprintf(stderr, "peer: %zu users\n", lens[nlists]);
        dirs[nlists++] = GROWTH_AUDIENCE_PEER;
    }
    if (file[F_EVENTS]) {
        const aud_csv *e = &in[F_EVENTS];
        ev_u = malloc(e->n * sizeof *ev_u);
        ev_t = malloc(e->n * sizeof *ev_t);
        lists[nlists] = malloc(nusers * sizeof(uint32_t));
        if (!ev_u || !ev_t || !lists[nlists]) goto oom;
        for (size_t i = 0; i < e->n; i++) {
            ev_u[i] = (uint32_t)e->iv[2 * i];
            ev_t[i] = e->iv[2 * i + 1];
        }
        rc = growth_audience_lost(ev_u, ev_t, e->n, nusers, cfg_lost, lists[nlists], NULL, nusers,
                                  &lens[nlists]);
        if (rc) {
            status = cli_fail("audience: lost", rc);
            goto done;
        }
        if (!quiet) fprintf(stderr, "lost: %zu users\n", lens[nlists]);
        dirs[nlists++] = GROWTH_AUDIENCE_LOST;
    }

    size_t np = 0;
    pool = malloc(nusers * sizeof *pool);
    pdirs = malloc(nusers * sizeof *pdirs);
    if (!pool || !pdirs) goto oom;
    rc = growth_audience_union((const uint32_t *const *)lists, lens, dirs, nlists, nusers, pool, pdirs,
                               nusers, &np);
    if (rc) {
        status = cli_fail("audience: union", rc);
        goto done;
    }
    if (!quiet) fprintf(stderr, "pool: %zu users\n", np);
    if (np == 0) {
        fprintf(stderr, "growth audience: the directions found no user outside the seed\n");
        goto done;
    }

    const sparse *F = file[F_FEATS] ? &feats : &attr;
    scores = malloc(np * sizeof *scores);
    if (!scores) goto oom;
    rc = growth_audience_pu_score(F->ptr, F->idx, F->val, nusers, F->ncols, seed, nseed, pool, np, cfg_model,
                                  scores, np, NULL, NULL);
    if (rc) {
        status = cli_fail("audience: target model", rc);
        goto done;
    }

    if (file[F_EXCL]) {
        excl = user_list(&in[F_EXCL], &nexcl);
        if (!excl) goto oom;
    }
    size_t ns = 0;
    size_t want = top < np ? top : np;
    if (top > np && !quiet)
        fprintf(stderr,
                "growth audience: --top %zu is larger than the pool (%zu users): keeping at most %zu\n", top,
                np, np);
    sel = malloc(want * sizeof *sel);
    sel_scores = malloc(want * sizeof *sel_scores);
    if (!sel || !sel_scores) goto oom;
    rc = growth_audience_select(pool, scores, np, excl ? excl : seed, excl ? nexcl : nseed, (float)threshold,
                                want, sel, sel_scores, want, &ns);
    if (rc) {
        status = cli_fail("audience: select", rc);
        goto done;
    }

    out = out_path ? fopen(out_path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "growth audience: %s: %s\n", out_path, strerror(errno));
        goto done;
    }
    /* directions of the selected users: pool is ascending */
    fprintf(out, "user,score,directions\n");
    for (size_t i = 0; i < ns; i++) {
        size_t lo = 0, hi = np;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (pool[mid] < sel[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        char names[64];
        dir_names(pdirs[lo], names, sizeof names);
        fprintf(out, "%u,%.6g,%s\n", sel[i], (double)sel_scores[i], names);
    }
    if (out != stdout && fclose(out) != 0) {
        out = NULL;
        fprintf(stderr, "growth audience: %s: write failed\n", out_path);
        goto done;
    }
    out = NULL;
    if (!quiet) fprintf(stderr, "selected: %zu users\n", ns);

    if (file[F_LATER]) {
        later = calloc(nusers, 1);
        excluded = calloc(nusers, 1);
        if (!later || !excluded) goto oom;
        const uint32_t *ex = excl ? excl : seed;
        size_t nx = excl ? nexcl : nseed, hits = 0, cand = 0, pos = 0;
        for (size_t i = 0; i < nx; i++) excluded[ex[i]] = 1;
        for (size_t i = 0; i < in[F_LATER].n; i++) later[in[F_LATER].iv[i]] = 1;
        for (size_t u = 0; u < nusers; u++)
            if (!excluded[u]) {
                cand++;
                pos += later[u];
            }
        for (size_t i = 0; i < ns; i++) hits += later[sel[i]];
        double p = ns ? (double)hits / (double)ns : 0, base = cand ? (double)pos / (double)cand : 0;
        fprintf(stderr, "top-%zu precision %.4f, random selection %.4f, lift %.2fx\n", ns, p, base,
                base > 0 ? p / base : 0.0);
    }
    status = CLI_EXIT_OK;
    goto done;
oom:
    fprintf(stderr, "growth audience: out of memory\n");
done:
    if (out && out != stdout) fclose(out);
    for (int k = 0; k < F_COUNT; k++) aud_csv_free(&in[k]);
    sparse_free(&attr);
    sparse_free(&brands);
    sparse_free(&cats);
    sparse_free(&feats);
    for (int k = 0; k < 5; k++) free(lists[k]);
    free(seed);
    free(excl);
    free(pool);
    free(pdirs);
    free(sel);
    free(sel_scores);
    free(emb);
    free(scores);
    free(ev_u);
    free(ev_t);
    free(later);
    free(excluded);
    return status;
}
