"""The message-sequence diagram draws what it claims: one arrow per message (those entering the
window too), drops ending on the receiver's lane in the fault colour, epochs and positions on
messages, labels that do not overlap, the partition line, ringed conflicts, a broken axis."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.text import Annotation

from sim.plots import read_trace, sequence_diagram
from sim.plots.labels import visible_boxes
from sim.plots.sequence import busy_window, message_detail
from sim.plots.style import FAULT_COLOR, alt_text


def _send(t: float, src: str, dst: str, kind: str, arrive: float, **fields: object) -> dict:
    return {
        "time": t,
        "event": "send",
        "src": src,
        "dst": dst,
        "msg": {"type": kind, **fields},
        "arrive": arrive,
    }


def _drop(t: float, src: str, dst: str, reason: str) -> dict:
    msg = {"type": "Proposal"}
    return {"time": t, "event": "drop", "src": src, "dst": dst, "msg": msg, "reason": reason}


def _decide(t: float, node: str, index: int, op: int) -> dict:
    return {"time": t, "event": "decide", "node": node, "index": index, "op_id": op}


TRACE = [
    _send(0.5, "n1", "n2", "Early", 1.5),  # in flight when a window from 1.0 opens
    _send(1.0, "n1", "n2", "Proposal", 2.0),
    _send(1.0, "n1", "n3", "Proposal", 2.5),
    _drop(1.0, "n1", "n10", "loss"),
    {"time": 2.0, "event": "deliver", "src": "n1", "dst": "n2", "msg": {"type": "Proposal"}},
    _send(2.0, "n2", "n1", "Ack", 3.0),
    {"time": 2.5, "event": "fault", "fault": "crash", "targets": "n3"},
    _drop(2.5, "n1", "n3", "crashed"),
    _decide(3.0, "n1", 1, 7),
    {"time": 3.2, "event": "became_leader", "node": "n2", "epoch": 2},
    {"event": "...", "skipped": 12},  # as in a violation excerpt: no time, ignored
    _send(9.0, "n2", "n1", "Late", 9.5),
]


def _arrows(fig, panel: int = 0) -> list[Annotation]:
    return [t for t in fig.axes[panel].texts if isinstance(t, Annotation) and t.arrow_patch]


def _crosses(fig) -> list[tuple[float, float]]:
    (line,) = [line for line in fig.axes[0].lines if line.get_label() == "dropped"]
    return list(zip(line.get_xdata(), line.get_ydata(), strict=True))


def _lanes(fig) -> dict[str, int]:
    return {t.get_text(): i for i, t in enumerate(fig.axes[0].get_yticklabels())}


def test_one_arrow_per_message_in_the_window() -> None:
    """Messages sent within [start, end] are arrows from (sent, sender) to (arrival, receiver);
    one sent before the window and arriving in it enters from the left edge."""
    fig = sequence_diagram(TRACE, 1.0, 5.0)
    arrows = _arrows(fig)
    assert len(arrows) == 4
    lanes = _lanes(fig)
    assert list(lanes) == ["n1", "n2", "n3", "n10"]  # natural order
    ends = sorted((a.xyann, a.xy) for a in arrows)
    assert ends[0] == ((0.5, lanes["n1"]), (1.5, lanes["n2"]))  # starts left of the window
    assert fig.axes[0].get_xlim()[0] == 1.0
    assert ends[3] == ((2.0, lanes["n2"]), (3.0, lanes["n1"]))


def test_drop_crosses_sit_on_the_receivers_lane_in_the_fault_colour() -> None:
    """A message lost at sending: a grey line to the receiver's lane one latency later, ending
    in a cross there; one that reached a crashed node: a cross on its lane at that time. The
    crosses and the fault line wear the fault colour, which no message type wears."""
    fig = sequence_diagram(TRACE, 1.0, 5.0)
    lanes = _lanes(fig)
    crosses = _crosses(fig)
    assert (2.5, lanes["n3"]) in crosses  # n3 crashed
    lost = next(c for c in crosses if c != (2.5, lanes["n3"]))
    assert lost[1] == lanes["n10"] and lost[0] > 1.0
    (line,) = [line for line in fig.axes[0].lines if line.get_label() == "dropped"]
    assert to_hex(line.get_color()) == FAULT_COLOR.lower()
    kinds = [_send(0.1 * i, "n1", "n2", f"Kind{i}", 0.1 * i + 0.05) for i in range(8)]
    colors = {to_hex(a.arrow_patch.get_edgecolor()) for a in _arrows(sequence_diagram(kinds, 0, 1))}
    assert len(colors) >= 6 and FAULT_COLOR.lower() not in colors


def test_messages_are_labelled_with_epoch_and_positions() -> None:
    """AppendEntries of term 2 carrying entries 5 and 6 reads `t2 #5-6`; replies say ok or no."""
    append = {"term": 2, "prev_log_index": 4, "entries": [{}, {}], "leader_commit": 4}
    assert message_detail(append) == "t2 #5-6"
    assert message_detail({"term": 2, "prev_log_index": 6, "entries": []}) == "t2 hb"
    assert message_detail({"term": 3, "success": True, "match_index": 6}) == "t3 ok #6"
    assert message_detail({"term": 3, "granted": False}) == "t3 no"
    assert message_detail({"proposal_id": "n1:9", "op": {"op_id": 9}}) == "op 9"
    fig = sequence_diagram([_send(1.0, "n1", "n2", "AppendEntries", 2.0, **append)], 0.0, 3.0)
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "message"]
    assert texts == ["AppendEntries t2 #5-6"]


def test_simultaneous_labels_do_not_overlap() -> None:
    """Five decisions at the same moment on two neighbouring lanes: every label shown, no two
    label boxes overlapping."""
    rows = [_decide(3.0, node, i, 100 + i) for i in range(1, 4) for node in ("n1", "n2")]
    rows += [_send(2.9 + 0.01 * i, "n1", "n2", "Commit", 3.1, term=1) for i in range(6)]
    fig = sequence_diagram(rows, 2.0, 4.0)
    labels = [t for t in fig.axes[0].texts if t.get_gid() in ("decision", "message")]
    boxes = visible_boxes(fig, labels)
    assert len([t for t in labels if t.get_gid() == "decision" and t.get_visible()]) >= 4
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)], (
        "two labels overlap"
    )


def test_title_prints_readable_times_and_leaders_their_term() -> None:
    """A window of 0 to 2.25546 ms reads `0.0 to 2.3 ms`; a new leader's star says its term."""
    fig = sequence_diagram(TRACE, 0.0, 2.25546)
    assert "0.0 to 2.3 ms" in fig.axes[0].get_title()
    fig = sequence_diagram(TRACE, 1.0, 5.0)
    assert "leader t2" in [t.get_text() for t in fig.axes[0].texts]


