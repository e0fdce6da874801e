/*
 * JNI shim of the Java binding (package org.libgrowth, class Native). It uses only the public
 * API (<growth/growth.h>) and adds no logic of its own beyond argument checks:
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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "org_libgrowth_Native.h"

#define ROW(h) ((growth_row *)(intptr_t)(h))
#define FTRL(h) ((growth_ftrl *)(intptr_t)(h))
#define HANDLE(p) ((jlong)(intptr_t)(p))

static jclass g_exc_class;      /* org.libgrowth.GrowthException */
static jmethodID g_exc_init;    /* GrowthException(int code, byte[] utf8Message) */

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved)
{
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
    jclass c = (*env)->FindClass(env, "org/libgrowth/GrowthException");
    if (c == NULL) return JNI_ERR;
    g_exc_init = (*env)->GetMethodID(env, c, "<init>", "(I[B)V");
    if (g_exc_init == NULL) return JNI_ERR;
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

/* Throws GrowthException(code, msg) unless an exception is already pending. */
static void throw_status(JNIEnv *env, int code, const char *msg)
{
    if ((*env)->ExceptionCheck(env)) return;
    if (msg == NULL || msg[0] == '\0') msg = growth_strerror(code);
    jbyteArray b = str_bytes(env, msg);
    if (b == NULL) return; /* OutOfMemoryError pending */
    jobject e = (*env)->NewObject(env, g_exc_class, g_exc_init, (jint)code, b);
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

enum { PIN_MAX = 8 };
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
    return str_bytes(env, growth_kind_name(kind));
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
            rc = growth_feature_hash(&out, f, v, (uint64_t)seed, (unsigned)bits);
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
        rc = growth_feature_hash_cross(&out, ptrs, ptrs + n, (size_t)n, (uint64_t)seed,
                                       (unsigned)bits);
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

/* Effective configuration of a row (is_row) or a model, as UTF-8 bytes. */
static jbyteArray config_bytes(JNIEnv *env, int is_row, jlong h)
{
    char small[512];
    char *buf = small;
    size_t cap = sizeof small, needed = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc = is_row ? growth_row_config(ROW(h), buf, cap, &needed)
                        : growth_ftrl_config(FTRL(h), buf, cap, &needed);
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

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_ftrlHeads(JNIEnv *env, jclass cls, jlong m)
{
    (void)env;
    (void)cls;
    return growth_ftrl_heads(FTRL(m));
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_ftrlBits(JNIEnv *env, jclass cls, jlong m)
{
    (void)env;
    (void)cls;
    return growth_ftrl_bits(FTRL(m));
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_ftrlHeadIndex(JNIEnv *env, jclass cls, jlong m,
                                                               jbyteArray name)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return -1;
    int rc = growth_ftrl_head_index(FTRL(m), s);
    if (rc == GROWTH_ENOTFOUND) {
        /* Not every implementation records a message for a plain miss: say it here. */
        char buf[384];
        snprintf(buf, sizeof buf, "ftrl: no head named '%.300s'", s);
        free(s);
        throw_status(env, rc, buf);
        return -1;
    }
    free(s);
    if (rc < 0) throw_rc(env, rc);
    return rc;
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
    int h = growth_ftrl_heads(m);
    if (h <= 0) {
        throw_status(env, GROWTH_ESTATE, "ftrl: model reports no heads");
        return -1;
    }
    return h;
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

typedef int (*row_scorer)(const growth_ftrl *, const uint32_t *, const float *, size_t, float *,
                          size_t);

static jfloatArray score_row(JNIEnv *env, const char *who, row_scorer fn, jlong m, jintArray idx,
                             jfloatArray val)
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
        rc = fn(FTRL(m), (const uint32_t *)pi, pv, (size_t)nnz, po, (size_t)heads);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlPredict(JNIEnv *env, jclass cls,
                                                                    jlong m, jintArray idx,
                                                                    jfloatArray val)
{
    (void)cls;
    return score_row(env, "Ftrl.predict", growth_ftrl_predict, m, idx, val);
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_ftrlMargin(JNIEnv *env, jclass cls,
                                                                   jlong m, jintArray idx,
                                                                   jfloatArray val)
{
    (void)cls;
    return score_row(env, "Ftrl.margin", growth_ftrl_margin, m, idx, val);
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
            rc = growth_ftrl_predict_batch(FTRL(m), (const uint64_t *)pp, (const uint32_t *)pi,
                                           pv, (size_t)nrows, po, (size_t)total);
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
            rc = growth_ftrl_update_batch(FTRL(m), (const uint64_t *)pp, (const uint32_t *)pi, pv,
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

JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_ftrlStats(JNIEnv *env, jclass cls, jlong m)
{
    (void)cls;
    uint64_t ex = 0, nz = 0;
    int rc = growth_ftrl_stats(FTRL(m), &ex, &nz);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    jlongArray out = (*env)->NewLongArray(env, 2);
    if (out == NULL) return NULL;
    jlong v[2] = {(jlong)ex, (jlong)nz};
    (*env)->SetLongArrayRegion(env, out, 0, 2, v);
    return out;
}

JNIEXPORT jfloat JNICALL Java_org_libgrowth_Native_ftrlWeight(JNIEnv *env, jclass cls, jlong m,
                                                              jint head, jint index)
{
    (void)cls;
    float w = 0.0f;
    int rc = growth_ftrl_weight(FTRL(m), head, (uint32_t)index, &w);
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
        rc = growth_esmm_predict(FTRL(ctr), ctr_head, FTRL(cvr), cvr_head, (const uint32_t *)pi,
                                 pv, (size_t)nnz, res);
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
        rc = growth_esmm_update(FTRL(m), ctr_head, cvr_head, (const uint32_t *)pi, pv,
                                (size_t)nnz, click, conversion, weight);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* ---- metrics.h ---------------------------------------------------------------------------- */

/* Checks scores/labels (non-NULL, same length n), weights (NULL or n) and groups (if
 * need_groups: non-NULL, n). Returns 0 or -1 (thrown). */
static int check_metric_args(JNIEnv *env, const char *who, jfloatArray scores,
                             jfloatArray labels, jfloatArray weights, jlongArray groups,
                             int need_groups, jsize *n)
{
    if (scores == NULL || labels == NULL) {
        throw_npe(env, scores == NULL ? "scores" : "labels");
        return -1;
    }
    if (need_groups && groups == NULL) {
        throw_npe(env, "groups");
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
    if (need_groups && len_of(env, groups) != *n) {
        throw_einval(env, "%s: scores has %d entries but groups has %d", who, (int)*n,
                     (int)len_of(env, groups));
        return -1;
    }
    return 0;
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
    return metric(env, "Metrics.auc", growth_auc, scores, labels, weights);
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
    if (!ps.failed) rc = growth_gauc(s, l, w, (const int64_t *)g, (size_t)n, &v, &used);
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
    return metric(env, "Metrics.logLoss", growth_logloss, probs, labels, weights);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_normalizedEntropy(JNIEnv *env, jclass cls,
                                                                      jfloatArray probs,
                                                                      jfloatArray labels,
                                                                      jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.normalizedEntropy", growth_normalized_entropy, probs, labels,
                  weights);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_calibrationRatio(JNIEnv *env, jclass cls,
                                                                     jfloatArray probs,
                                                                     jfloatArray labels,
                                                                     jfloatArray weights)
{
    (void)cls;
    return metric(env, "Metrics.calibrationRatio", growth_calibration_ratio, probs, labels,
                  weights);
}
