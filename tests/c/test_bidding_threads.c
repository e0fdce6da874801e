/* Concurrency: many threads bid and read the multiplier while one thread reports spend and
 * auction results and another serialises. Run under ThreadSanitizer in CI (suite
 * 'concurrency'). Bids must always be valid, and the final state must equal the state of a
 * bidder fed the same reports without readers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

/* The pacing state and counters through growth_bidder_stats_get(); any pointer may be NULL. */
static int bstats(const growth_bidder *b, double *multiplier, double *rate, double *spent,
                  uint64_t *auction_results)
{
    growth_bidder_stats st = GROWTH_BIDDER_STATS_INIT; /* zeros if the call fails */
    int rc = growth_bidder_stats_get(b, &st);
    if (multiplier) *multiplier = st.multiplier;
    if (rate) *rate = st.rate;
    if (spent) *spent = st.spent;
    if (auction_results) *auction_results = st.auction_results;
    return rc;
}

/* Planned spend at t and the spend so far. */
static int plan_spent(const growth_bidder *b, double t, double *planned, double *spent)
{
    int rc = bstats(b, NULL, NULL, spent, NULL);
    return rc ? rc : growth_bidder_plan(b, t, planned);
}

enum { READERS = 3, REPORTS = 20000 };

static growth_bidder *g_b;
static atomic_int g_done;
static atomic_long g_bad, g_reads;

static const char *CFG = "target_cpa=100 budget=3000 auction=first shade_min_obs=200 "
                         "plan=curve curve=1|2|3|4 day_seconds=40000 interval=50 max_multiplier=2";

static void *reader(void *arg)
{
    grng r;
    grng_seed(&r, (uint64_t)(uintptr_t)arg);
    double pc[8], pv[8], out[8];
    while (!atomic_load(&g_done)) {
        double pctr = grng_uniform(&r) * 0.2, pcvr = grng_uniform(&r) * 0.3, bid, m, q;
        if (growth_bidder_bid(g_b, pctr, pcvr, 0, grng_next(&r), &bid) != GROWTH_OK ||
            !(bid >= 0 && bid <= 2 * 100 * pctr * pcvr + 1e-12))
            atomic_fetch_add(&g_bad, 1);
        if (bstats(g_b, &m, &q, NULL, NULL) != GROWTH_OK || !(m >= 0.01 && m <= 2) || q != 1)
            atomic_fetch_add(&g_bad, 1);
        for (int i = 0; i < 8; i++) {
            pc[i] = pctr;
            pv[i] = pcvr;
        }
        if (growth_bidder_bid_batch(g_b, pc, pv, NULL, NULL, 8, out, 8) != GROWTH_OK)
            atomic_fetch_add(&g_bad, 1);
        double w, p, s;
        if (growth_bidder_win_rate(g_b, 1.0, &w) != GROWTH_OK || !(w >= 0 && w <= 1) ||
            plan_spent(g_b, 20000, &p, &s) != GROWTH_OK || !(s >= 0))
            atomic_fetch_add(&g_bad, 1);
        atomic_fetch_add(&g_reads, 1);
    }
    return NULL;
}

static void *saver(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_done)) {
        uint8_t *buf = NULL;
        size_t len = 0;
        growth_bidder *copy = NULL;
        if (growth_bidder_serialize(g_b, &buf, &len) != GROWTH_OK ||
            growth_bidder_deserialize(&copy, buf, len) != GROWTH_OK)
            atomic_fetch_add(&g_bad, 1);
        growth_bidder_free(copy);
        growth_buffer_free(buf);
    }
    return NULL;
}

static void feed(growth_bidder *b, int i)
{
    double t = 2.0 * i;
    double bid = 0.2 + 0.05 * (i % 37);
    double market = 0.3 + 0.04 * ((i * 7) % 41);
    growth_bidder_record_auction(b, bid, bid > market, (i % 2) ? market : NAN);
    if (bid > market)
        growth_bidder_record_spend(b, t, bid * 0.1);
    else
        growth_bidder_tick(b, t);
}

TEST(test_bid_while_feeding)
{
    CHECK_OK(growth_bidder_create(&g_b, CFG));
    growth_bidder *ref = NULL;
    CHECK_OK(growth_bidder_create(&ref, CFG));
    pthread_t th[READERS + 1];
    for (int t = 0; t < READERS; t++) pthread_create(&th[t], NULL, reader, (void *)(uintptr_t)(t + 1));
    pthread_create(&th[READERS], NULL, saver, NULL);
    for (int i = 0; i < REPORTS; i++) feed(g_b, i);
    atomic_store(&g_done, 1);
    for (int t = 0; t <= READERS; t++) pthread_join(th[t], NULL);
    for (int i = 0; i < REPORTS; i++) feed(ref, i);
    CHECK(atomic_load(&g_bad) == 0);
    CHECK(atomic_load(&g_reads) > 0);
    double m1, m2, s1, s2, w1, w2;
    bstats(g_b, &m1, NULL, NULL, NULL);
    bstats(ref, &m2, NULL, NULL, NULL);
    bstats(g_b, NULL, NULL, &s1, NULL);
    bstats(ref, NULL, NULL, &s2, NULL);
    growth_bidder_win_rate(g_b, 1.0, &w1);
    growth_bidder_win_rate(ref, 1.0, &w2);
    CHECK(m1 == m2 && s1 == s2 && w1 == w2);
    CHECK(m1 != 1.0); /* the controller acted */
    double b1, b2;
    CHECK_OK(growth_bidder_bid(g_b, 0.1, 0.2, 0, 5, &b1));
    CHECK_OK(growth_bidder_bid(ref, 0.1, 0.2, 0, 5, &b2));
    CHECK(b1 == b2);
    growth_bidder_free(ref);
    growth_bidder_free(g_b);
}

int main(void)
{
    RUN(test_bid_while_feeding);
    return GT_SUMMARY();
}
