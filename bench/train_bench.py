"""`growth train` end to end: a VW text file (plain and gzip) of N examples x 40 features through
the command (parse on its own thread + train: --threads 2, the same with each batch trained on 2
Hogwild threads: --threads 2 --train-threads 2, or both on one: --threads 1), against
scikit-learn's pipeline on the same file: a Python VW line reader + FeatureHasher +
SGDClassifier(loss='log_loss').partial_fit in chunks of 10,000 rows.

Full run: 10M examples (1M distinct lines repeated 10 times) for growth; the peer reads the first 500k lines of the same file (its
examples/s is flat in N, and 10M would take ~10 minutes). --quick: 300k examples, peer 100k.
Prints sizes, threads, the examples/s, the parse/train split that growth reports, the CPU time of
the parser thread and of training, and the ratio. The machine is often shared: the CPU times
give an "idle 2-core estimate" (the pace of the slowest stage, from CPU seconds) beside the
measured wall-clock rate.
The file's slots are hashed at bits=24 by both (growth_features_hash vs FeatureHasher's
MurmurHash3: different functions, the same table size).
"""
import gzip
import os
import re
import shutil
import subprocess
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def find_cli():
    if os.environ.get("GROWTH_CLI"):
        return os.environ["GROWTH_CLI"]
    lib = os.environ.get("GROWTH_LIBRARY", os.path.join(ROOT, "build", "src", "libgrowth.so"))
    return os.path.join(os.path.dirname(os.path.dirname(lib)), "cli", "growth")


def write_vw(path, n, seed=1, block=200_000):
    """n lines 'label |a f f f f f |b ... |h ...': 8 namespaces x 5 features, ids drawn from a
    Zipf-like law over 2^20 values per feature, written as fixed-width hex (vectorised)."""
    rng = np.random.default_rng(seed)
    hexd = np.frombuffer(b"0123456789abcdef", np.uint8)
    nfeat, width = 40, 6  # token: 1 letter + 5 hex digits
    w_true = rng.normal(0, 1, nfeat) * 0.15
    line_len = 1 + 8 * (3 + 5 * (width + 1)) + 1  # label, " |x" and 5 x " token" per namespace, "\n"
    with open(path, "wb") as f:
        for start in range(0, n, block):
            m = min(block, n - start)
            ids = (rng.pareto(1.2, (m, nfeat)) * 50).astype(np.int64) % (1 << 20)
            z = ((ids % 5) - 2) @ w_true
            y = (rng.random(m) < 1 / (1 + np.exp(-z))).astype(np.uint8)
            buf = np.full((m, line_len), ord(" "), np.uint8)
            buf[:, 0] = ord("0") + y
            col = 1
            for ns in range(8):
                buf[:, col + 1] = ord("|")
                buf[:, col + 2] = ord("a") + ns
                col += 3
                for k in range(5):
                    v = ids[:, ns * 5 + k]
                    buf[:, col + 1] = ord("a") + k
                    for d in range(5):
                        buf[:, col + 6 - d] = hexd[(v >> (4 * d)) & 15]
                    col += width + 1
            buf[:, -1] = ord("\n")
            f.write(buf.tobytes())
    return os.path.getsize(path)


