"""Factorization machines: FM and field-aware FM with several heads sharing the factors (fm.h).

:class:`FFM` (LIBFFM's model: one latent vector per (feature, other field)) and :class:`FM`
(Rendle's: one vector per feature) learn pairwise feature interactions on hashed sparse rows,
online (``partial_fit``, ``predict_update``) or in epochs with early stopping on a validation
set (``fit``). Heads (click, cart, purchase ...) share the factors, each with its own FTRL
linear part and bias; ``esmm_fit`` trains a CVR head through pCTR x pCVR over all impressions.

Rows: X is a scipy.sparse CSR matrix (column = slot, value = the feature's value) or a CSR
tuple ``(indptr, indices[, values])``; ``fields`` is a uint8 array parallel to X's stored
entries (``X.indices``): the field of each entry, as :class:`growth.Row` with a field list or
:func:`growth.hash_records` with ``fields=`` give it. The entries are used in the order stored
(FFM's updates visit pairs in row order), so X is never re-sorted here. Both estimators follow
scikit-learn's conventions: the constructor only stores parameters; the C model is created by
the first ``fit`` / ``partial_fit``.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Sequence

import numpy as np

from ._arrays import f32, ptr
from ._estimator import Estimator
from ._lib import (Handle, P, c_char_p, c_double, c_float, c_int, c_size_t, c_uint, c_uint32, c_uint64, c_void_p,
                   check, declare, enc, lib)
from ._options import _config, parse_config
from .errors import InvalidArgument
from .ftrl import _FTRLBase
from .recall import PROGRESS_FN, progress_callback

__all__ = ["FM", "FFM", "FmStats"]

_PREDICT_MARGIN = 0x1  # GROWTH_PREDICT_MARGIN (common.h)


class FmStats(ctypes.Structure):
    """growth_fm_stats (fm.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("heads", ctypes.c_uint64), ("bits", ctypes.c_uint64), ("fields", ctypes.c_uint64),
                ("k", ctypes.c_uint64), ("examples", ctypes.c_uint64), ("touched", ctypes.c_uint64),
                ("bytes", ctypes.c_uint64), ("bytes_per_slot", ctypes.c_uint64),
                ("live", ctypes.c_uint64), ("admitted", ctypes.c_uint64), ("evicted", ctypes.c_uint64),
                ("expired", ctypes.c_uint64), ("table_bytes", ctypes.c_uint64)]


class FmData(ctypes.Structure):
    """growth_fm_data (fm.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("nrows", ctypes.c_size_t), ("indptr", c_void_p), ("indices", c_void_p),
                ("fields", c_void_p), ("values", c_void_p), ("labels", c_void_p),
                ("weights", c_void_p)]


class FmFitResult(ctypes.Structure):
    """growth_fm_fit_result (fm.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("epochs", ctypes.c_uint64), ("best_epoch", ctypes.c_uint64),
                ("train_logloss", ctypes.c_double), ("valid_logloss", ctypes.c_double)]


