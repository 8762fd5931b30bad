"""Multi-Paxos and Flexible Paxos under a random nemesis: linearizable and invariant-clean."""

from __future__ import annotations

import pytest

from tests.protocols.multipaxos.nemesis import nemesis_run


def _assert_safe(seed: int, protocol: str) -> None:
    summary = nemesis_run(seed, protocol)
    assert summary["safety"]["violations"] == [], f"{protocol} seed {seed}"
    assert summary["linearizable"], f"{protocol} seed {seed}"
    assert summary["ops"]["ok"] > 0, f"{protocol} seed {seed}"


@pytest.mark.parametrize("protocol", ["multipaxos", "fpaxos"])
@pytest.mark.parametrize("seed", range(1, 6))
def test_safe_under_a_random_nemesis(protocol: str, seed: int) -> None:
    """Crashes with restarts, pauses, partitions, isolation, loss and duplication on unordered
    links, and the leader crashed, paused or cut off again and again: safe and linearizable."""
    _assert_safe(seed, protocol)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["multipaxos", "fpaxos"])
def test_safe_under_a_random_nemesis_for_200_seeds(protocol: str) -> None:
    """The same property over 200 seeds of 2 simulated seconds each."""
    for seed in range(1000, 1200):
        _assert_safe(seed, protocol)
