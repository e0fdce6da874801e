/*
 * JNI natives of uplift.h (class Uplift).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_TRAINED_MODEL(uplift, growth_uplift, growth_uplift, "Uplift");

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_upliftTrain(JNIEnv *env, jclass cls, jbyteArray config,
                                                              jbyteArray params, jfloatArray x, jint nrows,
                                                              jint ncols, jfloatArray labels,
                                                              jintArray treatment, jfloatArray propensity,
                                                              jfloatArray weights)
{
    (void)cls;
    const char *who = "Uplift.train";
    if (x == NULL || labels == NULL || treatment == NULL) {
        throw_npe(env, x == NULL ? "X" : labels == NULL ? "y" : "treatment");
        return 0;
    }
    if (nrows < 1 || ncols < 1) {
        throw_einval(env, "%s: nrows = %d and ncols = %d must be >= 1", who, (int)nrows, (int)ncols);
        return 0;
    }
    if (check_len(env, who, "X", x, (jlong)nrows * ncols, 1) || check_len(env, who, "y", labels, nrows, 1) ||
        check_len(env, who, "treatment", treatment, nrows, 1) ||
        check_len(env, who, "weights", weights, nrows, 0))
        return 0;
    if (propensity != NULL && len_of(env, propensity) % nrows != 0) {
        throw_einval(env, "%s: propensity has %d entries, not nrows x treatments", who,
                     (int)len_of(env, propensity));
        return 0;
    }
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return 0;
    char *p = cstr_dup(env, params, "params");
    if (p == NULL) {
        free(c);
        return 0;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *px = pin(&ps, x, len_of(env, x), 'F', 0);
    const jfloat *py = pin(&ps, labels, nrows, 'F', 0);
    const jint *pt = pin(&ps, treatment, nrows, 'I', 0);
    const jfloat *pp = propensity ? pin(&ps, propensity, len_of(env, propensity), 'F', 0) : NULL;
    const jfloat *pw = pin(&ps, weights, nrows, 'F', 0);
    growth_uplift *u = NULL;
    int rc = GROWTH_OK;
    if (!ps.failed) {
        growth_uplift_data d;
        memset(&d, 0, sizeof d);
        d.struct_size = sizeof d;
        d.nrows = (size_t)nrows;
        d.ncols = (size_t)ncols;
        d.dense = px;
        d.labels = py;
        d.treatment = (const int32_t *)pt;
        d.propensity = pp;
        d.weights = pw;
        rc = growth_uplift_train(&u, c, p[0] ? p : NULL, &d, NULL, NULL);
    }
    free(c);
    free(p);
    if (pins_release(&ps)) {
        if (rc == GROWTH_OK) growth_uplift_free(u);
        return 0;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(u);
}

/* {num_features, num_treatments} */
JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_upliftDims(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    growth_uplift_stats st = GROWTH_UPLIFT_STATS_INIT;
    int rc = growth_uplift_stats_get(uplift_of(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    jint v[2] = {(jint)st.features, (jint)st.treatments};
    jintArray out = (*env)->NewIntArray(env, 2);
    if (out != NULL) (*env)->SetIntArrayRegion(env, out, 0, 2, v);
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_upliftPredict(JNIEnv *env, jclass cls, jlong h,
                                                                      jfloatArray x, jint nrows, jint flags)
{
    (void)cls;
    if (x == NULL) {
        throw_npe(env, "X");
        return NULL;
    }
    growth_uplift_stats st = GROWTH_UPLIFT_STATS_INIT;
    int rc = growth_uplift_stats_get(uplift_of(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    if (nrows < 0 || (jlong)nrows * (jlong)st.features != (jlong)len_of(env, x)) {
        throw_einval(env, "Uplift.predict: X has %d floats, not nrows = %d x %d features",
                     (int)len_of(env, x), (int)nrows, (int)st.features);
        return NULL;
    }
    const jlong w = (jlong)st.treatments + ((flags & GROWTH_UPLIFT_RESPONSE) ? 1 : 0);
    if ((jlong)nrows * w > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Uplift.predict: the output is too large for a Java array");
        return NULL;
    }
    jfloatArray out = (*env)->NewFloatArray(env, (jsize)(nrows * w));
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *px = pin(&ps, x, len_of(env, x), 'F', 0);
    jfloat *po = pin(&ps, out, (jsize)(nrows * w), 'F', 1);
    if (!ps.failed)
        rc = growth_uplift_predict_dense(uplift_of(h), px, (size_t)nrows, (size_t)st.features,
                                         (unsigned)flags, po, (size_t)(nrows * w));
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_upliftAllocate(JNIEnv *env, jclass cls, jlong solver,
                                                                     jlongArray indptr, jfloatArray uplift,
                                                                     jfloatArray redeem, jdoubleArray costs,
                                                                     jdouble budget, jbyteArray config)
{
    (void)cls;
    const char *who = "Uplift.allocate";
    if (indptr == NULL || uplift == NULL || costs == NULL) {
        throw_npe(env, indptr == NULL ? "indptr" : uplift == NULL ? "uplift" : "costs");
        return NULL;
    }
    jsize nu = len_of(env, indptr) - 1, nnz = len_of(env, uplift);
    if (nu < 1) {
        throw_einval(env, "%s: indptr needs n_users + 1 >= 2 offsets", who);
        return NULL;
    }
    if (check_len(env, who, "costs", costs, nnz, 1) || check_len(env, who, "redeem", redeem, nnz, 0))
        return NULL;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return NULL;
    jintArray out = (*env)->NewIntArray(env, nu);
    if (out == NULL) {
        free(c);
        return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, nu + 1, 'J', 0);
    const jfloat *pu = pin(&ps, uplift, nnz, 'F', 0);
    const jfloat *pr = pin(&ps, redeem, nnz, 'F', 0);
    const jdouble *pc = pin(&ps, costs, nnz, 'D', 0);
    jint *po = pin(&ps, out, nu, 'I', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) {
        const char *bad = check_offsets(ip, nu, nnz);
        if (bad) {
            free(c);
            pins_release(&ps);
            throw_einval(env, "%s: %s", who, bad);
            return NULL;
        }
        rc = growth_uplift_allocate(GJNI_PTR(growth_mckp, solver), (const uint64_t *)ip, (size_t)nu, pu, pr,
                                    pc, budget, c, (int32_t *)po, (size_t)nu);
    }
    free(c);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

/* which: 0 qini_auc, 1 uplift_auc, 2 uplift_at_k */
JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_upliftMetric(JNIEnv *env, jclass cls, jint which,
                                                                 jfloatArray uplift, jfloatArray labels,
                                                                 jintArray treatment, jbyteArray config)
{
    (void)cls;
    const char *who = "Metrics.uplift";
    if (uplift == NULL || labels == NULL || treatment == NULL) {
        throw_npe(env, uplift == NULL ? "uplift" : labels == NULL ? "labels" : "treatment");
        return 0;
    }
    jsize n = len_of(env, uplift);
    if (check_len(env, who, "labels", labels, n, 1) || check_len(env, who, "treatment", treatment, n, 1))
        return 0;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return 0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *pu = pin(&ps, uplift, n, 'F', 0);
    const jfloat *pl = pin(&ps, labels, n, 'F', 0);
    const jint *pt = pin(&ps, treatment, n, 'I', 0);
    double v = 0;
    int rc = GROWTH_OK;
    if (!ps.failed) {
        const int32_t *t = (const int32_t *)pt;
        rc = which == 0   ? growth_metrics_qini_auc(pu, pl, t, (size_t)n, c, &v)
             : which == 1 ? growth_metrics_uplift_auc(pu, pl, t, (size_t)n, c, &v)
                          : growth_metrics_uplift_at_k(pu, pl, t, (size_t)n, c, &v);
    }
    free(c);
    if (pins_release(&ps)) return 0;
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return v;
}
