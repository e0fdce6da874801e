"""Compressed vector storage (storage=fp16|pq, IVF-PQ, rerank): scores against a NumPy
re-implementation of asymmetric distance computation (ADC) on the index's own codebooks and
codes (read from its serialised envelope), recall against brute force and against FAISS's
IndexPQ / IndexIVFPQ at the same code size, persistence, filters, dedup and MMR."""
import os

import numpy as np
import pytest

import growth

HEADER = 40  # envelope header bytes (src/core/core.h GENV_HEADER_SIZE)


# ---- a minimal protobuf wire-format reader: the Index message's fields by number ----------
def _varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def _fields(b):
    out, i = {}, 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            v, i = bytes(b[i:i + n]), i + n
        elif wt == 1:
            v, i = bytes(b[i:i + 8]), i + 8
        elif wt == 5:
            v, i = bytes(b[i:i + 4]), i + 4
        else:
            raise ValueError(wt)
        out.setdefault(num, []).append(v)
    return out


def inspect(ix):
    """(codebooks m x 256 x dsub or None, codes n x cs uint8, centroids or None, assign, ids) of an index."""
    f = _fields(ix.to_bytes()[HEADER:])
    n = f[2][0]
    ids = []
    for blob in f.get(3, []):  # packed int64 varints
        j = 0
        while j < len(blob):
            v, j = _varint(blob, j)
            ids.append(v)
    codes = np.frombuffer(f.get(13, [b""])[0], np.uint8).reshape(n, -1)
    cb = f.get(14, [b""])[0]
    cent = f.get(11, [b""])[0]
    assign = np.frombuffer(f.get(12, [b""])[0], np.uint32)
    return (np.frombuffer(cb, np.float32) if cb else None, codes,
            np.frombuffer(cent, np.float32) if cent else None, assign, np.array(ids, np.int64))


def clustered(n, d, nc=64, seed=0, spread=0.35):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(nc, d)).astype(np.float32)
    X = C[rng.integers(0, nc, n)] + spread * rng.normal(size=(n, d)).astype(np.float32)
    return X.astype(np.float32), rng


def prep(X, metric):
    return X / np.linalg.norm(X, axis=1, keepdims=True) if metric == "cosine" else X


def key_matrix(Q, R, metric):
    """Similarity keys of queries vs rows (larger is better; l2: minus the squared distance)."""
    if metric == "l2":
        return -((Q ** 2).sum(1)[:, None] - 2 * Q @ R.T + (R ** 2).sum(1)[None, :])
    return Q @ R.T


def brute_ids(X, Q, k, metric):
    S = key_matrix(prep(Q, metric), prep(X, metric), metric)
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


def recall(I, J):
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(I, J)]))


def adc_reconstruct(ix, metric, m):
    """Reconstructions c + (w_1j1 .. w_mjm) from the stored codebooks, computed in NumPy."""
    cb, codes, cent, assign, ids = inspect(ix)
    d = ix.dim
    ds = d // m
    cb = cb.reshape(m, 256, ds)
    R = np.concatenate([cb[j][codes[:, j]] for j in range(m)], axis=1)
    if cent is not None:
        R = R + cent.reshape(-1, d)[assign]
    return R, ids, codes, cb, cent, assign


