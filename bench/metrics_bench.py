"""Metrics bench: AUC and logloss of libgrowth against scikit-learn on the same scores."""
import time

import numpy as np

import growth


def run(quick=False, report=None):
    from sklearn.metrics import log_loss, roc_auc_score
    n = 1_000_000 if quick else 10_000_000
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.1).astype(np.float32)
    s = np.clip(rng.normal(0.1 + 0.1 * y, 0.08), 1e-4, 1 - 1e-4).astype(np.float32)
    s = np.round(s, 4)  # ties, as with real calibrated scores

    def t(fn, rep=3):
        ts = []
        for _ in range(rep):
            a = time.perf_counter()
            r = fn()
            ts.append(time.perf_counter() - a)
        return float(np.median(ts)), r

    g_auc_s, g_auc = t(lambda: growth.metrics.auc(y, s))
    p_auc_s, p_auc = t(lambda: roc_auc_score(y, s))
    g_ll_s, g_ll = t(lambda: growth.metrics.log_loss(y, s))
    p_ll_s, p_ll = t(lambda: log_loss(y, s.astype(np.float64), eps=1e-15))
    print(f"metrics: {n} scores (with ties), 1 thread")
    print(f"  auc      ours {g_auc_s*1e3:8.1f} ms  peer(sklearn) {p_auc_s*1e3:8.1f} ms  ratio {p_auc_s / g_auc_s:5.1f}x faster"
          f"   |diff| {abs(g_auc - p_auc):.2e}")
    print(f"  logloss  ours {g_ll_s*1e3:8.1f} ms  peer(sklearn) {p_ll_s*1e3:8.1f} ms  ratio {p_ll_s / g_ll_s:5.1f}x faster"
          f"   |diff| {abs(g_ll - p_ll):.2e}")
    if report is not None:
        report["metrics"] = dict(n=n, auc_ms=g_auc_s * 1e3, auc_ms_peer=p_auc_s * 1e3,
                                 logloss_ms=g_ll_s * 1e3, logloss_ms_peer=p_ll_s * 1e3,
                                 auc_abs_diff=abs(g_auc - p_auc))
