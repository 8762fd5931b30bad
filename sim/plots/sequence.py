"""The message-sequence (space-time) diagram of a window of a run's trace: one line per node,
time to the right, an arrow per message from its sending to its arrival, a cross per message
dropped, and marks where nodes decided, became leader, and where faults struck.

It reads plain trace rows: dicts as in trace.jsonl (``{"time": .., "event": .., ...}``), a
DataFrame of them, or the recorder's ``(time, kind, fields)`` tuples; rows without a time (the
"... skipped" lines of a violation excerpt) are ignored.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.ticker import MaxNLocator

from sim.plots.labels import place
from sim.plots.style import (
    DROP_COLOR,
    FAULT_COLOR,
    FONT,
    color,
    describe,
    finish,
    ms,
    ms_range,
    natural_sorted,
    new_figure,
)

TraceRows = Iterable[dict[str, Any]] | Iterable[tuple[float, str, dict[str, Any]]] | pd.DataFrame

LABELS_UP_TO = 12  # label arrows with their message type up to this many messages...
_DETAILS_UP_TO = 40  # ...with their epoch and positions alone up to this many; and decisions
# with their index and op up to this many (where labels would overlap, `place` hides some)
_BREAK_GAP = 0.3  # a quiet gap this share of the window or longer breaks the time axis...
_BREAK_LATENCIES = 20  # ...if it is also this many message latencies long
_BURST = 10  # busy_window: messages that make a burst...
_LULL_LATENCIES = 20  # ...and the gap, in median latencies, that ends it
_NODE_FIELDS = ("src", "dst", "node")
DROPPED_AT_SENDING = ("loss", "partition")  # other drops happen on arrival (the node was down)


def read_trace(
    path: str | Path, start_ms: float = 0.0, end_ms: float = math.inf
) -> list[dict[str, Any]]:
    """The rows of a trace.jsonl (or of the run directory holding it) from ``start_ms`` to
    ``end_ms``, and before them the messages still in flight at ``start_ms`` and the faults (so
    that a diagram of the window draws the messages entering it and the partition it is in); the
    file is in time order, so reading stops after the window."""
    path = Path(path)
    if path.is_dir():
        path = path / "trace.jsonl"
    rows = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            row = json.loads(line)
            if row["time"] > end_ms:
                break
            if row["time"] >= start_ms or _context(row, start_ms):
                rows.append(row)
    return rows


def _context(row: dict[str, Any], start_ms: float) -> bool:
    """A row before the window that the window's diagram needs."""
    event = row["event"]
    return event == "fault" or (event == "send" and float(row["arrive"]) >= start_ms)


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


def message_detail(msg: Any) -> str:
    """What a message says about epochs and positions, as short as a label allows: ``t3`` (the
    term, ballot or epoch), ``#5-7`` (the log positions it carries), ``ok #7`` / ``no`` (a
    reply), ``op 928`` (the operation), ``hb`` (an AppendEntries without entries)."""
    if not isinstance(msg, dict):
        return ""
    parts = []
    for field, mark in (("term", "t"), ("ballot", "b"), ("epoch", "e")):
        if isinstance(msg.get(field), int | float | str) and not isinstance(msg[field], bool):
            parts.append(f"{mark}{msg[field]}")
            break
    entries = msg.get("entries")
    if isinstance(entries, list) and isinstance(msg.get("prev_log_index"), int):
        first = msg["prev_log_index"] + 1
        last = first + len(entries) - 1
        parts.append("hb" if not entries else f"#{first}" if first == last else f"#{first}-{last}")
    for field in ("index", "slot", "instance"):
        if isinstance(msg.get(field), int) and not isinstance(msg[field], bool):
            parts.append(f"#{msg[field]}")
            break
    for field in ("granted", "success"):
        if isinstance(msg.get(field), bool):
            matched = msg.get("match_index")
            yes = f"ok #{matched}" if isinstance(matched, int) and field == "success" else "yes"
            parts.append(yes if msg[field] else "no")
            break
    op = msg.get("op")
    if isinstance(op, dict) and op.get("op_id") is not None:
        parts.append(f"op {op['op_id']}")
    elif msg.get("proposal_id") is not None:
        parts.append(str(msg["proposal_id"]))
    return " ".join(parts)


