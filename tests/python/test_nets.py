"""growth.Net / growth.DSSM against numpy float64 references, exporter round trips, bad input
and hostile files (no torch needed; test_nets_torch.py compares with PyTorch)."""
import pickle
import threading

import numpy as np
import pytest

import growth
from growth import export
from growth.nets import hash_text


def rel_err(ours, ref):
    """Max error relative to each value, or to the outputs' RMS for values below it: two float32
    implementations that sum in different orders differ by ~1e-7 of the output scale, which is
    an unbounded relative error for outputs that happen to be near 0."""
    ref = np.asarray(ref, np.float64)
    floor = np.sqrt(np.mean(ref ** 2)) + 1e-30
    return float(np.max(np.abs(np.asarray(ours, np.float64) - ref) / np.maximum(np.abs(ref), floor)))


def random_mlp(rng, sizes, act="relu"):
    layers = []
    for k in range(len(sizes) - 1):
        W = (rng.standard_normal((sizes[k + 1], sizes[k])) / np.sqrt(sizes[k])).astype(np.float32)
        layers.append(("dense", W, (0.1 * rng.standard_normal(sizes[k + 1])).astype(np.float32)))
        if k < len(sizes) - 2:
            layers.append(act)
    return layers


ACT = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
       "identity": lambda v: v}


def numpy_forward(layers, X):
    h = np.asarray(X, np.float64)
    for l in layers:
        if isinstance(l, str):
            h = ACT[l](h)
        else:
            h = h @ l[1].astype(np.float64).T + l[2]
    return h


def test_mlp_matches_numpy_single_and_batch(tmp):
    rng = np.random.default_rng(0)
    layers = random_mlp(rng, [50, 64, 32, 4], act="tanh") + ["sigmoid"]
    export.write_net(tmp / "m.net", layers, 50)
    assert growth.model_kind(tmp / "m.net")[0] == "net"
    X = rng.standard_normal((700, 50)).astype(np.float32)
    ref = numpy_forward(layers, X)
    with growth.Net.load(tmp / "m.net", batch=64) as net:
        assert (net.dense_dim, net.out_dim, net.n_fields, net.wide_rows) == (50, 4, 0, 0)
        assert net.config == "dense_dim=50 embeddings= layers=dense:50x64,tanh,dense:64x32,tanh,dense:32x4,sigmoid wide= output=identity"
        out = net.predict(X)
        assert out.shape == (700, 4) and out.dtype == np.float32
        assert rel_err(out, ref) < 1e-5
        single = np.stack([net.predict(X[i]) for i in range(0, 700, 37)])
        assert rel_err(single, ref[::37]) < 1e-5


def test_tanh_layer_is_accurate_to_a_few_ulps(tmp):
    """The tanh kernel (a vectorised expm1 polynomial, not libm) against tanh in double on a
    grid over [-12, 12] with tiny and huge inputs: within 4 float ulps, odd, exact at 0, and
    saturated to +-1 past 9, in the batch (sgemm) and the single-row paths."""
    x = np.concatenate([np.linspace(-12, 12, 200001), np.geomspace(1e-30, 1e-2, 2000),
                        -np.geomspace(1e-30, 1e-2, 2000), [0.0, 3e38, -3e38]]).astype(np.float32)
    export.write_net(tmp / "t.net", [("dense", np.ones((1, 1), np.float32), np.zeros(1, np.float32)), "tanh"], 1)
    with growth.Net.load(tmp / "t.net", batch=512) as net:
        got = net.predict(x.reshape(-1, 1)).reshape(-1).astype(np.float64)
        single = np.array([net.predict(x[i:i + 1]) for i in range(0, x.size, 997)]).reshape(-1)
    ref = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got - ref) / ulp) <= 4.0
    np.testing.assert_array_equal(single, got[::997].astype(np.float32))
    assert got[x == 0][0] == 0 and np.all(np.abs(got[np.abs(x) >= 9]) == 1)
    np.testing.assert_array_equal(got[:100000], -got[200000:100000:-1])  # odd


