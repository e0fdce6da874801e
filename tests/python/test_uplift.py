"""growth.uplift: the uplift metrics against a NumPy transcription of scikit-uplift 0.5's
formulas, the estimators against the same learners built with Python's xgboost, the allocation
against brute force, and the campaign simulation (uplift plan vs response plan)."""
import itertools
import os
import pickle

import numpy as np
import pytest

import growth
from growth import uplift
from uplift_sim import simulate, plan_gain

xgb = pytest.importorskip("xgboost")


# ---- NumPy reference: sklift.metrics (0.5) transcribed --------------------------------------------


def _order(u):
    return np.argsort(u, kind="mergesort")[::-1]


def _cum_points(y, u, t):
    o = _order(u)
    y, u, t = y[o].astype(np.float64), u[o], t[o].astype(np.float64)
    yc, yt = y.copy(), y.copy()
    yc[t == 1] = 0
    yt[t == 0] = 0
    thr = np.r_[np.where(np.diff(u))[0], u.size - 1]
    nt = np.cumsum(t)[thr]
    ytr = np.cumsum(yt)[thr]
    na = thr + 1.0
    nc = na - nt
    yct = np.cumsum(yc)[thr]
    return na, nt, nc, ytr, yct


def ref_uplift_curve(y, u, t):
    na, nt, nc, ytr, yct = _cum_points(y, u, t)
    v = (np.divide(ytr, nt, out=np.zeros_like(ytr), where=nt != 0)
         - np.divide(yct, nc, out=np.zeros_like(yct), where=nc != 0)) * na
    return np.r_[0, na], np.r_[0, v]


def ref_qini_curve(y, u, t):
    na, nt, nc, ytr, yct = _cum_points(y, u, t)
    v = ytr - yct * np.divide(nt, nc, out=np.zeros_like(nt), where=nc != 0)
    return np.r_[0, na], np.r_[0, v]


def ref_perfect_uplift_curve(y, t):
    cr = np.sum((y == 1) & (t == 0))
    tn = np.sum((y == 0) & (t == 1))
    summand = y if cr > tn else t
    return ref_uplift_curve(y, 2 * (y == t) + summand, t)


def ref_perfect_qini_curve(y, t, negative_effect=True):
    if negative_effect:
        return ref_qini_curve(y, y * t - y * (1 - t), t)
    r = y[t == 1].sum() - len(y[t == 1]) * y[t == 0].sum() / len(y[t == 0])
    return np.array([0, r, len(y)]), np.array([0, r, r])


def _area(x, v):
    return float(np.sum(np.diff(x) * (v[1:] + v[:-1]) / 2))


def _norm(actual, perfect):
    xp, yp = perfect
    base = xp[-1] * yp[-1] / 2
    return (_area(*actual) - base) / (_area(xp, yp) - base)


def ref_uplift_auc(y, u, t):
    return _norm(ref_uplift_curve(y, u, t), ref_perfect_uplift_curve(y, t))


def ref_qini_auc(y, u, t, negative_effect=True):
    return _norm(ref_qini_curve(y, u, t), ref_perfect_qini_curve(y, t, negative_effect))


def ref_uplift_at_k(y, u, t, strategy="overall", k=0.3):
    o = _order(u)
    n = len(y)
    if strategy == "overall":
        size = int(n * k) if isinstance(k, float) else k
        top_y, top_t = y[o][:size], t[o][:size]
        return top_y[top_t == 1].mean() - top_y[top_t == 0].mean()
    nc = int((t == 0).sum() * k) if isinstance(k, float) else k
    nt = int((t == 1).sum() * k) if isinstance(k, float) else k
    return y[o][t[o] == 1][:nt].mean() - y[o][t[o] == 0][:nc].mean()


def _data(n, seed, arms=1, ties=False):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, arms + 1, size=n).astype(np.int32)
    u = rng.normal(size=n).astype(np.float32)
    if ties:
        u = np.round(u * 2).astype(np.float32) / 2  # about 10 distinct values
    y = (rng.random(n) < 0.3 + 0.2 * (t > 0) * (u > 0)).astype(np.float32)
    return y, u, t


