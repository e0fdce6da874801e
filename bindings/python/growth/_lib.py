"""Loads libgrowth and declares the C signature of every symbol the package uses.

The library is found through the GROWTH_LIBRARY environment variable (a path), else next to
this package (the wheel puts libgrowth.so.1.x.y there), else the system's library path (after
`meson install` and `ldconfig`, or Debian's libgrowth1).
"""
import ctypes
import ctypes.util
import glob
import os

from . import errors

# The C library version these bindings were written for (major must match, minor at least).
BINDING_VERSION = (1, 0)

c_int, c_uint, c_size_t = ctypes.c_int, ctypes.c_uint, ctypes.c_size_t
c_float, c_double = ctypes.c_float, ctypes.c_double
c_uint32, c_uint64, c_int64 = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64
c_char_p, c_void_p = ctypes.c_char_p, ctypes.c_void_p
P = ctypes.POINTER
Handle = c_void_p  # opaque handles cross as void* in ctypes only; C keeps them typed

# name: (restype, [argtypes])
SIGNATURES = {
    # common.h
    "growth_strerror": (c_char_p, [c_int]),
    "growth_last_error": (c_char_p, []),
    "growth_version": (c_char_p, []),
    "growth_version_number": (c_int, []),
    "growth_model_kind": (c_int, [c_char_p, P(c_int), P(c_uint32)]),
    "growth_model_kind_name": (c_char_p, [c_int]),
    "growth_hash64": (c_uint64, [c_void_p, c_size_t, c_uint64]),
    # features.h
    "growth_features_hash": (c_int, [c_char_p, c_char_p, c_uint64, c_uint, P(c_uint32)]),
    "growth_features_hash_cross": (c_int, [P(c_char_p), P(c_char_p), c_size_t, c_uint64, c_uint, P(c_uint32)]),
    "growth_row_create": (c_int, [P(Handle), c_char_p]),
    "growth_row_free": (None, [Handle]),
    "growth_row_clear": (None, [Handle]),
    "growth_row_add_cat": (c_int, [Handle, c_char_p, c_char_p]),
    "growth_row_add_num": (c_int, [Handle, c_char_p, c_float]),
    "growth_row_add_cross": (c_int, [Handle, P(c_char_p), P(c_char_p), c_size_t]),
    "growth_row_add_index": (c_int, [Handle, c_uint32, c_float]),
    "growth_row_size": (c_size_t, [Handle]),
    "growth_row_indices": (P(c_uint32), [Handle]),
    "growth_row_keys": (P(c_uint64), [Handle]),
    "growth_features_key": (c_int, [c_char_p, c_char_p, c_uint64, P(c_uint64)]),
    "growth_features_key_cross": (c_int, [P(c_char_p), P(c_char_p), c_size_t, c_uint64, P(c_uint64)]),
    "growth_row_values": (P(c_float), [Handle]),
    "growth_row_set_fields": (c_int, [Handle, P(c_char_p), c_size_t]),
    "growth_row_field_index": (c_int, [Handle, c_char_p, P(c_size_t)]),
    "growth_row_add_field_index": (c_int, [Handle, c_size_t, c_uint32, c_float]),
    "growth_row_fields": (P(ctypes.c_uint8), [Handle]),
    "growth_row_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    # ctr.h
    "growth_ftrl_create": (c_int, [P(Handle), c_char_p]),
    "growth_ftrl_free": (None, [Handle]),
    "growth_ftrl_stats_get": (c_int, [Handle, c_void_p]),
    "growth_ftrl_head_index": (c_int, [Handle, c_char_p, P(c_size_t)]),
    "growth_ftrl_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_ftrl_predict": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_ftrl_predict_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_ftrl_update": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_void_p, c_float]),
    "growth_ftrl_predict_update": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_void_p, c_float, c_void_p, c_size_t]),
    "growth_ftrl_update_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_ftrl_weight": (c_int, [Handle, c_size_t, c_uint32, P(c_float)]),
    "growth_ftrl_predict_keys": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_ftrl_update_keys": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_void_p, c_float, c_void_p, c_size_t]),
    "growth_ftrl_predict_keys_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_ftrl_update_keys_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p,
                                            c_void_p, c_size_t]),
    "growth_ftrl_weight_key": (c_int, [Handle, c_size_t, c_uint64, P(c_float)]),
    "growth_ftrl_save": (c_int, [Handle, c_char_p]),
    "growth_ftrl_export_weights": (c_int, [Handle, c_char_p]),
    "growth_ftrl_load": (c_int, [P(Handle), c_char_p]),
    "growth_ftrl_serialize": (c_int, [Handle, P(c_void_p), P(c_size_t)]),
    "growth_ftrl_deserialize": (c_int, [P(Handle), c_void_p, c_size_t]),
    "growth_buffer_free": (None, [c_void_p]),
    "growth_ftrl_esmm_predict": (c_int, [Handle, c_size_t, Handle, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_ftrl_esmm_update": (c_int, [Handle, c_size_t, c_size_t, c_void_p, c_void_p, c_size_t, c_float, c_float, c_float]),
    # metrics.h
    "growth_metrics_auc": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, P(c_double)]),
    "growth_metrics_gauc": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, P(c_double), P(c_size_t)]),
    "growth_metrics_logloss": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, P(c_double)]),
    "growth_metrics_normalized_entropy": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, P(c_double)]),
    "growth_metrics_pcoc": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, P(c_double)]),
}