def test_wide_and_deep_matches_numpy(tmp):
    rng = np.random.default_rng(1)
    E0 = rng.standard_normal((20, 4)).astype(np.float32)
    E1 = rng.standard_normal((7, 3)).astype(np.float32)
    layers = random_mlp(rng, [5 + 4 + 3, 16, 2])
    Ww = rng.standard_normal((100, 2)).astype(np.float32)
    bw = np.array([0.5, -0.5], np.float32)
    export.write_net(tmp / "wd.net", layers, 5, [(E0, "mean"), (E1, "sum")], (Ww, bw), "sigmoid")
    n = 300
    X = rng.standard_normal((n, 5)).astype(np.float32)
    cat_ptr, cat_f, cat_i, wide_ptr, wide_i, wide_v = [0], [], [], [0], [], []
    ref_in = np.zeros((n, 12))
    ref_wide = np.zeros((n, 2))
    for r in range(n):
        ids0 = rng.integers(0, 20, rng.integers(0, 4))
        ids1 = rng.integers(0, 7, rng.integers(0, 3))
        for f, ids in ((0, ids0), (1, ids1)):
            cat_f += [f] * len(ids)
            cat_i += list(ids)
        cat_ptr.append(len(cat_f))
        ref_in[r, :5] = X[r]
        if len(ids0):
            ref_in[r, 5:9] = E0[ids0].astype(np.float64).mean(0)
        ref_in[r, 9:] = E1[ids1].astype(np.float64).sum(0)
        wi = rng.integers(0, 100, rng.integers(0, 5))
        wv = rng.standard_normal(len(wi))
        wide_i += list(wi)
        wide_v += list(wv)
        wide_ptr.append(len(wide_i))
        ref_wide[r] = (Ww[wi].astype(np.float64) * wv.astype(np.float32)[:, None]).sum(0)
    ref = 1 / (1 + np.exp(-(numpy_forward(layers, ref_in) + ref_wide + bw)))
    with growth.Net.load(tmp / "wd.net", batch=32) as net:
        assert net.n_fields == 2 and net.wide_rows == 100
        out = net.predict_wide_deep(X, (cat_ptr, cat_f, cat_i), (wide_ptr, wide_i, wide_v))
        assert rel_err(out, ref) < 1e-5
        c, w = slice(cat_ptr[3], cat_ptr[4]), slice(wide_ptr[3], wide_ptr[4])
        one = net.predict_wide_deep(X[3], ([0, c.stop - c.start], cat_f[c], cat_i[c]),
                                    ([0, w.stop - w.start], wide_i[w], wide_v[w]))
        assert rel_err(one, ref[3]) < 1e-5
        with pytest.raises(growth.InvalidArgument, match="outside its 20 embedding rows"):
            net.predict_wide_deep(X[:1], ([0, 1], [0], [20]))


def test_bad_input_and_round_trips(tmp):
    rng = np.random.default_rng(2)
    layers = random_mlp(rng, [8, 6, 1])
    export.write_net(tmp / "m.net", layers, 8)
    net = growth.Net.load(tmp / "m.net")
    X = rng.standard_normal((10, 8)).astype(np.float32)
    with pytest.raises(growth.InvalidArgument, match="input width 7"):
        net.predict(X[:, :7])
    Xn = X.copy()
    Xn[4, 2] = np.nan
    with pytest.raises(growth.InvalidArgument, match="row 4 column 2 is NaN"):
        net.predict(Xn)
    p = net.predict(X)
    net.save(tmp / "copy.net")
    np.testing.assert_array_equal(growth.Net.load(tmp / "copy.net").predict(X), p)
    np.testing.assert_array_equal(growth.Net.from_bytes(net.to_bytes()).predict(X), p)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(net)).predict(X), p)
    net.close()
    with pytest.raises(ValueError, match="closed"):
        net.predict(X)


