import pickle

import numpy as np
import pytest
import scipy.sparse as sp

import growth
from growth import metrics
from clicklog import make_clicklog


def test_learns_close_to_sklearn_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score
    X, y, p_true = make_clicklog(60000, seed=1)
    train, test = slice(0, 50000), slice(50000, None)
    m = growth.FTRL(alpha=0.2, beta=1, l1=0.5, l2=1, bits=18)
    for _ in range(5):
        m.partial_fit(X[train], y[train])
    p = m.predict_proba(X[test])
    assert p.shape == (10000,) and p.dtype == np.float32
    used = np.unique(X.indices)
    sk = LogisticRegression(C=1.0, max_iter=500).fit(X[train][:, used], y[train])
    p_sk = sk.predict_proba(X[test][:, used])[:, 1]
    ll, ll_sk = log_loss(y[test], p), log_loss(y[test], p_sk)
    ll_true = log_loss(y[test], p_true[test])
    assert ll < ll_sk * 1.01, (ll, ll_sk, ll_true)
    assert ll > ll_true  # nobody beats the generating model by much
    assert roc_auc_score(y[test], p) > roc_auc_score(y[test], p_sk) - 0.01
    assert abs(metrics.log_loss(y[test], p) - ll) < 1e-5


def test_progressive_validation_and_input_forms():
    X, y, _ = make_clicklog(5000, seed=2)
    a = growth.FTRL(bits=18)
    pv = a.predict_update(X, y)
    b = growth.FTRL(bits=18)
    b.partial_fit((X.indptr, X.indices, X.data), y)  # CSR tuple
    np.testing.assert_array_equal(a.predict_proba(X[:100]), b.predict_proba(X[:100]))
    assert pv.shape == (5000,)
    # Dense input: columns are slots.
    Xd = sp.csr_matrix(([1.0, 2.0, 1.0], ([0, 0, 1], [3, 7, 3])), shape=(2, 10))
    np.testing.assert_array_equal(a.predict_proba(Xd.toarray()), a.predict_proba(Xd))
    assert a.stats()[0] == 5000


def test_heads_with_missing_labels_equal_separate_models():
    X, y, _ = make_clicklog(4000, seed=3, heads=2)
    y = y.copy()
    y[::3, 1] = np.nan  # no label for head 1 on these rows
    mh = growth.FTRL(bits=18, heads=["click", "buy"])
    mh.partial_fit(X, y)
    m0 = growth.FTRL(bits=18).partial_fit(X, y[:, 0])
    keep = ~np.isnan(y[:, 1])
    m1 = growth.FTRL(bits=18).partial_fit(X[keep], y[keep, 1])
    ph = mh.predict_proba(X[:200])
    assert ph.shape == (200, 2)
    np.testing.assert_array_equal(ph[:, 0], m0.predict_proba(X[:200]))
    np.testing.assert_array_equal(ph[:, 1], m1.predict_proba(X[:200]))
    assert mh.head_index("buy") == 1
    with pytest.raises(growth.NotFound):
        mh.head_index("cart")


def test_save_load_export_pickle(tmp):
    X, y, _ = make_clicklog(3000, seed=4)
    m = growth.FTRL(bits=18, l1=0.5)
    m.partial_fit(X, y)
    p = m.predict_proba(X[:500])
    m.save(tmp / "state")
    m.export_weights(tmp / "weights")
    assert growth.model_kind(tmp / "weights")[0] == "ftrl_weights"
    np.testing.assert_array_equal(growth.FTRL.load(tmp / "state").predict_proba(X[:500]), p)
    np.testing.assert_allclose(growth.FTRL.load(tmp / "weights").predict_proba(X[:500]), p, atol=1e-6)
    assert (tmp / "weights").stat().st_size < (tmp / "state").stat().st_size
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(m2.predict_proba(X[:500]), p)
    assert m2.config == m.config
    # Warm start: continuing from the saved state equals never stopping.
    m3 = growth.FTRL.load(tmp / "state")
    m.partial_fit(X[:100], y[:100])
    m3.partial_fit(X[:100], y[:100])
    np.testing.assert_array_equal(m.predict_proba(X[:500]), m3.predict_proba(X[:500]))


