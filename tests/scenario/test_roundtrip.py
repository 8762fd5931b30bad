"""Any valid scenario, dumped as the resolved scenario.yaml and loaded again, is equal."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.experiment import resolved_yaml
from sim.scenario import load_scenario, scenario_from_dict

durations = st.one_of(
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.integers(min_value=0, max_value=10_000).map(lambda n: f"{n}ms"),
    st.integers(min_value=0, max_value=100).map(lambda n: f"{n}s"),
    st.integers(min_value=0, max_value=1000).map(lambda n: f"{n}us"),
)
positive = st.floats(min_value=0.001, max_value=1e5, allow_nan=False)
probability = st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def latencies(draw: st.DrawFn) -> Any:
    kind = draw(
        st.sampled_from(
            [
                "duration",
                "constant",
                "uniform",
                "normal",
                "lognormal",
                "exponential",
                "pareto",
                "empirical",
            ]
        )
    )
    if kind == "duration":
        return draw(durations)
    if kind == "constant":
        return {"dist": "constant", "value": draw(durations)}
    if kind == "uniform":
        low, high = sorted([draw(positive), draw(positive)])
        return {"dist": "uniform", "low": low, "high": high}
    if kind == "normal":
        return {"dist": "normal", "mean": draw(positive), "std": draw(positive)}
    if kind == "lognormal":
        return {
            "dist": "lognormal",
            "median": draw(positive),
            "sigma": draw(st.floats(0, 3, allow_nan=False)),
        }
    if kind == "exponential":
        return {"dist": "exponential", "mean": draw(positive)}
    if kind == "pareto":
        return {
            "dist": "pareto",
            "scale": draw(positive),
            "shape": draw(st.floats(0.1, 10, allow_nan=False)),
        }
    return {"dist": "empirical", "samples": draw(st.lists(positive, min_size=1, max_size=5))}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 9))
    names = [f"n{i}" for i in range(1, count + 1)]
    nodes: Any = count if draw(st.booleans()) else names
    links = [
        {
            "from": draw(st.sampled_from(names)),
            "to": draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)),
            "latency": draw(latencies()),
            "symmetric": draw(st.booleans()),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "name": draw(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)),
        "description": draw(st.text(max_size=30)),
        "seed": draw(st.integers(0, 2**40)),
        "duration": draw(st.integers(1, 10_000)),
        "cluster": {
            "nodes": nodes,
            "protocol": "seed",
            "params": {
                # Only quorums the cluster can form: the others are rejected (nothing commits).
                "quorum": draw(
                    st.sampled_from(
                        ["majority", *range(1, min(count, 2) + 1), *(["article"] * (count > 1))]
                    )
                ),
                "timeout": draw(st.one_of(st.none(), durations)),
            },
            "processing": draw(durations),
            "disk_write": draw(durations),
            # A small numeric quorum can be disjoint from another: allowed when unsafe.
            "unsafe": True,
        },
        "network": {
            "latency": draw(latencies()),
            "client_latency": draw(latencies()),
            "loss": draw(probability),
            "duplicate": draw(probability),
            "ordering": draw(st.sampled_from(["fifo", "unordered"])),
            "links": links,
        },
        "workload": {
            "clients": draw(st.integers(0, 20)),
            "mode": draw(st.sampled_from(["closed", "open"])),
            "rate": draw(st.one_of(positive, st.integers(1, 500).map(lambda n: f"{n}/s"))),
            "mix": draw(
                st.dictionaries(
                    st.sampled_from(["write", "read", "cas"]),
                    st.floats(0.1, 5, allow_nan=False),
                    min_size=1,
                )
            ),
            "keys": draw(st.integers(1, 100)),
            "target": draw(st.sampled_from(["leader", "any", *names])),
            "timeout": draw(st.floats(1, 1e4, allow_nan=False)),
        },
        "checks": {
            "expect": draw(st.sampled_from(["safe", "unsafe"])),
            "linearizable": draw(st.booleans()),
        },
        "sweep": draw(
            st.one_of(st.none(), st.just({"grid": {"network.loss": [0, 0.1]}, "seeds": 2}))
        ),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_resolved_yaml_loads_back_equal(data: dict[str, Any]) -> None:
    """Validate, dump as scenario.yaml, load the file: the same model, field for field."""
    scenario = scenario_from_dict(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(resolved_yaml(scenario), encoding="utf-8")
        assert load_scenario(path) == scenario
