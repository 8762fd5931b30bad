"""The messages of primary-backup replication. Values: never changed once sent (a broadcast
hands one object to every backup)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocols.base import Op


@dataclass(slots=True)
class Replicate:
    """The primary's log from index ``start`` on (empty: a heartbeat)."""

    epoch: int
    start: int
    entries: tuple[Op, ...]


@dataclass(slots=True)
class Ack:
    """A backup holds, durably, the primary's log up to index ``upto``."""

    epoch: int
    upto: int
