"""growth.FM / growth.FFM against the NumPy reference of fm.h (fm_ref.py).

Every test starts the reference as the library starts (no slot touched, every factor 0; a slot
gets its seeded factors, fm_ref.init_vec transcribed from fm.h, when an example first trains on
it), trains both on the same rows in the same order (partial_fit: one pass, no shuffling) and compares
every factor, linear weight, bias, margin and probability.

Tolerances: the library keeps its parameters in float32, the reference computes in float64.
Starting from identical float32 factors, one pass of 200 rows makes every stored value drift by
float32 rounding (~6e-8 relative per stored operation), compounded through each slot's history
(a slot is updated ~25 times at bits=8) and through the margins that feed later gradients.
Measured by emulating float32 storage in the reference (rounding every stored V, G, z, s, u after
each step) on exactly these sets, all 16 configurations: factors move by at most 1.5e-7,
probabilities by 1.5e-7, linear weights by 2.5e-8, margins by 8e-7. The checks allow ~30x that
(float32 arithmetic inside a step, FMA and summation order are not emulated): rtol=atol=5e-6 on
factors, weights and probabilities, 2e-5 on margins. A real mismatch in the rule (a missing
lambda, pairs visited in another order, u updated before the factors, r wrong) moves values by
1e-3 or more here (the pass moves the factors by 0.06 to 0.5).
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp

import growth
import fm_ref as R

if not hasattr(growth, "FFM"):
    pytest.skip("growth.FFM is not implemented yet", allow_module_level=True)

RTOL = ATOL = 5e-6
MTOL = 2e-5  # margins


def make_set(n=200, fields=6, bits=8, heads=1, seed=0, values=True):
    """n rows of one entry per field (a field missing in ~10% of the rows), slots distinct within
    a row and sorted (so any canonical CSR order is the stored order), values in [0.5, 1.5] or 1,
    labels with ~25% missing per head when heads > 1, weights with some zeros."""
    rng = np.random.default_rng(seed)
    idx, fld, val, indptr = [], [], [], [0]
    for _ in range(n):
        fs = [f for f in range(fields) if rng.random() > 0.1] or [0]
        slots = rng.choice(1 << bits, size=len(fs), replace=False)
        order = np.argsort(slots)
        idx.extend(slots[order])
        fld.extend(np.array(fs)[order])
        val.extend(rng.uniform(0.5, 1.5, len(fs)) if values else np.ones(len(fs)))
        indptr.append(len(idx))
    X = sp.csr_matrix((np.array(val, np.float32), np.array(idx, np.int32), np.array(indptr)),
                      shape=(n, 1 << bits))
    F = np.array(fld, np.uint8)
    y = (rng.random((n, heads)) < 0.35).astype(np.float32)
    if heads > 1:
        y[rng.random((n, heads)) < 0.25] = np.nan
        y[5] = np.nan  # a row with no label at all
    w = rng.uniform(0.2, 2.0, n).astype(np.float32)
    w[::13] = 0
    return X, F, (y[:, 0] if heads == 1 else y), w


def lib_factors(m, cfg):
    n, M, k = 1 << cfg["bits"], R.vectors_per_slot(cfg), cfg["k"]
    V = np.empty((n, M, k))
    for j in range(n):
        for f in range(M):
            v = np.asarray(m.factors(j, f))
            assert v.shape == (k,)
            V[j, f] = v
    return V


def make_model(cfg, names=None):
    kw = dict(k=cfg["k"], bits=cfg["bits"], eta=cfg["eta"], lambda_=cfg["lambda_"],
              init_scale=cfg["init_scale"], normalize=cfg["normalize"], linear=cfg["linear"],
              bias=cfg["bias"], alpha=cfg["alpha"], beta=cfg["beta"], l1=cfg["l1"], l2=cfg["l2"],
              precision="float", seed=3, unseen=cfg["unseen"])
    kw["heads"] = names if cfg["heads"] > 1 else 1
    if cfg["model"] == "ffm":
        return growth.FFM(fields=cfg["fields"], **kw)
    return growth.FM(**kw)


def fresh_pair(cfg):
    """A library model and the reference started from the library's initial factors. The model
    is created by a partial_fit on zero rows if the binding creates lazily."""
    m = make_model(cfg, names=["click", "cart", "buy"][:cfg["heads"]])
    try:
        m.factors(0, 0)
    except Exception:
        X0 = sp.csr_matrix((1, 1 << cfg["bits"]), dtype=np.float32)[:0]
        m.partial_fit(X0, np.zeros((0, cfg["heads"]) if cfg["heads"] > 1 else 0, np.float32),
                      fields=np.zeros(0, np.uint8) if cfg["model"] == "ffm" else None)
    V0 = lib_factors(m, cfg)
    # a fresh model: no slot touched yet, every factor 0 (training gives a slot its seeded
    # factors when it first trains on it)
    assert not V0.any()
    return m, R.lazy_params(cfg, seed=3)


def compare(m, p, cfg, X, F, used):
    fields = F if cfg["model"] == "ffm" else None
    V = lib_factors(m, cfg)
    np.testing.assert_allclose(V, p.V, rtol=RTOL, atol=ATOL, err_msg="factors")
    H = cfg["heads"]
    for h in range(H):
        if cfg["bias"]:
            assert m.weight(None, h) == pytest.approx(R.ftrl_weight(p.bz[h], p.bs[h], cfg), rel=RTOL, abs=ATOL)
        if cfg["linear"]:
            theirs = np.array([m.weight(int(j), h) for j in used])
            ours = R.ftrl_weight(p.z[used, h], p.s[used, h], cfg)
            np.testing.assert_allclose(theirs, ours, rtol=RTOL, atol=ATOL, err_msg=f"linear head {h}")
    rows = R.rows_from_csr(X, F if cfg["model"] == "ffm" else None)
    prob = m.predict_proba(X, fields=fields)
    marg = m.decision_function(X, fields=fields)
    ref_p, ref_m = R.predict(p, rows, cfg), R.decision(p, rows, cfg)
    if H == 1:
        assert prob.shape == (X.shape[0],)
        ref_p, ref_m = ref_p[:, 0], ref_m[:, 0]
    else:
        assert prob.shape == (X.shape[0], H)
    np.testing.assert_allclose(prob, ref_p, rtol=RTOL, atol=ATOL, err_msg="probabilities")
    np.testing.assert_allclose(marg, ref_m, rtol=MTOL, atol=MTOL, err_msg="margins")


CASES = []
for model in ("ffm", "fm"):
    for heads in (1, 3):
        for normalize in (True, False):
            for linear in (True, False):
                CASES.append(dict(model=model, heads=heads, normalize=normalize, linear=linear))


def case_id(c):
    return f"{c['model']}-h{c['heads']}-{'norm' if c['normalize'] else 'nonorm'}-{'lin' if c['linear'] else 'nolin'}"


def case_cfg(c):
    # lambda larger than the default so the regularisation term is visible; l1 small enough that
    # linear weights leave zero within 200 rows; eta moderate so 200 rows move the factors a lot.
    return R.config(model=c["model"], k=4, fields=6, bits=8, heads=c["heads"], eta=0.2, lambda_=1e-3,
                    init_scale=1.0, normalize=c["normalize"], linear=c["linear"], bias=True,
                    alpha=0.1, beta=1.0, l1=0.5, l2=1.0)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_one_epoch_equals_reference(case):
    cfg = case_cfg(case)
    X, F, y, w = make_set(heads=cfg["heads"], seed=1)
    m, p = fresh_pair(cfg)
    V0 = p.V.copy()
    fields = F if cfg["model"] == "ffm" else None
    m.partial_fit(X, y, fields=fields, sample_weight=w)
    rows = R.rows_from_csr(X, fields)
    R.train_epoch(p, rows, y, w, cfg)
    assert np.abs(p.V - V0).max() > 1e-2  # the pass moved the factors well beyond the tolerance
    compare(m, p, cfg, X, F, np.unique(X.indices))


@pytest.mark.parametrize("unseen", ["seeded", "zero"])
@pytest.mark.parametrize("model", ["ffm", "fm"])
def test_progressive_validation_equals_reference(model, unseen):
    cfg = dict(case_cfg(dict(model=model, heads=3, normalize=True, linear=True)), unseen=unseen)
    X, F, y, w = make_set(heads=3, seed=2)
    m, p = fresh_pair(cfg)
    fields = F if model == "ffm" else None
    pv = m.predict_update(X, y, fields=fields, sample_weight=w)
    ref = R.train_epoch(p, R.rows_from_csr(X, fields), y, w, cfg)
    assert pv.shape == (X.shape[0], 3)
    np.testing.assert_allclose(pv, ref, rtol=RTOL, atol=ATOL)
    compare(m, p, cfg, X, F, np.unique(X.indices))


def test_two_passes_and_second_call_continue():
    cfg = case_cfg(dict(model="ffm", heads=1, normalize=True, linear=True))
    X, F, y, w = make_set(seed=3)
    m, p = fresh_pair(cfg)
    rows = R.rows_from_csr(X, F)
    for _ in range(2):
        m.partial_fit(X, y, fields=F, sample_weight=w)
        R.train_epoch(p, rows, y, w, cfg)
    compare(m, p, cfg, X, F, np.unique(X.indices))


def test_weight_zero_and_unlabelled_rows_change_nothing():
    cfg = case_cfg(dict(model="ffm", heads=3, normalize=True, linear=True))
    X, F, y, w = make_set(n=30, heads=3, seed=4)
    m, _ = fresh_pair(cfg)
    m.partial_fit(X, y, fields=F, sample_weight=w)
    before = lib_factors(m, cfg), m.predict_proba(X, fields=F)
    m.partial_fit(X, y, fields=F, sample_weight=np.zeros(30, np.float32))
    m.partial_fit(X, np.full((30, 3), np.nan, np.float32), fields=F)
    np.testing.assert_array_equal(lib_factors(m, cfg), before[0])
    np.testing.assert_array_equal(m.predict_proba(X, fields=F), before[1])


@pytest.mark.parametrize("unseen", ["seeded", "zero"])
@pytest.mark.parametrize("model", ["ffm", "fm"])
def test_margins_from_the_library_state_equal_the_quadratic_sum(model, unseen):
    """One head: the library's margins equal b + w.x + r * the O(n^2) pair sum over the library's
    own factors and weights (read back), i.e. prediction is right independently of training.
    Slots no example trained on (the rows of weight 0 bring some) read back as zeros and count
    as the `unseen` key says (fm_ref.vec)."""
    cfg = dict(case_cfg(dict(model=model, heads=1, normalize=True, linear=True)), unseen=unseen)
    X, F, y, w = make_set(seed=5)
    m, _ = fresh_pair(cfg)
    fields = F if model == "ffm" else None
    m.partial_fit(X, y, fields=fields, sample_weight=w)
    V = lib_factors(m, cfg)
    p = R.init_params(cfg, V0=V)
    p.touched, p.seed = V.reshape(V.shape[0], -1).any(axis=1), 3  # a trained vector is never all 0
    used = np.unique(X.indices)
    assert (~p.touched[used]).sum() >= 1  # the set has rows whose slots only weight-0 rows use
    Veff = np.array([[R.vec(p, j, f, cfg) for f in range(V.shape[1])] for j in range(V.shape[0])])
    wlin = np.zeros((1 << cfg["bits"], 1))
    for j in np.unique(X.indices):
        wlin[j, 0] = m.weight(int(j), 0)
    b = m.weight(None, 0)
    ref = []
    for idx, fld, val in R.rows_from_csr(X, fields):
        pw = R.pairwise_d(p, idx, fld, val, cfg).sum()
        if model == "fm":
            assert pw == pytest.approx(R.pairwise_fm_fast(Veff, idx, val).sum(), rel=1e-9, abs=1e-12)
        ref.append(b + (wlin[idx, 0] * val).sum() + R.norm_r(val, cfg) * pw)
    np.testing.assert_allclose(m.decision_function(X, fields=fields), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(m.predict_proba(X, fields=fields), R.sigmoid(np.array(ref)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("unseen", ["seeded", "zero"])
@pytest.mark.parametrize("model", ["ffm", "fm"])
def test_rows_with_slots_training_never_saw_predict_as_the_reference(model, unseen):
    """Train on one set, predict another whose rows bring slots no example trained on: untouched
    slots count as their seeded factors (unseen=seeded, the default) or as zeros (unseen=zero),
    as fm_ref.vec transcribes fm.h; the default is seeded."""
    cfg = dict(case_cfg(dict(model=model, heads=1, normalize=True, linear=True)), bits=10, unseen=unseen)
    X, F, y, w = make_set(seed=6, bits=10)
    Xt, Ft, _, _ = make_set(n=80, seed=7, bits=10)
    m, p = fresh_pair(cfg)
    fields, ft = (F, Ft) if model == "ffm" else (None, None)
    m.partial_fit(X, y, fields=fields, sample_weight=w)
    R.train_epoch(p, R.rows_from_csr(X, fields), y, w, cfg)
    new = ~p.touched[Xt.indices]
    assert 0.2 < new.mean() < 0.9  # most test rows mix touched and untouched slots
    rows = R.rows_from_csr(Xt, ft)
    np.testing.assert_allclose(m.decision_function(Xt, fields=ft), R.decision(p, rows, cfg)[:, 0],
                               rtol=MTOL, atol=MTOL)
    np.testing.assert_allclose(m.predict_proba(Xt, fields=ft), R.predict(p, rows, cfg)[:, 0],
                               rtol=RTOL, atol=RTOL)
    if unseen == "seeded":  # the default, and it differs from zero on these rows
        d = make_model(dict(cfg, unseen="zero"))
        d.partial_fit(X, y, fields=fields, sample_weight=w)
        assert np.abs(d.decision_function(Xt, fields=ft) - m.decision_function(Xt, fields=ft)).max() > 1e-2
        dflt = growth.FFM(fields=2, bits=4) if model == "ffm" else growth.FM(bits=4)
        dflt.partial_fit(Xt[:0, :16], np.zeros(0, np.float32), fields=np.zeros(0, np.uint8))
        assert "unseen=seeded" in dflt.config.split()


def test_fm_without_fields_equals_fm_with_fields():
    cfg = R.config(model="fm", k=4, bits=8, lambda_=1e-3)
    X, F, y, w = make_set(seed=6)
    a = growth.FM(k=4, bits=8, lambda_=1e-3, seed=3)
    b = growth.FM(k=4, bits=8, lambda_=1e-3, seed=3, fields=6)
    a.partial_fit(X, y, sample_weight=w)
    b.partial_fit(X, y, fields=F, sample_weight=w)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X, fields=F))
    assert cfg["k"] == 4


@pytest.mark.skipif(not hasattr(getattr(growth, "FFM", None), "import_libffm"),
                    reason="growth.FFM.import_libffm is not exposed")
@pytest.mark.parametrize("align,k", [(4, 4), (4, 3), (1, 3), (1, 5)])
@pytest.mark.parametrize("norm", [True, False])
def test_import_libffm_predicts_as_ffm_predict(tmp_path, align, k, norm):
    rng = np.random.default_rng(10 * k + align)
    n, m_ = 50, 5
    W = (rng.random((n, m_, k)) * 0.8 - 0.2).astype(np.float32)
    G = rng.uniform(1, 20, (n, m_, k)).astype(np.float32)
    path = tmp_path / "ffm.model"
    R.write_libffm(path, W, G, normalization=norm, align=align)
    model = growth.FFM.import_libffm(str(path), align=align)
    for j in (0, 17, n - 1):
        for f in range(m_):
            np.testing.assert_array_equal(np.asarray(model.factors(j, f), np.float32), W[j, f])
    # rows with features and fields inside the model
    X, F, y, _ = make_set(n=100, fields=m_, bits=int(math.ceil(math.log2(n))), seed=11, values=True)
    keep = X.indices < n
    rows = []
    for r in range(X.shape[0]):
        b, e = X.indptr[r], X.indptr[r + 1]
        sel = keep[b:e]
        rows.append((X.indices[b:e][sel], F[b:e][sel], X.data[b:e][sel]))
    indptr = np.cumsum([0] + [r[0].size for r in rows])
    Xin = sp.csr_matrix((np.concatenate([r[2] for r in rows]), np.concatenate([r[0] for r in rows]), indptr),
                        shape=(len(rows), 1 << int(math.ceil(math.log2(n)))))
    Fin = np.concatenate([r[1] for r in rows]).astype(np.uint8)
    want = R.libffm_predict(W, [(a, b, c.astype(np.float64)) for a, b, c in rows], norm)
    got = model.predict_proba(Xin, fields=Fin)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # training continues from LIBFFM's AdaGrad sums (defaults eta=0.2, lambda=2e-5, no linear/bias)
    bits = int(math.ceil(math.log2(n)))
    cfg = R.config(model="ffm", k=k, fields=m_, bits=bits, linear=False, bias=False, normalize=norm)
    V0 = lib_factors(model, cfg)
    p = R.init_params(cfg, V0=V0)
    p.G[:n] = G
    yy = (rng.random(len(rows)) < 0.3).astype(np.float32)
    model.partial_fit(Xin, yy, fields=Fin)
    R.train_epoch(p, R.rows_from_csr(Xin, Fin), yy, None, cfg)
    np.testing.assert_allclose(lib_factors(model, cfg), p.V, rtol=RTOL, atol=ATOL)
