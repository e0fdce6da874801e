/* libFuzzer target: the FM/FFM readers. The bytes go to growth_fm_deserialize (as they are, and
 * as the payload of a valid GROWTH_KIND_FM envelope, so the checksums do not hide the payload
 * decoder) and to the LIBFFM importer (its buffer entry point, under both alignments). Models
 * whose tables would exceed FUZZ_CAP bytes are refused up front (fm_io.h), so a header asking
 * for 2^32 slots costs nothing. Whatever loads must serialise, and its bytes must deserialise
 * into a model that serialises to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fm/fm_io.h"
#include "growth/growth.h"

#define FUZZ_CAP (4.0 * 1048576)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* serialised bytes compare across calls */
    return 0;
}

static void exercise(growth_fm *m)
{
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    if (growth_fm_stats_get(m, &st) != GROWTH_OK) abort();
    if (st.k < 1 || st.k > 64 || st.heads < 1 || st.heads > 16 || st.touched > ((uint64_t)1 << st.bits))
        abort();
    float v[64];
    size_t n = 0;
    if (growth_fm_factors(m, 0, 0, v, 64, &n) != GROWTH_OK || n != st.k) abort();
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    if (growth_fm_serialize(m, &a, &alen) != GROWTH_OK) abort();
    growth_fm *copy = NULL;
    if (fm_deserialize_capped("fuzz", &copy, a, alen, FUZZ_CAP) != GROWTH_OK) abort();
    if (growth_fm_serialize(copy, &b, &blen) != GROWTH_OK) abort();
    if (alen != blen || memcmp(a, b, alen) != 0) abort();
    growth_buffer_free(a);
    growth_buffer_free(b);
    growth_fm_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    growth_fm *m = NULL;
    if (fm_deserialize_capped("fuzz", &m, data, size, FUZZ_CAP) == GROWTH_OK) {
        exercise(m);
        growth_fm_free(m);
    }
    uint8_t *buf = malloc(GENV_HEADER_SIZE + size + 1);
    if (!buf) return 0;
    memcpy(buf + GENV_HEADER_SIZE, data, size);
    genv_header(buf, GROWTH_KIND_FM, buf + GENV_HEADER_SIZE, size);
    m = NULL;
    if (fm_deserialize_capped("fuzz", &m, buf, GENV_HEADER_SIZE + size, FUZZ_CAP) == GROWTH_OK) {
        exercise(m);
        growth_fm_free(m);
    }
    free(buf);
    static const char *opts[2] = {NULL, "align=1"};
    for (int i = 0; i < 2; i++) {
        m = NULL;
        if (fm_import_libffm_buffer("fuzz", &m, data, size, opts[i], FUZZ_CAP) == GROWTH_OK) {
            exercise(m);
            growth_fm_free(m);
        }
    }
    return 0;
}
