"""Experiments: one run (build, run, check, write its directory), and sweeps of runs."""

from sim.experiment.run import RunResult, resolved_yaml, run
from sim.experiment.sweep import SweepResult, sweep

__all__ = ["RunResult", "SweepResult", "resolved_yaml", "run", "sweep"]
