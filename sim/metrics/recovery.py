"""Leader recovery (DESIGN.md, "Metrics, defined"): from a fault that takes the leader away until
every node left to replace it has accepted one new leader, the measure of the Raft paper's
Figure 16.

A loss is noted by the fault that causes it, with the nodes then running and in touch with a
majority (the survivors). The recovery ends at the first moment when all survivors still
running accept the same leader of a higher term than the lost one: the new leader from its
``became_leader``, the others from ``leader_accepted`` (the first AppendEntries they take from
it). A survivor crashed or paused meanwhile is no longer waited for. A loss never recovered
before the run ends has no recovery time.
"""

from __future__ import annotations

import bisect
from typing import Any, Protocol

_DOWN_KINDS = ("crash", "pause")  # faults after which a survivor is no longer waited for


class Records(Protocol):
    """The recorder's rows this metric reads."""

    leader_losses: list[tuple[float, str, int, tuple[str, ...]]]
    leader_changes: list[tuple[float, str, int]]
    accepted: list[tuple[float, str, int, str]]
    faults: list[tuple[float, str, str]]


def leader_recoveries(records: Records) -> list[float]:
    """The recovery time (ms) of each leader loss that recovered, in order of the losses."""
    return [end - start for start, end in recovery_spans(records) if end is not None]


def recovery_spans(records: Records) -> list[tuple[float, float | None]]:
    """(loss time, recovery time or None) for every leader loss, in order."""
    timeline = _timeline(records)
    times = [row[0] for row in timeline]
    return [
        (start, _recovered(timeline, bisect.bisect_left(times, start), start, term, survivors))
        for start, _leader, term, survivors in records.leader_losses
    ]


def _timeline(records: Records) -> list[tuple[float, int, Any, Any]]:
    """Acceptances ((term, leader) by a node) and downs (nodes), in time order; at one instant
    acceptances first, so that a crash does not end a recovery its victim had completed."""
    rows: list[tuple[float, int, Any, Any]] = []
    rows += [(t, 0, node, (term, node)) for t, node, term in records.leader_changes]
    rows += [(t, 0, node, (term, leader)) for t, node, term, leader in records.accepted]
    rows += [
        (t, 1, targets.split(), None) for t, kind, targets in records.faults if kind in _DOWN_KINDS
    ]
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _recovered(
    timeline: list[tuple[float, int, Any, Any]],
    first: int,
    start: float,
    lost_term: int,
    survivors: tuple[str, ...],
) -> float | None:
    waiting = set(survivors)
    if not waiting:
        return None
    accepted: dict[tuple[int, str], set[str]] = {}  # (term, leader) -> who accepted it
    for t, kind, who, new_leader in timeline[first:]:
        if kind == 0:
            if new_leader[0] <= lost_term:
                continue
            done = accepted.setdefault(new_leader, set())
            done.add(who)
            if waiting <= done:
                return t
        elif t > start:  # a down at the loss's own instant is the loss itself
            waiting.difference_update(who)
            if not waiting:
                return None
            if any(waiting <= done for done in accepted.values()):
                return t
    return None
