/*
 * JNI natives of calibration.h (class Calibrator). Applying is read-only, lock-free and
 * allocation-free: critical pins; fitting sorts and may run long: Get<Type>ArrayElements.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_MODEL(calibrator, growth_calibrator, growth_calibrator, "Calibrator");

static int text_calib_summary(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_calibrator_summary(calibrator_of(h), b, c, n);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_calibratorSummary(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    return text_bytes(env, text_calib_summary, c, 0);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_calibratorFit(JNIEnv *env, jclass cls, jlong c,
                                                               jfloatArray scores, jfloatArray labels,
                                                               jfloatArray weights, jlongArray fields)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args_named(env, "Calibrator.fit", scores, labels, weights, fields, "fields", 0, &n))
        return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* sorts and fits: may run long */
    const jfloat *s = pin(&ps, scores, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    const jlong *f = pin(&ps, fields, n, 'J', 0);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_calibrator_fit(calibrator_of(c), s, l, w, (const int64_t *)f, (size_t)n);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_calibratorApply(JNIEnv *env, jclass cls, jlong c,
                                                                    jdouble score, jboolean has_field,
                                                                    jlong field)
{
    (void)cls;
    int64_t f = (int64_t)field;
    double out = 0.0;
    int rc = growth_calibrator_apply(calibrator_of(c), score, has_field ? &f : NULL, &out);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_calibratorApplyBatch(JNIEnv *env, jclass cls, jlong c,
                                                                             jfloatArray scores,
                                                                             jlongArray fields)
{
    (void)cls;
    const char *who = "Calibrator.predict";
    if (scores == NULL) {
        throw_npe(env, "scores");
        return NULL;
    }
    jsize n = len_of(env, scores);
    if (check_len(env, who, "fields", fields, n, 0)) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, n);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL); /* read-only, no lock, no allocation */
    const jfloat *s = pin(&ps, scores, n, 'F', 0);
    const jlong *f = pin(&ps, fields, n, 'J', 0);
    jfloat *o = pin(&ps, out, n, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_calibrator_apply_batch(calibrator_of(c), s, (const int64_t *)f, (size_t)n, o, (size_t)n);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_calibratorApplyBatchF64(JNIEnv *env, jclass cls,
                                                                                 jlong c, jdoubleArray scores,
                                                                                 jlongArray fields)
{
    (void)cls;
    const char *who = "Calibrator.predict";
    if (scores == NULL) {
        throw_npe(env, "scores");
        return NULL;
    }
    jsize n = len_of(env, scores);
    if (check_len(env, who, "fields", fields, n, 0)) return NULL;
    jdoubleArray out = (*env)->NewDoubleArray(env, n);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jdouble *s = pin(&ps, scores, n, 'D', 0);
    const jlong *f = pin(&ps, fields, n, 'J', 0);
    jdouble *o = pin(&ps, out, n, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_calibrator_apply_batch_f64(calibrator_of(c), s, (const int64_t *)f, (size_t)n, o,
                                               (size_t)n);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_calibratorSigmoid(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    double v[2] = {0, 0};
    int rc = growth_calibrator_sigmoid(calibrator_of(c), &v[0], &v[1]);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, v, 2);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_calibratorKnots(JNIEnv *env, jclass cls, jlong c,
                                                                         jboolean has_field, jlong field)
{
    (void)cls;
    int64_t f = (int64_t)field;
    const int64_t *fp = has_field ? &f : NULL;
    size_t n = 0;
    int rc = growth_calibrator_knots(calibrator_of(c), fp, NULL, NULL, 0, &n);
    if (rc != GROWTH_OK && rc != GROWTH_EBUFS) {
        throw_rc(env, rc);
        return NULL;
    }
    if (n > (size_t)INT32_MAX / 2) {
        throw_status(env, GROWTH_ENOMEM, "Calibrator.knots: too many knots for a Java array");
        return NULL;
    }
    double *xy = malloc((2 * n + 1) * sizeof *xy);
    if (xy == NULL) {
        throw_status(env, GROWTH_ENOMEM, "Calibrator.knots: out of memory");
        return NULL;
    }
    size_t got = 0;
    rc = growth_calibrator_knots(calibrator_of(c), fp, xy, xy + n, n, &got);
    jdoubleArray out = NULL;
    if (rc != GROWTH_OK)
        throw_rc(env, rc);
    else if (got != n)
        throw_status(env, GROWTH_ESTATE, "Calibrator.knots: the calibrator changed meanwhile");
    else
        out = new_doubles(env, xy, (jsize)(2 * n));
    free(xy);
    return out;
}

/* ---- direct buffers: scores and outputs used in place ------------------------------------- */

/* Calibrator.predict over direct buffers: n scores (float, or double when f64) and n fields or
 * none from their positions, into out[cap] (the library refuses cap < n with EBUFS). The Java
 * side checked that fields has n elements. */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_calibratorApplyBatchBuf(JNIEnv *env, jclass cls, jlong c,
                                                                         jboolean f64, jobject scores,
                                                                         jint scores_pos, jint n,
                                                                         jobject fields, jint fields_pos,
                                                                         jobject out, jint out_pos, jint cap)
{
    (void)cls;
    size_t elem = f64 ? sizeof(double) : sizeof(float);
    const void *ps = direct_address(env, scores, scores_pos, elem, "scores");
    const int64_t *pf = NULL;
    void *po = NULL;
    if (ps == NULL) return;
    if (fields != NULL && (pf = direct_address(env, fields, fields_pos, sizeof *pf, "fields")) == NULL)
        return;
    if ((po = direct_address(env, out, out_pos, elem, "out")) == NULL) return;
    int rc = f64 ? growth_calibrator_apply_batch_f64(calibrator_of(c), ps, pf, (size_t)n, po, (size_t)cap)
                 : growth_calibrator_apply_batch(calibrator_of(c), ps, pf, (size_t)n, po, (size_t)cap);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}
