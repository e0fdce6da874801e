/* ESMM composition (Ma et al., SIGIR 2018): pCTCVR = pCTR x pCVR, and entire-space training of
 * a CVR head through the CTCVR loss. */
#include <math.h>

#include "ftrl_impl.h"

static int check_head(const growth_ftrl *m, const char *who, const char *name, size_t head)
{
    if (head >= (size_t)m->H)
        return gerr(GROWTH_EINVAL, "%s: %s %zu does not exist (model has %d heads)", who, name, head, m->H);
    return GROWTH_OK;
}

GROWTH_API int growth_ftrl_esmm_predict(const growth_ftrl *ctr_model, size_t ctr_head,
                                        const growth_ftrl *cvr_model, size_t cvr_head, const uint32_t *idx,
                                        const float *val, size_t nnz, float *out, size_t cap)
{
    static const char *who = "growth_ftrl_esmm_predict";
    GROWTH_CHECK_NULL(who, ctr_model);
    GROWTH_CHECK_NULL(who, cvr_model);
    GROWTH_CHECK_NULL(who, out);
    if (cap < 3) return gerr(GROWTH_EBUFS, "%s: out has room for %zu floats, need 3", who, cap);
    int rc = check_head(ctr_model, who, "ctr_head", ctr_head);
    if (!rc) rc = check_head(cvr_model, who, "cvr_head", cvr_head);
    if (!rc) rc = ftrl_check_row(ctr_model, who, idx, val, nnz);
    if (!rc && cvr_model != ctr_model) rc = ftrl_check_row(cvr_model, who, idx, val, nnz);
    if (rc) return rc;
    float a[FTRL_MAX_HEADS], b[FTRL_MAX_HEADS];
    ftrl_margins(ctr_model, idx, val, nnz, a);
    const float *mb = a;
    if (cvr_model != ctr_model) {
        ftrl_margins(cvr_model, idx, val, nnz, b);
        mb = b;
    }
    out[0] = ftrl_sigmoid(a[ctr_head]);
    out[1] = ftrl_sigmoid(mb[cvr_head]);
    out[2] = out[0] * out[1];
    return GROWTH_OK;
}

typedef struct {
    size_t ctr, cvr;
    int H;
    float click, ctcvr, weight;
} esmm_ctx;

/* L = logloss(click, pctr) + logloss(y2, p), p = pctr * pcvr, y2 = click * conversion: the
 * gradients w.r.t. the CTR and CVR margins are core.h's gesmm_grads. */
static void esmm_grad(void *vctx, const float *margins, float *grads)
{
    const esmm_ctx *c = vctx;
    for (int h = 0; h < c->H; h++) grads[h] = NAN;
    gesmm_grads(ftrl_sigmoid(margins[c->ctr]), ftrl_sigmoid(margins[c->cvr]), c->click, c->ctcvr, c->weight,
                &grads[c->ctr], &grads[c->cvr]);
}

GROWTH_API int growth_ftrl_esmm_update(growth_ftrl *m, size_t ctr_head, size_t cvr_head, const uint32_t *idx,
                                       const float *val, size_t nnz, float click, float conversion,
                                       float weight)
{
    static const char *who = "growth_ftrl_esmm_update";
    GROWTH_CHECK_NULL(who, m);
    int rc = check_head(m, who, "ctr_head", ctr_head);
    if (!rc) rc = check_head(m, who, "cvr_head", cvr_head);
    if (!rc && ctr_head == cvr_head)
        rc = gerr(GROWTH_EINVAL, "%s: ctr_head and cvr_head are both %zu", who, ctr_head);
    if (!rc && !(click == 0.0f || click == 1.0f))
        rc = gerr(GROWTH_EINVAL, "%s: click %g is not 0 or 1", who, (double)click);
    if (!rc && !(conversion == 0.0f || conversion == 1.0f))
        rc = gerr(GROWTH_EINVAL, "%s: conversion %g is not 0 or 1", who, (double)conversion);
    if (!rc && click == 0.0f && conversion == 1.0f)
        rc = gerr(GROWTH_EINVAL, "%s: a conversion without a click is outside the ESMM funnel", who);
    if (!rc && !(gfinite(weight) && weight >= 0.0f))
        rc = gerr(GROWTH_EINVAL, "%s: weight %g is not finite and >= 0", who, (double)weight);
    if (!rc) rc = ftrl_check_row(m, who, idx, val, nnz);
    if (rc) return rc;
    esmm_ctx ctx = {ctr_head, cvr_head, m->H, click, click * conversion, weight};
    pthread_mutex_lock(&m->lock);
    rc = ftrl_apply(m, idx, val, nnz, esmm_grad, &ctx, NULL);
    pthread_mutex_unlock(&m->lock);
    return rc;
}
