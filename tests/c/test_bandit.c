/* Bandits: exact posterior bookkeeping under any interleaving of select and reward, eligibility,
 * propensities against empirical frequencies, snapshot/restore reproducing decisions, samplers
 * against exact moments, OPE estimators against a known value, persistence, bad input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "bandit.pb-c.h"
#include "core.h"
#include "growth/growth.h"
#define GROWTH_SYS_UNSTABLE /* the sampler and the simulator */
#include "growth/sys/bandit.h"
#include "gtest.h"
#include "stored_config.h"

static const char *policies[] = {"thompson", "egreedy", "ucb1", "klucb", "lints", "linucb"};
#define NPOL 6

static bool linear(const char *p) { return strncmp(p, "lin", 3) == 0; }

/* An arm's statistics as {alpha, beta, evidence, mean}. */
static int arm_stats(const growth_bandit *b, uint64_t id, double *st)
{
    growth_bandit_arm_stats s = GROWTH_BANDIT_ARM_STATS_INIT;
    int rc = growth_bandit_arm_stats_get(b, id, &s);
    st[0] = rc ? NAN : s.alpha;
    st[1] = rc ? NAN : s.beta;
    st[2] = rc ? NAN : s.evidence;
    st[3] = rc ? NAN : s.mean;
    return rc;
}

static uint64_t arm_count(const growth_bandit *b)
{
    growth_bandit_stats s = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(b, &s));
    return s.arms;
}

static growth_bandit *make(const char *policy, const char *extra, int arms)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg, "policy=%s seed=11 %s %s", policy, linear(policy) ? "dim=3" : "",
             extra ? extra : "");
    growth_bandit *b = NULL;
    CHECK_OK(growth_bandit_create(&b, cfg));
    for (int i = 0; b && i < arms; i++) CHECK_OK(growth_bandit_add_arm(b, (uint64_t)(100 + i), 0, 0));
    return b;
}

static void ctx_of(uint64_t t, float *x)
{
    x[0] = 1.0f;
    x[1] = (float)((t * 7) % 11) / 11.0f - 0.5f;
    x[2] = (float)((t * 5) % 13) / 13.0f;
}

static growth_bandit *clone(const growth_bandit *b)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    growth_bandit *c = NULL;
    CHECK_OK(growth_bandit_serialize(b, &buf, &len));
    CHECK_OK(growth_bandit_deserialize(&c, buf, len));
    growth_buffer_free(buf);
    return c;
}

/* Runs `steps` select/reward rounds on both bandits with the same inputs; they must agree. */
static int same_future(growth_bandit *a, growth_bandit *b, const char *policy, int steps)
{
    int diffs = 0;
    float x[3];
    size_t dim = linear(policy) ? 3 : 0;
    for (int t = 0; t < steps; t++) {
        ctx_of((uint64_t)t, x);
        uint64_t da, aa, db, ab;
        double pa, pb;
        int ra = growth_bandit_select(a, dim ? x : NULL, dim, NULL, 0, &da, &aa, &pa);
        int rb = growth_bandit_select(b, dim ? x : NULL, dim, NULL, 0, &db, &ab, &pb);
        if (ra != rb || da != db || aa != ab || memcmp(&pa, &pb, sizeof pa) != 0) diffs++;
        double r = (aa % 3 == 0) ? 1.0 : ((t % 4) == 0 ? 1.0 : 0.0);
        if (t % 3 != 2) { /* some decisions never get a reward; others arrive a bit later */
            growth_bandit_reward(a, da, r);
            growth_bandit_reward(b, db, r);
        }
    }
    return diffs;
}

TEST(test_config_and_bad_create)
{
    growth_bandit *b = NULL;
    CHECK_RC(growth_bandit_create(&b, "policy=softmax"), GROWTH_EINVAL);
    CHECK_MSG("policy");
    CHECK_RC(growth_bandit_create(&b, "colour=red"), GROWTH_EINVAL);
    CHECK_MSG("colour");
    CHECK_RC(growth_bandit_create(&b, "policy=lints"), GROWTH_EINVAL);
    CHECK_MSG("dim");
    CHECK_RC(growth_bandit_create(&b, "policy=thompson dim=4"), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_create(&b, "decay=0.99 window=100"), GROWTH_EINVAL);
    CHECK_MSG("window");
    CHECK_RC(growth_bandit_create(&b, "streams=3"), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_create(&b, "prior_alpha=0"), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_create(&b, "policy=linucb dim=2 decay=0.9"), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_create(NULL, ""), GROWTH_EINVAL);
    CHECK(b == NULL);
    CHECK_OK(growth_bandit_create(&b, "policy=egreedy epsilon=0.2 seed=5"));
    char buf[1024];
    size_t need = 0;
    CHECK_OK(growth_bandit_config(b, buf, sizeof buf, &need));
    CHECK(strstr(buf, "policy=egreedy") && strstr(buf, "epsilon=0.2") && strstr(buf, "seed=5"));
    CHECK_RC(growth_bandit_config(b, buf, 8, &need), GROWTH_EBUFS);
    CHECK(need == strlen(buf) + 1 || need > 8);
    growth_bandit_free(b);
    growth_bandit_free(NULL);
}

TEST(test_arms_add_remove_replace_named)
{
    growth_bandit *b = make("thompson", NULL, 0);
    uint64_t dec, arm;
    CHECK_RC(growth_bandit_select(b, NULL, 0, NULL, 0, &dec, &arm, NULL), GROWTH_ESTATE);
    CHECK_MSG("no arms");
    CHECK_OK(growth_bandit_add_arm(b, 1, 0, 0));
    CHECK_RC(growth_bandit_add_arm(b, 1, 0, 0), GROWTH_EINVAL);
    CHECK_MSG("already exists");
    CHECK_RC(growth_bandit_add_arm(b, UINT64_C(1) << 63, 0, 0), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_add_arm(b, 2, 1.5, 10), GROWTH_EINVAL);
    CHECK_MSG("prior_rate");
    CHECK_RC(growth_bandit_add_arm(b, 2, 0.5, NAN), GROWTH_EINVAL);
    uint64_t named = 0;
    CHECK_OK(growth_bandit_add_arm_named(b, "coupon-5-off", 0.2, 10, &named));
    CHECK(named == growth_bandit_name_id("coupon-5-off") && (named >> 63));
    char nm[64];
    CHECK_OK(growth_bandit_arm_name(b, named, nm, sizeof nm, NULL));
    CHECK(strcmp(nm, "coupon-5-off") == 0);
    CHECK_RC(growth_bandit_arm_name(b, 1, nm, sizeof nm, NULL), GROWTH_ENOTFOUND);
    double st[4];
    CHECK_OK(arm_stats(b, named, st));
    CHECK_NEAR(st[0], 2.0, 1e-12); /* Beta(0.2 * 10, 0.8 * 10) */
    CHECK_NEAR(st[1], 8.0, 1e-12);
    CHECK_RC(growth_bandit_remove_arm(b, 77), GROWTH_ENOTFOUND);
    CHECK_OK(growth_bandit_replace_arm(b, 1, 5, 0.5, 4));
    CHECK_OK(arm_stats(b, 5, st));
    CHECK_NEAR(st[0], 2.0, 0);
    CHECK_RC(arm_stats(b, 1, st), GROWTH_ENOTFOUND);
    CHECK(arm_count(b) == 2);
    /* many arms: add 100k, remove every other, lookups stay right */
    for (uint64_t i = 1000; i < 101000; i++) CHECK_OK(growth_bandit_add_arm(b, i, 0, 0));
    for (uint64_t i = 1000; i < 101000; i += 2) CHECK_OK(growth_bandit_remove_arm(b, i));
    CHECK(arm_count(b) == 50002);
    int bad = 0;
    for (uint64_t i = 1000; i < 101000; i++) bad += (arm_stats(b, i, st) == GROWTH_OK) != (i % 2 == 1);
    CHECK(bad == 0);
    static uint64_t ids[60000];
    size_t need = 0;
    CHECK_OK(growth_bandit_arms(b, ids, 60000, &need));
    CHECK(need == 50002);
    CHECK_RC(growth_bandit_arms(b, ids, 10, &need), GROWTH_EBUFS);
    uint64_t el[3] = {1001, 5, 99999};
    for (int t = 0; t < 200; t++) {
        CHECK_OK(growth_bandit_select(b, NULL, 0, el, 3, &dec, &arm, NULL));
        CHECK(arm == 1001 || arm == 5 || arm == 99999);
    }
    growth_bandit_free(b);
    growth_bandit *c = NULL;
    CHECK_OK(growth_bandit_create(&c, "max_arms=2"));
    CHECK_OK(growth_bandit_add_arm(c, 1, 0, 0));
    CHECK_OK(growth_bandit_add_arm(c, 2, 0, 0));
    CHECK_RC(growth_bandit_add_arm(c, 3, 0, 0), GROWTH_ENOMEM);
    CHECK_MSG("max_arms");
    growth_bandit_free(c);
}

