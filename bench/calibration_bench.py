"""Calibration bench: isotonic fit and batch apply against scikit-learn's IsotonicRegression,
Platt fit against scikit-learn's sigmoid calibration, and the field-aware calibrator, on the
same data in one process (single thread)."""
import time

import numpy as np

import growth


_CPU = {}


def _median_time(fn, rep):
    """Median wall time (returned) and median thread CPU time (kept in _CPU[fn's result id])
    of `rep` runs: on a shared machine the CPU time is the steadier of the two."""
    ts, cs, r = [], [], None
    for _ in range(rep):
        a, c = time.perf_counter(), time.thread_time()
        r = fn()
        cs.append(time.thread_time() - c)
        ts.append(time.perf_counter() - a)
    _CPU["last"] = float(np.median(cs))
    return float(np.median(ts)), r


def _cpu():
    return _CPU["last"]


def run(quick=False, report=None):
    from sklearn.calibration import _SigmoidCalibration
    from sklearn.isotonic import IsotonicRegression
    n = 1_000_000 if quick else 10_000_000
    rep = 3
    rng = np.random.default_rng(0)
    s = rng.random(n, dtype=np.float32)  # ~n distinct float scores: the sort dominates
    y = (rng.random(n) < s ** 2).astype(np.float32)
    s64, y64 = s.astype(np.float64), y.astype(np.float64)
    print(f"calibration: n = {n} scores, 1 thread, median of {rep}")

    cal = growth.Calibrator("isotonic")
    t_fit, _ = _median_time(lambda: cal.fit(s, y), rep)
    c_fit = _cpu()
    sk = IsotonicRegression(out_of_bounds="clip")
    t_fit_sk, _ = _median_time(lambda: sk.fit(s64, y64), 1 if not quick else rep)
    c_fit_sk = _cpu()
    q = rng.random(n, dtype=np.float32)
    out32 = np.empty(n, dtype=np.float32)
    t_app, p = _median_time(lambda: cal.predict(q), rep)
    c_app = _cpu()
    t_app64, p64 = _median_time(lambda: cal.predict(q.astype(np.float64)), rep)
    t_app_sk, p_sk = _median_time(lambda: sk.predict(q.astype(np.float64)), rep)
    diff = float(np.max(np.abs(p64 - p_sk)))
    knots = len(cal.knots()[0])
    print(f"  isotonic fit     ours {t_fit*1e3:8.1f} ms  peer(sklearn) {t_fit_sk*1e3:8.1f} ms  "
          f"ratio {t_fit_sk / t_fit:5.1f}x faster   ({knots} knots; CPU time {c_fit*1e3:.1f} vs "
          f"{c_fit_sk*1e3:.1f} ms, ratio {c_fit_sk / c_fit:.1f}x)")
    print(f"  isotonic apply   ours {t_app*1e3:8.1f} ms  peer(sklearn) {t_app_sk*1e3:8.1f} ms  "
          f"ratio {t_app_sk / t_app:5.1f}x faster   ({n / t_app / 1e6:.0f} M scores/s float, "
          f"{n / t_app64 / 1e6:.0f} M/s double incl. conversion; {n / c_app / 1e6:.0f} M scores per "
          f"CPU-second; max |diff| {diff:.1e})")

    m = n // 10
    z = rng.normal(0, 1.5, m)
    yz = (rng.random(m) < 1 / (1 + np.exp(-(0.7 * z - 1)))).astype(np.float32)
    sz = (1 / (1 + np.exp(-z))).astype(np.float32)
    lz = np.log(sz.astype(np.float64)) - np.log1p(-sz.astype(np.float64))
    platt = growth.Calibrator("platt")
    t_pl, _ = _median_time(lambda: platt.fit(sz, yz), rep)
    t_pl_sk, skp = _median_time(lambda: _SigmoidCalibration().fit(lz, yz.astype(np.float64)), rep)
    pdiff = float(np.max(np.abs(platt.predict(sz.astype(np.float64)) - skp.predict(lz))))
    t_pa, _ = _median_time(lambda: platt.predict(sz), rep)
    print(f"  platt fit        ours {t_pl*1e3:8.1f} ms  peer(sklearn) {t_pl_sk*1e3:8.1f} ms  "
          f"ratio {t_pl_sk / t_pl:5.1f}x faster   (n = {m}; max |diff| {pdiff:.1e}; "
          f"apply {m / t_pa / 1e6:.0f} M scores/s)")

    f = (50 * rng.random(n) ** 2).astype(np.int64)
    fa = growth.Calibrator("field", buckets=20, min_bucket=200)
    t_ff, _ = _median_time(lambda: fa.fit(s, y, fields=f), rep)
    t_fa, _ = _median_time(lambda: fa.predict(q, fields=f), rep)
    print(f"  field fit        ours {t_ff*1e3:8.1f} ms  (50 field values)   "
          f"apply {n / t_fa / 1e6:.0f} M scores/s with field lookups")
    if report is not None:
        report["calibration"] = dict(
            n=n, isotonic_fit_ms=t_fit * 1e3, isotonic_fit_ms_peer=t_fit_sk * 1e3,
            isotonic_apply_ms=t_app * 1e3, isotonic_apply_ms_peer=t_app_sk * 1e3,
            isotonic_apply_mscores_per_s=n / t_app / 1e6, isotonic_max_abs_diff=diff,
            isotonic_fit_cpu_ms=c_fit * 1e3, isotonic_fit_cpu_ms_peer=c_fit_sk * 1e3,
            isotonic_apply_mscores_per_cpu_s=n / c_app / 1e6,
            platt_n=m, platt_fit_ms=t_pl * 1e3, platt_fit_ms_peer=t_pl_sk * 1e3,
            platt_max_abs_diff=pdiff, field_fit_ms=t_ff * 1e3,
            field_apply_mscores_per_s=n / t_fa / 1e6)


if __name__ == "__main__":
    import sys
    run(quick="--quick" in sys.argv)
