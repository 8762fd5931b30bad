"""Repository hygiene: what `make clean` may remove, the version flag, figures whose bytes are
a function of the figure alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.plots.files import write_figures
from sim.plots.style import new_figure
from sim.version import __version__
from tests.conftest import ROOT


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None, reason="no make")
def test_make_clean_removes_no_tracked_file(tmp_path: Path) -> None:
    """`make clean` once ran `rm -rf results`, taking the tracked reference data with it."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    shutil.copy(ROOT / "Makefile", clone / "Makefile")  # the one under test, committed or not
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    commit = ["git", *identity, "commit", "-qam", "under test", "--allow-empty"]
    subprocess.run(commit, cwd=clone, check=True)
    run = clone / "results" / "quickstart" / "latest"
    run.mkdir(parents=True)
    (run / "summary.json").write_text("{}")
    subprocess.run(["make", "-s", "clean"], cwd=clone, check=True, capture_output=True)
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""  # nothing tracked deleted or changed
    assert not (clone / "results" / "quickstart").exists()  # the runs are gone
    assert (clone / "results" / "reference" / "raft-figure16.csv").is_file()


def test_version_flag() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"quorumsim {__version__}"


def test_a_figure_drawn_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    """No date or library version in the files: `make gallery` on an unchanged tree leaves
    every tracked image as it was."""
    written = []
    for folder in ("a", "b"):
        fig, ax = new_figure()
        ax.plot([0, 1, 2], [1, 0, 1])
        (tmp_path / folder).mkdir()
        written.append(write_figures({"f": fig}, tmp_path / folder, svg=True))
    for first, second in zip(*written, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
        assert b"Matplotlib v" not in first.read_bytes()
