/* growth: the command-line face of libgrowth. Uses only the public API (<growth/growth.h>).
 * Exit codes: 0 success, 1 the operation failed (library status), 2 usage error. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <growth/growth.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: growth [--version] [--help] <command> [<args>]\n"
               "\n"
               "commands:\n"
               "  demo      run the end-to-end demo on built-in simulated data\n"
               "  inspect   tell what a libgrowth model file (or a LIBFFM model) holds\n"
               "  audience  select an audience: expand a seed, score with a PU model, keep the top N\n"
               "  eval      AUC, GAUC, logloss, NE, PCOC and ECE of a score file (CSV)\n"
               "  calibrate fit a calibrator on a score file and report before/after\n"
               "  budget    knapsack: red-packet budget over users; channels: budget over channels\n"
               "  train     train an FTRL, FM or FFM model online on VW, LIBFFM, libsvm or CSV files\n"
               "  predict   score VW, LIBFFM, libsvm or CSV files with a trained model, one line each\n"
               "  console   serve the budget console, a local web page (python3 -m growth.console)\n"
               "\n"
               "'growth <command> --help' describes a command.\n");
}

int cli_fail(const char *what, int rc)
{
    fprintf(stderr, "growth: %s: %s (%s)\n", what, growth_last_error(), growth_strerror(rc));
    return CLI_EXIT_FAILED;
}

/* ---- LIBFFM model files (ffm-train's binary format; growth_fm_import_libffm) ------------- */

/* Size of a LIBFFM model with this header under alignment `align` (k rounded up to it). */
static uint64_t libffm_size(int32_t n, int32_t m, int32_t k, int align)
{
    uint64_t ka = (uint64_t)((k + align - 1) / align * align);
    return 13 + (uint64_t)n * (uint64_t)m * ka * 8;
}

typedef struct {
    int32_t n, m, k;
    unsigned norm;
    uint64_t size;
} libffm_header;

static int32_t le_i32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Reads the 13-byte header and the file size; 0 on success, -1 when the file cannot be read
 * or is shorter than a header. */
static int libffm_read_header(const char *path, libffm_header *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char b[13];
    int ok = fread(b, 1, 13, f) == 13 && fseek(f, 0, SEEK_END) == 0;
    long size = ok ? ftell(f) : -1;
    fclose(f);
    if (!ok || size < 13) return -1;
    h->n = le_i32(b);
    h->m = le_i32(b + 4);
    h->k = le_i32(b + 8);
    h->norm = b[12];
    h->size = (uint64_t)size;
    return 0;
}

/* A header LIBFFM could have written, with the file's size matching one of the alignments. */
static int libffm_plausible(const libffm_header *h)
{
    return h->n > 0 && h->m > 0 && h->k > 0 && h->norm <= 1 &&
           (h->size == libffm_size(h->n, h->m, h->k, 4) || h->size == libffm_size(h->n, h->m, h->k, 1));
}

/* When k is a multiple of 4 both alignments give the same size; the values tell them apart:
 * AdaGrad sums start at 1 and only grow, while factors start in [0, 1/sqrt(k)). Counts, for
 * each layout, the sums (as that layout places them) below 1 in the first blocks; returns the
 * only layout without any, or 0 when the values do not decide. */
static int libffm_guess_align(const char *path, const libffm_header *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t k = (size_t)h->k, blocks = 0, bad[5] = {0};
    float *blk = malloc(2 * k * sizeof *blk);
    unsigned char *raw = malloc(8 * k);
    if (blk && raw && fseek(f, 13, SEEK_SET) == 0)
        for (; blocks < 4096 && fread(raw, 8, k, f) == k; blocks++) {
            for (size_t i = 0; i < 2 * k; i++) {
                uint32_t u = (uint32_t)le_i32(raw + 4 * i);
                memcpy(&blk[i], &u, 4);
            }
            for (size_t a = 1; a <= 4; a += 3)
                for (size_t d = 0; d < k; d++) {
                    float g = blk[(d / a) * 2 * a + a + d % a];
                    if (!(g >= 1.0f && g - g == 0.0f)) bad[a]++;
                }
        }
    free(blk);
    free(raw);
    fclose(f);
    if (blocks == 0 || (bad[4] == 0) == (bad[1] == 0)) return 0;
    return bad[4] == 0 ? 4 : 1;
}

