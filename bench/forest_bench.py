"""Forest bench: libgrowth's native tree evaluator against xgboost's C API on the same model
and rows, one process.

Model: 300 trees of depth 6 on 50 features (binary:logistic, trained through libgrowth, i.e.
libxgboost), 10% missing values. Single row: median latency of growth_forest_predict vs
XGBoosterPredictFromDense (one reused proxy DMatrix, nthread=1), both called through ctypes
with prepared arguments, so both pay the same call overhead. Batch: rows/s of
growth_forest_predict_dense vs XGBoosterPredictFromDense (python3-xgboost's inplace_predict)
with 1 and 2 threads. Exactness: the largest difference of the two on the batch.
"""
import ctypes
import json
import time

import numpy as np

import growth
from growth._lib import lib
from growth._arrays import ptr


def median_time(fn, repeat):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def run(quick=False, report=None):
    import xgboost as xgb
    nf, trees, depth = 50, 300, 6
    n_train = 4_000 if quick else 50_000
    n_batch = 20_000 if quick else 100_000
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n_train + n_batch, nf)).astype(np.float32)
    z = X[:, :10] @ rng.normal(size=10) + X[:, 10] * X[:, 11]
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-z))).astype(np.float32)
    t = time.perf_counter()
    f = growth.Forest.train(X[:n_train], y[:n_train], num_rounds=trees, threads=1,
                            params=f"objective=binary:logistic max_depth={depth} eta=0.1 tree_method=hist min_child_weight=0")
    train_s = time.perf_counter() - t
    Xb = np.ascontiguousarray(X[n_train:])
    raw = f.to_bytes()
    b = xgb.Booster()
    with_json = bytearray(_json(f))
    b.load_model(with_json)
    b.set_param({"nthread": 1})
    print(f"forest: {trees} trees depth {depth}, {nf} features, {f.n_trees} trees loaded, "
          f"model file {len(raw) / 1024:.0f} KiB, trained in {train_s:.1f}s (1 thread); "
          f"batch {n_batch} rows")

    # --- exactness on the whole batch
    ours = f.predict(Xb)
    ref = b.inplace_predict(Xb, missing=np.nan)
    max_diff = float(np.max(np.abs(ours - ref)))

    # --- single row, through ctypes both
    L = xgb.core._LIB
    proxy = ctypes.c_void_p()
    L.XGProxyDMatrixCreate(ctypes.byref(proxy))
    row = np.ascontiguousarray(Xb[:1])
    iface = json.dumps({"data": [row.ctypes.data, True], "shape": [1, nf], "typestr": "<f4",
                        "version": 3}).encode()
    cfg = json.dumps({"type": 0, "training": False, "iteration_begin": 0, "iteration_end": 0,
                      "strict_shape": False, "cache_id": 0, "missing": float("nan")}).encode()
    shape = ctypes.POINTER(ctypes.c_uint64)()
    dim = ctypes.c_uint64()
    res = ctypes.POINTER(ctypes.c_float)()
    bh = b.handle
    xgb_fn = L.XGBoosterPredictFromDense
    sref, dref, rref = ctypes.byref(shape), ctypes.byref(dim), ctypes.byref(res)
    out = np.empty(1, np.float32)
    g_fn, gh, rp, op = lib.growth_forest_predict, f._handle(), ptr(row), ptr(out)
    calls = 2000 if quick else 10000
    rows = [np.ascontiguousarray(Xb[i:i + 1]) for i in range(64)]

    def ours_rows():
        for i in range(calls):
            g_fn(gh, rp, nf, 0, op, 1)

    def xgb_rows():
        for i in range(calls):
            xgb_fn(bh, iface, cfg, proxy, sref, dref, rref)

    def noop_rows():  # the ctypes call overhead alone
        fn = lib.growth_version_number
        for i in range(calls):
            fn()

    assert xgb_fn(bh, iface, cfg, proxy, sref, dref, rref) == 0
    g_fn(gh, rp, nf, 0, op, 1)
    assert abs(out[0] - res[0]) < 1e-6
    repeat = 5
    lat_ours = median_time(ours_rows, repeat) / calls
    lat_xgb = median_time(xgb_rows, repeat) / calls
    lat_call = median_time(noop_rows, repeat) / calls
    L.XGDMatrixFree(proxy)
    del rows

    # --- batch throughput, 1 and 2 threads
    results = []
    for th in (1, 2):
        f.set_threads(th)
        b.set_param({"nthread": th})
        buf = np.empty(n_batch, np.float32)
        t_ours = median_time(lambda: lib.growth_forest_predict_dense(f._handle(), ptr(Xb), n_batch, nf, 0,
                                                                       ptr(buf), n_batch), 3)
        t_xgb = median_time(lambda: b.inplace_predict(Xb, missing=np.nan), 3)
        results.append((th, n_batch / t_ours, n_batch / t_xgb))

    print(f"  max |ours - xgboost| on {n_batch} rows: {max_diff:.2e}")
    print(f"  single row latency   ours {lat_ours * 1e6:8.2f} us  xgboost C API {lat_xgb * 1e6:8.2f} us  "
          f"ratio {lat_ours / lat_xgb:.3f} (ctypes call overhead {lat_call * 1e6:.2f} us in both; "
          f"without it {(lat_ours - lat_call) / (lat_xgb - lat_call):.3f})")
    rows_out = [("forest single-row latency us", lat_ours * 1e6, lat_xgb * 1e6)]
    for th, ours_r, xgb_r in results:
        print(f"  batch rows/s, {th} thread{'s' if th > 1 else ' '}  ours {ours_r:12,.0f}  xgboost {xgb_r:12,.0f}  "
              f"ratio {ours_r / xgb_r:6.2f}x")
        rows_out.append((f"forest batch rows/s {th}t", ours_r, xgb_r))
    if report is not None:
        report["forest"] = dict(trees=trees, depth=depth, features=nf, batch_rows=n_batch,
                                model_bytes=len(raw), max_abs_diff=max_diff,
                                single_row_us=lat_ours * 1e6, single_row_us_xgboost=lat_xgb * 1e6,
                                ctypes_call_us=lat_call * 1e6,
                                batch=[dict(threads=th, rows_per_s=o, rows_per_s_xgboost=x)
                                       for th, o, x in results])
    f.close()
    return rows_out


def _json(f):
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "m.json")
        f.save(p)
        with open(p, "rb") as fh:
            return fh.read()


if __name__ == "__main__":
    import sys
    run(quick="--quick" in sys.argv)
