"""growth.Forest against Debian's python3-xgboost 1.7 on the same data and models."""
import os
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import xgboost as xgb

import growth

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "forest")


def make(n=3000, d=10, kind="binary", seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    z = X[:, 0] - 0.8 * X[:, 1] + X[:, 2] * X[:, 3] + 0.5 * (X[:, 4] > 0.3)
    X[rng.random(X.shape) < missing] = np.nan
    if kind == "binary":
        y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.float32)
    elif kind == "multi":
        y = np.digitize(z, [-0.5, 0.5]).astype(np.float32)
    else:
        y = (z + 0.3 * rng.normal(size=n)).astype(np.float32)
    return X, y


@pytest.mark.parametrize("params,kind", [
    ("objective=binary:logistic max_depth=4 eta=0.3", "binary"),
    ("objective=reg:squarederror max_depth=6 base_score=0.2", "reg"),
    ("objective=multi:softprob num_class=3 max_depth=3", "multi"),
])
def test_training_equals_python_xgboost(params, kind):
    X, y = make(kind=kind, seed=1)
    f = growth.Forest.train(X, y, params=params, num_rounds=25)
    pd_ = dict(kv.split("=") for kv in params.split())
    b = xgb.train({**pd_, "verbosity": 0, "nthread": 1}, xgb.DMatrix(X, label=y), 25)
    ref = b.predict(xgb.DMatrix(X))
    ours = f.predict(X)
    assert ours.dtype == np.float32 and ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-6, rtol=0)
    np.testing.assert_allclose(f.predict(X, output_margin=True),
                               b.predict(xgb.DMatrix(X), output_margin=True), atol=1e-5, rtol=0)
    np.testing.assert_allclose(f.predict(X, reference=True), ours, atol=1e-6, rtol=0)


def test_loads_python_models_json_and_ubjson(tmp_path):
    X, y = make(2000, 8, seed=2, missing=0.2)
    b = xgb.train({"objective": "binary:logistic", "max_depth": 5, "eta": 0.2, "verbosity": 0},
                  xgb.DMatrix(X, label=y), 40)
    ref = b.predict(xgb.DMatrix(X))
    for ext in ("json", "ubj"):
        path = tmp_path / f"m.{ext}"
        b.save_model(str(path))
        f = growth.Forest.load(path)
        assert f.n_features == 8 and f.n_trees == 40 and f.objective == "binary:logistic"
        np.testing.assert_allclose(f.predict(X), ref, atol=1e-6, rtol=0)
        # single rows agree with the batch
        for r in range(0, 2000, 331):
            assert f.predict_row(X[r])[0] == f.predict(X[r:r + 1])[0]


def test_pandas_and_sparse_input():
    pd = pytest.importorskip("pandas")
    X, y = make(1500, 6, seed=3)
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    f = growth.Forest.train(df, pd.Series(y), params="objective=binary:logistic max_depth=3", num_rounds=10)
    np.testing.assert_array_equal(f.predict(df), f.predict(X))
    # sparse: absent entries are missing, the same as NaN in a dense row
    Xz = np.nan_to_num(X, nan=0.0)
    S = sp.csr_matrix(Xz)
    Xn = Xz.copy()
    Xn[Xz == 0] = np.nan
    np.testing.assert_allclose(f.predict(S), f.predict(Xn), atol=1e-7)
    b = xgb.Booster()
    b.load_model(_xgb_json(f))
    np.testing.assert_allclose(f.predict(S), b.predict(xgb.DMatrix(S)), atol=1e-6)


def _xgb_json(f):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "m.json")
        f.save(p)
        with open(p, "rb") as fh:
            return bytearray(fh.read())


def test_save_json_is_read_by_xgboost_and_round_trips(tmp_path):
    X, y = make(2000, 7, kind="multi", seed=4)
    f = growth.Forest.train(X, y, params={"objective": "multi:softprob", "num_class": 3, "max_depth": 4},
                            num_rounds=12, threads=2)
    p = f.predict(X)
    assert p.shape == (2000, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-5)
    f.save(tmp_path / "m.json")
    b = xgb.Booster()
    b.load_model(str(tmp_path / "m.json"))
    np.testing.assert_allclose(b.predict(xgb.DMatrix(X)), p, atol=1e-6)
    f.save(tmp_path / "m.model")
    g = growth.Forest.load(tmp_path / "m.model")
    np.testing.assert_array_equal(g.predict(X), p)
    assert "threads=2" in g.config
    h = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(h.predict(X), p)
    assert growth.model_kind(tmp_path / "m.model")[0] == "forest"


def test_early_stopping_matches_python_best_iteration():
    X, y = make(4000, 10, seed=5)
    Xt, yt, Xv, yv = X[:3000], y[:3000], X[3000:], y[3000:]
    params = "objective=binary:logistic max_depth=6 eta=0.4 eval_metric=logloss"
    f = growth.Forest.train(Xt, yt, params=params, num_rounds=300, eval_set=(Xv, yv),
                            early_stopping_rounds=8)
    b = xgb.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.4, "eval_metric": "logloss",
                   "verbosity": 0}, xgb.DMatrix(Xt, label=yt), 300,
                  evals=[(xgb.DMatrix(Xv, label=yv), "valid")], early_stopping_rounds=8, verbose_eval=False)
    assert f.best_iteration == b.best_iteration
    assert abs(f.best_score - b.best_score) < 1e-6
    assert f.n_trees == b.best_iteration + 1
    ref = b.predict(xgb.DMatrix(Xv), iteration_range=(0, b.best_iteration + 1))
    np.testing.assert_allclose(f.predict(Xv), ref, atol=1e-6)


