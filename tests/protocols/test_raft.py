"""Raft, one node at a time: messages and timers fed by hand through a FakeContext."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from sim.protocols.api import Op, Request, Result
from sim.protocols.raft import (
    AppendEntries,
    AppendEntriesReply,
    Entry,
    PreVote,
    PreVoteReply,
    Raft,
    RaftLog,
    RequestVote,
    RequestVoteReply,
)
from sim.protocols.registry import get_protocol
from tests.protocols.fake_context import FakeContext, JournalContext, write

NODES = ("n1", "n2", "n3")
FIVE = ("n1", "n2", "n3", "n4", "n5")


def entries(*terms: int) -> list[Entry]:
    return [Entry(term, write(i)) for i, term in enumerate(terms, start=1)]


def durable(term: int = 0, voted_for: str | None = None, log: list[Entry] | None = None) -> dict:
    state: dict[str, Any] = {"term": term, "voted_for": voted_for}
    RaftLog(log or []).persist_from(state.__setitem__, 1)
    return state


def start(
    node: str = "n1",
    nodes: tuple[str, ...] = NODES,
    state: dict | None = None,
    time: float = 0.0,
    **params: Any,
) -> tuple[Raft, JournalContext]:
    ctx = JournalContext(node, nodes, time=time, durable=dict(state or {}))
    raft = Raft(Raft.Params(**params), node, nodes)
    raft.on_start(ctx)
    return raft, ctx


def fire(raft: Raft, ctx: FakeContext, timer: str) -> None:
    """Advance the clock to ``timer`` and fire it."""
    ctx.time = ctx.timers.pop(timer)
    raft.on_timer(ctx, timer)


def elect(raft: Raft, ctx: FakeContext) -> None:
    """Make ``raft`` leader: its election timer fires and every peer grants its vote."""
    fire(raft, ctx, "election")
    for peer in ctx.peers:
        raft.on_message(ctx, peer, RequestVoteReply(raft.term, True))
    assert raft.is_leader


def append(
    term: int,
    prev: int,
    prev_term: int,
    new: list[Entry] | tuple[Entry, ...] = (),
    commit: int = 0,
    leader: str = "n2",
) -> AppendEntries:
    return AppendEntries(term, leader, prev, prev_term, tuple(new), commit, sent_at=0.0)


def ack(raft: Raft, ctx: FakeContext, peer: str, match: int) -> None:
    reply = AppendEntriesReply(raft.term, True, 0, match, match, sent_at=ctx.now)
    raft.on_message(ctx, peer, reply)


def sent(ctx: FakeContext, kind: type) -> list[tuple[str, Any]]:
    return [(dst, msg) for dst, msg in ctx.take_sent() if isinstance(msg, kind)]


def events(ctx: FakeContext, name: str) -> list[dict[str, Any]]:
    return [fields for event, fields in ctx.events if event == name]


def log_terms(raft: Raft) -> list[int]:
    return [raft.log.term_at(i) for i in range(1, raft.log.last_index + 1)]


def request(op_id: int, op: str = "write", value: Any = None, key: str = "x") -> Request:
    return Request(op_id=op_id, client=0, op=op, key=key, value=value)


# -- parameters and registration -------------------------------------------------------------


def test_registered_under_its_name() -> None:
    """The registry finds Raft under "raft" and knows it is leader-based."""
    assert get_protocol("raft") is Raft
    assert Raft.leader_based


def test_params_accept_units_and_reject_inverted_ranges() -> None:
    """Durations take units; a timeout range with min > max and unknown keys are refused."""
    params = Raft.Params(election_timeout=("1s", "2s"), heartbeat="20ms")
    assert params.election_timeout == (1000.0, 2000.0)
    assert params.heartbeat == 20.0
    with pytest.raises(ValidationError):
        Raft.Params(election_timeout=(300, 150))
    with pytest.raises(ValidationError):
        Raft.Params(candidate_timeout=(50, 10))
    with pytest.raises(ValidationError):
        Raft.Params(heartbeat=0)
    with pytest.raises(ValidationError):
        Raft.Params(election_timout=(1, 2))


# -- votes -----------------------------------------------------------------------------------


def test_grants_at_most_one_vote_per_term() -> None:
    """A vote goes to the first candidate of a term; a second one is refused, the first repeated."""
    raft, ctx = start()
    raft.on_message(ctx, "n2", RequestVote(1, "n2", 0, 0))
    raft.on_message(ctx, "n3", RequestVote(1, "n3", 0, 0))
    raft.on_message(ctx, "n2", RequestVote(1, "n2", 0, 0))
    assert [msg.granted for _, msg in sent(ctx, RequestVoteReply)] == [True, False, True]
    assert raft.voted_for == "n2"


def test_refuses_candidate_with_lower_last_term() -> None:
    """A longer log whose last term is lower is less up to date."""
    raft, ctx = start(state=durable(2, log=entries(1, 2)))
    raft.on_message(ctx, "n2", RequestVote(3, "n2", last_log_index=5, last_log_term=1))
    [(_, reply)] = sent(ctx, RequestVoteReply)
    assert not reply.granted
    assert raft.term == 3  # the higher term is adopted all the same
    assert raft.voted_for is None


def test_refuses_candidate_with_same_last_term_but_shorter_log() -> None:
    """With equal last terms the longer log wins; an equally long one is up to date."""
    raft, ctx = start(state=durable(2, log=entries(1, 2, 2)))
    raft.on_message(ctx, "n2", RequestVote(3, "n2", last_log_index=2, last_log_term=2))
    raft.on_message(ctx, "n3", RequestVote(3, "n3", last_log_index=3, last_log_term=2))
    assert [msg.granted for _, msg in sent(ctx, RequestVoteReply)] == [False, True]


def test_higher_term_resets_the_vote() -> None:
    """Having voted in term 1 does not prevent voting for another candidate in term 2."""
    raft, ctx = start()
    raft.on_message(ctx, "n2", RequestVote(1, "n2", 0, 0))
    raft.on_message(ctx, "n3", RequestVote(2, "n3", 0, 0))
    assert [msg.granted for _, msg in sent(ctx, RequestVoteReply)] == [True, True]
    assert (raft.term, raft.voted_for) == (2, "n3")


def test_vote_and_term_persisted_before_the_reply() -> None:
    """currentTerm and votedFor reach durable storage before the vote is sent."""
    raft, ctx = start()
    raft.on_message(ctx, "n2", RequestVote(4, "n2", 0, 0))
    assert ctx.durable["term"] == 4
    assert ctx.durable["voted_for"] == "n2"
    reply_at = next(i for i, (kind, _) in enumerate(ctx.journal) if kind == "send")
    persisted_keys = {key for kind, key in ctx.journal[:reply_at] if kind == "persist"}
    assert {"term", "voted_for"} <= persisted_keys


def test_granting_a_vote_resets_the_election_timer() -> None:
    """A node that just voted waits a whole timeout before campaigning itself."""
    raft, ctx = start()
    ctx.time = 100.0
    raft.on_message(ctx, "n2", RequestVote(1, "n2", 0, 0))
    assert ctx.timers["election"] >= 100.0 + 150.0


def test_a_follower_draws_its_election_timeout_once_per_term() -> None:
    """As etcd's raft: the randomized timeout is drawn when the term (or role) changes, and each
    AppendEntries of the term only restarts it, the same length from the new time."""
    raft, ctx = start()
    draws: list[float] = []
    uniform = ctx.uniform

    def counted(low: float, high: float) -> float:
        draws.append(uniform(low, high))
        return draws[-1]

    ctx.uniform = counted  # type: ignore[method-assign]
    raft.on_message(ctx, "n2", append(1, 0, 0, entries(1)))
    timeout = ctx.timers["election"] - ctx.now
    assert len(draws) == 1  # the new term's
    for at in (10.0, 20.0):
        ctx.time = at
        raft.on_message(ctx, "n2", append(1, 1, 1, commit=1))
        assert ctx.timers["election"] == at + timeout
    assert len(draws) == 1
    raft.on_message(ctx, "n3", append(2, 1, 1, leader="n3"))
    assert len(draws) == 2 and 150.0 <= ctx.timers["election"] - ctx.now <= 300.0


# -- stepping down ---------------------------------------------------------------------------


def test_leader_steps_down_on_a_reply_of_a_higher_term() -> None:
    """A leader that sees a higher term in a reply becomes follower and stops its heartbeats."""
    raft, ctx = start()
    elect(raft, ctx)
    raft.on_message(ctx, "n2", AppendEntriesReply(7, False, 0, 0, 0, sent_at=0.0))
    assert not raft.is_leader and raft.role == "follower"
    assert raft.term == 7 and ctx.durable["term"] == 7
    assert events(ctx, "stepped_down") == [{"epoch": 1}]
    assert "heartbeat" not in ctx.timers and "election" in ctx.timers


def test_leader_steps_down_on_a_request_of_a_higher_term() -> None:
    """A RequestVote of a higher term deposes a leader (no stickiness by default)."""
    raft, ctx = start()
    elect(raft, ctx)
    raft.on_message(ctx, "n2", RequestVote(2, "n2", 5, 1))
    assert raft.role == "follower" and raft.term == 2 and raft.voted_for == "n2"


def test_candidate_steps_down_on_a_higher_term() -> None:
    """A candidate that hears of a higher term, even in a refusal, becomes follower."""
    raft, ctx = start()
    fire(raft, ctx, "election")
    raft.on_message(ctx, "n2", RequestVoteReply(5, False))
    assert raft.role == "follower" and raft.term == 5


def test_candidate_follows_a_leader_of_its_own_term() -> None:
    """AppendEntries of the candidate's term means another node won: follow it."""
    raft, ctx = start()
    fire(raft, ctx, "election")
    raft.on_message(ctx, "n2", append(1, 0, 0))
    assert raft.role == "follower" and raft.leader == "n2"
    assert events(ctx, "follows") == [{"epoch": 1, "leader": "n2"}]


