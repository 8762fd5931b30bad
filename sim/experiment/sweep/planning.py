"""The plan of a sweep: every point of its ``sweep:`` section times its seeds, as run tasks of
plain data that a process pool or a Dask cluster can ship; every point validated before any run
starts; and the bookkeeping of its directory: ``sweep.json`` (how the sweep began, with the hash
of its settings) and, for a resumed sweep, the runs already complete there."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.experiment.manifest import manifest
from sim.experiment.run import resolved_yaml
from sim.experiment.rundir import fresh_dir
from sim.experiment.sweep.tables import run_row
from sim.outputs import claim, is_sweep_dir
from sim.protocols.registry import get_protocol, protocol_names
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import scenario_from_dict
from sim.scenario.model import Scenario, Sweep
from sim.scenario.sweep import Point, apply_point, run_seeds, sweep_points


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


class ResumeRefused(Exception):
    """``resume=True`` on a directory whose runs were made with other settings: resuming would
    mix them with these, or throw them away. The message says what to do."""


def default_sweep_dir(results: Path, name: str) -> Path:
    """``results/<name>/sweep-<UTC time>``, with a counter if that exists already."""
    return fresh_dir(results / name, "sweep-{stamp}")


def check_out(directory: Path | None, resume: bool) -> None:
    """Refuse a directory a sweep may not write in (one that is not ours, or one holding a
    sweep already, unless resumed), and ``resume`` without one."""
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


# --- the sweep's directory ---------------------------------------------------------------------


def write_record(directory: Path, scenario: Scenario, runs: int, argv: list[str] | None) -> None:
    """DIR/scenario.yaml (the resolved scenario) and, unless there already, DIR/sweep.json."""
    directory.mkdir(parents=True, exist_ok=True)
    _write_atomically(directory / "scenario.yaml", resolved_yaml(scenario))
    if not (directory / "sweep.json").exists():  # (resumed: it keeps how the sweep began)
        record = {
            "scenario": scenario.name,
            "runs": runs,
            "manifest": manifest(resolved_yaml(scenario), argv, datetime.now(UTC)),
        }
        _write_atomically(directory / "sweep.json", json.dumps(record, indent=2) + "\n")


def completed_rows(
    scenario: Scenario, planned: list[tuple[RunTask, Scenario]], directory: Path
) -> dict[str, dict[str, Any]]:
    """The rows (by run name) of the planned runs already complete in ``directory``, which a
    resumed sweep keeps; ResumeRefused if they were made with other settings."""
    _check_same_settings(directory, _config_sha256(scenario))
    rows = {}
    for task, scenario_of_run in planned:
        row = _completed_row(task, scenario_of_run, directory)
        if row is not None:
            rows[task.run] = row
    return rows


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
    return run_row(task, summary, "")


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
