/*
 * JNI natives of rank.h: the fusion of ranked lists (TextIndex.fuse).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

/* Fusion of ranked lists: the lists (ids[l], scores[l]) are copied to the C heap (their number
 * is not bounded by PIN_MAX); the fused top-k goes into outIds[k] and outScores[k]. */
JNIEXPORT jint JNICALL Java_org_libgrowth_Native_textFuse(JNIEnv *env, jclass cls, jbyteArray config,
                                                          jobjectArray ids, jobjectArray scores,
                                                          jdoubleArray weights, jint k, jlongArray out_ids,
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
    if (check_len(env, who, "scores", scores, nl, 0) || check_len(env, who, "weights", weights, nl, 0) ||
        check_len(env, who, "outIds", out_ids, k, 1) || check_len(env, who, "outScores", out_scores, k, 1))
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
            throw_einval(env, "%s: scores[%d] has %d entries, %d expected", who, (int)l, (int)len_of(env, s),
                         (int)n);
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
        rc =
            growth_rank_fuse_lists((const int64_t *const *)li, scores ? (const float *const *)ls : NULL, lens,
                                   weights ? w : NULL, (size_t)nl, (size_t)k, c, oi, os, (size_t)k, &found);
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
