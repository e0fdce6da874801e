"""Gradient-boosted trees through libxgboost, served by libgrowth's native evaluator (forest.h).

:class:`Forest` is the model as libgrowth has it (``Forest.train``, ``Forest.load`` of libgrowth
and xgboost files, outputs per row); :class:`ForestClassifier` and :class:`ForestRegressor` are
scikit-learn estimators around the same model (parameters in the constructor, ``fit``,
``classes_`` and class probabilities, ``score``).
"""
from __future__ import annotations

import ctypes
from typing import Any, Callable

import numpy as np

from ._arrays import ptr
from ._estimator import ClassifierMixin, Estimator, RegressorMixin, fitted_property
from ._handle import OwnedModel
from ._lib import lib, check, enc, read_string, declare
from ._options import _config
from .errors import InvalidArgument

c_int, c_uint, c_size_t, c_void_p, c_char_p = (ctypes.c_int, ctypes.c_uint, ctypes.c_size_t,
                                               ctypes.c_void_p, ctypes.c_char_p)
P = ctypes.POINTER

# growth_progress_fn (common.h): (stage, done, user) -> non-zero stops the call
_PROGRESS = ctypes.CFUNCTYPE(c_int, c_char_p, ctypes.c_double, c_void_p)

declare({
    "growth_forest_train": (c_int, [P(c_void_p), c_char_p, c_char_p, c_void_p, c_void_p, _PROGRESS, c_void_p]),
    "growth_forest_free": (None, [c_void_p]),
    "growth_forest_set_config": (c_int, [c_void_p, c_char_p]),
    "growth_forest_config": (c_int, [c_void_p, c_char_p, c_size_t, P(c_size_t)]),
    "growth_forest_objective": (c_int, [c_void_p, c_char_p, c_size_t, P(c_size_t)]),
    "growth_forest_stats_get": (c_int, [c_void_p, c_void_p]),
    "growth_forest_predict": (c_int, [c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_forest_predict_sparse": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_forest_predict_dense": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_forest_predict_csr": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_uint, c_void_p, c_size_t]),
    "growth_forest_importance": (c_int, [c_void_p, c_char_p, c_void_p, c_size_t]),
    "growth_forest_contributions": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t]),
    "growth_forest_save": (c_int, [c_void_p, c_char_p]),
    "growth_forest_load": (c_int, [P(c_void_p), c_char_p]),
    "growth_forest_serialize": (c_int, [c_void_p, P(c_void_p), P(c_size_t)]),
    "growth_forest_deserialize": (c_int, [P(c_void_p), c_void_p, c_size_t]),
})

MARGIN, REFERENCE = 0x1, 0x100  # GROWTH_PREDICT_MARGIN, GROWTH_FOREST_REFERENCE
IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")


class _Stats(ctypes.Structure):
    """growth_forest_stats (forest.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("features", ctypes.c_uint64), ("outputs", ctypes.c_uint64),
                ("trees", ctypes.c_uint64), ("best_iteration", ctypes.c_int64),
                ("best_score", ctypes.c_double)]


class _Data(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("nrows", c_size_t), ("ncols", c_size_t), ("dense", c_void_p),
                ("indptr", c_void_p), ("indices", c_void_p), ("values", c_void_p),
                ("labels", c_void_p), ("weights", c_void_p)]


def _params(params: str | dict[str, Any] | None, **more: Any) -> str:
    """xgboost's parameter string: ``params`` (a string or a dict) and keyword parameters."""
    base = _config(**params) if isinstance(params, dict) else (None if params is None else str(params))
    return _config(base, **more)


def _matrix(X: Any, nfeat: int | None = None) -> tuple[str, tuple, int, int]:
    """(kind, arrays, nrows, ncols): 'dense' with a float32 C-contiguous matrix (NaN = missing;
    pandas DataFrames included), or 'csr' for scipy.sparse input."""
    if hasattr(X, "tocsr") and not hasattr(X, "columns"):
        X = X.tocsr()
        if not X.has_sorted_indices:
            X = X.sorted_indices()  # a sorted copy: the caller's matrix keeps its entry order
        indptr = np.ascontiguousarray(X.indptr, dtype=np.uint64)
        indices = np.ascontiguousarray(X.indices, dtype=np.uint32)
        values = np.ascontiguousarray(X.data, dtype=np.float32)
        return "csr", (indptr, indices, values), X.shape[0], X.shape[1]
    if hasattr(X, "to_numpy"):  # pandas
        X = X.to_numpy(dtype=np.float32, na_value=np.nan)
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim == 1 and nfeat is not None and X.shape[0] == nfeat:
        X = X.reshape(1, -1)
    if X.ndim != 2:
        raise InvalidArgument(f"X must be 2-D (rows x features), got shape {X.shape}")
    return "dense", (X,), X.shape[0], X.shape[1]


