"""Replica safety, checked online as decisions happen, so the first violation is caught when it
happens: agreement per slot (no two replicas, and no replica twice, decide different ops at one
slot), validity (a decided client op was invoked by a client), and, for a protocol whose slots
are ordered (`Protocol.ordered_slots`: log indices), no gaps in a node's applied sequence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.protocols.api.operations import Op, OpId, Slot


@dataclass(slots=True)
class ReplicaSafety:
    ordered: bool = True  # slots are 1, 2, 3, ... decided in order by each replica
    invoked: dict[int, tuple[str, str | None, Any]] = field(default_factory=dict)
    # slot -> the first decision: op id, node, time, the Op itself, and whether it was valid
    chosen: dict[Slot, tuple[OpId, str, float, Op, bool]] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)  # node -> highest index, no gaps
    violations: list[dict[str, Any]] = field(default_factory=list)
    max_violations: int = 100

    def invoke(self, op_id: int, op: str, key: str | None, value: Any) -> None:
        self.invoked[op_id] = (op, key, value)

    def decide(self, node: str, slot: Slot, op: Op, now: float) -> bool:
        """Check one replica's decision; True if it is the first decision of ``slot``."""
        chosen = self.chosen
        first = chosen.get(slot)
        if first is None:
            chosen[slot] = (op.op_id, node, now, op, self._valid(node, slot, op, now))
        elif first[3] is not op or not first[4]:
            # The common case skips this: replicas deciding the very Op object the first one
            # decided, found valid (messages carry the same object from node to node).
            if first[0] != op.op_id:
                self._violate(
                    "agreement",
                    f"{_where(slot)}: {first[1]} decided op {first[0]} at {first[2]:.3f} ms, "
                    f"{node} decided op {op.op_id} at {now:.3f} ms",
                    index=slot,
                    nodes=[first[1], node],
                    ops=[first[0], op.op_id],
                    times=[first[2], now],
                )
            self._valid(node, slot, op, now)
        if self.ordered:  # (inline: this runs per replica per decision)
            index: int = slot  # type: ignore[assignment]  # ordered slots are log indices
            applied = self.applied
            previous = applied.get(node, 0)
            if index == previous + 1:
                applied[node] = index
            elif index > previous + 1:
                self._violate(
                    "gap",
                    f"{node} decided index {index} at {now:.3f} ms before index {previous + 1}",
                    index=index,
                    nodes=[node],
                    ops=[op.op_id],
                    times=[now],
                )
                applied[node] = index
        return first is None

    def _valid(self, node: str, slot: Slot, op: Op, now: float) -> bool:
        """Validity: a decided client op is one a client invoked, as it was invoked."""
        if isinstance(op.op_id, int):
            invoked = self.invoked.get(op.op_id)
            if invoked is None or invoked != (op.op, op.key, _plain(op.value)):
                self._violate(
                    "validity",
                    f"{node} decided op {op.op_id} ({op.op} {op.key}={op.value!r}) at "
                    f"{now:.3f} ms, which no client invoked as such",
                    index=slot,
                    nodes=[node],
                    ops=[op.op_id],
                    times=[now],
                )
                return False
        return True

    def restarted(self, node: str) -> None:
        """A restarted node re-applies from its first slot (its state machine is volatile)."""
        self.applied[node] = 0

    def _violate(self, kind: str, message: str, **where: Any) -> None:
        self.report({"kind": kind, "message": message, **where})

    def report(self, violation: dict[str, Any]) -> None:
        """Keep a violation (also those a protocol's invariants find), up to max_violations."""
        if len(self.violations) < self.max_violations:
            self.violations.append(violation)

    @property
    def ok(self) -> bool:
        return not self.violations


def _where(slot: Slot) -> str:
    """``index 3`` for a log index, ``slot ('n1', 3)`` for any other slot."""
    return f"index {slot}" if isinstance(slot, int) else f"slot {slot!r}"


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
