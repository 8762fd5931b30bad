"""The outbox's fast path puts exactly what the plain send path puts on the queue."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from sim.core.environment import Environment
from sim.core.rng import RandomStreams
from sim.metrics.recorder import Recorder
from sim.network import Network
from sim.scenario.model import Network as NetworkConfig

NODES = ("n1", "n2", "n3", "n4")


def _network(config: dict[str, Any], tracing: bool) -> tuple[Environment, Network, Recorder]:
    env = Environment()
    recorder = Recorder(NODES, tracing=tracing)
    recorder.clock = env
    network = Network(env, NetworkConfig.model_validate(config), NODES, RandomStreams(11), recorder)
    for node in NODES:  # a host per node: messages travel as bare queue entries
        network.attach(node, lambda src, msg: None, host=SimpleNamespace(node_id=node))
    return env, network, recorder


def _script(seed: int) -> list[tuple[float, str, str | None, int, float]]:
    """(time, sender, receiver or None for a broadcast, message, disk hold) in time order."""
    rng = np.random.default_rng(seed)
    steps = []
    for i in range(300):
        src = NODES[int(rng.integers(len(NODES)))]
        dst = None if rng.random() < 0.3 else NODES[int(rng.integers(len(NODES)))]
        hold = float(rng.choice([0.0, 0.0, 2.5]))
        steps.append((float(i) * 0.5, src, dst, i, hold))
    return steps


def _queued(config: dict[str, Any], fast: bool, tracing: bool, seed: int) -> Any:
    env, network, recorder = _network(config, tracing)
    senders = {n: SimpleNamespace(_hold=0.0) for n in NODES}
    peers = {n: tuple(p for p in NODES if p != n) for n in NODES}
    boxes = {n: network.outbox(n, peers[n], senders[n]) for n in NODES}
    for at, src, dst, msg, hold in _script(seed):
        env.now = at
        senders[src]._hold = hold
        if fast:
            send, broadcast = boxes[src]
            if dst is None:
                broadcast(msg)
            else:
                send(dst, msg)
        else:  # the plain path, one message at a time
            for target in peers[src] if dst is None else (dst,):
                network.send(src, target, msg, hold)
    entries = sorted(
        (entry[0], entry[1], entry[2], entry[3].node_id, entry[4], entry[5]) for entry in env.queue
    )
    return entries, network.sent, recorder.trace_rows


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("tracing", [False, True])
@pytest.mark.parametrize(
    "config",
    [
        {"latency": {"dist": "exponential", "mean": 3.0}},
        {"latency": {"dist": "uniform", "low": 1.0, "high": 9.0}, "ordering": "fifo"},
        {"latency": 2.0, "links": [{"from": "n1", "to": "n2", "loss": 0.3, "symmetric": True}]},
    ],
)
def test_fast_path_equals_plain_path(config: dict[str, Any], tracing: bool, seed: int) -> None:
    """Same arrival times, ids, receivers and trace rows, message for message (a lossy link
    goes the slow way in both)."""
    assert _queued(config, True, tracing, seed) == _queued(config, False, tracing, seed)
