"""Synthetic click log from a known logistic ground truth, hashed the way libgrowth hashes.

39 categorical fields (vocabularies from 4 to 200k values, Zipf-like popularity, like Criteo's
13 bucketised numeric + 26 categorical fields) plus one cross of two fields: 40 features a row.
Labels are Bernoulli(sigmoid(bias + sum of hidden per-value weights + cross weight)).
Slots come from growth.feature_hash (one call per distinct value, then table lookups).
"""
import numpy as np


def vocab_sizes(fields=39):
    rng = np.random.default_rng(12345)
    return np.unique(np.round(np.exp(rng.uniform(np.log(4), np.log(200000), fields))).astype(np.int64))[:fields] \
        if False else np.round(np.exp(np.linspace(np.log(4), np.log(200000), fields))).astype(np.int64)


def make(n, bits=24, seed=0, fields=39, with_strings=False):
    """Returns dict(indptr, indices, y, p_true, strings?) for n rows."""
    import growth
    rng = np.random.default_rng(seed)
    sizes = vocab_sizes(fields)
    wrng = np.random.default_rng(777)  # the world (weights) does not depend on the sample seed
    cols = np.empty((n, fields + 1), dtype=np.uint32)
    margin = np.full(n, -2.0)
    vals = np.empty((n, fields), dtype=np.int64)
    for f, size in enumerate(sizes):
        w = wrng.normal(0, 1.2 / np.sqrt(fields) * 3, size)
        # Zipf-like: value = floor(size * u^3)
        v = np.minimum((size * rng.random(n) ** 3).astype(np.int64), size - 1)
        vals[:, f] = v
        table = np.fromiter((growth.feature_hash(f"f{f}", str(i), bits=bits) for i in range(size)),
                            dtype=np.uint32, count=size)
        cols[:, f] = table[v]
        margin += w[v]
    # one cross of fields 3 and 5 with its own hidden weights
    a, b = sizes[3], sizes[5]
    wc = wrng.normal(0, 0.5, a * b)
    cross_id = vals[:, 3] * b + vals[:, 5]
    margin += wc[cross_id]
    uniq, inv = np.unique(cross_id, return_inverse=True)
    ctab = np.fromiter((growth.feature_hash_cross(["f3", "f5"], [str(x // b), str(x % b)], bits=bits)
                        for x in uniq), dtype=np.uint32, count=uniq.size)
    cols[:, fields] = ctab[inv]
    p = 1.0 / (1.0 + np.exp(-margin))
    y = (rng.random(n) < p).astype(np.float32)
    out = dict(indptr=np.arange(0, n * (fields + 1) + 1, fields + 1, dtype=np.uint64),
               indices=cols.ravel(), y=y, p_true=p, nnz_per_row=fields + 1, bits=bits)
    if with_strings:
        out["strings"] = [[f"f{f}={vals[i, f]}" for f in range(fields)] + [f"x35={vals[i,3]}_{vals[i,5]}"]
                          for i in range(n)]
    return out
