"""The sans-IO protocol interface: what a protocol sees of the world, and what it must provide.

A protocol is a pure state machine. It never imports simpy and never touches a clock or a socket:
the engine hands it messages, timers and client requests through a `Context`, and everything it
does (send, set a timer, reply, decide, persist) goes back through that same context. That is why
a protocol can be unit-tested by feeding it events by hand (see `tests/protocols/`), as etcd's raft
and Stateright's actors are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from typing import Protocol as TypingProtocol

import numpy as np
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sim.checks.invariants import Invariant

# Requests, results and operations are values: nothing changes them once made (one Op travels to
# every replica). They are not ``frozen`` dataclasses only because those cost twice as much to
# build, and each client operation builds all three.

OpId = int | str
"""Client operations have integer ids; entries a protocol makes itself (a Raft no-op, the
article's bootstrap proposal) use a string id such as ``"noop:n1:3"``."""


@dataclass(slots=True)
class Request:
    """A client operation on the key-value store, as it arrives at a node."""

    op_id: int
    client: int
    op: str  # "write" | "read" | "cas"
    key: str
    value: Any  # write: the new value; cas: [expected, new]; read: None


@dataclass(slots=True)
class Result:
    """A node's answer to a client request.

    ``status`` is ``"ok"`` (done; ``value`` holds a read's value or a cas's success),
    ``"fail"`` (definitely not done), or ``"redirect"`` (not done here; try ``leader``,
    which may be None when the node knows no leader).
    """

    status: str
    value: Any = None
    leader: str | None = None


OK = Result("ok")


@dataclass(slots=True)
class Op:
    """An operation as it is ordered and decided by replicas (also entries a protocol makes)."""

    op_id: OpId
    op: str
    key: str | None = None
    value: Any = None


class Context(TypingProtocol):
    """What the engine gives a protocol. `engine.context.NodeContext` is the real one;
    `tests/protocols/fake_context.py` is a hand-driven one for unit tests."""

    node_id: str
    peers: tuple[str, ...]  # every other node, sorted
    nodes: tuple[str, ...]  # every node including this one, sorted
    rng: np.random.Generator  # this node's own stream
    durable: dict[str, Any]  # survives crashes; write it through persist()

    @property
    def now(self) -> float: ...

    def send(self, dst: str, msg: Any) -> None: ...
    def broadcast(self, msg: Any) -> None: ...
    def set_timer(self, name: str, delay: float) -> None: ...
    def cancel_timer(self, name: str) -> None: ...
    def reply(self, request: Request, result: Result) -> None: ...
    def decide(self, index: int, op: Op) -> None: ...
    def persist(self, key: str, value: Any) -> None: ...
    def emit(self, event: str, **fields: Any) -> None: ...
    def uniform(self, low: float, high: float) -> float:
        """A draw from U[low, high) on this node's stream, the same value as
        ``rng.uniform(low, high)`` but taken from a batch (a numpy call per draw costs a
        microsecond, and Raft draws one per AppendEntries). It shares ``rng``'s stream: a
        protocol uses one or the other."""
        ...


class ProtocolParams(BaseModel):
    """Base of every protocol's parameter model: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Protocol:
    """Base class of protocol state machines. One instance per node per life: a restart builds a
    new instance, which finds what it persisted in ``ctx.durable``."""

    name: ClassVar[str]
    Params: ClassVar[type[ProtocolParams]]
    leader_based: ClassVar[bool] = False

    def __init__(self, params: ProtocolParams, node_id: str, nodes: tuple[str, ...]) -> None:
        self.params = params
        self.node_id = node_id
        self.nodes = nodes

    @classmethod
    def invariants(cls) -> Sequence[Invariant]:
        """This protocol's own safety properties, checked as a run goes (new objects each call:
        one set per run). Replica safety is checked for every protocol besides."""
        return ()

    def on_start(self, ctx: Context) -> None:
        """First start, and after each restart."""

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """A message from another node."""

    def on_timer(self, ctx: Context, name: str) -> None:
        """A timer set with ``ctx.set_timer(name, delay)`` fired."""

    def on_request(self, ctx: Context, request: Request) -> None:
        """A client operation arrived at this node."""

    @property
    def is_leader(self) -> bool:
        """Whether this node believes it leads now."""
        return False

    def leader_rank(self) -> float | None:
        """None unless this node claims to lead; among claimants the highest rank is "the
        leader" (fault targets and clients ask). Leader-based protocols rank by term."""
        term = getattr(self, "term", 0)
        return float(term) if self.is_leader else None

    def describe(self) -> Mapping[str, Any]:
        """A small snapshot of the node's state for traces and violation reports."""
        return {}
