"""The protocol API: all a protocol author needs, in one place. Read in this order:

- `operations`: `Request` (a client's), `Result` (the answer, and what each status promises),
  `Op` (what replicas order and decide), `Slot` (where a decision sits);
- `context`: `Context`, what a protocol sees of the world, and the order its effects take
  (what a ``persist`` holds back, what a crash loses);
- `protocol`: `Protocol`, the callbacks to override, and `ProtocolParams`;
- `kv`: `KV`, the key-value store every protocol applies its decided operations to;
- `quorum`: majority, counted, weighted and flexible quorums, the intersection rule, and
  `QuorumTracker` for counting acknowledgments;
- `events`: the events to emit for election, recovery and latency figures;
- `invariant`: `Invariant`, a safety property a protocol checks about itself.

Nothing here imports simpy or the engine; protocols import from here, never from the checks.
"""

from sim.protocols.api import events, quorum
from sim.protocols.api.context import Context
from sim.protocols.api.invariant import Invariant, Violation
from sim.protocols.api.kv import KV
from sim.protocols.api.operations import FAIL, OK, Op, OpId, Request, Result, Slot
from sim.protocols.api.protocol import Protocol, ProtocolParams
from sim.protocols.api.quorum import Flexible, Quorum, QuorumTracker, intersection_problems

__all__ = [
    "FAIL",
    "KV",
    "OK",
    "Context",
    "Flexible",
    "Invariant",
    "Op",
    "OpId",
    "Protocol",
    "ProtocolParams",
    "Quorum",
    "QuorumTracker",
    "Request",
    "Result",
    "Slot",
    "Violation",
    "events",
    "intersection_problems",
    "quorum",
]
