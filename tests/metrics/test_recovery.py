"""Leader recovery from recorded rows: when it ends, whom it waits for, what it ignores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sim.metrics.recovery import leader_recoveries, recovery_spans

NODES = ("n1", "n2", "n3")
# n1 leads term 1, followed by n2 and n3; it crashes at 100 ms
STABLE = [
    (5.0, "n1", "became_leader", 1, None),
    (6.0, "n2", "follows", 1, "n1"),
    (6.0, "n3", "follows", 1, "n1"),
]
CRASH = (100.0, "crash", "n1", ("n2", "n3"))


def _records(*events: tuple[Any, ...], **rows: Any) -> Any:
    """n1 of term 1 lost at 100 ms, n2 and n3 left; more events and other rows as given."""
    return SimpleNamespace(
        nodes=NODES,
        leadership=[*STABLE, *events],
        reach=rows.get("reach", [CRASH]),
        leader_losses=rows.get("losses", [(100.0, "n1", 1, ("n2", "n3"))]),
    )


def _leads(t: float, node: str, term: int) -> tuple[Any, ...]:
    return (t, node, "became_leader", term, None)


def _accepts(t: float, node: str, term: int, leader: str) -> tuple[Any, ...]:
    return (t, node, "follows", term, leader)


def test_recovery_ends_when_the_last_survivor_accepts() -> None:
    """The new leader counts from became_leader, the others from follows."""
    records = _records(_leads(250.0, "n2", 2), _accepts(260.0, "n3", 2, "n2"))
    assert leader_recoveries(records) == [160.0]


def test_acceptances_of_the_lost_leader_do_not_count() -> None:
    """Accepting the old leader again (a late AppendEntries of its term) is no recovery."""
    records = _records(
        _accepts(120.0, "n3", 1, "n1"), _leads(250.0, "n2", 3), _accepts(270.0, "n3", 3, "n2")
    )
    assert leader_recoveries(records) == [170.0]


def test_survivors_must_accept_the_same_leader() -> None:
    """n3 following n2 in term 2 while n2 has moved on to stand in term 3 is not yet a leader."""
    records = _records(
        _leads(200.0, "n2", 2),
        (205.0, "n2", "stepped_down", 2, None),
        (206.0, "n2", "campaign_started", 3, None),
        _accepts(210.0, "n3", 2, "n2"),
        _leads(300.0, "n2", 3),
        _accepts(310.0, "n3", 3, "n2"),
    )
    assert recovery_spans(records) == [(100.0, 310.0)]


def test_a_survivor_that_crashes_is_no_longer_waited_for() -> None:
    """If n3 crashes before accepting, the recovery ends at its crash."""
    records = _records(_leads(250.0, "n2", 2), reach=[CRASH, (280.0, "crash", "n3", ("n2",))])
    assert leader_recoveries(records) == [180.0]


def test_a_loss_never_recovered_has_no_time() -> None:
    """No new leader every survivor follows before the end: no time is reported."""
    records = _records(_leads(250.0, "n2", 2))
    assert recovery_spans(records) == [(100.0, None)]
    assert leader_recoveries(records) == []


def test_each_loss_is_measured_on_its_own() -> None:
    """Two losses, two recoveries, each from its own start; n1, restarted and following n2, is
    a survivor of the second."""
    records = _records(
        _leads(250.0, "n2", 2),
        _accepts(255.0, "n3", 2, "n2"),
        _accepts(410.0, "n1", 2, "n2"),
        _leads(650.0, "n3", 3),
        _accepts(660.0, "n1", 3, "n3"),
        losses=[(100.0, "n1", 1, ("n2", "n3")), (500.0, "n2", 2, ("n1", "n3"))],
        reach=[
            CRASH,
            (400.0, "restart", "n1", NODES),
            (500.0, "crash", "n2", ("n1", "n3")),
        ],
    )
    assert leader_recoveries(records) == [155.0, 160.0]


def test_a_restarted_node_is_waited_for_once_it_stands() -> None:
    """The old leader back after a restart is not waited for; once it stands, it is."""
    restart = (150.0, "restart", "n1", NODES)
    quiet = _records(_leads(250.0, "n2", 2), _accepts(260.0, "n3", 2, "n2"), reach=[CRASH, restart])
    assert leader_recoveries(quiet) == [160.0]
    standing = _records(
        (200.0, "n1", "campaign_started", 2, None),
        _leads(250.0, "n2", 2),
        _accepts(260.0, "n3", 2, "n2"),
        _accepts(270.0, "n1", 2, "n2"),
        reach=[CRASH, restart],
    )
    assert leader_recoveries(standing) == [170.0]