# -- elections -------------------------------------------------------------------------------


def test_election_timeout_starts_a_candidacy() -> None:
    """On timeout: term + 1, vote for self (persisted), RequestVote to every peer."""
    raft, ctx = start(state=durable(3, log=entries(1, 3)))
    assert 150.0 <= ctx.timers["election"] <= 300.0
    fire(raft, ctx, "election")
    assert raft.role == "candidate" and raft.term == 4
    assert (ctx.durable["term"], ctx.durable["voted_for"]) == (4, "n1")
    requests = sent(ctx, RequestVote)
    assert [dst for dst, _ in requests] == ["n2", "n3"]
    assert {msg for _, msg in requests} == {RequestVote(4, "n1", 2, 3)}
    assert events(ctx, "campaign_started") == [{"epoch": 4}]


def test_majority_of_votes_makes_a_leader_that_appends_a_noop() -> None:
    """Of five nodes, a candidate needs two more votes; then it appends a no-op and sends it."""
    raft, ctx = start(nodes=FIVE, state=durable(1, log=entries(1)))
    fire(raft, ctx, "election")
    ctx.take_sent()
    raft.on_message(ctx, "n2", RequestVoteReply(2, True))
    raft.on_message(ctx, "n3", RequestVoteReply(2, False))
    raft.on_message(ctx, "n2", RequestVoteReply(2, True))  # a duplicate counts once
    assert raft.role == "candidate"
    raft.on_message(ctx, "n4", RequestVoteReply(2, True))
    assert raft.is_leader and raft.leader == "n1"
    assert raft.log.entry(2) == Entry(2, Op(op_id="noop:n1:2", op="noop"))
    appends = sent(ctx, AppendEntries)
    assert sorted(dst for dst, _ in appends) == ["n2", "n3", "n4", "n5"]
    assert all(
        msg.prev_log_index == 1 and msg.entries == (raft.log.entry(2),) for _, msg in appends
    )
    assert events(ctx, "became_leader") == [{"epoch": 2}]
    assert "heartbeat" in ctx.timers and "election" not in ctx.timers


