"""Raft's parameters (the ``cluster.params`` of a Raft scenario)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.protocols.api import ProtocolParams
from sim.units import Duration


class RaftParams(ProtocolParams):
    """Raft's parameters. Timeout ranges are [min, max], drawn uniformly from the node's stream."""

    election_timeout: tuple[Duration, Duration] = Field(
        (150.0, 300.0),
        description="[min, max]: a follower that hears from no leader for a time drawn from "
        "this range stands for election (drawn once per term and role, as etcd's raft does; "
        "each message of the leader restarts it)",
    )
    heartbeat: Duration = Field(
        50.0, gt=0, description="how often a leader sends AppendEntries when it has no entries"
    )
    max_inflight: int = Field(8, ge=1, description="AppendEntries with entries in flight per peer")
    max_batch: int = Field(64, ge=1, description="entries per AppendEntries")
    conflict_term: bool = Field(
        False, description="back next_index off by a whole term per rejection (else by one)"
    )
    read: Literal["log", "lease", "local"] = Field(
        "log",
        description="log: reads are log entries; lease: the leader answers while a majority "
        "acknowledged, within the minimum election timeout T of its own clock, an AppendEntries "
        "it sent; local: any node answers from its own state (stale reads: for teaching). The "
        "lease's only margin is that AppendEntries' one-way delay δ (the followers ignore "
        "candidates for T of their own clocks from its receipt): with `cluster.clock_drift` it "
        "is safe while T / (1 + d_leader) - T / (1 + d_follower) <= δ for every follower, about "
        "while no follower's clock gains δ on the leader's in one T. T = 150ms: ±50ppm needs "
        "δ >= 15us; δ = 100us allows the clocks 667ppm apart",
    )
    prevote: bool = Field(False, description="a pre-vote round before each candidacy")
    check_quorum: bool = Field(
        False, description="a leader not heard by a majority for the minimum timeout steps down"
    )
    candidate_timeout: tuple[Duration, Duration] | None = Field(
        None, description="the timeout range of a candidacy (default: election_timeout)"
    )
    candidate_backoff: bool = Field(
        False,
        description="double the candidate timeout after each failed election (up to 8x), "
        "until a leader is heard",
    )

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> RaftParams:
        for name in ("election_timeout", "candidate_timeout"):
            bounds = getattr(self, name)
            if bounds is not None and not 0 < bounds[0] <= bounds[1]:
                raise ValueError(f"{name} must be [min, max] with 0 < min <= max, got {bounds}")
        return self