static int inspect_libffm(const char *path, const libffm_header *h)
{
    printf("file: %s\nkind: libffm (a LIBFFM ffm-train model, not a libgrowth file)\n", path);
    printf("n: %d\nm: %d\nk: %d\nnormalization: %s\n", (int)h->n, (int)h->m, (int)h->k,
           h->norm == 0   ? "false"
           : h->norm == 1 ? "true"
                          : "invalid");
    int bad = h->n <= 0 || h->m <= 0 || h->k <= 0 || h->norm > 1;
    if (bad) {
        printf("size: %llu bytes\nvalid: no (impossible header)\n", (unsigned long long)h->size);
        return CLI_EXIT_FAILED;
    }
    uint64_t s4 = libffm_size(h->n, h->m, h->k, 4), s1 = libffm_size(h->n, h->m, h->k, 1);
    int fits4 = h->size == s4, fits1 = h->size == s1;
    int guess = fits4 && fits1 ? libffm_guess_align(path, h) : 0;
    if (fits4 && fits1 && guess)
        printf(
            "alignment: %d (guessed from the values: k is a multiple of 4, so both layouts have this size, "
            "but only align=%d puts AdaGrad sums >= 1 where the sums go)\n",
            guess, guess);
    else if (fits4 && fits1)
        printf("alignment: 4 or 1 (k is a multiple of 4: both layouts have this size and the values do not "
               "decide; LIBFFM's Makefile builds with SSE, align=4)\n");
    else if (fits4)
        printf("alignment: 4 (a LIBFFM built with SSE, its Makefile's default)\n");
    else if (fits1)
        printf("alignment: 1 (a LIBFFM built without SSE: import with align=1)\n");
    else
        printf("alignment: unknown\n");
    printf("size: %llu bytes (expected %llu with align=4, %llu with align=1): %s\n",
           (unsigned long long)h->size, (unsigned long long)s4, (unsigned long long)s1,
           fits4 || fits1 ? "ok"
           : h->size < s1 ? "truncated"
           : h->size > s4 ? "trailing bytes"
                          : "matches neither alignment (truncated or padded)");
    int importable = (fits4 || fits1) && h->m <= 256 && h->k <= 64;
    int bits = 1;
    while (bits < 32 && ((int64_t)1 << bits) < (int64_t)h->n) bits++;
    if (importable)
        printf("imports as: model=ffm fields=%d k=%d bits=%d heads=1 linear=false bias=false normalize=%s "
               "(growth_fm_import_libffm, align=%d)\n",
               (int)h->m, (int)h->k, bits, h->norm ? "true" : "false",
               guess   ? guess
               : fits4 ? 4
                       : 1);
    else
        printf("imports as: cannot be imported (%s)\n",
               fits4 || fits1 ? "m > 256 or k > 64" : "the size does not match the header");
    return importable ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static void inspect_usage(FILE *f)
{
    fprintf(f, "usage: growth inspect [--libffm] FILE\n\n"
               "Validates FILE's envelope (magic, version, length, checksum) and prints its\n"
               "model kind, format version and, for models this version can load, details\n"
               "(an FM/FFM model: configuration, heads, fields, k, examples, touched slots and\n"
               "bytes per slot; a bandit: configuration, policy, decision and reward counters,\n"
               "pending decisions, and for the logistic policies the number of live weights\n"
               "(slots whose posterior left the prior) and the 5 largest by |mean|).\n\n"
               "A file without the libgrowth magic whose 13-byte header and size fit a LIBFFM\n"
               "model (ffm-train's binary format) is shown as one: n, m, k, normalization, the\n"
               "alignment its size implies (4 for LIBFFM built with SSE, 1 without) and the size\n"
               "check. --libffm reads FILE as a LIBFFM model whatever it holds, and exits 1 when\n"
               "its size does not match its header.\n");
}

static int inspect_fm(const char *path)
{
    growth_fm *m = NULL;
    int rc = growth_fm_load(&m, path);
    if (rc != GROWTH_OK) return cli_fail("inspect", rc);
    size_t need = 0;
    growth_fm_config(m, NULL, 0, &need);
    char *cfg = malloc(need ? need : 1);
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    if (!cfg || growth_fm_config(m, cfg, need, NULL) != GROWTH_OK ||
        growth_fm_stats_get(m, &st) != GROWTH_OK) {
        free(cfg);
        growth_fm_free(m);
        return cli_fail("inspect", GROWTH_ENOMEM);
    }
    printf("config: %s\nheads: %llu\nfields: %llu\nk: %llu\nbits: %llu\nexamples: %llu\ntouched_slots: %llu\n"
           "bytes_per_slot: %llu\n",
           cfg, (unsigned long long)st.heads, (unsigned long long)st.fields, (unsigned long long)st.k,
           (unsigned long long)st.bits, (unsigned long long)st.examples, (unsigned long long)st.touched,
           (unsigned long long)st.bytes_per_slot);
    free(cfg);
    growth_fm_free(m);
    return CLI_EXIT_OK;
}

/* The value of `key` in a "k=v k2=v2" configuration as growth_*_config writes it (no quoting). */
static int cfg_value(const char *cfg, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = cfg; p && *p;) {
        while (*p == ' ') p++;
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t n = strcspn(v, " ");
            if (n >= cap) n = cap - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return 1;
        }
        p = strchr(p, ' ');
    }
    out[0] = 0;
    return 0;
}

