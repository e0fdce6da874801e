/* The recall step of `growth demo`: items get text titles, simulated shoppers type search
 * queries (some with a typo, some with a synonym), and candidates are recalled three ways
 * through the public API: BM25 over the title words (growth_text), title vectors in a cosine
 * vector index (growth_index), and both fused by reciprocal rank (growth_rank_fuse_lists). The
 * simulator knows which items each query is after, so recall@K is measured exactly, next to
 * a random-recall baseline.
 *
 * Title vectors: the DSSM word hashing (letter trigrams, growth_features_hash_text) followed by a
 * fixed random +-1 projection to VDIM dimensions: an untrained encoder shared by queries and
 * titles. It matches words by their trigrams, so it still finds "sneakrs"; BM25 matches whole
 * words only. Neither knows that "trainers" are "sneakers" (that takes a trained DSSM). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <growth/growth.h>

#include "cli.h"
#include "demo.h"

enum {
    NCOLOR = 8,
    NKIND = 3,
    NQUERY = 2000,
    RK = 20,
    CAND = 2 * RK,
    VDIM = 256,
    HASH_BUCKETS = 1 << 20,
    MAXSLOTS = 512,
    TITLE_MAX = 128,
    Q_EXACT = 0,
    Q_TYPO = 1,
    Q_SYNONYM = 2,
    NQTYPE = 3
};

static const char *COLORS[NCOLOR] = {"red", "blue", "black", "white", "pink", "green", "grey", "gold"};
/* Per category (the order of the demo's categories): three kinds of item, each as the word in
 * titles and a synonym shoppers also type. */
static const char *KINDS[DEMO_NCAT][NKIND][2] = {
    {{"sneakers", "trainers"}, {"boots", "wellies"}, {"sandals", "flipflops"}},    /* shoes */
    {{"sundress", "frock"}, {"gown", "eveningwear"}, {"skirt", "kilt"}},           /* dress */
    {{"smartphone", "mobile"}, {"charger", "adapter"}, {"earbuds", "headphones"}}, /* phone */
    {{"chips", "crisps"}, {"cookies", "biscuits"}, {"chocolate", "cocoa"}},        /* snacks */
    {{"lipstick", "rouge"}, {"moisturizer", "lotion"}, {"perfume", "fragrance"}},  /* beauty */
    {{"puzzle", "jigsaw"}, {"doll", "figurine"}, {"blocks", "bricks"}},            /* toys */
    {{"pillow", "cushion"}, {"blanket", "throw"}, {"lamp", "lantern"}},            /* home */
    {{"dumbbells", "weights"}, {"racket", "bat"}, {"jersey", "tshirt"}},           /* sports */
    {{"novel", "fiction"}, {"cookbook", "recipes"}, {"atlas", "maps"}},            /* books */
    {{"oolong", "wulong"}, {"matcha", "greentea"}, {"teapot", "kettle"}},          /* tea */
};
static const char *CATWORD[DEMO_NCAT] = {"shoes", "dress", "phone",  "snacks", "beauty",
                                         "toys",  "home",  "sports", "books",  "tea"};
static const char *MODS[] = {"new",    "classic",  "premium",    "lightweight", "summer",
                             "winter", "gift",     "bestseller", "deluxe",      "mini",
                             "pro",    "original", "soft",       "large"};
static const char *SYLL[] = {"ka", "lo", "mi", "zen", "ta",  "ro",  "vi",
                             "su", "no", "pa", "qi",  "dor", "bel", "ux"};
