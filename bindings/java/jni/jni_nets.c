/*
 * JNI natives of nets.h (classes Net and DSSM).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

/* A Java Net or DSSM owns its model and one workspace. The workspace serves one call at a time:
 * a call that finds it busy (another thread is using the object) creates a temporary workspace
 * of the same configuration for itself, so the objects are safe to share between threads and
 * single-threaded use allocates nothing per call. Single rows run on the library's own loops
 * (critical pins); batches and text encoding may run long (Get<Type>ArrayElements). */

typedef struct {
    void *model;              /* growth_net * or growth_dssm * */
    int dssm;                 /* which one */
    growth_net_workspace *ws; /* the object's own workspace */
    atomic_int busy;          /* 1 while a call uses ws */
    char *ws_config;          /* configuration of ws, for temporary workspaces */
} jmodel;

#define JMODEL(h) ((jmodel *)(intptr_t)(h))
#define NET(h)    ((growth_net *)JMODEL(h)->model)
#define DSSM(h)   ((growth_dssm *)JMODEL(h)->model)

static inline growth_net *net_of(jlong h) { return NET(h); }
static inline growth_dssm *dssm_of(jlong h) { return DSSM(h); }

/* The model's configuration, saving and bytes; loading and freeing wrap the workspace below. */
GJNI_CONFIG(net, growth_net);
GJNI_SAVE(net, growth_net);
GJNI_SERIALIZE(net, growth_net, "Net");
GJNI_CONFIG(dssm, growth_dssm);
GJNI_SAVE(dssm, growth_dssm);
GJNI_SERIALIZE(dssm, growth_dssm, "DSSM");

static int ws_create(const jmodel *m, growth_net_workspace **out)
{
    return m->dssm ? growth_dssm_workspace_create(out, (const growth_dssm *)m->model, m->ws_config)
                   : growth_net_workspace_create(out, (const growth_net *)m->model, m->ws_config);
}

static void jmodel_free(jmodel *m)
{
    if (m == NULL) return;
    growth_net_workspace_free(m->ws);
    if (m->dssm)
        growth_dssm_free((growth_dssm *)m->model);
    else
        growth_net_free((growth_net *)m->model);
    free(m->ws_config);
    free(m);
}

/* Wraps a loaded model (taking ownership; freed on failure) with a workspace made from
 * `ws_config`. Returns the handle, or 0 with an exception pending. */
static jlong jmodel_new(JNIEnv *env, void *model, int dssm, const char *ws_config)
{
    jmodel *m = calloc(1, sizeof *m);
    char *cfg = m ? malloc(strlen(ws_config) + 1) : NULL;
    if (m == NULL || cfg == NULL) {
        free(m);
        if (dssm)
            growth_dssm_free(model);
        else
            growth_net_free(model);
        throw_status(env, GROWTH_ENOMEM, "JNI: out of memory wrapping a model");
        return 0;
    }
    strcpy(cfg, ws_config);
    m->model = model;
    m->dssm = dssm;
    m->ws_config = cfg;
    atomic_init(&m->busy, 0);
    int rc = ws_create(m, &m->ws);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        jmodel_free(m);
        return 0;
    }
    return HANDLE(m);
}

/* The object's workspace if free, else a temporary one (*temp = 1). NULL with an exception
 * pending on failure. Call before pinning anything. */
static growth_net_workspace *ws_acquire(JNIEnv *env, jmodel *m, int *temp)
{
    *temp = 0;
    if (atomic_exchange_explicit(&m->busy, 1, memory_order_acquire) == 0) return m->ws;
    growth_net_workspace *ws = NULL;
    int rc = ws_create(m, &ws);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    *temp = 1;
    return ws;
}

static void ws_release(jmodel *m, growth_net_workspace *ws, int temp)
{
    if (temp)
        growth_net_workspace_free(ws);
    else
        atomic_store_explicit(&m->busy, 0, memory_order_release);
}

