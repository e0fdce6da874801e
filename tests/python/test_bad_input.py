"""The bad-input matrix through the Python binding (mirrors tests/c/test_bad_input*.c).

Each case calls a class or function of the package with None, wrong shapes, empty arrays,
NaN/Inf, out-of-range configuration, or a model file of another kind, and expects the binding's
exception type (growth.InvalidArgument, FormatError, NotFound, ...) with a message. Cases that
use a handle then check that the handle gives exactly the output it gave before the bad call.
"""
import ctypes

import numpy as np
import pytest

import growth
from growth import audience, bandit, bidding, budget, export, metrics
from growth._lib import lib, check
from growth.text import fuse, prerank

E = growth  # exception types live on the package

RNG = np.random.default_rng(13)
XF = RNG.random((40, 3)).astype(np.float32)
YF = (XF[:, 0] + XF[:, 1] > 0.9).astype(np.float32)
CSR = (np.array([0, 2, 3], np.uint64), np.array([1, 5, 7], np.uint32))
S8 = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.8, 0.9], np.float32)
Y8 = np.array([0, 0, 1, 0, 0, 1, 1, 1], np.float32)
V6 = RNG.standard_normal((6, 4)).astype(np.float32)
DOCS = ["red running shoes", "blue running shirt", "red coffee mug", "红色 跑鞋"]


def with_nan(a, i=1):
    a = np.array(a, dtype=np.float64 if np.asarray(a).dtype == np.float64 else np.float32)
    a.flat[i] = np.nan
    return a


def stats_struct(fn, handle, cls, size, *args):
    """Calls a growth_*_stats_get-style function with a struct whose struct_size is `size`."""
    st = cls(struct_size=size)
    check(fn(handle, *args, ctypes.byref(st)))
    return st


def canceled_add(obj, *args, **kw):
    """obj.add(...) with a progress callback that cancels at once; the callback is removed after."""
    obj.set_progress(lambda stage, done: True)
    try:
        obj.add(*args, **kw)
    finally:
        obj.set_progress(None)


def with_inf(a, i=1):
    a = np.array(a, dtype=np.float32)
    a.flat[i] = np.inf
    return a


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad_input")
    h = type("Models", (), {})()
    h.dir = d
    h.ftrl = growth.FTRL(bits=10, heads=2)
    h.ftrl.partial_fit(CSR, np.array([[1, 0], [0, 1]], np.float32))
    h.ftrl.save(d / "ftrl.model")
    h.other_kind = d / "ftrl.model"
    (d / "garbage.bin").write_bytes(b"not a libgrowth model file at all, just some bytes" * 2)
    h.garbage = d / "garbage.bin"
    h.cal = growth.Calibrator("isotonic").fit(S8, Y8)
    h.bandit = growth.Bandit("thompson", arms=[1, 2, 3], seed=7)
    h.bidder = growth.Bidder(target_cpa=50, budget=100, day_seconds=1000)
    h.solver = budget.MCKPSolver()
    h.index = growth.Index(dim=4, metric="cosine", kind="hnsw")
    h.index.add(V6, ids=np.arange(10, 16))
    h.text = growth.TextIndex()
    h.text.add([1, 2, 3, 4], DOCS)
    h.forest = growth.Forest.train(XF, YF, params="objective=binary:logistic max_depth=2", num_rounds=5)
    layers = [("dense", RNG.standard_normal((2, 3)).astype(np.float32), np.zeros(2, np.float32)), "relu",
              ("dense", RNG.standard_normal((1, 2)).astype(np.float32), np.zeros(1, np.float32))]
    export.write_net(d / "m.net", layers, 3)
    h.net = growth.Net.load(d / "m.net")
    q = [("dense", RNG.standard_normal((4, 32)).astype(np.float32), np.zeros(4, np.float32)), "tanh"]
    export.write_dssm(d / "m.dssm", q, q, 32, seed=3)
    h.dssm = growth.DSSM.load(d / "m.dssm")
    yield h
    for name in ("ftrl", "cal", "bandit", "bidder", "solver", "index", "text", "forest", "net", "dssm"):
        getattr(h, name).close()


