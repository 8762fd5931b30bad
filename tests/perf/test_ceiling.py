"""The hand-written ceilings (benchmarks/ceiling.py) bound quorumsim's speed only if they do the
same work: these hold them to quorumsim's own runs of the quick-start, operation for operation."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.ceiling import raft_ceiling, seed_ceiling
from benchmarks.ceiling_api import raft_api_ceiling, seed_api_ceiling
from sim import load_scenario, run

QUICKSTART = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml"
RAFT = ["cluster.protocol=raft", "cluster.params={}", "workload.target=leader"]


def _quorumsim(overrides: list[str]) -> tuple[int, int, int]:
    result = run(load_scenario(QUICKSTART, overrides=["duration=2s", *overrides]), trace=False)
    ops = result.summary["ops"]["ok"]
    return result.summary["messages"]["sent"], ops, len(result.decisions)


@pytest.mark.parametrize(
    ("ceiling", "overrides", "per_op", "slack"),
    # (Raft spends its first 200-300 ms of 2 s electing a leader; its ceiling starts with one.)
    [
        (seed_ceiling, [], 12, 0.02),
        (seed_api_ceiling, [], 12, 0.02),
        (raft_ceiling, RAFT, 8, 0.15),
        (raft_api_ceiling, RAFT, 8, 0.15),
    ],
)
def test_a_ceiling_does_the_quickstarts_work(ceiling, overrides, per_op, slack) -> None:
    """Same messages and decisions per operation as quorumsim, and about as many operations."""
    work = ceiling(2000.0)
    messages, ops, decisions = _quorumsim(overrides)
    assert work.messages / work.operations == pytest.approx(per_op, rel=0.01)
    assert messages / ops == pytest.approx(work.messages / work.operations, rel=0.03)
    assert work.decisions / work.operations == pytest.approx(5, rel=0.01)
    assert decisions / ops == pytest.approx(5, rel=0.01)
    assert ops * 0.98 <= work.operations <= ops * (1 + slack)


def test_an_unrecorded_ceiling_keeps_nothing() -> None:
    """record=False is the bare protocol: the same messages, no decision rows."""
    bare, recorded = seed_ceiling(500.0, record=False), seed_ceiling(500.0)
    assert bare.messages == recorded.messages and bare.decisions == 0 < recorded.decisions


@pytest.mark.parametrize(
    ("bare", "shaped"), [(seed_ceiling, seed_api_ceiling), (raft_ceiling, raft_api_ceiling)]
)
def test_the_api_shaped_ceiling_does_the_hand_written_ones_work(bare, shaped) -> None:
    """Through the protocol API, the very same run: messages, operations and decisions."""
    a, b = bare(1000.0), shaped(1000.0)
    assert (a.messages, a.operations, a.decisions) == (b.messages, b.operations, b.decisions)
