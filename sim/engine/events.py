"""The cheapest way to have SimPy call a function later: one event, no process, no closure."""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.core import NORMAL
from simpy.events import Event


class Call(Event):
    """An event that runs ``callback(event)`` at its time; the payload is ``event._value``.

    It skips Timeout's checks and argument handling; a delivery or a timer is one of these, which
    is what keeps quorumsim near the speed of bare SimPy timeouts.
    """


def call_later(
    env: simpy.Environment, delay: float, callback: Callable[[Any], None], payload: Any
) -> Call:
    event = Call.__new__(Call)
    event.env = env
    event.callbacks = [callback]
    event._value = payload
    event._ok = True
    env.schedule(event, NORMAL, delay)
    return event


def call_at(
    env: simpy.Environment, time: float, callback: Callable[[Any], None], payload: Any
) -> Call:
    """`call_later` at an absolute ``time`` (>= now): ``now + (time - now)`` is not always
    ``time`` in floating point, and a deadline must come due exactly when it was set to."""
    event = Call.__new__(Call)
    event.env = env
    event.callbacks = [callback]
    event._value = payload
    event._ok = True
    heappush(env._queue, (time, NORMAL, next(env._eid), event))
    return event


class Delivery:
    """A message in flight, as SimPy's event loop sees it: the loop reads only ``callbacks``
    (and ``_ok``), so a message needs no full `Event` (no environment, no value tuple). The
    callbacks list is the destination's, shared by all its messages: SimPy sets the attribute
    to None when it runs the event but never changes the list. ``host`` is the destination's
    NodeHost when `sim.engine.loop` may hand the message over itself (None: use the callbacks).
    """

    __slots__ = ("callbacks", "dst", "host", "msg", "src")
    _ok = True

    callbacks: list[Callable[[Any], None]] | None
    host: Any
    src: str
    dst: str
    msg: Any
