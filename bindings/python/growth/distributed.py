"""libgrowth on Dask: sharded budget solving, batch scoring and sharded recall.

``import growth.distributed`` explicitly (it needs dask and distributed; ``import growth`` does
not load it). Every worker imports ``growth`` itself and loads libgrowth through
``GROWTH_LIBRARY`` or the installed library, so the library and this package must be present on
every worker (see docs/scaling.md).

* :func:`solve_mckp` -- a multiple-choice knapsack whose users live in Dask partitions. The
  search is libgrowth's own coordinator (``growth_mckp_coord`` of ``include/growth/sys/budget.h``,
  the single-machine solver's search as a state machine over shard replies); this module only
  ships its requests to the partitions, runs ``growth_mckp_shard_step`` where each one lives
  and feeds the replies back. The plan is made and kept where the users live; user data never
  crosses to the driver. Both calls are unstable interfaces (symbol version
  ``GROWTH_SYS_1.0``), released together with this package.
* :func:`score` -- applies a saved forest / FTRL / calibrator to a Dask array or dataframe
  partition by partition; each worker process loads the model once and caches it.
* :class:`ShardedIndex` -- sharded recall: one :class:`growth.Index` per partition of a Dask
  array of item vectors, built and kept on the worker holding the partition; a search sends
  the query batch to every shard, each returns its local top-k (ids, scores) and the driver
  merges them into the global top-k. Item vectors never cross to the driver.

The protocol only needs "run this function on the partition where it lives" and "send a few
numbers back", so it maps onto Spark (``mapPartitions`` + ``collect``) or Ray (actors holding
partitions) with the same worker functions.
"""
from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import pickle
import threading
import time
from typing import Any, Callable, Sequence

import numpy as np

import dask
import dask.array as da
from distributed import get_client, wait

from . import budget as _budget
from . import errors as _errors
from .errors import InvalidArgument
from ._types import ArrayLike, PathLike

__all__ = ["solve_mckp", "DistributedMCKPResult", "score", "model_spec", "model_loads", "ShardedIndex",
           "merge_topk"]

# ---- helpers -----------------------------------------------------------------------------------

def _nbytes(obj):
    """Payload bytes of a small message (pickled size)."""
    return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


# ---- worker side of the MCKP protocol ---------------------------------------------------------

class _Shard:
    """One partition of users, kept in a worker's memory for the whole solve: the CSR arrays
    the C API takes (made once: the shard handle remembers what it validated and collected
    between requests by their addresses), the dense column of each option, the shard's own
    solver handle and its share of the plan (int32 per user, written by the requests)."""

    def __init__(self, values, costs, offset):
        v = np.ascontiguousarray(values, dtype=np.float64)
        c = np.ascontiguousarray(costs, dtype=np.float64)
        if c.ndim == 2:
            c = c[:, :, None]
        self.indptr, self.cv, self.cc, self.K, colmap, self.n = _budget._mckp_input(v, c, None)
        self.indptr = np.ascontiguousarray(self.indptr, dtype=np.uint64)
        self.cc = np.ascontiguousarray(self.cc, dtype=np.float64).reshape(-1, self.K)
        self.cols = None if colmap is None else colmap[0]
        self.offset, self.m = int(offset), v.shape[1]
        self.nnz = int(self.cv.size)
        self.plan = np.full(self.n, -1, dtype=np.int32)
        self.solver = None

    def __getstate__(self):   # a shard that moves takes its data and plan, not its handle
        d = dict(self.__dict__)
        d["solver"] = None
        return d

    @classmethod
    def from_csr(cls, indptr, values, costs, offset):
        """CSR partition -> dense padded (column j = the user's j-th option)."""
        ip = np.asarray(indptr, dtype=np.int64)
        ip = ip - ip[0]
        n = ip.size - 1
        counts = np.diff(ip)
        m = int(counts.max()) if n else 0
        c = np.asarray(costs, dtype=np.float64)
        c = c.reshape(c.shape[0], -1)
        K = c.shape[1]
        V = np.full((n, max(m, 1)), np.nan)
        C = np.full((n, max(m, 1), K), np.nan)
        rows = np.repeat(np.arange(n), counts)
        cols = np.arange(ip[-1]) - np.repeat(ip[:-1], counts)
        V[rows, cols] = np.asarray(values, dtype=np.float64)[:ip[-1]]
        C[rows, cols] = c[:ip[-1]]
        return cls(V, C, offset)

    def to_cols(self, off):
        """CSR offsets within each user's options -> dense columns (-1 stays -1)."""
        if self.cols is None:
            return off
        out = off.copy()
        sel = off >= 0
        out[sel] = self.cols[self.indptr[:-1][sel].astype(np.int64) + off[sel]]
        return out

    def step(self, request, threads=1):
        if self.solver is None:
            self.solver = _budget.MCKPSolver(threads=threads)
        return self.solver.shard_step(self.indptr, self.cv, self.cc, request, self.plan)


