"""Shared-model contextual bandit (policy=logistic_ts|logistic_ucb|logistic_greedy, Chapelle & Li
2011 Alg. 3) against independent NumPy/SciPy references: the online Laplace update, the UCB and
greedy scores, the Thompson draw distribution (shared weights drawn once per decision), cold-start
offsets that decay with feedback, delayed rewards with ttl, and snapshots."""
import pathlib

import numpy as np
import pytest
from scipy.optimize import brentq

import growth
from growth.bandit import Bandit

BITS = 12


def sigmoid(s):
    return 1.0 / (1.0 + np.exp(-s))


class RefModel:
    """NumPy reference of the diagonal-Gaussian logistic posterior (dense over 2^bits)."""

    def __init__(self, bits, lam, prior_count=20.0):
        self.m = np.zeros(1 << bits)
        self.q = np.full(1 << bits, lam)
        self.s = prior_count
        self.counts = {}

    def update(self, idx, val, y, cand=None, rate=None):
        # merge equal slots (summed in float32, as the C side keeps the row)
        u, inv = np.unique(idx, return_inverse=True)
        x = np.zeros(u.size)
        x = np.zeros(u.size, np.float32)
        np.add.at(x, inv, np.asarray(val, np.float32))
        x = x.astype(np.float64)
        o = 0.0
        if rate is not None and rate != 0 and cand is not None:
            lg = float(np.float32(np.log(rate / (1 - rate))))  # the C side stores the logit as float
            o = lg * self.s / (self.s + self.counts.get(cand, 0))
        mu = o + x @ self.m[u]
        vx = np.sum(x * x / self.q[u])
        f = lambda s: s - mu + vx * (sigmoid(s) - y)
        s = mu if f(mu) == 0 else brentq(f, mu - vx - 1e-9, mu + vx + 1e-9, xtol=1e-14, rtol=1e-14)
        p = sigmoid(s)
        self.m[u] -= (p - y) * x / self.q[u]
        self.q[u] += x * x * p * (1 - p)
        if cand is not None:
            self.counts[cand] = self.counts.get(cand, 0) + 1


def rows(rng, K, F, shared=0, bits=BITS, dup=False):
    user = rng.integers(0, 1 << bits, size=shared)
    idx, val = [], []
    for _ in range(K):
        own = rng.integers(0, 1 << bits, size=F - shared)
        if dup and F - shared > 1:
            own[-1] = own[0]
        idx.append(np.concatenate([user, own]))
        val.append(rng.uniform(0.2, 1.5, size=F))
    indptr = np.arange(0, K * F + 1, F, dtype=np.uint64)
    return indptr, np.concatenate(idx).astype(np.uint32), np.concatenate(val).astype(np.float32)