/* Thompson Sampling posterior counts equal prior + applied rewards exactly, whatever the
 * interleaving: late rewards, missing rewards, duplicates, unknown ids, batches. */
TEST(test_ts_counts_exact_any_interleaving)
{
    for (int variant = 0; variant < 2; variant++) {
        growth_bandit *b = make("thompson", variant ? "streams=8 ttl=100000" : NULL, 6);
        CHECK_OK(growth_bandit_add_arm(b, 200, 0.3, 20)); /* a cold-start prior */
        double es[7] = {0}, ef[7] = {0};
        static uint64_t dec[5000], arm[5000];
        static bool done[5000];
        memset(done, 0, sizeof done);
        grng r;
        grng_seed(&r, 3 + (uint64_t)variant);
        int nd = 0;
        uint64_t expect_unknown = 0, expect_dup = 0;
        for (int step = 0; step < 20000; step++) {
            double u = grng_uniform(&r);
            if (u < 0.35 && nd < 5000) {
                CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &dec[nd], &arm[nd], NULL));
                nd++;
            } else if (u < 0.8 && nd > 0) {
                int j = (int)grng_below(&r, (uint64_t)nd);
                double v = (double)grng_below(&r, 5) / 4.0; /* 0, .25, .5, .75, 1: exact sums */
                int rc = growth_bandit_reward(b, dec[j], v);
                if (done[j]) {
                    CHECK(rc == GROWTH_ENOTFOUND);
                    expect_dup++;
                } else {
                    CHECK_OK(rc);
                    done[j] = true;
                    int a = arm[j] == 200 ? 6 : (int)(arm[j] - 100);
                    es[a] += v;
                    ef[a] += 1 - v;
                }
            } else if (u < 0.85) {
                CHECK_RC(growth_bandit_reward(b, 1000000 + (uint64_t)step, 1.0), GROWTH_ENOTFOUND);
                expect_unknown++;
            } else if (nd > 10) { /* a batch of 10 recent decisions, some repeated */
                uint64_t ids[10];
                double vals[10];
                int st[10];
                int js[10];
                for (int i = 0; i < 10; i++) {
                    js[i] = nd - 1 - (int)grng_below(&r, 10);
                    ids[i] = dec[js[i]];
                    vals[i] = (double)grng_below(&r, 2);
                }
                size_t applied = 0;
                CHECK_OK(growth_bandit_reward_batch(b, ids, vals, 10, st, &applied));
                size_t count = 0;
                for (int i = 0; i < 10; i++) {
                    int j = js[i];
                    if (done[j]) {
                        CHECK(st[i] == GROWTH_ENOTFOUND);
                        expect_dup++;
                    } else {
                        CHECK(st[i] == GROWTH_OK);
                        done[j] = true;
                        count++;
                        int a = arm[j] == 200 ? 6 : (int)(arm[j] - 100);
                        es[a] += vals[i];
                        ef[a] += 1 - vals[i];
                    }
                }
                CHECK(applied == count);
            }
        }
        for (int a = 0; a < 7; a++) {
            double st[4];
            uint64_t id = a == 6 ? 200 : (uint64_t)(100 + a);
            CHECK_OK(arm_stats(b, id, st));
            double pa = a == 6 ? 6.0 : 1.0, pb = a == 6 ? 14.0 : 1.0;
            CHECK(st[0] == pa + es[a]);
            CHECK(st[1] == pb + ef[a]);
        }
        growth_bandit_stats s = GROWTH_BANDIT_STATS_INIT;
        CHECK_OK(growth_bandit_stats_get(b, &s));
        size_t applied = 0, pending = 0;
        for (int j = 0; j < nd; j++) applied += done[j], pending += !done[j];
        CHECK(s.decisions == (uint64_t)nd);
        CHECK(s.applied == applied);
        CHECK(s.pending == pending);
        CHECK(s.unknown == expect_unknown);
        CHECK(s.duplicate == expect_dup);
        growth_bandit_free(b);
    }
}

TEST(test_expiry_retire_and_ttl_seconds)
{
    growth_bandit *b = make("thompson", "ttl=5", 3);
    uint64_t d[10], a[10];
    for (int i = 0; i < 10; i++) CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &d[i], &a[i], NULL));
    CHECK_RC(growth_bandit_reward(b, d[0], 1), GROWTH_ENOTFOUND); /* 9 newer decisions > ttl */
    CHECK_MSG("expired");
    CHECK_OK(growth_bandit_reward(b, d[9], 1));
    CHECK_OK(growth_bandit_remove_arm(b, a[8]));
    CHECK_RC(growth_bandit_reward(b, d[8], 1), GROWTH_ENOTFOUND);
    CHECK_MSG("removed");
    /* re-adding the same id is another arm: the old decision stays retired */
    CHECK_OK(growth_bandit_add_arm(b, a[8], 0, 0));
    int retired = 1;
    for (int i = 5; i < 8; i++) {
        int rc = growth_bandit_reward(b, d[i], 0);
        if (a[i] == a[8]) {
            CHECK(rc == GROWTH_ENOTFOUND);
            retired++;
        } else
            CHECK_OK(rc);
    }
    growth_bandit_stats s = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(b, &s));
    CHECK(s.expired == 1);
    CHECK(s.retired == (uint64_t)retired);
    growth_bandit_stats small = {.struct_size = 8};
    CHECK_RC(growth_bandit_stats_get(b, &small), GROWTH_EINVAL);
    growth_bandit_free(b);
    b = make("thompson", "ttl_seconds=0.05", 2);
    CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &d[0], &a[0], NULL));
    CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &d[1], &a[1], NULL));
    CHECK_OK(growth_bandit_reward(b, d[1], 1));
    usleep(120000);
    CHECK_RC(growth_bandit_reward(b, d[0], 1), GROWTH_ENOTFOUND);
    CHECK_MSG("expired");
    growth_bandit_free(b);
}

