"""The run's tables as files: CSV with fixed columns, JSON lines. Same rows -> same bytes."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REQUEST_COLUMNS = (
    "op_id",
    "client",
    "node",
    "op",
    "key",
    "value",
    "invoked_ms",
    "completed_ms",
    "latency_ms",
    "outcome",
)
DECISION_COLUMNS = ("node", "index", "op_id", "decided_ms")
ELECTION_COLUMNS = ("term", "leader", "started_ms", "elected_ms")
FAULT_COLUMNS = ("at_ms", "kind", "targets")


def cell(value: Any) -> Any:
    """How a value is written in a CSV cell: floats rounded to the nanosecond, None empty,
    lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(",", ":"))
    return value


def write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(v) for v in row])


def to_json(value: Any) -> Any:
    """Messages and ops (frozen dataclasses) as JSON objects tagged with their type."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__}
        for field in dataclasses.fields(value):
            out[field.name] = to_json(getattr(value, field.name))
        return out
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, set | frozenset):
        return sorted(to_json(v) for v in value)
    return value


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(to_json(row), separators=(",", ":")))
            file.write("\n")
