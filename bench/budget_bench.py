"""Budget bench: MCKP (one budget) against scipy's HiGHS linprog on the same instance, and the
10M-user solve on 2 threads. Prints sizes, threads, medians, ratios, gap and memory."""
import resource
import time

import numpy as np

from growth import budget as gb


def instance(n, m, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.uniform(0.1, 10.0, (n, m))
    v = rng.uniform(0.0, 5.0, (n, m)) * np.sqrt(c)
    return v, c, float(c.sum() / m * 0.3)


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def highs_lp(v, c, B, method):
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, vstack
    n, m = v.shape
    N = n * m
    A1 = csr_matrix((np.ones(N), np.arange(N), np.arange(0, N + 1, m)), shape=(n, N))
    A = vstack([A1, csr_matrix(c.reshape(1, N))]).tocsr()
    b = np.concatenate([np.ones(n), [B]])
    t = time.perf_counter()
    r = linprog(-v.ravel(), A_ub=A, b_ub=b, bounds=(0, 1), method=method)
    return time.perf_counter() - t, -r.fun


def ours(v, c, B, threads, rep):
    ts, r = [], None
    for _ in range(rep):
        t = time.perf_counter()
        r = gb.solve_mckp(v, c, B, threads=threads)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), r


def run(quick=False, report=None):
    out = {}
    n = 100_000 if quick else 1_000_000
    m = 5
    v, c, B = instance(n, m)
    base = rss_mb()
    t1, r1 = ours(v, c, B, 1, 3)
    t2, r2 = ours(v, c, B, 2, 3)
    ours_mem = peak_mb() - base
    tp, lp = highs_lp(v, c, B, "highs-ipm")
    rel = abs(r1.lp_value - lp) / lp
    print(f"budget: MCKP {n} users x {m} options, one budget (inputs {2 * v.nbytes / 2**20:.0f} MB)")
    print(f"  ours 1 thread  {t1 * 1e3:9.1f} ms   ours 2 threads {t2 * 1e3:9.1f} ms   "
          f"peer(scipy linprog highs-ipm) {tp * 1e3:10.1f} ms   ratio {tp / t1:7.1f}x (1 thr) {tp / t2:7.1f}x (2 thr)")
    print(f"  LP value ours {r1.lp_value:.10g}  HiGHS {lp:.10g}  |rel diff| {rel:.1e}; integer gap {r1.gap:.2e}; "
          f"peak RSS growth during our solves {ours_mem:.0f} MB")
    out.update(n=n, m=m, ms_1thr=t1 * 1e3, ms_2thr=t2 * 1e3, ms_peer=tp * 1e3, lp_rel_diff=rel,
               gap=r1.gap, ratio_1thr=tp / t1, ratio_2thr=tp / t2)
    del v, c
    if not quick:
        n = 10_000_000
        v, c, B = instance(n, m, seed=1)
        base, peak0 = rss_mb(), peak_mb()
        t, r = ours(v, c, B, 2, 1)
        print(f"  {n} users x {m}: ours 2 threads {t:.2f} s, rel gap {r.gap:.1e}, value {r.value:.6g}, "
              f"inputs {2 * v.nbytes / 2**20:.0f} MB, extra peak RSS {max(peak_mb() - peak0, 0):.0f} MB "
              f"(RSS {base:.0f} MB before)")
        out.update(n10m_s=t, n10m_gap=r.gap)
    if report is not None:
        report["budget"] = out
