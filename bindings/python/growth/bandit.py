"""Bandit selection (bandit.h): Thompson Sampling, epsilon-greedy, UCB1, KL-UCB, linear TS and
LinUCB with delayed rewards; offline policy evaluation; the Bernoulli simulator."""
from __future__ import annotations

import ctypes
from typing import Any, Iterable, Union

import numpy as np

from . import errors
from ._handle import OwnedHandle, OwnedModel
from ._lib import lib, check, declare, enc, read_string, Handle, P
from ._lib import c_int, c_size_t, c_double, c_uint32, c_uint64, c_char_p, c_void_p
from ._options import _config, parse_config
from ._arrays import ptr, to_csr
from .errors import InvalidArgument, NotFound
from ._types import ArrayLike

#: An arm: an int id in [0, 2**63) or a name.
Arm = Union[int, str]

class _BanditStats(ctypes.Structure):
    """growth_bandit_stats (bandit.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("decisions", c_uint64),
                ("applied", c_uint64), ("unknown", c_uint64), ("expired", c_uint64),
                ("duplicate", c_uint64), ("retired", c_uint64), ("pending", c_uint64),
                ("arms", c_uint64)]


class _ArmStats(ctypes.Structure):
    """growth_bandit_arm_stats (bandit.h)."""
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("alpha", c_double),
                ("beta", c_double), ("evidence", c_double), ("mean", c_double)]


declare({
    "growth_bandit_create": (c_int, [P(Handle), c_char_p]),
    "growth_bandit_free": (None, [Handle]),
    "growth_bandit_config": (c_int, [Handle, c_char_p, c_size_t, P(c_size_t)]),
    "growth_bandit_add_arm": (c_int, [Handle, c_uint64, c_double, c_double]),
    "growth_bandit_add_arm_named": (c_int, [Handle, c_char_p, c_double, c_double, P(c_uint64)]),
    "growth_bandit_name_id": (c_uint64, [c_char_p]),
    "growth_bandit_arm_name": (c_int, [Handle, c_uint64, c_char_p, c_size_t, P(c_size_t)]),
    "growth_bandit_remove_arm": (c_int, [Handle, c_uint64]),
    "growth_bandit_replace_arm": (c_int, [Handle, c_uint64, c_uint64, c_double, c_double]),
    "growth_bandit_arms": (c_int, [Handle, c_void_p, c_size_t, P(c_size_t)]),
    "growth_bandit_arm_stats_get": (c_int, [Handle, c_uint64, P(_ArmStats)]),
    "growth_bandit_select": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_size_t,
                                     P(c_uint64), P(c_uint64), P(c_double)]),
    "growth_bandit_select_k": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p,
                                       c_size_t, c_size_t, c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_bandit_select_batch": (c_int, [Handle, c_void_p, c_size_t, c_size_t, c_void_p, c_size_t,
                                           c_void_p, c_void_p, c_void_p, c_size_t]),
    "growth_bandit_probabilities": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_size_t, c_size_t,
                                            c_uint64, c_void_p, c_size_t]),
    "growth_bandit_select_csr": (c_int, [Handle, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p,
                                         c_void_p, P(c_uint64), P(c_size_t), P(c_double)]),
    "growth_bandit_weights": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t]),
    "growth_bandit_reward": (c_int, [Handle, c_uint64, c_double]),
    "growth_bandit_reward_batch": (c_int, [Handle, c_void_p, c_void_p, c_size_t, c_void_p, P(c_size_t)]),
    "growth_bandit_stats_get": (c_int, [Handle, P(_BanditStats)]),
    "growth_bandit_save": (c_int, [Handle, c_char_p]),
    "growth_bandit_load": (c_int, [P(Handle), c_char_p]),
    "growth_bandit_serialize": (c_int, [Handle, P(c_void_p), P(c_size_t)]),
    "growth_bandit_deserialize": (c_int, [P(Handle), c_void_p, c_size_t]),
    "growth_bandit_ope": (c_int, [c_size_t, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p,
                                  c_void_p, c_char_p, P(c_double), P(c_double)]),
    "growth_bandit_ope_interval": (c_int, [c_size_t, c_size_t, c_void_p, c_void_p, c_void_p, c_void_p,
                                           c_void_p, c_char_p, P(c_double), P(c_double), P(c_double)]),
    "growth_bandit_replay": (c_int, [Handle, c_void_p, c_size_t, c_void_p, c_void_p, c_size_t,
                                     c_void_p, c_size_t, P(c_double), P(c_size_t)]),
    # Unstable interfaces (include/growth/sys/bandit.h, symbol version GROWTH_SYS_1.0): they may
    # change in any minor release, and this package is released with the library it calls.
    "growth_bandit_sample_beta": (c_int, [c_uint64, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "growth_bandit_sim_create": (c_int, [P(Handle), c_char_p]),
    "growth_bandit_sim_free": (None, [Handle]),
    "growth_bandit_sim_run": (c_int, [Handle, Handle, c_uint64, c_void_p, c_size_t, P(c_double)]),
    "growth_bandit_sim_rates": (c_int, [Handle, c_void_p, c_void_p, c_size_t, P(c_size_t)]),
})

STATS = ("decisions", "applied", "unknown", "expired", "duplicate", "retired", "pending")
_OPE = ("replay", "dm", "ips", "snips", "dr", "switch_dr", "dros")




class Bandit(OwnedModel):
    """A bandit over arms with one policy.

    ``Bandit(policy='thompson'|'egreedy'|'ucb1'|'klucb'|'lints'|'linucb'|'logistic_ts'|'logistic_ucb'|
    'logistic_greedy', arms=[ids], seed=0,
    dim=0, **options)``; arms are ints (< 2**63) or strings. Other keyword arguments go to the
    C configuration (``epsilon``, ``ttl``, ``decay``, ``window``, ``propensity_draws`` ...).

    ``select(context=None, eligible=None) -> (decision_id, arm)``; ``reward(decision_id, value)``
    returns True when applied and False for an unknown, expired, duplicate or retired decision.
    Selects may run in many threads while another applies rewards (the C handle locks).
    """

    _free_fn = "growth_bandit_free"
    _api = "growth_bandit"

    def __init__(self, policy: str | None = "thompson", arms: Iterable[Arm] = (), seed: int | None = None,
                 dim: int | None = None, *, config: str | None = None, **options: Any) -> None:
        cfg = _config(config, policy=policy, seed=seed, dim=dim, **options)
        h = ctypes.c_void_p()
        check(lib.growth_bandit_create(ctypes.byref(h), enc(cfg)))
        self._h = h
        self._attached()
        for a in arms:
            self.add_arm(a)

    def _attached(self):
        self._names = {}
        cfg = parse_config(self.config)
        self.policy = cfg["policy"]
        self.dim = int(cfg.get("dim", 0))

    # -- lifetime ----------------------------------------------------------------------

    @property
    def config(self) -> str:
        """The full effective configuration string."""
        return read_string(lib.growth_bandit_config, self._handle())

    # -- arms --------------------------------------------------------------------------
    def _id(self, arm):
        if isinstance(arm, (str, bytes)):
            i = lib.growth_bandit_name_id(enc(arm))
            self._names[i] = arm if isinstance(arm, str) else arm.decode()
            return i
        arm = int(arm)
        if arm < 0 or arm >= 1 << 63:
            raise InvalidArgument(f"arm id {arm} must be an int in [0, 2**63) or a string")
        return arm

    def _arm(self, i):
        if i >> 63:
            name = self._names.get(i)
            if name is None:
                name = read_string(lambda h, b, c, n: lib.growth_bandit_arm_name(h, i, b, c, n), self._handle())
                self._names[i] = name
            return name
        return i

    def add_arm(self, arm: Arm, prior_rate: float | None = None, prior_strength: float = 0.0) -> None:
        """Adds an arm; ``prior_rate`` with ``prior_strength`` pseudo-counts is a cold-start
        prior (e.g. a model's pCTR)."""
        rate = 0.0 if prior_rate is None else float(prior_rate)
        if isinstance(arm, (str, bytes)):
            out = c_uint64(0)
            check(lib.growth_bandit_add_arm_named(self._handle(), enc(arm), rate,
                                                  float(prior_strength), ctypes.byref(out)))
            self._id(arm)
        else:
            check(lib.growth_bandit_add_arm(self._handle(), self._id(arm), rate, float(prior_strength)))

    def remove_arm(self, arm: Arm) -> None:
        """Removes an arm; its pending decisions are counted as retired when rewarded."""
        check(lib.growth_bandit_remove_arm(self._handle(), self._id(arm)))

    def replace_arm(self, old: Arm, new: int, prior_rate: float | None = None,
                    prior_strength: float = 0.0) -> None:
        """Replaces arm ``old`` by the integer id ``new`` (a new arm, with an optional cold-start
        prior like ``add_arm``)."""
        if isinstance(new, (str, bytes)):
            raise InvalidArgument("replace_arm takes an integer new id; remove and add named arms")
        check(lib.growth_bandit_replace_arm(self._handle(), self._id(old), self._id(new),
                                            0.0 if prior_rate is None else float(prior_rate),
                                            float(prior_strength)))

    @property
    def arms(self) -> list[Arm]:
        """Arm ids (names for named arms) in dense-index order (the order of masks)."""
        n = c_size_t(0)
        lib.growth_bandit_arms(self._handle(), None, 0, ctypes.byref(n))
        ids = np.empty(n.value, dtype=np.uint64)
        check(lib.growth_bandit_arms(self._handle(), ptr(ids), ids.size, ctypes.byref(n)))
        return [self._arm(int(i)) for i in ids]

    def _stats(self):
        st = _BanditStats(struct_size=ctypes.sizeof(_BanditStats))
        check(lib.growth_bandit_stats_get(self._handle(), ctypes.byref(st)))
        return st

    def __len__(self):
        return int(self._stats().arms)

    def arm_stats(self, arm: Arm) -> dict[str, float]:
        """dict(alpha, beta, count, mean) of an arm (count: the evidence, see bandit.h)."""
        st = _ArmStats(struct_size=ctypes.sizeof(_ArmStats))
        check(lib.growth_bandit_arm_stats_get(self._handle(), self._id(arm), ctypes.byref(st)))
        f = np.float64
        return dict(alpha=f(st.alpha), beta=f(st.beta), count=f(st.evidence), mean=f(st.mean))

    # -- decisions ---------------------------------------------------------------------
    def _ctx(self, context, rows=None):
        if context is None:
            return None, 0
        x = np.ascontiguousarray(context, dtype=np.float32)
        if rows is None and x.ndim != 1:
            raise InvalidArgument(f"context must be 1-D, got shape {x.shape}")
        return x, (x.shape[-1] if x.ndim else 0)

    def _elig(self, eligible):
        if eligible is None:
            return None, None, 0
        e = np.asarray(eligible)
        if e.dtype == np.bool_:
            m = np.ascontiguousarray(e, dtype=np.uint8)
            return None, m, m.size
        ids = np.ascontiguousarray([self._id(a) for a in eligible], dtype=np.uint64)
        return ids, None, ids.size

    def select(self, context: ArrayLike | None = None, eligible: ArrayLike | Iterable[Arm] | None = None,
               k: int | None = None, return_propensity: bool = False) -> tuple:
        """Chooses an arm: ``(decision_id, arm)`` (plus the propensity when asked). With ``k``,
        a slate: ``(decision_ids, arms)`` lists, best first. ``eligible`` is a list of arm ids
        or a boolean mask over ``arms``."""
        x, d = self._ctx(context)
        ids, mask, n = self._elig(eligible)
        if k is None and mask is None:
            dec, arm, prop = c_uint64(0), c_uint64(0), c_double(0)
            check(lib.growth_bandit_select(self._handle(), ptr(x), d, ptr(ids) if ids is not None else None,
                                           n, ctypes.byref(dec), ctypes.byref(arm), ctypes.byref(prop)))
            out = (dec.value, self._arm(arm.value))
            return out + (prop.value,) if return_propensity else out
        kk = 1 if k is None else int(k)
        if kk < 1:
            raise InvalidArgument("k must be >= 1")
        decs = np.empty(kk, np.uint64)
        arms = np.empty(kk, np.uint64)
        props = np.empty(kk, np.float64)
        check(lib.growth_bandit_select_k(self._handle(), ptr(x), d,
                                         ptr(ids) if ids is not None else None, 0 if mask is not None else n,
                                         ptr(mask) if mask is not None else None, n if mask is not None else 0,
                                         kk, ptr(decs), ptr(arms), ptr(props), kk))
        decl, arml = [int(v) for v in decs], [self._arm(int(v)) for v in arms]
        if k is None:
            out = (decl[0], arml[0])
            return out + (float(props[0]),) if return_propensity else out
        return (decl, arml, props) if return_propensity else (decl, arml)

    def select_batch(self, n: int | None = None, contexts: ArrayLike | None = None,
                     eligible: Iterable[Arm] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n`` single-arm decisions in one call: (decision ids, arm ids, propensities) arrays
        (arm ids as uint64; named arms appear as their ids)."""
        x = None
        d = 0
        if contexts is not None:
            x = np.ascontiguousarray(contexts, dtype=np.float32)
            if x.ndim != 2:
                raise InvalidArgument(f"contexts must be 2-D (n x dim), got shape {x.shape}")
            n, d = x.shape
        ids, mask, ne = self._elig(eligible)
        if mask is not None:
            raise InvalidArgument("select_batch takes an eligible list, not a mask")
        decs, arms, props = np.empty(n, np.uint64), np.empty(n, np.uint64), np.empty(n, np.float64)
        check(lib.growth_bandit_select_batch(self._handle(), ptr(x), d, n, ptr(ids), ne,
                                             ptr(decs), ptr(arms), ptr(props), n))
        return decs, arms, props

    def probabilities(self, context: ArrayLike | None = None, eligible: Iterable[Arm] | None = None,
                      draws: int = 10000, seed: int = 0) -> np.ndarray:
        """Probability that a select in the current state picks each eligible arm (sums to 1);
        Monte Carlo for TS/LinTS, exact otherwise. Does not change future decisions."""
        x, d = self._ctx(context)
        ids, mask, n = self._elig(eligible)
        if mask is not None:
            raise InvalidArgument("probabilities takes an eligible list, not a mask")
        out = np.empty(n if ids is not None else len(self), np.float64)
        check(lib.growth_bandit_probabilities(self._handle(), ptr(x), d, ptr(ids), n, int(draws),
                                              int(seed), ptr(out), out.size))
        return out

    def select_rows(self, rows: Any, candidate_ids: ArrayLike | None = None,
                    prior_rates: ArrayLike | None = None) -> tuple[int, int, float]:
        """Shared-model contextual policies (``policy='logistic_ts'|'logistic_ucb'|'logistic_greedy'``):
        chooses one of the candidate feature rows. ``rows`` is CSR-like (a scipy.sparse matrix,
        an ``(indptr, indices[, values])`` tuple, or a dense array whose non-zeros are the
        features); ``candidate_ids`` and ``prior_rates`` (0 = none, else a model's predicted rate)
        give the cold-start prior. Returns ``(decision_id, row index, propensity)``."""
        indptr, idx, val, n = to_csr(rows)
        ids = None if candidate_ids is None else np.ascontiguousarray(candidate_ids, np.uint64)
        pr = None if prior_rates is None else np.ascontiguousarray(prior_rates, np.float64)
        if (ids is not None and ids.shape != (n,)) or (pr is not None and pr.shape != (n,)):
            raise InvalidArgument(f"candidate_ids and prior_rates need {n} entries (one per row)")
        dec, j, prop = c_uint64(0), c_size_t(0), c_double(0)
        check(lib.growth_bandit_select_csr(self._handle(), ptr(indptr), ptr(idx), ptr(val), n, ptr(ids),
                                           ptr(pr), ctypes.byref(dec), ctypes.byref(j), ctypes.byref(prop)))
        return dec.value, j.value, prop.value

    def weights(self, slots: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(posterior means, precisions) of slots of the shared logistic model."""
        s = np.ascontiguousarray(slots, np.uint32).ravel()
        m, q = np.empty(s.size, np.float64), np.empty(s.size, np.float64)
        check(lib.growth_bandit_weights(self._handle(), ptr(s), s.size, ptr(m), ptr(q), s.size))
        return m, q

    def reward(self, decision_id: int, value: float) -> bool:
        """Applies a reward; False (and a counter in stats()) when the decision is unknown,
        expired, already rewarded or its arm was removed."""
        try:
            check(lib.growth_bandit_reward(self._handle(), int(decision_id), float(value)))
            return True
        except NotFound:
            return False

    def rewards(self, decision_ids: ArrayLike, values: ArrayLike) -> np.ndarray:
        """Applies many rewards in one locked batch; returns a bool array (applied or not)."""
        ids = np.ascontiguousarray(decision_ids, dtype=np.uint64)
        vals = np.ascontiguousarray(values, dtype=np.float64)
        if ids.shape != vals.shape or ids.ndim != 1:
            raise InvalidArgument("decision_ids and values must be 1-D of the same length")
        st = np.empty(ids.size, dtype=np.intc)
        applied = c_size_t(0)
        check(lib.growth_bandit_reward_batch(self._handle(), ptr(ids), ptr(vals), ids.size, ptr(st),
                                             ctypes.byref(applied)))
        return st == 0

    def stats(self) -> dict[str, int]:
        """Decision counters: dict of decisions, applied, unknown, expired, duplicate, retired, pending."""
        st = self._stats()
        return {k: int(getattr(st, k)) for k in STATS}

    def replay(self, arms: Iterable[Arm], rewards: ArrayLike, contexts: ArrayLike | None = None,
               eligible: Iterable[Arm] | None = None) -> tuple[float, int]:
        """Replay evaluation on a uniformly logged (arm, reward[, context]) log: returns
        (mean reward over matched events, matched count); the bandit learns as it goes."""
        la = np.ascontiguousarray([self._id(a) for a in arms], dtype=np.uint64)
        r = np.ascontiguousarray(rewards, dtype=np.float64)
        if r.shape != la.shape:
            raise InvalidArgument("arms and rewards must have the same length")
        x, d = (None, 0)
        if contexts is not None:
            x = np.ascontiguousarray(contexts, dtype=np.float32)
            d = x.shape[1]
        ids, _, ne = self._elig(eligible)
        v, m = c_double(0), c_size_t(0)
        check(lib.growth_bandit_replay(self._handle(), ptr(x), d, ptr(la), ptr(r), la.size, ptr(ids), ne,
                                       ctypes.byref(v), ctypes.byref(m)))
        return v.value, m.value

    # -- persistence: save/load/to_bytes/from_bytes/pickle from OwnedModel --------------


def sample_beta(a: ArrayLike, b: ArrayLike, size: int | tuple[int, ...] | None = None,
                seed: int = 0) -> np.ndarray:
    """Beta(a, b) draws with the sampler Thompson Sampling uses; a and b broadcast.
    (growth_bandit_sample_beta is an unstable interface of growth/sys/bandit.h.)"""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    if size is not None:
        a, b = np.broadcast_to(a, size), np.broadcast_to(b, size)
    a, b = np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64)
    out = np.empty(a.shape, np.float64)
    check(lib.growth_bandit_sample_beta(int(seed), ptr(a), ptr(b), a.size, ptr(out), out.size))
    return out


def _ope_args(estimator: str, actions: ArrayLike, rewards: ArrayLike, target: ArrayLike,
              propensities: ArrayLike | None, q_hat: ArrayLike | None) -> tuple:
    if estimator not in _OPE:
        raise InvalidArgument(f"estimator must be one of {sorted(_OPE)}")
    t = np.ascontiguousarray(target, np.float64)
    if t.ndim != 2:
        raise InvalidArgument("target must be n x n_actions")
    n, k = t.shape
    a = np.ascontiguousarray(actions, np.uint32)
    r = np.ascontiguousarray(rewards, np.float64)
    p = None if propensities is None else np.ascontiguousarray(propensities, np.float64)
    q = None if q_hat is None else np.ascontiguousarray(q_hat, np.float64)
    if a.shape != (n,) or r.shape != (n,) or (p is not None and p.shape != (n,)) or (q is not None and q.shape != t.shape):
        raise InvalidArgument("actions, rewards, propensities need n entries and q_hat the shape of target")
    return n, k, a, r, p, t, q


def ope(estimator: str, actions: ArrayLike, rewards: ArrayLike, target: ArrayLike,
        propensities: ArrayLike | None = None, q_hat: ArrayLike | None = None,
        lambda_: float | None = None) -> tuple[float, float]:
    """Offline policy value (Open Bandit Pipeline's estimators): estimator 'replay' | 'dm' |
    'ips' | 'snips' | 'dr' | 'switch_dr' | 'dros'. ``target`` is n x n_actions (target policy
    probabilities), ``q_hat`` n x n_actions (reward model: dm, dr, switch_dr, dros), ``lambda_``
    the clipping (ips, snips, dr), switching (switch_dr) or shrinkage (dros) hyperparameter
    (None = none). Returns (value, standard error)."""
    n, k, a, r, p, t, q = _ope_args(estimator, actions, rewards, target, propensities, q_hat)
    opts: dict[str, Any] = {"estimator": estimator}
    if lambda_ is not None and float(lambda_) != float("inf"):  # inf: none, as in OBP
        opts["lambda"] = float(lambda_)
    v, se = c_double(0), c_double(0)
    check(lib.growth_bandit_ope(n, k, ptr(a), ptr(r), ptr(p), ptr(t), ptr(q), enc(_config(**opts)),
                                ctypes.byref(v), ctypes.byref(se)))
    return v.value, se.value


def ope_interval(estimator: str, actions: ArrayLike, rewards: ArrayLike, target: ArrayLike,
                 propensities: ArrayLike | None = None, q_hat: ArrayLike | None = None,
                 lambda_: float | None = None, resamples: int = 1000, confidence: float = 0.95,
                 seed: int = 0) -> tuple[float, float, float]:
    """:func:`ope` with Open Bandit Pipeline's bootstrap interval (``estimate_interval``): the
    ``confidence`` percentile interval of the estimator over ``resamples`` seeded resamples.
    Returns (value, lower, upper)."""
    n, k, a, r, p, t, q = _ope_args(estimator, actions, rewards, target, propensities, q_hat)
    opts: dict[str, Any] = {"estimator": estimator, "resamples": int(resamples),
                            "confidence": float(confidence), "seed": int(seed)}
    if lambda_ is not None and float(lambda_) != float("inf"):  # inf: none, as in OBP
        opts["lambda"] = float(lambda_)
    v, lo, hi = c_double(0), c_double(0), c_double(0)
    check(lib.growth_bandit_ope_interval(n, k, ptr(a), ptr(r), ptr(p), ptr(t), ptr(q), enc(_config(**opts)),
                                         ctypes.byref(v), ctypes.byref(lo), ctypes.byref(hi)))
    return v.value, lo.value, hi.value


class BanditSimulator(OwnedHandle):
    """Bernoulli arms with drift, retiring arms and delayed, batched feedback.
    ``BanditSimulator(arms=10, delay=1, drift=0, retire_every=0, batch=1, seed=0, ...)``.

    Built on the unstable growth_bandit_sim_* interface (include/growth/sys/bandit.h)."""

    _free_fn = "growth_bandit_sim_free"

    def __init__(self, **options: Any) -> None:
        h = ctypes.c_void_p()
        check(lib.growth_bandit_sim_create(ctypes.byref(h), enc(_config(**options))))
        self._h = h

    def run(self, bandit: Bandit, steps: int, points: int = 100) -> tuple[np.ndarray, float]:
        """Runs ``steps`` rounds; returns (cumulative regret curve of ``points`` values, total reward)."""
        curve = np.empty(points, np.float64)
        total = c_double(0)
        check(lib.growth_bandit_sim_run(self._handle(), bandit._handle(), int(steps), ptr(curve), points,
                                        ctypes.byref(total)))
        return curve, total.value

    def rates(self) -> tuple[np.ndarray, np.ndarray]:
        """(arm ids, current true rates) of the simulated arms."""
        h = self._handle()
        n = c_size_t(0)
        lib.growth_bandit_sim_rates(h, None, None, 0, ctypes.byref(n))
        ids, rates = np.empty(n.value, np.uint64), np.empty(n.value, np.float64)
        check(lib.growth_bandit_sim_rates(h, ptr(ids), ptr(rates), n.value, ctypes.byref(n)))
        return ids, rates
