"""Closed forms for a leader-based protocol (Multi-Paxos, Flexible Paxos, Raft) on a scenario's
links: commit latency as an order statistic of round trips, client latency through the leader,
and the leader's saturation under the per-message CPU model.

A leader that needs ``q2`` acceptances (its own among them) commits when the ``q2 - 1``-th
fastest of its round trips to the others returns. On links of fixed latency (or of spread small
next to the gaps between round trips) that is the ``q2 - 1``-th smallest mean round trip. A
client at a node's site then waits for its request to reach the leader, the commit, and the
reply to come back. Means are read off the scenario's links, overrides applied, so that the
closed form and the simulation use the same matrix; no disk latency or processing time is
counted (the scenarios held against these set none).
"""

from __future__ import annotations

from sim.core.rng import RandomStreams
from sim.network.latency import mean_of
from sim.network.links import LinkTable
from sim.scenario.model import Scenario


class Matrix:
    """Mean one-way latencies (ms) between a scenario's nodes, and the client latency."""

    def __init__(self, scenario: Scenario) -> None:
        self.nodes = scenario.cluster.node_names
        self._links = LinkTable(scenario.network, RandomStreams(0))  # only `configured` is used
        self.client = mean_of(scenario.network.client_latency)

    def one_way(self, src: str, dst: str) -> float:
        return 0.0 if src == dst else mean_of(self._links.configured(src, dst)[0])

    def round_trip(self, a: str, b: str) -> float:
        return self.one_way(a, b) + self.one_way(b, a)


def commit_latency(matrix: Matrix, leader: str, q2: int) -> float:
    """The leader's commit latency: the ``q2 - 1``-th smallest round trip to the others (0 when
    the leader alone is a phase-2 quorum)."""
    others = sorted(matrix.round_trip(leader, node) for node in matrix.nodes if node != leader)
    if not 1 <= q2 <= len(others) + 1:
        raise ValueError(f"q2 must be in 1..{len(others) + 1}, not {q2}")
    return others[q2 - 2] if q2 > 1 else 0.0


def client_latency(matrix: Matrix, site: str, leader: str, q2: int) -> float:
    """Latency of a client at ``site``'s node whose requests go to ``leader``: there, the
    commit, and back, each client message paying the client latency too."""
    return (
        matrix.one_way(site, leader)
        + commit_latency(matrix, leader, q2)
        + matrix.one_way(leader, site)
        + 2 * matrix.client
    )


def saturation_throughput(nodes: int, processing_ms: float) -> float:
    """Commits per second at which a leader's CPU is busy all the time: per commit it handles
    the client's request and ``nodes - 1`` acceptances, ``processing_ms`` each (no batching; the
    followers handle one message per commit and stay below it)."""
    if nodes < 1 or processing_ms <= 0:
        raise ValueError("needs at least one node and a processing time above zero")
    return 1000.0 / (nodes * processing_ms)


def throughput_under_load(offered_per_s: float, nodes: int, processing_ms: float) -> float:
    """Commits per second of such a leader under open-loop load ``offered_per_s``, its clients
    waiting however long it takes: all of it up to `saturation_throughput`; beyond, the requests
    still take their share ``offered x p`` of the CPU (each is handled on arrival, then waits
    for the window), and the rest goes to acceptances, ``n - 1`` per commit, down to nothing
    once requests alone fill the CPU."""
    saturation = saturation_throughput(nodes, processing_ms)
    if offered_per_s <= saturation:
        return offered_per_s
    if nodes == 1:
        return saturation
    p = processing_ms / 1000.0
    return max(0.0, (1.0 - offered_per_s * p) / ((nodes - 1) * p))
