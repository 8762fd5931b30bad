"""Fault targets are resolved when the fault fires, from the cluster's state then."""

from __future__ import annotations

import numpy as np

from sim.engine import Simulation
from sim.faults.targets import resolve
from tests.conftest import make_scenario

NODES = ["n1", "n2", "n3", "n4", "n5"]


def _seed_cluster(target: str) -> Simulation:
    """Five seed nodes, one client writing to ``target`` for 100 ms."""
    scenario = make_scenario(
        duration="100ms",
        cluster={"nodes": 5, "protocol": "seed", "params": {"quorum": "majority"}},
        network={"latency": "1ms"},
        workload={"clients": 1, "target": target},
    )
    return Simulation(scenario).run()


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_leader_of_seed_is_the_last_proposer() -> None:
    """For the article's protocol, `leader` is the node that proposed last; `followers` are
    the other live nodes."""
    sim = _seed_cluster("n3")
    assert resolve(["leader"], sim, _rng()) == ["n3"]
    assert resolve(["followers"], sim, _rng()) == ["n1", "n2", "n4", "n5"]


def test_crashed_and_followers_follow_the_hosts() -> None:
    """`crashed` is the nodes down now; `followers` leaves them out, and so does `random`."""
    sim = _seed_cluster("n1")
    sim.hosts["n4"].crash()
    sim.hosts["n2"].crash()
    assert resolve(["crashed"], sim, _rng()) == ["n2", "n4"]
    assert resolve(["followers"], sim, _rng()) == ["n3", "n5"]
    rng = _rng()
    assert {resolve(["random"], sim, rng)[0] for _ in range(50)} == {"n1", "n3", "n5"}


def test_no_leader_means_no_target() -> None:
    """Before anyone proposed there is no leader: `leader` names nobody."""
    sim = _seed_cluster("n1")
    fresh = Simulation(sim.scenario)
    assert resolve(["leader"], fresh, _rng()) == []
    assert resolve(["followers"], fresh, _rng()) == NODES


def test_minority_and_majority_sizes() -> None:
    """Of five nodes a minority is two and a majority three, drawn at random, in cluster
    order."""
    sim = _seed_cluster("n1")
    rng = _rng()
    minorities = [resolve(["minority"], sim, rng) for _ in range(30)]
    assert {len(m) for m in minorities} == {2}
    assert len({tuple(m) for m in minorities}) > 1
    assert all(m == sorted(m, key=NODES.index) for m in minorities)
    assert len(resolve(["majority"], sim, rng)) == 3


def test_names_and_roles_mix_without_repeats() -> None:
    """A list may mix names and roles; a node named twice is one target."""
    sim = _seed_cluster("n2")
    assert resolve(["n5", "leader", "n2"], sim, _rng()) == ["n2", "n5"]


def test_same_generator_state_same_choice() -> None:
    """Random roles are a function of the generator they draw from."""
    sim = _seed_cluster("n1")
    first = [resolve(["minority"], sim, np.random.default_rng(7)) for _ in range(3)]
    again = [resolve(["minority"], sim, np.random.default_rng(7)) for _ in range(3)]
    assert first == again
