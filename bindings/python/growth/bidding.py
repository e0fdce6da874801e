"""oCPX bidding and budget pacing (bidding.h): bids from calibrated pCTR x pCVR, first-price
bid shading learnt from win/loss feedback, a pacing controller that keeps spend on plan, and
an auction simulator.

>>> b = growth.Bidder(target_cpa=80, budget=50_000, plan="curve", curve=hourly_traffic)
>>> bids = b.bid(pctr, pcvr)              # numpy in, numpy out; lock-free
>>> b.record(seconds_since_midnight, price)  # spend feedback drives the controller
"""
from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _lib
from ._lib import (lib, check, enc, read_string, Handle, P, c_int, c_size_t, c_double, c_void_p,
                   c_char_p, c_uint32, c_uint64)
from ._options import _config
from ._arrays import ptr
from ._handle import OwnedHandle, OwnedModel
from .errors import InvalidArgument
from ._types import ArrayLike

if TYPE_CHECKING:
    from .calibration import Calibrator

class _Stats(ctypes.Structure):
    """growth_bidder_stats (bidding.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("multiplier", c_double),
                ("rate", c_double), ("spent", c_double), ("auction_results", c_uint64)]


_lib.declare({
    "growth_bidder_create": (c_int, [P(Handle), c_char_p]),
    "growth_bidder_free": (None, [Handle]),
    "growth_bidder_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_bidder_bid": (c_int, [Handle, c_double, c_double, c_double, c_uint64, P(c_double)]),
    "growth_bidder_bid_batch": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_bidder_stats_get": (c_int, [Handle, P(_Stats)]),
    "growth_bidder_record_spend": (c_int, [Handle, c_double, c_double]),
    "growth_bidder_tick": (c_int, [Handle, c_double]),
    "growth_bidder_record_auction": (c_int, [Handle, c_double, c_int, c_double]),
    "growth_bidder_win_rate": (c_int, [Handle, c_double, P(c_double)]),
    "growth_bidder_plan": (c_int, [Handle, c_double, P(c_double)]),
    "growth_bidder_new_day": (c_int, [Handle]),
    "growth_bidder_save": (c_int, [Handle, c_char_p]),
    "growth_bidder_load": (c_int, [P(Handle), c_char_p]),
    "growth_bidder_serialize": (c_int, [Handle, P(c_void_p), P(c_size_t)]),
    "growth_bidder_deserialize": (c_int, [P(Handle), c_void_p, c_size_t]),
    # Unstable interfaces (include/growth/sys/bidding.h, symbol version GROWTH_SYS_1.0): they may
    # change in any minor release, and this package is released with the library it calls.
    "growth_bidder_sim_create": (c_int, [P(Handle), c_char_p]),
    "growth_bidder_sim_free": (None, [Handle]),
    "growth_bidder_sim_sample": (c_int, [Handle, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p]),
    "growth_bidder_sim_run": (c_int, [Handle, Handle, Handle, Handle, c_void_p, c_void_p, c_void_p,
                                      c_size_t, P(c_size_t)]),
})

__all__ = ["Bidder", "BidSimulator"]


class _SimResult(ctypes.Structure):
    """growth_bidder_sim_result (sys/bidding.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("impressions", c_uint64), ("bids", c_uint64),
                ("wins", c_uint64), ("clicks", c_uint64), ("conversions", c_uint64),
                ("spend", c_double), ("budget", c_double), ("expected_conversions", c_double),
                ("value", c_double), ("cpa", c_double), ("expected_cpa", c_double),
                ("max_plan_error", c_double)]


def _floats(options):
    """The list options of bidding (``curve``, ``traffic``: slot weights) are lists of floats:
    ints in them are written as floats, as the saved configuration has always shown them."""
    return {k: [float(x) for x in np.asarray(v, dtype=np.float64).ravel()]
            if isinstance(v, (list, tuple, np.ndarray)) else v for k, v in options.items()}


def _vec(x, name, n=None):
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise InvalidArgument(f"{name} must be one-dimensional, got shape {a.shape}")
    if n is not None and len(a) != n:
        raise InvalidArgument(f"pctr has {n} entries but {name} has {len(a)}")
    return a


