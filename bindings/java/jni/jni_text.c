/*
 * JNI natives of text.h (class TextIndex).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_MODEL(text, growth_text_index, growth_text, "TextIndex");

/* Same pinning as recall.h: searches share a reader lock that waits for writers. Texts arrive
 * packed by Native.pack (each NUL-terminated UTF-8). */

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textSet(JNIEnv *env, jclass cls, jlong h, jbyteArray config)
{
    (void)cls;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return;
    int rc = growth_text_set_config(text_of(h), c);
    free(c);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textAdd(JNIEnv *env, jclass cls, jlong h, jlongArray ids,
                                                         jbyteArray texts, jint n)
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
            rc = growth_text_add(text_of(h), (const int64_t *)pi, ptrs, (size_t)n);
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
GJNI_REMOVE_IDS(textDelete, growth_text_remove, text_of)

JNIEXPORT void JNICALL Java_org_libgrowth_Native_textCompact(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    int rc = growth_text_compact(text_of(h));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* {docs, terms, postings} */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_textCount(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    growth_text_stats st = GROWTH_TEXT_STATS_INIT;
    int rc = growth_text_stats_get(text_of(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[3] = {st.docs, st.terms, st.postings};
    return new_longs(env, v, 3);
}

/* Search into ids[k] and scores[k]; returns found. */
JNIEXPORT jint JNICALL Java_org_libgrowth_Native_textSearch(JNIEnv *env, jclass cls, jlong h,
                                                            jbyteArray query, jint k, jlongArray ids,
                                                            jfloatArray scores)
{
    (void)cls;
    const char *who = "TextIndex.search";
    if (k < 0) {
        throw_einval(env, "%s: k=%d is negative", who, (int)k);
        return 0;
    }
    if (check_len(env, who, "ids", ids, k, 1) || check_len(env, who, "scores", scores, k, 1)) return 0;
    char *q = cstr_dup(env, query, "query");
    if (q == NULL) return 0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    jlong *pi = pin(&ps, ids, k, 'J', 1);
    jfloat *psc = pin(&ps, scores, k, 'F', 1);
    size_t found = 0;
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_text_search(text_of(h), q, (size_t)k, NULL, (int64_t *)pi, psc, (size_t)k, &found);
    free(q);
    if (pins_release(&ps)) return 0;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return (jint)found;
}

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_textScore(JNIEnv *env, jclass cls, jlong h,
                                                                  jbyteArray query, jlongArray ids)
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
    if (!ps.failed) rc = growth_text_score(text_of(h), q, (const int64_t *)pi, (size_t)n, po, (size_t)n);
    free(q);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}
