"""Self-tests of the NumPy FM/FFM reference (fm_ref.py) that test_fm_vs_ref.py holds the library
to: the O(n^2) FM sum against the O(nk) identity, the reference gradient against central finite
differences of the reference loss for every parameter kind, its FTRL part against growth.FTRL,
the LIBFFM writer/reader, and train_epoch against an independent LIBFFM-style AdaGrad loop."""
import math

import numpy as np
import pytest

import fm_ref as R


def random_rows(rng, n, bits, fields, nnz=(2, 7), values=True, distinct=True):
    rows = []
    for _ in range(n):
        t = int(rng.integers(nnz[0], nnz[1] + 1))
        idx = rng.choice(1 << bits, size=t, replace=not distinct)
        fld = rng.integers(0, fields, size=t)
        val = rng.uniform(0.3, 1.7, size=t) if values else np.ones(t)
        rows.append((idx, fld, val))
    return rows


def test_fm_pairwise_quadratic_sum_equals_linear_identity():
    rng = np.random.default_rng(1)
    cfg = R.config(model="fm", k=5, bits=6, heads=1)
    p = R.init_params(cfg, V0=rng.normal(size=(64, 1, 5)))
    for idx, fld, val in random_rows(rng, 50, 6, 1, nnz=(0, 12), distinct=False):
        slow = R.pairwise_d(p, idx, None, val, cfg)
        fast = R.pairwise_fm_fast(p.V, idx, val)
        np.testing.assert_allclose(slow, fast, rtol=1e-12, atol=1e-12)


def test_ffm_margin_is_libffm_formula_and_normalisation():
    rng = np.random.default_rng(2)
    cfg = R.config(model="ffm", k=3, fields=4, bits=5, linear=False, bias=False)
    p = R.init_params(cfg, V0=rng.normal(size=(32, 4, 3)))
    for row in random_rows(rng, 30, 5, 4):
        np.testing.assert_allclose(R.margins(p, *row, cfg)[0], R.libffm_margin(p.V, row, True), rtol=1e-12)
    # r = 1 for an empty row; without normalize, r = 1.
    assert R.norm_r(np.zeros(0), cfg) == 1.0
    assert R.norm_r(np.array([2.0, 1.0]), cfg) == pytest.approx(0.2)
    assert R.norm_r(np.array([2.0, 1.0]), dict(cfg, normalize=False)) == 1.0
    # margin clamp: probabilities saturate at sigmoid(+-35)
    assert R.sigmoid(1000.0) == R.sigmoid(35.0) and R.sigmoid(-1000.0) == R.sigmoid(-35.0)


CASES = [
    dict(model="ffm", heads=1, normalize=True),
    dict(model="ffm", heads=3, normalize=False),
    dict(model="fm", heads=1, normalize=True),
    dict(model="fm", heads=3, normalize=True),
]


