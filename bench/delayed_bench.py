"""Delayed-feedback bench: a CVR head trained online while conversions arrive late (delays
exponential with mean 3 days, 7-day attribution window; the simulation of
tests/python/test_delayed.py). Every day, the model as it stands at midnight predicts that day's
impressions; printed per day: PCOC (sum of predictions / sum of expected labels, and / realised
labels) and AUC for
  naive   trains each impression once, 1 day after it, with the label known then;
  fnw     fake negative weighting (Ktena et al. 2019): a weighted negative at once, a weighted
          positive when the conversion arrives (growth.DelayedFeedback, method=fnw);
  oracle  waits the whole window (naive with elapsed = window): right labels, 7 days late.
The first window is the ramp-up (the positives of those days are still arriving for every
method); the claim is about the days after it. Throughput is of the Python event loop (one
ctypes call per event), not of the C path."""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(os.path.dirname(HERE), "tests", "python"))  # after bench/: its clicklog.py wins


def run(quick=False, report=None):
    from sklearn.metrics import roc_auc_score
    from test_delayed import run_stream, simulate
    days, per_day, window = (12, 20_000, 7.0) if quick else (16, 40_000, 7.0)
    sim = simulate(11, days, per_day)
    t, idx, y, ey, delay = sim
    late = float(((delay > 1.0) & y).sum() / y.sum())
    print(f"  {days} days x {per_day} impressions, conversion rate {y.mean():.4f} within the window, "
          f"late fraction after a 1-day wait {late:.3f} (naive should sit near PCOC {1 - late:.3f})")
    methods = [("naive", "naive", 1.0), ("fnw", "fnw", 0.0), ("oracle", "naive", window)]
    res, rows = {}, {}
    for name, method, elapsed in methods:
        t0 = time.perf_counter()
        per, st = run_stream(sim, days, method, elapsed, window=window)
        dt = time.perf_counter() - t0
        res[name] = per
        n_ev = st["impressions"] + st["conversions"] + st["conversions_unknown"]
        print(f"  {name:6s} {n_ev / dt:9.0f} events/s  trained +{st['trained_positive']} "
              f"-{st['trained_negative']}  pending {st['pending']} ({st['bytes'] / 1e6:.1f} MB)")
    print("  day  " + "  ".join(f"{n:>6s} PCOC (real) AUC  " for n, _, _ in methods))
    worst = {n: 0.0 for n, _, _ in methods}
    for day in range(1, days):
        cells = []
        for name, _, _ in methods:
            pr, r = res[name][day]
            pcoc, real = pr.sum() / ey[r].sum(), pr.sum() / max(y[r].sum(), 1)
            auc = roc_auc_score(y[r], pr) if pr.std() > 0 else 0.5
            rows.setdefault(name, []).append(dict(day=day, pcoc=float(pcoc), pcoc_real=float(real), auc=float(auc)))
            if day >= int(window) + 1:
                worst[name] = max(worst[name], abs(pcoc - 1))
            cells.append(f"{pcoc:11.3f} ({real:5.3f}) {auc:.3f}")
        print(f"  {day:3d}  " + "  ".join(cells) + ("   <- ramp-up" if day <= int(window) else ""))
    print("  after the first window, max |PCOC - 1|: " + "  ".join(f"{n} {w:.3f}" for n, w in worst.items()))
    if report is not None:
        report["delayed"] = dict(days=days, per_day=per_day, late_fraction=late, per_day_metrics=rows,
                                 worst_pcoc_dev=worst)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bindings", "python"))
    if "GROWTH_LIBRARY" not in os.environ and os.path.exists(os.path.join(os.path.dirname(HERE), "build/src/libgrowth.so")):
        os.environ["GROWTH_LIBRARY"] = os.path.join(os.path.dirname(HERE), "build/src/libgrowth.so")
    run(quick="--quick" in sys.argv)
