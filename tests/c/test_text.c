/* Text recall: BM25 against the direct formula on hand-tokenised English and Chinese texts,
 * top-K against brute force (with filters), incremental add/delete against a fresh index,
 * persistence and corrupted files, fusion and pre-ranking against hand computations, bad input. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

/* ---- reference BM25 over explicit token lists ------------------------------------------- */

#define MAXTOK 16

typedef struct {
    int64_t id;
    const char *text;
    const char *tok[MAXTOK]; /* the tokens the documented rules give, NULL-terminated */
} ref_doc;

static size_t ntok(const char *const *t)
{
    size_t n = 0;
    while (n < MAXTOK && t[n]) n++;
    return n;
}

static double ref_bm25(const ref_doc *docs, size_t nd, const char *const *q, size_t di, double k1, double b)
{
    double N = (double)nd, total = 0;
    for (size_t d = 0; d < nd; d++) total += (double)ntok(docs[d].tok);
    double avgdl = total / N;
    double s = 0;
    size_t nq = ntok(q);
    for (size_t i = 0; i < nq; i++) {
        bool dup = false;
        for (size_t j = 0; j < i; j++) dup |= strcmp(q[i], q[j]) == 0;
        if (dup) continue;
        double df = 0;
        for (size_t d = 0; d < nd; d++) {
            bool has = false;
            for (size_t t = 0; t < ntok(docs[d].tok); t++) has |= strcmp(docs[d].tok[t], q[i]) == 0;
            df += has;
        }
        double tf = 0;
        for (size_t t = 0; t < ntok(docs[di].tok); t++) tf += strcmp(docs[di].tok[t], q[i]) == 0;
        if (tf == 0) continue;
        double idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
        double dl = (double)ntok(docs[di].tok);
        s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl));
    }
    return s;
}

static const ref_doc corpus[] = {
    {10, "Red summer DRESS, red!", {"red", "summer", "dress", "red"}},
    {11, "blue dress", {"blue", "dress"}},
    {12, "红色连衣裙 夏季", {"红色", "色连", "连衣", "衣裙", "夏季"}},
    {13, "iPhone15手机壳 包邮", {"iphone15", "手机", "机壳", "包邮"}},
    {14, "连衣裙，red", {"连衣", "衣裙", "red"}},
    {15, "鞋", {"鞋"}},
    {16, "summer sale: shoes & dress\t(new)", {"summer", "sale", "shoes", "dress", "new"}},
    {17, "手机【正品】", {"手机", "正品"}},
    {18, "Café crème brûlée", {"café", "crème", "brûlée"}},
    {19, "", {NULL}},
};
#define NCORPUS (sizeof corpus / sizeof corpus[0])

static const struct { const char *q; const char *tok[MAXTOK]; } queries[] = {
    {"red dress", {"red", "dress"}},
    {"连衣裙", {"连衣", "衣裙"}},
    {"手机壳", {"手机", "机壳"}},
    {"鞋 summer", {"鞋", "summer"}},
    {"RED red Red", {"red", "red", "red"}},
    {"夏季连衣裙!", {"夏季", "季连", "连衣", "衣裙"}},
    {"crème", {"crème"}},
    {"nothing-here", {"nothing", "here"}},
};
#define NQUERIES (sizeof queries / sizeof queries[0])

static growth_text_index *build_corpus(const char *config)
{
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, config));
    int64_t ids[NCORPUS];
    const char *texts[NCORPUS];
    for (size_t i = 0; i < NCORPUS; i++) { ids[i] = corpus[i].id; texts[i] = corpus[i].text; }
    CHECK_OK(growth_text_add(ix, ids, texts, NCORPUS));
    return ix;
}

