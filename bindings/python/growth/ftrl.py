"""FTRL-Proximal online logistic regression with several heads (ctr.h).

:class:`FTRL` is the online model as libgrowth has it (one or several heads, progressive
validation, ESMM, probabilities as 1-D arrays with one head); :class:`FTRLClassifier` is the
same model with one head shaped as a scikit-learn binary classifier (``classes_``,
``predict_proba`` of shape (n, 2), ``predict`` giving class labels). Both follow scikit-learn's
estimator conventions: the constructor only stores parameters and the C model is created by the
first ``fit`` / ``partial_fit``.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any, Sequence

import numpy as np

from ._arrays import f32, ptr, to_csr
from ._estimator import ClassifierMixin, Estimator
from ._lib import check, enc, lib
from ._options import _config
from .errors import InvalidArgument

LABEL_MISSING = -1.0
_PREDICT_MARGIN = 0x1  # GROWTH_PREDICT_MARGIN (common.h)

__all__ = ["FTRL", "FTRLClassifier", "esmm_predict", "LABEL_MISSING", "FtrlStats"]


def _heads(heads: Any) -> tuple[int | None, list[str] | None]:
    """``heads`` as a count or a list of names -> (heads=, head_names=) options."""
    if heads is None or isinstance(heads, (int, np.integer)):
        return heads, None
    names = [str(n) for n in heads]
    return len(names), names


class FtrlStats(ctypes.Structure):
    """growth_ftrl_stats (ctr.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("heads", ctypes.c_uint64), ("bits", ctypes.c_uint64),
                ("examples", ctypes.c_uint64), ("nonzero", ctypes.c_uint64),
                ("live", ctypes.c_uint64), ("admitted", ctypes.c_uint64),
                ("evicted", ctypes.c_uint64), ("expired", ctypes.c_uint64),
                ("table_bytes", ctypes.c_uint64)]


def _stats_of(h: Any) -> FtrlStats:
    st = FtrlStats(struct_size=ctypes.sizeof(FtrlStats))
    check(lib.growth_ftrl_stats_get(h, ctypes.byref(st)))
    return st


