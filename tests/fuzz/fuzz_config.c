/* libFuzzer target: the configuration parser (through a test schema and the public creators). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/growth.h"

typedef struct {
    double d;
    int64_t i;
    bool b;
    int e;
    char s[GCFG_STRING_MAX];
} fz_cfg;

static const gcfg_opt fz_opts[] = {
    {"d", GCFG_DOUBLE, offsetof(fz_cfg, d), "0.5", -1e9, 1e9, NULL, false},
    {"i", GCFG_INT, offsetof(fz_cfg, i), "3", -5, 1000000, NULL, false},
    {"b", GCFG_BOOL, offsetof(fz_cfg, b), "false", 0, 0, NULL, false},
    {"e", GCFG_ENUM, offsetof(fz_cfg, e), "x", 0, 0, "x|yy|zzz", false},
    {"s", GCFG_STRING, offsetof(fz_cfg, s), "", 0, 0, NULL, false},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    fz_cfg c;
    memset(&c, 0, sizeof c);
    if (gcfg_parse("fuzz", fz_opts, 5, s, &c, sizeof c) == GROWTH_OK) {
        /* Whatever parses must format and parse back to the same values. */
        char buf[2048];
        fz_cfg c2;
        memset(&c2, 0, sizeof c2);
        if (gcfg_format(fz_opts, 5, &c, buf, sizeof buf, NULL) != GROWTH_OK) abort();
        if (gcfg_parse("fuzz", fz_opts, 5, buf, &c2, sizeof c2) != GROWTH_OK) abort();
        if (c.d != c2.d || c.i != c2.i || c.b != c2.b || c.e != c2.e || strcmp(c.s, c2.s)) abort();
    }
    growth_row *r = NULL;
    if (growth_row_create(&r, s) == GROWTH_OK) growth_row_free(r);
    /* FTRL: keep the table small so the fuzzer explores the parser, not the allocator. */
    if (strstr(s, "bits") == NULL) {
        growth_ftrl *m = NULL;
        if (growth_ftrl_create(&m, s) == GROWTH_OK) growth_ftrl_free(m);
    }
    free(s);
    return 0;
}
