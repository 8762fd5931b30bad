"""cluster.durability and lose_unsynced: what a crash keeps of a write still on its way to disk."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from sim.engine import Simulation
from sim.protocols import Protocol, ProtocolParams
from sim.scenario import ScenarioError
from tests.conftest import make_scenario

PATH = "tests.faults.test_lose_unsynced:Counter"


class Counter(Protocol):
    """Every 10 ms n1 counts, persists the count under two keys (one write) and sends it to
    n2. Each start notes what the disk gave back."""

    name = "test-counter"
    Params = ProtocolParams
    starts: ClassVar[list[tuple[str, float, Any, Any]]] = []  # node, time, count, twin
    heard: ClassVar[list[tuple[float, int]]] = []  # at n2: time, count

    def on_start(self, ctx: Any) -> None:
        self.count = ctx.durable.get("count", 0)
        Counter.starts.append((ctx.node_id, ctx.now, self.count, ctx.durable.get("twin", 0)))
        if ctx.node_id == "n1":
            ctx.set_timer("tick", 10.0)

    def on_timer(self, ctx: Any, name: str) -> None:
        self.count += 1
        ctx.persist("count", self.count)
        ctx.persist("twin", self.count)
        ctx.send("n2", self.count)
        ctx.set_timer("tick", 10.0)

    def on_message(self, ctx: Any, src: str, msg: Any) -> None:
        Counter.heard.append((ctx.now, msg))


def _run(durability: str, fault: dict[str, Any], seed: int = 1) -> Simulation:
    """Ticks at 10, 20, 30 ms, each write taking 4 ms; ``fault`` strikes n1 at 32 ms (during
    the third write) and n1 is back at 33 ms."""
    Counter.starts, Counter.heard = [], []
    scenario = make_scenario(
        seed=seed,
        duration="45ms",
        cluster={"nodes": 2, "protocol": PATH, "disk_write": "4ms", "durability": durability},
        network={"latency": "1ms"},
        workload={"clients": 0},
        faults=[{"at": 32.0, **fault, "for": 1.0}],
    )
    return Simulation(scenario).run()


def _restarted() -> tuple[Any, Any]:
    (node, at, count, twin) = Counter.starts[-1]
    assert (node, at) == ("n1", 33.0)
    return count, twin


def test_sync_keeps_a_write_the_moment_it_is_made() -> None:
    """Under sync the third count is safe at 30 ms: a crash at 32 ms keeps it, and the send
    held for the write still leaves (at 34 ms, arriving at 35 ms)."""
    _run("sync", {"crash": "n1"})
    assert _restarted() == (3, 3)
    assert (35.0, 3) in Counter.heard


def test_fsync_process_crash_keeps_the_write_but_not_the_held_send() -> None:
    """Under fsync a process crash lets the kernel finish the write, but the count's message,
    held for the write, never leaves."""
    _run("fsync", {"crash": "n1"})
    assert _restarted() == (3, 3)
    assert [count for _, count in Counter.heard] == [1, 2]


def test_lose_unsynced_loses_the_write_in_progress() -> None:
    """A power loss during the third write restarts n1 with the second count."""
    _run("fsync", {"lose_unsynced": "n1"})
    assert _restarted() == (2, 2)
    assert [count for _, count in Counter.heard] == [1, 2]


def test_torn_write_keeps_part_of_its_keys() -> None:
    """With torn: true each key of the write in progress survives or not: across seeds some
    restarts find the two keys apart, and every value is the old or the new one."""
    found = set()
    for seed in range(1, 21):
        _run("fsync", {"lose_unsynced": "n1", "torn": True}, seed=seed)
        found.add(_restarted())
    assert found <= {(2, 2), (2, 3), (3, 2), (3, 3)}
    assert {(2, 3), (3, 2)} & found


def test_lose_unsynced_needs_fsync() -> None:
    """Under sync there is nothing unsynced to lose: the file is refused, naming the key."""
    with pytest.raises(ScenarioError) as caught:
        make_scenario(
            cluster={"nodes": 3, "disk_write": "1ms"},
            faults=[
                {"at": "1s", "lose_unsynced": "n1"},
                {"nemesis": {"kinds": ["lose_unsynced"], "every": "1s"}},
            ],
        )
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "faults[0].lose_unsynced: lose_unsynced needs cluster.durability: fsync" in text
    assert "faults[1].nemesis.kinds: lose_unsynced needs" in text


def _counter_under_nemesis(torn: bool | float, seed: int) -> tuple[list[Any], list[str]]:
    """n1's restarts (count, twin) and the power-loss rows of faults.csv, with a nemesis that
    strikes every write of n1 (aim: persisted) and restarts it 1 ms later."""
    Counter.starts, Counter.heard = [], []
    nemesis = {"aim": ["persisted"], "chance": 1.0, "every": "1s", "aim_for": "1ms", "torn": torn}
    scenario = make_scenario(
        seed=seed,
        duration="100ms",
        cluster={"nodes": 3, "protocol": PATH, "disk_write": "4ms", "durability": "fsync"},
        network={"latency": "1ms"},
        workload={"clients": 0},
        faults=[{"nemesis": nemesis}],
    )
    sim = Simulation(scenario).run()
    starts = [(count, twin) for node, at, count, twin in Counter.starts if node == "n1" and at]
    rows = [text for _, kind, text in sim.recorder.faults if kind == "lose_unsynced"]
    return starts, rows


def test_the_nemesis_draws_torn_power_losses() -> None:
    """``torn: true``: every power loss the nemesis draws is torn (faults.csv says so), and
    some restarts find the two keys apart; ``false``: never; ``0.5``: some of each."""
    torn_starts, torn_rows = set(), []
    for seed in range(1, 6):
        starts, rows = _counter_under_nemesis(True, seed)
        torn_starts.update(starts)
        torn_rows += rows
        whole, plain = _counter_under_nemesis(False, seed)
        assert plain and all(row == "n1" for row in plain)
        assert all(count == twin for count, twin in whole)
    assert torn_rows and all(row == "n1 torn" for row in torn_rows)
    assert any(count != twin for count, twin in torn_starts)
    _, mixed = _counter_under_nemesis(0.5, 1)
    assert set(mixed) == {"n1", "n1 torn"}


def test_a_torn_nemesis_needs_power_losses() -> None:
    """``torn`` without lose_unsynced in kinds or persisted in aim tears nothing: refused."""
    with pytest.raises(ScenarioError) as caught:
        make_scenario(
            cluster={"nodes": 3, "disk_write": "1ms", "durability": "fsync"},
            faults=[{"nemesis": {"kinds": ["crash"], "every": "1s", "torn": True}}],
        )
    assert "faults[0].nemesis.torn: tears power losses: needs lose_unsynced in `kinds`" in str(
        caught.value.problems[0]
    )
