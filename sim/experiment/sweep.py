"""sweep(): every point of a scenario's ``sweep:`` section times its seeds, run on any
``concurrent.futures`` executor (in this process when there is none), gathered into a table of
runs and a table of points (mean and 95% interval across seeds).

A run travels as a task of plain data (the point's scenario as a dict, its seed, its directory)
so that a process pool or a Dask cluster can ship it, and the task catches whatever the
simulation raises: a failing run comes back as a row, it does not stop the sweep. The tables are
the same whatever executor ran the runs: rows are sorted by (point, replicate) and written with
the run directory's cell format; only the wall-clock columns (``WALL_CLOCK``) vary.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
# In a pool's worker process: whether a run is in progress, and whether the pool stopped the
# worker (see `_stop`).
_in_run = False
_stopping = False


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
    """Ctrl-C during a sweep. The finished runs are kept and tabled (``result``); running the
    sweep again with ``resume=True`` does the rest."""

    def __init__(self, result: SweepResult) -> None:
        super().__init__(f"sweep interrupted after {len(result.runs)} of {result.total} runs")
        self.result = result


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
    there. Every point is validated before any run starts (ScenarioError otherwise). Ctrl-C
    raises SweepInterrupted after tabling the finished runs."""
    import pandas  # noqa: F401  # now, not on Ctrl-C, when the runs in progress would go on

    spec = scenario.sweep or Sweep()
    directory = Path(out) if out is not None else None
    if resume and directory is None:
        raise ValueError("resume needs out: the directory of the sweep to resume")
    if directory is not None:
        claim(directory, is_sweep_dir, "a sweep")
    if directory is not None and not resume and (directory / "runs.csv").exists():
        raise FileExistsError(f"{directory} holds a sweep already (resume=True finishes it)")
    planned = plan(scenario, directory, argv)
    keys = [*spec.grid, *spec.zip]
    rows: dict[str, dict[str, Any]] = {}
    if resume:
        for task, scenario_of_run in planned:
            row = _completed_row(task, scenario_of_run)
            if row is not None:
                rows[task.run] = row
    state = SweepProgress(total=len(planned), done=len(rows), resumed=len(rows))
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomically(directory / "scenario.yaml", resolved_yaml(scenario))
    if progress is not None:
        progress(state)

    def finished(row: dict[str, Any]) -> None:
        rows[row["run"]] = row
        state.done += 1
        state.failed += row["status"] == "failed"
        if progress is not None:
            progress(state)

    tasks = [task for task, _ in planned]
    try:
        _run_all([task for task in tasks if task.run not in rows], executor, finished)
    except KeyboardInterrupt:
        raise SweepInterrupted(_tabulate(tasks, rows, keys, directory)) from None
    return _tabulate(tasks, rows, keys, directory)


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
    leaves no directory, and a resumed sweep runs it again."""
    pool = ProcessPoolExecutor(workers, initializer=_worker_signals)
    try:
        yield pool
    except KeyboardInterrupt:
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
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
            finished(run_task(task))
        return
    futures: dict[Future[dict[str, Any]], RunTask] = {
        executor.submit(run_task, task): task for task in tasks
    }
    pending = set(futures)
    try:
        while pending:
            # Wake up now and then: Ctrl-C may be delivered to another thread (the executor's),
            # and the main thread only raises KeyboardInterrupt once it runs again.
            done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    row = future.result()
                except Exception as error:  # the worker, not the run, failed (killed, lost)
                    row = _row(futures[future], None, f"{type(error).__name__}: {error}")
                finished(row)
    finally:
        for future in futures:
            future.cancel()


def _completed_row(task: RunTask, scenario: Scenario) -> dict[str, Any] | None:
    """The row of a run whose directory is complete (runs are written atomically, so a
    summary.json means the whole directory), if it was made from this very scenario."""
    if task.out is None:
        return None
    path = Path(task.out) / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    config = hashlib.sha256(resolved_yaml(scenario).encode()).hexdigest()
    if summary.get("manifest", {}).get("config_sha256") != config:
        return None
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
