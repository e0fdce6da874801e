"""libgrowth for Python: the decision engine of an e-commerce growth team.

Thin ctypes bindings over libgrowth's C API; numpy arrays in and out.
"""
from .errors import (GrowthError, InvalidArgument, OutOfMemory, IOFailure, FormatError,
                     BufferTooSmall, InvalidState, DependencyError, NotFound, Canceled,
                     NotFittedError)
from .common import version, version_number, strerror, model_kind, hash64
from .features import feature_hash, feature_hash_cross, feature_key, feature_key_cross, numeric_hash, Row, hash_records
from .ftrl import FTRL, FTRLClassifier, esmm_predict, LABEL_MISSING
from .fm import FM, FFM
from . import metrics
# module imports (one line each):
from .calibration import Calibrator
from . import plot
from .bandit import Bandit, BanditSimulator, sample_beta as bandit_sample_beta, ope as bandit_ope, ope_interval as bandit_ope_interval
from . import budget
from .forest import Forest, ForestClassifier, ForestRegressor
from .recall import Index
from .nets import Net, DSSM
from . import export
from .bidding import Bidder, BidSimulator
from . import audience
from . import rank
from .text import TextIndex, hybrid_search
from . import uplift
from .delayed import DelayedFeedback
from .streaming import train, hash_frame, TrainSummary

__all__ = [
    "GrowthError", "InvalidArgument", "OutOfMemory", "IOFailure", "FormatError",
    "BufferTooSmall", "InvalidState", "DependencyError", "NotFound", "Canceled", "NotFittedError",
    "version", "version_number", "strerror", "model_kind", "hash64",
    "feature_hash", "feature_hash_cross", "feature_key", "feature_key_cross", "numeric_hash", "Row", "hash_records",
    "FTRL", "FTRLClassifier", "esmm_predict", "LABEL_MISSING", "FM", "FFM", "metrics",
    "Calibrator", "plot",
    "Bandit", "BanditSimulator", "bandit_sample_beta", "bandit_ope", "bandit_ope_interval",
    "budget",
    "Net", "DSSM", "export",
    "Forest", "ForestClassifier", "ForestRegressor",
    "Bidder", "BidSimulator",
    "audience", "rank",
    "TextIndex", "hybrid_search", "uplift", "DelayedFeedback",
    "Index", "train", "hash_frame", "TrainSummary",
]
