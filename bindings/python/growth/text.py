"""Term recall (text.h): a BM25 inverted index over item texts, and hybrid fusion of term and
vector candidates. ``fuse`` and ``prerank`` (rank.h) live in :mod:`growth.rank` and are
re-exported here under their old names.

>>> ix = growth.TextIndex(k1=1.2, b=0.75, ngram=2)
>>> ix.add([101, 102], ["红色 连衣裙 夏季", "blue summer dress"])
>>> ids, scores = ix.search("连衣裙", k=10)
>>> ids, scores = growth.hybrid_search(ix, "连衣裙", vec_ids, vec_scores, k=10, method="rrf")
"""
from __future__ import annotations

import ctypes
from typing import Any, Callable, Sequence

import numpy as np

from . import _lib
from ._lib import lib, check, enc, read_string, Handle, P, c_int, c_size_t, c_void_p, c_char_p, c_uint32, c_uint64
from ._options import _config
from ._arrays import ptr
from ._handle import OwnedModel
from .errors import InvalidArgument
from ._types import ArrayLike, Progress
from .rank import fuse, prerank, _normalize
from .recall import _Filter, FILTER_FN as _FILTER_FN, PROGRESS_FN, progress_callback


class _Stats(ctypes.Structure):
    """growth_text_stats (text.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("docs", c_uint64),
                ("terms", c_uint64), ("postings", c_uint64), ("posting_bytes", c_uint64),
                ("memory_bytes", c_uint64)]


_lib.declare({
    "growth_text_create": (c_int, [P(Handle), c_char_p]),
    "growth_text_free": (None, [Handle]),
    "growth_text_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_text_set_config": (c_int, [Handle, c_char_p]),
    "growth_text_add": (c_int, [Handle, c_void_p, c_void_p, c_size_t]),
    "growth_text_add_packed": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_text_remove": (c_int, [Handle, c_void_p, c_size_t, P(c_size_t)]),
    "growth_text_compact": (c_int, [Handle]),
    "growth_text_stats_get": (c_int, [Handle, P(_Stats)]),
    "growth_text_set_progress": (c_int, [Handle, PROGRESS_FN, c_void_p]),
    "growth_text_search": (c_int, [Handle, c_char_p, c_size_t, P(_Filter), c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_text_score": (c_int, [Handle, c_char_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_text_save": (c_int, [Handle, c_char_p]),
    "growth_text_load": (c_int, [P(Handle), c_char_p]),
    "growth_text_serialize": (c_int, [Handle, P(c_void_p), P(c_size_t)]),
    "growth_text_deserialize": (c_int, [P(Handle), c_void_p, c_size_t]),
})

__all__ = ["TextIndex", "hybrid_search", "fuse", "prerank"]


def _ids(x, name="ids"):
    a = np.ascontiguousarray(x, dtype=np.int64)
    if a.ndim != 1:
        raise InvalidArgument(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def _query(q):
    if isinstance(q, bytes):
        return q
    if not isinstance(q, str):
        raise InvalidArgument(f"query must be str or bytes, got {type(q).__name__}")
    return q.encode("utf-8", "surrogatepass")


def _make_filter(allow, bitmap, bitmap_bits, keep):
    """Builds a growth_id_filter (or None); returns (filter, objects to keep alive)."""
    if allow is None and bitmap is None and keep is None:
        return None, ()
    f = _Filter()
    f.struct_size = ctypes.sizeof(_Filter)
    alive = []
    if allow is not None:
        a = np.unique(_ids(allow, "allow"))  # sorted, distinct
        alive.append(a)
        f.allow, f.n_allow = a.ctypes.data if a.size else None, a.size
        if a.size == 0:  # an empty allow-list lets nothing through
            a = np.array([-1], dtype=np.int64)
            alive.append(a)
            f.allow, f.n_allow = a.ctypes.data, 1
    if bitmap is not None:
        bm = np.asarray(bitmap)
        if bm.dtype == np.bool_:
            bits = bm.size if bitmap_bits is None else int(bitmap_bits)
            bm = np.packbits(bm, bitorder="little")
        else:
            bm = np.ascontiguousarray(bm, dtype=np.uint8)
            bits = bm.size * 8 if bitmap_bits is None else int(bitmap_bits)
        if bits > bm.size * 8:
            raise InvalidArgument(f"bitmap_bits {bits} exceeds the {bm.size * 8} bits given")
        alive.append(bm)
        f.bitmap, f.bitmap_bits = (bm.ctypes.data if bm.size else None), bits
    if keep is not None:
        cb = _FILTER_FN(lambda i, _u: 1 if keep(int(i)) else 0)
        alive.append(cb)
        f.fn = cb
    return f, alive


class TextIndex(OwnedModel):
    """BM25 inverted index over item texts (words for space-delimited languages, character
    n-grams for Chinese/Japanese/Korean runs). See text.h for the tokenisation rules.

    ``TextIndex(k1=1.2, b=0.75, ngram=2, lowercase=True)``. Searches may run from many threads
    at once; ``add``/``delete`` take the index's writer lock.
    """

    _free_fn = "growth_text_free"
    _api = "growth_text"

    def __init__(self, k1: float | None = None, b: float | None = None, ngram: int | None = None,
                 lowercase: bool | None = None, *, search: str | None = None, config: str | None = None) -> None:
        cfg = _config(config, k1=k1, b=b, ngram=ngram, lowercase=lowercase, search=search)
        h = ctypes.c_void_p()
        check(lib.growth_text_create(ctypes.byref(h), enc(cfg)))
        self._h = h

    # -- introspection ---------------------------------------------------------------------
    @property
    def config(self) -> str:
        """The full effective configuration string."""
        return read_string(lib.growth_text_config, self._handle())

    def set(self, k1: float | None = None, b: float | None = None, *, search: str | None = None) -> None:
        """Changes the query-time BM25 parameters and/or the top-k algorithm (``search='wand'``,
        block-max pruning (MaxScore), or ``'exhaustive'``, every posting; both give the same results)."""
        check(lib.growth_text_set_config(self._handle(), enc(_config(k1=k1, b=b, search=search))))

    def counts(self) -> tuple[int, int, int]:
        """(live documents, distinct live terms, stored postings)."""
        st = _Stats()
        st.struct_size = ctypes.sizeof(_Stats)
        check(lib.growth_text_stats_get(self._handle(), ctypes.byref(st)))
        return st.docs, st.terms, st.postings

    @property
    def memory_bytes(self) -> int:
        """Bytes the index holds (growth_text_stats.memory_bytes)."""
        return self._stats().memory_bytes

    @property
    def posting_bytes(self) -> int:
        """Bytes of the compressed postings and their block headers."""
        return self._stats().posting_bytes

    def _stats(self) -> _Stats:
        st = _Stats()
        st.struct_size = ctypes.sizeof(_Stats)
        check(lib.growth_text_stats_get(self._handle(), ctypes.byref(st)))
        return st

    def set_progress(self, fn: Progress | None) -> TextIndex:
        """Progress of add / compact: ``fn(stage, done)`` (stage 'add' or 'compact', done in
        [0, 1]) returning something truthy cancels the call, which raises growth.Canceled and
        leaves the index as it was. ``None`` removes the callback."""
        self._set_callback(lib.growth_text_set_progress, progress_callback(fn))
        return self

    def __len__(self):
        return self.counts()[0]

    # -- updates -----------------------------------------------------------------------------
    def add(self, ids: ArrayLike, texts: Sequence[str | bytes]) -> TextIndex:
        """Adds documents: ``ids`` (int64 >= 0, new) and ``texts`` (str or UTF-8 bytes).
        All or nothing; a bad text raises InvalidArgument naming it."""
        ids = _ids(ids)
        if isinstance(texts, (str, bytes)):
            raise InvalidArgument("texts must be a sequence of strings, not one string")
        enc_texts = [t if isinstance(t, bytes) else str(t).encode("utf-8", "surrogatepass") for t in texts]
        if len(enc_texts) != ids.size:
            raise InvalidArgument(f"{ids.size} ids but {len(enc_texts)} texts")
        if ids.size == 0:
            return self
        lens = np.fromiter((len(t) for t in enc_texts), dtype=np.uint64, count=len(enc_texts))
        offsets = np.zeros(ids.size + 1, dtype=np.uint64)
        np.cumsum(lens, out=offsets[1:])
        data = b"".join(enc_texts)
        check(lib.growth_text_add_packed(self._handle(), ptr(ids), data, ptr(offsets), ids.size))
        return self

    def delete(self, ids: ArrayLike) -> TextIndex:
        """Removes documents by id (growth_text_remove): ids that are not live are skipped and
        an id listed twice is removed once. Returns the index; :meth:`remove` returns the count."""
        self.remove(ids)
        return self

    def remove(self, ids: int | ArrayLike) -> int:
        """Removes documents by id; returns how many were removed (absent ids are skipped)."""
        ids = _ids(np.atleast_1d(ids))
        out = c_size_t(0)
        check(lib.growth_text_remove(self._handle(), ptr(ids), ids.size, ctypes.byref(out)))
        return out.value

    def compact(self) -> TextIndex:
        """Drops removed documents' postings from memory. Returns the index."""
        check(lib.growth_text_compact(self._handle()))
        return self

    # -- queries -----------------------------------------------------------------------------
    def search(self, query: str | bytes, k: int = 10, *, allow: ArrayLike | None = None,
               bitmap: ArrayLike | None = None, bitmap_bits: int | None = None,
               keep: Callable[[int], Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best documents by BM25 as ``(ids int64, scores float32)``, best first
        (fewer when fewer documents share a term with the query).

        Filters (all that are given must pass): ``allow`` ids, ``bitmap`` (bool array indexed
        by id, or packed uint8 bytes, LSB first), ``keep`` (a Python callable id -> bool; slow).
        An empty query raises InvalidArgument.
        """
        k = int(k)
        if k < 1:
            raise InvalidArgument(f"k must be >= 1, got {k}")
        f, _alive = _make_filter(allow, bitmap, bitmap_bits, keep)
        ids = np.empty(k, dtype=np.int64)
        scores = np.empty(k, dtype=np.float32)
        found = c_size_t(0)
        check(lib.growth_text_search(self._handle(), _query(query), k,
                                     ctypes.byref(f) if f is not None else None,
                                     ptr(ids), ptr(scores), k, ctypes.byref(found)))
        n = found.value
        return ids[:n].copy(), scores[:n].copy()

    def score(self, query: str | bytes, ids: ArrayLike) -> np.ndarray:
        """BM25 scores of the given live documents for a query (0 without shared terms)."""
        ids = _ids(ids)
        out = np.empty(ids.size, dtype=np.float32)
        check(lib.growth_text_score(self._handle(), _query(query), ptr(ids), ids.size, ptr(out), out.size))
        return out

    # -- persistence: save/load/to_bytes/from_bytes/pickle from OwnedModel -------------------


def hybrid_search(text_index: TextIndex, query: str | bytes, vector_ids: ArrayLike,
                  vector_scores: ArrayLike | None = None, k: int = 10, method: str = "rrf", *,
                  text_k: int | None = None, weights: ArrayLike | None = None, rrf_k: float = 60,
                  norm: str | None = None, normalize: str | None = None, allow: ArrayLike | None = None,
                  bitmap: ArrayLike | None = None,
                  bitmap_bits: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hybrid recall in one call: BM25 search of ``query`` on ``text_index`` (its best
    ``text_k`` documents, default max(k, 100), with the same filters) fused with the vector
    candidates ``(vector_ids, vector_scores)`` from any vector index (best first; for
    ``weighted`` higher scores must be better, e.g. inner product or cosine), by reciprocal-rank fusion
    (``method='rrf'``) or weighted normalised scores (``method='weighted'``, ``normalize`` or
    its older name ``norm``: 'minmax', 'max', 'none'). ``weights`` is (text weight, vector weight). Returns ``(ids int64, fused scores float32)``, de-duplicated.
    Filters apply to the text side; pass vector candidates already filtered the same way.
    """
    k = int(k)
    tk = max(k, 100) if text_k is None else int(text_k)
    t_ids, t_scores = text_index.search(query, tk, allow=allow, bitmap=bitmap, bitmap_bits=bitmap_bits)
    v_ids = _ids(vector_ids, "vector_ids")
    v_sc = None if vector_scores is None else np.ascontiguousarray(vector_scores, dtype=np.float32)
    if v_sc is not None and v_sc.shape != v_ids.shape:
        raise InvalidArgument(f"{v_ids.size} vector_ids but vector_scores of shape {v_sc.shape}")
    if method == "weighted" and v_sc is None:
        raise InvalidArgument("method='weighted' needs vector_scores")
    return fuse([(t_ids, t_scores), (v_ids, v_sc)], k, method=method, weights=weights, rrf_k=rrf_k,
                normalize=_normalize(norm, normalize))
