"""FTRL-Proximal online logistic regression with several heads (ctr.h)."""
import ctypes

import numpy as np

from ._handle import OwnedModel
from ._lib import lib, check, enc, read_string
from ._options import _config
from ._arrays import ptr, to_csr, f32
from .errors import InvalidArgument

LABEL_MISSING = -1.0
_PREDICT_MARGIN = 0x1  # GROWTH_PREDICT_MARGIN (common.h)


def _heads(heads):
    """``heads`` as a count or a list of names -> (heads=, head_names=) options."""
    if heads is None or isinstance(heads, (int, np.integer)):
        return heads, None
    names = [str(n) for n in heads]
    return len(names), names


class FtrlStats(ctypes.Structure):
    """growth_ftrl_stats (ctr.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("heads", ctypes.c_uint64), ("bits", ctypes.c_uint64),
                ("examples", ctypes.c_uint64), ("nonzero", ctypes.c_uint64)]


class FTRL(OwnedModel):
    """FTRL-Proximal logistic regression on hashed sparse features, one or several heads.

    ``FTRL(alpha=0.05, beta=1, l1=1, l2=1, bits=24, heads=1)``; ``heads`` may be a count or a
    list of names (``heads=['click', 'cart', 'buy']``). Other keyword arguments are passed to
    the C configuration (``bias``, ``precision='compact'``, ``seed``).

    X is a scipy.sparse matrix (column = slot), a CSR tuple ``(indptr, indices[, values])`` or
    a dense 2-D array. Labels are 0/1; ``-1`` or NaN means "no label for this head".
    With one head, predictions are a 1-D array of P(y=1); with several, rows x heads.
    """

    _free_fn = "growth_ftrl_free"
    _api = "growth_ftrl"  # save() writes the full training state: load() resumes training exactly

    def __init__(self, alpha=None, beta=None, l1=None, l2=None, bits=None, heads=None, *,
                 config=None, _handle=None, **options):
        if _handle is not None:
            self._h = _handle
        else:
            n_heads, names = _heads(heads)
            cfg = _config(config, alpha=alpha, beta=beta, l1=l1, l2=l2, bits=bits, heads=n_heads,
                          head_names=names, **options)
            h = ctypes.c_void_p()
            check(lib.growth_ftrl_create(ctypes.byref(h), enc(cfg)))
            self._h = h
        st = self._stats()
        self.n_heads = int(st.heads)
        self.bits = int(st.bits)

    # -- lifetime ------------------------------------------------------------------------

    # -- introspection -------------------------------------------------------------------
    @property
    def config(self):
        """The full effective configuration string."""
        return read_string(lib.growth_ftrl_config, self._handle())

    def head_index(self, name):
        out = ctypes.c_size_t(0)
        check(lib.growth_ftrl_head_index(self._handle(), enc(name), ctypes.byref(out)))
        return out.value

    def _stats(self):
        st = FtrlStats(struct_size=ctypes.sizeof(FtrlStats))
        check(lib.growth_ftrl_stats_get(self._handle(), ctypes.byref(st)))
        return st

    def stats(self):
        """(examples trained on, slots with a non-zero weight in any head)."""
        st = self._stats()
        return st.examples, st.nonzero

    def weight(self, index, head=0):
        """Weight of a slot (index=None for the bias)."""
        out = ctypes.c_float(0)
        idx = 0xFFFFFFFF if index is None else int(index)
        check(lib.growth_ftrl_weight(self._handle(), int(head), idx, ctypes.byref(out)))
        return out.value

    # -- data ----------------------------------------------------------------------------
    def _labels(self, y, nrows):
        y = np.asarray(y, dtype=np.float32)
        if self.n_heads == 1 and y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.shape != (nrows, self.n_heads):
            raise InvalidArgument(f"y has shape {y.shape}, expected ({nrows}, {self.n_heads})"
                                  if self.n_heads > 1 else
                                  f"y has {y.shape[0]} labels for {nrows} rows")
        y = np.where(np.isnan(y), np.float32(LABEL_MISSING), y)
        return np.ascontiguousarray(y, dtype=np.float32)

    def _weights(self, sample_weight, nrows):
        if sample_weight is None:
            return None
        w = f32(sample_weight, "sample_weight", 1)
        if w.shape[0] != nrows:
            raise InvalidArgument(f"sample_weight has {w.shape[0]} entries for {nrows} rows")
        return w

    def _shape_out(self, out):
        return out[:, 0].copy() if self.n_heads == 1 else out

    # -- training and prediction ---------------------------------------------------------
    def partial_fit(self, X, y, sample_weight=None):
        """Trains on the rows of X in order (one online pass). Returns self."""
        indptr, idx, val, n = to_csr(X)
        y = self._labels(y, n)
        w = self._weights(sample_weight, n)
        check(lib.growth_ftrl_update_csr(self._handle(), ptr(indptr), ptr(idx), ptr(val), n,
                                           ptr(y), ptr(w), None, 0))
        return self

    def predict_update(self, X, y, sample_weight=None):
        """Progressive validation: returns each row's prediction made before training on it."""
        indptr, idx, val, n = to_csr(X)
        y = self._labels(y, n)
        w = self._weights(sample_weight, n)
        out = np.empty((n, self.n_heads), dtype=np.float32)
        check(lib.growth_ftrl_update_csr(self._handle(), ptr(indptr), ptr(idx), ptr(val), n,
                                           ptr(y), ptr(w), ptr(out), out.size))
        return self._shape_out(out)

    def predict_proba(self, X):
        """P(y=1) per row (1-D with one head, rows x heads with several)."""
        indptr, idx, val, n = to_csr(X)
        out = np.empty((n, self.n_heads), dtype=np.float32)
        check(lib.growth_ftrl_predict_csr(self._handle(), ptr(indptr), ptr(idx), ptr(val), n, 0,
                                          ptr(out), out.size))
        return self._shape_out(out)

    def decision_function(self, X):
        """Margins (logits) per row."""
        indptr, idx, val, n = to_csr(X)
        out = np.empty((n, self.n_heads), dtype=np.float32)
        check(lib.growth_ftrl_predict_csr(self._handle(), ptr(indptr), ptr(idx), ptr(val), n,
                                          _PREDICT_MARGIN, ptr(out), out.size))
        return self._shape_out(out)

    # -- ESMM ----------------------------------------------------------------------------
    def esmm_fit(self, X, click, conversion, ctr_head=0, cvr_head=1, sample_weight=None):
        """ESMM training over the impression space: the CTR head on clicks, the CVR head
        through the CTCVR loss on click & conversion."""
        indptr, idx, val, n = to_csr(X)
        click = f32(click, "click", 1)
        conv = f32(conversion, "conversion", 1)
        w = self._weights(sample_weight, n)
        if click.shape[0] != n or conv.shape[0] != n:
            raise InvalidArgument("click and conversion need one entry per row")
        for r in range(n):
            b, e = int(indptr[r]), int(indptr[r + 1])
            check(lib.growth_ftrl_esmm_update(self._handle(), ctr_head, cvr_head, ptr(idx[b:e]),
                                         None if val is None else ptr(val[b:e]), e - b,
                                         float(click[r]), float(conv[r]),
                                         1.0 if w is None else float(w[r])))
        return self

    # -- persistence ---------------------------------------------------------------------
    def export_weights(self, path):
        """Saves only the non-zero weights, for serving."""
        check(lib.growth_ftrl_export_weights(self._handle(), enc(str(path))))

    def __getstate__(self):
        return {"bytes": self.to_bytes()}

    def __setstate__(self, state):
        h = ctypes.c_void_p()
        data = state["bytes"]
        check(lib.growth_ftrl_deserialize(ctypes.byref(h), data, len(data)))
        self.__init__(_handle=h)


def esmm_predict(ctr_model, cvr_model, X, ctr_head=0, cvr_head=1):
    """pCTR, pCVR and pCTCVR = pCTR x pCVR per row, as an (n, 3) array. The two models may be
    the same FTRL (two heads) or different ones."""
    indptr, idx, val, n = to_csr(X)
    out = np.empty((n, 3), dtype=np.float32)
    for r in range(n):
        b, e = int(indptr[r]), int(indptr[r + 1])
        check(lib.growth_ftrl_esmm_predict(ctr_model._handle(), ctr_head, cvr_model._handle(), cvr_head,
                                      ptr(idx[b:e]), None if val is None else ptr(val[b:e]), e - b,
                                      ptr(out[r]), 3))
    return out