/* Eligibility (lists and masks) is never violated, slates are distinct, for every policy. */
TEST(test_eligibility_and_topk)
{
    for (int p = 0; p < NPOL; p++) {
        growth_bandit *b = make(policies[p], "propensity_draws=20", 12);
        grng r;
        grng_seed(&r, 9);
        float x[3];
        size_t dim = linear(policies[p]) ? 3 : 0;
        int violations = 0;
        for (int t = 0; t < 600; t++) {
            ctx_of((uint64_t)t, x);
            uint64_t el[12];
            uint8_t mask[12];
            size_t ne = 0;
            for (int i = 0; i < 12; i++) {
                mask[i] = grng_uniform(&r) < 0.4;
                if (mask[i]) el[ne++] = 100 + (uint64_t)i; /* dense index i is arm 100 + i: no removals */
            }
            if (ne == 0) {
                el[ne++] = 104;
                mask[4] = 1;
            }
            size_t k = 1 + (size_t)grng_below(&r, ne);
            uint64_t dec[12], arm[12];
            double prop[12];
            bool use_mask = t % 2;
            CHECK_OK(growth_bandit_select_k(b, dim ? x : NULL, dim, use_mask ? NULL : el, use_mask ? 0 : ne,
                                            use_mask ? mask : NULL, use_mask ? 12 : 0, k, dec, arm, prop,
                                            12));
            for (size_t i = 0; i < k; i++) {
                int idx = (int)(arm[i] - 100);
                if (idx < 0 || idx >= 12 || !mask[idx]) violations++;
                for (size_t j = 0; j < i; j++) violations += arm[j] == arm[i];
                if (!(prop[i] > 0 && prop[i] <= 1)) violations++;
                if (i) CHECK(dec[i] == dec[i - 1] + 1);
                growth_bandit_reward(b, dec[i], (arm[i] % 4 == 0) ? 1.0 : 0.0);
            }
        }
        CHECK(violations == 0);
        if (violations) fprintf(stderr, "  policy %s: %d violations\n", policies[p], violations);
        growth_bandit_free(b);
    }
}

/* Propensities: probabilities() sums to 1, reported propensities match empirical selection
 * frequencies in a frozen state (no rewards while sampling). */
TEST(test_propensities_match_frequencies)
{
    for (int p = 0; p < NPOL; p++) {
        growth_bandit *b = make(policies[p], "propensity_draws=400 epsilon=0.3", 5);
        float x[3];
        size_t dim = linear(policies[p]) ? 3 : 0;
        /* learn a bit so arms differ */
        for (int t = 0; t < 300; t++) {
            ctx_of((uint64_t)t, x);
            uint64_t d, a;
            CHECK_OK(growth_bandit_select(b, dim ? x : NULL, dim, NULL, 0, &d, &a, NULL));
            CHECK_OK(growth_bandit_reward(b, d, (a == 101 || (a == 103 && t % 2)) ? 1.0 : 0.0));
        }
        ctx_of(7, x);
        double probs[5], sum = 0;
        CHECK_OK(growth_bandit_probabilities(b, dim ? x : NULL, dim, NULL, 0, 100000, 42, probs, 5));
        for (int i = 0; i < 5; i++) sum += probs[i];
        CHECK_NEAR(sum, 1.0, 1e-9);
        const int N = 6000;
        double freq[5] = {0}, mean_prop[5] = {0};
        int cnt[5] = {0};
        for (int t = 0; t < N; t++) {
            uint64_t d, a;
            double pr;
            CHECK_OK(growth_bandit_select(b, dim ? x : NULL, dim, NULL, 0, &d, &a, &pr));
            int i = (int)(a - 100);
            freq[i] += 1.0 / N;
            mean_prop[i] += pr;
            cnt[i]++;
        }
        for (int i = 0; i < 5; i++) {
            double sd = sqrt(probs[i] * (1 - probs[i]) / N) + 1e-3;
            CHECK_NEAR(freq[i], probs[i], 4.5 * sd);
            if (cnt[i] > 50) /* the reported propensity of a choice estimates the same probability */
                CHECK_NEAR(mean_prop[i] / cnt[i], probs[i], 4.5 * sqrt(probs[i] / 400.0) + 0.03);
        }
        growth_bandit_free(b);
    }
    /* deterministic policies report exact values: UCB1 with 3 untried arms -> 1/3 each */
    growth_bandit *b = make("ucb1", NULL, 3);
    uint64_t d, a;
    double pr;
    CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &d, &a, &pr));
    CHECK(pr == 1.0 / 3.0);
    uint64_t ds[3], as[3];
    double ps[3];
    CHECK_OK(growth_bandit_select_k(b, NULL, 0, NULL, 0, NULL, 0, 2, ds, as, ps, 3));
    CHECK(ps[0] == 2.0 / 3.0 && ps[1] == 2.0 / 3.0);
    growth_bandit_free(b);
    /* TS without propensity_draws reports NaN */
    b = make("thompson", NULL, 3);
    CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &d, &a, &pr));
    CHECK(isnan(pr));
    growth_bandit_free(b);
}

TEST(test_snapshot_restore_same_decisions)
{
    const char *extras[] = {"", "decay=0.99", "window=50", "streams=16 propensity_draws=10",
                            "ttl_seconds=100"};
    char path[512];
    gt_path(path, sizeof path, "bandit_snapshot.model");
    for (int p = 0; p < NPOL; p++)
        for (int e = 0; e < 5; e++) {
            if (linear(policies[p]) && e == 1) continue;
            growth_bandit *a = make(policies[p], extras[e], 8);
            growth_bandit *warm = make(policies[p], extras[e], 8);
            same_future(a, warm, policies[p], 200); /* a history with pending decisions */
            growth_bandit_free(warm);
            growth_bandit *c = clone(a);
            CHECK_OK(growth_bandit_save(a, path));
            growth_bandit *l = NULL;
            CHECK_OK(growth_bandit_load(&l, path));
            growth_bandit *a2 = clone(a);
            int d1 = same_future(a, c, policies[p], 300);
            int d2 = same_future(a2, l, policies[p], 300);
            CHECK(d1 == 0 && d2 == 0);
            if (d1 || d2)
                fprintf(stderr, "  policy %s extra '%s': %d/%d differ\n", policies[p], extras[e], d1, d2);
            growth_bandit_free(a);
            growth_bandit_free(a2);
            growth_bandit_free(c);
            growth_bandit_free(l);
        }
    unlink(path);
}

