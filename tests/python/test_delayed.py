"""growth.DelayedFeedback (delayed.h): late conversions.

- The bookkeeping and weighting (fake negative weighting, Ktena et al. 2019; the naive wait and
  the oracle) are re-implemented here in NumPy on a second model trained through the model's own
  update calls: both models must give the same predictions (to 1e-6) on a small stream with
  expiries, unknown and duplicate conversions, several heads, FTRL and FFM.
- A seeded simulation (conversion delays exponential with mean 3 days, 7-day attribution
  window): after a one-window warm-up, the FNW model's calibration ratio stays within 5% of 1
  every day, naive training that waits one day under-predicts by about the late fraction, and
  the FNW model's AUC is no worse.
- Bad input gives statuses and leaves the handle as it was.
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp

import growth
from growth.delayed import DelayedFeedback

F32 = np.float32


# ---- the NumPy reference -----------------------------------------------------------------------

class RefDelayed:
    """delayed.h's rules, written from the documentation: a FIFO of pending impressions, the
    clock, training after `elapsed`, expiry after `window`, FNW's weights from the model's own
    prediction, computed in float64 and rounded to float32."""

    def __init__(self, model, head, heads, method, window, elapsed, fields=False):
        self.m, self.head, self.heads = model, head, heads
        self.method, self.window, self.elapsed, self.fields = method, window, elapsed, fields
        self.pending = {}  # id -> dict(t0, row, state) in insertion (= time) order
        self.counts = dict(unknown=0, duplicate=0, late=0, pos=0, neg=0, expired=0)

    def _x(self, row):
        idx, val, fld = row
        X = (np.array([0, len(idx)]), np.asarray(idx, np.int64), np.asarray(val, F32))
        return X, fld

    def _p(self, row):
        X, fld = self._x(row)
        pr = self.m.predict_proba(X, fld) if self.fields else self.m.predict_proba(X)
        pr = np.asarray(pr, dtype=F32).reshape(-1)
        return float(pr[self.head])

    def _train(self, row, label, weight):
        X, fld = self._x(row)
        y = np.full((1, self.heads), growth.LABEL_MISSING, dtype=F32)
        y[0, self.head] = label
        if self.heads == 1:
            y = y[:, 0]
        w = np.array([weight], dtype=F32)
        if self.fields:
            self.m.partial_fit(X, y, fld, sample_weight=w)
        else:
            self.m.partial_fit(X, y, sample_weight=w)
        self.counts["pos" if label else "neg"] += 1

    def _first(self, e):
        if self.method == "fnw":
            p = self._p(e["row"])
            self._train(e["row"], 0.0, F32((1.0 + p) * (1.0 - p)))
            e["state"] = "neg"
        else:
            pos = e["state"] == "wait_conv"
            self._train(e["row"], 1.0 if pos else 0.0, 1.0)
            e["state"] = "done" if pos else "neg"

    def advance(self, t):
        for e in self.pending.values():  # in time order
            if e["state"] in ("wait", "wait_conv") and e["t0"] + self.elapsed < t:
                self._first(e)
        for k in [k for k, e in self.pending.items() if e["t0"] + self.window < t]:
            del self.pending[k]
            self.counts["expired"] += 1

    def impression(self, eid, t, row):
        self.advance(t)
        e = dict(t0=t, row=row, state="wait")
        self.pending[eid] = e
        if self.elapsed == 0:
            self._first(e)

    def conversion(self, eid, t):
        self.advance(t)
        e = self.pending.get(eid)
        if e is None:
            self.counts["unknown"] += 1
        elif e["state"] == "wait":
            e["state"] = "wait_conv"
        elif e["state"] == "neg":
            if self.method == "fnw":
                p = self._p(e["row"])
                self._train(e["row"], 1.0, F32(1.0 + p))
            e["state"] = "done"
            self.counts["late"] += 1
        else:
            self.counts["duplicate"] += 1


def small_stream(seed, n=250, n_feat=64, nnz=5, fields=3, window=7.0):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 30, n))
    rows = []
    for _ in range(n):
        idx = rng.choice(n_feat, nnz, replace=False).astype(np.uint32)
        val = rng.uniform(0.5, 1.5, nnz).astype(F32)
        fld = rng.integers(0, fields, nnz).astype(np.uint8)
        rows.append((idx, val, fld))
    events = [(t[i], 0, i) for i in range(n)]
    for i in range(n):
        if rng.uniform() < 0.35:
            events.append((t[i] + rng.exponential(3.0), 1, i))  # some beyond the window
            if rng.uniform() < 0.1:
                events.append((t[i] + rng.exponential(3.0), 1, i))  # duplicates
    for j in range(10):
        events.append((rng.uniform(0, 30), 1, 10_000 + j))  # unknown ids
    events.sort(key=lambda e: (e[0], e[1]))
    return rows, events


def make_model(kind, heads):
    if kind == "ftrl":
        return growth.FTRL(bits=6, heads=heads, alpha=0.3, l1=0.05, l2=0.5)
    return growth.FFM(fields=3, k=2, bits=6, heads=heads, eta=0.3, alpha=0.3, l1=0.05)


@pytest.mark.parametrize("kind,heads,head,method,elapsed", [
    ("ftrl", 1, 0, "fnw", 0.0),
    ("ftrl", 2, 1, "fnw", 0.0),
    ("ftrl", 1, 0, "naive", 1.0),
    ("ftrl", 1, 0, "naive", 0.0),
    ("ftrl", 1, 0, "naive", 7.0),  # the oracle
    ("ffm", 2, 1, "fnw", 0.0),
    ("ffm", 1, 0, "naive", 2.0),
])
def test_matches_numpy_reference(kind, heads, head, method, elapsed):
    rows, events = small_stream(1 + heads + int(elapsed))
    fields = kind == "ffm"
    lib_model, ref_model = make_model(kind, heads), make_model(kind, heads)
    d = DelayedFeedback(lib_model, head, method=method, window=7.0, elapsed=elapsed)
    ref = RefDelayed(ref_model, head, heads, method, 7.0, elapsed, fields)
    ref_model._install(ref_model._create())  # the empty model, as DelayedFeedback makes it
    for t, kind_, i in events:
        if kind_ == 0:
            idx, val, fld = rows[i]
            d.impression(i, t, idx, val, fld if fields else None)
            ref.impression(i, t, rows[i])
        else:
            d.conversion(i, t)
            ref.conversion(i, t)
    d.advance(events[-1][0] + 8.0)
    ref.advance(events[-1][0] + 8.0)
    st = d.stats()
    assert st["pending"] == 0 and st["expired"] == len(rows) == st["impressions"]
    assert st["conversions_unknown"] == ref.counts["unknown"] >= 10
    assert st["conversions_duplicate"] == ref.counts["duplicate"]
    assert st["conversions_late"] == ref.counts["late"]
    assert st["trained_positive"] == ref.counts["pos"] and st["trained_negative"] == ref.counts["neg"]
    assert st["trained_positive"] > 0 or (method == "naive" and elapsed == 0)
    # the same model: predictions on every row (and the other head untouched, trained on nothing)
    ip = np.arange(0, 5 * len(rows) + 1, 5)
    X = (ip, np.concatenate([r[0] for r in rows]).astype(np.int64), np.concatenate([r[1] for r in rows]))
    extra = (np.concatenate([r[2] for r in rows]),) if fields else ()
    a = np.asarray(lib_model.predict_proba(X, *extra)).reshape(len(rows), -1)
    b = np.asarray(ref_model.predict_proba(X, *extra)).reshape(len(rows), -1)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert a[:, head].std() > 1e-3  # it learned something
    if heads > 1 and kind == "ftrl":  # (FM heads share the factors)
        np.testing.assert_allclose(a[:, 1 - head], a[0, 1 - head], atol=1e-7)
    d.close()


# ---- the simulation ----------------------------------------------------------------------------

def simulate(seed, days, per_day, n_feat=100, nnz=6, mean_delay=3.0, window=7.0, base=-2.5):
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.6, n_feat)
    n = days * per_day
    t = np.sort(rng.uniform(0, days, n))
    idx = np.argsort(rng.uniform(size=(n, n_feat)), axis=1)[:, :nnz].astype(np.uint32)
    p = 1 / (1 + np.exp(-(base + w[idx].sum(1))))
    conv = rng.uniform(size=n) < p
    delay = rng.exponential(mean_delay, n)
    y = conv & (delay <= window)
    # the expected label: P(converts within the window | x)
    ey = p * (1 - math.exp(-window / mean_delay))
    return t, idx, y, ey, delay


def run_stream(sim, days, method, elapsed, window=7.0, bits=12):
    t, idx, y, ey, delay = sim
    n = len(t)
    X = sp.csr_matrix((np.ones(idx.size, F32), idx.ravel().astype(np.int64),
                       np.arange(0, idx.size + 1, idx.shape[1])), shape=(n, 1 << bits))
    m = growth.FTRL(bits=bits, alpha=0.05, l1=0.1, l2=1.0)
    d = DelayedFeedback(m, method=method, window=window, elapsed=elapsed)
    ev_t = np.concatenate([t, (t + delay)[y]])
    ev_k = np.concatenate([np.zeros(n, int), np.ones(int(y.sum()), int)])
    ev_i = np.concatenate([np.arange(n), np.nonzero(y)[0]])
    o = np.lexsort((ev_k, ev_t))
    ev_t, ev_k, ev_i = ev_t[o], ev_k[o], ev_i[o]
    per_day, k = [], 0
    for day in range(days):
        rows = np.nonzero((t >= day) & (t < day + 1))[0]
        pr = m.predict_proba(X[rows]).reshape(-1) if day else None
        per_day.append(None if pr is None else (pr, rows))
        end = int(np.searchsorted(ev_t, day + 1))
        for j in range(k, end):
            if ev_k[j] == 0:
                d.impression(int(ev_i[j]), float(ev_t[j]), idx[ev_i[j]])
            else:
                d.conversion(int(ev_i[j]), float(ev_t[j]))
        k = end
    return per_day, d.stats()


def test_simulation_fnw_stays_calibrated_naive_underpredicts():
    from sklearn.metrics import roc_auc_score
    days, warm = 12, 8  # the first window is the ramp-up: positives of days 0..7 still arriving
    sim = simulate(7, days, 20000)
    t, idx, y, ey, delay = sim
    late = ((delay > 1.0) & y).sum() / y.sum()  # conversions after naive's 1-day wait
    fnw, st = run_stream(sim, days, "fnw", 0.0)
    assert st["conversions_late"] == st["conversions"] > 0 and st["evicted"] == 0
    naive, _ = run_stream(sim, days, "naive", 1.0)
    for day in range(warm, days):
        pf, rows = fnw[day]
        pn, _ = naive[day]
        pcoc_f = pf.sum() / ey[rows].sum()
        pcoc_n = pn.sum() / ey[rows].sum()
        print(f"day {day}: PCOC fnw {pcoc_f:.3f} naive {pcoc_n:.3f} (1 - late fraction {1 - late:.3f})")
        assert abs(pcoc_f - 1) < 0.05, (day, pcoc_f)
        assert abs(pcoc_n - (1 - late)) < 0.1, (day, pcoc_n, 1 - late)
        auc_f, auc_n = roc_auc_score(y[rows], pf), roc_auc_score(y[rows], pn)
        assert auc_f >= auc_n - 0.005, (day, auc_f, auc_n)


# ---- memory cap, stats, configuration -------------------------------------------------------------

def test_max_memory_evicts_the_oldest_and_counts():
    m = growth.FTRL(bits=8)
    cap = 64 * 1024
    d = DelayedFeedback(m, method="fnw", window=1e9, max_memory=cap)
    rng = np.random.default_rng(3)
    for i in range(5000):
        d.impression(i, float(i), rng.choice(256, 10, replace=False))
    st = d.stats()
    assert st["evicted"] > 0 and st["pending"] + st["evicted"] == 5000
    per = 56 + 10 * 4  # REC_COST + the row of 10 slots without values (delayed.h)
    assert st["pending"] * per <= cap
    d.conversion(0, 5000.0)  # evicted: unknown
    d.conversion(4999, 5000.0)  # still pending: trains
    st2 = d.stats()
    assert st2["conversions_unknown"] == 1 and st2["conversions"] == 1 and st2["trained_positive"] == 1
    assert "max_memory=65536" in d.config and "method=fnw" in d.config


def test_head_by_name_fm_model_and_time_in_stats():
    m = growth.FM(bits=8, heads=["click", "buy"])
    d = DelayedFeedback(m, "buy", window=10.0)
    assert d.head == 1 and math.isnan(d.stats()["time"])
    d.impression(1, 0.0, [1, 2, 3])
    d.conversion(1, 2.0)
    d.conversion(1, 3.0)
    st = d.stats()
    assert st["time"] == 3.0 and st["conversions_duplicate"] == 1 and st["trained_positive"] == 1
    d.advance(10.0)
    assert d.stats()["pending"] == 1  # a conversion at exactly t0 + window still counts
    d.advance(10.5)
    assert d.stats()["pending"] == 0 and d.stats()["expired"] == 1


# ---- bad input ----------------------------------------------------------------------------------

def test_bad_input_gives_statuses_and_changes_nothing():
    m = growth.FTRL(bits=6, heads=2)
    with pytest.raises(growth.InvalidArgument, match="head"):
        DelayedFeedback(m, 2)
    with pytest.raises(growth.InvalidArgument, match="elapsed"):
        DelayedFeedback(m, method="fnw", elapsed=1.0)
    with pytest.raises(growth.InvalidArgument, match="elapsed"):
        DelayedFeedback(m, method="naive", window=1.0, elapsed=2.0)
    with pytest.raises(growth.InvalidArgument, match="window"):
        DelayedFeedback(m, window=0)
    with pytest.raises(growth.InvalidArgument, match="method"):
        DelayedFeedback(m, method="esdfm2")
    with pytest.raises(TypeError):
        DelayedFeedback(object())
    d = DelayedFeedback(m, 1, window=5.0)
    d.impression(1, 1.0, [1, 2])
    before = (d.stats(), m.predict_proba((np.array([0, 2]), np.array([1, 2]))).tolist())
    with pytest.raises(growth.InvalidArgument, match="backwards"):
        d.impression(2, 0.5, [1])
    with pytest.raises(growth.InvalidArgument, match="backwards"):
        d.conversion(1, 0.5)
    with pytest.raises(growth.InvalidArgument, match="backwards"):
        d.advance(0.5)
    for bad in (math.nan, math.inf):
        with pytest.raises(growth.InvalidArgument, match="finite"):
            d.impression(2, bad, [1])
        with pytest.raises(growth.InvalidArgument, match="finite"):
            d.conversion(1, bad)
        with pytest.raises(growth.InvalidArgument, match="finite"):
            d.advance(bad)
    with pytest.raises(growth.InvalidArgument, match="already pending"):
        d.impression(1, 2.0, [3])
    with pytest.raises(growth.InvalidArgument, match="bad row"):
        d.impression(2, 2.0, [64])  # slot beyond 2^6
    with pytest.raises(growth.InvalidArgument, match="bad row"):
        d.impression(2, 2.0, [1], [math.nan])
    with pytest.raises(growth.InvalidArgument, match="fld"):
        d.impression(2, 2.0, [1], None, [0])
    after = (d.stats(), m.predict_proba((np.array([0, 2]), np.array([1, 2]))).tolist())
    assert after == before or (after[0] == before[0] and after[1] == before[1])
    d.conversion(99, 2.0)  # unknown: counted, not an error
    assert d.stats()["conversions_unknown"] == 1
    # an id whose window has ended may come again
    d.impression(1, 7.0, [1])
    assert d.stats()["expired"] == 1
    d.close()
    with pytest.raises(ValueError):
        d.advance(8.0)


def test_impressions_batch_equals_one_by_one():
    rows, events = small_stream(5, n=60)
    imps = [(t, i) for t, k, i in events if k == 0]
    ids = np.array([i for _, i in imps])
    ts = np.array([t for t, _ in imps])
    X = sp.csr_matrix((np.concatenate([rows[i][1] for i in ids]), np.concatenate([rows[i][0] for i in ids]),
                       np.arange(0, 5 * len(ids) + 1, 5)), shape=(len(ids), 64))
    fl = np.concatenate([rows[i][2] for i in ids])
    a, b = growth.FFM(fields=3, k=2, bits=6), growth.FFM(fields=3, k=2, bits=6)
    da, db = DelayedFeedback(a), DelayedFeedback(b)
    da.impressions(ids, ts, X, fl)
    for j, i in enumerate(ids):
        db.impression(i, ts[j], rows[i][0], rows[i][1], rows[i][2])
    assert da.stats() == db.stats()
    np.testing.assert_array_equal(a.predict_proba(X, fl), b.predict_proba(X, fl))
    with pytest.raises(growth.InvalidArgument, match="indices"):
        da.impression(1000, ts[-1], [-1])
    with pytest.raises(growth.InvalidArgument, match="indices"):
        da.impression(1000, ts[-1], [2 ** 32 + 1])
    with pytest.raises(growth.InvalidArgument, match="values"):
        da.impression(1000, ts[-1], [1, 2], [1.0])


def test_trainer_keeps_the_model_alive():
    m = growth.FTRL(bits=6)
    d = DelayedFeedback(m)
    m.close()  # the model's C handle lives until the trainer goes
    d.impression(1, 0.0, [1, 2])
    d.conversion(1, 1.0)
    assert d.stats()["trained_positive"] == 1
    d.close()
