/* Text index persistence: live documents, terms and postings in a GROWTH_KIND_TEXT_INDEX
 * envelope (documents renumbered densely). */
#define _GNU_SOURCE /* pthread_rwlock_t */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "text_impl.h"
#include "text_index.pb-c.h"

/* Snapshot under the read lock (searches go on; writers wait). */
static int tx_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    const growth_text_index *x = model;
    pthread_rwlock_rdlock(&((growth_text_index *)x)->rw);
    int rc = GROWTH_OK;
    uint32_t *remap = malloc(((size_t)x->ndocs + 1) * sizeof *remap);
    int64_t *dids = malloc(((size_t)x->live_docs + 1) * sizeof *dids);
    uint64_t *th = malloc(((size_t)x->live_terms + 1) * sizeof *th);
    uint64_t *tp = malloc(((size_t)x->live_terms + 1) * sizeof *tp);
    uint64_t live_post = x->postings - x->dead_postings;
    uint32_t *pd = malloc(((size_t)live_post + 1) * sizeof *pd);
    uint32_t *pt = malloc(((size_t)live_post + 1) * sizeof *pt);
    char *cfgbuf = NULL;
    if (!remap || !dids || !th || !tp || !pd || !pt) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    uint32_t nd = 0;
    for (uint32_t d = 0; d < x->ndocs; d++) {
        remap[d] = nd;
        if (x->alive[d]) dids[nd++] = x->doc_id[d];
    }
    size_t nt = 0, np = 0;
    for (uint32_t t = 0; t < x->nterms; t++) {
        const tx_term *tm = &x->terms[t];
        if (!tm->df) continue;
        th[nt] = tm->hash;
        size_t before = np;
        tx_rd r;
        tx_rd_init(&r, tm);
        while (tx_rd_next(&r))
            if (x->alive[r.doc]) {
                pd[np] = remap[r.doc];
                pt[np] = r.tf;
                np++;
            }
        tp[nt++] = np - before;
    }
    if (!(cfgbuf = gcfg_format_alloc(tx_opts, TX_NOPTS, &x->cfg))) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__TextIndex msg = GROWTH__TEXT_INDEX__INIT;
    msg.meta = &meta;
    msg.n_doc_ids = nd;
    msg.doc_ids = dids;
    msg.n_term_hash = nt;
    msg.term_hash = th;
    msg.n_term_postings = nt;
    msg.term_postings = tp;
    msg.n_post_doc = np;
    msg.post_doc = pd;
    msg.n_post_tf = np;
    msg.post_tf = pt;
    rc = genv_pack(who, GROWTH_KIND_TEXT_INDEX, &msg.base, out, out_len);
done:
    pthread_rwlock_unlock(&((growth_text_index *)x)->rw);
    free(cfgbuf);
    free(remap);
    free(dids);
    free(th);
    free(tp);
    free(pd);
    free(pt);
    return rc;
}

GROWTH_API int growth_text_serialize(const growth_text_index *x, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_text_serialize", x, tx_pack, out_buf, out_len);
}

GROWTH_API int growth_text_save(const growth_text_index *x, const char *path)
{
    return gmodel_save("growth_text_save", x, path, tx_pack);
}

