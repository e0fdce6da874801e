"""Feature hashing (features.h): the same slots as C and Java for the same strings."""
import ctypes

import numpy as np

from ._handle import OwnedHandle
from ._lib import lib, check, enc, read_string
from ._options import _config


def feature_hash(field, value, seed=0, bits=24):
    """Slot of categorical feature (field, value) in a table of 2**bits slots."""
    out = ctypes.c_uint32(0)
    check(lib.growth_features_hash(enc(field), enc(value), seed, bits, ctypes.byref(out)))
    return out.value


def numeric_hash(field, seed=0, bits=24):
    """Slot of numeric feature `field` (its value is the number itself)."""
    return feature_hash(field, "", seed, bits)


def feature_hash_cross(fields, values, seed=0, bits=24):
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

    def __init__(self, bits=24, seed=0, dedup=False):
        h = ctypes.c_void_p()
        check(lib.growth_row_create(ctypes.byref(h),
                                    enc(_config(bits=bits, seed=seed, dedup=dedup))))
        self._h = h


    def clear(self):
        lib.growth_row_clear(self._handle())
        return self

    def add_cat(self, field, value):
        check(lib.growth_row_add_cat(self._handle(), enc(field), enc(value)))
        return self

    def add_num(self, field, x):
        check(lib.growth_row_add_num(self._handle(), enc(field), float(x)))
        return self

    def add_cross(self, fields, values):
        n = len(fields)
        if len(values) != n:
            raise ValueError("fields and values differ in length")
        fa = (ctypes.c_char_p * n)(*[enc(f) for f in fields])
        va = (ctypes.c_char_p * n)(*[enc(v) for v in values])
        check(lib.growth_row_add_cross(self._handle(), fa, va, n))
        return self

    def add_index(self, index, x=1.0):
        check(lib.growth_row_add_index(self._handle(), int(index), float(x)))
        return self

    def __len__(self):
        return lib.growth_row_size(self._handle())

    def indices(self):
        n = len(self)
        p = lib.growth_row_indices(self._handle())
        return np.ctypeslib.as_array(p, shape=(n,)).copy() if n else np.zeros(0, np.uint32)

    def values(self):
        n = len(self)
        p = lib.growth_row_values(self._handle())
        return np.ctypeslib.as_array(p, shape=(n,)).copy() if n else np.zeros(0, np.float32)

    @property
    def config(self):
        return read_string(lib.growth_row_config, self._handle())


def hash_records(records, bits=24, seed=0, numeric=(), crosses=()):
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
