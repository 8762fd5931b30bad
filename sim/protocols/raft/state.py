"""A Raft node's state: Figure 2's "State" box and what the extensions keep, in one place.

`Raft` is put together from this and two halves that call each other through it: `Election`
(terms, votes, roles) and `Replication` (the log, AppendEntries, the commit index). What each
half calls of the other is declared at the end of `RaftState`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sim.protocols.api import KV, Context, Op, Protocol, ProtocolParams, QuorumTracker, Request
from sim.protocols.api.quorum import majority
from sim.protocols.raft.log import RaftLog
from sim.protocols.raft.params import RaftParams
from sim.protocols.raft.progress import Progress

Role = Literal["follower", "precandidate", "candidate", "leader"]
Handler = Callable[[Any, Context, str, Any], None]  # (node, ctx, src, msg)


class RaftState(Protocol):
    # Per role, the handler of each message type of the current term (see `Raft.on_message`).
    _steps: ClassVar[dict[Role, dict[type, Handler]]]

    def __init__(self, params: ProtocolParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        if not isinstance(params, RaftParams):
            raise TypeError(f"Raft needs Raft.Params, got {type(params).__name__}")
        self.cfg = params
        self._quorum = majority(nodes)  # of votes, and of replicas for the commit rule
        self._min_timeout = params.election_timeout[0]
        # Parameters read per message, as plain attributes (one look-up instead of two).
        self._election_timeout = params.election_timeout
        self._max_inflight = params.max_inflight
        self._max_batch = params.max_batch
        # Persistent state (Figure 2), read back in on_start.
        self.term = 0
        self.voted_for: str | None = None
        self.log = RaftLog()
        # Volatile state.
        self.role: Role = "follower"
        self._step = self._steps["follower"]
        self.leader: str | None = None
        self.commit_index = 0
        self.last_applied = 0
        self.kv = KV()
        self._votes: set[str] = set()  # of the current (pre-)vote round, self included
        self._failed_elections = 0
        self._leader_contact = -math.inf
        # The election timeout drawn for the current role and term (`_draw_election_timeout`).
        self._randomized_timeout = params.election_timeout[1]
        self._accepted_term = 0  # the last term whose leader this node reported accepting
        # Leader state, rebuilt on each election.
        self._progress: dict[str, Progress] = {}
        # Replicas holding each index above the commit index (the leader holds them all).
        self._commits = QuorumTracker(self._quorum, owner=node_id)
        self._pending: dict[int, Request] = {}  # log index -> the client request it answers

    def _become(self, role: Role) -> None:
        self.role = role
        self._step = self._steps[role]

    if TYPE_CHECKING:
        # What each half calls of the other (`Election` and `Replication` implement them).

        def _become_follower(self, ctx: Context, term: int) -> None: ...
        def _reset_election_timer(self, ctx: Context) -> None: ...
        def _append(self, ctx: Context, op: Op, request: Request | None = None) -> None: ...
        def _heartbeat(self, ctx: Context) -> None: ...
        def _quorum_contact(self, ctx: Context) -> float: ...
