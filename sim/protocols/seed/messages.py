"""Messages of the article's proposal / acknowledgment / commit protocol.

Never changed once sent (a broadcast hands one object to every peer), but not ``frozen``: a frozen
dataclass costs twice as much to build (a call per field), and one is built per message.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocols.api import Op


@dataclass(slots=True)
class Proposal:
    proposal_id: str  # "<proposer>:<counter>", unique across the run
    op: Op


@dataclass(slots=True)
class Acknowledgment:
    proposal_id: str


@dataclass(slots=True)
class Commit:
    proposal_id: str
    op: Op
