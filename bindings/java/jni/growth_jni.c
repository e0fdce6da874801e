/*
 * JNI shim of the Java binding (package org.libgrowth, class Native). It uses only the public
 * API (<growth/growth.h>, plus the unstable <growth/sys/bandit.h> and <growth/sys/budget.h>,
 * opted into with -DGROWTH_SYS_UNSTABLE in meson) and adds no logic of its own beyond argument
 * checks:
 *
 *  - handles cross as jlong;
 *  - every failing C call becomes an org.libgrowth.GrowthException(code, growth_last_error());
 *  - array lengths are checked here, before anything reaches the library (the C side cannot
 *    know a Java array's length): a mismatch is a GrowthException with GROWTH_EINVAL;
 *  - primitive arrays are pinned only for the duration of one call: GetPrimitiveArrayCritical for
 *    short, non-blocking calls (predictions, hashing, row building), Get<Type>ArrayElements for
 *    calls that may block or run long (training takes the model's mutex, metrics sort, files);
 *    inputs are released with JNI_ABORT, outputs with 0 (copy back);
 *  - strings arrive as NUL-terminated UTF-8 byte arrays (made by Native.cstr in Java), so the
 *    library hashes the same bytes as from C and Python.
 */
#include <jni.h>

#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>
#include <growth/sys/bandit.h> /* growth_bandit_sample_beta */
#include <growth/sys/budget.h> /* growth_mckp_shard_eval, growth_mckp_shard_assign */

#include "org_libgrowth_Native.h"

#define ROW(h) ((growth_row *)(intptr_t)(h))
#define FTRL(h) ((growth_ftrl *)(intptr_t)(h))
#define CALIB(h) ((growth_calibrator *)(intptr_t)(h))
#define BANDIT(h) ((growth_bandit *)(intptr_t)(h))
#define MCKP(h) ((growth_mckp *)(intptr_t)(h))
#define CHANNELS(h) ((growth_channels *)(intptr_t)(h))
#define FOREST(h) ((growth_forest *)(intptr_t)(h))
#define HANDLE(p) ((jlong)(intptr_t)(p))

static jclass g_exc_class;      /* org.libgrowth.GrowthException */
static jmethodID g_exc_of;      /* static GrowthException.of(int code, byte[] utf8Message) */
static JavaVM *g_vm;            /* for callbacks from the library (Mckp progress) */

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved)
{
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
    g_vm = vm;
    jclass c = (*env)->FindClass(env, "org/libgrowth/GrowthException");
    if (c == NULL) return JNI_ERR;
    g_exc_of = (*env)->GetStaticMethodID(env, c, "of", "(I[B)Lorg/libgrowth/GrowthException;");
    if (g_exc_of == NULL) return JNI_ERR;
    g_exc_class = (jclass)(*env)->NewGlobalRef(env, c);
    (*env)->DeleteLocalRef(env, c);
    if (g_exc_class == NULL) return JNI_ERR;
    return JNI_VERSION_1_8;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *reserved)
{
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return;
    if (g_exc_class) (*env)->DeleteGlobalRef(env, g_exc_class);
    g_exc_class = NULL;
}

/* ---- exceptions --------------------------------------------------------------------------- */

static jbyteArray bytes_of(JNIEnv *env, const char *s, size_t n)
{
    if (n > (size_t)INT32_MAX) n = (size_t)INT32_MAX;
    jbyteArray b = (*env)->NewByteArray(env, (jsize)n);
    if (b != NULL && n > 0) (*env)->SetByteArrayRegion(env, b, 0, (jsize)n, (const jbyte *)s);
    return b;
}

static jbyteArray str_bytes(JNIEnv *env, const char *s)
{
    return bytes_of(env, s ? s : "", s ? strlen(s) : 0);
}

/* Throws the GrowthException subclass of `code` with msg unless an exception is already pending. */
static void throw_status(JNIEnv *env, int code, const char *msg)
{
    if ((*env)->ExceptionCheck(env)) return;
    if (msg == NULL || msg[0] == '\0') msg = growth_strerror(code);
    jbyteArray b = str_bytes(env, msg);
    if (b == NULL) return; /* OutOfMemoryError pending */
    jobject e = (*env)->CallStaticObjectMethod(env, g_exc_class, g_exc_of, (jint)code, b);
    if (e != NULL) (*env)->Throw(env, (jthrowable)e);
}

/* A libgrowth call failed with rc: throw with the library's message. Call it before any other
 * libgrowth call in this thread (growth_last_error() is thread-local and per failure). */
static void throw_rc(JNIEnv *env, int rc)
{
    throw_status(env, rc, growth_last_error());
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void throw_einval(JNIEnv *env, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    throw_status(env, GROWTH_EINVAL, buf);
}

static void throw_npe(JNIEnv *env, const char *what)
{
    if ((*env)->ExceptionCheck(env)) return;
    jclass c = (*env)->FindClass(env, "java/lang/NullPointerException");
    if (c == NULL) return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s must not be null", what);
    (*env)->ThrowNew(env, c, buf);
}

/* ---- pinning arrays for the duration of one call ------------------------------------------ */

enum { PIN_MAX = 12 };
enum { PIN_COPY = 0, PIN_CRITICAL = 1 };

typedef struct {
    jarray arr;
    void *ptr;
    char type;
    jint mode; /* JNI_ABORT for inputs, 0 for outputs */
} pin_slot;

typedef struct {
    JNIEnv *env;
    int critical;
    int n;
    int failed;
    pin_slot s[PIN_MAX];
} pinset;

/* Non-NULL, suitably aligned stand-in for a zero-length array (nothing is read or written). */
static jlong g_empty[1];

static void pins_init(pinset *ps, JNIEnv *env, int critical)
{
    memset(ps, 0, sizeof *ps);
    ps->env = env;
    ps->critical = critical;
}

/* Pins `arr` (length `len`, fetched before any critical pin) and returns its elements; NULL for a
 * NULL array. On failure sets ps->failed. No other JNI call may happen between the first
 * critical pin and pins_release(). */
static void *pin(pinset *ps, jarray arr, jsize len, char type, int output)
{
    if (arr == NULL || ps->failed) return NULL;
    if (len == 0) return (void *)g_empty;
    JNIEnv *env = ps->env;
    void *p = NULL;
    if (ps->n >= PIN_MAX) {
        ps->failed = 1;
        return NULL;
    }
    if (ps->critical) {
        p = (*env)->GetPrimitiveArrayCritical(env, arr, NULL);
    } else {
        switch (type) {
        case 'B': p = (*env)->GetByteArrayElements(env, (jbyteArray)arr, NULL); break;
        case 'I': p = (*env)->GetIntArrayElements(env, (jintArray)arr, NULL); break;
        case 'J': p = (*env)->GetLongArrayElements(env, (jlongArray)arr, NULL); break;
        case 'F': p = (*env)->GetFloatArrayElements(env, (jfloatArray)arr, NULL); break;
        case 'D': p = (*env)->GetDoubleArrayElements(env, (jdoubleArray)arr, NULL); break;
        case 'Z': p = (*env)->GetBooleanArrayElements(env, (jbooleanArray)arr, NULL); break;
        default: break;
        }
    }
    if (p == NULL) {
        ps->failed = 1;
        return NULL;
    }
    ps->s[ps->n].arr = arr;
    ps->s[ps->n].ptr = p;
    ps->s[ps->n].type = type;
    ps->s[ps->n].mode = output ? 0 : JNI_ABORT;
    ps->n++;
    return p;
}

/* Releases every pin (in reverse order); returns 0, or -1 (exception thrown) if a pin failed. */
static int pins_release(pinset *ps)
{
    JNIEnv *env = ps->env;
    for (int i = ps->n - 1; i >= 0; i--) {
        pin_slot *s = &ps->s[i];
        if (ps->critical) {
            (*env)->ReleasePrimitiveArrayCritical(env, s->arr, s->ptr, s->mode);
        } else {
            switch (s->type) {
            case 'B':
                (*env)->ReleaseByteArrayElements(env, (jbyteArray)s->arr, (jbyte *)s->ptr, s->mode);
                break;
            case 'I':
                (*env)->ReleaseIntArrayElements(env, (jintArray)s->arr, (jint *)s->ptr, s->mode);
                break;
            case 'J':
                (*env)->ReleaseLongArrayElements(env, (jlongArray)s->arr, (jlong *)s->ptr, s->mode);
                break;
            case 'F':
                (*env)->ReleaseFloatArrayElements(env, (jfloatArray)s->arr, (jfloat *)s->ptr,
                                                  s->mode);
                break;
            case 'D':
                (*env)->ReleaseDoubleArrayElements(env, (jdoubleArray)s->arr, (jdouble *)s->ptr,
                                                   s->mode);
                break;
            case 'Z':
                (*env)->ReleaseBooleanArrayElements(env, (jbooleanArray)s->arr,
                                                    (jboolean *)s->ptr, s->mode);
                break;
            default: break;
            }
        }
    }
    ps->n = 0;
    if (ps->failed) {
        throw_status(env, GROWTH_ENOMEM, "JNI: could not access the elements of a Java array");
        return -1;
    }
    return 0;
}

static jsize len_of(JNIEnv *env, jarray a)
{
    return a == NULL ? 0 : (*env)->GetArrayLength(env, a);
}

/* A NUL-terminated string made by Native.cstr, copied to the C heap (free() it). NULL with an
 * exception pending on failure. */
static char *cstr_dup(JNIEnv *env, jbyteArray a, const char *what)
{
    if (a == NULL) {
        throw_npe(env, what);
        return NULL;
    }
    jsize n = (*env)->GetArrayLength(env, a);
    char *s = malloc((size_t)n + 1);
    if (s == NULL) {
        throw_status(env, GROWTH_ENOMEM, "JNI: out of memory copying a string");
        return NULL;
    }
    if (n > 0) (*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)s);
    s[n] = '\0';
    if (n == 0 || s[n - 1] != '\0') {
        free(s);
        throw_einval(env, "%s is not a NUL-terminated string", what);
        return NULL;
    }
    return s;
}

/* The string in a pinned byte array of length n, or NULL if it is not NUL-terminated. */
static const char *pinned_cstr(const void *p, jsize n)
{
    if (p == NULL || n == 0 || ((const char *)p)[n - 1] != '\0') return NULL;
    return (const char *)p;
}

/* Splits `n` strings packed back to back (each NUL-terminated, as Native.pack makes them). */
static int split_packed(const char *buf, jsize len, jint n, const char **out)
{
    jsize off = 0;
    for (jint i = 0; i < n; i++) {
        if (off >= len) return -1;
        const char *z = memchr(buf + off, '\0', (size_t)(len - off));
        if (z == NULL) return -1;
        out[i] = buf + off;
        off = (jsize)(z - buf) + 1;
    }
    return off == len ? 0 : -1;
}

/* CSR offsets: nrows + 1 values, starting at 0, non-decreasing, last <= nnz. Returns NULL when
 * valid, else a static description of the problem. */
static const char *check_indptr(const jlong *ip, jsize nrows, jsize nnz)
{
    if (ip[0] != 0) return "indptr[0] must be 0";
    for (jsize r = 0; r < nrows; r++)
        if (ip[r + 1] < ip[r]) return "indptr must be non-decreasing";
    if (ip[nrows] > (jlong)nnz) return "indptr[nrows] exceeds the length of idx";
    return NULL;
}

