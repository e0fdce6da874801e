/*
 * JNI natives of audience.h (class Audience): seed expansion, union, the PU target model and
 * selection. Every function is pure and may run long (BLAS, xgboost, sorting): arrays are pinned
 * with Get<Type>ArrayElements, never critically.
 *
 * Users, attributes, brands and categories are uint32 ids carried in Java ints; a user x column
 * matrix is CSR (long[] indptr of nusers + 1 offsets, int[] indices). The library checks the
 * CSR itself (start, order, columns); this file checks what it cannot: that every offset lies
 * within the indices array.
 *
 * Outputs whose length depends on the data follow the EBUFS protocol: the first call gets a
 * capacity of at most FIRST_CAP entries (the result's upper bound when that is smaller, so
 * small problems never need a second call); on GROWTH_EBUFS the library reports the exact
 * capacity, and the call is made again with it. Results are copied into Java arrays of their
 * exact length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <growth/growth.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

enum { FIRST_CAP = 4096 };

static size_t first_cap(size_t bound) { return bound < FIRST_CAP ? bound : FIRST_CAP; }

/* An array of n Objects (the parts of a result), or NULL with an exception pending. */
static jobjectArray new_parts(JNIEnv *env, jsize n)
{
    jclass c = (*env)->FindClass(env, "java/lang/Object");
    if (c == NULL) return NULL;
    jobjectArray out = (*env)->NewObjectArray(env, n, c, NULL);
    (*env)->DeleteLocalRef(env, c);
    return out;
}

/* Stores part i (a new local reference, NULL after a failure) into out; -1 if it is NULL. */
static int set_part(JNIEnv *env, jobjectArray out, jsize i, jobject part)
{
    if (part == NULL) return -1;
    (*env)->SetObjectArrayElement(env, out, i, part);
    (*env)->DeleteLocalRef(env, part);
    return (*env)->ExceptionCheck(env) ? -1 : 0;
}

/* A count (nattrs, ncats, ...) must not be negative. 0 or -1 (thrown). */
static int check_count(JNIEnv *env, const char *who, const char *name, jint n)
{
    if (n < 0) {
        throw_einval(env, "%s: %s = %d is negative", who, name, (int)n);
        return -1;
    }
    return 0;
}

/* A required array. 0 or -1 (NullPointerException thrown). */
static int required(JNIEnv *env, jarray a, const char *name)
{
    if (a == NULL) {
        throw_npe(env, name);
        return -1;
    }
    return 0;
}

/* The CSR's arrays: both required, indptr with nusers + 1 >= 1 entries. 0 or -1 (thrown). */
static int csr_args(JNIEnv *env, const char *who, jlongArray indptr, jintArray indices, jsize *nusers,
                    jsize *nnz)
{
    if (required(env, indptr, "indptr") || required(env, indices, "indices")) return -1;
    jsize nip = len_of(env, indptr);
    if (nip < 1) {
        throw_einval(env, "%s: indptr needs nusers + 1 >= 1 entries, has 0", who);
        return -1;
    }
    *nusers = nip - 1;
    *nnz = len_of(env, indices);
    return 0;
}

/* After pinning: every offset must lie in [0, nnz]. Writes a message into msg and returns -1
 * when one does not. */
static int csr_bounds(const jlong *ip, jsize nusers, jsize nnz, char *msg, size_t cap)
{
    for (jsize u = 0; u <= nusers; u++)
        if (ip[u] < 0 || ip[u] > (jlong)nnz) {
            snprintf(msg, cap, "indptr[%d] = %lld is outside the %d entries of indices", (int)u,
                     (long long)ip[u], (int)nnz);
            return -1;
        }
    return 0;
}

/* Throws for a finished call: a failed pin (already thrown by pins_release), a binding check
 * (bad != NULL), out of memory, or the library's status. Returns 0 when the call succeeded. */
static int finish(JNIEnv *env, pinset *ps, const char *who, const char *bad, int nomem, int rc)
{
    if (pins_release(ps)) return -1;
    if (bad != NULL) {
        throw_einval(env, "%s: %s", who, bad);
        return -1;
    }
    if (nomem) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: out of memory", who);
        throw_status(env, GROWTH_ENOMEM, msg);
        return -1;
    }
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return 0;
}