def _data(X: Any, y: Any, sample_weight: Any) -> tuple[_Data, tuple]:
    kind, arrs, n, d = _matrix(X)
    y = np.ascontiguousarray(np.asarray(y, dtype=np.float32).reshape(-1))
    if y.shape[0] != n:
        raise InvalidArgument(f"y has {y.shape[0]} labels for {n} rows")
    w = None
    if sample_weight is not None:
        w = np.ascontiguousarray(np.asarray(sample_weight, dtype=np.float32).reshape(-1))
        if w.shape[0] != n:
            raise InvalidArgument(f"sample_weight has {w.shape[0]} entries for {n} rows")
    s = _Data(ctypes.sizeof(_Data), 0, n, d)
    if kind == "dense":
        s.dense = ptr(arrs[0])
    else:
        s.indptr, s.indices, s.values = ptr(arrs[0]), ptr(arrs[1]), ptr(arrs[2])
    s.labels, s.weights = ptr(y), ptr(w)
    return s, (arrs, y, w)  # keep the arrays alive while C reads them


def _train(X: Any, y: Any, params: str, num_rounds: int, sample_weight: Any, eval_set: Any,
           early_stopping_rounds: int | None, threads: int | None, maximize: bool | None,
           progress: Callable[[str, float], Any] | None) -> c_void_p:
    """growth_forest_train: the new forest's handle."""
    cfg = _config(num_rounds=int(num_rounds),
                  early_stopping_rounds=int(early_stopping_rounds) if early_stopping_rounds else None,
                  threads=int(threads) if threads else None, maximize=maximize)
    train, keep = _data(X, y, sample_weight)
    valid = None
    if eval_set is not None:
        valid, keep_v = _data(eval_set[0], eval_set[1], eval_set[2] if len(eval_set) > 2 else None)
    raised = []

    def on_progress(stage, done, _user):
        try:
            return 1 if progress(stage.decode(), done) else 0
        except BaseException as e:  # stop the training, re-raise below
            raised.append(e)
            return 1

    cb = _PROGRESS(on_progress) if progress is not None else _PROGRESS()
    h = c_void_p()
    rc = lib.growth_forest_train(ctypes.byref(h), enc(cfg), enc(params), ctypes.byref(train),
                                 ctypes.byref(valid) if valid else None, cb, None)
    if raised:
        if h.value:
            lib.growth_forest_free(h)
        raise raised[0]
    check(rc)
    return h


