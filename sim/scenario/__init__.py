"""Scenario files: YAML -> validated `Scenario`, with errors that name file, line and key."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import load_scenario, scenario_from_dict
from sim.scenario.model import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario", "scenario_from_dict"]
