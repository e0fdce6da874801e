"""Nets bench: libgrowth's dense-net and DSSM inference against PyTorch CPU, same weights, same
inputs, same thread count (torch.set_num_threads; OpenBLAS through OPENBLAS_NUM_THREADS, which
bench/run sets to 1), in one process.

* MLP 512-256-1 (ReLU): batch-256 throughput (rows/s) and single-row latency. libgrowth is
  called through ctypes with preallocated arrays (the C call plus ~1 us of ctypes), PyTorch
  under torch.inference_mode().
* DSSM catalogue encoding (30000 -> 300 -> 300 -> 128, tanh): items/s for libgrowth's
  growth_dssm_encode (hashing + towers in C) and for PyTorch's towers on the same hashed input
  (hashing time excluded for PyTorch).
"""
import os
import time

import numpy as np

import growth


def median_time(fn, repeat, warmup=3):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def run(quick=False, report=None):
    try:
        import torch
    except ImportError:
        print("nets: python3-torch is not installed; bench skipped")
        return
    import tempfile

    from growth._arrays import ptr
    from growth._lib import lib
    from growth.export import export_torch
    from growth.contrib.torch_nets import DSSMModel, mlp

    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    tmp = tempfile.mkdtemp()
    res = {"threads": threads}

    # --- MLP 512-256-1
    m = mlp([512, 256, 1]).eval()
    export_torch(m, os.path.join(tmp, "mlp.net"))
    net = growth.Net.load(os.path.join(tmp, "mlp.net"))
    h, ws = net._handle(), net._ws()
    B = 256
    X = np.random.default_rng(0).standard_normal((B, 512)).astype(np.float32)
    Xt = torch.from_numpy(X)
    out = np.empty((B, 1), np.float32)
    reps = 50 if quick else 300
    with torch.inference_mode():
        t_torch_b = median_time(lambda: m(Xt), reps)
        x1t = Xt[:1]
        t_torch_1 = median_time(lambda: m(x1t), reps * 10)
        ref = m(Xt).numpy()
    t_ours_b = median_time(lambda: lib.growth_net_predict_dense(h, ws, ptr(X), B, 512, ptr(out), B), reps)
    err = float(np.abs(out - ref).max())
    x1, o1 = X[0].copy(), np.empty(1, np.float32)
    px, po = ptr(x1), ptr(o1)
    t_ours_1 = median_time(lambda: lib.growth_net_predict(h, ws, px, 512, po, 1), reps * 10)
    t_ours_1py = median_time(lambda: net.predict(x1), reps * 10)
    print(f"nets: MLP 512-256-1 relu, {threads} thread(s), torch {torch.__version__}, max |ours - torch| {err:.1e}")
    print(f"  {'name':34s} {'ours':>12s} {'torch':>12s} {'ratio':>7s}")
    print(f"  {'batch-256 rows/s':34s} {B / t_ours_b:12.0f} {B / t_torch_b:12.0f} {t_torch_b / t_ours_b:7.2f}")
    print(f"  {'batch-256 median ms':34s} {t_ours_b * 1e3:12.3f} {t_torch_b * 1e3:12.3f} {t_ours_b / t_torch_b:7.2f}")
    print(f"  {'single row median us (ctypes)':34s} {t_ours_1 * 1e6:12.1f} {t_torch_1 * 1e6:12.1f} {t_ours_1 / t_torch_1:7.2f}")
    print(f"  {'single row median us (Net.predict)':34s} {t_ours_1py * 1e6:12.1f} {t_torch_1 * 1e6:12.1f} {t_ours_1py / t_torch_1:7.2f}")
    res["mlp"] = dict(sizes=[512, 256, 1], batch=B, ours_batch_s=t_ours_b, torch_batch_s=t_torch_b,
                      batch_time_ratio=t_ours_b / t_torch_b, ours_row_s=t_ours_1, ours_row_py_s=t_ours_1py,
                      torch_row_s=t_torch_1, row_time_ratio=t_ours_1 / t_torch_1, max_abs_diff=err)

    # --- DSSM catalogue encoding
    buckets, dims = (30000, (300, 300, 128))
    n_items = 2000 if quick else 20000
    d_t = DSSMModel(buckets, dims).eval()
    export_torch(d_t, os.path.join(tmp, "m.dssm"))
    d = growth.DSSM.load(os.path.join(tmp, "m.dssm"))
    rng = np.random.default_rng(1)
    words = ["running", "shoes", "nike", "跑步鞋", "耳机", "wireless", "咖啡", "espresso", "yoga", "mat",
             "organic", "green", "tea", "backpack", "laptop", "travel", "red", "黑色"]
    items = [" ".join(rng.choice(words, rng.integers(3, 8))) for _ in range(n_items)]
    feats = d_t.features(items)
    with torch.inference_mode():
        t_torch_d = median_time(lambda: d_t.item_tower(*feats), 3 if quick else 5, warmup=1)
    t_ours_d = median_time(lambda: d.encode_items(items), 3 if quick else 5, warmup=1)
    print(f"  {'DSSM encode items/s (%d items)' % n_items:34s} {n_items / t_ours_d:12.0f} {n_items / t_torch_d:12.0f} {t_torch_d / t_ours_d:7.2f}")
    res["dssm"] = dict(buckets=buckets, dims=list(dims), items=n_items, ours_s=t_ours_d, torch_s=t_torch_d)
    net.close()
    d.close()
    if report is not None:
        report["nets"] = res
