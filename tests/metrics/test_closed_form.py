"""The closed form of commit latency against a Monte Carlo estimate of the same quantity."""

from __future__ import annotations

import numpy as np
import pytest

from sim.metrics.closed_form import expected_kth_round_trip, majority_commit_latency


def _monte_carlo(n_peers: int, k: int, mean: float, loss: float, samples: int = 200_000) -> float:
    rng = np.random.default_rng(7)
    trips = rng.exponential(mean, (samples, n_peers, 2)).sum(axis=2)
    lost = rng.uniform(size=(samples, n_peers, 2)) < loss
    trips[lost.any(axis=2)] = np.inf
    kth = np.sort(trips, axis=1)[:, k - 1]
    return float(kth[np.isfinite(kth)].mean())


@pytest.mark.parametrize(("n_peers", "k", "loss"), [(2, 1, 0.0), (4, 2, 0.0), (4, 2, 0.1)])
def test_matches_monte_carlo(n_peers: int, k: int, loss: float) -> None:
    """The integral equals the sampled mean of the k-th fastest completed round trip."""
    expected = expected_kth_round_trip(n_peers, k, 2.0, loss)
    assert expected == pytest.approx(_monte_carlo(n_peers, k, 2.0, loss), rel=0.01)


def test_majority_is_the_half_th_of_the_peers() -> None:
    """Five nodes: the proposer waits for the 2nd fastest of 4 round trips; one node waits not."""
    assert majority_commit_latency(5, 1.5) == expected_kth_round_trip(4, 2, 1.5)
    assert majority_commit_latency(1, 1.5) == 0.0


def test_rejects_impossible_orders() -> None:
    """k beyond the peers, or certain loss, has no answer."""
    with pytest.raises(ValueError):
        expected_kth_round_trip(2, 3, 1.0)
    with pytest.raises(ValueError):
        expected_kth_round_trip(2, 1, 1.0, loss=1.0)
