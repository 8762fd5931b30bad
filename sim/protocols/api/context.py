"""`Context`: everything a protocol sees of the world, and the order its effects take.

The engine's `sim.engine.node.NodeHost` is the real one; ``tests/protocols/fake_context.py`` is a
hand-driven one for unit tests. A protocol calls nothing else: no clock, no socket, no simpy.

The contract, as `NodeHost` keeps it:

- **One handler at a time.** Each callback (`Protocol.on_start`, ``on_message``, ``on_timer``,
  ``on_request``) runs to its end before the node handles anything else. With
  ``cluster.processing`` > 0 each message and request first waits for the node's CPU (FIFO);
  timers wait for the CPU too but cost nothing.
- **Effects happen when called**, in call order, with one exception: a `persist`.
- **Persist, then send.** ``persist(key, value)`` stores the value in ``durable`` at once (from
  then on a crash keeps it), and starts a durable write of ``cluster.disk_write``. All persists
  of one handler are one write (one fsync); the writes of successive handlers queue on the
  node's disk. Every message and reply the handler sends *after* its first persist leaves only
  when that write is done; those sent before it leave at once. `decide`, `emit` and timers are
  not held. So a protocol that must not promise before its state is durable (a vote, an
  acknowledgment of entries) persists first and sends after, in the same handler.
- **A crash** loses the protocol instance (every attribute: volatile state), its pending timers,
  the work queued for its CPU, and the messages that arrive while it is down. It keeps
  ``durable`` as last persisted, and the messages already sent (held ones included: they leave
  when their write would have ended). A restart builds a new instance and calls ``on_start``,
  which reads ``durable`` back.
- **A pause** (a GC pause, a frozen VM) keeps everything; what arrives meanwhile is handled in
  arrival order on resume, timers included.
- **Timers** are named: setting one replaces the pending timer of that name, cancelling one
  means it never fires, and each fires once (``on_timer(name)``). A delay is of the node's
  clock (``now``): clock skew and drift scale it, and ``cluster.timer_jitter`` adds to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from typing import Protocol as TypingProtocol

from sim.protocols.api.operations import Op, Request, Result, Slot

if TYPE_CHECKING:  # (numpy is not imported for `quorumsim validate`)
    import numpy as np


class Context(TypingProtocol):
    """What the engine gives a protocol (see the module's contract for the order of effects)."""

    node_id: str
    peers: tuple[str, ...]  # every other node, sorted
    nodes: tuple[str, ...]  # every node including this one, sorted
    rng: np.random.Generator  # this node's own stream
    durable: dict[str, Any]  # survives crashes; write it through persist(), read it in on_start

    @property
    def now(self) -> float:
        """This node's clock in milliseconds: the simulated time, or (1 + d) times it on a node of
        ``cluster.clock_drift`` d; compare it only with this node's own times (a `clock` fault
        does not change it: only timers run faster)."""
        ...

    def send(self, dst: str, msg: Any) -> None:
        """Send ``msg`` to node ``dst``; the network may delay, reorder, drop or duplicate it.
        Messages are values: never change one once sent (a broadcast shares it)."""
        ...

    def broadcast(self, msg: Any) -> None:
        """`send` to every peer, in ``peers`` order."""
        ...

    def set_timer(self, name: str, delay: float) -> None:
        """Fire ``on_timer(name)`` after ``delay`` ms, replacing a pending timer of that name."""
        ...

    def cancel_timer(self, name: str) -> None: ...

    def reply(self, request: Request, result: Result) -> None:
        """Answer a client request (once; see `Result` for what each status promises)."""
        ...

    def decide(self, slot: Slot, op: Op) -> None:
        """This replica executes ``op`` at ``slot``: call it once per slot as the replica applies
        the operation (a restarted replica that applies again calls it again). Replicas must
        agree per slot; a protocol with ``ordered_slots`` decides 1, 2, 3, ... in order."""
        ...

    def persist(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` in ``durable``, durably: sends after it wait for it."""
        ...

    def emit(self, event: str, **fields: Any) -> None:
        """A protocol event for the metrics, the invariants and the trace (see
        `sim.protocols.api.events` for those the metrics read)."""
        ...

    def uniform(self, low: float, high: float) -> float:
        """A draw from U[low, high) on this node's stream, the same value as
        ``rng.uniform(low, high)`` but taken from a batch (a numpy call per draw costs a
        microsecond, and a protocol may draw one per message). It shares ``rng``'s stream: a
        protocol uses one or the other."""
        ...
