"""The message-sequence diagram: one arrow per message in the window, one cross per drop."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from matplotlib.text import Annotation

from sim.plots import read_trace, sequence_diagram
from sim.plots.sequence import busy_window


def _send(t: float, src: str, dst: str, kind: str, arrive: float) -> dict:
    return {
        "time": t,
        "event": "send",
        "src": src,
        "dst": dst,
        "msg": {"type": kind},
        "arrive": arrive,
    }


def _drop(t: float, src: str, dst: str, reason: str) -> dict:
    msg = {"type": "Proposal"}
    return {"time": t, "event": "drop", "src": src, "dst": dst, "msg": msg, "reason": reason}


TRACE = [
    _send(0.5, "n1", "n2", "Early", 1.0),
    _send(1.0, "n1", "n2", "Proposal", 2.0),
    _send(1.0, "n1", "n3", "Proposal", 2.5),
    _drop(1.0, "n1", "n10", "loss"),
    {"time": 2.0, "event": "deliver", "src": "n1", "dst": "n2", "msg": {"type": "Proposal"}},
    _send(2.0, "n2", "n1", "Ack", 3.0),
    {"time": 2.5, "event": "fault", "fault": "crash", "targets": "n3"},
    _drop(2.5, "n1", "n3", "crashed"),
    {"time": 3.0, "event": "decide", "node": "n1", "index": 1, "op_id": 7},
    {"time": 3.2, "event": "became_leader", "node": "n2", "term": 2},
    {"event": "...", "skipped": 12},  # as in a violation excerpt: no time, ignored
    _send(9.0, "n2", "n1", "Late", 9.5),
]


def _arrows(fig) -> list[Annotation]:
    return [t for t in fig.axes[0].texts if isinstance(t, Annotation) and t.arrow_patch]


def _crosses(fig) -> list[tuple[float, float]]:
    (line,) = [line for line in fig.axes[0].lines if line.get_label() == "dropped"]
    return list(zip(line.get_xdata(), line.get_ydata(), strict=True))


def test_one_arrow_per_message_in_the_window() -> None:
    """Messages sent within [start, end] are arrows from (sent, sender) to (arrival, receiver)."""
    fig = sequence_diagram(TRACE, 1.0, 5.0)
    arrows = _arrows(fig)
    assert len(arrows) == 3
    lanes = {t.get_text(): i for i, t in enumerate(fig.axes[0].get_yticklabels())}
    assert list(lanes) == ["n1", "n2", "n3", "n10"]  # natural order
    ends = sorted((a.xyann, a.xy) for a in arrows)
    assert ends[0] == ((1.0, lanes["n1"]), (2.0, lanes["n2"]))
    assert ends[2] == ((2.0, lanes["n2"]), (3.0, lanes["n1"]))


def test_one_cross_per_drop() -> None:
    """A message lost at sending: cross on a stub towards its destination; one that reached a
    crashed node: cross on the node's line at the arrival time."""
    crosses = _crosses(sequence_diagram(TRACE, 1.0, 5.0))
    assert len(crosses) == 2
    assert (2.5, 2) in crosses  # n3 crashed
    lost = next(c for c in crosses if c != (2.5, 2))
    assert lost[0] > 1.0 and 0 < lost[1] < 3  # on its way from n1 (0) to n10 (3)


def test_decisions_leaders_and_faults_are_marked() -> None:
    """A dot per decision, a star per new leader, a dotted line per fault."""
    ax = sequence_diagram(TRACE, 1.0, 5.0).axes[0]
    marks = {line.get_label(): line for line in ax.lines}
    assert list(marks["decision"].get_xdata()) == [3.0]
    assert list(marks["became leader"].get_ydata()) == [1]  # n2
    assert any("crash n3" in t.get_text() for t in ax.texts)


def test_accepts_tuples_frames_and_a_node_subset() -> None:
    """Recorder tuples and a DataFrame give the same arrows; `nodes` keeps those lanes only."""
    tuples = [
        (r["time"], r["event"], {k: v for k, v in r.items() if k not in ("time", "event")})
        for r in TRACE
        if "time" in r
    ]
    assert len(_arrows(sequence_diagram(tuples, 1.0, 5.0))) == 3
    assert len(_arrows(sequence_diagram(pd.DataFrame(TRACE), 1.0, 5.0))) == 3
    fig = sequence_diagram(TRACE, 0.0, 10.0, nodes=["n1", "n2"])
    assert len(_arrows(fig)) == 4 and not _crosses_or_none(fig)


def _crosses_or_none(fig) -> list[tuple[float, float]]:
    return _crosses(fig) if any(line.get_label() == "dropped" for line in fig.axes[0].lines) else []


def test_read_trace_window_and_busy_window(tmp_path: Path) -> None:
    """read_trace keeps the rows of the window; busy_window starts just before the fault."""
    path = tmp_path / "trace.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in TRACE if "time" in r))
    assert [r["time"] for r in read_trace(tmp_path, 2.0, 3.0)] == [2.0, 2.0, 2.5, 2.5, 3.0]
    start, end = busy_window(path, around_ms=2.5, messages=2)
    assert start == 1.5 and 2.5 <= end < 9.0
