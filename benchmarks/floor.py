"""The floors quorumsim is measured against: the same number of messages delivered by bare
SimPy (a Timeout with a callback per message, as fast as SimPy delivers anything) and by a bare
heapq event loop (as fast as pure Python schedules anything)."""

from __future__ import annotations

import heapq
import itertools
import time

import numpy as np
import simpy


def simpy_ping(messages: int, nodes: int = 5, seed: int = 1) -> float:
    """Wall seconds for bare SimPy to deliver ``messages`` messages among ``nodes`` nodes, each
    delivery answered by a new send (so the event queue stays as busy as a cluster's)."""
    env = simpy.Environment()
    delays = np.random.default_rng(seed).exponential(1.0, size=messages).tolist()
    state = {"sent": 0}
    in_flight = min(nodes * (nodes - 1), messages)

    def deliver(event: simpy.Event) -> None:
        if state["sent"] < messages:
            send()

    def send() -> None:
        delay = delays[state["sent"]]
        state["sent"] += 1
        timeout = env.timeout(delay)
        timeout.callbacks.append(deliver)

    started = time.perf_counter()
    for _ in range(in_flight):
        send()
    env.run()
    return time.perf_counter() - started


def heapq_ping(messages: int, nodes: int = 5, seed: int = 1) -> float:
    """The same workload on a bare heapq loop: the ceiling for any Python event scheduler."""
    delays = np.random.default_rng(seed).exponential(1.0, size=messages).tolist()
    queue: list[tuple[float, int]] = []
    ids = itertools.count()
    sent = 0
    now = 0.0
    started = time.perf_counter()
    for _ in range(min(nodes * (nodes - 1), messages)):
        heapq.heappush(queue, (now + delays[sent], next(ids)))
        sent += 1
    while queue:
        now, _ = heapq.heappop(queue)
        if sent < messages:
            heapq.heappush(queue, (now + delays[sent], next(ids)))
            sent += 1
    return time.perf_counter() - started
