"""Leader recovery after a fault that takes the leader away (DESIGN.md, "Metrics, defined"): the
measure of the Raft paper's Figure 16.

A loss is noted by the fault that causes it (a crash, a pause, a cut that leaves the leader
without a majority). Its recovery is the rest of the outage it falls in
(`sim.metrics.leadership`): for a crashed leader, from the crash until the survivors still live
all follow one new leader, the new leader from its ``became_leader``, the others from their
``follows`` (Raft: the first AppendEntries they take from it). A loss never recovered before
the run ends has no recovery time. Outages that no fault began (a step-down, CheckQuorum) are
counted by `sim.metrics.leadership.recoveries`, which summary.json reports.
"""

from __future__ import annotations

import bisect
from typing import Protocol

from sim.metrics import leadership


class Records(leadership.Records, Protocol):
    """The recorder's rows this metric reads."""

    leader_losses: list[tuple[float, str, int, tuple[str, ...]]]


def leader_recoveries(records: Records) -> list[float]:
    """The recovery time (ms) of each leader loss that recovered, in order of the losses."""
    return [end - start for start, end in recovery_spans(records) if end is not None]


def recovery_spans(records: Records) -> list[tuple[float, float | None]]:
    """(loss time, recovery time or None) for every leader loss, in order. A loss that left the
    cluster with a leader (another one everybody follows) recovered at once."""
    spans = leadership.outages(records)
    starts = [outage.start_ms for outage in spans]
    found: list[tuple[float, float | None]] = []
    for lost_at, *_ in records.leader_losses:
        i = bisect.bisect_right(starts, lost_at) - 1
        end = spans[i].end_ms if i >= 0 else lost_at
        found.append((lost_at, end if end is None or end > lost_at else lost_at))
    return found