def _w_make(values, costs, offset):
    return _Shard(values, costs, offset)


def _w_make_csr(part, offset):
    indptr, values, costs = part
    return _Shard.from_csr(indptr, values, costs, offset)


def _w_size(part):
    return len(part[0]) - 1


def _w_info(sh):
    return sh.n, sh.nnz, sh.K, sh.m


def _w_step(sh, request):
    """One request of the C coordinator on this partition (growth_mckp_shard_step)."""
    return sh.step(request)


def _w_choice(sh):
    """The partition's plan as dense columns (-1 none)."""
    return sh.to_cols(sh.plan.copy())


# ---- driver ------------------------------------------------------------------------------------

class DistributedMCKPResult:
    """Result of :func:`solve_mckp`: the same summary as :class:`growth.budget.MCKPResult`
    (``value``, ``lp_value``, ``dual_bound``, ``gap`` relative, ``abs_gap``, ``spend``,
    ``lambdas``, ``n_chosen``, ``iterations``) plus the protocol's cost: ``round_trips``
    (driver <-> workers exchanges), ``evaluations`` (requests that passed over all users of
    their partition), ``bytes_to_workers`` / ``bytes_from_workers`` (pickled payloads),
    ``max_round_bytes`` (the largest round trip's payload, both ways), ``seconds``.
    ``choice`` is a Dask array (int32 per user: column of the option, -1 none) computed from
    the plan held by the workers; ``plan_futures`` the per-partition futures."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def __repr__(self):
        return (f"DistributedMCKPResult(value={self.value:.6g}, lp_value={self.lp_value:.6g}, "
                f"gap={self.gap:.3g}, chosen={self.n_chosen}, round_trips={self.round_trips})")


def _as_dask(x, chunks):
    if isinstance(x, da.Array):
        return x
    return da.from_array(np.asarray(x), chunks=chunks)


# request kind (word 1 of a request, src/budget/budget_impl.h) -> progress stage
_STAGES = {1: "search", 2: "search", 3: "descent", 4: "assign", 5: "polish", 6: "polish", 7: "repair",
           8: "fill", 9: "fill", 10: "assign"}


def solve_mckp(values: Any = None, costs: Any = None, budget: float | ArrayLike | None = None, *,
               parts: int | None = None, client: Any = None, fill: bool = True, max_iter: int = 200,
               tol: float = 1e-10, points: int | None = None,
               progress: Callable[..., Any] | None = None) -> DistributedMCKPResult:
    """Solves a multiple-choice knapsack whose users are spread over Dask partitions.

    ``values``: a Dask array users x options (NaN = option absent), chunked along users only;
    ``costs``: users x options (one budget) or users x options x K; it is rechunked to the
    chunks of ``values``. Or ``parts``: a list of Dask delayed objects / futures, each a CSR
    partition ``(indptr, values, costs)`` (costs (nnz,) or (nnz, K)); choices are then offsets
    within each user's options. ``budget``: a number or K numbers.

    The search is libgrowth's coordinator (``growth_mckp_coord``, growth/sys/budget.h): this
    function only ships its requests to the partitions, runs ``growth_mckp_shard_step`` where
    each partition lives and feeds the replies back. The plan is made where the users live.
    Returns a :class:`DistributedMCKPResult` whose prices and plan equal
    growth.budget.solve_mckp on the same data, value and spend up to summation order.
    ``progress(stage, info)``: called on the driver before each round ("search", "descent",
    "polish", "assign", "repair", "fill"); a truthy return cancels the solve (growth.Canceled).
    ``points`` is accepted for compatibility and ignored. If a partition fails, the solve
    raises the coordinator's error naming it (chained to the worker's exception) and no plan
    is returned.
    """
    t0 = time.perf_counter()
    client = client or get_client()
    if parts is not None:
        sizes = client.gather(client.compute([dask.delayed(_w_size)(p) for p in parts]))
        offs = np.concatenate([[0], np.cumsum(sizes)])[:-1]
        futs = client.compute([dask.delayed(_w_make_csr)(p, int(o)) for p, o in zip(parts, offs)])
        n_users = int(np.sum(sizes))
        chunks = tuple(int(s) for s in sizes)
    else:
        if values is None or costs is None:
            raise InvalidArgument("solve_mckp needs values= and costs= (Dask arrays) or parts=")
        values = _as_dask(values, (max(1, len(values) // 2), -1))
        if values.ndim != 2:
            raise InvalidArgument(f"values must be users x options, got {values.shape}")
        values = values.rechunk({1: -1})
        costs = _as_dask(costs, values.chunks[0])
        if costs.ndim not in (2, 3) or costs.shape[:2] != values.shape:
            raise InvalidArgument(f"costs must be users x options [x budgets] like values {values.shape}, got {costs.shape}")
        costs = costs.rechunk((values.chunks[0],) + tuple((s,) for s in costs.shape[1:]))
        chunks = values.chunks[0]
        offs = np.concatenate([[0], np.cumsum(chunks)])[:-1]
        vb, cb = values.to_delayed().ravel(), costs.to_delayed().ravel()
        futs = client.compute([dask.delayed(_w_make)(v, c, int(o)) for v, c, o in zip(vb, cb, offs)])
        n_users = int(values.shape[0])
    info = client.gather(client.map(_w_info, futs, pure=False))
    Ks = sorted({int(i[2]) for i in info})
    if len(Ks) != 1:
        raise InvalidArgument(f"the partitions disagree on the number of budgets: {Ks}")
    K = Ks[0]
    B = np.atleast_1d(np.asarray(budget, dtype=np.float64)).ravel()
    if B.size != K:
        raise InvalidArgument(f"{B.size} budgets given for costs with {K} budget columns")
    if not np.all(np.isfinite(B) & (B >= 0)):
        raise InvalidArgument("budgets must be finite and >= 0")
    n_opts = int(sum(i[1] for i in info))
    # each partition's requests run on the worker that holds it: the plan is kept there
    who = client.who_has(futs)
    where = [list(who.get(f.key, ())) or None for f in futs]
    co = _budget.MCKPCoordinator(len(futs), n_users, n_opts, B, max_iter=max_iter, tol=tol, fill=fill)
    round_trips, sent, received, max_round = 1, 0, sum(_nbytes(i) for i in info), 0
    try:
        while not co.next():
            reqs = [(w, co.request(w)) for w in range(len(futs))]
            reqs = [(w, r) for w, r in reqs if r is not None]
            if progress is not None and progress(_STAGES.get(int(reqs[0][1][1]), "search"),
                                                 dict(round=round_trips)):
                co.cancel()
                continue
            subs = [(w, client.submit(_w_step, futs[w], r, pure=False, workers=where[w],
                                      allow_other_workers=where[w] is None)) for w, r in reqs]
            wait([f for _, f in subs])
            round_trips += 1
            out = sum(_nbytes(r) for _, r in reqs)
            back = 0
            failed = None
            for (w, f), (_, r) in zip(subs, reqs):
                if f.status == "error":
                    exc = f.exception()
                    failed = failed or exc
                    co.fail(w, int(getattr(exc, "code", None) or _errors.IOFailure.code),
                            f"{type(exc).__name__}: {exc}")
                    continue
                rep = f.result()
                back += _nbytes(rep)
                co.feed(w, rep)
            sent += out
            received += back
            max_round = max(max_round, out + back)
            del subs
            if failed is not None:
                try:
                    co.next()
                except Exception as e:
                    raise e from failed
        r, lam, spend = co.result()
        st = co.stats()
    finally:
        co.close()
    # the plans are final: a lazy choice array over them (issue 19: nothing may still be
    # running on the partitions when the result is returned)
    plans = [client.submit(_w_choice, f, pure=False, workers=w, allow_other_workers=w is None)
             for f, w in zip(futs, where)]
    wait(plans)
    choice = da.concatenate([da.from_delayed(p, shape=(int(c),), dtype=np.int32)
                             for p, c in zip(plans, chunks)])
    return DistributedMCKPResult(
        value=r.value, lp_value=r.lp_value, dual_bound=r.dual_bound, abs_gap=r.gap, gap=r.rel_gap,
        spend=spend if K > 1 else float(spend[0]), lambdas=lam, n_chosen=int(r.n_chosen), n_users=n_users,
        iterations=int(r.iterations), choice=choice, plan_futures=plans, shard_futures=futs,
        round_trips=round_trips, evaluations=st["shard_passes"], bytes_to_workers=sent,
        bytes_from_workers=received, max_round_bytes=max_round, coordinator=st, partitions=len(futs),
        seconds=time.perf_counter() - t0)


# ---- scoring -------------------------------------------------------------------------------

_MODELS = {}
_LOADS = {}
_MODELS_LOCK = threading.Lock()


def model_spec(model: Any) -> tuple:
    """A small, picklable description of a model for the workers: a path (loaded by each
    worker from its own file system; cached by path, size and mtime) or a model object
    (serialised once; cached by digest)."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        return ("path", path)
    for cls_name in ("Forest", "FTRL", "Calibrator"):
        if type(model).__name__ == cls_name:
            data = model.to_bytes()
            return ("bytes", cls_name, hashlib.sha256(data).hexdigest(), data)
    raise InvalidArgument(f"cannot score with {type(model).__name__}: pass a model path, "
                          "a Forest, an FTRL or a Calibrator")