TEST(test_persistence_corruption)
{
    growth_bandit *b = make("linucb", NULL, 4);
    CHECK_OK(growth_bandit_add_arm_named(b, "banner-A", 0, 0, NULL));
    float x[3] = {1, 2, 3};
    uint64_t d, a;
    CHECK_OK(growth_bandit_select(b, x, 3, NULL, 0, &d, &a, NULL));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_bandit_serialize(b, &buf, &len));
    growth_bandit *o = NULL;
    for (size_t cut = 0; cut < len; cut += len / 13 + 1) {
        CHECK_RC(growth_bandit_deserialize(&o, buf, cut), GROWTH_EFORMAT);
    }
    for (size_t i = 0; i < len; i += 7) {
        buf[i] ^= 0x5a;
        CHECK_RC(growth_bandit_deserialize(&o, buf, len), GROWTH_EFORMAT);
        buf[i] ^= 0x5a;
    }
    CHECK(o == NULL);
    CHECK_OK(growth_bandit_deserialize(&o, buf, len));
    char nm[32];
    CHECK_OK(growth_bandit_arm_name(o, growth_bandit_name_id("banner-A"), nm, sizeof nm, NULL));
    CHECK(strcmp(nm, "banner-A") == 0);
    CHECK_OK(growth_bandit_reward(o, d, 2.5)); /* the pending decision survived */
    growth_bandit_free(o);
    growth_buffer_free(buf);
    /* a file of another kind */
    char path[512];
    gt_path(path, sizeof path, "bandit_wrong_kind.model");
    growth_ftrl *f = NULL;
    CHECK_OK(growth_ftrl_create(&f, "bits=4"));
    CHECK_OK(growth_ftrl_save(f, path));
    growth_ftrl_free(f);
    CHECK_RC(growth_bandit_load(&o, path), GROWTH_EFORMAT);
    CHECK_MSG("expected 'bandit'");
    unlink(path);
    CHECK_RC(growth_bandit_load(&o, "/nonexistent/dir/x"), GROWTH_EIO);
    CHECK_OK(growth_bandit_save(b, path));
    int kind = 0;
    CHECK_OK(growth_model_kind(path, &kind, NULL));
    CHECK(kind == GROWTH_KIND_BANDIT);
    unlink(path);
    growth_bandit_free(b);
}

/* A saved bandit whose stored configuration has keys that each parse but do not go together
 * (bandit_check_cfg's rules: dim with a non-contextual policy, decay with window, epsilon_min
 * above epsilon, streams not a power of two) is a damaged file, EFORMAT, not the EINVAL
 * growth_bandit_create gives a caller. */
TEST(test_stored_config_cross_keys)
{
    growth_bandit *a = NULL;
    CHECK_OK(growth_bandit_create(&a, "policy=thompson seed=3"));
    CHECK_OK(growth_bandit_add_arm(a, 1, 0, 0));
    CHECK_OK(growth_bandit_add_arm(a, 2, 0, 0));
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_OK(growth_bandit_serialize(a, &buf, &len));
    static const char *const cfgs[] = {
        "policy=thompson seed=3", /* the unchanged configuration: still loads */
        "policy=thompson seed=3 dim=4",
        "policy=thompson seed=3 decay=0.99 window=100",
        "policy=thompson seed=3 epsilon=0.1 epsilon_min=0.5",
        "policy=thompson seed=3 streams=3",
    };
    for (size_t t = 0; t < sizeof cfgs / sizeof cfgs[0]; t++) {
        growth_bandit *c = NULL;
        CHECK_RC(growth_bandit_create(&c, cfgs[t]), t ? GROWTH_EINVAL : GROWTH_OK); /* as a caller's */
        growth_bandit_free(c);
        uint8_t *out = NULL;
        size_t olen = 0;
        CHECK_OK(gt_with_config(buf, len, &growth__bandit_state__descriptor, cfgs[t], &out, &olen));
        if (!out) break;
        growth_bandit *b = NULL;
        if (t == 0) {
            CHECK_OK(growth_bandit_deserialize(&b, out, olen));
            CHECK(b != NULL);
            growth_bandit_free(b);
        } else {
            CHECK_RC(growth_bandit_deserialize(&b, out, olen), GROWTH_EFORMAT);
            CHECK_MSG("stored configuration is invalid");
            CHECK(b == NULL);
        }
        free(out);
    }
    growth_buffer_free(buf);
    growth_bandit_free(a);
}

