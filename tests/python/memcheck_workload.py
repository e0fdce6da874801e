"""A workload for valgrind memcheck (scripts/valgrind-python): every binding module's main
paths and error paths, without scipy/sklearn (their compiled extensions do not run under
valgrind). Each module adds a function below; all of them run in order."""
import os
import sys
import tempfile

import numpy as np

# scikit-learn is optional for the package (its estimators fall back to small stand-ins) and its
# compiled extensions do not run under valgrind: keep it out of this process.
sys.modules["sklearn"] = None

import growth  # noqa: E402


def features():
    with growth.Row(bits=16, seed=3, dedup=True) as r:
        r.add_cat("a", "b").add_num("x", 2.0).add_cross(["a", "c"], ["b", "d"]).add_index(5, 1.0)
        assert len(r) == 4 and r.indices().size == 4
        try:
            r.add_num("x", float("nan"))
        except growth.InvalidArgument:
            pass
    growth.hash_records([{"a": "1", "p": 2.0}] * 10, bits=12, numeric=["p"])


def ftrl(tmp):
    rng = np.random.default_rng(0)
    n = 3000
    idx = rng.integers(0, 1 << 14, size=n * 10).astype(np.uint32)
    ip = np.arange(0, n * 10 + 1, 10, dtype=np.uint64)
    y = (rng.random((n, 2)) < 0.3).astype(np.float32)
    y[::4, 1] = np.nan
    for precision in ("float", "compact"):
        m = growth.FTRL(bits=14, heads=["a", "b"], precision=precision)
        pv = m.predict_update((ip, idx), y)
        p = m.predict_proba((ip, idx))
        assert pv.shape == p.shape == (n, 2)
        m.save(os.path.join(tmp, "m"))
        m.export_weights(os.path.join(tmp, "w"))
        m2 = growth.FTRL.load(os.path.join(tmp, "m"))
        m3 = growth.FTRL.from_bytes(m.to_bytes())
        assert np.array_equal(m2.predict_proba((ip, idx)), m3.predict_proba((ip, idx)))
        growth.FTRL.load(os.path.join(tmp, "w")).close()
        for bad in (lambda: m.partial_fit((ip, idx), y * 2),
                    lambda: growth.FTRL.from_bytes(m.to_bytes()[:-5]),
                    lambda: growth.FTRL(bits=99).partial_fit((ip, idx), y)):
            try:
                bad()
            except growth.GrowthError:
                pass
        m.esmm_fit((ip[:101], idx), y[:100, 0], np.zeros(100, np.float32))
        growth.esmm_predict(m, m, (ip[:11], idx))
        m.close()
        m2.close()


def metrics():
    rng = np.random.default_rng(1)
    y = (rng.random(5000) < 0.2).astype(np.float32)
    s = rng.random(5000).astype(np.float32)
    g = rng.integers(0, 50, 5000)
    growth.metrics.auc(y, s)
    growth.metrics.gauc(y, s, g)
    growth.metrics.log_loss(y, s)
    growth.metrics.normalized_entropy(y, s)
    growth.metrics.calibration_ratio(y, s, sample_weight=np.ones(5000))
    try:
        growth.metrics.auc(y[:10] * 0, s[:10])
    except growth.InvalidArgument:
        pass


def nets(tmp):
    from growth import export
    rng = np.random.default_rng(5)
    W1 = rng.standard_normal((16, 8)).astype(np.float32)
    W2 = rng.standard_normal((2, 16)).astype(np.float32)
    E = rng.standard_normal((10, 3)).astype(np.float32)
    layers = [("dense", W1, np.zeros(16, np.float32)), "relu", ("dense", W2, None)]
    path = os.path.join(tmp, "n.net")
    export.write_net(path, layers, 5, [(E, "mean")], (np.ones((32, 2), np.float32), None), "sigmoid")
    with growth.Net.load(path, batch=4) as net:
        X = rng.standard_normal((9, 5)).astype(np.float32)
        ptr9 = np.arange(10, dtype=np.uint64)
        out = net.predict_wide_deep(X, (ptr9, np.zeros(9), np.arange(9)), (ptr9, np.arange(9), None))
        assert out.shape == (9, 2)
        net.predict(X[0])
        net.save(os.path.join(tmp, "n2.net"))
        growth.Net.from_bytes(net.to_bytes()).close()
        for bad in (lambda: net.predict(X[:, :4]), lambda: growth.Net.from_bytes(net.to_bytes()[:-3]),
                    lambda: net.predict_wide_deep(X[:1], ([0, 1], [0], [10]))):
            try:
                bad()
            except growth.GrowthError:
                pass
    q = [("dense", rng.standard_normal((8, 64)).astype(np.float32), None), "tanh"]
    export.write_dssm(os.path.join(tmp, "d.dssm"), q, q, 64, seed=1)
    with growth.DSSM.load(os.path.join(tmp, "d.dssm"), batch=2) as d:
        texts = ["running shoes", "跑步鞋", "", "a\xffb"]
        assert d.encode_items(texts).shape == (4, 8)
        d.score("shoes", texts)
        d.encode_queries(texts[:1])


