"""Figures of runs: request-latency CDFs, a timeline of commits, faults and leaders, and leader
recovery CDFs in the style of the Raft paper's Figure 16. Each takes DataFrames (or plain
sequences) and returns a `Figure`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim.plots.style import (
    FAULT_COLOR,
    REFERENCE_COLOR,
    color,
    finish,
    natural_sorted,
    new_figure,
)

# A fault and the row that undoes it, as faults.csv names them (sim/faults/kinds/).
FAULT_ENDS = {
    "crash": "restart",
    "pause": "resume",
    "partition": "heal",
    "cut": "uncut",
    "isolate": "heal",
    "loss": "loss-end",
    "duplicate": "duplicate-end",
    "delay": "delay-end",
    "clock": "clock-end",
}
_PER_NODE = ("crash", "pause")  # undone node by node (a restart may name several nodes)
_FAULT_COLORS = {"crash": FAULT_COLOR, "pause": "#CC79A7", "partition": "#E69F00"}
_OUTAGE: dict[str, Any] = {
    "facecolor": "#BBBBBB",
    "edgecolor": "#777777",
    "hatch": "///",
    "alpha": 0.5,
}
_STALE: dict[str, Any] = {"hatch": "xxx", "alpha": 0.35}
_LABEL_FRACTION = 0.03  # a reign this share of the run long or more gets its term written


class FaultSpan(NamedTuple):
    start_ms: float
    end_ms: float
    kind: str
    targets: str


def ok_latencies(requests: pd.DataFrame) -> np.ndarray:
    """Latencies (ms) of the operations that completed ``ok``."""
    ok = requests.loc[requests["outcome"] == "ok", "latency_ms"]
    return ok.astype(float).to_numpy()


def latency_cdf(
    requests: pd.DataFrame | Mapping[str, pd.DataFrame],
    label: str = "",
    by: str | None = None,
    log: bool = False,
) -> Figure:
    """Empirical CDF of request latency (ok operations): one curve per entry of a mapping
    (e.g. per protocol) or per value of column ``by``; one curve with p50/p99 marked otherwise.
    ``log``: a logarithmic time axis, for long tails."""
    if isinstance(requests, Mapping):
        series = {str(name): ok_latencies(df) for name, df in requests.items()}
    elif by is not None:
        series = {
            str(name): ok_latencies(df)
            for name, df in sorted(requests.groupby(by, sort=False), key=lambda g: str(g[0]))
        }
    else:
        series = {label: ok_latencies(requests)}
    fig, ax = new_figure()
    for i, (name, values) in enumerate(series.items()):
        if len(values):
            ax.ecdf(values, color=color(i), label=f"{name} ({len(values)} ok)" if name else None)
    if len(series) == 1:
        values = next(iter(series.values()))
        for q, style in ((50, ":"), (99, "--")):
            if len(values):
                value = float(np.percentile(values, q))
                ax.axvline(value, color="grey", linestyle=style, linewidth=0.8)
                ax.annotate(
                    f"p{q} {value:.2f} ms",
                    (value, 0.02 if q == 50 else 0.15),
                    rotation=90,
                    fontsize=7,
                    color="grey",
                    ha="right",
                )
    if log:
        ax.set_xscale("log")
    count = sum(len(v) for v in series.values())
    title = f"Request latency{f': {label}' if label else ''} ({count} ok requests)"
    finish(ax, title, "request latency (ms)", "fraction of ok requests", legend=len(series) > 1)
    return fig


def fault_spans(faults: pd.DataFrame, end_ms: float) -> list[FaultSpan]:
    """Each fault with the time it was undone (``end_ms`` if never): a crash until the node's
    restart, a partition until its heal, a loss spike until ``loss-end``..."""
    spans: list[FaultSpan] = []
    open_: list[tuple[float, str, str]] = []  # (start, kind, targets) not undone yet
    row: Any
    for row in faults.sort_values("at_ms", kind="stable").to_dict("records"):
        at, kind = float(row["at_ms"]), str(row["kind"])
        targets = "" if pd.isna(row["targets"]) else str(row["targets"])
        if kind in FAULT_ENDS:
            if kind in _PER_NODE:
                open_ += [(at, kind, node) for node in targets.split()]
            else:
                open_.append((at, kind, targets))
            continue
        still = []
        named = set(targets.split())
        for start, started_kind, started_targets in open_:
            undone = FAULT_ENDS[started_kind] == kind and (
                (started_kind in _PER_NODE and started_targets in named)
                or started_targets == targets
                or (kind == "heal" and targets == "all")
            )
            if undone:
                spans.append(FaultSpan(start, at, started_kind, started_targets))
            else:
                still.append((start, started_kind, started_targets))
        open_ = still
    spans += [FaultSpan(start, max(end_ms, start), k, t) for start, k, t in open_]
    spans.sort()
    return spans


class ReignBar(NamedTuple):
    """A node's belief that it leads ``term`` (summary.json's ``leadership.reigns``), and from
    when another node leads a newer term (``stale_ms``; ``to_ms`` if never)."""

    node: str
    term: int
    from_ms: float
    to_ms: float
    stale_ms: float


def reigns(leadership: Mapping[str, Any], end_ms: float) -> list[ReignBar]:
    """The reigns of summary.json's ``leadership`` section, each ended at ``end_ms`` at the
    latest, with the time it went stale."""
    rows = [
        (str(r["node"]), int(r["term"]), float(r["from_ms"]), _until(r["to_ms"], end_ms))
        for r in leadership.get("reigns", [])
    ]
    found = []
    for node, term, start, end in rows:
        newer = [s for n, t, s, _ in rows if t > term and n != node and s < end]
        found.append(ReignBar(node, term, start, end, max(start, min(newer, default=end))))
    return found


def outage_spans(leadership: Mapping[str, Any], end_ms: float) -> list[tuple[float, float]]:
    """(from, to) of each interval without a leader, the last one ended at ``end_ms``."""
    return [
        (float(o["start_ms"]), _until(o["end_ms"], end_ms)) for o in leadership.get("outages", [])
    ]


def _until(value: Any, end_ms: float) -> float:
    return end_ms if value is None else min(float(value), end_ms)


def commit_times(decisions: pd.DataFrame) -> np.ndarray:
    """When each operation was first decided anywhere in the cluster: its commit. A node
    re-applying its log after a restart, or replicas that decided it at different positions,
    add no commit."""
    first = decisions.sort_values("decided_ms", kind="stable").drop_duplicates("op_id")
    return first["decided_ms"].astype(float).to_numpy()


def timeline(
    decisions: pd.DataFrame,
    faults: pd.DataFrame,
    duration_ms: float,
    leadership: Mapping[str, Any] | None = None,
    bins: int = 100,
) -> Figure:
    """Commits per interval over the run, fault spans shaded, and (with ``leadership``, the
    ``leadership`` section of summary.json) a row per node with a bar per reign, labelled with
    its term and hatched once a newer term has a leader (a stale leader), and the outages
    (no leader every live node follows) hatched grey: where the cluster stalled and why."""
    if leadership is not None and not isinstance(leadership, Mapping):
        raise TypeError("timeline: leadership is summary.json's `leadership` section (a dict)")
    if leadership is not None:
        fig, (ax, lax) = new_figure(8, 4.5, nrows=2, sharex=True, height_ratios=[3, 1.3])
    else:
        fig, ax = new_figure(8, 3.5)
        lax = None
    edges = np.linspace(0.0, duration_ms, bins + 1)
    counts, _ = np.histogram(commit_times(decisions), bins=edges)
    width = edges[1] - edges[0]
    ax.stairs(counts, edges / 1000.0, fill=True, color=color(0), alpha=0.8, label="commits")
    kinds: dict[str, str] = {}
    for span in fault_spans(faults, duration_ms):
        shade = _FAULT_COLORS.get(span.kind, "#999999")
        kinds.setdefault(span.kind, shade)
        for axes in (ax, lax) if lax is not None else (ax,):
            if span.end_ms > span.start_ms:
                axes.axvspan(span.start_ms / 1000, span.end_ms / 1000, color=shade, alpha=0.15)
            else:
                axes.axvline(span.start_ms / 1000, color=shade, alpha=0.6, linewidth=0.8)
    handles = [Patch(color=color(0), alpha=0.8, label="commits")]
    handles += [Patch(color=c, alpha=0.3, label=k) for k, c in kinds.items()]
    ax.legend(handles=handles, fontsize=8, loc="upper right")
    finish(
        ax,
        f"Commits per {width:g} ms interval ({int(counts.sum())} commits; shaded: faults)",
        "" if lax is not None else "simulated time (s)",
        f"commits per {width:g} ms",
    )
    if lax is not None and leadership is not None:
        _leader_strip(lax, leadership, decisions, duration_ms)
    ax.set_xlim(0, duration_ms / 1000)
    return fig


def _leader_strip(
    lax: Any, leadership: Mapping[str, Any], decisions: pd.DataFrame, duration_ms: float
) -> None:
    led = reigns(leadership, duration_ms)
    nodes = natural_sorted({r.node for r in led} | set(decisions["node"].astype(str)))
    row = {node: i for i, node in enumerate(nodes)}
    for start, end in outage_spans(leadership, duration_ms):
        lax.axvspan(start / 1000, end / 1000, **_OUTAGE)
    for reign in led:
        y, shade = (row[reign.node] - 0.35, 0.7), color(row[reign.node])
        fresh = reign.stale_ms - reign.from_ms
        if fresh > 0:
            lax.broken_barh([(reign.from_ms / 1000, fresh / 1000)], y, color=shade)
        if reign.to_ms > reign.stale_ms:
            stale = (reign.stale_ms / 1000, (reign.to_ms - reign.stale_ms) / 1000)
            lax.broken_barh([stale], y, **_STALE, facecolor=shade, edgecolor=shade)
        if reign.to_ms - reign.from_ms >= _LABEL_FRACTION * duration_ms:
            lax.text(
                reign.from_ms / 1000,
                row[reign.node],
                f" t{reign.term}",
                ha="left",
                va="center",
                fontsize=7,
                color="white" if fresh > 0 else "black",
                clip_on=True,
            )
    lax.set_yticks(range(len(nodes)), nodes)
    lax.set_ylim(len(nodes) - 0.5, -0.5)
    handles = [
        Patch(**_OUTAGE, label="no leader"),
        Patch(
            **_STALE, facecolor="#999999", edgecolor="#999999", label="stale: a newer term leads"
        ),
    ]
    lax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    finish(lax, "Who believes it leads (bars labelled with the term)", "simulated time (s)", "node")


def recovery_cdf(
    recoveries: Mapping[str, Sequence[float]] | pd.DataFrame,
    reference: Mapping[str, Sequence[float]] | None = None,
    title: str = "Leader recovery: time without a leader",
    log: bool = True,
    legend_title: str | None = "election timeout (ms)",
) -> Figure:
    """Figure 16 of the Raft paper: the cumulative percentage of leader recoveries by their
    duration, one curve per election-timeout range (mapping name -> times in ms, or a DataFrame
    with columns ``range`` and ``recovery_ms``). ``reference`` curves (the paper's) are drawn
    dashed in the same colour."""
    if isinstance(recoveries, pd.DataFrame):
        recoveries = {
            str(name): rows["recovery_ms"].astype(float).tolist()
            for name, rows in recoveries.groupby("range", sort=False)
        }
    fig, ax = new_figure()
    for i, (name, values) in enumerate(recoveries.items()):
        if len(values):
            ax.ecdf(np.asarray(values, dtype=float), color=color(i), label=name)
        if reference is not None and len(reference.get(name, ())):
            ax.ecdf(
                np.asarray(reference[name], dtype=float),
                color=color(i),
                linestyle="--",
                linewidth=0.9,
                alpha=0.8,
            )
    if reference is not None:
        ax.plot([], [], color=REFERENCE_COLOR, linestyle="--", linewidth=0.9, label="paper")
    if log:
        ax.set_xscale("log")
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    finish(ax, title, "time without leader (ms)", "cumulative percent of recoveries")
    ax.legend(fontsize=8, title=legend_title, title_fontsize=8)
    return fig
