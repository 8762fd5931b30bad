"""The state a replay must show, worked out again from trace.jsonl alone, row by row, in the
plainest way and without sim.replay's code: each node's role and epoch, the messages sent and
not yet delivered or dropped (matched on the deliver rows, which the page never reads), and each
node's decided op per slot. The page must agree with it at any time."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AT_THE_SENDER = ("partition", "loss")  # drops of messages never sent (sim/network/network.py)
ROLE = {
    "campaign_started": "candidate",
    "became_leader": "leader",
    "follows": "follower",
    "stepped_down": "follower",
}


@dataclass
class NodeView:
    role: str
    epoch: int | None
    up: bool = True
    paused: bool = False


@dataclass
class State:
    """The state after every row at or before ``time``."""

    time: float
    nodes: dict[str, NodeView]
    in_flight: list[tuple[str, str, str, float]]  # (src, dst, type, sent), sorted
    logs: dict[str, dict[Any, Any]] = field(default_factory=dict)  # node -> slot -> op
    accepted: dict[str, dict[Any, Any]] = field(default_factory=dict)  # not yet decided there

    def conflicts(self) -> set[Any]:
        """Slots at which two nodes decided different ops."""
        ops = defaultdict(set)
        for log in self.logs.values():
            for slot, op in log.items():
                ops[slot].add(json.dumps(op))
        return {slot for slot, seen in ops.items() if len(seen) > 1}


def rows(run_dir: Path) -> list[dict[str, Any]]:
    with (run_dir / "trace.jsonl").open(encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def states(trace: list[dict[str, Any]], nodes: list[str], times: list[float]) -> Iterator[State]:
    """The state at each of ``times`` (ascending), in one pass over the trace."""
    has_epochs = any(row["event"] in ROLE for row in trace)
    fresh = "follower" if has_epochs else "none"
    view = {n: NodeView(fresh, 0 if has_epochs else None) for n in nodes}
    waiting: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
    logs: dict[str, dict[Any, Any]] = {n: {} for n in nodes}
    votes: dict[str, dict[Any, Any]] = {n: {} for n in nodes}  # Multi-Paxos's `accepted`
    position = 0
    for time in times:
        while position < len(trace) and trace[position]["time"] <= time:
            row = trace[position]
            position += 1
            event = row["event"]
            if event in ROLE:
                node = view[row["node"]]
                node.role, node.epoch = ROLE[event], row["epoch"]
            elif event == "send":
                waiting[_key(row)].append((row["time"], row["msg"].get("type", "dict")))
            elif event == "deliver":
                _arrived(waiting, _key(row))
            elif event == "drop" and row["reason"] not in AT_THE_SENDER:
                # A message that reached a down node: traced as delivered, then dropped.
                if _key(row) in waiting:
                    _arrived(waiting, _key(row))
            elif event == "accepted":
                for offset, op in enumerate(row["ops"]):
                    votes[row["node"]][row["first"] + offset] = op["op_id"]
            elif event == "decide":
                logs[row["node"]][row["index"]] = row["op_id"]
            elif event == "fault":
                targets = row["targets"].split()
                for name in (n for n in targets if n in view):
                    node = view[name]
                    if row["fault"] == "crash":
                        node.up, node.paused, node.role = False, False, "down"
                    elif row["fault"] == "restart":
                        node.up, node.paused, node.role = True, False, fresh
                    elif row["fault"] == "pause":
                        node.paused = True
                    elif row["fault"] == "resume":
                        node.paused = False
        flying = sorted(
            (src, dst, kind, sent)
            for (src, dst, _), sends in waiting.items()
            for sent, kind in sends
        )
        yield State(
            time,
            {n: NodeView(v.role, v.epoch, v.up, v.paused) for n, v in view.items()},
            flying,
            {n: dict(log) for n, log in logs.items()},
            {n: {s: op for s, op in votes[n].items() if s not in logs[n]} for n in nodes},
        )


def _arrived(waiting: dict[tuple[str, str, str], list[tuple[float, str]]], key: Any) -> None:
    """The oldest copy of this message in flight arrived (a key with none left is removed)."""
    waiting[key].pop(0)
    if not waiting[key]:
        del waiting[key]


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["src"], row["dst"], json.dumps(row["msg"], sort_keys=True))