/* A result length as a Java array length; -1 (thrown) when it does not fit. */
static jsize java_len(JNIEnv *env, const char *who, size_t n)
{
    if (n > (size_t)INT32_MAX) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: the result exceeds a Java array", who);
        throw_status(env, GROWTH_ENOMEM, msg);
        return -1;
    }
    return (jsize)n;
}

/* ---- interest: TGI and TA concentration ------------------------------------------------- */

/* {double[] tgi, double[] concentration, long[] seedCount, long[] populationCount} */
JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audienceTgi(JNIEnv *env, jclass cls,
                                                                     jlongArray indptr, jintArray indices,
                                                                     jint nattrs, jintArray seed)
{
    (void)cls;
    const char *who = "Audience.tgi";
    jsize nu = 0, nnz = 0;
    if (csr_args(env, who, indptr, indices, &nu, &nnz) || required(env, seed, "seed") ||
        check_count(env, who, "nattrs", nattrs))
        return NULL;
    size_t na = (size_t)nattrs;
    double *tgi = malloc((na + 1) * sizeof *tgi), *conc = malloc((na + 1) * sizeof *conc);
    uint64_t *sc = malloc((na + 1) * sizeof *sc), *pc = malloc((na + 1) * sizeof *pc);
    jsize ns = len_of(env, seed);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, nu + 1, 'J', 0);
    const jint *ix = pin(&ps, indices, nnz, 'I', 0);
    const jint *sd = pin(&ps, seed, ns, 'I', 0);
    char bad[160];
    const char *badp = NULL;
    int nomem = !tgi || !conc || !sc || !pc, rc = GROWTH_OK;
    if (!ps.failed && !nomem) {
        if (csr_bounds(ip, nu, nnz, bad, sizeof bad))
            badp = bad;
        else
            rc = growth_audience_tgi((const uint64_t *)ip, (const uint32_t *)ix, (size_t)nu, na,
                                     (const uint32_t *)sd, (size_t)ns, tgi, conc, sc, pc, na);
    }
    jobjectArray out = NULL;
    if (finish(env, &ps, who, badp, nomem, rc) == 0 && (out = new_parts(env, 4)) != NULL) {
        if (set_part(env, out, 0, new_doubles(env, tgi, (jsize)na)) ||
            set_part(env, out, 1, new_doubles(env, conc, (jsize)na)) ||
            set_part(env, out, 2, new_longs(env, sc, (jsize)na)) ||
            set_part(env, out, 3, new_longs(env, pc, (jsize)na)))
            out = NULL;
    }
    free(tgi);
    free(conc);
    free(sc);
    free(pc);
    return out;
}

/* {int[] attrs, int[] users} */
JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audienceInterest(JNIEnv *env, jclass cls,
                                                                          jlongArray indptr,
                                                                          jintArray indices, jint nattrs,
                                                                          jintArray seed, jbyteArray config)
{
    (void)cls;
    const char *who = "Audience.interest";
    jsize nu = 0, nnz = 0;
    if (csr_args(env, who, indptr, indices, &nu, &nnz) || required(env, seed, "seed") ||
        check_count(env, who, "nattrs", nattrs))
        return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    jsize ns = len_of(env, seed);
    size_t acap = first_cap((size_t)nattrs), ucap = first_cap((size_t)nu), na = 0, nus = 0;
    uint32_t *attrs = NULL, *users = NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, nu + 1, 'J', 0);
    const jint *ix = pin(&ps, indices, nnz, 'I', 0);
    const jint *sd = pin(&ps, seed, ns, 'I', 0);
    char bad[160];
    const char *badp = NULL;
    int nomem = 0, rc = GROWTH_OK;
    if (!ps.failed) {
        if (csr_bounds(ip, nu, nnz, bad, sizeof bad)) badp = bad;
        for (int attempt = 0; badp == NULL && attempt < 3; attempt++) {
            free(attrs);
            free(users);
            attrs = malloc((acap + 1) * sizeof *attrs);
            users = malloc((ucap + 1) * sizeof *users);
            if (attrs == NULL || users == NULL) {
                nomem = 1;
                break;
            }
            rc = growth_audience_interest((const uint64_t *)ip, (const uint32_t *)ix, (size_t)nu,
                                          (size_t)nattrs, (const uint32_t *)sd, (size_t)ns, cfg, attrs, acap,
                                          &na, users, ucap, &nus);
            if (rc != GROWTH_EBUFS || (na <= acap && nus <= ucap)) break;
            if (na > acap) acap = na;
            if (nus > ucap) ucap = nus;
        }
    }
    free(cfg);
    jobjectArray out = NULL;
    if (finish(env, &ps, who, badp, nomem, rc) == 0 && java_len(env, who, na) >= 0 &&
        java_len(env, who, nus) >= 0 && (out = new_parts(env, 2)) != NULL) {
        if (set_part(env, out, 0, new_ints(env, attrs, (jsize)na)) ||
            set_part(env, out, 1, new_ints(env, users, (jsize)nus)))
            out = NULL;
    }
    free(attrs);
    free(users);
    return out;
}

