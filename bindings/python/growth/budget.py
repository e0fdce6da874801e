"""Budget solving (budget.h): multiple-choice knapsack, channel budgets, push allocation."""
from __future__ import annotations

import ctypes
import math
from typing import Any, Sequence

import numpy as np

from . import _lib
from ._lib import lib, check, enc, c_int, c_size_t, c_double, c_void_p, c_char_p, c_uint32, c_uint64, P, Handle
from ._options import _config
from ._arrays import ptr
from ._handle import OwnedHandle
from .errors import InvalidArgument
from ._types import ArrayLike, Progress

# include/growth/sys/budget.h (unstable): the exact-LP polish's limits and first trust-region width
GROWTH_MCKP_LP_MAX_USERS = 400
GROWTH_MCKP_LP_MAX_OPTIONS = 4000
GROWTH_MCKP_LP_DELTA0 = 1e-7

PROGRESS = ctypes.CFUNCTYPE(c_int, c_char_p, c_double, c_void_p)


class MCKPResultC(ctypes.Structure):
    """growth_mckp_result (budget.h)."""
    _fields_ = [("struct_size", c_uint32), ("n_budgets", c_uint32), ("value", c_double),
                ("lp_value", c_double), ("dual_bound", c_double), ("gap", c_double),
                ("rel_gap", c_double), ("n_users", c_uint64), ("n_chosen", c_uint64),
                ("iterations", c_uint32), ("fractional", c_uint32)]


class MCKPCoordStatsC(ctypes.Structure):
    """growth_mckp_coord_stats (sys/budget.h, unstable)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("rounds", c_uint64),
                ("requests", c_uint64), ("shard_passes", c_uint64), ("doubles_to_shards", c_uint64),
                ("doubles_from_shards", c_uint64)]


class PushResultC(ctypes.Structure):
    """growth_budget_push_result (budget.h)."""
    _fields_ = [("struct_size", c_uint32), ("iterations", c_uint32), ("value", c_double),
                ("lp_value", c_double), ("gap", c_double), ("sent", c_uint64)]


class ChannelsFitResultC(ctypes.Structure):
    """growth_channels_fit_result (budget.h)."""
    _fields_ = [("struct_size", c_uint32), ("family", ctypes.c_int32), ("a", c_double), ("b", c_double),
                ("r2", c_double), ("rmse", c_double), ("spend_lo", c_double), ("spend_hi", c_double),
                ("n", c_uint64), ("knots", c_uint64)]


class ResponseResultC(ctypes.Structure):
    """growth_response_result (budget.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("objective", c_double),
                ("spend", c_double), ("marginal", c_double), ("price", c_double),
                ("multiplier", c_double * 2), ("extrapolated", c_uint64), ("bound", c_double)]


