/* Text recall: BM25 against the direct formula on hand-tokenised English and Chinese texts,
 * top-K against brute force (with filters), incremental add/delete against a fresh index,
 * persistence and corrupted files, fusion and pre-ranking against hand computations, bad input. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Sizes through growth_text_stats_get(). */
static growth_text_stats tstats(const growth_text_index *ix)
{
    growth_text_stats st = GROWTH_TEXT_STATS_INIT;
    CHECK_OK(growth_text_stats_get(ix, &st));
    return st;
}

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

static const struct {
    const char *q;
    const char *tok[MAXTOK];
} queries[] = {
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
    for (size_t i = 0; i < NCORPUS; i++) {
        ids[i] = corpus[i].id;
        texts[i] = corpus[i].text;
    }
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
        CHECK(tstats(ix).docs == NCORPUS);
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
                CHECK_NEAR(sc[i], ref_bm25(corpus, NCORPUS, queries[qi].tok, d, params[pi][0], params[pi][1]),
                           1e-5);
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
    CHECK(tstats(ix).terms == 3);
    size_t found = 0;
    int64_t out[4];
    CHECK_OK(growth_text_search(ix, "衣", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 1);
    growth_text_free(ix);
    CHECK_OK(growth_text_create(&ix, "ngram=3"));
    const char *t2[] = {"手机 连衣裙子"};
    CHECK_OK(growth_text_add(ix, &id, t2, 1));
    CHECK(tstats(ix).terms == 3); /* 手机, 连衣裙, 衣裙子 */
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
    CHECK(tstats(ix).terms == 4);
    CHECK_OK(growth_text_search(ix, "w1", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 1 && out[0] == 1);
    growth_text_free(ix);
}

/* ---- random corpus: tokens are whole words, so the reference works on word numbers ------- */

#define VOCAB 60
static const char *vocab_word(int w, char *buf)
{
    static const char *cjk[] = {"手机", "连衣", "衣裙", "夏季", "红色",
                                "包邮", "正品", "女装", "男鞋", "运动"};
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
    free(c->ids);
    free(c->words);
    free(c->len);
    free(c->texts);
    free(c->live);
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

typedef struct {
    double s;
    int64_t id;
} rhit;
static int cmp_rhit(const void *a, const void *b)
{
    const rhit *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int keep_even(int64_t id, void *user)
{
    (void)user;
    return id % 2 == 0;
}

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
        if (mode == 1 && !(id % 3 == 0)) continue;                /* allow-list: multiples of 3 */
        if (mode == 2 && !(id < 4000 && (id % 5) != 0)) continue; /* bitmap */
        if (mode == 3 && id % 2) continue;                        /* callback */
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
        if (fabs(h[i].s - (i + 1 < m ? h[i + 1].s : -1)) > 1e-9 &&
            (i == 0 || fabs(h[i].s - h[i - 1].s) > 1e-9))
            CHECK(ids[i] == h[i].id);
    }
    free(s);
    free(h);
    free(ids);
    free(sc);
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
    for (size_t i = 0; i < c.n; i++)
        if (c.ids[i] % 3 == 0) allow[na++] = c.ids[i];
    uint8_t bitmap[500] = {0};
    for (int64_t id = 0; id < 4000; id++)
        if (id % 5) bitmap[id / 8] |= (uint8_t)(1u << (id % 8));
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
            if (c.live[i] && grng_below(&r, 10) < 2) {
                del[nd++] = c.ids[i];
                c.live[i] = false;
            }
        size_t removed = 0;
        CHECK_OK(growth_text_remove(ix, del, nd, &removed));
        CHECK(removed == nd);
    }
    /* re-add some deleted ids with new texts */
    int64_t re_ids[20];
    const char *re_texts[20];
    size_t nre = 0;
    for (size_t i = 0; i < c.n && nre < 20; i++)
        if (!c.live[i]) {
            re_ids[nre] = c.ids[i];
            re_texts[nre] = "w1 w2 手机 fresh";
            nre++;
        }
    CHECK_OK(growth_text_add(ix, re_ids, re_texts, nre));
    /* fresh index of what remains, in the same order */
    growth_text_index *fresh = NULL;
    CHECK_OK(growth_text_create(&fresh, NULL));
    for (size_t i = 0; i < c.n; i++)
        if (c.live[i]) CHECK_OK(growth_text_add(fresh, &c.ids[i], (const char *const *)&c.texts[i], 1));
    CHECK_OK(growth_text_add(fresh, re_ids, re_texts, nre));
    growth_text_stats s1 = tstats(ix), s2 = tstats(fresh);
    CHECK(s1.docs == s2.docs && s1.terms == s2.terms);
    const char *qs[] = {"w1", "手机 w2", "连衣裙", "fresh w3 w7", "w0 w1 w2 w3 w4 w5", "夏季 w40"};
    for (size_t i = 0; i < 6; i++) check_same_results(ix, fresh, qs[i]);
    CHECK_OK(growth_text_compact(ix));
    CHECK(tstats(ix).postings == tstats(fresh).postings);
    for (size_t i = 0; i < 6; i++) check_same_results(ix, fresh, qs[i]);
    /* deleting everything leaves an empty, usable index */
    int64_t *all = malloc(c.n * sizeof *all);
    size_t na = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.live[i]) all[na++] = c.ids[i];
    for (size_t i = 0; i < nre; i++) all[na++] = re_ids[i];
    size_t removed = 0;
    CHECK_OK(growth_text_remove(ix, all, na, &removed));
    CHECK(removed == na);
    s1 = tstats(ix);
    CHECK(s1.docs == 0 && s1.terms == 0 && s1.postings == 0);
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
    CHECK_OK(growth_text_remove(ix, &gone, 1, NULL));
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
    CHECK(tstats(ex).docs == 0);
    growth_text_free(ex);
    growth_buffer_free(buf);
    unlink(path);
    unlink(bad);
    growth_text_free(ix);
    growth_text_free(lx);
}

