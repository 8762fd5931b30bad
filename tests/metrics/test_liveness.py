"""Liveness: progress is an ok completion; a stall is a wait with operations pending and none
completing ok; warnings say when a run was not live."""

from __future__ import annotations

from typing import Any

from sim.experiment.run import run
from sim.metrics.liveness import Stall, liveness, liveness_warnings, longest_stall
from tests.conftest import make_scenario


def _op(invoked: float, completed: float | None, outcome: str = "ok") -> tuple[Any, ...]:
    latency = None if completed is None else completed - invoked
    return (0, 0, "n1", "write", "k", 1, invoked, completed, latency, outcome)


def test_think_time_and_a_finished_workload_are_no_stall() -> None:
    """Waits are each operation's own latency; the gaps between them and the idle end are not
    stalls."""
    ops = [_op(0.0, 10.0), _op(60.0, 65.0), _op(100.0, 130.0)]
    assert longest_stall(ops, end_ms=10_000.0) == Stall(100.0, 130.0)


def test_retries_after_time_outs_stay_in_one_stall() -> None:
    """From the first wait after the last ok to the next ok, however many attempts failed or
    timed out in between, think time included."""
    ops = [
        _op(0.0, 10.0),
        _op(20.0, 520.0, "unknown"),
        _op(570.0, 1070.0, "fail"),
        _op(1120.0, 1130.0),
    ]
    stall = longest_stall(ops, end_ms=2000.0)
    assert stall == Stall(20.0, 1130.0) and stall.ms == 1110.0


def test_a_wait_still_pending_lasts_to_the_end() -> None:
    """An operation without completion waits until the run's end: the stall ends there."""
    ops = [_op(0.0, 10.0), _op(5.0, None, "unknown"), _op(10.0, 15.0)]
    assert longest_stall(ops, end_ms=400.0) == Stall(15.0, 400.0)


def test_concurrent_clients_stall_from_the_last_ok() -> None:
    """A wait that began before the last ok counts from it."""
    ops = [_op(0.0, 900.0), _op(100.0, 200.0), _op(210.0, 300.0)]
    assert longest_stall(ops, end_ms=1000.0) == Stall(300.0, 900.0)


def test_liveness_section_and_its_verdict() -> None:
    """Live needs an ok and no stall over the limit; a fail is no progress."""
    fails = [_op(0.0, 100.0, "fail"), _op(100.0, 200.0, "fail")]
    section = liveness(fails, 1000.0, 1000.0, True, None)
    assert section["completed"] == 0 and section["invoked"] == 2 and section["live"] is False
    assert (section["stall_start_ms"], section["stall_end_ms"]) == (0.0, 200.0)
    slow = [_op(0.0, 10.0), _op(10.0, 1510.0)]
    assert liveness(slow, 2000.0, 1000.0, False, 5.0)["live"] is False
    assert liveness(slow, 2000.0, 1500.0, False, 5.0)["live"] is True
    nothing = liveness([], 2000.0, 1000.0, False, None)  # no clients: nothing was asked
    assert nothing["live"] is True and nothing["longest_stall_ms"] is None


def _summary(**liveness_fields: Any) -> dict[str, Any]:
    section = {"invoked": 1234, "completed": 0, "live": False, "max_stall_ms": 1000.0}
    section.update(liveness_fields)
    return {"duration_ms": 10_000.0, "ops": {"fail": 0}, "liveness": section}


def test_warnings() -> None:
    """One line per problem, times in seconds (ms below one), counts with separators."""
    assert liveness_warnings(_summary()) == [
        "warning: no operation completed ok in 10 s (0 of 1,234 invoked)"
    ]
    failed = _summary() | {"ops": {"fail": 1200}}
    assert liveness_warnings(failed) == [
        "warning: no operation completed ok in 10 s (0 of 1,234 invoked; 1,200 failed)"
    ]
    assert liveness_warnings(_summary(invoked=0)) == [
        "warning: no operation completed ok in 10 s (none invoked)"
    ]
    stalled = _summary(
        completed=900, longest_stall_ms=3610.0, stall_start_ms=12_870.0, stall_end_ms=16_480.0
    )
    assert liveness_warnings(stalled) == [
        "warning: longest stall 3.61 s (12.87 s to 16.48 s) exceeds checks.max_stall 1 s"
    ]
    short = _summary(
        completed=9,
        longest_stall_ms=12.5,
        stall_start_ms=500.0,
        stall_end_ms=512.5,
        max_stall_ms=5.0,
    )
    assert liveness_warnings(short) == [
        "warning: longest stall 12.5 ms (500 ms to 512.5 ms) exceeds checks.max_stall 5 ms"
    ]
    assert liveness_warnings(_summary(completed=5, live=True)) == []
    assert liveness_warnings({"duration_ms": 1.0}) == []


# --- whole runs --------------------------------------------------------------------------------


def _seed(**sections: Any) -> Any:
    defaults: dict[str, Any] = {
        "duration": "2s",
        "cluster": {"nodes": 3, "protocol": "seed", "params": {"quorum": "majority"}},
        "network": {"latency": "1ms"},
        "workload": {"clients": 2, "timeout": "100ms"},
    }
    return make_scenario(**(defaults | sections))


def test_a_run_that_does_nothing_is_not_live() -> None:
    """Every message lost: safe, but nothing completes; with checks.live the run fails."""
    quiet = run(_seed(network={"latency": "1ms", "loss": 1.0}, checks={"live": True}))
    assert quiet.safe and quiet.summary["ops"]["ok"] == 0
    assert quiet.summary["liveness"]["live"] is False and quiet.live_failed
    (line,) = liveness_warnings(quiet.summary)
    assert line.startswith("warning: no operation completed ok in 2 s (0 of ")


def test_a_cluster_that_stops_stalls_until_the_end() -> None:
    """Two of three nodes crash at 400 ms: the stall runs from the first wait after the last ok
    to the end, and exceeds the limit; without checks.live the run does not fail."""
    result = run(_seed(faults=[{"at": "400ms", "crash": ["n2", "n3"]}]))
    section = result.summary["liveness"]
    assert 400.0 <= section["stall_start_ms"] <= 402.0 and section["stall_end_ms"] == 2000.0
    assert section["live"] is False and not result.live_failed
    assert section["leaderless_ms"] is None  # the seed protocol has no leader
    (line,) = liveness_warnings(result.summary)
    assert "exceeds checks.max_stall 1 s" in line


def test_a_healthy_run_is_live() -> None:
    """No fault: many ok, the longest stall is one operation's latency, no warning."""
    result = run(_seed(checks={"live": True}))
    section = result.summary["liveness"]
    assert section["live"] and not result.live_failed and section["longest_stall_ms"] < 10
    assert liveness_warnings(result.summary) == []
