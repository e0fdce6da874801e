"""Bidding bench: bid throughput (batch and per call) against the same oCPM formula in numpy,
and one simulated day per scenario: spend vs plan by hour, spend vs budget, and cost per
conversion vs target with and without calibration (single thread)."""
import time

import numpy as np

import growth

DIURNAL = [2, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 3, 4.5, 5.5, 6, 6.5, 7, 6.5, 6, 5.5, 5.5, 6, 7, 8.5,
           9.5, 9, 7, 4]
CPA_MARKET = dict(ctr=0.1, cvr=0.2, spread=0.5, market_median=2, market_sigma=0.5, auction="first")


def _median(fn, rep):
    ts = []
    r = None
    for _ in range(rep):
        a = time.perf_counter()
        r = fn()
        ts.append(time.perf_counter() - a)
    return float(np.median(ts)), r


def run(quick=False, report=None):
    n = 1_000_000 if quick else 10_000_000
    rep = 3
    rng = np.random.default_rng(0)
    pctr = rng.uniform(0, 0.2, n)
    pcvr = rng.uniform(0, 0.3, n)
    b = growth.Bidder(target_cpa=80, bid_floor=0.01, bid_cap=50)
    print(f"bidding: n = {n} bids, 1 thread, median of {rep}")
    t_ours, ours = _median(lambda: b.bid(pctr, pcvr), rep)

    def numpy_bids():
        v = 80 * pctr * pcvr * b.multiplier
        v = np.minimum(v, 50)
        return np.where(v < 0.01, 0.0, v)
    t_np, ref = _median(numpy_bids, rep)
    assert np.array_equal(ours, ref)
    calls = 20000
    t_call, _ = _median(lambda: [b.bid(0.05, 0.1) for _ in range(calls)], rep)
    print(f"  batch bids       ours {t_ours*1e3:8.1f} ms  peer(numpy) {t_np*1e3:8.1f} ms  "
          f"ratio {t_np / t_ours:5.2f}x   ({n / t_ours / 1e6:.0f} M bids/s; per Python call "
          f"{t_call / calls * 1e6:.2f} us incl. ctypes)")

    first = first_price = None
    imps = 100_000 if quick else 300_000
    res = {}
    for controller in ("pid", "throttle"):
        sim_opts = dict(impressions=imps, traffic=DIURNAL, traffic_noise=0.1)
        free = growth.BidSimulator(seed=1, **sim_opts).run(
            growth.Bidder(target_cpa=100, budget=1e12, controller="none"))
        budget = 0.5 * free["spend"]
        bidder = growth.Bidder(target_cpa=100, budget=budget, plan="curve", curve=DIURNAL,
                               controller=controller)
        t_day, r = _median(lambda: growth.BidSimulator(seed=2, **sim_opts).run(bidder), 1)
        err = np.abs(r["spend_curve"] / r["plan_curve"] - 1)
        print(f"  pacing {controller:8s}  day of {imps} impressions in {t_day*1e3:.0f} ms: "
              f"max hourly |spend/plan - 1| {100 * err.max():.2f}% (hour {int(err.argmax()) + 1}), "
              f"day spend {r['spend']:.1f} / budget {budget:.1f} ({100 * (r['spend'] / budget - 1):+.3f}%), "
              f"final multiplier {bidder.multiplier:.3f}, rate {bidder.rate:.3f}")
        res[f"pacing_{controller}_max_hourly_error"] = float(err.max())
        res[f"pacing_{controller}_day_error"] = float(r["spend"] / budget - 1)
        res[f"pacing_{controller}_day_seconds"] = t_day

    model = dict(overpredict=1.2, model_noise=0.3, **CPA_MARKET)
    log = growth.BidSimulator(seed=41, **model).sample(400_000)
    cc = growth.Calibrator("isotonic").fit(log["raw_ctr"], log["click"])
    clicked = log["click"] > 0
    vc = growth.Calibrator("isotonic").fit(log["raw_cvr"][clicked], log["conv"][clicked])
    cfg = dict(target_cpa=100, budget=1e12, auction="first", shading=False)
    imps = 200_000 if quick else 600_000
    cal = growth.BidSimulator(impressions=imps, seed=42, **model).run(growth.Bidder(**cfg), cc, vc)
    raw = growth.BidSimulator(impressions=imps, seed=42, **model).run(growth.Bidder(**cfg))
    print(f"  CPA vs target 100 (pay-as-bid): calibrated {cal['cpa']:.2f} ({cal['conversions']} conv.), "
          f"uncalibrated (x1.2 model) {raw['cpa']:.2f} ({raw['conversions']} conv.)")
    shaded = growth.BidSimulator(impressions=imps, seed=43, **CPA_MARKET).run(
        growth.Bidder(target_cpa=100, budget=1e12, auction="first"))
    print(f"  first-price shading: surplus {shaded['value'] - shaded['spend']:.0f} of value "
          f"{shaded['value']:.0f} ({100 * (1 - shaded['spend'] / shaded['value']):.1f}%; 0 unshaded), "
          f"win rate {shaded['wins'] / shaded['bids']:.3f}")
    res.update(batch_bids_per_s=n / t_ours, numpy_ratio=t_np / t_ours, call_us=t_call / calls * 1e6,
               cpa_calibrated=cal["cpa"], cpa_uncalibrated=raw["cpa"])
    if report is not None:
        report["bidding"] = res
    return res


if __name__ == "__main__":
    run(quick=True)
