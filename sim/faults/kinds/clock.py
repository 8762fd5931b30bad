"""clock: some nodes' timers run fast or slow, for a while."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field

from sim.faults.api import (
    Cluster,
    Path,
    Strict,
    Target,
    Targets,
    Undo,
    Undoable,
    names,
    register_fault,
)
from sim.faults.settings import override

NEMESIS_FACTORS = (2.0, 0.5)  # the nemesis skews a clock to one of these, drawn uniformly


class ClockSkew(Strict):
    node: Target = Field(description="the nodes whose timers are skewed")
    factor: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        description="how fast their timers run: 2.0 fires timeouts in half the time, 0.5 in "
        "twice the time"
    )


@register_fault
class ClockFault(Undoable):
    """``{at: 1s, clock: {node: n2, factor: 2.0}}``: n2's timers run twice as fast (timeouts
    fire in half the time); 0.5 runs them at half speed. Timers set from then on are affected."""

    kind = "clock"
    order = 110
    drawable = True
    clock: ClockSkew = Field(description="skew the timers set from now on")

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("clock", "node"), self.clock.node)]

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        factor = NEMESIS_FACTORS[int(rng.integers(len(NEMESIS_FACTORS)))]
        return {"node": "random", "factor": factor}

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        nodes = targets(self.clock.node)

        def set_rate(node: Any, factor: float | None) -> None:
            cluster.hosts[node].clock_rate = 1.0 if factor is None else factor

        factor = self.clock.factor
        return override(cluster, "clock", nodes, factor, set_rate, f"{names(nodes)} x{factor:g}")
