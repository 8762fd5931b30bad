"""Decisions keyed by slots that need not be log indices (EPaxos's (replica, instance)):
agreement is checked per slot; the order only where the protocol declares one."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sim.checks.replica import ReplicaSafety
from sim.experiment.run import run
from sim.protocols import register
from sim.protocols.api import Context, Op, Protocol, ProtocolParams
from sim.protocols.raft import Raft
from sim.protocols.seed import Seed
from tests.conftest import make_scenario


class InstancesParams(ProtocolParams):
    liar: str | None = None  # this node decides its own op at every slot it hears of


@register
class Instances(Protocol):
    """EPaxos-shaped slots without EPaxos: each node decides its instance 1 at (itself, 1) and
    tells the others, who decide it at the same pair slot, in whatever order the news comes."""

    name = "test-instances"
    Params = InstancesParams
    params: InstancesParams

    def on_start(self, ctx: Context) -> None:
        op = Op(f"own:{ctx.node_id}", "noop")
        ctx.decide((ctx.node_id, 1), op)
        ctx.broadcast(((ctx.node_id, 1), op))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        slot, op = msg
        if ctx.node_id == self.params.liar:
            op = Op(f"own:{ctx.node_id}", "noop")
        ctx.decide(slot, op)


def _run(tmp_path: Path, liar: str | None = None) -> tuple[dict[str, Any], list[list[str]]]:
    scenario = make_scenario(
        duration="50ms",
        cluster={"nodes": 3, "protocol": "test-instances", "params": {"liar": liar}},
        network={"latency": {"dist": "uniform", "low": "1ms", "high": "9ms"}},
        workload={"clients": 0},
    )
    result = run(scenario, out=tmp_path / "run")
    with (tmp_path / "run" / "decisions.csv").open(encoding="utf-8") as file:
        rows = list(csv.reader(file))
    return result.summary, rows


def _kinds(safety: ReplicaSafety) -> list[str]:
    return [violation["kind"] for violation in safety.violations]


def test_replicas_agreeing_per_pair_slot_are_safe_in_any_order() -> None:
    """Two replicas decide three (replica, instance) slots in different orders: no violation
    (the slots have no order to keep)."""
    safety = ReplicaSafety(ordered=False)
    ops = {("n1", 1): Op("a", "noop"), ("n2", 1): Op("b", "noop"), ("n1", 2): Op("c", "noop")}
    for slot in [("n2", 1), ("n1", 2), ("n1", 1)]:
        assert safety.decide("n1", slot, ops[slot], 1.0)
    for slot in [("n1", 1), ("n2", 1), ("n1", 2)]:
        assert not safety.decide("n2", slot, ops[slot], 2.0)
    assert safety.ok


def test_two_ops_at_one_pair_slot_break_agreement_at_that_slot() -> None:
    """n2 decides another op at ("n1", 1): an agreement violation naming the slot, both nodes
    and both ops; the other slot stays fine."""
    safety = ReplicaSafety(ordered=False)
    safety.decide("n1", ("n1", 1), Op("a", "noop"), 1.0)
    safety.decide("n1", ("n2", 1), Op("b", "noop"), 1.0)
    safety.decide("n2", ("n2", 1), Op("b", "noop"), 2.0)
    safety.decide("n2", ("n1", 1), Op("z", "noop"), 3.0)
    [violation] = safety.violations
    assert violation["kind"] == "agreement" and violation["index"] == ("n1", 1)
    assert violation["nodes"] == ["n1", "n2"] and violation["ops"] == ["a", "z"]
    assert violation["message"].startswith("slot ('n1', 1): n1 decided op a")


def test_ordered_slots_report_a_gap_and_unordered_ones_do_not() -> None:
    """Index 3 before index 2 is a gap for a log protocol, and nothing for an unordered one."""
    for ordered, expected in ((True, ["gap"]), (False, [])):
        safety = ReplicaSafety(ordered=ordered)
        safety.decide("n1", 1, Op("a", "noop"), 1.0)
        safety.decide("n1", 3, Op("c", "noop"), 2.0)
        assert _kinds(safety) == expected


def test_log_protocols_declare_ordered_slots() -> None:
    """Raft and the article's protocol number their decisions 1, 2, 3, ...; the base class
    declares no order."""
    assert Raft.ordered_slots and Seed.ordered_slots and not Protocol.ordered_slots


def test_pair_slots_run_safely_and_are_written_as_json(tmp_path: Path) -> None:
    """Nine decisions of three pair slots, out of order at the receivers: safe, and
    decisions.csv names each slot as a JSON pair in its index column."""
    summary, rows = _run(tmp_path)
    assert summary["safety"]["ok"] and summary["decisions"] == 9
    assert rows[0] == ["node", "index", "op_id", "decided_ms"]
    assert sorted({row[1] for row in rows[1:]}) == ['["n1",1]', '["n2",1]', '["n3",1]']


def test_a_replica_deciding_another_op_at_a_pair_slot_is_caught_there(tmp_path: Path) -> None:
    """n3 decides its own op at the others' slots: one agreement violation per such slot."""
    summary, _ = _run(tmp_path, liar="n3")
    violations = summary["safety"]["violations"]
    assert {v["kind"] for v in violations} == {"agreement"}
    assert sorted(v["index"] for v in violations) == [("n1", 1), ("n2", 1)]
