"""sweep(): every point of a scenario's ``sweep:`` section times its seeds, run on any
``concurrent.futures`` executor (in this process when there is none), gathered into a table of
runs and a table of points (mean and 95% interval across seeds).

A run travels as a task of plain data (the point's scenario as a dict, its seed, its directory)
so that a process pool or a Dask cluster can ship it, and the task catches whatever the
simulation raises: a failing run comes back as a row, it does not stop the sweep. The tables are
the same whatever executor ran the runs: rows are sorted by (point, replicate) and written with
the run directory's cell format; only the wall-clock columns (``WALL_CLOCK``) vary.

Ctrl-C or SIGTERM stops a sweep: the finished runs are kept and tabled, the runs in progress are
stopped, and a resumed sweep (the same settings only: ``sweep.json`` holds their hash) does the
rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import stat
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sim.experiment.manifest import manifest
from sim.experiment.run import resolved_yaml, run
from sim.experiment.rundir import fresh_dir
from sim.metrics import tables
from sim.metrics.intervals import mean_interval
from sim.outputs import claim, is_sweep_dir
from sim.protocols.registry import get_protocol, protocol_names
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import scenario_from_dict
from sim.scenario.model import Scenario, Sweep
from sim.scenario.sweep import Point, apply_point, run_seeds, sweep_points

if TYPE_CHECKING:
    import pandas as pd

WALL_CLOCK = ("wall_s",)
"""Columns of runs.csv that measure the machine, not the simulation: they differ between runs."""

_POLL_S = 0.2
_STOP_GRACE_S = 1.5  # a stopped worker's run unwinds in milliseconds; one still there is killed
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# In a pool's worker process: whether a run is in progress, and whether the pool stopped the
# worker (see `_stop`).
_in_run = False
_stopping = False
# In the process running the sweep, while `stop_signals` is in force: the signal that asked it to
# stop, and whether a run is in progress in its main thread (no executor).
_stop_requested: int | None = None
_running_here = False


class _Stopped(BaseException):
    """Raised in a pool worker's run when the pool stops it (not an `Exception`: a stopped run
    is not a failed one)."""


# Summary entries that are not figures: the seed is a column of its own, the rest is the same
# for every run of a sweep or says when and where it ran.
_NOT_FIGURES = ("scenario", "seed", "manifest")


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep, as plain data that a worker process or machine can unpickle."""

    run: str  # its directory below DIR/runs/, and its name in runs.csv
    point_index: int
    point: Point
    replicate: int
    seed: int
    data: dict[str, Any]  # the point's scenario, with the run's seed
    out: str | None
    argv: list[str] | None


@dataclass
class SweepProgress:
    """Where a sweep is, passed to its ``progress`` callback at the start and after each run."""

    total: int
    done: int = 0
    failed: int = 0
    resumed: int = 0


