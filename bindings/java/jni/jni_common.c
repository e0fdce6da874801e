/*
 * JNI natives of common.h: versions, status names, model kinds, the library hash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

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

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_strerror(JNIEnv *env, jclass cls, jint code)
{
    (void)cls;
    return str_bytes(env, growth_strerror(code));
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_lastError(JNIEnv *env, jclass cls)
{
    (void)cls;
    return str_bytes(env, growth_last_error());
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_modelKind(JNIEnv *env, jclass cls, jbyteArray path)
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

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_kindName(JNIEnv *env, jclass cls, jint kind)
{
    (void)cls;
    return str_bytes(env, growth_model_kind_name(kind));
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_hash64(JNIEnv *env, jclass cls, jbyteArray data, jint off,
                                                         jint len, jlong seed)
{
    (void)cls;
    if (data == NULL) {
        throw_npe(env, "data");
        return 0;
    }
    jsize n = (*env)->GetArrayLength(env, data);
    if (off < 0 || len < 0 || off > n - len) {
        throw_einval(env, "hash64: range [%d, %d + %d) is outside an array of %d", (int)off, (int)off,
                     (int)len, (int)n);
        return 0;
    }
    pinset ps;
    pins_init(&ps, env, PIN_CRITICAL);
    const uint8_t *p = pin(&ps, data, n, 'B', 0);
    uint64_t h = ps.failed ? 0 : growth_hash64(p + off, (size_t)len, (uint64_t)seed);
    pins_release(&ps);
    return (jlong)h;
}
