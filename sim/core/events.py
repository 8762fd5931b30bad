"""What the event loop runs besides messages to nodes: `Call` (a function at a time: timers,
client steps, faults) and `Delivery` (a message for a plain receiver). Both are the least an
entry of SimPy's queue can be: no process, no closure, no ``__dict__``."""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.core.environment import Environment

from simpy.core import NORMAL


class Call:
    """``fn(arg)`` at a simulated time: a timer, a client's next step, a fault.

    Not a SimPy `Event`: it has no environment, value or callbacks list of its own, only what
    `sim.core.loop` reads. SimPy's own loop (``env.run``, ``env.step``) reads ``callbacks`` and
    ``_ok``; the property gives it a list that makes the same call, so both loops run it.
    """

    __slots__ = ("arg", "fn")
    _ok = True

    fn: Callable[[Any], object]
    arg: Any

    @property
    def callbacks(self) -> list[Callable[[Any], None]]:
        return [self._fire]

    @callbacks.setter
    def callbacks(self, _value: Any) -> None:
        pass  # SimPy clears the list after the call; there is none to clear

    def _fire(self, _event: Any) -> None:
        self.fn(self.arg)


def call_later(env: Environment, delay: float, fn: Callable[[Any], object], arg: Any) -> Call:
    """Schedule ``fn(arg)`` ``delay`` after now (after the events already due at that time)."""
    event = Call.__new__(Call)
    event.fn = fn
    event.arg = arg
    heappush(env.queue, (env.now + delay, NORMAL, next(env.ids), event))
    return event


def call_at(env: Environment, time: float, fn: Callable[[Any], object], arg: Any) -> Call:
    """`call_later` at an absolute ``time`` (>= now): ``now + (time - now)`` is not always
    ``time`` in floating point, and a deadline must come due exactly when it was set to."""
    event = Call.__new__(Call)
    event.fn = fn
    event.arg = arg
    heappush(env.queue, (time, NORMAL, next(env.ids), event))
    return event


class Delivery:
    """A message in flight as an event SimPy's loop can run: it reads only ``callbacks`` (the
    network's `_arrive`, shared by all messages; SimPy sets the attribute to None when it runs
    the event but never changes the list) and ``_ok``. Used when the message goes through the
    network's `_arrive` (tracing on, or no NodeHost): see `sim.core.loop` for the other form."""

    __slots__ = ("callbacks", "dst", "msg", "src")
    _ok = True

    callbacks: list[Callable[[Any], None]] | None
    src: str
    dst: str
    msg: Any
