"""Liveness, reported beside safety: did the run make progress, and how long did it stall?

Progress is an operation that completes ``ok``. A ``fail`` is an answer but not progress (the
seed protocol fails a proposal whose quorum timed out), and an ``unknown`` is no answer at all.

A *stall* runs from the moment some operation is waiting after the previous ok completion until
the next one; after the last ok completion, until the last moment an operation was waiting (the
run's end if one still is). So time when no operation is waiting (think time, a finished
workload) begins no stall, while a client retrying after time-outs stays in one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

# Columns of a requests row (sim.metrics.tables.REQUEST_COLUMNS).
_INVOKED, _COMPLETED, _OUTCOME = 6, 7, 9


class Stall(NamedTuple):
    start_ms: float
    end_ms: float

    @property
    def ms(self) -> float:
        return self.end_ms - self.start_ms


def stalls(requests: Sequence[tuple[Any, ...]], end_ms: float) -> list[Stall]:
    """Every stall, in time order (see the module's docstring). An operation still waiting at
    ``end_ms`` (no completion) waits until then."""
    starts, stops = _stall_times(requests, end_ms)
    return [Stall(a, b) for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]


def _stall_times(
    requests: Sequence[tuple[Any, ...]], end_ms: float
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """`stalls` as two arrays, their starts and their ends. In arrays, not sorted tuples and
    lists: those took a million-operation run 250 bytes an operation, a quarter of its peak."""
    if not requests:
        return np.empty(0), np.empty(0)
    n = len(requests)
    done = (end_ms if row[_COMPLETED] is None else row[_COMPLETED] for row in requests)
    ends = np.fromiter(done, float, n)
    invoked = np.fromiter((row[_INVOKED] for row in requests), float, n)
    order = np.lexsort((invoked, ends))  # (by end, then invocation)
    ends, invoked = ends[order], invoked[order]
    del order  # (each array is 8 bytes an operation: those done with go at once)
    # earliest_from[i]: the earliest invocation among the operations ending at ends[i] or later
    earliest_from = np.append(np.minimum.accumulate(invoked[::-1])[::-1], math.inf)
    del invoked
    ok = (row[_COMPLETED] for row in requests if row[_OUTCOME] == "ok")
    oks = np.sort(np.fromiter(ok, float))
    # Each stall runs from a progress (none at first) to the next (the last moment one waits,
    # after the last), if an operation was still waiting after the first.
    previous, stops = np.append(-math.inf, oks), np.append(oks, ends[-1])
    del oks
    waiting = np.searchsorted(ends, previous, side="right")  # the first still waiting after it
    del ends
    still = waiting < n
    if not still.all():  # (usually something is waiting after every progress: no copies)
        previous, stops, waiting = previous[still], stops[still], waiting[still]
    starts = np.maximum(previous, earliest_from[waiting], out=previous)
    del waiting, earliest_from
    longer = stops - starts > 0
    if longer.all():
        return starts, stops
    return starts[longer], stops[longer]


def longest_stall(requests: Sequence[tuple[Any, ...]], end_ms: float) -> Stall | None:
    """The longest stall (the first of equal ones); None without operations."""
    starts, stops = _stall_times(requests, end_ms)
    if not len(starts):
        return None
    longest = int(np.argmax(stops - starts))  # (the first of the longest)
    return Stall(float(starts[longest]), float(stops[longest]))


def recovery_ms(requests: Sequence[tuple[Any, ...]], end_ms: float, healed_ms: float) -> float:
    """How long the cluster stalled at most once the faults were over (from ``healed_ms``, the
    last fault's undo): each stall counted from the heal or its own start, whichever is later.
    0 when nothing waited after the heal."""
    starts, stops = _stall_times(requests, end_ms)
    after = stops > healed_ms
    if not after.any():
        return 0.0
    return float((stops[after] - np.maximum(starts[after], healed_ms)).max())


def liveness(
    requests: Sequence[tuple[Any, ...]],
    end_ms: float,
    max_stall_ms: float,
    checked: bool,
    leaderless: float | None,
    *,
    recovery: float | None = None,
    healed_ms: float = 0.0,
    min_completion: float | None = None,
) -> dict[str, Any]:
    """summary.json's ``liveness``: live when something completed ok and no stall was longer
    than ``max_stall_ms``, or when no operation was invoked at all. ``leaderless``: time without
    a leader (None: no leader to have).

    With ``recovery`` (``checks.recovery``) only the time after the faults counts instead: live
    when no stall after ``healed_ms`` (the last fault's undo) lasted longer than ``recovery``
    from the heal. With ``min_completion`` the share of invoked operations that completed ok
    must be at least that, too. Each adds its figures to the section."""
    completed = sum(1 for row in requests if row[_OUTCOME] == "ok")
    stall = longest_stall(requests, end_ms)
    live = not requests or (completed > 0 and (stall is None or stall.ms <= max_stall_ms))
    extra: dict[str, Any] = {}
    if recovery is not None:
        after = recovery_ms(requests, end_ms, healed_ms)
        extra.update(healed_ms=_round(healed_ms), recovery_ms=_round(after), recovery=recovery)
        live = after <= recovery
    if min_completion is not None:
        rate = completed / len(requests) if requests else 1.0
        extra.update(completion_rate=_round(rate), min_completion=min_completion)
        live = live and rate >= min_completion
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
        "live": live,
        **extra,
    }


def liveness_warnings(summary: dict[str, Any]) -> list[str]:
    """The warning lines for a run that was not live (none for a live run, or a summary without
    ``liveness``)."""
    section = summary.get("liveness")
    if not section or section["live"]:
        return []
    lines = []
    if "recovery" in section:
        if section["recovery_ms"] > section["recovery"]:
            lines.append(
                f"warning: after the last fault ({_time(section['healed_ms'])}) the cluster "
                f"stalled {_time(section['recovery_ms'])}, beyond checks.recovery "
                f"{_time(section['recovery'])}"
            )
    elif not section["completed"]:
        invoked = section["invoked"]
        done = f"0 of {invoked:,} invoked" if invoked else "none invoked"
        fail = summary.get("ops", {}).get("fail", 0)
        if fail:
            done += f"; {fail:,} failed"
        lines.append(
            f"warning: no operation completed ok in {_time(summary['duration_ms'])} ({done})"
        )
    elif section["longest_stall_ms"] > section["max_stall_ms"]:
        lines.append(
            f"warning: longest stall {_time(section['longest_stall_ms'])} "
            f"({_time(section['stall_start_ms'])} to {_time(section['stall_end_ms'])}) "
            f"exceeds checks.max_stall {_time(section['max_stall_ms'])}"
        )
    if "min_completion" in section and section["completion_rate"] < section["min_completion"]:
        lines.append(
            f"warning: {section['completion_rate']:.1%} of the operations completed ok, below "
            f"checks.min_completion {section['min_completion']:.1%}"
        )
    return lines


def _time(ms: float) -> str:
    return f"{ms:.4g} ms" if ms < 1000 else f"{ms / 1000:.4g} s"


def _round(value: float) -> float:
    return round(value, 6)
