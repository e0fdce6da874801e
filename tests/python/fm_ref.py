"""A plain NumPy reference of include/growth/fm.h (FM / FFM with several heads), written from the
header's text, and a reader/writer of LIBFFM's binary model format written from LIBFFM's ffm.cpp.

Nothing here is clever or fast: margins are O(nnz^2) loops over pairs, training is one example
at a time in float64, parameters are plain arrays. It is the yardstick the C implementation and
the Python binding (growth.FM, growth.FFM) are tested against (test_fm_vs_ref.py), and it is
itself checked in test_fm_ref.py (finite differences, the O(nk) FM identity, LIBFFM's update).

Parameters (`Params`), for V vectors per slot (V = fields for ffm, 1 for fm), H heads, k factors:

    V[slot, field, d]   latent factors            G[slot, field, d]  their AdaGrad sums (start 1)
    z[slot, head]       linear FTRL z             s[slot, head]      linear FTRL sqrt(n)
    bz[head], bs[head]  bias FTRL z and sqrt(n)
    u[head, d]          head weights (start 1)    ug[head, d]        their AdaGrad sums (start 1)

The FTRL weight is implicit (src/ctr/ftrl.c): w = 0 if |z| <= l1, else
(sign(z) l1 - z) / ((beta + s) / alpha + l2); a step with gradient g does
s' = sqrt(s^2 + g^2), z += g - (s' - s) / alpha * w, s = s', where w is the weight in force
before the example (growth_ftrl caches it per row entry, so a slot repeated in a row steps its
z and s twice but with the same w).

Rows are (idx, fld, val) triples of equal-length arrays (fld may be None for fm: all field 0;
val None: all ones). Labels per head: 0, 1 or NaN / -1 (missing).
"""
import math
import struct
from dataclasses import dataclass, field as dc_field

import numpy as np

MISSING = -1.0
CLAMP = 35.0


# ---- configuration and parameters --------------------------------------------------------------

DEFAULTS = dict(model="ffm", k=4, fields=0, bits=20, heads=1, eta=0.2, lambda_=2e-5, init_scale=1.0,
                normalize=True, linear=True, bias=True, alpha=0.05, beta=1.0, l1=1.0, l2=1.0,
                unseen="seeded")


def config(**kw):
    """fm.h's configuration with its defaults; `lambda_` is the key `lambda`."""
    unknown = set(kw) - set(DEFAULTS)
    if unknown:
        raise KeyError(f"unknown keys {sorted(unknown)}")
    c = dict(DEFAULTS)
    c.update(kw)
    if c["model"] not in ("fm", "ffm"):
        raise ValueError("model is fm or ffm")
    if c["model"] == "ffm" and c["fields"] < 1:
        raise ValueError("model=ffm needs fields")
    if c["unseen"] not in ("zero", "seeded"):
        raise ValueError("unseen is zero or seeded")
    return c


def vectors_per_slot(cfg):
    return cfg["fields"] if cfg["model"] == "ffm" else 1


@dataclass
class Params:
    V: np.ndarray
    G: np.ndarray
    z: np.ndarray
    s: np.ndarray
    bz: np.ndarray
    bs: np.ndarray
    u: np.ndarray
    ug: np.ndarray
    # Lazy initialisation as the library does it (fm.h): None = every slot already has its
    # factors (V, G as given); else a bool per slot, and a training example first gives each
    # untouched slot of its row init_vec(seed, ...) factors and unit sums.
    touched: np.ndarray | None = None
    seed: int = 0

    def copy(self):
        c = Params(*(getattr(self, n).copy() for n in ("V", "G", "z", "s", "bz", "bs", "u", "ug")))
        c.touched = None if self.touched is None else self.touched.copy()
        c.seed = self.seed
        return c


_M64 = (1 << 64) - 1


def _mix64(x):
    """splitmix64's finaliser (src/core/core.h gmix64), on Python ints."""
    x &= _M64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _M64
    x ^= x >> 31
    return x


