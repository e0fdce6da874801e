"""The `growth` command line: operator sub-commands on CSV input, against independent
references (sklearn, the Python binding), malformed input and exit codes."""
import os
import subprocess

import numpy as np
import pytest

import growth

CLI = os.environ.get("GROWTH_CLI") or os.path.join(
    os.path.dirname(os.environ.get("GROWTH_LIBRARY", "build/src/x")), "..", "cli", "growth")
pytestmark = pytest.mark.skipif(not os.path.exists(CLI), reason=f"growth CLI not built at {CLI}")


def run(*args, stdin=None):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, input=stdin)


def write_scores(path, n=4000, seed=0):
    rng = np.random.default_rng(seed)
    p = np.round(rng.random(n), 5)
    y = (rng.random(n) < p * 0.6).astype(int)
    f = rng.integers(0, 4, n)
    u = rng.integers(0, 200, n)
    with open(path, "w") as fh:
        fh.write("score,label,channel,user\n")
        for i in range(n):
            fh.write(f"{p[i]},{y[i]},{f[i]},u{u[i]}\n")
    return p, y, f, u


def field(out, name):
    toks = out.split()
    return float(toks[toks.index(name) + 1])


def test_eval_matches_sklearn(tmp_path):
    from sklearn.metrics import log_loss, roc_auc_score
    p, y, _, _ = write_scores(tmp_path / "s.csv")
    r = run("eval", tmp_path / "s.csv")
    assert r.returncode == 0, r.stderr
    assert abs(field(r.stdout, "AUC") - roc_auc_score(y, p)) < 1e-5
    assert abs(field(r.stdout, "logloss") - log_loss(y, p, eps=1e-15)) < 1e-4
    assert abs(field(r.stdout, "PCOC") - p.sum() / y.sum()) < 1e-3


