"""Planted bugs: Multi-Paxos variants that the nemesis and the invariants must catch.

Named in scenarios by module path (``tests.protocols.multipaxos.planted:SkipMerge``).
"""

from __future__ import annotations

from sim.protocols.api import Context, Op
from sim.protocols.multipaxos import MultiPaxos


class SkipMerge(MultiPaxos):
    """A new leader that ignores what its phase-1 quorum reported (as the Python simulator the
    issue cites does): it proposes new values from its own commit point on."""

    def _merge(self) -> tuple[tuple[Op, ...], int, dict[int, Op]]:
        return (), self._first - 1, {}


class ForgetfulAcceptor(MultiPaxos):
    """An acceptor that keeps its promise in memory only: a restart forgets it."""

    def _persist_promise(self, ctx: Context, ballot: int) -> None:
        pass
