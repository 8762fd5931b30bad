"""What a fault kind is, and the cluster it acts on: the contract a kind's author reads.

A kind is one module with one model, registered with ``@register_fault``:

- the scenario entry: a subclass of `Undoable` (``for`` undoes it) or `Once`, with ``kind = "x"``
  and a field ``x`` (the entry ``{at: 5s, x: ...}``), and ``order`` (where docs list it);
- ``targets()``: each target the entry names, with its path in the entry, so that validation
  checks the node names (``problems()`` for other checks across its keys);
- ``apply(cluster, targets) -> undo``: act on the cluster now, resolving each target with
  ``targets(names)``; return a callable that lifts what this fault did and is still in force
  (called ``for`` later), or None for a kind that is not undone. `Cluster.record` writes the
  fault's row of faults.csv, and the undo's;
- ``drawable = True`` and the classmethod ``nemesis_body(rng, target)``, if the random nemesis
  may draw it: the value of its key in the entry the nemesis makes (``target`` is the nemesis's
  own, None when not given: the kind's default target then).

Built-in kinds live in `sim.faults.kinds`; a package adds its own under the entry-point group
``quorumsim.faults``; a test or a notebook registers one by importing its module. Faults that
overlap (a kind's own, or another's on the same lever) keep their bookkeeping in a shared object,
one per run (``cluster.shared(SomeClass)``): `sim.faults.settings.override` layers a setting so
that the newest fault still in force wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np

from sim.scenario.fault_entry import (
    ROLES,
    FaultEntry,
    Name,
    Once,
    Path,
    Probability,
    Strict,
    Target,
    Undoable,
    one_or_many,
)
from sim.scenario.fault_kinds import register_fault

if TYPE_CHECKING:
    from sim.core.environment import Environment
    from sim.network.network import Network

__all__ = [
    "ROLES",
    "Cluster",
    "FaultEntry",
    "FaultKind",
    "Host",
    "Name",
    "Once",
    "Path",
    "Probability",
    "Strict",
    "Target",
    "Targets",
    "Undo",
    "Undoable",
    "names",
    "one_or_many",
    "register_fault",
]

Undo = Callable[[], None]
T = TypeVar("T")


class Host(Protocol):
    """A node, as faults see it: its levers and settings."""

    up: bool
    paused: bool
    clock_rate: float  # its timers fire this many times faster than real time
    processing: float  # CPU time per message it handles (ms)
    disk_write: float  # latency of a durable write (ms)

    def crash(self) -> None: ...
    def restart(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


class Cluster(Protocol):
    """The cluster a fault acts on: one per run."""

    @property
    def env(self) -> Environment: ...
    @property
    def nodes(self) -> tuple[str, ...]: ...
    @property
    def hosts(self) -> Mapping[str, Host]: ...
    @property
    def network(self) -> Network: ...
    def leader(self) -> str | None:
        """The node that leads now, if any."""
        ...

    def record(self, kind: str, targets: str) -> None:
        """A row of faults.csv now: ``kind`` (a fault, or its undo) on ``targets`` (text)."""
        ...

    def shared(self, kind: type[T]) -> T:
        """The run's one ``kind()``, made on first use: bookkeeping that overlapping faults
        share."""
        ...


class Targets(Protocol):
    """Resolves a fault's targets when it fires, drawing random roles from ``rng``."""

    rng: np.random.Generator

    def __call__(self, target: list[str]) -> list[str]:
        """The nodes ``target`` names now, in cluster order, each once."""
        ...


class FaultKind(Protocol):
    """A registered entry model (see the module's docstring)."""

    def apply(self, cluster: Cluster, targets: Targets) -> Undo | None: ...


def names(nodes: list[str]) -> str:
    """Nodes as faults.csv writes them."""
    return " ".join(nodes)
