"""The scenario's `faults:`: each fires at its time and, given `for`, is undone that long after.

Scripted faults draw their random targets from the "faults" stream; every nemesis from the
"nemesis" stream. Neither shifts any other draw of the run, so adding a fault changes nothing
but what the fault does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np

from sim.core.events import call_later
from sim.faults.api import FaultKind
from sim.faults.cluster import RunCluster, Simulated
from sim.faults.nemesis import Nemesis
from sim.faults.targets import Resolver
from sim.scenario.fault_entry import FaultEntry
from sim.scenario.faults import NemesisFault


class FaultSchedule:
    def __init__(self, simulation: Simulated) -> None:
        self.env = simulation.env
        self.faults = simulation.scenario.faults
        self.cluster = RunCluster(simulation)
        self.rng = simulation.streams.generator("faults")
        self.nemesis_rng = simulation.streams.generator("nemesis")

    def start(self) -> None:
        """Schedule every fault (call at time 0, before the run)."""
        for fault in self.faults:
            if isinstance(fault, NemesisFault):
                Nemesis(self.env, fault, self.nemesis_rng, self.fire, self.cluster).start()
            else:
                call_later(self.env, fault.at, self._fire, fault)

    def _fire(self, fault: FaultEntry) -> None:
        self.fire(fault, self.rng)

    def fire(self, fault: FaultEntry, rng: np.random.Generator) -> None:
        """Apply ``fault`` now (its targets resolved with ``rng``) and schedule its undo ``for``
        later."""
        # Every registered kind has `apply` (the registry refuses a model without one).
        undo = self.cluster.apply(cast(FaultKind, fault), Resolver(self.cluster, rng))
        if undo is not None and fault.for_ is not None:
            call_later(self.env, fault.for_, _run_undo, undo)


def _run_undo(undo: Callable[[], None]) -> None:
    undo()
