/* Shared state of `growth demo`: the simulated world and its random numbers. */
#ifndef GROWTH_CLI_DEMO_H
#define GROWTH_CLI_DEMO_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    uint64_t s;
} demo_rng;

static inline uint64_t demo_next(demo_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline double demo_unif(demo_rng *r) { return (double)(demo_next(r) >> 11) * 0x1.0p-53; }
static inline double demo_norm(demo_rng *r)
{
    double u = demo_unif(r), v = demo_unif(r);
    return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

enum { DEMO_NCITY = 8, DEMO_NCAT = 10, DEMO_LATENT = 4, DEMO_NPERSONA = 40, DEMO_NBRAND = 150 };

/* A user's persona and an item's brand (fixed functions of the ids, recorded in the log). */
static inline int demo_persona(long u) { return (int)((u * 2654435761u) % DEMO_NPERSONA); }
static inline int demo_brand(long i) { return (int)((i * 40503u + 7) % DEMO_NBRAND); }

/* Hidden propensities of users and items. */
typedef struct {
    long users, items;
    double *u_click, *u_buy, *i_click, *i_buy, *i_price;
    int *u_city, *i_cat;
    double taste[DEMO_NCITY][DEMO_NCAT];
    /* Latent tastes: user u likes item i by <u_vec[u], i_vec[i]> (DEMO_LATENT each, those of
     * the user's persona and the item's brand): an interaction no hand-written cross of the
     * log's fields captures. */
    double *u_vec, *i_vec;
    double mean_pcvr; /* calibrated mean pCVR from the CVR step (for the budget step) */
} demo_world;

static inline double demo_affinity(const demo_world *w, long u, long i)
{
    double s = 0;
    for (int d = 0; d < DEMO_LATENT; d++) s += w->u_vec[u * DEMO_LATENT + d] * w->i_vec[i * DEMO_LATENT + d];
    return s;
}

static inline double demo_click_margin(const demo_world *w, long u, long i, int hour)
{
    return -2.2 + w->u_click[u] + w->i_click[i] + w->taste[w->u_city[u]][w->i_cat[i]] +
           (hour >= 19 && hour <= 23 ? 0.4 : 0.0) + demo_affinity(w, u, i);
}

static inline double demo_buy_margin(const demo_world *w, long u, long i)
{
    return -1.3 + w->u_buy[u] + w->i_buy[i] - 0.35 * log(w->i_price[i]) +
           0.5 * w->taste[w->u_city[u]][w->i_cat[i]] + 1.5 * demo_affinity(w, u, i);
}

/* Report output: printf to stdout, and to DIR/summary.txt when --report DIR is given. */
int demo_out(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* --report DIR, or NULL; steps write their CSV data there (demo_report_open). */
extern const char *demo_report_dir;
FILE *demo_report_open(const char *name);

int demo_cvr_and_calibration(demo_world *w, demo_rng *r, int quiet);
int demo_bandit(demo_world *w, demo_rng *r, int quiet);
int demo_budget(demo_world *w, demo_rng *r, int quiet);
int demo_recall(demo_world *w, demo_rng *r, int quiet);
int demo_uplift(demo_rng *r, int quiet);

#endif
