"""Overlapping faults: each undo lifts only what its own fault did and still holds."""

from __future__ import annotations

from tests.faults.ticker import handled, rows, tick


def test_nested_loss_restores_the_outer_one() -> None:
    """A short total loss inside a longer partial one: when the short one ends the outer
    probability is back, and when that ends no message is lost."""
    sim = tick(
        [
            {"at": "100ms", "loss": 0.5, "for": "600ms"},
            {"at": "200ms", "loss": 1.0, "for": "100ms"},
        ]
    )

    def lost(start: float, end: float) -> float:
        dropped = sum(1 for t, f in rows(sim, "drop") if start <= t < end)
        return dropped / (dropped + sum(1 for t, f in rows(sim, "send") if start <= t < end))

    assert lost(200, 300) == 1.0
    assert 0.35 < lost(300, 700) < 0.65
    assert lost(700, 1000) == 0.0


def test_lifting_a_partition_keeps_an_isolation() -> None:
    """When a partition ends, a node isolated meanwhile stays cut off until its own end."""
    sim = tick(
        [
            {"at": "100ms", "partition": [["n1", "n2"]], "for": "200ms"},
            {"at": "200ms", "isolate": "n4", "for": "300ms"},
        ]
    )
    between = [f for t, f in rows(sim, "send") if 300 <= t < 500]
    assert between and not any("n4" in (f["src"], f["dst"]) for f in between)
    assert any(f["src"] == "n1" and f["dst"] == "n3" for f in between)
    assert any(f["dst"] == "n4" for t, f in rows(sim, "send") if t >= 500)


def test_heal_voids_the_pending_undos() -> None:
    """After a full heal, the undo of an isolation it lifted does nothing and records nothing;
    a later cut is not lifted by it."""
    sim = tick(
        [
            {"at": "100ms", "isolate": "n4", "for": "400ms"},
            {"at": "200ms", "heal": True},
            {"at": "300ms", "cut": {"from": "n4", "to": "n1"}},
        ]
    )
    assert [row[1:] for row in sim.recorder.faults] == [
        ("isolate", "n4"),
        ("heal", "all"),
        ("cut", "n4 -> n1"),
    ]
    assert not any(f["dst"] == "n1" for t, f in rows(sim, "send") if t >= 300 and f["src"] == "n4")


def test_crash_undo_leaves_a_node_crashed_again_by_another_fault() -> None:
    """A node restarted early and crashed again by another fault is not restarted by the first
    crash's `for`."""
    sim = tick(
        [
            {"at": "100ms", "crash": "n2", "for": "300ms"},
            {"at": "200ms", "restart": "n2"},
            {"at": "300ms", "crash": "n2"},
        ]
    )
    assert not sim.hosts["n2"].up
    assert handled("n2", 300) == []
    assert [row[1] for row in sim.recorder.faults] == ["crash", "restart", "crash"]
