"""A small synthetic click log from a known logistic ground truth, hashed like production."""
import numpy as np
import scipy.sparse as sp


def make_clicklog(n, fields=12, values=200, bits=18, seed=0, heads=1):
    rng = np.random.default_rng(seed)
    truth = rng.normal(0, 0.7, size=(heads, fields, values))
    # Skewed value popularity, like real categorical features.
    cat = np.minimum((values * rng.random((n, fields)) ** 2).astype(np.int64), values - 1)
    margin = -1.2 + truth[:, np.arange(fields)[None, :], cat].sum(axis=2).T  # n x heads
    p = 1 / (1 + np.exp(-margin))
    y = (rng.random(p.shape) < p).astype(np.float32)
    # Hash (field, value) pairs the way libgrowth does, through the library itself.
    import growth
    table = np.array([[growth.feature_hash(f"f{f}", f"v{v}", bits=bits) for v in range(values)]
                      for f in range(fields)], dtype=np.int64)
    cols = table[np.arange(fields)[None, :], cat]
    rows = np.repeat(np.arange(n), fields)
    X = sp.csr_matrix((np.ones(n * fields, np.float32), (rows, cols.ravel())), shape=(n, 1 << bits))
    X.sum_duplicates()
    return X, (y[:, 0] if heads == 1 else y), (p[:, 0] if heads == 1 else p)
