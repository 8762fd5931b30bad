"""Traced runs to replay, made once per session: the split brain (a partition, drops, a safety
violation), Raft through pauses, an isolation, a cut and crashes, and each written as a replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim import load_scenario, run
from sim.replay import write_replay
from tests.conftest import SCENARIOS, make_scenario

RAFT_FAULTS = {
    "name": "raft-faults",
    "duration": "3s",
    "seed": 3,
    "cluster": {
        "nodes": 5,
        "protocol": "raft",
        "params": {"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"},
    },
    "network": {"latency": {"dist": "lognormal", "median": "2ms", "sigma": 0.3}},
    "workload": {"clients": 2, "think": "20ms", "timeout": "300ms"},
    "faults": [
        {"at": "700ms", "pause": "leader", "for": "400ms"},
        {"at": "1500ms", "isolate": "leader", "for": "500ms"},
        {"at": "2200ms", "cut": {"from": "n1", "to": "n2"}, "for": "300ms"},
        {"at": "2600ms", "crash": "leader", "for": "200ms"},
    ],
}


PAXOS_CRASH = {
    "name": "paxos-crash",
    "duration": "1500ms",
    "seed": 4,
    "cluster": {
        "nodes": 3,
        "protocol": "multipaxos",
        "params": {"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"},
    },
    "network": {"latency": "1ms"},
    "workload": {"clients": 1, "think": "20ms", "timeout": "300ms"},
    "faults": [{"at": "600ms", "crash": "leader", "for": "300ms"}],
}


def _replayed(out: Path, scenario: Any) -> Path:
    run(scenario, out=out, trace=True)
    write_replay(out)
    return out


@pytest.fixture(scope="session")
def paxos_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Multi-Paxos through a leader crash, and Flexible Paxos's split brain (q1 + q2 <= n)."""
    base = tmp_path_factory.mktemp("replay")
    return {
        "multipaxos": _replayed(base / "multipaxos", make_scenario(**PAXOS_CRASH)),
        "fpaxos": _replayed(base / "fpaxos", load_scenario(SCENARIOS / "fpaxos-unsafe.yaml")),
    }


@pytest.fixture(scope="session")
def split_brain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The split-brain teaching scenario, traced, with its replay.html."""
    out = tmp_path_factory.mktemp("replay") / "split-brain"
    run(load_scenario(SCENARIOS / "seed-split-brain.yaml"), out=out, trace=True)
    write_replay(out)
    return out


@pytest.fixture(scope="session")
def raft_faults(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raft under a pause, an isolation, a cut and a crash of the leader, traced, replayed."""
    out = tmp_path_factory.mktemp("replay") / "raft-faults"
    run(make_scenario(**RAFT_FAULTS), out=out, trace=True)
    write_replay(out)
    return out
