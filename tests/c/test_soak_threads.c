/* Soak: several modules used at once for a bounded time (GROWTH_SOAK_SECONDS, default 2).
 * READERS threads each keep scoring with FTRL, searching a flat vector index (unfiltered, and
 * filtered to the items present before the run), selecting coupons with a Thompson bandit and
 * predicting with a forest, while one writer thread trains the FTRL model, applies the rewards
 * of the readers' decisions and adds vectors to the index. Run under ThreadSanitizer in CI.
 *
 * Checks, within each handle's documented guarantees (docs/thread-safety.md and the headers):
 * - during the run: every call succeeds; probabilities are in [0, 1]; forest predictions equal
 *   the ones made before the run bit for bit (an immutable handle); every search result is a
 *   valid id (an old item or a new item whose add had started), scores are ordered, the best
 *   unfiltered score is never below the best old item's; a search filtered to the old items
 *   equals, id for id, the search made before the run; selected arms are eligible;
 * - afterwards: the FTRL model predicts exactly like a model trained in one thread on the same
 *   batches; each arm's posterior equals the prior plus the rewards applied to its decisions
 *   and the counts add up to the number of decisions; the index holds the old and new items and
 *   an exact search equals a brute-force reference. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"
#include "gtest.h"

enum {
    READERS = 3,
    /* FTRL */ ROWS = 8000,
    NNZ = 10,
    BITS = 14,
    BATCH = 50,
    /* index */ D = 16,
    OLD = 2000,
    NEWMAX = 20000,
    ADD_CHUNK = 8,
    NQ = 64,
    K = 10,
    NEWBASE = 100000,
    /* bandit */ ARMS = 6,
    QCAP = 1 << 17,
    /* forest */ FR = 2000,
    FF = 5
};

static uint32_t g_idx[ROWS * NNZ];
static uint64_t g_indptr[ROWS + 1];
static float g_y[ROWS];
static growth_ftrl *g_ftrl;
static atomic_long g_batches; /* batches trained by the writer */

static float g_old[OLD * D], g_new[NEWMAX * D], g_q[NQ * D];
static int64_t g_old_ids[OLD], g_new_ids[NEWMAX];
static growth_index *g_ix;
static int64_t g_ref_ids[NQ * K]; /* filtered to the old items, before the run */
static float g_ref_sc[NQ * K];
static atomic_long g_adding, g_added; /* new items announced / added */

static growth_bandit *g_b;
static uint64_t g_dec[QCAP], g_arm[QCAP];
static atomic_int g_ready[QCAP];
static atomic_long g_qlen;

static growth_forest *g_forest;
static float g_fx[FR * FF], g_fref[FR];

static atomic_int g_stop;
static atomic_long g_bad, g_ops[4];

