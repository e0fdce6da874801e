/*
 * JNI natives of forest.h (class Forest).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_TRAINED_MODEL(forest, growth_forest, growth_forest, "Forest");

/* Training and batch predictions run long (xgboost, threads): Get<Type>ArrayElements. The
 * native single-row prediction allocates nothing and takes no lock: critical pins, unless the
 * xgboost reference predictor is asked for. */

static int text_forest_objective(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_forest_objective(forest_of(h), b, c, n);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_forestTrain(JNIEnv *env, jclass cls, jbyteArray config,
                                                              jbyteArray params, jfloatArray x, jint nrows,
                                                              jint ncols, jfloatArray labels,
                                                              jfloatArray weights)
{
    (void)cls;
    const char *who = "Forest.train";
    if (x == NULL || labels == NULL) {
        throw_npe(env, x == NULL ? "X" : "y");
        return 0;
    }
    if (nrows < 1 || ncols < 1) {
        throw_einval(env, "%s: nrows = %d and ncols = %d must be >= 1", who, (int)nrows, (int)ncols);
        return 0;
    }
    if (check_len(env, who, "X", x, (jlong)nrows * ncols, 1) || check_len(env, who, "y", labels, nrows, 1) ||
        check_len(env, who, "weights", weights, nrows, 0))
        return 0;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return 0;
    char *p = cstr_dup(env, params, "params");
    if (p == NULL) {
        free(c);
        return 0;
    }
    jsize nx = len_of(env, x);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *px = pin(&ps, x, nx, 'F', 0);
    const jfloat *py = pin(&ps, labels, nrows, 'F', 0);
    const jfloat *pw = pin(&ps, weights, nrows, 'F', 0);
    growth_forest *f = NULL;
    int rc = GROWTH_OK;
    if (!ps.failed) {
        growth_forest_data d;
        memset(&d, 0, sizeof d);
        d.struct_size = sizeof d;
        d.nrows = (size_t)nrows;
        d.ncols = (size_t)ncols;
        d.dense = px;
        d.labels = py;
        d.weights = pw;
        rc = growth_forest_train(&f, c, p, &d, NULL, NULL, NULL);
    }
    free(c);
    free(p);
    if (pins_release(&ps)) {
        if (rc == GROWTH_OK) growth_forest_free(f);
        return 0;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(f);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_forestObjective(JNIEnv *env, jclass cls, jlong f)
{
    (void)cls;
    return text_bytes(env, text_forest_objective, f, 0);
}

/* Features and outputs per row of a forest (growth_forest_stats_get); -1 with an exception thrown. */
static int forest_sizes(JNIEnv *env, jlong f, int *nf, int *no)
{
    growth_forest_stats st = GROWTH_FOREST_STATS_INIT;
    int rc = growth_forest_stats_get(forest_of(f), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    if (st.features > INT32_MAX || st.outputs > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Forest: the model is too wide for Java arrays");
        return -1;
    }
    *nf = (int)st.features;
    *no = (int)st.outputs;
    return 0;
}

/* {num_features, num_outputs, num_trees} */
JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_forestDims(JNIEnv *env, jclass cls, jlong f)
{
    (void)cls;
    growth_forest_stats st = GROWTH_FOREST_STATS_INIT;
    int rc = growth_forest_stats_get(forest_of(f), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    if (st.features > INT32_MAX || st.outputs > INT32_MAX || st.trees > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Forest: the model's sizes exceed a Java int");
        return NULL;
    }
    jint v[3] = {(jint)st.features, (jint)st.outputs, (jint)st.trees};
    jintArray out = (*env)->NewIntArray(env, 3);
    if (out != NULL) (*env)->SetIntArrayRegion(env, out, 0, 3, v);
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_forestPredictRow(JNIEnv *env, jclass cls, jlong f,
                                                                         jfloatArray x, jint flags)
{
    (void)cls;
    if (x == NULL) {
        throw_npe(env, "x");
        return NULL;
    }
    int nf = 0, no = 0;
    if (forest_sizes(env, f, &nf, &no)) return NULL;
    jsize n = len_of(env, x);
    jfloatArray out = (*env)->NewFloatArray(env, no);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, (flags & GROWTH_FOREST_REFERENCE) ? PIN_COPY : PIN_CRITICAL);
    const jfloat *px = pin(&ps, x, n, 'F', 0);
    jfloat *po = pin(&ps, out, no, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_forest_predict(forest_of(f), px, (size_t)n, (unsigned)flags, po, (size_t)no);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_forestPredictDense(JNIEnv *env, jclass cls, jlong f,
                                                                           jfloatArray x, jint nrows,
                                                                           jint flags)
{
    (void)cls;
    const char *who = "Forest.predict";
    if (x == NULL) {
        throw_npe(env, "X");
        return NULL;
    }
    int nf = 0, no = 0;
    if (forest_sizes(env, f, &nf, &no)) return NULL;
    if (nrows < 0) {
        throw_einval(env, "%s: nrows = %d must be >= 0", who, (int)nrows);
        return NULL;
    }
    if (check_len(env, who, "X", x, (jlong)nrows * nf, 1)) return NULL;
    if ((jlong)nrows * no > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Forest.predict: nrows x outputs exceeds a Java array");
        return NULL;
    }
    jsize total = (jsize)((jlong)nrows * no), nx = len_of(env, x);
    jfloatArray out = (*env)->NewFloatArray(env, total);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* batches use threads and may run long */
    const jfloat *px = pin(&ps, x, nx, 'F', 0);
    jfloat *po = pin(&ps, out, total, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_forest_predict_dense(forest_of(f), px, (size_t)nrows, (size_t)nf, (unsigned)flags, po,
                                         (size_t)total);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_forestImportance(JNIEnv *env, jclass cls, jlong f,
                                                                         jbyteArray config)
{
    (void)cls;
    int nf = 0, no = 0;
    if (forest_sizes(env, f, &nf, &no)) return NULL;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return NULL;
    float *buf = malloc(((size_t)nf + 1) * sizeof *buf);
    if (buf == NULL) {
        free(c);
        throw_status(env, GROWTH_ENOMEM, "Forest.importance: out of memory");
        return NULL;
    }
    int rc = growth_forest_importance(forest_of(f), c, buf, (size_t)nf);
    free(c);
    jfloatArray out = NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
    } else {
        out = (*env)->NewFloatArray(env, nf);
        if (out != NULL && nf > 0) (*env)->SetFloatArrayRegion(env, out, 0, nf, buf);
    }
    free(buf);
    return out;
}

/* ---- direct buffers: rows and outputs used in place --------------------------------------- */

/* Forest.predictRow over direct buffers: x[n] from its position, outputs into out[cap]. */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_forestPredictRowBuf(JNIEnv *env, jclass cls, jlong f,
                                                                     jobject x, jint x_pos, jint n,
                                                                     jobject out, jint out_pos, jint cap,
                                                                     jint flags)
{
    (void)cls;
    const float *px = direct_address(env, x, x_pos, sizeof *px, "x");
    float *po = px == NULL ? NULL : direct_address(env, out, out_pos, sizeof *po, "out");
    if (po == NULL) return;
    int rc = growth_forest_predict(forest_of(f), px, (size_t)n, (unsigned)flags, po, (size_t)cap);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* Forest.predict over direct buffers: X (len floats: nrows x numFeatures, checked as for
 * arrays) from its position, nrows x outputs into out[cap]. */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_forestPredictDenseBuf(JNIEnv *env, jclass cls, jlong f,
                                                                       jobject x, jint x_pos, jint len,
                                                                       jint nrows, jobject out, jint out_pos,
                                                                       jint cap, jint flags)
{
    (void)cls;
    const char *who = "Forest.predict";
    int nf = 0, no = 0;
    if (forest_sizes(env, f, &nf, &no)) return;
    if (nrows < 0) {
        throw_einval(env, "%s: nrows = %d must be >= 0", who, (int)nrows);
        return;
    }
    if ((jlong)len != (jlong)nrows * nf) {
        throw_einval(env, "%s: X has %d entries, %lld expected", who, (int)len, (long long)nrows * nf);
        return;
    }
    const float *px = direct_address(env, x, x_pos, sizeof *px, "X");
    float *po = px == NULL ? NULL : direct_address(env, out, out_pos, sizeof *po, "out");
    if (po == NULL) return;
    int rc = growth_forest_predict_dense(forest_of(f), px, (size_t)nrows, (size_t)nf, (unsigned)flags, po,
                                         (size_t)cap);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}
