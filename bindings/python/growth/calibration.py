"""Probability calibration (calibration.h): Platt, temperature, isotonic, histogram binning and
field-aware piecewise-linear calibration.

>>> cal = growth.Calibrator(method="isotonic").fit(scores, labels)
>>> p = cal.predict(new_scores)
"""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from . import _lib
from ._arrays import ptr
from ._estimator import Estimator, RegressorMixin, TransformerMixin
from ._lib import lib, check, enc, read_string, Handle, P, c_int, c_size_t, c_double, c_void_p, c_char_p
from ._options import _config
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


def _vec(x: Any, dtype: Any, name: str, column: bool = False) -> np.ndarray:
    a = np.ascontiguousarray(x, dtype=dtype)
    if column and a.ndim == 2 and a.shape[1] == 1:  # scikit-learn's X: one feature column
        a = a[:, 0].copy()
    if a.ndim != 1:
        raise InvalidArgument(f"{name} must be one-dimensional{' (or one column)' if column else ''}, "
                              f"got shape {a.shape}")
    return a


def _fields(fields: Any, n: int) -> np.ndarray | None:
    if fields is None:
        return None
    g = np.asarray(fields)
    if g.dtype.kind not in "iub":
        raise InvalidArgument(f"fields must be integer ids, got dtype {g.dtype}")
    g = _vec(g, np.int64, "fields")
    if len(g) != n:
        raise InvalidArgument(f"scores has {n} entries but fields has {len(g)}")
    return g


