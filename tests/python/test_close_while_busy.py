"""Closing (or dropping) an object while other threads are inside calls on it must not crash: the
binding keeps the C handle alive until every running call has returned, and calls made after
close() raise ValueError. Each case wraps the C function the method calls and the C free
function(s), and checks that the free never runs while a call is in flight. Every class that owns
a C handle has a case (they all share growth._handle.OwnedHandle)."""
import threading
import time

import numpy as np
import pytest

import growth
from growth import _lib


def _ftrl():
    m = growth.FTRL(bits=16)
    rng = np.random.default_rng(0)
    n = 20000
    idx = rng.integers(0, 1 << 16, n * 8).astype(np.uint32)
    indptr = np.arange(0, n * 8 + 1, 8, dtype=np.uint64)
    m.partial_fit((indptr[:2001], idx[:2000 * 8]), (rng.random(2000) < 0.3).astype(np.float32))
    return m, lambda: m.predict_proba((indptr, idx)), "growth_ftrl_predict_csr", "growth_ftrl_free"


def _text():
    t = growth.TextIndex()
    t.add(np.arange(3000), [f"item {i} shoes size {i % 40} colour {i % 7}" for i in range(3000)])
    return t, lambda: t.search("shoes size colour item", k=50), "growth_text_search", "growth_text_free"


def _bandit():
    b = growth.Bandit(policy="thompson", seed=1)
    for a in range(200):
        b.add_arm(a)
    return b, lambda: b.select_batch(2000), "growth_bandit_select_batch", "growth_bandit_free"


def _forest():
    rng = np.random.default_rng(2)
    X = rng.random((2000, 10)).astype(np.float32)
    f = growth.Forest.train(X, (X[:, 0] > 0.5).astype(np.float32),
                            params="objective=binary:logistic max_depth=4", num_rounds=30)
    big = rng.random((50000, 10)).astype(np.float32)
    return f, lambda: f.predict(big), "growth_forest_predict_dense", "growth_forest_free"


def _index():
    rng = np.random.default_rng(3)
    ix = growth.Index(dim=32, metric="cosine", kind="flat")
    ix.add(rng.standard_normal((5000, 32)).astype(np.float32))
    Q = rng.standard_normal((200, 32)).astype(np.float32)
    return ix, lambda: ix.search(Q, 10), "growth_index_search_batch", "growth_index_free"


def _bidder():
    b = growth.Bidder(target_cpa=80, budget=50_000)
    rng = np.random.default_rng(4)
    pctr, pcvr = rng.random(200_000) * 0.05, rng.random(200_000) * 0.1
    return b, lambda: b.bid(pctr, pcvr), "growth_bidder_bid_batch", "growth_bidder_free"


def _net():
    import tempfile
    from growth import export
    rng = np.random.default_rng(5)
    layers = [("dense", rng.standard_normal((64, 32)).astype(np.float32), np.zeros(64, np.float32)), "relu",
              ("dense", rng.standard_normal((1, 64)).astype(np.float32), np.zeros(1, np.float32))]
    path = tempfile.mktemp(suffix=".net")
    export.write_net(path, layers, 32)
    net = growth.Net.load(path, batch=64)
    X = rng.standard_normal((20000, 32)).astype(np.float32)
    return net, lambda: net.predict(X), "growth_net_predict_dense", ("growth_net_free", "growth_net_workspace_free")


def _dssm():
    import tempfile
    from growth import export
    rng = np.random.default_rng(6)
    tower = [("dense", rng.standard_normal((16, 256)).astype(np.float32), np.zeros(16, np.float32)), "tanh"]
    path = tempfile.mktemp(suffix=".dssm")
    export.write_dssm(path, tower, tower, 256, seed=1)
    d = growth.DSSM.load(path)
    texts = [f"red running shoes size {i}" for i in range(3000)]
    return d, lambda: d.encode_items(texts), "growth_dssm_encode", ("growth_dssm_free", "growth_net_workspace_free")


def _mckp():
    rng = np.random.default_rng(7)
    v, c = rng.random((3000, 5)), rng.random((3000, 5)) + 0.1
    s = growth.budget.MCKPSolver()
    return s, lambda: s.solve(v, c, 400.0), "growth_mckp_solve", "growth_mckp_free"


def _calibrator():
    rng = np.random.default_rng(8)
    s = rng.random(5000).astype(np.float32)
    cal = growth.Calibrator(method="isotonic").fit(s, (rng.random(5000) < s).astype(np.float32))
    big = rng.random(300_000).astype(np.float32)
    return cal, lambda: cal.predict(big), "growth_calibrator_apply_batch", "growth_calibrator_free"


def _bandit_sim():
    b = growth.Bandit(policy="thompson", seed=1)   # the simulator adds its arms at the first run
    sim = growth.BanditSimulator(arms=20, seed=2)
    return sim, lambda: sim.run(b, 3000, points=10), "growth_bandit_sim_run", "growth_bandit_sim_free"


def _bid_sim():
    sim = growth.BidSimulator(impressions=20000, seed=3)
    b = growth.Bidder(target_cpa=50, budget=1000)
    return sim, lambda: sim.run(b), "growth_bidder_sim_run", "growth_bidder_sim_free"


