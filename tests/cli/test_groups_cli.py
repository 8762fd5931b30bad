"""`quorumsim run` prints each client group's latency under the run's own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()

# Clients of group "far" sit at b, 20 ms from the target a each way; those of "home" at a.
SCENARIO = {
    "name": "groups",
    "duration": "600ms",
    "cluster": {"nodes": ["a", "b", "c"], "protocol": "seed", "params": {"quorum": "majority"}},
    "network": {
        "latency": "5ms",
        "links": [{"from": "a", "to": "b", "latency": "20ms", "symmetric": True}],
    },
    "workload": {
        "target": "a",
        "groups": [{"near": "b", "name": "far"}, {"near": "a", "name": "home", "clients": 2}],
    },
}


def _run(tmp_path: Path, scenario: dict) -> tuple[str, dict]:
    file = tmp_path / "scenario.yaml"
    file.write_text(yaml.safe_dump(scenario))
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "summary.json").read_text())


def test_run_prints_one_latency_line_per_group(tmp_path: Path) -> None:
    """One `group NAME` row per group, in the file's order, with that group's mean, p50, p99
    and ok count from summary.json; far's clients wait 40 ms longer than home's."""
    output, summary = _run(tmp_path, SCENARIO)
    rows = re.findall(r"group (\w+)\s+│ mean (\S+)  p50 (\S+)  p99 (\S+)  \((\S+) ok\)", output)
    assert [row[0] for row in rows] == ["far", "home"]
    for name, mean, p50, p99, ok in rows:
        group = summary["groups"][name]
        figures = group["latency_ms"]
        assert (mean, p50, p99) == tuple(f"{figures[q]:.3f}" for q in ("mean", "p50", "p99"))
        assert int(ok.replace(",", "")) == group["ops"]["ok"] > 0
    far, home = (float(row[2]) for row in rows)
    assert far == home + 40


def test_run_without_groups_prints_no_group_line(tmp_path: Path) -> None:
    """A workload without groups: the table has no group rows."""
    plain = {**SCENARIO, "workload": {"target": "a"}}
    output, summary = _run(tmp_path, plain)
    assert "groups" not in summary and "group " not in output and "latency ms" in output
