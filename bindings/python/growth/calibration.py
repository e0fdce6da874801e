"""Probability calibration (calibration.h): Platt, temperature, isotonic, histogram binning and
field-aware piecewise-linear calibration.

>>> cal = growth.Calibrator(method="isotonic").fit(scores, labels)
>>> p = cal.predict(new_scores)
"""
import ctypes

import numpy as np

from . import _lib
from ._handle import OwnedModel
from ._lib import lib, check, enc, read_string, Handle, P, c_int, c_size_t, c_double, c_void_p, c_char_p
from ._options import _config
from ._arrays import ptr
from .errors import InvalidArgument, EBUFS

_lib.declare({
    "growth_calibrator_create": (c_int, [P(Handle), c_char_p]),
    "growth_calibrator_free": (None, [Handle]),
    "growth_calibrator_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_calibrator_summary": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_calibrator_fit": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_calibrator_apply": (c_int, [Handle, c_double, c_void_p, P(c_double)]),
    "growth_calibrator_apply_batch": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_calibrator_apply_batch_f64": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_calibrator_sigmoid": (c_int, [Handle, P(c_double), P(c_double)]),
    "growth_calibrator_knots": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_calibrator_save": (c_int, [Handle, c_char_p]),
    "growth_calibrator_load": (c_int, [P(Handle), c_char_p]),
    "growth_calibrator_serialize": (c_int, [Handle, P(c_void_p), P(c_size_t)]),
    "growth_calibrator_deserialize": (c_int, [P(Handle), c_void_p, c_size_t]),
})

__all__ = ["Calibrator"]


def _vec(x, dtype, name):
    a = np.ascontiguousarray(x, dtype=dtype)
    if a.ndim != 1:
        raise InvalidArgument(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def _fields(fields, n):
    if fields is None:
        return None
    g = np.asarray(fields)
    if g.dtype.kind not in "iub":
        raise InvalidArgument(f"fields must be integer ids, got dtype {g.dtype}")
    g = _vec(g, np.int64, "fields")
    if len(g) != n:
        raise InvalidArgument(f"scores has {n} entries but fields has {len(g)}")
    return g


class Calibrator(OwnedModel):
    """Maps raw scores to calibrated probabilities.

    ``Calibrator(method='isotonic')``; methods ``'platt'``, ``'temperature'``, ``'isotonic'``,
    ``'histogram'`` and ``'field'``. Other keyword arguments go to the C configuration:
    ``input='probability'|'margin'``, ``bins``, ``binning='quantile'|'uniform'``, ``buckets``,
    ``min_bucket``, ``prior``, ``max_iter``. Apply is read-only: one fitted calibrator may be
    used from many threads.
    """

    _free_fn = "growth_calibrator_free"
    _api = "growth_calibrator"

    def __init__(self, method="isotonic", *, config=None, _handle=None, **options):
        if _handle is not None:
            self._h = _handle
            return
        cfg = _config(config, method=method, **options)
        h = ctypes.c_void_p()
        check(lib.growth_calibrator_create(ctypes.byref(h), enc(cfg)))
        self._h = h

    # -- lifetime ------------------------------------------------------------------------

    # -- introspection -------------------------------------------------------------------
    @property
    def config(self):
        """The full effective configuration string."""
        return read_string(lib.growth_calibrator_config, self._handle())

    @property
    def summary(self):
        """What was fitted: method, sample counts and parameters, as 'key=value ...'."""
        return read_string(lib.growth_calibrator_summary, self._handle())

    @property
    def method(self):
        return dict(kv.split("=", 1) for kv in self.config.split())["method"]

    @property
    def fitted(self):
        return " fitted=1" in self.summary

    @property
    def sigmoid_(self):
        """(a, b) of p = sigmoid(a x + b) for Platt and temperature scaling."""
        a, b = c_double(), c_double()
        check(lib.growth_calibrator_sigmoid(self._handle(), ctypes.byref(a), ctypes.byref(b)))
        return a.value, b.value

    def knots(self, field=None):
        """(x, y) arrays of the piecewise map (global, or the one `field` uses)."""
        n = c_size_t(0)
        f = None if field is None else ctypes.byref(ctypes.c_int64(int(field)))
        check_rc = lib.growth_calibrator_knots(self._handle(), f, None, None, 0, ctypes.byref(n))
        if check_rc not in (0, EBUFS):
            check(check_rc)
        x = np.empty(n.value, dtype=np.float64)
        y = np.empty(n.value, dtype=np.float64)
        check(lib.growth_calibrator_knots(self._handle(), f, ptr(x), ptr(y), n.value, ctypes.byref(n)))
        return x, y

    # -- fit and predict -----------------------------------------------------------------
    def fit(self, scores, labels, sample_weight=None, fields=None):
        """Fits on raw scores, labels in [0, 1], optional weights and field ids. Returns self."""
        s = _vec(scores, np.float32, "scores")
        y = _vec(labels, np.float32, "labels")
        if len(y) != len(s):
            raise InvalidArgument(f"scores has {len(s)} entries but labels has {len(y)}")
        w = None
        if sample_weight is not None:
            w = _vec(sample_weight, np.float32, "sample_weight")
            if len(w) != len(s):
                raise InvalidArgument(f"scores has {len(s)} entries but sample_weight has {len(w)}")
        g = _fields(fields, len(s))
        check(lib.growth_calibrator_fit(self._handle(), ptr(s), ptr(y), ptr(w), ptr(g), len(s)))
        return self

    def predict(self, scores, fields=None):
        """Calibrated probabilities. float64 input goes through the double-precision path and
        gives float64; anything else is converted to float32 and gives float32. Scalars give
        a float."""
        if np.isscalar(scores):
            out = c_double()
            f = None if fields is None else ctypes.byref(ctypes.c_int64(int(fields)))
            check(lib.growth_calibrator_apply(self._handle(), float(scores), f, ctypes.byref(out)))
            return out.value
        a = np.asarray(scores)
        if a.dtype == np.float64:
            s = _vec(a, np.float64, "scores")
            out = np.empty(len(s), dtype=np.float64)
            fn = lib.growth_calibrator_apply_batch_f64
        else:
            s = _vec(a, np.float32, "scores")
            out = np.empty(len(s), dtype=np.float32)
            fn = lib.growth_calibrator_apply_batch
        g = _fields(fields, len(s))
        check(fn(self._handle(), ptr(s), ptr(g), len(s), ptr(out), len(out)))
        return out

    transform = predict

    # -- persistence ---------------------------------------------------------------------
    def __getstate__(self):
        if not self.fitted:
            return {"config": self.config}
        return {"bytes": self.to_bytes()}

    def __setstate__(self, state):
        h = ctypes.c_void_p()
        if "bytes" in state:
            data = state["bytes"]
            check(lib.growth_calibrator_deserialize(ctypes.byref(h), data, len(data)))
        else:
            check(lib.growth_calibrator_create(ctypes.byref(h), enc(state["config"])))
        self._h = h

    def __repr__(self):
        if self._h is None or not self._h.value:
            return "Calibrator(<closed>)"
        return f"Calibrator({self.summary})"
