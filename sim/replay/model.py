"""The replay's data: a traced run turned into the compact, columnar tables the page draws from.

Only what the page cannot work out cheaply is worked out here, once: which send a drop at the
receiver belongs to, when each node last heard from the leader it follows (the timer ring), and
each decided op's epoch. The page itself finds the state at a time by binary search in these
tables (docs/replay.md says what each part of the page shows)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from typing import Any

from sim.replay.rundir import RunInfo

LEADERSHIP = ("campaign_started", "became_leader", "follows", "stepped_down")
NOTED_FAULTS = ("crash", "restart", "pause", "resume")
# Events the page draws from their own tables; every other event is a note in its event list.
DRAWN = frozenset(
    {"send", "deliver", "drop", "decide", "proposed", "invoke", "complete", "request", "reply"}
)
ACCEPTED = "accepted"  # a protocol's own event the log grid draws, when it has the shape below
MAX_NOTE = 300  # characters of a note's fields


class _Interner:
    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        key = (type(value).__name__, value if not isinstance(value, list | dict) else repr(value))
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.values)
            self.values.append(value)
        return found


def build(info: RunInfo, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The page's data for a run: ``info`` and its trace rows, in the trace's order."""
    node_ix = {name: i for i, name in enumerate(info.nodes)}
    types, reasons, ops, strings = _Interner(), _Interner(), _Interner(), _Interner()
    send: dict[str, list[Any]] = {k: [] for k in ("t", "a", "s", "d", "k", "m")}
    drop: dict[str, list[Any]] = {k: [] for k in ("t", "s", "d", "k", "r", "m", "of")}
    lead: dict[str, list[Any]] = {k: [] for k in ("t", "n", "k", "e", "l", "q")}
    timers: dict[str, list[Any]] = {k: [] for k in ("t", "n", "x")}
    decide: dict[str, list[Any]] = {k: [] for k in ("t", "n", "i", "o")}
    accept: dict[str, list[Any]] = {k: [] for k in ("t", "n", "i", "o", "e")}
    faults: list[list[Any]] = []
    notes: list[list[Any]] = []
    invoked: dict[tuple[int, Any], list[Any]] = {}
    requests: list[list[Any]] = []
    in_flight: dict[tuple[int, int, float, str], list[int]] = {}  # for drops at the receiver
    view: list[int] = [-1] * len(info.nodes)  # the leader each node follows
    contact: list[list[float]] = [[] for _ in info.nodes]
    epoch_now = [0] * len(info.nodes)
    proposals: dict[int, list[tuple[float, int, int]]] = {}  # op -> (time, node, epoch)
    first_decision: dict[int, tuple[int, int]] = {}  # op -> (node, epoch)
    slots = _Interner()
    integer_slots = True
    times: set[float] = set()
    now = -1.0
    handed: dict[tuple[int, int, float, str], int] = {}  # this instant's deliveries: their sends
    latencies: list[float] = []

    for number, row in enumerate(rows):  # number: the row's place, to order one instant's rows
        t = float(row["time"])
        times.add(t)  # every row is an event the page can step to
        if t != now:
            now, handed = t, {}
        event = row["event"]
        if event == "send":
            s, d, msg = node_ix[row["src"]], node_ix[row["dst"]], row.get("msg")
            arrive = float(row["arrive"])
            key = (s, d, arrive, json.dumps(msg, sort_keys=True))
            in_flight.setdefault(key, []).append(len(send["t"]))
            for column, value in zip(
                "tasdkm", (t, arrive, s, d, types(_type(msg)), msg), strict=True
            ):
                send[column].append(value)
            latencies.append(arrive - t)
        elif event == "deliver":
            s, d = node_ix[row["src"]], node_ix[row["dst"]]
            key = (s, d, t, json.dumps(row.get("msg"), sort_keys=True))
            handed[key] = _take(in_flight, key)
            if view[d] == s:
                contact[d].append(t)
        elif event == "drop":
            s, d, msg = node_ix[row["src"]], node_ix[row["dst"]], row.get("msg")
            key = (s, d, t, json.dumps(msg, sort_keys=True))
            # A message that reached a down node is traced as delivered, then as dropped.
            sent = handed.pop(key, -1) if key in handed else _take(in_flight, key)
            for column, value in zip(
                ("t", "s", "d", "k", "r", "m", "of"),
                (t, s, d, types(_type(msg)), reasons(row["reason"]), msg, sent),
                strict=True,
            ):
                drop[column].append(value)
        elif event in LEADERSHIP:
            n = node_ix[row["node"]]
            leader = node_ix[row["leader"]] if event == "follows" else -1
            kind = LEADERSHIP.index(event)
            for column, value in zip(
                "tnkelq", (t, n, kind, row["epoch"], leader, number), strict=True
            ):
                lead[column].append(value)
            view[n] = leader
            epoch_now[n] = row["epoch"]
        elif event == "fault":
            faults.append([t, row["fault"], row["targets"], number])
            if row["fault"] in ("crash", "restart"):
                for name in row["targets"].split():
                    if name in node_ix:
                        view[node_ix[name]] = -1
        elif event == "timer":
            for column, value in zip(
                "tnx", (t, node_ix[row["node"]], strings(row["name"])), strict=True
            ):
                timers[column].append(value)
        elif event == "proposed":
            n = node_ix[row["node"]]
            proposals.setdefault(ops(row["op_id"]), []).append((t, n, epoch_now[n]))
        elif event == "decide":
            n, op = node_ix[row["node"]], ops(row["op_id"])
            integer_slots = integer_slots and isinstance(row["index"], int)
            first_decision.setdefault(op, (n, epoch_now[n]))
            for column, value in zip("tnio", (t, n, slots(row["index"]), op), strict=True):
                decide[column].append(value)
        elif event == ACCEPTED and _accepted_shape(row, node_ix):
            n, first, epoch = (
                node_ix[row["node"]],
                row["first"],
                row.get("ballot", row.get("epoch")),
            )
            for offset, op_row in enumerate(row["ops"]):
                values = (t, n, first + offset, ops(op_row["op_id"]), epoch)
                for column, value in zip("tnioe", values, strict=True):
                    accept[column].append(value)
        elif event == "invoke":
            record = [
                t,
                None,
                row["client"],
                ops(row["op_id"]),
                row.get("node"),
                row.get("op"),
                row.get("key"),
                None,
                None,
            ]
            invoked[(row["client"], row["op_id"])] = record
            requests.append(record)
        elif event == "complete":
            done = invoked.pop((row["client"], row["op_id"]), None)
            if done is not None:
                done[1], done[7], done[8] = t, row.get("outcome"), row.get("value")
        if event not in DRAWN and event != "timer":  # timers show at their nodes
            notes.append([t, _note(row)])

    for violation in info.violations:
        when = violation.get("times")
        if isinstance(when, list) and when and all(isinstance(w, int | float) for w in when):
            notes.append([float(max(when)), f"VIOLATION {violation.get('message', '')}"[:MAX_NOTE]])
    notes.sort(key=lambda note: note[0])  # (stable: one instant's rows keep the trace's order)
    if integer_slots:
        decide["i"] = [slots.values[i] for i in decide["i"]]
    epochs = bool(lead["t"])
    return {
        "v": 1,
        "meta": {
            "scenario": info.scenario,
            "description": info.description,
            "protocol": info.protocol,
            "seed": info.seed,
            "duration": info.duration_ms,
            "nodes": list(info.nodes),
            "timeout": list(info.timeout_ms) if info.timeout_ms else None,
            "epochs": epochs,
            "safe": info.safe,
            "latency": statistics.median(latencies) if latencies else 1.0,
            "slotLabels": None if integer_slots else [_label(s) for s in slots.values],
        },
        "types": types.values,
        "reasons": reasons.values,
        "ops": ops.values,
        "strings": strings.values,
        "send": send,
        # Sends neither delivered nor dropped in the run: in flight at its end (even those due at
        # the very end, which the run stopped before delivering).
        "unarrived": sorted(i for waiting in in_flight.values() for i in waiting),
        "drop": drop,
        "lead": lead,
        "timers": timers,
        "faults": faults,
        "decide": decide,
        "accept": accept if integer_slots else {k: [] for k in accept},
        "opEpoch": _op_epochs(len(ops.values), proposals, first_decision, decide, epochs),
        "contact": contact,
        "requests": requests,
        "notes": notes,
        "violations": info.violations,
        "times": sorted(times),
    }