declare({
    "growth_fm_create": (c_int, [P(Handle), c_char_p]),
    "growth_fm_free": (None, [Handle]),
    "growth_fm_stats_get": (c_int, [Handle, c_void_p]),
    "growth_fm_head_index": (c_int, [Handle, c_char_p, P(c_size_t)]),
    "growth_fm_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_fm_set_progress": (c_int, [Handle, PROGRESS_FN, c_void_p]),
    "growth_fm_predict": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_fm_predict_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_uint,
                                      c_void_p, c_size_t]),
    "growth_fm_update": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_float]),
    "growth_fm_predict_update": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_float,
                                         c_void_p, c_size_t]),
    "growth_fm_update_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p,
                                     c_void_p, c_void_p, c_size_t]),
    "growth_fm_fit": (c_int, [Handle, c_void_p, c_void_p, c_char_p, c_void_p]),
    "growth_fm_weight": (c_int, [Handle, c_size_t, c_uint32, P(c_float)]),
    "growth_fm_factors": (c_int, [Handle, c_uint32, c_size_t, c_void_p, c_size_t, P(c_size_t)]),
    "growth_fm_esmm_predict": (c_int, [Handle, c_size_t, c_size_t, c_void_p, c_void_p, c_void_p, c_size_t,
                                       c_void_p, c_size_t]),
    "growth_fm_esmm_update": (c_int, [Handle, c_size_t, c_size_t, c_void_p, c_void_p, c_void_p, c_size_t,
                                      c_float, c_float, c_float]),
    "growth_fm_save": (c_int, [Handle, c_char_p]),
    "growth_fm_load": (c_int, [P(Handle), c_char_p]),
    "growth_fm_serialize": (c_int, [Handle, P(c_void_p), P(c_size_t)]),
    "growth_fm_deserialize": (c_int, [P(Handle), c_void_p, c_size_t]),
    "growth_fm_import_libffm": (c_int, [P(Handle), c_char_p, c_char_p]),
    "growth_fm_predict_keys": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_fm_update_keys": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_float, c_void_p,
                                      c_size_t]),
    "growth_fm_predict_keys_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_uint,
                                           c_void_p, c_size_t]),
    "growth_fm_update_keys_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p,
                                          c_void_p, c_void_p, c_size_t]),
    "growth_fm_weight_key": (c_int, [Handle, c_size_t, c_uint64, P(c_float)]),
    "growth_fm_factors_key": (c_int, [Handle, c_uint64, c_size_t, c_void_p, c_size_t, P(c_size_t)]),
})

_ = c_double  # (kept for symmetry with the other modules' imports)


def _stats_of(h: Any) -> FmStats:
    st = FmStats(struct_size=ctypes.sizeof(FmStats))
    check(lib.growth_fm_stats_get(h, ctypes.byref(st)))
    return st


def _as_unsigned(a: np.ndarray, signed: Any, unsigned: Any) -> np.ndarray:
    """scipy's index arrays (never negative) as the unsigned type the C call takes: a view, no
    copy, when they already have the signed type of that width."""
    if a.dtype == signed and a.flags.c_contiguous:
        return a.view(unsigned)
    return np.ascontiguousarray(a, dtype=unsigned)


