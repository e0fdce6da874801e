#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

#define GERR_CAP 1024

static _Thread_local char gerr_buf[GERR_CAP];

int gerr(int code, const char *fmt, ...)
{
    /* Formatted aside first: an argument may be growth_last_error() itself (a message that
     * wraps the previous one), which must not be the buffer vsnprintf writes into. */
    char tmp[GERR_CAP];
    va_list ap;
    va_start(ap, fmt);
    gvsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(gerr_buf, tmp, sizeof tmp);
    return code;
}

GROWTH_API const char *growth_last_error(void) { return gerr_buf; }

const char *gerr_cause(const char *who)
{
    size_t n = who ? strlen(who) : 0;
    if (n && strncmp(gerr_buf, who, n) == 0 && gerr_buf[n] == ':' && gerr_buf[n + 1] == ' ')
        return gerr_buf + n + 2;
    return gerr_buf;
}

GROWTH_API const char *growth_strerror(int code)
{
    switch (code) {
    case GROWTH_OK: return "success";
    case GROWTH_EINVAL: return "invalid argument";
    case GROWTH_ENOMEM: return "out of memory";
    case GROWTH_EIO: return "input/output error";
    case GROWTH_EFORMAT: return "bad file format";
    case GROWTH_EBUFS: return "buffer too small";
    case GROWTH_ESTATE: return "invalid state";
    case GROWTH_EDEP: return "dependency failed";
    case GROWTH_ENOTFOUND: return "not found";
    case GROWTH_ECANCELED: return "canceled";
    default: return "unknown status";
    }
}

GROWTH_API const char *growth_version(void) { return GROWTH_VERSION_STRING; }

GROWTH_API int growth_version_number(void) { return GROWTH_VERSION_NUMBER; }

GROWTH_API const char *growth_model_kind_name(int kind)
{
    switch (kind) {
    case GROWTH_KIND_FTRL: return "ftrl";
    case GROWTH_KIND_FTRL_WEIGHTS: return "ftrl_weights";
    case GROWTH_KIND_FOREST: return "forest";
    case GROWTH_KIND_NET: return "net";
    case GROWTH_KIND_DSSM: return "dssm";
    case GROWTH_KIND_CALIBRATOR: return "calibrator";
    case GROWTH_KIND_BANDIT: return "bandit";
    case GROWTH_KIND_INDEX: return "index";
    case GROWTH_KIND_TEXT_INDEX: return "text_index";
    case GROWTH_KIND_BIDDER: return "bidder";
    case GROWTH_KIND_FM: return "fm";
    case GROWTH_KIND_UPLIFT: return "uplift";
    default: return "unknown";
    }
}

bool gall_finite_f32(const float *x, size_t n)
{
    /* On the bits, branch-free, eight independent lanes (a float sum would be one chain of
     * dependent additions): an exponent of all ones (NaN, Inf) carries into bit 31 when one is
     * added to the exponent's lowest bit. */
    uint32_t acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) {
            uint32_t u;
            memcpy(&u, x + i + j, sizeof u);
            acc[j] |= (u & UINT32_C(0x7f800000)) + UINT32_C(0x00800000);
        }
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        acc[0] |= (u & UINT32_C(0x7f800000)) + UINT32_C(0x00800000);
    }
    uint32_t all = (acc[0] | acc[1]) | (acc[2] | acc[3]) | (acc[4] | acc[5]) | (acc[6] | acc[7]);
    return !(all & UINT32_C(0x80000000));
}

bool gall_finite_f64(const double *x, size_t n)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += x[i] * 0.0;
    return acc == 0.0;
}