def test_update_matches_numpy_reference_with_delays_and_priors():
    rng = np.random.default_rng(1)
    b = Bandit("logistic_greedy", seed=3, bits=BITS, epsilon=0.3, prior_count=5, ttl=1000, **{"lambda": 2.0})
    ref = RefModel(BITS, 2.0, prior_count=5)
    pending = []
    for t in range(400):
        K = 5
        indptr, idx, val = rows(rng, K, 8, shared=3, dup=(t % 7 == 0))
        cands = rng.integers(1, 20, size=K).astype(np.uint64)
        cands = np.unique(cands)
        if cands.size < K:
            cands = np.arange(t * 10 + 1, t * 10 + 1 + K, dtype=np.uint64)
        rates = np.where(rng.random(K) < 0.5, rng.uniform(0.01, 0.9, K), 0.0)
        d, j, p = b.select_rows((indptr, idx, val), candidate_ids=cands, prior_rates=rates)
        lo, hi = int(indptr[j]), int(indptr[j + 1])
        y = float(rng.random() < 0.3) if t % 3 else float(rng.uniform())
        pending.append((d, idx[lo:hi].copy(), val[lo:hi].astype(np.float64), y, int(cands[j]),
                        None if rates[j] == 0 else float(rates[j])))
        if len(pending) >= 6 or t == 399:  # delayed, batched, out of order
            batch = pending[::-1]
            pending = []
            ok = b.rewards([e[0] for e in batch], [e[3] for e in batch])
            assert ok.all()
            for (_, ix, vx, y2, c, r) in batch:
                ref.update(ix, vx, y2, c, r)
    slots = np.arange(1 << BITS, dtype=np.uint32)
    m, q = b.weights(slots)
    np.testing.assert_allclose(m, ref.m, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(q, ref.q, rtol=1e-6, atol=1e-9)  # rows merge in float32
    assert b.stats()["applied"] == 400


def test_ucb_and_greedy_choose_reference_argmax_with_exact_propensity():
    rng = np.random.default_rng(2)
    for pol in ("logistic_ucb", "logistic_greedy"):
        b = Bandit(pol, seed=5, bits=BITS, alpha=0.7, epsilon=0.0)
        ref = RefModel(BITS, 1.0)
        for t in range(300):
            indptr, idx, val = rows(rng, 6, 5)
            F = 5
            X = [(idx[k * F:(k + 1) * F], val[k * F:(k + 1) * F].astype(np.float64)) for k in range(6)]
            mean = np.array([x @ ref.m[i] for i, x in X])
            width = np.array([np.sqrt(np.sum(x * x / ref.q[i])) for i, x in X])
            score = mean + 0.7 * width if pol == "logistic_ucb" else mean
            d, j, p = b.select_rows((indptr, idx, val))
            assert score[j] >= score.max() - 1e-9 * (1 + abs(score.max()))
            assert p == pytest.approx(1.0 / np.sum(score >= score.max() - 1e-12))
            y = float(rng.random() < sigmoid(val[j * F:(j + 1) * F].sum() - 3))
            b.reward(d, y)
            ref.update(*X[j], y)


def test_greedy_epsilon_propensity_exact():
    rng = np.random.default_rng(3)
    b = Bandit("logistic_greedy", seed=1, bits=BITS, epsilon=0.2)
    indptr, idx, val = rows(rng, 8, 4)
    d, j, p = b.select_rows((indptr, idx, val))
    b.reward(d, 1.0)  # break the all-zero tie
    seen = np.zeros(8)
    props = {}
    for _ in range(4000):
        d, j, p = b.select_rows((indptr, idx, val))
        seen[j] += 1
        props[j] = p
    best = int(np.argmax(seen))
    assert props[best] == pytest.approx(0.8 + 0.2 / 8)
    for k, v in props.items():
        if k != best:
            assert v == pytest.approx(0.2 / 8)
    assert seen[best] / 4000 == pytest.approx(0.825, abs=0.03)


def test_thompson_draws_shared_weights_once_per_decision():
    """Candidates share a very uncertain user weight: drawn once per decision it cancels in the
    argmax (the choice probabilities are those of the own weights only); drawn per candidate it
    would not. Compared with a NumPy Monte Carlo of Alg. 3's joint draw."""
    rng = np.random.default_rng(4)
    K = 4
    b = Bandit("logistic_ts", seed=9, bits=BITS, propensity_draws=400, **{"lambda": 1.0})
    ref = RefModel(BITS, 1.0)
    shared = np.uint32(7)
    own = np.array([100, 200, 300, 400], np.uint32)
    idx = np.stack([np.full(K, shared), own], axis=1).ravel()
    val = np.tile(np.array([3.0, 1.0], np.float32), K)
    indptr = np.arange(0, 2 * K + 1, 2, dtype=np.uint64)
    # give the own weights different posteriors through rewards on single-feature rows
    one = (np.array([0, 1], np.uint64),)
    for k, (n1, n0) in enumerate([(30, 10), (10, 30), (5, 5), (0, 2)]):
        for y in [1.0] * n1 + [0.0] * n0:
            d, j, _ = b.select_rows((np.array([0, 1], np.uint64), own[k:k + 1], np.ones(1, np.float32)))
            b.reward(d, y)
            ref.update(own[k:k + 1], np.ones(1), y)
    m, q = b.weights(own)
    np.testing.assert_allclose(m, ref.m[own], rtol=1e-9, atol=1e-12)
    # NumPy reference of the joint draw: argmax_j (x_shared w_s + w_j)
    g = np.random.default_rng(0)
    N = 200_000
    ws = g.normal(0, 1, N)[:, None] * 3.0
    wj = ref.m[own][None, :] + g.normal(size=(N, K)) / np.sqrt(ref.q[own])[None, :]
    p_joint = np.bincount(np.argmax(ws + wj, axis=1), minlength=K) / N
    p_indep = np.bincount(np.argmax(g.normal(size=(N, K)) * 3.0 + wj, axis=1), minlength=K) / N
    n = 6000
    counts = np.zeros(K)
    props = np.zeros(K)
    for _ in range(n):
        d, j, p = b.select_rows((indptr, idx, val))
        counts[j] += 1
        props[j] = p
    freq = counts / n
    sigma = np.sqrt(p_joint * (1 - p_joint) / n) + 1e-3
    assert np.all(np.abs(freq - p_joint) < 4 * sigma), (freq, p_joint)
    assert np.max(np.abs(freq - p_indep)) > 0.05  # the wrong (independent) draw is distinguishable
    # Monte Carlo propensities (400 re-draws) estimate the same probabilities
    for k in range(K):
        if counts[k] > 0:
            assert props[k] == pytest.approx(p_joint[k], abs=4 * np.sqrt(p_joint[k] * (1 - p_joint[k]) / 400) + 0.01)


def test_prior_offset_decays_with_feedback():
    """A new candidate with a prior rate is scored by logit(rate) * s / (s + n) on top of the
    shared model; greedy with an empty model picks the candidate with the highest prior, and the
    offset hands over as feedback for that id arrives."""
    b = Bandit("logistic_greedy", seed=1, bits=BITS, epsilon=0.0, prior_count=4)
    indptr = np.array([0, 1, 2], np.uint64)
    idx = np.array([11, 12], np.uint32)
    ids = np.array([501, 502], np.uint64)
    d, j, _ = b.select_rows((indptr, idx), candidate_ids=ids, prior_rates=[0.2, 0.3])
    assert j == 1
    ref = RefModel(BITS, 1.0, prior_count=4)
    for t in range(40):  # candidate 502 never converts: its prior fades and the model learns
        d, j, _ = b.select_rows((indptr, idx), candidate_ids=ids, prior_rates=[0.2, 0.3])
        if j != 1:
            break
        b.reward(d, 0.0)
        ref.update(idx[1:2], np.ones(1), 0.0, 502, 0.3)
    assert j == 0 and t > 1
    m, _ = b.weights(idx)
    np.testing.assert_allclose(m, ref.m[idx], rtol=1e-6)
    # the same row without a prior is scored by the model alone
    d, j, _ = b.select_rows((indptr, idx), candidate_ids=ids)
    assert j == 0


def test_ttl_and_counters():
    rng = np.random.default_rng(6)
    b = Bandit("logistic_ts", seed=2, bits=BITS, ttl=5)
    indptr, idx, val = rows(rng, 3, 4)
    decs = [b.select_rows((indptr, idx, val))[0] for _ in range(8)]
    assert not b.reward(decs[0], 1.0)  # expired
    assert b.reward(decs[-1], 1.0)
    assert not b.reward(decs[-1], 1.0)  # duplicate
    assert not b.reward(999, 1.0)  # unknown
    st = b.stats()
    assert (st["expired"], st["duplicate"], st["unknown"], st["applied"]) == (1, 1, 1, 1)


def test_snapshot_restores_exact_future_decisions(tmp_path):
    rng = np.random.default_rng(7)
    b = Bandit("logistic_ts", seed=11, bits=BITS, propensity_draws=20, ttl=100)
    reqs = [rows(rng, 10, 6, shared=2) for _ in range(60)]
    cands = np.arange(1, 11, dtype=np.uint64)
    rates = np.linspace(0.01, 0.2, 10)
    pend = []
    for r in reqs[:30]:
        d, j, p = b.select_rows(r, candidate_ids=cands, prior_rates=rates)
        pend.append((d, float(j % 3 == 0)))
    for d, y in pend[:20]:
        b.reward(d, y)
    path = tmp_path / "lts.bandit"
    b.save(str(path))
    c = Bandit.load(str(path))
    assert c.config == b.config
    for x in (b, c):
        for d, y in pend[20:]:  # the pending decisions' rows survived the snapshot
            assert x.reward(d, y)
    out_b = [b.select_rows(r, candidate_ids=cands, prior_rates=rates) for r in reqs[30:]]
    out_c = [c.select_rows(r, candidate_ids=cands, prior_rates=rates) for r in reqs[30:]]
    assert out_b == out_c
    s = np.arange(1 << BITS, dtype=np.uint32)
    assert np.array_equal(b.weights(s)[0], c.weights(s)[0])


def test_bad_inputs():
    b = Bandit("logistic_ts", bits=8, nnz=4)
    indptr = np.array([0, 2], np.uint64)
    with pytest.raises(growth.InvalidArgument):
        b.select_rows((indptr, np.array([1, 256], np.uint32)))  # slot >= 2^bits
    with pytest.raises(growth.InvalidArgument):
        b.select_rows((indptr, np.array([1, 2], np.uint32), np.array([1, np.nan], np.float32)))
    with pytest.raises(growth.InvalidArgument):
        b.select_rows((np.array([0, 5], np.uint64), np.arange(5, dtype=np.uint32)))  # > nnz
    with pytest.raises(growth.InvalidArgument):
        b.select_rows((indptr, np.array([1, 2], np.uint32)), candidate_ids=[1], prior_rates=[1.5])
    with pytest.raises(growth.InvalidArgument):
        b.add_arm(1)
    with pytest.raises(growth.InvalidArgument):
        Bandit("logistic_ts", window=10)
    assert b.stats()["decisions"] == 0
    t = Bandit("thompson", arms=[1, 2])
    with pytest.raises(growth.GrowthError):
        t.select_rows((indptr, np.array([1, 2], np.uint32)))


# ---- a fixed workload whose decisions are kept in tests/data/bandit/logistic_decisions.txt ------
# (the Java test replays the same workload and must match the same file)

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "data" / "bandit" / "logistic_decisions.txt"


def fixed_workload(policy, extra):
    b = Bandit(policy, seed=42, bits=10, prior_count=5, **extra)
    cands, props, pending = [], [], []
    for t in range(30):
        K = 4 + t % 3
        idx, val, indptr = [], [], [0]
        for j in range(K):
            idx += [(t * 7 + 1) % 1024, (j * 13 + 5) % 1024, ((t % 5) * 31 + j * 17 + 100) % 1024]
            val += [1.0, 0.5 + 0.25 * j, 1.0]
            indptr.append(len(idx))
        ids = np.array([1000 + j for j in range(K)], np.uint64)
        rates = np.array([0.2 if j == 0 else 0.0 for j in range(K)])
        d, c, p = b.select_rows((np.array(indptr, np.uint64), np.array(idx, np.uint32),
                                 np.array(val, np.float32)), candidate_ids=ids, prior_rates=rates)
        assert d == t + 1
        cands.append(c)
        props.append(p)
        pending.append((d, 1.0 if (c + t) % 3 == 0 else 0.0))
        if len(pending) == 3:
            for dd, y in pending:
                assert b.reward(dd, y)
            pending = []
    m, q = b.weights(np.array([1, 5, 18, 100, 117], np.uint32))
    return {"cands": cands, "props": props, "m": list(m), "q": list(q)}


def golden_lines():
    out = {}
    for line in GOLDEN.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        head, what, rest = line.split(" ", 2)
        out.setdefault(head, {})[what] = [x.strip() for x in rest.split(",")]
    return out


def _workloads():
    for head in ("logistic_ts:propensity_draws=64", "logistic_greedy:epsilon=0.2"):
        policy, kv = head.split(":")
        k, v = kv.split("=")
        yield head, policy, {k: float(v) if "." in v else int(v)}


def test_fixed_workload_matches_the_data_file():
    gold = golden_lines()
    for head, policy, extra in _workloads():
        got = fixed_workload(policy, extra)
        want = gold[head]
        assert got["cands"] == [int(x) for x in want["cands"]], head
        for key in ("props", "m", "q"):
            assert [float.hex(float(x)) for x in got[key]] == [float.hex(float.fromhex(x)) for x in want[key]], (head, key)


if __name__ == "__main__":
    import sys
    if "--write-golden" in sys.argv:
        lines = [ln for ln in GOLDEN.read_text().splitlines() if ln.startswith("#")]
        for head, policy, extra in _workloads():
            got = fixed_workload(policy, extra)
            lines.append(f"{head} cands " + ", ".join(str(c) for c in got["cands"]))
            for key in ("props", "m", "q"):
                lines.append(f"{head} {key} " + ", ".join(float.hex(float(x)) for x in got[key]))
        GOLDEN.write_text("\n".join(lines) + "\n")
