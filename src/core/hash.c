#include <string.h>

#include "core.h"

/* growth_hash64: multiply-fold hashing (the 128-bit product of two 64-bit words, high half
 * xor low half) over 16-byte blocks, overlapping loads for the tail, and a splitmix finaliser.
 * Words are read little-endian on every platform so the value is portable. */

#define GH_P0 0xa0761d6478bd642fULL
#define GH_P1 0xe7037ed1a0b428dbULL
#define GH_P2 0x8ebc6af09c88c6e3ULL
#define GH_P3 0x589965cc75374cc3ULL

static inline uint64_t gh_fold(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t gh_rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t gh_rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

GROWTH_API uint64_t growth_hash64(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = (const uint8_t *)data;
    if (p == NULL) len = 0;
    /* The length enters the state before any data, so inputs that differ only in length
     * (a short tail read with overlapping loads: "w1" and "w10") cannot collide. */
    uint64_t h = (seed ^ GH_P0) + (uint64_t)len * GH_P3;
    while (len > 16) {
        h = gh_fold(gh_rd64(p) ^ GH_P1, gh_rd64(p + 8) ^ h);
        p += 16;
        len -= 16;
    }
    uint64_t a = 0, b = 0;
    if (len >= 8) {
        a = gh_rd64(p);
        b = gh_rd64(p + len - 8);
    } else if (len >= 4) {
        a = gh_rd32(p);
        b = gh_rd32(p + len - 4);
    } else if (len > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
    }
    h = gh_fold(a ^ GH_P1, b ^ h ^ GH_P2);
    return gmix64(h ^ GH_P3);
}
