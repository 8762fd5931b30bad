"""Raft as a sans-IO state machine: Figure 2 of the extended Raft paper (Ongaro & Ousterhout).

Beyond the paper, each behind a parameter: PreVote and CheckQuorum (Ongaro's thesis, 9.6 and
6.2), lease reads (thesis 6.4.1), pipelined and batched replication, the conflict-term back-off
(paper 5.3), a separate candidate timeout and its exponential back-off.

Choices the paper leaves open:

- A leader that stops leading drops the client requests it holds without answering: their
  entries may still commit under the next leader, so "fail" would be a lie and "redirect" (not
  done) could be one too. The clients time out.
- Followers learn the commit index from the next AppendEntries (new entries or heartbeat).
- The key-value state machine is volatile: a restarted node applies the log again from index 1 as
  it learns the commit index, and so decides the same indices again with the same operations.
- Leader stickiness (thesis 4.2.3: a node that heard from a leader within the minimum election
  timeout ignores RequestVote of a higher term; a leader ignores them while it leads) is on with
  ``check_quorum`` and with ``read: lease``, which is unsound without it.
- The lease runs for the minimum election timeout T, by the leader's clock, from the send time
  of the newest AppendEntries a majority acknowledged, with no margin of its own. Each follower
  of that majority ignores candidates (stickiness) and does not stand itself for T of its own
  clock from the receipt, which is later by the message's one-way delay δ; no other leader can
  be elected without one of them. So the lease is safe while, for every follower,
  ``T / (1 + d_L) - T / (1 + d_F) <= δ`` with ``cluster.clock_drift`` d_L (leader) and d_F
  (follower); to first order, while ``T (d_F - d_L) <= δ``: a follower's clock may gain less
  than δ on the leader's in one T. (A follower under a ``clock`` fault of factor f > 1 times out,
  and stands, f times sooner: its ``1 + d_F`` becomes ``(1 + d_F) f``; the fault does not change
  the clocks the lease and stickiness read.) Without drift it holds at any δ. With T = 150 ms,
  ±50ppm needs δ >= 15 us, and δ = 100 us allows the clocks 667ppm apart. Beyond the bound the
  followers' protection ends up to ``T / (1 + d_L) - T / (1 + d_F) - δ`` before the lease does;
  a read is stale only if within that window a new leader wins its vote (one more δ), commits a
  write (two more) and a client sees it, so the checker catches it only well beyond the bound
  (T = 150 ms, δ = 100 us: ±50000ppm leaves 15 ms). A new leader serves lease reads only once
  an entry of its term is committed.
- ``candidate_timeout`` is a [min, max] range like ``election_timeout``; it times every
  candidacy and pre-vote round, the first included. With ``prevote`` a failed candidacy retries
  with a pre-vote round too.
- Events are the shared vocabulary (`sim.protocols.api.events`) with the term as the epoch:
  ``campaign_started`` per candidacy (not per pre-vote round), ``became_leader``, ``follows``
  once per term per node life (a restarted node reports again the leader it accepts),
  ``stepped_down`` naming the term the node led, and ``proposed``.

The node is split as etcd's raft is: `Raft.on_message` (raft.go's ``Step``) compares a message's
term with the node's in one place, then hands it to the current role's handler of its type;
`Election` and `Replication` (with `Progress` per follower) hold the handlers, `RaftState` the
state, `RaftParams` the parameters.
"""

from __future__ import annotations

from typing import Any

from sim.protocols.api import Context, Invariant, Op, Request, Result
from sim.protocols.raft.election import Election
from sim.protocols.raft.invariants import (
    CommittedPrefix,
    ElectionSafety,
    LeaderCompleteness,
    LogMatching,
)
from sim.protocols.raft.log import RaftLog
from sim.protocols.raft.messages import (
    AppendEntries,
    AppendEntriesReply,
    PreVote,
    PreVoteReply,
    RequestVote,
    RequestVoteReply,
)
from sim.protocols.raft.params import RaftParams
from sim.protocols.raft.replication import Replication
from sim.protocols.raft.state import Handler, Role
from sim.protocols.registry import register


