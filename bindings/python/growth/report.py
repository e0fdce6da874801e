"""Renders the figures and the HTML page of `growth demo --report DIR` from the CSV files the
demo writes there: `python3 -m growth.report DIR`."""
from __future__ import annotations

import html
import os
import sys

import numpy as np

from . import plot


def _csv(path):
    """The table in a CSV file with a header, or None when the file is missing or empty."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    return np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")


def render(d: str) -> list[str]:
    """Renders the demo's figures (PNG) and ``index.html`` in directory ``d`` from the CSV files
    found there; returns the figure file names."""
    plt = plot._pyplot()
    figures = []
    cal = os.path.join(d, "calibration.csv")
    t = _csv(cal)
    if t is not None:
        fig, ax = plt.subplots(figsize=(5.5, 5))
        plot.reliability_diagram(t["label"], t["raw"], n_bins=15, strategy="quantile", ax=ax,
                                 label="pCVR raw", show_counts=False)
        plot.reliability_diagram(t["label"], t["calibrated"], n_bins=15, strategy="quantile", ax=ax,
                                 label="pCVR isotonic", show_counts=False)
        ax.set_xlim(0, max(0.05, float(np.quantile(t["raw"], 0.99))))
        ax.set_ylim(0, ax.get_xlim()[1])
        fig.tight_layout()
        fig.savefig(os.path.join(d, "calibration.png"), dpi=110)
        figures.append(("calibration.png", "Reliability of the CVR model before and after calibration"))
    reg = os.path.join(d, "regret.csv")
    t = _csv(reg)
    if t is not None:
        names = [n for n in t.dtype.names if n != "step"]
        fig, ax = plt.subplots(figsize=(6, 4))
        plot.regret_curves(t["step"], {n: t[n] for n in names}, ax=ax,
                           title="coupon bandits, rewards 500 requests late")
        fig.tight_layout()
        fig.savefig(os.path.join(d, "regret.png"), dpi=110)
        figures.append(("regret.png", "Cumulative regret against the best coupon"))
    ch = os.path.join(d, "channels.csv")
    t = _csv(ch)
    if t is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        plot.budget_curve(t["budget"], t["installs"], t["marginal"], ax=ax)
        fig.tight_layout()
        fig.savefig(os.path.join(d, "channels.png"), dpi=110)
        figures.append(("channels.png", "Channel budget: installs and marginal installs per yuan"))
    t = _csv(os.path.join(d, "uplift.csv"))
    if t is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        plot.qini_curve(t["label"], t["uplift"], t["treatment"], ax=ax, label="T-learner", arm=2)
        ax.set_title("Qini curve: 10-yuan packet vs none (random holdout)")
        fig.tight_layout()
        fig.savefig(os.path.join(d, "qini.png"), dpi=110)
        figures.append(("qini.png", "Uplift model: incremental conversions among the top-ranked users"))
    rec = _csv(os.path.join(d, "recall.csv"))
    recall_table = ""
    if rec is not None:
        rec = np.atleast_1d(rec)
        cols = [n for n in rec.dtype.names if n != "method"]
        fig, ax = plt.subplots(figsize=(6.5, 4))
        width = 0.8 / len(rec)
        x = np.arange(len(cols))
        for k, row in enumerate(rec):
            ax.bar(x + (k - (len(rec) - 1) / 2) * width, [float(row[c]) for c in cols], width,
                   label=str(row["method"]))
        ax.set_xticks(x)
        ax.set_xticklabels(["all queries" if c == "all" else c + " queries" for c in cols])
        ax.set_ylabel("recall@20")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize="small")
        ax.set_title("candidate recall over item titles")
        fig.tight_layout()
        fig.savefig(os.path.join(d, "recall.png"), dpi=110)
        figures.append(("recall.png", "Recall@20 of BM25, title vectors and their fusion, by query type"))
        head = "".join(f"<th>{html.escape(c)}</th>" for c in ["method"] + cols)
        body = "".join("<tr><td>" + html.escape(str(row["method"])) + "</td>" +
                       "".join(f"<td>{float(row[c]):.4f}</td>" for c in cols) + "</tr>" for row in rec)
        recall_table = (f"<h2>Recall@20</h2><table border='1' cellpadding='4'><tr>{head}</tr>"
                        f"{body}</table>")
    summary = ""
    sp = os.path.join(d, "summary.txt")
    if os.path.exists(sp):
        with open(sp) as f:
            summary = f.read()
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>libgrowth demo</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
             "pre{background:#f4f4f4;padding:1em;overflow-x:auto}img{max-width:100%}</style>",
             "</head><body><h1>libgrowth demo report</h1>",
             f"<pre>{html.escape(summary)}</pre>", recall_table]
    for name, caption in figures:
        parts.append(f"<figure><img src='{name}' alt='{html.escape(caption)}'>"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("\n".join(parts))
    plt.close("all")
    return [f for f, _ in figures]


def main(argv: list[str] | None = None) -> int:
    """``python3 -m growth.report DIR``: renders DIR; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        print("usage: python3 -m growth.report DIR", file=sys.stderr)
        return 2
    figs = render(argv[0])
    print(f"growth.report: wrote {', '.join(figs + ['index.html'])} in {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
