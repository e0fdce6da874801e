"""libgrowth's nets and DSSM equal PyTorch's float32 outputs on the same exported weights."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="python3-torch is not installed: PyTorch equality tests skipped")

import growth  # noqa: E402
from growth.export import export_torch  # noqa: E402
from growth.contrib.torch_nets import DSSMModel, WideDeep, mlp, to_bags  # noqa: E402
from test_nets import rel_err  # noqa: E402

nn = torch.nn


def torch_out(module, *args):
    with torch.no_grad():
        return module(*args).numpy()


@pytest.mark.parametrize("sizes,act,last", [([512, 256, 1], "relu", "sigmoid"),
                                            ([100, 200, 50, 10], "tanh", None),
                                            ([30, 64, 64, 3], "sigmoid", "relu")])
def test_sequential_equals_torch_on_10k_rows(tmp, sizes, act, last):
    torch.manual_seed(sizes[0])
    m = mlp(sizes, act, last).eval()
    assert export_torch(m, tmp / "m.net") == "net"
    X = np.random.default_rng(0).standard_normal((10000, sizes[0])).astype(np.float32)
    ref = torch_out(m, torch.from_numpy(X))
    with torch.no_grad():
        ref64 = m.double()(torch.from_numpy(X).double()).numpy()
    with growth.Net.load(tmp / "m.net") as net:
        out = net.predict(X)
        assert rel_err(out, ref) < 1e-5
        # As accurate as PyTorch's float32 against a float64 evaluation of the same weights.
        assert np.abs(out - ref64).max() <= 2 * np.abs(ref - ref64).max() + 1e-7
        single = np.stack([net.predict(X[i]) for i in range(0, 10000, 97)])
        assert rel_err(single, ref[::97]) < 1e-5


def test_sequential_with_dropout_and_identity(tmp):
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Dropout(0.5), nn.Identity(),
                      nn.Sequential(nn.Linear(30, 5), nn.Tanh())).eval()
    export_torch(m, tmp / "m.net")
    X = np.random.default_rng(1).standard_normal((1000, 20)).astype(np.float32)
    assert rel_err(growth.Net.load(tmp / "m.net").predict(X), torch_out(m, torch.from_numpy(X))) < 1e-5


def test_unsupported_layer_is_refused(tmp):
    with pytest.raises(ValueError, match="unsupported layer type LayerNorm"):
        export_torch(nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4)), tmp / "m.net")


def test_wide_and_deep_equals_torch(tmp):
    torch.manual_seed(2)
    m = WideDeep(dense_dim=13, fields=[(1000, 16, "mean"), (50, 8, "sum")], hidden=(64, 32),
                 wide_rows=1 << 12, output="sigmoid").eval()
    export_torch(m, tmp / "wd.net")
    rng = np.random.default_rng(2)
    n = 10000
    X = rng.standard_normal((n, 13)).astype(np.float32)
    # Field bags and wide features as CSR; torch gets EmbeddingBag (ids, offsets) per field.
    c0 = rng.integers(0, 4, n)
    c1 = rng.integers(0, 3, n)
    ids0 = rng.integers(0, 1000, c0.sum())
    ids1 = rng.integers(0, 50, c1.sum())
    p0 = np.concatenate([[0], np.cumsum(c0)])
    p1 = np.concatenate([[0], np.cumsum(c1)])
    cat_ptr = p0 + p1
    cat_f = np.empty(cat_ptr[-1], np.uint32)
    cat_i = np.empty(cat_ptr[-1], np.uint32)
    for r in range(n):
        a, k0, k1 = cat_ptr[r], c0[r], c1[r]
        cat_f[a:a + k0], cat_i[a:a + k0] = 0, ids0[p0[r]:p0[r + 1]]
        cat_f[a + k0:a + k0 + k1], cat_i[a + k0:a + k0 + k1] = 1, ids1[p1[r]:p1[r + 1]]
    cw = rng.integers(0, 6, n)
    wp = np.concatenate([[0], np.cumsum(cw)])
    wi = rng.integers(0, 1 << 12, wp[-1])
    wv = rng.random(wp[-1]).astype(np.float32)
    ref = torch_out(m, torch.from_numpy(X), [to_bags(p0, ids0), to_bags(p1, ids1)],
                    (*to_bags(wp, wi), torch.from_numpy(wv)))
    with growth.Net.load(tmp / "wd.net") as net:
        out = net.predict_wide_deep(X, (cat_ptr, cat_f, cat_i), (wp, wi, wv))
        assert out.shape == (n, 1)
        assert rel_err(out, ref) < 1e-5


def test_dssm_towers_equal_torch(tmp):
    torch.manual_seed(3)
    m = DSSMModel(buckets=5000, dims=(64, 64, 32), seed=11).eval()
    assert export_torch(m, tmp / "m.dssm") == "dssm"
    rng = np.random.default_rng(3)
    words = ["running", "shoes", "nike", "跑步鞋", "耳机", "wireless", "咖啡", "espresso", "yoga", "mat"]
    texts = [" ".join(rng.choice(words, rng.integers(1, 5))) for _ in range(2000)]
    with torch.no_grad():
        rq, ri = m.encode(texts, "query").numpy(), m.encode(texts, "item").numpy()
    with growth.DSSM.load(tmp / "m.dssm") as d:
        assert d.config.startswith("buckets=5000 seed=11 query=dense:5000x64,tanh,dense:64x64")
        assert rel_err(d.encode_queries(texts), rq) < 1e-5
        assert rel_err(d.encode_items(texts), ri) < 1e-5
        np.testing.assert_allclose(d.score(texts[0], texts[:50]), ri[:50] @ rq[0], atol=1e-5)


def test_training_script_learns_and_serves(tmp):
    from growth.contrib import dssm_train
    items, item_cat, queries, clicked = dssm_train.make_click_log(n_clicks=2000, seed=0)
    model = dssm_train.train(queries, [items[i] for i in clicked], buckets=4096, dims=(64, 32), epochs=2)
    export_torch(model, tmp / "toy.dssm")
    _, _, tq, tclick = dssm_train.make_click_log(n_clicks=300, seed=1)
    with growth.DSSM.load(tmp / "toy.dssm") as d:
        acc = dssm_train.top1_category_accuracy(d.encode_queries, d.encode_items, tq, item_cat[tclick],
                                                items, item_cat)
        with torch.no_grad():
            ref = model.encode(tq[:100], "query").numpy()
        assert rel_err(d.encode_queries(tq[:100]), ref) < 1e-5
    assert acc > 0.6, acc  # chance is 1/8


def test_old_module_paths_are_deprecated_aliases():
    # growth.torch_nets and growth.dssm_train moved to growth.contrib; the old names still work
    # (removed in 2.0) and warn.
    import importlib
    import sys
    from growth.contrib import dssm_train, torch_nets
    for old, new in (("growth.torch_nets", torch_nets), ("growth.dssm_train", dssm_train)):
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match="growth.contrib"):
            mod = importlib.import_module(old)
        assert mod.main is new.main if old.endswith("train") else mod.DSSMModel is new.DSSMModel
