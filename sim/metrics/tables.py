"""The run's tables as files: CSV with fixed columns, JSON lines. Same rows -> same bytes."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sim.metrics.columns import Records, Table

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
GROUP_COLUMN = "group"  # after REQUEST_COLUMNS, when the workload has client groups


def with_groups(
    rows: Iterable[tuple[Any, ...]], group_of: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """Request rows with their client's group (``group_of[client]``) as one more column."""
    return [(*row, group_of[row[1]]) for row in rows]


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


def cells(values: Sequence[Any]) -> Sequence[Any]:
    """`cell` of each value of one column. A column holds one or two types, so it is converted
    by type, not value by value: most columns (ints, strings) go to the writer as they are."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:
        return values
    if kinds == {float}:
        return float_cells(values)
    if kinds <= _FLOAT_OR_NONE:  # (requests still waiting at the end have no completion)
        texts = float_cells([0.0 if v is None else v for v in values])
        return ["" if v is None else text for v, text in zip(values, texts, strict=True)]
    return [cell(v) for v in values]


_AS_IS = {int, str}
_FLOAT_OR_NONE = {float, type(None)}


def float_cells(values: Sequence[float]) -> list[str]:
    """``repr(round(v, 6))`` of each value, three times faster: for 1e-4 <= |v| < 1e9 (or 0)
    it is the fixed six-decimal form without its trailing zeros (up to 15 significant digits
    a decimal survives the round trip through a float, so repr finds no shorter one, and it
    writes no exponent in that range). A column with any other value is done value by value."""
    import numpy as np

    magnitudes = np.abs(np.asarray(values, dtype=float))
    if not (magnitudes < 1e9).all() or ((magnitudes < 1e-4) & (magnitudes != 0)).any():
        return [repr(round(v, 6)) for v in values]
    stripped = [text.rstrip("0") for text in map("{:.6f}".format, values)]
    return [text + "0" if text[-1] == "." else text for text in stripped]


def write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """A header and the rows, converted a column at a time and written in one go (a column's
    cells share their type: converting them together is several times faster than cell by
    cell). ``rows`` may be a `Table`, whose columns are read as they are."""
    if isinstance(rows, Table):
        by_column: list[Sequence[Any]] = [column.values() for column in rows.columns]
    else:
        by_column = list(zip(*rows, strict=True)) or [() for _ in columns]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(zip(*map(cells, by_column), strict=True))


def write_parquet(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """The table as a Parquet file (pyarrow): ints as int64, floats as float64 at full
    precision (CSV rounds them to the nanosecond), strings as strings, None as null; a column
    of mixed values (Raft's op ids: ints and ``noop:n2:1``) as the text of its CSV cells."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(rows, Table):  # (a typed column goes as it is, without a Python value each)
        arrays = [
            pa.array(column.data) if column.typed else _arrow_array(column.values())
            for column in rows.columns
        ]
    else:
        arrays = [_arrow_array(v) for v in list(zip(*rows, strict=True)) or [() for _ in columns]]
    pq.write_table(pa.table(dict(zip(columns, arrays, strict=True))), path)


def _arrow_array(values: Sequence[Any]) -> Any:
    import pyarrow as pa

    kinds = set(map(type, values)) - {type(None)}
    for allowed, arrow_type in ((_INTS, pa.int64()), (_FLOATS, pa.float64()), (_STRS, pa.string())):
        if kinds <= allowed:
            try:
                return pa.array(values, arrow_type)
            except (pa.ArrowInvalid, OverflowError):  # (an int beyond 64 bits)
                break
    return pa.array([None if v is None else str(cell(v)) for v in values], pa.string())


_INTS, _FLOATS, _STRS = {int}, {float}, {str}


def _csv_table(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    write_csv(path.with_name(path.name + ".csv"), columns, rows)


def _parquet_table(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    write_parquet(path.with_name(path.name + ".parquet"), columns, rows)


TABLE_WRITERS = {"csv": _csv_table, "parquet": _parquet_table}
"""A run directory's table writers by format: ``writer(directory / name, columns, rows)``."""


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


def json_line(row: dict[str, Any]) -> str:
    return json.dumps(to_json(row), separators=(",", ":"))


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line. `Records` (history.jsonl's) are written a column at a time,
    to the same bytes as `json_line` of each row."""
    with path.open("w", encoding="utf-8") as file:
        if isinstance(rows, Records):
            file.writelines(_record_lines(rows))
            return
        for row in rows:
            file.write(json_line(row))
            file.write("\n")


def _record_lines(records: Records) -> list[str]:
    """Each row's line, put together from its columns' JSON texts and the keys between them."""
    names = [json.dumps(name) for name in records.names]
    between = [f"{{{names[0]}:", *(f",{name}:" for name in names[1:])]
    parts: list[Iterable[str]] = []
    for key_text, column in zip(between, records.table.columns, strict=True):
        parts += [itertools.repeat(key_text), _json_texts(column.values())]
    parts.append(itertools.repeat("}\n"))
    lines = list(map("".join, zip(*parts, strict=False)))  # (repeat() is endless)
    for row, odd in records.odd.items():
        lines[row] = json_line(odd) + "\n"
    return lines


def _json_texts(values: list[Any]) -> Iterable[str]:
    """The JSON text of each value of one column, as `json_line` writes it in a row."""
    kinds = set(map(type, values))
    if kinds == {int}:
        return map(str, values)
    if kinds == {float}:
        return float_cells(values)
    if kinds == {str}:
        texts = {value: json.dumps(value) for value in set(values)}  # (names, keys: few)
        return map(texts.__getitem__, values)
    return (json.dumps(to_json(value), separators=(",", ":")) for value in values)