TEST(test_bm25_equals_direct_formula)
{
    const double params[][2] = {{1.2, 0.75}, {2.0, 0.3}, {0.0, 0.5}, {1.5, 1.0}, {1.2, 0.0}};
    for (size_t pi = 0; pi < sizeof params / sizeof params[0]; pi++) {
        char cfg[64];
        snprintf(cfg, sizeof cfg, "k1=%g b=%g", params[pi][0], params[pi][1]);
        growth_text_index *ix = build_corpus(cfg);
        uint64_t docs = 0;
        CHECK_OK(growth_text_count(ix, &docs, NULL, NULL));
        CHECK(docs == NCORPUS);
        for (size_t qi = 0; qi < NQUERIES; qi++) {
            int64_t all[NCORPUS];
            float got[NCORPUS];
            for (size_t d = 0; d < NCORPUS; d++) all[d] = corpus[d].id;
            CHECK_OK(growth_text_score(ix, queries[qi].q, all, NCORPUS, got, NCORPUS));
            size_t nonzero = 0;
            for (size_t d = 0; d < NCORPUS; d++) {
                double ref = ref_bm25(corpus, NCORPUS, queries[qi].tok, d, params[pi][0], params[pi][1]);
                CHECK_NEAR(got[d], ref, 1e-5 * (1 + ref));
                nonzero += ref > 0;
            }
            /* search returns exactly the documents with a shared term, best first */
            int64_t ids[NCORPUS];
            float sc[NCORPUS];
            size_t found = 99;
            CHECK_OK(growth_text_search(ix, queries[qi].q, NCORPUS, NULL, ids, sc, NCORPUS, &found));
            size_t has_term = 0;
            for (size_t d = 0; d < NCORPUS; d++) {
                bool h = false;
                for (size_t t = 0; t < ntok(queries[qi].tok); t++)
                    for (size_t u = 0; u < ntok(corpus[d].tok); u++)
                        h |= strcmp(queries[qi].tok[t], corpus[d].tok[u]) == 0;
                has_term += h;
            }
            CHECK(found == has_term);
            if (params[pi][0] > 0) CHECK(found == nonzero);
            for (size_t i = 0; i < found; i++) {
                size_t d = 0;
                while (d < NCORPUS && corpus[d].id != ids[i]) d++;
                CHECK(d < NCORPUS);
                if (d == NCORPUS) continue;
                CHECK_NEAR(sc[i], ref_bm25(corpus, NCORPUS, queries[qi].tok, d, params[pi][0], params[pi][1]), 1e-5);
                if (i) CHECK(sc[i] < sc[i - 1] || (sc[i] == sc[i - 1] && ids[i] > ids[i - 1]));
            }
        }
        growth_text_free(ix);
    }
    /* ngram=1: single characters; ngram=3 and a short run gives the whole run */
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, "ngram=1"));
    int64_t id = 1;
    const char *t = "连衣裙";
    CHECK_OK(growth_text_add(ix, &id, &t, 1));
    uint64_t terms = 0;
    CHECK_OK(growth_text_count(ix, NULL, &terms, NULL));
    CHECK(terms == 3);
    size_t found = 0;
    int64_t out[4];
    CHECK_OK(growth_text_search(ix, "衣", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 1);
    growth_text_free(ix);
    CHECK_OK(growth_text_create(&ix, "ngram=3"));
    const char *t2[] = {"手机 连衣裙子"};
    CHECK_OK(growth_text_add(ix, &id, t2, 1));
    CHECK_OK(growth_text_count(ix, NULL, &terms, NULL));
    CHECK(terms == 3); /* 手机, 连衣裙, 衣裙子 */
    CHECK_OK(growth_text_search(ix, "手机", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 1);
    CHECK_OK(growth_text_search(ix, "连衣", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 0);
    growth_text_free(ix);
    /* terms of different lengths never share a hash (growth_hash64 alone gives "w1" == "w10") */
    CHECK_OK(growth_text_create(&ix, NULL));
    int64_t hid[4] = {1, 2, 3, 4};
    const char *ht[4] = {"w1", "w10", "w3", "w32"};
    CHECK_OK(growth_text_add(ix, hid, ht, 4));
    CHECK_OK(growth_text_count(ix, NULL, &terms, NULL));
    CHECK(terms == 4);
    CHECK_OK(growth_text_search(ix, "w1", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 1 && out[0] == 1);
    growth_text_free(ix);
}

/* ---- random corpus: tokens are whole words, so the reference works on word numbers ------- */

#define VOCAB 60
static const char *vocab_word(int w, char *buf)
{
    static const char *cjk[] = {"手机", "连衣", "衣裙", "夏季", "红色", "包邮", "正品", "女装", "男鞋", "运动"};
    if (w < 10) return cjk[w];
    snprintf(buf, 16, "w%d", w);
    return buf;
}

typedef struct {
    size_t n;
    int64_t *ids;
    int (*words)[12];
    int *len;
    char **texts;
    bool *live;
} rcorpus;

static void rc_make(rcorpus *c, size_t n, uint64_t seed)
{
    grng r;
    grng_seed(&r, seed);
    c->n = n;
    c->ids = malloc(n * sizeof *c->ids);
    c->words = malloc(n * sizeof *c->words);
    c->len = malloc(n * sizeof *c->len);
    c->texts = malloc(n * sizeof *c->texts);
    c->live = malloc(n * sizeof *c->live);
    for (size_t i = 0; i < n; i++) {
        c->ids[i] = (int64_t)(i * 7 + 3);
        c->len[i] = 1 + (int)grng_below(&r, 12);
        c->texts[i] = malloc(12 * 20);
        c->texts[i][0] = 0;
        for (int j = 0; j < c->len[i]; j++) {
            double u = grng_uniform(&r);
            int w = (int)(VOCAB * u * u); /* skewed word frequencies */
            c->words[i][j] = w;
            char buf[16];
            strcat(c->texts[i], j ? (grng_below(&r, 2) ? " " : ", ") : "");
            strcat(c->texts[i], vocab_word(w, buf));
        }
        c->live[i] = true;
    }
}

static void rc_free(rcorpus *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->texts[i]);
    free(c->ids); free(c->words); free(c->len); free(c->texts); free(c->live);
}

/* Reference scores of every document (0 for dead ones) for query word set q (distinct). */
static void rc_scores(const rcorpus *c, const int *q, int nq, double k1, double b, double *out)
{
    double N = 0, total = 0, df[VOCAB] = {0};
    for (size_t i = 0; i < c->n; i++) {
        if (!c->live[i]) continue;
        N++;
        total += c->len[i];
        bool seen[VOCAB] = {false};
        for (int j = 0; j < c->len[i]; j++) seen[c->words[i][j]] = true;
        for (int w = 0; w < VOCAB; w++) df[w] += seen[w];
    }
    double avgdl = total / N;
    for (size_t i = 0; i < c->n; i++) {
        out[i] = 0;
        if (!c->live[i]) continue;
        for (int a = 0; a < nq; a++) {
            double tf = 0;
            for (int j = 0; j < c->len[i]; j++) tf += c->words[i][j] == q[a];
            if (!tf) continue;
            double idf = log(1 + (N - df[q[a]] + 0.5) / (df[q[a]] + 0.5));
            out[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * c->len[i] / avgdl));
        }
    }
}

typedef struct { double s; int64_t id; } rhit;
static int cmp_rhit(const void *a, const void *b)
{
    const rhit *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int keep_even(int64_t id, void *user) { (void)user; return id % 2 == 0; }

/* Compares a search with brute force: same scores rank by rank, same ids except among ties. */
static void check_topk(growth_text_index *ix, const rcorpus *c, const int *q, int nq, size_t k,
                       const growth_id_filter *f, int mode)
{
    char query[256] = "", buf[16];
    for (int a = 0; a < nq; a++) {
        strcat(query, a ? " " : "");
        strcat(query, vocab_word(q[a], buf));
    }
    double *s = malloc(c->n * sizeof *s);
    rhit *h = malloc(c->n * sizeof *h);
    rc_scores(c, q, nq, 1.2, 0.75, s);
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->live[i] || s[i] <= 0) continue;
        int64_t id = c->ids[i];
        if (mode == 1 && !(id % 3 == 0)) continue;               /* allow-list: multiples of 3 */
        if (mode == 2 && !(id < 4000 && (id % 5) != 0)) continue; /* bitmap */
        if (mode == 3 && id % 2) continue;                       /* callback */
        h[m].s = s[i];
        h[m].id = id;
        m++;
    }
    qsort(h, m, sizeof *h, cmp_rhit);
    int64_t *ids = malloc(k * sizeof *ids);
    float *sc = malloc(k * sizeof *sc);
    size_t found = 0;
    CHECK_OK(growth_text_search(ix, query, k, f, ids, sc, k, &found));
    size_t want = m < k ? m : k;
    CHECK(found == want);
    for (size_t i = 0; i < found && i < want; i++) {
        CHECK_NEAR(sc[i], h[i].s, 1e-4);
        if (fabs(h[i].s - (i + 1 < m ? h[i + 1].s : -1)) > 1e-9 && (i == 0 || fabs(h[i].s - h[i - 1].s) > 1e-9))
            CHECK(ids[i] == h[i].id);
    }
    free(s); free(h); free(ids); free(sc);
}