TEST(test_fuse_against_hand_computation)
{
    const int64_t a_ids[] = {1, 2, 3, 2}; /* 2 repeated: counts once, at rank 2 */
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
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 1, "method=weighted normalize=none", out, os, 1,
                                    &found));
    CHECK(out[0] == 1); /* 9 + 0.05 */
    CHECK_NEAR(os[0], 9.05, 1e-5);
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 1, "method=weighted normalize=max", out, os, 1,
                                    &found));
    CHECK(out[0] == 3); /* 1/9 + 1 > 1 + 0.05/0.9 */
    CHECK_NEAR(os[0], 1.0 / 9 + 1, 1e-6);
    /* an empty list and a single list */
    const size_t lens0[] = {0, 3};
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens0, NULL, 2, 3, NULL, out, os, 3, &found));
    CHECK(found == 3 && out[0] == 3 && out[1] == 4 && out[2] == 1);
    /* bad input */
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 3, "method=borda", out, os, 3, &found),
             GROWTH_EINVAL);
    CHECK_MSG("method");
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 3, "rrf_k=0", out, os, 3, &found), GROWTH_EINVAL);
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 3, NULL, out, os, 2, &found), GROWTH_EBUFS);
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 2, 0, NULL, out, os, 2, &found), GROWTH_EINVAL);
    CHECK_RC(growth_rank_fuse_lists(ids, NULL, lens, NULL, 2, 3, "method=weighted", out, os, 3, &found),
             GROWTH_EINVAL);
    const double wneg[] = {1, -1};
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, wneg, 2, 3, NULL, out, os, 3, &found), GROWTH_EINVAL);
    CHECK_MSG("growth_rank_fuse_lists");
    const float nan_sc[] = {NAN, 1, 1, 1};
    const float *scn[] = {nan_sc, b_sc};
    CHECK_RC(growth_rank_fuse_lists(ids, scn, lens, NULL, 2, 3, "method=weighted", out, os, 3, &found),
             GROWTH_EINVAL);
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
    growth_text_stats s0 = tstats(ix);
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
    const char *bad_utf8[] = {"abc\xff",    "\xc0\xaf",         "\xed\xa0\x80",
                              "手\xe6\x89", "\xf4\x90\x80\x80", "\x80x"};
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
    CHECK(found == 9);
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
    CHECK_RC(growth_text_remove(ix, NULL, 2, NULL), GROWTH_EINVAL);
    int64_t sc_ids[2] = {10, 777};
    CHECK_RC(growth_text_score(ix, "red", sc_ids, 2, sc, 8), GROWTH_ENOTFOUND);
    /* set */
    CHECK_RC(growth_text_set_config(ix, "k1=-2"), GROWTH_EINVAL);
    CHECK_MSG("k1");
    CHECK_RC(growth_text_set_config(ix, "ngram=3"), GROWTH_EINVAL);
    CHECK_RC(growth_text_set_config(ix, "b=abc"), GROWTH_EINVAL);
    char cfg[128];
    CHECK_OK(growth_text_config(ix, cfg, sizeof cfg, NULL));
    CHECK(strcmp(cfg, "k1=1.2 b=0.75 ngram=2 lowercase=true search=wand max_memory=0") == 0);
    CHECK_RC(growth_text_config(ix, cfg, 4, NULL), GROWTH_EBUFS);
    growth_text_stats s1 = tstats(ix);
    CHECK(s0.docs == s1.docs && s0.terms == s1.terms && s0.postings == s1.postings);
    int64_t all[NCORPUS];
    float before[NCORPUS], after[NCORPUS];
    for (size_t d = 0; d < NCORPUS; d++) all[d] = corpus[d].id;
    CHECK_OK(growth_text_score(ix, "red dress 连衣裙", all, NCORPUS, before, NCORPUS));
    CHECK_OK(growth_text_set_config(ix, "b=0.5"));
    CHECK_OK(growth_text_score(ix, "red dress 连衣裙", all, NCORPUS, after, NCORPUS));
    double ref =
        ref_bm25(corpus, NCORPUS, (const char *const[]){"red", "dress", "连衣", "衣裙", NULL}, 0, 1.2, 0.5);
    CHECK_NEAR(after[0], ref, 1e-5);
    CHECK(before[0] != after[0]);
    growth_text_free(ix);
    growth_text_free(NULL);
}

