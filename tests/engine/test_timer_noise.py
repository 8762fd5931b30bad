"""Timer noise: `cluster.timer_jitter` and `cluster.clock_drift` move timers by exactly what their
distributions say, leave every other draw alone, and keep runs deterministic."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

from sim import run
from sim.cli import app
from sim.core.environment import Environment
from sim.core.rng import RandomStreams
from sim.engine import Simulation
from sim.engine.timer_noise import timer_noises
from sim.protocols import Protocol, ProtocolParams, register
from sim.scenario.model import Cluster
from sim.scenario.schema import scenario_schema
from tests.conftest import make_scenario

TICK = 100.0  # ms of the node's own clock


class TickerParams(ProtocolParams):
    tick: float = TICK


@register
class Ticker(Protocol):
    """Test protocol: each node sets a timer of `tick` ms at start and again each time it fires,
    noting (node, simulated time, its own clock, a draw from its stream) at each firing."""

    name = "test-noisy-ticker"
    Params = TickerParams
    fired: ClassVar[list[tuple[str, float, float, float]]] = []

    def on_start(self, ctx: Any) -> None:
        ctx.set_timer("tick", self.params.tick)

    def on_message(self, ctx: Any, src: str, msg: Any) -> None:
        pass

    def on_timer(self, ctx: Any, name: str) -> None:
        Ticker.fired.append((ctx.node_id, ctx.env.now, ctx.now, ctx.uniform(0.0, 1.0)))
        ctx.set_timer("tick", self.params.tick)


def _tick(
    duration: str = "1s", nodes: int = 1, faults: list[Any] | None = None, **cluster: Any
) -> list[tuple[str, float, float, float]]:
    Ticker.fired = []
    scenario = make_scenario(
        duration=duration,
        cluster={"nodes": nodes, "protocol": "test-noisy-ticker", **cluster},
        workload={"clients": 0},
        faults=faults or [],
    )
    Simulation(scenario).run()
    return Ticker.fired


def _gaps(fired: list[tuple[str, float, float, float]]) -> np.ndarray:
    times = np.array([0.0] + [t for _, t, _, _ in fired])
    return np.diff(times)


def test_exponential_jitter_adds_its_mean() -> None:
    """With jitter {exponential, mean 2ms} the extra delay of 20,000 firings averages 2 ms (four
    standard errors: 2 / sqrt(n) each) and its variance is the exponential's, 4 ms^2."""
    fired = _tick(duration="2050s", timer_jitter={"dist": "exponential", "mean": "2ms"})
    extra = _gaps(fired) - TICK
    assert len(extra) >= 20_000
    assert extra.min() >= 0.0
    assert abs(extra.mean() - 2.0) < 4 * 2.0 / math.sqrt(len(extra))
    assert extra.var() == pytest.approx(4.0, rel=0.1)


def test_jitter_is_the_node_streams_draws_in_order() -> None:
    """The extra delays are, one by one, 2 x the standard exponentials of the stream
    `timer:n1`: the jitter has a stream of its own, drawn in order."""
    fired = _tick(duration="10s", timer_jitter={"dist": "exponential", "mean": "2ms"})
    extra = _gaps(fired) - TICK
    expected = 2.0 * RandomStreams(1).generator("timer:n1").standard_exponential(len(extra))
    np.testing.assert_allclose(extra, expected, rtol=0, atol=1e-9)


def test_jitter_leaves_the_protocols_draws_alone() -> None:
    """Common random numbers: with jitter on, the node's own stream (`ctx.uniform`) gives the
    same values as with it off; only the firing times move."""
    plain = _tick(nodes=3)
    noisy = _tick(nodes=3, timer_jitter={"dist": "uniform", "low": "1ms", "high": "5ms"})
    by_node = {n: [u for m, _, _, u in plain if m == n] for n in ("n1", "n2", "n3")}
    for node, draws in by_node.items():
        mine = [u for m, _, _, u in noisy if m == node]
        assert mine == draws[: len(mine)] and len(mine) >= 8
    assert [t for _, t, _, _ in noisy] != [t for _, t, _, _ in plain]