def _load(spec):
    """The worker's cached model for a spec (loaded once per worker process)."""
    if spec[0] == "path":
        st = os.stat(spec[1])
        key = ("path", spec[1], st.st_size, st.st_mtime_ns)
    else:
        key = ("bytes", spec[2])
    with _MODELS_LOCK:
        m = _MODELS.get(key)
        if m is not None:
            return m
        import growth
        if spec[0] == "path":
            kind = growth.model_kind(spec[1])[0]
            cls = {"forest": growth.Forest, "ftrl": growth.FTRL, "calibrator": growth.Calibrator}.get(kind)
            if cls is None:
                raise InvalidArgument(f"{spec[1]}: a {kind} model cannot score rows")
            m = cls.load(spec[1])
        else:
            cls = {"Forest": growth.Forest, "FTRL": growth.FTRL, "Calibrator": growth.Calibrator}[spec[1]]
            m = cls.from_bytes(spec[3])
        _MODELS[key] = m
        _LOADS[key] = _LOADS.get(key, 0) + 1
        return m


def _w_loads():
    return {str(k[:2]): n for k, n in _LOADS.items()}


def _apply_model(m, X, fields, output_margin):
    name = type(m).__name__
    if name == "Forest":
        return m.predict(X, output_margin=output_margin)
    if name == "FTRL":
        return m.decision_function(X) if output_margin else m.predict_proba(X)
    if name == "Calibrator":
        s = np.asarray(X)
        if s.ndim == 2:
            s = s[:, 0]
        return m.predict(s, fields=fields)
    raise InvalidArgument(f"cannot score with {name}")