/* ---- related brands ---------------------------------------------------------------------- */

/* {int[] brands (nquery x k; -1 pads), double[] jaccard} */
JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audienceSimilarBrands(
    JNIEnv *env, jclass cls, jlongArray indptr, jintArray indices, jint nbrands, jintArray brands, jint k)
{
    (void)cls;
    const char *who = "Audience.similarBrands";
    jsize nu = 0, nnz = 0;
    if (csr_args(env, who, indptr, indices, &nu, &nnz) || required(env, brands, "brands") ||
        check_count(env, who, "nbrands", nbrands) || check_count(env, who, "k", k))
        return NULL;
    jsize nq = len_of(env, brands);
    jlong total = (jlong)nq * k;
    if (total > INT32_MAX) {
        throw_status(env, GROWTH_ENOMEM, "Audience.similarBrands: brands x k exceeds a Java array");
        return NULL;
    }
    uint32_t *ob = malloc(((size_t)total + 1) * sizeof *ob);
    double *oj = malloc(((size_t)total + 1) * sizeof *oj);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, nu + 1, 'J', 0);
    const jint *ix = pin(&ps, indices, nnz, 'I', 0);
    const jint *q = pin(&ps, brands, nq, 'I', 0);
    char bad[160];
    const char *badp = NULL;
    int nomem = !ob || !oj, rc = GROWTH_OK;
    if (!ps.failed && !nomem) {
        if (csr_bounds(ip, nu, nnz, bad, sizeof bad))
            badp = bad;
        else
            rc = growth_audience_similar_brands((const uint64_t *)ip, (const uint32_t *)ix, (size_t)nu,
                                                (size_t)nbrands, (const uint32_t *)q, (size_t)nq, (size_t)k,
                                                ob, oj, (size_t)total);
    }
    jobjectArray out = NULL;
    if (finish(env, &ps, who, badp, nomem, rc) == 0 && (out = new_parts(env, 2)) != NULL) {
        if (set_part(env, out, 0, new_ints(env, ob, (jsize)total)) ||
            set_part(env, out, 1, new_doubles(env, oj, (jsize)total)))
            out = NULL;
    }
    free(ob);
    free(oj);
    return out;
}

/* The users of an expansion direction whose result is a user list (brand, category): `fn`
 * calls the library with (cap, out, &n). */
typedef int (*users_fn)(const void *ctx, const uint64_t *ip, const uint32_t *ix, size_t nu,
                        const uint32_t *list, size_t nlist, const uint32_t *seed, size_t ns, const char *cfg,
                        uint32_t *out, size_t cap, size_t *n);

typedef struct {
    size_t ncols;
} cols_ctx;

static int brand_users(const void *ctx, const uint64_t *ip, const uint32_t *ix, size_t nu,
                       const uint32_t *list, size_t nlist, const uint32_t *seed, size_t ns, const char *cfg,
                       uint32_t *out, size_t cap, size_t *n)
{
    return growth_audience_brand(ip, ix, nu, ((const cols_ctx *)ctx)->ncols, list, nlist, seed, ns, cfg, out,
                                 cap, n);
}

static int category_users(const void *ctx, const uint64_t *ip, const uint32_t *ix, size_t nu,
                          const uint32_t *list, size_t nlist, const uint32_t *seed, size_t ns,
                          const char *cfg, uint32_t *out, size_t cap, size_t *n)
{
    return growth_audience_category(ip, ix, nu, ((const cols_ctx *)ctx)->ncols, list, nlist, seed, ns, cfg,
                                    out, cap, n);
}

