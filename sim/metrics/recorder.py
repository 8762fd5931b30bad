"""The recorder: what happened during a run, appended to columns of typed arrays for the tables
that grow with the operations (`sim.metrics.columns`: a few bytes a row) and to plain lists for
the rest. Tracing off costs one attribute test per event."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from typing import Any

from sim.checks.invariants import InvariantChecks
from sim.checks.replica import ReplicaSafety
from sim.metrics.columns import NAMES, Records, Table
from sim.protocols.api import Invariant, Op, OpId, Slot
from sim.protocols.api.events import (
    BECAME_LEADER,
    CAMPAIGN_STARTED,
    LEADERSHIP_EVENTS,
    PROPOSED,
)

# requests.csv's columns (sim.metrics.tables.REQUEST_COLUMNS) as recorded: op id, client, node,
# op, key, value, invoked, completed, latency, outcome (completed and latency are None for an
# operation still waiting at the end: kept aside).
REQUEST_TYPES = ("q", "q", NAMES, NAMES, NAMES, None, "d", "d", "d", NAMES)
HISTORY_COLUMNS = {
    "process": "q",
    "type": NAMES,
    "f": NAMES,
    "key": NAMES,
    "value": None,  # (a list: reads have None, cas a pair)
    "time": "d",
}


class Recorder:
    def __init__(
        self,
        nodes: tuple[str, ...],
        tracing: bool = False,
        invariants: Sequence[Invariant] = (),
        ordered_slots: bool = True,
    ) -> None:
        self.nodes = nodes
        self.tracing = tracing
        self.clock: Any = None
        self.trace_rows: list[tuple[float, str, dict[str, Any]]] = []
        # Rows of (node, slot, op id, time); a slot or op id that is not an int is kept aside.
        self.decisions = Table((NAMES, "q", "q", "d"))
        self.proposed: dict[str, dict[OpId, float]] = {n: {} for n in nodes}  # node -> op -> at
        self.commit_latencies = array("d")
        self.requests = Table(REQUEST_TYPES)
        self.history = Records(HISTORY_COLUMNS)
        self.history_op_ids = array("q")  # the op id of each history line (reports)
        self.faults: list[tuple[float, str, str]] = []
        # The protocol's leadership events (`sim.protocols.api.events`), keyed on their epoch
        # (Raft's term; elections.csv calls it ``term``).
        self.elections: dict[int, list[Any]] = {}  # epoch -> [leader, started, elected]
        self.leader_changes: list[tuple[float, str, int]] = []  # time, new leader, epoch
        # Each node's view of who leads, in order (sim.metrics.leadership): time, node, event
        # (campaign_started, became_leader, follows, stepped_down), epoch, leader.
        self.leadership: list[tuple[float, str, str, int, str | None]] = []
        # After each fault: time, kind, targets, the nodes then running and in touch with a
        # running majority (the live ones, which a leader must have as followers).
        self.reach: list[tuple[float, str, str, tuple[str, ...]]] = []
        # time, the leader a fault took away, its term, the nodes left to elect a new one
        self.leader_losses: list[tuple[float, str, int, tuple[str, ...]]] = []
        self.safety = ReplicaSafety(ordered=ordered_slots)
        self.invariants = InvariantChecks(invariants, self.safety.report) if invariants else None

    def flush_rows(self) -> None:
        """Move the requests' and the history's appended rows into their columns (the clients
        append tuples to ``requests.rows`` and ``history.table.rows`` and call this when the
        history holds `Table.FULL`)."""
        self.requests.flush()
        self.history.table.flush()

    def time(self) -> float:
        return float(self.clock.now)  # the attribute: `now` is a property, on the hot path

    def trace(self, kind: str, **fields: Any) -> None:
        self.trace_rows.append((float(self.clock.now), kind, fields))

    def decide(self, node: str, slot: Slot, op: Op, state: Any = None) -> None:
        """A replica decides ``op`` at ``slot``; ``state`` (its protocol instance) is for the
        protocol's invariants only."""
        self.decider(node, lambda: state)(slot, op)

    def decider(self, node: str, state_of: Callable[[], Any]) -> Callable[[Slot, Op], None]:
        """`decide` for one node, as a function of (slot, op): every replica calls it for every
        entry, so what it needs is bound once here. ``state_of()`` gives the node's protocol
        instance for the invariants. A slot is written to decisions.csv's ``index`` column as it
        is (an integer), or as JSON (a pair: ``["n1",3]``)."""
        safety, proposed = self.safety.replica(node), self.proposed[node]
        latencies, invariants, clock = self.commit_latencies, self.invariants, self.clock
        tracing, trace = self.tracing, self.trace
        rows, full, flush = self.decisions.rows, self.decisions.FULL, self.decisions.flush
        record = rows.append

        def decide(index: Slot, op: Op) -> None:
            now = clock.now  # a float: see Simulation
            op_id = op.op_id
            record((node, index, op_id, now))
            if len(rows) >= full:
                flush()
            if safety(index, op, now) and invariants is not None:
                invariants.commit(node, index, op, now, state_of())
            if proposed:  # (empty but at the node that proposed, which the latency is about)
                started = proposed.pop(op_id, None)
                if started is not None:
                    latencies.append(now - started)
            if tracing:
                trace("decide", node=node, index=index, op_id=op_id)

        return decide

    def event(self, node: str, event: str, fields: dict[str, Any], state: Any = None) -> None:
        """A protocol's ``ctx.emit``: the events the metrics know, and everything in the trace.
        ``state`` (the emitting protocol instance) is for the protocol's invariants only."""
        now = float(self.clock.now)
        if event == PROPOSED:
            self.proposed[node][fields["op_id"]] = now
        elif event in LEADERSHIP_EVENTS:  # rare: elections and changes of leader
            epoch = fields["epoch"]
            self.leadership.append((now, node, event, epoch, fields.get("leader")))
            if event == CAMPAIGN_STARTED:
                row = self.elections.setdefault(epoch, [None, now, None])
                row[1] = min(row[1], now)
            elif event == BECAME_LEADER:
                row = self.elections.setdefault(epoch, [None, now, None])
                row[0], row[2] = node, now
                self.leader_changes.append((now, node, epoch))
        if self.invariants is not None:
            self.invariants.event(node, event, fields, now, state)
        if self.tracing:
            self.trace(event, node=node, **fields)

    def leader_lost(self, node: str, term: int, survivors: tuple[str, ...]) -> None:
        """A fault crashed, paused or cut off the leader; ``survivors`` must elect another."""
        now = self.time()
        self.leader_losses.append((now, node, term, survivors))
        if self.tracing:
            self.trace("leader_lost", node=node, term=term, survivors=list(survivors))

    def fault(self, kind: str, targets: str, reach: tuple[str, ...] | None = None) -> None:
        """A fault's row of faults.csv; ``reach``: the nodes running and in touch with a running
        majority once it is applied."""
        now = self.time()
        self.faults.append((now, kind, targets))
        if reach is not None:
            self.reach.append((now, kind, targets, reach))
        if self.tracing:
            self.trace("fault", fault=kind, targets=targets)
