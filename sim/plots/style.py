"""The look shared by every figure: the Okabe-Ito palette, sizes, grids, titles.

Figures are made with ``matplotlib.figure.Figure`` directly, never through pyplot: no global
state, nothing to close, any backend. A notebook shows a returned figure inline once
``%matplotlib inline`` is on; ``Figure.savefig`` writes files without choosing a backend.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

# Okabe-Ito: distinguishable with the common colour-vision deficiencies. Black last, so that
# black stays free for reference curves when there are fewer than eight series.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FAULT_COLOR = "#D55E00"
REFERENCE_COLOR = "#000000"
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DPI = 120
# Files that depend on the figure alone: no matplotlib version or date in them, so that drawing
# an unchanged figure again (``make gallery``) rewrites the same bytes.
FIXED_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Creator": None, "Date": None},
}

FONT = {"title": 10, "label": 9, "tick": 8, "legend": 8}


def color(i: int) -> str:
    """The palette's ``i``-th colour (cycling)."""
    return PALETTE[i % len(PALETTE)]


def new_figure(
    width: float = 6.0, height: float = 4.0, nrows: int = 1, **kwargs: Any
) -> tuple[Figure, Any]:
    """A figure with constrained layout and its axes (an array when ``nrows`` > 1)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows=nrows, **kwargs)


def finish(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = False) -> None:
    """Title, labelled axes (units in the label), a light grid, a legend if asked for."""
    ax.set_title(title, fontsize=FONT["title"])
    ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    ax.grid(alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=FONT["legend"])


def natural_key(name: Hashable) -> tuple[Any, ...]:
    """Sort key that puts n2 before n10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(name)))


def natural_sorted(names: Iterable[Hashable]) -> list[Any]:
    return sorted(names, key=natural_key)


# Axis labels of the swept keys a user meets most; any other key is shown as it is written.
KEY_LABELS = {
    "cluster.nodes": "cluster size (nodes)",
    "cluster.protocol": "protocol",
    "network.loss": "message loss probability",
    "network.duplicate": "message duplication probability",
    "workload.clients": "clients (closed loop)",
    "workload.rate": "offered load (ops/s)",
    "cluster.processing": "processing time per message (ms)",
    "cluster.disk_write": "disk write (ms)",
    "cluster.params.election_timeout": "election timeout range (ms)",
}


def key_label(key: str) -> str:
    return KEY_LABELS.get(key, key)