/* ---- concurrency: searches while a writer adds and deletes -------------------------------- */

typedef struct {
    growth_text_index *ix;
    int errors;
} th_ctx;

static void *searcher(void *arg)
{
    th_ctx *c = arg;
    int64_t ids[20];
    float sc[20];
    size_t found;
    for (int i = 0; i < 2000; i++) {
        if (growth_text_search(c->ix, i % 2 ? "w1 w2" : "手机", 20, NULL, ids, sc, 20, &found)) c->errors++;
        for (size_t j = 1; j < found; j++)
            if (sc[j] > sc[j - 1]) c->errors++;
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
        CHECK_OK(growth_text_remove(ix, c.ids + (s - 1000), 25, NULL));
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(ctx.errors == 0);
    growth_text_free(ix);
    rc_free(&c);
}

/* ---- growth_text_remove: absent ids are counted out, an id listed twice is removed once ---- */

TEST(test_remove_semantics)
{
    growth_text_index *ix = build_corpus(NULL), *fresh = NULL;
    growth_text_stats s0 = tstats(ix);
    int64_t ids[6] = {11, 12345, 11, -7, 16, 12};
    size_t removed = 99;
    CHECK_OK(growth_text_remove(ix, ids, 6, &removed));
    CHECK(removed == 3); /* 11 (once), 16, 12; 12345 and -7 are absent */
    growth_text_stats s1 = tstats(ix);
    CHECK(s1.docs == s0.docs - 3 && s1.postings == s0.postings);
    removed = 99;
    CHECK_OK(growth_text_remove(ix, ids, 6, &removed)); /* all absent now */
    CHECK(removed == 0);
    CHECK_OK(growth_text_remove(ix, NULL, 0, &removed));
    CHECK(removed == 0);
    CHECK_OK(growth_text_remove(ix, ids, 0, NULL));
    /* searches equal those of an index that never held them */
    CHECK_OK(growth_text_create(&fresh, NULL));
    for (size_t d = 0; d < NCORPUS; d++) {
        if (corpus[d].id == 11 || corpus[d].id == 16 || corpus[d].id == 12) continue;
        CHECK_OK(growth_text_add(fresh, &corpus[d].id, &corpus[d].text, 1));
    }
    growth_text_stats s2 = tstats(fresh);
    CHECK(s1.docs == s2.docs && s1.terms == s2.terms);
    for (size_t q = 0; q < NQUERIES; q++) check_same_results(ix, fresh, queries[q].q);
    int64_t out[4];
    size_t found = 9;
    CHECK_OK(growth_text_search(ix, "blue", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 0); /* 11 was the only blue document */
    CHECK_OK(growth_text_compact(ix));
    CHECK(tstats(ix).postings == s2.postings);
    for (size_t q = 0; q < NQUERIES; q++) check_same_results(ix, fresh, queries[q].q);
    /* a removed id comes back */
    CHECK_OK(growth_text_add(ix, &corpus[1].id, &corpus[1].text, 1));
    CHECK_OK(growth_text_search(ix, "blue", 4, NULL, out, NULL, 4, &found));
    CHECK(found == 1 && out[0] == 11);
    CHECK_RC(growth_text_remove(NULL, ids, 1, &removed), GROWTH_EINVAL);
    CHECK(removed == 0);
    growth_text_free(ix);
    growth_text_free(fresh);
}

/* ---- stats struct and the EBUFS protocol -------------------------------------------------- */

TEST(test_stats_and_ebufs)
{
    growth_text_index *ix = build_corpus(NULL);
    growth_text_stats st = tstats(ix);
    CHECK(st.struct_size == sizeof st && st.docs == NCORPUS && st.terms > 0 && st.postings >= st.terms);
    growth_text_stats z = {0};
    CHECK_RC(growth_text_stats_get(ix, &z), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    struct {
        growth_text_stats s;
        uint64_t newer;
    } big;
    memset(&big, 0, sizeof big);
    big.s.struct_size = sizeof big;
    big.newer = 5;
    CHECK_OK(growth_text_stats_get(ix, &big.s));
    CHECK(big.s.struct_size == sizeof big && big.s.docs == st.docs && big.s.terms == st.terms &&
          big.s.postings == st.postings && big.newer == 5);
    int64_t ids[4] = {-5, -5, -5, -5};
    float sc[4] = {-5, -5, -5, -5};
    size_t n = 77;
    CHECK_RC(growth_text_search(ix, "red", 4, NULL, ids, sc, 3, &n), GROWTH_EBUFS);
    CHECK(n == 4 && ids[0] == -5 && ids[2] == -5 && sc[0] == -5);
    n = 77;
    CHECK_RC(growth_text_search(ix, "", 4, NULL, ids, sc, 3, &n), GROWTH_EINVAL); /* checked first */
    CHECK(n == 0 && ids[0] == -5);
    CHECK_OK(growth_text_search(ix, "red", 4, NULL, ids, sc, 4, &n));
    CHECK(n == 2 && ids[0] == 10 && ids[1] == 14);
    growth_text_free(ix);
}

/* ---- progress and cancellation ------------------------------------------------------------ */

typedef struct {
    int calls, cancel_at;
    char stage[16];
    double last;
    growth_text_index *ix;
    int search_errors;
} tprog;

static int tprog_cb(const char *stage, double done, void *user)
{
    tprog *p = user;
    p->calls++;
    snprintf(p->stage, sizeof p->stage, "%s", stage);
    p->last = done;
    if (p->ix) { /* a reader inside the callback must not deadlock */
        int64_t ids[3];
        size_t n;
        if (growth_text_search(p->ix, "w1", 3, NULL, ids, NULL, 3, &n) != GROWTH_OK) p->search_errors++;
    }
    return p->cancel_at && p->calls == p->cancel_at;
}

static int text_bytes_equal(const growth_text_index *a, const growth_text_index *b)
{
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    if (growth_text_serialize(a, &x, &nx) || growth_text_serialize(b, &y, &ny)) return 0;
    int same = nx == ny && memcmp(x, y, nx) == 0;
    growth_buffer_free(x);
    growth_buffer_free(y);
    return same;
}

TEST(test_progress_and_cancel)
{
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    rcorpus c;
    rc_make(&c, 3000, 21);
    growth_text_index *ix = NULL, *twin = NULL;
    CHECK_OK(growth_text_create(&ix, NULL));
    CHECK_OK(growth_text_create(&twin, NULL));
    CHECK_OK(growth_text_add(ix, c.ids, (const char *const *)c.texts, 500));
    CHECK_OK(growth_text_add(twin, c.ids, (const char *const *)c.texts, 500));
    tprog p = {0};
    p.ix = ix;
    CHECK_OK(growth_text_set_progress(ix, tprog_cb, &p));
    /* 2500 documents: reports at 1024, 2048 and 2500 (= 1) */
    CHECK_OK(growth_text_add(ix, c.ids + 500, (const char *const *)c.texts + 500, 2500));
    CHECK_OK(growth_text_add(twin, c.ids + 500, (const char *const *)c.texts + 500, 2500));
    CHECK(p.calls == 3 && strcmp(p.stage, "add") == 0 && p.last == 1.0 && p.search_errors == 0);
    CHECK(text_bytes_equal(ix, twin));
    size_t removed = 0;
    CHECK_OK(growth_text_remove(ix, c.ids, 200, &removed));
    CHECK_OK(growth_text_remove(twin, c.ids, 200, &removed));
    CHECK(removed == 200);
    growth_text_stats s0 = tstats(ix);
    /* canceled adds (text and packed), at the first and at the last report */
    int64_t nid[1500];
    const char *nt[1500];
    char buf[1500 * 16];
    uint64_t off[1501];
    off[0] = 0;
    for (int i = 0; i < 1500; i++) {
        nid[i] = 100000 + i;
        nt[i] = "w1 w2 fresh";
        int len = snprintf(buf + off[i], 16, "w%d fresh", i % 7);
        off[i + 1] = off[i] + (uint64_t)len;
    }
    for (int at = 1; at <= 2; at++) {
        memset(&p, 0, sizeof p);
        p.cancel_at = at;
        p.ix = ix;
        CHECK_RC(growth_text_add(ix, nid, nt, 1500), GROWTH_ECANCELED);
        CHECK_MSG("growth_text_add: canceled");
        CHECK(p.calls == at && (at == 1 ? p.last < 1 : p.last == 1.0));
        memset(&p, 0, sizeof p);
        p.cancel_at = at;
        CHECK_RC(growth_text_add_packed(ix, nid, buf, off, 1500), GROWTH_ECANCELED);
        CHECK_MSG("growth_text_add_packed: canceled");
        growth_text_stats s1 = tstats(ix);
        CHECK(s1.docs == s0.docs && s1.terms == s0.terms && s1.postings == s0.postings);
        CHECK(text_bytes_equal(ix, twin));
        int64_t out[2];
        float one;
        CHECK_RC(growth_text_score(ix, "fresh", nid, 1, &one, 1), GROWTH_ENOTFOUND); /* not added */
        (void)out;
    }
    /* compaction (60 terms: one report, done = 1, before the swap): canceled keeps every
     * posting, completed drops the removed ones */
    for (int at = 1; at <= 1; at++) {
        memset(&p, 0, sizeof p);
        p.cancel_at = at;
        p.ix = ix;
        CHECK_RC(growth_text_compact(ix), GROWTH_ECANCELED);
        CHECK_MSG("growth_text_compact: canceled");
        CHECK(strcmp(p.stage, "compact") == 0);
        growth_text_stats s1 = tstats(ix);
        CHECK(s1.postings == s0.postings && s1.docs == s0.docs);
    }
    memset(&p, 0, sizeof p);
    p.ix = ix;
    CHECK_OK(growth_text_compact(ix));
    CHECK(p.last == 1.0 && p.search_errors == 0);
    CHECK_OK(growth_text_compact(twin)); /* in place, without a callback */
    CHECK(tstats(ix).postings == tstats(twin).postings && tstats(ix).postings < s0.postings);
    const char *qs[] = {"w1", "w2 w3", "手机", "fresh"};
    for (int i = 0; i < 4; i++) check_same_results(ix, twin, qs[i]);
    CHECK(text_bytes_equal(ix, twin));
    /* the callback removed: adds run through */
    CHECK_OK(growth_text_set_progress(ix, NULL, NULL));
    CHECK_OK(growth_text_add(ix, nid, nt, 1500));
    CHECK(tstats(ix).docs == s0.docs + 1500);
    CHECK_RC(growth_text_set_progress(NULL, tprog_cb, &p), GROWTH_EINVAL);
    growth_text_free(ix);
    growth_text_free(twin);
    rc_free(&c);
}

/* ---- list fusion: normalisation of constant and all-zero lists ---------------------------- */

TEST(test_fuse_normalize_edge_cases)
{
    const int64_t a[3] = {1, 2, 3}, b[1] = {4}, z[2] = {5, 6};
    const float sa[3] = {2, 2, 2}, sb[1] = {-3}, sz[2] = {0, 0};
    const int64_t *ids[3] = {a, b, z};
    const float *sc[3] = {sa, sb, sz};
    const size_t lens[3] = {3, 1, 2};
    int64_t out[8];
    float os[8];
    size_t n = 0;
    /* minmax: a constant list (and a one-element list) maps to 1 */
    CHECK_OK(growth_rank_fuse_lists(ids, sc, lens, NULL, 3, 8, "method=weighted normalize=minmax", out, os, 8,
                                    &n));
    CHECK(n == 6);
    for (size_t i = 0; i < 6; i++) CHECK(os[i] == 1.0f);
    CHECK(out[0] == 1 && out[5] == 6); /* ties by id */
    /* max: s / max|s|; an all-zero list maps to 0 */
    CHECK_OK(
        growth_rank_fuse_lists(ids, sc, lens, NULL, 3, 8, "method=weighted normalize=max", out, os, 8, &n));
    CHECK(n == 6 && os[0] == 1.0f && out[0] == 1 && os[3] == 0.0f && os[5] == -1.0f && out[5] == 4);
    /* the old key name is gone */
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 3, 8, "method=weighted norm=max", out, os, 8, &n),
             GROWTH_EINVAL);
    CHECK_MSG("norm");
    CHECK(n == 0);
    /* EBUFS: k, nothing written; a sizing call with cap 0 and no buffers */
    int64_t g[2] = {-9, -9};
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 3, 5, NULL, g, NULL, 2, &n), GROWTH_EBUFS);
    CHECK(n == 5 && g[0] == -9 && g[1] == -9);
    CHECK_RC(growth_rank_fuse_lists(ids, sc, lens, NULL, 3, 5, NULL, NULL, NULL, 0, &n), GROWTH_EBUFS);
    CHECK(n == 5);
    const float f[6] = {1, 2, 3, 4, 5, 6}, w[2] = {1, 1};
    CHECK_RC(growth_rank_prerank(f, 3, 2, NULL, w, 0, 5, g, NULL, 2, &n), GROWTH_EBUFS);
    CHECK(n == 3 && g[0] == -9 && g[1] == -9);
}

