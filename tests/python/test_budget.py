"""Budget solving against exact references: scipy's HiGHS (linprog / milp) and brute force."""
import itertools
import math

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix, csr_matrix, vstack

import growth
from growth import budget as gb


def mckp_instance(n, m, K, seed, absent=0.0):
    rng = np.random.default_rng(seed)
    c = rng.uniform(0.1, 10, (n, m, K))
    v = rng.uniform(0, 5, (n, m)) * np.sqrt(c[:, :, 0])
    if absent:
        v[rng.random((n, m)) < absent] = np.nan
    B = np.nansum(c, axis=(0, 1)) / m * 0.3
    return v, c, B


def mckp_reference(v, c, B, integer):
    n, m = v.shape
    K = c.shape[2]
    ok = ~np.isnan(v).ravel()
    N = n * m
    A1 = coo_matrix((np.ones(N), (np.repeat(np.arange(n), m), np.arange(N))), shape=(n, N))
    A = vstack([A1, csr_matrix(c.reshape(N, K).T)]).tocsr()
    ub = np.concatenate([np.ones(n), B])
    obj = -np.nan_to_num(v.ravel())
    bounds = [(0, 1 if o else 0) for o in ok]
    lp = linprog(obj, A_ub=A, b_ub=ub, bounds=bounds, method="highs")
    assert lp.status == 0
    if not integer:
        return -lp.fun, None, None
    mi = milp(obj, constraints=LinearConstraint(A, -np.inf, ub), integrality=np.ones(N),
              bounds=Bounds(0, ok.astype(float)), options={"mip_rel_gap": 1e-4, "time_limit": 60})
    assert mi.status in (0, 1) and mi.x is not None
    return -lp.fun, -mi.fun, -mi.mip_dual_bound