# What each handle computes; it must not change through a failed call.
PROBES = {
    "ftrl": lambda h: h.ftrl.predict_proba(CSR),
    "cal": lambda h: h.cal.predict(S8),
    "bandit": lambda h: ([h.bandit.arm_stats(a) for a in (1, 2, 3)], h.bandit.stats(), len(h.bandit)),
    "bidder": lambda h: (h.bidder.bid(0.1, 0.2), h.bidder.plan(500), h.bidder.spent, h.bidder.multiplier),
    "index": lambda h: (h.index.search(V6[:2], 3), len(h.index)),
    "text": lambda h: (h.text.search("red running", 4), h.text.counts()),
    "forest": lambda h: (h.forest.predict(XF), h.forest.n_trees),
    "net": lambda h: h.net.predict(XF),
    "dssm": lambda h: h.dssm.encode_items(DOCS),
}


CASES = [
    # core and features
    ("model_kind_missing", None, lambda h: growth.model_kind(h.dir / "missing"), E.IOFailure),
    ("model_kind_garbage", None, lambda h: growth.model_kind(h.garbage), E.FormatError),
    ("feature_hash_bits", None, lambda h: growth.feature_hash("a", "b", bits=0), E.InvalidArgument),
    ("row_bits", None, lambda h: growth.Row(bits=40), E.InvalidArgument),
    ("row_nan", None, lambda h: growth.Row(bits=8).add_num("x", float("nan")), E.InvalidArgument),
    # ftrl
    ("ftrl_config", None, lambda h: growth.FTRL(alpha=0).partial_fit(CSR, [1, 0]), E.InvalidArgument),
    ("ftrl_nan_values", "ftrl", lambda h: h.ftrl.predict_proba((*CSR, with_nan([1, 1, 1]))), E.InvalidArgument),
    ("ftrl_index_range", "ftrl", lambda h: h.ftrl.predict_proba((CSR[0], np.array([1, 5, 4096], np.uint32))), E.InvalidArgument),
    ("ftrl_bad_label", "ftrl", lambda h: h.ftrl.partial_fit(CSR, np.array([[1, 0.5], [0, 1]], np.float32)), E.InvalidArgument),
    ("ftrl_load_other", None, lambda h: growth.FTRL.load(h.garbage), E.FormatError),
    ("ftrl_from_bytes", None, lambda h: growth.FTRL.from_bytes(b""), E.FormatError),
    ("ftrl_head_unknown", "ftrl", lambda h: h.ftrl.head_index("nope"), E.NotFound),
    ("ftrl_weight_head", "ftrl", lambda h: h.ftrl.weight(1, head=2), E.InvalidArgument),
    ("ftrl_weight_negative_head", "ftrl", lambda h: h.ftrl.weight(1, head=-1), E.InvalidArgument),
    ("ftrl_esmm_head", "ftrl", lambda h: growth.esmm_predict(h.ftrl, h.ftrl, CSR, 0, 5), E.InvalidArgument),
    # metrics
    ("auc_empty", None, lambda h: metrics.auc([], []), E.InvalidArgument),
    ("auc_nan", None, lambda h: metrics.auc(Y8, with_nan(S8)), E.InvalidArgument),
    ("auc_2d", None, lambda h: metrics.auc(Y8.reshape(2, 4), S8.reshape(2, 4)), E.InvalidArgument),
    ("logloss_range", None, lambda h: metrics.log_loss(Y8, S8 * 2), E.InvalidArgument),
    ("ece_bins", None, lambda h: metrics.ece(Y8, S8, n_bins=0), E.InvalidArgument),
    ("ece_strategy", None, lambda h: metrics.ece(Y8, S8, strategy="kmeans"), E.InvalidArgument),
    ("mce_bins_range", None, lambda h: metrics.mce(Y8, S8, n_bins=2 ** 20 + 1), E.InvalidArgument),
    ("reliability_bins", None, lambda h: metrics.reliability(Y8, S8, n_bins=0), E.InvalidArgument),
    ("field_rce_no_pos", None, lambda h: metrics.field_rce(np.zeros(8), S8, np.arange(8)), E.InvalidArgument),
    # calibration
    ("cal_method", None, lambda h: growth.Calibrator("spline").fit(S8, Y8), E.InvalidArgument),
    ("cal_unfitted", None, lambda h: growth.Calibrator("platt").predict(S8), E.InvalidState),
    ("cal_nan", "cal", lambda h: h.cal.predict(with_nan(S8)), E.InvalidArgument),
    ("cal_shape", "cal", lambda h: h.cal.predict(S8.reshape(2, 4)), E.InvalidArgument),
    ("cal_fit_inf", "cal", lambda h: growth.Calibrator("isotonic").fit(with_inf(S8), Y8), E.InvalidArgument),
    ("cal_fit_one_class", None, lambda h: growth.Calibrator().fit(S8, np.zeros(8)), E.InvalidArgument),
    ("cal_load_other", None, lambda h: growth.Calibrator.load(h.other_kind), E.FormatError),
    # bandit
    ("bandit_policy", None, lambda h: growth.Bandit("softmax"), E.InvalidArgument),
    ("bandit_dup_arm", "bandit", lambda h: h.bandit.add_arm(1), E.InvalidArgument),
    ("bandit_prior_nan", "bandit", lambda h: h.bandit.add_arm(9, prior_rate=float("nan"), prior_strength=1), E.InvalidArgument),
    ("bandit_remove_unknown", "bandit", lambda h: h.bandit.remove_arm(77), E.NotFound),
    ("bandit_eligible_unknown", "bandit", lambda h: h.bandit.select(eligible=[77]), E.NotFound),
    ("bandit_k_zero", "bandit", lambda h: h.bandit.select(k=0), E.InvalidArgument),
    ("bandit_reward_nan", "bandit", lambda h: h.bandit.reward(1, float("nan")), E.InvalidArgument),
    ("bandit_context_no_dim", "bandit", lambda h: h.bandit.select(context=[1.0, 2.0]), E.InvalidArgument),
    ("bandit_load_other", None, lambda h: growth.Bandit.load(h.other_kind), E.FormatError),
    ("sample_beta_zero", None, lambda h: growth.bandit_sample_beta([1.0], [0.0]), E.InvalidArgument),
    ("bandit_arm_stats_unknown", "bandit", lambda h: h.bandit.arm_stats(77), E.NotFound),
    ("bandit_stats_size0", "bandit", lambda h: stats_struct(lib.growth_bandit_stats_get, h.bandit._handle(), bandit._BanditStats, 0), E.InvalidArgument),
    ("bandit_arm_stats_small", "bandit", lambda h: stats_struct(lib.growth_bandit_arm_stats_get, h.bandit._handle(), bandit._ArmStats, 8, 1), E.InvalidArgument),
    ("bandit_ope_estimator", None, lambda h: growth.bandit.ope("softmax", [0], [1.0], [[1.0]], [1.0]), E.InvalidArgument),
    ("bandit_ope_no_propensities", None, lambda h: growth.bandit.ope("ips", [0], [1.0], [[1.0]]), E.InvalidArgument),
    ("bandit_ope_dm_no_qhat", None, lambda h: growth.bandit.ope("dm", [0], [1.0], [[1.0]]), E.InvalidArgument),
    ("bandit_ope_lambda_neg", None, lambda h: growth.bandit.ope("dros", [0], [1.0], [[1.0]], [1.0], lambda_=-1), E.InvalidArgument),
    ("bandit_ope_interval_conf", None, lambda h: growth.bandit.ope_interval("ips", [0], [1.0], [[1.0]], [1.0], confidence=1.0), E.InvalidArgument),
    ("bandit_ope_interval_resamples", None, lambda h: growth.bandit.ope_interval("ips", [0], [1.0], [[1.0]], [1.0], resamples=0), E.InvalidArgument),
    ("bandit_ope_interval_zero_weight", None, lambda h: growth.bandit.ope_interval("snips", [0], [1.0], [[0.0, 1.0]], [1.0]), E.InvalidState),
    # bidding
    ("bidder_budget", None, lambda h: growth.Bidder(budget=0), E.InvalidArgument),
    ("bidder_nan", "bidder", lambda h: h.bidder.bid(float("nan"), 0.2), E.InvalidArgument),
    ("bidder_range", "bidder", lambda h: h.bidder.bid(0.1, 1.5), E.InvalidArgument),
    ("bidder_record_neg", "bidder", lambda h: h.bidder.record(10, -1), E.InvalidArgument),
    ("bidder_tick_inf", "bidder", lambda h: h.bidder.tick(float("inf")), E.InvalidArgument),
    ("bidder_load_other", None, lambda h: growth.Bidder.load(h.other_kind), E.FormatError),
    ("bidder_win_rate_price", "bidder", lambda h: h.bidder.win_rate(-1.0), E.InvalidArgument),
    ("bidder_plan_nan", "bidder", lambda h: h.bidder.plan(float("nan")), E.InvalidArgument),
    ("bidder_stats_size0", "bidder", lambda h: stats_struct(lib.growth_bidder_stats_get, h.bidder._handle(), bidding._Stats, 0), E.InvalidArgument),
    # budget
    ("mckp_threads", None, lambda h: budget.MCKPSolver(threads=0), E.InvalidArgument),
    ("mckp_negative_value", None, lambda h: h.solver.solve(-np.ones((3, 2)), np.ones((3, 2)), 1.0), E.InvalidArgument),
    ("mckp_inf_cost", None, lambda h: h.solver.solve(np.ones((3, 2)), np.full((3, 2), np.inf), 1.0), E.InvalidArgument),
    ("mckp_neg_budget", None, lambda h: h.solver.solve(np.ones((3, 2)), np.ones((3, 2)), -1.0), E.InvalidArgument),
    ("channels_kind", None, lambda h: budget.allocate_channels([("cubic", 1, 1)], 10), E.InvalidArgument),
    ("channels_nan", None, lambda h: budget.allocate_channels([("exp", 5000, 1e-4)], float("nan")), E.InvalidArgument),
    ("push_category", None, lambda h: budget.allocate_push([0, 1], [0.5, 0.2], [0, 5], n_categories=2), E.InvalidArgument),
    ("push_progress_cancel", None, lambda h: budget.allocate_push([0, 1], [0.5, 0.2], [0, 1], progress=lambda stage, done: True), E.Canceled),
    ("channels_points_convex", None, lambda h: budget.allocate_channels([("points", [0, 1, 2], [0, 1, 3])], 1), E.InvalidArgument),
    # vector index
    ("index_dim", None, lambda h: growth.Index(dim=0), E.InvalidArgument),
    ("index_nan", "index", lambda h: h.index.add(with_nan(V6[:1]), ids=[100]), E.InvalidArgument),
    ("index_width", "index", lambda h: h.index.add(V6[:, :3], ids=np.arange(100, 106)), E.InvalidArgument),
    ("index_dup", "index", lambda h: h.index.add(V6[:1], ids=[10]), E.InvalidArgument),
    ("index_k0", "index", lambda h: h.index.search(V6[:1], 0), E.InvalidArgument),
    ("index_get_unknown", "index", lambda h: h.index.get(999), E.NotFound),
    ("index_get_negative", "index", lambda h: h.index.get(-1), E.NotFound),
    ("index_dedup_unknown", "index", lambda h: h.index.dedup([10, 999]), E.NotFound),
    ("index_mmr_lambda", "index", lambda h: h.index.mmr(V6[0], [10, 11], 1, lam=2.0), E.InvalidArgument),
    ("index_load_other", None, lambda h: growth.Index.load(h.other_kind), E.FormatError),
    ("index_set_progress_cancel", "index", lambda h: canceled_add(h.index, V6[:1], ids=[100]), E.Canceled),
    # text
    ("text_config", None, lambda h: growth.TextIndex(k1=-1), E.InvalidArgument),
    ("text_empty_query", "text", lambda h: h.text.search("", 3), E.InvalidArgument),
    ("text_k0", "text", lambda h: h.text.search("red", 0), E.InvalidArgument),
    ("text_dup", "text", lambda h: h.text.add([2], ["again"]), E.InvalidArgument),
    ("text_bad_utf8", "text", lambda h: h.text.add([9], [b"caf\xc3"]), E.InvalidArgument),
    ("text_set_progress_cancel", "text", lambda h: canceled_add(h.text, [9], ["x"]), E.Canceled),
    ("text_score_unknown", "text", lambda h: h.text.score("red", [1, 99]), E.NotFound),
    ("text_load_other", None, lambda h: growth.TextIndex.load(h.other_kind), E.FormatError),
    ("fuse_k0", None, lambda h: fuse([([1, 2], [1.0, 0.5])], 0), E.InvalidArgument),
    ("fuse_normalize", None, lambda h: fuse([([1, 2], [1.0, 0.5])], 2, method="weighted", normalize="zscore"), E.InvalidArgument),
    ("fuse_norm_conflict", None, lambda h: fuse([([1, 2], [1.0, 0.5])], 2, norm="max", normalize="none"), E.InvalidArgument),
    ("rank_fuse_fit_cancel", None, lambda h: growth.rank.fuse_fit(S8.reshape(2, 4), Y8[:4], 2, progress=lambda s, d: True), E.Canceled),
    ("prerank_nan", None, lambda h: prerank(with_nan(np.ones((3, 2))), [1.0, 1.0]), E.InvalidArgument),
    # forest
    ("forest_rounds", None, lambda h: growth.Forest.train(XF, YF, num_rounds=0), E.InvalidArgument),
    ("forest_nan_label", None, lambda h: growth.Forest.train(XF, with_nan(YF), num_rounds=2), E.InvalidArgument),
    ("forest_width", "forest", lambda h: h.forest.predict(XF[:, :2]), E.InvalidArgument),
    ("forest_importance", "forest", lambda h: h.forest.importance("magic"), E.InvalidArgument),
    ("forest_canceled", None, lambda h: growth.Forest.train(XF, YF, num_rounds=3, progress=lambda s, d: True), E.Canceled),
    ("forest_load_other", None, lambda h: growth.Forest.load(h.other_kind), E.FormatError),
    ("forest_from_bytes", None, lambda h: growth.Forest.from_bytes(b"\x00" * 40), E.FormatError),
    # nets
    ("net_width", "net", lambda h: h.net.predict(XF[:, :2]), E.InvalidArgument),
    ("net_nan", "net", lambda h: h.net.predict(with_nan(XF, 4)), E.InvalidArgument),
    ("net_inf", "net", lambda h: h.net.predict(with_inf(XF, 4)), E.InvalidArgument),
    ("net_load_other", None, lambda h: growth.Net.load(h.other_kind), E.FormatError),
    ("net_load_dssm", None, lambda h: growth.Net.load(h.dir / "m.dssm"), E.FormatError),
    ("dssm_one_string", "dssm", lambda h: h.dssm.encode_queries("one string"), E.InvalidArgument),
    ("dssm_hash_buckets", None, lambda h: growth.nets.hash_text("red shoes", 0), E.InvalidArgument),
    ("dssm_load_net", None, lambda h: growth.DSSM.load(h.dir / "m.net"), E.FormatError),
    # audience
    ("tgi_empty_seed", None, lambda h: audience.tgi(CSR, [], ncols=8), E.InvalidArgument),
    ("tgi_seed_range", None, lambda h: audience.tgi(CSR, [5], ncols=8), E.InvalidArgument),
    ("peer_nan", None, lambda h: audience.peer(with_nan(V6), [0], 2), E.InvalidArgument),
    ("peer_too_many", None, lambda h: audience.peer(V6, [0], 10), E.InvalidArgument),
    ("select_n0", None, lambda h: audience.select([1, 2], [0.5, 0.2], 0), E.InvalidArgument),
    ("topn_range", None, lambda h: audience.topn_precision(S8, Y8, 9), E.InvalidArgument),
    ("lift_nan", None, lambda h: audience.lift(with_nan(S8), Y8, 2), E.InvalidArgument),
]


@pytest.mark.parametrize("name,handle,call,exc", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_and_handle_survives(m, name, handle, call, exc):
    before = PROBES[handle](m) if handle else None
    with pytest.raises(exc) as info:
        call(m)
    assert isinstance(info.value, growth.GrowthError)
    assert str(info.value).strip(), "the exception carries the library's message"
    if handle:
        after = PROBES[handle](m)
        assert_same(before, after)


def assert_same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    else:
        np.testing.assert_array_equal(a, b)


def test_every_module_is_in_the_matrix():
    # One case per module at least, so a new module cannot be forgotten silently.
    prefixes = {c[0].split("_")[0] for c in CASES}
    for p in ("ftrl", "cal", "bandit", "bidder", "mckp", "channels", "push", "index", "text",
              "forest", "net", "dssm", "tgi", "peer", "auc", "row"):
        assert p in prefixes, p
