"""The random nemesis: every `every`, one fault of a kind drawn from `kinds`, undone `for` later.

All its draws (kind, targets, clock factor) come from its own stream, so the fault schedule is a
function of the seed alone: the same seed gives the same faults.csv.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from sim.core.environment import Environment
from sim.core.events import call_later
from sim.scenario.faults import Fault, NemesisFault

# What each kind does when the nemesis picks it (see NemesisFault's docstring).
_BODIES: dict[str, Any] = {
    "crash": "random",
    "pause": "random",
    "isolate": "random",
    "partition": ["minority"],
    "loss": 0.5,
    "duplicate": 0.5,
    "delay": {"extra": 100.0, "to": "random", "symmetric": True},
}
_TARGETED = ("crash", "pause", "isolate")  # kinds whose target the spec may name
_CLOCK_FACTORS = (2.0, 0.5)
_FAULT: TypeAdapter[Fault] = TypeAdapter(Fault)


class Nemesis:
    def __init__(
        self,
        env: Environment,
        fault: NemesisFault,
        rng: np.random.Generator,
        fire: Callable[[Fault, np.random.Generator], None],
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

    def _fault(self, kind: str) -> Fault:
        if kind == "clock":
            factor = _CLOCK_FACTORS[int(self.rng.integers(len(_CLOCK_FACTORS)))]
            body: Any = {"node": "random", "factor": factor}
        elif kind in _TARGETED and self.spec.target is not None:
            body = self.spec.target
        else:
            body = _BODIES[kind]
        return _FAULT.validate_python({"at": float(self.env.now), kind: body, "for": self.length})