@dataclass
class SweepResult:
    """A finished (or interrupted) sweep: runs.csv and points.csv as DataFrames."""

    runs: pd.DataFrame
    points: pd.DataFrame
    directory: Path | None
    total: int
    failed: int
    unexpected: int  # runs whose safety result is not the one `checks.expect` names

    @property
    def ok(self) -> bool:
        """Every run ran, without error, to the safety result expected of it."""
        return len(self.runs) == self.total and not self.failed and not self.unexpected


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM: ``signum``) during a sweep. The finished runs are kept and tabled
    (``result``); running the sweep again with ``resume=True`` does the rest."""

    def __init__(self, result: SweepResult, signum: int = signal.SIGINT) -> None:
        super().__init__(f"sweep interrupted after {len(result.runs)} of {result.total} runs")
        self.result = result
        self.signum = signum


class ResumeRefused(Exception):
    """``resume=True`` on a directory whose runs were made with other settings: resuming would
    mix them with these, or throw them away. The message says what to do."""


def sweep(
    scenario: Scenario,
    executor: Executor | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[SweepProgress], None] | None = None,
    argv: list[str] | None = None,
) -> SweepResult:
    """Run every point of ``scenario.sweep`` with each of its seeds, on ``executor`` (None: one
    after the other, in this process). With ``out``, write DIR/runs.csv, DIR/points.csv and a
    run directory per run under DIR/runs/; with ``resume`` too, keep the runs already complete
    there, if they were made with these very settings (ResumeRefused otherwise). Every point
    is validated before any run starts (ScenarioError otherwise). Ctrl-C or SIGTERM (see
    `stop_signals`) raises SweepInterrupted after tabling the finished runs."""
    import pandas  # noqa: F401  # now, not on Ctrl-C, when the runs in progress would go on

    spec = scenario.sweep or Sweep()
    directory = Path(out) if out is not None else None
    if resume and directory is None:
        raise ValueError("resume needs out: the directory of the sweep to resume")
    if directory is not None:
        claim(directory, is_sweep_dir, "a sweep")
    if (
        directory is not None
        and not resume
        and any((directory / name).exists() for name in ("runs.csv", "sweep.json"))
    ):
        raise FileExistsError(f"{directory} holds a sweep already (resume=True finishes it)")
    planned = plan(scenario, directory, argv)
    keys = [*spec.grid, *spec.zip]
    rows: dict[str, dict[str, Any]] = {}
    if resume and directory is not None:
        _check_same_settings(directory, _config_sha256(scenario))
        for task, scenario_of_run in planned:
            row = _completed_row(task, scenario_of_run, directory)
            if row is not None:
                rows[task.run] = row
    state = SweepProgress(total=len(planned), done=len(rows), resumed=len(rows))
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(directory / "scenario.yaml", resolved_yaml(scenario))
        if not (directory / "sweep.json").exists():  # (resumed: it keeps how the sweep began)
            record = {
                "scenario": scenario.name,
                "runs": len(planned),
                "manifest": manifest(resolved_yaml(scenario), argv, datetime.now(UTC)),
            }
            _write_atomically(directory / "sweep.json", json.dumps(record, indent=2) + "\n")
    if progress is not None:
        progress(state)

    def finished(row: dict[str, Any]) -> None:
        rows[row["run"]] = row
        state.done += 1
        state.failed += row["status"] == "failed"
        if progress is not None:
            progress(state)

    tasks = [task for task, _ in planned]
    with stop_signals():
        try:
            _run_all([task for task in tasks if task.run not in rows], executor, finished)
        except KeyboardInterrupt:
            signum = _stop_requested or signal.SIGINT
            raise SweepInterrupted(_tabulate(tasks, rows, keys, directory), signum) from None
    return _tabulate(tasks, rows, keys, directory)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """While in force, SIGINT and SIGTERM stop a sweep of this process as Ctrl-C does: `sweep`
    tables the finished runs and raises SweepInterrupted (its ``signum`` says which signal),
    and `process_pool` stops its workers. Use it around the executor's whole life, so that no
    signal finds the process between the pool's start and its shutdown with the default
    action (which leaves the workers behind); `sweep` puts it in force for its runs anyway.

    The handler only notes the first signal; the sweep looks at the note between its waits,
    where the main thread holds none of the executor's locks. Raised wherever the signal lands
    (as Ctrl-C's KeyboardInterrupt was), the exception can leave such a lock held, and the
    pool's shutdown waits on it forever, as the workers once did (see `_stop`). Only a run in
    progress in this thread (no executor) is unwound at once. A signal the process was told
    to ignore (``nohup``, a shell's background job) stays ignored. Outside the main thread, or
    already in force, this does nothing."""
    global _stop_requested
    if threading.current_thread() is not threading.main_thread() or any(
        signal.getsignal(signum) is _note_stop for signum in STOP_SIGNALS
    ):
        yield
        return
    previous = {}
    for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        # (None: set outside Python, and could not be put back.)
        if handler is not None and handler is not signal.SIG_IGN:
            previous[signum] = handler
    _stop_requested = None
    for signum in previous:
        signal.signal(signum, _note_stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop_requested = None  # (read by `sweep` before this: a later sweep starts afresh)


def _note_stop(signum: int, frame: FrameType | None) -> None:
    global _stop_requested
    if _stop_requested is not None:
        return  # stopping already: a second Ctrl-C must not cut the tables short
    _stop_requested = signum
    if _running_here:
        raise KeyboardInterrupt


def _raise_if_stopped() -> None:
    if _stop_requested is not None:
        raise KeyboardInterrupt


def plan(
    scenario: Scenario, directory: Path | None = None, argv: list[str] | None = None
) -> list[tuple[RunTask, Scenario]]:
    """Every run of the sweep, in order (point, replicate), each with its validated scenario.
    Raises ScenarioError naming the sweep key and value of every point that is not valid."""
    spec = scenario.sweep or Sweep()
    base = scenario.model_dump(mode="json", by_alias=True)
    points = sweep_points(spec)
    seeds = run_seeds(scenario.seed, spec.seeds)
    width = max(3, len(str(len(points) - 1)))
    problems: list[Problem] = []
    planned = []
    for index, point in enumerate(points):
        try:
            point_scenario = _point_scenario(base, point)
        except ScenarioError as error:
            problems += [p for p in _blame(spec, point, error) if p not in problems]
            continue
        point_dir = _point_dir(index, width, point)
        for replicate, seed in enumerate(seeds):
            name = f"{point_dir}/r{replicate}-s{seed}"
            task = RunTask(
                run=name,
                point_index=index,
                point=point,
                replicate=replicate,
                seed=seed,
                data={**point_scenario.model_dump(mode="json", by_alias=True), "seed": seed},
                out=None if directory is None else str(directory / "runs" / name),
                argv=argv,
            )
            planned.append((task, point_scenario.model_copy(update={"seed": seed})))
    if "seed" in spec.grid or "seed" in spec.zip:
        section = "grid" if "seed" in spec.grid else "zip"
        problems.append(
            Problem("sweep", f"sweep.{section}.seed", "seeds are not swept; set `sweep.seeds`")
        )
    if problems:
        raise ScenarioError(problems)
    return planned


def run_task(task: RunTask) -> dict[str, Any]:
    """Run one task of a sweep (in whichever process or machine it landed) and return its row;
    an exception from the simulation makes a failed row, naming the error and where it arose."""
    global _in_run
    _in_run = True  # (before the test below: a stop from here on is seen, one way or the other)
    try:
        if _stopping:
            raise _Stopped  # a task queued to this worker before the pool stopped it
        result = run(scenario_from_dict(task.data), out=task.out, argv=task.argv)
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)
        at = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        return _row(task, None, f"{type(error).__name__}: {error}{at}")
    finally:
        _in_run = False
    return _row(task, tables.to_json(result.summary), "")


def default_sweep_dir(results: Path, name: str) -> Path:
    """``results/<name>/sweep-<UTC time>``, with a counter if that exists already."""
    return fresh_dir(results / name, "sweep-{stamp}")


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool for sweeps. Its workers leave Ctrl-C to the parent (which tables what is
    done); on an interrupt, the runs in progress are stopped rather than awaited: a stopped run
    leaves no directory, and a resumed sweep runs it again. A worker that has not exited
    ``_STOP_GRACE_S`` after the stop is killed: no worker outlives the sweep."""
    pool = ProcessPoolExecutor(workers, initializer=_worker_signals)
    try:
        yield pool
    except KeyboardInterrupt:
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        deadline = time.monotonic() + _STOP_GRACE_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)


def _stop(signum: int, frame: object) -> None:
    """terminate(): unwind the run in progress, if any (removing its half-written run
    directory), and start none of the tasks already queued to this worker. The worker exits
    when the pool shuts down.

    The exception is raised only inside a run, which holds no lock of the pool's. It used to be
    raised wherever the signal found the worker, and about one interrupted sweep in ten hung, its
    workers waiting forever on the result queue's write lock: most likely the signal landed just
    after the lock's acquire, before the ``with`` around it took hold, so nothing released it.
    Exiting on the spot instead (tried) can cut a result short in the pipe, where the pool's
    reader then waits forever.
    """
    global _stopping
    _stopping = True
    if _in_run:
        raise _Stopped


# --- planning ----------------------------------------------------------------------------------


def _point_scenario(base: dict[str, Any], point: Point) -> Scenario:
    protocol = point.get("cluster.protocol", base["cluster"]["protocol"])
    if protocol != base["cluster"]["protocol"] and protocol in protocol_names():
        # The base's parameters are resolved for its own protocol; carry over only those the
        # point's protocol also has, so that sweeping `cluster.protocol` needs no `params`.
        known = get_protocol(protocol).Params.model_fields
        params = {k: v for k, v in base["cluster"]["params"].items() if k in known}
        base = {**base, "cluster": {**base["cluster"], "params": params}}
    try:
        data = apply_point(base, point)
    except ValueError as error:  # "<path> is not a mapping": one key goes below another's value
        raise ScenarioError([Problem("", str(error).split(" ", 1)[0], str(error))]) from None
    return scenario_from_dict(data)


def _blame(spec: Sweep, point: Point, error: ScenarioError) -> list[Problem]:
    """The problems of a point (the loader has checked each value alone: these come from
    combinations), pinned to the sweep keys they concern, as the loader pins its own."""
    problems = []
    for problem in error.problems:
        # The key itself, a key below the problem (blocked by a non-mapping), or one above it.
        keys = [k for k in point if _within(problem.path, k) or _within(k, problem.path)]
        for key in keys or list(point):
            section = "grid" if key in spec.grid else "zip"
            index = getattr(spec, section)[key].index(point[key])
            others = ", ".join(f"{k}={v!r}" for k, v in point.items() if k != key)
            problems.append(
                Problem(
                    "sweep",
                    f"sweep.{section}.{key}[{index}]",
                    f"{point[key]!r}{f' with {others}' if others else ''} gives "
                    f"{problem.path or 'the file'}: {problem.message}",
                )
            )
    return problems


def _within(path: str, key: str) -> bool:
    return bool(path) and (path == key or path.startswith((key + ".", key + "[")))


def _point_dir(index: int, width: int, point: Point) -> str:
    """``<index>-<key=value>_...``: the last part of each key, enough to tell points apart at a
    glance (the index makes the name unique)."""
    slug = "_".join(f"{key.rsplit('.', 1)[-1]}={_compact(value)}" for key, value in point.items())
    name = f"{index:0{width}d}-{slug}" if slug else f"{index:0{width}d}"
    return name[:80]


def _compact(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return re.sub(r"[^A-Za-z0-9.=+-]+", "~", text)


# --- running -----------------------------------------------------------------------------------


def _run_all(
    tasks: list[RunTask], executor: Executor | None, finished: Callable[[dict[str, Any]], None]
) -> None:
    if executor is None:
        for task in tasks:
            _raise_if_stopped()
            finished(_run_here(task))
        return
    _raise_if_stopped()  # (noted while the pool or the Dask client was starting)
    futures: dict[Future[dict[str, Any]], RunTask] = {
        executor.submit(run_task, task): task for task in tasks
    }
    pending = set(futures)
    try:
        while pending:
            # Wake up now and then to look for a stop noted by `stop_signals` (or, without it,
            # for Ctrl-C delivered to another thread: the main thread raises it once it runs).
            done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    row = future.result()
                except Exception as error:  # the worker, not the run, failed (killed, lost)
                    row = _row(futures[future], None, f"{type(error).__name__}: {error}")
                finished(row)
            _raise_if_stopped()
    finally:
        for future in futures:
            future.cancel()


def _run_here(task: RunTask) -> dict[str, Any]:
    """`run_task` in this thread, where a stop signal unwinds it (see `_note_stop`)."""
    global _running_here
    _running_here = True
    try:
        return run_task(task)
    finally:
        _running_here = False


def _config_sha256(scenario: Scenario) -> str:
    """The hash a manifest gives the resolved scenario (``config_sha256``)."""
    return hashlib.sha256(resolved_yaml(scenario).encode()).hexdigest()


def _check_same_settings(directory: Path, config: str) -> None:
    """Refuse to resume a sweep begun with other settings (a changed file, other ``--set``
    values, a version with other defaults): its runs would be mixed with these ones."""
    record_path = directory / "sweep.json"
    if not os.path.lexists(record_path):
        return  # an older sweep, or none yet: its runs are compared one by one
    recorded = _manifest_config(_read_json(record_path))
    if recorded is None:
        raise ResumeRefused(
            f"{record_path}: not a sweep record quorumsim wrote (no manifest.config_sha256); "
            "cannot tell how the sweep was made: choose another --out"
        )
    if recorded != config:
        raise ResumeRefused(_other_settings(directory, record_path))


def _other_settings(directory: Path, record: Path) -> str:
    return (
        f"{directory}: not resumed: its runs were made with other settings (the scenario file, "
        f"a --set option or the quorumsim version differ; {record} holds the command line it "
        "was started with); resume with those settings, or choose another --out"
    )


def _manifest_config(record: Any) -> str | None:
    """``manifest.config_sha256`` of a sweep.json or summary.json, if it has one."""
    entry = record.get("manifest") if isinstance(record, dict) else None
    config = entry.get("config_sha256") if isinstance(entry, dict) else None
    return config if isinstance(config, str) else None


def _read_json(path: Path) -> Any:
    """A JSON file quorumsim wrote, or None. Only a regular file is opened: a FIFO or a device
    put in its place would block or never end."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # (RecursionError: nested beyond reason)
        return None


def _completed_row(task: RunTask, scenario: Scenario, directory: Path) -> dict[str, Any] | None:
    """The row of a run whose directory is complete (runs are written atomically, so a
    summary.json means the whole directory). A complete run made from another scenario is
    refused (ResumeRefused), not run again over."""
    if task.out is None:
        return None
    path = Path(task.out) / "summary.json"
    summary = _read_json(path)
    if not isinstance(summary, dict):
        return None
    if _manifest_config(summary) != _config_sha256(scenario):
        raise ResumeRefused(_other_settings(directory, path))
    return _row(task, summary, "")


# --- tables ------------------------------------------------------------------------------------


def _row(task: RunTask, summary: dict[str, Any] | None, error: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run": task.run,
        "point": task.point_index,
        **task.point,
        "replicate": task.replicate,
        "seed": task.seed,
        "status": "failed" if summary is None else "ok",
        "error": error,
        "as_expected": None if summary is None else _as_expected(summary),
    }
    if summary is not None:
        row.update(_figures(summary))
    return row


def _as_expected(summary: dict[str, Any]) -> bool:
    safe = bool(summary["safety"]["ok"]) and summary["linearizable"] is not False
    return safe == (summary["expect"] == "safe")


def _figures(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The summary flattened with dots. Lists of measurements (keys ending in a unit, `_ms`)
    become their count and mean; other lists (violations) their length."""
    figures: dict[str, Any] = {}
    for key, value in summary.items():
        if not prefix and key in _NOT_FIGURES:
            continue
        name = prefix + key
        if isinstance(value, dict):
            figures.update(_figures(value, name + "."))
        elif isinstance(value, list) and key.endswith("_ms"):
            figures[name + ".count"] = len(value)
            figures[name + ".mean"] = mean_interval(value)[0]
        elif isinstance(value, list):
            figures[name] = len(value)
        else:
            figures[name] = value
    return figures


def _tabulate(
    tasks: list[RunTask], rows: dict[str, dict[str, Any]], keys: list[str], directory: Path | None
) -> SweepResult:
    import pandas as pd

    done = [rows[task.run] for task in tasks if task.run in rows]
    head = ["run", "point", *keys, "replicate", "seed", "status", "error", "as_expected"]
    figures: list[str] = []
    for row in done:
        figures += [k for k in row if k not in head and k not in WALL_CLOCK and k not in figures]
    run_columns = [*head, *figures, *WALL_CLOCK]
    numeric = [f for f in figures if _numeric(r.get(f) for r in done if r["status"] == "ok")]
    point_columns, points = _points(tasks, done, keys, numeric)
    if directory is not None:
        _write_table(directory / "runs.csv", run_columns, done)
        _write_table(directory / "points.csv", point_columns, points)
    return SweepResult(
        runs=pd.DataFrame.from_records(
            [_ordered(r, run_columns) for r in done], columns=run_columns
        ),
        points=pd.DataFrame.from_records(
            [_ordered(p, point_columns) for p in points], columns=point_columns
        ),
        directory=directory,
        total=len(tasks),
        failed=sum(r["status"] == "failed" for r in done),
        unexpected=sum(r["as_expected"] is False for r in done),
    )


def _numeric(values: Any) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in present
    )


def _points(
    tasks: list[RunTask], done: list[dict[str, Any]], keys: list[str], numeric: list[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """One row per point that has runs: its keys, how its runs went, and for every numeric
    figure the mean over its ok runs and the half-width of the 95% interval."""
    columns = ["point", *keys, "runs", "failed", "unexpected"]
    columns += [f"{f}.{stat}" for f in numeric for stat in ("mean", "ci95")]
    points_of = {task.point_index: task.point for task in tasks}
    by_point: dict[int, list[dict[str, Any]]] = {}
    for row in done:
        by_point.setdefault(row["point"], []).append(row)
    points = []
    for index, runs in by_point.items():
        ok = [r for r in runs if r["status"] == "ok"]
        point = {
            "point": index,
            **points_of[index],
            "runs": len(ok),
            "failed": len(runs) - len(ok),
            "unexpected": sum(r["as_expected"] is False for r in ok),
        }
        for figure in numeric:
            mean, half = mean_interval([r[figure] for r in ok if r.get(figure) is not None])
            point[f"{figure}.mean"], point[f"{figure}.ci95"] = mean, half
        points.append(point)
    return columns, points


def _ordered(row: dict[str, Any], columns: list[str]) -> tuple[Any, ...]:
    return tuple(row.get(c) for c in columns)


def _write_table(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    tables.write_csv(partial, tuple(columns), (_ordered(r, columns) for r in rows))
    os.replace(partial, path)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
