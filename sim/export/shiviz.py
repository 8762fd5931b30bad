"""A run's trace.jsonl as a ShiViz log (https://distributedclocks.github.io/shiviz/): every event
of a node or client with its vector clock, so ShiViz draws the run's space-time diagram.

The file is what ShiViz reads from a file, and what its input page takes pasted: the first line
is the parsing regular expression (ShiViz's default, so a pasted log needs no other setting),
the second the executions delimiter (empty: one execution), then two lines an event, the
event's text and then ``host {"host": n, ...}``. Each text starts with the time in ms and a
space, so no text line can pass for a clock line.

Vector clocks as Fidge and Mattern give them: every event of a host increments its own entry;
a delivery (and a request a node takes from a client, a reply a client takes from a node) also
takes the entrywise maximum with the clock of the send it matches. Sends and deliveries are
matched by (src, dst, message) and arrival time; each message gets a number, ``#k``, that its
send and its delivery both show. A drop at sending (loss, a partition) is a send that arrives
nowhere; a drop on arrival (the node was down) is an event of the receiver that takes no clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

REGEX = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"
DELIMITER = ""
DROPPED_AT_SENDING = ("loss", "partition")
_QUIET = ("time", "event", "src", "dst", "msg", "arrive", "node", "client")


class _Clocks:
    """Each host's vector clock so far."""

    def __init__(self) -> None:
        self.clocks: dict[str, dict[str, int]] = {}

    def tick(self, host: str, merged: dict[str, int] | None = None) -> dict[str, int]:
        clock = self.clocks.setdefault(host, {})
        if merged:
            for other, count in merged.items():
                if count > clock.get(other, 0):
                    clock[other] = count
        clock[host] = clock.get(host, 0) + 1
        return dict(clock)


def shiviz_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The lines of the ShiViz log of these trace rows (dicts as in trace.jsonl, in order)."""
    yield REGEX
    yield DELIMITER
    clocks = _Clocks()
    in_flight: dict[tuple[str, str, str], list[tuple[float, int, dict[str, int]]]] = {}
    requests: dict[Any, tuple[int, dict[str, int]]] = {}  # op_id -> (link number, clock)
    replies: dict[Any, tuple[int, dict[str, int]]] = {}
    number = 0
    for row in rows:
        kind, time = row["event"], float(row["time"])
        stamp = f"{time:.3f} ms {kind}"
        if kind == "send":
            number += 1
            src, dst = row["src"], row["dst"]
            clock = clocks.tick(src)
            in_flight.setdefault(_message_key(row), []).append(
                (float(row["arrive"]), number, clock)
            )
            yield from _event(f"{stamp} #{number} {_message(row)} to {dst}", src, clock)
        elif kind == "deliver":
            src, dst = row["src"], row["dst"]
            sent = _take(in_flight, _message_key(row), time)
            if sent is None:  # its send is not in the trace: a local event of the receiver
                yield from _event(f"{stamp} {_message(row)} from {src}", dst, clocks.tick(dst))
                continue
            link, clock = sent
            merged = clocks.tick(dst, clock)
            yield from _event(f"{stamp} #{link} {_message(row)} from {src}", dst, merged)
        elif kind == "drop":
            src, dst, reason = row["src"], row["dst"], row.get("reason", "")
            if reason in DROPPED_AT_SENDING:
                text = f"{stamp} {_message(row)} to {dst} ({reason})"
                yield from _event(text, src, clocks.tick(src))
            else:
                _take(in_flight, _message_key(row), time)
                text = f"{stamp} {_message(row)} from {src} ({reason})"
                yield from _event(text, dst, clocks.tick(dst))
        elif kind == "invoke" and "client" in row:
            host = f"client{row['client']}"
            number += 1
            clock = clocks.tick(host)
            requests[row.get("op_id")] = (number, clock)
            yield from _event(f"{stamp} #{number} {_fields(row)} at {row.get('node')}", host, clock)
        elif kind == "complete" and "client" in row:
            host = f"client{row['client']}"
            reply = replies.pop(row.get("op_id"), None)
            merged = clocks.tick(host, reply[1] if reply else None)
            mark = f"#{reply[0]} " if reply else ""
            yield from _event(f"{stamp} {mark}{_fields(row)}", host, merged)
        elif "node" in row:
            node = row["node"]
            op_id = row.get("op_id")
            if kind == "request" and op_id in requests:
                link, clock = requests.pop(op_id)
                merged = clocks.tick(node, clock)
                yield from _event(f"{stamp} #{link} {_fields(row)}", node, merged)
            elif kind == "reply":
                number += 1
                clock = clocks.tick(node)
                replies[op_id] = (number, clock)
                yield from _event(f"{stamp} #{number} {_fields(row)}", node, clock)
            else:
                yield from _event(f"{stamp} {_fields(row)}", node, clocks.tick(node))
        # Rows of no host (faults) are not events of the log.


def _event(text: str, host: str, clock: dict[str, int]) -> Iterator[str]:
    yield text.replace("\n", " ")
    yield f"{host} {json.dumps(clock, separators=(',', ':'))}"


def _take(
    in_flight: dict[tuple[str, str, str], list[tuple[float, int, dict[str, int]]]],
    key: tuple[str, str, str],
    time: float,
) -> tuple[int, dict[str, int]] | None:
    """The send this delivery (or drop on arrival) at ``time`` ends: the first one in flight of
    the same message arriving now, else the first one sent (a duplicate, a late arrival)."""
    pending = in_flight.get(key)
    if not pending:
        return None
    chosen = next((i for i, (arrive, _, _) in enumerate(pending) if arrive == time), 0)
    _, number, clock = pending.pop(chosen)
    if not pending:
        del in_flight[key]
    return number, clock


def _message_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["src"], row["dst"], json.dumps(row.get("msg"), sort_keys=True)


def _message(row: dict[str, Any]) -> str:
    msg = row.get("msg")
    if isinstance(msg, dict):
        name = msg.get("type", "message")
        body = {k: v for k, v in msg.items() if k != "type"}
        return f"{row['event']} {name} {json.dumps(body, separators=(',', ':'))}"
    return f"{row['event']} {json.dumps(msg)}"


def _fields(row: dict[str, Any]) -> str:
    rest = {k: v for k, v in row.items() if k not in _QUIET}
    return json.dumps(rest, separators=(",", ":"), default=str)
