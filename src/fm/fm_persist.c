/* FM/FFM model files: growth_fm_save / load / serialize / deserialize.
 *
 * The payload is one FmState message (src/proto/fm.proto) in the library's envelope
 * (GROWTH_KIND_FM). Only touched slots are stored, cut into FmSlots blocks of at most
 * fm_block_bytes (64 MiB) each, so that no length-delimited field comes near protobuf's 2 GiB limit and
 * neither side holds a second copy of the whole model:
 * - writing, the message is assembled by hand: the FmState fields without the blocks (packed by
 *   protobuf-c), then each block as field 11 (tag, length, the block packed by protobuf-c), built
 *   one at a time from the model under its writer lock. A first pass measures, so the envelope
 *   is allocated once, at its exact size, and a model too large for the file format is refused
 *   before anything big is allocated;
 * - reading, the top level of the message is scanned by hand: the fields other than the blocks
 *   (small) are copied aside and unpacked by protobuf-c, the model is created from the stored
 *   configuration, then each block is unpacked, checked and written into the model in turn.
 * The bytes are an ordinary FmState message: any protobuf reader decodes them whole.
 *
 * Persistence reads and writes a model only through the accessors of fm_impl.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm.pb-c.h"
#include "fm_io.h"

#define FM_BLOCKS_FIELD 11u /* FmState.blocks */
#define FM_MAX_FILE     ((size_t)(GENV_MAX_PAYLOAD + GENV_HEADER_SIZE))

size_t fm_block_bytes = (size_t)64 << 20;

double fm_table_bytes(const fm_cfg *cfg)
{
    bool compact = cfg->precision == FM_PREC_COMPACT;
    double per_slot = (double)fm_vectors_per_slot(cfg) * (double)cfg->k * (compact ? 4.0 : 8.0);
    if (cfg->linear) per_slot += (double)cfg->heads * (compact ? 6.0 : 16.0);
    return ldexp(per_slot, (int)cfg->bits);
}

/* ---- writing ------------------------------------------------------------------------------ */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Scratch of one block: up to `cap` slots with their values. */
typedef struct {
    size_t cap;
    uint32_t *slots;
    float *v, *g, *lz, *ls;
} fm_block;

static void block_free(fm_block *b)
{
    free(b->slots);
    free(b->v);
    free(b->g);
    free(b->lz);
    free(b->ls);
}

/* Fills `b` with the next touched slots from *next on (at most b->cap of them; their values too
 * when `values`), sets `msg` to point at them and advances *next. Returns the slot count. */
static size_t block_fill(const growth_fm *m, const fm_cfg *cfg, uint64_t *next, fm_block *b, bool values,
                         Growth__FmSlots *msg)
{
    const size_t M = (size_t)fm_vectors_per_slot(cfg), K = (size_t)cfg->k, H = (size_t)cfg->heads;
    size_t n = 0;
    uint64_t s = *next;
    while (n < b->cap && (s = fm_next_touched(m, s)) != UINT64_MAX) {
        b->slots[n] = (uint32_t)s;
        if (values) {
            for (size_t f = 0; f < M; f++) {
                size_t at = (n * M + f) * K;
                fm_get_vec(m, s, (int)f, b->v + at, b->g + at);
            }
            if (cfg->linear)
                for (size_t h = 0; h < H; h++) fm_get_lin(m, s, (int)h, &b->lz[n * H + h], &b->ls[n * H + h]);
        }
        n++;
        s++;
        if (s == 0) break; /* wrapped past UINT64_MAX: cannot happen below 2^32 slots */
    }
    *next = n < b->cap ? UINT64_MAX : s;
    growth__fm_slots__init(msg);
    msg->n_slots = n;
    msg->slots = b->slots;
    msg->n_factors = msg->n_sums = n * M * K;
    msg->factors = b->v;
    msg->sums = b->g;
    msg->n_lin_z = msg->n_lin_sqrt_n = cfg->linear ? n * H : 0;
    msg->lin_z = b->lz;
    msg->lin_sqrt_n = b->ls;
    return n;
}

