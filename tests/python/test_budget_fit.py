"""Response curves fitted from spend logs and multi-outcome allocation (growth_channels_fit,
growth_response_*), against scipy (curve_fit, nnls, SLSQP, HiGHS milp) and fine-grid brute force."""
import io
import os

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, curve_fit, milp, minimize, nnls

import growth
from growth import budget as gb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXP = lambda x, a, b: a * -np.expm1(-b * x)  # noqa: E731
LOG = lambda x, a, b: a * np.log1p(b * x)  # noqa: E731


def noisy(f, a, b, n=80, seed=0, noise=0.02, lo=300, hi=25000):
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, n)
    y = f(x, a, b) * (1 + noise * rng.standard_normal(n))
    return x, np.maximum(y, 0)


@pytest.mark.parametrize("fam,f,a,b", [("exp", EXP, 5000, 1e-4), ("log", LOG, 900, 8e-4), ("exp", EXP, 300, 3e-5)])
def test_parametric_fit_matches_curve_fit(fam, f, a, b):
    x, y = noisy(f, a, b, seed=int(a))
    r = gb.fit_curve(x, y, family=fam)
    assert r["family"] == fam and r["points"] is None and r["n"] == x.size
    # recovers the truth within the noise
    assert abs(r["a"] / a - 1) < 0.05 and abs(r["b"] / b - 1) < 0.1
    # and is scipy's least-squares optimum (started at the truth)
    p, _ = curve_fit(f, x, y, p0=[a, b], maxfev=20000, xtol=1e-14, ftol=1e-14)
    np.testing.assert_allclose([r["a"], r["b"]], p, rtol=1e-5)
    sse = ((y - f(x, r["a"], r["b"])) ** 2).sum()
    assert sse <= ((y - f(x, *p)) ** 2).sum() * (1 + 1e-9)
    np.testing.assert_allclose(r["rmse"], np.sqrt(sse / x.size), rtol=1e-9)
    np.testing.assert_allclose(r["r2"], 1 - sse / ((y - y.mean()) ** 2).sum(), rtol=1e-9)
    assert r["spend_lo"] == x.min() and r["spend_hi"] == x.max()


def test_weighted_fit_equals_repeated_rows():
    x, y = noisy(EXP, 4000, 2e-4, n=30, seed=3)
    w = np.arange(1, 31) % 3 + 1.0
    xr, yr = np.repeat(x, w.astype(int)), np.repeat(y, w.astype(int))
    for fam in ("exp", "log", "pwl"):
        a = gb.fit_curve(x, y, w, family=fam)
        b = gb.fit_curve(xr, yr, family=fam)
        np.testing.assert_allclose([a["a"], a["b"], a["rmse"], a["r2"]], [b["a"], b["b"], b["rmse"], b["r2"]],
                                   rtol=1e-7, atol=1e-12)
    # zero weight drops a row
    w0 = np.ones(30)
    w0[5] = 0
    a = gb.fit_curve(x, y, w0, family="exp")
    b = gb.fit_curve(np.delete(x, 5), np.delete(y, 5), family="exp")
    assert a["n"] == 29
    np.testing.assert_allclose([a["a"], a["b"]], [b["a"], b["b"]], rtol=1e-9)


def hinge_data(seed=5, n=60):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 20000, n)
    truth = np.minimum(0.5 * x, 3000 + 0.05 * np.maximum(x - 6000, 0))  # linear, then nearly flat
    return x, truth + rng.normal(0, 60, n)


def test_pwl_fit_is_the_concave_least_squares_fit():
    x, y = hinge_data()
    y = np.maximum(y, 0)
    r = gb.fit_curve(x, y, family="pwl", knots=1024)
    kx, ky = r["points"]
    assert kx[0] == 0 and ky[0] == 0
    s = np.diff(ky) / np.diff(kx)
    assert np.all(s >= -1e-12) and np.all(np.diff(s) <= 1e-9)  # non-decreasing, concave
    fitted = np.interp(x, kx, ky)
    # reference 1: NNLS on the hinge basis min(x, t_j) at the distinct spends
    t = np.unique(x[x > 0])
    u, res = nnls(np.minimum(x[:, None] / t[None, :], 1.0), y)
    np.testing.assert_allclose(((y - fitted) ** 2).sum(), res ** 2, rtol=1e-8)
    np.testing.assert_allclose(fitted, np.minimum(x[:, None] / t[None, :], 1.0) @ u, rtol=1e-6, atol=1e-6)
    # reference 2: the QP on the values at the sorted distinct spends (concave, non-decreasing,
    # through the origin) by SLSQP
    order = np.argsort(t)
    tt = np.concatenate([[0.0], t[order]])
    idx = np.searchsorted(tt, x)
    d = np.diff(tt)

    def obj(v):
        f = np.concatenate([[0.0], v])
        return ((y - f[idx]) ** 2).sum()

    def slopes(v):
        return np.diff(np.concatenate([[0.0], v])) / d

    cons = [{"type": "ineq", "fun": lambda v: -np.diff(slopes(v))}, {"type": "ineq", "fun": lambda v: slopes(v)}]
    v0 = np.interp(tt[1:], kx, ky)
    qp = minimize(obj, v0 * 0.9 + 1, constraints=cons, method="SLSQP", options={"maxiter": 2000, "ftol": 1e-12})
    assert obj(np.interp(tt[1:], kx, ky)) <= qp.fun * (1 + 1e-6)
    assert r["r2"] > 0.95


