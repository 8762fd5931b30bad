"""The two quorum systems of (Flexible) Paxos: sizes (``q1``, ``q2``) or a grid.

A protocol-side view of `sim.protocols.api.quorum`: `is_quorum` on a set of voters, asked per
phase-2 acknowledgment, so the one-vote threshold case is a length comparison. A grid's quorums
are not thresholds: phase 2 is one whole row, phase 1 one node of every row (Howard, Malkhi and
Spiegelman, section 5): any such pair meets.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from sim.protocols.api.quorum import Quorum, count


class Threshold:
    """Any ``size`` of the nodes, one vote each."""

    __slots__ = ("quorum", "size")

    def __init__(self, nodes: tuple[str, ...], size: int) -> None:
        self.size = size
        self.quorum: Quorum = count(nodes, size)

    def is_quorum(self, voters: Collection[str]) -> bool:
        return len(voters) >= self.size  # voters are cluster nodes, each counted once

    def newest_common_time(self, times: Mapping[str, float]) -> float:
        return self.quorum.newest_common_time(times)


class GridRows:
    """Every node of some row (a grid's phase-2 quorums)."""

    __slots__ = ("rows",)

    def __init__(self, rows: tuple[tuple[str, ...], ...]) -> None:
        self.rows = rows

    def is_quorum(self, voters: Collection[str]) -> bool:
        return any(all(node in voters for node in row) for row in self.rows)

    def newest_common_time(self, times: Mapping[str, float]) -> float:
        """The newest time since which every node of some row has been in touch."""
        return max(min(times.get(node, -math.inf) for node in row) for row in self.rows)


class GridColumns:
    """One node of every row (a grid's phase-1 quorums)."""

    __slots__ = ("rows",)

    def __init__(self, rows: tuple[tuple[str, ...], ...]) -> None:
        self.rows = rows

    def is_quorum(self, voters: Collection[str]) -> bool:
        return all(any(node in voters for node in row) for row in self.rows)

    def newest_common_time(self, times: Mapping[str, float]) -> float:
        return min(max(times.get(node, -math.inf) for node in row) for row in self.rows)


QuorumSystem = Threshold | GridRows | GridColumns


def grid_rows(nodes: tuple[str, ...], rows: int, columns: int) -> tuple[tuple[str, ...], ...]:
    """The sorted nodes laid out row by row."""
    return tuple(tuple(nodes[r * columns : (r + 1) * columns]) for r in range(rows))
