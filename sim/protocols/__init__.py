"""Protocols as sans-IO state machines (`base`), found by name in the `registry`.

Each subpackage is one protocol, split as Paxi splits them: ``messages.py`` (the frozen message
dataclasses), ``protocol.py`` (the state machine and its parameter model).
"""

from sim.protocols.base import OK, Context, Op, OpId, Protocol, ProtocolParams, Request, Result
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
