"""Memory grows with the recorded rows, not faster: 10x the operations costs at most ~10x the
memory of a run (not timed: the peak is measured with tracemalloc)."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from sim import load_scenario, run

QUICKSTART = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml"
N = 2000


def _peak_bytes(ops: int) -> tuple[int, int]:
    """(peak traced bytes of a quick-start run of ``ops`` operations, rows it recorded)."""
    scenario = load_scenario(QUICKSTART, overrides=[f"workload.ops={ops}", "duration=60s"])
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = run(scenario)  # kept alive while the peak is read: the result counts too
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert result.summary["ops"]["ok"] == ops
    return peak, len(result.request_rows) + len(result.decision_rows)


def test_memory_per_recorded_operation_is_bounded() -> None:
    small, small_rows = _peak_bytes(N)
    large, large_rows = _peak_bytes(10 * N)
    assert large_rows == 10 * small_rows
    # Bounded: no more than ~10x (fixed costs make it less); and it does grow with the rows.
    assert large <= 11 * small, (small, large)
    assert large >= 3 * small, (small, large)
