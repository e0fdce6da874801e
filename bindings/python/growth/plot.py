"""Plots for model diagnostics (matplotlib, imported lazily; the Agg backend is used when no
backend was chosen, so it works headless)."""
import numpy as np

from . import metrics

__all__ = ["reliability_diagram"]


def _pyplot():
    import matplotlib
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def reliability_diagram(y_true, y_prob, sample_weight=None, n_bins=10, strategy="uniform",
                        ax=None, label=None, show_counts=True):
    """Draws the reliability diagram (mean predicted probability vs observed positive rate per
    bin, from growth.metrics.reliability) with the diagonal of perfect calibration, and, when
    `show_counts`, the bin weights as bars on a second axis. Several calls on the same `ax`
    overlay calibrators. Returns the axes; the ECE is in the legend label."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    mp, pr, wt = metrics.reliability(y_true, y_prob, sample_weight, n_bins, strategy)
    e = metrics.ece(y_true, y_prob, sample_weight, n_bins, strategy)
    keep = wt > 0
    name = label if label is not None else "model"
    if not any(l.get_label() == "perfectly calibrated" for l in ax.get_lines()):
        ax.plot([0, 1], [0, 1], ls="--", color="gray", lw=1, label="perfectly calibrated")
    ax.plot(mp[keep], pr[keep], marker="o", label=f"{name} (ECE {e:.4f})")
    if show_counts:
        ax2 = ax.twinx()
        width = 1.0 / max(int(n_bins), 1) * 0.8
        ax2.bar(mp[keep], wt[keep], width=width, alpha=0.15, color="C0")
        ax2.set_ylabel("weight per bin")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    return ax
