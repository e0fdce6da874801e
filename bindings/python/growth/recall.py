"""Top-K vector index: flat (exact), HNSW and IVF, filters, de-duplicating re-rank (recall.h)."""
from __future__ import annotations

import ctypes
from typing import Any, Callable

import numpy as np

from . import _lib
from ._lib import lib, check, enc, read_string, Handle, P, c_int, c_size_t, c_float, c_double, c_int64, c_uint64, c_void_p, c_char_p
from ._options import _config
from ._arrays import ptr
from ._handle import OwnedModel
from .errors import InvalidArgument
from ._types import ArrayLike, Progress

FILTER_FN = ctypes.CFUNCTYPE(c_int, c_int64, c_void_p)
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_char_p, c_double, c_void_p)


class _Filter(ctypes.Structure):
    """growth_id_filter (common.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32), ("allow", c_void_p),
                ("n_allow", c_size_t), ("bitmap", c_void_p), ("bitmap_bits", c_uint64), ("fn", FILTER_FN),
                ("user", c_void_p)]


class _Stats(ctypes.Structure):
    """growth_index_stats (recall.h)."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved", ctypes.c_uint32), ("count", c_uint64),
                ("deleted", c_uint64), ("dim", c_uint64), ("memory_bytes", c_uint64),
                ("code_bytes", c_uint64), ("bytes_per_vector", c_uint64)]


def progress_callback(fn: Progress | None) -> Any:
    """A growth_progress_fn for a Python callable fn(stage: str, done: float) -> truthy to
    cancel (None: no callback). Keep the returned object alive while the C side holds it."""
    if fn is None:
        return PROGRESS_FN()
    return PROGRESS_FN(lambda stage, done, _u: 1 if fn(stage.decode(), done) else 0)


