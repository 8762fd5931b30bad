"""Multi-Paxos, one node at a time: messages and timers fed by hand through a context."""

from __future__ import annotations

from sim.protocols.api import OK, Result
from sim.protocols.multipaxos import (
    Accept,
    Accepted,
    CatchUp,
    Chosen,
    Commit,
    FPaxos,
    Heartbeat,
    HeartbeatReply,
    Nack,
    Prepare,
    Promise,
    Vote,
)
from tests.protocols.multipaxos.helpers import (
    FIVE,
    elect,
    fire,
    promise,
    request,
    start,
    write,
)


def test_phase1_merges_the_highest_ballot_per_slot_and_fills_holes_with_noops() -> None:
    """Of the votes a phase-1 quorum reports, the highest ballot's wins at each slot, slots no
    one voted at become no-ops, and all are proposed again in the new ballot before anything new,
    on disk before the Accepts leave."""
    # n1 has promised (2, n3) = 12, so it campaigns in round 3: ballot 15.
    leader, ctx = start("n1", FIVE, durable={"promised": 12})
    fire(leader, ctx, "election")
    assert leader.ballot == 15
    prepares = ctx.of_type(Prepare)
    assert [dst for dst, _ in prepares] == ["n2", "n3", "n4", "n5"]
    assert prepares[0][1] == Prepare(15, 1)
    leader.on_message(ctx, "n2", promise(15, 1, {1: Vote(6, write(1)), 3: Vote(11, write(3))}))
    assert not leader.is_leader  # two of five promised (itself included): no quorum of three
    ctx.journal.clear()
    leader.on_message(ctx, "n3", promise(15, 1, {1: Vote(12, write(11)), 5: Vote(12, write(5))}))
    assert leader.is_leader
    accepts = ctx.of_type(Accept)
    assert len(accepts) == 4
    msg = accepts[0][1]
    assert (msg.ballot, msg.first) == (15, 1)
    assert [op.op_id for op in msg.ops] == [11, "noop:n1:15:2", 3, "noop:n1:15:4", 5]
    assert [op.op for op in msg.ops] == ["write", "noop", "write", "noop", "write"]
    # Its own votes are on disk before the first Accept leaves.
    first_accept = next(i for i, (_, m) in enumerate(ctx.journal) if type(m) is Accept)
    assert ctx.journal.index(("persist", "votes")) < first_accept
    assert [v.op.op_id for v in ctx.durable["votes"]] == [11, "noop:n1:15:2", 3, "noop:n1:15:4", 5]
    prepared = [fields for event, fields in ctx.events if event == "prepared"]
    assert prepared == [{"ballot": 15, "first": 1, "quorum": ("n1", "n2", "n3"), "top": 5}]
    # A new operation goes after the merged slots.
    leader.on_request(ctx, request(7))
    assert next((m.first, [op.op_id for op in m.ops]) for _, m in ctx.of_type(Accept)) == (6, [7])


def test_phase1_takes_what_an_acceptor_knows_chosen_and_proposes_only_above_it() -> None:
    """A promise from an acceptor whose commit point is higher brings the chosen operations:
    the new leader decides them at once and runs phase 2 only for the slots above."""
    leader, ctx = start("n1", FIVE)
    fire(leader, ctx, "election")
    ballot = leader.ballot
    informed = Promise(ballot, 1, 2, (write(1), write(2)), ((3, Vote(2, write(3))),))
    leader.on_message(ctx, "n2", informed)
    leader.on_message(ctx, "n3", promise(ballot, 1, {2: Vote(1, write(99))}))
    assert [(slot, op.op_id) for slot, op in ctx.decided] == [(1, 1), (2, 2)]
    msg = ctx.of_type(Accept)[0][1]
    assert (msg.first, [op.op_id for op in msg.ops], msg.commit) == (3, [3], 2)


