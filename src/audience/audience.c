/* Audience selection: shared helpers, interest (TGI / TA concentration), related brands
 * (Jaccard), lost audience, union and top-N selection.
 *
 * Every direction works on a cleaned copy of the caller's CSR (rows sorted, duplicates removed,
 * O(nnz)) and, where columns are needed (brand buyers, category holders), on its transpose.
 * No step materialises a column x column matrix: similarities and co-occurrences are counted
 * for one query column at a time in an O(ncols) counter array whose touched entries are reset. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "audience_impl.h"

/* ---- helpers ----------------------------------------------------------------------------- */

void aud_last_error(char *buf, size_t cap) { snprintf(buf, cap, "%s", growth_last_error()); }

int aud_check_csr(const char *who, const uint64_t *indptr, const uint32_t *indices, size_t nrows,
                  size_t ncols, const char *what)
{
    if (!indptr) return gerr(GROWTH_EINVAL, "%s: %s indptr is NULL", who, what);
    if (nrows == 0) return gerr(GROWTH_EINVAL, "%s: %s has no rows (nusers = 0)", who, what);
    if (nrows > AUD_MAX_IDS)
        return gerr(GROWTH_EINVAL, "%s: %s has %zu rows, more than %zu", who, what, nrows, AUD_MAX_IDS);
    if (ncols == 0) return gerr(GROWTH_EINVAL, "%s: %s has no columns", who, what);
    if (ncols > AUD_MAX_IDS)
        return gerr(GROWTH_EINVAL, "%s: %s has %zu columns, more than %zu", who, what, ncols, AUD_MAX_IDS);
    if (indptr[0] != 0)
        return gerr(GROWTH_EINVAL, "%s: %s indptr[0] is %llu, not 0", who, what,
                    (unsigned long long)indptr[0]);
    for (size_t r = 0; r < nrows; r++)
        if (indptr[r + 1] < indptr[r])
            return gerr(GROWTH_EINVAL, "%s: %s indptr decreases at row %zu", who, what, r);
    uint64_t nnz = indptr[nrows];
    if (nnz > (uint64_t)(SIZE_MAX / 8)) return gerr(GROWTH_EINVAL, "%s: %s is too large", who, what);
    if (nnz && !indices) return gerr(GROWTH_EINVAL, "%s: %s indices is NULL", who, what);
    for (size_t r = 0; r < nrows; r++)
        for (uint64_t k = indptr[r]; k < indptr[r + 1]; k++)
            if (indices[k] >= ncols)
                return gerr(GROWTH_EINVAL, "%s: %s row %zu has column %u, not below %zu", who, what, r,
                            indices[k], ncols);
    return GROWTH_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void aud_csr_free(aud_csr *m)
{
    if (!m) return;
    free(m->ptr);
    free(m->idx);
    free(m->tptr);
    free(m->tidx);
    memset(m, 0, sizeof *m);
}

int aud_csr_clean(const char *who, const uint64_t *indptr, const uint32_t *indices, size_t nrows,
                  size_t ncols, const char *what, bool transpose, aud_csr *out)
{
    memset(out, 0, sizeof *out);
    int rc = aud_check_csr(who, indptr, indices, nrows, ncols, what);
    if (rc) return rc;
    size_t nnz = (size_t)indptr[nrows];
    out->nrows = nrows;
    out->ncols = ncols;
    out->ptr = malloc((nrows + 1) * sizeof *out->ptr);
    out->idx = malloc((nnz ? nnz : 1) * sizeof *out->idx);
    if (!out->ptr || !out->idx) goto oom;
    size_t w = 0;
    out->ptr[0] = 0;
    for (size_t r = 0; r < nrows; r++) {
        size_t b = (size_t)indptr[r], e = (size_t)indptr[r + 1], start = w;
        bool sorted = true;
        for (size_t k = b; k < e; k++) {
            if (k > b && indices[k] <= indices[k - 1]) sorted = false;
            out->idx[w++] = indices[k];
        }
        if (!sorted) {
            qsort(out->idx + start, w - start, sizeof *out->idx, cmp_u32);
            size_t u = start;
            for (size_t k = start; k < w; k++)
                if (k == start || out->idx[k] != out->idx[u - 1]) out->idx[u++] = out->idx[k];
            w = u;
        }
        out->ptr[r + 1] = w;
    }
    if (transpose) {
        out->tptr = calloc(ncols + 1, sizeof *out->tptr);
        out->tidx = malloc((w ? w : 1) * sizeof *out->tidx);
        if (!out->tptr || !out->tidx) goto oom;
        for (size_t k = 0; k < w; k++) out->tptr[out->idx[k] + 1]++;
        for (size_t c = 0; c < ncols; c++) out->tptr[c + 1] += out->tptr[c];
        uint64_t *fill = malloc((ncols ? ncols : 1) * sizeof *fill);
        if (!fill) goto oom;
        memcpy(fill, out->tptr, ncols * sizeof *fill);
        for (size_t r = 0; r < nrows; r++)
            for (uint64_t k = out->ptr[r]; k < out->ptr[r + 1]; k++)
                out->tidx[fill[out->idx[k]]++] = (uint32_t)r;
        free(fill);
    }
    return GROWTH_OK;
oom:
    aud_csr_free(out);
    return gerr(GROWTH_ENOMEM, "%s: out of memory for a copy of %s (%zu rows, %zu entries)", who, what, nrows,
                nnz);
}

int aud_id_mask(const char *who, const char *what, const uint32_t *ids, size_t nids, size_t n, uint8_t **mask,
                size_t *ndistinct)
{
    *mask = NULL;
    if (nids == 0) return gerr(GROWTH_EINVAL, "%s: the %s is empty", who, what);
    if (!ids) return gerr(GROWTH_EINVAL, "%s: %s is NULL", who, what);
    if (nids > SIZE_MAX / sizeof *ids) /* no id array is that long */
        return gerr(GROWTH_EINVAL, "%s: %zu %s ids is too large", who, nids, what);
    for (size_t i = 0; i < nids; i++)
        if (ids[i] >= n)
            return gerr(GROWTH_EINVAL, "%s: %s[%zu] = %u is out of range (ids must be below %zu)", who, what,
                        i, ids[i], n);
    uint8_t *m = calloc(n, 1);
    if (!m) return gerr(GROWTH_ENOMEM, "%s: out of memory for a mask of %zu ids", who, n);
    size_t d = 0;
    for (size_t i = 0; i < nids; i++) {
        d += !m[ids[i]];
        m[ids[i]] = 1;
    }
    if (ndistinct) *ndistinct = d;
    *mask = m;
    return GROWTH_OK;
}

size_t aud_count_flags(const uint8_t *flag, size_t nusers)
{
    size_t n = 0;
    for (size_t u = 0; u < nusers; u++) n += flag[u] != 0;
    return n;
}

int aud_emit_users(const char *who, const uint8_t *flag, size_t nusers, uint32_t *out, size_t cap,
                   size_t *out_n)
{
    size_t n = aud_count_flags(flag, nusers);
    if (out_n) *out_n = n;
    if (n > cap) return gerr(GROWTH_EBUFS, "%s: %zu users found, the buffer holds %zu", who, n, cap);
    for (size_t u = 0, i = 0; i < n; u++)
        if (flag[u]) out[i++] = (uint32_t)u;
    return GROWTH_OK;
}

/* ---- interest: TGI and TA concentration -------------------------------------------------- */

/* Seed and population counts of each column of a cleaned matrix. */
static void column_counts(const aud_csr *m, const uint8_t *seed, uint64_t *sc, uint64_t *pc)
{
    memset(sc, 0, m->ncols * sizeof *sc);
    memset(pc, 0, m->ncols * sizeof *pc);
    for (size_t u = 0; u < m->nrows; u++)
        for (uint64_t k = m->ptr[u]; k < m->ptr[u + 1]; k++) {
            pc[m->idx[k]]++;
            if (seed[u]) sc[m->idx[k]]++;
        }
}

static inline double tgi_of(uint64_t s, uint64_t p, size_t nseed, size_t nusers)
{
    return p ? 100.0 * ((double)s / (double)nseed) / ((double)p / (double)nusers) : 0.0;
}

GROWTH_API int growth_audience_tgi(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                   size_t nattrs, const uint32_t *seed, size_t nseed, double *out_tgi,
                                   double *out_concentration, uint64_t *out_seed_count,
                                   uint64_t *out_pop_count, size_t cap)
{
    static const char *who = "growth_audience_tgi";
    aud_csr m;
    int rc = aud_csr_clean(who, indptr, indices, nusers, nattrs, "user x attribute matrix", false, &m);
    if (rc) return rc;
    uint8_t *mask = NULL;
    size_t ns = 0;
    uint64_t *sc = NULL, *pc = NULL;
    rc = aud_id_mask(who, "seed", seed, nseed, nusers, &mask, &ns);
    if (rc) goto done;
    if ((out_tgi || out_concentration || out_seed_count || out_pop_count) && cap < nattrs) {
        rc = gerr(GROWTH_EBUFS, "%s: cap %zu is below nattrs %zu", who, cap, nattrs);
        goto done;
    }
    sc = malloc(nattrs * sizeof *sc);
    pc = malloc(nattrs * sizeof *pc);
    if (!sc || !pc) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    column_counts(&m, mask, sc, pc);
    for (size_t a = 0; a < nattrs; a++) {
        if (out_tgi) out_tgi[a] = tgi_of(sc[a], pc[a], ns, nusers);
        if (out_concentration) out_concentration[a] = pc[a] ? (double)sc[a] / (double)pc[a] : 0.0;
        if (out_seed_count) out_seed_count[a] = sc[a];
        if (out_pop_count) out_pop_count[a] = pc[a];
    }
done:
    free(sc);
    free(pc);
    free(mask);
    aud_csr_free(&m);
    return rc;
}

typedef struct {
    double min_tgi, min_conc;
    int64_t min_seed_count, max_attrs, min_match;
    bool include_seed;
} interest_cfg;

static const gcfg_opt interest_opts[] = {
    {"min_tgi", GCFG_DOUBLE, offsetof(interest_cfg, min_tgi), "120", 0, 1e300, NULL, false},
    {"min_concentration", GCFG_DOUBLE, offsetof(interest_cfg, min_conc), "0", 0, 1, NULL, false},
    {"min_seed_count", GCFG_INT, offsetof(interest_cfg, min_seed_count), "1", 1, 4294967295.0, NULL, false},
    {"max_attrs", GCFG_INT, offsetof(interest_cfg, max_attrs), "0", 0, 4294967295.0, NULL, false},
    {"min_match", GCFG_INT, offsetof(interest_cfg, min_match), "1", 1, 4294967295.0, NULL, false},
    {"include_seed", GCFG_BOOL, offsetof(interest_cfg, include_seed), "false", 0, 0, NULL, false},
};

typedef struct {
    double v;
    uint32_t id;
} scored_id;

static int cmp_scored_desc(const void *x, const void *y)
{
    const scored_id *a = x, *b = y;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

GROWTH_API int growth_audience_interest(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                        size_t nattrs, const uint32_t *seed, size_t nseed, const char *config,
                                        uint32_t *out_attrs, size_t attrs_cap, size_t *out_n_attrs,
                                        uint32_t *out_users, size_t users_cap, size_t *out_n_users)
{
    static const char *who = "growth_audience_interest";
    if (out_n_attrs) *out_n_attrs = 0;
    if (out_n_users) *out_n_users = 0;
    if (attrs_cap && !out_attrs)
        return gerr(GROWTH_EINVAL, "%s: out_attrs is NULL with attrs_cap %zu", who, attrs_cap);
    if (users_cap && !out_users)
        return gerr(GROWTH_EINVAL, "%s: out_users is NULL with users_cap %zu", who, users_cap);
    interest_cfg cfg;
    int rc =
        gcfg_parse("growth_audience_interest", interest_opts, sizeof interest_opts / sizeof interest_opts[0],
                   config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    aud_csr m;
    rc = aud_csr_clean(who, indptr, indices, nusers, nattrs, "user x attribute matrix", false, &m);
    if (rc) return rc;
    uint8_t *mask = NULL, *keep = NULL;
    uint32_t *hits = NULL;
    size_t ns = 0;
    uint64_t *sc = NULL, *pc = NULL;
    scored_id *cand = NULL;
    rc = aud_id_mask(who, "seed", seed, nseed, nusers, &mask, &ns);
    if (rc) goto done;
    sc = malloc(nattrs * sizeof *sc);
    pc = malloc(nattrs * sizeof *pc);
    cand = malloc(nattrs * sizeof *cand);
    keep = calloc(nattrs, 1);
    hits = calloc(nusers, sizeof *hits);
    if (!sc || !pc || !cand || !keep || !hits) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    column_counts(&m, mask, sc, pc);
    size_t nc = 0;
    for (size_t a = 0; a < nattrs; a++) {
        double t = tgi_of(sc[a], pc[a], ns, nusers);
        double c = pc[a] ? (double)sc[a] / (double)pc[a] : 0.0;
        if (sc[a] >= (uint64_t)cfg.min_seed_count && t >= cfg.min_tgi && c >= cfg.min_conc)
            cand[nc++] = (scored_id){t, (uint32_t)a};
    }
    qsort(cand, nc, sizeof *cand, cmp_scored_desc);
    if (cfg.max_attrs > 0 && nc > (size_t)cfg.max_attrs) nc = (size_t)cfg.max_attrs;
    for (size_t i = 0; i < nc; i++) keep[cand[i].id] = 1;
    for (size_t u = 0; u < nusers; u++) {
        uint32_t h = 0;
        for (uint64_t k = m.ptr[u]; k < m.ptr[u + 1]; k++) h += keep[m.idx[k]];
        hits[u] = h;
    }
    for (size_t u = 0; u < nusers; u++) /* mask becomes the output flag */
        mask[u] = (uint8_t)(hits[u] >= (uint64_t)cfg.min_match && (cfg.include_seed || !mask[u]));
    size_t nu = aud_count_flags(mask, nusers);
    if (out_n_attrs) *out_n_attrs = nc;
    if (out_n_users) *out_n_users = nu;
    if (nc > attrs_cap || nu > users_cap) { /* nothing is written: no partial result */
        rc = gerr(GROWTH_EBUFS, "%s: %zu attributes kept and %zu users found; the buffers hold %zu and %zu",
                  who, nc, nu, attrs_cap, users_cap);
        goto done;
    }
    for (size_t i = 0; i < nc; i++) out_attrs[i] = cand[i].id;
    rc = aud_emit_users(who, mask, nusers, out_users, users_cap, NULL);
done:
    if (rc && rc != GROWTH_EBUFS) {
        if (out_n_attrs) *out_n_attrs = 0;
        if (out_n_users) *out_n_users = 0;
    }
    free(sc);
    free(pc);
    free(cand);
    free(keep);
    free(hits);
    free(mask);
    aud_csr_free(&m);
    return rc;
}

/* ---- related brands: Jaccard ------------------------------------------------------------- */

/* Jaccard of brand b with every brand sharing a buyer; fills cand (touched brands), returns the
 * count. cnt must be zero on entry and is zero again on return. */
static size_t jaccard_row(const aud_csr *m, uint32_t b, uint32_t *cnt, uint32_t *touched, scored_id *cand)
{
    size_t nt = 0;
    for (uint64_t k = m->tptr[b]; k < m->tptr[b + 1]; k++) {
        uint32_t u = m->tidx[k];
        for (uint64_t j = m->ptr[u]; j < m->ptr[u + 1]; j++) {
            uint32_t c = m->idx[j];
            if (c == b) continue;
            if (cnt[c]++ == 0) touched[nt++] = c;
        }
    }
    uint64_t nb = m->tptr[b + 1] - m->tptr[b];
    for (size_t i = 0; i < nt; i++) {
        uint32_t c = touched[i];
        uint64_t inter = cnt[c], nc = m->tptr[c + 1] - m->tptr[c];
        cand[i] = (scored_id){(double)inter / (double)(nb + nc - inter), c};
        cnt[c] = 0;
    }
    return nt;
}

GROWTH_API int growth_audience_similar_brands(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                              size_t nbrands, const uint32_t *brands, size_t nquery, size_t k,
                                              uint32_t *out_brands, double *out_jaccard, size_t cap)
{
    static const char *who = "growth_audience_similar_brands";
    if (nquery == 0) return gerr(GROWTH_EINVAL, "%s: no query brand (nquery = 0)", who);
    GROWTH_CHECK_NULL(who, brands);
    GROWTH_CHECK_NULL(who, out_brands);
    if (k == 0) return gerr(GROWTH_EINVAL, "%s: k is 0", who);
    if (k > SIZE_MAX / nquery || cap < nquery * k)
        return gerr(GROWTH_EBUFS, "%s: cap %zu is below nquery x k = %zu x %zu", who, cap, nquery, k);
    int rc = aud_check_csr(who, indptr, indices, nusers, nbrands, "user x brand matrix");
    if (rc) return rc;
    for (size_t q = 0; q < nquery; q++)
        if (brands[q] >= nbrands)
            return gerr(GROWTH_EINVAL, "%s: brands[%zu] = %u is out of range (nbrands = %zu)", who, q,
                        brands[q], nbrands);
    aud_csr m;
    rc = aud_csr_clean(who, indptr, indices, nusers, nbrands, "user x brand matrix", true, &m);
    if (rc) return rc;
    uint32_t *cnt = calloc(nbrands, sizeof *cnt), *touched = malloc(nbrands * sizeof *touched);
    scored_id *cand = malloc(nbrands * sizeof *cand);
    if (!cnt || !touched || !cand) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (size_t q = 0; q < nquery; q++) {
        size_t nt = jaccard_row(&m, brands[q], cnt, touched, cand);
        qsort(cand, nt, sizeof *cand, cmp_scored_desc);
        for (size_t i = 0; i < k; i++) {
            out_brands[q * k + i] = i < nt ? cand[i].id : UINT32_MAX;
            if (out_jaccard) out_jaccard[q * k + i] = i < nt ? cand[i].v : 0.0;
        }
    }
done:
    free(cnt);
    free(touched);
    free(cand);
    aud_csr_free(&m);
    return rc;
}

typedef struct {
    int64_t k, min_brands;
    double min_jaccard;
    bool include_seed;
} brand_cfg;

static const gcfg_opt brand_opts[] = {
    {"k", GCFG_INT, offsetof(brand_cfg, k), "10", 1, 4294967295.0, NULL, false},
    {"min_jaccard", GCFG_DOUBLE, offsetof(brand_cfg, min_jaccard), "0", 0, 1, NULL, false},
    {"min_brands", GCFG_INT, offsetof(brand_cfg, min_brands), "1", 1, 4294967295.0, NULL, false},
    {"include_seed", GCFG_BOOL, offsetof(brand_cfg, include_seed), "false", 0, 0, NULL, false},
};

GROWTH_API int growth_audience_brand(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                     size_t nbrands, const uint32_t *brands, size_t nquery,
                                     const uint32_t *seed, size_t nseed, const char *config,
                                     uint32_t *out_users, size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_brand";
    if (out_n) *out_n = 0;
    if (cap && !out_users) return gerr(GROWTH_EINVAL, "%s: out_users is NULL with cap %zu", who, cap);
    brand_cfg cfg;
    int rc = gcfg_parse("growth_audience_brand", brand_opts, sizeof brand_opts / sizeof brand_opts[0],
                        config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    if (nquery == 0) return gerr(GROWTH_EINVAL, "%s: no query brand (nquery = 0)", who);
    GROWTH_CHECK_NULL(who, brands);
    rc = aud_check_csr(who, indptr, indices, nusers, nbrands, "user x brand matrix");
    if (rc) return rc;
    for (size_t q = 0; q < nquery; q++)
        if (brands[q] >= nbrands)
            return gerr(GROWTH_EINVAL, "%s: brands[%zu] = %u is out of range (nbrands = %zu)", who, q,
                        brands[q], nbrands);
    uint8_t *mask = NULL;
    rc = aud_id_mask(who, "seed", seed, nseed, nusers, &mask, NULL);
    if (rc) return rc;
    aud_csr m;
    rc = aud_csr_clean(who, indptr, indices, nusers, nbrands, "user x brand matrix", true, &m);
    if (rc) {
        free(mask);
        return rc;
    }
    uint32_t *cnt = calloc(nbrands, sizeof *cnt), *touched = malloc(nbrands * sizeof *touched);
    scored_id *cand = malloc(nbrands * sizeof *cand);
    uint8_t *sim = calloc(nbrands, 1), *flag = calloc(nusers, 1);
    uint32_t *hold = calloc(nusers, sizeof *hold);
    if (!cnt || !touched || !cand || !sim || !flag || !hold) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (size_t q = 0; q < nquery; q++) {
        size_t nt = jaccard_row(&m, brands[q], cnt, touched, cand);
        qsort(cand, nt, sizeof *cand, cmp_scored_desc);
        for (size_t i = 0; i < nt && i < (size_t)cfg.k; i++)
            if (cand[i].v >= cfg.min_jaccard) sim[cand[i].id] = 1;
    }
    for (size_t q = 0; q < nquery; q++) sim[brands[q]] = 0; /* the query brands themselves */
    for (size_t b = 0; b < nbrands; b++)
        if (sim[b])
            for (uint64_t k = m.tptr[b]; k < m.tptr[b + 1]; k++) hold[m.tidx[k]]++;
    for (size_t u = 0; u < nusers; u++)
        flag[u] = (uint8_t)(hold[u] >= (uint64_t)cfg.min_brands && (cfg.include_seed || !mask[u]));
    rc = aud_emit_users(who, flag, nusers, out_users, cap, out_n);
done:
    free(cnt);
    free(touched);
    free(cand);
    free(sim);
    free(flag);
    free(hold);
    free(mask);
    aud_csr_free(&m);
    return rc;
}

/* ---- lost audience ----------------------------------------------------------------------- */

#define LOST_NOW_UNSET (-9007199254740992LL)

typedef struct {
    int64_t now, inactive, window, min_events;
} lost_cfg;

static const gcfg_opt lost_opts[] = {
    {"now", GCFG_INT, offsetof(lost_cfg, now), "-9007199254740992", -9007199254740992.0, 9007199254740992.0,
     NULL, false},
    {"inactive", GCFG_INT, offsetof(lost_cfg, inactive), "2592000", 1, 9007199254740992.0, NULL, false},
    {"window", GCFG_INT, offsetof(lost_cfg, window), "7776000", 1, 9007199254740992.0, NULL, false},
    {"min_events", GCFG_INT, offsetof(lost_cfg, min_events), "1", 1, 4294967295.0, NULL, false},
};

GROWTH_API int growth_audience_lost(const uint32_t *users, const int64_t *times, size_t nevents,
                                    size_t nusers, const char *config, uint32_t *out_users, int64_t *out_last,
                                    size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_lost";
    if (out_n) *out_n = 0;
    if (cap && !out_users) return gerr(GROWTH_EINVAL, "%s: out_users is NULL with cap %zu", who, cap);
    lost_cfg cfg;
    int rc = gcfg_parse("growth_audience_lost", lost_opts, sizeof lost_opts / sizeof lost_opts[0],
                        config ? config : "", &cfg, sizeof cfg);
    if (rc) return rc;
    if (cfg.window <= cfg.inactive)
        return gerr(GROWTH_EINVAL, "%s: window = %lld must be larger than inactive = %lld", who,
                    (long long)cfg.window, (long long)cfg.inactive);
    if (nevents == 0) return gerr(GROWTH_EINVAL, "%s: no events (nevents = 0)", who);
    GROWTH_CHECK_NULL(who, users);
    GROWTH_CHECK_NULL(who, times);
    if (nusers == 0 || nusers > AUD_MAX_IDS)
        return gerr(GROWTH_EINVAL, "%s: nusers = %zu is not in 1..%zu", who, nusers, AUD_MAX_IDS);
    int64_t now = cfg.now, tmax = INT64_MIN;
    for (size_t i = 0; i < nevents; i++) {
        if (users[i] >= nusers)
            return gerr(GROWTH_EINVAL, "%s: users[%zu] = %u is out of range (ids must be below %zu)", who, i,
                        users[i], nusers);
        if (times[i] > tmax) tmax = times[i];
    }
    if (now == LOST_NOW_UNSET) now = tmax;
    int64_t *last = malloc(nusers * sizeof *last);
    uint32_t *count = calloc(nusers, sizeof *count);
    if (!last || !count) {
        free(last);
        free(count);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    for (size_t u = 0; u < nusers; u++) last[u] = INT64_MIN;
    for (size_t i = 0; i < nevents; i++) {
        if (times[i] > now) continue;
        uint32_t u = users[i];
        if (count[u] < UINT32_MAX) count[u]++;
        if (times[i] > last[u]) last[u] = times[i];
    }
    /* last in [now - window, now - inactive), i.e. age = now - last in (inactive, window];
     * last <= now, so the difference is exact in uint64 */
    size_t n = 0;
    for (size_t u = 0; u < nusers; u++) {
        uint64_t age = (uint64_t)now - (uint64_t)last[u];
        /* count[u] becomes the flag "in the result" */
        count[u] = count[u] >= (uint64_t)cfg.min_events && age > (uint64_t)cfg.inactive &&
                   age <= (uint64_t)cfg.window;
        n += count[u];
    }
    if (out_n) *out_n = n;
    if (n > cap) { /* nothing is written: no partial result */
        free(last);
        free(count);
        return gerr(GROWTH_EBUFS, "%s: %zu users found, the buffer holds %zu", who, n, cap);
    }
    for (size_t u = 0, i = 0; i < n; u++)
        if (count[u]) {
            out_users[i] = (uint32_t)u;
            if (out_last) out_last[i] = last[u];
            i++;
        }
    free(last);
    free(count);
    return GROWTH_OK;
}

/* ---- union ------------------------------------------------------------------------------- */

GROWTH_API int growth_audience_union(const uint32_t *const *lists, const size_t *lens, const uint32_t *dirs,
                                     size_t nlists, size_t nusers, uint32_t *out_users, uint32_t *out_dirs,
                                     size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_union";
    if (out_n) *out_n = 0;
    if (nlists == 0) return gerr(GROWTH_EINVAL, "%s: no list (nlists = 0)", who);
    GROWTH_CHECK_NULL(who, lists);
    GROWTH_CHECK_NULL(who, lens);
    GROWTH_CHECK_NULL(who, dirs);
    if (cap && !out_users) return gerr(GROWTH_EINVAL, "%s: out_users is NULL with cap %zu", who, cap);
    if (nusers == 0 || nusers > AUD_MAX_IDS)
        return gerr(GROWTH_EINVAL, "%s: nusers = %zu is not in 1..%zu", who, nusers, AUD_MAX_IDS);
    for (size_t l = 0; l < nlists; l++) {
        if (lens[l] && !lists[l])
            return gerr(GROWTH_EINVAL, "%s: lists[%zu] is NULL with %zu ids", who, l, lens[l]);
        if (dirs[l] == 0) return gerr(GROWTH_EINVAL, "%s: dirs[%zu] is 0 (a direction needs a flag)", who, l);
        for (size_t i = 0; i < lens[l]; i++)
            if (lists[l][i] >= nusers)
                return gerr(GROWTH_EINVAL, "%s: lists[%zu][%zu] = %u is out of range (ids must be below %zu)",
                            who, l, i, lists[l][i], nusers);
    }
    uint32_t *acc = calloc(nusers, sizeof *acc);
    if (!acc) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    for (size_t l = 0; l < nlists; l++)
        for (size_t i = 0; i < lens[l]; i++) acc[lists[l][i]] |= dirs[l];
    size_t n = 0;
    for (size_t u = 0; u < nusers; u++) n += acc[u] != 0;
    if (out_n) *out_n = n;
    if (n > cap) { /* nothing is written: no partial result */
        free(acc);
        return gerr(GROWTH_EBUFS, "%s: %zu users in the union, the buffer holds %zu", who, n, cap);
    }
    for (size_t u = 0, i = 0; i < n; u++)
        if (acc[u]) {
            out_users[i] = (uint32_t)u;
            if (out_dirs) out_dirs[i] = acc[u];
            i++;
        }
    free(acc);
    return GROWTH_OK;
}

/* ---- top-N selection --------------------------------------------------------------------- */

GROWTH_API int growth_audience_select(const uint32_t *users, const float *scores, size_t npool,
                                      const uint32_t *exclude, size_t nexclude, float threshold, size_t n,
                                      uint32_t *out_users, float *out_scores, size_t cap, size_t *out_n)
{
    static const char *who = "growth_audience_select";
    if (out_n) *out_n = 0;
    if (npool == 0) return gerr(GROWTH_EINVAL, "%s: the pool is empty", who);
    GROWTH_CHECK_NULL(who, users);
    GROWTH_CHECK_NULL(who, scores);
    if (cap) GROWTH_CHECK_NULL(who, out_users);
    if (nexclude && !exclude)
        return gerr(GROWTH_EINVAL, "%s: exclude is NULL with nexclude %zu", who, nexclude);
    if (n == 0) return gerr(GROWTH_EINVAL, "%s: N is 0", who);
    if (n > npool)
        return gerr(GROWTH_EINVAL, "%s: N = %zu is larger than the pool (%zu users)", who, n, npool);
    if (threshold != threshold) return gerr(GROWTH_EINVAL, "%s: threshold is NaN", who);
    for (size_t i = 0; i < npool; i++)
        if (!gfinite(scores[i]))
            return gerr(GROWTH_EINVAL, "%s: scores[%zu] is %g (scores must be finite)", who, i,
                        (double)scores[i]);
    uint32_t *su = malloc(npool * sizeof *su), *ex = malloc((nexclude ? nexclude : 1) * sizeof *ex);
    grank_item *it = malloc(npool * sizeof *it);
    int rc = GROWTH_OK;
    if (!su || !ex || !it) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    memcpy(su, users, npool * sizeof *su);
    qsort(su, npool, sizeof *su, cmp_u32);
    for (size_t i = 1; i < npool; i++)
        if (su[i] == su[i - 1]) {
            rc = gerr(GROWTH_EINVAL, "%s: user %u appears twice in the pool", who, su[i]);
            goto done;
        }
    if (cap < n) { /* after every other check: a second call with *out_n succeeds */
        if (out_n) *out_n = n;
        rc = gerr(GROWTH_EBUFS, "%s: cap %zu is below N = %zu", who, cap, n);
        goto done;
    }
    if (nexclude) memcpy(ex, exclude, nexclude * sizeof *ex);
    qsort(ex, nexclude, sizeof *ex, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < npool; i++) {
        if (!(scores[i] >= threshold)) continue;
        if (nexclude && bsearch(&users[i], ex, nexclude, sizeof *ex, cmp_u32)) continue;
        /* ties: smaller user id first (position = id) */
        it[m++] = (grank_item){scores[i], users[i], users[i]};
    }
    size_t k = m < n ? m : n;
    grank_top_k(it, m, k);
    grank_sort(it, k);
    for (size_t i = 0; i < k; i++) {
        out_users[i] = it[i].id;
        if (out_scores) out_scores[i] = it[i].s;
    }
    if (out_n) *out_n = k;
done:
    free(su);
    free(ex);
    free(it);
    return rc;
}
