/* Fast samplers for Thompson Sampling: a 128-layer ziggurat normal (Marsaglia & Tsang 2000,
 * in the form of Doornik 2005) and Marsaglia-Tsang gamma variates, Beta as a gamma ratio.
 * The core's polar-method normal costs a log and a sqrt per pair; the ziggurat accepts ~99% of
 * draws with one multiply and one compare. */
#define _GNU_SOURCE /* rwlock kinds, strdup */
#include <math.h>
#include <pthread.h>

#include "bandit_impl.h"

#define ZIG_N BZIG_N
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

double bzig_x[ZIG_N + 1], bzig_ratio[ZIG_N];
#define zig_x     bzig_x
#define zig_ratio bzig_ratio
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_init(void)
{
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f; /* the base strip, including the tail, as a rectangle of area V */
    zig_x[1] = ZIG_R;
    zig_x[ZIG_N] = 0.0;
    for (int i = 2; i < ZIG_N; i++) {
        zig_x[i] = sqrt(-2.0 * log(ZIG_V / zig_x[i - 1] + f));
        f = exp(-0.5 * zig_x[i] * zig_x[i]);
    }
    for (int i = 0; i < ZIG_N; i++) zig_ratio[i] = zig_x[i + 1] / zig_x[i];
}

void bsample_init(void) { pthread_once(&zig_once, zig_init); }

static double zig_tail(grng *r, bool negative)
{
    double x, y;
    do {
        double u1 = grng_uniform(r), u2 = grng_uniform(r);
        x = log(u1 > 0 ? u1 : 0x1.0p-60) / ZIG_R;
        y = log(u2 > 0 ? u2 : 0x1.0p-60);
    } while (-2.0 * y < x * x);
    return negative ? x - ZIG_R : ZIG_R - x;
}

/* The wedge test (or the tail) of a draw whose word w missed the layer's inner box; a
 * rejected draw starts over with fresh words. */
double bzig_slow(grng *r, uint64_t w)
{
    for (;;) {
        unsigned i = (unsigned)(w & (ZIG_N - 1));
        double u = 2.0 * ((double)(w >> 11) * 0x1.0p-53) - 1.0;
        if (fabs(u) < zig_ratio[i]) return u * zig_x[i];
        if (i == 0) return zig_tail(r, u < 0);
        double x = u * zig_x[i];
        double f0 = exp(-0.5 * (zig_x[i] * zig_x[i] - x * x));
        double f1 = exp(-0.5 * (zig_x[i + 1] * zig_x[i + 1] - x * x));
        if (f1 + grng_uniform(r) * (f0 - f1) < 1.0) return x;
        w = grng_next(r);
    }
}

double bsample_normal(grng *r) { return bzig_normal_w(r, grng_next(r)); }

/* Gamma(d + 1/3) for shape >= 1 given d = shape - 1/3 and c = 1 / sqrt(9 d). */
static inline double gamma_dc(grng *r, double d, double c)
{
    for (;;) {
        double x = bsample_normal(r);
        double v = 1.0 + c * x;
        if (v <= 0.0) continue;
        v = v * v * v;
        double u = grng_uniform(r);
        double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
        if (log(u > 0 ? u : 0x1.0p-60) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v;
    }
}

double bgamma_retry(grng *r, const bgamma_k *k) { return gamma_dc(r, k->d, k->c); }

void bgamma_prep(double shape, bgamma_k *k)
{
    double s = shape < 1.0 ? shape + 1.0 : shape;
    k->d = s - 1.0 / 3.0;
    k->c = 1.0 / sqrt(9.0 * k->d);
    k->inv = shape < 1.0 ? 1.0 / shape : 0.0;
}

double bsample_beta(grng *r, double a, double b)
{
    bgamma_k ka, kb;
    bgamma_prep(a, &ka);
    bgamma_prep(b, &kb);
    return bsample_beta_fast(r, &ka, &kb);
}

GROWTH_API int growth_bandit_sample_beta(uint64_t seed, const double *a, const double *b, size_t n,
                                         double *out, size_t cap)
{
    static const char *who = "growth_bandit_sample_beta";
    if (n > 0) {
        GROWTH_CHECK_NULL(who, a);
        GROWTH_CHECK_NULL(who, b);
        GROWTH_CHECK_NULL(who, out);
    }
    if (cap < n) return gerr(GROWTH_EBUFS, "%s: cap %zu < n %zu", who, cap, n);
    for (size_t i = 0; i < n; i++)
        if (!(gfinite(a[i]) && gfinite(b[i]) && a[i] > 0 && b[i] > 0))
            return gerr(GROWTH_EINVAL, "%s: a[%zu] = %g, b[%zu] = %g must be finite and > 0", who, i, a[i], i,
                        b[i]);
    bsample_init();
    grng r;
    grng_seed(&r, seed);
    /* Runs of equal parameters (numpy-style broadcasting from the caller) reuse the constants. */
    bgamma_k ka = {0, 0, 0}, kb = {0, 0, 0};
    double la = -1, lb = -1;
    for (size_t i = 0; i < n; i++) {
        if (a[i] != la) {
            bgamma_prep(a[i], &ka);
            la = a[i];
        }
        if (b[i] != lb) {
            bgamma_prep(b[i], &kb);
            lb = b[i];
        }
        out[i] = bsample_beta_fast(&r, &ka, &kb);
    }
    return GROWTH_OK;
}
