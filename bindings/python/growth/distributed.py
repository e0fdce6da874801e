"""libgrowth on Dask: sharded budget solving, batch scoring and sharded recall.

``import growth.distributed`` explicitly (it needs dask and distributed; ``import growth`` does
not load it). Every worker imports ``growth`` itself and loads libgrowth through
``GROWTH_LIBRARY`` or the installed library, so the library and this package must be present on
every worker (see docs/scaling.md).

* :func:`solve_mckp` -- a multiple-choice knapsack whose users live in Dask partitions. The
  driver searches the dual prices with the same logic as the single-machine solver
  (``src/budget/mckp.c``), asking the workers only for shard evaluations
  (``growth_mckp_shard_eval``: a few numbers per price point) and, near the threshold, for the
  few hull segments that cross it. The final prices assign each partition where it lives
  (``growth_mckp_shard_assign``); the rounding repair and the greedy fill run as the same
  passes, the fill as a chain over the partitions in order carrying only the budget left.
  User data never crosses to the driver. The shard calls (``growth_mckp_shard_eval``,
  ``_shard_assign``, ``_shard_scan`` and ``growth_mckp_restricted_lp``, reached through
  :class:`growth.budget.MCKPSolver`) are unstable interfaces of ``include/growth/sys/budget.h``
  (symbol version ``GROWTH_SYS_1.0``): this driver is the supported way to use them, and it is
  released together with the library whose sys symbols it calls.
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
import struct
import threading
import time
from typing import Any, Callable, Sequence

import numpy as np

import dask
import dask.array as da
from distributed import get_client, wait

from . import budget as _budget
from .errors import InvalidArgument, InvalidState
from ._types import ArrayLike, PathLike

__all__ = ["solve_mckp", "DistributedMCKPResult", "score", "model_spec", "model_loads", "ShardedIndex",
           "merge_topk"]

# ---- helpers shared by driver and workers ------------------------------------------------------

_TLS = threading.local()


def _solver(threads=1):
    """One MCKP handle per worker thread (a handle is used by one thread at a time)."""
    s = getattr(_TLS, "solver", None)
    if s is None or getattr(_TLS, "threads", None) != threads:
        s = _budget.MCKPSolver(threads=threads)
        _TLS.solver, _TLS.threads = s, threads
    return s


def _key(x):
    """The bits of a non-negative double as an integer (orders like the value), as mckp.c."""
    return struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def _from_key(k):
    return struct.unpack("<d", struct.pack("<Q", int(k)))[0]


def _nbytes(obj):
    """Payload bytes of a small message (pickled size)."""
    return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _hull(a, b):
    """Upper hull from (0, 0) to the highest point of (b_j, a_j): the same vertices, in the
    same floating-point arithmetic, as user_hull() in src/budget/mckp.c. Returns (hv, hb, ha):
    option offsets (-1 = none) and coordinates of the vertices."""
    m = len(a)
    hv, hb, ha = [-1], [0.0], [0.0]
    if m <= 16:
        for j in range(m):
            if b[j] == 0 and a[j] > ha[0]:
                ha[0], hv[0] = a[j], j
        cb, ca = 0.0, ha[0]
        while True:
            best, bdb, bda = -1, 1.0, 0.0
            for j in range(m):
                db, dA = b[j] - cb, a[j] - ca
                if not (db > 0 and dA > 0):
                    continue
                left, right = dA * bdb, bda * db
                if best < 0 or left > right or (left == right and db > bdb):
                    best, bdb, bda = j, db, dA
            if best < 0:
                return hv, hb, ha
            cb, ca = b[best], a[best]
            hv.append(best); hb.append(cb); ha.append(ca)
    order = sorted(range(m), key=lambda j: (b[j], -a[j]))  # stable, as the insertion sort
    for j in order:
        bj, aj = b[j], a[j]
        if not (aj > ha[-1]):
            continue
        if bj == hb[-1] and len(hv) == 1:
            hv[0], ha[0] = j, aj
            continue
        while len(hv) >= 2:
            b0, a0, b1, a1 = hb[-2], ha[-2], hb[-1], ha[-1]
            if (a1 - a0) * (bj - b0) <= (aj - a0) * (b1 - b0):
                hv.pop(); hb.pop(); ha.pop()
            else:
                break
        hv.append(j); hb.append(bj); ha.append(aj)
    return hv, hb, ha


# ---- worker side of the MCKP protocol ---------------------------------------------------------

class _Shard:
    """One partition of users, kept in a worker's memory for the whole solve: dense values
    (n x m, NaN = absent), costs (n x m x K), the CSR view the C API takes (no copy without
    absent options), and the global index of its first user."""

    def __init__(self, values, costs, offset):
        v = np.ascontiguousarray(values, dtype=np.float64)
        c = np.ascontiguousarray(costs, dtype=np.float64)
        if c.ndim == 2:
            c = c[:, :, None]
        self.indptr, self.cv, self.cc, self.K, colmap, self.n = _budget._mckp_input(v, c, None)
        self.cols = None if colmap is None else colmap[0]
        self.v, self.c, self.offset, self.m = v, c, int(offset), v.shape[1]

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

    def assign_cols(self, lam):
        ch, sp, val = _solver().shard_assign(self.indptr, self.cv, self.cc, lam)
        return self.to_cols(ch), sp, val


class _Plan:
    """A partition's share of the plan: the chosen column per user (-1 none)."""

    def __init__(self, choice):
        self.choice = choice


