"""sim.engine.loop.run_until against SimPy's own Environment.run(until=...): the same events in
the same order, the same stop, the same clock."""

from __future__ import annotations

from heapq import heappush
from typing import Any

import numpy as np
import pytest
import simpy
from simpy.core import NORMAL

from sim.engine.events import Delivery, call_at, call_later
from sim.engine.loop import run_until


class _Host:
    """The parts of a NodeHost the loop reads to hand a message over."""

    def __init__(self, log: list[tuple[float, str]], env: simpy.Environment) -> None:
        self._direct = True
        self._hold = 0.0
        self.protocol = self
        self.log = log
        self.env = env

    def on_message(self, host: Any, src: str, msg: Any) -> None:
        self.log.append((self.env.now, f"direct {src}->{msg}"))


class _Network:
    delivered = 0


_ODD = tuple(f">{i}" for i in range(1, 40, 2))


def _build(seed: int) -> tuple[simpy.Environment, list[tuple[float, str]], _Network]:
    """A random mix: processes, Calls (relative and absolute), and Deliveries with and without
    a host, on integer times so that many events tie (ties go by scheduling order)."""
    env = simpy.Environment()
    log: list[tuple[float, str]] = []
    host = _Host(log, env)
    rng = np.random.default_rng(seed)

    def process(name: str, delays: list[int]) -> Any:
        for delay in delays:
            yield env.timeout(delay)
            log.append((env.now, name))
            later = int(rng.integers(0, 3))
            call_later(env, later, lambda label: log.append((env.now, label)), f"{name}+")

    for p in range(5):
        env.process(process(f"p{p}", [int(d) for d in rng.integers(0, 4, size=8)]))
    for i in range(40):
        at = float(rng.integers(0, 25))
        call_at(env, at, lambda label: log.append((env.now, label)), f"call{i}")
        event = Delivery.__new__(Delivery)
        event.callbacks = [lambda e: log.append((env.now, f"callback {e.src}->{e.msg}"))]
        event.host = host if i % 2 else None
        event.src, event.dst, event.msg = "a", "b", i
        heappush(env._queue, (at, NORMAL, next(env._eid), event))
    return env, log, _Network()


@pytest.mark.parametrize("seed", range(5))
def test_same_events_same_order_as_simpy(seed: int) -> None:
    ours_env, ours, network = _build(seed)
    run_until(ours_env, 20, network)  # type: ignore[arg-type]
    simpy_env, theirs, _ = _build(seed)
    simpy_env.run(until=20)
    # SimPy calls every Delivery's callbacks; ours hands those with a host (odd msg) to it.
    expected = [
        (t, label.replace("callback", "direct") if label.endswith(_ODD) else label)
        for t, label in theirs
    ]
    assert ours == expected
    assert ours_env.now == simpy_env.now == 20
    # The same events stay queued (SimPy also leaves its spent stop event behind, priority -1).
    left = [(t, prio, eid) for t, prio, eid, _ in simpy_env._queue if prio != -1]
    assert sorted((t, prio, eid) for t, prio, eid, _ in ours_env._queue) == sorted(left)
    # Events at exactly `until` stay queued, as with SimPy.
    assert all(t < 20 for t, _ in ours)
    assert network.delivered == sum(1 for _, label in ours if label.startswith("direct"))
    assert network.delivered > 0


def test_until_must_be_in_the_future() -> None:
    env = simpy.Environment(initial_time=5)
    with pytest.raises(ValueError, match="greater than the current time"):
        run_until(env, 5)


def test_a_failed_event_crashes_the_run() -> None:
    env = simpy.Environment()

    def failing() -> Any:
        yield env.timeout(1)
        raise RuntimeError("boom")

    env.process(failing())
    with pytest.raises(RuntimeError, match="boom"):
        run_until(env, 10)