TEST(test_topk_equals_brute_force_with_filters)
{
    rcorpus c;
    rc_make(&c, 3000, 7);
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, NULL));
    CHECK_OK(growth_text_add(ix, c.ids, (const char *const *)c.texts, c.n));
    /* filters */
    int64_t *allow = malloc(c.n * sizeof *allow);
    size_t na = 0;
    for (size_t i = 0; i < c.n; i++) if (c.ids[i] % 3 == 0) allow[na++] = c.ids[i];
    uint8_t bitmap[500] = {0};
    for (int64_t id = 0; id < 4000; id++) if (id % 5) bitmap[id / 8] |= (uint8_t)(1u << (id % 8));
    growth_id_filter fa = {sizeof fa, 0, allow, na, NULL, 0, NULL, NULL};
    growth_id_filter fb = {sizeof fb, 0, NULL, 0, bitmap, 4000, NULL, NULL};
    growth_id_filter fc = {sizeof fc, 0, NULL, 0, NULL, 0, keep_even, NULL};
    grng r;
    grng_seed(&r, 99);
    for (int t = 0; t < 60; t++) {
        int nq = 1 + (int)grng_below(&r, 4), q[4];
        for (int a = 0; a < nq; a++) {
            bool dup;
            do {
                q[a] = (int)grng_below(&r, VOCAB);
                dup = false;
                for (int b2 = 0; b2 < a; b2++) dup |= q[b2] == q[a];
            } while (dup);
        }
        size_t k = t % 3 == 0 ? 1 : (t % 3 == 1 ? 10 : 500);
        check_topk(ix, &c, q, nq, k, NULL, 0);
        check_topk(ix, &c, q, nq, k, &fa, 1);
        check_topk(ix, &c, q, nq, k, &fb, 2);
        check_topk(ix, &c, q, nq, k, &fc, 3);
    }
    free(allow);
    growth_text_free(ix);
    rc_free(&c);
}

