"""The random nemesis: every `every`, one fault of a kind drawn from `kinds`, undone `for` later.

All its draws (kind, then whatever the kind's `nemesis_body` draws, then targets) come from its
own stream, so the fault schedule is a function of the seed alone: the same seed gives the same
faults.csv.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.core.environment import Environment
from sim.core.events import call_later
from sim.scenario.fault_entry import FaultEntry
from sim.scenario.fault_kinds import fault_kinds
from sim.scenario.faults import NemesisFault


class Nemesis:
    def __init__(
        self,
        env: Environment,
        fault: NemesisFault,
        rng: np.random.Generator,
        fire: Callable[[FaultEntry, np.random.Generator], None],
    ) -> None:
        self.env = env
        self.spec = fault.nemesis
        self.at = fault.at
        self.rng = rng
        self.fire = fire
        self.length = self.spec.for_ if self.spec.for_ is not None else self.spec.every / 2

    def start(self) -> None:
        call_later(self.env, self.at, self._strike, None)

    def _strike(self, _: None) -> None:
        if self.spec.stop is not None and self.env.now >= self.spec.stop:
            return
        kinds = self.spec.kinds
        self.fire(self._fault(kinds[int(self.rng.integers(len(kinds)))]), self.rng)
        call_later(self.env, self.spec.every, self._strike, None)

    def _fault(self, kind: str) -> FaultEntry:
        model = fault_kinds()[kind]
        body = model.nemesis_body(self.rng, self.spec.target)
        return model.model_validate({"at": float(self.env.now), kind: body, "for": self.length})