/* Packs the model into a fresh envelope; the caller holds the writer lock. */
static int pack_locked(const char *who, const growth_fm *m, uint8_t **out, size_t *out_len)
{
    const fm_cfg *cfg = fm_config_of(m);
    const size_t M = (size_t)fm_vectors_per_slot(cfg), K = (size_t)cfg->k, H = (size_t)cfg->heads;
    uint64_t touched = 0;
    for (uint64_t s = fm_next_touched(m, 0); s != UINT64_MAX; s = fm_next_touched(m, s + 1)) touched++;

    /* Bytes of one slot in a block: its slot varint (<= 5) and its floats. */
    const size_t slot_bytes = 5 + M * K * 8 + (cfg->linear ? H * 8 : 0);
    fm_block b = {0};
    b.cap = fm_block_bytes / slot_bytes;
    if (b.cap < 1) b.cap = 1;
    if (b.cap > touched) b.cap = touched ? (size_t)touched : 1;
    b.slots = calloc(b.cap, sizeof *b.slots);
    b.v = calloc(b.cap * M * K, sizeof *b.v);
    b.g = calloc(b.cap * M * K, sizeof *b.g);
    b.lz = calloc(cfg->linear ? b.cap * H : 1, sizeof *b.lz);
    b.ls = calloc(cfg->linear ? b.cap * H : 1, sizeof *b.ls);
    float bias_z[FM_MAX_HEADS], bias_s[FM_MAX_HEADS];
    float *hu = NULL, *hg = NULL;
    uint64_t *xkeys = NULL, *xstamps = NULL;
    uint32_t *xslots = NULL;
    size_t xn = 0;
    char *cfgbuf = NULL;
    uint8_t *buf = NULL;
    int rc = GROWTH_OK;
    if (H > 1) {
        hu = malloc(H * K * sizeof *hu);
        hg = malloc(H * K * sizeof *hg);
    }
    if (!b.slots || !b.v || !b.g || !b.lz || !b.ls || (H > 1 && (!hu || !hg)) ||
        !(cfgbuf = gcfg_format_alloc(fm_opts, fm_nopts, cfg))) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory", who);
        goto done;
    }
    for (size_t h = 0; h < H; h++) {
        if (cfg->bias) fm_get_bias(m, (int)h, &bias_z[h], &bias_s[h]);
        if (H > 1) fm_get_head(m, (int)h, hu + h * K, hg + h * K);
    }
    Growth__ModelMeta meta = GROWTH__MODEL_META__INIT;
    gmodel_meta(&meta, cfgbuf);
    Growth__FmState st = GROWTH__FM_STATE__INIT;
    st.meta = &meta;
    st.examples = fm_examples(m);
    st.vectors = (uint32_t)M;
    st.k = (uint32_t)K;
    st.heads = (uint32_t)H;
    st.touched = touched;
    st.n_bias_z = st.n_bias_sqrt_n = cfg->bias ? H : 0;
    st.bias_z = bias_z;
    st.bias_sqrt_n = bias_s;
    st.n_head_u = st.n_head_g = H > 1 ? H * K : 0;
    st.head_u = hu;
    st.head_g = hg;
    if (fm_is_exact(m)) {
        if ((rc = fmx_snapshot(m, &xkeys, &xstamps, &xslots, &xn))) goto done;
        st.n_keys = st.n_key_stamps = st.n_key_slots = xn;
        st.keys = xkeys;
        st.key_stamps = xstamps;
        st.key_slots = xslots;
        const uint8_t *sk = NULL;
        size_t nsk = 0;
        bool aging = false;
        fmx_sketch_get(m, &sk, &nsk, &st.admit_sketch_cursor, &aging);
        st.admit_sketch_aging = aging;
        st.admit_sketch.len = nsk;
        st.admit_sketch.data = (uint8_t *)sk;
    }

    /* Pass 1: the exact payload size (slot varints need the slots, the floats only their count). */
    const uint8_t tag = (uint8_t)(FM_BLOCKS_FIELD << 3 | 2);
    uint64_t total = protobuf_c_message_get_packed_size(&st.base);
    Growth__FmSlots blk;
    for (uint64_t next = 0; next != UINT64_MAX;) {
        if (block_fill(m, cfg, &next, &b, false, &blk) == 0) break;
        uint64_t sz = protobuf_c_message_get_packed_size(&blk.base);
        total += 1 + varint_size(sz) + sz;
    }
    if (total > GENV_MAX_PAYLOAD || total > (uint64_t)(SIZE_MAX - GENV_HEADER_SIZE)) {
        rc = gerr(GROWTH_ENOMEM,
                  "%s: model too large to serialise: %llu touched slots make a payload of %llu bytes, more "
                  "than the file format's limit of %llu",
                  who, (unsigned long long)touched, (unsigned long long)total,
                  (unsigned long long)(GENV_MAX_PAYLOAD < SIZE_MAX - GENV_HEADER_SIZE
                                           ? GENV_MAX_PAYLOAD
                                           : (uint64_t)(SIZE_MAX - GENV_HEADER_SIZE)));
        goto done;
    }
    if (!(buf = malloc(GENV_HEADER_SIZE + (size_t)total))) {
        rc = gerr(GROWTH_ENOMEM, "%s: out of memory for a model file of %llu bytes", who,
                  (unsigned long long)total + GENV_HEADER_SIZE);
        goto done;
    }
    /* Pass 2: the bytes. */
    size_t pos = GENV_HEADER_SIZE;
    pos += protobuf_c_message_pack(&st.base, buf + pos);
    for (uint64_t next = 0; next != UINT64_MAX;) {
        if (block_fill(m, cfg, &next, &b, true, &blk) == 0) break;
        size_t sz = protobuf_c_message_get_packed_size(&blk.base);
        if (pos + 1 + varint_size(sz) + sz > GENV_HEADER_SIZE + (size_t)total) break;
        buf[pos++] = tag;
        pos += varint_put(buf + pos, sz);
        pos += protobuf_c_message_pack(&blk.base, buf + pos);
    }
    if (pos != GENV_HEADER_SIZE + (size_t)total) { /* the lock should make this impossible */
        rc = gerr(GROWTH_ESTATE, "%s: the model changed while it was being saved", who);
        goto done;
    }
    genv_header(buf, GROWTH_KIND_FM, buf + GENV_HEADER_SIZE, (size_t)total);
    *out = buf;
    *out_len = pos;
    buf = NULL;