def test_a_leader_preempted_by_a_higher_ballot_steps_down_without_answering() -> None:
    """A Nack naming a higher ballot deposes the leader: it reports stepping down, drops the
    client's request unanswered (its slot may still be chosen), ignores late acceptances, and
    campaigns next above the ballot it heard of."""
    leader, ctx = start("n1")
    ballot = elect(leader, ctx)
    leader.on_request(ctx, request(1))
    assert ctx.of_type(Accept)
    leader.on_message(ctx, "n2", Nack(10, ballot))
    assert not leader.is_leader
    assert ("stepped_down", {"epoch": ballot}) in ctx.events
    assert "heartbeat" not in ctx.timers and "election" in ctx.timers
    leader.on_message(ctx, "n2", Accepted(ballot, 1, 0.0))
    assert ctx.decided == [] and ctx.replies == []
    fire(leader, ctx, "election")
    assert leader.ballot == 12  # round 4 of n1: above (3, n2) = 10
    # A Nack of an older campaign's ballot changes nothing.
    leader.on_message(ctx, "n3", Nack(11, ballot))
    assert leader.role == "candidate"


def test_a_leader_promising_a_higher_prepare_steps_down_and_reports_its_votes() -> None:
    """A Prepare of a higher ballot preempts the leader too: it promises (on disk first) and
    reports the slot it voted for in its own ballot."""
    leader, ctx = start("n1")
    ballot = elect(leader, ctx)
    leader.on_request(ctx, request(1))
    ctx.take_sent()
    ctx.journal.clear()
    leader.on_message(ctx, "n2", Prepare(ballot + 1, 1))
    assert leader.role == "follower" and leader.promised == ballot + 1
    assert ctx.journal[0] == ("persist", "promised")
    ((dst, answer),) = ctx.take_sent()
    assert dst == "n2" and answer == Promise(ballot + 1, 1, 0, (), ((1, Vote(ballot, write(1))),))


def test_a_restarted_acceptor_remembers_its_promise() -> None:
    """An acceptor persists its promise before answering, so after a crash it still refuses
    lower ballots' Prepare and Accept."""
    acceptor, ctx = start("n2")
    acceptor.on_message(ctx, "n1", Prepare(9, 1))
    assert ctx.journal == [("persist", "promised"), ("send", Promise(9, 1, 0, (), ()))]
    restarted, ctx = start("n2", durable=ctx.durable)  # a new instance: the same disk
    restarted.on_message(ctx, "n3", Accept(5, 1, (write(1),), 0, 0.0))
    restarted.on_message(ctx, "n3", Prepare(8, 1))
    assert ctx.take_sent() == [("n3", Nack(9, 5)), ("n3", Nack(9, 8))]
    assert restarted.votes == [] and restarted.promised == 9


def test_votes_are_on_disk_before_they_are_acknowledged_and_survive_a_restart() -> None:
    """An Accept of the promised ballot is voted, persisted, then acknowledged; a restarted
    acceptor reports the vote in its next promise."""
    acceptor, ctx = start("n2")
    acceptor.on_message(ctx, "n1", Accept(3, 1, (write(1), write(2)), 0, 4.0))
    assert ctx.journal == [
        ("persist", "promised"),
        ("persist", "votes"),
        ("send", Accepted(3, 1, 4.0)),
    ]
    restarted, ctx = start("n2", durable=ctx.durable)
    restarted.on_message(ctx, "n3", Prepare(5, 1))
    ((_, answer),) = ctx.take_sent()
    assert answer.accepted == ((1, Vote(3, write(1))), (2, Vote(3, write(2))))