@pytest.mark.parametrize("seed,ties", [(1, False), (2, True), (3, True)])
def test_curves_and_areas_match_the_numpy_reference(seed, ties):
    y, u, t = _data(700, seed, ties=ties)
    yd, ud, td = y.astype(np.float64), u, t
    for ours, ref in [(uplift.uplift_curve(y, u, t), ref_uplift_curve(yd, ud, td)),
                      (uplift.qini_curve(y, u, t), ref_qini_curve(yd, ud, td)),
                      (uplift.uplift_curve(y, u, t, perfect=True), ref_perfect_uplift_curve(yd, td)),
                      (uplift.qini_curve(y, u, t, perfect=True), ref_perfect_qini_curve(yd, td)),
                      (uplift.qini_curve(y, u, t, perfect=True, negative_effect=False),
                       ref_perfect_qini_curve(yd, td, False))]:
        assert ours[0].shape == ref[0].shape
        np.testing.assert_allclose(ours[0], ref[0], rtol=0, atol=0)
        np.testing.assert_allclose(ours[1], ref[1], rtol=1e-12, atol=1e-9)
    assert uplift.uplift_auc_score(y, u, t) == pytest.approx(ref_uplift_auc(yd, ud, td), rel=1e-10)
    assert uplift.qini_auc_score(y, u, t) == pytest.approx(ref_qini_auc(yd, ud, td), rel=1e-10)
    assert uplift.qini_auc_score(y, u, t, negative_effect=False) == pytest.approx(
        ref_qini_auc(yd, ud, td, False), rel=1e-10)


@pytest.mark.parametrize("strategy,k", [("overall", 0.3), ("overall", 0.55), ("by_group", 0.3),
                                        ("overall", 120), ("by_group", 50)])
def test_uplift_at_k_matches_the_reference_with_ties(strategy, k):
    y, u, t = _data(600, 7, ties=True)
    assert uplift.uplift_at_k(y, u, t, strategy=strategy, k=k) == pytest.approx(
        ref_uplift_at_k(y.astype(np.float64), u, t, strategy, k), rel=1e-12, abs=1e-15)


def test_several_treatments_compare_one_arm_or_all_pooled():
    y, u, t = _data(900, 11, arms=3)
    for arm in (1, 2, 3):
        keep = (t == 0) | (t == arm)
        yk, uk, tk = y[keep].astype(np.float64), u[keep], (t[keep] > 0).astype(np.int32)
        assert uplift.qini_auc_score(y, u, t, arm=arm) == pytest.approx(ref_qini_auc(yk, uk, tk), rel=1e-10)
        assert uplift.uplift_auc_score(y, u, t, arm=arm) == pytest.approx(ref_uplift_auc(yk, uk, tk), rel=1e-10)
        assert uplift.uplift_at_k(y, u, t, arm=arm) == pytest.approx(ref_uplift_at_k(yk, uk, tk), abs=1e-12)
        x, v = uplift.qini_curve(y, u, t, arm=arm)
        rx, rv = ref_qini_curve(yk, uk, tk)
        np.testing.assert_allclose(v, rv, atol=1e-9)
    pooled = (t > 0).astype(np.int32)
    assert uplift.qini_auc_score(y, u, t) == pytest.approx(ref_qini_auc(y.astype(float), u, pooled), rel=1e-10)


def test_metric_bad_input():
    y, u, t = _data(100, 5)
    with pytest.raises(growth.InvalidArgument, match="one arm is missing"):
        uplift.qini_auc_score(y, u, np.zeros_like(t))
    with pytest.raises(growth.InvalidArgument, match="one arm is missing"):
        uplift.uplift_auc_score(y, u, t, arm=4)
    with pytest.raises(growth.InvalidArgument, match="negative"):
        uplift.qini_curve(y, u, np.where(t == 1, -1, 0))
    bad = u.copy()
    bad[3] = np.nan
    with pytest.raises(growth.InvalidArgument, match="not finite"):
        uplift.uplift_at_k(y, bad, t)
    with pytest.raises(growth.InvalidArgument, match="'k'"):
        uplift.uplift_at_k(y, u, t, k=1.5)
    with pytest.raises(growth.InvalidArgument, match="label"):
        uplift.qini_auc_score(y * 2, u, t)


# ---- estimators against Python's xgboost ------------------------------------------------------------

PARAMS = {"max_depth": 3, "eta": 0.2}
ROUNDS = 30


