"""Quorums: which sets of nodes may decide, whether two kinds of them must meet, and counting
acknowledgments toward one.

Every quorum here is a *threshold* quorum: each node has a number of votes (one, unless weighted)
and a set of nodes is a quorum when its votes reach the threshold. `majority`, `count` and
`weighted` build one. A protocol with two phases (Paxos's prepare and accept, Raft's vote and
replication) may use a different quorum for each, as Flexible Paxos does (`Flexible`); it is
safe only if every phase-1 quorum meets every phase-2 quorum, which `intersection_problems`
checks exactly (for one vote each: ``q1 + q2 > n``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass


class Quorum:
    """A threshold quorum over ``nodes``: a set is a quorum when its votes reach ``threshold``.

    The threshold may exceed the votes there are: no set is a quorum then (a protocol told to
    wait for more nodes than the cluster has waits forever; `reachable` says so).
    """

    __slots__ = ("_uniform", "nodes", "threshold", "votes")

    def __init__(self, votes: Mapping[str, int], threshold: int) -> None:
        if threshold < 1:
            raise ValueError(f"a quorum needs a threshold of at least 1 vote, got {threshold}")
        if any(v < 0 for v in votes.values()):
            raise ValueError(f"votes must not be negative, got {dict(votes)}")
        self.nodes = tuple(sorted(votes))
        self.votes = dict(votes)
        self.threshold = threshold
        self._uniform = all(v == 1 for v in self.votes.values())

    @property
    def total(self) -> int:
        """The votes of all the nodes together."""
        return sum(self.votes.values())

    @property
    def reachable(self) -> bool:
        """Whether the whole cluster is a quorum (else none is)."""
        return self.total >= self.threshold

    @property
    def uniform(self) -> bool:
        """Whether every node has one vote (the quorum is then a number of nodes)."""
        return self._uniform

    def weight(self, nodes: Iterable[str]) -> int:
        """The votes of ``nodes`` (each counted once; nodes outside the quorum have none)."""
        return sum(self.votes.get(node, 0) for node in set(nodes))

    def is_quorum(self, nodes: Iterable[str]) -> bool:
        return self.weight(nodes) >= self.threshold

    def newest_common_time(self, times: Mapping[str, float]) -> float:
        """The newest time ``t`` such that the nodes whose time is at least ``t`` form a quorum
        (-inf if no quorum has a time): with ``times`` the last acknowledgment of each node, the
        time since which a quorum has been in touch (a leader's lease, CheckQuorum)."""
        newest_first = sorted(times.items(), key=lambda item: item[1], reverse=True)
        votes = 0
        for node, time in newest_first:
            votes += self.votes.get(node, 0)
            if votes >= self.threshold:
                return time
        return -math.inf

    def describe(self) -> str:
        """``3 of 5 nodes``, or ``4 of 7 votes`` when weighted."""
        if self._uniform:
            return f"{self.threshold} of {len(self.nodes)} nodes"
        return f"{self.threshold} of {self.total} votes"

    def __repr__(self) -> str:
        return f"Quorum({self.describe()})"


def majority(nodes: Iterable[str]) -> Quorum:
    """More than half of the nodes, one vote each."""
    names = tuple(nodes)
    return Quorum(dict.fromkeys(names, 1), len(names) // 2 + 1)


def count(nodes: Iterable[str], size: int) -> Quorum:
    """Any ``size`` of the nodes, one vote each."""
    return Quorum(dict.fromkeys(nodes, 1), size)


def weighted(votes: Mapping[str, int], threshold: int | None = None) -> Quorum:
    """Nodes with ``votes`` each (Gifford's weighted voting); the threshold defaults to more
    than half of all the votes."""
    return Quorum(votes, sum(votes.values()) // 2 + 1 if threshold is None else threshold)


@dataclass(frozen=True, slots=True)
class Flexible:
    """A phase-1 quorum (to take over: elect, prepare) and a phase-2 quorum (to decide: replicate,
    accept), as in Flexible Paxos. Safe when every Q1 meets every Q2 (`problems`)."""

    phase1: Quorum
    phase2: Quorum

    def problems(self) -> list[str]:
        return intersection_problems(self.phase1, self.phase2)


def intersection_problems(phase1: Quorum, phase2: Quorum | None = None) -> list[str]:
    """Why a phase-1 quorum can miss a phase-2 quorum, as one line naming two disjoint ones;
    an empty list if every pair meets. With one quorum, whether any two of it meet.

    Exact for any votes: it looks for the disjoint pair that would break the rule. With one vote
    each that is ``q1 + q2 <= n``; with weights, a knapsack over the nodes.
    """
    single = phase2 is None
    q2 = phase1 if phase2 is None else phase2
    if not phase1.reachable or not q2.reachable:
        return []  # no quorum of one kind at all: nothing to meet (a liveness problem)
    pair = disjoint_quorums(phase1, q2)
    if pair is None:
        return []
    first, second = pair
    if single:
        what = f"two quorums of {phase1.describe()}"
        rule = "any two quorums must share a node: 2 x quorum > n" if phase1.uniform else ""
    else:
        what = f"a phase-1 quorum ({phase1.describe()}) and a phase-2 quorum ({q2.describe()})"
        rule = "q1 + q2 > n" if phase1.uniform and q2.uniform else ""
    rule = rule or "every phase-1 quorum must share a node with every phase-2 quorum"
    return [
        f"{what} can be disjoint, e.g. {{{', '.join(first)}}} and {{{', '.join(second)}}} "
        f"(allowed: {rule})"
    ]


def disjoint_quorums(
    phase1: Quorum, phase2: Quorum
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """A phase-1 quorum and a phase-2 quorum with no node in common, or None if there is none."""
    nodes = sorted(set(phase1.nodes) | set(phase2.nodes))
    if phase1.uniform and phase2.uniform and phase1.nodes == phase2.nodes:
        q1, q2 = phase1.threshold, phase2.threshold
        return (tuple(nodes[:q1]), tuple(nodes[q1 : q1 + q2])) if q1 + q2 <= len(nodes) else None
    # Each node goes to the first set (side 1), the second (2), or neither (0). After each node,
    # steps[-1][a] is the most phase-2 votes the second set can have while the first has ``a``
    # phase-1 votes (capped at its threshold), with the previous ``a`` and the side taken, for
    # walking back: O(nodes x threshold).
    cap = phase1.threshold
    steps: list[dict[int, tuple[int, int, int]]] = [{0: (0, 0, 0)}]
    for node in nodes:
        v1, v2 = phase1.votes.get(node, 0), phase2.votes.get(node, 0)
        grown: dict[int, tuple[int, int, int]] = {}
        for a, (b, _, _) in steps[-1].items():
            for side, na, nb in ((0, a, b), (1, min(a + v1, cap), b), (2, a, b + v2)):
                if na not in grown or grown[na][0] < nb:
                    grown[na] = (nb, a, side)
        steps.append(grown)
    found = steps[-1].get(cap)
    if found is None or found[0] < phase2.threshold:
        return None
    sides: list[int] = []
    a = cap
    for step in reversed(steps[1:]):
        _, a, side = step[a]
        sides.append(side)
    sides.reverse()
    first = tuple(node for node, side in zip(nodes, sides, strict=True) if side == 1)
    second = tuple(node for node, side in zip(nodes, sides, strict=True) if side == 2)
    return first, second


class QuorumTracker:
    """Acknowledgments toward one quorum, per slot (a proposal, a log index).

    ``owner`` (the proposer, the leader) holds every slot it tracks without acknowledging it:
    ``needed`` is what the others' votes must add up to, 0 or less when the owner alone is a
    quorum (the protocol then decides at once, with no acknowledgment to wait for).

    Two ways to count, one per kind of acknowledgment:

    - `ack`: a voter acknowledges one slot; duplicates count once (a network may duplicate).
    - `ack_through`: a voter now holds every slot of a log up to an index (Raft's match index).
      A voter's index only rises and each call counts only the new slots, so a count per index
      is enough, with no set of voters; and the counts fall as the index rises, so the highest
      index at its quorum is the one to commit.
    """

    __slots__ = ("_counts", "_quorum", "_voters", "needed")

    def __init__(self, quorum: Quorum, owner: str | None = None) -> None:
        self._quorum = quorum
        self.needed = quorum.threshold - (quorum.votes.get(owner, 0) if owner is not None else 0)
        self._counts: dict[Hashable, int] = {}  # slot -> votes acknowledged
        self._voters: dict[Hashable, set[str]] = {}  # slot -> who acknowledged it (`ack`)

    def ack(self, slot: Hashable, voter: str) -> bool:
        """``voter`` acknowledged ``slot``; True when this acknowledgment makes it reach the
        quorum (once per slot; never when ``needed`` <= 0: the owner decides without asking)."""
        voters = self._voters.get(slot)
        if voters is None:
            voters = self._voters[slot] = set()
        elif voter in voters:
            return False
        voters.add(voter)
        if self._quorum._uniform:
            return len(voters) == self.needed
        before = self._counts.get(slot, 0)
        after = self._counts[slot] = before + self._quorum.votes.get(voter, 0)
        return before < self.needed <= after

    def ack_through(self, low: int, high: int, voter: str) -> int:
        """``voter``, counted up to index ``low`` so far, now holds every index up to ``high``:
        count it for ``low + 1 .. high`` and return the highest of those at its quorum (0 if
        none is)."""
        counts, needed = self._counts, self.needed
        weight = 1 if self._quorum._uniform else self._quorum.votes.get(voter, 0)
        top = 0
        for index in range(low + 1, high + 1):
            count = counts[index] = counts.get(index, 0) + weight
            if count >= needed:
                top = index
        return top

    def forget(self, slot: Hashable) -> None:
        """Stop tracking ``slot`` (decided, or given up)."""
        self._voters.pop(slot, None)
        self._counts.pop(slot, None)

    def forget_range(self, first: int, last: int) -> None:
        """Stop tracking indices ``first .. last`` (committed)."""
        counts = self._counts
        for index in range(first, last + 1):
            counts.pop(index, None)
