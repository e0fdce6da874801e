"""Recall bench: libgrowth's vector index against FAISS (flat, IVF-flat) and hnswlib (HNSW), one
process, same data, same threads.

Data: Fashion-MNIST (Debian's dataset-fashion-mnist), 784-d pixel vectors L2-normalised,
60k base, 10k queries, cosine top-10 (inner product on normalised vectors); and a synthetic
1M x 128 set (clustered Gaussian, normalised; skipped with --quick). Quick mode uses 20k base
and 1k queries.

Reported: exact flat QPS (batched) vs FAISS IndexFlatIP and agreement with numpy brute force;
HNSW build time and QPS at recall@10 >= 0.99 (smallest ef reaching it) vs hnswlib with the same
M / ef_construction; IVF recall/QPS curve vs FAISS IndexIVFFlat with the same nlist; int8;
IVF-PQ (storage=pq, pq_m bytes a vector, residuals to the coarse centroid) vs FAISS IndexIVFPQ at
the same nlist and code size, without and with re-ranking a short list by the float vectors
(ours: rerank=N; FAISS: IndexRefineFlat with k_factor N / 10): recall@10, QPS, memory per vector
and build (train + add) time for both, on the synthetic set (1M x 128, or 100k with --quick).
Timings are medians of a few runs on a shared machine: noisy.

Run alone: /usr/bin/python3 bench/recall_bench.py [--quick] [--pq-only | --ivf-only [--ivf-sets fmnist,synthetic]]
"""
import gzip
import os
import time

# one thread for every numeric library when run alone, as bench/run does (before numpy loads BLAS)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

import growth

K = 10
FMNIST = "/usr/share/datasets/fashion-mnist"


def load_fmnist(name):
    with gzip.open(os.path.join(FMNIST, name), "rb") as f:
        raw = f.read()
    n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    X = np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols).astype(np.float32)
    return np.ascontiguousarray(X / np.linalg.norm(X, axis=1, keepdims=True))


def median_time(fn, repeat, clock=time.perf_counter):
    ts = []
    out = None
    for _ in range(repeat):
        t = clock()
        out = fn()
        ts.append(clock() - t)
    return float(np.median(ts)), out


def recall(I, G):
    hit = 0
    for a, b in zip(I, G):
        hit += len(set(a.tolist()) & set(b.tolist()))
    return hit / G.size