static void check_same_results(growth_text_index *a, growth_text_index *b, const char *q)
{
    int64_t ia[50], ib[50];
    float sa[50], sb[50];
    size_t fa = 0, fb = 1;
    CHECK_OK(growth_text_search(a, q, 50, NULL, ia, sa, 50, &fa));
    CHECK_OK(growth_text_search(b, q, 50, NULL, ib, sb, 50, &fb));
    CHECK(fa == fb);
    for (size_t i = 0; i < fa && i < fb; i++) {
        CHECK(ia[i] == ib[i]);
        CHECK(sa[i] == sb[i]);
    }
}

TEST(test_incremental_equals_fresh_index)
{
    rcorpus c;
    rc_make(&c, 2000, 3);
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, NULL));
    for (size_t s = 0; s < c.n; s += 500)
        CHECK_OK(growth_text_add(ix, c.ids + s, (const char *const *)c.texts + s, 500));
    /* delete ~40% in several calls (automatic compaction kicks in on the way) */
    grng r;
    grng_seed(&r, 5);
    for (int round = 0; round < 4; round++) {
        int64_t del[300];
        size_t nd = 0;
        for (size_t i = 0; i < c.n && nd < 200; i++)
            if (c.live[i] && grng_below(&r, 10) < 2) { del[nd++] = c.ids[i]; c.live[i] = false; }
        CHECK_OK(growth_text_remove(ix, del, nd));
    }
    /* re-add some deleted ids with new texts */
    int64_t re_ids[20];
    const char *re_texts[20];
    size_t nre = 0;
    for (size_t i = 0; i < c.n && nre < 20; i++)
        if (!c.live[i]) { re_ids[nre] = c.ids[i]; re_texts[nre] = "w1 w2 手机 fresh"; nre++; }
    CHECK_OK(growth_text_add(ix, re_ids, re_texts, nre));
    /* fresh index of what remains, in the same order */
    growth_text_index *fresh = NULL;
    CHECK_OK(growth_text_create(&fresh, NULL));
    for (size_t i = 0; i < c.n; i++)
        if (c.live[i]) CHECK_OK(growth_text_add(fresh, &c.ids[i], (const char *const *)&c.texts[i], 1));
    CHECK_OK(growth_text_add(fresh, re_ids, re_texts, nre));
    uint64_t d1, t1, d2, t2;
    CHECK_OK(growth_text_count(ix, &d1, &t1, NULL));
    CHECK_OK(growth_text_count(fresh, &d2, &t2, NULL));
    CHECK(d1 == d2 && t1 == t2);
    const char *qs[] = {"w1", "手机 w2", "连衣裙", "fresh w3 w7", "w0 w1 w2 w3 w4 w5", "夏季 w40"};
    for (size_t i = 0; i < 6; i++) check_same_results(ix, fresh, qs[i]);
    CHECK_OK(growth_text_compact(ix));
    uint64_t p1, p2;
    CHECK_OK(growth_text_count(ix, NULL, NULL, &p1));
    CHECK_OK(growth_text_count(fresh, NULL, NULL, &p2));
    CHECK(p1 == p2);
    for (size_t i = 0; i < 6; i++) check_same_results(ix, fresh, qs[i]);
    /* deleting everything leaves an empty, usable index */
    int64_t *all = malloc(c.n * sizeof *all);
    size_t na = 0;
    for (size_t i = 0; i < c.n; i++) if (c.live[i]) all[na++] = c.ids[i];
    for (size_t i = 0; i < nre; i++) all[na++] = re_ids[i];
    CHECK_OK(growth_text_remove(ix, all, na));
    CHECK_OK(growth_text_count(ix, &d1, &t1, &p1));
    CHECK(d1 == 0 && t1 == 0 && p1 == 0);
    size_t found = 9;
    int64_t out[5];
    CHECK_OK(growth_text_search(ix, "w1", 5, NULL, out, NULL, 5, &found));
    CHECK(found == 0);
    free(all);
    growth_text_free(ix);
    growth_text_free(fresh);
    rc_free(&c);
}

