"""The simulated network: sends between nodes, partitions, loss, duplication, ordering.

A message in flight is one entry of the simulator's heap, ``(time, priority, id, host, src,
msg)``, that the event loop hands to the destination node; nothing else is allocated per message.
Faults change the network through its methods (`partition`, `heal`, `cut`, `set_loss`, ...),
never by reaching into its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from heapq import heappush
from typing import TYPE_CHECKING, Any

from simpy.core import NORMAL

from sim.core.environment import Environment
from sim.core.events import Delivery
from sim.core.rng import RandomStreams
from sim.network.client_paths import ClientPaths
from sim.network.latency import sampler
from sim.network.links import Link, LinkTable
from sim.scenario.model import Network as NetworkConfig

if TYPE_CHECKING:
    from sim.metrics.recorder import Recorder

Receiver = Callable[[str, Any], None]


class Network:
    def __init__(
        self,
        env: Environment,
        config: NetworkConfig,
        nodes: tuple[str, ...],
        streams: RandomStreams,
        recorder: Recorder,
    ) -> None:
        self.env = env
        self.nodes = nodes
        self.fifo = config.ordering == "fifo"
        self.links = LinkTable(config, streams)
        self._streams = streams
        self.recorder = recorder
        self.receivers: dict[str, Receiver] = {}
        self._client_sample = sampler(config.client_latency)
        self._client_gen = streams.generator("client-links")
        self._client_latencies: list[float] = []  # drawn ahead, next last
        # Fault state. `_disturbed` is the one flag the hot path tests; the rest only when set.
        self._group: dict[str, int] | None = None
        self._cuts: set[tuple[str, str]] = set()
        self._loss: float | None = None
        self._duplicate: float | None = None
        self._delay: dict[tuple[str, str], float] = {}
        self._disturbed = False
        # The fast path is for an undisturbed network: `_slow` says otherwise.
        self._slow = False
        self._tracing = recorder.tracing
        self._trace_rows = recorder.trace_rows  # the network writes its rows itself (see _post)
        self._hosts: dict[str, Any] = {}  # dst -> its NodeHost, None: messages go to `_arrive`
        self._arrivals: list[Callable[[Any], None]] = [
            self._arrive
        ]  # the callbacks of every Delivery (SimPy reads them)
        self._queue: list[Any] = env.queue  # SimPy's heap, run by sim.core.loop
        self._eid = env.ids
        self.sent = self.delivered = self.dropped = self.duplicated = 0

    def attach(self, node: str, receiver: Receiver, host: Any = None) -> None:
        """``receiver(src, msg)`` takes the node's messages. ``host``, if given, is the node's
        NodeHost: its messages then travel as plain ``(time, priority, id, host, src, msg)``
        queue entries that `sim.core.loop` hands to it, with no event object (and traces with
        `trace_delivery`). Without, each message is a `Delivery` that goes through `_arrive`."""
        self.receivers[node] = receiver
        self._hosts[node] = host

    # --- node to node -------------------------------------------------------------------------

    def send(self, src: str, dst: str, msg: Any, hold: float = 0.0) -> None:
        """Send ``msg``; ``hold`` delays departure (the sender waits for its disk). Nodes send
        through their `outbox`, which does the same faster."""
        self.sent += 1
        self._send(src, dst, self.links.get(src, dst), msg, hold)

    def outbox(
        self, src: str, peers: tuple[str, ...], sender: Any
    ) -> tuple[Callable[[str, Any], None], Callable[[Any], None]]:
        """``send(dst, msg)`` and ``broadcast(msg)`` (to ``peers``, in order) for node ``src``,
        held back by ``sender._hold`` (the node waits for its disk).

        The hot path of the whole simulator: a route look-up, a latency, one heap push per
        message, with everything else bound here once. The latency-and-push lines repeat
        `_post`'s on purpose (a shared helper is one more Python call per message); `_send`
        takes over whenever faults, loss or duplication are in play.
        """
        env, queue, eid, fifo, network = self.env, self._queue, self._eid, self.fifo, self
        tracing, rows = self._tracing, self._trace_rows
        # dst -> its link, its host, and whether the fast path may take it (a host to hand the
        # message to, no loss or duplication on the link: both are fixed per link).
        routes: dict[str, tuple[Link, Any, bool]] = {}
        fanout: list[tuple[str, Link, Any, bool]] = []  # the same for each peer, in order

        def route(dst: str) -> tuple[Link, Any, bool]:
            # Built on first use: the destination may not be attached when the outbox is made.
            link, host = self.links.get(src, dst), self._hosts[dst]
            found = routes[dst] = (
                link,
                host,
                host is not None and not (link.loss or link.duplicate),
            )
            return found

        def send(dst: str, msg: Any) -> None:
            link, host, plain = routes.get(dst) or route(dst)
            network.sent += 1
            if network._slow or not plain:
                network._send(src, dst, link, msg, sender._hold)
                return
            latencies = link.latencies
            arrival = env.now + sender._hold + (latencies.pop() if latencies else link.draw())
            if fifo:
                if arrival < link.last:
                    arrival = link.last
                link.last = arrival
            if tracing:
                row = {"src": src, "dst": dst, "msg": msg, "arrive": arrival}
                rows.append((float(env.now), "send", row))
            heappush(queue, (arrival, NORMAL, next(eid), host, src, msg))

        def broadcast(msg: Any) -> None:
            if network._slow:
                for dst in peers:
                    send(dst, msg)
                return
            if not fanout:
                fanout.extend((dst, *(routes.get(dst) or route(dst))) for dst in peers)
            network.sent += len(fanout)
            now = env.now + sender._hold
            for dst, link, host, plain in fanout:
                if not plain:
                    network._send(src, dst, link, msg, sender._hold)
                    continue
                latencies = link.latencies
                arrival = now + (latencies.pop() if latencies else link.draw())
                if fifo:
                    if arrival < link.last:
                        arrival = link.last
                    link.last = arrival
                if tracing:
                    row = {"src": src, "dst": dst, "msg": msg, "arrive": arrival}
                    rows.append((float(env.now), "send", row))
                heappush(queue, (arrival, NORMAL, next(eid), host, src, msg))

        return send, broadcast

    def _send(self, src: str, dst: str, link: Link, msg: Any, hold: float) -> None:
        """``send`` with faults, loss, duplication or tracing in play (``sent`` is counted)."""
        loss, duplicate, extra = link.loss, link.duplicate, hold
        if self._disturbed:
            if (self._group is not None and self._group[src] != self._group[dst]) or (
                src,
                dst,
            ) in self._cuts:
                self._drop(src, dst, msg, "partition")
                return
            if self._loss is not None:
                loss = self._loss
            if self._duplicate is not None:
                duplicate = self._duplicate
            extra += self._delay.get((src, dst), 0.0)
        if loss and link.fate.uniform() < loss:
            self._drop(src, dst, msg, "loss")
            return
        if duplicate and link.fate.uniform() < duplicate:
            self.duplicated += 1
            self._post(src, dst, link, msg, extra)
        self._post(src, dst, link, msg, extra)

    def _post(self, src: str, dst: str, link: Link, msg: Any, extra: float) -> None:
        """Put one copy of ``msg`` in flight, ``extra`` ms late (``_send``'s last step)."""
        latencies = link.latencies
        arrival = self.env.now + extra + (latencies.pop() if latencies else link.draw())
        if self.fifo:
            if arrival < link.last:
                arrival = link.last
            link.last = arrival
        if self._tracing:  # recorder.trace, inlined: two rows per message
            row = {"src": src, "dst": dst, "msg": msg, "arrive": arrival}
            self._trace_rows.append((float(self.env.now), "send", row))
        host = self._hosts[dst]
        if host is not None:
            heappush(self._queue, (arrival, NORMAL, next(self._eid), host, src, msg))
            return
        event = Delivery.__new__(Delivery)
        event.callbacks = self._arrivals
        event.src = src
        event.dst = dst
        event.msg = msg
        heappush(self._queue, (arrival, NORMAL, next(self._eid), event))

    def _arrive(self, event: Delivery) -> None:
        src, dst, msg = event.src, event.dst, event.msg
        self.delivered += 1
        if self._tracing:
            self.trace_delivery(dst, src, msg)
        self.receivers[dst](src, msg)

    def trace_delivery(self, dst: str, src: str, msg: Any) -> None:
        """The trace row of a message handed to ``dst`` now (the loop calls it when tracing)."""
        row = {"src": src, "dst": dst, "msg": msg}
        self._trace_rows.append((float(self.env.now), "deliver", row))

    def _drop(self, src: str, dst: str, msg: Any, reason: str) -> None:
        self.dropped += 1
        if self.recorder.tracing:
            self.recorder.trace("drop", src=src, dst=dst, msg=msg, reason=reason)

    def undeliverable(self, src: str, dst: str, msg: Any, reason: str) -> None:
        """A node could not take a delivered message (it was down): counted as a drop."""
        self.delivered -= 1
        self._drop(src, dst, msg, reason)

    # --- clients ------------------------------------------------------------------------------

    def client_delay(self) -> float:
        """One-way latency of a client <-> node link (clients sit outside partitions)."""
        if not self._client_latencies:
            self._client_latencies = self._client_sample(self._client_gen, 1024)[::-1].tolist()
        return self._client_latencies.pop()

    def client_paths(self) -> ClientPaths:
        """Delays of clients placed at nodes' sites (a workload's groups)."""
        return ClientPaths(self.links, self._streams, self.client_delay)

    # --- faults -------------------------------------------------------------------------------

    def partition(self, groups: list[list[str]]) -> None:
        """Cut the cluster into ``groups``; nodes named in none form one more group together."""
        group = {node: len(groups) for node in self.nodes}
        for i, members in enumerate(groups):
            for node in members:
                group[node] = i
        self._group = group
        self._update()

    def heal(self) -> None:
        """Remove every partition and one-way cut."""
        self._group = None
        self._cuts.clear()
        self._update()

    def cut(self, src: str, dst: str) -> None:
        """Drop every message from ``src`` to ``dst`` (one way) until healed."""
        self._cuts.add((src, dst))
        self._update()

    def uncut(self, src: str, dst: str) -> None:
        self._cuts.discard((src, dst))
        self._update()

    def set_loss(self, probability: float | None) -> None:
        """Override every link's loss probability (None restores the file's)."""
        self._loss = probability
        self._update()

    def set_duplicate(self, probability: float | None) -> None:
        self._duplicate = probability
        self._update()

    def set_delay(self, pairs: Iterable[tuple[str, str]], extra: float) -> None:
        """Add ``extra`` ms to the given directed links (0 removes it)."""
        for pair in pairs:
            if extra:
                self._delay[pair] = extra
            else:
                self._delay.pop(pair, None)
        self._update()

    def connected(self, a: str, b: str) -> bool:
        """Whether messages can go both ways between ``a`` and ``b`` now."""
        if self._group is not None and self._group[a] != self._group[b]:
            return False
        return (a, b) not in self._cuts and (b, a) not in self._cuts

    def _update(self) -> None:
        self._disturbed = bool(
            self._group is not None
            or self._cuts
            or self._loss is not None
            or self._duplicate is not None
            or self._delay
        )
        self._slow = self._disturbed