def test_partition_line_between_the_groups_until_the_heal() -> None:
    """A partition n1 n2 | n3 is a line between lanes n2 and n3 from the cut to the heal."""
    rows = [
        {"time": 1.0, "event": "fault", "fault": "partition", "targets": "n1 n2 | n3"},
        _send(1.5, "n1", "n3", "Proposal", 2.0),
        {"time": 4.0, "event": "fault", "fault": "heal", "targets": "all"},
        _send(4.5, "n3", "n1", "Ack", 5.0),
    ]
    ax = sequence_diagram(rows, 0.0, 5.0).axes[0]
    (line,) = [line for line in ax.lines if line.get_label() == "partition"]
    assert list(line.get_xdata()) == [1.0, 4.0] and list(line.get_ydata()) == [1.5, 1.5]


def test_a_violations_two_decisions_are_ringed() -> None:
    """The two conflicting decisions of summary.json's violation get a ring each, where they
    were drawn."""
    rows = [_decide(1.0, "n1", 5, 50), _decide(1.2, "n3", 5, 51), _decide(1.3, "n2", 5, 50)]
    violation = {"index": 5, "nodes": ["n1", "n3"], "ops": [50, 51], "times": [1.0, 1.2]}
    ax = sequence_diagram(rows, 0.5, 1.5, violation=violation).axes[0]
    (ring,) = [line for line in ax.lines if line.get_label() == "conflicting decisions"]
    assert list(zip(ring.get_xdata(), ring.get_ydata(), strict=True)) == [(1.0, 0), (1.2, 2)]
    assert to_hex(ring.get_markeredgecolor()) == FAULT_COLOR.lower()


def test_far_apart_clusters_get_a_broken_time_axis() -> None:
    """Messages around 10 ms and around 1000 ms: two panels, each showing its cluster, the
    quiet second between them left out; one cluster keeps one panel."""
    rows = [_send(10.0, "n1", "n2", "Proposal", 11.0), _send(1000.0, "n2", "n1", "Ack", 1001.0)]
    fig = sequence_diagram(rows, 9.0, 1002.0)
    assert len(fig.axes) == 2
    (a0, a1), (b0, b1) = fig.axes[0].get_xlim(), fig.axes[1].get_xlim()
    assert a0 == 9.0 and 11.0 <= a1 < 100.0 and 100.0 < b0 <= 1000.0 and b1 >= 1001.0
    assert len(sequence_diagram(rows[:1], 9.0, 12.0).axes) == 1


def test_alt_text_says_what_is_drawn() -> None:
    """The alt text counts the messages and drops and names the fault."""
    text = alt_text(sequence_diagram(TRACE, 1.0, 5.0))
    assert "4 messages" in text and "2 dropped" in text and "crash n3" in text


def test_accepts_tuples_frames_and_a_node_subset() -> None:
    """Recorder tuples and a DataFrame give the same arrows, rows given twice count once;
    `nodes` keeps those lanes only."""
    tuples = [
        (r["time"], r["event"], {k: v for k, v in r.items() if k not in ("time", "event")})
        for r in TRACE
        if "time" in r
    ]
    assert len(_arrows(sequence_diagram(tuples, 1.0, 5.0))) == 4
    assert len(_arrows(sequence_diagram(pd.DataFrame(TRACE), 1.0, 5.0))) == 4
    assert len(_arrows(sequence_diagram(TRACE + TRACE, 1.0, 5.0))) == 4  # two reads overlapping
    fig = sequence_diagram(TRACE, 0.0, 10.0, nodes=["n1", "n2"])
    arrows = sum(len(_arrows(fig, i)) for i in range(len(fig.axes))) // len(fig.axes)
    assert arrows == 4 and not _crosses_or_none(fig)


def _crosses_or_none(fig) -> list[tuple[float, float]]:
    return _crosses(fig) if any(line.get_label() == "dropped" for line in fig.axes[0].lines) else []


def test_read_trace_window_and_busy_window(tmp_path: Path) -> None:
    """read_trace keeps the rows of the window, and before them the messages still in flight
    and the faults; busy_window starts just before the fault."""
    path = tmp_path / "trace.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in TRACE if "time" in r))
    rows = read_trace(tmp_path, 2.0, 3.0)
    assert [r["time"] for r in rows] == [1.0, 1.0, 2.0, 2.0, 2.5, 2.5, 3.0]
    assert [r["arrive"] for r in rows[:2]] == [2.0, 2.5]  # sent at 1.0, in flight at 2.0
    start, end = busy_window(path, around_ms=2.5, messages=2)
    assert start == 1.5 and 2.5 <= end < 9.0
