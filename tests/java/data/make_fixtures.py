#!/usr/bin/python3
"""Writes the model fixtures of the Java binding's Net / DSSM tests, and their expected outputs.

    GROWTH_LIBRARY=build/src/libgrowth.so /usr/bin/python3 tests/java/data/make_fixtures.py

Weights are random (fixed seed) and written with growth.export.write_net / write_dssm (numpy
only, no torch). The expected outputs in expected.txt are computed here with numpy in float64
from the same float32 weights, independently of the library's inference code; the DSSM word
hashing is re-implemented here for ASCII text (lower-case words, letter trigrams of '#w#'), with
the library's hash64 as the hash function. The Java tests compare the library to them at 1e-5.

expected.txt, one record a line, tab-separated:
    mlp     x (6 floats)                                       y (2 floats)
    wd      x (3 floats)  field:id ...  slot:value ...         y (1 float)
    hash    text          slot:count ...
    query   text          embedding (4 floats)
    item    text          embedding (4 floats)
    score   query         item                                 cosine
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "bindings", "python"))

import numpy as np  # noqa: E402

from growth import hash64  # noqa: E402
from growth.export import write_dssm, write_net  # noqa: E402

rng = np.random.default_rng(20240611)


def f32(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def act(name, z):
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def forward(layers, v):
    v = np.asarray(v, np.float64)
    for l in layers:
        if isinstance(l, str):
            v = act(l, v)
        else:
            v = l[1].astype(np.float64) @ v + l[2].astype(np.float64)
    return v


def fmt(a):
    return " ".join("%.9g" % float(x) for x in np.ravel(a))


lines = []

# ---- MLP: 6 -> 8 relu -> 5 tanh -> 2, sigmoid output -----------------------------------------
mlp = [("dense", f32(8, 6), f32(8)), "relu", ("dense", f32(5, 8), f32(5)), "tanh",
       ("dense", f32(2, 5), f32(2))]
write_net(os.path.join(HERE, "mlp.net"), mlp, 6, output="sigmoid")
for _ in range(8):
    x = f32(6, scale=1.0)
    lines.append("mlp\t%s\t%s" % (fmt(x), fmt(act("sigmoid", forward(mlp, x)))))

# ---- Wide&Deep: dense 3, fields E0 (5x4, sum) and E1 (4x2, mean), wide 10 slots ---------------
E0, E1 = f32(5, 4), f32(4, 2)
deep = [("dense", f32(6, 3 + 4 + 2), f32(6)), "tanh", ("dense", f32(1, 6), f32(1))]
Ww, bw = f32(10, 1), f32(1)
write_net(os.path.join(HERE, "widedeep.net"), deep, 3, embeddings=[(E0, "sum"), (E1, "mean")],
          wide=(Ww, bw), output="sigmoid")
cases = [
    ([(0, 1), (0, 4), (1, 2)], [(3, 1.0), (7, 0.5)]),
    ([(1, 0), (1, 3), (1, 3)], [(9, 2.0)]),
    ([(0, 2)], []),
    ([], [(0, -1.5), (5, 1.0), (6, 0.25)]),
    ([(0, 0), (0, 0), (0, 3), (1, 1)], []),
]
for cats, wide in cases:
    x = f32(3, scale=1.0)
    pools = []
    for f, E, mode in ((0, E0, "sum"), (1, E1, "mean")):
        ids = [i for ff, i in cats if ff == f]
        p = np.zeros(E.shape[1]) if not ids else E[ids].astype(np.float64).sum(axis=0)
        if ids and mode == "mean":
            p = p / len(ids)
        pools.append(p)
    z = forward(deep, np.concatenate([x.astype(np.float64)] + pools))
    for s, v in wide:
        z = z + Ww[s].astype(np.float64) * np.float64(np.float32(v))
    z = z + bw.astype(np.float64)
    lines.append("wd\t%s\t%s\t%s\t%s" % (fmt(x), " ".join("%d:%d" % c for c in cats),
                                         " ".join("%d:%.9g" % w for w in wide),
                                         fmt(act("sigmoid", z))))

# ---- DSSM: 64 buckets, seed 7; query 64 -> 8 tanh -> 4, item 64 -> 6 tanh -> 4 ----------------
BUCKETS, SEED = 64, 7
qt = [("dense", f32(8, BUCKETS), f32(8)), "tanh", ("dense", f32(4, 8), f32(4))]
it = [("dense", f32(6, BUCKETS), f32(6)), "tanh", ("dense", f32(4, 6), f32(4))]
write_dssm(os.path.join(HERE, "towers.dssm"), qt, it, BUCKETS, SEED)


def grams(text):
    out = []
    for w in re.split(r"[^a-z0-9]+", text.lower()):
        if w:
            w = "#" + w + "#"
            out += [w[i:i + 3] for i in range(len(w) - 2)]
    return out


def hashed(text):
    v = np.zeros(BUCKETS)
    for g in grams(text):
        v[hash64(g.encode("utf-8"), SEED) % BUCKETS] += 1
    return v


def embed(layers, text):
    h = hashed(text)
    # The first layer is the sum of the weight rows of the hashed slots (+ bias): W @ counts.
    y = forward(layers, h)
    n = np.linalg.norm(y)
    return y / n if n > 0 else y


queries = ["red running shoes", "Cheap flights to Paris", "coffee"]
items = ["Running shoes, red, size 42", "Paris hotel deals", "espresso coffee beans 1kg",
         "a", "GARDEN hose 20m"]
for t in queries + items[:2]:
    h = hashed(t)
    nz = np.nonzero(h)[0]
    lines.append("hash\t%s\t%s" % (t, " ".join("%d:%d" % (s, h[s]) for s in nz)))
for t in queries:
    lines.append("query\t%s\t%s" % (t, fmt(embed(qt, t))))
for t in items:
    lines.append("item\t%s\t%s" % (t, fmt(embed(it, t))))
for q in queries:
    for t in items:
        lines.append("score\t%s\t%s\t%.9g" % (q, t, float(embed(qt, q) @ embed(it, t))))

for name in ("mlp.net", "widedeep.net", "towers.dssm"):
    os.chmod(os.path.join(HERE, name), 0o644)

with open(os.path.join(HERE, "expected.txt"), "w", encoding="utf-8") as f:
    f.write("# written by make_fixtures.py: kind<TAB>fields (see the script's docstring)\n")
    f.write("\n".join(lines) + "\n")
