"""Uplift models and uplift-driven coupon allocation (uplift.h), plus the uplift metrics.

>>> from growth import uplift
>>> m = uplift.UpliftModel.train(X, y, treatment, method="t_learner", treatments=2,
...                              params="max_depth=4 eta=0.1", num_rounds=80)
>>> tau = m.predict(X_new)                 # rows x 2: uplift of coupon 1 and coupon 2
>>> p = m.predict_response(X_new)          # rows x 3: P(convert) under control, coupon 1, coupon 2
>>> plan = uplift.allocate(tau, costs=[3.0, 5.0], budget=1000, p_redeem=p[:, 1:])
>>> uplift.qini_auc_score(y_test, tau[:, 0], t_test, arm=1)

Methods: ``t_learner``, ``s_learner``, ``x_learner``, ``class_transform``,
``transformed_outcome`` on ``base="forest"`` (xgboost) or ``base="ftrl"`` (see uplift.h for the
formulas). ``treatment``: 0 = control, 1..treatments = the treatments. ``propensity``: None
(randomised) or rows x treatments of P(arm t | x), each in (0, 1).
"""
from __future__ import annotations

import ctypes
from typing import Any, Callable

import numpy as np

from ._arrays import ptr
from ._handle import OwnedModel
from ._lib import lib, check, enc, read_string, declare, c_int, c_uint, c_size_t, c_double, c_char_p, c_void_p, P
from ._options import _config
from .budget import MCKPResult, MCKPResultC, MCKPSolver
from .errors import InvalidArgument
from .metrics import uplift_at_k, uplift_curve, qini_curve, uplift_auc_score, qini_auc_score

__all__ = ["UpliftModel", "allocate", "RESPONSE", "uplift_at_k", "uplift_curve", "qini_curve",
           "uplift_auc_score", "qini_auc_score"]

_PROGRESS = ctypes.CFUNCTYPE(c_int, c_char_p, ctypes.c_double, c_void_p)

