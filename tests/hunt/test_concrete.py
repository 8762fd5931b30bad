"""A run's faults.csv rows become explicit fault entries with their `for`."""

from __future__ import annotations

from sim.hunt.concrete import concrete_faults


def test_each_fault_is_paired_with_its_undo() -> None:
    """Crashes pair per node with their restarts, partitions with the heal of the same groups,
    settings with their end; a restart no crash of the list explains stays a restart."""
    rows = [
        (100.0, "crash", "n1 n2"),
        (120.0, "partition", "n3 | n1 n2 n4 n5"),
        (150.0, "restart", "n2"),
        (160.0, "loss", "p=0.5"),
        (170.0, "heal", "n3 | n1 n2 n4 n5"),
        (200.0, "restart", "n1 n5"),
        (210.0, "loss-end", "p=0.5"),
        (300.0, "lose_unsynced", "n4"),
    ]
    assert concrete_faults(rows) == [
        {"at": 100.0, "crash": ["n1"], "for": 100.0},
        {"at": 100.0, "crash": ["n2"], "for": 50.0},
        {"at": 120.0, "partition": [["n3"]], "for": 50.0},
        {"at": 160.0, "loss": 0.5, "for": 50.0},
        {"at": 200.0, "restart": ["n5"]},
        {"at": 300.0, "lose_unsynced": ["n4"]},
    ]


def test_links_clock_and_delay_read_back() -> None:
    """isolate, cut, clock and delay rows give back the entries that wrote them."""
    rows = [
        (10.0, "isolate", "n2"),
        (11.0, "cut", "n1 -> n3"),
        (12.0, "clock", "n4 x2"),
        (13.0, "delay", "n5 <-> all +100ms"),
        (20.0, "heal", "n2"),
        (21.0, "uncut", "n1 -> n3"),
        (22.0, "clock-end", "n4 x2"),
        (23.0, "delay-end", "n5 <-> all +100ms"),
    ]
    assert concrete_faults(rows) == [
        {"at": 10.0, "isolate": ["n2"], "for": 10.0},
        {"at": 11.0, "cut": {"from": ["n1"], "to": ["n3"]}, "for": 10.0},
        {"at": 12.0, "clock": {"node": ["n4"], "factor": 2.0}, "for": 10.0},
        {"at": 13.0, "delay": {"extra": 100.0, "from": ["n5"], "symmetric": True}, "for": 10.0},
    ]


def test_a_partition_replaced_before_its_heal_gets_no_for() -> None:
    """A newer partition replaces the one in force, whose own undo then does nothing: the heal
    of the same groups after that belongs to the newer one."""
    rows = [
        (10.0, "partition", "n1 | n2 n3"),
        (20.0, "partition", "n1 | n2 n3"),
        (30.0, "heal", "n1 | n2 n3"),
    ]
    assert concrete_faults(rows) == [
        {"at": 10.0, "partition": [["n1"]]},
        {"at": 20.0, "partition": [["n1"]], "for": 10.0},
    ]


def test_a_torn_power_loss_reads_back_torn() -> None:
    """``lose_unsynced`` rows marked ``torn`` give torn entries, node by node, with their for."""
    rows = [
        (10.0, "lose_unsynced", "n1 n2 torn"),
        (12.0, "lose_unsynced", "n3"),
        (15.0, "restart", "n2 n3"),
        (20.0, "restart", "n1"),
    ]
    assert concrete_faults(rows) == [
        {"at": 10.0, "lose_unsynced": ["n1"], "for": 10.0, "torn": True},
        {"at": 10.0, "lose_unsynced": ["n2"], "for": 5.0, "torn": True},
        {"at": 12.0, "lose_unsynced": ["n3"], "for": 3.0},
    ]
