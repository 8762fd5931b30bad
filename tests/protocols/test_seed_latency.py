"""The seed protocol's commit latency against the closed form of order statistics."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import Simulation
from sim.metrics.closed_form import expected_kth_round_trip
from sim.scenario import scenario_from_dict


def test_closed_form_sanity() -> None:
    """With one peer the commit waits for one Erlang-2 round trip: mean 2m."""
    assert expected_kth_round_trip(1, 1, 3.0) == pytest.approx(6.0, rel=1e-6)


@pytest.mark.parametrize("nodes", [3, 5, 9])
def test_commit_latency_matches_order_statistics(nodes: int) -> None:
    """Mean commit latency with quorum: majority is the (n//2)-th fastest of n-1 round trips."""
    mean = 2.0
    scenario = scenario_from_dict(
        {
            "name": "closed-form",
            "seed": 11,
            "duration": "10m",
            "cluster": {"nodes": nodes, "protocol": "seed", "params": {"quorum": "majority"}},
            "network": {"latency": {"dist": "exponential", "mean": mean}, "ordering": "unordered"},
            "workload": {"clients": 1, "target": "n1", "ops": 12_000, "timeout": "10s"},
            "checks": {"safety": False},
        }
    )
    recorder = Simulation(scenario).run().recorder
    measured = recorder.commit_latencies
    assert len(measured) >= 12_000
    expected = expected_kth_round_trip(nodes - 1, nodes // 2, mean)
    assert np.mean(measured) == pytest.approx(expected, rel=0.02)