declare({
    "growth_uplift_train": (c_int, [P(c_void_p), c_char_p, c_char_p, c_void_p, _PROGRESS, c_void_p]),
    "growth_uplift_free": (None, [c_void_p]),
    "growth_uplift_config": (c_int, [c_void_p, c_char_p, c_size_t, P(c_size_t)]),
    "growth_uplift_stats_get": (c_int, [c_void_p, c_void_p]),
    "growth_uplift_predict": (c_int, [c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_uplift_predict_dense": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_uplift_save": (c_int, [c_void_p, c_char_p]),
    "growth_uplift_load": (c_int, [P(c_void_p), c_char_p]),
    "growth_uplift_serialize": (c_int, [c_void_p, P(c_void_p), P(c_size_t)]),
    "growth_uplift_deserialize": (c_int, [P(c_void_p), c_void_p, c_size_t]),
    "growth_uplift_allocate": (c_int, [c_void_p, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p, c_double,
                                       c_char_p, c_void_p, c_size_t]),
})

RESPONSE = 0x100  # GROWTH_UPLIFT_RESPONSE


class _Stats(ctypes.Structure):
    """growth_uplift_stats (uplift.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("features", ctypes.c_uint64), ("treatments", ctypes.c_uint64),
                ("models", ctypes.c_uint64), ("rows", ctypes.c_uint64),
                ("control_rows", ctypes.c_uint64)]


class _Data(ctypes.Structure):
    """growth_uplift_data (uplift.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("nrows", c_size_t), ("ncols", c_size_t), ("dense", c_void_p),
                ("labels", c_void_p), ("treatment", c_void_p), ("propensity", c_void_p),
                ("weights", c_void_p)]


def _matrix(X: Any) -> np.ndarray:
    if hasattr(X, "to_numpy"):
        X = X.to_numpy(dtype=np.float32, na_value=np.nan)
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise InvalidArgument(f"X must be 2-D (rows x features), got shape {X.shape}")
    return X


class UpliftModel(OwnedModel):
    """An uplift model: ``UpliftModel.train(...)``, ``UpliftModel.load(path)`` or
    ``UpliftModel.from_bytes(data)``; pickles through its bytes."""

    _free_fn = "growth_uplift_free"
    _api = "growth_uplift"

    def __init__(self) -> None:
        raise TypeError("an UpliftModel comes from UpliftModel.train(X, y, treatment, ...), "
                        "UpliftModel.load(path) or UpliftModel.from_bytes(data)")

    @classmethod
    def train(cls, X: Any, y: Any, treatment: Any, *, method: str = "t_learner", base: str = "forest",
              treatments: int | None = None, propensity: Any = None, sample_weight: Any = None,
              params: str | dict[str, Any] | None = None, num_rounds: int | None = None,
              threads: int | None = None, base_config: str | None = None, epochs: int | None = None,
              progress: Callable[[str, float], Any] | None = None) -> UpliftModel:
        """Trains on logged campaign data. ``treatments`` defaults to the largest id in
        ``treatment``. ``params``: the forest's xgboost parameters (no objective);
        ``num_rounds`` / ``threads`` go into the base models' configuration (or give
        ``base_config`` whole). ``progress(stage, done)``: a truthy return stops the training
        (``growth.Canceled``)."""
        X = _matrix(X)
        n, d = X.shape
        yv = np.ascontiguousarray(np.asarray(y, dtype=np.float32).reshape(-1))
        tv = np.ascontiguousarray(np.asarray(treatment).reshape(-1))
        if tv.shape[0] != n or yv.shape[0] != n:
            raise InvalidArgument(f"X has {n} rows, y {yv.shape[0]} and treatment {tv.shape[0]}")
        if tv.size and not np.all(np.mod(tv, 1) == 0):
            raise InvalidArgument("treatment must hold integer arm ids (0 = control, 1.. treatments)")
        if tv.size and (tv.min() < -2**31 or tv.max() >= 2**31):
            raise InvalidArgument("treatment ids must fit in 32 bits")
        tv = np.ascontiguousarray(tv, dtype=np.int32)
        if treatments is None:
            treatments = max(int(tv.max()) if tv.size else 1, 1)
        pv = None
        if propensity is not None:
            pv = np.ascontiguousarray(np.asarray(propensity, dtype=np.float32))
            if pv.ndim == 1:
                pv = pv.reshape(-1, 1)
            if pv.shape != (n, treatments):
                raise InvalidArgument(f"propensity must be rows x treatments = {(n, treatments)}, got {pv.shape}")
        wv = None
        if sample_weight is not None:
            wv = np.ascontiguousarray(np.asarray(sample_weight, dtype=np.float32).reshape(-1))
            if wv.shape[0] != n:
                raise InvalidArgument(f"sample_weight has {wv.shape[0]} entries for {n} rows")
        if base_config is None:
            base_config = _config(num_rounds=num_rounds, threads=threads) if base == "forest" else ""
        elif num_rounds is not None or threads is not None:
            raise InvalidArgument("give num_rounds / threads inside base_config, or base_config=None")
        xparams = _config(**params) if isinstance(params, dict) else params
        cfg = _config(method=method, base=base, treatments=int(treatments), base_config=base_config,
                      epochs=epochs)
        data = _Data(ctypes.sizeof(_Data), 0, n, d, ptr(X), ptr(yv), ptr(tv), ptr(pv), ptr(wv))
        raised = []

        def on_progress(stage, done, _user):
            try:
                return 1 if progress(stage.decode(), done) else 0
            except BaseException as e:
                raised.append(e)
                return 1

        cb = _PROGRESS(on_progress) if progress is not None else _PROGRESS()
        h = c_void_p()
        rc = lib.growth_uplift_train(ctypes.byref(h), enc(cfg), enc(xparams), ctypes.byref(data), cb, None)
        if raised:
            if h.value:
                lib.growth_uplift_free(h)
            raise raised[0]
        check(rc)
        return cls._wrap(h)

    def _attached(self) -> None:
        super()._attached()
        st = self.stats()
        self._dims = (int(st["features"]), int(st["treatments"]))

    def stats(self) -> dict[str, int]:
        """features, treatments, models, rows, control_rows."""
        st = _Stats(struct_size=ctypes.sizeof(_Stats))
        check(lib.growth_uplift_stats_get(self._handle(), ctypes.byref(st)))
        return {k: int(getattr(st, k)) for k in ("features", "treatments", "models", "rows", "control_rows")}

    @property
    def config(self) -> str:
        """The full effective configuration string."""
        return read_string(lib.growth_uplift_config, self._handle())

    @property
    def n_features(self) -> int:
        """Features per row."""
        return self._dims[0]

    @property
    def n_treatments(self) -> int:
        """Number of treatments T (predictions give T uplifts per row)."""
        return self._dims[1]

    def _predict(self, X: Any, flags: int) -> np.ndarray:
        X = _matrix(np.atleast_2d(X) if np.ndim(X) == 1 else X)
        n, d = X.shape
        w = self._dims[1] + (1 if flags & RESPONSE else 0)
        out = np.empty((n, w), dtype=np.float32)
        check(lib.growth_uplift_predict_dense(self._handle(), ptr(X), n, d, flags, ptr(out), out.size))
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Uplift per row and treatment: rows x treatments."""
        return self._predict(X, 0)

    def predict_response(self, X: Any) -> np.ndarray:
        """Conversion probability per row and arm: rows x (treatments + 1), control first
        (t_learner, s_learner, x_learner; others raise growth.InvalidState)."""
        return self._predict(X, RESPONSE)


class AllocationResult(MCKPResult):
    """An :class:`growth.budget.MCKPResult` whose ``value`` is the expected incremental value of
    the plan and ``spend`` its expected spend."""


def allocate(uplift: Any, costs: Any, budget: float, *, p_redeem: Any = None, value: float | None = None,
             min_uplift: float | None = None, indptr: Any = None, solver: MCKPSolver | None = None,
             threads: int = 1) -> AllocationResult:
    """From scored users to the coupon plan (growth_uplift_allocate).

    Dense form: ``uplift`` users x options (e.g. :meth:`UpliftModel.predict`), ``costs`` one
    per option or users x options, ``p_redeem`` users x options or None (the cost is always
    paid). CSR form: ``indptr`` (users + 1 offsets) with flat ``uplift``, ``costs`` and
    ``p_redeem``. ``choice`` is the option per user (-1 for none)."""
    if indptr is None:
        u = np.ascontiguousarray(uplift, dtype=np.float32)
        if u.ndim == 1:
            u = u.reshape(-1, 1)
        if u.ndim != 2:
            raise InvalidArgument(f"uplift must be users x options, got shape {u.shape}")
        n, m = u.shape
        c = np.broadcast_to(np.asarray(costs, dtype=np.float64), (n, m))
        c = np.ascontiguousarray(c).reshape(-1)
        p = None
        if p_redeem is not None:
            p = np.ascontiguousarray(np.broadcast_to(np.asarray(p_redeem, dtype=np.float32), (n, m))).reshape(-1)
        ip = np.arange(n + 1, dtype=np.uint64) * np.uint64(m)
        u = u.reshape(-1)
    else:
        ip = np.ascontiguousarray(indptr, dtype=np.uint64)
        n = ip.size - 1
        u = np.ascontiguousarray(uplift, dtype=np.float32).reshape(-1)
        c = np.ascontiguousarray(costs, dtype=np.float64).reshape(-1)
        p = None if p_redeem is None else np.ascontiguousarray(p_redeem, dtype=np.float32).reshape(-1)
        if n < 0 or u.size < int(ip[-1]) or c.size < int(ip[-1]) or (p is not None and p.size < int(ip[-1])):
            raise InvalidArgument("indptr ends beyond uplift / costs / p_redeem")
    own = solver is None
    s = MCKPSolver(threads=threads) if own else solver
    try:
        choice = np.empty(max(n, 0), dtype=np.int32)
        h = s._handle()
        check(lib.growth_uplift_allocate(h, ptr(ip), n, ptr(u), ptr(p), ptr(c), float(budget),
                                         enc(_config(value=value, min_uplift=min_uplift)), ptr(choice), n))
        r = MCKPResultC(struct_size=ctypes.sizeof(MCKPResultC))
        check(lib.growth_mckp_result_get(h, ctypes.byref(r)))
        lam, sp = np.empty(1), np.empty(1)
        check(lib.growth_mckp_duals(h, ptr(lam), ptr(sp), 1))
        del h
        return AllocationResult(choice, r, lam, sp)
    finally:
        if own:
            s.close()
