"""Fault targets, resolved when the fault fires: the leader then, the nodes down then.

Random roles draw from the generator they are given (the scripted faults' stream, or the
nemesis's), over nodes in cluster order, so that a seed fixes the choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.engine.simulation import Simulation


def resolve(target: list[str], simulation: Simulation, rng: np.random.Generator) -> list[str]:
    """The nodes ``target`` names now, in cluster order, each once."""
    chosen: set[str] = set()
    for name in target:
        chosen.update(_role(name, simulation, rng))
    return [node for node in simulation.nodes if node in chosen]


def _role(name: str, simulation: Simulation, rng: np.random.Generator) -> list[str]:
    nodes = simulation.nodes
    live = [node for node in nodes if simulation.hosts[node].up]
    if name == "leader":
        leader = simulation.leader()
        return [leader] if leader is not None else []
    if name == "followers":
        leader = simulation.leader()
        return [node for node in live if node != leader]
    if name == "crashed":
        return [node for node in nodes if not simulation.hosts[node].up]
    if name == "random":
        pool = live or list(nodes)
        return [pool[int(rng.integers(len(pool)))]]
    if name == "minority":
        return _sample(list(nodes), (len(nodes) - 1) // 2, rng)
    if name == "majority":
        return _sample(list(nodes), len(nodes) // 2 + 1, rng)
    return [name]


def _sample(nodes: list[str], size: int, rng: np.random.Generator) -> list[str]:
    picked = rng.choice(len(nodes), size=size, replace=False)
    return [nodes[int(i)] for i in sorted(picked)]
