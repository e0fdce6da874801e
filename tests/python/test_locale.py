"""The library behaves the same under every locale: a Python process that switched to a locale
with a decimal comma (``locale.setlocale(locale.LC_ALL, "")`` under LANG=de_DE.UTF-8, as notebooks
do) creates models from configs with decimals, writes the same configs and bytes, and the ``growth``
command reads and writes the same CSV, bit for bit, as under the C locale.
The locales come from scripts/setup-debian (``localedef``)."""
import hashlib
import os
import subprocess
import sys

import pytest

LOCALES = ["de_DE.UTF-8", "fr_FR.UTF-8"]

WORKLOAD = r'''
import hashlib, locale, sys
import numpy as np
locale.setlocale(locale.LC_ALL, "")
expect_comma = sys.argv[1] == "comma"
assert (locale.localeconv()["decimal_point"] == ",") == expect_comma, locale.localeconv()
import growth
out = []
def emit(name, data):
    if isinstance(data, str):
        data = data.encode()
    out.append(f"{name} {len(data)} {hashlib.sha256(bytes(data)).hexdigest()}")

rng = np.random.default_rng(3)
m = growth.FTRL(alpha=0.05, beta=1.5, l1=0.25, l2=1e-3, bits=12, heads=["click", "buy"])
m.partial_fit((np.zeros(1, np.uint64), np.zeros(0, np.uint32)), np.zeros((0, 2)))  # creates the model
emit("ftrl.config", m.config)
idx = rng.integers(0, 4096, (500, 6)).astype(np.uint32)
indptr = np.arange(0, 501 * 6, 6, dtype=np.uint64)
y = (rng.random((500, 2)) < 0.3).astype(np.float32)
m.partial_fit((indptr, idx.ravel()), y)
emit("ftrl.predict", m.predict_proba((indptr, idx.ravel())).tobytes())
emit("ftrl.bytes", m.to_bytes())
m2 = growth.FTRL.from_bytes(m.to_bytes())
emit("ftrl.reloaded", m2.config)

c = growth.Calibrator("platt")
s = rng.random(2000).astype(np.float32)
c.fit(s, (rng.random(2000) < s * 0.7).astype(np.float32))
emit("cal.summary", c.summary)
emit("cal.bytes", c.to_bytes())

b = growth.Bidder(target_cpa=2.5, budget=1234.75, plan="curve", curve="0.5|1.25|2.5")
emit("bidder.config", b.config)
emit("bidder.bytes", b.to_bytes())

t = growth.TextIndex(k1=1.35, b=0.62)
t.add([1, 2, 3], ["red running shoes", "blue shoes 0.5 litre", "红色 连衣裙"])
emit("text.config", t.config)
emit("text.bytes", t.to_bytes())
ids, scores = t.search("shoes", k=2)
emit("text.search", ids.tobytes() + scores.tobytes())

X = rng.random((300, 4)).astype(np.float32)
f = growth.Forest.train(X, (X[:, 0] + X[:, 1] > 1).astype(np.float32),
                        params="objective=binary:logistic max_depth=3 eta=0.35 lambda=1.5", num_rounds=5)
emit("forest.predict", f.predict(X).tobytes())
emit("forest.config", f.config)
emit("forest.bytes", f.to_bytes())
try:
    growth.FTRL(config="alpha=0,05").partial_fit(np.eye(2), [0, 1])  # validated at the first fit
except growth.GrowthError as e:
    emit("error", str(e))
print("\n".join(out))
'''


def _env(loc):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("LC_") or k in ("LANG", "LANGUAGE"):
            del env[k]
    env["LANG"] = loc
    env["LC_ALL"] = loc
    env["SOURCE_DATE_EPOCH"] = "1700000000"  # model files record their creation time
    return env


def _have(loc):
    r = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    norm = loc.lower().replace("utf-8", "utf8")
    return norm in r.stdout.lower().split()


@pytest.fixture(scope="module")
def locales():
    missing = [l for l in LOCALES if not _have(l)]
    if missing:
        pytest.fail(f"locales {missing} are not installed: run scripts/setup-debian")
    return LOCALES


def _workload(loc):
    r = subprocess.run([sys.executable, "-c", WORKLOAD, "point" if loc == "C" else "comma"],
                       capture_output=True, text=True, env=_env(loc))
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_python_workload_is_locale_independent(locales):
    ref = _workload("C")
    assert ref.count("\n") >= 15
    for loc in locales:
        assert _workload(loc) == ref, loc


CLI = os.environ.get("GROWTH_CLI") or os.path.join(
    os.path.dirname(os.environ.get("GROWTH_LIBRARY", "build/src/x")), "..", "cli", "growth")


@pytest.mark.skipif(not os.path.exists(CLI), reason="growth CLI not built")
def test_cli_is_locale_independent(locales, tmp_path):
    import numpy as np
    rng = np.random.default_rng(5)
    n = 3000
    p = np.round(rng.random(n), 5)
    y = (rng.random(n) < p * 0.6).astype(int)
    with open(tmp_path / "s.csv", "w") as fh:
        fh.write("score,label,channel\n")
        for i in range(n):
            fh.write(f"{p[i]},{y[i]},{i % 3}\n")
    with open(tmp_path / "k.csv", "w") as fh:
        fh.write("user,value,cost\n")
        for i in range(200):
            for j in range(3):
                fh.write(f"u{i},{rng.random() * 10:.3f},{1 + j + rng.random():.3f}\n")
    (tmp_path / "ch.csv").write_text("channel,kind,a,b\nsearch,exp,5000,0.0001\nfeeds,log,800,0.001\n")
    commands = [
        ["eval", "s.csv"],
        ["calibrate", "s.csv", "--method", "platt", "--save", "c.model", "--out", "o.csv"],
        ["budget", "knapsack", "k.csv", "--budget", "250.5", "--out", "plan.csv"],
        ["budget", "channels", "ch.csv", "--budget", "30000.5"],
        ["inspect", "c.model"],
    ]

    def transcript(loc):
        parts = []
        for cmd in commands:
            r = subprocess.run([CLI, *cmd], capture_output=True, text=True, env=_env(loc), cwd=tmp_path)
            assert r.returncode == 0, (loc, cmd, r.stderr)
            parts.append(r.stdout)
            for f in ("o.csv", "plan.csv", "c.model"):
                if f in cmd:
                    parts.append(hashlib.sha256((tmp_path / f).read_bytes()).hexdigest())
        return parts

    ref = transcript("C")
    for loc in locales:
        assert transcript(loc) == ref, loc
