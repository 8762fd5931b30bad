r"""quorumsim: a discrete-event simulator for consensus experiments.

Layers, each importing only the ones after it:

    cli -> experiment -> scenario, engine -> network, protocols (sans-IO), workload, faults
                     \-> checks, metrics (read records only)

`protocols/` never imports simpy: a protocol is a state machine fed messages and timers.
"""

from sim.experiment.run import RunResult, run
from sim.experiment.sweep import SweepResult, sweep
from sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from sim.version import __version__

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
