"""The stalls found with numpy arrays are those the sorted-tuples version found (kept here as
the oracle), on random request tables with ties, unknown outcomes and waits to the end."""

from __future__ import annotations

import bisect
import math
import random
from typing import Any

import pytest

from sim.metrics.liveness import Stall, longest_stall, recovery_ms, stalls

Row = tuple[Any, ...]


def oracle_stalls(requests: list[Row], end_ms: float) -> list[Stall]:
    """The pure-Python version that was replaced."""
    if not requests:
        return []
    spans = sorted((end_ms if row[7] is None else row[7], row[6]) for row in requests)
    ends = [end for end, _ in spans]
    earliest_from = [math.inf] * (len(spans) + 1)
    for i in range(len(spans) - 1, -1, -1):
        earliest_from[i] = min(spans[i][1], earliest_from[i + 1])
    oks = sorted(row[7] for row in requests if row[9] == "ok")
    found: list[Stall] = []
    previous = -math.inf
    for progress in [*oks, None]:
        waiting = bisect.bisect_right(ends, previous)
        if waiting < len(ends):
            stop = ends[-1] if progress is None else progress
            stall = Stall(max(previous, earliest_from[waiting]), stop)
            if stall.ms > 0:
                found.append(stall)
        if progress is not None:
            previous = progress
    return found


def requests(rng: random.Random, n: int) -> list[Row]:
    rows = []
    for op_id in range(n):
        invoked = float(rng.randrange(0, 50)) if rng.random() < 0.3 else rng.uniform(0, 50)
        outcome = rng.choice(["ok", "ok", "ok", "fail", "unknown"])
        done = None if outcome == "unknown" and rng.random() < 0.5 else invoked + rng.uniform(0, 9)
        if done is not None and rng.random() < 0.2:
            done = float(round(done))  # (ties between ends)
        rows.append((op_id, 0, "n1", "write", "k", op_id, invoked, done, None, outcome))
    return rows


@pytest.mark.parametrize("seed", range(40))
def test_stalls_equal_the_oracle(seed: int) -> None:
    """Every stall, the longest and the recovery time are the oracle's, to the last bit."""
    rng = random.Random(seed)
    rows = requests(rng, rng.choice([0, 1, 2, 5, 30, 200]))
    end = 70.0
    expected = oracle_stalls(rows, end)
    assert stalls(rows, end) == expected
    best = None
    for stall in expected:
        if best is None or stall.ms > best.ms:
            best = stall
    assert longest_stall(rows, end) == best
    for healed in (0.0, 20.0, 60.0, 100.0):
        after = [s.end_ms - max(s.start_ms, healed) for s in expected if s.end_ms > healed]
        assert recovery_ms(rows, end, healed) == max(after, default=0.0)