def init_vec(seed, slot, field, k, init_scale):
    """The seeded initial factors of vector (slot, field), as fm.h specifies them: uniform in
    [0, init_scale / sqrt(k)), from 24 bits of mix64(base + (d + 1) * golden) with
    base = mix64(mix64(seed ^ "fm.init.") ^ (slot << 8 | field)), scaled in float32."""
    sc = np.float32(init_scale / math.sqrt(k))
    base = _mix64(_mix64(seed ^ 0x666D2E696E69742E) ^ ((slot << 8) | field))
    out = np.empty(k, np.float32)
    for d in range(k):
        h = _mix64(base + (d + 1) * 0x9E3779B97F4A7C15)
        x = np.float32(h >> 40) * np.float32(2.0 ** -24) * sc
        if x >= sc and sc > 0:
            x = np.nextafter(sc, np.float32(0))
        out[d] = x
    return out


def lazy_params(cfg, seed):
    """Parameters of a fresh library model: every slot untouched, factors and sums 0 until an
    example trains on the slot."""
    p = init_params(cfg, V0=np.zeros((1 << cfg["bits"], vectors_per_slot(cfg), cfg["k"])))
    p.G[:] = 0
    p.touched = np.zeros(1 << cfg["bits"], bool)
    p.seed = seed
    return p


def first_touch(p, idx, cfg):
    """What a training example does first: untouched slots of its row get their seeded factors."""
    if p.touched is None:
        return
    for j in np.asarray(idx, np.int64):
        if not p.touched[j]:
            for f in range(vectors_per_slot(cfg)):
                p.V[j, f] = init_vec(p.seed, int(j), f, cfg["k"], cfg["init_scale"]).astype(np.float64)
                p.G[j, f] = 1.0
            p.touched[j] = True


def init_params(cfg, V0=None, seed=0):
    """Fresh parameters: factors V0 (slots x vectors x k; default uniform [0, init_scale/sqrt(k))
    from numpy's generator — NOT the library's seeded values: read those with factors()), every
    AdaGrad sum 1, u = 1, linear and bias statistics 0."""
    n, m, k, H = 1 << cfg["bits"], vectors_per_slot(cfg), cfg["k"], cfg["heads"]
    if V0 is None:
        V0 = np.random.default_rng(seed).random((n, m, k)) * (cfg["init_scale"] / math.sqrt(k))
    V0 = np.array(V0, dtype=np.float64)
    assert V0.shape == (n, m, k), (V0.shape, (n, m, k))
    return Params(V=V0, G=np.ones_like(V0), z=np.zeros((n, H)), s=np.zeros((n, H)),
                  bz=np.zeros(H), bs=np.zeros(H), u=np.ones((H, k)), ug=np.ones((H, k)))


def _row(idx, fld, val, cfg=None):
    idx = np.asarray(idx, dtype=np.int64)
    fld = np.zeros(idx.size, np.int64) if fld is None else np.asarray(fld, dtype=np.int64)
    val = np.ones(idx.size) if val is None else np.asarray(val, dtype=np.float64)
    assert idx.shape == fld.shape == val.shape
    if cfg is not None:
        assert (idx < (1 << cfg["bits"])).all()
        if cfg["model"] == "ffm":
            assert (fld < cfg["fields"]).all()
    return idx, fld, val


def rows_from_csr(X, fields=None):
    """(idx, fld, val) per row of a scipy CSR matrix, entries in stored order; `fields` is
    parallel to X.indices (None: all 0)."""
    out = []
    for r in range(X.shape[0]):
        b, e = X.indptr[r], X.indptr[r + 1]
        out.append((X.indices[b:e].astype(np.int64),
                    np.zeros(e - b, np.int64) if fields is None else np.asarray(fields[b:e], np.int64),
                    X.data[b:e].astype(np.float64)))
    return out


