"""Sweeps: points and seeds, validation up front, the same tables on every executor, resume,
interruption, failed runs, and the `sweep` command."""

from __future__ import annotations

import csv
import importlib
import io
import os
import shutil
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim import ScenarioError, scenario_from_dict, sweep
from sim.cli import app
from sim.experiment.sweep import (
    WALL_CLOCK,
    ResumeRefused,
    SweepInterrupted,
    SweepProgress,
    plan,
    process_pool,
)
from sim.metrics.intervals import mean_interval, t_quantile_975
from sim.protocols import Protocol, ProtocolParams, register
from tests.experiment.tiny import tiny

runner = CliRunner()
# The module itself (`sim.experiment.sweep` the attribute is the function of the same name).
sweep_module = importlib.import_module("sim.experiment.sweep")


class ExplodingParams(ProtocolParams):
    pass


@register
class Exploding(Protocol):
    """A protocol that fails as it starts: a bug in the simulation, as a sweep sees it."""

    name = "test-exploding"
    Params = ExplodingParams

    def on_start(self, ctx: Any) -> None:
        raise RuntimeError("boom")


def exploding(seeds: int = 1) -> dict[str, Any]:
    """A sweep of two points: Raft (with its default parameters), and a protocol that fails."""
    data = tiny(grid={"cluster.protocol": ["raft", "test-exploding"]}, seeds=seeds)
    data["cluster"]["params"] = {}
    return data


GRID = {"grid": {"cluster.nodes": [3, 5]}, "zip": {"network.loss": [0, 0.05]}, "seeds": 2}


def without_wall_clock(path: Path) -> list[list[str]]:
    """The rows of a CSV file without its wall-clock columns."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    keep = [i for i, name in enumerate(rows[0]) if name not in WALL_CLOCK]
    return [[row[i] for i in keep] for row in rows]


def tables(directory: Path) -> tuple[list[list[str]], bytes]:
    """runs.csv without wall-clock columns, and points.csv as bytes."""
    return without_wall_clock(directory / "runs.csv"), (directory / "points.csv").read_bytes()


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: GRID run in this process, straight through."""
    out = tmp_path_factory.mktemp("straight")
    sweep(scenario_from_dict(tiny(**GRID)), out=out)
    return out


# --- points and seeds --------------------------------------------------------------------------


def test_points_are_grid_times_zip_times_seeds() -> None:
    """2 grid values x 2 zipped pairs x 3 seeds = 12 runs, in (point, replicate) order."""
    section = {
        "grid": {"cluster.nodes": [3, 5]},
        "zip": {"network.loss": [0, 0.1], "workload.clients": [1, 2]},
        "seeds": 3,
    }
    tasks = [task for task, _ in plan(scenario_from_dict(tiny(**section)))]
    assert len(tasks) == 12
    assert [(t.point_index, t.replicate) for t in tasks] == [
        (p, r) for p in range(4) for r in range(3)
    ]
    assert tasks[3].point == {"cluster.nodes": 3, "network.loss": 0.1, "workload.clients": 2}
    assert len({t.run for t in tasks}) == 12


def test_seeds_are_distinct_deterministic_and_shared_by_points() -> None:
    """Each point gets the same replicate seeds (common random numbers), all distinct, the
    same on every planning, and they follow the scenario's seed."""
    scenario = scenario_from_dict(tiny(**GRID))
    seeds = [[t.seed for t, _ in plan(scenario) if t.point_index == p] for p in range(2)]
    assert seeds[0] == seeds[1]
    assert len(set(seeds[0])) == 2
    assert [t.seed for t, _ in plan(scenario)] == [t.seed for t, _ in plan(scenario)]
    other = scenario_from_dict({**tiny(**GRID), "seed": 4})
    assert [t.seed for t, _ in plan(other)][:2] != seeds[0]