def _csr(X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """(indptr uint64, indices uint32, values float32 or None, nrows), entries in stored order."""
    if isinstance(X, tuple):
        if len(X) not in (2, 3):
            raise InvalidArgument("a CSR tuple is (indptr, indices) or (indptr, indices, values)")
        indptr = np.ascontiguousarray(X[0], dtype=np.uint64)
        indices = np.ascontiguousarray(X[1], dtype=np.uint32)
        values = None if len(X) == 2 or X[2] is None else np.ascontiguousarray(X[2], dtype=np.float32)
        if indptr.ndim != 1 or indptr.size < 1:
            raise InvalidArgument("indptr must be a 1-D array of nrows + 1 offsets")
        end = int(indptr[-1])
        if indices.size < end or (values is not None and values.size < end):
            raise InvalidArgument(f"indptr ends at {end} but indices/values are shorter")
        return indptr, indices, values, indptr.size - 1
    if hasattr(X, "tocsr"):
        X = X.tocsr()  # a CSR matrix is returned as is: its entries keep their order
        return (_as_unsigned(X.indptr, np.int64, np.uint64), _as_unsigned(X.indices, np.int32, np.uint32),
                np.ascontiguousarray(X.data, dtype=np.float32), X.shape[0])
    raise InvalidArgument("X must be a scipy.sparse CSR matrix or a CSR tuple (indptr, indices[, values]) "
                          f"(got {type(X).__name__})")


def _field_ids(fields: Any, indices: np.ndarray) -> np.ndarray | None:
    if fields is None:
        return None
    f = np.asarray(fields)
    if f.ndim != 1 or f.shape[0] != indices.shape[0]:
        raise InvalidArgument(f"fields must be 1-D with one entry per stored entry of X ({indices.shape[0]}), "
                              f"got shape {f.shape}")
    if f.dtype != np.uint8:
        if f.size and (f.min() < 0 or f.max() > 255):
            raise InvalidArgument("fields must be field ids in 0..255")
        f = f.astype(np.uint8)
    return np.ascontiguousarray(f)


class _Rows:
    """X and its fields converted once for the C calls (arrays kept alive by this object)."""

    def __init__(self, X: Any, fields: Any) -> None:
        self.indptr, self.idx, self.val, self.n = _csr(X)
        if self.val is not None and bool(np.all(self.val == 1.0)):
            # all ones (a one-hot matrix): NULL values, which the kernels take on their faster
            # path (no per-pair value products); the model is the same
            self.val = None
        self.fld = _field_ids(fields, self.idx)

    def row(self, r: int) -> tuple[Any, Any, Any, int]:
        b, e = int(self.indptr[r]), int(self.indptr[r + 1])
        return (ptr(self.idx[b:e]), None if self.fld is None else ptr(self.fld[b:e]),
                None if self.val is None else ptr(self.val[b:e]), e - b)


class _FMBase(Estimator):
    """What FM and FFM share: the C model, training, prediction, introspection, persistence."""

    _free_fn = "growth_fm_free"
    _api = "growth_fm"
    _model = "ffm"

    def _head_param(self) -> tuple[int | None, list[str] | None]:
        heads = self.heads
        if heads is None or isinstance(heads, (int, np.integer)):
            return heads, None
        names = [str(n) for n in heads]
        return len(names), names

    def _config_string(self) -> str:
        n_heads, names = self._head_param()
        kw = dict(model=self._model, k=self.k, fields=self.fields, bits=self.bits, heads=n_heads,
                  head_names=names, eta=self.eta, init_scale=self.init_scale, normalize=self.normalize,
                  linear=self.linear, bias=self.bias, alpha=self.alpha, beta=self.beta, l1=self.l1,
                  l2=self.l2, precision=self.precision, seed=self.seed)
        kw["lambda"] = self.lambda_
        kw.update(self._options())
        return _config(self.__dict__.get("config"), **kw)

    def _create(self) -> ctypes.c_void_p:
        h = ctypes.c_void_p()
        check(lib.growth_fm_create(ctypes.byref(h), enc(self._config_string())))
        return h

    def _attached(self) -> None:
        super()._attached()
        model = parse_config(self.config).get("model")
        if model != self._model:
            other = "FFM" if model == "ffm" else "FM"
            raise InvalidArgument(f"the model is model={model}: read it with growth.{other}")
        self._n_heads = int(_stats_of(self._handle()).heads)

    def _params_from_config(self, cfg: dict[str, str]) -> dict[str, Any]:
        p = super()._params_from_config(cfg)
        if "lambda" in cfg:
            p["lambda_"] = float(cfg["lambda"])
        names = cfg.get("head_names", "")
        if names:
            p["heads"] = names.split("|")
        p.pop("model", None)
        return p

    def _ensure(self) -> Any:
        if not self._has_handle():
            with self._lock():
                if not self._has_handle() and not self._closing:
                    self._install(self._create())
        return self._handle()

    # -- introspection -------------------------------------------------------------------
    @property
    def n_heads(self) -> int:
        """Number of heads of the fitted model."""
        if not self._has_handle():
            self._handle()  # raises NotFittedError (or ValueError once closed)
        return self._n_heads

    def head_index(self, name: str) -> int:
        """Index of the head named ``name`` (``growth.NotFound`` if no head has that name)."""
        out = ctypes.c_size_t(0)
        check(lib.growth_fm_head_index(self._handle(), enc(name), ctypes.byref(out)))
        return out.value

    def stats(self) -> dict[str, int]:
        """Counters and sizes: heads, bits, fields, k, examples, touched (slots training
        changed), bytes (state in memory), bytes_per_slot, and for ``table='exact'`` the features
        live (with a record), admitted, evicted (``max_memory`` or 2^bits), expired (``expire`` /
        ``expire_seconds``) and table_bytes (keyed table, sketch and slots in use)."""
        st = _stats_of(self._handle())
        return {name: int(getattr(st, name)) for name, _t in FmStats._fields_[2:]}

    def weight(self, index: int | None, head: int = 0) -> float:
        """Linear weight of a slot (``index=None`` for the bias) in a head."""
        out = ctypes.c_float(0)
        idx = 0xFFFFFFFF if index is None else int(index)
        check(lib.growth_fm_weight(self._handle(), int(head), idx, ctypes.byref(out)))
        return out.value

    def factors(self, index: int, field: int = 0) -> np.ndarray:
        """The k latent factors of slot ``index`` towards field ``field`` (0 for FM)."""
        h = self._handle()
        k = int(_stats_of(h).k)
        out = np.empty(k, dtype=np.float32)
        check(lib.growth_fm_factors(h, int(index), int(field), ptr(out), k, None))
        return out

    def table_stats(self) -> dict[str, int]:
        """As :meth:`growth.FTRL.table_stats`: examples, touched, live, admitted, evicted, expired
        and table_bytes."""
        st = _stats_of(self._handle())
        return {k: int(getattr(st, k)) for k in ("examples", "touched", "live", "admitted", "evicted",
                                                   "expired", "table_bytes")}

    # -- 64-bit keys (table='exact') -------------------------------------------------------
    def weight_key(self, key: int, head: int = 0) -> float:
        """Linear weight of a 64-bit feature key in a head (0 when the key has no record: not
        admitted, expired or evicted). On a hashed model the key's low ``bits`` bits are its slot."""
        out = ctypes.c_float(0)
        check(lib.growth_fm_weight_key(self._handle(), int(head), int(key) & 0xFFFFFFFFFFFFFFFF,
                                       ctypes.byref(out)))
        return out.value

    def factors_key(self, key: int, field: int = 0) -> np.ndarray:
        """The k factors of a 64-bit feature key towards ``field`` (zeros without a record)."""
        h = self._handle()
        k = int(_stats_of(h).k)
        out = np.empty(k, dtype=np.float32)
        check(lib.growth_fm_factors_key(h, int(key) & 0xFFFFFFFFFFFFFFFF, int(field), ptr(out), k, None))
        return out

    @staticmethod
    def _key_fields(fields: Any, indptr: np.ndarray) -> np.ndarray | None:
        """Field ids aligned with the keys: a flat array or a list of per-row lists."""
        if fields is None:
            return None
        if isinstance(fields, np.ndarray) or (len(fields) and not hasattr(fields[0], "__len__")):
            f = np.asarray(fields)
        else:
            f = np.fromiter((int(x) for r in fields for x in r), dtype=np.int64)
        if f.size < int(indptr[-1]) or (f.size and (f.min() < 0 or f.max() > 255)):
            raise InvalidArgument("fields must give a field id 0..255 for every key")
        return np.ascontiguousarray(f, dtype=np.uint8)

    def predict_keys(self, rows: Any, fields: Any = None, margin: bool = False) -> np.ndarray:
        """P(y=1) (or margins) for rows of 64-bit feature keys: ``(indptr, keys[, values])`` or a
        list of key lists (e.g. ``growth_hash64`` values), with their field ids (required for FFM)
        as a flat array or a list of lists. Shaped as ``predict_proba``."""
        indptr, keys, vals, n = _FTRLBase._key_rows(rows)
        fld = self._key_fields(fields, indptr)
        h = self._handle()
        H = self._n_heads
        out = np.empty((n, H), dtype=np.float32)
        flags = _PREDICT_MARGIN if margin else 0
        check(lib.growth_fm_predict_keys_csr(h, ptr(indptr), ptr(keys), ptr(fld), ptr(vals), n, flags, ptr(out),
                                             out.size))
        return self._shape_out(out)

    def update_keys(self, rows: Any, y: Any, fields: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Trains on rows of 64-bit keys in order (creating the model on the first call, like
        ``partial_fit``) and returns each row's progressive-validation P(y=1), made before training
        on it. With ``table='exact'`` keys go through admission, expiry and the memory cap (see
        ``table_stats()``)."""
        indptr, keys, vals, n = _FTRLBase._key_rows(rows)
        fld = self._key_fields(fields, indptr)
        h = self._ensure()
        H = self._n_heads
        yy = self._labels(y, n, H)
        w = self._weights(sample_weight, n)
        out = np.empty((n, H), dtype=np.float32)
        check(lib.growth_fm_update_keys_csr(h, ptr(indptr), ptr(keys), ptr(fld), ptr(vals), n, ptr(yy), ptr(w),
                                            ptr(out), out.size))
        return self._shape_out(out)

    # -- data ----------------------------------------------------------------------------
    # labels per head (NaN = missing) and sample weights are checked exactly as for FTRL
    _labels = staticmethod(_FTRLBase._labels)
    _weights = staticmethod(_FTRLBase._weights)

    def _update(self, h: Any, X: Any, y: Any, fields: Any, sample_weight: Any, n_heads: int,
                predict: bool) -> np.ndarray | None:
        rows = _Rows(X, fields)
        y = self._labels(y, rows.n, n_heads)
        w = self._weights(sample_weight, rows.n)
        out = np.empty((rows.n, n_heads), dtype=np.float32) if predict else None
        check(lib.growth_fm_update_csr(h, ptr(rows.indptr), ptr(rows.idx), ptr(rows.fld), ptr(rows.val),
                                       rows.n, ptr(y), ptr(w), ptr(out), 0 if out is None else out.size))
        return out

    def _raw(self, X: Any, fields: Any, flags: int) -> np.ndarray:
        rows = _Rows(X, fields)
        h = self._handle()
        out = np.empty((rows.n, self._n_heads), dtype=np.float32)
        check(lib.growth_fm_predict_csr(h, ptr(rows.indptr), ptr(rows.idx), ptr(rows.fld), ptr(rows.val),
                                        rows.n, flags, ptr(out), out.size))
        return out

    @staticmethod
    def _shape_out(out: np.ndarray) -> np.ndarray:
        return out[:, 0].copy() if out.shape[1] == 1 else out

    def _data(self, X: Any, y: Any, fields: Any, sample_weight: Any, n_heads: int) -> tuple[FmData, tuple]:
        rows = _Rows(X, fields)
        y = self._labels(y, rows.n, n_heads)
        w = self._weights(sample_weight, rows.n)
        d = FmData(struct_size=ctypes.sizeof(FmData), nrows=rows.n, indptr=ptr(rows.indptr),
                   indices=ptr(rows.idx), fields=ptr(rows.fld), values=ptr(rows.val), labels=ptr(y),
                   weights=ptr(w))
        return d, (rows, y, w)  # the arrays must outlive the call

    # -- training ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, fields: Any = None, *, epochs: int = 10,
            validation: tuple | None = None, shuffle: bool = True, seed: int = 0,
            auto_stop: bool | None = None, sample_weight: Any = None,
            progress: Callable[[str, float], Any] | None = None) -> _FMBase:
        """Trains a new model from the parameters for ``epochs`` passes over the rows (visited
        in a seeded random order with ``shuffle``), as LIBFFM's ``ffm-train`` does. With
        ``validation=(X_val, y_val[, fields_val])`` the validation logloss is measured after
        every epoch and, with ``auto_stop`` (the default when there is a validation set), the
        fit stops at the first epoch that makes it worse and keeps the model of the epoch
        before. ``progress(stage, done)`` is called as training goes; a truthy return cancels
        (:class:`growth.Canceled`, the previous model is kept). The result is in
        ``fit_result_`` (epochs, best_epoch, train_logloss, valid_logloss). Returns self."""
        h = self._create()
        try:
            n_heads = int(_stats_of(h).heads)
            train, keep = self._data(X, y, fields, sample_weight, n_heads)
            vptr, vkeep = None, None
            if validation is not None:
                if not isinstance(validation, tuple) or len(validation) not in (2, 3):
                    raise InvalidArgument("validation is (X, y) or (X, y, fields)")
                vf = validation[2] if len(validation) == 3 else None
                vdata, vkeep = self._data(validation[0], validation[1], vf, None, n_heads)
                vptr = ctypes.byref(vdata)
            cb = progress_callback(progress) if progress is not None else None
            if cb is not None:
                check(lib.growth_fm_set_progress(h, cb, None))
            res = FmFitResult(struct_size=ctypes.sizeof(FmFitResult))
            opts = _config(None, epochs=int(epochs), shuffle=bool(shuffle), seed=int(seed), auto_stop=auto_stop)
            try:
                check(lib.growth_fm_fit(h, ctypes.byref(train), vptr, enc(opts), ctypes.byref(res)))
            finally:
                if cb is not None:
                    lib.growth_fm_set_progress(h, PROGRESS_FN(), None)
            del keep, vkeep
        except BaseException:
            lib.growth_fm_free(h)
            raise
        self._install(h)
        self.fit_result_ = {"epochs": int(res.epochs), "best_epoch": int(res.best_epoch),
                            "train_logloss": float(res.train_logloss),
                            "valid_logloss": float(res.valid_logloss)}
        return self

    def partial_fit(self, X: Any, y: Any, fields: Any = None, sample_weight: Any = None) -> _FMBase:
        """Trains on the rows of X in order (one online pass), continuing the current model
        (created from the parameters on the first call). ``y`` is 1-D with one head, rows x
        heads with several (-1 / ``growth.LABEL_MISSING`` or NaN: no label). Returns self."""
        h = self._ensure()
        self._update(h, X, y, fields, sample_weight, self._n_heads, False)
        return self

    def predict_update(self, X: Any, y: Any, fields: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Progressive validation: trains on the rows in order and returns each row's P(y=1)
        predicted before training on it (1-D with one head, rows x heads with several)."""
        h = self._ensure()
        return self._shape_out(self._update(h, X, y, fields, sample_weight, self._n_heads, True))

    def esmm_fit(self, X: Any, click: Any, conversion: Any, fields: Any = None, ctr_head: int = 0,
                 cvr_head: int = 1, sample_weight: Any = None) -> _FMBase:
        """ESMM over the impression space: the CTR head learns clicks, the CVR head learns
        through pCTR x pCVR on click & conversion; both teach the shared factors. Continues
        the current model like ``partial_fit``. Returns self."""
        rows = _Rows(X, fields)
        click = f32(click, "click", 1)
        conv = f32(conversion, "conversion", 1)
        w = self._weights(sample_weight, rows.n)
        if click.shape[0] != rows.n or conv.shape[0] != rows.n:
            raise InvalidArgument("click and conversion need one entry per row")
        h = self._ensure()
        for r in range(rows.n):
            i, f, v, n = rows.row(r)
            check(lib.growth_fm_esmm_update(h, ctr_head, cvr_head, i, f, v, n, float(click[r]), float(conv[r]),
                                            1.0 if w is None else float(w[r])))
        return self

    # -- prediction ----------------------------------------------------------------------
    def predict_proba(self, X: Any, fields: Any = None) -> np.ndarray:
        """P(y=1) per row: 1-D with one head, rows x heads with several."""
        return self._shape_out(self._raw(X, fields, 0))

    def decision_function(self, X: Any, fields: Any = None) -> np.ndarray:
        """Margins (logits) per row: 1-D with one head, rows x heads with several."""
        return self._shape_out(self._raw(X, fields, _PREDICT_MARGIN))

    def predict(self, X: Any, fields: Any = None) -> np.ndarray:
        """0/1 per row and head (a positive margin), shaped as ``predict_proba``."""
        return (self.decision_function(X, fields) > 0).astype(np.int64)

    def esmm_predict(self, X: Any, fields: Any = None, ctr_head: int = 0, cvr_head: int = 1) -> np.ndarray:
        """(n, 3): pCTR, pCVR and pCTCVR = pCTR x pCVR per row."""
        rows = _Rows(X, fields)
        h = self._handle()
        out = np.empty((rows.n, 3), dtype=np.float32)
        for r in range(rows.n):
            i, f, v, n = rows.row(r)
            check(lib.growth_fm_esmm_predict(h, ctr_head, cvr_head, i, f, v, n, ptr(out[r]), 3))
        return out


_COMMON_DOC = """
    Parameters (None: the library's default, in parentheses): ``k`` (4) latent factors per
    vector, 1..64; ``bits`` (20): 2^bits hashed slots; ``heads`` (1): a count or a list of names
    (``heads=['click', 'buy']``), heads share the factors; ``eta`` (0.2) and ``lambda_`` (2e-5):
    AdaGrad rate and L2 of the factors (LIBFFM's ``-r``, ``-l``); ``init_scale`` (1);
    ``normalize`` (True): instance-wise normalisation of the pairwise term; ``linear`` (True) and
    ``bias`` (True): the FTRL linear part and intercept per head, with ``alpha beta l1 l2`` as
    :class:`growth.FTRL`; ``precision`` ('float' or 'compact': bfloat16 state, half the memory);
    ``seed`` (0) of the initial factors. ``config=`` takes a configuration string and other
    keyword arguments pass further keys through (``max_memory=``, ``unseen=``: 'seeded', the
    default, predicts a slot training has not seen yet with the seeded factors it will start
    from, 'zero' ignores it; see fm.h), e.g. the collision-free
    table: ``FFM(fields=8, table='exact', admit=3, expire=10_000_000, max_memory=8 << 30)``
    (``admit_prob``, ``admit_sketch``, ``expire_seconds`` likewise), trained and scored on 64-bit
    keys with ``update_keys`` / ``predict_keys`` (``fit`` and the ESMM calls need a hashed model).
"""


class FFM(_FMBase):
    __doc__ = """Field-aware factorization machine (Juan et al. 2016, LIBFFM's model) with shared heads.

    ``FFM(fields=M, k=4, bits=20, heads=1, ...)``: every slot keeps one k-vector per field, and
    a pair of features (i in field f_i, j in field f_j) interacts through
    <v[i, f_j], v[j, f_i]>. ``fields`` (1..256) is required.
    """ + _COMMON_DOC

    _model = "ffm"

    def __init__(self, fields: int | None = None, k: int | None = None, bits: int | None = None,
                 heads: int | Sequence[str] | None = None, *, eta: float | None = None,
                 lambda_: float | None = None, init_scale: float | None = None,
                 normalize: bool | None = None, linear: bool | None = None, bias: bool | None = None,
                 alpha: float | None = None, beta: float | None = None, l1: float | None = None,
                 l2: float | None = None, precision: str | None = None, seed: int | None = None,
                 config: str | None = None, **options: Any) -> None:
        self.fields = fields
        self.k = k
        self.bits = bits
        self.heads = heads
        self.eta = eta
        self.lambda_ = lambda_
        self.init_scale = init_scale
        self.normalize = normalize
        self.linear = linear
        self.bias = bias
        self.alpha = alpha
        self.beta = beta
        self.l1 = l1
        self.l2 = l2
        self.precision = precision
        self.seed = seed
        self.config = config
        self._store_options(options)

    @classmethod
    def import_libffm(cls, path: str | os.PathLike, align: int | None = None, **options: Any) -> FFM:
        """Reads a model file written by LIBFFM's ``ffm-train`` (``align=4``: LIBFFM built with
        SSE, its default; ``1``: without). The result predicts as ``ffm-predict`` for rows whose
        slots are LIBFFM's feature indices and whose fields are its field indices; ``eta``,
        ``lambda`` (pass ``lambda_=``), ``precision``, ``max_memory`` and ``seed`` may be given
        for further training."""
        if "lambda_" in options:
            options["lambda"] = options.pop("lambda_")
        h = ctypes.c_void_p()
        check(lib.growth_fm_import_libffm(ctypes.byref(h), enc(os.fspath(path)),
                                          enc(_config(None, align=align, **options))))
        return cls._wrap(h)


class FM(_FMBase):
    __doc__ = """Factorization machine (Rendle 2010) with shared heads: every slot keeps one k-vector and
    a pair of features interacts through <v[i], v[j]> (O(nnz k) per row). ``fields`` is
    optional: when given, field ids passed to the methods are checked against it (the model
    itself ignores them).
    """ + _COMMON_DOC

    _model = "fm"

    def __init__(self, k: int | None = None, bits: int | None = None,
                 heads: int | Sequence[str] | None = None, *, fields: int | None = None,
                 eta: float | None = None, lambda_: float | None = None, init_scale: float | None = None,
                 normalize: bool | None = None, linear: bool | None = None, bias: bool | None = None,
                 alpha: float | None = None, beta: float | None = None, l1: float | None = None,
                 l2: float | None = None, precision: str | None = None, seed: int | None = None,
                 config: str | None = None, **options: Any) -> None:
        self.k = k
        self.bits = bits
        self.heads = heads
        self.fields = fields
        self.eta = eta
        self.lambda_ = lambda_
        self.init_scale = init_scale
        self.normalize = normalize
        self.linear = linear
        self.bias = bias
        self.alpha = alpha
        self.beta = beta
        self.l1 = l1
        self.l2 = l2
        self.precision = precision
        self.seed = seed
        self.config = config
        self._store_options(options)
