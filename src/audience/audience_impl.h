/* Private helpers of the audience module (not installed). */
#ifndef GROWTH_AUDIENCE_IMPL_H
#define GROWTH_AUDIENCE_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core.h"
#include "growth/audience.h"

/* Largest user / column count: ids are uint32 and UINT32_MAX is the padding value. */
#define AUD_MAX_IDS ((size_t)UINT32_MAX)

/* A CSR matrix with sorted, de-duplicated rows (malloc'ed), and optionally its transpose. */
typedef struct {
    size_t nrows, ncols;
    uint64_t *ptr; /* nrows + 1 */
    uint32_t *idx;
    uint64_t *tptr; /* ncols + 1, or NULL */
    uint32_t *tidx; /* users of each column, ascending */
} aud_csr;

/* Validates a caller CSR (indptr starts at 0, non-decreasing, indices < ncols). */
int aud_check_csr(const char *who, const uint64_t *indptr, const uint32_t *indices, size_t nrows,
                  size_t ncols, const char *what);
/* Validates, then copies with sorted unique rows; with transpose = true also builds columns. */
int aud_csr_clean(const char *who, const uint64_t *indptr, const uint32_t *indices, size_t nrows,
                  size_t ncols, const char *what, bool transpose, aud_csr *out);
void aud_csr_free(aud_csr *m);

/* Validates a non-empty id list (< n); returns a calloc'ed byte mask (1 = listed) in *mask and
 * the number of distinct ids in *ndistinct (may be NULL). `what` names the list ("seed"). */
int aud_id_mask(const char *who, const char *what, const uint32_t *ids, size_t nids, size_t n, uint8_t **mask,
                size_t *ndistinct);

/* Number of users u < nusers with flag[u] != 0. */
size_t aud_count_flags(const uint8_t *flag, size_t nusers);
/* Collects the users u < nusers with flag[u] != 0, ascending, into out (cap); *out_n (may be
 * NULL) = count. GROWTH_EBUFS when cap is short, and then nothing is written. */
int aud_emit_users(const char *who, const uint8_t *flag, size_t nusers, uint32_t *out, size_t cap,
                   size_t *out_n);

/* Copies the calling thread's last error (the buffer gerr() writes into) to a local buffer. */
void aud_last_error(char *buf, size_t cap);

#endif
