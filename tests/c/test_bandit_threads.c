/* Concurrency: several threads select (with eligibility lists) while one thread applies the
 * rewards of their decisions, another saves snapshots and another adds and removes an extra arm.
 * Run under ThreadSanitizer in CI. Afterwards each permanent arm's posterior must equal the
 * prior plus exactly the rewards applied for its decisions, and eligibility never be violated. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum { SELECTORS = 3, PER_THREAD = 6000, ARMS = 8, QCAP = SELECTORS * PER_THREAD };

static growth_bandit *g_b;
static uint64_t g_dec[QCAP], g_arm[QCAP];
static atomic_int g_ready[QCAP];
static atomic_int g_qlen, g_selectors_done, g_stop;
static atomic_long g_bad;

static double reward_of(uint64_t dec) { return (dec % 3 == 0) ? 1.0 : 0.0; }

static void *selector(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint64_t el[4] = {100, 102, 104, 106};
    if (t == 1)
        for (int i = 0; i < 4; i++) el[i] = 101 + 2 * (uint64_t)i;
    for (int i = 0; i < PER_THREAD; i++) {
        uint64_t d, a;
        double p;
        int rc = (t == 2) ? growth_bandit_select(g_b, NULL, 0, NULL, 0, &d, &a, &p)
                          : growth_bandit_select(g_b, NULL, 0, el, 4, &d, &a, &p);
        if (rc != GROWTH_OK) {
            atomic_fetch_add(&g_bad, 1);
            continue;
        }
        if (t != 2 && a != el[0] && a != el[1] && a != el[2] && a != el[3]) atomic_fetch_add(&g_bad, 1);
        if (!(p > 0 && p <= 1)) atomic_fetch_add(&g_bad, 1);
        int slot = atomic_fetch_add(&g_qlen, 1);
        g_dec[slot] = d;
        g_arm[slot] = a;
        atomic_store_explicit(&g_ready[slot], 1, memory_order_release);
    }
    atomic_fetch_add(&g_selectors_done, 1);
    return NULL;
}

static void *rewarder(void *arg)
{
    (void)arg;
    int next = 0;
    while (next < QCAP) {
        if (!atomic_load_explicit(&g_ready[next], memory_order_acquire)) {
            if (atomic_load(&g_selectors_done) == SELECTORS && next >= atomic_load(&g_qlen)) break;
            continue;
        }
        /* rewards come in small batches, like a log consumer */
        uint64_t ids[16];
        double vals[16];
        int n = 0;
        while (n < 16 && next < QCAP && atomic_load_explicit(&g_ready[next], memory_order_acquire)) {
            ids[n] = g_dec[next];
            vals[n] = reward_of(g_dec[next]);
            n++;
            next++;
        }
        if (growth_bandit_reward_batch(g_b, ids, vals, (size_t)n, NULL, NULL) != GROWTH_OK)
            atomic_fetch_add(&g_bad, 1);
    }
    return NULL;
}

static void *churner(void *arg)
{
    (void)arg;
    char path[512];
    gt_path(path, sizeof path, "bandit_threads.model");
    while (!atomic_load(&g_stop)) {
        if (growth_bandit_add_arm(g_b, 999, 0.5, 2) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        uint8_t *buf = NULL;
        size_t len = 0;
        if (growth_bandit_serialize(g_b, &buf, &len) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        growth_buffer_free(buf);
        growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
        if (growth_bandit_stats_get(g_b, &st) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        usleep(500);
        if (growth_bandit_remove_arm(g_b, 999) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
        if (growth_bandit_save(g_b, path) != GROWTH_OK) atomic_fetch_add(&g_bad, 1);
    }
    unlink(path);
    return NULL;
}

TEST(test_select_while_rewarding)
{
    CHECK_OK(growth_bandit_create(&g_b, "policy=thompson seed=3 streams=4 ttl=1000000 propensity_draws=8"));
    for (uint64_t i = 0; i < ARMS; i++) CHECK_OK(growth_bandit_add_arm(g_b, 100 + i, 0, 0));
    pthread_t th[SELECTORS + 2];
    for (int t = 0; t < SELECTORS; t++) pthread_create(&th[t], NULL, selector, (void *)(intptr_t)t);
    pthread_create(&th[SELECTORS], NULL, rewarder, NULL);
    pthread_create(&th[SELECTORS + 1], NULL, churner, NULL);
    for (int t = 0; t <= SELECTORS; t++) pthread_join(th[t], NULL);
    atomic_store(&g_stop, 1);
    pthread_join(th[SELECTORS + 1], NULL);
    CHECK(atomic_load(&g_bad) == 0);
    int n = atomic_load(&g_qlen);
    CHECK(n == QCAP);
    double es[ARMS] = {0}, ef[ARMS] = {0};
    uint64_t churn = 0;
    for (int i = 0; i < n; i++) {
        if (g_arm[i] == 999) {
            churn++;
            continue;
        }
        double r = reward_of(g_dec[i]);
        es[g_arm[i] - 100] += r;
        ef[g_arm[i] - 100] += 1 - r;
    }
    for (int a = 0; a < ARMS; a++) {
        growth_bandit_arm_stats st = GROWTH_BANDIT_ARM_STATS_INIT;
        CHECK_OK(growth_bandit_arm_stats_get(g_b, 100 + (uint64_t)a, &st));
        CHECK(st.alpha == 1 + es[a] && st.beta == 1 + ef[a]);
    }
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(g_b, &st));
    CHECK(st.decisions == (uint64_t)QCAP);
    CHECK(st.applied + st.retired == (uint64_t)QCAP);
    CHECK(st.retired <= churn);
    growth_bandit_free(g_b);
}

int main(void)
{
    RUN(test_select_while_rewarding);
    return GT_SUMMARY();
}