/* Loads (path != NULL) or deserialises a net or a DSSM and wraps it. */
static jlong jmodel_open(JNIEnv *env, int dssm, jbyteArray path, jbyteArray buf, jbyteArray ws_config)
{
    char *cfg = cstr_dup(env, ws_config, "workspaceConfig");
    if (cfg == NULL) return 0;
    void *model = NULL;
    int rc = GROWTH_OK;
    if (path != NULL) {
        char *p = cstr_dup(env, path, "path");
        if (p == NULL) {
            free(cfg);
            return 0;
        }
        rc = dssm ? growth_dssm_load((growth_dssm **)&model, p) : growth_net_load((growth_net **)&model, p);
        free(p);
    } else {
        if (buf == NULL) {
            free(cfg);
            throw_npe(env, "buf");
            return 0;
        }
        jsize n = len_of(env, buf);
        pinset ps;
        pins_init(&ps, env, PIN_COPY);
        const uint8_t *b = pin(&ps, buf, n, 'B', 0);
        if (!ps.failed)
            rc = dssm ? growth_dssm_deserialize((growth_dssm **)&model, b, (size_t)n)
                      : growth_net_deserialize((growth_net **)&model, b, (size_t)n);
        if (pins_release(&ps)) {
            if (rc == GROWTH_OK) {
                if (dssm)
                    growth_dssm_free(model);
                else
                    growth_net_free(model);
            }
            free(cfg);
            return 0;
        }
    }
    if (rc != GROWTH_OK) {
        free(cfg);
        throw_rc(env, rc);
        return 0;
    }
    jlong h = jmodel_new(env, model, dssm, cfg);
    free(cfg);
    return h;
}

