"""Distributed bench: growth.distributed.solve_mckp on a distributed.LocalCluster (2 worker
processes, 1 thread each) against the single-machine solver (2 threads) on the same instance.
Prints users, partitions, time, round trips, passes over the users, bytes moved each way and
in the largest round trip, whether the plan equals the single machine's, and the projection
to 1B users.

Sizes: quick 1M users x 5 options; full 20M x 5 (GROWTH_DIST_BENCH_USERS overrides).
The data is generated on the workers, partition by partition; the single-machine reference
regenerates the same partitions in this process.

Sharded recall: growth.distributed.ShardedIndex (flat, cosine) over items generated on the
workers, one index per partition, against one flat growth.Index over the same items in this
process: build time, queries per second of a batch search (k = 10), bytes moved per batch and
the agreement of the merged top-k with the single index. Sizes: quick 200k items x 64 in 4
partitions, 512 queries; full 2M x 64 in 8 partitions, 2,000 queries
(GROWTH_DIST_BENCH_ITEMS overrides). `--recall` runs only this case."""
import logging
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
M = 5


def _part(seed, i, n):
    """Partition i of the instance (the budget bench's distribution)."""
    rng = np.random.default_rng([seed, i])
    c = rng.uniform(0.1, 10.0, (n, M))
    v = rng.uniform(0.0, 5.0, (n, M)) * np.sqrt(c)
    return v, c


def _sizes(n, parts):
    base = [n // parts] * parts
    for i in range(n % parts):
        base[i] += 1
    return base


def _cluster():
    from distributed import Client, LocalCluster
    import growth
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(growth.__file__)))
    paths = [pkg, HERE] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    os.environ.setdefault("GROWTH_LIBRARY", growth._lib.lib._name)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           silence_logs=logging.ERROR, dashboard_address=None)
    return cluster, Client(cluster)


