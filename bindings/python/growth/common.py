"""Versions, status names, model files and the stable hash (common.h)."""
from __future__ import annotations

import ctypes
import os

from ._lib import lib, check, enc
from ._types import PathLike

KINDS = {0: "unknown", 1: "ftrl", 2: "ftrl_weights", 3: "forest", 4: "net", 5: "dssm",
         6: "calibrator", 7: "bandit", 8: "index", 9: "text_index", 10: "bidder"}


def version() -> str:
    """Version string of the loaded libgrowth, e.g. '1.0.0'."""
    return lib.growth_version().decode()


def version_number() -> int:
    """major * 10000 + minor * 100 + patch of the loaded libgrowth."""
    return lib.growth_version_number()


def strerror(code: int) -> str:
    """Static name of a status code."""
    return lib.growth_strerror(int(code)).decode()


def model_kind(path: PathLike) -> tuple[str, int]:
    """(kind name, envelope format version) of a libgrowth model file; raises FormatError for a
    file that is not one, or is truncated or corrupted."""
    kind = ctypes.c_int(0)
    ver = ctypes.c_uint32(0)
    check(lib.growth_model_kind(enc(os.fspath(path)), ctypes.byref(kind), ctypes.byref(ver)))
    return lib.growth_model_kind_name(kind.value).decode(), ver.value


def hash64(data: bytes | str, seed: int = 0) -> int:
    """The library's stable 64-bit hash of bytes (or a str, as UTF-8)."""
    b = enc(data)
    return lib.growth_hash64(b, len(b), seed)
