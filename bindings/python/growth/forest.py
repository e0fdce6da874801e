"""Gradient-boosted trees through libxgboost, served by libgrowth's native evaluator (forest.h)."""
import ctypes

import numpy as np

from ._handle import OwnedModel
from ._lib import lib, check, enc, read_string, declare
from ._options import _config
from ._arrays import ptr
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


def _params(params):
    if params is None:
        return ""
    if isinstance(params, dict):
        return _config(**params)
    return str(params)


def _matrix(X, nfeat=None):
    """(kind, arrays, nrows, ncols): 'dense' with a float32 C-contiguous matrix (NaN = missing;
    pandas DataFrames included), or 'csr' for scipy.sparse input."""
    if hasattr(X, "tocsr") and not hasattr(X, "columns"):
        X = X.tocsr()
        X.sort_indices()
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


def _data(X, y, sample_weight):
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


class Forest(OwnedModel):
    """A gradient-boosted tree ensemble (xgboost gbtree) with libgrowth's native evaluator.

    ``Forest.train(X, y, params="objective=binary:logistic max_depth=3", num_rounds=100)``
    trains through libxgboost; ``Forest.load(path)`` reads a libgrowth model file or an
    xgboost JSON / UBJSON model (e.g. saved by Python's xgboost). X is a numpy array or a
    pandas DataFrame (NaN = missing) or a scipy.sparse matrix (absent = missing).
    """

    _free_fn = "growth_forest_free"
    _api = "growth_forest"  # save(): xgboost JSON for '.json', UBJSON for '.ubj', else a libgrowth file

    def __init__(self, _handle):
        self._h = _handle
        st = self._stats()
        self.n_features = int(st.features)
        self.n_outputs = int(st.outputs)

    def _stats(self):
        st = _Stats(struct_size=ctypes.sizeof(_Stats))
        check(lib.growth_forest_stats_get(self._handle(), ctypes.byref(st)))
        return st

    @classmethod
    def train(cls, X, y, params=None, num_rounds=100, sample_weight=None, eval_set=None,
              early_stopping_rounds=None, threads=None, maximize=None, progress=None):
        """Trains with xgboost. ``params``: an xgboost parameter string or dict (passed through).
        ``eval_set``: (X_valid, y_valid) or (X_valid, y_valid, w_valid) for early stopping.
        ``progress(stage, done)``: called after every boosting round ("round", rounds trained /
        num_rounds); a truthy return (or an exception, re-raised) stops the training, which then
        raises ``growth.Canceled``."""
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
        rc = lib.growth_forest_train(ctypes.byref(h), enc(cfg), enc(_params(params)),
                                     ctypes.byref(train), ctypes.byref(valid) if valid else None,
                                     cb, None)
        if raised:
            raise raised[0]
        check(rc)
        return cls(h)

    # -- introspection -------------------------------------------------------------------
    @property
    def config(self):
        return read_string(lib.growth_forest_config, self._handle())

    @property
    def objective(self):
        return read_string(lib.growth_forest_objective, self._handle())

    @property
    def n_trees(self):
        return int(self._stats().trees)

    @property
    def best_iteration(self):
        it = self._stats().best_iteration
        return None if it < 0 else int(it)

    @property
    def best_score(self):
        st = self._stats()
        return None if st.best_iteration < 0 else st.best_score

    def set_threads(self, threads):
        check(lib.growth_forest_set_config(self._handle(), enc(_config(threads=int(threads)))))

    # -- prediction ----------------------------------------------------------------------
    def predict(self, X, output_margin=False, reference=False):
        """Outputs per row (probabilities for logistic / softmax objectives): 1-D with one
        output, rows x outputs with several. ``reference=True`` uses xgboost's predictor."""
        flags = (MARGIN if output_margin else 0) | (REFERENCE if reference else 0)
        kind, arrs, n, d = _matrix(X, self.n_features)
        out = np.empty((n, self.n_outputs), dtype=np.float32)
        if kind == "dense":
            check(lib.growth_forest_predict_dense(self._handle(), ptr(arrs[0]), n, d, flags,
                                                  ptr(out), out.size))
        else:
            if d != self.n_features:
                raise InvalidArgument(f"X has {d} features, the model {self.n_features}")
            check(lib.growth_forest_predict_csr(self._handle(), ptr(arrs[0]), ptr(arrs[1]),
                                                ptr(arrs[2]), n, flags, ptr(out), out.size))
        return out[:, 0].copy() if self.n_outputs == 1 else out

    def predict_row(self, x, output_margin=False):
        """One dense row (the allocation-free native path)."""
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
        out = np.empty(self.n_outputs, dtype=np.float32)
        check(lib.growth_forest_predict(self._handle(), ptr(x), x.size, MARGIN if output_margin else 0,
                                        ptr(out), out.size))
        return out

    def importance(self, importance_type="gain"):
        """Per-feature importance ('weight', 'gain', 'cover', 'total_gain', 'total_cover')."""
        if importance_type not in IMPORTANCE_TYPES:
            raise InvalidArgument(f"importance_type must be one of {sorted(IMPORTANCE_TYPES)}")
        out = np.empty(self.n_features, dtype=np.float32)
        check(lib.growth_forest_importance(self._handle(), enc(_config(type=importance_type)),
                                           ptr(out), out.size))
        return out

    def contributions(self, X):
        """SHAP values: rows x (features + 1) (last column: bias); rows x outputs x (features + 1)
        with several outputs."""
        kind, arrs, n, d = _matrix(X, self.n_features)
        if kind != "dense":  # absent entries are missing
            indptr, indices, values = arrs
            dense = np.full((n, d), np.nan, dtype=np.float32)
            rows = np.repeat(np.arange(n), np.diff(indptr.astype(np.int64)))
            dense[rows, indices] = values
            arrs = (dense,)
        out = np.empty((n, self.n_outputs, self.n_features + 1), dtype=np.float32)
        check(lib.growth_forest_contributions(self._handle(), ptr(arrs[0]), n, d, ptr(out), out.size))
        return out[:, 0, :].copy() if self.n_outputs == 1 else out

    # -- persistence ---------------------------------------------------------------------
    def __getstate__(self):
        return {"bytes": self.to_bytes()}

    def __setstate__(self, state):
        h = c_void_p()
        data = state["bytes"]
        check(lib.growth_forest_deserialize(ctypes.byref(h), data, len(data)))
        self.__init__(h)
