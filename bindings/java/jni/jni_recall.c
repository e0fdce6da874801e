/*
 * JNI natives of recall.h (class Index).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_MODEL(index, growth_index, growth_index, "Index");

/* Searches take the index's reader lock, which waits for a running add, remove or compact, and
 * mutations take it exclusively: every call pins with copies, never critically. Results go into
 * output arrays the Java side allocates (k, or nq * k entries); the search returns `found`. */

/* The index's dimension; 0 with an exception pending on failure. */
static jlong index_dim(JNIEnv *env, jlong h)
{
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    int rc = growth_index_stats_get(index_of(h), &st);
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
        throw_einval(env, "%s: %s has %d floats, not a multiple of dim=%lld", who, name, (int)len,
                     (long long)dim);
        return -1;
    }
    return (jlong)len / dim;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexSet(JNIEnv *env, jclass cls, jlong h, jbyteArray config)
{
    (void)cls;
    char *c = cstr_dup(env, config, "config");
    if (c == NULL) return;
    int rc = growth_index_set_config(index_of(h), c);
    free(c);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexTrain(JNIEnv *env, jclass cls, jlong h, jfloatArray x)
{
    (void)cls;
    jlong n = index_rows(env, "Index.train", "x", h, x);
    if (n < 0) return;
    jsize len = len_of(env, x);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *px = pin(&ps, x, len, 'F', 0);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_index_train(index_of(h), px, (size_t)n);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexAdd(JNIEnv *env, jclass cls, jlong h, jfloatArray x,
                                                          jlongArray ids)
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
    if (!ps.failed) rc = growth_index_add(index_of(h), px, (size_t)n, (const int64_t *)pi);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

GJNI_REMOVE_IDS(indexRemove, growth_index_remove, index_of)

JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexCompact(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    int rc = growth_index_compact(index_of(h));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* Search of one query into ids[k] and scores[k]; returns found. */
JNIEXPORT jint JNICALL Java_org_libgrowth_Native_indexSearch(JNIEnv *env, jclass cls, jlong h, jfloatArray q,
                                                             jint k, jlongArray ids, jfloatArray scores)
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
        throw_einval(env, "%s: q has %d floats, dim=%lld expected", who, (int)len_of(env, q), (long long)dim);
        return 0;
    }
    if (k < 0) {
        throw_einval(env, "%s: k=%d is negative", who, (int)k);
        return 0;
    }
    if (check_len(env, who, "ids", ids, k, 1) || check_len(env, who, "scores", scores, k, 1)) return 0;
    jsize len = len_of(env, q);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *pq = pin(&ps, q, len, 'F', 0);
    jlong *pi = pin(&ps, ids, k, 'J', 1);
    jfloat *psc = pin(&ps, scores, k, 'F', 1);
    size_t found = 0;
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_index_search(index_of(h), pq, (size_t)k, NULL, (int64_t *)pi, psc, (size_t)k, &found);
    if (pins_release(&ps)) return 0;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return (jint)found;
}

/* nq queries into ids[nq * k] and scores[nq * k] (padding -1 / NaN). */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_indexSearchBatch(JNIEnv *env, jclass cls, jlong h,
                                                                  jfloatArray q, jint nq, jint k,
                                                                  jlongArray ids, jfloatArray scores)
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
        throw_einval(env, "%s: q holds %lld rows of dim floats, nq=%d", who, (long long)n, (int)nq);
        return;
    }
    jlong total = (jlong)nq * (jlong)k;
    if (check_len(env, who, "ids", ids, total, 1) || check_len(env, who, "scores", scores, total, 1)) return;
    jsize len = len_of(env, q);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *pq = pin(&ps, q, len, 'F', 0);
    jlong *pi = pin(&ps, ids, (jsize)total, 'J', 1);
    jfloat *psc = pin(&ps, scores, (jsize)total, 'F', 1);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_index_search_batch(index_of(h), pq, (size_t)nq, (size_t)k, NULL, (int64_t *)pi, psc,
                                       (size_t)total);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* {count, deleted, dim, memoryBytes, codeBytes, bytesPerVector} */
JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_indexStats(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    growth_index_stats st = GROWTH_INDEX_STATS_INIT;
    int rc = growth_index_stats_get(index_of(h), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[6] = {st.count, st.deleted, st.dim, st.memory_bytes, st.code_bytes, st.bytes_per_vector};
    return new_longs(env, v, 6);
}

/* ---- direct buffers: the query and the results used in place ----------------------------- */

/* Index.search over direct buffers: q (len floats, = dim) from its position, up to k results
 * into ids[cap] and scores[cap] (cap: the smaller remaining; the library refuses cap < k with
 * EBUFS); returns found. */
JNIEXPORT jint JNICALL Java_org_libgrowth_Native_indexSearchBuf(JNIEnv *env, jclass cls, jlong h, jobject q,
                                                                jint q_pos, jint len, jint k, jobject ids,
                                                                jint ids_pos, jobject scores, jint scores_pos,
                                                                jint cap)
{
    (void)cls;
    const char *who = "Index.search";
    jlong dim = index_dim(env, h);
    if (dim == 0) return 0;
    if ((jlong)len != dim) {
        throw_einval(env, "%s: q has %d floats, dim=%lld expected", who, (int)len, (long long)dim);
        return 0;
    }
    if (k < 0) {
        throw_einval(env, "%s: k=%d is negative", who, (int)k);
        return 0;
    }
    const float *pq = direct_address(env, q, q_pos, sizeof *pq, "q");
    int64_t *pi = pq == NULL ? NULL : direct_address(env, ids, ids_pos, sizeof *pi, "ids");
    float *ps = pi == NULL ? NULL : direct_address(env, scores, scores_pos, sizeof *ps, "scores");
    if (ps == NULL) return 0;
    size_t found = 0;
    int rc = growth_index_search(index_of(h), pq, (size_t)k, NULL, pi, ps, (size_t)cap, &found);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return (jint)found;
}
