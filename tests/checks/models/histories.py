"""Random small histories of each model's real object, and perturbations of them.

A real object is run: processes advance in a drawn interleaving (invoke, take effect, complete),
each op taking effect at one instant inside its interval on a plain Python store. An op may also
fail or end info without taking effect, end info after taking effect, or still be pending when
the history ends; a process whose op ended info retires and a new one takes its place. The
perturbations (another returned value, a cas outcome flipped, a completion moved earlier, an
invoke later) often make a history non-linearizable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Draw = st.DrawFn
Outcome = tuple[str, Any]  # (completion type, completion value)


@dataclass(frozen=True)
class Spec:
    """What a model's clients do: ops and their input values, how the real object answers, and
    the values a perturbed read may claim to have returned."""

    inputs: dict[str, list[Any]]  # f -> input values ([None]: no input)
    take_effect: Callable[[Draw, dict[Any, Any], str, Any, Any], Outcome]
    claims: list[Any]  # returned values a perturbation draws from


def _store_effect(draw: Draw, store: dict[Any, Any], f: str, key: Any, value: Any) -> Outcome:
    current = store.get(key)
    if f == "read":
        return "ok", current
    if f == "write":
        store[key] = value
    elif f == "delete":
        store.pop(key, None)
    elif f == "append":
        if current is not None and not isinstance(current, list):
            return "fail", value
        store[key] = [*(current or []), value]
    elif current == value[0]:
        store[key] = value[1]
    else:  # a cas that did not happen says so either way
        return draw(st.sampled_from([("fail", value), ("ok", False)]))
    return "ok", value


def _kv_effect(draw: Draw, store: dict[Any, Any], f: str, key: Any, value: Any) -> Outcome:
    current = store.get(key, "")
    if f == "get":
        return "ok", current
    store[key] = current + value if f == "append" else value
    return "ok", value


def _list_effect(draw: Draw, store: dict[Any, Any], f: str, key: Any, value: Any) -> Outcome:
    current = store.get(key, [])
    if f == "read":
        return "ok", current if current else draw(st.sampled_from([current, None]))
    store[key] = [*current, value]
    return "ok", value


def _set_effect(draw: Draw, store: dict[Any, Any], f: str, key: Any, value: Any) -> Outcome:
    current = store.get(key, set())
    if f == "read":
        return "ok", draw(st.permutations(sorted(current)))
    store[key] = current | {value}
    return "ok", value


def _queue_effect(draw: Draw, store: dict[Any, Any], f: str, key: Any, value: Any) -> Outcome:
    current = store.get(key, [])
    if f == "enqueue":
        store[key] = [*current, value]
        return "ok", value
    store[key] = current[1:]
    return "ok", current[0] if current else None


VALUES = [1, 2, 3]
_REGISTER_CLAIMS = [None, 1, 2, 3]
SPECS: dict[str, Spec] = {
    "register": Spec({"read": [None], "write": VALUES}, _store_effect, _REGISTER_CLAIMS),
    "cas-register": Spec(
        {
            "read": [None],
            "write": VALUES,
            "cas": [[e, n] for e in [None, *VALUES] for n in VALUES if e != n],
        },
        _store_effect,
        _REGISTER_CLAIMS,
    ),
    "store": Spec(
        {
            "read": [None],
            "write": VALUES,
            "cas": [[None, 1], [1, 2], [[1], 3], [2, None]],
            "delete": [None],
            "append": VALUES,
        },
        _store_effect,
        [*_REGISTER_CLAIMS, [1], [2], [1, 2]],
    ),
    "kv": Spec(
        {"get": [None], "put": ["a", "b"], "append": ["a", "b"]},
        _kv_effect,
        ["", "a", "b", "ab", "ba", "aa"],
    ),
    "list-append": Spec(
        {"read": [None], "append": VALUES}, _list_effect, [None, [], [1], [2], [1, 2], [2, 1]]
    ),
    "set": Spec({"read": [None], "add": VALUES}, _set_effect, [[], [1], [2], [1, 2], [2, 1, 3]]),
    "queue": Spec({"enqueue": VALUES, "dequeue": [None]}, _queue_effect, [None, 1, 2, 3]),
}


@st.composite
def histories(draw: Draw, model: str, keys: int = 2, info: bool = True) -> list[dict]:
    """Records of the model's real object (see the module's docstring)."""
    spec = SPECS[model]
    key_names = ["x", "y", "z"][: draw(st.integers(1, keys))]
    live = list(range(draw(st.integers(1, 4))))
    retired: list[int] = []
    budget = draw(st.integers(1, 7))
    store: dict[Any, Any] = {}
    running: dict[int, list[Any]] = {}  # process -> [f, key, value, outcome or None]
    records: list[dict] = []

    def emit(process: int, kind: str, f: str, key: str, value: Any) -> None:
        time = records[-1]["time"] + draw(st.sampled_from([0, 1])) if records else 0
        records.append(
            {"process": process, "type": kind, "f": f, "key": key, "value": value, "time": time}
        )

    while True:
        movable = [p for p in live if p in running or budget > 0]
        if not movable or (info and budget == 0 and draw(st.integers(0, 3)) == 0):
            return records
        process = draw(st.sampled_from(movable))
        if process not in running:
            budget -= 1
            f = draw(st.sampled_from(sorted(spec.inputs)))
            key = draw(st.sampled_from(key_names))
            value = draw(st.sampled_from(spec.inputs[f]))
            emit(process, "invoke", f, key, value)
            running[process] = [f, key, value, None]
            continue
        f, key, value, outcome = running[process]
        endings = ["complete", "complete", "info"] if info else ["complete"]
        if outcome is None:
            endings = ["take effect"] * 4 + ["fail", *endings[2:]]
        ending = draw(st.sampled_from(endings))
        if ending == "take effect":
            running[process][3] = spec.take_effect(draw, store, f, key, value)
            continue
        del running[process]
        if ending == "info":
            emit(process, "info", f, key, value)
            live.remove(process)
            retired.append(process)
            live.append(max(live + retired) + 1)
        elif ending == "fail":
            emit(process, "fail", f, key, value)
        else:
            emit(process, outcome[0], f, key, outcome[1])


@st.composite
def perturbed(draw: Draw, model: str, keys: int = 2, info: bool = True) -> list[dict]:
    """A history of the model with one or two edits that often make it non-linearizable."""
    spec = SPECS[model]
    records = [dict(r) for r in draw(histories(model, keys=keys, info=info))]
    times = [r["time"] for r in records]
    for _ in range(draw(st.integers(1, 2))):
        pairs = invoke_completion_pairs(records)
        edits = [("complete earlier", pair) for pair in pairs if pair[1] > pair[0] + 1]
        edits += [("invoke later", pair) for pair in pairs if pair[1] > pair[0] + 1]
        for pair in pairs:
            completion = records[pair[1]]
            if completion["type"] == "ok" and records[pair[0]]["value"] is None:
                edits.append(("claim", pair))  # an op that returns something
            if completion["f"] == "cas" and completion["type"] != "info":
                edits.append(("cas", pair))
        if not edits:
            break
        edit, (invoke, completion) = draw(st.sampled_from(edits))
        if edit == "claim":
            records[completion]["value"] = draw(st.sampled_from(spec.claims))
        elif edit == "cas":
            outcome = draw(st.sampled_from(["ok", "ok false", "fail"]))
            records[completion]["type"] = "fail" if outcome == "fail" else "ok"
            pair = records[invoke]["value"]
            records[completion]["value"] = False if outcome == "ok false" else pair
        elif edit == "complete earlier":
            records.insert(draw(st.integers(invoke + 1, completion - 1)), records.pop(completion))
        else:
            records.insert(draw(st.integers(invoke + 1, completion - 1)), records.pop(invoke))
    for record, time in zip(records, times, strict=True):
        record["time"] = time
    return records


def invoke_completion_pairs(records: list[dict]) -> list[tuple[int, int]]:
    """The (invoke, completion) positions of each operation of a history's records."""
    pending: dict[int, int] = {}
    pairs = []
    for position, record in enumerate(records):
        if record["type"] == "invoke":
            pending[record["process"]] = position
        else:
            pairs.append((pending.pop(record["process"]), position))
    return pairs
