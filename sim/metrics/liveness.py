"""Liveness, reported beside safety: did the run make progress, and how long did it stall?

Progress is an operation that completes ``ok``. A ``fail`` is an answer but not progress (the
seed protocol fails a proposal whose quorum timed out), and an ``unknown`` is no answer at all.

A *stall* runs from the moment some operation is waiting after the previous ok completion until
the next one; after the last ok completion, until the last moment an operation was waiting (the
run's end if one still is). So time when no operation is waiting (think time, a finished
workload) begins no stall, while a client retrying after time-outs stays in one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

# Columns of a requests row (sim.metrics.tables.REQUEST_COLUMNS).
_INVOKED, _COMPLETED, _OUTCOME = 6, 7, 9


class Stall(NamedTuple):
    start_ms: float
    end_ms: float

    @property
    def ms(self) -> float:
        return self.end_ms - self.start_ms


def longest_stall(requests: Sequence[tuple[Any, ...]], end_ms: float) -> Stall | None:
    """The longest stall (the first of equal ones); None without operations. An operation still
    waiting at ``end_ms`` (no completion) waits until then."""
    if not requests:
        return None
    spans = sorted(
        (end_ms if row[_COMPLETED] is None else row[_COMPLETED], row[_INVOKED]) for row in requests
    )
    ends = [end for end, _ in spans]
    # earliest_from[i]: the earliest invocation among the operations ending at ends[i] or later
    earliest_from = [math.inf] * (len(spans) + 1)
    for i in range(len(spans) - 1, -1, -1):
        earliest_from[i] = min(spans[i][1], earliest_from[i + 1])
    oks = sorted(row[_COMPLETED] for row in requests if row[_OUTCOME] == "ok")
    best: Stall | None = None
    previous = -math.inf
    for progress in [*oks, None]:
        waiting = bisect.bisect_right(ends, previous)  # the operations still waiting after it
        if waiting < len(ends):
            stop = ends[-1] if progress is None else progress
            stall = Stall(max(previous, earliest_from[waiting]), stop)
            if stall.ms > 0 and (best is None or stall.ms > best.ms):
                best = stall
        if progress is not None:
            previous = progress
    return best


def liveness(
    requests: Sequence[tuple[Any, ...]],
    end_ms: float,
    max_stall_ms: float,
    checked: bool,
    leaderless: float | None,
) -> dict[str, Any]:
    """summary.json's ``liveness``: live when something completed ok and no stall was longer
    than ``max_stall_ms``, or when no operation was invoked at all. ``leaderless``: time without
    a leader (None: no leader to have)."""
    completed = sum(1 for row in requests if row[_OUTCOME] == "ok")
    stall = longest_stall(requests, end_ms)
    return {
        "invoked": len(requests),
        "completed": completed,
        "longest_stall_ms": None if stall is None else _round(stall.ms),
        "stall_start_ms": None if stall is None else _round(stall.start_ms),
        "stall_end_ms": None if stall is None else _round(stall.end_ms),
        "leaderless_ms": None if leaderless is None else _round(leaderless),
        "max_stall_ms": max_stall_ms,
        "checked": checked,
        # A run without clients (an election experiment) asked for nothing: it is not stalled.
        "live": not requests or (completed > 0 and (stall is None or stall.ms <= max_stall_ms)),
    }


def liveness_warnings(summary: dict[str, Any]) -> list[str]:
    """The warning lines for a run that was not live (none for a live run, or a summary without
    ``liveness``)."""
    section = summary.get("liveness")
    if not section or section["live"]:
        return []
    if not section["completed"]:
        invoked = section["invoked"]
        done = f"0 of {invoked:,} invoked" if invoked else "none invoked"
        fail = summary.get("ops", {}).get("fail", 0)
        if fail:
            done += f"; {fail:,} failed"
        return [f"warning: no operation completed ok in {_time(summary['duration_ms'])} ({done})"]
    return [
        f"warning: longest stall {_time(section['longest_stall_ms'])} "
        f"({_time(section['stall_start_ms'])} to {_time(section['stall_end_ms'])}) "
        f"exceeds checks.max_stall {_time(section['max_stall_ms'])}"
    ]


def _time(ms: float) -> str:
    return f"{ms:.4g} ms" if ms < 1000 else f"{ms / 1000:.4g} s"


def _round(value: float) -> float:
    return round(value, 6)
