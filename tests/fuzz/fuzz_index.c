/* libFuzzer target: the vector-index loader on arbitrary bytes, and the same bytes as the
 * payload of a valid GROWTH_KIND_INDEX envelope (reaches the protobuf decoder and the loader's
 * graph / list / id checks). Whatever loads must search without crashing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/growth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(growth_index *ix)
{
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    growth_index_stats_get(ix, &st);
    uint64_t dim = st.dim;
    float *q = calloc(dim ? dim : 1, sizeof *q);
    if (!q) return;
    q[0] = 1.0f;
    int64_t ids[8];
    float sc[8];
    size_t found = 0;
    int rc = growth_index_search(ix, q, 8, NULL, ids, sc, 8, &found);
    if (rc != GROWTH_OK && rc != GROWTH_ESTATE && rc != GROWTH_ENOMEM) abort();
    free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    growth_index *ix = NULL;
    if (growth_index_deserialize(&ix, data, size) == GROWTH_OK) {
        exercise(ix);
        growth_index_free(ix);
    }
    uint8_t *buf = malloc(GENV_HEADER_SIZE + size + 1);
    if (!buf) return 0;
    memcpy(buf + GENV_HEADER_SIZE, data, size);
    genv_header(buf, GROWTH_KIND_INDEX, buf + GENV_HEADER_SIZE, size);
    ix = NULL;
    int rc = growth_index_deserialize(&ix, buf, GENV_HEADER_SIZE + size);
    if (rc == GROWTH_OK) {
        exercise(ix);
        growth_index_free(ix);
    } else if (rc != GROWTH_EFORMAT && rc != GROWTH_ENOMEM) {
        abort();
    }
    free(buf);
    return 0;
}
