"""isolate: nodes cut off from every other node, both ways."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from sim.faults.api import Cluster, Path, Target, Targets, Undo, Undoable, names, register_fault
from sim.faults.links import Links


@register_fault
class IsolateFault(Undoable):
    """``{at: 1s, isolate: leader, for: 2s}``: the target is cut off from every other node."""

    kind = "isolate"
    order = 60
    drawable = True
    isolate: Target = Field(description="cut these nodes off from every other node")

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("isolate",), self.isolate)]

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return target if target is not None else "random"

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        nodes = targets(self.isolate)
        others = [n for n in cluster.nodes if n not in nodes]
        pairs = [(a, b) for a in nodes for b in others] + [(b, a) for a in nodes for b in others]
        return cluster.shared(Links).cut(cluster, pairs, "isolate", names(nodes), "heal")