def truth(X, Q, k=K):
    """numpy brute force (sgemm + argpartition), in chunks of queries small enough that a chunk's
    score matrix stays near 256 MiB (1M base vectors: 64 queries at a time, not 4 GB)."""
    out = np.empty((len(Q), k), np.int64)
    kth = np.empty(len(Q), np.float32)
    qb = max(1, min(1000, (1 << 26) // max(1, len(X))))
    for b in range(0, len(Q), qb):
        S = Q[b:b + qb] @ X.T
        I = np.argpartition(-S, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(S, I, 1), axis=1)
        out[b:b + qb] = np.take_along_axis(I, order, 1)
        kth[b:b + qb] = np.take_along_axis(S, out[b:b + qb, k - 1:k], 1)[:, 0]
    return out, kth


def line(name, ours, peer, unit="q/s", higher=True):
    ratio = ours / peer if higher else peer / ours
    print(f"  {name:<44} ours {ours:>10.1f} {unit:<4} peer {peer:>10.1f} {unit:<4} ratio {ratio:5.2f}")
    return ratio


def bench_set(tag, X, Q, threads, quick, report, hnsw_cfg, nlist, efs, probes, int8_hnsw=True):
    import faiss
    import hnswlib
    faiss.omp_set_num_threads(threads)
    n, d = X.shape
    res = dict(n=n, dim=d, queries=len(Q), threads=threads)
    print(f"recall/{tag}: {n} x {d} base, {len(Q)} queries, top-{K}, cosine, {threads} thread(s)")
    rep = 1 if quick else 2
    t = time.perf_counter()
    G, kth = truth(X, Q)
    print(f"  numpy brute force truth: {time.perf_counter() - t:.1f}s")

    # --- exact flat
    ours = growth.Index(dim=d, metric="cosine", kind="flat", threads=threads)
    t = time.perf_counter()
    ours.add(X)
    add_s = time.perf_counter() - t
    fl = faiss.IndexFlatIP(d)
    fl.add(X)
    # interleaved, so the VM's slow and fast moments hit both alike
    t_o, t_f = [], []
    for _ in range(max(rep, 3)):
        a, (I, S) = median_time(lambda: ours.search(Q, K), 1)
        b, (_, F) = median_time(lambda: fl.search(Q, K), 1)
        t_o.append(a)
        t_f.append(b)
    t_o, t_f = float(np.median(t_o)), float(np.median(t_f))
    # same ids as numpy up to ties: every returned id scores at least the true 10th best
    true_s = np.concatenate([np.einsum("qd,qkd->qk", Q[b:b + 1000], X[I[b:b + 1000]])
                             for b in range(0, len(Q), 1000)])
    tie_ok = bool((true_s >= kth[:, None] - 1e-5).all())
    same = float(np.mean(I == G))
    r = line("flat exact batch (vs faiss IndexFlatIP)", len(Q) / t_o, len(Q) / t_f)
    print(f"    ids equal numpy brute force: {same * 100:.3f}% of slots, all differences are ties: {tie_ok}; "
          f"equal faiss: {np.mean(I == F) * 100:.3f}%; add {add_s:.2f}s")
    nq1 = min(200, len(Q))

    def singles(ix):
        for q in Q[:nq1]:
            ix.search(q, K)
    t1, _ = median_time(lambda: singles(ours), 1)
    t1f, _ = median_time(lambda: [fl.search(q[None, :], K) for q in Q[:nq1]], 1)
    line("flat exact single queries (vs faiss)", nq1 / t1, nq1 / t1f)
    res["flat"] = dict(qps=len(Q) / t_o, faiss_qps=len(Q) / t_f, ratio=r, equal_numpy=same, ties_only=tie_ok,
                       single_qps=nq1 / t1, faiss_single_qps=nq1 / t1f)
    ours.close()
    del fl

    # --- HNSW
    M, efc = hnsw_cfg
    h = growth.Index(dim=d, metric="cosine", kind="hnsw", M=M, ef_construction=efc, threads=threads)
    t = time.perf_counter()
    h.add(X)
    hb = time.perf_counter() - t
    p = hnswlib.Index(space="ip", dim=d)  # data is normalised: ip == cosine
    p.init_index(max_elements=n, M=M, ef_construction=efc, random_seed=1)
    p.set_num_threads(threads)
    t = time.perf_counter()
    p.add_items(X, np.arange(n))
    pb = time.perf_counter() - t
    line(f"hnsw build M={M} efc={efc} (vs hnswlib), seconds", hb, pb, unit="s", higher=False)
    curve = []
    best = {}
    for ef in efs:
        h.set(ef=ef)
        p.set_ef(ef)
        t_o, (I, _) = median_time(lambda: h.search(Q, K), rep)
        t_p, (P, _) = median_time(lambda: p.knn_query(Q, K), rep)
        ro, rp = recall(I, G), recall(P, G)
        curve.append(dict(ef=ef, recall=ro, qps=len(Q) / t_o, hnswlib_recall=rp, hnswlib_qps=len(Q) / t_p))
        print(f"    ef={ef:<4} ours recall {ro:.4f} {len(Q) / t_o:9.0f} q/s   hnswlib recall {rp:.4f} {len(Q) / t_p:9.0f} q/s")
        if ro >= 0.99 and "ours" not in best:
            best["ours"] = (ef, len(Q) / t_o)
        if rp >= 0.99 and "peer" not in best:
            best["peer"] = (ef, len(Q) / t_p)
        if "ours" in best and "peer" in best:
            break
    hres = dict(M=M, ef_construction=efc, build_s=hb, hnswlib_build_s=pb, curve=curve,
                memory_bytes=h.stats()["memory_bytes"])
    if "ours" in best and "peer" in best:
        hres["ratio_at_0.99"] = line(f"hnsw q/s at recall>=0.99 (ef {best['ours'][0]} vs {best['peer'][0]})",
                                     best["ours"][1], best["peer"][1])
    h.close()
    del p
    if int8_hnsw:
        hres["int8"] = hnsw_int8(X, Q, G, M, efc, efs, rep)
    res["hnsw"] = hres
    res.update(ivf_and_int8(tag, X, Q, G, threads, nlist, probes, rep))
    if report is not None:
        report.setdefault("recall", {})[tag] = res


def hnsw_int8(X, Q, G, M, efc, efs, rep):
    """HNSW traversing int8 copies of the vectors, final candidates re-scored in float."""
    d = X.shape[1]
    h8 = growth.Index(dim=d, metric="cosine", kind="hnsw", M=M, ef_construction=efc, quantize="int8")
    t = time.perf_counter()
    h8.add(X)
    b8 = time.perf_counter() - t
    for ef in efs:
        h8.set(ef=ef)
        t_o, (I, _) = median_time(lambda: h8.search(Q, K), rep)
        if recall(I, G) >= 0.99:
            print(f"    hnsw int8: ef={ef} recall {recall(I, G):.4f} {len(Q) / t_o:.0f} q/s (build {b8:.1f}s)")
            h8.close()
            return dict(ef=ef, recall=recall(I, G), qps=len(Q) / t_o, build_s=b8)
    h8.close()
    return None


def ivf_flat(X, Q, G, threads, nlist, probes, rep):
    """IVF-flat vs FAISS IndexIVFFlat, same nlist and nprobe: batches (the whole query set in one
    call on both sides), timed in interleaved pairs; then single queries (one call a query)."""
    import faiss
    d = X.shape[1]
    iv = growth.Index(dim=d, metric="cosine", kind="ivf", nlist=nlist, threads=threads)
    t = time.perf_counter()
    iv.add(X)
    ib = time.perf_counter() - t
    fq = faiss.IndexFlatIP(d)
    fi = faiss.IndexIVFFlat(fq, d, nlist, faiss.METRIC_INNER_PRODUCT)
    t = time.perf_counter()
    fi.train(X)
    fi.add(X)
    fb = time.perf_counter() - t
    line(f"ivf train+add nlist={nlist} (vs faiss IndexIVFFlat), s", ib, fb, unit="s", higher=False)
    icurve = []
    for npb in probes:
        iv.set(nprobe=npb)
        fi.nprobe = npb
        t_o, t_f = [], []
        for _ in range(max(rep, 3)):  # interleaved: the VM's slow and fast moments hit both alike
            a, (I, _) = median_time(lambda: iv.search(Q, K), 1)
            b, (_, F) = median_time(lambda: fi.search(Q, K), 1)
            t_o.append(a)
            t_f.append(b)
        pair = float(np.median(np.array(t_f) / np.array(t_o)))
        t_o, t_f = float(np.median(t_o)), float(np.median(t_f))
        ro, rf = recall(I, G), recall(F, G)
        icurve.append(dict(nprobe=npb, recall=ro, qps=len(Q) / t_o, faiss_recall=rf, faiss_qps=len(Q) / t_f,
                           ratio_of_pairs=pair))
        print(f"    nprobe={npb:<3} ours recall {ro:.4f} {len(Q) / t_o:9.0f} q/s   faiss recall {rf:.4f} "
              f"{len(Q) / t_f:9.0f} q/s   ratio (median of pairs) {pair:.2f}")
    nq1 = min(300, len(Q))
    t1, _ = median_time(lambda: [iv.search(q, K) for q in Q[:nq1]], 1)
    t1f, _ = median_time(lambda: [fi.search(q[None, :], K) for q in Q[:nq1]], 1)
    line(f"ivf single queries nprobe={probes[-1]} (vs faiss)", nq1 / t1, nq1 / t1f)
    iv.close()
    return dict(nlist=nlist, build_s=ib, faiss_build_s=fb, curve=icurve, single_qps=nq1 / t1,
                faiss_single_qps=nq1 / t1f)


def ivf_and_int8(tag, X, Q, G, threads, nlist, probes, rep):
    d = X.shape[1]
    res = {}
    # --- IVF
    res["ivf"] = ivf_flat(X, Q, G, threads, nlist, probes, rep)

    # --- int8 flat
    f8 = growth.Index(dim=d, metric="cosine", kind="flat", quantize="int8", threads=threads)
    f8.add(X)
    nq8 = min(500, len(Q))
    t8, (I, _) = median_time(lambda: f8.search(Q[:nq8], K), 1)
    print(f"  flat int8 + float re-score: recall {recall(I, G[:nq8]):.4f}, {nq8 / t8:.0f} q/s, "
          f"memory {f8.stats()['memory_bytes'] / 2**20:.0f} MiB")
    res["flat_int8"] = dict(recall=recall(I, G[:nq8]), qps=nq8 / t8)
    f8.close()
    return res


def faiss_bytes(index):
    """Bytes a FAISS index takes when serialised (codes, ids, centroids, codebooks; refine floats)."""
    import faiss
    return int(faiss.serialize_index(index).size)


TRAIN = 65536  # training sample, the same vectors on both sides
ITERS = 12     # k-means iterations, ours (iters=) and FAISS's (cp.niter, pq.cp.niter)


def ivfpq_vs_faiss(tag, X, Q, G, nlist=1024, m=16, probes=(4, 8, 16, 32, 64), rerank=100, rep=1, report=None,
                   opq=False):
    """IVF-PQ, same nlist and code size (m bytes), 1 thread, l2 on normalised data (the cosine ranking).
    Both sides train on the same random sample of TRAIN vectors with ITERS k-means iterations (coarse
    quantiser and sub-quantisers), then add every vector. With opq=True both learn an OPQ rotation
    first (ours: opq=1; FAISS: OPQMatrix in an IndexPreTransform)."""
    import faiss
    faiss.omp_set_num_threads(1)
    n, d = X.shape
    print(f"recall/{tag} IVF-{'OPQ' if opq else 'PQ'}: {n} x {d}, {len(Q)} queries, nlist={nlist}, PQ{m} x 8 bits "
          f"({m} bytes a code), re-rank {rerank}, 1 thread, train sample {min(n, TRAIN)}, {ITERS} k-means iterations")
    res = dict(n=n, dim=d, nlist=nlist, pq_m=m, rerank=rerank, train=min(n, TRAIN), opq=opq)
    S = X[np.sort(np.random.default_rng(7).choice(n, min(n, TRAIN), replace=False))]
    extra = dict(opq=1) if opq else {}
    t, c0 = time.perf_counter(), time.process_time()
    ours = growth.Index(dim=d, metric="l2", kind="ivf", nlist=nlist, storage="pq", pq_m=m, rerank=rerank, seed=1,
                        iters=ITERS, **extra)
    ours.train(S)
    ot = time.perf_counter() - t
    ours.add(X)
    ob, oc = time.perf_counter() - t, time.process_time() - c0
    t, c0 = time.perf_counter(), time.process_time()
    q = faiss.IndexFlatL2(d)
    fi = faiss.IndexIVFPQ(q, d, nlist, m, 8)
    fi.cp.niter = ITERS
    fi.pq.cp.niter = ITERS
    fi.cp.max_points_per_centroid = fi.pq.cp.max_points_per_centroid = 1 << 30  # the whole sample
    fidx = fi
    if opq:
        om = faiss.OPQMatrix(d, m)
        om.niter = ITERS
        fidx = faiss.IndexPreTransform(om, fi)
    fidx.train(S)
    ft = time.perf_counter() - t
    fidx.add(X)
    fb, fc = time.perf_counter() - t, time.process_time() - c0
    print(f"  train {ot:.1f} s ours, {ft:.1f} s faiss; add {ob - ot:.1f} s ours, {fb - ft:.1f} s faiss; "
          f"train+add CPU time {oc:.1f} s ours, {fc:.1f} s faiss (the fairer figure on a shared machine)")
    line(f"ivf-{'opq' if opq else 'pq'} train+add (vs faiss IndexIVFPQ), s", ob, fb, unit="s", higher=False)
    res.update(train_s=ot, faiss_train_s=ft, build_cpu_s=oc, faiss_build_cpu_s=fc)
    # memory per vector: ours from stats (with the floats kept for re-ranking, and the codes
    # alone: the same index without rerank is measured on a copy built from the same data)
    st = ours.stats()
    t = time.perf_counter()
    fr = faiss.IndexRefineFlat(fidx, faiss.swig_ptr(X))  # a float copy of the base vectors beside the codes
    fb_ref = time.perf_counter() - t
    codes_only = growth.Index(dim=d, metric="l2", kind="ivf", nlist=nlist, storage="pq", pq_m=m, seed=1,
                              iters=ITERS, **extra)
    codes_only.train(S)
    codes_only.add(X)
    sc = codes_only.stats()
    fidx.search(Q[:1], K)  # FAISS builds its precomputed l2 tables (nlist x m x 256 floats) lazily
    pre = int(fi.precomputed_table.size()) * 4 if fi.use_precomputed_table else 0
    fmem, frmem = (faiss_bytes(fidx) + pre) / n, (faiss_bytes(fidx) + pre + 4 * d * n) / n
    print(f"  memory per vector: ours {sc['bytes_per_vector']} B (codes only), {st['bytes_per_vector']} B with floats"
          f" for re-ranking; faiss {fmem:.1f} B (IndexIVFPQ serialised + its precomputed tables), {frmem:.1f} B"
          f" with IndexRefineFlat;"
          f" float32 alone {4 * d} B")
    res.update(build_s=ob, faiss_build_s=fb, faiss_refine_add_s=fb_ref, bytes_per_vector=sc["bytes_per_vector"],
               bytes_per_vector_rerank=st["bytes_per_vector"], faiss_bytes_per_vector=fmem,
               faiss_bytes_per_vector_refine=frmem)
    fr.k_factor = rerank / K
    curve = []
    for npb in probes:
        ours.set(nprobe=npb)
        codes_only.set(nprobe=npb)
        fi.nprobe = npb
        # 1 thread each side: q/s of CPU time, which other processes on a shared machine do not inflate
        pt = time.process_time
        t_c, (C, _) = median_time(lambda: codes_only.search(Q, K), rep, pt)
        t_f, (_, F) = median_time(lambda: fidx.search(Q, K), rep, pt)
        t_o, (I, _) = median_time(lambda: ours.search(Q, K), rep, pt)
        t_r, (_, R) = median_time(lambda: fr.search(Q, K), rep, pt)
        row = dict(nprobe=npb, recall=recall(C, G), qps=len(Q) / t_c, faiss_recall=recall(F, G), faiss_qps=len(Q) / t_f,
                   rerank_recall=recall(I, G), rerank_qps=len(Q) / t_o, faiss_rerank_recall=recall(R, G),
                   faiss_rerank_qps=len(Q) / t_r)
        curve.append(row)
        print(f"    nprobe={npb:<3} codes: ours {row['recall']:.4f} {row['qps']:8.0f} q/s  faiss {row['faiss_recall']:.4f} "
              f"{row['faiss_qps']:8.0f} q/s | re-ranked: ours {row['rerank_recall']:.4f} {row['rerank_qps']:8.0f} q/s  "
              f"faiss {row['faiss_rerank_recall']:.4f} {row['faiss_rerank_qps']:8.0f} q/s")
    res["curve"] = curve
    hit = [r for r in curve if r["rerank_recall"] >= 0.9]
    fhit = [r for r in curve if r["faiss_rerank_recall"] >= 0.9]
    if hit and fhit:
        res["ratio_at_0.9"] = line(f"ivf-pq q/s at recall>=0.9 re-ranked (nprobe {hit[0]['nprobe']} vs "
                                   f"{fhit[0]['nprobe']})", hit[0]["rerank_qps"], fhit[0]["faiss_rerank_qps"])
    ours.close()
    codes_only.close()
    if report is not None:
        report.setdefault("recall", {}).setdefault(tag, {})["ivfopq" if opq else "ivfpq"] = res
    return res


def synthetic(n, d, nq, seed=1):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((1000, d)).astype(np.float32)
    X = C[rng.integers(0, 1000, n)] + 0.7 * rng.standard_normal((n, d)).astype(np.float32)
    Q = C[rng.integers(0, 1000, nq)] + 0.7 * rng.standard_normal((nq, d)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    return np.ascontiguousarray(X), np.ascontiguousarray(Q)


def run(quick=False, report=None):
    threads = int(os.environ.get("GROWTH_BENCH_THREADS", "1"))
    X = load_fmnist("train-images-idx3-ubyte.gz")
    Q = load_fmnist("t10k-images-idx3-ubyte.gz")
    if quick:
        X, Q = X[:10000], Q[:500]
    bench_set("fashion-mnist", X, Q, threads, quick, report, (16, 200 if not quick else 100),
              256 if not quick else 128, [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384],
              [1, 4, 16, 32] if quick else [1, 2, 4, 8, 16, 32, 64])
    if not quick:
        X, Q = synthetic(1_000_000, 128, 1000)
        bench_set("synthetic-1M-128", X, Q, threads, quick, report, (16, 100), 1024,
                  [16, 32, 64, 128, 256, 512], [1, 4, 16, 64], int8_hnsw=False)
    run_pq(quick, report)


def run_ivf(quick=False, report=None, sets=("fmnist", "synthetic")):
    """IVF-flat only (vs FAISS IndexIVFFlat): Fashion-MNIST nlist 256, then the synthetic 1M x 128
    with nlist 1024 (100k and nlist 256 with --quick)."""
    import faiss
    threads = int(os.environ.get("GROWTH_BENCH_THREADS", "1"))
    faiss.omp_set_num_threads(threads)
    out = {}
    if "fmnist" in sets:
        X = load_fmnist("train-images-idx3-ubyte.gz")
        Q = load_fmnist("t10k-images-idx3-ubyte.gz")
        if quick:
            X, Q = X[:10000], Q[:500]
        G, _ = truth(X, Q)
        print(f"recall/fashion-mnist IVF-flat: {len(X)} x {X.shape[1]}, {len(Q)} queries, {threads} thread(s)")
        out["fashion-mnist"] = ivf_flat(X, Q, G, threads, 128 if quick else 256, [4, 16], 3)
    if "synthetic" not in sets:
        return out
    n, nlist = (100_000, 256) if quick else (1_000_000, 1024)
    X, Q = synthetic(n, 128, 1000)
    G, _ = truth(X, Q)
    print(f"recall/synthetic IVF-flat: {n} x 128, {len(Q)} queries, {threads} thread(s)")
    out[f"synthetic-{n}-128"] = ivf_flat(X, Q, G, threads, nlist, [1, 4, 16], 3)
    if report is not None:
        report.setdefault("recall", {})["ivf_flat"] = out
    return out


def run_pq(quick=False, report=None, which=("synthetic", "fmnist"), opq=False, rerank=100):
    """IVF-PQ vs FAISS IndexIVFPQ on the synthetic set (100k x 128 in quick mode) and on
    Fashion-MNIST (60k x 784, 1000 queries; 20k and 300 in quick mode), 16-byte codes."""
    if "synthetic" in which:
        n, nq, nlist = (100_000, 300, 256) if quick else (1_000_000, 1000, 1024)
        X, Q = synthetic(n, 128, nq)
        t = time.perf_counter()
        G, _ = truth(X, Q)
        print(f"  numpy brute force truth: {time.perf_counter() - t:.1f}s")
        for o in ((False, True) if opq else (False,)):
            ivfpq_vs_faiss("synthetic-1M-128" if not quick else "synthetic-100k-128", X, Q, G, nlist=nlist, m=16,
                           probes=(4, 8, 16, 32) if quick else (4, 8, 16, 32, 64), report=report, opq=o,
                           rerank=rerank)
        del X, Q, G
    if "fmnist" in which:
        X = load_fmnist("train-images-idx3-ubyte.gz")
        Q = load_fmnist("t10k-images-idx3-ubyte.gz")
        X, Q = (X[:20000], Q[:300]) if quick else (X, Q[:1000])
        G, _ = truth(X, Q)
        for o in ((False, True) if opq else (False,)):
            ivfpq_vs_faiss("fashion-mnist", X, Q, G, nlist=128 if quick else 256, m=16, probes=(1, 2, 4, 8, 16),
                           report=report, opq=o, rerank=rerank)


if __name__ == "__main__":
    import argparse
    import json
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pq-only", action="store_true", help="only IVF-PQ vs FAISS IndexIVFPQ")
    ap.add_argument("--pq-set", choices=("synthetic", "fmnist"), help="with --pq-only: one data set")
    ap.add_argument("--opq", action="store_true", help="with --pq-only: also OPQ (opq=1) vs FAISS OPQMatrix")
    ap.add_argument("--rerank", type=int, default=100, help="with --pq-only: short list re-ranked by the floats "
                    "(ours rerank=N, FAISS IndexRefineFlat k_factor N/10)")
    ap.add_argument("--ivf-only", action="store_true", help="only IVF-flat vs FAISS IndexIVFFlat")
    ap.add_argument("--ivf-sets", default="fmnist,synthetic", help="data sets of --ivf-only")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    rep_ = {}
    if a.ivf_only:
        run_ivf(a.quick, rep_, a.ivf_sets.split(","))
    elif a.pq_only:
        run_pq(a.quick, rep_, (a.pq_set,) if a.pq_set else ("synthetic", "fmnist"), a.opq, a.rerank)
    else:
        run(a.quick, rep_)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rep_, f, indent=1)
