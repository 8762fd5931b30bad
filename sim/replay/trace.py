"""Reading a run directory's trace.jsonl for a replay: row by row, each row checked for the fields
the replay reads, so a hand-edited or hostile file is refused with its line, column and key rather
than drawn wrong. Rows of events the replay does not read pass unchecked (a protocol's own events
are kept whole, for the page's event list)."""

from __future__ import annotations

import json
import math
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_LINE = 1 << 20  # a trace row is a message and its fields: a longer line is not one we wrote


class ReplayError(Exception):
    """The run directory cannot be replayed; the message names the file, line and key."""


def open_regular(path: Path, what: str) -> Any:
    """Open ``path`` for reading only if it is a regular file (a FIFO would block, a device
    would never end); ReplayError says what it is otherwise."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ReplayError(f"{path}: no such file ({what})") from None
    except OSError as error:
        raise ReplayError(f"{path}: cannot read it ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ReplayError(f"{path}: is not a regular file ({what})")
    try:
        return path.open("rb")
    except OSError as error:
        raise ReplayError(f"{path}: cannot read it ({error.strerror})") from None


# The fields each event the replay draws must have: name -> (check, what is allowed).
def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_op_id(value: Any) -> bool:
    return _is_str(value) or _is_int(value)


def _is_slot(value: Any) -> bool:
    return value is not None and not isinstance(value, dict | bool)


_TIME = (_is_time, "a finite number of ms")
_NODE = (_is_str, "a node name")
_FIELDS: dict[str, dict[str, tuple[Any, str]]] = {
    "send": {"src": _NODE, "dst": _NODE, "arrive": _TIME},
    "deliver": {"src": _NODE, "dst": _NODE},
    "drop": {"src": _NODE, "dst": _NODE, "reason": (_is_str, "a string")},
    "campaign_started": {"node": _NODE, "epoch": (_is_int, "an integer")},
    "became_leader": {"node": _NODE, "epoch": (_is_int, "an integer")},
    "stepped_down": {"node": _NODE, "epoch": (_is_int, "an integer")},
    "follows": {"node": _NODE, "epoch": (_is_int, "an integer"), "leader": _NODE},
    "fault": {"fault": (_is_str, "a fault kind"), "targets": (_is_str, "a string")},
    "timer": {"node": _NODE, "name": (_is_str, "a timer name")},
    "decide": {"node": _NODE, "index": (_is_slot, "a slot"), "op_id": (_is_op_id, "an op id")},
    "proposed": {"node": _NODE, "op_id": (_is_op_id, "an op id")},
    "invoke": {"client": (_is_int, "a client number"), "op_id": (_is_op_id, "an op id")},
    "complete": {"client": (_is_int, "a client number"), "op_id": (_is_op_id, "an op id")},
}
NODE_KEYS = {"src", "dst", "node", "leader"}


def read_trace(path: Path, nodes: frozenset[str]) -> Iterator[dict[str, Any]]:
    """The rows of ``path``, each checked; ReplayError at the first bad one."""
    with open_regular(path, "the run's trace") as file:
        number = 0
        while True:
            raw = file.readline(MAX_LINE + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE:
                raise ReplayError(f"{path}:{number}:1: line longer than {MAX_LINE} bytes")
            if not raw.strip():
                continue
            yield _checked(path, number, raw, nodes)


def _checked(path: Path, number: int, raw: bytes, nodes: frozenset[str]) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        row = json.loads(text)
    except UnicodeDecodeError as error:
        raise ReplayError(f"{path}:{number}:{error.start + 1}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ReplayError(
            f"{path}:{number}:{error.colno}: not JSON ({error.msg}; a trace row is one JSON "
            "object per line)"
        ) from None
    if not isinstance(row, dict):
        raise ReplayError(f"{path}:{number}:1: a trace row is a JSON object, got {_kind(row)}")

    def bad(key: str, allowed: str) -> ReplayError:
        column = text.find(f'"{key}"') + 1 or 1
        got = "missing" if key not in row else f"got {_shown(row[key])}"
        return ReplayError(f"{path}:{number}:{column}: {key}: {got} ({allowed})")

    if not _is_time(row.get("time")) or row["time"] < 0:
        raise bad("time", "a finite number of ms >= 0")
    event = row.get("event")
    if not isinstance(event, str):
        raise bad("event", "an event name")
    for key, (check, allowed) in _FIELDS.get(event, {}).items():
        if not check(row.get(key)):
            raise bad(key, allowed)
        if key in NODE_KEYS and row[key] not in nodes:
            raise bad(key, f"one of the run's nodes: {' '.join(sorted(nodes))}")
    if event == "send" and row["arrive"] < row["time"]:
        raise bad("arrive", "a time no earlier than the send's")
    return row


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "null"}.get(type(value), "a number")


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
