"""The tables of a sweep: a row per run (its point, seed, status and the figures of its
summary, flattened) and a row per point (mean and 95% interval across its ok runs), written as
DIR/runs.csv and DIR/points.csv with the run directory's cell format. Rows are sorted by
(point, replicate), so the tables are the same whatever executor ran the runs; only the
wall-clock columns (``WALL_CLOCK``) vary."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.metrics.intervals import mean_interval
from sim.metrics.tables import write_csv

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiment.sweep.planning import RunTask

WALL_CLOCK = ("wall_s",)
"""Columns of runs.csv that measure the machine, not the simulation: they differ between runs."""

# Summary entries that are not figures: the seed is a column of its own, the rest is the same
# for every run of a sweep or says when and where it ran.
_NOT_FIGURES = ("scenario", "seed", "manifest")


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


def run_row(task: RunTask, summary: dict[str, Any] | None, error: str) -> dict[str, Any]:
    """The row of runs.csv for ``task``: from its summary, or (None) failed with ``error``."""
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


def tabulate(
    tasks: list[RunTask], rows: dict[str, dict[str, Any]], keys: list[str], directory: Path | None
) -> SweepResult:
    """The result of the runs of ``tasks`` that have a row (by run name), with the sweep keys
    ``keys`` as columns; with ``directory``, runs.csv and points.csv written there too."""
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
    write_csv(partial, tuple(columns), (_ordered(r, columns) for r in rows))
    os.replace(partial, path)
