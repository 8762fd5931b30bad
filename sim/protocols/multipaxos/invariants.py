"""Multi-Paxos's safety properties, checked as the run goes from the acceptors' own records.

- `OneValuePerSlot`: at most one operation is chosen per slot, "chosen" meaning voted for by a
  phase-2 quorum in one ballot (counted from every acceptor's ``accepted`` events, each once its
  write is on disk); and once one is chosen, no higher ballot proposes another there (the step
  before a second choice).
- `ProposalsRespectPhase1`: a leader proposes, at each slot above what its phase-1 quorum
  reported chosen, the operation of the highest ballot reported there (if any).
- `PromisesKept`: an acceptor never promises or votes below a ballot it promised to a leader
  that counted the promise (across its restarts: a promise not on disk is forgotten).
- `DecidedIsChosen`: a replica's first decision of a slot is the operation chosen there.

Replicas agreeing per slot is replica safety, checked for every protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sim.protocols.api import Invariant, Op, OpId, Slot, Violation
from sim.protocols.multipaxos import ballot as ballots
from sim.protocols.multipaxos.acceptor import ACCEPTED, PROMISED
from sim.protocols.multipaxos.leader import PREPARED
from sim.protocols.multipaxos.state import VOTES_KEY


def _show(ballot: int, state: Any) -> str:
    return ballots.show(ballot, state.nodes)


class OneValuePerSlot(Invariant):
    """At most one value chosen per slot (and a chosen one kept by higher ballots)."""

    kind = "one_value_per_slot"
    events = frozenset({ACCEPTED})
    # A vote counts once on disk: under fsync a power loss may undo it before its Accepted
    # leaves, and then nobody ever counted it (the engine holds the event until the write).
    durable: ClassVar[Mapping[str, str]] = {ACCEPTED: VOTES_KEY}

    def __init__(self) -> None:
        # (slot, ballot) -> [the op voted, its voters, whether they are a phase-2 quorum yet]
        self._votes: dict[tuple[int, int], list[Any]] = {}
        self.chosen: dict[int, tuple[int, OpId, str, float]] = {}  # slot -> ballot, op, by, when
        self._reported: set[tuple[int, str]] = set()  # (slot, what): each reported once

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        ballot = fields["ballot"]
        votes, chosen, phase2 = self._votes, self.chosen, state.phase2
        found: Violation | None = None
        for slot, op in enumerate(fields["ops"], fields["first"]):
            op_id = op.op_id
            key = (slot, ballot)
            record = votes.get(key)
            if record is None:
                record = votes[key] = [op_id, set(), False]
                earlier = chosen.get(slot)
                if earlier is not None and earlier[0] < ballot and earlier[1] != op_id:
                    found = found or self._once(
                        slot,
                        "overwritten",
                        f"slot {slot}: ballot {_show(ballot, state)} proposes op {op_id}, but op "
                        f"{earlier[1]} was chosen there in ballot {_show(earlier[0], state)} "
                        f"at {earlier[3]:.3f} ms",
                        [earlier[2], node],
                        [earlier[3], now],
                    )
            elif record[0] != op_id:
                found = found or self._once(
                    slot,
                    "two proposals",
                    f"slot {slot}: ballot {_show(ballot, state)} proposed both op {record[0]} "
                    f"and op {op_id}",
                    [node],
                    [now],
                )
                continue
            if record[2]:
                continue  # chosen in this ballot already
            voters = record[1]
            voters.add(node)
            if not phase2.is_quorum(voters):
                continue
            record[1], record[2] = None, True  # (the voters are no longer needed: memory)
            first = chosen.setdefault(slot, (ballot, op_id, node, now))
            if first[1] != op_id:
                found = found or self._once(
                    slot,
                    "chosen twice",
                    f"slot {slot}: op {first[1]} was chosen in ballot {_show(first[0], state)} "
                    f"at {first[3]:.3f} ms and op {op_id} in ballot {_show(ballot, state)} at "
                    f"{now:.3f} ms",
                    [first[2], node],
                    [first[3], now],
                )
        return found

    def _once(
        self, slot: int, what: str, message: str, nodes: list[str], times: list[float]
    ) -> Violation | None:
        if (slot, what) in self._reported:
            return None
        self._reported.add((slot, what))
        return {"message": message, "index": slot, "nodes": nodes, "times": times}


class ProposalsRespectPhase1(Invariant):
    """A leader's proposals at the slots its phase 1 reported on carry the reported values."""

    kind = "proposals_respect_phase1"
    events = frozenset({PREPARED, ACCEPTED})

    def __init__(self) -> None:
        # ballot -> slot -> (op the leader must propose there, why)
        self._expected: dict[int, dict[int, tuple[OpId, str]]] = {}
        self._reported: set[int] = set()

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        ballot = fields["ballot"]
        if event == PREPARED:
            self._expected[ballot] = self._reported_values(fields["first"], state)
            return None
        expected = self._expected.get(ballot)
        if not expected or ballot in self._reported:
            return None
        for slot, op in enumerate(fields["ops"], fields["first"]):
            op_id = op.op_id
            want = expected.get(slot)
            if want is not None and want[0] != op_id:
                self._reported.add(ballot)
                return {
                    "message": f"slot {slot}: the leader of ballot {_show(ballot, state)} "
                    f"proposed op {op_id}, but its phase 1 reported op {want[0]} ({want[1]})",
                    "index": slot,
                    "nodes": [ballots.owner(ballot, state.nodes), node],
                    "times": [now],
                }
        return None

    @staticmethod
    def _reported_values(first: int, state: Any) -> dict[int, tuple[OpId, str]]:
        """From the promises the new leader holds: every chosen value reported, and at other
        slots the value of the highest ballot voted."""
        expected: dict[int, tuple[OpId, str]] = {}
        best: dict[int, int] = {}
        for acceptor, promise in state._promises.items():
            for slot, op in enumerate(promise.chosen, first):
                expected[slot] = (op.op_id, f"chosen, by {acceptor}")
                best[slot] = 1 << 62
            for slot, vote in promise.accepted:
                if vote.ballot > best.get(slot, -1):
                    best[slot] = vote.ballot
                    why = f"voted in ballot {_show(vote.ballot, state)} by {acceptor}"
                    expected[slot] = (vote.op.op_id, why)
        return expected


