"""Multi-Paxos as a sans-IO state machine, after "Paxos Made Moderately Complex" (van Renesse
and Altinbuken) and Paxi's implementation; Flexible Paxos (Howard, Malkhi, Spiegelman) is the
same code with its own quorums.

Every node is an acceptor, a learner and a proposer. A node that hears from no leader for an
election timeout runs phase 1 once for every slot above its commit point, in a ballot
``(round, node)`` above every one it has heard of. Once a phase-1 quorum has promised, it takes
the chosen operations the best-informed acceptor reported, and above them, at each slot, the
operation voted in the highest ballot, filling holes with no-ops; it proposes all of them again
in its ballot before any new one. Phase 2 is pipelined (``window`` batches in flight) and
batched (``max_batch`` slots per Accept). Acceptors persist promises and votes before answering.
A proposer that hears of a higher ballot (a Nack, a Prepare it promises, a leader's message)
steps down. Replicas learn a slot from their own vote in the leader's ballot once the leader's
commit point passes it, else ask the leader for it.

Choices the papers leave open:

- A ballot ``(round, node)`` is the integer ``round * n + i`` (`ballot`): the epoch of the
  events, so elections.csv's ``term`` column holds it.
- The timeouts and the heartbeat are Raft's parameters, in the same units; a candidate whose
  phase 1 does not complete within a fresh timeout campaigns again in a higher round.
- A leader that steps down drops the client requests it holds without answering (their slots
  may still be chosen), as Raft's does.
- The key-value store is volatile: a restarted node learns (and decides) every slot again.
- Lease reads (``read: lease``): as Raft's lease, with the phase-1 quorum in place of the
  majority: the leader answers while nodes meeting every phase-1 quorum acknowledged, within the
  minimum election timeout T of its clock, a message it sent; each of them promises no other
  ballot for T from its receipt (and a leader none at all). A leader serves them once every slot
  its phase 1 found is chosen.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sim.protocols.api import Context, Invariant, Op, ProtocolParams, Request, Result
from sim.protocols.multipaxos.acceptor import Acceptor
from sim.protocols.multipaxos.invariants import (
    DecidedIsChosen,
    OneValuePerSlot,
    PromisesKept,
    ProposalsRespectPhase1,
)
from sim.protocols.multipaxos.leader import Leader
from sim.protocols.multipaxos.learner import Learner
from sim.protocols.multipaxos.messages import (
    Accept,
    Accepted,
    CatchUp,
    Chosen,
    Commit,
    Heartbeat,
    HeartbeatReply,
    Nack,
    Prepare,
    Promise,
)
from sim.protocols.multipaxos.params import FPaxosParams, MultiPaxosParams
from sim.protocols.multipaxos.state import PROMISED_KEY, VOTES_KEY
from sim.protocols.registry import register


@register
class MultiPaxos(Acceptor, Learner, Leader):
    """One Multi-Paxos node (every node proposes, accepts and learns).

    Events: campaign_started, became_leader, follows, stepped_down, proposed (epoch: the
    ballot), and its own promised, accepted, prepared. Timers: election, heartbeat."""

    name = "multipaxos"
    _handlers: ClassVar[dict[type, Any]]  # message type -> its handler
    Params: ClassVar[type[ProtocolParams]] = MultiPaxosParams
    leader_based = True
    ordered_slots = True

    @classmethod
    def invariants(cls) -> list[Invariant]:
        one_value = OneValuePerSlot()  # DecidedIsChosen reads what it records as chosen
        return [one_value, ProposalsRespectPhase1(), PromisesKept(), DecidedIsChosen(one_value)]

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    @property
    def epoch(self) -> int:
        return self.ballot if self.role == "leader" else self.promised

    def describe(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "ballot": self.ballot,
            "promised": self.promised,
            "commit": self.commit,
            "votes": len(self.votes),
        }

    # -- events from the engine ---------------------------------------------------------------

    def on_start(self, ctx: Context) -> None:
        self.promised = self.max_seen = ctx.durable.get(PROMISED_KEY, 0)
        self.votes = ctx.durable.get(VOTES_KEY, [])
        # A restarted node has forgotten when it last heard a leader: "just now" keeps leases
        # sound and delays its promises by at most one minimum timeout.
        self._leader_contact = ctx.now
        self._reset_election_timer(ctx)

    def on_timer(self, ctx: Context, name: str) -> None:
        if name == "heartbeat":
            if self.role == "leader":
                self._heartbeat(ctx)
        elif name == "election":
            self._election_timer(ctx)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass (Flexible Paxos, a test's planted bug) dispatches to its own handlers.
        super().__init_subclass__(**kwargs)
        cls._handlers = {kind: getattr(cls, f.__name__) for kind, f in _HANDLERS.items()}

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        self._handlers[type(msg)](self, ctx, src, msg)  # (a dict look-up: once per message)

    def on_request(self, ctx: Context, request: Request) -> None:
        if request.op == "read" and self._lease and self._holds_lease(ctx):
            ctx.reply(request, self.kv.read(request.key))
        elif self.role != "leader":
            ctx.reply(request, Result("redirect", leader=self.leader))
        else:
            self._enqueue(ctx, Op(request.op_id, request.op, request.key, request.value), request)


_HANDLERS: dict[type, Any] = {
    Prepare: MultiPaxos._on_prepare,
    Promise: MultiPaxos._on_promise,
    Nack: MultiPaxos._on_nack,
    Accept: MultiPaxos._on_accept,
    Accepted: MultiPaxos._on_accepted,
    Heartbeat: MultiPaxos._on_heartbeat,
    HeartbeatReply: MultiPaxos._on_heartbeat_reply,
    Commit: MultiPaxos._on_commit,
    CatchUp: MultiPaxos._on_catch_up,
    Chosen: MultiPaxos._on_chosen,
}
MultiPaxos._handlers = _HANDLERS


@register
class FPaxos(MultiPaxos):
    """Flexible Paxos: Multi-Paxos with its own phase-1 and phase-2 quorums (q1, q2 or a grid).

    The two must meet unless the scenario says ``cluster.unsafe: true``."""

    name = "fpaxos"
    Params = FPaxosParams