def labels_of(y, heads):
    """Labels as an (n, heads) float64 array with NaN for missing (-1 or NaN in)."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    assert y.shape[1] == heads
    y = y.copy()
    y[y == MISSING] = np.nan
    return y


# ---- FTRL ------------------------------------------------------------------------------------

def ftrl_weight(z, s, cfg):
    """FTRL-Proximal's implied weight (ftrl.c weight_of), elementwise; 0 when the denominator is 0."""
    z = np.asarray(z, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    den = (cfg["beta"] + s) / cfg["alpha"] + cfg["l2"]
    ok = (np.abs(z) > cfg["l1"]) & (den > 0)
    w = (np.sign(z) * cfg["l1"] - z) / np.where(den > 0, den, 1.0)
    return np.where(ok, w, 0.0)


def ftrl_step(z, s, w, g, alpha):
    """One FTRL-Proximal step with gradient g from weight w (in force before the example)."""
    s_new = math.sqrt(s * s + g * g)
    z = z + g - (s_new - s) / alpha * w
    return z, s_new


# ---- margins ---------------------------------------------------------------------------------

def norm_r(val, cfg):
    """r(x): 1/sum x^2 with normalize (1 for an empty row, and — fm.h does not say — for a row
    whose values are all 0), else 1."""
    if not cfg["normalize"]:
        return 1.0
    ss = float(np.sum(np.asarray(val, np.float64) ** 2))
    return 1.0 / ss if ss > 0 else 1.0


def vec(p, slot, f, cfg):
    """The vector (slot, f) a margin uses: the stored one, except that a slot training has not
    touched yet (lazy parameters) counts as its seeded initial factors under unseen=seeded (the
    default) and as zeros under unseen=zero (fm.h)."""
    if p.touched is not None and not p.touched[slot]:
        if cfg.get("unseen", "seeded") == "seeded":
            return init_vec(p.seed, int(slot), int(f), cfg["k"], cfg["init_scale"]).astype(np.float64)
        return np.zeros(p.V.shape[2])
    return p.V[slot, f]


def pairwise_d(p, idx, fld, val, cfg):
    """pairwise_d(x), d = 0..k-1, by the O(nnz^2) sum over pairs i < j in row order (no r, no u).
    fm: <v_i, v_j> x_i x_j; ffm: <v_{i,f_j}, v_{j,f_i}> x_i x_j (vectors as vec() says)."""
    idx, fld, val = _row(idx, fld, val)
    out = np.zeros(p.V.shape[2])
    ffm = cfg["model"] == "ffm"
    n = idx.size
    for i in range(n):
        for j in range(i + 1, n):
            if ffm:
                a, b = vec(p, idx[i], fld[j], cfg), vec(p, idx[j], fld[i], cfg)
            else:
                a, b = vec(p, idx[i], 0, cfg), vec(p, idx[j], 0, cfg)
            out += a * b * val[i] * val[j]
    return out


def pairwise_fm_fast(V, idx, val):
    """The O(nnz k) identity for FM (Rendle 2010, lemma 3.1):
    sum_{i<j} <v_i,v_j> x_i x_j = 1/2 sum_d [(sum_i v_{i,d} x_i)^2 - sum_i v_{i,d}^2 x_i^2], per d.
    V is slots x 1 x k (or slots x k)."""
    V = V[:, 0, :] if V.ndim == 3 else V
    idx = np.asarray(idx, np.int64)
    val = np.ones(idx.size) if val is None else np.asarray(val, np.float64)
    vx = V[idx] * val[:, None]
    return 0.5 * (vx.sum(axis=0) ** 2 - (vx ** 2).sum(axis=0))


def margins(p, idx, fld, val, cfg):
    """margin_h for every head (float64, not clamped):
    b_h + sum_i w_{h,i} x_i + r(x) sum_d u_{h,d} pairwise_d(x)."""
    idx, fld, val = _row(idx, fld, val, cfg)
    H = cfg["heads"]
    m = np.zeros(H)
    if cfg["bias"]:
        m += ftrl_weight(p.bz, p.bs, cfg)
    if cfg["linear"]:
        for t in range(idx.size):
            m += ftrl_weight(p.z[idx[t]], p.s[idx[t]], cfg) * val[t]
    pw = pairwise_d(p, idx, fld, val, cfg)
    u = p.u if H > 1 else np.ones_like(p.u)
    m += norm_r(val, cfg) * (u @ pw)
    return m


def sigmoid(m):
    """p = sigmoid(margin) with the margin clamped to [-35, 35] (as ftrl_sigmoid)."""
    m = np.clip(np.asarray(m, np.float64), -CLAMP, CLAMP)
    return 1.0 / (1.0 + np.exp(-m))


def predict(p, rows, cfg):
    """Probabilities, (n, heads)."""
    return np.array([sigmoid(margins(p, *r, cfg)) for r in rows]).reshape(len(rows), cfg["heads"])


def decision(p, rows, cfg):
    """Margins, (n, heads)."""
    return np.array([margins(p, *r, cfg) for r in rows]).reshape(len(rows), cfg["heads"])


# ---- learning ----------------------------------------------------------------------------------

def head_gradients(m, labels, weight):
    """g_h = weight (p_h - y_h) for a labelled head, 0 (and unlabelled) for the others."""
    labels = np.asarray(labels, np.float64).copy()
    labels[labels == MISSING] = np.nan
    has = ~np.isnan(labels)
    g = np.where(has, weight * (sigmoid(m) - np.where(has, labels, 0.0)), 0.0)
    return g, has


def _pair_q(a, b, c, r, xi, xj, lam):
    """The FFM pair's AdaGrad gradients from the vectors' current values."""
    q1 = lam * a + c * r * xi * xj * b
    q2 = lam * b + c * r * xi * xj * a
    return q1, q2


def _adagrad(p, slot, f, q, eta):
    p.G[slot, f] += q * q
    p.V[slot, f] -= eta * q / np.sqrt(p.G[slot, f])


def update(p, idx, fld, val, labels, weight, cfg):
    """Trains on one example exactly as fm.h says; returns the probabilities predicted before
    (heads,). Changes nothing for weight 0 or no label."""
    idx, fld, val = _row(idx, fld, val, cfg)
    H, k = cfg["heads"], cfg["k"]
    lab = np.asarray(labels, np.float64).reshape(-1)
    prob = sigmoid(margins(p, idx, fld, val, cfg))  # what a prediction says before this example
    if weight > 0 and np.any(~np.isnan(lab) & (lab != MISSING)):
        first_touch(p, idx, cfg)  # then training starts the row's new slots from their seeds
    m = margins(p, idx, fld, val, cfg)
    g, has = head_gradients(m, labels, weight)
    if weight == 0 or not has.any():
        return prob
    u_before = p.u.copy() if H > 1 else np.ones((H, k))
    c = g @ u_before  # c_d = sum_h g_h u_{h,d}
    r = norm_r(val, cfg)
    pw = pairwise_d(p, idx, fld, val, cfg)  # before the example (for u)
    # Bias and linear part: FTRL per head, weights in force before the example.
    if cfg["bias"]:
        wb = ftrl_weight(p.bz, p.bs, cfg)
        for h in range(H):
            if has[h] and g[h] != 0:
                p.bz[h], p.bs[h] = ftrl_step(p.bz[h], p.bs[h], wb[h], g[h], cfg["alpha"])
    if cfg["linear"]:
        wl = [ftrl_weight(p.z[idx[t]], p.s[idx[t]], cfg) for t in range(idx.size)]
        for t in range(idx.size):
            for h in range(H):
                gi = g[h] * val[t]
                if has[h] and gi != 0:
                    p.z[idx[t], h], p.s[idx[t], h] = ftrl_step(p.z[idx[t], h], p.s[idx[t], h], wl[t][h], gi,
                                                               cfg["alpha"])
    # Factors: AdaGrad, G from 1.
    eta, lam = cfg["eta"], cfg["lambda_"]
    n = idx.size
    if cfg["model"] == "ffm":
        for i in range(n):
            for j in range(i + 1, n):
                a = p.V[idx[i], fld[j]].copy()
                b = p.V[idx[j], fld[i]].copy()
                q1, q2 = _pair_q(a, b, c, r, val[i], val[j], lam)
                _adagrad(p, idx[i], fld[j], q1, eta)
                _adagrad(p, idx[j], fld[i], q2, eta)
    else:
        V0 = p.V[idx, 0].copy()  # v_{i,d} before the example
        S = (V0 * val[:, None]).sum(axis=0)
        for i in range(n):
            q = lam * p.V[idx[i], 0] + c * r * val[i] * (S - V0[i] * val[i])
            _adagrad(p, idx[i], 0, q, eta)
    # Head weights (heads > 1): AdaGrad with q = g_h r pairwise_d + lambda u_{h,d}.
    if H > 1:
        for h in range(H):
            if has[h]:
                q = g[h] * r * pw + lam * p.u[h]
                p.ug[h] += q * q
                p.u[h] -= eta * q / np.sqrt(p.ug[h])
    return prob


def train_epoch(p, rows, labels, weights, cfg):
    """One pass over `rows` in order (fm.h's learning rule, float64). `labels` (n, heads) or (n,)
    with NaN or -1 for missing; `weights` (n,) or None. Returns the progressive-validation
    probabilities (n, heads). Changes `p` in place."""
    y = labels_of(labels, cfg["heads"])
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, np.float64)
    out = np.empty((len(rows), cfg["heads"]))
    for t, row in enumerate(rows):
        out[t] = update(p, *row, y[t], float(w[t]), cfg)
    return out


