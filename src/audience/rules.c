/* Association rules A -> B between single categories (support, confidence, lift) and the
 * category expansion built on them.
 *
 * For each consequent B that is frequent enough (n_B / nusers >= min_support: a rule's support
 * cannot exceed its consequent's), the users of B are scanned and the co-occurrence n_AB is
 * counted for every A they hold, in an O(ncats) counter array reset through its touched list.
 * Work is sum over users of deg^2 in the worst case, memory O(ncats + nnz + rules). */
#include <string.h>

#include "audience_impl.h"

typedef struct {
    double min_support, min_confidence, min_lift;
    int64_t min_rules;
    bool include_seed;
} rules_cfg;

static const gcfg_opt rules_opts[] = {
    {"min_support", GCFG_DOUBLE, offsetof(rules_cfg, min_support), "0.01", 0, 1, NULL, false},
    {"min_confidence", GCFG_DOUBLE, offsetof(rules_cfg, min_confidence), "0.1", 0, 1, NULL, false},
    {"min_lift", GCFG_DOUBLE, offsetof(rules_cfg, min_lift), "1", 0, 1e300, NULL, false},
    /* category expansion only: */
    {"min_rules", GCFG_INT, offsetof(rules_cfg, min_rules), "1", 1, 4294967295.0, NULL, false},
    {"include_seed", GCFG_BOOL, offsetof(rules_cfg, include_seed), "false", 0, 0, NULL, false},
};
#define RULES_NOPTS_BASE 3
#define RULES_NOPTS_ALL  (sizeof rules_opts / sizeof rules_opts[0])

typedef struct {
    uint32_t a, b;
    double support, confidence, lift;
} rule;

typedef struct {
    rule *r;
    size_t n, cap;
} rule_vec;

