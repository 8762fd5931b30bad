"""heal: every partition, isolation and cut lifted at once."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.faults.api import Cluster, Once, Targets, register_fault
from sim.faults.links import Links


@register_fault
class HealFault(Once):
    """``{at: 4s, heal: true}``: every partition, isolation and cut is lifted."""

    kind = "heal"
    order = 70
    heal: Literal[True] = Field(
        description="`true`: lift every partition, isolation and cut at once"
    )

    def apply(self, cluster: Cluster, targets: Targets) -> None:
        cluster.shared(Links).heal(cluster)
        cluster.record("heal", "all")
