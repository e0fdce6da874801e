"""AUC, GAUC, log-loss, normalised entropy and calibration ratio (metrics.h).

Argument order follows scikit-learn: labels first, then scores or probabilities, then the
optional ``sample_weight``. Inputs are any array-likes; they are converted to contiguous
float32 (labels and scores), float32 weights and int64 group ids. Labels must be exactly 0 or 1.
Invalid input raises ``growth.InvalidArgument`` with the library's message.

>>> from growth import metrics
>>> metrics.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""
import ctypes

import numpy as np

from ._lib import lib, check
from .errors import InvalidArgument

__all__ = ["auc", "gauc", "gauc_detail", "log_loss", "normalized_entropy", "calibration_ratio"]


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


def auc(y_true, y_score, sample_weight=None):
    """Exact area under the ROC curve (ties count one half), as sklearn's roc_auc_score."""
    return _call(lib.growth_auc, y_true, y_score, sample_weight, "y_score")


def gauc_detail(y_true, y_score, groups, sample_weight=None):
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
    check(lib.growth_gauc(_ptr(s), _ptr(y), _ptr(w), _ptr(g), len(y), ctypes.byref(out),
                          ctypes.byref(used)))
    return out.value, used.value


def gauc(y_true, y_score, groups, sample_weight=None):
    """Group AUC (see gauc_detail)."""
    return gauc_detail(y_true, y_score, groups, sample_weight)[0]


def log_loss(y_true, y_prob, sample_weight=None):
    """Mean (weighted) binary log-loss; probabilities clipped to [1e-15, 1 - 1e-15]."""
    return _call(lib.growth_logloss, y_true, y_prob, sample_weight, "y_prob")


def normalized_entropy(y_true, y_prob, sample_weight=None):
    """Log-loss divided by the entropy of the (weighted) base rate; below 1 beats the base rate."""
    return _call(lib.growth_normalized_entropy, y_true, y_prob, sample_weight, "y_prob")


def calibration_ratio(y_true, y_prob, sample_weight=None):
    """sum(w * p) / sum(w * y): 1 is calibrated, above 1 over-predicts."""
    return _call(lib.growth_calibration_ratio, y_true, y_prob, sample_weight, "y_prob")
