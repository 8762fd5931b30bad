"""Raft across 3 and 5 nodes, wired by a tiny synchronous network driven by hand (no simpy)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from sim.protocols.api import Op, Request, Result
from sim.protocols.raft import Raft
from tests.protocols.fake_context import FakeContext


class Cluster:
    """Raft nodes on FakeContexts. Messages arrive instantly, in send order, unless a node is
    isolated or the link loses them; timers fire in time order (ties by node, then name)."""

    def __init__(self, size: int = 3, seed: int = 0, loss: float = 0.0, **params: Any) -> None:
        self.names = tuple(f"n{i}" for i in range(1, size + 1))
        self.params = Raft.Params(**params)
        self.seed = seed
        self.loss = loss
        self.network_rng = np.random.default_rng([seed, 0])
        self.now = 0.0
        self.isolated: set[str] = set()
        self.node: dict[str, Raft] = {}
        self.ctx: dict[str, FakeContext] = {}
        self.lives: list[FakeContext] = []  # every context ever used, restarts included
        for name in self.names:
            self.boot(name, {})

    def boot(self, name: str, durable: dict[str, Any]) -> None:
        stream = np.random.default_rng([self.seed, 1 + self.names.index(name), len(self.lives)])
        ctx = FakeContext(name, self.names, time=self.now, durable=durable, rng=stream)
        self.ctx[name], self.node[name] = ctx, Raft(self.params, name, self.names)
        self.lives.append(ctx)
        self.node[name].on_start(ctx)

    def restart(self, name: str) -> None:
        """Crash and restart ``name``: only what it persisted survives."""
        self.boot(name, dict(self.ctx[name].durable))
        self.deliver()

    def deliver(self) -> None:
        while batch := [(src, *sent) for src in self.names for sent in self.ctx[src].take_sent()]:
            for src, dst, msg in batch:
                if self.isolated & {src, dst}:
                    continue
                if self.loss and self.network_rng.random() < self.loss:
                    continue
                self.node[dst].on_message(self.ctx[dst], src, msg)

    def run(self, duration: float) -> None:
        """Fire every timer due within ``duration`` ms, delivering what each one causes."""
        until = self.now + duration
        while (due := self.next_timer()) and due[0] <= until:
            when, name, timer = due
            self.tick(when)
            del self.ctx[name].timers[timer]
            self.node[name].on_timer(self.ctx[name], timer)
            self.deliver()
        self.tick(until)

    def next_timer(self) -> tuple[float, str, str] | None:
        due = [
            (t, name, timer) for name in self.names for timer, t in self.ctx[name].timers.items()
        ]
        return min(due, default=None)

    def tick(self, now: float) -> None:
        self.now = now
        for ctx in self.ctx.values():
            ctx.time = now

    def request(self, name: str, request: Request) -> None:
        self.node[name].on_request(self.ctx[name], request)
        self.deliver()

    def leaders(self) -> list[str]:
        return [name for name in self.names if self.node[name].is_leader]

    def leader(self) -> str:
        [leader] = self.leaders()
        return leader

    def events(self, event: str) -> list[dict[str, Any]]:
        return [fields for ctx in self.lives for name, fields in ctx.events if name == event]

    def replies(self, name: str) -> list[Result]:
        return [result for _, result in self.ctx[name].replies]


def events_of(cluster: Cluster, name: str, event: str) -> list[dict[str, Any]]:
    return [fields for kind, fields in cluster.ctx[name].events if kind == event]


def write(op_id: int, value: Any, key: str = "x") -> Request:
    return Request(op_id=op_id, client=0, op="write", key=key, value=value)


def assert_safe(cluster: Cluster) -> None:
    """Election Safety (one leader per term) and agreement on every decided index."""
    leaders_of: dict[int, set[str]] = defaultdict(set)
    for ctx in cluster.lives:
        for event, fields in ctx.events:
            if event == "became_leader":
                leaders_of[fields["epoch"]].add(ctx.node_id)
    assert all(len(leaders) == 1 for leaders in leaders_of.values()), leaders_of
    decided: dict[int, Op] = {}
    for ctx in cluster.lives:
        for index, op in ctx.decided:
            assert decided.setdefault(index, op) == op, (index, ctx.node_id)
        assert [index for index, _ in ctx.decided] == list(range(1, len(ctx.decided) + 1))


@pytest.mark.parametrize("size", [3, 5])
@pytest.mark.parametrize("seed", range(5))
def test_cluster_elects_one_leader_that_everyone_follows(size: int, seed: int) -> None:
    """From a cold start one leader emerges and every other node accepts it."""
    cluster = Cluster(size, seed)
    cluster.run(1000)
    leader = cluster.leader()
    term = cluster.node[leader].term
    for name in cluster.names:
        assert cluster.node[name].leader == leader
        assert cluster.node[name].term == term
    assert len(cluster.events("follows")) >= size - 1
    assert_safe(cluster)


def test_writes_replicate_to_every_node_in_order() -> None:
    """Every node applies the same sequence and the leader answers each write."""
    cluster = Cluster(5, seed=1)
    cluster.run(1000)
    leader = cluster.leader()
    for i in range(1, 31):
        cluster.request(leader, write(i, i))
    cluster.run(200)
    assert cluster.replies(leader) == [Result("ok")] * 30
    for name in cluster.names:
        assert cluster.node[name].kv.data == {"x": 30}
        assert [op.op_id for _, op in cluster.ctx[name].decided][-30:] == list(range(1, 31))
    assert_safe(cluster)


def test_isolated_leader_is_replaced_and_committed_writes_survive() -> None:
    """Leader Completeness: the next leader holds every entry the old one committed."""
    cluster = Cluster(5, seed=2)
    cluster.run(1000)
    old = cluster.leader()
    cluster.request(old, write(1, "kept"))
    cluster.isolated.add(old)
    cluster.request(old, write(2, "lost"))  # reaches no one: never commits
    cluster.run(1000)
    new = [name for name in cluster.leaders() if name != old]
    assert len(new) == 1 and cluster.node[new[0]].term > cluster.node[old].term
    cluster.isolated.clear()
    cluster.run(500)
    assert cluster.leaders() == new
    for name in cluster.names:
        assert cluster.node[name].kv.data == {"x": "kept"}
    assert Result("ok") in cluster.replies(old)
    assert all(result.status != "fail" for result in cluster.replies(old))
    assert_safe(cluster)


def test_restarted_follower_catches_up_from_its_durable_log() -> None:
    """A crashed follower restarts with its log and term, and re-applies to the same state."""
    cluster = Cluster(3, seed=3)
    cluster.run(1000)
    leader = cluster.leader()
    follower = next(name for name in cluster.names if name != leader)
    for i in range(1, 6):
        cluster.request(leader, write(i, i))
    cluster.run(100)
    term = cluster.node[follower].term
    cluster.restart(follower)
    assert cluster.node[follower].term == term and cluster.node[follower].log.last_index >= 6
    cluster.request(leader, write(6, 6))
    cluster.run(100)
    assert cluster.node[follower].kv.data == {"x": 6}
    assert cluster.leaders() == [leader]
    assert_safe(cluster)


def test_pipeline_recovers_from_a_lost_batch() -> None:
    """An AppendEntries lost on the way to one follower is sent again after a heartbeat."""
    cluster = Cluster(3, seed=4)
    cluster.run(1000)
    leader = cluster.leader()
    victim = next(name for name in cluster.names if name != leader)
    cluster.node[leader].on_request(cluster.ctx[leader], write(1, 1))
    cluster.ctx[leader].sent = [
        (dst, msg) for dst, msg in cluster.ctx[leader].sent if dst != victim
    ]
    cluster.deliver()
    assert cluster.node[victim].log.last_index < cluster.node[leader].log.last_index
    cluster.run(cluster.params.heartbeat * 2)
    assert cluster.node[victim].kv.data == {"x": 1}
    assert_safe(cluster)


@pytest.mark.parametrize("seed", range(8))
def test_safety_under_loss_isolation_and_restarts(seed: int) -> None:
    """Random loss, isolations and restarts never yield two leaders in a term or divergent
    decisions, and the cluster settles on one leader once healed."""
    cluster = Cluster(5, seed, loss=0.2, max_inflight=2, max_batch=3, conflict_term=seed % 2 == 0)
    chaos = np.random.default_rng(seed)
    for i in range(1, 41):
        cluster.run(float(chaos.uniform(0, 120)))
        victim = cluster.names[chaos.integers(len(cluster.names))]
        match chaos.integers(6):
            case 0:
                cluster.isolated = {victim}
            case 1:
                cluster.isolated = set()
            case 2:
                cluster.restart(victim)
        for name in cluster.leaders():
            cluster.request(name, write(i, i))
    cluster.isolated, cluster.loss = set(), 0.0
    cluster.run(3000)
    assert len(cluster.leaders()) == 1
    assert_safe(cluster)
    commit = cluster.node[cluster.leader()].commit_index
    assert all(cluster.node[name].commit_index == commit for name in cluster.names)


# -- PreVote and CheckQuorum across a partition ----------------------------------------------


def partition_a_follower(**params: Any) -> tuple[Cluster, str, str, int]:
    """Isolate a follower for 2 s, then heal; the leader, the follower, the leader's old term."""
    cluster = Cluster(3, seed=5, **params)
    cluster.run(1000)
    leader = cluster.leader()
    follower = next(name for name in cluster.names if name != leader)
    term = cluster.node[leader].term
    cluster.isolated.add(follower)
    cluster.run(2000)
    return cluster, leader, follower, term