def _candidates():
    env = os.environ.get("GROWTH_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    found = ctypes.util.find_library("growth")
    # next to the package: the SONAME link, else the real file (a wheel carries no symlinks)
    names = [os.path.join(here, "libgrowth.so.1")]
    names += sorted(glob.glob(os.path.join(here, "libgrowth.so.1.*")), reverse=True)
    names += [os.path.join(here, "libgrowth.so")]
    names += [found] if found else []
    names += ["libgrowth.so.1"]
    return names


def _load():
    errors_seen = []
    for path in _candidates():
        if os.path.isabs(path) and not os.path.exists(path):
            errors_seen.append(f"{path}: no such file")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors_seen.append(str(e))
    raise ImportError("growth: cannot load libgrowth (set GROWTH_LIBRARY to its path): "
                      + "; ".join(errors_seen))


lib = _load()



def declare(table):
    """Declares restype/argtypes for a module's table {name: (restype, [argtypes])}. Each
    module of the package passes its own table at import; this file holds the core ones."""
    for name, (res, args) in table.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise ImportError(f"growth: {lib._name} lacks {name}; library and bindings differ") from None
        fn.restype = res
        fn.argtypes = args
    SIGNATURES.update(table)


declare(dict(SIGNATURES))

_v = lib.growth_version_number()
if _v // 10000 != BINDING_VERSION[0] or (_v // 100) % 100 < BINDING_VERSION[1]:
    raise ImportError(f"growth: library version {_v} does not match bindings {BINDING_VERSION}")


def check(rc):
    """Raises the GrowthError subclass for a negative status, with the C message."""
    if rc < 0:
        msg = lib.growth_last_error().decode("utf-8", "replace")
        raise errors.from_status(rc, msg)
    return rc


def enc(s):
    """str -> bytes for char* arguments (None stays None)."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return str(s).encode("utf-8")


def read_string(fn, handle):
    """Calls a (handle, buf, cap, needed) getter, growing the buffer as needed."""
    needed = c_size_t(0)
    cap = 256
    while True:
        buf = ctypes.create_string_buffer(cap)
        rc = fn(handle, buf, cap, ctypes.byref(needed))
        if rc == errors.EBUFS and needed.value > cap:
            cap = needed.value
            continue
        check(rc)
        return buf.value.decode("utf-8")
