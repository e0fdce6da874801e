"""Plots for model diagnostics (matplotlib, imported lazily; the Agg backend is used when no
backend was chosen, so it works headless)."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import metrics
from ._types import ArrayLike

__all__ = ["reliability_diagram", "regret_curves", "budget_curve", "recall_qps", "qini_curve"]


def _pyplot():
    import matplotlib
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def reliability_diagram(y_true: ArrayLike, y_prob: ArrayLike, sample_weight: ArrayLike | None = None, n_bins: int = 10,
                        strategy: str = "uniform", ax: Any = None, label: str | None = None,
                        show_counts: bool = True) -> Any:
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


def regret_curves(steps: ArrayLike, regrets: Mapping[str, ArrayLike], ax: Any = None,
                  title: str = "cumulative regret") -> Any:
    """Cumulative regret against steps for several policies: `regrets` maps a policy name to
    an array aligned with `steps`. Returns the axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, r in regrets.items():
        ax.plot(steps, r, label=name)
    ax.set_xlabel("decisions")
    ax.set_ylabel("cumulative regret")
    ax.set_title(title)
    ax.legend()
    return ax


def budget_curve(budgets: ArrayLike, outcomes: ArrayLike, marginal: ArrayLike | None = None, ax: Any = None,
                 outcome_name: str = "installs") -> Any:
    """The budget -> outcome curve (growth.budget.allocate_channels with an array of budgets),
    with the marginal value of one more unit on a second axis when given. Returns the axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(budgets, outcomes, color="C0", label=outcome_name)
    ax.set_xlabel("budget")
    ax.set_ylabel(outcome_name)
    if marginal is not None:
        ax2 = ax.twinx()
        ax2.plot(budgets, marginal, color="C1", ls="--", label="marginal")
        ax2.set_ylabel(f"{outcome_name} per extra unit", color="C1")
    ax.set_title(f"budget -> {outcome_name}")
    return ax


def recall_qps(recalls: ArrayLike, qps: ArrayLike, ax: Any = None, label: str | None = None) -> Any:
    """Recall@k against queries per second (one point per search setting, e.g. HNSW ef or IVF
    nprobe); call once per index kind on the same axes. Returns the axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(recalls, qps, marker="o", label=label)
    ax.set_xlabel("recall@k")
    ax.set_ylabel("queries per second")
    ax.set_yscale("log")
    if label:
        ax.legend()
    return ax


def qini_curve(y_true: ArrayLike, uplift: ArrayLike, treatment: ArrayLike, ax: Any = None,
               label: str | None = None, arm: int = 0, perfect: bool = True, random: bool = True,
               negative_effect: bool = True) -> Any:
    """Draws the Qini curve of an uplift score (growth.metrics.qini_curve: incremental
    conversions among the top-ranked users against their number), with the perfect ranking's
    curve and the random line when asked. Several calls on the same `ax` overlay models; the
    Qini coefficient is in the legend label. ``arm=t`` compares the control with treatment t
    only. Returns the axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    x, v = metrics.qini_curve(y_true, uplift, treatment, arm=arm)
    q = metrics.qini_auc_score(y_true, uplift, treatment, negative_effect=negative_effect, arm=arm)
    px, pv = metrics.qini_curve(y_true, uplift, treatment, perfect=True, negative_effect=negative_effect, arm=arm)
    labels = [l.get_label() for l in ax.get_lines()]
    if perfect and "perfect" not in labels:
        ax.plot(px, pv, ls=":", color="gray", lw=1, label="perfect")
    if random and "random" not in labels:
        ax.plot([0, px[-1]], [0, pv[-1]], ls="--", color="gray", lw=1, label="random")
    name = label if label is not None else "model"
    ax.plot(x, v, label=f"{name} (Qini {q:.4f})")
    ax.set_xlabel("users targeted (ranked by uplift)")
    ax.set_ylabel("incremental conversions")
    ax.set_title("Qini curve")
    ax.legend(loc="best")
    return ax
