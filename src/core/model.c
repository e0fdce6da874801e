/* The persistence calls every model shares: read a file with a size cap, open the envelope of
 * the expected kind, hand the payload to the module / pack a module's message into an envelope
 * and write it atomically. The modules supply only "payload -> handle" and "handle -> message". */
#include <stdlib.h>

#include "core.h"
#include "meta.pb-c.h"

void gmodel_meta(Growth__ModelMeta *meta, char *config)
{
    meta->library_version = (char *)growth_version();
    meta->config = config;
    meta->created_unix = gmodel_time();
}

int genv_pack(const char *who, uint32_t kind, const ProtobufCMessage *msg, uint8_t **out, size_t *out_len)
{
    size_t plen = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(GENV_HEADER_SIZE + plen);
    if (!buf) return gerr(GROWTH_ENOMEM, "%s: out of memory (%zu bytes)", who, plen);
    protobuf_c_message_pack(msg, buf + GENV_HEADER_SIZE);
    genv_header(buf, kind, buf + GENV_HEADER_SIZE, plen);
    *out = buf;
    *out_len = GENV_HEADER_SIZE + plen;
    return GROWTH_OK;
}

static int open_payload(const char *who, const uint8_t *buf, size_t len, uint32_t expect_kind,
                        gmodel_from_payload_fn fn, void *out)
{
    uint32_t kind = 0;
    const uint8_t *pl = NULL;
    size_t plen = 0;
    int rc = genv_open(who, buf, len, expect_kind, &kind, &pl, &plen);
    if (rc) return rc;
    return fn(who, kind, pl, plen, out);
}

int gmodel_deserialize(const char *who, const uint8_t *buf, size_t len, uint32_t expect_kind,
                       gmodel_from_payload_fn fn, void *out)
{
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, buf);
    return open_payload(who, buf, len, expect_kind, fn, out);
}

/* Reads the file; fn (from_bytes) or, without it, the envelope and from_payload get its bytes. */
static int load_file(const char *who, const char *path, size_t max_len, gmodel_from_bytes_fn from_bytes,
                     uint32_t expect_kind, gmodel_from_payload_fn from_payload, void *out)
{
    GROWTH_CHECK_NULL(who, out);
    GROWTH_CHECK_NULL(who, path);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = gfile_read_all(who, path, max_len, &buf, &len);
    if (rc) return rc;
    rc = from_bytes ? from_bytes(who, buf, len, out)
                    : open_payload(who, buf, len, expect_kind, from_payload, out);
    free(buf);
    return rc;
}

int gmodel_load(const char *who, const char *path, size_t max_len, uint32_t expect_kind,
                gmodel_from_payload_fn fn, void *out)
{
    return load_file(who, path, max_len, NULL, expect_kind, fn, out);
}

int gmodel_load_bytes(const char *who, const char *path, size_t max_len, gmodel_from_bytes_fn fn, void *out)
{
    return load_file(who, path, max_len, fn, GROWTH_KIND_UNKNOWN, NULL, out);
}

int gmodel_serialize_arg(const char *who, const void *model, const char *model_arg, gmodel_pack_fn pack,
                         uint8_t **out_buf, size_t *out_len)
{
    if (!model) return gerr(GROWTH_EINVAL, "%s: %s is NULL", who, model_arg);
    GROWTH_CHECK_NULL(who, out_buf);
    GROWTH_CHECK_NULL(who, out_len);
    return pack(who, model, out_buf, out_len);
}

int gmodel_save_arg(const char *who, const void *model, const char *model_arg, const char *path,
                    gmodel_pack_fn pack)
{
    if (!model) return gerr(GROWTH_EINVAL, "%s: %s is NULL", who, model_arg);
    GROWTH_CHECK_NULL(who, path);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pack(who, model, &buf, &len);
    if (rc) return rc;
    rc = gfile_write_atomic(who, path, buf, len);
    free(buf);
    return rc;
}