TEST(test_save_load_and_corrupted_files)
{
    growth_text_index *ix = build_corpus("k1=1.5 b=0.6");
    int64_t gone = 11;
    CHECK_OK(growth_text_remove(ix, &gone, 1));
    char path[512], bad[512];
    gt_path(path, sizeof path, "text_index.tix");
    gt_path(bad, sizeof bad, "text_index_bad.tix");
    CHECK_OK(growth_text_save(ix, path));
    int kind = 0;
    CHECK_OK(growth_model_kind(path, &kind, NULL));
    CHECK(kind == GROWTH_KIND_TEXT_INDEX);
    growth_text_index *lx = NULL;
    CHECK_OK(growth_text_load(&lx, path));
    char c1[256], c2[256];
    CHECK_OK(growth_text_config(ix, c1, sizeof c1, NULL));
    CHECK_OK(growth_text_config(lx, c2, sizeof c2, NULL));
    CHECK(strcmp(c1, c2) == 0);
    CHECK(strstr(c2, "k1=1.5") != NULL);
    for (size_t q = 0; q < NQUERIES; q++) check_same_results(ix, lx, queries[q].q);
    /* the loaded index keeps working incrementally */
    int64_t nid = 500;
    const char *nt = "red dress 连衣裙";
    CHECK_OK(growth_text_add(lx, &nid, &nt, 1));
    CHECK_OK(growth_text_add(ix, &nid, &nt, 1));
    CHECK_RC(growth_text_add(lx, &nid, &nt, 1), GROWTH_EINVAL);
    for (size_t q = 0; q < NQUERIES; q++) check_same_results(ix, lx, queries[q].q);
    /* in memory */
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_text_serialize(ix, &buf, &len));
    growth_text_index *mx = NULL;
    CHECK_OK(growth_text_deserialize(&mx, buf, len));
    for (size_t q = 0; q < NQUERIES; q++) check_same_results(ix, mx, queries[q].q);
    growth_text_free(mx);
    /* truncated, corrupted, wrong kind */
    for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 37)) {
        mx = NULL;
        CHECK_RC(growth_text_deserialize(&mx, buf, cut), GROWTH_EFORMAT);
        CHECK(mx == NULL);
    }
    for (size_t pos = 0; pos < len; pos += 13) {
        buf[pos] ^= 0x40;
        CHECK_RC(growth_text_deserialize(&mx, buf, len), GROWTH_EFORMAT);
        buf[pos] ^= 0x40;
    }
    FILE *f = fopen(bad, "wb");
    fwrite(buf, 1, len / 2, f);
    fclose(f);
    CHECK_RC(growth_text_load(&mx, bad), GROWTH_EFORMAT);
    CHECK_MSG("growth_text_load");
    growth_ftrl *m = NULL;
    CHECK_OK(growth_ftrl_create(&m, "bits=4"));
    CHECK_OK(growth_ftrl_save(m, bad));
    growth_ftrl_free(m);
    CHECK_RC(growth_text_load(&mx, bad), GROWTH_EFORMAT);
    CHECK_MSG("ftrl");
    CHECK_RC(growth_text_load(&mx, "/nonexistent/dir/x.tix"), GROWTH_EIO);
    growth_buffer_free(buf);
    /* an empty index round-trips */
    growth_text_index *ex = NULL;
    CHECK_OK(growth_text_create(&ex, NULL));
    CHECK_OK(growth_text_serialize(ex, &buf, &len));
    growth_text_free(ex);
    ex = NULL;
    CHECK_OK(growth_text_deserialize(&ex, buf, len));
    uint64_t d = 9;
    CHECK_OK(growth_text_count(ex, &d, NULL, NULL));
    CHECK(d == 0);
    growth_text_free(ex);
    growth_buffer_free(buf);
    unlink(path);
    unlink(bad);
    growth_text_free(ix);
    growth_text_free(lx);
}

