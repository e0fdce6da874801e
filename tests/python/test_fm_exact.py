"""growth.FM / growth.FFM with table='exact': options pass through as configuration keys; rows of
64-bit keys (update_keys / predict_keys) train exactly like a hashed model without collisions;
admission and expiry against exact bookkeeping in Python; the memory cap; save/load; bad input."""
import numpy as np
import pytest

import growth


def _stream(n, nf, vocab, seed):
    rng = np.random.default_rng(seed)
    keys = (np.arange(nf)[None, :] * vocab + (rng.random((n, nf)) ** 2 * vocab).astype(np.int64))
    logit = ((keys * 2654435761) % 97).sum(axis=1) / 97.0 - nf / 2.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return keys.astype(np.uint64), y


def test_equivalent_to_hashed_without_collisions():
    keys, y = _stream(2000, 4, 500, 1)
    n, nf = keys.shape
    indptr = np.arange(0, n * nf + 1, nf, dtype=np.uint64)
    fields = np.tile(np.arange(nf, dtype=np.uint8), n)
    flat = keys.ravel()
    exact = growth.FFM(fields=nf, k=4, bits=16, table="exact")
    hashed = growth.FFM(fields=nf, k=4, bits=16, unseen="zero")  # exact: a feature without a record adds 0
    p_exact = exact.update_keys((indptr, flat), y, fields=fields)
    p_hashed = hashed.predict_update((indptr, flat.astype(np.uint32)), y, fields=fields)
    np.testing.assert_array_equal(p_exact, p_hashed)
    np.testing.assert_array_equal(exact.predict_keys((indptr, flat), fields=fields),
                                  hashed.predict_proba((indptr, flat.astype(np.uint32)), fields=fields))
    # the uint32 calls on an exact model take the values as keys
    np.testing.assert_array_equal(exact.predict_proba((indptr, flat.astype(np.uint32)), fields=fields),
                                  hashed.predict_proba((indptr, flat.astype(np.uint32)), fields=fields))
    assert exact.weight_key(int(flat[0])) == hashed.weight(int(flat[0]))
    np.testing.assert_array_equal(exact.factors_key(int(flat[1]), 2), hashed.factors(int(flat[1]), 2))
    st = exact.table_stats()
    assert st["live"] == st["admitted"] == len(np.unique(flat))
    assert st["evicted"] == st["expired"] == 0
    assert "table=exact" in exact.config


def test_admission_counts_exactly():
    rng = np.random.default_rng(3)
    rows = [[int(k) for k in rng.integers(0, 3000, 3) ** 1] for _ in range(3000)]
    m = growth.FM(k=4, bits=16, table="exact", admit=3, admit_sketch=1 << 20, l1=0)
    m.update_keys(rows, np.ones(len(rows), dtype=np.float32))
    counts = {}
    admitted = set()
    for r in rows:
        for k in r:
            if k in admitted:
                continue
            counts[k] = counts.get(k, 0) + 1
            if counts[k] >= 3:
                admitted.add(k)
    assert m.table_stats()["admitted"] == len(admitted)
    never = [k for k in range(3000) if k in counts and k not in admitted][:30]
    assert never
    for k in never:
        assert m.weight_key(k) == 0.0
        assert not m.factors_key(k).any()
    # a row of keys without records predicts as the bias alone
    p_unknown = m.predict_keys([never[:3]])
    p_empty = m.predict_keys([[]])
    assert p_unknown[0] == pytest.approx(p_empty[0], abs=1e-7)


def test_expiry_matches_last_update_bookkeeping():
    E = 300
    m = growth.FM(k=4, bits=16, table="exact", expire=E)
    last = {}
    rng = np.random.default_rng(5)
    rows = []
    for i in range(5000):
        rows.append([1, 10 + int(rng.integers(0, 2000)), 100000 + i])
    m.update_keys(rows, (rng.random(len(rows)) < 0.4).astype(np.float32))
    for i, r in enumerate(rows):
        for k in r:
            last[k] = i
    n = len(rows)
    expired = [k for k, t in last.items() if n - 1 - t >= E + 1]
    alive = [k for k, t in last.items() if n - 1 - t < E - 1]
    for k in expired[:200]:
        assert not m.factors_key(k).any(), k
    assert all(m.factors_key(k).any() for k in alive[:200])
    st = m.table_stats()
    assert st["expired"] > 0
    assert st["live"] >= sum(1 for t in last.values() if n - t <= E)


def test_memory_cap_and_round_trip(tmp_path):
    cap = 3 << 20
    m = growth.FFM(fields=3, k=4, bits=24, table="exact", max_memory=cap)
    rng = np.random.default_rng(7)
    rows = [[int(i % 7), 100 + int(rng.integers(0, 1 << 40)), 200 + int(rng.integers(0, 1 << 40))]
            for i in range(30000)]
    fields = [[0, 1, 2]] * len(rows)
    m.update_keys(rows, (np.arange(len(rows)) % 3 == 0).astype(np.float32), fields=fields)
    st = m.stats()
    assert st["evicted"] > 0 and st["bytes"] <= cap and st["live"] + st["evicted"] == st["admitted"]
    assert all(m.factors_key(k, 1).any() for k in range(7))  # recurring: never least recently used
    path = tmp_path / "ffm_exact.model"
    m.save(path)
    back = growth.FFM.load(path)
    test_rows = rows[-100:]
    np.testing.assert_array_equal(m.predict_keys(test_rows, fields=fields[:100]),
                                  back.predict_keys(test_rows, fields=fields[:100]))
    assert back.stats()["live"] == st["live"]
    assert back.config == m.config


