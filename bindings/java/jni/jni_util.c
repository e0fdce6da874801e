/*
 * Shared helpers of the JNI shim: exceptions, array pinning, direct buffers, strings, argument
 * checks, the handle natives' common bodies and the progress-callback bridge (jni_util.h).
 */
#include "jni_util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "org_libgrowth_Native.h"

static jclass g_exc_class; /* org.libgrowth.GrowthException */
static jmethodID g_exc_of; /* static GrowthException.of(int code, byte[] utf8Message) */
static JavaVM *g_vm;       /* for progress callbacks from the library */

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

jbyteArray bytes_of(JNIEnv *env, const char *s, size_t n)
{
    if (n > (size_t)INT32_MAX) n = (size_t)INT32_MAX;
    jbyteArray b = (*env)->NewByteArray(env, (jsize)n);
    if (b != NULL && n > 0) (*env)->SetByteArrayRegion(env, b, 0, (jsize)n, (const jbyte *)s);
    return b;
}

jbyteArray str_bytes(JNIEnv *env, const char *s) { return bytes_of(env, s ? s : "", s ? strlen(s) : 0); }

/* Throws the GrowthException subclass of `code` with msg unless an exception is already pending. */
void throw_status(JNIEnv *env, int code, const char *msg)
{
    if ((*env)->ExceptionCheck(env)) return;
    if (msg == NULL || msg[0] == '\0') msg = growth_strerror(code);
    jbyteArray b = str_bytes(env, msg);
    if (b == NULL) return; /* OutOfMemoryError pending */
    jobject e = (*env)->CallStaticObjectMethod(env, g_exc_class, g_exc_of, (jint)code, b);
    /* GrowthException.of itself may have thrown (OutOfMemoryError): leave that pending. Checking
     * before the next JNI call also keeps -Xcheck:jni quiet. */
    if ((*env)->ExceptionCheck(env) || e == NULL) return;
    (*env)->Throw(env, (jthrowable)e);
}

/* A libgrowth call failed with rc: throw with the library's message. Call it before any other
 * libgrowth call in this thread (growth_last_error() is thread-local and per failure). */
void throw_rc(JNIEnv *env, int rc) { throw_status(env, rc, growth_last_error()); }

void throw_einval(JNIEnv *env, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    throw_status(env, GROWTH_EINVAL, buf);
}

void throw_npe(JNIEnv *env, const char *what)
{
    if ((*env)->ExceptionCheck(env)) return;
    jclass c = (*env)->FindClass(env, "java/lang/NullPointerException");
    if (c == NULL) return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s must not be null", what);
    (*env)->ThrowNew(env, c, buf);
}

void throw_iae(JNIEnv *env, const char *fmt, ...)
{
    if ((*env)->ExceptionCheck(env)) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    jclass c = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (c == NULL) return;
    (*env)->ThrowNew(env, c, buf);
}

/* ---- pinning arrays for the duration of one call ------------------------------------------ */

/* Non-NULL, suitably aligned stand-in for a zero-length array (nothing is read or written). */
static jlong g_empty[1];

void pins_init(pinset *ps, JNIEnv *env, int critical)
{
    memset(ps, 0, sizeof *ps);
    ps->env = env;
    ps->critical = critical;
}

/* Pins `arr` (length `len`, fetched before any critical pin) and returns its elements; NULL for a
 * NULL array. On failure sets ps->failed. No other JNI call may happen between the first
 * critical pin and pins_release(). */
void *pin(pinset *ps, jarray arr, jsize len, char type, int output)
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
int pins_release(pinset *ps)
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
            case 'I': (*env)->ReleaseIntArrayElements(env, (jintArray)s->arr, (jint *)s->ptr, s->mode); break;
            case 'J':
                (*env)->ReleaseLongArrayElements(env, (jlongArray)s->arr, (jlong *)s->ptr, s->mode);
                break;
            case 'F':
                (*env)->ReleaseFloatArrayElements(env, (jfloatArray)s->arr, (jfloat *)s->ptr, s->mode);
                break;
            case 'D':
                (*env)->ReleaseDoubleArrayElements(env, (jdoubleArray)s->arr, (jdouble *)s->ptr, s->mode);
                break;
            case 'Z':
                (*env)->ReleaseBooleanArrayElements(env, (jbooleanArray)s->arr, (jboolean *)s->ptr, s->mode);
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

jsize len_of(JNIEnv *env, jarray a) { return a == NULL ? 0 : (*env)->GetArrayLength(env, a); }

/* A NUL-terminated string made by Native.cstr, copied to the C heap (free() it). NULL with an
 * exception pending on failure. */
char *cstr_dup(JNIEnv *env, jbyteArray a, const char *what)
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
const char *pinned_cstr(const void *p, jsize n)
{
    if (p == NULL || n == 0 || ((const char *)p)[n - 1] != '\0') return NULL;
    return (const char *)p;
}

/* Splits `n` strings packed back to back (each NUL-terminated, as Native.pack makes them). */
int split_packed(const char *buf, jsize len, jint n, const char **out)
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
const char *check_indptr(const jlong *ip, jsize nrows, jsize nnz)
{
    if (ip[0] != 0) return "indptr[0] must be 0";
    for (jsize r = 0; r < nrows; r++)
        if (ip[r + 1] < ip[r]) return "indptr must be non-decreasing";
    if (ip[nrows] > (jlong)nnz) return "indptr[nrows] exceeds the length of idx";
    return NULL;
}