def _w_make(values, costs, offset):
    return _Shard(values, costs, offset)


def _w_make_csr(part, offset):
    indptr, values, costs = part
    return _Shard.from_csr(indptr, values, costs, offset)


def _w_size(part):
    return len(part[0]) - 1


def _w_stats(sh):
    """n, options, and per budget: an upper bound on the price (max v / c) and the cost sum."""
    v, c = sh.v, sh.c
    ok = ~np.isnan(v)
    ratio, csum = np.zeros(sh.K), np.zeros(sh.K)
    for k in range(sh.K):
        ck = c[:, :, k]
        pos = ok & (ck > 0)
        if pos.any():
            ratio[k] = float(np.max(v[pos] / ck[pos]))
        csum[k] = float(ck[ok].sum())
    return dict(n=sh.n, nnz=int(ok.sum()), ratio=ratio, csum=csum)


def _w_eval(sh, lam):
    return _solver().shard_eval(sh.indptr, sh.cv, sh.cc, lam)


def _w_collect(sh, k, lam, t_lo, t_hi):
    """Hull segments along coordinate k (other prices fixed) with slope in (t_lo, t_hi] of the
    users whose choice changes between the two prices: (slope, db) rows, as mckp.c computes
    them."""
    l_lo, l_hi = np.array(lam, dtype=np.float64), np.array(lam, dtype=np.float64)
    l_lo[k], l_hi[k] = t_lo, t_hi
    s = _solver()
    a_lo = s.shard_assign(sh.indptr, sh.cv, sh.cc, l_lo)[0]
    a_hi = s.shard_assign(sh.indptr, sh.cv, sh.cc, l_hi)[0]
    out = []
    for i in np.nonzero(a_lo != a_hi)[0]:
        for slope, db, _da, _f, _t in _user_segments(sh, int(i), k, lam):
            if t_lo < slope <= t_hi:
                out.append((slope, db))
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def _user_segments(sh, i, k, lam):
    """(slope, db, da, from offset, to offset) of user i's hull along coordinate k."""
    o, e = int(sh.indptr[i]), int(sh.indptr[i + 1])
    K = sh.K
    a, b = [], []
    for j in range(o, e):
        r = float(sh.cv[j])
        crow = sh.cc[j]
        for l in range(K):
            if l != k:
                r -= float(lam[l]) * float(crow[l])
        a.append(r)
        b.append(float(crow[k]))
    hv, hb, ha = _hull(a, b)
    segs = []
    for q in range(len(hv) - 1):
        db, dA = hb[q + 1] - hb[q], ha[q + 1] - ha[q]
        segs.append((dA / db, db, dA, hv[q], hv[q + 1]))
    return segs


def _w_assign(sh, lam):
    """Assigns the partition at the final prices; the plan stays on the worker."""
    ch, sp, val = sh.assign_cols(np.asarray(lam, dtype=np.float64))
    _, _, du = _solver().shard_eval(sh.indptr, sh.cv, sh.cc, np.asarray(lam, dtype=np.float64).reshape(1, -1))
    return _Plan(ch), dict(spend=np.asarray(sp, dtype=np.float64), value=float(val),
                           dual=float(du[0]), chosen=int((ch >= 0).sum()))


