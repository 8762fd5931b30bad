"""Where clients sit at a node's site (a workload's client groups): the delay between them and
the node they talk to.

A client near node ``a`` reaches node ``b`` over the link ``a -> b`` as the scenario sets it
(latency only: clients stay outside partitions, cuts, loss and delay faults, as every client
does), plus `network.client_latency`; replies come back over ``b -> a``. Talking to ``a``
itself costs the client latency alone. Each direction draws from a stream of its own, so the
nodes' own messages on the same link keep their draws whether clients are there or not.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.core.rng import RandomStreams
from sim.network.latency import Sampler, sampler
from sim.network.links import LinkTable


class _Path:
    """One direction between a site and a node: its latencies drawn in batches."""

    __slots__ = ("_batch", "_gen", "_sample", "latencies")

    def __init__(self, sample: Sampler, streams: RandomStreams, name: str) -> None:
        self._sample = sample
        self._gen = streams.generator(name)
        self._batch = 16
        self.latencies: list[float] = []

    def draw(self) -> float:
        batch = self._sample(self._gen, self._batch)
        self._batch = min(self._batch * 4, 4096)
        self.latencies = batch[::-1].tolist()
        return self.latencies.pop()


class ClientPaths:
    """``delay(src, dst)``: one-way delay of a client message between a site and a node (either
    way round), the client latency included."""

    def __init__(
        self, links: LinkTable, streams: RandomStreams, client_delay: Callable[[], float]
    ) -> None:
        self._links = links
        self._streams = streams
        self._client_delay = client_delay
        self._paths: dict[tuple[str, str], _Path] = {}

    def delay(self, src: str, dst: str) -> float:
        if src == dst:
            return self._client_delay()
        path = self._paths.get((src, dst))
        if path is None:
            latency = self._links.configured(src, dst)[0]
            path = self._paths[(src, dst)] = _Path(
                sampler(latency), self._streams, f"client-path:{src}->{dst}"
            )
        latencies = path.latencies
        return self._client_delay() + (latencies.pop() if latencies else path.draw())
