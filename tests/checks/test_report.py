"""Violation reports: violation.md names what, where and when, with the trace rows that show it."""

from __future__ import annotations

from pathlib import Path

from sim import load_scenario, run
from sim.checks.report import Finding, excerpt
from sim.protocols import Op
from sim.protocols.seed.messages import Commit
from tests.conftest import SCENARIOS


def test_excerpt_keeps_only_the_story_of_the_violation() -> None:
    """Rows about other ops, or between other nodes, are left out; faults stay in."""
    rows = [
        {"time": 0.0, "event": "invoke", "op_id": 1, "node": "n1"},
        {"time": 0.5, "event": "invoke", "op_id": 7, "node": "n1"},
        {
            "time": 1.0,
            "event": "send",
            "src": "n1",
            "dst": "n2",
            "msg": Commit("a", Op(1, "write")),
        },
        {
            "time": 1.0,
            "event": "send",
            "src": "n1",
            "dst": "n3",
            "msg": Commit("a", Op(1, "write")),
        },
        {"time": 1.5, "event": "fault", "fault": "crash", "targets": "n3"},
        {"time": 2.0, "event": "decide", "node": "n2", "index": 1, "op_id": 1},
        {"time": 9.0, "event": "decide", "node": "n2", "index": 2, "op_id": 1},
    ]
    finding = Finding("agreement", "x", op_ids={1}, nodes=["n1", "n2"], end=2.0)
    kept = excerpt(rows, finding)
    assert [r["time"] for r in kept] == [0.0, 1.0, 1.5, 2.0]
    assert kept[1]["dst"] == "n2"


def test_unsafe_run_writes_violation_md_with_diagram(tmp_path: Path) -> None:
    """seed-reorder: the report names the agreement violation and its index, shows the Commit
    deliveries and decisions of the two nodes, and links a diagram that exists."""
    result = run(
        load_scenario(SCENARIOS / "seed-reorder.yaml", overrides=["duration=300ms"]),
        out=tmp_path / "run",
    )
    first = result.summary["safety"]["violations"][0]
    page = (tmp_path / "run" / "violation.md").read_text()
    assert "## 1. agreement" in page
    assert first["message"] in page
    for node in first["nodes"]:
        assert f"decide | node={node}, index={first['index']}" in page
    assert "deliver | src=" in page and "Commit(" in page
    assert (tmp_path / "run" / "violation-1.png").read_bytes()[:4] == b"\x89PNG"


def test_client_violation_is_reported_from_the_history(tmp_path: Path) -> None:
    """seed-stale-read: the report names the key, and its excerpt has the stale read's request."""
    result = run(
        load_scenario(SCENARIOS / "seed-stale-read.yaml", overrides=["duration=1s"]),
        out=tmp_path / "run",
    )
    assert result.summary["linearizable"] is False and result.summary["safety"]["ok"]
    page = (tmp_path / "run" / "violation.md").read_text()
    assert "## 1. linearizability" in page and "key 'k" in page
    assert "| request | node=" in page


def test_safe_run_writes_no_report(tmp_path: Path) -> None:
    """No violation, no violation.md."""
    run(load_scenario(SCENARIOS / "article.yaml"), out=tmp_path / "run")
    assert not (tmp_path / "run" / "violation.md").exists()
