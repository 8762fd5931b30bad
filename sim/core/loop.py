"""The event loop: SimPy's ``Environment.run(until=...)``, with less work per event.

SimPy's `run` calls `step()` once per event, and `step` pops the heap and calls the event's
callbacks. This loop does the same, in the same order (time, then priority, then scheduling
order), with the same stop rule, inline. The queue holds three kinds of entries:

- ``(time, priority, id, host, src, msg)``: a message for ``host``, an instance of the
  environment's ``host_class`` (the engine's NodeHost), the most common event by far. No event
  object is made for it (`Network.outbox` pushes the tuple): the loop counts it and hands the
  message to the node's protocol at once when the node takes it at once (up, not paused, no CPU
  cost), else to ``host.receive``. What the loop reads of a host is `MessageHost`.
- ``(time, priority, id, call)``: a `Call`, run as ``call.fn(call.arg)``.
- ``(time, priority, id, delivery)``: a message for a plain receiver (`Delivery`), given to its
  one callback (the network's `_arrive`).
- ``(time, priority, id, event)``: anything else SimPy can run (processes, timeouts), whose
  callbacks run exactly as `step` would run them.

SimPy's own ``env.run`` cannot run the first kind: a simulation with hosts runs here.
"""

from __future__ import annotations

from heapq import heappop
from typing import Any, Protocol

from simpy.core import URGENT
from simpy.events import Event

from sim.core.environment import Environment
from sim.core.events import Call, Delivery


class MessageHost(Protocol):
    """What the loop reads of a message's receiver (the engine's NodeHost)."""

    node_id: str
    protocol: Any  # on_message(host, src, msg): the host is the protocol's context
    _direct: bool  # takes a message at once: up, not paused, no CPU cost
    _hold: float  # the disk wait its handler built up (reset after each message)

    def receive(self, src: str, msg: Any) -> None: ...


class MessageCounter(Protocol):
    """What the loop reads and writes of the network."""

    delivered: int
    _tracing: bool

    def trace_delivery(self, dst: str, src: str, msg: Any) -> None: ...


def run_until(
    env: Environment, until: float | Event, network: MessageCounter | None = None
) -> None:
    """Run ``env`` as ``env.run(until=until)`` does: up to time ``until`` (events at that very
    time are left for later), or until the event ``until`` has been processed. Messages handed
    to nodes are added to ``network.delivered`` (and traced, if it traces)."""
    if isinstance(until, Event):
        stop = until
        if stop.callbacks is None:
            return  # processed already
    else:
        if until <= env.now:
            raise ValueError(f"until ({until}) must be greater than the current time ({env.now})")
        # Scheduled before every event of the same time, as SimPy's own stop event is.
        stop = Event(env)
        stop._ok = True
        stop._value = None
        env.schedule(stop, URGENT, until - env.now)
    queue: list[Any] = env.queue
    host: Any = env.host_class
    delivered = 0
    # With tracing on, a message handed to a node gets its trace row first.
    trace = network.trace_delivery if network is not None and network._tracing else None
    # Events run in rounds of STALL_EVENTS. Time never goes back, so a round that ends at the
    # instant it began ran every one of its events at that instant: a zero-delay loop, which
    # would otherwise run for ever. Testing once a round costs nothing per event; the `for`
    # over a range costs what `while queue` did.
    rounds = range(STALL_EVENTS)
    try:
        while True:
            began = env.now
            for _ in rounds:
                try:
                    entry = heappop(queue)
                except IndexError:  # (free until raised, since Python 3.11)
                    raise RuntimeError(
                        f"no events left but the run's end was not reached: {stop}"
                    ) from None
                env.now = entry[0]
                event = entry[3]
                kind = event.__class__
                if kind is host:
                    delivered += 1
                    if trace is not None:
                        trace(event.node_id, entry[4], entry[5])
                    if event._direct:  # host.receive's common case, inlined
                        event.protocol.on_message(event, entry[4], entry[5])
                        if event._hold:
                            event._hold = 0.0
                    else:
                        event.receive(entry[4], entry[5])
                    continue
                if kind is Call:
                    event.fn(event.arg)
                    continue
                if kind is Delivery:  # its one callback: the network's _arrive
                    event.callbacks[0](event)
                    continue
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    # A failed event nobody handled: crash the run, as SimPy does.
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    raise exc
                if event is stop:
                    return
            else:
                if env.now == began:
                    raise NoProgress(env.now, _sample(env, queue))
    finally:
        if network is not None:
            network.delivered += delivered


STALL_EVENTS = 1_000_000
"""Events at one instant after which a run is stopped as a zero-delay loop. A real run has a few
per node at any instant (a broadcast and its replies); a million is no run that makes progress."""


class NoProgress(RuntimeError):
    """The simulated clock stopped: events keep coming at one instant, and the run would never
    reach its end. The message names what is looping, from a sample of the events that ran."""

    def __init__(self, now: float, looping: str) -> None:
        self.now = now
        self.looping = looping
        super().__init__(
            f"the simulated clock stopped at {now:g} ms: {STALL_EVENTS:,} events ran without "
            f"time advancing, a zero-delay loop of {looping}; give the links, the clients "
            "(client_latency, think) or the nodes (processing) a duration above zero"
        )


def _sample(env: Environment, queue: list[Any], count: int = 1000) -> str:
    """Run ``count`` more events of the loop the slow way, noting what each is, and say what
    they were, most frequent first: ``n1 -> n2: Propose (x3)``. (The events queued at the
    instant alone may be one client step: the loop goes through the nodes and back.)"""
    counts: dict[str, int] = {}
    host: Any = env.host_class
    for _ in range(count):
        if not queue:
            break
        entry = heappop(queue)
        env.now = entry[0]
        event = entry[3]
        what = _what(entry, host)
        counts[what] = counts.get(what, 0) + 1
        if event.__class__ is host:
            event.receive(entry[4], entry[5])
        elif event.__class__ is Call:
            event.fn(event.arg)
        else:
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = [f"{what} (x{n})" for what, n in ranked[:6]]
    if len(ranked) > 6:
        shown.append(f"{len(ranked) - 6} more kinds")
    return ", ".join(shown) or "nothing"


def _what(entry: tuple[Any, ...], host: Any) -> str:
    event = entry[3]
    if event.__class__ is host:
        return f"{entry[4]} -> {event.node_id}: {type(entry[5]).__name__}"
    if event.__class__ is not Call:
        return type(event).__name__
    parts = event.arg if isinstance(event.arg, tuple) else (event.arg,)
    # A client request (an op id, a client, an operation kind), and the hosts it goes between.
    about = [
        f"client {p.client} {p.op}" for p in parts if hasattr(p, "client") and hasattr(p, "op")
    ]
    about += [p.node_id for p in parts if host is not None and isinstance(p, host)]
    about += [p for p in parts if isinstance(p, str)]
    name = getattr(event.fn, "__qualname__", type(event.fn).__name__)
    return f"{name}({', '.join(about)})"
