"""``--set KEY=VALUE``: replace one key of a scenario's data by a dotted path, YAML value."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from sim.scenario.errors import Problem


def parse_override(text: str) -> tuple[str, Any]:
    """``cluster.nodes=7`` -> ("cluster.nodes", 7). Raises ValueError with a usable message."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--set {text}: expected KEY=VALUE, e.g. --set cluster.nodes=7")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        raise ValueError(f"--set {text}: the value is not valid YAML ({err})") from None
    return key, value


def set_path(data: dict[str, Any], key: str, value: Any) -> str | None:
    """Set dotted ``key`` in ``data`` (creating mappings on the way); returns the dotted prefix
    that is not a mapping when the path cannot be followed, else None."""
    node: dict[str, Any] = data
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            return ".".join(parts[: i + 1])
        node = child
    node[parts[-1]] = value
    return None


def apply_overrides(data: Any, overrides: list[str]) -> tuple[Any, dict[str, str], list[Problem]]:
    """Return (new data, {dotted key: "--set ..."} for error messages, problems)."""
    data = copy.deepcopy(data) if isinstance(data, dict) else data
    origins: dict[str, str] = {}
    problems: list[Problem] = []
    for text in overrides:
        try:
            key, value = parse_override(text)
        except ValueError as err:
            problems.append(Problem(f"--set {text}", "", str(err).split(": ", 1)[1]))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(f"--set {text}", key, "the file is not a mapping"))
            continue
        blocked = set_path(data, key, value)
        if blocked is not None:
            problems.append(Problem(f"--set {text}", blocked, "is not a mapping"))
        else:
            origins[key] = f"--set {text}"
    return data, origins, problems
