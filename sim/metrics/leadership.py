"""Who leads when, and when the cluster has no leader: the one definition behind leader recovery
(summary.json), the timeline's leader strip and Figure 16 (DESIGN.md, "Metrics, defined").

The cluster *has a leader* at a time when some live node L believes it leads term e and every
other live node that is waited for follows L in e. An *outage* is a maximal interval without
one, whatever began it: a crash, a partition, a step-down, CheckQuorum, a disruptive candidate.

- *Live*: running (not crashed, not paused) and in touch both ways with a running majority,
  itself included, as the fault layer finds after every fault. A node cut off on a minority side
  cannot follow anyone, and the cluster does not wait for it.
- A node's *view* is its latest leadership event (`sim.protocols.api.events`, keyed on the
  protocol's epoch e: Raft's term): ``became_leader`` (it leads e), ``follows`` (it follows L in
  e), ``campaign_started`` (a candidate: it follows no one and stands against any leader),
  ``stepped_down`` (it follows no one until it hears the new leader). A crash or restart clears
  it (the state is volatile): the node follows no one.
- *Waited for*: every live node, except one that has just come back (restarted, resumed, back in
  touch after a heal) until it accepts a leader, leads or stands: what it believes is from
  before it left, and dropping a stale claim (stepping down) tells nothing new. Its claim to
  lead still counts: a leader paused for a moment leads again when it resumes.

Events at one instant take effect together, protocol events before faults; an interval of zero
length is no outage.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol

from sim.protocols.api.events import BECAME_LEADER, FOLLOWS, STEPPED_DOWN

View = tuple[int, str | None]  # (epoch, leader); a candidate follows None


class Records(Protocol):
    """The recorder's rows this module reads."""

    nodes: tuple[str, ...]
    leadership: list[tuple[float, str, str, int, str | None]]
    reach: list[tuple[float, str, str, tuple[str, ...]]]


class Outage(NamedTuple):
    start_ms: float
    end_ms: float | None  # None: the run ended first


class Reign(NamedTuple):
    """A node's belief that it leads ``term`` (the epoch): from its election until it stepped down
    or crashed (None: it still believed so at the end)."""

    node: str
    term: int
    from_ms: float
    to_ms: float | None


class _Cluster:
    """What each node believes, who is live, who has just come back."""

    def __init__(self, nodes: tuple[str, ...]) -> None:
        self.views: dict[str, View | None] = dict.fromkeys(nodes)
        self.live: set[str] = set(nodes)
        self.back: set[str] = set()  # came back, not heard from since

    def event(self, node: str, event: str, term: int, leader: str | None) -> None:
        if event == STEPPED_DOWN:  # a node back with a stale claim drops it: still back
            self.views[node] = None
            return
        self.back.discard(node)
        if event == BECAME_LEADER:
            self.views[node] = (term, node)
        elif event == FOLLOWS:
            self.views[node] = (term, leader)
        else:  # campaign_started
            self.views[node] = (term, None)

    def fault(self, kind: str, targets: str, reach: tuple[str, ...]) -> None:
        if kind in ("crash", "restart"):
            for node in targets.split():
                self.views[node] = None
        live = set(reach)
        self.back |= live - self.live
        self.back &= live
        self.live = live

    def has_leader(self) -> bool:
        views, live = self.views, self.live
        waited = [n for n in live if n not in self.back]
        for node in live:
            view = views[node]
            if view is not None and view[1] == node and all(views[n] == view for n in waited):
                return True
        return False


def _instants(records: Records) -> Iterator[tuple[float, list[tuple[int, tuple[Any, ...]]]]]:
    """The rows grouped by instant, in time order; at one instant protocol events (0) before
    faults (1), each in the order recorded."""
    events = ((row[0], 0, row[1:]) for row in records.leadership)
    faults = ((row[0], 1, row[1:]) for row in records.reach)
    merged = heapq.merge(events, faults, key=lambda r: (r[0], r[1]))
    for now, rows in itertools.groupby(merged, key=lambda r: r[0]):
        yield now, [(source, row) for _, source, row in rows]


def outages(records: Records) -> list[Outage]:
    """Every interval without a leader, in order; the run starts without one. The last has no
    end if the run ended without a leader."""
    cluster = _Cluster(records.nodes)
    found: list[Outage] = []
    since: float | None = 0.0  # start of the outage in progress, None while there is a leader
    for now, rows in _instants(records):
        for source, row in rows:
            if source == 0:
                cluster.event(*row)
            else:
                cluster.fault(*row)
        leading = cluster.has_leader()
        if leading and since is not None:
            if now > since:
                found.append(Outage(since, now))
            since = None
        elif not leading and since is None:
            since = now
    if since is not None:
        found.append(Outage(since, None))
    return found


def reigns(records: Records) -> list[Reign]:
    """Each node's reigns, in order of election."""
    open_: dict[str, tuple[int, float]] = {}  # node -> (term, since)
    found: list[Reign] = []

    def end(node: str, now: float) -> None:
        if node in open_:
            term, since = open_.pop(node)
            found.append(Reign(node, term, since, now))

    for now, rows in _instants(records):
        for source, row in rows:
            if source == 1:
                kind, targets = row[0], row[1]
                for node in targets.split() if kind == "crash" else ():
                    end(node, now)
            elif row[1] in (BECAME_LEADER, STEPPED_DOWN):
                end(row[0], now)
                if row[1] == BECAME_LEADER:
                    open_[row[0]] = (row[2], now)
    found += [Reign(node, term, since, None) for node, (term, since) in open_.items()]
    found.sort(key=lambda reign: (reign.from_ms, reign.term))
    return found


def recoveries(spans: list[Outage]) -> list[float]:
    """The length (ms) of each outage that ended, but the first election's: one that began
    after the cluster had had a leader."""
    return [end - start for start, end in spans if end is not None and start > 0.0]


def leaderless_ms(spans: list[Outage], end_ms: float) -> float:
    """The total time without a leader until ``end_ms``, the first election's included."""
    return sum((end_ms if end is None else end) - start for start, end in spans)