def test_calibrate_saves_a_loadable_calibrator(tmp_path):
    p, y, f, _ = write_scores(tmp_path / "s.csv")
    r = run("calibrate", tmp_path / "s.csv", "--method", "isotonic", "--save", tmp_path / "c.model",
            "--out", tmp_path / "o.csv")
    assert r.returncode == 0, r.stderr
    assert growth.model_kind(tmp_path / "c.model")[0] == "calibrator"
    c = growth.Calibrator.load(tmp_path / "c.model")
    out = np.loadtxt(tmp_path / "o.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(out[:, 2], c.predict(p.astype(np.float32)), atol=1e-6)
    lines = r.stdout.splitlines()
    before = [l for l in lines if l.startswith("before")][0]
    after = [l for l in lines if l.startswith("after")][0]
    assert field(after, "ECE") < field(before, "ECE") / 5


def test_budget_knapsack_and_channels(tmp_path):
    rng = np.random.default_rng(1)
    v = np.round(rng.random((300, 3)) * 10, 3)
    c = np.round(1 + np.arange(3) + rng.random((300, 3)), 3)
    with open(tmp_path / "k.csv", "w") as fh:
        fh.write("user,value,cost\n")
        for i in range(300):
            for j in range(3):
                fh.write(f"u{i},{v[i, j]},{c[i, j]}\n")
    r = run("budget", "knapsack", tmp_path / "k.csv", "--budget", 400, "--out", tmp_path / "plan.csv")
    assert r.returncode == 0, r.stderr
    ref = growth.budget.solve_mckp(values=v, costs=c, budget=400.0)
    assert abs(field(r.stdout, "value") - ref.value) < 1e-6 * ref.value
    plan = np.loadtxt(tmp_path / "plan.csv", delimiter=",", skiprows=1, usecols=(2, 3))
    assert plan[:, 1].sum() <= 400 + 1e-9
    with open(tmp_path / "ch.csv", "w") as fh:
        fh.write("channel,kind,a,b\nsearch,exp,5000,0.0001\nfeeds,log,800,0.001\n")
    r = run("budget", "channels", tmp_path / "ch.csv", "--budget", 30000)
    assert r.returncode == 0, r.stderr
    ref = growth.budget.allocate_channels([("exp", 5000, 1e-4), ("log", 800, 1e-3)], 30000.0)
    total = [l for l in r.stdout.splitlines() if l.startswith("total")][0].split()
    assert abs(float(total[2]) - ref.total) < 0.01


@pytest.mark.parametrize("content,message", [
    ("score,label\n0.5,1\nabc,0\n", "s.csv:3:1 (column 'score'): 'abc' is not a finite number"),
    ("score,label\n0.5,1\n0.2\n", "s.csv:3: 1 fields, the header has 2"),
    ("score,label\n0.5,\"1\n", "unterminated or misplaced quote"),
    ("", "empty file"),
])
def test_malformed_csv_names_line_and_column(tmp_path, content, message):
    (tmp_path / "s.csv").write_text(content)
    r = run("eval", tmp_path / "s.csv")
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_csv_line_ends_and_header_quote(tmp_path):
    """LF, CRLF and lone-CR line ends (with blank lines) read the same; a lone-CR file once
    overflowed the reader's row table (found by tests/fuzz/fuzz_csv.c)."""
    p, y, _, _ = write_scores(tmp_path / "s.csv", n=300)
    text = (tmp_path / "s.csv").read_text()
    want = run("eval", tmp_path / "s.csv")
    assert want.returncode == 0, want.stderr
    for name, t in (("crlf", text.replace("\n", "\r\n")), ("cr", text.replace("\n", "\r")),
                    ("blank", text.replace("\n", "\n\r\n\r", 5))):
        (tmp_path / name).write_bytes(t.encode())
        r = run("eval", tmp_path / name)
        assert r.returncode == 0, (name, r.stderr)
        assert r.stdout.replace(str(tmp_path / name), "F") == want.stdout.replace(str(tmp_path / "s.csv"), "F")
    (tmp_path / "h.csv").write_text('"score,label\n0.5,1\n')
    r = run("eval", tmp_path / "h.csv")
    assert r.returncode == 2 and "quote in the header" in r.stderr, r.stderr


def test_usage_and_exit_codes(tmp_path):
    for cmd in (["--help"], ["demo", "--help"], ["inspect", "--help"], ["eval", "--help"],
                ["calibrate", "--help"], ["budget", "--help"]):
        r = run(*cmd)
        assert r.returncode == 0 and "usage" in r.stdout.lower(), cmd
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("eval").returncode == 2
    assert run("eval", tmp_path / "missing.csv").returncode == 2
    assert run("budget", "knapsack", "-", stdin="user,value,cost\n").returncode == 2
    (tmp_path / "k.csv").write_text("user,value,cost\na,1,1\nb,1,1\na,2,1\n")
    r = run("budget", "knapsack", tmp_path / "k.csv", "--budget", 1)
    assert r.returncode == 2 and "not consecutive" in r.stderr
    (tmp_path / "k.csv").write_text("user,value,cost\na,-1,1\n")
    r = run("budget", "knapsack", tmp_path / "k.csv", "--budget", 1)
    assert r.returncode == 1 and "growth: budget knapsack:" in r.stderr
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"\x89GRW\r\n\x1a\n" + b"\0" * 10)
    r = run("inspect", bad)
    assert r.returncode == 1 and "bad file format" in r.stderr
    assert run("--version").stdout.startswith("growth " + growth.version())


