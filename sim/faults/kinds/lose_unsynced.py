"""lose_unsynced: a power loss. Nodes crash and lose the writes their disk had not finished
(``cluster.durability: fsync``; see `sim.engine.durability`); ``for`` restarts them."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from sim.faults.api import Cluster, Path, Target, Targets, Undo, Undoable, names, register_fault
from sim.faults.holds import Holds


@register_fault
class LoseUnsyncedFault(Undoable):
    """``{at: 5s, lose_unsynced: leader, for: 1s}``: a crash that also loses every write not
    done yet (a power loss); needs ``cluster.durability: fsync``. ``torn: true``: the write in
    progress keeps a random part of its keys. ``for`` restarts the nodes."""

    kind = "lose_unsynced"
    order = 75
    drawable = True
    lose_unsynced: Target = Field(
        description="crash these nodes as a power loss does: the writes their disk had not "
        "finished are lost too (cluster.durability: fsync)"
    )
    torn: bool = Field(
        default=False,
        description="the write in progress keeps a random part of its keys (a disk without "
        "atomic multi-key writes)",
    )

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("lose_unsynced",), self.lose_unsynced)]

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return target if target is not None else "random"

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        holds = cluster.shared(Holds)
        token = object()
        nodes = [n for n in targets(self.lose_unsynced) if cluster.hosts[n].up]
        for node in nodes:
            # Only an fsync node has unsynced writes (the scenario checks ask for fsync).
            lose = getattr(cluster.hosts[node], "lose_unsynced", None)
            if lose is not None:
                lose(self.torn)
            else:
                cluster.hosts[node].crash()
            holds.crashed_by[node] = token
        # A torn one says so after its nodes (hunt reads it back: sim.hunt.concrete).
        cluster.record("lose_unsynced", names(nodes) + (" torn" if self.torn and nodes else ""))

        def undo() -> None:
            mine = [n for n in nodes if holds.crashed_by.get(n) is token]
            if mine:
                holds.restart(cluster, mine)

        return undo
