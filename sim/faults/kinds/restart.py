"""restart: crashed nodes come back, whichever fault crashed them."""

from __future__ import annotations

from pydantic import Field

from sim.faults.api import Cluster, Once, Path, Target, Targets, register_fault
from sim.faults.holds import Holds


@register_fault
class RestartFault(Once):
    """``{at: 6s, restart: crashed}``: crashed nodes come back with their durable state."""

    kind = "restart"
    order = 20
    restart: Target = Field(
        description="bring these crashed nodes back with their durable state, e.g. `crashed`"
    )

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("restart",), self.restart)]

    def apply(self, cluster: Cluster, targets: Targets) -> None:
        nodes = [n for n in targets(self.restart) if not cluster.hosts[n].up]
        cluster.shared(Holds).restart(cluster, nodes)
