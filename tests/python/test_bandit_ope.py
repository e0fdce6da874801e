"""Offline policy evaluation (growth_bandit_ope / growth_bandit_ope_interval) against NumPy
transcriptions of Open Bandit Pipeline's estimator definitions (obp.ope.estimators: round
rewards of DirectMethod, InverseProbabilityWeighting with clipping lambda_,
SelfNormalizedInverseProbabilityWeighting, DoublyRobust, SwitchDoublyRobust,
DoublyRobustWithShrinkage; utils.estimate_confidence_interval_by_bootstrap), and unbiasedness on
logs that a logistic_greedy bandit wrote (decision id, candidate rows, action, propensity, reward,
rewards delayed and batched) within 3 sigma."""
import numpy as np
import pytest

import growth
from growth.bandit import Bandit, ope, ope_interval

M64 = (1 << 64) - 1


# ---- NumPy references (OBP's formulas) ----------------------------------------------------------

def round_rewards(est, a, r, p, pi, q, lam=np.inf):
    """(round rewards t_i, weights w_i): the estimate is sum t / sum w."""
    n = a.size
    rows = np.arange(n)
    ones = np.ones(n)
    if est == "replay":
        return pi[rows, a] * r, pi[rows, a]
    iw = pi[rows, a] / p if p is not None else None
    if est == "ips":
        return np.minimum(iw, lam) * r, ones
    if est == "snips":
        c = np.minimum(iw, lam)
        return c * r, c
    q = np.zeros_like(pi) if q is None else q
    q_pi = np.average(q, weights=pi, axis=1)  # OBP: np.average(q_hat, weights=pi_e, axis=1)
    if est == "dm":
        return q_pi, ones
    q_a = q[rows, a]
    if est == "dr":
        c = np.minimum(iw, lam)
    elif est == "switch_dr":
        c = (iw <= lam).astype(float) * iw  # OBP: switch_indicator * iw
    elif est == "dros":
        if lam == 0:
            c = np.zeros(n)
        elif np.isinf(lam):
            c = iw
        else:
            c = lam * iw / (iw ** 2 + lam)  # OBP: (lambda_ * iw) / (iw**2 + lambda_)
    else:
        raise ValueError(est)
    return q_pi + c * (r - q_a), ones


def ref_value(est, a, r, p, pi, q, lam=np.inf):
    t, w = round_rewards(est, a, r, p, pi, q, lam)
    if est in ("replay", "snips"):
        v = t.sum() / w.sum()
        se = np.sqrt(np.sum((t - w * v) ** 2)) / w.sum()  # delta method
    else:
        v = t.mean()
        se = t.std(ddof=1) / np.sqrt(t.size)
    return v, se


class Xoshiro:
    """xoshiro256** seeded through splitmix64 and Lemire's bounded integers, as src/core/rng.c."""

    def __init__(self, seed):
        x = seed
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z ^= z >> 30
            z = (z * 0xBF58476D1CE4E5B9) & M64
            z ^= z >> 27
            z = (z * 0x94D049BB133111EB) & M64
            z ^= z >> 31
            self.s.append(z)

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def below(self, n):
        m = self.next() * n
        lo = m & M64
        if lo < n:
            t = ((1 << 64) - n) % n
            while lo < t:
                m = self.next() * n
                lo = m & M64
        return m >> 64


def ref_interval(est, a, r, p, pi, q, lam, resamples, confidence, seed):
    """OBP's bootstrap: resample events with replacement, the estimator on each resample (OBP's
    mean of resampled round rewards; the ratio for replay/snips), percentiles of the estimates."""
    t, w = round_rewards(est, a, r, p, pi, q, lam)
    n = t.size
    g = Xoshiro(seed)
    ests = []
    for _ in range(resamples):
        idx = np.array([g.below(n) for _ in range(n)])
        if w[idx].sum() > 0:
            ests.append(t[idx].sum() / w[idx].sum())
    alpha = 1 - confidence
    return (t.sum() / w.sum(), np.percentile(ests, 100 * alpha / 2), np.percentile(ests, 100 * (1 - alpha / 2)))