def _w_scan(sh, center, delta, cap):
    """The polish's scan of a partition: fixed totals and the undecided users (local index)
    with their options as a small CSR."""
    _, und, nu, no, fixed = _solver().shard_scan(sh.indptr, sh.cv, sh.cc, center, delta, cap)
    if nu > cap:
        return fixed, nu, no, None
    ip = sh.indptr.astype(np.int64)
    lo, hi = ip[und], ip[und + 1]
    counts = hi - lo
    rows = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if und.size else np.zeros(0, np.int64)
    return fixed, nu, no, (und, counts, sh.cv[rows], sh.cc.reshape(-1, sh.K)[rows])


def _w_assign_polish(sh, lam, center, delta, local, picks):
    """Assigns the partition after an exact polish: the scan's fixed choices, the restricted
    LP's rounded picks for the undecided users (offsets within their options)."""
    s = _solver()
    ch, und, nu, _, _ = s.shard_scan(sh.indptr, sh.cv, sh.cc, center, delta, _budget.GROWTH_MCKP_LP_MAX_USERS)
    ch[np.asarray(local, dtype=np.int64)] = np.asarray(picks, dtype=np.int32)
    lam = np.asarray(lam, dtype=np.float64)
    _, _, du = s.shard_eval(sh.indptr, sh.cv, sh.cc, lam.reshape(1, -1))
    sel = np.nonzero(ch >= 0)[0]
    rows = sh.indptr[:-1][sel].astype(np.int64) + ch[sel]
    spend = np.array([math.fsum(sh.cc.reshape(-1, sh.K)[rows, l]) for l in range(sh.K)])
    value = math.fsum(sh.cv[rows])
    cols = sh.to_cols(ch)
    return _Plan(cols), dict(spend=spend, value=float(value), dual=float(du[0]), chosen=int(sel.size))


def _chosen_rows(sh, plan, idx=None):
    ch = plan.choice if idx is None else plan.choice[idx]
    rows = np.nonzero(ch >= 0)[0] if idx is None else idx[ch >= 0]
    cols = plan.choice[rows]
    return rows, sh.v[rows, cols], sh.c[rows, cols, :]


