"""Closed forms to hold simulated figures against: commit latency as an order statistic.

A proposer (the seed protocol's, or a Raft leader) sends to each of its ``n - 1`` peers and
commits when the ``k``-th acknowledgment returns. With one-way latencies drawn i.i.d. from an
exponential of mean ``m``, a round trip is the sum of two: Erlang-2, with
``F(t) = 1 - e^(-t/m) (1 + t/m)``. The commit latency is the ``k``-th smallest of ``n - 1`` such
round trips. With loss ``p`` a round trip completes only when both messages get through
(probability ``(1 - p)^2``); the figure is then the mean over the proposals that commit.
"""

from __future__ import annotations

import math

import numpy as np

_GRID_POINTS = 600_001
_GRID_MEANS = 60.0  # integrate the survival function up to 60 mean one-way latencies


def expected_kth_round_trip(n_peers: int, k: int, mean: float, loss: float = 0.0) -> float:
    """E[k-th smallest of ``n_peers`` i.i.d. Erlang-2 round trips of one-way mean ``mean``],
    given that at least ``k`` of them complete when each message is lost with probability
    ``loss``: the integral of the conditional survival function."""
    if not 1 <= k <= n_peers:
        raise ValueError(f"k must be in 1..{n_peers}, not {k}")
    if not 0.0 <= loss < 1.0:
        raise ValueError(f"loss must be in [0, 1), not {loss}")
    t = np.linspace(0.0, _GRID_MEANS * mean, _GRID_POINTS)
    x = t / mean
    reach = (1.0 - loss) ** 2
    f = reach * (1.0 - np.exp(-x) * (1.0 + x))  # P(a given round trip is back by t)
    at_least_k = sum(
        math.comb(n_peers, j) * f**j * (1.0 - f) ** (n_peers - j) for j in range(k, n_peers + 1)
    )
    ever = sum(
        math.comb(n_peers, j) * reach**j * (1.0 - reach) ** (n_peers - j)
        for j in range(k, n_peers + 1)
    )
    return float(np.trapezoid(1.0 - at_least_k / ever, t))


def majority_commit_latency(nodes: int, mean: float, loss: float = 0.0) -> float:
    """Mean commit latency of a proposer waiting for a majority (itself included) of ``nodes``:
    the ``nodes // 2``-th fastest of ``nodes - 1`` round trips."""
    if nodes < 2:
        return 0.0
    return expected_kth_round_trip(nodes - 1, nodes // 2, mean, loss)