/* Bad input returns the right status and message and leaves the bandit as it was. */
TEST(test_bad_input_leaves_handle_unchanged)
{
    growth_bandit *b = make("thompson", NULL, 4);
    growth_bandit *ref = clone(b);
    uint64_t d, a, el[2] = {100, 999};
    double pr;
    float x[3] = {1, NAN, 0};
    CHECK_RC(growth_bandit_select(b, NULL, 0, el, 2, &d, &a, &pr), GROWTH_ENOTFOUND);
    CHECK_MSG("999");
    CHECK_RC(growth_bandit_select(b, NULL, 0, el, 0, &d, &a, &pr), GROWTH_ENOTFOUND);
    CHECK_MSG("empty");
    uint64_t dup[2] = {100, 100};
    uint64_t ds[4], as[4];
    CHECK_RC(growth_bandit_select_k(b, NULL, 0, dup, 2, NULL, 0, 2, ds, as, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("twice");
    CHECK_RC(growth_bandit_select_k(b, NULL, 0, NULL, 0, NULL, 0, 5, ds, as, NULL, 4), GROWTH_EBUFS);
    CHECK_RC(growth_bandit_select_k(b, NULL, 0, el, 1, NULL, 0, 2, ds, as, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("k=2");
    uint8_t mask[4] = {0, 0, 0, 0};
    CHECK_RC(growth_bandit_select_k(b, NULL, 0, NULL, 0, mask, 4, 1, ds, as, NULL, 4), GROWTH_ENOTFOUND);
    CHECK_RC(growth_bandit_select_k(b, NULL, 0, NULL, 0, mask, 3, 1, ds, as, NULL, 4), GROWTH_EINVAL);
    CHECK_MSG("mask");
    CHECK_RC(growth_bandit_select(b, x, 3, NULL, 0, &d, &a, &pr), GROWTH_EINVAL);
    CHECK_MSG("dim=0");
    CHECK_RC(growth_bandit_select(NULL, NULL, 0, NULL, 0, &d, &a, &pr), GROWTH_EINVAL);
    CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &d, &a, &pr));
    CHECK_OK(growth_bandit_select(ref, NULL, 0, NULL, 0, &d, &a, &pr));
    CHECK_RC(growth_bandit_reward(b, d, NAN), GROWTH_EINVAL);
    CHECK_MSG("not finite");
    CHECK_RC(growth_bandit_reward(b, d, 1.5), GROWTH_EINVAL);
    CHECK_MSG("outside [0, 1]");
    CHECK_RC(growth_bandit_reward(b, d, -0.1), GROWTH_EINVAL);
    uint64_t ids[2] = {d, d};
    double vals[2] = {1, INFINITY};
    CHECK_RC(growth_bandit_reward_batch(b, ids, vals, 2, NULL, NULL), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_add_arm(b, 100, 0, 0), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_replace_arm(b, 100, 101, 0, 0), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_replace_arm(b, 555, 556, 0, 0), GROWTH_ENOTFOUND);
    CHECK_RC(growth_bandit_probabilities(b, NULL, 0, NULL, 0, 0, 1, NULL, 4), GROWTH_EINVAL);
    double probs[4];
    CHECK_RC(growth_bandit_probabilities(b, NULL, 0, NULL, 0, 0, 1, probs, 4), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_probabilities(b, NULL, 0, NULL, 0, 10, 1, probs, 2), GROWTH_EBUFS);
    /* nothing changed: the same future as the reference, and still usable */
    CHECK_OK(growth_bandit_reward(b, d, 1));
    CHECK_OK(growth_bandit_reward(ref, d, 1));
    CHECK(same_future(b, ref, "thompson", 200) == 0);
    growth_bandit_free(ref);
    growth_bandit_free(b);
    /* linear: context of the wrong width, NaN context */
    b = make("lints", NULL, 3);
    ref = clone(b);
    CHECK_RC(growth_bandit_select(b, x, 2, NULL, 0, &d, &a, &pr), GROWTH_EINVAL);
    CHECK_MSG("dim=3");
    CHECK_RC(growth_bandit_select(b, x, 3, NULL, 0, &d, &a, &pr), GROWTH_EINVAL);
    CHECK_MSG("not finite");
    CHECK_RC(growth_bandit_select(b, NULL, 3, NULL, 0, &d, &a, &pr), GROWTH_EINVAL);
    CHECK_RC(growth_bandit_add_arm(b, 9, 0.5, 3), GROWTH_EINVAL);
    CHECK(same_future(b, ref, "lints", 100) == 0);
    growth_bandit_free(ref);
    growth_bandit_free(b);
}

TEST(test_decay_and_window)
{
    growth_bandit *b = make("thompson", "decay=0.9", 2);
    uint64_t d, a, el0[1] = {100}, el1[1] = {101};
    CHECK_OK(growth_bandit_select(b, NULL, 0, el0, 1, &d, &a, NULL));
    CHECK_OK(growth_bandit_reward(b, d, 1));
    for (int i = 0; i < 10; i++) {
        CHECK_OK(growth_bandit_select(b, NULL, 0, el1, 1, &d, &a, NULL));
        CHECK_OK(growth_bandit_reward(b, d, 0));
    }
    double st[4];
    CHECK_OK(arm_stats(b, 100, st));
    CHECK_NEAR(st[0], 1.0 + pow(0.9, 10), 1e-12);
    CHECK_NEAR(st[1], 1.0, 1e-12);
    CHECK_OK(arm_stats(b, 101, st));
    double geo = 0;
    for (int i = 0; i < 10; i++) geo += pow(0.9, i);
    CHECK_NEAR(st[1], 1.0 + geo, 1e-12);
    growth_bandit_free(b);
    /* a long run with tiny decay exercises the renormalisation of the scale */
    b = make("thompson", "decay=0.5", 1);
    for (int i = 0; i < 2000; i++) {
        CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &d, &a, NULL));
        CHECK_OK(growth_bandit_reward(b, d, 1));
    }
    CHECK_OK(arm_stats(b, 100, st));
    CHECK_NEAR(st[0], 1.0 + 2.0, 1e-9); /* geometric series 1 + 1/2 + ... */
    growth_bandit_free(b);
    /* window: only the last W rewards count */
    b = make("thompson", "window=5", 2);
    for (int i = 0; i < 12; i++) {
        CHECK_OK(growth_bandit_select(b, NULL, 0, i < 6 ? el0 : el1, 1, &d, &a, NULL));
        CHECK_OK(growth_bandit_reward(b, d, i % 2));
    }
    CHECK_OK(arm_stats(b, 100, st));
    CHECK(st[0] == 1 && st[1] == 1);
    CHECK_OK(arm_stats(b, 101, st));
    CHECK(st[0] == 1 + 3 && st[1] == 1 + 2); /* i = 7..11: three odd (reward 1), two even */
    growth_bandit_free(b);
}

/* Sherman-Morrison updates of A^-1 agree with refactoring from A at every update: LinUCB
 * (deterministic) makes identical choices with refresh=1 and refresh=100000, with a window. */
TEST(test_linear_updates_match_refactor)
{
    const char *win[2] = {"", "window=40"};
    for (int w = 0; w < 2; w++) {
        char c1[128], c2[128];
        snprintf(c1, sizeof c1, "refresh=1 %s", win[w]);
        snprintf(c2, sizeof c2, "refresh=100000 %s", win[w]);
        growth_bandit *a = make("linucb", c1, 4), *b = make("linucb", c2, 4);
        int diffs = 0;
        float x[3];
        grng r;
        grng_seed(&r, 1);
        double theta[4][3] = {{0.1, 0.5, 0}, {0.3, -0.4, 0.2}, {0.2, 0, 0.3}, {0.5, 0.1, -0.5}};
        double reward_sum = 0;
        for (int t = 0; t < 1500; t++) {
            x[0] = 1;
            x[1] = (float)grng_normal(&r);
            x[2] = (float)grng_uniform(&r);
            uint64_t da, aa, db, ab;
            CHECK_OK(growth_bandit_select(a, x, 3, NULL, 0, &da, &aa, NULL));
            CHECK_OK(growth_bandit_select(b, x, 3, NULL, 0, &db, &ab, NULL));
            diffs += aa != ab;
            int i = (int)(aa - 100);
            double mu = theta[i][0] * x[0] + theta[i][1] * x[1] + theta[i][2] * x[2];
            double rew = mu + 0.1 * grng_normal(&r);
            reward_sum += mu;
            CHECK_OK(growth_bandit_reward(a, da, rew));
            CHECK_OK(growth_bandit_reward(b, db, rew));
        }
        CHECK(diffs == 0);
        /* and it learns: mean reward beats the best single arm's average clearly */
        if (w == 0) CHECK(reward_sum / 1500 > 0.45);
        double st[4];
        CHECK_OK(arm_stats(a, 100, st));
        CHECK(w == 0 || st[2] <= 40);
        growth_bandit_free(a);
        growth_bandit_free(b);
    }
}

/* The Beta sampler against exact moments; the normal via its tail mass. */
TEST(test_beta_sampler_moments)
{
    const double ab[][2] = {{1, 1}, {0.3, 0.7}, {2, 50}, {500, 20000}, {0.05, 3}, {7.5, 7.5}};
    enum { N = 200000 };
    static double a[N], bb[N], out[N];
    for (size_t c = 0; c < sizeof ab / sizeof ab[0]; c++) {
        for (int i = 0; i < N; i++) {
            a[i] = ab[c][0];
            bb[i] = ab[c][1];
        }
        CHECK_OK(growth_bandit_sample_beta(77 + c, a, bb, N, out, N));
        double m = 0, v = 0, A = ab[c][0], B = ab[c][1];
        for (int i = 0; i < N; i++) m += out[i];
        m /= N;
        for (int i = 0; i < N; i++) v += (out[i] - m) * (out[i] - m);
        v /= N - 1;
        double em = A / (A + B), ev = A * B / ((A + B) * (A + B) * (A + B + 1));
        CHECK_NEAR(m, em, 5 * sqrt(ev / N));
        CHECK_NEAR(v, ev, 0.03 * ev);
        int out_of_range = 0;
        for (int i = 0; i < N; i++) out_of_range += !(out[i] >= 0 && out[i] <= 1);
        CHECK(out_of_range == 0);
    }
    a[0] = 0;
    CHECK_RC(growth_bandit_sample_beta(1, a, bb, 1, out, 1), GROWTH_EINVAL);
    a[0] = 1;
    CHECK_RC(growth_bandit_sample_beta(1, a, bb, 2, out, 1), GROWTH_EBUFS);
    /* Beta(1, 1) is uniform: deciles hold 10% each */
    for (int i = 0; i < N; i++) {
        a[i] = 1;
        bb[i] = 1;
    }
    CHECK_OK(growth_bandit_sample_beta(5, a, bb, N, out, N));
    int dec[10] = {0};
    for (int i = 0; i < N; i++) dec[(int)(out[i] * 10) % 10]++;
    for (int k = 0; k < 10; k++) CHECK_NEAR(dec[k] / (double)N, 0.1, 5 * sqrt(0.09 / N));
}