def test_auto_picks_the_family():
    assert gb.fit_curve(*noisy(EXP, 5000, 1e-4, noise=0.01), family="auto")["family"] == "exp"
    assert gb.fit_curve(*noisy(LOG, 900, 8e-4, noise=0.01), family="auto")["family"] == "log"
    x, y = hinge_data()
    assert gb.fit_curve(x, np.maximum(y, 0), family="auto")["family"] == "pwl"


def test_fit_bad_input():
    x, y = noisy(EXP, 5000, 1e-4, n=10)
    for bad in (np.nan, np.inf, -1.0):
        xb = x.copy()
        xb[3] = bad
        with pytest.raises(growth.InvalidArgument, match=r"spend\[3\]"):
            gb.fit_curve(xb, y)
        yb = y.copy()
        yb[2] = bad
        with pytest.raises(growth.InvalidArgument, match=r"outcome\[2\]"):
            gb.fit_curve(x, yb)
    with pytest.raises(growth.InvalidArgument, match="distinct"):
        gb.fit_curve(np.full(5, 100.0), np.arange(5.0))
    with pytest.raises(growth.InvalidArgument):
        gb.fit_curve(x, y, family="cubic")
    with pytest.raises(growth.InvalidArgument):
        gb.fit_curve(x, y[:5])


# ---- spend logs -------------------------------------------------------------------------------

GOOD = "placement,day,spend,installs,logins,retained\nA,1,100,10,5,2\nA,2,200,18,9,4\nB,1,50,4,2,1\nB,2,80,6,3,1\n"


def test_read_spend_logs_sources(tmp_path):
    p = tmp_path / "logs.csv"
    p.write_text(GOOD)
    for src in (GOOD, str(p), p, io.StringIO(GOOD), open(p, "rb")):
        logs = gb.read_spend_logs(src)
        assert logs.placements == ["A", "B"] and logs.platforms is None and logs.n_rows == 4
        assert logs.spend_range("A") == (100.0, 200.0)
    with_platform = "Platform,placement,day,spend,installs,logins,retained,note\n" \
                    "ios,A,1,100,10,5,2,x\nandroid,B,1,50,4,2,1,y\nios,A,2,120,11,5,2,z\n"
    logs = gb.read_spend_logs(with_platform)
    assert logs.platforms == ["ios", "android"] and logs.placement_platform == ["ios", "android"]


@pytest.mark.parametrize("text,line,column", [
    ("placement,day,spend,installs,logins\nA,1,1,1,1\n", 1, "retained"),
    ("", 1, None),
    (GOOD.replace("A,2,200,18", "A,2,abc,18"), 3, "spend"),
    (GOOD.replace("A,2,200,18", "A,2,nan,18"), 3, "spend"),
    (GOOD.replace("A,2,200,18", "A,2,inf,18"), 3, "spend"),
    (GOOD.replace("A,2,200,18", "A,2,-5,18"), 3, "spend"),
    (GOOD.replace("B,1,50,4,2,1", "B,1,50,4,-2,1"), 4, "logins"),
    (GOOD.replace("B,2,80,6,3,1", "B,2,80,6,3,x"), 5, "retained"),
    (GOOD.replace("B,2,", "B,1,"), 5, "day"),
    (GOOD.replace("B,2,80,6,3,1", "B,2,80"), 5, "installs"),
    (GOOD.replace("B,1,", ",1,"), 4, "placement"),
    ("placement,day,spend,installs,logins,retained\n", 2, None),
    ("platform,placement,day,spend,installs,logins,retained\nios,A,1,1,1,1,1\nandroid,A,2,1,1,1,1\n", 3, "platform"),
])
def test_read_spend_logs_errors(text, line, column):
    with pytest.raises(gb.SpendLogError) as e:
        gb.read_spend_logs(text)
    assert isinstance(e.value, ValueError) and isinstance(e.value, growth.InvalidArgument)
    assert e.value.line == line and e.value.column == column and e.value.message