def test_window_and_batching_hold_operations_back_then_send_them_together() -> None:
    """With a window of one batch, operations that arrive while it is in flight wait, and go
    in one Accept of up to max_batch slots once it is chosen (with the new commit point)."""
    leader, ctx = start("n1", window=1, max_batch=2)
    ballot = elect(leader, ctx)
    for i in (1, 2, 3, 4):
        leader.on_request(ctx, request(i))
    accepts = [m for _, m in ctx.of_type(Accept)]
    assert {(m.first, len(m.ops)) for m in accepts} == {(1, 1)}
    leader.on_message(ctx, "n3", Accepted(ballot, 1, 0.0))
    assert ctx.decided[0][0] == 1 and ctx.replies[0][1] is OK
    accepts = [m for _, m in ctx.of_type(Accept)]
    assert {(m.first, tuple(op.op_id for op in m.ops), m.commit) for m in accepts} == {
        (2, (2, 3), 1)
    }
    leader.on_message(ctx, "n2", Accepted(ballot, 2, 0.0))
    leader.on_message(ctx, "n2", Accepted(ballot, 2, 0.0))  # a duplicate counts once
    assert [slot for slot, _ in ctx.decided] == [1, 2, 3]
    assert {m.first for _, m in ctx.of_type(Accept)} == {4}


def test_the_leader_resends_batches_not_chosen_within_a_heartbeat() -> None:
    """A lost Accept is sent again at the next heartbeat, only to those that did not answer."""
    leader, ctx = start("n1", ("n1", "n2", "n3", "n4", "n5"))
    fire(leader, ctx, "election")
    for peer in ("n2", "n3"):
        leader.on_message(ctx, peer, promise(leader.ballot))
    leader.on_request(ctx, request(1))
    leader.on_message(ctx, "n2", Accepted(leader.ballot, 1, 0.0))
    ctx.take_sent()
    fire(leader, ctx, "heartbeat")
    resent = [dst for dst, m in ctx.take_sent() if type(m) is Accept]
    assert resent == ["n3", "n4", "n5"]


def test_a_follower_learns_from_the_piggybacked_commit_point_and_catches_up() -> None:
    """Below the leader's commit point a follower decides the slots it voted for in the
    leader's ballot, and asks the leader for the others."""
    follower, ctx = start("n2")
    follower.on_message(ctx, "n1", Accept(3, 1, (write(1), write(2)), 0, 0.0))
    assert ("follows", {"epoch": 3, "leader": "n1"}) in ctx.events
    follower.on_message(ctx, "n1", Heartbeat(3, 2, 1.0))
    assert [slot for slot, _ in ctx.decided] == [1, 2]
    ctx.take_sent()
    follower.on_message(ctx, "n1", Heartbeat(3, 4, 2.0))
    assert ctx.take_sent() == [("n1", CatchUp(3, 3))]
    follower.on_message(ctx, "n1", Chosen(3, 3, (write(3), write(4))))
    assert [(slot, op.op_id) for slot, op in ctx.decided] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert follower.kv.data == {"x": 4}


def test_a_restarted_replica_learns_every_slot_again_from_the_leader() -> None:
    """Votes of an older ballot prove nothing about what was chosen: a restarted replica that
    hears a new leader's commit point asks it for the slots, and the leader answers."""
    leader, lctx = start("n1")
    ballot = elect(leader, lctx)
    leader.on_request(lctx, request(1))
    leader.on_message(lctx, "n2", Accepted(ballot, 1, 0.0))
    follower, ctx = start("n3", durable={"promised": 2, "votes": [Vote(2, write(9))]})
    follower.on_message(ctx, "n1", Heartbeat(ballot, 1, 0.0))
    assert ctx.take_sent() == [("n1", CatchUp(ballot, 1))]
    lctx.take_sent()
    leader.on_message(lctx, "n3", CatchUp(ballot, 1))
    ((_dst, chosen),) = lctx.take_sent()
    follower.on_message(ctx, "n1", chosen)
    assert [(slot, op.op_id) for slot, op in ctx.decided] == [(1, 1)]