done:
    block_free(&b);
    free(hu);
    free(hg);
    free(xkeys);
    free(xstamps);
    free(xslots);
    free(cfgbuf);
    free(buf);
    return rc;
}

/* The gmodel_pack_fn: a consistent snapshot under the writer lock (a concurrent trainer waits). */
static int fm_pack(const char *who, const void *model, uint8_t **out, size_t *out_len)
{
    const growth_fm *m = model;
    fm_lock(m);
    int rc = pack_locked(who, m, out, out_len);
    fm_unlock(m);
    return rc;
}

GROWTH_API int growth_fm_serialize(const growth_fm *m, uint8_t **out_buf, size_t *out_len)
{
    return gmodel_serialize("growth_fm_serialize", m, fm_pack, out_buf, out_len);
}

GROWTH_API int growth_fm_save(const growth_fm *m, const char *path)
{
    return gmodel_save("growth_fm_save", m, path, fm_pack);
}

/* ---- reading ------------------------------------------------------------------------------ */

/* One field of the top level of a message: [start, end) its bytes including the key; for a
 * length-delimited field [val, end) is the value. Returns false (with a message) on bytes that
 * are not protobuf wire format. */
typedef struct {
    uint32_t field;
    int wire;
    size_t start, val, end;
} pb_field;