def _score_block(X, spec, output_margin, squeeze):
    if spec[0] == "future":  # resolved by dask before the call
        spec = spec[1]
    out = _apply_model(_load(spec), X, None, output_margin)
    if squeeze and out.ndim == 2:
        out = out[:, 0]
    return out


def _score_block_fields(X, fields, spec, output_margin):
    return _apply_model(_load(spec), X, fields, output_margin)


def _score_frame(df, spec, columns, fields, output_margin, names):
    import pandas as pd
    X = df[columns].to_numpy() if columns is not None else df.to_numpy()
    f = df[fields].to_numpy() if fields is not None else None
    m = _load(spec)
    if type(m).__name__ == "Calibrator":
        X = np.asarray(X, dtype=np.float64)
    out = _apply_model(m, X, f, output_margin)
    if out.ndim == 1:
        return pd.Series(out, index=df.index, name=names[0])
    return pd.DataFrame(out, index=df.index, columns=names)


def _outputs(spec, model):
    """(number of outputs, dtype) of a model, read on the driver."""
    m = model if not isinstance(model, (str, os.PathLike)) else _load(spec)
    name = type(m).__name__
    if name == "Forest":
        return m.n_outputs, np.float32
    if name == "FTRL":
        return m.n_heads, np.float32
    return 1, None


