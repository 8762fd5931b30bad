"""The SimPy-process adapter: a protocol written as a generator that waits on its inbox and on
timeouts, hosted by the same `NodeHost` as a sans-IO protocol (same network, faults, clients,
checks).

A subclass of `ProcessProtocol` writes ``def run(self, node)``, a generator::

    def run(self, node):
        while True:
            item = yield node.inbox.get()          # a Message(src, msg) or a client Request
            ...
            yield node.timeout(50)                 # wait 50 ms of the node's clock

The adapter drives the generator itself rather than handing it to ``env.process``: it resumes it
inside the node's handlers, at the very moment a sans-IO protocol's ``on_message``, ``on_request``
or ``on_timer`` would run. So a process pays the node's CPU cost per message and request, waits
out a pause, holds its sends behind a ``persist`` as a handler does, and stops at a crash (a
restart builds a new instance and a new process, which finds ``node.durable``); and it makes the
same effects in the same order as the equivalent sans-IO protocol (`sim.process.seed` shows it).

What a process may yield:

- ``node.inbox.get()`` (the inbox is a `simpy.Store`): resumed at once when an item is there,
  else as the node's handler of the next message or request;
- ``node.timeout(delay)``: a node timer, so it runs at the node's clock rate (the clock fault),
  waits for the CPU and through pauses, and is lost at a crash;
- ``node.spawn(generator)``: another process of this node (started at once), done when it ends;
- any other SimPy event (``node.env.timeout(5)``, ``a | b``): resumed in a handler of its own
  once SimPy has processed the event, one step later than the kinds above, through a pause, and
  never after a crash. ``env.timeout`` ignores the clock fault: prefer ``node.timeout``.

It is slower than a sans-IO protocol (a Store get and its event per message, a generator switch
per wake-up; see docs/writing-a-protocol.md): the gentle way in, not the way to sweep 10^6 runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, NamedTuple, cast
from typing import Protocol as TypingProtocol

import numpy as np
import simpy
from simpy.resources.store import StoreGet

from sim.protocols.base import Context, Protocol, Request

Process = Generator[simpy.Event, Any, Any]
"""A process body: a generator of SimPy events, sent each event's value when it resumes."""


class Message(NamedTuple):
    """A message from another node, as it comes out of the inbox: ``src, msg = item``."""

    src: str
    msg: Any


class Inbox(simpy.Store):
    """The node's inbox: `Message`s and client `Request`s in arrival order (a `simpy.Store`)."""

    def deliver(self, item: Message | Request) -> None:
        """Put ``item`` in now, within the handler, and serve the waiting ``get`` at once (a
        ``put`` would serve it one event later, outside the handler)."""
        self.items.append(item)
        self._trigger_get(None)  # the base resource's own way of serving gets


class _Wake(simpy.Event):
    """An event the node itself triggers inside a handler (a timeout, a process's end): a
    process waiting on it resumes in that handler."""


@dataclass(slots=True, eq=False)
class _Process:
    body: Process
    done: _Wake
    waiting: simpy.Event | None = None


class ProcessHost(Context, TypingProtocol):
    """What the adapter needs of the engine's context besides `Context`: the environment, to
    make SimPy events, and whether this protocol instance still lives (`NodeHost` has both)."""

    env: simpy.Environment
    up: bool
    protocol: Protocol


