import pickle
import threading

import numpy as np
import pytest

import growth

DIURNAL = [2, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 3, 4.5, 5.5, 6, 6.5, 7, 6.5, 6, 5.5, 5.5, 6, 7, 8.5,
           9.5, 9, 7, 4]
CPA_MARKET = dict(ctr=0.1, cvr=0.2, spread=0.5, market_median=2, market_sigma=0.5, auction="first")


def test_bid_formulas_numpy():
    rng = np.random.default_rng(0)
    pctr = rng.uniform(0, 0.2, 1000)
    pcvr = rng.uniform(0, 0.3, 1000)
    with growth.Bidder(target_cpa=80) as b:
        np.testing.assert_allclose(b.bid(pctr, pcvr), 80 * pctr * pcvr, rtol=1e-15)
        assert b.bid(0.1, 0.2) == pytest.approx(80 * 0.1 * 0.2, rel=1e-15)
        assert b.multiplier == 1.0 and b.rate == 1.0
    with growth.Bidder(target_cpa=80, billing="cpc") as b:
        np.testing.assert_allclose(b.bid(pctr, pcvr), 80 * pcvr, rtol=1e-15)
    with growth.Bidder(mode="roi", target_roi=4) as b:
        ov = rng.uniform(10, 500, 1000)
        np.testing.assert_allclose(b.bid(pctr, pcvr, ov), pctr * pcvr * ov / 4, rtol=1e-15)
    with growth.Bidder(target_cpa=80, bid_floor=0.5, bid_cap=2) as b:
        v = 80 * pctr * pcvr
        np.testing.assert_allclose(b.bid(pctr, pcvr), np.where(v < 0.5, 0, np.minimum(v, 2)))
    with growth.Bidder(controller="throttle", initial_rate=0.25) as b:
        out = b.bid(np.full(40000, 0.5), 0.5, request_ids=np.arange(40000))
        assert abs((out > 0).mean() - 0.25) < 0.01
    b = growth.Bidder()
    b.close()
    b.close()
    with pytest.raises(ValueError):
        b.bid(0.1, 0.1)


def test_plan_curve():
    b = growth.Bidder(budget=1000, day_seconds=300, plan="curve", curve=[1, 3, 1], interval=10)
    np.testing.assert_allclose(b.plan(np.array([0, 50, 100, 150, 200, 250, 300])),
                               [0, 100, 200, 500, 800, 900, 1000], atol=1e-9)
    assert "plan=curve" in b.config


@pytest.mark.parametrize("controller", ["pid", "throttle"])
def test_pacing_day_follows_plan(controller):
    sim_opts = dict(impressions=300000, traffic=DIURNAL, traffic_noise=0.1)
    with growth.BidSimulator(seed=31, **sim_opts) as sim:
        free = sim.run(growth.Bidder(target_cpa=100, budget=1e12, controller="none"))
    budget = 0.5 * free["spend"]
    b = growth.Bidder(target_cpa=100, budget=budget, plan="curve", curve=DIURNAL, controller=controller)
    with growth.BidSimulator(seed=32, **sim_opts) as sim:
        r = sim.run(b)
    err = np.abs(r["spend_curve"] - r["plan_curve"]) / r["plan_curve"]
    assert err.max() < 0.05, err
    assert r["max_plan_error"] == pytest.approx(err.max())
    assert abs(r["spend"] / budget - 1) < 0.01
    assert r["plan_curve"][-1] == pytest.approx(budget)
    assert b.spent == pytest.approx(r["spend"])


def test_cpa_with_and_without_calibration():
    model = dict(overpredict=1.2, model_noise=0.3, **CPA_MARKET)
    log = growth.BidSimulator(seed=41, **model).sample(400000)
    cc = growth.Calibrator("isotonic").fit(log["raw_ctr"], log["click"])
    clicked = log["click"] > 0
    vc = growth.Calibrator("isotonic").fit(log["raw_cvr"][clicked], log["conv"][clicked])
    cfg = dict(target_cpa=100, budget=1e12, auction="first", shading=False)
    cal = growth.BidSimulator(impressions=500000, seed=42, **model).run(growth.Bidder(**cfg), cc, vc)
    raw = growth.BidSimulator(impressions=500000, seed=42, **model).run(growth.Bidder(**cfg))
    assert abs(cal["cpa"] / 100 - 1) < 0.05 and abs(cal["expected_cpa"] / 100 - 1) < 0.05
    assert raw["cpa"] > 115  # the over-predicting model misses the target
    assert cal["conversions"] > 5000


def test_shading_learns_from_feedback():
    b = growth.Bidder(target_cpa=100, budget=1e12, auction="first")
    r = growth.BidSimulator(impressions=100000, seed=5, **CPA_MARKET).run(b)
    assert b.observations == r["bids"]
    assert r["value"] - r["spend"] > 0.2 * r["value"]  # shading keeps a surplus
    from math import erf, log, sqrt
    p = np.array([1.0, 2.0, 3.0, 5.0])
    truth = np.array([0.5 * (1 + erf(log(x / 2) / 0.5 / sqrt(2))) for x in p])
    np.testing.assert_allclose(b.win_rate(p), truth, atol=0.03)