static jintArray expand(JNIEnv *env, const char *who, users_fn fn, jlongArray indptr, jintArray indices,
                        jint ncols, const char *ncols_name, jintArray list, const char *list_name,
                        jintArray seed, jbyteArray config)
{
    jsize nu = 0, nnz = 0;
    if (csr_args(env, who, indptr, indices, &nu, &nnz) || required(env, list, list_name) ||
        required(env, seed, "seed") || check_count(env, who, ncols_name, ncols))
        return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    cols_ctx ctx = {(size_t)ncols};
    jsize nl = len_of(env, list), ns = len_of(env, seed);
    size_t cap = first_cap((size_t)nu), n = 0;
    uint32_t *users = NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, nu + 1, 'J', 0);
    const jint *ix = pin(&ps, indices, nnz, 'I', 0);
    const jint *pl = pin(&ps, list, nl, 'I', 0);
    const jint *sd = pin(&ps, seed, ns, 'I', 0);
    char bad[160];
    const char *badp = NULL;
    int nomem = 0, rc = GROWTH_OK;
    if (!ps.failed) {
        if (csr_bounds(ip, nu, nnz, bad, sizeof bad)) badp = bad;
        for (int attempt = 0; badp == NULL && attempt < 3; attempt++) {
            free(users);
            if ((users = malloc((cap + 1) * sizeof *users)) == NULL) {
                nomem = 1;
                break;
            }
            rc = fn(&ctx, (const uint64_t *)ip, (const uint32_t *)ix, (size_t)nu, (const uint32_t *)pl,
                    (size_t)nl, (const uint32_t *)sd, (size_t)ns, cfg, users, cap, &n);
            if (rc != GROWTH_EBUFS || n <= cap) break;
            cap = n;
        }
    }
    free(cfg);
    jintArray out = NULL;
    if (finish(env, &ps, who, badp, nomem, rc) == 0 && java_len(env, who, n) >= 0)
        out = new_ints(env, users, (jsize)n);
    free(users);
    return out;
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_audienceBrand(JNIEnv *env, jclass cls,
                                                                    jlongArray indptr, jintArray indices,
                                                                    jint nbrands, jintArray brands,
                                                                    jintArray seed, jbyteArray config)
{
    (void)cls;
    return expand(env, "Audience.brand", brand_users, indptr, indices, nbrands, "nbrands", brands, "brands",
                  seed, config);
}

/* ---- association rules between categories ------------------------------------------------ */

/* {int[] antecedent, int[] consequent, double[] support, double[] confidence, double[] lift} */
JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audienceRules(JNIEnv *env, jclass cls,
                                                                       jlongArray indptr, jintArray indices,
                                                                       jint ncats, jintArray consequents,
                                                                       jbyteArray config)
{
    (void)cls;
    const char *who = "Audience.rules";
    jsize nu = 0, nnz = 0;
    if (csr_args(env, who, indptr, indices, &nu, &nnz) || check_count(env, who, "ncats", ncats)) return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    jsize nc = len_of(env, consequents);
    /* at most ncats x (ncats - 1) rules, and at most ncats per consequent */
    size_t bound = (size_t)ncats * (size_t)(ncats > 0 ? ncats - 1 : 0);
    size_t cap = first_cap(bound), n = 0;
    uint32_t *a = NULL, *b = NULL;
    double *s = NULL, *c = NULL, *l = NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, nu + 1, 'J', 0);
    const jint *ix = pin(&ps, indices, nnz, 'I', 0);
    const jint *pc = pin(&ps, consequents, nc, 'I', 0);
    char bad[160];
    const char *badp = NULL;
    int nomem = 0, rc = GROWTH_OK;
    if (!ps.failed) {
        if (csr_bounds(ip, nu, nnz, bad, sizeof bad)) badp = bad;
        for (int attempt = 0; badp == NULL && attempt < 3; attempt++) {
            free(a);
            free(b);
            free(s);
            free(c);
            free(l);
            a = malloc((cap + 1) * sizeof *a);
            b = malloc((cap + 1) * sizeof *b);
            s = malloc((cap + 1) * sizeof *s);
            c = malloc((cap + 1) * sizeof *c);
            l = malloc((cap + 1) * sizeof *l);
            if (!a || !b || !s || !c || !l) {
                nomem = 1;
                break;
            }
            rc = growth_audience_rules((const uint64_t *)ip, (const uint32_t *)ix, (size_t)nu, (size_t)ncats,
                                       (const uint32_t *)pc, (size_t)nc, cfg, a, b, s, c, l, cap, &n);
            if (rc != GROWTH_EBUFS || n <= cap) break;
            cap = n;
        }
    }
    free(cfg);
    jobjectArray out = NULL;
    if (finish(env, &ps, who, badp, nomem, rc) == 0 && java_len(env, who, n) >= 0 &&
        (out = new_parts(env, 5)) != NULL) {
        if (set_part(env, out, 0, new_ints(env, a, (jsize)n)) ||
            set_part(env, out, 1, new_ints(env, b, (jsize)n)) ||
            set_part(env, out, 2, new_doubles(env, s, (jsize)n)) ||
            set_part(env, out, 3, new_doubles(env, c, (jsize)n)) ||
            set_part(env, out, 4, new_doubles(env, l, (jsize)n)))
            out = NULL;
    }
    free(a);
    free(b);
    free(s);
    free(c);
    free(l);
    return out;
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_audienceCategory(JNIEnv *env, jclass cls,
                                                                       jlongArray indptr, jintArray indices,
                                                                       jint ncats, jintArray targets,
                                                                       jintArray seed, jbyteArray config)
{
    (void)cls;
    return expand(env, "Audience.category", category_users, indptr, indices, ncats, "ncats", targets,
                  "targets", seed, config);
}