class Calibrator(RegressorMixin, TransformerMixin, Estimator):
    """Maps raw scores to calibrated probabilities.

    ``Calibrator(method='isotonic')``; methods ``'platt'``, ``'temperature'``, ``'isotonic'``,
    ``'histogram'`` and ``'field'``. The other parameters are the C configuration keys (None:
    the library's default): ``input='probability'|'margin'``, ``bins``,
    ``binning='quantile'|'uniform'``, ``buckets``, ``min_bucket``, ``prior``, ``max_iter``;
    ``config=`` takes a configuration string and further keyword arguments pass other keys
    through. Apply is read-only: one fitted calibrator may be used from many threads.

    scikit-learn conventions (as ``sklearn.isotonic.IsotonicRegression``, which the isotonic
    method equals): a regressor and transformer on one feature, the score. The constructor only
    stores the parameters; ``fit(scores, labels)`` (scores 1-D or one column) creates and fits
    a new C calibrator, validating the parameters; before it, ``predict``, ``config``,
    ``summary`` ... raise :class:`growth.NotFittedError`. ``predict`` gives probabilities,
    ``transform`` the same in the input's shape, ``score`` R^2 of the probabilities against the
    labels (the Brier skill score). ``config`` is the fitted calibrator's effective
    configuration; the ``config=`` parameter is in ``get_params()``.
    """

    _free_fn = "growth_calibrator_free"
    _api = "growth_calibrator"

    def __init__(self, method: str | None = "isotonic", *, input: str | None = None,
                 bins: int | None = None, binning: str | None = None, buckets: int | None = None,
                 min_bucket: int | None = None, prior: float | None = None,
                 max_iter: int | None = None, config: str | None = None, **options: Any) -> None:
        self.method = method
        self.input = input
        self.bins = bins
        self.binning = binning
        self.buckets = buckets
        self.min_bucket = min_bucket
        self.prior = prior
        self.max_iter = max_iter
        self.config = config
        self._store_options(options)

    def _config_string(self) -> str:
        return _config(self.__dict__.get("config"), method=self.method, input=self.input,
                       bins=self.bins, binning=self.binning, buckets=self.buckets,
                       min_bucket=self.min_bucket, prior=self.prior, max_iter=self.max_iter,
                       **self._options())

    # -- introspection -------------------------------------------------------------------
    @property
    def summary(self) -> str:
        """What was fitted: method, sample counts and parameters, as 'key=value ...'."""
        return read_string(lib.growth_calibrator_summary, self._handle())

    @property
    def fitted(self) -> bool:
        """Whether the calibrator has been fitted (or loaded)."""
        return self._has_handle()

    @property
    def sigmoid_(self) -> tuple[float, float]:
        """(a, b) of p = sigmoid(a x + b) for Platt and temperature scaling."""
        a, b = c_double(), c_double()
        check(lib.growth_calibrator_sigmoid(self._handle(), ctypes.byref(a), ctypes.byref(b)))
        return a.value, b.value

    def knots(self, field: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) arrays of the piecewise map (global, or the one `field` uses)."""
        h = self._handle()
        n = c_size_t(0)
        f = None if field is None else ctypes.byref(ctypes.c_int64(int(field)))
        rc = lib.growth_calibrator_knots(h, f, None, None, 0, ctypes.byref(n))
        if rc not in (0, EBUFS):
            check(rc)
        x = np.empty(n.value, dtype=np.float64)
        y = np.empty(n.value, dtype=np.float64)
        check(lib.growth_calibrator_knots(h, f, ptr(x), ptr(y), n.value, ctypes.byref(n)))
        return x, y

    # -- fit and predict -----------------------------------------------------------------
    def fit(self, scores: Any, labels: Any, sample_weight: Any = None,
            fields: Any = None) -> Calibrator:
        """Fits a new calibrator (from the parameters) on raw scores (1-D, or one column),
        labels in [0, 1], optional weights and field ids; it replaces the previous fit only
        when fitting succeeded. Returns self."""
        s = _vec(scores, np.float32, "scores", column=True)
        y = _vec(labels, np.float32, "labels")
        if len(y) != len(s):
            raise InvalidArgument(f"scores has {len(s)} entries but labels has {len(y)}")
        w = None
        if sample_weight is not None:
            w = _vec(sample_weight, np.float32, "sample_weight")
            if len(w) != len(s):
                raise InvalidArgument(f"scores has {len(s)} entries but sample_weight has {len(w)}")
        g = _fields(fields, len(s))
        h = ctypes.c_void_p()
        check(lib.growth_calibrator_create(ctypes.byref(h), enc(self._config_string())))
        try:
            check(lib.growth_calibrator_fit(h, ptr(s), ptr(y), ptr(w), ptr(g), len(s)))
        except BaseException:
            lib.growth_calibrator_free(h)
            raise
        self._install(h)
        return self

    def predict(self, scores: Any, fields: Any = None) -> Any:
        """Calibrated probabilities (1-D; scores 1-D or one column). float64 input goes through
        the double-precision path and gives float64; anything else is converted to float32 and
        gives float32. A scalar gives a float."""
        if np.isscalar(scores):
            h = self._handle()
            out = c_double()
            f = None if fields is None else ctypes.byref(ctypes.c_int64(int(fields)))
            check(lib.growth_calibrator_apply(h, float(scores), f, ctypes.byref(out)))
            return out.value
        a = np.asarray(scores)
        if a.dtype == np.float64:
            s = _vec(a, np.float64, "scores", column=True)
            out = np.empty(len(s), dtype=np.float64)
            fn = lib.growth_calibrator_apply_batch_f64
        else:
            s = _vec(a, np.float32, "scores", column=True)
            out = np.empty(len(s), dtype=np.float32)
            fn = lib.growth_calibrator_apply_batch
        g = _fields(fields, len(s))
        check(fn(self._handle(), ptr(s), ptr(g), len(s), ptr(out), len(out)))
        return out

    def transform(self, scores: Any, fields: Any = None) -> Any:
        """``predict`` in the input's shape: a column in, a column out (for pipelines)."""
        out = self.predict(scores, fields)
        return out.reshape(-1, 1) if np.ndim(scores) == 2 else out

    def fit_transform(self, scores: Any, labels: Any = None, sample_weight: Any = None,
                      fields: Any = None) -> Any:
        """``fit(scores, labels, ...)`` then ``transform(scores, fields)``."""
        return self.fit(scores, labels, sample_weight, fields).transform(scores, fields)