static int cmp_rule(const void *x, const void *y)
{
    const rule *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

/* All rules A -> b for b with want[b] set, appended to v. */
static int mine(const char *who, const aud_csr *m, const uint8_t *want, const rules_cfg *cfg, rule_vec *v)
{
    size_t nc = m->ncols;
    double nu = (double)m->nrows;
    uint32_t *cnt = calloc(nc, sizeof *cnt), *touched = malloc(nc * sizeof *touched);
    if (!cnt || !touched) {
        free(cnt);
        free(touched);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    for (size_t b = 0; b < nc; b++) {
        if (!want[b]) continue;
        uint64_t nb = m->tptr[b + 1] - m->tptr[b];
        if (nb == 0 || (double)nb / nu < cfg->min_support) continue;
        size_t nt = 0;
        for (uint64_t k = m->tptr[b]; k < m->tptr[b + 1]; k++) {
            uint32_t u = m->tidx[k];
            for (uint64_t j = m->ptr[u]; j < m->ptr[u + 1]; j++) {
                uint32_t a = m->idx[j];
                if (a == b) continue;
                if (cnt[a]++ == 0) touched[nt++] = a;
            }
        }
        for (size_t i = 0; i < nt; i++) {
            uint32_t a = touched[i];
            uint64_t nab = cnt[a], na = m->tptr[a + 1] - m->tptr[a];
            cnt[a] = 0;
            double support = (double)nab / nu;
            double confidence = (double)nab / (double)na;
            double lift = confidence / ((double)nb / nu);
            if (support < cfg->min_support || confidence < cfg->min_confidence || lift < cfg->min_lift)
                continue;
            if (v->n == v->cap) {
                size_t nc2 = v->cap ? 2 * v->cap : 256;
                rule *r = realloc(v->r, nc2 * sizeof *r);
                if (!r) {
                    free(cnt);
                    free(touched);
                    return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu rules", who, nc2);
                }
                v->r = r;
                v->cap = nc2;
            }
            v->r[v->n++] = (rule){a, (uint32_t)b, support, confidence, lift};
        }
    }
    free(cnt);
    free(touched);
    if (v->n > 1) qsort(v->r, v->n, sizeof *v->r, cmp_rule);
    return GROWTH_OK;
}

GROWTH_API int growth_audience_rules(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                     size_t ncats, const uint32_t *consequents, size_t ncons,
                                     const char *config, uint32_t *out_antecedent, uint32_t *out_consequent,
                                     double *out_support, double *out_confidence, double *out_lift,
                                     size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_rules";
    if (out_n) *out_n = 0;
    if (cap && (!out_antecedent || !out_consequent))
        return gerr(GROWTH_EINVAL, "%s: out_antecedent or out_consequent is NULL with cap %zu", who, cap);
    rules_cfg cfg;
    int rc = gcfg_parse("growth_audience_rules", rules_opts, RULES_NOPTS_BASE, config ? config : "", &cfg,
                        sizeof cfg);
    if (rc) return rc;
    if (consequents && ncons == 0)
        return gerr(GROWTH_EINVAL, "%s: the consequent list is empty (pass NULL for all categories)", who);
    if (!consequents && ncons)
        return gerr(GROWTH_EINVAL, "%s: consequents is NULL with ncons %zu", who, ncons);
    rc = aud_check_csr(who, indptr, indices, nusers, ncats, "user x category matrix");
    if (rc) return rc;
    uint8_t *want = NULL;
    if (consequents) {
        rc = aud_id_mask(who, "consequents", consequents, ncons, ncats, &want, NULL);
        if (rc) return rc;
    } else {
        want = malloc(ncats);
        if (!want) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        memset(want, 1, ncats);
    }
    aud_csr m;
    rc = aud_csr_clean(who, indptr, indices, nusers, ncats, "user x category matrix", true, &m);
    if (rc) {
        free(want);
        return rc;
    }
    rule_vec v = {0};
    rc = mine(who, &m, want, &cfg, &v);
    if (rc == GROWTH_OK) {
        if (out_n) *out_n = v.n;
        if (v.n > cap) { /* nothing is written: no partial result */
            rc = gerr(GROWTH_EBUFS, "%s: %zu rules found, the buffer holds %zu", who, v.n, cap);
        } else {
            for (size_t i = 0; i < v.n; i++) {
                out_antecedent[i] = v.r[i].a;
                out_consequent[i] = v.r[i].b;
                if (out_support) out_support[i] = v.r[i].support;
                if (out_confidence) out_confidence[i] = v.r[i].confidence;
                if (out_lift) out_lift[i] = v.r[i].lift;
            }
        }
    }
    free(v.r);
    free(want);
    aud_csr_free(&m);
    return rc;
}

GROWTH_API int growth_audience_category(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                        size_t ncats, const uint32_t *targets, size_t ntargets,
                                        const uint32_t *seed, size_t nseed, const char *config,
                                        uint32_t *out_users, size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_category";
    if (out_n) *out_n = 0;
    if (cap && !out_users) return gerr(GROWTH_EINVAL, "%s: out_users is NULL with cap %zu", who, cap);
    rules_cfg cfg;
    int rc = gcfg_parse("growth_audience_category", rules_opts, RULES_NOPTS_ALL, config ? config : "", &cfg,
                        sizeof cfg);
    if (rc) return rc;
    rc = aud_check_csr(who, indptr, indices, nusers, ncats, "user x category matrix");
    if (rc) return rc;
    uint8_t *want = NULL, *mask = NULL;
    rc = aud_id_mask(who, "target category list", targets, ntargets, ncats, &want, NULL);
    if (rc) return rc;
    rc = aud_id_mask(who, "seed", seed, nseed, nusers, &mask, NULL);
    if (rc) {
        free(want);
        return rc;
    }
    aud_csr m;
    rc = aud_csr_clean(who, indptr, indices, nusers, ncats, "user x category matrix", true, &m);
    if (rc) {
        free(want);
        free(mask);
        return rc;
    }
    rule_vec v = {0};
    uint32_t *hold = NULL;
    rc = mine(who, &m, want, &cfg, &v);
    if (rc) goto done;
    hold = calloc(nusers, sizeof *hold);
    if (!hold) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (size_t i = 0; i < v.n; i++) {
        uint32_t a = v.r[i].a;
        for (uint64_t k = m.tptr[a]; k < m.tptr[a + 1]; k++) hold[m.tidx[k]]++;
    }
    for (size_t u = 0; u < nusers; u++)
        mask[u] = (uint8_t)(hold[u] >= (uint64_t)cfg.min_rules && (cfg.include_seed || !mask[u]));
    rc = aud_emit_users(who, mask, nusers, out_users, cap, out_n);
done:
    free(hold);
    free(v.r);
    free(want);
    free(mask);
    aud_csr_free(&m);
    return rc;
}
