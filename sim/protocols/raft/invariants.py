"""Raft's safety properties (Figure 3 of the extended paper), checked as the run goes.

Each is checked when a node becomes leader, looking at its log then. Elections are rare, but
logs grow long: Leader Completeness compares the committed prefix in one list comparison, and
Log Matching walks only the entries beyond it. State Machine Safety is the replica-safety check
every protocol gets.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from sim.protocols.api import Invariant, Op, OpId, Slot, Violation
from sim.protocols.api.events import BECAME_LEADER
from sim.protocols.raft.log import RaftLog


def _log_of(state: Any) -> RaftLog:
    log: RaftLog = state.log
    return log


class ElectionSafety(Invariant):
    """At most one leader can be elected in a given term."""

    kind = "election_safety"
    events = frozenset({BECAME_LEADER})

    def __init__(self) -> None:
        self._leaders: dict[int, tuple[str, float]] = {}  # term -> first leader, when

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        term = fields["epoch"]
        first = self._leaders.setdefault(term, (node, now))
        if first == (node, now):
            return None
        return {
            "message": f"term {term}: {first[0]} became leader at {first[1]:.3f} ms, "
            f"{node} at {now:.3f} ms",
            "term": term,
            "nodes": [first[0], node],
            "times": [first[1], now],
        }


class CommittedPrefix(Invariant):
    """Not a property: the record of the committed prefix that the two below check leaders
    against, kept once for both. Per index: the op decided first and the term it was committed in.
    The first decider of an index is the leader that committed it, or a follower it told, so its
    term then is the commit term; a running maximum keeps the terms ordered."""

    kind = "committed_prefix"

    def __init__(self) -> None:
        self.ops: list[OpId] = []
        self.terms: list[int] = []
        self.deciders: list[tuple[str, float]] = []

    def on_commit(self, node: str, slot: Slot, op: Op, now: float, state: Any) -> Violation | None:
        ops, terms = self.ops, self.terms
        index = slot  # Raft's slots are log indices
        if index == len(ops) + 1:  # else a gap, which replica safety reports
            ops.append(op.op_id)
            term = state.term
            if terms and terms[-1] > term:
                term = terms[-1]
            terms.append(term)
            self.deciders.append((node, now))
        return None

    def committed_before(self, term: int) -> int:
        """How many indices were committed in terms before ``term``."""
        return bisect.bisect_left(self.terms, term)


class LeaderCompleteness(Invariant):
    """A leader holds every entry committed in earlier terms, at the same index.

    (Not those committed in later terms: a leader of term 5 may win its votes, be paused, and
    take office after term 6 committed entries; it then only fails to make progress.)
    """

    kind = "leader_completeness"
    events = frozenset({BECAME_LEADER})

    def __init__(self, committed: CommittedPrefix) -> None:
        self._committed = committed

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        committed = self._committed
        count = committed.committed_before(fields["epoch"])
        held = [entry.op.op_id for entry in _log_of(state).entries_from(1, count)]
        if held == committed.ops[:count]:
            return None
        index = next(
            (i for i, (a, b) in enumerate(zip(held, committed.ops, strict=False)) if a != b),
            len(held),
        )
        decider, decided = committed.deciders[index]
        has = f"op {held[index]}" if index < len(held) else "nothing"
        return {
            "message": f"{node} became leader of term {fields['epoch']} at {now:.3f} ms with "
            f"{has} at index {index + 1}, where {decider} decided op {committed.ops[index]} "
            f"in term {committed.terms[index]} at {decided:.3f} ms",
            "term": fields["epoch"],
            "index": index + 1,
            "nodes": [node, decider],
            "times": [now, decided],
        }


class LogMatching(Invariant):
    """Two logs holding an entry of the same index and term agree on every entry up to it.

    Checked as: over every leader's log seen at its election, (index, term) determines the
    operation and the term of the entry before it, which by induction on the index is the same.
    Up to what was committed before its term, Leader Completeness holds every leader to the
    committed operations, so only the entries beyond (and the one before them) are looked at.
    """

    kind = "log_matching"
    events = frozenset({BECAME_LEADER})

    def __init__(self, committed: CommittedPrefix) -> None:
        self._committed = committed
        self._seen: dict[tuple[int, int], tuple[OpId, int, str, float]] = {}

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        log = _log_of(state)
        start = min(self._committed.committed_before(fields["epoch"]), log.last_index)
        previous_term = log.term_at(start)
        for index, entry in enumerate(log.entries_from(start + 1, log.last_index), start + 1):
            seen = self._seen.setdefault(
                (index, entry.term), (entry.op.op_id, previous_term, node, now)
            )
            if seen[:2] != (entry.op.op_id, previous_term):
                return {
                    "message": f"index {index}, term {entry.term}: {node}'s log at "
                    f"{now:.3f} ms holds op {entry.op.op_id} after an entry of term "
                    f"{previous_term}; {seen[2]}'s at {seen[3]:.3f} ms held op {seen[0]} after "
                    f"term {seen[1]}",
                    "term": entry.term,
                    "index": index,
                    "nodes": [seen[2], node],
                    "times": [seen[3], now],
                }
            previous_term = entry.term
        return None