def _row():
    r = growth.Row(bits=16)

    def call():
        r.clear()
        for i in range(200):
            r.add_cat("field", str(i))
    return r, call, "growth_row_add_cat", "growth_row_free"


CASES = [_ftrl, _text, _bandit, _forest, _index, _bidder, _net, _dssm, _mckp, _calibrator,
         _bandit_sim, _bid_sim, _row]
# Handles used by one thread at a time (solver, simulators, row builder): one worker races close().
ONE_THREAD = {_mckp, _bandit_sim, _bid_sim, _row}


@pytest.mark.parametrize("make", CASES, ids=[f.__name__[1:] for f in CASES])
def test_close_races_calls(make, monkeypatch):
    in_flight = [0]
    freed_while_busy = []
    guard = threading.Lock()

    for round_ in range(12):
        obj, call, c_call, c_free = make()
        frees = (c_free,) if isinstance(c_free, str) else c_free
        real_call = getattr(_lib.lib, c_call)

        def wrapped_call(*args, _real=real_call):
            with guard:
                in_flight[0] += 1
            try:
                return _real(*args)
            finally:
                with guard:
                    in_flight[0] -= 1

        def make_free(real_free):
            def wrapped_free(h):
                with guard:
                    if in_flight[0]:
                        freed_while_busy.append(in_flight[0])
                return real_free(h)
            return wrapped_free

        monkeypatch.setattr(_lib.lib, c_call, wrapped_call)
        for name in frees:
            monkeypatch.setattr(_lib.lib, name, make_free(getattr(_lib.lib, name)))
        outcomes = []

        def worker():
            n = 0
            while True:
                try:
                    call()
                    n += 1
                except ValueError:
                    outcomes.append(n)
                    return

        n_workers = 1 if make in ONE_THREAD else 3
        threads = [threading.Thread(target=worker) for _ in range(n_workers)]
        for t in threads:
            t.start()
        time.sleep(0.002 * (round_ % 4))
        obj.close()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert len(outcomes) == n_workers  # every worker stopped on ValueError, none crashed
        with pytest.raises(ValueError):
            call()
        monkeypatch.undo()
    assert freed_while_busy == []


def test_close_is_idempotent_and_deferred():
    m = growth.FTRL(bits=8).partial_fit((np.array([0, 1], np.uint64), np.array([3], np.uint32)), [1])
    lease = m._handle()                    # a call in flight
    m.close()
    assert m._h is not None                # not freed yet: the call still holds it
    with pytest.raises(ValueError):
        m._handle()
    m.close()
    del lease                              # the call returns: now it is freed
    assert m._h is None


def _csr_rows(n, seed, bits=16, nnz=8):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 1 << bits, n * nnz).astype(np.uint32)
    return (np.arange(0, n * nnz + 1, nnz, dtype=np.uint64), idx), (rng.random(n) < 0.3).astype(np.float32)


def test_fit_replaces_the_model_under_running_calls(monkeypatch):
    # An estimator's fit() trains a new C model and installs it; the one it replaces is freed only
    # once no call holds it, so predictions running in other threads never see it freed.
    X, y = _csr_rows(20000, 1)
    m = growth.FTRL(bits=16).fit(X, y)
    in_flight, freed, freed_while_busy = [0], [0], []
    guard = threading.Lock()
    real_call, real_free = _lib.lib.growth_ftrl_predict_csr, _lib.lib.growth_ftrl_free

    def wrapped_call(*args):
        with guard:
            in_flight[0] += 1
        try:
            return real_call(*args)
        finally:
            with guard:
                in_flight[0] -= 1

    def wrapped_free(h):
        with guard:
            freed[0] += 1
            if in_flight[0]:
                freed_while_busy.append(in_flight[0])
        return real_free(h)

    monkeypatch.setattr(_lib.lib, "growth_ftrl_predict_csr", wrapped_call)
    monkeypatch.setattr(_lib.lib, "growth_ftrl_free", wrapped_free)
    stop = threading.Event()
    shapes = []

    def worker():
        while not stop.is_set():
            shapes.append(m.predict_proba(X).shape)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for k in range(8):
        m.fit(X, y if k % 2 else 1 - y)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    m.close()
    monkeypatch.undo()
    assert freed_while_busy == [] and freed[0] == 9        # 8 replaced models + the last one
    assert shapes and set(shapes) == {(20000,)}


def test_first_partial_fit_from_threads_creates_one_model(monkeypatch):
    created = []
    real_create = _lib.lib.growth_ftrl_create

    def wrapped_create(*args):
        created.append(1)
        return real_create(*args)

    monkeypatch.setattr(_lib.lib, "growth_ftrl_create", wrapped_create)
    m = growth.FTRL(bits=14)
    parts = [_csr_rows(500, s, bits=14) for s in range(4)]
    threads = [threading.Thread(target=m.partial_fit, args=part) for part in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(created) == 1 and m.stats()[0] == 2000
    m.close()
    with pytest.raises(ValueError, match="closed"):   # closed is final: no new model after it
        m.partial_fit(*parts[0])
    with pytest.raises(ValueError, match="closed"):
        m.fit(*parts[0])
    assert len(created) == 2                         # fit's model was freed, not installed
