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
- The lease runs for the minimum election timeout from the send time of the newest
  AppendEntries a majority acknowledged, with no safety margin: simulated clocks do not drift,
  and the followers' stickiness counts from the receipt, which is later. A new leader serves lease
  reads only once an entry of its term is committed.
- ``candidate_timeout`` is a [min, max] range like ``election_timeout``; it times every
  candidacy and pre-vote round, the first included. With ``prevote`` a failed candidacy retries
  with a pre-vote round too.
- ``leader_accepted`` is emitted once per term per node life: a restarted node reports again the
  leader it accepts. ``stepped_down`` names the term the node led.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.checks.invariants import Invariant
from sim.protocols.base import OK, Context, Op, Protocol, ProtocolParams, Request, Result
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
    Entry,
    PreVote,
    PreVoteReply,
    RequestVote,
    RequestVoteReply,
)
from sim.protocols.registry import register
from sim.units import Duration

Role = Literal["follower", "precandidate", "candidate", "leader"]

# Back-off doubles the candidate timeout after each failed election, up to 2**3 = 8 times: enough
# to spread contending candidates apart, without leaving a cluster leaderless for seconds once the
# contention is over.
_MAX_BACKOFF_DOUBLINGS = 3


class RaftParams(ProtocolParams):
    """Raft's parameters. Timeout ranges are [min, max], drawn uniformly from the node's stream."""

    election_timeout: tuple[Duration, Duration] = Field(
        (150.0, 300.0),
        description="[min, max]: a follower that hears from no leader for a time drawn from "
        "this range stands for election",
    )
    heartbeat: Duration = Field(
        50.0, gt=0, description="how often a leader sends AppendEntries when it has no entries"
    )
    max_inflight: int = Field(8, ge=1, description="AppendEntries with entries in flight per peer")
    max_batch: int = Field(64, ge=1, description="entries per AppendEntries")
    conflict_term: bool = Field(
        False, description="back next_index off by a whole term per rejection (else by one)"
    )
    read: Literal["log", "lease", "local"] = Field(
        "log",
        description="log: reads are log entries; lease: the leader answers while a majority "
        "acknowledged it within the minimum election timeout; local: any node answers from its "
        "own state (stale reads: for teaching)",
    )
    prevote: bool = Field(False, description="a pre-vote round before each candidacy")
    check_quorum: bool = Field(
        False, description="a leader not heard by a majority for the minimum timeout steps down"
    )
    candidate_timeout: tuple[Duration, Duration] | None = Field(
        None, description="the timeout range of a candidacy (default: election_timeout)"
    )
    candidate_backoff: bool = Field(
        False,
        description="double the candidate timeout after each failed election (up to 8x), "
        "until a leader is heard",
    )

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> RaftParams:
        for name in ("election_timeout", "candidate_timeout"):
            bounds = getattr(self, name)
            if bounds is not None and not 0 < bounds[0] <= bounds[1]:
                raise ValueError(f"{name} must be [min, max] with 0 < min <= max, got {bounds}")
        return self


@dataclass(slots=True)
class _Follower:
    """What a leader knows of one follower: Figure 2's nextIndex and matchIndex, and more.

    While ``probing``, next_index is a guess being checked, one AppendEntries at a time. Once one
    succeeds, the leader pipelines: it sends up to max_inflight AppendEntries ahead of the acks,
    advancing next_index as it sends.
    """

    next_index: int
    match_index: int = 0
    probing: bool = True
    inflight: deque[int] = field(default_factory=deque)  # last index of each unacked batch
    last_ack: float = -math.inf  # sent_at of the newest AppendEntries it answered in this term


