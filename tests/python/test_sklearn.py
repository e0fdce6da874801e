"""scikit-learn conventions of the estimators: FTRL, FTRLClassifier, Calibrator, ForestClassifier
and ForestRegressor. The constructor only stores parameters (the C model is created by the first
fit), get_params/set_params/clone, Pipeline and GridSearchCV with a scorer, classifier shapes
and classes_, NotFittedError before fit."""
import pickle

import numpy as np
import pytest

import growth
from clicklog import make_clicklog

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.feature_extraction import FeatureHasher  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402


def _dense(n=1500, seed=0, d=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    z = X[:, 0] + 0.7 * X[:, 1] - 0.5 * X[:, 2] * X[:, 3]
    return X, z, (rng.random(n) < 1 / (1 + np.exp(-2 * z))).astype(np.float32)


def _records(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    user, item = rng.integers(0, 100, n), rng.integers(0, 20, n)
    p = 1 / (1 + np.exp(-(-1.5 + 2.0 * (item % 4 == 0) + 1.0 * (user % 3 == 0))))
    recs = [{"user": str(u), "item": str(i)} for u, i in zip(user, item)]
    return recs, (rng.random(n) < p).astype(np.float32)


ESTIMATORS = {
    "FTRL": lambda: growth.FTRL(alpha=0.1, l1=0.5, bits=16),
    "FTRLClassifier": lambda: growth.FTRLClassifier(alpha=0.1, bits=16),
    "Calibrator": lambda: growth.Calibrator(method="histogram", bins=8),
    "ForestClassifier": lambda: growth.ForestClassifier(num_rounds=10, max_depth=3),
    "ForestRegressor": lambda: growth.ForestRegressor(num_rounds=10, max_depth=3),
}


def _fit_data(name):
    if name.startswith("FTRL"):
        X, y, _ = make_clicklog(3000, seed=1, bits=16)
        return X, y
    X, z, y = _dense()
    if name == "Calibrator":
        return 1 / (1 + np.exp(-z)), y
    if name == "ForestRegressor":
        return X, z
    return X, y


@pytest.mark.parametrize("name", ESTIMATORS)
def test_init_stores_parameters_only_and_predict_before_fit_raises(name):
    est = ESTIMATORS[name]()
    params = est.get_params()
    assert set(vars(est)) == set(params)        # nothing but the parameters
    if name == "Calibrator":
        assert not est.fitted
    assert est._h is None                       # no C handle before fit
    X, y = _fit_data(name)
    predict = est.predict_proba if name.startswith("FTRL") else est.predict
    with pytest.raises(NotFittedError):        # scikit-learn's class ...
        predict(X[:10])
    with pytest.raises(growth.NotFittedError):  # ... which is also growth's
        predict(X[:10])
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(growth.InvalidState):   # NotFittedError is an InvalidState
        est.save("never-written.model")
    assert est.fit(X, y) is est
    check_is_fitted(est)
    assert est.get_params() == params           # fit does not change the parameters
    assert est._h is not None


@pytest.mark.parametrize("name", ESTIMATORS)
def test_get_set_params_clone(name):
    est = ESTIMATORS[name]()
    X, y = _fit_data(name)
    est.fit(X, y)
    copy = clone(est)
    assert copy.get_params() == est.get_params() and copy._h is None
    key = {"FTRL": "l2", "FTRLClassifier": "l2", "Calibrator": "bins", "ForestClassifier": "max_depth",
           "ForestRegressor": "max_depth"}[name]
    assert copy.set_params(**{key: 2}) is copy and copy.get_params()[key] == 2
    assert est.get_params()[key] != 2
    with pytest.raises(ValueError, match="Invalid parameter"):
        copy.set_params(no_such_parameter=1)
    copy.fit(X, y)
    assert copy.config != est.config or key == "max_depth"   # the new value reached the library
    # repr shows the parameters that differ from the defaults (scikit-learn's repr)
    assert type(est).__name__ + "(" in repr(est)


def test_clone_of_a_loaded_model_has_its_configuration(tmp):
    X, y, _ = make_clicklog(2000, seed=2, bits=12)
    m = growth.FTRL(alpha=0.2, bits=12, heads=["click"], precision="compact", seed=5).fit(X, y)
    m.save(tmp / "m")
    loaded = growth.FTRL.load(tmp / "m")
    p = loaded.get_params()
    assert (p["alpha"], p["bits"], p["heads"], p["precision"], p["seed"]) == (0.2, 12, ["click"], "compact", 5)
    assert p["config"] is None
    assert clone(loaded).fit(X, y).config == m.config
    cal = growth.Calibrator(method="platt", input="margin").fit(np.linspace(-2, 2, 50), np.arange(50) % 2)
    back = growth.Calibrator.from_bytes(cal.to_bytes())
    assert back.method == "platt" and back.input == "margin" and back.get_params()["max_iter"] == 100
    Xd, _, yd = _dense(300)
    f = growth.ForestClassifier(num_rounds=3, max_depth=2, threads=1).fit(Xd, yd)
    g = growth.ForestClassifier.from_bytes(f.to_bytes())
    assert g.get_params()["num_rounds"] == 3 and g.get_params()["objective"] == "binary:logistic"
    np.testing.assert_array_equal(g.classes_, [0, 1])
    np.testing.assert_array_equal(g.predict_proba(Xd), f.predict_proba(Xd))


def test_extra_options_are_parameters():
    # **options (keys of a later libgrowth) are parameters: listed, cloned, validated at fit.
    cal = growth.Calibrator("isotonic", bogus=1)
    assert cal.get_params()["bogus"] == 1 and clone(cal).get_params()["bogus"] == 1
    with pytest.raises(growth.InvalidArgument, match="bogus"):
        cal.fit([0.1, 0.9, 0.2, 0.8], [0, 1, 0, 1])
    assert not cal.fitted
    with pytest.raises(growth.InvalidArgument, match="given twice"):
        growth.FTRL(alpha=0.1, config="alpha=0.2").partial_fit(np.eye(2), [0, 1])


def test_fit_is_from_scratch_partial_fit_continues():
    X, y, _ = make_clicklog(3000, seed=3, bits=14)
    a = growth.FTRL(bits=14).fit(X, y)
    once = a.predict_proba(X[:200])
    a.fit(X, y)                                  # fit again: a new model, the same result
    np.testing.assert_array_equal(a.predict_proba(X[:200]), once)
    assert a.stats()[0] == 3000
    a.partial_fit(X, y)                          # continue
    assert a.stats()[0] == 6000
    b = growth.FTRL(bits=14)
    b.partial_fit(X, y)
    np.testing.assert_array_equal(b.predict_proba(X[:200]), once)
    a.set_params(bits=12)                        # a parameter change takes effect at the next fit
    assert "bits=14" in a.config
    a.fit(X[:, :4096], y)
    assert "bits=12" in a.config and a.stats()[0] == 3000
    before = a.predict_proba(X[:50, :4096])
    with pytest.raises(growth.InvalidArgument):  # a failed fit keeps the previous model
        a.fit(X[:, :4096], y * 3)
    np.testing.assert_array_equal(a.predict_proba(X[:50, :4096]), before)


def test_ftrl_classifier_shapes_and_labels():
    X, y, _ = make_clicklog(4000, seed=4, bits=16)
    labels = np.where(y == 1, "click", "skip")
    clf = growth.FTRLClassifier(alpha=0.1, bits=16).fit(X, labels)
    assert is_classifier(clf) and not is_classifier(growth.FTRL())
    np.testing.assert_array_equal(clf.classes_, ["click", "skip"])
    P = clf.predict_proba(X[:300])
    assert P.shape == (300, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1, atol=1e-6)
    z = clf.decision_function(X[:300])
    assert z.shape == (300,)
    pred = clf.predict(X[:300])
    np.testing.assert_array_equal(pred, np.where(z > 0, "skip", "click"))
    assert clf.score(X[:300], labels[:300]) == np.mean(pred == labels[:300])
    # The same model as FTRL on 0/1 labels (classes_[1] = "skip" is the positive class).
    ref = growth.FTRL(alpha=0.1, bits=16).fit(X, 1 - y)
    np.testing.assert_array_equal(P[:, 1], ref.predict_proba(X[:300]))
    # partial_fit: classes on the first call; later calls may hold one class only
    on = growth.FTRLClassifier(bits=16)
    on.partial_fit(X[:10], np.zeros(10), classes=[0, 1])
    on.partial_fit(X[10:20], np.ones(10))
    with pytest.raises(growth.InvalidArgument, match="not in classes_"):
        on.partial_fit(X[:5], np.full(5, 2))
    with pytest.raises(growth.InvalidArgument, match="binary"):
        growth.FTRLClassifier().fit(X[:30], np.arange(30) % 3)
    with pytest.raises(growth.InvalidArgument, match="one head"):
        growth.FTRLClassifier(bits=10, config="heads=2").fit(X[:30], y[:30])


def test_forest_classifier_multiclass_and_regressor():
    X, z, _ = _dense(1200, seed=5)
    y3 = np.digitize(z, [-0.5, 0.5])                  # three classes 0, 1, 2
    names = np.array(["low", "mid", "high"])[y3]
    clf = growth.ForestClassifier(num_rounds=15, max_depth=3).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["high", "low", "mid"])
    P = clf.predict_proba(X)
    assert P.shape == (1200, 3) and clf.decision_function(X).shape == (1200, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1, atol=1e-5)
    assert clf.score(X, names) > 0.7 and clf.objective == "multi:softprob"
    assert clf.n_features_in_ == 6 and clf.importance().shape == (6,)
    reg = growth.ForestRegressor(num_rounds=30, max_depth=3, eta=0.3).fit(X, z)
    assert is_regressor(reg) and reg.predict(X).shape == (1200,) and reg.score(X, z) > 0.8
    assert reg.objective == "reg:squarederror"
    # The estimators train the same forest as Forest.train with the same parameters.
    f = growth.Forest.train(X, z, params="objective=reg:squarederror max_depth=3 eta=0.3", num_rounds=30)
    np.testing.assert_array_equal(f.predict(X), reg.predict(X))
    with pytest.raises(growth.InvalidArgument, match="given twice"):
        growth.ForestRegressor(max_depth=2, params={"max_depth": 3}).fit(X, z)


def test_calibrator_as_regressor_and_transformer():
    X, z, y = _dense(3000, seed=6)
    s = (1 / (1 + np.exp(-z))).astype(np.float64)
    cal = growth.Calibrator(method="isotonic")
    assert is_regressor(cal)
    col = cal.fit_transform(s.reshape(-1, 1), y)
    assert col.shape == (3000, 1)
    np.testing.assert_array_equal(col[:, 0], cal.predict(s))
    np.testing.assert_array_equal(cal.transform(s), cal.predict(s.reshape(-1, 1)))
    p = cal.predict(s)
    brier, base = np.mean((p - y) ** 2), np.mean((y - y.mean()) ** 2)
    assert cal.score(s, y) == pytest.approx(1 - brier / base, rel=1e-6)


def test_pipelines():
    # FTRL behind a hashing transform: growth.hash_records (a CSR tuple) or sklearn's FeatureHasher.
    recs, y = _records()
    pipe = Pipeline([("hash", FunctionTransformer(growth.hash_records, kw_args={"bits": 16})),
                     ("ftrl", growth.FTRL(alpha=0.1, bits=16))])
    pipe.fit(recs[:3000], y[:3000])
    p = pipe.predict_proba(recs[3000:])
    assert p.shape == (1000,) and growth.metrics.auc(y[3000:], p) > 0.7
    clf = make_pipeline(FeatureHasher(n_features=1 << 16, input_type="dict", alternate_sign=False),
                        growth.FTRLClassifier(alpha=0.1, bits=16))
    clf.fit(recs[:3000], y[:3000])
    assert clf.predict_proba(recs[3000:]).shape == (1000, 2) and clf.score(recs[3000:], y[3000:]) > 0.6
    X, z, yd = _dense(2000, seed=7)
    forest = make_pipeline(FunctionTransformer(np.tanh), growth.ForestClassifier(num_rounds=20, max_depth=3))
    forest.fit(X[:1500], yd[:1500])
    assert forest.score(X[1500:], yd[1500:]) > 0.65
    # A calibrator after a scorer: the scorer's column (here the first feature's logit).
    cal = make_pipeline(FunctionTransformer(lambda A: 1 / (1 + np.exp(-2 * A[:, :1]))),
                        growth.Calibrator(method="platt"))
    cal.fit(X[:1500], yd[:1500])
    q = cal.predict(X[1500:])
    assert q.shape == (500,) and np.all((q >= 0) & (q <= 1))
    pickle.loads(pickle.dumps(forest)).predict(X[:5])   # fitted pipelines pickle


def _log_loss_scorer(est, X, y):
    return -growth.metrics.log_loss(y, est.predict_proba(X))


def test_grid_search():
    recs, y = _records(3000, seed=8)
    X = growth.hash_records(recs, bits=16)
    import scipy.sparse as sp
    Xs = sp.csr_matrix((X[2], X[1], X[0].astype(np.int64)), shape=(len(recs), 1 << 16))
    # alpha=0.001 barely moves the weights from 0 (p ~ 0.5 everywhere): a far worse log-loss
    gs = GridSearchCV(growth.FTRL(bits=16), {"alpha": [0.001, 0.2], "l2": [1.0]}, scoring=_log_loss_scorer, cv=3)
    gs.fit(Xs, y)
    assert gs.best_params_["alpha"] == 0.2 and gs.best_estimator_.stats()[0] == 3000
    gs = GridSearchCV(growth.FTRLClassifier(bits=16), {"alpha": [0.001, 0.2]}, scoring="neg_log_loss", cv=3)
    assert gs.fit(Xs, y).best_params_ == {"alpha": 0.2}
    auc = cross_val_score(growth.FTRLClassifier(alpha=0.2, bits=16), Xs, y, cv=3, scoring="roc_auc")
    assert auc.shape == (3,) and auc.min() > 0.7
    Xd, z, yd = _dense(2000, seed=9)
    gs = GridSearchCV(growth.ForestClassifier(num_rounds=20), {"max_depth": [1, 4]}, scoring="roc_auc", cv=3)
    assert gs.fit(Xd, yd).best_params_ == {"max_depth": 4}   # depth 1 cannot see the interaction
    gs = GridSearchCV(growth.ForestRegressor(num_rounds=20, max_depth=3), {"eta": [0.01, 0.3]},
                      scoring="neg_mean_squared_error", cv=3)
    assert gs.fit(Xd, z).best_params_ == {"eta": 0.3}
    s = 1 / (1 + np.exp(-(z + 0.8)))                          # miscalibrated scores
    gs = GridSearchCV(growth.Calibrator(method="histogram"), {"bins": [1, 20]},
                      scoring="neg_mean_squared_error", cv=3)   # the Brier score
    assert gs.fit(s, yd).best_params_ == {"bins": 20}
    gs = GridSearchCV(growth.Calibrator(), {"method": ["platt", "isotonic"]}, cv=3)  # score: R^2
    assert gs.fit(s.reshape(-1, 1), yd).best_estimator_.fitted
