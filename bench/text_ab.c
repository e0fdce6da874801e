/* A/B driver for BM25 top-k (docs/BENCHMARKS.md, "BM25 pruning"): loads one saved text index
 * into several builds of libgrowth (dlopen, public API only) and times search=exhaustive on the
 * first and search=wand on each, interleaved, over query files DIR/q<n>.txt (one query a line,
 * e.g. written from bench/text_bench.py's make_term_queries); prints medians, bests, ratios to
 * the exhaustive scorer and the number of queries whose ids or scores differ from it.
 *   cc -O2 -o text_ab bench/text_ab.c -ldl
 *   ./text_ab INDEX DIR REPS K 1,2,3,5,8 OLD/libgrowth.so NEW/libgrowth.so */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
typedef struct growth_text_index growth_text_index;
typedef int (*load_fn)(growth_text_index **, const char *);
typedef int (*search_fn)(const growth_text_index *, const char *, size_t, const void *, int64_t *, float *,
                         size_t, size_t *);
typedef int (*setc_fn)(growth_text_index *, const char *);
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
typedef struct {
    const char *name;
    void *h;
    load_fn load;
    search_fn search;
    setc_fn setc;
    growth_text_index *ix;
} lib;
int main(int argc, char **argv)
{
    if (argc < 7 || argc > 13) {
        fprintf(stderr, "usage: text_ab INDEX DIR REPS K NTERMS LIB...\n");
        return 2;
    }
    const char *idx = argv[1], *dir = argv[2];
    int reps = atoi(argv[3]);
    size_t k = (size_t)atoi(argv[4]);
    const char *nts = argv[5];
    if (reps < 1 || reps > 64 || k < 1) return 2;
    int nl = argc - 6;
    lib L[8];
    for (int i = 0; i < nl; i++) {
        L[i].name = argv[6 + i];
        L[i].h = dlopen(argv[6 + i], RTLD_NOW | RTLD_LOCAL);
        if (!L[i].h) {
            fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
        /* POSIX's way to turn dlsym's object pointer into a function pointer */
        *(void **)&L[i].load = dlsym(L[i].h, "growth_text_load");
        *(void **)&L[i].search = dlsym(L[i].h, "growth_text_search");
        *(void **)&L[i].setc = dlsym(L[i].h, "growth_text_set_config");
        if (!L[i].load || !L[i].search || !L[i].setc) {
            fprintf(stderr, "%s: not a libgrowth with a text index\n", argv[6 + i]);
            return 1;
        }
        if (L[i].load(&L[i].ix, idx)) {
            fprintf(stderr, "load failed\n");
            return 1;
        }
    }
    for (const char *p = nts; *p; p++) {
        if (*p == ',') continue;
        int nt = *p - '0';
        char fn[4096];
        snprintf(fn, sizeof fn, "%s/q%d.txt", dir, nt);
        FILE *f = fopen(fn, "r");
        if (!f) {
            fprintf(stderr, "cannot open %s\n", fn);
            return 1;
        }
        char *qs[1000];
        int nq = 0;
        char line[1024];
        while (nq < 1000 && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            qs[nq++] = strdup(line);
        }
        fclose(f);
        int nconf = 1 + nl; /* conf 0: lib0 exhaustive; conf 1+i: lib i wand */
        double tt[9] = {0}, tr[9][64];
        int diff[9] = {0};
        int64_t *ids = malloc(k * 8 * nconf);
        float *sc = malloc(k * 4 * nconf);
        size_t nn[9];
        for (int r = 0; r < reps; r++)
            for (int c0 = 0; c0 < nconf; c0++) {
                int c = (c0 + r) % nconf;
                lib *l = c == 0 ? &L[0] : &L[c - 1];
                l->setc(l->ix, c == 0 ? "search=exhaustive" : "search=wand");
                double t0 = now();
                for (int q = 0; q < nq; q++) {
                    size_t n = 0;
                    l->search(l->ix, qs[q], k, NULL, ids + c * k, sc + c * k, k, &n);
                    nn[c] = n;
                }
                tr[c][r] = now() - t0;
                tt[c] += tr[c][r];
            }
        /* identity check */
        for (int q = 0; q < nq; q++) {
            for (int c = 0; c < nconf; c++) {
                lib *l = c == 0 ? &L[0] : &L[c - 1];
                l->setc(l->ix, c == 0 ? "search=exhaustive" : "search=wand");
                l->search(l->ix, qs[q], k, NULL, ids + c * k, sc + c * k, k, &nn[c]);
            }
            for (int c = 1; c < nconf; c++)
                diff[c] += nn[c] != nn[0] || memcmp(ids, ids + c * k, nn[0] * 8) ||
                           memcmp(sc, sc + c * k, nn[0] * 4);
        }
        double med[9];
        for (int c = 0; c < nconf; c++) {
            for (int a = 0; a < reps; a++)
                for (int b = a + 1; b < reps; b++)
                    if (tr[c][b] < tr[c][a]) {
                        double t = tr[c][a];
                        tr[c][a] = tr[c][b];
                        tr[c][b] = t;
                    }
            med[c] = tr[c][reps / 2];
        }
        printf("%d-term k=%zu: exh %6.0f q/s (best %6.0f)", nt, k, nq / med[0], nq / tr[0][0]);
        for (int c = 1; c < nconf; c++)
            printf(" | %d: %6.0f q/s %5.2fx (best %6.0f %5.2fx) d%d", c - 1, nq / med[c], med[0] / med[c],
                   nq / tr[c][0], tr[0][0] / tr[c][0], diff[c]);
        printf("\n");
        fflush(stdout);
    }
    return 0;
}
