"""loss: every node-to-node link drops messages with a probability, for a while."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
from pydantic import Field

from sim.faults.api import Cluster, Probability, Targets, Undo, Undoable, register_fault
from sim.faults.settings import override


@register_fault
class LossFault(Undoable):
    """``{at: 12s, loss: 0.3, for: 1s}``: every node-to-node link drops messages with this
    probability (instead of its configured one)."""

    kind = "loss"
    order = 80
    drawable = True
    loss: Probability = Field(
        description="every node-to-node link drops messages with this probability instead"
    )

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return 0.5

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        def set_loss(_key: Hashable, p: float | None) -> None:
            cluster.network.set_loss(p)

        return override(cluster, "loss", ["all"], self.loss, set_loss, f"p={self.loss:g}")
