"""Replica safety, checked online as decisions happen, so the first violation is caught when it
happens: agreement per slot (no two replicas, and no replica twice, decide different ops at one
slot), validity (a decided client op was invoked by a client), and, for a protocol whose slots
are ordered (`Protocol.ordered_slots`: log indices), no gaps in a node's applied sequence."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sim.protocols.api.operations import Op, OpId, Slot

# A log index at most this far past the highest one seen goes to the dense columns; one further
# (a protocol's own numbering may jump) to the dict, so that the lists never grow by millions.
_DENSE_SKIP = 1 << 16


@dataclass(slots=True)
class ReplicaSafety:
    """The records the checks need, kept for every slot and operation of a run: as columns
    indexed by log index and by op id where those are the small ints 1, 2, 3, ... they usually
    are (a million operations took 250 bytes each as dicts of tuples, 40 as lists), and as
    dicts for any other slot or op id."""

    ordered: bool = True  # slots are 1, 2, 3, ... decided in order by each replica
    # op id -> (op, key, value) as invoked: lists by op id, or the dict for any other op id
    _ops: list[str | None] = field(default_factory=lambda: [None])
    _keys: list[str | None] = field(default_factory=lambda: [None])
    _values: list[Any] = field(default_factory=lambda: [None])
    invoked: dict[OpId, tuple[str, str | None, Any]] = field(default_factory=dict)
    # slot -> the first decision (its Op, node, time, and whether it was valid): lists by log
    # index, or the dict for any other slot (op id, node, time, Op, valid)
    _first: list[Op | None] = field(default_factory=lambda: [None])
    _first_node: list[str] = field(default_factory=lambda: [""])
    _first_time: array[float] = field(default_factory=lambda: array("d", [0.0]))
    _first_valid: bytearray = field(default_factory=lambda: bytearray(1))
    chosen: dict[Slot, tuple[OpId, str, float, Op, bool]] = field(default_factory=dict)
    # node -> [the highest index it decided with no gap before it] (ordered slots)
    applied: dict[str, list[int]] = field(default_factory=dict)
    _replicas: dict[str, Callable[[Slot, Op, float], bool]] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)
    max_violations: int = 100

    def invoke(self, op_id: OpId, op: str, key: str | None, value: Any) -> None:
        ops = self._ops
        if op_id == len(ops) and type(op_id) is int:  # (the next op id: the usual case)
            ops.append(op)
            self._keys.append(key)
            self._values.append(value)
        elif type(op_id) is int and 0 < op_id < len(ops):
            ops[op_id], self._keys[op_id], self._values[op_id] = op, key, value
        else:
            self.invoked[op_id] = (op, key, value)

    def decide(self, node: str, slot: Slot, op: Op, now: float) -> bool:
        """Check one replica's decision; True if it is the first decision of ``slot``."""
        return self.replica(node)(slot, op, now)

    def replica(self, node: str) -> Callable[[Slot, Op, float], bool]:
        """`decide` for one replica, as ``check(slot, op, now)``: every replica decides every
        entry, so the check is made once per node, with what it reads bound. Its common case
        is a few tests: the replica decides, at its next index, the very Op object the slot's
        first decision had, found valid (messages carry the same object from node to node)."""
        known = self._replicas.get(node)
        if known is not None:
            return known
        firsts, valid, ordered = self._first, self._first_valid, self.ordered
        applied = self.applied.setdefault(node, [0])  # [highest index decided, no gaps]
        first_decision, check_again, gap = self._first_decision, self._check_again, self._gap

        def check(slot: Slot, op: Op, now: float) -> bool:
            if type(slot) is int and 0 < slot < len(firsts) and firsts[slot] is op and valid[slot]:
                new = False  # (the common case: agreement and validity hold as they did)
            else:
                new = first_decision(node, slot, op, now)
                if not new:
                    check_again(node, slot, op, now)
            if ordered:
                index: int = slot  # type: ignore[assignment]  # ordered slots are log indices
                if index == applied[0] + 1:
                    applied[0] = index
                elif index > applied[0]:
                    gap(node, index, op, now, applied)
            return new

        self._replicas[node] = check
        return check

    def _first_decision(self, node: str, slot: Slot, op: Op, now: float) -> bool:
        """Record ``op`` as the first decision of ``slot`` if there is none yet (True), with
        whether it is valid."""
        firsts = self._first
        if type(slot) is int and 0 < slot < len(firsts) + _DENSE_SKIP:
            if slot >= len(firsts):
                self._grow(slot)
            if firsts[slot] is not None:
                return False
            firsts[slot] = op
            self._first_node[slot] = node
            self._first_time[slot] = now
            self._first_valid[slot] = self._valid(node, slot, op, now)
            return True
        if slot in self.chosen:
            return False
        self.chosen[slot] = (op.op_id, node, now, op, self._valid(node, slot, op, now))
        return True

    def _gap(self, node: str, index: int, op: Op, now: float, applied: list[int]) -> None:
        previous = applied[0]
        self._violate(
            "gap",
            f"{node} decided index {index} at {now:.3f} ms before index {previous + 1}",
            index=index,
            nodes=[node],
            ops=[op.op_id],
            times=[now],
        )
        applied[0] = index

    def _grow(self, slot: int) -> None:
        # A quarter more at a time (slot by slot, growing was a fifth of the check's time).
        more = max(slot + 1 - len(self._first), len(self._first) // 4, 1024)
        self._first.extend([None] * more)
        self._first_node.extend([""] * more)
        self._first_time.extend([0.0] * more)
        self._first_valid.extend(bytes(more))

    def _check_again(self, node: str, slot: Slot, op: Op, now: float) -> None:
        """A later decision of ``slot``: agreement with its first decision, and validity."""
        if type(slot) is int and 0 < slot < len(self._first) and self._first[slot] is not None:
            first_op: Op = self._first[slot]  # type: ignore[assignment]
            first = (first_op.op_id, self._first_node[slot], self._first_time[slot])
        else:
            first = self.chosen[slot][:3]
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

    def _valid(self, node: str, slot: Slot, op: Op, now: float) -> bool:
        """Validity: a decided client op is one a client invoked, as it was invoked."""
        op_id = op.op_id
        if not isinstance(op_id, int):
            return True  # an entry the protocol made itself
        value = op.value
        decided = (op.op, op.key, list(value) if isinstance(value, tuple) else value)
        if type(op_id) is int and 0 < op_id < len(self._ops):  # (the columns by op id)
            if decided == (self._ops[op_id], self._keys[op_id], self._values[op_id]):
                return True
        elif decided == self.invoked.get(op_id):
            return True
        self._violate(
            "validity",
            f"{node} decided op {op_id} ({op.op} {op.key}={value!r}) at "
            f"{now:.3f} ms, which no client invoked as such",
            index=slot,
            nodes=[node],
            ops=[op_id],
            times=[now],
        )
        return False

    def close(self) -> None:
        """The run is over: let go of the records kept for later decisions (a million
        operations' worth is a fifth of a run's memory, with the Ops they hold), keeping the
        violations and the verdict."""
        self._ops, self._keys, self._values, self.invoked = [None], [None], [None], {}
        # In place: each replica's check holds these (a decision after this is a first one).
        for records in (self._first, self._first_node, self._first_time, self._first_valid):
            del records[1:]
        self.chosen = {}

    def restarted(self, node: str) -> None:
        """A restarted node re-applies from its first slot (its state machine is volatile)."""
        self.applied.setdefault(node, [0])[0] = 0

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