class Bidder(OwnedModel):
    """oCPX bidder with budget pacing and first-price bid shading.

    Keyword arguments are the C configuration keys (see bidding.h): ``mode='cpa'|'roi'``,
    ``billing='cpm'|'cpc'``, ``target_cpa``, ``target_roi``, ``bid_floor``, ``bid_cap``,
    ``auction='second'|'first'``, ``shading``, ``budget``, ``plan='uniform'|'curve'``, ``curve``
    (a list of slot weights), ``day_seconds``, ``controller='pid'|'throttle'|'none'``,
    ``interval``, ``catchup``, ``kp``, ``ki``, ``kd``, multiplier and rate bounds...

    Bids, ``multiplier``, ``win_rate`` and ``plan`` are lock-free and safe from many threads
    while another thread calls ``record`` / ``auction_result``.
    """
    _free_fn = "growth_bidder_free"
    _api = "growth_bidder"

    def __init__(self, config: str | None = None, **options: Any) -> None:
        h = ctypes.c_void_p()
        check(lib.growth_bidder_create(ctypes.byref(h), enc(_config(config, **_floats(options)))))
        self._h = h

    @property
    def config(self) -> str:
        """The full effective configuration string."""
        return read_string(lib.growth_bidder_config, self._handle())

    # -- hot path ------------------------------------------------------------------------
    def bid(self, pctr: float | ArrayLike, pcvr: float | ArrayLike, order_value: float | ArrayLike | None = None,
            request_ids: int | ArrayLike | None = None) -> float | np.ndarray:
        """Bids (0 = no bid). Scalars give a float, arrays a float64 array."""
        if np.isscalar(pctr) and np.isscalar(pcvr):
            out = c_double()
            rid = 0 if request_ids is None else int(request_ids)
            ov = 0.0 if order_value is None else float(order_value)
            check(lib.growth_bidder_bid(self._handle(), float(pctr), float(pcvr), ov, rid,
                                        ctypes.byref(out)))
            return out.value
        p = _vec(pctr, "pctr")
        n = len(p)
        v = _vec(np.broadcast_to(pcvr, (n,)) if np.isscalar(pcvr) else pcvr, "pcvr", n)
        ov = None if order_value is None else _vec(
            np.broadcast_to(order_value, (n,)) if np.isscalar(order_value) else order_value, "order_value", n)
        ids = None
        if request_ids is not None:
            ids = np.ascontiguousarray(request_ids, dtype=np.uint64)
            if ids.shape != (n,):
                raise InvalidArgument(f"pctr has {n} entries but request_ids has shape {ids.shape}")
        out = np.empty(n, dtype=np.float64)
        check(lib.growth_bidder_bid_batch(self._handle(), ptr(p), ptr(v), ptr(ov), ptr(ids), n,
                                          ptr(out), n))
        return out

    def _stats(self):
        st = _Stats(struct_size=ctypes.sizeof(_Stats))
        check(lib.growth_bidder_stats_get(self._handle(), ctypes.byref(st)))
        return st

    @property
    def multiplier(self) -> float:
        """Current pacing bid multiplier."""
        return self._stats().multiplier

    @property
    def rate(self) -> float:
        """Current participation rate (controller='throttle'; 1 otherwise)."""
        return self._stats().rate

    def win_rate(self, price: float | ArrayLike) -> float | np.ndarray:
        """Learnt probability of winning at `price` (scalar or array)."""
        prices = np.atleast_1d(np.asarray(price, dtype=np.float64))
        out = np.empty(len(prices))
        w = c_double()
        for i, p in enumerate(prices):
            check(lib.growth_bidder_win_rate(self._handle(), float(p), ctypes.byref(w)))
            out[i] = w.value
        return float(out[0]) if np.isscalar(price) else out

    @property
    def observations(self) -> int:
        """Number of auction results seen by the shading curve."""
        return int(self._stats().auction_results)

    def plan(self, t: float | ArrayLike) -> float | np.ndarray:
        """Planned cumulative spend at time `t` (seconds since the start of the day); arrays ok."""
        ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
        out = np.empty(len(ts))
        p = c_double()
        for i, x in enumerate(ts):
            check(lib.growth_bidder_plan(self._handle(), float(x), ctypes.byref(p)))
            out[i] = p.value
        return float(out[0]) if np.isscalar(t) else out

    @property
    def spent(self) -> float:
        """Spend reported so far today."""
        return self._stats().spent

    # -- feedback ------------------------------------------------------------------------
    def record(self, t: float | ArrayLike, cost: float | ArrayLike) -> Bidder:
        """Reports `cost` spent at time `t` (scalars or equal-length arrays, in time order)."""
        if np.isscalar(t) and np.isscalar(cost):
            check(lib.growth_bidder_record_spend(self._handle(), float(t), float(cost)))
            return self
        ts, cs = np.broadcast_arrays(np.asarray(t, dtype=np.float64), np.asarray(cost, dtype=np.float64))
        h = self._handle()
        for x, c in zip(ts.ravel(), cs.ravel()):
            check(lib.growth_bidder_record_spend(h, float(x), float(c)))
        return self

    def tick(self, t: float) -> Bidder:
        """Runs the controller steps due up to time `t`."""
        check(lib.growth_bidder_tick(self._handle(), float(t)))
        return self

    def auction_result(self, bid: float, won: bool, market_price: float | None = None) -> Bidder:
        """Win/loss feedback of a first-price auction (market_price None = not revealed)."""
        mp = float("nan") if market_price is None else float(market_price)
        check(lib.growth_bidder_record_auction(self._handle(), float(bid), int(bool(won)), mp))
        return self

    def new_day(self) -> Bidder:
        """Spend and the controller clock back to 0 (multiplier and shading carry over)."""
        check(lib.growth_bidder_new_day(self._handle()))
        return self

    # -- persistence: save/load/to_bytes/from_bytes/pickle from OwnedModel (the full state) --
    def __repr__(self):
        if not self._has_handle():
            return "Bidder(<closed>)"
        return f"Bidder(multiplier={self.multiplier:.4g}, spent={self.spent:.6g}, {self.config})"


