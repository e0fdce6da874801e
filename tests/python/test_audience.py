"""growth.audience against numpy / scipy / scikit-learn references on the same data."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.metrics import pairwise_distances
from sklearn.metrics.pairwise import cosine_similarity

import growth
from growth import audience as A


def rand_bool(n, d, pmax, seed):
    rng = np.random.default_rng(seed)
    p = rng.random(d) * pmax
    return (rng.random((n, d)) < p).astype(np.float32)


def test_tgi_and_interest_match_numpy():
    D = rand_bool(400, 30, 0.4, 1)
    X = sp.csr_matrix(D)
    rng = np.random.default_rng(2)
    seed = np.flatnonzero(rng.random(400) < 0.1)
    r = A.tgi(X, seed)
    s = D[seed].sum(0, dtype=np.float64)
    p = D.sum(0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tgi = np.where(p > 0, 100 * (s / seed.size) / (p / 400), 0)
        conc = np.where(p > 0, s / p, 0)
    np.testing.assert_allclose(r["tgi"], tgi, rtol=1e-12)
    np.testing.assert_allclose(r["concentration"], conc, rtol=1e-12)
    np.testing.assert_array_equal(r["seed_count"], s)
    np.testing.assert_array_equal(r["population_count"], p)

    attrs, users = A.interest(X, seed, min_tgi=125, min_seed_count=2, min_match=2)
    keep = (r["tgi"] >= 125) & (s >= 2)
    order = sorted(np.flatnonzero(keep), key=lambda a: (-r["tgi"][a], a))
    np.testing.assert_array_equal(attrs, order)
    hits = D[:, keep].sum(1)
    want = np.flatnonzero((hits >= 2) & ~np.isin(np.arange(400), seed))
    np.testing.assert_array_equal(users, want)
    # the (indptr, indices) tuple form and a dense 0/1 array give the same
    a2, u2 = A.interest((X.indptr, X.indices), seed, min_tgi=125, min_seed_count=2, min_match=2, ncols=30)
    np.testing.assert_array_equal(u2, users)
    a3, u3 = A.interest(D, seed, min_tgi=125, min_seed_count=2, min_match=2)
    np.testing.assert_array_equal(a3, attrs)


def test_similar_brands_match_sklearn_jaccard():
    D = rand_bool(600, 40, 0.15, 3)
    X = sp.csr_matrix(D)
    J = 1 - pairwise_distances(D.T.astype(bool), metric="jaccard")
    q = [0, 5, 39]
    ids, sims = A.similar_brands(X, q, k=6)
    for row, b in enumerate(q):
        j = J[b].copy()
        j[b] = -1
        j[j <= 0] = -1
        order = sorted(range(40), key=lambda c: (-j[c], c))[:6]
        for i, c in enumerate(order):
            if j[c] < 0:
                assert ids[row, i] == -1 and sims[row, i] == 0
            else:
                assert ids[row, i] == c
                assert sims[row, i] == pytest.approx(j[c], abs=1e-12)
    seed = np.flatnonzero(D[:, 0])
    users = A.brand(X, 0, seed, k=6, min_brands=1)
    sim_brands = ids[0][ids[0] >= 0]
    want = np.flatnonzero((D[:, sim_brands].sum(1) >= 1) & (D[:, 0] == 0))
    np.testing.assert_array_equal(users, want)


def test_rules_match_numpy_cooccurrence():
    D = rand_bool(800, 12, 0.4, 4)
    X = sp.csr_matrix(D)
    r = A.rules(X, min_support=0.02, min_confidence=0.2, min_lift=1.05)
    C = D.T.astype(np.int64) @ D.astype(np.int64)
    n = D.shape[0]
    want = []
    for a in range(12):
        for b in range(12):
            if a == b or C[a, b] == 0:
                continue
            s, c = C[a, b] / n, C[a, b] / C[a, a]
            l = c / (C[b, b] / n)
            if s >= 0.02 and c >= 0.2 and l >= 1.05:
                want.append((a, b, s, c, l))
    assert len(want) == len(r["antecedent"]) > 0
    w = np.array(want)
    np.testing.assert_array_equal(r["antecedent"], w[:, 0])
    np.testing.assert_array_equal(r["consequent"], w[:, 1])
    np.testing.assert_allclose(r["support"], w[:, 2], rtol=1e-12)
    np.testing.assert_allclose(r["confidence"], w[:, 3], rtol=1e-12)
    np.testing.assert_allclose(r["lift"], w[:, 4], rtol=1e-12)
    seed = np.flatnonzero(D[:, 2])
    users = A.category(X, [2], seed, min_support=0.02, min_confidence=0.2, min_lift=1.05)
    ante = w[w[:, 1] == 2, 0].astype(int)
    want_u = np.flatnonzero((D[:, ante].sum(1) >= 1) & (D[:, 2] == 0))
    np.testing.assert_array_equal(users, want_u)


@pytest.mark.parametrize("mode", ["max", "centroid"])
def test_peer_matches_sklearn_cosine(mode):
    rng = np.random.default_rng(5)
    E = rng.normal(size=(900, 24)).astype(np.float32)
    seed = rng.choice(900, 25, replace=False)
    if mode == "max":
        ref = cosine_similarity(E, E[seed]).max(1)
    else:
        c = (E[seed] / np.linalg.norm(E[seed], axis=1, keepdims=True)).sum(0)
        ref = cosine_similarity(E, c[None, :])[:, 0]
    ref[seed] = -np.inf
    users, sims = A.peer(E, seed, 50, mode=mode)
    np.testing.assert_allclose(sims, ref[users], atol=2e-5)
    want = np.argsort(-ref, kind="stable")[:50]
    # identical up to float rounding near the cut
    assert len(set(users) ^ set(want)) <= 2
    assert np.all(np.diff(sims) <= 1e-7)


@pytest.mark.parametrize("mode", ["max", "centroid"])
def test_peer_through_an_index_matches_sklearn_cosine(mode):
    rng = np.random.default_rng(15)
    E = rng.normal(size=(1200, 24)).astype(np.float32)
    seed = rng.choice(1200, 30, replace=False)
    if mode == "max":
        ref = cosine_similarity(E, E[seed]).max(1)
    else:
        c = (E[seed] / np.linalg.norm(E[seed], axis=1, keepdims=True)).sum(0)
        ref = cosine_similarity(E, c[None, :])[:, 0]
    ref[seed] = -np.inf
    want = np.argsort(-ref, kind="stable")[:60]
    flat = growth.Index(dim=24, metric="cosine", kind="flat")
    flat.add(E)                                   # ids = user ids
    users, sims = A.peer_index(flat, seed, 60, mode=mode)
    np.testing.assert_allclose(sims, ref[users], atol=2e-5)
    assert len(set(users) ^ set(want)) <= 2       # float rounding near the cut only
    assert np.all(np.diff(sims) <= 1e-7)
    u2, s2 = A.peer(E, seed, 60, mode=mode)       # the matrix version agrees
    np.testing.assert_allclose(s2, sims, atol=1e-5)
    assert len(set(users) ^ set(u2)) <= 2
    u3, _ = A.peer(flat, seed, 60, mode=mode)     # peer() dispatches on an Index
    np.testing.assert_array_equal(u3, users)
    # approximate: HNSW recalls >= 95% of the exact users
    hnsw = growth.Index(dim=24, metric="cosine", kind="hnsw", M=16, ef=100, seed=2)
    hnsw.add(E)
    hu, hs = A.peer_index(hnsw, seed, 60, mode=mode)
    assert len(set(hu) & set(want)) / 60 >= 0.95
    np.testing.assert_allclose(hs, ref[hu], atol=2e-5)   # similarities are exact, users approximate
    with pytest.raises(growth.InvalidArgument, match="not in the index"):
        A.peer_index(flat, [0, 5000], 10)
    l2 = growth.Index(dim=24, metric="l2")
    l2.add(E)
    with pytest.raises(growth.InvalidArgument, match="metric=l2"):
        A.peer_index(l2, seed, 10)
    with pytest.raises(growth.InvalidArgument, match="larger than the pool"):
        A.peer_index(flat, seed, 1200 - 29)
    with pytest.raises(growth.InvalidArgument):
        A.peer_index(E, seed, 10)


def test_lost_matches_numpy():
    rng = np.random.default_rng(6)
    u = rng.integers(0, 300, 4000)
    t = rng.integers(0, 1000, 4000)
    users, last = A.lost(u, t, 300, now=900, inactive=50, window=300, min_events=5)
    ok = t <= 900
    cnt = np.bincount(u[ok], minlength=300)
    lt = np.full(300, np.iinfo(np.int64).min)
    np.maximum.at(lt, u[ok], t[ok])
    want = np.flatnonzero((cnt >= 5) & (lt < 900 - 50) & (lt >= 900 - 300))
    np.testing.assert_array_equal(users, want)
    np.testing.assert_array_equal(last, lt[want])


def test_union_and_select():
    users, dirs = A.union({"interest": [4, 1, 4], "peer": [1, 7], "lost": []}, nusers=10)
    np.testing.assert_array_equal(users, [1, 4, 7])
    assert A.direction_names(dirs) == ["interest|peer", "interest", "peer"]
    u2, d2 = A.union([([3], A.BRAND), ([3, 2], A.CATEGORY)], nusers=5)
    np.testing.assert_array_equal(d2, [A.CATEGORY, A.BRAND | A.CATEGORY])
    pool = np.arange(100, 200)
    s = np.random.default_rng(7).random(100).astype(np.float32)
    top, ts = A.select(pool, s, 10, exclude=pool[:5], threshold=0.2)
    ok = (s >= 0.2) & ~np.isin(pool, pool[:5])
    order = np.lexsort((pool[ok], -s[ok]))[:10]
    np.testing.assert_array_equal(top, pool[ok][order])
    np.testing.assert_array_equal(ts, s[ok][order])


def ref_topn(scores, labels, n):
    order = np.argsort(-scores, kind="stable")[:n]
    return int(labels[order].sum())


def test_topn_metrics_match_numpy():
    rng = np.random.default_rng(8)
    y = (rng.random(3000) < 0.1).astype(np.float32)
    s = np.round(rng.random(3000) + 0.4 * y, 2).astype(np.float32)  # ties
    known = rng.random(3000) < 0.3
    for n in (1, 10, 100, 999, 3000):
        assert A.topn_precision(s, y, n) == pytest.approx(ref_topn(s, y, n) / n, abs=1e-15)
        assert A.lift(s, y, n) == pytest.approx(ref_topn(s, y, n) / n / y.mean(dtype=np.float64), rel=1e-12)
    keep = ~known
    for n in (5, 50, 500):
        want = ref_topn(s[keep], y[keep], n) / int(y[keep].sum())
        assert A.topn_recall(s, y, n, known=known) == pytest.approx(want, abs=1e-15)
    with pytest.raises(growth.InvalidArgument, match="larger than the pool"):
        A.topn_precision(s, y, 3001)
    with pytest.raises(growth.InvalidArgument, match="scores"):
        A.topn_precision(np.where(np.arange(3000) == 9, np.nan, s), y, 10)


def test_fusion_matches_scipy_rank_and_grid_search():
    rng = np.random.default_rng(9)
    n = 3000
    y = (rng.random(n) < 0.08).astype(np.float32)
    half = rng.random(n) < 0.5
    S = np.stack([rng.normal(size=n) + 2.0 * y * half,
                  50 + 5 * (rng.normal(size=n) + 1.5 * y * ~half),
                  rng.normal(size=n)]).astype(np.float32)
    w = np.array([0.2, 0.5, 0.3])
    R = np.stack([(rankdata(S[m]) - 1) / (n - 1) for m in range(3)])
    np.testing.assert_allclose(A.fuse(S, w), (w[:, None] * R).sum(0), atol=1e-6)
    mm = (S - S.min(1, keepdims=True)) / (S.max(1, keepdims=True) - S.min(1, keepdims=True))
    np.testing.assert_allclose(A.fuse(S, w, normalize="minmax"), (w[:, None] * mm).sum(0), atol=1e-6)
    z = (S - S.mean(1, keepdims=True)) / S.std(1, keepdims=True)
    np.testing.assert_allclose(A.fuse(S, w, normalize="zscore"), (w[:, None] * z).sum(0), atol=1e-5)
    wf, prec = A.fuse_fit(S, y, 300, step=0.1)
    best = 0
    for a in range(11):
        for b in range(11 - a):
            ww = np.array([a, b, 10 - a - b]) / 10
            best = max(best, A.topn_precision(A.fuse(S, ww), y, 300))
    assert prec == pytest.approx(best, abs=1e-12)
    assert A.topn_precision(A.fuse(S, wf), y, 300) == pytest.approx(prec, abs=1e-12)
    assert wf[0] > 0 and wf[1] > 0
    assert prec > max(A.topn_precision(S[0], y, 300), A.topn_precision(S[1], y, 300))


def direct_marketing(n=20000, seed=2024):
    """Users with a hidden affinity z that drives attributes, related brands, co-bought
    categories, embeddings, lapsed purchases, the seed (buyers so far) and later buyers."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    attr = np.hstack([rng.random((n, 10)) < sig(-2 + 1.2 * z)[:, None], rng.random((n, 50)) < 0.12])
    brands = np.hstack([np.zeros((n, 1), bool), rng.random((n, 5)) < sig(-3 + 1.3 * z)[:, None],
                        rng.random((n, 34)) < 0.04])
    cats = np.hstack([rng.random((n, 1)) < 0.05, rng.random((n, 3)) < sig(-2.2 + z)[:, None],
                      rng.random((n, 21)) < 0.1])
    emb = rng.normal(size=(n, 16)).astype(np.float32)
    emb[:, :4] += 0.8 * z[:, None]
    is_seed = rng.random(n) < sig(-4.2 + 1.5 * z)
    brands[is_seed, 0] = True
    cats[is_seed, 0] = True
    later = ~is_seed & (rng.random(n) < sig(-4.6 + 1.5 * z))
    lapsed = ~is_seed & (rng.random(n) < sig(-3.5 + z))
    ev_u = np.concatenate([np.flatnonzero(lapsed), np.flatnonzero(is_seed)])
    ev_t = np.concatenate([1000 - 40 - rng.integers(0, 150, lapsed.sum()), 1000 - rng.integers(0, 30, is_seed.sum())])
    feats = sp.csr_matrix(np.hstack([attr, brands[:, 1:], cats[:, 1:]]).astype(np.float32))
    return dict(attr=sp.csr_matrix(attr.astype(np.float32)), brands=sp.csr_matrix(brands.astype(np.float32)),
                cats=sp.csr_matrix(cats.astype(np.float32)), emb=emb, ev_u=ev_u, ev_t=ev_t, feats=feats,
                seed=np.flatnonzero(is_seed), later=later)


