/*
 * JNI natives of fm.h (classes FactorizationMachine, FM, FFM). Predictions are lock-free and
 * allocation-free in the library: critical pins. Training may wait on the model's mutex (and
 * fit calls back into Java for progress): Get<Type>ArrayElements.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_MODEL(fm, growth_fm, growth_fm, "FM");

enum { FM_K_MAX = 64 }; /* the largest k (fm.h) */

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_fmImportLibffm(JNIEnv *env, jclass cls, jbyteArray path,
                                                                 jbyteArray config)
{
    (void)cls;
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return 0;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) {
        free(p);
        return 0;
    }
    growth_fm *m = NULL;
    int rc = growth_fm_import_libffm(&m, p, c);
    free(p);
    free(c);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(m);
}

/* {heads, bits, fields, k, examples, touched, bytes, bytes_per_slot, live, admitted, evicted, expired,
 * table_bytes}: growth_fm_stats in order. */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_fmStats(JNIEnv *env, jclass cls, jlong m)
{
    (void)cls;
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    int rc = growth_fm_stats_get(fm_of(m), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[13] = {st.heads,   st.bits,    st.fields,         st.k,    st.examples,
                      st.touched, st.bytes,   st.bytes_per_slot, st.live, st.admitted,
                      st.evicted, st.expired, st.table_bytes};
    return new_longs(env, v, 13);
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_fmHeadIndex(JNIEnv *env, jclass cls, jlong m,
                                                             jbyteArray name)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return -1;
    size_t index = 0;
    int rc = growth_fm_head_index(fm_of(m), s, &index);
    if (rc == GROWTH_ENOTFOUND) {
        /* Say which name was missing even if the library's message does not. */
        char buf[384];
        snprintf(buf, sizeof buf, "fm: no head named '%.300s'", s);
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
static int heads_of(JNIEnv *env, const growth_fm *m)
{
    growth_fm_stats st = GROWTH_FM_STATS_INIT;
    int rc = growth_fm_stats_get(m, &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    if (st.heads == 0 || st.heads > INT32_MAX) {
        throw_status(env, GROWTH_ESTATE, "fm: model reports no heads");
        return -1;
    }
    return (int)st.heads;
}

/* Checks one sparse row (or the entries of a CSR batch): the features (`what`: slots "idx" or
 * 64-bit "keys") non-NULL, fld and val NULL or as long as them. Returns 0 or -1 (thrown). */
static int check_entries(JNIEnv *env, const char *who, const char *what, jarray feats, jbyteArray fld,
                         jfloatArray val, jsize *nnz)
{
    if (feats == NULL) {
        throw_npe(env, what);
        return -1;
    }
    *nnz = len_of(env, feats);
    if (fld != NULL && len_of(env, fld) != *nnz) {
        throw_einval(env, "%s: %s has %d entries but fld has %d", who, what, (int)*nnz,
                     (int)len_of(env, fld));
        return -1;
    }
    if (val != NULL && len_of(env, val) != *nnz) {
        throw_einval(env, "%s: %s has %d entries but val has %d", who, what, (int)*nnz,
                     (int)len_of(env, val));
        return -1;
    }
    return 0;
}

static int check_row(JNIEnv *env, const char *who, jintArray idx, jbyteArray fld, jfloatArray val, jsize *nnz)
{
    return check_entries(env, who, "idx", idx, fld, val, nnz);
}

/* Checks labels (non-NULL, `expect` entries). */
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

/* nrows x heads as a Java array length, or -1 with an exception thrown. */
static jsize out_len(JNIEnv *env, const char *who, jlong nrows, int heads)
{
    if (nrows * heads > INT32_MAX) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: nrows x heads exceeds a Java array", who);
        throw_status(env, GROWTH_ENOMEM, msg);
        return -1;
    }
    return (jsize)(nrows * heads);
}

/* One row's prediction, by slots (idx: int[]) or by 64-bit keys (long[]): the calls differ only
 * in the feature array's type and the library function. */
static jfloatArray fm_predict_row(JNIEnv *env, jlong m, jarray feats, bool keys, jbyteArray fld,
                                  jfloatArray val, jint flags)
{
    const char *who =
        keys ? (flags ? "FM.marginKeys" : "FM.predictKeys") : (flags ? "FM.margin" : "FM.predict");
    jsize nnz = 0;
    if (check_entries(env, who, keys ? "keys" : "idx", feats, fld, val, &nnz)) return NULL;
    int heads = heads_of(env, fm_of(m));
    if (heads < 0) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, heads);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL); /* predictions are lock-free */
    const void *pi = pin(&ps, feats, nnz, keys ? 'J' : 'I', 0);
    const jbyte *pf = pin(&ps, fld, nnz, 'B', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    jfloat *po = pin(&ps, out, heads, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = keys ? growth_fm_predict_keys(fm_of(m), pi, (const uint8_t *)pf, pv, (size_t)nnz,
                                           (unsigned)flags, po, (size_t)heads)
                  : growth_fm_predict(fm_of(m), pi, (const uint8_t *)pf, pv, (size_t)nnz, (unsigned)flags, po,
                                      (size_t)heads);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

/* One row's training step, by slots or by keys, returning the progressive prediction when
 * want_pred (else NULL; check the pending exception). */
static jfloatArray fm_update_row(JNIEnv *env, jlong m, jarray feats, bool keys, jbyteArray fld,
                                 jfloatArray val, jfloatArray labels, jfloat weight, bool want_pred)
{
    const char *who = keys ? (want_pred ? "FM.predictUpdateKeys" : "FM.updateKeys")
                           : (want_pred ? "FM.predictUpdate" : "FM.update");
    jsize nnz = 0;
    if (check_entries(env, who, keys ? "keys" : "idx", feats, fld, val, &nnz)) return NULL;
    int heads = heads_of(env, fm_of(m));
    if (heads < 0 || check_labels(env, who, labels, heads)) return NULL;
    jfloatArray out = NULL;
    if (want_pred) {
        out = (*env)->NewFloatArray(env, heads);
        if (out == NULL) return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* training may wait on the model's mutex */
    const void *pi = pin(&ps, feats, nnz, keys ? 'J' : 'I', 0);
    const jbyte *pf = pin(&ps, fld, nnz, 'B', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    const jfloat *pl = pin(&ps, labels, heads, 'F', 0);
    jfloat *po = pin(&ps, out, heads, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) {
        const uint8_t *f8 = (const uint8_t *)pf;
        if (keys)
            rc = growth_fm_update_keys(fm_of(m), pi, f8, pv, (size_t)nnz, pl, weight, po,
                                       want_pred ? (size_t)heads : 0);
        else if (want_pred)
            rc = growth_fm_predict_update(fm_of(m), pi, f8, pv, (size_t)nnz, pl, weight, po, (size_t)heads);
        else
            rc = growth_fm_update(fm_of(m), pi, f8, pv, (size_t)nnz, pl, weight);
    }
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmPredict(JNIEnv *env, jclass cls, jlong m,
                                                                  jintArray idx, jbyteArray fld,
                                                                  jfloatArray val, jint flags)
{
    (void)cls;
    return fm_predict_row(env, m, idx, false, fld, val, flags);
}

/* predict / margin over direct buffers: idx[nnz] (fld[nnz], val[nnz] or NULL) from their
 * positions, the heads' outputs into out[cap] (the library refuses cap < heads with EBUFS). The
 * Java side checked direct-ness, byte order and that fld and val have nnz elements. */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_fmPredictBuf(JNIEnv *env, jclass cls, jlong m, jobject idx,
                                                              jint idx_pos, jint nnz, jobject fld,
                                                              jint fld_pos, jobject val, jint val_pos,
                                                              jobject out, jint out_pos, jint cap, jint flags)
{
    (void)cls;
    const uint32_t *pi = direct_address(env, idx, idx_pos, sizeof *pi, "idx");
    const uint8_t *pf = NULL;
    const float *pv = NULL;
    float *po = NULL;
    if (pi == NULL) return;
    if (fld != NULL && (pf = direct_address(env, fld, fld_pos, sizeof *pf, "fld")) == NULL) return;
    if (val != NULL && (pv = direct_address(env, val, val_pos, sizeof *pv, "val")) == NULL) return;
    if ((po = direct_address(env, out, out_pos, sizeof *po, "out")) == NULL) return;
    int rc = growth_fm_predict(fm_of(m), pi, pf, pv, (size_t)nnz, (unsigned)flags, po, (size_t)cap);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmPredictBatch(JNIEnv *env, jclass cls, jlong m,
                                                                       jlongArray indptr, jintArray idx,
                                                                       jbyteArray fld, jfloatArray val,
                                                                       jint nrows, jint flags)
{
    (void)cls;
    const char *who = flags ? "FM.marginBatch" : "FM.predictBatch";
    if (indptr == NULL) {
        throw_npe(env, "indptr");
        return NULL;
    }
    jsize nnz = 0;
    if (check_row(env, who, idx, fld, val, &nnz)) return NULL;
    jsize nip = len_of(env, indptr);
    if (nrows < 0 || (jlong)nip != (jlong)nrows + 1) {
        throw_einval(env, "%s: indptr has %d entries, nrows + 1 = %lld expected", who, (int)nip,
                     (long long)nrows + 1);
        return NULL;
    }
    int heads = heads_of(env, fm_of(m));
    if (heads < 0) return NULL;
    jsize total = out_len(env, who, nrows, heads);
    if (total < 0) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, total);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jlong *pp = pin(&ps, indptr, nip, 'J', 0);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jbyte *pf = pin(&ps, fld, nnz, 'B', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    jfloat *po = pin(&ps, out, total, 'F', 1);
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_indptr(pp, nrows, nnz);
        if (bad == NULL)
            rc = growth_fm_predict_csr(fm_of(m), (const uint64_t *)pp, (const uint32_t *)pi,
                                       (const uint8_t *)pf, pv, (size_t)nrows, (unsigned)flags, po,
                                       (size_t)total);
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

JNIEXPORT void JNICALL Java_org_libgrowth_Native_fmUpdate(JNIEnv *env, jclass cls, jlong m, jintArray idx,
                                                          jbyteArray fld, jfloatArray val, jfloatArray labels,
                                                          jfloat weight)
{
    (void)cls;
    fm_update_row(env, m, idx, false, fld, val, labels, weight, false);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmPredictUpdate(JNIEnv *env, jclass cls, jlong m,
                                                                        jintArray idx, jbyteArray fld,
                                                                        jfloatArray val, jfloatArray labels,
                                                                        jfloat weight)
{
    (void)cls;
    return fm_update_row(env, m, idx, false, fld, val, labels, weight, true);
}

/* The lengths of one CSR set with labels (nrows x heads) and optional weights (nrows). Returns
 * 0 with *nrows and *nnz set, or -1 (thrown). */
static int check_set(JNIEnv *env, const char *who, int heads, jlongArray indptr, jintArray idx,
                     jbyteArray fld, jfloatArray val, jfloatArray labels, jfloatArray weights, jsize *nrows,
                     jsize *nnz)
{
    if (indptr == NULL) {
        throw_npe(env, "indptr");
        return -1;
    }
    if (check_row(env, who, idx, fld, val, nnz)) return -1;
    jsize nip = len_of(env, indptr);
    if (nip < 1) {
        throw_einval(env, "%s: indptr needs nrows + 1 >= 1 entries", who);
        return -1;
    }
    *nrows = nip - 1;
    jsize total = out_len(env, who, *nrows, heads);
    if (total < 0 || check_labels(env, who, labels, total)) return -1;
    if (weights != NULL && len_of(env, weights) != *nrows) {
        throw_einval(env, "%s: weights has %d entries, nrows = %d expected", who, (int)len_of(env, weights),
                     (int)*nrows);
        return -1;
    }
    return 0;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmUpdateBatch(JNIEnv *env, jclass cls, jlong m,
                                                                      jlongArray indptr, jintArray idx,
                                                                      jbyteArray fld, jfloatArray val,
                                                                      jfloatArray labels, jfloatArray weights,
                                                                      jboolean want_pred)
{
    (void)cls;
    const char *who = want_pred ? "FM.partialFit" : "FM.updateBatch";
    int heads = heads_of(env, fm_of(m));
    if (heads < 0) return NULL;
    jsize nrows = 0, nnz = 0;
    if (check_set(env, who, heads, indptr, idx, fld, val, labels, weights, &nrows, &nnz)) return NULL;
    jsize total = nrows * heads; /* checked by check_set */
    jfloatArray out = NULL;
    if (want_pred) {
        out = (*env)->NewFloatArray(env, total);
        if (out == NULL) return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *pp = pin(&ps, indptr, nrows + 1, 'J', 0);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jbyte *pf = pin(&ps, fld, nnz, 'B', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    const jfloat *pl = pin(&ps, labels, total, 'F', 0);
    const jfloat *pw = pin(&ps, weights, nrows, 'F', 0);
    jfloat *po = pin(&ps, out, total, 'F', 1);
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_indptr(pp, nrows, nnz);
        if (bad == NULL)
            rc = growth_fm_update_csr(fm_of(m), (const uint64_t *)pp, (const uint32_t *)pi,
                                      (const uint8_t *)pf, pv, (size_t)nrows, pl, pw, po,
                                      want_pred ? (size_t)total : 0);
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

/* Pins one CSR set into a growth_fm_data (lengths checked by check_set). */
static void pin_set(pinset *ps, growth_fm_data *d, jsize nrows, jsize nnz, int heads, jlongArray indptr,
                    jintArray idx, jbyteArray fld, jfloatArray val, jfloatArray labels, jfloatArray weights)
{
    d->nrows = (size_t)nrows;
    d->indptr = (const uint64_t *)pin(ps, indptr, nrows + 1, 'J', 0);
    d->indices = (const uint32_t *)pin(ps, idx, nnz, 'I', 0);
    d->fields = (const uint8_t *)pin(ps, fld, nnz, 'B', 0);
    d->values = (const float *)pin(ps, val, nnz, 'F', 0);
    d->labels = (const float *)pin(ps, labels, nrows * heads, 'F', 0);
    d->weights = (const float *)pin(ps, weights, nrows, 'F', 0);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_fmFit(
    JNIEnv *env, jclass cls, jlong m, jlongArray indptr, jintArray idx, jbyteArray fld, jfloatArray val,
    jfloatArray labels, jfloatArray weights, jlongArray v_indptr, jintArray v_idx, jbyteArray v_fld,
    jfloatArray v_val, jfloatArray v_labels, jfloatArray v_weights, jbyteArray options, jobject listener)
{
    const char *who = "FM.fit", *vwho = "FM.fit (validation set)";
    int heads = heads_of(env, fm_of(m));
    if (heads < 0) return NULL;
    jsize nrows = 0, nnz = 0, v_nrows = 0, v_nnz = 0;
    if (check_set(env, who, heads, indptr, idx, fld, val, labels, weights, &nrows, &nnz)) return NULL;
    int has_valid = v_indptr != NULL;
    if (has_valid &&
        check_set(env, vwho, heads, v_indptr, v_idx, v_fld, v_val, v_labels, v_weights, &v_nrows, &v_nnz))
        return NULL;
    char *opts = cstr_dup(env, options, "options");
    if (opts == NULL) return NULL;
    jprogress prog;
    if (progress_init(env, cls, listener, &prog)) {
        free(opts);
        return NULL;
    }
    growth_fm_data train = GROWTH_FM_DATA_INIT, valid = GROWTH_FM_DATA_INIT;
    growth_fm_fit_result res = GROWTH_FM_FIT_RESULT_INIT;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* long, takes the model's mutex and calls back into Java */
    pin_set(&ps, &train, nrows, nnz, heads, indptr, idx, fld, val, labels, weights);
    if (has_valid)
        pin_set(&ps, &valid, v_nrows, v_nnz, heads, v_indptr, v_idx, v_fld, v_val, v_labels, v_weights);
    int rc = GROWTH_OK;
    const char *bad = NULL, *bad_who = who;
    char msg[512] = "";
    if (!ps.failed) {
        bad = check_indptr((const jlong *)train.indptr, nrows, nnz);
        if (bad == NULL && has_valid) {
            bad = check_indptr((const jlong *)valid.indptr, v_nrows, v_nnz);
            bad_who = vwho;
        }
        if (bad == NULL) {
            if (listener != NULL) growth_fm_set_progress(fm_of(m), progress_cb, &prog);
            rc = growth_fm_fit(fm_of(m), &train, has_valid ? &valid : NULL, opts, &res);
            /* keep the fit's message: clearing the callback must not overwrite it */
            if (rc != GROWTH_OK) snprintf(msg, sizeof msg, "%s", growth_last_error());
            if (listener != NULL) growth_fm_set_progress(fm_of(m), NULL, NULL);
        }
    }
    free(opts);
    if (pins_release(&ps)) return NULL;
    if (bad != NULL) {
        throw_einval(env, "%s: %s", bad_who, bad);
        return NULL;
    }
    if (rc != GROWTH_OK) {
        throw_status(env, rc, msg);
        return NULL;
    }
    double r[4] = {(double)res.epochs, (double)res.best_epoch, res.train_logloss, res.valid_logloss};
    return new_doubles(env, r, 4);
}

JNIEXPORT jfloat JNICALL Java_org_libgrowth_Native_fmWeight(JNIEnv *env, jclass cls, jlong m, jint head,
                                                            jint index)
{
    (void)cls;
    float w = 0.0f;
    /* A negative head becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_fm_weight(fm_of(m), (size_t)(jlong)head, (uint32_t)index, &w);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return w;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmFactors(JNIEnv *env, jclass cls, jlong m,
                                                                  jint index, jint field)
{
    (void)cls;
    float v[FM_K_MAX];
    size_t n = 0;
    /* A negative field becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_fm_factors(fm_of(m), (uint32_t)index, (size_t)(jlong)field, v, FM_K_MAX, &n);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_floats(env, v, (jsize)n);
}

/* ---- rows of 64-bit keys (table=exact; on a hashed model a key's low bits are its slot) ---- */

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmPredictKeys(JNIEnv *env, jclass cls, jlong m,
                                                                      jlongArray keys, jbyteArray fld,
                                                                      jfloatArray val, jint flags)
{
    (void)cls;
    return fm_predict_row(env, m, keys, true, fld, val, flags);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmUpdateKeys(JNIEnv *env, jclass cls, jlong m,
                                                                     jlongArray keys, jbyteArray fld,
                                                                     jfloatArray val, jfloatArray labels,
                                                                     jfloat weight, jboolean want_pred)
{
    (void)cls;
    return fm_update_row(env, m, keys, true, fld, val, labels, weight, want_pred != JNI_FALSE);
}

JNIEXPORT jfloat JNICALL Java_org_libgrowth_Native_fmWeightKey(JNIEnv *env, jclass cls, jlong m, jint head,
                                                               jlong key)
{
    (void)cls;
    float w = 0.0f;
    /* A negative head becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_fm_weight_key(fm_of(m), (size_t)(jlong)head, (uint64_t)key, &w);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return w;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmFactorsKey(JNIEnv *env, jclass cls, jlong m,
                                                                     jlong key, jint field)
{
    (void)cls;
    float v[FM_K_MAX];
    size_t n = 0;
    /* A negative field becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_fm_factors_key(fm_of(m), (uint64_t)key, (size_t)(jlong)field, v, FM_K_MAX, &n);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_floats(env, v, (jsize)n);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_fmEsmmPredict(JNIEnv *env, jclass cls, jlong m,
                                                                      jint ctr_head, jint cvr_head,
                                                                      jintArray idx, jbyteArray fld,
                                                                      jfloatArray val)
{
    (void)cls;
    jsize nnz = 0;
    if (check_row(env, "FM.esmmPredict", idx, fld, val, &nnz)) return NULL;
    float res[3] = {0, 0, 0};
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jbyte *pf = pin(&ps, fld, nnz, 'B', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_fm_esmm_predict(fm_of(m), (size_t)(jlong)ctr_head, (size_t)(jlong)cvr_head,
                                    (const uint32_t *)pi, (const uint8_t *)pf, pv, (size_t)nnz, res, 3);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_floats(env, res, 3);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_fmEsmmUpdate(JNIEnv *env, jclass cls, jlong m, jint ctr_head,
                                                              jint cvr_head, jintArray idx, jbyteArray fld,
                                                              jfloatArray val, jfloat click,
                                                              jfloat conversion, jfloat weight)
{
    (void)cls;
    jsize nnz = 0;
    if (check_row(env, "FM.esmmUpdate", idx, fld, val, &nnz)) return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jbyte *pf = pin(&ps, fld, nnz, 'B', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_fm_esmm_update(fm_of(m), (size_t)(jlong)ctr_head, (size_t)(jlong)cvr_head,
                                   (const uint32_t *)pi, (const uint8_t *)pf, pv, (size_t)nnz, click,
                                   conversion, weight);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}
