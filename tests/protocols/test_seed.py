"""The seed protocol, message by message (FakeContext) and in small simulated clusters."""

from __future__ import annotations

import pytest

from sim.engine import Simulation
from sim.protocols import Op, Request, Result
from sim.protocols.seed import Seed, SeedParams, acknowledgments_needed
from sim.protocols.seed.messages import Acknowledgment, Commit, Proposal
from tests.conftest import make_scenario
from tests.protocols.fake_context import FakeContext

NODES = ("n1", "n2", "n3", "n4", "n5")


@pytest.mark.parametrize(
    ("quorum", "n", "needed"),
    [
        ("article", 2, 1),
        ("article", 5, 3),
        ("article", 4, 2),
        ("majority", 5, 2),
        ("majority", 4, 2),
        ("majority", 3, 1),
        (2, 5, 1),
        (1, 5, 0),
    ],
)
def test_acknowledgments_needed(quorum: str | int, n: int, needed: int) -> None:
    """article: len(peers)//2 + 1; majority: n//2 (plus the proposer); a number counts the
    proposer."""
    assert acknowledgments_needed(quorum, n) == needed


def _proposer(quorum: str | int = "article") -> tuple[Seed, FakeContext]:
    ctx = FakeContext("n1", NODES)
    node = Seed(SeedParams(quorum=quorum), "n1", NODES)
    node.on_start(ctx)
    return node, ctx


def test_proposer_commits_after_enough_acknowledgments() -> None:
    """A request is broadcast as a Proposal; the third distinct ack (article rule, 5 nodes)
    broadcasts Commit, applies it as index 1 and answers the client."""
    node, ctx = _proposer()
    request = Request(1, 0, "write", "k1", 1)
    node.on_request(ctx, request)
    sent = ctx.take_sent()
    assert sorted(dst for dst, _ in sent) == ["n2", "n3", "n4", "n5"]
    proposal = sent[0][1]
    assert isinstance(proposal, Proposal)
    node.on_message(ctx, "n2", Acknowledgment(proposal.proposal_id))
    node.on_message(ctx, "n2", Acknowledgment(proposal.proposal_id))  # a duplicate: no count
    node.on_message(ctx, "n3", Acknowledgment(proposal.proposal_id))
    assert ctx.replies == [] and ctx.decided == []
    node.on_message(ctx, "n4", Acknowledgment(proposal.proposal_id))
    assert [type(m) for _, m in ctx.take_sent()] == [Commit] * 4
    assert [i for i, _ in ctx.decided] == [1]
    assert ctx.replies == [(request, Result("ok"))]


def test_peer_acknowledges_and_applies_commits_in_arrival_order() -> None:
    """A peer acks every proposal and numbers the commits it applies in their arrival order."""
    ctx = FakeContext("n2", NODES)
    node = Seed(SeedParams(), "n2", NODES)
    node.on_start(ctx)
    proposal_a = Proposal("n1:1", Op(1, "write", "k1", 1))
    node.on_message(ctx, "n1", proposal_a)
    assert ctx.take_sent() == [("n1", Acknowledgment("n1:1"))]
    node.on_message(ctx, "n3", Commit("n3:1", Op(2, "write", "k1", 2)))
    node.on_message(ctx, "n1", Commit("n1:1", proposal_a.op))
    assert [(i, op.op_id) for i, op in ctx.decided] == [(1, 2), (2, 1)]


def test_timeout_fails_the_request() -> None:
    """With `timeout`, a proposal short of its quorum is abandoned and the client told `fail`."""
    ctx = FakeContext("n1", NODES)
    node = Seed(SeedParams(timeout=50.0), "n1", NODES)
    request = Request(1, 0, "write", "k1", 1)
    node.on_request(ctx, request)
    [(name, at)] = ctx.timers.items()
    assert at == 50.0
    node.on_timer(ctx, name)
    assert ctx.replies == [(request, Result("fail"))]


def test_local_read_answers_from_own_state() -> None:
    """Reads are answered by the contacted replica from what it has applied (read: local)."""
    node, ctx = _proposer(quorum=1)
    node.on_request(ctx, Request(1, 0, "write", "k1", 7))
    node.on_request(ctx, Request(2, 0, "read", "k1", None))
    assert ctx.replies[-1][1] == Result("ok", 7)


def _cluster(**sections: object) -> Simulation:
    defaults: dict[str, object] = {
        "cluster": {"nodes": 5, "protocol": "seed", "params": {"quorum": "majority"}},
        "network": {"latency": "1ms", "ordering": "fifo"},
        "workload": {"clients": 1, "target": "n1", "timeout": "100ms"},
    }
    defaults.update(sections)
    return Simulation(make_scenario(**defaults))


def test_partition_leaving_proposer_in_minority_stops_commits() -> None:
    """Once n1 is cut off with one peer it cannot gather a majority: no commit after the cut."""
    simulation = _cluster()
    simulation.env.process(_partition_at(simulation, 500.0))
    simulation.run()
    n1 = [t for node, _, _, t in simulation.recorder.decisions if node == "n1"]
    assert any(t < 500 for t in n1)
    assert not any(t > 502 for t in n1)  # a commit already in flight may land within a hop
    assert any(row[-1] == "unknown" for row in simulation.recorder.requests)


def _partition_at(simulation: Simulation, at: float):  # type: ignore[no-untyped-def]
    yield simulation.env.timeout(at)
    simulation.network.partition([["n1", "n2"], ["n3", "n4", "n5"]])


def test_lost_commit_leaves_a_replica_behind() -> None:
    """Cut n1 -> n5 (one way): n5 still acks proposals but never gets a Commit, so it applies
    nothing while the others apply everything; the article has no retransmission."""
    simulation = _cluster()
    simulation.network.cut("n1", "n5")
    simulation.run()
    applied = {n: 0 for n in simulation.nodes}
    for node, *_ in simulation.recorder.decisions:
        applied[node] += 1
    assert applied["n5"] == 0
    assert applied["n1"] == applied["n2"] > 100


def test_lost_commits_diverge_replicas_under_loss() -> None:
    """With random loss a replica misses some commits and its sequence no longer matches."""
    simulation = _cluster(network={"latency": "1ms", "ordering": "fifo", "loss": 0.05})
    simulation.run()
    assert not simulation.recorder.safety.ok
    assert simulation.recorder.safety.violations[0]["kind"] == "agreement"


def test_single_proposer_on_fifo_links_stays_safe() -> None:
    """One proposer and ordered, lossless links: every replica applies the same sequence."""
    simulation = _cluster()
    simulation.run()
    assert simulation.recorder.safety.ok
    per_node = {
        n: [op for node, _, op, _ in simulation.recorder.decisions if node == n]
        for n in simulation.nodes
    }
    assert len(per_node["n1"]) > 100
    shortest = min(len(v) for v in per_node.values())
    assert all(v[:shortest] == per_node["n1"][:shortest] for v in per_node.values())