/* OPE estimators on a synthetic log with a known target value. */
TEST(test_ope_unbiased)
{
    enum { N = 40000, K = 4, G = 3 };
    static uint32_t act[N];
    static double rew[N], prop[N], target[N * K], qhat[N * K], tdet[N * K];
    double mu[G][K] = {{0.1, 0.3, 0.5, 0.2}, {0.6, 0.2, 0.1, 0.4}, {0.3, 0.3, 0.7, 0.9}};
    double logp[G][K] = {{0.4, 0.3, 0.2, 0.1}, {0.1, 0.2, 0.3, 0.4}, {0.25, 0.25, 0.25, 0.25}};
    double tp[G][K] = {{0, 0.2, 0.8, 0}, {0.7, 0, 0, 0.3}, {0, 0, 0.5, 0.5}};
    int tbest[G] = {2, 0, 3};
    double truth = 0, truth_det = 0;
    for (int g = 0; g < G; g++)
        for (int k = 0; k < K; k++) {
            truth += tp[g][k] * mu[g][k] / G;
            truth_det += (k == tbest[g]) * mu[g][k] / G;
        }
    grng r;
    grng_seed(&r, 2024);
    for (int i = 0; i < N; i++) {
        int g = (int)grng_below(&r, G);
        double u = grng_uniform(&r), c = 0;
        int a = K - 1;
        for (int k = 0; k < K; k++) {
            c += logp[g][k];
            if (u < c) {
                a = k;
                break;
            }
        }
        act[i] = (uint32_t)a;
        prop[i] = logp[g][a];
        rew[i] = grng_uniform(&r) < mu[g][a] ? 1 : 0;
        for (int k = 0; k < K; k++) {
            target[i * K + k] = tp[g][k];
            qhat[i * K + k] = mu[g][k] + 0.1; /* a biased reward model: DR stays unbiased */
            tdet[i * K + k] = k == tbest[g];
        }
    }
    double v, se;
    /* switch_dr and dros without lambda are DR (unbiased); with a finite lambda they trade bias */
    const char *const est[5] = {"estimator=ips", "estimator=snips", "estimator=dr", "estimator=switch_dr",
                                "estimator=dros"};
    for (int e = 0; e < 5; e++) {
        CHECK_OK(growth_bandit_ope(N, K, act, rew, prop, target, qhat, est[e], &v, &se));
        CHECK(se > 0 && se < 0.02);
        CHECK_NEAR(v, truth, 3 * se);
    }
    /* the bootstrap interval (a mean estimator): seeded, around the estimate, about +-1.96 se */
    double v2, lo, hi, lo2, hi2;
    CHECK_OK(growth_bandit_ope(N, K, act, rew, prop, target, qhat, "estimator=dr", &v, &se));
    CHECK_OK(growth_bandit_ope_interval(N, K, act, rew, prop, target, qhat,
                                        "estimator=dr resamples=200 seed=5", &v2, &lo, &hi));
    CHECK_NEAR(v2, v, 1e-12);
    CHECK(lo < v && v < hi);
    CHECK_NEAR(hi - lo, 2 * 1.959964 * se, 0.15 * 2 * 1.959964 * se);
    CHECK_OK(growth_bandit_ope_interval(N, K, act, rew, prop, target, qhat,
                                        "estimator=dr resamples=200 seed=5", &v2, &lo2, &hi2));
    CHECK(lo2 == lo && hi2 == hi);
    CHECK_OK(growth_bandit_ope_interval(N, K, act, rew, prop, target, qhat,
                                        "estimator=dr resamples=200 seed=6", &v2, &lo2, &hi2));
    CHECK(lo2 != lo);
    /* replay needs uniform logging: use the uniform group only */
    static uint32_t ua[N];
    static double ur[N], ut[N * K];
    size_t n = 0;
    for (int i = 0; i < N; i++)
        if (prop[i] == 0.25 && target[i * K + 2] == 0.5) { /* group 2 */
            ua[n] = act[i];
            ur[n] = rew[i];
            memcpy(ut + n * K, tdet + (size_t)i * K, K * sizeof(double));
            n++;
        }
    CHECK_OK(growth_bandit_ope(n, K, ua, ur, NULL, ut, NULL, "estimator=replay", &v, &se));
    CHECK_NEAR(v, mu[2][3], 3 * se);
    /* bad input */
    CHECK_RC(growth_bandit_ope(N, K, act, rew, prop, target, NULL, "estimator=7", &v, &se), GROWTH_EINVAL);
    CHECK_MSG("estimator");
    prop[5] = 0;
    CHECK_RC(growth_bandit_ope(N, K, act, rew, prop, target, NULL, "estimator=ips", &v, &se), GROWTH_EINVAL);
    CHECK_MSG("propensities[5]");
    prop[5] = 0.5;
    act[3] = K;
    CHECK_RC(growth_bandit_ope(N, K, act, rew, prop, target, NULL, "estimator=ips", &v, &se), GROWTH_EINVAL);
    act[3] = 0;
    target[0] = 0.9;
    CHECK_RC(growth_bandit_ope(N, K, act, rew, prop, target, NULL, "estimator=ips", &v, &se), GROWTH_EINVAL);
    CHECK_MSG("sums to");
}

