"""The primitives the simulator stands on: the environment (the one place that touches SimPy's
internals), the event loop, the two light event kinds, and the random streams. Imports nothing
of the simulator above it."""

from sim.core.environment import Environment
from sim.core.events import Call, Delivery, call_at, call_later
from sim.core.loop import NoProgress, run_until
from sim.core.rng import DrawPool, RandomStreams

__all__ = [
    "Call",
    "Delivery",
    "DrawPool",
    "Environment",
    "NoProgress",
    "RandomStreams",
    "call_at",
    "call_later",
    "run_until",
]
