r"""quorumsim: a discrete-event simulator for consensus experiments.

Layers, each importing only the ones below it (held by import-linter contracts in
pyproject.toml, run by `make test`):

    cli -> experiment -> plots -> engine -> workload, faults -> network -> core
    metrics -> checks -> protocols (sans-IO: no simpy, no engine)
    scenario -> protocols; units, outputs, version: leaves

The names below are loaded when first used, so that importing one part (a protocol, the
checker) does not import the whole simulator, nor simpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.version import __version__

if TYPE_CHECKING:
    from sim.experiment.run import RunResult, run
    from sim.experiment.sweep import SweepResult, sweep
    from sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict

_WHERE = {
    "RunResult": "sim.experiment.run",
    "run": "sim.experiment.run",
    "SweepResult": "sim.experiment.sweep",
    "sweep": "sim.experiment.sweep",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "scenario_from_dict": "sim.scenario",
}

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "__version__",
    "load_scenario",
    "run",
    "scenario_from_dict",
    "sweep",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # once: later look-ups find it directly
    return value
