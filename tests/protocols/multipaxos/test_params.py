"""Multi-Paxos's and Flexible Paxos's parameters: quorums, and the scenarios they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import run
from sim.protocols.multipaxos import FPaxosParams, MultiPaxosParams
from sim.protocols.multipaxos.quorums import GridColumns, GridRows, Threshold
from sim.protocols.registry import get_protocol
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import SCENARIOS, make_scenario
from tests.protocols.multipaxos.helpers import FIVE

SIX = ("a1", "a2", "a3", "b1", "b2", "b3")


def test_both_names_are_registered_with_their_parameters() -> None:
    """multipaxos and fpaxos are built in; only fpaxos takes quorum parameters."""
    assert get_protocol("multipaxos").Params is MultiPaxosParams
    assert get_protocol("fpaxos").Params is FPaxosParams
    assert {"q1", "q2", "grid", "window", "max_batch"} <= set(FPaxosParams.model_fields)
    assert "q1" not in MultiPaxosParams.model_fields


@pytest.mark.parametrize(
    ("params", "sizes"),
    [
        ({}, (3, 3)),
        ({"q2": 2}, (4, 2)),
        ({"q1": 2, "q2": 4}, (2, 4)),
        ({"q2": 5}, (1, 5)),
    ],
)
def test_quorum_sizes_default_to_the_smallest_that_meet(params: dict, sizes: tuple) -> None:
    """q2 defaults to a majority and q1 to n - q2 + 1."""
    phase1, phase2 = FPaxosParams(**params).phase_quorums(FIVE)
    assert isinstance(phase1, Threshold) and isinstance(phase2, Threshold)
    assert (phase1.size, phase2.size) == sizes


def test_a_grid_needs_a_whole_row_for_phase_2_and_a_node_per_row_for_phase_1() -> None:
    """On a 2 x 3 grid {a1, a2, a3} is a phase-2 quorum and {a1, b3} a phase-1 one; every
    pair of them meets, and the lease needs a whole row."""
    phase1, phase2 = FPaxosParams(grid=(2, 3)).phase_quorums(SIX)
    assert isinstance(phase1, GridColumns) and isinstance(phase2, GridRows)
    assert phase2.is_quorum({"a1", "a2", "a3"}) and not phase2.is_quorum({"a1", "a2", "b3"})
    assert phase1.is_quorum({"a1", "b3"}) and not phase1.is_quorum({"a1", "a2", "a3"})
    subsets = [{n for i, n in enumerate(SIX) if mask >> i & 1} for mask in range(64)]
    ones = [s for s in subsets if phase1.is_quorum(s)]
    twos = [s for s in subsets if phase2.is_quorum(s)]
    assert all(one & two for one in ones for two in twos)  # brute force: they all meet
    lease = FPaxosParams(grid=(2, 3)).lease_quorum(SIX)
    assert lease.newest_common_time({"a1": 5.0, "a2": 7.0, "a3": 6.0, "b1": 9.0}) == 5.0


def _load(tmp_path: Path, params: str, unsafe: bool = False) -> None:
    text = (SCENARIOS / "fpaxos-unsafe.yaml").read_text(encoding="utf-8")
    text = text.replace("{q1: 2, q2: 2, election_timeout: [150ms, 300ms], heartbeat: 50ms}", params)
    if not unsafe:
        text = text.replace("  unsafe: true", "  unsafe: false")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    load_scenario(path)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{q1: 2, q2: 2}", "s.yaml:16:16: cluster.params.q1: a phase-1 quorum (2 of 5 nodes) and"),
        ("{q1: 6}", "cluster.params.q1: a quorum of 6 nodes can never form in a cluster of 5"),
        ("{grid: [2, 3]}", "cluster.params.grid: a 2 x 3 grid needs 6 nodes, not 5"),
        ("{grid: [1, 5], q2: 2}", "cluster.params: give either grid or q1/q2, not both"),
        ("{window: 0}", "cluster.params.window: input should be greater than or equal to 1"),
        ("{commit: lazy}", "cluster.params.commit: input should be 'piggyback' or 'eager'"),
    ],
)
def test_bad_parameters_are_refused_at_their_key(tmp_path: Path, params: str, message: str) -> None:
    """Disjoint quorums (without cluster.unsafe), quorums that can never form, a grid of the
    wrong shape and out-of-range settings are errors at the key that sets them."""
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, params)
    assert message in str(caught.value)


def test_disjoint_quorums_load_when_the_scenario_says_unsafe(tmp_path: Path) -> None:
    """cluster.unsafe: true lets a teaching scenario have q1 + q2 <= n."""
    _load(tmp_path, "{q1: 2, q2: 2}", unsafe=True)


def test_a_grid_cluster_keeps_going_with_a_node_of_one_row_down() -> None:
    """On a 2 x 3 grid with b2 crashed for a second, row a is still a phase-2 quorum and
    {a_, b1 or b3} a phase-1 one: the run commits throughout, safe and linearizable."""
    scenario = make_scenario(
        seed=3,
        duration="3s",
        cluster={
            "nodes": list(SIX),
            "protocol": "fpaxos",
            "params": {"grid": [2, 3], "election_timeout": ["100ms", "200ms"]},
        },
        network={"latency": "1ms"},
        workload={"clients": 2, "mix": {"write": 1, "read": 1}, "timeout": "300ms"},
        faults=[{"at": "1s", "crash": "b2"}, {"at": "2s", "restart": "crashed"}],
        checks={"linearizable": True},
    )
    summary = run(scenario).summary
    assert summary["safety"]["violations"] == [] and summary["linearizable"]
    assert summary["ops"]["ok"] > 100
