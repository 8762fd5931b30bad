"""The obviously correct, exponential oracle: try every order, and every subset of info ops.

For histories of up to about 7 operations. It treats the whole history as one object (a map of
registers), so it also checks that splitting per key loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, permutations

from sim.checks.history import Operation


def brute_force_linearizable(ops: Sequence[Operation]) -> bool:
    """True iff some real-time-respecting order of all ok ops and some info ops is legal."""
    ok = [op for op in ops if op.status == "ok"]
    info = [op for op in ops if op.status == "info"]
    for size in range(len(info) + 1):
        for chosen in combinations(info, size):
            for order in permutations(ok + list(chosen)):
                if _respects_real_time(order) and _legal(order):
                    return True
    return False


def _precedes(a: Operation, b: Operation) -> bool:
    """a returned before b was invoked (an info op never returned)."""
    return a.status == "ok" and (a.complete_time, a.complete_index) < (b.invoke_time, b.index)


def _respects_real_time(order: Sequence[Operation]) -> bool:
    return not any(
        _precedes(later, earlier) for i, earlier in enumerate(order) for later in order[i + 1 :]
    )


def _legal(order: Sequence[Operation]) -> bool:
    registers: dict[object, object] = {}
    for op in order:
        value = registers.get(op.key)
        if op.f == "read":
            if op.status == "ok" and op.output != value:
                return False
        elif op.f == "write":
            registers[op.key] = op.value
        else:
            expected, new = op.value
            if expected != value:
                return False
            registers[op.key] = new
    return True
