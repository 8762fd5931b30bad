"""The acceptor: promises (phase 1b) and votes (phase 2b), each on disk before it is answered.

Durable layout: ``promised`` (the ballot) and ``votes`` (a list, slot s at index s - 1, of the
`Vote` accepted there or None). The list is the very object the durable store holds: each change
is persisted in the handler that makes it, before any answer leaves.
"""

from __future__ import annotations

from sim.protocols.api import Context, Op
from sim.protocols.multipaxos.messages import Accept, Accepted, Nack, Prepare, Promise, Vote
from sim.protocols.multipaxos.state import PROMISED_KEY, VOTES_KEY, PaxosState

ACCEPTED = "accepted"  # an acceptor voted: ballot, first, ops (the invariants count them)
PROMISED = "promised"  # an acceptor promised a ballot in phase 1


class Acceptor(PaxosState):
    def _persist_promise(self, ctx: Context, ballot: int) -> None:
        ctx.persist(PROMISED_KEY, ballot)

    def _promise_to(self, ctx: Context, ballot: int) -> None:
        """Promise ``ballot`` (higher than any before): refuse every lower one from now on."""
        self.promised = ballot
        if ballot > self.max_seen:
            self.max_seen = ballot
        self._persist_promise(ctx, ballot)
        ctx.emit(PROMISED, ballot=ballot)

    def _on_prepare(self, ctx: Context, src: str, msg: Prepare) -> None:
        ballot = msg.ballot
        if ballot < self.promised:
            ctx.send(src, Nack(self.promised, ballot))
            return
        if ballot > self.promised:
            # With leases, a node that heard its leader within the minimum timeout (or leads)
            # promises no one else: the leader's lease counts on it.
            if self._lease and (
                self.role == "leader"
                or (ctx.now - self._leader_contact < self._min_timeout and src != self.leader)
            ):
                return
            if self.role != "follower":
                self._step_down(ctx, ballot)
            self._promise_to(ctx, ballot)
            self.leader = None
            self._reset_election_timer(ctx)  # give the proposer time to win
        # (An equal ballot is its proposer's Prepare again: answer it again.)
        ctx.send(src, self._report(ballot, msg.first))

    def _report(self, ballot: int, first: int) -> Promise:
        """This acceptor's phase-1b answer: what it knows chosen from ``first``, and its votes
        above that."""
        commit = self.commit
        chosen = tuple(self.log[first - 1 : commit]) if commit >= first else ()
        start = max(commit, first - 1)  # votes of slots start + 1 ..
        accepted = tuple(
            (slot, vote)
            for slot, vote in enumerate(self.votes[start:], start + 1)
            if vote is not None
        )
        return Promise(ballot, first, commit, chosen, accepted)

    def _on_accept(self, ctx: Context, src: str, msg: Accept) -> None:
        ballot = msg.ballot
        if ballot < self.promised:
            ctx.send(src, Nack(self.promised, ballot))
            return
        if ballot > self.promised:
            if self.role != "follower":
                self._step_down(ctx, ballot)
            self.promised = ballot
            if ballot > self.max_seen:
                self.max_seen = ballot
            self._persist_promise(ctx, ballot)
        self._follow(ctx, src, ballot)
        self._accept(ctx, ballot, msg.first, msg.ops)
        ctx.send(src, Accepted(ballot, msg.first, msg.sent_at))
        if msg.commit > self.commit:
            self._learn_up_to(ctx, ballot, msg.commit)

    def _accept(self, ctx: Context, ballot: int, first: int, ops: tuple[Op, ...]) -> None:
        """Vote for ``ops`` at slots ``first`` .. in ``ballot`` (not below the promise), on disk."""
        votes = self.votes
        end = len(votes)
        if first == end + 1:  # the common case, the next slots: append
            votes.extend([Vote(ballot, op) for op in ops])
        else:
            last = first + len(ops) - 1
            if end < last:
                votes.extend([None] * (last - end))
            for slot, op in enumerate(ops, first):
                votes[slot - 1] = Vote(ballot, op)
        ctx.persist(VOTES_KEY, votes)
        ctx.emit(ACCEPTED, ballot=ballot, first=first, ops=ops)
