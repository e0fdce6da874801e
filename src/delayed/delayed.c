/* Delayed feedback (delayed.h): one head of an FTRL or FM model trained from impressions and
 * late conversions, through the models' public training calls only.
 *
 * Pending impressions live in a ring of records in arrival (= time) order, which is also the
 * order of their waits and of their windows: training after `elapsed` and expiry after `window`
 * both pop from the front (two cursors), an id map gives a conversion its record. A record's row
 * is one block (idx | val | fld) released as soon as nothing will train on it again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "growth/delayed.h"
#include "idmap.h"

enum { M_FNW, M_NAIVE };
enum { KIND_FTRL, KIND_FM };
/* WAIT: not trained yet; WAIT_CONV: not trained yet, its conversion came; NEG: trained as a
 * negative, its conversion may still come; DONE: its conversion came and was dealt with. */
enum { S_WAIT, S_WAIT_CONV, S_NEG, S_DONE };

typedef struct {
    int method;
    double window;
    double elapsed;
    int64_t max_memory;
} delayed_cfg;

static const gcfg_opt delayed_opts[] = {
    {"method", GCFG_ENUM, offsetof(delayed_cfg, method), "fnw", 0, 0, "fnw|naive", false},
    {"window", GCFG_DOUBLE, offsetof(delayed_cfg, window), "604800", 0, 1e300, NULL, true},
    {"elapsed", GCFG_DOUBLE, offsetof(delayed_cfg, elapsed), "0", 0, 1e300, NULL, false},
    GCFG_MAX_MEMORY(delayed_cfg, max_memory),
};
#define N_OPTS (sizeof delayed_opts / sizeof delayed_opts[0])

typedef struct {
    uint64_t id;
    double t0;
    void *row; /* idx[nnz] | val[nnz] (when has_val) | fld[nnz] (when has_fld); NULL once released */
    uint32_t nnz;
    uint8_t state;
    uint8_t has_val, has_fld;
} rec;

/* What the max_memory cap counts for one pending impression besides its row: the record and
 * the two id-map cells (key + value) the map keeps per entry at most half full. */
#define REC_COST (sizeof(rec) + 2 * (sizeof(uint64_t) + sizeof(uint32_t)))

struct growth_delayed {
    int kind;
    growth_ftrl *ftrl;
    growth_fm *fm;
    size_t head, heads;
    delayed_cfg cfg;
    float *labels, *pred; /* heads floats each */
    rec *ring;
    size_t cap;                       /* ring capacity, a power of two (0 before the first) */
    uint64_t front, next_train, tail; /* sequence numbers: front <= next_train <= tail */
    gidmap map;                       /* id -> ring slot of every record in the ring */
    size_t row_bytes;                 /* bytes of the rows still held */
    double clock;                     /* NaN before the first call */
    growth_delayed_stats st;
};

static size_t row_size(size_t nnz, bool has_val, bool has_fld)
{
    return nnz * (sizeof(uint32_t) + (has_val ? sizeof(float) : 0) + (has_fld ? 1 : 0));
}

static rec *at(const growth_delayed *d, uint64_t seq) { return &d->ring[seq & (d->cap - 1)]; }

static void rec_release(growth_delayed *d, rec *r)
{
    if (!r->row) return;
    d->row_bytes -= row_size(r->nnz, r->has_val, r->has_fld);
    free(r->row);
    r->row = NULL;
}

static void rec_row(const rec *r, const uint32_t **idx, const float **val, const uint8_t **fld)
{
    *idx = r->row;
    *val = r->has_val ? (const float *)(*idx + r->nnz) : NULL;
    *fld = r->has_fld ? (const uint8_t *)(*idx + r->nnz) + (r->has_val ? r->nnz * sizeof(float) : 0) : NULL;
}

static int predict_row(const growth_delayed *d, const uint32_t *idx, const uint8_t *fld, const float *val,
                       size_t nnz, float *p)
{
    int rc = d->kind == KIND_FTRL ? growth_ftrl_predict(d->ftrl, idx, val, nnz, 0, d->pred, d->heads)
                                  : growth_fm_predict(d->fm, idx, fld, val, nnz, 0, d->pred, d->heads);
    if (rc == GROWTH_OK) *p = d->pred[d->head];
    return rc;
}

static int train_row(growth_delayed *d, const uint32_t *idx, const uint8_t *fld, const float *val, size_t nnz,
                     float label, float weight)
{
    d->labels[d->head] = label;
    int rc = d->kind == KIND_FTRL ? growth_ftrl_update(d->ftrl, idx, val, nnz, d->labels, weight)
                                  : growth_fm_update(d->fm, idx, fld, val, nnz, d->labels, weight);
    if (rc == GROWTH_OK) {
        if (label > 0.5f)
            d->st.trained_positive++;
        else
            d->st.trained_negative++;
    }
    return rc;
}

