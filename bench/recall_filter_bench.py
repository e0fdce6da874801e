"""Filtered vector search (issue 25): HNSW and IVF under selective and broad filters, against
NumPy brute force over the allowed items and FAISS's filtered HNSW / IVF (IDSelectorBitmap).

Data: clustered Gaussian, 100k x 64 (30k with --quick), l2, 200 queries, k = 10, one thread.
Filters keep 0.1%, 1%, 5%, 30% of the items (a bitmap). Reported per kind and share: results
per query (the promise is min(k, allowed)), recall@10 against brute force, and QPS of single-query
searches for libgrowth and FAISS. Timings on a shared 2-core machine: noisy.
"""
import sys
import time

import numpy as np

import growth

K = 10


def brute(X, Q, allowed):
    A = np.flatnonzero(allowed)
    Xa = X[A]
    S = 2 * Q @ Xa.T - (Xa ** 2).sum(1)[None, :]
    I = np.argsort(-S, axis=1)[:, :K]
    return A[I]


def recall(I, R):
    return float(np.mean([len(set(a[a >= 0]) & set(b)) / len(b) for a, b in zip(I, R)]))


def run(quick=False, report=None):
    """bench/run's entry point (also `python3 bench/recall_filter_bench.py [--quick]`)."""
    n, d, nq = (30000 if quick else 100000), 64, 200
    rng = np.random.default_rng(0)
    C = rng.standard_normal((100, d)).astype(np.float32)
    X = (C[rng.integers(0, 100, n)] + 0.6 * rng.standard_normal((n, d))).astype(np.float32)
    Q = (C[rng.integers(0, 100, nq)] + 0.6 * rng.standard_normal((nq, d))).astype(np.float32)
    try:
        import faiss
        faiss.omp_set_num_threads(1)
    except ImportError:
        faiss = None
    idx = {}
    t = time.perf_counter()
    idx["hnsw"] = growth.Index(dim=d, metric="l2", kind="hnsw", M=16, ef_construction=100, ef=64)
    idx["hnsw"].add(X)
    print(f"n={n} d={d} hnsw build {time.perf_counter() - t:.1f}s")
    idx["ivf"] = growth.Index(dim=d, metric="l2", kind="ivf", nlist=256, nprobe=8)
    idx["ivf"].add(X)
    fx = {}
    if faiss:
        fh = faiss.IndexHNSWFlat(d, 16)
        fh.hnsw.efConstruction = 100
        fh.add(X)
        fq = faiss.IndexFlatL2(d)
        fi = faiss.IndexIVFFlat(fq, d, 256)
        fi.train(X)
        fi.add(X)
        fx = {"hnsw": fh, "ivf": fi}
    print(f"{'kind':5} {'share':>6} {'allowed':>8} {'n/q':>5} {'recall':>7} {'QPS':>8} | "
          f"{'faiss n/q':>9} {'recall':>7} {'QPS':>8}")
    for share in (0.001, 0.01, 0.05, 0.3):
        allowed = rng.random(n) < share
        R = brute(X, Q, allowed)
        for kind, ix in idx.items():
            t = time.perf_counter()
            res = [ix.search(q, K, bitmap=allowed)[0] for q in Q]
            dt = time.perf_counter() - t
            I = np.full((nq, K), -1, np.int64)
            for i, r in enumerate(res):
                I[i, :len(r)] = r
            line = (f"{kind:5} {share:6.3f} {allowed.sum():8d} {np.mean([len(r) for r in res]):5.1f} "
                    f"{recall(I, R):7.3f} {nq / dt:8.0f}")
            if faiss:
                sel = faiss.IDSelectorBitmap(np.packbits(allowed, bitorder="little"))
                p = (faiss.SearchParametersHNSW(sel=sel, efSearch=64) if kind == "hnsw"
                     else faiss.SearchParametersIVF(sel=sel, nprobe=8))
                t = time.perf_counter()
                F = np.concatenate([fx[kind].search(q[None], K, params=p)[1] for q in Q])
                dt = time.perf_counter() - t
                line += f" | {np.mean((F >= 0).sum(1)):9.1f} {recall(F, R):7.3f} {nq / dt:8.0f}"
            print(line, flush=True)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
