"""table=exact at stream scale (issue 22, point 3): FTRL with a collision-free table under a
memory cap (admit=3, 512 MiB; in the full run also a too-tight admit=2, 256 MiB one) against an
unbounded exact table and against bits=20 hashing, on the `mix` stream of
bench/exact_table_bench.c: 6 recurring categorical fields, one recurring id field over 2M ids
(each with its own logit: 2 ids a slot at bits=20) and one one-off id per example (the long
tail that an unbounded table keeps forever).

Each configuration runs in its own process (build/bench/exact_table_bench), so its VmRSS/VmHWM
is its own. Full run: 100M examples (the unbounded table reaches ~10.7 GiB: it is run under an
address-space limit of 13.5 GB and reports how far it got if it hits it); about 40 minutes on this
2-core machine. --quick (CI): 1M examples, 32768 ids against bits=14 (the same 2 ids a slot).
Prints, per configuration, the progressive logloss (all, last 10%), VmRSS and VmHWM, the table's
bytes and counters; then the checks: VmHWM under the cap, logloss within 0.5% of unbounded, exact
(capped) against hashing.
"""
import os
import re
import resource
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def find_bench():
    if os.environ.get("GROWTH_EXACT_BENCH"):
        return os.environ["GROWTH_EXACT_BENCH"]
    lib = os.environ.get("GROWTH_LIBRARY", os.path.join(ROOT, "build", "src", "libgrowth.so"))
    return os.path.join(os.path.dirname(os.path.dirname(lib)), "bench", "exact_table_bench")


def sizes(quick):
    if quick:
        return dict(n=1_000_000, ids=32768, bits=14, cap=16 << 20, sketch=2 << 20)
    return dict(n=100_000_000, ids=2_000_000, bits=20, cap=512 << 20, sketch=32 << 20)


def parse(out):
    r = {}
    m = re.search(r"([0-9]+) examples/s .*logloss ([0-9.]+), last 10% ([0-9.na]+)", out)
    if m:
        r.update(rate=float(m.group(1)), logloss=float(m.group(2)), logloss_last10=float(m.group(3)))
    m = re.search(r"VmRSS ([0-9.]+) MiB, VmHWM ([0-9.]+) MiB .*table ([0-9.]+) MiB; live ([0-9]+) admitted ([0-9]+) "
                  r"evicted ([0-9]+) expired ([0-9]+)", out)
    if m:
        r.update(vmrss_mib=float(m.group(1)), vmhwm_mib=float(m.group(2)), table_mib=float(m.group(3)),
                 live=int(m.group(4)), admitted=int(m.group(5)), evicted=int(m.group(6)))
    m = re.search(r"stopped at example ([0-9]+)", out)
    r["stopped_at"] = int(m.group(1)) if m else None
    return r


def limit_as():
    resource.setrlimit(resource.RLIMIT_AS, (13_500_000_000, 13_500_000_000))


def run(quick, report):
    exe = find_bench()
    if not os.path.exists(exe):
        print(f"exact_table: {exe} not built (ninja -C build bench/exact_table_bench); skipped")
        return
    z = sizes(quick)
    configs = [
        ("capped", f"table=exact admit=3 admit_sketch={z['sketch']} max_memory={z['cap']}"),
        ("unbounded", "table=exact"),
        (f"bits={z['bits']}", f"bits={z['bits']}"),
    ]
    if not quick:  # a cap too small for the recurring ids plus the sketch's false admissions
        configs.insert(1, ("tight", f"table=exact admit=2 admit_sketch={z['sketch']} max_memory={z['cap'] // 2}"))
    print(f"exact_table: stream mix, {z['n']} examples, {z['ids']} recurring ids + one one-off id per example; "
          f"cap {z['cap'] >> 20} MiB")
    res = {}
    for name, cfg in configs:
        p = subprocess.run([exe, "mix", str(z["n"]), cfg, str(z["ids"]), "0"], capture_output=True, text=True,
                           preexec_fn=limit_as)
        r = parse(p.stdout)
        r["config"] = cfg
        res[name] = r
        print(f"  {name:<10} {cfg}", flush=True)
        print(f"             logloss {r.get('logloss', float('nan')):.5f} (last 10% {r.get('logloss_last10', float('nan')):.5f}), "
              f"{r.get('rate', 0):.0f} examples/s, VmRSS {r.get('vmrss_mib', 0):.1f} MiB, "
              f"VmHWM {r.get('vmhwm_mib', 0):.1f} MiB, table {r.get('table_mib', 0):.1f} MiB, live {r.get('live', 0)}, "
              f"evicted {r.get('evicted', 0)}" + (f"; stopped at {r['stopped_at']}" if r["stopped_at"] else ""))
        if p.returncode and not r["stopped_at"]:
            raise RuntimeError(f"exact_table_bench failed ({p.returncode}): {p.stderr.strip()}")
    cap, unb, hashed = res["capped"], res["unbounded"], res[f"bits={z['bits']}"]
    if "logloss" in unb and not unb["stopped_at"]:
        gap = 100 * (cap["logloss"] / unb["logloss"] - 1)
        gap10 = 100 * (cap["logloss_last10"] / unb["logloss_last10"] - 1)
        print(f"  capped vs unbounded: logloss {gap:+.3f}% (last 10% {gap10:+.3f}%): "
              f"{'within' if abs(gap) <= 0.5 and abs(gap10) <= 0.5 else 'NOT within'} 0.5%")
        res["gap_pct"], res["gap_last10_pct"] = gap, gap10
    print(f"  capped VmHWM {cap['vmhwm_mib']:.1f} MiB vs cap {z['cap'] >> 20} MiB: "
          f"{'under' if cap['vmhwm_mib'] * 2**20 <= z['cap'] else 'OVER'}"
          + (f"; unbounded VmHWM {unb['vmhwm_mib']:.1f} MiB" if "vmhwm_mib" in unb else ""))
    d = 100 * (hashed["logloss_last10"] / cap["logloss_last10"] - 1)
    print(f"  bits={z['bits']} vs capped exact: logloss (last 10%) {d:+.3f}% "
          f"({'exact better' if d > 0 else 'hashing better'})")
    res["hashed_vs_exact_last10_pct"] = d
    report["exact_table"] = dict(sizes=z, results=res)
