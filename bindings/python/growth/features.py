"""Feature hashing (features.h): the same slots as C and Java for the same strings."""
from __future__ import annotations

import ctypes
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ._handle import OwnedHandle
from ._lib import lib, check, enc, read_string
from ._options import _config


def feature_hash(field: str | bytes, value: str | bytes, seed: int = 0, bits: int = 24) -> int:
    """Slot of categorical feature (field, value) in a table of 2**bits slots."""
    out = ctypes.c_uint32(0)
    check(lib.growth_features_hash(enc(field), enc(value), seed, bits, ctypes.byref(out)))
    return out.value


def numeric_hash(field: str | bytes, seed: int = 0, bits: int = 24) -> int:
    """Slot of numeric feature `field` (its value is the number itself)."""
    return feature_hash(field, "", seed, bits)


def feature_hash_cross(fields: Sequence[str | bytes], values: Sequence[str | bytes], seed: int = 0,
                       bits: int = 24) -> int:
    """Slot of the (ordered) cross of several categorical features."""
    n = len(fields)
    if len(values) != n:
        raise ValueError("fields and values differ in length")
    fa = (ctypes.c_char_p * n)(*[enc(f) for f in fields])
    va = (ctypes.c_char_p * n)(*[enc(v) for v in values])
    out = ctypes.c_uint32(0)
    check(lib.growth_features_hash_cross(fa, va, n, seed, bits, ctypes.byref(out)))
    return out.value


class Row(OwnedHandle):
    """A reusable sparse-row builder: add features, then read indices() / values()."""

    _free_fn = "growth_row_free"

    def __init__(self, bits: int = 24, seed: int = 0, dedup: bool = False) -> None:
        h = ctypes.c_void_p()
        check(lib.growth_row_create(ctypes.byref(h),
                                    enc(_config(bits=bits, seed=seed, dedup=dedup))))
        self._h = h


    def clear(self) -> Row:
        """Empties the row (keeps its buffers). Returns the row."""
        lib.growth_row_clear(self._handle())
        return self

    def add_cat(self, field: str | bytes, value: str | bytes) -> Row:
        """Adds the categorical feature (field, value) with value 1. Returns the row."""
        check(lib.growth_row_add_cat(self._handle(), enc(field), enc(value)))
        return self

    def add_num(self, field: str | bytes, x: float) -> Row:
        """Adds the numeric feature ``field`` with value ``x``. Returns the row."""
        check(lib.growth_row_add_num(self._handle(), enc(field), float(x)))
        return self

    def add_cross(self, fields: Sequence[str | bytes], values: Sequence[str | bytes]) -> Row:
        """Adds the cross of several categorical features (in order). Returns the row."""
        n = len(fields)
        if len(values) != n:
            raise ValueError("fields and values differ in length")
        fa = (ctypes.c_char_p * n)(*[enc(f) for f in fields])
        va = (ctypes.c_char_p * n)(*[enc(v) for v in values])
        check(lib.growth_row_add_cross(self._handle(), fa, va, n))
        return self

    def add_index(self, index: int, x: float = 1.0) -> Row:
        """Adds slot ``index`` directly with value ``x``. Returns the row."""
        check(lib.growth_row_add_index(self._handle(), int(index), float(x)))
        return self

    def __len__(self):
        return lib.growth_row_size(self._handle())

    def indices(self) -> np.ndarray:
        """The row's slots (uint32), in the order added (merged when ``dedup``)."""
        n = len(self)
        p = lib.growth_row_indices(self._handle())
        return np.ctypeslib.as_array(p, shape=(n,)).copy() if n else np.zeros(0, np.uint32)

    def values(self) -> np.ndarray:
        """The row's values (float32), aligned with ``indices()``."""
        n = len(self)
        p = lib.growth_row_values(self._handle())
        return np.ctypeslib.as_array(p, shape=(n,)).copy() if n else np.zeros(0, np.float32)

    @property
    def config(self) -> str:
        """The effective configuration string (bits, seed, dedup)."""
        return read_string(lib.growth_row_config, self._handle())


def hash_records(records: Iterable[Mapping[str, Any]], bits: int = 24, seed: int = 0,
                 numeric: Iterable[str] = (),
                 crosses: Iterable[Sequence[str]] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes a list of dicts {field: value} into a CSR tuple (indptr, indices, values).

    Fields named in `numeric` are numeric features (value = the number); every other field is
    categorical. `crosses` lists tuples of field names to cross."""
    numeric = set(numeric)
    indptr = [0]
    indices, values = [], []
    with Row(bits=bits, seed=seed) as row:
        for rec in records:
            row.clear()
            for f, v in rec.items():
                if f in numeric:
                    row.add_num(f, v)
                else:
                    row.add_cat(f, v)
            for c in crosses:
                row.add_cross(list(c), [rec[f] for f in c])
            indices.append(row.indices())
            values.append(row.values())
            indptr.append(indptr[-1] + len(row))
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))
    return (np.asarray(indptr, np.uint64), cat(indices, np.uint32), cat(values, np.float32))