/* A bandit snapshot: configuration, policy, counters; for the logistic policies the live weights
 * (slots whose posterior moved from the prior N(0, 1/lambda)) and the largest of them. */
static int inspect_bandit(const char *path)
{
    growth_bandit *b = NULL;
    int rc = growth_bandit_load(&b, path);
    if (rc != GROWTH_OK) return cli_fail("inspect", rc);
    size_t need = 0;
    growth_bandit_config(b, NULL, 0, &need);
    char *cfg = malloc(need ? need : 1);
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    if (!cfg || growth_bandit_config(b, cfg, need, NULL) != GROWTH_OK ||
        growth_bandit_stats_get(b, &st) != GROWTH_OK) {
        free(cfg);
        growth_bandit_free(b);
        return cli_fail("inspect", GROWTH_ENOMEM);
    }
    char policy[64], bits_s[32], lambda_s[64];
    cfg_value(cfg, "policy", policy, sizeof policy);
    printf("config: %s\npolicy: %s\ndecisions: %llu\napplied: %llu\npending: %llu\nunknown: %llu\n"
           "expired: %llu\nduplicate: %llu\nretired: %llu\n",
           cfg, policy, (unsigned long long)st.decisions, (unsigned long long)st.applied,
           (unsigned long long)st.pending, (unsigned long long)st.unknown, (unsigned long long)st.expired,
           (unsigned long long)st.duplicate, (unsigned long long)st.retired);
    if (strncmp(policy, "logistic_", 9) != 0) {
        printf("arms: %llu\n", (unsigned long long)st.arms);
        free(cfg);
        growth_bandit_free(b);
        return CLI_EXIT_OK;
    }
    cfg_value(cfg, "bits", bits_s, sizeof bits_s);
    cfg_value(cfg, "lambda", lambda_s, sizeof lambda_s);
    unsigned bits = (unsigned)strtoul(bits_s, NULL, 10);
    double lambda = strtod(lambda_s, NULL);
    enum { CHUNK = 65536, TOP = 5 };
    uint32_t *slots = malloc(CHUNK * sizeof *slots);
    double *m = malloc(CHUNK * sizeof *m), *q = malloc(CHUNK * sizeof *q);
    if (!slots || !m || !q) {
        free(slots);
        free(m);
        free(q);
        free(cfg);
        growth_bandit_free(b);
        return cli_fail("inspect", GROWTH_ENOMEM);
    }
    struct {
        uint32_t slot;
        double m, q;
    } top[TOP];
    size_t ntop = 0;
    uint64_t live = 0, total = (uint64_t)1 << bits;
    for (uint64_t base = 0; base < total && rc == GROWTH_OK; base += CHUNK) {
        size_t n = total - base < CHUNK ? (size_t)(total - base) : CHUNK;
        for (size_t i = 0; i < n; i++) slots[i] = (uint32_t)(base + i);
        rc = growth_bandit_weights(b, slots, n, m, q, CHUNK);
        for (size_t i = 0; rc == GROWTH_OK && i < n; i++) {
            if (m[i] == 0 && q[i] == lambda) continue;
            live++;
            /* keep the TOP largest |mean|, largest first */
            size_t at = ntop < TOP ? ntop : TOP;
            while (at > 0 && fabs(top[at - 1].m) < fabs(m[i])) at--;
            if (at >= TOP) continue;
            size_t last = ntop < TOP ? ntop : TOP - 1;
            for (size_t k = last; k > at; k--) top[k] = top[k - 1];
            top[at].slot = slots[i];
            top[at].m = m[i];
            top[at].q = q[i];
            if (ntop < TOP) ntop++;
        }
    }
    if (rc == GROWTH_OK) {
        printf("bits: %u\nslots: %llu\nlive_weights: %llu\n", bits, (unsigned long long)total,
               (unsigned long long)live);
        for (size_t k = 0; k < ntop; k++)
            printf("weight: slot=%u mean=%.6g precision=%.6g\n", top[k].slot, top[k].m, top[k].q);
    }
    free(slots);
    free(m);
    free(q);
    free(cfg);
    growth_bandit_free(b);
    return rc == GROWTH_OK ? CLI_EXIT_OK : cli_fail("inspect", rc);
}

