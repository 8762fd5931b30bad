"""Same scenario + seed = identical output bytes; another seed, other bytes."""

from __future__ import annotations

from pathlib import Path

from sim import load_scenario, run
from tests.conftest import SCENARIOS

FILES = ("requests.csv", "decisions.csv", "trace.jsonl", "history.jsonl")


def _run(tmp_path: Path, name: str, seed: int) -> dict[str, bytes]:
    scenario = load_scenario(SCENARIOS / "seed-reorder.yaml", overrides=["duration=1s"])
    out = tmp_path / name
    run(scenario, seed=seed, out=out, trace=True)
    return {f: (out / f).read_bytes() for f in FILES}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    """Two runs of one file and seed write byte-identical tables and traces."""
    first, second = _run(tmp_path, "a", 5), _run(tmp_path, "b", 5)
    assert all(first[f] for f in FILES)
    assert first == second


def test_other_seed_other_bytes(tmp_path: Path) -> None:
    """Another seed draws other latencies: requests, decisions and trace all differ."""
    first, other = _run(tmp_path, "a", 5), _run(tmp_path, "c", 6)
    for name in ("requests.csv", "decisions.csv", "trace.jsonl"):
        assert first[name] != other[name]
