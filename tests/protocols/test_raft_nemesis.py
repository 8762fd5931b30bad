"""Raft under a random nemesis: replica safety and Raft's invariants hold whatever the seed."""

from __future__ import annotations

import pytest

from sim import run
from tests.conftest import make_scenario

KINDS = ["crash", "pause", "partition", "isolate", "loss", "duplicate"]
# The options vary with the seed, so that every code path meets the faults.
OPTIONS = [
    {},
    {"prevote": True},
    {"check_quorum": True, "conflict_term": True},
    {"prevote": True, "check_quorum": True, "read": "lease"},
    {"candidate_timeout": ["20ms", "60ms"], "candidate_backoff": True, "max_inflight": 2},
]


def _safe_under_nemesis(seed: int, duration: str) -> None:
    scenario = make_scenario(
        seed=seed,
        duration=duration,
        cluster={
            "nodes": 5,
            "protocol": "raft",
            "params": {
                "election_timeout": ["100ms", "200ms"],
                "heartbeat": "30ms",
                **OPTIONS[seed % len(OPTIONS)],
            },
            "disk_write": "500us",
        },
        network={"latency": {"dist": "lognormal", "median": "2ms", "sigma": 0.5}},
        workload={
            "clients": 3,
            "mix": {"write": 2, "read": 1, "cas": 1},
            "keys": 2,
            "timeout": "300ms",
        },
        faults=[
            {"nemesis": {"kinds": KINDS, "every": "300ms", "for": "200ms"}},
            {
                "nemesis": {
                    "kinds": ["crash", "pause", "isolate"],
                    "target": "leader",
                    "every": "700ms",
                    "for": "300ms",
                }
            },
        ],
        checks={"linearizable": True},
    )
    summary = run(scenario).summary
    assert summary["safety"]["violations"] == [], f"seed {seed}"
    assert summary["linearizable"], f"seed {seed}"
    assert summary["decisions"] > 0 and summary["elections"]["leader_recovery_ms"]


@pytest.mark.parametrize("seed", range(1, 11))
def test_raft_stays_safe_under_a_random_nemesis(seed: int) -> None:
    """Crashes with restarts, pauses, partitions, isolation, loss and duplication, and the
    leader crashed, paused or cut off again and again, for 3 s: safe and linearizable."""
    _safe_under_nemesis(seed, "3s")


@pytest.mark.slow
def test_raft_stays_safe_under_a_random_nemesis_for_200_seeds() -> None:
    """The same property over 200 seeds and 10 simulated seconds each."""
    for seed in range(1000, 1200):
        _safe_under_nemesis(seed, "10s")
