"""AUC, GAUC, log-loss, normalised entropy and calibration ratio (metrics.h).

Argument order follows scikit-learn: labels first, then scores or probabilities, then the
optional ``sample_weight``. Inputs are any array-likes; they are converted to contiguous
float32 (labels and scores), float32 weights and int64 group ids. Labels must be exactly 0 or 1.
Invalid input raises ``growth.InvalidArgument`` with the library's message.

>>> from growth import metrics
>>> metrics.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""
from __future__ import annotations

import ctypes

import numpy as np

from . import _lib
from ._lib import lib, check, c_int, c_size_t, c_double, c_void_p, c_char_p, P
from ._options import _config
from .errors import InvalidArgument
from ._types import ArrayLike

__all__ = ["auc", "gauc", "gauc_detail", "log_loss", "normalized_entropy", "calibration_ratio",
           "pcoc", "ece", "mce", "reliability", "field_ece", "field_rce", "field_rce_detail",
           "uplift_at_k", "uplift_curve", "qini_curve", "uplift_auc_score", "qini_auc_score"]


_lib.declare({
    "growth_metrics_ece": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, P(c_double)]),
    "growth_metrics_mce": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, P(c_double)]),
    "growth_metrics_reliability": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, c_void_p,
                                           c_void_p, c_void_p, c_size_t, P(c_size_t)]),
    "growth_metrics_field_ece": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, P(c_double)]),
    "growth_metrics_field_rce": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, P(c_double),
                                 P(c_size_t)]),
    "growth_metrics_uplift_at_k": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, P(c_double)]),
    "growth_metrics_uplift_auc": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, P(c_double)]),
    "growth_metrics_qini_auc": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, P(c_double)]),
    "growth_metrics_uplift_curve": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, c_void_p,
                                            c_void_p, c_size_t, P(c_size_t)]),
    "growth_metrics_qini_curve": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_char_p, c_void_p,
                                          c_void_p, c_size_t, P(c_size_t)]),
})

_STRATEGIES = ("uniform", "quantile")  # the `binning` key of the C config


def _vec(x, dtype, name):
    """A 1-D contiguous array of `dtype`; anything else is InvalidArgument (a ValueError)."""
    a = np.ascontiguousarray(x, dtype=dtype)
    if a.ndim != 1:
        raise InvalidArgument(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def _prepare(y_true, y_score, sample_weight, score_name):
    """Converts labels, scores and optional weights; checks their lengths agree."""
    y = _vec(y_true, np.float32, "y_true")
    s = _vec(y_score, np.float32, score_name)
    if len(s) != len(y):
        raise InvalidArgument(f"y_true has {len(y)} entries but {score_name} has {len(s)}")
    w = None
    if sample_weight is not None:
        w = _vec(sample_weight, np.float32, "sample_weight")
        if len(w) != len(y):
            raise InvalidArgument(f"y_true has {len(y)} entries but sample_weight has {len(w)}")
    return y, s, w


def _ptr(a):
    return None if a is None else a.ctypes.data


def _call(fn, y_true, y_score, sample_weight, score_name):
    y, s, w = _prepare(y_true, y_score, sample_weight, score_name)
    out = ctypes.c_double()
    check(fn(_ptr(s), _ptr(y), _ptr(w), len(y), ctypes.byref(out)))
    return out.value


def auc(y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Exact area under the ROC curve (ties count one half), as sklearn's roc_auc_score."""
    return _call(lib.growth_metrics_auc, y_true, y_score, sample_weight, "y_score")


def gauc_detail(y_true: ArrayLike, y_score: ArrayLike, groups: ArrayLike,
                sample_weight: ArrayLike | None = None) -> tuple[float, int]:
    """(GAUC, number of groups that entered the average).

    GAUC is the mean of per-group AUCs weighted by each group's total sample weight (its size
    when unweighted); groups with only one class are skipped. `groups` are integer ids in any
    order.
    """
    y, s, w = _prepare(y_true, y_score, sample_weight, "y_score")
    g = np.asarray(groups)
    if g.dtype.kind not in "iub":
        raise InvalidArgument(f"groups must be integer ids, got dtype {g.dtype}")
    g = _vec(g, np.int64, "groups")
    if len(g) != len(y):
        raise InvalidArgument(f"y_true has {len(y)} entries but groups has {len(g)}")
    out = ctypes.c_double()
    used = ctypes.c_size_t()
    check(lib.growth_metrics_gauc(_ptr(s), _ptr(y), _ptr(w), _ptr(g), len(y), ctypes.byref(out),
                          ctypes.byref(used)))
    return out.value, used.value


