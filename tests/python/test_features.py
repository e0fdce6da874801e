import numpy as np
import pytest

import growth


def test_pinned_slots_match_c():
    assert growth.feature_hash("user_city", "hangzhou", bits=24) == 0x86C9AF
    assert growth.feature_hash_cross(["user_city", "item_cat"], ["hangzhou", "shoes"], bits=24) == 0xD7321B


def test_row_matches_free_functions():
    with growth.Row(bits=20, seed=5) as r:
        r.add_cat("user_city", "hangzhou").add_num("price", 2.5)
        r.add_cross(["user_city", "item_cat"], ["hangzhou", "shoes"])
        assert len(r) == 3
        assert list(r.indices()) == [
            growth.feature_hash("user_city", "hangzhou", seed=5, bits=20),
            growth.numeric_hash("price", seed=5, bits=20),
            growth.feature_hash_cross(["user_city", "item_cat"], ["hangzhou", "shoes"], seed=5, bits=20),
        ]
        assert list(r.values()) == [1.0, 2.5, 1.0]
        with pytest.raises(growth.InvalidArgument):
            r.add_num("price", float("nan"))
        assert len(r) == 3
        assert r.config == "bits=20 seed=5 capacity=64 dedup=false"


def test_hash_records_and_unicode():
    recs = [{"city": "杭州", "price": 3.0}, {"city": "北京", "price": 1.0}]
    indptr, idx, val = growth.hash_records(recs, bits=16, numeric=["price"], crosses=[("city", "city")])
    assert list(indptr) == [0, 3, 6]
    assert idx[0] == growth.feature_hash("city", "杭州", bits=16)
    assert val[1] == 3.0
    assert idx[0] != idx[3]


def test_bad_bits():
    with pytest.raises(growth.InvalidArgument):
        growth.feature_hash("a", "b", bits=0)
    with pytest.raises(growth.InvalidArgument):
        growth.Row(bits=40)
