"""Rights simulator: users and rights described by categorical features, a true
logistic click model with user x right interactions, rights added and retired over time, rewards
delivered with a delay. Runs three bandits on the same stream: the shared logistic TS over hashed
user, right and user x right features (policy=logistic_ts), per-arm Beta TS (policy=thompson) and
per-arm linear TS over the user's one-hot features (policy=lints). Regret per step is
p(best eligible right) - p(chosen right) under the true model.

``python3 -m growth.contrib.rights_sim --plot regret.png`` runs the three on one stream and draws
their cumulative regret with :func:`growth.plot.regret_curves` (matplotlib needed for the plot).
The test suite (tests/python/test_bandit_rights_sim.py) and bench/bandit_bench.py use it."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

import numpy as np

from growth.bandit import Bandit

BITS = 18
# Options of the shared logistic TS in this simulation: exploration multiplier v and the prior
# precision lambda of each weight. Chosen on a sweep over worlds and seeds (6x6 and 8x8
# segments x categories, 20 or 40 live rights): v=0.3, lambda=4 had the lowest mean regret;
# the defaults (v=1, lambda=1) explore more than a 5-feature row needs.
SHARED_OPTIONS = dict(v=0.3, **{"lambda": 4})


def _slot(*parts: int) -> int:
    h = 1469598103934665603
    for p in parts:
        h = ((h ^ (p + 0x9E3779B9)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % (1 << BITS)


class RightsWorld:
    """The simulated world: `segments` user segments, rights of `categories` categories, each
    right with a small own effect; `active` rights live at a time for `lifetime` steps; click
    probability sigmoid(inter[segment, category] + own effect); rewards `delay` steps late."""

    def __init__(self, seed: int = 0, segments: int = 6, categories: int = 6, active: int = 20,
                 lifetime: int = 1500, delay: int = 50) -> None:
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.S, self.C, self.active, self.lifetime, self.delay = segments, categories, active, lifetime, delay
        # interaction of user segment x right category dominates; each right has a small own effect
        self.inter = rng.normal(0, 1.2, size=(segments, categories)) - 3.0
        self.next_id = 1
        self.rights = []  # (id, category, own effect, born)
        for _ in range(active):
            self._add(0, age=int(rng.integers(0, lifetime)))

    def _add(self, t: int, age: int = 0) -> tuple:
        r = (self.next_id, int(self.rng.integers(0, self.C)), float(self.rng.normal(0, 0.3)), t - age)
        self.next_id += 1
        self.rights.append(r)
        return r

    def step_rights(self, t: int) -> tuple[list, list]:
        """Retires rights past their lifetime and adds fresh ones; returns (retired, added)."""
        old = [r for r in self.rights if t - r[3] >= self.lifetime]
        self.rights = [r for r in self.rights if t - r[3] < self.lifetime]
        new = [self._add(t) for _ in old]
        return old, new

    def prob(self, seg: int, r: tuple) -> float:
        """True click probability of right `r` for a user of segment `seg`."""
        return 1.0 / (1.0 + np.exp(-(self.inter[seg, r[1]] + r[2])))


def rows_for(seg: int, rights: Sequence[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """CSR rows: user segment, right id, right category, segment x category cross (+ bias)."""
    idx = []
    for (rid, cat, _, _) in rights:
        idx += [_slot(1, seg), _slot(2, rid), _slot(3, cat), _slot(4, seg, cat), _slot(5, seg, rid)]
    F = 5
    indptr = np.arange(0, F * len(rights) + 1, F, dtype=np.uint64)
    return indptr, np.array(idx, np.uint32)


def run(policy: str, steps: int = 6000, seed: int = 0, options: dict | None = None,
        **world: Any) -> tuple[np.ndarray, float]:
    """Runs one policy (`logistic_ts`, `thompson` or `lints`) on the seeded stream; returns the
    cumulative regret per step and the regret on rights in their first 300 steps."""
    w = RightsWorld(seed=seed, **world)
    urng = np.random.default_rng(seed + 1000)
    if policy == "logistic_ts":
        b = Bandit("logistic_ts", seed=seed, bits=BITS, ttl=10 * w.delay + 100, **(options or {}))
    elif policy == "thompson":
        b = Bandit("thompson", seed=seed, ttl=10 * w.delay + 100)
    else:
        b = Bandit("lints", dim=w.S, seed=seed, ttl=10 * w.delay + 100)
    if policy != "logistic_ts":
        for r in w.rights:
            b.add_arm(r[0])
    queue = {}
    regret = np.zeros(steps)
    late_regret = 0.0
    for t in range(steps):
        old, new = w.step_rights(t)
        if policy != "logistic_ts":
            for r in old:
                b.remove_arm(r[0])
            for r in new:
                b.add_arm(r[0])
        seg = int(urng.integers(0, w.S))
        probs = np.array([w.prob(seg, r) for r in w.rights])
        if policy == "logistic_ts":
            d, j, _ = b.select_rows(rows_for(seg, w.rights))
        else:
            ctx = np.zeros(w.S, np.float32)
            ctx[seg] = 1.0
            d, arm = b.select(context=ctx if policy == "lints" else None,
                              eligible=[r[0] for r in w.rights])
            j = next(k for k, r in enumerate(w.rights) if r[0] == arm)
        regret[t] = probs.max() - probs[j]
        if t - w.rights[j][3] < 300 and w.rights[j][3] > 0:
            late_regret += regret[t]
        y = float(urng.random() < probs[j])
        queue.setdefault(t + w.delay, []).append((d, y))
        due = queue.pop(t, [])
        if due:
            b.rewards([e[0] for e in due], [e[1] for e in due])
    b.close()
    return np.cumsum(regret), late_regret


POLICIES = (("logistic_ts", "shared logistic TS (user x right crosses)"), ("thompson", "per-right Beta TS"),
            ("lints", "per-right LinTS (user one-hot)"))


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: prints each policy's regret and, with --plot, draws the curves."""
    ap = argparse.ArgumentParser(prog="python3 -m growth.contrib.rights_sim",
                                 description="Rights simulation: cumulative regret of the shared logistic TS, "
                                             "per-right Beta TS and LinTS on one seeded stream.")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--segments", type=int, default=8)
    ap.add_argument("--categories", type=int, default=8)
    ap.add_argument("--active", type=int, default=40, help="live rights at any time")
    ap.add_argument("--lifetime", type=int, default=1000, help="steps a right lives before it is retired")
    ap.add_argument("--delay", type=int, default=50, help="steps before a reward arrives")
    ap.add_argument("--plot", metavar="PNG", help="draw the regret curves into this file")
    a = ap.parse_args(argv)
    if min(a.steps, a.segments, a.categories, a.active, a.lifetime) < 1 or a.delay < 0:
        ap.error("sizes must be >= 1 and --delay >= 0")
    world = dict(steps=a.steps, seed=a.seed, segments=a.segments, categories=a.categories, active=a.active,
                 lifetime=a.lifetime, delay=a.delay)
    curves = {}
    for pol, label in POLICIES:
        total, late = run(pol, options=SHARED_OPTIONS if pol == "logistic_ts" else None, **world)
        curves[label] = total
        print(f"{label:44s} cumulative regret {total[-1]:8.1f}   rights in their first 300 steps {late:7.1f}")
    base = curves[POLICIES[0][1]][-1]
    for _, label in POLICIES[1:]:
        print(f"shared logistic TS / {label}: {base / curves[label][-1]:.2f}x")
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from growth import plot
        fig, ax = plt.subplots(figsize=(6.5, 4))
        plot.regret_curves(np.arange(1, a.steps + 1), curves, ax=ax,
                           title=f"rights simulation: {a.active} live rights, lifetime {a.lifetime}, "
                                 f"rewards {a.delay} steps late")
        fig.tight_layout()
        fig.savefig(a.plot, dpi=110)
        print(f"regret curves written to {a.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