def test_eager_commit_tells_the_followers_at_once() -> None:
    """commit: eager sends the new commit point as soon as a batch is chosen; a follower that
    voted in that ballot decides on it."""
    leader, ctx = start("n1", commit="eager")
    ballot = elect(leader, ctx)
    leader.on_request(ctx, request(1))
    ctx.take_sent()
    leader.on_message(ctx, "n2", Accepted(ballot, 1, 0.0))
    assert ctx.of_type(Commit) == [("n2", Commit(ballot, 1)), ("n3", Commit(ballot, 1))]
    follower, fctx = start("n2")
    follower.on_message(fctx, "n1", Accept(ballot, 1, (write(1),), 0, 0.0))
    follower.on_message(fctx, "n1", Commit(ballot, 1))
    assert [slot for slot, _ in fctx.decided] == [1]


def test_lease_reads_are_answered_only_while_the_lease_holds() -> None:
    """With read: lease a read is answered from the leader's state while a phase-1-meeting set
    acknowledged a send within the minimum election timeout, and goes through the log
    otherwise; a follower that heard its leader recently promises no one else."""
    leader, ctx = start("n1", read="lease")
    ballot = elect(leader, ctx)
    leader.on_request(ctx, request(1, op="read"))
    assert ctx.replies == [] and ctx.of_type(Accept)  # no acknowledgment yet: through the log
    leader.on_message(ctx, "n2", Accepted(ballot, 1, ctx.now))
    assert [slot for slot, _ in ctx.decided] == [1]
    leader.on_message(ctx, "n3", HeartbeatReply(ballot, ctx.now))
    ctx.replies.clear()
    leader.on_request(ctx, request(2, op="read"))
    assert ctx.replies == [(request(2, op="read"), Result("ok", None))]
    ctx.time += 150.0  # the minimum election timeout: the lease has run out
    leader.on_request(ctx, request(3, op="read"))
    assert len(ctx.replies) == 1
    follower, fctx = start("n2", read="lease")
    follower.on_message(fctx, "n1", Heartbeat(ballot, 0, 0.0))
    assert fctx.of_type(HeartbeatReply) == [("n1", HeartbeatReply(ballot, 0.0))]
    follower.on_message(fctx, "n3", Prepare(ballot + 2, 1))
    assert fctx.take_sent() == [] and follower.promised == 0


def test_a_node_alone_is_its_own_quorum() -> None:
    """On one node the campaign wins at once and every operation is chosen when proposed."""
    node, ctx = start("n1", ("n1",))
    fire(node, ctx, "election")
    assert node.is_leader
    node.on_request(ctx, request(1))
    assert [slot for slot, _ in ctx.decided] == [1] and ctx.replies[0][1] is OK


def test_followers_redirect_clients_to_the_leader_they_follow() -> None:
    """A non-leader answers redirect, naming the leader of the ballot it follows."""
    follower, ctx = start("n2")
    follower.on_request(ctx, request(1))
    follower.on_message(ctx, "n3", Heartbeat(5, 0, 0.0))
    follower.on_request(ctx, request(2))
    assert [r.leader for _, r in ctx.replies] == [None, "n3"]
    assert {r.status for _, r in ctx.replies} == {"redirect"}


def test_fpaxos_counts_its_own_quorums_in_each_phase() -> None:
    """fpaxos with q2 = 2 of 5 needs q1 = 4 promises to lead, then one acceptance besides its
    own to choose a value."""
    leader, ctx = start("n1", FIVE, cls=FPaxos, q2=2)
    fire(leader, ctx, "election")
    for peer in ("n2", "n3"):
        leader.on_message(ctx, peer, promise(leader.ballot))
    assert not leader.is_leader  # three promises of the four needed
    leader.on_message(ctx, "n4", promise(leader.ballot))
    assert leader.is_leader
    leader.on_request(ctx, request(1))
    leader.on_message(ctx, "n5", Accepted(leader.ballot, 1, 0.0))
    assert [slot for slot, _ in ctx.decided] == [1] and ctx.replies[0][1] is OK