# ---- the objective and its gradient (checked against finite differences) -----------------------

def objective(p, idx, fld, val, labels, weight, cfg, wlin=None, wbias=None):
    """The loss whose gradient at fixed parameters fm.h's learning rule follows:
    sum over labelled heads of weight x logloss(y_h, sigmoid(margin_h)) (no clamp: keep margins
    small) + lambda/2 ||v||^2 for each vector once per use (per pair for ffm — LIBFFM's per-pair
    regularisation — per entry for fm) + lambda/2 ||u_h||^2 per labelled head (heads > 1).
    `wlin` (slots x heads) and `wbias` (heads) replace the FTRL-implied weights when given, so the
    linear and bias gradients can be differenced directly."""
    idx, fld, val = _row(idx, fld, val, cfg)
    H = cfg["heads"]
    wlin = ftrl_weight(p.z, p.s, cfg) if wlin is None else wlin
    wbias = ftrl_weight(p.bz, p.bs, cfg) if wbias is None else wbias
    m = np.zeros(H)
    if cfg["bias"]:
        m += wbias
    if cfg["linear"]:
        for t in range(idx.size):
            m += wlin[idx[t]] * val[t]
    u = p.u if H > 1 else np.ones_like(p.u)
    m += norm_r(val, cfg) * (u @ pairwise_d(p, idx, fld, val, cfg))
    y = np.asarray(labels, np.float64).copy()
    y[y == MISSING] = np.nan
    has = ~np.isnan(y)
    L = 0.0
    for h in range(H):
        if has[h]:
            L += weight * (np.logaddexp(0, m[h]) - y[h] * m[h])
    lam = cfg["lambda_"]
    n = idx.size
    if cfg["model"] == "ffm":
        for i in range(n):
            for j in range(i + 1, n):
                L += 0.5 * lam * (np.sum(p.V[idx[i], fld[j]] ** 2) + np.sum(p.V[idx[j], fld[i]] ** 2))
    else:
        for i in range(n):
            L += 0.5 * lam * np.sum(p.V[idx[i], 0] ** 2)
    if H > 1:
        L += 0.5 * lam * sum(np.sum(p.u[h] ** 2) for h in range(H) if has[h])
    return L


