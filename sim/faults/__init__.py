"""Faults: the scenario's scheduled faults and the random nemesis, acting on nodes and network.

Each kind is a plug-in (`sim.faults.api` says what one is; the built-ins are `sim.faults.kinds`).
`FaultSchedule` is loaded when first used, so that validating a scenario, which imports the
kinds, does not import the schedule and simpy with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.faults.schedule import FaultSchedule

__all__ = ["FaultSchedule"]


def __getattr__(name: str) -> Any:
    if name != "FaultSchedule":
        raise AttributeError(f"module 'sim.faults' has no attribute {name!r}")
    from sim.faults.schedule import FaultSchedule

    return FaultSchedule
