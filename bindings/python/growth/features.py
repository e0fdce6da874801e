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


def feature_key(field: str | bytes, value: str | bytes, seed: int = 0) -> int:
    """64-bit key of categorical feature (field, value) (``value=""``: a numeric feature): the
    full hash whose top ``bits`` bits are :func:`feature_hash`'s slot. Keys address
    collision-free models (``table='exact'``: ``FTRL.update_keys``)."""
    out = ctypes.c_uint64(0)
    check(lib.growth_features_key(enc(field), enc(value), seed, ctypes.byref(out)))
    return out.value


def feature_key_cross(fields: Sequence[str | bytes], values: Sequence[str | bytes], seed: int = 0) -> int:
    """64-bit key of the (ordered) cross of several categorical features."""
    n = len(fields)
    if len(values) != n:
        raise ValueError("fields and values differ in length")
    fa = (ctypes.c_char_p * n)(*[enc(f) for f in fields])
    va = (ctypes.c_char_p * n)(*[enc(v) for v in values])
    out = ctypes.c_uint64(0)
    check(lib.growth_features_key_cross(fa, va, n, seed, ctypes.byref(out)))
    return out.value


class Row(OwnedHandle):
    """A reusable sparse-row builder: add features, then read indices() / values()."""

    _free_fn = "growth_row_free"

    def __init__(self, bits: int = 24, seed: int = 0, dedup: bool = False,
                 fields: Sequence[str | bytes] | None = None) -> None:
        h = ctypes.c_void_p()
        check(lib.growth_row_create(ctypes.byref(h),
                                    enc(_config(bits=bits, seed=seed, dedup=dedup))))
        self._h = h
        if fields is not None:
            self.set_fields(fields)

    def set_fields(self, names: Sequence[str | bytes]) -> Row:
        """Gives the row an ordered list of field names (at most 256; an empty list removes it):
        every entry then records its field's index (``fields()``), as field-aware models
        (:class:`growth.FFM`) need. Clears the row. Returns the row."""
        n = len(names)
        arr = (ctypes.c_char_p * max(n, 1))(*[enc(f) for f in names])
        check(lib.growth_row_set_fields(self._handle(), arr, n))
        return self

    def field_index(self, name: str | bytes) -> int:
        """Index of field ``name`` in the row's field list (:class:`growth.NotFound` if absent)."""
        out = ctypes.c_size_t()
        check(lib.growth_row_field_index(self._handle(), enc(name), ctypes.byref(out)))
        return out.value

    def add_field_index(self, field: int, index: int, x: float = 1.0) -> Row:
        """Adds slot ``index`` directly in field number ``field`` (a row with a field list).
        Returns the row."""
        check(lib.growth_row_add_field_index(self._handle(), int(field), int(index), float(x)))
        return self

    def fields(self) -> np.ndarray | None:
        """The field id (uint8) of each entry, aligned with ``indices()``; None without a field
        list."""
        n = len(self)
        p = lib.growth_row_fields(self._handle())
        if not p:
            return None
        return np.ctypeslib.as_array(p, shape=(n,)).copy() if n else np.zeros(0, np.uint8)


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

    def keys(self) -> np.ndarray:
        """The row's 64-bit keys (uint64), aligned with ``indices()``: each hashed feature's full
        hash (its slot is the top ``bits`` bits), or the slot itself for ``add_index`` entries.
        Give them to a ``table='exact'`` model (``FTRL.update_keys((indptr, keys, values))``)."""
        n = len(self)
        p = lib.growth_row_keys(self._handle())
        return np.ctypeslib.as_array(p, shape=(n,)).copy() if n else np.zeros(0, np.uint64)

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
                 crosses: Iterable[Sequence[str]] = (),
                 fields: Sequence[str] | None = None, keys: bool = False) -> tuple[np.ndarray, ...]:
    """Hashes a list of dicts {field: value} into a CSR tuple (indptr, indices, values).
    With ``keys=True`` the second array holds the 64-bit keys (uint64, :meth:`Row.keys`)
    instead of the slots: the rows of a collision-free model (``FTRL.update_keys``).

    Fields named in `numeric` are numeric features (value = the number); every other field is
    categorical. `crosses` lists tuples of field names to cross (a cross is in the field of its
    first member). With `fields` (the ordered field names a field-aware model uses, at most
    256), a fourth array gives each entry's field index (uint8), and a field not in the list is
    :class:`growth.InvalidArgument`."""
    numeric = set(numeric)
    indptr = [0]
    indices, values, fids = [], [], []
    with Row(bits=bits, seed=seed, fields=fields) as row:
        for rec in records:
            row.clear()
            for f, v in rec.items():
                if f in numeric:
                    row.add_num(f, v)
                else:
                    row.add_cat(f, v)
            for c in crosses:
                row.add_cross(list(c), [rec[f] for f in c])
            indices.append(row.keys() if keys else row.indices())
            values.append(row.values())
            if fields is not None:
                fids.append(row.fields())
            indptr.append(indptr[-1] + len(row))
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))
    out = (np.asarray(indptr, np.uint64), cat(indices, np.uint64 if keys else np.uint32), cat(values, np.float32))
    return out + (cat(fids, np.uint8),) if fields is not None else out
