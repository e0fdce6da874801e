#!/usr/bin/python3
"""Writes calibration_golden.txt: scikit-learn's isotonic and sigmoid (Platt) calibration on a
small weighted data set with ties, for tests/c/test_calibration.c.

Format: "n m", then n lines "score label weight", then m lines
"query isotonic(out_of_bounds='clip') platt", where Platt works on logit(score) as
growth_calibrator does with input=probability. Scores and weights are float32 values."""
import numpy as np
from sklearn.calibration import _SigmoidCalibration
from sklearn.isotonic import IsotonicRegression

rng = np.random.default_rng(6)
n, m = 400, 60
s = np.round(rng.beta(2, 5, n), 2).clip(0.01, 0.99).astype(np.float32)
y = (rng.random(n) < s ** 1.4).astype(np.float32)
w = np.round(rng.uniform(0.25, 3.0, n), 2).astype(np.float32)
w[rng.random(n) < 0.05] = 0.0
q = np.concatenate([np.linspace(-0.1, 1.1, m - 10), rng.choice(s, 10)]).astype(np.float32)

s64, y64, w64, q64 = (a.astype(np.float64) for a in (s, y, w, q))
iso = IsotonicRegression(out_of_bounds="clip").fit(s64, y64, sample_weight=w64).predict(q64)
logit = lambda v: np.log(v) - np.log1p(-v)
qc = np.clip(q64, 1e-15, 1 - 1e-15)
platt = _SigmoidCalibration().fit(logit(s64), y64, sample_weight=w64).predict(logit(qc))

with open("calibration_golden.txt", "w") as f:
    f.write(f"{n} {m}\n")
    for a, b, c in zip(s, y, w):
        f.write(f"{a:.9g} {b:.9g} {c:.9g}\n")
    for a, b, c in zip(q, iso, platt):
        f.write(f"{a:.9g} {b:.17g} {c:.17g}\n")
