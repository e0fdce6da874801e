"""`growth train` and `growth predict`: every input format (plain and gzip) against the Python
binding trained on the same rows (which pins the hashing, the label mapping and the order),
holdout, passes, checkpoints and resume, malformed input and exit codes, a kill during training."""
import gzip
import os
import signal
import subprocess
import time

import numpy as np
import pytest

import growth

CLI = os.environ.get("GROWTH_CLI") or os.path.join(
    os.path.dirname(os.environ.get("GROWTH_LIBRARY", "build/src/x")), "..", "cli", "growth")
pytestmark = pytest.mark.skipif(not os.path.exists(CLI), reason=f"growth CLI not built at {CLI}")

BITS = 16
CFG = f"bits={BITS} alpha=0.1 l1=0.5"


def run(*args, stdin=None):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, input=stdin)


def make_vw(n=3000, seed=0, weights=False):
    """VW lines and the same rows for the Python binding: (lines, labels, weights, rows), rows as
    lists of (namespace, feature, value)."""
    rng = np.random.default_rng(seed)
    lines, y, w, rows = [], [], [], []
    for i in range(n):
        u, it = rng.integers(0, 50), rng.integers(0, 30)
        price = round(float(rng.random() * 3), 3)
        p = 1 / (1 + np.exp(-((u % 5) - 2 + (it % 3) - 1 + price - 1.5)))
        lab = int(rng.random() < p)
        imp = round(float(rng.random() * 2 + 0.5), 2) if weights else 1.0
        labtxt = ("1" if lab else ("-1" if i % 2 else "0"))
        head = f"{labtxt} {imp}" if weights else labtxt
        tag = f" 'ex{i}" if i % 7 == 0 else ""
        lines.append(f"{head}{tag} |user u{u} c{u % 4} |item i{it} price:{price}")
        rows.append([("user", f"u{u}", 1.0), ("user", f"c{u % 4}", 1.0), ("item", f"i{it}", 1.0),
                     ("item", "price", price)])
        y.append(lab)
        w.append(imp)
    return lines, np.array(y, np.float32), np.array(w, np.float32), rows


def to_csr(rows, bits=BITS, seed=0):
    indptr, idx, val = [0], [], []
    for r in rows:
        for ns, f, v in r:
            idx.append(growth.feature_hash(ns, f, seed, bits))
            val.append(v)
        indptr.append(len(idx))
    return (np.array(indptr, np.uint64), np.array(idx, np.uint32), np.array(val, np.float32))


def take(X, sel):
    """Rows `sel` (in order) of a CSR tuple."""
    indptr, idx, val = X
    out_p, out_i, out_v = [0], [], []
    for r in sel:
        b, e = int(indptr[r]), int(indptr[r + 1])
        out_i.extend(idx[b:e])
        out_v.extend(val[b:e])
        out_p.append(len(out_i))
    return (np.array(out_p, np.uint64), np.array(out_i, np.uint32), np.array(out_v, np.float32))


def write(path, lines, gz=False):
    data = ("\n".join(lines) + "\n").encode()
    with (gzip.open(path, "wb") if gz else open(path, "wb")) as f:
        f.write(data)
    return path


def predict_file(model, path, *extra):
    r = run("predict", "--model", model, *extra, path)
    assert r.returncode == 0, r.stderr
    return np.array([float(x) for x in r.stdout.split()], np.float64)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("threads", [1, 2])
def test_vw_equals_python_ftrl(tmp_path, gz, threads):
    lines, y, w, rows = make_vw(weights=True)
    f = write(tmp_path / ("d.vw.gz" if gz else "d.vw"), lines, gz)
    r = run("train", "--config", CFG, "--model", tmp_path / "m", "--threads", threads, f)
    assert r.returncode == 0, r.stderr
    assert "3000 examples" in r.stderr and "parse" in r.stderr
    X = to_csr(rows)
    ref = growth.FTRL(config=CFG).partial_fit(X, y, sample_weight=w)
    got = predict_file(tmp_path / "m", f)
    assert got.shape == (3000,)
    np.testing.assert_allclose(got, ref.predict_proba(X), atol=1e-6)
    m = growth.FTRL.load(tmp_path / "m")
    assert m.stats()[0] == 3000
    margins = predict_file(tmp_path / "m", f, "--margin")
    np.testing.assert_allclose(margins, ref.decision_function(X), atol=1e-5)