class ChannelsStatsC(ctypes.Structure):
    """growth_channels_stats (budget.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("channels", c_uint64)]


_lib.declare({
    "growth_mckp_create": (c_int, [P(Handle), c_char_p]),
    "growth_mckp_free": (None, [Handle]),
    "growth_mckp_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_mckp_set_progress": (c_int, [Handle, PROGRESS, c_void_p]),
    "growth_mckp_cancel": (c_int, [Handle]),
    "growth_mckp_solve": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t]),
    "growth_mckp_result_get": (c_int, [Handle, P(MCKPResultC)]),
    "growth_mckp_duals": (c_int, [Handle, c_void_p, c_void_p, c_size_t]),
    # Unstable interfaces (include/growth/sys/budget.h, symbol version GROWTH_SYS_1.0), used by
    # MCKPSolver.shard_* / restricted_lp and growth.distributed: they may change in any minor
    # release, and this package is released with the library it calls.
    "growth_mckp_shard_eval": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p]),
    "growth_mckp_shard_assign": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p]),
    "growth_mckp_shard_scan": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_double, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p]),
    "growth_mckp_restricted_lp": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p, c_double, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p]),
    "growth_mckp_shard_step": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p, c_size_t, P(c_size_t)]),
    "growth_mckp_coord_create": (c_int, [P(Handle), c_size_t, c_size_t, c_size_t, c_size_t, c_void_p, c_char_p]),
    "growth_mckp_coord_free": (None, [Handle]),
    "growth_mckp_coord_next": (c_int, [Handle, P(c_int)]),
    "growth_mckp_coord_request": (c_int, [Handle, c_size_t, c_void_p, c_size_t, P(c_size_t)]),
    "growth_mckp_coord_feed": (c_int, [Handle, c_size_t, c_void_p, c_size_t]),
    "growth_mckp_coord_fail": (c_int, [Handle, c_size_t, c_int, c_char_p]),
    "growth_mckp_coord_cancel": (c_int, [Handle]),
    "growth_mckp_coord_result_get": (c_int, [Handle, P(MCKPResultC)]),
    "growth_mckp_coord_duals": (c_int, [Handle, c_void_p, c_void_p, c_size_t]),
    "growth_mckp_coord_stats_get": (c_int, [Handle, P(MCKPCoordStatsC)]),
    "growth_channels_create": (c_int, [P(Handle), c_char_p]),
    "growth_channels_free": (None, [Handle]),
    "growth_channels_stats_get": (c_int, [Handle, P(ChannelsStatsC)]),
    "growth_channels_add": (c_int, [Handle, c_int, c_double, c_double, c_double, c_double, c_double, P(c_size_t)]),
    "growth_channels_add_points": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_double, c_double, c_double, P(c_size_t)]),
    "growth_channels_allocate": (c_int, [Handle, c_double, c_void_p, c_void_p, c_size_t, P(c_double), P(c_double)]),
    "growth_channels_curve": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_channels_fit": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, P(ChannelsFitResultC),
                                    c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_response_create": (c_int, [P(Handle), c_size_t, c_char_p]),
    "growth_response_free": (None, [Handle]),
    "growth_response_add": (c_int, [Handle, ctypes.c_int32, c_double, c_double, P(c_size_t)]),
    "growth_response_set_curve": (c_int, [Handle, c_size_t, c_size_t, c_int, c_double, c_double]),
    "growth_response_set_points": (c_int, [Handle, c_size_t, c_size_t, c_void_p, c_void_p, c_size_t]),
    "growth_response_allocate": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p,
                                         c_void_p, c_void_p, c_size_t, P(ResponseResultC)]),
    "growth_budget_allocate_push": (c_int, [c_void_p, c_size_t, c_void_p, c_void_p, c_void_p, c_size_t,
                                            c_void_p, c_void_p, c_double, c_void_p, c_char_p, c_void_p,
                                            c_void_p, c_size_t, P(PushResultC), PROGRESS, c_void_p]),
})

CURVE_EXP, CURVE_LOG = 1, 2


_cfg = _config


def _f64(a, name):
    return np.ascontiguousarray(a, dtype=np.float64)


class MCKPResult:
    """Result of :func:`solve_mckp`.

    ``choice``: option per user (column of the dense input, or offset within the user's CSR
    options), -1 for none. ``value``/``spend``: the integer plan. ``lp_value``: LP optimum
    (exact with one budget; with several the best dual bound). ``dual_bound``: certified upper
    bound. ``gap``: relative gap (dual_bound - value) / dual_bound; ``abs_gap`` absolute.
    ``lambdas``: dual prices per budget.
    """

    def __init__(self, choice: np.ndarray, r: MCKPResultC, lambdas: np.ndarray, spend: np.ndarray) -> None:
        self.choice = choice
        self.value = r.value
        self.lp_value = r.lp_value
        self.dual_bound = r.dual_bound
        self.abs_gap = r.gap
        self.gap = r.rel_gap
        self.n_chosen = r.n_chosen
        self.iterations = r.iterations
        self.lambdas = lambdas
        self.spend = spend if spend.size > 1 else float(spend[0])

    def __repr__(self):
        return (f"MCKPResult(value={self.value:.6g}, lp_value={self.lp_value:.6g}, "
                f"gap={self.gap:.3g}, chosen={self.n_chosen})")


def _mckp_input(values, costs, indptr):
    """-> indptr u64, values f64 (nnz), costs f64 (nnz x K), K, column map or None, n."""
    if isinstance(values, tuple):
        if len(values) != 3 or costs is not None or indptr is not None:
            raise InvalidArgument("pass CSR input as values=(indptr, values, costs)")
        indptr, values, costs = values
    if costs is None:
        raise InvalidArgument("costs are required")
    if indptr is not None:
        indptr = np.ascontiguousarray(indptr, dtype=np.uint64)
        v = _f64(values, "values").ravel()
        c = _f64(costs, "costs")
        if c.ndim == 1:
            c = c.reshape(-1, 1)
        if indptr.ndim != 1 or indptr.size < 1:
            raise InvalidArgument("indptr must be 1-D with n_users + 1 offsets")
        if v.size < int(indptr[-1]) or c.shape[0] < int(indptr[-1]):
            raise InvalidArgument(f"indptr ends at {int(indptr[-1])} but values/costs are shorter")
        return indptr, v, np.ascontiguousarray(c), c.shape[1], None, indptr.size - 1
    v = _f64(values, "values")
    c = _f64(costs, "costs")
    if v.ndim != 2:
        raise InvalidArgument(f"values must be users x options, got shape {v.shape}")
    if c.ndim == 2:
        c = c[:, :, None]
    if c.ndim != 3 or c.shape[:2] != v.shape:
        raise InvalidArgument(f"costs must be users x options [x budgets] like values {v.shape}, got {c.shape}")
    n, m = v.shape
    K = c.shape[2]
    absent = np.isnan(v) | np.isnan(c).any(axis=2)
    if not absent.any():
        indptr = np.arange(n + 1, dtype=np.uint64) * np.uint64(m)
        return indptr, v.reshape(-1), c.reshape(-1, K), K, None, n
    keep = ~absent
    counts = keep.sum(axis=1)
    indptr = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(counts, out=indptr[1:])
    cols = np.nonzero(keep)[1].astype(np.int32)
    return indptr, np.ascontiguousarray(v[keep]), np.ascontiguousarray(c[keep]), K, (cols, indptr), n


class MCKPSolver(OwnedHandle):
    """A reusable solver handle (threads, progress callback, cancellation, shard API)."""

    _free_fn = "growth_mckp_free"

    def __init__(self, threads: int = 1, max_iter: int | None = None, tol: float | None = None,
                 fill: bool | None = None) -> None:
        h = Handle()
        check(lib.growth_mckp_create(ctypes.byref(h), enc(_cfg(threads=threads, max_iter=max_iter, tol=tol, fill=fill))))
        self._h = h
        self._cb = None

    def cancel(self) -> None:
        """Asks a solve running in another thread to stop (it raises growth.Canceled)."""
        check(lib.growth_mckp_cancel(self._handle()))

    @property
    def config(self) -> str:
        """The full effective configuration string."""
        return _lib.read_string(lib.growth_mckp_config, self._handle())

    def set_progress(self, fn: Progress | None) -> None:
        """fn(stage: str, done: float) -> truthy to cancel; None clears."""
        if fn is None:
            self._set_callback(lib.growth_mckp_set_progress, PROGRESS())
            return
        self._set_callback(lib.growth_mckp_set_progress,
                           PROGRESS(lambda stage, done, _u: 1 if fn(stage.decode(), done) else 0))

    def solve(self, values: Any, costs: ArrayLike | None = None, budget: float | ArrayLike | None = None,
              indptr: ArrayLike | None = None) -> MCKPResult:
        """Solves a multiple-choice knapsack with this handle's settings (threads, progress,
        cancellation): the inputs of :func:`solve_mckp`. Returns an :class:`MCKPResult`."""
        ip, v, c, K, colmap, n = _mckp_input(values, costs, indptr)
        b = np.atleast_1d(_f64(budget if budget is not None else np.nan, "budget")).ravel()
        if b.size != K:
            raise InvalidArgument(f"{b.size} budgets given for costs with {K} budget columns")
        choice = np.empty(n, dtype=np.int32)
        h = self._handle()  # one lease: the result and the duals are the solve's
        check(lib.growth_mckp_solve(h, ptr(ip), n, ptr(v), ptr(c), K, ptr(b), ptr(choice), n))
        r = MCKPResultC(struct_size=ctypes.sizeof(MCKPResultC))
        check(lib.growth_mckp_result_get(h, ctypes.byref(r)))
        lam, sp = np.empty(K), np.empty(K)
        check(lib.growth_mckp_duals(h, ptr(lam), ptr(sp), K))
        if colmap is not None:
            cols, ipk = colmap
            sel = choice >= 0
            choice[sel] = cols[ipk[:-1][sel].astype(np.int64) + choice[sel]]
        return MCKPResult(choice, r, lam, sp)

    def shard_eval(self, indptr: ArrayLike, values: ArrayLike, costs: ArrayLike,
                   lambdas: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Spend (points x K), value and dual part (points) of a CSR shard at price vectors."""
        ip, v, c, K, _, n = _mckp_input(values, costs, indptr)
        lam = _f64(lambdas, "lambdas").reshape(-1, K)
        np_ = lam.shape[0]
        sp, val, du = np.empty((np_, K)), np.empty(np_), np.empty(np_)
        check(lib.growth_mckp_shard_eval(self._handle(), ptr(ip), n, ptr(v), ptr(c), K, ptr(lam), np_, ptr(sp), ptr(val), ptr(du)))
        return sp, val, du

    def shard_assign(self, indptr: ArrayLike, values: ArrayLike, costs: ArrayLike,
                     lambdas: ArrayLike) -> tuple[np.ndarray, np.ndarray, float]:
        """Choices (offset within each user's options, -1 none), spend (K) and value."""
        ip, v, c, K, _, n = _mckp_input(values, costs, indptr)
        lam = _f64(lambdas, "lambdas").ravel()
        if lam.size != K:
            raise InvalidArgument(f"{lam.size} prices for {K} budgets")
        choice, sp, val = np.empty(n, dtype=np.int32), np.empty(K), c_double()
        check(lib.growth_mckp_shard_assign(self._handle(), ptr(ip), n, ptr(v), ptr(c), K, ptr(lam), ptr(choice), n, ptr(sp), ctypes.byref(val)))
        return choice, sp, val.value

    def shard_scan(self, indptr: ArrayLike, values: ArrayLike, costs: ArrayLike, center: ArrayLike,
                   delta: float, cap: int) -> tuple[np.ndarray, np.ndarray, int, int, np.ndarray]:
        """The exact-LP polish's scan of a CSR shard: fixed choices (-1 also for undecided
        users), the first ``cap`` undecided users, their total count and options, and the
        fixed users' spend (K) + value."""
        ip, v, c, K, _, n = _mckp_input(values, costs, indptr)
        ctr = _f64(center, "center").ravel()
        if ctr.size != K:
            raise InvalidArgument(f"{ctr.size} prices for {K} budgets")
        choice, und = np.empty(n, dtype=np.int32), np.empty(max(int(cap), 1), dtype=np.uint64)
        nu, no, fixed = ctypes.c_size_t(), ctypes.c_size_t(), np.empty(K + 1)
        check(lib.growth_mckp_shard_scan(self._handle(), ptr(ip), n, ptr(v), ptr(c), K, ptr(ctr), float(delta),
                                         ptr(choice), n, ptr(und), int(cap), ctypes.byref(nu),
                                         ctypes.byref(no), ptr(fixed)))
        return choice, und[:min(nu.value, int(cap))].astype(np.int64), nu.value, no.value, fixed

    def restricted_lp(self, indptr: ArrayLike, values: ArrayLike, costs: ArrayLike, budgets: ArrayLike,
                      fixed: ArrayLike, center: ArrayLike,
                      delta: float) -> tuple[np.ndarray, np.ndarray, float, bool, int]:
        """The polish's restricted LP over undecided users (CSR; costs (nnz, K)): per-user
        rounded-down picks, prices, LP value, whether it is exact, fractional users."""
        K = len(np.atleast_1d(budgets))
        ip = np.ascontiguousarray(indptr, dtype=np.uint64)
        n = ip.size - 1
        v = np.ascontiguousarray(values, dtype=np.float64)
        c = np.ascontiguousarray(costs, dtype=np.float64).reshape(-1, K)
        b = _f64(budgets, "budgets").ravel()
        fx = _f64(fixed, "fixed").ravel()
        ctr = _f64(center, "center").ravel()
        pick, lam = np.empty(max(n, 1), dtype=np.int32), np.empty(K)
        lpv, exact, frac = c_double(), ctypes.c_int(), ctypes.c_uint32()
        check(lib.growth_mckp_restricted_lp(self._handle(), ptr(ip), n, ptr(v) if v.size else None,
                                            ptr(c) if c.size else None, K, ptr(b), ptr(fx),
                                            ptr(ctr), float(delta), ptr(pick), max(n, 1), ptr(lam),
                                            ctypes.byref(lpv), ctypes.byref(exact), ctypes.byref(frac)))
        return pick[:n], lam, lpv.value, bool(exact.value), frac.value


    def shard_step(self, indptr: ArrayLike, values: ArrayLike, costs: ArrayLike, request: ArrayLike,
                   plan: np.ndarray) -> np.ndarray:
        """One request of a coordinated solve (:class:`MCKPCoordinator`) on a CSR shard
        (``indptr`` uint64, ``values`` float64 (nnz,), ``costs`` float64 (nnz, K)): returns the
        reply to feed back. ``plan`` (int32, one per user) is the shard's share of the plan,
        updated in place; keep it and the arrays (the same objects) for the whole solve, since
        the handle remembers what it validated and collected between requests (unstable,
        ``growth_mckp_shard_step`` of growth/sys/budget.h)."""
        ip = np.ascontiguousarray(indptr, dtype=np.uint64)
        v = np.ascontiguousarray(values, dtype=np.float64)
        c = np.ascontiguousarray(costs, dtype=np.float64)
        K = c.shape[1] if c.ndim == 2 else 1
        rq = np.ascontiguousarray(request, dtype=np.float64)
        if not (isinstance(plan, np.ndarray) and plan.dtype == np.int32 and plan.flags.c_contiguous):
            raise InvalidArgument("plan must be a contiguous int32 numpy array (updated in place)")
        n = ip.size - 1
        cap = int(rq[4]) if rq.size > 4 and np.isfinite(rq[4]) and 0 <= rq[4] <= 1 << 40 else 0
        out = np.empty(max(cap, 1))
        got = c_size_t()
        check(lib.growth_mckp_shard_step(self._handle(), ptr(ip), n, ptr(v), ptr(c), K, ptr(rq), rq.size,
                                         ptr(plan), plan.size, ptr(out), cap, ctypes.byref(got)))
        return out[:got.value]


