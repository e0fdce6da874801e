#!/usr/bin/python3
"""Regenerates the forest fixtures with Debian's python3-xgboost 1.7 (run from this folder).

binary.json / binary.ubj: binary:logistic, 20 trees of depth 4 on 6 features with missing
values and base_score 0.3; multi.json: multi:softprob with 3 classes. rows.txt: 64 rows (NaN =
missing) followed by python xgboost's margins and outputs of each model, one row a line."""
import numpy as np
import xgboost as xgb

rng = np.random.default_rng(7)
X = rng.normal(size=(400, 6)).astype(np.float32)
X[rng.random(X.shape) < 0.15] = np.nan
logit = 1.5 * np.nan_to_num(X[:, 0]) - np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2]) + 0.5
y = (rng.random(400) < 1 / (1 + np.exp(-logit))).astype(np.float32)
cls = (np.nan_to_num(X[:, 3]) > 0.3).astype(int) + (np.nan_to_num(X[:, 4]) > 0).astype(int)

b = xgb.train(dict(objective="binary:logistic", max_depth=4, eta=0.3, base_score=0.3, verbosity=0,
                   nthread=1), xgb.DMatrix(X, label=y), 20)
b.save_model("binary.json")
b.save_model("binary.ubj")
m = xgb.train(dict(objective="multi:softprob", num_class=3, max_depth=3, eta=0.3, verbosity=0,
                   nthread=1), xgb.DMatrix(X, label=cls), 8)
m.save_model("multi.json")

R = X[:64]
d = xgb.DMatrix(R)
cols = [R, b.predict(d, output_margin=True)[:, None], b.predict(d)[:, None],
        m.predict(d, output_margin=True), m.predict(d)]
with open("rows.txt", "w") as f:
    f.write("# 6 features, binary margin, binary prob, multi margins x3, multi probs x3\n")
    for row in np.hstack(cols):
        f.write(" ".join("nan" if np.isnan(v) else repr(float(v)) for v in row) + "\n")