def test_fast_clock_fires_timers_early_by_its_drift() -> None:
    """With drift +1000ppm a 100 ms timer set at 0 fires at exactly 100/1.001 ms of simulated
    time, when the node's own clock reads 100 ms; -1000ppm fires at 100/0.999."""
    fast = _tick(duration="150ms", clock_drift={"n1": "1000ppm"})
    assert fast[0][1] == 100 / 1.001
    assert fast[0][2] == pytest.approx(100.0, rel=1e-15)
    slow = _tick(duration="150ms", clock_drift={"n1": "-1000ppm"})
    assert slow[0][1] == 100 / 0.999


def test_drift_gaps_and_own_clock_over_many_firings() -> None:
    """Every gap is 100/1.001 ms of simulated time and 100 ms of the node's own clock, which
    reads 1.001 x simulated time; a node the mapping does not name keeps exact time."""
    fired = _tick(duration="10s", nodes=2, clock_drift={"n1": "1000ppm"})
    n1 = [f for f in fired if f[0] == "n1"]
    n2 = [f for f in fired if f[0] == "n2"]
    np.testing.assert_allclose(_gaps(n1), 100 / 1.001, rtol=1e-12)
    for _, true, local, _ in n1:
        assert local == pytest.approx(1.001 * true, rel=1e-15)
    assert [t for _, t, _, _ in n2] == [100.0 * k for k in range(1, len(n2) + 1)]
    assert all(local == true for _, true, local, _ in n2)


def test_drift_composes_with_a_clock_fault() -> None:
    """Under a clock fault of factor 2 a node of drift +1000ppm fires its 100 ms timer after
    100 / (2 x 1.001) ms; the fault leaves its clock's rate (now) alone."""
    fired = _tick(
        duration="400ms",
        clock_drift={"n1": "1000ppm"},
        faults=[{"at": "50ms", "clock": {"node": "n1", "factor": 2.0}}],
    )
    gaps = _gaps(fired)
    assert gaps[0] == 100 / 1.001  # set before the fault
    np.testing.assert_allclose(gaps[1:], 100 / (2 * 1.001), rtol=1e-12)
    assert fired[-1][2] == pytest.approx(1.001 * fired[-1][1], rel=1e-15)


def _drifts(cluster: Cluster) -> dict[str, float]:
    noises = timer_noises(cluster, RandomStreams(7), Environment())
    return {node: noise.drift if noise is not None else 0.0 for node, noise in noises.items()}


def test_uniform_drift_per_node_has_the_uniform_law() -> None:
    """{low: -50ppm, high: 50ppm} over 4,000 nodes: every drift within the range, their mean 0
    and variance (100ppm)^2 / 12 within sampling error, extremes near the bounds; each node's
    drift is its own stream's (the same in a cluster of 3)."""
    drift = {"low": "-50ppm", "high": "50ppm"}
    big = _drifts(Cluster(nodes=4000, clock_drift=drift))
    values = np.array(list(big.values()))
    assert len(values) == 4000
    assert values.min() >= -50e-6 and values.max() < 50e-6
    sd = 100e-6 / math.sqrt(12)
    assert abs(values.mean()) < 4 * sd / math.sqrt(len(values))
    assert values.var() == pytest.approx(sd**2, rel=0.1)
    assert values.min() < -49e-6 and values.max() > 49e-6
    small = _drifts(Cluster(nodes=3, clock_drift=drift))
    assert small == {k: big[k] for k in ("n1", "n2", "n3")}


def test_the_drawn_drift_is_the_nodes_in_the_run() -> None:
    """A run's hosts carry the drifts drawn for them, and a node with neither drift nor jitter
    carries no noise at all."""
    scenario = make_scenario(
        cluster={"nodes": 3, "protocol": "raft", "clock_drift": {"n2": "30ppm"}},
        workload={"clients": 0},
    )
    hosts = Simulation(scenario).hosts
    assert hosts["n2"].drift == 30e-6 and hosts["n2"].now == 0.0
    assert hosts["n1"].drift == 0.0 and hosts["n1"]._noise is None


FILES = ("requests.csv", "decisions.csv", "elections.csv", "history.jsonl", "trace.jsonl")