class _Window(NamedTuple):
    """What a sequence diagram draws, read from the trace rows once."""

    nodes: list[str]
    sends: list[dict[str, Any]]  # sent in the window, or before it and arriving in it
    drops: list[dict[str, Any]]
    decided: list[dict[str, Any]]
    leaders: list[dict[str, Any]]
    faults: list[dict[str, Any]]  # in the window
    partitions: list[tuple[float, float, list[list[str]]]]  # (from, to, groups) over the window


def _window(
    trace: TraceRows, start_ms: float, end_ms: float, nodes: Sequence[str] | None
) -> _Window:
    # Rows read twice (two windows' read_trace put together, each with its context) count once.
    every = list({_key(r): r for r in trace_records(trace)}.values())
    every.sort(key=lambda r: float(r["time"]))
    rows = [r for r in every if start_ms <= float(r["time"]) <= end_ms]
    entering = [
        r
        for r in every
        if r["event"] == "send" and float(r["time"]) < start_ms <= float(r["arrive"])
    ]
    partitions = _partitions([r for r in every if r["event"] == "fault"], start_ms, end_ms)
    if nodes is None:
        seen = rows + entering
        named = {str(r[f]) for r in seen for f in _NODE_FIELDS if f in r}
        nodes = natural_sorted(named | {n for *_, groups in partitions for g in groups for n in g})
    lane = set(nodes)

    def between(r: dict[str, Any]) -> bool:
        return r["src"] in lane and r["dst"] in lane

    sends = [r for r in entering if between(r)]
    sends += [r for r in rows if r["event"] == "send" and between(r)]
    return _Window(
        nodes=list(nodes),
        sends=sends,
        drops=[r for r in rows if r["event"] == "drop" and between(r)],
        decided=[r for r in rows if r["event"] == "decide" and r.get("node") in lane],
        leaders=[r for r in rows if r["event"] == "became_leader" and r.get("node") in lane],
        faults=[r for r in rows if r["event"] == "fault"],
        partitions=partitions,
    )


def _key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _partitions(
    faults: list[dict[str, Any]], start_ms: float, end_ms: float
) -> list[tuple[float, float, list[list[str]]]]:
    """Each partition with the time it healed (``end_ms`` if not in the window), clipped to the
    window: ``n1 n2 | n3 n4 n5`` as its groups."""
    found, open_ = [], None
    for row in sorted(faults, key=lambda r: float(r["time"])):
        t, kind = float(row["time"]), row.get("fault")
        if kind == "partition":
            if open_ is not None:
                found.append((open_[0], t, open_[1]))
            groups = [g.split() for g in str(row.get("targets", "")).split("|")]
            open_ = (t, [g for g in groups if g])
        elif kind == "heal" and open_ is not None:
            found.append((open_[0], t, open_[1]))
            open_ = None
    if open_ is not None:
        found.append((open_[0], math.inf, open_[1]))
    return [
        (max(lo, start_ms), min(hi, end_ms), groups)
        for lo, hi, groups in found
        if hi >= start_ms and lo <= end_ms
    ]


def _panels(
    times: list[float], start_ms: float, end_ms: float, typical: float
) -> list[tuple[float, float]]:
    """The time ranges to draw: the whole window, or, where its events form clusters far apart
    (a quiet gap over ``_BREAK_GAP`` of the window and over `_BREAK_LATENCIES` message
    latencies), one range per cluster on a broken axis."""
    span = end_ms - start_ms
    times = sorted(t for t in times if start_ms <= t <= end_ms)
    if span <= 0 or len(times) < 2:
        return [(start_ms, end_ms)]
    quiet = max(_BREAK_GAP * span, _BREAK_LATENCIES * typical)
    cuts = [i for i in range(1, len(times)) if times[i] - times[i - 1] > quiet]
    if not cuts:
        return [(start_ms, end_ms)]
    clusters = [times[a:b] for a, b in zip([0, *cuts], [*cuts, len(times)], strict=True)]
    pads = [max(0.05 * (c[-1] - c[0]), 1e-3 * span) for c in clusters]
    ranges = [(c[0] - pad, c[-1] + pad) for c, pad in zip(clusters, pads, strict=True)]
    ranges[0] = (start_ms, ranges[0][1])
    ranges[-1] = (ranges[-1][0], end_ms)
    return ranges