class BidSimulator(OwnedHandle):
    """A day of simulated auctions (the unstable growth_bidder_sim_* interface of
    include/growth/sys/bidding.h): keyword arguments
    ``impressions``, ``traffic`` (list of slot weights), ``traffic_noise``, ``ctr``, ``cvr``,
    ``spread``, ``overpredict``, ``model_noise``, ``market_median``, ``market_sigma``,
    ``auction``, ``reveal_price``, ``seed``."""
    _free_fn = "growth_bidder_sim_free"

    def __init__(self, config: str | None = None, **options: Any) -> None:
        h = ctypes.c_void_p()
        check(lib.growth_bidder_sim_create(ctypes.byref(h), enc(_config(config, **_floats(options)))))
        self._h = h

    def sample(self, n: int) -> dict[str, np.ndarray]:
        """A training log of the simulated model: dict of float32 arrays raw_ctr, raw_cvr,
        click, conv (n each)."""
        out = {k: np.empty(int(n), dtype=np.float32) for k in ("raw_ctr", "raw_cvr", "click", "conv")}
        check(lib.growth_bidder_sim_sample(self._handle(), int(n), ptr(out["raw_ctr"]), ptr(out["raw_cvr"]),
                                           ptr(out["click"]), ptr(out["conv"])))
        return out

    def run(self, bidder: Bidder, ctr_calibrator: Calibrator | None = None,
            cvr_calibrator: Calibrator | None = None) -> dict[str, Any]:
        """Runs one day against `bidder` (optionally calibrating the raw predictions) and
        returns a dict of totals plus hourly cumulative 'spend_curve' and 'plan_curve'."""
        r = _SimResult()
        r.struct_size = ctypes.sizeof(_SimResult)
        spend = np.empty(24)
        plan = np.empty(24)
        cc = None if ctr_calibrator is None else ctr_calibrator._handle()
        vc = None if cvr_calibrator is None else cvr_calibrator._handle()
        check(lib.growth_bidder_sim_run(self._handle(), bidder._handle(), cc, vc, ctypes.byref(r),
                                        ptr(spend), ptr(plan), 24, None))
        d = {name: getattr(r, name) for name, _ in _SimResult._fields_
             if name not in ("struct_size", "reserved")}
        d["spend_curve"] = spend
        d["plan_curve"] = plan
        return d