def test_invalid_value_is_named_by_its_sweep_key() -> None:
    """A grid value out of range: ScenarioError naming sweep.grid.<key>[i] and the value."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(tiny(grid={"network.loss": [0.1, 1.5]}))
    [problem] = caught.value.problems
    assert problem.path == "sweep.grid.network.loss[1]"
    assert "1.5" in problem.message


def test_invalid_combination_is_named_before_any_run(tmp_path: Path) -> None:
    """Values valid alone but not together (a target node that a 3-node point lacks): the
    sweep names the keys and values, and no run starts."""
    data = tiny(grid={"cluster.nodes": [3, 5], "workload.target": ["n1", "n5"]})
    data["cluster"]["nodes"] = 5
    with pytest.raises(ScenarioError) as caught:
        sweep(scenario_from_dict(data), out=tmp_path / "sweep")
    [problem] = caught.value.problems
    assert problem.path == "sweep.grid.workload.target[1]"
    assert problem.message.startswith("'n5' with cluster.nodes=3 gives workload.target: ")
    assert not (tmp_path / "sweep").exists()


def test_sweeping_the_protocol_drops_the_other_protocols_params() -> None:
    """The base's Raft parameters (resolved, every default filled in) do not make the seed
    point invalid; each point resolves the parameters of its own protocol."""
    data = tiny(grid={"cluster.protocol": ["raft", "seed"]})
    data["cluster"]["params"] = {}
    planned = plan(scenario_from_dict(data))
    assert [s.cluster.protocol for _, s in planned] == ["raft", "seed"]
    assert "heartbeat" in planned[0][1].cluster.params
    assert "quorum" in planned[1][1].cluster.params
    assert "heartbeat" not in planned[1][1].cluster.params


# --- statistics --------------------------------------------------------------------------------


def test_t_quantile_table_meets_its_expansion() -> None:
    """t(0.975) from the table at df 30 and from the expansion at 31 fit the known values, and
    the expansion tends to the normal quantile."""
    assert t_quantile_975(1) == pytest.approx(12.706205)
    assert t_quantile_975(30) == pytest.approx(2.042272)
    assert t_quantile_975(31) == pytest.approx(2.039513, abs=1e-6)
    assert t_quantile_975(120) == pytest.approx(1.979930, abs=1e-6)
    assert t_quantile_975(10**6) == pytest.approx(1.959964, abs=1e-5)


def test_mean_interval_is_student_t() -> None:
    """1..5: mean 3, half-width t(4) * s / sqrt(5); one value has no interval, none no mean."""
    assert mean_interval([1, 2, 3, 4, 5]) == pytest.approx((3.0, 1.963243))
    assert mean_interval([7.0]) == (7.0, None)
    assert mean_interval([]) == (None, None)


# --- executors -----------------------------------------------------------------------------------


def test_process_pool_gives_the_same_tables(straight: Path, tmp_path: Path) -> None:
    """Two worker processes write the runs.csv (but for wall-clock columns) and points.csv of
    the in-process sweep."""
    with ProcessPoolExecutor(2) as pool:
        sweep(scenario_from_dict(tiny(**GRID)), pool, out=tmp_path)
    assert tables(tmp_path) == tables(straight)


def test_dask_cluster_gives_the_same_tables(straight: Path, tmp_path: Path) -> None:
    """A Dask LocalCluster of two worker processes writes the same tables."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        sweep(scenario_from_dict(tiny(**GRID)), client.get_executor(), out=tmp_path)
    assert tables(tmp_path) == tables(straight)


def test_tables_hold_every_run_and_point(straight: Path) -> None:
    """runs.csv: one row per run with keys, seed and flattened figures; points.csv: one row per
    point with means and intervals over its seeds."""
    runs, _ = tables(straight)
    header = runs[0]
    assert header[:9] == [
        "run",
        "point",
        "cluster.nodes",
        "network.loss",
        "replicate",
        "seed",
        "status",
        "error",
        "as_expected",
    ]
    assert {"latency_ms.p99", "messages.sent", "safety.violations"} <= set(header)
    assert len(runs) == 1 + 8
    points = list(csv.DictReader(io.StringIO((straight / "points.csv").read_text())))
    assert [(p["cluster.nodes"], p["network.loss"], p["runs"]) for p in points] == [
        ("3", "0", "2"),
        ("3", "0.05", "2"),
        ("5", "0", "2"),
        ("5", "0.05", "2"),
    ]
    assert float(points[0]["latency_ms.p50.ci95"]) >= 0


# --- resume and interruption -------------------------------------------------------------------


def test_resume_runs_only_what_is_missing(straight: Path, tmp_path: Path) -> None:
    """With two run directories gone, a resumed sweep runs those two again and writes the
    tables of a sweep run straight through."""
    shutil.copytree(straight, tmp_path / "sweep")
    gone = sorted((tmp_path / "sweep" / "runs").glob("*/r1-*"))[:2]
    for directory in gone:
        shutil.rmtree(directory)
    states: list[SweepProgress] = []
    result = sweep(
        scenario_from_dict(tiny(**GRID)),
        out=tmp_path / "sweep",
        resume=True,
        progress=states.append,
    )
    assert (states[0].resumed, states[-1].done, states[-1].total) == (6, 8, 8)
    assert result.ok
    assert tables(tmp_path / "sweep") == tables(straight)