def _start(cfg, rng):
    """Parameters with every kind non-trivial: random factors and u, linear and bias z beyond l1."""
    n, m, k, H = 1 << cfg["bits"], R.vectors_per_slot(cfg), cfg["k"], cfg["heads"]
    p = R.init_params(cfg, V0=rng.normal(0, 0.5, size=(n, m, k)))
    p.u = rng.normal(1, 0.3, size=(H, k))
    p.z = rng.choice([-1, 1], size=(n, H)) * rng.uniform(1.5, 4, size=(n, H))
    p.s = rng.uniform(0, 3, size=(n, H))
    p.bz = rng.choice([-1, 1], size=H) * rng.uniform(1.5, 4, size=H)
    p.bs = rng.uniform(0, 3, size=H)
    return p


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['model']}-h{c['heads']}-norm{int(c['normalize'])}")
def test_gradient_equals_finite_differences(case):
    rng = np.random.default_rng(3)
    cfg = R.config(k=3, fields=3, bits=4, lambda_=0.05, l1=1.0, **case)
    H = cfg["heads"]
    p = _start(cfg, rng)
    # one row with distinct slots, one with a repeated slot (its gradient sums over the uses)
    rows = [(np.array([1, 5, 9, 12]), np.array([0, 2, 1, 2]), np.array([1.0, 0.5, 1.5, 0.8])),
            (np.array([3, 7, 3]), np.array([1, 0, 2]), np.array([1.2, 0.7, 0.9]))]
    labels = np.array([1.0, 0.0, np.nan][:H]) if H > 1 else np.array([1.0])
    weight = 1.7
    eps = 1e-6
    wlin0 = R.ftrl_weight(p.z, p.s, cfg)
    wb0 = R.ftrl_weight(p.bz, p.bs, cfg)
    for row in rows:
        gr = R.gradients(p, *row, labels, weight, cfg)

        def L(q=p, wl=wlin0, wb=wb0):
            return R.objective(q, *row, labels, weight, cfg, wlin=wl, wbias=wb)

        # factors
        assert gr["V"]
        for (slot, f), q in gr["V"].items():
            for d in range(cfg["k"]):
                a, b = p.copy(), p.copy()
                a.V[slot, f, d] += eps
                b.V[slot, f, d] -= eps
                assert (L(a) - L(b)) / (2 * eps) == pytest.approx(q[d], rel=1e-6, abs=1e-8), (slot, f, d)
        # head weights u (heads > 1; a head without a label gets no gradient)
        if H > 1:
            for h in range(H):
                for d in range(cfg["k"]):
                    a, b = p.copy(), p.copy()
                    a.u[h, d] += eps
                    b.u[h, d] -= eps
                    assert (L(a) - L(b)) / (2 * eps) == pytest.approx(gr["u"][h, d], rel=1e-6, abs=1e-8)
            assert not gr["u"][2].any()
        # linear weights, then the same through the FTRL-implied weight: dL/dz = dL/dw * dw/dz
        for slot, g in gr["lin"].items():
            for h in range(H):
                a, b = wlin0.copy(), wlin0.copy()
                a[slot, h] += eps
                b[slot, h] -= eps
                assert (L(wl=a) - L(wl=b)) / (2 * eps) == pytest.approx(g[h], rel=1e-6, abs=1e-8)
                za, zb = p.copy(), p.copy()
                za.z[slot, h] += eps
                zb.z[slot, h] -= eps
                fd = (R.objective(za, *row, labels, weight, cfg) - R.objective(zb, *row, labels, weight, cfg)) / (2 * eps)
                den = (cfg["beta"] + p.s[slot, h]) / cfg["alpha"] + cfg["l2"]
                assert fd == pytest.approx(-g[h] / den, rel=1e-5, abs=1e-9)
        # bias
        for h in range(H):
            a, b = wb0.copy(), wb0.copy()
            a[h] += eps
            b[h] -= eps
            assert (L(wb=a) - L(wb=b)) / (2 * eps) == pytest.approx(gr["bias"][h], rel=1e-6, abs=1e-8)
        if H > 1:
            assert gr["bias"][2] == 0


def test_update_with_one_pair_is_an_adagrad_gradient_step():
    """With a single pair (two entries), the in-place order does not matter: the step is AdaGrad
    on the gradient at the start, for factors, linear (FTRL) and bias (FTRL)."""
    rng = np.random.default_rng(4)
    for case in CASES:
        cfg = R.config(k=3, fields=3, bits=4, lambda_=0.05, **case)
        p = _start(cfg, rng)
        row = (np.array([2, 11]), np.array([1, 2]), np.array([0.9, 1.3]))
        H = cfg["heads"]
        labels = np.array([0.0, np.nan, 1.0][:H]) if H > 1 else np.array([0.0])
        gr = R.gradients(p, *row, labels, 0.6, cfg)
        q = p.copy()
        R.update(q, *row, labels, 0.6, cfg)
        for (slot, f), g in gr["V"].items():
            G = p.G[slot, f] + g * g
            np.testing.assert_allclose(q.V[slot, f], p.V[slot, f] - cfg["eta"] * g / np.sqrt(G), rtol=1e-12)
            np.testing.assert_allclose(q.G[slot, f], G, rtol=1e-12)
        wl = R.ftrl_weight(p.z, p.s, cfg)
        for slot, g in gr["lin"].items():
            for h in range(H):
                if np.isnan(labels[h]):
                    assert q.z[slot, h] == p.z[slot, h] and q.s[slot, h] == p.s[slot, h]
                    continue
                s2 = math.sqrt(p.s[slot, h] ** 2 + g[h] ** 2)
                assert q.s[slot, h] == pytest.approx(s2)
                assert q.z[slot, h] == pytest.approx(p.z[slot, h] + g[h] - (s2 - p.s[slot, h]) / cfg["alpha"] * wl[slot, h])
        if H > 1:
            np.testing.assert_allclose(q.u, p.u - cfg["eta"] * gr["u"] / np.sqrt(p.ug + gr["u"] ** 2), rtol=1e-12)
        else:
            np.testing.assert_array_equal(q.u, p.u)  # one head: u is not learned (and not used)
            np.testing.assert_array_equal(q.ug, p.ug)


