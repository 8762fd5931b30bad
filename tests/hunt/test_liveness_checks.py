"""checks.recovery and checks.min_completion: liveness judged after the faults, and by the share
of operations that completed."""

from __future__ import annotations

from typing import Any

from sim.metrics.liveness import liveness, liveness_warnings, recovery_ms


def _op(invoked: float, completed: float | None, outcome: str = "ok") -> tuple[Any, ...]:
    latency = None if completed is None else completed - invoked
    return (0, 0, "n1", "write", "k", 1, invoked, completed, latency, outcome)


# A stall of 100..900 ms during the faults (healed at 500 ms), then one of 1000..1300 ms.
OPS = [
    _op(0.0, 50.0),
    _op(100.0, 600.0, "unknown"),
    _op(650.0, 900.0),
    _op(1000.0, 1300.0),
]


def test_recovery_counts_stalls_from_the_heal() -> None:
    """The stall that began during the faults counts from the heal (900 - 500), the later one
    whole (300): the recovery is the longer, 400 ms."""
    assert recovery_ms(OPS, end_ms=2000.0, healed_ms=500.0) == 400.0
    assert recovery_ms(OPS, end_ms=2000.0, healed_ms=1400.0) == 0.0


def test_with_recovery_only_the_time_after_the_faults_is_judged() -> None:
    """max_stall alone fails the 800 ms stall; with recovery 500 ms the run is live, with
    recovery 300 ms it is not, and its warning says why."""
    plain = liveness(OPS, 2000.0, 500.0, True, None)
    assert not plain["live"] and "recovery" not in plain
    kept = liveness(OPS, 2000.0, 500.0, True, None, recovery=500.0, healed_ms=500.0)
    assert kept["live"] and kept["recovery_ms"] == 400.0 and kept["healed_ms"] == 500.0
    failed = liveness(OPS, 2000.0, 500.0, True, None, recovery=300.0, healed_ms=500.0)
    assert not failed["live"]
    summary = {"liveness": failed, "duration_ms": 2000.0}
    assert liveness_warnings(summary) == [
        "warning: after the last fault (500 ms) the cluster stalled 400 ms, beyond "
        "checks.recovery 300 ms"
    ]


def test_min_completion_needs_that_share_ok() -> None:
    """Three of four operations completed ok: 0.75 passes, 0.8 does not."""
    assert liveness(OPS, 2000.0, 5000.0, True, None, min_completion=0.75)["live"]
    low = liveness(OPS, 2000.0, 5000.0, True, None, min_completion=0.8)
    assert not low["live"] and low["completion_rate"] == 0.75
    assert liveness_warnings({"liveness": low, "duration_ms": 2000.0}) == [
        "warning: 75.0% of the operations completed ok, below checks.min_completion 80.0%"
    ]