/* ---- block-max WAND against the exhaustive scorer ----------------------------------------- */

/* Words: w0..w5 stop words (in most documents, often repeated), then a skewed tail down to
 * words held by a single document; "zz" is in no document. */
static void wand_text(grng *r, char *out, size_t cap)
{
    out[0] = 0;
    int len = 1 + (int)grng_below(r, grng_below(r, 4) ? 12 : 60);
    for (int j = 0; j < len; j++) {
        char w[16];
        double u = grng_uniform(r);
        if (grng_below(r, 3) == 0)
            snprintf(w, sizeof w, "w%d", (int)grng_below(r, 6));
        else
            snprintf(w, sizeof w, "w%d", 6 + (int)(3000 * u * u * u));
        if (strlen(out) + strlen(w) + 2 >= cap) break;
        strcat(out, j ? " " : "");
        strcat(out, w);
    }
}

static void wand_query(grng *r, char *q, size_t cap)
{
    int nq = 1 + (int)grng_below(r, 12);
    q[0] = 0;
    for (int a = 0; a < nq; a++) {
        char w[16];
        int kind = (int)grng_below(r, 8);
        if (kind < 3)
            snprintf(w, sizeof w, "w%d", (int)grng_below(r, 6)); /* stop word */
        else if (kind == 3)
            snprintf(w, sizeof w, "zz"); /* unknown */
        else if (kind == 4 && a)
            snprintf(w, sizeof w, "%s", strrchr(q, ' ') ? strrchr(q, ' ') + 1 : q); /* repeated */
        else
            snprintf(w, sizeof w, "w%d", 6 + (int)grng_below(r, kind == 5 ? 3000 : 60));
        if (strlen(q) + strlen(w) + 2 >= cap) break;
        strcat(q, a ? " " : "");
        strcat(q, w);
    }
}

