/* Bandit rewards: value checks, the Beta and linear (rank-1, periodic refactor) updates,
 * forgetting (scale) and the sliding window, decisions found in the pending ring. Rewards hold
 * b->lock exclusively. */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bandit_impl.h"

#define SCALE_FLOOR 1e-100

int bandit_check_value(const growth_bandit *b, const char *who, double v, size_t i)
{
    if (!gfinite(v)) return gerr(GROWTH_EINVAL, "%s: reward[%zu] is not finite", who, i);
    if (!is_linear(b) && !(v >= 0 && v <= 1))
        return gerr(GROWTH_EINVAL, "%s: reward[%zu] = %g is outside [0, 1] (Bernoulli policy)", who, i, v);
    return GROWTH_OK;
}

/* Recomputes A^-1 from A (upper triangles) by Cholesky: A = U'U, A^-1 = U^-1 U^-T. */
static void refactor(growth_bandit *b, barm *a)
{
    size_t d = b->dim;
    double *A = a->lin, *Ai = a->lin + d * d, *U = b->wscratch, *Ui = U + d * d;
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) {
            double s = A[i * d + j];
            for (size_t k = 0; k < i; k++) s -= U[k * d + i] * U[k * d + j];
            if (i == j)
                U[i * d + i] = sqrt(s > 1e-300 ? s : 1e-300);
            else
                U[i * d + j] = s / U[i * d + i];
        }
    memset(Ui, 0, d * d * sizeof *Ui);
    for (size_t j = 0; j < d; j++) { /* Ui = U^-1, upper triangular, column by column */
        Ui[j * d + j] = 1.0 / U[j * d + j];
        for (size_t i = j; i-- > 0;) {
            double s = 0;
            for (size_t k = i + 1; k <= j; k++) s += U[i * d + k] * Ui[k * d + j];
            Ui[i * d + j] = -s / U[i * d + i];
        }
    }
    for (size_t i = 0; i < d; i++) /* Ai = Ui Ui' (upper) */
        for (size_t j = i; j < d; j++) {
            double s = 0;
            for (size_t k = j; k < d; k++) s += Ui[i * d + k] * Ui[j * d + k];
            Ai[i * d + j] = s;
        }
    a->updates = 0;
}

/* Adds (sign = +1) or removes (sign = -1) one observation from an arm. */
static void arm_update(growth_bandit *b, barm *a, double v, const float *ctx, double sign)
{
    if (!is_linear(b)) {
        if (sign > 0 && b->cfg.decay < 1.0) {
            b->scale *= b->cfg.decay;
            if (b->scale < SCALE_FLOOR) { /* renormalise: fold the scale into the sums */
                for (size_t i = 0; i < b->n; i++) {
                    b->arms[i].s *= b->scale;
                    b->arms[i].f *= b->scale;
                }
                b->total *= b->scale;
                b->scale = 1.0;
            }
        }
        double w = 1.0 / b->scale;
        a->s += sign * v * w;
        a->f += sign * (1.0 - v) * w;
        b->total += sign * w;
        if (sign < 0) { /* the window subtracts exactly what it added; guard rounding */
            if (a->s < 0) a->s = 0;
            if (a->f < 0) a->f = 0;
            if (b->total < 0) b->total = 0;
        }
        if (b->cfg.decay >= 1.0) bandit_refresh_k(b, a);
        return;
    }
    size_t d = b->dim;
    double *A = a->lin, *Ai = A + d * d, *bv = Ai + d * d, *th = bv + d;
    double *x = b->wscratch + 2 * d * d, *u = x + d;
    for (size_t i = 0; i < d; i++) x[i] = ctx[i];
    cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, sign, x, 1, A, (int)d);
    cblas_daxpy((int)d, sign * v, x, 1, bv, 1);
    cblas_dsymv(CblasRowMajor, CblasUpper, (int)d, 1.0, Ai, (int)d, x, 1, 0.0, u, 1);
    double den = 1.0 + sign * cblas_ddot((int)d, x, 1, u, 1);
    a->count += sign;
    if (++a->updates >= (uint64_t)b->cfg.refresh || !(den > 1e-12))
        refactor(b, a);
    else
        cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, -sign / den, u, 1, Ai, (int)d);
    cblas_dsymv(CblasRowMajor, CblasUpper, (int)d, 1.0, Ai, (int)d, bv, 1, 0.0, th, 1);
}