/* ---- peer audience ----------------------------------------------------------------------- */

/* {int[] users, float[] similarities} of n wanted (cap = n: no EBUFS). */
static jobjectArray ranked(JNIEnv *env, const uint32_t *users, const float *sims, size_t n)
{
    jobjectArray out = new_parts(env, 2);
    if (out == NULL) return NULL;
    if (set_part(env, out, 0, new_ints(env, users, (jsize)n)) ||
        set_part(env, out, 1, new_floats(env, sims, (jsize)n)))
        return NULL;
    return out;
}

JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audiencePeer(JNIEnv *env, jclass cls,
                                                                      jfloatArray emb, jint dim,
                                                                      jintArray seed, jint n,
                                                                      jbyteArray config)
{
    (void)cls;
    const char *who = "Audience.peer";
    if (required(env, emb, "embeddings") || required(env, seed, "seed") || check_count(env, who, "n", n))
        return NULL;
    jsize ne = len_of(env, emb);
    if (dim < 1 || ne % dim != 0) {
        throw_einval(env, "%s: embeddings has %d floats, not a multiple of dim = %d", who, (int)ne, (int)dim);
        return NULL;
    }
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    jsize ns = len_of(env, seed);
    uint32_t *users = malloc(((size_t)n + 1) * sizeof *users);
    float *sims = malloc(((size_t)n + 1) * sizeof *sims);
    size_t got = 0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jfloat *pe = pin(&ps, emb, ne, 'F', 0);
    const jint *sd = pin(&ps, seed, ns, 'I', 0);
    int nomem = !users || !sims, rc = GROWTH_OK;
    if (!ps.failed && !nomem)
        rc = growth_audience_peer(pe, (size_t)(ne / dim), (size_t)dim, (const uint32_t *)sd, (size_t)ns,
                                  (size_t)n, cfg, users, sims, (size_t)n, &got);
    free(cfg);
    jobjectArray out = NULL;
    if (finish(env, &ps, who, NULL, nomem, rc) == 0) out = ranked(env, users, sims, got);
    free(users);
    free(sims);
    return out;
}

JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audiencePeerIndex(JNIEnv *env, jclass cls,
                                                                           jlong index, jintArray seed,
                                                                           jint n, jbyteArray config)
{
    (void)cls;
    const char *who = "Audience.peerIndex";
    if (required(env, seed, "seed") || check_count(env, who, "n", n)) return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    jsize ns = len_of(env, seed);
    uint32_t *users = malloc(((size_t)n + 1) * sizeof *users);
    float *sims = malloc(((size_t)n + 1) * sizeof *sims);
    size_t got = 0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *sd = pin(&ps, seed, ns, 'I', 0);
    int nomem = !users || !sims, rc = GROWTH_OK;
    if (!ps.failed && !nomem)
        rc = growth_audience_peer_index(GJNI_PTR(const growth_index, index), (const uint32_t *)sd, (size_t)ns,
                                        (size_t)n, cfg, users, sims, (size_t)n, &got);
    free(cfg);
    jobjectArray out = NULL;
    if (finish(env, &ps, who, NULL, nomem, rc) == 0) out = ranked(env, users, sims, got);
    free(users);
    free(sims);
    return out;
}

/* ---- lost audience ----------------------------------------------------------------------- */