@register
class Raft(Election, Replication):
    """One Raft node. Events: campaign_started, became_leader, follows, stepped_down, proposed
    (epoch: the term). Timers: election, heartbeat, check_quorum."""

    name = "raft"
    Params = RaftParams
    leader_based = True
    ordered_slots = True

    @classmethod
    def invariants(cls) -> list[Invariant]:
        committed = CommittedPrefix()  # read by the two after it
        return [ElectionSafety(), committed, LeaderCompleteness(committed), LogMatching(committed)]

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    @property
    def epoch(self) -> int:
        return self.term

    def describe(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "term": self.term,
            "commit_index": self.commit_index,
            "log_length": self.log.last_index,
        }

    # -- events from the engine ---------------------------------------------------------------

    def on_start(self, ctx: Context) -> None:
        self.term = ctx.durable.get("term", 0)
        self.voted_for = ctx.durable.get("voted_for")
        self.log = RaftLog.restore(ctx.durable)
        # A restarted node has forgotten when it last heard a leader. Assuming "just now" delays
        # its votes by at most one minimum timeout and keeps leases and stickiness sound.
        self._leader_contact = ctx.now
        self._reset_election_timer(ctx)

    def on_timer(self, ctx: Context, name: str) -> None:
        match name:
            case "election":
                self._election_timer(ctx)
            case "heartbeat":
                self._heartbeat(ctx)
            case "check_quorum":
                self._check_quorum(ctx)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """etcd's ``Step``: compare the message's term with this node's, then hand it to the
        current role's handler of its type (a dict look-up: this runs once per message)."""
        kind = type(msg)
        term = msg.term
        # A pre-vote round's term is only asked about: its handlers compare it themselves.
        if term != self.term and kind is not PreVote and kind is not PreVoteReply:
            if term < self.term:
                self._on_stale(ctx, src, msg)
                return
            # A higher term makes this node a follower of it, unless a leader it trusts is alive.
            if kind is RequestVote and self._is_sticky(ctx):
                return
            self._become_follower(ctx, term)
        self._step[kind](self, ctx, src, msg)

    def _on_stale(self, ctx: Context, src: str, msg: Any) -> None:
        """A message of an earlier term: a request is refused with this node's term (which
        deposes a stale leader, ends a stale candidacy); a reply is dropped."""
        if type(msg) is AppendEntries:
            ctx.send(src, self._rejection(msg))
        elif type(msg) is RequestVote:
            ctx.send(src, RequestVoteReply(self.term, False))

    def on_request(self, ctx: Context, request: Request) -> None:
        if request.op == "read" and self._reads_locally(ctx):
            ctx.reply(request, self.kv.read(request.key))
        elif self.role != "leader":
            ctx.reply(request, Result("redirect", leader=self.leader))
        else:
            op = Op(request.op_id, request.op, request.key, request.value)
            self._append(ctx, op, request)

    def _reads_locally(self, ctx: Context) -> bool:
        if self.cfg.read == "local":
            return True
        # A lease read needs this term's no-op committed: until then the leader may not have
        # applied entries that earlier leaders committed.
        return (
            self.cfg.read == "lease"
            and self.role == "leader"
            and self.log.term_at(self.commit_index) == self.term
            and self._quorum_contact(ctx) > ctx.now - self._min_timeout
        )


def _ignore(node: Raft, ctx: Context, src: str, msg: Any) -> None:
    """A reply this role does not wait for (it answers an earlier role of the same term)."""


# Each role's handler of each message type, once the terms are equal (or a pre-vote's).
_ANY_ROLE: dict[type, Handler] = {
    RequestVote: Raft._on_request_vote,
    PreVote: Raft._on_prevote,
    PreVoteReply: Raft._on_prevote_reply,
    AppendEntriesReply: _ignore,
    RequestVoteReply: _ignore,
}
_FOLLOWER = {**_ANY_ROLE, AppendEntries: Raft._on_append_entries}
_CANDIDATE = {**_ANY_ROLE, AppendEntries: Raft._on_append_entries_as_rival}
_STEPS: dict[Role, dict[type, Handler]] = {
    "follower": _FOLLOWER,
    "precandidate": _CANDIDATE,
    "candidate": {**_CANDIDATE, RequestVoteReply: Raft._on_vote_reply},
    "leader": {**_CANDIDATE, AppendEntriesReply: Raft._on_append_reply},
}
Raft._steps = _STEPS