class Node:
    """What a process sees of the world: its inbox, and the context's effects under the same
    names (see `sim.protocols.base.Context` for what each does)."""

    def __init__(self, host: ProcessHost, owner: Protocol) -> None:
        self.id = host.node_id
        self.peers = host.peers
        self.nodes = host.nodes
        self.rng: np.random.Generator = host.rng
        self.durable: dict[str, Any] = host.durable  # survives crashes; write it with persist()
        self.env = host.env
        self.inbox = Inbox(host.env)
        # The context's own functions, bound once (send and broadcast are a node's hot path).
        self.send = host.send
        self.broadcast = host.broadcast
        self.reply = host.reply
        self.decide = host.decide
        self.persist = host.persist
        self.emit = host.emit
        self.uniform = host.uniform
        self._host = host
        self._owner = owner
        self._readers: list[_Process] = []  # waiting on an inbox get, oldest first
        self._woken: dict[simpy.Event, list[_Process]] = {}  # waiting on a _Wake
        self._timers: dict[str, tuple[_Process | None, simpy.Event]] = {}  # by timer name
        self._count = 0

    @property
    def now(self) -> float:
        return self._host.now

    def timeout(self, delay: float) -> simpy.Event:
        """An event that happens ``delay`` ms from now on this node's clock."""
        if not delay >= 0:
            raise ValueError(f"a timeout's delay must be a number of ms >= 0, got {delay!r}")
        event = _Wake(self.env)
        self._count += 1
        name = f"timeout:{self._count}"
        self._timers[name] = (None, event)
        self._host.set_timer(name, delay)
        return event

    def spawn(self, body: Process) -> simpy.Event:
        """Start another process of this node now (it runs to its first ``yield`` before this
        returns); the event happens when it ends, with its return value."""
        if not inspect.isgenerator(body):  # (a run without `yield` returns None)
            raise TypeError(
                f"{type(self._owner).__name__} on {self.id}: a process is a generator (a function "
                f"with a `yield`), not {body!r}"
            )
        process = _Process(cast(Process, body), _Wake(self.env))
        self._step(process, None)
        return process.done

    # --- the engine's side ----------------------------------------------------------------------

    def deliver(self, item: Message | Request) -> None:
        self.inbox.deliver(item)
        # The inbox serves its gets first come, first served: the readers it served are the
        # first ones. (One it served out of turn is woken by `_processed` instead.)
        readers = self._readers
        while readers:
            get = readers[0].waiting
            if get is None or not get.triggered:
                return
            process = readers.pop(0)
            process.waiting = None
            self._step(process, get.value)

    def fired(self, name: str) -> None:
        """The node timer ``name`` fired: a timeout happened, or a SimPy event wakes a process."""
        entry = self._timers.pop(name, None)
        if entry is None:
            return
        process, event = entry
        if process is None:
            self._happen(event)
        elif process.waiting is event:
            process.waiting = None
            self._resume(process, event)

    # --- the driver -----------------------------------------------------------------------------

    def _happen(self, event: simpy.Event, value: Any = None) -> None:
        event.succeed(value)  # (scheduled too: SimPy conditions over it see it happen)
        for process in self._woken.pop(event, ()):
            if process.waiting is event:
                process.waiting = None
                self._step(process, value)

    def _resume(self, process: _Process, event: simpy.Event) -> None:
        if event.ok:
            self._step(process, event.value)
        else:  # a failed event raises in the process, as in SimPy
            event.defused = True
            self._step(process, None, event.value)

    def _step(self, process: _Process, value: Any, error: BaseException | None = None) -> None:
        """Run ``process`` to its next wait (or its end), sending it ``value`` (or ``error``)."""
        body = process.body
        while True:
            try:
                event = body.send(value) if error is None else body.throw(error)
            except StopIteration as stop:
                self._happen(process.done, stop.value)
                return
            error = None
            if event.__class__ is StoreGet and event.resource is self.inbox:
                if event.triggered:  # an item was there: take it now
                    value = event.value
                    continue
                self._readers.append(process)
            elif isinstance(event, _Wake):
                if event.triggered:
                    value = event.value
                    continue
                self._woken.setdefault(event, []).append(process)
            elif isinstance(event, simpy.Event):
                if event.processed:  # happened already: go on with its outcome
                    if event.ok:
                        value = event.value
                    else:
                        event.defused = True
                        value, error = None, event.value
                    continue
            else:
                raise TypeError(
                    f"{type(self._owner).__name__}.run on {self.id} yielded {event!r}: a process "
                    "yields events (node.inbox.get(), node.timeout(ms), node.spawn(...), or "
                    "another SimPy event)"
                )
            process.waiting = event
            # Every wait also hears SimPy process the event, for what the node did not trigger
            # in a handler of its own (a condition, env.timeout, a put into the inbox).
            callbacks = event.callbacks
            assert callbacks is not None  # (not processed: checked above)
            callbacks.append(functools.partial(self._processed, process))
            return

    def _processed(self, process: _Process, event: simpy.Event) -> None:
        if process.waiting is not event:
            return  # resumed already, inside the handler that triggered it
        host = self._host
        if not host.up or host.protocol is not self._owner:
            return  # this instance crashed: its processes never run again
        if process in self._readers:
            self._readers.remove(process)
        # Through a zero-delay node timer, so that the process runs as a handler does: once the
        # CPU is free, after a pause, and not at all after a crash.
        self._count += 1
        name = f"wake:{self._count}"
        self._timers[name] = (process, event)
        host.set_timer(name, 0.0)


class ProcessProtocol(Protocol):
    """Base of protocols written as SimPy processes: subclasses write ``run(self, node)``.

    One instance per node per life, as for every protocol: ``__init__`` holds the volatile state,
    ``node.durable`` what survives a crash; `run` starts at the node's start and at each
    restart. `is_leader`, `leader_rank`, `describe` and `invariants` are as for `Protocol`.
    """

    node: Node  # made at each start

    def run(self, node: Node) -> Process:
        """The node's main process."""
        raise NotImplementedError(f"{type(self).__name__} must define run(self, node)")

    # The sans-IO side that NodeHost calls: each hands the event to the processes.

    def on_start(self, ctx: Context) -> None:
        if not hasattr(ctx, "env"):
            raise TypeError("a ProcessProtocol runs on the engine's NodeHost (a context with env)")
        self.node = Node(cast(ProcessHost, ctx), self)
        self.node.spawn(self.run(self.node))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        self.node.deliver(Message(src, msg))

    def on_request(self, ctx: Context, request: Request) -> None:
        self.node.deliver(request)

    def on_timer(self, ctx: Context, name: str) -> None:
        self.node.fired(name)
