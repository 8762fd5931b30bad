"""One short Multi-Paxos or Flexible Paxos run under a random nemesis, and its verdict."""

from __future__ import annotations

from typing import Any

from sim import run
from tests.conftest import make_scenario

KINDS = ["crash", "pause", "partition", "isolate", "loss", "duplicate"]
# The options vary with the seed, so that every code path meets the faults.
OPTIONS: list[dict[str, Any]] = [
    {},
    {"window": 2, "max_batch": 2},
    {"commit": "eager", "read": "lease"},
    {"read": "lease", "window": 1},
    {"commit": "eager", "max_batch": 1},
]
# Flexible quorums by seed, crossed with the options; a grid of six nodes among them.
FPAXOS_QUORUMS: list[dict[str, Any]] = [
    {"q2": 2},
    {"q1": 4, "q2": 2},
    {"q2": 4},
    {"q1": 3},
    {"grid": [2, 3]},
]


def nemesis_run(seed: int, protocol: str, duration: str = "2s") -> dict[str, Any]:
    """The summary of a 5-node run (6 for a grid) under crashes with restarts, pauses,
    partitions, isolation, loss and duplication on unordered links, with the leader hit again
    and again."""
    params: dict[str, Any] = {
        "election_timeout": ["100ms", "200ms"],
        "heartbeat": "30ms",
        **OPTIONS[seed % len(OPTIONS)],
    }
    nodes = 5
    if protocol == "fpaxos":
        params.update(FPAXOS_QUORUMS[seed // len(OPTIONS) % len(FPAXOS_QUORUMS)])
        nodes = 6 if "grid" in params else 5
    scenario = make_scenario(
        seed=seed,
        duration=duration,
        cluster={"nodes": nodes, "protocol": protocol, "params": params, "disk_write": "500us"},
        network={
            "latency": {"dist": "lognormal", "median": "2ms", "sigma": 0.5},
            "ordering": "unordered",
        },
        workload={
            "clients": 3,
            "mix": {"write": 2, "read": 1, "cas": 1},
            "keys": 2,
            "timeout": "300ms",
        },
        faults=[
            {"nemesis": {"kinds": KINDS, "every": "200ms", "for": "150ms"}},
            {
                "nemesis": {
                    "kinds": ["crash", "pause", "isolate"],
                    "target": "leader",
                    "every": "500ms",
                    "for": "250ms",
                }
            },
        ],
        checks={"linearizable": True},
    )
    return run(scenario).summary
