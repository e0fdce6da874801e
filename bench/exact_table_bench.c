/* table=exact benchmark (issue 22, point 3): memory, progressive logloss and writer pauses of
 * FTRL on 64-bit feature keys, one configuration per process (so the resident set size is the
 * configuration's own).
 *
 * Usage: exact_table_bench STREAM N CONFIG
 *   STREAM tail:    6 recurring categorical fields (vocabularies 10^2 .. 10^5, skewed draws,
 *                   a hidden weight per value) and 2 one-off ids per example (a request id and
 *                   a timestamp-like id: never seen again, no signal) -- the long tail that an
 *                   unbounded table keeps forever.
 *   STREAM collide: 2 recurring fields plus one id field with IDS (default 2M) distinct ids
 *                   drawn uniformly, each with its own strong logit: hashing 2M ids into 2^20
 *                   slots collides (2 ids a slot); scaled: 131072 ids into 2^16 slots.
 *   STREAM mix:     the 100M-example demonstration: tail's 6 recurring fields, one recurring id
 *                   field over IDS (default 2M) ids with their own logits (hashing them into
 *                   2^20 slots collides) and one one-off id per example (the long tail).
 *   N       examples (the stream is generated on the fly, deterministic).
 *   CONFIG  growth_ftrl configuration string.
 *   EVERY   (optional, 5th argument after IDS; 0 = N/20) examples between progress lines: the
 *           progressive logloss so far, the process's VmRSS / VmHWM (/proc/self/status), the
 *           table's bytes and live keys -- so a run that is stopped (or runs out of memory)
 *           still leaves the curve up to that point.
 * The wall clock of a shared machine also counts time other processes held the core, so the
 * longest update is also given in the thread's CPU time.
 * Prints: examples/s (wall), progressive logloss overall and over the last 10%, the process's
 * peak resident set (ru_maxrss), the model's stats, and the writer's pauses (the longest single
 * update and the number above 1 ms and 5 ms: the table grows one shard at a time). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "growth/growth.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double truth_of(uint64_t key, double scale)
{
    return ((double)(gmix64(key ^ 0x1234567ULL) >> 11) * 0x1.0p-53 - 0.5) * scale;
}

static uint64_t g_ids = 2000000;

/* VmRSS and VmHWM of this process in KiB (0 when /proc is not there). */
static void vm_kib(double *rss, double *hwm)
{
    *rss = *hwm = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) *rss = strtod(line + 6, NULL);
        if (!strncmp(line, "VmHWM:", 6)) *hwm = strtod(line + 6, NULL);
    }
    fclose(f);
}