class MCKPCoordinator(OwnedHandle):
    """The coordinator of a sharded MCKP solve (``growth_mckp_coord``, unstable): the
    single-machine solver's search as a state machine over the shards' replies.

    Loop: ``while not co.next(): for each shard w with a request r = co.request(w) (None: no
    request this round), run ``MCKPSolver.shard_step`` where the shard lives and
    ``co.feed(w, reply)`` (or ``co.fail(w, code, message)``). Then :meth:`result`."""

    _free_fn = "growth_mckp_coord_free"

    def __init__(self, n_shards: int, n_users: int, n_options: int, budgets: ArrayLike, *,
                 max_iter: int | None = None, tol: float | None = None, fill: bool | None = None) -> None:
        b = np.atleast_1d(_f64(budgets, "budgets")).ravel()
        h = Handle()
        check(lib.growth_mckp_coord_create(ctypes.byref(h), int(n_shards), int(n_users), int(n_options), b.size,
                                           ptr(b), enc(_cfg(max_iter=max_iter, tol=tol, fill=fill))))
        self._h = h
        self.n_shards, self.K = int(n_shards), b.size

    def next(self) -> bool:
        """Consumes the last round's replies and writes the next round's requests; True when
        the solve has finished. Raises the shard's error after :meth:`fail`, growth.Canceled
        after :meth:`cancel`."""
        done = c_int()
        check(lib.growth_mckp_coord_next(self._handle(), ctypes.byref(done)))
        return bool(done.value)

    def request(self, shard: int) -> np.ndarray | None:
        """This round's request for a shard (float64 array), or None."""
        n = c_size_t()
        h = self._handle()
        rc = lib.growth_mckp_coord_request(h, int(shard), None, 0, ctypes.byref(n))
        if rc != _lib.errors.BufferTooSmall.code:
            check(rc)
        if n.value == 0:
            return None
        out = np.empty(n.value)
        check(lib.growth_mckp_coord_request(h, int(shard), ptr(out), n.value, ctypes.byref(n)))
        return out

    def feed(self, shard: int, reply: ArrayLike) -> None:
        r = np.ascontiguousarray(reply, dtype=np.float64)
        check(lib.growth_mckp_coord_feed(self._handle(), int(shard), ptr(r), r.size))

    def fail(self, shard: int, code: int, message: str | None = None) -> None:
        """Reports that a shard failed: the next :meth:`next` raises with its message."""
        check(lib.growth_mckp_coord_fail(self._handle(), int(shard), int(code), enc(message)))

    def cancel(self) -> None:
        check(lib.growth_mckp_coord_cancel(self._handle()))

    def result(self) -> tuple[MCKPResultC, np.ndarray, np.ndarray]:
        """(growth_mckp_result, prices, spend) of the finished solve."""
        h = self._handle()
        r = MCKPResultC(struct_size=ctypes.sizeof(MCKPResultC))
        check(lib.growth_mckp_coord_result_get(h, ctypes.byref(r)))
        lam, sp = np.empty(self.K), np.empty(self.K)
        check(lib.growth_mckp_coord_duals(h, ptr(lam), ptr(sp), self.K))
        return r, lam, sp

    def stats(self) -> dict[str, int]:
        """rounds, requests, shard_passes, doubles_to_shards, doubles_from_shards."""
        st = MCKPCoordStatsC(struct_size=ctypes.sizeof(MCKPCoordStatsC))
        check(lib.growth_mckp_coord_stats_get(self._handle(), ctypes.byref(st)))
        return {f: int(getattr(st, f)) for f, _ in MCKPCoordStatsC._fields_[2:]}


