"""Audience selection (audience.h): seed expansion, PU-learning target model, top-N metrics, fusion.

Sparse user x column matrices (attributes, brands, categories, features) are scipy.sparse
matrices, ``(indptr, indices)`` tuples or dense 0/1 arrays; users are row numbers. Seeds, pools
and user lists are integer arrays. Every function is a thin call into libgrowth; invalid input
raises ``growth.InvalidArgument`` with the library's message.

>>> import growth
>>> attrs, users = growth.audience.interest(X_attr, seed, min_tgi=150)
>>> pool, dirs = growth.audience.union({"interest": users, "peer": peers}, nusers=X_attr.shape[0])
>>> scores = growth.audience.pu_score(X_feat, seed, pool, learner="forest", method="spy")
>>> top, top_scores = growth.audience.select(pool, scores, 1000, exclude=seed)
>>> growth.audience.topn_precision(scores_valid, later_buyers, 1000)
"""
from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from . import _lib
from ._lib import lib, check, enc, c_int, c_size_t, c_double, c_float, c_void_p, P
from ._options import _config
from ._arrays import ptr, to_csr
from .errors import InvalidArgument, BufferTooSmall
from .recall import PROGRESS_FN, progress_callback
from ._types import ArrayLike, Progress, RowsLike

if TYPE_CHECKING:
    from .recall import Index

__all__ = ["INTEREST", "BRAND", "CATEGORY", "PEER", "LOST", "DIRECTIONS", "direction_names",
           "tgi", "interest", "similar_brands", "brand", "rules", "category", "peer", "peer_index",
           "lost",
           "union", "pu_score", "select", "topn_precision", "topn_recall", "lift", "fuse",
           "fuse_fit"]

_lib.declare({
    "growth_audience_tgi": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t,
                                    c_void_p, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_audience_interest": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t,
                                         ctypes.c_char_p, c_void_p, c_size_t, P(c_size_t), c_void_p,
                                         c_size_t, P(c_size_t)]),
    "growth_audience_similar_brands": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p,
                                               c_size_t, c_size_t, c_void_p, c_void_p, c_size_t]),
    "growth_audience_brand": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t,
                                      c_void_p, c_size_t, ctypes.c_char_p, c_void_p, c_size_t,
                                      P(c_size_t)]),
    "growth_audience_rules": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t,
                                      ctypes.c_char_p, c_void_p, c_void_p, c_void_p, c_void_p,
                                      c_void_p, c_size_t, P(c_size_t)]),
    "growth_audience_category": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t,
                                         c_void_p, c_size_t, ctypes.c_char_p, c_void_p, c_size_t,
                                         P(c_size_t)]),
    "growth_audience_peer": (c_int, [c_void_p, c_size_t, c_size_t, c_void_p, c_size_t, c_size_t,
                                     ctypes.c_char_p, c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_audience_peer_index": (c_int, [_lib.Handle, c_void_p, c_size_t, c_size_t, ctypes.c_char_p,
                                           c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_audience_lost": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, ctypes.c_char_p,
                                     c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_audience_union": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_size_t, c_void_p,
                                      c_void_p, c_size_t, P(c_size_t)]),
    "growth_audience_pu_score": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_size_t, c_void_p,
                                         c_size_t, c_void_p, c_size_t, ctypes.c_char_p, c_void_p,
                                         c_size_t, PROGRESS_FN, c_void_p]),
    "growth_audience_select": (c_int, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_float,
                                       c_size_t, c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_metrics_topn_precision": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, P(c_double)]),
    "growth_metrics_topn_recall": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_size_t,
                                            P(c_double)]),
    "growth_metrics_topn_lift": (c_int, [c_void_p, c_void_p, c_size_t, c_size_t, P(c_double)]),
    "growth_rank_fuse_scores": (c_int, [c_void_p, c_size_t, c_size_t, c_void_p, ctypes.c_char_p,
                                     c_void_p, c_size_t]),
    "growth_rank_fuse_fit": (c_int, [c_void_p, c_size_t, c_size_t, c_void_p, c_size_t,
                                     ctypes.c_char_p, c_void_p, c_size_t, P(c_double), PROGRESS_FN, c_void_p]),
})

