"""The fault scenarios: each one's effect shows in its summary, and the split-brain scenario's
exit codes follow `checks.expect`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sim import load_scenario, run
from sim.cli import app
from tests.conftest import SCENARIOS

runner = CliRunner()
SPLIT_BRAIN = str(SCENARIOS / "seed-split-brain.yaml")


def _summary(name: str) -> dict[str, Any]:
    return run(load_scenario(SCENARIOS / f"{name}.yaml")).summary


def test_split_brain_is_unsafe_as_expected(tmp_path: Path) -> None:
    """The split brain ends with replica safety violated, which it expects: exit 0."""
    result = runner.invoke(app, ["run", SPLIT_BRAIN, "--out", str(tmp_path / "a"), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["safety"]["ok"] is False and summary["faults"] == 2


def test_split_brain_expected_safe_exits_1(tmp_path: Path) -> None:
    """The same scenario with `expect: safe` exits 1."""
    args = ["run", SPLIT_BRAIN, "--out", str(tmp_path / "b"), "--quiet"]
    result = runner.invoke(app, [*args, "--set", "checks.expect=safe"])
    assert result.exit_code == 1


def test_split_brain_comes_from_the_partition(tmp_path: Path) -> None:
    """Without its partition the same run is safe."""
    args = ["run", SPLIT_BRAIN, "--out", str(tmp_path / "c"), "--quiet"]
    result = runner.invoke(app, [*args, "--set", "faults=[]", "--set", "checks.expect=safe"])
    assert result.exit_code == 0


def test_faults_reach_the_trace_and_faults_csv(tmp_path: Path) -> None:
    """Each fault applied is a row of faults.csv and a `fault` event of the trace."""
    scenario = load_scenario(SCENARIOS / "fault-crash.yaml")
    run(scenario, out=tmp_path / "run", trace=True)
    lines = (tmp_path / "run" / "faults.csv").read_text().splitlines()
    assert lines == ["at_ms,kind,targets", "1000.0,crash,n1", "2000.0,restart,n1"]
    trace = [json.loads(line) for line in (tmp_path / "run" / "trace.jsonl").open()]
    faults = [e for e in trace if e["event"] == "fault"]
    assert [(e["time"], e["fault"], e["targets"]) for e in faults] == [
        (1000.0, "crash", "n1"),
        (2000.0, "restart", "n1"),
    ]


def test_each_kind_shows_in_the_summary() -> None:
    """Crash: unknown outcomes; pause: a maximum latency of the pause; partition, isolate, cut,
    loss: dropped messages; duplicate: duplicated ones; delay: a slower tail; clock: failed
    writes; nemesis: many faults."""
    assert _summary("fault-crash")["ops"]["unknown"] > 4
    assert _summary("fault-pause")["latency_ms"]["max"] > 500
    for name in ("fault-partition", "fault-isolate", "fault-cut", "fault-loss"):
        assert _summary(name)["messages"]["dropped"] > 50, name
    assert _summary("fault-duplicate")["messages"]["duplicated"] > 1000
    assert _summary("fault-delay")["latency_ms"]["p99"] > 20
    assert _summary("fault-clock")["ops"]["fail"] > 100
    assert _summary("fault-nemesis")["faults"] >= 18
