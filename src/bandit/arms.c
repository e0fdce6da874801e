/* Bandit arms: the Beta posterior constants of an arm, adding (by id or name), removing and
 * replacing arms, listing them and their statistics. Arm changes hold b->lock exclusively. */
#define _GNU_SOURCE /* strdup */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bandit_impl.h"

#define NAME_MAX_LEN 1024

void bandit_refresh_k(const growth_bandit *b, barm *a)
{
    double x, y;
    posterior(b, a, &x, &y);
    reshape(b, &x, &y);
    bgamma_prep(x, &a->ka);
    bgamma_prep(y, &a->kb);
}

static int check_prior(const growth_bandit *b, const char *who, double rate, double strength)
{
    if (is_logistic(b))
        return gerr(GROWTH_EINVAL,
                    "%s: policy=logistic_* has no arms: score candidate rows with growth_bandit_select_csr()",
                    who);
    if (!(gfinite(strength) && strength >= 0))
        return gerr(GROWTH_EINVAL, "%s: prior_strength %g is not finite and >= 0", who, strength);
    if (strength > 0 && is_linear(b))
        return gerr(
            GROWTH_EINVAL,
            "%s: priors from a rate are for the Beta policies, not linear ones (prior_strength must be 0)",
            who);
    if (strength > 0 && !(rate > 0 && rate < 1))
        return gerr(GROWTH_EINVAL, "%s: prior_rate %g is not in (0, 1)", who, rate);
    return GROWTH_OK;
}

/* Fills a fresh arm at index i (caller reserved space and holds the lock). */
static int init_arm(growth_bandit *b, barm *a, uint64_t id, char *name, double rate, double strength,
                    const char *who)
{
    memset(a, 0, sizeof *a);
    a->id = id;
    a->uid = b->next_uid;
    a->name = name;
    a->ps = strength;
    a->pa = strength > 0 ? rate * strength : b->cfg.prior_alpha;
    a->pb = strength > 0 ? (1.0 - rate) * strength : b->cfg.prior_beta;
    if (is_linear(b)) {
        size_t d = b->dim;
        a->lin = calloc(2 * d * d + 2 * d, sizeof(double));
        if (!a->lin) return gerr(GROWTH_ENOMEM, "%s: out of memory for a %zu x %zu arm", who, d, d);
        for (size_t i = 0; i < d; i++) {
            a->lin[i * d + i] = b->cfg.lambda;
            a->lin[d * d + i * d + i] = 1.0 / b->cfg.lambda;
        }
    }
    bandit_refresh_k(b, a);
    return GROWTH_OK;
}

static int add_arm(growth_bandit *b, const char *who, uint64_t id, const char *name, double rate,
                   double strength)
{
    int rc = check_prior(b, who, rate, strength);
    if (rc) return rc;
    char *nm = NULL;
    if (name) {
        size_t len = strlen(name);
        if (len == 0 || len > NAME_MAX_LEN)
            return gerr(GROWTH_EINVAL, "%s: arm name is empty or longer than %d bytes", who, NAME_MAX_LEN);
    }
    pthread_rwlock_wrlock(&b->lock);
    if (gidmap_get(&b->index, id) != UINT32_MAX) {
        rc = gerr(GROWTH_EINVAL, "%s: arm %llu already exists", who, (unsigned long long)id);
        goto out;
    }
    if (b->n >= (size_t)b->cfg.max_arms) {
        rc = gerr(GROWTH_ENOMEM, "%s: max_arms=%lld reached", who, (long long)b->cfg.max_arms);
        goto out;
    }
    if ((rc = gmem_reserve(who, bandit_bytes(&b->cfg, (double)b->n + 1), (uint64_t)b->cfg.max_memory)))
        goto out;
    if ((rc = bandit_reserve(b, b->n + 1, who))) goto out;
    if (name && !(nm = strdup(name))) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto out;
    }
    if ((rc = init_arm(b, &b->arms[b->n], id, nm, rate, strength, who))) {
        free(nm);
        goto out;
    }
    b->next_uid++;
    b->total_ps += strength;
    gidmap_put(&b->index, id, (uint32_t)b->n);
    b->n++;
out:
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_add_arm(growth_bandit *b, uint64_t id, double prior_rate, double prior_strength)
{
    static const char *who = "growth_bandit_add_arm";
    GROWTH_CHECK_NULL(who, b);
    if (id >> 63)
        return gerr(GROWTH_EINVAL,
                    "%s: arm id %llu is not below 2^63 (named arms use growth_bandit_add_arm_named)", who,
                    (unsigned long long)id);
    return add_arm(b, who, id, NULL, prior_rate, prior_strength);
}

GROWTH_API uint64_t growth_bandit_name_id(const char *name)
{
    if (!name) return 0;
    return growth_hash64(name, strlen(name), 0x62616e646974ULL) | (UINT64_C(1) << 63);
}

GROWTH_API int growth_bandit_add_arm_named(growth_bandit *b, const char *name, double prior_rate,
                                           double prior_strength, uint64_t *out_id)
{
    static const char *who = "growth_bandit_add_arm_named";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, name);
    uint64_t id = growth_bandit_name_id(name);
    int rc = add_arm(b, who, id, name, prior_rate, prior_strength);
    if (!rc && out_id) *out_id = id;
    return rc;
}

