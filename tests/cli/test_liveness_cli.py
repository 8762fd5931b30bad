"""A run that makes no progress is said so, beside its safety verdict; `checks.live` makes it
fail."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import SCENARIOS

runner = CliRunner()


def _run(tmp_path: Path, *sets: str) -> tuple[int, str]:
    args = ["run", str(SCENARIOS / "quickstart.yaml"), "--out", str(tmp_path / "run")]
    for item in ("duration=2s", *sets):
        args += ["--set", item]
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def test_total_loss_is_safe_but_warned(tmp_path: Path) -> None:
    """Loss 1.0 used to pass as safe with exit 0 and no word of the zero completions."""
    code, output = _run(tmp_path, "network.loss=1.0")
    assert code == 0  # safety is as expected; liveness is reported, not judged
    assert "warning: no operation completed ok in 2 s (0 of 16 invoked)" in output
    assert "NOT LIVE" in output


def test_checks_live_makes_a_stalled_run_fail(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "network.loss=1.0", "checks.live=true")
    assert code == 1
    assert "checks.live is set and the run was not live" in output


def test_a_healthy_run_gives_no_warning_and_passes_checks_live(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "checks.live=true")
    assert code == 0, output
    assert "warning" not in output
    assert "liveness" in output and "ok:" in output


def test_a_stall_longer_than_max_stall_is_warned(tmp_path: Path) -> None:
    """Every commit takes a few ms (two link delays and more): a 1 ms bound is exceeded."""
    code, output = _run(tmp_path, "checks.max_stall=1ms")
    assert code == 0
    assert "exceeds checks.max_stall 1 ms" in output