class _FTRLBase(Estimator):
    """What FTRL and FTRLClassifier share: the C model, its creation from the parameters,
    training, margins, introspection and persistence."""

    _free_fn = "growth_ftrl_free"
    _api = "growth_ftrl"  # save() writes the full training state: load() resumes training exactly

    # -- the C model ---------------------------------------------------------------------
    def _heads_param(self) -> Any:
        return None

    def _config_string(self) -> str:
        n_heads, names = _heads(self._heads_param())
        return _config(self.__dict__.get("config"), alpha=self.alpha, beta=self.beta, l1=self.l1,
                       l2=self.l2, bits=self.bits, heads=n_heads, head_names=names, bias=self.bias,
                       precision=self.precision, seed=self.seed, **self._options())

    def _create(self) -> ctypes.c_void_p:
        h = ctypes.c_void_p()
        check(lib.growth_ftrl_create(ctypes.byref(h), enc(self._config_string())))
        return h

    def _attached(self) -> None:
        super()._attached()
        st = _stats_of(self._handle())
        self._n_heads = int(st.heads)

    def _params_from_config(self, cfg: dict[str, str]) -> dict[str, Any]:
        p = super()._params_from_config(cfg)
        if "heads" in p and "heads" in self._param_names():
            names = cfg.get("head_names", "")
            p["heads"] = names.split("|") if names else p["heads"]
        else:
            p.pop("heads", None)
        return p

    def _ensure(self) -> Any:
        """A lease on the model, created from the parameters by the first training call."""
        if not self._has_handle():
            with self._lock():
                if not self._has_handle() and not self._closing:
                    self._install(self._create())
        return self._handle()

    def _fresh(self, train: Any) -> None:
        """fit(): a new model from the parameters, trained by ``train(h, n_heads)``, replaces
        the current one only when training succeeded."""
        h = self._create()
        try:
            train(h, int(_stats_of(h).heads))
        except BaseException:
            lib.growth_ftrl_free(h)
            raise
        self._install(h)

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
        check(lib.growth_ftrl_head_index(self._handle(), enc(name), ctypes.byref(out)))
        return out.value

    def stats(self) -> tuple[int, int]:
        """(examples trained on, slots with a non-zero weight in any head)."""
        st = _stats_of(self._handle())
        return int(st.examples), int(st.nonzero)

    def table_stats(self) -> dict[str, int]:
        """The model's counters as a dict: examples, nonzero, and for ``table='exact'`` the
        features live (with a record), admitted, evicted (``max_memory``), expired
        (``expire`` / ``expire_seconds``) and the table's bytes (``table_bytes``, also for a
        hashed table)."""
        st = _stats_of(self._handle())
        return {k: int(getattr(st, k)) for k in ("examples", "nonzero", "live", "admitted", "evicted",
                                                   "expired", "table_bytes")}

    def weight_key(self, key: int, head: int = 0) -> float:
        """Weight of a 64-bit feature key in a head (0 when the key has no record: not
        admitted, expired or evicted). On a hashed model the key's low ``bits`` bits are its slot."""
        out = ctypes.c_float(0)
        check(lib.growth_ftrl_weight_key(self._handle(), int(head), int(key) & 0xFFFFFFFFFFFFFFFF,
                                         ctypes.byref(out)))
        return out.value

    # -- 64-bit keys (table='exact') -------------------------------------------------------
    @staticmethod
    def _key_rows(rows: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
        """(indptr, keys uint64, values or None, nrows) from a ``(indptr, keys[, values])``
        tuple or a list of per-row key sequences."""
        if isinstance(rows, tuple):
            if len(rows) not in (2, 3):
                raise InvalidArgument("key rows are (indptr, keys) or (indptr, keys, values)")
            indptr = np.ascontiguousarray(rows[0], dtype=np.uint64)
            keys = np.ascontiguousarray(np.asarray(rows[1]).astype(np.uint64, copy=False))
            vals = None if len(rows) == 2 or rows[2] is None else np.ascontiguousarray(rows[2], dtype=np.float32)
            if indptr.ndim != 1 or indptr.size < 1:
                raise InvalidArgument("indptr must be a 1-D array of nrows + 1 offsets")
            end = int(indptr[-1])
            if keys.size < end or (vals is not None and vals.size < end) or np.any(np.diff(indptr.astype(np.int64)) < 0):
                raise InvalidArgument(f"indptr (ending at {end}) does not fit keys/values")
            return indptr, keys, vals, indptr.size - 1
        lens = [len(r) for r in rows]
        indptr = np.zeros(len(lens) + 1, dtype=np.uint64)
        np.cumsum(lens, out=indptr[1:])
        keys = np.fromiter((int(k) & 0xFFFFFFFFFFFFFFFF for r in rows for k in r), dtype=np.uint64,
                           count=int(indptr[-1]))
        return indptr, keys, None, len(lens)

    def predict_keys(self, rows: Any, margin: bool = False) -> np.ndarray:
        """P(y=1) (or margins) for rows of 64-bit feature keys: ``(indptr, keys[, values])`` or
        a list of key lists (e.g. ``growth_hash64`` values). Shaped as ``predict_proba``."""
        indptr, keys, vals, n = self._key_rows(rows)
        h = self._handle()
        H = self._n_heads
        out = np.empty((n, H), dtype=np.float32)
        flags = _PREDICT_MARGIN if margin else 0
        check(lib.growth_ftrl_predict_keys_csr(h, ptr(indptr), ptr(keys), None if vals is None else ptr(vals), n,
                                               flags, out.ctypes.data, out.size))
        return self._shape_out(out)

    def update_keys(self, rows: Any, y: Any, sample_weight: Any = None) -> np.ndarray:
        """Trains on rows of 64-bit keys in order (creating the model on the first call, like
        ``partial_fit``) and returns each row's progressive-validation P(y=1), made before
        training on it. With ``table='exact'`` keys go through admission, expiry and the memory
        cap (see ``table_stats()``)."""
        indptr, keys, vals, n = self._key_rows(rows)
        h = self._ensure()
        H = self._n_heads
        yy = self._labels(self._encode(y), n, H)
        w = self._weights(sample_weight, n)
        out = np.empty((n, H), dtype=np.float32)
        check(lib.growth_ftrl_update_keys_csr(h, ptr(indptr), ptr(keys), None if vals is None else ptr(vals), n,
                                              yy.ctypes.data, None if w is None else ptr(w), out.ctypes.data,
                                              out.size))
        return self._shape_out(out)

    def weight(self, index: int | None, head: int = 0) -> float:
        """Weight of a slot (``index=None`` for the bias) in a head."""
        out = ctypes.c_float(0)
        idx = 0xFFFFFFFF if index is None else int(index)
        check(lib.growth_ftrl_weight(self._handle(), int(head), idx, ctypes.byref(out)))
        return out.value

    # -- data ----------------------------------------------------------------------------
    @staticmethod
    def _labels(y: Any, nrows: int, n_heads: int) -> np.ndarray:
        y = np.asarray(y, dtype=np.float32)
        if n_heads == 1 and y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.shape != (nrows, n_heads):
            raise InvalidArgument(f"y has shape {y.shape}, expected ({nrows}, {n_heads})"
                                  if n_heads > 1 else f"y has {y.shape[0]} labels for {nrows} rows")
        y = np.where(np.isnan(y), np.float32(LABEL_MISSING), y)
        return np.ascontiguousarray(y, dtype=np.float32)

    @staticmethod
    def _weights(sample_weight: Any, nrows: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        w = f32(sample_weight, "sample_weight", 1)
        if w.shape[0] != nrows:
            raise InvalidArgument(f"sample_weight has {w.shape[0]} entries for {nrows} rows")
        return w

    def _update(self, h: Any, X: Any, y: Any, sample_weight: Any, n_heads: int,
                predict: bool) -> np.ndarray | None:
        indptr, idx, val, n = to_csr(X)
        y = self._labels(y, n, n_heads)
        w = self._weights(sample_weight, n)
        out = np.empty((n, n_heads), dtype=np.float32) if predict else None
        check(lib.growth_ftrl_update_csr(h, ptr(indptr), ptr(idx), ptr(val), n, ptr(y), ptr(w),
                                         ptr(out), 0 if out is None else out.size))
        return out

    def _raw(self, X: Any, flags: int) -> np.ndarray:
        indptr, idx, val, n = to_csr(X)
        h = self._handle()
        out = np.empty((n, self._n_heads), dtype=np.float32)
        check(lib.growth_ftrl_predict_csr(h, ptr(indptr), ptr(idx), ptr(val), n, flags, ptr(out),
                                          out.size))
        return out

    def _shape_out(self, out: np.ndarray) -> np.ndarray:
        return out[:, 0].copy() if out.shape[1] == 1 else out

    # -- prediction ----------------------------------------------------------------------
    def decision_function(self, X: Any) -> np.ndarray:
        """Margins (logits) per row: 1-D with one head, rows x heads with several."""
        return self._shape_out(self._raw(X, _PREDICT_MARGIN))

    def predict_update(self, X: Any, y: Any, sample_weight: Any = None) -> np.ndarray:
        """Progressive validation: trains on the rows in order and returns each row's P(y=1)
        made before training on it (1-D with one head, rows x heads with several). Creates the
        model on the first call, like ``partial_fit``."""
        h = self._ensure()
        return self._shape_out(self._update(h, X, self._encode(y), sample_weight, self._n_heads, True))

    def _encode(self, y: Any) -> Any:
        return y

    # -- persistence ---------------------------------------------------------------------
    def export_weights(self, path: str | os.PathLike) -> None:
        """Saves only the non-zero weights, for serving (``FTRL.load`` reads it back)."""
        check(lib.growth_ftrl_export_weights(self._handle(), enc(os.fspath(path))))


class FTRL(_FTRLBase):
    """FTRL-Proximal logistic regression on hashed sparse features, one or several heads.

    ``FTRL(alpha=0.05, beta=1, l1=1, l2=1, bits=24, heads=1)`` (None: the library's default,
    shown in parentheses); ``heads`` may be a count or a list of names
    (``heads=['click', 'cart', 'buy']``). ``bias`` (True), ``precision`` ('float' or
    'compact') and ``seed`` (0) are the other configuration keys; ``config=`` takes a
    configuration string and further keyword arguments pass other keys through, e.g. the
    collision-free table: ``FTRL(table='exact', admit=3, expire=10_000_000,
    max_memory=8 << 30)`` (``admit_prob``, ``admit_sketch``, ``expire_seconds`` likewise), trained
    and scored on 64-bit keys with ``update_keys`` / ``predict_keys``. The parameters
    are validated by the library when the model is created: at the first ``fit``,
    ``partial_fit``, ``predict_update`` or ``esmm_fit``.

    X is a scipy.sparse matrix (column = slot), a CSR tuple ``(indptr, indices[, values])`` or
    a dense 2-D array. Labels are 0/1; ``-1`` (``growth.LABEL_MISSING``) or NaN means "no label
    for this head". With one head, probabilities and margins are a 1-D array; with several,
    rows x heads (a multi-label model). :class:`FTRLClassifier` is the one-head model shaped as a
    scikit-learn classifier.

    scikit-learn conventions: ``get_params``/``set_params``/``clone`` work; ``fit`` trains a new
    model from the parameters (one pass over the rows); ``partial_fit`` continues the current
    one (and creates it from the parameters the first time); before either,
    ``predict_proba``, ``config``, ``stats()``, ``save()`` ... raise
    :class:`growth.NotFittedError`. ``config`` is the effective configuration of the fitted
    model; the ``config=`` parameter is in ``get_params()``.
    """

    def __init__(self, alpha: float | None = None, beta: float | None = None,
                 l1: float | None = None, l2: float | None = None, bits: int | None = None,
                 heads: int | Sequence[str] | None = None, *, bias: bool | None = None,
                 precision: str | None = None, seed: int | None = None,
                 config: str | None = None, **options: Any) -> None:
        self.alpha = alpha
        self.beta = beta
        self.l1 = l1
        self.l2 = l2
        self.bits = bits
        self.heads = heads
        self.bias = bias
        self.precision = precision
        self.seed = seed
        self.config = config
        self._store_options(options)

    def _heads_param(self) -> Any:
        return self.heads

    # -- training ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FTRL:
        """Trains a new model from the parameters on the rows of X in order (one online pass);
        the previous model, if any, is replaced once this one is trained. Returns self."""
        self._fresh(lambda h, k: self._update(h, X, y, sample_weight, k, False))
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> FTRL:
        """Trains on the rows of X in order (one online pass), continuing the current model
        (created from the parameters on the first call). Returns self."""
        h = self._ensure()
        self._update(h, X, y, sample_weight, self._n_heads, False)
        return self

    def esmm_fit(self, X: Any, click: Any, conversion: Any, ctr_head: int = 0, cvr_head: int = 1,
                 sample_weight: Any = None) -> FTRL:
        """ESMM training over the impression space: the CTR head on clicks, the CVR head
        through the CTCVR loss on click & conversion. Continues the current model like
        ``partial_fit``. Returns self."""
        indptr, idx, val, n = to_csr(X)
        click = f32(click, "click", 1)
        conv = f32(conversion, "conversion", 1)
        w = self._weights(sample_weight, n)
        if click.shape[0] != n or conv.shape[0] != n:
            raise InvalidArgument("click and conversion need one entry per row")
        h = self._ensure()
        for r in range(n):
            b, e = int(indptr[r]), int(indptr[r + 1])
            check(lib.growth_ftrl_esmm_update(h, ctr_head, cvr_head, ptr(idx[b:e]),
                                              None if val is None else ptr(val[b:e]), e - b,
                                              float(click[r]), float(conv[r]),
                                              1.0 if w is None else float(w[r])))
        return self

    # -- prediction ----------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """P(y=1) per row: 1-D with one head, rows x heads with several."""
        return self._shape_out(self._raw(X, 0))

    def predict(self, X: Any) -> np.ndarray:
        """0/1 labels per row and head (P(y=1) > 0.5, i.e. a positive margin), shaped as
        ``predict_proba``."""
        return (self.decision_function(X) > 0).astype(np.int64)


class FTRLClassifier(ClassifierMixin, _FTRLBase):
    """A one-head FTRL model shaped as a scikit-learn binary classifier.

    The parameters are :class:`FTRL`'s without ``heads`` (a configuration with more than one
    head is refused at fit). ``fit(X, y)`` learns ``classes_`` (two labels of any type, sorted)
    and trains a new model in one online pass; ``partial_fit(X, y, classes=None)`` continues
    the model (``classes`` on the first call when a batch may hold one class only; 0/1 labels
    need none). ``predict_proba`` is (n, 2) (columns in ``classes_`` order), ``decision_function``
    the margin of ``classes_[1]`` (1-D), ``predict`` class labels, ``score`` the mean accuracy.
    A model read with ``load`` / ``from_bytes`` has ``classes_ = [0, 1]``; pickles keep them.
    """

    def __init__(self, alpha: float | None = None, beta: float | None = None,
                 l1: float | None = None, l2: float | None = None, bits: int | None = None, *,
                 bias: bool | None = None, precision: str | None = None, seed: int | None = None,
                 config: str | None = None, **options: Any) -> None:
        self.alpha = alpha
        self.beta = beta
        self.l1 = l1
        self.l2 = l2
        self.bits = bits
        self.bias = bias
        self.precision = precision
        self.seed = seed
        self.config = config
        self._store_options(options)

    def _create(self) -> ctypes.c_void_p:
        h = super()._create()
        heads = int(_stats_of(h).heads)
        if heads != 1:
            lib.growth_ftrl_free(h)
            raise InvalidArgument(f"FTRLClassifier has one head; the configuration asks for {heads}")
        return h

    def _attached(self) -> None:
        super()._attached()
        self.__dict__.setdefault("classes_", np.array([0, 1]))

    # -- labels --------------------------------------------------------------------------
    @staticmethod
    def _two_classes(classes: Any) -> np.ndarray:
        c = np.unique(np.asarray(classes))
        if c.size != 2:
            raise InvalidArgument(f"FTRLClassifier is a binary classifier: {c.size} classes given "
                                  f"({c[:5].tolist()})")
        return c

    def _encode(self, y: Any) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != 1:
            raise InvalidArgument(f"y must be 1-D (one label per row), got shape {y.shape}")
        c = self.classes_
        pos = y == c[1]
        known = pos | (y == c[0])
        if not known.all():
            raise InvalidArgument(f"y holds labels that are not in classes_ {c.tolist()}: "
                                  f"{np.unique(y[~known])[:5].tolist()}")
        return pos.astype(np.float32)

    # -- training ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FTRLClassifier:
        """Learns ``classes_`` from y and trains a new model from the parameters (one online
        pass); the previous model is replaced once this one is trained. Returns self."""
        classes = self._two_classes(y)
        prev = self.__dict__.get("classes_")
        self.classes_ = classes
        try:
            y01 = self._encode(y)
            self._fresh(lambda h, k: self._update(h, X, y01, sample_weight, k, False))
        except BaseException:
            if prev is None:
                self.__dict__.pop("classes_", None)
            else:
                self.classes_ = prev
            raise
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None,
                    sample_weight: Any = None) -> FTRLClassifier:
        """Trains on the rows of X in order, continuing the current model (created from the
        parameters on the first call, when ``classes_`` is set from ``classes``, or from y).
        Returns self."""
        if "classes_" not in self.__dict__:
            if classes is None:
                seen = np.unique(np.asarray(y))
                classes = seen if seen.size == 2 else (
                    [0, 1] if np.isin(seen, [0, 1]).all() else seen)
            self.classes_ = self._two_classes(classes)
        elif classes is not None and not np.array_equal(self._two_classes(classes), self.classes_):
            raise InvalidArgument(f"classes={list(classes)} differs from classes_ {self.classes_.tolist()}")
        y01 = self._encode(y)
        h = self._ensure()
        self._update(h, X, y01, sample_weight, 1, False)
        return self

    # -- prediction ----------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, (n, 2) in ``classes_`` order."""
        p = self._raw(X, 0)[:, 0]
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class of each row (``classes_[1]`` when its margin is > 0)."""
        positive = self._raw(X, _PREDICT_MARGIN)[:, 0] > 0
        return self.classes_[positive.astype(np.intp)]


def esmm_predict(ctr_model: _FTRLBase, cvr_model: _FTRLBase, X: Any, ctr_head: int = 0,
                 cvr_head: int = 1) -> np.ndarray:
    """pCTR, pCVR and pCTCVR = pCTR x pCVR per row, as an (n, 3) array. The two models may be
    the same FTRL (two heads) or different ones."""
    indptr, idx, val, n = to_csr(X)
    out = np.empty((n, 3), dtype=np.float32)
    hc, hv = ctr_model._handle(), cvr_model._handle()
    for r in range(n):
        b, e = int(indptr[r]), int(indptr[r + 1])
        check(lib.growth_ftrl_esmm_predict(hc, ctr_head, hv, cvr_head,
                                           ptr(idx[b:e]), None if val is None else ptr(val[b:e]),
                                           e - b, ptr(out[r]), 3))
    return out
