"""growth.train: the in-process streaming trainer (issue 22, point 5), against independent
references: the same rows through repeated predict_update / predict_proba calls, sklearn's
log_loss and roc_auc_score, and `growth train --format csv` on the same CSV file (same hashing,
same model)."""
import io
import os
import re
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import log_loss, roc_auc_score

import growth

pd = pytest.importorskip("pandas")

CLI = os.environ.get("GROWTH_CLI") or os.path.join(
    os.path.dirname(os.environ.get("GROWTH_LIBRARY", "build/src/x")), "..", "cli", "growth")


def make_xy(n=3000, d=400, seed=0):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, d, size=(n, 5))
    X = sp.csr_matrix((np.ones(n * 5, np.float32), rows.ravel(), np.arange(0, n * 5 + 1, 5)), shape=(n, d))
    truth = rng.normal(0, 1, d)
    p = 1 / (1 + np.exp(-(truth[rows].sum(axis=1) * 0.6 - 0.3)))
    y = (rng.random(n) < p).astype(np.float32)
    w = rng.uniform(0.5, 2.0, n).astype(np.float32)
    return X, y, w


def chunks(X, y, w=None, size=257):
    for a in range(0, X.shape[0], size):
        b = min(X.shape[0], a + size)
        yield (X[a:b], y[a:b]) if w is None else (X[a:b], y[a:b], w[a:b])


def test_progressive_validation_matches_predict_update_and_sklearn():
    X, y, w = make_xy()
    m = growth.FTRL(alpha=0.1, bits=12)
    s = growth.train(m, chunks(X, y, w), progress=False)
    ref = growth.FTRL(alpha=0.1, bits=12)
    p = np.concatenate([ref.predict_update(Xc, yc, wc) for Xc, yc, wc in chunks(X, y, w, size=1000)])
    assert s.examples == s.trained == X.shape[0] and s.held == 0 and s.passes == 1
    np.testing.assert_array_equal(m.predict_proba(X), ref.predict_proba(X))
    assert s.logloss == pytest.approx(log_loss(y, np.clip(p.astype(np.float64), 1e-15, 1 - 1e-15),
                                               sample_weight=w), rel=1e-9)
    # the AUC comes from the CLI's 65536-bin histogram: within a bin's ties of the exact value
    assert s.auc == pytest.approx(roc_auc_score(y, p, sample_weight=w), abs=2e-4)
    assert s.examples_per_s > 0 and s.seconds > 0 and not s.canceled


