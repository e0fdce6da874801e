/* TEMPORARY (branch fm-core only): stubs of the five persistence calls, which another branch
 * implements in fm_persist.c and fm_libffm.c. They exist so the library links while the compute
 * side is tested. Delete this file (and its line in meson.build) at the merge. */
#include "fm_impl.h"

GROWTH_API int growth_fm_save(const growth_fm *m, const char *path)
{
    (void)m;
    (void)path;
    return gerr(GROWTH_EINVAL, "growth_fm_save: not implemented on this branch (fm_stubs_tmp.c)");
}

GROWTH_API int growth_fm_load(growth_fm **out, const char *path)
{
    (void)out;
    (void)path;
    return gerr(GROWTH_EINVAL, "growth_fm_load: not implemented on this branch (fm_stubs_tmp.c)");
}

GROWTH_API int growth_fm_serialize(const growth_fm *m, uint8_t **out_buf, size_t *out_len)
{
    (void)m;
    (void)out_buf;
    (void)out_len;
    return gerr(GROWTH_EINVAL, "growth_fm_serialize: not implemented on this branch (fm_stubs_tmp.c)");
}

GROWTH_API int growth_fm_deserialize(growth_fm **out, const uint8_t *buf, size_t len)
{
    (void)out;
    (void)buf;
    (void)len;
    return gerr(GROWTH_EINVAL, "growth_fm_deserialize: not implemented on this branch (fm_stubs_tmp.c)");
}

GROWTH_API int growth_fm_import_libffm(growth_fm **out, const char *path, const char *config)
{
    (void)out;
    (void)path;
    (void)config;
    return gerr(GROWTH_EINVAL, "growth_fm_import_libffm: not implemented on this branch (fm_stubs_tmp.c)");
}
