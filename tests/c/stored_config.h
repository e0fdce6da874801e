/* Test helper: a saved model with its stored configuration replaced, for the loaders' checks of
 * configurations that parse but are not valid (a damaged file: GROWTH_EFORMAT). */
#ifndef GROWTH_TEST_STORED_CONFIG_H
#define GROWTH_TEST_STORED_CONFIG_H

#include "core.h"
#include "meta.pb-c.h"

/* `env` (an envelope whose payload is a `desc` message with a `meta` field) with meta.config
 * replaced by `config`, re-packed in a fresh envelope of the same kind (*out malloc'ed) with
 * valid checksums. GROWTH_EFORMAT when the payload does not unpack or has no configuration. */
static inline int gt_with_config(const uint8_t *env, size_t len, const ProtobufCMessageDescriptor *desc,
                                 const char *config, uint8_t **out, size_t *out_len)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(desc, "meta");
    if (!f || len < GENV_HEADER_SIZE) return GROWTH_EFORMAT;
    ProtobufCMessage *m =
        protobuf_c_message_unpack(desc, &gpb_allocator, len - GENV_HEADER_SIZE, env + GENV_HEADER_SIZE);
    if (!m) return GROWTH_EFORMAT;
    Growth__ModelMeta *meta = *(Growth__ModelMeta **)((char *)m + f->offset);
    int rc = GROWTH_EFORMAT;
    if (meta && meta->config) {
        char *keep = meta->config;
        meta->config = (char *)config;
        rc = genv_pack("test", gget_u32(env + 12), m, out, out_len);
        meta->config = keep;
    }
    protobuf_c_message_free_unpacked(m, &gpb_allocator);
    return rc;
}

#endif
