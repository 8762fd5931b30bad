"""Experiments: one run (build, run, check, write its directory), and sweeps of runs."""

from sim.experiment.run import RunResult, resolved_yaml, run

__all__ = ["RunResult", "resolved_yaml", "run"]
