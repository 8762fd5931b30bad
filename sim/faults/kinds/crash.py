"""crash: nodes lose their volatile state; ``for`` restarts those this fault still keeps down."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from sim.faults.api import Cluster, Path, Target, Targets, Undo, Undoable, names, register_fault
from sim.faults.holds import Holds


@register_fault
class CrashFault(Undoable):
    """``{at: 5s, crash: leader, for: 1s}``: volatile state, timers and queued work are lost;
    durable state is kept. ``for`` restarts the nodes this fault crashed."""

    kind = "crash"
    order = 10
    drawable = True
    crash: Target = Field(
        description="crash these nodes: volatile state, timers and queued work are lost, "
        "durable state kept"
    )

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("crash",), self.crash)]

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return target if target is not None else "random"

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        holds = cluster.shared(Holds)
        token = object()
        nodes = [n for n in targets(self.crash) if cluster.hosts[n].up]
        for node in nodes:
            cluster.hosts[node].crash()
            holds.crashed_by[node] = token
        cluster.record("crash", names(nodes))

        def undo() -> None:
            mine = [n for n in nodes if holds.crashed_by.get(n) is token]
            if mine:
                holds.restart(cluster, mine)

        return undo
