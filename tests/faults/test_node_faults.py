"""Faults on nodes: crash, restart, pause and clock skew, observed in what nodes handle."""

from __future__ import annotations

from sim import run
from tests.conftest import make_scenario
from tests.faults.ticker import handled, rows, tick


def test_crashed_node_handles_nothing() -> None:
    """From its crash to its restart a node handles no message and no timer; messages sent to
    it are dropped as `crashed`."""
    sim = tick([{"at": "100ms", "crash": "n2", "for": "200ms"}])
    assert handled("n2", 0, 100) and handled("n2", 300)
    assert handled("n2", 100, 300) == []
    drops = [f for t, f in rows(sim, "drop") if f["reason"] == "crashed"]
    assert drops and all(f["dst"] == "n2" for f in drops)
    assert not [t for t, f in rows(sim, "timer") if f["node"] == "n2" and 100 < t < 300]


def test_restart_keeps_durable_state_and_loses_the_rest() -> None:
    """After crash and restart, the durable tick count carries on from before the crash while
    the in-memory count starts again from zero."""
    sim = tick([{"at": "95ms", "crash": "n2"}, {"at": "195ms", "restart": "n2"}])
    host = sim.hosts["n2"]
    before = [w for _, w in handled("n2", 0, 95)].count("tick")
    after = [w for _, w in handled("n2", 195)].count("tick")
    assert before == 9 and after > 0
    assert host.protocol.ticks == after  # type: ignore[attr-defined]
    assert host.durable["ticks"] == before + after


def test_restart_crashed_brings_back_only_crashed_nodes() -> None:
    """`restart: crashed` restarts the nodes down at that time, and nothing else."""
    sim = tick([{"at": "100ms", "crash": ["n1", "n3"]}, {"at": "200ms", "restart": "crashed"}])
    assert [row[1:] for row in sim.recorder.faults] == [
        ("crash", "n1 n3"),
        ("restart", "n1 n3"),
    ]
    assert all(host.up for host in sim.hosts.values())


def test_paused_node_resumes_with_its_state() -> None:
    """A paused node handles nothing while paused, then handles what came in, keeping the
    same protocol instance and counts."""
    sim = tick([{"at": "95ms", "pause": "n2", "for": "100ms"}])
    assert handled("n2", 95, 195) == []
    backlog = handled("n2", 195, 195.0001)
    assert ("tick" in [w for _, w in backlog]) and len(backlog) > 3
    protocol = sim.hosts["n2"].protocol
    assert protocol.ticks == len([w for _, w in handled("n2") if w == "tick"])  # type: ignore[attr-defined]
    assert protocol.heard == len([w for _, w in handled("n2") if w != "tick"])  # type: ignore[attr-defined]
    assert [row[1:] for row in sim.recorder.faults] == [("pause", "n2"), ("resume", "n2")]


def test_clock_factor_two_fires_timers_twice_as_often() -> None:
    """With `clock: {node: n1, factor: 2}` n1's timers fire twice as often as n2's."""
    sim = tick([{"at": 0, "clock": {"node": "n1", "factor": 2.0}}])

    def timers(node: str) -> int:
        return sum(1 for t, f in rows(sim, "timer") if f["node"] == node and 100 <= t < 900)

    assert timers("n2") == 80
    assert timers("n1") == 2 * timers("n2")


def test_clock_skew_ends_after_for() -> None:
    """After `for`, the node's timers run at the normal rate again."""
    sim = tick([{"at": 0, "clock": {"node": "n1", "factor": 0.5}, "for": "500ms"}])
    late = [t for t, f in rows(sim, "timer") if f["node"] == "n1" and t >= 520]
    assert late[1] - late[0] == 10.0
    early = [t for t, f in rows(sim, "timer") if f["node"] == "n1" and t < 500]
    assert early[2] - early[1] == 20.0


def test_request_to_a_crashed_node_times_out_unknown() -> None:
    """A client writing to a crashed node gets no answer: every operation invoked after the
    crash ends `unknown` at its timeout."""
    scenario = make_scenario(
        duration="1s",
        cluster={"nodes": 3, "protocol": "seed", "params": {"quorum": "majority"}},
        network={"latency": "1ms"},
        workload={"clients": 1, "target": "n1", "timeout": "100ms"},
        faults=[{"at": "300ms", "crash": "n1"}],
    )
    result = run(scenario)
    after = [row for row in result.request_rows if row[6] >= 300]
    assert after and {row[-1] for row in after} == {"unknown"}
    assert all(row[8] == 100.0 for row in after if row[8] is not None)
    assert {row[-1] for row in result.request_rows if row[6] < 298} == {"ok"}


def test_open_loop_operations_time_out_in_order_each_at_its_deadline() -> None:
    """Many operations outstanding at once (open loop, the target crashed): each ends `unknown`
    exactly `timeout` after its invocation, none early, none twice, and every one before the
    end of the run whose deadline came."""
    scenario = make_scenario(
        duration="1s",
        cluster={"nodes": 3, "protocol": "seed", "params": {"quorum": "majority"}},
        network={"latency": "1ms"},
        workload={"clients": 3, "mode": "open", "rate": 2000, "target": "n1", "timeout": "50ms"},
        faults=[{"at": "300ms", "crash": "n1"}],
    )
    result = run(scenario)
    lost = [row for row in result.request_rows if row[-1] == "unknown" and row[7] is not None]
    assert len(lost) > 500  # ~2000/s for 0.65 s, all outstanding 50 ms at a time
    assert all(row[7] == row[6] + 50.0 for row in lost)
    assert len({row[0] for row in lost}) == len(lost)
    invoked_late = [row for row in result.request_rows if 300 <= row[6] <= 949]
    assert {row[-1] for row in invoked_late} == {"unknown"}
    assert all(row[7] is not None for row in invoked_late)  # their deadline came before 1 s
