"""Raft's replication: the AppendEntries RPC on both sides (Figure 2), pipelined and batched,
the commit rule (Figure 8), and applying committed entries to the key-value store."""

from __future__ import annotations

from sim.protocols.api import Context, Op, Request, events
from sim.protocols.raft.messages import AppendEntries, AppendEntriesReply, Entry
from sim.protocols.raft.progress import Progress
from sim.protocols.raft.state import RaftState


class Replication(RaftState):
    # -- follower side (messages of the current term: `Raft.on_message` compared the terms) ------

    def _on_append_entries(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        """A follower's: the leader of this term is heard. Follow it, wait its election timeout
        again, and take the entries if the log matches where they go."""
        self.leader = src
        self._leader_contact = ctx.now
        self._failed_elections = 0
        # The timeout drawn when this node became follower of this term: no new draw per message
        # (etcd's stepFollower zeroes electionElapsed; see `_draw_election_timeout`).
        ctx.set_timer("election", self._randomized_timeout)
        if self._accepted_term != self.term:
            self._accepted_term = self.term
            events.follows(ctx, src, self.term)
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

    def _on_append_entries_as_rival(self, ctx: Context, src: str, msg: AppendEntries) -> None:
        """A (pre)candidate's or a leader's: another node leads this term, so follow it."""
        self._become_follower(ctx, msg.term)
        self._on_append_entries(ctx, src, msg)

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

    # -- leader side ----------------------------------------------------------------------------

    def _append(self, ctx: Context, op: Op, request: Request | None = None) -> None:
        """Append ``op`` to the leader's log, persist it, and send it to every follower."""
        entry = Entry(self.term, op)
        index = self.log.append(entry)
        self.log.persist_from(ctx.persist, index)
        if request is not None:
            self._pending[index] = request
            events.proposed(ctx, op.op_id)
        if self._all_keep_up(index):
            # Each follower needs this one entry and nothing else (what `_send_entries` would send
            # it): one AppendEntries for all.
            ctx.broadcast(self._append_entries(ctx, index - 1, (entry,)))
            for progress in self._progress.values():
                progress.inflight.append(index)
                progress.next_index = index + 1
        else:
            built: dict[int, AppendEntries] = {}
            for peer in ctx.peers:
                self._send_entries(ctx, peer, built)
        if self._commits.needed <= 0:  # a cluster of one is its own majority
            self._commit(ctx, index)

    def _all_keep_up(self, index: int) -> bool:
        """Whether every follower pipelines, has room in its window and was sent every entry
        before ``index``: the common case, for which `_append` broadcasts."""
        window = self._max_inflight
        for progress in self._progress.values():  # (a loop: a generator in all() costs more)
            if progress.probing or progress.next_index != index or len(progress.inflight) >= window:
                return False
        return True

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
        progress = self._progress[peer]
        window = 1 if progress.probing else self._max_inflight
        inflight, log = progress.inflight, self.log
        sent = False
        while len(inflight) < window and progress.next_index <= log.last_index:
            prev_index = progress.next_index - 1
            msg = built.get(prev_index)
            if msg is None:
                entries = log.entries_from(prev_index + 1, self._max_batch)
                msg = built[prev_index] = self._append_entries(ctx, prev_index, entries)
            ctx.send(peer, msg)
            last = prev_index + len(msg.entries)
            inflight.append(last)
            if not progress.probing:
                progress.next_index = last + 1
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
            progress = self._progress[peer]
            if progress.probing:  # the probe or its answer may be lost: ask again
                progress.inflight.clear()
            if not self._send_entries(ctx, peer, built):
                # At the optimistic end of the log: a follower that lost a batch rejects it, which
                # is how a pipeline recovers from loss.
                ctx.send(peer, self._append_entries(ctx, progress.next_index - 1, ()))
        ctx.set_timer("heartbeat", self.cfg.heartbeat)

    def _on_append_reply(self, ctx: Context, src: str, msg: AppendEntriesReply) -> None:
        """A leader's: a follower's answer in this term."""
        progress = self._progress[src]
        if msg.sent_at > progress.last_ack:  # (not max(): a builtin call costs more)
            progress.last_ack = msg.sent_at
        if msg.success:
            matched, old = msg.match_index, progress.match_index
            progress.acknowledged(matched)
            # (At or below the commit index a majority has it all: nothing to count.)
            if matched > old and matched > self.commit_index:
                self._count_acks(ctx, src, old, matched)
        elif progress.rejection_is_current(msg.prev_log_index):
            progress.probe_from(self._backed_off(progress, msg))
        if progress.next_index <= self.log.last_index:  # (a follower keeping up has all entries)
            self._send_entries(ctx, src)

    def _backed_off(self, progress: Progress, msg: AppendEntriesReply) -> int:
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
        return max(progress.match_index + 1, min(guess, msg.prev_log_index))

    def _count_acks(self, ctx: Context, src: str, old: int, new: int) -> None:
        """``src``'s match index rose from ``old`` to ``new`` (above the commit index): count it
        as holding each index in between that is not committed yet, and commit the highest one
        a majority now holds, if it is of this term.

        `QuorumTracker.ack_through` keeps a count per index above the commit index. Only indices
        whose count just changed can newly reach a majority: every earlier change ran this check
        and committed what it could. (A sort of all match indexes per acknowledgment would cost
        O(n log n) per message: at 301 nodes it was a fifth of the run.)
        """
        commit_index = self.commit_index
        top = self._commits.ack_through(old if old > commit_index else commit_index, new, src)
        # Figure 8: counting replicas commits only entries of the current term (and with them,
        # everything before). Terms never decrease along the log, so if this one is older, so
        # are all below it.
        if top and self.log.term_at(top) == self.term:
            self._commits.forget_range(commit_index + 1, top)
            self._commit(ctx, top)

    def _quorum_contact(self, ctx: Context) -> float:
        """The newest time such that a majority (self included) acknowledged a send since."""
        acks = {peer: progress.last_ack for peer, progress in self._progress.items()}
        acks[self.node_id] = ctx.now
        return self._quorum.newest_common_time(acks)

    # -- the state machine ----------------------------------------------------------------------

    def _commit(self, ctx: Context, index: int) -> None:
        """Raise the commit index to ``index`` (if higher) and apply in log order."""
        if index <= self.commit_index:
            return
        self.commit_index = index
        first = self.last_applied + 1
        pending, apply = self._pending, self.kv.apply
        for applied, entry in enumerate(self.log.entries_from(first, index - first + 1), first):
            self.last_applied = applied
            op = entry.op
            result = apply(op)
            ctx.decide(applied, op)
            if pending:  # (only a leader answers clients)
                request = pending.pop(applied, None)
                if request is not None:
                    ctx.reply(request, result)