/* A long query: n words (n > 16 puts the cursors on the heap, n > 64 skips the seeding), stop
 * words, rare words, repeats and an unknown word among them. */
static void wand_long_query(grng *r, char *q, size_t cap, int n)
{
    q[0] = 0;
    for (int a = 0; a < n; a++) {
        char w[16];
        int kind = (int)grng_below(r, 10);
        if (kind == 0)
            snprintf(w, sizeof w, "w%d", (int)grng_below(r, 6));
        else if (kind == 1)
            snprintf(w, sizeof w, "zz");
        else
            snprintf(w, sizeof w, "w%d", 6 + (int)grng_below(r, 3000));
        if (strlen(q) + strlen(w) + 2 >= cap) break;
        strcat(q, a ? " " : "");
        strcat(q, w);
    }
}

static int never_cancel(const char *stage, double done, void *user)
{
    (void)stage;
    (void)done;
    (void)user;
    return 0;
}

static int keep_mod3(int64_t id, void *user)
{
    (void)user;
    return id % 3 != 1;
}

/* The same query searched with search=wand and search=exhaustive: identical ids, scores and
 * counts (the WAND scorer sums the same terms in the same order). */
static void wand_compare(growth_text_index *ix, grng *r, int nquery, const growth_id_filter *filters,
                         size_t nfilters)
{
    enum { KMAX = 3000 };
    static int64_t ia[KMAX], ib[KMAX];
    static float sa[KMAX], sb[KMAX];
    const size_t ks[] = {1, 2, 10, 100, KMAX};
    for (int t = 0; t < nquery; t++) {
        char q[1024];
        if (t % 10 == 9)
            wand_long_query(r, q, sizeof q, 17 + (int)grng_below(r, 80));
        else
            wand_query(r, q, sizeof q);
        size_t k = ks[grng_below(r, 5)];
        const growth_id_filter *f = grng_below(r, 3) ? NULL : &filters[grng_below(r, nfilters)];
        size_t na = 0, nb = 0;
        CHECK_OK(growth_text_set_config(ix, "search=exhaustive"));
        CHECK_OK(growth_text_search(ix, q, k, f, ia, sa, KMAX, &na));
        CHECK_OK(growth_text_set_config(ix, "search=wand"));
        CHECK_OK(growth_text_search(ix, q, k, f, ib, sb, KMAX, &nb));
        CHECK(na == nb);
        size_t bad = 0;
        for (size_t i = 0; i < na && i < nb; i++) bad += ia[i] != ib[i] || sa[i] != sb[i];
        CHECK(bad == 0);
        if (bad || na != nb)
            fprintf(stderr, "  query '%s' k=%zu filter=%d: %zu of %zu differ\n", q, k, f != NULL, bad, na);
    }
}