TEST(test_fuse_against_hand_computation)
{
    const int64_t a_ids[] = {1, 2, 3, 2};        /* 2 repeated: counts once, at rank 2 */
    const float a_sc[] = {9.0f, 5.0f, 1.0f, 0.5f};
    const int64_t b_ids[] = {3, 4, 1};
    const float b_sc[] = {0.9f, 0.8f, 0.05f};
    const int64_t *ids[] = {a_ids, b_ids};
    const float *sc[] = {a_sc, b_sc};
    const size_t lens[] = {4, 3};
    int64_t out[8];
    float os[8];
    size_t found = 0;
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 8, "method=rrf rrf_k=60", out, os, 8, &found));
    CHECK(found == 4);
    /* 1: 1/61 + 1/63; 3: 1/63 + 1/61; 2: 1/62; 4: 1/62 */
    double s1 = 1.0 / 61 + 1.0 / 63, s2 = 1.0 / 62;
    CHECK(out[0] == 1 && out[1] == 3 && out[2] == 2 && out[3] == 4);
    CHECK_NEAR(os[0], s1, 1e-7);
    CHECK_NEAR(os[1], s1, 1e-7);
    CHECK_NEAR(os[2], s2, 1e-7);
    CHECK_NEAR(os[3], s2, 1e-7);
    const double w[] = {1.0, 2.0};
    CHECK_OK(growth_rank_fuse_lists(ids, NULL, lens, w, 2, 2, "method=rrf rrf_k=1", out, os, 2, &found));
    /* 1: 1/2 + 2/4 = 1.0; 3: 1/4 + 2/2 = 1.25; 4: 2/3; 2: 1/3 */
    CHECK(found == 2 && out[0] == 3 && out[1] == 1);
    CHECK_NEAR(os[0], 1.25, 1e-7);
    CHECK_NEAR(os[1], 1.0, 1e-7);
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens, w, 2, 8, "method=weighted", out, os, 8, &found));
    /* minmax: a: (s - 0.5) / 8.5 -> 1: 1, 2: 4.5/8.5, 3: 0.5/8.5; b: (s - 0.05) / 0.85 -> 3: 1, 4: 0.75/0.85, 1: 0 */
    double e1 = 1.0, e2 = 4.5 / 8.5, e3 = 0.5 / 8.5 + 2.0, e4 = 2 * 0.75 / 0.85;
    CHECK(found == 4 && out[0] == 3 && out[1] == 4 && out[2] == 1 && out[3] == 2);
    CHECK_NEAR(os[0], e3, 1e-6);
    CHECK_NEAR(os[1], e4, 1e-6);
    CHECK_NEAR(os[2], e1, 1e-6);
    CHECK_NEAR(os[3], e2, 1e-6);
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 1, "method=weighted norm=none", out, os, 1, &found));
    CHECK(out[0] == 1); /* 9 + 0.05 */
    CHECK_NEAR(os[0], 9.05, 1e-5);
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 1, "method=weighted norm=max", out, os, 1, &found));
    CHECK(out[0] == 3); /* 1/9 + 1 > 1 + 0.05/0.9 */
    CHECK_NEAR(os[0], 1.0 / 9 + 1, 1e-6);
    /* an empty list and a single list */
    const size_t lens0[] = {0, 3};
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens0, NULL, 2, 3, NULL, out, os, 3, &found));
    CHECK(found == 3 && out[0] == 3 && out[1] == 4 && out[2] == 1);
    /* bad input */
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 3, "method=borda", out, os, 3, &found), GROWTH_EINVAL);
    CHECK_MSG("method");
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 3, "rrf_k=0", out, os, 3, &found), GROWTH_EINVAL);
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 3, NULL, out, os, 2, &found), GROWTH_EBUFS);
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 0, NULL, out, os, 2, &found), GROWTH_EINVAL);
    CHECK_RC(growth_rank_fuse_lists(ids, NULL, lens, NULL, 2, 3, "method=weighted", out, os, 3, &found), GROWTH_EINVAL);
    const double wneg[] = {1, -1};
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, wneg, 2, 3, NULL, out, os, 3, &found), GROWTH_EINVAL);
    CHECK_MSG("growth_rank_fuse_lists");
    const float nan_sc[] = {NAN, 1, 1, 1};
    const float *scn[] = {nan_sc, b_sc};
    CHECK_RC(growth_rank_fuse_lists(ids, scn, lens, NULL, 2, 3, "method=weighted", out, os, 3, &found), GROWTH_EINVAL);
}

