"""A sweep scenario of a few simulated milliseconds, shared by the sweep tests."""

from __future__ import annotations

from typing import Any


def tiny(name: str = "tiny", **sweep_section: Any) -> dict[str, Any]:
    """A scenario of a few simulated milliseconds, with ``sweep_section`` as its sweep."""
    return {
        "name": name,
        "seed": 3,
        "duration": "200ms",
        "cluster": {
            "nodes": 3,
            "protocol": "raft",
            "params": {"election_timeout": ["10ms", "20ms"], "heartbeat": "5ms"},
        },
        "network": {"latency": {"dist": "exponential", "mean": "1ms"}},
        "workload": {"clients": 2, "target": "leader"},
        "sweep": sweep_section,
    }
