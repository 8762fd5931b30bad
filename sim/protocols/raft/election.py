"""Raft's elections: terms, votes and roles (Figure 2's RequestVote RPC and the candidate's
rules), with PreVote (thesis 9.6), CheckQuorum (6.2), leader stickiness (4.2.3) and the
candidate timeout's back-off."""

from __future__ import annotations

from sim.protocols.api import Context, Op, QuorumTracker, events
from sim.protocols.raft.messages import PreVote, PreVoteReply, RequestVote, RequestVoteReply
from sim.protocols.raft.progress import Progress
from sim.protocols.raft.state import RaftState

# Back-off doubles the candidate timeout after each failed election, up to 2**3 = 8 times: enough
# to spread contending candidates apart, without leaving a cluster leaderless for seconds once the
# contention is over.
MAX_BACKOFF_DOUBLINGS = 3


class Election(RaftState):
    # -- timers ---------------------------------------------------------------------------------

    def _election_timer(self, ctx: Context) -> None:
        """No leader heard for an election timeout (or a candidacy timed out): campaign."""
        if self.role != "follower":
            self._failed_elections += 1
        if self.cfg.prevote:
            self._start_prevote(ctx)
        else:
            self._start_election(ctx)

    def _check_quorum(self, ctx: Context) -> None:
        """A leader that a majority has not answered for the minimum timeout steps down."""
        if self._quorum_contact(ctx) < ctx.now - self._min_timeout:
            self._become_follower(ctx, self.term)
        else:
            ctx.set_timer("check_quorum", self._min_timeout)

    def _draw_election_timeout(self, ctx: Context) -> None:
        """Draw the randomized election timeout of the role (and term) this node just took.

        As etcd's raft (raft.go): ``reset()``, which becomeFollower, becomeCandidate and
        becomeLeader call, draws it (``resetRandomizedElectionTimeout``), while a message from
        the leader (stepFollower, MsgApp) or a vote cast only zeroes ``electionElapsed``: the
        node waits the same timeout again (`_on_append_entries`, `_on_request_vote`). A
        pre-vote round draws too here, as it may have a candidate range of its own. (A draw
        per AppendEntries was a random number per message for nothing.)"""
        low, high = self._election_timeout
        if self.role in ("candidate", "precandidate"):
            if self.cfg.candidate_timeout is not None:
                low, high = self.cfg.candidate_timeout
            if self.cfg.candidate_backoff:
                scale = 2 ** min(self._failed_elections, MAX_BACKOFF_DOUBLINGS)
                low, high = low * scale, high * scale
        self._randomized_timeout = ctx.uniform(low, high)

    def _reset_election_timer(self, ctx: Context) -> None:
        """A new randomized timeout, and wait it from now."""
        self._draw_election_timeout(ctx)
        ctx.set_timer("election", self._randomized_timeout)

    def _heard_leader_recently(self, ctx: Context) -> bool:
        return self.role == "leader" or ctx.now - self._leader_contact < self._min_timeout

    def _is_sticky(self, ctx: Context) -> bool:
        """Whether to ignore a higher-term RequestVote because a leader is alive (thesis 4.2.3)."""
        sticky = self.cfg.check_quorum or self.cfg.read == "lease"
        return sticky and self._heard_leader_recently(ctx)

    # -- campaigns ------------------------------------------------------------------------------

    def _start_prevote(self, ctx: Context) -> None:
        self._become("precandidate")
        self.leader = None
        self._votes = {self.node_id}
        ctx.broadcast(PreVote(self.term + 1, self.node_id, self.log.last_index, self.log.last_term))
        self._reset_election_timer(ctx)
        if self._quorum.is_quorum(self._votes):
            self._start_election(ctx)

    def _start_election(self, ctx: Context) -> None:
        self._become("candidate")
        self.leader = None
        self.term += 1
        self.voted_for = self.node_id
        ctx.persist("term", self.term)
        ctx.persist("voted_for", self.voted_for)
        events.campaign_started(ctx, self.term)
        self._votes = {self.node_id}
        ctx.broadcast(RequestVote(self.term, self.node_id, self.log.last_index, self.log.last_term))
        self._reset_election_timer(ctx)
        if self._quorum.is_quorum(self._votes):
            self._become_leader(ctx)

    # -- votes (of the current term: `Raft.on_message` compared the terms) ------------------------

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
            if self._quorum.is_quorum(self._votes):
                self._start_election(ctx)

    def _on_request_vote(self, ctx: Context, src: str, msg: RequestVote) -> None:
        granted = self.voted_for in (None, msg.candidate) and self.log.candidate_up_to_date(
            msg.last_log_term, msg.last_log_index
        )
        if granted:
            if self.voted_for is None:
                self.voted_for = msg.candidate
                ctx.persist("voted_for", msg.candidate)
            # Wait a whole timeout again, the one drawn for this term (etcd zeroes
            # electionElapsed on a vote it casts; a higher term was drawn for on adopting it).
            ctx.set_timer("election", self._randomized_timeout)
        ctx.send(src, RequestVoteReply(self.term, granted))

    def _on_vote_reply(self, ctx: Context, src: str, msg: RequestVoteReply) -> None:
        """A candidate's: a vote of its term."""
        if msg.granted:
            self._votes.add(src)
            if self._quorum.is_quorum(self._votes):
                self._become_leader(ctx)

    # -- changes of role ------------------------------------------------------------------------

    def _become_leader(self, ctx: Context) -> None:
        self._become("leader")
        self.leader = self.node_id
        self._failed_elections = 0
        ctx.cancel_timer("election")
        events.became_leader(ctx, self.term)
        self._progress = {peer: Progress(self.log.last_index + 1) for peer in ctx.peers}
        self._commits = QuorumTracker(self._quorum, owner=self.node_id)
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
        self._become("follower")
        # The timer waits it from the next AppendEntries or vote (a deposed leader's: below).
        self._draw_election_timeout(ctx)
        if was_leader:
            self.leader = None
            self._progress = {}
            self._pending = {}
            ctx.cancel_timer("heartbeat")
            ctx.cancel_timer("check_quorum")
            ctx.set_timer("election", self._randomized_timeout)
            events.stepped_down(ctx, led_term)
