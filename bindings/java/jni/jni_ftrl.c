/*
 * JNI natives of ctr.h (class Ftrl). Predictions are lock-free and allocation-free in the
 * library: critical pins. Training may wait on the model's mutex: Get<Type>ArrayElements.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_MODEL(ftrl, growth_ftrl, growth_ftrl, "Ftrl");

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_ftrlHeadIndex(JNIEnv *env, jclass cls, jlong m,
                                                               jbyteArray name)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return -1;
    size_t index = 0;
    int rc = growth_ftrl_head_index(ftrl_of(m), s, &index);
    if (rc == GROWTH_ENOTFOUND) {
        /* Not every implementation records a message for a plain miss: say it here. */
        char buf[384];
        snprintf(buf, sizeof buf, "ftrl: no head named '%.300s'", s);
        free(s);
        throw_status(env, rc, buf);
        return -1;
    }
    free(s);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)index;
}

/* Heads of a model, or -1 with an exception thrown. */
static int heads_of(JNIEnv *env, const growth_ftrl *m)
{
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
    int rc = growth_ftrl_stats_get(m, &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    if (st.heads == 0 || st.heads > INT32_MAX) {
        throw_status(env, GROWTH_ESTATE, "ftrl: model reports no heads");
        return -1;
    }
    return (int)st.heads;
}

/* Checks one sparse row: its features (`what`: the slots "idx" or the 64-bit "keys") non-NULL,
 * val NULL or as long as them. Returns 0 or -1 (thrown). */
static int check_entries(JNIEnv *env, const char *who, const char *what, jarray feats, jfloatArray val,
                         jsize *nnz)
{
    if (feats == NULL) {
        throw_npe(env, what);
        return -1;
    }
    *nnz = len_of(env, feats);
    if (val != NULL && len_of(env, val) != *nnz) {
        throw_einval(env, "%s: %s has %d entries but val has %d", who, what, (int)*nnz,
                     (int)len_of(env, val));
        return -1;
    }
    return 0;
}

static int check_row(JNIEnv *env, const char *who, jintArray idx, jfloatArray val, jsize *nnz)
{
    return check_entries(env, who, "idx", idx, val, nnz);
}

static jfloatArray score_row(JNIEnv *env, const char *who, jlong m, jintArray idx, jfloatArray val,
                             unsigned flags)
{
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return NULL;
    int heads = heads_of(env, ftrl_of(m));
    if (heads < 0) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, heads);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    jfloat *po = pin(&ps, out, heads, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_ftrl_predict(ftrl_of(m), (const uint32_t *)pi, pv, (size_t)nnz, flags, po, (size_t)heads);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredict(JNIEnv *env, jclass cls, jlong m,
                                                                    jintArray idx, jfloatArray val,
                                                                    jint flags)
{
    (void)cls;
    return score_row(env, flags ? "Ftrl.margin" : "Ftrl.predict", m, idx, val, (unsigned)flags);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredictBatch(JNIEnv *env, jclass cls, jlong m,
                                                                         jlongArray indptr, jintArray idx,
                                                                         jfloatArray val, jint nrows)
{
    (void)cls;
    const char *who = "Ftrl.predictBatch";
    if (indptr == NULL) {
        throw_npe(env, "indptr");
        return NULL;
    }
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return NULL;
    jsize nip = len_of(env, indptr);
    if (nrows < 0 || (jlong)nip != (jlong)nrows + 1) {
        throw_einval(env, "%s: indptr has %d entries, nrows + 1 = %lld expected", who, (int)nip,
                     (long long)nrows + 1);
        return NULL;
    }
    int heads = heads_of(env, ftrl_of(m));
    if (heads < 0) return NULL;
    if ((int64_t)nrows * heads > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Ftrl.predictBatch: nrows x heads exceeds a Java array");
        return NULL;
    }
    jsize total = (jsize)((int64_t)nrows * heads);
    jfloatArray out = (*env)->NewFloatArray(env, total);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jlong *pp = pin(&ps, indptr, nip, 'J', 0);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    jfloat *po = pin(&ps, out, total, 'F', 1);
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_indptr(pp, nrows, nnz);
        if (bad == NULL)
            rc = growth_ftrl_predict_csr(ftrl_of(m), (const uint64_t *)pp, (const uint32_t *)pi, pv,
                                         (size_t)nrows, 0, po, (size_t)total);
    }
    if (pins_release(&ps)) return NULL;
    if (bad != NULL) {
        throw_einval(env, "%s: %s", who, bad);
        return NULL;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

/* Checks labels (heads per row) for one example. */
static int check_labels(JNIEnv *env, const char *who, jfloatArray labels, jlong expect)
{
    if (labels == NULL) {
        throw_npe(env, "labels");
        return -1;
    }
    if ((jlong)len_of(env, labels) != expect) {
        throw_einval(env, "%s: labels has %d entries, %lld expected", who, (int)len_of(env, labels),
                     (long long)expect);
        return -1;
    }
    return 0;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_ftrlUpdate(JNIEnv *env, jclass cls, jlong m, jintArray idx,
                                                            jfloatArray val, jfloatArray labels,
                                                            jfloat weight)
{
    (void)cls;
    const char *who = "Ftrl.update";
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return;
    int heads = heads_of(env, ftrl_of(m));
    if (heads < 0 || check_labels(env, who, labels, heads)) return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* training may wait on the model's mutex */
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    const jfloat *pl = pin(&ps, labels, heads, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_ftrl_update(ftrl_of(m), (const uint32_t *)pi, pv, (size_t)nnz, pl, weight);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredictUpdate(JNIEnv *env, jclass cls, jlong m,
                                                                          jintArray idx, jfloatArray val,
                                                                          jfloatArray labels, jfloat weight)
{
    (void)cls;
    const char *who = "Ftrl.predictUpdate";
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return NULL;
    int heads = heads_of(env, ftrl_of(m));
    if (heads < 0 || check_labels(env, who, labels, heads)) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, heads);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    const jfloat *pl = pin(&ps, labels, heads, 'F', 0);
    jfloat *po = pin(&ps, out, heads, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_ftrl_predict_update(ftrl_of(m), (const uint32_t *)pi, pv, (size_t)nnz, pl, weight, po,
                                        (size_t)heads);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlUpdateBatch(JNIEnv *env, jclass cls, jlong m,
                                                                        jlongArray indptr, jintArray idx,
                                                                        jfloatArray val, jfloatArray labels,
                                                                        jfloatArray weights,
                                                                        jboolean want_pred)
{
    (void)cls;
    const char *who = "Ftrl.partialFit";
    if (indptr == NULL) {
        throw_npe(env, "indptr");
        return NULL;
    }
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return NULL;
    jsize nip = len_of(env, indptr);
    if (nip < 1) {
        throw_einval(env, "%s: indptr needs nrows + 1 >= 1 entries", who);
        return NULL;
    }
    jsize nrows = nip - 1;
    int heads = heads_of(env, ftrl_of(m));
    if (heads < 0) return NULL;
    if ((int64_t)nrows * heads > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Ftrl.partialFit: nrows x heads exceeds a Java array");
        return NULL;
    }
    jsize total = (jsize)((int64_t)nrows * heads);
    if (check_labels(env, who, labels, total)) return NULL;
    if (weights != NULL && len_of(env, weights) != nrows) {
        throw_einval(env, "%s: weights has %d entries, nrows = %d expected", who, (int)len_of(env, weights),
                     (int)nrows);
        return NULL;
    }
    jfloatArray out = NULL;
    if (want_pred) {
        out = (*env)->NewFloatArray(env, total);
        if (out == NULL) return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *pp = pin(&ps, indptr, nip, 'J', 0);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    const jfloat *pl = pin(&ps, labels, total, 'F', 0);
    const jfloat *pw = pin(&ps, weights, nrows, 'F', 0);
    jfloat *po = pin(&ps, out, total, 'F', 1);
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_indptr(pp, nrows, nnz);
        if (bad == NULL)
            rc = growth_ftrl_update_csr(ftrl_of(m), (const uint64_t *)pp, (const uint32_t *)pi, pv,
                                        (size_t)nrows, pl, pw, po, want_pred ? (size_t)total : 0);
    }
    if (pins_release(&ps)) return NULL;
    if (bad != NULL) {
        throw_einval(env, "%s: %s", who, bad);
        return NULL;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

/* {heads, bits, examples, nonzero, live, admitted, evicted, expired, table_bytes}: the members of
 * growth_ftrl_stats in order. */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_ftrlStats(JNIEnv *env, jclass cls, jlong m)
{
    (void)cls;
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
    int rc = growth_ftrl_stats_get(ftrl_of(m), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    jlongArray out = (*env)->NewLongArray(env, 9);
    if (out == NULL) return NULL;
    jlong v[9] = {(jlong)st.heads,   (jlong)st.bits,    (jlong)st.examples,
                  (jlong)st.nonzero, (jlong)st.live,    (jlong)st.admitted,
                  (jlong)st.evicted, (jlong)st.expired, (jlong)st.table_bytes};
    (*env)->SetLongArrayRegion(env, out, 0, 9, v);
    return out;
}

static int check_key_row(JNIEnv *env, const char *who, jlongArray keys, jfloatArray val, jsize *nnz)
{
    return check_entries(env, who, "keys", keys, val, nnz);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredictKeys(JNIEnv *env, jclass cls, jlong m,
                                                                        jlongArray keys, jfloatArray val,
                                                                        jint flags)
{
    (void)cls;
    jsize nnz = 0;
    if (check_key_row(env, flags ? "Ftrl.marginKeys" : "Ftrl.predictKeys", keys, val, &nnz)) return NULL;
    int heads = heads_of(env, ftrl_of(m));
    if (heads < 0) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, heads);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL); /* predictions are lock-free */
    const jlong *pk = pin(&ps, keys, nnz, 'J', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    jfloat *po = pin(&ps, out, heads, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_ftrl_predict_keys(ftrl_of(m), (const uint64_t *)pk, pv, (size_t)nnz, (unsigned)flags, po,
                                      (size_t)heads);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlUpdateKeys(JNIEnv *env, jclass cls, jlong m,
                                                                       jlongArray keys, jfloatArray val,
                                                                       jfloatArray labels, jfloat weight,
                                                                       jboolean want_pred)
{
    (void)cls;
    const char *who = want_pred ? "Ftrl.predictUpdateKeys" : "Ftrl.updateKeys";
    jsize nnz = 0;
    if (check_key_row(env, who, keys, val, &nnz)) return NULL;
    int heads = heads_of(env, ftrl_of(m));
    if (heads < 0 || check_labels(env, who, labels, heads)) return NULL;
    jfloatArray out = NULL;
    if (want_pred) {
        out = (*env)->NewFloatArray(env, heads);
        if (out == NULL) return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* training may wait on the model's mutex */
    const jlong *pk = pin(&ps, keys, nnz, 'J', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    const jfloat *pl = pin(&ps, labels, heads, 'F', 0);
    jfloat *po = pin(&ps, out, heads, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_ftrl_update_keys(ftrl_of(m), (const uint64_t *)pk, pv, (size_t)nnz, pl, weight, po,
                                     want_pred ? (size_t)heads : 0);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloat JNICALL Java_org_libgrowth_Native_ftrlWeightKey(JNIEnv *env, jclass cls, jlong m, jint head,
                                                                 jlong key)
{
    (void)cls;
    float w = 0.0f;
    /* A negative head becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_ftrl_weight_key(ftrl_of(m), (size_t)(jlong)head, (uint64_t)key, &w);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return w;
}

JNIEXPORT jfloat JNICALL Java_org_libgrowth_Native_ftrlWeight(JNIEnv *env, jclass cls, jlong m, jint head,
                                                              jint index)
{
    (void)cls;
    float w = 0.0f;
    /* A negative head becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_ftrl_weight(ftrl_of(m), (size_t)(jlong)head, (uint32_t)index, &w);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return w;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_ftrlExportWeights(JNIEnv *env, jclass cls, jlong m,
                                                                   jbyteArray path)
{
    (void)cls;
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return;
    int rc = growth_ftrl_export_weights(ftrl_of(m), p);
    free(p);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_esmmPredict(JNIEnv *env, jclass cls, jlong ctr,
                                                                    jint ctr_head, jlong cvr, jint cvr_head,
                                                                    jintArray idx, jfloatArray val)
{
    (void)cls;
    jsize nnz = 0;
    if (check_row(env, "Ftrl.esmmPredict", idx, val, &nnz)) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, 3);
    if (out == NULL) return NULL;
    float res[3] = {0, 0, 0};
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_ftrl_esmm_predict(ftrl_of(ctr), (size_t)(jlong)ctr_head, ftrl_of(cvr),
                                      (size_t)(jlong)cvr_head, (const uint32_t *)pi, pv, (size_t)nnz, res, 3);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    (*env)->SetFloatArrayRegion(env, out, 0, 3, res);
    return out;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_esmmUpdate(JNIEnv *env, jclass cls, jlong m, jint ctr_head,
                                                            jint cvr_head, jintArray idx, jfloatArray val,
                                                            jfloat click, jfloat conversion, jfloat weight)
{
    (void)cls;
    jsize nnz = 0;
    if (check_row(env, "Ftrl.esmmUpdate", idx, val, &nnz)) return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_ftrl_esmm_update(ftrl_of(m), (size_t)(jlong)ctr_head, (size_t)(jlong)cvr_head,
                                     (const uint32_t *)pi, pv, (size_t)nnz, click, conversion, weight);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* ---- direct buffers: the row and the output used in place -------------------------------- */

/* Ftrl.predict / margin over direct buffers: idx[nnz] (val[nnz] or NULL) from their positions,
 * the heads' outputs into out[cap] (the library refuses cap < heads with EBUFS). The Java side
 * checked direct-ness, byte order and that val has nnz elements. */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_ftrlPredictBuf(JNIEnv *env, jclass cls, jlong m, jobject idx,
                                                                jint idx_pos, jint nnz, jobject val,
                                                                jint val_pos, jobject out, jint out_pos,
                                                                jint cap, jint flags)
{
    (void)cls;
    const uint32_t *pi = direct_address(env, idx, idx_pos, sizeof *pi, "idx");
    const float *pv = NULL;
    float *po = NULL;
    if (pi == NULL) return;
    if (val != NULL && (pv = direct_address(env, val, val_pos, sizeof *pv, "val")) == NULL) return;
    if ((po = direct_address(env, out, out_pos, sizeof *po, "out")) == NULL) return;
    int rc = growth_ftrl_predict(ftrl_of(m), pi, pv, (size_t)nnz, (unsigned)flags, po, (size_t)cap);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}
