"""The SimPy-process adapter: processes wait on node timers and SimPy events, and the node's
faults reach them (a pause holds them, a clock fault skews them, a crash ends them, a restart
starts a new one that finds the durable state)."""

from __future__ import annotations

from typing import Any

import pytest

from sim.engine.simulation import Simulation
from tests.conftest import make_scenario
from tests.external import toys


def run(protocol: str, params: dict[str, Any] | None = None, **sections: Any) -> Simulation:
    toys.EVENTS.clear()
    sections.setdefault("workload", {"clients": 0})
    cluster = {"nodes": 3, "protocol": f"tests.external.toys:{protocol}", "params": params or {}}
    return Simulation(make_scenario(cluster=cluster, duration="300ms", **sections)).run()


def ticks(life: int | None = None) -> list[float]:
    return [t for t, _, what, d in toys.EVENTS if what == "tick" and life in (None, d)]


@pytest.mark.parametrize("clock", ["node", "env"])
def test_a_pause_holds_a_waiting_process(clock: str) -> None:
    """Paused from 105 to 155 ms, n1 does not tick; the tick due at 110 comes at the resume."""
    run("Ticker", {"clock": clock}, faults=[{"at": "105ms", "pause": "n1", "for": "50ms"}])
    assert ticks()[:12] == [10.0 * i for i in range(1, 11)] + [155.0, 165.0]


@pytest.mark.parametrize("clock", ["node", "env"])
def test_a_crash_ends_the_process_and_a_restart_starts_another(clock: str) -> None:
    """Crashed at 105 ms, n1 ticks no more in its first life (not even the tick already due at
    110); restarted at 200 ms, its second life reads the first one's durable count."""
    simulation = run(
        "Ticker",
        {"clock": clock},
        faults=[{"at": "105ms", "crash": "n1"}, {"at": "200ms", "restart": "n1"}],
    )
    assert ticks(life=1) == [10.0 * i for i in range(1, 11)]
    assert ticks(life=2)[:3] == [210.0, 220.0, 230.0]
    assert simulation.hosts["n1"].durable["lives"] == 2
    assert simulation.hosts["n2"].durable["lives"] == 1


def test_node_timeouts_follow_the_clock_fault_and_env_timeouts_do_not() -> None:
    """With n1's clock at twice the rate from 100 ms, node.timeout(10) lasts 5 ms;
    env.timeout(10) still lasts 10."""
    skew = [{"at": "100ms", "clock": {"node": "n1", "factor": 2.0}}]
    run("Ticker", {"clock": "node"}, faults=skew)
    assert ticks()[9:13] == [100.0, 105.0, 110.0, 115.0]
    run("Ticker", {"clock": "env"}, faults=skew)
    assert ticks()[9:12] == [100.0, 110.0, 120.0]


def test_a_condition_over_the_inbox_and_a_timeout() -> None:
    """`inbox.get() | node.timeout(50)`: timeouts at 50 and 100 ms while no client has come,
    then each request answered ok as it arrives."""
    simulation = run(
        "Waiter",
        workload={"clients": 1, "ops": 3, "start": "120ms", "target": "n1", "think": "30ms"},
    )
    timeouts = [t for t, node, what, _ in toys.EVENTS if what == "timeout" and node == "n1"]
    requests = [t for t, _, what, _ in toys.EVENTS if what == "request"]
    assert timeouts[:2] == [50.0, 100.0]
    assert len(requests) == 3 and requests[0] == pytest.approx(120.0)
    outcomes = [row[-1] for row in simulation.recorder.requests]
    assert outcomes == ["ok", "ok", "ok"]


def test_a_spawned_process_returns_its_value_to_its_parent() -> None:
    """`yield node.spawn(helper)` resumes when the helper ends, with its return value."""
    run("Spawner")
    assert toys.EVENTS == [(5.0, "n1", "joined", 42)]


def test_yielding_something_else_than_an_event_names_the_protocol() -> None:
    """A process that yields a number stops the run with a message naming it and the node."""
    with pytest.raises(TypeError, match=r"BadYield.run on n1 yielded 5: a process yields events"):
        run("BadYield")


def test_a_run_without_yield_is_refused_as_it_starts() -> None:
    """`run` must be a generator: a plain function stops the run saying so."""
    with pytest.raises(TypeError, match=r"NoYield on n1: a process is a generator .* not None"):
        run("NoYield")
