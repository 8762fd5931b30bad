"""Figures of one run: request-latency CDF, and a timeline of commits with faults shaded."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows: plots are written from the CLI and from tests

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True)


def latency_cdf(requests: pd.DataFrame, label: str = "") -> Figure:
    """Empirical CDF of request latency (ok operations), with p50/p99 marked."""
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ok = requests.loc[requests["outcome"] == "ok", "latency_ms"].astype(float).to_numpy()
    if len(ok):
        ax.ecdf(ok, color=PALETTE[0], label=label or None)
        for q, style in ((50, ":"), (99, "--")):
            value = float(np.percentile(ok, q))
            ax.axvline(value, color="grey", linestyle=style, linewidth=0.8)
            ax.annotate(
                f"p{q} {value:.2f} ms",
                (value, 0.02 if q == 50 else 0.1),
                rotation=90,
                fontsize=7,
                color="grey",
                ha="right",
            )
    ax.set_xlabel("request latency (ms)")
    ax.set_ylabel("fraction of ok requests")
    ax.set_title(f"Request latency{f' - {label}' if label else ''} ({len(ok)} ok)")
    ax.grid(alpha=0.3)
    return fig


def timeline(
    decisions: pd.DataFrame, faults: pd.DataFrame, duration_ms: float, bins: int = 100
) -> Figure:
    """Decisions per interval for each node, faults marked: where the cluster stalled."""
    fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    edges = np.linspace(0.0, duration_ms, bins + 1)
    width_s = (edges[1] - edges[0]) / 1000.0
    for i, (node, rows) in enumerate(decisions.groupby("node", sort=True)):
        counts, _ = np.histogram(rows["decided_ms"].astype(float), bins=edges)
        ax.step(
            edges[:-1] / 1000.0,
            counts / width_s,
            where="post",
            color=PALETTE[i % len(PALETTE)],
            label=str(node),
            linewidth=1,
        )
    for _, fault in faults.iterrows():
        ax.axvline(float(fault["at_ms"]) / 1000.0, color="#D55E00", alpha=0.6, linewidth=0.8)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("decisions per second")
    ax.set_title("Decisions per node over time (vertical lines: faults)")
    ax.grid(alpha=0.3)
    if decisions["node"].nunique() <= 12:
        ax.legend(fontsize=7, ncols=2)
    return fig


def save_run_plots(directory: Path, svg: bool = False) -> list[Path]:
    """Draw a run directory's figures into ``directory/plots/``; returns the files written."""
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    plots = directory / "plots"
    plots.mkdir(exist_ok=True)
    figures = {
        "latency-cdf": latency_cdf(_read_csv(directory / "requests.csv"), summary["protocol"]),
        "timeline": timeline(
            _read_csv(directory / "decisions.csv"),
            _read_csv(directory / "faults.csv"),
            float(summary["duration_ms"]),
        ),
    }
    written = []
    for name, fig in figures.items():
        for ext in ("png", "svg") if svg else ("png",):
            path = plots / f"{name}.{ext}"
            fig.savefig(path, dpi=120)
            written.append(path)
        plt.close(fig)
    return written
