/* growth: the command-line face of libgrowth. Uses only the public API (<growth/growth.h>).
 * Exit codes: 0 success, 1 the operation failed (library status), 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: growth [--version] [--help] <command> [<args>]\n"
               "\n"
               "commands:\n"
               "  demo      run the end-to-end demo on built-in simulated data\n"
               "  inspect   tell what a libgrowth model file holds\n"
               "  audience  select an audience: expand a seed, score with a PU model, keep the top N\n"
               "  eval      AUC, GAUC, logloss, NE, PCOC and ECE of a score file (CSV)\n"
               "  calibrate fit a calibrator on a score file and report before/after\n"
               "  budget    knapsack: red-packet budget over users; channels: budget over channels\n"
               "  train     train an FTRL, FM or FFM model online on VW, LIBFFM, libsvm or CSV files\n"
               "  predict   score VW, LIBFFM, libsvm or CSV files with a trained model, one line each\n"
               "\n"
               "'growth <command> --help' describes a command.\n");
}

int cli_fail(const char *what, int rc)
{
    fprintf(stderr, "growth: %s: %s (%s)\n", what, growth_last_error(), growth_strerror(rc));
    return CLI_EXIT_FAILED;
}

static int cmd_inspect(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc == 2 ? stdout : stderr;
        fprintf(f, "usage: growth inspect FILE\n\n"
                   "Validates FILE's envelope (magic, version, length, checksum) and prints its\n"
                   "model kind, format version and, for models this version can load, details.\n");
        return argc == 2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    const char *path = argv[1];
    int kind = 0;
    uint32_t ver = 0;
    int rc = growth_model_kind(path, &kind, &ver);
    if (rc != GROWTH_OK) return cli_fail("inspect", rc);
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
    }
    return CLI_EXIT_OK;
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
    fprintf(stderr, "growth: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
