"""The linearizability checker: against the brute-force oracle, on known anomalies, on size."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.checks.history import operations_from_records
from sim.checks.linearizability import check_history_file, check_operations, check_records
from tests.checks.brute_force import brute_force_linearizable
from tests.checks.models.histories import invoke_completion_pairs

PROPERTY = settings(
    max_examples=1500,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
VALUES = (None, 0, 1, 2)


@st.composite
def register_histories(draw: st.DrawFn, keys: int = 2, info: bool = True) -> list[dict]:
    """Records of a real register store: each op takes effect at one instant inside its interval.

    Processes advance in a drawn interleaving: invoke, take effect, complete. An op may also fail
    or end info without taking effect, end info after taking effect, or still be pending when the
    history ends. A process whose op ended info retires and a new process takes its place.
    """
    key_names = ["x", "y", "z"][: draw(st.integers(1, keys))]
    live = list(range(draw(st.integers(1, 4))))
    retired: list[int] = []
    budget = draw(st.integers(1, 7))
    registers: dict[str, Any] = {}
    running: dict[int, list[Any]] = {}  # process -> [f, key, value, took effect, result]
    records: list[dict] = []

    def emit(process: int, kind: str, f: str, key: str, value: Any) -> None:
        time = records[-1]["time"] + draw(st.sampled_from([0, 1])) if records else 0
        records.append(
            {"process": process, "type": kind, "f": f, "key": key, "value": value, "time": time}
        )

    def retire(process: int) -> None:
        live.remove(process)
        retired.append(process)
        live.append(max(live + retired) + 1)

    while True:
        movable = [p for p in live if p in running or budget > 0]
        if not movable or (info and budget == 0 and draw(st.integers(0, 3)) == 0):
            return records
        process = draw(st.sampled_from(movable))
        if process not in running:
            budget -= 1
            f = draw(st.sampled_from(["read", "write", "cas"]))
            key = draw(st.sampled_from(key_names))
            if f == "read":
                value = None
            elif f == "write":
                value = draw(st.sampled_from(VALUES[1:]))
            else:
                value = [draw(st.sampled_from(VALUES)), draw(st.sampled_from(VALUES[1:]))]
            emit(process, "invoke", f, key, value)
            running[process] = [f, key, value, False, None]
            continue
        f, key, value, took_effect, result = running[process]
        outcomes = ["complete", "complete", "info"] if info else ["complete"]
        if not took_effect:
            outcomes = ["take effect"] * 4 + ["fail", *outcomes[2:]]
        outcome = draw(st.sampled_from(outcomes))
        if outcome == "take effect":
            current = registers.get(key)
            if f == "read":
                running[process][4] = current
            elif f == "write":
                registers[key] = value
            elif current == value[0]:
                registers[key] = value[1]
            else:
                running[process][4] = "cas failed"
            running[process][3] = True
            continue
        del running[process]
        if outcome == "info":
            emit(process, "info", f, key, value)
            retire(process)
        elif outcome == "fail" or result == "cas failed":
            emit(process, "fail", f, key, value)
        else:
            emit(process, "ok", f, key, result if f == "read" else value)


@st.composite
def perturbed_histories(draw: st.DrawFn, keys: int = 2, info: bool = True) -> list[dict]:
    """A register history with one or two edits that often make it non-linearizable.

    Edits: change what a read returned, turn a failed cas into a successful one, complete an op
    earlier, invoke an op later. Times are then reassigned in order, so they stay sorted.
    """
    records = [dict(r) for r in draw(register_histories(keys=keys, info=info))]
    times = [r["time"] for r in records]
    for _ in range(draw(st.integers(1, 2))):
        pairs = invoke_completion_pairs(records)
        edits = [("complete earlier", pair) for pair in pairs if pair[1] > pair[0] + 1]
        edits += [("invoke later", pair) for pair in pairs if pair[1] > pair[0] + 1]
        for pair in pairs:
            completion = records[pair[1]]
            if completion["type"] == "ok" and completion["f"] == "read":
                edits.append(("read", pair))
            if completion["type"] == "fail" and completion["f"] == "cas":
                edits.append(("cas", pair))
        if not edits:
            break
        edit, (invoke, completion) = draw(st.sampled_from(edits))
        if edit == "read":
            records[completion]["value"] = draw(st.sampled_from(VALUES))
        elif edit == "cas":
            records[completion]["type"] = "ok"
        elif edit == "complete earlier":
            records.insert(draw(st.integers(invoke + 1, completion - 1)), records.pop(completion))
        else:
            records.insert(draw(st.integers(invoke + 1, completion - 1)), records.pop(invoke))
    for record, time in zip(records, times, strict=True):
        record["time"] = time
    return records


def _agree(records: list[dict]) -> bool:
    ops = operations_from_records(records)
    verdict = check_operations(ops).ok
    assert verdict == brute_force_linearizable(ops), records
    return verdict


@PROPERTY
@given(st.booleans().flatmap(lambda info: register_histories(info=info)))
def test_register_histories_are_linearizable(records: list[dict]) -> None:
    """A history of a real register, with or without info and pending ops, is linearizable."""
    assert _agree(records)


@PROPERTY
@given(st.booleans().flatmap(lambda info: perturbed_histories(info=info)))
def test_checker_agrees_with_brute_force(records: list[dict]) -> None:
    """On perturbed histories, often not linearizable, the checker's verdict is the oracle's."""
    _agree(records)


@settings(PROPERTY, max_examples=500)
@given(perturbed_histories(keys=3))
def test_splitting_per_key_loses_nothing(records: list[dict]) -> None:
    """Per-key verdicts combine to the verdict on the whole history as one map of registers."""
    ops = operations_from_records(records)
    per_key = all(
        check_operations([op for op in ops if op.key == key]).ok for key in {op.key for op in ops}
    )
    assert check_operations(ops).ok == per_key == brute_force_linearizable(ops)


def history(*events: tuple[Any, ...]) -> list[dict]:
    """Records from (process, type, f, value[, key]) tuples, one millisecond apart."""
    return [
        {
            "process": e[0],
            "type": e[1],
            "f": e[2],
            "key": e[4] if len(e) > 4 else "x",
            "value": e[3],
            "time": float(t),
        }
        for t, e in enumerate(events)
    ]


def write(process: int, value: Any, outcome: str = "ok") -> list[tuple[Any, ...]]:
    return [(process, "invoke", "write", value), (process, outcome, "write", value)]


def read(process: int, value: Any) -> list[tuple[Any, ...]]:
    return [(process, "invoke", "read", None), (process, "ok", "read", value)]


def cas(process: int, expected: Any, new: Any, outcome: str = "ok") -> list[tuple[Any, ...]]:
    return [(process, "invoke", "cas", [expected, new]), (process, outcome, "cas", [expected, new])]


def test_stale_read_is_caught() -> None:
    """A read that returns a value already overwritten before it began is a violation."""
    result = check_records(history(*write(0, 1), *write(0, 2), *read(1, 1)))
    assert not result.ok
    [failure] = result.failures
    assert failure.key == "x" and failure.register == 1 and failure.linearized == 1
    assert [(op.f, op.value) for op in failure.stuck] == [("write", 2)]
    assert [(op.f, op.output) for op in failure.needing] == [("read", 1)]


def test_lost_write_is_caught() -> None:
    """A write acknowledged before a read began must be seen by that read."""
    assert not check_records(history(*write(0, 1), *read(1, None))).ok


def test_lost_update_is_caught() -> None:
    """Two concurrent cas from the same value cannot both succeed."""
    events = history(
        (0, "invoke", "cas", [None, 1]),
        (1, "invoke", "cas", [None, 2]),
        (0, "ok", "cas", [None, 1]),
        (1, "ok", "cas", [None, 2]),
    )
    assert not check_records(events).ok


def test_read_of_never_written_value_is_caught() -> None:
    """A read may only return the initial value or a value some op wrote."""
    assert not check_records(history(*write(0, 1), *read(1, 7))).ok


def test_cas_succeeding_on_wrong_value_is_caught() -> None:
    """A cas that succeeds although the register does not hold its expected value is caught."""
    result = check_records(history(*write(0, 1), *cas(1, 2, 3)))
    assert not result.ok
    assert "cas expects another value" in result.explain()


def test_write_visible_before_its_invoke_is_caught() -> None:
    """A read cannot return a value whose write was invoked after the read completed."""
    assert not check_records(history(*read(1, 5), *write(0, 5))).ok


def test_failed_write_does_not_take_effect() -> None:
    """A write that failed definitely did not happen, so reading its value is a violation."""
    assert not check_records(history(*write(0, 1, "fail"), *read(1, 1))).ok


def test_failed_cas_does_not_take_effect() -> None:
    """A cas that failed definitely did not happen, so reading its new value is a violation."""
    assert not check_records(history(*write(0, 1), *cas(0, 1, 2, "fail"), *read(1, 2))).ok


def test_concurrent_read_may_see_old_or_new_value() -> None:
    """A read concurrent with a write may return the value before or after it."""
    for seen in (None, 1):
        events = history(
            (0, "invoke", "write", 1),
            (1, "invoke", "read", None),
            (1, "ok", "read", seen),
            (0, "ok", "write", 1),
        )
        assert check_records(events).ok, seen


def test_info_write_may_take_effect_later() -> None:
    """An info write may take effect long after its invocation: reads see old, then new."""
    events = history(
        (0, "invoke", "write", 1), (0, "info", "write", 1), *read(1, None), *read(1, 1)
    )
    assert check_records(events).ok


def test_info_write_may_never_take_effect() -> None:
    """An info write whose value nobody reads may not have happened at all."""
    events = history((0, "invoke", "write", 1), (0, "info", "write", 1), *read(1, None))
    assert check_records(events).ok


def test_info_write_cannot_take_effect_before_invoke() -> None:
    """An info write still cannot be seen by a read that completed before it was invoked."""
    events = history(*read(1, 1), (0, "invoke", "write", 1), (0, "info", "write", 1))
    assert not check_records(events).ok


def test_info_cas_takes_effect_only_on_its_expected_value() -> None:
    """An info cas may take effect, but only when the register holds its expected value."""
    base = [*write(0, 1), (1, "invoke", "cas", [1, 2]), (1, "info", "cas", [1, 2])]
    assert check_records(history(*base, *read(2, 2))).ok
    assert check_records(history(*base, *read(2, 1))).ok
    wrong = [*write(0, 1), (1, "invoke", "cas", [3, 2]), (1, "info", "cas", [3, 2])]
    assert not check_records(history(*wrong, *read(2, 2))).ok


def test_pending_invoke_counts_as_info() -> None:
    """An invoke never completed may have taken effect."""
    assert check_records(history((0, "invoke", "write", 1), *read(1, 1))).ok


def test_values_compare_as_json() -> None:
    """1 and 1.0 are the same value, lists compare by content, true is not 1."""
    assert check_records(history(*write(0, 1), *read(1, 1.0))).ok
    assert check_records(history(*write(0, [1, {"a": 2}]), *read(1, [1, {"a": 2}]))).ok
    assert not check_records(history(*write(0, True), *read(1, 1))).ok


def test_each_failing_key_is_reported() -> None:
    """Keys are checked independently and every failing key is named, in first-seen order."""
    events = history(
        *[(*e, "a") for e in write(0, 1)],
        *[(*e, "b") for e in write(0, 1)],
        *[(*e, "c") for e in write(0, 1)],
        *[(*e, "c") for e in read(1, 2)],
        *[(*e, "a") for e in read(1, None)],
        *[(*e, "b") for e in read(1, 1)],
    )
    result = check_records(events)
    assert not result.ok and result.keys == 3
    assert [f.key for f in result.failures] == ["a", "c"]


def test_explain_names_the_prefix_and_the_stuck_operations() -> None:
    """The explanation shows the key, the longest prefix, the register, and the stuck ops."""
    text = check_records(history(*write(0, 1), *write(0, 2), *read(1, 1))).explain()
    assert text == "\n".join(
        [
            "not linearizable: 1 of 1 keys failed (3 operations on 1 keys)",
            "",
            "key 'x': 3 operations; the longest linearizable prefix has 1, ending with:",
            "    p0 write 1  ok [0, 1]  (line 1)",
            "  register after it: 1",
            "  none of these can come next:",
            "    p0 write 2  ok [2, 3]  (line 3)  -- would overwrite 1, which is still needed",
            "  1 is still needed by these, and nothing left writes it:",
            "    p1 read -> 1  ok [4, 5]  (line 5)",
        ]
    )
    text = check_records(history(*write(0, 1), *write(0, 2), *read(1, 3))).explain()
    assert "register after it: 2" in text
    assert "p1 read -> 3  ok [4, 5]  (line 5)  -- the register holds another value" in text
    assert check_records(history(*write(0, 1))).explain() == "linearizable: 1 operations on 1 keys"


def _long_history(ops: int, processes: int = 5) -> list[dict]:
    """Writes alternating with reads, each op overlapping the ones before and after it; a read
    returns the value of the write it follows."""
    records: list[dict] = []
    previous: dict | None = None
    for n in range(ops):
        f, value = ("read", None) if n % 2 else ("write", n)
        records.append({"process": n % processes, "type": "invoke", "f": f, "value": value})
        if previous is not None:
            records.append(previous)
        previous = {"process": n % processes, "type": "ok", "f": f, "value": n - 1 if n % 2 else n}
    assert previous is not None
    records.append(previous)
    for time, record in enumerate(records):
        record.update(key="k", time=float(time))
    return records


def test_long_single_key_history_needs_no_recursion() -> None:
    """A 40k-operation history on one key is checked iteratively, and a stale read at its end
    is caught where the value it returned was overwritten."""
    records = _long_history(40_000)
    assert check_records(records).ok
    records[-1]["value"] = 0
    [failure] = check_records(records).failures
    assert ("write", 2) in [(op.f, op.value) for op in failure.stuck]
    assert [(op.f, op.output, op.index) for op in failure.needing] == [("read", 0, 79_997)]


def test_check_history_file(tmp_path: Any) -> None:
    """A history file is read and checked."""
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in history(*write(0, 1), *read(1, 2))))
    assert not check_history_file(path).ok
