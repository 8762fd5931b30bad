"""A sweep's runs batched into worker tasks give the tables of one run per task (issue 22)."""

from __future__ import annotations

import csv
import importlib
import io
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from sim import scenario_from_dict, sweep
from sim.experiment.sweep import WALL_CLOCK, process_pool
from tests.experiment.tiny import tiny

SWEEP = {"grid": {"cluster.nodes": [3, 5]}, "seeds": 6}


def runs_csv(directory: Path) -> list[list[str]]:
    """runs.csv without its wall-clock columns."""
    rows = list(csv.reader(io.StringIO((directory / "runs.csv").read_text(encoding="utf-8"))))
    keep = [i for i, name in enumerate(rows[0]) if name not in WALL_CLOCK]
    return [[row[i] for i in keep] for row in rows]


class CountingExecutor:
    """Runs each submitted task at once, in this process, and counts the tasks."""

    _max_workers = 1

    def __init__(self) -> None:
        self.batches: list[int] = []

    def submit(self, fn: Any, tasks: list[Any]) -> Future[Any]:
        self.batches.append(len(tasks))
        future: Future[Any] = Future()
        future.set_result(fn(tasks))
        return future


def test_batched_tasks_give_the_tables_of_one_run_per_task(tmp_path: Path) -> None:
    """On a pool, the measured batches (a few milliseconds a run: many runs a task) and one run
    per task write the same runs.csv (but for its wall-clock column) and points.csv bytes."""
    scenario = scenario_from_dict(tiny(**SWEEP))
    with process_pool(2) as pool:
        sweep(scenario, pool, out=tmp_path / "one", batch=1)
        sweep(scenario, pool, out=tmp_path / "batched")
    assert runs_csv(tmp_path / "batched") == runs_csv(tmp_path / "one")
    points = (tmp_path / "batched" / "points.csv").read_bytes()
    assert points == (tmp_path / "one" / "points.csv").read_bytes()


def test_batch_size_follows_the_measured_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first tasks (one per slot: two per worker) hold one run each; then each holds as
    many as take about 0.2 s (runs said to take 10 ms: 20), but at most half a worker's share
    of the runs left, so that the last ones still spread."""
    sweep_module = importlib.import_module("sim.experiment.sweep")
    run_tasks = sweep_module.run_tasks

    def ten_ms_a_run(tasks: list[Any]) -> tuple[list[dict[str, Any]], float]:
        rows, _ = run_tasks(tasks)
        return rows, 0.01 * len(rows)

    monkeypatch.setattr(sweep_module, "run_tasks", ten_ms_a_run)
    executor = CountingExecutor()
    data = tiny(seeds=60)
    data["duration"] = "20ms"
    result = sweep(scenario_from_dict(data), executor, out=tmp_path)  # type: ignore[arg-type]
    assert len(result.runs) == 60
    assert executor.batches == [1, 1, 20, 19, 10, 5, 2, 1, 1]
