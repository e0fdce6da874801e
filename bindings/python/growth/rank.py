"""Ranking utilities (rank.h): late fusion of ranked candidate lists, score-level fusion of
several models over the same users, and a linear coarse pre-ranker.

>>> ids, scores = growth.rank.fuse([(bm25_ids, bm25_scores), (vec_ids, vec_scores)], k=20)
>>> ids, scores = growth.rank.prerank(features, weights, bias=0.1, top_n=100, ids=candidates)
>>> fused = growth.rank.fuse_scores(model_scores, weights, normalize="rank")
>>> weights, precision = growth.rank.fuse_fit(model_scores, labels, 1000, step=0.1)

``fuse`` and ``prerank`` are also ``growth.text.fuse`` / ``growth.text.prerank``;
``fuse_scores`` and ``fuse_fit`` are ``growth.audience.fuse`` / ``growth.audience.fuse_fit``.
"""
from __future__ import annotations

import ctypes
from typing import Sequence

import numpy as np

from . import _lib
from ._lib import lib, check, enc, c_int, c_size_t, c_void_p, c_char_p, c_float, P
from ._options import _config
from ._arrays import ptr
from .errors import InvalidArgument
from ._types import ArrayLike
from .audience import fuse as fuse_scores, fuse_fit

_lib.declare({
    "growth_rank_fuse_lists": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_size_t, c_char_p,
                                       c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_rank_prerank": (c_int, [c_void_p, c_size_t, c_size_t, c_void_p, c_void_p, c_float, c_size_t,
                                    c_void_p, c_void_p, c_size_t, P(c_size_t)]),
})

__all__ = ["fuse", "fuse_scores", "fuse_fit", "prerank"]


def _ids(x, name="ids"):
    a = np.ascontiguousarray(x, dtype=np.int64)
    if a.ndim != 1:
        raise InvalidArgument(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def _normalize(norm, normalize):
    """The list normalisation from the keyword ``normalize`` or its older name ``norm``."""
    if norm is not None and normalize is not None and norm != normalize:
        raise InvalidArgument(f"norm={norm!r} and normalize={normalize!r} disagree (they are one option)")
    return normalize if normalize is not None else (norm if norm is not None else "minmax")


def fuse(lists: Sequence[tuple[ArrayLike, ArrayLike | None]], k: int, method: str = "rrf",
         weights: ArrayLike | None = None, rrf_k: float = 60, norm: str | None = None, *,
         normalize: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fuses ranked candidate lists into one de-duplicated top-k list.

    ``lists``: a sequence of ``(ids, scores)`` pairs (best first; scores may be None for
    ``method='rrf'``). ``method='rrf'``: sum of w / (rrf_k + rank); ``'weighted'``: sum of
    w * normalised score, ``normalize`` (also accepted as ``norm``) ``'minmax'`` (default; a
    list whose scores are all equal maps them to 1), ``'max'`` or ``'none'``. Returns
    ``(ids, scores)``.
    """
    k = int(k)
    if k < 1:
        raise InvalidArgument(f"k must be >= 1, got {k}")
    if len(lists) == 0:
        raise InvalidArgument("fuse needs at least one list")
    normalize = _normalize(norm, normalize)
    keep, id_ptrs, sc_ptrs, lens = [], [], [], []
    for i, item in enumerate(lists):
        ids, scores = item
        ids = _ids(ids, f"lists[{i}] ids")
        keep.append(ids)
        id_ptrs.append(ids.ctypes.data if ids.size else None)
        if scores is None:
            sc_ptrs.append(None)
        else:
            s = np.ascontiguousarray(scores, dtype=np.float32)
            if s.shape != ids.shape:
                raise InvalidArgument(f"lists[{i}]: {ids.size} ids but scores of shape {s.shape}")
            keep.append(s)
            sc_ptrs.append(s.ctypes.data if s.size else None)
        lens.append(ids.size)
    n = len(lists)
    id_arr = (c_void_p * n)(*id_ptrs)
    sc_arr = (c_void_p * n)(*sc_ptrs)
    len_arr = np.asarray(lens, dtype=np.uintp)
    w = None
    if weights is not None:
        w = np.ascontiguousarray(weights, dtype=np.float64)
        if w.shape != (n,):
            raise InvalidArgument(f"weights must have {n} entries, got shape {w.shape}")
    cap = k
    out_ids = np.empty(cap, dtype=np.int64)
    out_sc = np.empty(cap, dtype=np.float32)
    found = c_size_t(0)
    cfg = _config(method=method, rrf_k=rrf_k, normalize=normalize)
    check(lib.growth_rank_fuse_lists(ctypes.addressof(id_arr), ctypes.addressof(sc_arr), ptr(len_arr),
                                     ptr(w), n, k, enc(cfg), ptr(out_ids), ptr(out_sc), cap, ctypes.byref(found)))
    m = found.value
    return out_ids[:m].copy(), out_sc[:m].copy()


def prerank(features: ArrayLike, weights: ArrayLike, bias: float = 0.0, top_n: int = 100,
            ids: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Coarse ranking: score = features @ weights + bias over a candidate set (n x d), keep the
    ``top_n`` best. Returns ``(ids or row numbers int64, scores float32)``, best first."""
    x = np.ascontiguousarray(features, dtype=np.float32)
    if x.ndim != 2:
        raise InvalidArgument(f"features must be 2-D (candidates x features), got shape {x.shape}")
    w = np.ascontiguousarray(weights, dtype=np.float32)
    if w.shape != (x.shape[1],):
        raise InvalidArgument(f"weights must have {x.shape[1]} entries, got shape {w.shape}")
    n, d = x.shape
    idv = None
    if ids is not None:
        idv = _ids(ids)
        if idv.size != n:
            raise InvalidArgument(f"{n} candidates but {idv.size} ids")
    top_n = int(top_n)
    cap = max(1, min(n, top_n))
    out_ids = np.empty(cap, dtype=np.int64)
    out_sc = np.empty(cap, dtype=np.float32)
    found = c_size_t(0)
    check(lib.growth_rank_prerank(ptr(x), n, d, ptr(idv), ptr(w), float(bias), top_n,
                                  ptr(out_ids), ptr(out_sc), cap, ctypes.byref(found)))
    m = found.value
    return out_ids[:m].copy(), out_sc[:m].copy()
