"""The learner: the chosen log, applied in slot order, and how a replica learns what was
chosen: from its own votes of the leader's ballot below the leader's commit point (piggy-backed
or eager), else by asking the leader (catch-up), as a lagging or restarted replica does."""

from __future__ import annotations

from sim.protocols.api import Context, Op, events
from sim.protocols.multipaxos.messages import (
    CatchUp,
    Chosen,
    Commit,
    Heartbeat,
    HeartbeatReply,
    Nack,
)
from sim.protocols.multipaxos.state import PaxosState

CATCH_UP_BATCH = 1024  # chosen operations per Chosen message


class Learner(PaxosState):
    def _learn(self, ctx: Context, slot: int, op: Op) -> None:
        """``op`` is chosen at ``slot``: apply it and every slot after it already known, in order
        (answering the clients of those this node proposed)."""
        if slot <= self.commit:
            return
        if slot > self.commit + 1:
            self._ahead[slot] = op
            return
        ahead, pending, log, apply = self._ahead, self._pending, self.log, self.kv.apply
        while True:
            log.append(op)
            self.commit = slot
            result = apply(op)
            ctx.decide(slot, op)
            if pending:  # (only a leader answers clients)
                request = pending.pop(slot, None)
                if request is not None:
                    ctx.reply(request, result)
            slot += 1
            if not ahead:
                return
            next_op = ahead.pop(slot, None)
            if next_op is None:
                return
            op = next_op

    def _learn_up_to(self, ctx: Context, ballot: int, point: int) -> None:
        """The leader of ``ballot`` says every slot up to ``point`` is chosen. A slot this node
        voted for in that ballot holds the leader's value (one proposal per slot per ballot);
        for any other, ask the leader."""
        if point > self._leader_commit and ballot == self.leader_ballot:
            self._leader_commit = point
        votes = self.votes
        while self.commit < point:
            slot = self.commit + 1
            op = self._ahead.pop(slot, None)
            if op is None:
                vote = votes[slot - 1] if slot <= len(votes) else None
                if vote is None or vote.ballot != ballot:
                    self._ask_catch_up(ctx)
                    return
                op = vote.op
            self._learn(ctx, slot, op)

    def _ask_catch_up(self, ctx: Context) -> None:
        """Ask the leader for the chosen slots from the first this node lacks (once per
        heartbeat period, unless an answer just came)."""
        if self.leader is None or ctx.now - self._asked_at < self._heartbeat_every:
            return
        self._asked_at = ctx.now
        ctx.send(self.leader, CatchUp(self.leader_ballot, self.commit + 1))

    def _on_catch_up(self, ctx: Context, src: str, msg: CatchUp) -> None:
        if msg.first <= self.commit:
            ops = tuple(self.log[msg.first - 1 : msg.first - 1 + CATCH_UP_BATCH])
            ctx.send(src, Chosen(self.ballot, msg.first, ops))

    def _on_chosen(self, ctx: Context, src: str, msg: Chosen) -> None:
        for slot, op in enumerate(msg.ops, msg.first):
            self._learn(ctx, slot, op)
        if self.commit < self._leader_commit:  # more to fetch: ask at once
            self._asked_at = -self._heartbeat_every
            self._learn_up_to(ctx, self.leader_ballot, self._leader_commit)

    def _follow(self, ctx: Context, leader: str, ballot: int) -> None:
        """A message of the leader of ``ballot`` (not below the promise) arrived: follow it."""
        self._leader_contact = ctx.now
        if ballot != self.leader_ballot or self.leader != leader:
            self.leader, self.leader_ballot = leader, ballot
            self._leader_commit = 0
        if ballot > self.max_seen:
            self.max_seen = ballot
        if self._followed != ballot:
            self._followed = ballot
            events.follows(ctx, leader, ballot)
        self._reset_election_timer(ctx)

    def _on_heartbeat(self, ctx: Context, src: str, msg: Heartbeat) -> None:
        ballot = msg.ballot
        if ballot < self.promised:
            ctx.send(src, Nack(self.promised, ballot))
            return
        if self.role != "follower":
            self._step_down(ctx, ballot)
        self._follow(ctx, src, ballot)
        if self._lease:
            ctx.send(src, HeartbeatReply(ballot, msg.sent_at))
        self._learn_up_to(ctx, ballot, msg.commit)

    def _on_commit(self, ctx: Context, src: str, msg: Commit) -> None:
        if msg.ballot >= self.promised and msg.ballot == self.leader_ballot:
            self._learn_up_to(ctx, msg.ballot, msg.commit)