def test_votes_of_an_earlier_term_do_not_count() -> None:
    """A late grant from a previous candidacy does not elect the current one."""
    raft, ctx = start()
    fire(raft, ctx, "election")
    fire(raft, ctx, "election")  # a split vote: second candidacy, term 2
    raft.on_message(ctx, "n2", RequestVoteReply(1, True))
    assert raft.role == "candidate" and raft.term == 2


def test_requests_of_an_earlier_term_are_refused_with_the_current_term() -> None:
    """At term 3, an AppendEntries and a RequestVote of term 2 get a refusal carrying term 3 (no
    conflict hint), and change nothing: no leader, no vote, no timer moved, nothing persisted."""
    raft, ctx = start(state=durable(3, log=entries(1, 3)))
    timers = dict(ctx.timers)
    raft.on_message(ctx, "n2", append(2, prev=2, prev_term=3, new=entries(1, 3, 2)[2:]))
    raft.on_message(ctx, "n3", RequestVote(2, "n3", 5, 2))
    [(_, rejection), (_, refusal)] = ctx.take_sent()
    assert (rejection.term, rejection.success, rejection.conflict_term) == (3, False, None)
    assert rejection.conflict_index == 0
    assert refusal == RequestVoteReply(3, False)
    assert (raft.leader, raft.voted_for, log_terms(raft)) == (None, None, [1, 3])
    assert ctx.timers == timers and ctx.persisted == [] and ctx.events == []


def test_leader_ignores_replies_of_an_earlier_term_and_followers_ignore_leaders_replies() -> None:
    """A success reply of an earlier term commits nothing (counted, it would commit the no-op);
    a follower drops a reply."""
    raft, ctx = start(state=durable(1))
    elect(raft, ctx)  # term 2
    ctx.take_sent()
    raft.on_message(ctx, "n2", AppendEntriesReply(1, True, 0, 1, 1, sent_at=0.0))
    assert raft.commit_index == 0
    follower, fctx = start("n2")
    follower.on_message(fctx, "n1", AppendEntriesReply(0, True, 0, 1, 1, sent_at=0.0))
    assert fctx.take_sent() == [] and follower.role == "follower"


def test_leader_heartbeats_every_interval() -> None:
    """The heartbeat timer re-arms itself and sends AppendEntries to every peer each time."""
    raft, ctx = start(heartbeat=20)
    elect(raft, ctx)
    ctx.take_sent()
    fire(raft, ctx, "heartbeat")
    assert sorted(dst for dst, _ in sent(ctx, AppendEntries)) == ["n2", "n3"]
    assert ctx.timers["heartbeat"] == ctx.now + 20


# -- log matching ----------------------------------------------------------------------------


def test_rejects_append_with_mismatching_prev_term() -> None:
    """prevLogTerm differing from the follower's entry at prevLogIndex: rejected, log unchanged."""
    raft, ctx = start(state=durable(2, log=entries(1, 2)))
    raft.on_message(ctx, "n2", append(3, prev=2, prev_term=3, new=entries(3, 3, 3)[2:]))
    [(_, reply)] = sent(ctx, AppendEntriesReply)
    assert not reply.success and reply.prev_log_index == 2
    assert log_terms(raft) == [1, 2]


