/* The one binary heap behind every top-k of the library (vector index, HNSW beams, text search,
 * bandit slates), as a template so the comparison inlines on those hot paths.
 *
 * GHEAP_DEFINE(NAME, T, CTX, WORSE) defines static inline functions over an array h of T kept
 * as a heap by WORSE(ctx, a, b), true when item a ranks below item b: the worst item sits at
 * h[0] (a min-heap of "goodness"; pass the reverse order for a max-heap). ctx (of type CTX) is
 * handed to WORSE, e.g. the score array a heap of indexes refers to; pass NULL when unused.
 * WORSE must be a strict weak order for the results to be well defined.
 *
 *   NAME_down(ctx, h, n, i)       sifts h[i] down within h[0..n)
 *   NAME_up(ctx, h, i)            sifts h[i] up
 *   NAME_push(ctx, h, &n, x)      adds x (room for one more required)
 *   NAME_pop(ctx, h, &n)          removes and returns h[0] (n > 0)
 *   NAME_offer(ctx, h, &n, k, x)  keeps the k best items seen (h has room for k)
 *   NAME_sort(ctx, h, n)          turns the heap into a best-first array, in place         */
#ifndef GROWTH_TOPK_H
#define GROWTH_TOPK_H

#include <stddef.h>

#define GHEAP_DEFINE(NAME, T, CTX, WORSE)                                                                    \
    static inline void NAME##_down(CTX ctx, T *h, size_t n, size_t i)                                        \
    {                                                                                                        \
        (void)ctx;                                                                                           \
        T x_ = h[i];                                                                                         \
        for (;;) {                                                                                           \
            size_t c = 2 * i + 1;                                                                            \
            if (c >= n) break;                                                                               \
            if (c + 1 < n && WORSE(ctx, h[c + 1], h[c])) c++;                                                \
            if (!WORSE(ctx, h[c], x_)) break;                                                                \
            h[i] = h[c];                                                                                     \
            i = c;                                                                                           \
        }                                                                                                    \
        h[i] = x_;                                                                                           \
    }                                                                                                        \
    static inline void NAME##_up(CTX ctx, T *h, size_t i)                                                    \
    {                                                                                                        \
        (void)ctx;                                                                                           \
        T x_ = h[i];                                                                                         \
        while (i > 0) {                                                                                      \
            size_t p = (i - 1) / 2;                                                                          \
            if (!WORSE(ctx, x_, h[p])) break;                                                                \
            h[i] = h[p];                                                                                     \
            i = p;                                                                                           \
        }                                                                                                    \
        h[i] = x_;                                                                                           \
    }                                                                                                        \
    static inline void NAME##_push(CTX ctx, T *h, size_t *n, T x)                                            \
    {                                                                                                        \
        h[*n] = x;                                                                                           \
        NAME##_up(ctx, h, (*n)++);                                                                           \
    }                                                                                                        \
    static inline T NAME##_pop(CTX ctx, T *h, size_t *n)                                                     \
    {                                                                                                        \
        T top_ = h[0];                                                                                       \
        h[0] = h[--*n];                                                                                      \
        if (*n) NAME##_down(ctx, h, *n, 0);                                                                  \
        return top_;                                                                                         \
    }                                                                                                        \
    static inline void NAME##_offer(CTX ctx, T *h, size_t *n, size_t k, T x)                                 \
    {                                                                                                        \
        if (*n < k) {                                                                                        \
            NAME##_push(ctx, h, n, x);                                                                       \
        } else if (WORSE(ctx, h[0], x)) {                                                                    \
            h[0] = x;                                                                                        \
            NAME##_down(ctx, h, *n, 0);                                                                      \
        }                                                                                                    \
    }                                                                                                        \
    static inline void NAME##_sort(CTX ctx, T *h, size_t n)                                                  \
    {                                                                                                        \
        for (size_t m_ = n; m_ > 1; m_--) { /* the worst goes to the back */                                 \
            T t_ = h[0];                                                                                     \
            h[0] = h[m_ - 1];                                                                                \
            h[m_ - 1] = t_;                                                                                  \
            NAME##_down(ctx, h, m_ - 1, 0);                                                                  \
        }                                                                                                    \
    }

#endif
