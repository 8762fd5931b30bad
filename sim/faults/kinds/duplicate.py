"""duplicate: every link delivers messages twice with a probability, for a while."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
from pydantic import Field

from sim.faults.api import Cluster, Probability, Targets, Undo, Undoable, register_fault
from sim.faults.settings import override


@register_fault
class DuplicateFault(Undoable):
    """``{at: 1s, duplicate: 0.5}``: every link delivers a message twice with this probability."""

    kind = "duplicate"
    order = 90
    drawable = True
    duplicate: Probability = Field(
        description="every link delivers a message twice with this probability instead"
    )

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return 0.5

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        def set_duplicate(_key: Hashable, p: float | None) -> None:
            cluster.network.set_duplicate(p)

        p = self.duplicate
        return override(cluster, "duplicate", ["all"], p, set_duplicate, f"p={p:g}")