def plan_totals(v, c, choice):
    sel = choice >= 0
    rows = np.nonzero(sel)[0]
    return v[rows, choice[sel]].sum(), c[rows, choice[sel], :].sum(axis=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mckp_single_budget_matches_highs(seed):
    v, c, B = mckp_instance(1000, 5, 1, seed, absent=0.1 if seed == 3 else 0.0)
    r = gb.solve_mckp(values=v, costs=c[:, :, 0], budget=B[0])
    lp, mi, mi_bound = mckp_reference(v, c, B, integer=True)
    assert abs(r.lp_value - lp) <= 1e-7 * lp
    value, spend = plan_totals(v, c, r.choice)
    assert not np.isnan(value)                      # never an absent option
    assert abs(value - r.value) <= 1e-9 * value
    assert spend[0] <= B[0] * (1 + 1e-12)
    assert r.value <= mi_bound + 1e-6 * lp          # no better than the integer optimum
    assert mi - r.value <= r.abs_gap + 1e-6 * lp    # within the reported gap of the MILP
    assert 0 <= r.gap <= 1e-3
    assert abs(r.gap - (r.lp_value - r.value) / r.lp_value) < 1e-12


@pytest.mark.parametrize("K,seed,absent", [(2, 4, 0.0), (3, 5, 0.0), (4, 12, 0.2), (8, 24, 0.0)])
def test_mckp_multi_budget_matches_highs(K, seed, absent):
    v, c, B = mckp_instance(1000, 5, K, seed, absent=absent)
    r = gb.solve_mckp(values=v, costs=c, budget=B, threads=2)
    lp, mi, mi_bound = mckp_reference(v, c, B, integer=True)
    value, spend = plan_totals(v, c, r.choice)
    assert np.all(spend <= B * (1 + 1e-12))
    assert abs(value - r.value) <= 1e-9 * value
    assert not np.isnan(value)                      # never an absent option
    assert r.dual_bound >= lp * (1 - 1e-9)          # a true bound
    # the restricted-LP polish after coordinate descent reaches the LP optimum itself
    assert abs(r.lp_value - lp) <= 1e-7 * lp
    assert abs(r.dual_bound - lp) <= 1e-7 * lp
    assert r.value <= mi_bound + 1e-6 * lp
    assert mi - r.value <= r.abs_gap + 1e-6 * lp
    assert r.lambdas.shape == (K,) and np.all(r.lambdas >= 0)


def test_mckp_brute_force_small():
    rng = np.random.default_rng(7)
    for trial in range(20):
        n, m = 6, 3
        v = np.round(rng.uniform(0, 10, (n, m)), 2)
        c = np.round(rng.uniform(0, 5, (n, m)), 2)
        B = float(rng.uniform(2, 15))
        best = 0.0
        for combo in itertools.product(range(-1, m), repeat=n):
            ch = np.array(combo)
            sel = ch >= 0
            cost = c[np.nonzero(sel)[0], ch[sel]].sum()
            if cost <= B:
                best = max(best, v[np.nonzero(sel)[0], ch[sel]].sum())
        r = gb.solve_mckp(v, c, B)
        lp, _, _ = mckp_reference(v, c[:, :, None], np.array([B]), integer=False)
        assert r.value <= best + 1e-9
        assert best - r.value <= r.abs_gap + 1e-9
        assert abs(r.lp_value - lp) <= 1e-7 * max(lp, 1)


def test_mckp_csr_input_and_threads_agree():
    v, c, B = mckp_instance(3000, 4, 1, 11, absent=0.3)
    dense = gb.solve_mckp(v, c[:, :, 0], B[0])
    keep = ~np.isnan(v)
    indptr = np.concatenate([[0], np.cumsum(keep.sum(1))])
    vals, costs = v[keep], c[:, :, 0][keep]
    csr = gb.solve_mckp(values=(indptr, vals, costs), budget=B[0], threads=2)
    assert csr.lp_value == pytest.approx(dense.lp_value, rel=1e-12)
    cols = np.nonzero(keep)[1]
    mapped = np.where(csr.choice >= 0, cols[indptr[:-1] + np.maximum(csr.choice, 0)], -1)
    np.testing.assert_array_equal(mapped, dense.choice)
    # the shard API reproduces the dual bound at the solver's prices
    with gb.MCKPSolver(threads=2) as s:
        sp, val, du = s.shard_eval(indptr, vals, costs, [[csr.lambdas[0]], [0.0]])
        assert du[0] + csr.lambdas[0] * B[0] == pytest.approx(csr.dual_bound, rel=1e-12)
        assert val[1] == pytest.approx(np.nanmax(np.where(keep, v, 0), axis=1).sum(), rel=1e-12)
        ch, sp1, val1 = s.shard_assign(indptr, vals, costs, csr.lambdas)
        assert sp1[0] <= B[0] * (1 + 1e-12)


def test_mckp_budget_not_binding_and_zero():
    v, c, _ = mckp_instance(50, 3, 1, 3)
    r = gb.solve_mckp(v, c[:, :, 0], 1e9)
    np.testing.assert_array_equal(r.choice, np.argmax(v, axis=1))
    assert r.gap == 0 and r.lambdas[0] == 0
    r0 = gb.solve_mckp(v, c[:, :, 0], 0.0)
    assert r0.value == 0 and np.all(r0.choice == -1)


def test_mckp_progress_and_cancel():
    v, c, B = mckp_instance(2000, 3, 2, 5)
    stages = []
    gb.solve_mckp(v, c, B, progress=lambda s, d: stages.append((s, d)) and False)
    assert stages[0][0] == "start" and stages[-1] == ("done", 1.0)
    with pytest.raises(growth.Canceled, match="cancelled"):
        gb.solve_mckp(v, c, B, progress=lambda s, d: s == "descent")


def test_mckp_bad_input():
    v, c, B = mckp_instance(10, 3, 1, 1)
    c2 = c[:, :, 0]
    cases = [
        (dict(values=-v, costs=c2, budget=1.0), "value of option"),
        (dict(values=v, costs=-c2, budget=1.0), "cost of option"),
        (dict(values=np.where(v > 2, np.inf, v), costs=c2, budget=1.0), "value of option"),
        (dict(values=v, costs=c2, budget=-1.0), "budget 0 is -1"),
        (dict(values=v, costs=c2, budget=float("nan")), "budget 0 is nan"),
        (dict(values=np.zeros((0, 3)), costs=np.zeros((0, 3)), budget=1.0), "no users"),
    ]
    for kw, msg in cases:
        with pytest.raises(growth.InvalidArgument, match=msg):
            gb.solve_mckp(**kw)
    with pytest.raises(growth.InvalidArgument, match="threads"):
        gb.solve_mckp(v, c2, 1.0, threads=0)
    with pytest.raises(growth.InvalidArgument, match="budgets"):
        gb.solve_mckp(v, c2, [1.0, 2.0])


# ---- channels -------------------------------------------------------------------------------

def brute_channels(fns, lo, hi, budget, step):
    grid = [np.arange(lo[i], min(hi[i], budget) + step / 2, step) for i in range(len(fns))]
    best = -np.inf
    for x0 in grid[0]:
        for x1 in grid[1]:
            rest = budget - x0 - x1
            if rest < lo[2] - 1e-9:
                continue
            x2 = grid[2][grid[2] <= rest + 1e-9]
            tot = fns[0](x0) + fns[1](x1) + fns[2](x2)
            best = max(best, tot.max())
    return best


def test_channels_piecewise_linear_equals_grid_brute_force():
    xs = [np.array([0, 10, 30, 60]), np.array([0, 20, 40]), np.array([0, 5, 25, 50, 80])]
    ys = [np.array([0, 50, 110, 140]), np.array([0, 60, 90]), np.array([0, 30, 110, 160, 180])]
    w = np.array([1.0, 1.5, 0.8])
    lo, hi = np.array([5, 0, 0]), np.array([60, 30, np.inf])
    fns = [lambda x, i=i: w[i] * np.interp(x, xs[i], ys[i]) for i in range(3)]
    for budget in (5, 37, 64, 100, 250):
        plan = gb.allocate_channels([("points", xs[i], ys[i]) for i in range(3)], budget,
                                    weights=w, min_spend=lo, max_spend=hi)
        ref = brute_channels(fns, lo, [60, 30, 200], budget, 1.0)
        assert plan.total == pytest.approx(ref, abs=1e-9)
        assert plan.spend.sum() <= budget + 1e-9 and np.all(plan.spend >= lo - 1e-12)
        assert np.all(plan.spend <= hi + 1e-12)
        assert plan.total == pytest.approx(sum(f(x) for f, x in zip(fns, plan.spend)), abs=1e-9)


def test_channels_parametric_against_fine_grid_and_marginal():
    curves = [("exp", 1000, 0.02), ("log", 300, 0.1), ("exp", 500, 0.05)]
    w = np.array([1.0, 2.0, 1.2])
    fns = [lambda x: w[0] * 1000 * -np.expm1(-0.02 * x), lambda x: w[1] * 300 * np.log1p(0.1 * x),
           lambda x: w[2] * 500 * -np.expm1(-0.05 * x)]
    for budget in (10, 80, 200):
        plan = gb.allocate_channels(curves, budget, weights=w, max_spend=[150, np.inf, 60])
        ref = brute_channels(fns, [0, 0, 0], [150, budget, 60], budget, budget / 400)
        assert plan.total >= ref - 1e-9
        assert plan.total <= ref + 1e-3 * ref
        assert plan.spend.sum() == pytest.approx(budget, rel=1e-9)
        eps = 1e-4
        up = gb.allocate_channels(curves, budget + eps, weights=w, max_spend=[150, np.inf, 60])
        assert (up.total - plan.total) / eps == pytest.approx(plan.marginal, rel=1e-3)
    curve = gb.allocate_channels(curves, np.linspace(0, 300, 31), weights=w)
    assert np.all(np.diff(curve.total) >= 0) and np.all(np.diff(curve.marginal) <= 1e-12)
    assert curve.spend.shape == (31, 3)
    one = gb.allocate_channels(curves, 150.0, weights=w)
    assert curve.total[15] == pytest.approx(one.total, rel=1e-12)


def test_channels_bad_input():
    pts = ("points", [0, 10, 20], [0, 5, 20])  # convex
    with pytest.raises(growth.InvalidArgument, match="not concave at point 2"):
        gb.allocate_channels([pts], 10)
    with pytest.raises(growth.InvalidArgument, match="infeasible minimums"):
        gb.allocate_channels([("exp", 1, 1), ("log", 1, 1)], 5, min_spend=[3, 3])
    with pytest.raises(growth.InvalidArgument, match="budget"):
        gb.allocate_channels([("exp", 1, 1)], -1)
    with pytest.raises(growth.InvalidArgument, match="budget"):
        gb.allocate_channels([("exp", 1, 1)], float("nan"))
    with pytest.raises(growth.InvalidArgument, match="b = nan"):
        gb.allocate_channels([("exp", 1, float("nan"))], 1)
    with pytest.raises(growth.InvalidArgument, match="x\\[0\\]"):
        gb.allocate_channels([("points", [1, 2], [0, 1])], 1)


# ---- push -----------------------------------------------------------------------------------

def push_instance(n_users, per_user, n_cat, seed):
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users), per_user)
    values = rng.beta(2, 8, users.size)
    cats = rng.integers(0, n_cat, users.size)
    return users, values, cats