def test_rejects_append_beyond_its_log() -> None:
    """A prevLogIndex past the follower's log end is rejected."""
    raft, ctx = start(state=durable(1, log=entries(1)))
    raft.on_message(ctx, "n2", append(1, prev=3, prev_term=1))
    [(_, reply)] = sent(ctx, AppendEntriesReply)
    assert not reply.success and reply.last_log_index == 1


def test_conflicting_entries_are_truncated_and_replaced() -> None:
    """From the first conflict on, the follower's entries give way to the leader's, durably."""
    raft, ctx = start(state=durable(2, log=entries(1, 1, 2, 2)))
    new = [Entry(3, write(30)), Entry(3, write(31))]
    raft.on_message(ctx, "n2", append(3, prev=2, prev_term=1, new=new))
    [(_, reply)] = sent(ctx, AppendEntriesReply)
    assert reply.success and reply.match_index == 4
    assert log_terms(raft) == [1, 1, 3, 3]
    assert raft.log.entry(3) == new[0]
    reborn, _ = start(state=ctx.durable)
    assert log_terms(reborn) == [1, 1, 3, 3]


def test_delayed_shorter_append_does_not_truncate() -> None:
    """An old AppendEntries whose entries the follower already holds leaves later ones in place."""
    raft, ctx = start(state=durable(1, log=entries(1, 1, 1)))
    raft.on_message(ctx, "n2", append(1, prev=0, prev_term=0, new=entries(1)))
    assert log_terms(raft) == [1, 1, 1]
    assert [key for kind, key in ctx.journal if kind == "persist"] == []  # nothing changed


def test_consistent_append_is_accepted_and_commit_follows_the_leader() -> None:
    """Entries after a matching prefix are appended; the commit index follows leaderCommit."""
    raft, ctx = start(state=durable(1, log=entries(1)))
    raft.on_message(ctx, "n2", append(1, prev=1, prev_term=1, new=entries(1, 1)[1:], commit=2))
    assert log_terms(raft) == [1, 1]
    assert raft.commit_index == 2
    assert [index for index, _ in ctx.decided] == [1, 2]


def test_follower_commits_no_further_than_the_entries_vouched_for() -> None:
    """With leaderCommit beyond the checked prefix, unverified entries stay uncommitted."""
    raft, ctx = start(state=durable(2, log=entries(1, 2, 2)))  # 2 and 3 may be stale
    raft.on_message(ctx, "n2", append(3, prev=1, prev_term=1, commit=5))
    assert raft.commit_index == 1


# -- next_index back-off ---------------------------------------------------------------------


def exchange(leader: Raft, lctx: FakeContext, follower: Raft, fctx: FakeContext) -> list[int]:
    """Shuttle AppendEntries from the leader to one follower and back until quiet; the
    prevLogIndex of each AppendEntries delivered."""
    probes = []
    while to_follower := [m for d, m in sent(lctx, AppendEntries) if d == follower.node_id]:
        for msg in to_follower:
            probes.append(msg.prev_log_index)
            follower.on_message(fctx, leader.node_id, msg)
        for _, reply in fctx.take_sent():
            leader.on_message(lctx, follower.node_id, reply)
    return probes


def repair(conflict_term: bool) -> tuple[list[int], Raft, Raft]:
    """Leader n1 (terms 1 1 3 3 3) repairs n2 (terms 1 1 2 2 2); the probes it took."""
    leader, lctx = start(state=durable(3, log=entries(1, 1, 3, 3, 3)), conflict_term=conflict_term)
    follower, fctx = start("n2", state=durable(2, log=entries(1, 1, 2, 2, 2)))
    elect(leader, lctx)
    probes = exchange(leader, lctx, follower, fctx)
    fire(leader, lctx, "heartbeat")  # brings the commit index
    exchange(leader, lctx, follower, fctx)
    assert follower.commit_index == leader.commit_index == 6
    return probes, leader, follower


def test_next_index_backs_off_one_entry_per_rejection() -> None:
    """Without conflict_term each rejection moves the probe back by one entry."""
    probes, leader, follower = repair(conflict_term=False)
    assert probes == [5, 4, 3, 2]
    assert log_terms(follower) == log_terms(leader) == [1, 1, 3, 3, 3, 4]


def test_next_index_backs_off_a_whole_term_with_conflict_term() -> None:
    """With conflict_term one rejection skips the follower's whole run of term-2 entries."""
    probes, leader, follower = repair(conflict_term=True)
    assert probes == [5, 2]
    assert log_terms(follower) == log_terms(leader)


def test_back_off_jumps_to_the_end_of_a_shorter_follower_log() -> None:
    """A follower's reported log end bounds the back-off: no probing entry by entry past it."""
    raft, ctx = start(state=durable(1, log=entries(1, 1, 1, 1, 1)))
    elect(raft, ctx)
    ctx.take_sent()
    raft.on_message(ctx, "n2", AppendEntriesReply(2, False, 5, 0, 1, sent_at=0.0))
    [(_, probe)] = sent(ctx, AppendEntries)
    assert probe.prev_log_index == 1