_lib.declare({
    "growth_index_create": (c_int, [P(Handle), c_char_p]),
    "growth_index_free": (None, [Handle]),
    "growth_index_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_index_set_config": (c_int, [Handle, c_char_p]),
    "growth_index_train": (c_int, [Handle, c_void_p, c_size_t]),
    "growth_index_add": (c_int, [Handle, c_void_p, c_size_t, c_void_p]),
    "growth_index_remove": (c_int, [Handle, c_void_p, c_size_t, P(c_size_t)]),
    "growth_index_compact": (c_int, [Handle]),
    "growth_index_search": (c_int, [Handle, c_void_p, c_size_t, P(_Filter), c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_index_search_batch": (c_int, [Handle, c_void_p, c_size_t, c_size_t, P(_Filter), c_void_p, c_void_p, c_size_t]),
    "growth_index_dedup": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_float, c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_index_mmr": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_float, c_size_t, c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_index_get": (c_int, [Handle, c_int64, c_void_p, c_size_t]),
    "growth_index_stats_get": (c_int, [Handle, P(_Stats)]),
    "growth_index_set_progress": (c_int, [Handle, PROGRESS_FN, c_void_p]),
    "growth_index_save": (c_int, [Handle, c_char_p]),
    "growth_index_load": (c_int, [P(Handle), c_char_p]),
    "growth_index_serialize": (c_int, [Handle, P(c_void_p), P(c_size_t)]),
    "growth_index_deserialize": (c_int, [P(Handle), c_void_p, c_size_t]),
})


def _ids(a, name="ids"):
    a = np.ascontiguousarray(a, dtype=np.int64)
    if a.ndim != 1:
        raise InvalidArgument(f"{name} must be 1-D, got shape {a.shape}")
    return a


class Index(OwnedModel):
    """A top-K vector index over float32 embeddings with int64 ids.

    ``Index(dim=128, metric='cosine', kind='hnsw', M=16, ef_construction=200, ef=64)``;
    kinds ``'flat'`` (exact), ``'hnsw'`` and ``'ivf'`` (``nlist``, ``nprobe``); ``threads``
    for batched searches; ``quantize='int8'``; compressed storage ``storage='fp16'`` or
    ``storage='pq'`` (``pq_m`` sub-quantisers of 8 bits, ``pq_train`` sample size) for
    ``kind='flat'`` and ``'ivf'`` (IVF-PQ), ``rerank=N`` keeping the float vectors to re-score a
    short list of N. Scores: inner product or cosine similarity
    (descending), squared L2 distance (ascending).

    Filters (``search(..., allow=ids)``, ``bitmap=`` a bool array indexed by id, or
    ``where=`` a Python callable id -> bool) restrict the candidates.
    """

    _free_fn = "growth_index_free"
    _api = "growth_index"

    def __init__(self, dim: int | None = None, metric: str | None = "ip", kind: str | None = "flat", *,
                 config: str | None = None, **options: Any) -> None:
        if dim is None and not config:
            raise InvalidArgument("Index needs dim=")
        cfg = _config(config, dim=None if dim is None else int(dim), metric=metric, kind=kind,
                      **options)
        h = Handle()
        check(lib.growth_index_create(ctypes.byref(h), enc(cfg)))
        self._h = h
        self._attached()

    def _attached(self):
        self._progress = None
        self.dim = int(self._stats(self._handle()).dim)

    # -- introspection -------------------------------------------------------------------
    @property
    def config(self) -> str:
        """The full effective configuration string."""
        return read_string(lib.growth_index_config, self._handle())

    def set(self, **options: Any) -> Index:
        """Changes search-time settings: ef, nprobe, threads, rescore, rerank, filter_exact, max_memory."""
        check(lib.growth_index_set_config(self._handle(), enc(_config(**options))))
        return self

    @staticmethod
    def _stats(h):
        st = _Stats()
        st.struct_size = ctypes.sizeof(_Stats)
        check(lib.growth_index_stats_get(h, ctypes.byref(st)))
        return st

    def stats(self) -> dict[str, int]:
        """dict(count, deleted, dim, memory_bytes, code_bytes, bytes_per_vector)."""
        st = self._stats(self._handle())
        return dict(count=st.count, deleted=st.deleted, dim=st.dim, memory_bytes=st.memory_bytes,
                    code_bytes=st.code_bytes, bytes_per_vector=st.bytes_per_vector)

    def set_progress(self, fn: Progress | None) -> Index:
        """Progress of train / add / compact: ``fn(stage, done)`` (stage 'train', 'add' or
        'compact', done in [0, 1]) returning something truthy cancels the call, which raises
        growth.Canceled and leaves the index as it was. ``None`` removes the callback."""
        self._set_callback(lib.growth_index_set_progress, progress_callback(fn))
        return self

    def __len__(self):
        return self.stats()["count"]

    # -- data ----------------------------------------------------------------------------
    def _matrix(self, X, name):
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise InvalidArgument(f"{name} must be (n, {self.dim}), got shape {X.shape}")
        return X

    def train(self, X: ArrayLike) -> Index:
        """Trains the IVF quantiser on X (n x dim; kind='ivf' only, before any add; an untrained
IVF index trains on its first add). Returns self."""
        X = self._matrix(X, "X")
        check(lib.growth_index_train(self._handle(), ptr(X), X.shape[0]))
        return self

    def add(self, X: ArrayLike, ids: ArrayLike | None = None) -> Index:
        """Adds the rows of X (n x dim, or one 1-D vector) with int64 ``ids`` >= 0, unique
        (default: 1 + the largest id seen, counting up). All or nothing. Returns self."""
        X = self._matrix(X, "X")
        if ids is not None:
            ids = _ids(ids)
            if ids.shape[0] != X.shape[0]:
                raise InvalidArgument(f"{ids.shape[0]} ids for {X.shape[0]} vectors")
        check(lib.growth_index_add(self._handle(), ptr(X), X.shape[0], ptr(ids)))
        return self

    def remove(self, ids: ArrayLike) -> int:
        """Removes ids (absent ones are skipped); returns how many were removed."""
        ids = _ids(ids)
        out = c_size_t(0)
        check(lib.growth_index_remove(self._handle(), ptr(ids), ids.size, ctypes.byref(out)))
        return out.value

    def compact(self) -> Index:
        """Drops removed vectors and frees their memory (HNSW rebuilds its graph). Returns self."""
        check(lib.growth_index_compact(self._handle()))
        return self

    def get(self, id: int) -> np.ndarray:
        """The stored vector of ``id`` (growth.NotFound if absent)."""
        out = np.empty(self.dim, np.float32)
        check(lib.growth_index_get(self._handle(), int(id), ptr(out), self.dim))
        return out

    # -- search --------------------------------------------------------------------------
    @staticmethod
    def _filter(allow, bitmap, where, keep):
        if allow is None and bitmap is None and where is None:
            return None
        f = _Filter()
        f.struct_size = ctypes.sizeof(_Filter)
        if allow is not None:
            a = np.unique(_ids(allow, "allow"))
            keep.append(a)
            f.allow, f.n_allow = ptr(a), a.size
        if bitmap is not None:
            b = np.asarray(bitmap)
            if b.dtype == np.bool_:
                nbits = b.size
                b = np.packbits(b, bitorder="little")
            else:
                b = np.ascontiguousarray(b, dtype=np.uint8)
                nbits = b.size * 8
            keep.append(b)
            f.bitmap, f.bitmap_bits = ptr(b), nbits
        if where is not None:
            cb = FILTER_FN(lambda i, _u: 1 if where(int(i)) else 0)
            keep.append(cb)
            f.fn = cb
        return ctypes.byref(f)

    def search(self, Q: ArrayLike, k: int, allow: ArrayLike | None = None, bitmap: ArrayLike | None = None,
               where: Callable[[int], Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k for one query (1-D: returns ids, scores of length <= k) or a batch (2-D:
        returns (nq, k) arrays padded with id -1 and score NaN)."""
        k = int(k)
        if k < 0:
            raise InvalidArgument(f"k is {k}")
        keep = []
        filt = self._filter(allow, bitmap, where, keep)
        single = np.ndim(Q) == 1
        Q = self._matrix(Q, "Q")
        nq = Q.shape[0]
        ids = np.empty((nq, max(k, 1)), np.int64)
        scores = np.empty((nq, max(k, 1)), np.float32)
        if single:
            found = c_size_t(0)
            check(lib.growth_index_search(self._handle(), ptr(Q), k, filt, ptr(ids), ptr(scores),
                                          ids.size, ctypes.byref(found)))
            n = found.value
            return ids[0, :n].copy(), scores[0, :n].copy()
        check(lib.growth_index_search_batch(self._handle(), ptr(Q), nq, k, filt, ptr(ids),
                                            ptr(scores), ids.size))
        return ids, scores

    def dedup(self, ids: ArrayLike, scores: ArrayLike | None = None,
              max_cos: float = 0.95) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Drops items whose cosine with a better-ranked kept item exceeds max_cos."""
        ids = _ids(ids)
        sc = None if scores is None else np.ascontiguousarray(scores, dtype=np.float32)
        out_ids = np.empty(max(ids.size, 1), np.int64)
        out_sc = np.empty(max(ids.size, 1), np.float32)
        found = c_size_t(0)
        check(lib.growth_index_dedup(self._handle(), ptr(ids), ptr(sc), ids.size, float(max_cos),
                                     ptr(out_ids), ptr(out_sc), out_ids.size, ctypes.byref(found)))
        n = found.value
        return (out_ids[:n].copy(), out_sc[:n].copy()) if sc is not None else out_ids[:n].copy()

    def mmr(self, q: ArrayLike, ids: ArrayLike, k: int, lam: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Maximal marginal relevance: k of the candidate ids, trading relevance for diversity."""
        q = self._matrix(q, "q")
        ids = _ids(ids)
        out_ids = np.empty(max(int(k), 1), np.int64)
        out_sc = np.empty(max(int(k), 1), np.float32)
        found = c_size_t(0)
        check(lib.growth_index_mmr(self._handle(), ptr(q), ptr(ids), ids.size, float(lam), int(k),
                                   ptr(out_ids), ptr(out_sc), out_ids.size, ctypes.byref(found)))
        n = found.value
        return out_ids[:n].copy(), out_sc[:n].copy()

