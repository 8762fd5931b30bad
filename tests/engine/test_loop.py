"""sim.core.loop.run_until against SimPy's own Environment.run(until=...): the same events in
the same order, the same stop, the same clock."""

from __future__ import annotations

from heapq import heappush
from typing import Any

import numpy as np
import pytest
from simpy.core import NORMAL

from sim.core.environment import Environment
from sim.core.events import Delivery, call_at, call_later
from sim.core.loop import run_until
from sim.engine.node import NodeHost


class _Protocol:
    def __init__(self, log: list[tuple[float, str]], env: Environment) -> None:
        self.log, self.env = log, env

    def on_message(self, host: Any, src: str, msg: Any) -> None:
        self.log.append((self.env.now, f"direct {src}->{msg}"))


def _host(log: list[tuple[float, str]], env: Environment, direct: bool) -> NodeHost:
    """The parts of a NodeHost the loop reads to hand a message over."""
    host = NodeHost.__new__(NodeHost)
    host._direct = direct
    host._hold = 0.0
    host.protocol = _Protocol(log, env)  # type: ignore[assignment]
    host.receive = lambda src, msg: log.append((env.now, f"queued {src}->{msg}"))  # type: ignore[method-assign]
    return host


class _Network:
    """The parts of a Network the loop reads."""

    delivered = 0
    _tracing = False


def _build(seed: int, ours: bool) -> tuple[Environment, list[tuple[float, str]], _Network]:
    """A random mix on integer times, so that many events tie (ties go by scheduling order):
    processes, Calls (relative and absolute), Deliveries, and messages for NodeHosts (taking
    them at once or not). SimPy cannot run the last kind: its copy (``ours`` False) has a
    Delivery in their place that logs the same line."""
    env = Environment()
    if ours:
        env.host_class = NodeHost
    log: list[tuple[float, str]] = []
    hosts = [_host(log, env, True), _host(log, env, False)]
    rng = np.random.default_rng(seed)

    def process(name: str, delays: list[int]) -> Any:
        for delay in delays:
            yield env.timeout(delay)
            log.append((env.now, name))
            later = int(rng.integers(0, 3))
            call_later(env, later, lambda label: log.append((env.now, label)), f"{name}+")

    for p in range(5):
        env.process(process(f"p{p}", [int(d) for d in rng.integers(0, 4, size=8)]))
    for i in range(60):
        at = float(rng.integers(0, 25))
        call_at(env, at, lambda label: log.append((env.now, label)), f"call{i}")
        kind = i % 3
        if kind == 0 or not ours:
            label = ("callback", "direct", "queued")[kind]
            event = Delivery.__new__(Delivery)
            event.callbacks = [
                lambda e, label=label: log.append((env.now, f"{label} {e.src}->{e.msg}"))
            ]
            event.src, event.dst, event.msg = "a", "b", i
            heappush(env.queue, (at, NORMAL, next(env.ids), event))
        else:
            heappush(env.queue, (at, NORMAL, next(env.ids), hosts[kind - 1], "a", i))
    return env, log, _Network()


@pytest.mark.parametrize("seed", range(5))
def test_same_events_same_order_as_simpy(seed: int) -> None:
    ours_env, ours, network = _build(seed, ours=True)
    run_until(ours_env, 20, network)  # type: ignore[arg-type]
    simpy_env, theirs, _ = _build(seed, ours=False)
    simpy_env.run(until=20)
    assert ours == theirs
    assert ours_env.now == simpy_env.now == 20
    # The same events stay queued (SimPy also leaves its spent stop event behind, priority -1).
    left = [(t, prio, eid) for t, prio, eid, *_ in simpy_env.queue if prio != -1]
    assert sorted((t, prio, eid) for t, prio, eid, *_ in ours_env.queue) == sorted(left)
    # Events at exactly `until` stay queued, as with SimPy.
    assert all(t < 20 for t, _ in ours)
    handed = sum(1 for _, label in ours if label.startswith(("direct", "queued")))
    assert network.delivered == handed > 0


def test_runs_until_an_event_is_processed() -> None:
    """``until`` may be an event, as with SimPy: the run stops right after it is processed."""
    env = Environment()
    log: list[float] = []

    def script() -> Any:
        yield env.timeout(7)
        log.append(env.now)

    for t in (3, 7, 9):
        call_at(env, t, lambda at: log.append(-at), t)
    done = env.process(script())
    run_until(env, done)
    assert log == [-3, -7, 7] and env.now == 7
    run_until(env, done)  # processed already: nothing more runs
    assert log == [-3, -7, 7]


def test_until_must_be_in_the_future() -> None:
    env = Environment(initial_time=5)
    with pytest.raises(ValueError, match="greater than the current time"):
        run_until(env, 5)


def test_a_failed_event_crashes_the_run() -> None:
    env = Environment()

    def failing() -> Any:
        yield env.timeout(1)
        raise RuntimeError("boom")

    env.process(failing())
    with pytest.raises(RuntimeError, match="boom"):
        run_until(env, 10)