def calibration(tmp):
    rng = np.random.default_rng(2)
    s = rng.random(4000).astype(np.float32)
    y = (rng.random(4000) < s).astype(np.float32)
    f = rng.integers(0, 7, 4000)
    for method in ("platt", "temperature", "isotonic", "histogram", "field"):
        c = growth.Calibrator(method=method)
        c.fit(s, y, fields=f if method == "field" else None)
        c.predict(s, fields=f if method == "field" else None)
        c.predict(s.astype(np.float64), fields=f if method == "field" else None)
        c.save(os.path.join(tmp, "c"))
        growth.Calibrator.load(os.path.join(tmp, "c")).close()
        try:
            c.fit(s * np.nan, y)
        except growth.GrowthError:
            pass
        c.close()
    growth.metrics.ece(y, s)
    growth.metrics.field_rce(y, s, f)


def bandit(tmp):
    for policy in ("thompson", "egreedy", "ucb1", "klucb"):
        b = growth.Bandit(policy=policy, arms=list(range(20)), seed=1)
        for _ in range(300):
            d, arm = b.select()
            b.reward(d, float(arm % 3 == 0))
        b.save(os.path.join(tmp, "b"))
        growth.Bandit.load(os.path.join(tmp, "b")).close()
        b.close()
    for policy in ("lints", "linucb"):
        b = growth.Bandit(policy=policy, arms=[1, 2, 3], seed=2, dim=4)
        ctx = np.ones(4, np.float32)
        for _ in range(100):
            d, arm = b.select(context=ctx)
            b.reward(d, 1.0)
        b.close()


def budget(tmp):
    rng = np.random.default_rng(3)
    v = rng.random((500, 4)) * 10
    c = rng.random((500, 4)) * 5
    v[::7, 2] = np.nan
    r = growth.budget.solve_mckp(values=v, costs=c, budget=200.0)
    assert r.spend <= 200.0 + 1e-9
    growth.budget.solve_mckp(values=v, costs=c, budget=200.0, threads=2)
    growth.budget.allocate_channels([("exp", 100, 0.01), ("log", 50, 0.1), ("points", [0, 10, 20], [0, 8, 12])],
                                    500.0)
    growth.budget.allocate_channels([("exp", 100, 0.01), ("log", 50, 0.1)], np.linspace(0, 400, 9))
    users = rng.integers(0, 100, 1000)
    growth.budget.allocate_push(users, rng.random(1000), rng.integers(0, 3, 1000), caps=2, volume=150)
    try:
        growth.budget.solve_mckp(values=v, costs=-c, budget=1.0)
    except growth.GrowthError:
        pass


def bidding(tmp):
    curve = [1, 2, 3, 2]
    b = growth.Bidder(target_cpa=100, budget=300, plan="curve", curve=curve, auction="first",
                      day_seconds=4000, interval=20, shade_min_obs=50)
    with growth.BidSimulator(impressions=3000, seed=4, traffic=curve, ctr=0.1, cvr=0.2,
                             market_median=2, auction="first", reveal_price=False) as sim:
        log = sim.sample(2000)
        cc = growth.Calibrator("isotonic").fit(log["raw_ctr"], log["click"])
        r = sim.run(b, cc, None)
        assert r["spend_curve"].shape == (24,)
    x = np.linspace(0, 0.3, 50)
    b.bid(x, x, request_ids=np.arange(50))
    b.win_rate(np.array([0.5, 2.0]))
    b.save(os.path.join(tmp, "bid"))
    growth.Bidder.load(os.path.join(tmp, "bid")).close()
    growth.Bidder.from_bytes(b.to_bytes()).close()
    for bad in (lambda: b.bid(float("nan"), 0.1), lambda: growth.Bidder(budget=0),
                lambda: growth.Bidder.from_bytes(b.to_bytes()[:-4]), lambda: b.record(-1, 1)):
        try:
            bad()
        except growth.GrowthError:
            pass
    cc.close()
    b.close()


