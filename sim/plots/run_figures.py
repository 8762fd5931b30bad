"""Figures of runs: request-latency CDFs, a timeline of commits, faults and leaders, and leader
recovery CDFs in the style of the Raft paper's Figure 16. Each takes DataFrames (or plain
sequences) and returns a `Figure`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim.plots.style import (
    FAULT_COLOR,
    REFERENCE_COLOR,
    color,
    describe,
    finish,
    integer_ticks,
    ms,
    ms_range,
    natural_sorted,
    new_figure,
    series_color,
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
# Every fault in the fault colour, told apart by hatching: no series colour is a fault's.
_FAULT_FACE = "#F4C9B0"
_FAULT_HATCHES = {"crash": "", "pause": "..", "partition": "\\\\", "isolate": "\\\\", "cut": "//"}
_OUTAGE: dict[str, Any] = {
    "facecolor": "#BBBBBB",
    "edgecolor": "#777777",
    "hatch": "///",
    "alpha": 0.5,
}
_STALE: dict[str, Any] = {"hatch": "xxx", "alpha": 0.45, "edgecolor": "white", "linewidth": 0}
_LABEL_FRACTION = 0.03  # a reign this share of the run long or more gets its term written
FEW_SAMPLES = 5  # under this many values a CDF is a staircase that misleads: print them
MAX_BINS = 600
_ALT_ITEMS = 6  # faults and reigns named in a timeline's alt text before "and N more"


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
    log: bool | None = None,
    protocols: bool = False,
) -> Figure:
    """Empirical CDF of request latency (ok operations): one curve per entry of a mapping
    (e.g. per protocol) or per value of column ``by``; one curve with p50/p99 marked otherwise.
    ``log``: a logarithmic time axis; by default one when the latencies span more than a decade.
    Curves named after a protocol (or all of them, with ``protocols``) wear its colour; a curve
    of fewer than `FEW_SAMPLES` latencies is printed as its values instead."""
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
    shades = {name: series_color(name, i, protocols) for i, name in enumerate(series)}
    _cdfs(ax, series, shades, "ok")
    if len(series) == 1:
        values = next(iter(series.values()))
        for q, style in ((50, ":"), (99, "--")):
            if len(values) >= FEW_SAMPLES:
                value = float(np.percentile(values, q))
                ax.axvline(value, color="grey", linestyle=style, linewidth=0.8)
                ax.annotate(
                    f"p{q} {ms(value)}",
                    (value, 0.02 if q == 50 else 0.15),
                    rotation=90,
                    fontsize=7,
                    color="grey",
                    ha="right",
                )
    logged = spans_decades(series.values()) if log is None else log
    if logged:
        ax.set_xscale("log")
    count = sum(len(v) for v in series.values())
    title = f"Request latency{f': {label}' if label else ''} ({count} ok requests)"
    axis = "request latency (ms, log scale)" if logged else "request latency (ms)"
    finish(ax, title, axis, "fraction of ok requests", legend=len(series) > 1)
    describe(
        fig,
        f"Cumulative distribution of request latency{f' ({label})' if label else ''}"
        f"{' on a log axis' if logged else ''}: " + _series_alt(series, "ok requests") + ".",
    )
    return fig


def spans_decades(series: Iterable[np.ndarray | Sequence[float]], decades: float = 1.0) -> bool:
    """Whether the positive values of all ``series`` together span more than ``decades``
    powers of ten: a linear axis would squash the small ones into its first pixels."""
    values = np.concatenate([np.asarray(v, dtype=float) for v in series] or [np.zeros(0)])
    values = values[values > 0]
    return bool(len(values)) and float(values.max()) > 10**decades * float(values.min())


def _cdfs(
    ax: Any, series: Mapping[str, Any], shades: Mapping[str, str], what: str, **style: Any
) -> None:
    """An ECDF per series with `FEW_SAMPLES` values or more; the others printed in the axes,
    their values marked on the x axis."""
    few = []
    for name, values in series.items():
        values = np.asarray(values, dtype=float)
        never = int((~np.isfinite(values)).sum())  # e.g. a trial that never recovered
        values = values[np.isfinite(values)]
        late = f", {never} never" if never else ""
        label = f"{name} ({len(values)} {what}{late})" if name else None
        if len(values) >= FEW_SAMPLES:
            ax.ecdf(values, color=shades[name], label=label, **style)
        elif len(values):
            ax.plot(values, np.zeros(len(values)), "d", color=shades[name], clip_on=False)
            ax.plot([], [], "d", color=shades[name], label=label)
            shown = ", ".join(ms(v) for v in sorted(values))
            few.append(f"{name + ': ' if name else ''}{shown} ({len(values)} {what})")
    if few:
        ax.text(
            0.02,
            0.97,
            f"too few for a CDF (under {FEW_SAMPLES}):\n" + "\n".join(few),
            transform=ax.transAxes,
            fontsize=7,
            va="top",
            bbox={"facecolor": "white", "edgecolor": "#BBBBBB", "alpha": 0.9},
        )
        ax.set_ylim(-0.02, 1.02)


def _series_alt(series: Mapping[str, Any], what: str) -> str:
    parts = []
    for name, values in series.items():
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        if len(values) >= FEW_SAMPLES:
            median, p99 = np.percentile(values, [50, 99])
            figures = f"median {ms(float(median))}, p99 {ms(float(p99))}"
        else:
            figures = ", ".join(ms(v) for v in sorted(values)) or "none"
        parts.append(f"{name + ' ' if name else ''}({len(values)} {what}: {figures})")
    return "; ".join(parts)


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


def commit_bin_ms(duration_ms: float, faults: pd.DataFrame | None = None) -> float:
    """The width of the timeline's bins: about a hundredth of the run, narrower where faults
    come close together (a quarter of the shortest time between two of them, so that each
    fault's effect spans several bins), never more than `MAX_BINS` bins; rounded down to 1, 2
    or 5 times a power of ten milliseconds."""
    width = duration_ms / 100
    if faults is not None and len(faults):
        times = np.unique(np.concatenate([[0.0, duration_ms], faults["at_ms"].astype(float)]))
        gaps = np.diff(times[(times >= 0) & (times <= duration_ms)])
        if len(gaps[gaps > 0]):
            width = min(width, float(gaps[gaps > 0].min()) / 4)
    width = max(width, duration_ms / MAX_BINS, 1e-3)
    power = 10 ** math.floor(math.log10(width))
    return max(step * power for step in (1, 2, 5) if step * power <= width)


def timeline(
    decisions: pd.DataFrame,
    faults: pd.DataFrame,
    duration_ms: float,
    leadership: Mapping[str, Any] | None = None,
    bins: int | None = None,
    violation_ms: float | None = None,
) -> Figure:
    """Commits per interval over the run (bins from `commit_bin_ms`, or ``bins`` of them),
    fault spans shaded, the first safety violation (``violation_ms``) marked, and (with
    ``leadership``, the ``leadership`` section of summary.json) a row per node with one bar
    per reign, from its election until it steps down, labelled with its term and hatched once
    a newer term has a leader elsewhere (a stale leader), and the outages (no leader every live
    node follows) hatched grey: where the cluster stalled and why."""
    if leadership is not None and not isinstance(leadership, Mapping):
        raise TypeError("timeline: leadership is summary.json's `leadership` section (a dict)")
    if leadership is not None:
        fig, (ax, lax) = new_figure(8, 4.5, nrows=2, sharex=True, height_ratios=[3, 1.3])
    else:
        fig, ax = new_figure(8, 3.5)
        lax = None
    if bins is None:
        width = commit_bin_ms(duration_ms, faults)
        edges = width * np.arange(math.ceil(duration_ms / width - 1e-9) + 1)
    else:
        edges = np.linspace(0.0, duration_ms, bins + 1)
        width = float(edges[1] - edges[0])
    counts, _ = np.histogram(commit_times(decisions), bins=edges)
    ax.stairs(counts, edges / 1000.0, fill=True, color=color(0), alpha=0.8, label="commits")
    integer_ticks(ax.yaxis)
    kinds: dict[str, str] = {}
    spans = fault_spans(faults, duration_ms)
    for span in spans:
        hatch = kinds.setdefault(span.kind, _FAULT_HATCHES.get(span.kind, "||"))
        for axes in (ax, lax) if lax is not None else (ax,):
            if span.end_ms > span.start_ms:
                axes.axvspan(
                    span.start_ms / 1000,
                    span.end_ms / 1000,
                    facecolor=_FAULT_FACE,
                    edgecolor=FAULT_COLOR,
                    hatch=hatch,
                    linewidth=0,
                    alpha=0.25,
                )
            else:
                axes.axvline(span.start_ms / 1000, color=FAULT_COLOR, alpha=0.6, linewidth=0.8)
    handles: list[Any] = [Patch(color=color(0), alpha=0.8, label="commits")]
    handles += [
        Patch(facecolor=_FAULT_FACE, edgecolor=FAULT_COLOR, hatch=h, alpha=0.5, label=k)
        for k, h in kinds.items()
    ]
    if violation_ms is not None:
        for axes in (ax, lax) if lax is not None else (ax,):
            axes.axvline(violation_ms / 1000, color=FAULT_COLOR, linewidth=1.6, linestyle="-.")
        ax.annotate(
            f"first violation {ms(violation_ms)}",
            (violation_ms / 1000, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            fontsize=7,
            color=FAULT_COLOR,
            va="top",
        )
        handles.append(Line2D([], [], color=FAULT_COLOR, linestyle="-.", label="first violation"))
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    label = ms(width)
    shaded = "; shaded: faults" if spans else ""
    finish(
        ax,
        f"Commits per {label} interval ({int(counts.sum())} commits{shaded})",
        "" if lax is not None else "simulated time (s)",
        f"commits per {label}",
    )
    led = _leader_strip(lax, leadership, decisions, duration_ms) if lax is not None else []
    ax.set_xlim(0, duration_ms / 1000)
    describe(fig, _timeline_alt(counts, width, duration_ms, spans, led, violation_ms))
    return fig


def _timeline_alt(
    counts: np.ndarray,
    width: float,
    duration_ms: float,
    spans: list[FaultSpan],
    led: list[ReignBar],
    violation_ms: float | None,
) -> str:
    parts = [
        f"Timeline of {ms(duration_ms)}: {int(counts.sum())} commits, at most "
        f"{int(counts.max()) if len(counts) else 0} per {ms(width)}."
    ]
    if spans:
        shown = [f"{s.kind} {s.targets} {ms_range(s.start_ms, s.end_ms)}".strip() for s in spans]
        more = f" and {len(spans) - _ALT_ITEMS} more" if len(spans) > _ALT_ITEMS else ""
        parts.append(f"Faults: {'; '.join(shown[:_ALT_ITEMS])}{more}.")
    if led:
        shown = [
            f"{r.node} term {r.term} {ms_range(r.from_ms, r.to_ms)}"
            + (f" (stale from {ms(r.stale_ms)})" if r.to_ms > r.stale_ms else "")
            for r in led
        ]
        more = f" and {len(led) - _ALT_ITEMS} more" if len(led) > _ALT_ITEMS else ""
        parts.append(f"Believes it leads: {'; '.join(shown[:_ALT_ITEMS])}{more}.")
    if violation_ms is not None:
        parts.append(f"First safety violation at {ms(violation_ms)}.")
    return " ".join(parts)


def _leader_strip(
    lax: Any, leadership: Mapping[str, Any] | None, decisions: pd.DataFrame, duration_ms: float
) -> list[ReignBar]:
    """One bar per reign, the whole time the node believes it leads: a node stays a leader
    until it steps down, even while another leads a newer term (its stale part hatched)."""
    led = reigns(leadership or {}, duration_ms)
    nodes = natural_sorted({r.node for r in led} | set(decisions["node"].astype(str)))
    row = {node: i for i, node in enumerate(nodes)}
    for start, end in outage_spans(leadership or {}, duration_ms):
        lax.axvspan(start / 1000, end / 1000, **_OUTAGE)
    for reign in led:
        y, shade = (row[reign.node] - 0.35, 0.7), color(row[reign.node])
        bar = lax.broken_barh(
            [(reign.from_ms / 1000, (reign.to_ms - reign.from_ms) / 1000)], y, color=shade
        )
        bar.set_gid("reign")
        if reign.to_ms > reign.stale_ms:
            stale = (reign.stale_ms / 1000, (reign.to_ms - reign.stale_ms) / 1000)
            over = lax.broken_barh([stale], y, facecolor="white", **_STALE)
            over.set_gid("stale")
        if reign.to_ms - reign.from_ms >= _LABEL_FRACTION * duration_ms:
            lax.text(
                reign.from_ms / 1000,
                row[reign.node],
                f" t{reign.term}",
                ha="left",
                va="center",
                fontsize=7,
                color="white",
                clip_on=True,
            )
    lax.set_yticks(range(len(nodes)), nodes)
    lax.set_ylim(len(nodes) - 0.5, -0.5)
    handles = [
        Patch(**_OUTAGE, label="no leader"),
        Patch(facecolor="#999999", label="believes it leads"),
        Patch(
            facecolor="#999999",
            **{**_STALE, "edgecolor": "white"},
            label="...stale: a newer term leads",
        ),
    ]
    lax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    finish(lax, "Who believes it leads (bars labelled with the term)", "simulated time (s)", "node")
    return led


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
    dashed in the same colour. A range with fewer than `FEW_SAMPLES` recoveries is printed as
    its values instead of a curve."""
    if isinstance(recoveries, pd.DataFrame):
        recoveries = {
            str(name): rows["recovery_ms"].astype(float).tolist()
            for name, rows in recoveries.groupby("range", sort=False)
        }
    fig, ax = new_figure()
    shades = {name: series_color(name, i) for i, name in enumerate(recoveries)}
    _cdfs(ax, {name: list(v) for name, v in recoveries.items()}, shades, "recoveries")
    for name in recoveries:
        if reference is not None and len(reference.get(name, ())):
            ax.ecdf(
                np.asarray(reference[name], dtype=float),
                color=shades[name],
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
    paper = "; the paper's own trials dashed" if reference is not None else ""
    describe(
        fig,
        f"{title}. Cumulative distribution of leader recovery time per "
        f"{legend_title or 'variant'}: {_series_alt(recoveries, 'recoveries')}{paper}.",
    )
    return fig
