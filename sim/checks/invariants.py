"""Feeding a protocol's own safety invariants (`sim.protocols.api.invariant`) as a run goes.

The recorder hands `InvariantChecks` every protocol event and each slot's first decision; it
passes each invariant what it asked for and reports what it finds, under the invariant's kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sim.protocols.api.invariant import Invariant, Violation
from sim.protocols.api.operations import Op, Slot

__all__ = ["Invariant", "InvariantChecks", "Violation"]


class InvariantChecks:
    """Feeds each invariant what it asked for and reports what it finds."""

    def __init__(
        self, invariants: Sequence[Invariant], report: Callable[[Violation], None]
    ) -> None:
        self._report = report
        self._by_event: dict[str, list[Invariant]] = {}
        for invariant in invariants:
            for event in sorted(invariant.events):
                self._by_event.setdefault(event, []).append(invariant)
        self._on_commit = [
            invariant
            for invariant in invariants
            if type(invariant).on_commit is not Invariant.on_commit
        ]

    def event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> None:
        for invariant in self._by_event.get(event, ()):
            self._found(invariant, invariant.on_event(node, event, fields, now, state))

    def commit(self, node: str, slot: Slot, op: Op, now: float, state: Any) -> None:
        for invariant in self._on_commit:
            self._found(invariant, invariant.on_commit(node, slot, op, now, state))

    def _found(self, invariant: Invariant, violation: Violation | None) -> None:
        if violation is not None:
            self._report({"kind": invariant.kind, **violation})