def _w_repair_cands(sh, plan, lam, over, budgets, limit):
    """The `limit` chosen users of least reduced value per share of the over-spent budgets
    (score, global user, value, costs), in the order repair() of mckp.c drops them."""
    rows, cv, cc = _chosen_rows(sh, plan)
    r = cv.copy()
    share = np.zeros(rows.size)
    for l in range(sh.K):
        r -= lam[l] * cc[:, l]
    for l in range(sh.K):
        if over[l]:
            add = cc[:, l] / budgets[l] if budgets[l] > 0 else np.where(cc[:, l] > 0, np.inf, 0.0)
            share += np.where(cc[:, l] > 0, add, 0.0)
    keep = share != 0
    rows, cv, cc, r, share = rows[keep], cv[keep], cc[keep], r[keep], share[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(np.isinf(share), -np.inf, r / share)
    users = rows.astype(np.int64) + sh.offset
    order = np.lexsort((users, score))[:limit]
    return dict(score=score[order], user=users[order], value=cv[order], cost=cc[order],
                more=bool(rows.size > limit))


def _w_set(sh, plan, users, cols):
    """A new plan with the given global users set to the given columns."""
    ch = plan.choice.copy()
    ch[np.asarray(users, dtype=np.int64) - sh.offset] = cols
    return _Plan(ch)


def _w_choices_between(sh, lam_a, lam_b):
    a = _solver().shard_assign(sh.indptr, sh.cv, sh.cc, lam_a)[0]
    b = _solver().shard_assign(sh.indptr, sh.cv, sh.cc, lam_b)[0]
    return int((a != b).sum())


def _w_phase1(sh, plan, t_star, p_below, prefix, shift, left):
    """fill() phase 1 candidates: hull segments in the crossing bucket (key >> shift == prefix)
    with slope <= t_star, db <= left, of users that could start one from their current choice.
    Rows (slope, user, db, da, from column, to column)."""
    lam_a, lam_b = np.array([t_star]), np.array([p_below])
    s = _solver()
    a = s.shard_assign(sh.indptr, sh.cv, sh.cc, lam_a)[0]
    b = s.shard_assign(sh.indptr, sh.cv, sh.cc, lam_b)[0]
    idx = np.nonzero(a != b)[0]
    if idx.size:  # prefilter: an upgrade from the current choice that fits what is left
        cur = plan.choice[idx]
        has = cur >= 0
        cc = np.where(has, cur, 0)
        v0 = np.where(has, sh.v[idx, cc], 0.0)
        c0 = np.where(has, sh.c[idx, cc, 0], 0.0)
        d = sh.c[idx, :, 0] - c0[:, None]
        okm = (sh.v[idx] > v0[:, None]) & (d > 0) & (d <= left)
        idx = idx[okm.any(axis=1)]
    out = []
    for i in idx:
        i = int(i)
        col = (lambda off: off if sh.cols is None or off < 0 else int(sh.cols[int(sh.indptr[i]) + off]))
        for slope, db, dA, f, t in _user_segments(sh, i, 0, [0.0]):
            if slope > t_star or db > left or (_key(slope) >> shift) != prefix:
                continue
            out.append((slope, float(i + sh.offset), db, dA, float(col(f)), float(col(t)),
                        float(plan.choice[i])))
    return np.array(out, dtype=np.float64).reshape(-1, 7)


def _fill_candidates(sh, ch, idx, left):
    """Users of idx with an upgrade (more value) that fits `left` from their current choice."""
    v, c = sh.v, sh.c
    cur = ch[idx]
    has = cur >= 0
    cc = np.where(has, cur, 0)
    v0 = np.where(has, v[idx, cc], 0.0)
    c0 = np.where(has[:, None], c[idx, cc, :], 0.0)
    fits = ((c[idx] - c0[:, None, :]) <= left).all(axis=2)
    return idx[((v[idx] > v0[:, None]) & fits).any(axis=1)]


def _w_fill_pre(sh, plan, left):
    """One budget: the users that could take an upgrade at the starting left (what is left
    only shrinks along the chain, so later partitions walk only these), in parallel."""
    left = np.asarray(left, dtype=np.float64)
    out = [_fill_candidates(sh, plan.choice, np.arange(lo, min(sh.n, lo + (1 << 18))), left)
           for lo in range(0, sh.n, 1 << 18)]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _w_fill2(sh, plan, prev, pre=None):
    """fill() phase 2 on this partition: each user in order takes its most valuable upgrade
    that fits what is left. `prev` is the previous partition's output (or the starting left);
    `pre` the candidates of _w_fill_pre (one budget). Returns (plan, left, value gained,
    users added)."""
    left = np.array(prev[1] if isinstance(prev, tuple) else prev, dtype=np.float64)
    K, v, c = sh.K, sh.v, sh.c
    ch = plan.choice.copy()
    n = sh.n
    gain, added = 0.0, 0

    def candidates(idx, left):
        if pre is not None:
            idx = pre[(pre >= idx[0]) & (pre <= idx[-1])] if idx.size else idx
            if idx.size == 0:
                return idx
        return _fill_candidates(sh, ch, idx, left)

    step = 1 << 18
    for lo in range(0, n, step):
        end = min(n, lo + step)
        cand = candidates(np.arange(lo, end), left)
        q = 0
        while q < cand.size:
            i = int(cand[q])
            q += 1
            cur = int(ch[i])
            vrow, crow = v[i], c[i]
            v0 = float(vrow[cur]) if cur >= 0 else 0.0
            c0 = [float(x) for x in crow[cur]] if cur >= 0 else [0.0] * K
            best, bestv = -1, v0
            for j in range(sh.m):
                vj = float(vrow[j])
                if not (vj > bestv):
                    continue
                cj = crow[j]
                if all(float(cj[l]) - c0[l] <= left[l] for l in range(K)):
                    best, bestv = j, vj
            if best < 0:
                continue
            cj = crow[best]
            grew = False
            for l in range(K):
                d = float(cj[l]) - c0[l]
                left[l] -= d
                grew |= d < 0
            gain += bestv - v0
            added += cur < 0
            ch[i] = best
            if grew:  # an upgrade cheaper in some budget: more may fit now
                cand = np.concatenate([cand[:q], _fill_candidates(sh, ch, np.arange(i + 1, end), left)])
            elif q % 64 == 0 and q < cand.size:  # what is left only shrank: re-filter
                cand = np.concatenate([cand[:q], candidates(cand[q:], left)])
    return _Plan(ch), left, gain, added


def _w_choice(plan):
    return plan.choice


# ---- driver ------------------------------------------------------------------------------------

class DistributedMCKPResult:
    """Result of :func:`solve_mckp`: the same summary as :class:`growth.budget.MCKPResult`
    (``value``, ``lp_value``, ``dual_bound``, ``gap`` relative, ``abs_gap``, ``spend``,
    ``lambdas``, ``n_chosen``, ``iterations``) plus the protocol's cost: ``round_trips``
    (driver <-> workers exchanges), ``evaluations`` (price points evaluated),
    ``bytes_to_workers`` / ``bytes_from_workers`` (pickled payloads), ``seconds``.
    ``choice`` is a Dask array (int32 per user: column of the option, -1 none) computed from
    the plan held by the workers; ``plan_futures`` the per-partition futures."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def __repr__(self):
        return (f"DistributedMCKPResult(value={self.value:.6g}, lp_value={self.lp_value:.6g}, "
                f"gap={self.gap:.3g}, chosen={self.n_chosen}, round_trips={self.round_trips})")


class _Driver:
    def __init__(self, client, shards, budgets, K, points, progress):
        self.client, self.shards, self.B, self.K = client, shards, budgets, K
        self.points = points
        self.progress = progress
        self.round_trips = self.evaluations = self.sent = self.received = 0

    def call(self, fn, *args, per_shard=None):
        """Runs fn(shard, *args) on every partition where it lives; returns the results."""
        futs = []
        for i, sh in enumerate(self.shards):
            extra = per_shard[i] if per_shard is not None else ()
            futs.append(self.client.submit(fn, sh, *extra, *args, pure=False))
        res = self.client.gather(futs)
        self.round_trips += 1
        self.sent += len(self.shards) * _nbytes(args) + (sum(_nbytes(x) for x in per_shard) if per_shard else 0)
        self.received += sum(_nbytes(r) for r in res)
        return res

    def spend_at(self, k, lam, ts):
        """Sums the partitions' spend in budget k and dual parts at prices lam with lam[k] = t
        for each t (one round trip)."""
        pts = np.repeat(np.asarray(lam, dtype=np.float64)[None, :], len(ts), axis=0)
        pts[:, k] = ts
        res = self.call(_w_eval, pts)
        self.evaluations += len(ts)
        spend = sum(r[0] for r in res)
        dual = sum(r[2] for r in res)
        return spend, dual

    def line_search(self, k, lam, ratio, mean_cost):
        """argmin of D along coordinate k, the same t as line_search() in mckp.c: the slope of
        the hull segment at which the cumulative extent (steepest first) crosses B_k."""
        B = self.B[k]
        hi = ratio * (1 + 1e-9) + 1e-300
        P = self.points
        ts = np.concatenate([[0.0], hi * 2.0 ** -np.arange(P - 2, -1, -1.0)])  # octaves below hi
        sp, _ = self.spend_at(k, lam, ts)
        S = sp[:, k]
        if S[0] <= B:
            return 0.0  # the budget is not binding at t = 0
        lo, s_lo, hi, s_hi = self._bracket(ts, S, B)
        stop = 32 * mean_cost
        for _ in range(200):
            if s_lo - s_hi <= stop or np.nextafter(np.nextafter(lo, np.inf), np.inf) >= hi:
                break
            w = hi - lo
            est = lo + (s_lo - B) / (s_lo - s_hi) * w if s_lo > s_hi else lo + w / 2
            half = P // 2
            pts = [lo + w * q / (half + 1) for q in range(1, half + 1)]
            for j in range(1, (P - half) // 2 + 1):
                d = w * 4.0 ** (-j - 1)
                pts += [est - d, est + d]
            pts = np.unique(np.clip(pts, lo, hi))
            pts = pts[(pts > lo) & (pts < hi)]
            if pts.size == 0:
                break
            sp, _ = self.spend_at(k, lam, pts)
            ts = np.concatenate([[lo], pts, [hi]])
            S = np.concatenate([[s_lo], sp[:, k], [s_hi]])
            lo, s_lo, hi, s_hi = self._bracket(ts, S, B)
        segs = self.call(_w_collect, k, np.asarray(lam, dtype=np.float64), lo, hi)
        allseg = np.concatenate(segs) if segs else np.zeros((0, 2))
        if allseg.shape[0] == 0:
            return hi
        allseg = allseg[np.argsort(-allseg[:, 0], kind="stable")]
        cum = s_hi
        for slope, db in allseg:
            if cum + db > B:
                return float(slope)
            cum += db
        return float(allseg[-1, 0])  # only by rounding, as in mckp.c

    @staticmethod
    def _bracket(ts, S, B):
        ok = np.nonzero(S <= B)[0]
        h = int(ok[0]) if ok.size else len(ts) - 1
        lo_i = max(h - 1, 0)
        return float(ts[lo_i]), float(S[lo_i]), float(ts[h]), float(S[h])


def _as_dask(x, chunks):
    if isinstance(x, da.Array):
        return x
    return da.from_array(np.asarray(x), chunks=chunks)


def solve_mckp(values: Any = None, costs: Any = None, budget: float | ArrayLike | None = None, *,
               parts: int | None = None, client: Any = None, fill: bool = True, max_iter: int = 200,
               tol: float = 1e-10, points: int = 16,
               progress: Callable[..., Any] | None = None) -> DistributedMCKPResult:
    """Solves a multiple-choice knapsack whose users are spread over Dask partitions.

    ``values``: a Dask array users x options (NaN = option absent), chunked along users only;
    ``costs``: users x options (one budget) or users x options x K; it is rechunked to the
    chunks of ``values``. Or ``parts``: a list of Dask delayed objects / futures, each a CSR
    partition ``(indptr, values, costs)`` (costs (nnz,) or (nnz, K)); choices are then offsets
    within each user's options. ``budget``: a number or K numbers.

    The driver searches the prices with the single-machine solver's logic (exact hull-slope
    threshold per coordinate, coordinate descent with several budgets), the workers evaluate
    their partitions with the C shard API; the plan is assigned, repaired and filled where it
    lives. Returns a :class:`DistributedMCKPResult` whose value, LP value, spend and gap equal
    growth.budget.solve_mckp on the same data (up to summation order, ~1e-15 relative).
    ``points``: price points per round trip of the search. ``progress(stage, info)``: called
    on the driver after each stage.
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
    stats = client.gather(client.map(_w_stats, futs, pure=False))
    K = len(stats[0]["ratio"])
    B = np.atleast_1d(np.asarray(budget, dtype=np.float64)).ravel()
    if B.size != K:
        raise InvalidArgument(f"{B.size} budgets given for costs with {K} budget columns")
    if not np.all(np.isfinite(B) & (B >= 0)):
        raise InvalidArgument("budgets must be finite and >= 0")
    ratio = np.max([s["ratio"] for s in stats], axis=0)
    nnz = max(1, sum(s["nnz"] for s in stats))
    mean_cost = np.sum([s["csum"] for s in stats], axis=0) / nnz
    drv = _Driver(client, futs, B, K, int(points), progress)
    drv.starts = [int(o) for o in offs]
    drv.round_trips += 1
    drv.received += sum(_nbytes(s) for s in stats)

    def note(stage, **info):
        if progress is not None:
            progress(stage, info)

    lam = np.zeros(K)
    best_l = lam.copy()
    iters = 0
    if K == 1:
        lam[0] = drv.line_search(0, lam, ratio[0], mean_cost[0])
        best_l = lam.copy()
        iters = 1
        note("search", lam=lam.copy())
    else:
        prev, best_d = math.inf, math.inf
        while iters < max_iter:
            for k in range(K):
                lam[k] = drv.line_search(k, lam, ratio[k], mean_cost[k])
            _, dual = drv.spend_at(0, lam, [lam[0]])
            d = float(dual[0])
            for l in range(K):
                d += lam[l] * B[l]
            if d < best_d:
                best_d, best_l = d, lam.copy()
            iters += 1
            note("descent", round=iters, dual_bound=d)
            if prev - d <= tol * abs(d):
                break
            prev = d
    polish = _polish(drv, best_l, B) if K > 1 else None
    if polish is not None:
        best_l, lp_exact, center, delta, picks = polish
        note("polish", lam=best_l.copy(), lp_value=lp_exact)
        pairs = [client.submit(_w_assign_polish, sh, best_l, center, delta, *picks[i], pure=False)
                 for i, sh in enumerate(futs)]
    else:
        # assign where the users live
        pairs = [client.submit(_w_assign, sh, best_l, pure=False) for sh in futs]
    plans = [client.submit(operator.itemgetter(0), p, pure=False) for p in pairs]
    summ = client.gather([client.submit(operator.itemgetter(1), p, pure=False) for p in pairs])
    drv.round_trips += 1
    drv.sent += len(futs) * _nbytes(best_l)
    drv.received += sum(_nbytes(s) for s in summ)
    del pairs
    spend = np.zeros(K)
    for s in summ:
        spend = spend + s["spend"]
    value = float(sum(s["value"] for s in summ))
    dual = float(sum(s["dual"] for s in summ))
    chosen = int(sum(s["chosen"] for s in summ))
    dbound = dual
    for l in range(K):
        dbound += best_l[l] * B[l]
    note("assign", value=value, spend=spend.copy())
    # repair (mckp.c repair()): drop users of least reduced value per share of over-spent budgets
    over = spend > B
    if over.any():
        plans, spend, value, chosen = _repair(drv, plans, best_l, B, over, spend, value, chosen)
        note("repair", value=value, spend=spend.copy())
    if fill:
        left = B - spend
        if K == 1 and best_l[0] > 0:
            plans, left, value, chosen = _fill_phase1(drv, plans, float(best_l[0]), left, value, chosen)
        chain = []
        prev = left
        pres = ([client.submit(_w_fill_pre, sh, pl, left, pure=False) for sh, pl in zip(futs, plans)]
                if K == 1 else [None] * len(futs))
        for sh, pl, pre in zip(futs, plans, pres):
            prev = client.submit(_w_fill2, sh, pl, prev, pre, pure=False)
            chain.append(prev)
        del pres
        plans = [client.submit(operator.itemgetter(0), f, pure=False) for f in chain]
        outs = client.gather([client.submit(operator.itemgetter(1, 2, 3), f, pure=False) for f in chain])
        drv.round_trips += 1
        drv.sent += _nbytes(left) + len(futs) * 64
        drv.received += sum(_nbytes(o) for o in outs)
        for _, g, a in outs:
            value += g
            chosen += a
        left = outs[-1][0]
        spend = B - left
        del chain
        note("fill", value=value, spend=spend.copy())
    # Nothing may still be running when the result is returned: a caller that drops it (or
    # never computes the choice) releases the plan futures, and a task released while the
    # worker is starting it, together with its input, fails there with a KeyError on the
    # input it had just dropped (issue 19). So the plans are complete before the return, and
    # the choice is a lazy task on them that only runs, held by its compute, when asked for.
    wait(plans)
    choice = da.concatenate([da.from_delayed(dask.delayed(_w_choice, pure=True)(p),
                                             shape=(int(c),), dtype=np.int32)
                             for p, c in zip(plans, chunks)])
    gap = dbound - value
    lp_value = min(polish[1], dbound) if polish is not None else dbound
    return DistributedMCKPResult(
        value=value, lp_value=lp_value, dual_bound=dbound, abs_gap=gap,
        gap=gap / max(abs(dbound), 1e-300), spend=spend if K > 1 else float(spend[0]),
        lambdas=best_l, n_chosen=chosen, n_users=n_users, iterations=iters, choice=choice,
        plan_futures=plans, shard_futures=futs, round_trips=drv.round_trips,
        evaluations=drv.evaluations, bytes_to_workers=drv.sent, bytes_from_workers=drv.received,
        partitions=len(futs), seconds=time.perf_counter() - t0)


