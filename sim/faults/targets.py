"""Fault targets, resolved when the fault fires: the leader then, the nodes down then.

Random roles draw from the generator they are given (the scripted faults' stream, or the
nemesis's), over nodes in cluster order, so that a seed fixes the choice.
"""

from __future__ import annotations

import numpy as np

from sim.faults.api import Cluster


class Resolver:
    """A fault's `Targets`: resolves each target it names with the stream it fires with."""

    def __init__(self, cluster: Cluster, rng: np.random.Generator) -> None:
        self.cluster = cluster
        self.rng = rng

    def __call__(self, target: list[str]) -> list[str]:
        return resolve(target, self.cluster, self.rng)


def resolve(target: list[str], cluster: Cluster, rng: np.random.Generator) -> list[str]:
    """The nodes ``target`` names now, in cluster order, each once."""
    chosen: set[str] = set()
    for name in target:
        chosen.update(_role(name, cluster, rng))
    return [node for node in cluster.nodes if node in chosen]


def _role(name: str, cluster: Cluster, rng: np.random.Generator) -> list[str]:
    nodes = cluster.nodes
    live = [node for node in nodes if cluster.hosts[node].up]
    if name == "leader":
        leader = cluster.leader()
        return [leader] if leader is not None else []
    if name == "followers":
        leader = cluster.leader()
        return [node for node in live if node != leader]
    if name == "crashed":
        return [node for node in nodes if not cluster.hosts[node].up]
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