# ---- ADC equals NumPy ---------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["ip", "l2", "cosine"])
@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_pq_scores_equal_numpy_adc(metric, kind):
    d, m = 32, 8
    X, rng = clustered(3000, d, seed=3)
    Q = X[rng.integers(0, len(X), 20)] + 0.1 * rng.normal(size=(20, d)).astype(np.float32)
    extra = dict(nlist=16, nprobe=16) if kind == "ivf" else {}
    ix = growth.Index(d, metric=metric, kind=kind, storage="pq", pq_m=m, seed=1, **extra)
    ix.add(X)
    R, ids, codes, cb, cent, assign = adc_reconstruct(ix, metric, m)
    assert codes.shape == (len(X), m)
    assert cb.shape == (m, 256, d // m)
    Qp = prep(Q, metric)
    # the NumPy ADC: per query a table T[j][c] (u_j . w_jc or -|u_j - w_jc|^2) summed over codes
    S = np.empty((len(Q), len(X)), np.float64)
    for qi, q in enumerate(Qp.astype(np.float64)):
        if kind == "ivf":
            C = cent.reshape(-1, d).astype(np.float64)
            for li in range(C.shape[0]):
                rows = np.nonzero(assign == li)[0]
                u = q - C[li] if metric == "l2" else q
                T = np.stack([(cb[j].astype(np.float64) @ u[j * (d // m):(j + 1) * (d // m)]) if metric != "l2"
                              else -((u[j * (d // m):(j + 1) * (d // m)] - cb[j].astype(np.float64)) ** 2).sum(1)
                              for j in range(m)])
                adc = T[np.arange(m)[None, :], codes[rows]].sum(1)
                S[qi, rows] = adc + (q @ C[li] if metric != "l2" else 0.0)
        else:
            T = np.stack([(cb[j].astype(np.float64) @ q[j * (d // m):(j + 1) * (d // m)]) if metric != "l2"
                          else -((q[j * (d // m):(j + 1) * (d // m)] - cb[j].astype(np.float64)) ** 2).sum(1)
                          for j in range(m)])
            S[qi] = T[np.arange(m)[None, :], codes].sum(1)
    # ADC is the key of the reconstruction: cross-check the table sums with R directly
    Sr = key_matrix(Qp.astype(np.float64), R.astype(np.float64), metric)
    np.testing.assert_allclose(S, Sr, rtol=1e-6, atol=1e-4)
    I, D = ix.search(Q, 10)
    for qi in range(len(Q)):
        order = np.argsort(-S[qi], kind="stable")[:10]
        want = -S[qi][order] if metric == "l2" else S[qi][order]
        np.testing.assert_allclose(D[qi], want, rtol=1e-4, atol=2e-3)
        got = {int(i) for i in I[qi]}
        ref = {int(ids[j]) for j in order}
        assert len(got & ref) >= 9  # ties at the 10th score may be broken either way


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_fp16_scores_equal_numpy(kind):
    d = 24
    X, rng = clustered(2000, d, seed=4)
    Q = rng.normal(size=(10, d)).astype(np.float32)
    extra = dict(nlist=8, nprobe=8) if kind == "ivf" else {}
    ix = growth.Index(d, metric="l2", kind=kind, storage="fp16", **extra)
    ix.add(X)
    H = X.astype(np.float16).astype(np.float64)
    I, D = ix.search(Q, 5)
    S = -key_matrix(Q.astype(np.float64), H, "l2")
    ref = np.sort(S, axis=1)[:, :5]
    np.testing.assert_allclose(D, ref, rtol=1e-4, atol=1e-3)
    assert ix.stats()["code_bytes"] == 2 * d
    np.testing.assert_array_equal(ix.get(7), X[7].astype(np.float16).astype(np.float32))


def test_get_returns_reconstruction():
    d, m = 16, 4
    X, _ = clustered(1000, d, seed=5)
    ix = growth.Index(d, metric="l2", kind="ivf", nlist=8, storage="pq", pq_m=m)
    ix.add(X)
    R, ids, *_ = adc_reconstruct(ix, "l2", m)
    pos = {int(i): j for j, i in enumerate(ids)}
    for i in (0, 17, 999):
        np.testing.assert_allclose(ix.get(i), R[pos[i]], rtol=1e-6, atol=1e-6)


# ---- recall -------------------------------------------------------------------------------

def _faiss():
    return pytest.importorskip("faiss")


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_recall_vs_brute_force_and_faiss(metric):
    faiss = _faiss()
    d, m, n, nq, nlist, nprobe = 64, 16, 10000, 100, 64, 8
    X, rng = clustered(n, d, nc=100, seed=7, spread=0.5)
    Q = X[rng.integers(0, n, nq)] + 0.2 * rng.normal(size=(nq, d)).astype(np.float32)
    G = brute_ids(X, Q, 10, metric)
    fm = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT

    # flat PQ vs faiss.IndexPQ, m bytes a vector on both sides
    ix = growth.Index(d, metric=metric, storage="pq", pq_m=m, seed=1)
    ix.add(X)
    ours = recall(ix.search(Q, 10)[0], G)
    fp = faiss.IndexPQ(d, m, 8, fm)
    fp.train(X)
    fp.add(X)
    theirs = recall(fp.search(Q, 10)[1], G)
    assert ix.stats()["code_bytes"] == fp.code_size == m
    assert ours >= theirs - 0.05, (ours, theirs)
    assert ours > 0.4

    # IVF-PQ vs faiss.IndexIVFPQ (residuals on both sides)
    iv = growth.Index(d, metric=metric, kind="ivf", nlist=nlist, nprobe=nprobe, storage="pq", pq_m=m, seed=1)
    iv.add(X)
    ours_ivf = recall(iv.search(Q, 10)[0], G)
    qz = faiss.IndexFlatL2(d) if metric == "l2" else faiss.IndexFlatIP(d)
    fi = faiss.IndexIVFPQ(qz, d, nlist, m, 8, fm)
    fi.train(X)
    fi.add(X)
    fi.nprobe = nprobe
    theirs_ivf = recall(fi.search(Q, 10)[1], G)
    assert ours_ivf >= theirs_ivf - 0.05, (ours_ivf, theirs_ivf)

    # re-ranking a short list with the float vectors
    rr = growth.Index(d, metric=metric, kind="ivf", nlist=nlist, nprobe=nprobe, storage="pq", pq_m=m,
                      rerank=100, seed=1)
    rr.add(X)
    assert recall(rr.search(Q, 10)[0], G) > 0.9
    assert recall(rr.search(Q, 10)[0], G) >= ours_ivf


def test_recall_cosine_fp16_and_memory():
    d = 32
    X, rng = clustered(5000, d, seed=8)
    Q = rng.normal(size=(50, d)).astype(np.float32)
    G = brute_ids(X, Q, 10, "cosine")
    f32 = growth.Index(d, metric="cosine")
    f16 = growth.Index(d, metric="cosine", storage="fp16")
    pq = growth.Index(d, metric="cosine", storage="pq", pq_m=8)
    for ix in (f32, f16, pq):
        ix.add(X)
    assert recall(f16.search(Q, 10)[0], G) > 0.97
    s32, s16, spq = f32.stats(), f16.stats(), pq.stats()
    assert (s32["code_bytes"], s16["code_bytes"], spq["code_bytes"]) == (4 * d, 2 * d, 8)
    assert s16["memory_bytes"] < s32["memory_bytes"] and spq["memory_bytes"] < s16["memory_bytes"]
    assert s32["bytes_per_vector"] - s16["bytes_per_vector"] >= 2 * d - 4
    assert spq["bytes_per_vector"] == -(-spq["memory_bytes"] // spq["count"])


# ---- persistence --------------------------------------------------------------------------

@pytest.mark.parametrize("cfg", [dict(kind="flat", storage="pq", pq_m=8),
                                 dict(kind="ivf", storage="pq", pq_m=8, nlist=16, nprobe=4),
                                 dict(kind="ivf", storage="pq", pq_m=8, nlist=16, nprobe=4, rerank=50),
                                 dict(kind="flat", storage="fp16"),
                                 dict(kind="ivf", storage="fp16", nlist=16)])
def test_save_load_identical(tmp_path, cfg):
    d = 32
    X, rng = clustered(3000, d, seed=9)
    Q = rng.normal(size=(30, d)).astype(np.float32)
    ix = growth.Index(d, metric="l2", **cfg)
    ix.add(X)
    ix.remove(np.arange(0, 3000, 7))
    p = str(tmp_path / "pq.index")
    ix.save(p)
    iy = growth.Index.load(p)
    assert iy.config == ix.config
    a, b = ix.search(Q, 10), iy.search(Q, 10)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    sx, sy = ix.stats(), iy.stats()
    for key in ("count", "deleted", "dim", "code_bytes"):
        assert sx[key] == sy[key]
    if cfg["kind"] == "flat":
        assert sx == sy  # IVF lists may differ in growth slack
    assert iy.to_bytes() == ix.to_bytes()
    # compaction keeps the codes as they are: the same results
    ix.compact()
    assert ix.stats()["deleted"] == 0
    c = ix.search(Q, 10)
    np.testing.assert_array_equal(a[0], c[0])
    np.testing.assert_allclose(a[1], c[1], rtol=1e-6)


def test_truncated_and_corrupted(tmp_path):
    d = 16
    X, _ = clustered(600, d, seed=10)
    ix = growth.Index(d, kind="ivf", nlist=4, storage="pq", pq_m=4)
    ix.add(X)
    buf = ix.to_bytes()
    for cut in (10, HEADER, len(buf) // 2, len(buf) - 1):
        with pytest.raises(growth.FormatError):
            growth.Index.from_bytes(buf[:cut])
    bad = bytearray(buf)
    bad[len(bad) // 2] ^= 0x40
    with pytest.raises(growth.FormatError):
        growth.Index.from_bytes(bytes(bad))
    p = tmp_path / "t.index"
    p.write_bytes(buf[:-5])
    with pytest.raises(growth.FormatError):
        growth.Index.load(str(p))


# ---- configuration ------------------------------------------------------------------------

def test_bad_config():
    with pytest.raises(growth.InvalidArgument, match="pq_m"):
        growth.Index(30, storage="pq", pq_m=8)  # 8 does not divide 30
    with pytest.raises(growth.InvalidArgument, match="storage"):
        growth.Index(8, kind="hnsw", storage="pq", pq_m=2)
    with pytest.raises(growth.InvalidArgument, match="rerank"):
        growth.Index(8, rerank=10)  # float storage: nothing to re-rank
    with pytest.raises(growth.InvalidArgument, match="quantize"):
        growth.Index(8, storage="fp16", quantize="int8")
    with pytest.raises(growth.InvalidArgument, match="storage"):
        growth.Index(8, storage="bf16")
    with pytest.raises(growth.InvalidArgument, match="pq_train"):
        growth.Index(8, storage="pq", pq_m=2, pq_train=100)
    X, _ = clustered(200, 8, seed=11)
    ix = growth.Index(8, storage="pq", pq_m=2)
    with pytest.raises(growth.InvalidArgument, match="256"):
        ix.train(X)  # too few training vectors for 256 codewords
    with pytest.raises(growth.InvalidState, match="256"):
        ix.add(X)
    assert len(ix) == 0
    X2, _ = clustered(300, 8, seed=11)
    ix.train(X2)
    ix.add(X)  # trained: any batch size
    assert len(ix) == 200
    with pytest.raises(growth.InvalidArgument, match="rerank"):
        ix.set(rerank=20)  # created without rerank: no float vectors to re-score
    rr = growth.Index(8, storage="pq", pq_m=2, rerank=5)
    rr.set(rerank=40)
    assert "rerank=40" in rr.config
    f16 = growth.Index(4, storage="fp16")
    with pytest.raises(growth.InvalidArgument, match="fp16"):
        f16.add(np.array([[1e6, 0, 0, 0]], np.float32))
    assert len(f16) == 0
    with pytest.raises(growth.InvalidState):
        growth.Index(8, storage="fp16").train(X2)  # nothing to train


def test_pq_train_sample_and_progress():
    d = 16
    X, _ = clustered(3000, d, seed=12)
    stages = []
    ix = growth.Index(d, kind="ivf", nlist=8, storage="pq", pq_m=4, pq_train=1000)
    ix.set_progress(lambda s, done: stages.append(s) and False)
    ix.add(X)
    assert stages.count("train") >= 12 + 4 and "add" in stages
    # cancel during the PQ training: the index is as before (untrained, empty)
    calls = []

    def stop(stage, done):
        calls.append(stage)
        return len(calls) > 14  # past the 12 coarse k-means iterations, inside the PQ training

    iy = growth.Index(d, kind="ivf", nlist=8, storage="pq", pq_m=4)
    iy.set_progress(stop)
    with pytest.raises(growth.Canceled):
        iy.add(X)
    assert len(iy) == 0
    iy.set_progress(None)
    iy.add(X)
    assert len(iy) == len(X)


# ---- filters, dedup, MMR ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_filters_dedup_mmr(kind):
    d, m = 16, 4
    X, rng = clustered(4000, d, seed=13)
    X[1] = X[0] + 1e-4  # a near-duplicate
    Q = rng.normal(size=(5, d)).astype(np.float32)
    extra = dict(nlist=16, nprobe=4) if kind == "ivf" else {}
    ix = growth.Index(d, metric="cosine", kind=kind, storage="pq", pq_m=m, **extra)
    ix.add(X)
    R, ids, *_ = adc_reconstruct(ix, "cosine", m)
    pos = {int(i): j for j, i in enumerate(ids)}
    allow = np.arange(100, 160)
    for q in Q:
        I, D = ix.search(q[None], 10, allow=allow)
        assert len(I[0]) == 10 and set(I[0]) <= set(allow)
        # a selective filter is scored exactly on the reconstructions
        Rq = R[[pos[i] for i in allow]]
        sc = (Rq @ (q / np.linalg.norm(q)))
        np.testing.assert_allclose(np.sort(D[0])[::-1], np.sort(sc)[::-1][:10], rtol=1e-4, atol=1e-4)
        keep = np.zeros(4000, bool)
        keep[::3] = True
        I2, _ = ix.search(q[None], 10, bitmap=keep)
        assert all(i % 3 == 0 for i in I2[0])
        I3, _ = ix.search(q[None], 10, where=lambda i: i % 2 == 1)
        assert all(i % 2 == 1 for i in I3[0])
    kept = ix.dedup(np.array([0, 1, 2]), max_cos=0.99)
    assert kept[0] == 0
    Rn = R / np.linalg.norm(R, axis=1, keepdims=True)
    if Rn[pos[0]] @ Rn[pos[1]] > 0.99:
        assert 1 not in set(kept)
    picks, _ = ix.mmr(Q[0], np.arange(50), 5, lam=0.5)
    assert len(picks) == 5 and len(set(picks)) == 5
    # removed items are never returned
    ix.remove(np.arange(0, 4000, 2))
    I4, _ = ix.search(Q, 10)
    assert all(i % 2 == 1 for i in I4.ravel())


def test_batch_threads_same_as_single():
    d = 32
    X, rng = clustered(5000, d, seed=14)
    Q = rng.normal(size=(64, d)).astype(np.float32)
    ix = growth.Index(d, metric="ip", kind="ivf", nlist=32, nprobe=6, storage="pq", pq_m=8, threads=2, rerank=30)
    ix.add(X)
    Ib, Db = ix.search(Q, 10)
    for i in range(0, 64, 9):
        I1, D1 = ix.search(Q[i:i + 1], 10)
        np.testing.assert_array_equal(I1[0], Ib[i])


def test_ivf_pq_bytes_per_vector_computed():
    """IVF-PQ's memory_bytes against the sum of what it keeps, computed here: per slot an 8-byte
    id, a 4-byte list number and a tombstone bit; per list entry a 4-byte slot and the m-byte
    code (capacity: the list's size plus at most 1/8 + 8); the slot-only id map (4-byte cells,
    a power of two at most half full); centroids, codebooks and the precomputed l2 tables.
    Only the handle itself (under 4 KiB) is left over."""
    d, m, nlist, n = 32, 8, 16, 6000
    X, _ = clustered(n, d, seed=11)
    ix = growth.Index(d, metric="l2", kind="ivf", nlist=nlist, storage="pq", pq_m=m, seed=1)
    ix.add(X)
    st = ix.stats()
    cells = 64
    while (n + 1) * 2 > cells:
        cells *= 2
    fixed = (nlist * (d * 4 + 4 + 8 + 8 + 8)  # centroids, their norms, list pointers and sizes
             + d * 256 * 4 * 2 + m * 256 * 4  # codebooks, transposed, codeword norms
             + nlist * m * 256 * 4)           # precomputed l2 tables
    lo = fixed + n * (8 + 4) + (n + 7) // 8 + cells * 4 + n * (4 + m)
    hi = lo + (n // 8 + 8 * nlist) * (4 + m) + 4096
    assert lo <= st["memory_bytes"] <= hi, (lo, st["memory_bytes"], hi)
    assert st["bytes_per_vector"] == -(-st["memory_bytes"] // n)
    # removal keeps the accounting (tombstones), compaction gives the slots back
    ix.remove(np.arange(0, n, 2))
    assert ix.stats()["memory_bytes"] == st["memory_bytes"]
    ix.compact()
    st2 = ix.stats()
    assert st2["count"] == n // 2 and st2["memory_bytes"] < st["memory_bytes"] - (n // 2) * (8 + 4 + 4 + m)


# ---- OPQ (opq=1) ---------------------------------------------------------------------------

def anisotropic(n, d, seed, nq=200):
    """Gaussian data whose variance falls from 3 to 0.05 along directions mixed by a random
    rotation: plain PQ's sub-spaces then carry very unequal energy."""
    rng = np.random.default_rng(seed)
    Qr, _ = np.linalg.qr(rng.normal(size=(d, d)))
    s = np.geomspace(3, 0.05, d)
    X = ((rng.normal(size=(n, d)) * s) @ Qr.T).astype(np.float32)
    Q = ((rng.normal(size=(nq, d)) * s) @ Qr.T).astype(np.float32)
    return X, Q


def rotation(ix):
    f = _fields(ix.to_bytes()[HEADER:])
    d = ix.dim
    return np.frombuffer(f[15][0], np.float32).reshape(d, d).astype(np.float64) if 15 in f else None


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_opq_rotation_error_recall(kind):
    n, d, m = 6000, 32, 8
    X, Q = anisotropic(n, d, seed=3)
    G = brute_ids(X, Q, 10, "l2")
    out = {}
    for opq in (0, 1):
        ix = growth.Index(d, metric="l2", kind=kind, nlist=16, nprobe=16, storage="pq", pq_m=m, seed=1, opq=opq,
                          iters=6)
        ix.add(X)
        Rc = np.stack([ix.get(i) for i in range(n)])
        out[opq] = (ix, float(((X - Rc) ** 2).sum(1).mean()), recall(ix.search(Q, 10)[0], G), Rc)
    ix, err, rec, Rc = out[1]
    assert rotation(out[0][0]) is None
    R = rotation(ix)
    assert np.abs(R @ R.T - np.eye(d)).max() < 1e-5
    assert err < 0.7 * out[0][1], (err, out[0][1])  # lower quantisation error than plain PQ
    assert rec >= out[0][2] - 0.01, (rec, out[0][2])  # recall no worse
    # NumPy: reconstructions c + R^T (w_1 .. w_m) from the stored codes, codebooks and rotation
    cb, codes, cent, assign, ids = inspect(ix)
    W = np.concatenate([cb.reshape(m, 256, d // m)[j][codes[:, j]] for j in range(m)], axis=1)
    Y = W.astype(np.float64) @ R
    if cent is not None:
        Y += cent.reshape(-1, d)[assign]
    assert np.allclose(Y[np.argsort(ids)], Rc, atol=1e-4)
    # the codes are the nearest codewords of R (x - c), sub-space by sub-space
    Z = (X.astype(np.float64) - (cent.reshape(-1, d)[assign][np.argsort(np.argsort(ids))] if cent is not None
                                 else 0)) @ R.T
    order = np.argsort(ids)
    cbr = cb.reshape(m, 256, d // m)
    for j in range(m):
        sub = Z[:, j * (d // m):(j + 1) * (d // m)]
        dist = ((sub[:, None, :] - cbr[j][None, :, :]) ** 2).sum(2)
        best = dist.min(1)
        got = dist[np.arange(n), codes[order, j]]
        assert np.all(got <= best + 1e-4 * (1 + best))
    # search scores are those of the reconstructions (ADC with the rotated query)
    I, D = ix.search(Q[:20], 10)
    ref = ((Q[:20, None, :].astype(np.float64) - Rc[I]) ** 2).sum(2)
    assert np.allclose(D, ref, rtol=1e-3, atol=1e-3)
    # save / load and compaction keep the rotation and the answers
    iy = growth.Index.from_bytes(ix.to_bytes())
    assert np.array_equal(rotation(iy), R)
    assert np.array_equal(iy.search(Q, 10)[0], ix.search(Q, 10)[0])
    ix.remove(np.arange(0, n, 3))
    ix.compact()
    assert np.array_equal(rotation(ix), R)
    assert np.allclose(np.stack([ix.get(i) for i in range(1, 300, 3)]), Rc[1:300:3], atol=1e-5)


def test_opq_config_and_file_checks():
    with pytest.raises(growth.InvalidArgument, match="opq"):
        growth.Index(8, storage="fp16", opq=1)
    with pytest.raises(growth.InvalidArgument, match="opq"):
        growth.Index(8, opq=1)
    with pytest.raises(growth.InvalidArgument, match="opq"):
        growth.Index(8, storage="pq", pq_m=4, opq=2)
    X, _ = anisotropic(600, 16, seed=5)
    ix = growth.Index(16, metric="l2", storage="pq", pq_m=4, opq=1, iters=3)
    assert "opq=1" in ix.config
    ix.add(X)
    R = rotation(ix)
    assert R is not None and np.abs(R @ R.T - np.eye(16)).max() < 1e-5
    ix.set(nprobe=4)  # run-time keys still work; opq is fixed at creation
    with pytest.raises(growth.InvalidArgument, match="opq"):
        ix.set(opq=0)


@pytest.mark.parametrize("kind,metric,rerank", [("flat", "l2", 0), ("ivf", "l2", 20), ("ivf", "cosine", 0),
                                                ("flat", "ip", 20)])
def test_opq_batch_equals_single_queries(kind, metric, rerank):
    """A batch on an OPQ index rotates its queries together (a chunk at a time, R read once per
    chunk); each rotation is the single search's dot products, so every query's ids and scores
    equal its single search bit for bit: 70 queries (chunks of 32 and a remainder), 2 threads,
    with and without an allow-list filter."""
    d = 24
    X, rng = clustered(3000, d, seed=21)
    Q = rng.normal(size=(70, d)).astype(np.float32)
    ix = growth.Index(d, metric=metric, kind=kind, nlist=16, nprobe=4, storage="pq", pq_m=6, opq=1, iters=4,
                      seed=3, threads=2, rerank=rerank)
    ix.add(X)
    allow = np.arange(0, 3000, 3)
    for filt in (None, allow):
        Ib, Db = ix.search(Q, 10, allow=filt)
        for i in range(len(Q)):
            I1, D1 = ix.search(Q[i], 10, allow=filt)
            np.testing.assert_array_equal(I1, Ib[i, :len(I1)])
            np.testing.assert_array_equal(D1, Db[i, :len(D1)])
            if filt is not None:
                assert np.all(I1 % 3 == 0)
