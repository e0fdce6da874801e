"""Closing (or dropping) an object while other threads are inside calls on it must not crash: the
binding keeps the C handle alive until every running call has returned, and calls made after
close() raise ValueError. Each case wraps the C function the method calls and the C free
function, and checks that the free never runs while a call is in flight."""
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


@pytest.mark.parametrize("make", [_ftrl, _text, _bandit, _forest], ids=["ftrl", "text", "bandit", "forest"])
def test_close_races_calls(make, monkeypatch):
    in_flight = [0]
    freed_while_busy = []
    guard = threading.Lock()

    for round_ in range(12):
        obj, call, c_call, c_free = make()
        real_call, real_free = getattr(_lib.lib, c_call), getattr(_lib.lib, c_free)

        def wrapped_call(*args, _real=real_call):
            with guard:
                in_flight[0] += 1
            try:
                return _real(*args)
            finally:
                with guard:
                    in_flight[0] -= 1

        def wrapped_free(h, _real=real_free):
            with guard:
                if in_flight[0]:
                    freed_while_busy.append(in_flight[0])
            return _real(h)

        monkeypatch.setattr(_lib.lib, c_call, wrapped_call)
        monkeypatch.setattr(_lib.lib, c_free, wrapped_free)
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

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.002 * (round_ % 4))
        obj.close()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert len(outcomes) == 3          # every worker stopped on ValueError, none crashed
        with pytest.raises(ValueError):
            call()
        monkeypatch.undo()
    assert freed_while_busy == []


def test_close_is_idempotent_and_deferred():
    m = growth.FTRL(bits=8)
    lease = m._handle()                    # a call in flight
    m.close()
    assert m._h is not None                # not freed yet: the call still holds it
    with pytest.raises(ValueError):
        m._handle()
    m.close()
    del lease                              # the call returns: now it is freed
    assert m._h is None
