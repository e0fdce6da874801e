#!/usr/bin/python3
"""Writes opq_procrustes_golden.txt: the orthogonal Procrustes step of OPQ computed with NumPy
(R = V U^T from the SVD X^T Y = U S V^T, which minimises |X R^T - Y|_F over orthogonal R), for
tests/c/test_recall.c (ix_procrustes).

Format: two cases, each "n d", then n lines of X, n lines of Y, then either d lines of R (case
1: X^T Y of full rank, R unique) or one line with the optimal objective |X R^T - Y|_F^2 (case 2:
the first 3 columns of X are zero, R is not unique but the optimum is). Values are float32."""
import numpy as np

rng = np.random.default_rng(12)


def case(n, d, zero_cols):
    X = (rng.normal(size=(n, d)) * np.geomspace(2, 0.2, d)).astype(np.float32)
    X[:, :zero_cols] = 0
    T, _ = np.linalg.qr(rng.normal(size=(d, d)))
    Y = (X.astype(np.float64) @ T.T + 0.3 * rng.normal(size=(n, d))).astype(np.float32)
    U, S, Vt = np.linalg.svd(X.astype(np.float64).T @ Y.astype(np.float64))
    R = Vt.T @ U.T
    return X, Y, R, float(((X @ R.T - Y) ** 2).sum())


with open("opq_procrustes_golden.txt", "w") as f:
    for zero in (0, 3):
        X, Y, R, obj = case(300, 12, zero)
        f.write(f"{X.shape[0]} {X.shape[1]}\n")
        for M in (X, Y):
            for row in M:
                f.write(" ".join(f"{v:.9g}" for v in row) + "\n")
        if zero == 0:
            for row in R:
                f.write(" ".join(f"{v:.9g}" for v in row) + "\n")
        else:
            f.write(f"{obj:.9g}\n")
