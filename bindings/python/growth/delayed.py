"""Delayed feedback: training a conversion head whose labels arrive late (delayed.h).

>>> m = growth.FTRL(heads=["click", "buy"], bits=22)
>>> d = growth.DelayedFeedback(m, head="buy", method="fnw", window=7 * 86400)
>>> d.impression(click_id, t_click, indices, values)   # trains a weighted negative at once
>>> d.conversion(click_id, t_buy)                      # trains the weighted positive
>>> d.advance(t_now)                                   # releases impressions past the window
>>> d.stats()["pending"]

Methods: ``fnw`` (fake negative weighting, Ktena et al. 2019) and ``naive`` (train once after
``elapsed`` with the label known then; ``elapsed=window`` is the oracle that waits for the whole
window). The formulas are in docs/delayed-feedback.md. The model is borrowed: the trainer keeps
the model's C handle alive while it lives; a ``fit`` from scratch on the model gives the model a
new C handle, which this trainer does not follow (use ``partial_fit``).
"""
from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np

from ._handle import OwnedHandle
from ._lib import (P, c_char_p, c_double, c_int, c_size_t, c_uint64, c_void_p, check, declare, enc, lib,
                   read_string)
from ._options import _config
from .errors import InvalidArgument

__all__ = ["DelayedFeedback", "DelayedStats"]

