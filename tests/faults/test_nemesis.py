"""The random nemesis: its fault schedule is a function of the seed alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim import run
from tests.conftest import make_scenario

ALL_KINDS = ["crash", "pause", "partition", "isolate", "loss", "duplicate", "delay", "clock"]


def _faults_csv(
    tmp_path: Path, seed: int, clients: int = 2, nemesis: dict[str, Any] | None = None
) -> str:
    scenario = make_scenario(
        duration="5s",
        seed=seed,
        cluster={"nodes": 5, "protocol": "seed", "params": {"timeout": "100ms"}},
        network={"latency": "1ms"},
        workload={"clients": clients, "target": "any", "timeout": "200ms"},
        faults=[{"nemesis": {"kinds": ALL_KINDS, "every": "200ms", **(nemesis or {})}}],
    )
    out = tmp_path / f"run-{seed}-{clients}"
    run(scenario, out=out)
    return (out / "faults.csv").read_text(encoding="utf-8")


def test_same_seed_same_faults(tmp_path: Path) -> None:
    """Two runs with one seed write the same faults.csv."""
    first = _faults_csv(tmp_path, 11)
    assert len(first.splitlines()) > 40
    assert _faults_csv(tmp_path, 11) == first


def test_other_seed_other_faults(tmp_path: Path) -> None:
    """Another seed draws another schedule."""
    assert _faults_csv(tmp_path, 11) != _faults_csv(tmp_path, 12)


def test_schedule_ignores_the_workload(tmp_path: Path) -> None:
    """The nemesis draws from its own stream: a different workload, the same faults."""
    assert _faults_csv(tmp_path, 11, clients=1) == _faults_csv(tmp_path, 11, clients=4)


def test_every_kind_strikes_and_is_undone(tmp_path: Path) -> None:
    """Over 25 strikes each kind turns up, and every fault is undone `for` after it struck."""
    lines = _faults_csv(tmp_path, 11, nemesis={"for": "50ms"}).splitlines()[1:]
    kinds = [line.split(",")[1] for line in lines]
    assert len(kinds) == 50
    undo = {"crash": "restart", "pause": "resume", "partition": "heal", "isolate": "heal"}
    for strike, end in zip(lines[::2], lines[1::2], strict=True):
        at, kind, targets = strike.split(",")
        end_at, end_kind, end_targets = end.split(",")
        assert float(end_at) == float(at) + 50
        assert end_kind == undo.get(kind, f"{kind}-end") and end_targets == targets
    assert set(kinds[::2]) == set(ALL_KINDS)


def test_stop_ends_the_nemesis(tmp_path: Path) -> None:
    """No strike at or after `stop`."""
    lines = _faults_csv(tmp_path, 11, nemesis={"stop": "1s"}).splitlines()[1:]
    strikes = [float(line.split(",")[0]) for line in lines[::2]]
    assert strikes == [0.0, 200.0, 400.0, 600.0, 800.0]
