import gzip
import os
import pickle

import numpy as np
import pytest

import growth

FMNIST = "/usr/share/datasets/fashion-mnist"


def load_fmnist(name):
    """Fashion-MNIST images as L2-normalised float32 rows (idx format, gzip)."""
    with gzip.open(os.path.join(FMNIST, name), "rb") as f:
        raw = f.read()
    n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    X = np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def brute(X, Q, k, metric):
    if metric == "l2":
        S = -(np.sum(Q ** 2, 1)[:, None] - 2 * Q @ X.T + np.sum(X ** 2, 1)[None, :])
    elif metric == "cosine":
        Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
        S = (Q / np.linalg.norm(Q, axis=1, keepdims=True)) @ Xn.T
    else:
        S = Q @ X.T
    I = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return I, np.take_along_axis(S, I, 1), S


def recall(I, J):
    return np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(I, J)])


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_flat_matches_numpy(metric):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3000, 50)).astype(np.float32)
    Q = rng.standard_normal((64, 50)).astype(np.float32)
    ref, refs, _ = brute(X.astype(np.float64), Q.astype(np.float64), 10, metric)
    for threads in (1, 2):
        with growth.Index(dim=50, metric=metric, threads=threads) as ix:
            ix.add(X, ids=np.arange(3000) * 2 + 5)
            I, S = ix.search(Q, 10)
            assert I.shape == (64, 10) and I.dtype == np.int64 and S.dtype == np.float32
            np.testing.assert_array_equal((I - 5) // 2, ref)
            want = -refs if metric == "l2" else refs
            np.testing.assert_allclose(S, want, rtol=1e-4, atol=1e-3)
            i1, s1 = ix.search(Q[3], 10)
            np.testing.assert_array_equal(i1, I[3])


def test_fashion_mnist_exact_against_numpy_and_faiss():
    faiss = pytest.importorskip("faiss")
    X = load_fmnist("train-images-idx3-ubyte.gz")
    Q = load_fmnist("t10k-images-idx3-ubyte.gz")[::20]  # 500 queries here; bench/recall_bench.py checks all 10k
    assert X.shape == (60000, 784)
    ix = growth.Index(dim=784, metric="cosine", kind="flat")
    ix.add(X)
    I, S = ix.search(Q, 10)
    # numpy brute force in float64, in chunks
    k_th = np.empty(len(Q))
    true_s = np.empty((len(Q), 10))
    ref = np.empty((len(Q), 10), np.int64)
    for b in range(0, len(Q), 500):
        Sb = (Q[b:b + 500] @ X.T).astype(np.float64)
        Ib = np.argsort(-Sb, 1)[:, :10]
        ref[b:b + 500] = Ib
        k_th[b:b + 500] = np.take_along_axis(Sb, Ib[:, 9:10], 1)[:, 0]
        true_s[b:b + 500] = np.take_along_axis(Sb, I[b:b + 500], 1)
    # same ids up to ties: every returned item scores at least the 10th best, scores are exact
    assert (true_s >= k_th[:, None] - 1e-5).all()
    np.testing.assert_allclose(S, true_s, atol=2e-5)
    assert np.mean(I == ref) > 0.995
    fi = faiss.IndexFlatIP(784)
    fi.add(X)
    _, F = fi.search(Q, 10)
    assert np.mean(I == F) > 0.995


def test_hnsw_and_ivf_recall_vs_numpy_and_peers():
    rng = np.random.default_rng(2)
    C = rng.standard_normal((30, 32)).astype(np.float32)
    X = (C[rng.integers(0, 30, 20000)] + 0.4 * rng.standard_normal((20000, 32))).astype(np.float32)
    Q = (C[rng.integers(0, 30, 200)] + 0.4 * rng.standard_normal((200, 32))).astype(np.float32)
    ref, _, _ = brute(X, Q, 10, "l2")
    h = growth.Index(dim=32, metric="l2", kind="hnsw", M=16, ef_construction=100, ef=100)
    h.add(X)
    I, S = h.search(Q, 10)
    assert recall(I, ref) >= 0.97
    assert np.all(np.diff(S, axis=1) >= 0)  # l2: ascending distances
    ivf = growth.Index(dim=32, metric="l2", kind="ivf", nlist=64, nprobe=64)
    ivf.add(X)
    J, _ = ivf.search(Q, 10)
    assert recall(J, ref) == 1.0  # all lists probed: exact
    ivf.set(nprobe=8)
    J8, _ = ivf.search(Q, 10)
    faiss = pytest.importorskip("faiss")
    fq = faiss.IndexFlatL2(32)
    fivf = faiss.IndexIVFFlat(fq, 32, 64)
    fivf.train(X)
    fivf.add(X)
    fivf.nprobe = 8
    _, F = fivf.search(Q, 10)
    # same algorithm, different k-means: recall within a few points of FAISS's
    assert recall(J8, ref) >= recall(F, ref) - 0.05


def test_filters_and_dedup():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((1000, 16)).astype(np.float32)
    q = rng.standard_normal(16).astype(np.float32)
    ix = growth.Index(dim=16, metric="ip")
    ix.add(X)
    s = X @ q
    allow = np.arange(0, 1000, 7)
    ids, sc = ix.search(q, 5, allow=allow)
    np.testing.assert_array_equal(ids, allow[np.argsort(-s[allow])[:5]])
    instock = np.zeros(1000, bool)
    instock[500:] = True
    ids, _ = ix.search(q, 5, bitmap=instock)
    np.testing.assert_array_equal(ids, 500 + np.argsort(-s[500:])[:5])
    ids, _ = ix.search(q, 5, where=lambda i: i % 2 == 0)
    np.testing.assert_array_equal(ids, 2 * np.argsort(-s[::2])[:5])
    # near-duplicates of the best item are dropped by dedup
    best = int(np.argmax(s))
    ix.add(np.stack([X[best] * 1.01, X[best] + 1e-3]), ids=[5000, 5001])
    ids, sc = ix.search(q, 6)
    assert set(ids[:3]) == {best, 5000, 5001}
    kept, ksc = ix.dedup(ids, sc, max_cos=0.99)
    assert len(kept) == 4 and kept[0] == ids[0] and not ({5000, 5001, best} - {kept[0]}) & set(kept[1:])
    np.testing.assert_array_equal(ksc, sc[np.isin(ids, kept)])
    picks, _ = ix.mmr(q, ids, 3, lam=0.3)
    assert len(set(picks) & {best, 5000, 5001}) == 1


def test_bad_input():
    ix = growth.Index(dim=4, metric="cosine", kind="hnsw")
    with pytest.raises(growth.InvalidState, match="empty"):
        ix.search(np.ones(4), 3)
    ix.add(np.eye(4), ids=[10, 11, 12, 13])
    with pytest.raises(growth.InvalidArgument, match="shape"):
        ix.add(np.ones((2, 5)))
    with pytest.raises(growth.InvalidArgument, match="shape"):
        ix.search(np.ones(3), 2)
    with pytest.raises(growth.InvalidArgument, match="duplicate id 11"):
        ix.add(np.ones((1, 4)), ids=[11])
    with pytest.raises(growth.InvalidArgument, match="twice"):
        ix.add(np.ones((2, 4)), ids=[20, 20])
    with pytest.raises(growth.InvalidArgument, match="not finite"):
        ix.add(np.array([[1, np.nan, 0, 0]]))
    with pytest.raises(growth.InvalidArgument, match="k is 0"):
        ix.search(np.ones(4), 0)
    with pytest.raises(growth.InvalidArgument, match="bogus"):
        growth.Index(dim=4, bogus=3)
    with pytest.raises(growth.InvalidArgument, match="metric"):
        growth.Index(dim=4, metric="hamming")
    assert len(ix) == 4  # unchanged and usable
    ids, sc = ix.search(np.array([0, 1, 0, 0]), 10)  # k > n: fewer results
    assert ids[0] == 11 and len(ids) == 4 and sc[0] == pytest.approx(1.0)
    I, S = ix.search(np.eye(4)[:2], 6)
    assert (I[:, 4:] == -1).all() and np.isnan(S[:, 4:]).all()


def test_save_load_pickle_and_corruption(tmp):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2000, 8)).astype(np.float32)
    Q = rng.standard_normal((20, 8)).astype(np.float32)
    for kind in ("flat", "hnsw", "ivf"):
        ix = growth.Index(dim=8, metric="l2", kind=kind, nlist=16)
        ix.add(X)
        ix.remove([1, 2, 3])
        p = tmp / f"{kind}.index"
        ix.save(p)
        assert growth.model_kind(str(p))[0] == "index"
        back = growth.Index.load(p)
        np.testing.assert_array_equal(back.search(Q, 5)[0], ix.search(Q, 5)[0])
        assert back.config == ix.config and back.stats()["count"] == 1997
        again = pickle.loads(pickle.dumps(ix))
        np.testing.assert_array_equal(again.search(Q, 5)[0], ix.search(Q, 5)[0])
        data = p.read_bytes()
        (tmp / "cut").write_bytes(data[: len(data) // 2])
        with pytest.raises(growth.FormatError):
            growth.Index.load(tmp / "cut")
    m = growth.FTRL(bits=4).partial_fit(np.eye(4), [0, 1, 0, 1])
    m.save(tmp / "ftrl.model")
    with pytest.raises(growth.FormatError, match="index"):
        growth.Index.load(tmp / "ftrl.model")


def test_remove_compact_and_stats():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((500, 8)).astype(np.float32)
    with growth.Index(dim=8, kind="hnsw", metric="l2") as ix:
        ix.add(X)
        assert ix.remove(np.arange(0, 500, 2)) == 250
        st = ix.stats()
        assert st["count"] == 250 and st["deleted"] == 250 and st["dim"] == 8
        assert st["memory_bytes"] > 500 * 8 * 4
        ids, _ = ix.search(X[:10], 3)
        assert (ids % 2 == 1).all()
        ix.compact()
        assert ix.stats()["deleted"] == 0
        ids, d = ix.search(X[1], 1)
        assert ids[0] == 1 and d[0] == pytest.approx(0, abs=1e-5)
        np.testing.assert_array_equal(ix.get(1), X[1])


def test_progress_cancel_leaves_index_unchanged():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((700, 8)).astype(np.float32)
    with growth.Index(dim=8, kind="hnsw", M=8) as ix:
        ix.add(X[:300])
        before = ix.stats()
        seen = []
        ix.set_progress(lambda stage, done: seen.append((stage, done)) or len(seen) == 2)
        with pytest.raises(growth.Canceled):
            ix.add(X[300:])
        assert [s for s, _ in seen] == ["add", "add"] and 0 < seen[0][1] < seen[1][1] <= 1
        assert ix.stats() == before
        ix.set_progress(None)
        ix.add(X[300:])
        assert len(ix) == 700