def solve_mckp(values: Any = None, costs: ArrayLike | None = None, budget: float | ArrayLike | None = None, *,
               indptr: ArrayLike | None = None, threads: int = 1, fill: bool | None = None,
               max_iter: int | None = None, tol: float | None = None,
               progress: Progress | None = None) -> MCKPResult:
    """Multiple-choice knapsack: each user picks at most one option, total cost <= budget.

    ``values``/``costs``: dense users x options arrays (NaN = option absent; costs may have a
    third axis of K budgets), or CSR: ``indptr=`` with 1-D values and (nnz,) or (nnz, K)
    costs, or ``values=(indptr, values, costs)``. ``budget``: a number or K numbers.
    Returns an :class:`MCKPResult`.
    """
    with MCKPSolver(threads=threads, max_iter=max_iter, tol=tol, fill=fill) as s:
        if progress is not None:
            s.set_progress(progress)
        return s.solve(values, costs, budget, indptr)


# ---- channels --------------------------------------------------------------------------------

class ChannelPlan:
    """Result of :func:`allocate_channels` for one budget: ``spend`` and ``outcome`` per channel,
    ``total`` outcome, ``marginal`` outcome of one more unit of budget."""

    def __init__(self, spend: np.ndarray, outcome: np.ndarray, total: float, marginal: float) -> None:
        self.spend, self.outcome, self.total, self.marginal = spend, outcome, total, marginal

    def __repr__(self):
        return f"ChannelPlan(total={self.total:.6g}, marginal={self.marginal:.6g}, spend={self.spend})"


class ChannelCurve:
    """Result of :func:`allocate_channels` for many budgets: ``budgets``, ``total``,
    ``marginal`` (one per budget) and ``spend`` (budgets x channels)."""

    def __init__(self, budgets: np.ndarray, total: np.ndarray, marginal: np.ndarray, spend: np.ndarray) -> None:
        self.budgets, self.total, self.marginal, self.spend = budgets, total, marginal, spend


def _channels(curves, weights, min_spend, max_spend):
    h = Handle()
    check(lib.growth_channels_create(ctypes.byref(h), b""))
    try:
        nc = len(curves)
        w = np.ones(nc) if weights is None else _f64(weights, "weights")
        lo = np.zeros(nc) if min_spend is None else _f64(min_spend, "min_spend")
        hi = np.full(nc, np.inf) if max_spend is None else _f64(max_spend, "max_spend")
        if w.shape != (nc,) or lo.shape != (nc,) or hi.shape != (nc,):
            raise InvalidArgument(f"weights/min_spend/max_spend need {nc} entries")
        for i, cv in enumerate(curves):
            kind = cv[0]
            if kind in ("exp", "log"):
                check(lib.growth_channels_add(h, CURVE_EXP if kind == "exp" else CURVE_LOG,
                                              float(cv[1]), float(cv[2]), w[i], lo[i], hi[i],
                                              None))
            elif kind == "points":
                x, y = _f64(cv[1], "x").ravel(), _f64(cv[2], "y").ravel()
                if x.size != y.size:
                    raise InvalidArgument(f"channel {i}: x and y differ in length")
                check(lib.growth_channels_add_points(h, ptr(x), ptr(y), x.size, w[i], lo[i], hi[i],
                                                     None))
            else:
                raise InvalidArgument(f"channel {i}: curve kind {kind!r} is not 'exp', 'log' or 'points'")
        return h
    except BaseException:
        lib.growth_channels_free(h)
        raise


def allocate_channels(curves: Sequence[tuple], budget: float | ArrayLike, *,
                      weights: ArrayLike | None = None, min_spend: ArrayLike | None = None,
                      max_spend: ArrayLike | None = None) -> ChannelPlan | ChannelCurve:
    """Splits a budget over channels with concave response curves.

    ``curves``: one per channel, ``("exp", a, b)`` for a*(1-exp(-b*x)), ``("log", a, b)`` for
    a*log(1+b*x), or ``("points", xs, ys)`` piecewise-linear through measured points (xs[0] = 0,
    concave). ``weights``: value of one outcome unit per channel. ``budget``: a number (returns
    a :class:`ChannelPlan`) or an array of budgets (returns the whole :class:`ChannelCurve`).
    """
    h = _channels(curves, weights, min_spend, max_spend)
    try:
        nc = len(curves)
        if np.ndim(budget) == 0:
            sp, out = np.empty(nc), np.empty(nc)
            tot, mar = c_double(), c_double()
            check(lib.growth_channels_allocate(h, float(budget), ptr(sp), ptr(out), nc, ctypes.byref(tot), ctypes.byref(mar)))
            return ChannelPlan(sp, out, tot.value, mar.value)
        b = _f64(budget, "budget").ravel()
        tot, mar, sp = np.empty(b.size), np.empty(b.size), np.empty((b.size, nc))
        check(lib.growth_channels_curve(h, ptr(b), b.size, ptr(tot), ptr(mar), ptr(sp), sp.size))
        return ChannelCurve(b, tot, mar, sp)
    finally:
        lib.growth_channels_free(h)