def _polish(drv, lam0, B):
    """The exact-LP polish of mckp.c (trust region on the prices, restricted LP over the
    undecided users) with the scans on the workers: each round trip returns the partitions'
    fixed totals and their few undecided users' options. Returns (prices, LP value, center,
    delta, per-partition (local users, picks)) or None if it cannot finish (the descent's
    answer then stands, as in mckp.c)."""
    K = drv.K
    cap_u, cap_o = _budget.GROWTH_MCKP_LP_MAX_USERS, _budget.GROWTH_MCKP_LP_MAX_OPTIONS
    center = np.array(lam0, dtype=np.float64)
    delta = _budget.GROWTH_MCKP_LP_DELTA0 * max(float(center.max()), 1e-9)
    solver = _solver()
    step = shrink = 0
    while step < 60:
        res = drv.call(_w_scan, center, delta, cap_u)
        nu, no = sum(r[1] for r in res), sum(r[2] for r in res)
        if nu > cap_u or no > cap_o:
            shrink += 1
            if step > 0 or shrink > 8:
                return None
            delta /= 8
            continue
        fixed = np.array([math.fsum(r[0][l] for r in res) for l in range(K + 1)])
        counts = np.concatenate([r[3][1] for r in res]).astype(np.int64)
        ip = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
        v = np.concatenate([r[3][2] for r in res])
        c = np.concatenate([r[3][3] for r in res]).reshape(-1, K)
        try:
            picks, lam, lpv, exact, _ = solver.restricted_lp(ip, v, c, B, fixed, center, delta)
        except InvalidState:
            return None
        if exact:
            out, q = [], 0
            for r in res:
                u = r[3][0]
                out.append((u, picks[q:q + u.size]))
                q += u.size
            return lam, lpv, center, delta, out
        center = lam
        delta *= 2
        step += 1
    return None


