"""``cluster.durability: fsync``: a write is durable only once its simulated disk write is done.

Under ``sync`` (the default, `NodeHost.persist`) a value is safe from a crash the moment it is
persisted; only the handler's later sends wait for the disk. Under ``fsync`` the disk is a queue
of writes, one per handler (every persist of a handler is one write, one fsync), each done
``disk_write`` ms after the previous one:

- every send and reply leaves only once the writes before it are done (those of its own handler
  before it, and earlier handlers'), and only if the node has not crashed meanwhile: a node
  never tells anyone of state its disk may still lose. (Under ``sync`` only the handler's own
  write holds its later sends, which is sound there because persisting is durable at once; a
  leader that sends entries its own disk has not finished writing, and counts itself, would
  lose a committed entry to a power loss.)
- a process crash (`crash`) loses the held sends but not the writes: they were handed to the
  kernel, which finishes them, and a restarted process reads them back (the page cache);
- a power loss (`lose_unsynced`, the fault kind of that name) loses every write not done yet:
  the node restarts with what the disk held before them. With ``torn``, the write in progress
  keeps a random part of its keys (a disk without atomic multi-key writes).

A protocol's invariants may count some events only once the write they report is on disk
(`Invariant.durable`: Multi-Paxos's votes, which make a value chosen): `count_when_durable`
hands such an event to them when its write is done or a process crash flushes it, and never if
a power loss undoes it (a torn write: if its key was kept), so that a vote whose ``Accepted``
never left counts for nothing.

Nothing here runs under ``sync``: `attach` rebinds the node's ``persist``, ``send``,
``broadcast``, ``reply``, ``crash`` and ``restart`` only for ``fsync`` nodes, so the default hot
path is the same code as before. Values are copied when persisted (a protocol may change a
list in place after persisting it, as Raft's log does): a write holds what was persisted then,
and the disk keeps its own copies, which a restarted protocol gets copies of.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.events import call_later
from sim.protocols.api.invariant import Invariant, Violation

if TYPE_CHECKING:
    from sim.engine.node import NodeHost

Listener = Callable[[str, float], None]  # (node, time its write is done)
Report = Callable[[Violation], None]


class Write:
    """One handler's persists: the values as persisted, and what waits for them."""

    __slots__ = ("counted", "done_at", "held", "lost", "started_at", "values")

    def __init__(self, started_at: float, done_at: float) -> None:
        self.started_at = started_at
        self.done_at = done_at
        self.values: dict[str, Any] = {}
        self.held: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        # What the invariants hold back for this write: (its key, or None for the whole write;
        # what to tell them once it is on disk).
        self.counted: list[tuple[str | None, Callable[[], None]]] = []
        self.lost = False  # settled early, by a crash (flushed) or a power loss (dropped)


