"""A simulated randomised red-packet campaign with heterogeneous effects, shared by
tests/python/test_uplift.py and bench/uplift_bench.py.

Four kinds of users, told apart by features 0 and 1 (the model must learn which is which):
sure things (buy anyway, the coupon changes nothing), persuadables (buy mostly with a coupon),
sleeping dogs (a coupon puts them off) and lost causes (never buy). Coupon t of T is stronger
for larger t. Arms are assigned uniformly at random (control included)."""
import numpy as np

SEGMENTS = ("sure_thing", "persuadable", "sleeping_dog", "lost_cause")
BASE = np.array([0.60, 0.05, 0.40, 0.02])   # P(buy | control) by segment
EFFECT = np.array([0.00, 0.35, -0.25, 0.00])  # change a full-strength coupon causes


def simulate(n, seed=0, treatments=1, features=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features)).astype(np.float32)
    seg = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 0).astype(int)
    seg = np.array([0, 1, 2, 3])[seg]
    base = BASE[seg] + 0.02 * np.tanh(X[:, 2])
    P = np.empty((n, treatments + 1))
    P[:, 0] = base
    for a in range(1, treatments + 1):
        P[:, a] = np.clip(base + EFFECT[seg] * (0.6 + 0.4 * a / treatments), 0.005, 0.995)
    t = rng.integers(0, treatments + 1, size=n).astype(np.int32)
    y = (rng.random(n) < P[np.arange(n), t]).astype(np.float32)
    return {"X": X, "t": t, "y": y, "P": P, "segment": seg}


def true_incremental(choice, P):
    """Expected incremental conversions of a plan (option per user, -1 none) under the truth."""
    sel = choice >= 0
    idx = np.nonzero(sel)[0]
    return float(np.sum(P[idx, choice[sel] + 1] - P[idx, 0]))


def true_spend(choice, P, costs):
    sel = choice >= 0
    idx = np.nonzero(sel)[0]
    return float(np.sum(costs[choice[sel]] * P[idx, choice[sel] + 1]))


def plans(tau, resp, costs, budget):
    """(uplift plan, response plan) choices at the same expected budget. tau: users x T uplift;
    resp: users x (T + 1) predicted conversion probabilities (control first). The response plan
    values a coupon by P(buy | coupon), the uplift plan by the uplift; both pay a coupon only
    when it is redeemed (expected cost = cost x P(buy | coupon))."""
    from growth import budget as gb, uplift
    up = uplift.allocate(tau, costs, budget, p_redeem=resp[:, 1:])
    r = gb.solve_mckp(resp[:, 1:].astype(np.float64), costs[None, :] * resp[:, 1:].astype(np.float64), budget)
    return up.choice, r.choice


def plan_gain(model, data, costs, budget):
    tau = model.predict(data["X"])
    resp = model.predict_response(data["X"])
    up, rp = plans(tau, resp, costs, budget)
    return {"uplift_plan": true_incremental(up, data["P"]), "response_plan": true_incremental(rp, data["P"]),
            "uplift_spend": float(np.sum(costs[up[up >= 0]] * resp[np.nonzero(up >= 0)[0], up[up >= 0] + 1])),
            "uplift_true_spend": true_spend(up, data["P"], costs),
            "response_true_spend": true_spend(rp, data["P"], costs)}
