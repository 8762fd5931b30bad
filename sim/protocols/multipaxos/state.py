"""A Multi-Paxos node's state, in one place: every node is an acceptor, a learner and a
proposer (van Renesse and Altinbuken's roles, in one process as in Paxi).

`MultiPaxos` is put together from this and three halves that call each other through it:
`Acceptor` (promises and votes, the durable part), `Learner` (the chosen log, commit notices,
catch-up) and `Leader` (phase 1 and its merge, phase 2, heartbeats). What each calls of the
others is declared at the end of `PaxosState`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sim.protocols.api import KV, Context, Op, Protocol, ProtocolParams, Request
from sim.protocols.multipaxos.messages import Promise, Vote
from sim.protocols.multipaxos.params import MultiPaxosParams

Role = Literal["follower", "candidate", "leader"]

PROMISED_KEY = "promised"
VOTES_KEY = "votes"


@dataclass(slots=True)
class Batch:
    """A phase-2 batch in flight: its slots from ``first``, who accepted it, when last sent."""

    first: int
    ops: tuple[Op, ...]
    sent_at: float
    voters: set[str] = field(default_factory=set)


class PaxosState(Protocol):
    def __init__(self, params: ProtocolParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        if not isinstance(params, MultiPaxosParams):
            raise TypeError(f"{type(self).__name__} needs its Params, got {type(params).__name__}")
        self.cfg = params
        self.index = nodes.index(node_id)
        self.phase1, self.phase2 = params.phase_quorums(nodes)
        self.lease_quorum = params.lease_quorum(nodes)
        self._min_timeout = params.election_timeout[0]
        self._election_timeout = params.election_timeout
        self._heartbeat_every = params.heartbeat
        self._lease = params.read == "lease"
        self._eager = params.commit == "eager"
        # Acceptor (durable, read back in on_start): the promise and the vote of each slot.
        self.promised = 0
        self.votes: list[Vote | None] = []  # slot s at votes[s - 1]
        # Learner.
        self.log: list[Op] = []  # the chosen operations of slots 1 .. commit, applied
        self.commit = 0
        self.kv = KV()
        self._ahead: dict[int, Op] = {}  # chosen slots above commit + 1, not applied yet
        self.leader: str | None = None
        self.leader_ballot = 0
        self._leader_commit = 0  # the highest commit point heard from the leader followed
        self._leader_contact = -math.inf
        self._followed = 0  # the last ballot this node reported following
        self._asked_at = -math.inf  # the last catch-up request
        # Proposer.
        self.role: Role = "follower"
        self.ballot = 0  # of this node's campaign or leadership
        self.max_seen = 0  # the highest ballot heard of: the next campaign goes above it
        self._first = 1  # of this campaign's Prepare
        self._promises: dict[str, Promise] = {}
        self.merge_top = 0  # the highest slot this leader's phase 1 found a vote at
        self._queue: deque[tuple[Op, Request | None]] = deque()  # waiting for a slot
        self._backlog: deque[tuple[int, tuple[Op, ...]]] = deque()  # merged slots to re-propose
        self._inflight: dict[int, Batch] = {}  # first slot -> batch
        self._pending: dict[int, Request] = {}  # slot -> the client request it answers
        self._next_slot = 1
        self._acked: dict[str, float] = {}  # peer -> sent_at of the newest send it answered

    if TYPE_CHECKING:
        # What each half calls of the others.

        def _promise_to(self, ctx: Context, ballot: int) -> None: ...
        def _accept(self, ctx: Context, ballot: int, first: int, ops: tuple[Op, ...]) -> None: ...
        def _report(self, ballot: int, first: int) -> Promise: ...
        def _learn(self, ctx: Context, slot: int, op: Op) -> None: ...
        def _follow(self, ctx: Context, leader: str, ballot: int) -> None: ...
        def _learn_up_to(self, ctx: Context, ballot: int, point: int) -> None: ...
        def _step_down(self, ctx: Context, seen: int) -> None: ...
        def _reset_election_timer(self, ctx: Context) -> None: ...
