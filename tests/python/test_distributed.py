"""growth.distributed on a real distributed.LocalCluster with 2 worker processes: the sharded
MCKP equals the single-process solver, sharded scoring equals local scoring exactly."""
import logging
import os

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")
import dask.array as da  # noqa: E402

import growth  # noqa: E402
from growth import budget as gb  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    # worker processes import growth themselves: they inherit the library path and the package
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(growth.__file__)))]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    os.environ.setdefault("GROWTH_LIBRARY", growth._lib.lib._name)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           silence_logs=logging.ERROR, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def instance(n, m, K, seed, absent=0.0):
    rng = np.random.default_rng(seed)
    c = rng.uniform(0.1, 10, (n, m, K))
    v = rng.uniform(0, 5, (n, m)) * np.sqrt(c[:, :, 0])
    if absent:
        v[rng.random((n, m)) < absent] = np.nan
    B = np.nansum(c, axis=(0, 1)) / m * 0.3
    return v, c, B


def same(r, ref, choice):
    assert abs(r.lp_value - ref.lp_value) <= 1e-9 * ref.lp_value
    assert abs(r.value - ref.value) <= 1e-9 * ref.value
    assert abs(r.gap - ref.gap) <= 1e-9
    np.testing.assert_allclose(r.spend, ref.spend, rtol=1e-9)
    np.testing.assert_array_equal(r.lambdas, ref.lambdas)   # the same prices, bit for bit
    np.testing.assert_array_equal(choice, ref.choice)       # hence the same plan


@pytest.mark.parametrize("seed,fill,absent", [(1, True, 0.0), (2, False, 0.0), (3, True, 0.15),
                                              (4, True, 0.0)])
def test_sharded_mckp_one_budget_equals_single_machine(client, seed, fill, absent):
    import growth.distributed as gd
    n = 2000 if seed == 4 else 3000   # seed 4: the threshold user is rounded in, repair runs
    v, c, B = instance(n, 5, 1, seed, absent)
    ref = gb.solve_mckp(v, c[:, :, 0], B[0], fill=fill)
    stages = []
    r = gd.solve_mckp(values=da.from_array(v, chunks=(700, 5)),
                      costs=da.from_array(c[:, :, 0], chunks=(700, 5)), budget=B[0], fill=fill,
                      client=client, progress=lambda s, i: stages.append(s))
    same(r, ref, r.choice.compute())
    assert r.partitions == -(-n // 700) and r.round_trips >= 3
    assert r.bytes_from_workers < 64 * 1024      # a few numbers, never user data
    if seed == 4:
        assert "repair" in stages


def test_sharded_mckp_two_budgets_equals_single_machine(client):
    import growth.distributed as gd
    v, c, B = instance(2000, 4, 2, 5)
    ref = gb.solve_mckp(v, c, B)
    r = gd.solve_mckp(values=da.from_array(v, chunks=(1000, 4)),
                      costs=da.from_array(c, chunks=(500, 4, 2)), budget=B, client=client)
    same(r, ref, r.choice.compute())
    assert r.iterations == ref.iterations


def test_sharded_mckp_csr_parts_and_edge_budgets(client):
    import growth.distributed as gd
    v, c, B = instance(2500, 5, 1, 7, absent=0.2)
    ip, vv, cc, _, _, _ = gb._mckp_input(v, c, None)
    parts = []
    for lo, hi in ((0, 900), (900, 2000), (2000, 2500)):
        a, b = int(ip[lo]), int(ip[hi])
        parts.append(dask.delayed((ip[lo:hi + 1] - ip[lo], vv[a:b], cc[a:b])))
    ref = gb.solve_mckp(values=(ip, vv, cc), budget=B[0])
    r = gd.solve_mckp(parts=parts, budget=B[0], client=client)
    same(r, ref, r.choice.compute())
    for budget in (0.0, 1e12):
        ref = gb.solve_mckp(v, c[:, :, 0], budget)
        r = gd.solve_mckp(values=da.from_array(v, chunks=(1000, 5)),
                          costs=da.from_array(c[:, :, 0], chunks=(1000, 5)), budget=budget,
                          client=client)
        same(r, ref, r.choice.compute())
    with pytest.raises(growth.InvalidArgument):
        gd.solve_mckp(values=da.from_array(v, chunks=(1000, 5)),
                      costs=da.from_array(c[:, :, 0], chunks=(1000, 5)), budget=[1.0, 2.0],
                      client=client)


def test_sharded_scoring_equals_local(client, tmp_path):
    import dask.dataframe as dd
    import pandas as pd
    import growth.distributed as gd
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 6)).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) > 0).astype(np.float32)
    forest = growth.Forest.train(X, y, params="objective=reg:squarederror max_depth=3", num_rounds=8)
    soft = growth.Forest.train(X, y, params={"objective": "multi:softprob", "num_class": 2, "max_depth": 3},
                               num_rounds=4)
    forest.save(str(tmp_path / "f.model"))
    Xs = (rng.random((3000, 40)) < 0.1) * rng.random((3000, 40))
    ftrl = growth.FTRL(alpha=0.1, l1=0.1, l2=1, bits=16, heads=["click", "buy"])
    ftrl.partial_fit(Xs, np.stack([y, 1 - y], axis=1))
    scores = rng.random(3000)
    cal = growth.Calibrator("isotonic")
    cal.fit(scores, (rng.random(3000) < scores).astype(np.float64))
    cal.save(str(tmp_path / "c.model"))

    dX = da.from_array(X, chunks=(700, 6))
    np.testing.assert_array_equal(gd.score(str(tmp_path / "f.model"), dX, client=client).compute(),
                                  forest.predict(X))
    np.testing.assert_array_equal(gd.score(soft, dX, client=client).compute(), soft.predict(X))
    np.testing.assert_array_equal(gd.score(soft, dX, output_margin=True, client=client).compute(),
                                  soft.predict(X, output_margin=True))
    out = gd.score(ftrl, da.from_array(Xs, chunks=(1000, 40)), client=client).compute()
    assert out.shape == (3000, 2)
    np.testing.assert_array_equal(out, ftrl.predict_proba(Xs))
    np.testing.assert_array_equal(
        gd.score(str(tmp_path / "c.model"), da.from_array(scores, chunks=600), client=client).compute(),
        cal.predict(scores))
    df = dd.from_pandas(pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]).assign(id=np.arange(3000)),
                        npartitions=4)
    s = gd.score(str(tmp_path / "f.model"), df, columns=[f"x{i}" for i in range(6)], name="p",
                 client=client).compute()
    np.testing.assert_array_equal(s.sort_index().to_numpy(), forest.predict(X))
    # each worker process loaded each model once, not once per partition
    loads = gd.model_loads(client)
    assert len(loads) == 2 and all(n == 1 for w in loads.values() for n in w.values())
    assert sum(len(w) for w in loads.values()) >= 4