def _xgb(X, y, objective, w=None):
    b = xgb.train({**PARAMS, "objective": objective, "verbosity": 0, "nthread": 1},
                  xgb.DMatrix(X, label=y, weight=w), ROUNDS)
    return lambda Z: b.predict(xgb.DMatrix(Z))


@pytest.fixture(scope="module")
def campaign():
    return simulate(3000, seed=21, treatments=2)


def _train(c, method, **kw):
    X, t, y = c["X"], c["t"], c["y"]
    return uplift.UpliftModel.train(X, y, t, method=method, treatments=2, params=PARAMS, num_rounds=ROUNDS, **kw)


def test_t_learner_equals_xgboost_t_learner(campaign):
    X, t, y = campaign["X"], campaign["t"], campaign["y"]
    m = _train(campaign, "t_learner")
    mu = [_xgb(X[t == a], y[t == a], "binary:logistic")(X) for a in range(3)]
    np.testing.assert_allclose(m.predict_response(X), np.stack(mu, 1), atol=2e-6)
    np.testing.assert_allclose(m.predict(X), np.stack([mu[1] - mu[0], mu[2] - mu[0]], 1), atol=4e-6)


def test_s_learner_equals_xgboost_on_one_hot_arms(campaign):
    X, t, y = campaign["X"], campaign["t"], campaign["y"]
    oh = np.stack([(t == 1), (t == 2)], 1).astype(np.float32)
    f = _xgb(np.hstack([X, oh]), y, "binary:logistic")
    mu = [f(np.hstack([X, np.tile(np.eye(3, 2, -1)[a], (len(X), 1))])) for a in range(3)]
    m = _train(campaign, "s_learner")
    np.testing.assert_allclose(m.predict(X), np.stack([mu[1] - mu[0], mu[2] - mu[0]], 1), atol=4e-6)


def test_x_learner_equals_the_formula_with_xgboost(campaign):
    X, t, y = campaign["X"], campaign["t"], campaign["y"]
    m = _train(campaign, "x_learner")
    mu = [_xgb(X[t == a], y[t == a], "binary:logistic") for a in range(3)]
    out = []
    for a in (1, 2):
        Xt, Xc = X[t == a], X[t == 0]
        tau1 = _xgb(Xt, y[t == a] - mu[0](Xt), "reg:squarederror")
        tau0 = _xgb(Xc, mu[a](Xc) - y[t == 0], "reg:squarederror")
        g = np.mean(t[(t == 0) | (t == a)] == a)
        out.append(g * tau0(X) + (1 - g) * tau1(X))
    np.testing.assert_allclose(m.predict(X), np.stack(out, 1), atol=1e-4)


def test_class_transform_and_transformed_outcome_with_propensities(campaign):
    X, t, y = campaign["X"], campaign["t"], campaign["y"]
    rng = np.random.default_rng(3)
    prop = rng.uniform(0.2, 0.4, size=(len(X), 2)).astype(np.float32)  # stated P(arm 1), P(arm 2)
    ct = _train(campaign, "class_transform", propensity=prop)
    to = _train(campaign, "transformed_outcome", propensity=prop)
    p64 = prop.astype(np.float64)
    ct_ref, to_ref = [], []
    for a in (1, 2):
        keep = (t == 0) | (t == a)
        pc = 1.0 - p64[keep].sum(1)
        e = p64[keep, a - 1] / (p64[keep, a - 1] + pc)
        W = (t[keep] == a).astype(np.float64)
        yk = y[keep].astype(np.float64)
        z = (W == yk).astype(np.float32)
        w = np.where(W == 1, 0.5 / e, 0.5 / (1 - e)).astype(np.float32)
        ct_ref.append(2 * _xgb(X[keep], z, "binary:logistic", w)(X) - 1)
        ystar = (yk * (W - e) / (e * (1 - e))).astype(np.float32)
        to_ref.append(_xgb(X[keep], ystar, "reg:squarederror")(X))
    np.testing.assert_allclose(ct.predict(X), np.stack(ct_ref, 1), atol=1e-5)
    np.testing.assert_allclose(to.predict(X), np.stack(to_ref, 1), atol=1e-4)
    with pytest.raises(growth.InvalidState):
        ct.predict_response(X)