/* One example of the stream: keys[0..nnz), label. */
static size_t make_row(const char *stream, uint64_t i, grng *r, uint64_t *keys, float *y)
{
    double m = -1.0;
    size_t n = 0;
    if (strcmp(stream, "tail") == 0 || strcmp(stream, "mix") == 0) {
        int mix = stream[0] == 'm';
        static const double vocab[6] = {1e2, 1e3, 1e4, 1e5, 1e3, 1e4};
        for (int f = 0; f < 6; f++) {
            double u = grng_uniform(r);
            uint64_t v = (uint64_t)(vocab[f] * u * u * u);
            keys[n] = gmix64(((uint64_t)f << 56) ^ v);
            m += truth_of(keys[n], 1.6);
            n++;
        }
        keys[n++] = gmix64((UINT64_C(6) << 56) ^ i); /* request id: once */
        if (mix) {                                   /* a recurring id with its own logit */
            uint64_t id = grng_below(r, g_ids);
            keys[n] = gmix64((UINT64_C(9) << 56) ^ id);
            m += truth_of(keys[n], 3.0);
            n++;
        } else {
            keys[n++] = gmix64((UINT64_C(7) << 56) ^ (i * 7 + 3)); /* another one-off id */
        }
    } else {
        for (int f = 0; f < 2; f++) {
            uint64_t v = grng_below(r, 100);
            keys[n] = gmix64(((uint64_t)f << 56) ^ v);
            m += truth_of(keys[n], 1.0);
            n++;
        }
        uint64_t id = grng_below(r, g_ids);
        keys[n] = gmix64((UINT64_C(9) << 56) ^ id);
        m += truth_of(keys[n], 6.0);
        n++;
    }
    *y = grng_uniform(r) < 1.0 / (1.0 + exp(-m)) ? 1.0f : 0.0f;
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: %s tail|collide|mix N CONFIG [IDS [EVERY]]\n", argv[0]);
        return 2;
    }
    const char *stream = argv[1];
    if (argc >= 5 && strtoull(argv[4], NULL, 10) > 0) g_ids = strtoull(argv[4], NULL, 10);
    uint64_t n = strtoull(argv[2], NULL, 10);
    uint64_t every = argc == 6 ? strtoull(argv[5], NULL, 10) : 0;
    if (every == 0) every = n / 20 ? n / 20 : 1;
    printf("stream=%s n=%llu ids=%llu config=\"%s\"\n", stream, (unsigned long long)n,
           (unsigned long long)g_ids, argv[3]);
    fflush(stdout);
    growth_ftrl *m = NULL;
    if (growth_ftrl_create(&m, argv[3]) != GROWTH_OK) {
        fprintf(stderr, "%s\n", growth_last_error());
        return 1;
    }
    grng r;
    grng_seed(&r, 2026);
    uint64_t keys[16];
    double loss = 0, loss_tail = 0, max_pause = 0, max_cpu = 0;
    uint64_t over1 = 0, over5 = 0;
    double t0 = wall(), loss_win = 0;
    uint64_t i = 0;
    int failed = 0;
    for (i = 0; i < n; i++) {
        float y, p;
        size_t nnz = make_row(stream, i, &r, keys, &y);
        double a = wall(), ac = cpu();
        if (growth_ftrl_update_keys(m, keys, NULL, nnz, &y, 1.0f, &p, 1) != GROWTH_OK) {
            printf("  stopped at example %llu: %s\n", (unsigned long long)i, growth_last_error());
            failed = 1;
            break;
        }
        double d = wall() - a, dc = cpu() - ac;
        if (d > max_pause) max_pause = d;
        if (dc > max_cpu) max_cpu = dc;
        over1 += d > 1e-3;
        over5 += d > 5e-3;
        double q = p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p;
        double l = y > 0 ? -log(q) : -log(1 - q);
        loss += l;
        loss_win += l;
        if (i >= n - n / 10) loss_tail += l;
        if ((i + 1) % every == 0) {
            double rss, hwm;
            vm_kib(&rss, &hwm);
            growth_ftrl_stats s = GROWTH_FTRL_STATS_INIT;
            growth_ftrl_stats_get(m, &s);
            printf(
                "  at %llu: logloss so far %.5f, last %llu %.5f; VmRSS %.1f MiB VmHWM %.1f MiB; table %.1f "
                "MiB, live %llu; %.0f examples/s\n",
                (unsigned long long)(i + 1), loss / (double)(i + 1), (unsigned long long)every,
                loss_win / (double)every, rss / 1024.0, hwm / 1024.0, (double)s.table_bytes / 1048576.0,
                (unsigned long long)s.live, (double)(i + 1) / (wall() - t0));
            fflush(stdout);
            loss_win = 0;
        }
    }
    double secs = wall() - t0;
    uint64_t planned = n;
    if (failed) n = i; /* the summary covers the examples trained on */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
    growth_ftrl_stats_get(m, &st);
    double rss, hwm;
    vm_kib(&rss, &hwm);
    printf("  %.0f examples/s (wall, timing included), logloss %.5f, last 10%% %.5f\n", (double)n / secs,
           loss / (double)n, failed || planned < 10 ? NAN : loss_tail / (double)(planned / 10));
    printf("  VmRSS %.1f MiB, VmHWM %.1f MiB (peak RSS %.1f MiB); table %.1f MiB; live %llu admitted %llu "
           "evicted %llu expired %llu\n",
           rss / 1024.0, hwm / 1024.0, (double)ru.ru_maxrss / 1024.0, (double)st.table_bytes / 1048576.0,
           (unsigned long long)st.live, (unsigned long long)st.admitted, (unsigned long long)st.evicted,
           (unsigned long long)st.expired);
    printf("  writer pauses: longest update %.2f ms wall, %.2f ms of CPU; %llu updates > 1 ms wall, %llu > 5 "
           "ms\n",
           max_pause * 1e3, max_cpu * 1e3, (unsigned long long)over1, (unsigned long long)over5);
    growth_ftrl_free(m);
    return failed;
}
