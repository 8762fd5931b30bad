"""The replicated key-value store: each operation's result, and that the results mean to the
linearizability checker what they mean to the store (a failed cas did not happen)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sim.checks.linearizability import check_records
from sim.protocols.api import FAIL, KV, OK, Op, Result


def test_write_then_read() -> None:
    """A write answers ok and a read then returns the value; a key never written reads None."""
    kv = KV()
    assert kv.apply(Op(1, "write", "x", 5)) == OK
    assert kv.apply(Op(2, "read", "x")) == Result("ok", 5)
    assert kv.apply(Op(3, "read", "y")) == Result("ok", None)
    assert kv.read("x") == Result("ok", 5)


def test_cas_on_the_expected_value_happens_and_on_another_fails() -> None:
    """cas [5, 6] on 5 is ok and stores 6; cas [5, 7] on 6 is fail and stores nothing."""
    kv = KV()
    kv.apply(Op(1, "write", "x", 5))
    assert kv.apply(Op(2, "cas", "x", [5, 6])) == OK
    assert kv.apply(Op(3, "cas", "x", [5, 7])) == FAIL
    assert kv.data == {"x": 6}


def test_cas_on_a_key_never_written_expects_none() -> None:
    """An unset key holds None: cas [None, 1] succeeds on it, cas [0, 1] fails."""
    kv = KV()
    assert kv.apply(Op(1, "cas", "k", [0, 1])) == FAIL
    assert kv.apply(Op(2, "cas", "k", [None, 1])) == OK
    assert kv.data == {"k": 1}


def test_noop_changes_nothing_and_unknown_operations_are_errors() -> None:
    """A protocol's no-op is ok and leaves the store alone; another name is an error."""
    kv = KV()
    assert kv.apply(Op("noop:n1:1", "noop")) == OK and kv.data == {}
    with pytest.raises(ValueError, match="unknown operation 'incr'"):
        kv.apply(Op(1, "incr", "x", 1))


def _history(results: list[tuple[Op, Result]], status_of: Any) -> list[dict[str, Any]]:
    """Sequential client records: each op invoked and completed before the next."""
    records = []
    for time, (op, result) in enumerate(results):
        base = {"process": 0, "f": op.op, "key": op.key, "time": float(2 * time)}
        records.append({**base, "type": "invoke", "value": op.value})
        value = result.value if op.op == "read" else op.value
        records.append({**base, "type": status_of(result), "value": value, "time": 2.0 * time + 1})
    return records


@pytest.mark.parametrize("seed", range(10))
def test_the_checker_accepts_the_stores_answers_and_not_a_failed_cas_called_ok(seed: int) -> None:
    """Random reads, writes and cas on one key, answered by the store: linearizable as they
    are; with every failed cas reported ok instead (the old docstring's reading), not."""
    rng = random.Random(seed)
    kv = KV()
    results = []
    for op_id in range(30):
        kind = rng.choice(["read", "write", "cas", "cas"])
        value = None if kind == "read" else rng.randint(0, 2)
        if kind == "cas":
            value = [rng.randint(0, 2), rng.randint(0, 2)]
        op = Op(op_id, kind, "x", value)
        results.append((op, kv.apply(op)))
    assert check_records(_history(results, lambda r: r.status)).ok
    if any(result is FAIL for _, result in results):
        assert not check_records(_history(results, lambda r: "ok")).ok
