/*
 * JNI natives of features.h (classes Features, Row, and DSSM.hashText, which is
 * growth_features_hash_text): hashing and the row builder with its field lists. Everything here
 * is short: strings are pinned critically, except the names of Row.setFields (the row copies
 * them, which allocates).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_HANDLE(row, growth_row, growth_row);

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_featureHash(JNIEnv *env, jclass cls, jbyteArray field,
                                                             jbyteArray value, jlong seed, jint bits)
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
static int pin_cross(pinset *ps, jbyteArray fields, jsize nf, jbyteArray values, jsize nv, jint n,
                     const char **ptrs)
{
    const char *f = pin(ps, fields, nf, 'B', 0);
    const char *v = pin(ps, values, nv, 'B', 0);
    if (ps->failed) return 0;
    if (split_packed(f, nf, n, ptrs) || split_packed(v, nv, n, ptrs + n)) return -1;
    return 0;
}

enum { CROSS_STACK = 16 };

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_featureHashCross(JNIEnv *env, jclass cls, jbyteArray fields,
                                                                  jbyteArray values, jint n, jlong seed,
                                                                  jint bits)
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
        rc = growth_features_hash_cross(ptrs, ptrs + n, (size_t)n, (uint64_t)seed, (unsigned)bits, &out);
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

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowClear(JNIEnv *env, jclass cls, jlong row)
{
    (void)env;
    (void)cls;
    growth_row_clear(row_of(row));
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
            rc = growth_row_add_cat(row_of(row), f, v);
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
            rc = growth_row_add_num(row_of(row), f, x);
    }
    if (pins_release(&ps)) return;
    if (bad)
        throw_einval(env, "Row.addNum: field must be NUL-terminated");
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowAddCross(JNIEnv *env, jclass cls, jlong row,
                                                             jbyteArray fields, jbyteArray values, jint n)
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
    if (!ps.failed && !bad) rc = growth_row_add_cross(row_of(row), ptrs, ptrs + n, (size_t)n);
    int failed = pins_release(&ps);
    if (ptrs != stack) free(ptrs);
    if (failed) return;
    if (bad)
        throw_einval(env, "Row.addCross: malformed packed strings");
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowAddIndex(JNIEnv *env, jclass cls, jlong row, jint index,
                                                             jfloat x)
{
    (void)cls;
    int rc = growth_row_add_index(row_of(row), (uint32_t)index, x);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* Row.setFields: n names packed back to back. Not pinned critically: the row copies the names
 * (it allocates). */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowSetFields(JNIEnv *env, jclass cls, jlong row,
                                                              jbyteArray names, jint n)
{
    (void)cls;
    if (names == NULL) {
        throw_npe(env, "names");
        return;
    }
    if (n < 0) {
        throw_einval(env, "Row.setFields: invalid number of names %d", (int)n);
        return;
    }
    const char *stack[CROSS_STACK];
    const char **ptrs = stack;
    if (n > CROSS_STACK) {
        ptrs = malloc((size_t)n * sizeof *ptrs);
        if (ptrs == NULL) {
            throw_status(env, GROWTH_ENOMEM, "Row.setFields: out of memory");
            return;
        }
    }
    jsize nb = len_of(env, names);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const char *b = pin(&ps, names, nb, 'B', 0);
    int rc = GROWTH_OK, bad = 0;
    if (!ps.failed) {
        if (split_packed(b, nb, n, ptrs))
            bad = 1;
        else
            rc = growth_row_set_fields(row_of(row), n > 0 ? ptrs : NULL, (size_t)n);
    }
    int failed = pins_release(&ps);
    if (ptrs != stack) free(ptrs);
    if (failed) return;
    if (bad)
        throw_einval(env, "Row.setFields: malformed packed strings");
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_rowFieldIndex(JNIEnv *env, jclass cls, jlong row,
                                                               jbyteArray name)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return -1;
    size_t index = 0;
    int rc = growth_row_field_index(row_of(row), s, &index);
    free(s);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)index;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_rowAddFieldIndex(JNIEnv *env, jclass cls, jlong row,
                                                                  jint field, jint index, jfloat x)
{
    (void)cls;
    /* A negative field becomes a huge size_t, which the library refuses (EINVAL). */
    int rc = growth_row_add_field_index(row_of(row), (size_t)(jlong)field, (uint32_t)index, x);
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
    return row_size_checked(env, row_of(row));
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_rowIndices(JNIEnv *env, jclass cls, jlong row)
{
    (void)cls;
    const growth_row *r = row_of(row);
    const uint32_t *p = growth_row_indices(r); /* applies a pending dedup first */
    jsize n = row_size_checked(env, r);
    if (n < 0) return NULL;
    jintArray out = (*env)->NewIntArray(env, n);
    if (out != NULL && n > 0) (*env)->SetIntArrayRegion(env, out, 0, n, (const jint *)p);
    return out;
}

JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_rowKeys(JNIEnv *env, jclass cls, jlong row)
{
    (void)cls;
    const growth_row *r = row_of(row);
    const uint64_t *p = growth_row_keys(r); /* applies a pending dedup first */
    jsize n = row_size_checked(env, r);
    if (n < 0) return NULL;
    jlongArray out = (*env)->NewLongArray(env, n);
    if (out != NULL && n > 0) (*env)->SetLongArrayRegion(env, out, 0, n, (const jlong *)p);
    return out;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_rowValues(JNIEnv *env, jclass cls, jlong row)
{
    (void)cls;
    const growth_row *r = row_of(row);
    const float *p = growth_row_values(r);
    jsize n = row_size_checked(env, r);
    if (n < 0) return NULL;
    jfloatArray out = (*env)->NewFloatArray(env, n);
    if (out != NULL && n > 0) (*env)->SetFloatArrayRegion(env, out, 0, n, p);
    return out;
}

/* The entries' field ids, or NULL (no exception) for a row without a field list. */
JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_rowFields(JNIEnv *env, jclass cls, jlong row)
{
    (void)cls;
    const growth_row *r = row_of(row);
    const uint8_t *p = growth_row_fields(r); /* applies a pending dedup first */
    if (p == NULL) return NULL;
    jsize n = row_size_checked(env, r);
    if (n < 0) return NULL;
    return bytes_of(env, (const char *)p, (size_t)n);
}

/* Word hashing of one text: {slot[0..k), count[0..k)} (slots < 2^31, counts are whole). */
JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_dssmHashText(JNIEnv *env, jclass cls, jbyteArray text,
                                                                   jint buckets, jlong seed)
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
