"""growth.metrics against scikit-learn and numpy references."""
import numpy as np
import pytest
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import roc_auc_score

import growth
from growth import metrics


def _data(rng, n, ties=True, weights=False):
    """Labels, float32 scores (on a coarse grid when `ties`) and optional float32 weights."""
    y = (rng.random(n) < 0.3).astype(np.int64)
    y[:2] = [0, 1]
    s = rng.random(n) + 0.3 * y
    if ties:
        s = np.round(s * 8) / 8
    s = s.astype(np.float32)
    w = None
    if weights:
        w = rng.random(n).astype(np.float32) * 3
        w[rng.random(n) < 0.1] = 0
        w[:2] = 1
    return y, s, w


def _gauc_reference(y, s, g, w=None):
    """Per-group roc_auc_score, averaged with the groups' total weight; one-class groups skipped."""
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    total, wsum, used = 0.0, 0.0, 0
    for gid in np.unique(g):
        m = g == gid
        pos = np.sum(w[m] * (y[m] == 1))
        neg = np.sum(w[m] * (y[m] == 0))
        if pos <= 0 or neg <= 0:
            continue
        a = roc_auc_score(y[m], s[m].astype(np.float64), sample_weight=w[m])
        total += w[m].sum() * a
        wsum += w[m].sum()
        used += 1
    return total / wsum, used


def test_auc_docs_example():
    assert metrics.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75, abs=1e-15)


@pytest.mark.parametrize("ties", [True, False])
@pytest.mark.parametrize("n", [2, 10, 1000, 100_000])
def test_auc_matches_sklearn(ties, n):
    rng = np.random.default_rng(n + ties)
    y, s, w = _data(rng, n, ties=ties, weights=True)
    assert metrics.auc(y, s) == pytest.approx(roc_auc_score(y, s.astype(np.float64)), abs=1e-12)
    ref = roc_auc_score(y, s.astype(np.float64), sample_weight=w.astype(np.float64))
    assert metrics.auc(y, s, sample_weight=w) == pytest.approx(ref, abs=1e-10)


def test_auc_accepts_lists_bools_and_negative_scores():
    y = [True, False, True, False, True]
    s = [-1.5, -3.0, 0.0, -0.0, 2.0]
    assert metrics.auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_gauc_matches_reference(weighted):
    rng = np.random.default_rng(5)
    n = 5000
    y, s, w = _data(rng, n, ties=True, weights=weighted)
    g = rng.choice(np.array([-(2**63), -4, 0, 1, 7, 123456789, 2**40, 2**63 - 1]), size=n)
    y[g == 7] = 1  # a single-class group, skipped
    ref, ref_used = _gauc_reference(y, s, g, w)
    value, used = metrics.gauc_detail(y, s, g, sample_weight=w)
    assert value == pytest.approx(ref, abs=1e-10)
    assert used == ref_used == 7
    assert metrics.gauc(y, s, g, sample_weight=w) == value


