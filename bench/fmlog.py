"""Synthetic click log WITH field-pair interactions, for the FM/FFM bench (bench/fm_bench.py).

12 categorical fields in three groups — user (user id, age band, city, segment), item (item id,
brand, category, price band) and context (site, hour, device, position) — with vocabularies from
10 to 100k values and Zipf popularity. The ground truth margin is

    b0 + sum_f bias_f[v_f] + s * sum_{(f,g) in P} <e_f[v_f], M_fg e_g[v_g]>

with P every pair of fields from different groups (48 pairs), e_f[v] ~ N(0, I/D) latent
embeddings of every value (D = 4) and M_fg a random D x D coupling per field pair (so the
interaction of two values depends on which fields meet: field-aware). The embeddings have mean
zero, so the interaction terms average out for any single value: a linear model (FTRL, logistic
regression) cannot see them; an FM/FFM can learn them for values seen often enough.

Slots are growth.feature_hash(f"f{f}", str(value), bits=bits) (one call per distinct value, then
table lookups); field ids are 0..11, one entry per field per row, in field order.
"""
import numpy as np

FIELDS = 12
GROUPS = [range(0, 4), range(4, 8), range(8, 12)]
# user id, age, city, segment | item id, brand, category, price | site, hour, device, position
SIZES = np.array([100000, 10, 2000, 50, 40000, 3000, 300, 20, 8000, 24, 12, 16])
DIM = 4


def _pairs():
    gid = np.zeros(FIELDS, int)
    for g, r in enumerate(GROUPS):
        gid[list(r)] = g
    return [(f, g) for f in range(FIELDS) for g in range(f + 1, FIELDS) if gid[f] != gid[g]]


PAIRS = _pairs()


def _zipf_sampler(size, a, rng):
    w = 1.0 / np.arange(1, size + 1) ** a
    cdf = np.cumsum(w / w.sum())
    perm = rng.permutation(size)  # popularity rank -> value id
    return cdf, perm


def world(seed=777, interaction=1.0, bias_scale=0.5, zipf=1.05):
    """The hidden ground truth (independent of the sample seed)."""
    rng = np.random.default_rng(seed)
    w = dict(b0=-1.6, interaction=interaction, zipf=zipf)
    w["bias"] = [rng.normal(0, bias_scale, s) for s in SIZES]
    w["emb"] = [rng.normal(0, 1 / np.sqrt(DIM), (s, DIM)) for s in SIZES]
    w["M"] = {p: rng.normal(0, 1, (DIM, DIM)) for p in PAIRS}
    w["pop"] = [_zipf_sampler(s, zipf, rng) for s in SIZES]
    return w


def sample_values(n, w, seed):
    rng = np.random.default_rng(seed)
    vals = np.empty((n, FIELDS), np.int64)
    for f, (cdf, perm) in enumerate(w["pop"]):
        vals[:, f] = perm[np.minimum(np.searchsorted(cdf, rng.random(n)), cdf.size - 1)]
    return vals


def true_margin(vals, w):
    n = vals.shape[0]
    m = np.full(n, w["b0"])
    for f in range(FIELDS):
        m += w["bias"][f][vals[:, f]]
    inter = np.zeros(n)
    for (f, g), M in w["M"].items():
        a = w["emb"][f][vals[:, f]]
        b = w["emb"][g][vals[:, g]] @ M.T
        inter += np.einsum("nd,nd->n", a, b)
    # normalise so `interaction` is the std of the interaction part
    return m + w["interaction"] * inter / np.sqrt(len(PAIRS) / 1.0)


def hash_tables(bits):
    import growth
    return [np.fromiter((growth.feature_hash(f"f{f}", str(v), bits=bits) for v in range(s)),
                        dtype=np.uint32, count=int(s)) for f, s in enumerate(SIZES)]


def make(n, bits=20, seed=0, interaction=1.0, tables=None, world_seed=777):
    """Returns dict(slots (n x 12 uint32), fields (12 uint8, the field of each column), indptr,
    indices, fld (parallel to indices), y, p_true, margin_true, values)."""
    w = world(world_seed, interaction=interaction)
    vals = sample_values(n, w, seed)
    margin = true_margin(vals, w)
    p = 1 / (1 + np.exp(-margin))
    y = (np.random.default_rng(seed + 1).random(n) < p).astype(np.float32)
    tables = hash_tables(bits) if tables is None else tables
    slots = np.empty((n, FIELDS), np.uint32)
    for f in range(FIELDS):
        slots[:, f] = tables[f][vals[:, f]]
    return dict(slots=slots, indptr=np.arange(0, n * FIELDS + 1, FIELDS, dtype=np.uint64),
                indices=slots.ravel(), fld=np.tile(np.arange(FIELDS, dtype=np.uint8), n), y=y,
                p_true=p, margin_true=margin, values=vals, bits=bits)
