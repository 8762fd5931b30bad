"""The link table: each ordered pair of nodes has its own latency, loss, duplication and stream."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.rng import DrawPool, RandomStreams
from sim.network.latency import LatencyModel, Sampler, sampler
from sim.scenario.model import Network as NetworkConfig


class Link:
    """One direction between two nodes. ``last`` is the latest delivery time (FIFO ordering)."""

    __slots__ = ("_batch", "_gen", "_sample", "duplicate", "fate", "last", "latencies", "loss")

    def __init__(
        self,
        sample: Sampler,
        loss: float,
        duplicate: float,
        gen: np.random.Generator,
        fate: DrawPool,
    ) -> None:
        self._sample = sample
        self._gen = gen  # latency draws
        self._batch = 16  # grows to 4096: thousands of links each hold a batch
        self.latencies: list[float] = []  # drawn, not yet used; pop() takes the next
        self.loss = loss
        self.duplicate = duplicate
        self.fate = fate  # loss and duplication draws, apart so that loss does not shift latency
        self.last = 0.0

    def draw(self) -> float:
        """The next latency, refilling the batch (handed out in numpy's order)."""
        batch = self._sample(self._gen, self._batch)
        self._batch = min(self._batch * 4, 4096)
        self.latencies = batch[::-1].tolist()
        return self.latencies.pop()


@dataclass(frozen=True, slots=True)
class _Rule:
    src: frozenset[str]
    dst: frozenset[str]
    latency: LatencyModel | None
    loss: float | None
    duplicate: float | None


class LinkTable:
    """Builds links on first use: a 301-node cluster has 90,300 of them, most never used."""

    def __init__(self, config: NetworkConfig, streams: RandomStreams) -> None:
        self._streams = streams
        self._default = (config.latency, config.loss, config.duplicate)
        rules = []
        for link in config.links:
            src, dst = frozenset(link.src), frozenset(link.dst)
            rules.append(_Rule(src, dst, link.latency, link.loss, link.duplicate))
            if link.symmetric:
                rules.append(_Rule(dst, src, link.latency, link.loss, link.duplicate))
        self._rules = tuple(rules)
        self.table: dict[tuple[str, str], Link] = {}
        self._samplers: dict[int, Sampler] = {}

    def get(self, src: str, dst: str) -> Link:
        link = self.table.get((src, dst))
        if link is None:
            link = self.table[(src, dst)] = self._build(src, dst)
        return link

    def configured(self, src: str, dst: str) -> tuple[LatencyModel, float, float]:
        """The (latency, loss, duplicate) a link has from the file, overrides applied in order."""
        latency, loss, duplicate = self._default
        for rule in self._rules:
            if src in rule.src and dst in rule.dst:
                latency = rule.latency if rule.latency is not None else latency
                loss = rule.loss if rule.loss is not None else loss
                duplicate = rule.duplicate if rule.duplicate is not None else duplicate
        return latency, loss, duplicate

    def _build(self, src: str, dst: str) -> Link:
        latency, loss, duplicate = self.configured(src, dst)
        sample = self._samplers.get(id(latency))
        if sample is None:
            sample = self._samplers[id(latency)] = sampler(latency)
        return Link(
            sample,
            loss,
            duplicate,
            self._streams.generator(f"link:{src}->{dst}"),
            self._streams.pool(f"fate:{src}->{dst}"),
        )