def push_lp(users, values, cats, caps, n_cat, cmin, cmax, volume):
    N = users.size
    n_users = caps.size
    A_user = coo_matrix((np.ones(N), (users, np.arange(N))), shape=(n_users, N))
    A_cat = coo_matrix((np.ones(N), (cats, np.arange(N))), shape=(n_cat, N))
    A = vstack([A_user, A_cat, -A_cat, np.ones((1, N))]).tocsr()
    b = np.concatenate([caps, cmax, -cmin, [volume]])
    lp = linprog(-values, A_ub=A, b_ub=b, bounds=(0, 1), method="highs")
    assert lp.status == 0
    return -lp.fun


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_push_matches_highs_and_respects_limits(seed):
    n_users, n_cat = 300, 4
    users, values, cats = push_instance(n_users, 6, n_cat, seed)
    rng = np.random.default_rng(seed)
    caps = rng.integers(0, 4, n_users).astype(np.int32)
    volume = 350.0
    cmin = np.array([60, 40, 0, 0], float)
    cmax = np.array([150, 120, 90, 200], float)
    plan = gb.allocate_push(users, values, cats, caps=caps, cat_min=cmin, cat_max=cmax, volume=volume)
    lp = push_lp(users, values, cats, caps.astype(float), n_cat, cmin, cmax, volume)
    assert abs(plan.lp_value - lp) <= 1e-7 * lp
    s = plan.send
    assert np.all(np.bincount(users[s], minlength=n_users) <= caps)
    per_cat = np.bincount(cats[s], minlength=n_cat)
    assert np.all(per_cat >= cmin) and np.all(per_cat <= cmax)
    assert s.sum() <= volume and plan.sent == s.sum()
    assert plan.value == pytest.approx(values[s].sum(), rel=1e-12)
    assert plan.value <= lp + 1e-9 and plan.abs_gap == pytest.approx(plan.lp_value - plan.value)
    assert plan.gap <= 1e-2


