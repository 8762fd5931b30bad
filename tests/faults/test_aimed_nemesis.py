"""The nemesis aimed at protocol moments, and buggify's per-run mix."""

from __future__ import annotations

from typing import Any

import pytest

from sim import run
from sim.scenario import ScenarioError
from tests.conftest import make_scenario


def _raft(nemesis: dict[str, Any], seed: int = 1, **cluster: Any) -> Any:
    scenario = make_scenario(
        seed=seed,
        duration="1500ms",
        cluster={"nodes": 5, "protocol": "raft", "disk_write": "1ms", **cluster},
        network={"latency": "1ms"},
        workload={"clients": 1, "timeout": "200ms"},
        faults=[{"nemesis": {"every": "1s", "aim_for": "50ms", **nemesis}}],
    )
    return run(scenario, trace=True)


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The trace rows of the runs made (the simulation's, kept as `run` builds it)."""
    from sim.engine import simulation

    made: list[Any] = []
    original = simulation.Simulation.run

    def keep(self: Any) -> Any:
        made.append(self)
        return original(self)

    monkeypatch.setattr(simulation.Simulation, "run", keep)
    return made


def test_a_new_leader_is_cut_off_right_after_its_election(traced: list[Any]) -> None:
    """aim: [became_leader] with chance 1: the first leader is partitioned with a minority,
    within aim_delay of its election."""
    _raft({"aim": ["became_leader"], "chance": 1.0, "aim_delay": "2ms"})
    rows = traced[-1].recorder.trace_rows
    elected = next((t, f["node"]) for t, k, f in rows if k == "became_leader")
    cut = next((t, f) for t, k, f in rows if k == "fault" and f["fault"] == "partition")
    assert elected[0] <= cut[0] <= elected[0] + 2.0
    group = cut[1]["targets"].split(" | ")[0].split()
    assert elected[1] in group and len(group) <= 2


def test_a_proposer_crashes_right_after_it_proposes(traced: list[Any]) -> None:
    """aim: [proposed]: the node that proposed crashes within aim_delay, restarts aim_for later."""
    _raft({"aim": ["proposed"], "chance": 1.0, "aim_delay": "1ms"})
    rows = traced[-1].recorder.trace_rows
    proposed = next((t, f["node"]) for t, k, f in rows if k == "proposed")
    crash = next((t, f["targets"]) for t, k, f in rows if k == "fault" and f["fault"] == "crash")
    assert crash[1] == proposed[1] and proposed[0] <= crash[0] <= proposed[0] + 1.0
    restart = next(t for t, k, f in rows if k == "fault" and f["fault"] == "restart")
    assert restart == pytest.approx(crash[0] + 50.0)


def test_a_new_leader_crashes_after_its_first_decision(traced: list[Any]) -> None:
    """aim: [first_commit]: the leader crashes within aim_delay of the first entry it decided
    as leader, before its followers hear of the commit."""
    _raft({"aim": ["first_commit"], "chance": 1.0, "aim_delay": "500us"})
    rows = traced[-1].recorder.trace_rows
    leader = next(f["node"] for t, k, f in rows if k == "became_leader")
    decided = next(t for t, k, f in rows if k == "decide" and f["node"] == leader)
    crash = next((t, f["targets"]) for t, k, f in rows if k == "fault" and f["fault"] == "crash")
    assert crash[1] == leader and decided <= crash[0] <= decided + 0.5


def test_aimed_faults_hold_fewer_than_half_the_nodes(traced: list[Any]) -> None:
    """However often moments come, at most two of five nodes are down by aimed faults."""
    _raft({"aim": ["proposed"], "chance": 1.0, "aim_delay": "1ms", "aim_for": "600ms"})
    down: set[str] = set()
    most = 0
    for _, kind, fields in traced[-1].recorder.trace_rows:
        if kind == "fault" and fields["fault"] in ("crash", "restart"):
            nodes = set(fields["targets"].split())
            down = down | nodes if fields["fault"] == "crash" else down - nodes
            most = max(most, len(down))
    assert most == 2


def test_buggify_draws_a_mix_per_seed() -> None:
    """buggify: seeds draw different kinds of faults; a seed always the same faults."""
    kinds = ["crash", "pause", "partition", "loss", "isolate"]
    nemesis = {"kinds": kinds, "every": "50ms", "for": "20ms", "buggify": True}
    mixes = set()
    for seed in range(1, 7):
        rows = _raft(nemesis, seed=seed).fault_rows
        mixes.add(frozenset(kind for _, kind, _ in rows if kind in kinds))
        assert rows == _raft(nemesis, seed=seed).fault_rows
    assert len(mixes) > 2


def test_persisted_moment_needs_fsync() -> None:
    """aim: [persisted] strikes during disk writes: without fsync the file is refused."""
    with pytest.raises(ScenarioError) as caught:
        make_scenario(faults=[{"nemesis": {"aim": ["persisted"], "every": "1s"}}])
    assert "faults[0].nemesis.aim: aim `persisted` needs cluster.durability: fsync" in str(
        caught.value.problems[0]
    )


def test_a_nemesis_needs_kinds_or_aim() -> None:
    """A nemesis with neither random kinds nor moments would do nothing: refused."""
    with pytest.raises(ScenarioError) as caught:
        make_scenario(faults=[{"nemesis": {"every": "1s"}}])
    assert "give `kinds` (random faults) or `aim` (protocol moments)" in str(caught.value)
