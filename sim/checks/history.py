"""Client histories: ``history.jsonl`` (or the same records in memory) -> validated `Operation`s.

A history is a time-ordered list of events, one per line:
``{"process": 3, "type": "invoke"|"ok"|"fail"|"info", "f": "read"|"write"|"cas", "key": "k1",
"value": ..., "time": 12.5}``. An invoke is later completed by the same process: ``ok`` (done),
``fail`` (definitely not done) or ``info`` (unknown: it may take effect any time after its
invocation, or never). A process whose operation ended ``info`` never invokes again (Jepsen's
convention: the client continues under a new process id). An invoke still pending at the end of
the history counts as ``info``. A completion's value is what the operation returned (a read's
value); a write's and a cas's (``[expected, new]``) are taken from the invoke, except that a cas
completed ``ok`` with the value ``false`` returned false (the register held something else).
Other functions than read, write and cas are allowed where a data model names them
(sim/checks/models/): their completion's value is what they returned.

Malformed input raises `HistoryError`, listing every problem as ``FILE:LINE: what is wrong (what
is allowed)``; records in memory are numbered from 1 as if they were lines. A file is at most
MAX_HISTORY_BYTES, a line at most MAX_LINE_BYTES (a longer one is skipped unread, in bounded
pieces), and a line's JSON nested at most MAX_NESTING levels (the object itself is level 1).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeGuard

FIELDS = ("process", "type", "f", "key", "value", "time")
TYPES = ("invoke", "ok", "fail", "info")
FUNCTIONS = ("read", "write", "cas")
MAX_PROBLEMS = 50
MAX_HISTORY_BYTES = 512 * 2**20  # some three million operations
MAX_LINE_BYTES = 2**20  # a line the simulator writes is ~100 bytes
MAX_NESTING = 100  # far beyond any value a register holds, well within Python's recursion limit
_FIELD_SET = frozenset(FIELDS)

_DECODER = json.JSONDecoder()

Status = Literal["ok", "info"]


@dataclass(frozen=True, slots=True)
class Operation:
    """One client operation that happened (``ok``) or may have happened (``info``).

    ``value`` is the input (a write's value, a cas's ``[expected, new]``, None for a read);
    ``output`` is what an ``ok`` op returned (a read's value; for a cas only ``False``, when it
    returned false; None for a write). ``index`` is the position of the invoke in the
    history (0-based: its line number minus one); ``complete_index`` that of the ``ok``
    completion, None for ``info``. Positions order events that share a time stamp.
    """

    process: int | str
    f: str
    key: str | int
    value: Any
    output: Any
    invoke_time: float
    complete_time: float  # inf for info: it may take effect any time after its invocation
    status: Status
    index: int
    complete_index: int | None


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a history, at a line (None: the file as a whole)."""

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.message}"


class HistoryError(ValueError):
    """A history that cannot be checked; ``problems`` lists everything found wrong, in order."""

    def __init__(self, problems: list[Problem], truncated: bool = False) -> None:
        self.problems = problems
        self.truncated = truncated
        lines = [str(p) for p in problems]
        if truncated:
            lines.append(f"(stopped after {len(problems)} problems)")
        super().__init__("\n".join(lines))


def read_history(path: str | Path, functions: Iterable[str] = FUNCTIONS) -> list[Operation]:
    """Read and validate a ``history.jsonl`` file; raise `HistoryError` naming every bad line.
    ``functions``: the operation names allowed (a model's; by default a register's)."""
    source = str(path)
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_HISTORY_BYTES:
                raise HistoryError([Problem(source, None, _TOO_LARGE)])
            return _build(_parse_lines(file, source), source, tuple(functions))
    except OSError as error:
        raise HistoryError([Problem(source, None, f"cannot read: {error.strerror}")]) from None


_MIB = 2**20
_TOO_LARGE = (
    f"larger than {MAX_HISTORY_BYTES // _MIB} MiB "
    f"(a history file is at most {MAX_HISTORY_BYTES // _MIB} MiB)"
)


def operations_from_records(
    records: Iterable[Mapping[str, Any]],
    source: str = "<records>",
    functions: Iterable[str] = FUNCTIONS,
) -> list[Operation]:
    """Validate history records held in memory (record i is reported as line i + 1)."""
    return _build(enumerate(records, start=1), source, tuple(functions))