TEST(test_prerank)
{
    const float x[] = {1, 0, 0, 1, 1, 1, 2, -1, 0.5f, 0.5f};
    const float w[] = {2, -1};
    const int64_t ids[] = {100, 101, 102, 103, 104};
    int64_t out[5];
    float sc[5];
    size_t found = 0;
    /* scores: 100: 2+0.5, 101: -1+0.5, 102: 1+0.5, 103: 5+0.5, 104: 0.5+0.5 */
    CHECK_OK(growth_rank_prerank(x, 5, 2, ids, w, 0.5f, 3, out, sc, 3, &found));
    CHECK(found == 3 && out[0] == 103 && out[1] == 100 && out[2] == 102);
    CHECK_NEAR(sc[0], 5.5, 1e-6);
    CHECK_OK(growth_rank_prerank(x, 5, 2, NULL, w, 0.0f, 10, out, sc, 5, &found));
    CHECK(found == 5 && out[0] == 3 && out[4] == 1);
    CHECK_RC(growth_rank_prerank(x, 5, 2, ids, w, 0, 3, out, sc, 2, &found), GROWTH_EBUFS);
    CHECK_RC(growth_rank_prerank(x, 5, 2, ids, w, 0, 0, out, sc, 5, &found), GROWTH_EINVAL);
    const float xn[] = {1, NAN};
    CHECK_RC(growth_rank_prerank(xn, 1, 2, ids, w, 0, 1, out, sc, 5, &found), GROWTH_EINVAL);
    CHECK_MSG("growth_rank_prerank");
}