def random_log(rng, n, k, with_zero_target=True):
    p_log = rng.dirichlet(np.ones(k), size=n) * 0.8 + 0.2 / k
    a = np.array([rng.choice(k, p=row) for row in p_log], dtype=np.uint32)
    p = p_log[np.arange(n), a]
    pi = rng.dirichlet(np.ones(k) * 0.5, size=n)
    if with_zero_target:
        pi[: n // 5, 0] = 0
        pi[: n // 5] /= pi[: n // 5].sum(axis=1, keepdims=True)
    r = (rng.random(n) < 0.3).astype(float) + rng.normal(0, 0.1, n)
    q = rng.uniform(0, 1, size=(n, k))
    return a, r, p, pi, q


ESTIMATORS = ["replay", "dm", "ips", "snips", "dr", "switch_dr", "dros"]


@pytest.mark.parametrize("est", ESTIMATORS)
@pytest.mark.parametrize("lam", [np.inf, 0.0, 0.7, 2.5, 40.0])
def test_each_estimator_equals_its_numpy_formula(est, lam):
    if est in ("replay", "dm") and lam != np.inf:
        pytest.skip("no hyperparameter")
    rng = np.random.default_rng(11)
    a, r, p, pi, q = random_log(rng, 300, 5)
    if est == "snips" and lam == 0:  # every weight clipped to 0: no self-normalised estimate
        with pytest.raises(growth.errors.InvalidState):
            ope(est, a, r, pi, p, q, lambda_=lam)
        return
    want_v, want_se = ref_value(est, a, r, p, pi, q, lam)
    v, se = ope(est, a, r, pi, None if est in ("replay", "dm") else p, q, lambda_=lam)
    assert v == pytest.approx(want_v, rel=1e-12, abs=1e-13)
    assert se == pytest.approx(want_se, rel=1e-10, abs=1e-13)


def test_hyperparameters_span_their_estimators():
    rng = np.random.default_rng(5)
    a, r, p, pi, q = random_log(rng, 400, 4)
    w = pi[np.arange(a.size), a] / p
    dr = ope("dr", a, r, pi, p, q)[0]
    dm = ope("dm", a, r, pi, None, q)[0]
    ips = ope("ips", a, r, pi, p)[0]
    # clipping above the largest weight changes nothing; switching below the smallest is DM;
    # shrinkage 0 is DM; no q_hat makes DR an IPS
    assert ope("ips", a, r, pi, p, lambda_=w.max() * 1.01)[0] == pytest.approx(ips, rel=1e-14)
    assert ope("switch_dr", a, r, pi, p, q, lambda_=w.max())[0] == pytest.approx(dr, rel=1e-12)
    assert ope("switch_dr", a, r, pi, p, q, lambda_=w[w > 0].min() / 2)[0] == pytest.approx(dm, rel=1e-12)
    assert ope("dros", a, r, pi, p, q, lambda_=0)[0] == pytest.approx(dm, rel=1e-12)
    assert ope("dros", a, r, pi, p, q, lambda_=1e12)[0] == pytest.approx(dr, rel=1e-9)
    assert ope("dr", a, r, pi, p)[0] == pytest.approx(ips, rel=1e-12)


@pytest.mark.parametrize("est,lam", [("ips", np.inf), ("snips", 3.0), ("dr", 2.0), ("switch_dr", 3.0),
                                     ("dros", 1.5), ("dm", np.inf), ("replay", np.inf)])
def test_bootstrap_interval_equals_numpy_with_the_same_resamples(est, lam):
    rng = np.random.default_rng(3)
    a, r, p, pi, q = random_log(rng, 120, 4)
    v, lo, hi = ope_interval(est, a, r, pi, p if est not in ("replay", "dm") else None, q, lambda_=lam,
                             resamples=40, confidence=0.9, seed=77)
    wv, wlo, whi = ref_interval(est, a, r, p, pi, q, lam, 40, 0.9, 77)
    assert v == pytest.approx(wv, rel=1e-12, abs=1e-13)
    assert lo == pytest.approx(wlo, rel=1e-12, abs=1e-13)
    assert hi == pytest.approx(whi, rel=1e-12, abs=1e-13)
    assert lo <= hi
    # seeded: the same seed gives the same interval, another seed another one
    assert ope_interval(est, a, r, pi, p if est not in ("replay", "dm") else None, q, lambda_=lam,
                        resamples=40, confidence=0.9, seed=77) == (v, lo, hi)
    assert ope_interval(est, a, r, pi, p if est not in ("replay", "dm") else None, q, lambda_=lam,
                        resamples=40, confidence=0.9, seed=78)[1] != lo


def test_bootstrap_matches_obp_style_numpy_bootstrap_in_distribution():
    """With many resamples the interval agrees with a NumPy bootstrap using its own generator
    (OBP's random_.choice(samples) and np.percentile), up to resampling noise."""
    rng = np.random.default_rng(8)
    a, r, p, pi, q = random_log(rng, 2000, 4)
    t, _ = round_rewards("dr", a, r, p, pi, q)
    g = np.random.default_rng(0)
    boot = np.array([g.choice(t, size=t.size).mean() for _ in range(2000)])
    v, lo, hi = ope_interval("dr", a, r, pi, p, q, resamples=2000, seed=1)
    width = np.percentile(boot, 97.5) - np.percentile(boot, 2.5)
    assert lo == pytest.approx(np.percentile(boot, 2.5), abs=0.08 * width)
    assert hi == pytest.approx(np.percentile(boot, 97.5), abs=0.08 * width)


# ---- logs written by the bandit -----------------------------------------------------------------

BITS = 12
S, C = 5, 7  # user segments, right categories


def _slot(*parts):
    h = 1469598103934665603
    for x in parts:
        h = ((h ^ (int(x) + 0x9E3779B9)) * 1099511628211) & M64
    return h % (1 << BITS)


def candidate_rows(u, cats):
    """user, right category and user x right cross features, one row per candidate."""
    idx = np.array([[_slot(1, u), _slot(2, c), _slot(3, u, c)] for c in cats], dtype=np.uint32).ravel()
    indptr = np.arange(0, 3 * len(cats) + 1, 3, dtype=np.uint64)
    return indptr, idx, np.ones(idx.size, np.float32)


def bandit_log(seed, n, epsilon=0.3, kmax=6, delay=25):
    """Runs a logistic_greedy bandit on a world with a true logistic click model; returns its log
    (decision ids, per-decision candidate categories, user, action, propensity, reward) and the
    world. Rewards arrive in batches, `delay` decisions late."""
    rng = np.random.default_rng(seed)
    logit = rng.normal(-1.0, 1.0, size=(S, C))
    b = Bandit("logistic_greedy", seed=seed, bits=BITS, epsilon=epsilon, ttl=10 * delay)
    log = {"decision": [], "user": [], "cats": [], "action": [], "propensity": [], "reward": []}
    pending = []
    for t in range(n):
        u = int(rng.integers(S))
        k = int(rng.integers(3, kmax + 1))
        cats = rng.choice(C, size=k, replace=False)
        d, j, prop = b.select_rows(candidate_rows(u, cats))
        y = float(rng.random() < 1 / (1 + np.exp(-logit[u, cats[j]])))
        for key, val in zip(log, (d, u, cats, j, prop, y)):
            log[key].append(val)
        pending.append((d, y))
        if len(pending) >= delay:
            ids, ys = zip(*pending)
            assert b.rewards(np.array(ids), np.array(ys)).all()
            pending = []
    return log, logit


def target_matrices(log, logit, kmax, beta=2.0, shift=None, q_bias=0.0, rng=None):
    """Target policy pi (a softmax over a perturbed score), the truth per event (sum_a pi p_true)
    and a reward model q_hat, padded to kmax columns with zeros for absent candidates."""
    n = len(log["action"])
    pi, q, truth = np.zeros((n, kmax)), np.zeros((n, kmax)), np.zeros(n)
    for i, (u, cats) in enumerate(zip(log["user"], log["cats"])):
        k = len(cats)
        score = beta * (logit[u, cats] + (shift[u, cats] if shift is not None else 0))
        e = np.exp(score - score.max())
        pi[i, :k] = e / e.sum()
        p_true = 1 / (1 + np.exp(-logit[u, cats]))
        truth[i] = pi[i, :k] @ p_true
        q[i, :k] = np.clip(p_true + q_bias, 0, 1)
    return pi, q, truth


def test_estimators_are_unbiased_on_bandit_logs():
    """R independent logs of a learning logistic_greedy bandit (exact propensities, candidate sets
    of varying size, delayed batched rewards): the mean error of each unbiased estimator over the
    logs is within 3 standard errors of 0; DM with a biased reward model is not (the check has
    power); DM with the true model is the truth."""
    R, n, kmax = 24, 300, 6
    errs = {e: [] for e in ("ips", "snips", "dr", "switch_dr", "dros", "dm_biased")}
    for rep in range(R):
        log, logit = bandit_log(100 + rep, n)
        rng = np.random.default_rng(rep)
        shift = rng.normal(0, 0.7, size=(S, C))
        pi, q_true, truth = target_matrices(log, logit, kmax, shift=shift)
        _, q_bad, _ = target_matrices(log, logit, kmax, shift=shift, q_bias=0.15)
        a = np.array(log["action"], np.uint32)
        r = np.array(log["reward"])
        p = np.array(log["propensity"])
        assert np.all((p > 0) & (p <= 1))
        v_true = truth.mean()
        assert ope("dm", a, r, pi, None, q_true)[0] == pytest.approx(v_true, rel=1e-12)
        errs["ips"].append(ope("ips", a, r, pi, p)[0] - v_true)
        errs["snips"].append(ope("snips", a, r, pi, p)[0] - v_true)
        errs["dr"].append(ope("dr", a, r, pi, p, q_bad)[0] - v_true)
        errs["switch_dr"].append(ope("switch_dr", a, r, pi, p, q_bad)[0] - v_true)
        errs["dros"].append(ope("dros", a, r, pi, p, q_bad)[0] - v_true)
        errs["dm_biased"].append(ope("dm", a, r, pi, None, q_bad)[0] - v_true)
    for est, e in errs.items():
        e = np.asarray(e)
        z = e.mean() / (e.std(ddof=1) / np.sqrt(R))
        if est == "dm_biased":
            assert abs(z) > 3, (est, e.mean(), z)
        else:
            assert abs(z) < 3, (est, e.mean(), z)


def test_bandit_log_interval_covers_the_truth():
    """The 90% bootstrap interval of DR on a bandit's log covers the truth in about 90% of the
    logs (binomial, 3 sigma)."""
    R, n, kmax = 40, 250, 6
    covered = 0
    for rep in range(R):
        log, logit = bandit_log(500 + rep, n)
        pi, q_true, truth = target_matrices(log, logit, kmax, shift=np.random.default_rng(rep).normal(0, 0.7, (S, C)))
        _, q_bad, _ = target_matrices(log, logit, kmax, q_bias=-0.1)
        a = np.array(log["action"], np.uint32)
        v, lo, hi = ope_interval("dr", a, np.array(log["reward"]), pi, np.array(log["propensity"]), q_bad,
                                 resamples=300, confidence=0.9, seed=rep)
        covered += lo <= truth.mean() <= hi
    sd = np.sqrt(0.9 * 0.1 / R)
    assert abs(covered / R - 0.9) <= 3 * sd + 1e-12, covered


def test_python_arguments():
    with pytest.raises(growth.InvalidArgument):
        ope("softmax", [0], [1.0], [[1.0]], [1.0])
    with pytest.raises(growth.InvalidArgument):
        ope_interval("ips", [0, 1], [1.0], [[1.0]], [1.0])
    with pytest.raises(growth.InvalidArgument):
        ope("dm", [0], [1.0], [[1.0]], None, None)  # DM needs q_hat
    with pytest.raises(growth.InvalidArgument):
        ope("dm", [0], [1.0], [[1.0]], None, [[0.5]], lambda_=3)  # no hyperparameter
    # inf is "no clipping", as in OBP
    assert ope("ips", [0, 1], [1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5], lambda_=np.inf) == \
        ope("ips", [0, 1], [1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5])