def make_files(path, n, unique=1_000_000):
    """The plain file and its gzip (-1): the first `unique` lines repeated to n lines (the gzip as
    one member per copy, which gzip and zlib read as one stream), so a 10M-line file takes
    seconds to make instead of minutes."""
    u = min(n, unique)
    write_vw(path + ".block", u)
    with open(path + ".block", "rb") as f:
        block = f.read()
    os.remove(path + ".block")
    line_len = len(block) // u
    zblock = gzip.compress(block, compresslevel=1)
    rest = n % u
    ztail = gzip.compress(block[: rest * line_len], compresslevel=1) if rest else b""
    with open(path, "wb") as f, open(path + ".gz", "wb") as g:
        for _ in range(n // u):
            f.write(block)
            g.write(zblock)
        f.write(block[: rest * line_len])
        g.write(ztail)
    return os.path.getsize(path), os.path.getsize(path + ".gz")


SUMMARY = re.compile(r"wall ([0-9.]+) s, ([0-9]+) examples/s; parse ([0-9.]+) s, train ([0-9.]+) s")
CPU = re.compile(r"CPU ([0-9.]+) s, [0-9]+ examples per CPU second(?:; parser thread ([0-9.]+) s, training ([0-9.]+) s)?")


def growth_train(cli, path, threads, repeat, train_threads=1):
    runs = []
    for _ in range(repeat):
        r = subprocess.run([cli, "train", "--config", "bits=24 alpha=0.1", "--threads", str(threads),
                            "--train-threads", str(train_threads), "--progress-every", "0", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        wall, eps, parse_s, train_s = SUMMARY.search(r.stderr).groups()
        ll = re.search(r"progressive logloss ([0-9.]+)", r.stderr).group(1)
        cpu, parse_cpu, train_cpu = CPU.search(r.stderr).groups()
        runs.append((float(wall), float(eps), float(parse_s), float(train_s), float(ll), float(cpu),
                     float(parse_cpu or "nan"), float(train_cpu or "nan")))
    runs.sort()
    return runs[len(runs) // 2]


def idle_estimate(n, threads, train_threads, cpu, parse_cpu, train_cpu):
    """examples/s two idle cores would give, from the CPU time of each stage: one thread does
    everything in turn; a parser thread and one trainer run at the pace of the slower; with
    Hogwild trainers the parser and the trainers share both cores."""
    if threads == 1:
        return n / cpu
    if train_threads == 1:
        return n / max(parse_cpu, train_cpu)
    return n / max(parse_cpu, cpu / 2)


def sklearn_pipeline(path, n, chunk=10_000):
    """A Python VW reader + FeatureHasher (2^24) + SGDClassifier.partial_fit, timed by stage."""
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.linear_model import SGDClassifier
    hasher = FeatureHasher(n_features=1 << 24, input_type="string", alternate_sign=False)
    clf = SGDClassifier(loss="log_loss")
    t_parse = t_hash = t_train = 0.0
    done = 0
    loss_sum = 0.0
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        while done < n:
            t = time.perf_counter()
            lines = [f.readline() for _ in range(min(chunk, n - done))]
            lines = [ln for ln in lines if ln]
            if not lines:
                break
            ys, feats = [], []
            for ln in lines:
                head, *nss = ln.decode().split("|")
                ys.append(1 if head.split()[0] == "1" else 0)
                toks = []
                for ns in nss:
                    name, *fs = ns.split()
                    toks.extend(name + "^" + x.split(":")[0] for x in fs)
                feats.append(toks)
            t_parse += time.perf_counter() - t
            t = time.perf_counter()
            X = hasher.transform(feats)
            t_hash += time.perf_counter() - t
            t = time.perf_counter()
            y = np.array(ys)
            if done:
                p = np.clip(clf.predict_proba(X)[:, 1], 1e-15, 1 - 1e-15)
                loss_sum += float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
            clf.partial_fit(X, y, classes=[0, 1])
            t_train += time.perf_counter() - t
            done += len(lines)
    wall = time.perf_counter() - t0
    return dict(examples=done, wall=wall, eps=done / wall, parse=t_parse, hash=t_hash, train=t_train,
                logloss=loss_sum / max(done - chunk, 1))


def run(quick=False, report=None):
    cli = find_cli()
    if not os.path.exists(cli):
        print(f"train: growth CLI not built at {cli}; skipped")
        return
    n = 300_000 if quick else 10_000_000
    n_peer = 100_000 if quick else 500_000
    repeat = 3 if quick else 1
    tmp = tempfile.mkdtemp(prefix="growth-train-bench-")
    try:
        vw = os.path.join(tmp, "data.vw")
        t = time.perf_counter()
        size, gz_size = make_files(vw, n)
        print(f"train: {n} examples x 40 features (the first 1M repeated; VW text {size / 1e6:.0f} MB, gzip -1 {gz_size / 1e6:.0f} MB, "
              f"made in {time.perf_counter() - t:.1f}s), FTRL 2^24 slots, {os.cpu_count()} cores, "
              f"median of {repeat}")
        rows = {}
        # --threads 1: parse and train in turn; 2: a parser thread and a trainer; "2+hw": a parser
        # thread and the trainer's batches on 2 Hogwild threads (--train-threads 2).
        for name, path in (("plain", vw), ("gz", vw + ".gz")):
            for threads, tt, key in ((1, 1, "1t"), (2, 1, "2t"), (2, 2, "2t_hogwild")):
                wall, eps, parse_s, train_s, ll, cpu, pcpu, tcpu = growth_train(cli, path, threads, repeat, tt)
                est = idle_estimate(n, threads, tt, cpu, pcpu, tcpu)
                rows[f"{name}_{key}"] = dict(wall=wall, examples_per_s=eps, parse_s=parse_s, train_s=train_s,
                                             logloss=ll, cpu_s=cpu, parse_cpu_s=pcpu, train_cpu_s=tcpu,
                                             idle_estimate=est)
                label = f"{threads} thread{'s' if threads > 1 else ' '}" + (f" + train {tt}" if tt > 1 else "")
                split = f"CPU {cpu:5.2f}s" + (f" (parser {pcpu:5.2f}s, training {tcpu:5.2f}s)" if threads > 1 else "")
                print(f"  growth train {name:5s} {label:19s}: "
                      f"{eps:12,.0f} examples/s  wall {wall:6.2f}s  parse {parse_s:6.2f}s  train {train_s:6.2f}s  "
                      f"progressive logloss {ll:.4f}  {split}  idle 2-core estimate {est:10,.0f}/s")
        peer = sklearn_pipeline(vw, n_peer)
        print(f"  sklearn (VW reader + FeatureHasher + SGDClassifier.partial_fit), {peer['examples']} examples, "
              f"1 thread: {peer['eps']:10,.0f} examples/s  parse {peer['parse']:.2f}s  hash {peer['hash']:.2f}s  "
              f"train {peer['train']:.2f}s  progressive logloss {peer['logloss']:.4f}")
        best = max(rows["plain_2t"]["examples_per_s"], rows["plain_2t_hogwild"]["examples_per_s"])
        best_gz = max(rows["gz_2t"]["examples_per_s"], rows["gz_2t_hogwild"]["examples_per_s"])
        print(f"  ratio growth (plain, best of 2 threads) / sklearn: {best / peer['eps']:.1f}x; "
              f"gz / sklearn: {best_gz / peer['eps']:.1f}x; "
              f"target >= 1,000,000 examples/s: {'met' if best >= 1e6 else 'NOT met'} (plain), "
              f"{'met' if best_gz >= 1e6 else 'NOT met'} (gz)")
        if report is not None:
            report["train"] = dict(examples=n, features_per_row=40, bits=24, file_bytes=size, gz_bytes=gz_size,
                                   growth=rows, sklearn=peer, peer_examples=n_peer,
                                   ratio=best / peer["eps"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import sys
    run(quick="--quick" in sys.argv)
