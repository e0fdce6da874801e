"""growth.FM / growth.FFM as a user meets them: fit with a validation set, persistence, pickling,
rows built by name, bad input. (The learning rule itself is checked against the NumPy reference
in test_fm_vs_ref.py.)"""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

import growth


def _pair_data(n, seed, bits=10):
    """Rows of 3 fields; the label is an XOR of two fields' values: invisible to a linear model."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.integers(0, 2, n), rng.integers(0, 2, n), rng.integers(0, 50, n)
    recs = [{"a": str(a[i]), "b": str(b[i]), "noise": str(c[i])} for i in range(n)]
    indptr, idx, val, fld = growth.hash_records(recs, bits=bits, fields=["a", "b", "noise"])
    p = np.where(a == b, 0.85, 0.15)
    y = (rng.random(n) < p).astype(np.float32)
    return (indptr, idx, val), fld, y


def _logloss(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_ffm_learns_a_pair_interaction_with_fit_and_auto_stop():
    X, F, y = _pair_data(6000, 1)
    Xv, Fv, yv = _pair_data(2000, 2)
    m = growth.FFM(fields=3, k=4, bits=10, eta=0.2, normalize=False)
    with pytest.raises(growth.NotFittedError):
        m.predict_proba(Xv, Fv)
    m.fit(X, y, F, epochs=20, validation=(Xv, yv, Fv))
    r = m.fit_result_
    assert 1 <= r["best_epoch"] <= r["epochs"] <= 20
    pv = m.predict_proba(Xv, Fv)
    assert _logloss(pv, yv) == pytest.approx(r["valid_logloss"], rel=1e-4)
    assert _logloss(pv, yv) < 0.5  # the XOR is learnt (a linear model stays at ~0.69)
    lin = growth.FTRL(bits=10, l1=0.1).fit(X, y)
    assert _logloss(lin.predict_proba(Xv), yv) > 0.65
    # the progress callback sees the epochs; a truthy return cancels and keeps the old model
    seen = []
    m2 = growth.FFM(fields=3, k=4, bits=10).fit(X, y, F, epochs=2,
                                                 progress=lambda s, d: seen.append((s, d)))
    assert seen and seen[-1][1] == pytest.approx(1.0)
    before = m2.predict_proba(Xv, Fv)
    with pytest.raises(growth.Canceled):
        m2.fit(X, y, F, epochs=5, progress=lambda s, d: d > 0.2)
    np.testing.assert_array_equal(m2.predict_proba(Xv, Fv), before)


def test_save_load_pickle_and_the_right_class(tmp_path):
    X, F, y = _pair_data(500, 3)
    m = growth.FFM(fields=3, k=3, bits=10, heads=["click", "buy"])
    Y = np.column_stack([y, np.where(y > 0, 1 - y, np.nan)])
    pu = m.predict_update(X, Y, F)
    assert pu.shape == (500, 2)
    m.save(tmp_path / "m.ffm")
    for other in (growth.FFM.load(tmp_path / "m.ffm"), pickle.loads(pickle.dumps(m)),
                  growth.FFM.from_bytes(m.to_bytes())):
        np.testing.assert_array_equal(other.predict_proba(X, F), m.predict_proba(X, F))
        assert other.get_params()["heads"] == ["click", "buy"] and other.head_index("buy") == 1
    assert growth.model_kind(tmp_path / "m.ffm")[0] == "fm"
    with pytest.raises(growth.InvalidArgument, match="growth.FFM"):
        growth.FM.load(tmp_path / "m.ffm")
    # FM ignores fields; warm start continues training
    fm = growth.FM(k=4, bits=10).partial_fit(X, y)
    st = fm.stats()
    fm.partial_fit(X, y)
    assert fm.stats()["examples"] == 2 * st["examples"] == 1000
    assert st["touched"] > 0 and st["bytes_per_slot"] > 0


def test_scipy_rows_keep_their_order_and_bad_input():
    X, F, y = _pair_data(300, 4)
    csr = sp.csr_matrix((X[2], X[1].astype(np.int64), X[0].astype(np.int64)), shape=(300, 1 << 10))
    m = growth.FFM(fields=3, bits=10).partial_fit(csr, y, F)
    np.testing.assert_array_equal(m.predict_proba(csr, F), m.predict_proba(X, F))
    with pytest.raises(growth.InvalidArgument, match="fields"):
        m.predict_proba(X, F[:-1])  # not one field per stored entry
    with pytest.raises(growth.InvalidArgument):
        m.predict_proba(X, None)  # an FFM needs fields
    with pytest.raises(growth.InvalidArgument):
        m.predict_proba(X, np.full_like(F, 3))  # field 3 of a 3-field model
    with pytest.raises(growth.InvalidArgument, match="'k'"):
        growth.FFM(fields=3, k=65).partial_fit(X, y, F)
    with pytest.raises(growth.InvalidArgument, match="fields"):
        growth.FFM().partial_fit(X, y, F)  # model=ffm without fields
    bad = (X[0], X[1], np.where(np.arange(X[2].size) == 5, np.nan, X[2]).astype(np.float32))
    before = m.predict_proba(X, F)
    with pytest.raises(growth.InvalidArgument):
        m.partial_fit(bad, y, F)
    np.testing.assert_array_equal(m.predict_proba(X, F), before)  # unchanged by the failed call