def test_gauc_one_group_is_auc():
    rng = np.random.default_rng(9)
    y, s, w = _data(rng, 3000, weights=True)
    g = np.full(len(y), 3)
    assert metrics.gauc(y, s, g, w) == pytest.approx(metrics.auc(y, s, w), abs=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_log_loss_matches_sklearn(weighted):
    rng = np.random.default_rng(11)
    n = 20_000
    y, _, w = _data(rng, n, weights=weighted)
    p = rng.random(n).astype(np.float32)
    p[:50] = 0.0  # clipped
    p[50:100] = 1.0
    p64 = p.astype(np.float64)
    sw = None if w is None else w.astype(np.float64)
    # sklearn 1.2's default eps follows the dtype; the library uses 1e-15 like older releases.
    ref = sk_log_loss(y, p64, eps=1e-15, sample_weight=sw, labels=[0, 1])
    assert metrics.log_loss(y, p, sample_weight=w) == pytest.approx(ref, rel=1e-10)

    wf = np.ones(n) if w is None else w.astype(np.float64)
    base = np.sum(wf * y) / np.sum(wf)
    h = -(base * np.log(base) + (1 - base) * np.log(1 - base))
    ne = metrics.normalized_entropy(y, p, sample_weight=w)
    assert ne == pytest.approx(ref / h, rel=1e-10)
    ratio = metrics.calibration_ratio(y, p, sample_weight=w)
    assert ratio == pytest.approx(np.sum(wf * p64) / np.sum(wf * y), rel=1e-10)


def test_base_rate_prediction_has_ne_and_ratio_one():
    y = np.array([1, 0, 0, 0])
    p = np.full(4, 0.25)
    assert metrics.normalized_entropy(y, p) == pytest.approx(1.0, abs=1e-12)
    assert metrics.calibration_ratio(y, p) == pytest.approx(1.0, abs=1e-12)


ALL = [metrics.auc, metrics.log_loss, metrics.normalized_entropy, metrics.calibration_ratio]


@pytest.mark.parametrize("fn", ALL)
def test_bad_inputs_raise_invalid_argument(fn):
    y = np.array([0, 1, 0, 1])
    p = np.array([0.1, 0.9, 0.3, 0.6])
    cases = [
        ([0, 1, 2, 1], p, None, "label[2] = 2 is not 0 or 1"),
        ([0, 0.5, 0, 1], p, None, "label[1] = 0.5"),
        (y, [0.1, np.nan, 0.3, 0.6], None, "[1] = nan is not finite"),
        (y, [0.1, 0.2, np.inf, 0.6], None, "[2] = inf is not finite"),
        (y, p, [1, -1, 1, 1], "weight[1] = -1"),
        (y, p, [1, 1, np.nan, 1], "weight[2] = nan"),
        (y, p, [0, 0, 0, 0], "total weight is zero"),
        ([], [], None, "n is 0"),
        (y, p[:3], None, "entries"),
        (y, p, [1, 1], "sample_weight"),
        (y, p.reshape(2, 2), None, "one-dimensional"),
    ]
    for yy, pp, ww, msg in cases:
        with pytest.raises(growth.InvalidArgument, match=msg.replace("[", r"\[").replace("]", r"\]")):
            fn(yy, pp, sample_weight=ww)
    with pytest.raises(ValueError):  # InvalidArgument is also a ValueError
        fn([0, 1, 3, 0], p)


def test_undefined_metrics_raise():
    p = np.array([0.1, 0.9, 0.3, 0.6])
    with pytest.raises(growth.InvalidArgument, match="growth_metrics_auc: only one class"):
        metrics.auc([1, 1, 1, 1], p)
    with pytest.raises(growth.InvalidArgument, match="only one class"):
        metrics.auc([0, 1, 0, 1], p, sample_weight=[1, 0, 1, 0])
    with pytest.raises(growth.InvalidArgument, match="base rate is 0"):
        metrics.normalized_entropy([0, 0, 0, 0], p)
    with pytest.raises(growth.InvalidArgument, match="no positive label"):
        metrics.calibration_ratio([0, 0, 0, 0], p)
    with pytest.raises(growth.InvalidArgument, match=r"growth_metrics_logloss: prob\[0\] = 1.5 is outside"):
        metrics.log_loss([0, 1], [1.5, 0.5])
    with pytest.raises(growth.InvalidArgument, match="outside"):
        metrics.calibration_ratio([0, 1], [-0.5, 0.5])


def test_gauc_bad_inputs():
    y = [0, 1, 0, 1]
    s = [0.1, 0.9, 0.3, 0.6]
    with pytest.raises(growth.InvalidArgument, match="no group has both classes"):
        metrics.gauc(y, s, [1, 2, 3, 4])
    with pytest.raises(growth.InvalidArgument, match="groups has 3"):
        metrics.gauc(y, s, [1, 1, 2])
    with pytest.raises(growth.InvalidArgument, match="integer ids"):
        metrics.gauc(y, s, [1.5, 1, 2, 2])
    with pytest.raises(growth.InvalidArgument, match=r"label\[3\] = 3"):
        metrics.gauc([0, 1, 0, 3], s, [1, 1, 2, 2])
    with pytest.raises(growth.InvalidArgument, match=r"growth_metrics_gauc: score\[0\] = nan"):
        metrics.gauc(y, [np.nan, 1, 2, 3], [1, 1, 2, 2])