static double reward_of(uint64_t dec) { return (dec % 5 == 0 || dec % 7 == 0) ? 1.0 : 0.0; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bad(const char *what)
{
    if (atomic_fetch_add(&g_bad, 1) < 5) fprintf(stderr, "  soak: %s (%s)\n", what, growth_last_error());
}

static int valid_id(int64_t id, long announced)
{
    return (id >= 0 && id < OLD) || (id >= NEWBASE && id < NEWBASE + announced);
}

static void *reader(void *arg)
{
    grng r;
    grng_seed(&r, 1000 + (uint64_t)(uintptr_t)arg);
    const growth_id_filter old_only = {sizeof old_only, 0, g_old_ids, OLD, NULL, 0, NULL, NULL};
    const uint64_t eligible[3] = {1, 3, 5};
    while (!atomic_load(&g_stop)) {
        /* FTRL */
        size_t row = (size_t)grng_below(&r, ROWS);
        float p;
        if (growth_ftrl_predict(g_ftrl, g_idx + row * NNZ, NULL, NNZ, 0, &p, 1) != GROWTH_OK ||
            !(p >= 0 && p <= 1))
            bad("ftrl predict");
        atomic_fetch_add(&g_ops[0], 1);
        /* vector index: unfiltered, then only the old items */
        size_t q = (size_t)grng_below(&r, NQ);
        int64_t ids[K];
        float sc[K];
        size_t found = 0;
        if (growth_index_search(g_ix, g_q + q * D, K, NULL, ids, sc, K, &found) != GROWTH_OK || found != K) {
            bad("index search");
        } else {
            long announced = atomic_load(&g_adding);
            for (size_t i = 0; i < K; i++)
                if (!valid_id(ids[i], announced) || (i && sc[i] > sc[i - 1])) bad("index result");
            float best_old = g_ref_sc[q * K];
            if (sc[0] < best_old - 1e-4f * (1 + fabsf(best_old)))
                bad("index best score below the best old item");
        }
        if (growth_index_search(g_ix, g_q + q * D, K, &old_only, ids, sc, K, &found) != GROWTH_OK ||
            found != K || memcmp(ids, g_ref_ids + q * K, sizeof ids) != 0)
            bad("filtered search differs from the reference");
        atomic_fetch_add(&g_ops[1], 1);
        /* bandit: decisions are queued for the writer to reward (until the queue is full) */
        long slot = atomic_load(&g_qlen) < QCAP ? atomic_fetch_add(&g_qlen, 1) : QCAP;
        if (slot < QCAP) {
            uint64_t d, a;
            double prop;
            int elig = grng_below(&r, 2) == 0;
            if (growth_bandit_select(g_b, NULL, 0, elig ? eligible : NULL, elig ? 3 : 0, &d, &a, &prop) !=
                    GROWTH_OK ||
                a >= ARMS || (elig && a % 2 == 0) || !(prop > 0 && prop <= 1)) {
                bad("bandit select");
                d = UINT64_MAX;
            }
            g_dec[slot] = d;
            g_arm[slot] = a;
            atomic_store_explicit(&g_ready[slot], 1, memory_order_release);
            atomic_fetch_add(&g_ops[2], 1);
        }
        /* forest: immutable, so bit-identical to the predictions made before the run */
        size_t fr = (size_t)grng_below(&r, FR);
        float fp;
        if (growth_forest_predict(g_forest, g_fx + fr * FF, FF, 0, &fp, 1) != GROWTH_OK ||
            memcmp(&fp, &g_fref[fr], sizeof fp) != 0)
            bad("forest predict");
        atomic_fetch_add(&g_ops[3], 1);
    }
    return NULL;
}

/* Rewards the queued decisions from *next on (in small batches); returns how many. */
static long drain(long *next, int until_all)
{
    long done = 0;
    for (;;) {
        uint64_t ids[32];
        double vals[32];
        size_t n = 0;
        while (n < 32 && *next < QCAP && *next < atomic_load(&g_qlen)) {
            if (!atomic_load_explicit(&g_ready[*next], memory_order_acquire)) {
                if (until_all) continue; /* a reader is between its slot and its select */
                break;
            }
            if (g_dec[*next] != UINT64_MAX) {
                ids[n] = g_dec[*next];
                vals[n] = reward_of(g_dec[*next]);
                n++;
            }
            (*next)++;
        }
        if (n == 0) return done;
        size_t applied = 0;
        if (growth_bandit_reward_batch(g_b, ids, vals, n, NULL, &applied) != GROWTH_OK || applied != n)
            bad("bandit reward");
        done += (long)n;
    }
}

static long g_rewarded, g_next; /* writer-owned while it runs; main drains the rest after */

static void *writer(void *arg)
{
    (void)arg;
    long b = 0;
    while (!atomic_load(&g_stop)) {
        size_t start = (size_t)(b * BATCH) % ROWS;
        if (growth_ftrl_update_csr(g_ftrl, g_indptr + start, g_idx, NULL, BATCH, g_y + start, NULL, NULL,
                                   0) != GROWTH_OK)
            bad("ftrl update");
        atomic_store(&g_batches, ++b);
        g_rewarded += drain(&g_next, 0);
        long added = atomic_load(&g_added);
        if (added + ADD_CHUNK <= NEWMAX) {
            atomic_store(&g_adding, added + ADD_CHUNK);
            if (growth_index_add(g_ix, g_new + (size_t)added * D, ADD_CHUNK, g_new_ids + added) != GROWTH_OK)
                bad("index add");
            atomic_store(&g_added, added + ADD_CHUNK);
        }
    }
    return NULL;
}

static void make_data(void)
{
    grng r;
    grng_seed(&r, 42);
    for (size_t i = 0; i < ROWS; i++) {
        g_indptr[i] = i * NNZ;
        for (int k = 0; k < NNZ; k++) g_idx[i * NNZ + k] = (uint32_t)grng_below(&r, 1u << BITS);
        g_y[i] = ((g_idx[i * NNZ] & 3) == 0 || grng_uniform(&r) < 0.1) ? 1.0f : 0.0f;
    }
    g_indptr[ROWS] = (uint64_t)ROWS * NNZ;
    for (size_t i = 0; i < OLD * D; i++) g_old[i] = (float)grng_normal(&r);
    for (size_t i = 0; i < NEWMAX * D; i++) g_new[i] = (float)grng_normal(&r);
    for (size_t i = 0; i < NQ * D; i++) g_q[i] = (float)grng_normal(&r);
    for (int64_t i = 0; i < OLD; i++) g_old_ids[i] = i;
    for (int64_t i = 0; i < NEWMAX; i++) g_new_ids[i] = NEWBASE + i;
    for (size_t i = 0; i < FR; i++) {
        float *x = g_fx + i * FF;
        for (int j = 0; j < FF; j++) x[j] = (float)grng_normal(&r);
        g_fref[i] = x[0] + 0.5f * x[1] * x[2] + 0.3f * (float)grng_normal(&r) > 0 ? 1.0f : 0.0f; /* labels */
    }
}

/* Brute-force inner-product top-K over the given rows (ids ascending on ties). */
static void brute_topk(const float *q, const float *x, const int64_t *xid, size_t n, int64_t *ids, float *sc)
{
    for (size_t k = 0; k < K; k++) ids[k] = -1, sc[k] = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float s = 0;
        for (int j = 0; j < D; j++) s += q[j] * x[i * D + j];
        if (s <= sc[K - 1]) continue;
        size_t p = K - 1;
        while (p > 0 && sc[p - 1] < s) ids[p] = ids[p - 1], sc[p] = sc[p - 1], p--;
        ids[p] = xid[i], sc[p] = s;
    }
}

