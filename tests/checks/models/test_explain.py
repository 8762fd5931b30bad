"""What a failure says under each kind of model, and what it gives the failure picture."""

from __future__ import annotations

from typing import Any

from sim.checks.history import operations_from_records
from sim.checks.linearizability import check_operations, check_records, prefix_states
from sim.checks.models import get_model


def _records(*events: tuple[Any, ...], key: str = "x") -> list[dict]:
    """Records from (process, type, f, value) tuples, one millisecond apart."""
    return [
        {"process": p, "type": kind, "f": f, "key": key, "value": v, "time": float(t)}
        for t, (p, kind, f, v) in enumerate(events)
    ]


def test_cas_that_returned_false_is_an_observation() -> None:
    """A cas that returned false needs the register to differ from its expected value."""
    wrote = [(0, "invoke", "write", 1), (0, "ok", "write", 1)]
    false_cas = [(1, "invoke", "cas", [1, 2]), (1, "ok", "cas", False)]
    result = check_records(_records(*wrote, *false_cas))
    assert not result.ok
    assert (
        "p1 cas 1 -> 2: false  ok [2, 3]  (line 3)  -- cas returned false, but the register "
        "holds its expected value" in result.explain()
    )
    assert check_records(_records(*false_cas)).ok  # null differs from 1
    failed = [(1, "invoke", "cas", [1, 2]), (1, "fail", "cas", [1, 2])]
    assert check_records(_records(*wrote, *failed)).ok  # fail: it did not happen at all


def test_generic_failure_names_the_state_and_its_prefix() -> None:
    """A list-append failure shows the list, why each stuck op cannot follow, and the whole
    prefix with the state after each op."""
    events = [
        (0, "invoke", "append", 1),
        (0, "ok", "append", 1),
        (0, "invoke", "append", 2),
        (0, "ok", "append", 2),
        (1, "invoke", "read", None),
        (1, "ok", "read", [2, 1]),
    ]
    ops = operations_from_records(_records(*events), functions=("append", "read"))
    result = check_operations(ops, "list-append")
    [failure] = result.failures
    assert failure.state == [1, 2] and failure.linearized == 2
    assert [op.value for op in failure.prefix] == [1, 2]
    assert prefix_states(failure, get_model("list-append")) == [[1], [1, 2]]
    assert failure.explain().splitlines()[3:] == [
        "  list after it: [1, 2]",
        "  none of these can come next:",
        "    p1 read -> [2, 1]  ok [4, 5]  (line 5)  -- the list holds another value",
    ]


def test_queue_failure_and_kv_append() -> None:
    """A dequeue out of FIFO order fails; kv appends concatenate onto ""."""
    events = [
        (0, "invoke", "enqueue", "a"),
        (0, "ok", "enqueue", "a"),
        (0, "invoke", "enqueue", "b"),
        (0, "ok", "enqueue", "b"),
        (1, "invoke", "dequeue", None),
        (1, "ok", "dequeue", "b"),
    ]
    ops = operations_from_records(_records(*events), functions=("enqueue", "dequeue"))
    assert check_operations(ops, "queue").failures[0].state == ["a", "b"]
    kv = [
        (0, "invoke", "append", "x"),
        (0, "ok", "append", "x"),
        (0, "invoke", "append", "y"),
        (0, "ok", "append", "y"),
        (1, "invoke", "get", None),
        (1, "ok", "get", "xy"),
    ]
    ops = operations_from_records(_records(*kv), functions=("get", "put", "append"))
    assert check_operations(ops, "kv").ok