@register
class Raft(Protocol):
    """One Raft node. Events: election_started, became_leader, leader_accepted, proposed,
    stepped_down. Timers: election, heartbeat, check_quorum."""

    name = "raft"
    Params = RaftParams
    leader_based = True

    def __init__(self, params: ProtocolParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        if not isinstance(params, RaftParams):
            raise TypeError(f"Raft needs Raft.Params, got {type(params).__name__}")
        self.cfg = params
        self._majority = len(nodes) // 2 + 1
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
        self.leader: str | None = None
        self.commit_index = 0
        self.last_applied = 0
        self.kv: dict[str | None, Any] = {}
        self._votes: set[str] = set()  # of the current (pre-)vote round, self included
        self._failed_elections = 0
        self._leader_contact = -math.inf
        self._accepted_term = 0  # the last term whose leader this node reported accepting
        # Leader state, rebuilt on each election.
        self._followers: dict[str, _Follower] = {}
        self._acks: dict[int, int] = {}  # index above the commit index -> followers holding it
        self._pending: dict[int, Request] = {}  # log index -> the client request it answers

    @classmethod
    def invariants(cls) -> list[Invariant]:
        committed = CommittedPrefix()  # read by the two after it
        return [ElectionSafety(), committed, LeaderCompleteness(committed), LogMatching(committed)]

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

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
                if self.role != "follower":
                    self._failed_elections += 1
                if self.cfg.prevote:
                    self._start_prevote(ctx)
                else:
                    self._start_election(ctx)
            case "heartbeat":
                self._heartbeat(ctx)
            case "check_quorum":
                if self._quorum_contact(ctx) < ctx.now - self._min_timeout:
                    self._become_follower(ctx, self.term)
                else:
                    ctx.set_timer("check_quorum", self._min_timeout)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        # Dispatch on the exact type through a dict (see _HANDLERS): runs once per message, where
        # a `match` on classes would make an isinstance test per case.
        kind = type(msg)
        # A higher term makes this node a follower of it, except the term of a pre-vote round,
        # which is only asked about.
        if msg.term > self.term and kind is not PreVote and kind is not PreVoteReply:
            if kind is RequestVote and self._is_sticky(ctx):
                return
            self._become_follower(ctx, msg.term)
        _HANDLERS[kind](self, ctx, src, msg)

    def on_request(self, ctx: Context, request: Request) -> None:
        if request.op == "read" and self._reads_locally(ctx):
            ctx.reply(request, Result("ok", value=self.kv.get(request.key)))
        elif self.role != "leader":
            ctx.reply(request, Result("redirect", leader=self.leader))
        else:
            op = Op(request.op_id, request.op, request.key, request.value)
            self._append(ctx, op, request)

    # -- elections ------------------------------------------------------------------------------

    def _start_prevote(self, ctx: Context) -> None:
        self.role = "precandidate"
        self.leader = None
        self._votes = {self.node_id}
        ctx.broadcast(PreVote(self.term + 1, self.node_id, self.log.last_index, self.log.last_term))
        self._reset_election_timer(ctx)
        if len(self._votes) >= self._majority:
            self._start_election(ctx)

    def _start_election(self, ctx: Context) -> None:
        self.role = "candidate"
        self.leader = None
        self.term += 1
        self.voted_for = self.node_id
        ctx.persist("term", self.term)
        ctx.persist("voted_for", self.voted_for)
        ctx.emit("election_started", term=self.term)
        self._votes = {self.node_id}
        ctx.broadcast(RequestVote(self.term, self.node_id, self.log.last_index, self.log.last_term))
        self._reset_election_timer(ctx)
        if len(self._votes) >= self._majority:
            self._become_leader(ctx)

    def _on_prevote(self, ctx: Context, src: str, msg: PreVote) -> None:
        granted = (
            msg.term > self.term
            and not self._heard_leader_recently(ctx)
            and self.log.candidate_up_to_date(msg.last_log_term, msg.last_log_index)
        )
        ctx.send(src, PreVoteReply(msg.term if granted else self.term, granted))

    def _on_prevote_reply(self, ctx: Context, src: str, msg: PreVoteReply) -> None:
        if not msg.granted and msg.term > self.term:
            self._become_follower(ctx, msg.term)
        elif self.role == "precandidate" and msg.granted and msg.term == self.term + 1:
            self._votes.add(src)
            if len(self._votes) >= self._majority:
                self._start_election(ctx)

    def _on_request_vote(self, ctx: Context, src: str, msg: RequestVote) -> None:
        granted = (
            msg.term == self.term
            and self.voted_for in (None, msg.candidate)
            and self.log.candidate_up_to_date(msg.last_log_term, msg.last_log_index)
        )
        if granted:
            if self.voted_for is None:
                self.voted_for = msg.candidate
                ctx.persist("voted_for", msg.candidate)
            self._reset_election_timer(ctx)
        ctx.send(src, RequestVoteReply(self.term, granted))

    def _on_vote_reply(self, ctx: Context, src: str, msg: RequestVoteReply) -> None:
        if self.role == "candidate" and msg.term == self.term and msg.granted:
            self._votes.add(src)
            if len(self._votes) >= self._majority:
                self._become_leader(ctx)

    def _become_leader(self, ctx: Context) -> None:
        self.role = "leader"
        self.leader = self.node_id
        self._failed_elections = 0
        ctx.cancel_timer("election")
        ctx.emit("became_leader", term=self.term)
        self._followers = {peer: _Follower(self.log.last_index + 1) for peer in ctx.peers}
        self._acks = {}
        # Entries of earlier terms commit only under an entry of this term (Figure 8).
        self._append(ctx, Op(op_id=f"noop:{self.node_id}:{self.term}", op="noop"))
        ctx.set_timer("heartbeat", self.cfg.heartbeat)
        if self.cfg.check_quorum:
            ctx.set_timer("check_quorum", self._min_timeout)

    def _become_follower(self, ctx: Context, term: int) -> None:
        """Adopt ``term`` (if higher) and follow; a leader also stops leading."""
        led_term, was_leader = self.term, self.role == "leader"
        if term > self.term:
            self.term = term
            self.voted_for = None
            self.leader = None
            ctx.persist("term", term)
            ctx.persist("voted_for", None)
        self.role = "follower"
        if was_leader:
            self.leader = None
            self._followers = {}
            self._pending = {}
            ctx.cancel_timer("heartbeat")
            ctx.cancel_timer("check_quorum")
            self._reset_election_timer(ctx)
            ctx.emit("stepped_down", term=led_term)

    def _reset_election_timer(self, ctx: Context) -> None:
        low, high = self._election_timeout
        if self.role in ("candidate", "precandidate"):
            if self.cfg.candidate_timeout is not None:
                low, high = self.cfg.candidate_timeout
            if self.cfg.candidate_backoff:
                scale = 2 ** min(self._failed_elections, _MAX_BACKOFF_DOUBLINGS)
                low, high = low * scale, high * scale
        ctx.set_timer("election", ctx.uniform(low, high))

    def _heard_leader_recently(self, ctx: Context) -> bool:
        return self.role == "leader" or ctx.now - self._leader_contact < self._min_timeout

    def _is_sticky(self, ctx: Context) -> bool:
        """Whether to ignore a higher-term RequestVote because a leader is alive (thesis 4.2.3)."""
        sticky = self.cfg.check_quorum or self.cfg.read == "lease"
        return sticky and self._heard_leader_recently(ctx)

    # -- replication: follower side -------------------------------------------------------------

    def _on_append_entries(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        if msg.term < self.term:  # a deposed leader: our term in the reply makes it step down
            ctx.send(src, self._rejection(msg))
            return
        if self.role != "follower":  # a (pre)candidate of this term: someone else won
            self._become_follower(ctx, msg.term)
        # The leader of this term is heard: follow it, and wait a new election timeout (the
        # follower's own: `_reset_election_timer`, inlined, as all of this runs per message).
        self.leader = src
        self._leader_contact = ctx.now
        self._failed_elections = 0
        low, high = self._election_timeout
        ctx.set_timer("election", ctx.uniform(low, high))
        if self._accepted_term != self.term:
            self._accepted_term = self.term
            ctx.emit("leader_accepted", term=self.term, leader=src)
        log = self.log
        last_new = log.receive(msg.prev_log_index, msg.prev_log_term, msg.entries, ctx.persist)
        if last_new < 0:
            ctx.send(src, self._rejection(msg))
            return
        # Only entries this message vouched for are known to match the leader's: not beyond.
        leader_commit = msg.leader_commit
        self._commit(ctx, leader_commit if leader_commit < last_new else last_new)
        # The fields in order (positional: built once per message); no conflict to report.
        ctx.send(
            src,
            AppendEntriesReply(
                self.term, True, msg.prev_log_index, last_new, log.last_index, msg.sent_at
            ),
        )

    def _rejection(self, msg: AppendEntries) -> AppendEntriesReply:
        """The failure reply to ``msg``; from a follower of its term, with the conflict hint."""
        conflict_term: int | None = None
        conflict_index = 0
        if msg.term == self.term:
            if msg.prev_log_index > self.log.last_index:
                conflict_index = self.log.last_index + 1
            else:
                conflict_term = self.log.term_at(msg.prev_log_index)
                conflict_index = self.log.first_index_of_term(msg.prev_log_index)
        return AppendEntriesReply(
            term=self.term,
            success=False,
            prev_log_index=msg.prev_log_index,
            match_index=0,
            last_log_index=self.log.last_index,
            sent_at=msg.sent_at,
            conflict_term=conflict_term,
            conflict_index=conflict_index,
        )

    # -- replication: leader side ---------------------------------------------------------------

    def _append(self, ctx: Context, op: Op, request: Request | None = None) -> None:
        entry = Entry(self.term, op)
        index = self.log.append(entry)
        self.log.persist_from(ctx.persist, index)
        if request is not None:
            self._pending[index] = request
            ctx.emit("proposed", op_id=op.op_id)
        built: dict[int, AppendEntries] = {}
        followers, window = self._followers, self._max_inflight
        for peer in ctx.peers:
            follower = followers[peer]
            if follower.next_index == index and not follower.probing:
                # A follower keeping up: the new entry alone, if its window has room. This is
                # what `_send_entries` would send it, without the call (one per peer per entry).
                if len(follower.inflight) < window:
                    msg = built.get(index - 1)
                    if msg is None:
                        msg = built[index - 1] = self._append_entries(ctx, index - 1, (entry,))
                    ctx.send(peer, msg)
                    follower.inflight.append(index)
                    follower.next_index = index + 1
            else:
                self._send_entries(ctx, peer, built)
        if self._majority == 1:  # a cluster of one is its own majority
            self._commit(ctx, index)

    def _send_entries(
        self, ctx: Context, peer: str, built: dict[int, AppendEntries] | None = None
    ) -> bool:
        """Send the entries the follower lacks, as far as its window allows; whether any went.

        ``built`` holds the AppendEntries made so far in one handler's round of sends, by
        prev_log_index: in that round the log, the commit index and the clock stay put, so
        followers that keep up all need the same message. It is built once and shared, as a
        broadcast shares its message (messages are immutable).
        """
        if built is None:
            built = {}
        follower = self._followers[peer]
        window = 1 if follower.probing else self._max_inflight
        inflight, log = follower.inflight, self.log
        sent = False
        while len(inflight) < window and follower.next_index <= log.last_index:
            prev_index = follower.next_index - 1
            msg = built.get(prev_index)
            if msg is None:
                entries = log.entries_from(prev_index + 1, self._max_batch)
                msg = built[prev_index] = self._append_entries(ctx, prev_index, entries)
            ctx.send(peer, msg)
            last = prev_index + len(msg.entries)
            inflight.append(last)
            if not follower.probing:
                follower.next_index = last + 1
            sent = True
        return sent

    def _append_entries(
        self, ctx: Context, prev_index: int, entries: tuple[Entry, ...]
    ) -> AppendEntries:
        """An AppendEntries of ``entries``, which follow ``prev_index`` in this leader's log."""
        # The fields in order (positional: cheaper than keywords, and built per send).
        prev_term = self.log.term_at(prev_index)
        return AppendEntries(
            self.term, self.node_id, prev_index, prev_term, entries, self.commit_index, ctx.now
        )

    def _heartbeat(self, ctx: Context) -> None:
        built: dict[int, AppendEntries] = {}
        for peer in ctx.peers:
            follower = self._followers[peer]
            if follower.probing:  # the probe or its answer may be lost: ask again
                follower.inflight.clear()
            if not self._send_entries(ctx, peer, built):
                # At the optimistic end of the log: a follower that lost a batch rejects it, which
                # is how a pipeline recovers from loss.
                ctx.send(peer, self._append_entries(ctx, follower.next_index - 1, ()))
        ctx.set_timer("heartbeat", self.cfg.heartbeat)

    def _on_append_reply(self, ctx: Context, src: str, msg: AppendEntriesReply) -> None:
        if self.role != "leader" or msg.term != self.term:
            return
        follower = self._followers[src]
        # (Comparisons rather than max(): a builtin call costs more, and this runs per reply.)
        if msg.sent_at > follower.last_ack:
            follower.last_ack = msg.sent_at
        if msg.success:
            matched = msg.match_index
            if matched > follower.match_index:
                if matched > self.commit_index:  # (else a majority has it all: nothing to count)
                    self._count_acks(ctx, follower.match_index, matched)
                follower.match_index = matched
            if matched >= follower.next_index:
                follower.next_index = matched + 1
            follower.probing = False
            inflight = follower.inflight
            while inflight and inflight[0] <= matched:
                inflight.popleft()
        elif self._rejection_is_current(follower, msg.prev_log_index):
            follower.next_index = self._backed_off(follower, msg)
            follower.probing = True
            follower.inflight.clear()
        if follower.next_index <= self.log.last_index:  # (a follower keeping up has all entries)
            self._send_entries(ctx, src)

    @staticmethod
    def _rejection_is_current(follower: _Follower, prev_index: int) -> bool:
        """A rejection answers a probe still pending, or breaks the pipeline above match_index;
        others are stale (reordered, duplicated, or answering an earlier probe)."""
        if prev_index <= follower.match_index:
            return False
        return not follower.probing or prev_index == follower.next_index - 1

    def _backed_off(self, follower: _Follower, msg: AppendEntriesReply) -> int:
        """The next guess of next_index after a rejection of ``msg.prev_log_index``."""
        if self.cfg.conflict_term:
            guess = msg.conflict_index
            if msg.conflict_term is not None:
                last = self.log.last_index_of_term(msg.conflict_term)
                if last is not None:
                    guess = last + 1
        else:
            guess = min(msg.prev_log_index, msg.last_log_index + 1)
        # Never below what is known to match, never above the rejected probe.
        return max(follower.match_index + 1, min(guess, msg.prev_log_index))

    def _count_acks(self, ctx: Context, old: int, new: int) -> None:
        """A follower's match index rose from ``old`` to ``new`` (above the commit index): count
        it as holding each index in between that is not committed yet, and commit the highest
        one a majority now holds, if it is of this term.

        ``_acks[i]`` is the number of followers whose match index is at least i, kept for the
        indices above the commit index; the leader holds them all. Only indices whose count just
        changed can newly reach a majority: every earlier change ran this check and committed
        what it could. (A sort of all match indexes per acknowledgment would cost O(n log n)
        per message: at 301 nodes it was a fifth of the run.)
        """
        low = old if old > self.commit_index else self.commit_index
        acks, needed = self._acks, self._majority - 1
        # The counts fall (or stay) as the index rises, so the last one to reach `needed` is the
        # highest index a majority holds.
        top = 0
        for index in range(low + 1, new + 1):
            count = acks[index] = acks.get(index, 0) + 1
            if count >= needed:
                top = index
        # Figure 8: counting replicas commits only entries of the current term (and with them,
        # everything before). Terms never decrease along the log, so if this one is older, so
        # are all below it.
        if top and self.log.term_at(top) == self.term:
            for done in range(self.commit_index + 1, top + 1):
                acks.pop(done, None)
            self._commit(ctx, top)

    def _quorum_contact(self, ctx: Context) -> float:
        """The newest time such that a majority (self included) acknowledged a send since."""
        acks = sorted(
            [ctx.now, *(f.last_ack for f in self._followers.values())],
            reverse=True,
        )
        return acks[self._majority - 1]

    # -- the state machine ----------------------------------------------------------------------

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

    def _commit(self, ctx: Context, index: int) -> None:
        """Raise the commit index to ``index`` (if higher) and apply in log order."""
        if index <= self.commit_index:
            return
        self.commit_index = index
        first = self.last_applied + 1
        pending, kv = self._pending, self.kv
        for applied, entry in enumerate(self.log.entries_from(first, index - first + 1), first):
            self.last_applied = applied
            op = entry.op
            if op.op == "write":  # most entries: applied here, without a call
                kv[op.key] = op.value
                result = OK
            else:
                result = self._apply(op)
            ctx.decide(applied, op)
            if pending:  # (only a leader answers clients)
                request = pending.pop(applied, None)
                if request is not None:
                    ctx.reply(request, result)

    def _apply(self, op: Op) -> Result:
        """Apply an operation other than a write (`_commit` applies those itself)."""
        match op.op:
            case "read":
                return Result("ok", value=self.kv.get(op.key))
            case "cas":
                expected, new = op.value
                if self.kv.get(op.key) != expected:
                    return Result("fail")
                self.kv[op.key] = new
                return Result("ok", value=True)
            case "noop":
                return OK
        raise ValueError(f"unknown operation {op.op!r} at a Raft node")


# on_message's dispatch table: the handler of each message type.
_HANDLERS: dict[type, Callable[[Raft, Context, str, Any], None]] = {
    AppendEntries: Raft._on_append_entries,
    AppendEntriesReply: Raft._on_append_reply,
    RequestVote: Raft._on_request_vote,
    RequestVoteReply: Raft._on_vote_reply,
    PreVote: Raft._on_prevote,
    PreVoteReply: Raft._on_prevote_reply,
}
