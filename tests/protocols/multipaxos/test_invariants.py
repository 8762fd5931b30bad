"""The invariants on events fed by hand: each reports what it must, and only that."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sim.protocols.multipaxos import FPaxosParams, Promise, Vote
from sim.protocols.multipaxos.invariants import (
    DecidedIsChosen,
    OneValuePerSlot,
    PromisesKept,
    ProposalsRespectPhase1,
)
from tests.protocols.multipaxos.helpers import FIVE, write


def _state(q2: int = 3, **fields: Any) -> Any:
    """The little of a node's state the invariants read: its nodes and phase-2 quorum."""
    _, phase2 = FPaxosParams(q2=q2).phase_quorums(FIVE)
    return SimpleNamespace(nodes=FIVE, phase2=phase2, **fields)


def _accepted(check: Any, node: str, ballot: int, first: int, *ops: int, q2: int = 3) -> Any:
    fields = {"ballot": ballot, "first": first, "ops": tuple(write(i) for i in ops)}
    return check.on_event(node, "accepted", fields, 1.0, _state(q2))


def test_a_value_voted_by_a_quorum_is_chosen_and_a_second_one_is_reported() -> None:
    """Two votes of three are not a choice; the third is. With quorums of two, a second value
    chosen in another ballot is a violation, reported once."""
    check = OneValuePerSlot()
    for node in ("n1", "n2"):
        assert _accepted(check, node, 6, 1, 10) is None
    assert 1 not in check.chosen
    assert _accepted(check, "n2", 6, 1, 10) is None  # a duplicate vote counts once
    assert 1 not in check.chosen
    assert _accepted(check, "n3", 6, 1, 10) is None
    assert check.chosen[1][:2] == (6, 10)
    unsafe = OneValuePerSlot()
    for node in ("n1", "n2"):
        assert _accepted(unsafe, node, 6, 1, 10, q2=2) is None
    assert _accepted(unsafe, "n4", 4, 1, 20, q2=2) is None  # a lower ballot: only a vote
    found = _accepted(unsafe, "n5", 4, 1, 20, q2=2)
    assert found is not None and "op 10 was chosen in ballot (1, n2)" in found["message"]
    assert found["message"].endswith("and op 20 in ballot (0, n5) at 1.000 ms")
    assert _accepted(unsafe, "n3", 4, 1, 20, q2=2) is None  # reported once


def test_a_higher_ballot_proposing_over_a_chosen_slot_is_reported() -> None:
    """Once a slot is chosen, any higher ballot's vote for another value there is reported."""
    check = OneValuePerSlot()
    for node in ("n1", "n2", "n3"):
        _accepted(check, node, 6, 1, 10, 11)
    assert _accepted(check, "n4", 11, 1, 10) is None  # the same value again: fine
    found = _accepted(check, "n4", 11, 2, 99)
    assert found is not None and found["index"] == 2 and "proposes op 99" in found["message"]


def test_proposals_must_carry_what_phase1_reported() -> None:
    """After `prepared`, a vote of the new ballot at a reported slot must carry the reported
    chosen value or the highest ballot's; other slots are free."""
    promises = {
        "n2": Promise(16, 1, 1, (write(1),), ((2, Vote(6, write(2))), (3, Vote(6, write(3))))),
        "n3": Promise(16, 1, 0, (), ((3, Vote(11, write(33))),)),
    }
    check = ProposalsRespectPhase1()
    state = _state(_promises=promises)
    check.on_event("n2", "prepared", {"ballot": 16, "first": 1}, 0.0, state)
    ok = {"ballot": 16, "first": 1, "ops": (write(1), write(2), write(33), write(4))}
    assert check.on_event("n2", "accepted", ok, 1.0, state) is None
    bad = {"ballot": 16, "first": 3, "ops": (write(3),)}
    found = check.on_event("n2", "accepted", bad, 1.0, state)
    assert (
        found is not None and "reported op 33 (voted in ballot (2, n2) by n3)" in found["message"]
    )


def test_an_acceptor_going_below_a_counted_promise_is_reported() -> None:
    """Once a leader's phase 1 counted an acceptor's promise, a promise or vote of that
    acceptor below it is reported, an equal or higher one is not; a promise no leader counted
    (a power loss may undo it before anyone heard) binds nothing."""
    check = PromisesKept()
    state = _state()
    assert check.on_event("n2", "promised", {"ballot": 9}, 0.0, state) is None
    assert check.on_event("n2", "accepted", {"ballot": 4}, 0.5, state) is None  # uncounted
    prepared = {"ballot": 9, "quorum": ("n1", "n2", "n5")}
    assert check.on_event("n5", "prepared", prepared, 1.0, state) is None
    assert check.on_event("n2", "accepted", {"ballot": 9}, 1.5, state) is None
    assert check.on_event("n3", "accepted", {"ballot": 4}, 1.5, state) is None
    found = check.on_event("n2", "accepted", {"ballot": 4}, 2.0, state)
    assert found is not None
    assert found["message"] == (
        "n2 voted in ballot (0, n5) at 2.000 ms after promising ballot (1, n5) to n5, which "
        "counted it at 1.000 ms"
    )


def test_a_decision_must_be_what_was_chosen() -> None:
    """A first decision of a slot nothing was chosen at, or of another value, is reported."""
    chosen = OneValuePerSlot()
    for node in ("n1", "n2", "n3"):
        _accepted(chosen, node, 6, 1, 10)
    check = DecidedIsChosen(chosen)
    assert check.on_commit("n4", 1, write(10), 2.0, None) is None
    assert "op 10 was chosen" in check.on_commit("n4", 1, write(11), 2.0, None)["message"]
    assert "nothing was chosen" in check.on_commit("n4", 2, write(12), 2.0, None)["message"]
