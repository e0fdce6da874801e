"""Dense nets (MLP, Wide&Deep) and DSSM text towers (nets.h); numpy in and out.

``Net.load(path).predict(X)``, ``DSSM.load(path).encode_queries(texts)``. Models come from
``growth.export`` (PyTorch or numpy weights). Each Python thread gets its own C workspace, so a
model object may be shared by threads.
"""
from __future__ import annotations

import ctypes
import os
import threading
from typing import Sequence, TypeVar

import numpy as np

from ._lib import lib, check, enc, read_string, declare
from ._options import _config
from ._arrays import ptr, f32
from ._handle import OwnedModel
from .errors import InvalidArgument, EBUFS
from ._types import ArrayLike, PathLike

_N = TypeVar("_N", bound="_Model")

c_int, c_size_t, c_uint32, c_uint64 = ctypes.c_int, ctypes.c_size_t, ctypes.c_uint32, ctypes.c_uint64
c_char_p, c_void_p, P = ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER
H = c_void_p

declare({
    "growth_net_load": (c_int, [P(H), c_char_p]),
    "growth_net_deserialize": (c_int, [P(H), c_void_p, c_size_t]),
    "growth_net_save": (c_int, [H, c_char_p]),
    "growth_net_serialize": (c_int, [H, P(c_void_p), P(c_size_t)]),
    "growth_net_free": (None, [H]),
    "growth_net_config": (c_int, [H, c_char_p, c_size_t, P(c_size_t)]),
    "growth_net_stats_get": (c_int, [H, c_void_p]),
    "growth_net_workspace_create": (c_int, [P(H), H, c_char_p]),
    "growth_net_workspace_free": (None, [H]),
    "growth_net_predict": (c_int, [H, H, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_net_predict_dense": (c_int, [H, H, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t]),
    "growth_net_predict_wide_deep": (c_int, [H, H, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t,
                                             c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_net_predict_wide_deep_csr": (c_int, [H, H, c_void_p, c_size_t, c_size_t, c_void_p, c_void_p,
                                                   c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_features_hash_text": (c_int, [c_char_p, c_uint32, c_uint64, c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_dssm_load": (c_int, [P(H), c_char_p]),
    "growth_dssm_deserialize": (c_int, [P(H), c_void_p, c_size_t]),
    "growth_dssm_save": (c_int, [H, c_char_p]),
    "growth_dssm_serialize": (c_int, [H, P(c_void_p), P(c_size_t)]),
    "growth_dssm_free": (None, [H]),
    "growth_dssm_config": (c_int, [H, c_char_p, c_size_t, P(c_size_t)]),
    "growth_dssm_stats_get": (c_int, [H, c_void_p]),
    "growth_dssm_workspace_create": (c_int, [P(H), H, c_char_p]),
    "growth_dssm_encode": (c_int, [H, H, c_int, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_dssm_score": (c_int, [H, H, c_char_p, c_void_p, c_size_t, c_void_p, c_size_t]),
})

QUERY, ITEM = 0, 1  # growth_dssm_tower


class _NetStats(ctypes.Structure):
    """growth_net_stats (nets.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("dense_dim", c_uint64),
                ("fields", c_uint64), ("wide_rows", c_uint64), ("out_dim", c_uint64)]


class _DssmStats(ctypes.Structure):
    """growth_dssm_stats (nets.h)."""
    _fields_ = [("struct_size", c_uint32), ("buckets", c_uint32), ("dim", c_uint64),
                ("seed", c_uint64)]


def hash_text(text: str | bytes, buckets: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """DSSM word hashing: (slots uint32 ascending, counts float32) of a text (see nets.h)."""
    b = enc(text)
    cap = 2 * len(b) + 4
    n = c_size_t(0)
    for _ in range(2):
        idx = np.empty(cap, np.uint32)
        val = np.empty(cap, np.float32)
        rc = lib.growth_features_hash_text(b, int(buckets), int(seed), ptr(idx), ptr(val), cap,
                                           ctypes.byref(n))
        if rc != EBUFS:
            break
        cap = n.value  # the exact number of distinct slots
    check(rc)
    return idx[:n.value].copy(), val[:n.value].copy()


def hash_texts(texts: Sequence[str | bytes], buckets: int,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word hashing of many texts as CSR: (indptr int64, slots int64, counts float32)."""
    parts = [hash_text(t, buckets, seed) for t in texts]
    indptr = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([p[0].size for p in parts], out=indptr[1:])
    idx = np.concatenate([p[0] for p in parts]).astype(np.int64) if parts else np.zeros(0, np.int64)
    val = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.float32)
    return indptr, idx, val


class _Model(OwnedModel):
    """Net and DSSM: a model handle plus one C workspace per Python thread (created on the
    thread's first call, freed with the model)."""
    _prefix = None

    def __init__(self) -> None:
        raise TypeError(f"a {type(self).__name__} comes from {type(self).__name__}.load(path) or "
                        f".from_bytes(data) (models are written by growth.export)")

    def _fn(self, verb):
        return getattr(lib, f"growth_{self._prefix}_{verb}")

    @classmethod
    def load(cls: type[_N], path: PathLike, batch: int = 256) -> _N:
        """Reads a model file; ``batch`` is the rows each thread's workspace computes at once."""
        h = c_void_p()
        check(getattr(lib, f"growth_{cls._prefix}_load")(ctypes.byref(h), enc(os.fspath(path))))
        return cls._wrap(h, batch=int(batch))

    @classmethod
    def from_bytes(cls: type[_N], data: bytes, batch: int = 256) -> _N:
        """A model from the bytes of a model file (``to_bytes()``)."""
        return cls._wrap(cls._deserialize(data), batch=int(batch))

    def _attached(self):
        self.__dict__.setdefault("batch", 256)
        self._local = threading.local()
        self._ws_lock = threading.Lock()
        self._spaces = []
        self._dims()

    def _dims(self):
        pass

    def _ws(self):
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = c_void_p()
            check(self._fn("workspace_create")(ctypes.byref(ws), self._handle(), enc(_config(batch=self.batch))))
            with self._ws_lock:
                self._spaces.append(ws)
            self._local.ws = ws
        return ws

    def _free(self):
        # Runs when no call holds a lease: no thread is inside a call with its workspace.
        spaces = self.__dict__.get("_spaces", [])
        self._spaces = []
        self._local = threading.local()
        for ws in spaces:
            lib.growth_net_workspace_free(ws)
        super()._free()

    @property
    def config(self) -> str:
        """Description of the architecture."""
        return read_string(self._fn("config"), self._handle())


def _csr(pair, nrows, name, n_arrays):
    if pair is None:
        return None, [None] * n_arrays
    if len(pair) not in (n_arrays, n_arrays + 1):
        raise InvalidArgument(f"{name} must be (indptr, ...) with {n_arrays} arrays after indptr")
    indptr = np.ascontiguousarray(pair[0], dtype=np.uint64)
    if indptr.shape != (nrows + 1,):
        raise InvalidArgument(f"{name} indptr has shape {indptr.shape}, expected ({nrows + 1},)")
    end = int(indptr[-1])
    arrays = []
    for k, a in enumerate(pair[1:]):
        if a is None:
            arrays.append(None)
            continue
        dt = np.float32 if (name == "wide" and k == 1) else np.uint32
        a = np.ascontiguousarray(a, dtype=dt)
        if a.ndim != 1 or a.size < end:
            raise InvalidArgument(f"{name}: indptr ends at {end} but array {k} has {a.size} entries")
        arrays.append(a)
    arrays += [None] * (n_arrays - len(arrays))
    return indptr, arrays


class Net(_Model):
    """A dense network (MLP or Wide&Deep) loaded from a libgrowth `net` file.

    ``predict(X)``: X is (rows, dense_dim) float32 (or one row, 1-D); returns (rows, out_dim)
    (or (out_dim,) for one row). ``predict_wide_deep(X, cat=(indptr, field, id),
    wide=(indptr, idx[, val]))`` adds categorical ids and wide features (CSR over rows).
    """
    _prefix = "net"
    _free_fn = "growth_net_free"
    _api = "growth_net"

    def _dims(self):
        st = _NetStats(struct_size=ctypes.sizeof(_NetStats))
        check(lib.growth_net_stats_get(self._handle(), ctypes.byref(st)))
        self.dense_dim, self.n_fields, self.wide_rows, self.out_dim = (
            int(st.dense_dim), int(st.fields), int(st.wide_rows), int(st.out_dim))

    def _x(self, X):
        X = f32(X, "X")
        if X.ndim == 1:
            return X.reshape(1, -1), True
        if X.ndim != 2:
            raise InvalidArgument(f"X must be 1-D or 2-D, got shape {X.shape}")
        return X, False

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Outputs of the dense rows X ((rows, dense_dim), or one 1-D row): (rows, out_dim), or
        (out_dim,) for one row."""
        X, single = self._x(X)
        n = X.shape[0]
        out = np.empty((n, self.out_dim), np.float32)
        if single:
            check(lib.growth_net_predict(self._handle(), self._ws(), ptr(X), X.shape[1], ptr(out), out.size))
            return out[0]
        check(lib.growth_net_predict_dense(self._handle(), self._ws(), ptr(X), n, X.shape[1], ptr(out), out.size))
        return out

    def predict_wide_deep(self, X: ArrayLike | None = None, cat: tuple | None = None, wide: tuple | None = None,
                          nrows: int | None = None) -> np.ndarray:
        """Outputs of a Wide&Deep net: dense X (rows, dense_dim) or None (``nrows`` rows
        without dense features), ``cat=(indptr, field, id)`` categorical ids and
        ``wide=(indptr, idx[, val])`` wide features, both CSR over rows. (rows, out_dim)."""
        if X is None:
            n = nrows if nrows is not None else (len(cat[0]) - 1 if cat is not None else len(wide[0]) - 1)
            X, single = np.zeros((n, 0), np.float32), False
        else:
            X, single = self._x(X)
        n = X.shape[0]
        cp, (cf, ci) = _csr(cat, n, "cat", 2)
        wp, (wi, wv) = _csr(wide, n, "wide", 2)
        out = np.empty((n, self.out_dim), np.float32)
        check(lib.growth_net_predict_wide_deep_csr(
            self._handle(), self._ws(), ptr(X) if X.size else None, n, X.shape[1], ptr(cp), ptr(cf), ptr(ci),
            ptr(wp), ptr(wi), ptr(wv), ptr(out), out.size))
        return out[0] if single else out


def _texts(texts):
    if isinstance(texts, (str, bytes)):
        raise InvalidArgument("texts must be a sequence of strings, not one string")
    bs = [enc(t) for t in texts]
    arr = (c_char_p * max(len(bs), 1))(*bs)
    return arr, len(bs), bs


class DSSM(_Model):
    """A DSSM two-tower text model loaded from a libgrowth `dssm` file.

    ``encode_queries(texts)`` / ``encode_items(texts)`` give L2-normalised (n, dim) float32
    embeddings (cosine = dot product); ``score(query, items)`` the cosine of one query and each
    item; ``hash(text)`` the word-hashed features the towers read.
    """
    _prefix = "dssm"
    _free_fn = "growth_dssm_free"
    _api = "growth_dssm"

    def _dims(self):
        st = _DssmStats(struct_size=ctypes.sizeof(_DssmStats))
        check(lib.growth_dssm_stats_get(self._handle(), ctypes.byref(st)))
        self.dim, self.buckets, self.seed = int(st.dim), int(st.buckets), int(st.seed)

    def _encode(self, tower, texts):
        arr, n, _keep = _texts(texts)
        out = np.empty((n, self.dim), np.float32)
        check(lib.growth_dssm_encode(self._handle(), self._ws(), tower, arr, n, ptr(out), out.size))
        return out

    def encode_queries(self, texts: Sequence[str | bytes]) -> np.ndarray:
        """L2-normalised query-tower embeddings, (n, dim) float32."""
        return self._encode(QUERY, texts)

    def encode_items(self, texts: Sequence[str | bytes]) -> np.ndarray:
        """L2-normalised item-tower embeddings, (n, dim) float32."""
        return self._encode(ITEM, texts)

    def score(self, query: str | bytes, items: Sequence[str | bytes]) -> np.ndarray:
        """Cosine of one query with each item (float32, one per item)."""
        arr, n, _keep = _texts(items)
        out = np.empty(n, np.float32)
        check(lib.growth_dssm_score(self._handle(), self._ws(), enc(query), arr, n, ptr(out), out.size))
        return out

    def hash(self, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
        """The word-hashed features the towers read: (slots uint32, counts float32)."""
        return hash_text(text, self.buckets, self.seed)
