"""Bandit bench: regret of Thompson Sampling, UCB1 and epsilon-greedy on the simulator under
feedback delays; TS decision latency for K = 10 and 100 arms; Beta sampling vs numpy.

Peer: numpy's Generator.beta (vectorised) for the sampler; the regret comparison is between
policies on the same simulated environment (same arm rates, same seed).
"""
import time

import numpy as np

import growth
from growth.bandit import Bandit, BanditSimulator, sample_beta


def median_time(fn, repeat):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def run(quick=False, report=None):
    steps = 100_000 if quick else 1_000_000
    delays = [1, 10, 100, 1000]
    policies = [("thompson", {}), ("ucb1", {}), ("egreedy", dict(epsilon=0.1, epsilon_decay=0.001, epsilon_min=0.01))]
    print(f"bandit: simulator 10 Bernoulli arms (rates 1%..10%), {steps} steps, 1 thread")
    regrets = {}
    print(f"  {'cumulative regret':<20}" + "".join(f"{'delay ' + str(d):>14}" for d in delays))
    for name, opts in policies:
        row = []
        for d in delays:
            with BanditSimulator(arms=10, delay=d, seed=7) as sim, Bandit(name, seed=3, ttl=max(100000, 4 * d), **opts) as b:
                curve, _ = sim.run(b, steps, points=10)
            row.append(float(curve[-1]))
        regrets[name] = row
        print(f"  {name:<20}" + "".join(f"{r:>14.0f}" for r in row))
    growth_ts = regrets["thompson"][-1] / regrets["thompson"][0]
    growth_ucb = regrets["ucb1"][-1] / regrets["ucb1"][0]
    print(f"  regret(delay 1000) / regret(delay 1): thompson {growth_ts:.2f}x  ucb1 {growth_ucb:.2f}x  "
          f"egreedy {regrets['egreedy'][-1] / regrets['egreedy'][0]:.2f}x")

    # --- TS decision latency, one core, median of batches
    lat = {}
    n = 20_000 if quick else 100_000
    for K in (10, 100):
        b = Bandit("thompson", arms=range(K), seed=1, ttl=1_000_000)
        d, a, _ = b.select_batch(2000)  # some evidence so posteriors differ
        b.rewards(d, (a % 7 == 0).astype(float))
        per = []
        for _ in range(7):
            t = time.perf_counter()
            b.select_batch(n)
            per.append((time.perf_counter() - t) / n)
        lat[K] = float(np.median(per)) * 1e6
        b.close()
    print(f"  TS select latency (median of 7 batches of {n}): K=10 {lat[10]:.3f} us (target <= 0.5), "
          f"K=100 {lat[100]:.3f} us (target <= 3)")

    # --- Beta sampling vs numpy
    m = 1_000_000 if not quick else 200_000
    rng = np.random.default_rng(0)
    a = rng.uniform(1, 200, m)
    bb = rng.uniform(1, 5000, m)
    gen = np.random.default_rng(1)
    t_ours, t_peer = [], []
    for _ in range(7):  # interleaved, so load changes on the shared machine hit both alike
        t_ours.append(median_time(lambda: sample_beta(a, bb, seed=2), 1))
        t_peer.append(median_time(lambda: gen.beta(a, bb), 1))
    ours, peer = float(np.median(t_ours)), float(np.median(t_peer))
    print(f"  Beta draws ({m}, a in [1,200], b in [1,5000]): ours {ours / m * 1e9:.1f} ns/draw  "
          f"numpy Generator.beta {peer / m * 1e9:.1f} ns/draw  ratio {peer / ours:.2f}x faster (target >= 1.5)")
    if report is not None:
        report["bandit"] = dict(steps=steps, arms=10, delays=delays, regret=regrets, threads=1,
                                ts_select_us_k10=lat[10], ts_select_us_k100=lat[100],
                                beta_ns_ours=ours / m * 1e9, beta_ns_numpy=peer / m * 1e9,
                                beta_speedup=peer / ours)
    run_logistic(quick=quick, report=report)
    return regrets


def run_logistic(quick=False, report=None):
    """Shared logistic TS (policy=logistic_ts): select latency for K = 100 candidates x 50
    features (process CPU time per call through a bare ctypes loop, its call overhead printed),
    and the rights simulation's regret against per-arm Beta TS and LinTS."""
    import ctypes
    from growth._lib import lib
    from growth.contrib import rights_sim

    rng = np.random.default_rng(0)
    K, F, n = 100, 50, (2000 if quick else 10000)
    out = {}
    for pol in ("logistic_ts", "logistic_ucb", "logistic_greedy"):
        b = Bandit(pol, seed=1, ttl=100000)
        user = rng.integers(0, 1 << 18, size=20)
        idx = np.concatenate([np.concatenate([user, rng.integers(0, 1 << 18, size=F - 20)])
                              for _ in range(K)]).astype(np.uint32)
        val = np.ones(K * F, np.float32)
        indptr = np.arange(0, K * F + 1, F, dtype=np.uint64)
        for _ in range(2000):
            d, j, _ = b.select_rows((indptr, idx, val))
            b.reward(d, float(rng.random() < 0.1))
        h = b._handle()
        dec, jj, pr = ctypes.c_uint64(), ctypes.c_size_t(), ctypes.c_double()
        f = lib.growth_bandit_select_csr
        args = (h, indptr.ctypes.data, idx.ctypes.data, val.ctypes.data)
        per = []
        for _ in range(5):
            t = time.process_time()
            for _ in range(n):
                f(*args, K, None, None, ctypes.byref(dec), ctypes.byref(jj), ctypes.byref(pr))
            per.append((time.process_time() - t) / n * 1e6)
        t = time.process_time()
        for _ in range(n):  # n_candidates = 0: validated and refused at once (the ctypes cost)
            f(*args, 0, None, None, ctypes.byref(dec), ctypes.byref(jj), ctypes.byref(pr))
        over = (time.process_time() - t) / n * 1e6
        out[pol] = float(np.median(per))
        print(f"  {pol} select, K={K} x {F} features: {out[pol]:.1f} us CPU per call "
              f"(ctypes overhead {over:.1f} us; target 20 us)")
        b.close()
    kw = dict(steps=3000 if quick else 6000, seed=1, active=40, lifetime=1000, segments=8, categories=8)
    curves = {}
    for pol, opt in (("logistic_ts", dict(options=rights_sim.SHARED_OPTIONS)), ("thompson", {}), ("lints", {})):
        curves[pol] = rights_sim.run(pol, **opt, **kw)
    s = curves["logistic_ts"][0][-1]
    print(f"  rights simulation ({kw['steps']} steps, 40 live rights, lifetime 1000, delay 50): cumulative regret "
          f"shared logistic TS {s:.0f}, Beta TS {curves['thompson'][0][-1]:.0f} "
          f"({s / curves['thompson'][0][-1]:.2f}x), LinTS {curves['lints'][0][-1]:.0f} "
          f"({s / curves['lints'][0][-1]:.2f}x); rights' first 300 steps: "
          + ", ".join(f"{k} {v[1]:.0f}" for k, v in curves.items()))
    if report is not None:
        report["bandit_logistic"] = dict(select_us=out, regret={k: float(v[0][-1]) for k, v in curves.items()},
                                         late_regret={k: float(v[1]) for k, v in curves.items()})
    return out