/* The string a text_fn returns for (h, arg), as UTF-8 bytes. */
jbyteArray text_bytes(JNIEnv *env, text_fn fn, jlong h, jlong arg)
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

/* An optional array (NULL allowed) must have `expect` entries; a required one must be non-NULL.
 * Returns 0 or -1 (thrown). */
int check_len(JNIEnv *env, const char *who, const char *name, jarray a, jlong expect, int required)
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
        throw_einval(env, "%s: %s has %d entries, %lld expected", who, name, (int)n, (long long)expect);
        return -1;
    }
    return 0;
}

/* Checks scores/labels (non-NULL, same length n), weights (NULL or n) and groups (named gname;
 * if need_groups: non-NULL, n). Returns 0 or -1 (thrown). */
int check_metric_args_named(JNIEnv *env, const char *who, jfloatArray scores, jfloatArray labels,
                            jfloatArray weights, jlongArray groups, const char *gname, int need_groups,
                            jsize *n)
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

/* Offsets of n groups into arrays of `limit` entries: n + 1 values, the first >= 0 (it may be
 * > 0), non-decreasing, the last <= limit. NULL when valid, else a static description. */
const char *check_offsets(const jlong *ip, jsize n, jlong limit)
{
    if (ip[0] < 0) return "the first offset is negative";
    for (jsize r = 0; r < n; r++)
        if (ip[r + 1] < ip[r]) return "offsets must be non-decreasing";
    if (ip[n] > limit) return "the last offset exceeds the length of the per-option arrays";
    return NULL;
}

/* A malloc'ed buffer from a *_serialize call as a Java byte[] (the buffer is freed). */
jbyteArray buffer_bytes(JNIEnv *env, const char *who, int rc, uint8_t *buf, size_t len)
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

/* create_fn with a string argument (a configuration or a path). */
jlong create_with(JNIEnv *env, create_fn fn, jbyteArray arg, const char *what)
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

jlong deserialize_with(JNIEnv *env, deser_fn fn, free_fn fr, jbyteArray buf)
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

void save_with(JNIEnv *env, save_fn fn, jlong h, jbyteArray path)
{
    char *p = cstr_dup(env, path, "path");
    if (p == NULL) return;
    int rc = fn(h, p);
    free(p);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

jdoubleArray new_doubles(JNIEnv *env, const double *v, jsize n)
{
    jdoubleArray out = (*env)->NewDoubleArray(env, n);
    if (out != NULL && n > 0) (*env)->SetDoubleArrayRegion(env, out, 0, n, v);
    return out;
}

jlongArray new_longs(JNIEnv *env, const uint64_t *v, jsize n)
{
    jlongArray out = (*env)->NewLongArray(env, n);
    if (out != NULL && n > 0) (*env)->SetLongArrayRegion(env, out, 0, n, (const jlong *)v);
    return out;
}

jintArray new_ints(JNIEnv *env, const uint32_t *v, jsize n)
{
    jintArray out = (*env)->NewIntArray(env, n);
    if (out != NULL && n > 0) (*env)->SetIntArrayRegion(env, out, 0, n, (const jint *)v);
    return out;
}

jfloatArray new_floats(JNIEnv *env, const float *v, jsize n)
{
    jfloatArray out = (*env)->NewFloatArray(env, n);
    if (out != NULL && n > 0) (*env)->SetFloatArrayRegion(env, out, 0, n, v);
    return out;
}

/* ---- direct buffers ----------------------------------------------------------------------- */

void *direct_address(JNIEnv *env, jobject buf, jint pos, size_t elem, const char *name)
{
    if (buf == NULL) {
        throw_npe(env, name);
        return NULL;
    }
    char *base = (*env)->GetDirectBufferAddress(env, buf);
    if (base == NULL) {
        throw_iae(env, "%s must be a direct buffer (ByteBuffer.allocateDirect), not a heap buffer", name);
        return NULL;
    }
    if (pos < 0) {
        throw_iae(env, "%s: position %d is negative", name, (int)pos);
        return NULL;
    }
    char *p = base + (size_t)pos * elem;
    if ((uintptr_t)p % elem != 0) {
        throw_iae(env, "%s: element %d is not aligned to %zu bytes (a slice at an odd offset?)", name,
                  (int)pos, elem);
        return NULL;
    }
    return p;
}

/* ---- progress callbacks ------------------------------------------------------------------- */

int progress_init(JNIEnv *env, jclass cls, jobject listener, jprogress *p)
{
    p->cls = cls;
    p->mid = NULL;
    p->listener = listener;
    if (listener == NULL) return 0;
    p->mid = (*env)->GetStaticMethodID(env, cls, "progress", "(Ljava/lang/Object;[BD)Z");
    return p->mid == NULL ? -1 : 0;
}

int progress_cb(const char *stage, double done, void *user_data)
{
    jprogress *p = user_data;
    JNIEnv *env = NULL;
    /* A library worker thread is unknown to the JVM: skip the report there. */
    if ((*g_vm)->GetEnv(g_vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK || env == NULL) return 0;
    if ((*env)->ExceptionCheck(env)) return 1;
    jbyteArray s = str_bytes(env, stage);
    if (s == NULL) return 1;
    jboolean go = (*env)->CallStaticBooleanMethod(env, p->cls, p->mid, p->listener, s, (jdouble)done);
    (*env)->DeleteLocalRef(env, s);
    if ((*env)->ExceptionCheck(env)) return 1;
    return go ? 0 : 1;
}
