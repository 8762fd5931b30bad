"""Replica safety, checked online as decisions happen, so the first violation is caught when it
happens: agreement per index, no gaps in a node's applied sequence, no re-decision with another
op, and validity (a decided client op was invoked by a client)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.protocols.base import Op, OpId


@dataclass(slots=True)
class ReplicaSafety:
    invoked: dict[int, tuple[str, str | None, Any]] = field(default_factory=dict)
    chosen: dict[int, tuple[OpId, str, float]] = field(default_factory=dict)  # index -> first
    applied: dict[str, int] = field(default_factory=dict)  # node -> highest index, no gaps
    violations: list[dict[str, Any]] = field(default_factory=list)
    max_violations: int = 100

    def invoke(self, op_id: int, op: str, key: str | None, value: Any) -> None:
        self.invoked[op_id] = (op, key, value)

    def decide(self, node: str, index: int, op: Op, now: float) -> None:
        first = self.chosen.get(index)
        if first is None:
            self.chosen[index] = (op.op_id, node, now)
        elif first[0] != op.op_id:
            self._violate(
                "agreement",
                f"index {index}: {first[1]} decided op {first[0]} at {first[2]:.3f} ms, "
                f"{node} decided op {op.op_id} at {now:.3f} ms",
                index=index,
                nodes=[first[1], node],
                ops=[first[0], op.op_id],
                times=[first[2], now],
            )
        previous = self.applied.get(node, 0)
        if index == previous + 1:
            self.applied[node] = index
        elif index > previous + 1:
            self._violate(
                "gap",
                f"{node} decided index {index} at {now:.3f} ms before index {previous + 1}",
                index=index,
                nodes=[node],
                ops=[op.op_id],
                times=[now],
            )
            self.applied[node] = index
        if isinstance(op.op_id, int):
            invoked = self.invoked.get(op.op_id)
            if invoked is None or invoked != (op.op, op.key, _plain(op.value)):
                self._violate(
                    "validity",
                    f"{node} decided op {op.op_id} ({op.op} {op.key}={op.value!r}) at "
                    f"{now:.3f} ms, which no client invoked as such",
                    index=index,
                    nodes=[node],
                    ops=[op.op_id],
                    times=[now],
                )

    def restarted(self, node: str) -> None:
        """A restarted node re-applies from index 1 (its state machine is volatile)."""
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


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