static bool get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (*pos >= len) return false;
        uint8_t c = p[(*pos)++];
        if (i == 9 && c > 1) return false; /* more than 64 bits */
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static int next_field(const char *who, const uint8_t *p, size_t len, size_t *pos, pb_field *f)
{
    f->start = *pos;
    uint64_t key = 0, n = 0;
    if (!get_varint(p, len, pos, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
        return gerr(GROWTH_EFORMAT, "%s: FM payload is not a protobuf message (bad key at byte %zu)", who,
                    f->start);
    f->field = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    f->val = *pos;
    switch (f->wire) {
    case 0:
        if (!get_varint(p, len, pos, &n)) goto truncated;
        break;
    case 1:
        if (len - *pos < 8) goto truncated;
        *pos += 8;
        break;
    case 5:
        if (len - *pos < 4) goto truncated;
        *pos += 4;
        break;
    case 2:
        if (!get_varint(p, len, pos, &n) || n > len - *pos) goto truncated;
        f->val = *pos;
        *pos += (size_t)n;
        break;
    default:
        return gerr(GROWTH_EFORMAT, "%s: FM payload has field %u of unsupported wire type %d", who, f->field,
                    f->wire);
    }
    f->end = *pos;
    return GROWTH_OK;
truncated:
    return gerr(GROWTH_EFORMAT, "%s: FM payload is truncated or corrupted (field %u at byte %zu)", who,
                f->field, f->start);
}

static bool all_positive(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0.0f) || !gfinite(x[i])) return false;
    return true;
}

static bool all_nonneg(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(x[i] >= 0.0f)) return false;
    return true;
}

/* Checks the small part of the state against the configuration. */
static int check_state(const char *who, const Growth__FmState *st, const fm_cfg *cfg)
{
    const uint64_t M = (uint64_t)fm_vectors_per_slot(cfg), K = (uint64_t)cfg->k, H = (uint64_t)cfg->heads;
    if (st->vectors != M || st->k != K || st->heads != H)
        return gerr(GROWTH_EFORMAT,
                    "%s: stored sizes (vectors=%u k=%u heads=%u) do not match the stored configuration "
                    "(vectors=%llu k=%llu heads=%llu)",
                    who, st->vectors, st->k, st->heads, (unsigned long long)M, (unsigned long long)K,
                    (unsigned long long)H);
    uint64_t nslots = (uint64_t)1 << cfg->bits;
    if (st->touched > nslots)
        return gerr(GROWTH_EFORMAT, "%s: %llu touched slots in a table of 2^%lld", who,
                    (unsigned long long)st->touched, (long long)cfg->bits);
    size_t nb = cfg->bias ? (size_t)H : 0, nu = H > 1 ? (size_t)(H * K) : 0;
    if (st->n_bias_z != nb || st->n_bias_sqrt_n != nb)
        return gerr(GROWTH_EFORMAT, "%s: %zu bias values stored, expected %zu", who, st->n_bias_z, nb);
    if (!gall_finite_f32(st->bias_z, nb) || !gall_finite_f32(st->bias_sqrt_n, nb) ||
        !all_nonneg(st->bias_sqrt_n, nb))
        return gerr(GROWTH_EFORMAT, "%s: bias statistics are NaN, Inf or negative", who);
    if (st->n_head_u != nu || st->n_head_g != nu)
        return gerr(GROWTH_EFORMAT, "%s: %zu head weights stored, expected %zu (heads x k)", who,
                    st->n_head_u, nu);
    if (!gall_finite_f32(st->head_u, nu) || !all_positive(st->head_g, nu))
        return gerr(GROWTH_EFORMAT, "%s: head weights are NaN or Inf, or their AdaGrad sums are not > 0",
                    who);
    return GROWTH_OK;
}

/* Checks one block (slots after *last, ascending, in the table; sizes; values) and writes it
 * into the model. */