def sequence_diagram(
    trace: TraceRows,
    start_ms: float,
    end_ms: float,
    nodes: Sequence[str] | None = None,
    title: str | None = None,
    violation: Mapping[str, Any] | None = None,
) -> Figure:
    """The diagram of the messages sent, the drops, decisions, elections and faults between
    ``start_ms`` and ``end_ms`` (inclusive), for ``nodes`` (default: every node in the window).

    Messages are labelled with their epoch and log positions; messages sent before the window
    enter it from the left edge; a dropped message is a grey dashed line to its receiver's lane
    ending in a cross; a partition is a line between its groups' lanes (when they are adjacent);
    ``violation`` (one of summary.json's ``safety.violations``) rings its two conflicting
    decisions. Events in clusters far apart are drawn on a broken time axis."""
    w = _window(trace, start_ms, end_ms, nodes)
    lane = {node: i for i, node in enumerate(w.nodes)}
    latencies = [float(r["arrive"]) - float(r["time"]) for r in w.sends]
    typical = float(np.median(latencies)) if latencies else 1.0
    marked = [float(r["time"]) for r in (*w.drops, *w.decided, *w.leaders, *w.faults)]
    marked += [min(max(float(r["time"]), start_ms), end_ms) for r in w.sends]
    marked += [float(r["arrive"]) for r in w.sends if float(r["arrive"]) <= end_ms]
    marked += [float(r["time"]) + typical for r in w.drops]
    panels = _panels(marked, start_ms, end_ms, typical)
    last = max([end_ms, *(min(float(r["arrive"]), end_ms + 4 * typical) for r in w.sends)])
    panels[-1] = (panels[-1][0], last + 0.02 * (last - panels[-1][0]))
    panels = [(lo, hi if hi > lo else lo + 1.0) for lo, hi in panels]  # an instant: 1 ms wide
    widths = [hi - lo for lo, hi in panels]
    ratios = [max(x, 0.25 * max(widths)) for x in widths]
    fig, axes = new_figure(
        9.0 + 1.5 * (len(panels) - 1),  # room for each panel of a broken axis
        1.6 + 0.45 * max(len(w.nodes), 2),
        ncols=len(panels),
        sharey=True,
        squeeze=False,
        width_ratios=ratios,
    )
    axes = list(axes[0])
    kinds: dict[str, str] = {}
    for row in w.sends:
        kinds.setdefault(message_type(row.get("msg")), "")
    for i, kind in enumerate(kinds):
        kinds[kind] = message_color(i)
    labels = []
    for ax, (lo, hi), ratio in zip(axes, panels, ratios, strict=True):
        labels += _draw(ax, w, lane, kinds, typical, violation, start_ms)
        ax.set_xlim(lo, hi)
        # Fewer ticks on a narrow panel, so that their labels do not run together.
        ax.xaxis.set_major_locator(MaxNLocator(nbins=max(2, int(7 * ratio / sum(ratios)))))
    _break_marks(axes)

    handles = [Line2D([], [], color=c, lw=1.2, label=k) for k, c in kinds.items()]
    handles += _mark_handles(w, violation)
    if handles:
        axes[-1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[0].set_yticks(range(len(w.nodes)), list(w.nodes))
    axes[0].set_ylim(len(w.nodes) - 0.5, -0.9)
    shown = title or "Messages"
    dropped = f", {len(w.drops)} dropped" if w.drops else ""
    heading = f"{shown}: {ms_range(start_ms, end_ms)} ({len(w.sends)} messages{dropped})"
    for i, ax in enumerate(axes):
        finish(
            ax, heading if len(axes) == 1 else "", "simulated time (ms)", "node" if i == 0 else ""
        )
    if len(axes) > 1:
        fig.suptitle(f"{heading}; time axis broken", fontsize=FONT["title"])
    # Last, once the layout is final: decisions first, they are what the diagram is for.
    order = {"conflict": 0, "decision": 1, "message": 2}
    place(fig, sorted(labels, key=lambda label: order[str(label.get_gid())]))
    describe(fig, _alt(w, start_ms, end_ms, shown, violation, len(axes)))
    return fig


def message_color(i: int) -> str:
    """The ``i``-th message type's colour: never the fault colour, never grey (drops)."""
    return color(i)


def _draw(
    ax: Axes,
    w: _Window,
    lane: dict[str, int],
    kinds: dict[str, str],
    typical: float,
    violation: Mapping[str, Any] | None,
    start_ms: float,
) -> list[Annotation]:
    """Every mark of the window on one panel (each clipped to it); returns the labels to lay
    out."""
    labels: list[Annotation] = []
    ax.hlines(range(len(w.nodes)), -1e12, 1e12, color="#DDDDDD", linewidth=1, zorder=0)
    label_messages = len(w.sends) <= LABELS_UP_TO
    for row in w.sends:
        kind = message_type(row.get("msg"))
        t, arrive = float(row["time"]), float(row["arrive"])
        y0, y1 = lane[row["src"]], lane[row["dst"]]
        arrow = ax.annotate(
            "",
            xy=(arrive, y1),
            xytext=(t, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": kinds[kind],
                "lw": 0.8,
                "shrinkA": 0,
                "shrinkB": 0,
            },
            annotation_clip=False,
        )
        if arrow.arrow_patch is not None:  # always, with arrowprops
            arrow.arrow_patch.set_clip_path(ax.patch)
        arrow.set_gid("arrow")
        detail = message_detail(row.get("msg"))
        if label_messages or (detail and len(w.sends) <= _DETAILS_UP_TO):
            text = f"{kind} {detail}".strip() if label_messages else detail
            # Halfway along the part inside the window: an entering message is labelled too.
            x0 = max(t, start_ms)
            y = y0 + (y1 - y0) * ((x0 - t) / (arrive - t) if arrive > t else 0.0)
            point = ((x0 + arrive) / 2, (y + y1) / 2)
            labels.append(_label(ax, text, point, kinds[kind], "message"))

    crosses = []
    for row in w.drops:
        t, y0, y1 = float(row["time"]), lane[row["src"]], lane[row["dst"]]
        if row.get("reason") in DROPPED_AT_SENDING:
            # Where it would have arrived: the receiver's lane, about one latency later.
            ax.plot([t, t + typical], [y0, y1], color=DROP_COLOR, linestyle="--", linewidth=0.8)
            t += typical
        crosses.append((t, y1))
    if crosses:
        xs, ys = zip(*crosses, strict=True)
        ax.plot(xs, ys, "x", color=FAULT_COLOR, markersize=7, mew=1.5, label="dropped", zorder=4)

    for lo, hi, groups in w.partitions:
        for y in _boundaries(groups, lane):
            ax.plot([lo, hi], [y, y], color=FAULT_COLOR, linewidth=2, alpha=0.6, label="partition")

    if w.decided:
        ax.plot(
            [float(r["time"]) for r in w.decided],
            [lane[r["node"]] for r in w.decided],
            "o",
            color="black",
            markersize=4,
            label="decision",
            zorder=4,
        )
    ring = _ring(w, lane, violation)
    if w.decided and len(w.decided) <= _DETAILS_UP_TO:
        for r in w.decided:
            point = (float(r["time"]), lane[r["node"]])
            text = f"#{r.get('index')}: op {r.get('op_id')}"
            # A conflicting decision's label in the fault colour, and placed first.
            conflict = any(abs(point[0] - x) < 1e-6 and point[1] == y for x, y in ring)
            shade, gid = (FAULT_COLOR, "conflict") if conflict else ("black", "decision")
            labels.append(_label(ax, text, point, shade, gid))
    if ring:
        xs, ys = zip(*ring, strict=True)
        ax.plot(
            xs,
            ys,
            "o",
            mfc="none",
            mec=FAULT_COLOR,
            mew=1.8,
            markersize=13,
            zorder=5,
            label="conflicting decisions",
        )
    if w.leaders:
        ax.plot(
            [float(r["time"]) for r in w.leaders],
            [lane[r["node"]] for r in w.leaders],
            "*",
            color="#E69F00",
            markeredgecolor="black",
            markersize=11,
            label="became leader",
            zorder=5,
        )
        for r in w.leaders:
            epoch = r.get("epoch", r.get("term"))
            if epoch is not None:
                point = (float(r["time"]), lane[r["node"]])
                labels.append(_label(ax, f"leader t{epoch}", point, "black", "decision"))
    for r in w.faults:
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
            annotation_clip=True,
        )
    return labels