/* ---- common.h ----------------------------------------------------------------------------- */

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_version(JNIEnv *env, jclass cls)
{
    (void)cls;
    return str_bytes(env, growth_version());
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_versionNumber(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return growth_version_number();
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_strerror(JNIEnv *env, jclass cls,
                                                                jint code)
{
    (void)cls;
    return str_bytes(env, growth_strerror(code));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_lastError(JNIEnv *env, jclass cls)
{
    (void)cls;
    return str_bytes(env, growth_last_error());
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_modelKind(JNIEnv *env, jclass cls,
                                                                jbyteArray path)
{
    (void)cls;
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return NULL;
    int kind = 0;
    uint32_t fmt = 0;
    int rc = growth_model_kind(p, &kind, &fmt);
    free(p);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    jintArray out = (*env)->NewIntArray(env, 2);
    if (out == NULL) return NULL;
    jint v[2] = {(jint)kind, (jint)fmt};
    (*env)->SetIntArrayRegion(env, out, 0, 2, v);
    return out;
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_kindName(JNIEnv *env, jclass cls,
                                                                jint kind)
{
    (void)cls;
    return str_bytes(env, growth_model_kind_name(kind));
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_hash64(JNIEnv *env, jclass cls, jbyteArray data,
                                                         jint off, jint len, jlong seed)
{
    (void)cls;
    if (data == NULL) {
        throw_npe(env, "data");
        return 0;
    }
    jsize n = (*env)->GetArrayLength(env, data);
    if (off < 0 || len < 0 || off > n - len) {
        throw_einval(env, "hash64: range [%d, %d + %d) is outside an array of %d", (int)off,
                     (int)off, (int)len, (int)n);
        return 0;
    }
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const uint8_t *p = pin(&ps, data, n, 'B', 0);
    uint64_t h = ps.failed ? 0 : growth_hash64(p + off, (size_t)len, (uint64_t)seed);
    pins_release(&ps);
    return (jlong)h;
}

/* ---- features.h --------------------------------------------------------------------------- */

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_featureHash(JNIEnv *env, jclass cls,
                                                             jbyteArray field, jbyteArray value,
                                                             jlong seed, jint bits)
{
    (void)cls;
    if (field == NULL || value == NULL) {
        throw_npe(env, field == NULL ? "field" : "value");
        return 0;
    }
    jsize nf = len_of(env, field), nv = len_of(env, value);
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const char *f = pinned_cstr(pin(&ps, field, nf, 'B', 0), nf);
    const char *v = pinned_cstr(pin(&ps, value, nv, 'B', 0), nv);
    uint32_t out = 0;
    int rc = GROWTH_OK, bad = 0;
    if (!ps.failed) {
        if (f == NULL || v == NULL)
            bad = 1;
        else
            rc = growth_features_hash(f, v, (uint64_t)seed, (unsigned)bits, &out);
    }
    if (pins_release(&ps)) return 0;
    if (bad) {
        throw_einval(env, "feature hash: strings must be NUL-terminated");
        return 0;
    }
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return (jint)out;
}

/* Pins two packed string arrays of n strings each and splits them into fields/values; `ptrs`
 * must hold 2n pointers. Returns 0, or -1 if the packing is malformed. */
static int pin_cross(pinset *ps, jbyteArray fields, jsize nf, jbyteArray values, jsize nv,
                     jint n, const char **ptrs)
{
    const char *f = pin(ps, fields, nf, 'B', 0);
    const char *v = pin(ps, values, nv, 'B', 0);
    if (ps->failed) return 0;
    if (split_packed(f, nf, n, ptrs) || split_packed(v, nv, n, ptrs + n)) return -1;
    return 0;
}

enum { CROSS_STACK = 16 };

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_featureHashCross(JNIEnv *env, jclass cls,
                                                                  jbyteArray fields,
                                                                  jbyteArray values, jint n,
                                                                  jlong seed, jint bits)
{
    (void)cls;
    if (fields == NULL || values == NULL) {
        throw_npe(env, fields == NULL ? "fields" : "values");
        return 0;
    }
    if (n < 0 || n > INT32_MAX / 2) {
        throw_einval(env, "cross: invalid number of features %d", (int)n);
        return 0;
    }
    const char *stack[2 * CROSS_STACK];
    const char **ptrs = stack;
    if (n > CROSS_STACK) {
        ptrs = malloc(2 * (size_t)n * sizeof *ptrs);
        if (ptrs == NULL) {
            throw_status(env, GROWTH_ENOMEM, "cross: out of memory");
            return 0;
        }
    }
    jsize nf = len_of(env, fields), nv = len_of(env, values);
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    int bad = pin_cross(&ps, fields, nf, values, nv, n, ptrs);
    uint32_t out = 0;
    int rc = GROWTH_OK;
    if (!ps.failed && !bad)
        rc = growth_features_hash_cross(ptrs, ptrs + n, (size_t)n, (uint64_t)seed,
                                        (unsigned)bits, &out);
    int failed = pins_release(&ps);
    if (ptrs != stack) free(ptrs);
    if (failed) return 0;
    if (bad) {
        throw_einval(env, "cross: malformed packed strings");
        return 0;
    }
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return (jint)out;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_rowCreate(JNIEnv *env, jclass cls,
                                                            jbyteArray config)
{
    (void)cls;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return 0;
    growth_row *r = NULL;
    int rc = growth_row_create(&r, c);
    free(c);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(r);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowFree(JNIEnv *env, jclass cls, jlong row)
{
    (void)env;
    (void)cls;
    growth_row_free(ROW(row));
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowClear(JNIEnv *env, jclass cls, jlong row)
{
    (void)env;
    (void)cls;
    growth_row_clear(ROW(row));
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowAddCat(JNIEnv *env, jclass cls, jlong row,
                                                           jbyteArray field, jbyteArray value)
{
    (void)cls;
    if (field == NULL || value == NULL) {
        throw_npe(env, field == NULL ? "field" : "value");
        return;
    }
    jsize nf = len_of(env, field), nv = len_of(env, value);
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const char *f = pinned_cstr(pin(&ps, field, nf, 'B', 0), nf);
    const char *v = pinned_cstr(pin(&ps, value, nv, 'B', 0), nv);
    int rc = GROWTH_OK, bad = 0;
    if (!ps.failed) {
        if (f == NULL || v == NULL)
            bad = 1;
        else
            rc = growth_row_add_cat(ROW(row), f, v);
    }
    if (pins_release(&ps)) return;
    if (bad)
        throw_einval(env, "Row.addCat: strings must be NUL-terminated");
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowAddNum(JNIEnv *env, jclass cls, jlong row,
                                                           jbyteArray field, jfloat x)
{
    (void)cls;
    if (field == NULL) {
        throw_npe(env, "field");
        return;
    }
    jsize nf = len_of(env, field);
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const char *f = pinned_cstr(pin(&ps, field, nf, 'B', 0), nf);
    int rc = GROWTH_OK, bad = 0;
    if (!ps.failed) {
        if (f == NULL)
            bad = 1;
        else
            rc = growth_row_add_num(ROW(row), f, x);
    }
    if (pins_release(&ps)) return;
    if (bad)
        throw_einval(env, "Row.addNum: field must be NUL-terminated");
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowAddCross(JNIEnv *env, jclass cls, jlong row,
                                                             jbyteArray fields, jbyteArray values,
                                                             jint n)
{
    (void)cls;
    if (fields == NULL || values == NULL) {
        throw_npe(env, fields == NULL ? "fields" : "values");
        return;
    }
    if (n < 0 || n > INT32_MAX / 2) {
        throw_einval(env, "Row.addCross: invalid number of features %d", (int)n);
        return;
    }
    const char *stack[2 * CROSS_STACK];
    const char **ptrs = stack;
    if (n > CROSS_STACK) {
        ptrs = malloc(2 * (size_t)n * sizeof *ptrs);
        if (ptrs == NULL) {
            throw_status(env, GROWTH_ENOMEM, "Row.addCross: out of memory");
            return;
        }
    }
    jsize nf = len_of(env, fields), nv = len_of(env, values);
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    int bad = pin_cross(&ps, fields, nf, values, nv, n, ptrs);
    int rc = GROWTH_OK;
    if (!ps.failed && !bad) rc = growth_row_add_cross(ROW(row), ptrs, ptrs + n, (size_t)n);
    int failed = pins_release(&ps);
    if (ptrs != stack) free(ptrs);
    if (failed) return;
    if (bad)
        throw_einval(env, "Row.addCross: malformed packed strings");
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowAddIndex(JNIEnv *env, jclass cls, jlong row,
                                                             jint index, jfloat x)
{
    (void)cls;
    int rc = growth_row_add_index(ROW(row), (uint32_t)index, x);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

static jsize row_size_checked(JNIEnv *env, const growth_row *r)
{
    size_t n = growth_row_size(r);
    if (n > (size_t)INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Row: more entries than a Java array can hold");
        return -1;
    }
    return (jsize)n;
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_rowSize(JNIEnv *env, jclass cls, jlong row)
{
    (void)cls;
    return row_size_checked(env, ROW(row));
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_rowIndices(JNIEnv *env, jclass cls,
                                                                 jlong row)
{
    (void)cls;
    const growth_row *r = ROW(row);
    const uint32_t *p = growth_row_indices(r); /* applies a pending dedup first */
    jsize n = row_size_checked(env, r);
    if (n < 0) return NULL;
    jintArray out = (*env)->NewIntArray(env, n);
    if (out != NULL && n > 0) (*env)->SetIntArrayRegion(env, out, 0, n, (const jint *)p);
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_rowValues(JNIEnv *env, jclass cls,
                                                                  jlong row)
{
    (void)cls;
    const growth_row *r = ROW(row);
    const float *p = growth_row_values(r);
    jsize n = row_size_checked(env, r);
    if (n < 0) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, n);
    if (out != NULL && n > 0) (*env)->SetFloatArrayRegion(env, out, 0, n, p);
    return out;
}

/* A getter of a NUL-terminated string that reports EBUFS with the needed size. */
typedef int (*text_fn)(jlong h, jlong arg, char *buf, size_t cap, size_t *needed);

static int text_row_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_row_config(ROW(h), b, c, n);
}

static int text_ftrl_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_ftrl_config(FTRL(h), b, c, n);
}

/* The string a text_fn returns for (h, arg), as UTF-8 bytes. */
static jbyteArray text_bytes(JNIEnv *env, text_fn fn, jlong h, jlong arg)
{
    char small[512];
    char *buf = small;
    size_t cap = sizeof small, needed = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc = fn(h, arg, buf, cap, &needed);
        if (rc == GROWTH_OK) {
            jbyteArray out = str_bytes(env, buf);
            if (buf != small) free(buf);
            return out;
        }
        if (rc != GROWTH_EBUFS || needed <= cap) {
            if (buf != small) free(buf);
            throw_rc(env, rc);
            return NULL;
        }
        if (buf != small) free(buf);
        cap = needed;
        buf = malloc(cap);
        if (buf == NULL) {
            throw_status(env, GROWTH_ENOMEM, "config: out of memory");
            return NULL;
        }
    }
    if (buf != small) free(buf);
    throw_status(env, GROWTH_EBUFS, "config: the configuration kept growing");
    return NULL;
}

/* Effective configuration of a row (is_row) or a model, as UTF-8 bytes. */
static jbyteArray config_bytes(JNIEnv *env, int is_row, jlong h)
{
    return text_bytes(env, is_row ? text_row_config : text_ftrl_config, h, 0);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_rowConfig(JNIEnv *env, jclass cls,
                                                                 jlong row)
{
    (void)cls;
    return config_bytes(env, 1, row);
}

/* ---- ctr.h -------------------------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_ftrlCreate(JNIEnv *env, jclass cls,
                                                             jbyteArray config)
{
    (void)cls;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return 0;
    growth_ftrl *m = NULL;
    int rc = growth_ftrl_create(&m, c);
    free(c);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(m);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_ftrlLoad(JNIEnv *env, jclass cls,
                                                           jbyteArray path)
{
    (void)cls;
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return 0;
    growth_ftrl *m = NULL;
    int rc = growth_ftrl_load(&m, p);
    free(p);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(m);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_ftrlDeserialize(JNIEnv *env, jclass cls,
                                                                  jbyteArray buf)
{
    (void)cls;
    if (buf == NULL) {
        throw_npe(env, "buf");
        return 0;
    }
    jsize n = len_of(env, buf);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const uint8_t *p = pin(&ps, buf, n, 'B', 0);
    growth_ftrl *m = NULL;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_ftrl_deserialize(&m, p, (size_t)n);
    if (pins_release(&ps)) {
        growth_ftrl_free(m);
        return 0;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(m);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_ftrlFree(JNIEnv *env, jclass cls, jlong m)
{
    (void)env;
    (void)cls;
    growth_ftrl_free(FTRL(m));
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_ftrlHeadIndex(JNIEnv *env, jclass cls, jlong m,
                                                               jbyteArray name)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return -1;
    size_t index = 0;
    int rc = growth_ftrl_head_index(FTRL(m), s, &index);
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

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_ftrlConfig(JNIEnv *env, jclass cls,
                                                                  jlong m)
{
    (void)cls;
    return config_bytes(env, 0, m);
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

/* Checks one sparse row: idx non-NULL, val NULL or as long as idx. Returns 0 or -1 (thrown). */
static int check_row(JNIEnv *env, const char *who, jintArray idx, jfloatArray val, jsize *nnz)
{
    if (idx == NULL) {
        throw_npe(env, "idx");
        return -1;
    }
    *nnz = len_of(env, idx);
    if (val != NULL && len_of(env, val) != *nnz) {
        throw_einval(env, "%s: idx has %d entries but val has %d", who, (int)*nnz,
                     (int)len_of(env, val));
        return -1;
    }
    return 0;
}

static jfloatArray score_row(JNIEnv *env, const char *who, jlong m, jintArray idx,
                             jfloatArray val, unsigned flags)
{
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return NULL;
    int heads = heads_of(env, FTRL(m));
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
        rc = growth_ftrl_predict(FTRL(m), (const uint32_t *)pi, pv, (size_t)nnz, flags, po,
                                 (size_t)heads);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredict(JNIEnv *env, jclass cls,
                                                                    jlong m, jintArray idx,
                                                                    jfloatArray val, jint flags)
{
    (void)cls;
    return score_row(env, flags ? "Ftrl.margin" : "Ftrl.predict", m, idx, val, (unsigned)flags);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredictBatch(JNIEnv *env, jclass cls,
                                                                         jlong m,
                                                                         jlongArray indptr,
                                                                         jintArray idx,
                                                                         jfloatArray val,
                                                                         jint nrows)
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
    int heads = heads_of(env, FTRL(m));
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
            rc = growth_ftrl_predict_csr(FTRL(m), (const uint64_t *)pp, (const uint32_t *)pi,
                                         pv, (size_t)nrows, 0, po, (size_t)total);
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
        throw_einval(env, "%s: labels has %d entries, %lld expected", who,
                     (int)len_of(env, labels), (long long)expect);
        return -1;
    }
    return 0;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_ftrlUpdate(JNIEnv *env, jclass cls, jlong m,
                                                            jintArray idx, jfloatArray val,
                                                            jfloatArray labels, jfloat weight)
{
    (void)cls;
    const char *who = "Ftrl.update";
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return;
    int heads = heads_of(env, FTRL(m));
    if (heads < 0 || check_labels(env, who, labels, heads)) return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* training may wait on the model's mutex */
    const jint *pi = pin(&ps, idx, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, val, nnz, 'F', 0);
    const jfloat *pl = pin(&ps, labels, heads, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_ftrl_update(FTRL(m), (const uint32_t *)pi, pv, (size_t)nnz, pl, weight);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredictUpdate(JNIEnv *env,
                                                                          jclass cls, jlong m,
                                                                          jintArray idx,
                                                                          jfloatArray val,
                                                                          jfloatArray labels,
                                                                          jfloat weight)
{
    (void)cls;
    const char *who = "Ftrl.predictUpdate";
    jsize nnz = 0;
    if (check_row(env, who, idx, val, &nnz)) return NULL;
    int heads = heads_of(env, FTRL(m));
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
        rc = growth_ftrl_predict_update(FTRL(m), (const uint32_t *)pi, pv, (size_t)nnz, pl,
                                        weight, po, (size_t)heads);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlUpdateBatch(JNIEnv *env, jclass cls,
                                                                        jlong m,
                                                                        jlongArray indptr,
                                                                        jintArray idx,
                                                                        jfloatArray val,
                                                                        jfloatArray labels,
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
    int heads = heads_of(env, FTRL(m));
    if (heads < 0) return NULL;
    if ((int64_t)nrows * heads > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Ftrl.partialFit: nrows x heads exceeds a Java array");
        return NULL;
    }
    jsize total = (jsize)((int64_t)nrows * heads);
    if (check_labels(env, who, labels, total)) return NULL;
    if (weights != NULL && len_of(env, weights) != nrows) {
        throw_einval(env, "%s: weights has %d entries, nrows = %d expected", who,
                     (int)len_of(env, weights), (int)nrows);
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
            rc = growth_ftrl_update_csr(FTRL(m), (const uint64_t *)pp, (const uint32_t *)pi, pv,
                                          (size_t)nrows, pl, pw, po,
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

/* {heads, bits, examples, nonzero}: the members of growth_ftrl_stats in order. */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_ftrlStats(JNIEnv *env, jclass cls, jlong m)
{
    (void)cls;
    growth_ftrl_stats st = GROWTH_FTRL_STATS_INIT;
    int rc = growth_ftrl_stats_get(FTRL(m), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    jlongArray out = (*env)->NewLongArray(env, 4);
    if (out == NULL) return NULL;
    jlong v[4] = {(jlong)st.heads, (jlong)st.bits, (jlong)st.examples, (jlong)st.nonzero};
    (*env)->SetLongArrayRegion(env, out, 0, 4, v);
    return out;
}

JNIEXPORT jfloat JNICALL Java_org_libgrowth_Native_ftrlWeight(JNIEnv *env, jclass cls, jlong m,
                                                              jint head, jint index)
{
    (void)cls;
    float w = 0.0f;
    /* A negative head becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_ftrl_weight(FTRL(m), (size_t)(jlong)head, (uint32_t)index, &w);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return w;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_ftrlSave(JNIEnv *env, jclass cls, jlong m,
                                                          jbyteArray path)
{
    (void)cls;
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return;
    int rc = growth_ftrl_save(FTRL(m), p);
    free(p);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_ftrlExportWeights(JNIEnv *env, jclass cls,
                                                                   jlong m, jbyteArray path)
{
    (void)cls;
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return;
    int rc = growth_ftrl_export_weights(FTRL(m), p);
    free(p);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_ftrlSerialize(JNIEnv *env, jclass cls,
                                                                     jlong m)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_ftrl_serialize(FTRL(m), &buf, &len);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    if (len > (size_t)INT32_MAX) {
        growth_buffer_free(buf);
        throw_status(env, GROWTH_ENOMEM, "Ftrl.serialize: model exceeds a Java array (2 GiB)");
        return NULL;
    }
    jbyteArray out = bytes_of(env, (const char *)buf, len);
    growth_buffer_free(buf);
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_esmmPredict(JNIEnv *env, jclass cls,
                                                                    jlong ctr, jint ctr_head,
                                                                    jlong cvr, jint cvr_head,
                                                                    jintArray idx,
                                                                    jfloatArray val)
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
        rc = growth_ftrl_esmm_predict(FTRL(ctr), (size_t)(jlong)ctr_head, FTRL(cvr),
                                      (size_t)(jlong)cvr_head, (const uint32_t *)pi, pv,
                                      (size_t)nnz, res, 3);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    (*env)->SetFloatArrayRegion(env, out, 0, 3, res);
    return out;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_esmmUpdate(JNIEnv *env, jclass cls, jlong m,
                                                            jint ctr_head, jint cvr_head,
                                                            jintArray idx, jfloatArray val,
                                                            jfloat click, jfloat conversion,
                                                            jfloat weight)
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
        rc = growth_ftrl_esmm_update(FTRL(m), (size_t)(jlong)ctr_head, (size_t)(jlong)cvr_head,
                                     (const uint32_t *)pi, pv, (size_t)nnz, click, conversion,
                                     weight);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* ---- metrics.h ---------------------------------------------------------------------------- */

/* Checks scores/labels (non-NULL, same length n), weights (NULL or n) and groups (named gname;
 * if need_groups: non-NULL, n). Returns 0 or -1 (thrown). */
static int check_metric_args_named(JNIEnv *env, const char *who, jfloatArray scores,
                                   jfloatArray labels, jfloatArray weights, jlongArray groups,
                                   const char *gname, int need_groups, jsize *n)
{
    if (scores == NULL || labels == NULL) {
        throw_npe(env, scores == NULL ? "scores" : "labels");
        return -1;
    }
    if (need_groups && groups == NULL) {
        throw_npe(env, gname);
        return -1;
    }
    *n = len_of(env, scores);
    jsize nl = len_of(env, labels);
    if (nl != *n) {
        throw_einval(env, "%s: scores has %d entries but labels has %d", who, (int)*n, (int)nl);
        return -1;
    }
    if (weights != NULL && len_of(env, weights) != *n) {
        throw_einval(env, "%s: scores has %d entries but weights has %d", who, (int)*n,
                     (int)len_of(env, weights));
        return -1;
    }
    if (groups != NULL && len_of(env, groups) != *n) {
        throw_einval(env, "%s: scores has %d entries but %s has %d", who, (int)*n, gname,
                     (int)len_of(env, groups));
        return -1;
    }
    return 0;
}

static int check_metric_args(JNIEnv *env, const char *who, jfloatArray scores,
                             jfloatArray labels, jfloatArray weights, jlongArray groups,
                             int need_groups, jsize *n)
{
    return check_metric_args_named(env, who, scores, labels, weights, groups, "groups",
                                   need_groups, n);
}

typedef int (*metric_fn)(const float *, const float *, const float *, size_t, double *);

static jdouble metric(JNIEnv *env, const char *who, metric_fn fn, jfloatArray scores,
                      jfloatArray labels, jfloatArray weights)
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

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_auc(JNIEnv *env, jclass cls,
                                                        jfloatArray scores, jfloatArray labels,
                                                        jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.auc", growth_metrics_auc, scores, labels, weights);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_gauc(JNIEnv *env, jclass cls,
                                                              jfloatArray scores,
                                                              jfloatArray labels,
                                                              jfloatArray weights,
                                                              jlongArray groups)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args(env, "Metrics.gauc", scores, labels, weights, groups, 1, &n))
        return NULL;
    jdoubleArray out = (*env)->NewDoubleArray(env, 2);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *s = pin(&ps, scores, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    const jlong *g = pin(&ps, groups, n, 'J', 0);
    double v = 0.0;
    size_t used = 0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_metrics_gauc(s, l, w, (const int64_t *)g, (size_t)n, &v, &used);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    jdouble res[2] = {v, (jdouble)used};
    (*env)->SetDoubleArrayRegion(env, out, 0, 2, res);
    return out;
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_logLoss(JNIEnv *env, jclass cls,
                                                            jfloatArray probs, jfloatArray labels,
                                                            jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.logLoss", growth_metrics_logloss, probs, labels, weights);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_normalizedEntropy(JNIEnv *env, jclass cls,
                                                                      jfloatArray probs,
                                                                      jfloatArray labels,
                                                                      jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.normalizedEntropy", growth_metrics_normalized_entropy, probs, labels,
                  weights);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_calibrationRatio(JNIEnv *env, jclass cls,
                                                                     jfloatArray probs,
                                                                     jfloatArray labels,
                                                                     jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.calibrationRatio", growth_metrics_pcoc, probs, labels,
                  weights);
}

/* ---- shared by the modules below ---------------------------------------------------------- */

/* An optional array (NULL allowed) must have `expect` entries; a required one must be non-NULL.
 * Returns 0 or -1 (thrown). */
static int check_len(JNIEnv *env, const char *who, const char *name, jarray a, jlong expect,
                     int required)
{
    if (a == NULL) {
        if (required) {
            throw_npe(env, name);
            return -1;
        }
        return 0;
    }
    jsize n = len_of(env, a);
    if ((jlong)n != expect) {
        throw_einval(env, "%s: %s has %d entries, %lld expected", who, name, (int)n,
                     (long long)expect);
        return -1;
    }
    return 0;
}

/* Offsets of n groups into arrays of `limit` entries: n + 1 values, the first >= 0 (it may be
 * > 0), non-decreasing, the last <= limit. NULL when valid, else a static description. */
static const char *check_offsets(const jlong *ip, jsize n, jlong limit)
{
    if (ip[0] < 0) return "the first offset is negative";
    for (jsize r = 0; r < n; r++)
        if (ip[r + 1] < ip[r]) return "offsets must be non-decreasing";
    if (ip[n] > limit) return "the last offset exceeds the length of the per-option arrays";
    return NULL;
}

/* A malloc'ed buffer from a *_serialize call as a Java byte[] (the buffer is freed). */
static jbyteArray buffer_bytes(JNIEnv *env, const char *who, int rc, uint8_t *buf, size_t len)
{
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    if (len > (size_t)INT32_MAX) {
        growth_buffer_free(buf);
        char msg[160];
        snprintf(msg, sizeof msg, "%s: the state exceeds a Java array (2 GiB)", who);
        throw_status(env, GROWTH_ENOMEM, msg);
        return NULL;
    }
    jbyteArray out = bytes_of(env, (const char *)buf, len);
    growth_buffer_free(buf);
    return out;
}

/* Handle constructors/destructors through jlong, so one helper serves every module. */
typedef int (*create_fn)(jlong *out, const char *arg);
typedef int (*deser_fn)(jlong *out, const uint8_t *buf, size_t len);
typedef void (*free_fn)(jlong h);
typedef int (*save_fn)(jlong h, const char *path);

/* create_fn with a string argument (a configuration or a path). */
static jlong create_with(JNIEnv *env, create_fn fn, jbyteArray arg, const char *what)
{
    char *c = cstr_dup(env, arg, what);
    if (c == NULL) return 0;
    jlong h = 0;
    int rc = fn(&h, c);
    free(c);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return h;
}

static jlong deserialize_with(JNIEnv *env, deser_fn fn, free_fn fr, jbyteArray buf)
{
    if (buf == NULL) {
        throw_npe(env, "buf");
        return 0;
    }
    jsize n = len_of(env, buf);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const uint8_t *p = pin(&ps, buf, n, 'B', 0);
    jlong h = 0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = fn(&h, p, (size_t)n);
    if (pins_release(&ps)) {
        if (rc == GROWTH_OK) fr(h);
        return 0;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return h;
}

static void save_with(JNIEnv *env, save_fn fn, jlong h, jbyteArray path)
{
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return;
    int rc = fn(h, p);
    free(p);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

static jdoubleArray new_doubles(JNIEnv *env, const double *v, jsize n)
{
    jdoubleArray out = (*env)->NewDoubleArray(env, n);
    if (out != NULL && n > 0) (*env)->SetDoubleArrayRegion(env, out, 0, n, v);
    return out;
}

static jlongArray new_longs(JNIEnv *env, const uint64_t *v, jsize n)
{
    jlongArray out = (*env)->NewLongArray(env, n);
    if (out != NULL && n > 0) (*env)->SetLongArrayRegion(env, out, 0, n, (const jlong *)v);
    return out;
}

/* ---- calibration.h ------------------------------------------------------------------------ */

static int calib_create(jlong *out, const char *config)
{
    growth_calibrator *c = NULL;
    int rc = growth_calibrator_create(&c, config);
    *out = HANDLE(c);
    return rc;
}

static int calib_load(jlong *out, const char *path)
{
    growth_calibrator *c = NULL;
    int rc = growth_calibrator_load(&c, path);
    *out = HANDLE(c);
    return rc;
}

static int calib_deser(jlong *out, const uint8_t *buf, size_t len)
{
    growth_calibrator *c = NULL;
    int rc = growth_calibrator_deserialize(&c, buf, len);
    *out = HANDLE(c);
    return rc;
}

static void calib_free(jlong h)
{
    growth_calibrator_free(CALIB(h));
}

static int calib_save(jlong h, const char *path)
{
    return growth_calibrator_save(CALIB(h), path);
}

static int text_calib_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_calibrator_config(CALIB(h), b, c, n);
}

static int text_calib_summary(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_calibrator_summary(CALIB(h), b, c, n);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_calibratorCreate(JNIEnv *env, jclass cls,
                                                                   jbyteArray config)
{
    (void)cls;
    return create_with(env, calib_create, config, "config");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_calibratorLoad(JNIEnv *env, jclass cls,
                                                                 jbyteArray path)
{
    (void)cls;
    return create_with(env, calib_load, path, "path");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_calibratorDeserialize(JNIEnv *env, jclass cls,
                                                                        jbyteArray buf)
{
    (void)cls;
    return deserialize_with(env, calib_deser, calib_free, buf);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_calibratorFree(JNIEnv *env, jclass cls, jlong c)
{
    (void)env;
    (void)cls;
    growth_calibrator_free(CALIB(c));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_calibratorConfig(JNIEnv *env, jclass cls,
                                                                        jlong c)
{
    (void)cls;
    return text_bytes(env, text_calib_config, c, 0);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_calibratorSummary(JNIEnv *env,
                                                                         jclass cls, jlong c)
{
    (void)cls;
    return text_bytes(env, text_calib_summary, c, 0);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_calibratorFit(JNIEnv *env, jclass cls, jlong c,
                                                               jfloatArray scores,
                                                               jfloatArray labels,
                                                               jfloatArray weights,
                                                               jlongArray fields)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args_named(env, "Calibrator.fit", scores, labels, weights, fields, "fields",
                                0, &n))
        return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY); /* sorts and fits: may run long */
    const jfloat *s = pin(&ps, scores, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    const jlong *f = pin(&ps, fields, n, 'J', 0);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_calibrator_fit(CALIB(c), s, l, w, (const int64_t *)f, (size_t)n);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_calibratorApply(JNIEnv *env, jclass cls,
                                                                    jlong c, jdouble score,
                                                                    jboolean has_field,
                                                                    jlong field)
{
    (void)cls;
    int64_t f = (int64_t)field;
    double out = 0.0;
    int rc = growth_calibrator_apply(CALIB(c), score, has_field ? &f : NULL, &out);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_calibratorApplyBatch(JNIEnv *env,
                                                                             jclass cls, jlong c,
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
        rc = growth_calibrator_apply_batch(CALIB(c), s, (const int64_t *)f, (size_t)n, o,
                                           (size_t)n);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_calibratorApplyBatchF64(
    JNIEnv *env, jclass cls, jlong c, jdoubleArray scores, jlongArray fields)
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
        rc = growth_calibrator_apply_batch_f64(CALIB(c), s, (const int64_t *)f, (size_t)n, o,
                                               (size_t)n);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_calibratorSigmoid(JNIEnv *env,
                                                                           jclass cls, jlong c)
{
    (void)cls;
    double v[2] = {0, 0};
    int rc = growth_calibrator_sigmoid(CALIB(c), &v[0], &v[1]);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, v, 2);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_calibratorKnots(JNIEnv *env,
                                                                         jclass cls, jlong c,
                                                                         jboolean has_field,
                                                                         jlong field)
{
    (void)cls;
    int64_t f = (int64_t)field;
    const int64_t *fp = has_field ? &f : NULL;
    size_t n = 0;
    int rc = growth_calibrator_knots(CALIB(c), fp, NULL, NULL, 0, &n);
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
    rc = growth_calibrator_knots(CALIB(c), fp, xy, xy + n, n, &got);
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

JNIEXPORT void JNICALL Java_org_libgrowth_Native_calibratorSave(JNIEnv *env, jclass cls, jlong c,
                                                                jbyteArray path)
{
    (void)cls;
    save_with(env, calib_save, c, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_calibratorSerialize(JNIEnv *env,
                                                                           jclass cls, jlong c)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_calibrator_serialize(CALIB(c), &buf, &len);
    return buffer_bytes(env, "Calibrator.serialize", rc, buf, len);
}

/* ---- metrics.h: calibration metrics ------------------------------------------------------- */

typedef int (*binned_fn)(const float *, const float *, const float *, size_t, const char *,
                         double *);

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

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_ece(JNIEnv *env, jclass cls,
                                                        jfloatArray probs, jfloatArray labels,
                                                        jfloatArray weights, jbyteArray config)
{
    (void)cls;
    return binned_metric(env, "Metrics.ece", growth_metrics_ece, probs, labels, weights, config);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_mce(JNIEnv *env, jclass cls,
                                                        jfloatArray probs, jfloatArray labels,
                                                        jfloatArray weights, jbyteArray config)
{
    (void)cls;
    return binned_metric(env, "Metrics.mce", growth_metrics_mce, probs, labels, weights, config);
}

/* {mean_prob[n], pos_rate[n], weight[n]}: the table's size is asked first (the EBUFS protocol
 * gives the exact row count), then the table is filled. */
JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_reliability(JNIEnv *env, jclass cls,
                                                                     jfloatArray probs,
                                                                     jfloatArray labels,
                                                                     jfloatArray weights,
                                                                     jbyteArray config)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args(env, "Metrics.reliability", probs, labels, weights, NULL, 0, &n))
        return NULL;
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
                rc = growth_metrics_reliability(p, l, w, (size_t)n, c, buf, buf + cap,
                                                buf + 2 * cap, cap, &nb);
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

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_fieldEce(JNIEnv *env, jclass cls,
                                                             jfloatArray probs,
                                                             jfloatArray labels,
                                                             jfloatArray weights,
                                                             jlongArray fields)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args_named(env, "Metrics.fieldEce", probs, labels, weights, fields,
                                "fields", 1, &n))
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

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_fieldRce(JNIEnv *env, jclass cls,
                                                                  jfloatArray probs,
                                                                  jfloatArray labels,
                                                                  jfloatArray weights,
                                                                  jlongArray fields)
{
    (void)cls;
    jsize n = 0;
    if (check_metric_args_named(env, "Metrics.fieldRce", probs, labels, weights, fields,
                                "fields", 1, &n))
        return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *p = pin(&ps, probs, n, 'F', 0);
    const jfloat *l = pin(&ps, labels, n, 'F', 0);
    const jfloat *w = pin(&ps, weights, n, 'F', 0);
    const jlong *f = pin(&ps, fields, n, 'J', 0);
    double v = 0.0;
    size_t used = 0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_metrics_field_rce(p, l, w, (const int64_t *)f, (size_t)n, &v, &used);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double res[2] = {v, (double)used};
    return new_doubles(env, res, 2);
}

/* ---- bandit.h ----------------------------------------------------------------------------- */
/* Every bandit call may wait on the handle's reader/writer lock or a stripe mutex: arrays are
 * pinned with Get<Type>ArrayElements, never critically. */

static int bandit_create(jlong *out, const char *config)
{
    growth_bandit *b = NULL;
    int rc = growth_bandit_create(&b, config);
    *out = HANDLE(b);
    return rc;
}

static int bandit_load(jlong *out, const char *path)
{
    growth_bandit *b = NULL;
    int rc = growth_bandit_load(&b, path);
    *out = HANDLE(b);
    return rc;
}

static int bandit_deser(jlong *out, const uint8_t *buf, size_t len)
{
    growth_bandit *b = NULL;
    int rc = growth_bandit_deserialize(&b, buf, len);
    *out = HANDLE(b);
    return rc;
}

static void bandit_free(jlong h)
{
    growth_bandit_free(BANDIT(h));
}

static int bandit_save(jlong h, const char *path)
{
    return growth_bandit_save(BANDIT(h), path);
}

static int text_bandit_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_bandit_config(BANDIT(h), b, c, n);
}

static int text_bandit_arm_name(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    return growth_bandit_arm_name(BANDIT(h), (uint64_t)arg, b, c, n);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_banditCreate(JNIEnv *env, jclass cls,
                                                               jbyteArray config)
{
    (void)cls;
    return create_with(env, bandit_create, config, "config");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_banditLoad(JNIEnv *env, jclass cls,
                                                             jbyteArray path)
{
    (void)cls;
    return create_with(env, bandit_load, path, "path");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_banditDeserialize(JNIEnv *env, jclass cls,
                                                                    jbyteArray buf)
{
    (void)cls;
    return deserialize_with(env, bandit_deser, bandit_free, buf);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditFree(JNIEnv *env, jclass cls, jlong b)
{
    (void)env;
    (void)cls;
    growth_bandit_free(BANDIT(b));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_banditConfig(JNIEnv *env, jclass cls,
                                                                    jlong b)
{
    (void)cls;
    return text_bytes(env, text_bandit_config, b, 0);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditAddArm(JNIEnv *env, jclass cls, jlong b,
                                                              jlong id, jdouble rate,
                                                              jdouble strength)
{
    (void)cls;
    int rc = growth_bandit_add_arm(BANDIT(b), (uint64_t)id, rate, strength);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_banditAddArmNamed(JNIEnv *env, jclass cls,
                                                                    jlong b, jbyteArray name,
                                                                    jdouble rate,
                                                                    jdouble strength)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return 0;
    uint64_t id = 0;
    int rc = growth_bandit_add_arm_named(BANDIT(b), s, rate, strength, &id);
    free(s);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return (jlong)id;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_banditNameId(JNIEnv *env, jclass cls,
                                                               jbyteArray name)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return 0;
    uint64_t id = growth_bandit_name_id(s);
    free(s);
    return (jlong)id;
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_banditArmName(JNIEnv *env, jclass cls,
                                                                     jlong b, jlong id)
{
    (void)cls;
    return text_bytes(env, text_bandit_arm_name, b, id);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditRemoveArm(JNIEnv *env, jclass cls,
                                                                 jlong b, jlong id)
{
    (void)cls;
    int rc = growth_bandit_remove_arm(BANDIT(b), (uint64_t)id);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditReplaceArm(JNIEnv *env, jclass cls,
                                                                  jlong b, jlong old_id,
                                                                  jlong new_id, jdouble rate,
                                                                  jdouble strength)
{
    (void)cls;
    int rc = growth_bandit_replace_arm(BANDIT(b), (uint64_t)old_id, (uint64_t)new_id, rate,
                                       strength);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* The arm count from growth_bandit_stats_get(), or -1 with an exception pending. */
static jint bandit_arm_count(JNIEnv *env, jlong b)
{
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    int rc = growth_bandit_stats_get(BANDIT(b), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    if (st.arms > (uint64_t)INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Bandit: more arms than a Java array holds");
        return -1;
    }
    return (jint)st.arms;
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_banditArmCount(JNIEnv *env, jclass cls, jlong b)
{
    (void)cls;
    return bandit_arm_count(env, b);
}

JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_banditArms(JNIEnv *env, jclass cls,
                                                                  jlong b)
{
    (void)cls;
    for (int attempt = 0; attempt < 3; attempt++) {
        size_t needed = 0;
        int rc = growth_bandit_arms(BANDIT(b), NULL, 0, &needed);
        if (rc != GROWTH_OK && rc != GROWTH_EBUFS) {
            throw_rc(env, rc);
            return NULL;
        }
        if (needed > (size_t)INT32_MAX) {
            throw_status(env, GROWTH_ENOMEM, "Bandit.arms: more arms than a Java array holds");
            return NULL;
        }
        uint64_t *ids = malloc((needed + 1) * sizeof *ids);
        if (ids == NULL) {
            throw_status(env, GROWTH_ENOMEM, "Bandit.arms: out of memory");
            return NULL;
        }
        size_t got = 0;
        rc = growth_bandit_arms(BANDIT(b), ids, needed, &got);
        if (rc == GROWTH_OK) {
            jlongArray out = new_longs(env, ids, (jsize)got);
            free(ids);
            return out;
        }
        free(ids);
        if (rc != GROWTH_EBUFS) {
            throw_rc(env, rc);
            return NULL;
        }
        /* arms were added meanwhile: ask again */
    }
    throw_status(env, GROWTH_EBUFS, "Bandit.arms: the arm set kept growing");
    return NULL;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditArmStats(JNIEnv *env, jclass cls,
                                                                        jlong b, jlong id)
{
    (void)cls;
    growth_bandit_arm_stats st = GROWTH_BANDIT_ARM_STATS_INIT;
    int rc = growth_bandit_arm_stats_get(BANDIT(b), (uint64_t)id, &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double v[4] = {st.alpha, st.beta, st.evidence, st.mean};
    return new_doubles(env, v, 4);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSelect(JNIEnv *env, jclass cls, jlong b,
                                                              jfloatArray context,
                                                              jlongArray eligible,
                                                              jlongArray out_ids,
                                                              jdoubleArray out_prop)
{
    (void)cls;
    if (out_ids == NULL || out_prop == NULL) {
        throw_npe(env, out_ids == NULL ? "out" : "propensity");
        return;
    }
    if (len_of(env, out_ids) < 2 || len_of(env, out_prop) < 1) {
        throw_einval(env, "Bandit.select: output arrays too short");
        return;
    }
    jsize dim = len_of(env, context), ne = len_of(env, eligible);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *x = pin(&ps, context, dim, 'F', 0);
    const jlong *e = pin(&ps, eligible, ne, 'J', 0);
    uint64_t res[2] = {0, 0};
    double prop = 0.0;
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_select(BANDIT(b), x, (size_t)dim, (const uint64_t *)e, (size_t)ne,
                                  &res[0], &res[1], &prop);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return;
    }
    (*env)->SetLongArrayRegion(env, out_ids, 0, 2, (const jlong *)res);
    (*env)->SetDoubleArrayRegion(env, out_prop, 0, 1, &prop);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSelectK(JNIEnv *env, jclass cls, jlong b,
                                                               jfloatArray context,
                                                               jlongArray eligible,
                                                               jbooleanArray mask, jint k,
                                                               jlongArray out_decisions,
                                                               jlongArray out_arms,
                                                               jdoubleArray out_props)
{
    (void)cls;
    const char *who = "Bandit.selectK";
    if (out_decisions == NULL || out_arms == NULL || out_props == NULL) {
        throw_npe(env, "outputs");
        return;
    }
    jsize cap = len_of(env, out_decisions);
    if (len_of(env, out_arms) != cap || len_of(env, out_props) != cap) {
        throw_einval(env, "%s: output arrays differ in length", who);
        return;
    }
    if (k < 0) {
        throw_einval(env, "%s: k = %d must be >= 1", who, (int)k);
        return;
    }
    jsize dim = len_of(env, context), ne = len_of(env, eligible), nm = len_of(env, mask);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *x = pin(&ps, context, dim, 'F', 0);
    const jlong *e = pin(&ps, eligible, ne, 'J', 0);
    const jboolean *m = pin(&ps, mask, nm, 'Z', 0);
    jlong *od = pin(&ps, out_decisions, cap, 'J', 1);
    jlong *oa = pin(&ps, out_arms, cap, 'J', 1);
    jdouble *op = pin(&ps, out_props, cap, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_select_k(BANDIT(b), x, (size_t)dim, (const uint64_t *)e, (size_t)ne,
                                    (const uint8_t *)m, (size_t)nm, (size_t)k, (uint64_t *)od,
                                    (uint64_t *)oa, op, (size_t)cap);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSelectBatch(JNIEnv *env, jclass cls,
                                                                   jlong b, jfloatArray contexts,
                                                                   jint n, jlongArray eligible,
                                                                   jlongArray out_decisions,
                                                                   jlongArray out_arms,
                                                                   jdoubleArray out_props)
{
    (void)cls;
    const char *who = "Bandit.selectBatch";
    if (out_decisions == NULL || out_arms == NULL || out_props == NULL) {
        throw_npe(env, "outputs");
        return;
    }
    jsize cap = len_of(env, out_decisions);
    if (len_of(env, out_arms) != cap || len_of(env, out_props) != cap) {
        throw_einval(env, "%s: output arrays differ in length", who);
        return;
    }
    if (n < 0) {
        throw_einval(env, "%s: n = %d must be >= 0", who, (int)n);
        return;
    }
    jsize nx = len_of(env, contexts), ne = len_of(env, eligible);
    jsize dim = 0;
    if (contexts != NULL) {
        if (n == 0 || nx % n != 0) {
            throw_einval(env, "%s: contexts has %d floats, not a multiple of n = %d", who,
                         (int)nx, (int)n);
            return;
        }
        dim = nx / n;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *x = pin(&ps, contexts, nx, 'F', 0);
    const jlong *e = pin(&ps, eligible, ne, 'J', 0);
    jlong *od = pin(&ps, out_decisions, cap, 'J', 1);
    jlong *oa = pin(&ps, out_arms, cap, 'J', 1);
    jdouble *op = pin(&ps, out_props, cap, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_select_batch(BANDIT(b), x, (size_t)dim, (size_t)n, (const uint64_t *)e,
                                        (size_t)ne, (uint64_t *)od, (uint64_t *)oa, op,
                                        (size_t)cap);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditProbabilities(
    JNIEnv *env, jclass cls, jlong b, jfloatArray context, jlongArray eligible, jlong draws,
    jlong seed)
{
    (void)cls;
    if (draws < 0) {
        throw_einval(env, "Bandit.probabilities: draws = %lld must be >= 0", (long long)draws);
        return NULL;
    }
    jsize dim = len_of(env, context), ne = len_of(env, eligible);
    jsize cap = ne;
    if (eligible == NULL) {
        jint na = bandit_arm_count(env, b);
        if (na < 0) return NULL;
        cap = na;
    }
    jdoubleArray out = (*env)->NewDoubleArray(env, cap);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *x = pin(&ps, context, dim, 'F', 0);
    const jlong *e = pin(&ps, eligible, ne, 'J', 0);
    jdouble *o = pin(&ps, out, cap, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_probabilities(BANDIT(b), x, (size_t)dim, (const uint64_t *)e,
                                         (size_t)ne, (size_t)draws, (uint64_t)seed, o,
                                         (size_t)cap);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditReward(JNIEnv *env, jclass cls, jlong b,
                                                              jlong decision, jdouble value)
{
    (void)cls;
    int rc = growth_bandit_reward(BANDIT(b), (uint64_t)decision, value);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_banditRewardBatch(JNIEnv *env, jclass cls,
                                                                        jlong b,
                                                                        jlongArray decisions,
                                                                        jdoubleArray values)
{
    (void)cls;
    const char *who = "Bandit.rewardBatch";
    if (decisions == NULL || values == NULL) {
        throw_npe(env, decisions == NULL ? "decisions" : "values");
        return NULL;
    }
    jsize n = len_of(env, decisions);
    if (check_len(env, who, "values", values, n, 1)) return NULL;
    jintArray out = (*env)->NewIntArray(env, n);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *d = pin(&ps, decisions, n, 'J', 0);
    const jdouble *v = pin(&ps, values, n, 'D', 0);
    jint *o = pin(&ps, out, n, 'I', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_reward_batch(BANDIT(b), (const uint64_t *)d, v, (size_t)n, (int *)o,
                                        NULL);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_banditStats(JNIEnv *env, jclass cls,
                                                                   jlong b)
{
    (void)cls;
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    int rc = growth_bandit_stats_get(BANDIT(b), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    /* {decisions, applied, unknown, expired, duplicate, retired, pending, arms} */
    uint64_t v[8] = {st.decisions, st.applied, st.unknown, st.expired,
                     st.duplicate, st.retired, st.pending, st.arms};
    return new_longs(env, v, 8);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSave(JNIEnv *env, jclass cls, jlong b,
                                                            jbyteArray path)
{
    (void)cls;
    save_with(env, bandit_save, b, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_banditSerialize(JNIEnv *env, jclass cls,
                                                                       jlong b)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_bandit_serialize(BANDIT(b), &buf, &len);
    return buffer_bytes(env, "Bandit.serialize", rc, buf, len);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_sampleBeta(JNIEnv *env, jclass cls,
                                                                    jlong seed, jdoubleArray a,
                                                                    jdoubleArray bb)
{
    (void)cls;
    if (a == NULL || bb == NULL) {
        throw_npe(env, a == NULL ? "a" : "b");
        return NULL;
    }
    jsize n = len_of(env, a);
    if (check_len(env, "Bandit.sampleBeta", "b", bb, n, 1)) return NULL;
    jdoubleArray out = (*env)->NewDoubleArray(env, n);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL); /* pure, short */
    const jdouble *pa = pin(&ps, a, n, 'D', 0);
    const jdouble *pb = pin(&ps, bb, n, 'D', 0);
    jdouble *o = pin(&ps, out, n, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_bandit_sample_beta((uint64_t)seed, pa, pb, (size_t)n, o, (size_t)n);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditOpe(JNIEnv *env, jclass cls,
                                                                   jbyteArray config,
                                                                   jint n_actions,
                                                                   jintArray actions,
                                                                   jdoubleArray rewards,
                                                                   jdoubleArray propensities,
                                                                   jdoubleArray target,
                                                                   jdoubleArray q_hat)
{
    (void)cls;
    const char *who = "Bandit.ope";
    if (actions == NULL) {
        throw_npe(env, "actions");
        return NULL;
    }
    if (n_actions < 0) {
        throw_einval(env, "%s: nActions = %d must be >= 1", who, (int)n_actions);
        return NULL;
    }
    jsize n = len_of(env, actions);
    jlong nt = (jlong)n * n_actions;
    if (check_len(env, who, "rewards", rewards, n, 1) ||
        check_len(env, who, "propensities", propensities, n, 1) ||
        check_len(env, who, "target", target, nt, 1) || check_len(env, who, "qHat", q_hat, nt, 0))
        return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *pa = pin(&ps, actions, n, 'I', 0);
    const jdouble *pr = pin(&ps, rewards, n, 'D', 0);
    const jdouble *pp = pin(&ps, propensities, n, 'D', 0);
    const jdouble *pt = pin(&ps, target, (jsize)nt, 'D', 0);
    const jdouble *pq = pin(&ps, q_hat, (jsize)nt, 'D', 0);
    double res[2] = {0, 0};
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_ope((size_t)n, (size_t)n_actions, (const uint32_t *)pa, pr, pp, pt, pq,
                               cfg, &res[0], &res[1]);
    free(cfg);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, res, 2);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditReplay(JNIEnv *env, jclass cls,
                                                                      jlong b,
                                                                      jfloatArray contexts,
                                                                      jlongArray arms,
                                                                      jdoubleArray rewards,
                                                                      jlongArray eligible)
{
    (void)cls;
    const char *who = "Bandit.replay";
    if (arms == NULL) {
        throw_npe(env, "arms");
        return NULL;
    }
    jsize n = len_of(env, arms);
    if (check_len(env, who, "rewards", rewards, n, 1)) return NULL;
    jsize nx = len_of(env, contexts), ne = len_of(env, eligible), dim = 0;
    if (contexts != NULL) {
        if (n == 0 || nx % n != 0) {
            throw_einval(env, "%s: contexts has %d floats, not a multiple of %d events", who,
                         (int)nx, (int)n);
            return NULL;
        }
        dim = nx / n;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *x = pin(&ps, contexts, nx, 'F', 0);
    const jlong *pa = pin(&ps, arms, n, 'J', 0);
    const jdouble *pr = pin(&ps, rewards, n, 'D', 0);
    const jlong *e = pin(&ps, eligible, ne, 'J', 0);
    double value = 0.0;
    size_t matched = 0;
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_replay(BANDIT(b), x, (size_t)dim, (const uint64_t *)pa, pr, (size_t)n,
                                  (const uint64_t *)e, (size_t)ne, &value, &matched);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double res[2] = {value, (double)matched};
    return new_doubles(env, res, 2);
}

/* ---- budget.h ----------------------------------------------------------------------------- */
/* Solves run long and take arrays of millions of options: pinned with Get<Type>ArrayElements. */

static int mckp_create(jlong *out, const char *config)
{
    growth_mckp *s = NULL;
    int rc = growth_mckp_create(&s, config);
    *out = HANDLE(s);
    return rc;
}

static int text_mckp_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_mckp_config(MCKP(h), b, c, n);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_mckpCreate(JNIEnv *env, jclass cls,
                                                             jbyteArray config)
{
    (void)cls;
    return create_with(env, mckp_create, config, "config");
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpFree(JNIEnv *env, jclass cls, jlong s)
{
    (void)env;
    (void)cls;
    growth_mckp_free(MCKP(s));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_mckpConfig(JNIEnv *env, jclass cls,
                                                                  jlong s)
{
    (void)cls;
    return text_bytes(env, text_mckp_config, s, 0);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpCancel(JNIEnv *env, jclass cls, jlong s)
{
    (void)cls;
    int rc = growth_mckp_cancel(MCKP(s));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* The progress callback of one solve: calls Native.progress(listener, stage, done) in the
 * solving thread. A listener that returns false or throws cancels the solve; its exception is
 * left pending and propagates instead of the library's "cancelled" status. */
typedef struct {
    jclass cls;
    jmethodID mid;
    jobject listener;
} jprogress;

static int progress_cb(const char *stage, double done, void *user_data)
{
    jprogress *p = user_data;
    JNIEnv *env = NULL;
    /* A library worker thread is unknown to the JVM: skip the report there. */
    if ((*g_vm)->GetEnv(g_vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK || env == NULL) return 0;
    if ((*env)->ExceptionCheck(env)) return 1;
    jbyteArray s = str_bytes(env, stage);
    if (s == NULL) return 1;
    jboolean go = (*env)->CallStaticBooleanMethod(env, p->cls, p->mid, p->listener, s,
                                                  (jdouble)done);
    (*env)->DeleteLocalRef(env, s);
    if ((*env)->ExceptionCheck(env)) return 1;
    return go ? 0 : 1;
}

/* Checks the CSR instance shared by solve/shard calls. Returns 0 or -1 (thrown). */
static int check_mckp_input(JNIEnv *env, const char *who, jlongArray indptr, jdoubleArray values,
                            jdoubleArray costs, jlong k, jsize *n_users)
{
    if (indptr == NULL || values == NULL || costs == NULL) {
        throw_npe(env, indptr == NULL ? "indptr" : values == NULL ? "values" : "costs");
        return -1;
    }
    jsize nip = len_of(env, indptr);
    if (nip < 2) {
        throw_einval(env, "%s: indptr needs n_users + 1 >= 2 entries, has %d", who, (int)nip);
        return -1;
    }
    *n_users = nip - 1;
    jsize nv = len_of(env, values);
    if (k >= 1 && check_len(env, who, "costs", costs, (jlong)nv * k, 1)) return -1;
    return 0;
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_mckpSolve(JNIEnv *env, jclass cls, jlong s,
                                                                jlongArray indptr,
                                                                jdoubleArray values,
                                                                jdoubleArray costs,
                                                                jdoubleArray budgets,
                                                                jobject listener)
{
    const char *who = "Mckp.solve";
    if (budgets == NULL) {
        throw_npe(env, "budgets");
        return NULL;
    }
    jsize k = len_of(env, budgets), n = 0;
    if (check_mckp_input(env, who, indptr, values, costs, k, &n)) return NULL;
    jsize nv = len_of(env, values), nc = len_of(env, costs);
    jintArray out = (*env)->NewIntArray(env, n);
    if (out == NULL) return NULL;
    jprogress prog = {cls, NULL, listener};
    if (listener != NULL) {
        prog.mid = (*env)->GetStaticMethodID(env, cls, "progress",
                                             "(Ljava/lang/Object;[BD)Z");
        if (prog.mid == NULL) return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, n + 1, 'J', 0);
    const jdouble *v = pin(&ps, values, nv, 'D', 0);
    const jdouble *c = pin(&ps, costs, nc, 'D', 0);
    const jdouble *b = pin(&ps, budgets, k, 'D', 0);
    jint *o = pin(&ps, out, n, 'I', 1);
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_offsets(ip, n, nv);
        if (bad == NULL) {
            if (listener != NULL) growth_mckp_set_progress(MCKP(s), progress_cb, &prog);
            rc = growth_mckp_solve(MCKP(s), (const uint64_t *)ip, (size_t)n, v, c, (size_t)k, b,
                                   (int32_t *)o, (size_t)n);
            if (listener != NULL) {
                /* keep the solve's message: clearing the callback must not overwrite it */
                char msg[512];
                snprintf(msg, sizeof msg, "%s", rc != GROWTH_OK ? growth_last_error() : "");
                growth_mckp_set_progress(MCKP(s), NULL, NULL);
                if (pins_release(&ps)) return NULL;
                if (rc != GROWTH_OK) {
                    throw_status(env, rc, msg);
                    return NULL;
                }
                return out;
            }
        }
    }
    if (pins_release(&ps)) return NULL;
    if (bad != NULL) {
        throw_einval(env, "%s: indptr: %s", who, bad);
        return NULL;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpResult(JNIEnv *env, jclass cls,
                                                                    jlong s)
{
    (void)cls;
    growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
    int rc = growth_mckp_result_get(MCKP(s), &r);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double v[10] = {r.value,           r.lp_value,          r.dual_bound,   r.gap,
                    r.rel_gap,         (double)r.n_users,   (double)r.n_chosen,
                    (double)r.iterations, (double)r.fractional, (double)r.n_budgets};
    return new_doubles(env, v, 10);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpDuals(JNIEnv *env, jclass cls,
                                                                   jlong s, jint k)
{
    (void)cls;
    if (k < 1 || k > 64) {
        throw_einval(env, "Mckp.duals: %d budgets, 1..64 expected", (int)k);
        return NULL;
    }
    double buf[2 * 64];
    int rc = growth_mckp_duals(MCKP(s), buf, buf + k, (size_t)k);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, buf, 2 * k);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpShardEval(JNIEnv *env, jclass cls, jlong s,
                                                               jlongArray indptr,
                                                               jdoubleArray values,
                                                               jdoubleArray costs, jint k,
                                                               jdoubleArray lambda,
                                                               jdoubleArray out_spend,
                                                               jdoubleArray out_value,
                                                               jdoubleArray out_dual)
{
    (void)cls;
    const char *who = "Mckp.shardEval";
    jsize n = 0;
    if (lambda == NULL) {
        throw_npe(env, "lambda");
        return;
    }
    if (k < 1) {
        throw_einval(env, "%s: nBudgets = %d must be >= 1", who, (int)k);
        return;
    }
    if (check_mckp_input(env, who, indptr, values, costs, k, &n)) return;
    jsize nl = len_of(env, lambda);
    if (nl % k != 0) {
        throw_einval(env, "%s: lambda has %d prices, not a multiple of %d budgets", who, (int)nl,
                     (int)k);
        return;
    }
    jsize np = nl / k;
    if (check_len(env, who, "spend", out_spend, nl, 0) ||
        check_len(env, who, "value", out_value, np, 0) ||
        check_len(env, who, "dual", out_dual, np, 0))
        return;
    jsize nv = len_of(env, values), nc = len_of(env, costs);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, n + 1, 'J', 0);
    const jdouble *v = pin(&ps, values, nv, 'D', 0);
    const jdouble *c = pin(&ps, costs, nc, 'D', 0);
    const jdouble *l = pin(&ps, lambda, nl, 'D', 0);
    jdouble *os = pin(&ps, out_spend, nl, 'D', 1);
    jdouble *ov = pin(&ps, out_value, np, 'D', 1);
    jdouble *od = pin(&ps, out_dual, np, 'D', 1);
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_offsets(ip, n, nv);
        if (bad == NULL)
            rc = growth_mckp_shard_eval(MCKP(s), (const uint64_t *)ip, (size_t)n, v, c, (size_t)k,
                                        l, (size_t)np, os, ov, od);
    }
    if (pins_release(&ps)) return;
    if (bad != NULL)
        throw_einval(env, "%s: indptr: %s", who, bad);
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_mckpShardAssign(JNIEnv *env, jclass cls,
                                                                    jlong s, jlongArray indptr,
                                                                    jdoubleArray values,
                                                                    jdoubleArray costs,
                                                                    jdoubleArray lambda,
                                                                    jintArray out_choice,
                                                                    jdoubleArray out_spend)
{
    (void)cls;
    const char *who = "Mckp.shardAssign";
    jsize n = 0;
    if (lambda == NULL || out_choice == NULL) {
        throw_npe(env, lambda == NULL ? "lambda" : "choice");
        return 0.0;
    }
    jsize k = len_of(env, lambda);
    if (check_mckp_input(env, who, indptr, values, costs, k, &n)) return 0.0;
    if (check_len(env, who, "choice", out_choice, n, 1) ||
        check_len(env, who, "spend", out_spend, k, 0))
        return 0.0;
    jsize nv = len_of(env, values), nc = len_of(env, costs);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, n + 1, 'J', 0);
    const jdouble *v = pin(&ps, values, nv, 'D', 0);
    const jdouble *c = pin(&ps, costs, nc, 'D', 0);
    const jdouble *l = pin(&ps, lambda, k, 'D', 0);
    jint *oc = pin(&ps, out_choice, n, 'I', 1);
    jdouble *os = pin(&ps, out_spend, k, 'D', 1);
    double value = 0.0;
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_offsets(ip, n, nv);
        if (bad == NULL)
            rc = growth_mckp_shard_assign(MCKP(s), (const uint64_t *)ip, (size_t)n, v, c,
                                          (size_t)k, l, (int32_t *)oc, (size_t)n, os, &value);
    }
    if (pins_release(&ps)) return 0.0;
    if (bad != NULL)
        throw_einval(env, "%s: indptr: %s", who, bad);
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
    return value;
}

static int channels_create(jlong *out, const char *config)
{
    growth_channels *c = NULL;
    int rc = growth_channels_create(&c, config);
    *out = HANDLE(c);
    return rc;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_channelsCreate(JNIEnv *env, jclass cls,
                                                                 jbyteArray config)
{
    (void)cls;
    return create_with(env, channels_create, config, "config");
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_channelsFree(JNIEnv *env, jclass cls, jlong c)
{
    (void)env;
    (void)cls;
    growth_channels_free(CHANNELS(c));
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_channelsCount(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    growth_channels_stats st = GROWTH_CHANNELS_STATS_INIT;
    int rc = growth_channels_stats_get(CHANNELS(c), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)st.channels; /* at most INT32_MAX channels */
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_channelsAdd(JNIEnv *env, jclass cls, jlong c,
                                                             jint kind, jdouble a, jdouble b,
                                                             jdouble weight, jdouble min_spend,
                                                             jdouble max_spend)
{
    (void)cls;
    size_t index = 0;
    int rc = growth_channels_add(CHANNELS(c), (growth_curve)kind, a, b, weight, min_spend,
                                 max_spend, &index);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)index;
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_channelsAddPoints(JNIEnv *env, jclass cls,
                                                                   jlong c, jdoubleArray x,
                                                                   jdoubleArray y,
                                                                   jdouble weight,
                                                                   jdouble min_spend,
                                                                   jdouble max_spend)
{
    (void)cls;
    if (x == NULL || y == NULL) {
        throw_npe(env, x == NULL ? "x" : "y");
        return -1;
    }
    jsize n = len_of(env, x);
    if (check_len(env, "Channels.addPoints", "y", y, n, 1)) return -1;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jdouble *px = pin(&ps, x, n, 'D', 0);
    const jdouble *py = pin(&ps, y, n, 'D', 0);
    int rc = GROWTH_OK;
    size_t index = 0;
    if (!ps.failed)
        rc = growth_channels_add_points(CHANNELS(c), px, py, (size_t)n, weight, min_spend,
                                        max_spend, &index);
    if (pins_release(&ps)) return -1;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)index;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_channelsAllocate(JNIEnv *env,
                                                                          jclass cls, jlong c,
                                                                          jdouble budget,
                                                                          jdoubleArray out_spend,
                                                                          jdoubleArray
                                                                              out_outcome)
{
    (void)cls;
    if (out_spend == NULL) {
        throw_npe(env, "spend");
        return NULL;
    }
    jsize cap = len_of(env, out_spend);
    if (check_len(env, "Channels.allocate", "outcome", out_outcome, cap, 0)) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    jdouble *os = pin(&ps, out_spend, cap, 'D', 1);
    jdouble *oo = pin(&ps, out_outcome, cap, 'D', 1);
    double res[2] = {0, 0};
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_channels_allocate(CHANNELS(c), budget, os, oo, (size_t)cap, &res[0], &res[1]);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, res, 2);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_channelsCurve(JNIEnv *env, jclass cls, jlong c,
                                                               jdoubleArray budgets,
                                                               jdoubleArray out_total,
                                                               jdoubleArray out_marginal,
                                                               jdoubleArray out_spend)
{
    (void)cls;
    const char *who = "Channels.curve";
    if (budgets == NULL || out_total == NULL || out_marginal == NULL) {
        throw_npe(env, budgets == NULL ? "budgets" : "outputs");
        return;
    }
    jsize n = len_of(env, budgets), ns = len_of(env, out_spend);
    if (check_len(env, who, "total", out_total, n, 1) ||
        check_len(env, who, "marginal", out_marginal, n, 1))
        return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jdouble *b = pin(&ps, budgets, n, 'D', 0);
    jdouble *ot = pin(&ps, out_total, n, 'D', 1);
    jdouble *om = pin(&ps, out_marginal, n, 'D', 1);
    jdouble *os = pin(&ps, out_spend, ns, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_channels_curve(CHANNELS(c), b, (size_t)n, ot, om, os, (size_t)ns);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_pushAllocate(
    JNIEnv *env, jclass cls, jbyteArray config, jlongArray user_ptr, jdoubleArray values,
    jintArray category, jintArray caps, jint n_categories, jdoubleArray cat_min,
    jdoubleArray cat_max, jdouble volume, jdoubleArray hours, jbooleanArray out_send,
    jbyteArray out_hour)
{
    (void)cls;
    const char *who = "Budget.push";
    if (user_ptr == NULL || values == NULL || category == NULL || out_send == NULL) {
        throw_npe(env, user_ptr == NULL ? "userPtr"
                       : values == NULL ? "values"
                       : category == NULL ? "category"
                                          : "send");
        return NULL;
    }
    jsize nip = len_of(env, user_ptr);
    if (nip < 2) {
        throw_einval(env, "%s: userPtr needs n_users + 1 >= 2 entries, has %d", who, (int)nip);
        return NULL;
    }
    jsize n = nip - 1, nv = len_of(env, values), cap = len_of(env, out_send);
    if (n_categories < 0) {
        throw_einval(env, "%s: nCategories = %d must be >= 1", who, (int)n_categories);
        return NULL;
    }
    if (check_len(env, who, "category", category, nv, 1) ||
        check_len(env, who, "caps", caps, n, 0) ||
        check_len(env, who, "catMin", cat_min, n_categories, 0) ||
        check_len(env, who, "catMax", cat_max, n_categories, 0) ||
        check_len(env, who, "hours", hours, (jlong)n * 24, 0) ||
        check_len(env, who, "hour", out_hour, cap, 0))
        return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *up = pin(&ps, user_ptr, nip, 'J', 0);
    const jdouble *v = pin(&ps, values, nv, 'D', 0);
    const jint *cat = pin(&ps, category, nv, 'I', 0);
    const jint *cp = pin(&ps, caps, n, 'I', 0);
    const jdouble *lo = pin(&ps, cat_min, n_categories, 'D', 0);
    const jdouble *hi = pin(&ps, cat_max, n_categories, 'D', 0);
    const jdouble *hr = pin(&ps, hours, (jsize)((jlong)n * 24), 'D', 0);
    jboolean *os = pin(&ps, out_send, cap, 'Z', 1);
    jbyte *oh = pin(&ps, out_hour, cap, 'B', 1);
    growth_budget_push_result r = GROWTH_BUDGET_PUSH_RESULT_INIT;
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_offsets(up, n, nv);
        if (bad == NULL)
            rc = growth_budget_allocate_push((const uint64_t *)up, (size_t)n, v, (const int32_t *)cat,
                                             (const int32_t *)cp, (size_t)n_categories, lo, hi,
                                             volume, hr, cfg, (uint8_t *)os, (int8_t *)oh,
                                             (size_t)cap, &r, NULL, NULL);
    }
    free(cfg);
    if (pins_release(&ps)) return NULL;
    if (bad != NULL) {
        throw_einval(env, "%s: userPtr: %s", who, bad);
        return NULL;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double res[5] = {(double)r.iterations, r.value, r.lp_value, r.gap, (double)r.sent};
    return new_doubles(env, res, 5);
}

/* ---- forest.h ----------------------------------------------------------------------------- */
/* Training and batch predictions run long (xgboost, threads): Get<Type>ArrayElements. The
 * native single-row prediction allocates nothing and takes no lock: critical pins, unless the
 * xgboost reference predictor is asked for. */

static int forest_load(jlong *out, const char *path)
{
    growth_forest *f = NULL;
    int rc = growth_forest_load(&f, path);
    *out = HANDLE(f);
    return rc;
}

static int forest_deser(jlong *out, const uint8_t *buf, size_t len)
{
    growth_forest *f = NULL;
    int rc = growth_forest_deserialize(&f, buf, len);
    *out = HANDLE(f);
    return rc;
}

static void forest_free(jlong h)
{
    growth_forest_free(FOREST(h));
}

static int forest_save(jlong h, const char *path)
{
    return growth_forest_save(FOREST(h), path);
}

static int text_forest_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_forest_config(FOREST(h), b, c, n);
}

static int text_forest_objective(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_forest_objective(FOREST(h), b, c, n);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_forestTrain(JNIEnv *env, jclass cls,
                                                              jbyteArray config,
                                                              jbyteArray params, jfloatArray x,
                                                              jint nrows, jint ncols,
                                                              jfloatArray labels,
                                                              jfloatArray weights)
{
    (void)cls;
    const char *who = "Forest.train";
    if (x == NULL || labels == NULL) {
        throw_npe(env, x == NULL ? "X" : "y");
        return 0;
    }
    if (nrows < 1 || ncols < 1) {
        throw_einval(env, "%s: nrows = %d and ncols = %d must be >= 1", who, (int)nrows,
                     (int)ncols);
        return 0;
    }
    if (check_len(env, who, "X", x, (jlong)nrows * ncols, 1) ||
        check_len(env, who, "y", labels, nrows, 1) ||
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

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_forestLoad(JNIEnv *env, jclass cls,
                                                             jbyteArray path)
{
    (void)cls;
    return create_with(env, forest_load, path, "path");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_forestDeserialize(JNIEnv *env, jclass cls,
                                                                    jbyteArray buf)
{
    (void)cls;
    return deserialize_with(env, forest_deser, forest_free, buf);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_forestFree(JNIEnv *env, jclass cls, jlong f)
{
    (void)env;
    (void)cls;
    growth_forest_free(FOREST(f));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_forestConfig(JNIEnv *env, jclass cls,
                                                                    jlong f)
{
    (void)cls;
    return text_bytes(env, text_forest_config, f, 0);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_forestObjective(JNIEnv *env, jclass cls,
                                                                       jlong f)
{
    (void)cls;
    return text_bytes(env, text_forest_objective, f, 0);
}

/* Features and outputs per row of a forest (growth_forest_stats_get); -1 with an exception thrown. */
static int forest_sizes(JNIEnv *env, jlong f, int *nf, int *no)
{
    growth_forest_stats st = GROWTH_FOREST_STATS_INIT;
    int rc = growth_forest_stats_get(FOREST(f), &st);
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
JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_forestDims(JNIEnv *env, jclass cls,
                                                                 jlong f)
{
    (void)cls;
    growth_forest_stats st = GROWTH_FOREST_STATS_INIT;
    int rc = growth_forest_stats_get(FOREST(f), &st);
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

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_forestPredictRow(JNIEnv *env, jclass cls,
                                                                         jlong f, jfloatArray x,
                                                                         jint flags)
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
    if (!ps.failed)
        rc = growth_forest_predict(FOREST(f), px, (size_t)n, (unsigned)flags, po, (size_t)no);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_forestPredictDense(JNIEnv *env,
                                                                           jclass cls, jlong f,
                                                                           jfloatArray x,
                                                                           jint nrows, jint flags)
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
        rc = growth_forest_predict_dense(FOREST(f), px, (size_t)nrows, (size_t)nf,
                                         (unsigned)flags, po, (size_t)total);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_forestImportance(JNIEnv *env, jclass cls,
                                                                         jlong f, jbyteArray config)
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
    int rc = growth_forest_importance(FOREST(f), c, buf, (size_t)nf);
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

JNIEXPORT void JNICALL Java_org_libgrowth_Native_forestSave(JNIEnv *env, jclass cls, jlong f,
                                                            jbyteArray path)
{
    (void)cls;
    save_with(env, forest_save, f, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_forestSerialize(JNIEnv *env, jclass cls,
                                                                       jlong f)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_forest_serialize(FOREST(f), &buf, &len);
    return buffer_bytes(env, "Forest.serialize", rc, buf, len);
}

/* ---- nets.h ------------------------------------------------------------------------------- */
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
#define NET(h) ((growth_net *)JMODEL(h)->model)
#define DSSM(h) ((growth_dssm *)JMODEL(h)->model)

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
static jlong jmodel_open(JNIEnv *env, int dssm, jbyteArray path, jbyteArray buf,
                         jbyteArray ws_config)
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
        rc = dssm ? growth_dssm_load((growth_dssm **)&model, p)
                  : growth_net_load((growth_net **)&model, p);
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

static int net_save(jlong h, const char *path)
{
    return growth_net_save(NET(h), path);
}

static int dssm_save(jlong h, const char *path)
{
    return growth_dssm_save(DSSM(h), path);
}

static int text_net_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_net_config(NET(h), b, c, n);
}

static int text_dssm_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_dssm_config(DSSM(h), b, c, n);
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

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_netLoad(JNIEnv *env, jclass cls,
                                                          jbyteArray path, jbyteArray ws_config)
{
    (void)cls;
    if (path == NULL) {
        throw_npe(env, "path");
        return 0;
    }
    return jmodel_open(env, 0, path, NULL, ws_config);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_netDeserialize(JNIEnv *env, jclass cls,
                                                                 jbyteArray buf,
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

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_netConfig(JNIEnv *env, jclass cls,
                                                                 jlong h)
{
    (void)cls;
    return text_bytes(env, text_net_config, h, 0);
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

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_netPredict(JNIEnv *env, jclass cls,
                                                                   jlong h, jfloatArray x)
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

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_netPredictBatch(JNIEnv *env, jclass cls,
                                                                        jlong h, jfloatArray x,
                                                                        jint nrows)
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
    if (!ps.failed)
        rc = growth_net_predict_dense(NET(h), ws, px, (size_t)nrows, dd, po, (size_t)total);
    int failed = pins_release(&ps);
    ws_release(JMODEL(h), ws, temp);
    if (failed) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_netPredictWideDeep(
    JNIEnv *env, jclass cls, jlong h, jfloatArray x, jintArray cat_field, jintArray cat_id,
    jintArray wide_idx, jfloatArray wide_val)
{
    (void)cls;
    const char *who = "Net.predictWideDeep";
    jsize ncat = len_of(env, cat_field), nwide = len_of(env, wide_idx);
    if ((cat_field == NULL) != (cat_id == NULL)) {
        throw_npe(env, cat_field == NULL ? "catField" : "catId");
        return NULL;
    }
    if (check_len(env, who, "catId", cat_id, ncat, 0) ||
        check_len(env, who, "wideVal", wide_val, nwide, 0))
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
                                          (const uint32_t *)ci, (size_t)ncat,
                                          (const uint32_t *)wi, wv, (size_t)nwide, po,
                                          (size_t)od);
    int failed = pins_release(&ps);
    ws_release(JMODEL(h), ws, temp);
    if (failed) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_netSave(JNIEnv *env, jclass cls, jlong h,
                                                         jbyteArray path)
{
    (void)cls;
    save_with(env, net_save, h, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_netSerialize(JNIEnv *env, jclass cls,
                                                                    jlong h)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_net_serialize(NET(h), &buf, &len);
    return buffer_bytes(env, "Net.serialize", rc, buf, len);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_dssmLoad(JNIEnv *env, jclass cls,
                                                           jbyteArray path, jbyteArray ws_config)
{
    (void)cls;
    if (path == NULL) {
        throw_npe(env, "path");
        return 0;
    }
    return jmodel_open(env, 1, path, NULL, ws_config);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_dssmDeserialize(JNIEnv *env, jclass cls,
                                                                  jbyteArray buf,
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

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_dssmConfig(JNIEnv *env, jclass cls,
                                                                  jlong h)
{
    (void)cls;
    return text_bytes(env, text_dssm_config, h, 0);
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
static jfloatArray dssm_run(JNIEnv *env, const char *who, jlong h, growth_dssm_tower tower,
                            jbyteArray query, jbyteArray texts, jint n)
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

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_dssmEncode(JNIEnv *env, jclass cls,
                                                                   jlong h, jint tower,
                                                                   jbyteArray texts, jint n)
{
    (void)cls;
    return dssm_run(env, "DSSM.encode", h, (growth_dssm_tower)tower, NULL, texts, n);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_dssmScore(JNIEnv *env, jclass cls,
                                                                  jlong h, jbyteArray query,
                                                                  jbyteArray items, jint n)
{
    (void)cls;
    if (query == NULL) {
        throw_npe(env, "query");
        return NULL;
    }
    return dssm_run(env, "DSSM.score", h, GROWTH_DSSM_ITEM, query, items, n);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_dssmSave(JNIEnv *env, jclass cls, jlong h,
                                                          jbyteArray path)
{
    (void)cls;
    save_with(env, dssm_save, h, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_dssmSerialize(JNIEnv *env, jclass cls,
                                                                     jlong h)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_dssm_serialize(DSSM(h), &buf, &len);
    return buffer_bytes(env, "DSSM.serialize", rc, buf, len);
}

/* Word hashing of one text: {slot[0..k), count[0..k)} (slots < 2^31, counts are whole). */
JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_dssmHashText(JNIEnv *env, jclass cls,
                                                                   jbyteArray text, jint buckets,
                                                                   jlong seed)
{
    (void)cls;
    char *t = cstr_dup(env, text, "text");
    if (t == NULL) return NULL;
    size_t cap = 2 * strlen(t) + 4, n = 0;
    uint32_t *idx = NULL;
    float *val = NULL;
    int rc = GROWTH_ENOMEM;
    for (int attempt = 0; attempt < 2; attempt++) {
        free(idx);
        free(val);
        idx = malloc(cap * sizeof *idx);
        val = malloc(cap * sizeof *val);
        if (idx == NULL || val == NULL) {
            rc = GROWTH_ENOMEM;
            break;
        }
        rc = growth_features_hash_text(t, (uint32_t)buckets, (uint64_t)seed, idx, val, cap, &n);
        if (rc != GROWTH_EBUFS || n <= cap) break;
        cap = n;
    }
    free(t);
    jintArray out = NULL;
    if (rc == GROWTH_ENOMEM && (idx == NULL || val == NULL)) {
        throw_status(env, GROWTH_ENOMEM, "DSSM.hashText: out of memory");
    } else if (rc != GROWTH_OK) {
        throw_rc(env, rc);
    } else if (n > (size_t)INT32_MAX / 2) {
        throw_status(env, GROWTH_ENOMEM, "DSSM.hashText: too many slots for a Java array");
    } else {
        jint *v = malloc((2 * n + 1) * sizeof *v);
        if (v == NULL) {
            throw_status(env, GROWTH_ENOMEM, "DSSM.hashText: out of memory");
        } else {
            for (size_t i = 0; i < n; i++) {
                v[i] = (jint)idx[i];
                v[n + i] = (jint)val[i];
            }
            out = (*env)->NewIntArray(env, (jsize)(2 * n));
            if (out != NULL && n > 0) (*env)->SetIntArrayRegion(env, out, 0, (jsize)(2 * n), v);
            free(v);
        }
    }
    free(idx);
    free(val);
    return out;
}

/* ---- bidding.h ---------------------------------------------------------------------------- */
/* Bids are lock-free and allocation-free in the library: critical pins. The mutating calls take
 * the bidder's mutex for a short time; the files are read and written outside any pin. */

#define BIDDER(h) ((growth_bidder *)(intptr_t)(h))

static int bidder_create(jlong *out, const char *config)
{
    growth_bidder *b = NULL;
    int rc = growth_bidder_create(&b, config);
    *out = HANDLE(b);
    return rc;
}

static int bidder_load(jlong *out, const char *path)
{
    growth_bidder *b = NULL;
    int rc = growth_bidder_load(&b, path);
    *out = HANDLE(b);
    return rc;
}

static int bidder_deser(jlong *out, const uint8_t *buf, size_t len)
{
    growth_bidder *b = NULL;
    int rc = growth_bidder_deserialize(&b, buf, len);
    *out = HANDLE(b);
    return rc;
}

static void bidder_free(jlong h)
{
    growth_bidder_free(BIDDER(h));
}

static int bidder_save(jlong h, const char *path)
{
    return growth_bidder_save(BIDDER(h), path);
}

static int text_bidder_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_bidder_config(BIDDER(h), b, c, n);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_bidderCreate(JNIEnv *env, jclass cls,
                                                               jbyteArray config)
{
    (void)cls;
    return create_with(env, bidder_create, config, "config");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_bidderLoad(JNIEnv *env, jclass cls,
                                                             jbyteArray path)
{
    (void)cls;
    return create_with(env, bidder_load, path, "path");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_bidderDeserialize(JNIEnv *env, jclass cls,
                                                                    jbyteArray buf)
{
    (void)cls;
    return deserialize_with(env, bidder_deser, bidder_free, buf);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderFree(JNIEnv *env, jclass cls, jlong b)
{
    (void)env;
    (void)cls;
    growth_bidder_free(BIDDER(b));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_bidderConfig(JNIEnv *env, jclass cls,
                                                                    jlong b)
{
    (void)cls;
    return text_bytes(env, text_bidder_config, b, 0);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_bidderBid(JNIEnv *env, jclass cls, jlong b,
                                                              jdouble pctr, jdouble pcvr,
                                                              jdouble order_value,
                                                              jlong request_id)
{
    (void)cls;
    double bid = 0.0;
    int rc = growth_bidder_bid(BIDDER(b), pctr, pcvr, order_value, (uint64_t)request_id, &bid);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0.0;
    }
    return bid;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_bidderBidBatch(
    JNIEnv *env, jclass cls, jlong b, jdoubleArray pctr, jdoubleArray pcvr,
    jdoubleArray order_value, jlongArray request_ids)
{
    (void)cls;
    const char *who = "Bidder.bidBatch";
    if (pctr == NULL || pcvr == NULL) {
        throw_npe(env, pctr == NULL ? "pctr" : "pcvr");
        return NULL;
    }
    jsize n = len_of(env, pctr);
    if (check_len(env, who, "pcvr", pcvr, n, 1) ||
        check_len(env, who, "orderValue", order_value, n, 0) ||
        check_len(env, who, "requestIds", request_ids, n, 0))
        return NULL;
    jdoubleArray out = (*env)->NewDoubleArray(env, n);
    if (out == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const jdouble *a = pin(&ps, pctr, n, 'D', 0);
    const jdouble *c = pin(&ps, pcvr, n, 'D', 0);
    const jdouble *v = pin(&ps, order_value, n, 'D', 0);
    const jlong *ids = pin(&ps, request_ids, n, 'J', 0);
    jdouble *po = pin(&ps, out, n, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bidder_bid_batch(BIDDER(b), a, c, v, (const uint64_t *)ids, (size_t)n, po,
                                     (size_t)n);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

/* {multiplier, rate, spent, auctionResults} */
JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_bidderStats(JNIEnv *env, jclass cls,
                                                                     jlong b)
{
    (void)cls;
    growth_bidder_stats st = GROWTH_BIDDER_STATS_INIT;
    int rc = growth_bidder_stats_get(BIDDER(b), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double v[4] = {st.multiplier, st.rate, st.spent, (double)st.auction_results};
    return new_doubles(env, v, 4);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderRecord(JNIEnv *env, jclass cls, jlong b,
                                                              jdouble t, jdouble cost)
{
    (void)cls;
    int rc = growth_bidder_record_spend(BIDDER(b), t, cost);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderTick(JNIEnv *env, jclass cls, jlong b,
                                                            jdouble t)
{
    (void)cls;
    int rc = growth_bidder_tick(BIDDER(b), t);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderAuctionResult(JNIEnv *env, jclass cls,
                                                                     jlong b, jdouble bid,
                                                                     jboolean won,
                                                                     jdouble market_price)
{
    (void)cls;
    int rc = growth_bidder_record_auction(BIDDER(b), bid, won ? 1 : 0, market_price);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_bidderWinRate(JNIEnv *env, jclass cls,
                                                                  jlong b, jdouble price)
{
    (void)cls;
    double rate = 0.0;
    int rc = growth_bidder_win_rate(BIDDER(b), price, &rate);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return rate;
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_bidderPlan(JNIEnv *env, jclass cls, jlong b,
                                                               jdouble t)
{
    (void)cls;
    double planned = 0.0;
    int rc = growth_bidder_plan(BIDDER(b), t, &planned);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return planned;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderNewDay(JNIEnv *env, jclass cls, jlong b)
{
    (void)cls;
    int rc = growth_bidder_new_day(BIDDER(b));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_bidderSave(JNIEnv *env, jclass cls, jlong b,
                                                            jbyteArray path)
{
    (void)cls;
    save_with(env, bidder_save, b, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_bidderSerialize(JNIEnv *env, jclass cls,
                                                                       jlong b)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_bidder_serialize(BIDDER(b), &buf, &len);
    return buffer_bytes(env, "Bidder.serialize", rc, buf, len);
}

/* ---- recall.h ----------------------------------------------------------------------------- */
/* Searches take the index's reader lock, which waits for a running add, remove or compact, and
 * mutations take it exclusively: every call pins with copies, never critically. Results go into
 * output arrays the Java side allocates (k, or nq * k entries); the search returns `found`. */

#define INDEX(h) ((growth_index *)(intptr_t)(h))

static int index_create(jlong *out, const char *config)
{
    growth_index *ix = NULL;
    int rc = growth_index_create(&ix, config);
    *out = HANDLE(ix);
    return rc;
}

static int index_load(jlong *out, const char *path)
{
    growth_index *ix = NULL;
    int rc = growth_index_load(&ix, path);
    *out = HANDLE(ix);
    return rc;
}

static int index_deser(jlong *out, const uint8_t *buf, size_t len)
{
    growth_index *ix = NULL;
    int rc = growth_index_deserialize(&ix, buf, len);
    *out = HANDLE(ix);
    return rc;
}

static void index_free(jlong h)
{
    growth_index_free(INDEX(h));
}

static int index_save(jlong h, const char *path)
{
    return growth_index_save(INDEX(h), path);
}

static int text_index_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_index_config(INDEX(h), b, c, n);
}

/* The index's dimension; 0 with an exception pending on failure. */
static jlong index_dim(JNIEnv *env, jlong h)
{
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    int rc = growth_index_stats_get(INDEX(h), &st);
    uint64_t dim = st.dim;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    if (dim == 0) {
        throw_status(env, GROWTH_ESTATE, "index: dimension 0");
        return 0;
    }
    return (jlong)dim;
}

/* Rows of `dim` floats in `x` (required): the row count, or -1 (thrown). */
static jlong index_rows(JNIEnv *env, const char *who, const char *name, jlong h, jfloatArray x)
{
    if (x == NULL) {
        throw_npe(env, name);
        return -1;
    }
    jlong dim = index_dim(env, h);
    if (dim == 0) return -1;
    jsize len = len_of(env, x);
    if ((jlong)len % dim != 0) {
        throw_einval(env, "%s: %s has %d floats, not a multiple of dim=%lld", who, name,
                     (int)len, (long long)dim);
        return -1;
    }
    return (jlong)len / dim;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_indexCreate(JNIEnv *env, jclass cls,
                                                              jbyteArray config)
{
    (void)cls;
    return create_with(env, index_create, config, "config");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_indexLoad(JNIEnv *env, jclass cls,
                                                            jbyteArray path)
{
    (void)cls;
    return create_with(env, index_load, path, "path");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_indexDeserialize(JNIEnv *env, jclass cls,
                                                                   jbyteArray buf)
{
    (void)cls;
    return deserialize_with(env, index_deser, index_free, buf);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    growth_index_free(INDEX(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_indexConfig(JNIEnv *env, jclass cls,
                                                                   jlong h)
{
    (void)cls;
    return text_bytes(env, text_index_config, h, 0);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexSet(JNIEnv *env, jclass cls, jlong h,
                                                          jbyteArray config)
{
    (void)cls;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return;
    int rc = growth_index_set_config(INDEX(h), c);
    free(c);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexTrain(JNIEnv *env, jclass cls, jlong h,
                                                            jfloatArray x)
{
    (void)cls;
    jlong n = index_rows(env, "Index.train", "x", h, x);
    if (n < 0) return;
    jsize len = len_of(env, x);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *px = pin(&ps, x, len, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_index_train(INDEX(h), px, (size_t)n);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexAdd(JNIEnv *env, jclass cls, jlong h,
                                                          jfloatArray x, jlongArray ids)
{
    (void)cls;
    const char *who = "Index.add";
    jlong n = index_rows(env, who, "x", h, x);
    if (n < 0) return;
    if (check_len(env, who, "ids", ids, n, 0)) return;
    jsize len = len_of(env, x);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *px = pin(&ps, x, len, 'F', 0);
    const jlong *pi = pin(&ps, ids, (jsize)n, 'J', 0);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_index_add(INDEX(h), px, (size_t)n, (const int64_t *)pi);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_indexRemove(JNIEnv *env, jclass cls, jlong h,
                                                              jlongArray ids)
{
    (void)cls;
    if (ids == NULL) {
        throw_npe(env, "ids");
        return 0;
    }
    jsize n = len_of(env, ids);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *pi = pin(&ps, ids, n, 'J', 0);
    size_t removed = 0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_index_remove(INDEX(h), (const int64_t *)pi, (size_t)n, &removed);
    if (pins_release(&ps)) return 0;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return (jlong)removed;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexCompact(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    int rc = growth_index_compact(INDEX(h));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* Search of one query into ids[k] and scores[k]; returns found. */
JNIEXPORT jint JNICALL Java_org_libgrowth_Native_indexSearch(JNIEnv *env, jclass cls, jlong h,
                                                             jfloatArray q, jint k,
                                                             jlongArray ids, jfloatArray scores)
{
    (void)cls;
    const char *who = "Index.search";
    if (q == NULL) {
        throw_npe(env, "q");
        return 0;
    }
    jlong dim = index_dim(env, h);
    if (dim == 0) return 0;
    if ((jlong)len_of(env, q) != dim) {
        throw_einval(env, "%s: q has %d floats, dim=%lld expected", who, (int)len_of(env, q),
                     (long long)dim);
        return 0;
    }
    if (k < 0) {
        throw_einval(env, "%s: k=%d is negative", who, (int)k);
        return 0;
    }
    if (check_len(env, who, "ids", ids, k, 1) || check_len(env, who, "scores", scores, k, 1))
        return 0;
    jsize len = len_of(env, q);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *pq = pin(&ps, q, len, 'F', 0);
    jlong *pi = pin(&ps, ids, k, 'J', 1);
    jfloat *psc = pin(&ps, scores, k, 'F', 1);
    size_t found = 0;
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_index_search(INDEX(h), pq, (size_t)k, NULL, (int64_t *)pi, psc, (size_t)k,
                                 &found);
    if (pins_release(&ps)) return 0;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return (jint)found;
}

/* nq queries into ids[nq * k] and scores[nq * k] (padding -1 / NaN). */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexSearchBatch(JNIEnv *env, jclass cls,
                                                                  jlong h, jfloatArray q,
                                                                  jint nq, jint k,
                                                                  jlongArray ids,
                                                                  jfloatArray scores)
{
    (void)cls;
    const char *who = "Index.searchBatch";
    if (nq < 0 || k < 0) {
        throw_einval(env, "%s: nq=%d and k=%d must not be negative", who, (int)nq, (int)k);
        return;
    }
    jlong n = index_rows(env, who, "q", h, q);
    if (n < 0) return;
    if (n != nq) {
        throw_einval(env, "%s: q holds %lld rows of dim floats, nq=%d", who, (long long)n,
                     (int)nq);
        return;
    }
    jlong total = (jlong)nq * (jlong)k;
    if (check_len(env, who, "ids", ids, total, 1) ||
        check_len(env, who, "scores", scores, total, 1))
        return;
    jsize len = len_of(env, q);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *pq = pin(&ps, q, len, 'F', 0);
    jlong *pi = pin(&ps, ids, (jsize)total, 'J', 1);
    jfloat *psc = pin(&ps, scores, (jsize)total, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_index_search_batch(INDEX(h), pq, (size_t)nq, (size_t)k, NULL, (int64_t *)pi,
                                       psc, (size_t)total);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* {count, deleted, dim, memoryBytes} */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_indexStats(JNIEnv *env, jclass cls,
                                                                  jlong h)
{
    (void)cls;
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    int rc = growth_index_stats_get(INDEX(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[4] = {st.count, st.deleted, st.dim, st.memory_bytes};
    return new_longs(env, v, 4);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexSave(JNIEnv *env, jclass cls, jlong h,
                                                           jbyteArray path)
{
    (void)cls;
    save_with(env, index_save, h, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_indexSerialize(JNIEnv *env, jclass cls,
                                                                      jlong h)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_index_serialize(INDEX(h), &buf, &len);
    return buffer_bytes(env, "Index.serialize", rc, buf, len);
}

/* ---- text.h ------------------------------------------------------------------------------- */
/* Same pinning as recall.h: searches share a reader lock that waits for writers. Texts arrive
 * packed by Native.pack (each NUL-terminated UTF-8). */

#define TEXTIX(h) ((growth_text_index *)(intptr_t)(h))

static int textix_create(jlong *out, const char *config)
{
    growth_text_index *ix = NULL;
    int rc = growth_text_create(&ix, config);
    *out = HANDLE(ix);
    return rc;
}

static int textix_load(jlong *out, const char *path)
{
    growth_text_index *ix = NULL;
    int rc = growth_text_load(&ix, path);
    *out = HANDLE(ix);
    return rc;
}

static int textix_deser(jlong *out, const uint8_t *buf, size_t len)
{
    growth_text_index *ix = NULL;
    int rc = growth_text_deserialize(&ix, buf, len);
    *out = HANDLE(ix);
    return rc;
}

static void textix_free(jlong h)
{
    growth_text_free(TEXTIX(h));
}

static int textix_save(jlong h, const char *path)
{
    return growth_text_save(TEXTIX(h), path);
}

static int text_textix_config(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    (void)arg;
    return growth_text_config(TEXTIX(h), b, c, n);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_textCreate(JNIEnv *env, jclass cls,
                                                             jbyteArray config)
{
    (void)cls;
    return create_with(env, textix_create, config, "config");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_textLoad(JNIEnv *env, jclass cls,
                                                           jbyteArray path)
{
    (void)cls;
    return create_with(env, textix_load, path, "path");
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_textDeserialize(JNIEnv *env, jclass cls,
                                                                  jbyteArray buf)
{
    (void)cls;
    return deserialize_with(env, textix_deser, textix_free, buf);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    growth_text_free(TEXTIX(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_textConfig(JNIEnv *env, jclass cls,
                                                                  jlong h)
{
    (void)cls;
    return text_bytes(env, text_textix_config, h, 0);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textSet(JNIEnv *env, jclass cls, jlong h,
                                                         jbyteArray config)
{
    (void)cls;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return;
    int rc = growth_text_set_config(TEXTIX(h), c);
    free(c);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textAdd(JNIEnv *env, jclass cls, jlong h,
                                                         jlongArray ids, jbyteArray texts,
                                                         jint n)
{
    (void)cls;
    const char *who = "TextIndex.add";
    if (ids == NULL || texts == NULL) {
        throw_npe(env, ids == NULL ? "ids" : "texts");
        return;
    }
    if (n < 0) {
        throw_einval(env, "%s: n=%d is negative", who, (int)n);
        return;
    }
    if (check_len(env, who, "ids", ids, n, 1)) return;
    const char **ptrs = malloc(((size_t)n + 1) * sizeof *ptrs);
    if (ptrs == NULL) {
        throw_status(env, GROWTH_ENOMEM, "TextIndex.add: out of memory");
        return;
    }
    jsize len = len_of(env, texts);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *pi = pin(&ps, ids, n, 'J', 0);
    const char *pt = pin(&ps, texts, len, 'B', 0);
    int rc = GROWTH_OK, bad = 0;
    if (!ps.failed) {
        if (split_packed(pt, len, n, ptrs) != 0)
            bad = 1;
        else
            rc = growth_text_add(TEXTIX(h), (const int64_t *)pi, ptrs, (size_t)n);
    }
    int released = pins_release(&ps);
    free(ptrs);
    if (released) return;
    if (bad) {
        throw_einval(env, "%s: texts must hold %d NUL-terminated strings", who, (int)n);
        return;
    }
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* Removes ids (absent ones are skipped); returns how many were removed. */
JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_textDelete(JNIEnv *env, jclass cls, jlong h,
                                                             jlongArray ids)
{
    (void)cls;
    if (ids == NULL) {
        throw_npe(env, "ids");
        return 0;
    }
    jsize n = len_of(env, ids);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *pi = pin(&ps, ids, n, 'J', 0);
    size_t removed = 0;
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_text_remove(TEXTIX(h), (const int64_t *)pi, (size_t)n, &removed);
    if (pins_release(&ps)) return 0;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return (jlong)removed;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textCompact(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    int rc = growth_text_compact(TEXTIX(h));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* {docs, terms, postings} */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_textCount(JNIEnv *env, jclass cls,
                                                                 jlong h)
{
    (void)cls;
    growth_text_stats st = GROWTH_TEXT_STATS_INIT;
    int rc = growth_text_stats_get(TEXTIX(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[3] = {st.docs, st.terms, st.postings};
    return new_longs(env, v, 3);
}

/* Search into ids[k] and scores[k]; returns found. */
JNIEXPORT jint JNICALL Java_org_libgrowth_Native_textSearch(JNIEnv *env, jclass cls, jlong h,
                                                            jbyteArray query, jint k,
                                                            jlongArray ids, jfloatArray scores)
{
    (void)cls;
    const char *who = "TextIndex.search";
    if (k < 0) {
        throw_einval(env, "%s: k=%d is negative", who, (int)k);
        return 0;
    }
    if (check_len(env, who, "ids", ids, k, 1) || check_len(env, who, "scores", scores, k, 1))
        return 0;
    char *q = cstr_dup(env, query, "query");
    if (q == NULL) return 0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    jlong *pi = pin(&ps, ids, k, 'J', 1);
    jfloat *psc = pin(&ps, scores, k, 'F', 1);
    size_t found = 0;
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_text_search(TEXTIX(h), q, (size_t)k, NULL, (int64_t *)pi, psc, (size_t)k,
                                &found);
    free(q);
    if (pins_release(&ps)) return 0;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return (jint)found;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_textScore(JNIEnv *env, jclass cls,
                                                                  jlong h, jbyteArray query,
                                                                  jlongArray ids)
{
    (void)cls;
    if (ids == NULL) {
        throw_npe(env, "ids");
        return NULL;
    }
    jsize n = len_of(env, ids);
    jfloatArray out = (*env)->NewFloatArray(env, n);
    if (out == NULL) return NULL;
    char *q = cstr_dup(env, query, "query");
    if (q == NULL) return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *pi = pin(&ps, ids, n, 'J', 0);
    jfloat *po = pin(&ps, out, n, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_text_score(TEXTIX(h), q, (const int64_t *)pi, (size_t)n, po, (size_t)n);
    free(q);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textSave(JNIEnv *env, jclass cls, jlong h,
                                                          jbyteArray path)
{
    (void)cls;
    save_with(env, textix_save, h, path);
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_textSerialize(JNIEnv *env, jclass cls,
                                                                     jlong h)
{
    (void)cls;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = growth_text_serialize(TEXTIX(h), &buf, &len);
    return buffer_bytes(env, "TextIndex.serialize", rc, buf, len);
}

/* Fusion of ranked lists: the lists (ids[l], scores[l]) are copied to the C heap (their number
 * is not bounded by PIN_MAX); the fused top-k goes into outIds[k] and outScores[k]. */
JNIEXPORT jint JNICALL Java_org_libgrowth_Native_textFuse(JNIEnv *env, jclass cls,
                                                          jbyteArray config, jobjectArray ids,
                                                          jobjectArray scores,
                                                          jdoubleArray weights, jint k,
                                                          jlongArray out_ids,
                                                          jfloatArray out_scores)
{
    (void)cls;
    const char *who = "TextIndex.fuse";
    if (ids == NULL) {
        throw_npe(env, "ids");
        return 0;
    }
    if (k < 0) {
        throw_einval(env, "%s: k=%d is negative", who, (int)k);
        return 0;
    }
    jsize nl = len_of(env, ids);
    if (check_len(env, who, "scores", scores, nl, 0) ||
        check_len(env, who, "weights", weights, nl, 0) ||
        check_len(env, who, "outIds", out_ids, k, 1) ||
        check_len(env, who, "outScores", out_scores, k, 1))
        return 0;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return 0;
    size_t m = (size_t)nl + 1;
    int64_t **li = calloc(m, sizeof *li);
    float **ls = calloc(m, sizeof *ls);
    size_t *lens = calloc(m, sizeof *lens);
    double *w = calloc(m, sizeof *w);
    int64_t *oi = malloc(((size_t)k + 1) * sizeof *oi);
    float *os = malloc(((size_t)k + 1) * sizeof *os);
    int ok = li && ls && lens && w && oi && os;
    if (!ok) throw_status(env, GROWTH_ENOMEM, "TextIndex.fuse: out of memory");
    for (jsize l = 0; ok && l < nl; l++) {
        jlongArray a = (jlongArray)(*env)->GetObjectArrayElement(env, ids, l);
        if (a == NULL) {
            char name[32];
            snprintf(name, sizeof name, "ids[%d]", (int)l);
            throw_npe(env, name);
            ok = 0;
            break;
        }
        jsize n = len_of(env, a);
        lens[l] = (size_t)n;
        li[l] = malloc(((size_t)n + 1) * sizeof(int64_t));
        if (li[l] == NULL) {
            throw_status(env, GROWTH_ENOMEM, "TextIndex.fuse: out of memory");
            ok = 0;
        } else {
            (*env)->GetLongArrayRegion(env, a, 0, n, (jlong *)li[l]);
        }
        (*env)->DeleteLocalRef(env, a);
        if (!ok || scores == NULL) continue;
        jfloatArray s = (jfloatArray)(*env)->GetObjectArrayElement(env, scores, l);
        if (s == NULL) continue;
        if (len_of(env, s) != n) {
            throw_einval(env, "%s: scores[%d] has %d entries, %d expected", who, (int)l,
                         (int)len_of(env, s), (int)n);
            ok = 0;
        } else if ((ls[l] = malloc(((size_t)n + 1) * sizeof(float))) == NULL) {
            throw_status(env, GROWTH_ENOMEM, "TextIndex.fuse: out of memory");
            ok = 0;
        } else {
            (*env)->GetFloatArrayRegion(env, s, 0, n, ls[l]);
        }
        (*env)->DeleteLocalRef(env, s);
    }
    if (ok && weights != NULL) (*env)->GetDoubleArrayRegion(env, weights, 0, nl, w);
    size_t found = 0;
    int rc = GROWTH_OK;
    if (ok && !(*env)->ExceptionCheck(env)) {
        rc = growth_rank_fuse_lists((const int64_t *const *)li, scores ? (const float *const *)ls : NULL, lens, weights ? w : NULL, (size_t)nl, (size_t)k, c, oi, os, (size_t)k, &found);
        if (rc != GROWTH_OK) {
            throw_rc(env, rc);
        } else {
            (*env)->SetLongArrayRegion(env, out_ids, 0, (jsize)found, (const jlong *)oi);
            (*env)->SetFloatArrayRegion(env, out_scores, 0, (jsize)found, os);
        }
    }
    for (jsize l = 0; li && ls && l < nl; l++) {
        free(li[l]);
        free(ls[l]);
    }
    free(li);
    free(ls);
    free(lens);
    free(w);
    free(oi);
    free(os);
    free(c);
    return (*env)->ExceptionCheck(env) ? 0 : (jint)found;
}