/* Replay evaluation of a learning bandit on a uniformly logged simulator. */
TEST(test_replay_and_simulator)
{
    growth_bandit_sim *s = NULL;
    CHECK_RC(growth_bandit_sim_create(&s, "delay_dist=gamma"), GROWTH_EINVAL);
    CHECK_OK(growth_bandit_sim_create(&s, "arms=5 rate_min=0.05 rate_max=0.5 seed=3"));
    uint64_t ids[5];
    double rates[5];
    CHECK_OK(growth_bandit_sim_rates(s, ids, rates, 5, NULL));
    double best = 0, avg = 0;
    for (int i = 0; i < 5; i++) {
        best = fmax(best, rates[i]);
        avg += rates[i] / 5;
    }
    /* a uniform log */
    enum { N = 30000 };
    static uint64_t la[N];
    static double lr[N];
    grng r;
    grng_seed(&r, 8);
    for (int i = 0; i < N; i++) {
        int k = (int)grng_below(&r, 5);
        la[i] = ids[k];
        lr[i] = grng_uniform(&r) < rates[k] ? 1 : 0;
    }
    growth_bandit *b = NULL;
    CHECK_OK(growth_bandit_create(&b, "policy=thompson seed=1"));
    for (int i = 0; i < 5; i++) CHECK_OK(growth_bandit_add_arm(b, ids[i], 0, 0));
    double v;
    size_t matched;
    CHECK_OK(growth_bandit_replay(b, NULL, 0, la, lr, N, NULL, 0, &v, &matched));
    CHECK(matched > N / 10 && matched < N / 3);
    CHECK(v > avg + 0.5 * (best - avg)); /* TS learns towards the best arm */
    growth_bandit_free(b);
    /* simulator: TS regret with delays well below uniform's; retiring keeps the arm count */
    const char *cfgs[3] = {"arms=10 seed=4 delay=1", "arms=10 seed=4 delay=50 batch=10",
                           "arms=10 seed=4 delay=20 delay_dist=exponential retire_every=3000 drift=0.002"};
    for (int c = 0; c < 3; c++) {
        growth_bandit_sim *sim = NULL;
        CHECK_OK(growth_bandit_sim_create(&sim, cfgs[c]));
        uint64_t sid[10];
        double sr[10];
        CHECK_OK(growth_bandit_sim_rates(sim, sid, sr, 10, NULL));
        double sbest = 0, savg = 0;
        for (int i = 0; i < 10; i++) {
            sbest = fmax(sbest, sr[i]);
            savg += sr[i] / 10;
        }
        /* the baseline: a uniformly random policy on the same environment path */
        growth_bandit_sim *sim0 = NULL;
        growth_bandit *u = NULL;
        double ucurve[1];
        CHECK_OK(growth_bandit_sim_create(&sim0, cfgs[c]));
        CHECK_OK(growth_bandit_create(&u, "policy=egreedy epsilon=1"));
        CHECK_OK(growth_bandit_sim_run(sim0, u, 20000, ucurve, 1, NULL));
        growth_bandit_free(u);
        growth_bandit_sim_free(sim0);
        CHECK_NEAR(ucurve[0], (sbest - savg) * 20000, c == 2 ? 1e9 : 0.15 * (sbest - savg) * 20000);
        CHECK_OK(growth_bandit_create(&b, "policy=thompson seed=2"));
        double curve[10], total;
        CHECK_OK(growth_bandit_sim_run(sim, b, 20000, curve, 10, &total));
        for (int i = 1; i < 10; i++) CHECK(curve[i] >= curve[i - 1]);
        if (!(curve[9] < 0.5 * ucurve[0]))
            fprintf(stderr, "  %s: regret %g, uniform %g\n", cfgs[c], curve[9], ucurve[0]);
        CHECK(curve[9] < 0.5 * ucurve[0]);
        CHECK(arm_count(b) == 10);
        growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
        CHECK_OK(growth_bandit_stats_get(b, &st));
        CHECK(st.decisions == 20000);
        CHECK(st.applied + st.retired + st.pending == 20000);
        growth_bandit *other = make("thompson", NULL, 0);
        CHECK_RC(growth_bandit_sim_run(sim, other, 10, NULL, 0, NULL), GROWTH_ESTATE);
        growth_bandit_free(other);
        growth_bandit_free(b);
        growth_bandit_sim_free(sim);
    }
    growth_bandit_sim_free(s);
    growth_bandit_sim_free(NULL);
}

/* growth_bandit_stats_get / growth_bandit_arm_stats_get give what growth_bandit_stats(),
 * growth_bandit_arm_count() and growth_bandit_arm_stats() gave (same counters, same posterior),
 * and follow the struct_size rule. */
TEST(test_stats_structs_match_the_old_getters)
{
    growth_bandit *b = make("thompson", NULL, 3); /* arms 100, 101, 102, prior Beta(1, 1) */
    uint64_t named = 0;
    CHECK_OK(growth_bandit_add_arm_named(b, "coupon-x", 0.2, 10, &named)); /* Beta(2, 8) */
    const uint64_t on[5] = {100, 100, 101, 102, 102};
    uint64_t d[5], arm;
    for (int i = 0; i < 5; i++) {
        CHECK_OK(growth_bandit_select(b, NULL, 0, &on[i], 1, &d[i], &arm, NULL));
        CHECK(arm == on[i]);
    }
    CHECK_OK(growth_bandit_reward(b, d[0], 1));
    CHECK_OK(growth_bandit_reward(b, d[1], 0));
    CHECK_RC(growth_bandit_reward(b, d[0], 1), GROWTH_ENOTFOUND);      /* duplicate */
    CHECK_RC(growth_bandit_reward(b, 987654321, 1), GROWTH_ENOTFOUND); /* unknown */
    CHECK_OK(growth_bandit_remove_arm(b, 101));
    CHECK_RC(growth_bandit_reward(b, d[2], 1), GROWTH_ENOTFOUND); /* retired */

    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(b, &st));
    CHECK(st.struct_size == sizeof st && st.reserved == 0);
    CHECK(st.decisions == 5 && st.applied == 2 && st.duplicate == 1 && st.unknown == 1);
    CHECK(st.retired == 1 && st.expired == 0 && st.pending == 2); /* d[3], d[4] */
    size_t n_arms = 0;
    CHECK_RC(growth_bandit_arms(b, NULL, 0, &n_arms), GROWTH_EBUFS);
    CHECK(st.arms == 3 && n_arms == 3);

    growth_bandit_arm_stats as = GROWTH_BANDIT_ARM_STATS_INIT;
    CHECK_OK(growth_bandit_arm_stats_get(b, 100, &as)); /* one success, one failure */
    CHECK(as.alpha == 2 && as.beta == 2 && as.evidence == 2 && as.mean == 0.5 && as.reserved == 0);
    CHECK_OK(growth_bandit_arm_stats_get(b, named, &as)); /* the prior only */
    CHECK_NEAR(as.alpha, 2, 1e-12);
    CHECK_NEAR(as.beta, 8, 1e-12);
    CHECK(as.evidence == 0);
    CHECK_NEAR(as.mean, 0.2, 1e-12);
    as.alpha = -1;
    CHECK_RC(growth_bandit_arm_stats_get(b, 101, &as), GROWTH_ENOTFOUND); /* removed */
    CHECK(as.alpha == -1);                                                /* untouched */

    /* struct_size: 0 and anything below the 1.0 size are refused, the struct left as it was */
    growth_bandit_stats z = {.struct_size = 0, .decisions = 77};
    CHECK_RC(growth_bandit_stats_get(b, &z), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    z.struct_size = (uint32_t)offsetof(growth_bandit_stats, arms);
    CHECK_RC(growth_bandit_stats_get(b, &z), GROWTH_EINVAL);
    CHECK(z.decisions == 77);
    growth_bandit_arm_stats za = {.struct_size = 0};
    CHECK_RC(growth_bandit_arm_stats_get(b, 100, &za), GROWTH_EINVAL);
    CHECK_MSG("struct_size");
    /* a newer caller's larger struct (zero tail) is accepted; the tail is left alone */
    struct {
        growth_bandit_stats s;
        uint64_t tail[3];
    } big;
    memset(&big, 0, sizeof big);
    big.s.struct_size = sizeof big;
    CHECK_OK(growth_bandit_stats_get(b, &big.s));
    CHECK(big.s.struct_size == sizeof big && big.s.decisions == 5 && big.s.arms == 3);
    CHECK(big.tail[0] == 0 && big.tail[1] == 0 && big.tail[2] == 0);
    struct {
        growth_bandit_arm_stats s;
        double tail[2];
    } bigarm;
    memset(&bigarm, 0, sizeof bigarm);
    bigarm.s.struct_size = sizeof bigarm;
    CHECK_OK(growth_bandit_arm_stats_get(b, 100, &bigarm.s));
    CHECK(bigarm.s.mean == 0.5 && bigarm.tail[0] == 0 && bigarm.tail[1] == 0);
    growth_bandit_free(b);

    /* linear policies: alpha = beta = 0, evidence = number of updates, mean NaN */
    growth_bandit *l = make("linucb", NULL, 2);
    float x[3] = {1, 0.5f, -0.25f};
    uint64_t el = 100, dec;
    for (int i = 0; i < 3; i++) {
        CHECK_OK(growth_bandit_select(l, x, 3, &el, 1, &dec, &arm, NULL));
        CHECK_OK(growth_bandit_reward(l, dec, 0.5));
    }
    CHECK_OK(growth_bandit_arm_stats_get(l, 100, &as));
    CHECK(as.alpha == 0 && as.beta == 0 && as.evidence == 3 && isnan(as.mean));
    CHECK_OK(growth_bandit_stats_get(l, &st));
    CHECK(st.decisions == 3 && st.applied == 3 && st.arms == 2);
    growth_bandit_free(l);
}