def test_interrupted_then_resumed_equals_straight_through(straight: Path, tmp_path: Path) -> None:
    """Ctrl-C after the first run keeps it and tables it; resuming finishes the same tables."""
    scenario = scenario_from_dict(tiny(**GRID))

    def interrupt_after_one(state: SweepProgress) -> None:
        if state.done == 1:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as caught:
        sweep(scenario, out=tmp_path, progress=interrupt_after_one)
    assert len(caught.value.result.runs) == 1
    assert len(without_wall_clock(tmp_path / "runs.csv")) == 1 + 1
    with pytest.raises(FileExistsError):
        sweep(scenario, out=tmp_path)
    sweep(scenario, out=tmp_path, resume=True)
    assert tables(tmp_path) == tables(straight)


def test_interrupted_process_pool_stops_its_workers(straight: Path, tmp_path: Path) -> None:
    """Ctrl-C on a process pool: the workers stop without leaving half-written directories,
    and a resumed sweep finishes the same tables."""
    scenario = scenario_from_dict(tiny(**GRID))

    def interrupt_after_one(state: SweepProgress) -> None:
        if state.done == 1:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted), process_pool(2) as pool:
        sweep(scenario, pool, out=tmp_path, progress=interrupt_after_one)
    assert not [p for p in tmp_path.rglob(".*") if "partial" in p.name]
    sweep(scenario, out=tmp_path, resume=True)
    assert tables(tmp_path) == tables(straight)


def _ignore_sigterm(seconds: float, marker: str) -> None:
    """A task whose worker does not stop (as one stuck in a long C call would not)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    Path(marker).touch()
    time.sleep(seconds)


def test_a_worker_that_does_not_stop_is_killed(tmp_path: Path) -> None:
    """A worker still there 1.5 s after the stop (it ignores SIGTERM) is killed: the pool is
    gone soon after Ctrl-C (1.5 s), not when the worker's task ends (5 s)."""
    marker = tmp_path / "started"
    with pytest.raises(KeyboardInterrupt), process_pool(1) as pool:
        pool.submit(_ignore_sigterm, 5.0, str(marker))
        while not marker.exists():
            time.sleep(0.01)
        processes = list(pool._processes.values())
        stopped = time.monotonic()
        raise KeyboardInterrupt
    assert time.monotonic() - stopped < 3.0  # (1.5 s, and a margin for a busy machine)
    # Asked of the system, not of `is_alive`: the pool's own thread may reap a worker first,
    # and then `is_alive` on this copy can answer True for a process that no longer exists.
    assert processes and not any(_running(process.pid) for process in processes)


def _running(pid: int | None) -> bool:
    """Whether a process with this pid exists and is not a zombie (Linux: /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_stopped_worker_raises_only_inside_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool worker's SIGTERM handler unwinds a run in progress, but elsewhere only notes the
    stop (an exception raised inside the pool's own queue code could leave a lock held and
    hang the pool), and a task that reaches the worker afterwards does not run."""
    monkeypatch.setattr(sweep_module, "_stopping", False)
    task = plan(scenario_from_dict(tiny(**GRID)), tmp_path)[0][0]
    started: list[str] = []

    def run_stopped_midway(*args: Any, **kwargs: Any) -> None:
        started.append("run")
        sweep_module._stop(signal.SIGTERM, None)  # the signal, arriving during the run
        raise AssertionError("the stop should have unwound the run")

    monkeypatch.setattr(sweep_module, "run", run_stopped_midway)
    with pytest.raises(sweep_module._Stopped):
        sweep_module.run_task(task)
    assert started == ["run"] and not sweep_module._in_run
    # Now between runs (as if in the pool's queues): noted, nothing raised.
    sweep_module._stop(signal.SIGTERM, None)
    with pytest.raises(sweep_module._Stopped):
        sweep_module.run_task(task)
    assert started == ["run"]  # the queued task did not start
    assert not any(tmp_path.rglob("*"))  # and nothing was written