# ---- response curves from spend logs, several outcomes ---------------------------------------

OUTCOMES = ("installs", "logins", "retained")
_LOG_COLUMNS = ("placement", "day", "spend") + OUTCOMES
_FAMILIES = {1: "exp", 2: "log", 0: "pwl"}


class SpendLogError(InvalidArgument):
    """A bad spend-log CSV: ``line`` (1-based, the header is line 1), ``column`` (the column's
    name, or None when the problem is not in one column) and ``message``."""

    def __init__(self, line: int, column: str | None, message: str, source: str | None = None) -> None:
        where = f"{source}:" if source else ""
        where += f"{line}:" + (f"{column}:" if column else "")
        super().__init__(f"{where} {message}")
        self.line, self.column, self.message, self.source = line, column, message, source


class SpendLogs:
    """Spend logs read by :func:`read_spend_logs`: one row per (placement, day).

    ``placements``: names in order of first appearance; ``platforms``: platform names (or None
    without a platform column); ``placement_platform``: platform per placement (or None);
    ``n_rows``; ``placement_index`` (row -> placement), ``day``, ``spend`` (rows,) and
    ``outcomes`` (rows x 3: installs, logins, retained)."""

    def __init__(self, placements: list, platforms: list | None, placement_platform: list | None,
                 pidx: np.ndarray, day: list, spend: np.ndarray, outcomes: np.ndarray) -> None:
        self.placements = placements
        self.platforms = platforms
        self.placement_platform = placement_platform
        self.placement_index = pidx
        self.day = day
        self.spend = spend
        self.outcomes = outcomes

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return int(self.spend.size)

    def _index(self, placement: str) -> int:
        try:
            return self.placements.index(placement)
        except ValueError:
            raise InvalidArgument(f"unknown placement {placement!r}") from None

    def rows(self, placement: str) -> tuple[np.ndarray, np.ndarray]:
        """(spend, outcomes) of one placement's rows."""
        m = self.placement_index == self._index(placement)
        return self.spend[m], self.outcomes[m]

    def spend_range(self, placement: str) -> tuple[float, float]:
        """(lowest, highest) logged spend of a placement."""
        sp, _ = self.rows(placement)
        return float(sp.min()), float(sp.max())

    def __repr__(self) -> str:
        return f"SpendLogs({self.n_rows} rows, placements={self.placements}, platforms={self.platforms})"


def _parse_number(text: str, line: int, col: str, source):
    t = text.strip()
    try:
        v = float(t)
    except ValueError:
        raise SpendLogError(line, col, f"{t!r} is not a number", source) from None
    if not math.isfinite(v):
        raise SpendLogError(line, col, f"{t!r} is not a finite number", source)
    if v < 0:
        raise SpendLogError(line, col, f"{t} is negative", source)
    return v


def read_spend_logs(src: Any) -> SpendLogs:
    """Reads spend logs from a path, a file object or CSV text (a string with a newline).

    The header names the columns ``placement, day, spend, installs, logins, retained`` and
    optionally ``platform`` (any order, case-insensitive, other columns ignored). Every value is
    checked: a missing column, a non-numeric, NaN, infinite or negative number, an empty
    placement or day, a repeated (placement, day), a placement on two platforms or a row with
    too few fields raises :class:`SpendLogError` with the line and column."""
    import csv
    import io
    import os
    source = None
    if isinstance(src, (bytes, bytearray)):
        src = bytes(src).decode("utf-8")
    if isinstance(src, str) and (not src or "\n" in src or "\r" in src):
        text = src
    elif isinstance(src, (str, os.PathLike)):
        source = os.fspath(src)
        with open(source, encoding="utf-8", newline="") as f:
            text = f.read()
    elif hasattr(src, "read"):
        text = src.read()
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        source = getattr(src, "name", None) if isinstance(getattr(src, "name", None), str) else None
    else:
        raise InvalidArgument(f"read_spend_logs: cannot read from {type(src).__name__}")
    lines = text.splitlines()
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise SpendLogError(1, None, "empty file: expected a header with the columns " + ", ".join(_LOG_COLUMNS),
                            source) from None
    names = [h.strip().lower() for h in header]
    col = {}
    for i, nm in enumerate(names):
        if nm in col and nm in _LOG_COLUMNS + ("platform",):
            raise SpendLogError(1, nm, f"column {nm!r} appears twice", source)
        col.setdefault(nm, i)
    for need in _LOG_COLUMNS:
        if need not in col:
            raise SpendLogError(1, need, f"missing column {need!r} (the header has {', '.join(names)})", source)
    has_platform = "platform" in col
    placements: list[str] = []
    pindex: dict[str, int] = {}
    plat_of: dict[str, str] = {}
    platforms: list[str] = []
    seen: set = set()
    pidx, days, spend, outs = [], [], [], []
    width = max(col[c] for c in _LOG_COLUMNS + (("platform",) if has_platform else ())) + 1
    for ln, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < width:
            missing = [c for c in _LOG_COLUMNS + (("platform",) if has_platform else ()) if col[c] >= len(row)]
            raise SpendLogError(ln, missing[0], f"{len(row)} fields, the header has {len(header)}", source)
        p = row[col["placement"]].strip()
        if not p:
            raise SpendLogError(ln, "placement", "empty placement", source)
        d = row[col["day"]].strip()
        if not d:
            raise SpendLogError(ln, "day", "empty day", source)
        if (p, d) in seen:
            raise SpendLogError(ln, "day", f"placement {p!r} has day {d!r} twice", source)
        seen.add((p, d))
        if has_platform:
            pf = row[col["platform"]].strip()
            if not pf:
                raise SpendLogError(ln, "platform", "empty platform", source)
            if plat_of.setdefault(p, pf) != pf:
                raise SpendLogError(ln, "platform", f"placement {p!r} is on platform {plat_of[p]!r} "
                                    f"in an earlier row, here {pf!r}", source)
            if pf not in platforms:
                platforms.append(pf)
        vals = [_parse_number(row[col[c]], ln, c, source) for c in ("spend",) + OUTCOMES]
        if p not in pindex:
            pindex[p] = len(placements)
            placements.append(p)
        pidx.append(pindex[p])
        days.append(d)
        spend.append(vals[0])
        outs.append(vals[1:])
    if not spend:
        raise SpendLogError(2, None, "no data rows", source)
    return SpendLogs(placements, platforms if has_platform else None,
                     [plat_of[p] for p in placements] if has_platform else None,
                     np.asarray(pidx, dtype=np.int64), days, np.asarray(spend, dtype=np.float64),
                     np.asarray(outs, dtype=np.float64).reshape(-1, 3))


