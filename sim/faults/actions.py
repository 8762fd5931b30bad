"""Faults applied to the cluster, each returning how to undo it, even when faults overlap.

Overlap is the hard part: a partition lifted while a node stays isolated, a loss spike inside a
longer one, a node crashed again after an early restart. So every undo lifts only what its own
fault did and is still in force: settings are layered (the newest still in force wins), cut links
are counted, and a node is restarted or resumed only if this fault is what keeps it down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.faults.targets import resolve
from sim.scenario.faults import (
    ClockFault,
    CrashFault,
    CutFault,
    DelayFault,
    DuplicateFault,
    HealFault,
    IsolateFault,
    LossFault,
    PartitionFault,
    PauseFault,
    RestartFault,
)

if TYPE_CHECKING:
    from sim.engine.simulation import Simulation

Undo = Callable[[], None]


class FaultActions:
    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation
        self.nodes = simulation.nodes
        self.hosts = simulation.hosts
        self.network = simulation.network
        self.recorder = simulation.recorder
        self._layers = _Layers()
        self._cuts: Counter[tuple[str, str]] = Counter()  # link -> faults cutting it now
        self._partition: object | None = None  # the fault whose partition is in force
        self._heals = 0  # a full heal voids the undos of every cut before it
        self._crashed_by: dict[str, object] = {}
        self._paused_by: dict[str, object] = {}
        self._handlers: dict[str, Callable[[Any, np.random.Generator], Undo | None]] = {
            "crash": self._crash,
            "restart": self._restart,
            "pause": self._pause,
            "partition": self._partition_into,
            "cut": self._cut,
            "isolate": self._isolate,
            "heal": self._heal,
            "loss": self._loss,
            "duplicate": self._duplicate,
            "delay": self._delay,
            "clock": self._clock,
        }

    def apply(self, fault: Any, rng: np.random.Generator) -> Undo | None:
        """Apply ``fault`` now (targets resolved with ``rng``); return its undo, if it has one.

        A fault that takes a working leader away (crash, pause, isolation, a minority partition)
        is noted with the nodes left to replace it: the start of a leader recovery."""
        leader = self.simulation.leader() if self.simulation.protocol_cls.leader_based else None
        if leader is None or not self._can_lead(leader):
            return self._handlers[fault.kind](fault, rng)
        term = int(self.hosts[leader].protocol.leader_rank() or 0)  # leader-based: rank = term
        undo = self._handlers[fault.kind](fault, rng)
        if not self._can_lead(leader):
            survivors = tuple(n for n in self.nodes if n != leader and self._can_lead(n))
            self.recorder.leader_lost(leader, term, survivors)
        return undo

    def _can_lead(self, node: str) -> bool:
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

    def _targets(self, target: list[str], rng: np.random.Generator) -> list[str]:
        return resolve(target, self.simulation, rng)

    def _record(self, kind: str, targets: str) -> None:
        reach = tuple(node for node in self.nodes if self._can_lead(node))
        self.recorder.fault(kind, targets, reach)

    # --- nodes ------------------------------------------------------------------------------

    def _crash(self, fault: CrashFault, rng: np.random.Generator) -> Undo:
        token = object()
        nodes = [n for n in self._targets(fault.crash, rng) if self.hosts[n].up]
        for node in nodes:
            self.hosts[node].crash()
            self._crashed_by[node] = token
        self._record("crash", _names(nodes))

        def undo() -> None:
            mine = [n for n in nodes if self._crashed_by.get(n) is token]
            if mine:
                self._restart_nodes(mine)

        return undo

    def _restart(self, fault: RestartFault, rng: np.random.Generator) -> None:
        self._restart_nodes([n for n in self._targets(fault.restart, rng) if not self.hosts[n].up])

    def _restart_nodes(self, nodes: list[str]) -> None:
        for node in nodes:
            self._crashed_by.pop(node, None)
            self.hosts[node].restart()
        self._record("restart", _names(nodes))

    def _pause(self, fault: PauseFault, rng: np.random.Generator) -> Undo:
        token = object()
        nodes = [
            n
            for n in self._targets(fault.pause, rng)
            if self.hosts[n].up and not self.hosts[n].paused
        ]
        for node in nodes:
            self.hosts[node].pause()
            self._paused_by[node] = token
        self._record("pause", _names(nodes))

        def undo() -> None:
            mine = [n for n in nodes if self._paused_by.get(n) is token and self.hosts[n].paused]
            for node in mine:
                del self._paused_by[node]
                self.hosts[node].resume()
            if mine:
                self._record("resume", _names(mine))

        return undo

    # --- links ------------------------------------------------------------------------------

    def _partition_into(self, fault: PartitionFault, rng: np.random.Generator) -> Undo:
        groups: list[list[str]] = []
        placed: set[str] = set()
        for target in fault.partition:
            # A role may name nodes an earlier group holds: they stay where first placed.
            group = [n for n in self._targets(target, rng) if n not in placed]
            placed.update(group)
            if group:
                groups.append(group)
        rest = [n for n in self.nodes if n not in placed]
        self.network.partition(groups)
        token = object()
        self._partition = token
        text = " | ".join(_names(group) for group in [*groups, rest] if group)
        self._record("partition", text)

        def undo() -> None:
            if self._partition is token:
                self._partition = None
                self._lift_partition()
                self._record("heal", text)

        return undo

    def _lift_partition(self) -> None:
        # The network heals partitions and cuts together: put back the cuts still in force.
        self.network.heal()
        for src, dst in self._cuts:
            self.network.cut(src, dst)

    def _cut(self, fault: CutFault, rng: np.random.Generator) -> Undo:
        sources = self._targets(fault.cut.src, rng)
        destinations = self._targets(fault.cut.dst, rng)
        pairs = [(s, d) for s in sources for d in destinations if s != d]
        return self._cut_links(
            pairs, "cut", f"{_names(sources)} -> {_names(destinations)}", "uncut"
        )

    def _isolate(self, fault: IsolateFault, rng: np.random.Generator) -> Undo:
        nodes = self._targets(fault.isolate, rng)
        others = [n for n in self.nodes if n not in nodes]
        pairs = [(a, b) for a in nodes for b in others] + [(b, a) for a in nodes for b in others]
        return self._cut_links(pairs, "isolate", _names(nodes), "heal")

    def _cut_links(self, pairs: list[tuple[str, str]], kind: str, text: str, lift: str) -> Undo:
        for pair in pairs:
            self._cuts[pair] += 1
            self.network.cut(*pair)
        self._record(kind, text)
        heals = self._heals

        def undo() -> None:
            if self._heals != heals:
                return  # a heal lifted these links already
            for pair in pairs:
                self._cuts[pair] -= 1
                if not self._cuts[pair]:
                    del self._cuts[pair]
                    self.network.uncut(*pair)
            self._record(lift, text)

        return undo

    def _heal(self, fault: HealFault, rng: np.random.Generator) -> None:
        self._heals += 1
        self._cuts.clear()
        self._partition = None
        self.network.heal()
        self._record("heal", "all")

    # --- settings ---------------------------------------------------------------------------

    def _loss(self, fault: LossFault, rng: np.random.Generator) -> Undo:
        def set_loss(_key: Hashable, p: float | None) -> None:
            self.network.set_loss(p)

        return self._settings("loss", ["all"], fault.loss, set_loss, f"p={fault.loss:g}")

    def _duplicate(self, fault: DuplicateFault, rng: np.random.Generator) -> Undo:
        def set_duplicate(_key: Hashable, p: float | None) -> None:
            self.network.set_duplicate(p)

        p = fault.duplicate
        return self._settings("duplicate", ["all"], p, set_duplicate, f"p={p:g}")

    def _delay(self, fault: DelayFault, rng: np.random.Generator) -> Undo:
        spec = fault.delay
        sources = self._targets(spec.src, rng) if spec.src is not None else list(self.nodes)
        destinations = self._targets(spec.dst, rng) if spec.dst is not None else list(self.nodes)
        pairs = [(s, d) for s in sources for d in destinations if s != d]
        if spec.symmetric:
            pairs = list(dict.fromkeys(pairs + [(d, s) for s, d in pairs]))

        def set_delay(pair: Any, extra: float | None) -> None:
            self.network.set_delay([pair], extra or 0.0)

        arrow = "<->" if spec.symmetric else "->"
        src_text = _names(sources) if spec.src is not None else "all"
        dst_text = _names(destinations) if spec.dst is not None else "all"
        text = f"{src_text} {arrow} {dst_text} +{spec.extra:g}ms"
        return self._settings("delay", pairs, spec.extra, set_delay, text)

    def _clock(self, fault: ClockFault, rng: np.random.Generator) -> Undo:
        nodes = self._targets(fault.clock.node, rng)

        def set_rate(node: Any, factor: float | None) -> None:
            self.hosts[node].clock_rate = 1.0 if factor is None else factor

        factor = fault.clock.factor
        return self._settings("clock", nodes, factor, set_rate, f"{_names(nodes)} x{factor:g}")

    def _settings(
        self,
        kind: str,
        keys: list[Any],
        value: float,
        apply: Callable[[Any, float | None], None],
        text: str,
    ) -> Undo:
        """Set ``value`` on each key; the undo restores whatever else is still in force there
        (None: the scenario's own setting)."""
        tokens = [self._layers.push((kind, key), value) for key in keys]
        for key in keys:
            apply(key, value)
        self._record(kind, text)

        def undo() -> None:
            for key, token in zip(keys, tokens, strict=True):
                apply(key, self._layers.lift((kind, key), token))
            self._record(f"{kind}-end", text)

        return undo


class _Layers:
    """Per key, the values of the faults in force, oldest first: the newest one wins."""

    def __init__(self) -> None:
        self._stacks: dict[Hashable, list[tuple[object, float]]] = {}

    def push(self, key: Hashable, value: float) -> object:
        token = object()
        self._stacks.setdefault(key, []).append((token, value))
        return token

    def lift(self, key: Hashable, token: object) -> float | None:
        """Remove one fault's value; return the value now in force, None if no fault's."""
        stack = [entry for entry in self._stacks.get(key, []) if entry[0] is not token]
        if stack:
            self._stacks[key] = stack
            return stack[-1][1]
        self._stacks.pop(key, None)
        return None


def _names(nodes: list[str]) -> str:
    return " ".join(nodes)