static const char *EXTRA[] = {"cheap", "sale", "best", "for women", "for men", "2024", "discount"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Title or query text -> VDIM floats (the index normalises them: metric=cosine). */
static int encode(const char *text, uint32_t *idx, float *val, float *out)
{
    size_t n = 0;
    int rc = growth_features_hash_text(text, HASH_BUCKETS, 0, idx, val, MAXSLOTS, &n);
    if (rc) return rc;
    memset(out, 0, VDIM * sizeof *out);
    for (size_t k = 0; k < n; k++)
        for (int blk = 0; blk < VDIM / 64; blk++) {
            uint64_t h = growth_hash64(&idx[k], sizeof idx[k], (uint64_t)blk + 1);
            for (int j = 0; j < 64; j++) out[blk * 64 + j] += (h >> j & 1) ? val[k] : -val[k];
        }
    return GROWTH_OK;
}

/* A typing error in a word of 5+ letters: a letter dropped, two swapped, or one doubled. */
static void typo(const char *word, char *out, size_t cap, demo_rng *r)
{
    size_t n = strlen(word);
    snprintf(out, cap, "%s", word);
    if (n < 5 || n + 2 > cap) return;
    size_t p = 1 + (size_t)(demo_next(r) % (n - 2));
    switch (demo_next(r) % 3) {
    case 0: memmove(out + p, out + p + 1, n - p); break;
    case 1: {
        char c = out[p];
        out[p] = out[p + 1];
        out[p + 1] = c;
        break;
    }
    default: memmove(out + p + 1, out + p, n - p + 1); break;
    }
}

static long hits(const int64_t *ids, size_t n, const int *group, long g)
{
    long h = 0;
    for (size_t k = 0; k < n; k++) h += ids[k] >= 0 && group[ids[k]] == g;
    return h;
}

int demo_recall(demo_world *w, demo_rng *r, int quiet)
{
    const size_t N = (size_t)w->items;
    const long ngroups = DEMO_NCAT * NKIND * NCOLOR;
    char *titles = malloc(N * TITLE_MAX);
    const char **tp = malloc(N * sizeof *tp);
    int *group = malloc(N * sizeof *group);
    long *gsize = calloc((size_t)ngroups, sizeof *gsize);
    int64_t *ids = malloc(N * sizeof *ids);
    float *vec = malloc(N * VDIM * sizeof *vec), *qv = malloc((size_t)NQUERY * VDIM * sizeof *qv);
    char *qtext = malloc((size_t)NQUERY * TITLE_MAX);
    int *qgroup = malloc(NQUERY * sizeof *qgroup), *qtype = malloc(NQUERY * sizeof *qtype);
    int64_t *vids = malloc((size_t)NQUERY * CAND * sizeof *vids), *perm = malloc(N * sizeof *perm);
    uint32_t slots[MAXSLOTS];
    float counts[MAXSLOTS];
    int rc = GROWTH_OK;
    growth_text_index *tix = NULL;
    growth_index *vix = NULL;
    if (!titles || !tp || !group || !gsize || !ids || !vec || !qv || !qtext || !qgroup || !qtype || !vids ||
        !perm) {
        fprintf(stderr, "growth demo: out of memory\n");
        rc = GROWTH_ENOMEM;
        goto done;
    }
    /* Titles: brand, colour, kind, two selling words and the category. */
    for (size_t i = 0; i < N; i++) {
        int cat = w->i_cat[i], kind = (int)(demo_next(r) % NKIND), color = (int)(demo_next(r) % NCOLOR);
        group[i] = (cat * NKIND + kind) * NCOLOR + color;
        gsize[group[i]]++;
        ids[i] = (int64_t)i;
        tp[i] = titles + i * TITLE_MAX;
        snprintf(titles + i * TITLE_MAX, TITLE_MAX, "%s%s %s %s %s %s %s", SYLL[demo_next(r) % COUNT(SYLL)],
                 SYLL[demo_next(r) % COUNT(SYLL)], COLORS[color], KINDS[cat][kind][0],
                 MODS[demo_next(r) % COUNT(MODS)], MODS[demo_next(r) % COUNT(MODS)], CATWORD[cat]);
    }
    /* Queries: a shopper looks for the colour and kind of an item (popular items more often);
     * 20% mistype the kind, 10% use its synonym; some add a word no title has. */
    long ntype[NQTYPE] = {0};
    for (int q = 0; q < NQUERY; q++) {
        double b = demo_unif(r);
        size_t i = (size_t)((double)N * b * b);
        int g = group[i], color = g % NCOLOR, kind = (g / NCOLOR) % NKIND, cat = g / (NCOLOR * NKIND);
        double u = demo_unif(r);
        int type = u < 0.1 ? Q_SYNONYM : u < 0.3 ? Q_TYPO : Q_EXACT;
        char word[32]; /* the longest kind word is 11 letters */
        if (type == Q_TYPO)
            typo(KINDS[cat][kind][0], word, sizeof word, r);
        else
            snprintf(word, sizeof word, "%s", KINDS[cat][kind][type == Q_SYNONYM]);
        if (type == Q_TYPO && strcmp(word, KINDS[cat][kind][0]) == 0)
            type = Q_EXACT; /* too short to mistype */
        const char *extra = demo_unif(r) < 0.3 ? EXTRA[demo_next(r) % COUNT(EXTRA)] : NULL;
        char *s = qtext + (size_t)q * TITLE_MAX;
        int color_first = demo_unif(r) < 0.7;
        snprintf(s, TITLE_MAX, "%s %s%s%s", color_first ? COLORS[color] : word,
                 color_first ? word : COLORS[color], extra ? " " : "", extra ? extra : "");
        qgroup[q] = g;
        qtype[q] = type;
        ntype[type]++;
    }

    /* Index the titles both ways. */
    double t0 = now_s();
    if ((rc = growth_text_create(&tix, "k1=1.2 b=0.75")) || (rc = growth_text_add(tix, ids, tp, N))) {
        cli_fail("demo: text index", rc);
        goto done;
    }
    double t_bm25 = now_s() - t0;
    t0 = now_s();
    for (size_t i = 0; i < N && !rc; i++) rc = encode(tp[i], slots, counts, vec + i * VDIM);
    char cfg[96];
    snprintf(cfg, sizeof cfg, "dim=%d metric=cosine kind=flat", VDIM);
    if (rc || (rc = growth_index_create(&vix, cfg)) || (rc = growth_index_add(vix, vec, N, ids))) {
        cli_fail("demo: vector index", rc);
        goto done;
    }
    double t_vec = now_s() - t0;

    /* Recall: top CAND from each side, fused to RK; recall@RK = found relevant / relevant. */
    enum { M_RANDOM, M_BM25, M_VEC, M_FUSED, NM };
    static const char *mname[NM] = {"random", "BM25", "vectors", "fused"};
    static const char *mdesc[NM] = {"random items", "title words (growth_text)",
                                    "title trigram vectors (growth_index)",
                                    "BM25 + vectors, RRF (growth_rank_fuse_lists)"};
    double rsum[NM][NQTYPE] = {{0}}, qsecs[NM] = {0};
    t0 = now_s();
    for (int q = 0; q < NQUERY && !rc; q++)
        rc = encode(qtext + (size_t)q * TITLE_MAX, slots, counts, qv + (size_t)q * VDIM);
    if (!rc) rc = growth_index_search_batch(vix, qv, NQUERY, CAND, NULL, vids, NULL, (size_t)NQUERY * CAND);
    qsecs[M_VEC] = now_s() - t0;
    if (rc) {
        cli_fail("demo: vector search", rc);
        goto done;
    }
    for (size_t i = 0; i < N; i++) perm[i] = (int64_t)i;
    int example = -1;
    long ex_hits[NM] = {0};
    for (int q = 0; q < NQUERY; q++) {
        int64_t bids[CAND], fids[RK];
        size_t nb = 0, nv = 0, nf = 0;
        const char *text = qtext + (size_t)q * TITLE_MAX;
        t0 = now_s();
        rc = growth_text_search(tix, text, CAND, NULL, bids, NULL, CAND, &nb);
        qsecs[M_BM25] += now_s() - t0;
        if (rc) {
            cli_fail("demo: text search", rc);
            goto done;
        }
        const int64_t *vq = vids + (size_t)q * CAND;
        while (nv < CAND && vq[nv] >= 0) nv++;
        const int64_t *lists[2] = {bids, vq};
        size_t lens[2] = {nb, nv};
        t0 = now_s();
        rc = growth_rank_fuse_lists(lists, NULL, lens, NULL, 2, RK, "method=rrf", fids, NULL, RK, &nf);
        qsecs[M_FUSED] += now_s() - t0;
        if (rc) {
            cli_fail("demo: fuse", rc);
            goto done;
        }
        /* random: RK distinct items (partial Fisher-Yates) */
        size_t nr = (size_t)RK < N ? (size_t)RK : N;
        for (size_t k = 0; k < nr; k++) {
            size_t j = k + (size_t)(demo_next(r) % (N - k));
            int64_t tmp = perm[k];
            perm[k] = perm[j];
            perm[j] = tmp;
        }
        long g = qgroup[q], h[NM];
        h[M_RANDOM] = hits(perm, nr, group, g);
        h[M_BM25] = hits(bids, nb < RK ? nb : RK, group, g);
        h[M_VEC] = hits(vq, nv < RK ? nv : RK, group, g);
        h[M_FUSED] = hits(fids, nf, group, g);
        for (int m = 0; m < NM; m++) rsum[m][qtype[q]] += (double)h[m] / (double)gsize[g];
        if (example < 0 && qtype[q] == Q_TYPO && gsize[g] >= 3 && h[M_VEC] > h[M_BM25]) {
            example = q;
            memcpy(ex_hits, h, sizeof h);
        }
    }
    qsecs[M_FUSED] += qsecs[M_BM25] + qsecs[M_VEC];

    demo_out("\nRecall: %zu item titles (e.g. \"%s\"), %d search queries (%ld exact, %ld with a typo, "
             "%ld with a synonym)\n",
             N, tp[0], NQUERY, ntype[Q_EXACT], ntype[Q_TYPO], ntype[Q_SYNONYM]);
    demo_out("  indexed in %.0f ms (BM25) and %.0f ms (%d-d letter-trigram vectors, flat cosine index); "
             "relevant = items of the query's kind and colour\n",
             1e3 * t_bm25, 1e3 * t_vec, VDIM);
    demo_out("  %-8s %9s %8s %8s %8s %10s  %s\n", "method", "recall@20", "exact", "typo", "synonym",
             "queries/s", "");
    FILE *rf = demo_report_open("recall.csv");
    if (rf) fprintf(rf, "method,all,exact,typo,synonym\n");
    for (int m = 0; m < NM; m++) {
        double all = (rsum[m][0] + rsum[m][1] + rsum[m][2]) / NQUERY, by[NQTYPE];
        for (int t = 0; t < NQTYPE; t++) by[t] = ntype[t] ? rsum[m][t] / (double)ntype[t] : NAN;
        char qps[32] = "-";
        if (m != M_RANDOM && qsecs[m] > 0) snprintf(qps, sizeof qps, "%.0f", NQUERY / qsecs[m]);
        demo_out("  %-8s %9.4f %8.4f %8.4f %8.4f %10s  %s\n", mname[m], all, by[0], by[1], by[2], qps,
                 mdesc[m]);
        if (rf) fprintf(rf, "%s,%.6f,%.6f,%.6f,%.6f\n", mname[m], all, by[0], by[1], by[2]);
    }
    if (rf) fclose(rf);
    demo_out("  (RRF gives both lists equal say: it keeps BM25's precision on exact queries but mixes its\n"
             "  colour-only matches into typo queries; synonyms need a trained DSSM, see python3 -m "
             "growth.contrib.dssm_train)\n");
    if (example >= 0)
        demo_out("  e.g. \"%s\": %ld of %ld relevant items by BM25, %ld by vectors, %ld fused\n",
                 qtext + (size_t)example * TITLE_MAX, ex_hits[M_BM25], gsize[qgroup[example]], ex_hits[M_VEC],
                 ex_hits[M_FUSED]);
    rc = GROWTH_OK;
done:
    (void)quiet;
    growth_text_free(tix);
    growth_index_free(vix);
    free(titles);
    free(tp);
    free(group);
    free(gsize);
    free(ids);
    free(vec);
    free(qv);
    free(qtext);
    free(qgroup);
    free(qtype);
    free(vids);
    free(perm);
    return rc ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
