/* Word hashing of text (DSSM style): letter trigrams of "#word#" and CJK unigrams and bigrams,
 * each hashed into a bucket. Shared by growth_features_hash_text() and the DSSM towers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core.h"

/* ---- word hashing -------------------------------------------------------------------------- */

enum { C_SEP, C_WORD, C_CJK };

uint32_t gutf8_decode(const unsigned char *s, size_t avail, size_t *adv)
{
    uint32_t c = s[0];
    *adv = 1;
    if (c < 0x80) return c;
    size_t n;
    uint32_t min;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        c &= 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        c &= 0x0f;
        min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        c &= 0x07;
        min = 0x10000;
    } else
        return UINT32_MAX;
    if (avail < n) return UINT32_MAX;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return UINT32_MAX; /* also stops at a NUL */
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return UINT32_MAX;
    *adv = n;
    return c;
}

static int char_class(uint32_t c)
{
    if (c < 0x80) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return C_WORD;
        return C_SEP;
    }
    if (c == UINT32_MAX || c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
        c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || (c >= 0x3000 && c <= 0x303f) ||
        (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) ||
        (c >= 0xff5b && c <= 0xff65) || c == 0xfeff)
        return C_SEP;
    if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
        (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2ffff))
        return C_CJK;
    return C_WORD;
}

typedef struct {
    uint32_t buckets;
    uint64_t seed;
    gtext_gram_fn fn;
    void *ctx;
    size_t count;
} gram_sink;

static void emit(gram_sink *g, const unsigned char *bytes, size_t len)
{
    g->fn(g->ctx, (uint32_t)(growth_hash64(bytes, len, g->seed) % g->buckets));
    g->count++;
}

/* Sliding window of the last three code points of "#word#" (UTF-8 bytes). */
typedef struct {
    unsigned char b[3][4];
    size_t len[3];
    int n;
} trigram_win;

static void win_push(trigram_win *w, gram_sink *g, const unsigned char *cp, size_t len)
{
    if (w->n == 3) {
        memmove(w->b[0], w->b[1], sizeof w->b[0] * 2);
        w->len[0] = w->len[1];
        w->len[1] = w->len[2];
        w->n = 2;
    }
    memcpy(w->b[w->n], cp, len);
    w->len[w->n++] = len;
    if (w->n == 3) {
        unsigned char t[12];
        size_t l = 0;
        for (int i = 0; i < 3; i++) {
            memcpy(t + l, w->b[i], w->len[i]);
            l += w->len[i];
        }
        emit(g, t, l);
    }
}

static size_t text_grams(const char *text, gram_sink *g)
{
    static const unsigned char hash_mark = '#';
    const unsigned char *s = (const unsigned char *)text;
    trigram_win w = {.n = 0};
    bool in_word = false, have_prev = false;
    unsigned char prev[4];
    size_t prev_len = 0;
    g->count = 0;
    while (*s) {
        size_t adv;
        uint32_t c = gutf8_decode(s, SIZE_MAX, &adv); /* NUL-terminated */
        int cls = char_class(c);
        unsigned char cp[4];
        memcpy(cp, s, adv);
        if (adv == 1 && c >= 'A' && c <= 'Z') cp[0] = (unsigned char)(c + 32);
        if (cls != C_WORD && in_word) {
            win_push(&w, g, &hash_mark, 1);
            in_word = false;
        }
        if (cls == C_WORD) {
            if (!in_word) {
                w.n = 0;
                win_push(&w, g, &hash_mark, 1);
                in_word = true;
            }
            win_push(&w, g, cp, adv);
            have_prev = false;
        } else if (cls == C_CJK) {
            emit(g, cp, adv);
            if (have_prev) {
                unsigned char t[8];
                memcpy(t, prev, prev_len);
                memcpy(t + prev_len, cp, adv);
                emit(g, t, prev_len + adv);
            }
            memcpy(prev, cp, adv);
            prev_len = adv;
            have_prev = true;
        } else {
            have_prev = false;
        }
        s += adv;
    }
    if (in_word) win_push(&w, g, &hash_mark, 1);
    return g->count;
}

size_t gtext_grams(const char *text, uint32_t buckets, uint64_t seed, gtext_gram_fn fn, void *ctx)
{
    gram_sink g = {buckets, seed, fn, ctx, 0};
    return text_grams(text, &g);
}
