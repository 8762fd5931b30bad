"""Quorums against brute force: every subset of a small cluster, every acknowledgment order."""

from __future__ import annotations

import math
import random
from itertools import chain, combinations

import pytest

from sim.protocols.api.quorum import (
    Flexible,
    Quorum,
    QuorumTracker,
    count,
    disjoint_quorums,
    intersection_problems,
    majority,
    weighted,
)


def _names(n: int) -> tuple[str, ...]:
    return tuple(f"n{i}" for i in range(1, n + 1))


def _subsets(nodes: tuple[str, ...]) -> list[frozenset[str]]:
    return [
        frozenset(c)
        for c in chain.from_iterable(combinations(nodes, k) for k in range(len(nodes) + 1))
    ]


def _quorums(quorum: Quorum) -> list[frozenset[str]]:
    """Every quorum, by its definition: the subsets whose votes reach the threshold."""
    return [
        s for s in _subsets(quorum.nodes) if sum(quorum.votes[n] for n in s) >= quorum.threshold
    ]


def _always_meet(q1: Quorum, q2: Quorum) -> bool:
    return all(a & b for a in _quorums(q1) for b in _quorums(q2))


def _random_votes(rng: random.Random, n: int) -> dict[str, int]:
    return {node: rng.randint(0, 3) for node in _names(n)}


def test_majority_count_and_weighted_thresholds() -> None:
    """Majority is n//2 + 1 nodes; weighted defaults to more than half of all the votes."""
    assert [majority(_names(n)).threshold for n in range(1, 8)] == [1, 2, 2, 3, 3, 4, 4]
    assert count(_names(5), 2).is_quorum(["n1", "n4"])
    assert not count(_names(5), 3).is_quorum(["n1", "n4", "n4"])  # a node counts once
    heavy = weighted({"a": 3, "b": 1, "c": 1})
    assert heavy.threshold == 3 and heavy.is_quorum(["a"]) and not heavy.is_quorum(["b", "c"])
    assert not count(_names(3), 4).reachable and count(_names(3), 3).reachable


@pytest.mark.parametrize("n", range(1, 7))
def test_counted_phases_meet_exactly_when_q1_plus_q2_exceeds_n(n: int) -> None:
    """For every q1, q2 of n nodes: no problem reported iff every Q1 meets every Q2 (by
    enumeration), which is q1 + q2 > n."""
    nodes = _names(n)
    for q1 in range(1, n + 1):
        for q2 in range(1, n + 1):
            flexible = Flexible(count(nodes, q1), count(nodes, q2))
            meets = _always_meet(flexible.phase1, flexible.phase2)
            assert meets == (q1 + q2 > n)
            assert (flexible.problems() == []) == meets
            if not meets:
                assert "q1 + q2 > n" in flexible.problems()[0]


@pytest.mark.parametrize("seed", range(40))
def test_weighted_intersection_matches_brute_force(seed: int) -> None:
    """Random votes and thresholds: a disjoint pair is found iff one exists, and it is one."""
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    votes1, votes2 = _random_votes(rng, n), _random_votes(rng, n)
    q1 = Quorum(votes1, rng.randint(1, max(sum(votes1.values()), 1)))
    q2 = Quorum(votes2, rng.randint(1, max(sum(votes2.values()), 1)))
    pair = disjoint_quorums(q1, q2)
    assert (pair is None) == _always_meet(q1, q2)
    if pair is not None:
        first, second = map(frozenset, pair)
        assert not first & second
        assert first in _quorums(q1) and second in _quorums(q2)
    assert (intersection_problems(q1, q2) == []) == (pair is None or not q1.reachable)


def test_one_quorum_kind_must_meet_itself() -> None:
    """Two quorums of 2 of 4 can be disjoint; 3 of 4 cannot; the message names a pair."""
    [problem] = intersection_problems(count(_names(4), 2))
    assert "{n1, n2} and {n3, n4}" in problem
    assert intersection_problems(count(_names(4), 3)) == []
    assert intersection_problems(majority(_names(6))) == []


@pytest.mark.parametrize("seed", range(30))
def test_tracker_ack_reaches_the_quorum_once_as_the_oracle_says(seed: int) -> None:
    """Random acknowledgments (duplicates included) of random slots: `ack` is True exactly on
    the acknowledgment that first gives the slot's voters plus the owner a quorum."""
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    votes = _random_votes(rng, n) if seed % 2 else dict.fromkeys(_names(n), 1)
    quorum = Quorum(votes, rng.randint(1, max(sum(votes.values()), 1)))
    tracker = QuorumTracker(quorum, owner="n1")
    acked: dict[int, set[str]] = {}
    for _ in range(60):
        slot, voter = rng.randint(1, 4), rng.choice(_names(n)[1:] or ("n1",))
        before = quorum.is_quorum(acked.get(slot, set()) | {"n1"})
        acked.setdefault(slot, set()).add(voter)
        after = quorum.is_quorum(acked[slot] | {"n1"})
        assert tracker.ack(slot, voter) == (after and not before)
    assert tracker.needed == quorum.threshold - votes["n1"]


@pytest.mark.parametrize("seed", range(30))
def test_tracker_ack_through_returns_the_highest_index_a_quorum_holds(seed: int) -> None:
    """Voters' match indices rise at random; each call's answer is the highest index in the new
    range that the voters holding it (and the owner) make a quorum of."""
    rng = random.Random(seed)
    n = rng.randint(2, 6)
    votes = _random_votes(rng, n) if seed % 2 else dict.fromkeys(_names(n), 1)
    quorum = Quorum(votes, rng.randint(1, max(sum(votes.values()), 1)))
    tracker = QuorumTracker(quorum, owner="n1")
    match = dict.fromkeys(_names(n)[1:], 0)
    for _ in range(40):
        voter = rng.choice(list(match))
        new = match[voter] + rng.randint(1, 3)
        old, match[voter] = match[voter], new

        def held(index: int) -> bool:
            return quorum.is_quorum({"n1", *(v for v, m in match.items() if m >= index)})

        expected = max((i for i in range(old + 1, new + 1) if held(i)), default=0)
        assert tracker.ack_through(old, new, voter) == expected


def test_forgotten_slots_start_again() -> None:
    """After `forget` and `forget_range`, acknowledgments count from nothing."""
    tracker = QuorumTracker(count(_names(3), 3), owner="n1")
    assert not tracker.ack("p", "n2")
    tracker.forget("p")
    assert not tracker.ack("p", "n3")
    assert tracker.ack("p", "n2")
    assert tracker.ack_through(0, 2, "n2") == 0
    tracker.forget_range(1, 2)
    assert tracker.ack_through(0, 2, "n3") == 0


@pytest.mark.parametrize("seed", range(20))
def test_newest_common_time_matches_brute_force(seed: int) -> None:
    """The newest t such that the nodes with a time >= t are a quorum, by trying every t."""
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    votes = _random_votes(rng, n)
    quorum = Quorum(votes, rng.randint(1, max(sum(votes.values()), 1)))
    times = {node: float(rng.randint(0, 5)) for node in _names(n)}
    candidates = [t for t in times.values() if quorum.is_quorum(n for n in times if times[n] >= t)]
    assert quorum.newest_common_time(times) == max(candidates, default=-math.inf)


def test_bad_quorums_are_refused() -> None:
    """A threshold below one vote and negative votes are errors."""
    with pytest.raises(ValueError, match="threshold"):
        count(_names(3), 0)
    with pytest.raises(ValueError, match="negative"):
        Quorum({"a": -1}, 1)
