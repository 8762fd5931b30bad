"""A disagreement's finding carries its two decisions, and a long excerpt never skips them."""

from __future__ import annotations

from sim.checks.report import EXCERPT_ROWS, Decision, Finding, excerpt, replica_findings

AGREEMENT = {
    "kind": "agreement",
    "message": "index 3: n1 decided op 7 at 1.000 ms, n2 decided op 9 at 90.000 ms",
    "index": 3,
    "nodes": ["n1", "n2"],
    "ops": [7, 9],
    "times": [1.0, 90.0],
}


def test_a_disagreement_names_its_two_decisions() -> None:
    """An agreement violation's nodes, times and ops pair up as its decisions; a violation of
    another kind (its nodes and times are elections) has none."""
    election = {"kind": "election_safety", "message": "m", "term": 2, "nodes": ["n1", "n2"]}
    found = replica_findings([AGREEMENT, {**election, "times": [1.0, 2.0]}])
    assert found[0].decisions == [Decision("n1", 1.0, 3, 7), Decision("n2", 90.0, 3, 9)]
    assert found[1].decisions == []


def test_a_long_excerpt_keeps_the_conflicting_decisions() -> None:
    """100 rows about op 7: the first decision, in the middle of what the excerpt skips, stays,
    between two markers that count every row left out."""
    rows = [{"time": float(t), "event": "invoke", "op_id": 7, "node": "n1"} for t in range(100)]
    rows[50] = {"time": 50.0, "event": "decide", "node": "n1", "index": 3, "op_id": 7}
    rows.append({"time": 100.0, "event": "decide", "node": "n2", "index": 3, "op_id": 9})
    finding = replica_findings([{**AGREEMENT, "times": [50.0, 100.0]}])[0]
    kept = excerpt(rows, finding)
    decided = [r for r in kept if r["event"] == "decide"]
    assert [(r["node"], r["time"]) for r in decided] == [("n1", 50.0), ("n2", 100.0)]
    markers = [r for r in kept if r["event"] == "..."]
    assert len(markers) == 2
    assert len(kept) - len(markers) + sum(r["skipped"] for r in markers) == len(rows)
    assert kept.index(decided[0]) == kept.index(markers[0]) + 1


def test_an_excerpt_without_decisions_is_cut_as_before() -> None:
    """No decisions to keep: the first third, one marker, the rest from the end."""
    rows = [{"time": float(t), "event": "invoke", "op_id": 7, "node": "n1"} for t in range(100)]
    kept = excerpt(rows, Finding("linearizability", "m", op_ids={7}, end=99.0))
    assert len(kept) == EXCERPT_ROWS + 1
    assert kept[EXCERPT_ROWS // 3] == {"time": None, "event": "...", "skipped": 100 - EXCERPT_ROWS}