def gradients(p, idx, fld, val, labels, weight, cfg):
    """The gradients fm.h's rule uses, all taken at the current parameters (no in-place
    sequencing): dict with 'V' ({(slot, field): k-vector}, summed over the vector's uses),
    'u' (heads x k, heads > 1), 'lin' ({slot: heads-vector}), 'bias' (heads)."""
    idx, fld, val = _row(idx, fld, val, cfg)
    H, k = cfg["heads"], cfg["k"]
    lab = np.asarray(labels, np.float64).reshape(-1)
    if weight > 0 and np.any(~np.isnan(lab) & (lab != MISSING)):
        first_touch(p, idx, cfg)
    m = margins(p, idx, fld, val, cfg)
    g, has = head_gradients(m, labels, weight)
    u = p.u if H > 1 else np.ones((H, k))
    c = g @ u
    r = norm_r(val, cfg)
    lam = cfg["lambda_"]
    out = dict(V={}, lin={}, bias=g.copy() if cfg["bias"] else np.zeros(H), u=np.zeros((H, k)))

    def add(key, q):
        out["V"][key] = out["V"].get(key, 0) + q

    n = idx.size
    if cfg["model"] == "ffm":
        for i in range(n):
            for j in range(i + 1, n):
                q1, q2 = _pair_q(p.V[idx[i], fld[j]], p.V[idx[j], fld[i]], c, r, val[i], val[j], lam)
                add((int(idx[i]), int(fld[j])), q1)
                add((int(idx[j]), int(fld[i])), q2)
    else:
        S = (p.V[idx, 0] * val[:, None]).sum(axis=0)
        for i in range(n):
            add((int(idx[i]), 0), lam * p.V[idx[i], 0] + c * r * val[i] * (S - p.V[idx[i], 0] * val[i]))
    if cfg["linear"]:
        for t in range(n):
            out["lin"][int(idx[t])] = out["lin"].get(int(idx[t]), 0) + g * val[t]
    if H > 1:
        pw = pairwise_d(p, idx, fld, val, cfg)
        for h in range(H):
            if has[h]:
                out["u"][h] = g[h] * r * pw + lam * p.u[h]
    return out