/* out_dim of a net, or -1 (thrown); out_dim x rows must fit a Java array. */
static jsize net_out_dim(JNIEnv *env, jlong h)
{
    growth_net_stats st = GROWTH_NET_STATS_INIT;
    int rc = growth_net_stats_get(NET(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    size_t od = (size_t)st.out_dim;
    return (jsize)od;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_netLoad(JNIEnv *env, jclass cls, jbyteArray path,
                                                          jbyteArray ws_config)
{
    (void)cls;
    if (path == NULL) {
        throw_npe(env, "path");
        return 0;
    }
    return jmodel_open(env, 0, path, NULL, ws_config);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_netDeserialize(JNIEnv *env, jclass cls, jbyteArray buf,
                                                                 jbyteArray ws_config)
{
    (void)cls;
    if (buf == NULL) {
        throw_npe(env, "buf");
        return 0;
    }
    return jmodel_open(env, 0, NULL, buf, ws_config);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_netFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    jmodel_free(JMODEL(h));
}

/* {dense_dim, fields, wide_rows, out_dim} */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_netDims(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    growth_net_stats st = GROWTH_NET_STATS_INIT;
    int rc = growth_net_stats_get(NET(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[4] = {st.dense_dim, st.fields, st.wide_rows, st.out_dim};
    return new_longs(env, v, 4);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_netPredict(JNIEnv *env, jclass cls, jlong h,
                                                                   jfloatArray x)
{
    (void)cls;
    if (x == NULL) {
        throw_npe(env, "x");
        return NULL;
    }
    jsize od = net_out_dim(env, h);
    if (od < 0) return NULL;
    jsize n = len_of(env, x);
    jfloatArray out = (*env)->NewFloatArray(env, od);
    if (out == NULL) return NULL;
    int temp = 0;
    growth_net_workspace *ws = ws_acquire(env, JMODEL(h), &temp);
    if (ws == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jfloat *px = pin(&ps, x, n, 'F', 0);
    jfloat *po = pin(&ps, out, od, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_net_predict(NET(h), ws, px, (size_t)n, po, (size_t)od);
    int failed = pins_release(&ps);
    ws_release(JMODEL(h), ws, temp);
    if (failed) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_netPredictBatch(JNIEnv *env, jclass cls, jlong h,
                                                                        jfloatArray x, jint nrows)
{
    (void)cls;
    const char *who = "Net.predictBatch";
    if (x == NULL) {
        throw_npe(env, "X");
        return NULL;
    }
    if (nrows < 0) {
        throw_einval(env, "%s: nrows = %d must be >= 0", who, (int)nrows);
        return NULL;
    }
    growth_net_stats st = GROWTH_NET_STATS_INIT;
    int rc = growth_net_stats_get(NET(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    size_t dd = (size_t)st.dense_dim, od = (size_t)st.out_dim;
    if (check_len(env, who, "X", x, (jlong)nrows * (jlong)dd, 1)) return NULL;
    if ((jlong)nrows * (jlong)od > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Net.predictBatch: nrows x outputs exceeds a Java array");
        return NULL;
    }
    jsize total = (jsize)((jlong)nrows * (jlong)od), nx = len_of(env, x);
    jfloatArray out = (*env)->NewFloatArray(env, total);
    if (out == NULL) return NULL;
    int temp = 0;
    growth_net_workspace *ws = ws_acquire(env, JMODEL(h), &temp);
    if (ws == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* sgemm over chunks: may run long */
    const jfloat *px = pin(&ps, x, nx, 'F', 0);
    jfloat *po = pin(&ps, out, total, 'F', 1);
    if (!ps.failed) rc = growth_net_predict_dense(NET(h), ws, px, (size_t)nrows, dd, po, (size_t)total);
    int failed = pins_release(&ps);
    ws_release(JMODEL(h), ws, temp);
    if (failed) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_netPredictWideDeep(JNIEnv *env, jclass cls, jlong h,
                                                                           jfloatArray x, jintArray cat_field,
                                                                           jintArray cat_id,
                                                                           jintArray wide_idx,
                                                                           jfloatArray wide_val)
{
    (void)cls;
    const char *who = "Net.predictWideDeep";
    jsize ncat = len_of(env, cat_field), nwide = len_of(env, wide_idx);
    if ((cat_field == NULL) != (cat_id == NULL)) {
        throw_npe(env, cat_field == NULL ? "catField" : "catId");
        return NULL;
    }
    if (check_len(env, who, "catId", cat_id, ncat, 0) || check_len(env, who, "wideVal", wide_val, nwide, 0))
        return NULL;
    jsize od = net_out_dim(env, h);
    if (od < 0) return NULL;
    jsize n = len_of(env, x);
    jfloatArray out = (*env)->NewFloatArray(env, od);
    if (out == NULL) return NULL;
    int temp = 0;
    growth_net_workspace *ws = ws_acquire(env, JMODEL(h), &temp);
    if (ws == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jfloat *px = pin(&ps, x, n, 'F', 0);
    const jint *cf = pin(&ps, cat_field, ncat, 'I', 0);
    const jint *ci = pin(&ps, cat_id, ncat, 'I', 0);
    const jint *wi = pin(&ps, wide_idx, nwide, 'I', 0);
    const jfloat *wv = pin(&ps, wide_val, nwide, 'F', 0);
    jfloat *po = pin(&ps, out, od, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_net_predict_wide_deep(NET(h), ws, px, (size_t)n, (const uint32_t *)cf,
                                          (const uint32_t *)ci, (size_t)ncat, (const uint32_t *)wi, wv,
                                          (size_t)nwide, po, (size_t)od);
    int failed = pins_release(&ps);
    ws_release(JMODEL(h), ws, temp);
    if (failed) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_dssmLoad(JNIEnv *env, jclass cls, jbyteArray path,
                                                           jbyteArray ws_config)
{
    (void)cls;
    if (path == NULL) {
        throw_npe(env, "path");
        return 0;
    }
    return jmodel_open(env, 1, path, NULL, ws_config);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_dssmDeserialize(JNIEnv *env, jclass cls, jbyteArray buf,
                                                                  jbyteArray ws_config)
{
    (void)cls;
    if (buf == NULL) {
        throw_npe(env, "buf");
        return 0;
    }
    return jmodel_open(env, 1, NULL, buf, ws_config);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_dssmFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    jmodel_free(JMODEL(h));
}

/* {dim, buckets, seed} */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_dssmDims(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    growth_dssm_stats st = GROWTH_DSSM_STATS_INIT;
    int rc = growth_dssm_stats_get(DSSM(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[3] = {st.dim, st.buckets, st.seed};
    return new_longs(env, v, 3);
}

/* Runs encode (query == NULL: n texts through `tower`, n x dim outputs) or score (query: n
 * cosines) over packed texts. */
static jfloatArray dssm_run(JNIEnv *env, const char *who, jlong h, growth_dssm_tower tower, jbyteArray query,
                            jbyteArray texts, jint n)
{
    if (texts == NULL) {
        throw_npe(env, "texts");
        return NULL;
    }
    if (n < 0) {
        throw_einval(env, "%s: n = %d must be >= 0", who, (int)n);
        return NULL;
    }
    growth_dssm_stats st = GROWTH_DSSM_STATS_INIT;
    int rc = growth_dssm_stats_get(DSSM(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    size_t dim = (size_t)st.dim;
    jlong total = query != NULL ? (jlong)n : (jlong)n * (jlong)dim;
    if (total > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "DSSM: texts x dimensions exceeds a Java array");
        return NULL;
    }
    char *q = NULL;
    if (query != NULL && (q = cstr_dup(env, query, "query")) == NULL) return NULL;
    const char **ptrs = malloc(((size_t)n + 1) * sizeof *ptrs);
    if (ptrs == NULL) {
        free(q);
        throw_status(env, GROWTH_ENOMEM, "DSSM: out of memory");
        return NULL;
    }
    jfloatArray out = (*env)->NewFloatArray(env, (jsize)total);
    int temp = 0;
    growth_net_workspace *ws = out == NULL ? NULL : ws_acquire(env, JMODEL(h), &temp);
    if (ws == NULL) {
        free(ptrs);
        free(q);
        return NULL;
    }
    jsize nt = len_of(env, texts);
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* hashing and sgemm over many texts: may run long */
    const char *buf = pin(&ps, texts, nt, 'B', 0);
    jfloat *po = pin(&ps, out, (jsize)total, 'F', 1);
    int bad = 0;
    if (!ps.failed) {
        if (split_packed(buf, nt, n, ptrs) != 0)
            bad = 1;
        else if (query != NULL)
            rc = growth_dssm_score(DSSM(h), ws, q, ptrs, (size_t)n, po, (size_t)total);
        else
            rc = growth_dssm_encode(DSSM(h), ws, tower, ptrs, (size_t)n, po, (size_t)total);
    }
    int failed = pins_release(&ps);
    ws_release(JMODEL(h), ws, temp);
    free(ptrs);
    free(q);
    if (failed) return NULL;
    if (bad) {
        throw_einval(env, "%s: texts are not %d packed NUL-terminated strings", who, (int)n);
        return NULL;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_dssmEncode(JNIEnv *env, jclass cls, jlong h,
                                                                   jint tower, jbyteArray texts, jint n)
{
    (void)cls;
    return dssm_run(env, "DSSM.encode", h, (growth_dssm_tower)tower, NULL, texts, n);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_dssmScore(JNIEnv *env, jclass cls, jlong h,
                                                                  jbyteArray query, jbyteArray items, jint n)
{
    (void)cls;
    if (query == NULL) {
        throw_npe(env, "query");
        return NULL;
    }
    return dssm_run(env, "DSSM.score", h, GROWTH_DSSM_ITEM, query, items, n);
}

/* ---- direct buffers: rows and outputs used in place --------------------------------------- */

/* Net.predict over direct buffers: x[n] from its position, outputs into out[cap] (the library
 * checks n against the dense width and cap against the output width). */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_netPredictBuf(JNIEnv *env, jclass cls, jlong h, jobject x,
                                                               jint x_pos, jint n, jobject out, jint out_pos,
                                                               jint cap)
{
    (void)cls;
    const float *px = direct_address(env, x, x_pos, sizeof *px, "x");
    float *po = px == NULL ? NULL : direct_address(env, out, out_pos, sizeof *po, "out");
    if (po == NULL) return;
    int temp = 0;
    growth_net_workspace *ws = ws_acquire(env, JMODEL(h), &temp);
    if (ws == NULL) return;
    int rc = growth_net_predict(NET(h), ws, px, (size_t)n, po, (size_t)cap);
    ws_release(JMODEL(h), ws, temp);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* Net.predictBatch over direct buffers: X (len floats: nrows x denseDim, checked as for arrays)
 * from its position, nrows x outDim into out[cap]. */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_netPredictBatchBuf(JNIEnv *env, jclass cls, jlong h,
                                                                    jobject x, jint x_pos, jint len,
                                                                    jint nrows, jobject out, jint out_pos,
                                                                    jint cap)
{
    (void)cls;
    const char *who = "Net.predictBatch";
    if (nrows < 0) {
        throw_einval(env, "%s: nrows = %d must be >= 0", who, (int)nrows);
        return;
    }
    growth_net_stats st = GROWTH_NET_STATS_INIT;
    int rc = growth_net_stats_get(NET(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return;
    }
    size_t dd = (size_t)st.dense_dim;
    if ((jlong)len != (jlong)nrows * (jlong)dd) {
        throw_einval(env, "%s: X has %d entries, %lld expected", who, (int)len,
                     (long long)nrows * (long long)dd);
        return;
    }
    const float *px = direct_address(env, x, x_pos, sizeof *px, "X");
    float *po = px == NULL ? NULL : direct_address(env, out, out_pos, sizeof *po, "out");
    if (po == NULL) return;
    int temp = 0;
    growth_net_workspace *ws = ws_acquire(env, JMODEL(h), &temp);
    if (ws == NULL) return;
    rc = growth_net_predict_dense(NET(h), ws, px, (size_t)nrows, dd, po, (size_t)cap);
    ws_release(JMODEL(h), ws, temp);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}
