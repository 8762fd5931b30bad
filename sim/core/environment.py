"""The simulation's environment: SimPy's, with its clock a plain attribute and the few things
quorumsim does to SimPy's queue said in one place. The one module that touches SimPy's private
attributes (``_now``, ``_queue``, ``_eid``); everything else uses the names below.

- ``env.now`` is a plain float attribute, not SimPy's read-only property: the hot paths (every
  message, every decision) read the clock, and a property is a call each time. SimPy's own code
  reads and writes ``_now``, which is a property here that maps to ``now``.
- ``env.queue`` is SimPy's heap and ``env.ids`` its id counter. Entries are
  ``(time, priority, id, ...)`` as SimPy's, and `sim.core.loop` also runs two kinds SimPy's
  loop cannot: ``(time, priority, id, host, src, msg)`` (a message for a host of
  ``host_class``) and a `Call`. Pushing onto ``queue`` directly is allowed for those hot paths
  (the network's outbox); elsewhere use `sim.core.events.call_later`, `call_at` or
  `push_message`.
- ``env.run_until(until)`` runs the queue (never ``env.run``, which cannot run messages).
"""

from __future__ import annotations

from heapq import heappush
from itertools import count
from typing import TYPE_CHECKING, Any

import simpy
from simpy.core import NORMAL

if TYPE_CHECKING:
    from simpy.events import Event

    from sim.core.loop import MessageCounter


class Environment(simpy.Environment):
    now: float = 0.0  # shadows SimPy's read-only property: see above

    def __init__(self, initial_time: float = 0.0) -> None:
        # A float clock from the start: every time computed from it is a float too, so the hot
        # paths read ``env.now`` as it is, without a float() call.
        super().__init__(float(initial_time))
        self.queue: list[Any] = self._queue
        self.ids: count[int] = self._eid
        self.host_class: type | None = None  # the class of message receivers in bare entries

    @property
    def _now(self) -> float:
        return self.now

    @_now.setter
    def _now(self, value: float) -> None:
        self.now = value

    def push_message(self, time: float, host: Any, src: str, msg: Any) -> None:
        """A message for ``host`` (of ``host_class``) at ``time``, as a bare queue entry."""
        heappush(self.queue, (time, NORMAL, next(self.ids), host, src, msg))

    def run_until(self, until: float | Event, network: MessageCounter | None = None) -> None:
        """Run as ``env.run(until=until)`` does; see `sim.core.loop.run_until`."""
        from sim.core.loop import run_until

        run_until(self, until, network)

    @property
    def events_run(self) -> int:
        """Events processed so far: every event scheduled got an id; those still queued never
        ran. (Takes one id, which no event will then have.)"""
        return next(self.ids) - len(self.queue)