TEST(test_soak)
{
    double secs = 2;
    const char *env = getenv("GROWTH_SOAK_SECONDS");
    if (env && *env) secs = atof(env);
    if (!(secs > 0 && secs < 86400)) secs = 2;
    make_data();

    CHECK_OK(growth_ftrl_create(&g_ftrl, "bits=14 alpha=0.1 l1=0.5"));
    CHECK_OK(growth_index_create(&g_ix, "dim=16 metric=ip kind=flat"));
    CHECK_OK(growth_index_add(g_ix, g_old, OLD, g_old_ids));
    const growth_id_filter old_only = {sizeof old_only, 0, g_old_ids, OLD, NULL, 0, NULL, NULL};
    for (size_t q = 0; q < NQ; q++) {
        size_t found = 0;
        int64_t bids[K];
        float bsc[K];
        CHECK_OK(growth_index_search(g_ix, g_q + q * D, K, &old_only, g_ref_ids + q * K, g_ref_sc + q * K, K,
                                     &found));
        CHECK(found == K);
        brute_topk(g_q + q * D, g_old, g_old_ids, OLD, bids, bsc);
        CHECK(memcmp(bids, g_ref_ids + q * K, sizeof bids) == 0);
    }
    CHECK_OK(growth_bandit_create(&g_b, "policy=thompson seed=9 streams=4 ttl=262144 propensity_draws=8"));
    for (uint64_t a = 0; a < ARMS; a++) CHECK_OK(growth_bandit_add_arm(g_b, a, 0, 0));
    float *labels = malloc(FR * sizeof *labels);
    memcpy(labels, g_fref, FR * sizeof *labels);
    growth_forest_data data = {sizeof data, 0, FR, FF, g_fx, NULL, NULL, NULL, labels, NULL};
    CHECK_OK(growth_forest_train(&g_forest, "num_rounds=20 threads=1",
                                 "objective=binary:logistic max_depth=4 eta=0.3", &data, NULL, NULL, NULL));
    free(labels);
    if (!g_ftrl || !g_ix || !g_b || !g_forest) return;
    for (size_t i = 0; i < FR; i++)
        CHECK_OK(growth_forest_predict(g_forest, g_fx + i * FF, FF, 0, &g_fref[i], 1));

    pthread_t th[READERS + 1];
    for (int t = 0; t < READERS; t++) pthread_create(&th[t], NULL, reader, (void *)(uintptr_t)t);
    pthread_create(&th[READERS], NULL, writer, NULL);
    double t0 = now_s();
    while (now_s() - t0 < secs) usleep(10000);
    atomic_store(&g_stop, 1);
    for (int t = 0; t <= READERS; t++) pthread_join(th[t], NULL);
    g_rewarded += drain(&g_next, 1); /* decisions made after the writer's last pass */
    long nb = atomic_load(&g_batches), added = atomic_load(&g_added);
    long ndec = atomic_load(&g_qlen) < QCAP ? atomic_load(&g_qlen) : QCAP;
    printf(
        "  soak %.1f s: %ld ftrl predictions, %ld index searches x2, %ld selects, %ld forest predictions;\n"
        "  writer: %ld ftrl batches, %ld rewards, %ld vectors added\n",
        secs, atomic_load(&g_ops[0]), atomic_load(&g_ops[1]), atomic_load(&g_ops[2]), atomic_load(&g_ops[3]),
        nb, g_rewarded, added);
    CHECK(atomic_load(&g_bad) == 0);
    CHECK(nb > 0 && atomic_load(&g_ops[0]) > 0 && ndec > 0);

    /* FTRL: the same batches in one thread give the same model. */
    growth_ftrl *ref = NULL;
    CHECK_OK(growth_ftrl_create(&ref, "bits=14 alpha=0.1 l1=0.5"));
    for (long b = 0; b < nb && ref; b++) {
        size_t start = (size_t)(b * BATCH) % ROWS;
        CHECK_OK(
            growth_ftrl_update_csr(ref, g_indptr + start, g_idx, NULL, BATCH, g_y + start, NULL, NULL, 0));
    }
    static float pa[ROWS], pb[ROWS];
    CHECK_OK(growth_ftrl_predict_csr(g_ftrl, g_indptr, g_idx, NULL, ROWS, 0, pa, ROWS));
    CHECK_OK(growth_ftrl_predict_csr(ref, g_indptr, g_idx, NULL, ROWS, 0, pb, ROWS));
    CHECK(memcmp(pa, pb, sizeof pa) == 0);
    growth_ftrl_stats fst = GROWTH_FTRL_STATS_INIT;
    CHECK_OK(growth_ftrl_stats_get(g_ftrl, &fst));
    CHECK(fst.examples == (uint64_t)nb * BATCH);
    growth_ftrl_free(ref);

    /* Bandit: posterior = prior (1, 1) + the rewards applied to each arm's decisions. */
    double es[ARMS] = {0}, ef[ARMS] = {0};
    long valid = 0;
    for (long i = 0; i < ndec; i++) {
        if (g_dec[i] == UINT64_MAX) continue;
        double rw = reward_of(g_dec[i]);
        es[g_arm[i]] += rw;
        ef[g_arm[i]] += 1 - rw;
        valid++;
    }
    CHECK(valid == g_rewarded);
    double total = 0;
    for (uint64_t a = 0; a < ARMS; a++) {
        growth_bandit_arm_stats st = GROWTH_BANDIT_ARM_STATS_INIT;
        CHECK_OK(growth_bandit_arm_stats_get(g_b, a, &st));
        CHECK(st.alpha == 1 + es[a] && st.beta == 1 + ef[a]);
        total += st.alpha + st.beta - 2;
    }
    CHECK(total == (double)g_rewarded);
    growth_bandit_stats bst = GROWTH_BANDIT_STATS_INIT;
    CHECK_OK(growth_bandit_stats_get(g_b, &bst));
    CHECK(bst.decisions == (uint64_t)valid);
    CHECK(bst.applied == (uint64_t)g_rewarded);

    /* Index: every item is there and an exact search equals brute force over old + new. */
    growth_index_stats ist = GROWTH_INDEX_STATS_INIT;
    CHECK_OK(growth_index_stats_get(g_ix, &ist));
    uint64_t count = ist.count;
    CHECK(count == (uint64_t)(OLD + added));
    float *all = malloc((size_t)(OLD + added) * D * sizeof *all);
    int64_t *all_ids = malloc((size_t)(OLD + added) * sizeof *all_ids);
    memcpy(all, g_old, sizeof g_old);
    memcpy(all + OLD * D, g_new, (size_t)added * D * sizeof *all);
    memcpy(all_ids, g_old_ids, sizeof g_old_ids);
    memcpy(all_ids + OLD, g_new_ids, (size_t)added * sizeof *all_ids);
    for (size_t q = 0; q < NQ; q++) {
        int64_t ids[K], bids[K];
        float sc[K], bsc[K];
        size_t found = 0;
        CHECK_OK(growth_index_search(g_ix, g_q + q * D, K, NULL, ids, sc, K, &found));
        brute_topk(g_q + q * D, all, all_ids, (size_t)(OLD + added), bids, bsc);
        CHECK(found == K && memcmp(ids, bids, sizeof ids) == 0);
    }
    free(all);
    free(all_ids);

    growth_forest_free(g_forest);
    growth_bandit_free(g_b);
    growth_index_free(g_ix);
    growth_ftrl_free(g_ftrl);
}

int main(int argc, char **argv)
{
    /* xgboost parses models on OpenMP threads that ThreadSanitizer cannot follow (libgomp is
     * not instrumented), which shows as false races while the forest is built. One OpenMP
     * thread keeps that work in the calling thread; libgomp reads the variable when it is
     * loaded, so the test runs itself again with it set. */
    (void)argc;
    if (!getenv("OMP_NUM_THREADS")) {
        setenv("OMP_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
    RUN(test_soak);
    return GT_SUMMARY();
}
