"""A notebook-style tour of libgrowth from Python: hash features, train a two-head FTRL model
online with progressive validation, judge it with AUC / GAUC / logloss, save and reload it.

Run: GROWTH_LIBRARY=build/src/libgrowth.so PYTHONPATH=bindings/python /usr/bin/python3 examples/python/notebook.py
"""
import os
import tempfile

import numpy as np

import growth
from growth import metrics

# %% A simulated impression log: users, items, a hidden click propensity.
rng = np.random.default_rng(0)
n, users, items = 100_000, 5_000, 800
u = (users * rng.random(n) ** 2).astype(int)
i = (items * rng.random(n) ** 2).astype(int)
hour = rng.integers(0, 24, n)
u_aff, i_aff = rng.normal(0, 0.7, users), rng.normal(0, 0.7, items)
p_click = 1 / (1 + np.exp(-(-2.5 + u_aff[u] + i_aff[i] + 0.5 * (hour >= 19))))
click = (rng.random(n) < p_click).astype(np.float32)
buy = np.where(click == 1, (rng.random(n) < 0.25).astype(np.float32), np.nan)  # only after a click

# %% Hash the features the way the ad server does (same slots in C, Python, Java).
records = [{"user": str(a), "item": str(b), "hour": str(c)} for a, b, c in zip(u, i, hour)]
X = growth.hash_records(records, bits=20, crosses=[("user", "hour")])

# %% Train online: each prediction is made before the model sees the row.
model = growth.FTRL(alpha=0.1, l1=1, l2=1, bits=20, heads=["click", "buy"])
pv = model.predict_update(X, np.column_stack([click, buy]))
tail = slice(n // 2, None)
print(f"pCTR  AUC {metrics.auc(click[tail], pv[tail, 0]):.4f}  "
      f"GAUC {metrics.gauc(click[tail], pv[tail, 0], u[tail]):.4f}  "
      f"logloss {metrics.log_loss(click[tail], pv[tail, 0]):.4f}  "
      f"PCOC {metrics.calibration_ratio(click[tail], pv[tail, 0]):.3f}")
print(f"oracle AUC {metrics.auc(click[tail], p_click[tail]):.4f}")

# %% Save, reload, and check the reloaded model predicts the same.
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "ctr.model")
    model.save(path)
    print("saved:", growth.model_kind(path), os.path.getsize(path), "bytes")
    again = growth.FTRL.load(path)
    assert np.array_equal(again.predict_proba((X[0][:1001], X[1], X[2])),
                          model.predict_proba((X[0][:1001], X[1], X[2])))
print("ok")
