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
        assert parse_config(t.config) == {"k1": "0.9", "b": "0.75", "ngram": "2", "lowercase": "false",
                                           "max_memory": "0", "search": "wand"}


# ---- one pickling style: every model class through to_bytes/from_bytes ---------------------

def _models(tmp):
    """(model, what it computes) for every class with a serialised form."""
    from growth import export
    rng = np.random.default_rng(0)
    X = rng.random((400, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 1).astype(np.float32)
    csr = (np.arange(0, 401 * 3, 3, dtype=np.uint64)[:401], rng.integers(0, 4096, 1200).astype(np.uint32))
    out = []
    m = growth.FTRL(bits=12, heads=["click", "buy"], l1=0.1).fit(csr, np.column_stack([y, 1 - y]))
    out.append((m, lambda o: o.predict_proba(csr)))
    c = growth.FTRLClassifier(bits=12).fit(csr, np.where(y == 1, "yes", "no"))
    out.append((c, lambda o: (o.predict_proba(csr), o.predict(csr))))
    cal = growth.Calibrator(method="isotonic").fit(X[:, 0], y)
    out.append((cal, lambda o: o.predict(X[:, 0])))
    f = growth.Forest.train(X, y, params="objective=binary:logistic max_depth=2", num_rounds=4)
    out.append((f, lambda o: o.predict(X)))
    fc = growth.ForestClassifier(num_rounds=4, max_depth=2).fit(X, np.where(y == 1, "b", "a"))
    out.append((fc, lambda o: (o.predict_proba(X), o.predict(X))))
    fr = growth.ForestRegressor(num_rounds=4, max_depth=2).fit(X, X[:, 0])
    out.append((fr, lambda o: o.predict(X)))
    b = growth.Bandit(policy="ucb1", arms=[1, "two", 3], seed=1)
    for _ in range(20):
        d, _a = b.select()
        b.reward(d, 1.0)
    out.append((b, lambda o: (o.arms, [o.arm_stats(a) for a in o.arms], o.policy)))
    ix = growth.Index(dim=5, metric="cosine").add(X[:100], ids=np.arange(100) * 3)
    out.append((ix, lambda o: o.search(X[:4], 5)))
    t = growth.TextIndex(k1=1.1).add([1, 2, 3], ["red shoes", "blue shoes", "red hat"])
    out.append((t, lambda o: o.search("red shoes", 3)))
    layers = [("dense", rng.standard_normal((2, 5)).astype(np.float32), np.zeros(2, np.float32)), "relu"]
    export.write_net(tmp / "m.net", layers, 5)
    net = growth.Net.load(tmp / "m.net", batch=32)
    out.append((net, lambda o: (o.predict(X), o.batch)))
    q = [("dense", rng.standard_normal((4, 64)).astype(np.float32), np.zeros(4, np.float32)), "tanh"]
    export.write_dssm(tmp / "m.dssm", q, q, 64, seed=2)
    d = growth.DSSM.load(tmp / "m.dssm")
    out.append((d, lambda o: o.encode_items(["red shoes", "blue hat"])))
    bid = growth.Bidder(target_cpa=20, budget=100)
    bid.record(10, 5.0)
    out.append((bid, lambda o: (o.bid(0.1, 0.2), o.spent)))
    fld = np.tile(np.arange(3, dtype=np.uint8), 400)
    ffm = growth.FFM(fields=3, bits=12, heads=["click", "buy"]).fit(csr, np.column_stack([y, 1 - y]), fld,
                                                                   epochs=2)
    out.append((ffm, lambda o: (o.predict_proba(csr, fld), o.factors(int(csr[1][0]), 2))))
    fm = growth.FM(k=3, bits=12, precision="compact").partial_fit(csr, y)
    out.append((fm, lambda o: (o.predict_proba(csr), o.stats()["examples"])))
    arm = (np.arange(len(X)) % 2).astype(np.int32)
    up = growth.uplift.UpliftModel.train(X, y, arm, method="t_learner", params="max_depth=2", num_rounds=3)
    out.append((up, lambda o: (o.predict(X), o.predict_response(X), o.config, o.stats())))
    return out


def _same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    else:
        np.testing.assert_array_equal(a, b)


def test_every_model_class_pickles_through_its_bytes(tmp):
    import copy
    import pickle
    from growth._handle import OwnedModel
    models = _models(tmp)
    covered = {type(m) for m, _ in models}
    every = {c for c in _subclasses(OwnedModel) if not c.__name__.startswith("_")
             and not c.__module__.startswith("growth._")}
    assert every <= covered, every - covered           # a new model class needs a case here
    for m, compute in models:
        ref = compute(m)
        for copied in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
            assert type(copied) is type(m) and copied._h.value != m._h.value
            _same(compute(copied), ref)
            assert copied.to_bytes() == m.to_bytes()
            assert {k: v for k, v in vars(copied).items() if not k.startswith("_")}.keys() == \
                {k: v for k, v in vars(m).items() if not k.startswith("_")}.keys()
        # from_bytes has the C model only (a classifier's own labels are in its pickle)
        assert type(m).from_bytes(m.to_bytes()).to_bytes() == m.to_bytes()
        state = m.__getstate__()                          # the one format, in the base class
        assert set(state) == {"model", "attrs"} and isinstance(state["model"], bytes)
        m.close()
        with pytest.raises(ValueError, match="closed"):
            pickle.dumps(m)


def test_unfitted_estimators_pickle_their_parameters():
    import pickle
    for est in (growth.FTRL(alpha=0.3, heads=["a", "b"]), growth.FTRLClassifier(bits=9),
                growth.Calibrator("platt", max_iter=7), growth.ForestClassifier(max_depth=2),
                growth.ForestRegressor(params={"lambda": 2})):
        back = pickle.loads(pickle.dumps(est))
        assert back.get_params() == est.get_params() and back._h is None
        with pytest.raises(growth.NotFittedError):
            back.to_bytes()


def test_handles_without_a_serialised_form_refuse_pickling():
    import pickle
    sim = growth.BanditSimulator(arms=3)
    for obj in (growth.Row(bits=8), growth.budget.MCKPSolver(), growth.BidSimulator(impressions=10), sim):
        with pytest.raises(TypeError, match="cannot pickle"):
            pickle.dumps(obj)
        obj.close()


def _subclasses(cls):
    out = set()
    for c in cls.__subclasses__():
        out.add(c)
        out |= _subclasses(c)
    return out


# ---- close(), context managers and the idempotent close on every handle owner ------------------

def test_every_handle_owner_derives_from_the_base():
    # Lifetime code (close, __del__, __enter__/__exit__, leases) lives in growth._handle only; every
    # class that owns a C handle derives from OwnedHandle and names its free function.
    import importlib
    import inspect
    import pkgutil
    from growth._handle import OwnedHandle
    own_lifetime = {"ShardedIndex"}   # growth.distributed: holds Dask futures, not a C handle
    for info in pkgutil.iter_modules(growth.__path__):
        if info.name in ("torch_nets", "dssm_train", "contrib"):
            continue
        mod = importlib.import_module("growth." + info.name)
        for name, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ != mod.__name__ or cls.__module__ == "growth._handle":
                continue
            defines = {"close", "__del__", "__enter__", "__exit__", "_handle"} & set(vars(cls))
            assert not defines or name in own_lifetime, (mod.__name__, name, defines)
    owners = [c for c in _subclasses(OwnedHandle) if not c.__name__.startswith("_")
              and not c.__module__.startswith("growth._")]
    assert len(owners) == 22, sorted(c.__name__ for c in owners)  # + growth.budget.ResponseModel
    for cls in owners:
        assert cls._free_fn and cls.close is OwnedHandle.close, cls


# ---- optional dependencies: the core imports without torch, and without scikit-learn ----------

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked for the test: " + name)
sys.meta_path.insert(0, Block())
"""


def _run(code, blocked):
    import os
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", BLOCK.format(blocked=set(blocked)) + code],
                       capture_output=True, text=True, env=dict(os.environ))
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_core_imports_without_torch():
    out = _run("""
import importlib, pkgutil, sys
import growth
for info in pkgutil.iter_modules(growth.__path__):
    if info.name not in ("torch_nets", "dssm_train", "contrib", "distributed", "report"):
        importlib.import_module("growth." + info.name)
import growth.contrib
assert "torch" not in sys.modules
try:
    import growth.contrib.torch_nets
except ImportError as e:
    print("contrib needs torch:", e)
""", ["torch"])
    assert "contrib needs torch: blocked for the test: torch" in out


def test_estimators_without_scikit_learn():
    # scikit-learn is optional: without it the estimators keep the same parameter protocol,
    # NotFittedError keeps its bases, and score() is accuracy / R^2.
    out = _run("""
import numpy as np
import growth
from growth import _estimator
assert not _estimator.HAVE_SKLEARN
assert issubclass(growth.NotFittedError, (ValueError, AttributeError, growth.InvalidState))
m = growth.FTRL(alpha=0.1, bits=10, custom=None)
assert m.get_params() == dict(alpha=0.1, beta=None, bias=None, bits=10, config=None, custom=None,
                              heads=None, l1=None, l2=None, precision=None, seed=None)
assert m.set_params(l2=3.0) is m and m.l2 == 3.0
try:
    m.set_params(nope=1)
    raise SystemExit("set_params accepted an unknown parameter")
except ValueError as e:
    assert "Invalid parameter" in str(e)
try:
    m.predict_proba(np.eye(2))
    raise SystemExit("no NotFittedError")
except growth.NotFittedError:
    pass
assert repr(m) == "FTRL(alpha=0.1, bits=10, l2=3.0, custom=None)", repr(m)
rng = np.random.default_rng(0)
X = rng.random((300, 3)); y = (X[:, 0] > 0.5).astype(int)
clf = growth.ForestClassifier(num_rounds=5, max_depth=2).fit(X, y)
assert clf._estimator_type == "classifier" and clf.score(X, y) > 0.9
reg = growth.ForestRegressor(num_rounds=20, max_depth=2).fit(X, X[:, 0])
assert 0.9 < reg.score(X, X[:, 0]) <= 1
cal = growth.Calibrator().fit(X[:, 0], y)
assert cal.fit_transform(X[:, :1], y).shape == (300, 1)
print("ok")
""", ["sklearn"])
    assert out.strip() == "ok"


# ---- docstrings and type hints on the public API ---------------------------------------------

DEPRECATED = {"growth.torch_nets", "growth.dssm_train"}   # aliases of growth.contrib modules


def _public_modules():
    import importlib
    import pkgutil
    for info in pkgutil.walk_packages(growth.__path__, "growth."):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")) or name in DEPRECATED:
            continue
        try:
            yield importlib.import_module(name)
        except ImportError as e:            # growth.distributed without dask, contrib without torch
            if "torch" not in str(e) and "dask" not in str(e) and "distributed" not in str(e):
                raise


def _public_api():
    """(qualified name, object) of every public function, class, method and property."""
    import inspect
    from growth._estimator import fitted_property
    seen = set()
    for mod in _public_modules():
        names = getattr(mod, "__all__", None)
        if names is None:
            names = [n for n, o in vars(mod).items() if not n.startswith("_")
                     and (inspect.isfunction(o) or inspect.isclass(o)) and o.__module__ == mod.__name__]
        for n in names:
            obj = getattr(mod, n)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{obj.__module__}.{obj.__qualname__}", obj
            if not inspect.isclass(obj):
                continue
            for klass in obj.__mro__:
                if not klass.__module__.startswith("growth") or klass is object:
                    continue
                for m, member in vars(klass).items():
                    if (m.startswith("_") and m != "__init__") or (klass, m) in seen:
                        continue
                    seen.add((klass, m))
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if isinstance(member, (property, fitted_property)) or inspect.isfunction(member):
                        yield f"{klass.__module__}.{klass.__qualname__}.{m}", member


def test_public_api_has_docstrings_and_type_hints():
    import inspect
    from growth._estimator import fitted_property
    missing_doc, missing_hints = [], []
    api = list(_public_api())
    assert len(api) > 250
    for name, obj in api:
        fn = obj.fget if isinstance(obj, (property, fitted_property)) else obj
        if not name.endswith(".__init__") and not (obj.__doc__ or "").strip():  # its own, not inherited
            missing_doc.append(name)
        if inspect.isclass(obj):
            continue
        sig = inspect.signature(fn)
        params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
        if any(p.annotation is p.empty for p in params) or sig.return_annotation is sig.empty:
            missing_hints.append(name)
    assert not missing_doc, f"{len(missing_doc)} public callables without a docstring: {missing_doc}"
    assert not missing_hints, f"{len(missing_hints)} public callables without type hints: {missing_hints}"


def test_package_ships_the_py_typed_marker():
    import pathlib
    assert (pathlib.Path(growth.__file__).parent / "py.typed").is_file()