def test_stale_rejection_does_not_move_next_index() -> None:
    """A rejection of a probe already superseded is ignored."""
    raft, ctx = start(state=durable(1, log=entries(1, 1, 1, 1, 1)))
    elect(raft, ctx)
    raft.on_message(ctx, "n2", AppendEntriesReply(2, False, 5, 0, 5, sent_at=0.0))
    ctx.take_sent()
    raft.on_message(ctx, "n2", AppendEntriesReply(2, False, 5, 0, 5, sent_at=0.0))
    assert sent(ctx, AppendEntries) == []
    fire(raft, ctx, "heartbeat")
    assert {msg.prev_log_index for dst, msg in sent(ctx, AppendEntries) if dst == "n2"} == {4}


def test_rejection_below_the_match_index_leaves_the_pipeline_alone() -> None:
    """A late rejection of an index n2 has since matched does not send it back to probing."""
    raft, ctx = start()
    elect(raft, ctx)
    for i in range(4):
        raft.on_request(ctx, request(i, value=i))
    ack(raft, ctx, "n2", 5)
    ctx.take_sent()
    raft.on_message(ctx, "n2", AppendEntriesReply(1, False, 3, 0, 3, sent_at=ctx.now))
    raft.on_request(ctx, request(5, value=5))
    raft.on_request(ctx, request(6, value=6))
    to_n2 = [msg.prev_log_index for dst, msg in sent(ctx, AppendEntries) if dst == "n2"]
    assert to_n2 == [5, 6]  # still pipelined: a probing follower would get one at a time


def test_heartbeat_sends_a_lost_probe_again_with_its_entries() -> None:
    """A probe that got no answer is repeated, entries included, at the next heartbeat."""
    raft, ctx = start()
    elect(raft, ctx)
    ctx.take_sent()  # the no-op's first AppendEntries are lost
    fire(raft, ctx, "heartbeat")
    probes = sent(ctx, AppendEntries)
    assert len(probes) == 2
    assert all(msg.entries == (raft.log.entry(1),) for _, msg in probes)


# -- commitment ------------------------------------------------------------------------------


def test_old_term_entry_on_a_majority_waits_for_a_current_term_entry() -> None:
    """Figure 8: counting replicas of a term-2 entry in term 3 does not commit it."""
    raft, ctx = start(nodes=FIVE, state=durable(2, log=entries(1, 2)))
    elect(raft, ctx)  # term 3, no-op at index 3
    ack(raft, ctx, "n2", 2)
    ack(raft, ctx, "n3", 2)  # index 2 (term 2) is now on n1, n2, n3
    assert raft.commit_index == 0 and ctx.decided == []
    ack(raft, ctx, "n2", 3)
    assert raft.commit_index == 0
    ack(raft, ctx, "n3", 3)  # the term-3 no-op reaches a majority: all before it commits too
    assert raft.commit_index == 3
    assert [index for index, _ in ctx.decided] == [1, 2, 3]


def test_leader_replies_only_once_the_entry_is_applied() -> None:
    """The client hears "ok" after a majority holds the write, not when it is appended."""
    raft, ctx = start()
    elect(raft, ctx)
    ack(raft, ctx, "n2", 1)
    raft.on_request(ctx, request(7, value=42))
    assert ctx.replies == []
    assert events(ctx, "proposed") == [{"op_id": 7}]
    assert raft.log.entry(2).op == Op(7, "write", "x", 42)
    ack(raft, ctx, "n3", 2)
    assert ctx.replies == [(request(7, value=42), Result("ok"))]
    assert ctx.decided[-1] == (2, Op(7, "write", "x", 42))


def test_state_machine_applies_writes_cas_and_reads_in_log_order() -> None:
    """cas succeeds only on the expected value; a read through the log sees what precedes it."""
    raft, ctx = start()
    elect(raft, ctx)
    raft.on_request(ctx, request(1, value=1))
    raft.on_request(ctx, request(2, "cas", [0, 5]))
    raft.on_request(ctx, request(3, "cas", [1, 2]))
    raft.on_request(ctx, request(4, "read"))
    ack(raft, ctx, "n2", raft.log.last_index)
    assert [result for _, result in ctx.replies] == [
        Result("ok"),
        Result("fail"),
        Result("ok"),
        Result("ok", value=2),
    ]


def test_follower_redirects_to_the_leader_it_knows() -> None:
    """A follower answers "redirect" naming its leader, or None before it knows one."""
    raft, ctx = start()
    raft.on_request(ctx, request(1, value=1))
    raft.on_message(ctx, "n2", append(1, 0, 0))
    raft.on_request(ctx, request(2, value=1))
    assert [result for _, result in ctx.replies] == [
        Result("redirect", leader=None),
        Result("redirect", leader="n2"),
    ]


def test_deposed_leader_drops_its_pending_requests() -> None:
    """A write pending at a deposed leader gets no answer, even when it commits later."""
    raft, ctx = start()
    elect(raft, ctx)
    ack(raft, ctx, "n2", 1)
    raft.on_request(ctx, request(9, value=9))
    pending = raft.log.entry(2)
    raft.on_message(ctx, "n3", append(2, prev=1, prev_term=1, new=[pending], commit=2, leader="n3"))
    assert (2, pending.op) in ctx.decided
    assert ctx.replies == []


# -- persistence -----------------------------------------------------------------------------


