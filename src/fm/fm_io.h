/* Persistence side of FM/FFM (fm_persist.c, fm_libffm.c): internal entry points for the fuzz
 * target and the tests. Not installed, not ABI. */
#ifndef GROWTH_FM_IO_H
#define GROWTH_FM_IO_H

#include "fm_impl.h"

/* Target size of one block of slots in a model file (64 MiB; tests lower it to make several). */
extern size_t fm_block_bytes;

/* The bytes the tables of `cfg` take by fm.h's formula (factors and AdaGrad sums, linear
 * statistics of every head), in double so that nothing wraps. */
double fm_table_bytes(const fm_cfg *cfg);

/* growth_fm_deserialize with an extra cap: a model whose tables (fm_table_bytes) exceed
 * `max_bytes` is refused with GROWTH_ENOMEM before anything is allocated (0 = no extra cap; the
 * stored max_memory and the machine's memory apply either way). `who` names the caller. */
int fm_deserialize_capped(const char *who, growth_fm **out, const uint8_t *buf, size_t len, double max_bytes);

/* growth_fm_import_libffm on a LIBFFM model held in memory, with the same extra cap. */
int fm_import_libffm_buffer(const char *who, growth_fm **out, const uint8_t *buf, size_t len,
                            const char *config, double max_bytes);

#endif