def gauc(y_true: ArrayLike, y_score: ArrayLike, groups: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Group AUC (see gauc_detail)."""
    return gauc_detail(y_true, y_score, groups, sample_weight)[0]


def log_loss(y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Mean (weighted) binary log-loss; probabilities clipped to [1e-15, 1 - 1e-15]."""
    return _call(lib.growth_metrics_logloss, y_true, y_prob, sample_weight, "y_prob")


def normalized_entropy(y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Log-loss divided by the entropy of the (weighted) base rate; below 1 beats the base rate."""
    return _call(lib.growth_metrics_normalized_entropy, y_true, y_prob, sample_weight, "y_prob")


def calibration_ratio(y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """sum(w * p) / sum(w * y): 1 is calibrated, above 1 over-predicts."""
    return _call(lib.growth_metrics_pcoc, y_true, y_prob, sample_weight, "y_prob")


pcoc = calibration_ratio


def _bin_config(n_bins, strategy):
    """The C config ("bins=10 binning=uniform") of `n_bins` and `strategy`."""
    if not isinstance(strategy, str) or strategy not in _STRATEGIES:
        raise InvalidArgument(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    return _config(bins=int(n_bins), binning=strategy).encode()


def _groups(fields, n):
    g = np.asarray(fields)
    if g.dtype.kind not in "iub":
        raise InvalidArgument(f"fields must be integer ids, got dtype {g.dtype}")
    g = _vec(g, np.int64, "fields")
    if len(g) != n:
        raise InvalidArgument(f"y_true has {n} entries but fields has {len(g)}")
    return g


def _binned(fn, y_true, y_prob, sample_weight, n_bins, strategy):
    y, s, w = _prepare(y_true, y_prob, sample_weight, "y_prob")
    out = ctypes.c_double()
    check(fn(_ptr(s), _ptr(y), _ptr(w), len(y), _bin_config(n_bins, strategy), ctypes.byref(out)))
    return out.value


def ece(y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None, n_bins: int = 10,
        strategy: str = "uniform") -> float:
    """Expected calibration error over `n_bins` bins of equal width ('uniform') or equal
    mass ('quantile'): the weight-averaged abs(mean probability - positive rate)."""
    return _binned(lib.growth_metrics_ece, y_true, y_prob, sample_weight, n_bins, strategy)


def mce(y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None, n_bins: int = 10,
        strategy: str = "uniform") -> float:
    """Maximum calibration error: the largest abs(mean probability - positive rate) of a bin."""
    return _binned(lib.growth_metrics_mce, y_true, y_prob, sample_weight, n_bins, strategy)


def reliability(y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None, n_bins: int = 10,
                strategy: str = "uniform") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reliability-diagram table: (mean probability, positive rate, weight) arrays per bin.
    Uniform bins are all reported (empty ones with weight 0 and NaN); quantile bins that exist."""
    y, s, w = _prepare(y_true, y_prob, sample_weight, "y_prob")
    cap = max(int(n_bins), 0)
    mp, pr, wt = (np.empty(cap, dtype=np.float64) for _ in range(3))
    nb = ctypes.c_size_t()
    check(lib.growth_metrics_reliability(_ptr(s), _ptr(y), _ptr(w), len(y), _bin_config(n_bins, strategy),
                                         _ptr(mp), _ptr(pr), _ptr(wt), cap, ctypes.byref(nb)))
    k = nb.value
    return mp[:k], pr[:k], wt[:k]


def field_ece(y_true: ArrayLike, y_prob: ArrayLike, fields: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Field-level ECE (Pan et al. 2020): sum over field values of abs(sum w (y - p)) / sum w."""
    y, s, w = _prepare(y_true, y_prob, sample_weight, "y_prob")
    g = _groups(fields, len(y))
    out = ctypes.c_double()
    check(lib.growth_metrics_field_ece(_ptr(s), _ptr(y), _ptr(w), _ptr(g), len(y), ctypes.byref(out)))
    return out.value


def field_rce_detail(y_true: ArrayLike, y_prob: ArrayLike, fields: ArrayLike,
                     sample_weight: ArrayLike | None = None) -> tuple[float, int]:
    """(Field-RCE, number of field values used); values without positive labels are left out."""
    y, s, w = _prepare(y_true, y_prob, sample_weight, "y_prob")
    g = _groups(fields, len(y))
    out, used = ctypes.c_double(), ctypes.c_size_t()
    check(lib.growth_metrics_field_rce(_ptr(s), _ptr(y), _ptr(w), _ptr(g), len(y), ctypes.byref(out),
                               ctypes.byref(used)))
    return out.value, used.value


def field_rce(y_true: ArrayLike, y_prob: ArrayLike, fields: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Field-level relative calibration error (Pan et al. 2020): the weight-averaged
    abs(sum w (y - p)) / sum w y over field values."""
    return field_rce_detail(y_true, y_prob, fields, sample_weight)[0]


# ---- uplift metrics (scikit-uplift's definitions; argument order as sklift: y_true, uplift, treatment)


def _uplift_inputs(y_true, uplift, treatment):
    y = _vec(y_true, np.float32, "y_true")
    u = _vec(uplift, np.float32, "uplift")
    t = _vec(treatment, np.int32, "treatment")
    if not (len(y) == len(u) == len(t)):
        raise InvalidArgument(f"y_true, uplift and treatment have {len(y)}, {len(u)} and {len(t)} entries")
    return y, u, t


def _uplift_scalar(fn, y_true, uplift, treatment, cfg):
    y, u, t = _uplift_inputs(y_true, uplift, treatment)
    out = ctypes.c_double()
    check(fn(_ptr(u), _ptr(y), _ptr(t), len(y), cfg.encode(), ctypes.byref(out)))
    return out.value


def uplift_at_k(y_true: ArrayLike, uplift: ArrayLike, treatment: ArrayLike, strategy: str = "overall",
                k: float | int = 0.3, arm: int = 0) -> float:
    """Conversion rate of the treated minus that of the control among the top rows by uplift
    (sklift.metrics.uplift_at_k: ``strategy`` 'overall' or 'by_group'; ``k`` a fraction in
    (0, 1) or an int count). ``treatment``: 0 = control, 1.. = treatments; ``arm=t`` compares
    the control with arm t only, 0 pools every treatment."""
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        cfg = _config(arm=int(arm), count=int(k), strategy=strategy)
    else:
        cfg = _config(arm=int(arm), k=float(k), strategy=strategy)
    return _uplift_scalar(lib.growth_metrics_uplift_at_k, y_true, uplift, treatment, cfg)


def uplift_auc_score(y_true: ArrayLike, uplift: ArrayLike, treatment: ArrayLike, arm: int = 0) -> float:
    """AUUC: normalised area under the uplift curve (sklift.metrics.uplift_auc_score)."""
    return _uplift_scalar(lib.growth_metrics_uplift_auc, y_true, uplift, treatment, _config(arm=int(arm)))


def qini_auc_score(y_true: ArrayLike, uplift: ArrayLike, treatment: ArrayLike, negative_effect: bool = True,
                   arm: int = 0) -> float:
    """Qini coefficient: normalised area under the Qini curve (sklift.metrics.qini_auc_score)."""
    return _uplift_scalar(lib.growth_metrics_qini_auc, y_true, uplift, treatment,
                          _config(arm=int(arm), negative_effect=bool(negative_effect)))


def _curve(fn, y_true, uplift, treatment, cfg):
    y, u, t = _uplift_inputs(y_true, uplift, treatment)
    cap = len(y) + 1
    x = np.empty(cap, dtype=np.float64)
    v = np.empty(cap, dtype=np.float64)
    m = c_size_t()
    check(fn(_ptr(u), _ptr(y), _ptr(t), len(y), cfg.encode(), _ptr(x), _ptr(v), cap, ctypes.byref(m)))
    return x[:m.value].copy(), v[:m.value].copy()


def uplift_curve(y_true: ArrayLike, uplift: ArrayLike, treatment: ArrayLike, perfect: bool = False,
                 arm: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) points of the uplift curve (sklift.metrics.uplift_curve), or of the perfect one
    (``perfect=True``: sklift.metrics.perfect_uplift_curve)."""
    return _curve(lib.growth_metrics_uplift_curve, y_true, uplift, treatment,
                  _config(arm=int(arm), perfect=bool(perfect)))


def qini_curve(y_true: ArrayLike, uplift: ArrayLike, treatment: ArrayLike, perfect: bool = False,
               negative_effect: bool = True, arm: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) points of the Qini curve (sklift.metrics.qini_curve), or of the perfect one
    (``perfect=True``: sklift.metrics.perfect_qini_curve)."""
    return _curve(lib.growth_metrics_qini_curve, y_true, uplift, treatment,
                  _config(arm=int(arm), perfect=bool(perfect), negative_effect=bool(negative_effect)))
