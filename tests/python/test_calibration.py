import pickle
import threading

import numpy as np
import pytest

import growth
from growth import metrics


def _data(n, seed, levels=2000):
    rng = np.random.default_rng(seed)
    s = (rng.integers(0, levels, n) / levels).astype(np.float32)  # many ties
    y = (rng.random(n) < s ** 1.5).astype(np.float32)
    w = rng.uniform(0.1, 3.0, n).astype(np.float32)
    w[rng.random(n) < 0.02] = 0.0
    return s, y, w


def test_isotonic_equals_sklearn_1e5_weighted_with_ties():
    from sklearn.isotonic import IsotonicRegression
    s, y, w = _data(100_000, 1)
    cal = growth.Calibrator("isotonic").fit(s, y, sample_weight=w)
    sk = IsotonicRegression(out_of_bounds="clip").fit(s.astype(np.float64), y.astype(np.float64),
                                                      sample_weight=w.astype(np.float64))
    q = np.concatenate([s[:20000], np.random.default_rng(2).uniform(-0.2, 1.2, 20000)]).astype(np.float64)
    np.testing.assert_allclose(cal.predict(q), sk.predict(q), rtol=0, atol=1e-9)
    x, v = cal.knots()
    np.testing.assert_array_equal(x, sk.X_thresholds_)
    np.testing.assert_allclose(v, sk.y_thresholds_, rtol=0, atol=1e-12)
    # The float path rounds the same values.
    p32 = cal.predict(q.astype(np.float32))
    assert p32.dtype == np.float32
    np.testing.assert_allclose(p32, sk.predict(q.astype(np.float32).astype(np.float64)), atol=1e-6)
    # Unweighted, soft labels.
    ys = np.round(y * 0.5 + s * 0.5, 2).astype(np.float32)
    cal2 = growth.Calibrator("isotonic").fit(s, ys)
    sk2 = IsotonicRegression(out_of_bounds="clip").fit(s.astype(np.float64), ys.astype(np.float64))
    np.testing.assert_allclose(cal2.predict(q), sk2.predict(q), atol=1e-9)