TEST(test_wand_equals_exhaustive)
{
    enum { N0 = 6000, N1 = 1500 };
    grng r;
    grng_seed(&r, 2011);
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, "search=exhaustive"));
    char cfg[128];
    CHECK_OK(growth_text_config(ix, cfg, sizeof cfg, NULL));
    CHECK(strstr(cfg, "search=exhaustive") != NULL);
    char **texts = malloc((N0 + N1) * sizeof *texts);
    int64_t *ids = malloc((N0 + N1) * sizeof *ids);
    for (size_t i = 0; i < N0 + N1; i++) {
        texts[i] = malloc(512);
        wand_text(&r, texts[i], 512);
        ids[i] = (int64_t)((i * 7919) % 100003); /* not in document order: ties fall back on ids */
    }
    /* in several adds: blocks continue across them */
    for (size_t s = 0; s < N0; s += 1000)
        CHECK_OK(growth_text_add(ix, ids + s, (const char *const *)texts + s, 1000));
    growth_text_stats st0 = tstats(ix);
    CHECK(st0.posting_bytes > st0.postings && st0.posting_bytes < st0.postings * 4);
    CHECK(st0.memory_bytes > st0.posting_bytes + st0.postings * 4); /* + the forward index */
    int64_t *allow = malloc((100003 / 4 + 1) * sizeof *allow);
    size_t nal = 0;
    for (int64_t id = 0; id < 100003; id += 4) allow[nal++] = id;
    static uint8_t bitmap[100003 / 8 + 1];
    for (int64_t id = 0; id < 100003; id++)
        if (id % 7 < 3) bitmap[id / 8] |= (uint8_t)(1u << (id % 8));
    growth_id_filter fs[3] = {
        {sizeof fs[0], 0, allow, nal, NULL, 0, NULL, NULL},
        {sizeof fs[0], 0, NULL, 0, bitmap, 100003, NULL, NULL},
        {sizeof fs[0], 0, NULL, 0, NULL, 0, keep_mod3, NULL},
    };
    wand_compare(ix, &r, 300, fs, 3);
    /* other BM25 parameters */
    CHECK_OK(growth_text_set_config(ix, "k1=0.3 b=1"));
    wand_compare(ix, &r, 60, fs, 3);
    CHECK_OK(growth_text_set_config(ix, "k1=2 b=0"));
    wand_compare(ix, &r, 60, fs, 3);
    CHECK_OK(growth_text_set_config(ix, "k1=1.2 b=0.75"));
    /* removals below the compaction threshold: dead postings stay in the blocks */
    int64_t del[2000];
    for (size_t i = 0; i < 2000; i++) del[i] = ids[grng_below(&r, N0)];
    CHECK_OK(growth_text_remove(ix, del, 2000, NULL));
    CHECK(tstats(ix).postings > 0);
    wand_compare(ix, &r, 200, fs, 3);
    /* adds after removals, some of them reusing removed ids */
    for (size_t i = N0; i < N0 + N1; i++)
        if (i % 3 == 0) ids[i] = del[i - N0];
    size_t added = 0;
    for (size_t i = N0; i < N0 + N1; i++) {
        bool live = false;
        for (size_t j = 0; j < N0 && !live; j++) live = ids[j] == ids[i];
        bool removed = false;
        for (size_t j = 0; j < 2000 && !removed; j++) removed = del[j] == ids[i];
        if (live && !removed) continue;
        bool dup = false;
        for (size_t j = N0; j < i && !dup; j++) dup = ids[j] == ids[i];
        if (dup) continue;
        CHECK_OK(growth_text_add(ix, &ids[i], (const char *const *)&texts[i], 1));
        added++;
    }
    CHECK(added > 1000);
    wand_compare(ix, &r, 200, fs, 3);
    /* compaction (in place, by a remove crossing the threshold, and aside with a callback) */
    int64_t del2[3000];
    for (size_t i = 0; i < 3000; i++) del2[i] = ids[grng_below(&r, N0 + N1)];
    CHECK_OK(growth_text_remove(ix, del2, 3000, NULL));
    wand_compare(ix, &r, 150, fs, 3);
    CHECK_OK(growth_text_remove(ix, ids + 100, 50, NULL));
    CHECK_OK(growth_text_set_progress(ix, never_cancel, NULL));
    CHECK_OK(growth_text_compact(ix));
    CHECK_OK(growth_text_set_progress(ix, NULL, NULL));
    wand_compare(ix, &r, 150, fs, 3);
    /* save / load (blocks are rebuilt) */
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_text_serialize(ix, &buf, &len));
    growth_text_index *ix2 = NULL;
    CHECK_OK(growth_text_deserialize(&ix2, buf, len));
    growth_buffer_free(buf);
    wand_compare(ix2, &r, 150, fs, 3);
    for (int t = 0; t < 40; t++) { /* both indexes agree */
        char q[256];
        wand_query(&r, q, sizeof q);
        check_same_results(ix, ix2, q);
    }
    growth_text_free(ix2);
    growth_text_free(ix);
    for (size_t i = 0; i < N0 + N1; i++) free(texts[i]);
    free(texts);
    free(ids);
    free(allow);
}