def operations_from_lines(
    numbered: Iterable[tuple[int, Mapping[str, Any]]],
    source: str,
    functions: Iterable[str] = FUNCTIONS,
) -> list[Operation]:
    """Validate (line, record) pairs that another format's reader (sim.checks.formats) made:
    problems name the lines of that format's file, and so do the operations' indexes (line
    minus one), which keep their order."""
    pairs = list(numbered)
    lines = [line - 1 for line, _ in pairs]
    return [
        replace(
            op,
            index=lines[op.index],
            complete_index=None if op.complete_index is None else lines[op.complete_index],
        )
        for op in _build(pairs, source, tuple(functions))
    ]


class _Problems:
    """Collects problems, and stops the read once there are enough to be going on with."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        if len(self.found) == MAX_PROBLEMS:
            raise HistoryError(self.found, truncated=True)
        self.found.append(Problem(self.source, line, message))


def _parse_lines(file: BinaryIO, source: str) -> Iterator[tuple[int, Any]]:
    """Yield (line number, decoded JSON); a line that is not JSON is yielded as `_NotJson`, one
    longer than MAX_LINE_BYTES as `_TooLong`. Never holds more than MAX_LINE_BYTES + 1 bytes of a
    line, nor reads more than MAX_HISTORY_BYTES in all (a pipe or device has no size to check).
    Runs once per line of histories of millions: one generator, no call it can do without."""
    readline, total, number = file.readline, 0, 0
    while raw := readline(MAX_LINE_BYTES + 1):
        number += 1
        total += len(raw)
        record: Any
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := readline(MAX_LINE_BYTES + 1)) and total <= MAX_HISTORY_BYTES:
                total += len(rest)
                if rest.endswith(b"\n"):
                    break
            record = _TooLong()
        elif not raw.strip():
            record = _NotJson("the line is empty")
        else:
            try:
                record = _DECODER.decode(raw.decode())
            except json.JSONDecodeError as error:
                record = _NotJson(f"{error.msg} at column {error.colno}")
            except UnicodeDecodeError:
                record = _NotJson("the line is not UTF-8")
            except RecursionError:
                record = _NotJson(_TOO_DEEP)
            else:
                # Only a line with that many brackets can nest too deep: a C-speed count.
                brackets = raw.count(b"[") + raw.count(b"{")
                if brackets > MAX_NESTING and _deeper_than(record, MAX_NESTING):
                    record = _NotJson(_TOO_DEEP)
        if total > MAX_HISTORY_BYTES:
            raise HistoryError([Problem(source, None, _TOO_LARGE)])
        yield number, record


_TOO_DEEP = f"nested deeper than {MAX_NESTING} levels"


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels in ``value`` (no recursion:
    the value may be nested as deep as the decoder allowed)."""
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, list | dict):
            if level > limit:
                return True
            stack.extend((child, level + 1) for child in _children(node))
    return False


def _children(node: list[Any] | dict[str, Any]) -> Iterable[Any]:
    return node.values() if isinstance(node, dict) else node


@dataclass(frozen=True, slots=True)
class _TooLong:
    """A line longer than MAX_LINE_BYTES, skipped without being read whole."""


@dataclass(frozen=True, slots=True)
class _NotJson:
    reason: str


@dataclass(slots=True)
class _Pending:
    slot: int  # where the operation goes in the result, which is in invoke order
    line: int
    index: int
    f: str
    key: Any
    value: Any
    time: float


