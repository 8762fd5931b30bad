"""Timers as real machines have them: late by a random scheduling delay (``cluster.timer_jitter``),
and timed by a clock that runs a little fast or slow (``cluster.clock_drift``).

A node of drift d runs its clock 1 + d times as fast as simulated time: it reads ``now`` as
(1 + d) x simulated time, and a timer it sets for D ms of its clock fires after D / (1 + d) ms
of simulated time; the jitter is then added, in simulated time (a scheduler's delay is not
measured by the node's clock). Each node draws from streams of its own, apart from its
protocol's (``node:NAME``): turning noise on changes no other draw of the run, such as Raft's
election timeouts (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.core.environment import Environment
from sim.core.rng import RandomStreams
from sim.network.latency import LatencyModel, sampler
from sim.scenario.model import Cluster, DriftRange


class TimerNoise:
    """One node's clock (``now``) and timer delays, with its drift and jitter. The jitter is
    drawn in batches, as a link draws its latencies: a Raft follower sets a timer per
    AppendEntries."""

    __slots__ = ("_batch", "_draws", "_env", "_rate", "_refill", "drift")

    def __init__(
        self,
        env: Environment,
        drift: float,
        jitter: LatencyModel | None,
        streams: RandomStreams,
        node: str,
    ) -> None:
        self._env = env
        self.drift = drift
        self._rate = 1.0 + drift
        self._refill: Callable[[int], np.ndarray] | None = None  # the next batch of jitter
        if jitter is not None:
            sample, gen = sampler(jitter), streams.generator(f"timer:{node}")
            self._refill = lambda size: sample(gen, size)
        self._batch = 16
        self._draws: list[float] = []  # drawn, not yet used; pop() takes the next

    def delay(self, delay: float) -> float:
        """The simulated time a timer of ``delay`` ms of this node's clock takes to fire."""
        delay /= self._rate
        if self._refill is None:
            return delay
        if not self._draws:
            self._draws = self._refill(self._batch)[::-1].tolist()
            self._batch = min(self._batch * 4, 4096)
        return delay + self._draws.pop()

    @property
    def now(self) -> float:
        """The node's clock: 0 at the start, running 1 + drift times as fast as simulated time."""
        return self._env.now * self._rate


def timer_noises(
    cluster: Cluster, streams: RandomStreams, env: Environment
) -> dict[str, TimerNoise | None]:
    """Each node's noise, None for a node whose timers are exact (every node, by default). A
    drift range draws each node's drift once from ``drift:NAME``, so that adding a node does not
    change the others'."""
    drift, jitter = cluster.clock_drift, cluster.timer_jitter
    nodes = cluster.node_names
    if drift is None:
        drifts = dict.fromkeys(nodes, 0.0)
    elif isinstance(drift, DriftRange):
        drifts = {
            node: float(streams.generator(f"drift:{node}").uniform(drift.low, drift.high))
            for node in nodes
        }
    else:
        drifts = {node: drift.get(node, 0.0) for node in nodes}
    return {
        node: TimerNoise(env, drifts[node], jitter, streams, node)
        if drifts[node] or jitter is not None
        else None
        for node in nodes
    }