def _accepted_shape(row: dict[str, Any], node_ix: dict[str, int]) -> bool:
    """An ``accepted`` event as Multi-Paxos emits it: an acceptor voted for ``ops`` at the slots
    from ``first`` on, in ballot (or epoch) ``ballot``; drawn as entries not yet decided."""
    epoch = row.get("ballot", row.get("epoch"))
    ops = row.get("ops")
    return (
        row.get("node") in node_ix
        and isinstance(row.get("first"), int)
        and isinstance(epoch, int)
        and isinstance(ops, list)
        and all(isinstance(op, dict) and isinstance(op.get("op_id"), int | str) for op in ops)
    )


def _take(in_flight: dict[Any, list[int]], key: Any) -> int:
    """The oldest send of this message still in flight, -1 if none (a drop at the sender)."""
    waiting = in_flight.get(key)
    if not waiting:
        return -1
    index = waiting.pop(0)
    if not waiting:
        del in_flight[key]
    return index


def _op_epochs(
    count: int,
    proposals: dict[int, list[tuple[float, int, int]]],
    first_decision: dict[int, tuple[int, int]],
    decide: dict[str, list[Any]],
    epochs: bool,
) -> list[int]:
    """Each op's colour in the log grid: the epoch its proposer was in when it last proposed it
    before its first decision (a no-op a leader adds is not proposed: the epoch of the first node
    to decide it); with no epochs in the protocol, the proposer's node number instead."""
    first_time: dict[int, float] = {}
    for t, op in zip(decide["t"], decide["o"], strict=True):
        first_time.setdefault(op, t)
    colour = [0] * count
    for op in range(count):
        tried = proposals.get(op, [])
        before = [p for p in tried if p[0] <= first_time.get(op, float("inf"))] or tried
        if before:
            colour[op] = before[-1][2] if epochs else before[-1][1]
        elif op in first_decision:
            node, epoch = first_decision[op]
            colour[op] = epoch if epochs else node
    return colour


def _type(msg: Any) -> str:
    if isinstance(msg, dict) and isinstance(msg.get("type"), str):
        return msg["type"]
    return type(msg).__name__


def _note(row: dict[str, Any]) -> str:
    fields = " ".join(
        f"{key}={json.dumps(value)}" for key, value in row.items() if key not in ("time", "event")
    )
    return f"{row['event']} {fields}"[:MAX_NOTE]


def _label(slot: Any) -> str:
    return json.dumps(slot)