def _build(
    numbered: Iterable[tuple[int, Any]], source: str, functions: tuple[str, ...] = FUNCTIONS
) -> list[Operation]:
    problems = _Problems(source)
    slots: list[Operation | None] = []  # None: a failed op, or one not yet completed
    pending: dict[Any, _Pending] = {}
    retired: dict[Any, int] = {}  # process -> line where its op ended info
    # Each line decodes to new strings; sharing one object per name saves a third of the
    # memory of a million operations.
    names: dict[Any, Any] = {f: f for f in functions}
    last_time = -math.inf
    for index, (line, record) in enumerate(numbered):
        if not _valid(record, line, problems, functions):
            continue
        time = record["time"]
        if time < last_time:
            problems.add(
                line,
                f"time {time} is before {last_time}, the time of an earlier line "
                "(lines are in time order)",
            )
        last_time = max(last_time, time)
        process, kind = names.setdefault(record["process"], record["process"]), record["type"]
        f, key = names[record["f"]], names.setdefault(record["key"], record["key"])
        if kind == "invoke":
            if process in retired:
                problems.add(
                    line,
                    f"process {process!r} invokes again after its operation ended "
                    f"info at line {retired[process]} (a process with an unknown outcome "
                    "never invokes again; continue under a new process id)",
                )
            elif process in pending:
                problems.add(
                    line,
                    f"process {process!r} invokes while its invoke at line "
                    f"{pending[process].line} is pending (a process is single-threaded: "
                    "its operation completes first)",
                )
            else:
                pending[process] = _Pending(len(slots), line, index, f, key, record["value"], time)
                slots.append(None)
            continue
        invoke = pending.pop(process, None)
        if invoke is None:
            problems.add(
                line,
                f"{kind} for process {process!r}, which has no pending invoke "
                "(a completion follows an invoke from the same process)",
            )
            continue
        if (f, key) != (invoke.f, invoke.key):
            problems.add(
                line,
                f"{kind} of {f} on {key!r} completes the {invoke.f} on "
                f"{invoke.key!r} invoked at line {invoke.line} (a completion repeats "
                "its invoke's f and key)",
            )
            continue
        if kind == "ok":
            slots[invoke.slot] = _operation(invoke, process, "ok", time, index, record["value"])
        elif kind == "info":
            retired[process] = line
            slots[invoke.slot] = _operation(invoke, process, "info", math.inf, None, None)
    for process, invoke in pending.items():
        slots[invoke.slot] = _operation(invoke, process, "info", math.inf, None, None)
    if problems.found:
        raise HistoryError(problems.found)
    return [op for op in slots if op is not None]


def _operation(
    invoke: _Pending,
    process: Any,
    status: Status,
    complete_time: float,
    complete_index: int | None,
    completed_value: Any,
) -> Operation:
    f = invoke.f
    if f == "write" or f == "cas":  # a cas's completion matters only when it says false
        output = False if completed_value is False else None
    else:
        output = completed_value
    return Operation(
        process=process,
        f=f,
        key=invoke.key,
        value=None if f == "read" else invoke.value,
        output=output,
        invoke_time=float(invoke.time),
        complete_time=float(complete_time),
        status=status,
        index=invoke.index,
        complete_index=complete_index,
    )


def _valid(record: Any, line: int, problems: _Problems, functions: tuple[str, ...]) -> bool:
    """Report what is wrong with one record on its own; True when nothing is."""
    if isinstance(record, _NotJson):
        problems.add(line, f"not valid JSON: {record.reason} (one JSON object per line)")
        return False
    if isinstance(record, _TooLong):
        size = f"{MAX_LINE_BYTES // _MIB} MiB"
        problems.add(
            line, f"the line is longer than {size} (one JSON object of at most {size} per line)"
        )
        return False
    if not (type(record) is dict or isinstance(record, Mapping)):
        problems.add(
            line,
            f"a JSON {_json_type(record)}, not an object (one object per line "
            f"with {', '.join(FIELDS)})",
        )
        return False
    count = len(problems.found)
    if record.keys() != _FIELD_SET:
        for name in record:
            if name not in _FIELD_SET:
                problems.add(line, f"unknown field {name!r} (allowed: {', '.join(FIELDS)})")
        for name in FIELDS:
            if name not in record:
                problems.add(line, f"missing field {name!r} (every line has {', '.join(FIELDS)})")
    kind, f = record.get("type"), record.get("f")
    if "type" in record and kind not in TYPES:
        problems.add(line, f"type {kind!r} is unknown (one of {', '.join(TYPES)})")
    if "f" in record and f not in functions:
        problems.add(line, f"f {f!r} is unknown (one of {', '.join(functions)})")
    if "process" in record and not _is_name(record["process"]):
        problems.add(line, f"process {record['process']!r} is not an id (an integer or a string)")
    if "key" in record and not _is_name(record["key"]):
        problems.add(line, f"key {record['key']!r} is not a key (a string or an integer)")
    time = record.get("time")
    if "time" in record and not (_is_number(time) and math.isfinite(time)):
        problems.add(line, f"time {time!r} is not a number (finite milliseconds)")
    value = record.get("value")
    if (
        kind == "invoke"
        and f == "cas"
        and not (isinstance(value, list | tuple) and len(value) == 2)
    ):
        problems.add(line, f"cas value {value!r} is not a pair (a list [expected, new])")
    return len(problems.found) == count


def _is_name(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"