class FsyncDisk:
    """A node's disk under ``fsync``: the writes not done yet, in disk order."""

    def __init__(self, host: NodeHost, rng: np.random.Generator) -> None:
        self.host = host
        self.rng = rng  # for torn writes only
        self.pending: list[Write] = []
        # What the disk holds, apart from ``host.durable``: a protocol may keep a value it read
        # back and change it in place (Multi-Paxos's votes), which must not reach the disk.
        self.synced: dict[str, Any] = {}
        self._current: Write | None = None  # the write of the handler running now
        self.listeners: list[Listener] = []  # told of each write as it starts (nemeses)
        # Invariants' events emitted while no write held their key (see `hold`).
        self.unwritten: list[tuple[str, Callable[[], None]]] = []
        self._raw_send = host.send
        self._raw_broadcast = host.broadcast
        self._raw_crash = host.crash
        self._raw_restart = host.restart

    def persist(self, key: str, value: Any) -> None:
        host = self.host
        now = host.env.now
        if not host.disk_write:
            self._store({key: _copy(value)})  # an instant disk: as durable as under sync
            return
        write = self._current
        if not host._hold or write is None:
            # The handler's first persist: one more write queues on the disk.
            start = max(now, host._disk_free)
            write = self._current = Write(start, start + host.disk_write)
            host._disk_free = write.done_at
            host._hold = write.done_at - now  # (the flag that this handler waits for a write)
            self.pending.append(write)
            call_later(host.env, write.done_at - now, self._done, (host._life, write))
            for listener in self.listeners:
                listener(host.node_id, write.done_at)
        write.values[key] = _copy(value)
        if self.unwritten:
            self._claim(write, key)

    # A send waits for every write before it, its own handler's and earlier ones: the last
    # pending write is done last (the disk is FIFO).

    def send(self, dst: str, msg: Any) -> None:
        if self.pending:
            self.pending[-1].held.append((self._raw_send, (dst, msg)))
        else:
            self._raw_send(dst, msg)

    def broadcast(self, msg: Any) -> None:
        if self.pending:
            self.pending[-1].held.append((self._raw_broadcast, (msg,)))
        else:
            self._raw_broadcast(msg)

    def reply(self, request: Any, result: Any) -> None:
        host = self.host
        if self.pending:
            self.pending[-1].held.append((host._reply_sink, (host.node_id, request, result, 0.0)))
        else:
            host._reply_sink(host.node_id, request, result, 0.0)

    def _done(self, due: tuple[int, Write]) -> None:
        life, write = due
        if write.lost:
            return
        self.pending.remove(write)
        self._store(write.values)
        _count(write.counted, write.values, True)
        if life == self.host._life:
            for send, args in write.held:
                send(*args)

    def crash(self) -> None:
        """A process crash: the kernel finishes the writes, the held sends are lost."""
        if not self.host.up:
            return
        for write in self.pending:
            write.lost = True
            self._store(write.values)
            _count(write.counted, write.values, True)
        self._settle()
        self._raw_crash()

    def lose_unsynced(self, torn: bool) -> None:
        """A power loss: writes not done are lost (the one in progress torn, if ``torn``)."""
        host = self.host
        if not host.up:
            return
        now = host.env.now
        for write in self.pending:
            write.lost = True
            if torn and write.started_at <= now and len(write.values) > 1:
                kept = {k: v for k, v in sorted(write.values.items()) if self.rng.random() < 0.5}
                self._store(kept)
                _count(write.counted, kept, len(kept) == len(write.values))
        self._settle()
        self._raw_crash()

    def restart(self) -> None:
        """The restarted protocol reads what the disk holds, in values of its own."""
        if not self.host.up:
            self.host.durable.clear()
            self.host.durable.update({key: _copy(value) for key, value in self.synced.items()})
        self._raw_restart()

    def hold(self, key: str, tell: Callable[[], None]) -> None:
        """Call ``tell`` once the state an event reports under ``key`` is on disk: with the
        last pending write of the key; else with the write this handler may still make of it
        (an event emitted before its persist); else once the handler is over (it wrote none)."""
        if not self.host.disk_write:
            tell()  # an instant disk
            return
        write = self.writing(key)
        if write is not None:
            write.counted.append((key, tell))
            return
        # Rare (protocols emit these after persisting: this one came first, or has no write):
        # one zero-delay call settles them after the handler. (Another handler of this node at
        # the very same time might run before it and claim them.)
        if not self.unwritten:
            call_later(self.host.env, 0.0, self._unwritten_done, None)
        self.unwritten.append((key, tell))

    def _claim(self, write: Write, key: str) -> None:
        claimed = [entry for entry in self.unwritten if entry[0] == key]
        if claimed:
            write.counted.extend(claimed)
            self.unwritten = [entry for entry in self.unwritten if entry[0] != key]

    def _unwritten_done(self, _: None) -> None:
        unwritten, self.unwritten = self.unwritten, []
        for _key, tell in unwritten:
            tell()

    def handler_write(self) -> Write | None:
        """The write of the handler running now, if it has persisted anything."""
        return self._current if self.host._hold else None

    def writing(self, key: str) -> Write | None:
        """The last write not done yet that holds ``key``, if any."""
        for write in reversed(self.pending):
            if key in write.values:
                return write
        return None

    def _store(self, values: dict[str, Any]) -> None:
        # `values` are the disk's copies (taken when persisted): the protocol sees others.
        self.synced.update(values)
        self.host.durable.update({key: _copy(value) for key, value in values.items()})

    def _settle(self) -> None:
        self.pending = []
        self._current = None
        self.host._disk_free = self.host.env.now


def attach(host: NodeHost, rng: np.random.Generator) -> FsyncDisk:
    """Give ``host`` an fsync disk: its persist, sends, replies and crash go through it."""
    disk = FsyncDisk(host, rng)
    host.persist = disk.persist  # type: ignore[method-assign]
    host.send = disk.send
    host.broadcast = disk.broadcast
    host.reply = disk.reply  # type: ignore[method-assign]
    host.crash = disk.crash  # type: ignore[method-assign]
    host.restart = disk.restart  # type: ignore[method-assign]
    host.lose_unsynced = disk.lose_unsynced  # type: ignore[attr-defined]
    host.disk = disk  # type: ignore[attr-defined]
    return disk


def count_when_durable(
    invariants: Iterable[Invariant], disks: Mapping[str, FsyncDisk], report: Report
) -> None:
    """Hand each invariant its `Invariant.durable` events once their writes are on disk."""
    for invariant in invariants:
        if invariant.durable:
            invariant.on_event = _held(invariant, disks, report)  # type: ignore[method-assign]
        if invariant.durable_commits:
            invariant.on_commit = _held_commit(invariant, disks, report)  # type: ignore[method-assign]


def _held(invariant: Invariant, disks: Mapping[str, FsyncDisk], report: Report) -> Any:
    keys, check, kind = invariant.durable, invariant.on_event, invariant.kind

    def on_event(
        node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        key = keys.get(event)
        if key is None:
            return check(node, event, fields, now, state)
        disk = disks[node]

        def tell() -> None:
            violation = check(node, event, fields, float(disk.host.env.now), state)
            if violation is not None:
                report({"kind": kind, **violation})

        disk.hold(key, tell)
        return None

    return on_event


def _held_commit(invariant: Invariant, disks: Mapping[str, FsyncDisk], report: Report) -> Any:
    check, kind = invariant.on_commit, invariant.kind

    def on_commit(node: str, slot: Any, op: Any, now: float, state: Any) -> Violation | None:
        write = disks[node].handler_write()
        if write is None:
            return check(node, slot, op, now, state)

        def tell() -> None:
            violation = check(node, slot, op, now, state)  # (the time it decided)
            if violation is not None:
                report({"kind": kind, **violation})

        write.counted.append((None, tell))
        return None

    return on_commit


def _count(
    counted: list[tuple[str | None, Callable[[], None]]], kept: Mapping[str, Any], whole: bool
) -> None:
    # Told if its key reached the disk, or, waiting for the whole write, if all of it did.
    for key, tell in counted:
        if whole if key is None else key in kept:
            tell()


def _copy(value: Any) -> Any:
    # Shallow: what a protocol persists holds values nobody changes (log entries, names).
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set):
        return set(value)
    return value