TEST(test_bad_input_leaves_index_unchanged)
{
    growth_text_index *ix = NULL;
    CHECK_RC(growth_text_create(&ix, "k1=-1"), GROWTH_EINVAL);
    CHECK_MSG("k1");
    CHECK_RC(growth_text_create(&ix, "ngram=5"), GROWTH_EINVAL);
    CHECK_RC(growth_text_create(&ix, "stem=yes"), GROWTH_EINVAL);
    CHECK_RC(growth_text_create(NULL, NULL), GROWTH_EINVAL);
    CHECK(ix == NULL);
    ix = build_corpus(NULL);
    uint64_t d0, t0, p0;
    CHECK_OK(growth_text_count(ix, &d0, &t0, &p0));
    int64_t out[8];
    float sc[8];
    size_t found = 0;
    /* empty queries */
    CHECK_RC(growth_text_search(ix, "", 5, NULL, out, sc, 8, &found), GROWTH_EINVAL);
    CHECK_MSG("growth_text_search: the query has no terms");
    CHECK_RC(growth_text_search(ix, " ,.!？。 ", 5, NULL, out, sc, 8, &found), GROWTH_EINVAL);
    CHECK_RC(growth_text_search(ix, NULL, 5, NULL, out, sc, 8, &found), GROWTH_EINVAL);
    /* unknown terms: a clean empty result */
    CHECK_OK(growth_text_search(ix, "zzzz", 5, NULL, out, sc, 8, &found));
    CHECK(found == 0);
    /* invalid UTF-8 */
    const char *bad_utf8[] = {"abc\xff", "\xc0\xaf", "\xed\xa0\x80", "手\xe6\x89", "\xf4\x90\x80\x80", "\x80x"};
    for (size_t i = 0; i < 6; i++) {
        CHECK_RC(growth_text_search(ix, bad_utf8[i], 5, NULL, out, sc, 8, &found), GROWTH_EINVAL);
        CHECK_MSG("not valid UTF-8");
        int64_t ids2[2] = {900, 901};
        const char *texts[2] = {"fine", bad_utf8[i]};
        CHECK_RC(growth_text_add(ix, ids2, texts, 2), GROWTH_EINVAL);
        CHECK_MSG("growth_text_add: text 1 is not valid UTF-8");
    }
    /* k, cap, filter */
    CHECK_RC(growth_text_search(ix, "red", 0, NULL, out, sc, 8, &found), GROWTH_EINVAL);
    CHECK_RC(growth_text_search(ix, "red", 9, NULL, out, sc, 8, &found), GROWTH_EBUFS);
    growth_id_filter f0 = {0};
    CHECK_RC(growth_text_search(ix, "red", 5, &f0, out, sc, 8, &found), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    const int64_t unsorted[] = {14, 10};
    growth_id_filter f1 = {sizeof f1, 0, unsorted, 2, NULL, 0, NULL, NULL};
    CHECK_RC(growth_text_search(ix, "red", 5, &f1, out, sc, 8, &found), GROWTH_EINVAL);
    /* add: duplicates, negative ids, NULLs, NUL inside a packed text */
    int64_t dup[2] = {800, 800};
    const char *tt[2] = {"a", "b"};
    CHECK_RC(growth_text_add(ix, dup, tt, 2), GROWTH_EINVAL);
    CHECK_MSG("800");
    int64_t existing = 10;
    CHECK_RC(growth_text_add(ix, &existing, tt, 1), GROWTH_EINVAL);
    CHECK_MSG("already");
    int64_t neg = -3;
    CHECK_RC(growth_text_add(ix, &neg, tt, 1), GROWTH_EINVAL);
    const char *nul_text[1] = {NULL};
    int64_t one = 801;
    CHECK_RC(growth_text_add(ix, &one, nul_text, 1), GROWTH_EINVAL);
    const char packed[] = "ab\0cd";
    const uint64_t off[] = {0, 5};
    CHECK_RC(growth_text_add_packed(ix, &one, packed, off, 1), GROWTH_EINVAL);
    CHECK_MSG("NUL");
    const uint64_t off_bad[] = {3, 1};
    CHECK_RC(growth_text_add_packed(ix, &one, packed, off_bad, 1), GROWTH_EINVAL);
    /* delete: unknown id, nothing deleted */
    int64_t del[3] = {10, 12345, 12};
    CHECK_RC(growth_text_remove(ix, del, 3), GROWTH_ENOTFOUND);
    CHECK_MSG("growth_text_remove: id 12345 is not in the index");
    int64_t deld[2] = {10, 10};
    CHECK_RC(growth_text_remove(ix, deld, 2), GROWTH_EINVAL);
    int64_t sc_ids[2] = {10, 777};
    CHECK_RC(growth_text_score(ix, "red", sc_ids, 2, sc, 8), GROWTH_ENOTFOUND);
    /* set */
    CHECK_RC(growth_text_set_config(ix, "k1=-2"), GROWTH_EINVAL);
    CHECK_MSG("k1");
    CHECK_RC(growth_text_set_config(ix, "ngram=3"), GROWTH_EINVAL);
    CHECK_RC(growth_text_set_config(ix, "b=abc"), GROWTH_EINVAL);
    char cfg[128];
    CHECK_OK(growth_text_config(ix, cfg, sizeof cfg, NULL));
    CHECK(strcmp(cfg, "k1=1.2 b=0.75 ngram=2 lowercase=true") == 0);
    CHECK_RC(growth_text_config(ix, cfg, 4, NULL), GROWTH_EBUFS);
    uint64_t d1, t1, p1;
    CHECK_OK(growth_text_count(ix, &d1, &t1, &p1));
    CHECK(d0 == d1 && t0 == t1 && p0 == p1);
    int64_t all[NCORPUS];
    float before[NCORPUS], after[NCORPUS];
    for (size_t d = 0; d < NCORPUS; d++) all[d] = corpus[d].id;
    CHECK_OK(growth_text_score(ix, "red dress 连衣裙", all, NCORPUS, before, NCORPUS));
    CHECK_OK(growth_text_set_config(ix, "b=0.5"));
    CHECK_OK(growth_text_score(ix, "red dress 连衣裙", all, NCORPUS, after, NCORPUS));
    double ref = ref_bm25(corpus, NCORPUS, (const char *const[]){"red", "dress", "连衣", "衣裙", NULL}, 0, 1.2, 0.5);
    CHECK_NEAR(after[0], ref, 1e-5);
    CHECK(before[0] != after[0]);
    growth_text_free(ix);
    growth_text_free(NULL);
}

/* ---- concurrency: searches while a writer adds and deletes -------------------------------- */

typedef struct { growth_text_index *ix; int errors; } th_ctx;

static void *searcher(void *arg)
{
    th_ctx *c = arg;
    int64_t ids[20];
    float sc[20];
    size_t found;
    for (int i = 0; i < 2000; i++) {
        if (growth_text_search(c->ix, i % 2 ? "w1 w2" : "手机", 20, NULL, ids, sc, 20, &found)) c->errors++;
        for (size_t j = 1; j < found; j++) if (sc[j] > sc[j - 1]) c->errors++;
    }
    return NULL;
}

TEST(test_concurrent_search_and_update)
{
    rcorpus c;
    rc_make(&c, 2000, 11);
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, NULL));
    CHECK_OK(growth_text_add(ix, c.ids, (const char *const *)c.texts, 1000));
    th_ctx ctx = {ix, 0};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, searcher, &ctx);
    for (size_t s = 1000; s < 2000; s += 50) {
        CHECK_OK(growth_text_add(ix, c.ids + s, (const char *const *)c.texts + s, 50));
        CHECK_OK(growth_text_remove(ix, c.ids + (s - 1000), 25));
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(ctx.errors == 0);
    growth_text_free(ix);
    rc_free(&c);
}

int main(void)
{
    RUN(test_bm25_equals_direct_formula);
    RUN(test_topk_equals_brute_force_with_filters);
    RUN(test_incremental_equals_fresh_index);
    RUN(test_save_load_and_corrupted_files);
    RUN(test_fuse_against_hand_computation);
    RUN(test_prerank);
    RUN(test_bad_input_leaves_index_unchanged);
    RUN(test_concurrent_search_and_update);
    return GT_SUMMARY();
}
