"""Jepsen and Knossos histories (EDN) -> quorumsim's history records, line by line.

Three shapes are read, each an op a map ``{:type :invoke, :f :write, :value 3, :process 0}``:
a map per line (Jepsen's ``history.edn``), one vector or list of maps (Knossos' test data), and
the op lines of a ``jepsen.log`` (``INFO  jepsen.util - 0	:invoke	:write	3``; its other lines
are log messages, passed over).

An op has ``:type`` (``:invoke``, ``:ok``, ``:fail``, ``:info``), ``:f`` and ``:process``; its
``:value`` is nil when missing; ``:key`` names the key (a history without keys is one register,
key ``DEFAULT_KEY``). ``:time`` (Jepsen's relative nanoseconds) becomes milliseconds; without
``:time`` the ops' order is their time. ``:index`` and any other key are ignored. The nemesis'
ops (``:process :nemesis``) are not client operations and are left out. A transaction
(``:f :txn``) of one micro-op ``[:append k v]``, ``[:r k v]`` or ``[:w k v]`` is that operation
on key ``k``; one of several micro-ops is refused: quorumsim checks single-key operations.
A history of Jepsen's independent keys (``jepsen.independent``: no ``:key``, every read, write
and cas value a ``[key value]`` pair, a read's invoke ``[key nil]``) is read as those keys.

Values become JSON-like (`sim.checks.formats.edn.plain`): a keyword value is its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sim.checks.formats import edn
from sim.checks.formats.text import SourceText
from sim.checks.history import MAX_NESTING, MAX_PROBLEMS, HistoryError, Problem

DEFAULT_KEY = "register"
TYPES = ("invoke", "ok", "fail", "info")
_KEYWORDS = ", ".join(":" + t for t in TYPES)
NEMESIS = "nemesis"
NS_PER_MS = 1_000_000
MICRO_OPS = {"r": "read", "w": "write", "append": "append"}
INDEPENDENT_FUNCTIONS = ("read", "write", "cas")
_LOG_MARK = "jepsen.util - "

Record = dict[str, Any]


@dataclass(slots=True)
class Problems:
    """Problems found so far; the read stops once there are MAX_PROBLEMS."""

    source: str
    found: list[Problem] = field(default_factory=list)

    def add(self, line: int | None, message: str) -> None:
        if len(self.found) == MAX_PROBLEMS:
            raise HistoryError(self.found, truncated=True)
        self.found.append(Problem(self.source, line, message))

    def raise_any(self) -> None:
        if self.found:
            raise HistoryError(self.found)


def is_jepsen_log(text: str) -> bool:
    """Whether the text is a jepsen.log (op lines among log messages) rather than EDN."""
    head = text.lstrip()[:1]
    return head not in ("{", "[", "(", "#", ";") and _LOG_MARK in text[:65536]


def edn_ops(text: SourceText, problems: Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line, op as a map with plain string keys) for each op of an EDN history or a
    jepsen.log; syntax errors and non-map elements are added to ``problems``."""
    if is_jepsen_log(text.text):
        yield from _log_ops(text, problems)
        return
    try:
        for offset, element in edn.iter_elements(text.text, max_depth=MAX_NESTING):
            line = text.line_of(offset)
            if isinstance(element, edn.Tagged):  # #jepsen.history.Op{...}
                element = element.value
            if not isinstance(element, dict):
                problems.add(
                    line, f"{_edn_kind(element)} {_shown(element)}, not an op (a map per op)"
                )
                continue
            yield line, _string_keys(element)
    except edn.EdnError as error:
        where = text.line_of(error.offset)
        column = text.column_of(error.offset)
        message = error.message
        if error.opened is not None:
            opened = f"line {text.line_of(error.opened)}, column {text.column_of(error.opened)}"
            message += f" (it opens at {opened})"
        problems.add(where, f"not EDN at column {column}: {message}")


