"""pause: nodes handle nothing for a while and keep every state (a GC pause, a frozen VM)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from sim.faults.api import Cluster, Path, Target, Targets, Undo, Undoable, names, register_fault
from sim.faults.holds import Holds


@register_fault
class PauseFault(Undoable):
    """``{at: 2s, pause: n2, for: 500ms}``: the node handles nothing (a GC pause, a frozen VM)
    and keeps every state; what arrived meanwhile is handled, in order, when it resumes."""

    kind = "pause"
    order = 30
    drawable = True
    pause: Target = Field(
        description="these nodes handle nothing and keep every state (a GC pause); what "
        "arrived meanwhile is handled in order when they resume"
    )

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("pause",), self.pause)]

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return target if target is not None else "random"

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        holds = cluster.shared(Holds)
        hosts = cluster.hosts
        token = object()
        nodes = [n for n in targets(self.pause) if hosts[n].up and not hosts[n].paused]
        for node in nodes:
            hosts[node].pause()
            holds.paused_by[node] = token
        cluster.record("pause", names(nodes))

        def undo() -> None:
            mine = [n for n in nodes if holds.paused_by.get(n) is token and hosts[n].paused]
            for node in mine:
                del holds.paused_by[node]
                hosts[node].resume()
            if mine:
                cluster.record("resume", names(mine))

        return undo