def score(model: Any, data: Any, *, columns: Sequence[str] | None = None, fields: Any = None,
          output_margin: bool = False, name: str | Sequence[str] = "score", client: Any = None) -> Any:
    """Scores a Dask array or dataframe partition by partition.

    ``model``: a saved model path (forest, FTRL or calibrator; every worker must see the file)
    or a Forest / FTRL / Calibrator object (serialised once and broadcast). Each worker
    process loads the model once and reuses it for all its partitions.

    Dask array: rows x features (forest: dense features, NaN = missing; FTRL: non-zero entries
    are (slot, value) features) or 1-D scores for a calibrator (``fields``: an aligned 1-D
    Dask array of field ids). Returns a Dask array: 1-D for one output, rows x outputs else.
    Dask dataframe: ``columns`` selects the feature columns (default all), ``fields`` names the
    calibrator's field column; returns a Series named ``name`` (or a DataFrame
    ``name_0..``).
    """
    spec = model_spec(model)
    n_out, dtype = _outputs(spec, model)
    if spec[0] == "bytes":
        client = client or get_client()
        fut = client.scatter(spec, broadcast=True, hash=False)
        spec_arg = fut
    else:
        spec_arg = spec
    if isinstance(data, da.Array):
        if data.ndim == 2:
            data = data.rechunk({1: -1})
        out_dtype = dtype or (np.float64 if data.dtype == np.float64 else np.float32)
        if fields is not None:
            if not isinstance(fields, da.Array):
                fields = da.from_array(np.asarray(fields), chunks=data.chunks[0])
            fields = fields.rechunk(data.chunks[0])
            return da.map_blocks(_score_block_fields, data, fields, spec_arg, output_margin,
                                 dtype=out_dtype, drop_axis=[1] if data.ndim == 2 else [],
                                 chunks=(data.chunks[0],))
        if n_out == 1 or data.ndim == 1:
            kw = dict(drop_axis=[1]) if data.ndim == 2 else {}
            return da.map_blocks(_score_block, data, spec_arg, output_margin, True,
                                 dtype=out_dtype, chunks=(data.chunks[0],), **kw)
        return da.map_blocks(_score_block, data, spec_arg, output_margin, False, dtype=out_dtype,
                             chunks=(data.chunks[0], (n_out,)))
    try:
        import dask.dataframe as dd
        import pandas as pd
    except ImportError:  # pragma: no cover
        raise InvalidArgument("score: data must be a Dask array or dataframe")
    if isinstance(data, dd.DataFrame):
        names = [name] if n_out == 1 else [f"{name}_{i}" for i in range(n_out)]
        meta_dtype = dtype or np.float64
        meta = (pd.Series([], dtype=meta_dtype, name=name) if n_out == 1
                else pd.DataFrame({c: pd.Series([], dtype=meta_dtype) for c in names}))
        return data.map_partitions(_score_frame, spec_arg, columns, fields, output_margin, names,
                                   meta=meta)
    raise InvalidArgument(f"score: data must be a Dask array or dataframe, got {type(data).__name__}")


def model_loads(client: Any = None) -> dict[str, dict[str, int]]:
    """How often each worker process has loaded each model ({worker: {model: count}}): once
    per model, however many partitions it scored."""
    client = client or get_client()
    return client.run(_w_loads)


# ---- sharded recall ----------------------------------------------------------------------------

_INLINE_QUERY_BYTES = 64 * 1024   # smaller query batches travel inside each task message


def _w_index_build(X, ids, base, spec):
    """Builds one partition's index where the partition lives: a growth.Index holding the
    partition's vectors under their global ids (the given ones, else base + row number)."""
    import growth
    X = np.ascontiguousarray(X, dtype=np.float32)
    ix = growth.Index(**spec)
    if X.shape[0]:
        if ids is None:
            ids = np.arange(base, base + X.shape[0], dtype=np.int64)
        ix.add(X, ids)
    return ix


def _w_index_stats(ix):
    return ix.stats()


def _w_index_search(ix, Q, k):
    """The shard's local top-min(k, count) for each query: (ids, scores), nq x k_s each."""
    n = ix.stats()["count"]
    ks = min(int(k), int(n))
    if ks == 0:
        return np.empty((Q.shape[0], 0), np.int64), np.empty((Q.shape[0], 0), np.float32)
    return ix.search(Q, ks)


def _w_index_set(ix, options):
    ix.set(**options)
    return ix


def _w_index_save(ix, path):
    ix.save(path)
    return ix.stats()["count"]


def _w_index_load(path):
    import growth
    return growth.Index.load(path)