INTEREST, BRAND, CATEGORY, PEER, LOST = 0x01, 0x02, 0x04, 0x08, 0x10
DIRECTIONS = {"interest": INTEREST, "brand": BRAND, "category": CATEGORY, "peer": PEER, "lost": LOST}


def direction_names(flags: int | ArrayLike) -> str | list[str]:
    """'interest|peer' for a flag value (or an array of them -> list of strings)."""
    if np.ndim(flags):
        return [direction_names(int(f)) for f in np.asarray(flags).ravel()]
    return "|".join(k for k, v in DIRECTIONS.items() if int(flags) & v)


# ---- conversions -----------------------------------------------------------------------------

def _cfg(**kw):
    return enc(_config(**kw))


def _csr(X, ncols=None):
    """(indptr u64, indices u32, nrows, ncols) of a CSR-like input."""
    shape = getattr(X, "shape", None)
    indptr, indices, _values, nrows = to_csr(X)
    if ncols is None:
        if shape is not None and len(shape) == 2:
            ncols = shape[1]
        else:
            end = int(indptr[-1])
            ncols = int(indices[:end].max()) + 1 if end else 1
    return indptr, indices, int(nrows), int(ncols)


def _ids(a, name):
    a = np.asarray(a)
    if a.size and (not np.issubdtype(a.dtype, np.integer) and not np.all(np.mod(a, 1) == 0)):
        raise InvalidArgument(f"{name} must hold integer ids")
    if a.size and a.min() < 0:
        raise InvalidArgument(f"{name} holds a negative id ({int(a.min())})")
    if a.size and a.max() > 0xFFFFFFFF:
        raise InvalidArgument(f"{name} holds an id above 2^32 - 1")
    return np.ascontiguousarray(a.reshape(-1), dtype=np.uint32)


def _f32(a, name):
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float32).reshape(-1))
    return a


def _grow(call, cap):
    """Calls call(cap) -> (rc, needed) and retries once with the needed size on EBUFS."""
    rc, need = call(cap)
    if rc == -5 and need > cap:
        cap = need
        rc, need = call(cap)
    check(rc)
    return need


# ---- directions ------------------------------------------------------------------------------

def tgi(X: RowsLike, seed: ArrayLike, ncols: int | None = None) -> dict[str, np.ndarray]:
    """TGI and TA concentration of every attribute: dict of arrays ``tgi``, ``concentration``,
    ``seed_count``, ``population_count`` (length = number of attributes)."""
    ip, ix, nu, na = _csr(X, ncols)
    s = _ids(seed, "seed")
    t, c = np.empty(na), np.empty(na)
    sc, pc = np.empty(na, np.uint64), np.empty(na, np.uint64)
    check(lib.growth_audience_tgi(ptr(ip), ptr(ix), nu, na, ptr(s), s.size, ptr(t), ptr(c), ptr(sc),
                                  ptr(pc), na))
    return {"tgi": t, "concentration": c, "seed_count": sc, "population_count": pc}


