"""Safety invariants a protocol states about itself, checked online as the run goes.

A protocol lists them in `Protocol.invariants` (fresh objects for each run). Each one names
the protocol events it looks at; the recorder hands it those events, and each slot's first
decision if it asks for them, with the node's protocol instance as it is at that moment. A
violation it returns joins the replica-safety violations under the invariant's ``kind``, so that
a run's verdict, its summary and its exit status need nothing new. (`sim.checks.invariants`
feeds them; this module is here so that protocols need not import the checks.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sim.protocols.api.operations import Op, Slot

Violation = dict[str, Any]
"""``message`` (one line) and where it happened: ``nodes``, ``times``, ``term``, ``index``..."""


class Invariant:
    """One safety property. Override ``on_event`` (for the events in ``events``) and/or
    ``on_commit``; return a violation, or None when all is well."""

    kind: ClassVar[str]
    events: ClassVar[frozenset[str]] = frozenset()
    durable: ClassVar[Mapping[str, str]] = {}
    """Events that report a write (event -> the durable key written), to count only once the
    write is on disk: under ``cluster.durability: fsync`` such an event reaches the invariant
    when its write is done (or a process crash flushes it), never if a power loss undoes it.
    Under ``sync`` a write is durable at once, and the event comes as it is emitted."""
    durable_commits: ClassVar[bool] = False
    """Under ``fsync``, check a decision made by a handler that wrote something once that write
    is done (the decision may rest on it: a quorum of one deciding on its own vote), and never
    if a power loss undoes it (nobody heard of the decision); any other decision at once."""

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        """``state`` is the emitting node's protocol instance, as it is when it emits."""
        return None

    def on_commit(self, node: str, slot: Slot, op: Op, now: float, state: Any) -> Violation | None:
        """The first decision of ``slot`` (by ``node``, whose protocol instance is ``state``):
        from now on the slot is decided. Replicas that decide it again are replica safety's
        to check (restarts re-decide whole logs)."""
        return None