def _run_bytes(tmp_path: Path, name: str, **cluster: Any) -> dict[str, bytes]:
    scenario = make_scenario(
        duration="3s",
        seed=4,
        cluster={
            "nodes": 5,
            "protocol": "raft",
            "params": {"election_timeout": ["150ms", "151ms"], "heartbeat": "50ms"},
            **cluster,
        },
        network={"latency": {"dist": "uniform", "low": "1ms", "high": "2ms"}},
        workload={"clients": 2, "think": "20ms", "mix": {"write": 1, "read": 1}},
        faults=[{"at": "1s", "crash": "leader", "for": "1s"}],
        checks={"linearizable": True},
    )
    out = tmp_path / name
    run(scenario, out=out, trace=True)
    return {f: (out / f).read_bytes() for f in FILES}


def test_noise_off_is_byte_identical(tmp_path: Path) -> None:
    """No noise keys, explicit nulls, an empty drift mapping and a drift of 0ppm all run the
    very same bytes: noise off is today's simulator."""
    plain = _run_bytes(tmp_path, "plain")
    assert _run_bytes(tmp_path, "nulls", timer_jitter=None, clock_drift=None) == plain
    assert _run_bytes(tmp_path, "empty", clock_drift={}) == plain
    assert _run_bytes(tmp_path, "zero", clock_drift={"n1": "0ppm"}) == plain


def test_noise_on_is_deterministic(tmp_path: Path) -> None:
    """The same seed with jitter and drift on gives the same bytes twice, and not those of the
    run without noise."""
    noise = {
        "timer_jitter": {"dist": "lognormal", "median": "200us", "sigma": 1.0},
        "clock_drift": {"low": "-50ppm", "high": "50ppm"},
    }
    first = _run_bytes(tmp_path, "a", **noise)
    assert _run_bytes(tmp_path, "b", **noise) == first
    assert _run_bytes(tmp_path, "plain") != first


BAD = [
    ("timer_jitter: {dist: exponential, mean: -2ms}", ":4:43: cluster.timer_jitter.mean: "),
    ("timer_jitter: {dist: normal, mean: 1ms, std: -1ms}", ":4:48: cluster.timer_jitter.std: "),
    ("timer_jitter: -3ms", ":4:17: cluster.timer_jitter: not a duration"),
    ("timer_jitter: {dist: gauss, mean: 1ms}", ":4:17: cluster.timer_jitter: unknown distri"),
    ("clock_drift: {n1: 2.0}", ":4:21: cluster.clock_drift.n1: a clock drift must be above"),
    ("clock_drift: {n1: 100000ppm}", ":4:21: cluster.clock_drift.n1: a clock drift must be"),
    ("clock_drift: {low: 50ppm, high: -50ppm}", ":4:35: cluster.clock_drift.high: must be >="),
    ("clock_drift: {low: 50ppm}", ":4:16: cluster.clock_drift.high: required key is missing"),
    ("clock_drift: {low: 5%, high: 1ppm}", ":4:22: cluster.clock_drift.low: not a clock drift"),
    ("clock_drift: {n1: 1ppm, n9: 2ppm}", ":4:31: cluster.clock_drift.n9: unknown node 'n9'"),
    ("clock_drift: 50ppm", ":4:16: cluster.clock_drift: input should be a valid dictionary"),
]


@pytest.mark.parametrize(("line", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_noise_is_exit_2_at_its_place(tmp_path: Path, line: str, expected: str) -> None:
    """`quorumsim validate` rejects a bad jitter or drift with exit 2 and FILE:LINE:COL."""
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\ncluster:\n  nodes: 3\n  {line}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}{expected}" in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_schema_takes_both_drift_forms() -> None:
    """The JSON Schema accepts a drift range and a per-node mapping (a range is not also a
    per-node mapping, which `oneOf` would refuse) and refuses a drift of 2.0."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(scenario_schema())

    def valid(cluster: dict[str, Any]) -> bool:
        return validator.is_valid({"name": "x", "cluster": cluster})

    assert valid({"clock_drift": {"low": "-50ppm", "high": "50ppm"}})
    assert valid({"clock_drift": {"n1": "30ppm", "n2": -2e-05}})
    assert valid({"timer_jitter": {"dist": "exponential", "mean": "2ms"}})
    assert not valid({"clock_drift": {"n1": 2.0}})
    assert not valid({"clock_drift": {"low": "1ppm"}})
