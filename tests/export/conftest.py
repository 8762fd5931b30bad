"""Run directories the export tests read, made once per session with the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import SCENARIOS


def traced_run(directory: Path, scenario: str, *overrides: str) -> Path:
    sets = [arg for value in overrides for arg in ("--set", value)]
    args = ["run", str(SCENARIOS / scenario), "--trace", "--quiet", "--out", str(directory), *sets]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    return directory


@pytest.fixture(scope="session")
def split_brain_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed protocol split by a partition at 1 s: drops at sending, a violation."""
    return traced_run(
        tmp_path_factory.mktemp("runs") / "split", "seed-split-brain.yaml", "duration=1100ms"
    )


@pytest.fixture(scope="session")
def crash_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raft with its leader crashed at 1 s: elections, drops on arrival, reads and writes only."""
    return traced_run(
        tmp_path_factory.mktemp("runs") / "crash",
        "raft-leader-crash.yaml",
        "duration=1300ms",
        "workload.mix={read: 1, write: 1}",
    )


@pytest.fixture(scope="session")
def stale_read_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed protocol reading from a lagging replica: not linearizable."""
    return traced_run(
        tmp_path_factory.mktemp("runs") / "stale", "seed-stale-read.yaml", "duration=300ms"
    )
