"""The engine: a SimPy environment, random streams, and the hosts that run protocols."""

from sim.core.rng import DrawPool, RandomStreams
from sim.engine.node import NodeHost
from sim.engine.simulation import Simulation

__all__ = ["DrawPool", "NodeHost", "RandomStreams", "Simulation"]
