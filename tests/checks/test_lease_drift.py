"""The lease-drift teaching pair: `read: lease` stays linearizable with clock drift inside the
lease's margin and is caught by the checker beyond it, over seeds, not only for the file's own."""

from __future__ import annotations

from typing import Any

import pytest

from sim import load_scenario, run
from sim.protocols.raft.params import RaftParams
from tests.conftest import SCENARIOS

SAFE = SCENARIOS / "raft-lease-drift-safe.yaml"
UNSAFE = SCENARIOS / "raft-lease-drift-unsafe.yaml"
SEEDS = range(1, 11)


def _margin(path: Any) -> float:
    """The lease's overrun of the followers' protection in ms, T/(1+d_L) - T/(1+d_F), for the
    scenario's leader n1 and its worst follower (the docs' closed form)."""
    scenario = load_scenario(path)
    drift = scenario.cluster.clock_drift
    t = RaftParams.model_validate(scenario.cluster.params).election_timeout[0]
    return max(t / (1 + drift["n1"]) - t / (1 + drift[f]) for f in ("n2", "n3"))


def _caught(path: Any) -> list[int]:
    """The seeds of 1..10 for which the checker finds the history not linearizable."""
    return [
        seed
        for seed in SEEDS
        if run(load_scenario(path, overrides=[f"seed={seed}"])).summary["linearizable"] is False
    ]


def test_the_pair_differs_only_in_the_drift() -> None:
    """Name, description and expectation aside, the two files are the same scenario."""
    safe, unsafe = load_scenario(SAFE), load_scenario(UNSAFE)
    ignored = {"name", "description", "cluster", "checks"}
    assert safe.model_dump(exclude=ignored) == unsafe.model_dump(exclude=ignored)
    assert safe.cluster.model_copy(update={"clock_drift": None}) == unsafe.cluster.model_copy(
        update={"clock_drift": None}
    )
    assert safe.checks.model_copy(update={"expect": "unsafe"}) == unsafe.checks


def test_the_drifts_lie_either_side_of_the_margin() -> None:
    """With δ = 100 us: ±300ppm overruns by 90 us (inside), ±20000ppm by 6.002 ms (beyond)."""
    assert _margin(SAFE) == pytest.approx(0.0900, abs=1e-4)
    assert _margin(UNSAFE) == pytest.approx(6.0024, abs=1e-4)
    delay = load_scenario(SAFE).network.latency.value
    assert _margin(SAFE) <= delay < _margin(UNSAFE)


def test_inside_the_margin_no_seed_is_caught() -> None:
    """±300ppm: every history of seeds 1..10 is linearizable (the lease is sound there)."""
    assert _caught(SAFE) == []


def test_beyond_the_margin_most_seeds_are_caught() -> None:
    """±20000ppm: the checker finds a stale lease read for at least 8 of seeds 1..10."""
    assert len(_caught(UNSAFE)) >= 8