@pytest.mark.parametrize("method", ["t_learner", "s_learner", "class_transform"])
def test_ftrl_base_learns_the_effect(campaign, method):
    X, t, y, P = campaign["X"], campaign["t"], campaign["y"], campaign["P"]
    m = uplift.UpliftModel.train(X, y, t, method=method, base="ftrl", treatments=2, epochs=5)
    tau = m.predict(X)
    true = P[:, 1:] - P[:, [0]]
    for a in range(2):
        assert np.corrcoef(tau[:, a], true[:, a])[0, 1] > 0.5


@pytest.mark.parametrize("method", ["t_learner", "x_learner", "class_transform"])
def test_persistence_round_trips(campaign, tmp_path, method):
    m = _train(campaign, method)
    X = campaign["X"][:200]
    p = tmp_path / "u.model"
    m.save(p)
    assert growth.model_kind(str(p))[0] == "uplift"
    for m2 in (uplift.UpliftModel.load(p), pickle.loads(pickle.dumps(m)),
               uplift.UpliftModel.from_bytes(m.to_bytes())):
        np.testing.assert_array_equal(m2.predict(X), m.predict(X))
        assert m2.config == m.config and m2.stats() == m.stats()
    assert m.stats() == {"features": 6, "treatments": 2, "models": {"t_learner": 3, "x_learner": 7,
                                                                      "class_transform": 2}[method],
                         "rows": 3000, "control_rows": int((campaign["t"] == 0).sum())}
    raw = bytearray(m.to_bytes())
    raw[len(raw) // 2] ^= 0xFF
    with pytest.raises(growth.FormatError):
        uplift.UpliftModel.from_bytes(bytes(raw))


def test_training_bad_input(campaign):
    X, t, y = campaign["X"][:300], campaign["t"][:300], campaign["y"][:300]
    T = uplift.UpliftModel.train
    with pytest.raises(growth.InvalidArgument, match="one arm is missing"):
        T(X, y, np.where(t == 2, 1, t), treatments=2)
    with pytest.raises(growth.InvalidArgument, match="out of range"):
        T(X, y, np.where(t == 2, 3, t), treatments=2)
    with pytest.raises(growth.InvalidArgument, match="out of range"):
        T(X, y, np.where(t == 2, -1, t), treatments=2)
    for bad in (0.0, 1.0, -0.1, np.nan):
        prop = np.full((300, 2), 0.3, dtype=np.float32)
        prop[7, 1] = bad
        with pytest.raises(growth.InvalidArgument, match=r"outside \(0, 1\)"):
            T(X, y, t, treatments=2, method="class_transform", propensity=prop)
    with pytest.raises(growth.InvalidArgument, match="control's share"):
        T(X, y, t, treatments=2, propensity=np.full((300, 2), 0.5, dtype=np.float32))
    with pytest.raises(growth.InvalidArgument, match="base=forest"):
        T(X, y, t, treatments=2, method="x_learner", base="ftrl")
    with pytest.raises(growth.InvalidArgument, match="objective"):
        T(X, y, t, treatments=2, params="objective=reg:squarederror")
    with pytest.raises(growth.InvalidArgument, match="method"):
        T(X, y, t, treatments=2, method="r_learner")
    m = T(X, y, t, treatments=2, num_rounds=5)
    with pytest.raises(growth.InvalidArgument, match="features"):
        m.predict(X[:, :3])
    with pytest.raises(growth.Canceled):
        T(X, y, t, treatments=2, num_rounds=50, progress=lambda s, d: d > 0.2)


# ---- allocation -------------------------------------------------------------------------------------


def test_allocate_is_the_brute_force_optimum_on_small_instances():
    rng = np.random.default_rng(8)
    for trial in range(25):
        n, m = 5, 2
        u = rng.normal(0.05, 0.1, size=(n, m)).astype(np.float32)
        pr = rng.uniform(0.1, 0.9, size=(n, m)).astype(np.float32)
        cost = np.array([2.0, 5.0])
        budget = float(rng.uniform(1, 10))
        plan = uplift.allocate(u, cost, budget, p_redeem=pr, value=10.0)
        best = 0.0
        for ch in itertools.product(range(-1, m), repeat=n):
            spend = sum(cost[c] * pr[i, c] for i, c in enumerate(ch) if c >= 0)
            val = sum(10.0 * u[i, c] for i, c in enumerate(ch) if c >= 0 and u[i, c] > 0)
            if spend <= budget + 1e-9 and all(c < 0 or u[i, c] > 0 for i, c in enumerate(ch)):
                best = max(best, val)
        got = sum(10.0 * u[i, c] for i, c in enumerate(plan.choice) if c >= 0)
        spend = sum(cost[c] * pr[i, c] for i, c in enumerate(plan.choice) if c >= 0)
        assert spend <= budget + 1e-6
        assert all(u[i, c] > 0 for i, c in enumerate(plan.choice) if c >= 0)
        assert plan.value == pytest.approx(got, rel=1e-9, abs=1e-12)
        assert got >= best * (1 - 1e-9) - 1e-9 or plan.dual_bound >= best - 1e-9
        assert plan.dual_bound >= best - 1e-6


def test_allocate_bad_input():
    u = np.array([[0.1, 0.2]], dtype=np.float32)
    with pytest.raises(growth.InvalidArgument, match="p_redeem"):
        uplift.allocate(u, [1.0, 2.0], 5, p_redeem=[[0.5, 1.5]])
    with pytest.raises(growth.InvalidArgument, match="budget"):
        uplift.allocate(u, [1.0, 2.0], -1)
    with pytest.raises(growth.InvalidArgument, match="costs"):
        uplift.allocate(u, [1.0, -2.0], 5)
    with pytest.raises(growth.InvalidArgument, match="value"):
        uplift.allocate(u, [1.0, 2.0], 5, value=0.0)


# ---- the campaign: the uplift plan against the response plan ---------------------------------------


def test_uplift_plan_gains_at_least_30_percent_more_than_the_response_plan():
    train = simulate(12000, seed=5, treatments=2)
    test = simulate(6000, seed=6, treatments=2)
    m = uplift.UpliftModel.train(train["X"], train["y"], train["t"], method="t_learner", treatments=2,
                                 params="max_depth=3 eta=0.1", num_rounds=80)
    res = plan_gain(m, test, costs=np.array([2.0, 4.0]), budget=1500.0)
    assert res["uplift_plan"] >= 1.3 * res["response_plan"], res
    assert res["uplift_spend"] <= 1500.0 + 1e-6


def test_cli_budget_knapsack_takes_an_uplift_column(tmp_path):
    import subprocess
    cli = os.environ.get("GROWTH_CLI")
    if not cli:
        pytest.skip("GROWTH_CLI not set")
    rng = np.random.default_rng(4)
    n, m = 40, 2
    u = np.round(rng.normal(0.05, 0.1, size=(n, m)), 4).astype(np.float32)
    pr = np.round(rng.uniform(0.1, 0.9, size=(n, m)), 4).astype(np.float32)
    cost = np.array([2.0, 5.0])
    lines = ["user,uplift,redeem,cost"] + [f"u{i},{u[i, j]},{pr[i, j]},{cost[j]}" for i in range(n) for j in range(m)]
    f = tmp_path / "scores.csv"
    f.write_text("\n".join(lines) + "\n")
    out = tmp_path / "plan.csv"
    r = subprocess.run([cli, "budget", "knapsack", str(f), "--budget", "12", "--uplift", "uplift", "--redeem",
                        "redeem", "--conversion-value", "10", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    plan = uplift.allocate(u, cost, 12.0, p_redeem=pr, value=10.0)
    rows = [ln.split(",") for ln in out.read_text().splitlines()[1:]]
    assert {(row[0], int(row[1])) for row in rows} == {(f"u{i}", int(c)) for i, c in enumerate(plan.choice) if c >= 0}
    assert f"value {plan.value:.6f}" in r.stdout
    r = subprocess.run([cli, "budget", "knapsack", str(f), "--budget", "12", "--redeem", "redeem"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--uplift" in r.stderr


def test_qini_plot_draws_the_library_curve():
    pytest.importorskip("matplotlib")
    from growth import plot
    y, u, t = _data(300, 9)
    ax = plot.qini_curve(y, u, t, label="model")
    ax = plot.qini_curve(y, -u, t, ax=ax, label="reversed")
    lines = {l.get_label(): l for l in ax.get_lines()}
    assert "perfect" in lines and "random" in lines
    x, v = uplift.qini_curve(y, u, t)
    mine = [l for k, l in lines.items() if k.startswith("model (Qini")][0]
    np.testing.assert_allclose(mine.get_xdata(), x)
    np.testing.assert_allclose(mine.get_ydata(), v)