# ---- LIBFFM's binary model (ffm.cpp: ffm_save_model / ffm_load_model / ffm_predict) -----------

def k_aligned(k, align):
    """get_k_aligned: ceil(k / kALIGN) * kALIGN (kALIGN = 4 with USESSE, the Makefile's default; 1 without)."""
    return int(math.ceil(k / align)) * align


def libffm_pack(W, G, align):
    """The model array W of ffm.cpp (float32): for j < n, f < m, a block of 2 k_aligned floats made
    of chunks [kALIGN factors, their kALIGN AdaGrad sums]; padding factors are 0 and padding sums 1
    (as init_model writes them)."""
    W = np.asarray(W, np.float32)
    n, m, k = W.shape
    G = np.ones_like(W) if G is None else np.asarray(G, np.float32)
    ka = k_aligned(k, align)
    Wp = np.zeros((n, m, ka), np.float32)
    Gp = np.ones((n, m, ka), np.float32)
    Wp[..., :k] = W
    Gp[..., :k] = G
    chunks = ka // align
    blk = np.empty((n, m, chunks, 2, align), np.float32)
    blk[:, :, :, 0, :] = Wp.reshape(n, m, chunks, align)
    blk[:, :, :, 1, :] = Gp.reshape(n, m, chunks, align)
    return blk.reshape(-1)


def write_libffm(path, W, G=None, normalization=True, align=4):
    """Writes a LIBFFM model file as ffm_save_model does: int32 n, m, k (native = little-endian),
    one byte normalization (C++ bool), then the packed model array (float32)."""
    W = np.asarray(W, np.float32)
    n, m, k = W.shape
    with open(path, "wb") as f:
        f.write(struct.pack("<iii?", n, m, k, bool(normalization)))
        f.write(libffm_pack(W, G, align).astype("<f4").tobytes())


def read_libffm(path, align=4):
    """Reads a LIBFFM model file; returns (W, G, normalization) with W, G float32 (n, m, k).
    Raises ValueError when the size does not match n x m x k under `align`."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 13:
        raise ValueError("truncated header")
    n, m, k, norm = struct.unpack("<iii?", data[:13])
    ka = k_aligned(k, align)
    want = 13 + 4 * n * m * ka * 2
    if n < 0 or m < 0 or k < 1 or len(data) != want:
        raise ValueError(f"file is {len(data)} bytes, n={n} m={m} k={k} align={align} needs {want}")
    blk = np.frombuffer(data, dtype="<f4", offset=13).reshape(n, m, ka // align, 2, align)
    W = blk[:, :, :, 0, :].reshape(n, m, ka)[..., :k].astype(np.float32)
    G = blk[:, :, :, 1, :].reshape(n, m, ka)[..., :k].astype(np.float32)
    return W, G, bool(norm)


def libffm_margin(W, row, normalization=True):
    """wTx of ffm.cpp for one row of (j, f, v) nodes: pairs N1 < N2 in row order, nodes with
    j >= n or f >= m skipped (but still counted in r)."""
    n, m, _ = W.shape
    js, fs, vs = _row(*row)
    r = 1.0
    if normalization:
        r = 1.0 / float(np.sum(vs.astype(np.float64) ** 2))
    t = 0.0
    for a in range(js.size):
        if js[a] >= n or fs[a] >= m:
            continue
        for b in range(a + 1, js.size):
            if js[b] >= n or fs[b] >= m:
                continue
            t += float(np.dot(W[js[a], fs[b]].astype(np.float64), W[js[b], fs[a]].astype(np.float64))) \
                * vs[a] * vs[b] * r
    return t


def libffm_predict(W, rows, normalization=True):
    """ffm_predict for each row: 1 / (1 + exp(-wTx))."""
    return np.array([1.0 / (1.0 + math.exp(-libffm_margin(W, row, normalization))) for row in rows])