def fit_curve(spend: ArrayLike, outcome: ArrayLike, weight: ArrayLike | None = None, *,
              family: str = "auto", knots: int | None = None) -> dict:
    """Fits one concave, non-decreasing response curve through the origin (growth_channels_fit).

    Returns a dict: ``family`` ("exp", "log" or "pwl"), ``a``, ``b``, ``r2``, ``rmse``, ``n``,
    ``spend_lo``, ``spend_hi`` and ``points`` ((x, y) knot arrays of a "pwl" fit, else None)."""
    if family not in ("auto", "exp", "log", "pwl"):
        raise InvalidArgument(f"family {family!r} is not 'auto', 'exp', 'log' or 'pwl'")
    x = _f64(spend, "spend").ravel()
    y = _f64(outcome, "outcome").ravel()
    w = None if weight is None else _f64(weight, "weight").ravel()
    if x.size != y.size or (w is not None and w.size != x.size):
        raise InvalidArgument("spend, outcome and weight differ in length")
    cfg = enc(_cfg(family=family, knots=knots))
    r = ChannelsFitResultC(struct_size=ctypes.sizeof(ChannelsFitResultC))
    cap = min(x.size, 1024) + 2
    kx, ky = np.empty(cap), np.empty(cap)
    n = c_size_t()
    check(lib.growth_channels_fit(ptr(x), ptr(y), ptr(w), x.size, cfg, ctypes.byref(r), ptr(kx), ptr(ky), cap,
                                  ctypes.byref(n)))
    fam = _FAMILIES[r.family]
    return {"family": fam, "a": r.a, "b": r.b, "r2": r.r2, "rmse": r.rmse, "n": int(r.n),
            "spend_lo": r.spend_lo, "spend_hi": r.spend_hi,
            "points": (kx[:n.value].copy(), ky[:n.value].copy()) if fam == "pwl" else None}


def _curve_value(fit: dict, x):
    x = np.asarray(x, dtype=np.float64)
    if fit["family"] == "exp":
        return fit["a"] * -np.expm1(-fit["b"] * x)
    if fit["family"] == "log":
        return fit["a"] * np.log1p(fit["b"] * x)
    px, py = fit["points"]
    return np.interp(x, px, py)


class MultiChannelPlan:
    """One budget's plan (:meth:`ResponseModel.allocate`): ``spend`` (placements,), ``outcomes``
    (placements x 3: installs, logins, retained), ``totals`` (3,), ``objective`` (weights .
    totals), ``marginal`` (objective per extra unit of budget), ``warnings`` (extrapolation
    beyond a placement's logged spend range), ``login_rate`` / ``retention_rate`` over the whole
    budget, ``price`` and ``multipliers`` (the Lagrange multipliers of the budget and of the
    login / retention rate constraints), ``bound`` (no plan within the constraints does better
    than this objective; equal to ``objective`` up to rounding unless a strict rate constraint
    made the Lagrangian non-concave)."""

    def __init__(self, budget: float, placements: Sequence[str], spend: np.ndarray, outcomes: np.ndarray,
                 r: ResponseResultC, warnings: list, multipliers: dict) -> None:
        self.budget = float(budget)
        self.placements = list(placements)
        self.spend = spend
        self.outcomes = outcomes
        self.totals = outcomes.sum(axis=0)
        self.objective = r.objective
        self.marginal = r.marginal
        self.price = r.price
        self.total_spend = r.spend
        self.extrapolated = int(r.extrapolated)
        self.bound = r.bound
        self.multipliers = multipliers
        self.warnings = warnings

    @property
    def login_rate(self) -> float:
        """Total logins / total installs (NaN without installs)."""
        return float(self.totals[1] / self.totals[0]) if self.totals[0] > 0 else float("nan")

    @property
    def retention_rate(self) -> float:
        """Total retained users / total installs (NaN without installs)."""
        return float(self.totals[2] / self.totals[0]) if self.totals[0] > 0 else float("nan")

    def to_dict(self) -> dict:
        """Plain Python values (for JSON)."""
        return {"budget": self.budget, "placements": self.placements, "spend": self.spend.tolist(),
                "outcomes": self.outcomes.tolist(), "totals": self.totals.tolist(),
                "objective": self.objective, "marginal": self.marginal, "total_spend": self.total_spend,
                "login_rate": self.login_rate, "retention_rate": self.retention_rate,
                "bound": self.bound, "warnings": list(self.warnings)}

    def __repr__(self) -> str:
        return (f"MultiChannelPlan(budget={self.budget:.6g}, objective={self.objective:.6g}, "
                f"totals={self.totals}, marginal={self.marginal:.6g})")


class MultiChannelCurve:
    """Budget -> outcome curve (:meth:`ResponseModel.curve`): ``budgets`` (n,), ``totals`` (n x 3),
    ``objective`` (n,), ``marginal`` (n,), ``spend`` (n x placements), ``warnings`` (per budget)."""

    def __init__(self, budgets: np.ndarray, plans: list) -> None:
        self.budgets = budgets
        self.plans = plans
        self.totals = np.array([p.totals for p in plans]).reshape(len(plans), 3)
        self.objective = np.array([p.objective for p in plans])
        self.marginal = np.array([p.marginal for p in plans])
        self.spend = np.array([p.spend for p in plans]).reshape(len(plans), -1)
        self.warnings = [p.warnings for p in plans]


