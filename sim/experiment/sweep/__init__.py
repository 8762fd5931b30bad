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

`planning` makes the runs of a sweep (and finds those a resumed one keeps), `tables` makes
runs.csv and points.csv of their rows, and this module runs them: in this process, on a process
pool (`process_pool`) or on a Dask cluster, and stops them. Workers call `run_task` here, by
this path, and a pool's workers have their SIGTERM handler here too.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from sim.experiment.run import run
from sim.experiment.signals import STOP_SIGNALS, handlers_replaced
from sim.experiment.sweep.planning import (
    ResumeRefused,
    RunTask,
    check_out,
    completed_rows,
    default_sweep_dir,
    plan,
    write_record,
)
from sim.experiment.sweep.tables import WALL_CLOCK, SweepResult, run_row, tabulate
from sim.metrics.tables import to_json
from sim.scenario.loader import scenario_from_dict
from sim.scenario.model import Scenario, Sweep

__all__ = [
    "STOP_SIGNALS",
    "WALL_CLOCK",
    "ResumeRefused",
    "RunTask",
    "SweepInterrupted",
    "SweepProgress",
    "SweepResult",
    "default_sweep_dir",
    "plan",
    "process_pool",
    "run_task",
    "run_tasks",
    "stop_signals",
    "sweep",
]

_POLL_S = 0.2
_STOP_GRACE_S = 1.5  # a stopped worker's run unwinds in milliseconds; one still there is killed
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


@dataclass
class SweepProgress:
    """Where a sweep is, passed to its ``progress`` callback at the start and after each run."""

    total: int
    done: int = 0
    failed: int = 0
    resumed: int = 0


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM: ``signum``) during a sweep. The finished runs are kept and tabled
    (``result``); running the sweep again with ``resume=True`` does the rest."""

    def __init__(self, result: SweepResult, signum: int = signal.SIGINT) -> None:
        super().__init__(f"sweep interrupted after {len(result.runs)} of {result.total} runs")
        self.result = result
        self.signum = signum


def sweep(
    scenario: Scenario,
    executor: Executor | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[SweepProgress], None] | None = None,
    argv: list[str] | None = None,
    batch: int | None = None,
) -> SweepResult:
    """Run every point of ``scenario.sweep`` with each of its seeds, on ``executor`` (None: one
    after the other, in this process). With ``out``, write DIR/runs.csv, DIR/points.csv and a
    run directory per run under DIR/runs/; with ``resume`` too, keep the runs already complete
    there, if they were made with these very settings (ResumeRefused otherwise). Every point
    is validated before any run starts (ScenarioError otherwise). Ctrl-C or SIGTERM (see
    `stop_signals`) raises SweepInterrupted after tabling the finished runs. An executor gets
    the runs in batches of ``batch`` per worker task (None: sized from the measured run time,
    about 0.2 s of runs a task; the tables are the same either way)."""
    import pandas  # noqa: F401  # now, not on Ctrl-C, when the runs in progress would go on

    spec = scenario.sweep or Sweep()
    directory = Path(out) if out is not None else None
    check_out(directory, resume)
    planned = plan(scenario, directory, argv)
    keys = [*spec.grid, *spec.zip]
    rows: dict[str, dict[str, Any]] = {}
    if resume and directory is not None:
        rows = completed_rows(scenario, planned, directory)
    state = SweepProgress(total=len(planned), done=len(rows), resumed=len(rows))
    if directory is not None:
        write_record(directory, scenario, len(planned), argv)
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
            to_run = [task for task in tasks if task.run not in rows]
            _run_all(to_run, executor, finished, batch)
        except KeyboardInterrupt:
            signum = _stop_requested or signal.SIGINT
            raise SweepInterrupted(tabulate(tasks, rows, keys, directory), signum) from None
    return tabulate(tasks, rows, keys, directory)


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
    _stop_requested = None
    try:
        with handlers_replaced(_note_stop, keep_ignored=True):
            yield
    finally:
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
        return run_row(task, None, f"{type(error).__name__}: {error}{at}")
    finally:
        _in_run = False
    return run_row(task, to_json(result.summary), "")


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


# A worker task's aim in seconds: long against its own cost (pickling the tasks and the rows, a
# round trip to the worker: about a millisecond, as long as a short run), short enough that the
# progress bar moves and the last tasks spread over the workers.
_TASK_S = 0.2
_UNKNOWN_WORKERS = 64


def run_tasks(tasks: list[RunTask]) -> tuple[list[dict[str, Any]], float]:
    """`run_task` for each of a batch of tasks, in one worker task: their rows, and the seconds
    the batch took (the next batch's size is chosen from it)."""
    started = time.perf_counter()
    rows = []
    for task in tasks:
        if _stopping:
            break  # (the pool is being stopped: these runs are left to a resumed sweep)
        rows.append(run_task(task))
    return rows, time.perf_counter() - started


def _run_all(
    tasks: list[RunTask],
    executor: Executor | None,
    finished: Callable[[dict[str, Any]], None],
    batch: int | None = None,
) -> None:
    """Run ``tasks`` here, or on ``executor`` in batches of ``batch`` runs per worker task (None:
    as many as take about ``_TASK_S``, measured on the first ones, which go one per task)."""
    if executor is None:
        for task in tasks:
            _raise_if_stopped()
            finished(_run_here(task))
        return
    _raise_if_stopped()  # (noted while the pool or the Dask client was starting)
    queue = deque(tasks)
    # A process pool says how many workers it has; a Dask cluster's executor does not (nor
    # need its size stay put): the batches are sized as for a cluster of _UNKNOWN_WORKERS.
    workers = max(1, getattr(executor, "_max_workers", None) or _UNKNOWN_WORKERS)
    run_s: float | None = None  # the mean seconds of a run so far
    futures: dict[Future[tuple[list[dict[str, Any]], float]], list[RunTask]] = {}

    def size() -> int:
        if batch is not None:
            return batch
        if run_s is None:
            return 1
        spread = -(-len(queue) // (2 * workers))  # (at least two batches a worker at the end)
        return max(1, min(round(_TASK_S / max(run_s, 1e-6)), spread))

    def submit() -> None:
        # Two batches in flight per worker: one running, one queued behind it.
        while queue and len(futures) < 2 * workers:
            chunk = [queue.popleft() for _ in range(min(size(), len(queue)))]
            futures[executor.submit(run_tasks, chunk)] = chunk

    try:
        submit()
        while futures:
            # Wake up now and then to look for a stop noted by `stop_signals` (or, without it,
            # for Ctrl-C delivered to another thread: the main thread raises it once it runs).
            done, _ = wait(futures, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = futures.pop(future)
                try:
                    rows, seconds = future.result()
                except Exception as error:  # the worker, not the run, failed (killed, lost)
                    rows = [run_row(t, None, f"{type(error).__name__}: {error}") for t in chunk]
                else:
                    if rows:
                        run_s = seconds / len(rows)
                for row in rows:
                    finished(row)
            _raise_if_stopped()
            submit()
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