def test_stdin_and_format_autodetect(tmp_path):
    lines, y, _, rows = make_vw(500)
    r = subprocess.run([CLI, "train", "--config", CFG, "--model", str(tmp_path / "m")],
                       input="\n".join(lines) + "\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    X = to_csr(rows)
    ref = growth.FTRL(config=CFG).partial_fit(X, y)
    r = subprocess.run([CLI, "predict", "--model", str(tmp_path / "m"), "--format", "vw", "-"],
                       input="\n".join(lines) + "\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(np.array(r.stdout.split(), float), ref.predict_proba(X), atol=1e-6)
    r = run("train", "--passes", 2, stdin="\n".join(lines))
    assert r.returncode == 2 and "standard input" in r.stderr


@pytest.mark.parametrize("fmt", ["libffm", "libsvm"])
@pytest.mark.parametrize("gz", [False, True])
def test_libffm_libsvm(tmp_path, fmt, gz):
    rng = np.random.default_rng(3)
    lines, y, X = [], [], ([0], [], [])
    for i in range(2000):
        feats = sorted(rng.choice(1000, 5, replace=False))
        vals = np.round(rng.random(5), 3)
        lab = int(rng.random() < 0.2 + 0.6 * (feats[0] % 2))
        toks = [f"{j % 3}:{j}:{v}" if fmt == "libffm" else f"{j}:{v}" for j, v in zip(feats, vals)]
        lines.append(f"{lab} " + " ".join(toks))
        y.append(lab)
        X[1].extend(feats)
        X[2].extend(vals)
        X[0].append(len(X[1]))
    X = (np.array(X[0], np.uint64), np.array(X[1], np.uint32), np.array(X[2], np.float32))
    f = write(tmp_path / ("d.txt.gz" if gz else "d.txt"), lines, gz)
    r = run("train", "--config", CFG, "--model", tmp_path / "m", f)  # format detected
    assert r.returncode == 0, r.stderr
    ref = growth.FTRL(config=CFG).partial_fit(X, np.array(y, np.float32))
    np.testing.assert_allclose(predict_file(tmp_path / "m", f, "--format", fmt), ref.predict_proba(X), atol=1e-6)
    # a feature outside the table is a line error
    bad = write(tmp_path / "bad.txt", [lines[0], "1 " + ("0:70000:1" if fmt == "libffm" else "70000:1")])
    r = run("train", "--config", CFG, "--format", fmt, bad)
    assert r.returncode == 0 and f"{bad}:2:" in r.stderr and "outside" in r.stderr


@pytest.mark.parametrize("gz", [False, True])
def test_csv(tmp_path, gz):
    rng = np.random.default_rng(4)
    lines = ["click,city,device,price,w,ignored"]
    rows, y, w = [], [], []
    for i in range(1500):
        city, dev, price = f"c{rng.integers(0, 20)}", ["ios", "android", ""][i % 3], round(float(rng.random()), 4)
        lab = int(rng.random() < (0.7 if city in ("c1", "c2", "c3") else 0.2))
        wt = [1, 2][i % 2]
        lines.append(f"{lab},{city},\"{dev}\",{price},{wt},zz{i}")
        row = [("city", city, 1.0)] + ([("device", dev, 1.0)] if dev else []) + [("price", "", price)]
        rows.append(row)
        y.append(lab)
        w.append(wt)
    f = write(tmp_path / ("d.csv.gz" if gz else "d.csv"), lines, gz)
    opts = ["--format", "csv", "--csv-label", "click", "--csv-weight", "w", "--csv-features", "city,device",
            "--csv-numeric", "price"]
    r = run("train", "--config", CFG, "--model", tmp_path / "m", *opts, f)
    assert r.returncode == 0, r.stderr
    X = to_csr(rows)
    ref = growth.FTRL(config=CFG).partial_fit(X, np.array(y, np.float32), sample_weight=np.array(w, np.float32))
    np.testing.assert_allclose(predict_file(tmp_path / "m", f, *opts), ref.predict_proba(X), atol=1e-6)
    r = run("train", "--config", CFG, *opts[:-2], "--csv-numeric", "nosuch", f)
    assert r.returncode == 2 and "nosuch" in r.stderr


def test_holdout_rows_are_not_trained(tmp_path):
    lines, y, _, rows = make_vw(2000)
    f = write(tmp_path / "d.vw", lines)
    r = run("train", "--config", CFG, "--model", tmp_path / "m", "--holdout-every", 4, f)
    assert r.returncode == 0, r.stderr
    assert "1500 trained, 500 held out" in r.stderr and "holdout logloss" in r.stderr
    keep = [i for i in range(2000) if (i + 1) % 4 != 0]
    X = to_csr(rows)
    ref = growth.FTRL(config=CFG).partial_fit(take(X, keep), y[keep])
    np.testing.assert_allclose(predict_file(tmp_path / "m", f), ref.predict_proba(X), atol=1e-6)
    assert growth.FTRL.load(tmp_path / "m").stats()[0] == 1500


def test_two_passes_equal_two_partial_fits(tmp_path):
    lines, y, _, rows = make_vw(1500)
    f = write(tmp_path / "d.vw", lines)
    r = run("train", "--config", CFG, "--model", tmp_path / "m", "--passes", 2, f)
    assert r.returncode == 0, r.stderr
    X = to_csr(rows)
    ref = growth.FTRL(config=CFG).partial_fit(X, y).partial_fit(X, y)
    np.testing.assert_allclose(predict_file(tmp_path / "m", f), ref.predict_proba(X), atol=1e-6)


def test_resume_equals_one_run(tmp_path):
    lines, y, _, rows = make_vw(3000)
    a = write(tmp_path / "a.vw", lines[:1700])
    b = write(tmp_path / "b.vw.gz", lines[1700:], gz=True)
    allf = write(tmp_path / "all.vw", lines)
    assert run("train", "--config", CFG, "--model", tmp_path / "one", a, b).returncode == 0
    assert run("train", "--config", CFG, "--model", tmp_path / "first", a).returncode == 0
    r = run("train", "--resume", tmp_path / "first", "--model", tmp_path / "second", b)
    assert r.returncode == 0, r.stderr
    one = run("predict", "--model", tmp_path / "one", allf).stdout
    two = run("predict", "--model", tmp_path / "second", allf).stdout
    assert one == two and len(one.splitlines()) == 3000  # bit for bit (printed with 9 digits)
    # checkpoints in between change nothing either
    assert run("train", "--config", CFG, "--model", tmp_path / "ck", "--checkpoint", 333, a, b).returncode == 0
    assert run("predict", "--model", tmp_path / "ck", allf).stdout == one


def test_malformed_lines_skip_or_strict(tmp_path):
    lines, y, _, rows = make_vw(300)
    bad = list(lines)
    bad[10] = "2 |user u1"          # label outside the loss's domain
    bad[20] = "1 |user u1:abc"      # bad value
    bad[30] = "no bar here"
    bad[40] = "x |user u2"          # label not a number
    f = write(tmp_path / "bad.vw", bad)
    r = run("train", "--config", CFG, "--model", tmp_path / "m", f)
    assert r.returncode == 0, r.stderr
    for ln in (11, 21, 31, 41):
        assert f"{f}:{ln}:" in r.stderr
    assert "domain" in r.stderr and "4 malformed lines skipped" in r.stderr
    keep = [i for i in range(300) if i not in (10, 20, 30, 40)]
    X = to_csr(rows)
    ref = growth.FTRL(config=CFG).partial_fit(take(X, keep), y[keep])
    good = write(tmp_path / "good.vw", lines)
    np.testing.assert_allclose(predict_file(tmp_path / "m", good), ref.predict_proba(X), atol=1e-6)
    # predict keeps one line per input line: malformed ones print nan
    out = run("predict", "--model", tmp_path / "m", "--format", "vw", f).stdout.split()
    assert len(out) == 300 and out[30] == "nan" and out[10] != "nan"
    r = run("train", "--config", CFG, "--strict", "--model", tmp_path / "m2", f)
    assert r.returncode == 2 and f"{f}:11:" in r.stderr and f"{f}:21:" not in r.stderr
    assert not os.path.exists(tmp_path / "m2")


def test_input_errors(tmp_path):
    lines, _, _, _ = make_vw(2000)
    full = gzip.compress(("\n".join(lines) + "\n").encode())
    trunc = tmp_path / "t.vw.gz"
    trunc.write_bytes(full[: len(full) // 2])
    r = run("train", "--config", CFG, trunc)
    assert r.returncode == 2 and str(trunc) in r.stderr and "truncated" in r.stderr
    r = run("train", "--config", CFG, tmp_path / "missing.vw")
    assert r.returncode == 2 and "missing.vw" in r.stderr
    odd = write(tmp_path / "odd.txt", ["hello world"])
    r = run("train", "--config", CFG, odd)
    assert r.returncode == 2 and "--format" in r.stderr
    r = run("train", "--format", "xml", odd)
    assert r.returncode == 2 and "xml" in r.stderr
    r = run("train", "--config", "bits=99", odd)
    assert r.returncode == 1 and "bits" in r.stderr


def test_wrong_model_kind(tmp_path):
    c = growth.Calibrator("platt").fit(np.array([0.1, 0.9, 0.4, 0.6], np.float32), np.array([0, 1, 0, 1]))
    c.save(tmp_path / "cal")
    lines, _, _, _ = make_vw(50)
    f = write(tmp_path / "d.vw", lines)
    for cmd in (["train", "--resume"], ["predict", "--model"]):
        r = run(*cmd, tmp_path / "cal", f)
        assert r.returncode == 2 and "calibrator" in r.stderr, r.stderr
    assert run("train", "--config", CFG, "--model", tmp_path / "m", f).returncode == 0
    r = run("train", "--model-type", "ffm", "--resume", tmp_path / "m", f)
    assert r.returncode == 2 and "ftrl" in r.stderr.lower()


def test_kill_leaves_the_last_checkpoint(tmp_path):
    lines, _, _, _ = make_vw(20000, seed=5)
    f = write(tmp_path / "d.vw", lines * 10)  # 200k examples
    out = tmp_path / "m"
    p = subprocess.Popen([CLI, "train", "--config", "bits=22", "--model", str(out), "--checkpoint", "5000",
                          "--passes", "50", "--progress-every", "0", str(f)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.time()
    while not out.exists() and time.time() - t < 60:
        time.sleep(0.01)
    time.sleep(0.3)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    m = growth.FTRL.load(out)
    n = m.stats()[0]
    assert n > 0 and n % 5000 == 0 and n < 50 * 200000


# --- FM / FFM ----------------------------------------------------------------------------------

def _fm_classes():
    try:
        from growth.fm import FFM, FM
        FM(bits=4).partial_fit((np.array([0, 1], np.uint64), np.array([1], np.uint32)), np.array([1.0]))
        return FM, FFM
    except Exception:  # the C side not in this library yet
        return None


fm_only = pytest.mark.skipif(_fm_classes() is None, reason="libgrowth without growth_fm_*")


def fields_of(rows, names):
    return np.array([names.index(ns) for r in rows for ns, _, _ in r], np.uint8)


@fm_only
@pytest.mark.parametrize("gz", [False, True])
def test_ffm_vw_equals_python(tmp_path, gz):
    FM, FFM = _fm_classes()
    lines, y, w, rows = make_vw(1500, weights=True)
    f = write(tmp_path / ("d.vw.gz" if gz else "d.vw"), lines, gz)
    r = run("train", "--model-type", "ffm", "--fields", "user,item", "--config", f"k=4 bits={BITS}",
            "--model", tmp_path / "m", f)
    assert r.returncode == 0, r.stderr
    X, fld = to_csr(rows), fields_of(rows, ["user", "item"])
    ref = FFM(fields=2, k=4, bits=BITS).partial_fit(X, y, fields=fld, sample_weight=w)
    got = predict_file(tmp_path / "m", f, "--fields", "user,item")
    np.testing.assert_allclose(got, ref.predict_proba(X, fields=fld), atol=1e-6)
    # resume equals one run, bit for bit
    a, b = write(tmp_path / "a.vw", lines[:900]), write(tmp_path / "b.vw", lines[900:])
    common = ["--model-type", "ffm", "--fields", "user,item"]
    assert run("train", *common, "--config", f"k=4 bits={BITS}", "--model", tmp_path / "one", a, b).returncode == 0
    assert run("train", *common, "--config", f"k=4 bits={BITS}", "--model", tmp_path / "first", a).returncode == 0
    r = run("train", *common, "--resume", tmp_path / "first", "--model", tmp_path / "second", b)
    assert r.returncode == 0, r.stderr
    p1 = run("predict", "--model", tmp_path / "one", "--fields", "user,item", f).stdout
    p2 = run("predict", "--model", tmp_path / "second", "--fields", "user,item", f).stdout
    assert p1 == p2 and len(p1.splitlines()) == 1500
    # an unknown namespace is a line error; a model of the other kind is refused
    bad = write(tmp_path / "bad.vw", ["1 |user u1 |other x"])
    r = run("train", *common, "--config", f"k=4 bits={BITS}", "--strict", bad)
    assert r.returncode == 2 and f"{bad}:1:" in r.stderr and "other" in r.stderr
    r = run("train", "--model-type", "fm", "--resume", tmp_path / "one", f)
    assert r.returncode == 2 and "ffm" in r.stderr
    r = run("train", "--model-type", "ftrl", "--resume", tmp_path / "one", f)
    assert r.returncode == 2


@fm_only
def test_fm_libffm_and_holdout(tmp_path):
    FM, FFM = _fm_classes()
    rng = np.random.default_rng(7)
    lines, y, X = [], [], ([0], [], [], [])
    for i in range(1200):
        feats = sorted(rng.choice(500, 4, replace=False))
        lab = int(rng.random() < 0.2 + 0.6 * (feats[0] % 2))
        lines.append(f"{lab} " + " ".join(f"{j % 3}:{j}:1" for j in feats))
        y.append(lab)
        X[1].extend(feats)
        X[2].extend([1.0] * 4)
        X[3].extend([j % 3 for j in feats])
        X[0].append(len(X[1]))
    Xc = (np.array(X[0], np.uint64), np.array(X[1], np.uint32), np.array(X[2], np.float32))
    fld = np.array(X[3], np.uint8)
    y = np.array(y, np.float32)
    f = write(tmp_path / "d.ffm", lines)
    for mt, cls in (("fm", FM), ("ffm", FFM)):
        r = run("train", "--model-type", mt, "--config", f"k=4 bits={BITS}" + (" fields=3" if mt == "ffm" else ""),
                "--holdout-every", 5, "--model", tmp_path / mt, f)
        assert r.returncode == 0, r.stderr
        keep = [i for i in range(1200) if (i + 1) % 5 != 0]
        kw = dict(fields=3) if mt == "ffm" else {}
        Xk = take(Xc, keep)
        fk = np.concatenate([fld[int(Xc[0][i]):int(Xc[0][i + 1])] for i in keep])
        ref = cls(k=4, bits=BITS, **kw).partial_fit(Xk, y[keep], fields=fk if mt == "ffm" else None)
        got = predict_file(tmp_path / mt, f)
        np.testing.assert_allclose(got, ref.predict_proba(Xc, fields=fld if mt == "ffm" else None), atol=1e-6)


def test_gzip_members_corruption_and_trailing_bytes(tmp_path):
    """Several gzip members read as one stream; trailing bytes that are not gzip are ignored (as
    zlib); a bad CRC, a corrupt block and a stream cut inside its trailer are fatal (exit 2) and
    say what is wrong: the same with the ISA-L inflater and with zlib."""
    lines, y, _, rows = make_vw(1500)
    data = ("\n".join(lines) + "\n").encode()
    one = gzip.compress(data)
    cases = {"two.vw.gz": one + one, "trail.vw.gz": one + b"not gzip\n"}
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
    r = run("train", "--config", CFG, "--model", tmp_path / "m2", tmp_path / "two.vw.gz")
    assert r.returncode == 0 and "3000 examples" in r.stderr, r.stderr
    X = to_csr(rows)
    ref = growth.FTRL(config=CFG).partial_fit(X, y).partial_fit(X, y)
    m = growth.FTRL.load(tmp_path / "m2")
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    r = run("train", "--config", CFG, tmp_path / "trail.vw.gz")
    assert r.returncode == 0 and "1500 examples" in r.stderr, r.stderr
    crc = bytearray(one)
    crc[-8] ^= 0xFF  # the CRC-32 of the trailer
    block = bytearray(one)
    block[len(one) // 2] ^= 0x55
    bad = {"crc.vw.gz": (bytes(crc), "corrupt"), "block.vw.gz": (bytes(block), "corrupt"),
           "trailer.vw.gz": (one[:-3], "truncated"), "second.vw.gz": (one + one[:40], "truncated")}
    for name, (blob, word) in bad.items():
        (tmp_path / name).write_bytes(blob)
        r = run("train", "--config", CFG, tmp_path / name)
        assert r.returncode == 2 and name in r.stderr and word in r.stderr, (name, r.stderr)


def test_train_threads_hogwild(tmp_path):
    """--train-threads 2 trains each batch on two Hogwild threads: the same progressive logloss
    within 0.5% (not bit-identical), every example counted; --resume takes --train-threads; bad
    values are usage errors. 40,000 rows: on 12,000 the first batch (each thread's bias learns
    from its own rows until the batch ends) left up to 0.66% between the two."""
    lines, y, w, rows = make_vw(40000, seed=4)
    f = write(tmp_path / "d.vw", lines)
    losses = []
    for tt in (1, 2):
        r = run("train", "--config", CFG, "--train-threads", tt, "--model", tmp_path / f"m{tt}", f)
        assert r.returncode == 0, r.stderr
        assert f"{tt} training thread" in r.stderr and "CPU" in r.stderr
        losses.append(float(r.stderr.split("progressive logloss ")[1].split()[0]))
        m = growth.FTRL.load(tmp_path / f"m{tt}")
        assert m.stats()[0] == 40000
    assert abs(losses[1] - losses[0]) <= 0.005 * losses[0]
    r = run("train", "--resume", tmp_path / "m1", "--train-threads", 2, "--model", tmp_path / "m3", f)
    assert r.returncode == 0 and "2 training threads" in r.stderr, r.stderr
    assert growth.FTRL.load(tmp_path / "m3").stats()[0] == 80000
    r = run("train", "--model-type", "ffm", "--fields", "user,item", "--train-threads", 2, "--model", tmp_path / "f2", f)
    assert r.returncode == 0 and "2 training threads" in r.stderr, r.stderr
    for bad in ("0", "65", "x"):
        r = run("train", "--train-threads", bad, f)
        assert r.returncode == 2 and "--train-threads" in r.stderr, r.stderr
    r = run("train", "--config", "threads=2", "--train-threads", 2, f)
    assert r.returncode != 0 and "threads" in r.stderr


# ---- table=exact models get the full 64-bit keys ---------------------------------------------------

def to_key_rows(rows, seed=0):
    """The rows as (indptr, keys, values) with growth.feature_key: what an exact model is fed."""
    indptr, keys, val = [0], [], []
    for r in rows:
        for ns, f, v in r:
            keys.append(growth.feature_key(ns, f, seed))
            val.append(v)
        indptr.append(len(keys))
    return (np.array(indptr, np.uint64), np.array(keys, np.uint64), np.array(val, np.float32))


def colliding_values(field, seed=0):
    """Two values of `field` whose 64-bit keys differ but share their top 32 bits (their slots at
    bits=32, which `growth train` passed as an exact model's keys before, collide): a birthday
    search over v0, v1, ..."""
    seen = {}
    for i in range(1 << 20):
        v = f"v{i}"
        top = growth.feature_key(field, v, seed) >> 32
        if top in seen:
            return seen[top], v
        seen[top] = v
    raise AssertionError("no 32-bit collision found")


@pytest.mark.parametrize("kind", ["ftrl", "ffm"])
def test_exact_model_equals_the_api_on_the_keys(tmp_path, kind):
    """An exact model trained by `growth train` on a VW file equals one trained through the key
    calls on growth.feature_key of the same rows (training and `growth predict` alike)."""
    lines, y, w, rows = make_vw(1200, weights=True)
    f = write(tmp_path / "d.vw", lines)
    K = to_key_rows(rows)
    if kind == "ftrl":
        cfg = "table=exact alpha=0.1 l1=0.5"
        r = run("train", "--config", cfg, "--model", tmp_path / "m", f)
        ref = growth.FTRL(config=cfg)
        ref.update_keys(K, y, sample_weight=w)
        extra, kw = [], {}
    else:
        if _fm_classes() is None:
            pytest.skip("libgrowth without growth_fm_*")
        cfg = "table=exact k=4 bits=14 seed=3"
        r = run("train", "--model-type", "ffm", "--fields", "user,item", "--config", cfg, "--model", tmp_path / "m",
                f)
        ref = growth.FFM(config="fields=2 " + cfg)
        kw = {"fields": fields_of(rows, ["user", "item"])}
        ref.update_keys(K, y, sample_weight=w, **kw)
        extra = ["--fields", "user,item"]
    assert r.returncode == 0, r.stderr
    got = predict_file(tmp_path / "m", f, *extra)
    np.testing.assert_allclose(got, np.ravel(ref.predict_keys(K, **kw)), atol=1e-6)
    cli = type(ref).load(tmp_path / "m")
    np.testing.assert_array_equal(np.ravel(cli.predict_keys(K, **kw)), np.ravel(ref.predict_keys(K, **kw)))
    assert cli.table_stats()["live"] == ref.table_stats()["live"]


@pytest.mark.parametrize("kind", ["ftrl", "fm"])
def test_exact_model_keeps_32bit_colliding_values_apart(tmp_path, kind):
    a, b = colliding_values("ns")
    assert growth.feature_hash("ns", a, 0, 32) == growth.feature_hash("ns", b, 0, 32)
    lines = [f"1 |ns {a}" if i % 2 else f"-1 |ns {b}" for i in range(400)]
    f = write(tmp_path / "d.vw", lines)
    if kind == "fm" and _fm_classes() is None:
        pytest.skip("libgrowth without growth_fm_*")
    cfg = "table=exact alpha=0.5" if kind == "ftrl" else "table=exact k=4 bits=10 seed=1"
    r = run("train", "--model-type", kind, "--config", cfg, "--model", tmp_path / "m", f)
    assert r.returncode == 0, r.stderr
    m = (growth.FTRL if kind == "ftrl" else growth.FM).load(tmp_path / "m")
    assert m.table_stats()["live"] == 2  # one record each (before: one shared record)
    pa, pb = predict_file(tmp_path / "m", write(tmp_path / "q.vw", [f"|ns {a}", f"|ns {b}"]))
    assert pa > 0.6 and pb < 0.4
    # a hashed model cannot tell them apart: its one slot sees both labels
    r = run("train", "--model-type", kind, "--config", cfg.replace("table=exact", "").replace("bits=10", "") +
            " bits=20", "--model", tmp_path / "h", f)
    assert r.returncode == 0, r.stderr
    ha, hb = predict_file(tmp_path / "h", tmp_path / "q.vw")
    assert ha == hb


@pytest.mark.parametrize("kind", ["ftrl", "ffm"])
def test_exact_resume_continues_admission(tmp_path, kind):
    """--resume of an exact model with admit=N continues admission exactly (the sketch is in the
    file): training A then resuming on B equals training A and B in one run."""
    lines, _, _, _ = make_vw(1600, weights=True)
    a, b, f = write(tmp_path / "a.vw", lines[:700]), write(tmp_path / "b.vw", lines[700:]), write(tmp_path / "d.vw", lines)
    if kind == "ftrl":
        common, cfg, extra = [], "table=exact admit=3 admit_sketch=1024 alpha=0.1", []
    else:
        if _fm_classes() is None:
            pytest.skip("libgrowth without growth_fm_*")
        common, cfg = ["--model-type", "ffm", "--fields", "user,item"], "table=exact admit=3 admit_sketch=1024 k=4 bits=12"
        extra = ["--fields", "user,item"]
    assert run("train", *common, "--config", cfg, "--model", tmp_path / "one", a, b).returncode == 0
    assert run("train", *common, "--config", cfg, "--model", tmp_path / "first", a).returncode == 0
    r = run("train", *common, "--resume", tmp_path / "first", "--model", tmp_path / "second", b)
    assert r.returncode == 0, r.stderr
    p1 = run("predict", "--model", tmp_path / "one", *extra, f).stdout
    p2 = run("predict", "--model", tmp_path / "second", *extra, f).stdout
    assert p1 == p2 and len(p1.splitlines()) == 1600
