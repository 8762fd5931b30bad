"""Linearizability of a client history against a key-value store of registers.

Each key is an independent register (initially None), so the history is split per key and each
key checked on its own (P-compositionality, as Porcupine does). Per key this is Wing & Gong's
search with Lowe's memoisation, the "just-in-time" linearization of Lowe, "Testing for
linearizability" (2017), as in Porcupine and Knossos: the call and return events sit in a
doubly linked list in time order; the search linearizes a call that precedes every remaining
return (lifting it and its return out of the list), backtracks when it meets the return of an
operation it has not linearized, and never revisits a (set of linearized operations, register
value) pair it has seen.

``info`` operations have no return event: they may take effect any time after their invocation,
or never. The search succeeds once every ``ok`` operation is linearized; the ``info`` ones it has
not placed by then did not take effect.

Two prunings keep it fast on long, busy histories. Before the search, info writes and cas whose
value nobody observed are left out (they cannot change the verdict). During it, the search never
overwrites a value that an unlinearized read or cas still needs when no unlinearized op can set
it again: without this, a key with many concurrent writers makes the search try most orders of
those writes before the read that rules them out returns (10k operations of 20 clients on one
key took 90 s without it, 0.07 s with it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.checks.history import Operation, operations_from_records, read_history

_ANY = -1  # an op's expected register value: any (a write)
_SAME = -1  # an op's new register value: unchanged (a read)
_TAIL_SHOWN = 8  # operations of the longest prefix that a failure keeps


@dataclass(frozen=True, slots=True)
class KeyFailure:
    """Where the search for one key got stuck: the longest prefix it could linearize, and the
    operations of which none could come next."""

    key: Any
    operations: int  # operations on this key that the search considered
    linearized: int  # length of the longest linearizable prefix reached
    prefix_tail: tuple[Operation, ...]  # the last operations of that prefix, in order
    register: Any  # the register's value after that prefix
    stuck: tuple[Operation, ...]  # the operations that could not be linearized next
    # Operations still to come that need the register's value when nothing left can set it
    # again (so none of the stuck ops may overwrite it); empty when it can be set again.
    needing: tuple[Operation, ...] = ()

    def explain(self) -> str:
        """Say, for a person, why this key's history is not linearizable."""
        lines = [
            f"key {self.key!r}: {self.operations} operations; the longest linearizable prefix "
            f"has {self.linearized}, ending with:"
        ]
        lines += [f"    {_describe(op)}" for op in self.prefix_tail] or ["    (nothing)"]
        lines.append(f"  register after it: {_json(self.register)}")
        lines.append("  none of these can come next:")
        lines += [f"    {_describe(op)}{self._why_not(op)}" for op in self.stuck]
        if self.needing:
            lines.append(
                f"  {_json(self.register)} is still needed by these, and nothing left writes it:"
            )
            lines += [f"    {_describe(op)}" for op in self.needing[:_TAIL_SHOWN]]
            if len(self.needing) > _TAIL_SHOWN:
                lines.append(f"    and {len(self.needing) - _TAIL_SHOWN} more")
        return "\n".join(lines)

    def _why_not(self, op: Operation) -> str:
        """Why the op cannot come next: it is illegal, it would overwrite a needed value, or it
        leads nowhere."""
        register = _canonical(self.register)
        if op.f == "read" and _canonical(op.output) != register:
            return "  -- the register holds another value"
        if op.f == "cas" and _canonical(op.value[0]) != register:
            return "  -- cas expects another value"
        new = op.value if op.f == "write" else op.value[1] if op.f == "cas" else self.register
        if self.needing and _canonical(new) != register:
            return f"  -- would overwrite {_json(self.register)}, which is still needed"
        return "  -- legal here, but no order of what follows works"


@dataclass(frozen=True, slots=True)
class LinearizabilityResult:
    """The verdict on a history: ``ok``, or the keys whose histories are not linearizable."""

    ok: bool
    operations: int
    keys: int
    failures: tuple[KeyFailure, ...] = ()

    def explain(self) -> str:
        """Say, for a person, what was checked and what failed."""
        head = f"{self.operations} operations on {self.keys} keys"
        if self.ok:
            return f"linearizable: {head}"
        parts = [f"not linearizable: {len(self.failures)} of {self.keys} keys failed ({head})"]
        return "\n\n".join(parts + [failure.explain() for failure in self.failures])


def check_history_file(path: str | Path) -> LinearizabilityResult:
    """Check a ``history.jsonl`` file; raises `HistoryError` when the file is malformed."""
    return check_operations(read_history(path))


def check_records(records: Iterable[Mapping[str, Any]]) -> LinearizabilityResult:
    """Check history records held in memory (the simulator's own history)."""
    return check_operations(operations_from_records(records))


