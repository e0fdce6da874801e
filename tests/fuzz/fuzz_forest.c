/* libFuzzer target: the forest loader (xgboost JSON / UBJSON model bytes, and libgrowth forest
 * envelopes). Whatever loads must predict one all-missing row. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/growth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(growth_forest *f)
{
    growth_forest_stats st = GROWTH_FOREST_STATS_INIT;
    if (growth_forest_stats_get(f, &st) != GROWTH_OK) abort();
    if (st.outputs == 0 || st.features > 100000 || st.outputs > 1000) abort(); /* a loaded model is sane */
    int nf = (int)st.features, no = (int)st.outputs;
    float *x = malloc(((size_t)nf + 1) * sizeof *x), *out = malloc((size_t)no * sizeof *out);
    if (x && out) {
        for (int i = 0; i < nf; i++) x[i] = NAN;
        if (growth_forest_predict(f, x, (size_t)nf, 0, out, (size_t)no) != GROWTH_OK) abort();
    }
    free(x);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    growth_forest *f = NULL;
    if (growth_forest_deserialize(&f, data, size) == GROWTH_OK) {
        exercise(f);
        growth_forest_free(f);
    }
    uint8_t *buf = malloc(GENV_HEADER_SIZE + size + 1);
    if (!buf) return 0;
    memcpy(buf + GENV_HEADER_SIZE, data, size);
    genv_header(buf, GROWTH_KIND_FOREST, buf + GENV_HEADER_SIZE, size);
    f = NULL;
    if (growth_forest_deserialize(&f, buf, GENV_HEADER_SIZE + size) == GROWTH_OK) {
        exercise(f);
        growth_forest_free(f);
    }
    free(buf);
    return 0;
}
