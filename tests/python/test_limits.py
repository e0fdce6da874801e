"""Resource limits stated up front: growth.OutOfMemory when the C model is created (an estimator
creates it at its first fit) and the max_memory key."""
import time

import numpy as np
import pytest

import growth


def _first_fit(m, heads=1):
    """The estimator creates its C model at the first fit: one example with one feature."""
    m.partial_fit((np.array([0, 1], np.uint64), np.array([1], np.uint32)), np.ones((1, heads), np.float32))
    return m


def test_terabyte_table_is_refused_at_create():
    t0 = time.perf_counter()
    with pytest.raises(growth.OutOfMemory) as e:
        _first_fit(growth.FTRL(bits=32, heads=16), heads=16)
    assert time.perf_counter() - t0 < 1.0
    assert isinstance(e.value, growth.GrowthError) and isinstance(e.value, MemoryError)
    assert e.value.code == growth.OutOfMemory.code
    assert "1099511627776 bytes" in str(e.value)


def test_ftrl_max_memory_round_trips():
    with pytest.raises(growth.OutOfMemory, match=r"max_memory \(1000000 bytes\)"):
        _first_fit(growth.FTRL(bits=20, max_memory=1_000_000))
    m = _first_fit(growth.FTRL(bits=16, max_memory=1 << 20))
    assert "max_memory=1048576" in m.config
    assert _first_fit(growth.FTRL(config=m.config)).config == m.config


def test_index_add_over_the_cap_leaves_the_index_unchanged():
    rng = np.random.default_rng(3)
    ix = growth.Index(16, kind="hnsw", max_memory=200_000)
    ix.add(rng.standard_normal((64, 16)))
    before = ix.stats()
    with pytest.raises(growth.OutOfMemory, match="max_memory"):
        ix.add(rng.standard_normal((5000, 16)))
    assert ix.stats() == before
    assert "max_memory=200000" in ix.config


def test_text_add_over_the_cap_leaves_the_index_unchanged():
    ix = growth.TextIndex(config="max_memory=60000")
    ix.add(np.arange(10), ["red running shoes"] * 10)
    n = len(ix)
    with pytest.raises(growth.OutOfMemory):
        ix.add(np.arange(100, 2100), [f"a{i} b{i} c{i} d{i} e{i}" for i in range(2000)])
    assert len(ix) == n