def test_bad_input():
    with pytest.raises(growth.InvalidArgument, match="table=exact"):
        growth.FM(k=4, admit=2).update_keys([[1, 2]], [1])
    m = growth.FFM(fields=2, k=4, bits=10, table="exact")
    with pytest.raises(growth.InvalidArgument):
        m.update_keys([[1, 2]], [1])  # FFM needs fields
    with pytest.raises(growth.InvalidArgument):
        m.update_keys([[1, 2]], [1], fields=[[0, 5]])
    m.update_keys([[1, 2]], [1], fields=[[0, 1]])
    with pytest.raises(growth.InvalidArgument):
        m.update_keys([[1, 2]], [0.5], fields=[[0, 1]])
    with pytest.raises(growth.InvalidArgument):  # fit works on exact models and checks its input alike
        m.fit((np.array([0, 2], dtype=np.uint64), np.array([1, 2], dtype=np.uint32)), [1],
              fields=np.array([0, 5], dtype=np.uint8), epochs=1)
    assert m.table_stats()["examples"] == 1


@pytest.mark.parametrize("cls,params", [("FFM", dict(fields=3)), ("FM", {})])
def test_fit_and_esmm_on_exact_equal_hashed_unseen_zero(cls, params):
    """fit (epochs, validation, auto-stop) and ESMM on table=exact equal a hashed model with
    unseen=zero and no collisions (ids below 2^bits), bit for bit."""
    C = getattr(growth, cls)
    rng = np.random.default_rng(5)
    n, nnz = 900, 3
    ids = (np.arange(nnz)[None, :] * 500 + (rng.random((n, nnz)) ** 2 * 500).astype(np.int64)).astype(np.uint32)
    X = (np.arange(0, n * nnz + 1, nnz, dtype=np.uint64), ids.ravel(), rng.uniform(0.5, 1.5, n * nnz).astype(np.float32))
    fld = np.tile(np.arange(nnz, dtype=np.uint8), n)
    y = (rng.random(n) < 1 / (1 + np.exp(-((ids[:, 0] % 7) - 3.0) / 2))).astype(np.float32)
    tr, va = slice(0, 700), slice(700, n)
    def rows(sl):
        a, b = sl.start, sl.stop
        return (X[0][a:b + 1] - X[0][a], X[1][X[0][a]:X[0][b]], X[2][X[0][a]:X[0][b]]), fld[X[0][a]:X[0][b]], y[a:b]
    Xt, ft, yt = rows(tr)
    Xv, fv, yv = rows(va)
    h = C(k=4, bits=12, eta=0.5, unseen="zero", **params)
    x = C(k=4, bits=12, eta=0.5, table="exact", **params)
    for m in (h, x):
        m.fit(Xt, yt, fields=ft, epochs=30, validation=(Xv, yv, fv), seed=2)
    assert h.fit_result_ == x.fit_result_ and x.fit_result_["epochs"] == x.fit_result_["best_epoch"] + 1
    np.testing.assert_array_equal(h.predict_proba(Xv, fv), x.predict_proba(Xv, fv))
    h2 = C(k=4, bits=12, heads=2, unseen="zero", **params)
    x2 = C(k=4, bits=12, heads=2, table="exact", **params)
    conv = (y * (rng.random(n) < 0.4)).astype(np.float32)
    for m in (h2, x2):
        m.esmm_fit(X, y, conv, fields=fld)
    np.testing.assert_array_equal(h2.esmm_predict(X, fld), x2.esmm_predict(X, fld))
    assert x2.table_stats()["live"] > 0


def test_cli_train_fm_ffm_exact(tmp_path):
    import os
    import subprocess
    cli = os.environ.get("GROWTH_CLI") or os.path.join(
        os.path.dirname(os.environ.get("GROWTH_LIBRARY", "build/src/x")), "..", "cli", "growth")
    if not os.path.exists(cli):
        pytest.skip("growth CLI not built")
    rng = np.random.default_rng(2)
    lines = []
    for i in range(2000):
        u, it = int(rng.integers(0, 50)), int(rng.integers(0, 30))
        y = 1 if (u + it) % 3 == 0 else -1
        lines.append(f"{y} |user u{u} id{i} |item i{it}")
    data = tmp_path / "d.vw"
    data.write_text("\n".join(lines) + "\n")
    for mt, extra in (("fm", []), ("ffm", ["--fields", "user,item"])):
        model = tmp_path / f"{mt}.model"
        r = subprocess.run([cli, "train", "--model-type", mt, *extra, "--config",
                            "table=exact admit=2 expire=20 k=4", "--model", str(model), str(data)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        cls = growth.FM if mt == "fm" else growth.FFM
        m = cls.load(model)
        st = m.table_stats()
        assert "table=exact" in m.config and st["examples"] == 2000
        # the one-off ids are never admitted (admit=2), rare users and items expire (expire=20); the
        # admitted / expired counters start again at a load
        assert 0 < st["live"] < 80 and st["admitted"] == st["expired"] == 0
        r = subprocess.run([cli, "predict", *extra, "--model", str(model), str(data)], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        p = np.array([float(x) for x in r.stdout.split()])
        assert p.shape == (2000,) and np.all((p > 0) & (p < 1))
        y = np.array([1.0 if ln.startswith("1 ") else 0.0 for ln in lines])
        assert p[y == 1].mean() > p[y == 0].mean()
        r = subprocess.run([cli, "train", "--model-type", mt, *extra, "--resume", str(model), "--model",
                            str(tmp_path / "again"), str(data)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert cls.load(tmp_path / "again").table_stats()["examples"] == 4000