def _repair(drv, plans, lam, B, over, spend, value, chosen):
    K = drv.K
    limit = 256
    while True:
        c = drv.call(_w_repair_cands, lam, over, B, limit, per_shard=[(p,) for p in plans])
        recs = []
        bound = None
        for r in c:
            for q in range(r["score"].size):
                recs.append((r["score"][q], int(r["user"][q]), float(r["value"][q]), r["cost"][q]))
            if r["more"] and r["score"].size:
                last = (r["score"][-1], int(r["user"][-1]))
                bound = last if bound is None or last < bound else bound
        recs.sort(key=lambda x: (x[0], x[1]))
        sp, val, ch = spend.copy(), value, chosen
        drops = []
        anyover = True
        complete = False
        for score, user, v, cst in recs:
            if bound is not None and (score, user) > bound:
                break
            helps = any(over[l] and sp[l] > B[l] and cst[l] > 0 for l in range(K))
            if not helps:
                continue
            for l in range(K):
                sp[l] -= cst[l]
            val -= v
            ch -= 1
            drops.append(user)
            anyover = any(sp[l] > B[l] for l in range(K))
            if not anyover:
                complete = True
                break
        if complete or bound is None:
            break
        limit *= 8
    return _apply(drv, plans, drops, [-1] * len(drops)), sp, val, ch