def test_weight_zero_and_unlabelled_change_nothing():
    rng = np.random.default_rng(5)
    cfg = R.config(model="ffm", k=3, fields=3, bits=4, heads=2)
    p = _start(cfg, rng)
    row = (np.array([1, 2, 3]), np.array([0, 1, 2]), None)
    for labels, w in [([1.0, 0.0], 0.0), ([np.nan, np.nan], 1.0), ([-1.0, -1.0], 2.0)]:
        q = p.copy()
        R.update(q, *row, np.array(labels), w, cfg)
        for name in ("V", "G", "z", "s", "bz", "bs", "u", "ug"):
            np.testing.assert_array_equal(getattr(q, name), getattr(p, name))


def test_ftrl_part_equals_growth_ftrl():
    """With all factors 0 the pairwise term and its gradients vanish (lambda v = 0), so the model is
    FTRL-Proximal with bias: it must agree with growth.FTRL, heads and missing labels included."""
    growth = pytest.importorskip("growth")
    import scipy.sparse as sp
    rng = np.random.default_rng(6)
    bits, H, n = 8, 2, 300
    cfg = R.config(model="fm", k=2, bits=bits, heads=H, alpha=0.3, beta=1.0, l1=0.5, l2=1.0)
    p = R.init_params(cfg, V0=np.zeros((1 << bits, 1, 2)))
    rows = random_rows(rng, n, bits, 1, nnz=(1, 6))
    y = (rng.random((n, H)) < 0.3).astype(float)
    y[rng.random((n, H)) < 0.2] = np.nan
    w = rng.uniform(0, 2, n)
    w[::17] = 0
    R.train_epoch(p, rows, y, w, cfg)
    indptr = np.cumsum([0] + [r[0].size for r in rows])
    X = sp.csr_matrix((np.concatenate([r[2] for r in rows]).astype(np.float32),
                       np.concatenate([r[0] for r in rows]), indptr), shape=(n, 1 << bits))
    m = growth.FTRL(alpha=0.3, beta=1.0, l1=0.5, l2=1.0, bits=bits, heads=H)
    m.partial_fit(X, y, sample_weight=w)
    for h in range(H):
        assert m.weight(None, h) == pytest.approx(R.ftrl_weight(p.bz[h], p.bs[h], cfg), rel=1e-5, abs=1e-6)
        ours = R.ftrl_weight(p.z[:, h], p.s[:, h], cfg)
        theirs = np.array([m.weight(j, h) for j in range(1 << bits)])
        np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.predict_proba(X), R.predict(p, rows, cfg), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("align", [1, 4])
@pytest.mark.parametrize("k", [1, 3, 4, 6])
def test_libffm_writer_reader_round_trip(tmp_path, align, k):
    rng = np.random.default_rng(7 + k)
    n, m = 9, 3
    W = rng.normal(size=(n, m, k)).astype(np.float32)
    G = rng.uniform(1, 5, size=(n, m, k)).astype(np.float32)
    path = tmp_path / "model"
    R.write_libffm(path, W, G, normalization=False, align=align)
    ka = R.k_aligned(k, align)
    assert path.stat().st_size == 13 + 4 * n * m * ka * 2
    W2, G2, norm = R.read_libffm(path, align=align)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(G2, G)
    assert norm is False
    # the layout by hand: block (j, f) starts at 13 + 4 * 2 ka (j m + f); chunk c holds factors
    # c*align .. then their sums
    raw = np.frombuffer(path.read_bytes()[13:], dtype="<f4")
    j, f = 7, 2
    base = 2 * ka * (j * m + f)
    for d in range(k):
        c, o = divmod(d, align)
        assert raw[base + 2 * align * c + o] == W[j, f, d]
        assert raw[base + 2 * align * c + align + o] == G[j, f, d]
    for d in range(k, ka):  # padding as init_model writes it
        c, o = divmod(d, align)
        assert raw[base + 2 * align * c + o] == 0 and raw[base + 2 * align * c + align + o] == 1
    other = 4 if align == 1 else 1
    if R.k_aligned(k, other) != ka:
        with pytest.raises(ValueError):
            R.read_libffm(path, align=other)


