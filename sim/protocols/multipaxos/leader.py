"""The proposer: campaigns (phase 1 for every slot above its commit point), the merge of what a
phase-1 quorum reported, phase 2 pipelined (``window``) and batched (``max_batch``), heartbeats,
retransmission, and stepping down when preempted."""

from __future__ import annotations

import math

from sim.protocols.api import Context, Op, Request, events
from sim.protocols.multipaxos import ballot as ballots
from sim.protocols.multipaxos.messages import (
    Accept,
    Accepted,
    Commit,
    Heartbeat,
    HeartbeatReply,
    Nack,
    Prepare,
    Promise,
)
from sim.protocols.multipaxos.state import Batch, PaxosState

PREPARED = "prepared"  # a leader's phase 1 is done: ballot, first, quorum, top


class Leader(PaxosState):
    # -- timers ---------------------------------------------------------------------------------

    def _reset_election_timer(self, ctx: Context) -> None:
        low, high = self._election_timeout
        ctx.set_timer("election", ctx.uniform(low, high))

    def _election_timer(self, ctx: Context) -> None:
        """No leader heard for an election timeout, or a campaign not won in one: campaign."""
        if self.role != "leader":
            self._campaign(ctx)

    # -- phase 1 --------------------------------------------------------------------------------

    def _campaign(self, ctx: Context) -> None:
        """Phase 1 in a ballot above every one heard of, for every slot above the commit point."""
        n = len(self.nodes)
        seen = max(self.max_seen, self.promised)
        self.ballot = ballots.make(ballots.round_of(seen, n) + 1, self.index, n)
        self.role = "candidate"
        self.leader = None
        self._promise_to(ctx, self.ballot)
        events.campaign_started(ctx, self.ballot)
        self._first = first = self.commit + 1
        self._promises = {self.node_id: self._report(self.ballot, first)}
        ctx.broadcast(Prepare(self.ballot, first))
        self._reset_election_timer(ctx)
        if self.phase1.is_quorum(self._promises):
            self._become_leader(ctx)

    def _on_promise(self, ctx: Context, src: str, msg: Promise) -> None:
        if self.role != "candidate" or msg.ballot != self.ballot:
            return  # an earlier campaign's, or one already won
        self._promises[src] = msg
        if self.phase1.is_quorum(self._promises):
            self._become_leader(ctx)

    def _merge(self) -> tuple[tuple[Op, ...], int, dict[int, Op]]:
        """What the phase-1 quorum reported: the chosen operations from ``_first`` that the
        acceptor knowing most reported, the slot they end at, and above it the operation of the
        highest ballot voted at each slot."""
        best = max(self._promises.values(), key=lambda promise: promise.commit)
        chosen = best.chosen if best.commit >= self._first else ()
        known = self._first - 1 + len(chosen)
        highest: dict[int, tuple[int, Op]] = {}
        for promise in self._promises.values():
            for slot, vote in promise.accepted:
                if slot > known:
                    held = highest.get(slot)
                    if held is None or vote.ballot > held[0]:
                        highest[slot] = (vote.ballot, vote.op)
        return chosen, known, {slot: op for slot, (_, op) in highest.items()}

    def _become_leader(self, ctx: Context) -> None:
        self.role = "leader"
        self.leader, self.leader_ballot = self.node_id, self.ballot
        ctx.cancel_timer("election")
        events.became_leader(ctx, self.ballot)
        chosen, known, voted = self._merge()
        top = max(known, max(voted, default=0))
        self.merge_top = top
        ctx.emit(
            PREPARED,
            ballot=self.ballot,
            first=self._first,
            quorum=tuple(sorted(self._promises)),
            top=top,
        )
        self._promises = {}
        for slot, op in enumerate(chosen, self._first):
            self._learn(ctx, slot, op)
        # Every slot up to the top is proposed again in this ballot: its value if one was voted
        # there, else a no-op, so that the log has no holes.
        start = self.commit + 1
        slot_ops = [
            voted.get(slot) or Op(f"noop:{self.node_id}:{self.ballot}:{slot}", "noop")
            for slot in range(start, top + 1)
        ]
        size = self.cfg.max_batch
        self._backlog.clear()
        for offset in range(0, len(slot_ops), size):
            self._backlog.append((start + offset, tuple(slot_ops[offset : offset + size])))
        self._next_slot = max(top, self.commit) + 1
        self._acked = {}
        self._heartbeat(ctx)
        self._fill_window(ctx)

    # -- phase 2 --------------------------------------------------------------------------------

    def _enqueue(self, ctx: Context, op: Op, request: Request | None) -> None:
        self._queue.append((op, request))
        events.proposed(ctx, op.op_id)
        self._fill_window(ctx)

    def _fill_window(self, ctx: Context) -> None:
        """Propose what waits (merged slots first) while fewer than ``window`` batches are in
        flight: operations queued meanwhile go together in the next batch."""
        inflight, backlog, queue = self._inflight, self._backlog, self._queue
        while len(inflight) < self.cfg.window:
            if backlog:
                first, ops = backlog.popleft()
            elif queue:
                first = self._next_slot
                taken = []
                for slot in range(first, first + min(len(queue), self.cfg.max_batch)):
                    op, request = queue.popleft()
                    taken.append(op)
                    if request is not None:
                        self._pending[slot] = request
                ops = tuple(taken)
                self._next_slot = first + len(ops)
            else:
                return
            self._propose(ctx, first, ops)

    def _propose(self, ctx: Context, first: int, ops: tuple[Op, ...]) -> None:
        """Phase 2a for a batch: vote for it here (on disk before the Accepts leave), send it."""
        self._accept(ctx, self.ballot, first, ops)
        now = ctx.now
        ctx.broadcast(Accept(self.ballot, first, ops, self.commit, now))
        batch = self._inflight[first] = Batch(first, ops, now, {self.node_id})
        if self.phase2.is_quorum(batch.voters):
            self._chosen(ctx, batch)

    def _on_accepted(self, ctx: Context, src: str, msg: Accepted) -> None:
        if self.role != "leader" or msg.ballot != self.ballot:
            return
        if msg.sent_at > self._acked.get(src, -math.inf):
            self._acked[src] = msg.sent_at
        batch = self._inflight.get(msg.first)
        if batch is None:  # chosen already (a duplicate or a late answer)
            return
        voters = batch.voters
        voters.add(src)
        if self.phase2.is_quorum(voters):
            self._chosen(ctx, batch)
            self._fill_window(ctx)

    def _chosen(self, ctx: Context, batch: Batch) -> None:
        del self._inflight[batch.first]
        before = self.commit
        for slot, op in enumerate(batch.ops, batch.first):
            self._learn(ctx, slot, op)
        if self._eager and self.commit > before:
            ctx.broadcast(Commit(self.ballot, self.commit))

    # -- heartbeats, leases, preemption ---------------------------------------------------------

    def _heartbeat(self, ctx: Context) -> None:
        """Tell the followers this leader lives (and its commit point); send again the batches
        not chosen within a heartbeat period to the acceptors that have not answered them."""
        now = ctx.now
        ctx.broadcast(Heartbeat(self.ballot, self.commit, now))
        for batch in self._inflight.values():
            if now - batch.sent_at >= self._heartbeat_every:
                batch.sent_at = now
                msg = Accept(self.ballot, batch.first, batch.ops, self.commit, now)
                for peer in ctx.peers:
                    if peer not in batch.voters:
                        ctx.send(peer, msg)
        ctx.set_timer("heartbeat", self._heartbeat_every)

    def _on_heartbeat_reply(self, ctx: Context, src: str, msg: HeartbeatReply) -> None:
        if msg.ballot == self.ballot and msg.sent_at > self._acked.get(src, -math.inf):
            self._acked[src] = msg.sent_at

    def _holds_lease(self, ctx: Context) -> bool:
        """Whether no other leader can be elected now, and this one has applied every slot its
        phase 1 found (so its state holds every write answered before)."""
        if self.role != "leader" or self.commit < self.merge_top:
            return False
        times = {**self._acked, self.node_id: ctx.now}
        return self.lease_quorum.newest_common_time(times) > ctx.now - self._min_timeout

    def _on_nack(self, ctx: Context, src: str, msg: Nack) -> None:
        if msg.ballot > self.max_seen:
            self.max_seen = msg.ballot
        if self.role != "follower" and msg.refused == self.ballot and msg.ballot > self.ballot:
            self._step_down(ctx, msg.ballot)

    def _step_down(self, ctx: Context, seen: int) -> None:
        """A higher ballot ``seen`` preempts this campaign or leadership: follow, and drop the
        clients' requests unanswered (they may still be chosen under the next leader)."""
        if seen > self.max_seen:
            self.max_seen = seen
        was_leader = self.role == "leader"
        self.role = "follower"
        self._promises = {}
        if was_leader:
            self.leader = None
            self._queue.clear()
            self._backlog.clear()
            self._inflight = {}
            self._pending = {}
            ctx.cancel_timer("heartbeat")
            events.stepped_down(ctx, self.ballot)
        self._reset_election_timer(ctx)
