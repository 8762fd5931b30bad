"""Driving Multi-Paxos nodes by hand: a journal of effects, starting, electing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.protocols.api import Request
from sim.protocols.multipaxos import MultiPaxos, Promise, Vote
from tests.protocols.fake_context import FakeContext
from tests.protocols.fake_context import JournalContext as BaseJournal
from tests.protocols.fake_context import write as write  # (re-exported for the tests)

NODES = ("n1", "n2", "n3")
FIVE = ("n1", "n2", "n3", "n4", "n5")


@dataclass
class JournalContext(BaseJournal):
    """The shared journal context, and the messages sent of one type."""

    def of_type(self, kind: type) -> list[tuple[str, Any]]:
        """The (destination, message) pairs sent of ``kind``, and forget all sent."""
        return [(dst, msg) for dst, msg in self.take_sent() if type(msg) is kind]


def request(i: int, op: str = "write", key: str = "x") -> Request:
    return Request(op_id=i, client=0, op=op, key=key, value=i if op == "write" else None)


def start(
    node: str = "n1",
    nodes: tuple[str, ...] = NODES,
    durable: dict[str, Any] | None = None,
    cls: type[MultiPaxos] = MultiPaxos,
    time: float = 0.0,
    **params: Any,
) -> tuple[MultiPaxos, JournalContext]:
    ctx = JournalContext(node, nodes, time=time, durable=durable if durable is not None else {})
    paxos = cls(cls.Params(**params), node, nodes)
    paxos.on_start(ctx)
    return paxos, ctx


def fire(paxos: MultiPaxos, ctx: FakeContext, timer: str) -> None:
    """Advance the clock to ``timer`` and fire it."""
    ctx.time = ctx.timers.pop(timer)
    paxos.on_timer(ctx, timer)


def promise(ballot: int, first: int = 1, votes: dict[int, Vote] | None = None) -> Promise:
    """An acceptor's phase-1b answer that knows nothing chosen, with ``votes`` by slot."""
    return Promise(ballot, first, 0, (), tuple(sorted((votes or {}).items())))


def elect(paxos: MultiPaxos, ctx: JournalContext) -> int:
    """Make ``paxos`` leader: its election timer fires and one peer promises, with no votes."""
    fire(paxos, ctx, "election")
    ballot = paxos.ballot
    paxos.on_message(ctx, ctx.peers[0], promise(ballot, paxos.commit + 1))
    assert paxos.is_leader
    ctx.take_sent()
    return ballot
