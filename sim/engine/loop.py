"""The event loop: SimPy's ``Environment.run(until=...)``, with less work per event.

SimPy's `run` calls `step()` once per event, and `step` pops the heap and calls the event's
callbacks. This loop does the same, in the same order, with the same stop event, inline: one
method call fewer per event. A message delivery, the most common event by far, goes straight to
its node: the loop counts it and hands the message to the node's protocol when the node takes it
at once (up, not paused, no CPU cost), which is `NodeHost._deliver` inlined. Every other event
(SimPy processes and timeouts, other deliveries) runs its callbacks exactly as `step` would; a
`Call` makes its one call.

Any SimPy event may be scheduled on the environment; `env.run()` still works on the same queue
(a `Delivery` keeps the callbacks SimPy reads).
"""

from __future__ import annotations

from heapq import heappop
from typing import TYPE_CHECKING, Any

import simpy
from simpy.core import URGENT
from simpy.events import Event

from sim.engine.events import Call, Delivery

if TYPE_CHECKING:
    from sim.network.network import Network


def run_until(env: simpy.Environment, until: float, network: Network | None = None) -> None:
    """Run ``env`` until time ``until`` as ``env.run(until=until)`` does. Deliveries the loop
    hands over itself are added to ``network.delivered``."""
    if until <= env._now:
        raise ValueError(f"until ({until}) must be greater than the current time ({env._now})")
    # Scheduled before every event of the same time, as SimPy's own stop event is.
    stop = Event(env)
    stop._ok = True
    stop._value = None
    env.schedule(stop, URGENT, until - env._now)
    queue: list[Any] = env._queue  # (time, priority, id, event): Events and Deliveries
    delivered = 0
    try:
        while True:
            now, _, _, event = heappop(queue)
            env._now = now
            kind = event.__class__
            if kind is Delivery:
                host = event.host
                if host is not None and host._direct:
                    # NodeHost._deliver, inlined (see its docstring).
                    delivered += 1
                    host.protocol.on_message(host, event.src, event.msg)
                    if host._hold:
                        host._hold = 0.0
                    continue
            elif kind is Call:
                event.fn(event.arg)
                continue
            elif event is stop:
                return
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                # A failed event nobody handled: crash the run, as SimPy does.
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
    finally:
        if network is not None:
            network.delivered += delivered