static int tx_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *outp)
{
    (void)kind;
    growth_text_index **out = outp;
    Growth__TextIndex *msg = growth__text_index__unpack(&gpb_allocator, plen, pl);
    if (!msg) return gpb_unpack_error(who, "text index payload");
    growth_text_index *x = NULL;
    int64_t *sorted = NULL;
    int rc = GROWTH_OK;
    tx_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!msg->meta || !msg->meta->config) {
        rc = gerr(GROWTH_EFORMAT, "%s: index has no configuration", who);
        goto done;
    }
    if ((rc = gcfg_parse_stored(who, tx_opts, TX_NOPTS, msg->meta->config, &cfg, sizeof cfg))) { goto done; }
    const size_t nd = msg->n_doc_ids, nt = msg->n_term_hash, np = msg->n_post_doc;
    if (nd > TX_MAX_DOCS || nt > UINT32_MAX - 1) {
        rc = gerr(GROWTH_EFORMAT, "%s: too many documents or terms", who);
        goto done;
    }
    if (msg->n_term_postings != nt || msg->n_post_tf != np) {
        rc = gerr(GROWTH_EFORMAT, "%s: %zu terms with %zu posting counts, %zu posting documents with %zu tfs",
                  who, nt, msg->n_term_postings, np, msg->n_post_tf);
        goto done;
    }
    uint64_t sum = 0;
    for (size_t t = 0; t < nt; t++) {
        if (msg->term_postings[t] == 0 || msg->term_postings[t] > nd) {
            rc = gerr(GROWTH_EFORMAT, "%s: term %zu has %llu postings", who, t,
                      (unsigned long long)msg->term_postings[t]);
            goto done;
        }
        sum += msg->term_postings[t];
    }
    if (sum != np) {
        rc = gerr(GROWTH_EFORMAT, "%s: posting counts add up to %llu, not %zu", who, (unsigned long long)sum,
                  np);
        goto done;
    }
    sorted = malloc((nd + 1) * sizeof *sorted);
    if (!sorted) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    if (nd) memcpy(sorted, msg->doc_ids, nd * sizeof *sorted);
    qsort(sorted, nd, sizeof *sorted, tx_cmp_i64);
    for (size_t i = 0; i < nd; i++)
        if (sorted[i] < 0 || (i && sorted[i] == sorted[i - 1])) {
            rc = gerr(GROWTH_EFORMAT, "%s: document ids are negative or repeated", who);
            goto done;
        }
    if ((rc = gmem_reserve(who, tx_bytes((double)nd, (double)nd, (double)nt, (double)np),
                           (uint64_t)cfg.max_memory)))
        goto done;
    if ((rc = tx_new(&x, &cfg, who))) goto done;
    if ((rc = tx_grow_docs(x, nd, who)) || (rc = tx_id_reserve(x, nd, who)) ||
        (rc = tx_term_reserve(x, nt, who)))
        goto done;
    x->fwd = malloc((np + 1) * sizeof *x->fwd);
    if (!x->fwd) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    x->fwd_cap = np + 1;
    /* Documents: lengths and forward-list sizes from the postings. */
    memset(x->fwd_off, 0, (nd + 1) * sizeof *x->fwd_off);
    uint64_t *dl = calloc(nd + 1, sizeof *dl);
    if (!dl) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    size_t j = 0;
    for (size_t t = 0; t < nt; t++) {
        for (uint64_t i = 0; i < msg->term_postings[t]; i++, j++) {
            uint32_t d = msg->post_doc[j], tf = msg->post_tf[j];
            if (d >= nd || tf == 0 || (i && d <= msg->post_doc[j - 1])) {
                free(dl);
                rc = gerr(GROWTH_EFORMAT, "%s: posting %zu (document %u, tf %u) is out of range or order",
                          who, j, d, tf);
                goto done;
            }
            dl[d] += tf;
            x->fwd_off[d + 1]++;
        }
    }
    for (size_t d = 0; d < nd; d++) {
        if (dl[d] > UINT32_MAX) {
            free(dl);
            rc = gerr(GROWTH_EFORMAT, "%s: document %zu is too long", who, d);
            goto done;
        }
        x->doc_id[d] = msg->doc_ids[d];
        x->doc_len[d] = (uint32_t)dl[d];
        x->alive[d] = 1;
        x->fwd_off[d + 1] += x->fwd_off[d];
        x->live_len += dl[d];
        gidmap_put(&x->imap, (uint64_t)msg->doc_ids[d], (uint32_t)d);
    }
    free(dl);
    x->ndocs = (uint32_t)nd;
    x->live_docs = nd;
    j = 0;
    for (size_t t = 0; t < nt; t++) {
        if (tx_term_find(x, msg->term_hash[t]) != UINT32_MAX) {
            rc = gerr(GROWTH_EFORMAT, "%s: term %zu is repeated", who, t);
            goto done;
        }
        uint32_t cnt = (uint32_t)msg->term_postings[t];
        tx_term *tm = &x->terms[x->nterms];
        tm->hash = msg->term_hash[t];
        tm->n = tm->nblk = tm->blk_cap = 0;
        tm->nbytes = tm->bytes_cap = 0;
        tm->bytes = NULL;
        tm->blk = NULL;
        tm->df = cnt;
        x->nterms++; /* counted before the allocation: growth_text_free releases it on failure */
        if (tx_post_reserve(tm, cnt)) {
            rc = gerr(GROWTH_ENOMEM, "%s: out of memory for postings", who);
            goto done;
        }
        for (uint32_t i = 0; i < cnt; i++, j++) {
            uint32_t d = msg->post_doc[j];
            tx_post_push(tm, d, msg->post_tf[j], x->doc_len[d], x->doc_id[d]);
        }
        tx_post_shrink(tm);
        tx_term_insert_slot(x->tmap, x->tmap_cap, x->terms, x->nterms - 1);
        x->live_terms++;
    }
    /* Forward lists: fill per document through a cursor copy of the offsets. */
    uint64_t *pos = malloc((nd + 1) * sizeof *pos);
    if (!pos) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    memcpy(pos, x->fwd_off, (nd + 1) * sizeof *pos);
    for (uint32_t t = 0; t < x->nterms; t++) {
        tx_rd r;
        tx_rd_init(&r, &x->terms[t]);
        while (tx_rd_next(&r)) x->fwd[pos[r.doc]++] = t;
    }
    free(pos);
    x->nfwd = np;
    x->postings = np;
done:
    free(sorted);
    growth__text_index__free_unpacked(msg, &gpb_allocator);
    if (rc)
        growth_text_free(x);
    else
        *out = x;
    return rc;
}

GROWTH_API int growth_text_deserialize(growth_text_index **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_text_deserialize", buf, len, GROWTH_KIND_TEXT_INDEX, tx_from_payload,
                              out);
}

GROWTH_API int growth_text_load(growth_text_index **out, const char *path)
{
    return gmodel_load("growth_text_load", path, TX_MAX_FILE, GROWTH_KIND_TEXT_INDEX, tx_from_payload, out);
}