class _ForestBase(OwnedModel):
    """What Forest and the forest estimators share: the model's introspection, outputs per
    row, importance, contributions and persistence."""

    _free_fn = "growth_forest_free"
    _api = "growth_forest"  # save(): xgboost JSON for '.json', UBJSON for '.ubj', else a libgrowth file

    def _attached(self) -> None:
        super()._attached()
        st = self._stats()
        self._dims = (int(st.features), int(st.outputs))

    def _stats(self) -> _Stats:
        st = _Stats(struct_size=ctypes.sizeof(_Stats))
        check(lib.growth_forest_stats_get(self._handle(), ctypes.byref(st)))
        return st

    def _dims_of(self) -> tuple[int, int]:
        if not self._has_handle():
            self._handle()  # raises NotFittedError (or ValueError once closed)
        return self._dims

    # -- introspection -------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        """Number of input features the model reads."""
        return self._dims_of()[0]

    @property
    def n_outputs(self) -> int:
        """Outputs per row (1, or the number of classes of a softprob model)."""
        return self._dims_of()[1]

    @property
    def config(self) -> str:
        """The effective libgrowth configuration (threads, num_rounds, ...)."""
        return read_string(lib.growth_forest_config, self._handle())

    @property
    def objective(self) -> str:
        """xgboost's objective of the model (e.g. 'binary:logistic')."""
        return read_string(lib.growth_forest_objective, self._handle())

    @property
    def n_trees(self) -> int:
        """Number of trees."""
        return int(self._stats().trees)

    @property
    def best_iteration(self) -> int | None:
        """The best round of an early-stopped training (None without early stopping)."""
        it = self._stats().best_iteration
        return None if it < 0 else int(it)

    @property
    def best_score(self) -> float | None:
        """The validation metric at ``best_iteration`` (None without early stopping)."""
        st = self._stats()
        return None if st.best_iteration < 0 else st.best_score

    def set_threads(self, threads: int) -> None:
        """Threads of batch predictions (must not run concurrently with other calls)."""
        check(lib.growth_forest_set_config(self._handle(), enc(_config(threads=int(threads)))))

    # -- prediction ----------------------------------------------------------------------
    def _outputs(self, X: Any, output_margin: bool = False, reference: bool = False) -> np.ndarray:
        """rows x outputs float32."""
        flags = (MARGIN if output_margin else 0) | (REFERENCE if reference else 0)
        h = self._handle()
        nf, no = self._dims
        kind, arrs, n, d = _matrix(X, nf)
        out = np.empty((n, no), dtype=np.float32)
        if kind == "dense":
            check(lib.growth_forest_predict_dense(h, ptr(arrs[0]), n, d, flags, ptr(out), out.size))
        else:
            if d != nf:
                raise InvalidArgument(f"X has {d} features, the model {nf}")
            check(lib.growth_forest_predict_csr(h, ptr(arrs[0]), ptr(arrs[1]), ptr(arrs[2]), n, flags,
                                                ptr(out), out.size))
        return out

    def predict_row(self, x: Any, output_margin: bool = False) -> np.ndarray:
        """One dense row (the allocation-free native path): its outputs."""
        h = self._handle()
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
        out = np.empty(self._dims[1], dtype=np.float32)
        check(lib.growth_forest_predict(h, ptr(x), x.size, MARGIN if output_margin else 0,
                                        ptr(out), out.size))
        return out

    def importance(self, importance_type: str = "gain") -> np.ndarray:
        """Per-feature importance ('weight', 'gain', 'cover', 'total_gain', 'total_cover')."""
        if importance_type not in IMPORTANCE_TYPES:
            raise InvalidArgument(f"importance_type must be one of {sorted(IMPORTANCE_TYPES)}")
        h = self._handle()
        out = np.empty(self._dims[0], dtype=np.float32)
        check(lib.growth_forest_importance(h, enc(_config(type=importance_type)), ptr(out), out.size))
        return out

    def contributions(self, X: Any) -> np.ndarray:
        """SHAP values: rows x (features + 1) (last column: bias); rows x outputs x (features + 1)
        with several outputs."""
        h = self._handle()
        nf, no = self._dims
        kind, arrs, n, d = _matrix(X, nf)
        if kind != "dense":  # absent entries are missing
            indptr, indices, values = arrs
            dense = np.full((n, d), np.nan, dtype=np.float32)
            rows = np.repeat(np.arange(n), np.diff(indptr.astype(np.int64)))
            dense[rows, indices] = values
            arrs = (dense,)
        out = np.empty((n, no, nf + 1), dtype=np.float32)
        check(lib.growth_forest_contributions(h, ptr(arrs[0]), n, d, ptr(out), out.size))
        return out[:, 0, :].copy() if no == 1 else out


