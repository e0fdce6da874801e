/*
 * JNI natives of budget.h (classes Mckp, Channels, Budget, ResponseModel), and the MCKP shard calls of the
 * unstable growth/sys/budget.h (Mckp.shardEval, Mckp.shardAssign).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROWTH_SYS_UNSTABLE 1 /* growth_mckp_shard_eval, growth_mckp_shard_assign */
#include <growth/growth.h>
#include <growth/sys/budget.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_HANDLE(mckp, growth_mckp, growth_mckp);
GJNI_HANDLE_OF(channels, growth_channels);
GJNI_CREATE(channels, growth_channels, growth_channels);
GJNI_FREE(channels, growth_channels, growth_channels);

/* Solves run long and take arrays of millions of options: pinned with Get<Type>ArrayElements. */

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpCancel(JNIEnv *env, jclass cls, jlong s)
{
    (void)cls;
    int rc = growth_mckp_cancel(mckp_of(s));
    if (rc != GROWTH_OK) throw_rc(env, rc);
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
                                                                jlongArray indptr, jdoubleArray values,
                                                                jdoubleArray costs, jdoubleArray budgets,
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
    jprogress prog;
    if (progress_init(env, cls, listener, &prog)) return NULL;
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
            if (listener != NULL) growth_mckp_set_progress(mckp_of(s), progress_cb, &prog);
            rc = growth_mckp_solve(mckp_of(s), (const uint64_t *)ip, (size_t)n, v, c, (size_t)k, b,
                                   (int32_t *)o, (size_t)n);
            if (listener != NULL) {
                /* keep the solve's message: clearing the callback must not overwrite it */
                char msg[512];
                snprintf(msg, sizeof msg, "%s", rc != GROWTH_OK ? growth_last_error() : "");
                growth_mckp_set_progress(mckp_of(s), NULL, NULL);
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

/* A solve's summary as Java's MckpResult reads it (10 doubles), or NULL with the status thrown. */
static jdoubleArray result_array(JNIEnv *env, int rc, const growth_mckp_result *rp)
{
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double v[10] = {rp->value,
                    rp->lp_value,
                    rp->dual_bound,
                    rp->gap,
                    rp->rel_gap,
                    (double)rp->n_users,
                    (double)rp->n_chosen,
                    (double)rp->iterations,
                    (double)rp->fractional,
                    (double)rp->n_budgets};
    return new_doubles(env, v, 10);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpResult(JNIEnv *env, jclass cls, jlong s)
{
    (void)cls;
    growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
    int rc = growth_mckp_result_get(mckp_of(s), &r);
    return result_array(env, rc, &r);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpDuals(JNIEnv *env, jclass cls, jlong s, jint k)
{
    (void)cls;
    if (k < 1 || k > 64) {
        throw_einval(env, "Mckp.duals: %d budgets, 1..64 expected", (int)k);
        return NULL;
    }
    double buf[2 * 64];
    int rc = growth_mckp_duals(mckp_of(s), buf, buf + k, (size_t)k);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, buf, 2 * k);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpShardEval(JNIEnv *env, jclass cls, jlong s,
                                                               jlongArray indptr, jdoubleArray values,
                                                               jdoubleArray costs, jint k,
                                                               jdoubleArray lambda, jdoubleArray out_spend,
                                                               jdoubleArray out_value, jdoubleArray out_dual)
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
        throw_einval(env, "%s: lambda has %d prices, not a multiple of %d budgets", who, (int)nl, (int)k);
        return;
    }
    jsize np = nl / k;
    if (check_len(env, who, "spend", out_spend, nl, 0) || check_len(env, who, "value", out_value, np, 0) ||
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
            rc = growth_mckp_shard_eval(mckp_of(s), (const uint64_t *)ip, (size_t)n, v, c, (size_t)k, l,
                                        (size_t)np, os, ov, od);
    }
    if (pins_release(&ps)) return;
    if (bad != NULL)
        throw_einval(env, "%s: indptr: %s", who, bad);
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT jdouble JNICALL Java_org_libgrowth_Native_mckpShardAssign(JNIEnv *env, jclass cls, jlong s,
                                                                    jlongArray indptr, jdoubleArray values,
                                                                    jdoubleArray costs, jdoubleArray lambda,
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
    if (check_len(env, who, "choice", out_choice, n, 1) || check_len(env, who, "spend", out_spend, k, 0))
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
            rc = growth_mckp_shard_assign(mckp_of(s), (const uint64_t *)ip, (size_t)n, v, c, (size_t)k, l,
                                          (int32_t *)oc, (size_t)n, os, &value);
    }
    if (pins_release(&ps)) return 0.0;
    if (bad != NULL)
        throw_einval(env, "%s: indptr: %s", who, bad);
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
    return value;
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_channelsCount(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    growth_channels_stats st = GROWTH_CHANNELS_STATS_INIT;
    int rc = growth_channels_stats_get(channels_of(c), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)st.channels; /* at most INT32_MAX channels */
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_channelsAdd(JNIEnv *env, jclass cls, jlong c, jint kind,
                                                             jdouble a, jdouble b, jdouble weight,
                                                             jdouble min_spend, jdouble max_spend)
{
    (void)cls;
    size_t index = 0;
    int rc =
        growth_channels_add(channels_of(c), (growth_curve)kind, a, b, weight, min_spend, max_spend, &index);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)index;
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_channelsAddPoints(JNIEnv *env, jclass cls, jlong c,
                                                                   jdoubleArray x, jdoubleArray y,
                                                                   jdouble weight, jdouble min_spend,
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
        rc = growth_channels_add_points(channels_of(c), px, py, (size_t)n, weight, min_spend, max_spend,
                                        &index);
    if (pins_release(&ps)) return -1;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)index;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_channelsAllocate(JNIEnv *env, jclass cls, jlong c,
                                                                          jdouble budget,
                                                                          jdoubleArray out_spend,
                                                                          jdoubleArray out_outcome)
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
        rc = growth_channels_allocate(channels_of(c), budget, os, oo, (size_t)cap, &res[0], &res[1]);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, res, 2);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_channelsCurve(JNIEnv *env, jclass cls, jlong c,
                                                               jdoubleArray budgets, jdoubleArray out_total,
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
    if (check_len(env, who, "total", out_total, n, 1) || check_len(env, who, "marginal", out_marginal, n, 1))
        return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jdouble *b = pin(&ps, budgets, n, 'D', 0);
    jdouble *ot = pin(&ps, out_total, n, 'D', 1);
    jdouble *om = pin(&ps, out_marginal, n, 'D', 1);
    jdouble *os = pin(&ps, out_spend, ns, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_channels_curve(channels_of(c), b, (size_t)n, ot, om, os, (size_t)ns);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_pushAllocate(
    JNIEnv *env, jclass cls, jbyteArray config, jlongArray user_ptr, jdoubleArray values, jintArray category,
    jintArray caps, jint n_categories, jdoubleArray cat_min, jdoubleArray cat_max, jdouble volume,
    jdoubleArray hours, jbooleanArray out_send, jbyteArray out_hour)
{
    (void)cls;
    const char *who = "Budget.push";
    if (user_ptr == NULL || values == NULL || category == NULL || out_send == NULL) {
        throw_npe(env, user_ptr == NULL   ? "userPtr"
                       : values == NULL   ? "values"
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
    if (check_len(env, who, "category", category, nv, 1) || check_len(env, who, "caps", caps, n, 0) ||
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
                                             (const int32_t *)cp, (size_t)n_categories, lo, hi, volume, hr,
                                             cfg, (uint8_t *)os, (int8_t *)oh, (size_t)cap, &r, NULL, NULL);
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

/* ---- the coordinated MCKP protocol (unstable): Mckp.shardStep, MckpCoordinator ------------- */

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpShardStep(JNIEnv *env, jclass cls, jlong s,
                                                                       jlongArray indptr, jdoubleArray values,
                                                                       jdoubleArray costs, jint k,
                                                                       jdoubleArray request, jintArray plan)
{
    (void)cls;
    const char *who = "Mckp.shardStep";
    jsize n = 0;
    if (request == NULL || plan == NULL) {
        throw_npe(env, request == NULL ? "request" : "plan");
        return NULL;
    }
    if (k < 1) {
        throw_einval(env, "%s: nBudgets = %d, must be >= 1", who, (int)k);
        return NULL;
    }
    if (check_mckp_input(env, who, indptr, values, costs, k, &n)) return NULL;
    if (check_len(env, who, "plan", plan, n, 1)) return NULL;
    jsize nv = len_of(env, values), nc = len_of(env, costs), nr = len_of(env, request);
    double cap_d = 0;
    (*env)->GetDoubleArrayRegion(env, request, nr > 4 ? 4 : 0, nr > 4 ? 1 : 0, &cap_d);
    size_t cap = cap_d >= 0 && cap_d <= (double)(1 << 28) ? (size_t)cap_d : 0, m = 0;
    double *out = malloc((cap ? cap : 1) * sizeof *out);
    if (out == NULL) {
        throw_status(env, GROWTH_ENOMEM, "Mckp.shardStep: out of memory");
        return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *ip = pin(&ps, indptr, n + 1, 'J', 0);
    const jdouble *v = pin(&ps, values, nv, 'D', 0);
    const jdouble *c = pin(&ps, costs, nc, 'D', 0);
    const jdouble *rq = pin(&ps, request, nr, 'D', 0);
    jint *pl = pin(&ps, plan, n, 'I', 1);
    int rc = GROWTH_OK;
    const char *bad = NULL;
    if (!ps.failed) {
        bad = check_offsets(ip, n, nv);
        if (bad == NULL)
            rc = growth_mckp_shard_step(mckp_of(s), (const uint64_t *)ip, (size_t)n, v, c, (size_t)k, rq,
                                        (size_t)nr, (int32_t *)pl, (size_t)n, out, cap, &m);
    }
    jdoubleArray res = NULL;
    if (pins_release(&ps)) {
        free(out);
        return NULL;
    }
    if (bad != NULL)
        throw_einval(env, "%s: indptr: %s", who, bad);
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
    else
        res = new_doubles(env, out, (jsize)m);
    free(out);
    return res;
}

GJNI_HANDLE_OF(mckp_coord, growth_mckp_coord);

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_mckpCoordCreate(JNIEnv *env, jclass cls, jint n_shards,
                                                                  jlong n_users, jlong n_options,
                                                                  jdoubleArray budgets, jbyteArray config)
{
    (void)cls;
    if (budgets == NULL) {
        throw_npe(env, "budgets");
        return 0;
    }
    if (n_shards < 1 || n_users < 1 || n_options < 0) {
        throw_einval(env, "MckpCoordinator: %d shards, %lld users, %lld options", (int)n_shards,
                     (long long)n_users, (long long)n_options);
        return 0;
    }
    char *cfg = cstr_dup(env, config, "config");
    if (cfg == NULL) return 0;
    jsize k = len_of(env, budgets);
    double b[64];
    if (k < 1 || k > 64) {
        free(cfg);
        throw_einval(env, "MckpCoordinator: %d budgets, must be 1..64", (int)k);
        return 0;
    }
    (*env)->GetDoubleArrayRegion(env, budgets, 0, k, b);
    growth_mckp_coord *c = NULL;
    int rc =
        growth_mckp_coord_create(&c, (size_t)n_shards, (size_t)n_users, (size_t)n_options, (size_t)k, b, cfg);
    free(cfg);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(c);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpCoordFree(JNIEnv *env, jclass cls, jlong c)
{
    (void)env, (void)cls;
    growth_mckp_coord_free(mckp_coord_of(c));
}

JNIEXPORT jboolean JNICALL Java_org_libgrowth_Native_mckpCoordNext(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    int done = 0, rc = growth_mckp_coord_next(mckp_coord_of(c), &done);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return done ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpCoordRequest(JNIEnv *env, jclass cls, jlong c,
                                                                          jint shard)
{
    (void)cls;
    size_t n = 0;
    if (shard < 0) {
        throw_einval(env, "MckpCoordinator.request: shard %d", (int)shard);
        return NULL;
    }
    int rc = growth_mckp_coord_request(mckp_coord_of(c), (size_t)shard, NULL, 0, &n);
    if (rc != GROWTH_OK && rc != GROWTH_EBUFS) {
        throw_rc(env, rc);
        return NULL;
    }
    if (n == 0) return NULL;
    double *buf = malloc(n * sizeof *buf);
    if (buf == NULL) {
        throw_status(env, GROWTH_ENOMEM, "MckpCoordinator.request: out of memory");
        return NULL;
    }
    rc = growth_mckp_coord_request(mckp_coord_of(c), (size_t)shard, buf, n, &n);
    jdoubleArray out = rc == GROWTH_OK ? new_doubles(env, buf, (jsize)n) : NULL;
    if (rc != GROWTH_OK) throw_rc(env, rc);
    free(buf);
    return out;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpCoordFeed(JNIEnv *env, jclass cls, jlong c, jint shard,
                                                               jdoubleArray reply)
{
    (void)cls;
    if (reply == NULL) {
        throw_npe(env, "reply");
        return;
    }
    if (shard < 0) {
        throw_einval(env, "MckpCoordinator.feed: shard %d", (int)shard);
        return;
    }
    jsize n = len_of(env, reply);
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jdouble *r = pin(&ps, reply, n, 'D', 0);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_mckp_coord_feed(mckp_coord_of(c), (size_t)shard, r, (size_t)n);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpCoordFail(JNIEnv *env, jclass cls, jlong c, jint shard,
                                                               jint code, jbyteArray message)
{
    (void)cls;
    char *msg = NULL;
    if (message != NULL && (msg = cstr_dup(env, message, "message")) == NULL) return;
    int rc =
        shard < 0 ? GROWTH_EINVAL : growth_mckp_coord_fail(mckp_coord_of(c), (size_t)shard, (int)code, msg);
    free(msg);
    if (shard < 0)
        throw_einval(env, "MckpCoordinator.fail: shard %d", (int)shard);
    else if (rc != GROWTH_OK)
        throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_mckpCoordCancel(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    int rc = growth_mckp_coord_cancel(mckp_coord_of(c));
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpCoordResult(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    growth_mckp_result r = GROWTH_MCKP_RESULT_INIT;
    int rc = growth_mckp_coord_result_get(mckp_coord_of(c), &r);
    return result_array(env, rc, &r);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_mckpCoordDuals(JNIEnv *env, jclass cls, jlong c,
                                                                        jint k)
{
    (void)cls;
    double buf[128];
    if (k < 1 || k > 64) {
        throw_einval(env, "MckpCoordinator: %d budgets", (int)k);
        return NULL;
    }
    int rc = growth_mckp_coord_duals(mckp_coord_of(c), buf, buf + k, (size_t)k);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, buf, 2 * k);
}

JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_mckpCoordStats(JNIEnv *env, jclass cls, jlong c)
{
    (void)cls;
    growth_mckp_coord_stats st = GROWTH_MCKP_COORD_STATS_INIT;
    int rc = growth_mckp_coord_stats_get(mckp_coord_of(c), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    uint64_t v[5] = {st.rounds, st.requests, st.shard_passes, st.doubles_to_shards, st.doubles_from_shards};
    return new_longs(env, v, 5);
}

/* ---- fitted response curves and multi-outcome allocation (ResponseModel) ------------------- */

GJNI_HANDLE_OF(response, growth_response);
GJNI_FREE(response, growth_response, growth_response);

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_channelsFit(JNIEnv *env, jclass cls, jdoubleArray x,
                                                                     jdoubleArray y, jdoubleArray w,
                                                                     jbyteArray config)
{
    (void)cls;
    const char *who = "ResponseModel.fitCurve";
    if (x == NULL || y == NULL) {
        throw_npe(env, x == NULL ? "spend" : "outcome");
        return NULL;
    }
    jsize n = len_of(env, x);
    if (check_len(env, who, "outcome", y, n, 1) || check_len(env, who, "weight", w, n, 0)) return NULL;
    char *cfg = cstr_dup(env, config, "config");
    if (!cfg) return NULL;
    size_t cap = (size_t)n + 2;
    double *out = malloc((9 + 2 * cap) * sizeof *out);
    if (!out) {
        free(cfg);
        throw_rc(env, GROWTH_ENOMEM);
        return NULL;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jdouble *px = pin(&ps, x, n, 'D', 0);
    const jdouble *py = pin(&ps, y, n, 'D', 0);
    const jdouble *pw = pin(&ps, w, n, 'D', 0);
    int rc = GROWTH_OK;
    size_t nk = 0;
    growth_channels_fit_result fr = GROWTH_CHANNELS_FIT_RESULT_INIT;
    if (!ps.failed)
        rc = growth_channels_fit(px, py, pw, (size_t)n, cfg, &fr, out + 9, out + 9 + cap, cap, &nk);
    free(cfg);
    if (pins_release(&ps) || rc != GROWTH_OK) {
        if (rc != GROWTH_OK && !(*env)->ExceptionCheck(env)) throw_rc(env, rc);
        free(out);
        return NULL;
    }
    double head[9] = {fr.family,   fr.a,        fr.b,         fr.r2,     fr.rmse,
                      fr.spend_lo, fr.spend_hi, (double)fr.n, (double)nk};
    memcpy(out, head, sizeof head);
    memmove(out + 9 + nk, out + 9 + cap, nk * sizeof *out); /* knots x then y, back to back */
    jdoubleArray res = new_doubles(env, out, (jsize)(9 + 2 * nk));
    free(out);
    return res;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_responseCreate(JNIEnv *env, jclass cls, jint n_outcomes,
                                                                 jbyteArray config)
{
    (void)cls;
    if (n_outcomes < 0) {
        throw_einval(env, "ResponseModel: nOutcomes %d < 0", (int)n_outcomes);
        return 0;
    }
    char *cfg = cstr_dup(env, config, "config");
    if (!cfg) return 0;
    growth_response *r = NULL;
    int rc = growth_response_create(&r, (size_t)n_outcomes, cfg);
    free(cfg);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return 0;
    }
    return HANDLE(r);
}

JNIEXPORT jint JNICALL Java_org_libgrowth_Native_responseAdd(JNIEnv *env, jclass cls, jlong h, jint group,
                                                             jdouble lo, jdouble hi)
{
    (void)cls;
    size_t index = 0;
    int rc = growth_response_add(response_of(h), (int32_t)group, lo, hi, &index);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return -1;
    }
    return (jint)index;
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_responseSetCurve(JNIEnv *env, jclass cls, jlong h,
                                                                  jint placement, jint outcome, jint kind,
                                                                  jdouble a, jdouble b)
{
    (void)cls;
    if (placement < 0 || outcome < 0) {
        throw_iae(env, "ResponseModel.setCurve: placement %d, outcome %d must be >= 0", (int)placement,
                  (int)outcome);
        return;
    }
    int rc = growth_response_set_curve(response_of(h), (size_t)placement, (size_t)outcome, (growth_curve)kind,
                                       a, b);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_responseSetPoints(JNIEnv *env, jclass cls, jlong h,
                                                                   jint placement, jint outcome,
                                                                   jdoubleArray x, jdoubleArray y)
{
    (void)cls;
    if (x == NULL || y == NULL) {
        throw_npe(env, x == NULL ? "x" : "y");
        return;
    }
    if (placement < 0 || outcome < 0) {
        throw_iae(env, "ResponseModel.setPoints: placement %d, outcome %d must be >= 0", (int)placement,
                  (int)outcome);
        return;
    }
    jsize n = len_of(env, x);
    if (check_len(env, "ResponseModel.setPoints", "y", y, n, 1)) return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jdouble *px = pin(&ps, x, n, 'D', 0);
    const jdouble *py = pin(&ps, y, n, 'D', 0);
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc =
            growth_response_set_points(response_of(h), (size_t)placement, (size_t)outcome, px, py, (size_t)n);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_responseAllocate(
    JNIEnv *env, jclass cls, jlong h, jdoubleArray budgets, jdoubleArray weights, jdoubleArray min_ratio,
    jdoubleArray min_spend, jdoubleArray max_spend, jdoubleArray out_spend, jdoubleArray out_outcomes)
{
    (void)cls;
    const char *who = "ResponseModel.allocate";
    if (budgets == NULL || weights == NULL || out_spend == NULL) {
        throw_npe(env, budgets == NULL ? "budgets" : weights == NULL ? "weights" : "spend");
        return NULL;
    }
    jsize nb = len_of(env, budgets), nw = len_of(env, weights), np = len_of(env, out_spend);
    if (check_len(env, who, "minRatio", min_ratio, nw, 0) ||
        check_len(env, who, "minSpend", min_spend, np, 0) ||
        check_len(env, who, "maxSpend", max_spend, np, 0) ||
        check_len(env, who, "outcomes", out_outcomes, (jlong)np * nw, 0))
        return NULL;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jdouble *pb = pin(&ps, budgets, nb, 'D', 0);
    const jdouble *pw = pin(&ps, weights, nw, 'D', 0);
    const jdouble *pr = pin(&ps, min_ratio, nw, 'D', 0);
    const jdouble *plo = pin(&ps, min_spend, np, 'D', 0);
    const jdouble *phi = pin(&ps, max_spend, np, 'D', 0);
    jdouble *os = pin(&ps, out_spend, np, 'D', 1);
    jdouble *oo = pin(&ps, out_outcomes, np * nw, 'D', 1);
    growth_response_result res = GROWTH_RESPONSE_RESULT_INIT;
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_response_allocate(response_of(h), pb, (size_t)nb, pw, pr, plo, phi, os, oo, (size_t)np,
                                      &res);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double r[8] = {res.objective,
                   res.spend,
                   res.marginal,
                   res.price,
                   res.multiplier[0],
                   res.multiplier[1],
                   (double)res.extrapolated,
                   res.bound};
    return new_doubles(env, r, 8);
}