class PromisesKept(Invariant):
    """No acceptor promises or votes below a ballot it promised to a leader that counted it.

    Promises are recorded as a leader's ``prepared`` event names its quorum: the leader had
    received them, so (the engine holding sends behind their writes) they were on disk, even
    under ``cluster.durability: fsync``, where a power loss may undo a promise nobody heard of."""

    kind = "promises_kept"
    events = frozenset({PREPARED, PROMISED, ACCEPTED})

    def __init__(self) -> None:
        self._promised: dict[str, tuple[int, str, float]] = {}  # node -> ballot, to whom, when

    def on_event(
        self, node: str, event: str, fields: Mapping[str, Any], now: float, state: Any
    ) -> Violation | None:
        ballot, promised = fields["ballot"], self._promised
        if event == PREPARED:
            for acceptor in fields["quorum"]:
                held = promised.get(acceptor)
                if held is None or held[0] < ballot:
                    promised[acceptor] = (ballot, node, now)
            return None
        held = promised.get(node)
        if held is None or ballot >= held[0]:
            return None
        what = "promised" if event == PROMISED else "voted in"
        return {
            "message": f"{node} {what} ballot {_show(ballot, state)} at {now:.3f} ms after "
            f"promising ballot {_show(held[0], state)} to {held[1]}, which counted it at "
            f"{held[2]:.3f} ms",
            "nodes": [node, held[1]],
            "times": [held[2], now],
        }


class DecidedIsChosen(Invariant):
    """A slot's first decision is the operation a phase-2 quorum chose there."""

    kind = "decided_is_chosen"
    # A leader that is a phase-2 quorum alone decides on its own vote as it writes it: checked
    # once that write is done, as what it tells of the decision waits for it.
    durable_commits = True

    def __init__(self, chosen: OneValuePerSlot) -> None:
        self._chosen = chosen.chosen

    def on_commit(self, node: str, slot: Slot, op: Op, now: float, state: Any) -> Violation | None:
        chosen = self._chosen.get(slot)  # type: ignore[call-overload]
        if chosen is not None and chosen[1] == op.op_id:
            return None
        what = "nothing was" if chosen is None else f"op {chosen[1]} was"
        return {
            "message": f"{node} decided op {op.op_id} at slot {slot} at {now:.3f} ms, where "
            f"{what} chosen",
            "index": slot,
            "nodes": [node],
            "times": [now],
        }