class Forest(_ForestBase):
    """A gradient-boosted tree ensemble (xgboost gbtree) with libgrowth's native evaluator.

    ``Forest.train(X, y, params="objective=binary:logistic max_depth=3", num_rounds=100)``
    trains through libxgboost; ``Forest.load(path)`` reads a libgrowth model file or an
    xgboost JSON / UBJSON model (e.g. saved by Python's xgboost). X is a numpy array or a
    pandas DataFrame (NaN = missing) or a scipy.sparse matrix (absent = missing).
    :class:`ForestClassifier` / :class:`ForestRegressor` are the scikit-learn estimators.
    """

    def __init__(self) -> None:
        raise TypeError("a Forest comes from Forest.train(X, y, ...), Forest.load(path) or "
                        "Forest.from_bytes(data); ForestClassifier / ForestRegressor are the "
                        "scikit-learn estimators")

    @classmethod
    def train(cls, X: Any, y: Any, params: str | dict[str, Any] | None = None, num_rounds: int = 100,
              sample_weight: Any = None, eval_set: tuple | None = None,
              early_stopping_rounds: int | None = None, threads: int | None = None,
              maximize: bool | None = None,
              progress: Callable[[str, float], Any] | None = None) -> Forest:
        """Trains with xgboost. ``params``: an xgboost parameter string or dict (passed through).
        ``eval_set``: (X_valid, y_valid) or (X_valid, y_valid, w_valid) for early stopping.
        ``progress(stage, done)``: called after every boosting round ("round", rounds trained /
        num_rounds); a truthy return (or an exception, re-raised) stops the training, which then
        raises ``growth.Canceled``."""
        return cls._wrap(_train(X, y, _params(params), num_rounds, sample_weight, eval_set,
                                early_stopping_rounds, threads, maximize, progress))

    def predict(self, X: Any, output_margin: bool = False, reference: bool = False) -> np.ndarray:
        """Outputs per row (probabilities for logistic / softmax objectives): 1-D with one
        output, rows x outputs with several. ``reference=True`` uses xgboost's predictor."""
        out = self._outputs(X, output_margin, reference)
        return out[:, 0].copy() if out.shape[1] == 1 else out


class _ForestEstimator(_ForestBase, Estimator):
    """The parameters and fit of ForestClassifier and ForestRegressor."""

    _default_objective = None

    def __init__(self, num_rounds: int = 100, *, max_depth: int | None = None,
                 eta: float | None = None, subsample: float | None = None,
                 min_child_weight: float | None = None, seed: int | None = None,
                 objective: str | None = None, params: str | dict[str, Any] | None = None,
                 threads: int | None = None, early_stopping_rounds: int | None = None,
                 maximize: bool | None = None) -> None:
        self.num_rounds = num_rounds
        self.max_depth = max_depth
        self.eta = eta
        self.subsample = subsample
        self.min_child_weight = min_child_weight
        self.seed = seed
        self.objective = objective
        self.params = params
        self.threads = threads
        self.early_stopping_rounds = early_stopping_rounds
        self.maximize = maximize

    @fitted_property
    def objective(self) -> str:
        """xgboost's objective of the fitted model (NotFittedError before fit; the parameter
        is in ``get_params()``)."""
        return read_string(lib.growth_forest_objective, self._handle())

    def _xgb_params(self, default_objective: str, **more: Any) -> str:
        """xgboost's parameters: ``params``, the named ones and ``more``; the default objective
        unless ``objective`` is set (as the parameter or in ``params``)."""
        given = _params_keys(self.params)
        objective = self.__dict__.get("objective")
        if objective is None and "objective" not in given:
            objective = default_objective
        more = {k: v for k, v in more.items() if k not in given}
        return _params(self.params, objective=objective, max_depth=self.max_depth, eta=self.eta,
                       subsample=self.subsample, min_child_weight=self.min_child_weight,
                       seed=self.seed, **more)

    def _params_from_config(self, cfg: dict[str, str]) -> dict[str, Any]:
        p = super()._params_from_config(cfg)
        if p.get("maximize") == "auto":
            p["maximize"] = None
        if p.get("early_stopping_rounds") == 0:
            p["early_stopping_rounds"] = None
        p["objective"] = self.objective
        return p

    def _attached(self) -> None:
        super()._attached()
        self.n_features_in_ = self._dims[0]

    def _fit(self, X: Any, y: Any, params: str, sample_weight: Any, eval_set: Any,
             progress: Callable[[str, float], Any] | None) -> None:
        self._install(_train(X, y, params, self.num_rounds, sample_weight, eval_set,
                             self.early_stopping_rounds, self.threads, self.maximize, progress))


