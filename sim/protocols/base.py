"""The protocol interface under its old name: `sim.protocols.api` holds it now (the engine,
the workload and the checks still import these names from here)."""

from sim.protocols.api import OK, Context, Op, OpId, Protocol, ProtocolParams, Request, Result

__all__ = ["OK", "Context", "Op", "OpId", "Protocol", "ProtocolParams", "Request", "Result"]
