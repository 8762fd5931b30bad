"""The `Cluster` a run's faults act on, made from the simulation (which faults never see whole),
and what a fault does to the leader: the start of a leader recovery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sim.faults.api import FaultKind, Host, Targets, Undo

if TYPE_CHECKING:
    from sim.core.environment import Environment
    from sim.core.rng import RandomStreams
    from sim.metrics.recorder import Recorder
    from sim.network.network import Network
    from sim.protocols.api import Protocol as NodeProtocol
    from sim.scenario.fault_entry import FaultEntry

T = TypeVar("T")


class RankedHost(Host, Protocol):
    @property
    def protocol(self) -> NodeProtocol: ...


class Configured(Protocol):
    @property
    def faults(self) -> Sequence[FaultEntry]: ...


class Simulated(Protocol):
    """What the fault schedule reads of a simulation (`sim.engine.Simulation` is one)."""

    @property
    def env(self) -> Environment: ...
    @property
    def nodes(self) -> tuple[str, ...]: ...
    @property
    def hosts(self) -> Mapping[str, RankedHost]: ...
    @property
    def network(self) -> Network: ...
    @property
    def recorder(self) -> Recorder: ...
    @property
    def streams(self) -> RandomStreams: ...
    @property
    def scenario(self) -> Configured: ...
    @property
    def protocol_cls(self) -> type[NodeProtocol]: ...
    def leader(self) -> str | None: ...


class RunCluster:
    """One run's cluster as faults see it (a `sim.faults.api.Cluster`)."""

    def __init__(self, simulation: Simulated) -> None:
        self.env = simulation.env
        self.nodes = simulation.nodes
        self.hosts = simulation.hosts
        self.network = simulation.network
        self.recorder = simulation.recorder
        self.leader = simulation.leader
        self.leader_based = simulation.protocol_cls.leader_based
        self._shared: dict[type[Any], Any] = {}

    def record(self, kind: str, targets: str) -> None:
        reach = tuple(node for node in self.nodes if self.can_lead(node))
        self.recorder.fault(kind, targets, reach)

    def shared(self, kind: type[T]) -> T:
        if kind not in self._shared:
            self._shared[kind] = kind()
        found: T = self._shared[kind]
        return found

    def apply(self, fault: FaultKind, targets: Targets) -> Undo | None:
        """Apply ``fault`` now; return its undo, if it has one.

        A fault that takes a working leader away (crash, pause, isolation, a minority partition)
        is noted with the nodes left to replace it: the start of a leader recovery."""
        leader = self.leader() if self.leader_based else None
        if leader is None or not self.can_lead(leader):
            return fault.apply(self, targets)
        term = int(self.hosts[leader].protocol.leader_rank() or 0)  # leader-based: rank = term
        undo = fault.apply(self, targets)
        if not self.can_lead(leader):
            survivors = tuple(n for n in self.nodes if n != leader and self.can_lead(n))
            self.recorder.leader_lost(leader, term, survivors)
        return undo

    def can_lead(self, node: str) -> bool:
        """Up, running, and in touch (both ways) with a running majority, itself included."""
        if not self._running(node):
            return False
        reached = sum(
            1
            for other in self.nodes
            if self._running(other) and (other == node or self.network.connected(node, other))
        )
        return reached > len(self.nodes) // 2

    def _running(self, node: str) -> bool:
        host = self.hosts[node]
        return host.up and not host.paused
