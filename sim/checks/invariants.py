"""Safety invariants a protocol states about itself, checked online as the run goes.

A protocol lists them in ``Protocol.invariants()`` (fresh objects for each run). Each one names
the protocol events it looks at; the recorder hands it those events, and each index's first
decision if it asks for them, with the node's protocol instance as it is at that moment. A
violation it returns joins the replica-safety violations under the invariant's ``kind``, so that
a run's verdict, its summary and its exit status need nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from sim.protocols.base import Op

Violation = dict[str, Any]
"""``message`` (one line) and where it happened: ``nodes``, ``times``, ``term``, ``index``..."""


class Invariant:
    """One safety property. Override ``on_event`` (for the events in ``events``) and/or
    ``on_commit``; return a violation, or None when all is well."""

    kind: ClassVar[str]
    events: ClassVar[frozenset[str]] = frozenset()

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        """``state`` is the emitting node's protocol instance, as it is when it emits."""
        return None

    def on_commit(self, node: str, index: int, op: Op, now: float, state: Any) -> Violation | None:
        """The first decision at ``index`` (by ``node``, whose protocol instance is ``state``):
        from now on the entry is committed. Replicas that decide it again are replica safety's
        to check (restarts re-decide whole logs)."""
        return None


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

    def commit(self, node: str, index: int, op: Op, now: float, state: Any) -> None:
        for invariant in self._on_commit:
            self._found(invariant, invariant.on_commit(node, index, op, now, state))

    def _found(self, invariant: Invariant, violation: Violation | None) -> None:
        if violation is not None:
            self._report({"kind": invariant.kind, **violation})
