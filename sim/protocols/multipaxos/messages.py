"""Multi-Paxos's messages: phase 1 (Prepare, Promise), phase 2 (Accept, Accepted), a refusal
(Nack) for both, the leader's heartbeat and commit notice, and catch-up (CatchUp, Chosen).

Every message carries a ``ballot`` (`sim.protocols.multipaxos.ballot`). Slots are log indices
from 1; a phase-2 message carries consecutive slots from ``first`` (a batch). Messages are values:
nothing changes them once sent (a broadcast shares one), as for Raft's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocols.api import Op


@dataclass(slots=True, unsafe_hash=True)
class Vote:
    """What an acceptor accepted at one slot: the ballot and the operation."""

    ballot: int
    op: Op


@dataclass(slots=True, unsafe_hash=True)
class Prepare:
    """Phase 1a: promise ``ballot`` and report every slot from ``first`` on."""

    ballot: int
    first: int  # the proposer's commit point + 1: below it, it knows what was chosen


@dataclass(slots=True, unsafe_hash=True)
class Promise:
    """Phase 1b. ``chosen``: the operations this acceptor knows were chosen at ``first`` ..
    ``commit``; ``accepted``: its votes ``(slot, vote)`` above both ``commit`` and
    ``first - 1``."""

    ballot: int
    first: int
    commit: int
    chosen: tuple[Op, ...]
    accepted: tuple[tuple[int, Vote], ...]


@dataclass(slots=True, unsafe_hash=True)
class Nack:
    """ "I promised ``ballot``": the answer to a Prepare, Accept or heartbeat of ``refused``,
    a lower ballot; its proposer is preempted."""

    ballot: int
    refused: int


@dataclass(slots=True, unsafe_hash=True)
class Accept:
    """Phase 2a: accept ``ops`` at slots ``first`` ..; the leader's commit point rides along."""

    ballot: int
    first: int
    ops: tuple[Op, ...]
    commit: int
    sent_at: float  # the leader's clock: its lease runs from acknowledged sends


@dataclass(slots=True, unsafe_hash=True)
class Accepted:
    """Phase 2b: the batch at ``first`` is accepted (and on disk)."""

    ballot: int
    first: int
    sent_at: float  # echoed


@dataclass(slots=True, unsafe_hash=True)
class Heartbeat:
    ballot: int
    commit: int
    sent_at: float


@dataclass(slots=True, unsafe_hash=True)
class HeartbeatReply:
    """Sent only with ``read: lease``: the leader's lease counts it."""

    ballot: int
    sent_at: float


@dataclass(slots=True, unsafe_hash=True)
class Commit:
    """``commit: eager``: every slot up to ``commit`` is chosen."""

    ballot: int
    commit: int


@dataclass(slots=True, unsafe_hash=True)
class CatchUp:
    """A lagging replica asks the leader for the chosen operations from ``first``."""

    ballot: int
    first: int


@dataclass(slots=True, unsafe_hash=True)
class Chosen:
    """The operations chosen at ``first`` .., sent to a replica that asked."""

    ballot: int
    first: int
    ops: tuple[Op, ...]