def test_platt_matches_sklearn_sigmoid():
    from sklearn.calibration import _SigmoidCalibration
    rng = np.random.default_rng(3)
    n = 50_000
    z = rng.normal(0, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.7 * z - 1.0)))).astype(np.float32)
    s = (1 / (1 + np.exp(-z))).astype(np.float32)
    w = rng.uniform(0.5, 2, n).astype(np.float32)
    logit = np.log(s.astype(np.float64)) - np.log1p(-s.astype(np.float64))
    for weights in (None, w):
        cal = growth.Calibrator("platt").fit(s, y, sample_weight=weights)
        sk = _SigmoidCalibration().fit(logit, y.astype(np.float64),
                                       sample_weight=None if weights is None else weights.astype(np.float64))
        np.testing.assert_allclose(cal.predict(s.astype(np.float64)), sk.predict(logit), atol=1e-4)
        a, b = cal.sigmoid_
        assert abs(a + sk.a_) < 1e-3 and abs(b + sk.b_) < 1e-3  # sklearn: 1 / (1 + exp(A x + B))
    # input=margin: the scores are the logits.
    m = growth.Calibrator("platt", input="margin").fit(logit.astype(np.float32), y)
    skm = _SigmoidCalibration().fit(logit.astype(np.float32).astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(m.predict(logit.astype(np.float32).astype(np.float64)),
                               skm.predict(logit.astype(np.float32).astype(np.float64)), atol=1e-4)


def _sigmoid_objective(x, t, w):
    """Mean weighted log-loss of targets t at margins a x + b, with gradient and Hessian."""
    W = w.sum()

    def parts(p):
        z = p[0] * x + p[1]
        q = 1 / (1 + np.exp(-z))
        f = np.sum(w * (np.logaddexp(0, z) - t * z)) / W
        r, h = w * (q - t) / W, w * q * (1 - q) / W
        return f, np.array([r @ x, r.sum()]), np.array([[h @ (x * x), h @ x], [h @ x, h.sum()]])
    return parts


@pytest.mark.parametrize("weighted", [False, True])
def test_platt_converges_to_optimum_200k(weighted):
    """Platt's fit lands on the minimiser of its objective (log-loss against the smoothed
    targets (W+ + 1) / (W+ + 2), 1 / (W- + 2) from the weighted class totals), found here
    independently by scipy's exact-Hessian trust-region method. Same score distribution as
    bench/calibration_bench.py, where the Newton iteration used to stall near the optimum."""
    from scipy.optimize import brentq, minimize
    n = 200_000
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.7 * z - 1)))).astype(np.float32)
    s = (1 / (1 + np.exp(-z))).astype(np.float32)
    w = rng.uniform(0.2, 3.0, n).astype(np.float32) if weighted else np.ones(n, np.float32)
    cal = growth.Calibrator("platt").fit(s, y, sample_weight=w if weighted else None)
    a, b = cal.sigmoid_

    x = np.clip(s.astype(np.float64), 1e-15, 1 - 1e-15)
    x = np.log(x) - np.log1p(-x)
    wd, yd = w.astype(np.float64), y.astype(np.float64)
    wpos, wneg = wd @ yd, wd @ (1 - yd)
    t = np.where(y == 1, (wpos + 1) / (wpos + 2), 1 / (wneg + 2))
    obj = _sigmoid_objective(x, t, wd)
    ref = minimize(lambda p: obj(p)[0], np.zeros(2), jac=lambda p: obj(p)[1],
                   hess=lambda p: obj(p)[2], method="trust-exact", options={"gtol": 1e-13})
    assert ref.success, ref.message
    np.testing.assert_allclose([a, b], ref.x, rtol=0, atol=1e-8)
    f, g, _ = obj(np.array([a, b]))
    assert f <= ref.fun + 1e-14
    assert np.max(np.abs(g)) < 1e-11  # the mean gradient vanishes to rounding
    # And the fitted map is the optimum's sigmoid.
    np.testing.assert_allclose(cal.predict(s.astype(np.float64)),
                               1 / (1 + np.exp(-(ref.x[0] * x + ref.x[1]))), rtol=0, atol=1e-8)
    # Temperature scaling on the same scores: the 1-D optimum of the plain log-loss.
    temp = growth.Calibrator("temperature").fit(s, y, sample_weight=w if weighted else None)
    at, bt = temp.sigmoid_
    tobj = _sigmoid_objective(x, yd, wd)
    # The loss is convex in the temperature: its optimum is the root of the derivative.
    tref = brentq(lambda v: tobj([v, 0.0])[1][0], 0.05, 5.0, xtol=1e-15)
    assert bt == 0.0 and abs(at - tref) < 1e-8
    assert abs(tobj([at, 0.0])[1][0]) < 1e-11


def test_temperature_minimises_log_loss():
    from scipy.optimize import minimize_scalar
    rng = np.random.default_rng(4)
    z = rng.normal(0, 2, 20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-0.5 * z))).astype(np.float32)
    cal = growth.Calibrator("temperature", input="margin").fit(z.astype(np.float32), y)
    zz = z.astype(np.float32).astype(np.float64)

    def loss(beta):
        p = 1 / (1 + np.exp(-beta * zz))
        return -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
    ref = minimize_scalar(loss, bounds=(0.01, 5), method="bounded", options={"xatol": 1e-10}).x
    a, b = cal.sigmoid_
    assert b == 0.0 and abs(a - ref) < 1e-5 and abs(a - 0.5) < 0.05


def test_histogram_binning_against_numpy():
    s, y, _ = _data(30000, 5, levels=300)
    cal = growth.Calibrator("histogram", bins=8, binning="uniform").fit(s, y)
    lo, hi = s.min(), s.max()
    edges = lo + (hi - lo) * (np.arange(8) / 8.0)
    b = np.searchsorted(edges.astype(np.float64), s.astype(np.float64), side="right") - 1
    rate = np.array([y[b == k].mean() for k in range(8)])
    np.testing.assert_allclose(cal.predict(s.astype(np.float64)), rate[b], atol=1e-12)
    q = growth.Calibrator("histogram", bins=8).fit(s, y)
    x, v = q.knots()
    assert len(x) == 8
    counts = np.bincount(np.searchsorted(x, s.astype(np.float64), side="right") - 1, minlength=8)
    assert np.all(np.abs(counts - len(s) / 8) <= np.max(np.unique(s, return_counts=True)[1]))


def _field_log(n, seed, n_fields=50):
    rng = np.random.default_rng(99)
    slope = rng.uniform(0.6, 1.5, n_fields)
    shift = rng.uniform(-0.8, 0.8, n_fields)
    rng = np.random.default_rng(seed)
    f = (n_fields * rng.random(n) ** 2).astype(np.int64)
    z = -2.0 + 0.04 * f + 1.1 * rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.float32)
    s = (1 / (1 + np.exp(-(slope[f] * z + shift[f])))).astype(np.float32)
    return s, y, f * 13 + 5


