"""Stopping a `quorumsim sweep` process with a signal, as `kill` and Ctrl-C do: it exits 128 + the
signal's number within seconds, keeps and tables the finished runs, leaves no process behind, and
prints a command that finishes the same sweep."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sim.experiment.sweep import WALL_CLOCK
from tests.experiment.tiny import tiny

pytestmark = pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="counts child processes in /proc (Linux)",
)

BASE = tiny("stop", grid={"cluster.nodes": [3, 5]}, seeds=2)
# Two short runs first (one of them finishes, then the signal comes), then two that would take
# about ten seconds each: the sweep must stop them, not wait for them.
STOP_GRID = ["--set", "sweep.grid={duration: [300ms, 60s], workload.clients: [2, 3]}"]
STOP_GRID += ["--set", "sweep.seeds=1"]
GONE_WITHIN_S = 2.0


def start(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    """`quorumsim sweep sweep.yaml ARGS` in ``cwd``, its output in cwd/stdout and cwd/stderr."""
    (cwd / "sweep.yaml").write_text(yaml.safe_dump(BASE), encoding="utf-8")
    with open(cwd / "stdout", "wb") as stdout, open(cwd / "stderr", "wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "sim", "sweep", "sweep.yaml", *args],
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
        )


def identity(pid: int) -> tuple[int, str] | None:
    """A process as (pid, start time), None if it is gone or a zombie (dead, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in "ZX" else (pid, fields[19])


def descendants(pid: int) -> set[tuple[int, str]]:
    """The processes below ``pid``: its children, theirs, and so on."""
    found: set[tuple[int, str]] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            continue
        for child in pids:
            alive = identity(child)
            if alive is not None:
                found |= {alive} | descendants(child)
    return found


def summaries(out: Path) -> dict[Path, int]:
    """The complete run directories' summary.json files, with their modification times (not
    those of a run still in its hidden staging directory)."""
    found = {}
    for path in out.glob("runs/*/*/summary.json"):
        if not path.parent.name.startswith("."):
            with contextlib.suppress(FileNotFoundError):  # (moved aside as we looked)
                found[path] = path.stat().st_mtime_ns
    return found


def wait_for_a_run(proc: subprocess.Popen[bytes], out: Path) -> set[tuple[int, str]]:
    """Wait until the sweep has finished a run; return every process seen below it meanwhile."""
    seen: set[tuple[int, str]] = set()
    deadline = time.monotonic() + 20
    while not summaries(out):
        assert proc.poll() is None, "the sweep ended before its first run"
        assert time.monotonic() < deadline, "no run finished in 20 s"
        seen |= descendants(proc.pid)
        time.sleep(0.02)
    return seen | descendants(proc.pid)


def stop(proc: subprocess.Popen[bytes], signum: int) -> tuple[int, float]:
    """Send ``signum``; the exit status and the seconds it took."""
    sent = time.monotonic()
    proc.send_signal(signum)
    try:
        status = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    return status, time.monotonic() - sent


def tabled_runs(out: Path) -> set[str]:
    with open(out / "runs.csv", encoding="utf-8") as table:
        return {row["run"] for row in csv.DictReader(table)}


def run_names(out: Path) -> set[str]:
    return {str(path.parent.relative_to(out / "runs")) for path in summaries(out)}


def leftovers(out: Path) -> list[Path]:
    """Half-written run directories (staging or retired copies)."""
    return [p for p in out.rglob(".*") if ".partial-" in p.name or ".old-" in p.name]


def without_wall_clock(path: Path) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    keep = [i for i, name in enumerate(rows[0]) if name not in WALL_CLOCK]
    return [[row[i] for i in keep] for row in rows]


@pytest.mark.parametrize(
    ("signum", "workers", "status"),
    [(signal.SIGTERM, "2", 143), (signal.SIGINT, "2", 130), (signal.SIGTERM, "1", 143)],
    ids=["SIGTERM-pool", "SIGINT-pool", "SIGTERM-in-process"],
)
def test_a_signal_stops_the_sweep_and_every_worker(
    tmp_path: Path, signum: int, workers: str, status: int
) -> None:
    """A signal to the main process after its first run: exit 128 + signal within 4 s, the
    finished runs kept and in runs.csv, nothing half-written, and no process of it left 2 s
    after it exited."""
    proc = start(tmp_path, *STOP_GRID, "--workers", workers, "--out", "out")
    seen = wait_for_a_run(proc, tmp_path / "out")
    if workers == "2":
        assert len(seen) >= 2  # the pool's workers were there to be counted
    exit_status, took = stop(proc, signum)
    stderr = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert exit_status == status, stderr
    assert took < 4.0, f"took {took:.1f} s to stop"
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := {p for p in seen if identity(p[0]) == p}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes left behind: {sorted(left)}"
    out = tmp_path / "out"
    assert 1 <= len(run_names(out)) < 4  # the long runs were stopped, not awaited
    # (A run's result may still be on its way when the signal comes: it is not in the table,
    # but its directory is complete, and a resumed sweep keeps it.)
    assert tabled_runs(out) <= run_names(out)
    assert not leftovers(out)
    assert f"interrupted ({signal.Signals(signum).name}): " in stderr


def test_the_printed_command_finishes_the_same_sweep(tmp_path: Path) -> None:
    """Interrupted after its first run, a sweep started with --set options prints a command;
    run word for word, it keeps the finished runs (they are not run again) and ends with the
    tables of the same sweep run straight through."""
    options = ["--set", "sweep.grid={duration: [300ms, 5s], workload.clients: [2, 3]}"]
    options += ["--set", "sweep.seeds=1", "--set", "cluster.nodes=5", "--workers", "2"]
    first = tmp_path / "first"
    first.mkdir()
    proc = start(first, *options, "--out", "out")
    wait_for_a_run(proc, first / "out")
    status, _ = stop(proc, signal.SIGINT)
    stderr = (first / "stderr").read_text(encoding="utf-8")
    assert status == 130, stderr
    [hint] = [line for line in stderr.splitlines() if line.startswith("to finish: ")]
    command = shlex.split(hint.removeprefix("to finish: "))
    assert command[:2] == ["quorumsim", "sweep"]
    kept = summaries(first / "out")
    assert 1 <= len(kept) < 4

    finish = subprocess.run(
        [sys.executable, "-m", "sim", *command[1:]], cwd=first, capture_output=True, text=True
    )
    assert finish.returncode == 0, finish.stderr
    assert {path: summaries(first / "out")[path] for path in kept} == kept  # not run again

    straight = tmp_path / "straight"
    straight.mkdir()
    proc = start(straight, *options, "--out", "out")
    assert proc.wait(timeout=60) == 0, (straight / "stderr").read_text(encoding="utf-8")
    for table in ("runs.csv", "points.csv"):
        assert without_wall_clock(first / "out" / table) == without_wall_clock(
            straight / "out" / table
        )
    assert len(without_wall_clock(first / "out" / "runs.csv")) == 1 + 4


def test_sigterm_stops_a_sweep_on_a_dask_cluster(tmp_path: Path) -> None:
    """--dask: SIGTERM after the first run exits 143 within 4 s with the finished runs tabled,
    and the scheduler holds none of its tasks 2 s later (cancelled, the client closed)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        # (An absolute --out: the workers' current directory is not the sweep's.)
        out = str(tmp_path / "out")
        proc = start(tmp_path, *STOP_GRID, "--dask", cluster.scheduler_address, "--out", out)
        wait_for_a_run(proc, tmp_path / "out")
        status, took = stop(proc, signal.SIGTERM)
        assert status == 143, (tmp_path / "stderr").read_text(encoding="utf-8")
        assert took < 4.0, f"took {took:.1f} s to stop"
        deadline = time.monotonic() + GONE_WITHIN_S
        while cluster.scheduler.tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not cluster.scheduler.tasks
        assert tabled_runs(tmp_path / "out") <= run_names(tmp_path / "out")
