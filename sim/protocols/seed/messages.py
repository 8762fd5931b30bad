"""Messages of the article's proposal / acknowledgment / commit protocol."""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocols.base import Op


@dataclass(frozen=True, slots=True)
class Proposal:
    proposal_id: str  # "<proposer>:<counter>", unique across the run
    op: Op


@dataclass(frozen=True, slots=True)
class Acknowledgment:
    proposal_id: str


@dataclass(frozen=True, slots=True)
class Commit:
    proposal_id: str
    op: Op