def test_field_aware_beats_global_isotonic():
    from sklearn.metrics import roc_auc_score
    s, y, f = _field_log(300_000, 1)
    ts, ty, tf = _field_log(300_000, 2)
    iso = growth.Calibrator("isotonic").fit(s, y)
    fa = growth.Calibrator("field", buckets=20, min_bucket=200, prior=50).fit(s, y, fields=f)
    pi, pf = iso.predict(ts), fa.predict(ts, fields=tf)
    rce_i, rce_f = metrics.field_rce(ty, pi, tf), metrics.field_rce(ty, pf, tf)
    assert rce_f * 2 <= rce_i, (rce_f, rce_i)
    assert roc_auc_score(ty, pf) >= roc_auc_score(ty, pi)
    # An unknown field value falls back to the global map.
    np.testing.assert_array_equal(fa.predict(ts[:100], fields=np.full(100, -1)), fa.predict(ts[:100]))
    assert fa.predict(0.3, fields=-1) == fa.predict(0.3)
    assert "own_maps=" in fa.summary and fa.method == "field"


def test_persistence_and_pickle(tmp):
    s, y, w = _data(20000, 6)
    f = np.arange(len(s)) % 7
    for method in ("platt", "temperature", "isotonic", "histogram", "field"):
        cal = growth.Calibrator(method, min_bucket=50).fit(s, y, sample_weight=w, fields=f)
        path = tmp / f"{method}.cal"
        cal.save(path)
        assert growth.model_kind(str(path))[0] == "calibrator"
        back = growth.Calibrator.load(path)
        np.testing.assert_array_equal(back.predict(s, fields=f), cal.predict(s, fields=f))
        assert back.config == cal.config and back.summary == cal.summary
        again = pickle.loads(pickle.dumps(cal))
        np.testing.assert_array_equal(again.predict(s, fields=f), cal.predict(s, fields=f))
        data = bytearray(cal.to_bytes())
        data[len(data) // 2] ^= 0xFF
        with pytest.raises(growth.FormatError):
            growth.Calibrator.from_bytes(bytes(data))
        with pytest.raises(growth.FormatError):
            growth.Calibrator.from_bytes(bytes(data[:len(data) - 3]))
        back.close()
        with pytest.raises(ValueError):
            back.predict(s)
    unfitted = pickle.loads(pickle.dumps(growth.Calibrator("histogram", bins=4)))
    assert unfitted.get_params()["bins"] == 4 and not unfitted.fitted  # no C calibrator before fit
    m = growth.FTRL(bits=4).partial_fit(np.eye(4), [0, 1, 0, 1])
    m.save(tmp / "ftrl.model")
    with pytest.raises(growth.FormatError, match="ftrl"):
        growth.Calibrator.load(tmp / "ftrl.model")


def test_bad_input():
    s = np.array([0.1, 0.4, 0.35, 0.8], dtype=np.float32)
    y = np.array([0, 0, 1, 1], dtype=np.float32)
    # The configuration is validated when the C calibrator is created: at fit.
    with pytest.raises(growth.InvalidArgument, match="method"):
        growth.Calibrator("spline").fit(s, y)
    with pytest.raises(growth.InvalidArgument, match="bogus"):
        growth.Calibrator("isotonic", bogus=1).fit(s, y)
    cal = growth.Calibrator("isotonic")
    with pytest.raises(growth.InvalidState, match="not fitted"):
        cal.predict([0.5])
    cal.fit(s, y)
    before = cal.predict(s)
    with pytest.raises(growth.InvalidArgument, match=r"scores\[1\] = nan"):
        cal.fit([0.1, np.nan, 0.3, 0.2], y)
    with pytest.raises(growth.InvalidArgument, match=r"weights\[0\]"):
        cal.fit(s, y, sample_weight=[np.nan, 1, 1, 1])
    with pytest.raises(growth.InvalidArgument, match=r"labels\[3\] = 2"):
        cal.fit(s, [0, 1, 0, 2])
    with pytest.raises(growth.InvalidArgument, match="at least 2"):
        cal.fit(s[:1], y[:1])
    with pytest.raises(growth.InvalidArgument, match="one class"):
        cal.fit(s, np.ones(4))
    with pytest.raises(growth.InvalidArgument, match="labels has 3"):
        cal.fit(s, y[:3])
    with pytest.raises(growth.InvalidArgument, match="NaN"):
        cal.predict(np.array([0.2, np.nan]))
    np.testing.assert_array_equal(cal.predict(s), before)  # unchanged by the failures
    with pytest.raises(growth.InvalidArgument, match="needs field ids"):
        growth.Calibrator("field").fit(s, y)
    with pytest.raises(growth.InvalidArgument, match="integer ids"):
        growth.Calibrator("field").fit(s, y, fields=[0.5, 1, 2, 3])
    with pytest.raises(growth.InvalidState):
        cal.sigmoid_


def test_concurrent_predict_from_threads():
    s, y, _ = _data(50000, 7)
    f = np.arange(len(s)) % 11
    cal = growth.Calibrator("field", min_bucket=100).fit(s, y, fields=f)
    ref = cal.predict(s, fields=f)
    results = []

    def work():
        for _ in range(20):
            results.append(np.array_equal(cal.predict(s, fields=f), ref))
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(results) == 80 and all(results)


def test_calibration_metrics_against_sklearn_and_numpy():
    from sklearn.calibration import calibration_curve
    rng = np.random.default_rng(8)
    p = rng.random(20000).astype(np.float32)
    y = (rng.random(20000) < p ** 1.3).astype(np.float32)
    mp, pr, wt = metrics.reliability(y, p, n_bins=10)
    keep = wt > 0
    prob_true, prob_pred = calibration_curve(y, p.astype(np.float64), n_bins=10)
    np.testing.assert_allclose(pr[keep], prob_true, atol=1e-12)
    np.testing.assert_allclose(mp[keep], prob_pred, atol=1e-7)
    e = np.sum(wt[keep] * np.abs(mp[keep] - pr[keep])) / len(p)
    assert abs(metrics.ece(y, p, n_bins=10) - e) < 1e-12
    assert abs(metrics.mce(y, p, n_bins=10) - np.max(np.abs(mp[keep] - pr[keep]))) < 1e-12
    mq, rq, wq = metrics.reliability(y, p, n_bins=10, strategy="quantile")
    assert len(wq) == 10 and np.all(np.abs(wq - 2000) <= 1)
    assert abs(metrics.pcoc(y, p) - p.astype(np.float64).sum() / y.sum()) < 1e-9
    g = rng.integers(0, 5, 20000)
    fe = sum(abs((y[g == k] - p[g == k].astype(np.float64)).sum()) for k in range(5)) / len(p)
    fr = sum((g == k).sum() * abs((y[g == k] - p[g == k].astype(np.float64)).sum()) / y[g == k].sum()
             for k in range(5)) / len(p)
    assert abs(metrics.field_ece(y, p, g) - fe) < 1e-12
    assert abs(metrics.field_rce(y, p, g) - fr) < 1e-12
    with pytest.raises(growth.InvalidArgument, match="strategy"):
        metrics.ece(y, p, strategy="kmeans")
    with pytest.raises(growth.InvalidArgument, match="'bins'"):
        metrics.ece(y, p, n_bins=0)
    with pytest.raises(growth.InvalidArgument, match="'bins'"):
        metrics.reliability(y, p, n_bins=2 ** 20 + 1)
    # the keyword API maps onto the C config "bins=.. binning=..": same numbers as the defaults
    assert metrics.ece(y, p) == metrics.ece(y, p, n_bins=10, strategy="uniform")
    assert metrics.mce(y, p, n_bins=7, strategy="quantile") != metrics.mce(y, p, n_bins=7)


def test_reliability_diagram_plot(tmp):
    import matplotlib
    from growth import plot
    rng = np.random.default_rng(9)
    p = rng.random(5000)
    y = (rng.random(5000) < p ** 2).astype(np.float32)
    ax = plot.reliability_diagram(y, p, n_bins=12, label="raw")
    cal = growth.Calibrator("isotonic").fit(p, y)
    plot.reliability_diagram(y, cal.predict(p), n_bins=12, ax=ax, label="isotonic", show_counts=False)
    labels = [l.get_label() for l in ax.get_lines()]
    assert labels[0] == "perfectly calibrated" and labels[1].startswith("raw (ECE")
    assert len(ax.get_lines()) == 3
    ax.figure.savefig(tmp / "rel.png")
    assert (tmp / "rel.png").stat().st_size > 1000
    assert matplotlib.get_backend().lower() == "agg"
