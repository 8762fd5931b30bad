"""Every file in scenarios/ validates and runs (shortened), meeting its own `checks.expect`."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import load_scenario, run
from tests.conftest import SCENARIOS

FILES = sorted(SCENARIOS.glob("*.yaml"))


def test_there_are_scenarios() -> None:
    """The glob finds the example files (guards against running no case at all)."""
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_runs_as_expected(path: Path, tmp_path: Path) -> None:
    """The scenario runs (at most 5 simulated seconds) and its safety verdict is the expected
    one; the run directory has the files the spec lists."""
    scenario = load_scenario(path)
    if scenario.duration > 5000 and not scenario.faults:
        scenario = scenario.model_copy(update={"duration": 5000.0})
    result = run(scenario, out=tmp_path / "run")
    assert result.as_expected, result.summary["safety"]
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert {
        "summary.json",
        "scenario.yaml",
        "requests.csv",
        "decisions.csv",
        "faults.csv",
        "history.jsonl",
    } <= names
    assert result.summary["ops"]["ok"] > 0


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_declares_the_schema(path: Path) -> None:
    """Each file starts with the yaml-language-server schema line, for editor completion."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/scenario.schema.json"