class ResponseModel(OwnedHandle):
    """Response curves per placement and outcome (:func:`fit_response_curves`), allocating budgets
    through growth_response_allocate.

    ``placements``; ``outcomes`` = ("installs", "logins", "retained"); ``fits``: per placement a
    dict outcome -> fit dict (see :func:`fit_curve`); ``placement_platform`` (or None);
    ``platforms`` (or None)."""

    _free_fn = "growth_response_free"
    outcomes = OUTCOMES

    def __init__(self, placements: Sequence[str], fits: Sequence[dict],
                 placement_platform: Sequence[str] | None = None, platforms: Sequence[str] | None = None) -> None:
        self.placements = list(placements)
        self.fits = list(fits)
        self.placement_platform = None if placement_platform is None else list(placement_platform)
        self.platforms = None if platforms is None else list(platforms)
        if len(self.fits) != len(self.placements):
            raise InvalidArgument("one fit dict per placement")
        h = Handle()
        check(lib.growth_response_create(ctypes.byref(h), len(OUTCOMES), b""))
        self._h = h
        for i, fd in enumerate(self.fits):
            lo = min(f["spend_lo"] for f in fd.values())
            hi = max(f["spend_hi"] for f in fd.values())
            g = -1
            if self.placement_platform is not None:
                g = self.platforms.index(self.placement_platform[i])
            idx = c_size_t()
            check(lib.growth_response_add(self._handle(), g, lo, hi, ctypes.byref(idx)))
            for k, name in enumerate(OUTCOMES):
                f = fd[name]
                if f["family"] == "pwl":
                    px, py = (np.ascontiguousarray(a, dtype=np.float64) for a in f["points"])
                    check(lib.growth_response_set_points(self._handle(), idx.value, k, ptr(px), ptr(py), px.size))
                else:
                    check(lib.growth_response_set_curve(self._handle(), idx.value, k,
                                                        CURVE_EXP if f["family"] == "exp" else CURVE_LOG,
                                                        f["a"], f["b"]))

    def predict(self, spend: ArrayLike) -> np.ndarray:
        """Fitted outcomes (placements x 3) at one spend per placement."""
        x = _f64(spend, "spend").ravel()
        if x.size != len(self.placements):
            raise InvalidArgument(f"spend has {x.size} entries for {len(self.placements)} placements")
        return np.array([[_curve_value(self.fits[i][o], x[i]) for o in OUTCOMES] for i in range(x.size)])

    def _per_placement(self, v, name, default):
        n = len(self.placements)
        if v is None:
            return None
        if isinstance(v, dict):
            out = np.full(n, default, dtype=np.float64)
            for k, val in v.items():
                if k not in self.placements:
                    raise InvalidArgument(f"{name}: unknown placement {k!r}")
                out[self.placements.index(k)] = float(val)
            return out
        if np.ndim(v) == 0:
            return np.full(n, float(v))
        a = _f64(v, name).ravel()
        if a.size != n:
            raise InvalidArgument(f"{name} has {a.size} entries for {n} placements")
        return a

    def allocate(self, budget: float, *, weights: Sequence[float] | dict = (1.0, 0.0, 0.0),
                 min_login_rate: float | None = None, min_retention_rate: float | None = None,
                 min_spend: float | ArrayLike | dict | None = None, max_spend: float | ArrayLike | dict | None = None,
                 platform_budgets: dict | None = None) -> MultiChannelPlan:
        """Optimal split of ``budget``: maximise weights . (installs, logins, retained), optionally
        subject to logins / installs >= ``min_login_rate`` and retained / installs >=
        ``min_retention_rate`` over the whole budget, per-placement ``min_spend`` / ``max_spend``
        (a number, one per placement, or a dict placement -> value) and ``platform_budgets``
        (dict platform -> budget)."""
        if isinstance(weights, dict):
            bad = set(weights) - set(OUTCOMES)
            if bad:
                raise InvalidArgument(f"weights: unknown outcomes {sorted(bad)}")
            weights = [float(weights.get(o, 0.0)) for o in OUTCOMES]
        w = _f64(weights, "weights").ravel()
        if w.size != 3:
            raise InvalidArgument(f"weights needs 3 entries (installs, logins, retained), got {w.size}")
        if not (isinstance(budget, (int, float, np.floating, np.integer)) and not isinstance(budget, bool)):
            raise InvalidArgument(f"budget must be a number, got {budget!r}")
        ratio = np.array([0.0, 0.0 if min_login_rate is None else float(min_login_rate),
                          0.0 if min_retention_rate is None else float(min_retention_rate)])
        ng = len(self.platforms) if self.platforms else 0
        budgets = np.full(1 + ng, np.inf)
        budgets[0] = float(budget)
        if platform_budgets:
            if not self.platforms:
                raise InvalidArgument("platform_budgets given but the logs have no platform column")
            for k, v in platform_budgets.items():
                if k not in self.platforms:
                    raise InvalidArgument(f"platform_budgets: unknown platform {k!r} (known: {self.platforms})")
                budgets[1 + self.platforms.index(k)] = float(v)
        lo = self._per_placement(min_spend, "min_spend", 0.0)
        hi = self._per_placement(max_spend, "max_spend", np.inf)
        n = len(self.placements)
        sp, out = np.empty(n), np.empty((n, 3))
        r = ResponseResultC(struct_size=ctypes.sizeof(ResponseResultC))
        check(lib.growth_response_allocate(self._handle(), ptr(budgets), budgets.size, ptr(w), ptr(ratio),
                                           ptr(lo), ptr(hi), ptr(sp), ptr(out), n, ctypes.byref(r)))
        warnings = []
        for i, p in enumerate(self.placements):
            f0 = self.fits[i]
            slo = min(f["spend_lo"] for f in f0.values())
            shi = max(f["spend_hi"] for f in f0.values())
            if sp[i] > shi * (1 + 1e-9):
                warnings.append(f"{p}: spend {sp[i]:.6g} is above the logged spend range "
                                f"{slo:.6g}..{shi:.6g}: the prediction extrapolates")
            elif 0 < sp[i] < slo * (1 - 1e-9):
                warnings.append(f"{p}: spend {sp[i]:.6g} is below the logged spend range "
                                f"{slo:.6g}..{shi:.6g}: the prediction extrapolates")
        mult = {"budget": r.price, "login_rate": r.multiplier[0] if min_login_rate else 0.0,
                "retention_rate": r.multiplier[1 if min_login_rate else 0] if min_retention_rate else 0.0}
        return MultiChannelPlan(budget, self.placements, sp, out, r, warnings, mult)

    def curve(self, budgets: ArrayLike, **kw: Any) -> MultiChannelCurve:
        """:meth:`allocate` for each of ``budgets`` (same keywords)."""
        b = _f64(budgets, "budgets").ravel()
        return MultiChannelCurve(b, [self.allocate(float(x), **kw) for x in b])


def demo_spend_logs(days: int = 56, seed: int = 7) -> str:
    """CSV text of synthetic spend logs (six placements on two platforms, ``days`` days each) for
    demos and the console: columns platform, placement, day, spend, installs, logins, retained.
    The same arguments give the same bytes (examples/data/spend_logs.csv is ``demo_spend_logs()``)."""
    if not (isinstance(days, int) and 2 <= days <= 10000):
        raise InvalidArgument(f"days must be an int in 2..10000, got {days!r}")
    rng = np.random.default_rng(seed)
    # platform, placement, curve of installs(spend), spend range, login rate, day-1 retention rate
    spec = [
        ("ios", "feed_ios", lambda x: 5200 * -np.expm1(-x / 9000), (1500, 16000), 0.62, 0.31),
        ("ios", "search_ios", lambda x: 950 * np.log1p(x / 1200), (800, 9000), 0.71, 0.38),
        ("ios", "video_ios", lambda x: np.minimum(0.42 * x, 2100 + 0.08 * np.maximum(x - 5000, 0)), (1000, 12000),
         0.48, 0.22),
        ("android", "feed_android", lambda x: 7400 * -np.expm1(-x / 14000), (2000, 22000), 0.44, 0.19),
        ("android", "social_android", lambda x: 1300 * np.log1p(x / 2500), (1000, 14000), 0.58, 0.27),
        ("android", "store_android", lambda x: 3600 * -np.expm1(-x / 6000), (500, 10000), 0.36, 0.15),
    ]
    lines = ["platform,placement,day,spend,installs,logins,retained"]
    for plat, name, f, (lo, hi), lr, rr in spec:
        for d in range(days):
            x = float(np.round(rng.uniform(lo, hi), 2))
            mean = float(f(np.array(x)))
            inst = max(0, int(round(mean * (1 + 0.06 * rng.standard_normal()))))
            logins = int(rng.binomial(inst, lr))
            ret = int(rng.binomial(logins, min(1.0, rr / lr)))
            lines.append(f"{plat},{name},{d + 1},{x:.2f},{inst},{logins},{ret}")
    return "\n".join(lines) + "\n"