def test_sigterm_stops_a_sweep_as_ctrl_c_does(straight: Path, tmp_path: Path) -> None:
    """SIGTERM after the first run: SweepInterrupted naming SIGTERM with that run tabled (the
    signal is noted and acted on before the next run), the handlers put back afterwards; the
    resumed sweep finishes the same tables."""
    scenario = scenario_from_dict(tiny(**GRID))

    def terminate_after_one(state: SweepProgress) -> None:
        if state.done == 1:
            signal.raise_signal(signal.SIGTERM)

    def killed(signum: int, frame: object) -> None:
        raise AssertionError("SIGTERM went to the default handler: the process would be dead")

    previous = signal.signal(signal.SIGTERM, killed)
    try:
        with pytest.raises(SweepInterrupted) as caught:
            sweep(scenario, out=tmp_path, progress=terminate_after_one)
        assert signal.getsignal(signal.SIGTERM) is killed
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert caught.value.signum == signal.SIGTERM
    assert len(caught.value.result.runs) == 1
    assert len(without_wall_clock(tmp_path / "runs.csv")) == 1 + 1
    sweep(scenario, out=tmp_path, resume=True)
    assert tables(tmp_path) == tables(straight)


def test_resume_refuses_a_sweep_made_from_another_scenario(straight: Path, tmp_path: Path) -> None:
    """The file changed since the sweep began: ResumeRefused, and its runs and tables are left
    as they were (neither rerun nor thrown away)."""
    shutil.copytree(straight, tmp_path / "sweep")
    before = {p: p.read_bytes() for p in (tmp_path / "sweep").rglob("*") if p.is_file()}
    changed = scenario_from_dict({**tiny(**GRID), "duration": "150ms"})
    with pytest.raises(ResumeRefused, match="not resumed: its runs were made with other"):
        sweep(changed, out=tmp_path / "sweep", resume=True)
    after = {p: p.read_bytes() for p in (tmp_path / "sweep").rglob("*") if p.is_file()}
    assert after == before


def test_resume_of_a_sweep_without_its_record_compares_the_runs(
    straight: Path, tmp_path: Path
) -> None:
    """With no sweep.json (a sweep of an older version), the runs' own manifests decide:
    another scenario is refused, naming a run's summary.json; the same one keeps the runs."""
    shutil.copytree(straight, tmp_path / "sweep")
    (tmp_path / "sweep" / "sweep.json").unlink()
    changed = scenario_from_dict({**tiny(**GRID), "duration": "150ms"})
    with pytest.raises(ResumeRefused, match=r"summary\.json holds the command line"):
        sweep(changed, out=tmp_path / "sweep", resume=True)
    states: list[SweepProgress] = []
    sweep(
        scenario_from_dict(tiny(**GRID)),
        out=tmp_path / "sweep",
        resume=True,
        progress=states.append,
    )
    assert states[0].resumed == 8


# --- failures ----------------------------------------------------------------------------------


def test_failing_run_is_a_row_and_the_sweep_goes_on(tmp_path: Path) -> None:
    """Runs whose simulation raises are failed rows with the error; the other point runs, and
    its statistics ignore the failures."""
    result = sweep(scenario_from_dict(exploding(seeds=2)), out=tmp_path)
    assert result.failed == 2 and not result.ok
    failed = result.runs[result.runs["status"] == "failed"]
    assert list(failed["cluster.protocol"]) == ["test-exploding"] * 2
    assert failed["error"].str.startswith("RuntimeError: boom (test_sweep.py:").all()
    assert list(result.points["runs"]) == [2, 0]
    assert list(result.points["failed"]) == [0, 2]
    assert not list((tmp_path / "runs").glob("001-*/*"))


# --- the command ---------------------------------------------------------------------------------