def test_restart_keeps_term_vote_and_log() -> None:
    """A restarted node reads its term, vote and log back and still refuses a second vote."""
    raft, ctx = start()
    raft.on_message(ctx, "n2", RequestVote(5, "n2", 0, 0))
    raft.on_message(ctx, "n2", append(5, 0, 0, new=[Entry(5, write(1)), Entry(5, write(2))]))
    reborn, rctx = start(state=ctx.durable)
    assert (reborn.term, reborn.voted_for) == (5, "n2")
    assert [reborn.log.entry(i) for i in (1, 2)] == [raft.log.entry(i) for i in (1, 2)]
    assert reborn.commit_index == 0  # volatile
    reborn.on_message(rctx, "n3", RequestVote(5, "n3", 9, 5))
    [(_, reply)] = sent(rctx, RequestVoteReply)
    assert not reply.granted


def test_restarted_node_applies_its_log_again() -> None:
    """The state machine is volatile: committed entries are decided again from index 1."""
    raft, ctx = start(state=durable(1, log=entries(1, 1)))
    raft.on_message(ctx, "n2", append(1, prev=2, prev_term=1, commit=2))
    assert ctx.decided == [(1, write(1)), (2, write(2))]
    assert raft.kv.data == {"x": 2}


def test_follows_once_per_term() -> None:
    """follows is emitted on the first AppendEntries of a term only."""
    raft, ctx = start()
    raft.on_message(ctx, "n2", append(1, 0, 0))
    raft.on_message(ctx, "n2", append(1, 0, 0))
    raft.on_message(ctx, "n3", append(2, 0, 0, leader="n3"))
    assert events(ctx, "follows") == [
        {"epoch": 1, "leader": "n2"},
        {"epoch": 2, "leader": "n3"},
    ]


# -- reads -----------------------------------------------------------------------------------


def test_local_read_answers_from_a_followers_own_state() -> None:
    """read=local: a follower answers at once from what it applied, however stale."""
    raft, ctx = start(read="local", state=durable(1, log=entries(1)))
    raft.on_request(ctx, request(1, "read"))
    raft.on_message(ctx, "n2", append(1, prev=1, prev_term=1, commit=1))
    raft.on_request(ctx, request(2, "read"))
    assert [result for _, result in ctx.replies] == [Result("ok"), Result("ok", value=1)]


def test_log_read_goes_through_the_log() -> None:
    """read=log: a read at the leader is an entry, answered once applied; a follower redirects."""
    raft, ctx = start()
    elect(raft, ctx)
    raft.on_request(ctx, request(1, "read"))
    assert ctx.replies == [] and raft.log.entry(2).op.op == "read"
    ack(raft, ctx, "n2", 2)
    assert ctx.replies == [(request(1, "read"), Result("ok"))]


def test_lease_read_is_local_while_a_majority_acknowledged_recently() -> None:
    """read=lease: answered at once within the lease, through the log once it has expired."""
    raft, ctx = start(read="lease")
    elect(raft, ctx)
    ack(raft, ctx, "n2", 1)  # sent_at = now: the lease runs for the minimum timeout
    ctx.time += 149.0
    raft.on_request(ctx, request(1, "read"))
    assert ctx.replies == [(request(1, "read"), Result("ok"))]
    assert raft.log.last_index == 1
    ctx.time += 2.0
    raft.on_request(ctx, request(2, "read"))
    assert len(ctx.replies) == 1 and raft.log.last_index == 2


def test_lease_read_waits_for_an_entry_of_the_current_term() -> None:
    """A new leader serves no lease read before its no-op commits."""
    raft, ctx = start(read="lease", state=durable(1, log=entries(1)))
    elect(raft, ctx)
    raft.on_message(ctx, "n2", AppendEntriesReply(2, True, 0, 1, 1, sent_at=ctx.now))
    raft.on_request(ctx, request(1, "read"))
    assert ctx.replies == [] and raft.log.entry(3).op.op == "read"


# -- pipelining ------------------------------------------------------------------------------


def test_pipeline_is_bounded_by_max_inflight_and_batches_the_rest() -> None:
    """At most max_inflight batches per follower; an ack releases a batch of max_batch entries."""
    raft, ctx = start(max_inflight=2, max_batch=3)
    elect(raft, ctx)
    ack(raft, ctx, "n2", 1)  # probe answered: n2 is now pipelined
    ctx.take_sent()
    for i in range(10):
        raft.on_request(ctx, request(i, value=i))
    to_n2 = [msg for dst, msg in sent(ctx, AppendEntries) if dst == "n2"]
    assert [len(msg.entries) for msg in to_n2] == [1, 1]
    assert [msg.prev_log_index for msg in to_n2] == [1, 2]
    ack(raft, ctx, "n2", 2)
    [(_, batch)] = [(d, m) for d, m in sent(ctx, AppendEntries) if d == "n2"]
    assert (batch.prev_log_index, len(batch.entries)) == (3, 3)


