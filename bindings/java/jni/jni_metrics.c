/*
 * JNI natives of metrics.h (class Metrics): AUC, GAUC, log-loss, calibration errors. Metrics
 * sort millions of scores: arrays are pinned with Get<Type>ArrayElements, never critically.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

static int check_metric_args(JNIEnv *env, const char *who, jfloatArray scores, jfloatArray labels,
                             jfloatArray weights, jlongArray groups, int need_groups, jsize *n)
{
    return check_metric_args_named(env, who, scores, labels, weights, groups, "groups", need_groups, n);
}

typedef int (*metric_fn)(const float *, const float *, const float *, size_t, double *);

static jdouble metric(JNIEnv *env, const char *who, metric_fn fn, jfloatArray scores, jfloatArray labels,
                      jfloatArray weights)
{
    jsize n = 0;
    if (check_metric_args(env, who, scores, labels, weights, NULL, 0, &n)) return 0.0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* may sort millions of scores: do not hold the GC */
    const jfloat *s = pin(&ps, scores, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    double out = 0.0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = fn(s, l, w, (size_t)n, &out);
    if (pins_release(&ps)) return 0.0;
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return out;
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_auc(JNIEnv *env, jclass cls, jfloatArray scores,
                                                        jfloatArray labels, jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.auc", growth_metrics_auc, scores, labels, weights);
}

/* A metric over (score, label, weight, group) rows that also counts the groups it used
 * (GAUC, Field-RCE): {value, groups used}. */
typedef int (*grouped_metric_fn)(const float *, const float *, const float *, const int64_t *, size_t,
                                 double *, size_t *);

static jdoubleArray grouped_metric(JNIEnv *env, const char *who, const char *group_name, grouped_metric_fn fn,
                                   jfloatArray scores, jfloatArray labels, jfloatArray weights,
                                   jlongArray groups)
{
    jsize n = 0;
    if (check_metric_args_named(env, who, scores, labels, weights, groups, group_name, 1, &n)) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *s = pin(&ps, scores, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    const jlong *g = pin(&ps, groups, n, 'J', 0);
    double v = 0.0;
    size_t used = 0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = fn(s, l, w, (const int64_t *)g, (size_t)n, &v, &used);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double res[2] = {v, (double)used};
    return new_doubles(env, res, 2);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_gauc(JNIEnv *env, jclass cls, jfloatArray scores,
                                                              jfloatArray labels, jfloatArray weights,
                                                              jlongArray groups)
{
    (void)cls;
    return grouped_metric(env, "Metrics.gauc", "groups", growth_metrics_gauc, scores, labels, weights,
                          groups);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_logLoss(JNIEnv *env, jclass cls, jfloatArray probs,
                                                            jfloatArray labels, jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.logLoss", growth_metrics_logloss, probs, labels, weights);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_normalizedEntropy(JNIEnv *env, jclass cls,
                                                                      jfloatArray probs, jfloatArray labels,
                                                                      jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.normalizedEntropy", growth_metrics_normalized_entropy, probs, labels,
                  weights);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_calibrationRatio(JNIEnv *env, jclass cls,
                                                                     jfloatArray probs, jfloatArray labels,
                                                                     jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.calibrationRatio", growth_metrics_pcoc, probs, labels, weights);
}

typedef int (*binned_fn)(const float *, const float *, const float *, size_t, const char *, double *);

/* config: "bins=.. binning=.." (the Java side builds it from its int arguments). */
static jdouble binned_metric(JNIEnv *env, const char *who, binned_fn fn, jfloatArray probs,
                             jfloatArray labels, jfloatArray weights, jbyteArray config)
{
    jsize n = 0;
    if (check_metric_args(env, who, probs, labels, weights, NULL, 0, &n)) return 0.0;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return 0.0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* quantile binning sorts */
    const jfloat *p = pin(&ps, probs, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    double out = 0.0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = fn(p, l, w, (size_t)n, c, &out);
    free(c);
    if (pins_release(&ps)) return 0.0;
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return out;
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_ece(JNIEnv *env, jclass cls, jfloatArray probs,
                                                        jfloatArray labels, jfloatArray weights,
                                                        jbyteArray config)
{
    (void)cls;
    return binned_metric(env, "Metrics.ece", growth_metrics_ece, probs, labels, weights, config);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_mce(JNIEnv *env, jclass cls, jfloatArray probs,
                                                        jfloatArray labels, jfloatArray weights,
                                                        jbyteArray config)
{
    (void)cls;
    return binned_metric(env, "Metrics.mce", growth_metrics_mce, probs, labels, weights, config);
}

/* {mean_prob[n], pos_rate[n], weight[n]}: the table's size is asked first (the EBUFS protocol
 * gives the exact row count), then the table is filled. */
JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_reliability(JNIEnv *env, jclass cls,
                                                                     jfloatArray probs, jfloatArray labels,
                                                                     jfloatArray weights, jbyteArray config)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args(env, "Metrics.reliability", probs, labels, weights, NULL, 0, &n)) return NULL;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *p = pin(&ps, probs, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    size_t nb = 0, cap = 0;
    double *buf = NULL;
    int rc = GROWTH_OK, nomem = 0;
    if (!ps.failed) {
        rc = growth_metrics_reliability(p, l, w, (size_t)n, c, NULL, NULL, NULL, 0, &nb);
        if (rc == GROWTH_EBUFS) {
            cap = nb;
            buf = malloc(3 * cap * sizeof *buf);
            if (buf == NULL)
                nomem = 1;
            else
                rc = growth_metrics_reliability(p, l, w, (size_t)n, c, buf, buf + cap, buf + 2 * cap, cap,
                                                &nb);
        }
    }
    free(c);
    jdoubleArray out = NULL;
    if (pins_release(&ps) == 0) {
        if (nomem) {
            throw_status(env, GROWTH_ENOMEM, "Metrics.reliability: out of memory");
        } else if (rc != GROWTH_OK) {
            throw_rc(env, rc);
        } else if (nb > INT32_MAX / 3) {
            throw_status(env, GROWTH_ENOMEM, "Metrics.reliability: too many rows for a Java array");
        } else {
            /* rows packed as {mean_prob[nb], pos_rate[nb], weight[nb]} */
            if (nb < cap) {
                memmove(buf + nb, buf + cap, nb * sizeof *buf);
                memmove(buf + 2 * nb, buf + 2 * cap, nb * sizeof *buf);
            }
            out = new_doubles(env, buf, (jsize)(3 * nb));
        }
    }
    free(buf);
    return out;
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_fieldEce(JNIEnv *env, jclass cls, jfloatArray probs,
                                                             jfloatArray labels, jfloatArray weights,
                                                             jlongArray fields)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args_named(env, "Metrics.fieldEce", probs, labels, weights, fields, "fields", 1, &n))
        return 0.0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *p = pin(&ps, probs, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    const jlong *f = pin(&ps, fields, n, 'J', 0);
    double out = 0.0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_metrics_field_ece(p, l, w, (const int64_t *)f, (size_t)n, &out);
    if (pins_release(&ps)) return 0.0;
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return out;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_fieldRce(JNIEnv *env, jclass cls, jfloatArray probs,
                                                                  jfloatArray labels, jfloatArray weights,
                                                                  jlongArray fields)
{
    (void)cls;
    return grouped_metric(env, "Metrics.fieldRce", "fields", growth_metrics_field_rce, probs, labels, weights,
                          fields);
}
