"""Realistic Raft bugs, one subclass each, loaded by scenarios as ``tests.mutants.raft:Name``.

Each overrides the one method the bug lives in, copied from `sim.protocols.raft` with the bug
planted (marked ``# BUG``). Raft dispatches messages through a table of its own functions, so
each mutant rebuilds the table with its overrides (`_rebind`).
"""

from __future__ import annotations

from typing import Any

from sim.protocols.api import Context, QuorumTracker, events
from sim.protocols.raft.log import RaftLog
from sim.protocols.raft.messages import (
    AppendEntries,
    AppendEntriesReply,
    PreVote,
    RequestVote,
    RequestVoteReply,
)
from sim.protocols.raft.progress import Progress
from sim.protocols.raft.protocol import Raft


def _rebind(cls: type[Raft]) -> type[Raft]:
    """Point the mutant's dispatch table at its own handlers."""
    cls._steps = {
        role: {kind: getattr(cls, handler.__name__, handler) for kind, handler in table.items()}
        for role, table in Raft._steps.items()
    }
    return cls


@_rebind
class Figure8(Raft):
    """A leader commits an entry of an earlier term by counting replicas (Figure 8), as an
    implementation of Figure 2 without its "log[N].term == currentTerm" clause does. Like
    Figure 2 it appends no no-op when elected (the no-op is how `Raft` lets earlier entries
    commit under one of its own term)."""

    def _become_leader(self, ctx: Context) -> None:
        self._become("leader")
        self.leader = self.node_id
        self._failed_elections = 0
        ctx.cancel_timer("election")
        events.became_leader(ctx, self.term)
        self._progress = {peer: Progress(self.log.last_index + 1) for peer in ctx.peers}
        self._commits = QuorumTracker(self._quorum, owner=self.node_id)
        self._heartbeat(ctx)  # (no no-op entry of this term)
        if self.cfg.check_quorum:
            ctx.set_timer("check_quorum", self._min_timeout)

    def _count_acks(self, ctx: Context, src: str, old: int, new: int) -> None:
        commit_index = self.commit_index
        top = self._commits.ack_through(old if old > commit_index else commit_index, new, src)
        if top:  # BUG: and self.log.term_at(top) == self.term
            self._commits.forget_range(commit_index + 1, top)
            self._commit(ctx, top)


@_rebind
class VoteNotPersisted(Raft):
    """A granted vote is kept in memory only: a restart between two RequestVotes of one term
    votes twice."""

    def _on_request_vote(self, ctx: Context, src: str, msg: RequestVote) -> None:
        granted = self.voted_for in (None, msg.candidate) and self.log.candidate_up_to_date(
            msg.last_log_term, msg.last_log_index
        )
        if granted:
            self.voted_for = msg.candidate  # BUG: ctx.persist("voted_for", msg.candidate)
            ctx.set_timer("election", self._randomized_timeout)
        ctx.send(src, RequestVoteReply(self.term, granted))


@_rebind
class TermNotPersisted(Raft):
    """A node adopting a higher term does not persist it: after a restart it is back in the old
    term with no vote, and votes again in the new one."""

    def _become_follower(self, ctx: Context, term: int) -> None:
        led_term, was_leader = self.term, self.role == "leader"
        if term > self.term:
            self.term = term
            self.voted_for = None
            self.leader = None
            # BUG: ctx.persist("term", term)
            ctx.persist("voted_for", None)
        self._become("follower")
        self._draw_election_timeout(ctx)
        if was_leader:
            self.leader = None
            self._progress = {}
            self._pending = {}
            ctx.cancel_timer("heartbeat")
            ctx.cancel_timer("check_quorum")
            ctx.set_timer("election", self._randomized_timeout)
            events.stepped_down(ctx, led_term)