/* {int[] users, long[] lastTimes} */
JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audienceLost(JNIEnv *env, jclass cls,
                                                                      jintArray users, jlongArray times,
                                                                      jint nusers, jbyteArray config)
{
    (void)cls;
    const char *who = "Audience.lost";
    if (required(env, users, "users") || required(env, times, "times") ||
        check_count(env, who, "nusers", nusers))
        return NULL;
    jsize ne = len_of(env, users);
    if (check_len(env, who, "times", times, ne, 1)) return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    size_t cap = first_cap((size_t)nusers), n = 0;
    uint32_t *ou = NULL;
    int64_t *ol = NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *pu = pin(&ps, users, ne, 'I', 0);
    const jlong *pt = pin(&ps, times, ne, 'J', 0);
    int nomem = 0, rc = GROWTH_OK;
    for (int attempt = 0; !ps.failed && attempt < 3; attempt++) {
        free(ou);
        free(ol);
        ou = malloc((cap + 1) * sizeof *ou);
        ol = malloc((cap + 1) * sizeof *ol);
        if (!ou || !ol) {
            nomem = 1;
            break;
        }
        rc = growth_audience_lost((const uint32_t *)pu, (const int64_t *)pt, (size_t)ne, (size_t)nusers, cfg,
                                  ou, ol, cap, &n);
        if (rc != GROWTH_EBUFS || n <= cap) break;
        cap = n;
    }
    free(cfg);
    jobjectArray out = NULL;
    if (finish(env, &ps, who, NULL, nomem, rc) == 0 && java_len(env, who, n) >= 0 &&
        (out = new_parts(env, 2)) != NULL) {
        if (set_part(env, out, 0, new_ints(env, ou, (jsize)n)) ||
            set_part(env, out, 1, new_longs(env, (const uint64_t *)ol, (jsize)n)))
            out = NULL;
    }
    free(ou);
    free(ol);
    return out;
}

/* ---- union ------------------------------------------------------------------------------- */

/* {int[] users, int[] directions}. The lists are copied to the C heap (their number is not
 * bounded by PIN_MAX). */
JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audienceUnion(JNIEnv *env, jclass cls,
                                                                       jobjectArray lists, jintArray dirs,
                                                                       jint nusers)
{
    (void)cls;
    const char *who = "Audience.union";
    if (required(env, lists, "lists") || required(env, dirs, "directions") ||
        check_count(env, who, "nusers", nusers))
        return NULL;
    jsize nl = len_of(env, lists);
    if (check_len(env, who, "directions", dirs, nl, 1)) return NULL;
    size_t m = (size_t)nl + 1;
    uint32_t **li = calloc(m, sizeof *li);
    size_t *lens = calloc(m, sizeof *lens);
    uint32_t *d = calloc(m, sizeof *d);
    int nomem = !li || !lens || !d, ok = !nomem;
    for (jsize i = 0; ok && i < nl; i++) {
        jintArray a = (jintArray)(*env)->GetObjectArrayElement(env, lists, i);
        if (a == NULL) {
            char name[32];
            snprintf(name, sizeof name, "lists[%d]", (int)i);
            throw_npe(env, name);
            ok = 0;
            break;
        }
        jsize n = len_of(env, a);
        lens[i] = (size_t)n;
        if ((li[i] = malloc(((size_t)n + 1) * sizeof **li)) == NULL)
            nomem = 1, ok = 0;
        else
            (*env)->GetIntArrayRegion(env, a, 0, n, (jint *)li[i]);
        (*env)->DeleteLocalRef(env, a);
    }
    if (ok) (*env)->GetIntArrayRegion(env, dirs, 0, nl, (jint *)d);
    size_t cap = first_cap((size_t)nusers), n = 0;
    uint32_t *ou = NULL, *od = NULL;
    int rc = GROWTH_OK;
    for (int attempt = 0; ok && attempt < 3; attempt++) {
        free(ou);
        free(od);
        ou = malloc((cap + 1) * sizeof *ou);
        od = malloc((cap + 1) * sizeof *od);
        if (!ou || !od) {
            nomem = 1;
            break;
        }
        rc = growth_audience_union((const uint32_t *const *)li, lens, d, (size_t)nl, (size_t)nusers, ou, od,
                                   cap, &n);
        if (rc != GROWTH_EBUFS || n <= cap) break;
        cap = n;
    }
    jobjectArray out = NULL;
    if (!(*env)->ExceptionCheck(env)) {
        if (nomem)
            throw_status(env, GROWTH_ENOMEM, "Audience.union: out of memory");
        else if (rc != GROWTH_OK)
            throw_rc(env, rc);
        else if (java_len(env, who, n) >= 0 && (out = new_parts(env, 2)) != NULL) {
            if (set_part(env, out, 0, new_ints(env, ou, (jsize)n)) ||
                set_part(env, out, 1, new_ints(env, od, (jsize)n)))
                out = NULL;
        }
    }
    for (jsize i = 0; li && i < nl; i++) free(li[i]);
    free(li);
    free(lens);
    free(d);
    free(ou);
    free(od);
    return out;
}