def test_prevote_keeps_a_partitioned_nodes_term_and_the_leader_in_place() -> None:
    """With prevote the cut-off node never raises its term, so healing deposes no one."""
    cluster, leader, follower, term = partition_a_follower(prevote=True)
    assert cluster.node[follower].term == term
    assert cluster.node[follower].role == "precandidate"
    cluster.isolated.clear()
    cluster.run(1000)
    assert cluster.leaders() == [leader] and cluster.node[leader].term == term
    assert cluster.events("stepped_down") == []


def test_without_prevote_a_rejoining_node_deposes_the_leader() -> None:
    """The contrast: the partitioned node's term grows and, on return, forces a new election."""
    cluster, leader, follower, term = partition_a_follower()
    assert cluster.node[follower].term > term + 1
    cluster.isolated.clear()
    cluster.run(1000)
    assert events_of(cluster, leader, "stepped_down") == [{"epoch": term}]
    assert cluster.node[cluster.leader()].term > term
    assert_safe(cluster)


def test_check_quorum_isolated_leader_steps_down() -> None:
    """With check_quorum a leader cut off from everyone stops leading within two timeouts."""
    cluster = Cluster(3, seed=6, check_quorum=True)
    cluster.run(1000)
    leader = cluster.leader()
    cluster.isolated.add(leader)
    cluster.run(2 * cluster.params.election_timeout[0])
    assert not cluster.node[leader].is_leader
    assert len(cluster.leaders()) == 1