@_rebind
class ReplyBeforePersist(Raft):
    """A follower acknowledges entries before its disk write of them is done (the write is
    issued after the reply): only a crash during the write shows it, under durability: fsync."""

    def _on_append_entries(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        writes: list[tuple[str, Any]] = []
        defer = ctx.persist

        def later(key: str, value: Any) -> None:
            writes.append((key, value))

        ctx.persist = later  # type: ignore[method-assign]
        try:
            super()._on_append_entries(ctx, src, msg)  # BUG: replies, then writes
        finally:
            ctx.persist = defer  # type: ignore[method-assign]
        for key, value in writes:
            defer(key, value)


@_rebind
class CommitBeyondMatch(Raft):
    """A follower takes the leader's commit index as is, beyond the entries the message vouched
    for: it may commit entries of its own that the leader never had."""

    def _on_append_entries(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        self.leader = src
        self._leader_contact = ctx.now
        self._failed_elections = 0
        ctx.set_timer("election", self._randomized_timeout)
        log = self.log
        last_new = log.receive(msg.prev_log_index, msg.prev_log_term, msg.entries, ctx.persist)
        if last_new < 0:
            ctx.send(src, self._rejection(msg))
            return
        self._commit(ctx, min(msg.leader_commit, log.last_index))  # BUG: not min(.., last_new)
        ctx.send(
            src,
            AppendEntriesReply(
                self.term, True, msg.prev_log_index, last_new, log.last_index, msg.sent_at
            ),
        )


class _IndexOnlyLog(RaftLog):
    def candidate_up_to_date(self, last_term: int, last_index: int) -> bool:
        return last_index >= self.last_index  # BUG: the last term is not compared first


@_rebind
class UpToDateByLength(Raft):
    """A voter compares logs by length only: a longer log of stale terms wins the election."""

    def on_start(self, ctx: Context) -> None:
        super().on_start(ctx)
        self.log.__class__ = _IndexOnlyLog


@_rebind
class AcceptStaleLeader(Raft):
    """A follower takes AppendEntries from a deposed leader of an earlier term."""

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if type(msg) is AppendEntries and msg.term < self.term and self.role == "follower":
            self.leader = src  # BUG: should be refused with this node's term
            log = self.log
            last_new = log.receive(msg.prev_log_index, msg.prev_log_term, msg.entries, ctx.persist)
            if last_new >= 0:
                self._commit(ctx, min(msg.leader_commit, last_new))
            return
        super().on_message(ctx, src, msg)


@_rebind
class ApplyOnReceipt(Raft):
    """A follower applies entries as they arrive, before the leader commits them."""

    def _on_append_entries(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        super()._on_append_entries(ctx, src, msg)
        if msg.entries and self.log.matches(
            msg.prev_log_index + len(msg.entries), msg.entries[-1].term
        ):
            self._commit(ctx, msg.prev_log_index + len(msg.entries))  # BUG: not committed yet


@_rebind
class LeaderIgnoresHigherTerm(Raft):
    """A leader ignores messages of a higher term: deposed, it goes on taking requests that
    never commit (liveness only)."""

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if self.role == "leader" and msg.term > self.term and type(msg) is not PreVote:
            return  # BUG: should step down to the higher term
        super().on_message(ctx, src, msg)


@_rebind
class FixedElectionTimeout(Raft):
    """Every election timeout is the range's minimum, not a random draw from it: nodes that lost
    their leader at the same moment stand at the same moment, again and again, and split the
    vote (liveness only)."""

    def _draw_election_timeout(self, ctx: Context) -> None:
        low, _ = self._election_timeout
        self._randomized_timeout = low  # BUG: ctx.uniform(low, high)


@_rebind
class BackoffSkipsEntries(Raft):
    """After a rejection the leader skips one entry past the follower's last (off by one): a
    follower that fell behind never catches up (liveness only, once a majority needs it)."""

    def _backed_off(self, progress: Progress, msg: AppendEntriesReply) -> int:
        # BUG: + 1 (and not kept at or below the rejected probe, as `Raft` keeps it)
        guess = min(msg.last_log_index + 2, self.log.last_index + 1)
        return max(progress.match_index + 1, guess)


MUTANTS = [
    Figure8,
    VoteNotPersisted,
    TermNotPersisted,
    ReplyBeforePersist,
    CommitBeyondMatch,
    UpToDateByLength,
    AcceptStaleLeader,
    ApplyOnReceipt,
    LeaderIgnoresHigherTerm,
    FixedElectionTimeout,
    BackoffSkipsEntries,
]