def fit_response_curves(logs: SpendLogs | Any, family: str = "auto", *, knots: int | None = None) -> ResponseModel:
    """Fits each placement's curve per outcome (installs, logins, retained) from spend logs (a
    :class:`SpendLogs`, or anything :func:`read_spend_logs` reads). ``family``: "auto" (the best
    by BIC per curve), "exp", "log" or "pwl"."""
    if not isinstance(logs, SpendLogs):
        logs = read_spend_logs(logs)
    fits = []
    for p in logs.placements:
        x, ys = logs.rows(p)
        try:
            fits.append({o: fit_curve(x, ys[:, k], family=family, knots=knots) for k, o in enumerate(OUTCOMES)})
        except InvalidArgument as e:
            raise InvalidArgument(f"placement {p!r}: {e.message}") from None
    return ResponseModel(logs.placements, fits, logs.placement_platform, logs.platforms)


# ---- push ------------------------------------------------------------------------------------

class PushPlan:
    """Result of :func:`allocate_push`: ``send`` (bool per pair, input order), ``hour`` (send
    hour per pair, -1 if not sent; None without profiles), ``value``, ``lp_value``, ``gap``
    (relative), ``abs_gap``, ``sent``."""

    def __init__(self, send: np.ndarray, hour: np.ndarray | None, r: PushResultC) -> None:
        self.send, self.hour = send, hour
        self.value, self.lp_value, self.abs_gap = r.value, r.lp_value, r.gap
        self.gap = r.gap / max(abs(r.lp_value), 1e-300)
        self.sent, self.iterations = r.sent, r.iterations


def allocate_push(users: ArrayLike, values: ArrayLike, categories: ArrayLike, *,
                  caps: int | ArrayLike = 1, n_categories: int | None = None,
                  cat_min: ArrayLike | None = None, cat_max: ArrayLike | None = None,
                  min_share: ArrayLike | None = None, max_share: ArrayLike | None = None,
                  volume: float = math.inf, hours: ArrayLike | None = None,
                  max_iter: int | None = None, progress: Progress | None = None) -> PushPlan:
    """Chooses (user, message) pairs to push.

    ``users``, ``values`` (predicted open value), ``categories``: one entry per candidate pair.
    ``caps``: pushes per user per day (a number or one per user, users numbered 0..n-1).
    ``cat_min``/``cat_max``: push counts per category; ``min_share``/``max_share``: the same as
    shares of ``volume`` (the global limit, required for shares). ``hours``: optional users x 24
    open-rate profile; each sent push gets a distinct hour, best hours to best pushes.
    ``progress``: optional ``fn(stage, done)`` called after every coordinate-descent round;
    a truthy return stops the call with :class:`growth.Canceled`.
    """
    u = np.ascontiguousarray(users, dtype=np.int64).ravel()
    v = _f64(values, "values").ravel()
    cat = np.ascontiguousarray(categories, dtype=np.int32).ravel()
    if not (u.size == v.size == cat.size):
        raise InvalidArgument("users, values and categories must have one entry per pair")
    if u.size and u.min() < 0:
        raise InvalidArgument("user ids must be >= 0")
    n_users = int(u.max()) + 1 if u.size else 0
    if hours is not None:
        hours = _f64(hours, "hours")
        n_users = max(n_users, hours.shape[0])
        if hours.shape != (n_users, 24):
            raise InvalidArgument(f"hours must be users x 24, got {hours.shape}")
    if np.ndim(caps) != 0:
        capa = np.ascontiguousarray(caps, dtype=np.int32).ravel()
        n_users = max(n_users, capa.size)
        if capa.size != n_users:
            raise InvalidArgument(f"caps has {capa.size} entries for {n_users} users")
        cfg = ""
    else:
        capa = None
        cfg = _cfg(cap=int(caps))
    cfg = (cfg + " " + _cfg(max_iter=max_iter)).strip()
    nc = int(n_categories) if n_categories is not None else (int(cat.max()) + 1 if cat.size else 0)
    if min_share is not None or max_share is not None:
        if not math.isfinite(volume):
            raise InvalidArgument("min_share/max_share need a finite volume")
        if min_share is not None:
            cat_min = np.floor(np.asarray(min_share, dtype=np.float64) * volume * (1 + 1e-12))
        if max_share is not None:
            cat_max = np.floor(np.asarray(max_share, dtype=np.float64) * volume * (1 + 1e-12))
    cmin = None if cat_min is None else _f64(cat_min, "cat_min").ravel()
    cmax = None if cat_max is None else _f64(cat_max, "cat_max").ravel()
    for name, a in (("cat_min", cmin), ("cat_max", cmax)):
        if a is not None and a.size != nc:
            raise InvalidArgument(f"{name} has {a.size} entries for {nc} categories")
    order = np.argsort(u, kind="stable")
    su, sv, sc = u[order], np.ascontiguousarray(v[order]), np.ascontiguousarray(cat[order])
    indptr = np.zeros(n_users + 1, dtype=np.uint64)
    np.cumsum(np.bincount(su, minlength=n_users), out=indptr[1:])
    send = np.zeros(u.size, dtype=np.uint8)
    hour = np.full(u.size, -1, dtype=np.int8) if hours is not None else None
    r = PushResultC(struct_size=ctypes.sizeof(PushResultC))
    cb = PROGRESS() if progress is None else PROGRESS(
        lambda stage, done, _u: 1 if progress(stage.decode(), done) else 0)
    check(lib.growth_budget_allocate_push(ptr(indptr), n_users, ptr(sv), ptr(sc), ptr(capa), nc,
                                          ptr(cmin), ptr(cmax), float(volume), ptr(hours), enc(cfg),
                                          ptr(send), ptr(hour), u.size, ctypes.byref(r), cb, None))
    out_send = np.empty(u.size, dtype=bool)
    out_send[order] = send.astype(bool)
    out_hour = None
    if hour is not None:
        out_hour = np.empty(u.size, dtype=np.int8)
        out_hour[order] = hour
    return PushPlan(out_send, out_hour, r)


__all__ = ["read_spend_logs", "demo_spend_logs", "SpendLogs", "SpendLogError", "fit_curve", "fit_response_curves",
           "ResponseModel", "MultiChannelPlan", "MultiChannelCurve", "OUTCOMES", "solve_mckp", "MCKPSolver", "MCKPResult", "allocate_channels", "ChannelPlan",
           "ChannelCurve", "allocate_push", "PushPlan"]