def check_operations(ops: Iterable[Operation]) -> LinearizabilityResult:
    """Check operations (``ok`` and ``info``; failed ones dropped beforehand) key by key."""
    by_key: dict[Any, list[Operation]] = {}
    for op in ops:
        # An info read returned nothing, so it constrains nothing and changes nothing.
        if not (op.f == "read" and op.status == "info"):
            by_key.setdefault(op.key, []).append(op)
    failures = []
    for key, key_ops in by_key.items():  # first-seen order keeps reports deterministic
        failure = _check_register(key, key_ops)
        if failure is not None:
            failures.append(failure)
    return LinearizabilityResult(
        ok=not failures,
        operations=sum(len(key_ops) for key_ops in by_key.values()),
        keys=len(by_key),
        failures=tuple(failures),
    )


def _check_register(key: Any, ops: list[Operation]) -> KeyFailure | None:
    ops = _drop_unobservable(ops)
    values = _Values()
    expect: list[int] = []
    new: list[int] = []
    for op in ops:
        if op.f == "read":
            expect.append(values.id(op.output))
            new.append(_SAME)
        elif op.f == "write":
            expect.append(_ANY)
            new.append(values.id(op.value))
        else:
            expect.append(values.id(op.value[0]))
            new.append(values.id(op.value[1]))
    search = _Search(ops, expect, new)
    if search.run():
        return None
    return search.failure(key, values)


def _drop_unobservable(ops: list[Operation]) -> list[Operation]:
    """Leave out info writes and cas whose new value no read returned and no cas expected.

    Such an op, if it took effect, could only have been followed by a write (nothing else is
    legal on a value nobody observes), so the history is linearizable with it iff without it.
    Dropping it spares the search an optional op that stays a candidate to the end.
    """
    observed = {_canonical(op.output) for op in ops if op.f == "read"}
    observed |= {_canonical(op.value[0]) for op in ops if op.f == "cas"}
    return [
        op
        for op in ops
        if op.status == "ok" or _canonical(op.value if op.f == "write" else op.value[1]) in observed
    ]


class _Values:
    """Interns register values as small ints, None (the initial value) as 0."""

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {_canonical(None): 0}
        self.values: list[Any] = [None]

    def id(self, value: Any) -> int:
        canonical = _canonical(value)
        found = self.ids.get(canonical)
        if found is None:
            found = self.ids[canonical] = len(self.values)
            self.values.append(value)
        return found


def _canonical(value: Any) -> Any:
    """A hashable stand-in with JSON equality: 1 == 1.0, but true != 1 and [1] != {"1": 1}."""
    if type(value) is str or type(value) is int or value is None:
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return value if math.isfinite(value) else ("float", repr(value))
    if isinstance(value, list | tuple):
        return ("list", tuple(_canonical(item) for item in value))
    if isinstance(value, Mapping):
        return ("object", tuple(sorted((str(k), _canonical(v)) for k, v in value.items())))
    return ("other", repr(value))


