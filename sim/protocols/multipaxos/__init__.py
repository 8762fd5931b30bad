"""Multi-Paxos and Flexible Paxos as sans-IO state machines; importing registers both."""

from sim.protocols.multipaxos.messages import (
    Accept,
    Accepted,
    CatchUp,
    Chosen,
    Commit,
    Heartbeat,
    HeartbeatReply,
    Nack,
    Prepare,
    Promise,
    Vote,
)
from sim.protocols.multipaxos.params import FPaxosParams, MultiPaxosParams
from sim.protocols.multipaxos.protocol import FPaxos, MultiPaxos

__all__ = [
    "Accept",
    "Accepted",
    "CatchUp",
    "Chosen",
    "Commit",
    "FPaxos",
    "FPaxosParams",
    "Heartbeat",
    "HeartbeatReply",
    "MultiPaxos",
    "MultiPaxosParams",
    "Nack",
    "Prepare",
    "Promise",
    "Vote",
]
