"""Which fault keeps each node down: an undo restarts or resumes a node only if its own fault is
what still keeps it down (a node crashed again after an early restart stays down)."""

from __future__ import annotations

from sim.faults.api import Cluster, names


class Holds:
    """One per run (``cluster.shared(Holds)``), shared by crash, restart and pause."""

    def __init__(self) -> None:
        self.crashed_by: dict[str, object] = {}  # node -> the crash that keeps it down
        self.paused_by: dict[str, object] = {}  # node -> the pause that keeps it paused

    def restart(self, cluster: Cluster, nodes: list[str]) -> None:
        """Bring ``nodes`` back (whoever crashed them) and record it."""
        for node in nodes:
            self.crashed_by.pop(node, None)
            cluster.hosts[node].restart()
        cluster.record("restart", names(nodes))
