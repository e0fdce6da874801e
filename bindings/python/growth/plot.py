"""Plots for model diagnostics (matplotlib, imported lazily; the Agg backend is used when no
backend was chosen, so it works headless)."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import metrics
from ._types import ArrayLike

__all__ = ["reliability_diagram", "regret_curves", "budget_curve", "recall_qps"]


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