def test_push_hours_and_shares():
    users, values, cats = push_instance(50, 5, 3, 9)
    rng = np.random.default_rng(0)
    hours = rng.random((50, 24))
    plan = gb.allocate_push(users, values, cats, caps=2, volume=60, min_share=[0.2, 0.2, 0.0],
                            max_share=[0.5, 0.5, 0.5], hours=hours)
    s = plan.send
    per_cat = np.bincount(cats[s], minlength=3)
    assert per_cat[0] >= 12 and per_cat[1] >= 12 and np.all(per_cat <= 30)
    assert np.all(plan.hour[~s] == -1) and np.all(plan.hour[s] >= 0)
    for u in range(50):
        mine = np.nonzero((users == u) & s)[0]
        if mine.size == 0:
            continue
        hs = plan.hour[mine]
        assert len(set(hs)) == mine.size                                # distinct hours
        best = mine[np.argmax(values[mine])]
        assert plan.hour[best] == np.argmax(hours[u])                   # best push, best hour


def test_push_bad_input():
    users, values, cats = push_instance(10, 3, 2, 1)
    with pytest.raises(growth.InvalidArgument, match="infeasible minimums"):
        gb.allocate_push(users, values, cats, caps=1, cat_min=[8, 8], volume=10)
    with pytest.raises(growth.InvalidArgument, match="infeasible minimums"):
        gb.allocate_push(users, values, cats, caps=1, cat_min=[0, 11])
    with pytest.raises(growth.InvalidArgument, match="value of pair"):
        gb.allocate_push(users, -values, cats)
    with pytest.raises(growth.InvalidArgument, match="value of pair"):
        gb.allocate_push(users, np.full(values.size, np.nan), cats)
    with pytest.raises(growth.InvalidArgument, match="cap of user"):
        gb.allocate_push(users, values, cats, caps=np.full(10, -1))
    with pytest.raises(growth.InvalidArgument, match="volume"):
        gb.allocate_push(users, values, cats, volume=-1)
    with pytest.raises(growth.InvalidArgument, match="cat_max"):
        gb.allocate_push(users, values, cats, cat_min=[2, 0], cat_max=[1, 5])


def test_push_progress_per_round_and_cancel():
    users, values, cats = push_instance(200, 6, 3, 5)
    kw = dict(caps=2, volume=150, cat_min=[30, 0, 20], cat_max=[80, 60, 90])
    plain = gb.allocate_push(users, values, cats, **kw)
    seen = []
    plan = gb.allocate_push(users, values, cats, progress=lambda stage, done: seen.append((stage, done)), **kw)
    assert len(seen) == plan.iterations >= 2                      # one call per descent round
    assert all(stage == "round" for stage, _ in seen) and seen[-1][1] == 1.0
    assert all(a[1] < b[1] for a, b in zip(seen, seen[1:]))
    np.testing.assert_array_equal(plan.send, plain.send)          # the callback changes nothing
    assert plan.value == plain.value
    calls = []
    with pytest.raises(growth.Canceled, match="progress"):
        gb.allocate_push(users, values, cats, progress=lambda stage, done: calls.append(done) or len(calls) == 2, **kw)
    assert len(calls) == 2
