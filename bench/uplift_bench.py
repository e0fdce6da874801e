"""Uplift bench: libgrowth's T-learner (forest) against a scikit-learn T-learner (the reference
implementation: two HistGradientBoostingClassifier, NumPy for the rest) on the same simulated
randomised red-packet campaign. Prints Qini coefficient and AUUC of both (libgrowth's metrics,
cross-checked by the NumPy transcription of scikit-uplift's formulas), training time, and the
incremental conversions of the uplift plan against the response-model plan at the same budget."""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(os.path.dirname(HERE), "tests", "python"))  # after bench/: its clicklog.py wins


def _sk_t_learner(X, y, t, T, Xtest):
    from sklearn.ensemble import HistGradientBoostingClassifier
    resp = np.empty((len(Xtest), T + 1))
    for a in range(T + 1):
        m = HistGradientBoostingClassifier(max_depth=3, learning_rate=0.1, max_iter=80, random_state=0)
        m.fit(X[t == a], y[t == a])
        resp[:, a] = m.predict_proba(Xtest)[:, 1]
    return resp[:, 1:] - resp[:, [0]], resp


def run(quick=False, report=None):
    from growth import uplift
    from uplift_sim import simulate, plans, true_incremental
    from test_uplift import ref_qini_auc, ref_uplift_auc
    n = 20_000 if quick else 100_000
    T = 2
    train = simulate(n, seed=1, treatments=T)
    test = simulate(n // 2, seed=2, treatments=T)
    a = time.perf_counter()
    m = uplift.UpliftModel.train(train["X"], train["y"], train["t"], method="t_learner", treatments=T,
                                 params="max_depth=3 eta=0.1", num_rounds=80)
    tau_g = m.predict(test["X"]).astype(np.float64)
    resp_g = m.predict_response(test["X"]).astype(np.float64)
    ours_s = time.perf_counter() - a
    a = time.perf_counter()
    tau_p, resp_p = _sk_t_learner(train["X"], train["y"], train["t"], T, test["X"])
    peer_s = time.perf_counter() - a
    yt, tt = test["y"], test["t"]
    costs = np.array([2.0, 4.0])
    budget = 0.05 * len(yt) * 2.0
    print(f"uplift: T-learner, {n} training rows, {len(yt)} test rows, {T} coupons vs control, 1 thread")
    rows = {}
    for name, tau, resp in (("ours", tau_g, resp_g), ("peer(sklearn)", tau_p, resp_p)):
        q = [uplift.qini_auc_score(yt, tau[:, k], tt, arm=k + 1) for k in range(T)]
        au = [uplift.uplift_auc_score(yt, tau[:, k], tt, arm=k + 1) for k in range(T)]
        keep = (tt == 0) | (tt == 1)
        qref = ref_qini_auc(yt[keep].astype(np.float64), tau[keep, 0].astype(np.float32), (tt[keep] > 0).astype(int))
        aref = ref_uplift_auc(yt[keep].astype(np.float64), tau[keep, 0].astype(np.float32), (tt[keep] > 0).astype(int))
        up, rp = plans(tau.astype(np.float32), resp.astype(np.float32), costs, budget)
        inc_u, inc_r = true_incremental(up, test["P"]), true_incremental(rp, test["P"])
        rows[name] = dict(qini=q, auuc=au, inc_uplift=inc_u, inc_response=inc_r,
                          metric_ref_diff=max(abs(q[0] - qref), abs(au[0] - aref)))
        print(f"  {name:14s} Qini {q[0]:.4f} / {q[1]:.4f}   AUUC {au[0]:.4f} / {au[1]:.4f}   "
              f"(|ours - numpy ref| {rows[name]['metric_ref_diff']:.1e})   "
              f"plan at budget {budget:.0f}: uplift {inc_u:.1f} vs response {inc_r:.1f} incremental "
              f"conversions (ratio {inc_u / inc_r:.2f})")
    print(f"  train+predict  ours {ours_s:6.2f} s  peer(sklearn) {peer_s:6.2f} s  ratio {peer_s / ours_s:5.2f}x"
          f"   Qini ratio ours/peer {rows['ours']['qini'][0] / rows['peer(sklearn)']['qini'][0]:.3f}")
    if report is not None:
        report["uplift"] = dict(n=n, ours_s=ours_s, peer_s=peer_s, **{k.split("(")[0]: v for k, v in rows.items()})


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bindings", "python"))
    run(quick="--quick" in sys.argv)
