"""The simulator's store speaks append and delete, and runs check them with the store model."""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from sim.checks.linearizability import check_records
from sim.experiment.run import run
from sim.protocols.api.kv import KV
from sim.protocols.api.operations import FAIL, OK, Op
from sim.scenario import scenario_from_dict
from tests.conftest import SCENARIOS

MIX = {"write": 0.2, "read": 0.4, "cas": 0.1, "append": 0.2, "delete": 0.1}


def test_kv_append_and_delete() -> None:
    """Append builds a list onto a missing key, fails on a plain value; delete empties a key."""
    kv = KV()
    assert kv.apply(Op(1, "append", "k", 1)) is OK and kv.apply(Op(2, "append", "k", 2)) is OK
    seen = kv.apply(Op(3, "read", "k")).value
    assert seen == (1, 2)
    kv.apply(Op(4, "append", "k", 3))
    assert seen == (1, 2), "a read's result never changes afterwards"
    assert kv.apply(Op(5, "cas", "k", [(1, 2, 3), 9])) is OK
    assert kv.apply(Op(6, "append", "k", 4)) is FAIL
    assert kv.apply(Op(7, "delete", "k")) is OK and kv.apply(Op(8, "read", "k")).value is None
    assert kv.apply(Op(9, "append", "k", 5)) is OK and kv.read("k").value == (5,)


def _local_read_run(read: str) -> Any:
    raw = yaml.safe_load((SCENARIOS / "raft-local-read.yaml").read_text())
    raw["cluster"]["params"]["read"] = read
    raw["workload"].update(mix=MIX, keys=3)
    raw["duration"] = "2500ms"
    return run(scenario_from_dict(raw))


def test_runs_with_appends_and_deletes_are_checked() -> None:
    """Raft with log reads over all five operations is linearizable; with local reads the
    partitioned old leader's stale lists are caught, and a tampered list read is caught too."""
    result = _local_read_run("log")
    kinds = Counter((r["f"], r["type"]) for r in result.history)
    assert {f for f, _ in kinds} == set(MIX) and kinds["append", "ok"] > 50
    assert kinds["append", "fail"] > 0  # appends onto a written value fail
    assert result.summary["linearizable"] is True
    history = [dict(record) for record in result.history]
    reads = [r for r in history if r["f"] == "read" and r["type"] == "ok"]
    longest = max(reads, key=lambda r: len(r["value"]) if isinstance(r["value"], tuple) else 0)
    assert len(longest["value"]) >= 2
    longest["value"] = longest["value"][::-1]  # the same values, appended in another order
    assert not check_records(history).ok
    assert _local_read_run("local").summary["linearizable"] is False