def test_demo_end_to_end(tmp_path):
    r = run("demo", "--rows", 100000, "--users", 5000, "--items", 1000, "--quiet", "--report", tmp_path / "rep")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    ctr = [l for l in out.splitlines() if "pCTR (FTRL click head)" in l][0].split()
    assert float(ctr[4]) > 0.6  # AUC
    # The field-aware FM learns the persona x brand tastes the linear heads cannot see: its click
    # head and its ESMM purchase head (factors shared with clicks) beat FTRL's in AUC and logloss.
    row = {name: [float(v) for v in l.split(")")[-1].split() if v != "-"]
           for l in out.splitlines() for name in ("pCVR (purchase | click)", "pCVR (FFM, ESMM, shared)",
                                                  "pCTR (FFM click head)") if name in l}
    assert row["pCTR (FFM click head)"][0] > float(ctr[4]) + 0.02
    assert row["pCVR (FFM, ESMM, shared)"][0] > row["pCVR (purchase | click)"][0] + 0.02  # AUC
    assert row["pCVR (FFM, ESMM, shared)"][1] < row["pCVR (purchase | click)"][1]  # logloss
    raw = [l for l in out.splitlines() if "pCVR raw" in l][0].split()
    cal = [l for l in out.splitlines() if "pCVR isotonic-calibrated" in l][0].split()
    assert float(cal[-2]) < float(raw[-2]) / 3  # ECE after calibration
    assert abs(float(cal[-1]) - 1) < 0.1  # PCOC near 1
    regret = {l.split()[0]: float(l.split()[1]) for l in out.splitlines()
              if l.strip().startswith(("thompson", "ucb1", "egreedy"))}
    assert regret["thompson"] < regret["ucb1"]
    # the contextual coupon step: the shared logistic TS over segment x coupon crosses finds each
    # segment's best coupon; per-coupon Beta TS, blind to the segment, cannot
    ctx = {l.split("  ")[1].strip(): [float(v.rstrip("%")) for v in l.split()[-2:]] for l in out.splitlines()
           if l.strip().startswith(("shared logistic TS", "per-coupon Beta TS"))}
    assert set(ctx) == {"shared logistic TS (crosses)", "per-coupon Beta TS"}, ctx
    assert ctx["shared logistic TS (crosses)"][0] < 0.5 * ctx["per-coupon Beta TS"][0]
    assert ctx["shared logistic TS (crosses)"][1] > 2 * ctx["per-coupon Beta TS"][1]
    ks = [l for l in out.splitlines() if "knapsack plan" in l][0]
    base = [l for l in out.splitlines() if "first come first served" in l][0]
    assert float(ks.split("value ")[1].split(",")[0]) > float(base.split("value ")[1].split(" ")[0])
    assert "total installs" in out
    # Uplift step: the knapsack on the uplift buys far more incremental conversions (under the
    # simulator's truth) than the knapsack on P(buy | packet) at the same expected spend.
    inc = {name: float(l.split()[-1]) for l in out.splitlines()
           for name in ("knapsack on uplift", "knapsack on P(buy | packet)") if l.strip().startswith(name)}
    assert len(inc) == 2, out
    assert inc["knapsack on uplift"] > 1.3 * inc["knapsack on P(buy | packet)"]
    qini = float([l for l in out.splitlines() if "Qini coefficient" in l][0].split()[2].rstrip(","))
    assert 0.05 < qini < 1
    # Recall over item titles: recall@20 (all, exact, typo, synonym queries) per method.
    rec = {l.split()[0]: [float(v) for v in l.split()[1:5]] for l in out.splitlines()
           if l.strip().split(" ")[0] in ("random", "BM25", "vectors", "fused")}
    assert set(rec) == {"random", "BM25", "vectors", "fused"}
    for m, vals in rec.items():
        assert all(0.0 <= v <= 1.0 for v in vals), (m, vals)
    n_items = 1000
    assert abs(rec["random"][0] - 20 / n_items) < 0.01  # random top-20 of 1000 items: K/N in expectation
    for m in ("BM25", "vectors", "fused"):
        assert rec[m][0] > 0.5 and rec[m][0] > 10 * rec["random"][0], (m, rec[m])
        assert rec[m][1] > 0.9  # exact queries: both words are in the relevant titles
    assert rec["vectors"][2] > rec["BM25"][2] + 0.3  # letter trigrams survive a typo, words do not
    recall_csv = (tmp_path / "rep" / "recall.csv").read_text().splitlines()
    assert recall_csv[0] == "method,all,exact,typo,synonym" and len(recall_csv) == 5
    assert abs(float(recall_csv[2].split(",")[1]) - rec["BM25"][0]) < 1e-4
    # --report: the data, the figures drawn by growth.report, and the page.
    for name in ("summary.txt", "calibration.csv", "regret.csv", "channels.csv", "recall.csv",
                 "uplift.csv", "calibration.png", "regret.png", "channels.png", "recall.png", "qini.png", "index.html"):
        assert (tmp_path / "rep" / name).stat().st_size > 0, name
    assert out.startswith((tmp_path / "rep" / "summary.txt").read_text())  # the page shows the report
    assert (tmp_path / "rep" / "channels.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def write_libffm(path, n, m, k, norm, align, trailing=b""):
    """A LIBFFM model file as ffm_save_model writes it (kALIGN = align): trained-looking factors
    in [-0.5, 0.5), AdaGrad sums >= 1, padding factors 0 and sums 1."""
    import struct
    rng = np.random.default_rng(n * 131 + k)
    ka = -(-k // align) * align
    out = [struct.pack("<iii?", n, m, k, bool(norm))]
    for _ in range(n * m):
        for d0 in range(0, ka, align):
            v = [rng.random() - 0.5 if d0 + s < k else 0.0 for s in range(align)]
            g = [1 + 3 * rng.random() if d0 + s < k else 1.0 for s in range(align)]
            out.append(struct.pack("<%df" % (2 * align), *v, *g))
    path.write_bytes(b"".join(out) + trailing)


def test_inspect_libffm(tmp_path):
    f = tmp_path / "model.ffm"
    write_libffm(f, 20, 3, 5, 1, 4)
    for args in (["inspect", f], ["inspect", "--libffm", f]):
        r = run(*args)
        assert r.returncode == 0, r.stderr
        assert "kind: libffm" in r.stdout and "n: 20\nm: 3\nk: 5\nnormalization: true" in r.stdout
        assert "alignment: 4 (a LIBFFM built with SSE" in r.stdout and ": ok" in r.stdout
        assert "model=ffm fields=3 k=5 bits=5" in r.stdout
    write_libffm(f, 9, 2, 3, 0, 1)
    r = run("inspect", f)
    assert r.returncode == 0 and "alignment: 1" in r.stdout and "normalization: false" in r.stdout
    # k a multiple of 4: the same size under both alignments; the values decide
    for align in (4, 1):
        write_libffm(f, 30, 2, 8, 1, align)
        r = run("inspect", f)
        assert r.returncode == 0 and f"alignment: {align} (guessed from the values" in r.stdout, r.stdout
    # truncated: no longer auto-detected; --libffm reports the size check and fails
    write_libffm(f, 20, 3, 5, 1, 4)
    f.write_bytes(f.read_bytes()[:-3])
    r = run("inspect", f)
    assert r.returncode == 1 and "bad magic" in r.stderr
    r = run("inspect", "--libffm", f)
    assert r.returncode == 1 and "matches neither alignment" in r.stdout
    f.write_bytes(f.read_bytes()[:100])
    r = run("inspect", "--libffm", f)
    assert r.returncode == 1 and ": truncated" in r.stdout
    r = run("inspect", "--libffm", tmp_path / "missing.ffm")
    assert r.returncode == 1
    assert run("inspect", "--libffm").returncode == 2


def test_inspect_bandit_snapshots(tmp_path):
    """growth inspect on a logistic-policy bandit: policy, counters, pending decisions, the live
    weights and the largest ones, against what the Python binding reads from the same handle."""
    from growth.bandit import Bandit
    rng = np.random.default_rng(4)
    b = Bandit("logistic_ucb", bits=9, seed=2, **{"lambda": 1.5})
    for t in range(40):
        idx = rng.integers(0, 512, size=6).astype(np.uint32)
        d, j, _ = b.select_rows((np.array([0, 3, 6], np.uint64), idx, rng.uniform(0.5, 1.5, 6).astype(np.float32)))
        if t < 33:
            b.reward(d, float(rng.random() < 0.4))
    f = tmp_path / "l.bandit"
    b.save(f)
    r = run("inspect", f)
    assert r.returncode == 0, r.stderr
    out = dict(line.split(": ", 1) for line in r.stdout.splitlines() if not line.startswith("weight: "))
    assert out["kind"] == "bandit" and out["policy"] == "logistic_ucb" and out["config"] == b.config
    st = b.stats()
    for k in ("decisions", "applied", "pending", "unknown", "expired", "duplicate", "retired"):
        assert int(out[k]) == st[k], k
    assert int(out["pending"]) == 7 and int(out["bits"]) == 9 and int(out["slots"]) == 512
    m, q = b.weights(np.arange(512, dtype=np.uint32))
    live = (m != 0) | (q != 1.5)
    assert int(out["live_weights"]) == int(live.sum()) > 0
    order = np.argsort(-np.abs(m), kind="stable")[:5]
    got = [line.split()[1:] for line in r.stdout.splitlines() if line.startswith("weight: ")]
    assert [int(g[0].split("=")[1]) for g in got] == [int(s) for s in order]
    for g, s in zip(got, order):
        assert float(g[1].split("=")[1]) == pytest.approx(m[s], rel=1e-5)
        assert float(g[2].split("=")[1]) == pytest.approx(q[s], rel=1e-5)
    # a Beta bandit shows its arms instead
    t = Bandit("thompson", arms=[1, 2, 3])
    t.select()
    t.save(tmp_path / "t.bandit")
    r = run("inspect", tmp_path / "t.bandit")
    assert r.returncode == 0 and "policy: thompson" in r.stdout and "arms: 3" in r.stdout
    assert "pending: 1" in r.stdout and "live_weights" not in r.stdout
