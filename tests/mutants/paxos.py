"""Realistic Multi-Paxos and Flexible Paxos bugs, loaded as ``tests.mutants.paxos:Name``.

As for Raft (`tests.mutants.raft`), each overrides the one method its bug lives in (``# BUG``);
Multi-Paxos dispatches messages through a table of its own functions, which `_rebind` rebuilds.
"""

from __future__ import annotations

from typing import Any

from sim.protocols.api import Context, Op
from sim.protocols.multipaxos.messages import Accept
from sim.protocols.multipaxos.protocol import _HANDLERS, FPaxos, MultiPaxos


def _rebind(cls: type[MultiPaxos]) -> type[MultiPaxos]:
    """Dispatch the mutant's messages to its own handlers."""
    table = {kind: getattr(cls, handler.__name__) for kind, handler in _HANDLERS.items()}

    def on_message(self: MultiPaxos, ctx: Context, src: str, msg: Any) -> None:
        table[type(msg)](self, ctx, src, msg)

    cls.on_message = on_message  # type: ignore[method-assign]
    return cls


@_rebind
class PromiseNotPersisted(MultiPaxos):
    """An acceptor keeps its promise in memory only: restarted, it accepts a ballot lower than
    the one it promised."""

    def _persist_promise(self, ctx: Context, ballot: int) -> None:
        pass  # BUG: ctx.persist(PROMISED_KEY, ballot)


@_rebind
class IgnoresVotedValues(MultiPaxos):
    """A new leader fills every slot its phase-1 quorum reported votes at with its own no-ops,
    instead of proposing the value of the highest ballot voted there."""

    def _merge(self) -> tuple[tuple[Op, ...], int, dict[int, Op]]:
        chosen, known, _ = super()._merge()
        return chosen, known, {}  # BUG: the voted values are dropped


@_rebind
class Phase1TooSmall(FPaxos):
    """Flexible Paxos that checks phase 1 against the phase-2 quorum size: with a small q2 the
    two quorums need not meet (the configuration check passed, the code uses the wrong one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phase1 = self.phase2  # BUG: the phase-1 quorum of the configuration is ignored


@_rebind
class AcceptedBeforePersist(MultiPaxos):
    """An acceptor answers ``Accepted`` before its disk write of the vote is done (the write is
    issued after the answer): only a power loss during the write shows it, under fsync."""

    def _on_accept(self, ctx: Context, src: str, msg: Accept) -> None:
        writes: list[tuple[str, Any]] = []
        defer = ctx.persist

        def later(key: str, value: Any) -> None:
            writes.append((key, value))

        ctx.persist = later  # type: ignore[method-assign]
        try:
            super()._on_accept(ctx, src, msg)  # BUG: answers, then writes
        finally:
            ctx.persist = defer  # type: ignore[method-assign]
        for key, value in writes:
            defer(key, value)


MUTANTS = [PromiseNotPersisted, IgnoresVotedValues, Phase1TooSmall, AcceptedBeforePersist]