static int apply_block(const char *who, growth_fm *m, const fm_cfg *cfg, const Growth__FmSlots *b,
                       uint64_t *last, uint64_t *count)
{
    const uint64_t M = (uint64_t)fm_vectors_per_slot(cfg), K = (uint64_t)cfg->k, H = (uint64_t)cfg->heads;
    const uint64_t n = b->n_slots, nslots = fm_slots(m);
    if (n == 0) return gerr(GROWTH_EFORMAT, "%s: empty block of slots", who);
    if (b->n_factors != n * M * K || b->n_sums != n * M * K)
        return gerr(GROWTH_EFORMAT,
                    "%s: block of %llu slots holds %zu factors and %zu sums, expected %llu each", who,
                    (unsigned long long)n, b->n_factors, b->n_sums, (unsigned long long)(n * M * K));
    uint64_t nl = cfg->linear ? n * H : 0;
    if (b->n_lin_z != nl || b->n_lin_sqrt_n != nl)
        return gerr(GROWTH_EFORMAT, "%s: block of %llu slots holds %zu linear statistics, expected %llu", who,
                    (unsigned long long)n, b->n_lin_z, (unsigned long long)nl);
    for (size_t i = 0; i < b->n_slots; i++) {
        uint64_t s = b->slots[i];
        if (s >= nslots)
            return gerr(GROWTH_EFORMAT, "%s: slot %llu is outside the table of 2^%lld", who,
                        (unsigned long long)s, (long long)cfg->bits);
        if (*last != UINT64_MAX && s <= *last)
            return gerr(GROWTH_EFORMAT, "%s: slots are not strictly ascending (%llu after %llu)", who,
                        (unsigned long long)s, (unsigned long long)*last);
        *last = s;
    }
    if (!gall_finite_f32(b->factors, b->n_factors))
        return gerr(GROWTH_EFORMAT, "%s: model holds NaN or Inf factors", who);
    if (!all_positive(b->sums, b->n_sums))
        return gerr(GROWTH_EFORMAT, "%s: model holds AdaGrad sums that are NaN, Inf or not > 0", who);
    if (!gall_finite_f32(b->lin_z, b->n_lin_z) || !gall_finite_f32(b->lin_sqrt_n, b->n_lin_sqrt_n) ||
        !all_nonneg(b->lin_sqrt_n, b->n_lin_sqrt_n))
        return gerr(GROWTH_EFORMAT, "%s: model holds linear statistics that are NaN, Inf or negative", who);
    for (size_t i = 0; i < b->n_slots; i++) {
        uint64_t s = b->slots[i];
        for (size_t f = 0; f < (size_t)M; f++) {
            size_t at = ((size_t)i * (size_t)M + f) * (size_t)K;
            fm_put_vec(m, s, (int)f, b->factors + at, b->sums + at);
        }
        if (cfg->linear)
            for (size_t h = 0; h < (size_t)H; h++)
                fm_put_lin(m, s, (int)h, b->lin_z[i * (size_t)H + h], b->lin_sqrt_n[i * (size_t)H + h]);
        fm_mark_touched(m, s);
    }
    *count += n;
    return GROWTH_OK;
}

/* Builds a model from an FmState payload: the top level is scanned by hand so that each block is
 * decoded on its own (see the top of the file). */
