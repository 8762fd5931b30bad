"""A run whose clock stops advancing is stopped and named, not left to run for ever."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core.environment import Environment
from sim.core.events import call_later
from sim.core.loop import NoProgress, run_until

ZERO_DELAY = """\
name: zero-delay
duration: 1s
cluster: {nodes: 3, protocol: seed, params: {read: local}}
network: {latency: 0ms, client_latency: 0ms}
workload: {clients: 1, think: 0ms, mix: {read: 1.0}, target: any}
"""


def test_a_call_that_reschedules_itself_at_once_is_stopped() -> None:
    """A loop of Calls at one instant: the loop raises instead of running for ever."""
    env = Environment(initial_time=0.0)
    ran = []

    def again(n: int) -> None:
        ran.append(n)
        call_later(env, 0.0, again, n + 1)

    call_later(env, 5.0, again, 0)
    with pytest.raises(NoProgress, match="stopped at 5 ms") as stopped:
        run_until(env, 100.0)
    assert "again" in stopped.value.looping
    assert len(ran) > 1_000_000


def test_a_busy_instant_that_ends_is_not_a_loop() -> None:
    """Many events at one instant, then time moves on: no false alarm."""
    env = Environment(initial_time=0.0)
    count = 0

    def tick(n: int) -> None:
        nonlocal count
        count += 1
        if n:
            call_later(env, 0.0, tick, n - 1)
        else:
            call_later(env, 1.0, tick, 5)

    call_later(env, 0.0, tick, 5)
    run_until(env, 200_000.0)
    assert count == 6 * 200_000


def test_a_zero_delay_scenario_exits_1_naming_the_loop(tmp_path: Path) -> None:
    """Clients with no latency and no think time, answered at once: the reported hang."""
    scenario = tmp_path / "zero.yaml"
    scenario.write_text(ZERO_DELAY)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "the simulated clock stopped at 0 ms" in result.output
    assert "Clients._reach(client 0 read, n" in result.output  # which clients, nodes, operations
    assert "Traceback" not in result.output
    assert not out.exists()  # nothing half-written