/* Ids ascending with the document order and many equal documents (short titles from a small
 * vocabulary): ties at the k-th score everywhere. */
TEST(test_wand_ties_in_document_order)
{
    enum { N = 5000 };
    grng r;
    grng_seed(&r, 1995);
    growth_text_index *ix = NULL;
    CHECK_OK(growth_text_create(&ix, NULL));
    char **texts = malloc(N * sizeof *texts);
    int64_t *ids = malloc(N * sizeof *ids);
    for (size_t i = 0; i < N; i++) {
        texts[i] = malloc(64);
        texts[i][0] = 0;
        int len = 1 + (int)grng_below(&r, 4);
        for (int j = 0; j < len; j++) {
            char w[16];
            snprintf(w, sizeof w, "%sv%d", j ? " " : "", (int)grng_below(&r, grng_below(&r, 2) ? 8 : 40));
            strcat(texts[i], w);
        }
        ids[i] = (int64_t)i;
    }
    CHECK_OK(growth_text_add(ix, ids, (const char *const *)texts, N));
    enum { KMAX = 1000 };
    static int64_t ia[KMAX], ib[KMAX];
    static float sa[KMAX], sb[KMAX];
    const size_t ks[] = {1, 3, 10, 50, KMAX};
    for (int t = 0; t < 300; t++) {
        if (t == 150) { /* deletions: dead postings stay in the blocks */
            int64_t del[600];
            for (size_t i = 0; i < 600; i++) del[i] = (int64_t)grng_below(&r, N);
            CHECK_OK(growth_text_remove(ix, del, 600, NULL));
        }
        char q[256] = "";
        int nq = 1 + (int)grng_below(&r, 9);
        for (int a = 0; a < nq; a++) {
            char w[16];
            snprintf(w, sizeof w, "%sv%d", a ? " " : "", (int)grng_below(&r, 45)); /* v40..v44: unknown */
            strcat(q, w);
        }
        size_t k = ks[grng_below(&r, 5)], na = 0, nb = 0;
        CHECK_OK(growth_text_set_config(ix, "search=exhaustive"));
        CHECK_OK(growth_text_search(ix, q, k, NULL, ia, sa, KMAX, &na));
        CHECK_OK(growth_text_set_config(ix, "search=wand"));
        CHECK_OK(growth_text_search(ix, q, k, NULL, ib, sb, KMAX, &nb));
        CHECK(na == nb);
        size_t bad = 0;
        for (size_t i = 0; i < na && i < nb; i++) bad += ia[i] != ib[i] || sa[i] != sb[i];
        CHECK(bad == 0);
        if (bad || na != nb) fprintf(stderr, "  query '%s' k=%zu: %zu of %zu differ\n", q, k, bad, na);
    }
    growth_text_free(ix);
    for (size_t i = 0; i < N; i++) free(texts[i]);
    free(texts);
    free(ids);
}

int main(void)
{
    RUN(test_bm25_equals_direct_formula);
    RUN(test_topk_equals_brute_force_with_filters);
    RUN(test_wand_equals_exhaustive);
    RUN(test_wand_ties_in_document_order);
    RUN(test_incremental_equals_fresh_index);
    RUN(test_save_load_and_corrupted_files);
    RUN(test_fuse_against_hand_computation);
    RUN(test_prerank);
    RUN(test_bad_input_leaves_index_unchanged);
    RUN(test_concurrent_search_and_update);
    RUN(test_remove_semantics);
    RUN(test_stats_and_ebufs);
    RUN(test_progress_and_cancel);
    RUN(test_fuse_normalize_edge_cases);
    return GT_SUMMARY();
}