declare({
    "growth_delayed_create_ftrl": (c_int, [P(c_void_p), c_void_p, c_size_t, c_char_p]),
    "growth_delayed_create_fm": (c_int, [P(c_void_p), c_void_p, c_size_t, c_char_p]),
    "growth_delayed_free": (None, [c_void_p]),
    "growth_delayed_config": (c_int, [c_void_p, c_char_p, c_size_t, P(c_size_t)]),
    "growth_delayed_impression": (c_int, [c_void_p, c_uint64, c_double, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_delayed_conversion": (c_int, [c_void_p, c_uint64, c_double]),
    "growth_delayed_advance": (c_int, [c_void_p, c_double]),
    "growth_delayed_stats_get": (c_int, [c_void_p, c_void_p]),
})


class DelayedStats(ctypes.Structure):
    """growth_delayed_stats (delayed.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32)] + [
        (n, ctypes.c_uint64) for n in (
            "impressions", "conversions", "conversions_late", "conversions_unknown",
            "conversions_duplicate", "trained_negative", "trained_positive", "expired", "evicted",
            "pending", "bytes")] + [("time", ctypes.c_double)]


def _arr(x: Any, dtype: Any, name: str) -> np.ndarray | None:
    if x is None:
        return None
    a = np.asarray(x)
    if np.issubdtype(dtype, np.integer) and a.size:
        if not np.issubdtype(a.dtype, np.integer):
            raise InvalidArgument(f"{name} must be integers, got {a.dtype}")
        hi = np.iinfo(dtype).max
        if a.min() < 0 or a.max() > hi:
            raise InvalidArgument(f"{name} must be in 0..{hi}")
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


class DelayedFeedback(OwnedHandle):
    """Trains one head of a :class:`growth.FTRL` / :class:`growth.FTRLClassifier` /
    :class:`growth.FM` / :class:`growth.FFM` from impressions and late conversions.

    ``head``: index or name. ``method``: ``"fnw"`` or ``"naive"``; ``window``: the attribution
    window and ``elapsed``: the naive wait, in the unit of the times (seconds by default);
    ``max_memory``: bytes for the pending impressions (0 = no cap). One writer: calls on one
    trainer must not run concurrently (the model may be read from other threads)."""

    _free_fn = "growth_delayed_free"

    def __init__(self, model: Any, head: int | str = 0, *, method: str | None = None,
                 window: float | None = None, elapsed: float | None = None,
                 max_memory: int | None = None, config: str | None = None) -> None:
        from .fm import _FMBase
        from .ftrl import _FTRLBase
        if isinstance(model, _FTRLBase):
            create, self._fm = lib.growth_delayed_create_ftrl, False
        elif isinstance(model, _FMBase):
            create, self._fm = lib.growth_delayed_create_fm, True
        else:
            raise TypeError(f"DelayedFeedback wraps a growth.FTRL or growth.FM/FFM model, not "
                            f"{type(model).__name__}")
        if not model._has_handle():
            model._install(model._create())  # an unfitted estimator: its empty model
        if isinstance(head, str):
            head = model.head_index(head)
        cfg = _config(config, method=method, window=window, elapsed=elapsed, max_memory=max_memory)
        lease = model._handle()  # keeps the model's C handle alive as long as this trainer
        h = ctypes.c_void_p()
        check(create(ctypes.byref(h), lease, int(head), enc(cfg)))
        self._model, self._model_lease, self._h = model, lease, h
        self.head = int(head)

    def _free(self) -> None:
        super()._free()
        self.__dict__.pop("_model_lease", None)

    @property
    def model(self) -> Any:
        """The wrapped model."""
        return self._model

    @property
    def config(self) -> str:
        """The effective configuration string."""
        return read_string(lib.growth_delayed_config, self._handle())

    def impression(self, event_id: int, time: float, indices: Any, values: Any = None,
                   fields: Any = None) -> None:
        """An impression with id ``event_id`` at ``time`` and its sparse row (slots, values or
        None for ones, fields for FFM)."""
        idx = _arr(indices, np.uint32, "indices")
        val = _arr(values, np.float32, "values")
        fld = _arr(fields, np.uint8, "fields")
        n = 0 if idx is None else idx.size
        for name, a in (("values", val), ("fields", fld)):
            if a is not None and a.size != n:
                raise InvalidArgument(f"{name} has {a.size} entries, indices {n}")
        check(lib.growth_delayed_impression(
            self._handle(), int(event_id), float(time),
            None if idx is None or n == 0 else idx.ctypes.data_as(c_void_p),
            None if fld is None else fld.ctypes.data_as(c_void_p),
            None if val is None else val.ctypes.data_as(c_void_p), n))

    def impressions(self, event_ids: Any, times: Any, X: Any, fields: Any = None) -> None:
        """Impressions in time order: ``X`` a scipy CSR matrix (or anything
        :func:`scipy.sparse.csr_matrix` takes), one row each; ``fields`` the per-entry field ids
        aligned with ``X.indices`` (FFM)."""
        import scipy.sparse as sp
        X = sp.csr_matrix(X)
        ids = np.asarray(event_ids, dtype=np.uint64).reshape(-1)
        ts = np.asarray(times, dtype=np.float64).reshape(-1)
        if ids.size != X.shape[0] or ts.size != X.shape[0]:
            raise ValueError(f"{ids.size} ids and {ts.size} times for {X.shape[0]} rows")
        idx = X.indices.astype(np.uint32)
        val = X.data.astype(np.float32)
        fld = _arr(fields, np.uint8, "fields")
        if fld is not None and fld.size != idx.size:
            raise ValueError(f"fields has {fld.size} entries, X {idx.size}")
        ip = X.indptr
        for r in range(X.shape[0]):
            b, e = int(ip[r]), int(ip[r + 1])
            self.impression(int(ids[r]), float(ts[r]), idx[b:e], val[b:e],
                            None if fld is None else fld[b:e])

    def conversion(self, event_id: int, time: float) -> None:
        """The conversion of impression ``event_id`` at ``time`` (an unknown id is counted)."""
        check(lib.growth_delayed_conversion(self._handle(), int(event_id), float(time)))

    def advance(self, time: float) -> None:
        """Moves the clock to ``time`` (trains waiting impressions, releases expired ones)."""
        check(lib.growth_delayed_advance(self._handle(), float(time)))

    def stats(self) -> dict[str, Any]:
        """The counters of growth_delayed_stats as a dict (``time`` is NaN before any call)."""
        st = DelayedStats(struct_size=ctypes.sizeof(DelayedStats))
        check(lib.growth_delayed_stats_get(self._handle(), ctypes.byref(st)))
        out: dict[str, Any] = {n: int(getattr(st, n)) for n, _ in DelayedStats._fields_[2:-1]}
        out["time"] = float(st.time) if not math.isnan(st.time) else math.nan
        return out