class ForestClassifier(ClassifierMixin, _ForestEstimator):
    """Gradient-boosted trees as a scikit-learn classifier.

    ``ForestClassifier(num_rounds=100, max_depth=6, eta=0.3, ...)``: ``max_depth``, ``eta``,
    ``subsample``, ``min_child_weight``, ``seed`` and ``objective`` are xgboost parameters
    (None: xgboost's default), ``params`` any others (a string or dict); ``num_rounds``,
    ``threads``, ``early_stopping_rounds`` and ``maximize`` are libgrowth's training options.
    ``fit(X, y)`` learns ``classes_`` (sorted labels of any type) and trains a new forest:
    ``binary:logistic`` for two classes, ``multi:softprob`` for more (unless ``objective`` is
    given; it must give probabilities). ``predict_proba`` is (n, n_classes) in ``classes_``
    order, ``decision_function`` the margins (1-D for two classes), ``predict`` class labels,
    ``score`` the mean accuracy. ``Forest``'s methods (``importance``, ``contributions``,
    ``save`` ...) work on the fitted model; ``load`` / ``from_bytes`` give ``classes_``
    0..n-1.
    """

    def _attached(self) -> None:
        super()._attached()
        k = max(2, self._dims[1])
        self.__dict__.setdefault("classes_", np.arange(k))

    def _encode(self, y: Any) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != 1:
            y = y.reshape(-1)
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        bad = self.classes_[idx] != y
        if bad.any():
            raise InvalidArgument(f"y holds labels that are not in classes_ {self.classes_.tolist()}: "
                                  f"{np.unique(y[bad])[:5].tolist()}")
        return idx.astype(np.float32)

    def fit(self, X: Any, y: Any, sample_weight: Any = None, eval_set: tuple | None = None,
            progress: Callable[[str, float], Any] | None = None) -> ForestClassifier:
        """Learns ``classes_`` and trains a new forest (replacing the current one once trained).
        ``eval_set``: (X_valid, y_valid[, w_valid]) for early stopping; ``progress`` as in
        ``Forest.train``. Returns self."""
        classes = np.unique(np.asarray(y).reshape(-1))
        if classes.size < 2:
            raise InvalidArgument(f"ForestClassifier needs at least two classes in y, got {classes.tolist()}")
        prev = self.__dict__.get("classes_")
        self.classes_ = classes
        try:
            more = {"num_class": int(classes.size)} if classes.size > 2 else {}
            default = "binary:logistic" if classes.size == 2 else "multi:softprob"
            ev = None
            if eval_set is not None:
                ev = (eval_set[0], self._encode(eval_set[1])) + tuple(eval_set[2:])
            self._fit(X, self._encode(y), self._xgb_params(default, **more), sample_weight, ev, progress)
        except BaseException:
            if prev is None:
                self.__dict__.pop("classes_", None)
            else:
                self.classes_ = prev
            raise
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, (n, n_classes) in ``classes_`` order."""
        out = self._outputs(X)
        if out.shape[1] == 1:
            p = out[:, 0]
            return np.column_stack([1 - p, p])
        return out

    def decision_function(self, X: Any) -> np.ndarray:
        """Margins: 1-D (of ``classes_[1]``) for two classes, (n, n_classes) for more."""
        out = self._outputs(X, output_margin=True)
        return out[:, 0].copy() if out.shape[1] == 1 else out

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        best = np.argmax(self.predict_proba(X), axis=1)
        return self.classes_[best]


class ForestRegressor(RegressorMixin, _ForestEstimator):
    """Gradient-boosted trees as a scikit-learn regressor: the parameters of
    :class:`ForestClassifier`, ``objective`` ``reg:squarederror`` unless given; ``predict``
    gives one value per row (rows x outputs for a multi-output objective), ``score`` R^2."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, eval_set: tuple | None = None,
            progress: Callable[[str, float], Any] | None = None) -> ForestRegressor:
        """Trains a new forest (replacing the current one once trained). ``eval_set``:
        (X_valid, y_valid[, w_valid]) for early stopping. Returns self."""
        self._fit(X, y, self._xgb_params("reg:squarederror"), sample_weight, eval_set, progress)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions per row (1-D with one output)."""
        out = self._outputs(X)
        return out[:, 0].copy() if out.shape[1] == 1 else out


def _params_keys(params: str | dict[str, Any] | None) -> set[str]:
    from ._options import parse_config
    if isinstance(params, dict):
        return set(params)
    return set(parse_config(params))