def write_file(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_cli_sweep_writes_the_tables(tmp_path: Path) -> None:
    """`sweep --workers 2 --out DIR`: exit 0, both tables and a run directory per run, and a
    table of the points."""
    path = write_file(tmp_path, tiny(grid={"cluster.nodes": [3, 5]}))
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(path), "--workers", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "p99 ms" in result.stdout
    assert len(list((out / "runs").glob("*/*/summary.json"))) == 2
    assert len(without_wall_clock(out / "runs.csv")) == 1 + 2


def test_cli_sweep_exit_1_when_a_run_fails(tmp_path: Path) -> None:
    """A failed run: exit 1, and the count on stderr."""
    path = write_file(tmp_path, exploding())
    result = runner.invoke(
        app, ["sweep", str(path), "--workers", "1", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "1 runs failed" in result.stderr


def test_cli_sweep_exit_1_when_safety_is_not_as_expected(tmp_path: Path) -> None:
    """Safe runs of a scenario that expects a violation: exit 1."""
    data = {**tiny(grid={"cluster.nodes": [3]}), "checks": {"expect": "unsafe"}}
    path = write_file(tmp_path, data)
    result = runner.invoke(
        app, ["sweep", str(path), "--workers", "1", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "other than the one expected" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "sweep.grid={network.loss: [2]}"], "sweep.grid.network.loss"),
        (["--resume"], "--resume needs --out"),
        (["--dask", "nonsense"], "--dask nonsense: cannot reach a Dask scheduler"),
    ],
    ids=["invalid-point", "resume-without-out", "bad-dask-address"],
)
def test_cli_sweep_bad_input_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    """Bad input of each kind: exit 2 and the problem on stderr."""
    if "--dask" in args:
        pytest.importorskip("distributed")
    path = write_file(tmp_path, tiny(grid={"cluster.nodes": [3]}))
    result = runner.invoke(app, ["sweep", str(path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_cli_resume_with_other_settings_is_refused(tmp_path: Path) -> None:
    """--resume with another --set value: exit 2 and one line saying why and what to do; the
    finished runs are not rerun (summary.json untouched) and the tables are unchanged. With
    the same settings, the runs are kept."""
    path = write_file(tmp_path, tiny(grid={"cluster.nodes": [3, 5]}))
    out = tmp_path / "o"
    args = ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    assert runner.invoke(app, [*args, "--set", "workload.clients=3"]).exit_code == 0
    summaries = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*/summary.json")}
    runs_csv = (out / "runs.csv").read_bytes()
    started = time.monotonic()
    other = runner.invoke(app, [*args, "--set", "workload.clients=4", "--resume"])
    assert time.monotonic() - started < 1.0
    assert other.exit_code == 2, other.output
    assert other.stderr.count("\n") == 1
    assert other.stderr.startswith(f"{out}: not resumed: its runs were made with other settings")
    assert "or choose another --out" in other.stderr
    assert {p: p.stat().st_mtime_ns for p in summaries} == summaries
    assert (out / "runs.csv").read_bytes() == runs_csv
    same = runner.invoke(app, [*args, "--set", "workload.clients=3", "--resume"])
    assert same.exit_code == 0, same.output
    assert {p: p.stat().st_mtime_ns for p in summaries} == summaries


@pytest.mark.parametrize("record", ["garbage", "no-manifest", "fifo"])
def test_cli_resume_with_a_bad_sweep_record_exit_2(tmp_path: Path, record: str) -> None:
    """sweep.json replaced by something quorumsim did not write (not JSON, no manifest, a FIFO
    that would block a reader): exit 2 within a second, naming the file."""
    path = write_file(tmp_path, tiny(grid={"cluster.nodes": [3]}))
    out = tmp_path / "o"
    args = ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    assert runner.invoke(app, args).exit_code == 0
    (out / "sweep.json").unlink()
    if record == "fifo":
        os.mkfifo(out / "sweep.json")
    else:
        (out / "sweep.json").write_text("{" if record == "garbage" else '{"runs": 1}')
    started = time.monotonic()
    result = runner.invoke(app, [*args, "--resume"])
    assert time.monotonic() - started < 1.0
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{out / 'sweep.json'}: not a sweep record quorumsim wrote")


def test_cli_sweep_will_not_overwrite_a_sweep(tmp_path: Path) -> None:
    """--out naming a finished sweep without --resume: exit 2; with --resume: exit 0."""
    path = write_file(tmp_path, tiny(grid={"cluster.nodes": [3]}))
    out = ["--out", str(tmp_path / "o"), "--workers", "1", "--quiet"]
    assert runner.invoke(app, ["sweep", str(path), *out]).exit_code == 0
    again = runner.invoke(app, ["sweep", str(path), *out])
    assert again.exit_code == 2
    assert "holds a sweep already" in again.stderr
    assert runner.invoke(app, ["sweep", str(path), *out, "--resume"]).exit_code == 0
    (tmp_path / "o" / "runs.csv").unlink()  # as a sweep killed before its tables leaves it
    assert runner.invoke(app, ["sweep", str(path), *out]).exit_code == 2
