"""Scenario files -> validated `Scenario`, or every problem at once with its line and column."""

from __future__ import annotations

import difflib
import sys
import types
import typing
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.protocols.api.quorum import intersection_problems
from sim.protocols.registry import get_protocol, protocol_problem
from sim.scenario.crosschecks import Parts, cross_checks, validate_keys
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.model import LATENCY_TAGS, Scenario
from sim.scenario.overrides import apply_overrides
from sim.scenario.sweep import apply_point
from sim.scenario.yaml_positions import KEY_MARK, Path, YamlProblem, load_with_positions

MAX_BYTES = 10 * 1024 * 1024  # a scenario is a few KiB; anything this size is not one


def load_scenario(
    path: str | FsPath, overrides: list[str] | None = None, seed: int | None = None
) -> Scenario:
    """Read, check and resolve a scenario file. Raises ScenarioError listing every problem."""
    name = str(path)
    text = _read_text(FsPath(path), name)
    try:
        data, positions, yaml_problems = load_with_positions(text)
    except YamlProblem as err:
        raise ScenarioError([Problem(f"{name}:{err.line}:{err.col}", "", err.message)]) from None
    problems = [Problem(f"{name}:{p.line}:{p.col}", "", p.message) for p in yaml_problems]
    if data is None:
        problems.append(
            Problem(f"{name}:1:1", "", "the file is empty (a scenario needs at least `name:`)")
        )
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        line, col = positions.get((), (1, 1))
        problems.append(
            Problem(
                f"{name}:{line}:{col}", "", f"a scenario is a mapping of keys, not a {_kind(data)}"
            )
        )
        raise ScenarioError(problems)
    data, origins, override_problems = apply_overrides(data, overrides or [])
    problems += override_problems
    if seed is not None:
        data["seed"] = seed
        origins["seed"] = "--seed"
    locate = _Locator(name, positions, origins)
    scenario = validate_data(data, locate, problems)
    if problems or scenario is None:
        raise ScenarioError(sorted(problems, key=_reading_order))
    return scenario


def _reading_order(problem: Problem) -> tuple[int, int]:
    """File problems by line and column; those without a line (--set) after them, in the order
    found (the sort is stable)."""
    parts = problem.where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return sys.maxsize, 0


