"""A run's client history (history.jsonl) for Jepsen/Knossos (EDN) and for Porcupine's kv model.

EDN: one op a line, as Jepsen's history.edn, ``{:process 0, :type :invoke, :f :write, :key
"k1", :value 1, :time 0, :index 0}``: every line kind of the history (``:invoke``, ``:ok``,
``:fail``, ``:info``), ``:time`` in nanoseconds (Jepsen's unit; quorumsim's ms times, rounded to
the nanosecond), ``:index`` the line's position. `sim.checks.formats` reads it back.

Porcupine: the lines its kv tests parse (``parseKvLog``: ``{:process 0, :type :invoke, :f :put,
:key "k1", :value "1"}``), in time order. Its kv model has get, put and append on strings that
start as ``""``, so a read becomes a get (a read of a key never written, quorumsim's None,
``""``), a write a put of the value's text, an append an append. Porcupine reads only invokes and
``:ok``s, an invoke without one staying open to the end: an ``info`` op is its invoke alone, a
``fail`` op (it did not happen) is left out. A cas has no kv counterpart: such a history is
refused (`ExportRefused`).

Each file starts with a ``;`` comment line, which EDN readers skip and Porcupine's parser passes
over, and by which quorumsim knows the file as its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sim.checks.formats import edn

EDN_HEADER = "; quorumsim history, EDN (Jepsen/Knossos ops, one a line; :time in ns)"
PORCUPINE_HEADER = "; quorumsim history for Porcupine's kv model (its parseKvLog lines)"
NS_PER_MS = 1_000_000
PORCUPINE_FUNCTIONS = {"read": "get", "write": "put", "append": "append"}
_K = {name: edn.Keyword(name) for name in ("process", "type", "f", "key", "value", "time", "index")}


class ExportRefused(ValueError):
    """A history the format cannot express; the message names the line and says why."""


def edn_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """EDN lines for history records (dicts as in history.jsonl, in order)."""
    yield EDN_HEADER
    for index, record in enumerate(records):
        op = {
            _K["process"]: record["process"],
            _K["type"]: edn.Keyword(record["type"]),
            _K["f"]: edn.Keyword(record["f"]),
            _K["key"]: record["key"],
            _K["value"]: record["value"],
            _K["time"]: round(record["time"] * NS_PER_MS),
            _K["index"]: index,
        }
        yield edn.dumps(op)


def porcupine_lines(records: Iterable[dict[str, Any]], source: str) -> Iterator[str]:
    """Porcupine kv lines for history records; `ExportRefused` for what its model lacks."""
    records = list(records)
    failed = _failed_invokes(records)
    yield PORCUPINE_HEADER
    for line, record in enumerate(records, start=1):
        if line in failed or record["type"] in ("fail", "info"):
            continue
        f = PORCUPINE_FUNCTIONS.get(record["f"])
        if f is None:
            raise ExportRefused(
                f"{source}:{line}: a {record['f']} has no counterpart in Porcupine's kv model "
                "(get, put, append): export this history --format edn"
            )
        process = record["process"]
        if not isinstance(process, int):
            raise ExportRefused(
                f"{source}:{line}: process {process!r} is not an integer (Porcupine's are)"
            )
        if record["type"] == "invoke" and f == "get":
            value = "nil"
        else:
            value = _quoted(_text(record["value"]), source, line)
        key = _quoted(_text(record["key"]), source, line)
        yield (
            f"{{:process {process}, :type :{record['type']}, :f :{f}, :key {key}, :value {value}}}"
        )


def _failed_invokes(records: list[dict[str, Any]]) -> set[int]:
    """The lines of the invokes whose operation failed (left out with their ``fail``)."""
    open_invokes: dict[Any, int] = {}
    failed = set()
    for line, record in enumerate(records, start=1):
        if record["type"] == "invoke":
            open_invokes[record["process"]] = line
        else:
            invoke = open_invokes.pop(record["process"], None)
            if record["type"] == "fail" and invoke is not None:
                failed.add(invoke)
    return failed


def _text(value: Any) -> str:
    """A value as the string Porcupine's model holds: None (never written) is ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _quoted(text: str, source: str, line: int) -> str:
    # Porcupine's parser takes what is between the quotes as it is: no escapes to undo.
    if any(c in text for c in '"\\\n'):
        raise ExportRefused(
            f"{source}:{line}: {text!r} holds a quote, backslash or newline, which Porcupine's "
            "kv parser cannot read"
        )
    return f'"{text}"'
