"""Commands that write refuse every path that is not new, empty or quorumsim's own, and leave
what they refused exactly as it was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.outputs import OutputRefused, claim, is_run_dir
from tests.conftest import SCENARIOS

runner = CliRunner()
SHORT = ["--set", "duration=300ms"]


def _run(out: Path, scenario: str = "quickstart.yaml") -> tuple[int, str]:
    result = runner.invoke(app, ["run", str(SCENARIOS / scenario), "--out", str(out), *SHORT])
    return result.exit_code, result.output


def test_a_directory_with_a_users_file_is_refused_and_kept(tmp_path: Path) -> None:
    """The reported loss: `--out d` used to delete d/thesis.txt."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "thesis.txt").write_text("four years of work")
    code, output = _run(d)
    assert code == 2
    assert "files quorumsim did not write" in output
    assert [p.name for p in d.iterdir()] == ["thesis.txt"]
    assert (d / "thesis.txt").read_text() == "four years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no staging left beside it


def test_a_file_is_refused_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    code, output = _run(target)
    assert code == 2 and "is a file, not a directory" in output
    assert target.read_text() == "mine"


def test_a_fifo_is_refused_at_once_without_opening_it(tmp_path: Path) -> None:
    """A FIFO stands in for a device: opening it would block for ever."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.perf_counter()
    code, output = _run(fifo)
    assert code == 2 and "is a FIFO" in output
    assert time.perf_counter() - started < 10  # the run itself is refused before it starts
    assert fifo.exists() and not fifo.is_dir()


def test_a_path_under_proc_is_bad_input_not_a_traceback(tmp_path: Path) -> None:
    code, output = _run(Path("/proc/quorumsim-cannot-be-here"))
    assert code == 2
    assert "cannot create it" in output and "Traceback" not in output


def test_a_path_under_a_file_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, output = _run(tmp_path / "file" / "run")
    assert code == 2 and "Traceback" not in output


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write in: a read-only tmpfs mount as root (root ignores the
    permission bits), a directory without write permission otherwise."""
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:
        locked.chmod(0o500)
        yield locked
        locked.chmod(0o700)
        return
    mount = ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(locked)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("running as root, which writes past permission bits, and cannot mount")
    try:
        yield locked
    finally:
        subprocess.run(["umount", str(locked)], check=True)


def test_a_read_only_directory_is_bad_input(read_only_dir: Path) -> None:
    code, output = _run(read_only_dir / "run")
    assert code == 2 and "cannot create it" in output, output


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    code, output = _run(tmp_path / "link")
    assert code == 2 and "symbolic link" in output


def test_a_new_path_an_empty_directory_and_its_own_run_are_written(tmp_path: Path) -> None:
    new = tmp_path / "a" / "b"
    assert _run(new)[0] == 0 and is_run_dir(new)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _run(empty)[0] == 0 and is_run_dir(empty)
    first = json.loads((new / "summary.json").read_text())["manifest"]["started_at"]
    time.sleep(1.1)  # started_at has second resolution
    assert _run(new)[0] == 0  # its own run directory is replaced
    assert json.loads((new / "summary.json").read_text())["manifest"]["started_at"] != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"]


def test_a_run_directory_holding_a_users_file_is_no_longer_ours(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert _run(run)[0] == 0
    (run / "plots").mkdir()
    (run / "plots" / "my-notes.txt").write_text("mine")
    assert not is_run_dir(run)
    assert _run(run)[0] == 2
    assert (run / "plots" / "my-notes.txt").read_text() == "mine"


def test_plot_refuses_a_plots_folder_that_is_not_its_own(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert _run(run)[0] == 0
    assert runner.invoke(app, ["plot", str(run)]).exit_code == 0
    assert runner.invoke(app, ["plot", str(run)]).exit_code == 0  # its own figures: redrawn
    (run / "plots" / "draft.tex").write_text("mine")
    result = runner.invoke(app, ["plot", str(run)])
    assert result.exit_code == 2 and "did not write" in result.output
    shutil.rmtree(run / "plots")
    (run / "plots").write_text("a file named plots")
    assert runner.invoke(app, ["plot", str(run)]).exit_code == 2
    assert (run / "plots").read_text() == "a file named plots"


def test_sweep_refuses_a_foreign_directory(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "data.csv").write_text("1,2\n")
    result = runner.invoke(
        app,
        ["sweep", str(SCENARIOS / "sweep-loss.yaml"), "--out", str(d), "--workers", "1", *SHORT],
    )
    assert result.exit_code == 2 and "did not write" in result.output
    assert [p.name for p in d.iterdir()] == ["data.csv"]


def test_the_check_is_made_again_just_before_the_rename(tmp_path: Path) -> None:
    """A file that appears in the target while the run simulates is kept: the run is refused."""
    from sim.experiment import rundir

    target = tmp_path / "run"
    with pytest.raises(OutputRefused), rundir.atomic_directory(target) as staging:
        (staging / "summary.json").write_text("{}")
        target.mkdir()
        (target / "arrived.txt").write_text("mine")
    assert [p.name for p in target.iterdir()] == ["arrived.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_dev_null_is_refused_by_its_kind() -> None:
    """Run as root, `--out /dev/null` once replaced the system's /dev/null."""
    with pytest.raises(OutputRefused, match="character device"):
        claim(Path("/dev/null"), is_run_dir, "a run directory")


def test_the_real_command_refuses_dev_null() -> None:
    before = os.stat("/dev/null")
    command = [sys.executable, "-m", "sim", "run", str(SCENARIOS / "quickstart.yaml"), *SHORT]
    done = subprocess.run(
        [*command, "--out", "/dev/null"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "character device" in done.stderr
    assert "Traceback" not in done.stderr
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_figure16_refuses_a_file_it_did_not_write(tmp_path: Path) -> None:
    """`python -m sim.experiment.figure16 --out` used to overwrite any file."""
    from sim.experiment import figure16

    notes = tmp_path / "notes.csv"
    notes.write_text("mine\n")
    with pytest.raises(SystemExit) as stopped:
        figure16.main(["--trials", "1", "--workers", "1", "--out", str(notes)])
    assert stopped.value.code == 2
    assert notes.read_text() == "mine\n"
    table = tmp_path / "table.csv"
    figure16.write_table([], table)  # its own table may be written again
    figure16.write_table([], table)
    assert table.read_text().startswith("profile,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.csv", "table.csv"]
