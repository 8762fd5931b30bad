"""NodeHost: where one protocol instance lives. It is the protocol's `Context`.

A node handles one thing at a time. With ``processing`` > 0 every message and request costs that
much CPU time and waits its turn (a FIFO single-server queue: it is handled at
``max(arrival, previous finish) + processing``). Timers wait for the CPU but cost nothing. With
no processing cost a message is handled straight from its queue entry (`sim.core.loop`).
Either way no SimPy process runs per message: the queue is kept as a "busy until" time, which is
the same FIFO queue as a process draining an inbox, at a fraction of the cost (see
docs/design.md).

``persist`` models a durable write: messages and replies sent after it in the same handler
leave only once the write is done; writes queue on the node's disk one after another.

Crash, restart, pause and clock skew are the fault model's levers on a node.

Timers may be noisy (`sim.engine.timer_noise`): a node of clock drift d reads its own clock,
``now`` = (1 + d) x simulated time, and its timers run 1 + d times as fast (and, apart, as fast
as a ``clock`` fault's factor says: it speeds timers only); a timer jitter adds a random delay,
in simulated time, to each timer set. Without noise, reading the clock and setting a timer
cost one test more each.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.environment import Environment
from sim.core.events import call_later
from sim.core.rng import DrawPool
from sim.engine.timer_noise import TimerNoise
from sim.protocols.base import Protocol, Request, Result

if TYPE_CHECKING:
    from sim.metrics.recorder import Recorder
    from sim.network.network import Network

ReplySink = Callable[[str, Request, Result, float], None]


class NodeHost:
    def __init__(
        self,
        env: Environment,
        node_id: str,
        nodes: tuple[str, ...],
        make_protocol: Callable[[], Protocol],
        network: Network,
        recorder: Recorder,
        rng: np.random.Generator,
        processing: float,
        disk_write: float,
        reply_sink: ReplySink,
        noise: TimerNoise | None = None,
    ) -> None:
        self.env = env
        # The noise is one attribute: CPython keeps fewer than 30 attributes of an object inline,
        # and past that every look-up on a node, the loop's included, measured 20% slower.
        self._noise = noise  # None: this node's clock is the simulated time, its timers exact
        self.node_id = node_id
        self.nodes = nodes
        self.peers = tuple(n for n in nodes if n != node_id)
        self.rng = rng
        self._uniforms: list[float] = []  # a batch of U[0, 1) draws from ``rng``, see `uniform`
        self._uniform_batch = 16
        self.durable: dict[str, Any] = {}
        self.network = network
        self.recorder = recorder
        self.processing = processing
        self.disk_write = disk_write
        self._make_protocol = make_protocol
        self._reply_sink = reply_sink
        self.protocol = make_protocol()
        self.up = True
        self.paused = False
        self.clock_rate = 1.0  # timers fire this many times faster than real time
        self._life = 0  # bumped on crash: events of an earlier life are ignored
        self._busy_until = 0.0
        self._disk_free = 0.0
        self._hold = 0.0  # departure delay of sends in the current handler (persist)
        self._timers: dict[str, list[float]] = {}  # name -> [deadline, pending event's time]
        self._frozen: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()
        self._direct = False  # see _update_direct
        self._update_direct()
        network.attach(node_id, self.receive, self)
        # Context.send(dst, msg) and Context.broadcast(msg): the network's, bound to this node.
        self.send, self.broadcast = network.outbox(node_id, self.peers, self)
        # Context.decide: the recorder's, bound to this node (called per replica per entry).
        self.decide = recorder.decider(node_id, lambda: self.protocol)

    @property
    def drift(self) -> float:
        """How much faster than simulated time this node's clock runs (a fraction)."""
        return self._noise.drift if self._noise is not None else 0.0

    def _update_direct(self) -> None:
        """Messages may skip the queue when the node is up, running, and costs no CPU time."""
        self._direct = self.up and not self.paused and not self.processing

    # --- Context ------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        if self._noise is None:
            return self.env.now  # a float: see Simulation
        return self._noise.now

    def set_timer(self, name: str, delay: float) -> None:
        # A timer is [deadline, time of its pending event]. Setting it later than its pending
        # event only moves the deadline, and the event waits for the rest when it comes: a
        # leader's heartbeats reset every follower's election timer, and an event per reset
        # would be most of Raft's events.
        now = self.env.now
        delay /= self.clock_rate
        if self._noise is not None:
            delay = self._noise.delay(delay)
        deadline = now + delay
        timer = self._timers.get(name)
        if timer is not None and timer[1] <= deadline:
            timer[0] = deadline
            return
        timer = [deadline, deadline]
        self._timers[name] = timer
        call_later(self.env, deadline - now, self._timer_fired, (self._life, name, timer))

    def cancel_timer(self, name: str) -> None:
        self._timers.pop(name, None)

    def uniform(self, low: float, high: float) -> float:
        # numpy's uniform(low, high) is low + (high - low) * random(): the same double here. The
        # draws come from a batch as `DrawPool` hands them out (its code inlined: protocols may
        # draw per message).
        draws = self._uniforms
        if not draws:
            draws = self._uniforms = DrawPool.refill(self.rng, self._uniform_batch)
            self._uniform_batch = min(self._uniform_batch * 4, DrawPool.MAX_BATCH)
        return low + (high - low) * draws.pop()

    def reply(self, request: Request, result: Result) -> None:
        self._reply_sink(self.node_id, request, result, self._hold)

    def persist(self, key: str, value: Any) -> None:
        # All persists of one handler are one write (one fsync), as a real server batches them.
        self.durable[key] = value
        if self.disk_write and not self._hold:
            start = max(self.env.now, self._disk_free)
            self._disk_free = start + self.disk_write
            self._hold = self._disk_free - self.env.now

    def emit(self, event: str, **fields: Any) -> None:
        self.recorder.event(self.node_id, event, fields, self.protocol)

    # --- inputs -------------------------------------------------------------------------------

    def start(self) -> None:
        self._run(self.protocol.on_start, (self,))

    def receive(self, src: str, msg: Any) -> None:
        """A message from the network arrives."""
        if self._direct:
            # Up, not paused, no CPU cost: handle it now (the common case, kept short).
            self.protocol.on_message(self, src, msg)
            if self._hold:
                self._hold = 0.0
            return
        if not self.up:
            self.network.undeliverable(src, self.node_id, msg, "crashed")
            return
        self._enter(self.protocol.on_message, (self, src, msg), self.processing)

    def request(self, request: Request) -> bool:
        """A client operation arrives; False if the node is down (the client will time out)."""
        if self._direct:  # as `_enter` would run it, without the queue's checks
            self.protocol.on_request(self, request)
            self._hold = 0.0
            return True
        if not self.up:
            return False
        self._enter(self.protocol.on_request, (self, request), self.processing)
        return True

    def _timer_fired(self, due: tuple[int, str, list[float]]) -> None:
        life, name, timer = due
        current = self._timers.get(name)
        if life != self._life or current is None or current is not timer:
            return  # cancelled, replaced, or set before a crash
        if current[0] > self.env.now:
            self._rearm(name, current)  # set again meanwhile: wait for the rest
            return
        if self.recorder.tracing:
            self.recorder.trace("timer", node=self.node_id, name=name)
        self._enter(self._on_timer, (name, timer), 0.0)

    def _on_timer(self, name: str, timer: list[float]) -> None:
        # A timer that waited (for the CPU, or through a pause) behind a handler that cancelled
        # or set it again does not fire now: a cancelled timer never fires, a moved one later.
        if self._timers.get(name) is not timer:
            return
        if timer[0] > self.env.now:
            self._rearm(name, timer)
            return
        del self._timers[name]
        self.protocol.on_timer(self, name)

    def _rearm(self, name: str, timer: list[float]) -> None:
        timer[1] = timer[0]
        call_later(self.env, timer[0] - self.env.now, self._timer_fired, (self._life, name, timer))

    def _enter(self, handler: Callable[..., None], args: tuple[Any, ...], cost: float) -> None:
        """Run a handler now if the CPU is free and it costs nothing, else queue it."""
        if self.paused:
            self._frozen.append((handler, args))
            return
        now = self.env.now
        if not cost and self._busy_until <= now:
            self._run(handler, args)
            return
        start = self._busy_until if self._busy_until > now else now
        self._busy_until = start + cost
        call_later(self.env, self._busy_until - now, self._dequeue, (self._life, handler, args))

    def _dequeue(self, queued: tuple[int, Callable[..., None], tuple[Any, ...]]) -> None:
        life, handler, args = queued
        if life == self._life:
            if self.paused:
                self._frozen.append((handler, args))
            else:
                self._run(handler, args)

    def _run(self, handler: Callable[..., None], args: tuple[Any, ...]) -> None:
        handler(*args)
        self._hold = 0.0  # a persist delays the sends of its own handler only

    # --- faults -------------------------------------------------------------------------------

    def crash(self) -> None:
        """Lose volatile state, pending timers and queued work; keep ``durable``."""
        if not self.up:
            return
        self.up = False
        self.paused = False
        self._life += 1
        self._timers.clear()
        self._frozen.clear()
        self._busy_until = self.env.now
        self._disk_free = self.env.now
        self._update_direct()

    def restart(self) -> None:
        """Come back with a new protocol instance that finds its durable state."""
        if self.up:
            return
        self.up = True
        self._update_direct()
        self.protocol = self._make_protocol()
        self.recorder.safety.restarted(self.node_id)
        self.start()

    def pause(self) -> None:
        """Stop handling messages and timers (a GC pause, a frozen VM); keep every state."""
        if self.up:
            self.paused = True
            self._update_direct()

    def resume(self) -> None:
        """Handle, in arrival order, what came in during the pause, then go on as before."""
        if not self.paused:
            return
        self.paused = False
        self._update_direct()
        frozen, self._frozen = self._frozen, deque()
        for handler, args in frozen:
            self._enter(handler, args, self.processing if handler != self._on_timer else 0.0)
