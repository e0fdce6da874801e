"""A sparse-conversion ESMM scenario: impressions of items to users, clicks driven by a latent
user x item affinity, conversions (given a click) driven by the SAME affinity, conversion rate
low (a few % of clicks). Factors learned from the plentiful clicks therefore carry over to the
scarce conversions: a model whose CVR head shares the click head's latent factors (growth.FFM's
esmm_fit) can beat a CVR head that sees only per-value weights (growth.FTRL's esmm_fit).

Fields: 0 user id, 1 user segment, 2 item id, 3 item category, 4 context (position/site).
Ground truth, with a_ui = <p_u, q_i> (p_u, q_i ~ N(0, I/D), D = 4, scaled to std 1):
    click margin      = c0 + ub_u + ib_i + cb_c + sc * a_ui
    conversion margin = v0 + sv * a_ui + small item bias        (given a click)
so a CVR model without interactions sees almost nothing but the selection effect of clicks.

Slots: a fixed hash of (field, value) into 2^bits (a 64-bit mix, no library needed), one entry
per field per row, value 1; `fields` is parallel to the CSR indices.
"""
import numpy as np
import scipy.sparse as sp

FIELDS = 5
D = 4


def _mix(x):
    x = (x ^ (x >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
    x = (x ^ (x >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> np.uint64(33))


def slot_of(field, value, bits):
    v = np.asarray(value, np.uint64) + (np.uint64(field + 1) << np.uint64(40))
    with np.errstate(over="ignore"):
        return (_mix(v) >> np.uint64(64 - bits)).astype(np.int64)


def world(users=1000, items=500, seed=99, click_scale=2.0, conv_scale=2.0, conv_base=-6.4):
    rng = np.random.default_rng(seed)
    w = dict(users=users, items=items, segments=20, categories=30, contexts=8,
             P=rng.normal(0, 1 / np.sqrt(D), (users, D)), Q=rng.normal(0, 1 / np.sqrt(D), (items, D)),
             ub=rng.normal(0, 0.5, users), ib=rng.normal(0, 0.5, items), cb=rng.normal(0, 0.3, 8),
             conv_ib=rng.normal(0, 0.2, items), c0=-2.0, v0=conv_base,
             click_scale=click_scale, conv_scale=conv_scale)
    w["seg"] = rng.integers(0, w["segments"], users)
    w["cat"] = rng.integers(0, w["categories"], items)
    # popularity: Zipf-ish over users and items
    w["upop"] = 1 / np.arange(1, users + 1) ** 0.7
    w["ipop"] = 1 / np.arange(1, items + 1) ** 0.8
    return w


def sample(n, w, seed):
    rng = np.random.default_rng(seed)
    u = rng.choice(w["users"], n, p=w["upop"] / w["upop"].sum())
    i = rng.choice(w["items"], n, p=w["ipop"] / w["ipop"].sum())
    c = rng.integers(0, w["contexts"], n)
    a = np.einsum("nd,nd->n", w["P"][u], w["Q"][i]) * 2.0  # std ~1
    click_m = w["c0"] + w["ub"][u] + w["ib"][i] + w["cb"][c] + w["click_scale"] * a
    conv_m = w["v0"] + w["conv_scale"] * a + w["conv_ib"][i]
    pc = 1 / (1 + np.exp(-click_m))
    pv = 1 / (1 + np.exp(-conv_m))
    click = (rng.random(n) < pc).astype(np.float32)
    conv = (click * (rng.random(n) < pv)).astype(np.float32)
    vals = np.stack([u, w["seg"][u], i, w["cat"][i], c], axis=1)
    return vals, click, conv, pc, pv


def to_csr(vals, bits):
    n = vals.shape[0]
    slots = np.stack([slot_of(f, vals[:, f], bits) for f in range(FIELDS)], axis=1)
    X = sp.csr_matrix((np.ones(n * FIELDS, np.float32), slots.ravel().astype(np.int32),
                       np.arange(0, n * FIELDS + 1, FIELDS, dtype=np.int64)), shape=(n, 1 << bits))
    fields = np.tile(np.arange(FIELDS, dtype=np.uint8), n)
    return X, fields, slots


def make_esmm(n_train=300_000, n_test=100_000, bits=18, seed=0, **world_kw):
    """Returns dict(train=(X, fields, click, conv), test=(X, fields, click, conv),
    slots_train, slots_test (n x 5), p_click_test, p_conv_test (true pCVR given click))."""
    w = world(**world_kw)
    vt, ct, vt_conv, _, _ = sample(n_train, w, seed)
    ve, ce, ve_conv, pce, pve = sample(n_test, w, seed + 1)
    Xt, ft, st = to_csr(vt, bits)
    Xe, fe, se = to_csr(ve, bits)
    return dict(train=(Xt, ft, ct, vt_conv), test=(Xe, fe, ce, ve_conv), slots_train=st, slots_test=se,
                p_click_test=pce, p_conv_test=pve, bits=bits)
