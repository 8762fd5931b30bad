"""The recorder: what happened during a run, appended to plain lists and turned into tables at
the end. Tracing off costs one attribute test per event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sim.checks.invariants import Invariant, InvariantChecks
from sim.checks.replica import ReplicaSafety
from sim.protocols.base import Op, OpId

# The protocol events that say who leads (sim.metrics.leadership reads them).
LEADERSHIP_EVENTS = frozenset(
    {"became_leader", "leader_accepted", "election_started", "stepped_down"}
)


class Recorder:
    def __init__(
        self,
        nodes: tuple[str, ...],
        tracing: bool = False,
        invariants: Sequence[Invariant] = (),
    ) -> None:
        self.nodes = nodes
        self.tracing = tracing
        self.clock: Any = None
        self.trace_rows: list[tuple[float, str, dict[str, Any]]] = []
        self.decisions: list[tuple[str, int, OpId, float]] = []
        self.proposed: dict[str, dict[OpId, float]] = {n: {} for n in nodes}  # node -> op -> at
        self.commit_latencies: list[float] = []
        self.requests: list[tuple[Any, ...]] = []
        self.history: list[dict[str, Any]] = []
        self.history_op_ids: list[int] = []  # the op id of each history line (reports)
        self.faults: list[tuple[float, str, str]] = []
        self.elections: dict[int, list[Any]] = {}  # term -> [leader, started, elected]
        self.leader_changes: list[tuple[float, str, int]] = []
        # Each node's view of who leads, in order (sim.metrics.leadership): time, node, event
        # (became_leader, leader_accepted, election_started, stepped_down), term, leader.
        self.leadership: list[tuple[float, str, str, int, str | None]] = []
        # After each fault: time, kind, targets, the nodes then running and in touch with a
        # running majority (the live ones, which a leader must have as followers).
        self.reach: list[tuple[float, str, str, tuple[str, ...]]] = []
        # time, the leader a fault took away, its term, the nodes left to elect a new one
        self.leader_losses: list[tuple[float, str, int, tuple[str, ...]]] = []
        self.safety = ReplicaSafety()
        self.invariants = InvariantChecks(invariants, self.safety.report) if invariants else None

    def time(self) -> float:
        return float(self.clock.now)  # the attribute: `now` is a property, on the hot path

    def trace(self, kind: str, **fields: Any) -> None:
        self.trace_rows.append((float(self.clock.now), kind, fields))

    def decide(self, node: str, index: int, op: Op, state: Any = None) -> None:
        """A replica decides ``op`` at ``index``; ``state`` (its protocol instance) is for the
        protocol's invariants only."""
        self.decider(node, lambda: state)(index, op)

    def decider(self, node: str, state_of: Callable[[], Any]) -> Callable[[int, Op], None]:
        """`decide` for one node, as a function of (index, op): every replica calls it for every
        entry, so what it needs is bound once here. ``state_of()`` gives the node's protocol
        instance for the invariants."""
        record, safety, proposed = self.decisions.append, self.safety.decide, self.proposed[node]
        latencies, invariants, clock = self.commit_latencies, self.invariants, self.clock
        tracing, trace = self.tracing, self.trace

        def decide(index: int, op: Op) -> None:
            now = clock.now  # a float: see Simulation
            op_id = op.op_id
            record((node, index, op_id, now))
            if safety(node, index, op, now) and invariants is not None:
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
        if event == "proposed":
            self.proposed[node][fields["op_id"]] = now
        elif event in LEADERSHIP_EVENTS:  # rare: elections and changes of leader
            term = fields["term"]
            self.leadership.append((now, node, event, term, fields.get("leader")))
            if event == "election_started":
                row = self.elections.setdefault(term, [None, now, None])
                row[1] = min(row[1], now)
            elif event == "became_leader":
                row = self.elections.setdefault(term, [None, now, None])
                row[0], row[2] = node, now
                self.leader_changes.append((now, node, term))
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
