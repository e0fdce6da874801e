#include <stdlib.h>
#include <string.h>

#include "core.h"

static const uint8_t genv_magic[8] = {0x89, 'G', 'R', 'W', 0x0d, 0x0a, 0x1a, 0x0a};

void genv_header(uint8_t hdr[GENV_HEADER_SIZE], uint32_t kind, const void *payload, size_t len)
{
    memcpy(hdr, genv_magic, 8);
    gput_u32(hdr + 8, GENV_FORMAT_VERSION);
    gput_u32(hdr + 12, kind);
    gput_u64(hdr + 16, (uint64_t)len);
    gput_u64(hdr + 24, growth_hash64(payload, len, GENV_SEED));
    gput_u64(hdr + 32, growth_hash64(hdr, 32, GENV_SEED));
}

static int check_header(const char *who, const uint8_t *buf, size_t len, uint32_t *kind, uint64_t *plen)
{
    if (len < 8 || memcmp(buf, genv_magic, 8) != 0)
        return gerr(GROWTH_EFORMAT, "%s: not a libgrowth model file (bad magic)", who);
    if (len < GENV_HEADER_SIZE)
        return gerr(GROWTH_EFORMAT, "%s: truncated model file (%zu bytes, header needs %d)", who, len,
                    GENV_HEADER_SIZE);
    if (gget_u64(buf + 32) != growth_hash64(buf, 32, GENV_SEED))
        return gerr(GROWTH_EFORMAT, "%s: model file header is corrupted (checksum mismatch)", who);
    uint32_t ver = gget_u32(buf + 8);
    if (ver == 0 || ver > GENV_FORMAT_VERSION)
        return gerr(GROWTH_EFORMAT,
                    "%s: model file format version %u is not supported (this library reads up to %u)", who,
                    ver, GENV_FORMAT_VERSION);
    *kind = gget_u32(buf + 12);
    *plen = gget_u64(buf + 16);
    if (*plen > GENV_MAX_PAYLOAD)
        return gerr(GROWTH_EFORMAT, "%s: model file declares a payload of %llu bytes (limit %llu)", who,
                    (unsigned long long)*plen, (unsigned long long)GENV_MAX_PAYLOAD);
    return GROWTH_OK;
}

int genv_open(const char *who, const uint8_t *buf, size_t len, uint32_t expect_kind, uint32_t *out_kind,
              const uint8_t **payload, size_t *payload_len)
{
    GROWTH_CHECK_NULL(who, buf);
    uint32_t kind = 0;
    uint64_t plen = 0;
    int rc = check_header(who, buf, len, &kind, &plen);
    if (rc) return rc;
    if (plen != (uint64_t)(len - GENV_HEADER_SIZE))
        return gerr(GROWTH_EFORMAT, "%s: model file is %s: header declares %llu payload bytes, %zu present",
                    who, plen > len - GENV_HEADER_SIZE ? "truncated" : "followed by extra bytes",
                    (unsigned long long)plen, len - GENV_HEADER_SIZE);
    if (gget_u64(buf + 24) != growth_hash64(buf + GENV_HEADER_SIZE, (size_t)plen, GENV_SEED))
        return gerr(GROWTH_EFORMAT, "%s: model file payload is corrupted (checksum mismatch)", who);
    if (expect_kind != GROWTH_KIND_UNKNOWN && kind != expect_kind)
        return gerr(GROWTH_EFORMAT, "%s: model file holds a '%s' model, expected '%s'", who,
                    growth_model_kind_name((int)kind), growth_model_kind_name((int)expect_kind));
    if (out_kind) *out_kind = kind;
    if (payload) *payload = buf + GENV_HEADER_SIZE;
    if (payload_len) *payload_len = (size_t)plen;
    return GROWTH_OK;
}

int genv_save(const char *who, const char *path, uint32_t kind, const void *payload, size_t len)
{
    uint8_t hdr[GENV_HEADER_SIZE];
    genv_header(hdr, kind, payload, len);
    return gfile_write_atomic2(who, path, hdr, sizeof hdr, payload, len);
}

int genv_load(const char *who, const char *path, uint32_t expect_kind, uint8_t **file,
              const uint8_t **payload, size_t *payload_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = gfile_read_all(who, path, (size_t)GENV_MAX_PAYLOAD + GENV_HEADER_SIZE, &buf, &len);
    if (rc) return rc;
    rc = genv_open(who, buf, len, expect_kind, NULL, payload, payload_len);
    if (rc) {
        free(buf);
        return rc;
    }
    *file = buf;
    return GROWTH_OK;
}

GROWTH_API int growth_model_kind(const char *path, int *out_kind, uint32_t *out_format_version)
{
    GROWTH_CHECK_NULL("growth_model_kind", path);
    GROWTH_CHECK_NULL("growth_model_kind", out_kind);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc =
        gfile_read_all("growth_model_kind", path, (size_t)GENV_MAX_PAYLOAD + GENV_HEADER_SIZE, &buf, &len);
    if (rc) return rc;
    uint32_t kind = 0;
    rc = genv_open("growth_model_kind", buf, len, GROWTH_KIND_UNKNOWN, &kind, NULL, NULL);
    if (rc == GROWTH_OK) {
        *out_kind = (int)kind;
        if (out_format_version) *out_format_version = gget_u32(buf + 8);
    }
    free(buf);
    return rc;
}