def _label(ax: Axes, text: str, point: tuple[float, float], shade: str, gid: str) -> Annotation:
    label = ax.annotate(
        text,
        point,
        xytext=(2, 3),
        textcoords="offset points",
        fontsize=6,
        color=shade,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8},
        annotation_clip=True,
    )
    label.set_gid(gid)
    label.set_in_layout(False)
    return label


def _boundaries(groups: list[list[str]], lane: dict[str, int]) -> list[float]:
    """The y of the line between each two groups of a partition, when each group's lanes are
    next to each other (else there is no one line to draw)."""
    spans = []
    for group in groups:
        ys = sorted(lane[n] for n in group if n in lane)
        if not ys:
            continue
        if ys[-1] - ys[0] + 1 != len(ys):
            return []
        spans.append((ys[0], ys[-1]))
    spans.sort()
    return [(a[1] + b[0]) / 2 for a, b in itertools.pairwise(spans)]


def _ring(
    w: _Window, lane: dict[str, int], violation: Mapping[str, Any] | None
) -> list[tuple[float, int]]:
    if not violation:
        return []
    pairs = zip(violation.get("nodes", ()), violation.get("times", ()), strict=False)
    return [(float(t), lane[str(n)]) for n, t in pairs if str(n) in lane]


def _break_marks(axes: list[Axes]) -> None:
    """The two slashes of a broken axis between panels, and no spine at the break."""
    for left, right in itertools.pairwise(axes):
        left.spines["right"].set_visible(False)
        right.spines["left"].set_visible(False)
        right.tick_params(left=False)
        marks: dict[str, Any] = {
            "marker": [(-1, -1.5), (1, 1.5)],
            "markersize": 8,
            "linestyle": "none",
            "color": "k",
            "mec": "k",
            "mew": 1,
            "clip_on": False,
        }
        left.plot([1, 1], [0, 1], transform=left.transAxes, **marks)
        right.plot([0, 0], [0, 1], transform=right.transAxes, **marks)