static int fm_from_payload_capped(const char *who, const uint8_t *pl, size_t plen, double max_bytes,
                                  growth_fm **out)
{
    /* Scan 1: the wire structure, and the size of everything but the blocks. */
    size_t pos = 0, rest_len = 0;
    pb_field f;
    int rc;
    while (pos < plen) {
        if ((rc = next_field(who, pl, plen, &pos, &f))) return rc;
        if (f.field == FM_BLOCKS_FIELD && f.wire != 2)
            return gerr(GROWTH_EFORMAT, "%s: FM payload field %u has the wrong wire type", who, f.field);
        if (f.field != FM_BLOCKS_FIELD) rest_len += f.end - f.start;
    }
    /* Scan 2: the rest, copied aside and decoded by protobuf-c. */
    uint8_t *rest = malloc(rest_len ? rest_len : 1);
    if (!rest) return gerr(GROWTH_ENOMEM, "%s: out of memory", who);
    size_t at = 0;
    for (pos = 0; pos < plen;) {
        next_field(who, pl, plen, &pos, &f); /* cannot fail: scan 1 passed */
        if (f.field == FM_BLOCKS_FIELD) continue;
        memcpy(rest + at, pl + f.start, f.end - f.start);
        at += f.end - f.start;
    }
    Growth__FmState *st = growth__fm_state__unpack(&gpb_allocator, rest_len, rest);
    free(rest);
    if (!st) return gpb_unpack_error(who, "FM state payload");
    growth_fm *m = NULL;
    fm_cfg cfg;
    if (!st->meta || !st->meta->config || !st->meta->config[0]) {
        rc = gerr(GROWTH_EFORMAT, "%s: model has no configuration", who);
        goto done;
    }
    if ((rc = fm_cfg_parse_stored(who, st->meta->config, &cfg))) {
        if (rc != GROWTH_ENOMEM && rc != GROWTH_EFORMAT)
            rc = gerr(GROWTH_EFORMAT, "%s: stored configuration is invalid: %s", who, gerr_cause(who));
        goto done;
    }
    if ((rc = check_state(who, st, &cfg))) goto done;
    if (max_bytes > 0 && !(fm_table_bytes(&cfg) <= max_bytes)) {
        rc = gerr(GROWTH_ENOMEM, "%s: the model's tables need %.0f bytes, more than the cap of %.0f", who,
                  fm_table_bytes(&cfg), max_bytes);
        goto done;
    }
    if ((rc = fm_new(&m, &cfg, who))) {
        if (rc != GROWTH_ENOMEM && rc != GROWTH_EFORMAT)
            rc = gerr(GROWTH_EFORMAT, "%s: %s", who, gerr_cause(who));
        goto done;
    }
    const size_t K = (size_t)cfg.k;
    for (size_t h = 0; h < (size_t)cfg.heads; h++) {
        if (cfg.bias) fm_put_bias(m, (int)h, st->bias_z[h], st->bias_sqrt_n[h]);
        if (cfg.heads > 1) fm_put_head(m, (int)h, st->head_u + h * K, st->head_g + h * K);
    }
    fm_set_examples(m, st->examples);
    /* Scan 3: the blocks, one at a time. */
    uint64_t last = UINT64_MAX, count = 0;
    for (pos = 0; pos < plen && rc == GROWTH_OK;) {
        next_field(who, pl, plen, &pos, &f);
        if (f.field != FM_BLOCKS_FIELD) continue;
        Growth__FmSlots *b = growth__fm_slots__unpack(&gpb_allocator, f.end - f.val, pl + f.val);
        if (!b) {
            rc = gpb_unpack_error(who, "FM block of slots");
            break;
        }
        rc = apply_block(who, m, &cfg, b, &last, &count);
        growth__fm_slots__free_unpacked(b, &gpb_allocator);
    }
    if (rc == GROWTH_OK && count != st->touched)
        rc = gerr(GROWTH_EFORMAT, "%s: the model declares %llu touched slots but holds %llu (truncated?)",
                  who, (unsigned long long)st->touched, (unsigned long long)count);
    if (rc == GROWTH_OK)
        rc = fmx_load(who, m, st->keys, st->n_keys, st->key_stamps, st->n_key_stamps, st->key_slots,
                      st->n_key_slots);
    if (rc == GROWTH_OK)
        rc = fmx_sketch_set(who, m, st->admit_sketch.data, st->admit_sketch.len, st->admit_sketch_cursor,
                            st->admit_sketch_aging);
done:
    growth__fm_state__free_unpacked(st, &gpb_allocator);
    if (rc)
        growth_fm_free(m);
    else
        *out = m;
    return rc;
}

static int fm_from_payload(const char *who, uint32_t kind, const uint8_t *pl, size_t plen, void *out)
{
    (void)kind; /* the envelope's kind was checked against GROWTH_KIND_FM */
    return fm_from_payload_capped(who, pl, plen, 0, out);
}

int fm_deserialize_capped(const char *who, growth_fm **out, const uint8_t *buf, size_t len, double max_bytes)
{
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, buf);
    const uint8_t *pl = NULL;
    size_t plen = 0;
    int rc = genv_open(who, buf, len, GROWTH_KIND_FM, NULL, &pl, &plen);
    if (rc) return rc;
    return fm_from_payload_capped(who, pl, plen, max_bytes, out);
}

GROWTH_API int growth_fm_deserialize(growth_fm **out, const uint8_t *buf, size_t len)
{
    return gmodel_deserialize("growth_fm_deserialize", buf, len, GROWTH_KIND_FM, fm_from_payload, out);
}

GROWTH_API int growth_fm_load(growth_fm **out, const char *path)
{
    return gmodel_load("growth_fm_load", path, FM_MAX_FILE, GROWTH_KIND_FM, fm_from_payload, out);
}