def scenario_from_dict(data: dict[str, Any], where: str = "<scenario>") -> Scenario:
    """Validate an in-memory scenario (notebooks, sweeps); errors name ``where``."""
    problems: list[Problem] = []
    scenario = validate_data(data, _Locator(where, {}, {}), problems)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def _read_text(path: FsPath, name: str) -> str:
    if not path.exists():
        raise ScenarioError([Problem(name, "", "no such file")])
    if path.is_dir():
        raise ScenarioError([Problem(name, "", "is a directory, not a scenario file")])
    too_large = ScenarioError([Problem(name, "", f"larger than {MAX_BYTES // 2**20} MiB")])
    try:
        if path.stat().st_size > MAX_BYTES:
            raise too_large
        # A device or pipe has no size to trust: read one byte past the limit, never more.
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as err:
        raise ScenarioError([Problem(name, "", f"cannot read: {err.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise too_large
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise ScenarioError(
            [Problem(f"{name}:{line}:{col}", "", "not UTF-8 text (save the file as UTF-8)")]
        ) from None


class _Locator:
    """Maps a data path to the place it came from: file position or the --set that wrote it."""

    def __init__(self, name: str, positions: dict[Path, tuple[int, int]], origins: dict[str, str]):
        self.name, self.positions, self.origins = name, positions, origins

    def __call__(self, path: Path, at_key: bool = False) -> str:
        """Where ``path`` is written: its value, or with ``at_key`` its key."""
        dotted = _dotted(path)
        for key, origin in self.origins.items():
            if dotted == key or dotted.startswith(key + "."):
                return origin
        if at_key and (*path, KEY_MARK) in self.positions:
            line, col = self.positions[(*path, KEY_MARK)]
            return f"{self.name}:{line}:{col}"
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.positions:
                line, col = self.positions[path[:cut]]
                return f"{self.name}:{line}:{col}"
        return f"{self.name}:1:1" if self.positions else self.name


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def validate_data(
    data: dict[str, Any], locate: _Locator, problems: list[Problem]
) -> Scenario | None:
    """Validate the file's shape, then what depends on its values (protocol parameters, node
    names, faults against the run), the latter on every part that is valid on its own even when
    others are not. Appends to ``problems``; returns the Scenario when it is valid."""
    try:
        scenario: Scenario | None = Scenario.model_validate(data)
    except ValidationError as err:
        problems += _problems_from(err.errors(include_url=False), data, locate, Scenario, ())
        scenario = None
    parts = Parts.of(scenario) if scenario is not None else Parts.salvage(data)
    problems += _check_protocol(parts, data, locate)
    problems += [
        Problem(locate(path), _dotted(path), message) for path, message in cross_checks(parts)
    ]
    if problems or scenario is None:
        return None
    if scenario.sweep is not None:
        problems += _check_sweep(scenario, data, locate)
        if problems:
            return None
    return _resolve_params(scenario)


def _check_sweep(scenario: Scenario, data: dict[str, Any], locate: _Locator) -> list[Problem]:
    """Each grid value must make a valid scenario on its own (as its --set would), and each zip
    row with its partners; whole points (combinations) are validated again by the sweep before
    anything runs."""
    assert scenario.sweep is not None
    checks: list[tuple[dict[str, Any], Path, str]] = []
    for key, choices in scenario.sweep.grid.items():
        for i, value in enumerate(choices):
            checks.append(({key: value}, ("sweep", "grid", key, i), f"{value!r}"))
    zipped = scenario.sweep.zip
    for i in range(len(next(iter(zipped.values()), []))):
        row = {key: values[i] for key, values in zipped.items()}
        shown = ", ".join(f"{k}={v!r}" for k, v in row.items())
        checks.append((row, ("sweep", "zip", next(iter(row)), i), shown))
    problems: list[Problem] = []
    for point, path, shown in checks:
        inner: list[Problem] = []
        try:
            validate_data(apply_point(data, point), _Nowhere(), inner)
        except ValueError as err:  # a dotted key runs into a non-mapping
            inner.append(Problem("", next(iter(point)), str(err)))
        dotted = f"sweep.{path[1]}.{path[2]}[{path[3]}]"
        problems += [
            Problem(locate(path), dotted, f"{shown} gives {p.path or 'the file'}: {p.message}")
            for p in inner
        ]
    return problems


class _Nowhere(_Locator):
    """Positions of a derived scenario: its problems are reported where the sweep key is."""

    def __init__(self) -> None:
        super().__init__("", {}, {})


def _check_protocol(parts: Parts, data: dict[str, Any], locate: _Locator) -> list[Problem]:
    """The parameters against the protocol's model, every key that is wrong at once; then, if
    they are valid, against the cluster (the protocol's ``check_cluster`` hook)."""
    cluster = parts.cluster
    if not cluster.valid("protocol"):
        return []
    name = cluster.value.protocol
    if (problem := protocol_problem(name)) is not None:  # unknown, or not importable
        return [Problem(locate(("cluster", "protocol")), "cluster.protocol", problem)]
    if not cluster.valid("params"):
        return []
    params_model = get_protocol(name).Params
    prefix: Path = ("cluster", "params")
    params, _, errors = validate_keys(params_model, cluster.value.params)
    raw = data.get("cluster", {}).get("params", {})
    problems = _problems_from(errors, raw, locate, params_model, prefix)
    nodes = parts.nodes
    # A protocol's parameters may say which settings cannot work on these nodes (the model
    # alone does not know the cluster): `check_cluster(nodes) -> [(parameter, message)]`.
    check_cluster = getattr(params, "check_cluster", None)
    if not errors and check_cluster is not None and nodes is not None:
        for key, message in check_cluster(nodes):
            path = (*prefix, key) if key else prefix
            problems.append(Problem(locate(path), _dotted(path), message))
    # Quorums that can be disjoint let two sides decide differently: refused unless the
    # scenario is a teaching one that says so (and must then show the violation).
    quorums = getattr(params, "quorums", None)
    unsafe = cluster.valid("unsafe") and cluster.value.unsafe
    if not errors and not problems and quorums is not None and nodes is not None and not unsafe:
        for key, (phase1, phase2) in quorums(nodes).items():
            path = (*prefix, key) if key else prefix
            for message in intersection_problems(phase1, phase2):
                problems.append(
                    Problem(
                        locate(path),
                        _dotted(path),
                        f"{message}; set cluster.unsafe: true for a teaching scenario that "
                        "must show what that breaks",
                    )
                )
    return problems


def _resolve_params(scenario: Scenario) -> Scenario:
    """Fill every protocol parameter's default, so scenario.yaml shows what actually ran."""
    params_model = get_protocol(scenario.cluster.protocol).Params
    params = params_model.model_validate(scenario.cluster.params).model_dump(mode="json")
    cluster = scenario.cluster.model_copy(update={"params": params})
    return scenario.model_copy(update={"cluster": cluster})


# --- pydantic errors -> problems ---------------------------------------------------------------


def _problems_from(
    errors: list[ErrorDetails], data: Any, locate: _Locator, model: type[BaseModel], prefix: Path
) -> list[Problem]:
    merged: dict[tuple[Path, bool], list[str]] = {}
    for error in errors:
        path = _data_path(error["loc"], data)
        message = _message(error, path, data, model)
        # Unknown keys and invalid keys point at the key; everything else at the value.
        at_key = error["type"] == "extra_forbidden" or error["loc"][-1:] == ("[key]",)
        messages = merged.setdefault((path, at_key), [])
        if message not in messages:
            messages.append(message)
    problems = []
    for (path, at_key), messages in merged.items():
        full = (*prefix, *path)
        where = locate(full, at_key)
        problems.append(Problem(where, _dotted(full) or "(top level)", "; or ".join(messages)))
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> Path:
    """Keep the parts of a pydantic location that exist in the data (drops union tags)."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if _has(node, part):
            path.append(part)
            node = node[part]
        elif (
            isinstance(node, dict)
            and i == len(loc) - 1
            and isinstance(part, str)
            and not _is_tag(part)
        ):
            path.append(part)  # a missing key: name it, positioned at its parent
    return tuple(path)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _is_tag(part: str) -> bool:
    """A part of a pydantic error location that names a union member, not a key of the data."""
    return "[" in part or part in LATENCY_TAGS or part in _TYPE_TAGS


_TYPE_TAGS = frozenset({"int", "list", "str", "float"})  # members of unions such as `nodes`


def _message(error: Any, path: Path, data: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, path[:-1], data)
        near = difflib.get_close_matches(str(path[-1]), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean `{near[0]}`?" if near else ""
        return f"unknown key (allowed: {', '.join(allowed)}){hint}"
    if kind == "missing":
        return "required key is missing"
    msg = str(error["msg"])
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "union_tag_invalid":
        return f"unknown distribution (allowed: {error['ctx']['expected_tags']})"
    if kind == "literal_error":
        return f"{msg[0].lower()}{msg[1:]}, got {error['input']!r}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{msg[0].lower()}{msg[1:]}, got {_kind(error['input'])} {error['input']!r}"
    return msg[0].lower() + msg[1:] if msg else kind


def _allowed_keys(model: type[BaseModel], path: Path, data: Any) -> list[str]:
    """The keys allowed at ``path``: the fields of the model found by following the path."""
    current: Any = model
    node = data
    for part in path:
        node = node[part] if _has(node, part) else None
        current = _descend(current, part, node)
        if current is None:
            return []
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _descend(current: Any, part: str | int, node: Any) -> Any:
    if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
        for name, field in current.model_fields.items():
            if part in (name, field.alias):
                return _pick_model(field.annotation, node)
        return None
    return _pick_model(current, node)


def _pick_model(annotation: Any, node: Any) -> Any:
    """From an annotation (unions, lists, Annotated) pick the model that ``node`` is an instance
    of: the one whose `dist` literal matches, else the one sharing most keys with it."""
    candidates = _models_in(annotation)
    if isinstance(node, list):
        return annotation  # the items decide, below: a list may hold several models
    if not candidates:
        return None
    if isinstance(node, dict):

        def score(model: type[BaseModel]) -> tuple[int, int]:
            dist = model.model_fields.get("dist")
            tag_ok = dist is not None and node.get("dist", "constant") in typing.get_args(
                dist.annotation
            )
            names = {f.alias or n for n, f in model.model_fields.items()}
            return int(tag_ok), len(names & set(node))

        return max(candidates, key=score)
    return candidates[0]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        # A union known only when validating (the registered fault kinds) lists its members.
        listed = [meta.models() for meta in args[1:] if hasattr(meta, "models")]
        return listed[0] if listed else _models_in(args[0])
    if origin in (typing.Union, types.UnionType, list, tuple):
        return [m for arg in args for m in _models_in(arg)]
    return []
