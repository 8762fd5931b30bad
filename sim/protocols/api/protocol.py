"""`Protocol`: the base class of a protocol's state machine, and its parameter model's base.

A protocol is a pure state machine. It never imports simpy and never touches a clock or a socket:
the engine hands it messages, timers and client requests through a `Context`, and everything it
does (send, set a timer, reply, decide, persist, emit) goes back through that same context. That
is why a protocol can be unit-tested by feeding it events by hand (see ``tests/protocols/``), as
etcd's raft and Stateright's actors are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from sim.protocols.api.context import Context
from sim.protocols.api.invariant import Invariant
from sim.protocols.api.operations import Request
from sim.protocols.api.quorum import Quorum


class ProtocolParams(BaseModel):
    """Base of every protocol's parameter model: unknown parameters are errors.

    Two hooks let the scenario loader check the parameters against the cluster, which the model
    alone does not know: `check_cluster` (settings that can never work on these nodes) and
    `quorums` (the quorum systems the parameters make, which must intersect unless the scenario
    says ``cluster.unsafe: true``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def check_cluster(self, nodes: tuple[str, ...]) -> list[tuple[str, str]]:
        """(parameter, problem) for each setting these nodes can never make progress with."""
        return []

    def quorums(self, nodes: tuple[str, ...]) -> dict[str, tuple[Quorum, Quorum | None]]:
        """The quorums these parameters make on ``nodes``, by the parameter that sets them:
        (phase 1, phase 2), or (the quorum, None) when one kind must meet itself. The loader
        refuses any pair that can be disjoint (`intersection_problems`) unless the scenario
        allows it for teaching."""
        return {}


class Protocol:
    """Base class of protocol state machines. One instance per node per life: a restart builds a
    new instance, which finds what it persisted in ``ctx.durable``.

    Class attributes a protocol sets: ``name`` (its name in scenario files), ``Params`` (its
    parameter model), ``leader_based`` (it elects leaders: faults may target ``leader``, the run
    reports elections), ``ordered_slots`` (its slots are log indices 1, 2, 3, ... that every
    replica decides in order: replica safety then also reports gaps).
    """

    name: ClassVar[str]
    Params: ClassVar[type[ProtocolParams]]
    leader_based: ClassVar[bool] = False
    ordered_slots: ClassVar[bool] = False

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

    @property
    def epoch(self) -> int | None:
        """The epoch this node is in (Raft's term, a ballot, a view), None for a protocol that
        has none (see `sim.protocols.api.events`)."""
        return None

    def leader_rank(self) -> float | None:
        """None unless this node claims to lead; among claimants the highest rank is "the
        leader" (fault targets and clients ask). By default a leader ranks by its epoch, so a
        deposed leader that has not heard the news loses to the new one."""
        if not self.is_leader:
            return None
        epoch = self.epoch
        return 0.0 if epoch is None else float(epoch)

    def describe(self) -> Mapping[str, Any]:
        """A small snapshot of the node's state for traces and violation reports."""
        return {}
