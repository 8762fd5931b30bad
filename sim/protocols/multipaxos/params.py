"""Multi-Paxos's and Flexible Paxos's parameters (the ``cluster.params`` of their scenarios)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.protocols.api import ProtocolParams
from sim.protocols.api.quorum import Quorum
from sim.protocols.multipaxos.quorums import (
    GridColumns,
    GridRows,
    QuorumSystem,
    Threshold,
    grid_rows,
)
from sim.units import Duration


class MultiPaxosParams(ProtocolParams):
    """Multi-Paxos's parameters; timeouts and heartbeats are Raft's, in the same units."""

    election_timeout: tuple[Duration, Duration] = Field(
        (150.0, 300.0),
        description="[min, max]: a node that hears from no leader for a time drawn from this "
        "range runs phase 1 with a higher ballot (and again, if it has not won, after another)",
    )
    heartbeat: Duration = Field(
        50.0, gt=0, description="how often a leader sends a heartbeat (its ballot, commit point)"
    )
    window: int = Field(
        16, ge=1, description="phase-2 batches a leader has in flight (proposed, not yet chosen)"
    )
    max_batch: int = Field(
        64, ge=1, description="operations per phase-2 message (consecutive slots)"
    )
    commit: Literal["piggyback", "eager"] = Field(
        "piggyback",
        description="piggyback: followers learn the commit point from the next phase-2 message "
        "or heartbeat; eager: the leader sends it to all as soon as it rises",
    )
    read: Literal["log", "lease"] = Field(
        "log",
        description="log: reads are proposed like writes; lease: the leader answers them from "
        "its state while nodes meeting every phase-1 quorum acknowledged, within the minimum "
        "election timeout of its clock, a message it sent (they refuse phase 1 of others for "
        "that long from its receipt), and once the slots its phase 1 found are chosen",
    )

    @model_validator(mode="after")
    def _range_is_ordered(self) -> MultiPaxosParams:
        low, high = self.election_timeout
        if not 0 < low <= high:
            raise ValueError(
                f"election_timeout must be [min, max] with 0 < min <= max, got {[low, high]}"
            )
        return self

    def phase_quorums(self, nodes: tuple[str, ...]) -> tuple[QuorumSystem, QuorumSystem]:
        """(phase 1, phase 2): majorities."""
        majority = len(nodes) // 2 + 1
        return Threshold(nodes, majority), Threshold(nodes, majority)

    def lease_quorum(self, nodes: tuple[str, ...]) -> QuorumSystem:
        """Sets that meet every phase-1 quorum: while such a set refuses other ballots' phase 1,
        no other leader can be elected."""
        phase1, _ = self.phase_quorums(nodes)
        assert isinstance(phase1, Threshold)
        return Threshold(nodes, len(nodes) - phase1.size + 1)


class FPaxosParams(MultiPaxosParams):
    """Flexible Paxos: Multi-Paxos with its own phase-1 and phase-2 quorums."""

    q2: int | None = Field(
        None,
        ge=1,
        description="nodes that must accept a value for it to be chosen (default: a majority)",
    )
    q1: int | None = Field(
        None,
        ge=1,
        description="nodes whose promises a new leader needs (default: n - q2 + 1, the fewest "
        "that meet every phase-2 quorum); q1 + q2 <= n is refused unless cluster.unsafe",
    )
    grid: tuple[int, int] | None = Field(
        None,
        description="[rows, columns] instead of q1/q2: the sorted nodes row by row; phase 2 "
        "needs a whole row, phase 1 a node of every row",
    )

    @model_validator(mode="after")
    def _grid_or_sizes(self) -> FPaxosParams:
        if self.grid is not None:
            if self.q1 is not None or self.q2 is not None:
                raise ValueError("give either grid or q1/q2, not both")
            if min(self.grid) < 1:
                raise ValueError(f"grid must be [rows, columns] of at least 1, got {self.grid}")
        return self

    def _sizes(self, nodes: tuple[str, ...]) -> tuple[int, int]:
        n = len(nodes)
        q2 = self.q2 if self.q2 is not None else n // 2 + 1
        q1 = self.q1 if self.q1 is not None else max(1, n - q2 + 1)
        return q1, q2

    def check_cluster(self, nodes: tuple[str, ...]) -> list[tuple[str, str]]:
        n = len(nodes)
        if self.grid is not None:
            rows, columns = self.grid
            if rows * columns != n:
                return [
                    ("grid", f"a {rows} x {columns} grid needs {rows * columns} nodes, not {n}")
                ]
            return []
        problems = []
        for key, size in zip(("q1", "q2"), self._sizes(nodes), strict=True):
            if size > n:
                problems.append(
                    (
                        key,
                        f"a quorum of {size} nodes can never form in a cluster of {n} "
                        f"(at most {n})",
                    )
                )
        return problems

    def quorums(self, nodes: tuple[str, ...]) -> dict[str, tuple[Quorum, Quorum | None]]:
        if self.grid is not None:
            return {}  # a grid's rows and columns always meet
        q1, q2 = self._sizes(nodes)
        key = "q1" if self.q1 is not None else "q2"
        return {key: (Threshold(nodes, q1).quorum, Threshold(nodes, q2).quorum)}

    def phase_quorums(self, nodes: tuple[str, ...]) -> tuple[QuorumSystem, QuorumSystem]:
        if self.grid is not None:
            rows = grid_rows(nodes, *self.grid)
            return GridColumns(rows), GridRows(rows)
        q1, q2 = self._sizes(nodes)
        return Threshold(nodes, q1), Threshold(nodes, q2)

    def lease_quorum(self, nodes: tuple[str, ...]) -> QuorumSystem:
        if self.grid is not None:
            return GridRows(grid_rows(nodes, *self.grid))  # a whole row meets every column set
        q1, _ = self._sizes(nodes)
        return Threshold(nodes, len(nodes) - q1 + 1)
