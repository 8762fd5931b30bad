"""The network: distributions, loss, duplication, ordering, partitions, per-link streams."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.core.environment import Environment
from sim.core.rng import RandomStreams
from sim.metrics.recorder import Recorder
from sim.network import Network, mean_of, sampler
from sim.scenario.model import Network as NetworkConfig

NODES = ("n1", "n2", "n3")


def build(**config: Any) -> tuple[Environment, Network, list[tuple[float, str, str, Any]]]:
    env = Environment()
    recorder = Recorder(NODES)
    recorder.clock = env
    network = Network(env, NetworkConfig.model_validate(config), NODES, RandomStreams(3), recorder)
    received: list[tuple[float, str, str, Any]] = []
    for node in NODES:
        network.attach(node, lambda src, msg, node=node: received.append((env.now, src, node, msg)))
    return env, network, received


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "constant", "value": 3.0},
        {"dist": "uniform", "low": 1.0, "high": 5.0},
        {"dist": "normal", "mean": 10.0, "std": 2.0},
        {"dist": "lognormal", "median": 4.0, "sigma": 0.5},
        {"dist": "exponential", "mean": 2.5},
        {"dist": "pareto", "scale": 1.0, "shape": 3.0},
        {"dist": "empirical", "samples": [1.0, 2.0, 6.0]},
    ],
)
def test_latency_sample_mean_matches_distribution(dist: dict[str, Any]) -> None:
    """The sample mean of 200k draws is within 1.5% of the distribution's closed-form mean."""
    model = NetworkConfig.model_validate({"latency": dist}).latency
    values = sampler(model)(np.random.default_rng(1), 200_000)
    assert values.min() >= 0
    assert values.mean() == pytest.approx(mean_of(model), rel=0.015)


def test_normal_is_redrawn_below_zero() -> None:
    """A normal with mean near zero never yields a negative latency."""
    model = NetworkConfig.model_validate({"latency": {"dist": "normal", "mean": 0.5, "std": 2}})
    values = sampler(model.latency)(np.random.default_rng(1), 10_000)
    assert values.min() >= 0
    assert values.mean() > 1.0  # the truncated normal's mean (1.76) is above the untruncated


def test_duration_shorthand_is_constant() -> None:
    """`latency: 5ms` delivers every message exactly 5 ms later."""
    env, network, received = build(latency="5ms")
    for i in range(10):
        network.send("n1", "n2", i)
    env.run()
    assert [t for t, *_ in received] == [5.0] * 10


def test_loss_one_delivers_nothing() -> None:
    """With loss 1.0 every message is dropped and counted as such."""
    env, network, received = build(loss=1.0)
    for i in range(100):
        network.send("n1", "n2", i)
    env.run()
    assert received == [] and network.dropped == 100


def test_loss_rate_is_its_probability() -> None:
    """With loss 0.2, about 20% of 20k messages are dropped."""
    env, network, received = build(loss=0.2)
    for i in range(20_000):
        network.send("n1", "n2", i)
    env.run()
    assert network.dropped / 20_000 == pytest.approx(0.2, abs=0.01)
    assert len(received) + network.dropped == 20_000


def test_duplicate_one_delivers_everything_twice() -> None:
    """With duplicate 1.0 every message arrives exactly twice."""
    env, network, received = build(duplicate=1.0)
    for i in range(50):
        network.send("n1", "n2", i)
    env.run()
    assert sorted(m for *_, m in received) == sorted(list(range(50)) * 2)
    assert network.duplicated == 50


def test_fifo_keeps_per_link_order_and_unordered_does_not() -> None:
    """Per-link FIFO delivers in send order despite jitter; unordered links reorder."""
    jitter = {"dist": "exponential", "mean": 5.0}
    for ordering, in_order in (("fifo", True), ("unordered", False)):
        env, network, received = build(latency=jitter, ordering=ordering)
        for i in range(200):
            network.send("n1", "n2", i)
        env.run()
        order = [m for *_, m in received]
        assert (order == list(range(200))) is in_order


def test_link_overrides_apply_in_order_and_symmetric() -> None:
    """A later override wins; `symmetric` applies it to the reverse direction too."""
    env, network, received = build(
        latency="1ms",
        links=[
            {"from": "n1", "to": ["n2", "n3"], "latency": "10ms"},
            {"from": "n1", "to": "n3", "latency": "30ms", "symmetric": True},
        ],
    )
    for src, dst in (("n1", "n2"), ("n1", "n3"), ("n3", "n1"), ("n2", "n1")):
        network.send(src, dst, f"{src}->{dst}")
    env.run()
    arrival = {m: t for t, _, _, m in received}
    assert arrival == {"n1->n2": 10.0, "n1->n3": 30.0, "n3->n1": 30.0, "n2->n1": 1.0}


def test_partition_cuts_across_groups_and_heal_restores() -> None:
    """A partition drops messages between groups (both ways) but not within; heal undoes it."""
    env, network, received = build()
    network.partition([["n1"], ["n2", "n3"]])
    for src, dst in (("n1", "n2"), ("n2", "n1"), ("n2", "n3")):
        network.send(src, dst, "during")
    network.heal()
    network.send("n1", "n2", "after")
    env.run()
    assert sorted((s, d, m) for _, s, d, m in received) == [
        ("n1", "n2", "after"),
        ("n2", "n3", "during"),
    ]
    assert network.dropped == 2


def test_unnamed_nodes_form_their_own_group() -> None:
    """Nodes named in no group are together in one more group."""
    _, network, _ = build()
    network.partition([["n1"]])
    assert network.connected("n2", "n3")
    assert not network.connected("n1", "n2")


def test_each_link_has_its_own_stream() -> None:
    """Traffic on one link does not change the latencies drawn on another (common random
    numbers across compared runs)."""
    jitter = {"dist": "exponential", "mean": 5.0}

    def arrivals(also_other_link: bool) -> list[float]:
        env, network, received = build(latency=jitter)
        for i in range(50):
            if also_other_link:
                network.send("n1", "n3", "other")
            network.send("n1", "n2", i)
        env.run()
        return sorted(t for t, _, dst, _ in received if dst == "n2")

    assert arrivals(False) == arrivals(True)