static int cmd_inspect(int argc, char **argv)
{
    int libffm = argc == 3 && strcmp(argv[1], "--libffm") == 0;
    int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    if (help || (argc != 2 && !libffm) || (argc == 2 && argv[1][0] == '-' && argv[1][1] != 0)) {
        inspect_usage(help ? stdout : stderr);
        return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    const char *path = argv[argc - 1];
    libffm_header h;
    if (libffm) {
        if (libffm_read_header(path, &h) != 0) {
            fprintf(stderr, "growth: inspect: cannot read a 13-byte LIBFFM header from '%s'\n", path);
            return CLI_EXIT_FAILED;
        }
        return inspect_libffm(path, &h);
    }
    int kind = 0;
    uint32_t ver = 0;
    int rc = growth_model_kind(path, &kind, &ver);
    if (rc != GROWTH_OK) {
        /* No libgrowth magic: perhaps a LIBFFM model. */
        if (rc == GROWTH_EFORMAT && strstr(growth_last_error(), "bad magic") &&
            libffm_read_header(path, &h) == 0 && libffm_plausible(&h))
            return inspect_libffm(path, &h);
        return cli_fail("inspect", rc);
    }
    printf("file: %s\nkind: %s\nformat_version: %u\n", path, growth_model_kind_name(kind), ver);
    if (kind == GROWTH_KIND_FTRL || kind == GROWTH_KIND_FTRL_WEIGHTS) {
        growth_ftrl *m = NULL;
        rc = growth_ftrl_load(&m, path);
        if (rc != GROWTH_OK) return cli_fail("inspect", rc);
        char cfg[2048];
        growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
        growth_ftrl_config(m, cfg, sizeof cfg, NULL);
        growth_ftrl_stats_get(m, &st);
        printf("config: %s\nheads: %llu\nexamples: %llu\nnonzero_slots: %llu\n", cfg,
               (unsigned long long)st.heads, (unsigned long long)st.examples, (unsigned long long)st.nonzero);
        growth_ftrl_free(m);
    } else if (kind == GROWTH_KIND_FM) {
        return inspect_fm(path);
    } else if (kind == GROWTH_KIND_BANDIT) {
        return inspect_bandit(path);
    }
    return CLI_EXIT_OK;
}

/* growth console [ARGS]: runs Debian's Python on growth.console (the page's server) in place of
 * this process; GROWTH_PYTHON names another interpreter. */
static int cmd_console(int argc, char **argv)
{
    const char *py = getenv("GROWTH_PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (!args) {
        fprintf(stderr, "growth console: out of memory\n");
        return CLI_EXIT_FAILED;
    }
    args[0] = (char *)py;
    args[1] = "-m";
    args[2] = "growth.console";
    for (int i = 1; i < argc; i++) args[i + 2] = argv[i];
    fflush(stdout);
    execv(py, args);
    fprintf(stderr,
            "growth console: cannot run %s: %s\n"
            "  it needs Python with the growth package (Debian: python3-numpy; from a source tree:\n"
            "  PYTHONPATH=<libgrowth>/bindings/python /usr/bin/python3 -m growth.console)\n",
            py, strerror(errno));
    free(args);
    return CLI_EXIT_FAILED;
}

int main(int argc, char **argv)
{
    /* The command never calls setlocale(): it stays in the C locale whatever LANG says, so its CSV
     * numbers (strtod, printf) read and write '.' everywhere (tests/python/test_locale.py). */
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("growth %s (libgrowth %s)\n", growth_version(), growth_version());
        if (growth_version_number() != GROWTH_VERSION_NUMBER) {
            fprintf(stderr, "growth: built against libgrowth %d, running %d\n", GROWTH_VERSION_NUMBER,
                    growth_version_number());
            return CLI_EXIT_FAILED;
        }
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "inspect") == 0) return cmd_inspect(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0) return cli_demo(argc - 1, argv + 1);
    if (strcmp(cmd, "audience") == 0) return cli_audience(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0) return cli_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0) return cli_calibrate(argc - 1, argv + 1);
    if (strcmp(cmd, "budget") == 0) return cli_budget(argc - 1, argv + 1);
    if (strcmp(cmd, "train") == 0) return cli_train(argc - 1, argv + 1);
    if (strcmp(cmd, "predict") == 0) return cli_predict(argc - 1, argv + 1);
    if (strcmp(cmd, "console") == 0) return cmd_console(argc - 1, argv + 1);
    fprintf(stderr, "growth: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
