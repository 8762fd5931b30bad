"""What a replay needs from a run directory besides its trace: the node names, the protocol's
election timeout (for the timer ring) and the safety verdict, from summary.json and scenario.yaml,
each checked."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.replay.trace import ReplayError, open_regular

MAX_SMALL_FILE = 16 << 20  # summary.json and scenario.yaml are kilobytes

# Parameters that hold an election timeout, as [min, max] or one duration, by protocol naming.
TIMEOUT_PARAMS = ("election_timeout", "leader_timeout", "view_timeout")


@dataclass(frozen=True)
class RunInfo:
    directory: Path
    scenario: str
    description: str
    protocol: str
    seed: Any
    duration_ms: float
    nodes: tuple[str, ...]
    timeout_ms: tuple[float, float] | None
    violations: list[dict[str, Any]]
    safe: bool | None


def read_run(directory: Path) -> RunInfo:
    """The run directory's facts; ReplayError if it is not a traced run directory."""
    if directory.exists() and not directory.is_dir():
        raise ReplayError(f"{directory}: is not a directory (a run directory, from quorumsim run)")
    if not directory.is_dir():
        raise ReplayError(f"{directory}: no such directory (a run directory, from quorumsim run)")
    if not (directory / "summary.json").exists():
        raise ReplayError(f"{directory}: not a run directory (no summary.json in it)")
    if not (directory / "trace.jsonl").exists():
        raise ReplayError(
            f"{directory}: the run was not traced (no trace.jsonl); run the scenario again with "
            f"--trace (quorumsim run SCENARIO --trace --out {directory}), then replay it"
        )
    summary = _summary(directory / "summary.json")
    scenario = _scenario(directory / "scenario.yaml")
    cluster = _mapping(scenario.get("cluster"))
    nodes = _nodes(directory, cluster.get("nodes", summary["nodes"]))
    safety = _mapping(summary.get("safety"))
    violations = safety.get("violations")
    return RunInfo(
        directory=directory,
        scenario=str(summary.get("scenario", directory.name)),
        description=str(scenario.get("description") or "").strip(),
        protocol=str(summary.get("protocol", "?")),
        seed=summary.get("seed"),
        duration_ms=float(summary["duration_ms"]),
        nodes=nodes,
        timeout_ms=_timeout(_mapping(cluster.get("params"))),
        violations=[v for v in violations if isinstance(v, dict)]
        if isinstance(violations, list)
        else [],
        safe=safety.get("ok") if safety.get("checked") else None,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _read_small(path: Path, what: str) -> str:
    with open_regular(path, what) as file:
        data = file.read(MAX_SMALL_FILE + 1)
    if len(data) > MAX_SMALL_FILE:
        raise ReplayError(f"{path}: larger than {MAX_SMALL_FILE >> 20} MiB ({what})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReplayError(f"{path}:1:{error.start + 1}: not UTF-8 text") from None


def _summary(path: Path) -> dict[str, Any]:
    text = _read_small(path, "the run's summary")
    try:
        summary = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReplayError(f"{path}:{error.lineno}:{error.colno}: not JSON ({error.msg})") from None
    if not isinstance(summary, dict):
        raise ReplayError(f"{path}:1:1: a summary is a JSON object")
    duration = summary.get("duration_ms")
    if (
        not isinstance(duration, int | float)
        or isinstance(duration, bool)
        or not math.isfinite(duration)
        or duration < 0
    ):
        raise ReplayError(f"{path}:1:1: duration_ms: missing or not a number of ms >= 0")
    if not (isinstance(summary.get("nodes"), int) and summary["nodes"] > 0):
        raise ReplayError(f"{path}:1:1: nodes: missing or not a node count >= 1")
    return summary


def _scenario(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    text = _read_small(path, "the run's scenario")
    try:
        scenario = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise ReplayError(
            f"{path}:{where}: not YAML ({getattr(error, 'problem', error)})"
        ) from None
    return scenario if isinstance(scenario, dict) else {}


def _nodes(directory: Path, nodes: Any) -> tuple[str, ...]:
    if isinstance(nodes, bool):
        nodes = None
    if isinstance(nodes, int) and 0 < nodes <= 1000:
        return tuple(f"n{i}" for i in range(1, nodes + 1))
    if (
        isinstance(nodes, list)
        and 0 < len(nodes) <= 1000
        and all(isinstance(n, str) for n in nodes)
        and len(set(nodes)) == len(nodes)
    ):
        return tuple(nodes)
    raise ReplayError(
        f"{directory / 'scenario.yaml'}:1:1: cluster.nodes: not a node count or a list of distinct "
        "names (1 to 1000 nodes)"
    )


def _timeout(params: dict[str, Any]) -> tuple[float, float] | None:
    for key in TIMEOUT_PARAMS:
        value = params.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return (float(value), float(value))
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and 0 < value[0] <= value[1]
        ):
            return (float(value[0]), float(value[1]))
    return None