/* ---- PU-learning target model ------------------------------------------------------------ */

JNIEXPORT jfloatArray JNICALL Java_org_libgrowth_Native_audiencePuScore(JNIEnv *env, jclass cls,
                                                                        jlongArray indptr, jintArray indices,
                                                                        jfloatArray values, jint nfeat,
                                                                        jintArray seed, jintArray pool,
                                                                        jbyteArray config, jobject listener)
{
    const char *who = "Audience.puScore";
    jsize nu = 0, nnz = 0;
    if (csr_args(env, who, indptr, indices, &nu, &nnz) || required(env, seed, "seed") ||
        required(env, pool, "pool") || check_count(env, who, "nfeat", nfeat) ||
        check_len(env, who, "values", values, nnz, 0))
        return NULL;
    jprogress prog;
    if (progress_init(env, cls, listener, &prog)) return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return NULL;
    jsize ns = len_of(env, seed), np = len_of(env, pool);
    jfloatArray out = (*env)->NewFloatArray(env, np);
    if (out == NULL) {
        free(cfg);
        return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, nu + 1, 'J', 0);
    const jint *ix = pin(&ps, indices, nnz, 'I', 0);
    const jfloat *pv = pin(&ps, values, nnz, 'F', 0);
    const jint *sd = pin(&ps, seed, ns, 'I', 0);
    const jint *pp = pin(&ps, pool, np, 'I', 0);
    jfloat *po = pin(&ps, out, np, 'F', 1);
    char bad[160];
    const char *badp = NULL;
    int rc = GROWTH_OK;
    if (!ps.failed) {
        if (csr_bounds(ip, nu, nnz, bad, sizeof bad))
            badp = bad;
        else
            rc = growth_audience_pu_score(
                (const uint64_t *)ip, (const uint32_t *)ix, pv, (size_t)nu, (size_t)nfeat,
                (const uint32_t *)sd, (size_t)ns, (const uint32_t *)pp, (size_t)np, cfg, po, (size_t)np,
                listener != NULL ? progress_cb : NULL, listener != NULL ? &prog : NULL);
    }
    free(cfg);
    /* a listener's exception stays pending and wins over the library's ECANCELED */
    return finish(env, &ps, who, badp, 0, rc) == 0 ? out : NULL;
}

/* ---- selection --------------------------------------------------------------------------- */

/* {int[] users, float[] scores}, best first. */
JNIEXPORT jobjectArray JNICALL Java_org_libgrowth_Native_audienceSelect(JNIEnv *env, jclass cls,
                                                                        jintArray users, jfloatArray scores,
                                                                        jintArray exclude, jfloat threshold,
                                                                        jint n)
{
    (void)cls;
    const char *who = "Audience.select";
    if (required(env, users, "users") || required(env, scores, "scores") || check_count(env, who, "n", n))
        return NULL;
    jsize np = len_of(env, users), nx = len_of(env, exclude);
    if (check_len(env, who, "scores", scores, np, 1)) return NULL;
    uint32_t *ou = malloc(((size_t)n + 1) * sizeof *ou);
    float *os = malloc(((size_t)n + 1) * sizeof *os);
    size_t got = 0;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *pu = pin(&ps, users, np, 'I', 0);
    const jfloat *psc = pin(&ps, scores, np, 'F', 0);
    const jint *px = pin(&ps, exclude, nx, 'I', 0);
    int nomem = !ou || !os, rc = GROWTH_OK;
    if (!ps.failed && !nomem)
        rc = growth_audience_select((const uint32_t *)pu, psc, (size_t)np, (const uint32_t *)px, (size_t)nx,
                                    threshold, (size_t)n, ou, os, (size_t)n, &got);
    jobjectArray out = NULL;
    if (finish(env, &ps, who, NULL, nomem, rc) == 0) out = ranked(env, ou, os, got);
    free(ou);
    free(os);
    return out;
}