def test_followers_keeping_up_share_each_append_until_a_window_fills() -> None:
    """With every follower pipelined, a new entry goes to all in one AppendEntries object; a full
    window takes no more until an acknowledgment frees it."""
    raft, ctx = start(max_inflight=2)
    elect(raft, ctx)
    ack(raft, ctx, "n2", 1)
    ack(raft, ctx, "n3", 1)
    ctx.take_sent()
    for i in range(3):
        raft.on_request(ctx, request(i, value=i))
    appends = sent(ctx, AppendEntries)
    assert [(dst, msg.prev_log_index) for dst, msg in appends] == [
        ("n2", 1),
        ("n3", 1),
        ("n2", 2),
        ("n3", 2),
    ]
    assert appends[0][1] is appends[1][1] and appends[0][1].entries == (raft.log.entry(2),)
    ack(raft, ctx, "n3", 2)
    [(dst, msg)] = sent(ctx, AppendEntries)
    assert (dst, msg.prev_log_index, msg.entries) == ("n3", 3, (raft.log.entry(4),))


def test_probing_follower_gets_one_append_at_a_time() -> None:
    """Until a follower's next_index is confirmed, new entries do not pile up in flight to it."""
    raft, ctx = start()
    elect(raft, ctx)
    ctx.take_sent()
    raft.on_request(ctx, request(1, value=1))
    assert [dst for dst, _ in sent(ctx, AppendEntries)] == []


def test_heartbeat_at_the_pipeline_end_reveals_a_lost_batch() -> None:
    """A heartbeat probes the optimistic log end; its rejection rewinds to what n2 holds."""
    raft, ctx = start()
    elect(raft, ctx)
    ack(raft, ctx, "n2", 1)
    raft.on_request(ctx, request(1, value=1))
    ctx.take_sent()  # the batch carrying index 2 is lost
    fire(raft, ctx, "heartbeat")
    [beat] = [msg for dst, msg in sent(ctx, AppendEntries) if dst == "n2"]
    assert (beat.prev_log_index, beat.entries) == (2, ())
    raft.on_message(ctx, "n2", AppendEntriesReply(1, False, 2, 0, 1, sent_at=ctx.now))
    [resend] = [msg for dst, msg in sent(ctx, AppendEntries) if dst == "n2"]
    assert resend.prev_log_index == 1 and resend.entries == (raft.log.entry(2),)


# -- PreVote ---------------------------------------------------------------------------------


def test_prevote_round_does_not_increment_the_term() -> None:
    """With prevote the timeout sends PreVote for term + 1 and keeps the term; a majority of
    pre-votes starts the real election."""
    raft, ctx = start(prevote=True)
    fire(raft, ctx, "election")
    assert raft.role == "precandidate" and raft.term == 0
    assert {msg for _, msg in sent(ctx, PreVote)} == {PreVote(1, "n1", 0, 0)}
    assert events(ctx, "campaign_started") == []
    raft.on_message(ctx, "n2", PreVoteReply(1, True))
    assert raft.role == "candidate" and raft.term == 1
    assert len(sent(ctx, RequestVote)) == 2


def test_prevote_refused_by_a_node_that_heard_a_leader_recently() -> None:
    """A follower refuses pre-votes within the minimum timeout of a heartbeat, then grants."""
    raft, ctx = start(prevote=True)
    raft.on_message(ctx, "n2", append(1, 0, 0))
    ctx.take_sent()
    ctx.time = 100.0
    raft.on_message(ctx, "n3", PreVote(2, "n3", 0, 0))
    ctx.time = 150.0
    raft.on_message(ctx, "n3", PreVote(2, "n3", 0, 0))
    assert [msg for _, msg in sent(ctx, PreVoteReply)] == [
        PreVoteReply(1, False),
        PreVoteReply(2, True),
    ]
    assert raft.term == 1  # a pre-vote never moves the receiver's term


def test_prevote_refused_to_a_less_up_to_date_log() -> None:
    """Pre-votes follow the same log rule as votes."""
    raft, ctx = start(prevote=True, state=durable(1, log=entries(1)))
    ctx.time = 1000.0  # long after any leader
    raft.on_message(ctx, "n3", PreVote(2, "n3", 0, 0))
    [(_, reply)] = sent(ctx, PreVoteReply)
    assert not reply.granted


def test_isolated_precandidate_keeps_its_term() -> None:
    """Timeouts without pre-votes never raise the term (without prevote they would)."""
    with_prevote, pctx = start(prevote=True)
    without, ctx = start()
    for _ in range(5):
        fire(with_prevote, pctx, "election")
        fire(without, ctx, "election")
    assert with_prevote.term == 0
    assert without.term == 5


# -- CheckQuorum -----------------------------------------------------------------------------


def test_check_quorum_leader_steps_down_when_no_one_answers() -> None:
    """A leader that hears from no majority for a minimum timeout stops leading."""
    raft, ctx = start(check_quorum=True)
    elect(raft, ctx)
    ctx.time += 10.0
    ack(raft, ctx, "n2", 1)
    fire(raft, ctx, "check_quorum")  # n2 answered within this period
    assert raft.is_leader
    fire(raft, ctx, "check_quorum")
    assert not raft.is_leader
    assert events(ctx, "stepped_down") == [{"epoch": 1}]


def test_without_check_quorum_a_silent_leader_keeps_leading() -> None:
    """Without check_quorum nothing but a higher term deposes a leader."""
    raft, ctx = start()
    elect(raft, ctx)
    for _ in range(100):
        fire(raft, ctx, "heartbeat")
    assert raft.is_leader and "check_quorum" not in ctx.timers


