/* Internal core services shared by every module. Not installed, not part of the ABI. */
#ifndef GROWTH_CORE_H
#define GROWTH_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "growth/common.h"

#if defined(__GNUC__)
#define GROWTH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define GROWTH_LIKELY(x)    __builtin_expect(!!(x), 1)
#define GROWTH_UNLIKELY(x)  __builtin_expect(!!(x), 0)
#else
#define GROWTH_PRINTF(a, b)
#define GROWTH_LIKELY(x)   (x)
#define GROWTH_UNLIKELY(x) (x)
#endif

/* ---- errors ------------------------------------------------------------------------------ */

/* Records a formatted message for growth_last_error() and returns `code`, so callers write
 * `return gerr(GROWTH_EINVAL, "ftrl_update: label %g is not 0 or 1", y);` */
int gerr(int code, const char *fmt, ...) GROWTH_PRINTF(2, 3);
/* The last error message as the cause inside a new one from `who`: without its own leading
 * "who: " when it has one (the inner call was made with the same name), so a wrapped message
 * reads "growth_x_load: stored configuration is invalid: config key ..." rather than naming
 * the function twice. Points into the message buffer: pass it to gerr() (which copies first). */
const char *gerr_cause(const char *who);

/* Validates a non-NULL pointer argument; returns GROWTH_OK or GROWTH_EINVAL with a message. */
#define GROWTH_CHECK_NULL(fn, p)                                                                             \
    do {                                                                                                     \
        if (GROWTH_UNLIKELY((p) == NULL)) return gerr(GROWTH_EINVAL, "%s: %s is NULL", fn, #p);              \
    } while (0)

/* ---- numbers, whatever the process's locale (numbers.c) ------------------------------------ */

/* strtod in the C locale: "0.05" is 0.05 under LANG=de_DE.UTF-8 too. Use it for every number the
 * library reads from text (config strings, JSON, xgboost's messages). */
double gstrtod(const char *s, char **end);
/* snprintf in the C locale (the calling thread is switched with uselocale for the one call). */
int gsnprintf(char *buf, size_t cap, const char *fmt, ...) GROWTH_PRINTF(3, 4);
int gvsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
/* The creation time written into model files: SOURCE_DATE_EPOCH when set (reproducible bytes),
 * else the current time. */
int64_t gmodel_time(void);

/* ---- public structs with struct_size first (structs.c) ------------------------------------ */

/* An input struct: struct_size at least `known` (this library's sizeof), and any larger tail
 * (from a newer caller) all zero. */
int gstruct_in(const char *who, const char *what, const void *p, size_t known);
/* An output struct: out->struct_size must be at least `min` (the size of the struct's first
 * release); copies what follows struct_size from `src` (this library's struct, `known` bytes) as
 * far as out->struct_size reaches; struct_size itself is left as the caller set it. */
int gstruct_out(const char *who, const char *what, void *out, const void *src, size_t min, size_t known);
/* Validates a growth_id_filter (NULL is fine): struct size, ascending allow-list, bitmap. */
int gid_filter_check(const char *who, const growth_id_filter *f);

/* ---- configuration ----------------------------------------------------------------------- */

typedef enum { GCFG_DOUBLE, GCFG_INT, GCFG_BOOL, GCFG_ENUM, GCFG_STRING } gcfg_type;

#define GCFG_STRING_MAX 256

/* One option of a module's configuration schema. Values are written into a caller struct at
 * `offset`: double for GCFG_DOUBLE, int64_t for GCFG_INT, bool for GCFG_BOOL, int (index into
 * `choices`) for GCFG_ENUM, char[GCFG_STRING_MAX] for GCFG_STRING. */
typedef struct {
    const char *key;
    gcfg_type type;
    size_t offset;
    const char *def;     /* default, as it would be written in a config string */
    double min, max;     /* inclusive range for GCFG_DOUBLE / GCFG_INT */
    const char *choices; /* "a|b|c" for GCFG_ENUM */
    bool min_open;       /* range excludes `min` (e.g. alpha > 0) */
} gcfg_opt;

/* The `max_memory` key every handle whose memory grows with its configuration or its data
 * takes: bytes, an integer >= 0 (plain bytes, no suffixes), 0 = no cap other than the
 * machine's physical memory. Stored in an int64_t member; checked with gmem_reserve(). */
#define GCFG_MAX_MEMORY(type, member)                                                                        \
    {                                                                                                        \
        "max_memory", GCFG_INT, offsetof(type, member), "0", 0, 9007199254740992.0, NULL, false              \
    }

/* Fills `out` with defaults, then applies `config` ("k=v k2=v2", separators: spaces, tabs,
 * newlines or commas; values may be quoted with ' or "). Unknown keys, duplicate keys, values
 * that do not parse or are out of range give GROWTH_EINVAL naming the key; `who` prefixes the
 * message (e.g. "ftrl"). `out` is untouched on failure. `struct_size` is sizeof(*out). */
int gcfg_parse(const char *who, const gcfg_opt *opts, size_t nopts, const char *config, void *out,
               size_t struct_size);

/* gcfg_parse for the configuration stored in a model file: a bad one is GROWTH_EFORMAT
 * ("stored configuration is invalid: ..."), running out of memory stays GROWTH_ENOMEM. */
int gcfg_parse_stored(const char *who, const gcfg_opt *opts, size_t nopts, const char *config, void *out,
                      size_t struct_size);

/* Writes the effective configuration as "k=v k2=v2" into buf (cap bytes, NUL-terminated).
 * Returns GROWTH_OK or GROWTH_EBUFS; *needed (if not NULL) gets the length + 1 either way. */
int gcfg_format(const gcfg_opt *opts, size_t nopts, const void *in, char *buf, size_t cap, size_t *needed);

/* The effective configuration as gcfg_format writes it, in a malloc'ed string (NULL when out of
 * memory). */
char *gcfg_format_alloc(const gcfg_opt *opts, size_t nopts, const void *in);

/* Copies a NUL-terminated string into a caller buffer with the EBUFS convention. */
int gcopy_out(const char *who, const char *s, char *buf, size_t cap, size_t *needed);

/* ---- pseudo-random numbers: xoshiro256** seeded through splitmix64 ------------------------ */

typedef struct {
    uint64_t s[4];
} grng;

void grng_seed(grng *r, uint64_t seed);
/* Advances the stream by 2^128 draws: gives independent, non-overlapping streams. */
void grng_jump(grng *r);

static inline uint64_t grng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t grng_next(grng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = grng_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = grng_rotl(s[3], 45);
    return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double grng_uniform(grng *r) { return (double)(grng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform integer in [0, n) without modulo bias (Lemire's method). n > 0. */
uint64_t grng_below(grng *r, uint64_t n);
double grng_normal(grng *r);              /* standard normal (polar method) */
double grng_gamma(grng *r, double shape); /* Gamma(shape, 1), shape > 0 (Marsaglia-Tsang) */
double grng_beta(grng *r, double a, double b);

/* ---- hashing ----------------------------------------------------------------------------- */

static inline uint64_t gmix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* ---- ranking items (rank_items.c) --------------------------------------------------------- */

/* Ranking item: score, then position as a tie-break (smaller first). */
typedef struct {
    float s;
    uint32_t id;
    size_t i;
} grank_item;

static inline bool grank_before(const grank_item *a, const grank_item *b)
{
    return a->s > b->s || (a->s == b->s && a->i < b->i);
}

/* Reorders a[0..n) so that a[0..k) are the k first items by grank_before (in any order). */
void grank_top_k(grank_item *a, size_t n, size_t k);
/* Sorts a[0..n) by grank_before. */
void grank_sort(grank_item *a, size_t n);
/* Number of labels 1 among the topn best-scored of the n users not skipped (skip may be NULL);
 * `it` is scratch of n items. */
size_t grank_hits(const float *scores, const float *labels, const uint8_t *skip, size_t n, size_t topn,
                  grank_item *it);
/* Validates scores (finite), labels (0 or 1), n > 0 and topn > 0 for the top-N calls. */
int grank_check(const char *who, const float *scores, const float *labels, size_t n, size_t topn);

/* ---- word hashing of text (grams.c) ------------------------------------------------------- */

/* Decodes one UTF-8 code point of at most `avail` bytes (SIZE_MAX for a NUL-terminated string);
 * UINT32_MAX for an invalid, overlong, surrogate or truncated sequence (*adv = 1). */
uint32_t gutf8_decode(const unsigned char *s, size_t avail, size_t *adv);

typedef void (*gtext_gram_fn)(void *ctx, uint32_t slot);
/* Calls fn(ctx, growth_hash64(gram, seed) % buckets) for every n-gram of `text` (letter trigrams
 * of "#word#", CJK unigrams and bigrams; see growth_features_hash_text()); returns the count. */
size_t gtext_grams(const char *text, uint32_t buckets, uint64_t seed, gtext_gram_fn fn, void *ctx);

/* ---- files ------------------------------------------------------------------------------- */

/* Writes `len` bytes to `path` atomically: temp file in the same directory, fsync, rename,
 * fsync of the directory. On failure the previous file (if any) is intact. */
int gfile_write_atomic(const char *who, const char *path, const void *data, size_t len);
int gfile_write_atomic2(const char *who, const char *path, const void *a, size_t alen, const void *b,
                        size_t blen);

/* Reads a whole file (at most `max_len` bytes, else GROWTH_EFORMAT). *out is malloc'ed. */
int gfile_read_all(const char *who, const char *path, size_t max_len, uint8_t **out, size_t *out_len);

/* ---- model envelope ---------------------------------------------------------------------- */

/* Layout, all integers little-endian:
 *   0  magic   8 bytes  89 'G' 'R' 'W' 0D 0A 1A 0A
 *   8  u32     envelope format version (GENV_FORMAT_VERSION)
 *  12  u32     model kind (GROWTH_KIND_*)
 *  16  u64     payload length in bytes
 *  24  u64     growth_hash64(payload, length, GENV_SEED)
 *  32  u64     growth_hash64(bytes 0..31, 32, GENV_SEED)
 *  40  payload (a protobuf-c message of the kind's schema)                              */
#define GENV_HEADER_SIZE    40
#define GENV_FORMAT_VERSION 1u
#define GENV_SEED           0x67726f7774682e31ULL /* "growth.1" */
#define GENV_MAX_PAYLOAD    ((uint64_t)1 << 36)   /* 64 GiB: larger declared sizes are hostile */

void genv_header(uint8_t hdr[GENV_HEADER_SIZE], uint32_t kind, const void *payload, size_t len);

/* Checks a whole envelope held in memory. On success *payload / *payload_len point into buf.
 * Expected kind GROWTH_KIND_UNKNOWN accepts any kind; *out_kind (may be NULL) gets the kind. */
int genv_open(const char *who, const uint8_t *buf, size_t len, uint32_t expect_kind, uint32_t *out_kind,
              const uint8_t **payload, size_t *payload_len);

/* Saves payload in an envelope to path atomically. */
int genv_save(const char *who, const char *path, uint32_t kind, const void *payload, size_t len);

/* Loads a file, checks the envelope and kind; *file is malloc'ed (free it), payload points in. */
int genv_load(const char *who, const char *path, uint32_t expect_kind, uint8_t **file,
              const uint8_t **payload, size_t *payload_len);

/* Packs a protobuf-c message into a fresh envelope of `kind`: *out (malloc'ed) holds the header
 * then the message, *out_len = GENV_HEADER_SIZE + its packed size. */
int genv_pack(const char *who, uint32_t kind, const ProtobufCMessage *msg, uint8_t **out, size_t *out_len);

/* ---- model files: save / load / serialize / deserialize (model.c) ------------------------- */

/* Every module's four persistence calls are these helpers plus two callbacks of its own. */

/* Builds a handle from the payload of an envelope already checked (kind is the envelope's:
 * useful to a loader that accepts several). `out` is the caller's `growth_<type> **`, set only
 * on success. */
typedef int (*gmodel_from_payload_fn)(const char *who, uint32_t kind, const uint8_t *payload, size_t len,
                                      void *out);
/* Builds a handle from the bytes of a whole file or buffer (loaders of more than one format). */
typedef int (*gmodel_from_bytes_fn)(const char *who, const uint8_t *buf, size_t len, void *out);
/* Packs a handle into a fresh envelope (*buf malloc'ed), usually by ending in genv_pack(); it
 * takes whatever lock the handle needs for a consistent snapshot. */
typedef int (*gmodel_pack_fn)(const char *who, const void *model, uint8_t **buf, size_t *len);

/* Fills the meta every model file carries: this library's version, the creation time
 * (gmodel_time) and `config` (not copied: it must outlive the packing). */
struct Growth__ModelMeta;
void gmodel_meta(struct Growth__ModelMeta *meta, char *config);

/* growth_<type>_deserialize: checks out and buf, opens the envelope (expect_kind as in
 * genv_open), hands its payload to fn. */
int gmodel_deserialize(const char *who, const uint8_t *buf, size_t len, uint32_t expect_kind,
                       gmodel_from_payload_fn fn, void *out);
/* growth_<type>_load: checks out and path, reads the file (at most max_len bytes, else
 * GROWTH_EFORMAT), then as gmodel_deserialize. */
int gmodel_load(const char *who, const char *path, size_t max_len, uint32_t expect_kind,
                gmodel_from_payload_fn fn, void *out);
/* gmodel_load for loaders that look at the whole file themselves (no envelope opened). */
int gmodel_load_bytes(const char *who, const char *path, size_t max_len, gmodel_from_bytes_fn fn, void *out);
/* growth_<type>_serialize: checks the handle (its argument name `h` goes into the message, as
 * with GROWTH_CHECK_NULL), out_buf and out_len, then packs. */
#define gmodel_serialize(who, h, pack, out_buf, out_len)                                                     \
    gmodel_serialize_arg(who, h, #h, pack, out_buf, out_len)
/* growth_<type>_save: checks the handle and path, packs, writes the bytes atomically
 * (gfile_write_atomic). */
#define gmodel_save(who, h, path, pack) gmodel_save_arg(who, h, #h, path, pack)
int gmodel_serialize_arg(const char *who, const void *model, const char *model_arg, gmodel_pack_fn pack,
                         uint8_t **out_buf, size_t *out_len);
int gmodel_save_arg(const char *who, const void *model, const char *model_arg, const char *path,
                    gmodel_pack_fn pack);

/* Little-endian helpers. */
static inline void gput_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void gput_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t gget_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t gget_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ---- memory ------------------------------------------------------------------------------ */

/* Zeroed table of `bytes` (huge-page backed when large); free with gtable_free(p, bytes). */
void *gtable_alloc(size_t bytes);
/* GROWTH_OK when `bytes` (computed in double, so products cannot wrap) fit both the machine's
 * physical memory and `max_memory` (0 = no cap); else GROWTH_ENOMEM naming the bytes needed.
 * Call it at create/load time, before allocating. */
int gmem_reserve(const char *who, double bytes, uint64_t max_memory);
/* The allocator every protobuf-c unpack / free_unpacked call passes (malloc/free of libgrowth). */
extern ProtobufCAllocator gpb_allocator;
/* The status of an unpack that returned NULL: GROWTH_ENOMEM when one of the decoder's
 * allocations failed (on this thread, since the last call), else GROWTH_EFORMAT; `what` names
 * the payload ("FTRL state"). */
int gpb_unpack_error(const char *who, const char *what);
void gtable_free(void *p, size_t bytes);

/* ---- numbers ----------------------------------------------------------------------------- */

/* ---- shared by the online learners (ctr, fm) ------------------------------------------------ */

/* bfloat16: the high half of a float. Stochastic rounding adds 16 random bits below the kept
 * mantissa and truncates: one of the two neighbours, the nearer more often, unbiased in
 * expectation (McMahan et al. 2013, section 4.5). A result that would round to Inf truncates. */
static inline float gbf16_to_f(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint16_t gf_to_bf16_sr(float f, uint32_t r16)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t t = u + (r16 & 0xffffu);
    if (((t >> 23) & 0xff) == 0xff) t = u;
    return (uint16_t)(t >> 16);
}
static inline uint16_t gf_to_bf16_nearest(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t t = u + 0x7fffu + ((u >> 16) & 1u);
    if (((t >> 23) & 0xff) == 0xff) t = u;
    return (uint16_t)(t >> 16);
}

/* Head names of a multi-head model: `list` is the `head_names` key ("click|buy", or "" for none),
 * `heads` the `heads` key; fills names[0..heads) (empty strings when the list is empty). Names are
 * 1..GHEAD_NAME_MAX-1 letters, digits, '_' or '-', distinct, exactly `heads` of them. */
#define GHEAD_NAME_MAX 64
int ghead_names(const char *who, const char *list, int64_t heads, int max_heads,
                char names[][GHEAD_NAME_MAX]);

/* ESMM (Ma et al. 2018): gradients of logloss(click, pctr) + logloss(ctcvr, pctr x pcvr) w.r.t.
 * the CTR and CVR margins, times `weight`: dL/da = (pctr - click) + d (1 - pctr) and
 * dL/db = d (1 - pcvr), d = (p - ctcvr) / max(1 - p, 1e-7), p = pctr x pcvr. */
static inline void gesmm_grads(double pctr, double pcvr, double click, double ctcvr, double weight,
                               float *g_ctr, float *g_cvr)
{
    double p = pctr * pcvr;
    double q = 1.0 - p;
    if (q < 1e-7) q = 1e-7;
    double d = (p - ctcvr) / q;
    *g_ctr = (float)(((pctr - click) + d * (1.0 - pctr)) * weight);
    *g_cvr = (float)(d * (1.0 - pcvr) * weight);
}

static inline bool gfinite(double x) { return x - x == 0.0; }
bool gall_finite_f32(const float *x, size_t n);
bool gall_finite_f64(const double *x, size_t n);

#endif /* GROWTH_CORE_H */