def _log_ops(text: SourceText, problems: Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    for number in range(1, len(text.starts) + 1):
        line = text.line(number)
        if _LOG_MARK not in line:
            continue
        fields = line.split(_LOG_MARK, 1)[1].split("\t")
        if len(fields) < 3:
            problems.add(
                number,
                "a jepsen.util line without its fields (PROCESS, TYPE, F and VALUE separated "
                "by tabs)",
            )
            continue
        op: dict[str, Any] = {}
        pieces = (*fields[:3], fields[3] if len(fields) > 3 else "nil")
        for name, piece in zip(("process", "type", "f", "value"), pieces, strict=True):
            try:
                op[name] = edn.loads(piece or "nil", max_depth=MAX_NESTING)
            except edn.EdnError as error:
                problems.add(number, f"{name} {piece!r} is not EDN: {error.message}")
                break
        else:
            yield number, op


def _string_keys(element: dict[Any, Any]) -> dict[str, Any]:
    return {
        (key.name if isinstance(key, edn.Keyword | edn.Symbol) else str(key)): value
        for key, value in element.items()
    }


def records(
    ops: Iterator[tuple[int, dict[str, Any]]],
    problems: Problems,
    functions: tuple[str, ...] | None = None,
    need_key: bool = False,
) -> list[tuple[int, Record]]:
    """quorumsim history records (process, type, f, key, value, time) for Jepsen ops, with their
    lines; ``functions`` limits ``:f`` (None: any), ``need_key`` asks every op for a ``:key``."""
    out: list[tuple[int, Record]] = []
    timed_line: int | None = None  # the first line with a :time, and one without
    untimed_line: int | None = None
    found = list(ops)
    independent = not need_key and is_independent(op for _, op in found)
    invoked_key: dict[Any, Any] = {}  # process -> the key of its last invoke
    for ordinal, (line, op) in enumerate(found):
        record = _record(line, op, problems, functions, need_key)
        if record is None:
            continue
        if independent and record["f"] in INDEPENDENT_FUNCTIONS:
            value = record["value"]
            if isinstance(value, list) and len(value) == 2:
                record["key"], record["value"] = value
            else:  # a completion that says no more than :timed-out: its invoke's key
                record["key"] = invoked_key.get(record["process"], DEFAULT_KEY)
            if not isinstance(record["key"], int | str) or isinstance(record["key"], bool):
                problems.add(
                    line, f"key {record['key']!r} of [key value] is not a string or an integer"
                )
                continue
            if record["type"] == "invoke":
                invoked_key[record["process"]] = record["key"]
        time = op.get("time")
        if time is None:
            untimed_line = untimed_line or line
            record["time"] = float(ordinal)
        elif isinstance(time, int | float) and not isinstance(time, bool) and time >= 0:
            timed_line = timed_line or line
            record["time"] = time / NS_PER_MS
        else:
            problems.add(line, f":time {edn.dumps(time)} is not a time (nanoseconds, >= 0)")
            continue
        out.append((line, record))
    if timed_line is not None and untimed_line is not None:
        problems.add(
            untimed_line,
            f"an op without :time, while line {timed_line} has one (give every op a :time, "
            "or none: then their order is their time)",
        )
    return out


def is_independent(ops: Iterable[dict[str, Any]]) -> bool:
    """Whether a history is one of Jepsen's independent keys (``jepsen.independent``): no op
    names a ``:key``, every read, write and cas invoke's value is a ``[key value]`` pair, and a
    read's is ``[key nil]``."""
    saw_read = False
    for op in ops:
        if "key" in op:
            return False
        f, kind = _name(op.get("f")), _name(op.get("type"))
        if kind != "invoke" or f not in INDEPENDENT_FUNCTIONS:
            continue
        value = op.get("value")
        if not (isinstance(value, list) and len(value) == 2):
            return False
        if f == "read":
            if value[1] is not None:
                return False
            saw_read = True
    return saw_read


def _record(
    line: int,
    op: dict[str, Any],
    problems: Problems,
    functions: tuple[str, ...] | None,
    need_key: bool,
) -> Record | None:
    count = len(problems.found)
    process = op.get("process")
    if isinstance(process, edn.Keyword) and process.name == NEMESIS:
        return None
    for name in ("type", "f", "process"):
        if name not in op:
            problems.add(line, f"no :{name} (an op has :type, :f, :process and :value)")
    if len(problems.found) > count:
        return None
    kind = _name(op["type"])
    if kind not in TYPES:
        problems.add(
            line,
            f":type {edn.dumps(op['type'])} is unknown (one of {_KEYWORDS})",
        )
    f = _name(op["f"])
    if not isinstance(f, str):
        problems.add(line, f":f {edn.dumps(op['f'])} is not a name (a keyword such as :write)")
    if isinstance(process, edn.Keyword | edn.Symbol):
        process = process.name
    if not (isinstance(process, int | str) and not isinstance(process, bool)):
        problems.add(line, f":process {edn.dumps(process)} is not an id (an integer)")
    value = op.get("value")
    if "key" in op:
        key = edn.plain(op["key"])
        if not (isinstance(key, int | str) and not isinstance(key, bool)):
            problems.add(line, f":key {edn.dumps(op['key'])} is not a key (a string or an integer)")
    elif need_key:
        problems.add(line, "no :key (every op of a key-value history names its key)")
        key = None
    else:
        key = DEFAULT_KEY
    if len(problems.found) > count:
        return None
    if f == "txn":
        return _micro_op(line, kind, process, value, problems)
    if functions is not None and f not in functions:
        problems.add(
            line, f":f :{f} is unknown here (one of {', '.join(':' + g for g in functions)})"
        )
        return None
    return {"process": process, "type": kind, "f": f, "key": key, "value": edn.plain(value)}


def _micro_op(line: int, kind: str, process: Any, value: Any, problems: Problems) -> Record | None:
    """A transaction of one micro-op as that op; of several, a refusal."""
    if not isinstance(value, list | tuple):
        problems.add(line, f"a :txn whose :value {_shown(value)} is not a vector of micro-ops")
        return None
    if len(value) != 1:
        problems.add(
            line,
            f"a :txn of {len(value)} micro-ops (quorumsim checks single-key operations: a "
            "transaction of one [:append k v], [:r k v] or [:w k v])",
        )
        return None
    micro = value[0]
    f = _name(micro[0]) if isinstance(micro, list | tuple) and len(micro) == 3 else None
    if f not in MICRO_OPS:
        problems.add(line, f"micro-op {_shown(micro)} is not [:append k v], [:r k v] or [:w k v]")
        return None
    key = edn.plain(micro[1])
    if not (isinstance(key, int | str) and not isinstance(key, bool)):
        problems.add(line, f"micro-op key {_shown(micro[1])} is not a string or an integer")
        return None
    return {
        "process": process,
        "type": kind,
        "f": MICRO_OPS[f],
        "key": key,
        "value": edn.plain(micro[2]),
    }


def _name(value: Any) -> Any:
    """A keyword's or symbol's name; a string as it is; anything else unchanged."""
    if isinstance(value, edn.Keyword | edn.Symbol):
        return value.name
    return value


def _edn_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a vector"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, frozenset):
        return "a set"
    if isinstance(value, edn.Keyword):
        return "a keyword"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "nil"
    return "a " + type(value).__name__.lower().replace("int", "number").replace("float", "number")


def _shown(value: Any) -> str:
    text = edn.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