class _Search:
    """The JIT linearization search over one register's operations.

    The set of linearized ``ok`` ops is kept as a window: ``low``, the smallest ok id (ids in
    invoke order) not yet linearized, and ``window``, a bitset of the linearized ok ids above it
    (bit 0 is ``low``). Every linearized op was invoked before op ``low`` returned, so the window
    spans only the ops concurrent with it and cache keys stay small however long the history.
    Linearized ``info`` ops are a plain bitset over info ids: an info op stays a candidate to
    the end, so it cannot be folded into a window.
    """

    def __init__(self, ops: list[Operation], expect: list[int], new: list[int]) -> None:
        self.ops = ops
        self.expect = expect
        self.new = new
        self.ok_id: list[int] = []  # per op: its ok id, or -1 for an info op
        self.info_bit: list[int] = []  # per op: its info id's bit, or 0 for an ok op
        oks = infos = 0
        for op in ops:
            if op.status == "ok":
                self.ok_id.append(oks)
                self.info_bit.append(0)
                oks += 1
            else:
                self.ok_id.append(-1)
                self.info_bit.append(1 << infos)
                infos += 1
        self.n_ok = oks
        # Entries 1..E in time order (ties: history order); 0 is the head, E + 1 the tail.
        events: list[tuple[float, int, int]] = []
        for j, op in enumerate(ops):
            events.append((op.invoke_time, op.index, j))
            if op.status == "ok":
                assert op.complete_index is not None, "an ok operation has a completion"
                events.append((op.complete_time, op.complete_index, ~j))
        events.sort()
        count = len(events)
        self.op_of = [0] * (count + 2)  # entry -> its op
        self.match = [0] * (count + 2)  # call entry -> its return entry (0: none); return: -1
        call_entry: dict[int, int] = {}
        for entry, (_, _, j) in enumerate(events, start=1):
            if j >= 0:
                self.op_of[entry] = j
                call_entry[j] = entry
            else:
                self.op_of[entry] = ~j
                self.match[entry] = -1
                self.match[call_entry[~j]] = entry
        self.events = count
        # Per register value: how many ok reads and cas need the register to hold it, and how
        # many writes and cas could set it; the search keeps both counts for unlinearized ops.
        self.needs = [0] * (max(expect + new, default=0) + 1)
        self.makes = self.needs.copy()
        for j, op in enumerate(ops):
            if op.status == "ok" and expect[j] != _ANY:
                self.needs[expect[j]] += 1
            if new[j] != _SAME:
                self.makes[new[j]] += 1
        # The deepest configuration reached: (depth, low, window, info, register, tail ops).
        self.deepest: tuple[int, int, int, int, int, list[int]] = (0, 0, 0, 0, 0, [])

    def run(self) -> bool:
        """Search; True when every ok op can be linearized."""
        n_ok = self.n_ok
        if n_ok == 0:
            return True
        op_of, match = self.op_of, self.match
        expect, new, ok_id, info_bit = self.expect, self.new, self.ok_id, self.info_bit
        needs, makes = self.needs.copy(), self.makes.copy()
        nxt = [*range(1, self.events + 2), self.events + 1]
        prv = [0, *range(self.events + 1)]
        seen: set[tuple[int, int, int, int]] = set()
        stack: list[tuple[int, int, int, int, int]] = []  # (entry, register, low, window, info)
        register = low = window = info = 0
        deepest = 0
        entry = nxt[0]
        while True:
            ret = match[entry]
            if ret >= 0:  # a call: try to linearize its op here
                j = op_of[entry]
                wanted = expect[j]
                k = ok_id[j]
                after = new[j]
                if after == _SAME:
                    after = register
                # Overwriting a value that an unlinearized op (other than this cas) still needs
                # and that no unlinearized op can set again is a dead end: prune it here.
                if wanted in (_ANY, register) and (
                    after == register
                    or makes[register]
                    or needs[register] == (k >= 0 and wanted == register)
                ):
                    if k >= 0:
                        new_window = window | (1 << (k - low))
                        new_low = low
                        if k == low:  # slide the window past the run of linearized ids
                            shift = (new_window ^ (new_window + 1)).bit_length() - 1
                            new_window >>= shift
                            new_low += shift
                        new_info = info
                    else:
                        new_low, new_window, new_info = low, window, info | info_bit[j]
                    config = (new_low, new_window, new_info, after)
                    if config not in seen:
                        seen.add(config)
                        stack.append((entry, register, low, window, info))
                        register, low, window, info = after, new_low, new_window, new_info
                        if k >= 0 and wanted != _ANY:
                            needs[wanted] -= 1
                        if new[j] != _SAME:
                            makes[new[j]] -= 1
                        before, behind = prv[entry], nxt[entry]
                        nxt[before], prv[behind] = behind, before
                        if ret:
                            before, behind = prv[ret], nxt[ret]
                            nxt[before], prv[behind] = behind, before
                        if low == n_ok:
                            return True
                        if len(stack) > deepest:
                            deepest = len(stack)
                            tail = [op_of[item[0]] for item in stack[-_TAIL_SHOWN:]]
                            self.deepest = (deepest, low, window, info, register, tail)
                        entry = nxt[0]
                        continue
                entry = nxt[entry]
            else:  # the return of an op not linearized: undo the last linearization
                if not stack:
                    return False
                entry, register, low, window, info = stack.pop()
                j = op_of[entry]
                if ok_id[j] >= 0 and expect[j] != _ANY:
                    needs[expect[j]] += 1
                if new[j] != _SAME:
                    makes[new[j]] += 1
                ret = match[entry]
                if ret:
                    nxt[prv[ret]] = ret
                    prv[nxt[ret]] = ret
                nxt[prv[entry]] = entry
                prv[nxt[entry]] = entry
                entry = nxt[entry]

    def failure(self, key: Any, values: _Values) -> KeyFailure:
        """Describe the deepest configuration the search reached (after `run` returned False)."""
        depth, low, window, info, register, tail = self.deepest
        ops = self.ops

        def linearized(j: int) -> bool:
            k = self.ok_id[j]
            if k < 0:
                return bool(info & self.info_bit[j])
            return k < low or bool(window >> (k - low) & 1)

        # The candidates: unlinearized ops called before the first unlinearized return.
        stuck: list[Operation] = []
        for entry in range(1, self.events + 1):
            j = self.op_of[entry]
            if linearized(j):
                continue
            if self.match[entry] < 0:
                break
            stuck.append(ops[j])
        left = [j for j in range(len(ops)) if not linearized(j)]
        settable = any(self.new[j] == register for j in left)
        needing = [ops[j] for j in left if self.ok_id[j] >= 0 and self.expect[j] == register]
        return KeyFailure(
            key=key,
            operations=len(ops),
            linearized=depth,
            prefix_tail=tuple(ops[j] for j in tail),
            register=values.values[register],
            stuck=tuple(stuck),
            needing=() if settable else tuple(needing),
        )


def _json(value: Any) -> str:
    return json.dumps(value, default=repr)


def _describe(op: Operation) -> str:
    if op.f == "read":
        what = "read" if op.status == "info" else f"read -> {_json(op.output)}"
    elif op.f == "write":
        what = f"write {_json(op.value)}"
    else:
        what = f"cas {_json(op.value[0])} -> {_json(op.value[1])}"
    end = "?" if math.isinf(op.complete_time) else f"{op.complete_time:g}"
    return f"p{op.process} {what}  {op.status} [{op.invoke_time:g}, {end}]  (line {op.index + 1})"