@pytest.mark.parametrize("cfg", [dict(learner="forest", method="spy", rounds=60, max_depth=3),
                                 dict(learner="ftrl", method="naive", epochs=3)])
def test_pipeline_beats_random_selection(cfg):
    d = direct_marketing()
    n = d["attr"].shape[0]
    seed = d["seed"]
    _, u_int = A.interest(d["attr"], seed, min_tgi=150, min_match=2)
    u_brand = A.brand(d["brands"], 0, seed, k=5)
    u_cat = A.category(d["cats"], 0, seed, min_support=0.01, min_confidence=0.05, min_lift=1.2)
    u_peer, _ = A.peer(d["emb"], seed, 3000, mode="centroid")
    u_lost, _ = A.lost(d["ev_u"], d["ev_t"], n, now=1000, inactive=35, window=200)
    pool, dirs = A.union({"interest": u_int, "brand": u_brand, "category": u_cat, "peer": u_peer,
                          "lost": u_lost}, nusers=n)
    scores = A.pu_score(d["feats"], seed, pool, **cfg)
    assert scores.shape == pool.shape
    top, _ = A.select(pool, scores, 500, exclude=seed)
    base = d["later"].sum() / (n - seed.size)
    prec = d["later"][top].mean()
    assert prec > 2.5 * base, (prec, base)
    # the same through topn_precision over the pool
    assert A.topn_precision(scores, d["later"][pool], 500) == pytest.approx(prec)