def _apply(drv, plans, users, cols):
    """Sends per-partition updates (global user -> column) to the plans where they live."""
    if not users:
        return plans
    users = np.asarray(users, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int32)
    starts = drv.starts
    out = []
    for i, (sh, pl) in enumerate(zip(drv.shards, plans)):
        lo = starts[i]
        hi = starts[i + 1] if i + 1 < len(starts) else np.iinfo(np.int64).max
        sel = (users >= lo) & (users < hi)
        if sel.any():
            out.append(drv.client.submit(_w_set, sh, pl, users[sel], cols[sel], pure=False))
            drv.sent += int(sel.sum()) * 12
        else:
            out.append(pl)
    drv.round_trips += 1
    return out


def _fill_phase1(drv, plans, t_star, left, value, chosen):
    """fill() phase 1 of mckp.c: the segments of the line search's crossing histogram bucket
    just below the threshold, steepest first, each if its user sits at its start and it fits.
    The bucket's level is chosen as mckp.c does (refine while it holds > 2^21 segments),
    counting the users that change inside it."""
    shifts = [48, 32, 16, 0]
    key = _key(t_star)
    for level, sh in enumerate(shifts):
        prefix = key >> sh
        lo_v, hi_v = _from_key(prefix << sh), _from_key((prefix + 1) << sh)
        if level == 3:
            break
        below_lo = float(np.nextafter(lo_v, 0.0))
        below_hi = float(np.nextafter(hi_v, 0.0))
        cnt = sum(drv.call(_w_choices_between, np.array([below_lo]), np.array([below_hi])))
        if cnt <= (1 << 21):
            break
    p_below = float(np.nextafter(lo_v, 0.0))
    segs = drv.call(_w_phase1, t_star, p_below, prefix, sh, float(left[0]), per_shard=[(p,) for p in plans])
    allseg = np.concatenate(segs) if segs else np.zeros((0, 7))
    if allseg.shape[0] == 0:
        return plans, left, value, chosen
    allseg = allseg[np.lexsort((allseg[:, 1], -allseg[:, 0]))]
    cur_cols = {int(r[1]): int(r[6]) for r in allseg}
    cur = {}
    left = left.copy()
    for slope, user, db, dA, f, t, _c in allseg:
        u = int(user)
        if slope > t_star or cur_cols[u] != int(f):
            continue
        if db <= left[0]:
            cur_cols[u] = int(t)
            left[0] -= db
            value += dA
            if int(f) < 0:
                chosen += 1
            cur[u] = int(t)
    if cur:
        plans = _apply(drv, plans, list(cur.keys()), list(cur.values()))
    return plans, left, value, chosen


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