def test_importance_and_contributions_match_xgboost():
    X, y = make(2000, 6, seed=6)
    f = growth.Forest.train(X, y, params="objective=binary:logistic max_depth=4", num_rounds=15)
    b = xgb.Booster()
    b.load_model(_xgb_json(f))
    for t in ("weight", "gain", "cover", "total_gain", "total_cover"):
        ref = b.get_score(importance_type=t)
        ours = f.importance(t)
        for j in range(6):
            assert ours[j] == pytest.approx(ref.get(f"f{j}", 0.0), rel=1e-5, abs=1e-6), (t, j)
    c = f.contributions(X[:50])
    np.testing.assert_allclose(c, b.predict(xgb.DMatrix(X[:50]), pred_contribs=True), atol=1e-5)
    np.testing.assert_allclose(c.sum(axis=1), f.predict(X[:50], output_margin=True), atol=1e-4)


def test_bad_input():
    X, y = make(300, 5, seed=7)
    with pytest.raises(growth.InvalidArgument, match="labels\\[4\\]"):
        yy = y.copy()
        yy[4] = np.nan
        growth.Forest.train(X, yy, params="objective=binary:logistic", num_rounds=3)
    with pytest.raises(growth.InvalidArgument, match="not supported"):
        growth.Forest.train(X, y, params="objective=survival:aft", num_rounds=3)
    with pytest.raises(growth.DependencyError, match="max_depth"):
        growth.Forest.train(X, y, params="max_depth=-1", num_rounds=3)
    f = growth.Forest.train(X, y, params="objective=binary:logistic", num_rounds=3)
    with pytest.raises(growth.InvalidArgument, match="features"):
        f.predict(X[:, :4])
    with pytest.raises(growth.InvalidArgument):
        f.importance("nope")
    f.close()
    with pytest.raises(ValueError):
        f.predict(X)


def test_corrupted_and_foreign_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": [1, 2, 3]}')
    with pytest.raises(growth.FormatError, match="not an xgboost model"):
        growth.Forest.load(bad)
    src = open(os.path.join(FIXTURES, "binary.json"), "rb").read()
    (tmp_path / "t.json").write_bytes(src[: len(src) // 3])
    with pytest.raises(growth.FormatError):
        growth.Forest.load(tmp_path / "t.json")
    m = growth.FTRL(bits=4).partial_fit(np.eye(4), [0, 1, 0, 1])
    m.save(tmp_path / "ftrl.model")
    with pytest.raises(growth.FormatError, match="ftrl"):
        growth.Forest.load(tmp_path / "ftrl.model")
    rng = np.random.default_rng(0)
    for _ in range(200):
        b = bytearray(src)
        for pos in rng.integers(0, len(b), 3):
            b[pos] = rng.integers(0, 256)
        try:
            growth.Forest.from_bytes(bytes(b)).close()
        except growth.FormatError:
            pass


@pytest.mark.parametrize("objective", ["binary:logistic", "reg:squarederror", "reg:logistic",
                                       "binary:logitraw", "count:poisson"])
def test_libgrowth_file_round_trip_every_objective(tmp_path, objective):
    # Regression: base_score 0.5 mapped to a margin of -0.0, stored as +0.0, and the exact
    # comparison of the stored and rebuilt trees rejected every binary:logistic file.
    rng = np.random.default_rng(0)
    X = rng.random((500, 5)).astype(np.float32)
    y = (X[:, 0] + rng.random(500) * 0.5 > 0.7).astype(np.float32)
    f = growth.Forest.train(X, y, params=f"objective={objective} max_depth=3", num_rounds=5)
    f.save(tmp_path / "m.forest")
    assert growth.model_kind(tmp_path / "m.forest")[0] == "forest"
    np.testing.assert_array_equal(growth.Forest.load(tmp_path / "m.forest").predict(X), f.predict(X))
    np.testing.assert_array_equal(growth.Forest.from_bytes(f.to_bytes()).predict(X), f.predict(X))


def test_progress_callback_and_cancel():
    # Forest.train(progress=...) runs once per boosting round through growth_forest_train's
    # progress callback; a truthy return stops it with growth.Canceled, an exception propagates.
    X, y = make(400, 5, seed=9)
    seen = []
    f = growth.Forest.train(X, y, params="objective=binary:logistic max_depth=3", num_rounds=6,
                            progress=lambda stage, done: seen.append((stage, done)))
    assert [s for s, _ in seen] == ["round"] * 6
    np.testing.assert_allclose([d for _, d in seen], np.arange(1, 7) / 6)
    assert f.n_trees == 6 and f.best_iteration is None and f.best_score is None
    calls = []
    with pytest.raises(growth.Canceled):
        growth.Forest.train(X, y, params="objective=binary:logistic", num_rounds=50,
                            progress=lambda stage, done: calls.append(done) or len(calls) >= 3)
    assert len(calls) == 3

    def boom(stage, done):
        raise KeyError("stop here")
    with pytest.raises(KeyError, match="stop here"):
        growth.Forest.train(X, y, params="objective=binary:logistic", num_rounds=5, progress=boom)


def test_importance_types_and_default():
    X, y = make(800, 6, seed=10)
    f = growth.Forest.train(X, y, params="objective=binary:logistic max_depth=3", num_rounds=8)
    imp = {t: f.importance(t) for t in growth.forest.IMPORTANCE_TYPES}
    w = imp["weight"]
    np.testing.assert_allclose(imp["gain"] * w, imp["total_gain"], rtol=1e-4)
    np.testing.assert_allclose(imp["cover"] * w, imp["total_cover"], rtol=1e-4)
    np.testing.assert_array_equal(f.importance(), imp["gain"])  # the Python default stays 'gain'
    assert f.n_features == 6 and f.n_outputs == 1