def interest(X: RowsLike, seed: ArrayLike, min_tgi: float = 120, min_concentration: float = 0,
             min_seed_count: int = 1, max_attrs: int = 0, min_match: int = 1,
             include_seed: bool = False, ncols: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interest expansion: (kept attributes best TGI first, users holding >= min_match of them)."""
    ip, ix, nu, na = _csr(X, ncols)
    s = _ids(seed, "seed")
    cfg = _cfg(min_tgi=min_tgi, min_concentration=min_concentration, min_seed_count=min_seed_count,
               max_attrs=max_attrs, min_match=min_match, include_seed=include_seed)
    attrs, users = np.empty(na, np.uint32), np.empty(nu, np.uint32)
    n1, n2 = c_size_t(), c_size_t()
    check(lib.growth_audience_interest(ptr(ip), ptr(ix), nu, na, ptr(s), s.size, cfg, ptr(attrs), na,
                                       ctypes.byref(n1), ptr(users), nu, ctypes.byref(n2)))
    return attrs[:n1.value].copy(), users[:n2.value].copy()


def similar_brands(X: RowsLike, brands: ArrayLike, k: int = 10,
                   ncols: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k brands by Jaccard similarity of buyer sets for each query brand: (ids, jaccard),
    each nquery x k; missing entries are -1 and 0."""
    ip, ix, nu, nb = _csr(X, ncols)
    q = _ids(np.atleast_1d(brands), "brands")
    ob, oj = np.empty(q.size * k, np.uint32), np.empty(q.size * k)
    check(lib.growth_audience_similar_brands(ptr(ip), ptr(ix), nu, nb, ptr(q), q.size, int(k), ptr(ob),
                                             ptr(oj), ob.size))
    ids = ob.astype(np.int64)
    ids[ob == 0xFFFFFFFF] = -1
    return ids.reshape(q.size, k), oj.reshape(q.size, k)


def brand(X: RowsLike, brands: ArrayLike, seed: ArrayLike, k: int = 10, min_jaccard: float = 0,
          min_brands: int = 1, include_seed: bool = False, ncols: int | None = None) -> np.ndarray:
    """Related-brand expansion: buyers of the k most similar brands (ascending user ids)."""
    ip, ix, nu, nb = _csr(X, ncols)
    q, s = _ids(np.atleast_1d(brands), "brands"), _ids(seed, "seed")
    out, n = np.empty(nu, np.uint32), c_size_t()
    check(lib.growth_audience_brand(ptr(ip), ptr(ix), nu, nb, ptr(q), q.size, ptr(s), s.size,
                                    _cfg(k=k, min_jaccard=min_jaccard, min_brands=min_brands,
                                         include_seed=include_seed), ptr(out), nu, ctypes.byref(n)))
    return out[:n.value].copy()


def rules(X: RowsLike, consequents: ArrayLike | None = None, min_support: float = 0.01,
          min_confidence: float = 0.1, min_lift: float = 1,
          ncols: int | None = None) -> dict[str, np.ndarray]:
    """Association rules A -> B between categories: dict of arrays ``antecedent``,
    ``consequent``, ``support``, ``confidence``, ``lift`` in (antecedent, consequent) order."""
    ip, ix, nu, nc = _csr(X, ncols)
    cons = None if consequents is None else _ids(np.atleast_1d(consequents), "consequents")
    cfg = _cfg(min_support=min_support, min_confidence=min_confidence, min_lift=min_lift)
    res = {}

    def call(cap):
        res["a"], res["b"] = np.empty(cap, np.uint32), np.empty(cap, np.uint32)
        res["s"], res["c"], res["l"] = np.empty(cap), np.empty(cap), np.empty(cap)
        n = c_size_t()
        rc = lib.growth_audience_rules(ptr(ip), ptr(ix), nu, nc, ptr(cons), 0 if cons is None else cons.size,
                                       cfg, ptr(res["a"]), ptr(res["b"]), ptr(res["s"]), ptr(res["c"]),
                                       ptr(res["l"]), cap, ctypes.byref(n))
        return rc, n.value

    n = _grow(call, 4096)
    return {"antecedent": res["a"][:n].copy(), "consequent": res["b"][:n].copy(),
            "support": res["s"][:n].copy(), "confidence": res["c"][:n].copy(), "lift": res["l"][:n].copy()}


def category(X: RowsLike, targets: ArrayLike, seed: ArrayLike, min_support: float = 0.01,
             min_confidence: float = 0.1, min_lift: float = 1, min_rules: int = 1,
             include_seed: bool = False, ncols: int | None = None) -> np.ndarray:
    """Category expansion: users holding the antecedent of a rule into a target category."""
    ip, ix, nu, nc = _csr(X, ncols)
    t, s = _ids(np.atleast_1d(targets), "targets"), _ids(seed, "seed")
    out, n = np.empty(nu, np.uint32), c_size_t()
    check(lib.growth_audience_category(ptr(ip), ptr(ix), nu, nc, ptr(t), t.size, ptr(s), s.size,
                                       _cfg(min_support=min_support, min_confidence=min_confidence,
                                            min_lift=min_lift, min_rules=min_rules,
                                            include_seed=include_seed),
                                       ptr(out), nu, ctypes.byref(n)))
    return out[:n.value].copy()


def peer(embeddings: ArrayLike | Index, seed: ArrayLike, n: int, mode: str = "max",
         min_similarity: float = -1, include_seed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Peer expansion: (users, cosine similarities) of the n users nearest the seed.

    ``embeddings``: users x dim (exact search), or a :class:`growth.Index` holding the users'
    vectors under their user ids (see :func:`peer_index`)."""
    from .recall import Index
    if isinstance(embeddings, Index):
        return peer_index(embeddings, seed, n, mode=mode, min_similarity=min_similarity,
                          include_seed=include_seed)
    E = np.ascontiguousarray(embeddings, dtype=np.float32)
    if E.ndim != 2:
        raise InvalidArgument(f"embeddings must be 2-D (users x dim), got shape {E.shape}")
    s = _ids(seed, "seed")
    n = int(n)
    if n < 0:
        raise InvalidArgument(f"n = {n} is negative")
    out, sim, m = np.empty(max(n, 1), np.uint32), np.empty(max(n, 1), np.float32), c_size_t()
    check(lib.growth_audience_peer(ptr(E), E.shape[0], E.shape[1], ptr(s), s.size, n,
                                   _cfg(mode=mode, min_similarity=min_similarity, include_seed=include_seed),
                                   ptr(out), ptr(sim), out.size, ctypes.byref(m)))
    return out[:m.value].copy(), sim[:m.value].copy()


def peer_index(index: Index, seed: ArrayLike, n: int, mode: str = "max", min_similarity: float = -1,
               include_seed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Peer expansion through a vector index (growth_audience_peer_index): ``index`` is a
    :class:`growth.Index` (metric cosine, or ip over unit-length vectors) whose ids are user
    ids. A flat index gives the exact users of :func:`peer`; HNSW / IVF approximate them for
    large populations (fewer than n users only if the index finds fewer). Returns (users,
    similarities), most similar first."""
    from .recall import Index
    if not isinstance(index, Index):
        raise InvalidArgument(f"index must be a growth.Index, got {type(index).__name__}")
    s = _ids(seed, "seed")
    n = int(n)
    if n < 0:
        raise InvalidArgument(f"n = {n} is negative")
    out, sim, m = np.empty(max(n, 1), np.uint32), np.empty(max(n, 1), np.float32), c_size_t()
    check(lib.growth_audience_peer_index(index._handle(), ptr(s), s.size, n,
                                         _cfg(mode=mode, min_similarity=min_similarity,
                                              include_seed=include_seed),
                                         ptr(out), ptr(sim), out.size, ctypes.byref(m)))
    return out[:m.value].copy(), sim[:m.value].copy()


def lost(users: ArrayLike, times: ArrayLike, nusers: int, now: int | None = None,
         inactive: int = 2592000, window: int = 7776000,
         min_events: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Lost audience from events (user, time): (users, their last event time)."""
    u = _ids(users, "users")
    t = np.ascontiguousarray(np.asarray(times).reshape(-1), dtype=np.int64)
    if t.size != u.size:
        raise InvalidArgument(f"times has {t.size} entries for {u.size} users")
    nusers = int(nusers)
    out, last, n = np.empty(max(nusers, 1), np.uint32), np.empty(max(nusers, 1), np.int64), c_size_t()
    check(lib.growth_audience_lost(ptr(u), ptr(t), u.size, nusers,
                                   _cfg(now=None if now is None else int(now), inactive=int(inactive),
                                        window=int(window), min_events=int(min_events)),
                                   ptr(out), ptr(last), out.size, ctypes.byref(n)))
    return out[:n.value].copy(), last[:n.value].copy()


def union(lists: Mapping[str | int, ArrayLike] | Sequence[tuple[ArrayLike, str | int]],
          nusers: int) -> tuple[np.ndarray, np.ndarray]:
    """De-duplicated union of directions' user lists: ``lists`` is a dict {direction name or
    flag: users} or a sequence of (users, flag). Returns (users ascending, direction flags)."""
    items = list(lists.items()) if isinstance(lists, dict) else list(lists)
    if not items:
        raise InvalidArgument("union needs at least one list")
    arrs, flags = [], []
    for key, val in items:
        if isinstance(val, (str, int, np.integer)) and not isinstance(key, (str, int, np.integer)):
            key, val = val, key  # (users, flag) pairs
        flag = DIRECTIONS[key] if isinstance(key, str) else int(key)
        arrs.append(_ids(val, f"list {key}"))
        flags.append(flag)
    k = len(arrs)
    ptrs = (ctypes.c_void_p * k)(*[a.ctypes.data if a.size else None for a in arrs])
    lens = np.array([a.size for a in arrs], dtype=np.uintp)
    dirs = np.array(flags, dtype=np.uint32)
    nusers = int(nusers)
    out, od, n = np.empty(max(nusers, 1), np.uint32), np.empty(max(nusers, 1), np.uint32), c_size_t()
    check(lib.growth_audience_union(ptrs, ptr(lens), ptr(dirs), k, nusers, ptr(out), ptr(od), out.size,
                                    ctypes.byref(n)))
    return out[:n.value].copy(), od[:n.value].copy()


# ---- target model and selection --------------------------------------------------------------

def pu_score(X: RowsLike, seed: ArrayLike, pool: ArrayLike, ncols: int | None = None,
             progress: Progress | None = None, **config: Any) -> np.ndarray:
    """Trains the PU target model (positives = seed) and returns the pool's scores (float32).
    ``config``: learner="forest"|"ftrl", method="spy"|"prior"|"naive", unlabeled, negatives,
    spy_fraction, spy_quantile, rounds, max_depth, eta, epochs, alpha, l1, l2, threads, seed.
    ``progress``: optional fn(stage, done) called before each learner fit; returning something
    truthy cancels (growth.Canceled)."""
    shape = getattr(X, "shape", None)
    ip, ix, vals, nu = to_csr(X)
    nf = ncols if ncols is not None else (shape[1] if shape is not None and len(shape) == 2 else
                                          (int(ix[:int(ip[-1])].max()) + 1 if int(ip[-1]) else 1))
    s, p = _ids(seed, "seed"), _ids(pool, "pool")
    out = np.empty(max(p.size, 1), np.float32)
    cb = progress_callback(progress)
    check(lib.growth_audience_pu_score(ptr(ip), ptr(ix), ptr(vals), nu, int(nf), ptr(s), s.size, ptr(p),
                                       p.size, _cfg(**config), ptr(out), out.size, cb, None))
    return out[:p.size]


def select(users: ArrayLike, scores: ArrayLike, n: int, exclude: ArrayLike | None = None,
           threshold: float = -np.inf) -> tuple[np.ndarray, np.ndarray]:
    """The best n users by score (ties: smaller id), dropping scores below ``threshold`` and the
    ``exclude`` users: (users, scores)."""
    u, s = _ids(users, "users"), _f32(scores, "scores")
    if s.size != u.size:
        raise InvalidArgument(f"scores has {s.size} entries for {u.size} users")
    ex = None if exclude is None else _ids(exclude, "exclude")
    n = int(n)
    out, os_, m = np.empty(max(n, 1), np.uint32), np.empty(max(n, 1), np.float32), c_size_t()
    check(lib.growth_audience_select(ptr(u), ptr(s), u.size, ptr(ex), 0 if ex is None else ex.size,
                                     float(threshold), n, ptr(out), ptr(os_), out.size, ctypes.byref(m)))
    return out[:m.value].copy(), os_[:m.value].copy()


# ---- metrics ---------------------------------------------------------------------------------

def _sl(scores, labels):
    s, y = _f32(scores, "scores"), _f32(labels, "labels")
    if s.size != y.size:
        raise InvalidArgument(f"scores has {s.size} entries, labels {y.size}")
    return s, y


def topn_precision(scores: ArrayLike, labels: ArrayLike, n: int) -> float:
    """PredictTA TopN precision: share of labels 1 among the n best scores (ties by position)."""
    s, y = _sl(scores, labels)
    out = c_double()
    check(lib.growth_metrics_topn_precision(ptr(s), ptr(y), s.size, int(n), ctypes.byref(out)))
    return out.value


def topn_recall(scores: ArrayLike, labels: ArrayLike, n: int, known: ArrayLike | None = None) -> float:
    """NewTA TopN recall: share of new target users (labels 1, not ``known``) in the top n of
    the users not known."""
    s, y = _sl(scores, labels)
    k = None if known is None else np.ascontiguousarray(np.asarray(known).reshape(-1) != 0, dtype=np.uint8)
    if k is not None and k.size != s.size:
        raise InvalidArgument(f"known has {k.size} entries for {s.size} scores")
    out = c_double()
    check(lib.growth_metrics_topn_recall(ptr(s), ptr(y), ptr(k), s.size, int(n), ctypes.byref(out)))
    return out.value


def lift(scores: ArrayLike, labels: ArrayLike, n: int) -> float:
    """Lift at n: top-n precision / base rate."""
    s, y = _sl(scores, labels)
    out = c_double()
    check(lib.growth_metrics_topn_lift(ptr(s), ptr(y), s.size, int(n), ctypes.byref(out)))
    return out.value


# ---- fusion ----------------------------------------------------------------------------------

def _models(scores):
    S = np.ascontiguousarray(scores, dtype=np.float32)
    if S.ndim == 1:
        S = S.reshape(1, -1)
    if S.ndim != 2:
        raise InvalidArgument(f"scores must be models x users, got shape {S.shape}")
    return S


def fuse(scores: ArrayLike, weights: ArrayLike, normalize: str = "rank") -> np.ndarray:
    """Weighted sum of normalised model scores; ``scores`` is models x users."""
    S = _models(scores)
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64).reshape(-1))
    if w.size != S.shape[0]:
        raise InvalidArgument(f"{w.size} weights for {S.shape[0]} models")
    out = np.empty(S.shape[1], np.float32)
    check(lib.growth_rank_fuse_scores(ptr(S), S.shape[0], S.shape[1], ptr(w), _cfg(normalize=normalize), ptr(out),
                                   out.size))
    return out


def fuse_fit(scores: ArrayLike, labels: ArrayLike, n: int, step: float = 0.1, normalize: str = "rank",
             progress: Progress | None = None) -> tuple[np.ndarray, float]:
    """Fusion weights chosen by top-n precision on a validation set: (weights, precision).
    ``progress``: optional fn(stage, done) called during the grid search; returning something
    truthy cancels it (growth.Canceled)."""
    S = _models(scores)
    y = _f32(labels, "labels")
    if y.size != S.shape[1]:
        raise InvalidArgument(f"labels has {y.size} entries for {S.shape[1]} users")
    w, prec = np.empty(S.shape[0]), c_double()
    cb = progress_callback(progress)
    check(lib.growth_rank_fuse_fit(ptr(S), S.shape[0], S.shape[1], ptr(y), int(n),
                                   _cfg(normalize=normalize, step=step), ptr(w), w.size, ctypes.byref(prec),
                                   cb, None))
    return w, prec.value