/* FNW's importance weights from the model's prediction p: positives (1 + p), negatives
 * (1 + p)(1 - p), computed in double and rounded once to float. */
static float fnw_weight(float p, bool positive)
{
    const double q = (double)p;
    return positive ? (float)(1.0 + q) : (float)((1.0 + q) * (1.0 - q));
}

/* Trains a record for the first time (its wait is over, or it is evicted before). */
static int train_first(growth_delayed *d, rec *r)
{
    const uint32_t *idx;
    const float *val;
    const uint8_t *fld;
    rec_row(r, &idx, &val, &fld);
    int rc;
    if (d->cfg.method == M_FNW) {
        float p;
        rc = predict_row(d, idx, fld, val, r->nnz, &p);
        if (!rc) rc = train_row(d, idx, fld, val, r->nnz, 0.0f, fnw_weight(p, false));
        if (rc) return rc;
        r->state = S_NEG; /* the row stays: the conversion trains it again */
        return GROWTH_OK;
    }
    const bool pos = r->state == S_WAIT_CONV;
    rc = train_row(d, idx, fld, val, r->nnz, pos ? 1.0f : 0.0f, 1.0f);
    if (rc) return rc;
    r->state = pos ? S_DONE : S_NEG;
    rec_release(d, r); /* naive never trains an example twice */
    return GROWTH_OK;
}

/* Removes the front record (expired or evicted), training it first if it never trained. */
static int pop_front(growth_delayed *d, bool evict)
{
    rec *r = at(d, d->front);
    if (d->next_train == d->front) {
        int rc = train_first(d, r);
        if (rc) return rc;
        d->next_train++;
    }
    rec_release(d, r);
    gidmap_del(&d->map, r->id);
    d->front++;
    if (evict)
        d->st.evicted++;
    else
        d->st.expired++;
    return GROWTH_OK;
}

static int advance_to(growth_delayed *d, double time)
{
    d->clock = time;
    while (d->next_train < d->tail && at(d, d->next_train)->t0 + d->cfg.elapsed < time) {
        int rc = train_first(d, at(d, d->next_train));
        if (rc) return rc;
        d->next_train++;
    }
    while (d->front < d->tail && at(d, d->front)->t0 + d->cfg.window < time) {
        int rc = pop_front(d, false);
        if (rc) return rc;
    }
    return GROWTH_OK;
}

static int check_time(const char *who, const growth_delayed *d, double time)
{
    if (!gfinite(time)) return gerr(GROWTH_EINVAL, "%s: time = %g is not finite", who, time);
    if (time < d->clock)
        return gerr(GROWTH_EINVAL, "%s: time = %.17g goes backwards (the clock is at %.17g)", who, time,
                    d->clock);
    return GROWTH_OK;
}

static int create(const char *who, growth_delayed **out, int kind, void *model, size_t head,
                  const char *config)
{
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, model);
    delayed_cfg cfg;
    int rc = gcfg_parse(who, delayed_opts, N_OPTS, config, &cfg, sizeof cfg);
    if (rc) return rc;
    if (cfg.elapsed > cfg.window)
        return gerr(GROWTH_EINVAL, "%s: elapsed = %g is longer than window = %g", who, cfg.elapsed,
                    cfg.window);
    if (cfg.method == M_FNW && cfg.elapsed != 0)
        return gerr(GROWTH_EINVAL, "%s: method=fnw trains at once: elapsed = %g must be 0", who, cfg.elapsed);
    size_t heads;
    if (kind == KIND_FTRL) {
        growth_ftrl_stats s = GROWTH_FTRL_STATS_INIT;
        rc = growth_ftrl_stats_get(model, &s);
        heads = (size_t)s.heads;
    } else {
        growth_fm_stats s = GROWTH_FM_STATS_INIT;
        rc = growth_fm_stats_get(model, &s);
        heads = (size_t)s.heads;
    }
    if (rc) return rc;
    if (head >= heads)
        return gerr(GROWTH_EINVAL, "%s: head = %zu, the model has %zu heads", who, head, heads);
    growth_delayed *d = calloc(1, sizeof *d);
    float *lab = malloc(2 * heads * sizeof *lab);
    if (!d || !lab) {
        free(d);
        free(lab);
        return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    }
    d->kind = kind;
    if (kind == KIND_FTRL)
        d->ftrl = model;
    else
        d->fm = model;
    d->head = head;
    d->heads = heads;
    d->cfg = cfg;
    d->labels = lab;
    d->pred = lab + heads;
    for (size_t h = 0; h < heads; h++) d->labels[h] = GROWTH_LABEL_MISSING;
    d->clock = NAN;
    d->st = (growth_delayed_stats)GROWTH_DELAYED_STATS_INIT;
    *out = d;
    return GROWTH_OK;
}

