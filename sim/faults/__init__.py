"""Faults: the scenario's scheduled faults and the random nemesis, acting on nodes and network."""

from sim.faults.schedule import FaultSchedule

__all__ = ["FaultSchedule"]