def test_spend_log_error_names_the_file(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(GOOD.replace("A,2,200,18", "A,2,x,18"))
    with pytest.raises(gb.SpendLogError, match=r"bad\.csv:3:spend:"):
        gb.read_spend_logs(p)


def test_demo_logs_file_is_the_generator():
    with open(os.path.join(ROOT, "examples", "data", "spend_logs.csv"), encoding="utf-8") as f:
        assert f.read() == gb.demo_spend_logs()


# ---- allocation -------------------------------------------------------------------------------

def F(fam, a, b, lo=0.0, hi=3e4):
    return {"family": fam, "a": a, "b": b, "r2": 1.0, "rmse": 0.0, "n": 10, "spend_lo": lo, "spend_hi": hi,
            "points": None}


def PW(xs, ys, lo=0.0, hi=3e4):
    return {"family": "pwl", "a": 0.0, "b": 0.0, "r2": 1.0, "rmse": 0.0, "n": 10, "spend_lo": lo, "spend_hi": hi,
            "points": (np.array(xs, float), np.array(ys, float))}


FITS3 = [{"installs": F("exp", 5000, 1e-4), "logins": F("exp", 1500, 2e-4), "retained": F("log", 300, 3e-4)},
         {"installs": F("log", 2000, 5e-4), "logins": F("log", 1200, 3e-4), "retained": F("exp", 500, 1e-4)},
         {"installs": PW([0, 5000, 15000], [0, 1500, 2500]), "logins": PW([0, 4000, 20000], [0, 1000, 1800]),
          "retained": PW([0, 10000], [0, 400])}]


@pytest.fixture(scope="module")
def model3():
    with gb.ResponseModel(["a", "b", "c"], FITS3, ["ios", "android", "ios"], ["ios", "android"]) as m:
        yield m


def brute3(B, w=(1, 0, 0), rl=None, rr=None, ios=None, lo=(0, 0, 0), hi=(np.inf,) * 3, step=25.0):
    g = np.arange(0, B + step / 2, step)
    X, Y = np.meshgrid(g, g, indexing="ij")
    Z = B - X - Y
    ok = Z >= -1e-9
    Z = np.maximum(Z, 0)
    T = sum(np.stack([gb._curve_value(FITS3[i][o], A) for o in gb.OUTCOMES]) for i, A in enumerate((X, Y, Z)))
    for A, l, h in zip((X, Y, Z), lo, hi):
        ok &= (A >= l) & (A <= h)
    if rl:
        ok &= T[1] >= rl * T[0]
    if rr:
        ok &= T[2] >= rr * T[0]
    if ios is not None:
        ok &= X + Z <= ios
    obj = np.where(ok, np.tensordot(np.array(w, float), T, 1), -np.inf)
    return obj.max()


@pytest.mark.parametrize("kw,bk", [
    (dict(), dict()),
    (dict(weights=(1, 0.5, 2)), dict(w=(1, 0.5, 2))),
    (dict(weights={"logins": 1.0}), dict(w=(0, 1, 0))),
    (dict(min_login_rate=0.5), dict(rl=0.5)),
    (dict(min_login_rate=0.52), dict(rl=0.52)),
    (dict(min_login_rate=0.55), dict(rl=0.55)),
    (dict(min_retention_rate=0.115), dict(rr=0.115)),
    (dict(min_login_rate=0.505, min_retention_rate=0.113), dict(rl=0.505, rr=0.113)),
    (dict(platform_budgets={"ios": 8000}), dict(ios=8000)),
    (dict(platform_budgets={"ios": 12000}, min_login_rate=0.42), dict(ios=12000, rl=0.42)),
    (dict(min_spend=[0, 0, 7000], max_spend={"a": 6000}), dict(lo=(0, 0, 7000), hi=(6000, np.inf, np.inf))),
])
def test_allocation_matches_brute_force(model3, kw, bk):
    B = 20000.0
    p = model3.allocate(B, **kw)
    ref = brute3(B, **bk)
    w = np.array(bk.get("w", (1, 0, 0)), float)
    assert p.spend.sum() <= B * (1 + 1e-9)
    np.testing.assert_allclose(p.objective, w @ p.totals, rtol=1e-12)
    # at least as good as the grid (up to the grid's own error), and no better than the bound
    assert p.objective >= ref - 1e-6 * abs(ref) - 1e-9
    assert p.objective <= p.bound * (1 + 1e-12) + 1e-9
    # a fine grid near the optimum is within 0.05 % of it
    assert p.objective <= ref * (1 + 5e-4) + 1e-9
    if "min_login_rate" in kw:
        assert p.login_rate >= kw["min_login_rate"] * (1 - 1e-9)
    if "min_retention_rate" in kw:
        assert p.retention_rate >= kw["min_retention_rate"] * (1 - 1e-9)
    if "platform_budgets" in kw:
        assert p.spend[0] + p.spend[2] <= kw["platform_budgets"]["ios"] * (1 + 1e-9)
    if "min_login_rate" not in kw and "min_retention_rate" not in kw:
        np.testing.assert_allclose(p.bound, p.objective, rtol=1e-9)  # concave: exact


@pytest.mark.parametrize("kw,bk", [(dict(min_login_rate=0.6), dict(rl=0.6)),
                                   (dict(min_login_rate=0.51, min_retention_rate=0.113), dict(rl=0.51, rr=0.113))])
def test_strict_rates_report_their_gap(model3, kw, bk):
    """Past the concave range (the Lagrangian penalises installs) the plan is feasible and the
    dual bound says how far from the optimum it may be."""
    p = model3.allocate(20000, **kw)
    assert p.login_rate >= kw["min_login_rate"] * (1 - 1e-9)
    assert p.retention_rate >= kw.get("min_retention_rate", 0) * (1 - 1e-9)
    ref = brute3(20000, **bk)
    assert p.objective <= ref * (1 + 5e-4) and p.bound >= ref * (1 - 1e-9)


def pwl_model(seed):
    rng = np.random.default_rng(seed)
    fits, plats = [], []
    for c in range(3):
        fd = {}
        for o, scale in zip(gb.OUTCOMES, (1.0, 0.5, 0.2)):
            xs = np.concatenate([[0], np.sort(rng.choice(np.arange(1, 40), 3, replace=False)) * 500.0])
            sl = np.sort(rng.uniform(0.02, 0.6, 3))[::-1] * scale * rng.uniform(0.7, 1.3)
            ys = np.concatenate([[0], np.cumsum(sl * np.diff(xs))])
            fd[o] = PW(xs, ys)
        fits.append(fd)
        plats.append("p0" if c < 2 else "p1")
    return fits, plats


def milp_reference(fits, B, w, rl=None, ios=None):
    """HiGHS on the piecewise-linear problem: segments filled in order (binary ordering)."""
    S = []
    for fd in fits:
        knots = np.unique(np.concatenate([fd[o]["points"][0] for o in gb.OUTCOMES] + [[B]]))
        knots = knots[knots <= B]
        S.append(knots)
    cols = []  # (placement, length, slopes per outcome)
    for c, (fd, kn) in enumerate(zip(fits, S)):
        for a, b in zip(kn[:-1], kn[1:]):
            sl = [(gb._curve_value(fd[o], b) - gb._curve_value(fd[o], a)) / (b - a) for o in gb.OUTCOMES]
            cols.append((c, b - a, sl))
    n = len(cols)
    # variables: z (n) then y (n) binaries with z_i >= len_i y_i, z_{i+1} <= len_{i+1} y_i
    obj = np.concatenate([-np.array([np.dot(w, s) for _, _, s in cols]), np.zeros(n)])
    A, lb, ub = [], [], []
    row = np.zeros(2 * n)
    row[:n] = 1
    A.append(row), lb.append(-np.inf), ub.append(B)
    if ios is not None:
        row = np.zeros(2 * n)
        row[:n] = [1.0 if cols[i][0] in (0, 1) else 0.0 for i in range(n)]
        A.append(row), lb.append(-np.inf), ub.append(ios)
    if rl is not None:
        row = np.zeros(2 * n)
        row[:n] = [s[1] - rl * s[0] for _, _, s in cols]
        A.append(row), lb.append(0), ub.append(np.inf)
    for i in range(n):
        row = np.zeros(2 * n)
        row[i], row[n + i] = 1, -cols[i][1]
        A.append(row), lb.append(0), ub.append(np.inf)
        if i + 1 < n and cols[i + 1][0] == cols[i][0]:
            row = np.zeros(2 * n)
            row[i + 1], row[n + i] = 1, -cols[i + 1][1]
            A.append(row), lb.append(-np.inf), ub.append(0)
    bounds = Bounds(np.zeros(2 * n), np.concatenate([[c[1] for c in cols], np.ones(n)]))
    res = milp(obj, constraints=LinearConstraint(np.array(A), lb, ub), bounds=bounds,
               integrality=np.concatenate([np.zeros(n), np.ones(n)]), options={"mip_rel_gap": 1e-9})
    assert res.status == 0
    return -res.fun


@pytest.mark.parametrize("seed", range(4))
def test_piecewise_linear_matches_highs(seed):
    fits, plats = pwl_model(seed)
    with gb.ResponseModel(["x", "y", "z"], fits, plats, ["p0", "p1"]) as m:
        B = 12000.0
        for kw, ref_kw in [(dict(), dict(w=(1, 0, 0))), (dict(weights=(1, 2, 3)), dict(w=(1, 2, 3))),
                           (dict(platform_budgets={"p0": 5000}), dict(w=(1, 0, 0), ios=5000))]:
            p = m.allocate(B, **kw)
            ref = milp_reference(fits, B, np.array(ref_kw["w"], float), ios=ref_kw.get("ios"))
            np.testing.assert_allclose(p.objective, ref, rtol=1e-7)
        # a binding login rate
        free = m.allocate(B)
        rl = free.login_rate * 1.03
        try:
            p = m.allocate(B, min_login_rate=rl)
        except growth.InvalidArgument:
            return
        ref = milp_reference(fits, B, np.array([1.0, 0, 0]), rl=rl)
        assert p.login_rate >= rl * (1 - 1e-9)
        assert p.objective <= ref * (1 + 1e-7)
        assert p.bound >= ref * (1 - 1e-7)
        if p.bound <= p.objective * (1 + 1e-9):  # certified optimal: equal to HiGHS
            np.testing.assert_allclose(p.objective, ref, rtol=1e-6)


def test_curve_and_warnings(model3):
    c = model3.curve([5000, 10000, 20000, 120000])
    assert c.totals.shape == (4, 3) and c.spend.shape == (4, 3) and c.marginal.shape == (4,)
    assert np.all(np.diff(c.totals[:, 0]) > 0) and np.all(np.diff(c.marginal) <= 1e-12)
    assert c.warnings[0] == [] and any("extrapolates" in w for w in c.warnings[-1])
    plan = model3.allocate(120000)
    assert plan.extrapolated == len(plan.warnings) and plan.warnings[0].startswith("b: spend")
    d = plan.to_dict()
    assert d["totals"] == plan.totals.tolist() and d["warnings"] == plan.warnings
    # the marginal value is the objective's slope
    eps = 1.0
    p0, p1 = model3.allocate(20000), model3.allocate(20000 + eps)
    np.testing.assert_allclose((p1.objective - p0.objective) / eps, p0.marginal, rtol=1e-3)


def test_allocate_bad_input(model3):
    with pytest.raises(growth.InvalidArgument, match="min_spend"):
        model3.allocate(1000, min_spend=[800, 800, 0])
    with pytest.raises(growth.InvalidArgument, match="budgets"):
        model3.allocate(float("nan"))
    with pytest.raises(growth.InvalidArgument, match="budgets"):
        model3.allocate(-1)
    with pytest.raises(growth.InvalidArgument, match="group"):
        model3.allocate(20000, min_spend=[5000, 0, 5000], platform_budgets={"ios": 8000})
    with pytest.raises(growth.InvalidArgument, match="unknown platform"):
        model3.allocate(1000, platform_budgets={"web": 1})
    with pytest.raises(growth.InvalidArgument, match="weights"):
        model3.allocate(1000, weights=(1, 0))
    with pytest.raises(growth.InvalidArgument, match="cannot be met"):
        model3.allocate(20000, min_login_rate=0.95, min_spend=[1000, 1000, 1000])
    with pytest.raises(growth.InvalidArgument, match="min_ratio"):
        model3.allocate(20000, min_login_rate=float("nan"))


def test_demo_end_to_end():
    logs = gb.read_spend_logs(gb.demo_spend_logs())
    m = gb.fit_response_curves(logs)
    assert m.placements == logs.placements and m.outcomes == ("installs", "logins", "retained")
    assert len(m.fits) == 6 and all(set(f) == set(gb.OUTCOMES) for f in m.fits)
    assert all(f["installs"]["r2"] > 0.9 for f in m.fits)
    fams = {f["installs"]["family"] for f in m.fits}
    assert "pwl" in fams and "exp" in fams
    free = m.allocate(40000)
    con = m.allocate(40000, min_login_rate=0.55, platform_budgets={"ios": 15000})
    assert con.login_rate >= 0.55 * (1 - 1e-9) and con.spend[:3].sum() <= 15000 * (1 + 1e-9)
    assert con.totals[0] <= free.totals[0] + 1e-9
    assert con.objective <= con.bound * (1 + 1e-12)