def _mark_handles(w: _Window, violation: Mapping[str, Any] | None) -> list[Line2D]:
    handles = []
    if w.drops:
        handles.append(
            Line2D(
                [], [], color=FAULT_COLOR, marker="x", linestyle="none", mew=1.5, label="dropped"
            )
        )
    if w.decided:
        handles.append(
            Line2D(
                [], [], color="black", marker="o", linestyle="none", markersize=4, label="decision"
            )
        )
    if violation and w.decided:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                mfc="none",
                mec=FAULT_COLOR,
                mew=1.8,
                markersize=9,
                linestyle="none",
                label="conflicting decisions",
            )
        )
    if w.leaders:
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                color="#E69F00",
                mec="black",
                markersize=9,
                linestyle="none",
                label="became leader",
            )
        )
    if w.faults:
        handles.append(Line2D([], [], color=FAULT_COLOR, linestyle=":", label="fault"))
    if any(
        _boundaries(groups, {n: i for i, n in enumerate(w.nodes)}) for _, _, groups in w.partitions
    ):
        handles.append(Line2D([], [], color=FAULT_COLOR, linewidth=2, alpha=0.6, label="partition"))
    return handles


def _alt(
    w: _Window,
    start_ms: float,
    end_ms: float,
    shown: str,
    violation: Mapping[str, Any] | None,
    panels: int,
) -> str:
    types = ", ".join(sorted({message_type(r.get("msg")) for r in w.sends}))
    parts = [
        f"Message sequence diagram ({shown}), {ms_range(start_ms, end_ms)}, nodes "
        f"{', '.join(w.nodes)}: {len(w.sends)} messages ({types or 'none'}), "
        f"{len(w.drops)} dropped."
    ]
    for r in w.faults:
        parts.append(
            f"{r.get('fault')} {r.get('targets', '')} at {ms(float(r['time']))}.".replace("  ", " ")
        )
    if w.leaders:
        parts.append(
            "New leaders: "
            + ", ".join(f"{r['node']} at {ms(float(r['time']))}" for r in w.leaders)
            + "."
        )
    if w.decided:
        parts.append(f"{len(w.decided)} decisions.")
    if violation:
        parts.append(f"Ringed: {violation.get('message', 'the conflicting decisions')}.")
    if panels > 1:
        parts.append(f"The time axis is broken into {panels} parts around quiet gaps.")
    return " ".join(parts)


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