GROWTH_API int growth_bandit_arm_name(const growth_bandit *b, uint64_t id, char *buf, size_t cap,
                                      size_t *out_n)
{
    static const char *who = "growth_bandit_arm_name";
    GROWTH_CHECK_NULL(who, b);
    growth_bandit *m = (growth_bandit *)b;
    pthread_rwlock_rdlock(&m->lock);
    uint32_t i = gidmap_get(&b->index, id);
    int rc;
    if (i == UINT32_MAX)
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)id);
    else if (!b->arms[i].name)
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu has no name", who, (unsigned long long)id);
    else
        rc = gcopy_out(who, b->arms[i].name, buf, cap, out_n);
    pthread_rwlock_unlock(&m->lock);
    return rc;
}

/* Removes the evidence of arm i from the totals (the arm is leaving). */
static void forget_totals(growth_bandit *b, const barm *a)
{
    b->total -= a->s + a->f;
    if (b->total < 0) b->total = 0;
    b->total_ps -= a->ps;
    if (b->total_ps < 0) b->total_ps = 0;
}

GROWTH_API int growth_bandit_remove_arm(growth_bandit *b, uint64_t id)
{
    static const char *who = "growth_bandit_remove_arm";
    GROWTH_CHECK_NULL(who, b);
    pthread_rwlock_wrlock(&b->lock);
    uint32_t i = gidmap_get(&b->index, id);
    int rc = GROWTH_OK;
    if (i == UINT32_MAX) {
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)id);
    } else {
        barm *a = &b->arms[i];
        forget_totals(b, a);
        free(a->name);
        free(a->lin);
        gidmap_del(&b->index, id);
        b->n--;
        if (i != b->n) {
            b->arms[i] = b->arms[b->n];
            gidmap_put(&b->index, b->arms[i].id, i);
        }
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_replace_arm(growth_bandit *b, uint64_t old_id, uint64_t new_id,
                                         double prior_rate, double prior_strength)
{
    static const char *who = "growth_bandit_replace_arm";
    GROWTH_CHECK_NULL(who, b);
    if (new_id >> 63)
        return gerr(GROWTH_EINVAL, "%s: arm id %llu is not below 2^63", who, (unsigned long long)new_id);
    int rc = check_prior(b, who, prior_rate, prior_strength);
    if (rc) return rc;
    pthread_rwlock_wrlock(&b->lock);
    uint32_t i = gidmap_get(&b->index, old_id);
    if (i == UINT32_MAX) {
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)old_id);
    } else if (new_id != old_id && gidmap_get(&b->index, new_id) != UINT32_MAX) {
        rc = gerr(GROWTH_EINVAL, "%s: arm %llu already exists", who, (unsigned long long)new_id);
    } else {
        barm fresh;
        if (!(rc = init_arm(b, &fresh, new_id, NULL, prior_rate, prior_strength, who))) {
            barm *a = &b->arms[i];
            forget_totals(b, a);
            free(a->name);
            free(a->lin);
            gidmap_del(&b->index, old_id);
            *a = fresh;
            b->next_uid++;
            b->total_ps += prior_strength;
            gidmap_put(&b->index, new_id, i);
        }
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

GROWTH_API int growth_bandit_arms(const growth_bandit *b, uint64_t *out_ids, size_t cap, size_t *out_n)
{
    static const char *who = "growth_bandit_arms";
    GROWTH_CHECK_NULL(who, b);
    growth_bandit *m = (growth_bandit *)b;
    pthread_rwlock_rdlock(&m->lock);
    int rc = GROWTH_OK;
    if (out_n) *out_n = b->n;
    if (cap < b->n || (b->n && !out_ids))
        rc = gerr(GROWTH_EBUFS, "%s: cap %zu < %zu arms", who, cap, b->n);
    else
        for (size_t i = 0; i < b->n; i++) out_ids[i] = b->arms[i].id;
    pthread_rwlock_unlock(&m->lock);
    return rc;
}

GROWTH_API int growth_bandit_arm_stats_get(const growth_bandit *b, uint64_t id, growth_bandit_arm_stats *out)
{
    static const char *who = "growth_bandit_arm_stats_get";
    GROWTH_CHECK_NULL(who, b);
    GROWTH_CHECK_NULL(who, out);
    /* the 1.0 size, checked first: a bad struct is EINVAL also for an unknown arm */
    if (out->struct_size < sizeof(growth_bandit_arm_stats))
        return gerr(GROWTH_EINVAL,
                    "%s: out->struct_size is %u, expected at least %zu (initialise it with "
                    "GROWTH_BANDIT_ARM_STATS_INIT)",
                    who, out->struct_size, sizeof(growth_bandit_arm_stats));
    growth_bandit_arm_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    growth_bandit *m = (growth_bandit *)b;
    pthread_rwlock_rdlock(&m->lock);
    uint32_t i = gidmap_get(&b->index, id);
    int rc = GROWTH_OK;
    if (i == UINT32_MAX) {
        rc = gerr(GROWTH_ENOTFOUND, "%s: arm %llu does not exist", who, (unsigned long long)id);
    } else if (is_linear(b)) {
        st.evidence = b->arms[i].count;
        st.mean = NAN;
    } else {
        double pa, pb;
        posterior(b, &b->arms[i], &pa, &pb);
        st.alpha = pa;
        st.beta = pb;
        st.evidence = b->scale * (b->arms[i].s + b->arms[i].f);
        st.mean = pa / (pa + pb);
    }
    pthread_rwlock_unlock(&m->lock);
    if (rc) return rc;
    return gstruct_out(who, "out", out, &st, sizeof st, sizeof st);
}
