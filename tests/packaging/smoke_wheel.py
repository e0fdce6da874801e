"""Smoke test of an installed libgrowth wheel (scripts/check-packaging runs it in a fresh venv,
from a scratch directory, with neither GROWTH_LIBRARY nor PYTHONPATH set).

Checks that `import growth` loads the libgrowth the wheel carries (inside the installed package,
not a build tree or the system's), then trains and predicts a tiny FTRL and FFM model and
compares their AUC on separable data with a plain NumPy computation of the same metric.
usage: python smoke_wheel.py EXPECTED_VERSION
"""
import os
import sys

import numpy as np
import scipy.sparse as sp

assert "GROWTH_LIBRARY" not in os.environ and "PYTHONPATH" not in os.environ
import growth  # noqa: E402

want = sys.argv[1]
pkg = os.path.dirname(os.path.abspath(growth.__file__))
lib = growth._lib.lib._name
print("growth", growth.version(), "from", pkg, "library", lib)
assert growth.version() == want, (growth.version(), want)
assert os.path.dirname(os.path.abspath(lib)) == pkg, f"{lib} is not the wheel's copy in {pkg}"
assert sys.prefix != sys.base_prefix, "not running in a virtual environment"
assert pkg.startswith(sys.prefix), f"{pkg} is not installed in the venv {sys.prefix}"


def auc(y, p):  # rank-sum (Mann-Whitney) AUC, no ties in these scores expected
    order = np.argsort(p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())


rng = np.random.default_rng(7)
n = 400
y = rng.integers(0, 2, n).astype(np.float32)
# slot 0..9 carry the label, slot 10..59 are noise; three fields: user, item, context
sig = (y * 5 + rng.integers(0, 5, n)).astype(np.int64)
noise_a = 10 + rng.integers(0, 25, n)
noise_b = 35 + rng.integers(0, 25, n)
cols = np.column_stack([sig, noise_a, noise_b]).ravel()
X = sp.csr_matrix((np.ones(3 * n, np.float32), cols, np.arange(0, 3 * n + 1, 3)), shape=(n, 64))
fields = np.tile(np.array([0, 1, 2], np.uint8), n)

ftrl = growth.FTRL(alpha=0.3, bits=10).fit(X, y)
p = ftrl.predict_proba(X)
a_lib, a_ref = growth.metrics.auc(y, p), auc(y, p)
print("ftrl auc", a_lib, a_ref)
assert abs(a_lib - a_ref) < 1e-9 and a_lib > 0.95

ffm = growth.FFM(fields=3, k=4, bits=10).fit(X, y, fields, epochs=5)
q = ffm.predict_proba(X, fields)
b_lib, b_ref = growth.metrics.auc(y, q), auc(y, q)
print("ffm auc", b_lib, b_ref)
assert abs(b_lib - b_ref) < 1e-9 and b_lib > 0.95
print("ok: the wheel's growth package works from", os.getcwd())