/* Applies the reward of one decision; caller holds the lock exclusively. */
static int apply_one(growth_bandit *b, const char *who, uint64_t id, double v, int64_t now)
{
    uint64_t next = atomic_load_explicit(&b->next_id, memory_order_relaxed);
    if (id == 0 || id >= next) {
        b->cnt[CNT_UNKNOWN]++;
        return gerr(GROWTH_ENOTFOUND, "%s: decision %llu is unknown (never issued)", who,
                    (unsigned long long)id);
    }
    size_t slot = (size_t)id & (b->rcap - 1);
    bpend *e = &b->ring[slot];
    if (next - id > (uint64_t)b->cfg.ttl ||
        (b->ring_t && (double)(now - b->ring_t[slot]) > b->cfg.ttl_seconds * 1e9)) {
        b->cnt[CNT_EXPIRED]++;
        return gerr(GROWTH_ENOTFOUND, "%s: decision %llu has expired", who, (unsigned long long)id);
    }
    if ((e->uid_state & 3) == PEND_REWARDED) {
        b->cnt[CNT_DUPLICATE]++;
        return gerr(GROWTH_ENOTFOUND, "%s: decision %llu was already rewarded", who, (unsigned long long)id);
    }
    if (is_logistic(b)) {
        blog_apply(b, slot, v);
        e->uid_state = (e->uid_state & ~(uint64_t)3) | PEND_REWARDED;
        b->cnt[CNT_APPLIED]++;
        return GROWTH_OK;
    }
    uint32_t i = gidmap_get(&b->index, e->arm_id);
    if (i == UINT32_MAX || b->arms[i].uid != e->uid_state >> 2) {
        b->cnt[CNT_RETIRED]++;
        e->uid_state = (e->uid_state & ~(uint64_t)3) | PEND_REWARDED;
        return gerr(GROWTH_ENOTFOUND, "%s: the arm of decision %llu was removed", who,
                    (unsigned long long)id);
    }
    const float *ctx = b->dim ? b->ring_ctx + slot * b->dim : NULL;
    if (b->cfg.window > 0) {
        size_t W = (size_t)b->cfg.window;
        if (b->win_len == W) { /* slide: forget the oldest applied reward */
            size_t o = b->win_head;
            uint32_t oi = gidmap_get(&b->index, b->win_arm[o]);
            if (oi != UINT32_MAX && b->arms[oi].uid == b->win_uid[o])
                arm_update(b, &b->arms[oi], b->win_r[o], b->win_ctx ? b->win_ctx + o * b->dim : NULL, -1.0);
            b->win_head = (o + 1) % W;
            b->win_len--;
        }
        size_t p = (b->win_head + b->win_len) % W;
        b->win_arm[p] = e->arm_id;
        b->win_uid[p] = e->uid_state >> 2;
        b->win_r[p] = v;
        if (b->dim) memcpy(b->win_ctx + p * b->dim, ctx, b->dim * sizeof *ctx);
        b->win_len++;
    }
    arm_update(b, &b->arms[i], v, ctx, 1.0);
    e->uid_state = (e->uid_state & ~(uint64_t)3) | PEND_REWARDED;
    b->cnt[CNT_APPLIED]++;
    return GROWTH_OK;
}

GROWTH_API int growth_bandit_reward(growth_bandit *b, uint64_t decision, double value)
{
    static const char *who = "growth_bandit_reward";
    GROWTH_CHECK_NULL(who, b);
    int rc = bandit_check_value(b, who, value, 0);
    if (rc) return rc;
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    pthread_rwlock_wrlock(&b->lock);
    rc = apply_one(b, who, decision, value, now);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_reward_batch(growth_bandit *b, const uint64_t *decisions, const double *values,
                                          size_t n, int *out_status, size_t *out_applied)
{
    static const char *who = "growth_bandit_reward_batch";
    GROWTH_CHECK_NULL(who, b);
    if (n > 0) {
        GROWTH_CHECK_NULL(who, decisions);
        GROWTH_CHECK_NULL(who, values);
    }
    for (size_t i = 0; i < n; i++) {
        int rc = bandit_check_value(b, who, values[i], i);
        if (rc) return rc;
    }
    int64_t now = b->ring_t ? bandit_now_ns() : 0;
    size_t applied = 0;
    pthread_rwlock_wrlock(&b->lock);
    for (size_t i = 0; i < n; i++) {
        int rc = apply_one(b, who, decisions[i], values[i], now);
        applied += rc == GROWTH_OK;
        if (out_status) out_status[i] = rc;
    }
    pthread_rwlock_unlock(&b->lock);
    if (out_applied) *out_applied = applied;
    return GROWTH_OK;
}