def test_bad_input():
    for cfg, key in [(dict(target_cpa=-5), "target_cpa"), (dict(budget=0), "budget"),
                     (dict(budget=-1), "budget"), (dict(plan="curve"), "curve"),
                     (dict(curve=[1, 2]), "curve"), (dict(colour="red"), "colour")]:
        with pytest.raises(growth.InvalidArgument, match=key):
            growth.Bidder(**cfg)
    b = growth.Bidder(target_cpa=100, budget=500)
    b.record(30, 10)
    before = b.to_bytes()
    with pytest.raises(growth.InvalidArgument, match="pctr"):
        b.bid(float("nan"), 0.1)
    with pytest.raises(growth.InvalidArgument, match=r"pcvr\[2\]"):
        b.bid(np.full(4, 0.1), np.array([0.1, 0.1, np.nan, 0.1]))
    with pytest.raises(growth.InvalidArgument, match="pctr"):
        b.bid(np.array([0.1, 1.5]), 0.1)
    with pytest.raises(growth.InvalidArgument, match="cost"):
        b.record(40, -2)
    with pytest.raises(growth.InvalidArgument, match="time"):
        b.record(1e9, 2)
    with pytest.raises(growth.InvalidArgument):
        b.bid(np.zeros(3), np.zeros(4))
    with pytest.raises(growth.InvalidArgument, match="won"):
        growth._lib.check(growth._lib.lib.growth_bidder_record_auction(b._handle(), 1.0, 3, float("nan")))
    after = growth.Bidder.from_bytes(before)
    assert b.spent == after.spent == 10 and b.multiplier == after.multiplier
    with pytest.raises(growth.InvalidArgument, match="order_value"):
        growth.Bidder(mode="roi").bid(0.1, 0.1, float("nan"))


def test_persistence(tmp_path):
    b = growth.Bidder(target_cpa=100, budget=20000, auction="first", plan="curve", curve=DIURNAL)
    growth.BidSimulator(impressions=50000, seed=9, reveal_price=False, traffic=DIURNAL,
                        auction="first").run(b)
    path = tmp_path / "b.bidder"
    b.save(path)
    assert growth.model_kind(str(path))[0] == "bidder"
    for c in (growth.Bidder.load(path), growth.Bidder.from_bytes(b.to_bytes()),
              pickle.loads(pickle.dumps(b))):
        assert c.multiplier == b.multiplier and c.spent == b.spent and c.config == b.config
        np.testing.assert_array_equal(c.win_rate(np.geomspace(0.1, 10, 20)),
                                      b.win_rate(np.geomspace(0.1, 10, 20)))
        x = np.linspace(0.01, 0.2, 50)
        np.testing.assert_array_equal(c.bid(x, x), b.bid(x, x))
        c.close()
    data = b.to_bytes()
    with pytest.raises(growth.FormatError):
        growth.Bidder.from_bytes(data[:-7])
    bad = bytearray(data)
    bad[-2] ^= 1
    with pytest.raises(growth.FormatError):
        growth.Bidder.from_bytes(bytes(bad))
    cal = growth.Calibrator("platt").fit(np.array([0.1, 0.9, 0.2, 0.8], np.float32),
                                         np.array([0, 1, 0, 1], np.float32))
    cal.save(tmp_path / "c")
    with pytest.raises(growth.FormatError, match="calibrator"):
        growth.Bidder.load(tmp_path / "c")
    with pytest.raises(growth.IOFailure):
        growth.Bidder.load(tmp_path / "missing")


def test_threads_bid_while_feeding():
    b = growth.Bidder(target_cpa=100, budget=5000, day_seconds=20000, interval=20)
    stop = threading.Event()
    bad = []

    def reader():
        x = np.linspace(0, 0.3, 64)
        while not stop.is_set():
            out = b.bid(x, x)
            if not (np.all(out >= 0) and np.all(out <= 100 * x * x + 1e-12)):
                bad.append(out)

    th = [threading.Thread(target=reader) for _ in range(2)]
    for t in th:
        t.start()
    for i in range(5000):
        b.record(2.0 * i, 1.0 if i % 2 else 0.0)
    stop.set()
    for t in th:
        t.join()
    assert not bad
    assert b.multiplier < 1.0  # over-spending against the plan lowered the multiplier


def test_stats_struct_behind_the_properties():
    b = growth.Bidder(budget=100, day_seconds=1000, interval=10, initial_multiplier=0.7,
                      controller="throttle", initial_rate=0.5, auction="first")
    assert (b.multiplier, b.rate, b.spent, b.observations) == (0.7, 0.5, 0.0, 0)
    b.record([1, 2], [1.25, 0.5])
    for i in range(5):
        b.auction_result(1.0 + i, i % 2 == 1)
    assert b.spent == 1.75 and b.observations == 5 and b.rate == 0.5
    b.tick(500)
    assert 0.5 < b.rate <= 1 and b.multiplier == 0.7
    assert b.plan(500) == pytest.approx(50)
    b.new_day()
    assert b.spent == 0 and b.observations == 5