def test_esmm_funnel():
    rng = np.random.default_rng(0)
    n = 60000
    click = (rng.random(n) < 0.25).astype(np.float32)
    conv = (click * (rng.random(n) < 0.4)).astype(np.float32)
    X = (np.arange(n + 1, dtype=np.uint64) * 0, np.zeros(0, np.uint32))  # bias only
    m = growth.FTRL(bits=4, heads=["ctr", "cvr"], alpha=0.5, l1=0, l2=0)
    m.esmm_fit(X, click, conv)
    out = growth.esmm_predict(m, m, (np.zeros(2, np.uint64), np.zeros(0, np.uint32)))
    assert out.shape == (1, 3)
    assert abs(out[0, 0] - 0.25) < 0.015 and abs(out[0, 1] - 0.4) < 0.03
    assert abs(out[0, 2] - out[0, 0] * out[0, 1]) < 1e-7


def test_bad_input_leaves_model_unchanged():
    X, y, _ = make_clicklog(1000, seed=5)
    m = growth.FTRL(bits=18)
    m.partial_fit(X, y)
    before = m.predict_proba(X[:100])
    bad_y = y.copy()
    bad_y[-1] = 2
    with pytest.raises(growth.InvalidArgument, match="label 2"):
        m.partial_fit(X, bad_y)
    Xn = X.copy()
    Xn.data[-1] = np.nan
    with pytest.raises(growth.InvalidArgument, match="not finite"):
        m.partial_fit(Xn, y)
    big = sp.csr_matrix(([1.0], ([0], [1 << 18])), shape=(1, (1 << 18) + 1))
    with pytest.raises(growth.InvalidArgument, match="not below"):
        m.predict_proba(big)
    with pytest.raises(growth.InvalidArgument):
        m.partial_fit(X, y[:-1])
    with pytest.raises(growth.InvalidArgument):
        m.partial_fit(X, y, sample_weight=-np.ones(1000))
    with pytest.raises(growth.InvalidArgument):
        m.weight(0, head=3)
    np.testing.assert_array_equal(m.predict_proba(X[:100]), before)
    assert m.stats()[0] == 1000
    m.close()
    m.close()
    with pytest.raises(ValueError, match="closed"):
        m.predict_proba(X[:1])


def test_stats_heads_bits_and_margins():
    # FTRL.stats(), n_heads and bits come from growth_ftrl_stats_get; decision_function from
    # the GROWTH_PREDICT_MARGIN flag of growth_ftrl_predict_csr.
    X, y, _ = make_clicklog(3000, seed=6, heads=2, bits=10)  # small: checked slot by slot
    m = growth.FTRL(bits=10, heads=["click", "buy"], l1=0.5)
    # The model is created by the first partial_fit/fit (scikit-learn's rule): before it, only
    # the parameters exist.
    assert m.bits == 10 and m.get_params()["heads"] == ["click", "buy"]
    for unfitted in (lambda: m.n_heads, m.stats, lambda: m.config):
        with pytest.raises(growth.NotFittedError):
            unfitted()
    m.partial_fit(X[:0], y[:0])
    assert (m.n_heads, m.bits) == (2, 10) and m.stats() == (0, 0)
    m.partial_fit(X, y)
    examples, nonzero = m.stats()
    assert examples == 3000
    assert nonzero == sum(1 for s in range(1 << 10) if m.weight(s, 0) != 0 or m.weight(s, 1) != 0)
    assert m.head_index("click") == 0 and m.head_index("buy") == 1
    p = m.predict_proba(X[:300])
    z = m.decision_function(X[:300])
    assert z.shape == p.shape == (300, 2)
    np.testing.assert_allclose(1 / (1 + np.exp(-z.astype(np.float64))), p, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.log(p / (1 - p)), z, atol=1e-3)
    copy = pickle.loads(pickle.dumps(m))
    assert copy.stats() == m.stats() and (copy.n_heads, copy.bits) == (2, 10)


def test_threads_option_trains_batches_on_several_threads():
    """threads=2 (Hogwild, docs/thread-safety.md): the same progressive logloss within 0.5% of
    one thread, every example counted, for FTRL and FM."""
    X, y, _ = make_clicklog(20000, seed=5)
    losses = []
    for threads in (1, 2):
        m = growth.FTRL(bits=18, threads=threads)
        pv = m.predict_update(X, y)
        p = np.clip(pv.astype(np.float64), 1e-7, 1 - 1e-7)
        losses.append(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
        assert m.stats()[0] == 20000
        assert f" threads={threads}" in m.config
    assert abs(losses[1] - losses[0]) <= 0.005 * losses[0]
    with pytest.raises(growth.InvalidArgument):
        growth.FTRL(threads=0).partial_fit(X, y)
    f = growth.FM(bits=18, threads=2)
    f.predict_update(X, y)
    assert f.stats()["examples"] == 20000
