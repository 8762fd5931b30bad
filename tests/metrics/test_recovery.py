"""Leader recovery from recorded rows: when it ends, whom it waits for, what it ignores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sim.metrics.recovery import leader_recoveries, recovery_spans

SURVIVORS = ("n2", "n3")


def _records(**rows: Any) -> Any:
    """A leader n1 of term 1 lost at 100 ms, n2 and n3 left; other rows as given."""
    return SimpleNamespace(
        leader_losses=rows.get("losses", [(100.0, "n1", 1, SURVIVORS)]),
        leader_changes=rows.get("changes", []),
        accepted=rows.get("accepted", []),
        faults=rows.get("faults", [(100.0, "crash", "n1")]),
    )


def test_recovery_ends_when_the_last_survivor_accepts() -> None:
    """The new leader counts from became_leader, the others from leader_accepted."""
    records = _records(changes=[(250.0, "n2", 2)], accepted=[(260.0, "n3", 2, "n2")])
    assert leader_recoveries(records) == [160.0]


def test_acceptances_of_the_lost_term_do_not_count() -> None:
    """Accepting the old leader again (its term or lower) is no recovery."""
    records = _records(
        changes=[(250.0, "n2", 3)],
        accepted=[(120.0, "n3", 1, "n1"), (270.0, "n3", 3, "n2")],
    )
    assert leader_recoveries(records) == [170.0]


def test_survivors_must_accept_the_same_leader() -> None:
    """n3 accepting the term-2 leader and n2 leading term 3 is not yet one leader."""
    records = _records(
        changes=[(200.0, "n4", 2), (300.0, "n2", 3)],
        accepted=[(210.0, "n3", 2, "n4"), (310.0, "n3", 3, "n2")],
    )
    assert recovery_spans(records) == [(100.0, 310.0)]


def test_a_survivor_that_crashes_is_no_longer_waited_for() -> None:
    """If n3 crashes before accepting, the recovery ends at its crash."""
    records = _records(
        changes=[(250.0, "n2", 2)],
        faults=[(100.0, "crash", "n1"), (280.0, "crash", "n3")],
    )
    assert leader_recoveries(records) == [180.0]


def test_a_loss_never_recovered_has_no_time() -> None:
    """No new leader before the end: the span is open and no time is reported."""
    records = _records(changes=[(250.0, "n2", 2)])
    assert recovery_spans(records) == [(100.0, None)]
    assert leader_recoveries(records) == []


def test_each_loss_is_measured_on_its_own() -> None:
    """Two losses, two recoveries, each from its own start."""
    records = _records(
        losses=[(100.0, "n1", 1, SURVIVORS), (500.0, "n2", 2, ("n1", "n3"))],
        changes=[(250.0, "n2", 2), (650.0, "n3", 3)],
        accepted=[(255.0, "n3", 2, "n2"), (660.0, "n1", 3, "n3")],
    )
    assert leader_recoveries(records) == [155.0, 160.0]
