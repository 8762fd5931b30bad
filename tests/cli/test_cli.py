"""The command line: what it writes, what it prints, and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import ROOT, SCENARIOS

runner = CliRunner()


def test_run_writes_the_run_directory(tmp_path: Path) -> None:
    """`run --out DIR --trace` writes every file of the spec, and the summary's figures agree
    with the tables."""
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "run",
            str(SCENARIOS / "quickstart.yaml"),
            "--out",
            str(out),
            "--trace",
            "--set",
            "duration=1s",
            "--seed",
            "9",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "replica safety" in result.output
    for name in (
        "summary.json",
        "scenario.yaml",
        "requests.csv",
        "decisions.csv",
        "faults.csv",
        "history.jsonl",
        "trace.jsonl",
    ):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 9 and summary["duration_ms"] == 1000.0
    rows = (out / "requests.csv").read_text().splitlines()
    assert sum(r.endswith(",ok") for r in rows[1:]) == summary["ops"]["ok"]
    assert summary["manifest"]["config_sha256"]
    assert set(summary) >= {
        "scenario",
        "protocol",
        "nodes",
        "seed",
        "duration_ms",
        "wall_s",
        "events",
        "messages",
        "ops",
        "throughput_per_s",
        "latency_ms",
        "elections",
        "safety",
        "linearizable",
        "manifest",
    }


def test_resolved_scenario_runs_the_same(tmp_path: Path) -> None:
    """scenario.yaml (every default filled in) reproduces the run byte for byte."""
    first, second = tmp_path / "a", tmp_path / "b"
    runner.invoke(
        app,
        [
            "run",
            str(SCENARIOS / "seed-reorder.yaml"),
            "--out",
            str(first),
            "--set",
            "duration=500ms",
        ],
    )
    result = runner.invoke(app, ["run", str(first / "scenario.yaml"), "--out", str(second)])
    assert result.exit_code == 0, result.output
    for name in ("requests.csv", "decisions.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_expect_decides_the_exit_status(tmp_path: Path) -> None:
    """An unsafe run exits 0 when `unsafe` was expected and 1 when `safe` was."""
    path = str(SCENARIOS / "seed-reorder.yaml")
    short = ["--set", "duration=1s", "--quiet"]
    assert runner.invoke(app, ["run", path, "--out", str(tmp_path / "a"), *short]).exit_code == 0
    wrong = runner.invoke(
        app, ["run", path, "--out", str(tmp_path / "b"), *short, "--set", "checks.expect=safe"]
    )
    assert wrong.exit_code == 1


def test_bad_override_is_bad_input(tmp_path: Path) -> None:
    """A --set with a wrong value exits 2, names the override and writes nothing."""
    out = tmp_path / "never"
    result = runner.invoke(
        app,
        [
            "run",
            str(SCENARIOS / "quickstart.yaml"),
            "--out",
            str(out),
            "--set",
            "cluster.nodes=many",
        ],
    )
    assert result.exit_code == 2
    assert "--set cluster.nodes=many: cluster.nodes:" in result.stderr
    assert not out.exists()


def test_missing_file_is_bad_input() -> None:
    """A file that does not exist: exit 2 and its name on stderr."""
    result = runner.invoke(app, ["run", "no/such.yaml"])
    assert result.exit_code == 2
    assert "no/such.yaml: no such file" in result.stderr


def test_validate_several_files(tmp_path: Path) -> None:
    """`validate` says ok for good files, lists problems of bad ones, exits 2 if any is bad."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nclustr: {nodes: 3}\n")
    good = SCENARIOS / "quickstart.yaml"
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert f"ok {good}" in result.stdout
    assert f"{bad}:2:1: clustr: unknown key" in result.stderr
    assert "did you mean `cluster`?" in result.stderr
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0


def test_protocols_lists_parameters_with_defaults() -> None:
    """`protocols` names each protocol and each parameter with its default."""
    result = runner.invoke(app, ["protocols"])
    assert result.exit_code == 0
    assert "seed" in result.stdout and 'quorum = "article"' in result.stdout


def test_schema_is_json_schema_of_the_model() -> None:
    """`schema` prints a JSON Schema whose top-level keys are the scenario's sections."""
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) >= {"name", "cluster", "network", "workload", "faults"}
    assert schema["required"] == ["name"]


def test_plot_writes_pngs(tmp_path: Path) -> None:
    """`plot DIR` draws PNG files into DIR/plots; a directory without a run is bad input."""
    out = tmp_path / "run"
    runner.invoke(app, ["run", str(SCENARIOS / "article.yaml"), "--out", str(out), "--quiet"])
    result = runner.invoke(app, ["plot", str(out)])
    assert result.exit_code == 0, result.output
    pngs = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert pngs and all((out / "plots" / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)
    assert runner.invoke(app, ["plot", str(tmp_path)]).exit_code == 2


def test_python_dash_m_is_the_same_program() -> None:
    """`python -m sim` runs the CLI; bad input gives no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", "missing.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "missing.yaml: no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def _history(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_check_verdicts_and_exit_codes(tmp_path: Path) -> None:
    """`check` exits 0 on a linearizable history, 1 on a stale read, 2 on a malformed one."""
    write = [
        '{"process":0,"type":"invoke","f":"write","key":"k","value":1,"time":0}',
        '{"process":0,"type":"ok","f":"write","key":"k","value":1,"time":1}',
    ]
    fresh = '{"process":1,"type":"ok","f":"read","key":"k","value":1,"time":3}'
    stale = '{"process":1,"type":"ok","f":"read","key":"k","value":null,"time":3}'
    invoke = '{"process":1,"type":"invoke","f":"read","key":"k","value":null,"time":2}'
    good = runner.invoke(app, ["check", _history(tmp_path, [*write, invoke, fresh])])
    assert good.exit_code == 0 and good.stdout.startswith("linearizable")
    bad = runner.invoke(app, ["check", _history(tmp_path, [*write, invoke, stale])])
    assert bad.exit_code == 1 and "not linearizable" in bad.stdout
    broken = runner.invoke(app, ["check", _history(tmp_path, [write[1]])])
    assert broken.exit_code == 2
    assert "history.jsonl:1:" in broken.stderr


def test_check_reads_a_run_history(tmp_path: Path) -> None:
    """The history a run writes is accepted by `check` (the format round-trips)."""
    out = tmp_path / "run"
    runner.invoke(app, ["run", str(SCENARIOS / "article.yaml"), "--out", str(out), "--quiet"])
    result = runner.invoke(app, ["check", str(out / "history.jsonl")])
    assert result.exit_code == 0, result.output
