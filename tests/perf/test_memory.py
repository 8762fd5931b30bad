"""Memory grows linearly with the operations, at a fraction of what rows of Python objects took
(issue 22). Each size runs in a fresh interpreter (tests/perf/memory_probe.py) and reports the
peak bytes Python allocated during its run: tracemalloc, not the resident size, so that the
allocator's arenas do not blur a small run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMALL = 3_000


def peak_bytes(ops: int) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "tests.perf.memory_probe", str(ops)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return int(done.stdout.split()[-1])


def test_memory_is_linear_and_under_a_kilobyte_per_operation() -> None:
    """10x the operations take at most 10x the memory, and each added operation under 1,000
    bytes (rows as tuples and dicts took 1,900: recorded rows, the safety checks' records)."""
    small, large = peak_bytes(SMALL), peak_bytes(10 * SMALL)
    assert large <= 10 * small
    per_op = (large - small) / (9 * SMALL)
    assert per_op < 1000, f"{per_op:.0f} bytes per operation"