def _libffm_train(Wflat, n, m, k, align, rows, ys, eta, lam, norm):
    """ffm.cpp's one_epoch + wTx (the scalar path, on the packed array), no shuffling, from scratch."""
    ka = R.k_aligned(k, align)
    align0 = 2 * ka
    align1 = m * align0

    def wtx(nodes, r, kappa=0.0, update=False):
        t = 0.0
        for a in range(len(nodes)):
            j1, f1, v1 = nodes[a]
            for b in range(a + 1, len(nodes)):
                j2, f2, v2 = nodes[b]
                w1, w2 = j1 * align1 + f2 * align0, j2 * align1 + f1 * align0
                v = v1 * v2 * r
                for c in range(ka // align):
                    for o in range(align):
                        d1, d2 = w1 + 2 * align * c + o, w2 + 2 * align * c + o
                        if update:
                            g1 = lam * Wflat[d1] + kappa * Wflat[d2] * v
                            g2 = lam * Wflat[d2] + kappa * Wflat[d1] * v
                            Wflat[d1 + align] += g1 * g1
                            Wflat[d2 + align] += g2 * g2
                            Wflat[d1] -= eta / math.sqrt(Wflat[d1 + align]) * g1
                            Wflat[d2] -= eta / math.sqrt(Wflat[d2 + align]) * g2
                        else:
                            t += Wflat[d1] * Wflat[d2] * v
        return t

    for (js, fs, vs), y01 in zip(rows, ys):
        nodes = list(zip(js.tolist(), fs.tolist(), vs.tolist()))
        r = 1.0 / sum(v * v for _, _, v in nodes) if norm else 1.0
        y = 1.0 if y01 > 0 else -1.0
        t = wtx(nodes, r)
        expnyt = math.exp(-y * t)
        kappa = -y * expnyt / (1 + expnyt)
        wtx(nodes, r, kappa, True)


@pytest.mark.parametrize("norm", [True, False])
@pytest.mark.parametrize("align", [1, 4])
def test_train_epoch_equals_libffm_adagrad(norm, align):
    """heads=1 linear=false bias=false is LIBFFM: the same factors after a pass (float64 both)."""
    rng = np.random.default_rng(8)
    n, m, k = 16, 4, 3
    cfg = R.config(model="ffm", k=k, fields=m, bits=4, linear=False, bias=False, normalize=norm,
                   eta=0.3, lambda_=0.01)
    V0 = (rng.random((n, m, k)) / math.sqrt(k)).astype(np.float32).astype(np.float64)  # exact in the packed float32 array
    rows = random_rows(rng, 40, 4, m, nnz=(1, 6))
    ys = (rng.random(40) < 0.4).astype(float)
    p = R.init_params(cfg, V0=V0)
    R.train_epoch(p, rows, ys, None, cfg)
    flat = R.libffm_pack(V0, None, align).astype(np.float64)
    _libffm_train(flat, n, m, k, align, rows, ys, 0.3, 0.01, norm)
    ka = R.k_aligned(k, align)
    blk = flat.reshape(n, m, ka // align, 2, align)
    W = blk[:, :, :, 0, :].reshape(n, m, ka)[..., :k]
    G = blk[:, :, :, 1, :].reshape(n, m, ka)[..., :k]
    np.testing.assert_allclose(p.V, W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(p.G, G, rtol=1e-12)
    assert not np.allclose(p.V, V0)


def test_libffm_predict_of_written_file(tmp_path):
    rng = np.random.default_rng(9)
    n, m, k = 20, 5, 4
    W = (rng.random((n, m, k)) / 2).astype(np.float32)
    R.write_libffm(tmp_path / "m", W, None, normalization=True, align=4)
    W2, _, norm = R.read_libffm(tmp_path / "m", align=4)
    rows = random_rows(rng, 20, 4, m)
    cfg = R.config(model="ffm", k=k, fields=m, bits=5, linear=False, bias=False, normalize=norm)
    V = np.zeros((32, m, k))
    V[:n] = W2
    p = R.init_params(cfg, V0=V)
    np.testing.assert_allclose(R.libffm_predict(W2, rows, norm), R.predict(p, rows, cfg)[:, 0], rtol=1e-12)
    # features beyond n are skipped by LIBFFM (but count in r)
    row = (np.array([1, 25, 3]), np.array([0, 1, 2]), np.array([1.0, 1.0, 1.0]))
    assert R.libffm_margin(W2, row, True) == pytest.approx(
        float(np.dot(W2[1, 2].astype(float), W2[3, 0].astype(float))) / 3)
