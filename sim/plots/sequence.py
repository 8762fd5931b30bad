"""The message-sequence (space-time) diagram of a window of a run's trace: one line per node,
time to the right, an arrow per message from its sending to its arrival, a cross per message
dropped, and marks where nodes decided, became leader, and where faults struck.

It reads plain trace rows: dicts as in trace.jsonl (``{"time": .., "event": .., ...}``), a
DataFrame of them, or the recorder's ``(time, kind, fields)`` tuples; rows without a time (the
"... skipped" lines of a violation excerpt) are ignored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.plots.style import FAULT_COLOR, color, finish, natural_sorted, new_figure

TraceRows = Iterable[dict[str, Any]] | Iterable[tuple[float, str, dict[str, Any]]] | pd.DataFrame

LABELS_UP_TO = 12  # label arrows with their message type, decisions with their index, up to this
_BURST = 10  # busy_window: messages that make a burst...
_LULL_LATENCIES = 20  # ...and the gap, in median latencies, that ends it
_NODE_FIELDS = ("src", "dst", "node")
DROPPED_AT_SENDING = ("loss", "partition")  # other drops happen on arrival (the node was down)


def read_trace(
    path: str | Path, start_ms: float = 0.0, end_ms: float = math.inf
) -> list[dict[str, Any]]:
    """The rows of a trace.jsonl (or of the run directory holding it) from ``start_ms`` to
    ``end_ms``; the file is in time order, so reading stops after the window."""
    path = Path(path)
    if path.is_dir():
        path = path / "trace.jsonl"
    rows = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            row = json.loads(line)
            if row["time"] > end_ms:
                break
            if row["time"] >= start_ms:
                rows.append(row)
    return rows


def trace_records(trace: TraceRows) -> Iterator[dict[str, Any]]:
    """Trace rows of any accepted form as dicts with ``time`` and ``event``."""
    rows: Iterable[Any] = trace
    if isinstance(trace, pd.DataFrame):
        rows = (
            {str(k): v for k, v in record.items() if not _missing(v)}
            for record in trace.to_dict("records")
        )
    for row in rows:
        if isinstance(row, tuple):
            time, kind, fields = row
            yield {"time": time, "event": kind, **fields}
        elif isinstance(row.get("time"), int | float):
            yield row


def _missing(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def message_type(msg: Any) -> str:
    """``RequestVote``, ``Proposal``...: the ``type`` of a message as trace.jsonl writes it, or
    the class name of a message object."""
    if isinstance(msg, dict):
        return str(msg.get("type", "message"))
    if isinstance(msg, str):
        return msg
    return type(msg).__name__


def sequence_diagram(
    trace: TraceRows,
    start_ms: float,
    end_ms: float,
    nodes: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The diagram of the messages sent, the drops, decisions, elections and faults between
    ``start_ms`` and ``end_ms`` (inclusive), for ``nodes`` (default: every node in the window)."""
    rows = [r for r in trace_records(trace) if start_ms <= float(r["time"]) <= end_ms]
    if nodes is None:
        nodes = natural_sorted({str(r[f]) for r in rows for f in _NODE_FIELDS if f in r})
    lane = {node: i for i, node in enumerate(nodes)}
    sends = [r for r in rows if r["event"] == "send" and r["src"] in lane and r["dst"] in lane]
    drops = [r for r in rows if r["event"] == "drop" and r["src"] in lane and r["dst"] in lane]
    fig, ax = new_figure(9.0, 1.4 + 0.45 * max(len(nodes), 2))
    last = max([end_ms, *(float(r["arrive"]) for r in sends)])
    ax.hlines(range(len(nodes)), start_ms, last, color="#BBBBBB", linewidth=1, zorder=0)

    kinds: dict[str, str] = {}
    for row in sends:
        kind = message_type(row.get("msg"))
        shade = kinds.setdefault(kind, color(len(kinds)))
        t, arrive = float(row["time"]), float(row["arrive"])
        y0, y1 = lane[row["src"]], lane[row["dst"]]
        ax.annotate(
            "",
            xy=(arrive, y1),
            xytext=(t, y0),
            arrowprops={"arrowstyle": "-|>", "color": shade, "lw": 0.8, "shrinkA": 0, "shrinkB": 0},
            annotation_clip=False,
        )
        if len(sends) <= LABELS_UP_TO:
            ax.text(
                (t + arrive) / 2,
                (y0 + y1) / 2,
                kind,
                fontsize=6,
                color=shade,
                ha="center",
                va="center",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
            )

    # A message dropped at sending (loss, partition) gets a short stub towards its destination;
    # one that reached a node unable to take it (down) gets its cross on arrival.
    typical = float(np.median([float(r["arrive"]) - float(r["time"]) for r in sends] or [1.0]))
    crosses: list[tuple[float, float]] = []
    for row in drops:
        t, y0, y1 = float(row["time"]), lane[row["src"]], lane[row["dst"]]
        if row.get("reason") not in DROPPED_AT_SENDING:
            crosses.append((t, y1))
            continue
        end = (t + 0.4 * typical, y0 + 0.4 * (y1 - y0))
        ax.plot([t, end[0]], [y0, end[1]], color=FAULT_COLOR, linestyle="--", linewidth=0.8)
        crosses.append(end)
    if crosses:
        xs, ys = zip(*crosses, strict=True)
        ax.plot(xs, ys, "x", color=FAULT_COLOR, markersize=7, mew=1.5, label="dropped", zorder=4)

    decided = [r for r in rows if r["event"] == "decide" and r.get("node") in lane]
    if decided:
        ax.plot(
            [float(r["time"]) for r in decided],
            [lane[r["node"]] for r in decided],
            "o",
            color="black",
            markersize=4,
            label="decision",
            zorder=4,
        )
        if len(decided) <= LABELS_UP_TO:
            for r in decided:
                ax.annotate(
                    f"#{r.get('index')}: op {r.get('op_id')}",
                    (float(r["time"]), lane[r["node"]]),
                    xytext=(2, 4),
                    textcoords="offset points",
                    fontsize=6,
                )
    leaders = [r for r in rows if r["event"] == "became_leader" and r.get("node") in lane]
    if leaders:
        ax.plot(
            [float(r["time"]) for r in leaders],
            [lane[r["node"]] for r in leaders],
            "*",
            color="#E69F00",
            markeredgecolor="black",
            markersize=11,
            label="became leader",
            zorder=5,
        )
    faults = [r for r in rows if r["event"] == "fault"]
    for r in faults:
        t = float(r["time"])
        ax.axvline(t, color=FAULT_COLOR, linestyle=":", linewidth=1.2)
        ax.annotate(
            f"{r.get('fault')} {r.get('targets', '')}".strip(),
            (t, -0.5),
            xytext=(2, 2),
            textcoords="offset points",
            fontsize=7,
            color=FAULT_COLOR,
            va="bottom",
        )

    handles = [Line2D([], [], color=c, lw=1.2, label=k) for k, c in kinds.items()]
    handles += [h for h in ax.get_legend_handles_labels()[0] if isinstance(h, Line2D)]
    if faults:
        handles.append(Line2D([], [], color=FAULT_COLOR, linestyle=":", label="fault"))
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_yticks(range(len(nodes)), list(nodes))
    ax.set_ylim(len(nodes) - 0.5, -0.9)
    ax.set_xlim(start_ms, last + 0.02 * (last - start_ms))
    shown = title or f"Messages from {start_ms:g} to {end_ms:g} ms"
    finish(
        ax,
        f"{shown} ({len(sends)} messages, {len(drops)} dropped)",
        "simulated time (ms)",
        "node",
    )
    return fig


def busy_window(
    trace_path: str | Path, around_ms: float = 0.0, messages: int = 40
) -> tuple[float, float]:
    """A window from just before ``around_ms`` (e.g. the first fault) to the ``messages``-th
    message after it, or to the first long lull once a burst of messages has been seen: what the
    run directory's sequence diagram shows."""
    start = max(0.0, around_ms - 1.0)
    seen, last = 0, start
    latencies: list[float] = []
    path = Path(trace_path)
    with path.open(encoding="utf-8") as file:
        for line in file:
            row = json.loads(line)
            t = float(row["time"])
            if t < start or row["event"] not in ("send", "drop"):
                continue
            lull = _LULL_LATENCIES * float(np.median(latencies)) if latencies else math.inf
            if seen >= messages or (seen >= _BURST and t - last > lull):
                break
            seen += 1
            last = t
            if row["event"] == "send":
                latencies.append(float(row["arrive"]) - t)
    return start, max(last + (float(np.median(latencies)) if latencies else 1.0), start + 1.0)