def run(quick=False, report=None, recall=True):
    import dask
    import dask.array as da
    from operator import itemgetter
    from growth import budget as gb
    import growth.distributed as gd
    n = int(os.environ.get("GROWTH_DIST_BENCH_USERS", 1_000_000 if quick else 20_000_000))
    parts = max(2, min(16, n // 250_000))
    sizes = _sizes(n, parts)
    B = float(n * 5.05 * 0.3)          # E[c] = 5.05 per option: about 30% of one option per user
    seed = 11
    cluster, client = _cluster()
    try:
        gens = [dask.delayed(_part)(seed, i, s) for i, s in enumerate(sizes)]
        values = da.concatenate([da.from_delayed(dask.delayed(itemgetter(0))(g), (s, M), np.float64)
                                 for g, s in zip(gens, sizes)])
        costs = da.concatenate([da.from_delayed(dask.delayed(itemgetter(1))(g), (s, M), np.float64)
                                for g, s in zip(gens, sizes)])
        from distributed import wait
        values, costs = client.persist([values, costs])   # generated on the workers, not timed
        wait([values, costs])
        t = time.perf_counter()
        r = gd.solve_mckp(values=values, costs=costs, budget=B, client=client)
        wall = time.perf_counter() - t
        choice = r.choice.compute()
        del r.shard_futures, r.plan_futures
    finally:
        client.close()
        cluster.close()
    ref_t = ref = None
    if n <= int(os.environ.get("GROWTH_DIST_BENCH_REF_MAX", 20_000_000)):
        vs, cs = zip(*[_part(seed, i, s) for i, s in enumerate(sizes)])
        v, c = np.concatenate(vs), np.concatenate(cs)
        del vs, cs
        t = time.perf_counter()
        ref = gb.solve_mckp(v, c, B, threads=2)
        ref_t = time.perf_counter() - t
        del v, c
    st = r.coordinator
    per_round = r.max_round_bytes
    # projection to 1B users on W workers: the measured wall time less the partitions' creation
    # scales with users per worker (the solve passes a fixed number of times over each user);
    # round trips add ~5 ms each on a real network.
    proj = {W: wall * (1e9 / n) * (2 / W) + r.round_trips * 0.005 for W in (2, 16, 64)}
    print(f"distributed MCKP  {n:,} users x {M} options, {parts} partitions, 2 worker processes x 1 thread")
    print(f"  time {wall:.2f} s (data already on the workers)   round trips {r.round_trips}   "
          f"passes over the users {st['shard_passes'] / parts:.1f}   bytes to workers {r.bytes_to_workers:,}   "
          f"from workers {r.bytes_from_workers:,}   largest round trip {per_round:,} B "
          f"({per_round / parts:,.0f} B per partition)")
    print(f"  value {r.value:.10g}  lp {r.lp_value:.10g}  rel gap {r.gap:.3g}  lambda {r.lambdas[0]:.17g}")
    if ref is not None:
        d = abs(r.value - ref.value) / ref.value
        dl = abs(r.lp_value - ref.lp_value) / ref.lp_value
        print(f"  single machine (2 threads) {ref_t:.2f} s   ratio {wall / ref_t:.2f}   value rel diff {d:.2g}   "
              f"lp rel diff {dl:.2g}   same lambda {bool(r.lambdas[0] == ref.lambdas[0])}   same plan "
              f"{bool(np.array_equal(ref.choice, choice))}")
    print("  projected 1B users (this run scaled by users per worker; the fill chain is serial, see "
          "docs/scaling.md): " + ", ".join(f"{w} workers {s:.0f} s" for w, s in proj.items()))
    if report is not None:
        report["distributed"] = dict(
            users=n, options=M, partitions=parts, workers=2, threads_per_worker=1, seconds=wall,
            round_trips=r.round_trips, shard_passes=st["shard_passes"],
            bytes_to_workers=r.bytes_to_workers, bytes_from_workers=r.bytes_from_workers,
            max_round_bytes=per_round, value=r.value, lp_value=r.lp_value, rel_gap=r.gap,
            single_machine_seconds=ref_t,
            same_plan=None if ref is None else bool(np.array_equal(ref.choice, choice)),
            value_rel_diff=None if ref is None else abs(r.value - ref.value) / ref.value,
            lp_rel_diff=None if ref is None else abs(r.lp_value - ref.lp_value) / ref.lp_value,
            projected_1b_seconds=proj)
    if recall:
        run_recall(quick=quick, report=report)


# ---- sharded recall -------------------------------------------------------------------------

RD = 64


def _items(seed, i, n):
    """Partition i of the item vectors (clustered, so neighbours are not all equidistant)."""
    rng = np.random.default_rng([seed, 1000 + i])
    centres = np.random.default_rng(seed).normal(size=(256, RD)).astype(np.float32)
    X = centres[rng.integers(0, 256, n)] + 0.5 * rng.normal(size=(n, RD)).astype(np.float32)
    return X.astype(np.float32)


def run_recall(quick=False, report=None):
    import dask
    import dask.array as da
    import growth
    import growth.distributed as gd
    n = int(os.environ.get("GROWTH_DIST_BENCH_ITEMS", 200_000 if quick else 2_000_000))
    parts = 4 if quick else 8
    nq, k, seed, reps = (512 if quick else 2000), 10, 21, 3
    sizes = _sizes(n, parts)
    Q = _items(seed, 999, nq)
    cluster, client = _cluster()
    try:
        X = da.concatenate([da.from_delayed(dask.delayed(_items)(seed, i, s), (s, RD), np.float32)
                            for i, s in enumerate(sizes)])
        t = time.perf_counter()
        six = gd.ShardedIndex(dim=RD, metric="cosine", kind="flat", client=client)
        six.add(X)
        build = time.perf_counter() - t
        six.search(Q[:8], k)                          # warm-up: worker imports, scratch
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            ids, sc = six.search(Q, k)
            times.append(time.perf_counter() - t)
        wall = float(np.median(times))
        last = six.last_search
        one_t = time.perf_counter()
        six.search(Q[0], k)
        one = time.perf_counter() - one_t
        mem = six.stats()["memory_bytes"]
        six.close()
    finally:
        client.close()
        cluster.close()
    # the peer: one flat index over every item in this process (1 thread)
    ref = growth.Index(dim=RD, metric="cosine")
    for i, s in enumerate(sizes):
        ref.add(_items(seed, i, s))
    t = time.perf_counter()
    rid, rsc = ref.search(Q, k)
    ref_t = time.perf_counter() - t
    same_ids = float((ids == rid).mean())
    max_dscore = float(np.max(np.abs(sc - rsc)))
    ref.close()
    print(f"sharded recall  {n:,} items x {RD} (flat, cosine), {parts} shards on 2 worker processes x 1 thread, "
          f"{nq} queries, k = {k}")
    print(f"  build {build:.2f} s   index memory {mem / 2**20:.0f} MiB on the workers")
    print(f"  batch search {wall * 1e3:.0f} ms = {nq / wall:,.0f} QPS   (one query {one * 1e3:.1f} ms)   "
          f"single index in-process (1 thread) {ref_t * 1e3:.0f} ms = {nq / ref_t:,.0f} QPS")
    print(f"  bytes per batch: to workers {last['bytes_to_workers']:,} (queries), "
          f"from workers {last['bytes_from_workers']:,} ({parts} x {nq} x {k} ids + scores)")
    print(f"  same ids as the single index {same_ids:.4f}   max score diff {max_dscore:.2g}")
    if report is not None:
        report["distributed_recall"] = dict(
            items=n, dim=RD, shards=parts, workers=2, threads_per_worker=1, queries=nq, k=k,
            build_seconds=build, batch_seconds=wall, qps=nq / wall, one_query_seconds=one,
            single_index_seconds=ref_t, single_index_qps=nq / ref_t,
            bytes_to_workers=last["bytes_to_workers"], bytes_from_workers=last["bytes_from_workers"],
            same_ids=same_ids, max_score_diff=max_dscore)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bindings", "python"))
    if "--recall" in sys.argv:
        run_recall(quick="--quick" in sys.argv)
    else:
        run(quick="--quick" in sys.argv, recall="--mckp" not in sys.argv)
