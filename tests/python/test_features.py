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


def test_row_fields_record_indices_and_keep_slots():
    names = ["user", "item", "price"]
    with growth.Row(bits=20, seed=3, fields=names) as r, growth.Row(bits=20, seed=3) as plain:
        assert r.field_index("item") == 1
        with pytest.raises(growth.NotFound):
            r.field_index("city")
        for row in (r, plain):
            row.add_cat("item", "shoes").add_num("price", 2.0).add_cat("user", "u42")
            row.add_cross(["user", "item"], ["u42", "shoes"])
        r.add_field_index(2, 77, 0.5)
        plain.add_index(77, 0.5)
        assert r.fields().tolist() == [1, 2, 0, 0, 2]
        assert plain.fields() is None
        np.testing.assert_array_equal(r.indices(), plain.indices())
        # The same slots as the free functions, in C, Python and Java (pinned in test_pinned_slots_match_c).
        assert r.indices()[0] == growth.feature_hash("item", "shoes", seed=3, bits=20)
        with pytest.raises(growth.InvalidArgument, match="'city'"):
            r.add_cat("city", "x")
        with pytest.raises(growth.InvalidArgument):
            r.add_index(5)  # a row with fields needs add_field_index
        assert len(r) == 5
        with pytest.raises(growth.InvalidArgument, match="twice"):
            r.set_fields(["a", "a"])
        with pytest.raises(growth.InvalidArgument):
            r.set_fields([f"f{i}" for i in range(257)])
        r.set_fields([f"f{i}" for i in range(256)])
        assert len(r) == 0
        r.set_fields([])
        assert r.fields() is None


def test_hash_records_with_fields():
    recs = [{"user": "u1", "item": "i9"}, {"item": "i2", "user": "u7", "price": 3.0}]
    indptr, idx, val, fld = growth.hash_records(recs, bits=16, numeric=["price"],
                                                fields=["user", "item", "price"])
    assert indptr.tolist() == [0, 2, 5]
    assert fld.dtype == np.uint8 and fld.tolist() == [0, 1, 1, 0, 2]
    i2, idx2, val2 = growth.hash_records(recs, bits=16, numeric=["price"])
    np.testing.assert_array_equal(idx, idx2)
    with pytest.raises(growth.InvalidArgument):
        growth.hash_records([{"city": "x"}], fields=["user"])