def merge_topk(ids: Sequence[ArrayLike], scores: Sequence[ArrayLike], k: int,
               metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Merges per-shard top-k lists into the global top-k.

    ``ids``, ``scores``: sequences of (nq, k_s) arrays, one per shard (padding: id -1 or score
    NaN). Best first: descending scores for ``metric`` 'ip' / 'cosine', ascending (squared
    distance) for 'l2'; equal scores by smaller id. Returns (nq, k) arrays, padded with id -1
    and score NaN when the shards hold fewer than k results for a query."""
    if metric not in ("ip", "cosine", "l2"):
        raise InvalidArgument(f"metric must be ip, cosine or l2, got {metric!r}")
    I = np.concatenate([np.asarray(a, dtype=np.int64) for a in ids], axis=1)
    S = np.concatenate([np.asarray(a, dtype=np.float32) for a in scores], axis=1)
    nq = I.shape[0]
    key = S.astype(np.float64) if metric == "l2" else -S.astype(np.float64)
    pad = np.isnan(key) | (I < 0)
    key[pad] = np.inf
    order = np.lexsort((I, key), axis=1)[:, :k]
    I = np.take_along_axis(I, order, axis=1)
    S = np.take_along_axis(S, order, axis=1)
    pad = np.take_along_axis(pad, order, axis=1)
    I[pad], S[pad] = -1, np.nan
    if I.shape[1] < k:
        I = np.concatenate([I, np.full((nq, k - I.shape[1]), -1, np.int64)], axis=1)
        S = np.concatenate([S, np.full((nq, k - S.shape[1]), np.nan, np.float32)], axis=1)
    return I, S


class ShardedIndex:
    """A vector index sharded over Dask workers: one :class:`growth.Index` per partition.

    ``ShardedIndex(dim=128, metric='cosine', kind='hnsw', client=client, M=16, ef=64)`` takes
    the options of :class:`growth.Index` (kinds flat / hnsw / ivf, metrics ip / cosine / l2).
    :meth:`add` builds one index per partition of a Dask array of item vectors on the worker
    that holds the partition (the vectors never travel to the driver); the indexes stay there
    as futures. :meth:`search` sends the query batch to every shard, each returns its local
    top-k ids and scores, and the driver merges them into the global top-k (scores as
    growth.Index: descending inner product / cosine, ascending squared L2 distance; equal
    scores by smaller id). With kind='flat' the result is the exact top-k over all items,
    the same as one flat index over everything.

    Ids are int64 >= 0 and must be unique over the whole index: each shard checks its own,
    ids of different shards are not compared (a repeated id would be returned once per
    shard). kind='ivf' trains each shard's quantiser on its own partition at its first add,
    so every partition needs at least ``nlist`` rows.
    """

    def __init__(self, dim: int | None = None, metric: str = "ip", kind: str = "flat", *,
                 client: Any = None, **params: Any) -> None:
        import growth
        if dim is None:
            raise InvalidArgument("ShardedIndex needs dim=")
        spec = dict(dim=int(dim), metric=metric, kind=kind, **params)
        with growth.Index(**spec) as probe:   # validates the configuration on the driver
            self.config = probe.config
        self._spec = spec
        self.dim, self.metric, self.kind = int(dim), metric, kind
        self.client = client or get_client()
        self._shards, self._counts, self._where = [], [], []
        self._next_row = 0
        self.searches = self.queries = 0
        self.bytes_to_workers = self.bytes_from_workers = 0
        self.last_search = None

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        """Releases the shards (the workers drop their indexes)."""
        self._shards, self._counts, self._where = [], [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self):
        return int(sum(self._counts))

    @property
    def shards(self) -> list[Any]:
        """The futures of the per-partition indexes (growth.Index objects on the workers)."""
        return list(self._shards)

    def __repr__(self):
        return (f"ShardedIndex(dim={self.dim}, metric={self.metric!r}, kind={self.kind!r}, "
                f"shards={len(self._shards)}, count={len(self)})")

    def _locate(self, futs):
        who = self.client.who_has(futs)
        return [list(who.get(f.key, ())) or None for f in futs]

    def _submit(self, fn, i, *args):
        """fn(shard i, *args) on the worker holding shard i (elsewhere only if it is gone)."""
        w = self._where[i] if i < len(self._where) else None
        return self.client.submit(fn, self._shards[i], *args, pure=False, workers=w,
                                  allow_other_workers=w is not None)

    # -- data ----------------------------------------------------------------------------
    def add(self, X: Any, ids: Any = None) -> ShardedIndex:
        """Adds the rows of ``X`` (a Dask array items x dim, chunked along items; a numpy
        array is wrapped) as new shards, one per partition. ``ids``: a Dask or numpy array
        of one int64 id per row; None numbers the rows by their global row number, counted
        from the vectors added by earlier calls (0 for the first). Nothing changes if a
        partition fails (the error of the first failing partition is raised)."""
        if not isinstance(X, da.Array):
            X = np.asarray(X)
            X = da.from_array(X, chunks=(max(1, X.shape[0] // 2),) + X.shape[1:]) if X.ndim else X
        if getattr(X, "ndim", 0) != 2 or X.shape[1] != self.dim:
            raise InvalidArgument(f"X must be (items, {self.dim}), got shape {X.shape}")
        X = X.rechunk({1: -1})
        if any(math.isnan(c) for c in X.chunks[0]):
            X = X.compute_chunk_sizes()
        chunks = [int(c) for c in X.chunks[0]]
        n = int(sum(chunks))
        offs = np.concatenate([[0], np.cumsum(chunks)])[:-1].astype(np.int64)
        if ids is None:
            id_blocks = [None] * len(chunks)
        elif isinstance(ids, da.Array):
            if ids.ndim != 1 or ids.shape[0] != n:
                raise InvalidArgument(f"ids must be 1-D with {n} entries, got shape {ids.shape}")
            id_blocks = list(ids.astype(np.int64).rechunk((tuple(chunks),)).to_delayed().ravel())
        else:
            a = np.asarray(ids)
            if a.ndim != 1 or a.shape[0] != n:
                raise InvalidArgument(f"ids must be 1-D with {n} entries, got shape {a.shape}")
            if a.size and not np.issubdtype(a.dtype, np.integer):
                raise InvalidArgument(f"ids must be integers, got {a.dtype}")
            a = a.astype(np.int64)
            if a.size and a.min() < 0:
                raise InvalidArgument(f"ids must be >= 0, got {int(a.min())}")
            if np.unique(a).size != a.size:
                raise InvalidArgument("ids must be unique")
            id_blocks = [a[o:o + c] for o, c in zip(offs, chunks)]
        base = self._next_row
        blocks = X.to_delayed().ravel()
        futs = self.client.compute([dask.delayed(_w_index_build)(b, i, int(base + o), self._spec)
                                    for b, i, o in zip(blocks, id_blocks, offs)])
        stat_futs = self.client.map(_w_index_stats, futs, pure=False)
        try:
            stats = self.client.gather(stat_futs)
        except BaseException:
            # The raised error's traceback keeps this frame alive: drop the partitions built so
            # far here, or they would stay on the cluster for as long as the error is kept.
            self.client.cancel(futs + stat_futs)
            futs = stat_futs = blocks = None
            raise
        where = self._locate(futs)
        # all partitions built: only now does the index change
        self._shards += futs
        self._counts += [int(s["count"]) for s in stats]
        self._where += where
        self._next_row += n
        return self

    def set(self, **options: Any) -> ShardedIndex:
        """Changes search-time settings (ef, nprobe, threads, rescore) on every shard."""
        if not self._shards:
            return self
        import growth
        with growth.Index(**self._spec) as probe:   # rejects bad keys before touching a shard
            probe.set(**options)
        new = [self._submit(_w_index_set, i, options) for i in range(len(self._shards))]
        self.client.gather(new)   # the new futures hold the indexes with the settings applied
        self._shards, self._where = new, self._locate(new)
        self._spec.update(options)
        return self

    # -- search --------------------------------------------------------------------------
    def search(self, Q: ArrayLike, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The global top-k of each query: (ids, scores), (nq, k) for a 2-D batch, (k,) for
        one 1-D query. One round trip: the batch goes to every shard (inside each task when
        under 64 KB, else scattered once to every worker), each shard returns at most k
        (id, score) pairs per query, the driver merges them."""
        try:
            k = operator.index(k)
        except TypeError:
            raise InvalidArgument(f"k must be an integer, got {k!r}") from None
        total = len(self)
        if k < 1:
            raise InvalidArgument(f"k is {k}, must be >= 1")
        if total == 0:
            from .errors import InvalidState
            raise InvalidState("search of an empty ShardedIndex (nothing added)")
        if k > total:
            raise InvalidArgument(f"k = {k} is larger than the {total} vectors in the index")
        single = np.ndim(Q) == 1
        Q = np.ascontiguousarray(Q, dtype=np.float32)
        if single:
            Q = Q.reshape(1, -1)
        if Q.ndim != 2 or Q.shape[1] != self.dim or Q.shape[0] == 0:
            raise InvalidArgument(f"Q must be (nq >= 1, {self.dim}), got shape {Q.shape}")
        if not np.isfinite(Q).all():
            raise InvalidArgument("Q holds NaN or Inf")
        t0 = time.perf_counter()
        c = self.client
        live = [i for i, cnt in enumerate(self._counts) if cnt > 0]
        qbytes = _nbytes(Q)
        if Q.nbytes <= _INLINE_QUERY_BYTES:
            q_arg, sent = Q, len(live) * qbytes
        else:
            q_arg = c.scatter(Q, broadcast=True, hash=False)
            sent = len(c.scheduler_info()["workers"]) * qbytes
        sent += len(live) * _nbytes(k)
        res = c.gather([self._submit(_w_index_search, i, q_arg, k) for i in live])
        del q_arg
        received = sum(_nbytes(r) for r in res)
        ids, scores = merge_topk([r[0] for r in res], [r[1] for r in res], k, self.metric)
        self.searches += 1
        self.queries += Q.shape[0]
        self.bytes_to_workers += sent
        self.bytes_from_workers += received
        self.last_search = dict(queries=Q.shape[0], k=k, shards=len(live), bytes_to_workers=sent,
                                bytes_from_workers=received, seconds=time.perf_counter() - t0)
        if single:
            return ids[0], scores[0]
        return ids, scores

    # -- introspection -------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """dict(shards, count, deleted, dim, memory_bytes (sums over the shards),
        shard_counts, searches, queries, bytes_to_workers, bytes_from_workers (totals of the
        searches so far), last_search)."""
        per = (self.client.gather([self._submit(_w_index_stats, i) for i in range(len(self._shards))])
               if self._shards else [])
        return dict(shards=len(per), count=int(sum(s["count"] for s in per)),
                    deleted=int(sum(s["deleted"] for s in per)), dim=self.dim,
                    memory_bytes=int(sum(s["memory_bytes"] for s in per)),
                    shard_counts=[int(s["count"]) for s in per], metric=self.metric,
                    kind=self.kind, searches=self.searches, queries=self.queries,
                    bytes_to_workers=self.bytes_to_workers,
                    bytes_from_workers=self.bytes_from_workers, last_search=self.last_search)

    # -- persistence ---------------------------------------------------------------------
    def save(self, directory: PathLike) -> None:
        """Saves every shard where it lives (``shard-00000.index``, ...: growth.Index files)
        and a manifest ``shards.json`` into ``directory``, which every worker and the driver
        must see under the same path (a shared file system)."""
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        names = [f"shard-{i:05d}.index" for i in range(len(self._shards))]
        counts = self.client.gather([self._submit(_w_index_save, i, os.path.join(directory, nm))
                                     for i, nm in enumerate(names)])
        manifest = dict(format="growth.ShardedIndex", version=1, spec=self._spec,
                        next_row=self._next_row, shards=names, counts=[int(x) for x in counts])
        tmp = os.path.join(directory, "shards.json.tmp")
        with open(tmp, "w") as f:
            json.dump(manifest, f, indent=1)
        os.replace(tmp, os.path.join(directory, "shards.json"))

    @classmethod
    def load(cls, directory: PathLike, *, client: Any = None) -> ShardedIndex:
        """Loads a directory written by :meth:`save`; each worker loads the shards it is
        given from the shared path."""
        directory = os.fspath(directory)
        try:
            with open(os.path.join(directory, "shards.json")) as f:
                m = json.load(f)
        except OSError as e:
            from .errors import IOFailure
            raise IOFailure(f"{directory}: cannot read shards.json ({e})") from None
        except ValueError as e:
            from .errors import FormatError
            raise FormatError(f"{directory}/shards.json: not a ShardedIndex manifest ({e})") from None
        if not isinstance(m, dict) or m.get("format") != "growth.ShardedIndex":
            from .errors import FormatError
            raise FormatError(f"{directory}/shards.json: not a ShardedIndex manifest")
        spec = dict(m["spec"])
        self = cls(client=client, **spec)
        c = self.client
        futs = [c.submit(_w_index_load, os.path.join(directory, nm), pure=False) for nm in m["shards"]]
        stats = c.gather(c.map(_w_index_stats, futs, pure=False))
        counts = [int(s["count"]) for s in stats]
        if counts != [int(x) for x in m["counts"]]:
            from .errors import FormatError
            raise FormatError(f"{directory}: shard sizes {counts} differ from the manifest's {m['counts']}")
        self._shards, self._counts, self._where = futs, counts, self._locate(futs)
        self._next_row = int(m["next_row"])
        return self
