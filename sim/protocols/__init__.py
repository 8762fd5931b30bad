"""Protocols as sans-IO state machines, found by name in the `registry`.

`sim.protocols.api` is the contract they are written against. Every other subpackage is one
protocol, split as Paxi splits them: ``messages.py`` (the message dataclasses), ``protocol.py``
(the state machine), and more modules as it grows (Raft's: ``params``, ``election``,
``replication``, ``progress``, ``log``, ``invariants``).
"""

from sim.protocols.api import OK, Context, Op, OpId, Protocol, ProtocolParams, Request, Result
from sim.protocols.registry import get_protocol, protocol_names, register

__all__ = [
    "OK",
    "Context",
    "Op",
    "OpId",
    "Protocol",
    "ProtocolParams",
    "Request",
    "Result",
    "get_protocol",
    "protocol_names",
    "register",
]
