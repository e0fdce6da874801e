/*
 * JNI natives of bandit.h (class Bandit), and growth_bandit_sample_beta of the unstable
 * growth/sys/bandit.h (Bandit.sampleBeta).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROWTH_SYS_UNSTABLE 1 /* growth_bandit_sample_beta */
#include <growth/growth.h>
#include <growth/sys/bandit.h>

#include "jni_util.h"
#include "org_libgrowth_Native.h"

GJNI_MODEL(bandit, growth_bandit, growth_bandit, "Bandit");

/* Every bandit call may wait on the handle's reader/writer lock or a stripe mutex: arrays are
 * pinned with Get<Type>ArrayElements, never critically. */

static int text_bandit_arm_name(jlong h, jlong arg, char *b, size_t c, size_t *n)
{
    return growth_bandit_arm_name(bandit_of(h), (uint64_t)arg, b, c, n);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditAddArm(JNIEnv *env, jclass cls, jlong b, jlong id,
                                                              jdouble rate, jdouble strength)
{
    (void)cls;
    int rc = growth_bandit_add_arm(bandit_of(b), (uint64_t)id, rate, strength);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_banditAddArmNamed(JNIEnv *env, jclass cls, jlong b,
                                                                    jbyteArray name, jdouble rate,
                                                                    jdouble strength)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return 0;
    uint64_t id = 0;
    int rc = growth_bandit_add_arm_named(bandit_of(b), s, rate, strength, &id);
    free(s);
    if (rc != GROWTH_OK) throw_rc(env, rc);
    return (jlong)id;
}

JNIEXPORT jlong JNICALL Java_org_libgrowth_Native_banditNameId(JNIEnv *env, jclass cls, jbyteArray name)
{
    (void)cls;
    char *s = cstr_dup(env, name, "name");
    if (s == NULL) return 0;
    uint64_t id = growth_bandit_name_id(s);
    free(s);
    return (jlong)id;
}

JNIEXPORT jbyteArray JNICALL Java_org_libgrowth_Native_banditArmName(JNIEnv *env, jclass cls, jlong b,
                                                                     jlong id)
{
    (void)cls;
    return text_bytes(env, text_bandit_arm_name, b, id);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditRemoveArm(JNIEnv *env, jclass cls, jlong b, jlong id)
{
    (void)cls;
    int rc = growth_bandit_remove_arm(bandit_of(b), (uint64_t)id);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditReplaceArm(JNIEnv *env, jclass cls, jlong b,
                                                                  jlong old_id, jlong new_id, jdouble rate,
                                                                  jdouble strength)
{
    (void)cls;
    int rc = growth_bandit_replace_arm(bandit_of(b), (uint64_t)old_id, (uint64_t)new_id, rate, strength);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

/* The arm count from growth_bandit_stats_get(), or -1 with an exception pending. */
static jint bandit_arm_count(JNIEnv *env, jlong b)
{
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    int rc = growth_bandit_stats_get(bandit_of(b), &st);
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

JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_banditArms(JNIEnv *env, jclass cls, jlong b)
{
    (void)cls;
    for (int attempt = 0; attempt < 3; attempt++) {
        size_t needed = 0;
        int rc = growth_bandit_arms(bandit_of(b), NULL, 0, &needed);
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
        rc = growth_bandit_arms(bandit_of(b), ids, needed, &got);
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

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditArmStats(JNIEnv *env, jclass cls, jlong b,
                                                                        jlong id)
{
    (void)cls;
    growth_bandit_arm_stats st = GROWTH_BANDIT_ARM_STATS_INIT;
    int rc = growth_bandit_arm_stats_get(bandit_of(b), (uint64_t)id, &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double v[4] = {st.alpha, st.beta, st.evidence, st.mean};
    return new_doubles(env, v, 4);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSelect(JNIEnv *env, jclass cls, jlong b,
                                                              jfloatArray context, jlongArray eligible,
                                                              jlongArray out_ids, jdoubleArray out_prop)
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
        rc = growth_bandit_select(bandit_of(b), x, (size_t)dim, (const uint64_t *)e, (size_t)ne, &res[0],
                                  &res[1], &prop);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return;
    }
    (*env)->SetLongArrayRegion(env, out_ids, 0, 2, (const jlong *)res);
    (*env)->SetDoubleArrayRegion(env, out_prop, 0, 1, &prop);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSelectK(JNIEnv *env, jclass cls, jlong b,
                                                               jfloatArray context, jlongArray eligible,
                                                               jbooleanArray mask, jint k,
                                                               jlongArray out_decisions, jlongArray out_arms,
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
        rc = growth_bandit_select_k(bandit_of(b), x, (size_t)dim, (const uint64_t *)e, (size_t)ne,
                                    (const uint8_t *)m, (size_t)nm, (size_t)k, (uint64_t *)od, (uint64_t *)oa,
                                    op, (size_t)cap);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSelectBatch(
    JNIEnv *env, jclass cls, jlong b, jfloatArray contexts, jint n, jlongArray eligible,
    jlongArray out_decisions, jlongArray out_arms, jdoubleArray out_props)
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
            throw_einval(env, "%s: contexts has %d floats, not a multiple of n = %d", who, (int)nx, (int)n);
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
        rc = growth_bandit_select_batch(bandit_of(b), x, (size_t)dim, (size_t)n, (const uint64_t *)e,
                                        (size_t)ne, (uint64_t *)od, (uint64_t *)oa, op, (size_t)cap);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditProbabilities(JNIEnv *env, jclass cls, jlong b,
                                                                             jfloatArray context,
                                                                             jlongArray eligible, jlong draws,
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
        rc = growth_bandit_probabilities(bandit_of(b), x, (size_t)dim, (const uint64_t *)e, (size_t)ne,
                                         (size_t)draws, (uint64_t)seed, o, (size_t)cap);
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
    int rc = growth_bandit_reward(bandit_of(b), (uint64_t)decision, value);
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT jintArray JNICALL Java_org_libgrowth_Native_banditRewardBatch(JNIEnv *env, jclass cls, jlong b,
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
        rc = growth_bandit_reward_batch(bandit_of(b), (const uint64_t *)d, v, (size_t)n, (int *)o, NULL);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return out;
}

JNIEXPORT jlongArray JNICALL Java_org_libgrowth_Native_banditStats(JNIEnv *env, jclass cls, jlong b)
{
    (void)cls;
    growth_bandit_stats st = GROWTH_BANDIT_STATS_INIT;
    int rc = growth_bandit_stats_get(bandit_of(b), &st);
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    /* {decisions, applied, unknown, expired, duplicate, retired, pending, arms} */
    uint64_t v[8] = {st.decisions, st.applied, st.unknown, st.expired,
                     st.duplicate, st.retired, st.pending, st.arms};
    return new_longs(env, v, 8);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_sampleBeta(JNIEnv *env, jclass cls, jlong seed,
                                                                    jdoubleArray a, jdoubleArray bb)
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

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditOpe(JNIEnv *env, jclass cls, jbyteArray config,
                                                                   jint n_actions, jintArray actions,
                                                                   jdoubleArray rewards,
                                                                   jdoubleArray propensities,
                                                                   jdoubleArray target, jdoubleArray q_hat)
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
        check_len(env, who, "propensities", propensities, n, 0) ||
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
        rc = growth_bandit_ope((size_t)n, (size_t)n_actions, (const uint32_t *)pa, pr, pp, pt, pq, cfg,
                               &res[0], &res[1]);
    free(cfg);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, res, 2);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditReplay(JNIEnv *env, jclass cls, jlong b,
                                                                      jfloatArray contexts, jlongArray arms,
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
            throw_einval(env, "%s: contexts has %d floats, not a multiple of %d events", who, (int)nx,
                         (int)n);
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
        rc = growth_bandit_replay(bandit_of(b), x, (size_t)dim, (const uint64_t *)pa, pr, (size_t)n,
                                  (const uint64_t *)e, (size_t)ne, &value, &matched);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    double res[2] = {value, (double)matched};
    return new_doubles(env, res, 2);
}

JNIEXPORT jdoubleArray JNICALL Java_org_libgrowth_Native_banditOpeInterval(
    JNIEnv *env, jclass cls, jbyteArray config, jint n_actions, jintArray actions, jdoubleArray rewards,
    jdoubleArray propensities, jdoubleArray target, jdoubleArray q_hat)
{
    (void)cls;
    const char *who = "Bandit.opeInterval";
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
        check_len(env, who, "propensities", propensities, n, 0) ||
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
    double res[3] = {0, 0, 0};
    int rc = GROWTH_OK;
    if (!ps.failed)
        rc = growth_bandit_ope_interval((size_t)n, (size_t)n_actions, (const uint32_t *)pa, pr, pp, pt, pq,
                                        cfg, &res[0], &res[1], &res[2]);
    free(cfg);
    if (pins_release(&ps)) return NULL;
    if (rc != GROWTH_OK) {
        throw_rc(env, rc);
        return NULL;
    }
    return new_doubles(env, res, 3);
}

/* growth_bandit_select_csr: the C call cannot see the Java array lengths, so every indptr entry is
 * checked against indices.length (and values.length) here. */
JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditSelectCsr(JNIEnv *env, jclass cls, jlong b,
                                                                 jlongArray indptr, jintArray indices,
                                                                 jfloatArray values, jlongArray ids,
                                                                 jdoubleArray rates, jlongArray out,
                                                                 jdoubleArray out_prop)
{
    (void)cls;
    const char *who = "Bandit.selectCsr";
    if (indptr == NULL) {
        throw_npe(env, "indptr");
        return;
    }
    if (out == NULL || out_prop == NULL || len_of(env, out) < 2 || len_of(env, out_prop) < 1) {
        throw_npe(env, "outputs");
        return;
    }
    jsize np = len_of(env, indptr), ni = len_of(env, indices);
    if (np < 1) {
        throw_einval(env, "%s: indptr needs n + 1 >= 1 entries", who);
        return;
    }
    jsize n = np - 1;
    if (values != NULL && len_of(env, values) != ni) {
        throw_einval(env, "%s: values has %d entries, indices %d", who, (int)len_of(env, values), (int)ni);
        return;
    }
    if (check_len(env, who, "candidateIds", ids, n, 0) || check_len(env, who, "priorRates", rates, n, 0))
        return;
    jlong *ip = (*env)->GetLongArrayElements(env, indptr, NULL);
    if (ip == NULL) return; /* OutOfMemoryError pending */
    jsize bad = -1;
    for (jsize j = 0; j < np && bad < 0; j++)
        if (ip[j] < 0 || ip[j] > (jlong)ni) bad = j;
    jlong badv = bad >= 0 ? ip[bad] : 0;
    (*env)->ReleaseLongArrayElements(env, indptr, ip, JNI_ABORT);
    if (bad >= 0) {
        throw_einval(env, "%s: indptr[%d] = %lld is outside 0..indices.length = %d", who, (int)bad,
                     (long long)badv, (int)ni);
        return;
    }
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jlong *pp = pin(&ps, indptr, np, 'J', 0);
    const jint *pi = pin(&ps, indices, ni, 'I', 0);
    const jfloat *pv = pin(&ps, values, ni, 'F', 0);
    const jlong *pid = pin(&ps, ids, n, 'J', 0);
    const jdouble *pr = pin(&ps, rates, n, 'D', 0);
    jlong *o = pin(&ps, out, 2, 'J', 1);
    jdouble *op = pin(&ps, out_prop, 1, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) {
        uint64_t dec = 0;
        size_t cand = 0;
        double prop = 0;
        rc = growth_bandit_select_csr(bandit_of(b), (const uint64_t *)pp, (const uint32_t *)pi, pv, (size_t)n,
                                      (const uint64_t *)pid, pr, &dec, &cand, &prop);
        if (rc == GROWTH_OK) {
            o[0] = (jlong)dec;
            o[1] = (jlong)cand;
            op[0] = prop;
        }
    }
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}

JNIEXPORT void JNICALL Java_org_libgrowth_Native_banditWeights(JNIEnv *env, jclass cls, jlong b,
                                                               jintArray slots, jdoubleArray mean,
                                                               jdoubleArray precision)
{
    (void)cls;
    const char *who = "Bandit.weights";
    if (slots == NULL) {
        throw_npe(env, "slots");
        return;
    }
    jsize n = len_of(env, slots);
    if (check_len(env, who, "mean", mean, n, 1) || check_len(env, who, "precision", precision, n, 1)) return;
    pinset ps;
    pins_init(&ps, env, PIN_COPY);
    const jint *s = pin(&ps, slots, n, 'I', 0);
    jdouble *m = pin(&ps, mean, n, 'D', 1);
    jdouble *q = pin(&ps, precision, n, 'D', 1);
    int rc = GROWTH_OK;
    if (!ps.failed) rc = growth_bandit_weights(bandit_of(b), (const uint32_t *)s, (size_t)n, m, q, (size_t)n);
    if (pins_release(&ps)) return;
    if (rc != GROWTH_OK) throw_rc(env, rc);
}
