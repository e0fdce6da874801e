"""The package-wide conventions of the Python binding: one configuration formatter, one
pickling style, close()/context managers on every handle owner, docstrings and type hints on
the public API, and the core package importing without torch or scikit-learn."""
import math

import numpy as np
import pytest

import growth
from growth._options import _config, format_value, parse_config


# ---- one configuration formatter ------------------------------------------------------------

def test_config_formats_python_values_for_the_c_parser():
    assert _config(a=True, b=False, c=None) == "a=true b=false"
    assert _config(n=np.int64(7), m=3) == "n=7 m=3"
    for x in (0.1, 1 / 3, 1e-300, 2.5e17, float(np.float32(0.1))):
        assert float(parse_config(_config(x=x))["x"]) == x          # floats round-trip
    assert _config(x=np.float32(0.1)) == f"x={float(np.float32(0.1))!r}"
    assert _config(heads=["click", "buy"], curve=np.array([0.5, 1.25])) == "heads=click|buy curve=0.5|1.25"
    assert _config(name="two words", empty="", q='say "hi"') == "name=\"two words\" empty=\"\" q='say \"hi\"'"
    assert _config("alpha=0.1  ", bits=12) == "alpha=0.1 bits=12"   # config= first, as given
    with pytest.raises(growth.InvalidArgument, match="'alpha' is given twice"):
        _config("alpha=0.1 beta=1", alpha=0.2)
    with pytest.raises(growth.InvalidArgument, match="both quote"):
        format_value("k", "a'b\"c")
    with pytest.raises(growth.InvalidArgument, match="separator"):
        format_value("k", ["a|b", "c"])
    assert parse_config('a=1 b="x y", c=\'\' d') == {"a": "1", "b": "x y", "c": ""}
    assert math.isnan(float(parse_config(_config(x=float("nan")))["x"]))   # the C parser refuses it


def test_config_is_the_one_the_library_reads():
    # Every class formats through the same helper: what the library writes back parses to the
    # values given, and a key given twice is refused before the C call.
    cfg = parse_config(growth.Bidder(target_cpa=2.5, plan="curve", curve=[1, 2.5, 0.125], shading=False).config)
    assert (cfg["target_cpa"], cfg["curve"], cfg["shading"]) == ("2.5", "1.0|2.5|0.125", "false")
    with growth.Index(dim=4, metric="cosine", config="ef=32 M=8") as ix:
        cfg = parse_config(ix.config)
        assert (cfg["metric"], cfg["ef"], cfg["M"]) == ("cosine", "32", "8")
    with pytest.raises(growth.InvalidArgument, match="given twice"):
        growth.Index(dim=4, config="dim=8")
    with growth.TextIndex(k1=0.9, lowercase=False) as t:
        assert parse_config(t.config) == {"k1": "0.9", "b": "0.75", "ngram": "2", "lowercase": "false"}
