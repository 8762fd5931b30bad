"""The obviously correct, exponential oracle: try every order, and every subset of info ops.

For histories of up to about 7 operations. It treats the whole history as one object (a map from
keys to plain Python values), so it also checks that splitting per key loses nothing. Each
model's semantics is written here again, on plain values, independently of sim/checks/models/.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations, permutations
from typing import Any

from sim.checks.history import Operation

Store = dict[Any, Any]


def brute_force_linearizable(ops: Sequence[Operation], model: str = "store") -> bool:
    """True iff some real-time-respecting order of all ok ops and some info ops is legal."""
    apply = SEMANTICS[model]
    ok = [op for op in ops if op.status == "ok"]
    info = [op for op in ops if op.status == "info"]
    for size in range(len(info) + 1):
        for chosen in combinations(info, size):
            for order in permutations(ok + list(chosen)):
                if _respects_real_time(order) and _legal(order, apply):
                    return True
    return False


def _precedes(a: Operation, b: Operation) -> bool:
    """a returned before b was invoked (an info op never returned)."""
    return a.status == "ok" and (a.complete_time, a.complete_index) < (b.invoke_time, b.index)


def _respects_real_time(order: Sequence[Operation]) -> bool:
    return not any(
        _precedes(later, earlier) for i, earlier in enumerate(order) for later in order[i + 1 :]
    )


def _legal(order: Sequence[Operation], apply: Callable[[Store, Operation], bool]) -> bool:
    store: Store = {}
    return all(apply(store, op) for op in order)


def _returned(op: Operation, value: Any) -> bool:
    """An info op returned nothing, so anything it might have returned will do."""
    return op.status != "ok" or op.output == value


def _store(store: Store, op: Operation) -> bool:
    """Registers, with cas, delete and append onto lists: what sim/protocols/api/kv.py does."""
    value = store.get(op.key)
    if op.f == "read":
        return _returned(op, value)
    if op.f == "write":
        store[op.key] = op.value
    elif op.f == "delete":
        store.pop(op.key, None)
    elif op.f == "append":
        if value is not None and not isinstance(value, list):
            return False
        store[op.key] = [*(value or []), op.value]
    else:
        expected, new = op.value
        if op.output is False:  # it returned false: the register held something else
            return value != expected
        if value != expected:
            return False
        store[op.key] = new
    return True


def _kv(store: Store, op: Operation) -> bool:
    value = store.get(op.key, "")
    if op.f == "get":
        return _returned(op, value)
    store[op.key] = value + op.value if op.f == "append" else op.value
    return True


def _list_append(store: Store, op: Operation) -> bool:
    value = store.get(op.key, [])
    if op.f == "read":
        return op.status != "ok" or (op.output or []) == value
    store[op.key] = [*value, op.value]
    return True


def _set(store: Store, op: Operation) -> bool:
    value = store.get(op.key, frozenset())
    if op.f == "read":
        return op.status != "ok" or set(op.output) == value
    store[op.key] = value | {op.value}
    return True


def _queue(store: Store, op: Operation) -> bool:
    queue = store.get(op.key, ())
    if op.f == "enqueue":
        store[op.key] = (*queue, op.value)
        return True
    if op.status == "ok" and op.output is None:
        return not queue
    if queue:
        store[op.key] = queue[1:]
    return _returned(op, queue[0] if queue else None)


SEMANTICS: dict[str, Callable[[Store, Operation], bool]] = {
    "register": _store,
    "cas-register": _store,
    "store": _store,
    "kv": _kv,
    "list-append": _list_append,
    "set": _set,
    "queue": _queue,
}