def test_without_check_quorum_isolated_leader_keeps_leading() -> None:
    """Without check_quorum the cut-off leader still believes it leads, next to a new one."""
    cluster = Cluster(3, seed=6)
    cluster.run(1000)
    leader = cluster.leader()
    cluster.isolated.add(leader)
    cluster.run(2000)
    assert cluster.node[leader].is_leader
    assert len(cluster.leaders()) == 2
    assert_safe(cluster)


def test_lease_reads_stop_before_a_new_leader_is_elected() -> None:
    """read=lease: the cut-off leader serves reads locally only while no other leader can exist."""
    cluster = Cluster(3, seed=7, read="lease")
    cluster.run(1000)
    old = cluster.leader()
    cluster.request(old, write(1, "a"))
    cluster.isolated.add(old)
    served = 0
    for step in range(100):
        cluster.run(5)
        before = len(cluster.replies(old))
        cluster.request(old, Request(op_id=100 + step, client=1, op="read", key="x", value=None))
        if len(cluster.replies(old)) > before:
            served += 1
            assert cluster.replies(old)[-1] == Result("ok", value="a")
            assert cluster.leaders() == [old]
    assert served > 0
    assert len(cluster.leaders()) == 2  # a new leader, and the old one answering no more reads
    assert_safe(cluster)
