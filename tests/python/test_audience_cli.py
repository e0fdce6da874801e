"""`growth audience`: the pipeline from CSV files against the Python binding, malformed input
with file/line/column messages, exit codes."""
import os
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp

from growth import audience as A

CLI = os.environ.get("GROWTH_CLI") or os.path.join(
    os.path.dirname(os.environ.get("GROWTH_LIBRARY", "build/src/x")), "..", "cli", "growth")
pytestmark = pytest.mark.skipif(not os.path.exists(CLI), reason=f"growth CLI not built at {CLI}")


def run(*args):
    return subprocess.run([CLI, "audience", *map(str, args)], capture_output=True, text=True)


def write(path, header, rows):
    with open(path, "w") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("aud")
    rng = np.random.default_rng(11)
    n = 6000
    z = rng.normal(size=n)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    attr = np.hstack([rng.random((n, 8)) < sig(-2 + 1.2 * z)[:, None], rng.random((n, 30)) < 0.12])
    brands = np.hstack([np.zeros((n, 1), bool), rng.random((n, 4)) < sig(-3 + 1.3 * z)[:, None],
                        rng.random((n, 15)) < 0.04])
    emb = rng.normal(size=(n, 6)).astype(np.float32)
    emb[:, :2] += 0.8 * z[:, None]
    is_seed = rng.random(n) < sig(-4 + 1.5 * z)
    brands[is_seed, 0] = True
    later = ~is_seed & (rng.random(n) < sig(-4.4 + 1.5 * z))
    seed = np.flatnonzero(is_seed)
    files = dict(
        seed=write(d / "seed.csv", "user", [[u] for u in seed]),
        attributes=write(d / "attr.csv", "user,attribute", zip(*np.nonzero(attr))),
        brands=write(d / "brands.csv", "user,brand", zip(*np.nonzero(brands))),
        embeddings=write(d / "emb.csv", "user," + ",".join(f"x{j}" for j in range(6)),
                         [[u, *np.round(emb[u], 6)] for u in range(n)]),
        later=write(d / "later.csv", "user", [[u] for u in np.flatnonzero(later)]),
    )
    emb = np.loadtxt(d / "emb.csv", delimiter=",", skiprows=1, dtype=np.float64)[:, 1:].astype(np.float32)
    return dict(dir=d, files=files, n=n, attr=sp.csr_matrix(attr.astype(np.float32)),
                brands=sp.csr_matrix(brands.astype(np.float32)), emb=emb, seed=seed, later=later)


def test_pipeline_matches_the_binding_and_beats_random(data):
    f = data["files"]
    out = data["dir"] / "top.csv"
    r = run("--seed", f["seed"], "--attributes", f["attributes"], "--brands", f["brands"], "--brand", 0,
            "--embeddings", f["embeddings"], "--peers", 800, "--later", f["later"], "--top", 300,
            "--model", "learner=forest method=spy rounds=40 max_depth=3", "-o", out)
    assert r.returncode == 0, r.stderr
    rows = np.loadtxt(out, delimiter=",", skiprows=1, dtype=str)
    users = rows[:, 0].astype(np.int64)
    assert len(users) == 300 and not np.isin(users, data["seed"]).any()
    assert set(rows[:, 2]) <= {"|".join(c) for c in [["interest"], ["brand"], ["peer"], ["interest", "brand"],
                                                     ["interest", "peer"], ["brand", "peer"],
                                                     ["interest", "brand", "peer"]]}
    # the same pipeline through the binding
    seed = data["seed"]
    _, u1 = A.interest(data["attr"], seed, min_tgi=150)
    u2 = A.brand(data["brands"], 0, seed, k=10)
    u3, _ = A.peer(data["emb"], seed, 800, mode="centroid")
    pool, _ = A.union({"interest": u1, "brand": u2, "peer": u3}, nusers=data["n"])
    s = A.pu_score(data["attr"], seed, pool, learner="forest", method="spy", rounds=40, max_depth=3)
    top, _ = A.select(pool, s, 300, exclude=seed, threshold=0)
    np.testing.assert_array_equal(users, top)
    # the reported precision and its lift over random selection
    line = [x for x in r.stderr.splitlines() if x.startswith("top-300 precision")][0]
    prec, base = float(line.split()[2].rstrip(",")), float(line.split()[5].rstrip(","))
    assert prec == pytest.approx(data["later"][top].mean(), abs=1e-4)
    assert prec > 2 * base


def test_help_and_usage_errors(data):
    r = run("--help")
    assert r.returncode == 0 and "usage: growth audience" in r.stdout
    assert run("--attributes", data["files"]["attributes"]).returncode == 2  # no --seed
    r = run("--seed", data["files"]["seed"])
    assert r.returncode == 2 and "at least one direction" in r.stderr
    r = run("--seed", data["files"]["seed"], "--colour", "blue")
    assert r.returncode == 2 and "unknown option" in r.stderr
    r = run("--seed", data["files"]["seed"], "--brands", data["files"]["brands"])
    assert r.returncode == 2 and "--brand ID" in r.stderr


def test_malformed_input_names_line_and_column(tmp_path, data):
    bad = write(tmp_path / "attr.csv", "user,attribute", [[0, 1], [2, "x"], [3, 4]])
    r = run("--seed", data["files"]["seed"], "--attributes", bad)
    assert r.returncode == 1 and "attr.csv:3:2" in r.stderr, r.stderr
    neg = write(tmp_path / "seed.csv", "user", [[1], [-4]])
    r = run("--seed", neg, "--attributes", data["files"]["attributes"])
    assert r.returncode == 1 and "seed.csv:3:1" in r.stderr and "integer id" in r.stderr
    short = write(tmp_path / "s3.csv", "user,attribute", [[1, 2], [3]])
    r = run("--seed", data["files"]["seed"], "--attributes", short)
    assert r.returncode == 1 and "s3.csv:3" in r.stderr
    empty = write(tmp_path / "empty.csv", "user", [])
    r = run("--seed", empty, "--attributes", data["files"]["attributes"])
    assert r.returncode == 1 and "no data rows" in r.stderr
    r = run("--seed", data["files"]["seed"], "--attributes", data["files"]["attributes"], "--users", 10)
    assert r.returncode == 1 and "not below --users 10" in r.stderr
    r = run("--seed", data["files"]["seed"], "--attributes", data["files"]["attributes"], "--interest", "min_tgi=-3")
    assert r.returncode == 1 and "min_tgi" in r.stderr
    r = run("--seed", data["files"]["seed"], "--embeddings", data["files"]["embeddings"], "--peers", 10 ** 6,
            "--attributes", data["files"]["attributes"])
    assert r.returncode == 1 and "larger than the pool" in r.stderr