GROWTH_API int growth_delayed_create_ftrl(growth_delayed **out, growth_ftrl *model, size_t head,
                                          const char *config)
{
    return create("growth_delayed_create_ftrl", out, KIND_FTRL, model, head, config);
}

GROWTH_API int growth_delayed_create_fm(growth_delayed **out, growth_fm *model, size_t head,
                                        const char *config)
{
    return create("growth_delayed_create_fm", out, KIND_FM, model, head, config);
}

GROWTH_API void growth_delayed_free(growth_delayed *d)
{
    if (!d) return;
    for (uint64_t s = d->front; s < d->tail; s++) free(at(d, s)->row);
    free(d->ring);
    gidmap_free(&d->map);
    free(d->labels);
    free(d);
}

GROWTH_API int growth_delayed_config(const growth_delayed *d, char *buf, size_t cap, size_t *out_n)
{
    static const char *who = "growth_delayed_config";
    GROWTH_CHECK_NULL(who, d);
    GROWTH_CHECK_NULL(who, out_n);
    if (!buf && cap) return gerr(GROWTH_EINVAL, "%s: buf is NULL with cap = %zu", who, cap);
    int rc = gcfg_format(delayed_opts, N_OPTS, &d->cfg, buf, cap, out_n);
    if (rc == GROWTH_EBUFS) return gerr(rc, "%s: buffer of %zu bytes, %zu needed", who, cap, *out_n);
    return rc;
}

/* Makes room for one more record: grows the ring (re-placing the records and their map values)
 * and the map. Changes nothing observable; on failure nothing at all. */
static int reserve_one(const char *who, growth_delayed *d)
{
    const uint64_t n = d->tail - d->front;
    if (n + 1 > (uint64_t)1 << 30)
        return gerr(GROWTH_ENOMEM, "%s: %llu impressions pending", who, (unsigned long long)n);
    if (n + 1 > d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 64;
        rec *nr = malloc(ncap * sizeof *nr);
        if (!nr) return gerr(GROWTH_ENOMEM, "%s: out of memory for %zu pending impressions", who, ncap);
        for (uint64_t s = d->front; s < d->tail; s++) nr[s & (ncap - 1)] = *at(d, s);
        free(d->ring);
        d->ring = nr;
        d->cap = ncap;
        for (uint64_t s = d->front; s < d->tail; s++)
            gidmap_put(&d->map, d->ring[s & (ncap - 1)].id, (uint32_t)(s & (ncap - 1)));
    }
    return gidmap_reserve(who, "the id map", &d->map, (size_t)n + 1, NULL, NULL);
}