def test_holdout_every_and_passes_match_a_manual_loop():
    X, y, _ = make_xy(n=1500, seed=1)
    batches = list(chunks(X, y, size=100))
    m = growth.FM(k=4, bits=12, seed=3)
    s = growth.train(m, batches, passes=2, holdout_every=7, progress=False)
    ref = growth.FM(k=4, bits=12, seed=3)
    prog_p, prog_y, hold_p, hold_y = [], [], [], []
    for _ in range(2):
        for i in range(X.shape[0]):
            if (i + 1) % 7 == 0:
                hold_p.append(ref.predict_proba(X[i:i + 1])[0])
                hold_y.append(y[i])
            else:
                prog_p.append(ref.predict_update(X[i:i + 1], y[i:i + 1])[0])
                prog_y.append(y[i])
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-7)
    assert s.examples == 2 * X.shape[0] and s.held == len(hold_y) == 2 * (X.shape[0] // 7)
    assert s.trained == len(prog_y) and s.passes == 2
    assert s.logloss == pytest.approx(log_loss(prog_y, prog_p), rel=1e-5)
    assert s.holdout_logloss == pytest.approx(log_loss(hold_y, hold_p), rel=1e-5)
    assert s.holdout_auc == pytest.approx(roc_auc_score(hold_y, hold_p), abs=1e-3)


def test_callable_source_for_passes_and_generator_refused():
    X, y, _ = make_xy(n=600, seed=2)
    with pytest.raises(growth.InvalidArgument, match="iterated again"):
        growth.train(growth.FTRL(bits=10), chunks(X, y), passes=2, progress=False)
    a, b = growth.FTRL(bits=10), growth.FTRL(bits=10)
    growth.train(a, lambda: chunks(X, y), passes=3, progress=False)
    for _ in range(3):
        b.partial_fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_checkpoints_are_written_atomically_and_hold_the_model(tmp_path):
    X, y, _ = make_xy(n=1000, seed=4)
    path = str(tmp_path / "m.growth")
    seen = []

    def cb(s):
        seen.append(growth.FTRL.load(path).stats()[0] if os.path.exists(path) else 0)

    m = growth.FTRL(bits=10)
    s = growth.train(m, chunks(X, y, size=100), checkpoint=300, model_path=path, progress=cb)
    assert s.checkpoints == 3  # after 300, 600, 900 trained rows
    assert seen[:3] == [0, 0, 300] and seen[5] == 600 and seen[9] == 900
    assert not [f for f in os.listdir(tmp_path) if f != "m.growth"]  # no temporary files left
    np.testing.assert_array_equal(growth.FTRL.load(path).predict_proba(X), m.predict_proba(X))


def test_progress_callable_stops_and_text_progress(capsys):
    X, y, _ = make_xy(n=1000, seed=5)
    m = growth.FTRL(bits=10)
    s = growth.train(m, chunks(X, y, size=100), progress=lambda s: s.examples >= 300)
    assert s.canceled and s.examples == s.trained == 300 and m.stats()[0] == 300
    growth.train(growth.FTRL(bits=10), chunks(X, y, size=100), total=1000, progress=True, progress_interval=0)
    err = capsys.readouterr().err
    assert "[##############################] 100.0% growth train: 1000 examples/1000" in err
    assert "progressive logloss" in err


def test_exact_table_and_classifier_and_dense():
    X, y, _ = make_xy(n=800, seed=6)
    m = growth.FTRL(table="exact", admit=2, bits=12)
    s = growth.train(m, [(X, y)], progress=False)
    ref = growth.FTRL(table="exact", admit=2, bits=12)
    p = ref.predict_update(X, y)
    assert s.logloss == pytest.approx(log_loss(y, p), rel=1e-6)
    assert m.table_stats()["live"] == ref.table_stats()["live"] > 0
    Xd = X.toarray()
    c = growth.FTRLClassifier(bits=12)
    growth.train(c, [(Xd, y)], progress=False)
    np.testing.assert_array_equal(c.predict_proba(Xd)[:, 1], growth.FTRL(bits=12).fit(Xd, y).predict_proba(Xd))


def test_bad_input():
    X, y, _ = make_xy(n=50)
    m = growth.FTRL(bits=10)
    with pytest.raises(growth.InvalidArgument, match="holdout_every"):
        growth.train(m, [(X, y)], holdout_every=1)
    with pytest.raises(growth.InvalidArgument, match="model_path"):
        growth.train(m, [(X, y)], checkpoint=10)
    with pytest.raises(growth.InvalidArgument, match="passes"):
        growth.train(m, [(X, y)], passes=0)
    with pytest.raises(growth.InvalidArgument, match="outside"):
        growth.train(m, [(X, y * 2)], progress=False)
    with pytest.raises(growth.InvalidArgument, match="one label per row"):
        growth.train(m, [(X, y[:-1])], progress=False)
    with pytest.raises(growth.InvalidArgument, match="a batch is"):
        growth.train(m, [X], progress=False)
    with pytest.raises(growth.InvalidArgument, match="FFM model needs"):
        growth.train(growth.FFM(fields=2, bits=10), [(X, y)], progress=False)
    with pytest.raises(growth.InvalidArgument, match="trains growth.FTRL"):
        growth.train(object(), [(X, y)])
    with pytest.raises(growth.InvalidArgument, match="one-head"):
        growth.train(growth.FTRL(bits=10, heads=2), [(X, np.c_[y, y])], progress=False)
    df = pd.DataFrame({"label": ["1", "0"], "a": ["x", "y"], "n": ["1", "oops"]})
    with pytest.raises(growth.InvalidArgument, match="no column 'zz'"):
        growth.train(m, [df], numeric=["zz"], progress=False)
    with pytest.raises(growth.InvalidArgument, match="numeric column 'n'"):
        growth.train(m, [df], numeric=["n"], progress=False)
    with pytest.raises(growth.InvalidArgument, match="label 'label'"):
        growth.train(m, [df.assign(label=["1", "2"])], progress=False)
    with pytest.raises(growth.InvalidArgument, match="weight column 'w'"):
        growth.train(m, [df.assign(w=["1", "-1"])], weight="w", features=["a"], progress=False)
    assert m.stats()[0] == 0  # nothing was trained by the refused calls


# ---- the same CSV through `growth train` and through pandas chunks -----------------------------

def make_csv(path, n=2500, seed=7):
    rng = np.random.default_rng(seed)
    lines = ["label,user,item,price,w,note"]
    for i in range(n):
        u, it = rng.integers(0, 80), rng.integers(0, 40)
        price = "" if i % 11 == 0 else f"{rng.random() * 3:.3f}"
        logit = (u % 5) - 2 + (it % 3) - 1 + (float(price or 0) - 1.5)
        lab = int(rng.random() < 1 / (1 + np.exp(-logit)))
        labtxt = "1" if lab else ("-1" if i % 2 else "0")
        user = "" if i % 13 == 0 else f"u{u:03d}"  # "u007": text, not a number
        item = f"\"i{it},x\"" if i % 17 == 0 else f"{it:02d}"  # quoted cell with a comma; "07"
        lines.append(f"{labtxt},{user},{item},{price},{rng.uniform(0.5, 2):.2f},n{i % 3}")
    path.write_text("\n".join(lines) + "\n")


def cli_train(args):
    r = subprocess.run([CLI, "train", *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = re.search(r"progressive logloss ([0-9.]+) AUC ([0-9.]+)(?:; holdout logloss ([0-9.]+) AUC ([0-9.]+))?",
                  r.stderr)
    assert m, r.stderr
    return [float(g) if g else None for g in m.groups()]


@pytest.mark.skipif(not os.path.exists(CLI), reason=f"growth CLI not built at {CLI}")
@pytest.mark.parametrize("kind,config", [("ftrl", "bits=16 alpha=0.1 l1=0.5"),
                                         ("ftrl", "table=exact bits=18 alpha=0.1"),
                                         ("ffm", "fields=4 k=4 bits=14 seed=5"),
                                         ("fm", "k=4 bits=14 seed=5")])
def test_same_csv_through_the_cli_and_pandas_chunks(tmp_path, kind, config):
    csv = tmp_path / "clicks.csv"
    make_csv(csv)
    out = str(tmp_path / "cli.model")
    loss, auc, hloss, hauc = cli_train(["--format", "csv", "--model-type", kind, "--config", config, "--model", out,
                                        "--csv-weight", "w", "--csv-numeric", "price", "--csv-features",
                                        "user,item", "--passes", "2",
                                        "--holdout-every", "9", "--threads", "1", str(csv)])
    m = {"ftrl": growth.FTRL, "ffm": growth.FFM, "fm": growth.FM}[kind](config=config)
    source = lambda: pd.read_csv(csv, chunksize=333, dtype=str, keep_default_na=False)  # noqa: E731
    s = growth.train(m, source, passes=2, holdout_every=9, weight="w", numeric=["price"], features=["user", "item"],
                     progress=False)
    cli = type(m).load(out)
    bits = int(dict(x.split("=", 1) for x in cli.config.split())["bits"])
    exact = "table=exact" in config
    test = growth.hash_frame(pd.read_csv(csv, dtype=str, keep_default_na=False), bits=bits, weight="w",
                             numeric=["price"], features=["user", "item"], keys=exact)
    if exact:  # both were fed the features' 64-bit keys
        np.testing.assert_array_equal(m.predict_keys(test["X"]), cli.predict_keys(test["X"]))
        assert m.stats() == cli.stats()
    elif kind == "ftrl":
        np.testing.assert_array_equal(m.predict_proba(test["X"]), cli.predict_proba(test["X"]))
        assert m.stats() == cli.stats()
    else:
        np.testing.assert_array_equal(m.predict_proba(test["X"], test["fields"]),
                                      cli.predict_proba(test["X"], test["fields"]))
    assert s.logloss == pytest.approx(loss, abs=2e-6) and s.auc == pytest.approx(auc, abs=2e-5)
    assert s.holdout_logloss == pytest.approx(hloss, abs=2e-6) and s.holdout_auc == pytest.approx(hauc, abs=2e-5)
    assert s.held == 2 * (2500 // 9) and s.trained == 5000 - s.held


def _colliding_values(field, seed=0):
    """Two values of `field` whose 64-bit keys differ but share their top 32 bits (their slots at
    bits=32 collide), found by a birthday search."""
    seen = {}
    for i in range(1 << 20):
        v = f"v{i}"
        top = growth.feature_key(field, v, seed) >> 32
        if top in seen:
            return seen[top], v
        seen[top] = v
    raise AssertionError("no 32-bit collision found")


@pytest.mark.parametrize("kind", ["ftrl", "fm", "ffm"])
def test_exact_models_get_full_keys(kind):
    """An exact model trained by growth.train on DataFrame chunks equals the same model trained
    through update_keys on the rows' growth.feature_key keys; two values whose 32-bit slots
    collide stay separate records."""
    a, b = _colliding_values("ns")
    assert growth.feature_hash("ns", a, 0, 32) == growth.feature_hash("ns", b, 0, 32)
    assert growth.feature_key("ns", a) != growth.feature_key("ns", b)
    rng = np.random.default_rng(4)
    n = 600
    vals = np.where(rng.random(n) < 0.5, a, b)
    other = np.array([f"o{i}" for i in rng.integers(0, 20, n)])
    y = np.where(vals == a, rng.random(n) < 0.9, rng.random(n) < 0.1).astype(int)
    df = pd.DataFrame({"label": y.astype(str), "ns": vals, "other": other})
    cfgs = {"ftrl": (growth.FTRL, "table=exact alpha=0.5"), "fm": (growth.FM, "table=exact k=4 bits=10 seed=2"),
            "ffm": (growth.FFM, "table=exact fields=2 k=4 bits=10 seed=2")}
    cls, cfg = cfgs[kind]
    m = cls(config=cfg)
    s = growth.train(m, [df.iloc[i:i + 128] for i in range(0, n, 128)], progress=False)
    ref = cls(config=cfg)
    keys = np.array([[growth.feature_key("ns", v), growth.feature_key("other", o)] for v, o in zip(vals, other)],
                    np.uint64)
    rows = (np.arange(0, 2 * n + 1, 2, dtype=np.uint64), keys.ravel(), np.ones(2 * n, np.float32))
    fld = np.tile(np.array([0, 1], np.uint8), n)
    kw = {} if kind == "ftrl" else {"fields": fld}
    p = ref.update_keys(rows, y.astype(np.float32), **kw)
    assert s.logloss == pytest.approx(log_loss(y, np.clip(np.asarray(p, np.float64).ravel(), 1e-15, 1 - 1e-15)),
                                      rel=1e-6)
    np.testing.assert_array_equal(m.predict_keys(rows, **kw), ref.predict_keys(rows, **kw))
    assert m.table_stats()["live"] == ref.table_stats()["live"] == 22  # a and b apart: 2 + 20 others
    one = lambda v: (np.array([0, 1], np.uint64), np.array([growth.feature_key("ns", v)], np.uint64))  # noqa: E731
    kw1 = {} if kind == "ftrl" else {"fields": np.array([0], np.uint8)}
    pa, pb = float(np.ravel(m.predict_keys(one(a), **kw1))[0]), float(np.ravel(m.predict_keys(one(b), **kw1))[0])
    assert pa > 0.6 and pb < 0.4


def test_hash_frame_is_the_cli_hashing():
    df = pd.read_csv(io.StringIO('label,user,price,w\n1,u1,2.5,1\n-1,,,0.5\n0,"a,b",1,2\n'), dtype=str,
                     keep_default_na=False)
    d = growth.hash_frame(df, bits=20, seed=3, weight="w", numeric=["price"])
    h = lambda f, v: growth.feature_hash(f, v, 3, 20)  # noqa: E731
    np.testing.assert_array_equal(d["X"][0], [0, 2, 2, 4])
    np.testing.assert_array_equal(d["X"][1], [h("user", "u1"), h("price", ""), h("user", "a,b"), h("price", "")])
    np.testing.assert_array_equal(d["X"][2], [1, 2.5, 1, 1])
    np.testing.assert_array_equal(d["y"], [1, 0, 0])
    np.testing.assert_array_equal(d["sample_weight"], [1, 0.5, 2])
    np.testing.assert_array_equal(d["fields"], [0, 1, 0, 1])  # categorical first, then numeric
    d = growth.hash_frame(df, bits=20, seed=3, weight="w", numeric=["price"], fields=["price", "user"])
    np.testing.assert_array_equal(d["fields"], [1, 0, 1, 0])
    d = growth.hash_frame(df, bits=20, seed=3, weight="w", numeric=["price"], keys=True)
    k = lambda f, v: growth.feature_key(f, v, 3)  # noqa: E731
    assert d["X"][1].dtype == np.uint64
    np.testing.assert_array_equal(d["X"][1], [k("user", "u1"), k("price", ""), k("user", "a,b"), k("price", "")])
    np.testing.assert_array_equal(d["X"][1] >> np.uint64(44), [h("user", "u1"), h("price", ""), h("user", "a,b"),
                                                              h("price", "")])