def test_hostile_files(tmp):
    rng = np.random.default_rng(3)
    good = export.net_bytes(random_mlp(rng, [4, 3, 1]), 4)
    growth.Net.from_bytes(good).close()
    for cut in (0, 10, 39, 40, len(good) // 2, len(good) - 1):
        with pytest.raises(growth.FormatError):
            growth.Net.from_bytes(good[:cut])
    bad = bytearray(good)
    bad[-3] ^= 0x10
    with pytest.raises(growth.FormatError):
        growth.Net.from_bytes(bytes(bad))
    with pytest.raises(growth.FormatError, match="expected 'dssm'"):
        growth.DSSM.from_bytes(good)
    # Unknown layer type, NaN weights, truncated weight arrays: hand-made payloads.
    meta = export._len(1, export._meta("x"))
    def net_with(layer):
        return export.envelope(export.KIND_NET, meta + export._uint(2, 2) + export._len(4, layer))
    W, b = np.ones((1, 2), np.float32), np.zeros(1, np.float32)
    ok = export._str(1, "dense") + export._uint(2, 2) + export._uint(3, 1)
    growth.Net.from_bytes(net_with(ok + export._floats(4, W) + export._floats(5, b))).close()
    with pytest.raises(growth.FormatError, match="unknown layer type 'conv2d'"):
        growth.Net.from_bytes(net_with(export._str(1, "conv2d")))
    with pytest.raises(growth.FormatError, match="NaN or Inf"):
        growth.Net.from_bytes(net_with(ok + export._floats(4, np.array([[1, np.nan]], np.float32)) + export._floats(5, b)))
    with pytest.raises(growth.FormatError, match="has 1 weights"):
        growth.Net.from_bytes(net_with(ok + export._floats(4, W[:, :1]) + export._floats(5, b)))
    with pytest.raises(ValueError, match="unknown layer type"):
        export.write_net(tmp / "x.net", [("softmax",)], 3)
    with pytest.raises(growth.IOFailure):
        growth.Net.load(tmp / "missing.net")


def test_word_hashing():
    idx, val = hash_text("good GOOD", 1 << 20, seed=7)
    ref = sorted({growth.hash64(g, 7) % (1 << 20) for g in ("#go", "goo", "ood", "od#")})
    assert list(idx) == ref and list(val) == [2.0] * 4
    idx, val = hash_text("北京大学", 1 << 20)
    grams = ["北", "京", "大", "学", "北京", "京大", "大学"]
    assert list(idx) == sorted({growth.hash64(g, 0) % (1 << 20) for g in grams})
    assert hash_text("", 10)[0].size == 0


def dssm_layers(rng, buckets, dims):
    return random_mlp(rng, [buckets, *dims], act="tanh") + ["tanh"]


def numpy_encode(layers, texts, buckets, seed):
    X = np.zeros((len(texts), buckets))
    for r, t in enumerate(texts):
        idx, val = hash_text(t, buckets, seed)
        X[r, idx] = val
    h = numpy_forward(layers, X)
    return h / np.linalg.norm(h, axis=1, keepdims=True)


def test_dssm_matches_numpy_and_threads(tmp):
    rng = np.random.default_rng(4)
    q, it = dssm_layers(rng, 500, [32, 16]), dssm_layers(rng, 500, [24, 16])
    export.write_dssm(tmp / "m.dssm", q, it, 500, seed=9)
    texts = ["running shoes", "跑步鞋 nike air", "wireless earbuds", "", "coffee beans espresso"] * 20
    d = growth.DSSM.load(tmp / "m.dssm", batch=16)
    assert (d.dim, d.buckets, d.seed) == (16, 500, 9)
    Q, I = d.encode_queries(texts), d.encode_items(texts)
    assert Q.shape == (100, 16)
    assert rel_err(Q, numpy_encode(q, texts, 500, 9)) < 1e-5
    assert rel_err(I, numpy_encode(it, texts, 500, 9)) < 1e-5
    np.testing.assert_allclose(d.score("running shoes", texts[:5]), I[:5] @ Q[0], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(Q, axis=1), 1, atol=1e-6)
    np.testing.assert_array_equal(growth.DSSM.from_bytes(d.to_bytes()).encode_queries(texts), Q)
    with pytest.raises(growth.InvalidArgument):
        d.encode_queries("one string")
    with pytest.raises(growth.FormatError, match="expected 'net'"):
        growth.Net.from_bytes(d.to_bytes())
    # One model, eight threads, each with its own workspace: identical results.
    results = [None] * 8

    def work(k):
        results[k] = d.encode_items(texts)
    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, I)
    d.close()