def audience(tmp):
    A = growth.audience
    rng = np.random.default_rng(4)
    n = 600
    D = (rng.random((n, 20)) < 0.2)
    rows, cols = np.nonzero(D)
    indptr = np.zeros(n + 1, np.uint64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    X = (indptr, cols.astype(np.uint32))
    seed = np.flatnonzero(rng.random(n) < 0.1)
    A.tgi(X, seed, ncols=20)
    _, u1 = A.interest(X, seed, min_tgi=100, ncols=20)
    A.similar_brands(X, [0, 3], k=4, ncols=20)
    u2 = A.brand(X, [0], seed, k=3, ncols=20)
    A.rules(X, min_support=0.01, min_confidence=0.05, ncols=20)
    u3 = A.category(X, [1], seed, min_support=0.01, min_confidence=0.05, ncols=20)
    E = rng.normal(size=(n, 8)).astype(np.float32)
    u4, _ = A.peer(E, seed, 50)
    A.peer(E, seed, 20, mode="centroid")
    u5, _ = A.lost(rng.integers(0, n, 2000), rng.integers(0, 500, 2000), n, inactive=20, window=100)
    pool, _ = A.union({"interest": u1, "brand": u2, "category": u3, "peer": u4, "lost": u5}, nusers=n)
    for cfg in (dict(learner="forest", method="spy", rounds=5), dict(learner="ftrl", method="prior", epochs=1)):
        s = A.pu_score(X, seed, pool, ncols=20, **cfg)
    A.select(pool, s, min(10, pool.size), exclude=seed)
    y = (rng.random(n) < 0.2).astype(np.float32)
    sc = rng.random((2, n)).astype(np.float32)
    A.topn_precision(sc[0], y, 50)
    A.topn_recall(sc[0], y, 50, known=y * 0)
    A.lift(sc[0], y, 50)
    w, _ = A.fuse_fit(sc, y, 50, step=0.25)
    A.fuse(sc, w, normalize="zscore")
    for bad in (lambda: A.tgi(X, [], ncols=20), lambda: A.peer(E, seed, n), lambda: A.select([1], [0.5], 2)):
        try:
            bad()
        except growth.GrowthError:
            pass


def forest(tmp):
    rng = np.random.default_rng(5)
    X = rng.random((400, 6)).astype(np.float32)
    X[::9, 2] = np.nan
    y = (X[:, 0] > 0.5).astype(np.float32)
    for params in ("objective=binary:logistic max_depth=3", "objective=reg:squarederror max_depth=2"):
        f = growth.Forest.train(X, y, params=params, num_rounds=5)
        f.predict(X)
        f.predict(X, output_margin=True)
        f.save(os.path.join(tmp, "f.forest"))
        f.save(os.path.join(tmp, "f.json"))
        growth.Forest.load(os.path.join(tmp, "f.forest")).close()
        growth.Forest.load(os.path.join(tmp, "f.json")).close()
        try:
            f.predict(X[:, :3])
        except growth.GrowthError:
            pass
        f.close()


def text(tmp):
    ix = growth.TextIndex(k1=1.2, b=0.75)
    docs = ["red running shoes", "blue dress", "红色 跑鞋", "green tea gift box", "running socks"] * 40
    ix.add(np.arange(len(docs)), docs)
    ix.search("running shoes", k=5)
    ix.search("跑鞋", k=3, allow=np.arange(10))
    ix.delete([1, 2])
    ix.compact()
    ix.save(os.path.join(tmp, "t"))
    growth.TextIndex.load(os.path.join(tmp, "t")).close()
    growth.hybrid_search(ix, "red shoes", np.array([3, 4, 5]), np.array([0.9, 0.8, 0.7], np.float32), 5)
    try:
        ix.search("", k=3)
    except growth.GrowthError:
        pass
    ix.close()


def recall(tmp):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((600, 16)).astype(np.float32)
    for kind in ("flat", "hnsw", "ivf"):
        extra = {"nlist": 8} if kind == "ivf" else {}
        ix = growth.Index(dim=16, metric="cosine", kind=kind, **extra)
        ix.add(X, ids=np.arange(600))
        ix.search(X[:5], 10)
        ix.remove([3, 4])
        ix.save(os.path.join(tmp, "i"))
        growth.Index.load(os.path.join(tmp, "i")).close()
        try:
            ix.search(X[:1, :8], 10)
        except growth.GrowthError:
            pass
        ix.close()


def estimators(tmp):
    """The scikit-learn-style estimators (the stand-in base classes here): the model created by the
    first fit, replaced by the next, pickled with its parameters, and closed while a lease is
    held."""
    import pickle
    rng = np.random.default_rng(8)
    X = rng.random((500, 4)).astype(np.float32)
    y = np.where(X[:, 0] > 0.5, "yes", "no")
    for est in (growth.FTRLClassifier(bits=10), growth.ForestClassifier(num_rounds=3, max_depth=2),
                growth.ForestRegressor(num_rounds=3, max_depth=2)):
        target = X[:, 1] if isinstance(est, growth.ForestRegressor) else y
        try:
            est.predict(X)
        except growth.NotFittedError:
            pass
        est.fit(X, target).fit(X, target)          # the second fit replaces the first model
        est.predict(X)
        back = pickle.loads(pickle.dumps(est))
        back.predict(X)
        back.close()
        lease = est._handle()                      # a call in flight: close() defers the free
        est.close()
        del lease
    cal = growth.Calibrator(method="platt")
    cal.fit(X[:, 0], X[:, 1] > 0.5).fit(X[:, 0], X[:, 1] > 0.4)
    pickle.loads(pickle.dumps(cal)).close()
    try:
        growth.Calibrator(method="nope").fit(X[:, 0], X[:, 1] > 0.5)
    except growth.GrowthError:
        pass
    cal.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        features()
        ftrl(tmp)
        metrics()
        calibration(tmp)
        bandit(tmp)
        budget(tmp)
        forest(tmp)
        text(tmp)
        recall(tmp)
        nets(tmp)
        bidding(tmp)
        audience(tmp)
        estimators(tmp)
    print("memcheck workload done")
    sys.exit(0)