/* The estimator as a config key: each gives exactly what the int selector (GROWTH_OPE_REPLAY,
 * _IPS, _SNIPS, _DR) gave. The expected values were printed by growth_bandit_ope of commit
 * abad2bb (the int API) on this data, as hex floats. */
TEST(test_ope_estimator_config)
{
    const uint32_t act[6] = {0, 2, 1, 1, 0, 2};
    const double rew[6] = {1, 0, 0.5, 1, 0, 0.25};
    const double prop[6] = {0.5, 0.25, 0.25, 0.5, 0.2, 0.3};
    const double tgt[18] = {0.7, 0.2, 0.1, 0.1, 0.1,  0.8,  0.3, 0.3, 0.4,
                            0,   1,   0,   0.5, 0.25, 0.25, 0.2, 0.2, 0.6};
    const double q[18] = {0.6, 0.3, 0.2, 0.1, 0.4, 0.3, 0.2, 0.5, 0.1,
                          0.3, 0.9, 0.2, 0.4, 0.4, 0.4, 0.1, 0.2, 0.3};
    static const struct {
        const char *cfg;
        double v, se;
    } want[] = {
        {"estimator=replay", 0x1.0690690690691p-1, 0x1.9b013da0724d8p-3},
        {"estimator=ips", 0x1.8p-1, 0x1.4e2cf55582fcfp-2},
        {"estimator=snips", 0x1.76a2576a2576ap-2, 0x1.6856de0c29738p-3},
        {"estimator=dr", 0x1.b4e81b4e81b5p-3, 0x1.4130dc10b7521p-2},
        {" estimator='snips' ", 0x1.76a2576a2576ap-2, 0x1.6856de0c29738p-3}, /* the config syntax */
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        double v = -1, se = -1;
        CHECK_OK(growth_bandit_ope(6, 3, act, rew, prop, tgt, q, want[i].cfg, &v, &se));
        if (v != want[i].v || se != want[i].se)
            fprintf(stderr, "  %s: %a %a, want %a %a\n", want[i].cfg, v, se, want[i].v, want[i].se);
        CHECK(v == want[i].v && se == want[i].se);
    }
    double v = -1, se = -1;
    CHECK_OK(growth_bandit_ope(6, 3, act, rew, prop, tgt, NULL, "estimator=dr", &v, &se)); /* DR = IPS */
    CHECK(v == 0x1.8p-1 && se == 0x1.4e2cf55582fcfp-2);
    CHECK_OK(growth_bandit_ope(6, 3, act, rew, NULL, tgt, NULL, "estimator=replay", &v, NULL));
    CHECK(v == 0x1.0690690690691p-1);
    /* a bad, missing or unknown key: EINVAL naming the key, outputs untouched */
    v = se = -1;
    CHECK_RC(growth_bandit_ope(6, 3, act, rew, prop, tgt, q, "estimator=magic", &v, &se), GROWTH_EINVAL);
    CHECK_MSG("'estimator'");
    CHECK_MSG("replay|ips|snips|dr");
    CHECK_RC(growth_bandit_ope(6, 3, act, rew, prop, tgt, q, NULL, &v, &se), GROWTH_EINVAL);
    CHECK_MSG("'estimator' is required");
    CHECK_RC(growth_bandit_ope(6, 3, act, rew, prop, tgt, q, "estimator=ips estimator=dr", &v, &se),
             GROWTH_EINVAL);
    CHECK_MSG("twice");
    CHECK_RC(growth_bandit_ope(6, 3, act, rew, prop, tgt, q, "estimater=ips", &v, &se), GROWTH_EINVAL);
    CHECK_MSG("'estimater'");
    CHECK_RC(growth_bandit_ope(6, 3, act, rew, NULL, tgt, q, "estimator=snips", &v, &se), GROWTH_EINVAL);
    CHECK_MSG("propensities");
    CHECK(v == -1 && se == -1);
}

TEST(test_select_batch)
{
    growth_bandit *a = make("thompson", NULL, 10), *b = make("thompson", NULL, 10);
    uint64_t d[100], ar[100];
    CHECK_OK(growth_bandit_select_batch(a, NULL, 0, 100, NULL, 0, d, ar, NULL, 100));
    int same = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t dd, aa;
        CHECK_OK(growth_bandit_select(b, NULL, 0, NULL, 0, &dd, &aa, NULL));
        same += dd == d[i] && aa == ar[i];
    }
    CHECK(same == 100);
    CHECK_RC(growth_bandit_select_batch(a, NULL, 0, 100, NULL, 0, d, ar, NULL, 50), GROWTH_EBUFS);
    growth_bandit_free(a);
    growth_bandit_free(b);
}

int main(void)
{
    RUN(test_config_and_bad_create);
    RUN(test_arms_add_remove_replace_named);
    RUN(test_ts_counts_exact_any_interleaving);
    RUN(test_expiry_retire_and_ttl_seconds);
    RUN(test_eligibility_and_topk);
    RUN(test_propensities_match_frequencies);
    RUN(test_snapshot_restore_same_decisions);
    RUN(test_persistence_corruption);
    RUN(test_stored_config_cross_keys);
    RUN(test_bad_input_leaves_handle_unchanged);
    RUN(test_decay_and_window);
    RUN(test_linear_updates_match_refactor);
    RUN(test_beta_sampler_moments);
    RUN(test_ope_unbiased);
    RUN(test_replay_and_simulator);
    RUN(test_select_batch);
    RUN(test_stats_structs_match_the_old_getters);
    RUN(test_ope_estimator_config);
    return GT_SUMMARY();
}