def test_bad_input_raises_with_messages():
    X = sp.csr_matrix(np.eye(4, dtype=np.float32))
    with pytest.raises(growth.InvalidArgument, match="seed is empty"):
        A.tgi(X, [])
    with pytest.raises(growth.InvalidArgument, match=r"seed\[1\] = 9 is out of range"):
        A.interest(X, [0, 9])
    with pytest.raises(growth.InvalidArgument, match="larger than the pool"):
        A.peer(np.eye(4, dtype=np.float32), [0, 1], 3)
    with pytest.raises(growth.InvalidArgument, match="larger than the pool"):
        A.select([1, 2], [0.1, 0.2], 3)
    with pytest.raises(growth.InvalidArgument, match="min_tgi"):
        A.interest(X, [0], min_tgi="x")
    with pytest.raises(growth.InvalidArgument, match="pool"):
        A.pu_score(X, [0, 1], [5])
    with pytest.raises(growth.InvalidArgument, match="(?i)nan"):
        A.fuse([[1, 2], [3, 4]], [np.nan, 1])


def test_progress_cancel_and_rank_module():
    rng = np.random.default_rng(12)
    X = (rng.random((300, 12)) < 0.3).astype(np.float32)
    seed = np.arange(0, 300, 7)
    pool = np.setdiff1d(np.arange(300), seed)
    seen = []
    s = A.pu_score(X, seed, pool, learner="ftrl", method="spy", epochs=2,
                   progress=lambda st, d: seen.append((st, d)))
    assert [st for st, _ in seen] == ["fit"] * 5 and seen[-1][1] == 1.0
    np.testing.assert_array_equal(s, A.pu_score(X, seed, pool, learner="ftrl", method="spy", epochs=2))
    with pytest.raises(growth.Canceled):
        A.pu_score(X, seed, pool, learner="ftrl", progress=lambda st, d: d >= 0.5)
    S = rng.normal(size=(2, 300)).astype(np.float32)
    y = (rng.random(300) < 0.2).astype(np.float32)
    grid = []
    w, prec = growth.rank.fuse_fit(S, y, 30, step=0.5, progress=lambda st, d: grid.append((st, d)))
    assert grid == [("grid", 1.0)]
    w2, prec2 = A.fuse_fit(S, y, 30, step=0.5)
    np.testing.assert_array_equal(w, w2)
    assert prec == prec2
    with pytest.raises(growth.Canceled):
        growth.rank.fuse_fit(S, y, 30, progress=lambda st, d: True)
    # growth.rank re-exports the list fusion and the pre-ranker of growth.text, and the score
    # fusion of growth.audience, under rank.h's names
    assert growth.rank.fuse is growth.text.fuse and growth.rank.prerank is growth.text.prerank
    assert growth.rank.fuse_scores is A.fuse and growth.rank.fuse_fit is A.fuse_fit
    ids, sc = growth.rank.fuse([([1, 2], [3.0, 3.0]), ([3], [-1.0])], 3, method="weighted", normalize="minmax")
    assert list(ids) == [1, 2, 3] and list(sc) == [1.0, 1.0, 1.0]  # constant lists map to 1
    ids2, sc2 = growth.text.fuse([([1, 2], [3.0, 3.0]), ([3], [-1.0])], 3, "weighted", None, 60, "minmax")
    assert list(ids2) == list(ids) and list(sc2) == list(sc)