def test_check_quorum_follower_ignores_votes_while_its_leader_is_alive() -> None:
    """Leader stickiness: a recent heartbeat makes a higher-term RequestVote go unanswered."""
    raft, ctx = start(check_quorum=True)
    raft.on_message(ctx, "n2", append(1, 0, 0))
    ctx.take_sent()
    ctx.time = 100.0
    raft.on_message(ctx, "n3", RequestVote(2, "n3", 0, 0))
    assert ctx.take_sent() == [] and raft.term == 1
    ctx.time = 150.0
    raft.on_message(ctx, "n3", RequestVote(2, "n3", 0, 0))
    [(_, reply)] = sent(ctx, RequestVoteReply)
    assert reply.granted and raft.term == 2


def test_restarted_node_counts_as_having_just_heard_a_leader() -> None:
    """After a restart a sticky node ignores votes for a minimum timeout: it may have acked the
    leader's lease just before crashing."""
    raft, ctx = start(check_quorum=True, state=durable(1), time=1000.0)
    ctx.time = 1100.0
    raft.on_message(ctx, "n3", RequestVote(2, "n3", 0, 0))
    assert ctx.take_sent() == []
    ctx.time = 1150.0
    raft.on_message(ctx, "n3", RequestVote(2, "n3", 0, 0))
    assert [msg.granted for _, msg in sent(ctx, RequestVoteReply)] == [True]


# -- candidate timeouts ----------------------------------------------------------------------


def candidacy_gaps(raft: Raft, ctx: FakeContext, elections: int) -> list[float]:
    gaps = []
    for _ in range(elections):
        gaps.append(ctx.timers["election"] - ctx.now)
        fire(raft, ctx, "election")
    return gaps


def test_candidate_backoff_doubles_until_capped_and_resets_on_a_leader() -> None:
    """Failed elections double the timeout up to 8x; a leader's heartbeat resets it."""
    raft, ctx = start(election_timeout=(100, 100), candidate_backoff=True)
    assert candidacy_gaps(raft, ctx, 6) == [100, 100, 200, 400, 800, 800]
    raft.on_message(ctx, "n2", append(raft.term, 0, 0))
    assert candidacy_gaps(raft, ctx, 3) == [100, 100, 200]


def test_without_backoff_candidate_timeouts_stay_in_range() -> None:
    """Without candidate_backoff failed elections do not lengthen the timeout."""
    raft, ctx = start(election_timeout=(100, 100))
    assert candidacy_gaps(raft, ctx, 5) == [100] * 5


def test_candidate_timeout_applies_to_candidacies_only() -> None:
    """A candidate retries within candidate_timeout; a follower waits an election timeout."""
    raft, ctx = start(election_timeout=(100, 100), candidate_timeout=(10, 20))
    gaps = candidacy_gaps(raft, ctx, 4)
    assert gaps[0] == 100
    assert all(10 <= gap <= 20 for gap in gaps[1:])


def test_describe_reports_role_term_commit_and_log_length() -> None:
    """describe() gives the snapshot the traces use."""
    raft, ctx = start(state=durable(1, log=entries(1)))
    elect(raft, ctx)
    assert raft.describe() == {"role": "leader", "term": 2, "commit_index": 0, "log_length": 2}


@pytest.mark.parametrize("seed", range(40))
def test_commit_index_is_the_highest_current_term_index_a_majority_holds(seed: int) -> None:
    """The leader's incremental ack counts against the definition, brute force: after every
    acknowledgment (any order, repeats, jumps, stale ones), the commit index is the highest index
    of the current term held by a majority (the leader included), or what it was."""
    rng = np.random.default_rng(seed)
    nodes = ("n1", "n2", "n3", "n4", "n5", "n6", "n7")[: int(rng.integers(1, 8))]
    old_terms = sorted(int(t) for t in rng.integers(1, 3, size=int(rng.integers(0, 5))))
    raft, ctx = start(
        nodes=nodes, state=durable(max(old_terms, default=0), log=entries(*old_terms))
    )
    elect(raft, ctx)
    for i in range(int(rng.integers(0, 8))):
        raft.on_request(ctx, request(100 + i))
    last = raft.log.last_index
    match = dict.fromkeys(ctx.peers, 0)

    def brute_force(committed: int) -> int:
        for candidate in range(last, committed, -1):
            holders = 1 + sum(1 for m in match.values() if m >= candidate)
            if holders > len(nodes) // 2 and raft.log.term_at(candidate) == raft.term:
                return candidate
        return committed

    committed = brute_force(0)  # a cluster of one commits alone
    assert raft.commit_index == committed
    for _ in range(40 if ctx.peers else 0):
        peer = ctx.peers[int(rng.integers(len(ctx.peers)))]
        index = int(rng.integers(0, last + 1))
        ack(raft, ctx, peer, index)
        match[peer] = max(match[peer], index)
        committed = brute_force(committed)
        assert raft.commit_index == committed
    assert [index for index, _ in ctx.decided] == list(range(1, committed + 1))