GROWTH_API int growth_delayed_impression(growth_delayed *d, uint64_t event_id, double time,
                                         const uint32_t *idx, const uint8_t *fld, const float *val,
                                         size_t nnz)
{
    static const char *who = "growth_delayed_impression";
    GROWTH_CHECK_NULL(who, d);
    if (nnz) GROWTH_CHECK_NULL(who, idx);
    int rc = check_time(who, d, time);
    if (rc) return rc;
    if (nnz > (size_t)1 << 30) return gerr(GROWTH_EINVAL, "%s: nnz = %zu is too large", who, nnz);
    if (d->kind == KIND_FTRL && fld)
        return gerr(GROWTH_EINVAL, "%s: fld is given but the model is an FTRL model (no fields)", who);
    const uint32_t slot = gidmap_get(&d->map, event_id);
    if (slot != GIDMAP_NONE && !(d->ring[slot].t0 + d->cfg.window < time)) /* (one expiring now is not) */
        return gerr(GROWTH_EINVAL, "%s: event_id %llu is already pending", who, (unsigned long long)event_id);
    /* The model validates the row (slots, fields, values) without changing anything. */
    float p;
    rc = predict_row(d, idx, fld, val, nnz, &p);
    if (rc) {
        char why[512]; /* a copy: gerr writes the buffer growth_last_error() points to */
        snprintf(why, sizeof why, "%s", growth_last_error());
        return gerr(rc, "%s: bad row: %s", who, why);
    }
    const size_t rb = row_size(nnz, val != NULL, fld != NULL);
    if (d->cfg.max_memory > 0 && (double)(rb + REC_COST) > (double)d->cfg.max_memory)
        return gerr(GROWTH_ENOMEM, "%s: one impression of %zu entries takes %zu bytes, max_memory = %lld",
                    who, nnz, rb + REC_COST, (long long)d->cfg.max_memory);
    rc = reserve_one(who, d);
    if (rc) return rc;
    void *row = malloc(rb ? rb : 1);
    if (!row) return gerr(GROWTH_ENOMEM, "%s: out of memory for a row of %zu entries", who, nnz);
    uint8_t *w = row;
    if (nnz) memcpy(w, idx, nnz * sizeof *idx);
    w += nnz * sizeof *idx;
    if (val) {
        memcpy(w, val, nnz * sizeof *val);
        w += nnz * sizeof *val;
    }
    if (fld && nnz) memcpy(w, fld, nnz);
    /* From here on the call changes things: the clock, waiting impressions whose wait is over,
     * expiries and evictions, then the new example. A training call of the model that fails
     * (ENOMEM) stops the call with the examples before it trained and the rest pending, and the
     * new impression not added. */
    rc = advance_to(d, time);
    if (!rc && d->cfg.max_memory > 0) {
        while (!rc && d->front < d->tail &&
               (double)(d->row_bytes + rb + (d->tail - d->front + 1) * REC_COST) > (double)d->cfg.max_memory)
            rc = pop_front(d, true);
    }
    uint8_t state = S_WAIT;
    if (!rc && d->cfg.elapsed == 0) { /* trains at once, from the caller's arrays */
        if (d->cfg.method == M_FNW) {
            rc = predict_row(d, idx, fld, val, nnz, &p);
            if (!rc) rc = train_row(d, idx, fld, val, nnz, 0.0f, fnw_weight(p, false));
        } else {
            rc = train_row(d, idx, fld, val, nnz, 0.0f, 1.0f);
        }
        state = S_NEG;
    }
    if (rc) {
        free(row);
        return rc;
    }
    const bool keep_row = state == S_WAIT || d->cfg.method == M_FNW; /* naive trains a row once */
    if (!keep_row) {
        free(row);
        row = NULL;
    }
    rec *r = at(d, d->tail);
    *r = (rec){.id = event_id,
               .t0 = time,
               .row = row,
               .nnz = (uint32_t)nnz,
               .state = state,
               .has_val = val != NULL,
               .has_fld = fld != NULL};
    gidmap_put(&d->map, event_id, (uint32_t)(d->tail & (d->cap - 1)));
    if (d->next_train == d->tail && state != S_WAIT) d->next_train++;
    d->tail++;
    if (keep_row) d->row_bytes += rb;
    d->st.impressions++;
    return GROWTH_OK;
}

GROWTH_API int growth_delayed_conversion(growth_delayed *d, uint64_t event_id, double time)
{
    static const char *who = "growth_delayed_conversion";
    GROWTH_CHECK_NULL(who, d);
    int rc = check_time(who, d, time);
    if (rc) return rc;
    rc = advance_to(d, time);
    if (rc) return rc;
    const uint32_t slot = gidmap_get(&d->map, event_id);
    if (slot == GIDMAP_NONE) {
        d->st.conversions_unknown++;
        return GROWTH_OK;
    }
    rec *r = &d->ring[slot];
    switch (r->state) {
    case S_WAIT:
        r->state = S_WAIT_CONV;
        d->st.conversions++;
        return GROWTH_OK;
    case S_NEG:
        if (d->cfg.method == M_FNW) {
            const uint32_t *idx;
            const float *val;
            const uint8_t *fld;
            rec_row(r, &idx, &val, &fld);
            float p;
            rc = predict_row(d, idx, fld, val, r->nnz, &p);
            if (!rc) rc = train_row(d, idx, fld, val, r->nnz, 1.0f, fnw_weight(p, true));
            if (rc) return rc;
        }
        r->state = S_DONE;
        rec_release(d, r);
        d->st.conversions++;
        d->st.conversions_late++;
        return GROWTH_OK;
    default: /* S_WAIT_CONV, S_DONE */ d->st.conversions_duplicate++; return GROWTH_OK;
    }
}

GROWTH_API int growth_delayed_advance(growth_delayed *d, double time)
{
    static const char *who = "growth_delayed_advance";
    GROWTH_CHECK_NULL(who, d);
    int rc = check_time(who, d, time);
    if (rc) return rc;
    return advance_to(d, time);
}

#define DELAYED_STATS_SIZE_1_0 sizeof(growth_delayed_stats)

GROWTH_API int growth_delayed_stats_get(const growth_delayed *d, growth_delayed_stats *out)
{
    static const char *who = "growth_delayed_stats_get";
    GROWTH_CHECK_NULL(who, d);
    GROWTH_CHECK_NULL(who, out);
    growth_delayed_stats s = d->st;
    s.pending = d->tail - d->front;
    s.bytes = (uint64_t)(sizeof *d + 2 * d->heads * sizeof(float) + d->cap * sizeof(rec) +
                         d->map.cap * (sizeof(uint64_t) + sizeof(uint32_t)) + d->row_bytes);
    s.time = d->clock;
    return gstruct_out(who, "stats", out, &s, DELAYED_STATS_SIZE_1_0, sizeof s);
}
