"""The `seed` protocol: the naive proposal/acknowledgment/commit protocol of a popular tutorial.

Faithful to the article on purpose, flaws included: any node may propose; a proposer broadcasts
`Proposal`, each peer answers `Acknowledgment`, and after enough acknowledgments the proposer
broadcasts `Commit`; every node applies commits in the order they arrive. Nothing orders
concurrent proposals, nothing retransmits a lost `Commit`, and a proposer on the small side of a
partition may still reach the article's quorum when it counts wrongly. Replicas then diverge, and
the checks must show it: that is this protocol's whole purpose in quorumsim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from sim.protocols.api import (
    FAIL,
    KV,
    Context,
    Op,
    Protocol,
    ProtocolParams,
    QuorumTracker,
    Request,
    Result,
    events,
)
from sim.protocols.api.quorum import Quorum, count
from sim.protocols.registry import register
from sim.protocols.seed.messages import Acknowledgment, Commit, Proposal
from sim.units import Duration


class SeedParams(ProtocolParams):
    quorum: Literal["article", "majority"] | Annotated[int, Field(ge=1)] = Field(
        default="article",
        description="article: len(peers)//2 + 1 acknowledgments (the tutorial's rule); "
        "majority: n//2 acknowledgments, i.e. a majority counting the proposer; "
        "a number: that many nodes including the proposer",
    )
    timeout: Duration | None = Field(
        default=None,
        description="give up on a proposal without its quorum after this long and answer the "
        "client `fail` (default: wait forever, as the article does)",
    )
    bootstrap: str | None = Field(
        default=None,
        description="a state the first node proposes on start (the article's `Running`)",
    )
    read: Literal["local", "log"] = Field(
        default="local",
        description="local: the contacted replica answers reads from its own state (the "
        "article's way; stale reads); log: reads are proposed and committed like writes",
    )

    def quorums(self, nodes: tuple[str, ...]) -> dict[str, tuple[Quorum, Quorum | None]]:
        """Any two proposers' quorums must share a node, or both sides of a partition commit."""
        return {"quorum": (seed_quorum(self.quorum, nodes), None)}

    def check_cluster(self, nodes: tuple[str, ...]) -> list[tuple[str, str]]:
        """(parameter, problem) for a quorum these nodes can never form: nothing would commit."""
        n = len(nodes)
        if isinstance(self.quorum, int) and self.quorum > n:
            return [
                (
                    "quorum",
                    f"a quorum of {self.quorum} nodes can never form in a cluster of {n}, so "
                    f"nothing would ever commit (at most {n})",
                )
            ]
        if self.quorum == "article" and n == 1:
            return [
                (
                    "quorum",
                    "`article` waits for len(peers)//2 + 1 = 1 acknowledgment and a single node "
                    "has no peers, so nothing would ever commit (on one node: majority, or 1)",
                )
            ]
        return []


def acknowledgments_needed(quorum: str | int, n: int) -> int:
    """How many peers' acknowledgments a proposer waits for in a cluster of ``n`` nodes."""
    if quorum == "article":
        return (n - 1) // 2 + 1  # len(peers) // 2 + 1
    if quorum == "majority":
        return n // 2  # plus the proposer itself: n // 2 + 1 of n
    return max(int(quorum) - 1, 0)


def seed_quorum(quorum: str | int, nodes: tuple[str, ...]) -> Quorum:
    """The proposer and the peers it waits for, as a count of nodes (which may exceed the
    cluster's: the article's rule on one node waits for a peer that does not exist)."""
    return count(nodes, acknowledgments_needed(quorum, len(nodes)) + 1)


@dataclass(slots=True)
class _Pending:
    op: Op
    request: Request | None


@register
class Seed(Protocol):
    name = "seed"
    Params = SeedParams
    params: SeedParams
    ordered_slots = True  # each node numbers its own applications 1, 2, 3, ...

    def __init__(self, params: SeedParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        self.acks = QuorumTracker(seed_quorum(params.quorum, nodes), owner=node_id)
        self.timeout = params.timeout  # read twice per proposal: a plain attribute
        self.proposals = 0
        self.pending: dict[str, _Pending] = {}  # proposal id -> what it proposes
        self.applied = 0
        self.kv = KV()
        self.last_proposed_at = -1.0

    def on_start(self, ctx: Context) -> None:
        if self.params.bootstrap is not None and ctx.node_id == ctx.nodes[0]:
            op = Op(f"bootstrap:{ctx.node_id}", "write", None, self.params.bootstrap)
            self._propose(ctx, op, None)

    def on_request(self, ctx: Context, request: Request) -> None:
        if request.op == "read" and self.params.read == "local":
            ctx.reply(request, self.kv.read(request.key))
            return
        op = Op(request.op_id, request.op, request.key, request.value)
        self._propose(ctx, op, request)

    def _propose(self, ctx: Context, op: Op, request: Request | None) -> None:
        self.proposals += 1
        proposal_id = f"{ctx.node_id}:{self.proposals}"
        self.pending[proposal_id] = _Pending(op, request)
        self.last_proposed_at = ctx.now
        events.proposed(ctx, op.op_id)
        if self.acks.needed <= 0:
            self._commit(ctx, proposal_id)
            return
        ctx.broadcast(Proposal(proposal_id, op))
        if self.timeout is not None:
            ctx.set_timer(f"proposal:{proposal_id}", self.timeout)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        kind = type(msg)
        if kind is Proposal:
            ctx.send(src, Acknowledgment(msg.proposal_id))
        elif kind is Acknowledgment:
            if msg.proposal_id in self.pending and self.acks.ack(msg.proposal_id, src):
                self._commit(ctx, msg.proposal_id)
        elif kind is Commit:
            self._apply(ctx, msg.op)

    def _commit(self, ctx: Context, proposal_id: str) -> None:
        pending = self.pending.pop(proposal_id)
        self.acks.forget(proposal_id)
        if self.timeout is not None:
            ctx.cancel_timer(f"proposal:{proposal_id}")
        ctx.broadcast(Commit(proposal_id, pending.op))
        result = self._apply(ctx, pending.op)
        if pending.request is not None:
            ctx.reply(pending.request, result)

    def _apply(self, ctx: Context, op: Op) -> Result:
        """Apply in arrival order: each node numbers its own applications, 1, 2, 3, ..."""
        self.applied += 1
        ctx.decide(self.applied, op)
        return self.kv.apply(op)

    def on_timer(self, ctx: Context, name: str) -> None:
        proposal_id = name.removeprefix("proposal:")
        pending = self.pending.pop(proposal_id, None)
        self.acks.forget(proposal_id)
        if pending is not None and pending.request is not None:
            ctx.reply(pending.request, FAIL)

    def leader_rank(self) -> float | None:
        # The article has no leader; fault targets call "leader" the node that proposed last.
        return self.last_proposed_at if self.last_proposed_at >= 0 else None

    def describe(self) -> dict[str, Any]:
        return {"applied": self.applied, "pending": len(self.pending)}
